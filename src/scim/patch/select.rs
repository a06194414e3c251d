//! Value filters in paths (`emails[type eq "work"]`): matching values, and the value a compat
//! add/replace creates when nothing matched.

use super::apply::{Def, Engine, Target};
use crate::scim::filter::{CompValue, CompareOp, Filter};
use crate::scim::schema::Mutability;
use serde_json::Value;

impl Engine<'_> {
    pub(super) fn matching(&self, t: &Target, f: &Filter, arr: &[Value]) -> Vec<usize> {
        arr.iter()
            .enumerate()
            .filter(|(_, e)| self.element_matches(t, f, e))
            .map(|(i, _)| i)
            .collect()
    }

    /// Evaluates a path's value filter (bound relative to the attribute) against one value.
    pub(super) fn element_matches(&self, t: &Target, bound: &Filter, elem: &Value) -> bool {
        super::values::visit();
        bound.matches_value(elem, t.def)
    }
}

/// The value a compat add/replace creates when its filter matched nothing: the sub-attribute
/// values a conjunction of `eq` comparisons pins down (`type eq "work"` gives `type: work`).
/// Any other filter shape cannot be turned into a value: `None`.
pub(super) fn seed(def: Def, f: &Filter) -> Option<Vec<(Def, Value)>> {
    fn walk(def: Def, f: &Filter, out: &mut Vec<(Def, Value)>) -> bool {
        match f {
            Filter::ValuePath(_, inner) => walk(def, inner, out),
            Filter::And(a, b) => walk(def, a, out) && walk(def, b, out),
            Filter::Compare(p, CompareOp::Eq, v) => {
                let name = match &p.sub {
                    Some(s) if p.name.eq_ignore_ascii_case(def.name) => s.as_str(),
                    Some(_) => return false,
                    None => p.name.as_str(),
                };
                let Some(sub) = def.sub(name) else {
                    return false;
                };
                let v = match v {
                    CompValue::Null => return true,
                    CompValue::Bool(b) => Value::Bool(*b),
                    CompValue::Number(n) => Value::Number(n.clone()),
                    CompValue::Str(s) => Value::String(s.clone()),
                };
                if sub.mutability != Mutability::ReadOnly {
                    out.push((sub, v));
                }
                true
            }
            _ => false,
        }
    }
    let mut out = Vec::new();
    (walk(def, f, &mut out) && !out.is_empty()).then_some(out)
}
