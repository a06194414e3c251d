//! Findings: failures grouped by root cause.
//!
//! One server bug fails or blocks many scenarios. A vendor needs the bug once, with the
//! scenarios it affects listed under it, so every report leads with findings. A finding is
//! the same sentence failed the same way: same statement, same expectation and observation,
//! same request shape and status, same words from the server. Values that differ only per
//! scenario (ids, the suite's unique suffixes, quoted names) are normalised away first.

use super::{FeatureReport, Level};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What a failed check means for its scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    /// The target does not do what the sentence says.
    Check,
    /// A setup or precondition failed: the scenarios are blocked by it.
    Blocking,
    /// A defect of the suite, not of the target.
    Suite,
}

/// Whose sentence a finding enforces: the RFCs', an identity provider's documentation, or
/// none (a defect of the suite). Reported in separate sections with their own counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    Rfc,
    Entra,
    Suite,
}

impl Area {
    pub fn title(self) -> &'static str {
        match self {
            Area::Rfc => "SCIM 2.0 (RFC 7643 / RFC 7644)",
            Area::Entra => "Microsoft Entra ID provisioning",
            Area::Suite => "defects of the suite (not of the target)",
        }
    }
}

/// One failed check of one step, as recorded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckRecord {
    /// A property of the server as a whole: grouped whatever request showed it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub general: bool,
    pub source: String,
    pub statement: String,
    pub expected: String,
    pub actual: String,
    /// The sentence's own level; `None` means the scenario's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    pub kind: CheckKind,
    /// `METHOD /path` of the request that showed it, ids and query values normalised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The server's own words: scimType and detail of its error body, cut short.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_detail: Option<String>,
    /// The exchange as shown in messages (cut, token redacted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<String>,
}

impl CheckRecord {
    /// The level this check fails at in a scenario of `scenario` level.
    pub fn level_in(&self, scenario: Level) -> Level {
        match self.kind {
            CheckKind::Blocking | CheckKind::Suite => self.level.unwrap_or(Level::Must),
            CheckKind::Check => self.level.map_or(scenario, |l| l.min(scenario)),
        }
    }

    /// The target declined an optional behaviour: it answered with the allowed alternative
    /// (a 2xx), with 501, or with a 4xx whose words say it is not supported. Any other error
    /// (a 5xx, a bare 404) is a finding, not a choice.
    pub fn declined(&self) -> bool {
        let said = self
            .server_detail
            .as_deref()
            .unwrap_or("")
            .to_ascii_lowercase();
        let says_unsupported = ["not supported", "unsupported", "not implemented"]
            .iter()
            .any(|w| said.contains(w));
        match self.status {
            Some(501) => true,
            Some(s) if (200..400).contains(&s) => true,
            Some(s) if (400..500).contains(&s) => says_unsupported,
            _ => false,
        }
    }

    pub fn area(&self) -> Area {
        if self.kind == CheckKind::Suite {
            Area::Suite
        } else if self.source.contains("Entra") || self.source.contains("Microsoft") {
            Area::Entra
        } else {
            Area::Rfc
        }
    }

    /// What the target did, in one line.
    pub fn observed(&self) -> String {
        let mut out = String::new();
        let status = self.status.map(|s| s.to_string());
        if let Some(r) = &self.request {
            out.push_str(r);
            if let Some(s) = &status {
                out.push_str(&format!(" answered {s}"));
            }
            if status.as_deref() != Some(self.actual.as_str()) {
                out.push_str(": ");
                out.push_str(&self.actual);
            }
        } else {
            out.push_str(&self.actual);
        }
        if let Some(d) = &self.server_detail {
            out.push_str(&format!(" (the server says: {d})"));
        }
        out
    }

    fn key(&self) -> String {
        if self.general {
            let shape: String = self
                .actual
                .chars()
                .filter(|c| !c.is_ascii_digit())
                .collect();
            return [
                format!("{:?}", self.area()),
                self.source.clone(),
                normalise(&self.statement),
                normalise(&shape),
            ]
            .join("\u{1f}");
        }
        [
            format!("{:?}", self.area()),
            normalise(&self.source),
            normalise(&self.statement),
            normalise(&self.expected),
            normalise(&self.actual),
            self.request.clone().unwrap_or_default(),
            self.status.map(|s| s.to_string()).unwrap_or_default(),
            normalise(self.server_detail.as_deref().unwrap_or("")),
        ]
        .join("\u{1f}")
    }
}

/// A scenario a finding fails or blocks.
#[derive(Debug, Clone, Serialize)]
pub struct Affected {
    pub feature: String,
    pub scenario: String,
    pub line: usize,
    /// "failed", "warning", "blocked" or "accepted".
    pub effect: &'static str,
    pub level: Level,
}

/// A root cause.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// `F1`, `F2`, ... in report order.
    pub id: String,
    /// A stable fingerprint of the root cause (the same across runs and targets).
    pub key: String,
    pub level: Level,
    pub area: Area,
    pub source: String,
    pub statement: String,
    pub expected: String,
    /// What the target actually does, in one line.
    pub observed: String,
    pub failed: usize,
    pub blocked: usize,
    pub scenarios: Vec<Affected>,
    /// One exchange that shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    /// The reason of the accepted deviation that covers it: it no longer fails the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<String>,
}

impl Finding {
    pub fn reach(&self) -> usize {
        self.scenarios.len()
    }
}

/// Replaces what varies per scenario (ids, numbers, quoted names) so one cause has one key.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_quote = false;
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let digits = word.chars().filter(char::is_ascii_digit).count();
        let hexish = word.len() >= 16 && word.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        // A number in a path (`/Users/72`) is an id, whatever its length.
        let path_id = digits == word.len() && digits > 0 && out.ends_with('/');
        if hexish || digits >= 5 || path_id {
            out.push('…');
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c == '"' {
            flush(&mut word, &mut out);
            if in_quote {
                out.push_str("…\"");
            } else {
                out.push('"');
            }
            in_quote = !in_quote;
            continue;
        }
        if in_quote {
            continue;
        }
        if c.is_alphanumeric() || c == '-' || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// A short stable hash (FNV-1a) for finding keys.
fn fingerprint(text: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{:012x}", h & 0xffff_ffff_ffff)
}

/// Groups every failed check of every scenario into findings, strongest and widest first.
pub fn group(features: &[FeatureReport]) -> Vec<Finding> {
    let mut by_key: HashMap<String, Finding> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for f in features {
        for s in &f.scenarios {
            let blocked = s.verdict == super::Verdict::Blocked;
            for (_, c) in s.checks() {
                let level = c.level_in(s.level);
                if c.kind == CheckKind::Check && level == Level::May && c.declined() {
                    continue;
                }
                let key = c.key();
                let entry = by_key.entry(key.clone()).or_insert_with(|| {
                    order.push(key.clone());
                    Finding {
                        id: String::new(),
                        key: fingerprint(&key),
                        level,
                        area: c.area(),
                        source: c.source.clone(),
                        statement: c.statement.clone(),
                        expected: c.expected.clone(),
                        observed: c.observed(),
                        failed: 0,
                        blocked: 0,
                        scenarios: Vec::new(),
                        example: c.exchange.clone(),
                        accepted: None,
                    }
                });
                entry.level = entry.level.max(level);
                let effect = if blocked {
                    "blocked"
                } else if level == Level::Must {
                    "failed"
                } else {
                    "warning"
                };
                let already = entry
                    .scenarios
                    .iter()
                    .any(|a| a.line == s.line && a.scenario == s.name && a.feature == f.name);
                if !already {
                    if blocked {
                        entry.blocked += 1;
                    } else {
                        entry.failed += 1;
                    }
                    entry.scenarios.push(Affected {
                        feature: f.name.clone(),
                        scenario: s.name.clone(),
                        line: s.line,
                        effect,
                        level: s.level,
                    });
                }
            }
        }
    }
    let mut out: Vec<Finding> = order
        .into_iter()
        .filter_map(|k| by_key.remove(&k))
        .collect();
    out.sort_by(|a, b| {
        a.area
            .cmp(&b.area)
            .then(b.level.cmp(&a.level))
            .then(b.reach().cmp(&a.reach()))
            .then(a.statement.cmp(&b.statement))
    });
    for (i, f) in out.iter_mut().enumerate() {
        f.id = format!("F{}", i + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_scenario_values_do_not_split_a_cause() {
        assert_eq!(
            normalise(
                r#"creating user "ann" answers 201 (id 3f2b9c1e-2a4b-4c1d-9e8f-112233445566)"#
            ),
            normalise(
                r#"creating user "bob" answers 201 (id 77777777-2a4b-4c1d-9e8f-112233445566)"#
            ),
        );
        assert_ne!(normalise("answers 400"), normalise("answers 409"));
    }

    fn record(status: u16, detail: &str, level: Option<Level>) -> CheckRecord {
        CheckRecord {
            general: false,
            source: "RFC 7644 §3.4.3".into(),
            statement: "search".into(),
            expected: "200".into(),
            actual: status.to_string(),
            level,
            kind: CheckKind::Check,
            request: Some("POST /Users/.search".into()),
            status: Some(status),
            server_detail: Some(detail.into()),
            exchange: None,
        }
    }

    #[test]
    fn only_an_explicit_refusal_is_declining() {
        assert!(record(501, "", None).declined());
        assert!(record(400, "invalidSyntax: search is not supported", None).declined());
        assert!(!record(500, "not supported", None).declined());
        assert!(!record(404, "Not Found", None).declined());
        assert!(
            record(204, "", None).declined(),
            "the allowed alternative is a choice"
        );
    }

    #[test]
    fn a_check_is_never_stronger_than_its_scenario() {
        let c = record(400, "", Some(Level::Must));
        assert_eq!(c.level_in(Level::Should), Level::Should);
        let weaker = record(400, "", Some(Level::May));
        assert_eq!(weaker.level_in(Level::Must), Level::May);
        assert_eq!(record(400, "", None).level_in(Level::Should), Level::Should);
    }
}
