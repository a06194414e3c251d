//! Shared setup of the integration tests: start the reference on a loopback port (with a token
//! and a client, or with a configuration as given), the schema URNs, the one check every SCIM
//! error response must pass, and the lock held while a Cucumber suite runs.
#![allow(dead_code, clippy::unwrap_used)]

use scim_harness::client::Connection;
use scim_harness::client::{ScimClient, ScimResponse};
use scim_harness::reference::config::ReferenceConfig;
use scim_harness::reference::server::RunningReference;
use serde_json::{Value, json};

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const USERSYNC: &str = "urn:scim-harness:params:scim:schemas:extension:usersync:1.0:User";
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const SPC: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

/// Held by every test while it runs a Cucumber suite (`conformance::run`). Cucumber swaps the
/// process's panic hook for a silent one while a suite runs and puts back the hook it found
/// when the suite ends; all the integration tests share one process, and two suites at once
/// could leave the silent hook in place for the rest of the run (assertion messages lost).
pub static SUITE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Starts the reference in this test's runtime with exactly `cfg` (its token, or none) and the
/// wall clock, on an ephemeral loopback port (`127.0.0.1:0`). Every integration test that
/// needs the reference starts it here or through the helpers below.
pub async fn reference(cfg: ReferenceConfig) -> RunningReference {
    RunningReference::start(cfg)
        .await
        .expect("the reference starts")
}

/// Starts the reference with `cfg` and the token "t", and a client that sends it.
pub async fn start_with(cfg: ReferenceConfig) -> (RunningReference, ScimClient) {
    let srv = reference(ReferenceConfig {
        token: Some("t".into()),
        ..cfg
    })
    .await;
    let c = ScimClient::new(&srv.base_url, Connection::bearer("t")).unwrap();
    (srv, c)
}

/// Starts the reference with its defaults.
pub async fn start() -> (RunningReference, ScimClient) {
    start_with(ReferenceConfig::default()).await
}

/// The reference with the identity-provider compatibility off: the strict RFC answers.
pub async fn strict() -> (RunningReference, ScimClient) {
    start_with(ReferenceConfig {
        entra_compat: false,
        ..Default::default()
    })
    .await
}

/// A PatchOp request body with these operations.
pub fn ops(list: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": list})
}

/// RFC 7644 §3.12: the status, the Error schema, `status` as a string, a detail, the right
/// `scimType` (or none), and the SCIM media type.
pub fn assert_error(r: &ScimResponse, status: u16, scim_type: Option<&str>) {
    assert_eq!(r.status, status, "body: {}", r.raw);
    assert_eq!(r.body["schemas"], json!([ERROR]), "body: {}", r.raw);
    assert_eq!(
        r.body["status"],
        json!(status.to_string()),
        "body: {}",
        r.raw
    );
    assert!(
        r.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "body: {}",
        r.raw
    );
    assert_eq!(
        r.body.get("scimType").and_then(Value::as_str),
        scim_type,
        "body: {}",
        r.raw
    );
    let ct = r.content_type.as_deref().unwrap_or("");
    assert!(ct.starts_with("application/scim+json"), "content-type {ct}");
}

/// The property tests' long mode, their `#[ignore]`d twins (`cargo test -- --ignored`): a
/// million cases per property, or `SCIM_HARNESS_PROP_CASES`. Rejections are not capped, since
/// filtered strategies (finite floats) reject a share of a million draws.
pub fn long_mode() -> proptest::test_runner::Config {
    let cases = std::env::var("SCIM_HARNESS_PROP_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(1_000_000);
    proptest::test_runner::Config {
        cases,
        max_local_rejects: u32::MAX,
        max_global_rejects: u32::MAX,
        ..proptest::test_runner::Config::default()
    }
}
