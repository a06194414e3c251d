//! Binding (schema checks, canonical names) and evaluation of filters. Errors here are bare
//! details; the public wrappers on [`Filter`] and [`crate::scim::path::PatchPath`] turn them
//! into `invalidFilter` / `invalidPath`.

use super::ast::{CompValue, CompareOp, Filter};
use crate::scim::path::{AttrPath, bind_attr_path, collect_values, get_ci};
use crate::scim::schema::{AttrType, AttributeDef, Mutability, ResourceType, Returned, Uniqueness};
use chrono::DateTime;
use serde_json::{Number, Value};
use std::cmp::Ordering;
use std::sync::OnceLock;

/// What a filter's attribute paths are relative to.
#[derive(Clone, Copy)]
pub(crate) enum Scope<'a> {
    /// Top-level paths of a resource of this type.
    Resource(&'a ResourceType),
    /// Sub-attribute names of one value of this complex attribute (inside `attr[...]`).
    Within(&'a AttributeDef),
}

/// Resolves every path of `f` in `scope`, checks operators against types, canonicalises names.
pub(crate) fn bind(f: Filter, scope: Scope<'_>) -> Result<Filter, String> {
    Ok(match f {
        Filter::Present(p) => Filter::Present(resolve(p, scope)?.0),
        Filter::Compare(p, op, v) => {
            let (mut p, mut def) = resolve(p, scope)?;
            if def.ty == AttrType::Complex && v != CompValue::Null {
                // Common practice: `emails eq "x"` means `emails.value eq "x"`.
                match def.sub("value") {
                    Some(vd) if p.sub.is_none() && matches!(scope, Scope::Resource(_)) => {
                        p.sub = Some(vd.name.to_string());
                        def = vd;
                    }
                    _ => {
                        return Err(format!(
                            "cannot compare complex attribute '{p}'; name a sub-attribute"
                        ));
                    }
                }
            }
            check_operand(&p, def, op, &v)?;
            Filter::Compare(p, op, v)
        }
        Filter::ValuePath(p, inner) => {
            let Scope::Resource(rt) = scope else {
                return Err(format!("nested value path '{p}[...]'"));
            };
            let (p, def) = bind_attr_path(p, rt)?;
            if def.ty != AttrType::Complex || p.sub.is_some() {
                return Err(format!(
                    "value filter on '{p}', which is not a complex attribute"
                ));
            }
            Filter::ValuePath(p, Box::new(bind(*inner, Scope::Within(def))?))
        }
        Filter::And(l, r) => Filter::And(Box::new(bind(*l, scope)?), Box::new(bind(*r, scope)?)),
        Filter::Or(l, r) => Filter::Or(Box::new(bind(*l, scope)?), Box::new(bind(*r, scope)?)),
        Filter::Not(inner) => Filter::Not(Box::new(bind(*inner, scope)?)),
    })
}

/// Canonical path and the definition it designates.
fn resolve<'a>(p: AttrPath, scope: Scope<'a>) -> Result<(AttrPath, &'a AttributeDef), String> {
    match scope {
        Scope::Resource(rt) => match schemas_attr(rt, &p) {
            Some(def) => Ok((
                AttrPath {
                    urn: None,
                    name: def.name.to_string(),
                    sub: None,
                },
                def,
            )),
            None => bind_attr_path(p, rt),
        },
        Scope::Within(parent) => {
            if p.urn.is_some() || p.sub.is_some() {
                return Err(format!(
                    "'{p}' in a value filter must be a sub-attribute name of '{}'",
                    parent.name
                ));
            }
            let d = parent.sub(&p.name).ok_or_else(|| {
                format!("unknown sub-attribute '{}' of '{}'", p.name, parent.name)
            })?;
            let path = AttrPath {
                urn: None,
                name: d.name.to_string(),
                sub: None,
            };
            Ok((path, d))
        }
    }
}

/// `schemas` is not in any schema's attribute list, yet RFC 7644 §3.4.2.2 filters on it
/// (`schemas eq "urn:...:enterprise:2.0:User"`): a multi-valued, case-insensitive string.
fn schemas_attr(rt: &ResourceType, p: &AttrPath) -> Option<&'static AttributeDef> {
    static DEF: OnceLock<AttributeDef> = OnceLock::new();
    if p.urn.is_some() || p.sub.is_some() || !p.name.eq_ignore_ascii_case("schemas") {
        return None;
    }
    if rt.resolve(None, "schemas").is_some() {
        return None;
    }
    Some(DEF.get_or_init(|| AttributeDef {
        name: "schemas",
        ty: AttrType::String,
        multi_valued: true,
        description: "The schema URNs the resource conforms to.",
        required: true,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        returned: Returned::Always,
        uniqueness: Uniqueness::None,
        canonical_values: Vec::new(),
        reference_types: Vec::new(),
        sub_attributes: Vec::new(),
    }))
}

/// RFC 7644 §3.4.2.2: the operator and value must suit the attribute's type.
fn check_operand(
    p: &AttrPath,
    def: &AttributeDef,
    op: CompareOp,
    v: &CompValue,
) -> Result<(), String> {
    use CompareOp::*;
    let ordering = matches!(op, Gt | Ge | Lt | Le);
    let substring = matches!(op, Co | Sw | Ew);
    let ty = def.ty;
    let unsupported = || {
        format!(
            "operator '{op}' is not supported on {} attribute '{p}'",
            ty.as_str()
        )
    };
    let mismatch = |kind: &str| {
        format!(
            "{} attribute '{p}' cannot be compared with {kind}",
            ty.as_str()
        )
    };
    match v {
        CompValue::Null if ordering || substring => {
            Err(format!("operator '{op}' cannot compare with null"))
        }
        CompValue::Null => Ok(()),
        CompValue::Bool(_) if ty != AttrType::Boolean => Err(mismatch("a boolean")),
        CompValue::Bool(_) if ordering || substring => Err(unsupported()),
        CompValue::Bool(_) => Ok(()),
        CompValue::Number(_) if !matches!(ty, AttrType::Integer | AttrType::Decimal) => {
            Err(mismatch("a number"))
        }
        CompValue::Number(_) if substring => Err(unsupported()),
        CompValue::Number(_) => Ok(()),
        CompValue::Str(s) => match ty {
            AttrType::String | AttrType::Reference => Ok(()),
            AttrType::Binary if ordering => Err(unsupported()),
            AttrType::Binary => Ok(()),
            AttrType::DateTime if substring => Ok(()),
            AttrType::DateTime => DateTime::parse_from_rfc3339(s)
                .map(|_| ())
                .map_err(|_| format!("'{s}' is not an RFC 3339 dateTime (attribute '{p}')")),
            AttrType::Boolean | AttrType::Integer | AttrType::Decimal | AttrType::Complex => {
                Err(mismatch("a string"))
            }
        },
    }
}

/// Evaluates `f` against `node`: a whole resource, or one complex value for [`Scope::Within`].
pub(crate) fn eval(f: &Filter, node: &Value, scope: Scope<'_>) -> bool {
    match f {
        Filter::Present(p) => {
            lookup(p, node, scope).is_some_and(|(_, vals)| vals.into_iter().any(present))
        }
        Filter::Compare(p, op, v) => {
            lookup(p, node, scope).is_some_and(|(def, vals)| compare_all(def, &vals, *op, v))
        }
        Filter::ValuePath(p, inner) => {
            let Some((def, elems)) = lookup(p, node, scope) else {
                return false;
            };
            elems
                .into_iter()
                .any(|e| eval(inner, e, Scope::Within(def)))
        }
        Filter::And(l, r) => eval(l, node, scope) && eval(r, node, scope),
        Filter::Or(l, r) => eval(l, node, scope) || eval(r, node, scope),
        Filter::Not(inner) => !eval(inner, node, scope),
    }
}

/// The definition a path designates and the non-null values it has in `node`.
fn lookup<'a, 'v>(
    p: &AttrPath,
    node: &'v Value,
    scope: Scope<'a>,
) -> Option<(&'a AttributeDef, Vec<&'v Value>)> {
    let (def, top) = match scope {
        Scope::Resource(rt) => {
            if let Some(def) = schemas_attr(rt, p) {
                return Some((def, collect_values(get_ci(node, "schemas"), None)));
            }
            let loc = rt.resolve(p.urn.as_deref(), &p.name)?;
            let container = match loc.extension {
                Some(ext) => get_ci(node, ext),
                None => Some(node),
            };
            (loc.def, container.and_then(|c| get_ci(c, loc.def.name)))
        }
        Scope::Within(parent) => {
            if p.urn.is_some() {
                return None;
            }
            (parent.sub(&p.name)?, get_ci(node, &p.name))
        }
    };
    let def = match &p.sub {
        Some(s) => def.sub(s)?,
        None => def,
    };
    Some((def, collect_values(top, p.sub.as_deref())))
}

/// `pr`: not null, not `""`, not an empty array, not an object without present members.
fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => items.iter().any(present),
        Value::Object(m) => m.values().any(present),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// Any-value semantics for multi-valued attributes; `ne` is `not (eq)` over the whole attribute.
fn compare_all(def: &AttributeDef, vals: &[&Value], op: CompareOp, v: &CompValue) -> bool {
    match (op, v) {
        (CompareOp::Eq, CompValue::Null) => !vals.iter().any(|x| present(x)),
        (CompareOp::Ne, CompValue::Null) => vals.iter().any(|x| present(x)),
        (_, CompValue::Null) => false,
        (CompareOp::Ne, _) => !vals.iter().any(|x| compare_one(def, x, CompareOp::Eq, v)),
        _ => vals.iter().any(|x| compare_one(def, x, op, v)),
    }
}

fn compare_one(def: &AttributeDef, actual: &Value, op: CompareOp, v: &CompValue) -> bool {
    match (actual, v) {
        (Value::String(a), CompValue::Str(b)) => {
            if def.ty == AttrType::DateTime
                && !matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
            {
                return match (
                    DateTime::parse_from_rfc3339(a),
                    DateTime::parse_from_rfc3339(b),
                ) {
                    (Ok(a), Ok(b)) => ordering_holds(op, a.cmp(&b)),
                    _ => false,
                };
            }
            let exact = def.case_exact || matches!(def.ty, AttrType::Binary | AttrType::Reference);
            if exact {
                compare_str(op, a, b)
            } else {
                compare_str(op, &a.to_lowercase(), &b.to_lowercase())
            }
        }
        (Value::Number(a), CompValue::Number(b)) => {
            cmp_numbers(a, b).is_some_and(|o| ordering_holds(op, o))
        }
        (Value::Bool(a), CompValue::Bool(b)) => op == CompareOp::Eq && a == b,
        _ => false,
    }
}

fn compare_str(op: CompareOp, a: &str, b: &str) -> bool {
    match op {
        CompareOp::Co => a.contains(b),
        CompareOp::Sw => a.starts_with(b),
        CompareOp::Ew => a.ends_with(b),
        _ => ordering_holds(op, a.cmp(b)),
    }
}

/// Whether `actual.cmp(filter_value) == ord` satisfies `op` (substring operators never do).
fn ordering_holds(op: CompareOp, ord: Ordering) -> bool {
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// Exact for two integers (i64 or u64), f64 otherwise.
fn cmp_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    let int = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (int(a), int(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}
