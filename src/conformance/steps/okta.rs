//! Steps of `features/okta`: the requests Okta's provisioning client sends, in its exact
//! shapes and with its User-Agent, and what Okta needs back (Okta developer documentation,
//! "SCIM 2.0 protocol reference" and "Test your SCIM API", and Okta's SCIM 2.0 spec test).

use super::{ensure, get_ci, refusal_for, show};
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Checks, Failure, StepResult};
use crate::conformance::world::Created;
use crate::scim::schema::{GROUP_SCHEMA, PATCH_OP, USER_SCHEMA};
use cucumber::{then, when};
use reqwest::Method;
use serde_json::{Value, json};

/// Every request Okta sends carries it (O-CLIENT-01).
pub const OKTA_USER_AGENT: &str = "Okta SCIM Client 1.0.0";
const UA: [(&str, &str); 1] = [("User-Agent", OKTA_USER_AGENT)];
const DOCS: &str = "Okta: SCIM 2.0 protocol reference";
const SPEC: &str = "Okta: SCIM 2.0 spec test (Test your SCIM API)";

async fn okta(
    w: &mut ScimWorld,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<crate::client::ScimResponse, Failure> {
    w.call(method, path, body, &UA).await
}

/// Okta's lookup before a create: `userName eq` with `startIndex=1&count=100` (O-MATCH-01).
fn lookup_path(user_name: &str) -> String {
    let filter = format!("userName eq \"{}\"", user_name.replace('"', "\\\""));
    format!(
        "/Users?filter={}&startIndex=1&count=100",
        crate::client::encode(&filter)
    )
}

#[when(regex = r#"^Okta looks up the userName of "([^"]+)"( in upper case)?$"#)]
async fn looks_up(w: &mut ScimWorld, name: String, upper: String) -> StepResult {
    let mut real = w.user(&name)?.real_name;
    if !upper.is_empty() {
        real = real.to_uppercase();
    }
    okta(w, Method::GET, &lookup_path(&real), None).await?;
    Ok(())
}

#[when(regex = r"^Okta looks up a userName that does not exist$")]
async fn looks_up_nobody(w: &mut ScimWorld) -> StepResult {
    let name = w.user_name(&format!("nobody-{}", uuid::Uuid::new_v4().simple()));
    okta(w, Method::GET, &lookup_path(&name), None).await?;
    Ok(())
}

#[then(regex = r"^Okta counts the user as not found$")]
async fn not_found(w: &mut ScimWorld) -> StepResult {
    let r = w.response()?;
    let total = r.body.get("totalResults").and_then(Value::as_u64);
    let none = r
        .body
        .get("Resources")
        .and_then(Value::as_array)
        .is_none_or(|a| a.is_empty());
    let error_schema = r
        .body
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter()
                .any(|v| v.as_str() == Some(crate::scim::error::ERROR_SCHEMA))
        });
    ensure(
        (r.status == 200 && total == Some(0) && none) || (r.status == 404 && error_schema),
        w.last.as_ref(),
        DOCS,
        "a lookup that matches nothing answers 200 with totalResults 0, or 404 with the Error schema",
        "200 with totalResults 0 (or 404 with the Error schema)",
        format!(
            "{} with totalResults {}",
            r.status,
            show(r.body.get("totalResults"))
        ),
    )
}

#[then(regex = r#"^Okta finds exactly user "([^"]+)"$"#)]
async fn finds(w: &mut ScimWorld, name: String) -> StepResult {
    let want = w.user(&name)?;
    let r = w.response()?;
    let resources = r
        .body
        .get("Resources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let ids: Vec<&str> = resources
        .iter()
        .filter_map(|u| u.get("id").and_then(Value::as_str))
        .collect();
    ensure(
        r.status == 200 && ids == [want.id.as_str()],
        w.last.as_ref(),
        SPEC,
        "a userName filter finds the user, whatever the case of the value (userName is case-insensitive)",
        format!("200 with the one user {}", want.id),
        format!("{} with {ids:?}", r.status),
    )
}

/// The body Okta creates a user with (O-CREATE-01): profile, `locale`, the Okta id as
/// `externalId`, `groups: []`, a password, `active: true`.
fn create_body(w: &ScimWorld, name: &str) -> Value {
    let mut body = w.user_body(name, None);
    if let Some(o) = body.as_object_mut() {
        o.insert("locale".into(), json!("en-US"));
        o.insert("groups".into(), json!([]));
        o.insert("password".into(), json!("Okta-Sync-1!a"));
        o.insert("active".into(), json!(true));
    }
    body
}

#[when(regex = r#"^Okta creates user "([^"]+)"( again)?$"#)]
async fn creates(w: &mut ScimWorld, name: String, again: String) -> StepResult {
    let body = create_body(w, &name);
    let r = okta(w, Method::POST, "/Users", Some(&body)).await?;
    if let Some(id) = r.body.get("id").and_then(Value::as_str) {
        w.cleanup.push(("Users".into(), id.to_string()));
        if r.status == 201 && again.is_empty() {
            let created = Created {
                id: id.to_string(),
                real_name: w.user_name(&name),
            };
            w.users.insert(name, created);
        }
    }
    Ok(())
}

#[then(regex = r"^Okta's create succeeded, with the user in the answer$")]
async fn created(w: &mut ScimWorld) -> StepResult {
    let r = w.response()?;
    let id = r.body.get("id").and_then(Value::as_str);
    ensure(
        r.status == 201 && id.is_some(),
        w.last.as_ref(),
        DOCS,
        "a create answers 201 with the user, id included (an empty body fails Okta's operation)",
        "201 with the user and its id",
        format!("{} with id {}", r.status, show(r.body.get("id"))),
    )
}

#[then(regex = r"^Okta's duplicate is refused with 409$")]
async fn duplicate(w: &mut ScimWorld) -> StepResult {
    refusal_for(
        w,
        409,
        None,
        DOCS,
        "a create whose userName exists answers 409 Conflict",
    )
}

#[when(
    regex = r#"^Okta (?:updates|reactivates) user "([^"]+)" with a full PUT setting (\S+) to "([^"]*)"$"#
)]
async fn put_update(w: &mut ScimWorld, name: String, path: String, value: String) -> StepResult {
    let id = w.user(&name)?.id;
    let r = okta(w, Method::GET, &format!("/Users/{id}"), None).await?;
    if r.status != 200 {
        return Err(Failure::suite(format!(
            "Okta reads user \"{name}\" before its PUT: answered {}",
            r.status
        )));
    }
    let mut body = r.body.clone();
    if let Some(o) = body.as_object_mut() {
        o.remove("meta");
        o.insert("groups".into(), json!([]));
        o.insert("password".into(), json!("Okta-Sync-2!b"));
        o.insert("schemas".into(), json!([USER_SCHEMA]));
    }
    let v = match value.as_str() {
        "true" => json!(true),
        "false" => json!(false),
        s => json!(s),
    };
    set_path(&mut body, &path, v);
    okta(w, Method::PUT, &format!("/Users/{id}"), Some(&body)).await?;
    Ok(())
}

/// Sets `a` or `a.b` in a JSON object.
fn set_path(body: &mut Value, path: &str, v: Value) {
    let Some(o) = body.as_object_mut() else {
        return;
    };
    match path.split_once('.') {
        Some((parent, child)) => {
            let p = o.entry(parent).or_insert_with(|| json!({}));
            if let Some(p) = p.as_object_mut() {
                p.insert(child.to_string(), v);
            }
        }
        None => {
            o.insert(path.to_string(), v);
        }
    }
}

#[when(regex = r#"^Okta (deactivates|activates) user "([^"]+)"$"#)]
async fn activation(w: &mut ScimWorld, what: String, name: String) -> StepResult {
    let id = w.user(&name)?.id;
    let body = json!({
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "value": {"active": what == "activates"}}],
    });
    okta(w, Method::PATCH, &format!("/Users/{id}"), Some(&body)).await?;
    Ok(())
}

#[when(regex = r"^Okta lists users a page at a time with startIndex 1 and count 1$")]
async fn page(w: &mut ScimWorld) -> StepResult {
    okta(w, Method::GET, "/Users?startIndex=1&count=1", None).await?;
    Ok(())
}

#[then(regex = r"^the page's totalResults, startIndex and itemsPerPage are JSON integers$")]
async fn integers(w: &mut ScimWorld) -> StepResult {
    let r = w.response()?;
    let mut c = Checks::new();
    for field in ["totalResults", "startIndex", "itemsPerPage"] {
        let v = get_ci(&r.body, field);
        c.add(ensure(
            r.status == 200 && v.is_some_and(Value::is_u64),
            w.last.as_ref(),
            SPEC,
            &format!("{field} of a ListResponse is a JSON integer, not a string"),
            "an integer",
            format!("{} ({})", show(v), super::json_kind(v)),
        ))?;
    }
    c.finish()
}

#[when(regex = r"^Okta lists groups$")]
async fn list_groups(w: &mut ScimWorld) -> StepResult {
    okta(w, Method::GET, "/Groups?startIndex=1&count=100", None).await?;
    Ok(())
}

#[when(regex = r#"^Okta pushes group "([^"]+)"$"#)]
async fn push_group(w: &mut ScimWorld, name: String) -> StepResult {
    let body = json!({
        "schemas": [GROUP_SCHEMA],
        "displayName": w.group_name(&name),
        "members": [],
    });
    let r = okta(w, Method::POST, "/Groups", Some(&body)).await?;
    if let Some(id) = r.body.get("id").and_then(Value::as_str) {
        w.cleanup.push(("Groups".into(), id.to_string()));
        if r.status == 201 {
            let created = Created {
                id: id.to_string(),
                real_name: w.group_name(&name),
            };
            w.groups.insert(name, created);
        }
    }
    Ok(())
}

/// Okta's membership update (O-GROUP-01): the rename it sends with every membership change,
/// `replace` with `value: {id, displayName}`, then the members added by value or removed by a
/// filter in the path.
#[when(regex = r#"^Okta (adds|removes) user "([^"]+)" (?:to|from) group "([^"]+)"$"#)]
async fn membership(w: &mut ScimWorld, what: String, user: String, group: String) -> StepResult {
    let uid = w.user(&user)?.id;
    let g = w.group(&group)?;
    let member = if what == "adds" {
        json!({"op": "add", "path": "members", "value": [{"value": uid, "display": w.user_name(&user)}]})
    } else {
        json!({"op": "remove", "path": format!("members[value eq \"{uid}\"]")})
    };
    let body = json!({
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "replace", "value": {"id": g.id, "displayName": g.real_name}},
            member,
        ],
    });
    okta(w, Method::PATCH, &format!("/Groups/{}", g.id), Some(&body)).await?;
    Ok(())
}

#[when(regex = r#"^Okta renames group "([^"]+)" to "([^"]+)"$"#)]
async fn rename(w: &mut ScimWorld, group: String, to: String) -> StepResult {
    let g = w.group(&group)?;
    let new_name = w.group_name(&to);
    let body = json!({
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "value": {"id": g.id, "displayName": new_name}}],
    });
    okta(w, Method::PATCH, &format!("/Groups/{}", g.id), Some(&body)).await?;
    if let Some(c) = w.groups.get_mut(&group) {
        c.real_name = new_name;
    }
    Ok(())
}

#[when(regex = r#"^Okta deletes group "([^"]+)"$"#)]
async fn delete_group(w: &mut ScimWorld, group: String) -> StepResult {
    let g = w.group(&group)?;
    okta(w, Method::DELETE, &format!("/Groups/{}", g.id), None).await?;
    Ok(())
}

#[then(regex = r#"^Okta reads group "([^"]+)" back named as renamed$"#)]
async fn renamed(w: &mut ScimWorld, group: String) -> StepResult {
    let g = w.group(&group)?;
    let r = okta(w, Method::GET, &format!("/Groups/{}", g.id), None).await?;
    let got = get_ci(&r.body, "displayName");
    ensure(
        r.status == 200 && got.and_then(Value::as_str) == Some(g.real_name.as_str()),
        w.last.as_ref(),
        DOCS,
        "a PATCH replace whose value carries {id, displayName} renames the group",
        &g.real_name,
        format!("{} {}", r.status, show(got)),
    )
}

/// A custom (AIW) app's membership change: a PUT of the whole group (O-GROUP-01).
#[when(regex = r#"^Okta replaces group "([^"]+)" with members? (.+)$"#)]
async fn put_group(w: &mut ScimWorld, group: String, list: String) -> StepResult {
    let g = w.group(&group)?;
    let mut members = Vec::new();
    for n in super::names(&list) {
        let u = w.user(&n)?;
        members.push(json!({"value": u.id, "display": u.real_name}));
    }
    let body = json!({
        "schemas": [GROUP_SCHEMA],
        "id": g.id,
        "displayName": g.real_name,
        "members": members,
    });
    okta(w, Method::PUT, &format!("/Groups/{}", g.id), Some(&body)).await?;
    Ok(())
}

#[then(regex = r"^Okta's PUT is answered 200 with the resource$")]
async fn put_answered(w: &mut ScimWorld) -> StepResult {
    let r = w.response()?;
    ensure(
        r.status == 200 && get_ci(&r.body, "id").is_some(),
        w.last.as_ref(),
        "RFC 7644 §3.5.1",
        "a successful PUT returns 200 OK and the entire resource",
        "200 with the resource",
        format!(
            "{} ({})",
            r.status,
            if r.raw.is_empty() {
                "empty body"
            } else {
                "a body"
            }
        ),
    )
}

/// Okta's import (O-IMPORT-01): pages of `count=100`, `startIndex` stepping by 100, until
/// `totalResults` is reached (at most 1,000 pages).
#[when(regex = r"^Okta imports the users a hundred at a time$")]
async fn imports(w: &mut ScimWorld) -> StepResult {
    w.pages.clear();
    let mut start = 1u64;
    for _ in 0..1000 {
        let r = okta(
            w,
            Method::GET,
            &format!("/Users?startIndex={start}&count=100"),
            None,
        )
        .await?;
        let n = get_ci(&r.body, "Resources")
            .and_then(Value::as_array)
            .map_or(0, Vec::len) as u64;
        let total = get_ci(&r.body, "totalResults").and_then(|t| {
            t.as_u64()
                .or_else(|| t.as_str().and_then(|s| s.trim().parse().ok()))
        });
        w.pages.push(r.body.clone());
        start += n;
        if r.status != 200 || n == 0 || total.is_none_or(|t| start > t) {
            break;
        }
    }
    Ok(())
}

#[then(regex = r"^every page's totalResults, startIndex and itemsPerPage are JSON integers$")]
async fn every_page_integers(w: &mut ScimWorld) -> StepResult {
    let mut c = Checks::new();
    for (i, p) in w.pages.iter().enumerate() {
        for field in ["totalResults", "startIndex", "itemsPerPage"] {
            let v = get_ci(p, field);
            c.add(ensure(
                v.is_some_and(Value::is_u64),
                w.last.as_ref(),
                DOCS,
                &format!("{field} of every page Okta imports is a JSON integer, not a string"),
                "an integer",
                format!("page {}: {} ({})", i + 1, show(v), super::json_kind(v)),
            ))?;
        }
    }
    c.finish()
}

#[then(regex = r#"^the import read each of the users named "([^"]+)" exactly once$"#)]
async fn read_once(w: &mut ScimWorld, base: String) -> StepResult {
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    for p in &w.pages {
        for u in get_ci(p, "Resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(id) = u.get("id").and_then(Value::as_str) {
                *seen.entry(id.to_string()).or_default() += 1;
            }
        }
    }
    let prefix = format!("{base}-");
    let mine: Vec<(&String, &Created)> = w
        .users
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .collect();
    let missing = mine
        .iter()
        .filter(|(_, c)| !seen.contains_key(&c.id))
        .count();
    let twice = mine
        .iter()
        .filter(|(_, c)| seen.get(&c.id).is_some_and(|n| *n > 1))
        .count();
    ensure(
        !mine.is_empty() && missing == 0 && twice == 0,
        w.last.as_ref(),
        DOCS,
        "the server returns the same order on every page, so an import reads each user once",
        format!("each of the {} users once", mine.len()),
        format!(
            "{missing} missing, {twice} read twice, over {} pages",
            w.pages.len()
        ),
    )
}
