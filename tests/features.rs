//! Runs every feature in `features/scim` against the embedded reference (harness = false).
//!
//! Exits non-zero when a MUST fails (or the suite cannot run) and ends with the plain line
//! `N passed, N failed` that CI reads. Scenarios tagged `@wip-bug` mark known reference bugs
//! and are left out here. Reports go to `target/conformance/`.

use scim_harness::conformance::{self, ConformanceOptions};
use std::path::PathBuf;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("conformance");
    let opts = ConformanceOptions {
        features: Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/features/scim"
        ))),
        tags: Some(std::env::var("SCIM_HARNESS_TAGS").unwrap_or_else(|_| "not @wip-bug".into())),
        junit: Some(out.join("conformance.xml")),
        json: Some(out.join("conformance.json")),
        html: Some(out.join("conformance.html")),
        echo: true,
        ..Default::default()
    };
    match conformance::run(&opts).await {
        Ok(report) => {
            print!("{}", conformance::summary(&report));
            std::process::exit(conformance::exit_code(&report));
        }
        Err(e) => {
            eprintln!("conformance suite could not run: {e}");
            std::process::exit(2);
        }
    }
}
