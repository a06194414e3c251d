//! `/admin/v1/org/...`: the organization's admins, their roles and its domains.

use super::{AdminResult, engine, no_content, ok};
use crate::reference::body::read_json;
use crate::reference::org::AdminRole;
use crate::reference::response::json_response;
use crate::reference::state::AppState;
use crate::scim::ScimError;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeSet;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewAdmin {
    email: String,
    #[serde(default)]
    roles: BTreeSet<AdminRole>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Roles {
    roles: BTreeSet<AdminRole>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Verified {
    verified: bool,
}

fn admin_id(s: &str) -> Result<Uuid, ScimError> {
    Uuid::parse_str(s).map_err(|_| ScimError::not_found(format!("no admin with id {s}")))
}

pub(super) async fn show(State(st): State<AppState>) -> AdminResult {
    ok(engine(&st)?.org().to_json())
}

pub(super) async fn list_admins(State(st): State<AppState>) -> AdminResult {
    ok(json!({ "admins": engine(&st)?.org().admins() }))
}

pub(super) async fn add_admin(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> AdminResult {
    let input: NewAdmin = read_json(&st, &headers, body).await?;
    let a = engine(&st)?.org().add_admin(&input.email, input.roles)?;
    Ok(json_response(StatusCode::CREATED, &json!(a)))
}

pub(super) async fn set_roles(
    State(st): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> AdminResult {
    let input: Roles = read_json(&st, &headers, body).await?;
    let a = engine(&st)?.org().set_roles(admin_id(&id)?, input.roles)?;
    ok(json!(a))
}

pub(super) async fn remove_admin(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> AdminResult {
    engine(&st)?.org().remove_admin(admin_id(&id)?)?;
    no_content()
}

pub(super) async fn set_domain(
    State(st): State<AppState>,
    Path(domain): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> AdminResult {
    let input: Verified = read_json(&st, &headers, body).await?;
    ok(json!(
        engine(&st)?.org().set_domain(&domain, input.verified)?
    ))
}

pub(super) async fn remove_domain(
    State(st): State<AppState>,
    Path(domain): Path<String>,
) -> AdminResult {
    engine(&st)?.org().remove_domain(&domain)?;
    no_content()
}
