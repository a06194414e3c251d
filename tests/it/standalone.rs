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

/// `serve` in a child process, stopped when dropped.
struct Served {
    child: std::process::Child,
    url: String,
}

impl Served {
    /// Starts `serve --strict` on a free loopback port and reads the URL it prints.
    fn strict(bin: &Path) -> Served {
        use std::io::BufRead;
        let mut child = Command::new(bin)
            .args(["serve", "--strict", "--port", "0"])
            .env_remove("SCIM_HARNESS_TOKEN")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("serve starts");
        let out = child.stdout.take().expect("stdout");
        let line = std::io::BufReader::new(out)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.contains("serving at"))
            .unwrap_or_default();
        let url = line
            .split_whitespace()
            .last()
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "serve printed: {line}"
        );
        Served { child, url }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The documented gate, as a vendor's CI runs it: only the binary and a scim-harness.toml in an
/// empty folder, against a server (`serve --strict`, which refuses Entra's request shapes), the
/// deviation accepted in the file, JUnit written.
#[test]
fn the_gate_runs_from_a_configuration_file_and_honours_an_accepted_deviation() {
    let home = tempfile::tempdir().expect("tmp");
    let bin = home.path().join("scim-harness");
    std::fs::copy(env!("CARGO_BIN_EXE_scim-harness"), &bin).expect("copy the binary");
    let work = home.path().join("vendor-repo");
    std::fs::create_dir(&work).expect("an empty folder");
    let served = Served::strict(&bin);
    let config = |expires: &str| {
        format!(
            "target = \"{}\"\nprofile = \"entra-compat\"\ntags = \"@E-U-03 or @R-DISC\"\nconcurrency = 2\n\n\
             [[accepted]]\nid = \"E-U-03\"\nreason = \"strict RFC 7644: capitalised ops are refused\"\nexpires = {expires}\n",
            served.url
        )
    };
    std::fs::write(work.join("scim-harness.toml"), config("2999-12-31")).expect("write");
    let gate = ["conformance", "--junit", "reports/conformance.xml"];

    let out = run(&bin, &work, &gate);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("accepted E-U-03"), "{said}");
    let junit = std::fs::read_to_string(work.join("reports/conformance.xml")).expect("junit");
    assert!(
        junit.contains("ACCEPTED") && !junit.contains("<failure"),
        "{junit}"
    );

    // A flag wins over the file: --profile rfc leaves the Entra scenarios out.
    let out = run(&bin, &work, &["conformance", "--profile", "rfc"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("unmatched: E-U-03"), "{}", text(&out));

    // Expired: the same failures fail the gate again.
    std::fs::write(work.join("scim-harness.toml"), config("2001-01-01")).expect("write");
    let out = run(&bin, &work, &gate);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("expired on 2001-01-01"),
        "{}",
        text(&out)
    );

    // A misspelt key is an error that names it.
    std::fs::write(
        work.join("scim-harness.toml"),
        "target = \"x\"\ntokn_env = \"T\"\n",
    )
    .expect("write");
    let out = run(&bin, &work, &gate);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("tokn_env"), "{}", text(&out));
}

/// Every command, and every subcommand, says in its --help what its exit codes mean; a command
/// that could not run exits 2, apart from "judged and failed" (1).
#[test]
fn every_command_documents_its_exit_codes() {
    let bin = Path::new(env!("CARGO_BIN_EXE_scim-harness"));
    let dir = tempfile::tempdir().expect("tmp");
    let top = text(&run(bin, dir.path(), &["--help"]));
    let commands: Vec<&str> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() >= 10, "{top}");
    let mut all: Vec<Vec<&str>> = commands.iter().map(|c| vec![*c]).collect();
    all.extend([
        vec!["features", "list"],
        vec!["features", "export"],
        vec!["report", "merge"],
    ]);
    for c in &all {
        let mut args = c.clone();
        args.push("--help");
        let help = text(&run(bin, dir.path(), &args));
        assert!(
            help.contains("\nExit codes:\n  0  "),
            "`{}` does not document its exit codes:\n{help}",
            c.join(" ")
        );
    }
    let missing = run(bin, dir.path(), &["report", "merge", "no-such.hlog"]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
    assert!(
        text(&missing).contains("no-such.hlog"),
        "{}",
        text(&missing)
    );
    let refused = run(
        bin,
        dir.path(),
        &["load", "--scenario", "hello", "--rate", "fast"],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("120000/m"), "{}", text(&refused));
}
