//! The engine behind [`super::apply()`]: resolves each operation's target against the resource
//! type and edits a clone of the canonical resource, keeping it canonical after every step.

use super::select::seed;
use super::values::{
    check_immutable, contains, holder, is_primary, is_unassigned, lookup_key, set_or_remove,
    store_multi, take_array, take_object,
};
use super::{PatchOp, PatchOpKind, PatchOptions};
use crate::scim::error::ScimError;
use crate::scim::filter::Filter;
use crate::scim::path::PatchPath;
use crate::scim::resource::{self, InputOptions};
use crate::scim::schema::{AttrType, AttributeDef, Mutability, ResourceType, Schema};
use serde_json::{Map, Value};
use std::collections::HashMap;

pub(super) type Def = &'static AttributeDef;

/// What one operation addresses, with canonical definitions.
pub(super) struct Target {
    /// The extension URN whose object holds the attribute; `None` for top level.
    pub(super) ext: Option<&'static str>,
    pub(super) def: Def,
    /// The value filter, bound to `def` (multi-valued complex attributes only).
    pub(super) filter: Option<Filter>,
    pub(super) sub: Option<Def>,
}

/// An object of attributes addressed as a whole: the resource itself, or an extension's object.
#[derive(Clone, Copy)]
pub(super) enum Container {
    Core,
    Ext(&'static Schema),
}

pub(super) struct Engine<'a> {
    pub(super) rt: &'a ResourceType,
    pub(super) compat: bool,
    pub(super) input: InputOptions,
}

pub(super) fn apply(
    resource: &Value,
    ops: &[PatchOp],
    rt: &ResourceType,
    opts: PatchOptions,
) -> Result<Value, ScimError> {
    let mut work = resource.clone();
    if !work.is_object() {
        return Err(internal());
    }
    let engine = Engine {
        rt,
        compat: opts.compat,
        input: InputOptions {
            lenient_booleans: opts.compat,
        },
    };
    for (i, op) in ops.iter().enumerate() {
        engine.op(&mut work, op).map_err(|mut e| {
            e.detail = format!("Operations[{i}]: {}", e.detail);
            e
        })?;
    }
    engine.finish(&mut work)?;
    Ok(work)
}

pub(super) fn internal() -> ScimError {
    ScimError::status(500, "the stored resource is not a JSON object")
}

pub(super) fn missing(kind: PatchOpKind) -> ScimError {
    ScimError::invalid_value(format!("a {} operation requires a 'value'", kind.as_str()))
}

pub(super) fn no_match(t: &Target) -> ScimError {
    ScimError::no_target(format!(
        "the value filter on '{}' matched no value",
        t.def.name
    ))
}

impl Engine<'_> {
    pub(super) fn op(&self, work: &mut Value, op: &PatchOp) -> Result<(), ScimError> {
        let value = op.value.as_ref();
        match (&op.path, op.op) {
            (None, PatchOpKind::Remove) => {
                Err(ScimError::no_target("a remove operation requires a 'path'"))
            }
            (None, kind) => {
                let v = value.ok_or_else(|| missing(kind))?;
                if !v.is_object() {
                    return Err(ScimError::invalid_value(
                        "without a 'path', the 'value' must be an object of attributes",
                    ));
                }
                self.container(work, kind, Container::Core, v)
            }
            (Some(path), kind) => {
                if kind != PatchOpKind::Remove && value.is_none() {
                    return Err(missing(kind));
                }
                self.at_path(work, kind, path, value)
            }
        }
    }

    pub(super) fn at_path(
        &self,
        work: &mut Value,
        kind: PatchOpKind,
        path: &str,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        if let Some(c) = self.container_named(path) {
            return match (kind, value) {
                (PatchOpKind::Remove, _) => self.remove_container(work, c),
                (_, Some(v)) => self.container(work, kind, c, v),
                (_, None) => Err(missing(kind)),
            };
        }
        let target = self.target(path)?;
        self.apply_target(work, kind, &target, value)
    }

    /// A path that is a schema URN addresses that schema's attributes as one object.
    pub(super) fn container_named(&self, name: &str) -> Option<Container> {
        if name.eq_ignore_ascii_case(self.rt.schema.id) {
            return Some(Container::Core);
        }
        self.rt.extension(name).map(Container::Ext)
    }

    pub(super) fn core_attr(&self, name: &str) -> Option<Def> {
        let common: &'static [AttributeDef] = self.rt.common;
        let core: &'static Schema = self.rt.schema;
        common
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
            .or_else(|| core.attr(name))
    }

    /// Add/replace of an object of attributes (path-less value, or a schema URN path): each
    /// attribute is processed as if it were the op's path. Keys that are paths rather than
    /// attribute names (`name.givenName`, `urn:...:User:department`, `emails[...]`) are
    /// accepted in compat mode only, where Entra ID sends them.
    pub(super) fn container(
        &self,
        work: &mut Value,
        kind: PatchOpKind,
        c: Container,
        value: &Value,
    ) -> Result<(), ScimError> {
        if value.is_null() {
            return match (kind, c) {
                (PatchOpKind::Replace, Container::Ext(_)) => self.remove_container(work, c),
                _ => Ok(()),
            };
        }
        let obj = value.as_object().ok_or_else(|| {
            ScimError::invalid_value("the value of a schema container must be an object")
        })?;
        for (key, v) in obj {
            if key.eq_ignore_ascii_case("schemas") {
                // Server-managed (kept in step with the extensions present). Clients that model
                // an extension as an object of its own (scim2-models does) send it inside the
                // extension container too.
                continue;
            }
            let (def, ext) = match c {
                Container::Core => {
                    if let Some(inner) = self.container_named(key) {
                        self.container(work, kind, inner, v)?;
                        continue;
                    }
                    (self.core_attr(key), None)
                }
                Container::Ext(s) => (s.attr(key), Some(s.id)),
            };
            match def {
                Some(def) => {
                    let t = Target {
                        ext,
                        def,
                        filter: None,
                        sub: None,
                    };
                    self.apply_target(work, kind, &t, Some(v))?;
                }
                None if self.compat => {
                    let path = match ext {
                        Some(u) => format!("{u}:{key}"),
                        None => key.clone(),
                    };
                    self.at_path(work, kind, &path, Some(v))?;
                }
                None => {
                    return Err(ScimError::invalid_path(format!(
                        "'{key}' is not an attribute of {}",
                        ext.unwrap_or(self.rt.schema.id)
                    )));
                }
            }
        }
        if let (Container::Ext(schema), Some(root)) = (c, work.as_object_mut()) {
            // Adding an extension container says the resource has the extension, even when
            // nothing in it is writable (see `Schema::is_read_only`).
            root.entry(schema.id.to_string())
                .or_insert_with(|| Value::Object(Default::default()));
        }
        Ok(())
    }

    pub(super) fn remove_container(&self, work: &mut Value, c: Container) -> Result<(), ScimError> {
        match c {
            Container::Core => Err(ScimError::invalid_path("the core schema cannot be removed")),
            Container::Ext(s) => {
                for def in &s.attributes {
                    self.remove_whole(work, Some(s.id), def)?;
                }
                Ok(())
            }
        }
    }

    /// Parses and binds a path (canonical names, value filter bound to the attribute). Every
    /// failure, including an unknown attribute inside the filter, is `invalidPath` (RFC 7644
    /// §3.12: the path is what is malformed).
    pub(super) fn target(&self, path: &str) -> Result<Target, ScimError> {
        let parsed = PatchPath::parse(path)?.bind(self.rt)?;
        let loc = self
            .rt
            .resolve(parsed.attr.urn.as_deref(), &parsed.attr.name)
            .ok_or_else(|| {
                ScimError::invalid_path(format!(
                    "unknown attribute '{}' for {}",
                    parsed.attr, self.rt.name
                ))
            })?;
        let def = loc.def;
        let sub_name = match (parsed.attr.sub.as_deref(), parsed.sub.as_deref()) {
            (Some(_), Some(_)) => {
                return Err(ScimError::invalid_path(format!("malformed path '{path}'")));
            }
            (a, b) => a.or(b),
        };
        let sub = match sub_name {
            None => None,
            Some(n) => {
                if def.ty != AttrType::Complex {
                    return Err(ScimError::invalid_path(format!(
                        "'{}' has no sub-attributes",
                        def.name
                    )));
                }
                Some(def.sub(n).ok_or_else(|| {
                    ScimError::invalid_path(format!(
                        "unknown sub-attribute '{n}' of '{}'",
                        def.name
                    ))
                })?)
            }
        };
        let filter = match parsed.filter {
            None => None,
            Some(f) => {
                if !(def.multi_valued && def.ty == AttrType::Complex) {
                    return Err(ScimError::invalid_path(format!(
                        "a value filter needs a multi-valued complex attribute, '{}' is not",
                        def.name
                    )));
                }
                Some(f)
            }
        };
        Ok(Target {
            ext: loc.extension,
            def,
            filter,
            sub,
        })
    }

    pub(super) fn apply_target(
        &self,
        work: &mut Value,
        kind: PatchOpKind,
        t: &Target,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        if t.def.mutability == Mutability::ReadOnly
            || t.sub.is_some_and(|s| s.mutability == Mutability::ReadOnly)
        {
            // Okta renames a group with `replace` of {id, displayName}: the id it sends is the
            // one the group has, which changes nothing (Okta: SCIM 2.0 protocol reference).
            let unchanged = kind != PatchOpKind::Remove
                && t.ext.is_none()
                && t.sub.is_none()
                && t.filter.is_none()
                && value.is_some()
                && work.get(t.def.name) == value;
            if unchanged {
                return Ok(());
            }
            let name = match t.sub {
                Some(s) => format!("{}.{}", t.def.name, s.name),
                None => t.def.name.to_string(),
            };
            return Err(ScimError::mutability(format!("'{name}' is readOnly")));
        }
        let v = match (kind, value) {
            (PatchOpKind::Remove, _) => return self.remove(work, t, value),
            (_, Some(v)) => v,
            (_, None) => return Err(missing(kind)),
        };
        if v.is_null() && kind == PatchOpKind::Add {
            // Adding "unassigned" changes nothing (RFC 7643 §2.5).
            return Ok(());
        }
        match (&t.filter, t.sub) {
            (Some(f), sub) => self.write_filtered(work, t, f, sub, v),
            (None, Some(sub)) => self.write_sub_everywhere(work, t, sub, v),
            (None, None) => self.write_whole(work, kind, t, v),
        }
    }

    /// add/replace of a whole attribute (RFC 7644 §3.5.2.1, §3.5.2.3).
    pub(super) fn write_whole(
        &self,
        work: &mut Value,
        kind: PatchOpKind,
        t: &Target,
        v: &Value,
    ) -> Result<(), ScimError> {
        let def = t.def;
        let map = holder(work, t.ext)?;
        if v.is_null() {
            // replace with null: the attribute becomes unassigned.
            check_immutable(def, map.get(def.name), None)?;
            map.remove(def.name);
            return Ok(());
        }
        if def.multi_valued {
            let items = match v {
                Value::Array(a) => a.clone(),
                // add: "a new value is added"; a single value is accepted. Replace needs the
                // full array except in compat mode (Entra sends a lone member object).
                x if kind == PatchOpKind::Add || self.compat => vec![x.clone()],
                _ => {
                    return Err(ScimError::invalid_value(format!(
                        "'{}' is multi-valued and must be replaced with an array",
                        def.name
                    )));
                }
            };
            let new = self.canonical_multi(def, &items)?;
            if kind == PatchOpKind::Add {
                // "If the target location already contains the value specified, no changes
                // SHOULD be made": a value whose sub-attributes a stored value already has is
                // not added again (`{"value": id}` for a member stored with its `type`).
                let mut arr = take_array(map, def);
                let mut index: HashMap<String, Vec<usize>> = HashMap::with_capacity(arr.len());
                for (i, e) in arr.iter().enumerate() {
                    index.entry(lookup_key(e)).or_default().push(i);
                }
                let mut touched = Vec::new();
                for item in new {
                    let key = lookup_key(&item);
                    let found = index.get(&key).and_then(|cands| {
                        cands
                            .iter()
                            .copied()
                            .find(|&i| arr.get(i).is_some_and(|e| contains(def, e, &item)))
                    });
                    match found {
                        // Counts as setting `primary` only if this op asked for it.
                        Some(i) if is_primary(&item) => touched.push(i),
                        Some(_) => {}
                        None => {
                            arr.push(item);
                            index.entry(key).or_default().push(arr.len() - 1);
                            touched.push(arr.len() - 1);
                        }
                    }
                }
                return store_multi(map, def, arr, &touched);
            }
            let new = (!new.is_empty()).then_some(Value::Array(new));
            check_immutable(def, map.get(def.name), new.as_ref())?;
            set_or_remove(map, def, new);
            return Ok(());
        }
        if def.ty == AttrType::Complex {
            // Both add and replace merge sub-attributes: "sub-attributes that are not specified
            // in the value are left unchanged" (§3.5.2.3).
            let src = self.complex_value(def, v)?;
            let old = map.get(def.name).cloned();
            let mut obj = take_object(map, def);
            self.merge(def, &mut obj, &src)?;
            let new = (!obj.is_empty()).then_some(Value::Object(obj));
            check_immutable(def, old.as_ref(), new.as_ref())?;
            set_or_remove(map, def, new);
            return Ok(());
        }
        let new = resource::canonical_attr_value(def, v, self.input)?;
        check_immutable(def, map.get(def.name), new.as_ref())?;
        set_or_remove(map, def, new);
        Ok(())
    }

    /// `attr.sub`: the sub-attribute of a single complex value, or of every value of a
    /// multi-valued one (no values: `noTarget`).
    pub(super) fn write_sub_everywhere(
        &self,
        work: &mut Value,
        t: &Target,
        sub: Def,
        v: &Value,
    ) -> Result<(), ScimError> {
        let map = holder(work, t.ext)?;
        if t.def.multi_valued {
            let mut arr = take_array(map, t.def);
            if arr.is_empty() {
                return Err(ScimError::no_target(format!(
                    "'{}' has no values whose '{}' could be set",
                    t.def.name, sub.name
                )));
            }
            for e in arr.iter_mut() {
                if let Some(o) = e.as_object_mut() {
                    self.set_sub(o, sub, v)?;
                }
            }
            let touched: Vec<usize> = (0..arr.len()).collect();
            return store_multi(map, t.def, arr, &touched);
        }
        let mut obj = take_object(map, t.def);
        self.set_sub(&mut obj, sub, v)?;
        set_or_remove(map, t.def, (!obj.is_empty()).then_some(Value::Object(obj)));
        Ok(())
    }

    /// `attr[filter]` and `attr[filter].sub` for add/replace: edits the matching values.
    pub(super) fn write_filtered(
        &self,
        work: &mut Value,
        t: &Target,
        f: &Filter,
        sub: Option<Def>,
        v: &Value,
    ) -> Result<(), ScimError> {
        let map = holder(work, t.ext)?;
        let mut arr = take_array(map, t.def);
        let mut hits = self.matching(t, f, &arr);
        if hits.is_empty() && self.compat && v.is_null() {
            // Compat: unassigning something that does not exist is done already.
            return store_multi(map, t.def, arr, &[]);
        }
        if hits.is_empty() {
            // Compat: Entra relies on `emails[type eq "work"].value` creating the value.
            let seed = if self.compat { seed(t.def, f) } else { None };
            let Some(seed) = seed else {
                return Err(no_match(t));
            };
            let mut obj = Map::new();
            for (s, x) in seed {
                self.set_sub(&mut obj, s, &x)?;
            }
            arr.push(Value::Object(obj));
            hits.push(arr.len() - 1);
        }
        let src = match sub {
            Some(_) => None,
            None => Some(self.complex_value(t.def, v)?),
        };
        for &i in &hits {
            let Some(o) = arr.get_mut(i).and_then(Value::as_object_mut) else {
                continue;
            };
            match (sub, &src) {
                (Some(s), _) => self.set_sub(o, s, v)?,
                (None, Some(src)) => self.merge(t.def, o, src)?,
                (None, None) => {}
            }
        }
        store_multi(map, t.def, arr, &hits)
    }

    /// Final pass: unassigned values dropped, `schemas` in step, required attributes present. A
    /// required attribute that "becomes unassigned" is `mutability` (RFC 7644 §3.5.2.2), however
    /// it happened (`remove`, or `replace` with `null`).
    pub(super) fn finish(&self, work: &mut Value) -> Result<(), ScimError> {
        {
            let root = work.as_object_mut().ok_or_else(internal)?;
            let rt = self.rt;
            root.retain(|k, v| {
                k == "schemas"
                    || !is_unassigned(v)
                    || (v.is_object() && rt.extension(k).is_some_and(|e| e.is_read_only()))
            });
            for e in &self.rt.extensions {
                if let Some(Value::Object(m)) = root.get_mut(e.schema.id) {
                    m.retain(|_, v| !is_unassigned(v));
                }
            }
        }
        resource::sync_schemas(work, self.rt);
        let root = work.as_object().ok_or_else(internal)?;
        let missing = |name: &str| {
            ScimError::mutability(format!("required attribute '{name}' would be unassigned"))
        };
        for def in self.rt.schema.attributes.iter().filter(|d| d.required) {
            if !root.contains_key(def.name) {
                return Err(missing(def.name));
            }
        }
        for e in &self.rt.extensions {
            match root.get(e.schema.id) {
                None if e.required => return Err(missing(e.schema.id)),
                None => {}
                Some(m) => {
                    for def in e.schema.attributes.iter().filter(|d| d.required) {
                        if m.get(def.name).is_none() {
                            return Err(missing(def.name));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
