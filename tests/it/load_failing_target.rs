//! A load run against a target that is down or failing ends on time, counts every error by
//! cause, and still writes its report and interval log.

use scim_harness::load::scenarios::ScenarioName;
use scim_harness::load::{LoadError, LoadOptions, run};
use std::time::{Duration, Instant};

/// A loopback port that refuses connections, and the socket that keeps it so: bound but never
/// listening. (Binding a listener and dropping it freed the port for another test's server to
/// take mid-run, which then answered some of the requests.)
fn closed_port() -> (tokio::net::TcpSocket, String) {
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket
        .bind("127.0.0.1:0".parse().expect("an address"))
        .expect("bind loopback");
    let addr = socket.local_addr().expect("local addr");
    (socket, format!("http://{addr}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_target_ends_on_time_with_errors_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = LoadOptions::new(ScenarioName::Hello, 100.0, Duration::from_millis(1500));
    let (_reserved, url) = closed_port();
    opts.target = Some(url);
    opts.report_dir = Some(dir.path().to_path_buf());
    opts.hdr_log = Some(dir.path().join("down.hlog"));
    opts.request_timeout = Duration::from_secs(2);
    opts.drain = Duration::from_secs(2);
    let started = Instant::now();
    let report = run(&opts)
        .await
        .expect("a failing target is reported, not an error");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(6), "took {took:?}");
    let m = &report.metrics;
    assert_eq!(report.drive.scheduled, 150);
    assert_eq!(m.completed, 150);
    assert_eq!(m.errors, 150);
    assert_eq!(
        m.errors_by_cause.get("transport: connect"),
        Some(&150),
        "{:?}",
        m.errors_by_cause
    );
    for f in [
        "load-hello.json",
        "load-hello.html",
        "load-hello-latency.svg",
        "load-hello-throughput.svg",
        "load-hello-p99.svg",
        "down.hlog",
    ] {
        assert!(dir.path().join(f).exists(), "{f} written");
    }
    let summary = scim_harness::load::report::summary(&report);
    assert!(summary.contains("transport: connect"), "{summary}");
    assert!(summary.contains("Success rate:    0.00 %"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_answering_500_ends_on_time_with_statuses_counted() {
    let app = axum::Router::new()
        .fallback(|| async { (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "boom") });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = LoadOptions::new(ScenarioName::Hello, 200.0, Duration::from_millis(1500));
    opts.target = Some(format!("http://{addr}/"));
    opts.report_dir = Some(dir.path().to_path_buf());
    let started = Instant::now();
    let report = run(&opts).await.expect("load run");
    assert!(started.elapsed() < Duration::from_secs(6));
    let m = &report.metrics;
    assert_eq!(m.errors, 300);
    assert_eq!(m.statuses.get(&500), Some(&300));
    assert_eq!(m.errors_by_cause.get("HTTP 500"), Some(&300));
    let json = std::fs::read_to_string(dir.path().join("load-hello.json")).expect("json report");
    assert!(json.contains("\"HTTP 500\": 300"), "{json}");

    // A SCIM scenario whose setup the target refuses stops with a clear error before the
    // measured window instead of measuring nothing.
    let mut opts = LoadOptions::new(ScenarioName::EntitlementsApi, 50.0, Duration::from_secs(1));
    opts.target = Some(format!("http://{addr}"));
    opts.sizes.users = 3;
    match run(&opts).await {
        Err(LoadError::Setup(e)) => assert!(e.to_string().contains("HTTP 500"), "{e}"),
        other => panic!("expected a setup error, got {other:?}"),
    }
    server.abort();
}
