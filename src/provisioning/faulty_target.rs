//! A misbehaving target: the embedded reference behind a fault-injecting layer, started on a
//! loopback port. It injects 429 (with `Retry-After`), 5xx and connection resets at seeded
//! rates, can answer one status to every request, and can carry one protocol bug at a time:
//! refusing capitalised PATCH ops, answering 404 to a filter that matches nothing, or
//! returning group members despite `excludedAttributes=members`.
//!
//! The faults are an axum middleware layered over the whole reference router as
//! [`RunningReference::start_wrapped`] assembles it (User Sync, admin API and domains on the
//! given clock), so they wrap exactly what the normal reference serves. It lives here rather
//! than in `reference/` so the reference stays a correct service provider; the faults are the
//! provider simulation's test equipment. Settings can change while it runs ("the app answers
//! 500 to every request for 3 cycles").

use crate::clock::Clock;
use crate::reference::config::ReferenceConfig;
use crate::reference::response::scim_response;
use crate::reference::server::RunningReference;
use crate::reference::store::Store;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use fake::rand::{RngExt, SeedableRng};
use parking_lot::Mutex;
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// What to inject.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Share of requests answered 429.
    pub rate_429: f64,
    /// Share answered 500/503.
    pub rate_5xx: f64,
    /// Share whose connection is reset (half of them after the request was applied).
    pub rate_reset: f64,
    /// `Retry-After` seconds sent with a 429 (`None`: no header).
    pub retry_after: Option<u64>,
    /// Answer this status to every request.
    pub always: Option<u16>,
    pub reject_capitalised_ops: bool,
    /// `POST /Users` carrying the enterprise extension answers 400 invalidValue (a target
    /// whose schema has no such extension, as scim2-server's strict models).
    pub refuse_enterprise_extension: bool,
    /// A PATCH `remove` of `members` with a value list answers 400 invalidValue (RFC 7644
    /// §3.5.2.2 selects with a filter in the path; Entra sends the values instead).
    pub refuse_remove_with_value: bool,
    pub not_found_on_empty_filter: bool,
    pub members_despite_excluded: bool,
}

impl Faults {
    /// 10 % of requests fail: a third each 429, 5xx and resets.
    pub fn ten_percent() -> Faults {
        Faults {
            rate_429: 0.034,
            rate_5xx: 0.033,
            rate_reset: 0.033,
            retry_after: Some(1),
            ..Default::default()
        }
    }
}

/// Shared, changeable settings and counters.
#[derive(Debug)]
pub struct FaultControl {
    pub faults: Mutex<Faults>,
    rng: Mutex<ChaCha8Rng>,
    pub requests: AtomicU64,
    pub injected: AtomicU64,
}

impl FaultControl {
    pub fn set(&self, f: Faults) {
        *self.faults.lock() = f;
    }
    pub fn update(&self, change: impl FnOnce(&mut Faults)) {
        change(&mut self.faults.lock());
    }
}

/// A running misbehaving target.
#[derive(Debug)]
pub struct FaultyTarget {
    pub base_url: String,
    pub store: Arc<Store>,
    pub control: Arc<FaultControl>,
    /// The reference behind the faults; dropping it stops the server.
    pub reference: RunningReference,
}

impl FaultyTarget {
    /// Starts the reference with `config` behind the faults on `127.0.0.1:0`.
    pub async fn start(
        config: ReferenceConfig,
        clock: Arc<dyn Clock>,
        faults: Faults,
        seed: u64,
    ) -> std::io::Result<FaultyTarget> {
        let control = Arc::new(FaultControl {
            faults: Mutex::new(faults),
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
            requests: AtomicU64::new(0),
            injected: AtomicU64::new(0),
        });
        let layer = middleware::from_fn_with_state(control.clone(), inject);
        let addr = "127.0.0.1:0".parse().map_err(std::io::Error::other)?;
        let reference =
            RunningReference::start_wrapped(config, clock, addr, |r| r.layer(layer)).await?;
        Ok(FaultyTarget {
            base_url: reference.base_url.clone(),
            store: reference.store.clone(),
            control,
            reference,
        })
    }
}

fn error(status: u16, detail: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    scim_response(
        code,
        &json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": status.to_string(),
            "detail": detail,
        }),
    )
}

/// A response whose body fails: the client sees the connection drop mid-answer.
fn reset() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected connection reset",
        ))
    });
    let mut r = Response::new(Body::from_stream(stream));
    *r.status_mut() = StatusCode::OK;
    r
}

enum Draw {
    Pass,
    Throttle,
    ServerError(u16),
    ResetBefore,
    ResetAfter,
}

fn scim_error(status: StatusCode, scim_type: &str, detail: &str) -> Response {
    scim_response(
        status,
        &json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": status.as_u16().to_string(),
            "scimType": scim_type,
            "detail": detail,
        }),
    )
}

/// The refusal a body-inspecting fault answers, if the body trips one.
fn refused_body(f: &Faults, path: &str, bytes: &[u8]) -> Option<Response> {
    let body: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let ops = body.get("Operations").and_then(|o| o.as_array());
    if f.reject_capitalised_ops
        && let Some(ops) = ops
        && ops.iter().any(|o| {
            matches!(
                o.get("op").and_then(|v| v.as_str()),
                Some("Add" | "Replace" | "Remove")
            )
        })
    {
        return Some(scim_error(
            StatusCode::BAD_REQUEST,
            "invalidSyntax",
            "op must be one of add, replace, remove (RFC 7644 §3.5.2)",
        ));
    }
    if f.refuse_remove_with_value
        && let Some(ops) = ops
        && ops.iter().any(|o| {
            o.get("op")
                .and_then(|v| v.as_str())
                .is_some_and(|op| op.eq_ignore_ascii_case("remove"))
                && o.get("path").and_then(|p| p.as_str()) == Some("members")
                && o.get("value").is_some()
        })
    {
        return Some(scim_error(
            StatusCode::BAD_REQUEST,
            "invalidValue",
            "a remove operation carries no value; a filter in the path selects what to remove",
        ));
    }
    let extension = crate::scim::schema::ENTERPRISE_USER_SCHEMA;
    if f.refuse_enterprise_extension && path.ends_with("/Users") && body.get(extension).is_some() {
        return Some(scim_error(
            StatusCode::BAD_REQUEST,
            "invalidValue",
            &format!("{extension}: extra_forbidden"),
        ));
    }
    None
}

async fn inject(State(ctl): State<Arc<FaultControl>>, req: Request, next: Next) -> Response {
    ctl.requests.fetch_add(1, Ordering::Relaxed);
    let f = ctl.faults.lock().clone();
    if let Some(status) = f.always {
        ctl.injected.fetch_add(1, Ordering::Relaxed);
        return error(status, "injected failure");
    }
    let draw = {
        let mut rng = ctl.rng.lock();
        let x: f64 = rng.random_range(0.0..1.0);
        if x < f.rate_429 {
            Draw::Throttle
        } else if x < f.rate_429 + f.rate_5xx {
            Draw::ServerError(if rng.random_bool(0.5) { 500 } else { 503 })
        } else if x < f.rate_429 + f.rate_5xx + f.rate_reset {
            if rng.random_bool(0.5) {
                Draw::ResetBefore
            } else {
                Draw::ResetAfter
            }
        } else {
            Draw::Pass
        }
    };
    match draw {
        Draw::Throttle => {
            ctl.injected.fetch_add(1, Ordering::Relaxed);
            let mut r = error(429, "too many requests (injected)");
            if let Some(s) = f.retry_after
                && let Ok(v) = HeaderValue::from_str(&s.to_string())
            {
                r.headers_mut().insert("retry-after", v);
            }
            return r;
        }
        Draw::ServerError(s) => {
            ctl.injected.fetch_add(1, Ordering::Relaxed);
            return error(s, "injected server error");
        }
        Draw::ResetBefore => {
            ctl.injected.fetch_add(1, Ordering::Relaxed);
            return reset();
        }
        _ => {}
    }
    let query = req.uri().query().unwrap_or("").to_string();
    let is_patch = req.method() == axum::http::Method::PATCH;
    let is_get = req.method() == axum::http::Method::GET;
    let mut req = req;
    let is_post = req.method() == axum::http::Method::POST;
    let inspect = (is_patch && (f.reject_capitalised_ops || f.refuse_remove_with_value))
        || (is_post && f.refuse_enterprise_extension);
    if inspect {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, 4 * 1024 * 1024)
            .await
            .unwrap_or_default();
        if let Some(refusal) = refused_body(&f, parts.uri.path(), &bytes) {
            return refusal;
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }
    if is_get && f.members_despite_excluded && query.contains("excludedAttributes=members") {
        let stripped = query
            .split('&')
            .filter(|p| !p.starts_with("excludedAttributes="))
            .collect::<Vec<_>>()
            .join("&");
        let path = req.uri().path().to_string();
        let uri = if stripped.is_empty() {
            path
        } else {
            format!("{path}?{stripped}")
        };
        if let Ok(u) = uri.parse() {
            *req.uri_mut() = u;
        }
    }
    let resp = next.run(req).await;
    if matches!(draw, Draw::ResetAfter) {
        ctl.injected.fetch_add(1, Ordering::Relaxed);
        return reset();
    }
    if is_get && f.not_found_on_empty_filter && query.contains("filter=") {
        let (parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, 64 * 1024 * 1024)
            .await
            .unwrap_or_default();
        let empty = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("totalResults").and_then(|t| t.as_u64()))
            == Some(0);
        if empty {
            return error(404, "no such user");
        }
        return Response::from_parts(parts, Body::from(bytes));
    }
    resp
}
