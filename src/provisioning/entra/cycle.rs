//! One cycle of the job: test connection, then the objects, members and managers phases in
//! turn ([`super::objects`], [`super::members`], [`super::managers`]), each run concurrently
//! and applied in order, then the end-of-cycle bookkeeping in the job.

use super::job::ProvisioningJob;
use super::members::{MemberWork, MembersDone};
use super::objects::Done;
use super::quarantine::Counters;
use super::{managers, members, objects};
use crate::clock::Clock;
use crate::provisioning::exchange::{Failure, Sender, Sent};
use crate::provisioning::requests::{self, Compat};
use crate::provisioning::scoping::ScopeView;
use crate::provisioning::sim::CycleSummary;
use crate::provisioning::sim::report::{Email, JobState};
use crate::provisioning::tenant::Tenant;
use futures::StreamExt;
use parking_lot::Mutex;
use std::sync::atomic::Ordering;

/// Read-only context of a cycle.
#[derive(Debug)]
pub struct Ctx<'a> {
    pub sender: &'a Sender<'a>,
    pub compat: Compat,
    pub member_batch: usize,
    /// Protocol deviations seen (e.g. members returned despite `excludedAttributes`).
    pub compliance: Mutex<Vec<String>>,
}

pub(super) fn is_success(sent: &Sent, ok: &[u16]) -> bool {
    matches!(sent, Sent::Answer(r) if ok.contains(&r.status))
}

impl ProvisioningJob {
    /// Runs the next cycle if it is due at the clock's current time. Returns its summary.
    pub async fn tick(&mut self, tenant: &Tenant) -> Option<CycleSummary> {
        let due = self.next_run_at()?;
        if due > self.clock.now() {
            return None;
        }
        Some(self.run_cycle(tenant).await)
    }

    /// Runs one cycle now (initial when there is no watermark, else incremental).
    pub async fn run_cycle(&mut self, tenant: &Tenant) -> CycleSummary {
        let start = self.clock.now();
        let wall = std::time::Instant::now();
        let first_log = self.logs.len();
        let number = self.cycles.len() as u32 + 1;
        let initial = self.watermark.is_none();
        let mut s = CycleSummary {
            number,
            initial,
            sim_start: start,
            ..Default::default()
        };
        if let Some(q) = &self.quarantine
            && start - q.since >= self.config.policy.disable_after
        {
            self.state = JobState::Disabled;
            s.aborted = Some("disabled after 28 days in quarantine".into());
            self.outbox.push(Email {
                to: self.config.notification_email.clone(),
                at: start,
                subject: "Provisioning disabled".into(),
                body: "The job stayed in quarantine for 28 days and has been disabled.".into(),
            });
            return self.finish(s, wall, first_log, 0);
        }
        if let Some(q) = &mut self.quarantine {
            // A retry under quarantine is judged on its own figures.
            q.retries += 1;
            self.counters = Counters::default();
        }
        self.last_start = Some(start);
        let retry = self.config.retry.clone();
        let client = self.client.clone();
        let sender = Sender::new(&client, &retry);
        let ctx = Ctx {
            sender: &sender,
            compat: self.config.compat,
            member_batch: self.config.member_batch,
            compliance: Default::default(),
        };
        // Test connection (E-TC-01).
        if let Err(f) = self.test_connection(&ctx).await {
            self.account_failure_cycle(&f, start, &mut s);
            s.requests = sender.requests.load(Ordering::Relaxed);
            return self.finish(s, wall, first_log, 0);
        }
        let scoping = self.config.scoping.clone();
        let scope = ScopeView::new(tenant, &scoping);
        let work = self.plan_objects(tenant, &scope, number, start, &mut s);
        self.progress.start(number, work.len());
        // What the provider's pace counts: objects, membership values, manager references.
        let mut objects = work.len();
        let results: Vec<Done> = futures::stream::iter(work.iter())
            .map(|w| {
                let ctx = &ctx;
                let progress = self.progress.clone();
                async move {
                    let d = objects::process(ctx, w).await;
                    progress.tick();
                    d
                }
            })
            .buffered(self.config.concurrency.max(1))
            .collect()
            .await;
        let mut abort = None;
        for d in results {
            if let Some(reason) = self.apply_done(d, number, start, &mut s) {
                abort.get_or_insert(reason);
            }
        }
        if abort.is_none() {
            let members = self.plan_members(tenant, &scope, &work, number);
            self.progress.add_total(members.len());
            objects += members
                .iter()
                .map(|m| m.add.len() + m.remove.len())
                .sum::<usize>();
            let done: Vec<(MemberWork, MembersDone)> = futures::stream::iter(members)
                .map(|m| {
                    let ctx = &ctx;
                    let progress = self.progress.clone();
                    async move {
                        let d = members::members(ctx, &m).await;
                        progress.tick();
                        (m, d)
                    }
                })
                .buffered(self.config.concurrency.max(1))
                .collect()
                .await;
            for (m, d) in done {
                if let Some(reason) = self.apply_members(m, d, number, start, &mut s) {
                    abort.get_or_insert(reason);
                }
            }
        }
        if abort.is_none() {
            let managers = self.plan_managers(tenant, &scope, number);
            self.progress.add_total(managers.len());
            objects += managers.len();
            let done: Vec<_> = futures::stream::iter(managers)
                .map(|m| {
                    let ctx = &ctx;
                    let progress = self.progress.clone();
                    async move {
                        let done = managers::manager(ctx, &m).await;
                        progress.tick();
                        (m, done)
                    }
                })
                .buffered(self.config.concurrency.max(1))
                .collect()
                .await;
            for (m, done) in done {
                if let Some(reason) = self.apply_manager(m, done, number, start, &mut s) {
                    abort.get_or_insert(reason);
                }
            }
        }
        self.compliance_warnings
            .extend(std::mem::take(&mut *ctx.compliance.lock()));
        s.requests = sender.requests.load(Ordering::Relaxed);
        let waited = sender.waited_ms.load(Ordering::Relaxed) as f64;
        s.sim_minutes = waited / self.config.concurrency.max(1) as f64 / 60_000.0;
        if let Some(reason) = abort {
            s.aborted = Some(reason.label().to_string());
            self.enter_quarantine(reason, start);
        } else {
            self.end_of_cycle(start, &mut s);
        }
        self.finish(s, wall, first_log, objects)
    }

    /// Closes the cycle on the simulated clock: it takes the provider's pace for `objects`,
    /// or the target's own time (`Retry-After` waits included) when that is longer. The
    /// cycle's records are spread over its span, and the clock moves to its end.
    fn finish(
        &mut self,
        mut s: CycleSummary,
        wall: std::time::Instant,
        first_log: usize,
        objects: usize,
    ) -> CycleSummary {
        s.wall_ms = wall.elapsed().as_millis() as u64;
        s.objects = objects;
        let target = s.sim_minutes + s.wall_ms as f64 / 60_000.0;
        s.sim_minutes = target.max(self.config.pace.minutes(objects, s.initial));
        let span = chrono::Duration::milliseconds((s.sim_minutes * 60_000.0).round() as i64);
        s.sim_end = s.sim_start + span;
        let from = first_log.min(self.logs.len());
        let records = &mut self.logs[from..];
        let n = records.len() as i64;
        for (k, r) in records.iter_mut().enumerate() {
            r.at = s.sim_start + span * (k as i32 + 1) / n.max(1) as i32;
        }
        self.clock.advance_to(s.sim_end);
        self.last_end = Some(s.sim_end);
        s.escrows = self.escrows.len();
        s.staged_deletions = self.staged.len();
        s.quarantine = self
            .quarantine
            .as_ref()
            .map(|q| q.reason.code().to_string());
        if self.stop_requested && self.state != JobState::Disabled {
            self.state = JobState::Stopped;
        }
        self.cycles.push(s.clone());
        s
    }

    async fn test_connection(&mut self, ctx: &Ctx<'_>) -> Result<(), Failure> {
        let name = uuid::Uuid::new_v4().to_string();
        let req = requests::test_connection(&name);
        let sent = ctx.sender.send(&req).await;
        use crate::provisioning::exchange::Sent;
        match &sent {
            Sent::Answer(r) if r.status == 200 => {
                let empty = r.body.get("totalResults").and_then(|v| v.as_u64()) == Some(0);
                let list = r
                    .body
                    .get("schemas")
                    .and_then(|s| s.as_array())
                    .is_some_and(|a| {
                        a.iter()
                            .any(|s| s.as_str() == Some(crate::scim::schema::LIST_RESPONSE))
                    });
                if empty && list {
                    Ok(())
                } else {
                    Err(Failure::Compliance(
                        "test connection: a query for a user that cannot exist must answer 200 with an empty ListResponse".into(),
                    ))
                }
            }
            Sent::Answer(r) if r.status == 404 => Err(Failure::Compliance(
                "test connection: 404 on a filter query (expected 200 with an empty ListResponse)"
                    .into(),
            )),
            _ => Err(crate::provisioning::exchange::classify(&sent)),
        }
    }
}
