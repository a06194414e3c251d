//! The `run` command: its options and the printed summary. `main.rs` only parses and hands
//! over here.

use anyhow::Context;
use std::process::ExitCode;

/// Start the embedded reference, exercise it end to end, and print a summary.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Users to create.
    #[arg(long, default_value_t = 2000)]
    pub users: usize,
    /// Groups to spread them over.
    #[arg(long, default_value_t = 20)]
    pub groups: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Users in the simulated identity-provider tenant (a 24 h day of 40-minute cycles).
    #[arg(long, default_value_t = 10_000)]
    pub sim_users: usize,
    /// Users joining ruled groups in the User Sync bulk demonstration.
    #[arg(long, default_value_t = 10_000)]
    pub usersync_users: usize,
    /// Seconds of each load scenario's open-loop run.
    #[arg(long, default_value_t = 5)]
    pub load_seconds: u64,
}

/// Runs `scim-harness run`; exit code 1 when a check failed.
pub async fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let opts = super::RunOptions {
        users: args.users,
        groups: args.groups,
        concurrency: args.concurrency,
        sim_users: args.sim_users.max(1),
        usersync_users: args.usersync_users.max(1),
        load_duration: std::time::Duration::from_secs(args.load_seconds.clamp(1, 30)),
        ..Default::default()
    };
    println!(
        "scim-harness run: embedded reference, {} users, {} groups",
        args.users, args.groups
    );
    // CI logs keep the summary only.
    let quiet = std::env::var_os("CI").is_some();
    let summary = super::run(&opts, |step| {
        if !quiet {
            eprintln!("run: {step}");
        }
    })
    .await
    .context("run failed")?;
    print!("{}", summary.table());
    Ok(if summary.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
