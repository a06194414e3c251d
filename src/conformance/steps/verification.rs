//! Domain verification steps (BEHAVIOUR E-DV-01..05), in the product owner's words: "Ann
//! starts verifying "acme.example"", "the DNS zone has the verification record for ...",
//! "11 days pass", "the result is "expired"".
//!
//! The target's verifier is pointed (through the test-only endpoint
//! `PUT /admin/v1/test/verification-servers`) at a fake name server and a fake web server
//! that this process runs on loopback, one pair per run, shared by all scenarios. Each
//! scenario's domains are made unique by a label with its suffix (`acme.example` becomes
//! `acme.example.s12345678.test`, and `sales.acme.example` stays a subdomain of it), so
//! scenarios run concurrently on the shared servers. Scenarios that change something shared
//! (time, the servers' addresses) are tagged `@serial`.
//!
//! A target without the domain admin API, or without the test endpoints, skips these
//! scenarios with the reason, instead of failing them.

use super::get_ci;
use crate::client::ScimResponse;
use crate::client::admin::path as admin_path;
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Failure, StepResult, ensure};
use crate::conformance::world::verification::Fakes;
use crate::verification::dns::{FakeDns, Fault};
use crate::verification::verifier::RECORD_PREFIX;
use crate::verification::web::{FakeWeb, WebFile};
use cucumber::{given, then, when};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

const SOURCE: &str = "BEHAVIOUR §2 (domain verification)";

/// Per-attempt DNS timeout and web timeout the target's verifier gets: short, so the timeout
/// scenarios take a fraction of a second.
const DNS_TIMEOUT_MS: u64 = 500;
const WEB_TIMEOUT_MS: u64 = 1000;

/// The fakes by target URL: one pair per run (a process may run several suites).
static FAKES: LazyLock<tokio::sync::Mutex<HashMap<String, Arc<Fakes>>>> =
    LazyLock::new(Default::default);

async fn fakes_for(target: &str) -> Result<Arc<Fakes>, Failure> {
    let mut map = FAKES.lock().await;
    if let Some(f) = map.get(target).filter(|f| f.dns.is_running()) {
        return Ok(f.clone());
    }
    let dns = FakeDns::start()
        .await
        .map_err(|e| Failure::suite(format!("cannot start the fake name server: {e}")))?;
    let web = FakeWeb::start()
        .await
        .map_err(|e| Failure::suite(format!("cannot start the fake web server: {e}")))?;
    let f = Arc::new(Fakes { dns, web });
    map.insert(target.to_string(), f.clone());
    Ok(f)
}

impl ScimWorld {
    /// The unique name of a domain the feature names.
    fn domain(&self, name: &str) -> String {
        let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
        format!("{name}.s{}.test", self.suffix)
    }

    /// Text from the target with the unique names turned back into the feature's.
    fn unmapped(&self, text: &str) -> String {
        text.replace(&format!(".s{}.test", self.suffix), "")
    }

    fn fakes(&self) -> Result<Arc<Fakes>, Failure> {
        self.verification
            .fakes
            .clone()
            .ok_or_else(|| Failure::suite("the scenario has no fake servers (missing Background?)"))
    }

    fn code_of(&self, domain: &str) -> Result<String, Failure> {
        self.verification
            .codes
            .get(domain)
            .cloned()
            .ok_or_else(|| Failure::suite(format!("no code was issued for \"{domain}\" yet")))
    }

    /// `{code}` is the domain's current code (or, for a name the scenario is not verifying,
    /// such as a CNAME target, the code of the domain it started verifying last);
    /// `{other code}` is a well-formed code nobody issued.
    fn fill_code(&self, text: &str, domain: &str) -> Result<String, Failure> {
        let mut out = text.replace("{other code}", "00000000-0000-4000-8000-0000000000aa");
        if out.contains("{code}") {
            let code = match self.code_of(domain) {
                Ok(c) => c,
                Err(e) => self
                    .verification
                    .last_started
                    .as_deref()
                    .and_then(|d| self.verification.codes.get(d))
                    .cloned()
                    .ok_or(e)?,
            };
            out = out.replace("{code}", &code);
        }
        Ok(out.replace("\\n", "\n").replace("\\t", "\t"))
    }
}

fn expect(w: &ScimWorld, r: &ScimResponse, ok: &[u16], what: &str) -> StepResult {
    ensure(
        ok.contains(&r.status),
        w.last.as_ref(),
        "openapi/verification-admin.yaml",
        what,
        ok.iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(" or "),
        r.status,
    )
}

/// Points the target's verifier at this run's fakes.
async fn point_verifier(w: &mut ScimWorld, dns: String, web: String) -> StepResult {
    let body = json!({
        "dns": dns, "web": web,
        "dnsTimeoutMs": DNS_TIMEOUT_MS, "webTimeoutMs": WEB_TIMEOUT_MS,
    });
    let r = w
        .call(
            Method::PUT,
            admin_path::TEST_VERIFICATION_SERVERS,
            Some(&body),
            &[],
        )
        .await?;
    if r.status == 404 {
        return Err(Failure::skip(
            "the target has no test endpoint to point its domain verifier at fake servers",
        ));
    }
    expect(w, &r, &[200], "the verifier's servers can be set")
}

#[given(regex = r"^the reference consults a fake name server and a fake web server$")]
async fn fake_servers(w: &mut ScimWorld) -> StepResult {
    let r = w.call(Method::GET, admin_path::DOMAINS, None, &[]).await?;
    if r.status == 404 {
        return Err(Failure::skip(
            "the target has no domain verification admin API",
        ));
    }
    let ctx = w.ctx()?;
    let fakes = fakes_for(&ctx.base_url).await?;
    let (dns, web) = (fakes.dns.addr.to_string(), fakes.web.addr().to_string());
    w.verification.fakes = Some(fakes);
    point_verifier(w, dns, web).await
}

#[given(regex = r#"^"([^"]+)" starts verifying "([^"]+)"$"#)]
async fn starts(w: &mut ScimWorld, account: String, domain: String) -> StepResult {
    let body = json!({"domain": w.domain(&domain), "account": account});
    let r = w
        .call(Method::POST, admin_path::DOMAINS, Some(&body), &[])
        .await?;
    if r.status == 400 {
        // An invalid domain: the scenario checks the refusal.
        return Ok(());
    }
    expect(w, &r, &[201], "adding a domain answers 201 with its code")?;
    let code = get_ci(&r.body, "code")
        .and_then(Value::as_str)
        .unwrap_or("");
    ensure(
        crate::verification::verifier::normalise_code(code).is_ok(),
        w.last.as_ref(),
        "BEHAVIOUR E-DV-02",
        "the verification code is a UUID",
        "a UUID",
        code,
    )?;
    w.verification
        .codes
        .insert(domain.clone(), code.to_string());
    w.verification.last_started = Some(domain);
    Ok(())
}

#[given(regex = r#"^the DNS zone has the verification record for "([^"]+)"$"#)]
async fn dns_record(w: &mut ScimWorld, domain: String) -> StepResult {
    let value = format!("{RECORD_PREFIX}{}", w.code_of(&domain)?);
    add_txt(w, &domain, &[value]).await
}

#[given(regex = r#"^the DNS zone has the TXT record "([^"]*)" at "([^"]+)"$"#)]
async fn dns_txt(w: &mut ScimWorld, text: String, domain: String) -> StepResult {
    let value = w.fill_code(&text, &owner_of(&domain))?;
    add_txt(w, &domain, &[value]).await
}

#[given(regex = r#"^the DNS zone has one TXT record at "([^"]+)" with the strings (.+)$"#)]
async fn dns_strings(w: &mut ScimWorld, domain: String, list: String) -> StepResult {
    let strings = quoted(&list)
        .iter()
        .map(|s| w.fill_code(s, &owner_of(&domain)))
        .collect::<Result<Vec<_>, _>>()?;
    add_txt(w, &domain, &strings).await
}

/// The domain whose code a record at `name` carries: the name itself (each subdomain has
/// its own code), which is the one the scenario started verifying.
fn owner_of(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

/// `"a", "b" and "c"` -> the quoted strings.
fn quoted(list: &str) -> Vec<String> {
    list.split('"')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_string())
        .collect()
}

async fn add_txt(w: &mut ScimWorld, domain: &str, strings: &[String]) -> StepResult {
    let fakes = w.fakes()?;
    let refs: Vec<&str> = strings.iter().map(String::as_str).collect();
    fakes
        .dns
        .zone
        .add_txt(&w.domain(domain), &refs)
        .await
        .map_err(|e| Failure::suite(e.to_string()))
}

#[given(regex = r#"^"([^"]+)" is an alias \(CNAME\) of "([^"]+)"$"#)]
async fn cname(w: &mut ScimWorld, alias: String, target: String) -> StepResult {
    let fakes = w.fakes()?;
    fakes
        .dns
        .zone
        .set_cname(&w.domain(&alias), &w.domain(&target))
        .await
        .map_err(|e| Failure::suite(e.to_string()))
}

#[given(regex = r#"^the zone file of "([^"]+)" holds the line: (.+)$"#)]
async fn zone_file_line(w: &mut ScimWorld, domain: String, line: String) -> StepResult {
    let fakes = w.fakes()?;
    let real = w.domain(&domain);
    let bare = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    // The fully-qualified spelling names the feature's domain: give it the unique name.
    let line = w
        .fill_code(&line, &domain)?
        .replace(&format!("{bare}. "), &format!("{real}. "));
    let text = format!(
        "$ORIGIN {real}.\n$TTL 60\n@ IN SOA ns1 hostmaster ( 1 3600 600 86400 60 )\n{line}\n"
    );
    fakes
        .dns
        .zone
        .load_zone_str(&text, Some(&real), "(scenario zone file)")
        .await
        .map(|_| ())
        .map_err(|e| Failure::suite(e.to_string()))
}

#[given(
    regex = r#"^the name server (fails with SERVFAIL|says it does not exist|refuses to answer|does not answer|truncates its UDP answers) for "([^"]+)"$"#
)]
async fn dns_fault(w: &mut ScimWorld, what: String, domain: String) -> StepResult {
    let fault = match what.as_str() {
        "fails with SERVFAIL" => Fault::ServFail,
        "says it does not exist" => Fault::NxDomain,
        "refuses to answer" => Fault::Refused,
        "does not answer" => Fault::Timeout,
        _ => Fault::Truncate,
    };
    let fakes = w.fakes()?;
    fakes
        .dns
        .zone
        .set_fault(&w.domain(&domain), fault)
        .map_err(|e| Failure::suite(e.to_string()))
}

/// A loopback port nothing listens on.
fn dead_port() -> Result<u16, Failure> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Failure::suite(format!("cannot find a free port: {e}")))
}

#[given(regex = r"^the (name server|web server) cannot be reached$")]
async fn unreachable(w: &mut ScimWorld, which: String) -> StepResult {
    let fakes = w.fakes()?;
    let dead = format!("127.0.0.1:{}", dead_port()?);
    let (mut dns, mut web) = (fakes.dns.addr.to_string(), fakes.web.addr().to_string());
    if which == "name server" {
        dns = dead;
    } else {
        web = dead;
    }
    // Shared by the whole target: such scenarios are @serial, and every scenario's
    // Background points the verifier back at the fakes.
    point_verifier(w, dns, web).await
}

#[given(regex = r#"^the web server serves the verification file for "([^"]+)"$"#)]
async fn web_file(w: &mut ScimWorld, domain: String) -> StepResult {
    let body = format!("{RECORD_PREFIX}{}", w.code_of(&domain)?);
    set_file(w, &domain, WebFile::body(body))
}

#[given(regex = r#"^the web server serves "([^"]*)" as the verification file for "([^"]+)"$"#)]
async fn web_body(w: &mut ScimWorld, text: String, domain: String) -> StepResult {
    let body = w.fill_code(&text, &domain)?;
    set_file(w, &domain, WebFile::body(body))
}

#[given(regex = r#"^the web server answers (\d{3}) for the verification file of "([^"]+)"$"#)]
async fn web_status(w: &mut ScimWorld, status: u16, domain: String) -> StepResult {
    set_file(w, &domain, WebFile::status(status))
}

#[given(regex = r#"^the web server redirects the verification file of "([^"]+)" to "([^"]+)"$"#)]
async fn web_redirect(w: &mut ScimWorld, domain: String, to: String) -> StepResult {
    set_file(w, &domain, WebFile::redirect(302, &to))
}

#[given(
    regex = r#"^the web server takes (\d+) seconds? to serve the verification file of "([^"]+)"$"#
)]
async fn web_slow(w: &mut ScimWorld, seconds: u64, domain: String) -> StepResult {
    let body = format!("{RECORD_PREFIX}{}", w.code_of(&domain)?);
    set_file(
        w,
        &domain,
        WebFile::body(body).delayed(Duration::from_secs(seconds)),
    )
}

#[given(regex = r#"^the web server serves a (\d+) MB verification file for "([^"]+)"$"#)]
async fn web_huge(w: &mut ScimWorld, mb: usize, domain: String) -> StepResult {
    let mut body = format!("{RECORD_PREFIX}{}", w.code_of(&domain)?).into_bytes();
    body.resize(mb.min(64) * 1024 * 1024, b'x');
    set_file(w, &domain, WebFile::body(body))
}

fn set_file(w: &ScimWorld, domain: &str, file: WebFile) -> StepResult {
    w.fakes()?.web.set(&w.domain(domain), file);
    Ok(())
}

#[when(regex = r#"^"([^"]+)" verifies "([^"]+)"( by DNS| by web file|)$"#)]
async fn verifies(w: &mut ScimWorld, account: String, domain: String, by: String) -> StepResult {
    let method = match by.trim() {
        "by DNS" => "dns",
        "by web file" => "web",
        _ => "any",
    };
    let path = admin_path::domain_verify(&w.domain(&domain));
    let body = json!({"account": account, "method": method});
    let r = w.call(Method::POST, &path, Some(&body), &[]).await?;
    expect(
        w,
        &r,
        &[200],
        "verifying a domain answers 200 with the verification",
    )?;
    if let Some(code) = r.body.pointer("/domain/code").and_then(Value::as_str) {
        w.verification.codes.insert(domain, code.to_string());
    }
    w.verification.last = r.body.get("verification").cloned();
    Ok(())
}

#[when(regex = r"^(\d+) days go by$")]
async fn days_pass(w: &mut ScimWorld, days: i64) -> StepResult {
    let body = json!({"days": days});
    let r = w
        .call(
            Method::POST,
            admin_path::TEST_CLOCK_ADVANCE,
            Some(&body),
            &[],
        )
        .await?;
    if r.status == 404 {
        return Err(Failure::skip(
            "the target has no test clock (time travel needs a reference on a simulated clock)",
        ));
    }
    expect(w, &r, &[200], "the test clock moves forward")
}

#[when(regex = r#"^the admin deletes "([^"]+)"$"#)]
async fn deletes(w: &mut ScimWorld, domain: String) -> StepResult {
    let path = admin_path::domain(&w.domain(&domain));
    w.call(Method::DELETE, &path, None, &[]).await.map(|_| ())
}

/// The User Sync admin API's domain setting (`PUT /admin/v1/org/domains/{d}`), which must not
/// undo a verification proven by DNS or web (E-DV-04).
#[when(regex = r#"^the organization's admin marks "([^"]+)" unverified$"#)]
async fn marks_unverified(w: &mut ScimWorld, domain: String) -> StepResult {
    let path = admin_path::org_domain(&w.domain(&domain));
    let body = serde_json::json!({"verified": false});
    w.call(Method::PUT, &path, Some(&body), &[])
        .await
        .map(|_| ())
}

fn last(w: &ScimWorld) -> Result<&Value, Failure> {
    w.verification
        .last
        .as_ref()
        .ok_or_else(|| Failure::suite("no verification was made before this step"))
}

#[then(regex = r#"^the result is "([a-z-]+)"$"#)]
async fn result_is(w: &mut ScimWorld, want: String) -> StepResult {
    let v = last(w)?;
    let got = v.get("code").and_then(Value::as_str).unwrap_or("(none)");
    let explanation = w.unmapped(v.get("explanation").and_then(Value::as_str).unwrap_or(""));
    ensure(
        got == want,
        w.last.as_ref(),
        SOURCE,
        "each verification outcome is distinct and explained (E-DV-05)",
        &want,
        format!("{got}: {explanation}"),
    )
}

#[then(regex = r#"^the explanation mentions "([^"]+)"$"#)]
async fn explanation_mentions(w: &mut ScimWorld, text: String) -> StepResult {
    let v = last(w)?;
    let explanation = w.unmapped(v.get("explanation").and_then(Value::as_str).unwrap_or(""));
    ensure(
        explanation.contains(&text),
        w.last.as_ref(),
        SOURCE,
        "the outcome explains what was found and what to do",
        format!("an explanation mentioning \"{text}\""),
        explanation,
    )
}

#[then(regex = r#"^"([^"]+)" is (pending|verified|expired)$"#)]
async fn state_is(w: &mut ScimWorld, domain: String, want: String) -> StepResult {
    let path = admin_path::domain(&w.domain(&domain));
    let r = w.call(Method::GET, &path, None, &[]).await?;
    expect(w, &r, &[200], "a domain can be read")?;
    let got = get_ci(&r.body, "state")
        .and_then(Value::as_str)
        .unwrap_or("(none)");
    ensure(
        got == want,
        w.last.as_ref(),
        "BEHAVIOUR E-DV-04",
        &format!("the domain \"{domain}\" is {want}"),
        &want,
        got,
    )
}

#[then(regex = r#"^"([^"]+)" is an organization admin$"#)]
async fn is_admin(w: &mut ScimWorld, account: String) -> StepResult {
    let r = w.call(Method::GET, admin_path::DOMAINS, None, &[]).await?;
    expect(
        w,
        &r,
        &[200],
        "the domains and the organization can be read",
    )?;
    let admins = r
        .body
        .pointer("/organization/admins")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    ensure(
        admins.iter().any(|a| a.as_str() == Some(account.as_str())),
        w.last.as_ref(),
        "BEHAVIOUR E-DV-01",
        "the account that verifies a domain becomes organization admin",
        &account,
        Value::Array(admins),
    )
}

#[then(regex = r#"^a new verification code has been issued for "([^"]+)"$"#)]
async fn new_code(w: &mut ScimWorld, domain: String) -> StepResult {
    let before = w.code_of(&domain)?;
    let v = last(w)?;
    let issued = v
        .get("newCode")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let path = admin_path::domain_code(&w.domain(&domain));
    let r = w.call(Method::GET, &path, None, &[]).await?;
    expect(w, &r, &[200], "the code can be read")?;
    let now = get_ci(&r.body, "code")
        .and_then(Value::as_str)
        .unwrap_or("");
    ensure(
        !now.is_empty() && (now == issued || issued.is_empty()),
        w.last.as_ref(),
        "BEHAVIOUR E-DV-04",
        "after the deadline a new code is issued and reported",
        format!("the code named in the result ({issued})"),
        now,
    )?;
    w.verification.codes.insert(domain, now.to_string());
    ensure(
        now != before || !issued.is_empty(),
        w.last.as_ref(),
        "BEHAVIOUR E-DV-04",
        "the new code differs from the expired one",
        "a different code",
        now,
    )
}

#[then(regex = r#"^"([^"]+)" is no longer listed$"#)]
async fn not_listed(w: &mut ScimWorld, domain: String) -> StepResult {
    let path = admin_path::domain(&w.domain(&domain));
    let r = w.call(Method::GET, &path, None, &[]).await?;
    expect(w, &r, &[404], "a deleted domain is gone")
}
