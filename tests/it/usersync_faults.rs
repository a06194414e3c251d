//! Proves the User Sync features can fail: with a test-only fault in the engine, the scenarios
//! encoding the broken behaviour fail (and name it), while the run itself still completes.

use crate::common;
use scim_harness::client::Connection;
use scim_harness::conformance::{self, ConformanceOptions};
use scim_harness::reference::config::ReferenceConfig;
use scim_harness::reference::usersync::Faults;
use scim_harness::report::Verdict;
use std::path::PathBuf;

/// Runs the scenarios tagged `tag` against a reference with `faults`; returns the names of the
/// failed scenarios and of all scenarios run.
async fn run_with(faults: Faults, tag: &str) -> (Vec<String>, usize) {
    let _serial = common::SUITE.lock().await;
    let token = "faults-test-token".to_string();
    let srv = common::reference(ReferenceConfig {
        token: Some(token.clone()),
        ..Default::default()
    })
    .await;
    srv.usersync.set_faults(faults);
    let opts = ConformanceOptions {
        target: Some(srv.base_url.clone()),
        connection: Connection::bearer(token),
        features: Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/features/usersync"
        ))),
        tags: Some(tag.to_string()),
        ..Default::default()
    };
    let report = conformance::run(&opts).await.expect("the suite runs");
    srv.stop().await;
    let failed = report
        .scenarios()
        .filter(|(_, s)| s.verdict == Verdict::Fail)
        .map(|(_, s)| s.name.clone())
        .collect();
    (failed, report.scenarios().count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignoring_priority_fails_the_priority_scenarios() {
    let (failed, total) = run_with(
        Faults {
            ignore_priority: true,
            ..Default::default()
        },
        "@S-US-07",
    )
    .await;
    assert!(total >= 3);
    assert!(
        failed
            .iter()
            .any(|n| n.contains("highest-ranked rule decides")),
        "failed: {failed:?}"
    );
    assert!(failed.len() >= 2, "failed: {failed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_instead_of_suspending_fails_the_suspension_scenarios() {
    let (failed, total) = run_with(
        Faults {
            delete_instead_of_suspend: true,
            ..Default::default()
        },
        "@S-US-05 or @S-US-06",
    )
    .await;
    assert!(total >= 5);
    assert!(
        failed
            .iter()
            .any(|n| n.contains("Ann is suspended and her recordings are retained")),
        "failed: {failed:?}"
    );
    assert!(failed.len() >= 4, "failed: {failed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignoring_nesting_fails_the_nesting_scenarios() {
    let (failed, total) = run_with(
        Faults {
            ignore_nesting: true,
            ..Default::default()
        },
        "@S-US-12",
    )
    .await;
    assert!(total >= 2);
    assert!(
        failed
            .iter()
            .any(|n| n.contains("Membership of a nested AD group grants the parent group's rule")),
        "failed: {failed:?}"
    );
}
