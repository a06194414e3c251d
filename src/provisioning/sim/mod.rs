//! `scim-harness simulate`: a day of provisioning in seconds. Generates (or loads) a tenant,
//! runs the initial cycle, then a 40-minute slot after slot with churn applied before each,
//! running the job whenever it is due (quarantine stretches that), then settles the escrows
//! and checks convergence.

pub mod report;

use super::churn::{self, ChurnModel, ChurnStats};
use super::entra::converge::{self, Convergence};
use super::entra::job::{
    CYCLE_INTERVAL_MINUTES, CycleSummary, JobConfig, JobState, ProvisioningJob,
};
use super::entra::quarantine::Email;
use super::entra::scoping::Scoping;
use super::faulty_target::{Faults, FaultyTarget};
use super::requests::Compat;
use super::tenant::{Tenant, TenantError, TenantSpec};
use crate::client::{ClientError, ScimClient};
use crate::clock::{Clock, SimClock};
use crate::reference::config::ReferenceConfig;
use crate::reference::server::RunningReference;
use chrono::Duration;
use fake::rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;

/// Where the tenant comes from.
#[derive(Debug, Clone)]
pub enum TenantSource {
    File(PathBuf),
    Generate { users: usize, groups: usize },
}

/// The most cycles (polls) one simulation runs: a year of 40-minute cycles, so simulated
/// time stays far inside the clock's range.
pub const MAX_CYCLES: u32 = 13_140;

/// Which source provisions the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Microsoft Entra ID's provisioning service (40-minute cycles).
    #[default]
    Entra,
    /// The Active Directory Connector v2 (polls the on-premises directory).
    Adc,
}

impl Source {
    /// Simulated minutes between two cycles (polls).
    pub fn interval_minutes(self, adc: &AdcSettings) -> i64 {
        match self {
            Source::Entra => CYCLE_INTERVAL_MINUTES,
            Source::Adc => adc.interval_minutes.max(1),
        }
    }
}

/// Settings only the directory connector uses.
#[derive(Debug, Clone)]
pub struct AdcSettings {
    /// Levels of nested groups under the selected ones.
    pub levels: usize,
    /// The organization's verified domains; `None`: read from the target's admin API (the
    /// embedded reference verifies the tenant's domain itself).
    pub verified_domains: Option<Vec<String>>,
    /// Organizational units to sync (`None`: all).
    pub organizational_units: Option<Vec<String>>,
    pub interval_minutes: i64,
}

impl Default for AdcSettings {
    fn default() -> Self {
        AdcSettings {
            levels: 3,
            verified_domains: None,
            organizational_units: None,
            interval_minutes: super::adc::connector::DEFAULT_POLL_MINUTES,
        }
    }
}

/// Options of a simulation (the command line's, or a test's).
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub source: Source,
    pub adc: AdcSettings,
    /// SCIM base URL; `None` runs against the embedded reference.
    pub target: Option<String>,
    pub token: Option<String>,
    pub tenant: TenantSource,
    /// Share of users changed per cycle.
    pub churn: f64,
    /// Slots after the initial cycle: 40-minute cycles for Entra (36 = 24 h), polls for
    /// the connector.
    pub cycles: u32,
    pub compat: Compat,
    pub scoping: Scoping,
    /// Add the `manager` reference mapping to the product's defaults.
    pub map_manager: bool,
    pub seed: u64,
    /// Faults injected in front of the embedded reference (ignored with `target`).
    pub faults: Option<Faults>,
    /// Extra churn-free cycles allowed after the last slot to deliver pending escrows.
    pub settle_cycles: u32,
    pub concurrency: usize,
    /// Called after each cycle (progress bars, logs).
    pub on_cycle: Option<CycleCallback>,
    /// Shared with a progress bar while a cycle runs.
    pub progress: Option<Arc<super::logs::Progress>>,
}

/// A function called after each cycle.
#[derive(Clone)]
pub struct CycleCallback(pub Arc<dyn Fn(&CycleSummary) + Send + Sync>);

impl std::fmt::Debug for CycleCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CycleCallback")
    }
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            source: Source::Entra,
            adc: AdcSettings::default(),
            target: None,
            token: None,
            tenant: TenantSource::Generate {
                users: 1000,
                groups: 50,
            },
            churn: 0.01,
            cycles: 36,
            compat: Compat::Default,
            scoping: Scoping::default(),
            map_manager: false,
            seed: 1,
            faults: None,
            settle_cycles: 40,
            concurrency: 32,
            on_cycle: None,
            progress: None,
        }
    }
}

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

/// E-CY-03: the initial cycle against the published durations.
#[derive(Debug, Clone, Serialize)]
pub struct InitialCycleComparison {
    /// N = users + groups + memberships in scope.
    pub n: usize,
    pub published_min_minutes: f64,
    pub published_max_minutes: f64,
    pub simulated_minutes: f64,
    pub wall_seconds: f64,
    pub requests: u64,
}

/// Everything a simulation produced.
#[derive(Debug, Clone, Serialize)]
pub struct SimulationReport {
    pub source: Source,
    pub target: String,
    pub embedded: bool,
    pub seed: u64,
    pub compat: Compat,
    pub users: usize,
    pub groups: usize,
    pub memberships: usize,
    pub churn_rate: f64,
    pub cycles: Vec<CycleSummary>,
    pub churn: Vec<ChurnStats>,
    pub initial: Option<InitialCycleComparison>,
    pub convergence: Convergence,
    pub final_state: JobState,
    pub outbox: Vec<Email>,
    pub compliance_warnings: Vec<String>,
    pub log_records: usize,
    pub wall_seconds: f64,
    pub settle_cycles_used: u32,
    /// User Sync behind the connector: rules, switch-on time, entitlements (ADC only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usersync: Option<UserSyncFigures>,
}

/// What User Sync did with what the connector pushed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UserSyncFigures {
    pub rules: usize,
    /// Users whose entitlements were recomputed from scratch and compared.
    pub users_checked: usize,
    /// Entitlements the recomputation expects in all.
    pub entitlements: usize,
    /// Entitlements applied when the switch went on, and how long until all were applied.
    pub initial_entitlements: usize,
    pub switch_on_ms: f64,
    pub entitlements_per_minute: f64,
    /// Per poll: from the end of the push until User Sync applied everything (median, max).
    pub poll_settle_p50_ms: f64,
    pub poll_settle_max_ms: f64,
}

impl SimulationReport {
    pub fn converged(&self) -> bool {
        self.convergence.converged()
    }
}

/// Runs a simulation.
pub async fn simulate(opts: &SimOptions) -> Result<SimulationReport, SimError> {
    if opts.cycles > MAX_CYCLES {
        return Err(SimError::Setup(format!(
            "{} cycles is more than the {MAX_CYCLES} a simulation runs",
            opts.cycles
        )));
    }
    if opts.source == Source::Adc {
        return super::adc::sim::simulate(opts).await;
    }
    let wall = std::time::Instant::now();
    let clock = Arc::new(SimClock::default());
    let t0 = clock.now();
    let mut tenant = match &opts.tenant {
        TenantSource::File(p) => Tenant::load(p)?,
        TenantSource::Generate { users, groups } => {
            Tenant::generate(&TenantSpec::new(*users, *groups, opts.seed, t0))
        }
    };
    // Keep the servers alive for the whole run.
    let mut _reference = None;
    let mut _faulty = None;
    let (url, token, embedded) = match &opts.target {
        Some(u) => (u.clone(), opts.token.clone(), false),
        None => {
            let token = uuid::Uuid::new_v4().simple().to_string();
            let config = ReferenceConfig {
                token: Some(token.clone()),
                ..Default::default()
            };
            let url = match &opts.faults {
                Some(f) => {
                    let t = FaultyTarget::start(config, clock.clone(), f.clone(), opts.seed)
                        .await
                        .map_err(SimError::Reference)?;
                    let url = t.base_url.clone();
                    _faulty = Some(t);
                    url
                }
                None => {
                    let r = start_reference(config, clock.clone()).await?;
                    let url = r.base_url.clone();
                    _reference = Some(r);
                    url
                }
            };
            (url, Some(token), true)
        }
    };
    let client = ScimClient::new(&url, token)?;
    let mut config = JobConfig {
        compat: opts.compat,
        scoping: opts.scoping.clone(),
        concurrency: opts.concurrency.max(1),
        ..Default::default()
    };
    if opts.map_manager {
        config.mappings = config.mappings.with_manager();
    }
    let mut job = ProvisioningJob::new(client, clock.clone(), config);
    if let Some(p) = &opts.progress {
        job.progress = p.clone();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed ^ 0xC4u64.rotate_left(56));
    let model = ChurnModel::new(opts.churn);
    let mut churn_log = Vec::new();
    let report_cycle = |s: &CycleSummary| {
        if let Some(cb) = &opts.on_cycle {
            (cb.0)(s);
        }
    };
    let memberships = tenant.membership_count();
    let (users0, groups0) = (tenant.users.len(), tenant.groups.len());
    for slot in 0..=opts.cycles {
        let now = t0 + Duration::minutes(CYCLE_INTERVAL_MINUTES * slot as i64);
        clock.advance_to(now);
        if slot > 0 {
            churn_log.push(churn::apply(&mut tenant, &model, &mut rng, now));
        }
        if let Some(s) = job.tick(&tenant).await {
            report_cycle(&s);
        }
    }
    let mut settle = 0;
    let mut now = clock.now();
    while !job.escrows.is_empty() && settle < opts.settle_cycles {
        now += Duration::minutes(CYCLE_INTERVAL_MINUTES);
        clock.advance_to(now);
        if let Some(s) = job.tick(&tenant).await {
            settle += 1;
            report_cycle(&s);
        } else if job.next_run_at().is_none() {
            break;
        }
    }
    // The convergence read is not part of the simulated provider: faults off.
    if let Some(t) = &_faulty {
        t.control.set(Faults::default());
    }
    let convergence = converge::check(&job, &tenant).await?;
    let initial = job.cycles.iter().find(|c| c.initial).map(|c| {
        let n = users0 + groups0 + memberships;
        InitialCycleComparison {
            n,
            published_min_minutes: 0.01 * n as f64,
            published_max_minutes: 0.08 * n as f64,
            simulated_minutes: c.sim_minutes,
            wall_seconds: c.wall_ms as f64 / 1000.0,
            requests: c.requests,
        }
    });
    Ok(SimulationReport {
        source: Source::Entra,
        usersync: None,
        target: if embedded {
            "embedded reference".into()
        } else {
            url
        },
        embedded,
        seed: opts.seed,
        compat: opts.compat,
        users: users0,
        groups: groups0,
        memberships,
        churn_rate: opts.churn,
        cycles: job.cycles.clone(),
        churn: churn_log,
        initial,
        convergence,
        final_state: job.state.clone(),
        outbox: job.outbox.clone(),
        compliance_warnings: job.compliance_warnings.clone(),
        log_records: job.logs.len(),
        wall_seconds: wall.elapsed().as_secs_f64(),
        settle_cycles_used: settle,
    })
}

/// The embedded reference on a loopback port, on the simulation's clock.
pub(crate) async fn start_reference(
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

/// Minutes in a simulated duration (`24h` -> 1440, `90m` -> 90, `2d` -> 2880).
pub fn minutes_in(duration: &str) -> Option<i64> {
    let d = duration.trim();
    let (num, unit) = d.split_at(d.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = num.parse().ok()?;
    match unit {
        "m" | "min" => Some(n),
        "h" => n.checked_mul(60),
        "d" => n.checked_mul(24 * 60),
        _ => None,
    }
}

/// Adds a progress bar per cycle when stderr is a terminal and `CI` is not set.
pub fn with_progress(mut opts: SimOptions) -> (SimOptions, Option<indicatif::ProgressBar>) {
    use std::io::IsTerminal as _;
    if std::env::var_os("CI").is_some() || !std::io::stderr().is_terminal() {
        return (opts, None);
    }
    let progress = super::logs::Progress::new();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_minutes() {
        assert_eq!(minutes_in("24h"), Some(1440));
        assert_eq!(minutes_in("90m"), Some(90));
        assert_eq!(minutes_in("2d"), Some(2880));
        assert_eq!(minutes_in("2 weeks"), None);
        assert_eq!(minutes_in("h"), None);
        assert_eq!(minutes_in("99999999999999999999d"), None);
    }
}
