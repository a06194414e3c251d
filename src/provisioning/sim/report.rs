//! The simulation's outputs: what a run produced ([`SimulationReport`], one [`CycleSummary`]
//! per cycle or poll), the per-cycle table for the terminal, and the report folder (JSON, HTML,
//! and an SVG timeline of the cycles drawn with plotters).

use super::converge::Convergence;
use super::failures::{FailureGroup, attributes_line, explanation_line};
use super::options::Source;
use crate::provisioning::churn::ChurnStats;
use crate::provisioning::logs::graph::{JobContext, write_jsonl};
use crate::provisioning::logs::okta::ImportEvent;
use crate::provisioning::logs::{Action, LogRecord};
use crate::provisioning::requests::Compat;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// E-CY-03: the initial cycle against the published durations.
#[derive(Debug, Clone, Serialize)]
pub struct InitialCycleComparison {
    /// N = users + groups + memberships, as the initial cycle counted them: every user and
    /// group evaluated (skips included) and every membership sent.
    pub n: usize,
    pub published_min_minutes: f64,
    pub published_max_minutes: f64,
    pub simulated_minutes: f64,
    pub wall_seconds: f64,
    pub requests: u64,
    /// The pace asked for (`default`, `low`, `high`, `target` or a number) and its minutes
    /// per object.
    pub pace: String,
    pub minutes_per_object: f64,
    /// Simulated minutes from the start until the initial cycle's last user create
    /// succeeded: "when are all my users provisioned?".
    pub last_user_provisioned_minutes: Option<f64>,
}

/// `--watch USER`: when one user was created and when each change reached the target.
#[derive(Debug, Clone, Serialize)]
pub struct Watch {
    pub user: String,
    pub source_id: String,
    pub events: Vec<WatchEvent>,
}

/// One log record of the watched user.
#[derive(Debug, Clone, Serialize)]
pub struct WatchEvent {
    pub cycle: u32,
    pub at: DateTime<Utc>,
    /// Simulated minutes since the start.
    pub minutes: f64,
    pub action: String,
    pub result: String,
    pub reason: String,
}

/// `T+2d 03:20` (or `T+50:12`) for simulated minutes since the start.
pub fn since_start(minutes: f64) -> String {
    let m = minutes.max(0.0).round() as i64;
    let (d, h, mm) = (m / 1440, (m % 1440) / 60, m % 60);
    if d > 0 {
        format!("T+{d}d {h:02}:{mm:02}")
    } else {
        format!("T+{h:02}:{mm:02}")
    }
}

/// Everything a simulation produced.
#[derive(Debug, Clone, Serialize)]
pub struct SimulationReport {
    pub source: Source,
    pub target: String,
    pub embedded: bool,
    /// The run accepted any TLS certificate (`--insecure`).
    pub insecure: bool,
    pub seed: u64,
    pub compat: Compat,
    pub users: usize,
    pub groups: usize,
    pub memberships: usize,
    pub churn_rate: f64,
    pub cycles: Vec<CycleSummary>,
    pub churn: Vec<ChurnStats>,
    pub initial: Option<InitialCycleComparison>,
    pub convergence: Convergence,
    pub final_state: JobState,
    pub outbox: Vec<Email>,
    pub compliance_warnings: Vec<String>,
    pub log_records: usize,
    /// The failed log records grouped by cause, largest first.
    pub failure_groups: Vec<FailureGroup>,
    /// Every log record, written as `provisioning-logs.jsonl` (not part of this JSON).
    #[serde(skip)]
    pub logs: Vec<LogRecord>,
    pub wall_seconds: f64,
    pub settle_cycles_used: u32,
    /// The job's status in Graph's terms at the end (Entra only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_status: Option<super::sync_status::SyncStatus>,
    /// The user followed with `--watch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch: Option<Watch>,
    /// Okta's pushes, tasks and imports (Okta only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub okta: Option<OktaFigures>,
    /// User Sync behind the connector: rules, switch-on time, entitlements (ADC only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usersync: Option<UserSyncFigures>,
}

/// What User Sync did with what the connector pushed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UserSyncFigures {
    pub rules: usize,
    /// Users whose entitlements were recomputed from scratch and compared.
    pub users_checked: usize,
    /// Entitlements the recomputation expects in all.
    pub entitlements: usize,
    /// Entitlements applied when the switch went on, and how long until all were applied.
    pub initial_entitlements: usize,
    pub switch_on_ms: f64,
    pub entitlements_per_minute: f64,
    /// Per poll: from the end of the push until User Sync applied everything (median, max).
    pub poll_settle_p50_ms: f64,
    pub poll_settle_max_ms: f64,
}

/// Okta's provisioning: its pushes by System Log event type, how soon each reached the app,
/// 429 handling, the tasks left for an admin and the imports (Okta only).
#[derive(Debug, Clone, Default, Serialize)]
pub struct OktaFigures {
    /// `oin` or `custom`.
    pub app: String,
    pub import_every_minutes: i64,
    /// Successful pushes by Okta System Log event type.
    pub pushes: std::collections::BTreeMap<String, usize>,
    /// Simulated milliseconds from a change to its successful push (median, max).
    pub push_latency_p50_ms: u64,
    pub push_latency_max_ms: u64,
    /// Requests answered 429 and sent again after Okta's wait.
    pub retries_429: u64,
    /// Failed pushes still waiting in Dashboard > Tasks at the end.
    pub tasks_open: usize,
    /// Rounds in which the admin retried the open tasks.
    pub task_retry_rounds: u32,
    pub imports: Vec<ImportSummary>,
    /// Every request sent, by shape (ids and values masked).
    pub request_shapes: std::collections::BTreeMap<String, usize>,
}

/// What one import found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportSummary {
    pub at: DateTime<Utc>,
    pub pages: usize,
    pub users_read: usize,
    /// Active app users Okta did not push: an admin confirms or ignores each.
    pub unmatched: usize,
    /// Users Okta pushed and still has active that the import did not find.
    pub missing: usize,
    /// Active users Okta pushed whose `active` the app reports `false`: Okta does not pull
    /// them in (O-IMPORT-01).
    pub inactive_in_app: usize,
    /// What broke the import's contract, each once (a refused page, integers as strings,
    /// an unstable order).
    pub problems: Vec<String>,
    /// Why the import stopped short without breaking the contract (an outage, 429s past
    /// Okta's last attempt): the next one runs on schedule.
    pub failed: Option<String>,
    pub requests: u64,
    /// Simulated milliseconds spent waiting on 429s.
    pub waited_ms: u64,
}

impl SimulationReport {
    pub fn converged(&self) -> bool {
        self.convergence.converged()
    }
}

/// Where the job stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum JobState {
    /// Provisioning is on; cycles run on schedule.
    Active,
    /// Quarantined: cycles run on the stretched schedule (or wait for the admin).
    Quarantined,
    /// Stopped by the admin (the running cycle was allowed to finish).
    Stopped,
    /// Disabled after 28 days in quarantine.
    Disabled,
}

/// The figures of one cycle (a row of the cycle table).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CycleSummary {
    pub number: u32,
    pub initial: bool,
    pub sim_start: DateTime<Utc>,
    /// When the cycle ended on the simulated clock (`sim_start + sim_minutes`).
    pub sim_end: DateTime<Utc>,
    /// Simulated duration: the provider's pace for the objects processed, or the target's
    /// own time (wall time plus the `Retry-After` waits spread over the concurrent
    /// requests) when that is longer.
    pub sim_minutes: f64,
    /// What the pace counted: objects planned, membership values sent, manager references.
    pub objects: usize,
    pub wall_ms: u64,
    pub requests: u64,
    pub creates: usize,
    pub updates: usize,
    pub disables: usize,
    pub deletes: usize,
    pub member_patches: usize,
    /// Manager references set or cleared (the references phase).
    pub manager_updates: usize,
    pub skips: usize,
    pub failures: usize,
    /// Escrows pending after the cycle.
    pub escrows: usize,
    pub staged_deletions: usize,
    pub quarantine: Option<String>,
    /// Why the cycle ended early, if it did.
    pub aborted: Option<String>,
}

impl CycleSummary {
    /// Counts one object the cycle (or round) handled with success, in its action's column.
    pub fn count_success(&mut self, action: Action) {
        match action {
            Action::Create => self.creates += 1,
            Action::Update | Action::Reactivate => self.updates += 1,
            Action::Disable => self.disables += 1,
            Action::Delete => self.deletes += 1,
            Action::Members => self.member_patches += 1,
            Action::Manager => self.manager_updates += 1,
            Action::Skip => self.skips += 1,
        }
    }
}

/// One notification email (the outbox the tests read).
#[derive(Debug, Clone, Serialize)]
pub struct Email {
    pub to: String,
    pub at: DateTime<Utc>,
    pub subject: String,
    pub body: String,
}

/// The per-cycle table.
pub fn table(r: &SimulationReport) -> String {
    let mut out = String::new();
    if r.insecure {
        let _ = writeln!(out, "{}\n", crate::report::INSECURE_NOTE);
    }
    let okta = r.source == Source::Okta;
    if okta {
        okta_rounds(&mut out, r);
    } else {
        let _ = writeln!(
            out,
            "{:>5} {:>8} {:>8} {:>9} {:>8} {:>7} {:>7} {:>8} {:>7} {:>7} {:>8} {:>7} {:>8}  quarantine",
            "cycle",
            "start",
            "end",
            "wall ms",
            "creates",
            "updates",
            "disable",
            "deletes",
            "skips",
            "fails",
            "escrows",
            "members",
            "managers"
        );
        for c in &r.cycles {
            let _ = writeln!(
                out,
                "{:>5} {:>8} {:>8} {:>9} {:>8} {:>7} {:>7} {:>8} {:>7} {:>7} {:>8} {:>7} {:>8}  {}",
                format!("{}{}", c.number, if c.initial { "*" } else { "" }),
                c.sim_start.format("%d %H:%M"),
                c.sim_end.format("%d %H:%M"),
                c.wall_ms,
                c.creates,
                c.updates,
                c.disables,
                c.deletes,
                c.skips,
                c.failures,
                c.escrows,
                c.member_patches,
                c.manager_updates,
                c.quarantine.as_deref().unwrap_or("-"),
            );
        }
    }
    if let Some(u) = &r.usersync {
        let _ = writeln!(
            out,
            "User Sync: {} rules; switch on applied {} entitlements in {:.0} ms ({:.0} entitlements/min); \
             each poll applied within {:.0} ms (median), {:.0} ms (max)",
            u.rules,
            u.initial_entitlements,
            u.switch_on_ms,
            u.entitlements_per_minute,
            u.poll_settle_p50_ms,
            u.poll_settle_max_ms
        );
        let _ = writeln!(
            out,
            "entitlements recomputed from scratch for {} users ({} expected in all)",
            u.users_checked, u.entitlements
        );
    }
    let conv = &r.convergence;
    let _ = writeln!(
        out,
        "\n{} users, {} groups, {} memberships; {} {} ({} {}) in {:.1} s wall",
        r.users,
        r.groups,
        r.memberships,
        r.cycles.len(),
        if okta { "rounds" } else { "cycles" },
        r.settle_cycles_used,
        if okta {
            "of the admin's retries"
        } else {
            "settling"
        },
        r.wall_seconds
    );
    if let Some(i) = &r.initial {
        let _ = writeln!(
            out,
            "initial cycle: N = {}, published {:.0}-{:.0} min, here {:.0} simulated min at pace {} ({} min/object; {:.1} s wall, {} requests)",
            i.n,
            i.published_min_minutes,
            i.published_max_minutes,
            i.simulated_minutes,
            i.pace,
            i.minutes_per_object,
            i.wall_seconds,
            i.requests
        );
        if let Some(m) = i.last_user_provisioned_minutes {
            let _ = writeln!(
                out,
                "the last in-scope user was provisioned at simulated {} ({:.1} h)",
                since_start(m),
                m / 60.0
            );
        }
    }
    if let Some(w) = &r.watch {
        let _ = writeln!(out, "watch {} ({} records):", w.user, w.events.len());
        for e in &w.events {
            let _ = writeln!(
                out,
                "  {} cycle {} {} {}: {}",
                since_start(e.minutes),
                e.cycle,
                e.action,
                e.result,
                e.reason
            );
        }
    }
    if let Some(st) = &r.sync_status {
        let mut line = format!("job status (Graph): {}", st.code);
        if let Some(q) = &st.quarantine {
            line.push_str(&format!(
                ", {} since {}, last evaluated {}, next attempt {}",
                q.reason,
                q.series_began.format("%Y-%m-%d %H:%M"),
                q.current_began.format("%Y-%m-%d %H:%M"),
                q.next_attempt
                    .map_or("when the admin acts".to_string(), |t| t
                        .format("%Y-%m-%d %H:%M")
                        .to_string())
            ));
        }
        if let Some(e) = &st.last_execution {
            line.push_str(&format!(
                "; last execution {} ({} to {})",
                e.state,
                e.time_began.format("%Y-%m-%d %H:%M"),
                e.time_ended.format("%Y-%m-%d %H:%M")
            ));
        }
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(
        out,
        "convergence: {} ({} users, {} groups, {} memberships checked; {} divergences, {} {})",
        if r.converged() {
            "converged"
        } else {
            "DIVERGED"
        },
        conv.users_checked,
        conv.groups_checked,
        conv.memberships_checked,
        conv.divergence_count,
        conv.pending_escrows,
        if okta {
            "tasks open"
        } else {
            "escrows pending"
        }
    );
    for e in &conv.explained {
        let _ = writeln!(out, "  {}", explanation_line(e, &r.failure_groups));
    }
    if conv.unexplained > 0 && r.source != Source::Adc {
        let _ = writeln!(
            out,
            "  {} divergences ({}) no failure explains: the target answered success, or nothing was sent",
            conv.unexplained,
            attributes_line(&conv.unexplained_attributes)
        );
    }
    for d in conv.divergences.iter().take(10) {
        let _ = writeln!(
            out,
            "  {} {}: expected {}, got {}",
            d.object, d.attribute, d.expected, d.actual
        );
    }
    if !r.failure_groups.is_empty() {
        let failed: usize = r.failure_groups.iter().map(|g| g.count).sum();
        let _ = writeln!(
            out,
            "\nfailures by cause ({failed} failed records in {} group{}, largest first):",
            r.failure_groups.len(),
            if r.failure_groups.len() == 1 { "" } else { "s" }
        );
        for g in r.failure_groups.iter().take(10) {
            let _ = writeln!(out, "  {}", g.line());
        }
        if r.failure_groups.len() > 10 {
            let _ = writeln!(
                out,
                "  … {} more groups in the report",
                r.failure_groups.len() - 10
            );
        }
    }
    out
}

/// `3 ms`, or `6.3 s` from a second up.
pub fn millis_text(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// Okta's rounds, in its words: what each round pushed, then the pushes by System Log event
/// type, how soon they reached the app, the 429 waits, the tasks and the imports.
fn okta_rounds(out: &mut String, r: &SimulationReport) {
    let _ = writeln!(
        out,
        "{:>5} {:>8} {:>8} {:>9} {:>9} {:>8} {:>7} {:>8} {:>12} {:>7} {:>6}",
        "round",
        "start",
        "end",
        "wall ms",
        "new/group",
        "profile",
        "deact",
        "deletes",
        "memberships",
        "fails",
        "tasks"
    );
    for c in &r.cycles {
        let _ = writeln!(
            out,
            "{:>5} {:>8} {:>8} {:>9} {:>9} {:>8} {:>7} {:>8} {:>12} {:>7} {:>6}",
            format!("{}{}", c.number, if c.initial { "*" } else { "" }),
            c.sim_start.format("%d %H:%M"),
            c.sim_end.format("%d %H:%M:%S"),
            c.wall_ms,
            c.creates,
            c.updates,
            c.disables,
            c.deletes,
            c.member_patches,
            c.failures,
            c.escrows,
        );
    }
    let Some(o) = &r.okta else {
        return;
    };
    let _ = writeln!(
        out,
        "* round 0 is the app's assignments, pushed at once; each later round pushes what one round of churn changed, when it changed"
    );
    let _ = writeln!(
        out,
        "Okta ({} app), pushes by System Log event type:",
        o.app
    );
    for (event, n) in &o.pushes {
        let _ = writeln!(out, "  {n:>7}  {event}");
    }
    let _ = writeln!(
        out,
        "each change reached the target {} after it happened (median), {} at most; {} requests answered 429 were sent again after Okta's wait",
        millis_text(o.push_latency_p50_ms),
        millis_text(o.push_latency_max_ms),
        o.retries_429
    );
    if o.tasks_open > 0 || o.task_retry_rounds > 0 {
        let _ = writeln!(
            out,
            "the admin retried the open tasks in {} round{}; {} still wait in Dashboard > Tasks",
            o.task_retry_rounds,
            if o.task_retry_rounds == 1 { "" } else { "s" },
            o.tasks_open
        );
    }
    if o.import_every_minutes == 0 {
        let _ = writeln!(out, "imports: never scheduled");
    } else {
        let problems: usize = o.imports.iter().map(|i| i.problems.len()).sum();
        let failed = o.imports.iter().filter(|i| i.failed.is_some()).count();
        let last = o.imports.last();
        let _ = writeln!(
            out,
            "imports: {} (every {} min, {failed} failed on the way); the last read {} users in {} pages: {} unmatched, {} missing, {} inactive in the app; {} problems",
            o.imports.len(),
            o.import_every_minutes,
            last.map_or(0, |i| i.users_read),
            last.map_or(0, |i| i.pages),
            last.map_or(0, |i| i.unmatched),
            last.map_or(0, |i| i.missing),
            last.map_or(0, |i| i.inactive_in_app),
            problems
        );
    }
}

/// Whose logs these are, as Graph names the systems.
pub fn job_context(r: &SimulationReport) -> JobContext {
    let source = match r.source {
        Source::Entra => "Microsoft Entra ID",
        Source::Adc => "Active Directory",
        Source::Okta => "Okta",
    };
    JobContext::new(r.seed, source, &r.target)
}

/// Writes `simulation.json`, `provisioning-logs.jsonl` (Graph's `provisioningObjectSummary`
/// one per line; for Okta, its System Log `LogEvent`), `simulation.html` and `simulation-timeline.svg` into `dir`.
pub fn write(r: &SimulationReport, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let json = serde_json::to_string_pretty(r).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("simulation.json"), json).map_err(|e| e.to_string())?;
    let logs = dir.join("provisioning-logs.jsonl");
    let written = match &r.okta {
        Some(o) => {
            let imports: Vec<ImportEvent> = o
                .imports
                .iter()
                .map(|i| ImportEvent {
                    at: i.at,
                    ok: i.failed.is_none() && i.problems.is_empty(),
                    reason: i.failed.clone().unwrap_or_else(|| {
                        format!(
                            "{} users in {} pages; {} unmatched{}",
                            i.users_read,
                            i.pages,
                            i.unmatched,
                            i.problems
                                .first()
                                .map(|p| format!("; {p}"))
                                .unwrap_or_default()
                        )
                    }),
                })
                .collect();
            crate::provisioning::logs::okta::write_jsonl(&r.logs, &imports, &job_context(r), &logs)
        }
        None => write_jsonl(&r.logs, &job_context(r), &logs),
    };
    written.map_err(|e| format!("{}: {e}", logs.display()))?;
    let svg = dir.join("simulation-timeline.svg");
    super::html::timeline(r, &svg)?;
    std::fs::write(
        dir.join("simulation.html"),
        super::html::page(r, "simulation-timeline.svg"),
    )
    .map_err(|e| e.to_string())
}
