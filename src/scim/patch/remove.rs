//! `remove` (RFC 7644 §3.5.2.2): whole attributes, sub-attributes, and filtered values.

use super::apply::{Def, Engine, Target, no_match};
use super::values::{
    check_immutable, holder, listed_matches, required_sub, set_or_remove, store_multi, take_array,
    take_object,
};
use crate::scim::error::ScimError;
use crate::scim::filter::Filter;
use crate::scim::schema::Mutability;
use serde_json::Value;

impl Engine<'_> {
    /// remove (RFC 7644 §3.5.2.2).
    pub(super) fn remove(
        &self,
        work: &mut Value,
        t: &Target,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        match (&t.filter, t.sub) {
            (Some(f), sub) => self.remove_filtered(work, t, f, sub),
            (None, Some(sub)) => self.remove_sub_everywhere(work, t, sub),
            (None, None) => match value {
                // Compat: `{"op":"Remove","path":"members","value":[{"value":"id"}]}` removes
                // only the listed values. Strict RFC has no such form: the value is ignored and
                // every value is removed.
                Some(v) if self.compat && t.def.multi_valued && !v.is_null() => {
                    self.remove_listed(work, t, v)
                }
                _ => self.remove_whole(work, t.ext, t.def),
            },
        }
    }

    /// Removing a required attribute is `mutability` (§3.5.2.2); an assigned immutable one too.
    pub(super) fn remove_whole(
        &self,
        work: &mut Value,
        ext: Option<&'static str>,
        def: Def,
    ) -> Result<(), ScimError> {
        let map = holder(work, ext)?;
        if def.required {
            return Err(ScimError::mutability(format!(
                "'{}' is required and cannot be removed",
                def.name
            )));
        }
        if map.contains_key(def.name) && def.mutability == Mutability::ReadOnly {
            return Err(ScimError::mutability(format!("'{}' is readOnly", def.name)));
        }
        check_immutable(def, map.get(def.name), None)?;
        map.remove(def.name);
        Ok(())
    }

    pub(super) fn remove_sub_everywhere(
        &self,
        work: &mut Value,
        t: &Target,
        sub: Def,
    ) -> Result<(), ScimError> {
        required_sub(t.def, sub)?;
        let map = holder(work, t.ext)?;
        if t.def.multi_valued {
            let mut arr = take_array(map, t.def);
            for o in arr.iter_mut().filter_map(Value::as_object_mut) {
                check_immutable(sub, o.get(sub.name), None)?;
                o.remove(sub.name);
            }
            return store_multi(map, t.def, arr, &[]);
        }
        let mut obj = take_object(map, t.def);
        check_immutable(sub, obj.get(sub.name), None)?;
        obj.remove(sub.name);
        set_or_remove(map, t.def, (!obj.is_empty()).then_some(Value::Object(obj)));
        Ok(())
    }

    /// Removes the matching values, or their sub-attribute. No match: `noTarget`, or in compat
    /// mode a successful no-op (Entra removes members that may already be gone).
    pub(super) fn remove_filtered(
        &self,
        work: &mut Value,
        t: &Target,
        f: &Filter,
        sub: Option<Def>,
    ) -> Result<(), ScimError> {
        if let Some(s) = sub {
            required_sub(t.def, s)?;
        }
        let map = holder(work, t.ext)?;
        let arr = take_array(map, t.def);
        let hits = self.matching(t, f, &arr);
        if hits.is_empty() && !self.compat {
            return Err(no_match(t));
        }
        let mut hit = vec![false; arr.len()];
        for &i in &hits {
            if let Some(h) = hit.get_mut(i) {
                *h = true;
            }
        }
        let mut out = Vec::with_capacity(arr.len());
        for (mut e, is_hit) in arr.into_iter().zip(hit) {
            if !is_hit {
                out.push(e);
                continue;
            }
            if let (Some(s), Some(o)) = (sub, e.as_object_mut()) {
                check_immutable(s, o.get(s.name), None)?;
                o.remove(s.name);
                out.push(e);
            }
        }
        store_multi(map, t.def, out, &[])
    }

    /// Compat `remove` with a value list: a stored value goes when a listed value's
    /// sub-attributes all equal its own (so `{"value": id}` removes the member whatever its
    /// `display`). Nothing matching is a no-op.
    pub(super) fn remove_listed(
        &self,
        work: &mut Value,
        t: &Target,
        v: &Value,
    ) -> Result<(), ScimError> {
        let items = match v {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        let listed = self.canonical_multi(t.def, &items)?;
        let map = holder(work, t.ext)?;
        let mut arr = take_array(map, t.def);
        arr.retain(|e| !listed.iter().any(|l| listed_matches(t.def, l, e)));
        store_multi(map, t.def, arr, &[])
    }
}
