//! `/Bulk` (RFC 7644 §3.7): operations in order, `bulkId` references resolved (forward
//! references by deferring the operation that uses them), `failOnErrors`, and the advertised
//! `maxOperations` enforced with 413.

use super::resources;
use super::store::{Kind, Store};
use crate::scim::ScimError;
use crate::scim::schema::{BULK_REQUEST, BULK_RESPONSE};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

struct Op {
    index: usize,
    method: String,
    bulk_id: Option<String>,
    version: Option<String>,
    path: String,
    data: Option<Value>,
}

/// Runs a BulkRequest and returns the BulkResponse body.
pub fn run(store: &Store, req: &Value, base: &str) -> Result<Value, ScimError> {
    let obj = req
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("a BulkRequest must be a JSON object"))?;
    let get = |name: &str| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let schemas_ok = get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|s| s.as_str() == Some(BULK_REQUEST)));
    if !schemas_ok {
        return Err(ScimError::invalid_syntax(format!(
            "'schemas' must contain {BULK_REQUEST}"
        )));
    }
    let fail_on_errors = match get("failOnErrors") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().filter(|n| *n > 0).ok_or_else(|| {
            ScimError::invalid_value("'failOnErrors' must be a positive integer")
        })?),
    };
    let raw_ops = get("Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::invalid_syntax("'Operations' must be an array"))?;
    let max = store.config.limits.bulk_max_operations;
    if raw_ops.len() > max {
        return Err(ScimError::status(
            413,
            format!(
                "the bulk request has {} operations; maxOperations is {max}",
                raw_ops.len()
            ),
        ));
    }
    let mut ops = Vec::with_capacity(raw_ops.len());
    for (index, o) in raw_ops.iter().enumerate() {
        let field = |name: &str| o.get(name).and_then(Value::as_str).map(str::to_string);
        let method = field("method")
            .ok_or_else(|| ScimError::invalid_syntax(format!("operation {index} has no 'method'")))?
            .to_ascii_uppercase();
        let path = field("path")
            .ok_or_else(|| ScimError::invalid_syntax(format!("operation {index} has no 'path'")))?;
        let bulk_id = field("bulkId");
        if method == "POST" && bulk_id.is_none() {
            return Err(ScimError::invalid_syntax(format!(
                "POST operation {index} needs a 'bulkId'"
            )));
        }
        ops.push(Op {
            index,
            method,
            bulk_id,
            version: field("version"),
            path,
            data: o.get("data").cloned(),
        });
    }
    let declared: Vec<String> = ops.iter().filter_map(|o| o.bulk_id.clone()).collect();
    let mut resolved: HashMap<String, String> = HashMap::new();
    let mut results: Vec<Option<Value>> = vec![None; ops.len()];
    let mut errors = 0u64;
    let mut pending: Vec<&Op> = ops.iter().collect();
    while !pending.is_empty() {
        let mut progressed = false;
        let mut still = Vec::new();
        for op in pending {
            if fail_on_errors.is_some_and(|f| errors >= f) {
                break;
            }
            let refs = references(op);
            let waits = refs.iter().any(|r| {
                !resolved.contains_key(r) && declared.contains(r) && op.bulk_id.as_ref() != Some(r)
            });
            if waits {
                still.push(op);
                continue;
            }
            progressed = true;
            let outcome = execute(store, op, &resolved, base);
            let result = match outcome {
                Ok((status, id, location, version)) => {
                    if let (Some(b), Some(id)) = (&op.bulk_id, id) {
                        resolved.insert(b.clone(), id);
                    }
                    let mut r = Map::new();
                    r.insert("method".into(), Value::String(op.method.clone()));
                    if let Some(b) = &op.bulk_id {
                        r.insert("bulkId".into(), Value::String(b.clone()));
                    }
                    if let Some(l) = location {
                        r.insert("location".into(), Value::String(l));
                    }
                    if let Some(v) = version {
                        r.insert("version".into(), Value::String(v));
                    }
                    r.insert("status".into(), Value::String(status.to_string()));
                    Value::Object(r)
                }
                Err(e) => {
                    errors += 1;
                    let mut r = Map::new();
                    r.insert("method".into(), Value::String(op.method.clone()));
                    if let Some(b) = &op.bulk_id {
                        r.insert("bulkId".into(), Value::String(b.clone()));
                    }
                    r.insert("status".into(), Value::String(e.status.to_string()));
                    r.insert("response".into(), e.to_body());
                    Value::Object(r)
                }
            };
            results[op.index] = Some(result);
        }
        if fail_on_errors.is_some_and(|f| errors >= f) {
            break;
        }
        if !progressed {
            // Circular references that cannot be resolved: report each remaining operation.
            for op in still {
                // RFC 7644 §3.7.1: a reference that cannot be resolved is a conflict.
                let e = ScimError::status(409, "unresolvable circular bulkId reference");
                results[op.index] = Some(json!({
                    "method": op.method, "bulkId": op.bulk_id, "status": e.status.to_string(), "response": e.to_body()
                }));
            }
            break;
        }
        pending = still;
    }
    let operations: Vec<Value> = results.into_iter().flatten().collect();
    Ok(json!({"schemas": [BULK_RESPONSE], "Operations": operations}))
}

/// Every `bulkId:X` an operation refers to, in its path or data.
fn references(op: &Op) -> Vec<String> {
    let mut out = Vec::new();
    collect_refs(&Value::String(op.path.clone()), &mut out);
    if let Some(d) = &op.data {
        collect_refs(d, &mut out);
    }
    out
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(pos) = rest.find("bulkId:") {
                let tail = &rest[pos + 7..];
                let end = tail
                    .find(|c: char| c == '/' || c == '"' || c.is_whitespace())
                    .unwrap_or(tail.len());
                out.push(tail[..end].to_string());
                rest = &tail[end..];
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

fn substitute(v: &Value, resolved: &HashMap<String, String>) -> Value {
    match v {
        Value::String(s) if s.contains("bulkId:") => {
            let mut s = s.clone();
            for (k, id) in resolved {
                s = s.replace(&format!("bulkId:{k}"), id);
            }
            Value::String(s)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute(x, resolved)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), substitute(x, resolved)))
                .collect(),
        ),
        other => other.clone(),
    }
}

type Outcome = (u16, Option<String>, Option<String>, Option<String>);

fn execute(
    store: &Store,
    op: &Op,
    resolved: &HashMap<String, String>,
    base: &str,
) -> Result<Outcome, ScimError> {
    let path = match substitute(&Value::String(op.path.clone()), resolved) {
        Value::String(s) => s,
        _ => op.path.clone(),
    };
    if path.contains("bulkId:") {
        return Err(ScimError::invalid_value(format!(
            "'{path}' refers to an unknown bulkId"
        )));
    }
    let data = op.data.as_ref().map(|d| substitute(d, resolved));
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let kind = match parts.next() {
        Some("Users") => Kind::User,
        Some("Groups") => Kind::Group,
        _ => {
            return Err(ScimError::invalid_value(format!(
                "bulk path '{path}' names no resource type"
            )));
        }
    };
    let id = parts.next().filter(|s| !s.is_empty());
    let need_data = || {
        data.clone()
            .ok_or_else(|| ScimError::invalid_syntax("this operation needs 'data'"))
    };
    let version = |v: u64| Some(super::etag::etag(v));
    match (op.method.as_str(), id) {
        ("POST", None) => {
            let (v, loc, body) = resources::create(store, kind, &need_data()?, None, None, base)?;
            let id = body.get("id").and_then(Value::as_str).map(str::to_string);
            Ok((201, id, Some(loc), version(v)))
        }
        ("PUT", Some(id)) => {
            let (v, _) = resources::replace(
                store,
                &resources::WriteRequest {
                    kind,
                    id,
                    input: &need_data()?,
                    if_match: op.version.as_deref(),
                    attrs: None,
                    excl: None,
                    base,
                },
            )?;
            Ok((
                200,
                None,
                Some(format!("{base}/{}/{id}", kind.endpoint())),
                version(v),
            ))
        }
        ("PATCH", Some(id)) => {
            let (v, body) = resources::patch(
                store,
                &resources::WriteRequest {
                    kind,
                    id,
                    input: &need_data()?,
                    if_match: op.version.as_deref(),
                    attrs: None,
                    excl: None,
                    base,
                },
            )?;
            let status = if body.is_some() { 200 } else { 204 };
            Ok((
                status,
                None,
                Some(format!("{base}/{}/{id}", kind.endpoint())),
                version(v),
            ))
        }
        ("DELETE", Some(id)) => {
            store.delete(kind, id, op.version.as_deref())?;
            Ok((
                204,
                None,
                Some(format!("{base}/{}/{id}", kind.endpoint())),
                None,
            ))
        }
        (m, _) => Err(ScimError::invalid_value(format!(
            "method {m} is not allowed on '{path}'"
        ))),
    }
}
