//! What a person reads after a load run: the terminal summary (laid out like oha's), and the
//! JSON + HTML + SVG files of `--report DIR`.

use super::LoadReport;
use super::metrics::Percentiles;
use super::plots;
use crate::report::html::escape;
use crate::report::page::{Page, Table};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// The file stem of a run's report files: `load-<scenario>[-shard-i-of-N]`.
pub fn stem(r: &LoadReport) -> String {
    if r.shard.count > 1 {
        format!(
            "load-{}-shard-{}-of-{}",
            r.scenario.as_str(),
            r.shard.index,
            r.shard.count
        )
    } else {
        format!("load-{}", r.scenario.as_str())
    }
}

fn pct_row(out: &mut String, name: &str, p: &Percentiles) {
    let _ = writeln!(
        out,
        "  {:<26} {:>9} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
        name,
        p.count,
        ms(p.p50_us),
        ms(p.p90_us),
        ms(p.p95_us),
        ms(p.p99_us),
        ms(p.p999_us),
        ms(p.max_us)
    );
}

/// The end-of-run summary for the terminal.
pub fn summary(r: &LoadReport) -> String {
    let m = &r.metrics;
    let mut s = String::new();
    let _ = writeln!(s, "Summary: {} against {}", r.scenario.as_str(), r.target);
    let _ = writeln!(
        s,
        "  Schedule:        open loop, {}, {:.1} s{}, shard {}/{}, {} in flight at most",
        r.profile,
        r.duration_s,
        r.max_ops
            .map(|m| format!(", at most {m} ops"))
            .unwrap_or_default(),
        r.shard.index,
        r.shard.count,
        r.connections
    );
    let _ = writeln!(s, "  Total:           {:.3} s", r.drive.elapsed_s);
    let _ = writeln!(
        s,
        "  Operations:      {} scheduled, {} sent, {} not sent, {} cut at the deadline",
        r.drive.scheduled, r.drive.sent, r.drive.not_sent, r.drive.cut
    );
    let success = if m.completed == 0 {
        0.0
    } else {
        100.0 * (m.completed - m.errors) as f64 / m.completed as f64
    };
    let _ = writeln!(s, "  Success rate:    {success:.2} %");
    let _ = writeln!(
        s,
        "  Achieved:        {:.1} operations/s",
        r.achieved_per_second
    );
    if m.entitlements > 0 || r.scenario.as_str().starts_with("entitlements") {
        let _ = writeln!(
            s,
            "  Entitlements:    {} = {:.0} per minute ({:.1}x the seed baseline of {:.0}/min)",
            m.entitlements,
            r.entitlements_per_minute,
            r.vs_baseline,
            r.baseline_entitlements_per_minute
        );
    }
    let _ = writeln!(s, "\nLatency in ms ({})", r.latency_shown);
    let _ = writeln!(
        s,
        "  {:<26} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "kind", "count", "p50", "p90", "p95", "p99", "p99.9", "max"
    );
    for k in &m.kinds {
        pct_row(&mut s, &k.name, &k.corrected);
        pct_row(&mut s, &format!("{} (raw)", k.name), &k.raw);
    }
    pct_row(&mut s, "driver lag (send - intended)", &m.lag);
    let _ = writeln!(s, "\nStatus code distribution:");
    for (code, n) in &m.statuses {
        let _ = writeln!(s, "  [{code}] {n} responses");
    }
    if !m.errors_by_cause.is_empty() {
        let _ = writeln!(s, "\nErrors:");
        for (cause, n) in &m.errors_by_cause {
            let _ = writeln!(s, "  {n:>9} {cause}");
        }
    }
    for n in &r.notes {
        let _ = writeln!(s, "\nNote: {n}");
    }
    s
}

fn html(r: &LoadReport, stem: &str) -> String {
    let m = &r.metrics;
    let mut latency = Table::new(&[
        "kind", "measured", "count", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "p99.9 ms", "max ms",
    ])
    .numeric();
    for k in &m.kinds {
        for (label, p) in [("corrected", &k.corrected), ("raw", &k.raw)] {
            let mut cells = vec![k.name.clone(), label.to_string(), p.count.to_string()];
            for us in [p.p50_us, p.p90_us, p.p95_us, p.p99_us, p.p999_us, p.max_us] {
                cells.push(format!("{:.3}", ms(us)));
            }
            latency.row(cells);
        }
    }
    let mut errors = Table::new(&["cause", "count"]).numeric().when_empty("none");
    for (cause, n) in &m.errors_by_cause {
        errors.row([cause.clone(), n.to_string()]);
    }
    let notes: String = r
        .notes
        .iter()
        .map(|n| format!("<li>{}</li>", escape(n)))
        .collect();
    let scenario = r.scenario.as_str();
    let mut page = Page::new(
        &format!("scim-harness load: {scenario}"),
        &format!("Load run: {scenario}"),
    );
    if r.insecure {
        page.html(&crate::report::insecure_banner());
    }
    page.html(&format!(
        r#"<p>Target: {target} (HTTP engine: {engine})<br>Schedule: open loop, {profile}, {duration:.1} s, shard {si}/{sn}, at most {conn} in flight. Started {started}.</p>
<p class="head">{epm:.0} entitlements per minute ({vs:.1}x the seed baseline of {base:.0}/min)</p>
<p>{completed} operations completed ({achieved:.1}/s), {errs} errors; {scheduled} scheduled, {sent} sent, {not_sent} not sent, {cut} cut at the deadline.</p>
<p><b>Latency shown:</b> {shown}.</p>
"#,
        target = escape(&r.target),
        engine = escape(&r.http_engine),
        profile = escape(&r.profile),
        duration = r.duration_s,
        si = r.shard.index,
        sn = r.shard.count,
        conn = r.connections,
        started = escape(&r.started_at),
        epm = r.entitlements_per_minute,
        vs = r.vs_baseline,
        base = r.baseline_entitlements_per_minute,
        completed = m.completed,
        achieved = r.achieved_per_second,
        errs = m.errors,
        scheduled = r.drive.scheduled,
        sent = r.drive.sent,
        not_sent = r.drive.not_sent,
        cut = r.drive.cut,
        shown = escape(&r.latency_shown),
    ))
    .table(&latency)
    .html(&format!(
        "<p>Driver lag (actual send - intended send): p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms.</p>",
        ms(m.lag.p50_us),
        ms(m.lag.p99_us),
        ms(m.lag.max_us)
    ));
    for (heading, file, alt) in [
        (
            "Latency distribution",
            "latency",
            "latency percentile distribution",
        ),
        (
            "Throughput over time",
            "throughput",
            "throughput per second",
        ),
        ("Latency over time", "p99", "p50 and p99 per second"),
    ] {
        page.section(heading).html(&format!(
            "<img src=\"{}-{file}.svg\" alt=\"{alt}\">",
            escape(stem)
        ));
    }
    page.section("Errors")
        .table(&errors)
        .section("Notes")
        .html(&format!("<ul>{notes}</ul>"));
    page.finish()
}

/// Writes `<stem>.json`, `<stem>.html` and three SVG plots into `dir`; returns the paths.
/// A plot that cannot be drawn is replaced by a note in the SVG rather than failing the run.
pub fn write(r: &LoadReport, dir: &Path) -> Result<Vec<PathBuf>, (PathBuf, std::io::Error)> {
    std::fs::create_dir_all(dir).map_err(|e| (dir.to_path_buf(), e))?;
    let stem = stem(r);
    let curves: Vec<plots::Curve<'_>> = r
        .metrics
        .kinds
        .iter()
        .filter(|k| !k.curve.is_empty())
        .map(|k| (k.name.as_str(), k.curve.as_slice()))
        .collect();
    let title = |what: &str| format!("{} - {what}", r.scenario.as_str());
    let fallback = |e: String| {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"40\"><text x=\"10\" y=\"25\">plot failed: {}</text></svg>",
            escape(&e)
        )
    };
    let json = serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    let files = [
        (format!("{stem}.json"), json),
        (format!("{stem}.html"), html(r, &stem)),
        (
            format!("{stem}-latency.svg"),
            plots::latency_distribution(&title("corrected latency distribution"), &curves)
                .unwrap_or_else(fallback),
        ),
        (
            format!("{stem}-throughput.svg"),
            plots::throughput(&title("throughput"), &r.metrics.seconds, &r.target_rates)
                .unwrap_or_else(fallback),
        ),
        (
            format!("{stem}-p99.svg"),
            plots::latency_over_time(&title("corrected p50 / p99 per second"), &r.metrics.seconds)
                .unwrap_or_else(fallback),
        ),
    ];
    let mut written = Vec::new();
    for (name, body) in files {
        let path = dir.join(name);
        std::fs::write(&path, body).map_err(|e| (path.clone(), e))?;
        written.push(path);
    }
    Ok(written)
}
