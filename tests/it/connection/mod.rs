//! Reaching real servers (issue 14, item 6): the built binary against loopback servers that
//! demand what vendors' staging servers demand (TLS with an internal CA, HTTP Basic, OAuth
//! client credentials, API-key headers, a proxy). Every secret carries [`MARK`], and every
//! run checks that the mark is in none of its output and none of the files it wrote.

mod auth;
mod config_file;
mod proxy;
mod servers;
mod tls;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

/// Part of every secret the tests hand the harness.
pub const MARK: &str = "SECRET-MARK-7f3a";

/// A small suite: the discovery document, a user created and deleted, and the two
/// authentication scenarios (no token, a wrong one).
const FEATURE: &str = r#"@R-ERR @rfc
Feature: Reaching the target
  Background:
    Given a user "ann"

  @must
  Scenario: The configuration says which optional features are supported
    When I read the service provider configuration
    Then the response status is 200

  @must
  Scenario: A request without a token is refused with 401
    Given the target requires a bearer token
    When I list users without a token
    Then the response status is 401

  @must
  Scenario: A request with a wrong token is refused with 401
    Given the target requires a bearer token
    When I list users with a wrong token
    Then the response status is 401
"#;

/// A working folder with the small suite in `features/`.
pub fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::create_dir(dir.path().join("features")).expect("features dir");
    std::fs::write(dir.path().join("features/reach.feature"), FEATURE).expect("feature");
    dir
}

/// Runs the built binary in `dir` with `args` and only the given environment variables of
/// interest (no token, no proxy from the test's own environment), at most 3 minutes.
pub async fn harness(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"));
    cmd.args(args).current_dir(dir).kill_on_drop(true);
    for var in [
        "SCIM_HARNESS_TOKEN",
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
        "CI",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    tokio::time::timeout(Duration::from_secs(180), cmd.output())
        .await
        .expect("the run ends within 3 minutes")
        .expect("the binary runs")
}

/// `conformance` on the small suite with its reports in `dir/reports`.
pub async fn conformance(dir: &Path, target: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec!["conformance", "--target", target, "--features", "features"];
    args.extend_from_slice(extra);
    harness(dir, &args, env).await
}

/// A short `load` run (read-mix, 5 users, 20/s for 1 s unless `extra` gives --duration)
/// with its report in `dir/load`.
pub async fn load(dir: &Path, target: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec![
        "load",
        "--scenario",
        "read-mix",
        "--target",
        target,
        "--users",
        "5",
        "--groups",
        "1",
        "--rate",
        "20",
        "--report",
        "load",
        "--quiet",
    ];
    if !extra.contains(&"--duration") {
        args.extend(["--duration", "1s"]);
    }
    args.extend_from_slice(extra);
    harness(dir, &args, env).await
}

/// The JSON load report of a run in `dir/load`.
pub fn load_report(dir: &Path) -> serde_json::Value {
    let file = std::fs::read_dir(dir.join("load"))
        .expect("the load report folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .expect("a JSON load report");
    serde_json::from_str(&std::fs::read_to_string(file).expect("read")).expect("JSON")
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The mark is in neither the run's output nor any file under `dir`.
pub fn assert_no_secret(o: &Output, dir: &Path) {
    let out = text(o);
    assert!(!out.contains(MARK), "a secret was printed:\n{out}");
    let mut stack = vec![dir.to_path_buf()];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)
            .expect("read dir")
            .filter_map(Result::ok)
        {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files += 1;
                let body = String::from_utf8_lossy(&std::fs::read(&p).expect("read")).to_string();
                assert!(!body.contains(MARK), "a secret is in {}", p.display());
            }
        }
    }
    assert!(files > 0, "the run wrote files to check");
}

/// The conformance run passed: exit 0 and every scenario of the small suite counted.
pub fn assert_passed(o: &Output, dir: &Path, passed: u64) {
    assert_eq!(o.status.code(), Some(0), "{}", text(o));
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("reports/conformance.json")).expect("JSON report"),
    )
    .expect("JSON");
    assert_eq!(json["counts"]["passed"], passed, "{json:#}");
    assert_eq!(json["counts"]["failed"], 0, "{json:#}");
}
