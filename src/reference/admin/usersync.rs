//! `/admin/v1/usersync/...`: rules, the switch, custom attributes, licenses, the outbox,
//! foreign accounts, the applied sequence and per-user results.

use super::{AdminResult, engine, no_content, ok};
use crate::reference::body::read_json;
use crate::reference::response::json_response;
use crate::reference::state::AppState;
use crate::reference::usersync::custom::CustomMapping;
use crate::reference::usersync::rules::{Rule, RuleInput, RuleSet};
use crate::reference::usersync::state::UserRecord;
use crate::reference::usersync::{MAX_WAIT, UserSync};
use crate::scim::ScimError;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Switch {
    on: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct Order {
    rule_ids: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Mappings {
    mappings: Vec<CustomMapping>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Seats {
    seats: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewRecord {
    kind: String,
    title: String,
}

fn query(q: &Option<String>, name: &str) -> Option<String> {
    let q = q.as_deref()?;
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.into_owned())
}

fn rule_id(s: &str) -> Result<Uuid, ScimError> {
    Uuid::parse_str(s).map_err(|_| ScimError::not_found(format!("no rule with id {s}")))
}

/// A rule as the API shows it: its fields, its 1-based priority and its group's name.
fn rule_json(sync: &UserSync, set: &RuleSet, r: &Rule) -> Value {
    let mut v = json!(r);
    if let Some(o) = v.as_object_mut() {
        o.insert("priority".into(), json!(set.position(r.id)));
        let display = sync
            .group_display(r.group_id)
            .map_or(Value::Null, Value::String);
        o.insert("groupDisplayName".into(), display);
    }
    v
}

fn result_json(id: Uuid, r: &UserRecord) -> Value {
    let mut v = json!(r);
    if let Some(o) = v.as_object_mut() {
        o.insert("userId".into(), json!(id));
    }
    v
}

pub(super) async fn get_switch(State(st): State<AppState>) -> AdminResult {
    let s = engine(&st)?;
    ok(json!({
        "on": s.is_on(),
        "sequence": s.enqueued(),
        "unmetPrerequisites": s.unmet_prerequisites(),
    }))
}

pub(super) async fn put_switch(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> AdminResult {
    let input: Switch = read_json(&st, &headers, body).await?;
    let r = engine(&st)?.set_switch(input.on)?;
    ok(json!({"on": r.on, "sequence": r.sequence}))
}

pub(super) async fn list_rules(State(st): State<AppState>) -> AdminResult {
    let s = engine(&st)?;
    let set = s.rules();
    let rules: Vec<Value> = set.rules().iter().map(|r| rule_json(s, &set, r)).collect();
    ok(json!({ "rules": rules }))
}

pub(super) async fn create_rule(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> AdminResult {
    let input: RuleInput = read_json(&st, &headers, body).await?;
    let s = engine(&st)?;
    let (rule, seq) = s.create_rule(input)?;
    let mut v = rule_json(s, &s.rules(), &rule);
    if let Some(o) = v.as_object_mut() {
        o.insert("sequence".into(), json!(seq));
    }
    Ok(json_response(StatusCode::CREATED, &v))
}

pub(super) async fn get_rule(State(st): State<AppState>, Path(id): Path<String>) -> AdminResult {
    let s = engine(&st)?;
    let set = s.rules();
    let r = set
        .get(rule_id(&id)?)
        .ok_or_else(|| ScimError::not_found(format!("no rule with id {id}")))?;
    ok(rule_json(s, &set, r))
}

pub(super) async fn replace_rule(
    State(st): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> AdminResult {
    let input: RuleInput = read_json(&st, &headers, body).await?;
    let s = engine(&st)?;
    let (rule, seq) = s.replace_rule(rule_id(&id)?, input)?;
    let mut v = rule_json(s, &s.rules(), &rule);
    if let Some(o) = v.as_object_mut() {
        o.insert("sequence".into(), json!(seq));
    }
    ok(v)
}

pub(super) async fn delete_rule(State(st): State<AppState>, Path(id): Path<String>) -> AdminResult {
    let seq = engine(&st)?.delete_rule(rule_id(&id)?)?;
    ok(json!({ "sequence": seq }))
}

pub(super) async fn reorder(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> AdminResult {
    let input: Order = read_json(&st, &headers, body).await?;
    let ids = input
        .rule_ids
        .iter()
        .map(|i| rule_id(i))
        .collect::<Result<Vec<_>, _>>()?;
    let s = engine(&st)?;
    let seq = s.reorder(&ids)?;
    let set = s.rules();
    let rules: Vec<Value> = set.rules().iter().map(|r| rule_json(s, &set, r)).collect();
    ok(json!({ "rules": rules, "sequence": seq }))
}

pub(super) async fn get_custom(State(st): State<AppState>) -> AdminResult {
    ok(json!({ "mappings": *engine(&st)?.custom_mappings() }))
}

pub(super) async fn put_custom(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> AdminResult {
    let input: Mappings = read_json(&st, &headers, body).await?;
    if input
        .mappings
        .iter()
        .any(|m| m.attribute.trim().is_empty() || m.field.trim().is_empty())
    {
        return Err(ScimError::invalid_value("attribute and field must not be blank").into());
    }
    let s = engine(&st)?;
    let seq = s.set_custom_mappings(input.mappings);
    ok(json!({ "mappings": *s.custom_mappings(), "sequence": seq }))
}

pub(super) async fn list_licenses(State(st): State<AppState>) -> AdminResult {
    ok(json!({ "licenses": engine(&st)?.licenses().usage() }))
}

pub(super) async fn set_license(
    State(st): State<AppState>,
    Path(product): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> AdminResult {
    let input: Seats = read_json(&st, &headers, body).await?;
    if product.trim().is_empty() {
        return Err(ScimError::invalid_value("the product name must not be blank").into());
    }
    ok(json!(
        engine(&st)?.licenses().set_limit(&product, input.seats)
    ))
}

pub(super) async fn outbox(State(st): State<AppState>, RawQuery(q): RawQuery) -> AdminResult {
    let user = match query(&q, "userId") {
        Some(u) => Some(
            Uuid::parse_str(&u)
                .map_err(|_| ScimError::invalid_value(format!("userId '{u}' is not an id")))?,
        ),
        None => None,
    };
    let emails = engine(&st)?.outbox().list(user);
    ok(json!({ "totalResults": emails.len(), "emails": emails }))
}

pub(super) async fn list_foreign(State(st): State<AppState>) -> AdminResult {
    ok(json!({ "userNames": engine(&st)?.foreign_accounts() }))
}

pub(super) async fn add_foreign(
    State(st): State<AppState>,
    Path(user_name): Path<String>,
) -> AdminResult {
    if user_name.trim().is_empty() {
        return Err(ScimError::invalid_value("the userName must not be blank").into());
    }
    engine(&st)?.add_foreign_account(&user_name);
    ok(json!({ "userName": user_name.trim().to_lowercase() }))
}

pub(super) async fn remove_foreign(
    State(st): State<AppState>,
    Path(user_name): Path<String>,
) -> AdminResult {
    if engine(&st)?.remove_foreign_account(&user_name) {
        no_content()
    } else {
        Err(ScimError::not_found(format!("'{user_name}' is not listed")).into())
    }
}

fn sequence_json(s: &UserSync) -> Value {
    let (events, users) = s.backlog();
    json!({
        "enqueued": s.enqueued(),
        "applied": s.applied(),
        "backlog": {"events": events, "users": users},
    })
}

pub(super) async fn sequence(State(st): State<AppState>) -> AdminResult {
    ok(sequence_json(engine(&st)?))
}

/// Long-poll: answers as soon as `sequence` (default: everything enqueued so far) is applied,
/// or after `timeoutMs` (default 5000, at most 30000) with `reached: false`.
pub(super) async fn wait(State(st): State<AppState>, RawQuery(q): RawQuery) -> AdminResult {
    let s = engine(&st)?.clone();
    let number = |name: &str| -> Result<Option<u64>, ScimError> {
        query(&q, name)
            .map(|v| {
                v.trim().parse::<u64>().map_err(|_| {
                    ScimError::invalid_value(format!("'{name}' must be a non-negative integer"))
                })
            })
            .transpose()
    };
    let seq = number("sequence")?.unwrap_or_else(|| s.enqueued());
    let timeout = Duration::from_millis(number("timeoutMs")?.unwrap_or(5000)).min(MAX_WAIT);
    let reached = s.wait_for(seq, timeout).await;
    let mut v = sequence_json(&s);
    if let Some(o) = v.as_object_mut() {
        o.insert("sequence".into(), json!(seq));
        o.insert("reached".into(), json!(reached));
    }
    ok(v)
}

pub(super) async fn results(State(st): State<AppState>, RawQuery(q): RawQuery) -> AdminResult {
    let want = query(&q, "result");
    let list: Vec<Value> = engine(&st)?
        .results(want.as_deref())
        .iter()
        .map(|(id, r)| result_json(*id, r))
        .collect();
    ok(json!({ "totalResults": list.len(), "results": list }))
}

pub(super) async fn retry_failed(State(st): State<AppState>) -> AdminResult {
    let (seq, n) = engine(&st)?.retry_failed()?;
    Ok(json_response(
        StatusCode::ACCEPTED,
        &json!({"sequence": seq, "users": n}),
    ))
}

pub(super) async fn user_result(State(st): State<AppState>, Path(id): Path<String>) -> AdminResult {
    let (uid, r) = engine(&st)?.user_result(&id)?;
    ok(result_json(uid, &r))
}

pub(super) async fn retry_user(State(st): State<AppState>, Path(id): Path<String>) -> AdminResult {
    let seq = engine(&st)?.retry(&id)?;
    Ok(json_response(
        StatusCode::ACCEPTED,
        &json!({"sequence": seq}),
    ))
}

pub(super) async fn login(State(st): State<AppState>, Path(id): Path<String>) -> AdminResult {
    let (status, seq) = engine(&st)?.login(&id)?;
    ok(json!({"status": status, "sequence": seq}))
}

pub(super) async fn list_product_data(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> AdminResult {
    ok(json!({ "records": engine(&st)?.product_data(&id)? }))
}

pub(super) async fn add_product_data(
    State(st): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> AdminResult {
    let input: NewRecord = read_json(&st, &headers, body).await?;
    if input.kind.trim().is_empty() || input.title.trim().is_empty() {
        return Err(ScimError::invalid_value("kind and title must not be blank").into());
    }
    let r = engine(&st)?.add_product_data(&id, input.kind.trim(), input.title.trim())?;
    Ok(json_response(StatusCode::CREATED, &json!(r)))
}
