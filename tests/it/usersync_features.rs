//! Runs `features/usersync` (BEHAVIOUR S-US-01..13) against the embedded reference: every
//! scenario must pass, none may be skipped (the reference serves the admin API).

use crate::common;
use scim_harness::conformance::{self, ConformanceOptions};
use scim_harness::report::Verdict;
use std::path::PathBuf;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_user_sync_scenario_passes_against_the_reference() {
    let _serial = common::SUITE.lock().await;
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("usersync");
    let opts = ConformanceOptions {
        features: Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/features/usersync"
        ))),
        junit: Some(out.join("usersync.xml")),
        html: Some(out.join("usersync.html")),
        echo: true,
        ..Default::default()
    };
    let report = conformance::run(&opts).await.expect("the suite runs");
    print!("{}", conformance::summary(&report));
    let not_passed: Vec<String> = report
        .scenarios()
        .filter(|(_, s)| s.verdict != Verdict::Pass)
        .map(|(f, s)| format!("{}: {} ({})", f.name, s.name, s.verdict.as_str()))
        .collect();
    assert!(not_passed.is_empty(), "not passed: {not_passed:#?}");
    assert_eq!(conformance::exit_code(&report), 0);
    // Every S-US id is covered by at least one passing scenario.
    for n in 1..=13 {
        let id = format!("S-US-{n:02}");
        let covered = report.scenarios().any(|(f, s)| {
            s.verdict == Verdict::Pass && f.tags.iter().chain(&s.tags).any(|t| *t == id)
        });
        assert!(covered, "{id} has no passing scenario");
    }
}
