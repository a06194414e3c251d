//! What a simulation is asked to do: the options both sources share, and the options only one
//! of them reads, as one [`SourceOptions`] so an Entra-only setting cannot reach the connector.

use crate::provisioning::faulty_target::Faults;
use crate::provisioning::logs::Progress;
use crate::provisioning::requests::Compat;
use crate::provisioning::scoping::Scoping;
use crate::provisioning::tenant::{Tenant, TenantError, TenantSpec};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;

use super::pace::Pace;
use super::report::CycleSummary;

/// The most cycles (polls) one simulation runs: a year of 40-minute cycles, so simulated
/// time stays far inside the clock's range.
pub const MAX_CYCLES: u32 = 13_140;

/// The provider's cycle interval.
pub const CYCLE_INTERVAL_MINUTES: i64 = 40;

/// The poll interval. The connector's is not published; 30 minutes is Microsoft Entra
/// Connect's default sync cycle, the figure AD admins expect from a directory agent.
pub const DEFAULT_POLL_MINUTES: i64 = 30;

/// Where the tenant comes from.
#[derive(Debug, Clone)]
pub enum TenantSource {
    File(PathBuf),
    Generate { users: usize, groups: usize },
}

impl TenantSource {
    /// Loads the fixture, or generates the tenant from `seed` at `t0`.
    pub fn tenant(&self, seed: u64, t0: DateTime<Utc>) -> Result<Tenant, TenantError> {
        match self {
            TenantSource::File(p) => Tenant::load(p),
            TenantSource::Generate { users, groups } => Ok(Tenant::generate(&TenantSpec::new(
                *users, *groups, seed, t0,
            ))),
        }
    }
}

/// Which source provisions the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Microsoft Entra ID's provisioning service (40-minute cycles).
    #[default]
    Entra,
    /// The Active Directory Connector v2 (polls the on-premises directory).
    Adc,
    /// Okta's provisioning client (pushes each change as it happens, imports on a schedule).
    Okta,
}

/// Settings only Microsoft Entra ID's provisioning service reads.
#[derive(Debug, Clone, Default)]
pub struct EntraOptions {
    pub compat: Compat,
    pub scoping: Scoping,
    /// Add the `manager` reference mapping to the product's defaults.
    pub map_manager: bool,
    /// Faults injected in front of the embedded reference (ignored with `target`).
    pub faults: Option<Faults>,
    /// Simulated minutes per object (E-CY-03).
    pub pace: Pace,
    /// A user whose creation and changes the report follows (userName, or display name).
    pub watch: Option<String>,
}

/// Settings only the directory connector reads.
#[derive(Debug, Clone)]
pub struct AdcOptions {
    /// Levels of nested groups under the selected ones.
    pub levels: usize,
    /// The organization's verified domains; `None`: read from the target's admin API (the
    /// embedded reference verifies the tenant's domain itself).
    pub verified_domains: Option<Vec<String>>,
    /// Organizational units to sync (`None`: all).
    pub organizational_units: Option<Vec<String>>,
    pub interval_minutes: i64,
}

impl Default for AdcOptions {
    fn default() -> Self {
        AdcOptions {
            levels: 3,
            verified_domains: None,
            organizational_units: None,
            interval_minutes: DEFAULT_POLL_MINUTES,
        }
    }
}

/// How the app was made, which decides the update style (O-UPDATE-01).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum OktaApp {
    /// An Okta Integration Network app: PUT for profile updates, PATCH to (de)activate and
    /// for group pushes.
    #[default]
    Oin,
    /// A custom app made with the App Integration Wizard: PUT for everything.
    Custom,
}

impl OktaApp {
    pub fn name(self) -> &'static str {
        match self {
            OktaApp::Oin => "oin",
            OktaApp::Custom => "custom",
        }
    }
}

/// The default import schedule: hourly, the most frequent a scheduled import runs.
pub const DEFAULT_IMPORT_MINUTES: i64 = 60;

/// Settings only Okta's client reads.
#[derive(Debug, Clone)]
pub struct OktaOptions {
    /// OIN or custom (AIW) app: the update style.
    pub app: OktaApp,
    /// Simulated minutes between two scheduled imports (0: never).
    pub import_minutes: i64,
    /// Faults injected in front of the embedded reference (ignored with `target`).
    pub faults: Option<Faults>,
}

impl Default for OktaOptions {
    fn default() -> Self {
        OktaOptions {
            app: Default::default(),
            import_minutes: DEFAULT_IMPORT_MINUTES,
            faults: None,
        }
    }
}

/// The source and what only it reads.
#[derive(Debug, Clone)]
pub enum SourceOptions {
    Entra(EntraOptions),
    Adc(AdcOptions),
    Okta(OktaOptions),
}

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions::Entra(EntraOptions::default())
    }
}

impl SourceOptions {
    pub fn source(&self) -> Source {
        match self {
            SourceOptions::Entra(_) => Source::Entra,
            SourceOptions::Adc(_) => Source::Adc,
            SourceOptions::Okta(_) => Source::Okta,
        }
    }
    /// Simulated minutes between two cycles (polls; for Okta, rounds of churn).
    pub fn interval_minutes(&self) -> i64 {
        match self {
            SourceOptions::Entra(_) | SourceOptions::Okta(_) => CYCLE_INTERVAL_MINUTES,
            SourceOptions::Adc(a) => a.interval_minutes.max(1),
        }
    }
}

/// Options of a simulation (the command line's, or a test's).
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub source: SourceOptions,
    /// SCIM base URL; `None` runs against the embedded reference.
    pub target: Option<String>,
    /// How to reach `target` (credentials, headers, TLS); unused for the embedded reference.
    pub connection: crate::client::Connection,
    pub tenant: TenantSource,
    /// Share of users changed per cycle.
    pub churn: f64,
    /// Slots after the initial cycle: 40-minute cycles for Entra (36 = 24 h), polls for
    /// the connector.
    pub cycles: u32,
    pub seed: u64,
    /// Extra churn-free cycles allowed after the last slot to deliver pending escrows.
    pub settle_cycles: u32,
    pub concurrency: usize,
    /// Called after each cycle (progress bars, logs).
    pub on_cycle: Option<CycleCallback>,
    /// Shared with a progress bar while a cycle runs.
    pub progress: Option<Arc<Progress>>,
}

/// A function called after each cycle.
#[derive(Clone)]
pub struct CycleCallback(pub Arc<dyn Fn(&CycleSummary) + Send + Sync>);

impl CycleCallback {
    /// Calls the callback, if there is one.
    pub fn notify(cb: &Option<CycleCallback>, s: &CycleSummary) {
        if let Some(cb) = cb {
            (cb.0)(s);
        }
    }
}

impl std::fmt::Debug for CycleCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CycleCallback")
    }
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            source: SourceOptions::default(),
            target: None,
            connection: crate::client::Connection::default(),
            tenant: TenantSource::Generate {
                users: 1000,
                groups: 50,
            },
            churn: 0.01,
            cycles: 36,
            seed: 1,
            settle_cycles: 40,
            concurrency: 32,
            on_cycle: None,
            progress: None,
        }
    }
}

/// Minutes in a simulated duration (`24h` -> 1440, `90m` -> 90, `2d` -> 2880).
pub fn minutes_in(duration: &str) -> Option<i64> {
    let d = duration.trim();
    let (num, unit) = d.split_at(d.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = num.parse().ok()?;
    match unit {
        "m" | "min" => Some(n),
        "h" => n.checked_mul(60),
        "d" => n.checked_mul(24 * 60),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_minutes() {
        assert_eq!(minutes_in("24h"), Some(1440));
        assert_eq!(minutes_in("90m"), Some(90));
        assert_eq!(minutes_in("2d"), Some(2880));
        assert_eq!(minutes_in("2 weeks"), None);
        assert_eq!(minutes_in("h"), None);
        assert_eq!(minutes_in("99999999999999999999d"), None);
    }
}
