//! Binding (schema checks, canonical names) and evaluation of the filters of
//! [`super`]. Errors here are bare details; the public wrappers on [`Filter`] and
//! [`crate::scim::path::PatchPath`] turn them into `invalidFilter` / `invalidPath`.

use super::{CompValue, CompareOp, Filter};
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::error::ScimType;
    use crate::scim::schema::{ENTERPRISE_USER_SCHEMA, Schema, USER_SCHEMA, group_type, user_type};
    use serde_json::json;

    const ID: &str = "2819c223-7f76-453a-919d-413861904646";

    fn user() -> Value {
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "id": ID,
            "externalId": "bjensen-EXT",
            "userName": "Bjensen@Example.com",
            "name": {"familyName": "O'Malley", "givenName": "Barbara"},
            "title": "Tour \"Guide\"",
            "userType": "Employee",
            "nickName": "",
            "active": true,
            "profileUrl": "https://login.example.com/bjensen",
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "ims": [],
            "x509Certificates": [{"value": "MIIDQzCC"}],
            "meta": {
                "resourceType": "User",
                "created": "2010-01-23T04:56:22Z",
                "lastModified": "2011-05-13T04:42:34Z"
            },
            ENTERPRISE_USER_SCHEMA: {
                "employeeNumber": "701984",
                "manager": {"value": "26118915", "displayName": "John Smith"}
            }
        })
    }

    fn bound(filter: &str, rt: &ResourceType) -> Result<Filter, crate::scim::ScimError> {
        Filter::parse(filter)?.bind(rt)
    }

    fn m(filter: &str) -> bool {
        let f = bound(filter, user_type()).expect(filter);
        f.matches(&user(), user_type())
    }

    fn bind_err(filter: &str) -> String {
        let e = bound(filter, user_type()).expect_err(filter);
        assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{filter}");
        e.detail
    }

    #[test]
    fn string_operators_follow_case_exact() {
        assert!(m(r#"userName eq "bjensen@example.COM""#));
        assert!(m(r#"USERNAME Eq "BJENSEN@EXAMPLE.COM""#));
        assert!(m(r#"userName co "EXAMPLE""#));
        assert!(m(r#"userName sw "bj""#));
        assert!(m(r#"userName ew ".Com""#));
        assert!(!m(r#"userName sw "example""#));
        assert!(m(r#"userName gt "a""#) && m(r#"userName ge "BJENSEN@example.com""#));
        assert!(m(r#"userName lt "c""#) && m(r#"userName le "bjensen@example.com""#));
        assert!(!m(r#"userName gt "c""#) && !m(r#"userName lt "a""#));
        assert!(m(&format!(r#"id eq "{ID}""#)));
        assert!(!m(&format!(r#"id eq "{}""#, ID.to_uppercase())));
        assert!(m(r#"externalId eq "bjensen-EXT""#) && !m(r#"externalId eq "bjensen-ext""#));
        assert!(!m(r#"externalId co "ext""#));
        assert!(m(r#"name.familyName co "o'mal""#));
        assert!(m(r#"title eq "tour \"guide\"""#));
        assert!(m("userName eq \"\\u0042jensen@example.com\""));
    }

    #[test]
    fn ne_is_not_eq_and_true_when_absent() {
        assert!(!m(r#"userType ne "employee""#));
        assert!(m(r#"userType ne "Intern""#));
        assert!(m(r#"locale ne "en""#));
        assert!(!m(r#"locale eq "en""#));
        assert!(!m(r#"emails.type ne "home""#), "one value is home");
        assert!(m(r#"emails.type ne "other""#));
    }

    #[test]
    fn present_and_null() {
        assert!(m("title pr") && m("emails pr") && m("name pr") && m("emails.value pr"));
        assert!(!m("nickName pr"), "empty string");
        assert!(!m("ims pr"), "empty array");
        assert!(!m("locale pr") && !m("addresses pr") && !m("name.middleName pr"));
        assert!(m("locale eq null") && m("nickName eq null") && !m("title eq null"));
        assert!(m("title ne null") && !m("locale ne null"));
        assert_ne!(m("emails eq null"), m("emails pr"));
    }

    #[test]
    fn multi_valued_attributes_match_any_value() {
        assert!(m(r#"emails.value co "@jensen.org""#));
        assert!(m(r#"emails.type eq "HOME""#));
        assert!(m(r#"emails co "jensen.org""#), "emails means emails.value");
        assert!(m(r#"emails[primary eq true]"#));
        assert!(
            !m(r#"emails[type eq "work" and value co "@jensen.org"]"#),
            "no single element"
        );
        assert!(m(r#"emails[type eq "home" and value co "@jensen.org"]"#));
        assert!(m(
            r#"emails[type eq "work"] and emails.value co "jensen.org""#
        ));
        assert!(m(r#"emails[not (type eq "work")]"#));
        assert!(!m(r#"ims[type eq "xmpp"]"#) && !m(r#"addresses[type eq "work"]"#));
        assert!(m(
            r#"schemas eq "URN:ietf:params:scim:schemas:extension:enterprise:2.0:User""#
        ));
    }

    #[test]
    fn logic_precedence_and_not() {
        assert!(m(r#"title pr or userName eq "x" and active eq false"#));
        assert!(!m(r#"(title pr or userName eq "x") and active eq false"#));
        assert!(!m("not (active eq true)") && m("not(locale pr)"));
        assert!(m(
            r#"userType eq "Employee" and not (emails co "example.org" or emails.value co "x.org")"#
        ));
    }

    #[test]
    fn typed_comparisons() {
        assert!(m("active eq true") && !m("active eq false") && m("active ne false"));
        assert!(m(r#"meta.lastModified gt "2011-05-13T04:42:33Z""#));
        assert!(
            m(r#"meta.lastModified eq "2011-05-13T06:42:34+02:00""#),
            "same instant"
        );
        assert!(m(r#"meta.lastModified ge "2011-05-13T04:42:34.000Z""#));
        assert!(
            m(r#"meta.created lt "2011-01-01T00:00:00Z""#)
                && m(r#"meta.created le "2010-01-23T04:56:22Z""#)
        );
        assert!(!m(r#"meta.created gt "2011-01-01T00:00:00Z""#));
        assert!(m(r#"meta.created sw "2010-01""#));
        assert!(
            m(r#"x509Certificates.value eq "MIIDQzCC""#)
                && !m(r#"x509Certificates.value eq "miidqzcc""#)
        );
        assert!(
            !m(r#"profileUrl eq "https://login.example.com/BJENSEN""#),
            "references are exact"
        );
    }

    #[test]
    fn extension_attributes_with_and_without_urn() {
        assert!(m(&format!(
            r#"{ENTERPRISE_USER_SCHEMA}:employeeNumber eq "701984""#
        )));
        assert!(m(r#"employeeNumber eq "701984""#));
        assert!(m(&format!(
            "{ENTERPRISE_USER_SCHEMA}:manager.value eq \"26118915\""
        )));
        assert!(m(r#"manager eq "26118915""#));
        assert!(m(&format!("{USER_SCHEMA}:userName sw \"BJ\"")));
        assert!(!m(r#"costCenter pr"#));
    }

    #[test]
    fn bind_canonicalises_names_and_urns() {
        let f = bound(&format!("{USER_SCHEMA}:USERNAME eq \"x\""), user_type()).expect("bind");
        assert_eq!(f.to_string(), r#"userName eq "x""#);
        let f = bound(
            r#"EMPLOYEENUMBER eq "1" and EMAILS[TYPE eq "work"] and Name.GivenName pr"#,
            user_type(),
        )
        .expect("bind");
        assert_eq!(
            f.to_string(),
            format!(
                r#"{ENTERPRISE_USER_SCHEMA}:employeeNumber eq "1" and emails[type eq "work"] and name.givenName pr"#
            )
        );
        let f = bound(r#"emails co "x""#, user_type()).expect("bind");
        assert_eq!(f.to_string(), r#"emails.value co "x""#);
        let f = bound(
            r#"members[VALUE eq "1"] or displayName co "a""#,
            group_type(),
        )
        .expect("bind");
        assert_eq!(
            f.to_string(),
            r#"members[value eq "1"] or displayName co "a""#
        );
    }

    #[test]
    fn bind_rejects_unknown_attributes_and_type_mismatches() {
        assert_eq!(bind_err("foo pr"), "unknown attribute 'foo'");
        assert_eq!(
            bind_err("name.foo pr"),
            "unknown sub-attribute 'foo' of 'name'"
        );
        assert!(bind_err("userName.foo pr").contains("has no sub-attributes"));
        assert!(
            bind_err(r#"emails[foo eq "x"]"#).contains("unknown sub-attribute 'foo' of 'emails'")
        );
        assert!(bind_err(r#"emails[emails.type eq "x"]"#).contains("must be a sub-attribute name"));
        assert!(bind_err(r#"userName[value eq "x"]"#).contains("not a complex attribute"));
        assert!(bind_err(r#"name eq "x""#).contains("cannot compare complex attribute 'name'"));
        assert!(bind_err("active gt true").contains("'gt' is not supported on boolean"));
        assert!(bind_err("active co true").contains("not supported"));
        assert!(bind_err(r#"active eq "true""#).contains("cannot be compared with a string"));
        assert!(bind_err(r#"x509Certificates.value lt "a""#).contains("not supported on binary"));
        assert!(bind_err(r#"meta.created gt "yesterday""#).contains("not an RFC 3339 dateTime"));
        assert!(bind_err("userName eq 5").contains("cannot be compared with a number"));
        assert!(bind_err("userName eq true").contains("cannot be compared with a boolean"));
        assert!(bind_err("userName gt null").contains("cannot compare with null"));
        assert!(bind_err("not pr").contains("unknown attribute 'not'"));
        assert!(
            bound("foo pr", group_type()).is_err() && bound("userName pr", group_type()).is_err()
        );
    }

    /// A resource type with numeric attributes (the standard schemas have none).
    fn numeric_type() -> &'static ResourceType {
        let attr = |name: &'static str, ty: AttrType| {
            let mut d = user_type().schema.attributes[0].clone();
            d.name = name;
            d.ty = ty;
            d
        };
        let schema: &'static Schema = Box::leak(Box::new(Schema {
            id: "urn:example:Thing",
            name: "Thing",
            description: "",
            attributes: vec![
                attr("age", AttrType::Integer),
                attr("score", AttrType::Decimal),
            ],
        }));
        Box::leak(Box::new(ResourceType {
            id: "Thing",
            name: "Thing",
            endpoint: "/Things",
            description: "",
            schema,
            extensions: vec![],
            common: user_type().common,
        }))
    }

    #[test]
    fn numbers_compare_numerically_and_integers_exactly() {
        let rt = numeric_type();
        let res = json!({"age": 42, "score": 2.5, "id": "x"});
        let nm = |f: &str| bound(f, rt).expect(f).matches(&res, rt);
        assert!(nm("age eq 42") && nm("age ne 41") && nm("age gt 41") && nm("age ge 42"));
        assert!(nm("age lt 42.5") && nm("age le 42") && nm("age eq 42.0") && !nm("age gt 42"));
        assert!(nm("score gt 2") && nm("score eq 25e-1") && !nm("score lt -1e-9"));
        let big = json!({"age": 9_007_199_254_740_993_i64});
        let f = bound("age eq 9007199254740992", rt).expect("bind");
        assert!(!f.matches(&big, rt), "exact integer comparison beyond 2^53");
        for bad in [r#"age eq "42""#, "age co 4", "score sw 1", "age eq true"] {
            let e = bound(bad, rt).expect_err(bad);
            assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{bad}");
        }
    }

    #[test]
    fn relative_filters_match_single_values() {
        let emails = user_type().schema.attr("emails").expect("emails");
        let f = Filter::parse(r#"TYPE eq "WORK" and primary eq true"#)
            .and_then(|f| f.bind_relative(emails))
            .expect("bind");
        assert_eq!(f.to_string(), r#"type eq "WORK" and primary eq true"#);
        let u = user();
        let hits: Vec<bool> = u["emails"]
            .as_array()
            .expect("array")
            .iter()
            .map(|e| f.matches_value(e, emails))
            .collect();
        assert_eq!(hits, [true, false]);
        assert!(
            Filter::parse("foo pr")
                .and_then(|f| f.bind_relative(emails))
                .is_err()
        );
    }

    #[test]
    fn deepest_accepted_filters_bind_and_evaluate() {
        use crate::scim::filter::MAX_FILTER_DEPTH;
        let chain = vec!["locale pr"; MAX_FILTER_DEPTH].join(" or ") + " or id pr";
        let f = bound(&chain, user_type()).expect("bind");
        assert!(f.matches(&user(), user_type()));
        let nested = format!(
            "{}emails[type pr]{}",
            "not (".repeat(MAX_FILTER_DEPTH - 1),
            ")".repeat(MAX_FILTER_DEPTH - 1)
        );
        let f = bound(&nested, user_type()).expect("bind");
        assert!(!f.matches(&user(), user_type()), "odd number of nots");
    }
}
