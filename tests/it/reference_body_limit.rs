//! A body over `maxPayloadSize` is answered 413 in a way an ordinary client can read. Many
//! clients (Python's urllib, most SDKs) write the whole body before they read anything; if the
//! server answers early and closes with the body unread, the kernel resets the connection and
//! the client sees a broken pipe instead of the 413. The reference reads and discards the rest
//! of a refused body (up to a bound), so these raw `std::net::TcpStream` clients, which write
//! all 20 MB first, get the 413, and the server keeps serving others meanwhile.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use scim_harness::client::ScimClient;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;
use tokio::sync::mpsc;

use crate::common::*;

const BODY: usize = 20_000_000;
const CHUNK: usize = 64 * 1024;

/// One HTTP/1.1 answer read off the wire.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn read_answer(r: &mut BufReader<TcpStream>) -> std::io::Result<Answer> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line: {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// How the oversized body is framed on the wire.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Framing {
    ContentLength,
    Chunked,
}

/// Writes a POST /Users with a `BODY`-byte body, all of it, before reading anything; tells
/// `halfway` when half is written and waits for `go` before writing the rest. Then reads the
/// answer, and a second request on the same connection.
fn write_all_then_read(
    addr: SocketAddr,
    framing: Framing,
    halfway: mpsc::Sender<()>,
    mut go: mpsc::Receiver<()>,
) -> std::io::Result<(Answer, Answer)> {
    let stream = TcpStream::connect(addr)?;
    stream.set_write_timeout(Some(Duration::from_secs(60)))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut w = stream.try_clone()?;
    let framing_header = match framing {
        Framing::ContentLength => format!("Content-Length: {BODY}"),
        Framing::Chunked => "Transfer-Encoding: chunked".to_string(),
    };
    write!(
        w,
        "POST /Users HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer t\r\n\
         Content-Type: application/scim+json\r\n{framing_header}\r\n\r\n"
    )?;
    let chunk = vec![b' '; CHUNK];
    let mut sent = 0;
    let mut told = false;
    while sent < BODY {
        let n = CHUNK.min(BODY - sent);
        match framing {
            Framing::ContentLength => w.write_all(&chunk[..n])?,
            Framing::Chunked => {
                write!(w, "{n:x}\r\n")?;
                w.write_all(&chunk[..n])?;
                w.write_all(b"\r\n")?;
            }
        }
        sent += n;
        if !told && sent >= BODY / 2 {
            told = true;
            halfway.blocking_send(()).ok();
            go.blocking_recv();
        }
    }
    if framing == Framing::Chunked {
        w.write_all(b"0\r\n\r\n")?;
    }
    w.flush()?;
    let mut r = BufReader::new(stream);
    let first = read_answer(&mut r)?;
    // The connection is still good for the next request: the body was read to its end.
    write!(
        w,
        "GET /ServiceProviderConfig HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer t\r\n\r\n"
    )?;
    let second = read_answer(&mut r)?;
    Ok((first, second))
}

async fn a_read_succeeds(c: &ScimClient, id: &str) {
    let r = c.get(&format!("/Users/{id}")).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
}

async fn oversized_body_is_answered_413(framing: Framing) {
    let (srv, c) = start().await;
    let r = c
        .post(
            "/Users",
            &serde_json::json!({"schemas": [USER], "userName": "bystander"}),
        )
        .await
        .unwrap();
    let id = r.body["id"].as_str().unwrap().to_string();
    let (half_tx, mut half_rx) = mpsc::channel(1);
    let (go_tx, go_rx) = mpsc::channel(1);
    let addr = srv.addr;
    let upload =
        tokio::task::spawn_blocking(move || write_all_then_read(addr, framing, half_tx, go_rx));
    // Another client is served while the big body is half written...
    let reached_halfway = half_rx.recv().await.is_some();
    if reached_halfway {
        a_read_succeeds(&c, &id).await;
        go_tx.send(()).await.ok();
    }
    let (first, second) = upload
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{framing:?}: the client could not read the answer: {e}"));
    assert!(reached_halfway, "{framing:?}: the upload was cut short");
    assert_eq!(first.status, 413, "{framing:?}: {first:?}");
    assert!(
        first
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/scim+json")),
        "{first:?}"
    );
    let error: Value = serde_json::from_slice(&first.body).unwrap();
    assert_eq!(error["status"], "413", "{error}");
    assert!(
        error["detail"]
            .as_str()
            .is_some_and(|d| d.contains("maximum payload size")),
        "{error}"
    );
    assert_eq!(
        second.status, 200,
        "the same connection serves on: {second:?}"
    );
    // ...and afterwards.
    a_read_succeeds(&c, &id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_writes_20_mb_before_reading_gets_the_413() {
    oversized_body_is_answered_413(Framing::ContentLength).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_past_the_limit_is_answered_413_the_same_way() {
    oversized_body_is_answered_413(Framing::Chunked).await;
}

/// A client that asks first (`Expect: 100-continue`, as curl does for large bodies) is told
/// 413 at once and never invited to send the body.
#[tokio::test]
async fn a_client_that_asks_first_is_refused_before_sending() {
    let (srv, _c) = start().await;
    let addr = srv.addr;
    let answer = tokio::task::spawn_blocking(move || -> std::io::Result<Answer> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut w = stream.try_clone()?;
        write!(
            w,
            "POST /Users HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer t\r\n\
             Content-Type: application/scim+json\r\nContent-Length: {BODY}\r\n\
             Expect: 100-continue\r\n\r\n"
        )?;
        read_answer(&mut BufReader::new(stream))
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(answer.status, 413, "not 100 Continue: {answer:?}");
}

/// A refusal that never reads the body (401 here) lets the client read it too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unauthenticated_upload_reads_its_401() {
    let (srv, _c) = start().await;
    let addr = srv.addr;
    let answer = tokio::task::spawn_blocking(move || -> std::io::Result<Answer> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        stream.set_write_timeout(Some(Duration::from_secs(60)))?;
        let mut w = stream.try_clone()?;
        write!(
            w,
            "POST /Users HTTP/1.1\r\nHost: {addr}\r\n\
             Content-Type: application/scim+json\r\nContent-Length: {BODY}\r\n\r\n"
        )?;
        let chunk = vec![b' '; CHUNK];
        let mut sent = 0;
        while sent < BODY {
            let n = CHUNK.min(BODY - sent);
            w.write_all(&chunk[..n])?;
            sent += n;
        }
        read_answer(&mut BufReader::new(stream))
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("the client could not read the answer: {e}"));
    assert_eq!(answer.status, 401, "{answer:?}");
}

/// Past the discard bound (64 MiB with the default 1 MiB limit) the server stops reading and
/// closes: a client sending 200 MB is cut off well before its end, and others are served on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_past_the_discard_bound_is_cut_off_and_the_server_serves_on() {
    const HUGE: usize = 200_000_000;
    let (srv, c) = start().await;
    let addr = srv.addr;
    let sent = tokio::task::spawn_blocking(move || -> usize {
        let Ok(stream) = TcpStream::connect(addr) else {
            return 0;
        };
        stream
            .set_write_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut w = stream;
        if write!(
            w,
            "POST /Users HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer t\r\n\
             Content-Type: application/scim+json\r\nContent-Length: {HUGE}\r\n\r\n"
        )
        .is_err()
        {
            return 0;
        }
        let chunk = vec![b' '; CHUNK];
        let mut sent = 0;
        while sent < HUGE {
            if w.write_all(&chunk).is_err() {
                break;
            }
            sent += CHUNK;
        }
        sent
    })
    .await
    .unwrap();
    assert!(
        sent < HUGE / 2,
        "the server stopped reading near 64 MiB, not after {sent} bytes"
    );
    assert!(sent >= 64 << 20, "it read up to the bound first: {sent}");
    let r = c.get("/ServiceProviderConfig").await.unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
}
