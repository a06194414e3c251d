//! The open-loop driver does not hide queueing: a target that adds 50 ms to every 10th request
//! shows it in the corrected p95/p99, and with one operation in flight the requests queued behind
//! a slow one show their wait in the corrected histogram but not in the raw one. A closed-loop
//! tool would report the raw figures only.

use scim_harness::load::scenarios::ScenarioName;
use scim_harness::load::{LoadOptions, run};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

async fn slow_every_tenth() -> (String, tokio::task::JoinHandle<()>) {
    let hits = Arc::new(AtomicU64::new(0));
    let app = axum::Router::new().route(
        "/slow",
        axum::routing::get(move || {
            let hits = hits.clone();
            async move {
                if hits.fetch_add(1, Ordering::Relaxed) % 10 == 9 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/slow"), handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_tenth_shows_in_the_corrected_tail() {
    let (url, server) = slow_every_tenth().await;
    // 100/s with one operation in flight: each 50 ms stall delays the next four scheduled sends.
    let mut opts = LoadOptions::new(ScenarioName::Hello, 100.0, Duration::from_millis(2500));
    opts.target = Some(url);
    opts.connections = 1;
    opts.max_ops = Some(250);
    opts.drain = Duration::from_secs(3);
    let started = Instant::now();
    let report = run(&opts).await.expect("load run");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "bounded in time"
    );
    server.abort();

    let m = &report.metrics;
    assert_eq!(report.drive.scheduled, 250);
    assert_eq!(
        report.drive.sent, 250,
        "open loop: every scheduled operation was sent"
    );
    assert_eq!(m.errors, 0, "{:?}", m.errors_by_cause);
    let k = &m.kinds[0];
    assert!(
        k.corrected.p95_us >= 45_000,
        "corrected p95: {:?}",
        k.corrected
    );
    assert!(
        k.corrected.p99_us >= 45_000,
        "corrected p99: {:?}",
        k.corrected
    );
    // About 40 % of operations wait 10-40 ms behind a stall: visible from the intended time...
    let queued = k.curve.iter().find(|(p, _)| *p >= 74.0).map(|p| p.1);
    assert!(
        queued.is_some_and(|us| us >= 5_000),
        "corrected p75 should show the queueing: {:?}",
        k.curve
    );
    // ...and invisible from the actual send, which is what coordinated omission reports.
    assert!(k.raw.p50_us < 5_000, "raw p50: {:?}", k.raw);
    assert!(
        k.corrected.mean_us > 2.0 * k.raw.mean_us,
        "corrected mean {} vs raw mean {}",
        k.corrected.mean_us,
        k.raw.mean_us
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_room_in_flight_the_stall_is_a_tenth_of_operations() {
    let (url, server) = slow_every_tenth().await;
    let mut opts = LoadOptions::new(ScenarioName::Hello, 200.0, Duration::from_secs(2));
    opts.target = Some(url);
    opts.connections = 32;
    opts.max_ops = Some(400);
    let report = run(&opts).await.expect("load run");
    server.abort();
    let k = &report.metrics.kinds[0];
    assert_eq!(k.corrected.count, 400);
    assert!(k.corrected.p95_us >= 45_000, "{:?}", k.corrected);
    assert!(k.corrected.p99_us >= 45_000, "{:?}", k.corrected);
    assert!(k.corrected.p50_us < 20_000, "{:?}", k.corrected);
}
