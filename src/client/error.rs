//! What went wrong talking to a target, one variant per kind, each naming the request
//! ("GET /ServiceProviderConfig"), and the classification of reqwest's errors into them.

use super::connection::ConnectionError;
use std::time::Duration;

/// What went wrong talking to a target (not a SCIM error: those are responses).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(
        "{request}: connection refused by {url} (nothing listens there: is the server up and \
         the port right?)"
    )]
    Refused { request: String, url: String },
    #[error("{request}: cannot resolve the host of {url} (DNS failure: {reason})")]
    Dns {
        request: String,
        url: String,
        reason: String,
    },
    #[error(
        "{request}: TLS with {url} failed: {problem} (the target's TLS certificate was not \
         accepted: give the CA that signed it with --ca-cert FILE, or --insecure to skip the \
         check on a test server)"
    )]
    Tls {
        request: String,
        url: String,
        problem: String,
    },
    #[error("{request}: timed out after {} connecting to {url} (--connect-timeout)", secs(.after))]
    ConnectTimeout {
        request: String,
        url: String,
        after: Duration,
    },
    #[error("{request}: timed out after {} waiting for the response headers (--timeout)", secs(.after))]
    HeadersTimeout { request: String, after: Duration },
    #[error(
        "{request}: timed out after {} during the response body, {received} bytes in (--timeout)",
        secs(.after)
    )]
    BodyTimeout {
        request: String,
        after: Duration,
        received: usize,
    },
    #[error(
        "{request}: the connection was reset or closed mid-body, after {received} bytes ({reason})"
    )]
    Reset {
        request: String,
        received: usize,
        reason: String,
    },
    #[error("the response to {request} exceeded {} (--max-body)", size(*.limit))]
    TooLarge { request: String, limit: u64 },
    #[error("{request}: the answer is not JSON: {first}")]
    NotJson { request: String, first: String },
    #[error(
        "{request}: the answer's Content-Type is '{content_type}', not application/scim+json \
         (or application/json)"
    )]
    WrongContentType {
        request: String,
        content_type: String,
    },
    #[error(
        "{request}: answered {status}, a redirect to '{location}' (not followed: give the URL \
         it points to as the target)"
    )]
    Redirect {
        request: String,
        status: u16,
        location: String,
    },
    /// Any other transport failure, with reqwest's cause chain.
    #[error("{request}: {url}: {reason}")]
    Transport {
        request: String,
        url: String,
        reason: String,
    },
    #[error("invalid target URL '{0}'")]
    BadUrl(String),
    /// The credentials could not be had (an OAuth token endpoint failed) or the settings are
    /// unusable.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
}

/// `3s`, `1.5s`.
fn secs(d: &Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

/// `16 MiB`, `512 KiB`, `1000 bytes`.
pub fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// The first bytes of a body, escaped, for a "not JSON" message.
pub fn first_bytes(body: &[u8]) -> String {
    if body.iter().all(u8::is_ascii_whitespace) {
        return "an empty body".into();
    }
    const SHOWN: usize = 64;
    let shown = &body[..body.len().min(SHOWN)];
    let text: String = String::from_utf8_lossy(shown).escape_debug().collect();
    let more = if body.len() > SHOWN { "…" } else { "" };
    format!("it begins \"{text}\"{more}")
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

/// The first I/O error kind in the cause chain.
fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(cause) = next {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        next = cause.source();
    }
    None
}

/// Where in the exchange a failure happened: before the headers arrived, or in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Headers,
    Body { received: usize },
}

/// What a classification needs besides the error: the request, its URL and the bounds.
pub struct Exchange<'a> {
    pub request: &'a str,
    pub url: &'a str,
    pub timeout: Duration,
    pub connect_timeout: Duration,
}

impl Exchange<'_> {
    /// One [`ClientError`] kind for a reqwest error.
    pub fn classify(&self, e: &reqwest::Error, phase: Phase) -> ClientError {
        let request = self.request.to_string();
        let url = self.url.to_string();
        let chain = error_chain(e);
        let lower = chain.to_ascii_lowercase();
        let kind = io_kind(e);
        let tls = [
            "certificate",
            "unknownissuer",
            "tls handshake",
            "alert",
            "rustls",
        ]
        .iter()
        .any(|w| lower.contains(w));
        if tls && phase == Phase::Headers {
            // The part after reqwest's and hyper's own wrapping, e.g. "invalid peer
            // certificate: UnknownIssuer".
            let problem = chain
                .split(": ")
                .skip_while(|p| !p.to_ascii_lowercase().contains("certificate"))
                .collect::<Vec<_>>()
                .join(": ");
            let problem = if problem.is_empty() { chain } else { problem };
            return ClientError::Tls {
                request,
                url,
                problem,
            };
        }
        if e.is_timeout() || kind == Some(std::io::ErrorKind::TimedOut) {
            return match phase {
                Phase::Headers if e.is_connect() => ClientError::ConnectTimeout {
                    request,
                    url,
                    after: self.connect_timeout,
                },
                Phase::Headers => ClientError::HeadersTimeout {
                    request,
                    after: self.timeout,
                },
                Phase::Body { received } => ClientError::BodyTimeout {
                    request,
                    after: self.timeout,
                    received,
                },
            };
        }
        if kind == Some(std::io::ErrorKind::ConnectionRefused) {
            return ClientError::Refused { request, url };
        }
        if e.is_connect() && (lower.contains("dns error") || lower.contains("lookup")) {
            return ClientError::Dns {
                request,
                url,
                reason: chain,
            };
        }
        if let Phase::Body { received } = phase {
            let cut = matches!(
                kind,
                Some(
                    std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::UnexpectedEof
                        | std::io::ErrorKind::BrokenPipe
                )
            ) || lower.contains("incomplete")
                || lower.contains("reset")
                || lower.contains("closed");
            if cut {
                return ClientError::Reset {
                    request,
                    received,
                    reason: chain,
                };
            }
        }
        ClientError::Transport {
            request,
            url,
            reason: chain,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_first_bytes_read_as_words() {
        assert_eq!(size(16 * 1024 * 1024), "16 MiB");
        assert_eq!(size(512 * 1024), "512 KiB");
        assert_eq!(size(1000), "1000 bytes");
        assert_eq!(first_bytes(b"not json!"), "it begins \"not json!\"");
        assert_eq!(first_bytes(b"a\"\n\x01"), "it begins \"a\\\"\\n\\u{1}\"");
        assert_eq!(first_bytes(b"  \r\n"), "an empty body");
        assert!(first_bytes(&[b'x'; 100]).ends_with('…'));
    }

    #[test]
    fn too_large_names_the_request_and_the_cap() {
        let e = ClientError::TooLarge {
            request: "GET /ServiceProviderConfig".into(),
            limit: 16 * 1024 * 1024,
        };
        assert!(
            e.to_string()
                .starts_with("the response to GET /ServiceProviderConfig exceeded 16 MiB"),
            "{e}"
        );
    }
}
