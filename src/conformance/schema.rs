//! The target's own schema, as it publishes it in `/Schemas` and `/ResourceTypes` (RFC 7643
//! §6-§7), read once per run.
//!
//! Test data must fit the target, or a scenario fails in its setup for a reason that has
//! nothing to do with its subject. So every user body the suite sends is shaped here: what the
//! schema declares required is filled, sub-attributes it does not declare are left out, and an
//! extension is sent only where the User resource type lists it. A check about an attribute
//! the schema does not declare is *not applicable* (see [`TargetSchema::declares`]). When the
//! target publishes no readable schema, RFC 7643's core schema is assumed and nothing changes.

use serde_json::{Map, Value};
use std::collections::HashMap;

/// One attribute of a published schema.
#[derive(Debug, Clone, Default)]
pub struct Attr {
    pub name: String,
    pub kind: String,
    pub required: bool,
    pub multi: bool,
    /// Sub-attributes by lower-case name (empty for simple attributes).
    pub subs: HashMap<String, Attr>,
}

/// The attributes of one schema by lower-case name.
pub type Attrs = HashMap<String, Attr>;

/// What the target publishes about Users.
#[derive(Debug, Clone, Default)]
pub struct TargetSchema {
    /// The core User schema's attributes; `None` when the target publishes none.
    pub user: Option<Attrs>,
    /// Extension schemas by URN (as published, any case).
    pub extensions: HashMap<String, Attrs>,
    /// The extensions the User resource type lists; `None` when no resource type says.
    pub user_extensions: Option<Vec<String>>,
}

/// Attributes every resource has, whatever its schema says (RFC 7643 §3.1).
const COMMON: [&str; 4] = ["id", "externalid", "meta", "schemas"];

/// RFC 7643 §4.1's core User attributes that identity providers rely on, with the
/// sub-attributes the suite sends; the target's departures from these are reported once.
pub const CORE_USER: [(&str, &[&str]); 6] = [
    ("userName", &[]),
    ("name", &["givenName", "familyName", "formatted"]),
    ("displayName", &[]),
    ("emails", &["value", "type", "primary"]),
    ("active", &[]),
    ("groups", &["value", "display"]),
];

fn parse_attrs(list: Option<&Value>) -> Attrs {
    let mut out = Attrs::new();
    for a in list.and_then(Value::as_array).into_iter().flatten() {
        let field = |k: &str| a.get(k);
        let Some(name) = field("name").and_then(Value::as_str) else {
            continue;
        };
        let attr = Attr {
            name: name.to_string(),
            kind: field("type")
                .and_then(Value::as_str)
                .unwrap_or("string")
                .to_ascii_lowercase(),
            required: field("required") == Some(&Value::Bool(true)),
            multi: field("multiValued") == Some(&Value::Bool(true)),
            subs: parse_attrs(field("subAttributes")),
        };
        out.insert(name.to_ascii_lowercase(), attr);
    }
    out
}

impl TargetSchema {
    /// Reads the `/Schemas` and `/ResourceTypes` list responses (either may be absent).
    pub fn from_documents(schemas: Option<&Value>, resource_types: Option<&Value>) -> Self {
        let mut out = TargetSchema::default();
        let resources = |doc: Option<&Value>| -> Vec<Value> {
            match doc {
                Some(Value::Array(a)) => a.clone(),
                Some(d) => d
                    .get("Resources")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
                None => Vec::new(),
            }
        };
        for s in resources(schemas) {
            let Some(id) = s.get("id").and_then(Value::as_str) else {
                continue;
            };
            let attrs = parse_attrs(s.get("attributes"));
            if attrs.is_empty() {
                continue;
            }
            if id.eq_ignore_ascii_case(crate::scim::schema::USER_SCHEMA) {
                out.user = Some(attrs);
            } else if id.to_ascii_lowercase().contains(":extension:") {
                out.extensions.insert(id.to_string(), attrs);
            }
        }
        for rt in resources(resource_types) {
            let is_user = rt.get("name").and_then(Value::as_str) == Some("User")
                || rt.get("id").and_then(Value::as_str) == Some("User");
            if !is_user {
                continue;
            }
            // schemaExtensions is OPTIONAL (RFC 7643 §6): only a list that is there says which
            // extensions the resource type takes.
            out.user_extensions = rt
                .get("schemaExtensions")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e.get("schema").and_then(Value::as_str))
                        .map(str::to_string)
                        .collect()
                });
        }
        out
    }

    fn extension(&self, urn: &str) -> Option<&Attrs> {
        self.extensions
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(urn))
            .map(|(_, v)| v)
    }

    /// Whether the User resource type takes the extension `urn`.
    pub fn user_takes(&self, urn: &str) -> bool {
        match &self.user_extensions {
            Some(list) => list.iter().any(|e| e.eq_ignore_ascii_case(urn)),
            None => true,
        }
    }

    /// Whether the target's User schema declares the attribute path (`name.givenName`,
    /// `emails[type eq "work"].value`, `urn:…:User:department`). `None` when it does, else
    /// the part it lacks, for the not-applicable reason.
    pub fn lacks(&self, path: &str) -> Option<String> {
        let lower = path.to_ascii_lowercase();
        if lower.starts_with("urn:") {
            let (urn, rest) = split_urn(path);
            if !self.user_takes(urn) {
                return Some(format!(
                    "the User resource type does not list the extension {urn}"
                ));
            }
            return match (self.extension(urn), rest) {
                (Some(attrs), Some(rest)) => lacks_in(attrs, rest).map(|p| format!("{urn}:{p}")),
                _ => None,
            };
        }
        self.user.as_ref().and_then(|attrs| lacks_in(attrs, path))
    }

    /// Shapes a user body to the target: fills what it requires, drops the sub-attributes and
    /// extensions it does not declare. `seed` makes filled values unique to the scenario.
    pub fn shape_user(&self, body: &mut Value, seed: &str) {
        let Some(o) = body.as_object_mut() else {
            return;
        };
        let ext_keys: Vec<String> = o
            .keys()
            .filter(|k| k.to_ascii_lowercase().starts_with("urn:"))
            .cloned()
            .collect();
        for k in ext_keys {
            if !self.user_takes(&k) {
                o.remove(&k);
                if let Some(Value::Array(s)) = o.get_mut("schemas") {
                    s.retain(|v| !v.as_str().is_some_and(|v| v.eq_ignore_ascii_case(&k)));
                }
            }
        }
        let Some(attrs) = &self.user else {
            return;
        };
        let keys: Vec<String> = o.keys().cloned().collect();
        for k in keys {
            let lk = k.to_ascii_lowercase();
            if COMMON.contains(&lk.as_str()) || lk.starts_with("urn:") {
                continue;
            }
            match attrs.get(&lk) {
                None => {
                    o.remove(&k);
                }
                Some(a) if !a.subs.is_empty() => {
                    if let Some(v) = o.get_mut(&k) {
                        keep_declared(v, &a.subs);
                    }
                }
                Some(_) => {}
            }
        }
        fill_required(o, attrs, seed);
    }

    /// How the published User schema departs from RFC 7643's core User schema, in words.
    pub fn departures(&self) -> Vec<String> {
        let Some(attrs) = &self.user else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (name, subs) in CORE_USER {
            match attrs.get(&name.to_ascii_lowercase()) {
                None => out.push(format!("{name} is not declared")),
                Some(a) => {
                    for s in subs.iter() {
                        if !a.subs.is_empty() && !a.subs.contains_key(&s.to_ascii_lowercase()) {
                            out.push(format!("{name}.{s} is not declared"));
                        }
                    }
                    for sub in a.subs.values().filter(|s| s.required) {
                        out.push(format!(
                            "{name}.{} is required (RFC 7643: optional)",
                            sub.name
                        ));
                    }
                    if a.required && name != "userName" {
                        out.push(format!("{name} is required (RFC 7643: optional)"));
                    }
                }
            }
        }
        let mut extra: Vec<&Attr> = attrs
            .values()
            .filter(|a| {
                a.required
                    && !CORE_USER
                        .iter()
                        .any(|(n, _)| n.eq_ignore_ascii_case(&a.name))
            })
            .collect();
        extra.sort_by(|a, b| a.name.cmp(&b.name));
        for a in extra {
            out.push(format!("{} is required (RFC 7643: optional)", a.name));
        }
        out
    }
}

fn split_urn(path: &str) -> (&str, Option<&str>) {
    // The URN ends at the last ':' before the attribute path (which has no ':').
    match path.rfind(':') {
        Some(i)
            if path[i + 1..]
                .chars()
                .next()
                .is_some_and(char::is_alphabetic) =>
        {
            let rest = &path[i + 1..];
            // `urn:…:User` alone has its resource name as the last part.
            if rest.chars().next().is_some_and(char::is_uppercase) && !rest.contains('.') {
                (path, None)
            } else {
                (&path[..i], Some(rest))
            }
        }
        _ => (path, None),
    }
}

/// The first part of `path` that `attrs` does not declare.
fn lacks_in(attrs: &Attrs, path: &str) -> Option<String> {
    let (head, filter, tail) = match path.find(['[', '.']) {
        None => (path, None, None),
        Some(i) if path.as_bytes()[i] == b'.' => (&path[..i], None, Some(&path[i + 1..])),
        Some(i) => {
            let close = path[i..].find(']').map_or(path.len(), |c| i + c);
            let after = path.get(close + 1..).unwrap_or("");
            (
                &path[..i],
                Some(&path[i + 1..close]),
                after.strip_prefix('.').filter(|t| !t.is_empty()),
            )
        }
    };
    let lh = head.to_ascii_lowercase();
    if COMMON.contains(&lh.as_str()) {
        return None;
    }
    let Some(a) = attrs.get(&lh) else {
        return Some(head.to_string());
    };
    if a.subs.is_empty() {
        return None;
    }
    let mut names: Vec<String> = Vec::new();
    if let Some(f) = filter {
        names.extend(filter_attributes(f));
    }
    if let Some(t) = tail {
        names.push(t.to_string());
    }
    names
        .into_iter()
        .find(|n| !a.subs.contains_key(&n.to_ascii_lowercase()))
        .map(|n| format!("{head}.{n}"))
}

/// The attribute paths compared in a filter: `title eq "x" and emails[type eq "work"]` gives
/// `title` and `emails.type`. Quoted values are skipped.
pub fn filter_attributes(filter: &str) -> Vec<String> {
    const OPS: [&str; 11] = [
        "eq", "ne", "co", "sw", "ew", "pr", "gt", "ge", "lt", "le", "np",
    ];
    // Words outside quotes, with the value-path prefix (`emails`) they sit under.
    let mut words: Vec<(Option<String>, String)> = Vec::new();
    let mut prefix: Option<String> = None;
    let mut word = String::new();
    let mut in_quote = false;
    let mut escaped = false;
    let push = |word: &mut String, prefix: &Option<String>, words: &mut Vec<_>| {
        if !word.is_empty() {
            words.push((prefix.clone(), std::mem::take(word)));
        }
    };
    for c in filter.chars() {
        if in_quote {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => in_quote = false,
                _ => escaped = false,
            }
            continue;
        }
        match c {
            '"' => {
                push(&mut word, &prefix, &mut words);
                in_quote = true;
            }
            '[' => {
                prefix = Some(std::mem::take(&mut word));
            }
            ']' => {
                push(&mut word, &prefix, &mut words);
                prefix = None;
            }
            c if c.is_whitespace() || c == '(' || c == ')' => {
                push(&mut word, &prefix, &mut words);
            }
            c => word.push(c),
        }
    }
    push(&mut word, &prefix, &mut words);
    let mut out = Vec::new();
    for pair in words.windows(2) {
        let ((p, attr), (_, op)) = (&pair[0], &pair[1]);
        if OPS.contains(&op.to_ascii_lowercase().as_str())
            && !OPS.contains(&attr.to_ascii_lowercase().as_str())
        {
            out.push(match p {
                Some(p) => format!("{p}.{attr}"),
                None => attr.clone(),
            });
        }
    }
    // `emails[type eq "x"]` alone tests `emails`, and `x pr` has no operand after it.
    if let Some((p, attr)) = words.last()
        && attr.eq_ignore_ascii_case("pr")
        && words.len() == 1
    {
        out.push(p.clone().unwrap_or_default());
    }
    out
}

/// Keeps only the declared sub-attributes of a complex value (or of each item of a list).
fn keep_declared(v: &mut Value, subs: &Attrs) {
    let strip = |o: &mut Map<String, Value>| {
        o.retain(|k, _| subs.contains_key(&k.to_ascii_lowercase()));
    };
    match v {
        Value::Object(o) => strip(o),
        Value::Array(items) => {
            for i in items {
                if let Value::Object(o) = i {
                    strip(o);
                }
            }
        }
        _ => {}
    }
}

/// A value for a required attribute the feature did not give.
fn filler(a: &Attr, o: &Map<String, Value>, seed: &str) -> Value {
    match a.kind.as_str() {
        "boolean" => Value::Bool(true),
        "integer" | "decimal" => Value::from(1),
        "datetime" => Value::from("2024-01-01T00:00:00Z"),
        _ if a.name.eq_ignore_ascii_case("formatted") => {
            let part = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let joined = format!("{} {}", part("givenName"), part("familyName"));
            Value::from(if joined.trim().is_empty() {
                format!("Tester {seed}")
            } else {
                joined.trim().to_string()
            })
        }
        _ if a.name.eq_ignore_ascii_case("familyName") => Value::from("Tester"),
        _ => Value::from(format!("{}-{seed}", a.name)),
    }
}

fn fill_required(o: &mut Map<String, Value>, attrs: &Attrs, seed: &str) {
    for a in attrs.values().filter(|a| a.required) {
        let present = o.keys().any(|k| k.eq_ignore_ascii_case(&a.name));
        if !present {
            let v = if a.subs.is_empty() {
                filler(a, o, seed)
            } else {
                Value::Object(Map::new())
            };
            let v = if a.multi && !a.subs.is_empty() {
                Value::Array(vec![v])
            } else {
                v
            };
            o.insert(a.name.clone(), v);
        }
    }
    // Required sub-attributes inside the complex values that are present.
    for a in attrs.values().filter(|a| !a.subs.is_empty()) {
        let Some(key) = o.keys().find(|k| k.eq_ignore_ascii_case(&a.name)).cloned() else {
            continue;
        };
        let Some(v) = o.get_mut(&key) else { continue };
        let items: Vec<&mut Map<String, Value>> = match v {
            Value::Object(m) => vec![m],
            Value::Array(list) => list.iter_mut().filter_map(Value::as_object_mut).collect(),
            _ => Vec::new(),
        };
        // `formatted` last, so it is built from the parts filled before it.
        let mut subs: Vec<&Attr> = a.subs.values().filter(|s| s.required).collect();
        subs.sort_by_key(|s| (s.name.eq_ignore_ascii_case("formatted"), s.name.clone()));
        for m in items {
            for sub in &subs {
                if !m.keys().any(|k| k.eq_ignore_ascii_case(&sub.name)) {
                    let v = filler(sub, m, seed);
                    m.insert(sub.name.clone(), v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A schema like one independent server's: name.formatted, name.familyName and active
    /// required; emails without type or primary; no enterprise extension on Users.
    fn strict() -> TargetSchema {
        TargetSchema::from_documents(
            Some(&json!({"Resources": [{
            "id": "urn:ietf:params:scim:schemas:core:2.0:User",
            "attributes": [
                {"name": "userName", "type": "string", "required": true},
                {"name": "name", "type": "complex", "subAttributes": [
                    {"name": "formatted", "type": "string", "required": true},
                    {"name": "familyName", "type": "string", "required": true},
                    {"name": "givenName", "type": "string"}]},
                {"name": "active", "type": "boolean", "required": true},
                {"name": "emails", "type": "complex", "multiValued": true, "subAttributes": [
                    {"name": "value", "type": "string"}]}
            ]}]})),
            Some(&json!({"Resources": [{"name": "User", "schemaExtensions": []}]})),
        )
    }

    #[test]
    fn bodies_fit_the_published_schema() {
        let mut body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "userName": "ann.1@example.com",
            "name": {"givenName": "Ann"},
            "nickName": "Annie",
            "emails": [{"value": "ann.1@example.com", "type": "work", "primary": true}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"}
        });
        strict().shape_user(&mut body, "1");
        assert_eq!(body["name"]["formatted"], "Ann Tester");
        assert_eq!(body["name"]["familyName"], "Tester");
        assert_eq!(body["active"], true);
        assert_eq!(body["emails"], json!([{"value": "ann.1@example.com"}]));
        assert!(body.get("nickName").is_none());
        assert!(
            body.get("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
                .is_none()
        );
        assert_eq!(body["schemas"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn checks_on_undeclared_attributes_are_not_applicable() {
        let s = strict();
        assert_eq!(s.lacks("name.givenName"), None);
        assert_eq!(s.lacks("nickName").as_deref(), Some("nickName"));
        assert_eq!(
            s.lacks("emails[type eq \"work\"].value").as_deref(),
            Some("emails.type")
        );
        assert!(
            s.lacks("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department")
                .is_some()
        );
        assert_eq!(
            TargetSchema::default().lacks("nickName"),
            None,
            "no schema: RFC assumed"
        );
        let d = s.departures();
        assert!(
            d.contains(&"emails.type is not declared".to_string()),
            "{d:?}"
        );
        assert!(
            d.contains(&"active is required (RFC 7643: optional)".to_string()),
            "{d:?}"
        );
    }

    #[test]
    fn filter_attributes_skip_quoted_values() {
        assert_eq!(
            filter_attributes(r#"title eq "a eq b" and (emails.type pr or not (x ne "y"))"#),
            ["title", "emails.type", "x"]
        );
        assert_eq!(
            filter_attributes(r#"emails[type eq "work" and value co "@"] or nickName pr"#),
            ["emails.type", "emails.value", "nickName"]
        );
    }
}
