//! Test-only endpoints of the domain admin API: time travel and where the verifier looks.
//!
//! They exist only when the reference runs on a simulated clock, which only tests and the
//! conformance run's embedded reference do; elsewhere they answer 404, so an API caller can
//! never move a real deployment's time or point its verifier at other servers.

use crate::clock::Clock;
use crate::reference::body::read_optional_json;
use crate::reference::response::{ApiError, json_response};
use crate::reference::state::AppState;
use crate::scim::ScimError;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// The test endpoints exist only when the reference runs on a simulated clock, which only
/// tests and the conformance run's embedded reference do; elsewhere they answer 404, so an
/// API caller can never move a real deployment's time or point its verifier elsewhere.
fn sim_clock(st: &AppState) -> Result<&Arc<crate::clock::SimClock>, ApiError> {
    st.sim_clock.as_ref().ok_or_else(|| {
        ApiError(ScimError::not_found(
            "no such endpoint (test endpoints exist only on a reference started with a simulated clock)",
        ))
    })
}

async fn clock_now(State(st): State<AppState>) -> Result<Response, ApiError> {
    let c = sim_clock(&st)?;
    Ok(json_response(StatusCode::OK, &json!({"now": c.now()})))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Advance {
    #[serde(default)]
    days: i64,
    #[serde(default)]
    hours: i64,
    #[serde(default)]
    seconds: i64,
}

async fn clock_advance(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let c = sim_clock(&st)?;
    let a: Advance = serde_json::from_value(read_optional_json(&st, &headers, body).await?)
        .map_err(|e| {
            ApiError(ScimError::invalid_value(format!(
                "expected {{\"days\": N, \"hours\": N, \"seconds\": N}}: {e}"
            )))
        })?;
    let by = Duration::try_days(a.days)
        .zip(Duration::try_hours(a.hours))
        .zip(Duration::try_seconds(a.seconds))
        .and_then(|((d, h), s)| d.checked_add(&h)?.checked_add(&s))
        .filter(|d| *d >= Duration::zero() && *d <= Duration::days(3650))
        .ok_or_else(|| {
            ApiError(ScimError::invalid_value(
                "time moves forward only, by at most 10 years",
            ))
        })?;
    c.advance(by);
    Ok(json_response(StatusCode::OK, &json!({"now": c.now()})))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Servers {
    dns: Option<std::net::SocketAddr>,
    web: Option<std::net::SocketAddr>,
    dns_timeout_ms: Option<u64>,
    web_timeout_ms: Option<u64>,
}

async fn set_servers(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    sim_clock(&st)?;
    let s: Servers = serde_json::from_value(read_optional_json(&st, &headers, body).await?).map_err(|e| {
        ApiError(ScimError::invalid_value(format!(
            "expected {{\"dns\": \"IP:PORT\", \"web\": \"IP:PORT\", \"dnsTimeoutMs\": N, \"webTimeoutMs\": N}}: {e}"
        )))
    })?;
    let mut cfg = st.domains.verifier_config();
    cfg.dns = s.dns;
    cfg.web = s.web;
    if let Some(ms) = s.dns_timeout_ms {
        cfg.dns_timeout = std::time::Duration::from_millis(ms.clamp(10, 60_000));
    }
    if let Some(ms) = s.web_timeout_ms {
        cfg.web_timeout = std::time::Duration::from_millis(ms.clamp(10, 60_000));
    }
    st.domains.set_verifier_config(cfg.clone());
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "dns": cfg.dns.map(|a| a.to_string()),
            "web": cfg.web.map(|a| a.to_string()),
            "dnsTimeoutMs": cfg.dns_timeout.as_millis() as u64,
            "webTimeoutMs": cfg.web_timeout.as_millis() as u64,
        }),
    ))
}

async fn reset(State(st): State<AppState>) -> Result<Response, ApiError> {
    sim_clock(&st)?;
    st.domains.reset();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The test endpoints, merged into the domain admin routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/v1/test/clock", get(clock_now))
        .route("/admin/v1/test/clock/advance", post(clock_advance))
        .route("/admin/v1/test/verification-servers", put(set_servers))
        .route("/admin/v1/test/domains/reset", post(reset))
}
