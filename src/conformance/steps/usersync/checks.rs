//! Then: what the users show in SCIM (entitlements, roles, the User Sync extension), what the
//! outbox holds, what the switch said, and how fast it all happened.

use super::setup::outbox_of;
use super::{SOURCE, admin, admin_ok, ext, products_of, quoted, read_user, settle, settle_within};
use crate::client::admin::path as admin_path;
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Exchange, Failure, StepResult};
use crate::conformance::steps::show;
use cucumber::gherkin::Step;
use cucumber::then;
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

/// `assert::ensure` with an owned statement.
fn ensure(
    cond: bool,
    exchange: Option<&Exchange>,
    source: &str,
    statement: impl AsRef<str>,
    expected: impl std::fmt::Display,
    actual: impl std::fmt::Display,
) -> StepResult {
    crate::conformance::assert::ensure(cond, exchange, source, statement.as_ref(), expected, actual)
}

/// Seats of a product in use (0 for a product never granted).
pub(super) async fn seats_used(w: &mut ScimWorld, product: &str) -> Result<u64, Failure> {
    let r = admin_ok(
        w,
        Method::GET,
        admin_path::LICENSES,
        None,
        &[200],
        "licenses can be read",
    )
    .await?;
    Ok(r.body
        .get("licenses")
        .and_then(Value::as_array)
        .and_then(|a| {
            a.iter()
                .find(|l| l.get("product").and_then(Value::as_str) == Some(product))
        })
        .and_then(|l| l.get("used"))
        .and_then(Value::as_u64)
        .unwrap_or(0))
}

async fn settled_user(w: &mut ScimWorld, name: &str) -> Result<Value, Failure> {
    settle(w).await?;
    read_user(w, name).await
}

fn set(v: Vec<String>) -> BTreeSet<String> {
    v.into_iter().collect()
}

#[then(regex = r"^(\w+) has the products? (.+)$")]
async fn has_products(w: &mut ScimWorld, name: String, list: String) -> StepResult {
    let user = settled_user(w, &name).await?;
    let got = products_of(&user);
    let want = quoted(&list);
    ensure(
        set(got.clone()) == set(want.clone()),
        w.last.as_ref(),
        "BEHAVIOUR S-US-01, S-US-07; RFC 7643 §4.1.2 entitlements",
        format!("{name}'s entitlements are exactly the products of the matching rules"),
        want.join(", "),
        if got.is_empty() {
            "(none)".into()
        } else {
            got.join(", ")
        },
    )
}

#[then(regex = r"^(\w+) has no products$")]
async fn no_products(w: &mut ScimWorld, name: String) -> StepResult {
    let user = settled_user(w, &name).await?;
    let got = products_of(&user);
    ensure(
        got.is_empty(),
        w.last.as_ref(),
        "BEHAVIOUR S-US-01",
        format!("{name} has no entitlements"),
        "(none)",
        got.join(", "),
    )
}

fn role_of(user: &Value) -> Option<String> {
    user.get("roles")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(|r| r.get("value"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

#[then(regex = r#"^(\w+) has the admin role "([^"]+)"$"#)]
async fn has_role(w: &mut ScimWorld, name: String, role: String) -> StepResult {
    let user = settled_user(w, &name).await?;
    let got = role_of(&user);
    ensure(
        got.as_deref() == Some(role.as_str()),
        w.last.as_ref(),
        "BEHAVIOUR S-US-01, S-US-07; RFC 7643 §4.1.2 roles",
        format!("{name}'s admin role comes from the highest-ranked matching rule"),
        &role,
        got.unwrap_or_else(|| "(none)".into()),
    )
}

#[then(regex = r"^(\w+) has no admin role$")]
async fn no_role(w: &mut ScimWorld, name: String) -> StepResult {
    let user = settled_user(w, &name).await?;
    let got = role_of(&user);
    ensure(
        got.is_none(),
        w.last.as_ref(),
        "BEHAVIOUR S-US-01",
        format!("{name} has no admin role"),
        "(none)",
        got.unwrap_or_default(),
    )
}

#[then(regex = r#"^(\w+)'s (user group|settings template) is "([^"]+)"$"#)]
async fn single_value(w: &mut ScimWorld, name: String, what: String, want: String) -> StepResult {
    let user = settled_user(w, &name).await?;
    let key = if what == "user group" {
        "userGroup"
    } else {
        "settingsTemplate"
    };
    let e = ext(&user);
    let got = e.get(key);
    ensure(
        got.and_then(Value::as_str) == Some(want.as_str()),
        w.last.as_ref(),
        "BEHAVIOUR S-US-07",
        format!("{name}'s {what} comes from the highest-ranked matching rule that sets one"),
        &want,
        show(got),
    )
}

#[then(regex = r"^(\w+)'s device groups are (.+)$")]
async fn device_groups(w: &mut ScimWorld, name: String, list: String) -> StepResult {
    let user = settled_user(w, &name).await?;
    let got: Vec<String> = ext(&user)
        .get("deviceGroups")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let want = quoted(&list);
    ensure(
        set(got.clone()) == set(want.clone()),
        w.last.as_ref(),
        "BEHAVIOUR S-US-07",
        format!("{name}'s device groups are the union over the matching rules"),
        want.join(", "),
        got.join(", "),
    )
}

#[then(regex = r"^(\w+) is (pending|active|suspended)$")]
async fn status_is(w: &mut ScimWorld, name: String, status: String) -> StepResult {
    let user = settled_user(w, &name).await?;
    let e = ext(&user);
    let got = e.get("status");
    ensure(
        got.and_then(Value::as_str) == Some(status.as_str()),
        w.last.as_ref(),
        "BEHAVIOUR S-US-06; seed: pending until login, suspended without rules",
        format!("{name}'s account is {status}"),
        &status,
        show(got),
    )
}

#[then(regex = r"^(\w+) still exists in the directory as the same account$")]
async fn still_exists(w: &mut ScimWorld, name: String) -> StepResult {
    let created = w.user(&name)?;
    let user = settled_user(w, &name).await?;
    let id = user.get("id").and_then(Value::as_str);
    ensure(
        id == Some(created.id.as_str()),
        w.last.as_ref(),
        "BEHAVIOUR S-US-05",
        format!("sync never deletes {name}: the same account is kept"),
        &created.id,
        show(user.get("id")),
    )
}

#[then(regex = r#"^(\w+)'s (recording|meeting) "([^"]+)" is retained$"#)]
async fn retained(w: &mut ScimWorld, name: String, kind: String, title: String) -> StepResult {
    settle(w).await?;
    let id = w.user(&name)?.id;
    let r = admin(w, Method::GET, &admin_path::user_product_data(&id), None).await?;
    let found = r
        .body
        .get("records")
        .and_then(Value::as_array)
        .is_some_and(|a| {
            a.iter().any(|x| {
                x.get("kind").and_then(Value::as_str) == Some(kind.as_str())
                    && x.get("title").and_then(Value::as_str) == Some(title.as_str())
            })
        });
    ensure(
        r.status == 200 && found,
        w.last.as_ref(),
        "BEHAVIOUR S-US-06",
        format!("{name}'s product data is retained"),
        format!("a {kind} \"{title}\""),
        if r.status == 200 {
            "not listed".to_string()
        } else {
            format!("status {}", r.status)
        },
    )
}

#[then(regex = r"^(\w+) received exactly one enrollment email$")]
async fn one_email(w: &mut ScimWorld, name: String) -> StepResult {
    settle(w).await?;
    let emails = outbox_of(w, &name).await?;
    ensure(
        emails.len() == 1,
        w.last.as_ref(),
        "BEHAVIOUR S-US-02",
        format!("{name} gets exactly one enrollment email"),
        1,
        emails.len(),
    )
}

#[then(regex = r"^(\w+) received no enrollment email$")]
async fn no_email(w: &mut ScimWorld, name: String) -> StepResult {
    settle(w).await?;
    let emails = outbox_of(w, &name).await?;
    ensure(
        emails.is_empty(),
        w.last.as_ref(),
        "BEHAVIOUR S-US-02",
        format!("{name} gets no enrollment email without an entitlement"),
        0,
        emails.len(),
    )
}

#[then(regex = r"^nobody received an enrollment email$")]
async fn nobody_emailed(w: &mut ScimWorld) -> StepResult {
    let names: Vec<String> = w.users.keys().cloned().collect();
    for n in names {
        no_email(w, n).await?;
    }
    Ok(())
}

#[then(regex = r"^the email tells (\w+) to log in and change the password$")]
async fn email_text(w: &mut ScimWorld, name: String) -> StepResult {
    let emails = outbox_of(w, &name).await?;
    let body = emails
        .first()
        .and_then(|e| e.get("body"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_lowercase();
    ensure(
        body.contains("log in") && body.contains("change your password"),
        w.last.as_ref(),
        "BEHAVIOUR S-US-02",
        "the enrollment email tells the user to log in and change the password",
        "\"log in\" and \"change your password\"",
        body,
    )
}

async fn sync_result(w: &mut ScimWorld, name: &str) -> Result<Value, Failure> {
    settle(w).await?;
    let id = w.user(name)?.id;
    let r = admin_ok(
        w,
        Method::GET,
        &admin_path::user_result(&id),
        None,
        &[200],
        "a user's sync result can be read",
    )
    .await?;
    Ok(r.body)
}

#[then(regex = r#"^(\w+)'s last sync failed with "([^"]+)"$"#)]
async fn failed_with(w: &mut ScimWorld, name: String, reason: String) -> StepResult {
    let r = sync_result(w, &name).await?;
    let result = r
        .get("lastResult")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let why = r
        .get("lastReason")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    ensure(
        result == "failure" && why.contains(&reason),
        w.last.as_ref(),
        "BEHAVIOUR S-US-13",
        format!("{name}'s failure is recorded with its reason"),
        format!("failure: ...{reason}..."),
        format!("{result}: {why}"),
    )?;
    let user = read_user(w, &name).await?;
    let e = ext(&user);
    ensure(
        e.get("lastSyncResult").and_then(Value::as_str) == Some("failure"),
        w.last.as_ref(),
        "BEHAVIOUR S-US-13",
        "the failure shows on the SCIM user (User Sync extension)",
        "lastSyncResult failure",
        show(e.get("lastSyncResult")),
    )
}

#[then(regex = r"^(\w+)'s last sync succeeded$")]
async fn succeeded(w: &mut ScimWorld, name: String) -> StepResult {
    let r = sync_result(w, &name).await?;
    let got = r.get("lastResult");
    ensure(
        got.and_then(Value::as_str) == Some("success"),
        w.last.as_ref(),
        "BEHAVIOUR S-US-13",
        format!("{name}'s last sync succeeded"),
        "success",
        show(got),
    )
}

#[then(regex = r"^(\w+) is listed among the users whose sync failed$")]
async fn listed_failed(w: &mut ScimWorld, name: String) -> StepResult {
    settle(w).await?;
    let id = w.user(&name)?.id;
    let r = admin_ok(
        w,
        Method::GET,
        &admin_path::results_with("failure"),
        None,
        &[200],
        "failed results can be listed",
    )
    .await?;
    let listed = r
        .body
        .get("results")
        .and_then(Value::as_array)
        .is_some_and(|a| {
            a.iter()
                .any(|x| x.get("userId").and_then(Value::as_str) == Some(&id))
        });
    ensure(
        listed,
        w.last.as_ref(),
        "BEHAVIOUR S-US-13",
        "failures are reported, not swallowed",
        "listed",
        "absent",
    )
}

#[then(regex = r#"^(\w+)'s custom field "([^"]+)" is "([^"]*)"$"#)]
async fn custom_field(w: &mut ScimWorld, name: String, field: String, want: String) -> StepResult {
    let user = settled_user(w, &name).await?;
    let e = ext(&user);
    let got = e
        .get("customFields")
        .and_then(Value::as_array)
        .and_then(|a| {
            a.iter()
                .find(|f| f.get("name").and_then(Value::as_str) == Some(field.as_str()))
        })
        .and_then(|f| f.get("value"))
        .cloned();
    ensure(
        got.as_ref().and_then(Value::as_str) == Some(want.as_str()),
        w.last.as_ref(),
        "BEHAVIOUR S-US-11",
        format!("the directory attribute flows to {name}'s custom field \"{field}\""),
        &want,
        show(got.as_ref()),
    )
}

#[then(regex = r"^(\w+)'s custom fields are:$")]
async fn custom_fields(w: &mut ScimWorld, name: String, step: &Step) -> StepResult {
    let rows = step
        .table
        .as_ref()
        .map(|t| t.rows.iter().skip(1).cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    for row in rows {
        if let [field, value, ..] = row.as_slice() {
            custom_field(w, name.clone(), field.clone(), value.clone()).await?;
        }
    }
    Ok(())
}

#[then(regex = r#"^it is refused because "([^"]+)"$"#)]
async fn refused_because(w: &mut ScimWorld, reason: String) -> StepResult {
    let r = w.response()?;
    let unmet: Vec<String> = r
        .body
        .get("unmetPrerequisites")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let detail = r
        .body
        .get("detail")
        .and_then(Value::as_str)
        .unwrap_or_default();
    ensure(
        r.status == 409 && detail.contains(&reason) && unmet.iter().any(|u| u.contains(&reason)),
        w.last.as_ref(),
        "BEHAVIOUR S-US-10",
        "turning User Sync on without a prerequisite fails with a clear reason",
        format!("409 naming \"{reason}\""),
        format!("{} {detail}", r.status),
    )
}

#[then(regex = r"^User Sync (?:is|stays) (on|off)$")]
async fn switch_is(w: &mut ScimWorld, state: String) -> StepResult {
    let r = admin_ok(
        w,
        Method::GET,
        admin_path::SWITCH,
        None,
        &[200],
        "the switch can be read",
    )
    .await?;
    let on = r.body.get("on").and_then(Value::as_bool);
    ensure(
        on == Some(state == "on"),
        w.last.as_ref(),
        "BEHAVIOUR S-US-09",
        format!("User Sync is {state}"),
        &state,
        show(r.body.get("on")),
    )
}

/// S-US-03: the users of the last timed step show the products within the bound, measured
/// from sending the change, through the wait call (no blind polling).
#[then(regex = r"^each of them has the products? (.+) within (\d+) seconds?$")]
async fn timed_visible(w: &mut ScimWorld, list: String, secs: u64) -> StepResult {
    let (names, started) = w
        .usersync
        .timed
        .clone()
        .ok_or_else(|| Failure::suite("no timed change was made before this step"))?;
    let budget = Duration::from_secs(secs);
    settle_within(w, budget.saturating_sub(started.elapsed())).await?;
    let want = set(quoted(&list));
    for n in &names {
        let user = read_user(w, n).await?;
        let got = products_of(&user);
        ensure(
            want.is_subset(&set(got.clone())),
            w.last.as_ref(),
            "BEHAVIOUR S-US-03",
            format!("{n}'s products are visible"),
            want.iter().cloned().collect::<Vec<_>>().join(", "),
            got.join(", "),
        )?;
    }
    let took = started.elapsed();
    ensure(
        took <= budget,
        w.last.as_ref(),
        "BEHAVIOUR S-US-03",
        "a small change takes effect within seconds",
        format!("<= {} ms", budget.as_millis()),
        format!("{} ms", took.as_millis()),
    )
}

#[then(regex = r"^all (\d+) entitlements are applied within (\d+) seconds$")]
async fn bulk_applied(w: &mut ScimWorld, n: u64, secs: u64) -> StepResult {
    let bulk = w
        .usersync
        .bulk
        .clone()
        .ok_or_else(|| Failure::suite("no bulk change was made before this step"))?;
    settle_within(w, Duration::from_secs(secs)).await?;
    let elapsed = bulk.started.elapsed();
    let mut used = 0;
    for p in &bulk.products {
        used += seats_used(w, p).await?;
    }
    let granted = used.saturating_sub(bulk.used_before);
    if let Some(b) = w.usersync.bulk.as_mut() {
        b.applied_after = Some(elapsed);
        b.entitlements = granted;
    }
    ensure(
        granted == n,
        w.last.as_ref(),
        "BEHAVIOUR S-US-04",
        format!("every entitlement of the {} users is granted", bulk.users),
        n,
        granted,
    )
}

#[then(regex = r"^the rate beats the rule of thumb of 1000 entitlements every 3 minutes$")]
async fn beats_baseline(w: &mut ScimWorld) -> StepResult {
    let b = w
        .usersync
        .bulk
        .clone()
        .ok_or_else(|| Failure::suite("no bulk change was measured before this step"))?;
    let secs = b
        .applied_after
        .map_or(f64::MAX, |d| d.as_secs_f64())
        .max(1e-6);
    let per_minute = b.entitlements as f64 / secs * 60.0;
    let baseline = crate::reference::usersync::BASELINE_PER_MINUTE;
    ensure(
        per_minute > baseline,
        w.last.as_ref(),
        SOURCE,
        "bulk sync beats 1000 entitlement requests every few minutes (taken as 3)",
        format!("> {baseline:.0} entitlements/min"),
        format!(
            "{per_minute:.0} entitlements/min ({} in {secs:.2} s)",
            b.entitlements
        ),
    )
}
