//! Runs `features/provisioning` (harness = false): the mock provider's scenarios, each on its
//! own simulated clock and target. Ends with the plain `N passed, N failed` line.

use scim_harness::conformance::{self, ConformanceOptions};
use std::path::PathBuf;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("provisioning-features");
    let opts = ConformanceOptions {
        features: Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/features/provisioning"
        ))),
        junit: Some(out.join("provisioning.xml")),
        json: Some(out.join("provisioning.json")),
        html: Some(out.join("provisioning.html")),
        echo: true,
        ..Default::default()
    };
    match conformance::run(&opts).await {
        Ok(report) => {
            print!("{}", conformance::summary(&report));
            std::process::exit(conformance::exit_code(&report));
        }
        Err(e) => {
            eprintln!("provisioning features could not run: {e}");
            std::process::exit(2);
        }
    }
}
