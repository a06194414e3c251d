//! Query shaping (RFC 7644 §3.4.2.3 - §3.4.2.5, §3.9): `attributes` / `excludedAttributes`
//! projection under the `returned` rules, sorting, and 1-based pagination.

use super::error::ScimError;
use super::path::AttrPath;
use super::schema::{AttrType, AttributeDef, ResourceType, Returned};
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// One selected attribute: extension URN (None for core), canonical name, optional sub-attribute.
/// `name == None` selects a whole extension.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sel {
    ext: Option<&'static str>,
    name: Option<&'static str>,
    sub: Option<&'static str>,
}

/// A parsed `attributes` / `excludedAttributes` pair.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    attributes: Vec<Sel>,
    excluded: Vec<Sel>,
}

fn parse_list(list: &str, rt: &ResourceType) -> Vec<Sel> {
    let mut out = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(ext) = rt.extension(item) {
            out.push(Sel {
                ext: Some(ext.id),
                name: None,
                sub: None,
            });
            continue;
        }
        // Unknown names are ignored, not refused: RFC 7644 §3.4.2.5 gives no error for them and
        // clients commonly ask for attributes a given server does not have.
        let Ok(path) = AttrPath::parse(item) else {
            continue;
        };
        let Some(loc) = rt.resolve(path.urn.as_deref(), &path.name) else {
            continue;
        };
        let sub = match &path.sub {
            Some(s) => match loc.def.sub(s) {
                Some(d) => Some(d.name),
                None => continue,
            },
            None => None,
        };
        out.push(Sel {
            ext: loc.extension,
            name: Some(loc.def.name),
            sub,
        });
    }
    out
}

enum Keep<'a> {
    All,
    Nothing,
    /// Keep only these sub-attributes (plus those returned `always`).
    Subs(Vec<&'a str>),
    /// Keep everything but these sub-attributes.
    AllBut(Vec<&'a str>),
}

impl Projection {
    /// Parses the two query parameters. RFC 7644 §3.9: they are mutually exclusive in intent;
    /// when both are given, `attributes` wins.
    pub fn parse(
        attributes: Option<&str>,
        excluded: Option<&str>,
        rt: &ResourceType,
    ) -> Projection {
        Projection {
            attributes: attributes.map(|a| parse_list(a, rt)).unwrap_or_default(),
            excluded: excluded.map(|e| parse_list(e, rt)).unwrap_or_default(),
        }
    }

    /// True when the client asked for a specific attribute set.
    pub fn is_default(&self) -> bool {
        self.attributes.is_empty() && self.excluded.is_empty()
    }

    /// Whether a top-level attribute (of `ext` or core) will appear at all, so that a caller can
    /// skip materializing expensive values (a group's member list).
    pub fn wants(&self, ext: Option<&'static str>, def: &AttributeDef) -> bool {
        !matches!(self.decide(ext, def), Keep::Nothing)
    }

    fn decide(&self, ext: Option<&'static str>, def: &AttributeDef) -> Keep<'static> {
        match def.returned {
            Returned::Never => return Keep::Nothing,
            Returned::Always => return Keep::All,
            _ => {}
        }
        if !self.attributes.is_empty() {
            let mut subs = Vec::new();
            for s in &self.attributes {
                if s.ext != ext {
                    continue;
                }
                match (s.name, s.sub) {
                    (None, _) => return Keep::All,
                    (Some(n), None) if n == def.name => return Keep::All,
                    (Some(n), Some(sub)) if n == def.name => subs.push(sub),
                    _ => {}
                }
            }
            return if subs.is_empty() {
                Keep::Nothing
            } else {
                Keep::Subs(subs)
            };
        }
        if def.returned == Returned::Request {
            return Keep::Nothing;
        }
        let mut subs = Vec::new();
        for s in &self.excluded {
            if s.ext != ext {
                continue;
            }
            match (s.name, s.sub) {
                (None, _) => return Keep::Nothing,
                (Some(n), None) if n == def.name => return Keep::Nothing,
                (Some(n), Some(sub)) if n == def.name => subs.push(sub),
                _ => {}
            }
        }
        if subs.is_empty() {
            Keep::All
        } else {
            Keep::AllBut(subs)
        }
    }

    /// Whether a whole extension survives the projection.
    fn keeps_whole(&self, ext: &'static str) -> bool {
        let whole = |s: &Sel| s.ext == Some(ext) && s.name.is_none();
        if self.attributes.is_empty() {
            !self.excluded.iter().any(whole)
        } else {
            self.attributes.iter().any(whole)
        }
    }

    /// Applies the projection and the `returned` rules to a canonical resource.
    pub fn apply(&self, resource: &Value, rt: &ResourceType) -> Value {
        let Some(obj) = resource.as_object() else {
            return resource.clone();
        };
        let mut out = Map::new();
        for (k, v) in obj {
            if k == "schemas" {
                out.insert(k.clone(), v.clone());
                continue;
            }
            if let Some(ext) = rt.extension(k) {
                let Some(inner) = v.as_object() else { continue };
                let mut m = Map::new();
                for (ik, iv) in inner {
                    if let Some(def) = ext.attr(ik)
                        && let Some(val) = keep_value(self.decide(Some(ext.id), def), def, iv)
                    {
                        m.insert(ik.clone(), val);
                    }
                }
                if !m.is_empty() || (inner.is_empty() && self.keeps_whole(ext.id)) {
                    // An empty container (a read-only extension the client added) is shown
                    // unless the projection leaves the extension out.
                    out.insert(k.clone(), Value::Object(m));
                }
                continue;
            }
            let def = rt
                .common
                .iter()
                .find(|a| a.name == k.as_str())
                .or_else(|| rt.schema.attr(k));
            if let Some(def) = def
                && let Some(val) = keep_value(self.decide(None, def), def, v)
            {
                out.insert(k.clone(), val);
            }
        }
        Value::Object(out)
    }
}

fn keep_value(keep: Keep<'_>, def: &AttributeDef, v: &Value) -> Option<Value> {
    let filter_obj = |o: &Value, pred: &dyn Fn(&str) -> bool| -> Option<Value> {
        let m: Map<String, Value> = o
            .as_object()?
            .iter()
            .filter(|(k, _)| pred(k) || def.sub(k).is_some_and(|d| d.returned == Returned::Always))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if m.is_empty() {
            None
        } else {
            Some(Value::Object(m))
        }
    };
    let shape = |pred: &dyn Fn(&str) -> bool| -> Option<Value> {
        match v {
            Value::Array(items) => {
                let items: Vec<Value> = items.iter().filter_map(|i| filter_obj(i, pred)).collect();
                if items.is_empty() {
                    None
                } else {
                    Some(Value::Array(items))
                }
            }
            other => filter_obj(other, pred),
        }
    };
    match keep {
        Keep::All => Some(v.clone()),
        Keep::Nothing => None,
        Keep::Subs(subs) => shape(&|k| subs.contains(&k)),
        Keep::AllBut(subs) => shape(&|k| {
            !subs.contains(&k) && def.sub(k).is_none_or(|d| d.returned != Returned::Never)
        }),
    }
}

/// `sortOrder`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Ascending,
    Descending,
}

impl SortOrder {
    /// Parses `sortOrder`; anything but the two RFC words is `invalidValue`... except case.
    pub fn parse(s: &str) -> Result<SortOrder, ScimError> {
        if s.eq_ignore_ascii_case("ascending") {
            Ok(SortOrder::Ascending)
        } else if s.eq_ignore_ascii_case("descending") {
            Ok(SortOrder::Descending)
        } else {
            Err(ScimError::invalid_value(format!(
                "sortOrder must be 'ascending' or 'descending', got '{s}'"
            )))
        }
    }
}

/// A resolved `sortBy` attribute.
#[derive(Debug, Clone)]
pub struct SortBy {
    ext: Option<&'static str>,
    attr: &'static AttributeDef,
    sub: Option<&'static AttributeDef>,
}

/// A comparable sort key derived with the attribute's type and caseExact rule.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub enum SortKey {
    Bool(bool),
    Num(f64),
    Time(i64),
    Str(String),
}

impl SortBy {
    /// Resolves `sortBy`. Complex attributes sort by their `value` sub-attribute, as RFC 7644
    /// §3.4.2.3 asks for multi-valued ones.
    pub fn parse(s: &str, rt: &'static ResourceType) -> Result<SortBy, ScimError> {
        let path = AttrPath::parse(s).map_err(|_| {
            ScimError::invalid_value(format!("sortBy '{s}' is not an attribute path"))
        })?;
        let loc = rt.resolve(path.urn.as_deref(), &path.name).ok_or_else(|| {
            ScimError::invalid_value(format!("sortBy names unknown attribute '{s}'"))
        })?;
        let sub = match &path.sub {
            Some(n) => Some(loc.def.sub(n).ok_or_else(|| {
                ScimError::invalid_value(format!("sortBy names unknown attribute '{s}'"))
            })?),
            None if loc.def.ty == AttrType::Complex => loc.def.sub("value"),
            None => None,
        };
        Ok(SortBy {
            ext: loc.extension,
            attr: loc.def,
            sub,
        })
    }

    /// The key of one resource: for multi-valued attributes the primary value, else the first.
    pub fn key(&self, resource: &Value) -> Option<SortKey> {
        let container = match self.ext {
            Some(e) => resource.get(e)?,
            None => resource,
        };
        let v = container.get(self.attr.name)?;
        let v = match v {
            Value::Array(items) => items
                .iter()
                .find(|i| i.get("primary").and_then(Value::as_bool) == Some(true))
                .or_else(|| items.first())?,
            other => other,
        };
        let (v, def) = match self.sub {
            Some(sub) => (v.get(sub.name)?, sub),
            None => (v, self.attr),
        };
        match (def.ty, v) {
            (_, Value::Bool(b)) => Some(SortKey::Bool(*b)),
            (_, Value::Number(n)) => n.as_f64().map(SortKey::Num),
            (AttrType::DateTime, Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
                .ok()
                .and_then(|d| d.timestamp_nanos_opt())
                .map(SortKey::Time),
            (_, Value::String(s)) if def.case_exact => Some(SortKey::Str(s.clone())),
            (_, Value::String(s)) => Some(SortKey::Str(s.to_lowercase())),
            _ => None,
        }
    }
}

/// Orders keys: missing values sort last when ascending (and so first when descending, the
/// exact reverse).
pub fn compare_keys(a: &Option<SortKey>, b: &Option<SortKey>, order: SortOrder) -> Ordering {
    let asc = match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
    };
    match order {
        SortOrder::Ascending => asc,
        SortOrder::Descending => asc.reverse(),
    }
}

/// RFC 7644 §3.4.2.4 pagination as resolved from `startIndex` and `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// 1-based; values below 1 are taken as 1.
    pub start_index: usize,
    /// Already capped at the server's maximum; 0 means "totalResults only".
    pub count: usize,
}

impl Page {
    /// Resolves the parameters: `startIndex < 1` means 1, a negative count means 0, a missing
    /// count means the maximum, and a count above the maximum is capped.
    pub fn resolve(start_index: Option<i64>, count: Option<i64>, max: usize) -> Page {
        let start_index = start_index.unwrap_or(1).max(1) as usize;
        let count = match count {
            None => max,
            Some(c) if c < 0 => 0,
            Some(c) => (c as u64).min(max as u64) as usize,
        };
        Page { start_index, count }
    }

    /// The index range into a result list of `total` items.
    pub fn range(&self, total: usize) -> std::ops::Range<usize> {
        let from = (self.start_index - 1).min(total);
        let to = from.saturating_add(self.count).min(total);
        from..to
    }
}

/// Builds a ListResponse body (RFC 7644 §3.4.2).
pub fn list_response(total: usize, start_index: usize, resources: Vec<Value>) -> Value {
    let mut m = Map::new();
    m.insert(
        "schemas".into(),
        Value::Array(vec![Value::String(super::schema::LIST_RESPONSE.into())]),
    );
    m.insert("totalResults".into(), Value::from(total));
    m.insert("startIndex".into(), Value::from(start_index));
    m.insert("itemsPerPage".into(), Value::from(resources.len()));
    m.insert("Resources".into(), Value::Array(resources));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{ENTERPRISE_USER_SCHEMA, USER_SCHEMA, user_type};
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "id": "1",
            "userName": "ann",
            "password": "secret",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "a@x", "type": "work", "primary": true}, {"value": "b@x", "type": "home"}],
            "meta": {"resourceType": "User"},
            ENTERPRISE_USER_SCHEMA: {"department": "Sales", "costCenter": "7"}
        })
    }

    #[test]
    fn password_is_never_returned() {
        let out = Projection::default().apply(&user(), user_type());
        assert!(out.get("password").is_none());
        assert_eq!(out["userName"], "ann");
    }

    #[test]
    fn attributes_keeps_only_requested_plus_always() {
        let p = Projection::parse(Some("userName,name.givenName"), None, user_type());
        let out = p.apply(&user(), user_type());
        assert_eq!(out["id"], "1");
        assert_eq!(out["userName"], "ann");
        assert_eq!(out["name"], json!({"givenName": "Ann"}));
        assert!(out.get("emails").is_none());
        assert!(out.get("meta").is_none());
        assert!(out.get(ENTERPRISE_USER_SCHEMA).is_none());
    }

    #[test]
    fn attributes_selects_extension_attribute_and_whole_extension() {
        let p = Projection::parse(
            Some(&format!("{ENTERPRISE_USER_SCHEMA}:department")),
            None,
            user_type(),
        );
        let out = p.apply(&user(), user_type());
        assert_eq!(out[ENTERPRISE_USER_SCHEMA], json!({"department": "Sales"}));
        let p = Projection::parse(Some(ENTERPRISE_USER_SCHEMA), None, user_type());
        let out = p.apply(&user(), user_type());
        assert_eq!(out[ENTERPRISE_USER_SCHEMA]["costCenter"], "7");
    }

    #[test]
    fn excluded_attributes_drop_default_ones_but_not_always() {
        let p = Projection::parse(None, Some("emails,ID,emails.type"), user_type());
        let out = p.apply(&user(), user_type());
        assert!(out.get("emails").is_none());
        assert_eq!(out["id"], "1");
        let p = Projection::parse(None, Some("emails.type"), user_type());
        let out = p.apply(&user(), user_type());
        assert_eq!(out["emails"][0], json!({"value": "a@x", "primary": true}));
    }

    #[test]
    fn sort_keys_follow_type_and_case() {
        let by = SortBy::parse("USERNAME", user_type()).expect("sortBy");
        assert_eq!(by.key(&user()), Some(SortKey::Str("ann".into())));
        let by = SortBy::parse("emails", user_type()).expect("sortBy");
        assert_eq!(by.key(&user()), Some(SortKey::Str("a@x".into())));
        let by = SortBy::parse("id", user_type()).expect("sortBy");
        assert_eq!(
            by.key(&json!({"id": "AbC"})),
            Some(SortKey::Str("AbC".into()))
        );
        assert!(SortBy::parse("nope", user_type()).is_err());
    }

    #[test]
    fn missing_values_last_ascending_first_descending() {
        let a = Some(SortKey::Str("a".into()));
        assert_eq!(
            compare_keys(&None, &a, SortOrder::Ascending),
            Ordering::Greater
        );
        assert_eq!(
            compare_keys(&None, &a, SortOrder::Descending),
            Ordering::Less
        );
    }

    #[test]
    fn pagination_rules() {
        assert_eq!(
            Page::resolve(Some(0), Some(5), 100),
            Page {
                start_index: 1,
                count: 5
            }
        );
        assert_eq!(Page::resolve(Some(-3), Some(-1), 100).count, 0);
        assert_eq!(Page::resolve(None, Some(1000), 100).count, 100);
        assert_eq!(Page::resolve(None, None, 100).count, 100);
        let p = Page::resolve(Some(9), Some(5), 100);
        assert_eq!(p.range(10), 8..10);
        assert_eq!(Page::resolve(Some(50), Some(5), 100).range(10), 10..10);
    }
}
