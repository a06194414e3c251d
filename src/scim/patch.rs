//! The PATCH engine of RFC 7644 §3.5.2: request parsing and all-or-nothing application of
//! `add` / `replace` / `remove` operations to a canonical stored resource.
//!
//! Semantics (strict profile, the RFC; where it is silent, the choice is marked "choice"):
//! - `add`: single-valued attributes are set; complex ones merge the given sub-attributes;
//!   multi-valued ones get the given values appended (an array or one value), skipping values a
//!   stored value already has ("no changes SHOULD be made"). `null` adds nothing (choice).
//! - `replace`: single-valued and multi-valued attributes are replaced whole; complex ones merge
//!   (§3.5.2.3: unspecified sub-attributes "are left unchanged"); a missing attribute is added;
//!   with a value filter, matching values get the object's sub-attributes merged in (choice) or
//!   the named sub-attribute set. `null` unassigns.
//! - `remove`: attribute, `attr.sub`, matching values, or a sub-attribute of matching values.
//!   `remove` of an attribute that has no value succeeds (choice). A `value` on a remove is
//!   ignored (choice: the RFC defines none), so `remove members` removes every member.
//! - No path: the value's keys are attribute names (case-insensitive) or schema URNs holding
//!   extension attributes; `schemas` is ignored (server-managed). A path may also be a schema
//!   URN, addressing that extension's attributes as one object.
//! - `attr.sub` on a multi-valued attribute addresses that sub-attribute of every value.
//! - Values that become `primary` make the other values of the attribute `primary: false`;
//!   one operation making two values primary is `invalidValue`. Empty values, duplicates and
//!   empty extension objects go; `schemas` follows the extensions present.
//! - readOnly sub-attributes inside a supplied value (`members[].display`, `manager.displayName`)
//!   are dropped, as in a POST body (choice); naming one in a path is `mutability`.
//!
//! The compatibility profile (`PatchOptions { compat: true }`) also accepts what Microsoft Entra
//! ID sends (BEHAVIOUR E-U-03 / E-G-01): ops in any case; `"True"`/`"False"` for booleans; paths
//! as keys of a path-less value (`name.givenName`, `urn:...:User:department`,
//! `emails[type eq "work"].value`); `remove` with a value list removing only the listed values
//! (a listed value matches a stored one having all its sub-attributes); a filter matching nothing
//! in `add`/`replace` creating the value the filter's `eq` comparisons describe (other filters:
//! `noTarget`), and in `remove` succeeding as a no-op; one object where an array is expected;
//! a bare string for a complex value with a `value` sub-attribute (`manager`).
//!
//! Errors (all HTTP 400):
//! - malformed body or operation: `invalidSyntax`; more than [`MAX_PATCH_OPERATIONS`]
//!   operations: `invalidValue`; `add`/`replace` without `value`: `invalidValue` ("a required
//!   value was missing", RFC 7644 §3.12); `remove` without `path`: `noTarget` (§3.5.2.2).
//! - unknown attribute or sub-attribute (in a path, its filter, a path-less key, or inside a
//!   complex value) and malformed paths: `invalidPath`; wrong type or shape: `invalidValue`;
//!   a result whose `userName` or `displayName` is blank, or `externalId` is `""`:
//!   `invalidValue` (`resource::check_identifiers`).
//! - a path or key naming a readOnly attribute, changing or removing an assigned immutable
//!   value, and a required attribute that is removed or "becomes unassigned" (`replace` with
//!   `null`): `mutability`, as §3.5.2 and §3.5.2.2 say.
//! - a value filter that matches nothing: `noTarget` (strict).
//!
//! Error details start with `Operations[i]:`, the failing operation's index.

mod apply;
#[cfg(test)]
mod compat_tests;
mod remove;
#[cfg(test)]
mod remove_tests;
mod select;
#[cfg(test)]
mod tests;
mod values;

use super::error::ScimError;
use super::schema::PATCH_OP;
use serde_json::{Map, Value};

/// The most operations one request may carry; more is refused with `invalidValue` so that one
/// request cannot pin the server (the RFC sets no limit; a 400 keeps the SCIM error shape).
pub const MAX_PATCH_OPERATIONS: usize = 1000;

/// The `op` member of a PATCH operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOpKind {
    Add,
    Replace,
    Remove,
}

impl PatchOpKind {
    /// The keyword as RFC 7644 spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            PatchOpKind::Add => "add",
            PatchOpKind::Replace => "replace",
            PatchOpKind::Remove => "remove",
        }
    }

    fn parse(s: &str, opts: PatchOptions) -> Option<PatchOpKind> {
        [PatchOpKind::Add, PatchOpKind::Replace, PatchOpKind::Remove]
            .into_iter()
            .find(|k| {
                if opts.compat {
                    k.as_str().eq_ignore_ascii_case(s)
                } else {
                    k.as_str() == s
                }
            })
    }
}

/// One PATCH operation as sent (the path is parsed against the resource type when applied).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub op: PatchOpKind,
    pub path: Option<String>,
    /// `None` when the member is absent; `Some(Value::Null)` when it is `null`.
    pub value: Option<Value>,
}

/// Which input profile to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PatchOptions {
    /// Accept the Microsoft Entra ID shapes described in the module documentation.
    pub compat: bool,
}

/// Parses a `PatchOp` request body (RFC 7644 §3.5.2). Member names are matched
/// case-insensitively, as SCIM attribute names are; paths are checked later by [`apply()`].
pub fn parse_request(body: &Value, opts: PatchOptions) -> Result<Vec<PatchOp>, ScimError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("the PATCH body must be a JSON object"))?;
    let schemas = member(obj, "schemas")?
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::invalid_syntax("'schemas' must be an array of URIs"))?;
    if !schemas
        .iter()
        .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP)))
    {
        return Err(ScimError::invalid_syntax(format!(
            "'schemas' must contain {PATCH_OP}"
        )));
    }
    let list = member(obj, "Operations")?
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::invalid_syntax("'Operations' must be an array"))?;
    if list.is_empty() {
        return Err(ScimError::invalid_syntax(
            "'Operations' must contain at least one operation",
        ));
    }
    if list.len() > MAX_PATCH_OPERATIONS {
        return Err(ScimError::invalid_value(format!(
            "too many operations: {} (at most {MAX_PATCH_OPERATIONS})",
            list.len()
        )));
    }
    list.iter()
        .enumerate()
        .map(|(i, op)| {
            parse_op(op, opts).map_err(|mut e| {
                e.detail = format!("Operations[{i}]: {}", e.detail);
                e
            })
        })
        .collect()
}

fn parse_op(op: &Value, opts: PatchOptions) -> Result<PatchOp, ScimError> {
    let obj = op
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("an operation must be a JSON object"))?;
    let name = member(obj, "op")?
        .ok_or_else(|| ScimError::invalid_syntax("the 'op' member is required"))?;
    let kind = name
        .as_str()
        .and_then(|s| PatchOpKind::parse(s, opts))
        .ok_or_else(|| {
            ScimError::invalid_syntax(format!(
                "'op' must be \"add\", \"replace\" or \"remove\", got {name}"
            ))
        })?;
    let path = match member(obj, "path")? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ScimError::invalid_syntax("'path' must be a string")),
    };
    let value = member(obj, "value")?.cloned();
    match kind {
        PatchOpKind::Remove if path.is_none() => {
            Err(ScimError::no_target("a remove operation requires a 'path'"))
        }
        PatchOpKind::Add | PatchOpKind::Replace if value.is_none() => Err(
            ScimError::invalid_value(format!("a {} operation requires a 'value'", kind.as_str())),
        ),
        _ => Ok(PatchOp {
            op: kind,
            path,
            value,
        }),
    }
}

/// Looks a member up case-insensitively; two spellings of the same member are ambiguous.
fn member<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<Option<&'a Value>, ScimError> {
    let mut found = obj.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name));
    let first = found.next().map(|(_, v)| v);
    if found.next().is_some() {
        return Err(ScimError::invalid_syntax(format!(
            "the '{name}' member appears more than once"
        )));
    }
    Ok(first)
}

/// Applies `ops` in order to a canonical stored resource (as produced by
/// `resource::canonicalize`, plus `id` and `meta`). All-or-nothing: the new resource is returned
/// only when every operation succeeds, and it is canonical again (names, types, no duplicate
/// values, at most one primary, `schemas` in step, required attributes present).
pub fn apply(
    resource: &Value,
    ops: &[PatchOp],
    rt: &super::schema::ResourceType,
    opts: PatchOptions,
) -> Result<Value, ScimError> {
    let out = apply::apply(resource, ops, rt, opts)?;
    // A PATCH may not do what a POST may not: `replace userName "  "` is refused the same way.
    super::resource::check_identifiers(&out, rt)?;
    Ok(out)
}
