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

/// What each exit code means, per command: a CI step branches on these. Usage errors (an
/// unknown flag, a bad value) are clap's and exit 2 everywhere.
mod exit {
    pub const RUN: &str = "Exit codes:\n  0  every check passed\n  1  a check failed (the summary says which)\n  2  the run could not start, or the command line is wrong";
    pub const BENCH: &str = "Exit codes:\n  0  the benchmarks ran and their reports were written\n  2  they could not run or the reports could not be written, or the command line is wrong";
    pub const CONFORMANCE: &str = "Exit codes:\n  0  every MUST passed (failures covered by an accepted deviation aside)\n  1  a MUST failed (or a SHOULD, with --fail-on should), including one whose accepted\n     deviation has expired\n  2  the suite could not run: the target is unreachable or refuses the credentials,\n     scim-harness.toml is wrong, the features cannot be read, or the command line is wrong";
    pub const LOAD: &str = "Exit codes:\n  0  the run completed (the target's errors are counted in the report, not here)\n  2  it could not run: bad options, the target unreachable or refusing the setup,\n     or a report that could not be written";
    pub const VERIFY_DOMAIN: &str = "Exit codes:\n  0  verified\n  1  not verified (the outcome says why)\n  2  the input is invalid or no server was given";
    pub const SERVERS: &str = "Exit codes:\n  0  stopped with Ctrl-C\n  2  could not start (e.g. a port in use), or the command line is wrong";
    pub const FEATURES: &str = "Exit codes:\n  0  listed or exported\n  2  the features could not be read or written (export never overwrites an edited\n     file without --force), or the command line is wrong";
    pub const REPORT: &str = "Exit codes:\n  0  merged\n  2  a log could not be read, the logs do not fit together, the JSON could not be\n     written, or the command line is wrong";
    pub const SIMULATE: &str = "Examples:\n  scim-harness simulate --users 10000 --groups 500 --duration 24h\n  scim-harness simulate --source adc --users 50000 --groups 2500 --duration 24h\n  scim-harness simulate --target https://app.example/scim/v2 --token T --cycles 3\n\nExit codes:\n  0  the target converged to what the directory says\n  1  it diverged (the convergence check says where)\n  2  the simulation could not run (target unreachable, bad options, report not\n     written), or the command line is wrong";
    pub const SERVE: &str = "Exit codes:\n  0  stopped with Ctrl-C\n  2  could not start (e.g. the port is in use, a bad base path), or the command line\n     is wrong";
}

/// Each command's description is the doc comment of its Args struct, beside its flags.
#[derive(Debug, Subcommand)]
enum Command {
    #[command(after_help = exit::RUN)]
    Run(run::cli::RunArgs),
    #[command(after_help = exit::BENCH)]
    Bench(bench::cli::BenchArgs),
    #[command(after_help = exit::CONFORMANCE)]
    Conformance(Box<conformance::cli::ConformanceArgs>),
    #[command(after_help = exit::LOAD)]
    Load(Box<load::cli::LoadArgs>),
    #[command(after_help = exit::VERIFY_DOMAIN)]
    VerifyDomain(verification::cli::VerifyDomainArgs),
    #[command(after_help = exit::SERVERS)]
    VerificationServers(verification::cli::VerificationServersArgs),
    #[command(after_help = exit::FEATURES)]
    Features(features::cli::FeaturesArgs),
    #[command(after_help = exit::REPORT)]
    Report(load::cli::ReportArgs),
    #[command(hide = true)]
    HelloServer(load::cli::HelloServerArgs),
    #[command(after_help = exit::SIMULATE)]
    Simulate(Box<scim_harness::provisioning::cli::SimulateArgs>),
    #[command(after_help = exit::SERVE)]
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
async fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    let done: anyhow::Result<()> = match cli.command {
        Command::Run(args) => match run::cli::run(&args).await {
            Ok(code) => return code,
            Err(e) => Err(e),
        },
        Command::Bench(args) => bench::cli::run(&args).await,
        Command::Conformance(args) => return conformance::cli::run(&args).await,
        Command::VerifyDomain(args) => {
            // 0, 1 or 2.
            let code = verification::cli::verify_domain(&args).await;
            return ExitCode::from(u8::try_from(code).unwrap_or(2));
        }
        Command::VerificationServers(args) => verification::cli::verification_servers(&args)
            .await
            .context("verification-servers"),
        Command::Load(args) => load::cli::run(&args)
            .await
            .map(|_| ())
            .context("load run failed"),
        Command::Report(args) => load::cli::report(&args),
        Command::HelloServer(args) => load::cli::hello_server(&args).await,
        Command::Simulate(args) => scim_harness::provisioning::cli::run(&args).await,
        Command::Serve(args) => reference::cli::serve(&args).await,
        Command::Features(args) => features::cli::run(&args),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        // Could not run: 2, as documented in each command's help (1 means "judged and failed").
        Err(e) => {
            eprintln!("Error: {}", explain(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line, each cause once: many of our errors already quote
/// their source in their own message.
fn explain(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
    }
    text
}
