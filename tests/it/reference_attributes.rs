//! R-ATTR over HTTP: `attributes` / `excludedAttributes`, `returned` rules (password never),
//! readOnly values ignored on create, and uniqueness (409 `uniqueness`).
#![allow(clippy::unwrap_used)]

use scim_harness::client::{ScimClient, encode};
use scim_harness::reference::config::ReferenceConfig;
use serde_json::{Value, json};
use std::collections::BTreeSet;

use crate::common::*;

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn ann() -> Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "userName": "ann",
        "password": "s3cret!",
        "displayName": "Ann",
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "emails": [{"value": "ann@example.com", "type": "work", "primary": true}],
        ENTERPRISE: {"department": "Sales", "costCenter": "7"}
    })
}

async fn create(c: &ScimClient, body: &Value) -> Value {
    let r = c.post("/Users", body).await.unwrap();
    assert_eq!(r.status, 201, "{}", r.raw);
    r.body
}

#[tokio::test]
async fn attributes_returns_only_what_was_asked_plus_always() {
    let (_srv, c) = start().await;
    let id = create(&c, &ann()).await["id"].as_str().unwrap().to_string();
    let r = c
        .get(&format!("/Users/{id}?attributes=userName"))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(keys(&r.body), set(&["schemas", "id", "userName"]));
    assert_eq!(r.body["id"], json!(id));

    let r = c
        .get(&format!(
            "/Users?attributes={}",
            encode("userName,name.givenName")
        ))
        .await
        .unwrap();
    let u = &r.body["Resources"][0];
    assert_eq!(keys(u), set(&["schemas", "id", "userName", "name"]));
    assert_eq!(u["name"], json!({"givenName": "Ann"}));

    let r = c
        .get(&format!(
            "/Users/{id}?attributes={}",
            encode(&format!("{ENTERPRISE}:department"))
        ))
        .await
        .unwrap();
    assert_eq!(keys(&r.body), set(&["schemas", "id", ENTERPRISE]));
    assert_eq!(r.body[ENTERPRISE], json!({"department": "Sales"}));

    // Names are case-insensitive; the answer uses the schema spelling.
    let r = c
        .get(&format!("/Users/{id}?attributes=USERNAME,DisplayName"))
        .await
        .unwrap();
    assert_eq!(
        keys(&r.body),
        set(&["schemas", "id", "userName", "displayName"])
    );
}

#[tokio::test]
async fn excluded_attributes_drops_them_and_keeps_the_rest() {
    let (_srv, c) = start().await;
    let id = create(&c, &ann()).await["id"].as_str().unwrap().to_string();
    let r = c
        .get(&format!("/Users/{id}?excludedAttributes=emails"))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body.get("emails").is_none(), "{}", r.body);
    for k in ["id", "userName", "name", "displayName", "meta", ENTERPRISE] {
        assert!(r.body.get(k).is_some(), "{k} missing: {}", r.body);
    }
    // id is returned always: excluding it does nothing.
    let r = c
        .get(&format!(
            "/Users/{id}?excludedAttributes=id,name.familyName"
        ))
        .await
        .unwrap();
    assert_eq!(r.body["id"], json!(id));
    assert_eq!(r.body["name"], json!({"givenName": "Ann"}));
    let r = c
        .get(&format!("/Users?excludedAttributes={}", encode(ENTERPRISE)))
        .await
        .unwrap();
    assert!(r.body["Resources"][0].get(ENTERPRISE).is_none());
    assert_eq!(r.body["Resources"][0]["userName"], "ann");
}

#[tokio::test]
async fn attributes_apply_to_create_and_replace_answers() {
    let (_srv, c) = start().await;
    let r = c.post("/Users?attributes=userName", &ann()).await.unwrap();
    assert_eq!(r.status, 201);
    assert_eq!(keys(&r.body), set(&["schemas", "id", "userName"]));
    let id = r.body["id"].as_str().unwrap();
    let r = c
        .put(
            &format!("/Users/{id}?excludedAttributes=name"),
            &json!({"schemas": [USER], "userName": "ann", "name": {"givenName": "A"}, "title": "T"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body.get("name").is_none());
    assert_eq!(r.body["title"], "T");
    let full = c.get(&format!("/Users/{id}")).await.unwrap().body;
    assert_eq!(full["name"]["givenName"], "A");
}

#[tokio::test]
async fn password_is_never_returned() {
    let (_srv, c) = start().await;
    let created = c.post("/Users", &ann()).await.unwrap();
    assert_eq!(created.status, 201);
    assert!(!created.raw.contains("s3cret!"), "{}", created.raw);
    assert!(created.body.get("password").is_none());
    let id = created.body["id"].as_str().unwrap();
    for q in [
        format!("/Users/{id}"),
        format!("/Users/{id}?attributes=password"),
        format!("/Users/{id}?attributes=password,userName"),
        "/Users".to_string(),
        format!("/Users?filter={}", encode("userName eq \"ann\"")),
    ] {
        let r = c.get(&q).await.unwrap();
        assert_eq!(r.status, 200, "{q}");
        assert!(!r.raw.contains("s3cret!"), "{q}: {}", r.raw);
        assert!(!r.raw.contains("\"password\""), "{q}: {}", r.raw);
    }
    let r = c
        .put(
            &format!("/Users/{id}"),
            &json!({"schemas": [USER], "userName": "ann", "password": "n3w-secret"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert!(!r.raw.contains("n3w-secret"), "{}", r.raw);
}

#[tokio::test]
async fn read_only_values_are_ignored_on_create() {
    let (_srv, c) = start().await;
    let g = c
        .post("/Groups", &json!({"schemas": [GROUP], "displayName": "G"}))
        .await
        .unwrap()
        .body;
    let gid = g["id"].as_str().unwrap();
    let mut body = ann();
    body["id"] = json!("my-own-id");
    body["groups"] = json!([{"value": gid, "display": "G"}]);
    body["meta"] = json!({"created": "2001-01-01T00:00:00Z", "version": "W/\"7\""});
    let r = c.post("/Users", &body).await.unwrap();
    assert_eq!(r.status, 201, "{}", r.raw);
    let id = r.body["id"].as_str().unwrap();
    assert_ne!(id, "my-own-id");
    assert!(uuid::Uuid::parse_str(id).is_ok());
    assert!(r.body.get("groups").is_none(), "{}", r.body);
    assert_ne!(r.body["meta"]["created"], "2001-01-01T00:00:00Z");
    let group = c.get(&format!("/Groups/{gid}")).await.unwrap().body;
    assert!(group.get("members").is_none(), "{group}");
    assert_error(&c.get("/Users/my-own-id").await.unwrap(), 404, None);
}

#[tokio::test]
async fn duplicate_user_name_is_409_uniqueness_case_insensitively() {
    let (_srv, c) = start().await;
    create(&c, &json!({"schemas": [USER], "userName": "Dup"})).await;
    for name in ["Dup", "dup", "DUP"] {
        let r = c
            .post("/Users", &json!({"schemas": [USER], "userName": name}))
            .await
            .unwrap();
        assert_error(&r, 409, Some("uniqueness"));
    }
    assert_eq!(c.get("/Users").await.unwrap().body["totalResults"], 1);
    // Renaming another user onto the taken name is refused too.
    let other = create(&c, &json!({"schemas": [USER], "userName": "other"})).await;
    let oid = other["id"].as_str().unwrap();
    let r = c
        .put(
            &format!("/Users/{oid}"),
            &json!({"schemas": [USER], "userName": "dUP"}),
        )
        .await
        .unwrap();
    assert_error(&r, 409, Some("uniqueness"));
    // A user may change the case of its own name.
    let r = c
        .put(
            &format!("/Users/{oid}"),
            &json!({"schemas": [USER], "userName": "OTHER"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["userName"], "OTHER");
}

#[tokio::test]
async fn duplicate_group_display_name_is_409() {
    let (_srv, c) = start().await;
    let r = c
        .post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "Admins"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201);
    for name in ["Admins", "admins"] {
        let r = c
            .post("/Groups", &json!({"schemas": [GROUP], "displayName": name}))
            .await
            .unwrap();
        assert_error(&r, 409, Some("uniqueness"));
    }
    assert_eq!(c.get("/Groups").await.unwrap().body["totalResults"], 1);
}

#[tokio::test]
async fn duplicate_group_names_allowed_when_configured() {
    let (_srv, c) = start_with(ReferenceConfig {
        unique_group_names: false,
        ..Default::default()
    })
    .await;
    for _ in 0..2 {
        let r = c
            .post(
                "/Groups",
                &json!({"schemas": [GROUP], "displayName": "Same"}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.raw);
    }
    let r = c
        .get(&format!(
            "/Groups?filter={}",
            encode("displayName eq \"same\"")
        ))
        .await
        .unwrap();
    assert_eq!(r.body["totalResults"], 2);
}

#[tokio::test]
async fn group_members_are_returned_unless_excluded() {
    let (_srv, c) = start().await;
    let uid = create(&c, &ann()).await["id"].as_str().unwrap().to_string();
    let g = c
        .post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "G", "members": [{"value": uid}]}),
        )
        .await
        .unwrap()
        .body;
    let gid = g["id"].as_str().unwrap();
    assert_eq!(g["members"][0]["value"], json!(uid));
    assert_eq!(g["members"][0]["type"], "User");
    assert_eq!(
        g["members"][0]["$ref"],
        json!(format!("{}/Users/{uid}", c.base()))
    );
    let r = c
        .get(&format!("/Groups/{gid}?excludedAttributes=members"))
        .await
        .unwrap();
    assert!(r.body.get("members").is_none());
    assert_eq!(r.body["displayName"], "G");
    let r = c
        .get(&format!("/Groups/{gid}?attributes=displayName"))
        .await
        .unwrap();
    assert_eq!(keys(&r.body), set(&["schemas", "id", "displayName"]));
    let r = c
        .get(&format!("/Groups/{gid}?attributes=members.value"))
        .await
        .unwrap();
    assert_eq!(r.body["members"], json!([{"value": uid}]));
}

#[tokio::test]
async fn urn_qualified_attribute_names_in_projections() {
    let (_srv, c) = start().await;
    let id = create(&c, &ann()).await["id"].as_str().unwrap().to_string();
    let r = c
        .get(&format!(
            "/Users/{id}?attributes={}",
            encode(&format!("{USER}:userName,{USER}:name.familyName"))
        ))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(keys(&r.body), set(&["schemas", "id", "userName", "name"]));
    assert_eq!(r.body["name"], json!({"familyName": "Lee"}));
    let r = c
        .get(&format!(
            "/Users/{id}?excludedAttributes={}",
            encode(&format!("{ENTERPRISE}:department"))
        ))
        .await
        .unwrap();
    assert_eq!(r.body[ENTERPRISE], json!({"costCenter": "7"}));
    assert_eq!(r.body["userName"], "ann");
}

#[tokio::test]
async fn password_cannot_be_probed_with_a_filter() {
    let (_srv, c) = start().await;
    create(&c, &ann()).await;
    for f in [
        "password eq \"s3cret!\"",
        "password sw \"s\"",
        "password pr",
    ] {
        let r = c
            .get(&format!("/Users?filter={}", encode(f)))
            .await
            .unwrap();
        if r.status == 200 {
            assert_eq!(r.body["totalResults"], 0, "{f} reveals the password");
        } else {
            assert_error(&r, 400, Some("invalidFilter"));
        }
    }
    // Sorting by it must not reveal an order either.
    let r = c.get("/Users?sortBy=password").await.unwrap();
    assert!(r.status == 200 || r.status == 400, "{}", r.raw);
}
