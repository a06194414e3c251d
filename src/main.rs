//! The `scim-harness` command line: parses options and hands over to the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use scim_harness::reference::config::{Limits, ReferenceConfig};
use scim_harness::reference::server::RunningReference;
use std::net::SocketAddr;

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
    Run {
        /// Users to create.
        #[arg(long, default_value_t = 2000)]
        users: usize,
        /// Groups to spread them over.
        #[arg(long, default_value_t = 20)]
        groups: usize,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Users in the simulated identity-provider tenant (a 24 h day of 40-minute cycles).
        #[arg(long, default_value_t = 10_000)]
        sim_users: usize,
        /// Users joining ruled groups in the User Sync bulk demonstration.
        #[arg(long, default_value_t = 10_000)]
        usersync_users: usize,
        /// Seconds of each load scenario's open-loop run.
        #[arg(long, default_value_t = 5)]
        load_seconds: u64,
    },
    /// Benchmark the reference: GET by id, filter by userName, member PATCH on a huge group,
    /// memory per user. Writes reports/bench-reference.json and .md.
    Bench {
        /// Users loaded for the request benchmarks.
        #[arg(long, default_value_t = 100_000)]
        users: usize,
        /// Members of the group the PATCH benchmark edits (at most --users).
        #[arg(long, default_value_t = 100_000)]
        group_members: usize,
        /// Users loaded for the memory measurement.
        #[arg(long, default_value_t = 1_000_000)]
        rss_users: usize,
        /// Seconds per measured endpoint.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Concurrent connections.
        #[arg(long, default_value_t = 32)]
        connections: usize,
        /// Where to write the report.
        #[arg(long, default_value = "reports")]
        report: std::path::PathBuf,
    },
    /// Run the Gherkin conformance suite (features/scim) against a SCIM service.
    ///
    /// Without --target it tests the embedded reference. Exit code 0: every MUST passed;
    /// 1: a MUST failed (or a SHOULD, with --fail-on should); 2: the target is unreachable or
    /// misconfigured, or the features cannot be read.
    Conformance {
        /// SCIM base URL of the service to test, e.g. https://host/scim/v2.
        #[arg(long)]
        target: Option<String>,
        /// Bearer token for the target.
        #[arg(long, env = "SCIM_HARNESS_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Cucumber tag expression selecting scenarios, e.g. "@R-FILTER and not @should".
        #[arg(long)]
        tags: Option<String>,
        /// rfc: strict RFC 7643/7644; entra-compat: the identity provider's request shapes.
        #[arg(long, value_enum, default_value = "all")]
        profile: ProfileArg,
        /// Folder of .feature files [default: features/scim].
        #[arg(long)]
        features: Option<std::path::PathBuf>,
        /// JUnit XML report.
        #[arg(long, default_value = "reports/conformance.xml")]
        junit: std::path::PathBuf,
        /// JSON report.
        #[arg(long, default_value = "reports/conformance.json")]
        json: std::path::PathBuf,
        /// HTML living-documentation report.
        #[arg(long, default_value = "reports/conformance.html")]
        html: std::path::PathBuf,
        /// Which failures fail the run.
        #[arg(long, value_enum, default_value = "must")]
        fail_on: FailOnArg,
        /// Scenarios run at once. Kept low by default: a server that is not thread-safe answers
        /// concurrent creates with resets and 500s, which would be findings the suite caused.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
    /// Open-loop load run: entitlements per minute and latency without coordinated omission.
    ///
    /// Operations are sent at their scheduled times whatever the target does, and latency is
    /// measured from that intended time. Without --target it loads the embedded reference.
    Load(Box<scim_harness::load::cli::LoadArgs>),
    /// Verify a domain (E-DV-02/03) against a given name server and/or web server, as the
    /// reference's verifier does; prints the outcome and why. Exit 0: verified; 1: not
    /// verified; 2: invalid input or no server given.
    VerifyDomain(scim_harness::verification::cli::VerifyDomainArgs),
    /// Start the fake name server and web server of the verification scenarios, print their
    /// addresses, and run until Ctrl-C.
    VerificationServers(scim_harness::verification::cli::VerificationServersArgs),
    /// Work with reports of earlier runs.
    Report {
        #[command(subcommand)]
        action: ReportAction,
    },
    /// A trivial HTTP endpoint (GET / and /hello) for comparing the load driver with wrk.
    #[command(hide = true)]
    HelloServer {
        /// Port to listen on, on 127.0.0.1 (0 picks a free one; the address is printed).
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
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
    Serve {
        /// Address to bind. Keep the default (loopback) unless you mean to expose it.
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        /// Port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Bearer token clients must send. Without one, authentication is off.
        #[arg(long, env = "SCIM_HARNESS_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Path prefix for the SCIM endpoints, e.g. /scim/v2.
        #[arg(long, default_value = "")]
        base_path: String,
        /// Strict RFC 7644 only: refuse Microsoft Entra ID's non-standard request shapes
        /// (capitalised ops, "True"/"False" strings, Remove with a value list).
        #[arg(long)]
        strict: bool,
        /// Largest page size (filter.maxResults); larger counts are capped.
        #[arg(long, default_value_t = Limits::default().max_results)]
        max_results: usize,
        /// Largest accepted request body in bytes (bulk.maxPayloadSize); 413 above it.
        #[arg(long, default_value_t = Limits::default().max_payload_size)]
        max_payload_size: usize,
        /// A filtered query matching more resources than this answers 400 tooMany.
        #[arg(long, default_value_t = Limits::default().max_filter_matches)]
        max_filter_matches: usize,
        /// Allow several groups with the same displayName.
        #[arg(long)]
        allow_duplicate_group_names: bool,
        /// Name server the domain verifier asks (ADDR:PORT), e.g. one started by
        /// `verification-servers`. Without it, domain verification answers "not configured".
        #[arg(long, value_name = "ADDR:PORT")]
        verify_dns: Option<SocketAddr>,
        /// Web server the domain verifier fetches http://<domain>/logmein-verification-code.txt
        /// from (ADDR:PORT), whatever the domain resolves to.
        #[arg(long, value_name = "ADDR:PORT")]
        verify_web: Option<SocketAddr>,
    },
}

#[derive(Debug, Subcommand)]
enum ReportAction {
    /// Merge HdrHistogram interval logs (e.g. of load shards) into exact combined percentiles.
    Merge {
        /// Interval log files written by `load --hdr-log`.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        /// Also write the merged percentiles as JSON here.
        #[arg(long)]
        json: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ProfileArg {
    Rfc,
    EntraCompat,
    All,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum FailOnArg {
    Must,
    Should,
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
async fn main() -> anyhow::Result<()> {
    init_tracing();
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            users,
            groups,
            concurrency,
            sim_users,
            usersync_users,
            load_seconds,
        } => {
            let opts = scim_harness::run::RunOptions {
                users,
                groups,
                concurrency,
                sim_users: sim_users.max(1),
                usersync_users: usersync_users.max(1),
                load_duration: std::time::Duration::from_secs(load_seconds.clamp(1, 30)),
                ..Default::default()
            };
            println!("scim-harness run: embedded reference, {users} users, {groups} groups");
            let quiet = std::env::var_os("CI").is_some();
            let summary = scim_harness::run::run(&opts, |step| {
                if !quiet {
                    eprintln!("run: {step}");
                }
            })
            .await
            .context("run failed")?;
            print!("{}", summary.table());
            if !summary.passed() {
                std::process::exit(1);
            }
        }
        Command::Bench {
            users,
            group_members,
            rss_users,
            seconds,
            connections,
            report,
        } => {
            let opts = scim_harness::bench::BenchOptions {
                users: users.max(1),
                group_members: group_members.min(users).max(1),
                rss_users: rss_users.max(1),
                duration: std::time::Duration::from_secs(seconds.max(1)),
                connections: connections.max(1),
                ..Default::default()
            };
            let result = scim_harness::bench::run(&opts, |step| eprintln!("bench: {step}"))
                .await
                .context("benchmark failed")?;
            std::fs::create_dir_all(&report)
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
        }
        Command::Conformance {
            target,
            token,
            tags,
            profile,
            features,
            junit,
            json,
            html,
            fail_on,
            concurrency,
        } => {
            use scim_harness::conformance::{self, ConformanceOptions, Profile};
            let opts = ConformanceOptions {
                target,
                token,
                features,
                tags,
                profile: match profile {
                    ProfileArg::Rfc => Profile::Rfc,
                    ProfileArg::EntraCompat => Profile::EntraCompat,
                    ProfileArg::All => Profile::All,
                },
                junit: Some(junit),
                json: Some(json),
                html: Some(html),
                fail_on: match fail_on {
                    FailOnArg::Must => scim_harness::report::FailOn::Must,
                    FailOnArg::Should => scim_harness::report::FailOn::Should,
                },
                concurrency: concurrency.max(1),
                echo: true,
            };
            match conformance::run(&opts).await {
                Ok(report) => {
                    print!("{}", conformance::summary(&report));
                    std::process::exit(conformance::exit_code(&report));
                }
                Err(e) => {
                    eprintln!("scim-harness conformance: {e}");
                    std::process::exit(2);
                }
            }
        }
        Command::VerifyDomain(args) => {
            std::process::exit(scim_harness::verification::cli::verify_domain(&args).await);
        }
        Command::VerificationServers(args) => {
            scim_harness::verification::cli::verification_servers(&args)
                .await
                .context("verification-servers")?;
        }
        Command::Load(args) => {
            scim_harness::load::cli::run(&args)
                .await
                .context("load run failed")?;
        }
        Command::Report {
            action: ReportAction::Merge { files, json },
        } => {
            scim_harness::load::cli::merge(&files, json.as_deref()).context("merge failed")?;
        }
        Command::HelloServer { port } => {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
                .await
                .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
            println!("hello server at http://{}/hello", listener.local_addr()?);
            scim_harness::load::hello::serve(listener, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("hello server failed")?;
        }
        Command::Simulate(args) => {
            scim_harness::provisioning::cli::run(&args).await?;
        }
        Command::Serve {
            host,
            port,
            token,
            base_path,
            strict,
            max_results,
            max_payload_size,
            max_filter_matches,
            allow_duplicate_group_names,
            verify_dns,
            verify_web,
        } => {
            let base_path = normalise_base_path(&base_path)?;
            let config = ReferenceConfig {
                token: token.filter(|t| !t.is_empty()),
                base_path,
                entra_compat: !strict,
                unique_group_names: !allow_duplicate_group_names,
                limits: Limits {
                    max_payload_size,
                    max_results: max_results.max(1),
                    max_filter_matches: max_filter_matches.max(1),
                    ..Limits::default()
                },
            };
            if config.token.is_none() {
                eprintln!("warning: no --token or SCIM_HARNESS_TOKEN: authentication is off");
            }
            let addr = SocketAddr::new(host, port);
            let server = RunningReference::start_with(
                config,
                std::sync::Arc::new(scim_harness::clock::SystemClock),
                addr,
            )
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
            if verify_dns.is_some() || verify_web.is_some() {
                let mut v = server.domains.verifier_config();
                v.dns = verify_dns.or(v.dns);
                v.web = verify_web.or(v.web);
                server.domains.set_verifier_config(v);
            }
            println!("SCIM 2.0 reference serving at {}/", server.base_url);
            tokio::signal::ctrl_c()
                .await
                .context("waiting for Ctrl-C")?;
            server.stop().await;
        }
    }
    Ok(())
}

/// `""`, `/`, `scim/v2`, `/scim/v2/` -> `""` or `/scim/v2`.
fn normalise_base_path(p: &str) -> anyhow::Result<String> {
    let trimmed = p.trim().trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    if trimmed
        .chars()
        .any(|c| c.is_whitespace() || c == '?' || c == '#' || c == '{' || c == '}')
    {
        anyhow::bail!("--base-path '{p}' is not a plain URL path");
    }
    Ok(format!("/{trimmed}"))
}

#[cfg(test)]
mod tests {
    use super::normalise_base_path;

    #[test]
    fn base_paths_are_normalised_or_refused() {
        for (given, want) in [
            ("", ""),
            ("/", ""),
            ("scim/v2", "/scim/v2"),
            ("/scim/v2/", "/scim/v2"),
            (" /v2 ", "/v2"),
        ] {
            assert_eq!(normalise_base_path(given).expect(given), want, "{given:?}");
        }
        for bad in ["/scim v2", "/scim?x=1", "/a#b", "/{id}"] {
            assert!(normalise_base_path(bad).is_err(), "{bad:?} is refused");
        }
    }
}
