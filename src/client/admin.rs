//! A typed client for the product's admin API (`/admin/v1/...`): the organization, its
//! domains, User Sync's rules, switch, licenses, outbox and applied sequence, and
//! [`AdminClient::prepare_org`], the User Sync prerequisites every setup needs. The API is
//! described in `openapi/usersync-admin.json`; a test checks every path here is served.
//!
//! [`path`] names every admin URL once. The conformance steps send their own requests (they
//! record each exchange as evidence) but take the paths from here.

use super::{ClientError, ScimClient, ScimResponse};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Every admin API path, built in one place.
pub mod path {
    use crate::client::encode;

    pub const LIMITS: &str = "/admin/v1/limits";
    pub const ORG: &str = "/admin/v1/org";
    pub const ORG_ADMINS: &str = "/admin/v1/org/admins";
    pub const SWITCH: &str = "/admin/v1/usersync/switch";
    pub const RULES: &str = "/admin/v1/usersync/rules";
    pub const RULE_ORDER: &str = "/admin/v1/usersync/rule-order";
    pub const CUSTOM_ATTRIBUTES: &str = "/admin/v1/usersync/custom-attributes";
    pub const LICENSES: &str = "/admin/v1/usersync/licenses";
    pub const OUTBOX: &str = "/admin/v1/usersync/outbox";
    pub const FOREIGN_ACCOUNTS: &str = "/admin/v1/usersync/foreign-accounts";
    pub const SEQUENCE: &str = "/admin/v1/usersync/sequence";
    pub const RESULTS: &str = "/admin/v1/usersync/results";
    pub const RESULTS_RETRY: &str = "/admin/v1/usersync/results/retry";
    /// The domain-verification API.
    pub const DOMAINS: &str = "/admin/v1/domains";
    /// Test-only endpoints of the reference (fake servers, the simulated clock).
    pub const TEST_VERIFICATION_SERVERS: &str = "/admin/v1/test/verification-servers";
    pub const TEST_CLOCK: &str = "/admin/v1/test/clock";
    pub const TEST_CLOCK_ADVANCE: &str = "/admin/v1/test/clock/advance";

    pub fn org_admin(id: &str) -> String {
        format!("{ORG_ADMINS}/{id}")
    }
    pub fn org_admin_roles(id: &str) -> String {
        format!("{ORG_ADMINS}/{id}/roles")
    }
    pub fn org_domain(domain: &str) -> String {
        format!("{ORG}/domains/{domain}")
    }
    pub fn rule(id: &str) -> String {
        format!("{RULES}/{id}")
    }
    pub fn license(product: &str) -> String {
        format!("{LICENSES}/{}", encode(product))
    }
    pub fn outbox_of(user_id: &str) -> String {
        format!("{OUTBOX}?userId={}", encode(user_id))
    }
    pub fn foreign_account(user_name: &str) -> String {
        format!("{FOREIGN_ACCOUNTS}/{}", encode(user_name))
    }
    /// The long poll for the applied sequence: until `sequence` is applied (everything
    /// enqueued so far when `None`), at most `timeout_ms`.
    pub fn sequence_wait(sequence: Option<u64>, timeout_ms: u64) -> String {
        match sequence {
            Some(s) => format!("{SEQUENCE}/wait?sequence={s}&timeoutMs={timeout_ms}"),
            None => format!("{SEQUENCE}/wait?timeoutMs={timeout_ms}"),
        }
    }
    pub fn results_with(result: &str) -> String {
        format!("{RESULTS}?result={}", encode(result))
    }
    pub fn user_result(id: &str) -> String {
        format!("/admin/v1/usersync/users/{id}")
    }
    pub fn user_retry(id: &str) -> String {
        format!("/admin/v1/usersync/users/{id}/retry")
    }
    pub fn user_login(id: &str) -> String {
        format!("/admin/v1/usersync/users/{id}/login")
    }
    pub fn user_product_data(id: &str) -> String {
        format!("/admin/v1/usersync/users/{id}/product-data")
    }
    pub fn domain(domain: &str) -> String {
        format!("{DOMAINS}/{domain}")
    }
    pub fn domain_code(domain: &str) -> String {
        format!("{DOMAINS}/{domain}/code")
    }
    pub fn domain_verify(domain: &str) -> String {
        format!("{DOMAINS}/{domain}/verify")
    }

    /// One concrete path from every function and constant above (for the test that keeps
    /// them and the router in step).
    pub fn examples() -> Vec<String> {
        let id = "00000000-0000-4000-8000-000000000000";
        let mut v: Vec<String> = [
            LIMITS,
            ORG,
            ORG_ADMINS,
            SWITCH,
            RULES,
            RULE_ORDER,
            CUSTOM_ATTRIBUTES,
            LICENSES,
            OUTBOX,
            FOREIGN_ACCOUNTS,
            SEQUENCE,
            RESULTS,
            RESULTS_RETRY,
            DOMAINS,
            TEST_VERIFICATION_SERVERS,
            TEST_CLOCK,
            TEST_CLOCK_ADVANCE,
        ]
        .map(str::to_string)
        .to_vec();
        v.extend([
            org_admin(id),
            org_admin_roles(id),
            org_domain("example.org"),
            rule(id),
            license("Meeting"),
            outbox_of(id),
            foreign_account("ann@example.org"),
            sequence_wait(Some(1), 10),
            sequence_wait(None, 10),
            results_with("failure"),
            user_result(id),
            user_retry(id),
            user_login(id),
            user_product_data(id),
            domain("example.org"),
            domain_code("example.org"),
            domain_verify("example.org"),
        ]);
        v
    }
}

/// The admin roles User Sync's prerequisite asks of one admin (S-US-10).
pub const BOTH_ROLES: [&str; 2] = ["organizationAdmin", "productAdmin"];

/// Why an admin call did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("{what}: {method} {path} answered HTTP {status}: {detail}{}", unmet_text(.unmet))]
    Refused {
        what: &'static str,
        method: Method,
        path: String,
        status: u16,
        /// The SCIM error's `detail`, or the start of the body.
        detail: String,
        /// What the switch said was missing, when it refused for prerequisites.
        unmet: Vec<String>,
    },
    #[error("sequence {sequence} was not applied within {} s", .limit.as_secs())]
    NotApplied { sequence: u64, limit: Duration },
}

fn unmet_text(unmet: &[String]) -> String {
    if unmet.is_empty() {
        String::new()
    } else {
        format!(" (unmet: {})", unmet.join("; "))
    }
}

impl AdminError {
    /// The refusal's status, if the target answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            AdminError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The User Sync engine's progress (`GET /admin/v1/usersync/sequence`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sequence {
    pub enqueued: u64,
    pub applied: u64,
}

/// A client for the admin API, over the same [`ScimClient`] (and token) as the SCIM calls.
#[derive(Debug, Clone)]
pub struct AdminClient {
    scim: ScimClient,
}

impl AdminClient {
    pub fn new(scim: ScimClient) -> AdminClient {
        AdminClient { scim }
    }

    /// Sends one admin request and accepts only the `ok` statuses.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        ok: &[u16],
        what: &'static str,
    ) -> Result<ScimResponse, AdminError> {
        let r = self.scim.send(method.clone(), path, body, &[]).await?;
        if ok.contains(&r.status) {
            return Ok(r);
        }
        let detail = r
            .body
            .get("detail")
            .and_then(Value::as_str)
            .map_or_else(|| r.raw.chars().take(300).collect(), str::to_string);
        let unmet = strings(r.body.get("unmetPrerequisites"));
        Err(AdminError::Refused {
            what,
            method,
            path: path.to_string(),
            status: r.status,
            detail,
            unmet,
        })
    }

    /// Whether the target serves User Sync's admin API at all (its rules answer 200).
    pub async fn serves_usersync(&self) -> Result<bool, ClientError> {
        Ok(self.scim.get(path::RULES).await?.status == 200)
    }

    /// The organization: its admins and domains.
    pub async fn org(&self) -> Result<Value, AdminError> {
        let r = self
            .call(
                Method::GET,
                path::ORG,
                None,
                &[200],
                "reading the organization",
            )
            .await?;
        Ok(r.body)
    }

    /// The organization's verified domains.
    pub async fn verified_domains(&self) -> Result<Vec<String>, AdminError> {
        let org = self.org().await?;
        Ok(org
            .get("domains")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter(|d| d.get("verified").and_then(Value::as_bool) == Some(true))
                    .filter_map(|d| d.get("name").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Adds an admin with these roles; returns its id.
    pub async fn add_admin(&self, email: &str, roles: &[&str]) -> Result<String, AdminError> {
        let body = json!({"email": email, "roles": roles});
        let r = self
            .call(
                Method::POST,
                path::ORG_ADMINS,
                Some(&body),
                &[201],
                "adding an organization admin",
            )
            .await?;
        Ok(id_of(&r))
    }

    /// Marks a domain of the organization verified (or not).
    pub async fn set_domain_verified(
        &self,
        domain: &str,
        verified: bool,
    ) -> Result<(), AdminError> {
        self.call(
            Method::PUT,
            &path::org_domain(domain),
            Some(&json!({"verified": verified})),
            &[200],
            "setting the organization domain's verification",
        )
        .await
        .map(|_| ())
    }

    /// User Sync's organization prerequisites (S-US-10): an admin holding both roles, and
    /// `domain` verified. Every setup on the embedded reference calls this first; on an
    /// external target that serves the admin API it adds that admin and domain there too.
    pub async fn prepare_org(&self, admin_email: &str, domain: &str) -> Result<(), AdminError> {
        self.add_admin(admin_email, &BOTH_ROLES).await?;
        self.set_domain_verified(domain, true).await
    }

    /// Creates a rule granting `products` to the members of `group_id`; returns its id.
    pub async fn create_rule(
        &self,
        group_id: &str,
        products: &[String],
    ) -> Result<String, AdminError> {
        let body = json!({"groupId": group_id, "products": products});
        let r = self
            .call(
                Method::POST,
                path::RULES,
                Some(&body),
                &[201],
                "creating a rule",
            )
            .await?;
        Ok(id_of(&r))
    }

    /// The rules as (group id, products); `None` when the target has no admin API (404).
    pub async fn rules(&self) -> Result<Option<Vec<(String, Vec<String>)>>, AdminError> {
        let r = self
            .call(
                Method::GET,
                path::RULES,
                None,
                &[200, 404],
                "reading the rules",
            )
            .await?;
        if r.status == 404 {
            return Ok(None);
        }
        Ok(Some(
            r.body
                .get("rules")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|rule| {
                            let g = rule.get("groupId")?.as_str()?.to_string();
                            Some((g, strings(rule.get("products"))))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        ))
    }

    /// Turns User Sync on or off.
    pub async fn set_switch(&self, on: bool) -> Result<(), AdminError> {
        self.call(
            Method::PUT,
            path::SWITCH,
            Some(&json!({"on": on})),
            &[200],
            "turning User Sync on or off",
        )
        .await
        .map(|_| ())
    }

    /// The licenses document (`{"licenses": [...]}`).
    pub async fn licenses(&self) -> Result<Value, AdminError> {
        let r = self
            .call(
                Method::GET,
                path::LICENSES,
                None,
                &[200],
                "reading the licenses",
            )
            .await?;
        Ok(r.body)
    }

    /// The outbox (the emails the product sent), for every user.
    pub async fn outbox(&self) -> Result<Value, AdminError> {
        let r = self
            .call(
                Method::GET,
                path::OUTBOX,
                None,
                &[200],
                "reading the outbox",
            )
            .await?;
        Ok(r.body)
    }

    /// How far the engine has got.
    pub async fn sequence(&self) -> Result<Sequence, AdminError> {
        let r = self
            .call(
                Method::GET,
                path::SEQUENCE,
                None,
                &[200],
                "reading the sequence",
            )
            .await?;
        let n = |k: &str| r.body.get(k).and_then(Value::as_u64).unwrap_or(0);
        Ok(Sequence {
            enqueued: n("enqueued"),
            applied: n("applied"),
        })
    }

    /// One long poll: whether `sequence` (everything enqueued when `None`) was applied
    /// within `timeout`.
    pub async fn wait_applied(
        &self,
        sequence: Option<u64>,
        timeout: Duration,
    ) -> Result<bool, AdminError> {
        let path = path::sequence_wait(sequence, timeout.as_millis() as u64);
        let r = self
            .call(
                Method::GET,
                &path,
                None,
                &[200],
                "waiting for the applied sequence",
            )
            .await?;
        Ok(r.body.get("reached").and_then(Value::as_bool) == Some(true))
    }

    /// Waits until everything enqueued so far is applied, long-polling 10 s at a time and
    /// giving up after `limit`.
    pub async fn settle(&self, limit: Duration) -> Result<(), AdminError> {
        let sequence = self.sequence().await?.enqueued;
        let start = Instant::now();
        while start.elapsed() < limit {
            if self
                .wait_applied(Some(sequence), Duration::from_secs(10))
                .await?
            {
                return Ok(());
            }
        }
        Err(AdminError::NotApplied { sequence, limit })
    }
}

/// The strings of a JSON array (none when it is absent or not an array).
fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The `id` of a created resource ("" when the body has none).
pub(crate) fn id_of(r: &ScimResponse) -> String {
    r.body
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}
