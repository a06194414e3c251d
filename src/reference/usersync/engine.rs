//! The workers: expand events into users, recompute each user from current state, write the
//! result onto the SCIM user. A recompute reads the user (with its nested groups) and the rules
//! (an `Arc` snapshot), merges, takes or returns license seats and writes only what changed, so
//! running it twice, or in any order against other users, gives the same result.

use super::UserSync;
use super::custom;
use super::queue::{Event, Work};
use super::state::{Status, SyncFailure, UserRecord};
use crate::reference::store::Kind;
use crate::scim::schema::USERSYNC_SCHEMA;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use tokio::sync::watch;
use uuid::Uuid;

/// Timestamps as the SCIM resources show them.
pub(super) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// What a recompute decided to do with the SCIM user.
enum Action {
    Nothing,
    Write(Vec<(&'static str, Option<Value>)>),
    Delete,
}

/// The attributes User Sync owns on a user.
const OWNED: [&str; 3] = ["entitlements", "roles", USERSYNC_SCHEMA];

impl UserSync {
    pub(super) async fn worker(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        loop {
            let work = tokio::select! {
                w = self.queue.next() => w,
                _ = shutdown.changed() => return,
            };
            match work {
                Work::Expand(seq, event) => {
                    if self.is_on() {
                        let users = self.expand(event);
                        self.queue.add_users(seq, &users);
                    }
                    self.queue.expanded(seq);
                }
                Work::Users(batch) => {
                    if self.is_on() {
                        for (u, _) in &batch {
                            self.recompute(*u);
                        }
                    }
                    self.queue.done(batch);
                }
            }
            tokio::task::yield_now().await;
        }
    }

    /// The users an event may affect: never more than the members it names (transitively).
    fn expand(&self, event: Event) -> Vec<Uuid> {
        match event {
            Event::Users(v) => v,
            Event::All => self.store.user_ids(),
            Event::Under(ids) => {
                let mut out = Vec::new();
                for id in ids {
                    let under = self.store.users_under(id);
                    if under.is_empty() {
                        // A user (or a group that no longer exists or is empty: a no-op).
                        out.push(id);
                    } else {
                        out.extend(under);
                    }
                }
                out.sort_unstable();
                out.dedup();
                out
            }
        }
    }

    /// The user is gone from the directory: give its seats back and forget it.
    fn forget(&self, id: Uuid) {
        if let Some(rec) = self.records.remove(id) {
            for p in &rec.granted {
                self.licenses.release(p);
            }
        }
    }

    /// Recomputes one user from current state and writes the result.
    pub(super) fn recompute(&self, id: Uuid) {
        let Ok(snap) = self.store.get(Kind::User, &id.to_string(), false) else {
            self.forget(id);
            return;
        };
        let body: Value = serde_json::from_str(&snap.body).unwrap_or_default();
        let rules = self.rules();
        let faults = *self.faults.read();
        let outcome = rules.outcome(
            &rules.matching(
                snap.groups
                    .iter()
                    .filter(|g| g.direct || !faults.ignore_nesting)
                    .map(|g| g.id),
            ),
            faults.ignore_priority,
        );
        let user_name = body
            .get("userName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let foreign =
            !outcome.rules.is_empty() && self.foreign.read().contains(&user_name.to_lowercase());
        let mappings = self.custom_mappings();
        let now = rfc3339(self.clock.now());
        let action = self.records.with(id, |rec| {
            let known = rec.status.is_some() || rec.last_result.is_some();
            if outcome.rules.is_empty() {
                match rec.status {
                    None if !known => return Action::Nothing,
                    None => {
                        // A refused user no rule applies to any more: nothing left to report.
                        rec.last_result = None;
                        rec.last_reason = None;
                        rec.failures.clear();
                        return Action::Write(OWNED.iter().map(|k| (*k, None)).collect());
                    }
                    Some(_) if faults.delete_instead_of_suspend => {
                        for p in std::mem::take(&mut rec.granted) {
                            self.licenses.release(&p);
                        }
                        return Action::Delete;
                    }
                    Some(_) => {
                        for p in std::mem::take(&mut rec.granted) {
                            self.licenses.release(&p);
                        }
                        rec.status = Some(Status::Suspended);
                        rec.failures.clear();
                        rec.last_result = Some("success".into());
                        rec.last_reason = Some(
                            "no rule applies: the account is suspended and its data retained"
                                .into(),
                        );
                    }
                }
            } else if foreign && rec.status.is_none() {
                rec.failures = vec![SyncFailure {
                    code: "accountElsewhere".into(),
                    product: None,
                    reason: "user already has an account in another organization".into(),
                }];
                rec.last_result = Some("failure".into());
                rec.last_reason = Some(rec.failures[0].reason.clone());
            } else {
                self.grant(id, rec, &outcome.products, &body, &now);
            }
            rec.outcome = outcome.clone();
            rec.last_sync_at = Some(now.clone());
            let role = rec
                .status
                .filter(|s| *s != Status::Suspended)
                .and(outcome.admin_role.clone());
            rec.remember(&now, role);
            Action::Write(owned_attributes(rec, &custom::fields(&body, &mappings)))
        });
        match action {
            Action::Nothing => {}
            Action::Write(attrs) => {
                // The user may have been deleted meanwhile: its next event forgets it.
                let _ = self
                    .store
                    .set_user_attributes(id, &attrs, Some(USERSYNC_SCHEMA));
            }
            Action::Delete => {
                self.records.remove(id);
                let _ = self.store.delete(Kind::User, &id.to_string(), None);
            }
        }
    }

    /// Grants the products (in rank order) a user should have, within the seats available;
    /// sets the account state and sends the enrollment email once.
    fn grant(&self, id: Uuid, rec: &mut UserRecord, products: &[String], body: &Value, now: &str) {
        let stale: Vec<String> = rec
            .granted
            .iter()
            .filter(|p| !products.contains(p))
            .cloned()
            .collect();
        for p in stale {
            rec.granted.remove(&p);
            self.licenses.release(&p);
        }
        rec.failures.clear();
        for p in products {
            if rec.granted.contains(p) {
                continue;
            }
            match self.licenses.try_acquire(p) {
                Ok(()) => {
                    rec.granted.insert(p.clone());
                }
                Err(limit) => rec.failures.push(SyncFailure {
                    code: "outOfLicenses".into(),
                    product: Some(p.clone()),
                    reason: format!(
                        "out of licenses: product '{p}' has no free seat (limit {limit})"
                    ),
                }),
            }
        }
        rec.status = Some(if rec.logged_in {
            Status::Active
        } else {
            Status::Pending
        });
        if !rec.emailed && !rec.granted.is_empty() {
            let granted: Vec<String> = products
                .iter()
                .filter(|p| rec.granted.contains(*p))
                .cloned()
                .collect();
            self.outbox
                .enroll(id, &email_of(body), &granted, now.to_string());
            rec.emailed = true;
        }
        if rec.failures.is_empty() {
            rec.last_result = Some("success".into());
            rec.last_reason = Some(format!(
                "{} product(s) granted by the matching rules",
                rec.granted.len()
            ));
        } else {
            rec.last_result = Some("failure".into());
            rec.last_reason = Some(
                rec.failures
                    .iter()
                    .map(|f| f.reason.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            );
        }
    }
}

/// Where the enrollment email goes: the primary email, else the first, else the userName.
fn email_of(body: &Value) -> String {
    let emails = body.get("emails").and_then(Value::as_array);
    let pick = emails.and_then(|e| {
        e.iter()
            .find(|x| x.get("primary").and_then(Value::as_bool) == Some(true))
            .or_else(|| e.first())
    });
    pick.and_then(|e| e.get("value"))
        .and_then(Value::as_str)
        .or_else(|| body.get("userName").and_then(Value::as_str))
        .unwrap_or_default()
        .to_string()
}

/// The owned attributes of a user as they should read in SCIM.
fn owned_attributes(
    rec: &UserRecord,
    fields: &[(String, String)],
) -> Vec<(&'static str, Option<Value>)> {
    let entitled = matches!(rec.status, Some(Status::Pending | Status::Active));
    let products: Vec<Value> = rec
        .outcome
        .products
        .iter()
        .filter(|p| entitled && rec.granted.contains(*p))
        .map(|p| json!({"value": p, "display": p, "type": "product"}))
        .collect();
    let roles = rec
        .outcome
        .admin_role
        .as_ref()
        .filter(|_| entitled)
        .map(|r| json!([{"value": r, "display": r, "type": "adminRole", "primary": true}]));
    let mut ext = Map::new();
    if let Some(s) = rec.status {
        ext.insert("status".into(), json!(s.as_str()));
    }
    if let Some(r) = &rec.last_result {
        ext.insert("lastSyncResult".into(), json!(r));
    }
    if let Some(r) = &rec.last_reason {
        ext.insert("lastSyncReason".into(), json!(r));
    }
    if rec.status.is_some() && !fields.is_empty() {
        let cf: Vec<Value> = fields
            .iter()
            .map(|(n, v)| json!({"name": n, "value": v}))
            .collect();
        ext.insert("customFields".into(), Value::Array(cf));
    }
    if entitled {
        if let Some(g) = &rec.outcome.user_group {
            ext.insert("userGroup".into(), json!(g));
        }
        if !rec.outcome.device_groups.is_empty() {
            ext.insert("deviceGroups".into(), json!(rec.outcome.device_groups));
        }
        if let Some(t) = &rec.outcome.settings_template {
            ext.insert("settingsTemplate".into(), json!(t));
        }
    }
    vec![
        (
            "entitlements",
            (!products.is_empty()).then_some(Value::Array(products)),
        ),
        ("roles", roles),
        (
            USERSYNC_SCHEMA,
            (!ext.is_empty()).then_some(Value::Object(ext)),
        ),
    ]
}
