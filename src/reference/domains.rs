//! The organization's domains in the reference: codes, states, the 10-day deadline, and the
//! admin API that drives them (E-DV-01..05).
//!
//! A domain is *pending* from the moment an admin adds it: it gets a verification code (a
//! UUID) and 10 days on the reference's [`Clock`]. *Verify* runs the
//! [`verifier`](crate::verification::verifier) against the configured name server and web
//! server; success makes the domain *verified* for good (it can no longer be deleted or
//! unmarked), and the first domain so verified creates the organization, with the verifying
//! account as its organization admin (E-DV-01). The organization's admin API can also mark a
//! domain verified without proof ([`DomainRegistry::set_verified`]); such a domain can be
//! unmarked, and a later successful verification proves it. When the deadline passes the domain becomes *expired*: the
//! old code is retired, a new one is issued with a fresh 10 days, and a record still
//! holding the old code is answered `expired` rather than `wrong-code`, because that is
//! what the admin needs to hear.
//!
//! Expiry is applied lazily, whenever a domain is read, so nothing runs in the background
//! and a simulated clock jump is seen by the next request.

use super::body::read_optional_json;
use super::response::{ApiError, json_response};
use super::state::AppState;
use crate::clock::Clock;
use crate::scim::ScimError;
use crate::verification::verifier::{
    self, DEADLINE_DAYS, FILE_PATH, Method, Methods, Outcome, RECORD_PREFIX, Verification,
    VerifierConfig,
};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, Utc};
use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

mod test_api;

/// Where a domain stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DomainState {
    Pending,
    Verified,
    /// A window closed unverified; the current code is a reissued one.
    Expired,
}

/// One domain of the organization.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Domain {
    pub name: String,
    pub state: DomainState,
    /// The code to publish now.
    pub code: String,
    /// Codes whose window closed (a record still holding one is answered `expired`).
    pub retired_codes: Vec<String>,
    pub added_at: DateTime<Utc>,
    pub added_by: Option<String>,
    /// The start of the current code's window and its end (`started + 10 days`).
    pub started_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
    pub verified_by: Option<String>,
    pub verified_method: Option<Method>,
    pub last_outcome: Option<&'static str>,
}

/// The organization, created by the first verified domain (E-DV-01).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub created_at: DateTime<Utc>,
    /// The domain whose verification created it.
    pub created_by_domain: String,
    /// Organization admins by domain verification, in order: the first created the
    /// organization. A later domain is verified by someone acting for the organization, so
    /// that account is (or becomes) an admin too; the reference's admin API has one token per
    /// organization, so the account is what the request names.
    pub admins: Vec<String>,
}

/// What happened when a domain was verified: returned by [`DomainRegistry::verify`] so the
/// caller can make the account an admin of the organization (owned by `org.rs`).
#[derive(Debug, Clone)]
pub struct VerifiedEvent {
    pub domain: String,
    pub account: String,
    pub method: Method,
    /// True when this verification created the organization (the account is then its first
    /// organization admin; otherwise it is added as one).
    pub created_organization: bool,
}

/// Why a domain operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("not a valid domain name: {0}")]
    InvalidDomain(String),
    #[error("the organization has no domain '{0}'")]
    NotFound(String),
    #[error("the domain '{0}' was already added")]
    Exists(String),
    #[error("the domain '{0}' is verified and cannot be deleted (E-DV-04)")]
    VerifiedCannotBeDeleted(String),
    #[error(
        "the domain '{0}' was proven by DNS or web verification and stays verified (E-DV-04); \
         only a domain an administrator marked verified can be unmarked"
    )]
    Proven(String),
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let status = match e {
            DomainError::InvalidDomain(_) => 400,
            DomainError::NotFound(_) => 404,
            DomainError::Exists(_)
            | DomainError::VerifiedCannotBeDeleted(_)
            | DomainError::Proven(_) => 409,
        };
        ApiError(ScimError::status(status, e.to_string()))
    }
}

#[derive(Debug, Default)]
struct Inner {
    domains: BTreeMap<String, Domain>,
    organization: Option<Organization>,
}

/// The organization's domains. One per reference instance, shared by the admin API and
/// (through [`DomainRegistry::has_verified_domain`]) User Sync's prerequisites.
pub struct DomainRegistry {
    clock: Arc<dyn Clock>,
    inner: Mutex<Inner>,
    verifier: RwLock<VerifierConfig>,
}

impl std::fmt::Debug for DomainRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DomainRegistry")
            .field("inner", &*self.inner.lock())
            .field("verifier", &*self.verifier.read())
            .finish()
    }
}

/// `verifiedBy` of a domain an administrator marked verified through the organization's API.
pub const ADMIN_SETTING: &str = "(administrator setting)";

/// A domain just added: pending, with a fresh code and 10 days.
fn pending(name: &str, account: Option<&str>, now: DateTime<Utc>) -> Domain {
    Domain {
        name: name.to_string(),
        state: DomainState::Pending,
        code: new_code(),
        retired_codes: Vec::new(),
        added_at: now,
        added_by: account.map(str::to_string),
        started_at: now,
        deadline: now + Duration::days(DEADLINE_DAYS),
        verified_at: None,
        verified_by: None,
        verified_method: None,
        last_outcome: None,
    }
}

fn new_code() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

/// Retires the code of a pending (or expired) domain whose window closed, issuing a new one.
/// Returns whether it did.
fn apply_expiry(d: &mut Domain, now: DateTime<Utc>) -> bool {
    if d.state == DomainState::Verified || now <= d.deadline {
        return false;
    }
    let old = std::mem::replace(&mut d.code, new_code());
    d.retired_codes.push(old);
    d.state = DomainState::Expired;
    d.started_at = now;
    d.deadline = now + Duration::days(DEADLINE_DAYS);
    true
}

impl DomainRegistry {
    /// An empty registry reading time from `clock`, with no servers configured.
    pub fn new(clock: Arc<dyn Clock>) -> DomainRegistry {
        DomainRegistry {
            clock,
            inner: Mutex::default(),
            verifier: RwLock::new(VerifierConfig::default()),
        }
    }

    /// Sets which name server and web server the verifier asks.
    pub fn set_verifier_config(&self, cfg: VerifierConfig) {
        *self.verifier.write() = cfg;
    }

    pub fn verifier_config(&self) -> VerifierConfig {
        self.verifier.read().clone()
    }

    /// Whether at least one domain is verified: User Sync's "validated organization domain"
    /// prerequisite (S-US-10).
    pub fn has_verified_domain(&self) -> bool {
        self.inner
            .lock()
            .domains
            .values()
            .any(|d| d.state == DomainState::Verified)
    }

    /// The organization, once a domain has been verified.
    pub fn organization(&self) -> Option<Organization> {
        self.inner.lock().organization.clone()
    }

    /// Forgets every domain and the organization (test-only endpoint: lets a scenario that
    /// needs "no verified domain" start from scratch on a shared reference).
    pub fn reset(&self) {
        *self.inner.lock() = Inner::default();
    }

    /// Starts verifying a domain: a new code and 10 days.
    pub fn add(&self, domain: &str, account: Option<&str>) -> Result<Domain, DomainError> {
        let name = verifier::normalise_domain(domain).map_err(DomainError::InvalidDomain)?;
        let now = self.clock.now();
        let mut inner = self.inner.lock();
        if inner.domains.contains_key(&name) {
            return Err(DomainError::Exists(name));
        }
        let d = pending(&name, account, now);
        inner.domains.insert(name, d.clone());
        Ok(d)
    }

    /// An administrator sets a domain's state directly, adding it if needed: verified (no
    /// method: nothing was checked), or back to pending with a fresh code and 10 days. A domain
    /// proven by DNS or web verification stays verified (E-DV-04).
    pub fn set_verified(&self, domain: &str, verified: bool) -> Result<Domain, DomainError> {
        let name = Self::key(domain)?;
        let now = self.clock.now();
        let mut inner = self.inner.lock();
        let d = inner
            .domains
            .entry(name.clone())
            .or_insert_with(|| pending(&name, None, now));
        match (verified, d.state == DomainState::Verified) {
            (true, false) => {
                d.state = DomainState::Verified;
                d.verified_at = Some(now);
                d.verified_by = Some(ADMIN_SETTING.into());
                d.verified_method = None;
            }
            (false, true) if d.verified_method.is_some() => {
                return Err(DomainError::Proven(name));
            }
            (false, true) => {
                let old = std::mem::replace(&mut d.code, new_code());
                d.retired_codes.push(old);
                d.state = DomainState::Pending;
                d.started_at = now;
                d.deadline = now + Duration::days(DEADLINE_DAYS);
                d.verified_at = None;
                d.verified_by = None;
            }
            _ => {}
        }
        Ok(d.clone())
    }

    fn key(domain: &str) -> Result<String, DomainError> {
        verifier::normalise_domain(domain).map_err(DomainError::InvalidDomain)
    }

    /// A domain as it stands now (expiry applied).
    pub fn get(&self, domain: &str) -> Result<Domain, DomainError> {
        let name = Self::key(domain)?;
        let now = self.clock.now();
        let mut inner = self.inner.lock();
        let d = inner
            .domains
            .get_mut(&name)
            .ok_or(DomainError::NotFound(name))?;
        apply_expiry(d, now);
        Ok(d.clone())
    }

    /// Every domain, by name (expiry applied).
    pub fn list(&self) -> Vec<Domain> {
        let now = self.clock.now();
        let mut inner = self.inner.lock();
        inner
            .domains
            .values_mut()
            .map(|d| {
                apply_expiry(d, now);
                d.clone()
            })
            .collect()
    }

    /// Deletes a domain that is not verified.
    pub fn delete(&self, domain: &str) -> Result<(), DomainError> {
        let name = Self::key(domain)?;
        let mut inner = self.inner.lock();
        match inner.domains.get(&name) {
            None => Err(DomainError::NotFound(name)),
            Some(d) if d.state == DomainState::Verified => {
                Err(DomainError::VerifiedCannotBeDeleted(name))
            }
            Some(_) => {
                inner.domains.remove(&name);
                Ok(())
            }
        }
    }

    /// Verifies a domain on behalf of `account`. Not verifying is not an error: the
    /// [`Verification`] says why.
    pub async fn verify(
        &self,
        domain: &str,
        account: &str,
        methods: Methods,
    ) -> Result<(Domain, Verification, Option<VerifiedEvent>), DomainError> {
        let name = Self::key(domain)?;
        let code = {
            let now = self.clock.now();
            let mut inner = self.inner.lock();
            let d = inner
                .domains
                .get_mut(&name)
                .ok_or_else(|| DomainError::NotFound(name.clone()))?;
            // A domain an administrator marked verified is still checked: proof upgrades it.
            if d.state == DomainState::Verified
                && let Some(method) = d.verified_method
            {
                let mut v =
                    Verification::without_checks(&name, &d.code, Outcome::Verified { method });
                v.explanation = format!(
                    "already verified by {} on {}",
                    d.verified_by.as_deref().unwrap_or("(unknown)"),
                    d.verified_at.map(|t| t.to_rfc3339()).unwrap_or_default()
                );
                return Ok((d.clone(), v, None));
            }
            if apply_expiry(d, now) {
                let outcome = Outcome::Expired {
                    new_code: d.code.clone(),
                };
                d.last_outcome = Some(outcome.code());
                let v = Verification::without_checks(&name, &d.code, outcome);
                return Ok((d.clone(), v, None));
            }
            d.code.clone()
        };
        let cfg = self.verifier_config();
        let mut v = verifier::verify(&name, &code, methods, &cfg).await;

        let now = self.clock.now();
        let mut event = None;
        let result = {
            let mut inner = self.inner.lock();
            let organization_exists = inner.organization.is_some();
            let d = inner
                .domains
                .get_mut(&name)
                .ok_or_else(|| DomainError::NotFound(name.clone()))?;
            let expired_meanwhile = apply_expiry(d, now) || d.code != code;
            let stale = match &v.outcome {
                Outcome::WrongCode { found, .. } => {
                    found.iter().any(|f| d.retired_codes.contains(f))
                }
                _ => false,
            };
            if expired_meanwhile || stale {
                let outcome = Outcome::Expired {
                    new_code: d.code.clone(),
                };
                v.code = outcome.code();
                v.explanation = outcome.explain(&name, &d.code);
                v.outcome = outcome;
            }
            if let Outcome::Verified { method } = v.outcome {
                d.state = DomainState::Verified;
                d.verified_at = Some(now);
                d.verified_by = Some(account.to_string());
                d.verified_method = Some(method);
                event = Some(VerifiedEvent {
                    domain: name.clone(),
                    account: account.to_string(),
                    method,
                    created_organization: !organization_exists,
                });
            }
            d.last_outcome = Some(v.code);
            let snapshot = d.clone();
            if event.is_some() {
                let org = inner.organization.get_or_insert_with(|| Organization {
                    created_at: now,
                    created_by_domain: name.clone(),
                    admins: Vec::new(),
                });
                if !org.admins.iter().any(|a| a == account) {
                    org.admins.push(account.to_string());
                }
            }
            (snapshot, v, event)
        };
        Ok(result)
    }
}

// ----- the admin API -------------------------------------------------------------------------

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// The code as an admin needs it: the record, the file, the deadline.
fn code_json(d: &Domain) -> Value {
    let value = format!("{RECORD_PREFIX}{}", d.code);
    json!({
        "domain": d.name,
        "code": d.code,
        "state": d.state,
        "deadline": d.deadline,
        "dnsRecord": {
            "name": d.name,
            "type": "TXT",
            "value": value,
            "zoneFileLines": [
                format!("@ IN TXT \"{value}\""),
                format!("{}. IN TXT \"{value}\"", d.name),
            ],
        },
        "webFile": {"url": format!("http://{}{FILE_PATH}", d.name), "body": value},
    })
}

async fn list(State(st): State<AppState>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({
            "domains": st.domains.list(),
            "organization": st.domains.organization(),
        }),
    )
}

async fn add(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let req = read_optional_json(&st, &headers, body).await?;
    let domain = str_field(&req, "domain").ok_or_else(|| {
        ApiError(ScimError::invalid_value(
            "the body needs \"domain\": the domain to verify",
        ))
    })?;
    let d = st.domains.add(domain, str_field(&req, "account"))?;
    let mut out = serde_json::to_value(&d).unwrap_or_default();
    if let Some(o) = out.as_object_mut() {
        o.insert("verification".into(), code_json(&d));
    }
    Ok(json_response(StatusCode::CREATED, &out))
}

async fn get_one(
    State(st): State<AppState>,
    Path(domain): Path<String>,
) -> Result<Response, ApiError> {
    let d = st.domains.get(&domain)?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::to_value(&d).unwrap_or_default(),
    ))
}

async fn get_code(
    State(st): State<AppState>,
    Path(domain): Path<String>,
) -> Result<Response, ApiError> {
    let d = st.domains.get(&domain)?;
    Ok(json_response(StatusCode::OK, &code_json(&d)))
}

async fn verify(
    State(st): State<AppState>,
    Path(domain): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let req = read_optional_json(&st, &headers, body).await?;
    let account = str_field(&req, "account").ok_or_else(|| {
        ApiError(ScimError::invalid_value(
            "the body needs \"account\": the account that verifies becomes organization admin (E-DV-01)",
        ))
    })?;
    let methods = match str_field(&req, "method")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("any") => Methods::Any,
        Some("dns") => Methods::Dns,
        Some("web") => Methods::Web,
        Some(other) => {
            return Err(ApiError(ScimError::invalid_value(format!(
                "\"method\" is \"dns\", \"web\" or \"any\", not \"{other}\""
            ))));
        }
    };
    let (d, v, event) = st.domains.verify(&domain, account, methods).await?;
    // The verifying account becomes organization admin (E-DV-01).
    if let (Some(e), Some(usersync)) = (event, &st.usersync) {
        let _ = usersync
            .org()
            .grant_role(&e.account, super::org::AdminRole::OrganizationAdmin);
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({"domain": d, "verification": v, "organization": st.domains.organization()}),
    ))
}

async fn delete(
    State(st): State<AppState>,
    Path(domain): Path<String>,
) -> Result<Response, ApiError> {
    st.domains.delete(&domain)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The domain admin API and the test endpoints, merged into the reference's router (behind
/// its authentication).
pub fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/admin/v1/domains", get(list).post(add))
        .route("/admin/v1/domains/{domain}", get(get_one).delete(delete))
        .route("/admin/v1/domains/{domain}/code", get(get_code))
        .route("/admin/v1/domains/{domain}/verify", post(verify))
        .merge(test_api::routes())
}
