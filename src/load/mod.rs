//! `scim-harness load`: open-loop load runs against a SCIM target (or the embedded reference),
//! with coordinated-omission-free latency, entitlements per minute, HdrHistogram interval logs
//! for exact merging across shards, and JSON + HTML + SVG reports.
//!
//! The parts: `schedule` (when each operation is due), `driver` (sends them on time, bounded),
//! `scenarios`/`provider`/`visibility` (what an operation does), `metrics` (what was measured),
//! `merge` (combining shards), `report`/`plots` (what a person reads), `progress` (the live line),
//! `hello` (a trivial endpoint to compare the driver with wrk).

pub mod cli;
pub mod driver;
pub mod hello;
pub mod http;
pub mod merge;
pub mod metrics;
pub mod okta;
pub mod op;
pub mod plots;
pub mod progress;
pub mod provider;
pub mod report;
pub mod scenarios;
pub mod schedule;
pub mod visibility;

use crate::reference::config::ReferenceConfig;
use crate::reference::server::RunningReference;
use driver::{DriveStats, DriverOptions, drive};
use metrics::{BASELINE_ENTITLEMENTS_PER_MINUTE, Metrics, MetricsSummary};
use scenarios::{ScenarioConfig, ScenarioName};
use schedule::{RateProfile, Schedule, Shard};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why a load run could not run (a failing target is not an error: it is counted and reported).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Schedule(#[from] schedule::ScheduleError),
    #[error(transparent)]
    Target(#[from] http::TargetError),
    #[error(transparent)]
    Connection(#[from] crate::client::ConnectionError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Setup(#[from] scenarios::SetupError),
    #[error("cannot start the embedded reference: {0}")]
    Embedded(#[source] std::io::Error),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Everything a load run needs.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub scenario: ScenarioName,
    /// SCIM base URL; `None` starts the embedded reference in this process.
    pub target: Option<String>,
    /// How to reach `target` (credentials, headers, TLS); its secrets are never printed nor
    /// written to a report. Unused for the embedded reference.
    pub connection: crate::client::Connection,
    pub profile: RateProfile,
    pub duration: Duration,
    pub max_ops: Option<u64>,
    /// Most operations in flight at once (and pooled connections).
    pub connections: usize,
    pub shard: Shard,
    /// Folder for JSON, HTML and SVG reports.
    pub report_dir: Option<PathBuf>,
    /// HdrHistogram V2 interval log to write.
    pub hdr_log: Option<PathBuf>,
    pub sizes: ScenarioConfigOptions,
    /// Bound of each HTTP request.
    pub request_timeout: Duration,
    /// How long after the schedule ends in-flight operations may finish.
    pub drain: Duration,
    /// Show the live progress line (only on a terminal and outside CI; see `progress`).
    pub progress: bool,
    pub http: http::HttpEngine,
}

/// The scenario knobs a user sets; the run fills in the rest of `ScenarioConfig`.
#[derive(Debug, Clone)]
pub struct ScenarioConfigOptions {
    pub users: usize,
    pub groups: usize,
    pub entitlements_per_op: usize,
    pub member_batch: usize,
    pub visibility_timeout: Duration,
    pub poll_interval: Duration,
}

impl Default for ScenarioConfigOptions {
    fn default() -> Self {
        let d = ScenarioConfig::default();
        ScenarioConfigOptions {
            users: d.users,
            groups: d.groups,
            entitlements_per_op: d.entitlements_per_op,
            member_batch: d.member_batch,
            visibility_timeout: d.visibility_timeout,
            poll_interval: d.poll_interval,
        }
    }
}

impl LoadOptions {
    /// Defaults for `scenario` at a constant `rate` for `duration`, against the embedded
    /// reference.
    pub fn new(scenario: ScenarioName, rate: f64, duration: Duration) -> LoadOptions {
        LoadOptions {
            scenario,
            target: None,
            connection: crate::client::Connection::default(),
            profile: RateProfile::Constant { per_second: rate },
            duration,
            max_ops: None,
            connections: 64,
            shard: Shard::ALL,
            report_dir: None,
            hdr_log: None,
            sizes: ScenarioConfigOptions::default(),
            request_timeout: Duration::from_secs(10),
            drain: Duration::from_secs(5),
            progress: false,
            http: http::HttpEngine::Auto,
        }
    }
}

/// The result of one run (one shard), as written to the JSON report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoadReport {
    pub scenario: ScenarioName,
    /// The target's base URL, or "embedded reference (...)". Never the token.
    pub target: String,
    pub embedded: bool,
    pub profile: String,
    /// Target rate of this shard for each second, for the throughput plot.
    pub target_rates: Vec<f64>,
    pub duration_s: f64,
    pub max_ops: Option<u64>,
    pub connections: usize,
    pub shard: Shard,
    pub started_at: String,
    pub drive: DriveStats,
    pub metrics: MetricsSummary,
    /// Completed operations per second over the run.
    pub achieved_per_second: f64,
    /// The headline: entitlements granted (and, for e2e, seen) per minute.
    pub entitlements_per_minute: f64,
    pub baseline_entitlements_per_minute: f64,
    /// `entitlements_per_minute / baseline`.
    pub vs_baseline: f64,
    /// Which latency the summaries show, and why.
    pub latency_shown: String,
    /// The HTTP engine that sent the requests: "lanes" or "reqwest".
    pub http_engine: String,
    /// The run accepted any TLS certificate (`--insecure`).
    pub insecure: bool,
    pub notes: Vec<String>,
}

/// What the summaries show (corrected latency).
pub const LATENCY_SHOWN: &str = "corrected: from each operation's intended send time in the \
open-loop schedule, so server queueing and driver backlog are included (no coordinated omission); \
raw (from the actual send) is listed alongside";

/// Runs a load test and writes the requested reports and interval log.
pub async fn run(opts: &LoadOptions) -> Result<LoadReport, LoadError> {
    let embedded = match &opts.target {
        Some(_) => None,
        None => Some(
            RunningReference::start(ReferenceConfig::default())
                .await
                .map_err(LoadError::Embedded)?,
        ),
    };
    let (base, label) = match (&opts.target, &embedded) {
        (Some(t), _) => (t.clone(), t.clone()),
        (None, Some(r)) => (
            r.base_url.clone(),
            format!("embedded reference ({}, in this process)", r.base_url),
        ),
        (None, None) => {
            return Err(LoadError::Embedded(std::io::Error::other("not started")));
        }
    };
    let connection = match &embedded {
        // On loopback in this process: no credentials of the user's, and never a proxy.
        Some(_) => crate::client::Connection::default().direct(),
        None => opts.connection.clone(),
    };
    let insecure = connection.is_insecure();
    let target = http::Target::new(
        &base,
        connection,
        opts.connections,
        opts.request_timeout,
        opts.http,
    )?;
    let schedule = Arc::new(Schedule::new(
        opts.profile.clone(),
        opts.duration,
        opts.max_ops,
        opts.shard,
    ));
    let mut notes = Vec::new();
    if insecure {
        notes.push(crate::report::INSECURE_NOTE.into());
    }
    if target.proxied() {
        notes.push(format!(
            "a proxy from the environment (HTTP_PROXY/HTTPS_PROXY, not excluded by NO_PROXY) \
             applies to the target, so the {} engine sent every request through it (the lanes \
             engine connects directly); latency includes the proxy",
            target.engine_name()
        ));
    }
    let http_engine = target.engine_name().to_string();
    let mut rules = false;
    let visibility = if opts.scenario == ScenarioName::EntitlementsE2e {
        let choice = visibility::choose(&target, opts.sizes.poll_interval).await;
        notes.push(format!("visibility: {}", choice.wait.describe()));
        rules = choice.admin_api;
        notes.push(if rules {
            "entitlements-e2e moves users between directory groups whose User Sync rules grant \
             --entitlements-per-op products each; an operation counts when the engine has \
             applied it"
                .into()
        } else {
            "entitlements-e2e PATCHes the user's entitlements and polls until they are visible \
             (the target has no User Sync admin API to drive rules through)"
                .into()
        });
        Some(choice.wait)
    } else {
        None
    };
    if embedded.is_some() {
        notes.push("driver and reference share this process and its CPU cores".into());
    }
    let s = &opts.sizes;
    let config = ScenarioConfig {
        users: s.users,
        groups: s.groups,
        entitlements_per_op: s.entitlements_per_op,
        member_batch: s.member_batch,
        visibility_timeout: s.visibility_timeout,
        poll_interval: s.poll_interval,
        setup_concurrency: opts.connections.clamp(1, 64),
        incremental_from: schedule.total / 2,
        run_id: uuid::Uuid::new_v4().simple().to_string()[..8].to_string(),
        shard_index: opts.shard.index,
        shard_count: opts.shard.count,
        rules,
    };
    let op = Arc::new(scenarios::prepare(opts.scenario, target, config, visibility).await?);

    let started_at = chrono::Utc::now().to_rfc3339();
    let start = Instant::now();
    let metrics = Arc::new(Metrics::new(opts.scenario.kinds(), start));
    let bar = progress::Progress::new(opts.progress, schedule.local_len());
    let live = metrics.clone();
    let drive_opts = DriverOptions {
        connections: opts.connections,
        drain: opts.drain,
        ..DriverOptions::default()
    };
    let stats = drive(
        op,
        schedule.clone(),
        metrics.clone(),
        start,
        &drive_opts,
        |t| bar.update(t, live.live()),
    )
    .await;
    bar.finish();
    let summary = metrics.finish();
    if let Some(r) = embedded {
        r.stop().await;
    }

    let minutes = (stats.elapsed_s / 60.0).max(1e-9);
    let per_minute = summary.entitlements as f64 / minutes;
    let seconds = opts.duration.as_secs_f64().ceil() as usize;
    let share = 1.0 / opts.shard.count.max(1) as f64;
    let report = LoadReport {
        scenario: opts.scenario,
        target: label,
        embedded: opts.target.is_none(),
        profile: opts.profile.describe(),
        target_rates: (0..seconds)
            .map(|i| opts.profile.rate_at(i as f64 + 0.5) * share)
            .collect(),
        duration_s: opts.duration.as_secs_f64(),
        max_ops: opts.max_ops,
        connections: opts.connections,
        shard: opts.shard,
        started_at,
        drive: stats,
        achieved_per_second: summary.completed as f64 / stats.elapsed_s.max(1e-9),
        entitlements_per_minute: per_minute,
        baseline_entitlements_per_minute: BASELINE_ENTITLEMENTS_PER_MINUTE,
        vs_baseline: per_minute / BASELINE_ENTITLEMENTS_PER_MINUTE,
        latency_shown: LATENCY_SHOWN.into(),
        http_engine,
        insecure,
        metrics: summary,
        notes,
    };
    if let Some(path) = &opts.hdr_log {
        write_log(&metrics, &report, path)?;
    }
    if let Some(dir) = &opts.report_dir {
        report::write(&report, dir).map_err(|(path, source)| LoadError::Write { path, source })?;
    }
    Ok(report)
}

fn write_log(metrics: &Metrics, report: &LoadReport, path: &PathBuf) -> Result<(), LoadError> {
    let err = |source| LoadError::Write {
        path: path.clone(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(err)?;
    }
    // Written beside the target and renamed when complete, so a merge step watching the folder
    // never reads half a log.
    let mut tmp = path.clone().into_os_string();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let file = std::fs::File::create(&tmp).map_err(err)?;
    let mut w = std::io::BufWriter::new(file);
    let comment = format!(
        "scim-harness load --scenario {} shard {}/{} ({})",
        report.scenario.as_str(),
        report.shard.index,
        report.shard.count,
        report.profile
    );
    metrics.write_interval_log(&mut w, &comment).map_err(err)?;
    std::io::Write::flush(&mut w).map_err(err)?;
    drop(w);
    std::fs::rename(&tmp, path).map_err(err)
}
