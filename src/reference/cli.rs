//! The `serve` command: the reference's options as flags, and serving until Ctrl-C. `main.rs`
//! only parses and hands over here.

use super::config::{Limits, ReferenceConfig};
use super::server::RunningReference;
use anyhow::Context;
use std::net::SocketAddr;

/// Serve the reference SCIM 2.0 service provider.
///
/// The SCIM endpoints are at http://HOST:PORT/BASE-PATH, by default at the root:
/// http://127.0.0.1:8080/Users, /Groups, /ServiceProviderConfig, /Schemas,
/// /ResourceTypes, /Bulk, /.search. Stop with Ctrl-C.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to bind. Keep the default (loopback) unless you mean to expose it.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Bearer token clients must send. Without one, authentication is off.
    #[arg(long, env = "SCIM_HARNESS_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Path prefix for the SCIM endpoints, e.g. /scim/v2.
    #[arg(long, default_value = "")]
    pub base_path: String,
    /// Strict RFC 7644 only: refuse Microsoft Entra ID's non-standard request shapes
    /// (capitalised ops, "True"/"False" strings, Remove with a value list).
    #[arg(long)]
    pub strict: bool,
    /// Largest page size (filter.maxResults); larger counts are capped.
    #[arg(long, default_value_t = Limits::default().max_results)]
    pub max_results: usize,
    /// Largest accepted request body in bytes (bulk.maxPayloadSize); 413 above it.
    #[arg(long, default_value_t = Limits::default().max_payload_size)]
    pub max_payload_size: usize,
    /// A filtered query matching more resources than this answers 400 tooMany.
    #[arg(long, default_value_t = Limits::default().max_filter_matches)]
    pub max_filter_matches: usize,
    /// Allow several groups with the same displayName.
    #[arg(long)]
    pub allow_duplicate_group_names: bool,
    /// Name server the domain verifier asks (ADDR:PORT), e.g. one started by
    /// `verification-servers`. Without it, domain verification answers "not configured".
    #[arg(long, value_name = "ADDR:PORT")]
    pub verify_dns: Option<SocketAddr>,
    /// Web server the domain verifier fetches http://<domain>/logmein-verification-code.txt
    /// from (ADDR:PORT), whatever the domain resolves to.
    #[arg(long, value_name = "ADDR:PORT")]
    pub verify_web: Option<SocketAddr>,
}

impl ServeArgs {
    /// The reference configuration these flags describe.
    pub fn config(&self) -> anyhow::Result<ReferenceConfig> {
        Ok(ReferenceConfig {
            token: self.token.clone().filter(|t| !t.is_empty()),
            base_path: normalise_base_path(&self.base_path)?,
            entra_compat: !self.strict,
            unique_group_names: !self.allow_duplicate_group_names,
            limits: Limits {
                max_payload_size: self.max_payload_size,
                max_results: self.max_results.max(1),
                max_filter_matches: self.max_filter_matches.max(1),
                ..Limits::default()
            },
        })
    }
}

/// Runs `scim-harness serve` until Ctrl-C.
pub async fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let config = args.config()?;
    if config.token.is_none() {
        eprintln!("warning: no --token or SCIM_HARNESS_TOKEN: authentication is off");
    }
    let addr = SocketAddr::new(args.host, args.port);
    let server =
        RunningReference::start_with(config, std::sync::Arc::new(crate::clock::SystemClock), addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
    if args.verify_dns.is_some() || args.verify_web.is_some() {
        let mut v = server.domains.verifier_config();
        v.dns = args.verify_dns.or(v.dns);
        v.web = args.verify_web.or(v.web);
        server.domains.set_verifier_config(v);
    }
    println!("SCIM 2.0 reference serving at {}/", server.base_url);
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    server.stop().await;
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
