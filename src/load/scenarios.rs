//! The load scenarios: what one scheduled operation does, and the data each sets up first.
//!
//! Setup (users, groups) happens before the measured window and outside the schedule. Each
//! shard creates its own population, with the run id and the shard index in every name, so N
//! shards against one target never collide and operation `k` always touches the same object in
//! a given shard layout.

use super::driver::Operation;
use super::http::Target;
use super::metrics::{Completed, KindId, OpStatus};
use super::provider;
use super::visibility::{VisibilityWait, WaitOutcome, entitlement_value};
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The scenarios `scim-harness load --scenario` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScenarioName {
    /// PATCH users' `entitlements` directly; each operation grants `--entitlements-per-op`.
    EntitlementsApi,
    /// Change a user's entitlements, then wait until the change is *visible* on the user
    /// (bounded polling of `GET /Users/{id}?attributes=entitlements`; the User Sync admin API's
    /// applied-sequence wait is probed and reported). The change is a direct PATCH of the
    /// user's entitlements, not a directory-group change applied by User Sync rules (the
    /// reference's rule engine is not driven yet), so this measures PATCH -> visible on read.
    EntitlementsE2e,
    /// The identity provider's request mix: initial cycle (GET filter userName eq -> POST /Users,
    /// PATCH group members in batches), then incremental (PATCH Replace attributes, PATCH active
    /// "False"/"True").
    ProviderCycle,
    /// Reads: GET by id, filter userName eq, pagination, group filter by displayName.
    ReadMix,
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
            ScenarioName::Hello => "hello",
        }
    }

    /// Operation kinds, in `KindId` order: the histograms and interval-log tags.
    pub fn kinds(&self) -> &'static [&'static str] {
        match self {
            ScenarioName::EntitlementsApi => &["entitlements.patch"],
            ScenarioName::EntitlementsE2e => &["entitlement.visible", "entitlements.patch"],
            ScenarioName::ProviderCycle => provider::CYCLE_KINDS,
            ScenarioName::ReadMix => provider::READ_KINDS,
            ScenarioName::Hello => &["hello"],
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
        }
    }
}

/// Why setup failed.
#[derive(Debug, thiserror::Error)]
#[error("setup failed: {what}: {detail}")]
pub struct SetupError {
    pub what: String,
    pub detail: String,
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

async fn create_all(
    target: &Target,
    path: &str,
    bodies: Vec<(String, Value)>,
    concurrency: usize,
) -> Result<Vec<Created>, SetupError> {
    let results: Vec<Result<Created, SetupError>> = futures::stream::iter(bodies)
        .enumerate()
        .map(|(lane, (name, body))| async move {
            let fail = |detail: String| SetupError {
                what: format!("POST {path} '{name}'"),
                detail,
            };
            let r = target
                .send(lane, Method::POST, path, Some(body.to_string()))
                .await
                .map_err(|t| fail(format!("{t:?}")))?;
            if r.status != 201 && r.status != 200 {
                let text = String::from_utf8_lossy(&r.body);
                return Err(fail(format!(
                    "HTTP {}: {}",
                    r.status,
                    text.chars().take(200).collect::<String>()
                )));
            }
            let id = r.json()["id"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| fail("the response has no id".into()))?;
            Ok(Created { id, name })
        })
        .buffered(concurrency.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}

/// Creates the scenario's users and groups on the target (outside the measured window) and
/// returns the operation to schedule.
pub async fn prepare(
    name: ScenarioName,
    target: Target,
    config: ScenarioConfig,
    visibility: Option<Arc<dyn VisibilityWait>>,
) -> Result<ScenarioOp, SetupError> {
    let mut population = Population::default();
    if name != ScenarioName::Hello {
        let prefix = format!("load-{}-s{}", config.run_id, config.shard_index);
        let users = (0..config.users.max(1))
            .map(|i| {
                let user_name = format!("{prefix}-u{i}@example.test");
                let body = user_body(&user_name, &format!("{prefix}-u{i}"));
                (user_name, body)
            })
            .collect();
        population.users = create_all(&target, "/Users", users, config.setup_concurrency).await?;
        let groups = (0..config.groups.max(1))
            .map(|g| {
                let display = format!("{prefix}-g{g}");
                let body = json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "displayName": display, "externalId": display, "members": []
                });
                (display, body)
            })
            .collect();
        population.groups =
            create_all(&target, "/Groups", groups, config.setup_concurrency).await?;
    }
    Ok(ScenarioOp {
        name,
        target,
        population: Arc::new(population),
        config,
        visibility,
    })
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

    fn entitlements_patch(&self, k: u64) -> String {
        let values: Vec<Value> = (0..self.config.entitlements_per_op.max(1))
            .map(|e| json!({"value": entitlement_value(k, e), "type": "product"}))
            .collect();
        // Replace, not add: the user's resource keeps a constant size however long the run, and
        // each operation still grants `entitlements_per_op` new entitlements.
        patch_body(json!([{"op": "replace", "path": "entitlements", "value": values}]))
    }

    async fn entitlements_api(&self, k: u64, lane: usize) -> Completed {
        let user = self.user_for(k);
        let path = format!("/Users/{}", user.id);
        match self
            .target
            .send(lane, Method::PATCH, &path, Some(self.entitlements_patch(k)))
            .await
        {
            Ok(r) => {
                let mut done = Completed::of(0, r.outcome());
                done.entitlements = self.config.entitlements_per_op.max(1) as u64;
                done
            }
            Err(t) => Completed::of(0, OpStatus::Transport(t)),
        }
    }

    async fn entitlements_e2e(&self, k: u64, lane: usize) -> Completed {
        const VISIBLE: KindId = 0;
        const PATCH: KindId = 1;
        let user = self.user_for(k);
        let path = format!("/Users/{}", user.id);
        let started = Instant::now();
        let patched = match self
            .target
            .send(lane, Method::PATCH, &path, Some(self.entitlements_patch(k)))
            .await
        {
            Ok(r) if (200..300).contains(&r.status) => Instant::now(),
            Ok(r) => return Completed::of(VISIBLE, OpStatus::Http(r.status)),
            Err(t) => return Completed::of(VISIBLE, OpStatus::Transport(t)),
        };
        let Some(vis) = &self.visibility else {
            return Completed::of(VISIBLE, OpStatus::NotVisible);
        };
        let deadline = started + self.config.visibility_timeout;
        match vis.wait(lane, &user.id, k, deadline).await {
            WaitOutcome::Visible { .. } => Completed {
                kind: VISIBLE,
                status: OpStatus::Ok(200),
                entitlements: self.config.entitlements_per_op.max(1) as u64,
                extra: Some((PATCH, patched)),
                end: Some(Instant::now()),
            },
            WaitOutcome::NotVisible => Completed::of(VISIBLE, OpStatus::NotVisible),
            WaitOutcome::Failed(s) => Completed::of(VISIBLE, s),
        }
    }

    async fn hello(&self, lane: usize) -> Completed {
        match self.target.get(lane, "").await {
            Ok(r) => Completed::of(0, r.outcome()),
            Err(t) => Completed::of(0, OpStatus::Transport(t)),
        }
    }
}

impl Operation for ScenarioOp {
    async fn run(&self, k: u64, lane: usize) -> Completed {
        match self.name {
            ScenarioName::EntitlementsApi => self.entitlements_api(k, lane).await,
            ScenarioName::EntitlementsE2e => self.entitlements_e2e(k, lane).await,
            ScenarioName::ProviderCycle => provider::cycle_op(self, k, lane).await,
            ScenarioName::ReadMix => provider::read_op(self, k, lane).await,
            ScenarioName::Hello => self.hello(lane).await,
        }
    }
}
