//! Cross-cutting consistency over HTTP: indexes follow renames, `meta.lastModified` follows
//! membership changes, root `/.search` sorts across types, ids are case-exact in URLs too, and
//! the bearer scheme name is case-insensitive (RFC 7235 §2.1).
#![allow(clippy::unwrap_used)]

use reqwest::Method;
use scim_harness::client::Connection;
use scim_harness::client::{ScimClient, ScimResponse, encode};
use serde_json::{Value, json};

use crate::common::*;

async fn create(c: &ScimClient, path: &str, body: Value) -> ScimResponse {
    let r = c.post(path, &body).await.unwrap();
    assert_eq!(r.status, 201, "{}", r.raw);
    r
}

async fn total(c: &ScimClient, endpoint: &str, filter: &str) -> u64 {
    let r = c
        .get(&format!("{endpoint}?filter={}", encode(filter)))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{filter}: {}", r.raw);
    r.body["totalResults"].as_u64().unwrap()
}

#[tokio::test]
async fn user_indexes_follow_renames_and_deletes() {
    let (_srv, c) = start().await;
    let r = create(
        &c,
        "/Users",
        json!({"schemas": [USER], "userName": "old", "externalId": "e-old"}),
    )
    .await;
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = c
        .patch(
            &format!("/Users/{id}"),
            &json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "replace", "path": "userName", "value": "new"},
                {"op": "replace", "path": "externalId", "value": "e-new"}]}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(total(&c, "/Users", r#"userName eq "new""#).await, 1);
    assert_eq!(total(&c, "/Users", r#"userName eq "old""#).await, 0);
    assert_eq!(total(&c, "/Users", r#"externalId eq "e-new""#).await, 1);
    assert_eq!(total(&c, "/Users", r#"externalId eq "e-old""#).await, 0);
    // The old name is free, the new one is taken.
    create(&c, "/Users", json!({"schemas": [USER], "userName": "OLD"})).await;
    let r = c
        .post("/Users", &json!({"schemas": [USER], "userName": "New"}))
        .await
        .unwrap();
    assert_error(&r, 409, Some("uniqueness"));
    // PUT without externalId drops it from the index.
    let r = c
        .put(
            &format!("/Users/{id}"),
            &json!({"schemas": [USER], "userName": "new"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(total(&c, "/Users", r#"externalId eq "e-new""#).await, 0);
    assert_eq!(c.delete(&format!("/Users/{id}")).await.unwrap().status, 204);
    assert_eq!(total(&c, "/Users", r#"userName eq "new""#).await, 0);
    create(&c, "/Users", json!({"schemas": [USER], "userName": "new"})).await;
}

#[tokio::test]
async fn group_indexes_follow_renames() {
    let (_srv, c) = start().await;
    let r = create(
        &c,
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "Before"}),
    )
    .await;
    let gid = r.body["id"].as_str().unwrap().to_string();
    let r = c
        .patch(
            &format!("/Groups/{gid}"),
            &json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "replace", "path": "displayName", "value": "After"}]}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.raw);
    assert_eq!(total(&c, "/Groups", r#"displayName eq "after""#).await, 1);
    assert_eq!(total(&c, "/Groups", r#"displayName eq "Before""#).await, 0);
    create(
        &c,
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "Before"}),
    )
    .await;
    let r = c
        .post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "AFTER"}),
        )
        .await
        .unwrap();
    assert_error(&r, 409, Some("uniqueness"));
}

#[tokio::test]
async fn group_last_modified_moves_with_membership_patches() {
    let (_srv, c) = start().await;
    let uid = create(&c, "/Users", json!({"schemas": [USER], "userName": "m"}))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let g = create(
        &c,
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "G"}),
    )
    .await;
    let gid = g.body["id"].as_str().unwrap().to_string();
    let before = g.body["meta"]["lastModified"].clone();
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    let r = c
        .patch(
            &format!("/Groups/{gid}"),
            &json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "add", "path": "members", "value": [{"value": uid}]}]}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204);
    let after = c.get(&format!("/Groups/{gid}")).await.unwrap().body;
    assert_ne!(after["meta"]["lastModified"], before);
    assert_eq!(after["meta"]["created"], g.body["meta"]["created"]);
}

#[tokio::test]
async fn group_last_modified_moves_when_a_member_is_deleted() {
    let (_srv, c) = start().await;
    let uid = create(&c, "/Users", json!({"schemas": [USER], "userName": "gone"}))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let g = create(
        &c,
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "G", "members": [{"value": uid}]}),
    )
    .await;
    let gid = g.body["id"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    let cut = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    assert_eq!(
        c.delete(&format!("/Users/{uid}")).await.unwrap().status,
        204
    );
    let after = c.get(&format!("/Groups/{gid}")).await.unwrap().body;
    assert!(after.get("members").is_none());
    assert_ne!(after["meta"]["version"], g.body["meta"]["version"]);
    assert_ne!(
        after["meta"]["lastModified"], g.body["meta"]["lastModified"],
        "members changed, lastModified did not"
    );
    assert_eq!(
        total(&c, "/Groups", &format!(r#"meta.lastModified gt "{cut}""#)).await,
        1
    );
}

#[tokio::test]
async fn root_search_sorts_across_resource_types() {
    let (_srv, c) = start().await;
    create(
        &c,
        "/Users",
        json!({"schemas": [USER], "userName": "u", "externalId": "b"}),
    )
    .await;
    create(
        &c,
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "g", "externalId": "a"}),
    )
    .await;
    create(
        &c,
        "/Users",
        json!({"schemas": [USER], "userName": "v", "externalId": "c"}),
    )
    .await;
    let r = c
        .post(
            "/.search",
            &json!({"schemas": [SEARCH], "filter": "externalId pr", "sortBy": "externalId"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    let order: Vec<&str> = r.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["externalId"].as_str().unwrap())
        .collect();
    assert_eq!(order, vec!["a", "b", "c"]);
}

#[tokio::test]
async fn ids_in_urls_are_case_exact() {
    let (_srv, c) = start().await;
    let id = create(
        &c,
        "/Users",
        json!({"schemas": [USER], "userName": "exact"}),
    )
    .await
    .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        total(&c, "/Users", &format!(r#"id eq "{}""#, id.to_uppercase())).await,
        0
    );
    for alias in [
        id.to_uppercase(),
        id.replace('-', ""),
        format!("urn:uuid:{id}"),
        format!("{{{id}}}"),
    ] {
        let r = c.get(&format!("/Users/{}", encode(&alias))).await.unwrap();
        assert_error(&r, 404, None);
    }
    assert_eq!(c.get(&format!("/Users/{id}")).await.unwrap().status, 200);
}

#[tokio::test]
async fn bearer_scheme_is_case_insensitive() {
    let (srv, _c) = start().await;
    let anon = ScimClient::new(&srv.base_url, Connection::default()).unwrap();
    for h in ["Bearer t", "bearer t", "BEARER t", "BeArEr t"] {
        let r = anon
            .send(Method::GET, "/Users", None, &[("Authorization", h)])
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{h}: {}", r.raw);
    }
}
