//! JUnit XML: one `<testsuite>` per feature, one `<testcase>` per scenario, the shape GitHub,
//! GitLab and Jenkins read. Written from our verdicts rather than by cucumber's JUnit writer, so
//! a failed SHOULD shows as a passing test with a warning in `<system-out>` and a failed MAY as
//! skipped, exactly as the exit code treats them.

use super::{ReportError, RunReport, ScenarioReport, Verdict, write_file};
use std::fmt::Write as _;
use std::path::Path;

/// Escapes text for XML content and attributes.
pub fn xml_escape(s: &str) -> String {
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

fn steps_text(s: &ScenarioReport) -> String {
    s.steps
        .iter()
        .map(|st| format!("{} {} [{:?}]", st.keyword.trim(), st.text, st.status))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Renders the report as JUnit XML.
pub fn render(report: &RunReport) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let c = &report.counts;
    let _ = writeln!(
        x,
        "<testsuites name=\"scim-harness conformance\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        c.total(),
        c.failed,
        c.skipped + c.not_offered,
        report.duration_ms as f64 / 1000.0
    );
    for f in &report.features {
        let failures = f
            .scenarios
            .iter()
            .filter(|s| s.verdict == Verdict::Fail)
            .count();
        let skipped = f
            .scenarios
            .iter()
            .filter(|s| matches!(s.verdict, Verdict::Skip | Verdict::NotOffered))
            .count();
        let time: u64 = f.scenarios.iter().map(|s| s.duration_ms).sum();
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{:.3}\">",
            xml_escape(&f.name),
            f.scenarios.len(),
            time as f64 / 1000.0
        );
        for s in &f.scenarios {
            let _ = write!(
                x,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                xml_escape(&f.name),
                xml_escape(&format!("{} [{}]", s.name, s.level.as_str())),
                s.duration_ms as f64 / 1000.0
            );
            let reason = match &s.outcome {
                super::Outcome::Failed(m) | super::Outcome::Skipped(m) => m.as_str(),
                super::Outcome::Passed => "",
            };
            match s.verdict {
                Verdict::Pass => x.push_str("/>\n"),
                Verdict::Fail => {
                    let first = reason.lines().next().unwrap_or("failed");
                    let _ = writeln!(
                        x,
                        ">\n      <failure message=\"{}\">{}</failure>\n      <system-out>{}</system-out>\n    </testcase>",
                        xml_escape(first),
                        xml_escape(reason),
                        xml_escape(&steps_text(s))
                    );
                }
                Verdict::Warn => {
                    let _ = writeln!(
                        x,
                        ">\n      <system-out>{}</system-out>\n    </testcase>",
                        xml_escape(&format!("WARNING (SHOULD not met):\n{reason}"))
                    );
                }
                Verdict::NotOffered | Verdict::Skip => {
                    let msg = if s.verdict == Verdict::NotOffered {
                        format!(
                            "optional (MAY) behaviour not offered: {}",
                            reason.lines().next().unwrap_or("")
                        )
                    } else {
                        reason.to_string()
                    };
                    let _ = writeln!(
                        x,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        xml_escape(&msg)
                    );
                }
            }
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

/// Writes the JUnit XML file.
pub fn write(report: &RunReport, path: &Path) -> Result<(), ReportError> {
    write_file(path, &render(report))
}
