//! The `conformance` command: its options and exit codes. `main.rs` only parses and hands over
//! here.

use super::{ConformanceOptions, Profile};
use crate::client::cli::TargetArgs;
use crate::config::{self, ConfigError};
use crate::report::FailOn;
use clap::ValueEnum;
use std::path::PathBuf;
use std::process::ExitCode;

/// Run the Gherkin conformance suite (features/scim) against a SCIM service.
///
/// Without --target it tests the embedded reference. Settings can also come from a
/// scim-harness.toml (in the working directory, or --config FILE): the target and how to
/// reach it, profile, tags, concurrency, fail_on, and the accepted deviations (failures that
/// are shown but do not fail the run, until their expiry date); a flag given here wins over
/// the file.
#[derive(Debug, Clone, clap::Args)]
pub struct ConformanceArgs {
    /// Cucumber tag expression selecting scenarios, e.g. "@R-FILTER and not @should".
    #[arg(long)]
    pub tags: Option<String>,
    /// rfc: strict RFC 7643/7644; entra-compat: Microsoft Entra ID's request shapes; all:
    /// both [default: all]; okta: Okta's provisioning client (the built-in features/okta,
    /// @okta-spec reproducing Okta's spec test for an OIN submission).
    #[arg(long, value_enum)]
    pub profile: Option<ProfileArg>,
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
    /// Which failures fail the run [default: must].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOnArg>,
    /// Scenarios run at once [default: 4]. Kept low: a server that is not thread-safe answers
    /// concurrent creates with resets and 500s, which would be findings the suite caused.
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Where the target is and how to reach it (a heading of its own in --help).
    #[command(flatten)]
    pub target_args: TargetArgs,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ProfileArg {
    Rfc,
    EntraCompat,
    All,
    Okta,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FailOnArg {
    Must,
    Should,
}

impl ConformanceArgs {
    /// The run options these flags describe (reports on, progress echoed), with what they
    /// leave unset taken from the configuration file, if there is one.
    pub fn options(&self) -> Result<ConformanceOptions, ConfigError> {
        let (file, target_args) = config::target_args(&self.target_args)?;
        let cfg = file.as_ref().map(|l| &l.config);
        let named = |key: &str, value: &str| ConfigError::Invalid {
            path: file.as_ref().map(|l| l.path.clone()).unwrap_or_default(),
            key: key.to_string(),
            reason: format!("'{value}' is not one of its values"),
        };
        let profile = match (self.profile, cfg.and_then(|c| c.profile.as_deref())) {
            (Some(p), _) => p,
            (None, Some(p)) => ProfileArg::from_str(p, true).map_err(|_| named("profile", p))?,
            (None, None) => ProfileArg::All,
        };
        let fail_on = match (self.fail_on, cfg.and_then(|c| c.fail_on.as_deref())) {
            (Some(f), _) => f,
            (None, Some(f)) => FailOnArg::from_str(f, true).map_err(|_| named("fail_on", f))?,
            (None, None) => FailOnArg::Must,
        };
        Ok(ConformanceOptions {
            target: target_args.target.clone(),
            connection: target_args.connection()?,
            features: self.features.clone(),
            built_in: None,
            tags: self
                .tags
                .clone()
                .or_else(|| cfg.and_then(|c| c.tags.clone())),
            profile: match profile {
                ProfileArg::Rfc => Profile::Rfc,
                ProfileArg::EntraCompat => Profile::EntraCompat,
                ProfileArg::All => Profile::All,
                ProfileArg::Okta => Profile::Okta,
            },
            junit: Some(self.junit.clone()),
            json: Some(self.json.clone()),
            html: Some(self.html.clone()),
            fail_on: match fail_on {
                FailOnArg::Must => FailOn::Must,
                FailOnArg::Should => FailOn::Should,
            },
            concurrency: self
                .concurrency
                .or_else(|| cfg.and_then(|c| c.concurrency))
                .unwrap_or(super::DEFAULT_CONCURRENCY)
                .max(1),
            echo: true,
            accepted: file
                .as_ref()
                .map(config::Loaded::accepted)
                .unwrap_or_default(),
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
