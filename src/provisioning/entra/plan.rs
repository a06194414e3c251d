//! Which users and groups a cycle's objects phase processes, and what it means to do with
//! each: changed since the watermark, due escrows, released staged removals; the
//! accidental-deletion guard (E-Q-03) stages mass disables and deletes.

use super::job::ProvisioningJob;
use super::objects::{Intent, Work};
use super::quarantine::QuarantineReason;
use crate::provisioning::logs::{ObjectKind, STAGED_REASON};
use crate::provisioning::mapping::{UserView, map};
use crate::provisioning::scoping::ScopeView;
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
                    w.intent = Intent::Skip(STAGED_REASON.into());
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
}
