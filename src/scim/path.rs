//! Attribute paths (RFC 7644 §3.10 and the PATH rule of §3.5.2):
//! `[URN ":"] attr ["." sub]`, and for PATCH `attr "[" valFilter "]" ["." sub]`.
//!
//! Parsing shares the filter parser (one grammar for names, URNs and value filters); binding
//! resolves names against a resource type and rewrites them to their canonical spelling.

use super::error::ScimError;
use super::filter::eval::{self as filter_eval, Scope};
use super::filter::{self, Filter, Parser};
use super::schema::{AttrType, AttributeDef, ResourceType};
use serde_json::Value;

/// `[URN ":"] ATTRNAME ["." subAttr]` as written by the client (names not yet canonical).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN prefix, if the client qualified the name.
    pub urn: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

/// A PATCH target: an attribute path, optionally narrowed by a value filter, optionally followed
/// by a sub-attribute (`emails[type eq "work"].value`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// When `filter` is set, `attr.sub` is `None` and the sub-attribute (if any) is in `sub`.
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    pub sub: Option<String>,
}

impl AttrPath {
    /// Parses an attribute path such as `name.familyName` or
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
    pub fn parse(input: &str) -> Result<AttrPath, ScimError> {
        parse_attr_path(input).map_err(ScimError::invalid_path)
    }

    /// Resolves the path against `rt` (case-insensitively) and returns it with canonical names:
    /// `urn` is the extension URN for extension attributes and `None` for core and common ones.
    /// Unknown attributes are `invalidPath`.
    pub fn bind(self, rt: &ResourceType) -> Result<AttrPath, ScimError> {
        bind_attr_path(self, rt)
            .map(|(p, _)| p)
            .map_err(ScimError::invalid_path)
    }

    /// The definition the path designates (the sub-attribute's when there is one), so callers
    /// can apply its type and caseExact rules.
    pub fn def(&self, rt: &ResourceType) -> Option<&'static AttributeDef> {
        let loc = rt.resolve(self.urn.as_deref(), &self.name)?;
        match &self.sub {
            Some(s) => loc.def.sub(s),
            None => Some(loc.def),
        }
    }

    /// The attribute's whole value in a canonical resource (under the extension URN key when
    /// `urn` is set), ignoring `sub`. Expects a bound path.
    pub fn attribute_in<'a>(&self, resource: &'a Value) -> Option<&'a Value> {
        let container = match &self.urn {
            Some(u) => get_ci(resource, u)?,
            None => resource,
        };
        get_ci(container, &self.name)
    }

    /// Every non-null value the path designates, flattened across multi-valued attributes
    /// (`emails.value` gives each email's value). Expects a bound path.
    pub fn values_in<'a>(&self, resource: &'a Value) -> Vec<&'a Value> {
        collect_values(self.attribute_in(resource), self.sub.as_deref())
    }
}

impl PatchPath {
    /// Parses a PATCH `path` value. Errors are `invalidPath`.
    pub fn parse(input: &str) -> Result<PatchPath, ScimError> {
        let (attr, filter, sub) = parse_patch_path(input).map_err(ScimError::invalid_path)?;
        Ok(PatchPath { attr, filter, sub })
    }

    /// Resolves the path against `rt` like [`AttrPath::bind`]; the value filter is bound
    /// relative to the (complex) attribute and the trailing sub-attribute checked against it.
    /// Every failure, including inside the filter, is `invalidPath`.
    pub fn bind(self, rt: &ResourceType) -> Result<PatchPath, ScimError> {
        let (attr, def) = bind_attr_path(self.attr, rt).map_err(ScimError::invalid_path)?;
        let Some(f) = self.filter else {
            return Ok(PatchPath {
                attr,
                filter: None,
                sub: None,
            });
        };
        if def.ty != AttrType::Complex || attr.sub.is_some() {
            return Err(ScimError::invalid_path(format!(
                "a value filter needs a complex attribute, and '{attr}' is not one"
            )));
        }
        let f = filter_eval::bind(f, Scope::Within(def)).map_err(ScimError::invalid_path)?;
        let sub = match self.sub {
            Some(s) => Some(
                def.sub(&s)
                    .ok_or_else(|| {
                        ScimError::invalid_path(format!("unknown sub-attribute '{s}' of '{attr}'"))
                    })?
                    .name
                    .to_string(),
            ),
            None => None,
        };
        Ok(PatchPath {
            attr,
            filter: Some(f),
            sub,
        })
    }
}

impl std::fmt::Display for AttrPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(u) = &self.urn {
            write!(f, "{u}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(s) = &self.sub {
            write!(f, ".{s}")?;
        }
        Ok(())
    }
}

impl std::fmt::Display for PatchPath {
    /// The canonical form, which [`PatchPath::parse`] reads back to an equal value.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(s) = &self.sub {
            write!(f, ".{s}")?;
        }
        Ok(())
    }
}

/// Parses `[URN ":"] ATTRNAME ["." subAttr]` and nothing else; the error is a bare detail.
fn parse_attr_path(input: &str) -> Result<AttrPath, String> {
    filter::check_len(input)?;
    let mut p = Parser::new(input);
    p.skip_ws();
    let path = p.attr_path()?;
    p.end("the end of the path")?;
    Ok(path)
}

/// Parses `attrPath ["[" valFilter "]" ["." subAttr]]` into (attr, filter, sub).
fn parse_patch_path(input: &str) -> Result<(AttrPath, Option<Filter>, Option<String>), String> {
    filter::check_len(input)?;
    let mut p = Parser::new(input);
    p.skip_ws();
    let attr = p.attr_path()?;
    if p.peek() != Some('[') {
        p.end("'[' or the end of the path")?;
        return Ok((attr, None, None));
    }
    let (filter, _) = p.value_filter(&attr)?;
    let sub = if p.eat('.') {
        let at = p.at();
        let tok = p.token();
        if !is_attr_name(tok) {
            return Err(format!(
                "expected a sub-attribute name at position {at}, found '{tok}'"
            ));
        }
        p.pos += tok.len();
        Some(tok.to_string())
    } else {
        None
    };
    p.end("'.' or the end of the path")?;
    Ok((attr, Some(filter), sub))
}

/// `ATTRNAME = ALPHA *(nameChar)`, plus the `$ref` of RFC 7643 §2.4.
fn is_attr_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() => {
            chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        }
        _ => s.eq_ignore_ascii_case("$ref"),
    }
}

/// Splits a path token: the URN (if any) ends at the LAST ':', since URNs contain dots ("2.0").
pub(crate) fn split_attr_path(tok: &str) -> Result<AttrPath, String> {
    let (urn, rest) = match tok.get(..4) {
        Some(prefix) if prefix.eq_ignore_ascii_case("urn:") => {
            let i = tok.rfind(':').unwrap_or(3);
            if i <= 4 {
                return Err(format!("invalid schema URN in '{tok}'"));
            }
            (Some(tok[..i].to_string()), &tok[i + 1..])
        }
        _ => (None, tok),
    };
    let (name, sub) = match rest.split_once('.') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    if !is_attr_name(name) {
        return Err(format!("invalid attribute name '{name}'"));
    }
    if let Some(s) = sub
        && !is_attr_name(s)
    {
        return Err(format!("invalid sub-attribute name '{s}'"));
    }
    Ok(AttrPath {
        urn,
        name: name.to_string(),
        sub: sub.map(str::to_string),
    })
}

/// Resolves `path` against `rt`; returns the canonical path and the definition of what it
/// designates (the sub-attribute's if any). The error is a bare detail.
pub(crate) fn bind_attr_path(
    path: AttrPath,
    rt: &ResourceType,
) -> Result<(AttrPath, &'static AttributeDef), String> {
    let loc = rt
        .resolve(path.urn.as_deref(), &path.name)
        .ok_or_else(|| format!("unknown attribute '{path}'"))?;
    let (sub, def) = match &path.sub {
        None => (None, loc.def),
        Some(s) => {
            if loc.def.ty != AttrType::Complex {
                return Err(format!(
                    "attribute '{}' has no sub-attributes",
                    loc.def.name
                ));
            }
            let d = loc
                .def
                .sub(s)
                .ok_or_else(|| format!("unknown sub-attribute '{s}' of '{}'", loc.def.name))?;
            (Some(d.name.to_string()), d)
        }
    };
    let path = AttrPath {
        urn: loc.extension.map(str::to_string),
        name: loc.def.name.to_string(),
        sub,
    };
    Ok((path, def))
}

/// Looks a key up in a JSON object, exactly first, then case-insensitively (RFC 7643 §2.1).
pub fn get_ci<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// Splits `a.b[x eq "y"].c` into segments, keeping dots inside brackets.
fn segments(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in path.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '.' if depth == 0 => {
                out.push(&path[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&path[start..]);
    out
}

/// The value at an attribute path in a resource as a client reads it, without a schema:
/// `name.givenName`, `emails[type eq "work"].value` (only `eq` selectors, values compared
/// ignoring case), or an extension attribute `urn:...:User:department`. The checks of the
/// conformance suite and the simulators' convergence checks read targets with it.
pub fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    if path.to_ascii_lowercase().starts_with("urn:") {
        let obj = v.as_object()?;
        let (urn, ext) = obj
            .iter()
            .filter(|(k, _)| {
                path.len() > k.len() && path[..k.len()].eq_ignore_ascii_case(k.as_str())
            })
            .max_by_key(|(k, _)| k.len())?;
        let rest = path[urn.len()..].trim_start_matches(':');
        return lookup(ext, rest);
    }
    let mut cur = v;
    for seg in segments(path) {
        let (name, selector) = match seg.find('[') {
            Some(i) => (&seg[..i], Some(seg[i + 1..].trim_end_matches(']'))),
            None => (seg, None),
        };
        cur = get_ci(cur, name)?;
        if let Some(sel) = selector {
            let mut parts = sel.splitn(3, ' ');
            let (attr, _op, want) = (parts.next()?, parts.next()?, parts.next()?);
            let want = want.trim().trim_matches('"');
            cur = cur.as_array()?.iter().find(|item| {
                get_ci(item, attr)
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.eq_ignore_ascii_case(want))
            })?;
        }
    }
    Some(cur)
}

/// Renders a JSON value for a message: strings without quotes, `(absent)` for none.
pub fn show(v: Option<&Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The non-null values under `top` (flattening an array), or under `top[*].sub`.
pub(crate) fn collect_values<'a>(top: Option<&'a Value>, sub: Option<&str>) -> Vec<&'a Value> {
    let mut out = Vec::new();
    let mut push = |v: &'a Value| match v {
        Value::Null => {}
        Value::Array(items) => out.extend(items.iter().filter(|i| !i.is_null())),
        other => out.push(other),
    };
    let Some(top) = top else { return out };
    match sub {
        None => push(top),
        Some(s) => match top {
            Value::Array(items) => items.iter().filter_map(|i| get_ci(i, s)).for_each(push),
            other => {
                if let Some(v) = get_ci(other, s) {
                    push(v);
                }
            }
        },
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::ScimType;
    use crate::scim::schema::{ENTERPRISE_USER_SCHEMA, USER_SCHEMA, group_type, user_type};
    use serde_json::json;

    fn ap(s: &str) -> AttrPath {
        AttrPath::parse(s).expect(s)
    }
    fn path_err(r: Result<impl std::fmt::Debug, ScimError>) -> String {
        let e = r.expect_err("expected an error");
        assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
        e.detail
    }

    #[test]
    fn attr_paths_parse_with_urns_and_sub_attributes() {
        assert_eq!(
            ap("userName"),
            AttrPath {
                urn: None,
                name: "userName".into(),
                sub: None
            }
        );
        assert_eq!(ap(" name.familyName ").sub.as_deref(), Some("familyName"));
        let p = ap(&format!("{ENTERPRISE_USER_SCHEMA}:manager.value"));
        assert_eq!(p.urn.as_deref(), Some(ENTERPRISE_USER_SCHEMA));
        assert_eq!(
            (p.name.as_str(), p.sub.as_deref()),
            ("manager", Some("value"))
        );
        assert_eq!(ap("members.$ref").sub.as_deref(), Some("$ref"));
        assert_eq!(ap("x-y_z9").name, "x-y_z9");
        for bad in [
            "",
            "name.",
            ".name",
            "a.b.c",
            "1abc",
            "urn:foo",
            "name familyName",
            "emails[type eq \"x\"]",
            "é",
        ] {
            path_err(AttrPath::parse(bad));
        }
        assert_eq!(
            path_err(AttrPath::parse("name extra")),
            "expected the end of the path at position 5, found 'extra'"
        );
    }

    #[test]
    fn patch_paths_parse_filters_and_trailing_sub_attributes() {
        let p = PatchPath::parse(r#"emails[type eq "work"].value"#).expect("path");
        assert_eq!(p.attr, ap("emails"));
        assert_eq!(p.filter, Filter::parse(r#"type eq "work""#).ok());
        assert_eq!(p.sub.as_deref(), Some("value"));
        let p = PatchPath::parse(r#"members[value eq "2819c223"]"#).expect("path");
        assert!(p.filter.is_some() && p.sub.is_none());
        let p = PatchPath::parse(&format!("{ENTERPRISE_USER_SCHEMA}:manager.value")).expect("path");
        assert_eq!(
            (p.attr.sub.as_deref(), p.filter, p.sub),
            (Some("value"), None, None)
        );
        for bad in [
            r#"emails[type eq "work""#,
            r#"emails[type eq]"#,
            r#"emails[type eq "work"]."#,
            r#"emails[type eq "work"]x"#,
            r#"emails[type eq "work"].value.x"#,
            r#"name.givenName[value eq "x"]"#,
            r#"emails[a[b eq 1]]"#,
            "emails[]",
            "",
        ] {
            path_err(PatchPath::parse(bad));
        }
    }

    #[test]
    fn patch_paths_print_back_canonically() {
        for s in [
            r#"emails[type eq "work"].value"#,
            "name.givenName",
            r#"members[value eq "a" or display co "b"]"#,
        ] {
            let p = PatchPath::parse(s).expect(s);
            assert_eq!(p.to_string(), s);
            assert_eq!(PatchPath::parse(&p.to_string()).ok(), Some(p));
        }
    }

    #[test]
    fn binding_canonicalises_and_reports_invalid_path() {
        let p = PatchPath::parse(r#"EMAILS[TYPE eq "work"].VALUE"#)
            .and_then(|p| p.bind(user_type()))
            .expect("bind");
        assert_eq!(p.to_string(), r#"emails[type eq "work"].value"#);
        let p = PatchPath::parse(&format!("{USER_SCHEMA}:Name.FamilyName"))
            .and_then(|p| p.bind(user_type()))
            .expect("bind");
        assert_eq!(p.to_string(), "name.familyName");
        let p = AttrPath::parse("EmployeeNumber")
            .and_then(|p| p.bind(user_type()))
            .expect("bind");
        assert_eq!(p.urn.as_deref(), Some(ENTERPRISE_USER_SCHEMA));
        assert_eq!(p.def(user_type()).map(|d| d.name), Some("employeeNumber"));
        let bind = |s: &str| PatchPath::parse(s).and_then(|p| p.bind(user_type()));
        assert_eq!(path_err(bind("foo")), "unknown attribute 'foo'");
        assert!(path_err(bind(r#"userName[value eq "x"]"#)).contains("needs a complex attribute"));
        assert!(
            path_err(bind(r#"emails[type eq "work"].foo"#)).contains("unknown sub-attribute 'foo'")
        );
        assert!(path_err(bind(r#"emails[foo eq "x"]"#)).contains("unknown sub-attribute 'foo'"));
        assert!(path_err(bind(r#"emails[primary eq "x"]"#)).contains("cannot be compared"));
        path_err(AttrPath::parse("displayName.x").and_then(|p| p.bind(group_type())));
    }

    #[test]
    fn values_are_read_from_the_right_place() {
        let res = json!({
            "userName": "b",
            "emails": [{"value": "a@x", "type": "work"}, {"value": null}, {"type": "home"}],
            ENTERPRISE_USER_SCHEMA: {"manager": {"value": "m1"}},
        });
        let bound = |s: &str| {
            AttrPath::parse(s)
                .and_then(|p| p.bind(user_type()))
                .expect(s)
        };
        assert_eq!(bound("emails.value").values_in(&res), [&json!("a@x")]);
        assert_eq!(bound("emails").values_in(&res).len(), 3);
        assert_eq!(bound("manager.value").values_in(&res), [&json!("m1")]);
        assert_eq!(
            bound("manager").attribute_in(&res),
            Some(&json!({"value": "m1"}))
        );
        assert_eq!(bound("USERNAME").attribute_in(&res), Some(&json!("b")));
        assert!(bound("title").values_in(&res).is_empty());
    }

    #[test]
    fn looks_up_paths_as_a_client_reads_them() {
        use serde_json::json;
        let v = json!({
            "name": {"givenName": "Ann"},
            "emails": [{"type": "home", "value": "h"}, {"type": "work", "value": "w"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"}
        });
        assert_eq!(lookup(&v, "NAME.givenname"), Some(&json!("Ann")));
        assert_eq!(
            lookup(&v, "emails[type eq \"work\"].value"),
            Some(&json!("w"))
        );
        assert_eq!(
            lookup(
                &v,
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
            ),
            Some(&json!("R&D"))
        );
        assert_eq!(show(lookup(&v, "nickName")), "(absent)");
    }
}
