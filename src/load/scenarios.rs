//! The load scenarios: what one scheduled operation does, and the data each sets up first.
//!
//! Setup (users, groups) happens before the measured window and outside the schedule. Each
//! shard creates its own population, with the run id and the shard index in every name, so N
//! shards against one target never collide and operation `k` always touches the same object in
//! a given shard layout.

use super::driver::Operation;
use super::http::Target;
use super::metrics::{Completed, KindId, OpStatus};
pub use super::op::{
    Created, Population, ScenarioConfig, ScenarioName, ScenarioOp, patch_body, user_body,
};
use super::provider;
use super::visibility::{VisibilityWait, WaitOutcome, entitlement_value};
use crate::client::admin::{AdminClient, AdminError};
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The operation kinds of each scenario live with the scenarios that send them.
impl ScenarioName {
    /// Operation kinds, in `KindId` order: the histograms and interval-log tags.
    pub fn kinds(&self) -> &'static [&'static str] {
        match self {
            ScenarioName::EntitlementsApi => &["entitlements.patch"],
            ScenarioName::EntitlementsE2e => &["entitlement.visible", "entitlements.patch"],
            ScenarioName::ProviderCycle => provider::CYCLE_KINDS,
            ScenarioName::ReadMix => provider::READ_KINDS,
            ScenarioName::OktaPush => super::okta::KINDS,
            ScenarioName::Hello => &["hello"],
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

/// A SCIM request made during setup: any 2xx is accepted.
async fn setup_call(
    target: &Target,
    method: Method,
    path: &str,
    body: Value,
) -> Result<Value, SetupError> {
    let fail = |detail: String| SetupError {
        what: format!("{method} {path}"),
        detail,
    };
    let r = target
        .send(0, method.clone(), path, Some(body.to_string()))
        .await
        .map_err(|t| fail(format!("{t:?}")))?;
    if !(200..300).contains(&r.status) {
        let text = String::from_utf8_lossy(&r.body);
        return Err(fail(format!(
            "HTTP {}: {}",
            r.status,
            text.chars().take(200).collect::<String>()
        )));
    }
    Ok(r.json())
}

/// User Sync setup for `entitlements-e2e` (outside the measured window): the prerequisites, one
/// rule per group granting `entitlements_per_op` products of its own, every user in group
/// `i % groups`, the switch on, and everything applied.
async fn setup_rules(
    target: &Target,
    population: &Population,
    config: &ScenarioConfig,
    prefix: &str,
) -> Result<(), SetupError> {
    if population.groups.len() < 2 {
        return Err(SetupError {
            what: "entitlements-e2e with User Sync rules".into(),
            detail: "needs at least 2 groups to move users between".into(),
        });
    }
    let fail = |detail: String| SetupError {
        what: "User Sync setup for entitlements-e2e".into(),
        detail,
    };
    let admin = AdminClient::new(target.scim_client().map_err(|e| fail(e.to_string()))?);
    admin
        .prepare_org(&format!("{prefix}-admin@example.test"), "example.test")
        .await
        .map_err(|e| fail(e.to_string()))?;
    for (g, group) in population.groups.iter().enumerate() {
        let products: Vec<String> = (0..config.entitlements_per_op.max(1))
            .map(|e| format!("{prefix}-g{g}-p{e}"))
            .collect();
        admin
            .create_rule(&group.id, &products)
            .await
            .map_err(|e| fail(e.to_string()))?;
    }
    let groups = population.groups.len();
    for (g, group) in population.groups.iter().enumerate() {
        let members: Vec<Value> = population
            .users
            .iter()
            .enumerate()
            .filter(|(i, _)| i % groups == g)
            .map(|(_, u)| json!({"value": u.id}))
            .collect();
        for chunk in members.chunks(500) {
            setup_call(
                target,
                Method::PATCH,
                &format!("/Groups/{}", group.id),
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "add", "path": "members", "value": chunk}]}),
            )
            .await?;
        }
    }
    admin
        .set_switch(true)
        .await
        .map_err(|e| fail(e.to_string()))?;
    // Long polls of 10 s, under the client's 30 s timeout, for 30 s in all.
    admin
        .settle(Duration::from_secs(30))
        .await
        .map_err(|e| match e {
            AdminError::NotApplied { .. } => SetupError {
                what: "turning User Sync on".into(),
                detail: "the engine did not apply the rules within 30 s".into(),
            },
            other => fail(other.to_string()),
        })
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
        if name == ScenarioName::EntitlementsE2e && config.rules {
            setup_rules(&target, &population, &config, &prefix).await?;
        }
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

    /// The directory change of operation `k` in rule mode: user `u` moves from group
    /// `(u + r) % G` to `(u + r + 1) % G` in its `r`-th round, so every operation grants the
    /// products of a group the user was not in (and User Sync takes the old ones away).
    async fn move_user(&self, k: u64, lane: usize) -> Result<(), OpStatus> {
        let users = self.population.users.len().max(1) as u64;
        let groups = &self.population.groups;
        let g = groups.len().max(1) as u64;
        let local = self.local(k);
        let (u, round) = (local % users, local / users);
        let user = &self.population.users[u as usize];
        let old = &groups[((u + round) % g) as usize];
        let new = &groups[((u + round + 1) % g) as usize];
        let remove = patch_body(
            json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", user.id)}]),
        );
        let add =
            patch_body(json!([{"op": "add", "path": "members", "value": [{"value": user.id}]}]));
        for (group, body) in [(old, remove), (new, add)] {
            let path = format!("/Groups/{}", group.id);
            match self
                .target
                .send(lane, Method::PATCH, &path, Some(body))
                .await
            {
                Ok(r) if (200..300).contains(&r.status) => {}
                Ok(r) => return Err(OpStatus::Http(r.status)),
                Err(t) => return Err(OpStatus::Transport(t)),
            }
        }
        Ok(())
    }

    async fn entitlements_e2e(&self, k: u64, lane: usize) -> Completed {
        const VISIBLE: KindId = 0;
        const PATCH: KindId = 1;
        let user = self.user_for(k);
        let path = format!("/Users/{}", user.id);
        let started = Instant::now();
        let written = if self.config.rules {
            self.move_user(k, lane).await
        } else {
            match self
                .target
                .send(lane, Method::PATCH, &path, Some(self.entitlements_patch(k)))
                .await
            {
                Ok(r) if (200..300).contains(&r.status) => Ok(()),
                Ok(r) => Err(OpStatus::Http(r.status)),
                Err(t) => Err(OpStatus::Transport(t)),
            }
        };
        let patched = match written {
            Ok(()) => Instant::now(),
            Err(s) => return Completed::of(VISIBLE, s),
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
            ScenarioName::OktaPush => super::okta::op(self, k, lane).await,
            ScenarioName::Hello => self.hello(lane).await,
        }
    }
}
