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
use crate::provisioning::faulty_target::{Faults, FaultyTarget};
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

/// Where a simulation sends its requests, and what keeps the embedded servers alive.
pub struct Target {
    pub url: String,
    pub connection: crate::client::Connection,
    /// The embedded reference (with `faults`, behind the faulty layer), not `--target`.
    pub embedded: bool,
    _reference: Option<RunningReference>,
    pub faulty: Option<FaultyTarget>,
}

impl Target {
    /// The options' target, or the embedded reference on the simulation's clock with a fresh
    /// token, behind injected faults if any are asked for.
    pub async fn start(
        opts: &SimOptions,
        faults: Option<&Faults>,
        clock: Arc<SimClock>,
    ) -> Result<Target, SimError> {
        if let Some(u) = &opts.target {
            return Ok(Target {
                url: u.clone(),
                connection: opts.connection.clone(),
                embedded: false,
                _reference: None,
                faulty: None,
            });
        }
        let token = uuid::Uuid::new_v4().simple().to_string();
        let config = ReferenceConfig {
            token: Some(token.clone()),
            ..Default::default()
        };
        let connection = crate::client::Connection::bearer(token).direct();
        Ok(match faults {
            Some(f) => {
                let t = FaultyTarget::start(config, clock, f.clone(), opts.seed)
                    .await
                    .map_err(SimError::Reference)?;
                Target {
                    url: t.base_url.clone(),
                    connection,
                    embedded: true,
                    _reference: None,
                    faulty: Some(t),
                }
            }
            None => {
                let r = start_reference(config, clock).await?;
                Target {
                    url: r.base_url.clone(),
                    connection,
                    embedded: true,
                    _reference: Some(r),
                    faulty: None,
                }
            }
        })
    }

    /// Faults off: the convergence read is not part of the simulated provider.
    pub fn calm(&self) {
        if let Some(t) = &self.faulty {
            t.control.set(Faults::default());
        }
    }

    /// How the report names the target.
    pub fn name(&self) -> String {
        if self.embedded {
            "embedded reference".into()
        } else {
            self.url.clone()
        }
    }
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
