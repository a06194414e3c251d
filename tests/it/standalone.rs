//! The binary on its own: copied out of the build tree and run from an empty folder with
//! `CARGO_MANIFEST_DIR` unset, as a vendor's CI runs it. The features come from the binary.

use std::path::Path;
use std::process::{Command, Output};

fn run(bin: &Path, dir: &Path, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .current_dir(dir)
        .env_remove("CARGO_MANIFEST_DIR")
        .env_remove("SCIM_HARNESS_TOKEN")
        .output()
        .expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn a_copied_binary_works_from_an_empty_folder() {
    let home = tempfile::tempdir().expect("tmp");
    let bin = home.path().join("scim-harness");
    std::fs::copy(env!("CARGO_BIN_EXE_scim-harness"), &bin).expect("copy the binary");
    let work = home.path().join("work");
    std::fs::create_dir(&work).expect("an empty folder");

    let list = run(&bin, &work, &["features", "list"]);
    assert!(list.status.success(), "{}", text(&list));
    let out = text(&list);
    let last = out.lines().last().unwrap_or_default();
    let total: usize = last
        .split_whitespace()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(total > 150, "every built-in scenario is listed: {last}");
    assert!(out.contains("scim/discovery.feature:"), "{out}");

    let export = run(&bin, &work, &["features", "export", "mine"]);
    assert!(export.status.success(), "{}", text(&export));
    assert!(work.join("mine/scim/discovery.feature").is_file());
    assert!(work.join("mine/STATEMENTS.md").is_file());

    // The suite itself, on the embedded reference, from the built-in features.
    let conf = run(&bin, &work, &["conformance", "--tags", "@R-DISC and @must"]);
    assert_eq!(conf.status.code(), Some(0), "{}", text(&conf));
    assert!(work.join("reports/conformance.xml").is_file());
    let junit = std::fs::read_to_string(work.join("reports/conformance.xml")).expect("junit");
    assert!(junit.contains("Discovery: the service provider"), "{junit}");

    // An edited copy runs with --features: the edit is what runs.
    let edited = work.join("mine/scim/discovery.feature");
    let original = std::fs::read_to_string(&edited).expect("read");
    std::fs::write(
        &edited,
        original.replace(
            "Scenario: The configuration",
            "Scenario: Edited: the configuration",
        ),
    )
    .expect("edit");
    let list = run(
        &bin,
        &work,
        &["features", "list", "--features", "mine", "--level", "must"],
    );
    assert!(
        text(&list).contains("Edited: the configuration"),
        "{}",
        text(&list)
    );
    let again = run(&bin, &work, &["features", "export", "mine"]);
    assert!(!again.status.success(), "an edited file is not overwritten");
    assert!(text(&again).contains("--force"), "{}", text(&again));
}

#[test]
fn the_version_names_the_commit_it_was_built_from() {
    let out = Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .arg("--version")
        .output()
        .expect("the binary runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}");
    assert!(
        text.starts_with(&format!(
            "scim-harness {} (commit ",
            env!("CARGO_PKG_VERSION")
        )),
        "{text}"
    );
    // In a git checkout the commit is HEAD's; elsewhere "unknown".
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match head {
        Some(c) => assert!(text.contains(&format!("(commit {c}")), "{text} vs {c}"),
        None => assert!(text.contains("(commit unknown)"), "{text}"),
    }
}
