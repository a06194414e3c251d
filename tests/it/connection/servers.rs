//! The loopback servers the connection tests put between the harness and the embedded
//! reference: a gate in front of the reference's router that demands HTTP Basic, OAuth tokens
//! or headers (and counts what it saw), an OAuth token endpoint, a TLS front with its own CA,
//! and a forward HTTP proxy.

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use parking_lot::Mutex;
use scim_harness::clock::SystemClock;
use scim_harness::reference::config::ReferenceConfig;
use scim_harness::reference::server::RunningReference;
use serde_json::json;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// What the gate lets through.
pub enum GateAuth {
    /// No credentials needed (the reference's own token, if any, still applies).
    Open,
    Basic {
        user: String,
        password: String,
    },
    OAuth(Arc<Issuer>),
}

/// What the gate counted.
#[derive(Debug, Default, Clone)]
pub struct GateStats {
    pub requests: usize,
    /// Requests without the required headers (or with other values).
    pub without_headers: usize,
    /// Requests with no or wrong credentials.
    pub refused: usize,
    /// OAuth: a token that had expired when it arrived.
    pub expired: usize,
    /// OAuth: a token the endpoint never issued.
    pub unknown: usize,
    /// OAuth: a token past its allowed number of uses.
    pub overused: usize,
}

pub struct Gate {
    pub auth: GateAuth,
    pub required: Vec<(String, String)>,
    /// The status a refusal answers with (401 normally).
    pub refuse_with: u16,
    pub stats: Mutex<GateStats>,
}

impl Gate {
    pub fn new(auth: GateAuth) -> Gate {
        Gate {
            auth,
            required: Vec::new(),
            refuse_with: 401,
            stats: Mutex::new(GateStats::default()),
        }
    }

    pub fn stats(&self) -> GateStats {
        self.stats.lock().clone()
    }

    /// A refusal whose detail repeats every `x-*` header value it got, as a careless server
    /// might: the harness must redact them from what it records.
    fn refuse(&self, req: &Request, why: &str) -> Response {
        let echoed: Vec<String> = req
            .headers()
            .iter()
            .filter(|(n, _)| n.as_str().starts_with("x-"))
            .map(|(n, v)| format!("{n}={}", v.to_str().unwrap_or("?")))
            .collect();
        let status = axum::http::StatusCode::from_u16(self.refuse_with)
            .unwrap_or(axum::http::StatusCode::UNAUTHORIZED);
        (
            status,
            [
                ("content-type", "application/scim+json"),
                ("www-authenticate", "Basic realm=\"scim\""),
            ],
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": self.refuse_with.to_string(),
                "detail": format!("{why}; request had {}", echoed.join(", ")),
            })
            .to_string(),
        )
            .into_response()
    }

    async fn check(self: Arc<Self>, req: Request, next: Next) -> Response {
        // Decided before the await: a borrowed request (its body is not Sync) held across it
        // would make the future not Send.
        match self.decide(&req) {
            Some(refusal) => refusal,
            None => next.run(req).await,
        }
    }

    /// The refusal for `req`, or `None` to let it through; counts what it saw.
    fn decide(&self, req: &Request) -> Option<Response> {
        let header = |n: &str| {
            req.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let has_headers = self
            .required
            .iter()
            .all(|(n, v)| header(n).as_deref() == Some(v.as_str()));
        let auth = header("authorization");
        let verdict = match &self.auth {
            GateAuth::Open => Ok(()),
            GateAuth::Basic { user, password } => {
                if auth == Some(format!("Basic {}", b64(&format!("{user}:{password}")))) {
                    Ok(())
                } else {
                    Err("the Basic credentials were not accepted")
                }
            }
            GateAuth::OAuth(issuer) => {
                match auth.as_deref().and_then(|a| a.strip_prefix("Bearer ")) {
                    Some(t) => issuer.admit(t),
                    None => Err("no bearer token"),
                }
            }
        };
        {
            let mut s = self.stats.lock();
            s.requests += 1;
            if !has_headers {
                s.without_headers += 1;
            }
            match verdict {
                Ok(()) => {}
                Err(why) => {
                    s.refused += 1;
                    match why {
                        EXPIRED => s.expired += 1,
                        UNKNOWN => s.unknown += 1,
                        OVERUSED => s.overused += 1,
                        _ => {}
                    }
                }
            }
        }
        if !has_headers {
            return Some(self.refuse(req, "a required header is missing"));
        }
        verdict.err().map(|why| self.refuse(req, why))
    }
}

const EXPIRED: &str = "the token has expired";
const UNKNOWN: &str = "the token was never issued";
const OVERUSED: &str = "the token was revoked";

/// The reference (with `config`) behind `gate`, on a loopback port.
pub async fn gated_reference(config: ReferenceConfig, gate: Arc<Gate>) -> RunningReference {
    let wrap = move |r: Router| {
        r.layer(axum::middleware::from_fn(
            move |req: Request, next: Next| gate.clone().check(req, next),
        ))
    };
    RunningReference::start_wrapped(
        config,
        Arc::new(SystemClock),
        "127.0.0.1:0".parse().expect("an address"),
        wrap,
    )
    .await
    .expect("the gated reference starts")
}

/// An OAuth 2.0 token endpoint (client credentials, client authenticated by HTTP Basic).
pub struct Issuer {
    pub client_id: String,
    pub client_secret: String,
    pub lifetime: Duration,
    /// A token is refused after this many uses (a revocation the client only learns by a 401).
    pub max_uses: Option<usize>,
    /// Put into every token, so a leaked access token shows up in the leak checks.
    pub mark: String,
    issued: Mutex<HashMap<String, (Instant, usize)>>,
    /// Token requests, by outcome.
    pub fetches: Mutex<Vec<Result<(), String>>>,
    pub scopes: Mutex<Vec<Option<String>>>,
}

impl Issuer {
    pub fn new(client_id: &str, client_secret: &str, lifetime: Duration, mark: &str) -> Issuer {
        Issuer {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            lifetime,
            max_uses: None,
            mark: mark.into(),
            issued: Mutex::new(HashMap::new()),
            fetches: Mutex::new(Vec::new()),
            scopes: Mutex::new(Vec::new()),
        }
    }

    /// Tokens handed out.
    pub fn issued(&self) -> usize {
        self.fetches.lock().iter().filter(|f| f.is_ok()).count()
    }

    fn admit(&self, token: &str) -> Result<(), &'static str> {
        let mut issued = self.issued.lock();
        let Some((at, uses)) = issued.get_mut(token) else {
            return Err(UNKNOWN);
        };
        if at.elapsed() >= self.lifetime {
            return Err(EXPIRED);
        }
        *uses += 1;
        if self.max_uses.is_some_and(|m| *uses > m) {
            return Err(OVERUSED);
        }
        Ok(())
    }

    fn token(&self, req: &axum::http::HeaderMap, body: &str) -> Response {
        let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let want = format!(
            "Basic {}",
            b64(&format!(
                "{}:{}",
                enc(&self.client_id),
                enc(&self.client_secret)
            ))
        );
        let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        let refuse = |status: u16, error: &str, description: &str| {
            self.fetches.lock().push(Err(error.to_string()));
            (
                axum::http::StatusCode::from_u16(status).unwrap_or_default(),
                [("content-type", "application/json")],
                json!({"error": error, "error_description": description}).to_string(),
            )
                .into_response()
        };
        if req.get("authorization").and_then(|v| v.to_str().ok()) != Some(want.as_str()) {
            return refuse(401, "invalid_client", "client authentication failed");
        }
        if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
            return refuse(400, "unsupported_grant_type", "only client_credentials");
        }
        self.scopes.lock().push(form.get("scope").cloned());
        let n = {
            let mut f = self.fetches.lock();
            f.push(Ok(()));
            f.len()
        };
        let token = format!("at-{n}-{}-{}", self.mark, uuid::Uuid::new_v4().simple());
        self.issued
            .lock()
            .insert(token.clone(), (Instant::now(), 0));
        (
            [
                ("content-type", "application/json"),
                ("cache-control", "no-store"),
            ],
            json!({
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": self.lifetime.as_secs(),
            })
            .to_string(),
        )
            .into_response()
    }
}

/// Serves `issuer` at `http://ADDR/token`; returns the token URL.
pub async fn token_endpoint(issuer: Arc<Issuer>) -> String {
    async fn handle(
        State(issuer): State<Arc<Issuer>>,
        headers: axum::http::HeaderMap,
        body: String,
    ) -> Response {
        issuer.token(&headers, &body)
    }
    let app = Router::new()
        .route("/token", axum::routing::post(handle))
        .with_state(issuer);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/token")
}

/// A TLS front (a certificate for 127.0.0.1 and localhost signed by its own CA) that passes
/// the decrypted bytes to `upstream`.
pub struct TlsFront {
    pub addr: SocketAddr,
    /// The CA's certificate, PEM.
    pub ca_pem: String,
}

pub async fn tls_front(upstream: SocketAddr) -> TlsFront {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
    use tokio_rustls::rustls;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "scim-harness test CA");
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().expect("CA key");
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let ca_issuer = Issuer::new(ca_params, ca_key);
    let mut leaf = CertificateParams::new(vec!["localhost".to_string()]).expect("leaf params");
    leaf.subject_alt_names
        .push(SanType::IpAddress([127, 0, 0, 1].into()));
    leaf.distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf_cert = leaf.signed_by(&leaf_key, &ca_issuer).expect("leaf");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![leaf_cert.der().clone()], key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: nothing to pass on.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut up) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
            });
        }
    });
    TlsFront {
        addr,
        ca_pem: ca.pem(),
    }
}

/// A forward HTTP proxy: it answers absolute-form requests (`GET http://host/path`) by sending
/// them on, and counts them.
pub struct Proxy {
    pub url: String,
    pub forwarded: Arc<Mutex<Vec<String>>>,
}

pub async fn forward_proxy() -> Proxy {
    let forwarded: Arc<Mutex<Vec<String>>> = Default::default();
    let seen = forwarded.clone();
    // The proxy's own client must not use a proxy.
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let app = Router::new().fallback(move |req: Request| {
        let (client, seen) = (client.clone(), seen.clone());
        async move {
            let uri = req.uri().to_string();
            if req.uri().scheme().is_none() {
                return (axum::http::StatusCode::BAD_REQUEST, "not a proxy request")
                    .into_response();
            }
            seen.lock().push(format!("{} {uri}", req.method()));
            let (parts, body) = req.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, 64 << 20).await else {
                return axum::http::StatusCode::BAD_REQUEST.into_response();
            };
            let mut out = client.request(parts.method, &uri).body(bytes);
            for (n, v) in &parts.headers {
                if !matches!(n.as_str(), "host" | "proxy-connection" | "connection") {
                    out = out.header(n, v);
                }
            }
            match out.send().await {
                Ok(r) => {
                    let mut resp = Response::builder().status(r.status().as_u16());
                    for (n, v) in r.headers() {
                        if !matches!(n.as_str(), "transfer-encoding" | "connection") {
                            resp = resp.header(n, v);
                        }
                    }
                    let body = r.bytes().await.unwrap_or_default();
                    resp.body(Body::from(body))
                        .unwrap_or_else(|_| axum::http::StatusCode::BAD_GATEWAY.into_response())
                }
                Err(_) => axum::http::StatusCode::BAD_GATEWAY.into_response(),
            }
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Proxy {
        url: format!("http://{addr}"),
        forwarded,
    }
}
