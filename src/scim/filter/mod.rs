//! The filter grammar of RFC 7644 §3.4.2.2: parsed to an AST, printed back, and evaluated
//! against a canonical resource with the schema's types and caseExact rules.
//!
//! [`ast`] holds the tree and its canonical printing, [`parser`] the recursive descent (shared
//! with the PATCH path parsers), [`eval`] binding (schema checks) and evaluation. This file is
//! the public face: the [`Filter`] methods callers use, which turn bare error details into
//! `invalidFilter`.

mod ast;
pub(crate) mod eval;
mod parser;

#[cfg(test)]
mod eval_tests;
#[cfg(test)]
mod parser_tests;

pub use ast::{CompValue, CompareOp, Filter};
pub use parser::{MAX_FILTER_DEPTH, MAX_FILTER_LEN};
pub(crate) use parser::{Parser, check_len};

use super::error::ScimError;
use super::schema::{AttributeDef, ResourceType};
use eval::Scope;
use serde_json::Value;

impl Filter {
    /// Parses a filter expression. Errors are `invalidFilter` and name the position.
    pub fn parse(input: &str) -> Result<Filter, ScimError> {
        parser::parse_filter(input).map_err(ScimError::invalid_filter)
    }

    /// Checks every attribute against the resource type and rewrites names to their canonical
    /// spelling. Unknown attributes are `invalidFilter`.
    ///
    /// Extension attributes get `urn: Some(<canonical extension URN>)`, core and common ones
    /// `urn: None`. Comparing a complex attribute that has a `value` sub-attribute
    /// (`emails eq "x"`, `manager eq "id"`) is rewritten to `emails.value eq "x"`; comparing any
    /// other complex attribute is an error. Type mismatches (a string for an integer, `gt` on a
    /// boolean or binary, an unparseable dateTime) are `invalidFilter` too (RFC 7644 §3.4.2.2).
    pub fn bind(self, rt: &ResourceType) -> Result<Filter, ScimError> {
        eval::bind(self, Scope::Resource(rt)).map_err(ScimError::invalid_filter)
    }

    /// Binds a filter whose paths are sub-attributes of `parent` (the inside of
    /// `emails[...]`, e.g. for PATCH paths). Paths come out as `{urn: None, name: <sub>}`.
    pub fn bind_relative(self, parent: &AttributeDef) -> Result<Filter, ScimError> {
        eval::bind(self, Scope::Within(parent)).map_err(ScimError::invalid_filter)
    }

    /// Evaluates a bound filter against a canonical resource.
    ///
    /// Semantics (RFC 7644 §3.4.2.2 where it is explicit, documented choices where it is not):
    /// - a comparison on a multi-valued attribute is true if ANY value matches; a value path
    ///   needs ONE element satisfying the whole inner filter;
    /// - `ne` is `not (eq)` over the whole attribute, so `ne` is true when it is absent;
    /// - `eq null` means "not present" and `ne null` means "present";
    /// - `pr` means present: exists, not null, not `""`, not an empty array or object;
    /// - strings honour caseExact (binary and reference values always compare exactly);
    ///   dateTimes compare as instants, numbers numerically (exactly when both are integers).
    pub fn matches(&self, resource: &Value, rt: &ResourceType) -> bool {
        eval::eval(self, resource, Scope::Resource(rt))
    }

    /// Evaluates a filter bound with [`Filter::bind_relative`] against one value of the complex
    /// attribute `parent` (one element of `emails`): the PATCH `emails[type eq "work"]` case.
    pub fn matches_value(&self, value: &Value, parent: &AttributeDef) -> bool {
        eval::eval(self, value, Scope::Within(parent))
    }
}
