//! `scim-harness.toml`: the gate's settings, kept in the vendor's repository beside its CI file.
//!
//! The file holds what a gate needs every run (the target, how to authenticate, the profile
//! and tags, the accepted deviations) so the CI command stays short. Secrets are never in it:
//! it names the environment variables that hold them. Every command-line flag overrides the
//! file, and a key the file does not know is an error naming the key, so a typo never silently
//! changes what is tested.

use crate::client::ConnectionError;
use crate::client::cli::TargetArgs;
use crate::report::Acceptance;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file looked for in the working directory when no `--config` is given.
pub const DEFAULT_FILE: &str = "scim-harness.toml";

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The TOML parser's message names the line, and for an unknown key the key itself.
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: `{key}` {reason}")]
    Invalid {
        path: PathBuf,
        key: String,
        reason: String,
    },
    #[error("{path}: `{key}` names the environment variable {var}, which is not set (or empty)")]
    MissingEnv {
        path: PathBuf,
        key: String,
        var: String,
    },
    /// The options, from the command line and the file together, do not fit.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
}

/// HTTP Basic: the user, and the variable that holds the password.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicConfig {
    pub user: String,
    pub password_env: String,
}

/// OAuth 2.0 client credentials: where to get a token, and the variable that holds the secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthConfig {
    pub token_url: String,
    pub client_id: String,
    pub client_secret_env: String,
    pub scope: Option<String>,
}

/// One `[[accepted]]` entry as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptedEntry {
    id: String,
    reason: String,
    /// A TOML date (`2027-03-31`) or the same as a string.
    expires: Option<toml::Value>,
}

/// The file's keys. All optional: a flag on the command line, or the command's default, fills
/// what is missing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    /// SCIM base URL, or the server's root when `base_path` is given.
    pub target: Option<String>,
    /// Appended to `target`, e.g. "/scim/v2".
    pub base_path: Option<String>,
    /// The environment variable holding the bearer token.
    pub token_env: Option<String>,
    /// conformance: rfc, entra-compat, all or okta.
    pub profile: Option<String>,
    /// conformance: a cucumber tag expression.
    pub tags: Option<String>,
    /// conformance: scenarios in flight at once.
    pub concurrency: Option<usize>,
    /// conformance: must or should.
    pub fail_on: Option<String>,
    /// Bound of each request, e.g. "30s".
    pub timeout: Option<String>,
    /// Bound of opening a connection, e.g. "10s".
    pub connect_timeout: Option<String>,
    /// The largest response body read from the target, e.g. "16MiB".
    pub max_body: Option<String>,
    /// Extra headers sent with every request, e.g. a tenant id.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Extra headers whose values are secrets: header name = environment variable.
    #[serde(default)]
    pub header_env: BTreeMap<String, String>,
    /// PEM file of a CA to trust, relative to the configuration file.
    pub ca_cert: Option<PathBuf>,
    /// Accept any TLS certificate (every report then says so).
    pub insecure: Option<bool>,
    pub basic: Option<BasicConfig>,
    pub oauth: Option<OAuthConfig>,
    #[serde(default)]
    accepted: Vec<AcceptedEntry>,
}

/// A configuration file that was found and read.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    pub config: GateConfig,
}

/// Reads `explicit`, or `scim-harness.toml` in the working directory when it exists. `None`
/// when no file is given and none is there.
pub fn load(explicit: Option<&Path>) -> Result<Option<Loaded>, ConfigError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let p = PathBuf::from(DEFAULT_FILE);
            if !p.is_file() {
                return Ok(None);
            }
            p
        }
    };
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })?;
    let config = parse(&path, &text)?;
    Ok(Some(Loaded { path, config }))
}

/// Parses and checks the file's text; `path` is only for messages.
pub fn parse(path: &Path, text: &str) -> Result<GateConfig, ConfigError> {
    let config: GateConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().to_string(),
    })?;
    let invalid = |key: &str, reason: &str| ConfigError::Invalid {
        path: path.to_path_buf(),
        key: key.to_string(),
        reason: reason.to_string(),
    };
    if let Some(p) = &config.profile
        && !["rfc", "entra-compat", "all", "okta"].contains(&p.as_str())
    {
        return Err(invalid("profile", "must be rfc, entra-compat, all or okta"));
    }
    if let Some(f) = &config.fail_on
        && !["must", "should"].contains(&f.as_str())
    {
        return Err(invalid("fail_on", "must be must or should"));
    }
    let kinds = [
        config.token_env.is_some(),
        config.basic.is_some(),
        config.oauth.is_some(),
    ];
    if kinds.iter().filter(|k| **k).count() > 1 {
        return Err(invalid(
            "token_env",
            "and [basic] and [oauth] are three kinds of credentials: give one",
        ));
    }
    if config.concurrency == Some(0) {
        return Err(invalid("concurrency", "must be at least 1"));
    }
    for (i, a) in config.accepted.iter().enumerate() {
        let key = format!("accepted[{i}]");
        if a.id.trim().is_empty() {
            return Err(invalid(&format!("{key}.id"), "is empty"));
        }
        if a.reason.trim().is_empty() {
            return Err(invalid(
                &format!("{key}.reason"),
                "is empty: say why the deviation is accepted",
            ));
        }
        if let Some(v) = &a.expires {
            expiry(v).map_err(|r| invalid(&format!("{key}.expires"), &r))?;
        }
    }
    Ok(config)
}

/// An expiry date written as a TOML date or a "YYYY-MM-DD" string.
fn expiry(v: &toml::Value) -> Result<NaiveDate, String> {
    let text = match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) if d.date.is_some() && d.time.is_none() => d.to_string(),
        _ => return Err("must be a date, e.g. 2027-03-31".into()),
    };
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("'{text}' is not a date like 2027-03-31"))
}

impl Loaded {
    /// The SCIM base URL: `target` with `base_path` appended.
    pub fn target(&self) -> Option<String> {
        let t = self.config.target.as_deref()?.trim();
        Some(match self.config.base_path.as_deref().map(str::trim) {
            Some(b) if !b.is_empty() => {
                format!("{}/{}", t.trim_end_matches('/'), b.trim_start_matches('/'))
            }
            _ => t.to_string(),
        })
    }

    /// The bearer token from the variable `token_env` names; an error when it names an unset one.
    pub fn token(&self) -> Result<Option<String>, ConfigError> {
        match &self.config.token_env {
            None => Ok(None),
            Some(var) => self.env("token_env", var).map(Some),
        }
    }

    /// The value of an environment variable the file names under `key`.
    pub fn env(&self, key: &str, var: &str) -> Result<String, ConfigError> {
        std::env::var(var)
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ConfigError::MissingEnv {
                path: self.path.clone(),
                key: key.to_string(),
                var: var.to_string(),
            })
    }

    /// `ca_cert` resolved against the file's folder, so the file works from any directory.
    pub fn ca_cert(&self) -> Option<PathBuf> {
        let p = self.config.ca_cert.as_ref()?;
        if p.is_absolute() {
            return Some(p.clone());
        }
        Some(match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join(p),
            _ => p.clone(),
        })
    }

    /// The accepted deviations (dates already checked by [`parse`]).
    pub fn accepted(&self) -> Vec<Acceptance> {
        self.config
            .accepted
            .iter()
            .map(|a| Acceptance {
                id: a.id.trim().to_string(),
                reason: a.reason.trim().to_string(),
                expires: a.expires.as_ref().and_then(|v| expiry(v).ok()),
            })
            .collect()
    }
}

/// The command line's target options, with what they leave unset filled from the
/// configuration file (`--config`, or ./scim-harness.toml when it exists), and that file.
///
/// Credentials come from the command line or from the file, never half from each: any
/// credential option on the command line (or SCIM_HARNESS_TOKEN) sets the file's aside. A
/// header given on the command line replaces the file's header of the same name.
pub fn target_args(cli: &TargetArgs) -> Result<(Option<Loaded>, TargetArgs), ConfigError> {
    let Some(file) = load(cli.config.as_deref())? else {
        return Ok((None, cli.clone()));
    };
    let c = &file.config;
    let mut out = cli.clone();
    out.target = cli.target.clone().or_else(|| file.target());
    let cli_auth = cli.token.as_deref().is_some_and(|t| !t.is_empty())
        || cli.basic_user.is_some()
        || cli.basic_password_env.is_some()
        || cli.oauth_token_url.is_some()
        || cli.oauth_client_id.is_some()
        || cli.oauth_client_secret_env.is_some()
        || cli
            .header
            .iter()
            .any(|h| header_name(h).eq_ignore_ascii_case("authorization"));
    // The embedded reference needs no credentials: a file's token variable matters only when
    // there is a target.
    if !cli_auth && out.target.is_some() {
        if c.token_env.is_some() {
            out.token = file.token()?;
        }
        if let Some(b) = &c.basic {
            out.basic_user = Some(b.user.clone());
            out.basic_password_env = Some(b.password_env.clone());
        }
        if let Some(o) = &c.oauth {
            out.oauth_token_url = Some(o.token_url.clone());
            out.oauth_client_id = Some(o.client_id.clone());
            out.oauth_client_secret_env = Some(o.client_secret_env.clone());
            out.oauth_scope = o.scope.clone();
        }
    }
    let given: Vec<String> = cli
        .header
        .iter()
        .map(|h| header_name(h).to_ascii_lowercase())
        .collect();
    let mut headers: Vec<String> = Vec::new();
    for (name, value) in &c.headers {
        if !given.contains(&name.to_ascii_lowercase()) {
            headers.push(format!("{name}: {value}"));
        }
    }
    for (name, var) in &c.header_env {
        if !given.contains(&name.to_ascii_lowercase()) {
            let value = file.env(&format!("header_env.{name}"), var)?;
            headers.push(format!("{name}: {value}"));
        }
    }
    headers.extend(cli.header.iter().cloned());
    out.header = headers;
    out.ca_cert = cli.ca_cert.clone().or_else(|| file.ca_cert());
    out.insecure = cli.insecure || c.insecure.unwrap_or(false);
    out.connect_timeout = cli
        .connect_timeout
        .clone()
        .or_else(|| c.connect_timeout.clone());
    out.timeout = cli.timeout.clone().or_else(|| c.timeout.clone());
    out.max_body = cli.max_body.clone().or_else(|| c.max_body.clone());
    Ok((Some(file), out))
}

/// The name part of a `Name: value` header option (all of it when there is no colon).
fn header_name(h: &str) -> &str {
    h.split_once(':').map_or(h, |(n, _)| n).trim()
}

#[cfg(test)]
mod tests;
