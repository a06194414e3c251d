//! Step definitions, grouped by domain. Step texts are business language ("a user "ann"",
//! "exactly 1 user is found"); the SCIM details live here, and every assertion names the RFC
//! section it checks.
//!
//! Steps common to several domains (statuses, error bodies, attribute checks on the last
//! response) are in this file.

pub mod bulk;
pub mod crud;
pub mod directory_connector;
pub mod discovery;
pub mod entra;
pub mod errors;
pub mod etag;
pub mod filter;
pub mod groups;
pub mod lifecycle;
pub mod managers;
pub mod okta;
pub mod paging;
pub mod patch;
pub mod provisioning;
pub mod provisioning_logs;
pub mod provisioning_pace;
pub mod schema;
pub mod usersync;
pub mod verification;

use super::ScimWorld;
use super::assert::{Checks, Failure, StepResult, cut, ensure};
use crate::scim::error::ERROR_SCHEMA;
/// Attribute-path reads live with the protocol (`scim::path`); the steps use them from here.
pub use crate::scim::path::{get_ci, lookup, show};
use cucumber::then;
use serde_json::Value;

/// `"ann", "bob" and "cat"` / `ann, bob` / `none` -> names.
pub fn names(list: &str) -> Vec<String> {
    let list = list.trim();
    if list.eq_ignore_ascii_case("none") || list.eq_ignore_ascii_case("nobody") {
        return Vec::new();
    }
    list.replace(" and ", ",")
        .split(',')
        .map(|n| n.trim().trim_matches('"').to_string())
        .filter(|n| !n.is_empty())
        .collect()
}

/// Checks the last status against the allowed ones.
pub fn expect_status(w: &ScimWorld, allowed: &[u16], source: &str, statement: &str) -> StepResult {
    let r = w.response()?;
    let want = allowed
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ");
    ensure(
        allowed.contains(&r.status),
        w.last.as_ref(),
        source,
        statement,
        want,
        r.status,
    )
}

/// A JSON value's type in words, for messages ("a JSON number").
pub fn json_kind(v: Option<&Value>) -> &'static str {
    match v {
        None => "absent",
        Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "a JSON boolean",
        Some(Value::Number(_)) => "a JSON number",
        Some(Value::String(_)) => "a JSON string",
        Some(Value::Array(_)) => "a JSON array",
        Some(Value::Object(_)) => "a JSON object",
    }
}

/// Checks an RFC 7644 §3.12 error body: the Error schema and `status` as a string equal to the
/// HTTP status. Both are evaluated; each is a property of the server's error format as a
/// whole, so it is one finding however many requests show it.
pub fn check_error_body(w: &ScimWorld) -> StepResult {
    let r = w.response()?;
    let x = w.last.as_ref();
    let mut c = Checks::new();
    let schemas_ok = get_ci(&r.body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|s| s.as_str() == Some(ERROR_SCHEMA)));
    c.add(
        ensure(
            schemas_ok,
            x,
            "RFC 7644 §3.12",
            "an error response carries the Error schema",
            format!("\"schemas\" containing {ERROR_SCHEMA}"),
            if r.body.is_object() {
                show(get_ci(&r.body, "schemas"))
            } else {
                format!("a body that is not a JSON object: {}", cut(&r.raw))
            },
        )
        .map_err(Failure::general),
    )?;
    let status = get_ci(&r.body, "status");
    let want = r.status.to_string();
    let actual = match status {
        Some(Value::String(s)) if *s == want => String::new(),
        Some(Value::String(s)) => format!("\"{s}\", not the HTTP status"),
        Some(v @ Value::Number(n)) if n.to_string() == want => {
            format!("{n} ({}, not a string)", json_kind(Some(v)))
        }
        other => format!("{} ({})", show(other), json_kind(other)),
    };
    c.add(
        ensure(
            actual.is_empty(),
            x,
            "RFC 7644 §3.12",
            "an error body's \"status\" is the HTTP status code as a JSON string",
            format!("\"{want}\" (a JSON string)"),
            actual,
        )
        .map_err(Failure::general),
    )?;
    c.finish()
}

#[then(regex = r"^the response status is (\d+)$")]
async fn status_is(w: &mut ScimWorld, status: u16) -> StepResult {
    expect_status(w, &[status], "RFC 7644 §3.12", "the response status")
}

#[then(regex = r"^the response status is (\d+) or (\d+)$")]
async fn status_is_either(w: &mut ScimWorld, a: u16, b: u16) -> StepResult {
    expect_status(w, &[a, b], "RFC 7644 §3.12", "the response status")
}

#[then(regex = r"^the request is refused$")]
async fn refused_any(w: &mut ScimWorld) -> StepResult {
    let r = w.response()?;
    ensure(
        r.status >= 400,
        w.last.as_ref(),
        "RFC 7644 §3.5.2",
        "a request that cannot be applied whole is refused",
        "a 4xx or 5xx status",
        r.status,
    )
}

#[then(regex = r"^the request is refused with status (\d+)$")]
async fn refused_with(w: &mut ScimWorld, status: u16) -> StepResult {
    refusal(w, status, None)
}

#[then(regex = r#"^the request is refused with status (\d+) and scimType "(\w+)"$"#)]
async fn refused_with_type(w: &mut ScimWorld, status: u16, scim_type: String) -> StepResult {
    refusal(w, status, Some(&scim_type))
}

/// The status, the error body and (when named) the scimType, all evaluated. A refusal with
/// the wrong status is one finding; the body checks only apply to an error answer.
fn refusal(w: &ScimWorld, status: u16, scim_type: Option<&str>) -> StepResult {
    refusal_for(
        w,
        status,
        scim_type,
        "RFC 7644 §3.12",
        &format!("the request is refused with {status}"),
    )
}

/// [`refusal`] citing the sentence that requires this refusal.
pub fn refusal_for(
    w: &ScimWorld,
    status: u16,
    scim_type: Option<&str>,
    source: &str,
    statement: &str,
) -> StepResult {
    let mut c = Checks::new();
    c.add(expect_status(w, &[status], source, statement))?;
    if w.response()?.status >= 400 {
        c.add(check_error_body(w))?;
        if let Some(t) = scim_type {
            c.add(scim_type_is(w, t))?;
        }
    }
    c.finish()
}

/// scimType is OPTIONAL in RFC 7644 §3.12; table 9 names the keyword for each error it
/// lists, so a missing or different keyword is a SHOULD finding, never a MUST.
pub fn scim_type_is(w: &ScimWorld, scim_type: &str) -> StepResult {
    let r = w.response()?;
    let got = get_ci(&r.body, "scimType");
    // The one place the RFC makes the keyword a MUST: a create that conflicts (RFC 7644 §3.3).
    let create = w.last.as_ref().is_some_and(|x| x.method == "POST");
    if scim_type == "uniqueness" && r.status == 409 && create {
        return ensure(
            got.and_then(Value::as_str) == Some(scim_type),
            w.last.as_ref(),
            "RFC 7644 §3.3",
            "a create that conflicts with an existing resource MUST be answered 409 with scimType uniqueness",
            scim_type,
            show(got),
        );
    }
    ensure(
        got.and_then(Value::as_str) == Some(scim_type),
        w.last.as_ref(),
        "RFC 7644 §3.12 table 9",
        &format!("the error carries the scimType keyword table 9 names for it ({scim_type})"),
        scim_type,
        show(got),
    )
    .map_err(|f| f.at(crate::report::Level::Should).general())
}

#[then(regex = r#"^the error names the scimType "(\w+)"$"#)]
async fn error_names(w: &mut ScimWorld, scim_type: String) -> StepResult {
    scim_type_is(w, &scim_type)
}

#[then(regex = r"^the response has the SCIM media type$")]
async fn scim_media_type(w: &mut ScimWorld) -> StepResult {
    let r = w.response()?;
    let ct = r.content_type.clone().unwrap_or_default();
    ensure(
        ct.to_ascii_lowercase().starts_with("application/scim+json"),
        w.last.as_ref(),
        "RFC 7644 §3.8",
        "a request that asks for the SCIM media type (Accept: application/scim+json, which service providers MUST support) gets its answer in that media type",
        "Content-Type: application/scim+json",
        if ct.is_empty() { "(none)".into() } else { ct },
    )
    .map_err(Failure::general)
}

#[then(regex = r#"^the returned resource has ((?:[^\s\[]|\[[^\]]*\])+) "([^"]*)"$"#)]
async fn returned_has(w: &mut ScimWorld, path: String, want: String) -> StepResult {
    w.applicable(&path)?;
    let want = w.expected_value(&path, &want);
    let r = w.response()?;
    let got = lookup(&r.body, &path);
    ensure(
        got.is_some_and(|g| matches_text(g, &want)),
        w.last.as_ref(),
        "RFC 7643 §4",
        &format!("the returned resource has {path}"),
        &want,
        show(got),
    )
}

#[then(regex = r"^the returned resource has no ((?:[^\s\[]|\[[^\]]*\])+)$")]
async fn returned_lacks(w: &mut ScimWorld, path: String) -> StepResult {
    w.applicable(&path)?;
    let r = w.response()?;
    let got = lookup(&r.body, &path);
    ensure(
        got.is_none_or(Value::is_null),
        w.last.as_ref(),
        "RFC 7644 §3.9, RFC 7643 §7",
        &format!("the returned resource does not contain {path}"),
        "(absent)",
        show(got),
    )
}

#[then(regex = r"^the returned resource has an? (\S+)$")]
async fn returned_has_any(w: &mut ScimWorld, path: String) -> StepResult {
    w.applicable(&path)?;
    let r = w.response()?;
    let got = lookup(&r.body, &path);
    ensure(
        got.is_some_and(|g| !g.is_null()),
        w.last.as_ref(),
        "RFC 7643 §3.1",
        &format!("the returned resource contains {path}"),
        "a value",
        "(absent)",
    )
}

/// A JSON value against the text a feature wrote: strings compare exactly, other values by
/// their JSON text (`true`, `3`).
pub fn matches_text(v: &Value, want: &str) -> bool {
    match v {
        Value::String(s) => s == want,
        other => other.to_string().as_str() == want,
    }
}

/// Fails with a skip when a condition about the target does not hold.
pub fn skip_unless(cond: bool, reason: impl Into<String>) -> StepResult {
    if cond {
        Ok(())
    } else {
        Err(Failure::skip(reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_name_lists() {
        assert_eq!(
            names("\"ann\", \"bob\" and \"cat\""),
            vec!["ann", "bob", "cat"]
        );
        assert!(names("none").is_empty());
    }
}
