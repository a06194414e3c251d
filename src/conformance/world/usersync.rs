//! What a User Sync scenario changed on the shared target, undone after it, and what it
//! measured.

use crate::client::admin::path as admin_path;
use crate::conformance::target::RunContext;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// What a User Sync scenario changed on the shared target (undone after the scenario) and
/// what it measured.
#[derive(Debug, Default)]
pub struct SyncState {
    /// Rules it created: (group name as the feature wrote it, rule id), in creation order.
    pub(crate) rules: Vec<(String, String)>,
    pub(crate) admins: Vec<String>,
    /// Admins whose roles it changed, with their roles before.
    pub(crate) changed_admins: Vec<(String, Value)>,
    /// Products whose seat limit it set.
    pub(crate) seats: Vec<String>,
    pub(crate) foreign: Vec<String>,
    /// Domains it marked unverified.
    pub(crate) unverified: Vec<String>,
    pub(crate) custom_before: Option<Value>,
    /// Users changed by the last timed step, and when the change was sent.
    pub(crate) timed: Option<(Vec<String>, Instant)>,
    /// The bulk run: (users, seats used before, sent at, applied after).
    pub(crate) bulk: Option<Bulk>,
}

#[derive(Debug, Clone)]
pub(crate) struct Bulk {
    pub(crate) users: usize,
    pub(crate) used_before: u64,
    pub(crate) products: Vec<String>,
    pub(crate) started: Instant,
    pub(crate) applied_after: Option<Duration>,
    pub(crate) entitlements: u64,
}

/// Undoes what a scenario changed on the shared target (called by the `after` hook, before
/// its users and groups are deleted). Errors are ignored: this is best effort.
pub async fn clean_up(ctx: &RunContext, s: &mut SyncState) {
    let c = &ctx.client;
    for (_, id) in s.rules.drain(..) {
        let _ = c.delete(&admin_path::rule(&id)).await;
    }
    for p in s.seats.drain(..) {
        let path = admin_path::license(&p);
        let _ = c.put(&path, &json!({"seats": null})).await;
    }
    for u in s.foreign.drain(..) {
        let path = admin_path::foreign_account(&u);
        let _ = c.delete(&path).await;
    }
    for id in s.admins.drain(..) {
        let _ = c.delete(&admin_path::org_admin(&id)).await;
    }
    for (id, roles) in s.changed_admins.drain(..) {
        let path = admin_path::org_admin_roles(&id);
        let _ = c.put(&path, &json!({ "roles": roles })).await;
    }
    for d in s.unverified.drain(..) {
        let path = admin_path::org_domain(&d);
        let _ = c.put(&path, &json!({"verified": true})).await;
    }
    if let Some(m) = s.custom_before.take() {
        let _ = c
            .put(admin_path::CUSTOM_ATTRIBUTES, &json!({ "mappings": m }))
            .await;
    }
}
