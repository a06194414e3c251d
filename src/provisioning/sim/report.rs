//! The simulation's outputs: the per-cycle table for the terminal, and the report folder
//! (JSON, HTML, and an SVG timeline of the cycles drawn with plotters).

use super::SimulationReport;
use plotters::prelude::*;
use std::fmt::Write as _;
use std::path::Path;

/// The per-cycle table.
pub fn table(r: &SimulationReport) -> String {
    let mut out = String::new();
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

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Writes `simulation.json`, `simulation.html` and `simulation-timeline.svg` into `dir`.
pub fn write(r: &SimulationReport, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let json = serde_json::to_string_pretty(r).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("simulation.json"), json).map_err(|e| e.to_string())?;
    let svg = dir.join("simulation-timeline.svg");
    timeline(r, &svg)?;
    let mut html = String::from(
        "<!doctype html><meta charset=utf-8><title>scim-harness simulate</title>\
         <style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:right}</style>\
         <h1>",
    );
    html.push_str(match r.source {
        super::Source::Entra => "Provisioning simulation: Microsoft Entra ID",
        super::Source::Adc => "Provisioning simulation: Active Directory Connector v2",
    });
    html.push_str("</h1>");
    let _ = write!(
        html,
        "<p>Target: {}. Seed {}. {} users, {} groups, {} memberships, churn {:.2} % per cycle.</p>\
         <p><b>{}</b></p><img src=simulation-timeline.svg><pre>{}</pre>",
        esc(&r.target),
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
        esc(&table(r))
    );
    std::fs::write(dir.join("simulation.html"), html).map_err(|e| e.to_string())
}

/// Objects changed per cycle against simulated hours; quarantined cycles in red.
fn timeline(r: &SimulationReport, path: &Path) -> Result<(), String> {
    let root = SVGBackend::new(path, (900, 400)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let start = r.cycles.first().map(|c| c.sim_start);
    let hours = |c: &crate::provisioning::entra::job::CycleSummary| {
        start.map_or(0.0, |s| (c.sim_start - s).num_minutes() as f64 / 60.0)
    };
    let work = |c: &crate::provisioning::entra::job::CycleSummary| {
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
                super::Source::Entra => "Provisioning cycles (Microsoft Entra ID)",
                super::Source::Adc => "Connector polls (Active Directory Connector v2)",
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
