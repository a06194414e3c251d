//! What the Gherkin runners (harness = false) share: run one folder of `features/` against
//! the embedded reference, print the summary, and exit non-zero when a MUST fails (or the
//! suite cannot run). Each ends with the plain line `N passed, N failed` that CI reads.

use scim_harness::conformance::{self, ConformanceOptions, Profile};
use std::path::PathBuf;

/// Runs `features/FOLDER`; reports go to `target/tmp/REPORT/REPORT.{xml,json,html}`.
/// `SCIM_HARNESS_TAGS` replaces `default_tags` when set.
pub async fn run_folder(folder: &str, report: &str, default_tags: Option<&str>, profile: Profile) {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(report);
    let opts = ConformanceOptions {
        features: Some(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("features")
                .join(folder),
        ),
        tags: std::env::var("SCIM_HARNESS_TAGS")
            .ok()
            .or_else(|| default_tags.map(str::to_string)),
        profile,
        junit: Some(out.join(format!("{report}.xml"))),
        json: Some(out.join(format!("{report}.json"))),
        html: Some(out.join(format!("{report}.html"))),
        echo: true,
        ..Default::default()
    };
    match conformance::run(&opts).await {
        Ok(r) => {
            print!("{}", conformance::summary(&r));
            std::process::exit(conformance::exit_code(&r));
        }
        Err(e) => {
            eprintln!("features/{folder} could not run: {e}");
            std::process::exit(2);
        }
    }
}
