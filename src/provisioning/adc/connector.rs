//! The connector: polls the directory on the simulated clock and pushes the selected groups
//! (with their nested groups) and their users into the product over SCIM, in RFC 7644 shapes
//! (it is the product's own agent, not the cloud provider, so none of E-U-03's quirks).
//!
//! - The first run pushes everything in scope; later runs compare each object with what the
//!   connector last pushed and send only the differences (one PATCH per changed user, member
//!   adds and removes per group). A failed request leaves the belief unchanged, so the next
//!   run sends it again: nothing is lost, nothing is sent twice after a success.
//! - Users are never deleted (S-US-05): a user who leaves every selected group only loses its
//!   memberships (User Sync then suspends it, S-US-06); a disabled or deleted account is
//!   pushed as `active: false`. Groups that are deselected or deleted are deleted.
//! - Only users whose UPN is under a verified organization domain are pushed; the others are
//!   skipped with a log record giving the reason (once, until they change domain).
//! - Custom string attributes go to the enterprise extension, where User Sync maps them to
//!   custom fields (S-US-11).

use super::directory::Directory;
use super::push::{Op, Task, TaskDone, send, update_user};
use crate::client::ScimClient;
use crate::client::admin::AdminClient;
use crate::provisioning::exchange::{RetryPolicy, Sender};
use crate::provisioning::logs::{Action, FailureClass, LogRecord, ObjectKind, Outcome, Progress};
use crate::provisioning::mapping::{AttributeMapping, Mapped, UserView, map};
use crate::provisioning::requests;
use crate::provisioning::sim::CycleSummary;
use crate::provisioning::tenant::SourceUser;
use crate::scim::schema::ENTERPRISE_USER_SCHEMA;
use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

pub use crate::provisioning::sim::DEFAULT_POLL_MINUTES;

/// The connector's settings.
#[derive(Debug, Clone)]
pub struct AdcConfig {
    pub interval: Duration,
    /// Custom string attributes: (directory attribute, enterprise extension attribute).
    pub custom_attributes: Vec<(String, String)>,
    /// The organization's verified domains; `None` reads them from the product's admin API
    /// (`GET /admin/v1/org`) at the start of every run.
    pub verified_domains: Option<Vec<String>>,
    /// Organizational units to sync (a user's OU must end with one of them, e.g.
    /// `OU=People,DC=contoso,DC=example`); `None`: every OU.
    pub organizational_units: Option<Vec<String>>,
    /// Members per PATCH.
    pub member_batch: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
    pub retry: RetryPolicy,
}

impl Default for AdcConfig {
    fn default() -> Self {
        AdcConfig {
            interval: Duration::minutes(DEFAULT_POLL_MINUTES),
            custom_attributes: default_custom_attributes(),
            verified_domains: None,
            organizational_units: None,
            member_batch: requests::DEFAULT_MEMBER_BATCH,
            concurrency: 32,
            retry: RetryPolicy::default(),
        }
    }
}

/// The product's documented defaults (S-US-11): employeeNumber, costCenter, division and
/// department, read from the directory's employeeId, costCenter, division and department.
pub fn default_custom_attributes() -> Vec<(String, String)> {
    [
        ("employeeId", "employeeNumber"),
        ("costCenter", "costCenter"),
        ("division", "division"),
        ("department", "department"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

/// The user mappings of the connector: identity and profile, then the custom attributes.
pub fn user_mappings(custom: &[(String, String)]) -> Vec<AttributeMapping> {
    let mut m = vec![
        AttributeMapping::direct("userPrincipalName", "userName"),
        AttributeMapping::direct("objectId", "externalId"),
        AttributeMapping::expression("Not([IsSoftDeleted])", "active")
            .unwrap_or_else(|_| AttributeMapping::constant("True", "active")),
        AttributeMapping::direct("displayName", "displayName"),
        AttributeMapping::direct("givenName", "name.givenName"),
        AttributeMapping::direct("surname", "name.familyName"),
        AttributeMapping::direct("mail", "emails[type eq \"work\"].value"),
    ];
    for (from, to) in custom {
        m.push(AttributeMapping::direct(
            from,
            &format!("{ENTERPRISE_USER_SCHEMA}:{to}"),
        ));
    }
    m
}

/// A directory user as the mappings see it: a disabled, soft- or hard-deleted account maps
/// to `active: false`.
pub fn user_view(u: &SourceUser) -> UserView<'_> {
    UserView {
        user: u,
        is_soft_deleted: !u.account_enabled || u.soft_deleted_at.is_some() || u.hard_deleted,
    }
}

/// The group mappings: the name and the directory's id.
pub fn group_mappings() -> Vec<AttributeMapping> {
    vec![
        AttributeMapping::direct("displayName", "displayName"),
        AttributeMapping::direct("objectId", "externalId"),
    ]
}

/// Whether `upn` is under one of `domains` (the domain itself or a subdomain).
pub fn in_verified_domain(upn: &str, domains: &[String]) -> bool {
    let Some((_, d)) = upn.rsplit_once('@') else {
        return false;
    };
    let d = d.to_ascii_lowercase();
    domains.iter().any(|v| {
        let v = v.to_ascii_lowercase();
        d == v || d.ends_with(&format!(".{v}"))
    })
}

/// The connector and what it remembers between runs.
#[derive(Debug)]
pub struct Connector {
    pub client: ScimClient,
    pub config: AdcConfig,
    /// Directory object id -> product id.
    pub user_links: HashMap<String, String>,
    pub group_links: HashMap<String, String>,
    /// What was last pushed successfully for each user.
    pub pushed: HashMap<String, Mapped>,
    /// The display name last pushed for each group.
    pub group_names: HashMap<String, String>,
    /// What the connector believes each group's members are (product ids).
    pub group_members: HashMap<String, BTreeSet<String>>,
    /// Users skipped for their domain (logged once).
    pub skipped: HashSet<String>,
    pub logs: Vec<LogRecord>,
    pub runs: Vec<CycleSummary>,
    pub last_run: Option<DateTime<Utc>>,
    /// Tasks done / planned in the running poll (for a progress bar).
    pub progress: Arc<Progress>,
}

impl Connector {
    pub fn new(client: ScimClient, config: AdcConfig) -> Connector {
        Connector {
            client,
            config,
            user_links: HashMap::new(),
            group_links: HashMap::new(),
            pushed: HashMap::new(),
            group_names: HashMap::new(),
            group_members: HashMap::new(),
            skipped: HashSet::new(),
            logs: Vec::new(),
            runs: Vec::new(),
            last_run: None,
            progress: Progress::new(),
        }
    }

    /// When the next poll is due.
    pub fn next_run_at(&self) -> Option<DateTime<Utc>> {
        self.last_run.map(|t| t + self.config.interval)
    }

    /// The verified domains: the configured ones, else the product's (admin API).
    pub async fn verified_domains(&self) -> Result<Vec<String>, String> {
        match &self.config.verified_domains {
            Some(d) => Ok(d.clone()),
            None => AdminClient::new(self.client.clone())
                .verified_domains()
                .await
                .map_err(|e| {
                    format!(
                        "cannot read the organization's verified domains ({e}); give them \
                         with --verified-domain"
                    )
                }),
        }
    }

    /// Why a user in a selected group is not pushed: a UPN outside the verified domains, or
    /// an organizational unit that is not synced.
    pub fn out_of_scope(&self, u: &SourceUser, domains: &[String]) -> Option<String> {
        if !in_verified_domain(&u.user_principal_name, domains) {
            return Some(format!(
                "{} is not under a verified domain of the organization ({})",
                u.user_principal_name,
                if domains.is_empty() {
                    "none verified".to_string()
                } else {
                    domains.join(", ")
                }
            ));
        }
        let ous = self.config.organizational_units.as_ref()?;
        let ou = Directory::ou_of(u);
        let lower = ou.to_ascii_lowercase();
        (!ous.iter().any(|o| lower.ends_with(&o.to_ascii_lowercase())))
            .then(|| format!("{ou} is not an organizational unit the connector syncs"))
    }

    /// One poll: reads the directory and pushes what differs.
    pub async fn run(&mut self, dir: &Directory, now: DateTime<Utc>) -> CycleSummary {
        let wall = std::time::Instant::now();
        let number = self.runs.len() as u32 + 1;
        let mut s = CycleSummary {
            number,
            initial: self.last_run.is_none(),
            sim_start: now,
            ..Default::default()
        };
        self.last_run = Some(now);
        self.progress.start(number, 0);
        let client = self.client.clone();
        let retry = self.config.retry.clone();
        let sender = Sender::new(&client, &retry);
        let domains = match self.verified_domains().await {
            Ok(d) => d,
            Err(reason) => {
                s.failures += 1;
                s.aborted = Some(reason);
                return self.finish(s, &sender, wall);
            }
        };
        let closure = dir.selected_closure();
        let t = &dir.tenant;
        let closure_ids: HashSet<&str> = closure
            .iter()
            .map(|&g| t.groups[g].object_id.as_str())
            .collect();

        // 1. Groups first, so memberships have both ends.
        let mut tasks = Vec::new();
        for &gi in &closure {
            let g = &t.groups[gi];
            let task = |op| Task {
                kind: ObjectKind::Group,
                source_id: g.object_id.clone(),
                name: g.display_name.clone(),
                op,
            };
            match self.group_links.get(&g.object_id) {
                None => tasks.push(task(Op::CreateGroup {
                    mapped: map(&group_mappings(), g, true),
                })),
                Some(target) if self.group_names.get(&g.object_id) != Some(&g.display_name) => {
                    tasks.push(task(Op::RenameGroup {
                        target: target.clone(),
                        name: g.display_name.clone(),
                    }))
                }
                Some(_) => {}
            }
        }
        let gidx = t.group_index();
        let mut gone: Vec<(&String, &String)> = self
            .group_links
            .iter()
            .filter(|(src, _)| !closure_ids.contains(src.as_str()))
            .collect();
        gone.sort();
        for (src, target) in gone {
            let name = gidx
                .get(src.as_str())
                .map_or_else(|| src.clone(), |&i| t.groups[i].display_name.clone());
            tasks.push(Task {
                kind: ObjectKind::Group,
                source_id: src.clone(),
                name,
                op: Op::DeleteGroup {
                    target: target.clone(),
                },
            });
        }
        self.execute(&sender, tasks, number, now, &mut s).await;

        // 2. Users: everyone in scope, plus pushed users who were deleted from the directory
        // (pushed as inactive, never deleted).
        let mappings = user_mappings(&self.config.custom_attributes);
        let in_scope = dir.users_in_scope(&closure);
        let mut candidates: Vec<usize> = in_scope.clone();
        let scope_set: HashSet<usize> = in_scope.iter().copied().collect();
        for (i, u) in t.users.iter().enumerate() {
            if u.hard_deleted
                && self.user_links.contains_key(&u.object_id)
                && !scope_set.contains(&i)
            {
                candidates.push(i);
            }
        }
        let mut tasks = Vec::new();
        for i in candidates {
            let u = &t.users[i];
            if let Some(reason) = self.out_of_scope(u, &domains) {
                if self.skipped.insert(u.object_id.clone()) {
                    s.skips += 1;
                    self.log(LogRecord {
                        cycle: number,
                        at: now,
                        kind: ObjectKind::User,
                        source_id: u.object_id.clone(),
                        name: u.display_name.clone(),
                        action: Action::Skip,
                        result: Outcome::Skipped,
                        reason,
                        status: None,
                        target_id: None,
                        failure: None,
                        answer: None,
                        modified: Vec::new(),
                        duration_ms: 0,
                    });
                }
                continue;
            }
            self.skipped.remove(&u.object_id);
            let mapped = map(&mappings, &user_view(u), true);
            let task = |op| Task {
                kind: ObjectKind::User,
                source_id: u.object_id.clone(),
                name: u.display_name.clone(),
                op,
            };
            match self.user_links.get(&u.object_id) {
                None => tasks.push(task(Op::CreateUser { mapped })),
                Some(target) => {
                    let old = self.pushed.get(&u.object_id).map_or(&[][..], Vec::as_slice);
                    if let Some(req) = update_user(target, old, &mapped) {
                        tasks.push(task(Op::UpdateUser { req, mapped }));
                    }
                }
            }
        }
        self.execute(&sender, tasks, number, now, &mut s).await;

        // 3. Memberships: direct users (pushed) and nested groups of each group.
        let uidx = t.user_index();
        let mut tasks = Vec::new();
        for &gi in &closure {
            let g = &t.groups[gi];
            let Some(target) = self.group_links.get(&g.object_id) else {
                continue;
            };
            let mut desired: BTreeSet<String> = g
                .members
                .iter()
                .filter(|m| {
                    uidx.get(m.as_str())
                        .is_some_and(|&i| !t.users[i].hard_deleted)
                })
                .filter(|m| !self.skipped.contains(m.as_str()))
                .filter_map(|m| self.user_links.get(m).cloned())
                .collect();
            desired.extend(
                g.nested_groups
                    .iter()
                    .filter(|c| closure_ids.contains(c.as_str()))
                    .filter_map(|c| self.group_links.get(c).cloned()),
            );
            let empty = BTreeSet::new();
            let belief = self.group_members.get(&g.object_id).unwrap_or(&empty);
            let add: Vec<String> = desired.difference(belief).cloned().collect();
            let remove: Vec<String> = belief.difference(&desired).cloned().collect();
            let batch = self.config.member_batch.max(1);
            let chunks = add
                .chunks(batch)
                .map(|c| (c.to_vec(), Vec::new()))
                .chain(remove.chunks(batch).map(|c| (Vec::new(), c.to_vec())));
            for (add, remove) in chunks {
                tasks.push(Task {
                    kind: ObjectKind::Group,
                    source_id: g.object_id.clone(),
                    name: g.display_name.clone(),
                    op: Op::Members {
                        target: target.clone(),
                        add,
                        remove,
                    },
                });
            }
        }
        self.execute(&sender, tasks, number, now, &mut s).await;
        self.finish(s, &sender, wall)
    }

    fn finish(
        &mut self,
        mut s: CycleSummary,
        sender: &Sender<'_>,
        wall: std::time::Instant,
    ) -> CycleSummary {
        s.requests = sender.requests.load(Ordering::Relaxed);
        s.wall_ms = wall.elapsed().as_millis() as u64;
        // As for the cloud provider: wall time plus the Retry-After waits, spread over the
        // requests in flight.
        let waited = sender.waited_ms.load(Ordering::Relaxed) as f64;
        s.sim_minutes =
            (waited / self.config.concurrency.max(1) as f64 + s.wall_ms as f64) / 60_000.0;
        s.sim_end = s.sim_start + chrono::Duration::milliseconds((s.sim_minutes * 60_000.0) as i64);
        self.runs.push(s.clone());
        s
    }

    fn log(&mut self, r: LogRecord) {
        self.logs.push(r);
    }

    /// Sends the tasks concurrently, then applies the results in order.
    async fn execute(
        &mut self,
        sender: &Sender<'_>,
        tasks: Vec<Task>,
        number: u32,
        now: DateTime<Utc>,
        s: &mut CycleSummary,
    ) {
        self.progress.add_total(tasks.len());
        let progress = self.progress.clone();
        let done: Vec<TaskDone> = futures::stream::iter(tasks)
            .map(|t| {
                let progress = progress.clone();
                async move {
                    let d = send(sender, t).await;
                    progress.tick();
                    d
                }
            })
            .buffered(self.config.concurrency.max(1))
            .collect()
            .await;
        for d in done {
            self.apply(d, number, now, s);
        }
    }

    fn apply(&mut self, d: TaskDone, number: u32, now: DateTime<Utc>, s: &mut CycleSummary) {
        let src = d.task.source_id.clone();
        let ok = d.failure.is_none();
        let mut reason = match &d.failure {
            Some(f) => f.reason(),
            None => String::new(),
        };
        if ok {
            match &d.task.op {
                Op::CreateGroup { .. } => {
                    if let Some(id) = &d.target {
                        self.group_links.insert(src.clone(), id.clone());
                    }
                    self.group_names.insert(src.clone(), d.task.name.clone());
                    self.group_members.entry(src.clone()).or_default();
                    s.creates += 1;
                    reason = "created".into();
                }
                Op::RenameGroup { name, .. } => {
                    self.group_names.insert(src.clone(), name.clone());
                    s.updates += 1;
                    reason = format!("renamed to {name}");
                }
                Op::DeleteGroup { target } => {
                    self.group_links.remove(&src);
                    self.group_names.remove(&src);
                    self.group_members.remove(&src);
                    for members in self.group_members.values_mut() {
                        members.remove(target);
                    }
                    s.deletes += 1;
                    reason = "deselected or deleted in the directory".into();
                }
                Op::CreateUser { mapped } | Op::UpdateUser { mapped, .. } => {
                    if let Some(id) = &d.target {
                        self.user_links.insert(src.clone(), id.clone());
                    }
                    let was_active = self
                        .pushed
                        .get(&src)
                        .is_none_or(|old| active(old) != Some(false));
                    if d.action == Action::Create {
                        s.creates += 1;
                        reason = "created".into();
                    } else if was_active && active(mapped) == Some(false) {
                        s.disables += 1;
                        reason = "disabled or deleted in the directory".into();
                    } else {
                        s.updates += 1;
                        reason = "updated".into();
                    }
                    self.pushed.insert(src.clone(), mapped.clone());
                }
                Op::Members { .. } => {
                    let belief = self.group_members.entry(src.clone()).or_default();
                    belief.extend(d.applied.0.iter().cloned());
                    for r in &d.applied.1 {
                        belief.remove(r);
                    }
                    s.member_patches += 1;
                    reason = format!("added {}, removed {}", d.applied.0.len(), d.applied.1.len());
                }
            }
        } else {
            s.failures += 1;
            if let (Op::CreateUser { .. }, Some(id)) = (&d.task.op, &d.target) {
                // Found after a 409: linked now, pushed in full next run.
                self.user_links.insert(src.clone(), id.clone());
            }
            if let (Op::CreateGroup { .. }, Some(id)) = (&d.task.op, &d.target) {
                self.group_links.insert(src.clone(), id.clone());
                self.group_names.insert(src.clone(), d.task.name.clone());
                self.group_members.entry(src.clone()).or_default();
            }
        }
        if let Some(seen) = d.members_seen {
            // The next poll diffs against what the target really holds.
            self.group_members.insert(src.clone(), seen);
        }
        let target_id = match d.task.kind {
            ObjectKind::User => self.user_links.get(&src).cloned(),
            ObjectKind::Group => self.group_links.get(&src).cloned(),
        };
        self.log(LogRecord {
            cycle: number,
            at: now,
            kind: d.task.kind,
            source_id: src,
            name: d.task.name,
            action: d.action,
            result: if ok {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            reason,
            status: d.status,
            target_id,
            failure: d.failure.as_ref().map(FailureClass::of),
            answer: None,
            modified: Vec::new(),
            duration_ms: 0,
        });
    }
}

fn active(m: &Mapped) -> Option<bool> {
    m.iter()
        .find(|(p, _)| p == "active")
        .and_then(|(_, v)| v.as_bool())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_match_themselves_and_their_subdomains_only() {
        let v = vec!["contoso.example".to_string()];
        assert!(in_verified_domain("ann@contoso.example", &v));
        assert!(in_verified_domain("ann@EU.Contoso.example", &v));
        assert!(!in_verified_domain("ann@badcontoso.example", &v));
        assert!(!in_verified_domain("ann@fabrikam.example", &v));
        assert!(!in_verified_domain("no-at-sign", &v));
        assert!(!in_verified_domain("ann@contoso.example", &[]));
    }
}
