//! What one scheduled load operation is made of: the scenario's name and sizes, the objects
//! setup made, and the request bodies. A leaf module: the scenarios (`scenarios`) and the
//! identity provider's request mix (`provider`) both build on it, and it on neither.

use super::http::Target;
use super::visibility::VisibilityWait;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The scenarios `scim-harness load --scenario` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScenarioName {
    /// PATCH users' `entitlements` directly; each operation grants `--entitlements-per-op`.
    EntitlementsApi,
    /// A directory change counted when its entitlements are *visible*. Where the target serves
    /// the User Sync admin API, users move between ruled groups (two member PATCHes) and the
    /// operation ends when the engine has applied it (applied-sequence wait); elsewhere the
    /// user's entitlements are PATCHed and polled with `GET /Users/{id}?attributes=entitlements`.
    EntitlementsE2e,
    /// The identity provider's request mix: initial cycle (GET filter userName eq -> POST /Users,
    /// PATCH group members in batches), then incremental (PATCH Replace attributes, PATCH active
    /// "False"/"True").
    ProviderCycle,
    /// Reads: GET by id, filter userName eq, pagination, group filter by displayName.
    ReadMix,
    /// Okta's provisioning client's mix: match-then-create (GET filter with startIndex and
    /// count, then POST with groups: [] and a password), GET then full PUT updates, path-less
    /// replace of active, group push (rename with {id, displayName} plus an add of members).
    OktaPush,
    /// GET the target URL itself: a trivial endpoint, to measure the driver against wrk.
    Hello,
}

impl ScenarioName {
    /// The kebab-case name used on the command line and in reports.
    pub fn as_str(&self) -> &'static str {
        match self {
            ScenarioName::EntitlementsApi => "entitlements-api",
            ScenarioName::EntitlementsE2e => "entitlements-e2e",
            ScenarioName::ProviderCycle => "provider-cycle",
            ScenarioName::ReadMix => "read-mix",
            ScenarioName::OktaPush => "okta-push",
            ScenarioName::Hello => "hello",
        }
    }
}

/// Sizes and waits of the scenarios.
#[derive(Debug, Clone)]
pub struct ScenarioConfig {
    /// Users created by setup (per shard).
    pub users: usize,
    /// Groups created by setup (per shard).
    pub groups: usize,
    /// Entitlements granted by one entitlements operation.
    pub entitlements_per_op: usize,
    /// Members added by one group PATCH in `provider-cycle`.
    pub member_batch: usize,
    /// How long `entitlements-e2e` waits for visibility before counting "not visible".
    pub visibility_timeout: Duration,
    /// Polling interval of the polling visibility strategy.
    pub poll_interval: Duration,
    /// Requests in flight during setup.
    pub setup_concurrency: usize,
    /// `provider-cycle`: the global operation number where the initial cycle's mix gives way to
    /// the incremental cycle's (the run sets it to half the schedule).
    pub incremental_from: u64,
    /// Distinguishes this run's objects from other runs' on a shared target.
    pub run_id: String,
    /// This process's shard index and the shard count.
    pub shard_index: u64,
    pub shard_count: u64,
    /// `entitlements-e2e` drives User Sync rules through the target's admin API (set when the
    /// target serves it): each group gets a rule, and operations move users between groups.
    pub rules: bool,
}

impl Default for ScenarioConfig {
    fn default() -> Self {
        ScenarioConfig {
            users: 1000,
            groups: 10,
            entitlements_per_op: 1,
            member_batch: 10,
            visibility_timeout: Duration::from_secs(5),
            poll_interval: Duration::from_millis(5),
            setup_concurrency: 32,
            incremental_from: u64::MAX,
            run_id: "run".into(),
            shard_index: 0,
            shard_count: 1,
            rules: false,
        }
    }
}

/// A user or group created by setup.
#[derive(Debug, Clone)]
pub struct Created {
    pub id: String,
    pub name: String,
}

/// The objects a scenario works on.
#[derive(Debug, Default)]
pub struct Population {
    pub users: Vec<Created>,
    pub groups: Vec<Created>,
}

/// A prepared scenario: the operation the driver schedules.
pub struct ScenarioOp {
    pub name: ScenarioName,
    pub target: Target,
    pub population: Arc<Population>,
    pub config: ScenarioConfig,
    /// Set for `entitlements-e2e`.
    pub visibility: Option<Arc<dyn VisibilityWait>>,
}

/// A User body with the attributes the identity provider maps by default (BEHAVIOUR E-MAP-01).
pub fn user_body(user_name: &str, external_id: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "externalId": external_id,
        "active": true,
        "name": {"givenName": "Load", "familyName": external_id},
        "emails": [{"value": user_name, "type": "work", "primary": true}]
    })
}

/// A PatchOp message body.
pub fn patch_body(ops: Value) -> String {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
        .to_string()
}

impl ScenarioOp {
    /// This shard's position of global operation `k`: operations of one shard are
    /// `k = j * N + i`, so `j` walks the shard's own population.
    pub fn local(&self, k: u64) -> u64 {
        k / self.config.shard_count.max(1)
    }

    /// The user operation `k` works on.
    pub fn user_for(&self, k: u64) -> &Created {
        let users = &self.population.users;
        &users[(self.local(k) % users.len().max(1) as u64) as usize]
    }
}
