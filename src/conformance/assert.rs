//! Assertion failures that explain themselves: the sentence they enforce and its source, the
//! level of that sentence, what was expected, what came back, and the request and response
//! that showed it (token redacted).
//!
//! Steps return `Result<(), Failure>`. Cucumber only keeps the `Display` text of an `Err`, so
//! the text ends with the failure itself as JSON after [`STRUCTURED_MARKER`]; the recorder
//! reads it back, which is how the reports group failures into findings by root cause.

use crate::report::Level;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A failure message starting with this marker is a skip, not a failure: the step found that
/// the scenario does not apply to this target (e.g. the target has no authentication).
pub const SKIP_MARKER: &str = "skipped: ";

/// Separates a failure's human text from its JSON form in a step's error text.
pub const STRUCTURED_MARKER: char = '\u{1e}';

/// Request bodies and responses are cut to this many characters in messages.
const MAX_SHOWN: usize = 600;

/// One HTTP exchange as it is shown in a failure message.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    /// Request headers other than `Authorization`.
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub response: String,
}

/// Cuts text for a message: at most [`MAX_SHOWN`] characters, saying how long it was.
pub fn cut(s: &str) -> String {
    let n = s.chars().count();
    if n <= MAX_SHOWN {
        return s.to_string();
    }
    let head: String = s.chars().take(MAX_SHOWN).collect();
    format!("{head}... ({n} characters in all)")
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  request:  {} {}", self.method, cut(&self.url))?;
        for (k, v) in &self.headers {
            writeln!(f, "            {k}: {}", cut(v))?;
        }
        if let Some(b) = &self.body {
            writeln!(f, "            {}", cut(b))?;
        }
        writeln!(f, "  response: {}", self.status)?;
        for (k, v) in &self.response_headers {
            writeln!(f, "            {k}: {}", cut(v))?;
        }
        if !self.response.is_empty() {
            writeln!(f, "            {}", cut(&self.response))?;
        }
        Ok(())
    }
}

/// What a failure means for its scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The target does not do what the sentence says.
    #[default]
    Check,
    /// The scenario could not test its subject (a setup or precondition failed): it is
    /// blocked, and the failure is the finding that blocked it. Failures in `Given` steps are
    /// blocking whatever their kind.
    Blocking,
    /// The target's own schema does not declare what the check needs.
    NotApplicable,
    /// The scenario does not apply to this target (see [`SKIP_MARKER`]).
    Skip,
    /// A defect of the suite or of its scenario data, not of the target.
    Suite,
}

/// A failed expectation (or a skip, a not-applicable, a defect of the suite).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Failure {
    /// Where the sentence is written, e.g. "RFC 7644 §3.3".
    pub source: String,
    /// The sentence in words.
    pub statement: String,
    pub expected: String,
    pub actual: String,
    /// The level of the sentence itself; `None` takes the scenario's level. A check that is
    /// weaker than its scenario (an OPTIONAL scimType in a MUST scenario) names its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    #[serde(default)]
    pub kind: Kind,
    /// Boxed: a failure travels through every `?` of a step, and most carry no exchange.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<Box<Exchange>>,
    /// Further failed checks of the same step: every assertion is reported, not only the first.
    /// Boxed for the same reason as the exchange.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub also: Option<Box<Vec<Failure>>>,
    /// A property of the server as a whole (the shape of its error bodies, its media type):
    /// one finding whatever request showed it.
    #[serde(default)]
    pub general: bool,
}

impl Failure {
    /// A failed expectation.
    pub fn new(
        source: impl Into<String>,
        statement: impl Into<String>,
        expected: impl fmt::Display,
        actual: impl fmt::Display,
    ) -> Failure {
        Failure {
            source: source.into(),
            statement: statement.into(),
            expected: expected.to_string(),
            actual: actual.to_string(),
            level: None,
            kind: Kind::Check,
            exchange: None,
            also: None,
            general: false,
        }
    }

    /// The scenario does not apply to this target.
    pub fn skip(reason: impl Into<String>) -> Failure {
        Failure {
            kind: Kind::Skip,
            ..Failure::new("", reason, "", "")
        }
    }

    /// The target's schema does not declare what the check needs.
    pub fn not_applicable(reason: impl Into<String>) -> Failure {
        Failure {
            kind: Kind::NotApplicable,
            ..Failure::new("", reason, "", "")
        }
    }

    /// A defect of the suite or the scenario data (not of the target).
    pub fn suite(statement: impl Into<String>) -> Failure {
        Failure {
            kind: Kind::Suite,
            ..Failure::new("suite", statement, "", "")
        }
    }

    /// Attaches the exchange that showed the failure.
    pub fn with(mut self, exchange: Option<&Exchange>) -> Failure {
        if self.exchange.is_none() {
            self.exchange = exchange.cloned().map(Box::new);
        }
        self
    }

    /// Gives the failure the level of its own sentence.
    pub fn at(mut self, level: Level) -> Failure {
        self.level = Some(level);
        self
    }

    /// Marks a check of the server as a whole (see [`Failure::general`]).
    pub fn general(mut self) -> Failure {
        self.general = true;
        self
    }

    /// Makes the failure block its scenario instead of failing it.
    pub fn blocking(mut self) -> Failure {
        if self.kind == Kind::Check {
            self.kind = Kind::Blocking;
        }
        self
    }

    /// Whether this failure only says the scenario does not apply (skip or not applicable).
    pub fn is_skip(&self) -> bool {
        matches!(self.kind, Kind::Skip | Kind::NotApplicable)
    }

    /// This failure and the further ones of the same step.
    pub fn all(&self) -> impl Iterator<Item = &Failure> {
        std::iter::once(self).chain(self.more())
    }

    fn more(&self) -> impl Iterator<Item = &Failure> {
        self.also.iter().flat_map(|a| a.iter())
    }

    /// Reads a failure back from a step's error text (see [`STRUCTURED_MARKER`]).
    pub fn from_text(text: &str) -> Option<Failure> {
        let (_, json) = text.split_once(STRUCTURED_MARKER)?;
        serde_json::from_str(json).ok()
    }

    /// The human part of a step's error text.
    pub fn human(text: &str) -> &str {
        text.split_once(STRUCTURED_MARKER).map_or(text, |(h, _)| h)
    }

    fn write_one(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "[{}] {}", self.source, self.statement)?;
        if !self.expected.is_empty() || !self.actual.is_empty() {
            writeln!(f, "  expected: {}", cut(&self.expected))?;
            writeln!(f, "  actual:   {}", cut(&self.actual))?;
        }
        Ok(())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == Kind::Skip {
            return write!(f, "{SKIP_MARKER}{}", self.statement);
        }
        if self.kind == Kind::NotApplicable {
            write!(f, "not applicable: {}", self.statement)?;
        } else {
            self.write_one(f)?;
            for more in self.more() {
                more.write_one(f)?;
            }
            if let Some(x) = self
                .exchange
                .as_ref()
                .or_else(|| self.more().find_map(|a| a.exchange.as_ref()))
            {
                write!(f, "{x}")?;
            }
        }
        if let Ok(json) = serde_json::to_string(self) {
            write!(f, "{STRUCTURED_MARKER}{json}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

/// The result of a step.
pub type StepResult = Result<(), Failure>;

/// Checks a condition; on failure builds a [`Failure`] with the exchange attached.
pub fn ensure(
    cond: bool,
    exchange: Option<&Exchange>,
    source: &str,
    statement: &str,
    expected: impl fmt::Display,
    actual: impl fmt::Display,
) -> StepResult {
    if cond {
        Ok(())
    } else {
        Err(Failure::new(source, statement, expected, actual).with(exchange))
    }
}

/// Evaluates every check of a step and reports all that failed, not only the first.
#[derive(Debug, Default)]
pub struct Checks {
    failed: Vec<Failure>,
}

impl Checks {
    pub fn new() -> Checks {
        Checks::default()
    }

    /// Records the outcome of one check (a skip or a suite defect stops the step at once).
    pub fn add(&mut self, result: StepResult) -> StepResult {
        match result {
            Ok(()) => Ok(()),
            Err(f) if f.is_skip() || f.kind == Kind::Suite => Err(f),
            Err(f) => {
                self.failed.push(f);
                Ok(())
            }
        }
    }

    /// The step's result: the first failure carrying the others.
    pub fn finish(self) -> StepResult {
        let mut it = self.failed.into_iter();
        match it.next() {
            None => Ok(()),
            Some(mut first) => {
                let rest: Vec<Failure> = it.collect();
                if !rest.is_empty() {
                    first.also = Some(Box::new(rest));
                }
                Err(first)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_source_expectation_and_exchange() {
        let x = Exchange {
            method: "POST".into(),
            url: "http://t/Users".into(),
            body: Some("{}".into()),
            status: 200,
            response: "{\"id\":\"1\"}".into(),
            ..Default::default()
        };
        let f = Failure::new("RFC 7644 §3.3", "create answers 201", 201, 200).with(Some(&x));
        let text = f.to_string();
        let human = Failure::human(&text);
        assert!(human.starts_with("[RFC 7644 §3.3] create answers 201"));
        assert!(human.contains("expected: 201") && human.contains("actual:   200"));
        assert!(human.contains("request:  POST http://t/Users"));
        assert!(
            Failure::skip("no auth")
                .to_string()
                .starts_with(SKIP_MARKER)
        );
    }

    #[test]
    fn the_structured_form_survives_the_text() {
        let f = Failure::new("RFC 7644 §3.12", "scimType", "invalidValue", "(absent)")
            .at(Level::Should)
            .blocking();
        let back = Failure::from_text(&f.to_string()).expect("parses back");
        assert_eq!(back.level, Some(Level::Should));
        assert_eq!(back.kind, Kind::Blocking);
        assert_eq!(back.statement, "scimType");
    }

    #[test]
    fn every_failed_check_is_kept() {
        let mut c = Checks::new();
        c.add(ensure(false, None, "a", "first", 1, 2))
            .expect("not a skip");
        c.add(ensure(true, None, "b", "passes", 1, 1))
            .expect("passes");
        c.add(ensure(false, None, "c", "second", 1, 2))
            .expect("not a skip");
        let f = c.finish().expect_err("two failed");
        let names: Vec<&str> = f.all().map(|x| x.statement.as_str()).collect();
        assert_eq!(names, ["first", "second"]);
        assert!(Failure::human(&f.to_string()).contains("[c] second"));
    }

    #[test]
    fn long_bodies_are_cut() {
        let s = "x".repeat(1_000_000);
        let shown = cut(&s);
        assert!(shown.len() < 700 && shown.ends_with("(1000000 characters in all)"));
    }
}
