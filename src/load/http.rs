//! The load driver's HTTP path.
//!
//! Two engines behind one `Target`:
//! - **lanes** (plain `http://` targets, the default there): each driver worker owns one
//!   HTTP/1.1 keep-alive connection (hyper's connection API), the way wrk and oha drive a
//!   server. Measured on a trivial endpoint, reqwest's shared pool (URL parsing, pool lookup,
//!   connector clones per request) cost about half the achievable rate; see
//!   `reports/load-driver-vs-wrk.md`.
//! - **reqwest** (`https://` targets, or on request): one shared pooled client with keep-alive,
//!   HTTP/2 when the server offers it via ALPN, rustls. Also every target a proxy from the
//!   environment applies to (HTTP_PROXY, NO_PROXY, ...): the lanes connect directly.
//!
//! Both send the run's [`Connection`]: its credentials (an OAuth token is fetched again once
//! after a 401), its extra headers, and (reqwest) its TLS trust; its connect timeout bounds
//! every connection either way.
//!
//! Either way the hot path does not parse JSON it does not need, a body is read up to the
//! connection's --max-body and no further, and transport failures are classified by kind
//! (refused, connect timeout, DNS, TLS, headers or body timeout, reset mid-body, too large,
//! not HTTP) for the error table.

use super::metrics::{OpStatus, TransportFailure};
use crate::client::Connection;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use parking_lot::Mutex;
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use std::sync::Arc;
use std::time::Duration;

/// The SCIM media type every write carries.
const SCIM_JSON: &str = "application/scim+json";

/// Which HTTP engine a target uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HttpEngine {
    /// Per-worker keep-alive connections for http:// (unless a proxy applies), reqwest for
    /// https://.
    #[default]
    Auto,
    /// reqwest's shared pool for every target (HTTP/2 via ALPN on https).
    Reqwest,
}

/// A load target: base URL, how to reach it, and the connections.
#[derive(Clone)]
pub struct Target {
    base: String,
    connection: Connection,
    timeout: Duration,
    /// The lanes' bound on connecting (the connection's, at most the request timeout).
    connect_timeout: Duration,
    /// A proxy from the environment applies to the target.
    proxied: bool,
    engine: Engine,
}

#[derive(Clone)]
enum Engine {
    Reqwest(reqwest::Client),
    Lanes(Arc<Lanes>),
}

struct Lanes {
    /// `host:port` to connect to.
    authority: String,
    host: HeaderValue,
    /// Path prefix of the SCIM base URL ("" or "/scim/v2").
    prefix: String,
    slots: Vec<Mutex<Option<SendRequest<Full<Bytes>>>>>,
}

impl std::fmt::Debug for Target {
    // Hand-written so the credentials can never end up in a log or a report.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("base", &self.base)
            .field("engine", &self.engine_name())
            .finish()
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
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

impl Target {
    /// A target at `base` (e.g. `http://127.0.0.1:8080/scim/v2`) reached through
    /// `connection`, with up to `lanes` keep-alive connections, each request bounded by
    /// `timeout`.
    pub fn new(
        base: &str,
        connection: Connection,
        lanes: usize,
        timeout: Duration,
        engine: HttpEngine,
    ) -> Result<Target, TargetError> {
        let bad = || TargetError::BadUrl(base.into());
        let url = reqwest::Url::parse(base).map_err(|_| bad())?;
        let proxied = connection.proxied(&url);
        let connect_timeout = connection.connect_timeout().min(timeout);
        let engine = match (url.scheme(), engine) {
            ("http", HttpEngine::Auto) if !proxied => {
                let host = url.host_str().ok_or_else(bad)?;
                let port = url.port_or_known_default().ok_or_else(bad)?;
                let authority = match url.port() {
                    Some(p) => format!("{host}:{p}"),
                    None => host.to_string(),
                };
                Engine::Lanes(Arc::new(Lanes {
                    authority: format!("{host}:{port}"),
                    host: HeaderValue::from_str(&authority).map_err(|_| bad())?,
                    prefix: url.path().trim_end_matches('/').to_string(),
                    slots: (0..lanes.max(1)).map(|_| Mutex::new(None)).collect(),
                }))
            }
            ("http" | "https", _) => Engine::Reqwest(
                connection
                    .client_builder()
                    .pool_max_idle_per_host(lanes.max(1))
                    .timeout(timeout)
                    .connect_timeout(connect_timeout)
                    .tcp_nodelay(true)
                    .build()
                    .map_err(TargetError::Client)?,
            ),
            _ => return Err(bad()),
        };
        Ok(Target {
            base: base.trim_end_matches('/').to_string(),
            connection,
            timeout,
            connect_timeout,
            proxied,
            engine,
        })
    }

    /// A SCIM client for the same base URL and connection (one OAuth token cache), for setup
    /// outside the measured window (the admin API's typed client runs over it).
    pub fn scim_client(&self) -> Result<crate::client::ScimClient, crate::client::ClientError> {
        crate::client::ScimClient::new(&self.base, self.connection.clone())
    }

    /// The engine that sends the requests: "lanes" or "reqwest".
    pub fn engine_name(&self) -> &'static str {
        match self.engine {
            Engine::Lanes(_) => "lanes",
            Engine::Reqwest(_) => "reqwest",
        }
    }

    /// Whether a proxy from the environment applies to the target.
    pub fn proxied(&self) -> bool {
        self.proxied
    }

    /// The base URL (never with the token).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends `method base+path` with an optional SCIM JSON body over connection `lane` (the
    /// driver worker's index; any number works, it is taken modulo the lane count).
    pub async fn send(
        &self,
        lane: usize,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<Reply, TransportFailure> {
        // Kept only when a refused OAuth token may be replaced and the request sent again.
        let again = matches!(
            self.connection.auth(),
            crate::client::connection::Auth::OAuth(_)
        )
        .then(|| (method.clone(), body.clone()));
        let (reply, sent) = self.send_once(lane, method, path, body).await?;
        if reply.status == 401
            && let Some((method, body)) = again
            && self.connection.rejected(sent.as_ref()).await
        {
            return self.send_once(lane, method, path, body).await.map(|r| r.0);
        }
        Ok(reply)
    }

    /// One request with the current credentials; also returns the `Authorization` sent.
    async fn send_once(
        &self,
        lane: usize,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<(Reply, Option<HeaderValue>), TransportFailure> {
        // A token endpoint that fails mid-run fails the operation, as a transport would.
        let auth = self
            .connection
            .authorization()
            .await
            .map_err(|_| TransportFailure::Other)?;
        let reply = match &self.engine {
            Engine::Reqwest(client) => {
                let mut req = client.request(method, format!("{}{path}", self.base));
                if let Some(a) = &auth {
                    req = req.header(AUTHORIZATION, a.clone());
                }
                if let Some(b) = body {
                    req = req
                        .header(CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON))
                        .body(b);
                }
                let deadline = tokio::time::Instant::now() + self.timeout;
                let mut resp = match tokio::time::timeout_at(deadline, req.send()).await {
                    Ok(r) => r.map_err(classify)?,
                    Err(_) => return Err(TransportFailure::Timeout),
                };
                let status = resp.status().as_u16();
                let limit = self.connection.max_body() as usize;
                let mut body = Vec::new();
                loop {
                    match tokio::time::timeout_at(deadline, resp.chunk()).await {
                        Err(_) => return Err(TransportFailure::BodyTimeout),
                        Ok(Err(e)) if e.is_timeout() => return Err(TransportFailure::BodyTimeout),
                        Ok(Err(_)) => return Err(TransportFailure::Reset),
                        Ok(Ok(None)) => break,
                        Ok(Ok(Some(c))) => {
                            if body.len() + c.len() > limit {
                                return Err(TransportFailure::TooLarge);
                            }
                            body.extend_from_slice(&c);
                        }
                    }
                }
                Reply {
                    status,
                    body: Bytes::from(body),
                }
            }
            Engine::Lanes(lanes) => {
                self.send_lane(lanes, lane, method, path, body, auth.as_ref())
                    .await?
            }
        };
        Ok((reply, auth))
    }

    async fn send_lane(
        &self,
        lanes: &Lanes,
        lane: usize,
        method: Method,
        path: &str,
        body: Option<String>,
        auth: Option<&HeaderValue>,
    ) -> Result<Reply, TransportFailure> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let slot = &lanes.slots[lane % lanes.slots.len()];
        let taken = slot.lock().take();
        let mut sender = match taken {
            Some(mut s) => match s.ready().await {
                Ok(()) => s,
                // Closed by the server while idle: nothing was sent on it, so reconnecting is safe.
                Err(_) => connect(&lanes.authority, self.connect_timeout).await?,
            },
            None => connect(&lanes.authority, self.connect_timeout).await?,
        };
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(match format!("{}{path}", lanes.prefix) {
                p if p.is_empty() => "/".to_string(),
                p => p,
            })
            .header(HOST, lanes.host.clone());
        for (name, value) in self.connection.headers() {
            req = req.header(name, value);
        }
        if let Some(a) = auth {
            req = req.header(AUTHORIZATION, a.clone());
        }
        let body = match body {
            Some(b) => {
                req = req.header(CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
                Full::new(Bytes::from(b))
            }
            None => Full::new(Bytes::new()),
        };
        let req = req.body(body).map_err(|_| TransportFailure::Other)?;
        // On any failure the connection is dropped, and the lane reconnects next time.
        let resp = match tokio::time::timeout_at(deadline, sender.send_request(req)).await {
            Err(_) => return Err(TransportFailure::Timeout),
            Ok(Err(e)) if e.is_parse() || e.is_parse_too_large() => {
                return Err(TransportFailure::Malformed);
            }
            Ok(Err(e)) if e.is_incomplete_message() || e.is_closed() => {
                return Err(TransportFailure::Reset);
            }
            Ok(Err(_)) => return Err(TransportFailure::Other),
            Ok(Ok(r)) => r,
        };
        let status = resp.status().as_u16();
        let limit = self.connection.max_body() as usize;
        let mut incoming = resp.into_body();
        let mut body = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, incoming.frame()).await {
                Err(_) => return Err(TransportFailure::BodyTimeout),
                Ok(None) => break,
                Ok(Some(Err(_))) => return Err(TransportFailure::Reset),
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        if body.len() + data.len() > limit {
                            return Err(TransportFailure::TooLarge);
                        }
                        body.extend_from_slice(&data);
                    }
                }
            }
        }
        *slot.lock() = Some(sender);
        Ok(Reply {
            status,
            body: Bytes::from(body),
        })
    }

    /// GET `path` over `lane`.
    pub async fn get(&self, lane: usize, path: &str) -> Result<Reply, TransportFailure> {
        self.send(lane, Method::GET, path, None).await
    }
}

async fn connect(
    authority: &str,
    timeout: Duration,
) -> Result<SendRequest<Full<Bytes>>, TransportFailure> {
    let stream = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(authority))
        .await
        .map_err(|_| TransportFailure::ConnectTimeout)?
        .map_err(|e| {
            // A name that does not resolve fails the connect with an error of its own.
            let text = e.to_string();
            if text.contains("lookup") || text.contains("resolve") {
                TransportFailure::Dns
            } else {
                TransportFailure::Connect
            }
        })?;
    let _ = stream.set_nodelay(true);
    let (sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|_| TransportFailure::Connect)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// Sorts a reqwest failure into the error table's buckets, by the chain of its causes.
pub fn classify(e: reqwest::Error) -> TransportFailure {
    let mut chain = String::new();
    let mut cause: Option<&dyn std::error::Error> = Some(&e);
    while let Some(c) = cause {
        chain.push_str(&c.to_string().to_ascii_lowercase());
        chain.push(' ');
        cause = c.source();
    }
    if e.is_connect() {
        if chain.contains("dns") || chain.contains("resolve") || chain.contains("lookup") {
            TransportFailure::Dns
        } else if chain.contains("certificate") || chain.contains("tls") {
            TransportFailure::Tls
        } else if e.is_timeout() || chain.contains("timed out") {
            TransportFailure::ConnectTimeout
        } else {
            TransportFailure::Connect
        }
    } else if e.is_timeout() {
        TransportFailure::Timeout
    } else if chain.contains("parse") || chain.contains("invalid http") {
        TransportFailure::Malformed
    } else {
        TransportFailure::Other
    }
}
