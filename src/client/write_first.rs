//! A deliberately plain HTTP/1.1 client that writes its whole request before it reads a byte of
//! the answer, as Python's urllib and many SDKs do. reqwest reads while it writes, so it sees an
//! early answer that these clients never get when a server closes with the body unread (the
//! connection is reset under them). The suite uses it to check that a refusal of an oversized
//! body can be read. Plain `http://` only; every read and write is bounded in time and size.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The most of an answer that is kept; an error body is far smaller.
const MAX_ANSWER: usize = 1 << 20;
const CHUNK: usize = 64 * 1024;

/// Why the write-first exchange gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum WriteFirstError {
    #[error("'{0}' is not a plain http:// URL (the write-first client speaks no TLS)")]
    NotPlainHttp(String),
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the connection failed after {sent} of {total} body bytes were written: {source}")]
    Write {
        sent: usize,
        total: usize,
        #[source]
        source: std::io::Error,
    },
    #[error("the whole body was written, then reading the answer failed: {0}")]
    Read(#[source] std::io::Error),
    #[error("no answer within {0:?}")]
    TimedOut(Duration),
    #[error("the answer is not HTTP/1.1: {0}")]
    Malformed(String),
}

/// The answer: status, Content-Type and body (at most 1 MiB of it).
#[derive(Debug, Clone)]
pub struct WriteFirstAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: String,
}

/// Sends `method url` with `body` and `headers` (credentials among them), writing all of it
/// before reading; the whole exchange is bounded by `timeout`.
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    content_type: &str,
    body: &[u8],
    timeout: Duration,
) -> Result<WriteFirstAnswer, WriteFirstError> {
    let parsed =
        reqwest::Url::parse(url).map_err(|_| WriteFirstError::NotPlainHttp(url.to_string()))?;
    let host = match (parsed.scheme(), parsed.host_str()) {
        ("http", Some(h)) => h.to_string(),
        _ => return Err(WriteFirstError::NotPlainHttp(url.to_string())),
    };
    let port = parsed.port_or_known_default().unwrap_or(80);
    let target = match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_string(),
    };
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nAccept: application/scim+json\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let exchange = async {
        let addr = format!("{host}:{port}");
        let mut stream = TcpStream::connect(&addr)
            .await
            .map_err(|source| WriteFirstError::Connect { addr, source })?;
        let total = body.len();
        let write_err = |sent, source| WriteFirstError::Write {
            sent,
            total,
            source,
        };
        stream
            .write_all(head.as_bytes())
            .await
            .map_err(|e| write_err(0, e))?;
        let mut sent = 0;
        for part in body.chunks(CHUNK) {
            stream
                .write_all(part)
                .await
                .map_err(|e| write_err(sent, e))?;
            sent += part.len();
        }
        stream.flush().await.map_err(|e| write_err(sent, e))?;
        let mut answer = Vec::new();
        let mut buf = vec![0; CHUNK];
        while answer.len() < MAX_ANSWER {
            let n = stream.read(&mut buf).await.map_err(WriteFirstError::Read)?;
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
            if complete(&answer) {
                break;
            }
        }
        parse(&answer)
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| WriteFirstError::TimedOut(timeout))?
}

/// The head ends and, with a Content-Length, that much body follows.
fn complete(bytes: &[u8]) -> bool {
    let Some(end) = find(bytes, b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&bytes[..end]);
    header(&head, "content-length")
        .and_then(|l| l.parse::<usize>().ok())
        .is_some_and(|len| bytes.len() >= end + 4 + len)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

fn parse(bytes: &[u8]) -> Result<WriteFirstAnswer, WriteFirstError> {
    let end = find(bytes, b"\r\n\r\n").ok_or_else(|| {
        WriteFirstError::Malformed(format!(
            "no end of the header block in {} bytes",
            bytes.len()
        ))
    })?;
    let head = String::from_utf8_lossy(&bytes[..end]);
    let status_line = head.lines().next().unwrap_or("");
    let status = status_line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| WriteFirstError::Malformed(format!("status line {status_line:?}")))?;
    let mut body = &bytes[end + 4..];
    if let Some(len) = header(&head, "content-length").and_then(|l| l.parse::<usize>().ok()) {
        body = &body[..len.min(body.len())];
    }
    let chunked = header(&head, "transfer-encoding")
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_vec()
    };
    Ok(WriteFirstAnswer {
        status,
        content_type: header(&head, "content-type").map(str::to_string),
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// The data of a chunked body, as far as it is well formed.
fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = find(rest, b"\r\n") {
        let size = String::from_utf8_lossy(&rest[..line_end]);
        let Ok(size) = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
        else {
            break;
        };
        let start = line_end + 2;
        if size == 0 || rest.len() < start + size {
            break;
        }
        out.extend_from_slice(&rest[start..start + size]);
        rest = rest.get(start + size + 2..).unwrap_or(&[]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_parsed_with_either_framing() {
        let a = parse(b"HTTP/1.1 413 Payload Too Large\r\ncontent-type: application/scim+json\r\ncontent-length: 4\r\n\r\n{}{}extra")
            .expect("parsed");
        assert_eq!(a.status, 413);
        assert_eq!(a.content_type.as_deref(), Some("application/scim+json"));
        assert_eq!(a.body, "{}{}");
        let a = parse(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n3\r\nabc\r\n0\r\n\r\n")
            .expect("parsed");
        assert_eq!(a.body, "{}abc");
        assert!(parse(b"SSH-2.0-x\r\n\r\n").is_err());
        assert!(parse(b"HTTP/1.1 200 OK\r\n").is_err());
    }

    #[test]
    fn only_plain_http_is_spoken() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let e = rt
            .block_on(send(
                "POST",
                "https://example.com/Bulk",
                &[],
                "application/json",
                b"{}",
                Duration::from_secs(1),
            ))
            .expect_err("refused");
        assert!(matches!(e, WriteFirstError::NotPlainHttp(_)), "{e}");
    }
}
