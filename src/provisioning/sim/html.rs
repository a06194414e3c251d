//! The simulation's HTML page, for a product owner: the verdict and its explanations, the
//! timeline in simulated hours (cycles, quarantine and failures marked; drawn with plotters),
//! the per-cycle table, the failure groups each opening onto its log records, and a
//! filterable table of the provisioning logs, like the Entra portal's provisioning-logs blade.

use super::failures::{attributes_line, explanation_line};
use super::options::Source;
use super::report::{CycleSummary, OktaFigures, SimulationReport, millis_text, since_start};
use crate::provisioning::logs::graph::{error_code, provisioning_action};
use crate::provisioning::logs::{LogRecord, Outcome};
use crate::report::html::escape;
use crate::report::page::{Page, Table};
use plotters::prelude::*;
use std::fmt::Write as _;
use std::path::Path;

/// The most log rows the page holds (failures first); the JSON Lines file has them all.
const LOG_ROWS: usize = 5_000;

/// The filters of the log table: plain JS over the rows' data attributes.
const FILTER_JS: &str = "
function filterLogs(){
  const v=id=>document.getElementById(id).value.toLowerCase();
  const s=v('f-status'),a=v('f-action'),c=v('f-cycle'),t=v('f-text');
  let shown=0;
  for(const r of document.querySelectorAll('#logs tbody tr')){
    const ok=(!s||r.dataset.status===s)&&(!a||r.dataset.action===a)&&(!c||r.dataset.cycle===c)
      &&(!t||r.textContent.toLowerCase().includes(t));
    r.hidden=!ok; if(ok)shown++;
  }
  document.getElementById('f-count').textContent=shown+' shown';
}
function showGroup(n){
  for(const id of ['f-status','f-action','f-cycle'])document.getElementById(id).value='';
  document.getElementById('f-text').value='';
  for(const r of document.querySelectorAll('#logs tbody tr')){
    r.hidden=!(r.dataset.groups||'').split(' ').includes(String(n));
  }
  document.getElementById('f-count').textContent='group '+(n+1);
  document.getElementById('logs').scrollIntoView();
}
";

const STYLE: &str = "<style>
.banner{padding:10px 14px;border-radius:4px;margin:12px 0;font-weight:bold}
.banner.ok{background:#e3f4e7;color:#176f2c}.banner.bad{background:#fbe4e7;color:#b00020}
details{background:#fff;border:1px solid #dde1e7;margin:6px 0;padding:6px 10px}
summary{cursor:pointer}
.filters{margin:8px 0}.filters *{margin-right:8px;font-size:13px}
#logs td{font-size:12px}
</style>";

/// The page.
pub fn page(r: &SimulationReport, svg_name: &str) -> String {
    let mut page = Page::new(
        "scim-harness simulate",
        match r.source {
            Source::Entra => "Provisioning simulation: Microsoft Entra ID",
            Source::Adc => "Provisioning simulation: Active Directory Connector v2",
            Source::Okta => "Provisioning simulation: Okta",
        },
    );
    page.html(STYLE);
    if r.insecure {
        page.html(&crate::report::insecure_banner());
    }
    page.html(&format!(
        "<p>Target: {}. Seed {}. {} users, {} groups, {} memberships, churn {:.2} % per {}; \
         {} {} in {:.1} s wall.</p>",
        escape(&r.target),
        r.seed,
        r.users,
        r.groups,
        r.memberships,
        r.churn_rate * 100.0,
        if r.source == Source::Okta {
            "40 minutes"
        } else {
            "cycle"
        },
        r.cycles.len(),
        if r.source == Source::Okta {
            "rounds of pushes"
        } else {
            "cycles"
        },
        r.wall_seconds
    ));
    verdict(&mut page, r);
    if let Some(i) = &r.initial {
        let last = i
            .last_user_provisioned_minutes
            .map(|m| {
                format!(
                    " The last in-scope user was provisioned at simulated {}.",
                    since_start(m)
                )
            })
            .unwrap_or_default();
        page.html(&format!(
            "<p>Initial cycle: N = {} objects, {:.0} simulated minutes at pace {} ({} min/object); \
             Microsoft publishes {:.0} to {:.0} minutes for this N.{}</p>",
            i.n,
            i.simulated_minutes,
            escape(&i.pace),
            i.minutes_per_object,
            i.published_min_minutes,
            i.published_max_minutes,
            escape(&last)
        ));
    }
    page.section("Timeline");
    page.html(&format!(
        "<img src=\"{svg_name}\" alt=\"cycles on the simulated clock: start to end, objects processed, failures\">"
    ));
    match &r.okta {
        Some(o) => {
            okta(&mut page, o);
            page.section("Rounds of pushes");
            page.table(&okta_rounds(&r.cycles));
        }
        None => {
            page.section("Cycles");
            page.table(&cycle_table(&r.cycles));
        }
    }
    page.section("Failures by cause");
    page.html(&groups(r));
    page.section("Provisioning logs");
    page.html(&log_table(&r.logs, r));
    page.html(&format!("<script>{FILTER_JS}</script>"));
    page.finish()
}

fn verdict(page: &mut Page, r: &SimulationReport) {
    let c = &r.convergence;
    let (class, text) = if r.converged() {
        (
            "ok",
            "Converged: the target holds what the directory says.".to_string(),
        )
    } else {
        (
            "bad",
            format!(
                "Diverged: {} divergences, {} {}.",
                c.divergence_count,
                c.pending_escrows,
                if r.source == Source::Okta {
                    "tasks open in Dashboard > Tasks"
                } else {
                    "escrows pending"
                }
            ),
        )
    };
    page.html(&format!(
        "<div class=\"banner {class}\">{}</div>",
        escape(&text)
    ));
    if r.converged() {
        return;
    }
    let mut list = String::from("<ul>");
    for e in &c.explained {
        let _ = write!(
            list,
            "<li>{} <a href=\"#logs\" onclick=\"showGroup({});return false\">records</a></li>",
            escape(&explanation_line(e, &r.failure_groups)),
            e.group
        );
    }
    if c.unexplained > 0 {
        let _ = write!(
            list,
            "<li class=\"fail\">{} divergences ({}) no failure explains: the target answered success, or nothing was sent.</li>",
            c.unexplained,
            escape(&attributes_line(&c.unexplained_attributes))
        );
    }
    list.push_str("</ul>");
    page.html(&list);
    let mut t = Table::new(&["object", "attribute", "expected", "got"]).wide();
    for d in &c.divergences {
        t.row([
            d.object.as_str(),
            d.attribute.as_str(),
            d.expected.as_str(),
            d.actual.as_str(),
        ]);
    }
    page.html(&format!(
        "<details><summary>The first {} divergences</summary>",
        c.divergences.len()
    ));
    page.table(&t);
    page.html("</details>");
}

fn cycle_table(cycles: &[CycleSummary]) -> Table {
    let mut t = Table::new(&[
        "cycle",
        "start",
        "end",
        "minutes",
        "objects",
        "creates",
        "updates",
        "disables",
        "deletes",
        "members",
        "managers",
        "skips",
        "failures",
        "escrows",
        "quarantine",
    ])
    .numeric();
    for c in cycles {
        t.row([
            format!("{}{}", c.number, if c.initial { " (initial)" } else { "" }),
            c.sim_start.format("%Y-%m-%d %H:%M").to_string(),
            c.sim_end.format("%Y-%m-%d %H:%M").to_string(),
            format!("{:.1}", c.sim_minutes),
            c.objects.to_string(),
            c.creates.to_string(),
            c.updates.to_string(),
            c.disables.to_string(),
            c.deletes.to_string(),
            c.member_patches.to_string(),
            c.manager_updates.to_string(),
            c.skips.to_string(),
            c.failures.to_string(),
            c.escrows.to_string(),
            c.quarantine.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    t
}

/// Okta's figures: pushes by System Log event type, their latency, 429s, tasks, imports.
fn okta(page: &mut Page, o: &OktaFigures) {
    page.section("Okta's pushes");
    page.html(&format!(
        "<p>An {} app. Each change reached the target {} after it happened (median), {} \
         at most. {} requests answered 429 were sent again after Okta's wait. The admin retried \
         the open tasks in {} rounds; {} still wait in Dashboard &gt; Tasks.</p>",
        if o.app == "custom" {
            "app made with the App Integration Wizard (custom)"
        } else {
            "Okta Integration Network (OIN)"
        },
        millis_text(o.push_latency_p50_ms),
        millis_text(o.push_latency_max_ms),
        o.retries_429,
        o.task_retry_rounds,
        o.tasks_open
    ));
    let mut t = Table::new(&["System Log event type", "successful pushes"]).numeric();
    for (event, n) in &o.pushes {
        t.row([event.clone(), n.to_string()]);
    }
    page.table(&t);
    let mut t = Table::new(&["request shape", "sent"]).numeric();
    for (shape, n) in &o.request_shapes {
        t.row([shape.clone(), n.to_string()]);
    }
    page.html("<details><summary>Every request sent, by shape</summary>");
    page.table(&t);
    page.html("</details>");
    page.section("Imports");
    if o.import_every_minutes == 0 {
        page.html("<p>Imports were never scheduled.</p>");
        return;
    }
    page.html(&format!(
        "<p>Every {} simulated minutes, 100 users a page.</p>",
        o.import_every_minutes
    ));
    let mut t = Table::new(&[
        "at",
        "pages",
        "users read",
        "unmatched",
        "missing",
        "inactive in the app",
        "problems",
    ])
    .numeric()
    .wide();
    for i in &o.imports {
        let problems = match (&i.failed, i.problems.is_empty()) {
            (Some(f), _) => format!("failed on the way: {f}"),
            (None, true) => "-".into(),
            (None, false) => i.problems.join("; "),
        };
        t.row([
            i.at.format("%Y-%m-%d %H:%M").to_string(),
            i.pages.to_string(),
            i.users_read.to_string(),
            i.unmatched.to_string(),
            i.missing.to_string(),
            i.inactive_in_app.to_string(),
            problems,
        ]);
    }
    page.table(&t);
}

fn okta_rounds(cycles: &[CycleSummary]) -> Table {
    let mut t = Table::new(&[
        "round",
        "start",
        "end",
        "seconds",
        "objects",
        "new users and groups",
        "profiles",
        "deactivations",
        "group deletes",
        "memberships",
        "failures",
        "tasks open",
    ])
    .numeric();
    for c in cycles {
        t.row([
            format!(
                "{}{}",
                c.number,
                if c.initial { " (assignments)" } else { "" }
            ),
            c.sim_start.format("%Y-%m-%d %H:%M").to_string(),
            c.sim_end.format("%H:%M:%S").to_string(),
            format!("{:.1}", c.sim_minutes * 60.0),
            c.objects.to_string(),
            c.creates.to_string(),
            c.updates.to_string(),
            c.disables.to_string(),
            c.deletes.to_string(),
            c.member_patches.to_string(),
            c.failures.to_string(),
            c.escrows.to_string(),
        ]);
    }
    t
}

fn groups(r: &SimulationReport) -> String {
    if r.failure_groups.is_empty() {
        return "<p>No failures.</p>".into();
    }
    let mut out = String::new();
    for (n, g) in r.failure_groups.iter().enumerate() {
        let _ = write!(
            out,
            "<details><summary>{}</summary><p>Cycles {} to {}. \
             <a href=\"#logs\" onclick=\"showGroup({n});return false\">Show its records in the log table</a>.</p>",
            escape(&g.line()),
            g.first_cycle,
            g.last_cycle
        );
        let mut t = Table::new(&["time", "cycle", "object", "reason"]).wide();
        for &i in g.records.iter().take(10) {
            if let Some(rec) = r.logs.get(i) {
                t.row([
                    rec.at.format("%Y-%m-%d %H:%M").to_string(),
                    rec.cycle.to_string(),
                    rec.name.clone(),
                    rec.reason.chars().take(300).collect::<String>(),
                ]);
            }
        }
        let _ = write!(out, "{}</details>", t.html());
    }
    out
}

fn log_table(logs: &[LogRecord], r: &SimulationReport) -> String {
    // Which groups each kept record belongs to, for "show its records".
    let mut groups_of: std::collections::HashMap<usize, Vec<usize>> = Default::default();
    for (g, fg) in r.failure_groups.iter().enumerate() {
        for &i in &fg.records {
            groups_of.entry(i).or_default().push(g);
        }
    }
    let mut order: Vec<usize> = (0..logs.len()).collect();
    order.sort_by_key(|&i| (logs[i].result != Outcome::Failure, i));
    order.truncate(LOG_ROWS);
    order.sort_unstable();
    let cycles: std::collections::BTreeSet<u32> = logs.iter().map(|l| l.cycle).collect();
    let okta = r.source == Source::Okta;
    let mut out = format!(
        "<p>{} of {} records{}; every record, in {}, is in provisioning-logs.jsonl.</p>\
         <div class=\"filters\"><select id=f-status onchange=filterLogs()><option value=\"\">any status</option>\
         <option>success</option><option>failure</option><option>skipped</option></select>\
         <select id=f-action onchange=filterLogs()><option value=\"\">any action</option>\
         <option>create</option><option>update</option><option>disable</option><option>delete</option>\
         <option>stageddelete</option><option>other</option></select>\
         <select id=f-cycle onchange=filterLogs()><option value=\"\">any cycle</option>",
        order.len(),
        logs.len(),
        if order.len() < logs.len() {
            " (failures first)"
        } else {
            ""
        },
        if okta {
            "Okta's System Log shape"
        } else {
            "Graph's shape"
        }
    );
    for c in cycles {
        let _ = write!(out, "<option>{c}</option>");
    }
    let _ = write!(
        out,
        "</select><input id=f-text placeholder=\"identity or text\" oninput=filterLogs()>\
         <span id=f-count></span></div>\
         <table id=logs class=wide><thead><tr><th>time</th><th>{round}</th><th>identity</th><th>action</th>\
         <th>status</th><th>{code}</th><th>reason</th></tr></thead><tbody>",
        round = if okta { "round" } else { "cycle" },
        code = if okta { "HTTP status" } else { "error code" },
    );
    for i in order {
        let l = &logs[i];
        let groups = groups_of
            .get(&i)
            .map(|g| {
                g.iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        let class = if l.result == Outcome::Failure {
            " class=fail"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<tr data-status={st} data-action={ac} data-cycle={cy} data-groups=\"{groups}\">\
             <td>{at}</td><td>{cy}</td><td>{name}</td><td>{action}</td><td{class}>{st}</td><td>{code}</td><td>{reason}</td></tr>",
            st = l.result.as_str(),
            ac = provisioning_action(l).to_ascii_lowercase(),
            cy = l.cycle,
            at = l.at.format("%Y-%m-%d %H:%M:%S"),
            name = escape(&l.name),
            action = escape(&if okta {
                crate::provisioning::logs::okta::event_type(l.kind, l.action)
                    .0
                    .to_string()
            } else {
                format!("{} ({})", provisioning_action(l), l.action.as_str())
            }),
            code = escape(&if okta {
                l.status.map(|s| s.to_string()).unwrap_or_default()
            } else {
                error_code(l).unwrap_or("").to_string()
            }),
            reason = escape(&l.reason.chars().take(300).collect::<String>()),
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// Cycles against simulated hours: each a bar from its start to its end (at least a little
/// wide) as tall as its objects, on a log scale; quarantined cycles red, the initial blue;
/// failures as red dots.
pub fn timeline(r: &SimulationReport, path: &Path) -> Result<(), String> {
    let root = SVGBackend::new(path, (1000, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let start = r.cycles.first().map(|c| c.sim_start);
    let hours = |t: chrono::DateTime<chrono::Utc>| {
        start.map_or(0.0, |s| (t - s).num_milliseconds() as f64 / 3_600_000.0)
    };
    let max_h = r
        .cycles
        .iter()
        .map(|c| hours(c.sim_end))
        .fold(1.0, f64::max)
        * 1.02;
    let max_y = r
        .cycles
        .iter()
        .map(|c| c.objects.max(c.failures) as f64)
        .fold(10.0, f64::max)
        * 2.0;
    let min_w = max_h / 400.0;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            match r.source {
                Source::Entra => "Provisioning cycles on the simulated clock (Microsoft Entra ID)",
                Source::Adc => {
                    "Connector polls on the simulated clock (Active Directory Connector v2)"
                }
                Source::Okta => "Okta's pushes on the simulated clock, a round per change set",
            },
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(38)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..max_h, (1.0..max_y).log_scale())
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("simulated hours")
        .y_desc("objects processed (log)")
        .draw()
        .map_err(|e| e.to_string())?;
    let color = |c: &CycleSummary| {
        if c.quarantine.is_some() {
            RED.mix(0.8)
        } else if c.initial {
            BLUE.mix(0.8)
        } else {
            GREEN.mix(0.8)
        }
    };
    chart
        .draw_series(r.cycles.iter().map(|c| {
            let x0 = hours(c.sim_start);
            let x1 = hours(c.sim_end).max(x0 + min_w);
            Rectangle::new(
                [(x0, 1.0), (x1, (c.objects as f64).max(1.0))],
                color(c).filled(),
            )
        }))
        .map_err(|e| e.to_string())?
        .label("cycle (start to end; red: quarantined)")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], GREEN.filled()));
    chart
        .draw_series(
            r.cycles
                .iter()
                .filter(|c| c.failures > 0)
                .map(|c| Circle::new((hours(c.sim_start), c.failures as f64), 4, RED.filled())),
        )
        .map_err(|e| e.to_string())?
        .label("failures in the cycle")
        .legend(|(x, y)| Circle::new((x + 6, y), 4, RED.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}
