//! A cucumber `Writer` that records every scenario into our report model instead of printing
//! cucumber's own output.
//!
//! Why our own writer: the run's verdict depends on each scenario's level (`@must`, `@should`,
//! `@may`) and on skips the suite decides (a feature the target does not advertise). Cucumber's
//! writers only know passed/failed steps, so their summaries and exit status would count a
//! failed MAY as a failure. The recorder keeps the facts (which step failed, with which
//! message, how long it took) and `RunReport::finish` turns them into verdicts in one place.
//! It keys features and scenarios by cucumber's `Source` handles, so it needs no event
//! normalisation even though scenarios run concurrently.

use super::assert::{Exchange, Failure, Kind, SKIP_MARKER};
use crate::report::{
    CheckKind, CheckRecord, FeatureReport, Level, Outcome, ScenarioReport, StepReport, StepStatus,
    Verdict,
};
use cucumber::event::{self, Cucumber, HookType, Source, StepError};
use cucumber::gherkin;
use cucumber::{Event, Writer, parser};
use std::collections::HashMap;
use std::io::Write as _;
use std::time::SystemTime;

/// One scenario in progress.
#[derive(Debug)]
struct Running {
    feature: usize,
    report: ScenarioReport,
    started: SystemTime,
    hook_failure: Option<String>,
}

/// Records a run. `echo` prints one line per finished scenario (for the command line).
#[derive(Debug, Default)]
pub struct Recorder {
    pub features: Vec<FeatureReport>,
    pub errors: Vec<String>,
    index: HashMap<Source<gherkin::Feature>, usize>,
    running: HashMap<Source<gherkin::Scenario>, Running>,
    echo: bool,
}

impl Recorder {
    pub fn new(echo: bool) -> Recorder {
        Recorder {
            echo,
            ..Default::default()
        }
    }
}

/// The text of a panic or step error.
pub fn error_text(e: &StepError) -> String {
    match e {
        StepError::Panic(info) => panic_text(info),
        other => other.to_string(),
    }
}

fn panic_text(info: &event::Info) -> String {
    if let Some(s) = info.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = info.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "the step panicked".to_string()
    }
}

fn step_report(s: &gherkin::Step, background: bool) -> StepReport {
    StepReport {
        keyword: s.keyword.trim().to_string(),
        text: s.value.clone(),
        background,
        line: s.position.line,
        status: StepStatus::NotRun,
        docstring: s.docstring.clone(),
        table: s.table.as_ref().map(|t| t.rows.clone()),
        message: None,
        setup: background || s.ty == gherkin::StepType::Given,
        checks: Vec::new(),
    }
}

/// `METHOD /path` of an exchange with ids and query values normalised, so the same request
/// shape groups across scenarios.
fn request_shape(x: &Exchange) -> String {
    let path = x
        .url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or(&x.url);
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    // The segment after a resource endpoint is an id, whatever its form (UUIDs, integers).
    let mut segments: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        let after_resource = segments
            .last()
            .is_some_and(|prev| matches!(*prev, "Users" | "Groups"));
        let is_id = after_resource && !seg.starts_with('.') && !seg.is_empty();
        segments.push(if is_id { "{id}" } else { seg });
    }
    let mut out = format!("{} {}", x.method, segments.join("/"));
    let params: Vec<&str> = query
        .split('&')
        .filter_map(|kv| kv.split('=').next())
        .filter(|k| !k.is_empty())
        .collect();
    if !params.is_empty() {
        out.push('?');
        out.push_str(
            &params
                .iter()
                .map(|p| format!("{p}=…"))
                .collect::<Vec<_>>()
                .join("&"),
        );
    }
    out
}

/// The server's own words in an error body: its scimType and detail.
fn server_detail(x: &Exchange) -> Option<String> {
    let body: serde_json::Value = serde_json::from_str(&x.response).ok()?;
    let field = |k: &str| {
        body.as_object()?
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(k))
            .and_then(|(_, v)| v.as_str().map(str::to_string))
    };
    let said: Vec<String> = [field("scimType"), field("detail")]
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .collect();
    if said.is_empty() {
        return None;
    }
    Some(
        super::assert::cut(&said.join(": "))
            .chars()
            .take(200)
            .collect(),
    )
}

/// The failed checks a step's failure carries, as the reports keep them.
fn check_records(f: &Failure) -> Vec<CheckRecord> {
    let shown = f.exchange.clone();
    f.all()
        .filter(|c| !c.is_skip())
        .map(|c| {
            let x = c.exchange.as_ref().or(shown.as_ref());
            CheckRecord {
                general: c.general,
                source: c.source.clone(),
                statement: c.statement.clone(),
                expected: c.expected.clone(),
                actual: c.actual.clone(),
                level: c.level,
                kind: match c.kind {
                    Kind::Blocking => CheckKind::Blocking,
                    Kind::Suite => CheckKind::Suite,
                    _ => CheckKind::Check,
                },
                request: x.map(|x| request_shape(x)),
                status: x.map(|x| x.status).filter(|s| *s != 0),
                server_detail: x.and_then(|x| server_detail(x)),
                exchange: x.map(|x| x.to_string()),
            }
        })
        .collect()
}

fn millis(from: SystemTime, to: SystemTime) -> u64 {
    to.duration_since(from)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Recorder {
    fn feature_index(&mut self, f: &Source<gherkin::Feature>) -> usize {
        if let Some(i) = self.index.get(f) {
            return *i;
        }
        self.features.push(FeatureReport {
            name: f.name.clone(),
            path: f.path.as_ref().map(|p| p.display().to_string()),
            description: f.description.clone(),
            tags: f.tags.clone(),
            scenarios: Vec::new(),
        });
        let i = self.features.len() - 1;
        self.index.insert(f.clone(), i);
        i
    }

    fn scenario(
        &mut self,
        feature: &Source<gherkin::Feature>,
        rule: Option<&Source<gherkin::Rule>>,
        sc: Source<gherkin::Scenario>,
        ev: event::Scenario<super::ScimWorld>,
        at: SystemTime,
    ) {
        let fi = self.feature_index(feature);
        match ev {
            event::Scenario::Started => {
                let mut steps = Vec::new();
                let backgrounds = feature
                    .background
                    .iter()
                    .chain(rule.and_then(|r| r.background.as_ref()));
                for b in backgrounds {
                    steps.extend(b.steps.iter().map(|s| step_report(s, true)));
                }
                steps.extend(sc.steps.iter().map(|s| step_report(s, false)));
                let tags: Vec<String> = feature
                    .tags
                    .iter()
                    .chain(rule.iter().flat_map(|r| r.tags.iter()))
                    .chain(sc.tags.iter())
                    .cloned()
                    .collect();
                let report = ScenarioReport {
                    name: sc.name.clone(),
                    keyword: sc.keyword.clone(),
                    line: sc.position.line,
                    level: Level::from_tags(&tags),
                    tags,
                    outcome: Outcome::Passed,
                    verdict: Verdict::Pass,
                    duration_ms: 0,
                    flaky: Vec::new(),
                    accepted: None,
                    steps,
                };
                self.running.insert(
                    sc,
                    Running {
                        feature: fi,
                        report,
                        started: at,
                        hook_failure: None,
                    },
                );
            }
            event::Scenario::Hook(HookType::Before, event::Hook::Failed(_, info)) => {
                if let Some(r) = self.running.get_mut(&sc) {
                    r.hook_failure = Some(panic_text(&info));
                }
            }
            event::Scenario::Hook(HookType::After, event::Hook::Failed(_, info)) => {
                self.errors.push(format!(
                    "after hook of \"{}\" failed: {}",
                    sc.name,
                    panic_text(&info)
                ));
            }
            event::Scenario::Hook(..) | event::Scenario::Log(_) => {}
            event::Scenario::Background(step, ev) => self.step(&sc, &step, true, ev),
            event::Scenario::Step(step, ev) => self.step(&sc, &step, false, ev),
            event::Scenario::Finished => {
                if let Some(r) = self.running.remove(&sc) {
                    self.finish(r, at);
                }
            }
        }
    }

    fn step(
        &mut self,
        sc: &Source<gherkin::Scenario>,
        step: &Source<gherkin::Step>,
        background: bool,
        ev: event::Step<super::ScimWorld>,
    ) {
        let Some(r) = self.running.get_mut(sc) else {
            return;
        };
        let Some(s) = r
            .report
            .steps
            .iter_mut()
            .find(|s| s.background == background && s.line == step.position.line)
        else {
            return;
        };
        match ev {
            event::Step::Started => {}
            event::Step::Passed(..) => s.status = StepStatus::Passed,
            event::Step::Skipped => {
                s.status = StepStatus::Undefined;
                let text = "no step definition matches this text";
                s.message = Some(text.into());
                s.checks = check_records(&Failure::suite(text));
            }
            event::Step::Failed(_, _, _, err) => {
                let text = error_text(&err);
                let structured = Failure::from_text(&text);
                let human = Failure::human(&text).to_string();
                let skip = structured
                    .as_ref()
                    .map_or(text.starts_with(SKIP_MARKER), |f| f.is_skip());
                s.status = if skip {
                    StepStatus::NotRun
                } else {
                    StepStatus::Failed
                };
                s.checks = match &structured {
                    Some(f) => check_records(f),
                    // A panic or a step's own error that is not ours: a defect of the suite.
                    None if !skip => check_records(&Failure::suite(human.clone())),
                    None => Vec::new(),
                };
                if let Some(f) = structured
                    .as_ref()
                    .filter(|f| f.kind == Kind::NotApplicable)
                {
                    s.message = Some(format!("{NOT_APPLICABLE_MARKER}{}", f.statement));
                } else {
                    s.message = Some(human);
                }
            }
        }
    }

    fn finish(&mut self, r: Running, at: SystemTime) {
        let Running {
            feature,
            mut report,
            started,
            hook_failure,
        } = r;
        report.duration_ms = millis(started, at);
        if report.tags.iter().any(|t| t == "entra-compat") {
            cite_entra(&mut report);
        }
        report.outcome = match hook_failure {
            Some(h) if h.starts_with(SKIP_MARKER) => {
                Outcome::Skipped(h[SKIP_MARKER.len()..].to_string())
            }
            Some(h) => {
                // A before hook fails only on a defect of a feature file (an unknown tag).
                if let Some(first) = report.steps.first_mut() {
                    first.checks = check_records(&Failure::suite(format!("before hook: {h}")));
                }
                Outcome::Blocked(format!("before hook: {h}"))
            }
            None => step_outcome(&report.steps),
        };
        if self.echo {
            let mark = match &report.outcome {
                Outcome::Passed => "ok  ",
                Outcome::Skipped(_) => "skip",
                Outcome::NotApplicable(_) => "n/a ",
                Outcome::Blocked(_) => "BLKD",
                Outcome::Failed(_) => match report.level {
                    Level::Must => "FAIL",
                    Level::Should => "WARN",
                    Level::May => "may ",
                },
            };
            let name = self.features.get(feature).map_or("", |f| f.name.as_str());
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{mark} {name}: {}", report.name);
            if let Outcome::Skipped(why) | Outcome::NotApplicable(why) = &report.outcome {
                let _ = writeln!(out, "     {why}");
            }
        }
        if let Some(f) = self.features.get_mut(feature) {
            f.scenarios.push(report);
        }
    }
}

/// Checks of the identity provider's profile enforce the provider's documented behaviour, not
/// an RFC sentence: they cite the provider's page for the scenario's E-* statement, keeping
/// the RFC section the request shape comes from.
fn cite_entra(report: &mut ScenarioReport) {
    let ids: Vec<&str> = report
        .tags
        .iter()
        .filter(|t| t.starts_with("E-"))
        .map(String::as_str)
        .collect();
    let page = if ids.iter().any(|i| i.starts_with("E-U-03")) {
        "Microsoft Entra ID, Known issues with SCIM 2.0 protocol compliance"
    } else {
        "Microsoft Entra ID, Develop and plan provisioning for a SCIM endpoint"
    };
    for st in &mut report.steps {
        for c in &mut st.checks {
            if c.kind != CheckKind::Suite && !c.source.contains("Entra") {
                c.source = format!("{page} ({}); shape: {}", ids.join(", "), c.source);
            }
        }
    }
}

/// A step message starting with this marks a scenario the target's schema makes not applicable.
const NOT_APPLICABLE_MARKER: &str = "not applicable: ";

/// How a scenario ended, from its steps: the first step that did not pass decides. A failure
/// in a setup step (or one marked blocking, or a defect of the suite) blocks the scenario.
fn step_outcome(steps: &[StepReport]) -> Outcome {
    for s in steps {
        match s.status {
            StepStatus::Passed => continue,
            StepStatus::NotRun => {
                return match &s.message {
                    Some(m) if m.starts_with(SKIP_MARKER) => {
                        Outcome::Skipped(m[SKIP_MARKER.len()..].to_string())
                    }
                    Some(m) if m.starts_with(NOT_APPLICABLE_MARKER) => {
                        Outcome::NotApplicable(m[NOT_APPLICABLE_MARKER.len()..].to_string())
                    }
                    _ => continue,
                };
            }
            StepStatus::Failed | StepStatus::Undefined => {
                let text = format!(
                    "{} {}: {}",
                    s.keyword,
                    s.text,
                    s.message.clone().unwrap_or_default()
                );
                if let Some(m) = s
                    .message
                    .as_ref()
                    .filter(|m| m.starts_with(NOT_APPLICABLE_MARKER))
                {
                    return Outcome::NotApplicable(m[NOT_APPLICABLE_MARKER.len()..].to_string());
                }
                let blocks = s.setup
                    || s.checks
                        .iter()
                        .any(|c| matches!(c.kind, CheckKind::Blocking | CheckKind::Suite));
                return if blocks {
                    Outcome::Blocked(text)
                } else {
                    Outcome::Failed(text)
                };
            }
        }
    }
    Outcome::Passed
}

impl Writer<super::ScimWorld> for Recorder {
    type Cli = cucumber::cli::Empty;

    async fn handle_event(
        &mut self,
        event: parser::Result<Event<Cucumber<super::ScimWorld>>>,
        _cli: &Self::Cli,
    ) {
        let ev = match event {
            Ok(ev) => ev,
            Err(e) => {
                self.errors.push(format!("cannot read a feature: {e}"));
                return;
            }
        };
        let at = ev.at;
        match ev.value {
            Cucumber::Feature(f, event::Feature::Scenario(sc, ev)) => {
                self.scenario(&f, None, sc, ev.event, at);
            }
            Cucumber::Feature(f, event::Feature::Rule(r, event::Rule::Scenario(sc, ev))) => {
                self.scenario(&f, Some(&r), sc, ev.event, at);
            }
            Cucumber::Feature(f, event::Feature::Started) => {
                self.feature_index(&f);
            }
            _ => {}
        }
    }
}

impl cucumber::writer::Normalized for Recorder {}
