//! Given: the organization, the directory (users, groups, nesting), rules, the switch,
//! licenses, accounts elsewhere, product data and custom attribute mappings.

use super::{admin, admin_ok, parse_rule, quoted, settle};
use crate::client::admin::path as admin_path;
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Failure, StepResult};
use crate::conformance::world::usersync::Bulk;
use crate::conformance::world::{Created, ENTERPRISE};
use crate::scim::schema::USER_SCHEMA;
use cucumber::gherkin::Step;
use cucumber::given;
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Instant;

/// The domain every scenario verifies.
pub(super) const DOMAIN: &str = "example.com";

#[given(regex = r"^User Sync is set up for the organization$")]
async fn set_up(w: &mut ScimWorld) -> StepResult {
    let email = format!("usersync-admin.{}@{DOMAIN}", w.suffix);
    let r = admin_ok(
        w,
        Method::POST,
        admin_path::ORG_ADMINS,
        Some(&json!({"email": email, "roles": ["organizationAdmin", "productAdmin"]})),
        &[201],
        "an organization admin can be added",
    )
    .await?;
    if let Some(id) = r.body.get("id").and_then(Value::as_str) {
        w.usersync.admins.push(id.to_string());
    }
    admin_ok(
        w,
        Method::PUT,
        &admin_path::org_domain(DOMAIN),
        Some(&json!({"verified": true})),
        &[200],
        "the organization domain can be marked verified",
    )
    .await?;
    Ok(())
}

async fn new_user(w: &mut ScimWorld, name: &str, extra: Option<Value>) -> StepResult {
    let mut body = w.user_body(
        name,
        Some(&format!("{}.{}@{DOMAIN}", name.to_lowercase(), w.suffix)),
    );
    if let (Some(extra), Some(o)) = (extra, body.as_object_mut()) {
        o.insert("schemas".into(), json!([USER_SCHEMA, ENTERPRISE]));
        o.insert(ENTERPRISE.into(), extra);
    }
    w.create_user(name, &body).await.map(|_| ())
}

#[given(regex = r"^the directory users? ([\w, ]+)$")]
async fn users(w: &mut ScimWorld, list: String) -> StepResult {
    for n in quoted(&list) {
        new_user(w, &n, None).await?;
    }
    Ok(())
}

/// `the directory user Ann with employeeNumber "E-1", costCenter "CC-7" and department "R&D"`:
/// enterprise extension attributes.
#[given(regex = r"^the directory user (\w+) with (.+)$")]
async fn user_with(w: &mut ScimWorld, name: String, attrs: String) -> StepResult {
    let mut ext = serde_json::Map::new();
    let mut rest = attrs.as_str();
    while let Some(q1) = rest.find('"') {
        let key = rest[..q1]
            .trim()
            .trim_start_matches(',')
            .trim()
            .trim_start_matches("and ")
            .trim()
            .to_string();
        let after = &rest[q1 + 1..];
        let q2 = after
            .find('"')
            .ok_or_else(|| Failure::suite("unclosed quote in the user's attributes"))?;
        ext.insert(key, Value::String(after[..q2].to_string()));
        rest = &after[q2 + 1..];
    }
    new_user(w, &name, Some(Value::Object(ext))).await
}

#[given(regex = r#"^the directory group "([^"]+)"$"#)]
async fn group(w: &mut ScimWorld, name: String) -> StepResult {
    w.create_group(&name, &[]).await.map(|_| ())
}

#[given(regex = r#"^the directory group "([^"]+)" with ([\w, ]+)$"#)]
async fn group_with(w: &mut ScimWorld, name: String, list: String) -> StepResult {
    let ids = quoted(&list)
        .iter()
        .map(|n| w.user(n).map(|u| u.id))
        .collect::<Result<Vec<_>, _>>()?;
    w.create_group(&name, &ids).await.map(|_| ())
}

/// Adds or removes a member (user or group) through SCIM PATCH (RFC 7644 §3.5.2).
pub(super) async fn change_members(
    w: &mut ScimWorld,
    group: &str,
    ids: &[String],
    add: bool,
) -> StepResult {
    let gid = w.group(group)?.id;
    let members: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
    let op = if add {
        json!({"op": "add", "path": "members", "value": members})
    } else {
        json!({"op": "remove", "path": "members", "value": members})
    };
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [op],
    });
    let r = w
        .call(Method::PATCH, &format!("/Groups/{gid}"), Some(&body), &[])
        .await?;
    if !matches!(r.status, 200 | 204) {
        return Err(Failure::new(
            "RFC 7644 §3.5.2",
            format!("the membership of \"{group}\" changes"),
            "200 or 204",
            r.status,
        )
        .with(w.last.as_ref()));
    }
    Ok(())
}

/// The id of a user or, failing that, a group of the scenario.
pub(super) fn member_id(w: &ScimWorld, name: &str) -> Result<String, Failure> {
    w.users
        .get(name)
        .map(|u| u.id.clone())
        .map_or_else(|| w.group(name).map(|g| g.id), Ok)
}

#[given(regex = r#"^(\w+) is a member of "([^"]+)"$"#)]
async fn is_member(w: &mut ScimWorld, user: String, group: String) -> StepResult {
    let id = w.user(&user)?.id;
    change_members(w, &group, &[id], true).await?;
    settle(w).await
}

#[given(regex = r#"^"([^"]+)" is a member of "([^"]+)"$"#)]
async fn group_is_member(w: &mut ScimWorld, child: String, parent: String) -> StepResult {
    let id = member_id(w, &child)?;
    change_members(w, &parent, &[id], true).await?;
    settle(w).await
}

/// Creates a rule for a group of the scenario; `priority` 1 ranks it first.
pub(super) async fn add_rule(
    w: &mut ScimWorld,
    group: &str,
    mut fields: Value,
    priority: Option<usize>,
) -> StepResult {
    let gid = w.group(group)?.id;
    if let Some(o) = fields.as_object_mut() {
        o.insert("groupId".into(), json!(gid));
        if let Some(p) = priority {
            o.insert("priority".into(), json!(p));
        }
    }
    let r = admin_ok(
        w,
        Method::POST,
        admin_path::RULES,
        Some(&fields),
        &[201],
        "an admin can add a rule",
    )
    .await?;
    let id = r
        .body
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| Failure::suite("the new rule has no id"))?;
    w.usersync.rules.push((group.to_string(), id.to_string()));
    Ok(())
}

#[given(regex = r#"^the rule "([^"]+)"$"#)]
pub(super) async fn rule(w: &mut ScimWorld, text: String) -> StepResult {
    let (group, products) = parse_rule(&text)?;
    add_rule(w, &group, json!({"products": products}), None).await
}

#[given(regex = r#"^the rule "([^"]+)" with the admin role "([^"]+)"$"#)]
async fn rule_with_role(w: &mut ScimWorld, text: String, role: String) -> StepResult {
    let (group, products) = parse_rule(&text)?;
    add_rule(
        w,
        &group,
        json!({"products": products, "adminRole": role}),
        None,
    )
    .await
}

/// A table with columns group, products, admin role, user group, device groups, settings
/// template; rows in priority order.
#[given(regex = r"^these rules, highest priority first:$")]
async fn rules_table(w: &mut ScimWorld, step: &Step) -> StepResult {
    let table = step
        .table
        .as_ref()
        .ok_or_else(|| Failure::suite("the step needs a table"))?;
    let header = table.rows.first().cloned().unwrap_or_default();
    for row in table.rows.iter().skip(1) {
        let cell = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .and_then(|i| row.get(i))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let list = |name: &str| -> Vec<String> {
            cell(name)
                .map(|s| s.split(',').map(|p| p.trim().to_string()).collect())
                .unwrap_or_default()
        };
        let group = cell("group").ok_or_else(|| Failure::suite("a rule row needs a group"))?;
        let fields = json!({
            "products": list("products"),
            "adminRole": cell("admin role"),
            "userGroup": cell("user group"),
            "deviceGroups": list("device groups"),
            "settingsTemplate": cell("settings template"),
        });
        add_rule(w, &group, fields, None).await?;
    }
    Ok(())
}

/// Turns the switch; with `must`, a refusal fails the step.
pub(super) async fn switch(w: &mut ScimWorld, on: bool) -> StepResult {
    admin_ok(
        w,
        Method::PUT,
        admin_path::SWITCH,
        Some(&json!({ "on": on })),
        &[200],
        "the admin can turn User Sync on or off",
    )
    .await?;
    settle(w).await
}

#[given(regex = r"^User Sync is (on|off)$")]
async fn is_switched(w: &mut ScimWorld, state: String) -> StepResult {
    switch(w, state == "on").await
}

#[given(regex = r#"^the rule for "([^"]+)" is deleted$"#)]
async fn rule_deleted(w: &mut ScimWorld, group: String) -> StepResult {
    super::changes::delete_rules_for(w, &group).await?;
    settle(w).await
}

#[given(
    regex = r"^the organization has no admin with both the Organization admin and the product admin role$"
)]
async fn no_admin_with_both(w: &mut ScimWorld) -> StepResult {
    let r = admin_ok(
        w,
        Method::GET,
        admin_path::ORG_ADMINS,
        None,
        &[200],
        "admins can be listed",
    )
    .await?;
    let admins = r
        .body
        .get("admins")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for a in admins {
        let roles = a.get("roles").cloned().unwrap_or(json!([]));
        let both = ["organizationAdmin", "productAdmin"].iter().all(|want| {
            roles
                .as_array()
                .is_some_and(|r| r.iter().any(|x| x == want))
        });
        let Some(id) = a.get("id").and_then(Value::as_str).map(str::to_string) else {
            continue;
        };
        if both {
            admin_ok(
                w,
                Method::PUT,
                &admin_path::org_admin_roles(&id),
                Some(&json!({"roles": ["organizationAdmin"]})),
                &[200],
                "an admin's roles can be changed",
            )
            .await?;
            w.usersync.changed_admins.push((id, roles));
        }
    }
    Ok(())
}

#[given(
    regex = r"^the organization has an admin with only the (Organization admin|product admin) role$"
)]
async fn admin_with_one_role(w: &mut ScimWorld, role: String) -> StepResult {
    let role = if role == "Organization admin" {
        "organizationAdmin"
    } else {
        "productAdmin"
    };
    let email = format!("one-role.{}@{DOMAIN}", w.suffix);
    let r = admin_ok(
        w,
        Method::POST,
        admin_path::ORG_ADMINS,
        Some(&json!({"email": email, "roles": [role]})),
        &[201],
        "an organization admin can be added",
    )
    .await?;
    if let Some(id) = r.body.get("id").and_then(Value::as_str) {
        w.usersync.admins.push(id.to_string());
    }
    Ok(())
}

#[given(regex = r"^the organization has no verified domain$")]
async fn no_verified_domain(w: &mut ScimWorld) -> StepResult {
    let r = admin_ok(
        w,
        Method::GET,
        admin_path::ORG,
        None,
        &[200],
        "the organization can be read",
    )
    .await?;
    let domains = r
        .body
        .get("domains")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for d in domains {
        if d.get("verified").and_then(Value::as_bool) == Some(true)
            && let Some(name) = d.get("name").and_then(Value::as_str)
        {
            admin_ok(
                w,
                Method::PUT,
                &admin_path::org_domain(name),
                Some(&json!({"verified": false})),
                &[200],
                "a domain's verification flag can be set",
            )
            .await?;
            w.usersync.unverified.push(name.to_string());
        }
    }
    Ok(())
}

#[given(regex = r"^the directory has no groups$")]
async fn no_groups(w: &mut ScimWorld) -> StepResult {
    let r = w.call(Method::GET, "/Groups?count=0", None, &[]).await?;
    let total = r
        .body
        .get("totalResults")
        .and_then(Value::as_u64)
        .unwrap_or(u64::MAX);
    super::super::skip_unless(total == 0, "the target's directory already has groups")
}

/// Sets the limit so that exactly `n` seats are free now.
#[given(regex = r#"^the product "([^"]+)" has (\d+) free seats?$"#)]
async fn free_seats(w: &mut ScimWorld, product: String, n: u64) -> StepResult {
    settle(w).await?;
    let used = super::checks::seats_used(w, &product).await?;
    super::changes::set_seats(w, &product, used + n).await
}

#[given(regex = r"^(\w+) already has an account in another organization$")]
async fn account_elsewhere(w: &mut ScimWorld, name: String) -> StepResult {
    let user_name = w.user(&name)?.real_name;
    admin_ok(
        w,
        Method::PUT,
        &admin_path::foreign_account(&user_name),
        None,
        &[200],
        "an account elsewhere can be recorded",
    )
    .await?;
    w.usersync.foreign.push(user_name);
    Ok(())
}

#[given(regex = r#"^(\w+) has a (recording|meeting) "([^"]+)"$"#)]
async fn product_data(w: &mut ScimWorld, name: String, kind: String, title: String) -> StepResult {
    settle(w).await?;
    let id = w.user(&name)?.id;
    admin_ok(
        w,
        Method::POST,
        &admin_path::user_product_data(&id),
        Some(&json!({"kind": kind, "title": title})),
        &[201],
        "product data can be added to an account",
    )
    .await
    .map(|_| ())
}

#[given(regex = r#"^the custom attribute "([^"]+)" is mapped to the field "([^"]+)"$"#)]
async fn custom_mapping(w: &mut ScimWorld, attribute: String, field: String) -> StepResult {
    let r = admin_ok(
        w,
        Method::GET,
        admin_path::CUSTOM_ATTRIBUTES,
        None,
        &[200],
        "custom attribute mappings can be read",
    )
    .await?;
    let before = r.body.get("mappings").cloned().unwrap_or(json!([]));
    let mut list: Vec<Value> = before
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.get("attribute").and_then(Value::as_str) != Some(attribute.as_str()))
        .collect();
    list.push(json!({"attribute": attribute, "field": field}));
    if w.usersync.custom_before.is_none() {
        w.usersync.custom_before = Some(before);
    }
    admin_ok(
        w,
        Method::PUT,
        admin_path::CUSTOM_ATTRIBUTES,
        Some(&json!({ "mappings": list })),
        &[200],
        "custom attribute mappings can be changed",
    )
    .await
    .map(|_| ())
}

/// `n` users created concurrently (not one step per user: the bulk scenario needs thousands).
#[given(regex = r#"^(\d+) directory users named "([^"]+)"$"#)]
async fn many_users(w: &mut ScimWorld, n: usize, base: String) -> StepResult {
    let ctx = w.ctx()?;
    let bodies: Vec<(String, Value)> = (1..=n)
        .map(|i| {
            let name = format!("{base}{i}");
            let body = w.user_body(&name, None);
            (name, body)
        })
        .collect();
    let results: Vec<(
        String,
        Result<crate::client::ScimResponse, crate::client::ClientError>,
    )> = futures::stream::iter(bodies)
        .map(|(name, body)| {
            let ctx = ctx.clone();
            async move { (name, ctx.client.post("/Users", &body).await) }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    for (name, r) in results {
        let r = r.map_err(|e| Failure::new("RFC 7644 §3.3", "users can be created", 201, e))?;
        let id = r.body.get("id").and_then(Value::as_str).map(str::to_string);
        match (r.status, id) {
            (201, Some(id)) => {
                w.cleanup.push(("Users".into(), id.clone()));
                let real_name = w.user_name(&name);
                w.users.insert(name, Created { id, real_name });
            }
            (s, _) => {
                return Err(Failure::new(
                    "RFC 7644 §3.3",
                    "users can be created",
                    201,
                    s,
                ));
            }
        }
    }
    w.usersync.bulk = Some(Bulk {
        users: n,
        used_before: 0,
        products: Vec::new(),
        started: Instant::now(),
        applied_after: None,
        entitlements: 0,
    });
    Ok(())
}

/// Reads the outbox count of a user (helper for checks that compare before and after).
pub(super) async fn outbox_of(w: &mut ScimWorld, name: &str) -> Result<Vec<Value>, Failure> {
    let id = w.user(name)?.id;
    let r = admin(w, Method::GET, &admin_path::outbox_of(&id), None).await?;
    Ok(r.body
        .get("emails")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default())
}
