//! JUnit XML: one `<testsuite>` per feature, one `<testcase>` per scenario, the shape GitHub,
//! GitLab and Jenkins read. Written from our verdicts rather than by cucumber's JUnit writer, so
//! a failed SHOULD shows as a passing test with a warning in `<system-out>` and a failed MAY as
//! skipped, exactly as the exit code treats them.

use super::html::escape;
use super::{ReportError, RunReport, ScenarioReport, Verdict, write_file};
use std::fmt::Write as _;
use std::path::Path;

fn steps_text(s: &ScenarioReport) -> String {
    s.steps
        .iter()
        .map(|st| format!("{} {} [{:?}]", st.keyword.trim(), st.text, st.status))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Renders the report as JUnit XML: `<failure>` for a failed MUST (or SHOULD under
/// `--fail-on should`), `<error>` for a blocked scenario (it could not run), `<skipped>` for
/// not advertised, not applicable and not offered; a warning, and an accepted deviation, pass
/// with their text in `<system-out>`.
pub fn render(report: &RunReport) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let c = &report.counts;
    let _ = writeln!(
        x,
        "<testsuites name=\"scim-harness conformance\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        c.total(),
        c.failed,
        c.blocked,
        c.skipped + c.not_offered + c.not_applicable,
        report.duration_ms as f64 / 1000.0
    );
    if report.insecure {
        // One suite of its own: JUnit readers show suite properties and output inconsistently.
        let _ = writeln!(
            x,
            "  <testsuite name=\"connection\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\">\n    <properties><property name=\"insecure\" value=\"true\"/></properties>\n    <system-out>{}</system-out>\n  </testsuite>",
            escape(super::INSECURE_NOTE)
        );
    }
    for f in &report.features {
        let count =
            |pred: fn(Verdict) -> bool| f.scenarios.iter().filter(|s| pred(s.verdict)).count();
        let failures = count(|v| v == Verdict::Fail);
        let errors = count(|v| v == Verdict::Blocked);
        let skipped = count(|v| {
            matches!(
                v,
                Verdict::Skip | Verdict::NotOffered | Verdict::NotApplicable
            )
        });
        let time: u64 = f.scenarios.iter().map(|s| s.duration_ms).sum();
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{:.3}\">",
            escape(&f.name),
            f.scenarios.len(),
            time as f64 / 1000.0
        );
        for s in &f.scenarios {
            let _ = write!(
                x,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                escape(&f.name),
                escape(&format!("{} [{}]", s.name, s.level.as_str())),
                s.duration_ms as f64 / 1000.0
            );
            let reason = s.outcome.reason();
            let first = reason.lines().next().unwrap_or("");
            let findings = finding_ids(report, &f.name, s);
            match s.verdict {
                Verdict::Pass => x.push_str("/>\n"),
                Verdict::Fail | Verdict::Blocked => {
                    let (tag, lead) = if s.verdict == Verdict::Fail {
                        ("failure", "")
                    } else {
                        ("error", "blocked: ")
                    };
                    let _ = writeln!(
                        x,
                        ">\n      <{tag} message=\"{}\">{}</{tag}>\n      <system-out>{}</system-out>\n    </testcase>",
                        escape(&format!("{lead}{findings}{first}")),
                        escape(reason),
                        escape(&steps_text(s))
                    );
                }
                Verdict::Warn => {
                    let _ = writeln!(
                        x,
                        ">\n      <system-out>{}</system-out>\n    </testcase>",
                        escape(&format!(
                            "WARNING {findings}(not failing the run):\n{reason}"
                        ))
                    );
                }
                Verdict::Accepted => {
                    let why = s.accepted.as_deref().unwrap_or("");
                    let _ = writeln!(
                        x,
                        ">\n      <system-out>{}</system-out>\n    </testcase>",
                        escape(&format!(
                            "ACCEPTED {findings}(accepted: {why}; not failing the run):\n{reason}"
                        ))
                    );
                }
                Verdict::NotOffered | Verdict::Skip | Verdict::NotApplicable => {
                    let msg = match s.verdict {
                        Verdict::NotOffered => {
                            format!("optional (MAY), declined by the target: {first}")
                        }
                        Verdict::NotApplicable => format!("not applicable: {reason}"),
                        _ => format!("skipped: {reason}"),
                    };
                    let _ = writeln!(
                        x,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        escape(&msg)
                    );
                }
            }
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

/// "[F1, F4] " naming the findings a scenario is listed under.
fn finding_ids(report: &RunReport, feature: &str, s: &ScenarioReport) -> String {
    let ids: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| {
            f.scenarios
                .iter()
                .any(|a| a.feature == feature && a.line == s.line && a.scenario == s.name)
        })
        .map(|f| f.id.as_str())
        .collect();
    if ids.is_empty() {
        String::new()
    } else {
        format!("[{}] ", ids.join(", "))
    }
}

/// Writes the JUnit XML file.
pub fn write(report: &RunReport, path: &Path) -> Result<(), ReportError> {
    write_file(path, &render(report))
}
