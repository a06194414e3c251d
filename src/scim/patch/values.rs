//! Value handling shared by the operations: checking client values against the schema, and
//! storing attributes back in canonical form.

use super::apply::{Def, Engine, internal};
use crate::scim::error::ScimError;
use crate::scim::resource;
use crate::scim::schema::{AttrType, Mutability};
use serde_json::{Map, Value};
use std::collections::HashSet;

#[cfg(test)]
thread_local! {
    /// Values visited by the helpers that key, compare or match them. Counted so a test can
    /// check that editing a large multi-valued attribute does linear work, without a clock.
    static VISITS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts one visit of a value; a no-op outside tests.
#[inline]
pub(super) fn visit() {
    #[cfg(test)]
    VISITS.with(|v| v.set(v.get() + 1));
}

/// Visits counted on this thread so far.
#[cfg(test)]
pub(super) fn visits() -> u64 {
    VISITS.with(|v| v.get())
}

impl Engine<'_> {
    /// Values of a multi-valued attribute, checked and canonical, duplicates dropped.
    pub(super) fn canonical_multi(
        &self,
        def: Def,
        items: &[Value],
    ) -> Result<Vec<Value>, ScimError> {
        let prepared = items
            .iter()
            .map(|x| self.prepare(def, x))
            .collect::<Result<Vec<_>, _>>()?;
        match resource::canonical_attr_value(def, &Value::Array(prepared), self.input)? {
            Some(Value::Array(a)) => Ok(a),
            _ => Ok(Vec::new()),
        }
    }

    /// Checks a complex value's keys before canonicalization: unknown sub-attributes are
    /// `invalidPath` (like unknown attributes in a path); readOnly ones are dropped, as in a
    /// POST body, so that `{"value": id, "display": name}` members are accepted. In compat mode
    /// a bare string stands for `{"value": string}` (Entra sends `manager` that way).
    pub(super) fn prepare(&self, def: Def, v: &Value) -> Result<Value, ScimError> {
        if def.ty != AttrType::Complex {
            return Ok(v.clone());
        }
        match v {
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, x) in m {
                    let sub = def.sub(k).ok_or_else(|| {
                        ScimError::invalid_path(format!(
                            "unknown sub-attribute '{k}' of '{}'",
                            def.name
                        ))
                    })?;
                    if sub.mutability != Mutability::ReadOnly {
                        out.insert(k.clone(), x.clone());
                    }
                }
                Ok(Value::Object(out))
            }
            Value::String(s) if self.compat && def.sub("value").is_some() => {
                let mut out = Map::new();
                out.insert("value".into(), Value::String(s.clone()));
                Ok(Value::Object(out))
            }
            other => Ok(other.clone()),
        }
    }

    pub(super) fn complex_value(
        &self,
        def: Def,
        v: &Value,
    ) -> Result<Map<String, Value>, ScimError> {
        match self.prepare(def, v)? {
            Value::Object(m) => Ok(m),
            _ => Err(ScimError::invalid_value(format!(
                "'{}' is complex and its value must be an object",
                def.name
            ))),
        }
    }

    /// Merges checked sub-attributes into one complex value; `null` unassigns.
    pub(super) fn merge(
        &self,
        def: Def,
        obj: &mut Map<String, Value>,
        src: &Map<String, Value>,
    ) -> Result<(), ScimError> {
        for (k, x) in src {
            let sub = def.sub(k).ok_or_else(|| {
                ScimError::invalid_path(format!("unknown sub-attribute '{k}' of '{}'", def.name))
            })?;
            self.set_sub(obj, sub, x)?;
        }
        Ok(())
    }

    pub(super) fn set_sub(
        &self,
        obj: &mut Map<String, Value>,
        sub: Def,
        x: &Value,
    ) -> Result<(), ScimError> {
        let new = resource::canonical_attr_value(sub, x, self.input)?;
        check_immutable(sub, obj.get(sub.name), new.as_ref())?;
        set_or_remove(obj, sub, new);
        Ok(())
    }
}

/// The object holding an attribute: the resource, or its extension object (created on demand;
/// an extension left empty is dropped by `sync_schemas`).
pub(super) fn holder<'w>(
    work: &'w mut Value,
    ext: Option<&str>,
) -> Result<&'w mut Map<String, Value>, ScimError> {
    let root = work.as_object_mut().ok_or_else(internal)?;
    match ext {
        None => Ok(root),
        Some(u) => root
            .entry(u.to_string())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or_else(internal),
    }
}

pub(super) fn take_array(map: &mut Map<String, Value>, def: Def) -> Vec<Value> {
    match map.remove(def.name) {
        Some(Value::Array(a)) => a,
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other],
    }
}

pub(super) fn take_object(map: &mut Map<String, Value>, def: Def) -> Map<String, Value> {
    match map.remove(def.name) {
        Some(Value::Object(o)) => o,
        _ => Map::new(),
    }
}

pub(super) fn set_or_remove(map: &mut Map<String, Value>, def: Def, v: Option<Value>) {
    match v {
        Some(v) if !is_unassigned(&v) => {
            map.insert(def.name.to_string(), v);
        }
        _ => {
            map.remove(def.name);
        }
    }
}

/// Null, `[]` and `{}` are all "unassigned" (RFC 7643 §2.5) and are not stored.
pub(super) fn is_unassigned(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

pub(super) fn is_primary(v: &Value) -> bool {
    v.get("primary").and_then(Value::as_bool) == Some(true)
}

/// Puts a multi-valued attribute back after an edit: when an edited value became primary the
/// others lose `primary` (RFC 7644 §3.5.2: the server sets them to false), empty values and
/// duplicates go, and at most one primary may remain.
pub(super) fn store_multi(
    map: &mut Map<String, Value>,
    def: Def,
    mut arr: Vec<Value>,
    touched: &[usize],
) -> Result<(), ScimError> {
    let mut primaries: Vec<usize> = touched
        .iter()
        .copied()
        .filter(|&i| arr.get(i).is_some_and(is_primary))
        .collect();
    primaries.sort_unstable();
    primaries.dedup();
    if primaries.len() > 1 {
        return Err(ScimError::invalid_value(format!(
            "the operation would make more than one value of '{}' primary",
            def.name
        )));
    }
    if let [p] = primaries[..] {
        for (i, e) in arr.iter_mut().enumerate() {
            if i != p
                && is_primary(e)
                && let Some(o) = e.as_object_mut()
            {
                o.insert("primary".into(), Value::Bool(false));
            }
        }
    }
    let mut seen = HashSet::with_capacity(arr.len());
    let out: Vec<Value> = arr
        .into_iter()
        .filter(|e| !is_unassigned(e) && seen.insert(identity(def, e)))
        .collect();
    resource::check_primary(def, &out)?;
    set_or_remove(map, def, Some(Value::Array(out)));
    Ok(())
}

/// A key that two values share exactly when they agree on every client-writable
/// sub-attribute: a stored member with a server-filled `display` is the same value as the
/// `{"value": id}` a client adds again. Hashable, so that de-duplicating a large group's
/// members stays linear.
pub(super) fn identity(def: Def, v: &Value) -> String {
    visit();
    match v {
        Value::Object(o) => {
            let mut parts: Vec<(&String, &Value)> = o
                .iter()
                .filter(|(k, _)| {
                    def.sub(k)
                        .is_none_or(|s| s.mutability != Mutability::ReadOnly)
                })
                .collect();
            parts.sort_by(|a, b| a.0.cmp(b.0));
            // Names never contain control characters and JSON text escapes them: unambiguous.
            let mut key = String::new();
            for (k, x) in parts {
                key.push_str(k);
                key.push('\u{0}');
                key.push_str(&x.to_string());
                key.push('\u{1}');
            }
            key
        }
        other => format!("\u{2}{other}"),
    }
}

/// Where to look for a value already present: its `value` sub-attribute (members, emails...),
/// or the whole value for attributes without one.
pub(super) fn lookup_key(v: &Value) -> String {
    visit();
    match v.get("value") {
        Some(x) => x.to_string(),
        None if v.is_object() => String::new(),
        None => v.to_string(),
    }
}

/// Whether `stored` already has every client-writable sub-attribute of `new`.
pub(super) fn contains(def: Def, stored: &Value, new: &Value) -> bool {
    visit();
    match (stored, new) {
        (Value::Object(s), Value::Object(n)) => n.iter().all(|(k, v)| {
            def.sub(k)
                .is_some_and(|d| d.mutability == Mutability::ReadOnly)
                || s.get(k) == Some(v)
        }),
        _ => stored == new,
    }
}

/// A listed value (compat remove) matches a stored one when all its sub-attributes agree,
/// strings compared by the sub-attribute's caseExact rule.
pub(super) fn listed_matches(def: Def, listed: &Value, stored: &Value) -> bool {
    visit();
    match (listed, stored) {
        (Value::Object(l), Value::Object(s)) => {
            !l.is_empty()
                && l.iter().all(|(k, v)| {
                    let exact = def.sub(k).is_none_or(|d| d.case_exact);
                    match (v, s.get(k)) {
                        (Value::String(a), Some(Value::String(b))) if !exact => {
                            a.eq_ignore_ascii_case(b)
                        }
                        (a, b) => Some(a) == b,
                    }
                })
        }
        _ => listed == stored,
    }
}

pub(super) fn check_immutable(
    def: Def,
    old: Option<&Value>,
    new: Option<&Value>,
) -> Result<(), ScimError> {
    if def.mutability == Mutability::Immutable && old.is_some() && old != new {
        return Err(ScimError::mutability(format!(
            "'{}' is immutable and already has a value",
            def.name
        )));
    }
    Ok(())
}

pub(super) fn required_sub(def: Def, sub: Def) -> Result<(), ScimError> {
    if sub.required {
        return Err(ScimError::mutability(format!(
            "'{}.{}' is required and cannot be removed",
            def.name, sub.name
        )));
    }
    Ok(())
}
