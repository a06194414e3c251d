//! What a deleted user leaves behind (RFC 7644 §3.6): its id answers 404 to every later
//! operation, searches no longer find it, and its userName is free for a new user. A server
//! that keeps deleted users ("soft delete") is allowed, but only if none of that shows.
//!
//! Also here: the lookup a provisioning client makes before it creates a user, sent to a
//! server that does not advertise filtering. Such a server may refuse the filter, but if it
//! ignores it and answers with every user, the client takes a stranger for its match.

use super::discovery::list_resources;
use super::{ensure, get_ci, show, skip_unless};
use crate::client::ScimResponse;
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Checks, StepResult};
use crate::scim::schema::PATCH_OP;
use cucumber::{given, then, when};
use reqwest::Method;
use serde_json::{Value, json};

/// RFC 7644 §3.6, the sentences the delete checks enforce.
const DELETED_404: &str = "Service providers MAY choose not to permanently delete the resource, but MUST return a 404 (Not Found) error code for all operations associated with the previously deleted resource";
const DELETED_OMITTED: &str = "Service providers MUST omit the resource from future query results";
const DELETED_NO_CONFLICT: &str = "the service provider SHOULD NOT consider the deleted resource in conflict calculation: a CREATE request for a User with the same userName as the previously deleted resource SHOULD NOT fail with a 409 error due to userName conflict";

/// The email of a user made with [`a_user_of_its_own`]: unique to the scenario, so a server
/// that keeps emails unique never sees two scenarios collide. It is the userName when that is
/// already shaped like an address.
pub fn own_email(w: &ScimWorld, name: &str) -> String {
    let user_name = w.user_name(name);
    if user_name.contains('@') {
        user_name
    } else {
        format!("{user_name}@example.com")
    }
}

/// The server's own words in a response: its scimType and detail, or that it gave none.
pub fn reason(r: &ScimResponse) -> String {
    let said: Vec<String> = ["scimType", "detail"]
        .iter()
        .filter_map(|k| get_ci(&r.body, k).and_then(Value::as_str))
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
        .collect();
    if said.is_empty() {
        "no reason given (the body has no scimType or detail)".into()
    } else {
        format!("\"{}\"", said.join(": "))
    }
}

/// A status in words, saying when a 2xx answer still carried the deleted resource.
fn answer(r: &ScimResponse, id: &str) -> String {
    let returned = get_ci(&r.body, "id").and_then(Value::as_str) == Some(id);
    if returned {
        format!(
            "{}, returning the deleted user (userName {})",
            r.status,
            show(get_ci(&r.body, "userName"))
        )
    } else {
        r.status.to_string()
    }
}

#[given(regex = r#"^a user "([^"]+)" with an email of its own$"#)]
async fn a_user_of_its_own(w: &mut ScimWorld, name: String) -> StepResult {
    let body = w.user_body(&name, Some(&own_email(w, &name)));
    w.create_user(&name, &body).await.map(|_| ())
}

#[given(regex = r#"^user "([^"]+)" was deleted$"#)]
async fn was_deleted(w: &mut ScimWorld, name: String) -> StepResult {
    let id = w.user(&name)?.id;
    let r = w
        .call(Method::DELETE, &format!("/Users/{id}"), None, &[])
        .await?;
    ensure(
        (200..300).contains(&r.status),
        w.last.as_ref(),
        "RFC 7644 §3.6",
        "a user can be deleted",
        "a successful status (204 No Content)",
        format!("{}: {}", r.status, reason(&r)),
    )
}

#[then(
    regex = r#"^reading, replacing, patching and deleting user "([^"]+)" again each answer 404$"#
)]
async fn every_operation_404(w: &mut ScimWorld, name: String) -> StepResult {
    let id = w.user(&name)?.id;
    let path = format!("/Users/{id}");
    let patch_advertised = w.ctx()?.discovery.patch;
    let replacement = w.user_body(&name, Some(&own_email(w, &name)));
    let patch = json!({
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Still Here"}],
    });
    let mut c = Checks::new();

    let r = w.call(Method::GET, &path, None, &[]).await?;
    c.add(ensure(
        r.status == 404,
        w.last.as_ref(),
        "RFC 7644 §3.6",
        &format!("{DELETED_404}: a GET of the deleted user's id answers 404"),
        404,
        answer(&r, &id),
    ))?;

    let r = w.call(Method::PUT, &path, Some(&replacement), &[]).await?;
    c.add(ensure(
        r.status == 404,
        w.last.as_ref(),
        "RFC 7644 §3.6",
        &format!("{DELETED_404}: a PUT to the deleted user's id answers 404"),
        404,
        answer(&r, &id),
    ))?;

    // A server without PATCH answers 501 to every PATCH (RFC 7644 §3.12), deleted or not.
    let r = w.call(Method::PATCH, &path, Some(&patch), &[]).await?;
    let (allowed, want): (&[u16], &str) = if patch_advertised {
        (&[404], "404")
    } else {
        (&[404, 501], "404 (or 501: PATCH is not advertised)")
    };
    c.add(ensure(
        allowed.contains(&r.status),
        w.last.as_ref(),
        "RFC 7644 §3.6",
        &format!("{DELETED_404}: a PATCH of the deleted user's id answers 404"),
        want,
        answer(&r, &id),
    ))?;

    let r = w.call(Method::DELETE, &path, None, &[]).await?;
    c.add(ensure(
        r.status == 404,
        w.last.as_ref(),
        "RFC 7644 §3.6",
        &format!("{DELETED_404}: deleting the deleted user's id again answers 404"),
        404,
        answer(&r, &id),
    ))?;
    c.finish()
}

#[then(regex = r#"^a search for the userName of "([^"]+)" finds no user$"#)]
async fn search_finds_none(w: &mut ScimWorld, name: String) -> StepResult {
    skip_unless(
        w.ctx()?.discovery.filter,
        "the target does not advertise filtering (filter.supported is false), so whether a search still finds a deleted user cannot be asked; the 404 checks on its id are a scenario of their own",
    )?;
    let u = w.user(&name)?;
    let filter = format!("userName eq \"{}\"", u.real_name);
    w.filter_users(&filter).await?;
    let items = list_resources(w)?;
    let total = get_ci(&w.response()?.body, "totalResults").and_then(Value::as_u64);
    let found: Vec<String> = items
        .iter()
        .map(|i| {
            let id = show(get_ci(i, "id"));
            if id == u.id {
                format!("{id} (the deleted user)")
            } else {
                id
            }
        })
        .collect();
    ensure(
        items.is_empty() && total == Some(0),
        w.last.as_ref(),
        "RFC 7644 §3.6",
        &format!("{DELETED_OMITTED}: a userName eq search no longer finds the deleted user"),
        "totalResults 0, no resources",
        format!(
            "totalResults {}, resources: {}",
            total.map_or("(absent)".into(), |t| t.to_string()),
            if found.is_empty() {
                "none".into()
            } else {
                found.join(", ")
            }
        ),
    )
}

#[when(regex = r#"^I create user "([^"]+)" again with the same userName and email$"#)]
async fn create_again(w: &mut ScimWorld, name: String) -> StepResult {
    let body = w.user_body(&name, Some(&own_email(w, &name)));
    w.post_user(&body).await.map(|_| ())
}

#[then(regex = r"^the user is created again$")]
async fn created_again(w: &mut ScimWorld) -> StepResult {
    let r = w.response()?;
    let has_id = get_ci(&r.body, "id")
        .and_then(Value::as_str)
        .is_some_and(|i| !i.is_empty());
    ensure(
        r.status == 201 && has_id,
        w.last.as_ref(),
        "RFC 7644 §3.6",
        DELETED_NO_CONFLICT,
        "201 Created with an id",
        if r.status == 201 {
            "201 without an id".to_string()
        } else {
            format!("{}: {}", r.status, reason(r))
        },
    )
}

#[given(regex = r"^the target does not advertise filtering$")]
async fn filtering_not_advertised(w: &mut ScimWorld) -> StepResult {
    skip_unless(
        !w.ctx()?.discovery.filter,
        "the target advertises filtering (filter.supported is true); filter.feature tests how it filters",
    )
}

#[when(regex = r#"^I search users for the userName of "([^"]+)"$"#)]
async fn search_by_user_name(w: &mut ScimWorld, name: String) -> StepResult {
    let filter = format!("userName eq \"{}\"", w.user(&name)?.real_name);
    w.filter_users(&filter).await.map(|_| ())
}

#[then(regex = r#"^the filter is refused, or only "([^"]+)" is returned$"#)]
async fn refused_or_only(w: &mut ScimWorld, name: String) -> StepResult {
    let want = w.user(&name)?.real_name;
    let r = w.response()?;
    // A refusal (4xx, or 501 Not Implemented) returns nothing, which is what a server without
    // filtering may do; only an answer that lists users can break the sentence.
    if !(200..300).contains(&r.status) {
        return Ok(());
    }
    let others: Vec<String> = get_ci(&r.body, "Resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|u| show(get_ci(u, "userName")))
        .filter(|u| !u.eq_ignore_ascii_case(&want))
        .collect();
    let shown: Vec<&str> = others.iter().take(5).map(String::as_str).collect();
    ensure(
        others.is_empty(),
        w.last.as_ref(),
        "RFC 7644 §3.4.2.2, §3.4.2",
        "the server ignores filter=: filtering is OPTIONAL, but when a filter is specified only the resources matching it SHALL be returned, so a server without filtering refuses the parameter rather than answering with every user",
        format!("a refusal (4xx or 501), or only the user {want}"),
        format!(
            "{} with {} user(s) that do not match, e.g. {}",
            r.status,
            others.len(),
            shown.join(", ")
        ),
    )
}
