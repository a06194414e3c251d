//! Provision on demand (E-POD-01): one user, or one group of at most 5 members, through test
//! connection, import, scope, match and action (then a user's manager reference, when the
//! manager is in the app), without waiting for the cycle. The watermark is not touched; the
//! provisioning log gets the records as in a cycle.

use super::cycle::Ctx;
use super::job::ProvisioningJob;
use super::objects::{self, Intent};
use super::{managers, members};
use crate::provisioning::exchange::Sender;
use crate::provisioning::scoping::ScopeView;
use crate::provisioning::sim::CycleSummary;
use crate::provisioning::tenant::Tenant;
use serde::Serialize;

/// The most members a group provisioned on demand may have.
pub const MAX_GROUP_MEMBERS: usize = 5;

/// One step as the portal shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PodStep {
    pub step: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// The result: the steps, in order, up to the first that failed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PodResult {
    pub steps: Vec<PodStep>,
}

impl PodResult {
    fn step(&mut self, step: &'static str, ok: bool, detail: impl Into<String>) -> bool {
        self.steps.push(PodStep {
            step,
            ok,
            detail: detail.into(),
        });
        ok
    }
    /// Every step succeeded.
    pub fn succeeded(&self) -> bool {
        !self.steps.is_empty() && self.steps.iter().all(|s| s.ok)
    }
}

impl ProvisioningJob {
    /// Provisions one user or group (by directory object id) now.
    pub async fn provision_on_demand(&mut self, tenant: &Tenant, object_id: &str) -> PodResult {
        let mut out = PodResult::default();
        let now = crate::clock::Clock::now(self.clock.as_ref());
        let retry = self.config.retry.clone();
        let client = self.client.clone();
        let sender = Sender::new(&client, &retry);
        let ctx = Ctx {
            sender: &sender,
            compat: self.config.compat,
            member_batch: self.config.member_batch,
            compliance: Default::default(),
        };
        let req = crate::provisioning::requests::test_connection(&uuid::Uuid::new_v4().to_string());
        let tc = sender.send(&req).await;
        let ok = tc.status() == Some(200);
        if !out.step("test connection", ok, format!("status {:?}", tc.status())) {
            return out;
        }
        let user = tenant.users.iter().find(|u| u.object_id == object_id);
        let group = tenant.groups.iter().find(|g| g.object_id == object_id);
        let scoping = self.config.scoping.clone();
        let scope = ScopeView::new(tenant, &scoping);
        let mut s = CycleSummary::default();
        let number = self.cycles.len() as u32;
        if let Some(u) = user {
            out.step("import", true, format!("user {}", u.display_name));
            let in_scope = scope.user_in_scope(u);
            if !out.step(
                "determine if user is in scope",
                in_scope,
                if in_scope {
                    "in scope"
                } else {
                    "not in scope: unassigned or filtered out"
                },
            ) {
                return out;
            }
            let Some(w) = self.user_work(u, &scope) else {
                return out;
            };
            let d = objects::process(&ctx, &w).await;
            let ok = d.failure.is_none();
            out.step("match user between source and target", ok, d.reason.clone());
            out.step(
                "perform action",
                ok,
                format!("{} {}", d.action.as_str(), d.outcome.as_str()),
            );
            self.apply_done(d, number, now, &mut s);
            // The manager reference follows at once when the manager is in the app.
            if ok && let Some(m) = self.manager_work_for(u, &scope) {
                let done = managers::manager(&ctx, &m).await;
                let sent = done.failure.is_none();
                let detail = m.manager.clone().unwrap_or_else(|| "cleared".into());
                self.apply_manager(m, done, number, now, &mut s);
                out.step("set the manager reference", sent, detail);
            }
            return out;
        }
        let Some(g) = group else {
            out.step("import", false, format!("no user or group {object_id}"));
            return out;
        };
        out.step("import", true, format!("group {}", g.display_name));
        if !out.step(
            "check group size",
            g.members.len() <= MAX_GROUP_MEMBERS,
            format!(
                "{} members (at most {MAX_GROUP_MEMBERS} on demand)",
                g.members.len()
            ),
        ) {
            return out;
        }
        if !out.step(
            "determine if group is in scope",
            scope.group_in_scope(g),
            "assignment and group scoping filters",
        ) {
            return out;
        }
        let idx = tenant.user_index();
        let mut works = Vec::new();
        if let Some(w) = self.group_work(g, &scope) {
            works.push(w);
        }
        for m in &g.members {
            if let Some(&i) = idx.get(m.as_str())
                && let Some(w) = self.user_work(&tenant.users[i], &scope)
            {
                works.push(w);
            }
        }
        let mut all_ok = true;
        for w in works {
            let d = objects::process(&ctx, &w).await;
            all_ok &= d.failure.is_none() || matches!(w.intent, Intent::Skip(_));
            self.apply_done(d, number, now, &mut s);
        }
        out.step("match and provision group and members", all_ok, "");
        let members = self.plan_members_for(tenant, &scope, g);
        let mut ok = true;
        for m in members {
            let d = members::members(&ctx, &m).await;
            ok &= d.failure.is_none();
            self.apply_members(m, d, number, now, &mut s);
        }
        out.step("perform action", ok, "memberships");
        out
    }
}
