//! The in-memory resource store: Users and Groups, their indexes, and group integrity.
//!
//! Resources are kept as compact canonical JSON text (id and meta are derived on read), so a
//! million users fit in well under a KiB each. Group members live in an ordered set beside the
//! group, not inside its JSON, so adding or removing one member of a 100k-member group is O(1).
//! A reverse index (member -> groups) gives every user's `groups` and lets a delete remove the
//! member from every group without a scan. Reads copy what they need under a short read lock
//! and build JSON outside it; writes check an optimistic version and retry.

use super::config::ReferenceConfig;
use crate::clock::Clock;
use crate::scim::ScimError;
use crate::scim::filter::{CompValue, CompareOp, Filter};
use crate::scim::schema::ResourceType;
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use indexmap::IndexSet;
use parking_lot::RwLock;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
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

/// One member of a group as read.
#[derive(Debug, Clone)]
pub struct MemberRef {
    pub id: Uuid,
    pub kind: Kind,
    pub display: Option<String>,
}

/// One group of a user as read (`groups`, RFC 7643 §4.1.2).
#[derive(Debug, Clone)]
pub struct GroupRef {
    pub id: Uuid,
    pub display: String,
    pub direct: bool,
}

/// A consistent copy of one resource taken under the lock, turned into JSON outside it.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub kind: Kind,
    pub id: Uuid,
    pub body: String,
    pub version: u64,
    pub created: i64,
    pub modified: i64,
    pub groups: Vec<GroupRef>,
    /// `None` when members were not asked for.
    pub members: Option<Vec<MemberRef>>,
}

/// The weak ETag of a version (RFC 7644 §3.14): also the value of `meta.version`.
pub fn etag(version: u64) -> String {
    format!("W/\"{version}\"")
}

fn rfc3339(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Snapshot {
    /// The full resource as JSON text, spliced from the stored text without parsing it: the
    /// hot read path (a GET or an indexed filter with the default projection) never builds a
    /// `Value`. Same content as `to_value`, with `id` first.
    pub fn to_json_string(&self, base_url: &str) -> String {
        use std::fmt::Write;
        let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
        let body = self.body.trim();
        let inner = body
            .strip_prefix('{')
            .and_then(|b| b.strip_suffix('}'))
            .unwrap_or("")
            .trim();
        let mut out = String::with_capacity(body.len() + 256);
        let _ = write!(out, "{{\"id\":\"{}\"", self.id);
        if !inner.is_empty() {
            out.push(',');
            out.push_str(inner);
        }
        if !self.groups.is_empty() {
            out.push_str(",\"groups\":[");
            for (i, g) in self.groups.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(
                    out,
                    "{{\"value\":\"{id}\",\"$ref\":{r},\"display\":{d},\"type\":\"{t}\"}}",
                    id = g.id,
                    r = q(&format!("{base_url}/Groups/{}", g.id)),
                    d = q(&g.display),
                    t = if g.direct { "direct" } else { "indirect" }
                );
            }
            out.push(']');
        }
        if let Some(members) = self.members.as_ref().filter(|m| !m.is_empty()) {
            out.push_str(",\"members\":[");
            for (i, m) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(
                    out,
                    "{{\"value\":\"{id}\",\"$ref\":{r},",
                    id = m.id,
                    r = q(&format!("{base_url}/{}/{}", m.kind.endpoint(), m.id))
                );
                if let Some(d) = &m.display {
                    let _ = write!(out, "\"display\":{},", q(d));
                }
                let _ = write!(out, "\"type\":\"{}\"}}", m.kind.name());
            }
            out.push(']');
        }
        let _ = write!(
            out,
            ",\"meta\":{{\"resourceType\":\"{rt}\",\"created\":\"{c}\",\"lastModified\":\"{m}\",\"location\":{l},\"version\":{v}}}}}",
            rt = self.kind.name(),
            c = rfc3339(self.created),
            m = rfc3339(self.modified),
            l = q(&format!("{base_url}/{}/{}", self.kind.endpoint(), self.id)),
            v = q(&etag(self.version)),
        );
        out
    }

    /// The full canonical resource: `schemas`, `id`, attributes, `groups`/`members`, `meta`.
    pub fn to_value(&self, base_url: &str) -> Value {
        let body: Map<String, Value> = serde_json::from_str(&self.body).unwrap_or_default();
        let mut out = Map::new();
        if let Some(s) = body.get("schemas") {
            out.insert("schemas".into(), s.clone());
        }
        out.insert("id".into(), Value::String(self.id.to_string()));
        for (k, v) in body {
            if k != "schemas" {
                out.insert(k, v);
            }
        }
        if !self.groups.is_empty() {
            let groups = self
                .groups
                .iter()
                .map(|g| {
                    serde_json::json!({
                        "value": g.id.to_string(),
                        "$ref": format!("{base_url}/Groups/{}", g.id),
                        "display": g.display,
                        "type": if g.direct { "direct" } else { "indirect" },
                    })
                })
                .collect();
            out.insert("groups".into(), Value::Array(groups));
        }
        if let Some(members) = &self.members
            && !members.is_empty()
        {
            let members = members
                .iter()
                .map(|m| {
                    let mut o = Map::new();
                    o.insert("value".into(), Value::String(m.id.to_string()));
                    o.insert(
                        "$ref".into(),
                        Value::String(format!("{base_url}/{}/{}", m.kind.endpoint(), m.id)),
                    );
                    if let Some(d) = &m.display {
                        o.insert("display".into(), Value::String(d.clone()));
                    }
                    o.insert("type".into(), Value::String(m.kind.name().into()));
                    Value::Object(o)
                })
                .collect();
            out.insert("members".into(), Value::Array(members));
        }
        let mut meta = Map::new();
        meta.insert(
            "resourceType".into(),
            Value::String(self.kind.name().into()),
        );
        meta.insert("created".into(), Value::String(rfc3339(self.created)));
        meta.insert("lastModified".into(), Value::String(rfc3339(self.modified)));
        meta.insert(
            "location".into(),
            Value::String(format!("{base_url}/{}/{}", self.kind.endpoint(), self.id)),
        );
        meta.insert("version".into(), Value::String(etag(self.version)));
        out.insert("meta".into(), Value::Object(meta));
        Value::Object(out)
    }
}

/// Parses a resource id from a URL or a member reference; anything else is simply not found.
/// `id` is caseExact (RFC 7643 §3.1): only the exact spelling the server issued (lowercase,
/// hyphenated) names a resource; `urn:uuid:`, braced, hyphenless or uppercase forms do not.
pub fn parse_id(s: &str) -> Option<Uuid> {
    let id = Uuid::try_parse(s).ok()?;
    let mut buf = Uuid::encode_buffer();
    (id.hyphenated().encode_lower(&mut buf) == s).then_some(id)
}

/// Checks `If-Match` (RFC 7644 §3.14, RFC 7232): `*` or any listed ETag equal to the current one.
/// Weak comparison, so `"3"` and `W/"3"` both match version 3.
pub fn if_match_ok(header: Option<&str>, version: u64) -> bool {
    let Some(h) = header else { return true };
    let current = version.to_string();
    h.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/").trim_matches('"') == current)
}

/// A member change extracted from a PATCH or a body.
#[derive(Debug, Clone)]
pub enum MemberChange {
    Add(Vec<Uuid>),
    Remove(Vec<Uuid>),
    /// Remove the listed ids; a missing one is `noTarget` (strict RFC filter removal).
    RemoveExisting(Vec<Uuid>),
    Set(Vec<Uuid>),
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

    /// Every user reachable from `group` through members, nested groups included (cycle-safe).
    pub fn users_under(&self, group: Uuid) -> Vec<Uuid> {
        let inner = self.inner.read();
        let mut users = Vec::new();
        let mut seen: HashSet<Uuid> = HashSet::new();
        let mut frontier = vec![group];
        while let Some(g) = frontier.pop() {
            if !seen.insert(g) {
                continue;
            }
            let Some(ge) = inner.groups.get(&g) else {
                continue;
            };
            for m in &ge.members {
                if inner.users.contains_key(m) {
                    users.push(*m);
                } else {
                    frontier.push(*m);
                }
            }
        }
        users
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
    pub fn update(
        &self,
        kind: Kind,
        id: &str,
        if_match: Option<&str>,
        with_members: bool,
        prepare: &Prepare<'_>,
    ) -> Result<Snapshot, ScimError> {
        let uid = parse_id(id).ok_or_else(|| not_found(kind, id))?;
        for _ in 0..64 {
            let current = self.get(kind, id, with_members)?;
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
            let snap = inner.snapshot(kind, uid, with_members);
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

fn precondition_failed(version: u64) -> ScimError {
    ScimError::status(
        412,
        format!(
            "If-Match does not match the current version {}",
            etag(version)
        ),
    )
}

/// Passwords are accepted and discarded: the reference authenticates no end user, the attribute
/// is `returned: never`, and keeping it out of the stored text lets reads splice that text as is.
fn drop_write_only(body: &mut Value) {
    if let Some(o) = body.as_object_mut() {
        o.remove("password");
    }
}

/// Takes `members` out of a canonical group body: the store keeps them as a set.
fn take_members(body: &mut Value) -> Result<Option<Vec<Uuid>>, ScimError> {
    let Some(obj) = body.as_object_mut() else {
        return Ok(None);
    };
    let Some(members) = obj.remove("members") else {
        return Ok(None);
    };
    let mut ids = Vec::new();
    for m in members.as_array().map(Vec::as_slice).unwrap_or_default() {
        let v = m
            .get("value")
            .and_then(Value::as_str)
            .ok_or_else(|| ScimError::invalid_value("every member needs a 'value'"))?;
        ids.push(
            parse_id(v)
                .ok_or_else(|| ScimError::invalid_value(format!("member '{v}' does not exist")))?,
        );
    }
    Ok(Some(ids))
}

/// The indexed values of a body.
#[derive(Debug, Default, Clone)]
struct Keys {
    user_name: Option<String>,
    display: Option<String>,
    external: Option<String>,
}

impl Keys {
    fn of(kind: Kind, body: &Value) -> Keys {
        let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
        match kind {
            Kind::User => Keys {
                user_name: s("userName"),
                display: None,
                external: s("externalId"),
            },
            Kind::Group => Keys {
                user_name: None,
                display: s("displayName"),
                external: s("externalId"),
            },
        }
    }
}

fn remove_from(map: &mut HashMap<Box<str>, Vec<Uuid>>, key: &str, id: Uuid) {
    if let Some(v) = map.get_mut(key) {
        v.retain(|x| *x != id);
        if v.is_empty() {
            map.remove(key);
        }
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

    fn keys_of(&self, kind: Kind, id: Uuid) -> Keys {
        let body = match kind {
            Kind::User => self.users.get(&id).map(|e| &e.body),
            Kind::Group => self.groups.get(&id).map(|g| &g.entry.body),
        };
        body.and_then(|b| serde_json::from_str::<Value>(b).ok())
            .map(|v| Keys::of(kind, &v))
            .unwrap_or_default()
    }

    fn check_unique(
        &self,
        kind: Kind,
        keys: &Keys,
        me: Option<Uuid>,
        cfg: &ReferenceConfig,
    ) -> Result<(), ScimError> {
        match kind {
            Kind::User => {
                if let Some(n) = &keys.user_name
                    && let Some(other) = self.user_names.get(n.to_lowercase().as_str())
                    && Some(*other) != me
                {
                    return Err(ScimError::uniqueness(format!(
                        "userName '{n}' is already taken"
                    )));
                }
            }
            Kind::Group if cfg.unique_group_names => {
                if let Some(n) = &keys.display
                    && let Some(others) = self.group_names.get(n.to_lowercase().as_str())
                    && others.iter().any(|o| Some(*o) != me)
                {
                    return Err(ScimError::uniqueness(format!(
                        "displayName '{n}' is already taken"
                    )));
                }
            }
            Kind::Group => {}
        }
        Ok(())
    }

    fn index(&mut self, kind: Kind, id: Uuid, keys: &Keys) {
        match kind {
            Kind::User => {
                if let Some(n) = &keys.user_name {
                    self.user_names
                        .insert(n.to_lowercase().into_boxed_str(), id);
                }
                if let Some(e) = &keys.external {
                    self.user_external
                        .entry(e.as_str().into())
                        .or_default()
                        .push(id);
                }
            }
            Kind::Group => {
                if let Some(n) = &keys.display {
                    self.group_names
                        .entry(n.to_lowercase().into_boxed_str())
                        .or_default()
                        .push(id);
                }
                if let Some(e) = &keys.external {
                    self.group_external
                        .entry(e.as_str().into())
                        .or_default()
                        .push(id);
                }
            }
        }
    }

    fn unindex(&mut self, kind: Kind, id: Uuid, keys: &Keys) {
        match kind {
            Kind::User => {
                if let Some(n) = &keys.user_name {
                    let k = n.to_lowercase();
                    if self.user_names.get(k.as_str()) == Some(&id) {
                        self.user_names.remove(k.as_str());
                    }
                }
                if let Some(e) = &keys.external {
                    remove_from(&mut self.user_external, e, id);
                }
            }
            Kind::Group => {
                if let Some(n) = &keys.display {
                    remove_from(&mut self.group_names, &n.to_lowercase(), id);
                }
                if let Some(e) = &keys.external {
                    remove_from(&mut self.group_external, e, id);
                }
            }
        }
    }

    fn unlink(&mut self, member: Uuid, group: Uuid) {
        if let Some(v) = self.member_of.get_mut(&member) {
            v.retain(|g| *g != group);
            if v.is_empty() {
                self.member_of.remove(&member);
            }
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

    /// Checks that every member exists and is not the group itself.
    fn resolve_members(&self, group: Uuid, ids: &[Uuid]) -> Result<Vec<Uuid>, ScimError> {
        for id in ids {
            if *id == group {
                return Err(ScimError::invalid_value(
                    "a group cannot be a member of itself",
                ));
            }
            if self.kind_of(*id).is_none() {
                return Err(ScimError::invalid_value(format!(
                    "member '{id}' does not exist"
                )));
            }
        }
        Ok(ids.to_vec())
    }

    fn resolve_change(&self, group: Uuid, c: MemberChange) -> Result<MemberChange, ScimError> {
        Ok(match c {
            MemberChange::Add(ids) => MemberChange::Add(self.resolve_members(group, &ids)?),
            MemberChange::Set(ids) => MemberChange::Set(self.resolve_members(group, &ids)?),
            MemberChange::RemoveExisting(ids) => {
                let members = self.groups.get(&group).map(|g| &g.members);
                if let Some(missing) = ids
                    .iter()
                    .find(|i| !members.is_some_and(|m| m.contains(*i)))
                {
                    return Err(ScimError::no_target(format!(
                        "'{missing}' is not a member of this group"
                    )));
                }
                MemberChange::Remove(ids)
            }
            other => other,
        })
    }

    /// Applies one member change: O(1) per member added or removed. Returns the members
    /// actually added and removed (for the store's observer).
    fn apply_member_change(
        &mut self,
        group: Uuid,
        c: MemberChange,
    ) -> Result<(Vec<Uuid>, Vec<Uuid>), ScimError> {
        let (mut added, mut removed) = (Vec::new(), Vec::new());
        let (add, remove): (Vec<Uuid>, Vec<Uuid>) = match c {
            MemberChange::Add(ids) => (ids, vec![]),
            MemberChange::Remove(ids) | MemberChange::RemoveExisting(ids) => (vec![], ids),
            MemberChange::Set(ids) => {
                let keep: HashSet<Uuid> = ids.iter().copied().collect();
                let current: Vec<Uuid> = self
                    .groups
                    .get(&group)
                    .map(|g| g.members.iter().copied().collect())
                    .unwrap_or_default();
                let remove = current.into_iter().filter(|m| !keep.contains(m)).collect();
                (ids, remove)
            }
        };
        for m in remove {
            let was_member = self
                .groups
                .get_mut(&group)
                .is_some_and(|g| g.members.swap_remove(&m));
            if was_member {
                self.unlink(m, group);
                removed.push(m);
            }
        }
        for m in add {
            let is_new = self
                .groups
                .get_mut(&group)
                .is_some_and(|g| g.members.insert(m));
            if is_new {
                self.member_of.entry(m).or_default().push(group);
                added.push(m);
            }
        }
        Ok((added, removed))
    }

    /// The ids a filter can be answered from by an index, when its shape allows.
    fn index_lookup(&self, kind: Kind, f: &Filter) -> Option<Vec<Uuid>> {
        match f {
            Filter::Compare(path, CompareOp::Eq, CompValue::Str(s))
                if path.urn.is_none() && path.sub.is_none() =>
            {
                match (kind, path.name.as_str()) {
                    (_, "id") => Some(
                        parse_id(s)
                            .into_iter()
                            .filter(|id| self.kind_of(*id) == Some(kind))
                            .collect(),
                    ),
                    (Kind::User, "userName") => Some(
                        self.user_names
                            .get(s.to_lowercase().as_str())
                            .into_iter()
                            .copied()
                            .collect(),
                    ),
                    (Kind::User, "externalId") => Some(
                        self.user_external
                            .get(s.as_str())
                            .cloned()
                            .unwrap_or_default(),
                    ),
                    (Kind::Group, "displayName") => Some(
                        self.group_names
                            .get(s.to_lowercase().as_str())
                            .cloned()
                            .unwrap_or_default(),
                    ),
                    (Kind::Group, "externalId") => Some(
                        self.group_external
                            .get(s.as_str())
                            .cloned()
                            .unwrap_or_default(),
                    ),
                    _ => None,
                }
            }
            Filter::And(a, b) => self
                .index_lookup(kind, a)
                .or_else(|| self.index_lookup(kind, b)),
            _ => None,
        }
    }

    /// Whether an index answers this filter exactly, so its candidates need no evaluation.
    fn exact_index(kind: Kind, f: &Filter) -> bool {
        match f {
            Filter::Compare(path, CompareOp::Eq, CompValue::Str(_))
                if path.urn.is_none() && path.sub.is_none() =>
            {
                matches!(
                    (kind, path.name.as_str()),
                    (_, "id" | "externalId")
                        | (Kind::User, "userName")
                        | (Kind::Group, "displayName")
                )
            }
            _ => false,
        }
    }

    /// The user's groups: direct ones, then every ancestor through nesting (cycle-safe).
    fn groups_of(&self, id: Uuid) -> Vec<GroupRef> {
        let mut out = Vec::new();
        let mut seen: HashSet<Uuid> = HashSet::new();
        let mut frontier: Vec<(Uuid, bool)> = self
            .member_of
            .get(&id)
            .map(|v| v.iter().map(|g| (*g, true)).collect())
            .unwrap_or_default();
        while let Some((g, direct)) = frontier.pop() {
            if !seen.insert(g) {
                continue;
            }
            if let Some(ge) = self.groups.get(&g) {
                out.push(GroupRef {
                    id: g,
                    display: ge.display_name.to_string(),
                    direct,
                });
            }
            if let Some(parents) = self.member_of.get(&g) {
                frontier.extend(parents.iter().map(|p| (*p, false)));
            }
        }
        // A group reached directly and indirectly is reported as direct.
        out.sort_by_key(|g| (!g.direct, g.id));
        out
    }

    fn snapshot(&self, kind: Kind, id: Uuid, with_members: bool) -> Option<Snapshot> {
        match kind {
            Kind::User => self.users.get(&id).map(|e| {
                let groups = self.groups_of(id);
                Snapshot {
                    kind,
                    id,
                    body: e.body.to_string(),
                    version: self.user_version(e.version, &groups),
                    created: e.created,
                    modified: e.modified,
                    groups,
                    members: None,
                }
            }),
            Kind::Group => self.groups.get(&id).map(|g| Snapshot {
                kind,
                id,
                body: g.entry.body.to_string(),
                version: g.entry.version,
                created: g.entry.created,
                modified: g.entry.modified,
                groups: Vec::new(),
                members: with_members.then(|| {
                    g.members
                        .iter()
                        .map(|m| {
                            // No `display`: it is optional (RFC 7643 §4.2), and a member
                            // group's rename would change it without moving this group's ETag.
                            MemberRef {
                                id: *m,
                                kind: self.kind_of(*m).unwrap_or(Kind::User),
                                display: None,
                            }
                        })
                        .collect()
                }),
            }),
        }
    }
}
