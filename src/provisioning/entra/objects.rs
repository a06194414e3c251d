//! Planning a cycle (which objects, which intent, the accidental-deletion guard) and applying
//! what came back (links, escrows, counters, provisioning logs). The references phase that
//! follows is in `references.rs`.

use super::cycle::{Done, Intent, LinkUpdate, Work};
use super::job::{ProvisioningJob, ScopeView};
use super::quarantine::QuarantineReason;
use crate::provisioning::exchange::Failure;
use crate::provisioning::logs::{Action, LogRecord, ObjectKind, Outcome};
use crate::provisioning::mapping::{UserView, map};
use crate::provisioning::sim::CycleSummary;
use crate::provisioning::tenant::{SourceGroup, SourceUser, Tenant};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

impl ProvisioningJob {
    pub(crate) fn changed(&self, modified: DateTime<Utc>) -> bool {
        self.watermark.is_none_or(|w| modified > w)
    }

    /// The users and groups this cycle processes, with what it means to do to each.
    pub(crate) fn plan_objects(
        &mut self,
        tenant: &Tenant,
        scope: &ScopeView<'_>,
        number: u32,
        start: DateTime<Utc>,
        s: &mut CycleSummary,
    ) -> Vec<Work> {
        let due: HashSet<(ObjectKind, String)> = self
            .escrows
            .due(number)
            .into_iter()
            .filter(|e| !e.references)
            .map(|e| (e.kind, e.source_id))
            .collect();
        let releasing = self.allow_staged;
        let staged: HashSet<(ObjectKind, String)> = if releasing {
            std::mem::take(&mut self.staged).into_iter().collect()
        } else {
            HashSet::new()
        };
        self.allow_staged = false;
        let picked = |kind: ObjectKind, id: &str, modified| {
            self.changed(modified)
                || due.contains(&(kind, id.to_string()))
                || staged.contains(&(kind, id.to_string()))
        };
        let mut work = Vec::new();
        for u in &tenant.users {
            if !picked(ObjectKind::User, &u.object_id, u.modified) {
                continue;
            }
            if let Some(w) = self.user_work(u, scope) {
                work.push(w);
            }
        }
        for g in &tenant.groups {
            if !picked(ObjectKind::Group, &g.object_id, g.modified) {
                continue;
            }
            if let Some(w) = self.group_work(g, scope) {
                work.push(w);
            }
        }
        // The accidental-deletion guard (E-Q-03).
        let removals = work
            .iter()
            .filter(|w| matches!(w.intent, Intent::Disable | Intent::Delete))
            .count();
        let threshold = self.config.policy.deletion_threshold;
        if removals > threshold && !releasing {
            for w in work.iter_mut() {
                if matches!(w.intent, Intent::Disable | Intent::Delete) {
                    self.staged.push((w.kind, w.source_id.clone()));
                    w.intent = Intent::Skip("staged by the accidental-deletion guard".into());
                }
            }
            self.enter_quarantine(
                QuarantineReason::AccidentalDeletions {
                    count: removals,
                    threshold,
                },
                start,
            );
        }
        let _ = s;
        work
    }

    /// What to do with one user; `None` when there is nothing to log (gone, never known).
    pub(crate) fn user_work(&self, u: &SourceUser, scope: &ScopeView<'_>) -> Option<Work> {
        let mappings = &self.config.mappings;
        let skip_oos = self.config.scoping.skip_out_of_scope_deletions;
        let link = self.user_links.get(&u.object_id).cloned();
        let intent = if u.hard_deleted {
            link.as_ref()?;
            Intent::Delete
        } else if !scope.user_in_scope(u) {
            match (&link, skip_oos) {
                (Some(_), false) => Intent::Disable,
                (Some(_), true) => {
                    Intent::Skip("out of scope; out-of-scope deletions are skipped".into())
                }
                (None, _) => Intent::Skip("not in scope (unassigned or filtered out)".into()),
            }
        } else if !scope.user_entitled(u) {
            if link.is_some() {
                Intent::Disable
            } else {
                Intent::Skip("not effectively entitled: disabled or soft-deleted".into())
            }
        } else {
            let view = UserView {
                user: u,
                is_soft_deleted: false,
            };
            let matching = mappings
                .user_matching()
                .iter()
                .filter_map(|m| m.value(&view).map(|v| (m.target.clone(), v)))
                .collect();
            Intent::Upsert {
                create: map(&mappings.user, &view, true),
                update: map(&mappings.user, &view, false),
                matching,
            }
        };
        Some(Work {
            kind: ObjectKind::User,
            source_id: u.object_id.clone(),
            name: u.display_name.clone(),
            link,
            intent,
        })
    }

    /// What to do with one group.
    pub(crate) fn group_work(&self, g: &SourceGroup, scope: &ScopeView<'_>) -> Option<Work> {
        let mappings = &self.config.mappings;
        let link = self.group_links.get(&g.object_id).cloned();
        let intent = if scope.group_in_scope(g) {
            let matching = mappings
                .group_matching()
                .iter()
                .filter_map(|m| m.value(g).map(|v| (m.target.clone(), v)))
                .collect();
            Intent::Upsert {
                create: map(&mappings.group, g, true),
                update: map(&mappings.group, g, false),
                matching,
            }
        } else if link.is_some() {
            Intent::Delete
        } else if g.hard_deleted {
            return None;
        } else {
            Intent::Skip("group not in scope".into())
        };
        Some(Work {
            kind: ObjectKind::Group,
            source_id: g.object_id.clone(),
            name: g.display_name.clone(),
            link,
            intent,
        })
    }

    pub(crate) fn log(&mut self, r: LogRecord) {
        self.logs.push(r);
    }

    /// Applies one object's result. Returns a reason to quarantine at once, if any.
    pub(crate) fn apply_done(
        &mut self,
        mut d: Done,
        number: u32,
        start: DateTime<Utc>,
        s: &mut CycleSummary,
    ) -> Option<QuarantineReason> {
        let kind = d.work_kind;
        match &d.link {
            LinkUpdate::Keep => {}
            LinkUpdate::Set(id) => {
                match kind {
                    ObjectKind::User => self.user_links.insert(d.source_id.clone(), id.clone()),
                    ObjectKind::Group => {
                        self.group_members.entry(d.source_id.clone()).or_default();
                        self.group_links.insert(d.source_id.clone(), id.clone())
                    }
                };
            }
            LinkUpdate::Remove => match kind {
                ObjectKind::User => {
                    self.user_managers.remove(&d.source_id);
                    self.manager_unsure.remove(&d.source_id);
                    self.manager_refused.remove(&d.source_id);
                    self.escrows.succeed(kind, &d.source_id, true);
                    if let Some(id) = self.user_links.remove(&d.source_id) {
                        for members in self.group_members.values_mut() {
                            members.remove(&id);
                        }
                    }
                }
                ObjectKind::Group => {
                    self.group_links.remove(&d.source_id);
                    self.group_members.remove(&d.source_id);
                    self.group_uncertain.remove(&d.source_id);
                    self.escrows.succeed(kind, &d.source_id, true);
                }
            },
        }
        if let Some(seen) = d.observed_manager.take() {
            self.user_managers.insert(d.source_id.clone(), seen);
        }
        let mut verdict = None;
        match d.outcome {
            Outcome::Success => {
                self.counters.events += 1;
                match d.action {
                    Action::Create => s.creates += 1,
                    Action::Update => s.updates += 1,
                    Action::Disable => s.disables += 1,
                    Action::Delete => s.deletes += 1,
                    Action::Members => s.member_patches += 1,
                    Action::Manager => s.manager_updates += 1,
                    Action::Skip => s.skips += 1,
                }
                self.escrows.succeed(kind, &d.source_id, false);
            }
            Outcome::Skipped => {
                s.skips += 1;
                self.escrows.succeed(kind, &d.source_id, false);
            }
            Outcome::Failure => {
                s.failures += 1;
                self.counters.events += 1;
                self.counters.failures += 1;
                match &d.failure {
                    Some(Failure::Escrow(r)) => self.escrows.fail(
                        kind,
                        &d.source_id,
                        false,
                        number,
                        r.clone(),
                        d.status,
                        self.config.policy.max_escrow_gap,
                    ),
                    Some(Failure::Credentials(status)) => {
                        verdict = Some(QuarantineReason::CredentialFailure { status: *status })
                    }
                    Some(Failure::Compliance(detail)) => {
                        verdict = Some(QuarantineReason::ComplianceFailure {
                            detail: detail.clone(),
                        })
                    }
                    _ => self.escrows.succeed(kind, &d.source_id, false),
                }
            }
        }
        let target_id = match kind {
            ObjectKind::User => self.user_links.get(&d.source_id).cloned(),
            ObjectKind::Group => self.group_links.get(&d.source_id).cloned(),
        };
        self.log(LogRecord {
            cycle: number,
            at: start,
            kind,
            source_id: d.source_id,
            name: d.name,
            action: d.action,
            result: d.outcome,
            reason: d.reason,
            status: d.status,
            target_id,
        });
        verdict
    }
}
