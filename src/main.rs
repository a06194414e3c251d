//! The `scim-harness` command line: parses options and hands over to the command's module.

use anyhow::Context;
use clap::{Parser, Subcommand};
use scim_harness::{bench, conformance, load, reference, run, verification};
use std::process::ExitCode;

/// mimalloc instead of the system allocator: the reference and the drivers allocate small JSON
/// buffers on every request, and mimalloc measurably raises requests per second for that load
/// (see reports/bench-reference.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Conformance tests and load simulation for SCIM 2.0 provisioning and User Sync.
///
/// Without a target, every command runs against the embedded reference implementation, a
/// complete in-memory SCIM 2.0 service provider started on a loopback port.

#[derive(Debug, Parser)]
#[command(name = "scim-harness", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the embedded reference, exercise it end to end, and print a summary.
    ///
    /// Exits non-zero if any check fails.
    Run(run::cli::RunArgs),
    /// Benchmark the reference: GET by id, filter by userName, member PATCH on a huge group,
    /// memory per user. Writes reports/bench-reference.json and .md.
    Bench(bench::cli::BenchArgs),
    /// Run the Gherkin conformance suite (features/scim) against a SCIM service.
    ///
    /// Without --target it tests the embedded reference. Exit code 0: every MUST passed;
    /// 1: a MUST failed (or a SHOULD, with --fail-on should); 2: the target is unreachable or
    /// misconfigured, or the features cannot be read.
    Conformance(Box<conformance::cli::ConformanceArgs>),
    /// Open-loop load run: entitlements per minute and latency without coordinated omission.
    ///
    /// Operations are sent at their scheduled times whatever the target does, and latency is
    /// measured from that intended time. Without --target it loads the embedded reference.
    Load(Box<load::cli::LoadArgs>),
    /// Verify a domain (E-DV-02/03) against a given name server and/or web server, as the
    /// reference's verifier does; prints the outcome and why. Exit 0: verified; 1: not
    /// verified; 2: invalid input or no server given.
    VerifyDomain(verification::cli::VerifyDomainArgs),
    /// Start the fake name server and web server of the verification scenarios, print their
    /// addresses, and run until Ctrl-C.
    VerificationServers(verification::cli::VerificationServersArgs),
    /// Work with reports of earlier runs.
    Report(load::cli::ReportArgs),
    /// A trivial HTTP endpoint (GET / and /hello) for comparing the load driver with wrk.
    #[command(hide = true)]
    HelloServer(load::cli::HelloServerArgs),
    /// Simulate a provisioning source against a SCIM target on a simulated clock (a day runs
    /// in seconds): Microsoft Entra ID's provisioning service (an initial cycle, then one every
    /// 40 minutes), or with --source adc the Active Directory Connector v2 (a poll every 30
    /// minutes, nested groups, custom attributes, User Sync behind it). Directory churn comes
    /// between cycles. Ends with a per-cycle table and a convergence check; exits 1 when the
    /// target diverges from what the directory says.
    #[command(after_help = "Examples:\n  \
        scim-harness simulate --users 10000 --groups 500 --duration 24h\n  \
        scim-harness simulate --source adc --users 50000 --groups 2500 --duration 24h\n  \
        scim-harness simulate --target https://app.example/scim/v2 --token T --cycles 3")]
    Simulate {
        /// Who provisions: entra (Microsoft Entra ID) or adc (Active Directory Connector v2).
        #[arg(long, value_enum, ignore_case = true, default_value = "entra")]
        source: scim_harness::provisioning::sim::Source,
        /// SCIM base URL of the service to provision; without it, the embedded reference.
        #[arg(long)]
        target: Option<String>,
        /// Bearer token for the target.
        #[arg(long, env = "SCIM_HARNESS_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// A tenant fixture (fixtures/tenants/*.json) instead of a generated one.
        #[arg(long, conflicts_with_all = ["users", "groups"])]
        tenant: Option<std::path::PathBuf>,
        /// Users of a generated tenant.
        #[arg(long, default_value_t = 1000)]
        users: usize,
        /// Groups of a generated tenant.
        #[arg(long, default_value_t = 50)]
        groups: usize,
        /// Share of users changed per cycle (0.01 = 1 %).
        #[arg(long, default_value_t = 0.01)]
        churn: f64,
        /// Cycles after the initial one (36 = 24 h).
        #[arg(long, conflicts_with = "duration")]
        cycles: Option<u32>,
        /// Simulated duration, e.g. 24h, 90m, 2d (one cycle per 40 minutes).
        #[arg(long)]
        duration: Option<String>,
        /// Request shapes: default or aadoptscim062020.
        #[arg(long, value_enum, ignore_case = true, default_value = "default")]
        compat: scim_harness::provisioning::requests::Compat,
        /// Scoping file (JSON: scope, userFilters, groupFilters, skipOutOfScopeDeletions).
        #[arg(long)]
        scoping: Option<std::path::PathBuf>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Folder for simulation.json, simulation.html and simulation-timeline.svg.
        #[arg(long)]
        report: Option<std::path::PathBuf>,
        /// Inject 10 % faults (429, 5xx, resets) in front of the embedded reference.
        #[arg(long)]
        faults: bool,
        /// Also map each user's manager (enterprise `manager`, set in the references phase
        /// after creates). Entra's generic SCIM app maps it; this product's defaults do not.
        #[arg(long)]
        map_manager: bool,
        /// (adc) Levels of nested groups under the selected top-level groups.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=10))]
        levels: u32,
        /// (adc) A verified domain of the organization (repeatable). Without it the domains
        /// are read from the target's admin API; the embedded reference verifies the
        /// tenant's own domain.
        #[arg(long = "verified-domain")]
        verified_domains: Vec<String>,
        /// (adc) An organizational unit to sync, e.g. "OU=North,OU=People,DC=contoso,DC=example"
        /// (repeatable; a user's OU must end with one). Without it, every OU.
        #[arg(long = "ou")]
        organizational_units: Vec<String>,
        /// (adc) Minutes between two polls of the directory (unpublished; default 30).
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=10080))]
        poll_minutes: u32,
    },
    /// Serve the reference SCIM 2.0 service provider.
    ///
    /// The SCIM endpoints are at http://HOST:PORT/BASE-PATH, by default at the root:
    /// http://127.0.0.1:8080/Users, /Groups, /ServiceProviderConfig, /Schemas,
    /// /ResourceTypes, /Bulk, /.search. Stop with Ctrl-C.
    Serve(Box<reference::cli::ServeArgs>),
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    init_tracing();
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => return run::cli::run(&args).await,
        Command::Bench(args) => bench::cli::run(&args).await?,
        Command::Conformance(args) => return Ok(conformance::cli::run(&args).await),
        Command::VerifyDomain(args) => {
            // 0, 1 or 2.
            let code = verification::cli::verify_domain(&args).await;
            return Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)));
        }
        Command::VerificationServers(args) => {
            verification::cli::verification_servers(&args)
                .await
                .context("verification-servers")?;
        }
        Command::Load(args) => {
            load::cli::run(&args).await.context("load run failed")?;
        }
        Command::Report(args) => load::cli::report(&args)?,
        Command::HelloServer(args) => load::cli::hello_server(&args).await?,
        Command::Simulate {
            target,
            token,
            tenant,
            users,
            groups,
            churn,
            cycles,
            duration,
            compat,
            scoping,
            seed,
            report,
            faults,
            map_manager,
            source,
            levels,
            verified_domains,
            organizational_units,
            poll_minutes,
        } => {
            use scim_harness::provisioning::sim::{self, AdcSettings, Source, TenantSource};
            if source == Source::Adc {
                // The connector has its own mappings and pushes RFC shapes: these would be
                // silently ignored.
                let entra_only = [
                    ("--map-manager", map_manager),
                    ("--scoping", scoping.is_some()),
                    ("--faults", faults),
                    (
                        "--compat",
                        compat != scim_harness::provisioning::requests::Compat::Default,
                    ),
                ];
                if let Some((flag, _)) = entra_only.iter().find(|(_, set)| *set) {
                    anyhow::bail!("{flag} applies to --source entra only");
                }
            }
            let adc = AdcSettings {
                levels: levels as usize,
                verified_domains: (!verified_domains.is_empty()).then_some(verified_domains),
                organizational_units: (!organizational_units.is_empty())
                    .then_some(organizational_units),
                interval_minutes: i64::from(poll_minutes),
            };
            let interval = source.interval_minutes(&adc);
            let cycles = match (cycles, duration) {
                (Some(c), _) => c,
                (None, Some(d)) => sim::minutes_in(&d)
                    .and_then(|m| u32::try_from(m / interval).ok())
                    .with_context(|| format!("--duration '{d}': use e.g. 24h, 90m, 2d"))?,
                (None, None) => u32::try_from(24 * 60 / interval).unwrap_or(36),
            };
            anyhow::ensure!(
                cycles <= sim::MAX_CYCLES,
                "{cycles} cycles is more than the {} a simulation runs; shorten --duration or --cycles",
                sim::MAX_CYCLES
            );
            let scoping = match scoping {
                Some(p) => scim_harness::provisioning::scoping::Scoping::load(&p)?,
                None => Default::default(),
            };
            let opts = sim::SimOptions {
                source,
                adc,
                target,
                token: token.filter(|t| !t.is_empty()),
                tenant: match tenant {
                    Some(p) => TenantSource::File(p),
                    None => TenantSource::Generate { users, groups },
                },
                churn,
                cycles,
                compat,
                scoping,
                map_manager,
                seed,
                faults: faults.then(scim_harness::provisioning::faulty_target::Faults::ten_percent),
                ..Default::default()
            };
            let (opts, bar) = sim::with_progress(opts);
            let result = sim::simulate(&opts).await;
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            let result = result.context("simulation failed")?;
            print!("{}", scim_harness::provisioning::report::table(&result));
            if let Some(dir) = report {
                scim_harness::provisioning::report::write(&result, &dir)
                    .map_err(anyhow::Error::msg)
                    .context("writing the report")?;
                println!("report written to {}", dir.display());
            }
            if !result.converged() {
                std::process::exit(1);
            }
        }
        Command::Serve(args) => reference::cli::serve(&args).await?,
    }
    Ok(ExitCode::SUCCESS)
}
