//! The exact requests the provider sends (E-TC-01, E-F-01, E-U-01..04, E-G-01), in its
//! default mode and in the `aadOptscim062020` compatibility mode. Pure: no I/O, so the shapes
//! are tested byte-for-byte against the recorded bodies in `fixtures/provider-requests/`.
//!
//! Default mode: capitalised ops (`Add`, `Replace`, `Remove`), one operation per attribute
//! with value-path targets like `emails[type eq "work"].value`, `active` as the string
//! `"True"`/`"False"`, members removed with `Remove` + a value list.
//! `aadOptscim062020`: lowercase ops, one path-less `replace` whose value holds every changed
//! attribute (dotted sub-attributes and extension URNs as keys), boolean `active`, members
//! removed one by one with `members[value eq "<id>"]`.

use crate::client::encode;
use crate::scim::schema::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, PATCH_OP, USER_SCHEMA};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Members added or removed per PATCH request. Unpublished by the provider; 100 keeps each
/// body small (about 5 KB) while a 10,000-member group still needs only 100 requests.
pub const DEFAULT_MEMBER_BATCH: usize = 100;

/// Which request shapes the provider sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
pub enum Compat {
    /// What the provider sends to a gallery app without flags.
    #[default]
    Default,
    /// The `aadOptscim062020` feature flag: closer to RFC 7644.
    #[value(name = "aadoptscim062020")]
    AadOptscim062020,
}

impl Compat {
    /// `default` or `aadoptscim062020` (any case), as the command line spells them.
    pub fn parse(s: &str) -> Option<Compat> {
        match s.to_ascii_lowercase().as_str() {
            "default" => Some(Compat::Default),
            "aadoptscim062020" => Some(Compat::AadOptscim062020),
            _ => None,
        }
    }
    /// The folder name of its recorded examples.
    pub fn name(self) -> &'static str {
        match self {
            Compat::Default => "default",
            Compat::AadOptscim062020 => "aadoptscim062020",
        }
    }
    fn op(self, op: &str) -> String {
        match self {
            Compat::Default => {
                let mut c = op.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            }
            Compat::AadOptscim062020 => op.to_ascii_lowercase(),
        }
    }
}

/// One request as the provider sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderRequest {
    pub method: String,
    /// Path and query relative to the SCIM base URL.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

impl ProviderRequest {
    pub fn new(method: &str, path: String, body: Option<Value>) -> ProviderRequest {
        ProviderRequest {
            method: method.into(),
            path,
            body,
        }
    }
    /// The reqwest method.
    pub fn http_method(&self) -> reqwest::Method {
        reqwest::Method::from_bytes(self.method.as_bytes()).unwrap_or(reqwest::Method::GET)
    }
}

fn quote(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

/// E-TC-01: a query for a user that cannot exist.
pub fn test_connection(random_user_name: &str) -> ProviderRequest {
    find_user("userName", random_user_name)
}

/// E-F-01: a user by a matching attribute (`eq` only).
pub fn find_user(attribute: &str, value: &str) -> ProviderRequest {
    let filter = format!("{attribute} eq {}", quote(value));
    ProviderRequest::new("GET", format!("/Users?filter={}", encode(&filter)), None)
}

/// E-F-01 / E-G-01: a group by displayName, members excluded.
pub fn find_group(attribute: &str, value: &str) -> ProviderRequest {
    let filter = format!("{attribute} eq {}", quote(value));
    ProviderRequest::new(
        "GET",
        format!(
            "/Groups?excludedAttributes=members&filter={}",
            encode(&filter)
        ),
        None,
    )
}

/// Splits `urn:...:User:department` into the extension URN and the attribute.
fn split_extension(path: &str) -> Option<(&str, &str)> {
    let lower = path.to_ascii_lowercase();
    if lower.starts_with(&ENTERPRISE_USER_SCHEMA.to_ascii_lowercase()) && path.len() > 60 {
        let rest = path[ENTERPRISE_USER_SCHEMA.len()..].trim_start_matches(':');
        return Some((ENTERPRISE_USER_SCHEMA, rest));
    }
    None
}

/// Puts a mapped value into a resource body under its SCIM path.
pub fn put(body: &mut Map<String, Value>, path: &str, v: Value) {
    if let Some((urn, attr)) = split_extension(path) {
        let ext = body.entry(urn).or_insert_with(|| json!({}));
        if let Some(o) = ext.as_object_mut() {
            o.insert(attr.to_string(), v);
        }
        return;
    }
    if let Some(rest) = path.strip_prefix("emails[type eq \"") {
        let kind = rest.split('"').next().unwrap_or("work");
        let emails = body.entry("emails").or_insert_with(|| json!([]));
        if let Some(a) = emails.as_array_mut() {
            a.push(json!({"primary": kind == "work", "type": kind, "value": v}));
        }
        return;
    }
    if let Some((parent, sub)) = path.split_once('.') {
        let p = body.entry(parent).or_insert_with(|| json!({}));
        if let Some(o) = p.as_object_mut() {
            o.insert(sub.to_string(), v);
        }
        return;
    }
    body.insert(path.to_string(), v);
}

/// E-U-01: `POST /Users` with the mapped attributes (nulls already left out).
pub fn create_user(mapped: &[(String, Value)]) -> ProviderRequest {
    let mut body = Map::new();
    let has_ext = mapped.iter().any(|(p, _)| split_extension(p).is_some());
    let mut schemas = vec![json!(USER_SCHEMA)];
    if has_ext {
        schemas.push(json!(ENTERPRISE_USER_SCHEMA));
    }
    body.insert("schemas".into(), Value::Array(schemas));
    for (p, v) in mapped {
        put(&mut body, p, v.clone());
    }
    body.insert("meta".into(), json!({"resourceType": "User"}));
    ProviderRequest::new("POST", "/Users".into(), Some(Value::Object(body)))
}

/// One attribute change of an update: its path, the new value, and whether the target
/// already had a value (`Replace`) or not (`Add`).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub path: String,
    pub value: Value,
    pub existed: bool,
}

fn patch_body(ops: Vec<Value>) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

/// E-U-03 / E-U-04: `PATCH /Users/{id}` with the changed attributes.
pub fn update_user(id: &str, changes: &[Change], compat: Compat) -> ProviderRequest {
    let ops = match compat {
        Compat::Default => changes
            .iter()
            .map(|c| {
                let value = match &c.value {
                    Value::Bool(b) => json!(if *b { "True" } else { "False" }),
                    other => other.clone(),
                };
                let op = if c.existed { "Replace" } else { "Add" };
                json!({"op": op, "path": c.path, "value": value})
            })
            .collect(),
        Compat::AadOptscim062020 => {
            let mut value = Map::new();
            for c in changes {
                value.insert(c.path.clone(), c.value.clone());
            }
            vec![json!({"op": compat.op("replace"), "value": value})]
        }
    };
    ProviderRequest::new("PATCH", format!("/Users/{id}"), Some(patch_body(ops)))
}

/// E-U-04: disabling a user is an update of `active` to false.
pub fn disable_user(id: &str, compat: Compat) -> ProviderRequest {
    update_user(
        id,
        &[Change {
            path: "active".into(),
            value: Value::Bool(false),
            existed: true,
        }],
        compat,
    )
}

/// E-CY-01, references phase: sets or clears a user's manager. The provider sends the
/// manager's target id as a bare string, not `{"value": id}` (a long-standing deviation its
/// engineers confirmed in Microsoft Q&A 188003); both modes send an `Add` with the extension
/// path, the flag only lowers the case. Clearing is a `Remove` of the same path.
pub fn set_manager(id: &str, manager: Option<&str>, compat: Compat) -> ProviderRequest {
    let path = format!("{ENTERPRISE_USER_SCHEMA}:manager");
    let op = match manager {
        Some(m) => json!({"op": compat.op("add"), "path": path, "value": m}),
        None => json!({"op": compat.op("remove"), "path": path}),
    };
    ProviderRequest::new("PATCH", format!("/Users/{id}"), Some(patch_body(vec![op])))
}

/// E-U-04: only on hard delete.
pub fn delete_user(id: &str) -> ProviderRequest {
    ProviderRequest::new("DELETE", format!("/Users/{id}"), None)
}

/// E-G-01: `POST /Groups` with empty members (memberships follow as PATCHes).
pub fn create_group(mapped: &[(String, Value)]) -> ProviderRequest {
    let mut body = Map::new();
    body.insert("schemas".into(), json!([GROUP_SCHEMA]));
    for (p, v) in mapped {
        put(&mut body, p, v.clone());
    }
    body.insert("members".into(), json!([]));
    body.insert("meta".into(), json!({"resourceType": "Group"}));
    ProviderRequest::new("POST", "/Groups".into(), Some(Value::Object(body)))
}

/// E-G-01: rename (and any other changed group attribute) via PATCH.
pub fn update_group(id: &str, changes: &[Change], compat: Compat) -> ProviderRequest {
    let ops = match compat {
        Compat::Default => changes
            .iter()
            .map(|c| json!({"op": "Replace", "path": c.path, "value": c.value}))
            .collect(),
        Compat::AadOptscim062020 => {
            let mut value = Map::new();
            for c in changes {
                value.insert(c.path.clone(), c.value.clone());
            }
            vec![json!({"op": "replace", "value": value})]
        }
    };
    ProviderRequest::new("PATCH", format!("/Groups/{id}"), Some(patch_body(ops)))
}

/// E-G-01: adds and removes members, several values per operation. The caller batches.
pub fn patch_members(
    group_id: &str,
    add: &[String],
    remove: &[String],
    compat: Compat,
) -> ProviderRequest {
    let values = |ids: &[String]| -> Value {
        Value::Array(ids.iter().map(|id| json!({"value": id})).collect())
    };
    let mut ops = Vec::new();
    if !add.is_empty() {
        ops.push(json!({"op": compat.op("add"), "path": "members", "value": values(add)}));
    }
    if !remove.is_empty() {
        match compat {
            Compat::Default => {
                ops.push(json!({"op": "Remove", "path": "members", "value": values(remove)}))
            }
            Compat::AadOptscim062020 => {
                for id in remove {
                    ops.push(json!({
                        "op": "remove",
                        "path": format!("members[value eq {}]", quote(id)),
                    }));
                }
            }
        }
    }
    ProviderRequest::new(
        "PATCH",
        format!("/Groups/{group_id}"),
        Some(patch_body(ops)),
    )
}

/// E-G-01.
pub fn delete_group(id: &str) -> ProviderRequest {
    ProviderRequest::new("DELETE", format!("/Groups/{id}"), None)
}

/// Member changes split into requests of at most `batch` values each (adds first).
pub fn member_batches(
    group_id: &str,
    add: &[String],
    remove: &[String],
    batch: usize,
    compat: Compat,
) -> Vec<ProviderRequest> {
    let batch = batch.max(1);
    let mut out: Vec<ProviderRequest> = add
        .chunks(batch)
        .map(|c| patch_members(group_id, c, &[], compat))
        .collect();
    out.extend(
        remove
            .chunks(batch)
            .map(|c| patch_members(group_id, &[], c, compat)),
    );
    out
}

/// Key-sorted compact JSON: the normal form recorded bodies are compared in.
pub fn normalise(v: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(o) => {
                let mut keys: Vec<&String> = o.keys().collect();
                keys.sort();
                let mut m = Map::new();
                for k in keys {
                    m.insert(k.clone(), sort(&o[k]));
                }
                Value::Object(m)
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(v).to_string()
}

/// The recorded examples: one request of each kind for fixed inputs, by file name.
pub fn examples(compat: Compat) -> Vec<(&'static str, ProviderRequest)> {
    let ent = |a: &str| format!("{ENTERPRISE_USER_SCHEMA}:{a}");
    let mapped: Vec<(String, Value)> = vec![
        ("userName".into(), json!("ann.lee@contoso.example")),
        ("externalId".into(), json!("ann.lee")),
        ("active".into(), json!(true)),
        ("name.givenName".into(), json!("Ann")),
        ("name.familyName".into(), json!("Lee")),
        (
            "emails[type eq \"work\"].value".into(),
            json!("ann.lee@contoso.example"),
        ),
        (ent("department"), json!("Sales")),
        (ent("employeeNumber"), json!("E0000001")),
        (ent("costCenter"), json!("CC-101")),
        (ent("division"), json!("North")),
    ];
    let uid = "2819c223-7f76-453a-919d-413861904646";
    let gid = "e9e30dba-f08f-4109-8486-d5c6a331660a";
    let changes = vec![
        Change {
            path: "name.familyName".into(),
            value: json!("Lee-Renamed"),
            existed: true,
        },
        Change {
            path: "emails[type eq \"work\"].value".into(),
            value: json!("ann.lee@contoso.example"),
            existed: false,
        },
        Change {
            path: ent("department"),
            value: json!("Marketing"),
            existed: true,
        },
        Change {
            path: "active".into(),
            value: json!(true),
            existed: true,
        },
    ];
    let members: Vec<String> = vec![
        "6c5bb468-14b2-4183-baf2-06d523e03bd3".into(),
        "902c246b-6245-4190-8e05-00816be7344a".into(),
    ];
    vec![
        (
            "test_connection",
            test_connection("9a7d1a4e-52c2-4c31-9c5a-2f0e2b5d6c11"),
        ),
        (
            "find_user_by_username",
            find_user("userName", "ann.lee@contoso.example"),
        ),
        ("find_group", find_group("displayName", "Sales team 7")),
        ("create_user", create_user(&mapped)),
        ("update_user", update_user(uid, &changes, compat)),
        ("disable_user", disable_user(uid, compat)),
        ("delete_user", delete_user(uid)),
        (
            "set_manager",
            set_manager(uid, Some("902c246b-6245-4190-8e05-00816be7344a"), compat),
        ),
        ("clear_manager", set_manager(uid, None, compat)),
        (
            "create_group",
            create_group(&[
                ("displayName".into(), json!("Sales team 7")),
                (
                    "externalId".into(),
                    json!("5eed0000-0000-0000-0000-000000000007"),
                ),
            ]),
        ),
        (
            "rename_group",
            update_group(
                gid,
                &[Change {
                    path: "displayName".into(),
                    value: json!("Sales team 7 (EMEA)"),
                    existed: true,
                }],
                compat,
            ),
        ),
        ("add_members", patch_members(gid, &members, &[], compat)),
        ("remove_members", patch_members(gid, &[], &members, compat)),
        ("delete_group", delete_group(gid)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_mode_capitalises_and_stringifies_active() {
        let r = disable_user("x", Compat::Default);
        let b = r.body.expect("body");
        assert_eq!(b["Operations"][0]["op"], "Replace");
        assert_eq!(b["Operations"][0]["value"], "False");
        let r = disable_user("x", Compat::AadOptscim062020);
        let b = r.body.expect("body");
        assert_eq!(b["Operations"][0]["op"], "replace");
        assert_eq!(b["Operations"][0]["value"]["active"], false);
    }

    #[test]
    fn members_are_batched() {
        let ids: Vec<String> = (0..250).map(|i| format!("id{i}")).collect();
        let reqs = member_batches("g", &ids, &ids[..10], 100, Compat::Default);
        assert_eq!(reqs.len(), 4);
        let compat = member_batches("g", &[], &ids[..3], 100, Compat::AadOptscim062020);
        let ops = &compat[0].body.as_ref().expect("body")["Operations"];
        assert_eq!(ops.as_array().map(Vec::len), Some(3));
        assert_eq!(ops[0]["path"], "members[value eq \"id0\"]");
    }

    #[test]
    fn filters_are_eq_only_and_encoded() {
        let r = find_group("displayName", "Sales \"A\"");
        assert!(
            r.path
                .starts_with("/Groups?excludedAttributes=members&filter=")
        );
        assert!(r.path.contains("%5C%22A%5C%22"), "{}", r.path);
        assert_eq!(
            test_connection("abc").path,
            "/Users?filter=userName+eq+%22abc%22"
        );
    }
}
