//! Steps of `features/provisioning`: the mock identity provider in product-owner language.
//! Each scenario gets its own directory. On the embedded run it also gets its own target (the
//! reference behind the fault layer, so "the app answers 500 to every request" is one switch
//! away). Against `--target URL` the job provisions that target: user and group names carry
//! the scenario's suffix (the target is shared), what the job created is deleted afterwards,
//! and the scenarios that need injected faults are skipped with that reason.

use crate::client::ScimClient;
use crate::clock::{Clock, SimClock};
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Failure, StepResult};
use crate::conformance::steps::lookup;
use crate::conformance::world::provisioning::ProvisioningScenario;
use crate::provisioning::entra::job::{JobConfig, ProvisioningJob};
use crate::provisioning::faulty_target::{Faults, FaultyTarget};
use crate::provisioning::requests::Compat;
use crate::provisioning::scoping::Scoping;
use crate::provisioning::tenant::{SourceGroup, Tenant, TenantSpec};
use crate::reference::config::ReferenceConfig;
use cucumber::{given, then, when};
use std::ops::Not as _;
use std::sync::Arc;

impl ProvisioningScenario {
    /// `ann@contoso.example` as this scenario spells it (`ann.12345678@...` when shared).
    pub fn upn(&self, local: &str) -> String {
        match &self.unique {
            Some(u) => format!("{local}.{u}@contoso.example"),
            None => format!("{local}@contoso.example"),
        }
    }
    /// An expected value of `attr` from the feature, with the same rewrites as the names:
    /// `ann@contoso.example` as [`Self::upn`], the `externalId` (mailNickname) suffixed.
    pub fn expected(&self, attr: &str, text: &str) -> String {
        let Some(u) = &self.unique else {
            return text.to_string();
        };
        if attr.eq_ignore_ascii_case("externalId") {
            return format!("{text}.{u}");
        }
        match text.split_once("@contoso.example") {
            Some((local, rest)) if !local.contains(' ') => format!("{}{rest}", self.upn(local)),
            _ => text.to_string(),
        }
    }
    /// A group's display name as this scenario spells it.
    pub fn group_name(&self, name: &str) -> String {
        match &self.unique {
            Some(u) => format!("{name} {u}"),
            None => name.to_string(),
        }
    }
    fn faults(&self) -> Result<&FaultyTarget, Failure> {
        self.target.as_ref().ok_or_else(|| {
            Failure::skip("this scenario injects faults, which only the embedded reference can")
        })
    }
}

pub(super) async fn scenario(w: &mut ScimWorld) -> Result<&mut ProvisioningScenario, Failure> {
    if w.provisioning.is_none() {
        let ctx = w.ctx()?;
        let clock = Arc::new(SimClock::default());
        // Object ids (group externalIds) derive from the seed: unique per scenario when the
        // target is shared.
        let seed = if ctx.embedded {
            1
        } else {
            w.suffix.parse().unwrap_or(1)
        };
        let tenant = Tenant::generate(&TenantSpec::new(0, 0, seed, clock.now()));
        let (target, client, unique) = if ctx.embedded {
            let target = FaultyTarget::start(
                ReferenceConfig::default(),
                clock.clone(),
                Faults::default(),
                1,
            )
            .await
            .map_err(|e| Failure::suite(format!("cannot start the target: {e}")))?;
            let client = ScimClient::new(
                &target.base_url,
                crate::client::Connection::default().direct(),
            )
            .map_err(|e| Failure::suite(e.to_string()))?;
            (Some(target), client, None)
        } else {
            (None, ctx.client.clone(), Some(w.suffix.clone()))
        };
        let job = ProvisioningJob::new(client, clock.clone(), JobConfig::default());
        w.provisioning = Some(Box::new(ProvisioningScenario {
            clock,
            tenant,
            target,
            job,
            unique,
            tracked: Default::default(),
        }));
    }
    w.provisioning
        .as_deref_mut()
        .ok_or_else(|| Failure::suite("no provisioning scenario"))
}

pub(super) fn user_index(s: &ProvisioningScenario, name: &str) -> Result<usize, Failure> {
    s.tenant
        .users
        .iter()
        .position(|u| u.given_name.as_deref() == Some(name))
        .ok_or_else(|| Failure::suite(format!("no user {name} in the directory")))
}

pub(super) fn check(
    ok: bool,
    statement: &str,
    expected: impl std::fmt::Display,
    actual: impl std::fmt::Display,
) -> StepResult {
    crate::conformance::assert::ensure(ok, None, "BEHAVIOUR §2", statement, expected, actual)
}

#[given(regex = r#"^(\w+) is (assigned|not assigned) to the app$"#)]
async fn user_assigned(w: &mut ScimWorld, name: String, how: String) -> StepResult {
    let s = scenario(w).await?;
    let now = s.clock.now();
    let mut rng = <rand_chacha::ChaCha8Rng as fake::rand::SeedableRng>::seed_from_u64(7);
    let mut u = s.tenant.new_user(&mut rng, now);
    u.given_name = Some(name.clone());
    u.display_name = format!("{name} {}", u.surname.clone().unwrap_or_default());
    u.user_principal_name = s.upn(&name.to_lowercase());
    u.mail = Some(u.user_principal_name.clone());
    u.mail_nickname = match &s.unique {
        Some(suffix) => format!("{}.{suffix}", name.to_lowercase()),
        None => name.to_lowercase(),
    };
    u.department = Some("Sales".into());
    u.assigned = how == "assigned";
    s.tenant.users.push(u);
    Ok(())
}

#[given(regex = r#"^the group "([^"]+)" with members? (.+) is assigned to the app$"#)]
async fn group_assigned(w: &mut ScimWorld, name: String, list: String) -> StepResult {
    let s = scenario(w).await?;
    let mut members = Vec::new();
    for n in super::names(&list) {
        let i = user_index(s, &n)?;
        members.push(s.tenant.users[i].object_id.clone());
    }
    let serial = s.tenant.next_serial;
    s.tenant.next_serial += 1;
    s.tenant.groups.push(SourceGroup {
        object_id: crate::provisioning::tenant::object_id(s.tenant.seed, serial),
        display_name: s.group_name(&name),
        mail_nickname: name.to_lowercase(),
        description: None,
        members,
        nested_groups: Vec::new(),
        assigned: true,
        hard_deleted: false,
        modified: s.clock.now(),
    });
    Ok(())
}

#[given(regex = r#"^the provider sends the (default|aadOptscim062020) request shapes$"#)]
async fn shapes(w: &mut ScimWorld, mode: String) -> StepResult {
    let s = scenario(w).await?;
    s.job.set_compat(Compat::parse(&mode).unwrap_or_default());
    Ok(())
}

#[given(regex = r#"^the user scoping filter is (.+)$"#)]
async fn scoping_filter(w: &mut ScimWorld, filter: String) -> StepResult {
    let s = scenario(w).await?;
    let f = Scoping::parse_filter(&filter).map_err(|e| Failure::suite(e.to_string()))?;
    let mut sc = s.job.config().scoping.clone();
    sc.user_filters.push(f);
    s.job.set_scoping(sc);
    Ok(())
}

/// E-SC-02: the admin saves a different scoping filter; the job clears its watermark.
#[when(regex = r#"^the admin changes the user scoping filter to (.+)$"#)]
async fn change_scoping_filter(w: &mut ScimWorld, filter: String) -> StepResult {
    let s = scenario(w).await?;
    let f = Scoping::parse_filter(&filter).map_err(|e| Failure::suite(e.to_string()))?;
    let mut sc = s.job.config().scoping.clone();
    sc.user_filters = vec![f];
    s.job.set_scoping(sc);
    Ok(())
}

#[given(regex = r#"^the accidental-deletion threshold is (\d+)$"#)]
async fn threshold(w: &mut ScimWorld, n: usize) -> StepResult {
    scenario(w).await?.job.set_deletion_threshold(n);
    Ok(())
}

#[given(
    regex = r#"^the app (rejects capitalised ops|answers 404 to a filter that matches nothing|returns members despite excludedAttributes)$"#
)]
async fn app_bug(w: &mut ScimWorld, bug: String) -> StepResult {
    let s = scenario(w).await?;
    s.faults()?.control.update(|f| match bug.as_str() {
        "rejects capitalised ops" => f.reject_capitalised_ops = true,
        "answers 404 to a filter that matches nothing" => f.not_found_on_empty_filter = true,
        _ => f.members_despite_excluded = true,
    });
    Ok(())
}

#[when(regex = r#"^the app answers (\d+) to every request$"#)]
async fn app_answers(w: &mut ScimWorld, status: u16) -> StepResult {
    scenario(w)
        .await?
        .faults()?
        .control
        .update(|f| f.always = Some(status));
    Ok(())
}

#[when(regex = r#"^the app recovers$"#)]
async fn app_recovers(w: &mut ScimWorld) -> StepResult {
    scenario(w).await?.faults()?.control.set(Faults::default());
    Ok(())
}

#[when(regex = r#"^the (?:initial )?cycle runs$"#)]
async fn one_cycle(w: &mut ScimWorld) -> StepResult {
    cycles(w, 1).await
}

#[when(regex = r#"^(\d+) (?:more )?cycles? runs?$"#)]
async fn cycles(w: &mut ScimWorld, n: u32) -> StepResult {
    let s = scenario(w).await?;
    for _ in 0..n {
        let Some(at) = s.job.next_run_at() else { break };
        s.clock.advance_to(at);
        s.job.tick(&s.tenant).await;
    }
    track(w);
    Ok(())
}

/// Against an external target, hands what the job created to the world's cleanup.
fn track(w: &mut ScimWorld) {
    let Some(s) = w.provisioning.as_deref_mut() else {
        return;
    };
    if s.target.is_some() {
        return;
    }
    let links = s
        .job
        .user_links()
        .values()
        .map(|id| ("Users", id))
        .chain(s.job.group_links().values().map(|id| ("Groups", id)));
    for (endpoint, id) in links {
        if s.tracked.insert(id.clone()) {
            w.cleanup.push((endpoint.to_string(), id.clone()));
        }
    }
}

#[when(
    regex = r#"^(\w+) (leaves the company|is unassigned from the app|is disabled in the directory|moves to the "([^"]+)" department)$"#
)]
async fn change(w: &mut ScimWorld, name: String, what: String, dept: String) -> StepResult {
    let s = scenario(w).await?;
    let i = user_index(s, &name)?;
    let now = s.clock.now() + chrono::Duration::seconds(1);
    let u = &mut s.tenant.users[i];
    match what.as_str() {
        "leaves the company" => u.soft_deleted_at = Some(now),
        "is unassigned from the app" => u.assigned = false,
        "is disabled in the directory" => u.account_enabled = false,
        _ => u.department = Some(dept),
    }
    u.modified = now;
    Ok(())
}

#[when(regex = r#"^30 days pass$"#)]
async fn thirty_days(w: &mut ScimWorld) -> StepResult {
    let s = scenario(w).await?;
    let now = s.clock.now() + chrono::Duration::days(30);
    s.clock.advance_to(now);
    let mut rng = <rand_chacha::ChaCha8Rng as fake::rand::SeedableRng>::seed_from_u64(1);
    crate::provisioning::churn::apply(
        &mut s.tenant,
        &crate::provisioning::churn::ChurnModel::new(0.0),
        &mut rng,
        now,
    );
    Ok(())
}

#[when(regex = r#"^the admin (stops|restarts) the job$"#)]
async fn admin(w: &mut ScimWorld, what: String) -> StepResult {
    let s = scenario(w).await?;
    if what == "stops" {
        s.job.stop();
    } else {
        s.job.restart(true, true);
    }
    Ok(())
}

#[when(regex = r#"^the admin (allows|rejects) the staged deletions$"#)]
async fn staged(w: &mut ScimWorld, what: String) -> StepResult {
    let s = scenario(w).await?;
    if what == "allows" {
        s.job.allow_staged_deletions();
    } else {
        s.job.reject_staged_deletions();
    }
    Ok(())
}

#[when(regex = r#"^(\w+) is provisioned on demand$"#)]
async fn on_demand(w: &mut ScimWorld, name: String) -> StepResult {
    let s = scenario(w).await?;
    let id = s.tenant.users[user_index(s, &name)?].object_id.clone();
    let r = s.job.provision_on_demand(&s.tenant, &id).await;
    track(w);
    check(
        r.succeeded(),
        "provision on demand succeeds",
        "every step ok",
        format!("{:?}", r.steps),
    )
}

pub(super) async fn target_user(
    s: &ProvisioningScenario,
    name: &str,
) -> Result<Option<serde_json::Value>, Failure> {
    let i = user_index(s, name)?;
    let Some(id) = s.job.user_links().get(&s.tenant.users[i].object_id) else {
        return Ok(None);
    };
    let r = s
        .job
        .client()
        .get(&format!("/Users/{id}"))
        .await
        .map_err(|e| Failure::suite(e.to_string()))?;
    Ok((r.status == 200).then_some(r.body))
}

#[then(regex = r#"^the app has (\w+) with ((?:[^\s\[]|\[[^\]]*\])+) "([^"]*)"$"#)]
async fn app_has(w: &mut ScimWorld, name: String, attr: String, want: String) -> StepResult {
    let s = scenario(w).await?;
    let want = s.expected(&attr, &want);
    let u = target_user(s, &name).await?;
    let got = u
        .as_ref()
        .and_then(|u| lookup(u, &attr))
        .map(|v| super::show(Some(v)));
    check(
        got.as_deref() == Some(want.as_str()),
        &format!("the app has {name} with {attr}"),
        &want,
        got.unwrap_or_else(|| "(absent)".into()),
    )
}

#[then(regex = r#"^the app (has|does not have|no longer has) (\w+)$"#)]
async fn app_has_user(w: &mut ScimWorld, how: String, name: String) -> StepResult {
    let s = scenario(w).await?;
    let u = target_user(s, &name).await?;
    let i = user_index(s, &name)?;
    let exists = match u {
        Some(_) => true,
        None => {
            let upn = s.tenant.users[i].user_principal_name.clone();
            let r = s
                .job
                .client()
                .get(&crate::provisioning::requests::find_user("userName", &upn).path)
                .await
                .map_err(|e| Failure::suite(e.to_string()))?;
            r.body
                .get("totalResults")
                .and_then(|t| t.as_u64())
                .unwrap_or(0)
                > 0
        }
    };
    check(
        exists == (how == "has"),
        &format!("the app {how} {name}"),
        how == "has",
        exists,
    )
}

#[then(regex = r#"^the app has group "([^"]+)" with members? (.+)$"#)]
async fn app_group(w: &mut ScimWorld, name: String, list: String) -> StepResult {
    let s = scenario(w).await?;
    let g = s
        .tenant
        .groups
        .iter()
        .find(|g| g.display_name == s.group_name(&name))
        .ok_or_else(|| Failure::suite("no such group"))?;
    let id = s
        .job
        .group_links()
        .get(&g.object_id)
        .cloned()
        .unwrap_or_default();
    let r = s
        .job
        .client()
        .get(&format!("/Groups/{id}"))
        .await
        .map_err(|e| Failure::suite(e.to_string()))?;
    let mut got: Vec<String> = r
        .body
        .get("members")
        .and_then(|m| m.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|m| m.get("value").and_then(|v| v.as_str()).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut want = Vec::new();
    for n in super::names(&list) {
        let i = user_index(s, &n)?;
        want.push(
            s.job
                .user_links()
                .get(&s.tenant.users[i].object_id)
                .cloned()
                .unwrap_or_default(),
        );
    }
    got.sort();
    want.sort();
    check(
        got == want,
        &format!("group {name} has exactly the members"),
        format!("{want:?}"),
        format!("{got:?}"),
    )
}

/// A provisioning log as product owners read it: `Create Ann: success`.
pub(super) fn log_lines(logs: &[crate::provisioning::logs::LogRecord]) -> Vec<String> {
    logs.iter()
        .map(|l| {
            let first = l.name.split(' ').next().unwrap_or("").to_string();
            format!("{} {first}: {}", l.action.as_str(), l.result.as_str())
        })
        .collect()
}

#[then(regex = r#"^the provisioning log shows "([^"]+)"$"#)]
async fn log_shows(w: &mut ScimWorld, line: String) -> StepResult {
    let s = scenario(w).await?;
    let lines = log_lines(s.job.logs());
    check(
        lines.contains(&line),
        "the provisioning log has the record",
        &line,
        lines.join("; "),
    )
}

#[then(regex = r#"^the job is (not )?in quarantine(?: for "([^"]+)"(?: \((\w+)\))?)?$"#)]
async fn quarantined(w: &mut ScimWorld, not: String, reason: String, code: String) -> StepResult {
    let s = scenario(w).await?;
    let got = s
        .job
        .quarantine()
        .as_ref()
        .map(|q| (q.reason.label().to_string(), q.reason.code().to_string()));
    let ok = match &got {
        Some((label, c)) if not.is_empty() => {
            (reason.is_empty() || *label == reason) && (code.is_empty() || *c == code)
        }
        Some(_) => false,
        None => not.is_empty().not(),
    };
    check(
        ok,
        "the job's quarantine state, with Graph's synchronizationQuarantine reason",
        if not.is_empty() {
            format!("quarantine {reason} ({code})")
        } else {
            "no quarantine".into()
        },
        got.map(|(l, c)| format!("{l} ({c})"))
            .unwrap_or_else(|| "none".into()),
    )
}

#[then(regex = r#"^the next cycle is (\d+) (hours|minutes) after the (first failure|last cycle)$"#)]
async fn next_cycle(w: &mut ScimWorld, n: i64, unit: String, from: String) -> StepResult {
    let s = scenario(w).await?;
    let base = if from == "first failure" {
        s.job.quarantine().as_ref().map(|q| q.since)
    } else {
        s.job.cycles().last().map(|c| c.sim_end)
    };
    let gap = match (s.job.next_run_at(), base) {
        (Some(n), Some(b)) => Some(n - b),
        _ => None,
    };
    let want = if unit == "hours" {
        chrono::Duration::hours(n)
    } else {
        chrono::Duration::minutes(n)
    };
    check(
        gap == Some(want),
        "the cycle schedule",
        format!("{n} {unit}"),
        format!("{:?}", gap.map(|g| g.num_minutes())),
    )
}

#[then(regex = r#"^(\d+) notification emails? (?:is|are) in the outbox$"#)]
async fn emails(w: &mut ScimWorld, n: usize) -> StepResult {
    let s = scenario(w).await?;
    check(
        s.job.outbox().len() == n,
        "notification emails",
        n,
        s.job.outbox().len(),
    )
}

#[then(regex = r#"^the job (runs no further cycles|is disabled)$"#)]
async fn no_more(w: &mut ScimWorld, what: String) -> StepResult {
    let s = scenario(w).await?;
    let state = format!("{:?}", s.job.state());
    let ok = s.job.next_run_at().is_none() && (what != "is disabled" || state == "Disabled");
    check(ok, "the job state", &what, state)
}

#[then(regex = r#"^the last cycle was (initial|incremental) and processed (\d+) objects?$"#)]
async fn last_cycle(w: &mut ScimWorld, kind: String, n: usize) -> StepResult {
    let s = scenario(w).await?;
    let c = s
        .job
        .cycles()
        .last()
        .ok_or_else(|| Failure::suite("no cycle ran"))?;
    let done = c.creates + c.updates + c.disables + c.deletes + c.skips + c.failures;
    check(
        c.initial == (kind == "initial") && done == n,
        "the last cycle's work",
        format!("{kind}, {n}"),
        format!("initial={}, {done}", c.initial),
    )
}

#[then(regex = r#"^the app reported a protocol deviation about "([^"]+)"$"#)]
async fn deviation(w: &mut ScimWorld, text: String) -> StepResult {
    let s = scenario(w).await?;
    let found = s
        .job
        .compliance_warnings()
        .iter()
        .any(|x| x.contains(&text));
    check(
        found,
        "protocol deviations are reported",
        &text,
        s.job.compliance_warnings().join("; "),
    )
}

#[then(regex = r#"^(\d+) (?:deletions are|deletion is) staged$"#)]
async fn staged_n(w: &mut ScimWorld, n: usize) -> StepResult {
    let s = scenario(w).await?;
    check(
        s.job.staged().len() == n,
        "staged disables and deletes",
        n,
        s.job.staged().len(),
    )
}

#[then(
    regex = r#"^the job's synchronizationStatus is (\w+)(?:, with nextAttempt (\d+) hours after seriesBegan and currentBegan at the last cycle's start)?$"#
)]
async fn sync_status(w: &mut ScimWorld, code: String, hours: String) -> StepResult {
    let s = scenario(w).await?;
    let st = s.job.sync_status();
    let last_start = s.job.cycles().last().map(|c| c.sim_start);
    let ok = st.code == code
        && match (hours.parse::<i64>(), &st.quarantine) {
            (Err(_), _) => true,
            (Ok(h), Some(q)) => {
                q.next_attempt == Some(q.series_began + chrono::Duration::hours(h))
                    && Some(q.current_began) == last_start
            }
            (Ok(_), None) => false,
        };
    check(
        ok,
        "E-Q-04: the job's state in Graph's synchronizationStatus terms, on the simulated clock",
        format!("{code} {hours}"),
        serde_json::to_string(&st).unwrap_or_default(),
    )
}
