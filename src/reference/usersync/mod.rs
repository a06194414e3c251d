//! User Sync in the reference: admin-defined rules turn directory group membership into product
//! entitlements and roles on the SCIM users (BEHAVIOUR S-US-01..13).
//!
//! The shape follows the product: the directory (SCIM) changes, the store tells
//! [`queue::WorkQueue`] what it touched, and a pool of workers recomputes only the affected
//! users from current state ([`engine`]). Results are written back onto the SCIM user:
//! `entitlements` (products), `roles` (the admin role) and the User Sync extension
//! ([`crate::scim::schema::USERSYNC_SCHEMA`]: status, last result and reason, custom fields).
//! Everything else an admin needs (rules, the switch, licenses, the outbox, the applied
//! sequence) is on this type and served by `reference::admin` under `/admin/v1`.

pub mod custom;
mod engine;
pub mod licenses;
pub mod outbox;
pub mod queue;
pub mod rules;
pub mod state;

use crate::clock::Clock;
use crate::reference::org::{Org, OrgError};
use crate::reference::store::{Kind, Store, StoreChange, StoreObserver};
use custom::CustomMapping;
use licenses::Licenses;
use outbox::Outbox;
use parking_lot::{Mutex, RwLock};
use queue::{Event, WorkQueue};
use rules::{Rule, RuleError, RuleInput, RuleSet};
use state::{ProductRecord, Records, Status, UserRecord};

/// The product's rule of thumb for User Sync's throughput (S-US-04): 1000 entitlement requests
/// every few minutes, "few" taken as 3.
pub const BASELINE_PER_MINUTE: f64 = 1000.0 / 3.0;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

/// The longest a wait-for-sequence call may block: a bounded long-poll, never a hang.
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// Test-only faults: each breaks one documented behaviour so a test can prove the scenarios
/// that encode it fail. Never set outside tests.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// Single-valued outcomes come from the lowest-ranked matching rule (breaks S-US-07).
    pub ignore_priority: bool,
    /// A user losing every rule is deleted instead of suspended (breaks S-US-05/06).
    pub delete_instead_of_suspend: bool,
    /// Only a user's direct groups match rules, not the groups above them (breaks S-US-12).
    pub ignore_nesting: bool,
}

/// Engine settings.
#[derive(Debug, Clone)]
pub struct UserSyncConfig {
    /// Worker tasks recomputing users. Default: the available cores (at least 2).
    pub workers: usize,
    /// Users a worker takes per turn before yielding.
    pub batch: usize,
}

impl Default for UserSyncConfig {
    fn default() -> Self {
        UserSyncConfig {
            workers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .clamp(2, 16),
            batch: 64,
        }
    }
}

/// Why a User Sync request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserSyncError {
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error(transparent)]
    Org(#[from] OrgError),
    #[error("no rule with id {0}")]
    NoRule(String),
    #[error("no user with id {0}")]
    NoUser(String),
    #[error("User Sync cannot be turned on: {}", .0.join("; "))]
    Prerequisites(Vec<String>),
    #[error("User Sync is off: turn it on first")]
    Off,
    #[error("user {0} has no product account")]
    NoAccount(Uuid),
    #[error("user {0} is suspended: only an entitled user can log in")]
    Suspended(Uuid),
}

/// The switch and the sequence number of the work it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwitchState {
    pub on: bool,
    pub sequence: u64,
}

/// Tells the queue about directory changes; does nothing while the switch is off.
#[derive(Debug)]
struct DirectoryObserver {
    queue: Arc<WorkQueue>,
    on: Arc<AtomicBool>,
}

impl StoreObserver for DirectoryObserver {
    fn changed(&self, change: StoreChange) {
        if !self.on.load(Ordering::SeqCst) {
            return;
        }
        let event = match change {
            StoreChange::UserCreated(u)
            | StoreChange::UserUpdated(u)
            | StoreChange::UserDeleted(u) => Event::Users(vec![u]),
            StoreChange::Members {
                mut added, removed, ..
            } => {
                added.extend(removed);
                Event::Under(added)
            }
            StoreChange::GroupDeleted { members, .. } => Event::Under(members),
        };
        self.queue.submit(event);
    }
}

/// The User Sync engine of one organization.
#[derive(Debug)]
pub struct UserSync {
    store: Arc<Store>,
    queue: Arc<WorkQueue>,
    on: Arc<AtomicBool>,
    rules: RwLock<Arc<RuleSet>>,
    /// Serializes rule writers; readers never take it.
    rules_write: Mutex<()>,
    licenses: Licenses,
    outbox: Outbox,
    records: Records,
    custom: RwLock<Arc<Vec<CustomMapping>>>,
    /// Lowercased userNames that hold an account in another organization.
    foreign: RwLock<HashSet<String>>,
    org: Arc<Org>,
    faults: RwLock<Faults>,
    clock: Arc<dyn Clock>,
    shutdown: watch::Sender<bool>,
}

impl UserSync {
    /// Builds the engine, hooks it to the store's change notifications and starts its workers
    /// on the current tokio runtime.
    pub fn start(
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
        config: UserSyncConfig,
        org: Arc<Org>,
    ) -> Arc<UserSync> {
        let queue = Arc::new(WorkQueue::new(config.batch));
        let on = Arc::new(AtomicBool::new(false));
        store.set_observer(Arc::new(DirectoryObserver {
            queue: queue.clone(),
            on: on.clone(),
        }));
        let sync = Arc::new(UserSync {
            store,
            queue,
            on,
            rules: RwLock::new(Arc::new(RuleSet::default())),
            rules_write: Mutex::new(()),
            licenses: Licenses::default(),
            outbox: Outbox::default(),
            records: Records::default(),
            custom: RwLock::new(Arc::new(custom::default_mappings())),
            foreign: RwLock::new(HashSet::new()),
            org,
            faults: RwLock::new(Faults::default()),
            clock,
            shutdown: watch::channel(false).0,
        });
        for _ in 0..config.workers.max(1) {
            tokio::spawn(sync.clone().worker(sync.shutdown.subscribe()));
        }
        sync
    }

    /// Stops the workers (the server is going away).
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
    }

    #[doc(hidden)]
    pub fn set_faults(&self, faults: Faults) {
        *self.faults.write() = faults;
    }

    /// The organization User Sync belongs to.
    pub fn org(&self) -> &Arc<Org> {
        &self.org
    }

    pub fn licenses(&self) -> &Licenses {
        &self.licenses
    }

    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    pub fn is_on(&self) -> bool {
        self.on.load(Ordering::SeqCst)
    }

    /// Every prerequisite of turning the switch on that does not hold (S-US-10).
    pub fn unmet_prerequisites(&self) -> Vec<String> {
        let mut out = self.org.unmet_prerequisites();
        if self.store.count(Kind::Group) == 0 {
            out.push("no directory groups are present".to_string());
        }
        if self.store.count(Kind::User) == 0 {
            out.push("no directory users are present".to_string());
        }
        out
    }

    /// Turns the switch on (checking the prerequisites, then applying every rule to every
    /// user) or off (no further changes are applied).
    pub fn set_switch(&self, on: bool) -> Result<SwitchState, UserSyncError> {
        if !on {
            self.on.store(false, Ordering::SeqCst);
            return Ok(SwitchState {
                on: false,
                sequence: self.queue.enqueued(),
            });
        }
        let unmet = self.unmet_prerequisites();
        if !unmet.is_empty() {
            return Err(UserSyncError::Prerequisites(unmet));
        }
        self.on.store(true, Ordering::SeqCst);
        Ok(SwitchState {
            on: true,
            sequence: self.queue.submit(Event::All),
        })
    }

    /// Enqueues an event if the switch is on; returns the sequence to wait for.
    fn enqueue(&self, event: Event) -> u64 {
        if self.is_on() {
            self.queue.submit(event)
        } else {
            self.queue.enqueued()
        }
    }

    /// The last sequence number handed out.
    pub fn enqueued(&self) -> u64 {
        self.queue.enqueued()
    }

    /// Every change numbered up to this one is applied and visible in SCIM.
    pub fn applied(&self) -> u64 {
        self.queue.applied()
    }

    /// (events not yet expanded, users waiting or being recomputed).
    pub fn backlog(&self) -> (usize, usize) {
        self.queue.backlog()
    }

    /// Waits (at most [`MAX_WAIT`]) until `seq` is applied; returns whether it was.
    pub async fn wait_for(&self, seq: u64, timeout: Duration) -> bool {
        self.queue.wait_for(seq, timeout.min(MAX_WAIT)).await
    }

    /// The rules in priority order.
    pub fn rules(&self) -> Arc<RuleSet> {
        self.rules.read().clone()
    }

    /// The displayName of a directory group, if it exists.
    pub fn group_display(&self, g: Uuid) -> Option<String> {
        let snap = self.store.get(Kind::Group, &g.to_string(), false).ok()?;
        let body: serde_json::Value = serde_json::from_str(&snap.body).ok()?;
        body.get("displayName")?.as_str().map(str::to_string)
    }

    fn group_exists(&self, g: Uuid) -> bool {
        self.store.get(Kind::Group, &g.to_string(), false).is_ok()
    }

    /// Adds a rule; returns it and the sequence that applies it.
    pub fn create_rule(&self, input: RuleInput) -> Result<(Arc<Rule>, u64), UserSyncError> {
        let priority = input.priority;
        let rule = Rule::build(Uuid::new_v4(), input, |g| self.group_exists(g))?;
        let (id, group) = (rule.id, rule.group_id);
        let _w = self.rules_write.lock();
        let set = self.rules().with_inserted(rule, priority)?;
        let stored = set
            .get(id)
            .cloned()
            .ok_or_else(|| UserSyncError::NoRule(id.to_string()))?;
        *self.rules.write() = Arc::new(set);
        Ok((stored, self.enqueue(Event::Under(vec![group]))))
    }

    /// Replaces a rule's content (and moves it when `priority` is given).
    pub fn replace_rule(
        &self,
        id: Uuid,
        input: RuleInput,
    ) -> Result<(Arc<Rule>, u64), UserSyncError> {
        let priority = input.priority;
        let _w = self.rules_write.lock();
        let current = self.rules();
        let old = current
            .get(id)
            .cloned()
            .ok_or_else(|| UserSyncError::NoRule(id.to_string()))?;
        let rule = Rule::build(id, input, |g| self.group_exists(g))?;
        let group = rule.group_id;
        let set = current.with_replaced(rule, priority)?;
        let stored = set
            .get(id)
            .cloned()
            .ok_or_else(|| UserSyncError::NoRule(id.to_string()))?;
        *self.rules.write() = Arc::new(set);
        let mut groups = vec![old.group_id];
        if group != old.group_id {
            groups.push(group);
        }
        Ok((stored, self.enqueue(Event::Under(groups))))
    }

    /// Deletes a rule; users it alone applied to become suspended.
    pub fn delete_rule(&self, id: Uuid) -> Result<u64, UserSyncError> {
        let _w = self.rules_write.lock();
        let current = self.rules();
        let old = current
            .get(id)
            .cloned()
            .ok_or_else(|| UserSyncError::NoRule(id.to_string()))?;
        *self.rules.write() = Arc::new(current.without(id));
        Ok(self.enqueue(Event::Under(vec![old.group_id])))
    }

    /// Reorders the rules (a permutation of every id).
    pub fn reorder(&self, ids: &[Uuid]) -> Result<u64, UserSyncError> {
        let _w = self.rules_write.lock();
        let set = self.rules().reordered(ids)?;
        let groups: BTreeSet<Uuid> = set.rules().iter().map(|r| r.group_id).collect();
        *self.rules.write() = Arc::new(set);
        Ok(self.enqueue(Event::Under(groups.into_iter().collect())))
    }

    pub fn custom_mappings(&self) -> Arc<Vec<CustomMapping>> {
        self.custom.read().clone()
    }

    /// Replaces the custom attribute mappings and refreshes every managed user.
    pub fn set_custom_mappings(&self, mappings: Vec<CustomMapping>) -> u64 {
        *self.custom.write() = Arc::new(mappings);
        let managed = self.records.select(|r| r.status.is_some());
        self.enqueue(Event::Users(managed))
    }

    /// Users that hold an account in another organization (lowercased userNames).
    pub fn foreign_accounts(&self) -> Vec<String> {
        let mut v: Vec<String> = self.foreign.read().iter().cloned().collect();
        v.sort();
        v
    }

    /// Records that `user_name` has an account in another organization: granting it
    /// entitlements fails with that reason until it is removed and the user retried.
    pub fn add_foreign_account(&self, user_name: &str) {
        self.foreign.write().insert(user_name.trim().to_lowercase());
    }

    pub fn remove_foreign_account(&self, user_name: &str) -> bool {
        self.foreign
            .write()
            .remove(&user_name.trim().to_lowercase())
    }

    fn user_id(&self, id: &str) -> Result<Uuid, UserSyncError> {
        let uid = Uuid::parse_str(id).map_err(|_| UserSyncError::NoUser(id.to_string()))?;
        if self.store.get(Kind::User, id, false).is_err() {
            return Err(UserSyncError::NoUser(id.to_string()));
        }
        Ok(uid)
    }

    /// What User Sync knows about a user (empty when it never managed it).
    pub fn user_result(&self, id: &str) -> Result<(Uuid, UserRecord), UserSyncError> {
        let uid = self.user_id(id)?;
        Ok((uid, self.records.get(uid).unwrap_or_default()))
    }

    /// Users with a record, optionally only those whose last result is `result`.
    pub fn results(&self, result: Option<&str>) -> Vec<(Uuid, UserRecord)> {
        let ids = self
            .records
            .select(|r| result.is_none_or(|want| r.last_result.as_deref() == Some(want)));
        ids.into_iter()
            .filter_map(|id| self.records.get(id).map(|r| (id, r)))
            .collect()
    }

    /// Retries one user's sync.
    pub fn retry(&self, id: &str) -> Result<u64, UserSyncError> {
        let uid = self.user_id(id)?;
        if !self.is_on() {
            return Err(UserSyncError::Off);
        }
        Ok(self.queue.submit(Event::Users(vec![uid])))
    }

    /// Retries every user whose last sync failed; returns (sequence, users).
    pub fn retry_failed(&self) -> Result<(u64, usize), UserSyncError> {
        if !self.is_on() {
            return Err(UserSyncError::Off);
        }
        let failed = self.records.failed();
        let n = failed.len();
        Ok((self.queue.submit(Event::Users(failed)), n))
    }

    /// The user logged in for the first time: pending becomes active.
    pub fn login(&self, id: &str) -> Result<(Status, u64), UserSyncError> {
        let uid = self.user_id(id)?;
        let status = self.records.with(uid, |r| match r.status {
            None => Err(UserSyncError::NoAccount(uid)),
            Some(Status::Suspended) => Err(UserSyncError::Suspended(uid)),
            Some(_) => {
                r.logged_in = true;
                r.status = Some(Status::Active);
                Ok(Status::Active)
            }
        })?;
        Ok((status, self.enqueue(Event::Users(vec![uid]))))
    }

    /// Adds an opaque product data record (a meeting, a recording) to a user's account.
    pub fn add_product_data(
        &self,
        id: &str,
        kind: &str,
        title: &str,
    ) -> Result<ProductRecord, UserSyncError> {
        let uid = self.user_id(id)?;
        let created = engine::rfc3339(self.clock.now());
        self.records.with(uid, |r| {
            if r.status.is_none() {
                return Err(UserSyncError::NoAccount(uid));
            }
            let rec = ProductRecord {
                id: Uuid::new_v4(),
                kind: kind.to_string(),
                title: title.to_string(),
                created,
            };
            r.product_data.push(rec.clone());
            Ok(rec)
        })
    }

    /// A user's product data records.
    pub fn product_data(&self, id: &str) -> Result<Vec<ProductRecord>, UserSyncError> {
        let uid = self.user_id(id)?;
        Ok(self
            .records
            .get(uid)
            .map(|r| r.product_data)
            .unwrap_or_default())
    }
}
