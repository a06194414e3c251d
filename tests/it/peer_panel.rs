//! The suite judged on servers nobody here wrote: each independent server of the panel is
//! installed (pinned) and started on loopback by `scripts/peers/start.sh`, the conformance
//! suite runs against it, and the findings it reports are compared with the list checked in
//! under `tests/peers/NAME.findings`, where each one was confirmed by hand with curl.
//!
//! A finding that appears, disappears or changes level fails the test, so a change to the
//! suite that moves a verdict on somebody else's server must say why (by updating the list).
//! `SCIM_HARNESS_BLESS=1` rewrites the lists from this run, keeping the confirmation notes of
//! findings that stay. `SCIM_HARNESS_SKIP_PEERS=1` skips the test (a machine without Python or
//! Node.js); CI never sets it.

use crate::common;
use scim_harness::client::Connection;
use scim_harness::conformance::{self, ConformanceOptions};
use scim_harness::report::RunReport;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A peer started by the panel script; stopped on drop.
pub(crate) struct Peer {
    pid: u32,
    pub(crate) url: String,
    pub(crate) token: String,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.pid.to_string()).status();
    }
}

pub(crate) fn start(name: &str) -> Peer {
    let out = Command::new(repo().join("scripts/peers/start.sh"))
        .arg(name)
        .output()
        .expect("scripts/peers/start.sh runs");
    assert!(
        out.status.success(),
        "peer {name} did not start: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let mut parts = line.split_whitespace();
    let (Some(pid), Some(url), Some(token)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("unexpected start.sh output: {line}");
    };
    Peer {
        pid: pid.parse().expect("a pid"),
        url: url.to_string(),
        token: token.to_string(),
    }
}

/// `LEVEL | area | key | statement` per finding: what the comparison looks at.
fn finding_lines(report: &RunReport) -> Vec<(String, String)> {
    report
        .findings
        .iter()
        .map(|f| {
            let head = format!(
                "{} | {:?} | {} | {}",
                f.level.as_str(),
                f.area,
                f.key,
                f.statement
            );
            (head, format!("observed: {}", f.observed))
        })
        .collect()
}

/// The checked-in list: finding line -> the comment lines under it.
fn read_expected(path: &Path) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.trim().is_empty() || line.starts_with("##") {
            continue;
        }
        if line.starts_with(' ') || line.starts_with('#') {
            if let Some(c) = &current {
                out.entry(c.clone()).or_default().push(line.to_string());
            }
        } else {
            current = Some(line.to_string());
            out.entry(line.to_string()).or_default();
        }
    }
    out
}

fn write_expected(
    path: &Path,
    name: &str,
    got: &[(String, String)],
    old: &BTreeMap<String, Vec<String>>,
) {
    let mut text = format!(
        "## Findings of `scim-harness conformance` on {name}, one per root cause.\n## Each is LEVEL | area | key | statement, then what the server does, then how it was confirmed by hand.\n\n"
    );
    for (head, observed) in got {
        text.push_str(head);
        text.push('\n');
        // A finding whose key moved but whose statement and observation did not keeps its
        // confirmation (say, a check's expected text was reworded).
        let notes = old.get(head).cloned().unwrap_or_else(|| {
            let statement = head.rsplit(" | ").next().unwrap_or("");
            let shown = format!("  # {observed}");
            old.iter()
                .find(|(h, n)| h.ends_with(&format!(" | {statement}")) && n.first() == Some(&shown))
                .map(|(_, n)| n.clone())
                .unwrap_or_default()
        });
        if notes.is_empty() {
            text.push_str(&format!(
                "  # {observed}\n  # confirmed: (not yet confirmed by hand)\n"
            ));
        } else {
            for n in notes {
                text.push_str(&n);
                text.push('\n');
            }
        }
        text.push('\n');
    }
    std::fs::write(path, text).expect("write the findings list");
}

async fn check_peer(name: &str) {
    check_peer_with(name, "scim", "findings").await;
}

/// The suite in `features/FOLDER` against peer `name`, compared with
/// `tests/peers/NAME.EXTENSION` (`findings` for features/scim, `okta-findings` for the Okta
/// profile).
async fn check_peer_with(name: &str, folder: &str, extension: &str) {
    let _serial = common::SUITE.lock().await;
    if std::env::var_os("SCIM_HARNESS_SKIP_PEERS").is_some() {
        eprintln!("SCIM_HARNESS_SKIP_PEERS is set: peer {name} not run");
        return;
    }
    let peer = start(name);
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("peers");
    let opts = ConformanceOptions {
        target: Some(peer.url.clone()),
        connection: Connection::bearer(peer.token.clone()),
        features: Some(repo().join(format!("features/{folder}"))),
        profile: if folder == "okta" {
            scim_harness::conformance::Profile::Okta
        } else {
            Default::default()
        },
        json: Some(out.join(format!("{name}-{folder}.json"))),
        ..Default::default()
    };
    let report = conformance::run(&opts)
        .await
        .expect("the suite runs against the peer");
    drop(peer);
    let got = finding_lines(&report);
    let path = repo().join(format!("tests/peers/{name}.{extension}"));
    let expected = read_expected(&path);
    if std::env::var_os("SCIM_HARNESS_BLESS").is_some() {
        write_expected(&path, name, &got, &expected);
        return;
    }
    let got_heads: Vec<&String> = got.iter().map(|(h, _)| h).collect();
    let new: Vec<&&String> = got_heads
        .iter()
        .filter(|h| !expected.contains_key(**h))
        .collect();
    let gone: Vec<&String> = expected.keys().filter(|k| !got_heads.contains(k)).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "findings on {name} moved.\nnew (confirm each by hand, then SCIM_HARNESS_BLESS=1):\n{}\ngone:\n{}\n\n{}",
        new.iter()
            .map(|h| format!("  {h}"))
            .collect::<Vec<_>>()
            .join("\n"),
        gone.iter()
            .map(|h| format!("  {h}"))
            .collect::<Vec<_>>()
            .join("\n"),
        conformance::summary(&report)
    );
    assert_eq!(
        report.suite_defects(),
        0,
        "{}",
        conformance::summary(&report)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim2_server_findings_are_the_confirmed_ones() {
    check_peer("scim2-server").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scimmy_findings_are_the_confirmed_ones() {
    check_peer("scimmy").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn django_scim2_findings_are_the_confirmed_ones() {
    check_peer("django-scim2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_profile_findings_on_scim2_server_are_the_confirmed_ones() {
    check_peer_with("scim2-server", "okta", "okta-findings").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_profile_findings_on_scimmy_are_the_confirmed_ones() {
    check_peer_with("scimmy", "okta", "okta-findings").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_profile_findings_on_django_scim2_are_the_confirmed_ones() {
    check_peer_with("django-scim2", "okta", "okta-findings").await;
}
