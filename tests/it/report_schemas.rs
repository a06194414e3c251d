//! The published report formats, `schemas/*.schema.json` (JSON Schema draft 2020-12), against
//! real reports: each test runs the built binary the way a user does, small and quick (against
//! the embedded reference, or the reference started here in its strict mode so that the report
//! has findings), and validates what it wrote. Renaming a field in a report, or in a schema,
//! fails here: every field is required or listed, and the fixed shapes allow nothing else.

use crate::common;
use jsonschema::Validator;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn schema_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(format!("{name}.schema.json"))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The schema, checked against the draft 2020-12 meta-schema, with `format` (date-time)
/// asserted rather than only annotated.
pub(crate) fn validator(name: &str) -> Validator {
    let schema = read_json(&schema_file(name));
    if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
        panic!("{name}: not a valid draft 2020-12 schema: {e}");
    }
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn errors(v: &Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

pub(crate) fn assert_valid(v: &Validator, instance: &Value, what: &str) {
    let errs = errors(v, instance);
    assert!(
        errs.is_empty(),
        "{what} does not match its schema:\n{errs:#?}"
    );
}

/// Renames `field` of the object at `pointer` (`""` is the top) and checks the schema refuses
/// the result, naming the field that went missing.
fn assert_rename_refused(v: &Validator, instance: &Value, pointer: &str, field: &str) {
    let mut renamed = instance.clone();
    let object = renamed
        .pointer_mut(pointer)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object at {pointer:?}"));
    let value = object
        .remove(field)
        .unwrap_or_else(|| panic!("no field {field:?} at {pointer:?}"));
    object.insert(format!("{field}_renamed"), value);
    let errs = errors(v, &renamed);
    assert!(
        errs.iter().any(|e| e.contains(&format!("\"{field}\""))),
        "renaming {pointer}/{field} went unnoticed: {errs:#?}"
    );
}

/// Runs the built binary in `dir` (CI set: no progress lines; no token from the environment).
async fn scim_harness(dir: &Path, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(args)
        .current_dir(dir)
        .env("CI", "1")
        .env_remove("SCIM_HARNESS_TOKEN")
        .kill_on_drop(true)
        .output()
        .await
        .expect("the binary runs")
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Where the first failed check of the report is: `/features/F/scenarios/S/steps/T`.
fn first_step_with_checks(report: &Value) -> Option<String> {
    let features = report["features"].as_array()?;
    for (f, feature) in features.iter().enumerate() {
        for (s, scenario) in feature["scenarios"].as_array()?.iter().enumerate() {
            for (t, step) in scenario["steps"].as_array()?.iter().enumerate() {
                if step.get("checks").is_some() {
                    return Some(format!("/features/{f}/scenarios/{s}/steps/{t}"));
                }
            }
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conformance_report_with_findings_matches_its_schema() {
    // The strict reference refuses the identity provider's request shapes: the entra-compat
    // profile fails there, so the report has findings, failed checks and passes.
    let (srv, _client) = common::strict().await;
    let dir = tempfile::tempdir().expect("tmp");
    let out = scim_harness(
        dir.path(),
        &[
            "conformance",
            "--target",
            &srv.base_url,
            "--token",
            "t",
            "--profile",
            "entra-compat",
            "--json",
            "c.json",
            "--junit",
            "c.xml",
            "--html",
            "c.html",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = read_json(&dir.path().join("c.json"));
    assert!(
        report["findings"].as_array().is_some_and(|f| !f.is_empty()),
        "the run was meant to find problems: {}",
        text(&out)
    );
    assert!(report["counts"]["passed"].as_u64().unwrap_or(0) > 0);
    let step = first_step_with_checks(&report).expect("a failed check is recorded");

    let v = validator("conformance-report");
    assert_valid(&v, &report, "reports/conformance.json");
    assert_rename_refused(&v, &report, "", "counts");
    assert_rename_refused(&v, &report, "/counts", "not_offered");
    assert_rename_refused(&v, &report, "/findings/0", "observed");
    assert_rename_refused(&v, &report, "/findings/0/scenarios/0", "effect");
    assert_rename_refused(&v, &report, "/features/0/scenarios/0", "verdict");
    assert_rename_refused(&v, &report, &step, "setup");
    assert_rename_refused(&v, &report, &format!("{step}/checks/0"), "statement");

    // A value outside the published words is refused too.
    let mut bad = report.clone();
    bad["features"][0]["scenarios"][0]["verdict"] = "passed".into();
    assert!(
        !v.is_valid(&bad),
        "verdict \"passed\" is not one of the verdicts"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_report_and_its_merge_match_their_schemas() {
    let dir = tempfile::tempdir().expect("tmp");
    let load = scim_harness(
        dir.path(),
        &[
            "load",
            "--scenario",
            "provider-cycle",
            "--rate",
            "50",
            "--duration",
            "1s",
            "--users",
            "20",
            "--groups",
            "2",
            "--report",
            "load",
            "--hdr-log",
            "load.hlog",
            "--quiet",
        ],
    )
    .await;
    assert!(load.status.success(), "{}", text(&load));
    let report = read_json(&dir.path().join("load/load-provider-cycle.json"));
    assert!(report["metrics"]["completed"].as_u64().unwrap_or(0) > 0);
    let v = validator("load-report");
    assert_valid(&v, &report, "load-provider-cycle.json");
    assert_rename_refused(&v, &report, "", "entitlements_per_minute");
    assert_rename_refused(&v, &report, "/drive", "not_sent");
    assert_rename_refused(&v, &report, "/metrics", "errors_by_cause");
    assert_rename_refused(&v, &report, "/metrics/kinds/0", "corrected");
    assert_rename_refused(&v, &report, "/metrics/kinds/0/raw", "p99_us");
    assert_rename_refused(&v, &report, "/metrics/seconds/0", "p50_us");

    let merge = scim_harness(
        dir.path(),
        &["report", "merge", "load.hlog", "--json", "merged.json"],
    )
    .await;
    assert!(merge.status.success(), "{}", text(&merge));
    let merged = read_json(&dir.path().join("merged.json"));
    let v = validator("merge-report");
    assert_valid(&v, &merged, "report merge --json");
    assert_rename_refused(&v, &merged, "", "seconds");
    assert_rename_refused(&v, &merged, "/tags/0", "percentiles");
    assert_rename_refused(&v, &merged, "/tags/0/percentiles", "p999_us");
    assert_rename_refused(&v, &merged, "/seconds/0", "p99_us");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulation_reports_of_every_source_match_their_schema() {
    let dir = tempfile::tempdir().expect("tmp");
    let v = validator("simulation-report");
    for (source, cycles) in [("entra", "2"), ("adc", "1"), ("okta", "3")] {
        let out = scim_harness(
            dir.path(),
            &[
                "simulate", "--source", source, "--users", "30", "--groups", "3", "--churn", "0.1",
                "--cycles", cycles, "--report", source,
            ],
        )
        .await;
        assert!(out.status.success(), "{source}: {}", text(&out));
        let report = read_json(&dir.path().join(source).join("simulation.json"));
        assert_valid(&v, &report, &format!("{source}/simulation.json"));
        assert_rename_refused(&v, &report, "", "final_state");
        assert_rename_refused(&v, &report, "/convergence", "divergence_count");
        assert_rename_refused(&v, &report, "/cycles/0", "member_patches");
        assert_rename_refused(&v, &report, "/churn/0", "department_moves");
        match source {
            "entra" => {
                assert_rename_refused(&v, &report, "/initial", "published_max_minutes");
                assert_rename_refused(&v, &report, "/sync_status", "lastExecution");
            }
            "okta" => {
                assert_rename_refused(&v, &report, "/okta", "push_latency_p50_ms");
                assert_rename_refused(&v, &report, "/okta/imports/0", "unmatched");
            }
            _ => assert_rename_refused(&v, &report, "/usersync", "entitlements_per_minute"),
        }
    }
}

/// Every line of `provisioning-logs.jsonl` is a Graph `provisioningObjectSummary`: a run with
/// injected faults, so failures (with the target's answer) are among the records, and the
/// failure groups of `simulation.json` point at failed records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioning_log_records_match_graphs_shape() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = scim_harness(
        dir.path(),
        &[
            "simulate", "--users", "60", "--groups", "4", "--churn", "0.1", "--cycles", "2",
            "--faults", "--seed", "3", "--report", "r",
        ],
    )
    .await;
    assert!(out.status.code().is_some_and(|c| c <= 1), "{}", text(&out));
    let v = validator("provisioning-object-summary");
    let jsonl = std::fs::read_to_string(dir.path().join("r/provisioning-logs.jsonl"))
        .expect("provisioning-logs.jsonl");
    let records: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let report = read_json(&dir.path().join("r/simulation.json"));
    assert_eq!(
        records.len() as u64,
        report["log_records"].as_u64().unwrap_or(0),
        "one line per log record"
    );
    for (i, r) in records.iter().enumerate() {
        assert_valid(&v, r, &format!("provisioning-logs.jsonl line {i}"));
    }
    let failed: Vec<&Value> = records
        .iter()
        .filter(|r| r["provisioningStatusInfo"]["status"] == "failure")
        .collect();
    assert!(!failed.is_empty(), "10 % faults produce failures");
    for r in &failed {
        let details = r["provisioningStatusInfo"]["errorInformation"]["additionalDetails"]
            .as_str()
            .unwrap_or_default();
        assert!(
            details.starts_with("GET ")
                || details.starts_with("POST ")
                || details.starts_with("PATCH "),
            "a failure names its request: {details}"
        );
    }
    let groups = report["failure_groups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        groups
            .iter()
            .map(|g| g["count"].as_u64().unwrap_or(0))
            .sum::<u64>(),
        failed.len() as u64,
        "every failed record is in one group"
    );
    for g in &groups {
        for n in g["records"].as_array().into_iter().flatten() {
            let line = &records[n.as_u64().unwrap_or(0) as usize];
            assert_eq!(line["provisioningStatusInfo"]["status"], "failure");
        }
    }
    assert_rename_refused(&v, &records[0], "", "cycleId");
    assert_rename_refused(
        &v,
        failed[0],
        "/provisioningStatusInfo/errorInformation",
        "recommendedAction",
    );
}

/// Every line of an Okta simulation's `provisioning-logs.jsonl` is an Okta System Log
/// `LogEvent`; with faults, failures are among them, each naming its request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oktas_log_events_match_the_system_logs_shape() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = scim_harness(
        dir.path(),
        &[
            "simulate", "--idp", "okta", "--users", "60", "--groups", "4", "--churn", "0.1",
            "--cycles", "3", "--faults", "--seed", "3", "--report", "r",
        ],
    )
    .await;
    assert!(out.status.code().is_some_and(|c| c <= 1), "{}", text(&out));
    let v = validator("okta-log-event");
    let jsonl = std::fs::read_to_string(dir.path().join("r/provisioning-logs.jsonl"))
        .expect("provisioning-logs.jsonl");
    let events: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let report = read_json(&dir.path().join("r/simulation.json"));
    let imports = report["okta"]["imports"].as_array().map_or(0, Vec::len);
    assert_eq!(
        events.len() as u64,
        report["log_records"].as_u64().unwrap_or(0) + 2 * imports as u64,
        "one line per record, then a start and an end per import"
    );
    for (i, e) in events.iter().enumerate() {
        assert_valid(&v, e, &format!("provisioning-logs.jsonl line {i}"));
    }
    let failed: Vec<&Value> = events
        .iter()
        .filter(|e| {
            e["outcome"]["result"] == "FAILURE" && e["eventType"] != "system.import.complete"
        })
        .collect();
    assert!(!failed.is_empty(), "10 % faults fail some pushes");
    for e in &failed {
        assert_eq!(e["severity"], "ERROR");
        let request = e["debugContext"]["debugData"]["request"]
            .as_str()
            .unwrap_or_default();
        assert!(
            ["GET ", "POST ", "PUT ", "PATCH ", "DELETE "]
                .iter()
                .any(|m| request.starts_with(m)),
            "a failure names its request: {e}"
        );
    }
    let mut bad = events[0].clone();
    bad["eventType"] = serde_json::json!("app.user_management.push_new_user");
    assert!(
        !errors(&v, &bad).is_empty(),
        "an event type outside Okta's catalog is refused"
    );
}

/// Every object the schemas describe names its required fields among its properties, so a
/// typo in a schema cannot pass as an optional field.
#[test]
fn every_required_field_of_the_schemas_is_a_described_property() {
    fn walk(name: &str, at: &str, node: &Value) {
        match node {
            Value::Object(map) => {
                // A conditional's `required` (if/then/else) refers to its parent's properties.
                let props = map.get("properties").and_then(Value::as_object);
                if let (Some(required), Some(props)) =
                    (map.get("required").and_then(Value::as_array), props)
                {
                    for r in required {
                        let r = r.as_str().unwrap_or_default();
                        assert!(
                            props.contains_key(r),
                            "{name}: {at} requires {r:?} but does not describe it"
                        );
                    }
                }
                for (k, v) in map {
                    walk(name, &format!("{at}/{k}"), v);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(name, &format!("{at}/{i}"), v);
                }
            }
            _ => {}
        }
    }
    for name in [
        "conformance-report",
        "load-report",
        "merge-report",
        "provisioning-object-summary",
        "okta-log-event",
        "simulation-report",
    ] {
        let _ = validator(name);
        walk(name, "", &read_json(&schema_file(name)));
    }
}
