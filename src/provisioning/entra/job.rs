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

use super::quarantine::{Counters, Escrows, Policy, Quarantine, QuarantineReason};
use crate::client::{ClientError, ScimClient};
use crate::clock::{Clock, SimClock};
use crate::provisioning::exchange::{Failure, RetryPolicy};
use crate::provisioning::logs::{LogRecord, ObjectKind, Progress};
use crate::provisioning::mapping::Mappings;
use crate::provisioning::requests::{Compat, DEFAULT_MEMBER_BATCH};
use crate::provisioning::scoping::Scoping;
use crate::provisioning::sim::CYCLE_INTERVAL_MINUTES;
use crate::provisioning::sim::check::{self, Expected};
use crate::provisioning::sim::converge::Convergence;
use crate::provisioning::sim::pace::Pace;
use crate::provisioning::sim::report::{CycleSummary, Email, JobState};
use crate::provisioning::tenant::Tenant;
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

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
    /// Simulated minutes per object (E-CY-03).
    pub pace: Pace,
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
            pace: Pace::default(),
        }
    }
}

/// The job.
#[derive(Debug)]
pub struct ProvisioningJob {
    pub(super) client: ScimClient,
    pub(super) clock: Arc<SimClock>,
    pub(super) config: JobConfig,
    pub(super) state: JobState,
    pub(super) watermark: Option<DateTime<Utc>>,
    /// Source object id -> target id.
    pub(super) user_links: HashMap<String, String>,
    pub(super) group_links: HashMap<String, String>,
    /// What the job believes each provisioned group's members are (target user ids).
    pub(super) group_members: HashMap<String, BTreeSet<String>>,
    /// Members whose last add or remove failed without a clear answer (a reset after the
    /// target applied it, say): re-sent either way until one succeeds.
    pub(super) group_uncertain: HashMap<String, BTreeSet<String>>,
    /// What the job believes each provisioned user's manager is in the target (target ids;
    /// `None`: no manager). Absent: never seen, taken as none.
    pub(super) user_managers: HashMap<String, Option<String>>,
    /// Users whose last manager request failed: resent whatever the belief says.
    pub(super) manager_unsure: HashSet<String>,
    /// The wanted manager each refused manager request was for: not resent until the user
    /// changes or wants another manager (a refusal would only repeat).
    pub(super) manager_refused: HashMap<String, Option<String>>,
    pub(super) escrows: Escrows,
    pub(super) quarantine: Option<Quarantine>,
    pub(super) counters: Counters,
    pub(super) failed_cycles_in_a_row: u32,
    /// Disables and deletes held by the accidental-deletion guard (user/group, source id).
    pub(super) staged: Vec<(ObjectKind, String)>,
    pub(super) allow_staged: bool,
    pub(super) outbox: Vec<Email>,
    pub(super) logs: Vec<LogRecord>,
    pub(super) cycles: Vec<CycleSummary>,
    pub(super) compliance_warnings: Vec<String>,
    pub(super) progress: Arc<Progress>,
    pub(super) last_start: Option<DateTime<Utc>>,
    /// When the last cycle ended on the simulated clock; the next starts 40 minutes later.
    pub(super) last_end: Option<DateTime<Utc>>,
    pub(super) stop_requested: bool,
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
            last_end: None,
            stop_requested: false,
        }
    }

    pub fn client(&self) -> &ScimClient {
        &self.client
    }
    pub fn config(&self) -> &JobConfig {
        &self.config
    }
    /// The convergence check of the target against what this job believes and maps.
    pub async fn check(&self, tenant: &Tenant) -> Result<Convergence, ClientError> {
        let expected = Expected {
            user_links: &self.user_links,
            group_links: &self.group_links,
            mappings: &self.config.mappings,
            scoping: &self.config.scoping,
            pending: self.escrows.len(),
            deletes_users: true,
        };
        check::check(&self.client, tenant, &expected).await
    }
    pub fn state(&self) -> &JobState {
        &self.state
    }
    pub fn quarantine(&self) -> Option<&Quarantine> {
        self.quarantine.as_ref()
    }
    /// Source object id -> target id, of users and of groups.
    pub fn user_links(&self) -> &HashMap<String, String> {
        &self.user_links
    }
    pub fn group_links(&self) -> &HashMap<String, String> {
        &self.group_links
    }
    pub fn escrows(&self) -> &Escrows {
        &self.escrows
    }
    /// Disables and deletes the accidental-deletion guard holds.
    pub fn staged(&self) -> &[(ObjectKind, String)] {
        &self.staged
    }
    pub fn outbox(&self) -> &[Email] {
        &self.outbox
    }
    pub fn logs(&self) -> &[LogRecord] {
        &self.logs
    }
    /// Hands the log records over (at the end of a run).
    pub fn take_logs(&mut self) -> Vec<LogRecord> {
        std::mem::take(&mut self.logs)
    }
    pub fn cycles(&self) -> &[CycleSummary] {
        &self.cycles
    }
    pub fn compliance_warnings(&self) -> &[String] {
        &self.compliance_warnings
    }

    /// Sets the provider's pace (E-CY-03).
    pub fn set_pace(&mut self, pace: crate::provisioning::sim::pace::Pace) {
        self.config.pace = pace;
    }

    /// Shares the running cycle's progress figure with a progress bar.
    pub fn report_progress_to(&mut self, progress: Arc<Progress>) {
        self.progress = progress;
    }
    /// Adds the `manager` reference mapping (set in the references phase).
    pub fn map_manager(&mut self) {
        self.config.mappings = self.config.mappings.clone().with_manager();
    }
    /// Sends the request shapes of `compat` from the next request on.
    pub fn set_compat(&mut self, compat: Compat) {
        self.config.compat = compat;
    }
    /// E-Q-03: more disables and deletes than this in one cycle are staged.
    pub fn set_deletion_threshold(&mut self, n: usize) {
        self.config.policy.deletion_threshold = n;
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
            JobState::Active => Some(match self.last_end.or(self.last_start) {
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
        self.last_end = None;
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
            Some(q) => {
                let changed = !q.reason.same_kind(&reason);
                q.reason = reason.clone();
                q.current = now;
                changed
            }
            None => {
                self.quarantine = Some(Quarantine {
                    reason: reason.clone(),
                    since: now,
                    current: now,
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

    /// A cycle that could not start: credential and compliance failures quarantine at once;
    /// an unreachable or failing target makes a failed cycle.
    pub(super) fn account_failure_cycle(
        &mut self,
        f: &Failure,
        start: DateTime<Utc>,
        s: &mut CycleSummary,
    ) {
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

    pub(super) fn end_of_cycle(&mut self, start: DateTime<Utc>, s: &mut CycleSummary) {
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
