//! Sending one provider request: 429 retried in place (honouring `Retry-After`), everything
//! else classified for the cycle: success, escrow (5xx, timeouts, resets), conflict (409:
//! admin action), credential failure (401/403), or another refusal.

use super::requests::ProviderRequest;
use crate::client::{ScimClient, ScimResponse};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How 429 is retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all for one request answered 429 (then it becomes an escrow).
    pub max_attempts: u32,
    /// The wait when a 429 carries no `Retry-After` (unpublished: 5 s, doubled per attempt).
    pub default_retry_after: Duration,
    /// The longest *real* sleep per retry. Waits count in simulated time in full; a
    /// simulation sleeps at most this much for real (0 = never).
    pub real_wait_cap: Duration,
    /// Every retry after the first waits twice the previous wait, `Retry-After` or not
    /// (Okta's rule); otherwise each `Retry-After` is taken as it is.
    pub doubles: bool,
}

impl RetryPolicy {
    /// Okta's client (developer.okta.com/docs/concepts/scim, "Handle SCIM server rate
    /// limiting"): it waits the `Retry-After` seconds, five minutes without a usable header,
    /// doubles the wait for each later retry, and gives up after 10 attempts.
    pub fn okta() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 10,
            default_retry_after: Duration::from_secs(300),
            real_wait_cap: Duration::ZERO,
            doubles: true,
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            default_retry_after: Duration::from_secs(5),
            real_wait_cap: Duration::ZERO,
            doubles: false,
        }
    }
}

/// What came of a request, after 429 retries.
#[derive(Debug, Clone)]
pub enum Sent {
    /// An HTTP answer that is not a 429 (the caller judges 2xx / 404 / 409 ...).
    Answer(ScimResponse),
    /// 429 every time.
    Throttled { attempts: u32 },
    /// No HTTP answer: refused, reset, timed out.
    Transport(String),
}

impl Sent {
    /// The status, if there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Sent::Answer(r) => Some(r.status),
            Sent::Throttled { .. } => Some(429),
            Sent::Transport(_) => None,
        }
    }
}

/// The class of a failure, deciding what the cycle does with it.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Retried in a later cycle (5xx, timeouts, resets, exhausted 429).
    Escrow(String),
    /// 409: needs an admin.
    Conflict(String),
    /// 401/403: quarantine at once.
    Credentials(u16),
    /// The target breaks the protocol (404 on a filter, not a ListResponse): quarantine.
    Compliance(String),
    /// Any other refusal (400 ...): logged, not retried until the object changes.
    Refused(String),
}

impl Failure {
    pub fn reason(&self) -> String {
        match self {
            Failure::Escrow(r) => format!("escrowed: {r}"),
            Failure::Conflict(r) => format!("conflict, admin action needed: {r}"),
            Failure::Credentials(s) => format!("credentials refused ({s})"),
            Failure::Compliance(r) => format!("not compliant: {r}"),
            Failure::Refused(r) => format!("refused: {r}"),
        }
    }
}

/// The SCIM `detail` of an error answer, for log reasons.
pub fn detail(r: &ScimResponse) -> String {
    let d = r.body.get("detail").and_then(|d| d.as_str()).unwrap_or("");
    let d: String = d.chars().take(160).collect();
    if d.is_empty() {
        format!("HTTP {}", r.status)
    } else {
        format!("HTTP {}: {d}", r.status)
    }
}

/// Classifies a non-success answer.
pub fn classify(sent: &Sent) -> Failure {
    match sent {
        Sent::Transport(e) => Failure::Escrow(format!("no response: {e}")),
        Sent::Throttled { attempts } => Failure::Escrow(format!("429 after {attempts} attempts")),
        Sent::Answer(r) => match r.status {
            401 | 403 => Failure::Credentials(r.status),
            409 => Failure::Conflict(detail(r)),
            s if s >= 500 => Failure::Escrow(detail(r)),
            408 => Failure::Escrow(detail(r)),
            _ => Failure::Refused(detail(r)),
        },
    }
}

/// Shared per cycle: the client, the retry policy, and the simulated waiting spent.
#[derive(Debug)]
pub struct Sender<'a> {
    pub client: &'a ScimClient,
    pub retry: &'a RetryPolicy,
    /// Simulated milliseconds spent waiting on 429s in this cycle.
    pub waited_ms: AtomicU64,
    /// Requests sent (every attempt).
    pub requests: AtomicU64,
}

impl<'a> Sender<'a> {
    pub fn new(client: &'a ScimClient, retry: &'a RetryPolicy) -> Sender<'a> {
        Sender {
            client,
            retry,
            waited_ms: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        }
    }

    /// Sends a request, retrying 429s.
    pub async fn send(&self, req: &ProviderRequest) -> Sent {
        let mut attempt = 0u32;
        let mut previous: Option<Duration> = None;
        loop {
            attempt += 1;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let got = self
                .client
                .send_capturing(
                    req.http_method(),
                    &req.path,
                    req.body.as_ref(),
                    &[],
                    &["retry-after"],
                )
                .await;
            let (resp, captured) = match got {
                Ok(x) => x,
                Err(e) => return Sent::Transport(e.to_string()),
            };
            if resp.status != 429 {
                return Sent::Answer(resp);
            }
            if attempt >= self.retry.max_attempts {
                return Sent::Throttled { attempts: attempt };
            }
            let header = captured.into_iter().next().flatten();
            let wait = match previous {
                Some(p) if self.retry.doubles => p.saturating_mul(2),
                _ => header
                    .and_then(|h| h.trim().parse::<u64>().ok())
                    .map(Duration::from_secs)
                    .unwrap_or_else(|| {
                        let doubled = if self.retry.doubles { 0 } else { attempt - 1 };
                        self.retry.default_retry_after * 2u32.saturating_pow(doubled)
                    }),
            };
            previous = Some(wait);
            self.waited_ms
                .fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
            let real = wait.min(self.retry.real_wait_cap);
            if !real.is_zero() {
                tokio::time::sleep(real).await;
            }
        }
    }
}

/// A refused or failed request and what the target answered: the evidence a failure group
/// and a provisioning log record quote (E-LOG-02).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct TargetAnswer {
    pub method: String,
    /// The path with ids and filter values masked: `/Groups/{id}`.
    pub path: String,
    /// What the request was, as an admin names it: `PATCH /Groups/{id} (Remove members with
    /// a value list)`.
    pub request: String,
    pub status: Option<u16>,
    pub scim_type: Option<String>,
    pub detail: Option<String>,
    /// The body as received, cut at [`BODY_EXCERPT`] characters; or the transport error.
    pub body: String,
}

/// How much of an answer body a log record keeps.
pub const BODY_EXCERPT: usize = 512;

impl TargetAnswer {
    pub fn of(req: &ProviderRequest, sent: &Sent) -> TargetAnswer {
        let (status, scim_type, detail, body) = match sent {
            Sent::Answer(r) => {
                let text = |k: &str| r.body.get(k).and_then(|v| v.as_str()).map(cut);
                (
                    Some(r.status),
                    text("scimType"),
                    text("detail"),
                    r.raw.chars().take(BODY_EXCERPT).collect(),
                )
            }
            Sent::Throttled { attempts } => (
                Some(429),
                None,
                None,
                format!("429 Too Many Requests, {attempts} attempts"),
            ),
            Sent::Transport(e) => (None, None, None, cut(e)),
        };
        TargetAnswer {
            method: req.method.clone(),
            request: shape(req),
            path: masked_path(&req.path),
            status,
            scim_type,
            detail,
            body,
        }
    }

    /// `400 invalidValue "detail"` (or `no response: …`).
    pub fn answer_line(&self) -> String {
        let mut out = match self.status {
            Some(s) => s.to_string(),
            None => format!("no response: {}", self.body),
        };
        if let Some(t) = &self.scim_type {
            out.push(' ');
            out.push_str(t);
        }
        if let Some(d) = &self.detail {
            let d: String = d.chars().take(120).collect();
            out.push_str(&format!(" {d:?}"));
        }
        out
    }
}

/// What a request is, as an admin names it, ids masked: `PATCH /Groups/{id} (Replace without
/// a path (active))`. Requests of one shape differ only in their values.
pub fn shape(req: &ProviderRequest) -> String {
    format!(
        "{} {}{}",
        req.method,
        masked_path(&req.path),
        body_shape(req)
    )
}

fn cut(s: &str) -> String {
    s.chars().take(BODY_EXCERPT).collect()
}

/// `/Users/8c1…` → `/Users/{id}`; a filter's quoted value → `"…"`.
pub fn masked_path(path: &str) -> String {
    let (p, q) = path.split_once('?').unwrap_or((path, ""));
    let mut segs: Vec<&str> = p.split('/').collect();
    if segs.len() > 2 {
        segs.truncate(2);
        segs.push("{id}");
    }
    let mut out = segs.join("/");
    if !q.is_empty() {
        let decoded = percent_decode(q);
        let masked = match (decoded.find('"'), decoded.rfind('"')) {
            (Some(a), Some(b)) if b > a => format!("{}\"…\"{}", &decoded[..a], &decoded[b + 1..]),
            _ => decoded,
        };
        out.push('?');
        out.push_str(&masked);
    }
    out
}

fn percent_decode(query: &str) -> String {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// What the body of a request does, in a few words: ` with the enterprise extension`,
/// ` (Remove members with a value list)`, ` (Replace active)`.
fn body_shape(req: &ProviderRequest) -> String {
    use serde_json::Value;
    let Some(body) = &req.body else {
        return String::new();
    };
    if let Some(ops) = body.get("Operations").and_then(Value::as_array) {
        let mut parts: Vec<String> = Vec::new();
        for op in ops {
            let name = op.get("op").and_then(Value::as_str).unwrap_or("?");
            let name = capitalised(name);
            let path = op.get("path").and_then(Value::as_str);
            let part = match path {
                Some(p) if p.starts_with("members[") => format!("{name} members[value eq …]"),
                Some(p) => {
                    let list = op.get("value").is_some_and(Value::is_array);
                    let short = p.rsplit(':').next().unwrap_or(p);
                    let boolean_string = op.get("value").and_then(Value::as_str).is_some_and(|v| {
                        v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")
                    });
                    if list && p == "members" {
                        format!("{name} members with a value list")
                    } else if boolean_string {
                        format!("{name} {short} with a boolean as a string")
                    } else {
                        format!("{name} {short}")
                    }
                }
                None => {
                    let keys: Vec<&str> = op
                        .get("value")
                        .and_then(Value::as_object)
                        .map(|o| {
                            o.keys()
                                .map(|k| k.rsplit(':').next().unwrap_or(k))
                                .collect()
                        })
                        .unwrap_or_default();
                    format!("{name} without a path ({})", keys.join(", "))
                }
            };
            if !parts.contains(&part) {
                parts.push(part);
            }
        }
        return format!(" ({})", parts.join(", "));
    }
    let extension = body
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter()
                .any(|s| s.as_str() == Some(crate::scim::schema::ENTERPRISE_USER_SCHEMA))
        });
    if extension {
        " with the enterprise extension".into()
    } else {
        String::new()
    }
}

fn capitalised(op: &str) -> String {
    let mut c = op.chars();
    match c.next() {
        Some(f) => f
            .to_uppercase()
            .chain(c.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}
