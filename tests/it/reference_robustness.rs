//! Hostile inputs: deeply nested JSON, long and deeply nested filters, invalid percent-encoding,
//! huge numbers, odd headers. The server must answer each with a 4xx (never crash, hang or
//! 5xx), and keep serving afterwards.
#![allow(clippy::unwrap_used)]

use reqwest::Method;
use scim_harness::client::{ScimClient, ScimResponse, encode};
use scim_harness::reference::server::RunningReference;
use serde_json::{Value, json};

use crate::common::*;

struct Env {
    srv: RunningReference,
    c: ScimClient,
    id: String,
}

async fn env() -> Env {
    let (srv, c) = strict().await;
    let r = c
        .post(
            "/Users",
            &json!({"schemas": [USER], "userName": "survivor"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201);
    let id = r.body["id"].as_str().unwrap().to_string();
    Env { srv, c, id }
}

impl Env {
    /// The server still answers a normal read correctly.
    async fn still_serving(&self) {
        let r = self.c.get(&format!("/Users/{}", self.id)).await.unwrap();
        assert_eq!(r.status, 200, "{}", r.raw);
        assert_eq!(r.body["userName"], "survivor");
    }

    async fn raw(&self, method: Method, path_and_query: &str, body: Vec<u8>) -> ScimResponse {
        let resp = reqwest::Client::new()
            .request(method, format!("{}{path_and_query}", self.srv.base_url))
            .bearer_auth("t")
            .header("content-type", "application/scim+json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let raw = resp.text().await.unwrap();
        ScimResponse {
            status,
            etag: None,
            location: None,
            content_type,
            body: serde_json::from_str(&raw).unwrap_or(Value::Null),
            raw,
        }
    }
}

fn assert_4xx_error(r: &ScimResponse, status: u16, scim_type: Option<&str>) {
    assert_eq!(r.status, status, "body: {}", r.raw);
    assert_eq!(r.body["schemas"], json!([ERROR]), "body: {}", r.raw);
    assert_eq!(r.body["status"], json!(status.to_string()));
    assert_eq!(r.body.get("scimType").and_then(Value::as_str), scim_type);
}

fn nested_arrays(depth: usize) -> Vec<u8> {
    let mut s = "[".repeat(depth);
    s.push_str(&"]".repeat(depth));
    s.into_bytes()
}

#[tokio::test]
async fn deeply_nested_json_bodies() {
    let e = env().await;
    let deep = nested_arrays(10_000);
    for (m, path) in [
        (Method::POST, "/Users".to_string()),
        (Method::PUT, format!("/Users/{}", e.id)),
        (Method::PATCH, format!("/Users/{}", e.id)),
        (Method::POST, "/Bulk".to_string()),
        (Method::POST, "/Users/.search".to_string()),
        (Method::POST, "/.search".to_string()),
    ] {
        let r = e.raw(m.clone(), &path, deep.clone()).await;
        assert_4xx_error(&r, 400, Some("invalidSyntax"));
    }
    // Deep nesting inside an otherwise valid resource.
    let inner = String::from_utf8(nested_arrays(10_000)).unwrap();
    let body = format!(r#"{{"schemas": ["{USER}"], "userName": "deep", "emails": {inner}}}"#);
    let r = e.raw(Method::POST, "/Users", body.into_bytes()).await;
    assert_4xx_error(&r, 400, Some("invalidSyntax"));
    let objects = format!("{}1{}", "{\"a\":".repeat(5000), "}".repeat(5000));
    let r = e.raw(Method::POST, "/Users", objects.into_bytes()).await;
    assert_4xx_error(&r, 400, Some("invalidSyntax"));
    e.still_serving().await;
}

#[tokio::test]
async fn moderately_nested_values_are_refused_by_the_schema() {
    let e = env().await;
    // 100 levels parse as JSON, and the schema refuses them.
    let inner = String::from_utf8(nested_arrays(100)).unwrap();
    let body = format!(r#"{{"schemas": ["{USER}"], "userName": "deep", "emails": [{inner}]}}"#);
    let r = e.raw(Method::POST, "/Users", body.into_bytes()).await;
    assert_4xx_error(&r, 400, Some("invalidValue"));
    let patch = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "title", "value": serde_json::from_str::<Value>(&inner).unwrap()}]});
    let r =
        e.c.patch(&format!("/Users/{}", e.id), &patch)
            .await
            .unwrap();
    assert_4xx_error(&r, 400, Some("invalidValue"));
    e.still_serving().await;
}

#[tokio::test]
async fn overlong_filter_is_invalid_filter() {
    let e = env().await;
    let long = format!("userName eq \"{}\"", "a".repeat(5000));
    assert!(long.len() > 5000);
    let r =
        e.c.get(&format!("/Users?filter={}", encode(&long)))
            .await
            .unwrap();
    assert_4xx_error(&r, 400, Some("invalidFilter"));
    // Many clauses, also over the limit.
    let clauses: Vec<String> = (0..400).map(|i| format!("userName eq \"u{i}\"")).collect();
    let many = clauses.join(" or ");
    assert!(many.len() > 5000);
    let r =
        e.c.get(&format!("/Users?filter={}", encode(&many)))
            .await
            .unwrap();
    assert_4xx_error(&r, 400, Some("invalidFilter"));
    e.still_serving().await;
}

#[tokio::test]
async fn deeply_nested_filters() {
    let e = env().await;
    let f = format!(
        "{}userName eq \"survivor\"{}",
        "(".repeat(200),
        ")".repeat(200)
    );
    let r =
        e.c.get(&format!("/Users?filter={}", encode(&f)))
            .await
            .unwrap();
    // Valid grammar: a server may evaluate it or refuse the depth, but must not fail.
    match r.status {
        200 => assert_eq!(r.body["totalResults"], 1, "{}", r.raw),
        400 => assert_eq!(r.body["scimType"], "invalidFilter", "{}", r.raw),
        s => panic!("status {s}: {}", r.raw),
    }
    // As deep as the length limit allows, with every nesting form.
    for f in [
        format!("{}userName pr{}", "(".repeat(2000), ")".repeat(2000)),
        format!("{}userName pr{}", "not(".repeat(800), ")".repeat(800)),
        format!(
            "{}type eq \"w\"{}",
            "emails[".repeat(1000),
            "]".repeat(1000)
        ),
        "(".repeat(4000),
        format!("userName pr{}", ")".repeat(3000)),
    ] {
        let r =
            e.c.get(&format!("/Users?filter={}", encode(&f)))
                .await
                .unwrap();
        assert!(
            r.status == 200 || r.status == 400,
            "status {}: {}",
            r.status,
            r.raw
        );
        if r.status == 400 {
            assert_eq!(r.body["scimType"], "invalidFilter", "{}", r.raw);
        }
    }
    e.still_serving().await;
}

#[tokio::test]
async fn invalid_percent_encoding_in_the_query() {
    let e = env().await;
    for q in [
        "filter=%FF%FE%FD",
        "filter=userName%20eq%20%22%C3%28%22",
        "filter=%",
        "filter=%zz",
        "filter=userName%20eq%20%22%00%22",
    ] {
        let r = e.c.get(&format!("/Users?{q}")).await.unwrap();
        assert!(
            r.status == 400 || r.status == 200,
            "{q}: status {} {}",
            r.status,
            r.raw
        );
        assert!(r.body["schemas"].is_array(), "{q}: {}", r.raw);
    }
    let r = e.c.get("/Users?filter=%FF%FE%FD").await.unwrap();
    assert_4xx_error(&r, 400, Some("invalidFilter"));
    let r =
        e.c.get("/Users?attributes=%FF&excludedAttributes=%FE")
            .await
            .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    let r = e.c.get("/Users?sortBy=%FF").await.unwrap();
    assert_eq!(r.status, 400, "{}", r.raw);
    e.still_serving().await;
}

/// Found by the router fuzz target: a path segment that is not UTF-8 once percent-decoded was
/// answered 400 with axum's plain-text rejection, not a SCIM error.
#[tokio::test]
async fn a_path_that_is_not_utf8_once_decoded_is_a_scim_error() {
    let e = env().await;
    for path in ["/Usq%20%b2ob%522", "/Users/%FF", "/Groups/%C3%28/x"] {
        let r = e.c.get(path).await.unwrap();
        assert!(
            r.status == 400 || r.status == 404,
            "{path}: {} {}",
            r.status,
            r.raw
        );
        assert_eq!(r.body["schemas"], json!([ERROR]), "{path}: {}", r.raw);
        assert_eq!(r.body["status"], json!(r.status.to_string()), "{path}");
    }
    e.still_serving().await;
}

#[tokio::test]
async fn huge_numbers_in_the_query() {
    let e = env().await;
    for q in [
        "count=99999999999999999999",
        "startIndex=99999999999999999999",
        "count=-99999999999999999999",
        "count=1e10",
        "count=0x10",
    ] {
        let r = e.c.get(&format!("/Users?{q}")).await.unwrap();
        assert_4xx_error(&r, 400, Some("invalidValue"));
    }
    for q in [
        "count=9223372036854775807",
        "startIndex=9223372036854775807",
        "startIndex=-9223372036854775808&count=-9223372036854775808",
        "startIndex=9223372036854775807&count=9223372036854775807&sortBy=userName",
    ] {
        let r = e.c.get(&format!("/Users?{q}")).await.unwrap();
        assert_eq!(r.status, 200, "{q}: {}", r.raw);
        assert_eq!(r.body["totalResults"], 1, "{q}");
    }
    e.still_serving().await;
}

#[tokio::test]
async fn huge_numbers_in_bodies() {
    let e = env().await;
    let body = format!(
        r#"{{"schemas": ["{USER}"], "userName": "n", "active": 1{}}}"#,
        "0".repeat(400)
    );
    let r = e.raw(Method::POST, "/Users", body.into_bytes()).await;
    assert!(r.status == 400, "{}", r.raw);
    let search = r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                    "count": 1e400, "startIndex": -1}"#;
    let r = e
        .raw(Method::POST, "/Users/.search", search.as_bytes().to_vec())
        .await;
    assert_eq!(r.status, 400, "{}", r.raw);
    let bulk = r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                  "failOnErrors": 99999999999999999999999, "Operations": []}"#;
    let r = e.raw(Method::POST, "/Bulk", bulk.as_bytes().to_vec()).await;
    assert!(r.status == 400 || r.status == 200, "{}", r.raw);
    e.still_serving().await;
}

#[tokio::test]
async fn hostile_patch_paths_and_headers() {
    let e = env().await;
    let path = format!("/Users/{}", e.id);
    for p in [
        "emails[".to_string(),
        "emails[type eq \"work\"]]".to_string(),
        format!(
            "emails[{}]",
            "type eq \"w\" and ".repeat(300) + "type eq \"w\""
        ),
        "urn:".to_string(),
        ":".to_string(),
        ".".to_string(),
        "".to_string(),
        "\u{0}".to_string(),
        "a".repeat(5000),
    ] {
        let body = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": p, "value": "x"}]});
        let r = e.c.patch(&path, &body).await.unwrap();
        assert_eq!(r.status, 400, "path {p:?}: {}", r.raw);
    }
    let many: Vec<Value> = (0..1001)
        .map(|_| json!({"op": "add", "path": "title", "value": "x"}))
        .collect();
    let r =
        e.c.patch(&path, &json!({"schemas": [PATCH_OP], "Operations": many}))
            .await
            .unwrap();
    assert_4xx_error(&r, 400, Some("invalidValue"));
    for h in ["", "W/", "\"", "W/\"", ",,,", "W/\"18446744073709551616\""] {
        let r =
            e.c.send(
                Method::PUT,
                &path,
                Some(&json!({"schemas": [USER], "userName": "survivor"})),
                &[("If-Match", h)],
            )
            .await
            .unwrap();
        assert!(
            r.status == 412 || r.status == 400,
            "If-Match {h:?}: {}",
            r.raw
        );
    }
    let r =
        e.c.send(Method::GET, &path, None, &[("If-None-Match", "\u{7f}junk")])
            .await;
    if let Ok(r) = r {
        assert!(r.status < 500, "{}", r.raw);
    }
    e.still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn many_concurrent_writers_keep_the_store_consistent() {
    let e = env().await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let c = e.c.clone();
        let id = e.id.clone();
        tasks.push(tokio::spawn(async move {
            let body = json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "add", "path": "emails", "value": [{"value": format!("e{i}@x"), "type": "other"}]}]});
            c.patch(&format!("/Users/{id}"), &body).await.unwrap().status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let u = e.c.get(&format!("/Users/{}", e.id)).await.unwrap().body;
    assert_eq!(
        u["emails"].as_array().unwrap().len(),
        50,
        "a concurrent PATCH was lost"
    );
}
