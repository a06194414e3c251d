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

use super::assert::SKIP_MARKER;
use crate::report::{
    FeatureReport, Level, Outcome, ScenarioReport, StepReport, StepStatus, Verdict,
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
    }
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
                s.message = Some("no step definition matches this text".into());
            }
            event::Step::Failed(_, _, _, err) => {
                let text = error_text(&err);
                s.status = if text.starts_with(SKIP_MARKER) {
                    StepStatus::NotRun
                } else {
                    StepStatus::Failed
                };
                s.message = Some(text);
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
        let step_message = report.steps.iter().find_map(|s| match s.status {
            StepStatus::Failed | StepStatus::Undefined => {
                Some(format!("{} {}: {}", s.keyword, s.text, s.message.clone()?))
            }
            StepStatus::NotRun => s.message.clone(),
            StepStatus::Passed => None,
        });
        report.outcome = match (hook_failure, step_message) {
            (Some(h), _) if h.starts_with(SKIP_MARKER) => {
                Outcome::Skipped(h[SKIP_MARKER.len()..].to_string())
            }
            (Some(h), _) => Outcome::Failed(format!("before hook: {h}")),
            (None, Some(m)) if m.starts_with(SKIP_MARKER) => {
                Outcome::Skipped(m[SKIP_MARKER.len()..].to_string())
            }
            (None, Some(m)) => Outcome::Failed(m),
            (None, None) => Outcome::Passed,
        };
        if self.echo {
            let mark = match &report.outcome {
                Outcome::Passed => "ok  ",
                Outcome::Skipped(_) => "skip",
                Outcome::Failed(_) => match report.level {
                    Level::Must => "FAIL",
                    Level::Should => "WARN",
                    Level::May => "may ",
                },
            };
            let name = self.features.get(feature).map_or("", |f| f.name.as_str());
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{mark} {name}: {}", report.name);
            if let Outcome::Skipped(why) = &report.outcome {
                let _ = writeln!(out, "     {why}");
            }
        }
        if let Some(f) = self.features.get_mut(feature) {
            f.scenarios.push(report);
        }
    }
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
