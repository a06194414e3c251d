//! R-PATCH, identity-provider compatibility profile (BEHAVIOUR E-U-03 / E-G-01): the default
//! server accepts Entra ID's capitalised ops, string booleans, path-less multi-attribute
//! replaces and member removal shapes; the strict server (`entra_compat: false`) refuses them.
#![allow(clippy::unwrap_used)]

use scim_harness::client::ScimClient;
use scim_harness::reference::config::ReferenceConfig;
use scim_harness::reference::server::RunningReference;
use serde_json::{Value, json};

use crate::common::*;

async fn compat() -> (RunningReference, ScimClient) {
    start_with(ReferenceConfig::default()).await
}

/// The user Entra ID creates (E-U-01).
fn entra_user(name: &str) -> Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "externalId": format!("ext-{name}"),
        "userName": format!("{name}@contoso.example"),
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": format!("{name}@contoso.example")}],
        "name": {"formatted": name, "familyName": "Family", "givenName": "Given"},
        ENTERPRISE: {"department": "Dept", "employeeNumber": "1"}
    })
}

async fn create(c: &ScimClient, path: &str, body: &Value) -> String {
    let r = c.post(path, body).await.unwrap();
    assert_eq!(r.status, 201, "{}", r.raw);
    r.body["id"].as_str().unwrap().to_string()
}

async fn group_with(c: &ScimClient, name: &str, members: &[&str]) -> String {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    create(
        c,
        "/Groups",
        &json!({"schemas": [GROUP], "displayName": name, "members": members}),
    )
    .await
}

async fn member_ids(c: &ScimClient, gid: &str) -> Vec<String> {
    let g = c.get(&format!("/Groups/{gid}")).await.unwrap().body;
    let mut ids: Vec<String> = g
        .get("members")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|m| m["value"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn default_mode_capitalised_ops_and_string_booleans() {
    let (_srv, c) = compat().await;
    let id = create(&c, "/Users", &entra_user("ann")).await;
    let r = c
        .patch(
            &format!("/Users/{id}"),
            &ops(json!([{"op": "Replace", "path": "active", "value": "False"}])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["active"], json!(false));
    let r = c
        .patch(
            &format!("/Users/{id}"),
            &ops(json!([
                {"op": "Replace", "path": "active", "value": "True"},
                {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "new@contoso.example"},
                {"op": "Replace", "path": "name.familyName", "value": "Other"},
                {"op": "Add", "path": format!("{ENTERPRISE}:costCenter"), "value": "CC"}
            ])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    let u = &r.body;
    assert_eq!(u["active"], json!(true));
    assert_eq!(u["emails"].as_array().unwrap().len(), 1);
    assert_eq!(u["emails"][0]["value"], "new@contoso.example");
    assert_eq!(u["emails"][0]["type"], "work");
    assert_eq!(u["name"]["familyName"], "Other");
    assert_eq!(u[ENTERPRISE]["costCenter"], "CC");
    assert_eq!(u[ENTERPRISE]["department"], "Dept");
    let got = c.get(&format!("/Users/{id}")).await.unwrap().body;
    assert_eq!(&got, u);
}

#[tokio::test]
async fn default_mode_remove_members_with_value_list() {
    let (_srv, c) = compat().await;
    let a = create(&c, "/Users", &entra_user("a")).await;
    let b = create(&c, "/Users", &entra_user("b")).await;
    let d = create(&c, "/Users", &entra_user("d")).await;
    let gid = group_with(&c, "G", &[&a, &b, &d]).await;
    let r = c
        .patch(
            &format!("/Groups/{gid}"),
            &ops(json!([{"op": "Remove", "path": "members", "value": [{"value": a}]}])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.raw);
    assert_eq!(member_ids(&c, &gid).await, sorted(&[&b, &d]));
    // Several members in one op, and Add with several values (E-G-01).
    let r = c
        .patch(
            &format!("/Groups/{gid}"),
            &ops(json!([
                {"op": "Add", "path": "members", "value": [{"value": a}]},
                {"op": "Remove", "path": "members", "value": [{"value": b}, {"value": d}]}
            ])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.raw);
    assert_eq!(member_ids(&c, &gid).await, sorted(&[&a]));
    // Rename via Replace displayName.
    let r = c
        .patch(
            &format!("/Groups/{gid}"),
            &ops(json!([{"op": "Replace", "path": "displayName", "value": "G renamed"}])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204);
    let g = c.get(&format!("/Groups/{gid}")).await.unwrap().body;
    assert_eq!(g["displayName"], "G renamed");
    let u = c.get(&format!("/Users/{a}")).await.unwrap().body;
    assert_eq!(u["groups"][0]["display"], "G renamed");
}

#[tokio::test]
async fn aad_opt_scim_062020_shapes() {
    let (_srv, c) = compat().await;
    let id = create(&c, "/Users", &entra_user("bo")).await;
    let r = c
        .patch(
            &format!("/Users/{id}"),
            &ops(json!([{"op": "replace", "value": {
                "active": false,
                "displayName": "Bo B",
                "name.givenName": "Bo",
                "name.familyName": "Builder",
                format!("{ENTERPRISE}:department"): "Construction",
                "emails[type eq \"work\"].value": "bo@new.example"
            }}])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    let u = &r.body;
    assert_eq!(u["active"], json!(false));
    assert_eq!(u["displayName"], "Bo B");
    assert_eq!(u["name"]["givenName"], "Bo");
    assert_eq!(u["name"]["familyName"], "Builder");
    assert_eq!(u["name"]["formatted"], "bo");
    assert_eq!(u[ENTERPRISE]["department"], "Construction");
    assert_eq!(u[ENTERPRISE]["employeeNumber"], "1");
    assert_eq!(u["emails"][0]["value"], "bo@new.example");
    assert!(u.get("name.givenName").is_none());
    assert!(u.get(format!("{ENTERPRISE}:department").as_str()).is_none());

    let other = create(&c, "/Users", &entra_user("other")).await;
    let gid = group_with(&c, "Crew", &[&id, &other]).await;
    let r = c
        .patch(
            &format!("/Groups/{gid}"),
            &ops(json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.raw);
    assert_eq!(member_ids(&c, &gid).await, sorted(&[&other]));
    // Removing a member that is already gone is a no-op in this profile.
    let r = c
        .patch(
            &format!("/Groups/{gid}"),
            &ops(json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.raw);
    assert_eq!(member_ids(&c, &gid).await, sorted(&[&other]));
}

#[tokio::test]
async fn default_mode_no_match_remove_is_a_no_op() {
    let (_srv, c) = compat().await;
    let id = create(&c, "/Users", &entra_user("n")).await;
    let r = c
        .patch(
            &format!("/Users/{id}"),
            &ops(json!([{"op": "Remove", "path": "emails[type eq \"nope\"]"}])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["emails"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn strict_mode_refuses_capitalised_ops() {
    let (_srv, c) = strict().await;
    let id = create(&c, "/Users", &entra_user("s")).await;
    let before = c.get(&format!("/Users/{id}")).await.unwrap().body;
    for op in ["Replace", "Add", "Remove", "REPLACE"] {
        let r = c
            .patch(
                &format!("/Users/{id}"),
                &ops(json!([{"op": op, "path": "title", "value": "x"}])),
            )
            .await
            .unwrap();
        assert_error(&r, 400, Some("invalidSyntax"));
    }
    assert_eq!(c.get(&format!("/Users/{id}")).await.unwrap().body, before);
}

#[tokio::test]
async fn strict_mode_refuses_string_booleans() {
    let (_srv, c) = strict().await;
    let id = create(&c, "/Users", &entra_user("s")).await;
    for v in ["False", "false", "True"] {
        let r = c
            .patch(
                &format!("/Users/{id}"),
                &ops(json!([{"op": "replace", "path": "active", "value": v}])),
            )
            .await
            .unwrap();
        assert_error(&r, 400, Some("invalidValue"));
    }
    let u = c.get(&format!("/Users/{id}")).await.unwrap().body;
    assert_eq!(u["active"], json!(true));
    // A real boolean works.
    let r = c
        .patch(
            &format!("/Users/{id}"),
            &ops(json!([{"op": "replace", "path": "active", "value": false}])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["active"], json!(false));
    // POST with a string boolean is refused too, and accepted by the default server.
    let mut body = entra_user("t");
    body["active"] = json!("True");
    let r = c.post("/Users", &body).await.unwrap();
    assert_error(&r, 400, Some("invalidValue"));
    let (_srv2, lenient) = compat().await;
    let r = lenient.post("/Users", &body).await.unwrap();
    assert_eq!(r.status, 201, "{}", r.raw);
    assert_eq!(r.body["active"], json!(true));
}

#[tokio::test]
async fn strict_mode_refuses_path_keys_and_value_list_removal() {
    let (_srv, c) = strict().await;
    let id = create(&c, "/Users", &entra_user("k")).await;
    let r = c
        .patch(
            &format!("/Users/{id}"),
            &ops(json!([{"op": "replace", "value": {"name.givenName": "X"}}])),
        )
        .await
        .unwrap();
    assert_error(&r, 400, Some("invalidPath"));
    let other = create(&c, "/Users", &entra_user("o")).await;
    let gid = group_with(&c, "S", &[&id, &other]).await;
    // RFC: remove of "members" with a value removes the whole attribute, or is refused; it
    // must not be read as "remove only these".
    let r = c
        .patch(
            &format!("/Groups/{gid}"),
            &ops(json!([{"op": "remove", "path": "members", "value": [{"value": id}]}])),
        )
        .await
        .unwrap();
    let left = member_ids(&c, &gid).await;
    if r.status == 204 || r.status == 200 {
        assert!(left.is_empty(), "strict remove members kept {left:?}");
    } else {
        assert_eq!(r.status, 400, "{}", r.raw);
        assert_eq!(left, sorted(&[&id, &other]));
    }
}
