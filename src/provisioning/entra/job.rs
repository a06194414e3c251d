//! The provisioning job: a state machine on a simulated clock.
//!
//! Saving with provisioning on starts the *initial cycle* (E-CY-01): test connection, read
//! every user and group, match, create or update, then the references (memberships), then the
//! watermark. *Incremental cycles* follow every 40 simulated minutes (E-CY-02) and process only
//! what changed after the watermark, plus the escrows that are due. Failures become escrows,
//! credential and compliance failures quarantine at once, the escrow thresholds and failed
//! cycles quarantine too (E-Q-01), and quarantine stretches the schedule (E-Q-02). The
//! accidental-deletion guard stages mass disables and deletes (E-Q-03).
//!
//! Nothing here sleeps on simulated time: a cycle takes the wall time its requests take, and
//! the caller moves the [`SimClock`] to [`ProvisioningJob::next_run_at`].

use super::cycle::{self, Ctx, Done, MemberWork};
use super::quarantine::{Counters, Escrows, Policy, Quarantine, QuarantineReason};
use crate::client::ScimClient;
use crate::clock::{Clock, SimClock};
use crate::provisioning::exchange::{Failure, RetryPolicy, Sender};
use crate::provisioning::logs::{LogRecord, ObjectKind, Progress};
use crate::provisioning::mapping::{Mappings, UserView};
use crate::provisioning::requests::{self, Compat, DEFAULT_MEMBER_BATCH};
use crate::provisioning::scoping::{Scope, Scoping};
use crate::provisioning::sim::CYCLE_INTERVAL_MINUTES;
use crate::provisioning::sim::report::{CycleSummary, Email, JobState};
use crate::provisioning::tenant::{SourceGroup, SourceUser, Tenant};
use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Settings of a job.
#[derive(Debug, Clone)]
pub struct JobConfig {
    pub compat: Compat,
    pub mappings: Mappings,
    pub scoping: Scoping,
    /// Members per PATCH ([`DEFAULT_MEMBER_BATCH`]).
    pub member_batch: usize,
    /// Objects in flight at once within a cycle.
    pub concurrency: usize,
    pub retry: RetryPolicy,
    pub policy: Policy,
    /// Where notification emails go.
    pub notification_email: String,
}

impl Default for JobConfig {
    fn default() -> Self {
        JobConfig {
            compat: Compat::Default,
            mappings: Mappings::logmein_default(),
            scoping: Scoping::default(),
            member_batch: DEFAULT_MEMBER_BATCH,
            concurrency: 32,
            retry: RetryPolicy::default(),
            policy: Policy::default(),
            notification_email: "admin@contoso.example".into(),
        }
    }
}

/// The job.
#[derive(Debug)]
pub struct ProvisioningJob {
    pub client: ScimClient,
    pub clock: Arc<SimClock>,
    pub config: JobConfig,
    pub state: JobState,
    pub watermark: Option<DateTime<Utc>>,
    /// Source object id -> target id.
    pub user_links: HashMap<String, String>,
    pub group_links: HashMap<String, String>,
    /// What the job believes each provisioned group's members are (target user ids).
    pub group_members: HashMap<String, BTreeSet<String>>,
    /// Members whose last add or remove failed without a clear answer (a reset after the
    /// target applied it, say): re-sent either way until one succeeds.
    pub group_uncertain: HashMap<String, BTreeSet<String>>,
    /// What the job believes each provisioned user's manager is in the target (target ids;
    /// `None`: no manager). Absent: never seen, taken as none.
    pub user_managers: HashMap<String, Option<String>>,
    /// Users whose last manager request failed: resent whatever the belief says.
    pub manager_unsure: HashSet<String>,
    /// The wanted manager each refused manager request was for: not resent until the user
    /// changes or wants another manager (a refusal would only repeat).
    pub manager_refused: HashMap<String, Option<String>>,
    pub escrows: Escrows,
    pub quarantine: Option<Quarantine>,
    pub counters: Counters,
    pub failed_cycles_in_a_row: u32,
    /// Disables and deletes held by the accidental-deletion guard (user/group, source id).
    pub staged: Vec<(ObjectKind, String)>,
    pub(crate) allow_staged: bool,
    pub outbox: Vec<Email>,
    pub logs: Vec<LogRecord>,
    pub cycles: Vec<CycleSummary>,
    pub compliance_warnings: Vec<String>,
    pub progress: Arc<Progress>,
    pub(crate) last_start: Option<DateTime<Utc>>,
    pub(crate) stop_requested: bool,
}

/// The scope of every object for one cycle, computed once.
pub(crate) struct ScopeView<'a> {
    in_assigned_group: HashSet<&'a str>,
    scoping: &'a Scoping,
}

impl<'a> ScopeView<'a> {
    pub(crate) fn new(t: &'a Tenant, scoping: &'a Scoping) -> ScopeView<'a> {
        let in_assigned_group = t
            .groups
            .iter()
            .filter(|g| g.assigned && !g.hard_deleted)
            .flat_map(|g| g.members.iter().map(String::as_str))
            .collect();
        ScopeView {
            in_assigned_group,
            scoping,
        }
    }
    /// Assigned (or scope = all) and passing the scoping filters.
    pub(crate) fn user_in_scope(&self, u: &SourceUser) -> bool {
        if u.hard_deleted {
            return false;
        }
        let assigned = self.scoping.scope == Scope::All
            || u.assigned
            || self.in_assigned_group.contains(u.object_id.as_str());
        let view = UserView {
            user: u,
            is_soft_deleted: u.soft_deleted_at.is_some() || !u.account_enabled,
        };
        assigned && self.scoping.user_passes(&view)
    }
    /// In scope, not soft-deleted, enabled: the user should be active in the target.
    pub(crate) fn user_entitled(&self, u: &SourceUser) -> bool {
        self.user_in_scope(u) && u.soft_deleted_at.is_none() && u.account_enabled
    }
    pub(crate) fn group_in_scope(&self, g: &SourceGroup) -> bool {
        !g.hard_deleted
            && (self.scoping.scope == Scope::All || g.assigned)
            && self.scoping.group_passes(g)
    }
}

impl ProvisioningJob {
    /// A job that has not run yet.
    pub fn new(client: ScimClient, clock: Arc<SimClock>, config: JobConfig) -> ProvisioningJob {
        ProvisioningJob {
            client,
            clock,
            config,
            state: JobState::Active,
            watermark: None,
            user_links: HashMap::new(),
            group_links: HashMap::new(),
            group_members: HashMap::new(),
            group_uncertain: HashMap::new(),
            user_managers: HashMap::new(),
            manager_unsure: HashSet::new(),
            manager_refused: HashMap::new(),
            escrows: Escrows::default(),
            quarantine: None,
            counters: Counters::default(),
            failed_cycles_in_a_row: 0,
            staged: Vec::new(),
            allow_staged: false,
            outbox: Vec::new(),
            logs: Vec::new(),
            cycles: Vec::new(),
            compliance_warnings: Vec::new(),
            progress: Progress::new(),
            last_start: None,
            stop_requested: false,
        }
    }

    /// When the next cycle is due; `None` when none will run (stopped, disabled, or waiting
    /// for the admin to allow or reject staged deletions).
    pub fn next_run_at(&self) -> Option<DateTime<Utc>> {
        match self.state {
            JobState::Stopped | JobState::Disabled => None,
            JobState::Quarantined => match &self.quarantine {
                Some(q) if matches!(q.reason, QuarantineReason::AccidentalDeletions { .. }) => None,
                Some(q) => Some(q.next_attempt()),
                None => Some(self.clock.now()),
            },
            JobState::Active => Some(match self.last_start {
                None => self.clock.now(),
                Some(t) => t + Duration::minutes(CYCLE_INTERVAL_MINUTES),
            }),
        }
    }

    /// Stop between cycles: no further cycle starts.
    pub fn stop(&mut self) {
        self.stop_requested = true;
        if self.state != JobState::Disabled {
            self.state = JobState::Stopped;
        }
    }

    /// Restart: clears the watermark (the next cycle is a full one) and, if asked, the
    /// escrows and the quarantine state. Links to target objects are kept.
    pub fn restart(&mut self, clear_escrows: bool, clear_quarantine: bool) {
        self.watermark = None;
        self.stop_requested = false;
        if clear_escrows {
            self.escrows = Escrows::default();
        }
        if clear_quarantine {
            self.quarantine = None;
            self.counters = Counters::default();
            self.failed_cycles_in_a_row = 0;
        }
        self.state = if self.quarantine.is_some() {
            JobState::Quarantined
        } else {
            JobState::Active
        };
        self.last_start = None;
    }

    /// Changing the scoping clears the watermark: the next cycle is full (E-SC-02). Mappings
    /// are fixed when the job is built.
    pub fn set_scoping(&mut self, scoping: Scoping) {
        self.config.scoping = scoping;
        self.watermark = None;
    }

    /// E-Q-03: the admin allows the staged disables and deletes; they go out next cycle.
    pub fn allow_staged_deletions(&mut self) {
        self.allow_staged = true;
        self.lift_quarantine();
    }
    /// E-Q-03: the admin rejects them; they are dropped.
    pub fn reject_staged_deletions(&mut self) {
        self.staged.clear();
        self.lift_quarantine();
    }

    fn lift_quarantine(&mut self) {
        self.quarantine = None;
        self.counters = Counters::default();
        self.failed_cycles_in_a_row = 0;
        if self.state == JobState::Quarantined {
            self.state = JobState::Active;
        }
    }

    /// Enters quarantine (or changes its reason), with one email per entry or reason change.
    pub(crate) fn enter_quarantine(&mut self, reason: QuarantineReason, now: DateTime<Utc>) {
        let email = match &mut self.quarantine {
            Some(q) if q.reason.same_kind(&reason) => {
                q.reason = reason.clone();
                false
            }
            Some(q) => {
                q.reason = reason.clone();
                true
            }
            None => {
                self.quarantine = Some(Quarantine {
                    reason: reason.clone(),
                    since: now,
                    retries: 0,
                });
                true
            }
        };
        self.state = JobState::Quarantined;
        if email {
            self.outbox.push(Email {
                to: self.config.notification_email.clone(),
                at: now,
                subject: format!("Provisioning quarantined: {}", reason.label()),
                body: format!(
                    "The provisioning job is in quarantine ({reason:?}). Cycles now run 6 h, 12 h and 24 h after the first failure, then daily; after 28 days the job is disabled."
                ),
            });
        }
    }

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
            return self.finish(s, wall);
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
            return self.finish(s, wall);
        }
        let scoping = self.config.scoping.clone();
        let scope = ScopeView::new(tenant, &scoping);
        let work = self.plan_objects(tenant, &scope, number, start, &mut s);
        self.progress.start(number, work.len());
        let results: Vec<Done> = futures::stream::iter(work.iter())
            .map(|w| {
                let ctx = &ctx;
                let progress = self.progress.clone();
                async move {
                    let d = cycle::process(ctx, w).await;
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
            let done: Vec<(MemberWork, cycle::MembersDone)> = futures::stream::iter(members)
                .map(|m| {
                    let ctx = &ctx;
                    let progress = self.progress.clone();
                    async move {
                        let d = cycle::members(ctx, &m).await;
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
            let done: Vec<_> = futures::stream::iter(managers)
                .map(|m| {
                    let ctx = &ctx;
                    let progress = self.progress.clone();
                    async move {
                        let (status, failure) = cycle::manager(ctx, &m).await;
                        progress.tick();
                        (m, status, failure)
                    }
                })
                .buffered(self.config.concurrency.max(1))
                .collect()
                .await;
            for (m, status, failure) in done {
                if let Some(reason) = self.apply_manager(m, status, failure, number, start, &mut s)
                {
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
        self.finish(s, wall)
    }

    fn finish(&mut self, mut s: CycleSummary, wall: std::time::Instant) -> CycleSummary {
        s.wall_ms = wall.elapsed().as_millis() as u64;
        s.sim_minutes += s.wall_ms as f64 / 60_000.0;
        s.escrows = self.escrows.len();
        s.staged_deletions = self.staged.len();
        s.quarantine = self
            .quarantine
            .as_ref()
            .map(|q| q.reason.label().to_string());
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

    /// A cycle that could not start: credential and compliance failures quarantine at once;
    /// an unreachable or failing target makes a failed cycle.
    fn account_failure_cycle(&mut self, f: &Failure, start: DateTime<Utc>, s: &mut CycleSummary) {
        s.failures += 1;
        s.aborted = Some(f.reason());
        match f {
            Failure::Credentials(status) => self.enter_quarantine(
                QuarantineReason::CredentialFailure { status: *status },
                start,
            ),
            Failure::Compliance(detail) => self.enter_quarantine(
                QuarantineReason::ComplianceFailure {
                    detail: detail.clone(),
                },
                start,
            ),
            _ => {
                self.counters.events += 1;
                self.counters.failures += 1;
                self.failed_cycle(start);
            }
        }
    }

    fn failed_cycle(&mut self, start: DateTime<Utc>) {
        self.failed_cycles_in_a_row += 1;
        if self.failed_cycles_in_a_row >= self.config.policy.failed_cycles {
            let cycles = self.failed_cycles_in_a_row;
            self.enter_quarantine(QuarantineReason::ConsistentFailure { cycles }, start);
        }
    }

    fn end_of_cycle(&mut self, start: DateTime<Utc>, s: &mut CycleSummary) {
        let events = s.creates + s.updates + s.disables + s.deletes + s.member_patches;
        if s.failures > 0 && events == 0 {
            self.failed_cycle(start);
        } else {
            self.failed_cycles_in_a_row = 0;
        }
        if let Some(reason) = self.counters.verdict(&self.config.policy) {
            self.enter_quarantine(reason, start);
        } else if !self.staged.is_empty() && !self.allow_staged {
            // Stays quarantined for the admin.
        } else if self.failed_cycles_in_a_row == 0 && self.quarantine.is_some() {
            // A successful cycle lifts quarantine (E-Q-02).
            self.lift_quarantine();
        }
        self.watermark = Some(start);
    }
}
