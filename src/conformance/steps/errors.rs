//! Error handling (RFC 7644 §3.12): authentication, media types, bodies that are not JSON, and a
//! table of named bad requests for the error-case outlines.

use super::{check_error_body, expect_status, skip_unless};
use crate::client::encode;
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Checks, Failure, StepResult};
use crate::report::Level;
use crate::scim::schema::{GROUP_SCHEMA, PATCH_OP, USER_SCHEMA};
use cucumber::{given, then, when};
use reqwest::Method;
use serde_json::json;

#[given(regex = r"^the target requires a bearer token$")]
async fn requires_token(w: &mut ScimWorld) -> StepResult {
    let has = w.ctx()?.connection.has_auth();
    skip_unless(
        has,
        "the target was given no token, so authentication cannot be tested",
    )
}

#[when(regex = r"^I list users without a token$")]
async fn no_token(w: &mut ScimWorld) -> StepResult {
    w.call_raw(Method::GET, "/Users?count=1", None, Some(""))
        .await
        .map(|_| ())
}

#[when(regex = r"^I list users with a wrong token$")]
async fn wrong_token(w: &mut ScimWorld) -> StepResult {
    let wrong = format!("wrong-{}", uuid::Uuid::new_v4().simple());
    w.call_raw(Method::GET, "/Users?count=1", None, Some(&wrong))
        .await
        .map(|_| ())
}

#[when(regex = r#"^I create a user sending the media type "([^"]+)"$"#)]
async fn wrong_media(w: &mut ScimWorld, media: String) -> StepResult {
    let body = if media.contains("json") {
        w.user_body("typed", None).to_string()
    } else {
        "userName=typed".to_string()
    };
    let r = w
        .call_raw(Method::POST, "/Users", Some((body, &media)), None)
        .await?;
    if let Some(id) = r.body.get("id").and_then(|v| v.as_str()) {
        w.cleanup.push(("Users".into(), id.to_string()));
    }
    Ok(())
}

/// RFC 7231 §6.5.13 gives 415 its meaning; neither RFC 7644 nor RFC 7231 requires a server to
/// check the media type, so this is a MAY: a server that takes the body anyway declines it.
#[then(regex = r"^the request is refused as an unsupported media type$")]
async fn refused_media_type(w: &mut ScimWorld) -> StepResult {
    let mut c = Checks::new();
    c.add(
        expect_status(
            w,
            &[415],
            "RFC 7231 §6.5.13",
            "a server MAY refuse a body in a media type it does not support with 415 (Unsupported Media Type); RFC 7644 does not require the check",
        )
        .map_err(|f| f.at(Level::May)),
    )?;
    if w.response()?.status >= 400 {
        c.add(check_error_body(w))?;
    }
    c.finish()
}

/// The valid twin of a named bad request: the same request with the one thing that makes it
/// bad put right. A refusal of the bad request proves something only if the twin is accepted;
/// if it is not, the scenario is blocked by that (a server without filtering refuses every
/// filter, malformed or not).
#[given(regex = r#"^the valid twin of "([^"]+)" is accepted$"#)]
async fn valid_twin(w: &mut ScimWorld, which: String) -> StepResult {
    // Only the probes on an existing user need "ann" (the scenario's background creates it).
    let ann = w.user("ann");
    let active = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": true}]});
    let (method, path, body, accepted): (Method, String, Option<serde_json::Value>, &[u16]) =
        match which.as_str() {
            "create a user without a userName"
            | "create a user whose userName is a number"
            | "create a user with an empty userName"
            | "create a user whose userName is whitespace only"
            | "create a user with an empty externalId"
            | "create a user with a body that is not JSON" => (
                Method::POST,
                "/Users".into(),
                Some(w.user_body("twin", None)),
                &[201],
            ),
            "create a group with an empty displayName" => (
                Method::POST,
                "/Groups".into(),
                Some(json!({"schemas": [GROUP_SCHEMA], "displayName": w.group_name("twin")})),
                &[201],
            ),
            "create a user with a duplicate userName" => return Ok(()), // ann was created
            "read a user that does not exist" | "read a user whose id is not a UUID" => {
                (Method::GET, format!("/Users/{}", ann?.id), None, &[200])
            }
            "replace a user that does not exist" => {
                let b = w.user_body("ann", Some("ann@example.com"));
                (Method::PUT, format!("/Users/{}", ann?.id), Some(b), &[200])
            }
            // The twin sets the userName it already has.
            "patch a user's userName to whitespace only" => {
                let ann = ann?;
                let same = json!({"schemas": [PATCH_OP], "Operations": [
                    {"op": "replace", "path": "userName", "value": ann.real_name}]});
                (
                    Method::PATCH,
                    format!("/Users/{}", ann.id),
                    Some(same),
                    &[200, 204],
                )
            }
            "delete a user that does not exist" => {
                let b = w.user_body("doomed", None);
                let doomed = w.create_user("doomed", &b).await?;
                (
                    Method::DELETE,
                    format!("/Users/{}", doomed.id),
                    None,
                    &[204, 200],
                )
            }
            "search with an unknown operator" | "search with an unclosed parenthesis" => {
                let f = format!("userName eq \"{}\"", ann?.real_name);
                (
                    Method::GET,
                    format!("/Users?filter={}", encode(&f)),
                    None,
                    &[200],
                )
            }
            "patch a user that does not exist"
            | "patch with an unknown op"
            | "patch without the PatchOp schema" => (
                Method::PATCH,
                format!("/Users/{}", ann?.id),
                Some(active),
                &[200, 204],
            ),
            other => return Err(Failure::suite(format!("no valid twin for \"{other}\""))),
        };
    let r = w.call(method, &path, body.as_ref(), &[]).await?;
    track_created(w, &path, &r);
    super::expect_status(
        w,
        accepted,
        "RFC 7644 §3.12",
        "the valid twin of the probe is accepted, so refusing the probe is about what makes it bad",
    )
    .map_err(Failure::blocking)
}

/// Sends one of the named bad requests of the error-case outline.
#[when(regex = r#"^I send the bad request "([^"]+)"$"#)]
async fn bad_request(w: &mut ScimWorld, which: String) -> StepResult {
    let missing = uuid::Uuid::new_v4().to_string();
    if which == "create a user with a body that is not JSON" {
        return not_json(w).await;
    }
    let (method, path, body): (Method, String, Option<serde_json::Value>) = match which.as_str() {
        "create a user without a userName" => {
            let mut b = w.user_body("nameless", None);
            if let Some(o) = b.as_object_mut() {
                o.remove("userName");
            }
            (Method::POST, "/Users".into(), Some(b))
        }
        "create a user whose userName is a number" => {
            let mut b = w.user_body("numeric", None);
            if let Some(o) = b.as_object_mut() {
                o.insert("userName".into(), json!(42));
            }
            (Method::POST, "/Users".into(), Some(b))
        }
        // RFC 7643 §4.1.1: "Each User MUST include a non-empty userName value."
        "create a user with an empty userName" => {
            let mut b = w.user_body("blank", None);
            if let Some(o) = b.as_object_mut() {
                o.insert("userName".into(), json!(""));
            }
            (Method::POST, "/Users".into(), Some(b))
        }
        "create a user whose userName is whitespace only" => {
            let mut b = w.user_body("spaces", None);
            if let Some(o) = b.as_object_mut() {
                o.insert("userName".into(), json!(" \t "));
            }
            (Method::POST, "/Users".into(), Some(b))
        }
        // RFC 7643 §3.1: "Each resource MAY include a non-empty "externalId" value."
        "create a user with an empty externalId" => {
            let mut b = w.user_body("no-external", None);
            if let Some(o) = b.as_object_mut() {
                o.insert("externalId".into(), json!(""));
            }
            (Method::POST, "/Users".into(), Some(b))
        }
        // RFC 7643 §4.2: a Group's displayName is REQUIRED.
        "create a group with an empty displayName" => (
            Method::POST,
            "/Groups".into(),
            Some(json!({"schemas": [GROUP_SCHEMA], "displayName": ""})),
        ),
        "patch a user's userName to whitespace only" => {
            let ann = w.user("ann")?;
            let b = json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "replace", "path": "userName", "value": "   "}]});
            (Method::PATCH, format!("/Users/{}", ann.id), Some(b))
        }
        "create a user with a duplicate userName" => {
            let ann = w.user("ann")?;
            let mut b = w.user_body("twin", None);
            if let Some(o) = b.as_object_mut() {
                o.insert("userName".into(), json!(ann.real_name));
            }
            (Method::POST, "/Users".into(), Some(b))
        }
        "read a user that does not exist" => (Method::GET, format!("/Users/{missing}"), None),
        // Not a UUID: a server that routes or validates ids by their UUID shape must still
        // answer for an id it never issued with a SCIM 404, not its framework's error page.
        "read a user whose id is not a UUID" => {
            let id = format!(
                "no-such-id-{}",
                &uuid::Uuid::new_v4().simple().to_string()[..12]
            );
            (Method::GET, format!("/Users/{id}"), None)
        }
        "replace a user that does not exist" => {
            let b = w.user_body("ghost", None);
            (Method::PUT, format!("/Users/{missing}"), Some(b))
        }
        "delete a user that does not exist" => (Method::DELETE, format!("/Users/{missing}"), None),
        "patch a user that does not exist" => {
            let b = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "nickName", "value": "x"}]});
            (Method::PATCH, format!("/Users/{missing}"), Some(b))
        }
        "search with an unknown operator" => (
            Method::GET,
            format!("/Users?filter={}", encode("userName zz \"ann\"")),
            None,
        ),
        "search with an unclosed parenthesis" => (
            Method::GET,
            format!("/Users?filter={}", encode("(userName eq \"ann\"")),
            None,
        ),
        "patch with an unknown op" => {
            let ann = w.user("ann")?;
            let b = json!({"schemas": [PATCH_OP], "Operations": [{"op": "explode", "path": "active", "value": true}]});
            (Method::PATCH, format!("/Users/{}", ann.id), Some(b))
        }
        "patch without the PatchOp schema" => {
            let ann = w.user("ann")?;
            let b = json!({"schemas": [USER_SCHEMA], "Operations": [{"op": "replace", "path": "active", "value": true}]});
            (Method::PATCH, format!("/Users/{}", ann.id), Some(b))
        }
        other => return Err(Failure::suite(format!("no bad request named \"{other}\""))),
    };
    let r = w.call(method, &path, body.as_ref(), &[]).await?;
    track_created(w, &path, &r);
    Ok(())
}

#[when(regex = r"^I create a user with a body that is not JSON$")]
async fn not_json(w: &mut ScimWorld) -> StepResult {
    w.call_raw(
        Method::POST,
        "/Users",
        Some(("{\"userName\": ".to_string(), "application/scim+json")),
        None,
    )
    .await
    .map(|_| ())
}

/// A blank identifier refused with 400 invalidValue (R-IDENT), citing the sentence that makes
/// the value one that identifies nothing.
#[then(
    regex = r"^the request is refused because its (userName|displayName|externalId) names nothing$"
)]
async fn refused_blank(w: &mut ScimWorld, attr: String) -> StepResult {
    let (source, statement) = match attr.as_str() {
        "userName" => (
            "RFC 7643 §4.1.1; R-IDENT",
            "\"Each User MUST include a non-empty userName value\": an empty or blank one is refused with 400 invalidValue",
        ),
        "displayName" => (
            "RFC 7643 §4.2; R-IDENT",
            "a Group's displayName is REQUIRED: an empty one is refused with 400 invalidValue",
        ),
        _ => (
            "RFC 7643 §3.1; R-IDENT",
            "\"Each resource MAY include a non-empty externalId value\": \"\" is refused with 400 invalidValue",
        ),
    };
    super::refusal_for(w, 400, Some("invalidValue"), source, statement)
}

/// Whatever a probe created is deleted after the scenario, whether or not it should have been.
fn track_created(w: &mut ScimWorld, path: &str, r: &crate::client::ScimResponse) {
    if r.status == 201
        && let Some(id) = r.body.get("id").and_then(|v| v.as_str())
    {
        let endpoint = if path.starts_with("/Groups") {
            "Groups"
        } else {
            "Users"
        };
        w.cleanup.push((endpoint.into(), id.to_string()));
    }
}
