//! The HTML living documentation for product owners: one self-contained file (inline CSS, no
//! scripts, no external assets) that shows every feature with its scenarios in Gherkin, each step
//! coloured by its result, failures with the request and response, and a coverage table of the
//! BEHAVIOUR ids computed from the scenarios' tags, so coverage is measured rather than claimed.

use super::{Outcome, ReportError, RunReport, ScenarioReport, StepStatus, Verdict, write_file};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

const STYLE: &str = "
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0 0 6px;font-size:22px}
main{padding:18px 28px;max-width:1200px}
.counts span{display:inline-block;margin-right:14px;font-weight:600}
section.feature{background:#fff;border:1px solid #dde1e7;border-radius:8px;margin:18px 0;padding:8px 18px}
section.feature h2{font-size:18px;margin:10px 0 4px}.desc{color:#555;white-space:pre-wrap;margin:0 0 8px}
details.sc{border-top:1px solid #eceef2;padding:6px 0}details.sc summary{cursor:pointer}
.badge{display:inline-block;min-width:74px;text-align:center;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:700;color:#fff;margin-right:8px}
.pass{background:#2e8540}.fail{background:#c62828}.warn{background:#d98200}.may{background:#6a6fb5}.skip{background:#8a8f98}.blocked{background:#7b3f99}.na{background:#5f8a8b}.accepted{background:#3f6fa8}
.accepted-why{margin:4px 0 4px 14px;color:#3f6fa8;font-weight:600}
section.findings{background:#fff;border:1px solid #dde1e7;border-radius:8px;margin:18px 0;padding:8px 18px}
details.finding{border-top:1px solid #eceef2;padding:8px 0}details.finding summary{cursor:pointer;font-weight:600}
.sumobs{display:block;font-weight:400;font-size:13px;color:#555;margin:2px 0 0 84px;font-family:ui-monospace,monospace}
.fid{font-family:ui-monospace,monospace;color:#5a6270;margin-right:6px}.obs{margin:4px 0 4px 14px}.obs b{display:inline-block;min-width:74px}
ul.affected{margin:4px 0 4px 14px;padding-left:16px;font-size:13px}
.tag{font-size:12px;color:#5a6270;background:#eef0f4;border-radius:4px;padding:0 4px;margin-left:4px}
ol.steps{list-style:none;padding-left:14px;margin:6px 0;font-family:ui-monospace,monospace;font-size:13px}
ol.steps li{padding:1px 6px;border-left:4px solid #ccc;margin:2px 0}
li.passed{border-color:#2e8540;background:#eef8f0}li.failed{border-color:#c62828;background:#fdecec}
li.undefined{border-color:#d98200;background:#fff4e0}li.notrun{border-color:#bbb;color:#888}
.kw{font-weight:700}.bg{color:#888;font-size:11px;margin-left:6px}
pre{background:#f3f4f7;border:1px solid #e2e5ea;padding:8px;overflow-x:auto;font-size:12px;white-space:pre-wrap;word-break:break-all}
pre.err{background:#fff6f6;border-color:#f1c0c0}
table{border-collapse:collapse;background:#fff;width:100%}th,td{border:1px solid #dde1e7;padding:4px 8px;text-align:left;vertical-align:top;font-size:13px}
th{background:#eef0f4}td.none{color:#999}
";

/// Escapes text for HTML and XML, content and attributes alike: the one escape of every report
/// (conformance, JUnit, load, simulation, run).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even when escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

fn badge(v: Verdict) -> (&'static str, &'static str) {
    match v {
        Verdict::Pass => ("pass", "passed"),
        Verdict::Fail => ("fail", "FAILED"),
        Verdict::Warn => ("warn", "warning"),
        Verdict::NotOffered => ("may", "not offered"),
        Verdict::NotApplicable => ("na", "not applicable"),
        Verdict::Skip => ("skip", "skipped"),
        Verdict::Blocked => ("blocked", "BLOCKED"),
        Verdict::Accepted => ("accepted", "accepted"),
    }
}

/// The anchor of a scenario's detail, so a finding can link to the scenarios it affects.
fn anchor(feature: &str, line: usize) -> String {
    let slug: String = feature
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("s-{slug}-{line}")
}

/// At most `n` characters of a one-line text.
fn short(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(n).collect::<String>())
    }
}

/// The findings, grouped by area, each opening onto what it is and the scenarios it affects.
fn findings(h: &mut String, report: &RunReport) {
    use super::{Area, Level};
    h.push_str("<section class=findings>");
    if report.findings.is_empty() {
        h.push_str("<h2>No findings</h2><p>Every scenario that ran passed.</p></section>");
        return;
    }
    let _ = write!(h, "<h2>{}</h2>", escape(&report.headline()));
    h.push_str("<p>A finding is one root cause: the same sentence failed in the same way. The scenarios it fails, or blocks (they could not test their subject), are listed under it. MUST findings come first, then the widest.</p>");
    for area in [Area::Rfc, Area::Entra, Area::Suite] {
        let here: Vec<_> = report.findings.iter().filter(|f| f.area == area).collect();
        if here.is_empty() {
            continue;
        }
        let _ = write!(h, "<h3>{} ({})</h3>", escape(area.title()), here.len());
        for f in here {
            let class = match (f.level, f.accepted.is_some()) {
                (_, true) => "accepted",
                (Level::Must, _) => "fail",
                (Level::Should, _) => "warn",
                (Level::May, _) => "may",
            };
            let _ = write!(
                h,
                "<details class=finding><summary><span class=\"badge {class}\">{}</span><span class=fid>{}</span>{} <span class=tag>{} scenario(s): {} failed or warned, {} blocked</span><span class=sumobs>{}</span></summary>",
                f.level.as_str(),
                escape(&f.id),
                escape(&f.statement),
                f.reach(),
                f.failed,
                f.blocked,
                escape(&short(&f.observed, 160))
            );
            if let Some(why) = &f.accepted {
                let _ = write!(h, "<div class=accepted-why>accepted: {}</div>", escape(why));
            }
            let _ = write!(
                h,
                "<div class=obs><b>source</b> {}</div><div class=obs><b>expected</b> {}</div><div class=obs><b>observed</b> {}</div><div class=obs><b>key</b> <code>{}</code> (the same across runs; an <code>[[accepted]]</code> id in scim-harness.toml)</div><ul class=affected>",
                escape(&f.source),
                escape(&f.expected),
                escape(&f.observed),
                escape(&f.key)
            );
            for a in &f.scenarios {
                let _ = write!(
                    h,
                    "<li>{} <a href=\"#{}\">{}: {}</a></li>",
                    a.effect,
                    anchor(&a.feature, a.line),
                    escape(&a.feature),
                    escape(&a.scenario)
                );
            }
            h.push_str("</ul>");
            if let Some(x) = &f.example {
                let _ = write!(h, "<pre>{}</pre>", escape(x));
            }
            h.push_str("</details>");
        }
    }
    h.push_str("</section>");
}

/// The configuration's accepted deviations and what became of each.
fn accepted(h: &mut String, report: &RunReport) {
    if report.accepted.is_empty() {
        return;
    }
    h.push_str("<section class=findings><h2>Accepted deviations</h2><p>Written in scim-harness.toml. An accepted scenario still runs and is shown, but does not fail the run; one past its expiry date fails again.</p><ul>");
    for a in &report.accepted {
        let _ = write!(h, "<li>{}</li>", escape(&a.describe()));
    }
    h.push_str("</ul></section>");
}

fn scenario(h: &mut String, feature: &str, s: &ScenarioReport) {
    let (class, label) = badge(s.verdict);
    let _ = write!(
        h,
        "<details class=sc id=\"{}\"><summary><span class=\"badge {class}\">{label}</span><b>{}</b> <span class=tag>{}</span>",
        anchor(feature, s.line),
        escape(&s.name),
        s.level.as_str()
    );
    for t in s
        .tags
        .iter()
        .filter(|t| !matches!(t.as_str(), "must" | "should" | "may"))
    {
        let _ = write!(h, "<span class=tag>@{}</span>", escape(t));
    }
    if let Outcome::Skipped(why) | Outcome::NotApplicable(why) = &s.outcome {
        let _ = write!(h, " <i>{}</i>", escape(why));
    }
    h.push_str("</summary>");
    if let Some(why) = &s.accepted {
        let _ = write!(h, "<div class=accepted-why>accepted: {}</div>", escape(why));
    }
    h.push_str("<ol class=steps>");
    for st in &s.steps {
        let class = match st.status {
            StepStatus::Passed => "passed",
            StepStatus::Failed => "failed",
            StepStatus::Undefined => "undefined",
            StepStatus::NotRun => "notrun",
        };
        let _ = write!(
            h,
            "<li class={class}><span class=kw>{}</span> {}{}",
            escape(&st.keyword),
            escape(&st.text),
            if st.background {
                "<span class=bg>background</span>"
            } else {
                ""
            }
        );
        if let Some(d) = &st.docstring {
            let _ = write!(h, "<pre>{}</pre>", escape(d));
        }
        if let Some(t) = &st.table {
            h.push_str("<table>");
            for (i, row) in t.iter().enumerate() {
                h.push_str("<tr>");
                for c in row {
                    let tag = if i == 0 { "th" } else { "td" };
                    let _ = write!(h, "<{tag}>{}</{tag}>", escape(c));
                }
                h.push_str("</tr>");
            }
            h.push_str("</table>");
        }
        if matches!(st.status, StepStatus::Failed | StepStatus::Undefined)
            && let Some(m) = &st.message
        {
            let _ = write!(h, "<pre class=err>{}</pre>", escape(m));
        }
        h.push_str("</li>");
    }
    h.push_str("</ol>");
    if let Outcome::Skipped(why) = &s.outcome {
        let _ = write!(h, "<p>Skipped: {}</p>", escape(why));
    }
    h.push_str("</details>");
}

fn coverage(h: &mut String, report: &RunReport, ids: &[(String, String)]) {
    // id -> (scenario label, verdict)
    let mut by_id: BTreeMap<String, Vec<(String, Verdict)>> = BTreeMap::new();
    for (f, s) in report.scenarios() {
        for t in &s.tags {
            let is_id = t.contains('-')
                && t.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
            if is_id {
                by_id
                    .entry(t.clone())
                    .or_default()
                    .push((format!("{}: {}", f.name, s.name), s.verdict));
            }
        }
    }
    let mut rows: Vec<(String, String)> = ids.to_vec();
    for id in by_id.keys() {
        if !rows.iter().any(|(r, _)| r == id) {
            rows.push((id.clone(), String::new()));
        }
    }
    h.push_str("<h2>Coverage of BEHAVIOUR ids</h2><table><tr><th>id</th><th>statement</th><th>scenarios</th><th>results</th></tr>");
    for (id, statement) in &rows {
        let found = by_id.get(id).map(Vec::as_slice).unwrap_or_default();
        let _ = write!(
            h,
            "<tr><td><b>{}</b></td><td>{}</td>",
            escape(id),
            escape(statement)
        );
        if found.is_empty() {
            h.push_str("<td class=none>no scenario in this run</td><td class=none>-</td></tr>");
            continue;
        }
        let names: Vec<String> = found.iter().map(|(n, _)| escape(n)).collect();
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, v) in found {
            *counts.entry(badge(*v).1).or_default() += 1;
        }
        let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let _ = write!(
            h,
            "<td><details><summary>{} scenario(s)</summary>{}</details></td><td>{}</td></tr>",
            found.len(),
            names.join("<br>"),
            summary.join(", ")
        );
    }
    h.push_str("</table>");
}

/// Renders the report as a self-contained HTML page. `behaviour_ids` are (id, statement) rows
/// of the statement inventory ([`statements`]); without them the coverage table lists the ids found in tags.
pub fn render(report: &RunReport, behaviour_ids: &[(String, String)]) -> String {
    let mut h = String::with_capacity(256 * 1024);
    let _ = write!(
        h,
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>SCIM conformance: {}</title><style>{STYLE}</style></head><body>",
        escape(&report.summary_line())
    );
    let c = &report.counts;
    let _ = write!(
        h,
        "<header><h1>SCIM 2.0 conformance</h1><div>Target {} ({}) &middot; started {} &middot; {:.1} s{}</div><div class=counts><span>{} passed</span><span>{} failed</span><span>{} warnings</span><span>{} accepted</span><span>{} blocked</span><span>{} not offered (MAY)</span><span>{} not applicable</span><span>{} skipped</span></div></header><main>",
        escape(&report.target),
        if report.embedded {
            "embedded reference"
        } else {
            "external"
        },
        escape(&report.started),
        report.duration_ms as f64 / 1000.0,
        report
            .tag_expression
            .as_ref()
            .map(|t| format!(" &middot; tags {}", escape(t)))
            .unwrap_or_default(),
        c.passed,
        c.failed,
        c.warnings,
        c.accepted,
        c.blocked,
        c.not_offered,
        c.not_applicable,
        c.skipped
    );
    if report.insecure {
        h.push_str(&super::insecure_banner());
    }
    h.push_str("<p>A failed <b>MUST</b> fails the run; a failed <b>SHOULD</b> is a warning; a <b>MAY</b> the service explicitly declines is <i>not offered</i>. A scenario whose setup failed is <i>blocked</i> (it never tested its subject) and is listed under the finding that blocked it. Scenarios for features the service does not advertise are skipped; those about attributes its own schema does not declare are <i>not applicable</i>.</p>");
    findings(&mut h, report);
    accepted(&mut h, report);
    for e in &report.errors {
        let _ = write!(h, "<pre class=err>{}</pre>", escape(e));
    }
    for f in &report.features {
        let _ = write!(h, "<section class=feature><h2>{}</h2>", escape(&f.name));
        if let Some(d) = &f.description {
            let _ = write!(h, "<p class=desc>{}</p>", escape(d.trim()));
        }
        for s in &f.scenarios {
            scenario(&mut h, &f.name, s);
        }
        h.push_str("</section>");
    }
    coverage(&mut h, report, behaviour_ids);
    h.push_str("</main></body></html>\n");
    h
}

/// Writes the HTML page.
pub fn write(
    report: &RunReport,
    behaviour_ids: &[(String, String)],
    path: &Path,
) -> Result<(), ReportError> {
    write_file(path, &render(report, behaviour_ids))
}

/// The project's inventory of documented behaviours (`features/STATEMENTS.md`), compiled
/// into the binary so the coverage table is complete wherever the binary runs.
pub const STATEMENTS: &str = include_str!("../../features/STATEMENTS.md");

/// (id, statement) rows of the inventory, for the coverage table.
pub fn statements() -> Vec<(String, String)> {
    parse_statements(STATEMENTS)
}

/// Rows `| id | statement | source |` of the inventory's tables.
pub fn parse_statements(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() >= 3 {
            let id = cells[1];
            let looks_like_id = id.len() >= 3
                && id.contains('-')
                && id.chars().any(|c| c.is_ascii_alphanumeric())
                && id
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
            if looks_like_id {
                out.push((id.to_string(), cells[2].to_string()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every statement id a scenario is tagged with has its row in the inventory, so the
    /// coverage table never shows an id without its statement.
    #[test]
    fn every_tagged_id_has_a_statement() {
        fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "feature") {
                    out.push(p);
                }
            }
        }
        let rows = statements();
        assert!(
            rows.len() >= 45,
            "the inventory has its rows: {}",
            rows.len()
        );
        let known: std::collections::HashSet<&str> = rows.iter().map(|(i, _)| i.as_str()).collect();
        let mut files = Vec::new();
        walk(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("features"),
            &mut files,
        );
        assert!(files.len() > 20, "the walk found the features");
        let mut missing = std::collections::BTreeSet::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            for word in text.split_whitespace().filter_map(|w| w.strip_prefix('@')) {
                let is_id = word.contains('-')
                    && word.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                    && word
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
                if is_id && !known.contains(word) {
                    missing.insert(word.to_string());
                }
            }
        }
        assert!(missing.is_empty(), "ids without a statement: {missing:?}");
        assert!(
            rows.iter().all(|(_, s)| !s.is_empty()),
            "every row has its statement"
        );
    }
}
