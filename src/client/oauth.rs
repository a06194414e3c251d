//! OAuth 2.0 client credentials (RFC 6749 §4.4): one access token per run, fetched when first
//! needed, shared by every request, and fetched again shortly before `expires_in` runs out
//! or once after the target refused it.
//!
//! The client authenticates with HTTP Basic (RFC 6749 §2.3.1: the id and the secret
//! form-urlencoded, then Basic; the method every server MUST support).

use super::connection::{ConnectionError, Secret};
use base64::Engine as _;
use reqwest::header::HeaderValue;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Where and as whom to ask for tokens.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    pub token_url: reqwest::Url,
    pub client_id: String,
    pub client_secret: Secret,
    pub scope: Option<String>,
}

/// A token and when to stop using it.
struct Cached {
    value: HeaderValue,
    /// `None` when the endpoint gave no `expires_in`: used until the target refuses it.
    renew_at: Option<Instant>,
}

/// The run's token cache, behind an async lock so concurrent requests wait for one fetch
/// instead of each fetching.
pub struct TokenSource {
    config: OAuthConfig,
    http: reqwest::Client,
    cached: tokio::sync::Mutex<Option<Cached>>,
    /// The tokens handed out so far (the latest few), for redaction.
    issued: parking_lot::Mutex<Vec<Secret>>,
    fetches: std::sync::atomic::AtomicU64,
}

/// How many of the latest tokens redaction looks for.
const KEEP_ISSUED: usize = 64;

/// How long before `expires_in` runs out a token is replaced: 10 % of its lifetime, at least
/// 5 s, but never more than half of it (a 2 s token is renewed after 1 s).
pub fn renewal_margin(lifetime: Duration) -> Duration {
    (lifetime / 10)
        .max(Duration::from_secs(5))
        .min(lifetime / 2)
}

impl TokenSource {
    pub fn new(config: OAuthConfig, http: reqwest::Client) -> TokenSource {
        TokenSource {
            config,
            http,
            cached: tokio::sync::Mutex::new(None),
            issued: parking_lot::Mutex::new(Vec::new()),
            fetches: Default::default(),
        }
    }

    pub fn config(&self) -> &OAuthConfig {
        &self.config
    }

    /// Tokens fetched so far in this run.
    pub fn fetches(&self) -> u64 {
        self.fetches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The values of the latest tokens (for redaction only).
    pub(crate) fn issued(&self) -> Vec<String> {
        self.issued
            .lock()
            .iter()
            .map(|s| s.expose().to_string())
            .collect()
    }

    /// `Bearer TOKEN` with a token that is not about to expire.
    pub async fn authorization(&self) -> Result<HeaderValue, ConnectionError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref()
            && c.renew_at.is_none_or(|t| Instant::now() < t)
        {
            return Ok(c.value.clone());
        }
        let fresh = self.fetch().await?;
        let value = fresh.value.clone();
        *cached = Some(fresh);
        Ok(value)
    }

    /// Drops the cached token if it is still `sent` (another request may have replaced it).
    pub async fn forget(&self, sent: &HeaderValue) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| c.value == *sent) {
            *cached = None;
        }
    }

    async fn fetch(&self) -> Result<Cached, ConnectionError> {
        let url = self.config.token_url.to_string();
        let fail = |reason: String| ConnectionError::TokenEndpoint {
            url: url.clone(),
            reason,
        };
        let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let credentials = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            enc(&self.config.client_id),
            enc(self.config.client_secret.expose())
        ));
        let mut basic = HeaderValue::from_str(&format!("Basic {credentials}"))
            .map_err(|_| fail("the client id cannot be sent in a header".into()))?;
        basic.set_sensitive(true);
        // Built before any await: the serializer is not Send.
        let form = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "client_credentials");
            if let Some(scope) = &self.config.scope {
                form.append_pair("scope", scope);
            }
            form.finish()
        };
        let started = Instant::now();
        let resp = self
            .http
            .post(self.config.token_url.clone())
            .header(reqwest::header::AUTHORIZATION, basic)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(form)
            .send()
            .await
            .map_err(|e| fail(format!("cannot reach it: {}", super::error_chain(&e))))?;
        let status = resp.status().as_u16();
        let raw = resp.text().await.map_err(|e| {
            fail(format!(
                "cannot read the answer: {}",
                super::error_chain(&e)
            ))
        })?;
        let body: Value = serde_json::from_str(&raw).unwrap_or(Value::Null);
        let secret = self.config.client_secret.expose();
        let clean = |s: &str| {
            let cut: String = s.chars().take(300).collect();
            if secret.len() >= 4 {
                cut.replace(secret, super::connection::REDACTED)
            } else {
                cut
            }
        };
        if status != 200 {
            return Err(fail(refusal(status, &body, &raw, clean)));
        }
        let token = match body.get("access_token") {
            Some(Value::String(t)) if !t.is_empty() => t.clone(),
            _ => {
                return Err(fail(
                    "answered 200 without an access_token (RFC 6749 §5.1)".into(),
                ));
            }
        };
        match body.get("token_type").and_then(Value::as_str) {
            Some(t) if t.eq_ignore_ascii_case("bearer") => {}
            Some(t) => {
                return Err(fail(format!(
                    "token_type '{}' is not supported; only Bearer (RFC 6750)",
                    clean(t)
                )));
            }
            None => return Err(fail("answered without a token_type (RFC 6749 §5.1)".into())),
        }
        // RFC 6749 §5.1 makes expires_in a number; some servers send it as a string.
        let lifetime = match body.get("expires_in") {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(|s| Duration::from_secs_f64(s.min(365.0 * 86_400.0)));
        let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| fail("the access_token is not a valid header value".into()))?;
        value.set_sensitive(true);
        {
            let mut issued = self.issued.lock();
            issued.push(Secret::new(token));
            let extra = issued.len().saturating_sub(KEEP_ISSUED);
            issued.drain(..extra);
        }
        self.fetches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Cached {
            value,
            // From when the request was sent: the lifetime started no later than that.
            renew_at: lifetime.map(|l| started + l - renewal_margin(l)),
        })
    }
}

/// The token endpoint's refusal in words: its `error` and `error_description` (RFC 6749
/// §5.2), or the start of the body when it sent none.
fn refusal(status: u16, body: &Value, raw: &str, clean: impl Fn(&str) -> String) -> String {
    let error = body.get("error").and_then(Value::as_str);
    let description = body.get("error_description").and_then(Value::as_str);
    let hint = match error {
        Some("invalid_client") => {
            " (the client id or secret was not accepted: check --oauth-client-id and the secret in --oauth-client-secret-env)"
        }
        Some("invalid_scope") => " (check --oauth-scope)",
        Some("unauthorized_client") => " (this client may not use the client credentials grant)",
        Some("unsupported_grant_type") => " (the endpoint does not offer client credentials)",
        _ => "",
    };
    match (error, description) {
        (Some(e), Some(d)) => format!(
            "refused with HTTP {status}: error '{}': {}{hint}",
            clean(e),
            clean(d)
        ),
        (Some(e), None) => format!("refused with HTTP {status}: error '{}'{hint}", clean(e)),
        _ if raw.trim().is_empty() => format!("refused with HTTP {status} and an empty body"),
        _ => format!(
            "refused with HTTP {status} without an RFC 6749 §5.2 error: {}",
            clean(raw.trim())
        ),
    }
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("token_url", &self.config.token_url.as_str())
            .field("client_id", &self.config.client_id)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_margin_is_a_tenth_at_least_five_seconds_at_most_half() {
        let s = Duration::from_secs;
        assert_eq!(renewal_margin(s(3600)), s(360));
        assert_eq!(renewal_margin(s(30)), s(5));
        assert_eq!(renewal_margin(s(2)), s(1));
    }

    #[test]
    fn a_refusal_names_the_error_and_its_description() {
        let body = json!({"error": "invalid_client", "error_description": "bad secret"});
        let m = refusal(401, &body, "", |s| s.to_string());
        assert!(
            m.contains("HTTP 401") && m.contains("'invalid_client'"),
            "{m}"
        );
        assert!(
            m.contains("bad secret") && m.contains("--oauth-client-id"),
            "{m}"
        );
        let m = refusal(500, &Value::Null, "oops", |s| s.to_string());
        assert!(m.contains("HTTP 500") && m.contains("oops"), "{m}");
    }
}
