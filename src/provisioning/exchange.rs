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
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            default_retry_after: Duration::from_secs(5),
            real_wait_cap: Duration::ZERO,
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
            let wait = header
                .and_then(|h| h.trim().parse::<u64>().ok())
                .map(Duration::from_secs)
                .unwrap_or_else(|| self.retry.default_retry_after * 2u32.pow(attempt - 1));
            self.waited_ms
                .fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
            let real = wait.min(self.retry.real_wait_cap);
            if !real.is_zero() {
                tokio::time::sleep(real).await;
            }
        }
    }
}
