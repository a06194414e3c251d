//! Every scenario runs cleanly against the embedded reference, in-process and from the CLI.

use scim_harness::client::Connection;
use scim_harness::load::http::HttpEngine;
use scim_harness::load::scenarios::ScenarioName;
use scim_harness::load::{LoadOptions, run};
use std::time::Duration;

async fn short_run(scenario: ScenarioName, engine: HttpEngine) -> scim_harness::load::LoadReport {
    let mut opts = LoadOptions::new(scenario, 100.0, Duration::from_secs(1));
    opts.sizes.users = 40;
    opts.sizes.groups = 3;
    opts.connections = 8;
    opts.http = engine;
    run(&opts).await.expect("load run")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_without_errors_against_the_reference() {
    for (scenario, engine) in [
        (ScenarioName::EntitlementsApi, HttpEngine::Auto),
        (ScenarioName::EntitlementsE2e, HttpEngine::Auto),
        (ScenarioName::ProviderCycle, HttpEngine::Auto),
        (ScenarioName::ReadMix, HttpEngine::Reqwest),
        (ScenarioName::OktaPush, HttpEngine::Auto),
    ] {
        let r = short_run(scenario, engine).await;
        let m = &r.metrics;
        assert_eq!(r.drive.scheduled, 100, "{scenario:?}");
        assert_eq!(m.completed, 100, "{scenario:?}");
        assert_eq!(m.errors, 0, "{scenario:?}: {:?}", m.errors_by_cause);
        let counted: u64 = m.kinds.iter().map(|k| k.corrected.count).sum();
        assert!(
            counted >= 100,
            "{scenario:?}: every operation has a latency"
        );
        match scenario {
            ScenarioName::EntitlementsApi | ScenarioName::EntitlementsE2e => {
                assert_eq!(m.entitlements, 100, "{scenario:?}");
                assert!(r.entitlements_per_minute > 1000.0, "{scenario:?}");
            }
            _ => assert_eq!(m.entitlements, 0, "{scenario:?}"),
        }
        if scenario == ScenarioName::EntitlementsE2e {
            // The reference serves the User Sync admin API, so the scenario drives rules.
            assert!(
                r.notes.iter().any(|n| n.contains("applied-sequence wait")),
                "{:?}",
                r.notes
            );
            assert!(
                r.notes
                    .iter()
                    .any(|n| n.contains("moves users between directory groups")),
                "{:?}",
                r.notes
            );
            // change -> visible includes the PATCH, so it cannot be faster than it.
            assert!(m.kinds[0].corrected.p50_us >= m.kinds[1].corrected.p50_us);
        }
        if scenario == ScenarioName::ProviderCycle {
            for kind in ["user.create", "group.members", "user.update", "user.active"] {
                let k = m.kinds.iter().find(|k| k.name == kind).expect("kind");
                assert!(k.corrected.count > 0, "{kind} ran");
            }
            assert!(m.statuses.contains_key(&201), "users were created");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_prints_a_summary_and_writes_the_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(["load", "--scenario", "entitlements-e2e", "--ramp", "20:200"])
        .args(["--duration", "1500ms", "--users", "30", "--report"])
        .arg(dir.path())
        .arg("--hdr-log")
        .arg(dir.path().join("e2e.hlog"))
        .env("CI", "1")
        .output()
        .await
        .expect("run the CLI");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Summary: entitlements-e2e"), "{stdout}");
    assert!(stdout.contains("entitlement.visible"), "{stdout}");
    assert!(stdout.contains("per minute"), "{stdout}");
    assert!(stdout.contains("ramp 20/s -> 200/s"), "{stdout}");
    for f in [
        "load-entitlements-e2e.json",
        "load-entitlements-e2e.html",
        "load-entitlements-e2e-latency.svg",
        "load-entitlements-e2e-throughput.svg",
        "load-entitlements-e2e-p99.svg",
        "e2e.hlog",
    ] {
        let p = dir.path().join(f);
        assert!(p.exists(), "{f}");
    }
    let svg =
        std::fs::read_to_string(dir.path().join("load-entitlements-e2e-latency.svg")).expect("svg");
    assert!(svg.starts_with("<svg") && svg.contains("entitlement.visible"));
    let html =
        std::fs::read_to_string(dir.path().join("load-entitlements-e2e.html")).expect("html");
    assert!(html.contains("entitlements per minute") && html.contains("intended send time"));
}

/// Rule mode really goes through User Sync: after the run every load user holds exactly the
/// products of the one group it is in now, granted by the engine, not written by the driver.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_moves_users_between_ruled_groups_and_user_sync_grants_the_products() {
    let (reference, c) = crate::common::start().await;
    let mut opts = LoadOptions::new(ScenarioName::EntitlementsE2e, 100.0, Duration::from_secs(1));
    opts.target = Some(reference.base_url.clone());
    opts.connection = Connection::bearer("t");
    opts.sizes.users = 30;
    opts.sizes.groups = 3;
    opts.sizes.entitlements_per_op = 4;
    opts.connections = 4;
    let r = run(&opts).await.expect("load run");
    assert_eq!(r.metrics.errors, 0, "{:?}", r.metrics.errors_by_cause);
    assert_eq!(r.metrics.entitlements, 400);
    let users = c
        .get("/Users?filter=userName%20sw%20%22load-%22&count=100&attributes=entitlements,groups")
        .await
        .expect("list");
    let list = users.body["Resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(list.len(), 30);
    for u in &list {
        let groups = u["groups"].as_array().cloned().unwrap_or_default();
        assert_eq!(groups.len(), 1, "each user is in exactly one group: {u}");
        let ents: Vec<String> = u["entitlements"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e["value"].as_str().map(str::to_string))
            .collect();
        assert_eq!(ents.len(), 4, "the 4 products of its group: {u}");
        let group_name = groups[0]["display"].as_str().unwrap_or_default();
        let g = group_name.rsplit("-g").next().unwrap_or_default();
        assert!(
            ents.iter().all(|e| e.contains(&format!("-g{g}-p"))),
            "products of group {group_name}: {ents:?}"
        );
    }
    reference.stop().await;
}
