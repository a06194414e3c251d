//! Runs `features/verification` against the embedded reference (harness = false), over real
//! UDP and TCP sockets on loopback: the reference's verifier asks the fake name server and
//! web server the steps start (E-DV-01..05).
//!
//! Exits non-zero when a MUST fails and ends with the plain line `N passed, N failed`.
//! Reports go to `target/tmp/verification/`.

use scim_harness::conformance::{self, ConformanceOptions};
use std::path::PathBuf;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verification");
    let opts = ConformanceOptions {
        features: Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/features/verification"
        ))),
        tags: std::env::var("SCIM_HARNESS_TAGS").ok(),
        junit: Some(out.join("verification.xml")),
        json: Some(out.join("verification.json")),
        html: Some(out.join("verification.html")),
        echo: true,
        ..Default::default()
    };
    match conformance::run(&opts).await {
        Ok(report) => {
            print!("{}", conformance::summary(&report));
            std::process::exit(conformance::exit_code(&report));
        }
        Err(e) => {
            eprintln!("verification suite could not run: {e}");
            std::process::exit(2);
        }
    }
}
