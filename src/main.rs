//! The `scim-harness` command line: parses options and hands over to the command's module.

use anyhow::Context;
use clap::{Parser, Subcommand};
use scim_harness::{bench, conformance, features, load, reference, run, verification};
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
#[command(
    name = "scim-harness",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("SCIM_HARNESS_COMMIT"), ")"),
    propagate_version = true
)]
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
    /// List the Gherkin scenarios (with tags and levels), or export the built-in features to a
    /// folder to read and edit.
    ///
    /// The features are compiled into the binary: `conformance` and `run` use them from any
    /// directory; `conformance --features DIR` runs an edited copy instead.
    Features(features::cli::FeaturesArgs),
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
    Simulate(Box<scim_harness::provisioning::cli::SimulateArgs>),
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
        Command::Simulate(args) => {
            scim_harness::provisioning::cli::run(&args).await?;
        }
        Command::Serve(args) => reference::cli::serve(&args).await?,
        Command::Features(args) => features::cli::run(&args)?,
    }
    Ok(ExitCode::SUCCESS)
}
