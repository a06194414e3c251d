//! The options every command that talks to a SCIM target shares (`conformance`, `simulate`,
//! `load`): where the target is and how to reach it. One struct, flattened into each command's
//! Args, so the flags, their help and their checks exist once.
//!
//! Every field is optional and has no clap default, so a configuration file can fill what the
//! command line left unset; the defaults are applied in [`TargetArgs::connection`] and stated
//! in the help text.

use super::connection::{
    Connection, ConnectionError, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY, Secret,
};
use super::oauth::OAuthConfig;
use std::path::PathBuf;
use std::time::Duration;

/// How to reach the target. At most one kind of credentials: --token, --basic-user, the
/// --oauth-* options, or an `Authorization` --header.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Target and connection")]
pub struct TargetArgs {
    /// SCIM base URL of the target, e.g. https://host/scim/v2 [default: the embedded
    /// reference, started in this process on a loopback port]. The options below apply to
    /// it; the proxy environment variables (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY, in
    /// upper or lower case) are honoured for it and for the token endpoint.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// Bearer token for the target (RFC 6750), sent as `Authorization: Bearer TOKEN`.
    #[arg(long, env = "SCIM_HARNESS_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// An extra request header, e.g. --header 'X-Api-Key: k' --header 'X-Tenant: acme'
    /// (repeatable; sent on every request to the target, not to the token endpoint). Its value
    /// is never printed. 'Authorization: SCHEME ...' is accepted as the credentials.
    #[arg(long = "header", value_name = "'NAME: VALUE'")]
    pub header: Vec<String>,
    /// HTTP Basic (RFC 7617) user name; the password comes from --basic-password-env.
    #[arg(long, value_name = "NAME")]
    pub basic_user: Option<String>,
    /// The environment variable holding the Basic password (read at start; an unset variable
    /// is an error), e.g. --basic-password-env SCIM_PASSWORD.
    #[arg(long, value_name = "VAR")]
    pub basic_password_env: Option<String>,
    /// OAuth 2.0 token endpoint for the client credentials grant (RFC 6749 §4.4). The client
    /// authenticates there with HTTP Basic (id and secret form-urlencoded first, RFC 6749
    /// §2.3.1, the method every server must support). One token serves every request of the
    /// run; it is renewed before `expires_in` runs out (10 % early, at least 5 s, at most
    /// half its lifetime) and fetched again once when the target answers 401.
    #[arg(long, value_name = "URL")]
    pub oauth_token_url: Option<String>,
    /// OAuth client id (with --oauth-token-url).
    #[arg(long, value_name = "ID")]
    pub oauth_client_id: Option<String>,
    /// The environment variable holding the OAuth client secret (with --oauth-token-url).
    #[arg(long, value_name = "VAR")]
    pub oauth_client_secret_env: Option<String>,
    /// OAuth scope to ask for, e.g. "scim.read scim.write" [default: none sent, the token
    /// endpoint's default scope].
    #[arg(long, value_name = "SCOPE")]
    pub oauth_scope: Option<String>,
    /// PEM file of CA certificates to trust as well as the system's roots (an internal CA);
    /// also used for the OAuth token endpoint.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Accept any TLS certificate (self-signed, expired, another host's). Only for a test
    /// server: every report of the run and the terminal say the run was insecure.
    #[arg(long)]
    pub insecure: bool,
    /// How long to wait for a TCP and TLS connection to the target (and to the token
    /// endpoint), e.g. 10s, 1500ms, 1m [default: 10s]. Each request has its own bound too:
    /// 30 s in conformance and simulate, --timeout in load.
    #[arg(long, value_name = "DURATION")]
    pub connect_timeout: Option<String>,
    /// Bound of each whole request to the target, e.g. 30s [default: 30s in conformance and
    /// simulate, 10s in load].
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// The largest response body read from the target, e.g. 16MiB, 512KiB, 1000000 (bytes)
    /// [default: 16MiB]. A larger answer fails the request ("the response to GET /Users
    /// exceeded 16 MiB") instead of filling memory.
    #[arg(long, value_name = "SIZE")]
    pub max_body: Option<String>,
    /// The gate's configuration file, scim-harness.toml [default: ./scim-harness.toml when it
    /// exists]. It can hold every option above (secrets only as the names of the variables
    /// that hold them); an option given here wins over the file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `NAME: VALUE` split at the first colon, both trimmed. The error names the header by its
/// position and name, never by its value, which may be a key.
fn split_header(index: usize, raw: &str) -> Result<(&str, &str), ConnectionError> {
    let which = |name: Option<&str>| match name {
        Some(n) => format!("#{} '{n}: …'", index + 1),
        None => format!("#{}", index + 1),
    };
    let Some((name, value)) = raw.split_once(':') else {
        return Err(ConnectionError::BadHeader {
            which: which(None),
            reason: "no ':' in it; expected 'Name: value', e.g. 'X-Api-Key: ...'".into(),
        });
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(ConnectionError::BadHeader {
            which: which(None),
            reason: "the name before ':' is empty; expected 'Name: value'".into(),
        });
    }
    if name.contains(char::is_whitespace) {
        return Err(ConnectionError::BadHeader {
            which: which(None),
            reason: "the name before ':' contains a space; expected 'Name: value'".into(),
        });
    }
    Ok((name, value.trim()))
}

/// `16MiB`, `512KiB`, `2MB`, `1GiB`, or a number of bytes (at least 1, at most 4 GiB).
pub fn parse_size(flag: &'static str, s: &str) -> Result<u64, ConnectionError> {
    let bad = || ConnectionError::Invalid {
        flag,
        reason: format!("'{s}' is not a size; use e.g. 16MiB, 512KiB, 2MB or a number of bytes"),
    };
    let t = s.trim();
    let (num, unit) = t.split_at(t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len()));
    let n: u64 = num.trim().parse().map_err(|_| bad())?;
    let scale: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "kib" | "k" => 1 << 10,
        "mb" => 1_000_000,
        "mib" | "m" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" | "g" => 1 << 30,
        _ => return Err(bad()),
    };
    match n.checked_mul(scale) {
        Some(v) if (1..=4 << 30).contains(&v) => Ok(v),
        _ => Err(bad()),
    }
}

/// `10s`, `1500ms`, `2m`, or a number of seconds.
pub fn parse_duration(flag: &'static str, s: &str) -> Result<Duration, ConnectionError> {
    let bad = || ConnectionError::Invalid {
        flag,
        reason: format!("'{s}' is not a duration; use e.g. 10s, 1500ms, 1m"),
    };
    let t = s.trim();
    let (num, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let v: f64 = num.trim().parse().map_err(|_| bad())?;
    let secs = match unit {
        "ms" => v / 1000.0,
        "s" => v,
        "m" => v * 60.0,
        _ => return Err(bad()),
    };
    if !secs.is_finite() || secs <= 0.0 || secs > 3600.0 {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(secs))
}

fn env_secret(flag: &'static str, var: &str) -> Result<Secret, ConnectionError> {
    std::env::var(var)
        .map(Secret::new)
        .map_err(|_| ConnectionError::MissingEnv {
            flag,
            var: var.to_string(),
        })
}

impl TargetArgs {
    /// The connection these options describe, checked: one kind of credentials, complete;
    /// headers well formed; the CA file readable; secrets read from their variables.
    pub fn connection(&self) -> Result<Connection, ConnectionError> {
        let token = self.token.as_deref().filter(|t| !t.is_empty());
        let auth_header = self
            .header
            .iter()
            .enumerate()
            .find_map(|(i, h)| {
                split_header(i, h)
                    .ok()
                    .filter(|(n, _)| n.eq_ignore_ascii_case("authorization"))
            })
            .is_some();
        let kinds: Vec<&str> = [
            (token.is_some(), "--token (or SCIM_HARNESS_TOKEN)"),
            (
                self.basic_user.is_some() || self.basic_password_env.is_some(),
                "--basic-user",
            ),
            (
                self.oauth_token_url.is_some()
                    || self.oauth_client_id.is_some()
                    || self.oauth_client_secret_env.is_some(),
                "--oauth-token-url",
            ),
            (auth_header, "--header 'Authorization: …'"),
        ]
        .into_iter()
        .filter_map(|(given, name)| given.then_some(name))
        .collect();
        if let [a, b, ..] = kinds.as_slice() {
            return Err(ConnectionError::Conflict(a.to_string(), b.to_string()));
        }
        if self.oauth_scope.is_some() && self.oauth_token_url.is_none() {
            return Err(ConnectionError::Incomplete {
                flag: "--oauth-scope",
                needs: "--oauth-token-url",
            });
        }

        let mut c = Connection::default()
            .with_request_timeout(
                self.timeout
                    .as_deref()
                    .map(|t| parse_duration("--timeout", t))
                    .transpose()?,
            )
            .with_insecure(self.insecure)
            .with_max_body(match &self.max_body {
                Some(m) => parse_size("--max-body", m)?,
                None => DEFAULT_MAX_BODY,
            })
            .with_connect_timeout(match &self.connect_timeout {
                Some(d) => parse_duration("--connect-timeout", d)?,
                None => DEFAULT_CONNECT_TIMEOUT,
            });
        if let Some(p) = &self.ca_cert {
            c = c.with_ca_cert(p)?;
        }
        for (i, h) in self.header.iter().enumerate() {
            let (name, value) = split_header(i, h)?;
            c = c.with_header(name, value).map_err(|e| match e {
                ConnectionError::BadHeader { reason, .. } => ConnectionError::BadHeader {
                    which: format!("#{} '{name}: …'", i + 1),
                    reason,
                },
                other => other,
            })?;
        }
        if let Some(t) = token {
            c = c.with_auth(super::connection::Auth::Bearer(Secret::new(t)))?;
        }
        match (&self.basic_user, &self.basic_password_env) {
            (Some(user), Some(var)) => {
                if user.contains(':') {
                    return Err(ConnectionError::Invalid {
                        flag: "--basic-user",
                        reason: "a user name with ':' cannot be sent by HTTP Basic (RFC 7617 §2)"
                            .into(),
                    });
                }
                let password = env_secret("--basic-password-env", var)?;
                c = c.with_auth(super::connection::Auth::Basic {
                    user: user.clone(),
                    password,
                })?;
            }
            (Some(_), None) => {
                return Err(ConnectionError::Incomplete {
                    flag: "--basic-user",
                    needs: "--basic-password-env VAR (the variable holding the password)",
                });
            }
            (None, Some(_)) => {
                return Err(ConnectionError::Incomplete {
                    flag: "--basic-password-env",
                    needs: "--basic-user NAME",
                });
            }
            (None, None) => {}
        }
        match (
            &self.oauth_token_url,
            &self.oauth_client_id,
            &self.oauth_client_secret_env,
        ) {
            (None, None, None) => {}
            (Some(url), Some(id), Some(var)) => {
                let token_url = reqwest::Url::parse(url)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| ConnectionError::Invalid {
                        flag: "--oauth-token-url",
                        reason: format!("'{url}' is not an http:// or https:// URL"),
                    })?;
                let client_secret = env_secret("--oauth-client-secret-env", var)?;
                c = c.with_oauth(OAuthConfig {
                    token_url,
                    client_id: id.clone(),
                    client_secret,
                    scope: self.oauth_scope.clone().filter(|s| !s.trim().is_empty()),
                })?;
            }
            _ => {
                return Err(ConnectionError::Incomplete {
                    flag: "--oauth-token-url",
                    needs: "--oauth-client-id and --oauth-client-secret-env, all three together",
                });
            }
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(f: impl FnOnce(&mut TargetArgs)) -> TargetArgs {
        let mut a = TargetArgs::default();
        f(&mut a);
        a
    }

    #[test]
    fn two_kinds_of_credentials_are_refused() {
        let e = args(|a| {
            a.token = Some("t".into());
            a.basic_user = Some("ann".into());
            a.basic_password_env = Some("PATH".into());
        })
        .connection()
        .expect_err("conflict")
        .to_string();
        assert!(e.contains("--token") && e.contains("--basic-user"), "{e}");
        let e = args(|a| {
            a.token = Some("t".into());
            a.header = vec!["Authorization: SSWS x".into()];
        })
        .connection()
        .expect_err("conflict")
        .to_string();
        assert!(e.contains("Authorization"), "{e}");
    }

    #[test]
    fn an_unset_variable_is_named() {
        let e = args(|a| {
            a.basic_user = Some("ann".into());
            a.basic_password_env = Some("SCIM_HARNESS_TEST_SURELY_UNSET_7f3a".into());
        })
        .connection()
        .expect_err("unset")
        .to_string();
        assert!(e.contains("SCIM_HARNESS_TEST_SURELY_UNSET_7f3a"), "{e}");
        assert!(e.contains("not set"), "{e}");
    }

    #[test]
    fn incomplete_groups_say_what_is_missing() {
        let e = args(|a| a.basic_user = Some("ann".into()))
            .connection()
            .expect_err("no password")
            .to_string();
        assert!(e.contains("--basic-password-env"), "{e}");
        let e = args(|a| a.oauth_token_url = Some("https://idp/token".into()))
            .connection()
            .expect_err("no client")
            .to_string();
        assert!(e.contains("--oauth-client-id"), "{e}");
    }

    #[test]
    fn a_malformed_header_is_named_without_its_value() {
        for raw in ["SECRET-VALUE", ": SECRET-VALUE", "Bad Name: SECRET-VALUE"] {
            let e = args(|a| a.header = vec!["X-Ok: 1".into(), raw.into()])
                .connection()
                .expect_err("malformed")
                .to_string();
            assert!(e.contains("--header #2"), "{e}");
            assert!(!e.contains("SECRET"), "{e}");
        }
        let c = args(|a| a.header = vec!["X-Api-Key:  k1 ".into(), "X-Tenant: acme".into()])
            .connection()
            .expect("valid");
        let names: Vec<&str> = c.headers().iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["x-api-key", "x-tenant"]);
        assert_eq!(c.headers()[0].1, "k1");
    }

    #[test]
    fn durations_and_their_errors() {
        assert_eq!(
            parse_duration("--connect-timeout", "1500ms").expect("ms"),
            Duration::from_millis(1500)
        );
        assert_eq!(
            parse_duration("--connect-timeout", "3").expect("s"),
            Duration::from_secs(3)
        );
        assert_eq!(parse_size("--max-body", "16MiB").expect("MiB"), 16 << 20);
        assert_eq!(parse_size("--max-body", "2MB").expect("MB"), 2_000_000);
        assert_eq!(parse_size("--max-body", "1000").expect("bytes"), 1000);
        for bad in ["0", "lots", "5TiB", "-1", "1.5MiB"] {
            let e = parse_size("--max-body", bad).expect_err(bad);
            assert!(e.to_string().contains("--max-body"), "{e}");
        }
        let e = parse_duration("--connect-timeout", "soon").expect_err("bad");
        assert!(e.to_string().contains("--connect-timeout"), "{e}");
        let c = TargetArgs::default().connection().expect("defaults");
        assert_eq!(c.connect_timeout(), DEFAULT_CONNECT_TIMEOUT);
        assert_eq!(c.max_body(), DEFAULT_MAX_BODY);
        let c = args(|a| a.max_body = Some("1KiB".into()))
            .connection()
            .expect("1 KiB");
        assert_eq!(c.max_body(), 1024);
        assert!(!c.has_auth() && !c.is_insecure());
    }
}
