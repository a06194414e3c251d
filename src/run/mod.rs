//! `scim-harness run`: the main job. It starts the embedded reference on a loopback port,
//! drives it end to end through the same code every other command uses, and writes
//! `reports/index.html`, which links every report the run produced. Each part of the harness
//! adds its section here.

pub mod cli;
mod smoke;
pub mod usersync_bench;

use crate::client::{ClientError, ScimClient};
use crate::conformance::{self, ConformanceOptions};
use crate::provisioning::sim::Source;
use crate::reference::config::ReferenceConfig;
use crate::reference::server::RunningReference;
use crate::report::html::escape;
use crate::report::page::{Cell, Page, Table};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What `run` does.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Users to create in the smoke section.
    pub users: usize,
    /// Groups to create; users are spread over them.
    pub groups: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Where reports go.
    pub reports: PathBuf,
    /// Users in the simulated identity-provider tenant (24 h, 36 cycles).
    pub sim_users: usize,
    /// Users joining ruled groups in the User Sync bulk demonstration.
    pub usersync_users: usize,
    /// Length of each scenario's load run.
    pub load_duration: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            users: 2000,
            groups: 20,
            concurrency: 16,
            reports: PathBuf::from("reports"),
            sim_users: 10_000,
            usersync_users: 10_000,
            load_duration: Duration::from_secs(5),
        }
    }
}

/// One line of the summary.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    pub detail: String,
    pub elapsed: Duration,
}

/// One part of the run (smoke, conformance, ...) with its checks and its report file.
#[derive(Debug, Clone, Default)]
pub struct Section {
    pub name: String,
    pub checks: Vec<Check>,
    /// A report this section wrote, relative to the reports folder.
    pub report: Option<String>,
}

/// Why `run` could not complete (as opposed to a check that failed).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("could not start the embedded reference: {0}")]
    Start(#[from] std::io::Error),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("conformance suite: {0}")]
    Conformance(#[from] conformance::ConformanceError),
    #[error("provisioning simulation: {0}")]
    Simulation(#[from] crate::provisioning::SimError),
    #[error("User Sync demonstration: {0}")]
    UserSync(#[from] usersync_bench::DemoError),
    #[error("load run: {0}")]
    Load(#[from] crate::load::LoadError),
}

/// The outcome of `run`.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    pub sections: Vec<Section>,
    /// `reports/index.html`, when it could be written.
    pub index: Option<PathBuf>,
}

impl RunSummary {
    pub fn passed(&self) -> bool {
        self.sections
            .iter()
            .flat_map(|s| &s.checks)
            .all(|c| c.passed)
    }

    /// A plain-text table for the terminal, ending with the plain `N passed, N failed` line.
    pub fn table(&self) -> String {
        let mut s = String::new();
        for sec in &self.sections {
            s.push_str(&format!("\n== {}\n", sec.name));
            s.push_str(&format!(
                "{:<46} {:>6} {:>10}  {}\n",
                "check", "result", "time", "detail"
            ));
            for c in &sec.checks {
                s.push_str(&format!(
                    "{:<46} {:>6} {:>8.1}ms  {}\n",
                    c.name,
                    if c.passed { "pass" } else { "FAIL" },
                    c.elapsed.as_secs_f64() * 1000.0,
                    c.detail
                ));
            }
        }
        let all: Vec<&Check> = self.sections.iter().flat_map(|s| &s.checks).collect();
        let passed = all.iter().filter(|c| c.passed).count();
        if let Some(i) = &self.index {
            s.push_str(&format!("\nreports: {}\n", i.display()));
        }
        s.push_str(&format!(
            "{} passed, {} failed\n",
            passed,
            all.len() - passed
        ));
        s
    }
}

/// Collects the checks of one section.
pub(crate) struct Recorder {
    checks: Vec<Check>,
}

impl Recorder {
    fn new() -> Recorder {
        Recorder { checks: Vec::new() }
    }

    pub(crate) fn record(&mut self, name: &str, started: Instant, passed: bool, detail: String) {
        self.checks.push(Check {
            name: name.to_string(),
            passed,
            detail,
            elapsed: started.elapsed(),
        });
    }
}

/// Runs the main job: every section against freshly started embedded references.
pub async fn run(
    opts: &RunOptions,
    mut progress: impl FnMut(&str),
) -> Result<RunSummary, RunError> {
    let mut summary = RunSummary::default();

    progress("reference smoke test");
    let token = uuid::Uuid::new_v4().to_string();
    let reference = RunningReference::start(ReferenceConfig {
        token: Some(token.clone()),
        ..ReferenceConfig::default()
    })
    .await?;
    let client = ScimClient::new(
        &reference.base_url,
        crate::client::Connection::bearer(token).direct(),
    )?;
    let mut rec = Recorder::new();
    let result = smoke::exercise(&client, opts, &mut rec).await;
    reference.stop().await;
    result?;
    summary.sections.push(Section {
        name: "reference smoke test".into(),
        checks: rec.checks,
        report: None,
    });

    progress("SCIM conformance suite");
    summary.sections.push(
        features_section(
            &opts.reports,
            "SCIM conformance suite",
            "scim",
            "conformance",
        )
        .await?,
    );

    progress("User Sync features and bulk demonstration");
    let mut usersync = features_section(&opts.reports, "User Sync", "usersync", "usersync").await?;
    usersync.checks.extend(usersync_demo(opts).await?);
    summary.sections.push(usersync);

    progress("domain verification features");
    summary.sections.push(
        features_section(
            &opts.reports,
            "Domain verification",
            "verification",
            "verification",
        )
        .await?,
    );

    progress("Okta's provisioning client");
    summary
        .sections
        .push(features_section(&opts.reports, "Okta's provisioning client", "okta", "okta").await?);

    progress("identity-provider features");
    let mut provider = features_section(
        &opts.reports,
        "Identity-provider provisioning",
        "provisioning",
        "provisioning",
    )
    .await?;
    progress("identity-provider simulation (the initial cycle at Entra's pace, then 36 cycles)");
    provider
        .checks
        .extend(simulation_checks(opts, Source::Entra).await?);
    progress("Okta simulation (24 h of churn, each change pushed as it happens, hourly imports)");
    provider
        .checks
        .extend(simulation_checks(opts, Source::Okta).await?);
    progress("directory connector simulation (24 h, 48 polls, User Sync behind it)");
    provider
        .checks
        .extend(simulation_checks(opts, Source::Adc).await?);
    summary.sections.push(provider);

    progress("load runs");
    summary.sections.push(load_section(opts).await?);

    summary.index = write_index(&opts.reports, &summary.sections).ok();
    Ok(summary)
}

/// Runs one folder of `features/` against a fresh embedded reference and writes its reports
/// as `<report>.html`, `.xml` and `.json`.
async fn features_section(
    reports: &Path,
    title: &str,
    folder: &str,
    report: &str,
) -> Result<Section, RunError> {
    let started = Instant::now();
    let opts = ConformanceOptions {
        built_in: Some(folder.to_string()),
        junit: Some(reports.join(format!("{report}.xml"))),
        json: Some(reports.join(format!("{report}.json"))),
        html: Some(reports.join(format!("{report}.html"))),
        ..Default::default()
    };
    let r = conformance::run(&opts).await?;
    let c = &r.counts;
    let mut rec = Recorder::new();
    rec.record(
        &format!("features/{folder}: every MUST scenario passes"),
        started,
        c.failed == 0 && r.errors.is_empty(),
        format!(
            "{} passed, {} failed, {} warnings, {} not offered, {} skipped",
            c.passed, c.failed, c.warnings, c.not_offered, c.skipped
        ),
    );
    Ok(Section {
        name: format!("{title} (features/{folder})"),
        checks: rec.checks,
        report: Some(format!("{report}.html")),
    })
}

/// The seed's throughput rule of thumb, measured: users joining ruled groups, and a single
/// membership change until the entitlement is visible.
async fn usersync_demo(opts: &RunOptions) -> Result<Vec<Check>, RunError> {
    use usersync_bench::{bulk_demo, latency_probe};
    let token = uuid::Uuid::new_v4().to_string();
    let reference = RunningReference::start(ReferenceConfig {
        token: Some(token.clone()),
        ..ReferenceConfig::default()
    })
    .await?;
    let mut rec = Recorder::new();
    let started = Instant::now();
    let bulk = bulk_demo(&reference.base_url, Some(&token), opts.usersync_users).await;
    let latency = latency_probe(&reference.base_url, Some(&token), 200).await;
    reference.stop().await;
    let bulk = bulk?;
    rec.record(
        "bulk: entitlements per minute beat the seed's baseline",
        started,
        bulk.times_baseline > 1.0,
        format!(
            "{} users, {} entitlements in {:.0} ms: {:.0}/min, {:.0}x the 1000-per-3-minutes baseline",
            bulk.users,
            bulk.entitlements,
            bulk.elapsed_ms,
            bulk.entitlements_per_minute,
            bulk.times_baseline
        ),
    );
    let latency = latency?;
    rec.record(
        "small change visible within seconds (p99)",
        started,
        latency.p99_ms < 2000.0,
        format!(
            "{} samples: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            latency.samples, latency.p50_ms, latency.p99_ms, latency.max_ms
        ),
    );
    Ok(rec.checks)
}

/// A simulated day of one source (the mock identity provider, or the directory connector
/// with User Sync behind it) against a fresh embedded reference.
async fn simulation_checks(opts: &RunOptions, source: Source) -> Result<Vec<Check>, RunError> {
    use crate::provisioning::sim::{EntraOptions, SourceOptions, TenantSource, report};
    use crate::provisioning::{SimOptions, simulate};
    let started = Instant::now();
    let source_options = match source {
        Source::Entra => SourceOptions::Entra(EntraOptions {
            map_manager: true,
            ..Default::default()
        }),
        Source::Adc => SourceOptions::Adc(Default::default()),
        Source::Okta => SourceOptions::Okta(Default::default()),
    };
    let sim = SimOptions {
        tenant: TenantSource::Generate {
            users: opts.sim_users,
            groups: (opts.sim_users / 20).max(1),
        },
        cycles: u32::try_from(24 * 60 / source_options.interval_minutes()).unwrap_or(36),
        churn: 0.01,
        source: source_options,
        ..SimOptions::default()
    };
    let r = simulate(&sim).await?;
    let (what, folder) = match source {
        Source::Entra => (
            "identity provider: 36 incremental cycles after the initial one, at Entra's pace",
            "simulation",
        ),
        Source::Adc => (
            "directory connector: simulated day (48 polls of 30 minutes), entitlements recomputed from scratch",
            "simulation-adc",
        ),
        Source::Okta => (
            "Okta: simulated day (36 rounds of churn, each change pushed at once, hourly imports)",
            "simulation-okta",
        ),
    };
    let dir = opts.reports.join(folder);
    let written = report::write(&r, &dir);
    let mut rec = Recorder::new();
    let usersync = r.usersync.as_ref().map_or(String::new(), |u| {
        format!(
            "; User Sync: {} entitlements checked, switch-on {:.0} entitlements/min",
            u.entitlements, u.entitlements_per_minute
        )
    });
    // The connector's day counts only if User Sync's entitlements were really compared.
    let compared =
        source != Source::Adc || r.usersync.as_ref().is_some_and(|u| u.users_checked > 0);
    // How long it all took on the simulated clock, and the initial cycle against the
    // published range (E-CY-03).
    let span = match (r.cycles.first(), r.cycles.last()) {
        (Some(a), Some(b)) => (b.sim_end - a.sim_start).num_minutes() as f64 / 60.0,
        _ => 0.0,
    };
    let okta = r.okta.as_ref().map_or(String::new(), |o| {
        format!(
            "; each change reached the target {} after it happened (median), {} imports",
            crate::provisioning::sim::report::millis_text(o.push_latency_p50_ms),
            o.imports.len()
        )
    });
    let initial = r.initial.as_ref().map_or(String::new(), |i| {
        format!(
            " (initial cycle {:.1} h, published {:.1} to {:.1} h)",
            i.simulated_minutes / 60.0,
            i.published_min_minutes / 60.0,
            i.published_max_minutes / 60.0
        )
    });
    rec.record(
        &format!("{what} converges"),
        started,
        r.converged() && compared,
        format!(
            "{} users, {} groups, {} {} over {span:.1} simulated hours{initial}{okta}, {:.1} s wall{usersync}; report {}",
            r.users,
            r.groups,
            r.cycles.len(),
            if source == Source::Okta { "rounds of pushes" } else { "cycles" },
            r.wall_seconds,
            dir.join("simulation.html").display()
        ),
    );
    if let Err(e) = written {
        rec.record("simulation report written", started, false, e);
    }
    Ok(rec.checks)
}

/// A short open-loop run of every load scenario against the embedded reference.
async fn load_section(opts: &RunOptions) -> Result<Section, RunError> {
    use crate::load::scenarios::ScenarioName;
    use crate::load::{LoadOptions, run as load_run};
    let mut rec = Recorder::new();
    for (scenario, rate) in [
        (ScenarioName::EntitlementsApi, 2000.0),
        (ScenarioName::EntitlementsE2e, 1000.0),
        (ScenarioName::ProviderCycle, 1000.0),
        (ScenarioName::ReadMix, 2000.0),
        (ScenarioName::OktaPush, 1000.0),
    ] {
        let started = Instant::now();
        let mut lo = LoadOptions::new(scenario, rate, opts.load_duration);
        let name = format!("{scenario:?}");
        lo.report_dir = Some(opts.reports.join("load").join(&name));
        let r = load_run(&lo).await?;
        let m = &r.metrics;
        rec.record(
            &format!("load {name} at {rate:.0}/s"),
            started,
            m.errors == 0 && m.completed > 0,
            format!(
                "{} ops, {:.0}/s, p50 {:.1} ms, p99 {:.1} ms (corrected), {} errors, {:.0} entitlements/min",
                m.completed,
                r.achieved_per_second,
                m.all.p50_us as f64 / 1000.0,
                m.all.p99_us as f64 / 1000.0,
                m.errors,
                r.entitlements_per_minute
            ),
        );
    }
    Ok(Section {
        name: "Load (open loop, embedded reference)".into(),
        checks: rec.checks,
        report: Some("load/".into()),
    })
}

/// Writes `index.html`: every section, its checks, and a link to its report.
fn write_index(dir: &Path, sections: &[Section]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let mut page = Page::new("scim-harness run", "scim-harness run");
    for sec in sections {
        page.section(&sec.name);
        if let Some(r) = &sec.report {
            page.html(&format!("<p><a href=\"{0}\">{0}</a></p>", escape(r)));
        }
        let mut table = Table::new(&["check", "result", "time", "detail"]).wide();
        for c in &sec.checks {
            let (class, result) = if c.passed {
                ("pass", "pass")
            } else {
                ("fail", "FAIL")
            };
            table.row([
                Cell::from(c.name.as_str()),
                Cell::with_class(result, class),
                Cell::from(format!("{:.1} ms", c.elapsed.as_secs_f64() * 1000.0)),
                Cell::from(c.detail.as_str()),
            ]);
        }
        page.table(&table);
    }
    let path = dir.join("index.html");
    std::fs::write(&path, page.finish())?;
    Ok(path)
}
