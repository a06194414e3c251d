//! What both sources share in a simulation: its options ([`options`]), what it produced and
//! how that is shown ([`report`]), the convergence verdict ([`converge`]) and the failures
//! that explain it ([`failures`]), and starting the
//! embedded reference and the progress bar. Neither source is imported here: the dispatch on
//! [`SourceOptions`] is in [`crate::provisioning::cli`].

pub mod check;
pub mod converge;
pub mod failures;
pub mod html;
pub mod options;
pub mod pace;
pub mod report;
pub mod sync_status;

pub use options::{
    AdcOptions, CYCLE_INTERVAL_MINUTES, CycleCallback, DEFAULT_IMPORT_MINUTES,
    DEFAULT_POLL_MINUTES, EntraOptions, MAX_CYCLES, OktaApp, OktaOptions, SimOptions, Source,
    SourceOptions, TenantSource, minutes_in,
};
pub use report::{CycleSummary, InitialCycleComparison, SimulationReport, UserSyncFigures};

use crate::client::ClientError;
use crate::clock::SimClock;
use crate::provisioning::tenant::TenantError;
use crate::reference::config::ReferenceConfig;
use crate::reference::server::RunningReference;
use std::sync::Arc;

/// Why a simulation could not run (a divergence is a result, not an error).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Tenant(#[from] TenantError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("cannot start the embedded reference: {0}")]
    Reference(std::io::Error),
    #[error("cannot write the report: {0}")]
    Report(String),
    #[error("{0}")]
    Setup(String),
}

/// The embedded reference on a loopback port, on the simulation's clock.
pub async fn start_reference(
    config: ReferenceConfig,
    clock: Arc<SimClock>,
) -> Result<RunningReference, SimError> {
    let addr = "127.0.0.1:0"
        .parse()
        .map_err(|e| SimError::Reference(std::io::Error::other(e)))?;
    RunningReference::start_with(config, clock, addr)
        .await
        .map_err(SimError::Reference)
}

/// Adds a progress bar per cycle when stderr is a terminal and `CI` is not set.
pub fn with_progress(mut opts: SimOptions) -> (SimOptions, Option<indicatif::ProgressBar>) {
    use std::io::IsTerminal as _;
    if std::env::var_os("CI").is_some() || !std::io::stderr().is_terminal() {
        return (opts, None);
    }
    let progress = crate::provisioning::logs::Progress::new();
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("cycle {msg} [{bar:40}] {pos}/{len} objects")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let (p, b) = (progress.clone(), bar.clone());
    // Reads the job's progress figure while cycles run.
    tokio::spawn(async move {
        loop {
            let (done, total) = p.get();
            b.set_length(total);
            b.set_position(done);
            b.set_message(
                p.cycle
                    .load(std::sync::atomic::Ordering::Relaxed)
                    .to_string(),
            );
            if b.is_finished() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    });
    opts.progress = Some(progress);
    (opts, Some(bar))
}
