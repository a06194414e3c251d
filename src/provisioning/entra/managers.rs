//! The managers phase of a cycle, after the members: each provisioned user's manager
//! reference, sent when the wanted manager differs from what the job believes the target
//! holds or the last request failed without a clear answer; a refusal waits for a change.

use super::cycle::{Ctx, is_success};
use super::job::ProvisioningJob;
use super::quarantine::QuarantineReason;
use crate::provisioning::exchange::{Failure, TargetAnswer, classify};
use crate::provisioning::logs::{Action, FailureClass, LogRecord, ObjectKind, Outcome};
use crate::provisioning::mapping::{AttributeMapping, UserView};
use crate::provisioning::requests;
use crate::provisioning::scoping::ScopeView;
use crate::provisioning::sim::CycleSummary;
use crate::provisioning::tenant::{SourceUser, Tenant};
use chrono::{DateTime, Utc};

/// The references phase for one user: its manager to set (`Some`) or clear (`None`).
#[derive(Debug, Clone)]
pub struct ManagerWork {
    pub source_id: String,
    pub name: String,
    pub target_id: String,
    pub manager: Option<String>,
}

/// What one manager reference request came to.
#[derive(Debug, Clone)]
pub struct ManagerDone {
    pub status: Option<u16>,
    pub failure: Option<Failure>,
    pub answer: Option<TargetAnswer>,
    pub duration_ms: u64,
}

/// Sends one manager reference.
pub async fn manager(ctx: &Ctx<'_>, m: &ManagerWork) -> ManagerDone {
    let began = std::time::Instant::now();
    let req = requests::set_manager(&m.target_id, m.manager.as_deref(), ctx.compat);
    let sent = ctx.sender.send(&req).await;
    let failed = !is_success(&sent, &[200, 204]);
    ManagerDone {
        status: sent.status(),
        failure: failed.then(|| classify(&sent)),
        answer: failed.then(|| TargetAnswer::of(&req, &sent)),
        duration_ms: began.elapsed().as_millis() as u64,
    }
}

impl ProvisioningJob {
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
        done: ManagerDone,
        number: u32,
        start: DateTime<Utc>,
        s: &mut CycleSummary,
    ) -> Option<QuarantineReason> {
        self.counters.reference_events += 1;
        let mut verdict = None;
        let status = done.status;
        let class = done.failure.as_ref().map(FailureClass::of);
        let (result, reason) = match done.failure {
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
            failure: class,
            answer: done.answer.map(Box::new),
            modified: Vec::new(),
            duration_ms: done.duration_ms,
        });
        verdict
    }
}
