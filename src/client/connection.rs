//! How to reach a SCIM target beyond its URL: the credentials (a bearer token, HTTP Basic,
//! OAuth 2.0 client credentials, or an `Authorization` header as given), extra headers, the TLS
//! trust (an internal CA, or no checks at all) and the connect timeout.
//!
//! One [`Connection`] is built per run (by `TargetArgs::connection`, or a config file) and
//! cloned into every client of the run; clones share the OAuth token cache, so a token is
//! fetched once and refreshed for everyone. Nothing here prints a secret: [`Secret`] shows as
//! `<redacted>`, header values are marked sensitive, and [`Connection::redact`] removes every
//! secret the run knows from text bound for a message or a report.

use super::oauth::{OAuthConfig, TokenSource};
use base64::Engine as _;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The connect timeout when none is given.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest response body read when none is given: past it the exchange fails, so an
/// endless body cannot fill memory.
pub const DEFAULT_MAX_BODY: u64 = 16 * 1024 * 1024;

/// What replaces a secret in text.
pub const REDACTED: &str = "[REDACTED]";

/// A value that must never be printed: Debug and Display show `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    /// The value itself, to send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why the connection settings are unusable, or credentials could not be obtained.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// A `--header` that is not `Name: value`; the message names the header, never its value.
    #[error("--header {which}: {reason}")]
    BadHeader { which: String, reason: String },
    #[error("{flag} {var}: the environment variable {var} is not set (or not valid UTF-8)")]
    MissingEnv { flag: &'static str, var: String },
    #[error("{0} and {1} cannot be used together: give one kind of authentication")]
    Conflict(String, String),
    #[error("{flag} needs {needs}")]
    Incomplete {
        flag: &'static str,
        needs: &'static str,
    },
    #[error("{flag}: {reason}")]
    Invalid { flag: &'static str, reason: String },
    #[error("--ca-cert {}: {reason}", path.display())]
    CaCert { path: PathBuf, reason: String },
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// The token endpoint could not be reached or gave no usable token.
    #[error("OAuth token endpoint {url}: {reason}")]
    TokenEndpoint { url: String, reason: String },
}

/// The credentials sent in `Authorization`.
#[derive(Clone, Default)]
pub enum Auth {
    #[default]
    None,
    /// `Authorization: Bearer TOKEN` (RFC 6750).
    Bearer(Secret),
    /// `Authorization: Basic ...` (RFC 7617).
    Basic { user: String, password: Secret },
    /// A token from the client credentials grant (RFC 6749 §4.4), cached and refreshed.
    OAuth(Arc<TokenSource>),
    /// An `Authorization` header given as is with `--header` (another scheme, e.g. `SSWS`).
    Header(Secret),
}

impl Auth {
    /// A short name for messages: "none", "bearer", "basic", "oauth", "header".
    pub fn kind(&self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::Bearer(_) => "bearer",
            Auth::Basic { .. } => "basic",
            Auth::OAuth(_) => "oauth",
            Auth::Header(_) => "header",
        }
    }
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Basic { user, .. } => write!(f, "Basic({user}, <redacted>)"),
            Auth::OAuth(s) => write!(f, "OAuth({})", s.config().token_url),
            other => write!(f, "{}", other.kind()),
        }
    }
}

/// Everything but the URL that reaching a target takes. `Default` is no credentials, no extra
/// headers, the system's trust store and a 10 s connect timeout.
#[derive(Clone)]
pub struct Connection {
    auth: Auth,
    /// The fixed `Authorization` value of bearer, Basic and header auth (sensitive).
    fixed: Option<HeaderValue>,
    headers: Vec<(HeaderName, HeaderValue)>,
    roots: Vec<reqwest::Certificate>,
    ca_cert: Option<PathBuf>,
    insecure: bool,
    connect_timeout: Duration,
    /// Bound of one whole request; the command's own default when `None`.
    request_timeout: Option<Duration>,
    /// The largest response body read, in bytes.
    max_body: u64,
    direct: bool,
}

impl Default for Connection {
    fn default() -> Self {
        Connection {
            auth: Auth::None,
            fixed: None,
            headers: Vec::new(),
            roots: Vec::new(),
            ca_cert: None,
            insecure: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: None,
            max_body: DEFAULT_MAX_BODY,
            direct: false,
        }
    }
}

impl std::fmt::Debug for Connection {
    // Hand-written: names and flags only, never a value.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("auth", &self.auth)
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("ca_cert", &self.ca_cert)
            .field("insecure", &self.insecure)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_body", &self.max_body)
            .field("direct", &self.direct)
            .finish()
    }
}

fn sensitive(value: &str) -> Result<HeaderValue, reqwest::header::InvalidHeaderValue> {
    let mut v = HeaderValue::from_str(value)?;
    v.set_sensitive(true);
    Ok(v)
}

/// Headers the harness sets itself on each request; a `--header` may not replace them.
const RESERVED: [&str; 5] = [
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
];

impl Connection {
    /// Sends `Authorization: Bearer TOKEN`.
    pub fn bearer(token: impl Into<String>) -> Connection {
        Connection::default()
            .with_auth(Auth::Bearer(Secret::new(token)))
            .unwrap_or_default()
    }

    /// Sets the credentials. OAuth's token client takes this connection's TLS settings, so
    /// set `--ca-cert` and `--insecure` first (see [`Connection::with_oauth`]).
    pub fn with_auth(mut self, auth: Auth) -> Result<Connection, ConnectionError> {
        let invalid = |flag: &'static str| {
            move |_| ConnectionError::Invalid {
                flag,
                reason: "not a valid header value (no control characters or line breaks)".into(),
            }
        };
        self.fixed = match &auth {
            Auth::None | Auth::OAuth(_) => None,
            Auth::Bearer(t) => {
                Some(sensitive(&format!("Bearer {}", t.expose())).map_err(invalid("--token"))?)
            }
            Auth::Basic { user, password } => {
                let pair = format!("{user}:{}", password.expose());
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
                Some(sensitive(&format!("Basic {encoded}")).map_err(invalid("--basic-user"))?)
            }
            Auth::Header(v) => Some(sensitive(v.expose()).map_err(invalid("--header"))?),
        };
        self.auth = auth;
        Ok(self)
    }

    /// Fetches tokens by the client credentials grant, over a client with this connection's
    /// TLS settings and connect timeout (the token endpoint is often behind the same CA).
    pub fn with_oauth(self, config: OAuthConfig) -> Result<Connection, ConnectionError> {
        let http = self
            .tls_builder()
            .timeout(Duration::from_secs(30))
            // The client secret travels in Authorization; a POST is not followed elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ConnectionError::Client(super::error_chain(&e)))?;
        self.with_auth(Auth::OAuth(Arc::new(TokenSource::new(config, http))))
    }

    /// Adds a header sent on every request to the target (never to the token endpoint).
    /// `Authorization` becomes the credentials ([`Auth::Header`]).
    pub fn with_header(self, name: &str, value: &str) -> Result<Connection, ConnectionError> {
        let bad = |reason: &str| ConnectionError::BadHeader {
            which: format!("'{name}: …'"),
            reason: reason.to_string(),
        };
        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            bad("the name is not a valid header name (letters, digits and !#$%&'*+-.^_`|~)")
        })?;
        if RESERVED.contains(&header.as_str()) {
            return Err(bad(
                "the harness sets this header itself on each request; it cannot be replaced",
            ));
        }
        if header == reqwest::header::AUTHORIZATION {
            return self.with_auth(Auth::Header(Secret::new(value)));
        }
        let v = sensitive(value)
            .map_err(|_| bad("the value is not a valid header value (no control characters)"))?;
        let mut me = self;
        me.headers.push((header, v));
        Ok(me)
    }

    /// Trusts the certificates of a PEM file as well as the system's roots.
    pub fn with_ca_cert(mut self, path: &Path) -> Result<Connection, ConnectionError> {
        let err = |reason: String| ConnectionError::CaCert {
            path: path.to_path_buf(),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| err(format!("cannot read it: {e}")))?;
        if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
            return Err(err(
                "no PEM certificate in it (expected '-----BEGIN CERTIFICATE-----')".into(),
            ));
        }
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            err(format!(
                "not a valid PEM certificate: {}",
                super::error_chain(&e)
            ))
        })?;
        if certs.is_empty() {
            return Err(err("no certificate in it".into()));
        }
        self.roots.extend(certs);
        self.ca_cert = Some(path.to_path_buf());
        Ok(self)
    }

    /// Accepts any certificate (self-signed, expired, another host's). Every report says so.
    pub fn with_insecure(mut self, insecure: bool) -> Connection {
        self.insecure = insecure;
        self
    }

    pub fn with_connect_timeout(mut self, timeout: Duration) -> Connection {
        self.connect_timeout = timeout;
        self
    }

    /// Bounds each whole request (`--timeout`, or `timeout` in scim-harness.toml).
    pub fn with_request_timeout(mut self, timeout: Option<Duration>) -> Connection {
        self.request_timeout = timeout;
        self
    }

    /// Caps each response body (`--max-body`); 0 is taken as 1 byte.
    pub fn with_max_body(mut self, bytes: u64) -> Connection {
        self.max_body = bytes.max(1);
        self
    }

    /// The largest response body read, in bytes.
    pub fn max_body(&self) -> u64 {
        self.max_body
    }

    /// The bound of one request: the one given, else `default` (the command's own).
    pub fn request_timeout_or(&self, default: Duration) -> Duration {
        self.request_timeout.unwrap_or(default)
    }

    /// Ignores the proxy environment variables: for the embedded reference, which is on
    /// loopback in this process.
    pub fn direct(mut self) -> Connection {
        self.direct = true;
        self
    }

    pub fn auth(&self) -> &Auth {
        &self.auth
    }
    /// Whether any credentials are sent.
    pub fn has_auth(&self) -> bool {
        !matches!(self.auth, Auth::None)
    }
    pub fn is_insecure(&self) -> bool {
        self.insecure
    }
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }
    pub fn ca_cert(&self) -> Option<&Path> {
        self.ca_cert.as_deref()
    }
    /// The extra headers (values sensitive).
    pub fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers
    }

    /// A reqwest builder with the TLS trust, the connect timeout and the proxy rule, without
    /// the extra headers (what the token endpoint's client uses).
    pub fn tls_builder(&self) -> reqwest::ClientBuilder {
        let mut b = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .tls_certs_merge(self.roots.iter().cloned())
            .tls_danger_accept_invalid_certs(self.insecure);
        if self.direct {
            b = b.no_proxy();
        }
        b
    }

    /// [`Connection::tls_builder`] plus the extra headers on every request: the builder of
    /// every client that talks to the target. The credentials are not in it: take them from
    /// [`Connection::authorization`] per request, since an OAuth token changes.
    pub fn client_builder(&self) -> reqwest::ClientBuilder {
        let headers: HeaderMap = self.headers.iter().cloned().collect();
        self.tls_builder().default_headers(headers)
    }

    /// Whether a proxy from the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY, and
    /// their lower-case forms) applies to `url`, by the rules reqwest applies.
    pub fn proxied(&self, url: &reqwest::Url) -> bool {
        if self.direct {
            return false;
        }
        let Ok(uri) = url.as_str().parse::<hyper::Uri>() else {
            return false;
        };
        hyper_util::client::proxy::matcher::Matcher::from_env()
            .intercept(&uri)
            .is_some()
    }

    /// The `Authorization` value to send now, if any. OAuth fetches a token the first time
    /// and again shortly before it expires; every clone shares it.
    pub async fn authorization(&self) -> Result<Option<HeaderValue>, ConnectionError> {
        match &self.auth {
            Auth::OAuth(source) => source.authorization().await.map(Some),
            _ => Ok(self.fixed.clone()),
        }
    }

    /// Whether resending after a 401 may help: true for OAuth, whose token (if it is still
    /// the one `sent`) is dropped so the next [`Connection::authorization`] fetches a new one.
    pub async fn rejected(&self, sent: Option<&HeaderValue>) -> bool {
        match (&self.auth, sent) {
            (Auth::OAuth(source), Some(v)) => {
                source.forget(v).await;
                true
            }
            _ => false,
        }
    }

    /// What to tell a user whose credentials the target refused (401 or 403).
    pub fn rejection_hint(&self) -> String {
        match &self.auth {
            Auth::None => "the target wants credentials: give --token (or SCIM_HARNESS_TOKEN), \
                --basic-user with --basic-password-env, or the --oauth-* options"
                .into(),
            Auth::Bearer(_) => {
                "the bearer token (--token or SCIM_HARNESS_TOKEN) was not accepted".into()
            }
            Auth::Basic { user, .. } => format!(
                "the HTTP Basic credentials of user '{user}' were not accepted (check \
                 --basic-user and the password in --basic-password-env)"
            ),
            Auth::OAuth(s) => format!(
                "the access token from {} was not accepted, even freshly fetched (check \
                 --oauth-scope and the client's permissions)",
                s.config().token_url
            ),
            Auth::Header(_) => {
                "the Authorization header given with --header was not accepted".into()
            }
        }
    }

    /// One line for the terminal: how the run authenticates and trusts the target.
    pub fn describe(&self) -> String {
        let mut parts = vec![match &self.auth {
            Auth::None => "no credentials".to_string(),
            Auth::Bearer(_) => "bearer token".into(),
            Auth::Basic { user, .. } => format!("HTTP Basic as '{user}'"),
            Auth::OAuth(s) => format!(
                "OAuth 2.0 client credentials (client '{}', token from {})",
                s.config().client_id,
                s.config().token_url
            ),
            Auth::Header(_) => "the Authorization header given".into(),
        }];
        if !self.headers.is_empty() {
            let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
            parts.push(format!("headers {}", names.join(", ")));
        }
        if let Some(p) = &self.ca_cert {
            parts.push(format!("CA {}", p.display()));
        }
        if self.insecure {
            parts.push("TLS certificate checks OFF".into());
        }
        parts.join("; ")
    }

    /// Every secret this run knows: the token, the Basic password and its encoded form, the
    /// client secret, the access tokens fetched so far, and the extra headers' values.
    fn secrets(&self) -> Vec<String> {
        let mut s: Vec<String> = Vec::new();
        match &self.auth {
            Auth::None => {}
            Auth::Bearer(t) | Auth::Header(t) => s.push(t.expose().into()),
            Auth::Basic { password, .. } => s.push(password.expose().into()),
            Auth::OAuth(source) => {
                s.push(source.config().client_secret.expose().into());
                s.extend(source.issued());
            }
        }
        if let Some(v) = &self.fixed
            && let Ok(v) = v.to_str()
        {
            // "Basic dXNlcjpwYXNz": the encoded credentials are as secret as the password.
            s.extend(v.split_once(' ').map(|(_, cred)| cred.to_string()));
        }
        s.extend(
            self.headers
                .iter()
                .filter_map(|(_, v)| v.to_str().ok().map(str::to_string)),
        );
        // Short values are not searched for: replacing every "T" garbles the text and hides
        // nothing. Longest first, so a secret that contains another goes whole.
        s.retain(|v| v.trim().chars().count() >= 4);
        s.sort_by_key(|v| std::cmp::Reverse(v.len()));
        s
    }

    /// `text` with every secret of the run replaced by `[REDACTED]`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in self.secrets() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_a_secret() {
        let s = Secret::new("SECRET-MARK");
        assert_eq!(format!("{s} {s:?}"), "<redacted> <redacted>");
        let c = Connection::default()
            .with_auth(Auth::Basic {
                user: "ann".into(),
                password: Secret::new("SECRET-MARK"),
            })
            .and_then(|c| c.with_header("X-Api-Key", "SECRET-KEY"))
            .expect("valid");
        let shown = format!("{c:?} {}", c.describe());
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(
            shown.contains("ann") && shown.contains("x-api-key"),
            "{shown}"
        );
    }

    #[test]
    fn redact_removes_every_secret_and_the_encoded_basic_credentials() {
        let c = Connection::default()
            .with_auth(Auth::Basic {
                user: "ann".into(),
                password: Secret::new("pa55word"),
            })
            .and_then(|c| c.with_header("X-Tenant", "tenant-42"))
            .expect("valid");
        let encoded = base64::engine::general_purpose::STANDARD.encode("ann:pa55word");
        let text = format!("pw pa55word, header tenant-42, auth Basic {encoded}");
        let out = c.redact(&text);
        assert_eq!(
            out,
            "pw [REDACTED], header [REDACTED], auth Basic [REDACTED]"
        );
        let b = Connection::bearer("tok-1234");
        assert_eq!(b.redact("x tok-1234 y"), "x [REDACTED] y");
        assert_eq!(Connection::bearer("T").redact("Tea"), "Tea");
    }

    #[test]
    fn a_bad_header_is_named_without_its_value() {
        let e = Connection::default()
            .with_header("Bad Name", "SECRET")
            .expect_err("invalid name");
        let m = e.to_string();
        assert!(m.contains("Bad Name") && !m.contains("SECRET"), "{m}");
        let e = Connection::default()
            .with_header("X-Key", "SECRET\nnext")
            .expect_err("invalid value");
        let m = e.to_string();
        assert!(m.contains("X-Key") && !m.contains("SECRET"), "{m}");
        assert!(Connection::default().with_header("Host", "x").is_err());
    }

    #[test]
    fn an_authorization_header_is_the_credentials() {
        let c = Connection::default()
            .with_header("Authorization", "SSWS abcd")
            .expect("valid");
        assert_eq!(c.auth().kind(), "header");
        assert!(c.headers().is_empty());
        assert_eq!(c.redact("SSWS abcd"), "[REDACTED]");
    }

    #[test]
    fn a_ca_file_without_a_certificate_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("ca.pem");
        std::fs::write(&p, "not a certificate").expect("write");
        let m = Connection::default()
            .with_ca_cert(&p)
            .expect_err("no PEM")
            .to_string();
        assert!(
            m.contains("ca.pem") && m.contains("BEGIN CERTIFICATE"),
            "{m}"
        );
        let m = Connection::default()
            .with_ca_cert(&dir.path().join("missing.pem"))
            .expect_err("missing")
            .to_string();
        assert!(
            m.contains("missing.pem") && m.contains("cannot read"),
            "{m}"
        );
    }
}
