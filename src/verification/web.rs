//! The fake web server for the web method (E-DV-03), built on wiremock.
//!
//! One server plays every domain's web server: the verifier sends each request to it and the
//! `Host` header says which domain is asked for, exactly as with name-based virtual hosting.
//! What `/logmein-verification-code.txt` answers for a domain (body, status, redirect, delay)
//! is kept in a table the scenarios edit while the server runs. A single wiremock mock reads
//! that table on every request, so concurrent scenarios on different domains never disturb
//! each other, and no mock needs removing.

use super::outcome::FILE_PATH;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// What the file answers for one domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebFile {
    pub status: u16,
    pub body: Vec<u8>,
    /// A `Location` header (for a redirect status).
    pub location: Option<String>,
    /// How long the server waits before answering.
    pub delay: Option<Duration>,
}

impl WebFile {
    /// 200 with this body, as `text/plain`.
    pub fn body(body: impl Into<Vec<u8>>) -> WebFile {
        WebFile {
            status: 200,
            body: body.into(),
            location: None,
            delay: None,
        }
    }

    /// An empty response with this status (404, 500, ...).
    pub fn status(status: u16) -> WebFile {
        WebFile {
            status,
            body: Vec::new(),
            location: None,
            delay: None,
        }
    }

    /// A redirect (301, 302, 307, 308) to `location`.
    pub fn redirect(status: u16, location: &str) -> WebFile {
        WebFile {
            location: Some(location.to_string()),
            ..WebFile::status(status)
        }
    }

    /// The same answer, after `delay`.
    pub fn delayed(mut self, delay: Duration) -> WebFile {
        self.delay = Some(delay);
        self
    }
}

type Files = Arc<RwLock<HashMap<String, WebFile>>>;

/// The wiremock responder: looks the domain up by the `Host` header (port and case ignored).
struct ByHost(Files);

/// The host a request is for, lower case, without a port.
fn host_of(request: &Request) -> String {
    let host = request
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

impl Respond for ByHost {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let Some(file) = self.0.read().get(&host_of(request)).cloned() else {
            return ResponseTemplate::new(404);
        };
        let mut t = ResponseTemplate::new(file.status);
        if !file.body.is_empty() {
            t = t.set_body_raw(file.body, "text/plain");
        }
        if let Some(l) = file.location {
            t = t.insert_header("location", l.as_str());
        }
        if let Some(d) = file.delay {
            t = t.set_delay(d);
        }
        t
    }
}

/// A running fake web server. Dropping it stops the server.
pub struct FakeWeb {
    server: MockServer,
    files: Files,
}

impl std::fmt::Debug for FakeWeb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeWeb")
            .field("addr", self.server.address())
            .field("domains", &self.files.read().len())
            .finish()
    }
}

impl FakeWeb {
    /// Starts on an ephemeral loopback port.
    pub async fn start() -> std::io::Result<FakeWeb> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        Ok(Self::start_on(listener).await)
    }

    /// Starts on a bound listener (for `verification-servers --web-port`).
    pub async fn start_on(listener: std::net::TcpListener) -> FakeWeb {
        // Not wiremock's pooled servers: this one may live for a whole run and must not be
        // handed to someone else or reset behind the scenarios' backs.
        let server = MockServer::builder().listener(listener).start().await;
        let files: Files = Arc::default();
        Mock::given(method("GET"))
            .and(path(FILE_PATH))
            .respond_with(ByHost(files.clone()))
            .mount(&server)
            .await;
        FakeWeb { server, files }
    }

    /// The address every domain's requests go to.
    pub fn addr(&self) -> SocketAddr {
        *self.server.address()
    }

    /// Sets what `http://<domain>/logmein-verification-code.txt` answers.
    pub fn set(&self, domain: &str, file: WebFile) {
        self.files
            .write()
            .insert(domain.trim_end_matches('.').to_ascii_lowercase(), file);
    }

    /// Removes the domain's file (it then answers 404).
    pub fn remove(&self, domain: &str) {
        self.files
            .write()
            .remove(&domain.trim_end_matches('.').to_ascii_lowercase());
    }

    /// The requests received so far, as (host, path).
    pub async fn requests(&self) -> Vec<(String, String)> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .map(|r| (host_of(r), r.url.path().to_string()))
            .collect()
    }
}
