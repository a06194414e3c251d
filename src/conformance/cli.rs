//! The `conformance` command: its options and exit codes. `main.rs` only parses and hands over
//! here.

use super::{ConformanceOptions, Profile};
use crate::client::ConnectionError;
use crate::client::cli::TargetArgs;
use crate::report::FailOn;
use std::path::PathBuf;
use std::process::ExitCode;

/// Run the Gherkin conformance suite (features/scim) against a SCIM service.
///
/// Without --target it tests the embedded reference. Exit code 0: every MUST passed;
/// 1: a MUST failed (or a SHOULD, with --fail-on should); 2: the target is unreachable or
/// misconfigured, or the features cannot be read.
#[derive(Debug, Clone, clap::Args)]
pub struct ConformanceArgs {
    /// Cucumber tag expression selecting scenarios, e.g. "@R-FILTER and not @should".
    #[arg(long)]
    pub tags: Option<String>,
    /// rfc: strict RFC 7643/7644; entra-compat: the identity provider's request shapes.
    #[arg(long, value_enum, default_value = "all")]
    pub profile: ProfileArg,
    /// Folder of .feature files to run instead of the built-in ones [default: the built-in
    /// features/scim, compiled into the binary; see `scim-harness features`].
    #[arg(long)]
    pub features: Option<PathBuf>,
    /// JUnit XML report.
    #[arg(long, default_value = "reports/conformance.xml")]
    pub junit: PathBuf,
    /// JSON report.
    #[arg(long, default_value = "reports/conformance.json")]
    pub json: PathBuf,
    /// HTML living-documentation report.
    #[arg(long, default_value = "reports/conformance.html")]
    pub html: PathBuf,
    /// Which failures fail the run.
    #[arg(long, value_enum, default_value = "must")]
    pub fail_on: FailOnArg,
    /// Scenarios run at once. Kept low by default: a server that is not thread-safe answers
    /// concurrent creates with resets and 500s, which would be findings the suite caused.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Where the target is and how to reach it (a heading of its own in --help).
    #[command(flatten)]
    pub target_args: TargetArgs,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ProfileArg {
    Rfc,
    EntraCompat,
    All,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FailOnArg {
    Must,
    Should,
}

impl ConformanceArgs {
    /// The run options these flags describe (reports on, progress echoed); fails when the
    /// connection options do not fit together.
    pub fn options(&self) -> Result<ConformanceOptions, ConnectionError> {
        Ok(ConformanceOptions {
            target: self.target_args.target.clone(),
            connection: self.target_args.connection()?,
            features: self.features.clone(),
            built_in: None,
            tags: self.tags.clone(),
            profile: match self.profile {
                ProfileArg::Rfc => Profile::Rfc,
                ProfileArg::EntraCompat => Profile::EntraCompat,
                ProfileArg::All => Profile::All,
            },
            junit: Some(self.junit.clone()),
            json: Some(self.json.clone()),
            html: Some(self.html.clone()),
            fail_on: match self.fail_on {
                FailOnArg::Must => FailOn::Must,
                FailOnArg::Should => FailOn::Should,
            },
            concurrency: self.concurrency.max(1),
            echo: true,
        })
    }
}

/// Runs `scim-harness conformance`: prints the summary; exit code as documented above (2 when
/// the run could not start).
pub async fn run(args: &ConformanceArgs) -> ExitCode {
    let opts = match args.options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("scim-harness conformance: {e}");
            return ExitCode::from(2);
        }
    };
    if opts.target.is_some() && opts.connection.is_insecure() {
        eprintln!("warning: {}", crate::report::INSECURE_NOTE);
    }
    match super::run(&opts).await {
        Ok(report) => {
            print!("{}", super::summary(&report));
            // exit_code is 0, 1 or 2.
            ExitCode::from(u8::try_from(super::exit_code(&report)).unwrap_or(1))
        }
        Err(e) => {
            eprintln!("scim-harness conformance: {e}");
            ExitCode::from(2)
        }
    }
}
