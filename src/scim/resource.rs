//! The schema-driven resource value. Client input is checked against the resource type and
//! rewritten to canonical form: attribute names in their schema spelling, extension attributes
//! under their canonical URN key, values type-checked, `null` dropped (RFC 7643 §2.5: null is
//! unassigned), duplicate multi-values removed. Everything downstream (store, filter, sort,
//! PATCH, projection) can then use plain key lookups.

use super::error::ScimError;
use super::schema::{AttrType, AttributeDef, Mutability, ResourceType, Schema};
use serde_json::{Map, Value};

/// How lenient input checking is. The identity-provider compatibility profile accepts the
/// non-standard shapes Microsoft Entra ID sends (BEHAVIOUR E-U-03): `"True"`/`"False"` strings
/// for booleans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InputOptions {
    /// Accept `"True"`/`"False"` (any case) where a boolean is expected.
    pub lenient_booleans: bool,
}

/// Canonicalizes a full resource body (POST / PUT). Read-only attributes are ignored, as
/// RFC 7644 §3.3 and §3.5.1 require; required attributes must be present.
pub fn canonicalize(
    input: &Value,
    rt: &ResourceType,
    opts: InputOptions,
) -> Result<Value, ScimError> {
    let obj = input
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("the request body must be a JSON object"))?;
    check_schemas(obj, rt)?;
    let mut out = Map::new();
    let mut exts: Vec<(&'static str, Map<String, Value>)> = Vec::new();
    for (key, value) in obj {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) {
            if key.eq_ignore_ascii_case(rt.schema.id) {
                // The core schema's URN used as a container: merge its attributes at top level.
                let inner = value.as_object().ok_or_else(|| {
                    ScimError::invalid_syntax(format!("'{key}' must be an object"))
                })?;
                for (k, v) in inner {
                    put_top_level(&mut out, rt, k, v, opts)?;
                }
                continue;
            }
            let ext = rt.extension(key).ok_or_else(|| {
                ScimError::invalid_syntax(format!("unknown schema extension '{key}'"))
            })?;
            if value.is_null() {
                continue;
            }
            let m = canonical_extension(ext, value, opts)?;
            if !m.is_empty() {
                exts.push((ext.id, m));
            }
            continue;
        }
        put_top_level(&mut out, rt, key, value, opts)?;
    }
    for def in &rt.schema.attributes {
        if def.required && !out.contains_key(def.name) {
            return Err(ScimError::invalid_value(format!(
                "required attribute '{}' is missing",
                def.name
            )));
        }
    }
    identifiers_in(&out, rt)?;
    let mut schemas = vec![Value::String(rt.schema.id.to_string())];
    for (id, m) in exts {
        schemas.push(Value::String(id.to_string()));
        out.insert(id.to_string(), Value::Object(m));
    }
    let mut result = Map::new();
    result.insert("schemas".into(), Value::Array(schemas));
    result.extend(out);
    Ok(Value::Object(result))
}

/// Refuses values that cannot identify anything (400 `invalidValue`, naming the attribute), on
/// every write: POST, PUT and the result of a PATCH.
///
/// - A required string of the core schema (User `userName`, Group `displayName`) must not be
///   empty or whitespace only. RFC 7643 §4.1.1: "Each User MUST include a non-empty userName
///   value. This identifier MUST be unique across the service provider's entire set of Users."
///   §4.2 makes a Group's `displayName` REQUIRED. Whitespace alone is refused too (the
///   project's choice: it is non-empty, but names no one and cannot be told apart by eye).
/// - `externalId` must not be `""`. RFC 7643 §3.1: "Each resource MAY include a non-empty
///   "externalId" value." Its value is the client's and caseExact, so only `""` is refused.
pub fn check_identifiers(resource: &Value, rt: &ResourceType) -> Result<(), ScimError> {
    match resource.as_object() {
        Some(obj) => identifiers_in(obj, rt),
        None => Ok(()),
    }
}

fn identifiers_in(resource: &Map<String, Value>, rt: &ResourceType) -> Result<(), ScimError> {
    let text = |name: &str| resource.get(name).and_then(Value::as_str);
    for def in rt
        .schema
        .attributes
        .iter()
        .filter(|d| d.required && d.ty == AttrType::String && !d.multi_valued)
    {
        if text(def.name).is_some_and(|v| v.trim().is_empty()) {
            return Err(ScimError::invalid_value(format!(
                "'{}' must not be empty or whitespace only: it identifies the {}",
                def.name,
                rt.name.to_ascii_lowercase()
            )));
        }
    }
    if text("externalId") == Some("") {
        return Err(ScimError::invalid_value(
            "'externalId' must not be empty: leave it out when there is none",
        ));
    }
    Ok(())
}

/// `schemas` is REQUIRED (RFC 7643 §3) and must name the core schema; unknown URNs are refused.
fn check_schemas(obj: &Map<String, Value>, rt: &ResourceType) -> Result<(), ScimError> {
    let schemas = obj
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("schemas"))
        .map(|(_, v)| v)
        .ok_or_else(|| ScimError::invalid_syntax("the 'schemas' attribute is required"))?;
    let list = schemas
        .as_array()
        .ok_or_else(|| ScimError::invalid_syntax("'schemas' must be an array of URIs"))?;
    let mut has_core = false;
    for s in list {
        let s = s
            .as_str()
            .ok_or_else(|| ScimError::invalid_syntax("'schemas' must be an array of URIs"))?;
        if s.eq_ignore_ascii_case(rt.schema.id) {
            has_core = true;
        } else if rt.extension(s).is_none() {
            return Err(ScimError::invalid_syntax(format!(
                "unknown schema '{s}' for resource type {}",
                rt.name
            )));
        }
    }
    if !has_core {
        return Err(ScimError::invalid_syntax(format!(
            "'schemas' must contain {}",
            rt.schema.id
        )));
    }
    Ok(())
}

fn put_top_level(
    out: &mut Map<String, Value>,
    rt: &ResourceType,
    key: &str,
    value: &Value,
    opts: InputOptions,
) -> Result<(), ScimError> {
    let def = rt
        .common
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(key))
        .or_else(|| rt.schema.attr(key))
        .ok_or_else(|| {
            ScimError::invalid_syntax(format!("unknown attribute '{key}' for {}", rt.name))
        })?;
    if def.mutability == Mutability::ReadOnly {
        return Ok(());
    }
    if let Some(v) = canonical_attr_value(def, value, opts)? {
        out.insert(def.name.to_string(), v);
    }
    Ok(())
}

fn canonical_extension(
    ext: &Schema,
    value: &Value,
    opts: InputOptions,
) -> Result<Map<String, Value>, ScimError> {
    let inner = value
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax(format!("'{}' must be an object", ext.id)))?;
    let mut m = Map::new();
    for (k, v) in inner {
        let def = ext.attr(k).ok_or_else(|| {
            ScimError::invalid_syntax(format!("unknown attribute '{k}' in {}", ext.id))
        })?;
        if def.mutability == Mutability::ReadOnly {
            continue;
        }
        if let Some(v) = canonical_attr_value(def, v, opts)? {
            m.insert(def.name.to_string(), v);
        }
    }
    Ok(m)
}

/// Canonicalizes one attribute's value (the whole value: an array for multi-valued ones).
/// Returns `None` for values that mean "unassigned" (null, empty array, empty object).
pub fn canonical_attr_value(
    def: &AttributeDef,
    value: &Value,
    opts: InputOptions,
) -> Result<Option<Value>, ScimError> {
    if value.is_null() {
        return Ok(None);
    }
    if def.multi_valued {
        let items = value.as_array().ok_or_else(|| {
            ScimError::invalid_value(format!(
                "'{}' is multi-valued and must be an array",
                def.name
            ))
        })?;
        let mut out: Vec<Value> = Vec::with_capacity(items.len());
        for item in items {
            if let Some(v) = canonical_single(def, item, opts)?
                && !out.contains(&v)
            {
                out.push(v);
            }
        }
        check_primary(def, &out)?;
        return Ok(if out.is_empty() {
            None
        } else {
            Some(Value::Array(out))
        });
    }
    if value.is_array() {
        return Err(ScimError::invalid_value(format!(
            "'{}' is single-valued and must not be an array",
            def.name
        )));
    }
    canonical_single(def, value, opts)
}

/// At most one value of a multi-valued attribute may be primary (RFC 7643 §2.4).
pub fn check_primary(def: &AttributeDef, values: &[Value]) -> Result<(), ScimError> {
    let primaries = values
        .iter()
        .filter(|v| v.get("primary").and_then(Value::as_bool) == Some(true))
        .count();
    if primaries > 1 {
        return Err(ScimError::invalid_value(format!(
            "at most one value of '{}' may have primary set to true",
            def.name
        )));
    }
    Ok(())
}

/// Canonicalizes one value of an attribute (one element of a multi-valued attribute).
pub fn canonical_single(
    def: &AttributeDef,
    value: &Value,
    opts: InputOptions,
) -> Result<Option<Value>, ScimError> {
    if value.is_null() {
        return Ok(None);
    }
    let bad = |expected: &str| {
        ScimError::invalid_value(format!(
            "'{}' must be {expected}, got {}",
            def.name,
            type_name(value)
        ))
    };
    Ok(Some(match def.ty {
        AttrType::String | AttrType::Reference | AttrType::Binary => {
            Value::String(value.as_str().ok_or_else(|| bad("a string"))?.to_string())
        }
        AttrType::Boolean => match value {
            Value::Bool(b) => Value::Bool(*b),
            Value::String(s) if opts.lenient_booleans && s.eq_ignore_ascii_case("true") => {
                Value::Bool(true)
            }
            Value::String(s) if opts.lenient_booleans && s.eq_ignore_ascii_case("false") => {
                Value::Bool(false)
            }
            _ => return Err(bad("a boolean")),
        },
        AttrType::Integer => match value.as_i64() {
            Some(i) => Value::from(i),
            None => return Err(bad("an integer")),
        },
        AttrType::Decimal => match value {
            Value::Number(n) => Value::Number(n.clone()),
            _ => return Err(bad("a decimal number")),
        },
        AttrType::DateTime => {
            let s = value.as_str().ok_or_else(|| bad("a dateTime string"))?;
            chrono::DateTime::parse_from_rfc3339(s).map_err(|_| {
                ScimError::invalid_value(format!(
                    "'{}' must be an xsd:dateTime, got '{s}'",
                    def.name
                ))
            })?;
            Value::String(s.to_string())
        }
        AttrType::Complex => {
            let obj = value.as_object().ok_or_else(|| bad("an object"))?;
            let mut m = Map::new();
            for (k, v) in obj {
                let sub = def.sub(k).ok_or_else(|| {
                    ScimError::invalid_syntax(format!(
                        "unknown sub-attribute '{k}' of '{}'",
                        def.name
                    ))
                })?;
                if let Some(v) = canonical_attr_value(sub, v, opts)? {
                    m.insert(sub.name.to_string(), v);
                }
            }
            if m.is_empty() {
                return Ok(None);
            }
            Value::Object(m)
        }
    }))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// For PUT (RFC 7644 §3.5.1): an immutable attribute that already has a value must keep it.
pub fn check_immutable(
    existing: &Value,
    replacement: &Value,
    rt: &ResourceType,
) -> Result<(), ScimError> {
    let check = |attrs: &[AttributeDef],
                 old: Option<&Value>,
                 new: Option<&Value>|
     -> Result<(), ScimError> {
        for def in attrs
            .iter()
            .filter(|d| d.mutability == Mutability::Immutable)
        {
            let o = old.and_then(|o| o.get(def.name));
            let n = new.and_then(|n| n.get(def.name));
            if o.is_some() && o != n {
                return Err(ScimError::mutability(format!(
                    "'{}' is immutable and cannot be changed",
                    def.name
                )));
            }
        }
        Ok(())
    };
    check(&rt.schema.attributes, Some(existing), Some(replacement))?;
    for e in &rt.extensions {
        check(
            &e.schema.attributes,
            existing.get(e.schema.id),
            replacement.get(e.schema.id),
        )?;
    }
    Ok(())
}

/// Keeps `schemas` in step with the extension objects actually present (after a PATCH that added
/// or removed the last extension attribute).
pub fn sync_schemas(resource: &mut Value, rt: &ResourceType) {
    let Some(obj) = resource.as_object_mut() else {
        return;
    };
    obj.retain(|k, v| {
        let empty = k.starts_with("urn:") && v.as_object().is_some_and(|m| m.is_empty());
        !empty || rt.extension(k).is_some_and(|e| e.is_read_only())
    });
    let mut schemas = vec![Value::String(rt.schema.id.to_string())];
    for e in &rt.extensions {
        if obj.contains_key(e.schema.id) {
            schemas.push(Value::String(e.schema.id.to_string()));
        }
    }
    obj.insert("schemas".into(), Value::Array(schemas));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{ENTERPRISE_USER_SCHEMA, USER_SCHEMA, group_type, user_type};
    use serde_json::json;

    fn ok(v: Value) -> Value {
        canonicalize(&v, user_type(), InputOptions::default()).expect("valid")
    }

    #[test]
    fn names_become_canonical() {
        let v = ok(json!({
            "SCHEMAS": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "USERNAME": "ann",
            "Name": {"GIVENNAME": "Ann"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {"EMPLOYEENUMBER": "7"}
        }));
        assert_eq!(v["userName"], "ann");
        assert_eq!(v["name"]["givenName"], "Ann");
        assert_eq!(v[ENTERPRISE_USER_SCHEMA]["employeeNumber"], "7");
        assert_eq!(v["schemas"], json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA]));
    }

    #[test]
    fn read_only_attributes_are_ignored() {
        let v = ok(
            json!({"schemas": [USER_SCHEMA], "userName": "a", "id": "x", "meta": {"version": "1"}, "groups": [{"value": "g"}]}),
        );
        assert!(v.get("id").is_none());
        assert!(v.get("meta").is_none());
        assert!(v.get("groups").is_none());
    }

    #[test]
    fn wrong_types_are_invalid_value() {
        let e = canonicalize(
            &json!({"schemas": [USER_SCHEMA], "userName": "a", "active": "yes"}),
            user_type(),
            InputOptions::default(),
        )
        .expect_err("bad type");
        assert_eq!(e.scim_type, Some(crate::scim::ScimType::InvalidValue));
        let e = canonicalize(
            &json!({"schemas": [USER_SCHEMA], "userName": 5}),
            user_type(),
            InputOptions::default(),
        )
        .expect_err("bad type");
        assert_eq!(e.status, 400);
    }

    #[test]
    fn string_booleans_only_in_lenient_mode() {
        let body = json!({"schemas": [USER_SCHEMA], "userName": "a", "active": "False"});
        assert!(canonicalize(&body, user_type(), InputOptions::default()).is_err());
        let v = canonicalize(
            &body,
            user_type(),
            InputOptions {
                lenient_booleans: true,
            },
        )
        .expect("lenient");
        assert_eq!(v["active"], false);
    }

    #[test]
    fn unknown_attributes_and_schemas_are_refused() {
        for body in [
            json!({"schemas": [USER_SCHEMA], "userName": "a", "shoeSize": 9}),
            json!({"schemas": [USER_SCHEMA, "urn:x:y"], "userName": "a"}),
            json!({"schemas": [USER_SCHEMA], "userName": "a", "name": {"nick": "x"}}),
            json!({"userName": "a"}),
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "userName": "a"}),
        ] {
            let e = canonicalize(&body, user_type(), InputOptions::default()).expect_err("refused");
            assert_eq!(
                e.scim_type,
                Some(crate::scim::ScimType::InvalidSyntax),
                "{body}"
            );
        }
    }

    #[test]
    fn required_attribute_missing() {
        let e = canonicalize(
            &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]}),
            group_type(),
            InputOptions::default(),
        )
        .expect_err("displayName required");
        assert!(e.detail.contains("displayName"));
    }

    #[test]
    fn blank_identifiers_are_invalid_values_naming_the_attribute() {
        let group = "urn:ietf:params:scim:schemas:core:2.0:Group";
        for (body, rt, attr) in [
            (
                json!({"schemas": [USER_SCHEMA], "userName": ""}),
                user_type(),
                "userName",
            ),
            (
                json!({"schemas": [USER_SCHEMA], "userName": " \t\n"}),
                user_type(),
                "userName",
            ),
            (
                json!({"schemas": [USER_SCHEMA], "userName": "\u{3000}"}),
                user_type(),
                "userName",
            ),
            (
                json!({"schemas": [USER_SCHEMA], "userName": "a", "externalId": ""}),
                user_type(),
                "externalId",
            ),
            (
                json!({"schemas": [group], "displayName": ""}),
                group_type(),
                "displayName",
            ),
            (
                json!({"schemas": [group], "displayName": "  "}),
                group_type(),
                "displayName",
            ),
            (
                json!({"schemas": [group], "displayName": "g", "externalId": ""}),
                group_type(),
                "externalId",
            ),
        ] {
            let e = canonicalize(&body, rt, InputOptions::default()).expect_err("refused");
            assert_eq!(e.status, 400, "{body}");
            assert_eq!(
                e.scim_type,
                Some(crate::scim::ScimType::InvalidValue),
                "{body}"
            );
            assert!(
                e.detail.contains(&format!("'{attr}'")),
                "{body}: {}",
                e.detail
            );
        }
        // What is not blank stays accepted: surrounding spaces, a blank user displayName (not an
        // identifier), and an externalId of spaces (the client's own caseExact value).
        for body in [
            json!({"schemas": [USER_SCHEMA], "userName": " ann "}),
            json!({"schemas": [USER_SCHEMA], "userName": "ann", "displayName": " "}),
            json!({"schemas": [USER_SCHEMA], "userName": "ann", "externalId": " "}),
        ] {
            assert!(
                canonicalize(&body, user_type(), InputOptions::default()).is_ok(),
                "{body}"
            );
        }
    }

    #[test]
    fn duplicates_removed_and_two_primaries_refused() {
        let v = ok(json!({"schemas": [USER_SCHEMA], "userName": "a",
            "emails": [{"value": "a@x", "type": "work"}, {"value": "a@x", "type": "work"}]}));
        assert_eq!(v["emails"].as_array().map(|a| a.len()), Some(1));
        let e = canonicalize(
            &json!({"schemas": [USER_SCHEMA], "userName": "a",
            "emails": [{"value": "a@x", "primary": true}, {"value": "b@x", "primary": true}]}),
            user_type(),
            InputOptions::default(),
        )
        .expect_err("two primaries");
        assert_eq!(e.scim_type, Some(crate::scim::ScimType::InvalidValue));
    }

    #[test]
    fn nulls_are_unassigned() {
        let v = ok(
            json!({"schemas": [USER_SCHEMA], "userName": "a", "displayName": null, "emails": []}),
        );
        assert!(v.get("displayName").is_none());
        assert!(v.get("emails").is_none());
    }

    #[test]
    fn immutable_values_cannot_change_on_replace() {
        let g = group_type();
        let old = json!({"members": [{"value": "1"}]});
        // members.value is immutable as a sub-attribute, members itself is readWrite: allowed.
        assert!(check_immutable(&old, &json!({}), g).is_ok());
    }
}
