//! Accepted deviations: a vendor's written decision that a known failure does not fail its gate.
//!
//! An accepted scenario is still run and still shown ("accepted: <reason>"), so the deviation
//! stays visible. One that passes again is reported as no longer needed, so the list shrinks
//! as the server improves; one past its expiry date fails the run again, so nothing is
//! accepted forever by accident.

use super::{RunReport, Verdict};
use chrono::NaiveDate;
use serde::Serialize;

/// One accepted deviation, as written in `scim-harness.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acceptance {
    /// A finding key (as in the JSON report), a statement id tag (`R-ERR`, `E-DV-04`), or a
    /// scenario name (an outline's name covers all its rows).
    pub id: String,
    pub reason: String,
    /// Last day the acceptance holds; from the day after it fails the run again.
    pub expires: Option<NaiveDate>,
}

/// What became of an acceptance in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AcceptanceStatus {
    /// It turned at least one failure, warning or blocked scenario into "accepted".
    Applied,
    /// What it names ran and passed, or the finding it names no longer occurs: remove it.
    NoLongerNeeded,
    /// Past its expiry date: what it names is judged as usual again.
    Expired,
    /// No scenario of this run has that name or tag (filtered out, or misspelt).
    Unmatched,
}

/// An acceptance with its effect, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct AcceptanceResult {
    pub id: String,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<NaiveDate>,
    pub status: AcceptanceStatus,
    /// "feature: scenario" of every scenario it turned into "accepted".
    pub scenarios: Vec<String>,
}

impl AcceptanceResult {
    /// One line for the terminal and the reports.
    pub fn describe(&self) -> String {
        let until = self
            .expires
            .map(|d| format!(" (until {d})"))
            .unwrap_or_default();
        match self.status {
            AcceptanceStatus::Applied => format!(
                "accepted {}{until}: {} — {} scenario{}",
                self.id,
                self.reason,
                self.scenarios.len(),
                if self.scenarios.len() == 1 { "" } else { "s" }
            ),
            AcceptanceStatus::NoLongerNeeded => format!(
                "no longer needed: {} passes now (or its finding no longer occurs); remove it from the configuration",
                self.id
            ),
            AcceptanceStatus::Expired => format!(
                "expired: {} expired on {}; it is judged as usual again ({})",
                self.id,
                self.expires.map(|d| d.to_string()).unwrap_or_default(),
                self.reason
            ),
            AcceptanceStatus::Unmatched => format!(
                "unmatched: {} names no scenario, statement tag or finding of this run (filtered out by tags, or misspelt?)",
                self.id
            ),
        }
    }
}

/// True when `id` looks like a finding key: 12 lower-case hex digits.
fn is_finding_key(id: &str) -> bool {
    id.len() == 12
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// True when `id` names the scenario: its name, or the name of the outline it is a row of
/// (rows are named "<outline name> (<example>)").
fn names(scenario: &str, id: &str) -> bool {
    scenario == id
        || scenario
            .strip_prefix(id)
            .is_some_and(|rest| rest.starts_with(" (") && rest.ends_with(')'))
}

/// Verdicts an acceptance may turn into "accepted".
fn acceptable(v: Verdict) -> bool {
    matches!(v, Verdict::Fail | Verdict::Warn | Verdict::Blocked)
}

/// Applies the acceptances to a finished report: turns the scenarios and findings they cover
/// into "accepted", records what became of each, and recounts.
pub fn apply(report: &mut RunReport, list: &[Acceptance], today: NaiveDate) {
    let mut results = Vec::with_capacity(list.len());
    for a in list {
        let id = a.id.trim().trim_start_matches('@');
        let expired = a.expires.is_some_and(|d| d < today);
        let mut result = AcceptanceResult {
            id: a.id.clone(),
            reason: a.reason.clone(),
            expires: a.expires,
            status: AcceptanceStatus::Unmatched,
            scenarios: Vec::new(),
        };
        let by_key = is_finding_key(id);
        // Findings named by key, and the scenarios each lists.
        let keyed: Vec<usize> = (0..report.findings.len())
            .filter(|&i| by_key && report.findings[i].key == id)
            .collect();
        let mut named_any = !keyed.is_empty();
        let mut acceptable_any = false;
        for f in &mut report.features {
            for s in &mut f.scenarios {
                let by_name = names(&s.name, id) || s.tags.iter().any(|t| t == id);
                let by_finding = keyed.iter().any(|&i| {
                    report.findings[i]
                        .scenarios
                        .iter()
                        .any(|x| x.feature == f.name && x.line == s.line && x.scenario == s.name)
                });
                if !(by_name || by_finding) {
                    continue;
                }
                named_any = true;
                if !acceptable(s.verdict) && s.verdict != Verdict::Accepted {
                    continue;
                }
                acceptable_any = true;
                if expired {
                    continue;
                }
                // A scenario named by finding is accepted only when that finding is all that
                // failed it; any other failure still counts.
                let covered = by_name
                    || report
                        .findings
                        .iter()
                        .enumerate()
                        .filter(|(_, x)| {
                            x.scenarios.iter().any(|y| {
                                y.feature == f.name && y.line == s.line && y.scenario == s.name
                            })
                        })
                        .all(|(i, x)| keyed.contains(&i) || x.accepted.is_some());
                if covered {
                    s.verdict = Verdict::Accepted;
                    s.accepted = Some(a.reason.clone());
                    result.scenarios.push(format!("{}: {}", f.name, s.name));
                }
            }
        }
        if !expired {
            for &i in &keyed {
                report.findings[i].accepted = Some(a.reason.clone());
            }
        }
        result.status = if expired {
            AcceptanceStatus::Expired
        } else if !result.scenarios.is_empty() || (acceptable_any && !keyed.is_empty()) {
            AcceptanceStatus::Applied
        } else if named_any || by_key {
            AcceptanceStatus::NoLongerNeeded
        } else {
            AcceptanceStatus::Unmatched
        };
        results.push(result);
    }
    // A finding every one of whose scenarios was accepted is accepted with them.
    for fi in 0..report.findings.len() {
        if report.findings[fi].accepted.is_some() {
            continue;
        }
        let mut reason = None;
        let all = report.findings[fi].scenarios.iter().all(|x| {
            report
                .features
                .iter()
                .filter(|f| f.name == x.feature)
                .flat_map(|f| f.scenarios.iter())
                .find(|s| s.line == x.line && s.name == x.scenario)
                .is_some_and(|s| {
                    if s.verdict == Verdict::Accepted {
                        reason = reason.take().or_else(|| s.accepted.clone());
                        true
                    } else {
                        false
                    }
                })
        });
        if all && !report.findings[fi].scenarios.is_empty() {
            report.findings[fi].accepted = reason;
        }
    }
    // Each finding lists its accepted scenarios as such.
    for fi in 0..report.findings.len() {
        for ai in 0..report.findings[fi].scenarios.len() {
            let x = &report.findings[fi].scenarios[ai];
            let accepted = report
                .features
                .iter()
                .filter(|f| f.name == x.feature)
                .flat_map(|f| f.scenarios.iter())
                .any(|s| {
                    s.line == x.line && s.name == x.scenario && s.verdict == Verdict::Accepted
                });
            if accepted {
                report.findings[fi].scenarios[ai].effect = "accepted";
            }
        }
    }
    report.accepted = results;
    report.recount();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outline_name_names_every_row() {
        let outline = "Errors use the SCIM media type";
        assert!(names(
            "Errors use the SCIM media type (read a user)",
            outline
        ));
        assert!(names(outline, outline));
        assert!(!names("Errors use the SCIM media type everywhere", outline));
        assert!(!names("Errors use the SCIM", outline));
    }

    #[test]
    fn finding_keys_are_twelve_hex_digits() {
        assert!(is_finding_key("0123456789ab"));
        assert!(!is_finding_key("R-ERR"));
        assert!(!is_finding_key("0123456789AB"));
        assert!(!is_finding_key("0123456789a"));
    }
}
