//! Runs `features/okta` against the embedded reference (harness = false): Okta's provisioning
//! client's request shapes and its spec test (@okta-spec), as `conformance --profile okta`.
//! Reports go to `target/tmp/okta/`.

#[path = "support/runner.rs"]
mod runner;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    runner::run_folder(
        "okta",
        "okta",
        None,
        scim_harness::conformance::Profile::Okta,
    )
    .await;
}
