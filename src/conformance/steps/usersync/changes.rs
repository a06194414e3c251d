//! When: directory changes (joining, leaving, nesting, deleting groups, attribute changes),
//! rule changes, the switch, logins, retries and license changes.

use super::setup::{add_rule, change_members, member_id, switch};
use super::{admin, admin_ok, parse_rule, quoted, settle};
use crate::client::admin::path as admin_path;
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Failure, StepResult};
use crate::conformance::world::ENTERPRISE;
use cucumber::when;
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Instant;

#[when(regex = r#"^(\w+) joins "([^"]+)"$"#)]
async fn joins(w: &mut ScimWorld, user: String, group: String) -> StepResult {
    let id = w.user(&user)?.id;
    change_members(w, &group, &[id], true).await
}

#[when(regex = r#"^(\w+) leaves "([^"]+)"$"#)]
async fn leaves(w: &mut ScimWorld, user: String, group: String) -> StepResult {
    let id = w.user(&user)?.id;
    change_members(w, &group, &[id], false).await
}

/// Several users join at once; the time of sending is kept for a "within N seconds" check.
#[when(regex = r#"^([\w, ]+) join "([^"]+)"$"#)]
async fn several_join(w: &mut ScimWorld, list: String, group: String) -> StepResult {
    let names = quoted(&list);
    let ids = names
        .iter()
        .map(|n| w.user(n).map(|u| u.id))
        .collect::<Result<Vec<_>, _>>()?;
    let started = Instant::now();
    change_members(w, &group, &ids, true).await?;
    w.usersync.timed = Some((names, started));
    Ok(())
}

#[when(regex = r#"^"([^"]+)" is added to "([^"]+)"$"#)]
async fn nested_added(w: &mut ScimWorld, child: String, parent: String) -> StepResult {
    let id = member_id(w, &child)?;
    change_members(w, &parent, &[id], true).await
}

#[when(regex = r#"^"([^"]+)" is removed from "([^"]+)"$"#)]
async fn nested_removed(w: &mut ScimWorld, child: String, parent: String) -> StepResult {
    let id = member_id(w, &child)?;
    change_members(w, &parent, &[id], false).await
}

#[when(regex = r#"^the directory group "([^"]+)" is deleted$"#)]
async fn group_deleted(w: &mut ScimWorld, group: String) -> StepResult {
    let id = w.group(&group)?.id;
    let r = w
        .call(Method::DELETE, &format!("/Groups/{id}"), None, &[])
        .await?;
    if r.status != 204 {
        return Err(
            Failure::new("RFC 7644 §3.6", "the group is deleted", 204, r.status)
                .with(w.last.as_ref()),
        );
    }
    Ok(())
}

#[when(regex = r#"^(\w+)'s (\w+) changes to "([^"]*)" in the directory$"#)]
async fn attribute_changes(
    w: &mut ScimWorld,
    user: String,
    attr: String,
    value: String,
) -> StepResult {
    let id = w.user(&user)?.id;
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": format!("{ENTERPRISE}:{attr}"), "value": value}],
    });
    let r = w
        .call(Method::PATCH, &format!("/Users/{id}"), Some(&body), &[])
        .await?;
    if !matches!(r.status, 200 | 204) {
        return Err(Failure::new(
            "RFC 7644 §3.5.2",
            "the user's attribute changes",
            200,
            r.status,
        )
        .with(w.last.as_ref()));
    }
    Ok(())
}

/// Deletes every rule this scenario made for the group.
pub(super) async fn delete_rules_for(w: &mut ScimWorld, group: &str) -> StepResult {
    let ids: Vec<String> = w
        .usersync
        .rules
        .iter()
        .filter(|(g, _)| g == group)
        .map(|(_, id)| id.clone())
        .collect();
    if ids.is_empty() {
        return Err(Failure::suite(format!(
            "the scenario has no rule for \"{group}\""
        )));
    }
    for id in ids {
        admin_ok(
            w,
            Method::DELETE,
            &admin_path::rule(&id),
            None,
            &[200, 204],
            "an admin can delete a rule",
        )
        .await?;
        w.usersync.rules.retain(|(_, r)| *r != id);
    }
    Ok(())
}

#[when(regex = r#"^the rule for "([^"]+)" is deleted$"#)]
async fn rule_deleted(w: &mut ScimWorld, group: String) -> StepResult {
    delete_rules_for(w, &group).await
}

#[when(regex = r#"^the rule "([^"]+)" is added$"#)]
async fn rule_added(w: &mut ScimWorld, text: String) -> StepResult {
    let (group, products) = parse_rule(&text)?;
    add_rule(w, &group, json!({"products": products}), None).await
}

#[when(regex = r#"^the rule "([^"]+)" with the admin role "([^"]+)" is added ranked first$"#)]
async fn rule_added_first(w: &mut ScimWorld, text: String, role: String) -> StepResult {
    let (group, products) = parse_rule(&text)?;
    add_rule(
        w,
        &group,
        json!({"products": products, "adminRole": role}),
        Some(1),
    )
    .await
}

#[when(regex = r#"^the rule for "([^"]+)" is moved to first place$"#)]
async fn moved_first(w: &mut ScimWorld, group: String) -> StepResult {
    let r = admin_ok(
        w,
        Method::GET,
        admin_path::RULES,
        None,
        &[200],
        "rules can be listed",
    )
    .await?;
    let mut ids: Vec<String> = r
        .body
        .get("rules")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.get("id").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mine: Vec<String> = w
        .usersync
        .rules
        .iter()
        .filter(|(g, _)| *g == group)
        .map(|(_, id)| id.clone())
        .collect();
    ids.retain(|i| !mine.contains(i));
    let order: Vec<String> = mine.into_iter().chain(ids).collect();
    admin_ok(
        w,
        Method::PUT,
        admin_path::RULE_ORDER,
        Some(&json!({ "ruleIds": order })),
        &[200],
        "an admin can reorder the rules",
    )
    .await
    .map(|_| ())
}

#[when(regex = r"^User Sync is turned (on|off)$")]
async fn turned(w: &mut ScimWorld, state: String) -> StepResult {
    switch(w, state == "on").await
}

#[when(regex = r"^I try to turn User Sync on$")]
async fn try_on(w: &mut ScimWorld) -> StepResult {
    admin(
        w,
        Method::PUT,
        admin_path::SWITCH,
        Some(&json!({"on": true})),
    )
    .await
    .map(|_| ())
}

#[when(regex = r"^(\w+) logs in for the first time$")]
async fn logs_in(w: &mut ScimWorld, user: String) -> StepResult {
    settle(w).await?;
    let id = w.user(&user)?.id;
    admin_ok(
        w,
        Method::POST,
        &admin_path::user_login(&id),
        None,
        &[200],
        "an entitled user can log in",
    )
    .await
    .map(|_| ())
}

#[when(regex = r"^(\w+)'s sync is retried$")]
async fn retried(w: &mut ScimWorld, user: String) -> StepResult {
    let id = w.user(&user)?.id;
    admin_ok(
        w,
        Method::POST,
        &admin_path::user_retry(&id),
        None,
        &[202],
        "a user's sync can be retried",
    )
    .await
    .map(|_| ())
}

#[when(regex = r"^the users whose sync failed are retried$")]
async fn retried_all(w: &mut ScimWorld) -> StepResult {
    admin_ok(
        w,
        Method::POST,
        admin_path::RESULTS_RETRY,
        None,
        &[202],
        "failed users can be retried",
    )
    .await
    .map(|_| ())
}

/// Sets a product's seat limit (remembered, and lifted after the scenario).
pub(super) async fn set_seats(w: &mut ScimWorld, product: &str, seats: u64) -> StepResult {
    admin_ok(
        w,
        Method::PUT,
        &admin_path::license(product),
        Some(&json!({ "seats": seats })),
        &[200],
        "a product's seat limit can be set",
    )
    .await?;
    if !w.usersync.seats.iter().any(|p| p == product) {
        w.usersync.seats.push(product.to_string());
    }
    Ok(())
}

#[when(regex = r#"^the product "([^"]+)" gets (\d+) more seats?$"#)]
async fn more_seats(w: &mut ScimWorld, product: String, n: u64) -> StepResult {
    let r = admin_ok(
        w,
        Method::GET,
        admin_path::LICENSES,
        None,
        &[200],
        "licenses can be read",
    )
    .await?;
    let limit = r
        .body
        .get("licenses")
        .and_then(Value::as_array)
        .and_then(|a| {
            a.iter()
                .find(|l| l.get("product").and_then(Value::as_str) == Some(&product))
        })
        .and_then(|l| l.get("seats"))
        .and_then(Value::as_u64)
        .ok_or_else(|| Failure::suite(format!("\"{product}\" has no seat limit to raise")))?;
    set_seats(w, &product, limit + n).await
}

#[when(regex = r"^(\w+)'s account in the other organization is closed$")]
async fn account_closed(w: &mut ScimWorld, user: String) -> StepResult {
    let user_name = w.user(&user)?.real_name;
    admin_ok(
        w,
        Method::DELETE,
        &admin_path::foreign_account(&user_name),
        None,
        &[204],
        "an account elsewhere can be removed",
    )
    .await?;
    w.usersync.foreign.retain(|u| *u != user_name);
    Ok(())
}

/// The bulk change of S-US-04: every user made by the "N directory users" step joins the
/// group, `batch` members per PATCH, 8 requests in flight.
#[when(regex = r#"^they all join "([^"]+)" in batches of (\d+)$"#)]
async fn bulk_join(w: &mut ScimWorld, group: String, batch: usize) -> StepResult {
    settle(w).await?;
    let products: Vec<String> = w
        .usersync
        .rules
        .iter()
        .filter(|(g, _)| *g == group)
        .map(|(_, id)| id.clone())
        .collect();
    let mut names = Vec::new();
    for id in &products {
        let r = admin_ok(
            w,
            Method::GET,
            &admin_path::rule(id),
            None,
            &[200],
            "a rule can be read",
        )
        .await?;
        for p in r
            .body
            .get("products")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(p) = p.as_str()
                && !names.contains(&p.to_string())
            {
                names.push(p.to_string());
            }
        }
    }
    let mut used_before = 0;
    for p in &names {
        used_before += super::checks::seats_used(w, p).await?;
    }
    let gid = w.group(&group)?.id;
    let ids: Vec<String> = w.users.values().map(|u| u.id.clone()).collect();
    let ctx = w.ctx()?;
    let started = Instant::now();
    let results: Vec<Result<crate::client::ScimResponse, crate::client::ClientError>> =
        futures::stream::iter(
            ids.chunks(batch.max(1))
                .map(<[String]>::to_vec)
                .collect::<Vec<_>>(),
        )
        .map(|chunk| {
            let ctx = ctx.clone();
            let path = format!("/Groups/{gid}");
            async move {
                let members: Vec<Value> = chunk.iter().map(|id| json!({"value": id})).collect();
                let body = json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "add", "path": "members", "value": members}],
                });
                ctx.client.patch(&path, &body).await
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for r in results {
        let r = r.map_err(|e| Failure::new("RFC 7644 §3.5.2", "members can be added", 200, e))?;
        if !matches!(r.status, 200 | 204) {
            return Err(Failure::new(
                "RFC 7644 §3.5.2",
                "members can be added",
                200,
                r.status,
            ));
        }
    }
    if let Some(b) = w.usersync.bulk.as_mut() {
        b.started = started;
        b.used_before = used_before;
        b.products = names;
    }
    Ok(())
}
