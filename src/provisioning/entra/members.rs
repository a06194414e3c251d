//! The members phase of a cycle (E-CY-01), after every object was created or updated: what
//! the source wants each group's members to be against what the job believes the target
//! holds, so only differences are sent, in batches; a failed batch leaves its members
//! uncertain until a later cycle resends them.

use super::cycle::{Ctx, is_success};
use super::job::ProvisioningJob;
use super::objects::Work;
use super::quarantine::QuarantineReason;
use crate::provisioning::exchange::{Failure, TargetAnswer, classify};
use crate::provisioning::logs::{Action, FailureClass, LogRecord, ObjectKind, Outcome};
use crate::provisioning::requests;
use crate::provisioning::scoping::ScopeView;
use crate::provisioning::sim::CycleSummary;
use crate::provisioning::tenant::{SourceGroup, Tenant};
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap, HashSet};

/// The members of one group to send: members to add and remove, sent in batches.
#[derive(Debug, Clone)]
pub struct MemberWork {
    pub source_id: String,
    pub name: String,
    pub target_id: String,
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

/// What the references phase did to one group: which member ids were applied.
#[derive(Debug, Clone)]
pub struct MembersDone {
    /// Ids of the batch that failed: the target may or may not have applied it.
    pub uncertain: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub status: Option<u16>,
    pub failure: Option<Failure>,
    /// The failed batch's request and the target's answer.
    pub answer: Option<TargetAnswer>,
    pub duration_ms: u64,
}

/// Sends the member batches of one group; stops at the first failure.
pub async fn members(ctx: &Ctx<'_>, m: &MemberWork) -> MembersDone {
    let mut out = MembersDone {
        uncertain: Vec::new(),
        added: Vec::new(),
        removed: Vec::new(),
        status: None,
        failure: None,
        answer: None,
        duration_ms: 0,
    };
    let began = std::time::Instant::now();
    let batch = ctx.member_batch.max(1);
    let chunks = m
        .add
        .chunks(batch)
        .map(|c| (c, true))
        .chain(m.remove.chunks(batch).map(|c| (c, false)));
    for (chunk, add) in chunks {
        let req = if add {
            requests::patch_members(&m.target_id, chunk, &[], ctx.compat)
        } else {
            requests::patch_members(&m.target_id, &[], chunk, ctx.compat)
        };
        let sent = ctx.sender.send(&req).await;
        out.status = sent.status();
        if is_success(&sent, &[200, 204]) {
            let list = if add {
                &mut out.added
            } else {
                &mut out.removed
            };
            list.extend(chunk.iter().cloned());
        } else {
            out.failure = Some(classify(&sent));
            out.answer = Some(TargetAnswer::of(&req, &sent));
            out.uncertain = chunk.to_vec();
            break;
        }
    }
    out.duration_ms = began.elapsed().as_millis() as u64;
    out
}

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
            failure: d.failure.as_ref().map(FailureClass::of),
            answer: d.answer.map(Box::new),
            modified: Vec::new(),
            duration_ms: d.duration_ms,
        });
        verdict
    }

    /// Counts a failed reference request: an escrow to retry later, or the reason to
    /// quarantine at once (credentials, compliance).
    pub(super) fn reference_failed(
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
}
