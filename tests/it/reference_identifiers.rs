//! Values that identify nothing are refused on every write path: an empty or whitespace-only
//! `userName` (RFC 7643 §4.1.1: "Each User MUST include a non-empty userName value") or group
//! `displayName` (§4.2, REQUIRED), and an `externalId` of `""` (§3.1: "MAY include a non-empty
//! externalId"). POST, PUT, PATCH and /Bulk answer 400 `invalidValue` naming the attribute, and
//! nothing is stored.
#![allow(clippy::unwrap_used)]

use scim_harness::client::{ScimClient, ScimResponse};
use serde_json::{Value, json};

use crate::common::*;

const BLANKS: [&str; 4] = ["", " ", "\t \n", "\u{a0}\u{3000}"];

fn refused(r: &ScimResponse, attr: &str) {
    assert_error(r, 400, Some("invalidValue"));
    let detail = r.body["detail"].as_str().unwrap_or("");
    assert!(detail.contains(attr), "detail names '{attr}': {}", r.raw);
}

async fn create(c: &ScimClient, path: &str, body: Value) -> String {
    let r = c.post(path, &body).await.unwrap();
    assert_eq!(r.status, 201, "{}", r.raw);
    r.body["id"].as_str().unwrap().to_string()
}

async fn total(c: &ScimClient, path: &str) -> u64 {
    let r = c.get(path).await.unwrap();
    r.body["totalResults"].as_u64().unwrap()
}

#[tokio::test]
async fn blank_user_names_and_empty_external_ids_are_refused_on_post() {
    let (_srv, c) = start().await;
    for blank in BLANKS {
        let r = c
            .post("/Users", &json!({"schemas": [USER], "userName": blank}))
            .await
            .unwrap();
        refused(&r, "userName");
    }
    let r = c
        .post(
            "/Users",
            &json!({"schemas": [USER], "userName": "ann", "externalId": ""}),
        )
        .await
        .unwrap();
    refused(&r, "externalId");
    assert_eq!(total(&c, "/Users").await, 0, "nothing was stored");
    // The same names with content are fine.
    create(
        &c,
        "/Users",
        json!({"schemas": [USER], "userName": " ann "}),
    )
    .await;
}

#[tokio::test]
async fn blank_group_names_and_empty_external_ids_are_refused_on_post() {
    let (_srv, c) = start().await;
    for blank in BLANKS {
        let r = c
            .post(
                "/Groups",
                &json!({"schemas": [GROUP], "displayName": blank}),
            )
            .await
            .unwrap();
        refused(&r, "displayName");
    }
    let r = c
        .post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "g", "externalId": ""}),
        )
        .await
        .unwrap();
    refused(&r, "externalId");
    assert_eq!(total(&c, "/Groups").await, 0, "nothing was stored");
}

#[tokio::test]
async fn put_cannot_blank_an_identifier() {
    let (_srv, c) = start().await;
    let u = create(&c, "/Users", json!({"schemas": [USER], "userName": "ann"})).await;
    let g = create(
        &c,
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "g"}),
    )
    .await;
    for blank in BLANKS {
        let r = c
            .put(
                &format!("/Users/{u}"),
                &json!({"schemas": [USER], "userName": blank}),
            )
            .await
            .unwrap();
        refused(&r, "userName");
        let r = c
            .put(
                &format!("/Groups/{g}"),
                &json!({"schemas": [GROUP], "displayName": blank}),
            )
            .await
            .unwrap();
        refused(&r, "displayName");
    }
    let r = c
        .put(
            &format!("/Users/{u}"),
            &json!({"schemas": [USER], "userName": "ann", "externalId": ""}),
        )
        .await
        .unwrap();
    refused(&r, "externalId");
    let user = c.get(&format!("/Users/{u}")).await.unwrap();
    assert_eq!(user.body["userName"], "ann", "unchanged: {}", user.raw);
    assert!(user.body.get("externalId").is_none(), "{}", user.raw);
    let group = c.get(&format!("/Groups/{g}")).await.unwrap();
    assert_eq!(group.body["displayName"], "g", "unchanged: {}", group.raw);
}

#[tokio::test]
async fn patch_cannot_blank_an_identifier() {
    for strict_mode in [false, true] {
        let (_srv, c) = if strict_mode {
            strict().await
        } else {
            start().await
        };
        let u = create(&c, "/Users", json!({"schemas": [USER], "userName": "ann"})).await;
        let g = create(
            &c,
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "g"}),
        )
        .await;
        for blank in BLANKS {
            for op in [
                json!({"op": "replace", "path": "userName", "value": blank}),
                json!({"op": "replace", "value": {"userName": blank}}),
            ] {
                let r = c
                    .patch(&format!("/Users/{u}"), &ops(json!([op])))
                    .await
                    .unwrap();
                refused(&r, "userName");
            }
            let r = c
                .patch(
                    &format!("/Groups/{g}"),
                    &ops(json!([{"op": "replace", "path": "displayName", "value": blank}])),
                )
                .await
                .unwrap();
            refused(&r, "displayName");
        }
        for path in [format!("/Users/{u}"), format!("/Groups/{g}")] {
            let r = c
                .patch(
                    &path,
                    &ops(json!([{"op": "add", "path": "externalId", "value": ""}])),
                )
                .await
                .unwrap();
            refused(&r, "externalId");
        }
        let user = c.get(&format!("/Users/{u}")).await.unwrap();
        assert_eq!(user.body["userName"], "ann", "unchanged: {}", user.raw);
        let group = c.get(&format!("/Groups/{g}")).await.unwrap();
        assert_eq!(group.body["displayName"], "g", "unchanged: {}", group.raw);
    }
}

#[tokio::test]
async fn bulk_operations_with_blank_identifiers_fail_one_by_one() {
    let (_srv, c) = start().await;
    let u = create(&c, "/Users", json!({"schemas": [USER], "userName": "ann"})).await;
    let body = json!({"schemas": [BULK_REQUEST], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "a",
         "data": {"schemas": [USER], "userName": "  "}},
        {"method": "POST", "path": "/Groups", "bulkId": "b",
         "data": {"schemas": [GROUP], "displayName": ""}},
        {"method": "PUT", "path": format!("/Users/{u}"),
         "data": {"schemas": [USER], "userName": "ann", "externalId": ""}},
        {"method": "PATCH", "path": format!("/Users/{u}"),
         "data": {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "userName", "value": "\t"}]}},
        {"method": "POST", "path": "/Users", "bulkId": "c",
         "data": {"schemas": [USER], "userName": "bob"}}
    ]});
    let r = c.post("/Bulk", &body).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    let results = r.body["Operations"].as_array().unwrap();
    assert_eq!(results.len(), 5, "{}", r.raw);
    for (res, attr) in results
        .iter()
        .zip(["userName", "displayName", "externalId", "userName"])
    {
        assert_eq!(res["status"], "400", "{res}");
        assert_eq!(res["response"]["scimType"], "invalidValue", "{res}");
        let detail = res["response"]["detail"].as_str().unwrap_or("");
        assert!(detail.contains(attr), "names '{attr}': {res}");
    }
    assert_eq!(results[4]["status"], "201", "the valid one still runs");
    let user = c.get(&format!("/Users/{u}")).await.unwrap();
    assert_eq!(user.body["userName"], "ann", "unchanged: {}", user.raw);
    assert_eq!(total(&c, "/Users").await, 2, "ann and bob only");
    assert_eq!(total(&c, "/Groups").await, 0);
}
