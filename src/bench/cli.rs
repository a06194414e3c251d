//! The `bench` command: its options and the report files it writes. `main.rs` only parses and
//! hands over here.

use anyhow::Context;
use std::path::PathBuf;

/// Benchmark the reference: GET by id, filter by userName, member PATCH on a huge group,
/// memory per user. Writes reports/bench-reference.json and .md.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Users loaded for the request benchmarks.
    #[arg(long, default_value_t = 100_000)]
    pub users: usize,
    /// Members of the group the PATCH benchmark edits (at most --users).
    #[arg(long, default_value_t = 100_000)]
    pub group_members: usize,
    /// Users loaded for the memory measurement.
    #[arg(long, default_value_t = 1_000_000)]
    pub rss_users: usize,
    /// Seconds per measured endpoint.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Where to write the report.
    #[arg(long, default_value = "reports")]
    pub report: PathBuf,
}

/// Runs `scim-harness bench`: writes the Markdown and JSON reports and prints the Markdown.
pub async fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let opts = super::BenchOptions {
        users: args.users.max(1),
        group_members: args.group_members.min(args.users).max(1),
        rss_users: args.rss_users.max(1),
        duration: std::time::Duration::from_secs(args.seconds.max(1)),
        connections: args.connections.max(1),
        ..Default::default()
    };
    let result = super::run(&opts, |step| eprintln!("bench: {step}"))
        .await
        .context("benchmark failed")?;
    let report = &args.report;
    std::fs::create_dir_all(report)
        .with_context(|| format!("cannot create {}", report.display()))?;
    let md = result.markdown();
    std::fs::write(report.join("bench-reference.md"), &md)
        .context("writing the Markdown report")?;
    std::fs::write(
        report.join("bench-reference.json"),
        serde_json::to_string_pretty(&result)?,
    )
    .context("writing the JSON report")?;
    print!("{md}");
    Ok(())
}
