//! The references phase of a cycle (E-CY-01), after every object was created or updated:
//! group memberships (member PATCHes in batches), then each user's manager. Both compare what
//! the source wants with what the job believes the target holds, so only differences are sent,
//! and a failed request leaves the reference uncertain until a later cycle resends it.

use super::cycle::Work;
use super::cycle::{ManagerWork, MemberWork, MembersDone};
use super::job::{ProvisioningJob, ScopeView};
use super::quarantine::QuarantineReason;
use crate::provisioning::exchange::Failure;
use crate::provisioning::logs::{Action, LogRecord, ObjectKind, Outcome};
use crate::provisioning::mapping::{AttributeMapping, UserView};
use crate::provisioning::sim::CycleSummary;
use crate::provisioning::tenant::{SourceGroup, SourceUser, Tenant};
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap, HashSet};

impl ProvisioningJob {
    /// The references phase: member changes of every group touched by this cycle.
    pub(crate) fn plan_members(
        &mut self,
        tenant: &Tenant,
        scope: &ScopeView<'_>,
        work: &[Work],
        number: u32,
    ) -> Vec<MemberWork> {
        let initial = self.watermark.is_none();
        let changed_users: HashSet<&str> = work
            .iter()
            .filter(|w| w.kind == ObjectKind::User)
            .map(|w| w.source_id.as_str())
            .collect();
        let changed_groups: HashSet<&str> = work
            .iter()
            .filter(|w| w.kind == ObjectKind::Group)
            .map(|w| w.source_id.as_str())
            .collect();
        let due: HashSet<String> = self
            .escrows
            .due(number)
            .into_iter()
            .filter(|e| e.references)
            .map(|e| e.source_id)
            .collect();
        let users = tenant.user_index();
        let mut out = Vec::new();
        let mut resolved = Vec::new();
        for g in &tenant.groups {
            let touched = initial
                || changed_groups.contains(g.object_id.as_str())
                || due.contains(&g.object_id)
                || g.members.iter().any(|m| changed_users.contains(m.as_str()));
            if !touched {
                continue;
            }
            let Some(target) = self
                .group_links
                .get(&g.object_id)
                .filter(|_| scope.group_in_scope(g))
            else {
                self.escrows.succeed(ObjectKind::Group, &g.object_id, true);
                continue;
            };
            let desired = self.desired_members(tenant, &users, scope, g);
            let (add, remove) = self.member_diff(&g.object_id, &desired);
            if add.is_empty() && remove.is_empty() {
                resolved.push(g.object_id.clone());
                continue;
            }
            out.push(MemberWork {
                source_id: g.object_id.clone(),
                name: g.display_name.clone(),
                target_id: target.clone(),
                add,
                remove,
            });
        }
        for id in resolved {
            self.escrows.succeed(ObjectKind::Group, &id, true);
        }
        out
    }

    /// The target ids a group should have as members: its entitled, provisioned users.
    pub(crate) fn desired_members(
        &self,
        tenant: &Tenant,
        users: &HashMap<&str, usize>,
        scope: &ScopeView<'_>,
        g: &SourceGroup,
    ) -> BTreeSet<String> {
        g.members
            .iter()
            .filter_map(|m| users.get(m.as_str()).map(|&i| &tenant.users[i]))
            .filter(|u| scope.user_entitled(u))
            .filter_map(|u| self.user_links.get(&u.object_id).cloned())
            .collect()
    }

    /// The member changes of one group (provision on demand).
    pub(crate) fn plan_members_for(
        &self,
        tenant: &Tenant,
        scope: &ScopeView<'_>,
        g: &SourceGroup,
    ) -> Vec<MemberWork> {
        let Some(target) = self.group_links.get(&g.object_id) else {
            return Vec::new();
        };
        let users = tenant.user_index();
        let desired = self.desired_members(tenant, &users, scope, g);
        let (add, remove) = self.member_diff(&g.object_id, &desired);
        if add.is_empty() && remove.is_empty() {
            return Vec::new();
        }
        vec![MemberWork {
            source_id: g.object_id.clone(),
            name: g.display_name.clone(),
            target_id: target.clone(),
            add,
            remove,
        }]
    }

    /// Members to add and remove: the difference with what the job believes the target has,
    /// plus every uncertain member, re-sent in the direction the source wants (adds and
    /// removes of members are idempotent for the provider's shapes).
    fn member_diff(&self, group: &str, desired: &BTreeSet<String>) -> (Vec<String>, Vec<String>) {
        let empty = BTreeSet::new();
        let belief = self.group_members.get(group).unwrap_or(&empty);
        let unsure = self.group_uncertain.get(group).unwrap_or(&empty);
        let add: BTreeSet<String> = desired
            .difference(belief)
            .chain(unsure.intersection(desired))
            .cloned()
            .collect();
        let remove: BTreeSet<String> = belief
            .difference(desired)
            .chain(unsure.difference(desired))
            .cloned()
            .collect();
        (add.into_iter().collect(), remove.into_iter().collect())
    }

    /// Applies a group's member changes.
    pub(crate) fn apply_members(
        &mut self,
        m: MemberWork,
        d: MembersDone,
        number: u32,
        start: DateTime<Utc>,
        s: &mut CycleSummary,
    ) -> Option<QuarantineReason> {
        let belief = self.group_members.entry(m.source_id.clone()).or_default();
        for id in &d.added {
            belief.insert(id.clone());
        }
        for id in &d.removed {
            belief.remove(id);
        }
        let unsure = self.group_uncertain.entry(m.source_id.clone()).or_default();
        for id in d.added.iter().chain(&d.removed) {
            unsure.remove(id);
        }
        unsure.extend(d.uncertain.iter().cloned());
        self.counters.reference_events += 1;
        let mut verdict = None;
        let (result, reason) = match &d.failure {
            None => {
                s.member_patches += 1;
                self.escrows.succeed(ObjectKind::Group, &m.source_id, true);
                (
                    Outcome::Success,
                    format!("added {}, removed {}", d.added.len(), d.removed.len()),
                )
            }
            Some(f) => {
                s.failures += 1;
                verdict =
                    self.reference_failed(ObjectKind::Group, &m.source_id, f, d.status, number);
                (Outcome::Failure, f.reason())
            }
        };
        self.log(LogRecord {
            cycle: number,
            at: start,
            kind: ObjectKind::Group,
            source_id: m.source_id,
            name: m.name,
            action: Action::Members,
            result,
            reason,
            status: d.status,
            target_id: Some(m.target_id),
        });
        verdict
    }

    /// Counts a failed reference request: an escrow to retry later, or the reason to
    /// quarantine at once (credentials, compliance).
    fn reference_failed(
        &mut self,
        kind: ObjectKind,
        source_id: &str,
        f: &Failure,
        status: Option<u16>,
        number: u32,
    ) -> Option<QuarantineReason> {
        self.counters.reference_failures += 1;
        match f {
            Failure::Escrow(r) => {
                let gap = self.config.policy.max_escrow_gap;
                self.escrows
                    .fail(kind, source_id, true, number, r.clone(), status, gap);
                None
            }
            Failure::Credentials(status) => {
                Some(QuarantineReason::CredentialFailure { status: *status })
            }
            Failure::Compliance(detail) => Some(QuarantineReason::ComplianceFailure {
                detail: detail.clone(),
            }),
            _ => None,
        }
    }

    /// The manager references to send: every provisioned, entitled user whose wanted manager
    /// (the target id of its source manager, or none) differs from what the job believes the
    /// target holds, or whose last manager request failed without a clear answer. An escrowed
    /// reference waits for its retry cycle; a refused one for a change of the user or of the
    /// wanted manager. Users no longer entitled leave the escrows: nothing is owed for them.
    pub(crate) fn plan_managers(
        &mut self,
        tenant: &Tenant,
        scope: &ScopeView<'_>,
        number: u32,
    ) -> Vec<ManagerWork> {
        let Some(mapping) = self.config.mappings.user_references().next() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for u in &tenant.users {
            let Some(target) = self.user_links.get(&u.object_id) else {
                continue;
            };
            if u.hard_deleted || !scope.user_entitled(u) {
                // A disabled user's manager does not matter; `manager_unsure` keeps the
                // resend for when it is entitled again.
                self.escrows.succeed(ObjectKind::User, &u.object_id, true);
                continue;
            }
            if self
                .escrows
                .items
                .get(&(ObjectKind::User, u.object_id.clone(), true))
                .is_some_and(|e| e.next_cycle > number)
            {
                continue;
            }
            let want = self.wanted_manager(mapping, u);
            // A refusal (400, 404, 409) is not retried until the user or its manager changes.
            if self.manager_refused.get(&u.object_id) == Some(&want) && !self.changed(u.modified) {
                continue;
            }
            out.extend(self.manager_work(u, target, want));
        }
        out
    }

    /// The target id of a user's manager under the reference mapping (none when the manager
    /// is not provisioned).
    fn wanted_manager(&self, mapping: &AttributeMapping, u: &SourceUser) -> Option<String> {
        let view = UserView {
            user: u,
            is_soft_deleted: false,
        };
        mapping
            .value(&view)
            .and_then(|m| self.user_links.get(&m).cloned())
    }

    /// The manager request for a user, if the target may hold another manager than `want`.
    fn manager_work(
        &self,
        u: &SourceUser,
        target: &str,
        want: Option<String>,
    ) -> Option<ManagerWork> {
        let unsure = self.manager_unsure.contains(&u.object_id);
        let believed = self.user_managers.get(&u.object_id).cloned().flatten();
        (unsure || believed != want).then(|| ManagerWork {
            source_id: u.object_id.clone(),
            name: u.display_name.clone(),
            target_id: target.to_string(),
            manager: want,
        })
    }

    /// The manager request of one user provisioned on demand (E-POD-01), if any.
    pub(crate) fn manager_work_for(
        &self,
        u: &SourceUser,
        scope: &ScopeView<'_>,
    ) -> Option<ManagerWork> {
        let mapping = self.config.mappings.user_references().next()?;
        let target = self.user_links.get(&u.object_id)?;
        if u.hard_deleted || !scope.user_entitled(u) {
            return None;
        }
        self.manager_work(u, target, self.wanted_manager(mapping, u))
    }

    /// Applies one manager reference's result.
    pub(crate) fn apply_manager(
        &mut self,
        m: ManagerWork,
        status: Option<u16>,
        failure: Option<Failure>,
        number: u32,
        start: DateTime<Utc>,
        s: &mut CycleSummary,
    ) -> Option<QuarantineReason> {
        self.counters.reference_events += 1;
        let mut verdict = None;
        let (result, reason) = match failure {
            None => {
                s.manager_updates += 1;
                self.manager_unsure.remove(&m.source_id);
                self.manager_refused.remove(&m.source_id);
                self.escrows.succeed(ObjectKind::User, &m.source_id, true);
                self.user_managers
                    .insert(m.source_id.clone(), m.manager.clone());
                let reason = match &m.manager {
                    Some(id) => format!("manager set to {id}"),
                    None => "manager cleared".to_string(),
                };
                (Outcome::Success, reason)
            }
            Some(f) => {
                s.failures += 1;
                if matches!(f, Failure::Refused(_) | Failure::Conflict(_)) {
                    self.manager_refused
                        .insert(m.source_id.clone(), m.manager.clone());
                } else {
                    self.manager_unsure.insert(m.source_id.clone());
                }
                verdict = self.reference_failed(ObjectKind::User, &m.source_id, &f, status, number);
                (Outcome::Failure, f.reason())
            }
        };
        self.log(LogRecord {
            cycle: number,
            at: start,
            kind: ObjectKind::User,
            source_id: m.source_id,
            name: m.name,
            action: Action::Manager,
            result,
            reason,
            status,
            target_id: Some(m.target_id),
        });
        verdict
    }
}
