//! What a person reads after a load run: the terminal summary (laid out like oha's), and the
//! JSON + HTML + SVG files of `--report DIR`.

use super::LoadReport;
use super::metrics::Percentiles;
use super::plots;
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

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html(r: &LoadReport, stem: &str) -> String {
    let m = &r.metrics;
    let mut rows = String::new();
    for k in &m.kinds {
        for (label, p) in [("corrected", &k.corrected), ("raw", &k.raw)] {
            let _ = write!(
                rows,
                "<tr><td>{}</td><td>{label}</td><td>{}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td></tr>",
                esc(&k.name),
                p.count,
                ms(p.p50_us),
                ms(p.p90_us),
                ms(p.p95_us),
                ms(p.p99_us),
                ms(p.p999_us),
                ms(p.max_us)
            );
        }
    }
    let mut errors = String::new();
    for (cause, n) in &m.errors_by_cause {
        let _ = write!(errors, "<tr><td>{}</td><td>{n}</td></tr>", esc(cause));
    }
    if errors.is_empty() {
        errors.push_str("<tr><td colspan=2>none</td></tr>");
    }
    let notes: String = r
        .notes
        .iter()
        .map(|n| format!("<li>{}</li>", esc(n)))
        .collect();
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>scim-harness load: {scenario}</title>
<style>body{{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}
td:first-child,th:first-child{{text-align:left}}.head{{font-size:1.4em;font-weight:bold}}</style></head>
<body><h1>Load run: {scenario}</h1>
<p>Target: {target}<br>Schedule: open loop, {profile}, {duration:.1} s, shard {si}/{sn}, at most {conn} in flight. Started {started}.</p>
<p class="head">{epm:.0} entitlements per minute ({vs:.1}x the seed baseline of {base:.0}/min)</p>
<p>{completed} operations completed ({achieved:.1}/s), {errs} errors; {scheduled} scheduled, {sent} sent, {not_sent} not sent, {cut} cut at the deadline.</p>
<p><b>Latency shown:</b> {shown}.</p>
<table><tr><th>kind</th><th>measured</th><th>count</th><th>p50 ms</th><th>p90 ms</th><th>p95 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th></tr>{rows}</table>
<p>Driver lag (actual send - intended send): p50 {lag50:.3} ms, p99 {lag99:.3} ms, max {lagmax:.3} ms.</p>
<h2>Latency distribution</h2><img src="{stem}-latency.svg" alt="latency percentile distribution">
<h2>Throughput over time</h2><img src="{stem}-throughput.svg" alt="throughput per second">
<h2>Latency over time</h2><img src="{stem}-p99.svg" alt="p50 and p99 per second">
<h2>Errors</h2><table><tr><th>cause</th><th>count</th></tr>{errors}</table>
<h2>Notes</h2><ul>{notes}</ul>
</body></html>
"#,
        scenario = r.scenario.as_str(),
        target = esc(&r.target),
        profile = esc(&r.profile),
        duration = r.duration_s,
        si = r.shard.index,
        sn = r.shard.count,
        conn = r.connections,
        started = esc(&r.started_at),
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
        shown = esc(&r.latency_shown),
        lag50 = ms(m.lag.p50_us),
        lag99 = ms(m.lag.p99_us),
        lagmax = ms(m.lag.max_us),
    )
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
            esc(&e)
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
