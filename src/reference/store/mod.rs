//! The in-memory resource store: Users and Groups, their indexes, and group integrity.
//!
//! Resources are kept as compact canonical JSON text (id and meta are derived on read), so a
//! million users fit in well under a KiB each. Group members live in an ordered set beside the
//! group, not inside its JSON, so adding or removing one member of a 100k-member group is O(1).
//! A reverse index (member -> groups) gives every user's `groups` and lets a delete remove the
//! member from every group without a scan. Reads copy what they need under a short read lock
//! and build JSON outside it; writes check an optimistic version and retry.

//!
//! The store's state and its writes live here; [`snapshot`] owns the copy a read takes and its
//! two renderings, [`index`] the uniqueness and lookup indexes, [`members`] group membership.

mod index;
mod members;
mod snapshot;

pub use members::MemberChange;
pub use snapshot::{GroupRef, MemberRef, Snapshot};

use super::config::ReferenceConfig;
use super::etag::{if_match_ok, precondition_failed};
use crate::clock::Clock;
use crate::scim::ScimError;
use crate::scim::filter::Filter;
use crate::scim::schema::ResourceType;
use chrono::{DateTime, Utc};
use index::Keys;
use indexmap::IndexSet;
use members::take_members;
use parking_lot::RwLock;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use uuid::Uuid;

/// The two resource kinds the reference serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    User,
    Group,
}

impl Kind {
    pub fn resource_type(self) -> &'static ResourceType {
        match self {
            Kind::User => crate::scim::schema::user_type(),
            Kind::Group => crate::scim::schema::group_type(),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Group => "Group",
        }
    }
    pub fn endpoint(self) -> &'static str {
        match self {
            Kind::User => "Users",
            Kind::Group => "Groups",
        }
    }
}

#[derive(Debug)]
struct Entry {
    /// Canonical JSON without `id`, `meta`, `groups` and (for groups) `members`.
    body: Box<str>,
    version: u64,
    created: i64,
    modified: i64,
}

#[derive(Debug)]
struct GroupEntry {
    entry: Entry,
    display_name: Box<str>,
    members: IndexSet<Uuid>,
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    users: BTreeMap<Uuid, Entry>,
    groups: BTreeMap<Uuid, GroupEntry>,
    /// Lowercased userName -> id (userName is unique and not caseExact).
    user_names: HashMap<Box<str>, Uuid>,
    user_external: HashMap<Box<str>, Vec<Uuid>>,
    /// Lowercased displayName -> ids.
    group_names: HashMap<Box<str>, Vec<Uuid>>,
    group_external: HashMap<Box<str>, Vec<Uuid>>,
    /// Direct memberships: member (user or group) -> groups.
    member_of: HashMap<Uuid, Vec<Uuid>>,
}

/// Parses a resource id from a URL or a member reference; anything else is simply not found.
/// `id` is caseExact (RFC 7643 §3.1): only the exact spelling the server issued (lowercase,
/// hyphenated) names a resource; `urn:uuid:`, braced, hyphenless or uppercase forms do not.
pub fn parse_id(s: &str) -> Option<Uuid> {
    let id = Uuid::try_parse(s).ok()?;
    let mut buf = Uuid::encode_buffer();
    (id.hyphenated().encode_lower(&mut buf) == s).then_some(id)
}

/// Which member lists a group update copies: none, only into the resource it answers with, or
/// also into the snapshot `prepare` reads (a PUT, a PATCH applied to the whole resource).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Members {
    None,
    InAnswer,
    Everywhere,
}

/// Turns the current resource into its new canonical body plus member changes, or refuses.
pub type Prepare<'a> = dyn Fn(&Snapshot) -> Result<(Value, Vec<MemberChange>), ScimError> + 'a;

/// What a committed write changed in the directory, told to a [`StoreObserver`] after the
/// write lock is released. User Sync reacts to these instead of scanning the store, so a
/// membership change costs work proportional to the members it touched.
#[derive(Debug, Clone)]
pub enum StoreChange {
    UserCreated(Uuid),
    /// A client write to a user (PUT or PATCH): its custom attributes may have changed.
    UserUpdated(Uuid),
    UserDeleted(Uuid),
    /// Direct members (users or groups) added to or removed from a group.
    Members {
        group: Uuid,
        added: Vec<Uuid>,
        removed: Vec<Uuid>,
    },
    /// A group was deleted; `members` were its direct members.
    GroupDeleted {
        group: Uuid,
        members: Vec<Uuid>,
    },
}

/// Receives [`StoreChange`]s. Called on the writer's thread after the commit, so it must only
/// record or enqueue, never block.
pub trait StoreObserver: Send + Sync + std::fmt::Debug {
    fn changed(&self, change: StoreChange);
}

/// The store.
#[derive(Debug)]
pub struct Store {
    pub(crate) inner: RwLock<Inner>,
    next_version: AtomicU64,
    clock: Arc<dyn Clock>,
    pub config: ReferenceConfig,
    observer: OnceLock<Arc<dyn StoreObserver>>,
}

/// What a query asks of the store.
#[derive(Debug, Default)]
pub struct Selection<'a> {
    pub filter: Option<&'a Filter>,
    pub with_members: bool,
}

impl Store {
    pub fn new(config: ReferenceConfig, clock: Arc<dyn Clock>) -> Store {
        Store {
            inner: RwLock::new(Inner::default()),
            next_version: AtomicU64::new(1),
            clock,
            config,
            observer: OnceLock::new(),
        }
    }

    /// Installs the observer told about every committed directory write (once; later calls
    /// are refused and return false).
    pub fn set_observer(&self, observer: Arc<dyn StoreObserver>) -> bool {
        self.observer.set(observer).is_ok()
    }

    fn notify(&self, change: StoreChange) {
        if let Some(o) = self.observer.get() {
            o.changed(change);
        }
    }

    /// Ids of every user (User Sync's "apply all rules to everyone").
    pub fn user_ids(&self) -> Vec<Uuid> {
        self.inner.read().users.keys().copied().collect()
    }

    /// Sets or removes top-level attributes of a user's stored body without telling the
    /// observer: User Sync writes its results (`entitlements`, `roles`, its extension) here,
    /// and must not see its own writes as directory changes. `schema` is the extension URN
    /// kept in `schemas` exactly when its key is present. Returns whether anything changed
    /// (an unchanged result keeps the version, so a no-op sync does not move the ETag).
    pub fn set_user_attributes(
        &self,
        id: Uuid,
        attrs: &[(&str, Option<Value>)],
        schema: Option<&str>,
    ) -> Result<bool, ScimError> {
        for _ in 0..64 {
            let (text, version) = {
                let inner = self.inner.read();
                let e = inner
                    .users
                    .get(&id)
                    .ok_or_else(|| not_found(Kind::User, &id.to_string()))?;
                (e.body.to_string(), e.version)
            };
            let mut body: Map<String, Value> = serde_json::from_str(&text).unwrap_or_default();
            let before = body.clone();
            for (k, v) in attrs {
                match v {
                    Some(v) => {
                        body.insert((*k).to_string(), v.clone());
                    }
                    None => {
                        body.remove(*k);
                    }
                }
            }
            if let Some(urn) = schema {
                let present = body.contains_key(urn);
                if let Some(Value::Array(list)) = body.get_mut("schemas") {
                    let has = list.iter().any(|s| s.as_str() == Some(urn));
                    if present && !has {
                        list.push(Value::String(urn.to_string()));
                    } else if !present && has {
                        list.retain(|s| s.as_str() != Some(urn));
                    }
                }
            }
            if body == before {
                return Ok(false);
            }
            let text = Value::Object(body).to_string();
            let now = self.now_ms();
            let mut inner = self.inner.write();
            let Some(e) = inner.users.get_mut(&id) else {
                return Err(not_found(Kind::User, &id.to_string()));
            };
            if e.version != version {
                continue;
            }
            e.body = text.into_boxed_str();
            e.version = self.bump();
            e.modified = now;
            return Ok(true);
        }
        Err(ScimError::status(
            503,
            "the resource is changing too fast; retry",
        ))
    }

    fn now_ms(&self) -> i64 {
        let now: DateTime<Utc> = self.clock.now();
        now.timestamp_millis()
    }

    fn bump(&self) -> u64 {
        self.next_version.fetch_add(1, Ordering::Relaxed)
    }

    /// Number of resources of a kind.
    pub fn count(&self, kind: Kind) -> usize {
        let inner = self.inner.read();
        match kind {
            Kind::User => inner.users.len(),
            Kind::Group => inner.groups.len(),
        }
    }

    /// Reads one resource.
    pub fn get(&self, kind: Kind, id: &str, with_members: bool) -> Result<Snapshot, ScimError> {
        let id = parse_id(id).ok_or_else(|| not_found(kind, id))?;
        let inner = self.inner.read();
        inner
            .snapshot(kind, id, with_members)
            .ok_or_else(|| not_found(kind, &id.to_string()))
    }

    /// Creates a resource from a canonical body (see `scim::resource::canonicalize`).
    pub fn create(&self, kind: Kind, mut body: Value) -> Result<Snapshot, ScimError> {
        drop_write_only(&mut body);
        let members = take_members(&mut body)?;
        let keys = Keys::of(kind, &body);
        let text = body.to_string();
        let now = self.now_ms();
        let mut inner = self.inner.write();
        inner.check_unique(kind, &keys, None, &self.config)?;
        let id = loop {
            let id = Uuid::new_v4();
            if !inner.users.contains_key(&id) && !inner.groups.contains_key(&id) {
                break id;
            }
        };
        let entry = Entry {
            body: text.into_boxed_str(),
            version: self.bump(),
            created: now,
            modified: now,
        };
        let change = match kind {
            Kind::User => {
                inner.users.insert(id, entry);
                Some(StoreChange::UserCreated(id))
            }
            Kind::Group => {
                let set = inner.resolve_members(id, members.as_deref().unwrap_or(&[]))?;
                inner.groups.insert(
                    id,
                    GroupEntry {
                        entry,
                        display_name: keys.display.clone().unwrap_or_default().into_boxed_str(),
                        members: IndexSet::new(),
                    },
                );
                let (added, _) = inner.apply_member_change(id, MemberChange::Set(set))?;
                for m in &added {
                    inner.touch(*m, self.bump(), now);
                }
                (!added.is_empty()).then_some(StoreChange::Members {
                    group: id,
                    added,
                    removed: Vec::new(),
                })
            }
        };
        inner.index(kind, id, &keys);
        let snap = inner.snapshot(kind, id, true);
        drop(inner);
        if let Some(c) = change {
            self.notify(c);
        }
        snap.ok_or_else(|| not_found(kind, &id.to_string()))
    }

    /// Replaces a resource's writable content (PUT). `prepare` turns the current full resource
    /// into the new canonical body, or refuses; it may run more than once under contention.
    /// The answer is the resource as this write left it, taken under the same lock, so its
    /// version is this write's own.
    pub fn update(
        &self,
        kind: Kind,
        id: &str,
        if_match: Option<&str>,
        members: Members,
        prepare: &Prepare<'_>,
    ) -> Result<Snapshot, ScimError> {
        let uid = parse_id(id).ok_or_else(|| not_found(kind, id))?;
        for _ in 0..64 {
            let current = self.get(kind, id, members == Members::Everywhere)?;
            if !if_match_ok(if_match, current.version) {
                return Err(precondition_failed(current.version));
            }
            let (mut body, mut changes) = prepare(&current)?;
            drop_write_only(&mut body);
            if let Some(members) = take_members(&mut body)? {
                changes.push(MemberChange::Set(members));
            }
            let keys = Keys::of(kind, &body);
            let text = body.to_string();
            let now = self.now_ms();
            let mut inner = self.inner.write();
            let Some(version) = inner.version_of(kind, uid) else {
                return Err(not_found(kind, id));
            };
            if version != current.version {
                continue;
            }
            inner.check_unique(kind, &keys, Some(uid), &self.config)?;
            let (mut added, mut removed) = (Vec::new(), Vec::new());
            if kind == Kind::Group {
                // Validate every change before applying any: all-or-nothing.
                let mut resolved = Vec::with_capacity(changes.len());
                for c in changes {
                    resolved.push(inner.resolve_change(uid, c)?);
                }
                for c in resolved {
                    let (a, r) = inner.apply_member_change(uid, c)?;
                    added.extend(a);
                    removed.extend(r);
                }
                // A member's `groups` changed, so its version and lastModified move too.
                for m in added.iter().chain(removed.iter()) {
                    inner.touch(*m, self.bump(), now);
                }
            }
            let old_keys = inner.keys_of(kind, uid);
            inner.unindex(kind, uid, &old_keys);
            let new_version = self.bump();
            match kind {
                Kind::User => {
                    if let Some(e) = inner.users.get_mut(&uid) {
                        e.body = text.into_boxed_str();
                        e.version = new_version;
                        e.modified = now;
                    }
                }
                Kind::Group => {
                    if let Some(g) = inner.groups.get_mut(&uid) {
                        g.entry.body = text.into_boxed_str();
                        g.entry.version = new_version;
                        g.entry.modified = now;
                        g.display_name = keys.display.clone().unwrap_or_default().into_boxed_str();
                    }
                }
            }
            inner.index(kind, uid, &keys);
            let snap = inner.snapshot(kind, uid, members != Members::None);
            drop(inner);
            match kind {
                Kind::User => self.notify(StoreChange::UserUpdated(uid)),
                Kind::Group if !added.is_empty() || !removed.is_empty() => {
                    self.notify(StoreChange::Members {
                        group: uid,
                        added,
                        removed,
                    })
                }
                Kind::Group => {}
            }
            return snap.ok_or_else(|| not_found(kind, id));
        }
        Err(ScimError::status(
            503,
            "the resource is changing too fast; retry",
        ))
    }

    /// Deletes a resource and every membership it had (RFC 7644 §3.6, R-GROUP).
    pub fn delete(&self, kind: Kind, id: &str, if_match: Option<&str>) -> Result<(), ScimError> {
        let uid = parse_id(id).ok_or_else(|| not_found(kind, id))?;
        let mut inner = self.inner.write();
        let version = inner
            .version_of(kind, uid)
            .ok_or_else(|| not_found(kind, id))?;
        if !if_match_ok(if_match, version) {
            return Err(precondition_failed(version));
        }
        let keys = inner.keys_of(kind, uid);
        inner.unindex(kind, uid, &keys);
        let now = self.now_ms();
        if let Some(groups) = inner.member_of.remove(&uid) {
            for g in groups {
                let v = self.bump();
                if let Some(ge) = inner.groups.get_mut(&g) {
                    ge.members.swap_remove(&uid);
                }
                inner.touch(g, v, now);
            }
        }
        let change = match kind {
            Kind::User => {
                inner.users.remove(&uid);
                StoreChange::UserDeleted(uid)
            }
            Kind::Group => {
                let mut members = Vec::new();
                if let Some(g) = inner.groups.remove(&uid) {
                    for m in g.members {
                        inner.unlink(m, uid);
                        inner.touch(m, self.bump(), now);
                        members.push(m);
                    }
                }
                StoreChange::GroupDeleted {
                    group: uid,
                    members,
                }
            }
        };
        drop(inner);
        self.notify(change);
        Ok(())
    }

    /// Selects resources: by index when the filter allows it, by scan otherwise. Returns copies
    /// in a stable order (by id); filtering happens in the caller, outside the lock.
    pub fn select(&self, kind: Kind, sel: &Selection<'_>) -> Vec<Snapshot> {
        let inner = self.inner.read();
        let ids: Vec<Uuid> = match sel.filter.and_then(|f| inner.index_lookup(kind, f)) {
            Some(mut ids) => {
                ids.sort();
                ids.dedup();
                ids
            }
            None => match kind {
                Kind::User => inner.users.keys().copied().collect(),
                Kind::Group => inner.groups.keys().copied().collect(),
            },
        };
        ids.into_iter()
            .filter_map(|id| inner.snapshot(kind, id, sel.with_members))
            .collect()
    }

    /// Whether `select` with this filter returns exactly the matching resources (an indexed
    /// equality), so the caller can skip evaluating the filter.
    pub fn is_exact_index(kind: Kind, f: &Filter) -> bool {
        Inner::exact_index(kind, f)
    }

    /// A page of an unfiltered, unsorted listing without copying the rest.
    pub fn page(
        &self,
        kind: Kind,
        skip: usize,
        take: usize,
        with_members: bool,
    ) -> (usize, Vec<Snapshot>) {
        let inner = self.inner.read();
        let (total, ids): (usize, Vec<Uuid>) = match kind {
            Kind::User => (
                inner.users.len(),
                inner.users.keys().skip(skip).take(take).copied().collect(),
            ),
            Kind::Group => (
                inner.groups.len(),
                inner.groups.keys().skip(skip).take(take).copied().collect(),
            ),
        };
        let snaps = ids
            .into_iter()
            .filter_map(|id| inner.snapshot(kind, id, with_members))
            .collect();
        (total, snaps)
    }
}

fn not_found(kind: Kind, id: &str) -> ScimError {
    ScimError::not_found(format!("{} {id} not found", kind.name()))
}

/// Passwords are accepted and discarded: the reference authenticates no end user, the attribute
/// is `returned: never`, and keeping it out of the stored text lets reads splice that text as is.
fn drop_write_only(body: &mut Value) {
    if let Some(o) = body.as_object_mut() {
        o.remove("password");
    }
}

impl Inner {
    /// Moves a resource's version and lastModified (its derived `groups` or `members` changed).
    fn touch(&mut self, id: Uuid, version: u64, now: i64) {
        let entry = match self.users.get_mut(&id) {
            Some(e) => Some(e),
            None => self.groups.get_mut(&id).map(|g| &mut g.entry),
        };
        if let Some(e) = entry {
            e.version = e.version.max(version);
            e.modified = e.modified.max(now);
        }
    }

    /// A user's version covers its `groups`: the newest of its own and of every group it is in,
    /// directly or through nesting, so renaming or re-nesting a group moves the user's ETag.
    fn user_version(&self, own: u64, groups: &[GroupRef]) -> u64 {
        groups
            .iter()
            .filter_map(|g| self.groups.get(&g.id).map(|ge| ge.entry.version))
            .fold(own, u64::max)
    }

    fn version_of(&self, kind: Kind, id: Uuid) -> Option<u64> {
        match kind {
            Kind::User => self
                .users
                .get(&id)
                .map(|e| self.user_version(e.version, &self.groups_of(id))),
            Kind::Group => self.groups.get(&id).map(|g| g.entry.version),
        }
    }

    fn kind_of(&self, id: Uuid) -> Option<Kind> {
        if self.users.contains_key(&id) {
            Some(Kind::User)
        } else if self.groups.contains_key(&id) {
            Some(Kind::Group)
        } else {
            None
        }
    }
}
