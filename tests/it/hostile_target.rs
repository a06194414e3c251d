//! `conformance --target` against a hostile fake server (issue 16, item 1): a raw TCP listener
//! on loopback that misbehaves at the byte level. Each run must end within its timeout, exit 2
//! with a message naming the request and the kind of failure, and keep its memory bounded.

use crate::connection::workdir;
use std::process::Output;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the fake server answers every request.
#[derive(Debug, Clone, Copy)]
enum Misbehaviour {
    /// A 200 whose body never ends.
    EndlessBody,
    /// 9 bytes of non-JSON, the connection left open.
    NineBytes,
    /// Reads the request and never answers.
    Silent,
    /// Promises 1 MB, sends 1000 bytes, then resets the connection.
    ResetMidBody,
    /// 302 to itself, forever.
    RedirectLoop,
    /// A header of 1 MiB.
    HugeHeaders,
    /// 200 with an empty body.
    EmptyOk,
    /// 204 followed by a body.
    NoContentWithBody,
    /// 200 text/html.
    Html,
    /// Headers and 100 bytes of a 1 MB body, then nothing.
    SlowBody,
    /// 200 with JSON that is not an object.
    WrongShape,
}

/// Reads up to the end of the request head (bounded), so the answer follows a request.
async fn read_head(s: &mut TcpStream) -> bool {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while head.len() < 64 * 1024 {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.windows(4).any(|w| w == b"\r\n\r\n") {
            return true;
        }
    }
    false
}

/// Waits until the client closes (bounded by the test's own timeouts).
async fn hold(s: &mut TcpStream) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = s.read(&mut buf).await {
        if n == 0 {
            break;
        }
    }
}

async fn answer(mut s: TcpStream, how: Misbehaviour, port: u16) {
    if !read_head(&mut s).await {
        return;
    }
    const JSON: &str = "Content-Type: application/scim+json\r\n";
    match how {
        Misbehaviour::EndlessBody => {
            let head = format!("HTTP/1.1 200 OK\r\n{JSON}\r\n{{\"schemas\":[\"");
            if s.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = vec![b'a'; 64 * 1024];
            // At most 4 GiB; the client gives up long before.
            for _ in 0..65_536 {
                if s.write_all(&chunk).await.is_err() {
                    return;
                }
            }
        }
        Misbehaviour::NineBytes => {
            let _ = s
                .write_all(format!("HTTP/1.1 200 OK\r\n{JSON}\r\nnot json!").as_bytes())
                .await;
            hold(&mut s).await;
        }
        Misbehaviour::Silent => hold(&mut s).await,
        Misbehaviour::ResetMidBody => {
            let head = format!("HTTP/1.1 200 OK\r\n{JSON}Content-Length: 1000000\r\n\r\n");
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(&[b' '; 1000]).await;
            let _ = s.flush().await;
            // A zero linger turns the close into a reset.
            let _ = s.set_zero_linger();
            drop(s);
        }
        Misbehaviour::RedirectLoop => {
            let head = format!(
                "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{port}/ServiceProviderConfig\r\nContent-Length: 0\r\n\r\n"
            );
            let _ = s.write_all(head.as_bytes()).await;
            hold(&mut s).await;
        }
        Misbehaviour::HugeHeaders => {
            let big = "x".repeat(1024 * 1024);
            let head =
                format!("HTTP/1.1 200 OK\r\n{JSON}X-Big: {big}\r\nContent-Length: 2\r\n\r\n{{}}");
            let _ = s.write_all(head.as_bytes()).await;
            hold(&mut s).await;
        }
        Misbehaviour::EmptyOk => {
            let _ = s
                .write_all(format!("HTTP/1.1 200 OK\r\n{JSON}Content-Length: 0\r\n\r\n").as_bytes())
                .await;
            hold(&mut s).await;
        }
        Misbehaviour::NoContentWithBody => {
            let _ = s
                .write_all(
                    format!("HTTP/1.1 204 No Content\r\n{JSON}\r\n{{\"schemas\":[]}}").as_bytes(),
                )
                .await;
            hold(&mut s).await;
        }
        Misbehaviour::SlowBody => {
            let head = format!("HTTP/1.1 200 OK\r\n{JSON}Content-Length: 1000000\r\n\r\n");
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(&[b' '; 100]).await;
            hold(&mut s).await;
        }
        Misbehaviour::WrongShape => {
            let body = "[\"not\", \"an\", \"object\"]";
            let head = format!(
                "HTTP/1.1 200 OK\r\n{JSON}Content-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(head.as_bytes()).await;
            hold(&mut s).await;
        }
        Misbehaviour::Html => {
            let body = "<html><body>Sign in</body></html>";
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(head.as_bytes()).await;
            hold(&mut s).await;
        }
    }
}

/// Starts the fake server on an ephemeral loopback port; it lives as long as the test's
/// runtime.
async fn hostile(how: Misbehaviour) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(answer(s, how, port));
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// What a run gave: its output, how long it took, and its peak resident memory in bytes.
struct Run {
    out: Output,
    took: Duration,
    peak_rss: u64,
}

impl Run {
    fn text(&self) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&self.out.stdout),
            String::from_utf8_lossy(&self.out.stderr)
        )
    }
}

/// VmHWM (peak resident set) of a live process, in bytes.
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// `conformance --target TARGET` with `extra` options, watched (see [`watched`]).
async fn conformance(target: &str, extra: &[&str]) -> Run {
    let mut args = vec!["conformance", "--target", target, "--features", "features"];
    args.extend_from_slice(extra);
    watched(&args).await
}

/// The binary with `args`, watched: its peak RSS is sampled every 10 ms until it exits (at
/// most 60 s).
async fn watched(args: &[&str]) -> Run {
    let dir = workdir();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"));
    cmd.args(args)
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    for var in [
        "SCIM_HARNESS_TOKEN",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    let start = Instant::now();
    let child = cmd.spawn().expect("the binary runs");
    let pid = child.id().expect("a pid");
    let waiting = tokio::spawn(child.wait_with_output());
    let mut peak = 0;
    for _ in 0..6000 {
        if waiting.is_finished() {
            break;
        }
        peak = peak.max(peak_rss(pid).unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let out = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the run ends within 60 s")
        .expect("joined")
        .expect("output");
    Run {
        out,
        took: start.elapsed(),
        peak_rss: peak,
    }
}

/// Exit 2, within `within`, and every `words` in the output.
fn assert_fails(run: &Run, within: Duration, words: &[&str]) {
    let text = run.text();
    assert_eq!(run.out.status.code(), Some(2), "{text}");
    assert!(
        run.took < within,
        "took {:?}, more than {within:?}: {text}",
        run.took
    );
    for w in words {
        assert!(text.contains(w), "says '{w}': {text}");
    }
    println!("{:?} {} MB: {}", run.took, run.peak_rss >> 20, text.trim());
}

const SPC: &str = "GET /ServiceProviderConfig";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_body_stops_at_the_cap_with_bounded_memory() {
    let target = hostile(Misbehaviour::EndlessBody).await;
    let run = conformance(&target, &["--timeout", "20s"]).await;
    assert_fails(
        &run,
        Duration::from_secs(20),
        &["the response to GET /ServiceProviderConfig exceeded 16 MiB"],
    );
    assert!(run.peak_rss > 0, "the RSS was sampled");
    assert!(
        run.peak_rss < 300 << 20,
        "peak RSS {} MB, over 300 MB",
        run.peak_rss >> 20
    );

    // A smaller cap, given on the command line, is the one named.
    let run = conformance(&target, &["--timeout", "20s", "--max-body", "1MiB"]).await;
    assert_fails(
        &run,
        Duration::from_secs(20),
        &["exceeded 1 MiB", "--max-body"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nine_bytes_of_garbage_fail_at_once() {
    let target = hostile(Misbehaviour::NineBytes).await;
    // The connection stays open: only reading the bytes as they come ends this early.
    let run = conformance(&target, &["--timeout", "20s"]).await;
    assert_fails(
        &run,
        Duration::from_secs(8),
        &[SPC, "not JSON", "\"not json!\""],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_times_out_waiting_for_the_headers() {
    let target = hostile(Misbehaviour::Silent).await;
    let run = conformance(&target, &["--timeout", "3s"]).await;
    assert_fails(
        &run,
        Duration::from_secs(10),
        &[SPC, "timed out after 3s waiting for the response headers"],
    );
    assert!(run.took >= Duration::from_secs(3), "waited the timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_mid_body_is_named() {
    let target = hostile(Misbehaviour::ResetMidBody).await;
    let run = conformance(&target, &["--timeout", "3s"]).await;
    assert_fails(
        &run,
        Duration::from_secs(10),
        &[SPC, "reset or closed mid-body"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_reported_not_followed() {
    let target = hostile(Misbehaviour::RedirectLoop).await;
    let run = conformance(&target, &["--timeout", "3s"]).await;
    assert_fails(
        &run,
        Duration::from_secs(10),
        &[
            SPC,
            "answered 302",
            "not followed",
            &format!("{target}/ServiceProviderConfig"),
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_headers_fail_without_waiting() {
    let target = hostile(Misbehaviour::HugeHeaders).await;
    let run = conformance(&target, &["--timeout", "3s"]).await;
    assert_fails(&run, Duration::from_secs(10), &[SPC, "too large"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_200_is_not_json() {
    let target = hostile(Misbehaviour::EmptyOk).await;
    let run = conformance(&target, &["--timeout", "3s"]).await;
    assert_fails(
        &run,
        Duration::from_secs(10),
        &[SPC, "not JSON: an empty body"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_204_with_a_body_is_not_the_configuration() {
    let target = hostile(Misbehaviour::NoContentWithBody).await;
    let run = conformance(&target, &["--timeout", "3s"]).await;
    assert_fails(&run, Duration::from_secs(10), &["answered 204, not 200"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_is_the_wrong_content_type() {
    let target = hostile(Misbehaviour::Html).await;
    let run = conformance(&target, &["--timeout", "3s"]).await;
    assert_fails(
        &run,
        Duration::from_secs(10),
        &[SPC, "Content-Type is 'text/html'"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_is_connection_refused() {
    // A port bound but never listening, kept for the whole run so that no other test's
    // server can take it: connecting is refused.
    let reserved = tokio::net::TcpSocket::new_v4().expect("a socket");
    reserved
        .bind("127.0.0.1:0".parse().expect("an address"))
        .expect("bind");
    let port = reserved.local_addr().expect("addr").port();
    let run = conformance(&format!("http://127.0.0.1:{port}"), &["--timeout", "3s"]).await;
    assert_fails(
        &run,
        Duration::from_secs(10),
        &[SPC, "connection refused", "is the server up"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stalls_times_out_during_the_body() {
    let target = hostile(Misbehaviour::SlowBody).await;
    let run = conformance(&target, &["--timeout", "2s"]).await;
    assert_fails(
        &run,
        Duration::from_secs(15),
        &[SPC, "during the response body", "100 bytes in"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_of_the_wrong_shape_says_what_was_expected() {
    let target = hostile(Misbehaviour::WrongShape).await;
    let run = conformance(&target, &["--timeout", "5s"]).await;
    assert_fails(
        &run,
        Duration::from_secs(15),
        &[
            SPC,
            "JSON but an array",
            "a JSON object (RFC 7643 §5), was expected",
        ],
    );
}

/// `simulate --target`: the same bounds and messages as conformance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulate_stops_at_the_cap_and_names_the_timeout() {
    let sim = |target: String, extra: &'static [&'static str]| async move {
        let mut args = vec![
            "simulate", "--target", &target, "--users", "5", "--groups", "1", "--cycles", "0",
        ];
        args.extend_from_slice(extra);
        watched(&args).await
    };
    let run = sim(
        hostile(Misbehaviour::EndlessBody).await,
        &["--max-body", "1MiB", "--timeout", "20s"],
    )
    .await;
    assert_fails(&run, Duration::from_secs(30), &["exceeded 1 MiB"]);
    assert!(
        run.peak_rss < 300 << 20,
        "peak RSS {} MB",
        run.peak_rss >> 20
    );
    let run = sim(hostile(Misbehaviour::Silent).await, &["--timeout", "1s"]).await;
    assert_fails(
        &run,
        Duration::from_secs(30),
        &["timed out after 1s waiting for the response headers"],
    );
}

/// The load driver counts each failure kind in its own row of the error table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_load_driver_counts_each_failure_kind_apart() {
    use scim_harness::load::scenarios::ScenarioName;
    use scim_harness::load::{LoadOptions, run};
    for (how, key) in [
        (Misbehaviour::EndlessBody, "transport: body over --max-body"),
        (Misbehaviour::Silent, "transport: timeout"),
        (Misbehaviour::SlowBody, "transport: timeout during the body"),
        (Misbehaviour::ResetMidBody, "transport: reset mid-body"),
        (Misbehaviour::HugeHeaders, "transport: not an HTTP response"),
    ] {
        let mut opts = LoadOptions::new(ScenarioName::Hello, 20.0, Duration::from_millis(500));
        opts.target = Some(hostile(how).await);
        opts.connection = scim_harness::client::Connection::default()
            .direct()
            .with_max_body(1 << 20);
        opts.request_timeout = Duration::from_secs(1);
        opts.drain = Duration::from_secs(2);
        let started = Instant::now();
        let report = run(&opts).await.expect("a failing target is reported");
        assert!(started.elapsed() < Duration::from_secs(10), "{how:?}");
        let m = &report.metrics;
        assert!(m.errors > 0, "{how:?}");
        assert_eq!(
            m.errors_by_cause.get(key).copied(),
            Some(m.errors),
            "{how:?}: {:?}",
            m.errors_by_cause
        );
    }
}

/// `load` against an endless body: every operation fails at the cap, memory stays bounded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_against_an_endless_body_keeps_its_memory_bounded() {
    let target = hostile(Misbehaviour::EndlessBody).await;
    let run = watched(&[
        "load",
        "--scenario",
        "hello",
        "--target",
        &target,
        "--rate",
        "50",
        "--duration",
        "2s",
        "--max-body",
        "1MiB",
    ])
    .await;
    let text = run.text();
    assert_eq!(run.out.status.code(), Some(0), "{text}");
    assert!(text.contains("transport: body over --max-body"), "{text}");
    assert!(
        run.peak_rss < 300 << 20,
        "peak RSS {} MB",
        run.peak_rss >> 20
    );
    println!("load: {:?} {} MB", run.took, run.peak_rss >> 20);
}

/// `verify-domain --web` against a hostile web server: the file is read up to 4 KiB, a silent
/// server is given up after --timeout-ms, and each says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_domain_bounds_the_file_and_the_wait() {
    let code = "0f8fad5b-d9cb-469f-a165-70867728950e";
    for (how, said) in [
        (Misbehaviour::EndlessBody, "larger than 4096 bytes"),
        (Misbehaviour::Silent, "did not answer in time"),
    ] {
        let url = hostile(how).await;
        let web = url.trim_start_matches("http://").to_string();
        let run = watched(&[
            "verify-domain",
            "--code",
            code,
            "--web",
            &web,
            "--method",
            "web",
            "--timeout-ms",
            "1000",
            "example.org",
        ])
        .await;
        let text = run.text();
        assert_eq!(run.out.status.code(), Some(1), "{how:?}: {text}");
        assert!(text.contains(said), "{how:?}: {text}");
        assert!(
            run.took < Duration::from_secs(10),
            "{how:?}: {:?}",
            run.took
        );
        assert!(
            run.peak_rss < 200 << 20,
            "{how:?}: {} MB",
            run.peak_rss >> 20
        );
    }
}

/// The cap can come from the configuration file (`max_body`), as every connection option.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_body_cap_can_come_from_the_configuration_file() {
    let target = hostile(Misbehaviour::EndlessBody).await;
    let dir = workdir();
    let config = dir.path().join("scim-harness.toml");
    std::fs::write(
        &config,
        format!("target = \"{target}\"\nmax_body = \"2MiB\"\n"),
    )
    .expect("write the configuration");
    let config = config.display().to_string();
    let run = watched(&["conformance", "--config", &config, "--features", "features"]).await;
    assert_fails(&run, Duration::from_secs(20), &[SPC, "exceeded 2 MiB"]);
}
