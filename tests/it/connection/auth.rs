//! Credentials other than a bearer token, and extra headers, against the reference behind a
//! gate that demands them.

use super::servers::{Gate, GateAuth, Issuer, gated_reference, token_endpoint};
use super::*;
use scim_harness::reference::config::ReferenceConfig;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_basic_wrong_password_is_explained_and_the_right_one_passes() {
    let password = format!("pw-{MARK}");
    let gate = Arc::new(Gate::new(GateAuth::Basic {
        user: "ann".into(),
        password: password.clone(),
    }));
    let srv = gated_reference(ReferenceConfig::default(), gate.clone()).await;
    let basic = ["--basic-user", "ann", "--basic-password-env", "SCIM_PW"];

    let dir = workdir();
    let wrong_pw = format!("wrong-{MARK}");
    let wrong = conformance(dir.path(), &srv.base_url, &basic, &[("SCIM_PW", &wrong_pw)]).await;
    assert_eq!(wrong.status.code(), Some(2), "{}", text(&wrong));
    let err = text(&wrong);
    assert!(err.contains("answered 401"), "{err}");
    assert!(
        err.contains("HTTP Basic credentials of user 'ann'"),
        "{err}"
    );
    assert!(err.contains("--basic-password-env"), "{err}");
    assert_no_secret(&wrong, dir.path());

    let dir = workdir();
    let right = conformance(dir.path(), &srv.base_url, &basic, &[("SCIM_PW", &password)]).await;
    assert_passed(&right, dir.path(), 3);
    assert_no_secret(&right, dir.path());

    // The password variable must exist; the message names it.
    let dir = workdir();
    let unset = conformance(dir.path(), &srv.base_url, &basic, &[]).await;
    assert_eq!(unset.status.code(), Some(2), "{}", text(&unset));
    assert!(
        text(&unset).contains("SCIM_PW is not set"),
        "{}",
        text(&unset)
    );

    // Two kinds of credentials at once are refused.
    let both = conformance(
        dir.path(),
        &srv.base_url,
        &[&basic[..], &["--token", "t"]].concat(),
        &[("SCIM_PW", &password)],
    )
    .await;
    assert_eq!(both.status.code(), Some(2), "{}", text(&both));
    assert!(
        text(&both).contains("cannot be used together"),
        "{}",
        text(&both)
    );
}

/// The OAuth flags for `issuer` at `url`, its secret in SCIM_OAUTH_SECRET.
fn oauth_args(url: &str) -> Vec<String> {
    [
        "--oauth-token-url",
        url,
        "--oauth-client-id",
        "harness client",
        "--oauth-client-secret-env",
        "SCIM_OAUTH_SECRET",
        "--oauth-scope",
        "scim.read scim.write",
    ]
    .map(str::to_string)
    .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oauth_token_is_shared_and_renewed_before_it_expires() {
    let secret = format!("cs-{MARK}");
    // Tokens live 2 s, so a 4 s run needs several; each carries the mark.
    let issuer = Arc::new(Issuer::new(
        "harness client",
        &secret,
        Duration::from_secs(2),
        MARK,
    ));
    let url = token_endpoint(issuer.clone()).await;
    let gate = Arc::new(Gate::new(GateAuth::OAuth(issuer.clone())));
    let srv = gated_reference(ReferenceConfig::default(), gate.clone()).await;
    let args = oauth_args(&url);
    let mut extra: Vec<&str> = args.iter().map(String::as_str).collect();
    extra.extend(["--duration", "4s"]);

    let dir = workdir();
    let run = load(
        dir.path(),
        &srv.base_url,
        &extra,
        &[("SCIM_OAUTH_SECRET", &secret)],
    )
    .await;
    assert!(run.status.success(), "{}", text(&run));
    let report = load_report(dir.path());
    assert_eq!(report["http_engine"], "lanes", "plain http, no proxy");
    assert_eq!(report["metrics"]["errors"], 0, "{report:#}");
    let stats = gate.stats();
    // Setup and about 80 operations; each with a token that was valid when it arrived.
    assert!(stats.requests > 60, "{stats:?}");
    assert_eq!(
        stats.refused, 0,
        "every request carried a valid token: {stats:?}"
    );
    // Renewed about every second (half of 2 s), not once per request.
    let fetched = issuer.issued();
    eprintln!("4 s run: {fetched} tokens for {} requests", stats.requests);
    assert!(
        (3..=12).contains(&fetched),
        "{fetched} tokens for a 4 s run"
    );
    assert!(
        issuer
            .scopes
            .lock()
            .iter()
            .all(|s| s.as_deref() == Some("scim.read scim.write")),
        "the scope is asked for"
    );
    assert_no_secret(&run, dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_oauth_token_is_fetched_again_once() {
    let secret = format!("cs-{MARK}");
    let mut issuer = Issuer::new("harness client", &secret, Duration::from_secs(3600), MARK);
    // The target revokes each token after 8 uses; only a 401 tells the client.
    issuer.max_uses = Some(8);
    let issuer = Arc::new(issuer);
    let url = token_endpoint(issuer.clone()).await;
    let gate = Arc::new(Gate::new(GateAuth::OAuth(issuer.clone())));
    let srv = gated_reference(ReferenceConfig::default(), gate.clone()).await;
    let args = oauth_args(&url);
    let extra: Vec<&str> = args.iter().map(String::as_str).collect();

    // load: its setup goes through ScimClient, its operations through the lanes; a 401 not
    // answered by a new token would fail the setup or count as an error.
    let dir = workdir();
    let run = load(
        dir.path(),
        &srv.base_url,
        &extra,
        &[("SCIM_OAUTH_SECRET", &secret)],
    )
    .await;
    assert!(run.status.success(), "{}", text(&run));
    let report = load_report(dir.path());
    assert_eq!(report["metrics"]["errors"], 0, "{report:#}");
    let stats = gate.stats();
    assert!(stats.overused >= 3, "tokens were revoked: {stats:?}");
    assert_eq!(stats.refused, stats.overused, "{stats:?}");
    // One new token per revoked one, not one per refused request.
    let issued = issuer.issued();
    eprintln!("revoked after 8 uses: {issued} tokens, {stats:?}");
    assert!(issued >= 4, "new tokens after the 401s: {issued}");
    assert!(
        issued <= stats.overused + 1,
        "{issued} tokens for {stats:?}"
    );
    assert_no_secret(&run, dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_endpoint_refusal_names_its_error() {
    let issuer = Arc::new(Issuer::new(
        "harness client",
        "the-right-secret",
        Duration::from_secs(60),
        MARK,
    ));
    let url = token_endpoint(issuer.clone()).await;
    let gate = Arc::new(Gate::new(GateAuth::OAuth(issuer.clone())));
    let srv = gated_reference(ReferenceConfig::default(), gate).await;
    let args = oauth_args(&url);
    let extra: Vec<&str> = args.iter().map(String::as_str).collect();
    let dir = workdir();
    let wrong = format!("wrong-{MARK}");
    let run = conformance(
        dir.path(),
        &srv.base_url,
        &extra,
        &[("SCIM_OAUTH_SECRET", &wrong)],
    )
    .await;
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    let err = text(&run);
    assert!(err.contains(&url), "names the endpoint: {err}");
    assert!(
        err.contains("HTTP 401") && err.contains("'invalid_client'"),
        "{err}"
    );
    assert!(
        err.contains("client authentication failed"),
        "the description: {err}"
    );
    assert_no_secret(&run, dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extra_headers_reach_the_target_on_every_request() {
    let key = format!("key-{MARK}");
    let mut gate = Gate::new(GateAuth::Open);
    gate.required = vec![
        ("x-api-key".into(), key.clone()),
        ("x-tenant".into(), "acme".into()),
    ];
    let gate = Arc::new(gate);
    let token = format!("tok-{MARK}");
    let srv = gated_reference(
        ReferenceConfig {
            token: Some(token.clone()),
            ..Default::default()
        },
        gate.clone(),
    )
    .await;
    let api_key = format!("X-Api-Key: {key}");
    let headers = ["--header", &api_key, "--header", "X-Tenant: acme"];
    let env = [("SCIM_HARNESS_TOKEN", token.as_str())];

    let dir = workdir();
    let run = conformance(dir.path(), &srv.base_url, &headers, &env).await;
    assert_passed(&run, dir.path(), 3);
    assert_no_secret(&run, dir.path());

    // The load driver's lanes engine builds its own requests: the headers are there too.
    let dir = workdir();
    let run = load(dir.path(), &srv.base_url, &headers, &env).await;
    assert!(run.status.success(), "{}", text(&run));
    let report = load_report(dir.path());
    assert_eq!(report["http_engine"], "lanes");
    assert_eq!(report["metrics"]["errors"], 0, "{report:#}");
    assert_no_secret(&run, dir.path());

    // And the simulated identity provider.
    let dir = workdir();
    let mut args = vec![
        "simulate",
        "--target",
        &srv.base_url,
        "--users",
        "20",
        "--groups",
        "2",
        "--cycles",
        "1",
        "--report",
        "sim",
    ];
    args.extend(headers);
    let sim = harness(dir.path(), &args, &env).await;
    assert!(sim.status.success(), "{}", text(&sim));
    assert_no_secret(&sim, dir.path());

    let stats = gate.stats();
    assert!(stats.requests > 40, "{stats:?}");
    assert_eq!(
        stats.without_headers, 0,
        "every request had both headers: {stats:?}"
    );

    // A malformed header is named without its value.
    let bad = conformance(dir.path(), &srv.base_url, &["--header", MARK], &env).await;
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("--header #1"), "{}", text(&bad));
    assert!(!text(&bad).contains(MARK), "{}", text(&bad));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_echoes_secrets_does_not_get_them_into_the_reports() {
    // Refusals answer 403 (a MUST failure of the suite) with every x-* header in the detail,
    // so the finding and its exchange quote what the server said.
    let key = format!("key-{MARK}");
    let password = format!("pw-{MARK}");
    let mut gate = Gate::new(GateAuth::Basic {
        user: "ann".into(),
        password: password.clone(),
    });
    gate.required = vec![("x-api-key".into(), key.clone())];
    gate.refuse_with = 403;
    let gate = Arc::new(gate);
    let srv = gated_reference(ReferenceConfig::default(), gate.clone()).await;
    let api_key = format!("X-Api-Key: {key}");
    let dir = workdir();
    let run = conformance(
        dir.path(),
        &srv.base_url,
        &[
            "--header",
            &api_key,
            "--basic-user",
            "ann",
            "--basic-password-env",
            "SCIM_PW",
        ],
        &[("SCIM_PW", &password)],
    )
    .await;
    assert_eq!(
        run.status.code(),
        Some(1),
        "the 403s are findings: {}",
        text(&run)
    );
    assert_no_secret(&run, dir.path());
    let html = std::fs::read_to_string(dir.path().join("reports/conformance.html")).expect("html");
    assert!(
        html.contains("[REDACTED]"),
        "the echoed key is shown redacted"
    );
}
