//! `simulate --idp okta` (issue 17): Okta's client against the embedded reference and against
//! scripted targets. What it sends is checked by shape (O-UPDATE-01, O-DEACTIVATE-01,
//! O-GROUP-01), how it waits on a 429 against Okta's published rule (O-RATE-01), and what
//! its import refuses to read (O-IMPORT-01).

use scim_harness::client::{Connection, ScimClient};
use scim_harness::provisioning::exchange::RetryPolicy;
use scim_harness::provisioning::okta::import::import;
use scim_harness::provisioning::sim::{
    OktaApp, OktaOptions, SimOptions, SimulationReport, SourceOptions, TenantSource,
};
use scim_harness::provisioning::simulate;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn okta_day(app: OktaApp, faults: bool, seed: u64) -> SimulationReport {
    let opts = SimOptions {
        source: SourceOptions::Okta(OktaOptions {
            app,
            faults: faults.then(scim_harness::provisioning::faulty_target::Faults::ten_percent),
            ..Default::default()
        }),
        tenant: TenantSource::Generate {
            users: 150,
            groups: 8,
        },
        churn: 0.08,
        cycles: 12,
        seed,
        ..Default::default()
    };
    simulate(&opts).await.expect("the simulation runs")
}

fn shapes(r: &SimulationReport) -> Vec<String> {
    r.okta
        .as_ref()
        .expect("Okta's figures")
        .request_shapes
        .keys()
        .cloned()
        .collect()
}

#[tokio::test]
async fn an_oin_app_puts_profiles_patches_activation_and_never_deletes_a_user() {
    let r = okta_day(OktaApp::Oin, false, 7).await;
    assert!(r.converged(), "{:?}", r.convergence.divergences);
    let s = shapes(&r);
    let has = |want: &str| s.iter().any(|x| x == want);
    assert!(has("PUT /Users/{id}"), "profile updates are PUTs: {s:?}");
    assert!(has("GET /Users/{id}"), "each PUT follows a GET: {s:?}");
    assert!(
        has("PATCH /Users/{id} (Replace without a path (active))"),
        "deactivation is the path-less replace: {s:?}"
    );
    assert!(
        has("GET /Users?filter=userName eq \"…\"&startIndex=1&count=100"),
        "the lookup carries startIndex and count: {s:?}"
    );
    assert!(
        s.iter()
            .any(|x| x.starts_with("PATCH /Groups/{id} (Replace without a path (id, displayName)")),
        "every group push renames: {s:?}"
    );
    assert!(
        !s.iter().any(|x| x.starts_with("DELETE /Users")),
        "Okta never deletes a user: {s:?}"
    );
    assert!(
        !s.iter()
            .any(|x| x.starts_with("PATCH /Users/{id} (Replace name")
                || x.starts_with("PATCH /Users/{id} (Add")),
        "an OIN app sends profile changes as PUT, not PATCH: {s:?}"
    );
    let o = r.okta.as_ref().expect("figures");
    for event in [
        "application.provision.user.push",
        "application.provision.user.deactivate",
        "application.provision.group_push.pushed",
        "application.provision.group_push.push_memberships",
    ] {
        assert!(
            o.pushes.get(event).copied().unwrap_or(0) > 0,
            "{event}: {:?}",
            o.pushes
        );
    }
    // Churn is every 40 minutes for 8 hours: an hourly import ran 8 times, clean.
    assert_eq!(o.imports.len(), 8);
    assert!(
        o.imports
            .iter()
            .all(|i| i.problems.is_empty() && i.failed.is_none())
    );
    assert_eq!(o.imports.last().map(|i| i.unmatched), Some(0));
}

#[tokio::test]
async fn a_custom_app_sends_every_change_as_put() {
    let r = okta_day(OktaApp::Custom, false, 7).await;
    assert!(r.converged(), "{:?}", r.convergence.divergences);
    let s = shapes(&r);
    assert!(
        !s.iter().any(|x| x.starts_with("PATCH")),
        "a custom app never PATCHes: {s:?}"
    );
    assert!(s.iter().any(|x| x == "PUT /Groups/{id}"), "{s:?}");
    assert!(
        r.okta.as_ref().expect("figures").pushes["application.provision.user.deactivate"] > 0,
        "deactivations happened, by PUT"
    );
}

#[tokio::test]
async fn failed_pushes_wait_as_tasks_until_the_admin_retries_them() {
    let r = okta_day(OktaApp::Oin, true, 3).await;
    let o = r.okta.as_ref().expect("figures");
    assert!(!r.failure_groups.is_empty(), "10 % faults fail some pushes");
    assert!(o.retries_429 > 0, "a 429 is retried in place");
    assert!(o.task_retry_rounds > 0, "the admin retried the tasks");
    assert_eq!(o.tasks_open, 0);
    assert!(r.converged(), "{:?}", r.convergence.divergences);
    // The failure groups speak Okta's words.
    assert!(
        r.failure_groups.iter().any(|g| g.action.contains("push")),
        "{:?}",
        r.failure_groups
            .iter()
            .map(|g| &g.action)
            .collect::<Vec<_>>()
    );
}

/// Two 429s with `Retry-After: 7`, then an answer: 7 s, then twice that (O-RATE-01).
#[tokio::test]
async fn okta_waits_the_retry_after_then_doubles_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/Users"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/Users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []
        })))
        .mount(&server)
        .await;
    let client = ScimClient::new(&server.uri(), Connection::bearer("t")).expect("client");
    let at = chrono::Utc::now();
    let s = import(
        &client,
        &RetryPolicy::okta(),
        at,
        &HashMap::new(),
        &HashSet::new(),
    )
    .await;
    assert_eq!(s.waited_ms, 21_000, "7 s, then 14 s");
    assert_eq!(s.requests, 3);
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    // Without a usable header: five minutes, then ten.
    let bare = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "soon"))
        .up_to_n_times(2)
        .mount(&bare)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []
        })))
        .mount(&bare)
        .await;
    let client = ScimClient::new(&bare.uri(), Connection::bearer("t")).expect("client");
    let s = import(
        &client,
        &RetryPolicy::okta(),
        at,
        &HashMap::new(),
        &HashSet::new(),
    )
    .await;
    assert_eq!(s.waited_ms, 900_000, "300 s, then 600 s");
}

fn user(id: &str) -> serde_json::Value {
    json!({"id": id, "userName": format!("{id}@x.example"), "active": true})
}

/// Integer fields as strings, and a second page that repeats the first: both break Okta's
/// import, and each is named once (O-IMPORT-01).
#[tokio::test]
async fn an_import_names_strings_for_integers_and_an_unstable_order() {
    let server = MockServer::start().await;
    let first: Vec<_> = (0..100).map(|i| user(&format!("u{i}"))).collect();
    for start in ["1", "101"] {
        Mock::given(method("GET"))
            .and(path("/Users"))
            .and(query_param("startIndex", start))
            .and(query_param("count", "100"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "totalResults": "150", "startIndex": start, "itemsPerPage": 100,
                "Resources": first
            })))
            .mount(&server)
            .await;
    }
    let client = ScimClient::new(&server.uri(), Connection::bearer("t")).expect("client");
    let links = HashMap::from([("okta-1".to_string(), "u1".to_string())]);
    let active = HashSet::from(["u1".to_string(), "gone".to_string()]);
    let s = import(
        &client,
        &RetryPolicy::okta(),
        chrono::Utc::now(),
        &links,
        &active,
    )
    .await;
    let text = s.problems.join("\n");
    assert!(text.contains("totalResults is \"150\""), "{text}");
    assert!(text.contains("startIndex is \"1\""), "{text}");
    assert!(
        text.contains("user u0 is on page 1 and again on page 2"),
        "{text}"
    );
    assert_eq!(s.unmatched, 99, "every active user but the linked one");
    assert_eq!(s.missing, 1, "the pushed user the import did not find");
}

#[tokio::test]
async fn okta_flags_are_refused_with_another_source_and_a_bad_schedule_is_named() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_scim-harness"))
            .args(args)
            .env("CI", "1")
            .output()
            .expect("runs")
    };
    let o = run(&["simulate", "--okta-app", "custom", "--users", "5"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("'--okta-app' cannot be used with '--source entra'")
            && err.contains("okta only"),
        "{err}"
    );
    let o = run(&[
        "simulate", "--idp", "okta", "--pace", "high", "--users", "5",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("'--pace' cannot be used with '--source okta'")
    );
    let o = run(&[
        "simulate",
        "--idp",
        "okta",
        "--import-every",
        "often",
        "--users",
        "5",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("--import-every 'often': use e.g. 1h, 6h, 1d, or never"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&[
        "simulate",
        "--idp",
        "okta",
        "--import-every",
        "never",
        "--users",
        "20",
        "--groups",
        "2",
        "--cycles",
        "2",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("imports: never scheduled"), "{out}");
    assert!(out.contains("application.provision.user.push"), "{out}");
}
