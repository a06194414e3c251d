//! The `verify-domain` and `verification-servers` commands. `main.rs` only parses these
//! arguments and hands over, so tests can run the commands with `Args::parse_from`.

use super::dns::{DnsZone, FakeDns};
use super::outcome::{FILE_PATH, RECORD_PREFIX};
use super::verifier::{Methods, VerifierConfig, verify};
use super::web::{FakeWeb, WebFile};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Verify a domain (E-DV-02/03) against a given name server and/or web server, as the
/// reference's verifier does; prints the outcome and why.
#[derive(Debug, Clone, clap::Args)]
pub struct VerifyDomainArgs {
    /// The domain (or subdomain) to verify, e.g. acme.example.
    pub domain: String,
    /// The verification code (a UUID) the record or file must carry.
    #[arg(long)]
    pub code: String,
    /// Name server to ask for the TXT record, IP:PORT (never the system resolver).
    #[arg(long)]
    pub dns: Option<SocketAddr>,
    /// Web server every http://<domain> request goes to, IP:PORT. Without it, the domain's
    /// address is looked up through --dns.
    #[arg(long)]
    pub web: Option<SocketAddr>,
    /// dns, web or any (DNS first, then the file).
    #[arg(long, value_enum, default_value = "any")]
    pub method: MethodArg,
    /// Milliseconds to wait for one DNS query, and for the web request.
    #[arg(long, default_value_t = 3000)]
    pub timeout_ms: u64,
    /// Print the result as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum MethodArg {
    Dns,
    Web,
    Any,
}

/// Runs `verify-domain` and returns the exit code.
pub async fn verify_domain(args: &VerifyDomainArgs) -> i32 {
    if args.dns.is_none() && args.web.is_none() {
        eprintln!(
            "verify-domain: give --dns IP:PORT and/or --web IP:PORT (the system resolver is never used)"
        );
        return 2;
    }
    let timeout = Duration::from_millis(args.timeout_ms.clamp(10, 120_000));
    let cfg = VerifierConfig {
        dns: args.dns,
        web: args.web,
        dns_timeout: timeout,
        web_timeout: timeout,
        ..Default::default()
    };
    let methods = match args.method {
        MethodArg::Dns => Methods::Dns,
        MethodArg::Web => Methods::Web,
        MethodArg::Any => Methods::Any,
    };
    let v = verify(&args.domain, &args.code, methods, &cfg).await;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
        );
    } else {
        println!("[{}] {}", v.code, v.explanation);
        if v.checks.len() > 1 || v.checks.first().is_some_and(|c| c.code != v.code) {
            for c in &v.checks {
                println!(
                    "  {} check [{}] {}",
                    c.method.as_str(),
                    c.code,
                    c.explanation
                );
            }
        }
    }
    match v.code {
        "verified" => 0,
        "invalid-domain" | "invalid-code" | "not-configured" => 2,
        _ => 1,
    }
}

/// Start a fake name server and web server for trying `verify-domain` by hand.
///
/// The name server serves a root zone (any name can be published) on UDP and TCP of one
/// loopback port; the web server answers http://<domain>/logmein-verification-code.txt per
/// Host header. Runs until Ctrl-C.
#[derive(Debug, Clone, clap::Args)]
pub struct VerificationServersArgs {
    /// A zone file (RFC 1035 master format) to load, e.g. fixtures/verification/example.zone.
    #[arg(long)]
    pub zone: Option<PathBuf>,
    /// The origin `@` stands for when the zone file has no $ORIGIN.
    #[arg(long)]
    pub origin: Option<String>,
    /// Port for the name server (UDP and TCP); 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub dns_port: u16,
    /// Port for the web server; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub web_port: u16,
    /// Serve the verification file for DOMAIN=CODE (repeatable).
    #[arg(long = "web-file", value_name = "DOMAIN=CODE")]
    pub web_files: Vec<String>,
}

/// The running servers of `verification-servers`.
#[derive(Debug)]
pub struct RunningFakes {
    pub dns: FakeDns,
    pub web: FakeWeb,
    /// Records loaded from the zone file.
    pub loaded: usize,
}

/// Errors of `verification-servers` (bad zone file, ports taken).
#[derive(Debug, thiserror::Error)]
pub enum ServersError {
    #[error(transparent)]
    Dns(#[from] super::dns::DnsServerError),
    #[error("cannot bind the web server: {0}")]
    Web(#[from] std::io::Error),
    #[error("--web-file '{0}' is not DOMAIN=CODE")]
    WebFile(String),
}

/// Starts the servers `verification-servers` describes (what the command runs until Ctrl-C).
pub async fn start_fakes(args: &VerificationServersArgs) -> Result<RunningFakes, ServersError> {
    let zone = DnsZone::new();
    let loaded = match &args.zone {
        Some(path) => zone.load_zone_file(path, args.origin.as_deref()).await?,
        None => 0,
    };
    let dns = FakeDns::start_on(args.dns_port, zone).await?;
    let listener = std::net::TcpListener::bind(("127.0.0.1", args.web_port))?;
    let web = FakeWeb::start_on(listener).await;
    for spec in &args.web_files {
        let (domain, code) = spec
            .split_once('=')
            .ok_or_else(|| ServersError::WebFile(spec.clone()))?;
        web.set(
            domain.trim(),
            WebFile::body(format!("{RECORD_PREFIX}{}", code.trim())),
        );
    }
    Ok(RunningFakes { dns, web, loaded })
}

/// Runs `verification-servers` until Ctrl-C.
pub async fn verification_servers(args: &VerificationServersArgs) -> Result<(), ServersError> {
    let fakes = start_fakes(args).await?;
    println!("fake name server: {} (UDP and TCP)", fakes.dns.addr);
    println!(
        "fake web server:  {} (http://<domain>{FILE_PATH}, by Host header)",
        fakes.web.addr()
    );
    if let Some(z) = &args.zone {
        println!("zone file: {} ({} records)", z.display(), fakes.loaded);
    }
    println!(
        "try: scim-harness verify-domain acme.example --code 668e156b-f5d3-430e-9944-f1d4385d043e --dns {} --web {}",
        fakes.dns.addr,
        fakes.web.addr()
    );
    println!(
        "or:  dig @{} -p {} TXT acme.example",
        fakes.dns.addr.ip(),
        fakes.dns.addr.port()
    );
    println!("stop with Ctrl-C");
    let _ = tokio::signal::ctrl_c().await;
    fakes.dns.stop().await;
    Ok(())
}
