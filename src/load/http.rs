//! The load driver's HTTP path: one shared reqwest client per run.
//!
//! It is thinner than `client::ScimClient` on purpose: the hot path must not parse JSON it does
//! not need, and it must classify transport failures (connect, timeout, other) for the error
//! table. Keep-alive pooling is reqwest's; HTTP/2 is used when a TLS target offers it via ALPN.

use super::metrics::{OpStatus, TransportFailure};
use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use std::time::Duration;

/// The SCIM media type every write carries.
const SCIM_JSON: &str = "application/scim+json";

/// A load target: base URL, optional bearer token, and the pooled client.
#[derive(Clone)]
pub struct Target {
    client: reqwest::Client,
    base: String,
    auth: Option<HeaderValue>,
}

impl std::fmt::Debug for Target {
    // Hand-written so the token can never end up in a log or a report.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target").field("base", &self.base).finish()
    }
}

/// A response: status and body bytes.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Bytes,
}

impl Reply {
    /// `Ok(status)` for 2xx, otherwise the HTTP error status.
    pub fn outcome(&self) -> OpStatus {
        if (200..300).contains(&self.status) {
            OpStatus::Ok(self.status)
        } else {
            OpStatus::Http(self.status)
        }
    }

    /// The body as JSON, or `Null` when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Why a target could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("invalid target URL '{0}': expected http:// or https://")]
    BadUrl(String),
    #[error("the bearer token is not a valid header value")]
    BadToken,
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

impl Target {
    /// A target at `base` (e.g. `http://127.0.0.1:8080/scim/v2`) allowing up to `connections`
    /// pooled keep-alive connections, each request bounded by `timeout`.
    pub fn new(
        base: &str,
        token: Option<&str>,
        connections: usize,
        timeout: Duration,
    ) -> Result<Target, TargetError> {
        let url = reqwest::Url::parse(base).map_err(|_| TargetError::BadUrl(base.into()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(TargetError::BadUrl(base.into()));
        }
        let auth = match token {
            Some(t) => {
                let mut v = HeaderValue::from_str(&format!("Bearer {t}"))
                    .map_err(|_| TargetError::BadToken)?;
                v.set_sensitive(true);
                Some(v)
            }
            None => None,
        };
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(connections.max(1))
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .tcp_nodelay(true)
            .build()
            .map_err(TargetError::Client)?;
        Ok(Target {
            client,
            base: base.trim_end_matches('/').to_string(),
            auth,
        })
    }

    /// The base URL (never with the token).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends `method base+path` with an optional SCIM JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<Reply, TransportFailure> {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(a) = &self.auth {
            req = req.header(reqwest::header::AUTHORIZATION, a.clone());
        }
        if let Some(b) = body {
            req = req
                .header(CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON))
                .body(b);
        }
        let resp = req.send().await.map_err(classify)?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(classify)?;
        Ok(Reply { status, body })
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> Result<Reply, TransportFailure> {
        self.send(Method::GET, path, None).await
    }
}

/// Sorts a reqwest failure into the error table's buckets.
pub fn classify(e: reqwest::Error) -> TransportFailure {
    if e.is_timeout() {
        TransportFailure::Timeout
    } else if e.is_connect() {
        TransportFailure::Connect
    } else {
        TransportFailure::Other
    }
}
