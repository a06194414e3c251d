//! The HTML living documentation: one self-contained page (no scripts, no external assets).
//! Placeholder until the full page lands; it already lists every scenario with its verdict.

use super::junit::xml_escape;
use super::{ReportError, RunReport, write_file};
use std::path::Path;

/// Renders the report as a self-contained HTML page.
pub fn render(report: &RunReport, _behaviour_ids: &[(String, String)]) -> String {
    let mut h = String::from("<!doctype html><meta charset=utf-8><title>SCIM conformance</title>");
    h.push_str(&format!("<h1>{}</h1>", xml_escape(&report.summary_line())));
    for (f, s) in report.scenarios() {
        h.push_str(&format!(
            "<p>{} / {} : {}</p>",
            xml_escape(&f.name),
            xml_escape(&s.name),
            s.verdict.as_str()
        ));
    }
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

/// BEHAVIOUR ids and statements for the coverage table, read from `../shared/BEHAVIOUR.md`
/// next to the repository that holds `features_dir` (`<repo>/features/scim`). Empty when the
/// file is absent: the table is then computed from tags alone.
pub fn behaviour_ids(features_dir: &Path) -> Vec<(String, String)> {
    let candidates = features_dir
        .canonicalize()
        .ok()
        .into_iter()
        .flat_map(|d| d.ancestors().map(|a| a.join("../shared/BEHAVIOUR.md")).collect::<Vec<_>>());
    for c in candidates {
        if let Ok(text) = std::fs::read_to_string(&c) {
            return parse_behaviour(&text);
        }
    }
    Vec::new()
}

/// Rows `| ID | statement |` of the BEHAVIOUR tables.
pub fn parse_behaviour(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() >= 3 {
            let id = cells[1];
            let looks_like_id = id.len() >= 3
                && id.contains('-')
                && id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
            if looks_like_id {
                out.push((id.to_string(), cells[2].to_string()));
            }
        }
    }
    out
}
