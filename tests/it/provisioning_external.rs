//! `conformance --target URL --features features/provisioning`: the mock provider's scenarios
//! provision the given target (here a separately started reference) instead of a private copy.
//! Scenarios that need injected faults are skipped with that reason; everything the jobs
//! created is deleted afterwards.

use crate::common;
use scim_harness::client::Connection;
use scim_harness::client::ScimClient;
use scim_harness::conformance::{self, ConformanceOptions};
use scim_harness::reference::config::ReferenceConfig;
use scim_harness::report::Verdict;
use std::path::PathBuf;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provisioning_features_run_against_an_external_target() {
    let _serial = common::SUITE.lock().await;
    let token = "external-provisioning-token".to_string();
    let srv = common::reference(ReferenceConfig {
        token: Some(token.clone()),
        ..Default::default()
    })
    .await;
    let opts = ConformanceOptions {
        target: Some(srv.base_url.clone()),
        connection: Connection::bearer(token.clone()),
        features: Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/features/provisioning"
        ))),
        ..Default::default()
    };
    let report = conformance::run(&opts).await.expect("the suite runs");
    let by = |v: Verdict| -> Vec<String> {
        report
            .scenarios()
            .filter(|(_, s)| s.verdict == v)
            .map(|(_, s)| s.name.clone())
            .collect()
    };
    let (passed, failed, skipped) = (by(Verdict::Pass), by(Verdict::Fail), by(Verdict::Skip));
    assert!(failed.is_empty(), "failed: {failed:#?}");
    assert!(passed.len() >= 12, "passed: {passed:#?}");
    // Exactly the fault-injection scenarios are skipped.
    for name in &skipped {
        let s = name.to_lowercase();
        assert!(
            s.contains("quarantin")
                || s.contains("404")
                || s.contains("leave members out")
                || s.contains("capitalised")
                || s.contains("refuse")
                || s.contains("5,000 changes")
                || s.contains("28 days"),
            "unexpected skip: {name}"
        );
    }
    assert!(skipped.len() >= 4, "skipped: {skipped:#?}");
    // Nothing left behind on the shared target.
    let c = ScimClient::new(&srv.base_url, Connection::bearer(token)).expect("client");
    for endpoint in ["Users", "Groups"] {
        let r = c.get(&format!("/{endpoint}")).await.expect("list");
        assert_eq!(
            r.body["totalResults"], 0,
            "{endpoint} left behind: {}",
            r.raw
        );
    }
    srv.stop().await;
}
