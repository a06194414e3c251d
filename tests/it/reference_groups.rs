//! R-GROUP over HTTP: a user's read-only `groups` shows direct and nested (indirect)
//! membership; deletes keep memberships consistent in both directions; members must exist.
#![allow(clippy::unwrap_used)]

use scim_harness::client::ScimClient;
use serde_json::{Value, json};

use crate::common::*;

async fn user(c: &ScimClient, name: &str) -> String {
    let r = c
        .post("/Users", &json!({"schemas": [USER], "userName": name}))
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.raw);
    r.body["id"].as_str().unwrap().to_string()
}

async fn group(c: &ScimClient, name: &str, members: &[&str]) -> String {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    let r = c
        .post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": name, "members": members}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.raw);
    r.body["id"].as_str().unwrap().to_string()
}

/// `(group id, display, type)` of a user's `groups`, sorted by display.
async fn groups_of(c: &ScimClient, uid: &str) -> Vec<(String, String, String)> {
    let u = c.get(&format!("/Users/{uid}")).await.unwrap();
    assert_eq!(u.status, 200, "{}", u.raw);
    let mut out: Vec<(String, String, String)> = u
        .body
        .get("groups")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|g| {
                    (
                        g["value"].as_str().unwrap().to_string(),
                        g["display"].as_str().unwrap().to_string(),
                        g["type"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

async fn members_of(c: &ScimClient, gid: &str) -> Vec<String> {
    let g = c.get(&format!("/Groups/{gid}")).await.unwrap();
    assert_eq!(g.status, 200, "{}", g.raw);
    let mut ids: Vec<String> = g
        .body
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

fn t(id: &str, display: &str, ty: &str) -> (String, String, String) {
    (id.to_string(), display.to_string(), ty.to_string())
}

#[tokio::test]
async fn direct_and_indirect_membership() {
    let (_srv, c) = start().await;
    let u = user(&c, "u").await;
    let inner = group(&c, "Inner", &[&u]).await;
    let outer = group(&c, "Outer", &[&inner]).await;
    let top = group(&c, "Top", &[&outer]).await;
    assert_eq!(
        groups_of(&c, &u).await,
        vec![
            t(&inner, "Inner", "direct"),
            t(&outer, "Outer", "indirect"),
            t(&top, "Top", "indirect"),
        ]
    );
    let raw = c.get(&format!("/Users/{u}")).await.unwrap().body;
    let g = raw["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["value"] == json!(inner))
        .unwrap();
    assert_eq!(g["$ref"], json!(format!("{}/Groups/{inner}", c.base())));
    // The nested group is a member of type Group. No `display`: a member group's rename would
    // change it without moving the parent's ETag, and it is optional (RFC 7643 §4.2).
    let o = c.get(&format!("/Groups/{outer}")).await.unwrap().body;
    assert_eq!(o["members"][0]["value"], json!(inner));
    assert_eq!(o["members"][0]["type"], "Group");
    assert!(o["members"][0].get("display").is_none());
    // A group reached both directly and through nesting is reported once, as direct.
    let r = c
        .patch(
            &format!("/Groups/{outer}"),
            &json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "add", "path": "members", "value": [{"value": u}]}]}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.raw);
    assert_eq!(
        groups_of(&c, &u).await,
        vec![
            t(&inner, "Inner", "direct"),
            t(&outer, "Outer", "direct"),
            t(&top, "Top", "indirect"),
        ]
    );
}

#[tokio::test]
async fn groups_attribute_can_be_filtered_on() {
    let (_srv, c) = start().await;
    let a = user(&c, "a").await;
    let _b = user(&c, "b").await;
    let g = group(&c, "G", &[&a]).await;
    let _parent = group(&c, "P", &[&g]).await;
    let q = format!(
        "/Users?filter={}",
        scim_harness::client::encode(&format!("groups.value eq \"{g}\""))
    );
    let r = c.get(&q).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["totalResults"], 1);
    assert_eq!(r.body["Resources"][0]["id"], json!(a));
    let q = format!(
        "/Users?filter={}",
        scim_harness::client::encode("groups[display eq \"P\" and type eq \"indirect\"]")
    );
    let r = c.get(&q).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["totalResults"], 1);
}

#[tokio::test]
async fn deleting_a_user_removes_it_from_every_group() {
    let (_srv, c) = start().await;
    let u = user(&c, "gone").await;
    let stay = user(&c, "stay").await;
    let g1 = group(&c, "G1", &[&u, &stay]).await;
    let g2 = group(&c, "G2", &[&u]).await;
    let g3 = group(&c, "G3", &[&stay]).await;
    assert_eq!(c.delete(&format!("/Users/{u}")).await.unwrap().status, 204);
    assert_eq!(members_of(&c, &g1).await, vec![stay.clone()]);
    assert!(members_of(&c, &g2).await.is_empty());
    assert_eq!(members_of(&c, &g3).await, vec![stay.clone()]);
    let q = format!(
        "/Groups?filter={}",
        scim_harness::client::encode(&format!("members.value eq \"{u}\""))
    );
    let r = c.get(&q).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["totalResults"], 0);
    // The groups can still be written (no dangling member blocks a replace).
    let r = c
        .put(
            &format!("/Groups/{g2}"),
            &json!({"schemas": [GROUP], "displayName": "G2", "members": [{"value": stay}]}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
}

#[tokio::test]
async fn deleting_a_group_removes_it_from_users_groups() {
    let (_srv, c) = start().await;
    let u = user(&c, "u").await;
    let inner = group(&c, "Inner", &[&u]).await;
    let outer = group(&c, "Outer", &[&inner]).await;
    let other = group(&c, "Other", &[&u]).await;
    assert_eq!(groups_of(&c, &u).await.len(), 3);
    assert_eq!(
        c.delete(&format!("/Groups/{inner}")).await.unwrap().status,
        204
    );
    // Neither Inner nor (through it) Outer remains.
    assert_eq!(groups_of(&c, &u).await, vec![t(&other, "Other", "direct")]);
    assert!(members_of(&c, &outer).await.is_empty());
    assert_eq!(
        c.delete(&format!("/Groups/{other}")).await.unwrap().status,
        204
    );
    let got = c.get(&format!("/Users/{u}")).await.unwrap().body;
    assert!(got.get("groups").is_none(), "{got}");
}

#[tokio::test]
async fn members_must_exist() {
    let (_srv, c) = start().await;
    let u = user(&c, "real").await;
    for bad in [
        json!([{"value": uuid::Uuid::new_v4().to_string()}]),
        json!([{"value": u}, {"value": uuid::Uuid::new_v4().to_string()}]),
        json!([{"value": "not-a-uuid"}]),
        json!([{"display": "no value"}]),
    ] {
        let r = c
            .post(
                "/Groups",
                &json!({"schemas": [GROUP], "displayName": "Bad", "members": bad}),
            )
            .await
            .unwrap();
        assert_error(&r, 400, Some("invalidValue"));
    }
    assert_eq!(c.get("/Groups").await.unwrap().body["totalResults"], 0);
    assert!(groups_of(&c, &u).await.is_empty());
    // PUT and PATCH refuse them too.
    let g = group(&c, "Good", &[&u]).await;
    let r = c
        .put(
            &format!("/Groups/{g}"),
            &json!({"schemas": [GROUP], "displayName": "Good",
                    "members": [{"value": uuid::Uuid::new_v4().to_string()}]}),
        )
        .await
        .unwrap();
    assert_error(&r, 400, Some("invalidValue"));
    let r = c
        .patch(
            &format!("/Groups/{g}"),
            &json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "add", "path": "members", "value": [{"value": "nope"}]}]}),
        )
        .await
        .unwrap();
    assert_error(&r, 400, Some("invalidValue"));
    assert_eq!(members_of(&c, &g).await, vec![u.clone()]);
}

#[tokio::test]
async fn a_group_cannot_contain_itself() {
    let (_srv, c) = start().await;
    let g = group(&c, "Self", &[]).await;
    let r = c
        .patch(
            &format!("/Groups/{g}"),
            &json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "add", "path": "members", "value": [{"value": g}]}]}),
        )
        .await
        .unwrap();
    assert_error(&r, 400, Some("invalidValue"));
    assert!(members_of(&c, &g).await.is_empty());
}

#[tokio::test]
async fn membership_cycles_do_not_hang_reads() {
    let (_srv, c) = start().await;
    let u = user(&c, "cyc").await;
    let a = group(&c, "A", &[&u]).await;
    let b = group(&c, "B", &[&a]).await;
    // A contains B contains A: allowed or refused, but reads must still answer.
    let r = c
        .patch(
            &format!("/Groups/{a}"),
            &json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "add", "path": "members", "value": [{"value": b}]}]}),
        )
        .await
        .unwrap();
    assert!(r.status == 204 || r.status == 400, "{}", r.raw);
    let gs = groups_of(&c, &u).await;
    assert_eq!(gs, vec![t(&a, "A", "direct"), t(&b, "B", "indirect")]);
}

#[tokio::test]
async fn duplicate_members_are_stored_once() {
    let (_srv, c) = start().await;
    let u = user(&c, "dup").await;
    let g = group(&c, "D", &[&u, &u]).await;
    assert_eq!(members_of(&c, &g).await, vec![u.clone()]);
    let r = c
        .patch(
            &format!("/Groups/{g}"),
            &json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "add", "path": "members", "value": [{"value": u}]}]}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.raw);
    assert_eq!(members_of(&c, &g).await, vec![u.clone()]);
    assert_eq!(groups_of(&c, &u).await, vec![t(&g, "D", "direct")]);
}
