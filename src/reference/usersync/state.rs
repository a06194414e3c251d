//! What User Sync remembers per user, beside the SCIM resource: the account state, the seats
//! it holds, whether it was emailed, the last result, a bounded history and the opaque product
//! data (meetings, recordings) that suspension keeps (BEHAVIOUR S-US-06). Sharded by user id so
//! workers recomputing different users rarely meet on a lock.

use super::rules::Outcome;
use parking_lot::Mutex;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// How many history entries a user keeps.
pub const HISTORY_LIMIT: usize = 50;

/// The product account state of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    /// Entitled, enrollment email sent, not yet logged in.
    Pending,
    /// Logged in at least once.
    Active,
    /// Lost every applicable rule: kept with its data, without entitlements.
    Suspended,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Active => "active",
            Status::Suspended => "suspended",
        }
    }
}

/// Why a grant failed (BEHAVIOUR S-US-13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncFailure {
    /// `outOfLicenses` or `accountElsewhere`.
    pub code: String,
    pub product: Option<String>,
    pub reason: String,
}

/// A product data record: opaque to User Sync, retained across suspension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductRecord {
    pub id: Uuid,
    pub kind: String,
    pub title: String,
    pub created: String,
}

/// One change of a user's entitlements or state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub at: String,
    pub status: Option<Status>,
    pub products: Vec<String>,
    pub admin_role: Option<String>,
}

/// Everything User Sync keeps about one user.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRecord {
    /// `None`: no product account (never entitled, or refused).
    pub status: Option<Status>,
    pub logged_in: bool,
    pub emailed: bool,
    /// Products granted (each holds a seat).
    pub granted: BTreeSet<String>,
    /// The merged rule outcome last applied (before license failures).
    pub outcome: Outcome,
    pub last_result: Option<String>,
    pub last_reason: Option<String>,
    pub last_sync_at: Option<String>,
    pub failures: Vec<SyncFailure>,
    pub history: Vec<HistoryEntry>,
    pub product_data: Vec<ProductRecord>,
}

impl UserRecord {
    /// Appends a history entry when the visible state changed.
    pub fn remember(&mut self, at: &str, admin_role: Option<String>) {
        let entry = HistoryEntry {
            at: at.to_string(),
            status: self.status,
            products: self.granted.iter().cloned().collect(),
            admin_role,
        };
        let same = self.history.last().is_some_and(|h| {
            h.status == entry.status
                && h.products == entry.products
                && h.admin_role == entry.admin_role
        });
        if !same {
            self.history.push(entry);
            if self.history.len() > HISTORY_LIMIT {
                self.history.remove(0);
            }
        }
    }
}

const SHARDS: usize = 64;

/// The records of every user, sharded by id.
#[derive(Debug)]
pub struct Records {
    shards: Vec<Mutex<HashMap<Uuid, UserRecord>>>,
}

impl Default for Records {
    fn default() -> Self {
        Records {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }
}

impl Records {
    fn shard(&self, id: Uuid) -> &Mutex<HashMap<Uuid, UserRecord>> {
        &self.shards[(id.as_u128() % SHARDS as u128) as usize]
    }

    /// Runs `f` on the user's record (created empty when absent); an empty record left by `f`
    /// is dropped again.
    pub fn with<R>(&self, id: Uuid, f: impl FnOnce(&mut UserRecord) -> R) -> R {
        let mut shard = self.shard(id).lock();
        let rec = shard.entry(id).or_default();
        let out = f(rec);
        if rec.status.is_none() && rec.last_result.is_none() && rec.product_data.is_empty() {
            shard.remove(&id);
        }
        out
    }

    /// A copy of the user's record.
    pub fn get(&self, id: Uuid) -> Option<UserRecord> {
        self.shard(id).lock().get(&id).cloned()
    }

    /// Whether User Sync knows this user at all.
    pub fn contains(&self, id: Uuid) -> bool {
        self.shard(id).lock().contains_key(&id)
    }

    /// Removes and returns the record (the SCIM user was deleted).
    pub fn remove(&self, id: Uuid) -> Option<UserRecord> {
        self.shard(id).lock().remove(&id)
    }

    /// Ids of the users whose last sync failed.
    pub fn failed(&self) -> Vec<Uuid> {
        self.select(|r| r.last_result.as_deref() == Some("failure"))
    }

    /// Ids of the users matching a predicate (an admin listing; O(users)).
    pub fn select(&self, pred: impl Fn(&UserRecord) -> bool) -> Vec<Uuid> {
        let mut out = Vec::new();
        for s in &self.shards {
            out.extend(s.lock().iter().filter(|(_, r)| pred(r)).map(|(k, _)| *k));
        }
        out.sort();
        out
    }
}
