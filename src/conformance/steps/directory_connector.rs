//! Steps of `features/usersync/directory-connector.feature`: the Active Directory Connector v2
//! pushing an on-premises directory into the target, in the product owner's words ("Ann and
//! Bob are in the AD group "Sales"", "the connector runs"). After each run the pushed users
//! and groups are known to the scenario by their feature names, so the User Sync steps
//! ("the rule "Sales -> Meeting"", "Ann is suspended") work on them unchanged.

use super::provisioning::log_lines;
use crate::clock::{Clock, SimClock};
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Failure, StepResult};
use crate::conformance::steps::lookup;
use crate::conformance::world::Created;
use crate::conformance::world::adc::AdcScenario;
use crate::provisioning::adc::{AdcConfig, Connector, Directory};
use crate::provisioning::tenant::SourceGroup;
use crate::scim::schema::ENTERPRISE_USER_SCHEMA;
use cucumber::{given, then, when};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// The domain `User Sync is set up for the organization` verifies.
const DOMAIN: &str = "example.com";
const SOURCE: &str = "ISSUE 8 (Active Directory Connector v2)";

fn scenario(w: &mut ScimWorld) -> Result<&mut AdcScenario, Failure> {
    if w.adc.is_none() {
        let ctx = w.ctx()?;
        let clock = Arc::new(SimClock::default());
        let dir = Directory::empty(DOMAIN, 1, clock.now());
        let conn = Connector::new(ctx.client.clone(), AdcConfig::default());
        w.adc = Some(Box::new(AdcScenario {
            clock,
            dir,
            conn,
            users: HashMap::new(),
            groups: HashMap::new(),
        }));
    }
    w.adc
        .as_deref_mut()
        .ok_or_else(|| Failure::suite("no connector scenario"))
}

/// A directory group by object id.
fn group_mut<'a>(s: &'a mut AdcScenario, id: &str) -> Result<&'a mut SourceGroup, Failure> {
    s.dir
        .tenant
        .groups
        .iter_mut()
        .find(|g| g.object_id == id)
        .ok_or_else(|| Failure::suite(format!("no AD group {id}")))
}

fn check(
    ok: bool,
    statement: &str,
    expected: impl std::fmt::Display,
    actual: impl std::fmt::Display,
) -> StepResult {
    crate::conformance::assert::ensure(ok, None, SOURCE, statement, expected, actual)
}

/// A unique directory object id in the scenario's `externalId` scope.
fn new_id(w: &ScimWorld) -> String {
    format!("{}{}", w.scope_prefix(), uuid::Uuid::new_v4().simple())
}

fn group_id(w: &mut ScimWorld, name: &str, selected: bool) -> Result<String, Failure> {
    if let Some(id) = w.adc.as_ref().and_then(|s| s.groups.get(name)).cloned() {
        let s = scenario(w)?;
        if selected && !s.dir.selected.contains(&id) {
            s.dir.selected.push(id.clone());
        }
        return Ok(id);
    }
    let id = new_id(w);
    let display = w.group_name(name);
    let s = scenario(w)?;
    let now = s.clock.now();
    let serial_id = s.dir.add_group(&display, now, selected);
    let g = group_mut(s, &serial_id)?;
    g.object_id = id.clone();
    if selected {
        s.dir.selected.retain(|x| *x != serial_id);
        s.dir.selected.push(id.clone());
    }
    s.groups.insert(name.to_string(), id.clone());
    Ok(id)
}

fn user_id(w: &mut ScimWorld, name: &str, domain: &str) -> Result<String, Failure> {
    if let Some(id) = w.adc.as_ref().and_then(|s| s.users.get(name)).cloned() {
        return Ok(id);
    }
    let id = new_id(w);
    let upn = format!("{}@{domain}", w.local_name(&name.to_lowercase()));
    let s = scenario(w)?;
    let now = s.clock.now();
    let mut rng = <rand_chacha::ChaCha8Rng as fake::rand::SeedableRng>::seed_from_u64(7);
    let mut u = s.dir.tenant.new_user(&mut rng, now);
    u.object_id = id.clone();
    u.given_name = Some(name.to_string());
    u.display_name = format!("{name} {}", u.surname.clone().unwrap_or_default());
    u.user_principal_name = upn.clone();
    u.mail = Some(upn);
    u.mail_nickname = name.to_lowercase();
    u.department = Some("Sales".into());
    s.dir.tenant.users.push(u);
    s.users.insert(name.to_string(), id.clone());
    Ok(id)
}

fn join(w: &mut ScimWorld, user: &str, domain: &str, group: &str) -> StepResult {
    let uid = user_id(w, user, domain)?;
    let gid = group_id(w, group, false)?;
    let s = scenario(w)?;
    let now = s.clock.now();
    let g = group_mut(s, &gid)?;
    if !g.members.contains(&uid) {
        g.members.push(uid);
        g.modified = now;
    }
    Ok(())
}

#[given(regex = r#"^the connector syncs the AD group "([^"]+)"$"#)]
async fn selects(w: &mut ScimWorld, group: String) -> StepResult {
    group_id(w, &group, true).map(|_| ())
}

#[given(regex = r#"^the AD group "([^"]+)" is nested in "([^"]+)"$"#)]
async fn nested(w: &mut ScimWorld, child: String, parent: String) -> StepResult {
    let c = group_id(w, &child, false)?;
    let p = group_id(w, &parent, false)?;
    let s = scenario(w)?;
    group_mut(s, &p)?.nested_groups.push(c);
    Ok(())
}

#[given(regex = r#"^([\w, ]+?) (?:is|are) in the AD group "([^"]+)"$"#)]
async fn members(w: &mut ScimWorld, list: String, group: String) -> StepResult {
    for n in super::names(&list) {
        join(w, &n, DOMAIN, &group)?;
    }
    Ok(())
}

#[given(regex = r#"^(\w+) from "([^"]+)" is in the AD group "([^"]+)"$"#)]
async fn foreign_member(
    w: &mut ScimWorld,
    name: String,
    domain: String,
    group: String,
) -> StepResult {
    join(w, &name, &domain, &group)
}

/// Sets a directory attribute of a user and stamps the change.
fn set_attribute(w: &mut ScimWorld, name: &str, attr: &str, value: &str) -> StepResult {
    let id = user_id(w, name, DOMAIN)?;
    let s = scenario(w)?;
    let now = s.clock.now();
    let u = s
        .dir
        .tenant
        .users
        .iter_mut()
        .find(|u| u.object_id == id)
        .ok_or_else(|| Failure::suite(format!("no AD user {name}")))?;
    let v = Some(value.to_string());
    match attr {
        "employeeId" => u.employee_id = v,
        "costCenter" => u.cost_center = v,
        "division" => u.division = v,
        "department" => u.department = v,
        other => {
            return Err(Failure::suite(format!(
                "no AD attribute {other} in the steps"
            )));
        }
    }
    u.modified = now;
    Ok(())
}

#[given(regex = r#"^(\w+)'s (employeeId|costCenter|division|department) in AD is "([^"]*)"$"#)]
async fn attribute(w: &mut ScimWorld, name: String, attr: String, value: String) -> StepResult {
    set_attribute(w, &name, &attr, &value)
}

#[when(
    regex = r#"^(\w+)'s (employeeId|costCenter|division|department) changes to "([^"]*)" in AD$"#
)]
async fn attribute_changes(
    w: &mut ScimWorld,
    name: String,
    attr: String,
    value: String,
) -> StepResult {
    set_attribute(w, &name, &attr, &value)
}

#[when(regex = r#"^(\w+) moves to the "([^"]+)" department in AD$"#)]
async fn moves(w: &mut ScimWorld, name: String, dept: String) -> StepResult {
    set_attribute(w, &name, "department", &dept)
}

#[when(regex = r#"^(\w+) is removed from the AD group "([^"]+)"$"#)]
async fn removed(w: &mut ScimWorld, name: String, group: String) -> StepResult {
    let uid = user_id(w, &name, DOMAIN)?;
    let gid = group_id(w, &group, false)?;
    let s = scenario(w)?;
    let now = s.clock.now();
    let g = group_mut(s, &gid)?;
    g.members.retain(|m| *m != uid);
    g.modified = now;
    Ok(())
}

/// One poll; the pushed objects become the scenario's users and groups (and its cleanup).
async fn run(w: &mut ScimWorld) -> StepResult {
    let s = scenario(w)?;
    if let Some(at) = s.conn.next_run_at() {
        s.clock.advance_to(at);
    }
    let now = s.clock.now();
    let summary = s.conn.run(&s.dir, now).await;
    if let Some(reason) = summary.aborted {
        return Err(Failure::new(
            SOURCE,
            "the connector run completes",
            "a run",
            reason,
        ));
    }
    let mut users = Vec::new();
    let mut groups = Vec::new();
    for (name, src) in &s.users {
        if let (Some(id), Some(u)) = (
            s.conn.user_links.get(src),
            s.dir.tenant.users.iter().find(|u| u.object_id == *src),
        ) {
            users.push((name.clone(), id.clone(), u.user_principal_name.clone()));
        }
    }
    for (name, src) in &s.groups {
        if let Some(id) = s.conn.group_links.get(src) {
            groups.push((name.clone(), id.clone()));
        }
    }
    for (name, id, upn) in users {
        if !w.users.contains_key(&name) {
            w.cleanup.push(("Users".into(), id.clone()));
        }
        w.users.insert(name, Created { id, real_name: upn });
    }
    for (name, id) in groups {
        if !w.groups.contains_key(&name) {
            w.cleanup.push(("Groups".into(), id.clone()));
        }
        let real_name = w.group_name(&name);
        w.groups.insert(name, Created { id, real_name });
    }
    Ok(())
}

#[given(regex = r"^the connector has run$")]
async fn has_run(w: &mut ScimWorld) -> StepResult {
    run(w).await
}

#[when(regex = r"^the connector runs(?: again)?$")]
async fn runs(w: &mut ScimWorld) -> StepResult {
    run(w).await
}

#[then(regex = r"^the product has ([\w, ]+)$")]
async fn has_users(w: &mut ScimWorld, list: String) -> StepResult {
    for n in super::names(&list) {
        let id = w.users.get(&n).map(|c| c.id.clone()).ok_or_else(|| {
            Failure::new(SOURCE, format!("{n} was pushed"), "a product id", "none")
        })?;
        let r = w.read("Users", &id).await?;
        check(
            r.status == 200,
            &format!("the product has {n}"),
            200,
            r.status,
        )?;
    }
    Ok(())
}

#[then(regex = r"^the product does not have (\w+)$")]
async fn has_not(w: &mut ScimWorld, name: String) -> StepResult {
    let upn = {
        let s = scenario(w)?;
        let id = s.users.get(&name).cloned().unwrap_or_default();
        s.dir
            .tenant
            .users
            .iter()
            .find(|u| u.object_id == id)
            .map(|u| u.user_principal_name.clone())
            .ok_or_else(|| Failure::suite(format!("no AD user {name}")))?
    };
    let r = w
        .search_users(Some(&format!("userName eq \"{upn}\"")), "")
        .await?;
    let n = r.body.get("totalResults").and_then(Value::as_u64);
    check(
        n == Some(0),
        &format!("the product does not have {name}"),
        0,
        format!("{n:?}"),
    )
}

#[then(regex = r#"^the product has the group "([^"]+)" with members (.+)$"#)]
async fn group_members(w: &mut ScimWorld, group: String, list: String) -> StepResult {
    let gid = w.group(&group)?.id;
    let mut want = BTreeSet::new();
    for n in super::names(&list) {
        let id = match w.users.get(&n) {
            Some(u) => u.id.clone(),
            None => w.group(&n)?.id,
        };
        want.insert(id);
    }
    let r = w.read("Groups", &gid).await?;
    let got = crate::provisioning::sim::converge::values(r.body.get("members"));
    check(
        got == want,
        &format!("\"{group}\" has exactly the members (users and nested groups)"),
        format!("{want:?}"),
        format!("{got:?}"),
    )
}

#[then(regex = r#"^the product has (\w+) with (\w+) "([^"]*)"$"#)]
async fn user_attribute(w: &mut ScimWorld, name: String, attr: String, want: String) -> StepResult {
    let id = w.user(&name)?.id;
    let r = w.read("Users", &id).await?;
    let got = lookup(&r.body, &attr)
        .or_else(|| lookup(&r.body, &format!("{ENTERPRISE_USER_SCHEMA}:{attr}")))
        .map(|v| super::show(Some(v)));
    check(
        got.as_deref() == Some(want.as_str()),
        &format!("the product has {name} with {attr}"),
        &want,
        got.unwrap_or_else(|| "(absent)".into()),
    )
}

#[then(regex = r#"^the connector log shows "([^"]+)"(?: because "([^"]+)")?$"#)]
async fn log_shows(w: &mut ScimWorld, line: String, because: String) -> StepResult {
    let s = scenario(w)?;
    let lines = log_lines(&s.conn.logs);
    let found = s
        .conn
        .logs
        .iter()
        .zip(&lines)
        .any(|(r, l)| *l == line && r.reason.contains(&because));
    let reasons: Vec<String> = s
        .conn
        .logs
        .iter()
        .zip(&lines)
        .map(|(r, l)| format!("{l} ({})", r.reason))
        .collect();
    check(
        found,
        "the connector's log has the record",
        format!("{line} because {because}"),
        reasons.join("; "),
    )
}

#[then(
    regex = r"^the last run created (\d+) objects?, updated (\d+) and sent (\d+) membership changes?$"
)]
async fn last_run(w: &mut ScimWorld, creates: usize, updates: usize, members: usize) -> StepResult {
    let s = scenario(w)?;
    let r = s
        .conn
        .runs
        .last()
        .ok_or_else(|| Failure::suite("the connector has not run"))?;
    let got = (r.creates, r.updates, r.member_patches);
    check(
        got == (creates, updates, members),
        "a run pushes only the differences",
        format!("created {creates}, updated {updates}, {members} membership changes"),
        format!(
            "created {}, updated {}, {} membership changes",
            got.0, got.1, got.2
        ),
    )
}
