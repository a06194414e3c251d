//! R-ETAG over HTTP: weak ETags equal to `meta.version`, a new version on every write,
//! `If-Match` (412 on mismatch) and `If-None-Match` (304 on match).
#![allow(clippy::unwrap_used)]

use reqwest::Method;
use scim_harness::client::ScimClient;
use serde_json::json;

use crate::common::*;

async fn new_user(c: &ScimClient, name: &str) -> (String, String) {
    let r = c
        .post("/Users", &json!({"schemas": [USER], "userName": name}))
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.raw);
    (
        r.body["id"].as_str().unwrap().to_string(),
        r.etag.clone().unwrap(),
    )
}

async fn etag_of(c: &ScimClient, path: &str) -> String {
    let r = c.get(path).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    let e = r.etag.clone().unwrap();
    assert_eq!(r.body["meta"]["version"], json!(e));
    e
}

#[tokio::test]
async fn etag_header_is_weak_and_equals_meta_version() {
    let (_srv, c) = start().await;
    let r = c
        .post("/Users", &json!({"schemas": [USER], "userName": "e"}))
        .await
        .unwrap();
    let e = r.etag.clone().unwrap();
    assert!(e.starts_with("W/\"") && e.ends_with('"'), "{e}");
    assert_eq!(r.body["meta"]["version"], json!(e));
    let id = r.body["id"].as_str().unwrap();
    assert_eq!(etag_of(&c, &format!("/Users/{id}")).await, e);
    // List entries carry meta.version too.
    let l = c.get("/Users").await.unwrap();
    assert_eq!(l.body["Resources"][0]["meta"]["version"], json!(e));
}

#[tokio::test]
async fn every_write_changes_the_version() {
    let (_srv, c) = start().await;
    let (id, v0) = new_user(&c, "w").await;
    let path = format!("/Users/{id}");
    let r = c
        .patch(
            &path,
            &ops(json!([{"op": "add", "path": "title", "value": "x"}])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    let v1 = r.etag.clone().unwrap();
    assert_ne!(v1, v0);
    assert_eq!(r.body["meta"]["version"], json!(v1));
    assert_eq!(etag_of(&c, &path).await, v1);
    let r = c
        .put(
            &path,
            &json!({"schemas": [USER], "userName": "w", "title": "y"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let v2 = r.etag.clone().unwrap();
    assert_ne!(v2, v1);
    assert_ne!(v2, v0);
    assert_eq!(etag_of(&c, &path).await, v2);
    // A read does not change it.
    assert_eq!(etag_of(&c, &path).await, v2);
}

#[tokio::test]
async fn group_version_changes_with_membership() {
    let (_srv, c) = start().await;
    let (uid, _) = new_user(&c, "m").await;
    let r = c
        .post("/Groups", &json!({"schemas": [GROUP], "displayName": "G"}))
        .await
        .unwrap();
    let gid = r.body["id"].as_str().unwrap().to_string();
    let gpath = format!("/Groups/{gid}");
    let g0 = r.etag.clone().unwrap();
    let r = c
        .patch(
            &gpath,
            &ops(json!([{"op": "add", "path": "members", "value": [{"value": uid}]}])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.raw);
    let g1 = etag_of(&c, &gpath).await;
    assert_ne!(g1, g0);
    assert_eq!(r.etag.as_deref(), Some(g1.as_str()));
    let r = c
        .patch(
            &gpath,
            &ops(json!([{"op": "remove", "path": format!("members[value eq \"{uid}\"]")}])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.raw);
    let g2 = etag_of(&c, &gpath).await;
    assert_ne!(g2, g1);
    // Deleting a member changes the group too.
    let r = c
        .patch(
            &gpath,
            &ops(json!([{"op": "add", "path": "members", "value": [{"value": uid}]}])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204);
    let g3 = etag_of(&c, &gpath).await;
    assert_eq!(
        c.delete(&format!("/Users/{uid}")).await.unwrap().status,
        204
    );
    let g4 = etag_of(&c, &gpath).await;
    assert_ne!(g4, g3);
}

#[tokio::test]
async fn user_version_changes_when_its_groups_change() {
    let (_srv, c) = start().await;
    let (uid, v0) = new_user(&c, "member").await;
    let upath = format!("/Users/{uid}");
    let r = c
        .post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "G", "members": [{"value": uid}]}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201);
    let got = c.get(&upath).await.unwrap();
    assert_eq!(got.body["groups"].as_array().unwrap().len(), 1);
    assert_ne!(
        got.etag.as_deref(),
        Some(v0.as_str()),
        "groups changed, ETag did not"
    );
    let r = c
        .send(Method::GET, &upath, None, &[("If-None-Match", v0.as_str())])
        .await
        .unwrap();
    assert_eq!(
        r.status, 200,
        "304 for a representation whose groups changed"
    );
}

#[tokio::test]
async fn if_match_on_put_and_patch() {
    let (_srv, c) = start().await;
    let (id, v0) = new_user(&c, "im").await;
    let path = format!("/Users/{id}");
    let r = c
        .patch(
            &path,
            &ops(json!([{"op": "add", "path": "title", "value": "a"}])),
        )
        .await
        .unwrap();
    let v1 = r.etag.clone().unwrap();
    let stale_patch = ops(json!([{"op": "add", "path": "title", "value": "stale"}]));
    let r = c
        .send(
            Method::PATCH,
            &path,
            Some(&stale_patch),
            &[("If-Match", v0.as_str())],
        )
        .await
        .unwrap();
    assert_error(&r, 412, None);
    let put = json!({"schemas": [USER], "userName": "im", "title": "stale"});
    let r = c
        .send(Method::PUT, &path, Some(&put), &[("If-Match", v0.as_str())])
        .await
        .unwrap();
    assert_error(&r, 412, None);
    let got = c.get(&path).await.unwrap();
    assert_eq!(got.body["title"], "a");
    assert_eq!(got.etag.as_deref(), Some(v1.as_str()));

    // The current ETag, a list containing it, and * all succeed.
    let r = c
        .send(
            Method::PATCH,
            &path,
            Some(&ops(
                json!([{"op": "replace", "path": "title", "value": "b"}]),
            )),
            &[("If-Match", v1.as_str())],
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    let v2 = r.etag.clone().unwrap();
    let list = format!("W/\"999999\", {v2}");
    let put = json!({"schemas": [USER], "userName": "im", "title": "c"});
    let r = c
        .send(
            Method::PUT,
            &path,
            Some(&put),
            &[("If-Match", list.as_str())],
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    let r = c
        .send(Method::PUT, &path, Some(&put), &[("If-Match", "*")])
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
}

#[tokio::test]
async fn if_match_on_delete() {
    let (_srv, c) = start().await;
    let (id, v0) = new_user(&c, "del").await;
    let path = format!("/Users/{id}");
    let r = c
        .send(Method::DELETE, &path, None, &[("If-Match", "W/\"424242\"")])
        .await
        .unwrap();
    assert_error(&r, 412, None);
    assert_eq!(c.get(&path).await.unwrap().status, 200);
    let r = c
        .send(Method::DELETE, &path, None, &[("If-Match", v0.as_str())])
        .await
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.raw);
    assert_eq!(c.get(&path).await.unwrap().status, 404);
}

#[tokio::test]
async fn if_match_on_group_patch() {
    let (_srv, c) = start().await;
    let r = c
        .post("/Groups", &json!({"schemas": [GROUP], "displayName": "G"}))
        .await
        .unwrap();
    let gid = r.body["id"].as_str().unwrap().to_string();
    let g0 = r.etag.clone().unwrap();
    let path = format!("/Groups/{gid}");
    let rename = |n: &str| ops(json!([{"op": "replace", "path": "displayName", "value": n}]));
    let r = c
        .send(
            Method::PATCH,
            &path,
            Some(&rename("G1")),
            &[("If-Match", g0.as_str())],
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.raw);
    let r = c
        .send(
            Method::PATCH,
            &path,
            Some(&rename("G2")),
            &[("If-Match", g0.as_str())],
        )
        .await
        .unwrap();
    assert_error(&r, 412, None);
    assert_eq!(c.get(&path).await.unwrap().body["displayName"], "G1");
}

#[tokio::test]
async fn if_none_match() {
    let (_srv, c) = start().await;
    let (id, v0) = new_user(&c, "inm").await;
    let path = format!("/Users/{id}");
    let r = c
        .send(Method::GET, &path, None, &[("If-None-Match", v0.as_str())])
        .await
        .unwrap();
    assert_eq!(r.status, 304);
    assert!(r.raw.is_empty(), "304 with a body: {}", r.raw);
    assert_eq!(r.etag.as_deref(), Some(v0.as_str()));
    let r = c
        .send(
            Method::GET,
            &path,
            None,
            &[("If-None-Match", "W/\"1234567\"")],
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body["id"], json!(id));
    // After a write the old tag is stale.
    let r = c
        .patch(
            &path,
            &ops(json!([{"op": "add", "path": "title", "value": "t"}])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let v1 = r.etag.clone().unwrap();
    let r = c
        .send(Method::GET, &path, None, &[("If-None-Match", v0.as_str())])
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body["title"], "t");
    assert_eq!(r.etag.as_deref(), Some(v1.as_str()));
    let r = c
        .send(Method::GET, &path, None, &[("If-None-Match", v1.as_str())])
        .await
        .unwrap();
    assert_eq!(r.status, 304);
}
