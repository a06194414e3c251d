//! Measures User Sync on the embedded reference and writes `reports/usersync-bench.json`:
//! p99 change -> visible latency of a single membership change (S-US-03), and bulk
//! entitlements per minute for N users joining ruled groups (S-US-04).
//!
//! Ignored by default (it is a measurement, not a check); run it in release mode:
//! `cargo test --release --test it usersync_bench -- --ignored --nocapture`
//! (`USERSYNC_BENCH_USERS`, default 10000; `USERSYNC_BENCH_SAMPLES`, default 500).
//! The reference runs on its own 2-thread runtime, as on a 2-core server.

use scim_harness::reference::config::ReferenceConfig;
use scim_harness::run::usersync_bench::{bulk_demo, latency_probe};
use std::time::Duration;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
#[ignore = "a measurement: run with --release -- --ignored --nocapture"]
fn measure_latency_and_bulk_throughput() {
    let users = env("USERSYNC_BENCH_USERS", 10_000);
    let samples = env("USERSYNC_BENCH_SAMPLES", 500);
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(async move {
            let srv = crate::common::reference(ReferenceConfig {
                token: Some("bench".into()),
                ..Default::default()
            })
            .await;
            tx.send(srv.base_url.clone()).expect("send");
            let _ = stop_rx.await;
            srv.stop().await;
        });
    });
    let base = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("a base URL");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let (latency, bulk) = rt.block_on(async {
        let latency = latency_probe(&base, Some("bench"), samples)
            .await
            .expect("the latency probe runs");
        let bulk = bulk_demo(&base, Some("bench"), users)
            .await
            .expect("the bulk demo runs");
        (latency, bulk)
    });
    let _ = stop_tx.send(());
    let _ = server.join();
    let report = serde_json::json!({
        "command": "cargo test --release --test it usersync_bench -- --ignored --nocapture",
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "latency": latency,
        "bulk": bulk,
    });
    let text = serde_json::to_string_pretty(&report).expect("json");
    println!("{text}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("reports");
    std::fs::create_dir_all(&dir).expect("reports/");
    std::fs::write(dir.join("usersync-bench.json"), text + "\n").expect("written");
    assert!(bulk.entitlements_per_minute > bulk.baseline_per_minute);
}
