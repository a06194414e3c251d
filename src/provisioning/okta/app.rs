//! What Okta's provisioning client sends, as its documentation shows it (developer.okta.com,
//! "SCIM 2.0 protocol reference"; statements O-CLIENT-01 to O-IMPORT-01): the app's attribute
//! mappings and every request, for an OIN app and for a custom (AIW) app.

use crate::provisioning::mapping::{AttributeMapping, Mapped, Mappings};
use crate::provisioning::requests::{ProviderRequest, put};
pub use crate::provisioning::sim::options::OktaApp;
use crate::scim::schema::{GROUP_SCHEMA, PATCH_OP, USER_SCHEMA};
use serde_json::{Map, Value, json};

/// O-CLIENT-01: the User-Agent of every request.
pub const USER_AGENT: &str = "Okta SCIM Client 1.0.0";

/// The profile Okta pushes (O-CREATE-01): userName, name, the primary work email,
/// displayName, locale, externalId (the Okta user id) and active.
pub fn mappings() -> Mappings {
    let active = AttributeMapping::expression("Not([IsSoftDeleted])", "active")
        .unwrap_or_else(|_| AttributeMapping::constant("True", "active"));
    Mappings {
        user: vec![
            AttributeMapping::direct("userPrincipalName", "userName").matching(1),
            AttributeMapping::direct("givenName", "name.givenName"),
            AttributeMapping::direct("surname", "name.familyName"),
            AttributeMapping::direct("mail", "emails[type eq \"work\"].value"),
            AttributeMapping::direct("displayName", "displayName"),
            AttributeMapping::constant("en-US", "locale"),
            AttributeMapping::direct("objectId", "externalId"),
            active,
        ],
        group: vec![AttributeMapping::direct("displayName", "displayName").matching(1)],
    }
}

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// O-MATCH-01: the lookup before a create, with startIndex and count.
pub fn lookup(user_name: &str) -> ProviderRequest {
    let filter = format!("userName eq \"{}\"", user_name.replace('"', "\\\""));
    ProviderRequest::new(
        "GET",
        format!("/Users?filter={}&startIndex=1&count=100", encode(&filter)),
        None,
    )
}

/// O-GROUP-01: the group lookup by name Okta sends when it does not know the app's id.
pub fn lookup_group(name: &str) -> ProviderRequest {
    let filter = format!("displayName eq \"{}\"", name.replace('"', "\\\""));
    ProviderRequest::new(
        "GET",
        format!("/Groups?filter={}&startIndex=1&count=100", encode(&filter)),
        None,
    )
}

/// The user resource Okta's profile makes, with `groups: []`.
fn user_resource(mapped: &Mapped) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("schemas".into(), json!([USER_SCHEMA]));
    for (p, v) in mapped {
        put(&mut body, p, v.clone());
    }
    body.insert("groups".into(), json!([]));
    body
}

/// A placeholder password, the same for the same userName: Okta sends one on every create,
/// password sync or not ("its value isn't relevant or sensitive").
fn placeholder_password(mapped: &Mapped) -> String {
    let name = mapped
        .iter()
        .find(|(p, _)| p == "userName")
        .map(|(_, v)| v.to_string())
        .unwrap_or_default();
    // FNV-1a: short, stable, and no secret.
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{:08x}", h as u32)
}

/// O-CREATE-01: `POST /Users` with the whole profile, the placeholder password and
/// `active: true`.
pub fn create_user(mapped: &Mapped) -> ProviderRequest {
    let mut body = user_resource(mapped);
    body.insert("password".into(), json!(placeholder_password(mapped)));
    ProviderRequest::new("POST", "/Users".into(), Some(Value::Object(body)))
}

/// The read before a full PUT.
pub fn get_user(id: &str) -> ProviderRequest {
    ProviderRequest::new("GET", format!("/Users/{id}"), None)
}

/// O-UPDATE-01: the full-resource PUT, made from what the GET returned with Okta's profile
/// over it (an object such as `name` merged key by key, everything else replaced), so what
/// Okta does not manage is sent back as it came; `meta` keeps only the resource type.
pub fn put_user(id: &str, current: &Value, mapped: &Mapped) -> ProviderRequest {
    let mut body = current.as_object().cloned().unwrap_or_default();
    // Okta's example PUT carries `meta` with the resource type only.
    body.insert("meta".into(), json!({"resourceType": "User"}));
    for (k, v) in user_resource(mapped) {
        match (body.get_mut(&k), v) {
            (Some(Value::Object(old)), Value::Object(new)) => old.extend(new),
            (_, v) => {
                body.insert(k, v);
            }
        }
    }
    body.insert("id".into(), json!(id));
    ProviderRequest::new("PUT", format!("/Users/{id}"), Some(Value::Object(body)))
}

/// O-DEACTIVATE-01: the path-less replace an OIN app (de)activates with.
pub fn set_active(id: &str, active: bool) -> ProviderRequest {
    ProviderRequest::new(
        "PATCH",
        format!("/Users/{id}"),
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [{"op": "replace", "value": {"active": active}}]
        })),
    )
}

/// O-GROUP-01: Group Push creates the group empty; memberships follow.
pub fn create_group(name: &str) -> ProviderRequest {
    ProviderRequest::new(
        "POST",
        "/Groups".into(),
        Some(json!({"schemas": [GROUP_SCHEMA], "displayName": name, "members": []})),
    )
}

/// A member as Okta pushes it: the target id and the login.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Member {
    pub id: String,
    pub login: String,
}

/// O-GROUP-01, an OIN app: a PATCH that renames (`value: {id, displayName}`, sent with every
/// membership update), removes `members[value eq "…"]` one by one and adds a value list.
pub fn patch_group(id: &str, name: &str, add: &[Member], remove: &[String]) -> ProviderRequest {
    let mut ops = vec![json!({"op": "replace", "value": {"id": id, "displayName": name}})];
    for r in remove {
        ops.push(json!({"op": "remove", "path": format!("members[value eq \"{r}\"]")}));
    }
    if !add.is_empty() {
        let value: Vec<Value> = add
            .iter()
            .map(|m| json!({"value": m.id, "display": m.login}))
            .collect();
        ops.push(json!({"op": "add", "path": "members", "value": value}));
    }
    ProviderRequest::new(
        "PATCH",
        format!("/Groups/{id}"),
        Some(json!({"schemas": [PATCH_OP], "Operations": ops})),
    )
}

/// O-GROUP-01, a custom app: the rename or membership change as a PUT of the whole group.
pub fn put_group(id: &str, name: &str, members: &[Member]) -> ProviderRequest {
    let members: Vec<Value> = members
        .iter()
        .map(|m| json!({"value": m.id, "display": m.login}))
        .collect();
    ProviderRequest::new(
        "PUT",
        format!("/Groups/{id}"),
        Some(json!({"schemas": [GROUP_SCHEMA], "id": id, "displayName": name, "members": members})),
    )
}

/// The admin unlinks a pushed group with "delete the group in the target app".
pub fn delete_group(id: &str) -> ProviderRequest {
    ProviderRequest::new("DELETE", format!("/Groups/{id}"), None)
}

/// O-IMPORT-01: one page of an import, 100 at a time.
pub fn import_page(start_index: usize) -> ProviderRequest {
    ProviderRequest::new(
        "GET",
        format!("/Users?startIndex={start_index}&count=100"),
        None,
    )
}

/// One of each request an app of `app` sends, for the recorded examples
/// (`fixtures/provider-requests/okta-<app>/`).
pub fn examples(app: OktaApp) -> Vec<(&'static str, ProviderRequest)> {
    let mapped: Mapped = vec![
        ("userName".into(), json!("ann.lee@contoso.example")),
        ("name.givenName".into(), json!("Ann")),
        ("name.familyName".into(), json!("Lee")),
        (
            "emails[type eq \"work\"].value".into(),
            json!("ann.lee@contoso.example"),
        ),
        ("displayName".into(), json!("Ann Lee")),
        ("locale".into(), json!("en-US")),
        ("externalId".into(), json!("00u1ann")),
        ("active".into(), json!(true)),
    ];
    let current = json!({
        "schemas": [USER_SCHEMA], "id": "u-1", "userName": "ann.lee@contoso.example",
        "name": {"givenName": "Ann", "familyName": "Lee", "formatted": "Ann Lee"},
        "title": "Engineer", "active": true, "meta": {"resourceType": "User"}
    });
    let mut renamed = mapped.clone();
    renamed[2].1 = json!("Lee-Smith");
    let mut inactive = mapped.clone();
    inactive[7].1 = json!(false);
    let member = Member {
        id: "u-1".into(),
        login: "ann.lee@contoso.example".into(),
    };
    let mut out = vec![
        ("lookup-user", lookup("ann.lee@contoso.example")),
        ("create-user", create_user(&mapped)),
        ("get-user", get_user("u-1")),
        ("update-user", put_user("u-1", &current, &renamed)),
        ("create-group", create_group("Sales")),
        ("lookup-group", lookup_group("Sales")),
        ("delete-group", delete_group("g-1")),
        ("import-page", import_page(101)),
    ];
    match app {
        OktaApp::Oin => out.extend([
            ("deactivate-user", set_active("u-1", false)),
            ("reactivate-user", set_active("u-1", true)),
            (
                "push-memberships",
                patch_group(
                    "g-1",
                    "Sales",
                    std::slice::from_ref(&member),
                    &["u-2".into()],
                ),
            ),
            ("rename-group", patch_group("g-1", "Sales EMEA", &[], &[])),
        ]),
        OktaApp::Custom => out.extend([
            ("deactivate-user", put_user("u-1", &current, &inactive)),
            ("reactivate-user", put_user("u-1", &current, &mapped)),
            (
                "push-memberships",
                put_group("g-1", "Sales", std::slice::from_ref(&member)),
            ),
            ("rename-group", put_group("g-1", "Sales EMEA", &[member])),
        ]),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_put_keeps_what_okta_does_not_manage_and_only_the_type_of_meta() {
        let current = json!({"id": "u-1", "userName": "a", "title": "Boss",
            "name": {"givenName": "A", "formatted": "A B"}, "meta": {"version": "W/1"}});
        let mapped: Mapped = vec![
            ("userName".into(), json!("a")),
            ("name.givenName".into(), json!("Ann")),
        ];
        let body = put_user("u-1", &current, &mapped).body.expect("a body");
        assert_eq!(body["title"], "Boss");
        assert_eq!(
            body["name"],
            json!({"givenName": "Ann", "formatted": "A B"})
        );
        assert_eq!(body["groups"], json!([]));
        assert_eq!(body["meta"], json!({"resourceType": "User"}));
    }

    #[test]
    fn an_oin_group_push_renames_with_every_membership_change() {
        let m = Member {
            id: "u-1".into(),
            login: "a@x".into(),
        };
        let body = patch_group("g-1", "Sales", &[m], &["u-9".into()])
            .body
            .expect("a body");
        let ops = body["Operations"].as_array().expect("ops");
        assert_eq!(
            ops[0],
            json!({"op": "replace", "value": {"id": "g-1", "displayName": "Sales"}})
        );
        assert_eq!(ops[1]["path"], "members[value eq \"u-9\"]");
        assert_eq!(ops[2]["value"][0]["value"], "u-1");
    }
}
