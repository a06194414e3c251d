//! Proves the suite can fail: it runs against deliberately broken SCIM servers and checks that
//! exactly the scenarios about the broken behaviour fail, while the rest still pass.
//!
//! The broken server is a small axum proxy in front of the embedded reference that injects
//! one fault: ignoring `startIndex`, answering a duplicate userName with 201, sending an
//! error's `status` as a JSON number, refusing every user create, or failing now and then in
//! transit. Everything else is forwarded untouched, so any other failure would be a false
//! failure of the suite.

use crate::common;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use scim_harness::client::Connection;
use scim_harness::conformance::{self, ConformanceError, ConformanceOptions, embedded_limits};
use scim_harness::reference::config::ReferenceConfig;
use scim_harness::report::{RunReport, Verdict};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    None,
    IgnoreStartIndex,
    DuplicateUserNameCreated,
    NumericErrorStatus,
    /// Every POST /Users answers 400: the suite's setup cannot make users.
    RefuseUserCreates,
    /// One request in seven answers 503 without reaching the reference (the same request
    /// sent again goes through).
    Intermittent503,
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    fault: Fault,
    requests: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// Requests (method and URI) already failed once: a transient fault does not repeat.
    failed_once: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
}

async fn forward(
    State(p): State<Proxy>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let n = p
        .requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if p.fault == Fault::Intermittent503 && n % 7 == 3 {
        let first_time = p
            .failed_once
            .lock()
            .is_ok_and(|mut seen| seen.insert(format!("{method} {uri}")));
        if first_time {
            return (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response();
        }
    }
    if p.fault == Fault::RefuseUserCreates && method == Method::POST && uri.path() == "/Users" {
        let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidValue","detail":"users are not accepted here"}"#;
        return (
            StatusCode::BAD_REQUEST,
            [("content-type", "application/scim+json")],
            body,
        )
            .into_response();
    }
    let mut path_q = uri
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_default();
    if p.fault == Fault::IgnoreStartIndex {
        let (path, query) = path_q.split_once('?').unwrap_or((&path_q, ""));
        let kept: Vec<&str> = query
            .split('&')
            .filter(|kv| !kv.to_ascii_lowercase().starts_with("startindex="))
            .collect();
        path_q = format!("{path}?{}", kept.join("&"));
    }
    let mut req = p
        .http
        .request(method.clone(), format!("{}{path_q}", p.upstream));
    for (k, v) in &headers {
        if k != "host" && k != "content-length" {
            req = req.header(k, v);
        }
    }
    let resp = match req.body(body).send().await {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let mut status = resp.status().as_u16();
    let mut out_headers = HeaderMap::new();
    for (k, v) in resp.headers() {
        if k != "content-length" && k != "transfer-encoding" {
            out_headers.insert(k.clone(), v.clone());
        }
    }
    let mut text = resp.text().await.unwrap_or_default();
    if p.fault == Fault::DuplicateUserNameCreated
        && method == Method::POST
        && uri.path() == "/Users"
        && status == 409
    {
        status = 201;
    }
    if p.fault == Fault::NumericErrorStatus && status >= 400 {
        text = text.replace(
            &format!("\"status\":\"{status}\""),
            &format!("\"status\":{status}"),
        );
    }
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    (code, out_headers, text).into_response()
}

/// Runs the whole suite through a proxy with `fault` in front of a fresh reference.
async fn run_with(fault: Fault) -> RunReport {
    let _serial = common::SUITE.lock().await;
    let token = "fault-test-token".to_string();
    let reference = common::reference(ReferenceConfig {
        token: Some(token.clone()),
        limits: embedded_limits(),
        ..Default::default()
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let proxy = Proxy {
        upstream: reference.base_url.clone(),
        // No pooled connections: the reference closes a connection after refusing a body it did
        // not read (413, 415), and reusing such a connection races with that close (502 here).
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("a client"),
        fault,
        requests: Default::default(),
        failed_once: Default::default(),
    };
    // Faithful for big bodies too: axum's own 2 MB extractor limit would answer the suite's
    // 20 MB write-first request itself (and close under it) before the reference saw it.
    let app = Router::new()
        .fallback(forward)
        .layer(axum::extract::DefaultBodyLimit::max(64 << 20))
        .with_state(proxy);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let opts = ConformanceOptions {
        target: Some(format!("http://{addr}")),
        connection: Connection::bearer(token),
        features: Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/features/scim"
        ))),
        tags: Some("not @wip-bug".into()),
        ..Default::default()
    };
    let report = conformance::run(&opts).await.expect("the suite runs");
    server.abort();
    reference.stop().await;
    report
}

fn failed(report: &RunReport) -> Vec<(String, String)> {
    report
        .scenarios()
        .filter(|(_, s)| matches!(s.verdict, Verdict::Fail | Verdict::Warn))
        .map(|(f, s)| (f.path.clone().unwrap_or_default(), s.name.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_faithful_proxy_passes_everything() {
    let report = run_with(Fault::None).await;
    assert_eq!(failed(&report), vec![], "{}", conformance::summary(&report));
    assert_eq!(conformance::exit_code(&report), 0);
    assert!(report.counts.passed > 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignoring_start_index_fails_the_paging_scenarios() {
    let report = run_with(Fault::IgnoreStartIndex).await;
    let failed = failed(&report);
    assert!(
        failed
            .iter()
            .any(|(_, n)| n == "Paging 3 at a time returns every user exactly once"),
        "{failed:?}"
    );
    assert!(
        failed
            .iter()
            .all(|(f, _)| f.ends_with("pagination.feature")),
        "only paging scenarios may fail: {failed:?}\n{}",
        conformance::summary(&report)
    );
    assert_eq!(conformance::exit_code(&report), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepting_a_duplicate_user_name_fails_the_uniqueness_scenarios() {
    let report = run_with(Fault::DuplicateUserNameCreated).await;
    let failed = failed(&report);
    assert!(
        failed
            .iter()
            .any(|(_, n)| n == "A second user with the same userName is refused as not unique"),
        "{failed:?}"
    );
    assert!(
        failed
            .iter()
            .all(|(_, n)| n.contains("userName") || n.contains("duplicate")),
        "only uniqueness scenarios may fail: {failed:?}"
    );
    assert_eq!(conformance::exit_code(&report), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_numeric_error_status_fails_the_error_body_scenarios() {
    let report = run_with(Fault::NumericErrorStatus).await;
    let failed = failed(&report);
    let text = conformance::summary(&report);
    assert!(failed.len() > 5, "{text}");
    assert!(
        text.contains("an error body's \"status\" is the HTTP status code as a JSON string"),
        "{text}"
    );
    assert_eq!(conformance::exit_code(&report), 1);
}

/// A server that refuses the suite's users blocks the scenarios that need one: they are
/// listed under one MUST finding (the create), never reported as failures of what they test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_setup_blocks_scenarios_under_one_finding() {
    let report = run_with(Fault::RefuseUserCreates).await;
    let text = conformance::summary(&report);
    assert!(report.counts.blocked > 50, "{text}");
    let top = report.findings.first().expect("a finding");
    assert!(
        top.statement.contains("answers 201 Created") && top.blocked > 50,
        "the create refusal leads: {text}"
    );
    assert!(
        top.observed.contains("users are not accepted here"),
        "the finding carries the server's own words: {}",
        top.observed
    );
    let junit = scim_harness::report::junit::render(&report);
    assert!(
        junit.contains("<error message=\"blocked: [F1]"),
        "blocked is a JUnit error"
    );
    assert_eq!(conformance::exit_code(&report), 1);
}

/// Transient 503s are sent again once: the run still passes, and the scenarios whose
/// requests needed the second try are marked flaky rather than failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_errors_are_retried_once_and_marked_flaky() {
    let report = run_with(Fault::Intermittent503).await;
    let text = conformance::summary(&report);
    assert!(report.counts.flaky > 5, "{text}");
    assert_eq!(report.counts.failed, 0, "{text}");
    assert_eq!(conformance::exit_code(&report), 0, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_target_is_a_one_line_configuration_error() {
    let opts = ConformanceOptions {
        target: Some("http://127.0.0.1:9/scim".into()),
        ..Default::default()
    };
    let _serial = common::SUITE.lock().await;
    match conformance::run(&opts).await {
        Err(ConformanceError::Target(reason)) => {
            assert!(!reason.contains('\n'), "{reason}");
            assert!(reason.contains("127.0.0.1:9"), "{reason}");
        }
        other => panic!("expected a target error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_is_a_configuration_error() {
    let reference = common::reference(ReferenceConfig {
        token: Some("right".into()),
        ..Default::default()
    })
    .await;
    let opts = ConformanceOptions {
        target: Some(reference.base_url.clone()),
        connection: Connection::bearer("wrong"),
        ..Default::default()
    };
    let _serial = common::SUITE.lock().await;
    let err = conformance::run(&opts).await.expect_err("must refuse");
    assert!(err.to_string().contains("401"), "{err}");
    assert!(
        !err.to_string().contains("wrong"),
        "the token leaked: {err}"
    );
    reference.stop().await;
}
