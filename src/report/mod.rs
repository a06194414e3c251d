//! Reports of a conformance run: the result model the suite records, and the files written from
//! it (JUnit XML for CI, JSON for tools, a self-contained HTML page for product owners).
//!
//! The model is ours rather than cucumber's because a scenario's verdict depends on its RFC
//! level (`@must`, `@should`, `@may`): a failed MAY is not a failure, a failed SHOULD is a
//! warning. Every writer reads the same verdicts, so the exit code, the JUnit file and the HTML
//! page never disagree.

pub mod accepted;
pub mod findings;
pub mod html;
pub mod junit;
pub mod page;

pub use accepted::{Acceptance, AcceptanceResult, AcceptanceStatus};
pub use findings::{Area, CheckKind, CheckRecord, Finding};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Errors writing a report file.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot serialise the report: {0}")]
    Json(#[from] serde_json::Error),
}

/// The requirement level of a scenario (RFC 2119 keywords as tags). Untagged scenarios count
/// as MUST: a scenario nobody classified should not silently pass as optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    May,
    Should,
    Must,
}

impl Level {
    /// The level named by a scenario's tags (without `@`).
    pub fn from_tags<'a>(tags: impl IntoIterator<Item = &'a String>) -> Level {
        let mut level = None;
        for t in tags {
            let l = match t.to_ascii_lowercase().as_str() {
                "must" => Level::Must,
                "should" => Level::Should,
                "may" => Level::May,
                _ => continue,
            };
            level = Some(level.map_or(l, |x: Level| x.max(l)));
        }
        level.unwrap_or(Level::Must)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        }
    }
}

/// What happened to one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Passed,
    Failed,
    /// No step definition matched the text: a defect of the suite, reported as a failure.
    Undefined,
    /// Not reached (an earlier step failed or the scenario was skipped).
    NotRun,
}

/// One Gherkin step and its result.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    pub keyword: String,
    pub text: String,
    pub background: bool,
    pub line: usize,
    pub status: StepStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docstring: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<Vec<Vec<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// A `Given` or background step: its failure blocks the scenario instead of failing it.
    pub setup: bool,
    /// The checks that failed in this step, each a candidate finding.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckRecord>,
}

/// How a scenario ended, before its level is taken into account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "lowercase")]
pub enum Outcome {
    Passed,
    Failed(String),
    /// Not applicable to this target, e.g. "not advertised: sort".
    Skipped(String),
    /// The target's own schema does not declare what the scenario needs.
    NotApplicable(String),
    /// A setup step failed, so the scenario never tested its subject.
    Blocked(String),
}

impl Outcome {
    /// The message or reason, empty for a pass.
    pub fn reason(&self) -> &str {
        match self {
            Outcome::Passed => "",
            Outcome::Failed(m)
            | Outcome::Skipped(m)
            | Outcome::NotApplicable(m)
            | Outcome::Blocked(m) => m,
        }
    }
}

/// The scenario's result once its level is applied; this is what counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    /// A failed MUST (or a failed SHOULD under `--fail-on should`).
    Fail,
    /// A failed SHOULD (or a MAY answered with an error rather than declined): reported,
    /// does not fail the run.
    Warn,
    /// A MAY the target explicitly declined (501, or a 400 saying it is not supported).
    NotOffered,
    /// The target's schema does not declare what the scenario needs.
    NotApplicable,
    /// Not advertised in `/ServiceProviderConfig`, or not applicable to this target.
    Skip,
    /// A setup step failed: the scenario never tested its subject.
    Blocked,
    /// It failed (or warned, or was blocked), and the configuration accepts that deviation:
    /// shown with its reason, does not fail the run.
    Accepted,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "passed",
            Verdict::Fail => "failed",
            Verdict::Warn => "warning",
            Verdict::NotOffered => "not offered (MAY)",
            Verdict::NotApplicable => "not applicable",
            Verdict::Skip => "skipped",
            Verdict::Blocked => "blocked",
            Verdict::Accepted => "accepted",
        }
    }
}

/// One scenario (an outline contributes one per example row).
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    pub name: String,
    pub keyword: String,
    pub line: usize,
    /// Feature, rule and scenario tags, without `@`.
    pub tags: Vec<String>,
    pub level: Level,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub verdict: Verdict,
    pub duration_ms: u64,
    /// Requests that failed in transit or with a 5xx and passed when sent again: the target
    /// is unreliable under the suite's load, and the verdict rests on the second answer.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flaky: Vec<String>,
    /// The reason of the accepted deviation that covers it, when its verdict is `accepted`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<String>,
    pub steps: Vec<StepReport>,
}

impl ScenarioReport {
    /// Every failed check of the scenario with the step it failed in.
    pub fn checks(&self) -> impl Iterator<Item = (&StepReport, &CheckRecord)> {
        self.steps
            .iter()
            .flat_map(|st| st.checks.iter().map(move |c| (st, c)))
    }
}

/// One feature file.
#[derive(Debug, Clone, Serialize)]
pub struct FeatureReport {
    pub name: String,
    pub path: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub scenarios: Vec<ScenarioReport>,
}

/// Which failures fail the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    #[default]
    Must,
    Should,
}

/// Scenario counts by verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub warnings: usize,
    pub not_offered: usize,
    pub not_applicable: usize,
    pub skipped: usize,
    pub blocked: usize,
    /// Failures, warnings or blocked scenarios that an accepted deviation covers.
    pub accepted: usize,
    /// Scenarios with at least one request that only succeeded when sent again.
    pub flaky: usize,
}

impl Counts {
    pub fn total(&self) -> usize {
        self.passed
            + self.failed
            + self.warnings
            + self.not_offered
            + self.not_applicable
            + self.skipped
            + self.blocked
            + self.accepted
    }
}

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// The SCIM base URL that was tested (never the token).
    pub target: String,
    pub embedded: bool,
    pub tag_expression: Option<String>,
    pub fail_on: FailOn,
    pub started: String,
    pub duration_ms: u64,
    pub counts: Counts,
    /// Root causes, MUST first, then by how many scenarios they affect.
    pub findings: Vec<Finding>,
    pub features: Vec<FeatureReport>,
    /// Problems that are not scenario results: unparsable features, hook failures.
    pub errors: Vec<String>,
    /// The configuration's accepted deviations and what became of each.
    pub accepted: Vec<AcceptanceResult>,
    /// The run accepted any TLS certificate (`--insecure`): every page says so.
    pub insecure: bool,
}

/// What every report of an `--insecure` run (conformance, load, simulation) and the terminal
/// say about it.
pub const INSECURE_NOTE: &str = "INSECURE: TLS certificate checks were off (--insecure), so \
the target's identity was not verified and anyone on the path could read or change this \
run's traffic, credentials included";

/// The warning as an HTML paragraph, for the top of a page.
pub fn insecure_banner() -> String {
    format!(
        "<p class=insecure style=\"background:#b00020;color:#fff;padding:8px 12px;font-weight:bold\">{}</p>",
        html::escape(INSECURE_NOTE)
    )
}

impl RunReport {
    /// Applies levels to outcomes, groups failures into findings and recounts. Call once
    /// every scenario has finished.
    pub fn finish(&mut self) {
        for f in &mut self.features {
            f.scenarios.sort_by_key(|s| s.line);
            for s in &mut f.scenarios {
                s.verdict = verdict_of(s, self.fail_on);
            }
        }
        self.findings = findings::group(&self.features);
        self.recount();
    }

    /// [`finish`](Self::finish), then the accepted deviations (judged on `today`).
    pub fn finish_accepting(&mut self, list: &[Acceptance], today: chrono::NaiveDate) {
        self.finish();
        if !list.is_empty() {
            accepted::apply(self, list, today);
        }
    }

    /// Counts the scenarios by verdict.
    fn recount(&mut self) {
        let mut c = Counts::default();
        for s in self.features.iter().flat_map(|f| f.scenarios.iter()) {
            match s.verdict {
                Verdict::Pass => c.passed += 1,
                Verdict::Fail => c.failed += 1,
                Verdict::Warn => c.warnings += 1,
                Verdict::NotOffered => c.not_offered += 1,
                Verdict::NotApplicable => c.not_applicable += 1,
                Verdict::Skip => c.skipped += 1,
                Verdict::Blocked => c.blocked += 1,
                Verdict::Accepted => c.accepted += 1,
            }
            if !s.flaky.is_empty() {
                c.flaky += 1;
            }
        }
        self.counts = c;
    }

    /// Findings at MUST level (a finding that only blocks other scenarios included).
    pub fn must_findings(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.level == Level::Must && f.area != Area::Suite && f.accepted.is_none())
            .count()
    }

    /// Findings that are defects of the suite itself, not of the target.
    pub fn suite_defects(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.area == Area::Suite)
            .count()
    }

    /// The headline: "N distinct problems (M MUST)".
    pub fn headline(&self) -> String {
        let n = self
            .findings
            .iter()
            .filter(|f| f.area != Area::Suite)
            .count();
        let accepted = self
            .findings
            .iter()
            .filter(|f| f.area != Area::Suite && f.accepted.is_some())
            .count();
        let accepted = if accepted > 0 {
            format!(", {accepted} accepted")
        } else {
            String::new()
        };
        format!(
            "{n} distinct problem{} ({} MUST{accepted})",
            if n == 1 { "" } else { "s" },
            self.must_findings()
        )
    }

    /// True when no scenario failed at a level that fails the run and the suite itself ran.
    pub fn passed(&self) -> bool {
        self.counts.failed == 0 && self.must_findings() == 0 && self.errors.is_empty()
    }

    /// Every scenario with its feature, in file order.
    pub fn scenarios(&self) -> impl Iterator<Item = (&FeatureReport, &ScenarioReport)> {
        self.features
            .iter()
            .flat_map(|f| f.scenarios.iter().map(move |s| (f, s)))
    }

    /// The plain line CI reads: `N passed, N failed`.
    pub fn summary_line(&self) -> String {
        format!(
            "{} passed, {} failed",
            self.counts.passed, self.counts.failed
        )
    }

    /// The report as pretty JSON.
    pub fn write_json(&self, path: &Path) -> Result<(), ReportError> {
        let text = serde_json::to_string_pretty(self)?;
        write_file(path, &text)
    }
}

/// The verdict of an outcome at a level, for a scenario whose failures carry no levels of
/// their own.
pub fn verdict(outcome: &Outcome, level: Level, fail_on: FailOn) -> Verdict {
    match outcome {
        Outcome::Passed => Verdict::Pass,
        Outcome::Skipped(_) => Verdict::Skip,
        Outcome::NotApplicable(_) => Verdict::NotApplicable,
        Outcome::Blocked(_) => Verdict::Blocked,
        Outcome::Failed(_) => match (level, fail_on) {
            (Level::Must, _) | (Level::Should, FailOn::Should) => Verdict::Fail,
            (Level::Should, FailOn::Must) => Verdict::Warn,
            (Level::May, _) => Verdict::NotOffered,
        },
    }
}

/// A scenario's verdict: its outcome, judged by the strongest of its failed checks. A check's
/// level is its own sentence's, never stronger than the scenario's. A MAY is "not offered"
/// only when the target declined it explicitly; any other failed MAY is a warning.
fn verdict_of(s: &ScenarioReport, fail_on: FailOn) -> Verdict {
    if !matches!(s.outcome, Outcome::Failed(_)) {
        return verdict(&s.outcome, s.level, fail_on);
    }
    let checks: Vec<&CheckRecord> = s.checks().map(|(_, c)| c).collect();
    if checks.is_empty() {
        return verdict(&s.outcome, s.level, fail_on);
    }
    let strongest = checks
        .iter()
        .filter(|c| !(c.level_in(s.level) == Level::May && c.declined()))
        .map(|c| c.level_in(s.level))
        .max();
    match (strongest, fail_on) {
        (None, _) => Verdict::NotOffered,
        (Some(Level::Must), _) | (Some(Level::Should), FailOn::Should) => Verdict::Fail,
        (Some(_), _) => Verdict::Warn,
    }
}

/// Writes a file, creating its directory.
pub fn write_file(path: &Path, text: &str) -> Result<(), ReportError> {
    let io = |source| ReportError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(path, text).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_decide_verdicts() {
        let failed = Outcome::Failed("x".into());
        assert_eq!(verdict(&failed, Level::Must, FailOn::Must), Verdict::Fail);
        assert_eq!(verdict(&failed, Level::Should, FailOn::Must), Verdict::Warn);
        assert_eq!(
            verdict(&failed, Level::Should, FailOn::Should),
            Verdict::Fail
        );
        assert_eq!(
            verdict(&failed, Level::May, FailOn::Should),
            Verdict::NotOffered
        );
        assert_eq!(
            verdict(&Outcome::Skipped("s".into()), Level::Must, FailOn::Must),
            Verdict::Skip
        );
    }

    #[test]
    fn untagged_is_must_and_strongest_wins() {
        let none: Vec<String> = vec!["R-CRUD".into()];
        assert_eq!(Level::from_tags(&none), Level::Must);
        let both: Vec<String> = vec!["may".into(), "should".into()];
        assert_eq!(Level::from_tags(&both), Level::Should);
    }
}
