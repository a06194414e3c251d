//! The reference implementation's domain verifier (E-DV-02, E-DV-03, E-DV-05).
//!
//! It asks only the servers it is configured with: DNS through hickory-resolver pointed at
//! one name server (never the system's resolv.conf or hosts file, and with no cache, so a
//! record a scenario just published is seen at once), and the web file through reqwest with
//! a resolver that maps every host name to the configured web server, so neither method can
//! touch the real network.
//!
//! Decisions (documented here because the seed does not say):
//! - **Redirects are not followed.** A redirect to another host would let whoever controls
//!   that host (a shared hosting provider, a URL shortener, another customer) prove ownership
//!   of this domain. The outcome `redirect` names the location so the admin can move the file.
//! - **A trailing newline counts as whitespace.** E-DV-03 says exactly the string, with no
//!   blank spaces around it; the outcome `file-with-whitespace` says so explicitly, because
//!   editors add a final newline and the admin needs to know that is the problem.
//! - **A TXT record's strings are joined** (as SPF, RFC 7208 §3.3, does), so a value split
//!   into several strings still verifies; if the joined value is wrong while one string is
//!   right, the outcome is `multiple-txt-strings`, which tells the admin what to fix.
//! - **Several TXT records at the name are fine** (SPF, other services' codes); one of them
//!   must be exactly the value.
//! - **A CNAME at the name is followed** by the resolver, as `dig TXT` shows it.

pub use super::outcome::{DEADLINE_DAYS, FILE_PATH, Method, Outcome, RECORD_PREFIX, excerpt};
pub use super::rules::{judge_file, judge_txt, normalise_code, normalise_domain};
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Where and how the verifier looks.
#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// The name server to ask (UDP, with TCP when a UDP answer is truncated).
    pub dns: Option<SocketAddr>,
    /// The web server every `http://<domain>` is fetched from. `None` resolves the domain's
    /// address through the configured name server instead.
    pub web: Option<SocketAddr>,
    /// Time for one DNS query (the resolver tries `dns_attempts` times).
    pub dns_timeout: Duration,
    pub dns_attempts: usize,
    /// Time for the whole web request, body included.
    pub web_timeout: Duration,
    /// The most of the web file read; a valid file is 62 bytes, so anything beyond this is
    /// answered `file-too-large` without reading (or buffering) the rest.
    pub max_body: usize,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        VerifierConfig {
            dns: None,
            web: None,
            dns_timeout: Duration::from_secs(3),
            dns_attempts: 2,
            web_timeout: Duration::from_secs(10),
            max_body: 4096,
        }
    }
}

/// Which methods a verification tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Methods {
    Dns,
    Web,
    /// DNS first, then the web file (what *Verify* in the product does).
    #[default]
    Any,
}

/// One method's check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub method: Method,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub code: &'static str,
    pub explanation: String,
}

/// The result of verifying a domain: the overall outcome and each method's check.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub domain: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// `outcome`'s stable code (also inside `outcome`, repeated for readers of the JSON).
    pub code: &'static str,
    pub explanation: String,
    pub checks: Vec<Check>,
}

impl Verification {
    /// A verification that ended before any check (invalid input, expiry).
    pub fn without_checks(domain: &str, code: &str, outcome: Outcome) -> Verification {
        Verification {
            domain: domain.to_string(),
            code: outcome.code(),
            explanation: outcome.explain(domain, code),
            outcome,
            checks: Vec::new(),
        }
    }
}

/// A resolver that asks only `server`, never caches, and never reads system files.
pub fn resolver(server: SocketAddr, cfg: &VerifierConfig) -> Result<TokioResolver, String> {
    let mut udp = ConnectionConfig::udp();
    udp.port = server.port();
    let mut tcp = ConnectionConfig::tcp();
    tcp.port = server.port();
    let ns = NameServerConfig::new(server.ip(), true, vec![udp, tcp]);
    let config = ResolverConfig::from_parts(None, vec![], vec![ns]);
    let mut opts = ResolverOpts::default();
    opts.cache_size = 0;
    opts.timeout = cfg.dns_timeout;
    opts.attempts = cfg.dns_attempts.max(1);
    opts.use_hosts_file = ResolveHosts::Never;
    opts.ndots = 0;
    opts.recursion_desired = true;
    Resolver::builder_with_config(config, TokioRuntimeProvider::default())
        .with_options(opts)
        .build()
        .map_err(|e| format!("cannot build a resolver: {e}"))
}

/// Checks the TXT records at `domain` through the configured name server.
pub async fn check_dns(domain: &str, code: &str, cfg: &VerifierConfig) -> Outcome {
    let Some(server) = cfg.dns else {
        return Outcome::NotConfigured {
            method: Method::Dns,
        };
    };
    let resolver = match resolver(server, cfg) {
        Ok(r) => r,
        Err(reason) => return Outcome::DnsUnreachable { reason },
    };
    let fqdn = format!("{domain}.");
    match resolver.lookup(fqdn.as_str(), RecordType::TXT).await {
        Ok(lookup) => {
            let records: Vec<Vec<String>> = lookup
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::TXT(t) => Some(
                        t.txt_data
                            .iter()
                            .map(|s| String::from_utf8_lossy(s).into_owned())
                            .collect(),
                    ),
                    _ => None,
                })
                .collect();
            judge_txt(&records, code)
        }
        Err(e) => match dns_error(e) {
            Outcome::DnsTimeout => unreachable_or_silent(server, cfg.dns_timeout).await,
            other => other,
        },
    }
}

/// Over UDP a server that is down and one that drops the query look alike (no answer). A TCP
/// connection tells them apart: refused means nothing listens there (`dns-unreachable`);
/// accepted means the server is up but silent (`dns-timeout`).
async fn unreachable_or_silent(server: SocketAddr, wait: Duration) -> Outcome {
    match tokio::time::timeout(wait, tokio::net::TcpStream::connect(server)).await {
        Ok(Err(e)) => Outcome::DnsUnreachable {
            reason: format!("no answer over UDP, and TCP to {server}: {e}"),
        },
        _ => Outcome::DnsTimeout,
    }
}

fn dns_error(e: NetError) -> Outcome {
    match e {
        NetError::Dns(DnsError::NoRecordsFound(nr))
            if nr.response_code == ResponseCode::NXDomain =>
        {
            Outcome::DomainNotFound
        }
        NetError::Dns(DnsError::NoRecordsFound(_)) => Outcome::NoRecord,
        NetError::Dns(DnsError::ResponseCode(code)) => Outcome::DnsServerFailure {
            response_code: code.to_str().to_string(),
        },
        NetError::Timeout => Outcome::DnsTimeout,
        NetError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => Outcome::DnsTimeout,
        other => {
            let reason = other.to_string();
            if reason.to_ascii_lowercase().contains("timed out") {
                Outcome::DnsTimeout
            } else {
                Outcome::DnsUnreachable {
                    reason: excerpt(&reason, 200),
                }
            }
        }
    }
}

/// Maps every host name the web check asks for to the fake web server, or resolves it
/// through the configured name server: never through the system.
struct WebResolver {
    fixed: Option<SocketAddr>,
    dns: Option<Arc<TokioResolver>>,
}

impl reqwest::dns::Resolve for WebResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let fixed = self.fixed;
        let dns = self.dns.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            if let Some(addr) = fixed {
                let addrs: reqwest::dns::Addrs = Box::new(std::iter::once(addr));
                return Ok(addrs);
            }
            let Some(dns) = dns else {
                return Err("no web server and no name server configured".into());
            };
            let ips = dns.lookup_ip(format!("{host}.")).await?;
            let addrs: Vec<SocketAddr> = ips.iter().map(|ip| SocketAddr::new(ip, 0)).collect();
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// Fetches `http://<domain>/logmein-verification-code.txt` and judges it.
pub async fn check_web(domain: &str, code: &str, cfg: &VerifierConfig) -> Outcome {
    let dns = match (cfg.web, cfg.dns) {
        (Some(_), _) => None,
        (None, Some(server)) => match resolver(server, cfg) {
            Ok(r) => Some(Arc::new(r)),
            Err(reason) => return Outcome::WebUnreachable { reason },
        },
        (None, None) => {
            return Outcome::NotConfigured {
                method: Method::Web,
            };
        }
    };
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(cfg.web_timeout)
        .dns_resolver(Arc::new(WebResolver {
            fixed: cfg.web,
            dns,
        }))
        .build();
    let client = match client {
        Ok(c) => c,
        Err(e) => {
            return Outcome::WebUnreachable {
                reason: e.to_string(),
            };
        }
    };
    let url = format!("http://{domain}{FILE_PATH}");
    let mut resp = match client.get(&url).send().await {
        Ok(r) => r,
        Err(e) if e.is_timeout() => return Outcome::WebTimeout,
        Err(e) => {
            return Outcome::WebUnreachable {
                reason: excerpt(&error_chain(&e), 200),
            };
        }
    };
    let status = resp.status().as_u16();
    if resp.status().is_redirection() {
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .map(|l| String::from_utf8_lossy(l.as_bytes()).into_owned())
            .unwrap_or_else(|| "(no Location header)".into());
        return Outcome::Redirect { status, location };
    }
    match status {
        200 => {}
        404 | 410 => return Outcome::FileNotFound,
        s => return Outcome::FileHttpError { status: s },
    }
    if resp
        .content_length()
        .is_some_and(|len| len > cfg.max_body as u64)
    {
        return Outcome::FileTooLarge {
            limit: cfg.max_body,
        };
    }
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > cfg.max_body {
                    return Outcome::FileTooLarge {
                        limit: cfg.max_body,
                    };
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) if e.is_timeout() => return Outcome::WebTimeout,
            Err(e) => {
                return Outcome::WebUnreachable {
                    reason: excerpt(&error_chain(&e), 200),
                };
            }
        }
    }
    judge_file(&body, code)
}

/// The error and its sources on one line ("error sending request: connection refused").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Verifies `domain` with `code` by the given methods. Input is validated first, so a bad
/// domain or code gives `invalid-domain` / `invalid-code` and never reaches a server.
pub async fn verify(
    domain: &str,
    code: &str,
    methods: Methods,
    cfg: &VerifierConfig,
) -> Verification {
    let domain = match normalise_domain(domain) {
        Ok(d) => d,
        Err(reason) => {
            return Verification::without_checks(
                &excerpt(domain, 80),
                code,
                Outcome::InvalidDomain { reason },
            );
        }
    };
    let code = match normalise_code(code) {
        Ok(c) => c,
        Err(reason) => {
            return Verification::without_checks(
                &domain,
                &excerpt(code, 60),
                Outcome::InvalidCode { reason },
            );
        }
    };
    let check = |method: Method, outcome: Outcome| Check {
        method,
        code: outcome.code(),
        explanation: outcome.explain(&domain, &code),
        outcome,
    };
    let mut checks = Vec::new();
    if methods != Methods::Web {
        checks.push(check(Method::Dns, check_dns(&domain, &code, cfg).await));
    }
    let dns_verified = checks.first().is_some_and(|c| c.outcome.is_verified());
    if methods != Methods::Dns && !dns_verified {
        checks.push(check(Method::Web, check_web(&domain, &code, cfg).await));
    }
    let outcome = overall(&checks);
    Verification {
        code: outcome.code(),
        explanation: outcome.explain(&domain, &code),
        outcome,
        domain,
        checks,
    }
}

/// The overall outcome: verified if any method verified; otherwise the DNS finding, unless
/// DNS found nothing published and the web check found something more telling.
fn overall(checks: &[Check]) -> Outcome {
    if let Some(c) = checks.iter().find(|c| c.outcome.is_verified()) {
        return c.outcome.clone();
    }
    match checks {
        [] => Outcome::NotConfigured {
            method: Method::Dns,
        },
        [only] => only.outcome.clone(),
        [dns, web, ..] => {
            if (dns.outcome.found_nothing() && !web.outcome.found_nothing())
                || matches!(dns.outcome, Outcome::NotConfigured { .. })
            {
                web.outcome.clone()
            } else {
                dns.outcome.clone()
            }
        }
    }
}
