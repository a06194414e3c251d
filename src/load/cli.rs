//! The `load`, `report` and `hello-server` commands' options, parsed by clap in `main.rs` and
//! handled here (the load flags become `LoadOptions`), so the binary stays a thin shell and
//! tests can build the same options.

use super::scenarios::ScenarioName;
use super::schedule::{RateProfile, Shard, parse_duration, parse_rate};
use super::{LoadError, LoadOptions, LoadReport, ScenarioConfigOptions};
use std::path::PathBuf;

/// Open-loop load run: entitlements per minute and latency without coordinated omission.
///
/// Operations are sent at their scheduled times whatever the target does (open loop), and
/// latency is measured from that intended time, so queueing in the target shows in the
/// percentiles (no coordinated omission). Without --target the embedded reference is started in
/// this process.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// What each operation does.
    #[arg(long, value_enum)]
    pub scenario: ScenarioName,
    /// Constant target rate for the whole schedule, all shards together: operations per second
    /// (2000), or a count per unit as vegeta and k6 write it: 2000/s, 120000/m, 50/100ms.
    #[arg(long, default_value = "100/s")]
    pub rate: String,
    /// Linear ramp FROM:TO over --duration (instead of --rate), each a rate as for --rate,
    /// e.g. 100:5000 or 6000/m:300000/m.
    #[arg(long, conflicts_with = "steps")]
    pub ramp: Option<String>,
    /// Steps RATE@DURATION,... e.g. 100@10s,30000/m@10s (instead of --rate); the run lasts
    /// their sum unless --duration is given.
    #[arg(long)]
    pub steps: Option<String>,
    /// Run length: 30s, 2m, 1500ms [default: 10s, or the sum of --steps].
    #[arg(long)]
    pub duration: Option<String>,
    /// At most this many operations in the whole schedule.
    #[arg(long)]
    pub max_ops: Option<u64>,
    /// Most operations in flight at once (and pooled keep-alive connections).
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Run slice i of N of the schedule (operations k with k % N == i), e.g. 3/16.
    #[arg(long, default_value = "0/1")]
    pub shard: String,
    /// Folder for the JSON, HTML and SVG report.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Write an HdrHistogram V2 interval log here (merge shards with `report merge`).
    #[arg(long)]
    pub hdr_log: Option<PathBuf>,
    /// Users created before the measured window (per shard).
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
    /// Groups created before the measured window (per shard).
    #[arg(long, default_value_t = 10)]
    pub groups: usize,
    /// Entitlements granted by one entitlements operation.
    #[arg(long, default_value_t = 1)]
    pub entitlements_per_op: usize,
    /// Members added by one group PATCH (provider-cycle).
    #[arg(long, default_value_t = 10)]
    pub member_batch: usize,
    /// entitlements-e2e: how long to wait for a change to become visible.
    #[arg(long, default_value = "5s")]
    pub visibility_timeout: String,
    /// entitlements-e2e: polling interval when the target has no applied-sequence wait.
    #[arg(long, default_value = "5ms")]
    pub poll_interval: String,
    /// How long after the schedule ends in-flight operations may still finish.
    #[arg(long, default_value = "5s")]
    pub drain: String,
    /// HTTP engine: auto = one keep-alive connection per worker for http://, reqwest (HTTP/2
    /// via ALPN) for https://; reqwest = reqwest's shared pool for every target. The lanes
    /// connect directly, so when a proxy from the environment applies to the target
    /// (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, not excluded by NO_PROXY; lower case too), auto
    /// uses reqwest, through the proxy, and the report says so.
    #[arg(long, value_enum, default_value = "auto")]
    pub http_engine: super::http::HttpEngine,
    /// No live progress line (it is also off when not on a terminal or when CI is set).
    #[arg(long)]
    pub quiet: bool,
    /// Where the target is and how to reach it (a heading of its own in --help).
    #[command(flatten)]
    pub target_args: crate::client::cli::TargetArgs,
}

impl LoadArgs {
    /// The run options these flags describe.
    pub fn options(&self) -> Result<LoadOptions, LoadError> {
        let (_, target_args) = crate::config::target_args(&self.target_args)?;
        let connection = target_args.connection()?;
        let request_timeout = connection.request_timeout_or(std::time::Duration::from_secs(10));
        let (profile, natural) = match (&self.ramp, &self.steps) {
            (_, Some(steps)) => {
                let p = RateProfile::parse_steps(steps)?;
                let total = match &p {
                    RateProfile::Steps(s) => s.iter().map(|(_, d)| *d).sum(),
                    _ => std::time::Duration::from_secs(10),
                };
                (p, Some(total))
            }
            (Some(ramp), None) => {
                let d = parse_duration(self.duration.as_deref().unwrap_or("10s"))?;
                (RateProfile::parse_ramp(ramp, d)?, None)
            }
            (None, None) => (RateProfile::constant(parse_rate(&self.rate)?)?, None),
        };
        let duration = match (&self.duration, natural) {
            (Some(d), _) => parse_duration(d)?,
            (None, Some(n)) => n,
            (None, None) => std::time::Duration::from_secs(10),
        };
        Ok(LoadOptions {
            scenario: self.scenario,
            target: target_args.target.clone(),
            connection,
            profile,
            duration,
            max_ops: self.max_ops,
            connections: self.connections.max(1),
            shard: Shard::parse(&self.shard)?,
            report_dir: self.report.clone(),
            hdr_log: self.hdr_log.clone(),
            sizes: ScenarioConfigOptions {
                users: self.users.max(1),
                groups: self.groups.max(1),
                entitlements_per_op: self.entitlements_per_op.max(1),
                member_batch: self.member_batch.max(1),
                visibility_timeout: parse_duration(&self.visibility_timeout)?,
                poll_interval: parse_duration(&self.poll_interval)?,
            },
            request_timeout,
            drain: parse_duration(&self.drain)?,
            progress: !self.quiet,
            http: self.http_engine,
        })
    }
}

/// Runs `scim-harness load` and prints the summary table.
pub async fn run(args: &LoadArgs) -> Result<LoadReport, LoadError> {
    let opts = args.options()?;
    if opts.target.is_some() && opts.connection.is_insecure() {
        eprintln!("warning: {}", crate::report::INSECURE_NOTE);
    }
    let report = super::run(&opts).await?;
    print!("{}", super::report::summary(&report));
    if let Some(dir) = &opts.report_dir {
        println!(
            "\nReport: {}",
            dir.join(format!("{}.html", super::report::stem(&report)))
                .display()
        );
    }
    Ok(report)
}

/// `scim-harness report merge FILES…`: prints the merged percentiles and optionally writes
/// them as JSON.
pub fn merge(
    files: &[PathBuf],
    json: Option<&std::path::Path>,
) -> Result<super::merge::MergeReport, super::merge::MergeError> {
    let merged = super::merge::merge_files(files)?.report();
    print!("{}", merged.table());
    if let Some(path) = json {
        let body = serde_json::to_string_pretty(&merged).unwrap_or_default();
        std::fs::write(path, body).map_err(|source| super::merge::MergeError::Write {
            path: path.to_path_buf(),
            source,
        })?;
    }
    Ok(merged)
}

/// Work with reports of earlier runs (today: merge the load's HdrHistogram logs).
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub action: ReportAction,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum ReportAction {
    /// Merge HdrHistogram interval logs (e.g. of load shards) into exact combined percentiles.
    #[command(
        after_help = "Exit codes:\n  0  merged\n  2  a log could not be read, the logs do not fit together, the JSON could not be\n     written, or the command line is wrong"
    )]
    Merge {
        /// Interval log files written by `load --hdr-log`.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also write the merged percentiles as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

/// Runs `scim-harness report ACTION`.
pub fn report(args: &ReportArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    match &args.action {
        ReportAction::Merge { files, json } => {
            merge(files, json.as_deref()).context("merge failed")?;
        }
    }
    Ok(())
}

/// `scim-harness hello-server`: the trivial endpoint the load driver is compared with wrk on.
#[derive(Debug, Clone, clap::Args)]
pub struct HelloServerArgs {
    /// Port to listen on, on 127.0.0.1 (0 picks a free one; the address is printed).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
}

/// Runs `scim-harness hello-server` until Ctrl-C.
pub async fn hello_server(args: &HelloServerArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    let port = args.port;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    println!("hello server at http://{}/hello", listener.local_addr()?);
    super::hello::serve(listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("hello server failed")?;
    Ok(())
}
