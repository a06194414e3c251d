//! Who is provisioned: the scope (*assigned users and groups only* or *all users and groups*)
//! and the scoping filters (E-SC-01).
//!
//! Clauses within one scoping filter are AND-ed, separate scoping filters are OR-ed, and a
//! clause on a null or empty value is false, whatever the operator (so `NOT REGEX MATCH` on a
//! null is false too); only `IS NULL` is true there.

use crate::provisioning::mapping::{Source, UserView};
use crate::provisioning::tenant::{SourceGroup, SourceUser, Tenant};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;

/// Whom the job considers at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Scope {
    /// Users and groups assigned to the app (directly, or users through an assigned group).
    #[default]
    Assigned,
    /// Every user and group of the tenant.
    All,
}

/// The operators of the provider's scoping filter clauses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Operator {
    Equals,
    NotEquals,
    IsTrue,
    IsFalse,
    IsNull,
    IsNotNull,
    RegexMatch,
    NotRegexMatch,
    GreaterThan,
    GreaterThanOrEquals,
    EndsWith,
    Includes,
}

impl Operator {
    /// The operator from the words the portal shows (`NOT EQUALS`, `Greater_Than`, ...).
    pub fn from_words(w: &str) -> Option<Operator> {
        let k: String = w
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .collect::<String>()
            .to_ascii_uppercase();
        Some(match k.as_str() {
            "EQUALS" => Operator::Equals,
            "NOTEQUALS" => Operator::NotEquals,
            "ISTRUE" => Operator::IsTrue,
            "ISFALSE" => Operator::IsFalse,
            "ISNULL" => Operator::IsNull,
            "ISNOTNULL" => Operator::IsNotNull,
            "REGEXMATCH" => Operator::RegexMatch,
            "NOTREGEXMATCH" => Operator::NotRegexMatch,
            "GREATERTHAN" => Operator::GreaterThan,
            "GREATERTHANOREQUALS" => Operator::GreaterThanOrEquals,
            "ENDSWITH" => Operator::EndsWith,
            "INCLUDES" => Operator::Includes,
            _ => return None,
        })
    }
    fn takes_value(self) -> bool {
        !matches!(
            self,
            Operator::IsTrue | Operator::IsFalse | Operator::IsNull | Operator::IsNotNull
        )
    }
}

/// One clause: `department EQUALS "Sales"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clause {
    pub attribute: String,
    pub operator: Operator,
    #[serde(default)]
    pub value: String,
}

/// Why scoping could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ScopingError {
    #[error("scoping clause '{0}': expected ATTRIBUTE OPERATOR [\"value\"]")]
    Clause(String),
    #[error("scoping clause '{clause}': bad regular expression: {source}")]
    Regex {
        clause: String,
        #[source]
        source: regex::Error,
    },
    #[error("cannot read the scoping file {path}: {msg}")]
    File { path: String, msg: String },
}

impl Clause {
    /// Reads `country NOT EQUALS "DE"`, `manager IS NULL`, `title Greater_Than "3"`.
    pub fn parse(text: &str) -> Result<Clause, ScopingError> {
        let bad = || ScopingError::Clause(text.to_string());
        let text = text.trim();
        let (head, value) = match text.find('"') {
            Some(q) => {
                let v = text[q + 1..].strip_suffix('"').ok_or_else(bad)?;
                (&text[..q], v.to_string())
            }
            None => (text, String::new()),
        };
        let mut words = head.split_whitespace();
        let attribute = words.next().ok_or_else(bad)?.to_string();
        let op_words: Vec<&str> = words.collect();
        let operator = Operator::from_words(&op_words.join(" ")).ok_or_else(bad)?;
        if operator.takes_value() && !text.contains('"') {
            return Err(bad());
        }
        let clause = Clause {
            attribute,
            operator,
            value,
        };
        clause.check()?;
        Ok(clause)
    }

    fn check(&self) -> Result<(), ScopingError> {
        if matches!(
            self.operator,
            Operator::RegexMatch | Operator::NotRegexMatch
        ) {
            regex::Regex::new(&self.value).map_err(|source| ScopingError::Regex {
                clause: format!("{} {:?}", self.attribute, self.operator),
                source,
            })?;
        }
        Ok(())
    }

    /// Whether an object satisfies the clause. Null or empty values are false except for
    /// `IS NULL`.
    pub fn eval(&self, src: &dyn Source) -> bool {
        let v = src.attr(&self.attribute).filter(|s| !s.is_empty());
        let Some(v) = v else {
            return self.operator == Operator::IsNull;
        };
        let num = |s: &str| s.trim().parse::<f64>().ok();
        let regex = || regex::Regex::new(&self.value).ok();
        match self.operator {
            Operator::Equals => v == self.value,
            Operator::NotEquals => v != self.value,
            Operator::IsTrue => v.eq_ignore_ascii_case("true"),
            Operator::IsFalse => v.eq_ignore_ascii_case("false"),
            Operator::IsNull => false,
            Operator::IsNotNull => true,
            Operator::RegexMatch => regex().is_some_and(|r| r.is_match(&v)),
            Operator::NotRegexMatch => regex().is_some_and(|r| !r.is_match(&v)),
            Operator::GreaterThan => match (num(&v), num(&self.value)) {
                (Some(a), Some(b)) => a > b,
                _ => v.as_str() > self.value.as_str(),
            },
            Operator::GreaterThanOrEquals => match (num(&v), num(&self.value)) {
                (Some(a), Some(b)) => a >= b,
                _ => v.as_str() >= self.value.as_str(),
            },
            Operator::EndsWith => v.ends_with(&self.value),
            Operator::Includes => v.contains(&self.value),
        }
    }
}

/// One scoping filter: its clauses are AND-ed.
pub type ScopingFilter = Vec<Clause>;

/// The scoping configuration of one job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Scoping {
    pub scope: Scope,
    /// OR-ed user scoping filters; none means every user passes.
    pub user_filters: Vec<ScopingFilter>,
    /// OR-ed group scoping filters.
    pub group_filters: Vec<ScopingFilter>,
    /// Leave users who leave scope untouched instead of disabling them (E-SC-02).
    pub skip_out_of_scope_deletions: bool,
}

fn passes(filters: &[ScopingFilter], src: &dyn Source) -> bool {
    filters.is_empty() || filters.iter().any(|f| f.iter().all(|c| c.eval(src)))
}

impl Scoping {
    /// Whether a user passes the user scoping filters.
    pub fn user_passes(&self, src: &dyn Source) -> bool {
        passes(&self.user_filters, src)
    }
    /// Whether a group passes the group scoping filters.
    pub fn group_passes(&self, src: &dyn Source) -> bool {
        passes(&self.group_filters, src)
    }

    /// A filter from `a EQUALS "x" AND b IS NOT NULL` (one scoping filter).
    pub fn parse_filter(text: &str) -> Result<ScopingFilter, ScopingError> {
        text.split(" AND ").map(Clause::parse).collect()
    }

    /// Reads a scoping file (JSON: `scope`, `userFilters`, `groupFilters`,
    /// `skipOutOfScopeDeletions`).
    pub fn load(path: &Path) -> Result<Scoping, ScopingError> {
        let err = |msg: String| ScopingError::File {
            path: path.display().to_string(),
            msg,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let s: Scoping = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        for c in s.user_filters.iter().chain(&s.group_filters).flatten() {
            c.check()?;
        }
        Ok(s)
    }
}

/// The scope of every object at one moment, computed once (both providers read it).
pub struct ScopeView<'a> {
    in_assigned_group: HashSet<&'a str>,
    scoping: &'a Scoping,
}

impl<'a> ScopeView<'a> {
    pub fn new(t: &'a Tenant, scoping: &'a Scoping) -> ScopeView<'a> {
        let in_assigned_group = t
            .groups
            .iter()
            .filter(|g| g.assigned && !g.hard_deleted)
            .flat_map(|g| g.members.iter().map(String::as_str))
            .collect();
        ScopeView {
            in_assigned_group,
            scoping,
        }
    }
    /// Assigned (or scope = all) and passing the scoping filters.
    pub fn user_in_scope(&self, u: &SourceUser) -> bool {
        if u.hard_deleted {
            return false;
        }
        let assigned = self.scoping.scope == Scope::All
            || u.assigned
            || self.in_assigned_group.contains(u.object_id.as_str());
        let view = UserView {
            user: u,
            is_soft_deleted: u.soft_deleted_at.is_some() || !u.account_enabled,
        };
        assigned && self.scoping.user_passes(&view)
    }
    /// In scope, not soft-deleted, enabled: the user should be active in the target.
    pub fn user_entitled(&self, u: &SourceUser) -> bool {
        self.user_in_scope(u) && u.soft_deleted_at.is_none() && u.account_enabled
    }
    pub fn group_in_scope(&self, g: &SourceGroup) -> bool {
        !g.hard_deleted
            && (self.scoping.scope == Scope::All || g.assigned)
            && self.scoping.group_passes(g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct M(Vec<(&'static str, &'static str)>);
    impl Source for M {
        fn attr(&self, name: &str) -> Option<String> {
            self.0
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.to_string())
        }
    }

    fn c(text: &str, m: &M) -> bool {
        Clause::parse(text).expect("clause").eval(m)
    }

    #[test]
    fn every_operator_and_null_is_false() {
        let m = M(vec![
            ("department", "Sales"),
            ("enabled", "True"),
            ("level", "10"),
            ("mail", "ann@contoso.example"),
            ("blank", ""),
        ]);
        assert!(c("department EQUALS \"Sales\"", &m));
        assert!(!c("department EQUALS \"sales\"", &m));
        assert!(c("department NOT EQUALS \"Legal\"", &m));
        assert!(c("enabled IS TRUE", &m));
        assert!(!c("enabled IS FALSE", &m));
        assert!(c("missing IS NULL", &m));
        assert!(c("blank IS NULL", &m));
        assert!(c("department IS NOT NULL", &m));
        assert!(c("mail REGEX MATCH \"^ann@\"", &m));
        assert!(c("mail NOT REGEX MATCH \"^bob@\"", &m));
        assert!(c("level Greater_Than \"9\"", &m));
        assert!(!c("level Greater_Than \"10\"", &m));
        assert!(c("level Greater_Than_OR_EQUALS \"10\"", &m));
        assert!(c("mail ENDS_WITH \"@contoso.example\"", &m));
        assert!(c("mail Includes \"contoso\"", &m));
        for op in [
            "EQUALS \"\"",
            "NOT EQUALS \"x\"",
            "IS TRUE",
            "IS FALSE",
            "IS NOT NULL",
            "REGEX MATCH \".*\"",
            "NOT REGEX MATCH \"x\"",
            "Greater_Than \"0\"",
            "Greater_Than_OR_EQUALS \"0\"",
            "ENDS_WITH \"\"",
            "Includes \"\"",
        ] {
            assert!(!c(&format!("missing {op}"), &m), "null with {op}");
        }
    }

    #[test]
    fn and_within_or_between() {
        let m = M(vec![("department", "Sales"), ("country", "DE")]);
        let s = Scoping {
            user_filters: vec![
                Scoping::parse_filter("department EQUALS \"Sales\" AND country EQUALS \"US\"")
                    .expect("f"),
                Scoping::parse_filter("country EQUALS \"DE\"").expect("f"),
            ],
            ..Default::default()
        };
        assert!(s.user_passes(&m));
        let only_first = Scoping {
            user_filters: s.user_filters[..1].to_vec(),
            ..Default::default()
        };
        assert!(!only_first.user_passes(&m));
        assert!(Clause::parse("x BOGUS \"y\"").is_err());
        assert!(Clause::parse("x REGEX MATCH \"(\"").is_err());
    }
}
