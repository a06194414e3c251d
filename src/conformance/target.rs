//! The system under test: where it is, how to authenticate, and what it says it supports.
//!
//! Discovery happens once per run, before any scenario: the suite reads `/ServiceProviderConfig`
//! (RFC 7643 §5) and every scenario sees the same parsed copy. A scenario tagged
//! `@needs-<feature>` is skipped with "not advertised" when the target says it lacks the
//! feature, so an honest server that omits an optional part of SCIM is never failed for it.

use super::ConformanceError;
use crate::client::admin::path as admin_path;
use crate::client::{Connection, REQUEST_TIMEOUT, ScimClient};
use serde_json::Value;

/// The schema of the document in which the reference advertises limits RFC 7643 has no field
/// for (`maxFilterMatches`, `entraCompatibility`). It is read from `/admin/v1/limits` (or, for
/// older builds, as an extension inside `/ServiceProviderConfig`). Other servers simply lack
/// it, and the scenarios that need it are skipped for them.
pub const LIMITS_EXTENSION: &str =
    "urn:scim-harness:params:scim:schemas:extension:limits:1.0:ServiceProviderConfig";

/// What the target advertises, parsed from `/ServiceProviderConfig`.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    pub patch: bool,
    pub bulk: bool,
    pub bulk_max_operations: Option<u64>,
    pub bulk_max_payload_size: Option<u64>,
    pub filter: bool,
    pub filter_max_results: Option<u64>,
    pub change_password: bool,
    pub sort: bool,
    pub etag: bool,
    /// `maxFilterMatches` from [`LIMITS_EXTENSION`], when advertised.
    pub max_filter_matches: Option<u64>,
    /// `entraCompatibility` from [`LIMITS_EXTENSION`]: the target accepts the identity
    /// provider's shapes, some of which contradict strict RFC answers.
    pub entra_compatibility: bool,
    /// The target serves the User Sync admin API (`GET /admin/v1/usersync/switch` answers
    /// 200 with a boolean `on`); scenarios tagged `@usersync-api` need it.
    pub usersync_api: bool,
    /// The document as served.
    pub raw: Value,
}

fn supported(doc: &Value, key: &str) -> bool {
    // RFC 7643 §5 makes `supported` a boolean; some servers send the string "true".
    match doc.get(key).and_then(|o| o.get("supported")) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn number(doc: &Value, key: &str, field: &str) -> Option<u64> {
    match doc.get(key)?.get(field)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl Discovery {
    /// Parses a `/ServiceProviderConfig` document.
    pub fn from_document(doc: &Value) -> Discovery {
        Discovery {
            patch: supported(doc, "patch"),
            bulk: supported(doc, "bulk"),
            bulk_max_operations: number(doc, "bulk", "maxOperations"),
            bulk_max_payload_size: number(doc, "bulk", "maxPayloadSize"),
            filter: supported(doc, "filter"),
            filter_max_results: number(doc, "filter", "maxResults"),
            change_password: supported(doc, "changePassword"),
            sort: supported(doc, "sort"),
            etag: supported(doc, "etag"),
            max_filter_matches: None,
            entra_compatibility: false,
            usersync_api: false,
            raw: doc.clone(),
        }
        .with_limits(doc.get(LIMITS_EXTENSION))
    }

    /// Takes `maxFilterMatches` and `entraCompatibility` from a limits document.
    pub fn with_limits(mut self, limits: Option<&Value>) -> Discovery {
        if let Some(l) = limits.filter(|l| l.is_object()) {
            self.max_filter_matches = match l.get("maxFilterMatches") {
                Some(Value::Number(n)) => n.as_u64(),
                _ => self.max_filter_matches,
            };
            if let Some(b) = l.get("entraCompatibility").and_then(Value::as_bool) {
                self.entra_compatibility = b;
            }
        }
        self
    }

    /// Whether the capability a `@needs-<name>` tag names is advertised; `None` for a name the
    /// suite does not know (a typo in a feature file, reported as a failure).
    pub fn advertises(&self, name: &str) -> Option<bool> {
        Some(match name {
            "patch" => self.patch,
            "bulk" => self.bulk,
            "filter" => self.filter,
            "sort" => self.sort,
            "etag" => self.etag,
            "change-password" | "changepassword" => self.change_password,
            "limits" => self.max_filter_matches.is_some(),
            "usersync-api" => self.usersync_api,
            _ => return None,
        })
    }
}

/// Everything a scenario needs about the target; shared by all scenarios of a run.
#[derive(Debug)]
pub struct RunContext {
    pub client: ScimClient,
    /// A plain HTTP client for what `ScimClient` does not send: requests without or with a
    /// wrong token, non-JSON bodies, other media types. It has the connection's TLS settings
    /// and extra headers; the credentials come from `connection` per request.
    pub raw: reqwest::Client,
    pub base_url: String,
    /// How the target is reached; its secrets are sent and redacted from every message.
    pub connection: Connection,
    pub discovery: Discovery,
    /// The target's published User schema, which shapes every user body the suite sends.
    pub schema: super::schema::TargetSchema,
    pub embedded: bool,
}

impl RunContext {
    /// Connects to a target and reads its configuration. Fails with a one-line reason when the
    /// target cannot be reached, rejects the credentials, or does not serve a configuration.
    pub async fn connect(
        base_url: &str,
        connection: Connection,
        embedded: bool,
    ) -> Result<RunContext, ConformanceError> {
        let base = base_url.trim_end_matches('/').to_string();
        let client = ScimClient::new(&base, connection.clone())
            .map_err(|e| ConformanceError::Target(connection.redact(&e.to_string())))?;
        let raw = connection
            .client_builder()
            .timeout(connection.request_timeout_or(REQUEST_TIMEOUT))
            .build()
            .map_err(|e| ConformanceError::Target(format!("cannot build an HTTP client: {e}")))?;
        let resp = client
            .get_json("/ServiceProviderConfig")
            .await
            .map_err(|e| ConformanceError::Target(connection.redact(&e.to_string())))?;
        let url = client.url("/ServiceProviderConfig");
        match resp.status {
            200 => {}
            401 | 403 => {
                return Err(ConformanceError::Target(format!(
                    "{url} answered {}: {}",
                    resp.status,
                    connection.rejection_hint()
                )));
            }
            s => {
                return Err(ConformanceError::Target(format!(
                    "{url} answered {s}, not 200: is the base URL the SCIM root?"
                )));
            }
        }
        if !resp.body.is_object() {
            let got = match &resp.body {
                Value::Array(_) => "an array",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                Value::Bool(_) => "a boolean",
                _ => "null",
            };
            return Err(ConformanceError::Target(format!(
                "GET /ServiceProviderConfig ({url}): the answer is JSON but {got}; a \
                 ServiceProviderConfig resource, a JSON object (RFC 7643 §5), was expected"
            )));
        }
        let mut discovery = Discovery::from_document(&resp.body);
        // The reference's own limits document; any other answer means "not advertised".
        if let Ok(l) = client.get(admin_path::LIMITS).await {
            let ours = l.status == 200
                && l.body
                    .get("schemas")
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.iter().any(|s| s.as_str() == Some(LIMITS_EXTENSION)));
            if ours {
                discovery = discovery.with_limits(Some(&l.body));
            }
        }
        if let Ok(s) = client.get(admin_path::SWITCH).await {
            discovery.usersync_api =
                s.status == 200 && s.body.get("on").is_some_and(Value::is_boolean);
        }
        // The target's own schema; a target that publishes none (or garbage) gets RFC 7643's.
        let list = |r: Result<crate::client::ScimResponse, _>| match r {
            Ok(r) if r.status == 200 => Some(r.body),
            _ => None,
        };
        let schemas = list(client.get("/Schemas").await);
        let types = list(client.get("/ResourceTypes").await);
        let schema = super::schema::TargetSchema::from_documents(schemas.as_ref(), types.as_ref());
        Ok(RunContext {
            client,
            raw,
            base_url: base,
            connection,
            discovery,
            schema,
            embedded,
        })
    }

    /// Replaces every secret of the connection (token, password, client secret, access
    /// tokens, header values) in text that goes into a message or a report. The Authorization
    /// header is never shown at all; a secret shorter than 4 characters is not searched for in
    /// bodies, where replacing every "T" would garble the text and hide nothing.
    pub fn redact(&self, text: &str) -> String {
        self.connection.redact(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_advertised_features() {
        let d = Discovery::from_document(&json!({
            "patch": {"supported": true},
            "bulk": {"supported": true, "maxOperations": 10, "maxPayloadSize": "2048"},
            "filter": {"supported": "True", "maxResults": 50},
            "sort": {"supported": false},
            "etag": {}
        }));
        assert!(d.patch && d.bulk && d.filter);
        assert!(!d.sort && !d.etag && !d.change_password);
        assert_eq!(d.bulk_max_payload_size, Some(2048));
        assert_eq!(d.filter_max_results, Some(50));
        assert_eq!(d.advertises("sort"), Some(false));
        assert_eq!(d.advertises("teleport"), None);
    }
}
