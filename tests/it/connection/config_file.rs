//! The same options from scim-harness.toml alone: the file names the variables holding the
//! secrets, the commands run with no connection flags, and no secret reaches the output.

use super::servers::{Gate, GateAuth, Issuer, gated_reference, token_endpoint};
use super::*;
use scim_harness::reference::config::ReferenceConfig;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_and_secret_headers_come_from_the_configuration_file() {
    let password = format!("pw-{MARK}");
    let key = format!("key-{MARK}");
    let mut gate = Gate::new(GateAuth::Basic {
        user: "ann".into(),
        password: password.clone(),
    });
    gate.required = vec![
        ("x-api-key".into(), key.clone()),
        ("x-tenant".into(), "acme".into()),
    ];
    let gate = Arc::new(gate);
    let srv = gated_reference(ReferenceConfig::default(), gate.clone()).await;
    let dir = workdir();
    std::fs::write(
        dir.path().join("scim-harness.toml"),
        format!(
            "target = \"{}\"\nconnect_timeout = \"5s\"\ntimeout = \"20s\"\n\
             headers = {{ \"X-Tenant\" = \"acme\" }}\nheader_env = {{ \"X-Api-Key\" = \"VENDOR_KEY\" }}\n\
             [basic]\nuser = \"ann\"\npassword_env = \"VENDOR_PW\"\n",
            srv.base_url
        ),
    )
    .expect("write the configuration");
    let env = [
        ("VENDOR_PW", password.as_str()),
        ("VENDOR_KEY", key.as_str()),
    ];

    let run = harness(dir.path(), &["conformance", "--features", "features"], &env).await;
    assert_passed(&run, dir.path(), 3);
    assert_no_secret(&run, dir.path());
    assert!(gate.stats().requests > 3, "{:?}", gate.stats());

    let run = harness(
        dir.path(),
        &[
            "load",
            "--scenario",
            "read-mix",
            "--users",
            "5",
            "--groups",
            "1",
            "--rate",
            "20/s",
            "--duration",
            "1s",
            "--report",
            "load",
            "--quiet",
        ],
        &env,
    )
    .await;
    assert!(run.status.success(), "{}", text(&run));
    assert_eq!(load_report(dir.path())["metrics"]["errors"], 0);
    assert_no_secret(&run, dir.path());

    // A variable the file names but the environment lacks is named, with the key.
    let run = harness(
        dir.path(),
        &["conformance", "--features", "features"],
        &env[..1],
    )
    .await;
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    assert!(
        text(&run).contains("header_env.X-Api-Key") && text(&run).contains("VENDOR_KEY"),
        "{}",
        text(&run)
    );

    // Credentials on the command line set the file's aside: a wrong user fails as such.
    let run = harness(
        dir.path(),
        &[
            "conformance",
            "--features",
            "features",
            "--basic-user",
            "bob",
            "--basic-password-env",
            "VENDOR_PW",
        ],
        &env,
    )
    .await;
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    assert!(text(&run).contains("user 'bob'"), "{}", text(&run));
    assert_no_secret(&run, dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_and_a_token_variable_come_from_the_configuration_file() {
    let secret = format!("cs-{MARK}");
    let issuer = Arc::new(Issuer::new(
        "vendor ci",
        &secret,
        Duration::from_secs(60),
        MARK,
    ));
    let url = token_endpoint(issuer.clone()).await;
    let gate = Arc::new(Gate::new(GateAuth::OAuth(issuer.clone())));
    let srv = gated_reference(ReferenceConfig::default(), gate.clone()).await;
    let dir = workdir();
    std::fs::write(
        dir.path().join("ci.toml"),
        format!(
            "target = \"{}\"\n[oauth]\ntoken_url = \"{url}\"\nclient_id = \"vendor ci\"\n\
             client_secret_env = \"VENDOR_SECRET\"\nscope = \"scim\"\n",
            srv.base_url
        ),
    )
    .expect("write the configuration");
    let env = [("VENDOR_SECRET", secret.as_str())];
    let run = harness(
        dir.path(),
        &[
            "conformance",
            "--features",
            "features",
            "--config",
            "ci.toml",
        ],
        &env,
    )
    .await;
    assert_passed(&run, dir.path(), 3);
    assert_no_secret(&run, dir.path());
    assert!(issuer.issued() >= 1);

    // A bearer token through token_env, against the reference's own token.
    let token = format!("tok-{MARK}");
    let srv = gated_reference(
        ReferenceConfig {
            token: Some(token.clone()),
            ..Default::default()
        },
        Arc::new(Gate::new(GateAuth::Open)),
    )
    .await;
    let dir = workdir();
    std::fs::write(
        dir.path().join("scim-harness.toml"),
        format!(
            "target = \"{}\"\ntoken_env = \"VENDOR_TOKEN\"\n",
            srv.base_url
        ),
    )
    .expect("write the configuration");
    let run = harness(
        dir.path(),
        &["conformance", "--features", "features"],
        &[("VENDOR_TOKEN", token.as_str())],
    )
    .await;
    assert_passed(&run, dir.path(), 3);
    assert_no_secret(&run, dir.path());
}
