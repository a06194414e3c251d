//! Assertion failures that explain themselves: the RFC section, the statement, what was
//! expected, what came back, and the request and response that showed it (token redacted).
//!
//! Steps return `Result<(), Failure>`; cucumber turns the `Err` into a failed step whose
//! message is this type's `Display`, which the recorder keeps for the reports.

use serde::Serialize;
use std::fmt;

/// A failure message starting with this marker is a skip, not a failure: the step found that
/// the scenario does not apply to this target (e.g. the target has no authentication).
pub const SKIP_MARKER: &str = "skipped: ";

/// Request bodies and responses are cut to this many characters in messages.
const MAX_SHOWN: usize = 3000;

/// One HTTP exchange as it is shown in a failure message.
#[derive(Debug, Clone, Default, Serialize)]
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

fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_SHOWN {
        return s.to_string();
    }
    let head: String = s.chars().take(MAX_SHOWN).collect();
    format!("{head}... ({} characters in all)", s.chars().count())
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  request:  {} {}", self.method, self.url)?;
        for (k, v) in &self.headers {
            writeln!(f, "            {k}: {v}")?;
        }
        if let Some(b) = &self.body {
            writeln!(f, "            {}", cut(b))?;
        }
        writeln!(f, "  response: {}", self.status)?;
        for (k, v) in &self.response_headers {
            writeln!(f, "            {k}: {v}")?;
        }
        if !self.response.is_empty() {
            writeln!(f, "            {}", cut(&self.response))?;
        }
        Ok(())
    }
}

/// A failed expectation (or a skip, see [`SKIP_MARKER`]).
#[derive(Debug, Clone)]
pub struct Failure {
    /// Where the rule is written, e.g. "RFC 7644 §3.3".
    pub source: String,
    /// The rule in words.
    pub statement: String,
    pub expected: String,
    pub actual: String,
    /// Boxed: a failure travels through every `?` of a step, and most carry no exchange.
    pub exchange: Option<Box<Exchange>>,
    pub skip: bool,
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
            exchange: None,
            skip: false,
        }
    }

    /// The scenario does not apply to this target.
    pub fn skip(reason: impl Into<String>) -> Failure {
        Failure {
            source: String::new(),
            statement: reason.into(),
            expected: String::new(),
            actual: String::new(),
            exchange: None,
            skip: true,
        }
    }

    /// A defect of the suite or the scenario data (not of the target).
    pub fn suite(statement: impl Into<String>) -> Failure {
        Failure::new("suite", statement, "", "")
    }

    /// Attaches the exchange that showed the failure.
    pub fn with(mut self, exchange: Option<&Exchange>) -> Failure {
        if self.exchange.is_none() {
            self.exchange = exchange.cloned().map(Box::new);
        }
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.skip {
            return write!(f, "{SKIP_MARKER}{}", self.statement);
        }
        writeln!(f, "[{}] {}", self.source, self.statement)?;
        if !self.expected.is_empty() || !self.actual.is_empty() {
            writeln!(f, "  expected: {}", self.expected)?;
            writeln!(f, "  actual:   {}", self.actual)?;
        }
        if let Some(x) = &self.exchange {
            write!(f, "{x}")?;
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
        assert!(text.starts_with("[RFC 7644 §3.3] create answers 201"));
        assert!(text.contains("expected: 201") && text.contains("actual:   200"));
        assert!(text.contains("request:  POST http://t/Users"));
        assert!(
            Failure::skip("no auth")
                .to_string()
                .starts_with(SKIP_MARKER)
        );
    }
}
