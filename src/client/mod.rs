//! A small SCIM client over reqwest, shared by `run`, the conformance steps, the mock identity
//! provider and the load drivers: one place that sends requests and keeps what came back.
//! How it reaches the target (credentials, headers, TLS) is a [`Connection`].

pub mod admin;
pub mod cli;
pub mod connection;
pub mod error;
pub mod oauth;
pub mod write_first;

pub use connection::{Connection, ConnectionError, Secret};
pub use error::{ClientError, error_chain};

use error::{Exchange, Phase};

use reqwest::header::AUTHORIZATION;
use serde_json::Value;
use std::time::Duration;

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
            // A redirect is reported where it pointed, not followed with the credentials.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ClientError::Transport {
                request: "building the HTTP client".into(),
                url: base.to_string(),
                reason: error_chain(&e),
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
        self.exchange(method, path, body, headers, capture, false)
            .await
    }

    /// GET of a document the caller needs as JSON (`/ServiceProviderConfig`): a redirect, a
    /// 200 or 201 whose Content-Type is not JSON, or whose body is not JSON, is an error
    /// naming what came instead. Other statuses come back for the caller to judge.
    pub async fn get_json(&self, path: &str) -> Result<ScimResponse, ClientError> {
        self.exchange(reqwest::Method::GET, path, None, &[], &[], true)
            .await
            .map(|(r, _)| r)
    }

    /// The request and its answer; the body read as a stream up to the connection's cap.
    async fn exchange(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
        capture: &[&str],
        expect_json: bool,
    ) -> Result<(ScimResponse, Vec<Option<String>>), ClientError> {
        let url = self.url(path);
        let request = format!("{method} {path}");
        let ex = Exchange {
            request: &request,
            url: &url,
            timeout: self.connection.request_timeout_or(REQUEST_TIMEOUT),
            connect_timeout: self.connection.connect_timeout(),
        };
        // An OAuth token the target refused is fetched again and the request sent once more.
        let mut resp = self.send_once(&ex, &method, body, headers).await?;
        if resp.0.status() == reqwest::StatusCode::UNAUTHORIZED
            && self.connection.rejected(resp.1.as_ref()).await
        {
            resp = self.send_once(&ex, &method, body, headers).await?;
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
        let strict = expect_json && matches!(status, 200 | 201);
        if expect_json && (300..400).contains(&status) {
            return Err(ClientError::Redirect {
                request,
                status,
                location: location.unwrap_or_else(|| "nowhere (no Location header)".into()),
            });
        }
        if strict && let Some(ct) = content_type.as_deref().filter(|ct| !is_json_type(ct)) {
            return Err(ClientError::WrongContentType {
                request,
                content_type: ct.to_string(),
            });
        }
        let bytes = self.read_body(&ex, resp, strict).await?;
        let parsed = serde_json::from_slice::<Value>(&bytes);
        if strict && parsed.is_err() {
            return Err(ClientError::NotJson {
                request,
                first: error::first_bytes(&bytes),
            });
        }
        let raw = String::from_utf8_lossy(&bytes).into_owned();
        Ok((
            ScimResponse {
                status,
                etag,
                location,
                content_type,
                body: parsed.unwrap_or(Value::Null),
                raw,
            },
            captured,
        ))
    }

    /// The body, chunk by chunk, failing as soon as it passes the cap (so memory stays
    /// bounded) or, when JSON is required, as soon as its first bytes cannot be JSON (so a
    /// short garbage answer on a connection left open fails at once, not at the timeout).
    async fn read_body(
        &self,
        ex: &Exchange<'_>,
        mut resp: reqwest::Response,
        json: bool,
    ) -> Result<Vec<u8>, ClientError> {
        let limit = self.connection.max_body();
        let too_large = || ClientError::TooLarge {
            request: ex.request.to_string(),
            limit,
        };
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        // Only a short prefix is parsed early: parsing again per chunk would be quadratic.
        const EARLY: usize = 4096;
        let mut buf: Vec<u8> = Vec::new();
        loop {
            let chunk = resp.chunk().await.map_err(|e| {
                ex.classify(
                    &e,
                    Phase::Body {
                        received: buf.len(),
                    },
                )
            })?;
            let Some(chunk) = chunk else {
                return Ok(buf);
            };
            if (buf.len() + chunk.len()) as u64 > limit {
                return Err(too_large());
            }
            buf.extend_from_slice(&chunk);
            if json && buf.len() <= EARLY && cannot_be_json(&buf) {
                return Err(ClientError::NotJson {
                    request: ex.request.to_string(),
                    first: error::first_bytes(&buf),
                });
            }
        }
    }

    /// One request with the current credentials; also returns the `Authorization` sent.
    async fn send_once(
        &self,
        ex: &Exchange<'_>,
        method: &reqwest::Method,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<(reqwest::Response, Option<reqwest::header::HeaderValue>), ClientError> {
        // A SCIM client asks for the SCIM media type (RFC 7644 §3.8); a caller's own Accept
        // header replaces it.
        let mut req = self.http.request(method.clone(), ex.url);
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
        let resp = req
            .send()
            .await
            .map_err(|e| ex.classify(&e, Phase::Headers))?;
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

/// `application/scim+json`, `application/json` or another `+json` type, parameters aside.
fn is_json_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Whether bytes seen so far are already not the start of a JSON document (a syntax error,
/// not merely an unfinished one).
fn cannot_be_json(prefix: &[u8]) -> bool {
    // A chunk may end inside a UTF-8 character: judge only the whole characters.
    let whole = match std::str::from_utf8(prefix) {
        Err(e) if e.error_len().is_none() => &prefix[..e.valid_up_to()],
        _ => prefix,
    };
    match serde_json::from_slice::<serde::de::IgnoredAny>(whole) {
        Ok(_) => false,
        Err(e) => e.classify() == serde_json::error::Category::Syntax,
    }
}

/// Percent-encodes a query value (a filter, an attribute list).
pub fn encode(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}
