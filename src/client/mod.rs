//! A small SCIM client over reqwest, shared by `run`, the conformance steps, the mock identity
//! provider and the load drivers: one place that sends requests and keeps what came back.
//! How it reaches the target (credentials, headers, TLS) is a [`Connection`].

pub mod admin;
pub mod cli;
pub mod connection;
pub mod oauth;
pub mod write_first;

pub use connection::{Connection, ConnectionError, Secret};

use reqwest::header::AUTHORIZATION;
use serde_json::Value;
use std::time::Duration;

/// What went wrong talking to a target (not a SCIM error: those are responses).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach {url}: {}", transport_reason(.source))]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("invalid target URL '{0}'")]
    BadUrl(String),
    /// The credentials could not be had (an OAuth token endpoint failed) or the settings are
    /// unusable.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
}

/// An error and its causes in one line ("error sending request: client error (Connect):
/// invalid peer certificate: UnknownIssuer"): reqwest's own message alone says only that
/// sending failed.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = cause.source();
    }
    parts.join(": ")
}

/// A transport failure in words, with what to do about a certificate the run does not trust.
fn transport_reason(e: &reqwest::Error) -> String {
    let chain = error_chain(e);
    let lower = chain.to_ascii_lowercase();
    if lower.contains("certificate") || lower.contains("unknownissuer") {
        format!(
            "{chain} (the target's TLS certificate was not accepted: give the CA that signed \
             it with --ca-cert FILE, or --insecure to skip the check on a test server)"
        )
    } else {
        chain
    }
}

/// One response: status, headers of interest, and the body parsed as JSON when it is JSON.
#[derive(Debug, Clone)]
pub struct ScimResponse {
    pub status: u16,
    pub etag: Option<String>,
    pub location: Option<String>,
    pub content_type: Option<String>,
    pub body: Value,
    pub raw: String,
}

/// How long one request may take, connecting included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A client bound to one SCIM base URL and one [`Connection`] (credentials, headers, TLS).
#[derive(Debug, Clone)]
pub struct ScimClient {
    http: reqwest::Client,
    base: String,
    connection: Connection,
}

impl ScimClient {
    /// `base` is the SCIM base URL, e.g. `http://127.0.0.1:8080` or `https://host/scim/v2`.
    pub fn new(base: &str, connection: Connection) -> Result<ScimClient, ClientError> {
        let parsed =
            reqwest::Url::parse(base).map_err(|_| ClientError::BadUrl(base.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ClientError::BadUrl(base.to_string()));
        }
        let http = connection
            .client_builder()
            .timeout(connection.request_timeout_or(REQUEST_TIMEOUT))
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|source| ClientError::Transport {
                url: base.to_string(),
                source,
            })?;
        Ok(ScimClient {
            http,
            base: base.trim_end_matches('/').to_string(),
            connection,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// How this client reaches the target.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// Full URL of a path relative to the base (`/Users?filter=...`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request; `body` is sent as `application/scim+json`.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<ScimResponse, ClientError> {
        self.send_capturing(method, path, body, headers, &[])
            .await
            .map(|(r, _)| r)
    }

    /// Like [`ScimClient::send`], also returning the response headers named in `capture` (in
    /// that order), e.g. `Retry-After`, which the provider honours on 429.
    pub async fn send_capturing(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
        capture: &[&str],
    ) -> Result<(ScimResponse, Vec<Option<String>>), ClientError> {
        let url = self.url(path);
        // An OAuth token the target refused is fetched again and the request sent once more.
        let mut resp = self.send_once(&method, &url, body, headers).await?;
        if resp.0.status() == reqwest::StatusCode::UNAUTHORIZED
            && self.connection.rejected(resp.1.as_ref()).await
        {
            resp = self.send_once(&method, &url, body, headers).await?;
        }
        let resp = resp.0;
        let status = resp.status().as_u16();
        let h = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (etag, location, content_type) = (h("etag"), h("location"), h("content-type"));
        let captured = capture.iter().map(|name| h(name)).collect();
        let raw = resp
            .text()
            .await
            .map_err(|source| ClientError::Transport { url, source })?;
        let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
        Ok((
            ScimResponse {
                status,
                etag,
                location,
                content_type,
                body,
                raw,
            },
            captured,
        ))
    }

    /// One request with the current credentials; also returns the `Authorization` sent.
    async fn send_once(
        &self,
        method: &reqwest::Method,
        url: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<(reqwest::Response, Option<reqwest::header::HeaderValue>), ClientError> {
        // A SCIM client asks for the SCIM media type (RFC 7644 §3.8); a caller's own Accept
        // header replaces it.
        let mut req = self.http.request(method.clone(), url);
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("accept"))
        {
            req = req.header("accept", "application/scim+json");
        }
        let auth = self.connection.authorization().await?;
        if let Some(a) = &auth {
            req = req.header(AUTHORIZATION, a.clone());
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(b.to_string());
        }
        let resp = req.send().await.map_err(|source| ClientError::Transport {
            url: url.to_string(),
            source,
        })?;
        Ok((resp, auth))
    }

    pub async fn get(&self, path: &str) -> Result<ScimResponse, ClientError> {
        self.send(reqwest::Method::GET, path, None, &[]).await
    }
    pub async fn post(&self, path: &str, body: &Value) -> Result<ScimResponse, ClientError> {
        self.send(reqwest::Method::POST, path, Some(body), &[])
            .await
    }
    pub async fn put(&self, path: &str, body: &Value) -> Result<ScimResponse, ClientError> {
        self.send(reqwest::Method::PUT, path, Some(body), &[]).await
    }
    pub async fn patch(&self, path: &str, body: &Value) -> Result<ScimResponse, ClientError> {
        self.send(reqwest::Method::PATCH, path, Some(body), &[])
            .await
    }
    pub async fn delete(&self, path: &str) -> Result<ScimResponse, ClientError> {
        self.send(reqwest::Method::DELETE, path, None, &[]).await
    }
}

/// Percent-encodes a query value (a filter, an attribute list).
pub fn encode(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}
