//! R-BULK over HTTP: `bulkId` references (backward and forward), `failOnErrors`,
//! `maxOperations` / `maxPayloadSize` (413), and the shape of each operation's result.
#![allow(clippy::unwrap_used)]

use scim_harness::client::{ScimClient, encode};
use scim_harness::reference::config::{Limits, ReferenceConfig};
use serde_json::{Value, json};

use crate::common::*;

fn bulk(ops: Value) -> Value {
    json!({"schemas": [BULK_REQUEST], "Operations": ops})
}

async fn run(c: &ScimClient, body: &Value) -> Vec<Value> {
    let r = c.post("/Bulk", body).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["schemas"], json!([BULK_RESPONSE]));
    r.body["Operations"].as_array().unwrap().clone()
}

fn id_from(location: &Value) -> String {
    location
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string()
}

fn post_user(bulk_id: &str, name: &str) -> Value {
    json!({"method": "POST", "path": "/Users", "bulkId": bulk_id,
           "data": {"schemas": [USER], "userName": name}})
}

fn post_group(bulk_id: &str, name: &str, members: Value) -> Value {
    json!({"method": "POST", "path": "/Groups", "bulkId": bulk_id,
           "data": {"schemas": [GROUP], "displayName": name, "members": members}})
}

#[tokio::test]
async fn bulk_id_reference_resolves_to_the_new_id() {
    let (_srv, c) = start().await;
    let res = run(
        &c,
        &bulk(json!([
            post_user("u1", "alice"),
            post_group(
                "g1",
                "Team",
                json!([{"value": "bulkId:u1", "type": "User"}])
            )
        ])),
    )
    .await;
    assert_eq!(res.len(), 2);
    for (r, (bid, ep)) in res.iter().zip([("u1", "Users"), ("g1", "Groups")]) {
        assert_eq!(r["method"], "POST");
        assert_eq!(r["bulkId"], bid);
        assert_eq!(r["status"], "201", "{r}");
        let loc = r["location"].as_str().unwrap();
        assert!(loc.starts_with(&format!("{}/{ep}/", c.base())), "{loc}");
        assert!(r["version"].as_str().unwrap().starts_with("W/\""));
    }
    let uid = id_from(&res[0]["location"]);
    let gid = id_from(&res[1]["location"]);
    let g = c.get(&format!("/Groups/{gid}")).await.unwrap();
    assert_eq!(g.status, 200);
    assert_eq!(g.body["members"][0]["value"], json!(uid));
    assert_eq!(
        g.etag.as_ref().unwrap(),
        res[1]["version"].as_str().unwrap()
    );
    let u = c.get(&format!("/Users/{uid}")).await.unwrap();
    assert_eq!(u.body["userName"], "alice");
    assert_eq!(u.body["groups"][0]["value"], json!(gid));
}

#[tokio::test]
async fn forward_reference_resolves() {
    let (_srv, c) = start().await;
    let res = run(
        &c,
        &bulk(json!([
            post_group("g1", "Early", json!([{"value": "bulkId:u2"}])),
            post_user("u2", "late")
        ])),
    )
    .await;
    assert_eq!(res.len(), 2);
    // Results keep request order.
    assert_eq!(res[0]["bulkId"], "g1");
    assert_eq!(res[1]["bulkId"], "u2");
    assert_eq!(res[0]["status"], "201", "{:?}", res);
    assert_eq!(res[1]["status"], "201", "{:?}", res);
    let gid = id_from(&res[0]["location"]);
    let uid = id_from(&res[1]["location"]);
    let g = c.get(&format!("/Groups/{gid}")).await.unwrap().body;
    assert_eq!(g["members"][0]["value"], json!(uid));
}

#[tokio::test]
async fn reference_in_a_path_resolves() {
    let (_srv, c) = start().await;
    let res = run(
        &c,
        &bulk(json!([
            post_user("u", "patchme"),
            {"method": "PATCH", "path": "/Users/bulkId:u",
             "data": {"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "title", "value": "T"}]}},
            {"method": "PUT", "path": "/Users/bulkId:u",
             "data": {"schemas": [USER], "userName": "patchme", "title": "T2", "nickName": "N"}},
        ])),
    )
    .await;
    assert_eq!(res[1]["status"], "200", "{:?}", res);
    assert_eq!(res[2]["status"], "200", "{:?}", res);
    let uid = id_from(&res[0]["location"]);
    assert_eq!(id_from(&res[1]["location"]), uid);
    let u = c.get(&format!("/Users/{uid}")).await.unwrap().body;
    assert_eq!(u["title"], "T2");
    assert_eq!(u["nickName"], "N");
}

#[tokio::test]
async fn fail_on_errors_stops_after_the_limit() {
    let (_srv, c) = start().await;
    let mut req = bulk(json!([
        {"method": "POST", "path": "/Users", "bulkId": "bad",
         "data": {"schemas": [USER], "shoeSize": 1}},
        post_user("ok", "after-error"),
    ]));
    req["failOnErrors"] = json!(1);
    let res = run(&c, &req).await;
    assert_eq!(res.len(), 1, "{res:?}");
    assert_eq!(res[0]["bulkId"], "bad");
    assert_eq!(res[0]["status"], "400");
    assert_eq!(res[0]["response"]["schemas"], json!([ERROR]));
    assert_eq!(res[0]["response"]["status"], "400");
    assert_eq!(res[0]["response"]["scimType"], "invalidSyntax");
    let r = c
        .get(&format!(
            "/Users?filter={}",
            encode("userName eq \"after-error\"")
        ))
        .await
        .unwrap();
    assert_eq!(r.body["totalResults"], 0, "the op after the error ran");
}

#[tokio::test]
async fn fail_on_errors_counts_errors() {
    let (_srv, c) = start().await;
    let mut req = bulk(json!([
        post_user("a", "dup"),
        post_user("b", "dup"),
        post_user("c", "ok1"),
        post_user("d", "DUP"),
        post_user("e", "never"),
    ]));
    req["failOnErrors"] = json!(2);
    let res = run(&c, &req).await;
    let statuses: Vec<&str> = res.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, vec!["201", "409", "201", "409"]);
    assert_eq!(res[1]["response"]["scimType"], "uniqueness");
    assert_eq!(c.get("/Users").await.unwrap().body["totalResults"], 2);
}

#[tokio::test]
async fn without_fail_on_errors_every_operation_runs() {
    let (_srv, c) = start().await;
    let res = run(
        &c,
        &bulk(json!([
            post_user("a", "one"),
            {"method": "DELETE", "path": format!("/Users/{}", uuid::Uuid::new_v4())},
            post_user("b", "two"),
            {"method": "GET", "path": "/Users"},
        ])),
    )
    .await;
    let statuses: Vec<&str> = res.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses[0], "201");
    assert_eq!(statuses[1], "404");
    assert_eq!(statuses[2], "201");
    assert!(statuses[3].starts_with('4'), "{statuses:?}");
    assert_eq!(c.get("/Users").await.unwrap().body["totalResults"], 2);
}

#[tokio::test]
async fn delete_and_version_preconditions_in_bulk() {
    let (_srv, c) = start().await;
    let r = c
        .post("/Users", &json!({"schemas": [USER], "userName": "v"}))
        .await
        .unwrap();
    let id = r.body["id"].as_str().unwrap().to_string();
    let res = run(
        &c,
        &bulk(json!([
            {"method": "DELETE", "path": format!("/Users/{id}"), "version": "W/\"987654\""},
            {"method": "DELETE", "path": format!("/Users/{id}"), "version": r.etag.clone().unwrap()},
        ])),
    )
    .await;
    assert_eq!(res[0]["status"], "412", "{res:?}");
    assert_eq!(res[1]["status"], "204", "{res:?}");
    assert_eq!(c.get(&format!("/Users/{id}")).await.unwrap().status, 404);
}

#[tokio::test]
async fn max_operations_exceeded_is_413() {
    let (_srv, c) = start_with(ReferenceConfig {
        limits: Limits {
            bulk_max_operations: 3,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let ops: Vec<Value> = (0..4)
        .map(|i| post_user(&format!("b{i}"), &format!("u{i}")))
        .collect();
    let r = c.post("/Bulk", &bulk(json!(ops))).await.unwrap();
    assert_error(&r, 413, None);
    assert_eq!(c.get("/Users").await.unwrap().body["totalResults"], 0);
    let ops: Vec<Value> = (0..3)
        .map(|i| post_user(&format!("b{i}"), &format!("u{i}")))
        .collect();
    assert_eq!(run(&c, &bulk(json!(ops))).await.len(), 3);
}

#[tokio::test]
async fn max_payload_size_exceeded_is_413() {
    let (_srv, c) = start_with(ReferenceConfig {
        limits: Limits {
            max_payload_size: 1024,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let ops: Vec<Value> = (0..20)
        .map(|i| post_user(&format!("b{i}"), &format!("user-{i}")))
        .collect();
    let body = bulk(json!(ops));
    assert!(body.to_string().len() > 1024);
    assert_error(&c.post("/Bulk", &body).await.unwrap(), 413, None);
    assert_eq!(c.get("/Users").await.unwrap().body["totalResults"], 0);
}

#[tokio::test]
async fn malformed_bulk_requests_are_400() {
    let (_srv, c) = start().await;
    for body in [
        json!({"Operations": []}),
        json!({"schemas": [BULK_REQUEST]}),
        json!({"schemas": [BULK_REQUEST], "Operations": [{"path": "/Users"}]}),
        json!({"schemas": [BULK_REQUEST], "Operations": [{"method": "POST"}]}),
        json!({"schemas": [BULK_REQUEST], "Operations": [
            {"method": "POST", "path": "/Users", "data": {"schemas": [USER], "userName": "nobulkid"}}]}),
    ] {
        let r = c.post("/Bulk", &body).await.unwrap();
        assert_error(&r, 400, Some("invalidSyntax"));
    }
    let mut req = bulk(json!([]));
    req["failOnErrors"] = json!(0);
    assert_error(
        &c.post("/Bulk", &req).await.unwrap(),
        400,
        Some("invalidValue"),
    );
    assert_eq!(c.get("/Users").await.unwrap().body["totalResults"], 0);
}

#[tokio::test]
async fn circular_and_unknown_references_fail_per_operation() {
    let (_srv, c) = start().await;
    let res = run(
        &c,
        &bulk(json!([
            post_group("x", "X", json!([{"value": "bulkId:y"}])),
            post_group("y", "Y", json!([{"value": "bulkId:x"}])),
            post_group("z", "Z", json!([{"value": "bulkId:nowhere"}])),
            post_user("ok", "fine"),
        ])),
    )
    .await;
    assert_eq!(res.len(), 4, "{res:?}");
    let by_id = |b: &str| res.iter().find(|r| r["bulkId"] == b).unwrap().clone();
    assert_eq!(by_id("x")["status"], "409", "{res:?}");
    assert_eq!(by_id("y")["status"], "409", "{res:?}");
    assert!(
        by_id("z")["status"].as_str().unwrap().starts_with('4'),
        "{res:?}"
    );
    assert_eq!(by_id("ok")["status"], "201");
    assert_eq!(c.get("/Groups").await.unwrap().body["totalResults"], 0);
}

#[tokio::test]
async fn error_results_carry_an_error_body_with_the_same_status() {
    let (_srv, c) = start().await;
    let res = run(
        &c,
        &bulk(json!([
            post_user("a", "same"),
            post_user("b", "same"),
            {"method": "DELETE", "path": format!("/Users/{}", uuid::Uuid::new_v4())},
            {"method": "POST", "path": "/Users", "bulkId": "c",
             "data": {"schemas": [USER], "userName": 7}},
        ])),
    )
    .await;
    let statuses: Vec<&str> = res.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, vec!["201", "409", "404", "400"]);
    for r in &res[1..] {
        assert_eq!(r["response"]["schemas"], json!([ERROR]), "{r}");
        assert_eq!(r["response"]["status"], r["status"], "{r}");
        assert!(r.get("location").is_none(), "{r}");
    }
    assert_eq!(res[1]["response"]["scimType"], "uniqueness");
    assert_eq!(res[3]["response"]["scimType"], "invalidValue");
}

#[tokio::test]
async fn circular_reference_error_body_matches_its_status() {
    let (_srv, c) = start().await;
    let res = run(
        &c,
        &bulk(json!([
            post_group("x", "X", json!([{"value": "bulkId:y"}])),
            post_group("y", "Y", json!([{"value": "bulkId:x"}])),
        ])),
    )
    .await;
    for r in &res {
        assert_eq!(r["response"]["schemas"], json!([ERROR]), "{r}");
        assert_eq!(r["response"]["status"], r["status"], "{r}");
    }
}
