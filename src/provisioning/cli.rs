//! `scim-harness simulate`: its flags, the options they make, and the dispatch to the source
//! ([`simulate`]), which is the one place that knows both sources.

use super::faulty_target::Faults;
use super::requests::Compat;
use super::scoping::Scoping;
use super::sim::pace::Pace;
use super::sim::{
    self, AdcOptions, EntraOptions, MAX_CYCLES, OktaApp, OktaOptions, SimError, SimOptions,
    SimulationReport, Source, SourceOptions, TenantSource,
};
use anyhow::Context;
use std::path::PathBuf;

/// Runs a simulation of the source the options name.
pub async fn simulate(opts: &SimOptions) -> Result<SimulationReport, SimError> {
    if opts.cycles > MAX_CYCLES {
        return Err(SimError::Setup(format!(
            "{} cycles is more than the {MAX_CYCLES} a simulation runs",
            opts.cycles
        )));
    }
    match &opts.source {
        SourceOptions::Entra(entra) => super::entra::sim::simulate(opts, entra).await,
        SourceOptions::Adc(adc) => super::adc::sim::simulate(opts, adc).await,
        SourceOptions::Okta(okta) => super::okta::sim::simulate(opts, okta).await,
    }
}

/// Simulate a provisioning source against a SCIM target on a simulated clock (a day runs
/// in seconds): Microsoft Entra ID's provisioning service (an initial cycle, then one every
/// 40 minutes); with --idp okta Okta's client (every change pushed as it happens, an import
/// every hour, failed pushes left as tasks for an admin); or with --source adc the Active
/// Directory Connector v2 (a poll every 30 minutes, nested groups, custom attributes, User
/// Sync behind it). Directory churn comes every 40 minutes (30 for the connector). Ends with
/// a per-cycle table and a convergence check.
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// Who provisions: entra (Microsoft Entra ID), okta (Okta), or adc (Active Directory
    /// Connector v2). --idp is the same flag.
    #[arg(
        long,
        visible_alias = "idp",
        value_enum,
        ignore_case = true,
        default_value = "entra"
    )]
    pub source: Source,
    /// A tenant fixture (fixtures/tenants/*.json) instead of a generated one.
    #[arg(long, conflicts_with_all = ["users", "groups"])]
    pub tenant: Option<PathBuf>,
    /// Users of a generated tenant.
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
    /// Groups of a generated tenant.
    #[arg(long, default_value_t = 50)]
    pub groups: usize,
    /// Share of users changed per cycle (0.01 = 1 %).
    #[arg(long, default_value_t = 0.01)]
    pub churn: f64,
    /// Cycles after the initial one [default: 36, a day of 40-minute slots]. Each starts 40
    /// minutes after the previous one ended.
    #[arg(long, conflicts_with = "duration")]
    pub cycles: Option<u32>,
    /// Simulated duration, e.g. 24h, 90m, 2d, as a number of 40-minute cycles. A cycle longer
    /// than its slot (a large initial one at Entra's pace) pushes the rest later, so the
    /// run's simulated end can be past it.
    #[arg(long)]
    pub duration: Option<String>,
    /// Request shapes: default or aadoptscim062020.
    #[arg(long, value_enum, ignore_case = true, default_value = "default")]
    pub compat: Compat,
    /// Scoping file (JSON: scope, userFilters, groupFilters, skipOutOfScopeDeletions).
    #[arg(long)]
    pub scoping: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Folder for simulation.json, provisioning-logs.jsonl (one Graph provisioningObjectSummary
    /// per line), simulation.html and simulation-timeline.svg.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Entra's pace, simulated minutes per object: low (0.01) or high (0.08), the published
    /// range for an initial cycle with N = users + groups + memberships; target (only the
    /// target's own time counts, as before); or a number. [default: 0.03, the range's
    /// geometric middle, rounded]. An incremental cycle takes a fortieth of it per change,
    /// so at high 5,000 changes take the published 10 minutes. The target's time wins when
    /// it is longer.
    #[arg(long, value_parser = Pace::parse)]
    pub pace: Option<Pace>,
    /// Follow one user (its userName, or display name): when it was created and when each
    /// change reached the target, on the simulated clock.
    #[arg(long, value_name = "USER")]
    pub watch: Option<String>,
    /// Inject 10 % faults (429, 5xx, resets) in front of the embedded reference (entra, okta).
    #[arg(long)]
    pub faults: bool,
    /// (okta) The kind of app: oin (an Okta Integration Network app: PUT for profiles,
    /// PATCH to deactivate and for group pushes) or custom (made with the App Integration
    /// Wizard: PUT for everything). [default: oin]
    #[arg(long, value_enum, ignore_case = true)]
    pub okta_app: Option<OktaApp>,
    /// (okta) How often the scheduled import reads the app's users back, e.g. 1h, 6h, 1d,
    /// or never. [default: 1h, the most often Okta schedules one]
    #[arg(long, value_name = "DURATION")]
    pub import_every: Option<String>,
    /// Also map each user's manager (enterprise `manager`, set in the references phase
    /// after creates). Entra's generic SCIM app maps it; this product's defaults do not.
    #[arg(long)]
    pub map_manager: bool,
    /// (adc) Levels of nested groups under the selected top-level groups.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub levels: u32,
    /// (adc) A verified domain of the organization (repeatable). Without it the domains
    /// are read from the target's admin API; the embedded reference verifies the
    /// tenant's own domain.
    #[arg(long = "verified-domain")]
    pub verified_domains: Vec<String>,
    /// (adc) An organizational unit to sync, e.g. "OU=North,OU=People,DC=contoso,DC=example"
    /// (repeatable; a user's OU must end with one). Without it, every OU.
    #[arg(long = "ou")]
    pub organizational_units: Vec<String>,
    /// (adc) Minutes between two polls of the directory (unpublished; default 30).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=10080))]
    pub poll_minutes: u32,
    /// Where the target is and how to reach it (a heading of its own in --help).
    #[command(flatten)]
    pub target_args: crate::client::cli::TargetArgs,
}

impl SimulateArgs {
    /// The flags given that `source` does not read, with the sources that do: each would
    /// be silently ignored.
    fn foreign_flag(&self, source: Source) -> Option<(&'static str, &'static str)> {
        use Source::{Adc, Entra, Okta};
        let adc_default = AdcOptions::default();
        [
            ("--map-manager", self.map_manager, &[Entra][..], "entra"),
            ("--scoping", self.scoping.is_some(), &[Entra], "entra"),
            (
                "--compat",
                self.compat != Compat::Default,
                &[Entra],
                "entra",
            ),
            ("--pace", self.pace.is_some(), &[Entra], "entra"),
            ("--watch", self.watch.is_some(), &[Entra], "entra"),
            ("--faults", self.faults, &[Entra, Okta], "entra and okta"),
            ("--okta-app", self.okta_app.is_some(), &[Okta], "okta"),
            (
                "--import-every",
                self.import_every.is_some(),
                &[Okta],
                "okta",
            ),
            (
                "--levels",
                self.levels as usize != adc_default.levels,
                &[Adc],
                "adc",
            ),
            (
                "--verified-domain",
                !self.verified_domains.is_empty(),
                &[Adc],
                "adc",
            ),
            ("--ou", !self.organizational_units.is_empty(), &[Adc], "adc"),
            (
                "--poll-minutes",
                i64::from(self.poll_minutes) != adc_default.interval_minutes,
                &[Adc],
                "adc",
            ),
        ]
        .into_iter()
        .find_map(|(flag, set, readers, who)| {
            (set && !readers.contains(&source)).then_some((flag, who))
        })
    }

    /// The source's options. clap has no conflict that depends on another flag's value, so
    /// the one conflict it cannot declare is raised here as its own usage error.
    pub fn source_options(&self) -> Result<SourceOptions, clap::Error> {
        use clap::Args as _;
        if let Some((flag, who)) = self.foreign_flag(self.source) {
            let mut cmd = SimulateArgs::augment_args(clap::Command::new("simulate"))
                .bin_name("scim-harness simulate");
            let source = format!("{:?}", self.source).to_lowercase();
            return Err(cmd.error(
                clap::error::ErrorKind::ArgumentConflict,
                format!("the argument '{flag}' cannot be used with '--source {source}': it applies to --source {who} only"),
            ));
        }
        Ok(match self.source {
            Source::Entra => SourceOptions::Entra(EntraOptions {
                compat: self.compat,
                // Loaded in `options`: reading a file is not a usage error.
                scoping: Scoping::default(),
                map_manager: self.map_manager,
                faults: self.faults.then(Faults::ten_percent),
                pace: self.pace.unwrap_or_default(),
                watch: self.watch.clone(),
            }),
            Source::Adc => SourceOptions::Adc(AdcOptions {
                levels: self.levels as usize,
                verified_domains: (!self.verified_domains.is_empty())
                    .then(|| self.verified_domains.clone()),
                organizational_units: (!self.organizational_units.is_empty())
                    .then(|| self.organizational_units.clone()),
                interval_minutes: i64::from(self.poll_minutes),
            }),
            Source::Okta => SourceOptions::Okta(OktaOptions {
                app: self.okta_app.unwrap_or_default(),
                // Parsed in `options`, with the duration's own message.
                import_minutes: sim::DEFAULT_IMPORT_MINUTES,
                faults: self.faults.then(Faults::ten_percent),
            }),
        })
    }

    /// The simulation these flags ask for.
    pub fn options(&self, mut source: SourceOptions) -> anyhow::Result<SimOptions> {
        let interval = source.interval_minutes();
        let cycles = match (self.cycles, &self.duration) {
            (Some(c), _) => c,
            (None, Some(d)) => sim::minutes_in(d)
                .and_then(|m| u32::try_from(m / interval).ok())
                .with_context(|| format!("--duration '{d}': use e.g. 24h, 90m, 2d"))?,
            (None, None) => u32::try_from(24 * 60 / interval).unwrap_or(36),
        };
        anyhow::ensure!(
            cycles <= MAX_CYCLES,
            "{cycles} cycles is more than the {MAX_CYCLES} a simulation runs; shorten --duration or --cycles",
        );
        if let (SourceOptions::Entra(e), Some(p)) = (&mut source, &self.scoping) {
            e.scoping = Scoping::load(p)?;
        }
        if let (SourceOptions::Okta(o), Some(every)) = (&mut source, &self.import_every) {
            o.import_minutes = if every.eq_ignore_ascii_case("never") {
                0
            } else {
                sim::minutes_in(every).filter(|m| *m > 0).with_context(|| {
                    format!("--import-every '{every}': use e.g. 1h, 6h, 1d, or never")
                })?
            };
        }
        let (_, target_args) = crate::config::target_args(&self.target_args)?;
        Ok(SimOptions {
            source,
            target: target_args.target.clone(),
            connection: target_args.connection()?,
            tenant: match &self.tenant {
                Some(p) => TenantSource::File(p.clone()),
                None => TenantSource::Generate {
                    users: self.users,
                    groups: self.groups,
                },
            },
            churn: self.churn,
            cycles,
            seed: self.seed,
            ..Default::default()
        })
    }
}

/// Runs `simulate`: prints the cycle table, writes the report, exits 1 on divergence (and 2,
/// as clap does, on a flag the chosen source does not read).
pub async fn run(args: &SimulateArgs) -> anyhow::Result<()> {
    let source = args.source_options().unwrap_or_else(|e| e.exit());
    let opts = args.options(source)?;
    if opts.target.is_some() && opts.connection.is_insecure() {
        eprintln!("warning: {}", crate::report::INSECURE_NOTE);
    }
    let (opts, bar) = sim::with_progress(opts);
    let result = simulate(&opts).await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let result = result.context("simulation failed")?;
    print!("{}", sim::report::table(&result));
    if let Some(dir) = &args.report {
        sim::report::write(&result, dir)
            .map_err(anyhow::Error::msg)
            .context("writing the report")?;
        println!("report written to {}", dir.display());
    }
    if !result.converged() {
        std::process::exit(1);
    }
    Ok(())
}
