//! PATCH (RFC 7644 §3.5.2): operations are written in the feature as JSON, because the
//! operation list *is* the thing being specified; placeholders `{id of NAME}` stand for ids.
//! A successful PATCH may answer 200 with the resource or 204 without a body: both pass.

use super::{ensure, get_ci};
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Failure, StepResult};
use crate::scim::schema::PATCH_OP;
use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use reqwest::Method;
use serde_json::{Value, json};

/// Builds a PatchOp message from a docstring holding one operation, a list, or a full message.
pub fn patch_body(w: &ScimWorld, step: &Step) -> Result<Value, Failure> {
    let text = step
        .docstring
        .as_deref()
        .ok_or_else(|| Failure::suite("the step needs a docstring with the operations"))?;
    let text = w.fill_ids(text)?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| Failure::suite(format!("the operations are not valid JSON: {e}")))?;
    Ok(match v {
        Value::Array(ops) => json!({"schemas": [PATCH_OP], "Operations": ops}),
        Value::Object(ref o) if o.contains_key("Operations") => v,
        op => json!({"schemas": [PATCH_OP], "Operations": [op]}),
    })
}

async fn send_patch(
    w: &mut ScimWorld,
    endpoint: &str,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
) -> StepResult {
    let headers: Vec<(&str, &str)> = if_match.map(|e| ("If-Match", e)).into_iter().collect();
    let path = format!("/{endpoint}/{id}");
    w.call(Method::PATCH, &path, Some(body), &headers)
        .await
        .map(|_| ())
}

/// Not applicable when a well-formed operation names an attribute the target's User schema
/// does not declare (by its path, or by the keys of a path-less value).
fn ops_applicable(w: &ScimWorld, body: &Value) -> StepResult {
    let ops = body.get("Operations").and_then(Value::as_array);
    for op in ops.into_iter().flatten() {
        let kind = op
            .get("op")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        if !matches!(kind.as_str(), "add" | "replace" | "remove") {
            continue;
        }
        match (op.get("path").and_then(Value::as_str), op.get("value")) {
            (Some(path), _) => w.applicable(path)?,
            (None, Some(Value::Object(keys))) => {
                for k in keys.keys() {
                    w.applicable(k)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[when(regex = r#"^I patch user "([^"]+)" with:$"#)]
async fn patch_user(w: &mut ScimWorld, name: String, step: &Step) -> StepResult {
    let id = w.user(&name)?.id;
    let body = patch_body(w, step)?;
    ops_applicable(w, &body)?;
    send_patch(w, "Users", &id, &body, None).await
}

/// The valid twin of a malformed operation: the same operation put right must be accepted,
/// or the refusal of the malformed one proves nothing (the scenario is blocked instead).
#[given(regex = r#"^user "([^"]+)" accepts the operation (\{.+\})$"#)]
async fn accepts_twin(w: &mut ScimWorld, name: String, op: String) -> StepResult {
    let id = w.user(&name)?.id;
    let op: Value = serde_json::from_str(&w.fill_ids(&op)?)
        .map_err(|e| Failure::suite(format!("the twin operation is not valid JSON: {e}")))?;
    let body = json!({"schemas": [PATCH_OP], "Operations": [op]});
    ops_applicable(w, &body)?;
    send_patch(w, "Users", &id, &body, None).await?;
    super::expect_status(
        w,
        &[200, 204],
        "RFC 7644 §3.5.2",
        "the valid twin of the malformed operation is accepted",
    )
}

#[when(regex = r#"^I patch group "([^"]+)" with:$"#)]
async fn patch_group(w: &mut ScimWorld, name: String, step: &Step) -> StepResult {
    let id = w.group(&name)?.id;
    let body = patch_body(w, step)?;
    send_patch(w, "Groups", &id, &body, None).await
}

#[then(regex = r"^the change is accepted$")]
async fn accepted(w: &mut ScimWorld) -> StepResult {
    let r = w.response()?;
    let x = w.last.as_ref();
    ensure(
        r.status == 200 || r.status == 204,
        x,
        "RFC 7644 §3.5.2",
        "a successful PATCH answers 200 with the resource or 204 without a body",
        "200 or 204",
        r.status,
    )?;
    if r.status == 200 {
        ensure(
            get_ci(&r.body, "id").is_some(),
            x,
            "RFC 7644 §3.5.2",
            "a PATCH that answers 200 returns the resource",
            "a resource with an id",
            if r.raw.is_empty() {
                "(empty body)".into()
            } else {
                "a body without id".to_string()
            },
        )?;
    }
    Ok(())
}

#[then(regex = r"^the server answers with the updated resource$")]
async fn answers_with_resource(w: &mut ScimWorld) -> StepResult {
    let r = w.response()?;
    ensure(
        r.status == 200 && get_ci(&r.body, "id").is_some(),
        w.last.as_ref(),
        "RFC 7644 §3.5.2",
        "the server MAY answer a PATCH with 200 and the resource (204 is equally allowed)",
        "200 with the resource",
        r.status,
    )
}
