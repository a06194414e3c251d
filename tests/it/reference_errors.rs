//! R-ERR over HTTP: the Error schema with `status` as a string, the right `scimType`, the SCIM
//! media type on every answer, 401 without or with a bad token on every endpoint family, 413,
//! 415, 404 for unknown endpoints and 405 for unsupported methods.
#![allow(clippy::unwrap_used)]

use reqwest::Method;
use scim_harness::client::Connection;
use scim_harness::client::{ScimClient, ScimResponse};
use scim_harness::reference::config::{Limits, ReferenceConfig};
use scim_harness::reference::server::RunningReference;
use serde_json::{Value, json};

use crate::common::*;

/// Sends a raw body with a chosen content type (or none).
async fn raw(
    srv: &RunningReference,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> ScimResponse {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", srv.base_url))
        .bearer_auth("t")
        .body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let h = |n: &str| {
        resp.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (etag, location, content_type) = (h("etag"), h("location"), h("content-type"));
    let raw = resp.text().await.unwrap();
    ScimResponse {
        status,
        etag,
        location,
        content_type,
        body: serde_json::from_str(&raw).unwrap_or(Value::Null),
        raw,
    }
}

/// Writes raw bytes to the server and reads the whole answer (the request asks to close).
async fn raw_http(addr: std::net::SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

fn endpoint_families() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::GET, "/Users", None),
        (
            Method::POST,
            "/Users",
            Some(json!({"schemas": [USER], "userName": "x"})),
        ),
        (
            Method::GET,
            "/Users/00000000-0000-0000-0000-000000000000",
            None,
        ),
        (Method::GET, "/Groups", None),
        (
            Method::POST,
            "/Groups",
            Some(json!({"schemas": [GROUP], "displayName": "x"})),
        ),
        (Method::GET, "/Schemas", None),
        (Method::GET, "/ResourceTypes", None),
        (Method::GET, "/ServiceProviderConfig", None),
        (
            Method::POST,
            "/Bulk",
            Some(json!({"schemas": [BULK_REQUEST], "Operations": []})),
        ),
        (Method::GET, "/Me", None),
    ]
}

#[tokio::test]
async fn no_token_is_401_on_every_endpoint_family() {
    let (srv, _c) = start().await;
    let anon = ScimClient::new(&srv.base_url, Connection::default()).unwrap();
    for (m, path, body) in endpoint_families() {
        let r = anon
            .send(m.clone(), path, body.as_ref(), &[])
            .await
            .unwrap();
        assert_error(&r, 401, None);
    }
    // A non-bearer scheme is no token either.
    let r = anon
        .send(
            Method::GET,
            "/Users",
            None,
            &[("Authorization", "Basic dDp0")],
        )
        .await
        .unwrap();
    assert_error(&r, 401, None);
    // Nothing was created.
    assert_eq!(
        srv.store.count(scim_harness::reference::store::Kind::User),
        0
    );
}

#[tokio::test]
async fn bad_token_is_401_on_every_endpoint_family() {
    let (srv, _c) = start().await;
    for token in ["wrong", "tt", "T", ""] {
        let bad = ScimClient::new(&srv.base_url, Connection::bearer(token)).unwrap();
        for (m, path, body) in endpoint_families() {
            let r = bad.send(m.clone(), path, body.as_ref(), &[]).await.unwrap();
            assert_error(&r, 401, None);
        }
    }
    assert_eq!(
        srv.store.count(scim_harness::reference::store::Kind::Group),
        0
    );
}

#[tokio::test]
async fn unauthorized_answer_names_the_bearer_scheme() {
    let (srv, _c) = start().await;
    let resp = reqwest::get(format!("{}/Users", srv.base_url))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let www = resp.headers()["www-authenticate"].to_str().unwrap();
    assert!(www.starts_with("Bearer"), "{www}");
}

#[tokio::test]
async fn without_a_configured_token_no_auth_is_needed() {
    let srv = reference(ReferenceConfig::default()).await;
    let anon = ScimClient::new(&srv.base_url, Connection::default()).unwrap();
    assert_eq!(anon.get("/Users").await.unwrap().status, 200);
}

#[tokio::test]
async fn malformed_json_is_400_invalid_syntax() {
    let (srv, c) = start().await;
    for body in ["{", "{\"schemas\": [}", "not json", "", "{\"a\":1}{"] {
        for (m, path) in [
            (Method::POST, "/Users".to_string()),
            (Method::POST, "/Groups".to_string()),
            (Method::POST, "/Bulk".to_string()),
        ] {
            let r = raw(&srv, m, &path, Some("application/scim+json"), body).await;
            assert_error(&r, 400, Some("invalidSyntax"));
        }
    }
    let id = c
        .post("/Users", &json!({"schemas": [USER], "userName": "u"}))
        .await
        .unwrap()
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    for m in [Method::PUT, Method::PATCH] {
        let r = raw(
            &srv,
            m,
            &format!("/Users/{id}"),
            Some("application/scim+json"),
            "{",
        )
        .await;
        assert_error(&r, 400, Some("invalidSyntax"));
    }
}

#[tokio::test]
async fn wrong_media_type_is_415() {
    let (srv, _c) = start().await;
    let body = json!({"schemas": [USER], "userName": "mt"}).to_string();
    for ct in [
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let r = raw(&srv, Method::POST, "/Users", Some(ct), body.clone()).await;
        assert_error(&r, 415, None);
    }
    assert_eq!(
        srv.store.count(scim_harness::reference::store::Kind::User),
        0
    );
}

#[tokio::test]
async fn json_media_types_are_accepted() {
    let (srv, _c) = start().await;
    for (i, ct) in [
        "application/json",
        "application/scim+json",
        "application/scim+json; charset=utf-8",
        "Application/JSON; charset=UTF-8",
    ]
    .into_iter()
    .enumerate()
    {
        let body = json!({"schemas": [USER], "userName": format!("ct{i}")}).to_string();
        let r = raw(&srv, Method::POST, "/Users", Some(ct), body).await;
        assert_eq!(r.status, 201, "{ct}: {}", r.raw);
        let rct = r.content_type.as_deref().unwrap();
        assert!(rct.starts_with("application/scim+json"), "{rct}");
    }
}

#[tokio::test]
async fn successful_answers_use_the_scim_media_type() {
    let (_srv, c) = start().await;
    let r = c
        .post("/Users", &json!({"schemas": [USER], "userName": "u"}))
        .await
        .unwrap();
    let id = r.body["id"].as_str().unwrap().to_string();
    for path in [
        format!("/Users/{id}"),
        "/Users".to_string(),
        "/Groups".to_string(),
        "/Schemas".to_string(),
        "/ResourceTypes".to_string(),
        "/ServiceProviderConfig".to_string(),
    ] {
        let r = c.get(&path).await.unwrap();
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(
            r.content_type.as_deref(),
            Some("application/scim+json"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn body_over_the_limit_is_413() {
    let (srv, c) = start_with(ReferenceConfig {
        limits: Limits {
            max_payload_size: 512,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let big = json!({"schemas": [USER], "userName": "big", "displayName": "x".repeat(600)});
    assert_error(&c.post("/Users", &big).await.unwrap(), 413, None);
    let id = c
        .post("/Users", &json!({"schemas": [USER], "userName": "small"}))
        .await
        .unwrap()
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_error(
        &c.put(&format!("/Users/{id}"), &big).await.unwrap(),
        413,
        None,
    );
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "title", "value": "y".repeat(600)}]});
    assert_error(
        &c.patch(&format!("/Users/{id}"), &patch).await.unwrap(),
        413,
        None,
    );
    let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": format!("userName eq \"{}\"", "z".repeat(600))});
    assert_error(&c.post("/Users/.search", &search).await.unwrap(), 413, None);
    // Without a Content-Length the limit still holds (a chunked body of unknown size).
    let body = big.to_string();
    let request = format!(
        "POST /Users HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer t\r\n\
         Content-Type: application/scim+json\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        srv.addr,
        body.len()
    );
    let answer = raw_http(srv.addr, request.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"status\":\"413\""), "{answer}");
    let got = c.get(&format!("/Users/{id}")).await.unwrap();
    assert!(got.body.get("title").is_none());
}

#[tokio::test]
async fn invalid_resources_are_400_with_the_right_scim_type() {
    let (_srv, c) = start().await;
    for (body, scim_type) in [
        (
            json!({"schemas": [USER], "userName": "a", "shoeSize": 9}),
            "invalidSyntax",
        ),
        (
            json!({"schemas": [USER], "userName": "a", "name": {"nick": "x"}}),
            "invalidSyntax",
        ),
        (
            json!({"schemas": [USER, "urn:example:unknown"], "userName": "a"}),
            "invalidSyntax",
        ),
        (json!({"userName": "a"}), "invalidSyntax"),
        (
            json!({"schemas": "not-an-array", "userName": "a"}),
            "invalidSyntax",
        ),
        (
            json!({"schemas": [GROUP], "userName": "a"}),
            "invalidSyntax",
        ),
        (
            json!([{"schemas": [USER], "userName": "a"}]),
            "invalidSyntax",
        ),
        (json!({"schemas": [USER], "userName": 5}), "invalidValue"),
        (
            json!({"schemas": [USER], "userName": "a", "active": "yes"}),
            "invalidValue",
        ),
        (
            json!({"schemas": [USER], "userName": "a", "emails": {"value": "a@b"}}),
            "invalidValue",
        ),
        (
            json!({"schemas": [USER], "userName": "a", "title": ["x"]}),
            "invalidValue",
        ),
        (
            json!({"schemas": [USER], "userName": "a", "emails": [{"value": "a@b", "primary": true},
                                                              {"value": "c@d", "primary": true}]}),
            "invalidValue",
        ),
        (json!({"schemas": [USER]}), "invalidValue"),
    ] {
        let r = c.post("/Users", &body).await.unwrap();
        assert_error(&r, 400, Some(scim_type));
    }
    assert_eq!(c.get("/Users").await.unwrap().body["totalResults"], 0);
}

#[tokio::test]
async fn unknown_endpoints_are_scim_404() {
    let (srv, c) = start().await;
    for path in ["/Devices", "/Users/a/b", "/", "/Schemas/x/y", "/v2/Users"] {
        let r = c.get(path).await.unwrap();
        assert_error(&r, 404, None);
    }
    let r = raw(
        &srv,
        Method::POST,
        "/Devices",
        Some("application/scim+json"),
        "{}",
    )
    .await;
    assert_error(&r, 404, None);
}

#[tokio::test]
async fn unsupported_methods_are_scim_405() {
    let (srv, c) = start().await;
    let r = c.delete("/Users").await.unwrap();
    assert_error(&r, 405, None);
    let r = raw(
        &srv,
        Method::PUT,
        "/Groups",
        Some("application/scim+json"),
        "{}",
    )
    .await;
    assert_error(&r, 405, None);
    let r = c
        .post(
            &format!("/Users/{}", uuid::Uuid::new_v4()),
            &json!({"schemas": [USER], "userName": "x"}),
        )
        .await
        .unwrap();
    assert_error(&r, 405, None);
    let r = c.delete("/ServiceProviderConfig").await.unwrap();
    assert_error(&r, 405, None);
}

#[tokio::test]
async fn base_path_prefixes_every_endpoint() {
    let (srv, c) = start_with(ReferenceConfig {
        base_path: "/scim/v2".into(),
        ..Default::default()
    })
    .await;
    assert!(srv.base_url.ends_with("/scim/v2"), "{}", srv.base_url);
    let r = c
        .post("/Users", &json!({"schemas": [USER], "userName": "bp"}))
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.raw);
    let loc = r.location.unwrap();
    assert!(
        loc.starts_with(&format!("{}/Users/", srv.base_url)),
        "{loc}"
    );
    let root = ScimClient::new(&format!("http://{}", srv.addr), Connection::bearer("t")).unwrap();
    let r = root.get("/Users").await.unwrap();
    assert_error(&r, 404, None);
}

#[tokio::test]
async fn base_path_with_a_trailing_slash_builds_clean_locations() {
    let (srv, c) = start_with(ReferenceConfig {
        base_path: "/scim/v2/".into(),
        ..Default::default()
    })
    .await;
    let r = c
        .post("/Users", &json!({"schemas": [USER], "userName": "slash"}))
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.raw);
    let id = r.body["id"].as_str().unwrap();
    let expected = format!("http://{}/scim/v2/Users/{id}", srv.addr);
    assert_eq!(r.location.as_deref(), Some(expected.as_str()));
    assert_eq!(r.body["meta"]["location"], json!(expected));
}
