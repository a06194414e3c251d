//! R-CRUD: create (201 + Location + meta + ETag), read (200 / 404 Error), replace (PUT removes
//! what is not sent and ignores readOnly values), delete (204, then 404), `/Me` (501). Plus one
//! in-process test of the router with `tower::ServiceExt::oneshot`.
#![allow(clippy::unwrap_used)]

use scim_harness::reference::config::ReferenceConfig;
use serde_json::{Value, json};

use crate::common::*;

fn full_user() -> Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "externalId": "ext-1",
        "userName": "ann@example.com",
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "displayName": "Ann Lee",
        "title": "Engineer",
        "active": true,
        "emails": [{"value": "ann@example.com", "type": "work", "primary": true}],
        ENTERPRISE: {"department": "Sales", "employeeNumber": "42"}
    })
}

#[tokio::test]
async fn create_answers_201_with_location_meta_and_etag() {
    let (_srv, c) = start().await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let r = c.post("/Users", &full_user()).await.unwrap();
    let after = chrono::Utc::now() + chrono::Duration::seconds(1);
    assert_eq!(r.status, 201, "{}", r.raw);
    assert!(
        r.content_type
            .as_deref()
            .unwrap()
            .starts_with("application/scim+json")
    );
    let b = &r.body;
    let id = b["id"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "id {id}");
    let location = format!("{}/Users/{id}", c.base());
    assert_eq!(r.location.as_deref(), Some(location.as_str()));
    assert_eq!(b["meta"]["location"], json!(location));
    assert_eq!(b["meta"]["resourceType"], "User");
    let version = b["meta"]["version"].as_str().unwrap();
    assert!(version.starts_with("W/\""), "weak etag {version}");
    assert_eq!(r.etag.as_deref(), Some(version));
    let created = b["meta"]["created"].as_str().unwrap();
    let created_t = chrono::DateTime::parse_from_rfc3339(created).unwrap();
    assert!(created_t > before && created_t < after, "{created}");
    assert_eq!(b["meta"]["lastModified"], json!(created));
    // Every attribute sent comes back canonical.
    assert_eq!(b["userName"], "ann@example.com");
    assert_eq!(b["externalId"], "ext-1");
    assert_eq!(b["name"]["familyName"], "Lee");
    assert_eq!(b["emails"][0]["value"], "ann@example.com");
    assert_eq!(b[ENTERPRISE]["department"], "Sales");
    assert_eq!(b["schemas"], json!([USER, ENTERPRISE]));

    let g = c
        .post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "Staff"}),
        )
        .await
        .unwrap();
    assert_eq!(g.status, 201, "{}", g.raw);
    let gid = g.body["id"].as_str().unwrap();
    assert_eq!(
        g.location.as_deref(),
        Some(format!("{}/Groups/{gid}", c.base()).as_str())
    );
    assert_eq!(g.body["meta"]["resourceType"], "Group");
    assert_eq!(g.etag.as_deref(), g.body["meta"]["version"].as_str());
}

#[tokio::test]
async fn read_returns_the_created_resource() {
    let (_srv, c) = start().await;
    let created = c.post("/Users", &full_user()).await.unwrap();
    let loc = created.location.clone().unwrap();
    let path = loc.strip_prefix(c.base()).unwrap();
    let r = c.get(path).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body, created.body);
    assert_eq!(r.etag, created.etag);
    assert!(
        r.content_type
            .as_deref()
            .unwrap()
            .starts_with("application/scim+json")
    );
}

#[tokio::test]
async fn read_unknown_id_is_404_with_error_body() {
    let (_srv, c) = start().await;
    let r = c
        .get(&format!("/Users/{}", uuid::Uuid::new_v4()))
        .await
        .unwrap();
    assert_error(&r, 404, None);
    assert!(r.body["status"].is_string());
    let r = c.get("/Users/not-a-uuid").await.unwrap();
    assert_error(&r, 404, None);
    let r = c
        .get(&format!("/Groups/{}", uuid::Uuid::new_v4()))
        .await
        .unwrap();
    assert_error(&r, 404, None);
}

#[tokio::test]
async fn a_user_id_is_not_found_under_groups() {
    let (_srv, c) = start().await;
    let id = c.post("/Users", &full_user()).await.unwrap().body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = c.get(&format!("/Groups/{id}")).await.unwrap();
    assert_error(&r, 404, None);
}

#[tokio::test]
async fn put_replaces_and_removes_attributes_not_sent() {
    let (_srv, c) = start().await;
    let created = c.post("/Users", &full_user()).await.unwrap().body;
    let id = created["id"].as_str().unwrap();
    let r = c
        .put(
            &format!("/Users/{id}"),
            &json!({"schemas": [USER], "userName": "ann@example.com",
                    "name": {"givenName": "Annie"}, "active": false}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    for absent in ["displayName", "title", "emails", "externalId", ENTERPRISE] {
        assert!(r.body.get(absent).is_none(), "{absent} still in {}", r.body);
    }
    assert_eq!(r.body["name"], json!({"givenName": "Annie"}));
    assert_eq!(r.body["active"], false);
    assert_eq!(r.body["schemas"], json!([USER]));
    assert_eq!(r.body["meta"]["created"], created["meta"]["created"]);
    assert_ne!(r.body["meta"]["version"], created["meta"]["version"]);
    assert_eq!(r.etag.as_deref(), r.body["meta"]["version"].as_str());
    let g = c.get(&format!("/Users/{id}")).await.unwrap();
    assert_eq!(g.body, r.body);
}

#[tokio::test]
async fn put_ignores_read_only_values() {
    let (_srv, c) = start().await;
    let created = c.post("/Users", &full_user()).await.unwrap().body;
    let id = created["id"].as_str().unwrap();
    let other = uuid::Uuid::new_v4().to_string();
    let r = c
        .put(
            &format!("/Users/{id}"),
            &json!({
                "schemas": [USER], "userName": "ann@example.com", "id": other,
                "meta": {"version": "W/\"999999\"", "created": "2000-01-01T00:00:00Z",
                         "resourceType": "Group"},
                "groups": [{"value": uuid::Uuid::new_v4().to_string()}]
            }),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["id"], json!(id));
    assert_eq!(r.body["meta"]["created"], created["meta"]["created"]);
    assert_eq!(r.body["meta"]["resourceType"], "User");
    assert_ne!(r.body["meta"]["version"], "W/\"999999\"");
    assert!(r.body.get("groups").is_none(), "{}", r.body);
    assert_error(&c.get(&format!("/Users/{other}")).await.unwrap(), 404, None);
}

#[tokio::test]
async fn put_unknown_id_is_404_and_bad_body_is_400() {
    let (_srv, c) = start().await;
    let r = c
        .put(
            &format!("/Users/{}", uuid::Uuid::new_v4()),
            &json!({"schemas": [USER], "userName": "x"}),
        )
        .await
        .unwrap();
    assert_error(&r, 404, None);
    let id = c.post("/Users", &full_user()).await.unwrap().body["id"]
        .as_str()
        .unwrap()
        .to_string();
    // userName is required: a PUT without it is refused and changes nothing.
    let r = c
        .put(
            &format!("/Users/{id}"),
            &json!({"schemas": [USER], "title": "x"}),
        )
        .await
        .unwrap();
    assert_error(&r, 400, Some("invalidValue"));
    let g = c.get(&format!("/Users/{id}")).await.unwrap();
    assert_eq!(g.body["title"], "Engineer");
}

#[tokio::test]
async fn put_on_group_replaces_members() {
    let (_srv, c) = start().await;
    let u = c.post("/Users", &full_user()).await.unwrap().body;
    let uid = u["id"].as_str().unwrap();
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
    let r = c
        .put(
            &format!("/Groups/{gid}"),
            &json!({"schemas": [GROUP], "displayName": "G2"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["displayName"], "G2");
    assert!(r.body.get("members").is_none(), "{}", r.body);
    let u = c.get(&format!("/Users/{uid}")).await.unwrap().body;
    assert!(u.get("groups").is_none(), "{u}");
}

#[tokio::test]
async fn delete_then_404() {
    let (_srv, c) = start().await;
    let id = c.post("/Users", &full_user()).await.unwrap().body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = c.delete(&format!("/Users/{id}")).await.unwrap();
    assert_eq!(r.status, 204);
    assert!(r.raw.is_empty(), "204 with a body: {}", r.raw);
    assert_error(&c.get(&format!("/Users/{id}")).await.unwrap(), 404, None);
    assert_error(&c.delete(&format!("/Users/{id}")).await.unwrap(), 404, None);
    // The userName is free again.
    assert_eq!(c.post("/Users", &full_user()).await.unwrap().status, 201);

    let gid = c
        .post("/Groups", &json!({"schemas": [GROUP], "displayName": "G"}))
        .await
        .unwrap()
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        c.delete(&format!("/Groups/{gid}")).await.unwrap().status,
        204
    );
    assert_error(&c.get(&format!("/Groups/{gid}")).await.unwrap(), 404, None);
    assert_error(
        &c.delete(&format!("/Groups/{gid}")).await.unwrap(),
        404,
        None,
    );
}

#[tokio::test]
async fn me_is_not_implemented() {
    let (_srv, c) = start().await;
    assert_error(&c.get("/Me").await.unwrap(), 501, None);
    let r = c.post("/Me", &full_user()).await.unwrap();
    assert_error(&r, 501, None);
}

#[tokio::test]
async fn list_of_an_empty_store_is_an_empty_list_response() {
    let (_srv, c) = start().await;
    for path in ["/Users", "/Groups"] {
        let r = c.get(path).await.unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(
            r.body["schemas"],
            json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
        );
        assert_eq!(r.body["totalResults"], 0);
        assert_eq!(r.body["Resources"], json!([]));
    }
}

/// The router answers in-process, without a socket, through `tower::ServiceExt::oneshot`.
#[tokio::test]
async fn router_works_in_process_with_oneshot() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use http_body_util::BodyExt;
    use scim_harness::clock::SystemClock;
    use scim_harness::reference::http::{AppState, router};
    use scim_harness::reference::store::Store;
    use std::sync::Arc;
    use tower::ServiceExt;

    let cfg = ReferenceConfig {
        token: Some("t".into()),
        ..Default::default()
    };
    let store = Arc::new(Store::new(cfg, Arc::new(SystemClock)));
    let app = router(AppState::new(store.clone()));

    let req = Request::post("/Users")
        .header(header::HOST, "scim.test")
        .header(header::AUTHORIZATION, "Bearer t")
        .header(header::CONTENT_TYPE, "application/scim+json")
        .body(Body::from(
            json!({"schemas": [USER], "userName": "inproc"}).to_string(),
        ))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let location = resp.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        location.starts_with("http://scim.test/Users/"),
        "{location}"
    );
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["userName"], "inproc");
    assert_eq!(body["meta"]["location"], json!(location));
    assert_eq!(store.count(scim_harness::reference::store::Kind::User), 1);

    let req = Request::get("/Users")
        .header(header::HOST, "scim.test")
        .body(Body::empty())
        .unwrap();
    let resp = app.oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.headers()[header::CONTENT_TYPE],
        "application/scim+json"
    );
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["status"], "401");
}
