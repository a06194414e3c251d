//! Versioning with ETags (RFC 7644 §3.14, RFC 7232): weak ETags equal to `meta.version`, a new
//! version on every write, and the `If-Match` / `If-None-Match` preconditions.

use super::{ensure, lookup, show};
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Failure, StepResult};
use crate::scim::schema::PATCH_OP;
use cucumber::{then, when};
use reqwest::Method;
use serde_json::{Value, json};

/// An ETag that matches no version of anything.
const STALE: &str = "W/\"scim-harness-stale\"";

#[when(regex = r#"^I remember the ETag of user "([^"]+)"$"#)]
async fn remember(w: &mut ScimWorld, name: String) -> StepResult {
    let id = w.user(&name)?.id;
    let r = w.read("Users", &id).await?;
    let etag = r.etag.clone();
    ensure(
        etag.is_some(),
        w.last.as_ref(),
        "RFC 7644 §3.14",
        "a service provider that supports ETags returns an ETag header with a resource",
        "an ETag header",
        "(none)",
    )?;
    w.etag = etag;
    Ok(())
}

#[then(regex = r"^the response carries a weak ETag equal to meta\.version$")]
async fn weak_etag(w: &mut ScimWorld) -> StepResult {
    let r = w.response()?;
    let x = w.last.as_ref();
    let etag = r.etag.clone().unwrap_or_default();
    ensure(
        !etag.is_empty(),
        x,
        "RFC 7644 §3.14",
        "the response carries an ETag header",
        "an ETag",
        "(none)",
    )?;
    let version = lookup(&r.body, "meta.version");
    ensure(
        version.and_then(Value::as_str) == Some(etag.as_str()),
        x,
        "RFC 7643 §3.1",
        "meta.version is the same as the ETag header",
        &etag,
        show(version),
    )
}

#[then(regex = r"^the ETag is weak$")]
async fn is_weak(w: &mut ScimWorld) -> StepResult {
    let etag = w.response()?.etag.clone().unwrap_or_default();
    ensure(
        etag.starts_with("W/\""),
        w.last.as_ref(),
        "RFC 7644 §3.14",
        "resource versions are weak entity tags",
        "W/\"...\"",
        etag,
    )
}

#[then(regex = r#"^the ETag of user "([^"]+)" has changed$"#)]
async fn changed(w: &mut ScimWorld, name: String) -> StepResult {
    let before = w
        .etag
        .clone()
        .ok_or_else(|| Failure::suite("no ETag was remembered"))?;
    let id = w.user(&name)?.id;
    let r = w.read("Users", &id).await?;
    let after = r.etag.clone().unwrap_or_default();
    ensure(
        !after.is_empty() && after != before,
        w.last.as_ref(),
        "RFC 7644 §3.14",
        "every write gives the resource a new version",
        format!("an ETag other than {before}"),
        if after.is_empty() {
            "(none)".into()
        } else {
            after
        },
    )
}

async fn conditional(w: &mut ScimWorld, action: &str, name: &str, etag: &str) -> StepResult {
    let id = w.user(name)?.id;
    let path = format!("/Users/{id}");
    let headers = [("If-Match", etag)];
    match action {
        "replace" => {
            let mut body = w.user_body(name, None);
            if let Some(o) = body.as_object_mut() {
                o.insert("nickName".into(), json!("conditional"));
            }
            w.call(Method::PUT, &path, Some(&body), &headers).await?;
        }
        "patch" => {
            let body = json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "replace", "path": "nickName", "value": "conditional"}
            ]});
            w.call(Method::PATCH, &path, Some(&body), &headers).await?;
        }
        _ => {
            w.call(Method::DELETE, &path, None, &headers).await?;
        }
    }
    Ok(())
}

#[when(regex = r#"^I (replace|patch|delete) user "([^"]+)" with a stale ETag in If-Match$"#)]
async fn with_stale(w: &mut ScimWorld, action: String, name: String) -> StepResult {
    conditional(w, &action, &name, STALE).await
}

#[when(regex = r#"^I (replace|patch|delete) user "([^"]+)" with the remembered ETag in If-Match$"#)]
async fn with_remembered(w: &mut ScimWorld, action: String, name: String) -> StepResult {
    let etag = w
        .etag
        .clone()
        .ok_or_else(|| Failure::suite("no ETag was remembered"))?;
    conditional(w, &action, &name, &etag).await
}

#[when(regex = r#"^I read user "([^"]+)" with the remembered ETag in If-None-Match$"#)]
async fn if_none_match(w: &mut ScimWorld, name: String) -> StepResult {
    let etag = w
        .etag
        .clone()
        .ok_or_else(|| Failure::suite("no ETag was remembered"))?;
    let id = w.user(&name)?.id;
    let path = format!("/Users/{id}");
    w.call(
        Method::GET,
        &path,
        None,
        &[("If-None-Match", etag.as_str())],
    )
    .await
    .map(|_| ())
}

#[then(regex = r#"^user "([^"]+)" was not modified$"#)]
async fn not_modified(w: &mut ScimWorld, name: String) -> StepResult {
    let body = super::crud::fetch_user(w, &name).await?;
    let nick = lookup(&body, "nickName");
    ensure(
        nick.and_then(Value::as_str) != Some("conditional"),
        w.last.as_ref(),
        "RFC 7644 §3.14",
        "a request whose If-Match fails changes nothing",
        "nickName not set by the refused request",
        show(nick),
    )
}
