//! Accepted deviations: a failure the configuration accepts is still run and shown, but does not
//! fail the run; an expired acceptance fails it again; one that no longer matches a failure
//! says so. The deviating target is the reference with the identity-provider compatibility off:
//! it refuses Entra's capitalised PATCH ops, so the Entra-shape scenarios fail for real.

use crate::common;
use chrono::NaiveDate;
use scim_harness::conformance::{self, ConformanceOptions, Profile};
use scim_harness::reference::config::ReferenceConfig;
use scim_harness::report::{Acceptance, AcceptanceStatus, RunReport, Verdict};

/// The feature whose user scenarios the strict reference fails (statement E-U-03).
const USER_SHAPES: &str = "@E-U-03";

async fn run(strict: bool, accepted: Vec<Acceptance>) -> RunReport {
    let _serial = common::SUITE.lock().await;
    let reference = common::reference(ReferenceConfig {
        entra_compat: !strict,
        ..Default::default()
    })
    .await;
    let opts = ConformanceOptions {
        target: Some(reference.base_url.clone()),
        built_in: Some("scim".into()),
        tags: Some(USER_SHAPES.into()),
        profile: Profile::All,
        accepted,
        ..Default::default()
    };
    let report = conformance::run(&opts).await.expect("the suite runs");
    reference.stop().await;
    report
}

fn accept(id: &str, expires: Option<(i32, u32, u32)>) -> Acceptance {
    Acceptance {
        id: id.into(),
        reason: format!("we decided about {id}"),
        expires: expires.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
    }
}

fn verdicts(r: &RunReport) -> Vec<Verdict> {
    r.scenarios().map(|(_, s)| s.verdict).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_accepted_until_a_later_date_does_not_fail_the_run() {
    let plain = run(true, vec![]).await;
    assert!(plain.counts.failed >= 3, "{}", conformance::summary(&plain));
    assert_eq!(conformance::exit_code(&plain), 1);

    let r = run(true, vec![accept("E-U-03", Some((2999, 12, 31)))]).await;
    let text = conformance::summary(&r);
    assert_eq!(r.counts.failed, 0, "{text}");
    assert_eq!(r.counts.accepted, plain.counts.failed, "{text}");
    assert_eq!(conformance::exit_code(&r), 0, "{text}");
    assert_eq!(r.accepted[0].status, AcceptanceStatus::Applied);
    assert_eq!(r.accepted[0].scenarios.len(), plain.counts.failed);
    // Still shown, with its reason, in every report.
    assert!(text.contains("accepted E-U-03 (until 2999-12-31): we decided about E-U-03"));
    let junit = scim_harness::report::junit::render(&r);
    assert!(junit.contains("ACCEPTED") && junit.contains("we decided about E-U-03"));
    assert!(!junit.contains("<failure"), "{junit}");
    let html = scim_harness::report::html::render(&r, &[]);
    assert!(html.contains("accepted: we decided about E-U-03"));
    let json = serde_json::to_value(&r).expect("json");
    assert_eq!(json["accepted"][0]["status"], "applied");
    // The published schema knows every field an accepted run adds.
    let schema = crate::report_schemas::validator("conformance-report");
    crate::report_schemas::assert_valid(&schema, &json, "a report with accepted deviations");
    assert!(
        r.findings.iter().all(|f| f.accepted.is_some()),
        "every finding of those scenarios is accepted with them"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_acceptance_fails_the_run_again() {
    let r = run(true, vec![accept("E-U-03", Some((2001, 1, 1)))]).await;
    assert!(r.counts.failed >= 3);
    assert_eq!(r.counts.accepted, 0);
    assert_eq!(conformance::exit_code(&r), 1);
    assert_eq!(r.accepted[0].status, AcceptanceStatus::Expired);
    assert!(conformance::summary(&r).contains("expired on 2001-01-01"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finding_key_accepts_only_the_scenarios_that_finding_alone_fails() {
    let plain = run(true, vec![]).await;
    let first = plain.findings.first().expect("a finding");
    let key = first.key.clone();
    let r = run(true, vec![accept(&key, None)]).await;
    let text = conformance::summary(&r);
    assert_eq!(r.accepted[0].status, AcceptanceStatus::Applied, "{text}");
    assert_eq!(r.counts.accepted, first.scenarios.len(), "{text}");
    assert_eq!(
        r.counts.failed,
        plain.counts.failed - first.scenarios.len(),
        "the other findings' scenarios still fail: {text}"
    );
    let same = r.findings.iter().find(|f| f.key == key).expect("same key");
    assert!(same.accepted.is_some());
    assert!(same.scenarios.iter().all(|a| a.effect == "accepted"));
    assert!(text.contains(&format!("finding key {key}")), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acceptance_that_is_no_longer_needed_or_matches_nothing_says_so() {
    let name = "A capitalised Replace with the string \"False\" deactivates the user";
    let r = run(
        false,
        vec![
            accept(name, None),
            accept("Scenario nobody wrote", None),
            accept("0123456789ab", None),
        ],
    )
    .await;
    let text = conformance::summary(&r);
    assert!(verdicts(&r).iter().all(|v| *v == Verdict::Pass), "{text}");
    assert_eq!(r.accepted[0].status, AcceptanceStatus::NoLongerNeeded);
    assert_eq!(r.accepted[1].status, AcceptanceStatus::Unmatched);
    assert_eq!(r.accepted[2].status, AcceptanceStatus::NoLongerNeeded);
    assert!(text.contains("no longer needed"), "{text}");
    assert!(text.contains("unmatched: Scenario nobody wrote"), "{text}");
    let schema = crate::report_schemas::validator("conformance-report");
    let json = serde_json::to_value(&r).expect("json");
    crate::report_schemas::assert_valid(&schema, &json, "a report with unneeded acceptances");
    assert_eq!(conformance::exit_code(&r), 0);
}
