//! The simulation's outputs: what a run produced ([`SimulationReport`], one [`CycleSummary`]
//! per cycle or poll), the per-cycle table for the terminal, and the report folder (JSON, HTML,
//! and an SVG timeline of the cycles drawn with plotters).

use super::converge::Convergence;
use super::options::Source;
use crate::provisioning::churn::ChurnStats;
use crate::provisioning::requests::Compat;
use crate::report::html::escape;
use crate::report::page::Page;
use chrono::{DateTime, Utc};
use plotters::prelude::*;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// E-CY-03: the initial cycle against the published durations.
#[derive(Debug, Clone, Serialize)]
pub struct InitialCycleComparison {
    /// N = users + groups + memberships in scope.
    pub n: usize,
    pub published_min_minutes: f64,
    pub published_max_minutes: f64,
    pub simulated_minutes: f64,
    pub wall_seconds: f64,
    pub requests: u64,
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
    pub wall_seconds: f64,
    pub settle_cycles_used: u32,
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
    /// Simulated duration: wall time plus the `Retry-After` waits (spread over the
    /// concurrent requests).
    pub sim_minutes: f64,
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
    let _ = writeln!(
        out,
        "{:>5} {:>8} {:>9} {:>8} {:>7} {:>7} {:>8} {:>7} {:>7} {:>8} {:>7} {:>8}  quarantine",
        "cycle",
        "sim",
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
            "{:>5} {:>8} {:>9} {:>8} {:>7} {:>7} {:>8} {:>7} {:>7} {:>8} {:>7} {:>8}  {}",
            format!("{}{}", c.number, if c.initial { "*" } else { "" }),
            c.sim_start.format("%d %H:%M"),
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
        "\n{} users, {} groups, {} memberships; {} cycles ({} settling) in {:.1} s wall",
        r.users,
        r.groups,
        r.memberships,
        r.cycles.len(),
        r.settle_cycles_used,
        r.wall_seconds
    );
    if let Some(i) = &r.initial {
        let _ = writeln!(
            out,
            "initial cycle: N = {}, published {:.0}-{:.0} min, here {:.2} simulated min ({:.1} s wall, {} requests)",
            i.n,
            i.published_min_minutes,
            i.published_max_minutes,
            i.simulated_minutes,
            i.wall_seconds,
            i.requests
        );
    }
    let _ = writeln!(
        out,
        "convergence: {} ({} users, {} groups, {} memberships checked; {} divergences, {} escrows pending)",
        if r.converged() {
            "converged"
        } else {
            "DIVERGED"
        },
        conv.users_checked,
        conv.groups_checked,
        conv.memberships_checked,
        conv.divergence_count,
        conv.pending_escrows
    );
    for d in conv.divergences.iter().take(10) {
        let _ = writeln!(
            out,
            "  {} {}: expected {}, got {}",
            d.object, d.attribute, d.expected, d.actual
        );
    }
    out
}

/// Writes `simulation.json`, `simulation.html` and `simulation-timeline.svg` into `dir`.
pub fn write(r: &SimulationReport, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let json = serde_json::to_string_pretty(r).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("simulation.json"), json).map_err(|e| e.to_string())?;
    let svg = dir.join("simulation-timeline.svg");
    timeline(r, &svg)?;
    let mut page = Page::new(
        "scim-harness simulate",
        match r.source {
            Source::Entra => "Provisioning simulation: Microsoft Entra ID",
            Source::Adc => "Provisioning simulation: Active Directory Connector v2",
        },
    );
    if r.insecure {
        page.html(&crate::report::insecure_banner());
    }
    page.html(&format!(
        "<p>Target: {}. Seed {}. {} users, {} groups, {} memberships, churn {:.2} % per cycle.</p>\
         <p><b>{}</b></p><img src=simulation-timeline.svg alt=\"objects changed per cycle\"><pre>{}</pre>",
        escape(&r.target),
        r.seed,
        r.users,
        r.groups,
        r.memberships,
        r.churn_rate * 100.0,
        if r.converged() {
            "Converged"
        } else {
            "Diverged"
        },
        escape(&table(r))
    ));
    std::fs::write(dir.join("simulation.html"), page.finish()).map_err(|e| e.to_string())
}

/// Objects changed per cycle against simulated hours; quarantined cycles in red.
fn timeline(r: &SimulationReport, path: &Path) -> Result<(), String> {
    let root = SVGBackend::new(path, (900, 400)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let start = r.cycles.first().map(|c| c.sim_start);
    let hours =
        |c: &CycleSummary| start.map_or(0.0, |s| (c.sim_start - s).num_minutes() as f64 / 60.0);
    let work = |c: &CycleSummary| {
        (c.creates
            + c.updates
            + c.disables
            + c.deletes
            + c.member_patches
            + c.manager_updates
            + c.failures) as f64
    };
    let max_h = r.cycles.iter().map(hours).fold(1.0, f64::max) + 1.0;
    let max_w = r.cycles.iter().map(work).fold(1.0, f64::max).max(1.0);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            match r.source {
                Source::Entra => "Provisioning cycles (Microsoft Entra ID)",
                Source::Adc => "Connector polls (Active Directory Connector v2)",
            },
            ("sans-serif", 20),
        )
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..max_h, 0.0..(max_w.ln_1p() * 1.1))
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("simulated hours")
        .y_desc("ln(1 + objects changed)")
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(r.cycles.iter().map(|c| {
            let x = hours(c);
            let color = if c.quarantine.is_some() {
                RED
            } else if c.initial {
                BLUE
            } else {
                GREEN
            };
            Rectangle::new([(x, 0.0), (x + 0.4, work(c).ln_1p())], color.filled())
        }))
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}
