//! R-PATCH over HTTP, RFC profile: add / replace / remove with and without a path, value-path
//! filters, extension URNs, all-or-nothing, and the error types. Users answer 200 with the
//! resource; Groups answer 204 unless `attributes` asks for a body.
#![allow(clippy::unwrap_used)]

use scim_harness::client::ScimClient;
use serde_json::{Value, json};

use crate::common::*;

async fn new_user(c: &ScimClient) -> (String, Value) {
    let r = c
        .post(
            "/Users",
            &json!({
                "schemas": [USER], "userName": "pat", "displayName": "Pat", "title": "Dev",
                "active": true, "name": {"givenName": "Pat", "familyName": "Doe"},
                "emails": [{"value": "pat@work.example", "type": "work", "primary": true},
                           {"value": "pat@home.example", "type": "home"}]
            }),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.raw);
    (r.body["id"].as_str().unwrap().to_string(), r.body)
}

async fn patch_ok(c: &ScimClient, id: &str, list: Value) -> Value {
    let r = c.patch(&format!("/Users/{id}"), &ops(list)).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["id"], json!(id));
    assert_eq!(r.etag.as_deref(), r.body["meta"]["version"].as_str());
    let g = c.get(&format!("/Users/{id}")).await.unwrap();
    assert_eq!(g.body, r.body, "PATCH answer differs from a later GET");
    r.body
}

#[tokio::test]
async fn add_and_replace_with_a_path() {
    let (_srv, c) = strict().await;
    let (id, _) = new_user(&c).await;
    let u = patch_ok(
        &c,
        &id,
        json!([{"op": "add", "path": "nickName", "value": "P"}]),
    )
    .await;
    assert_eq!(u["nickName"], "P");
    let u = patch_ok(
        &c,
        &id,
        json!([{"op": "replace", "path": "displayName", "value": "Patricia"}]),
    )
    .await;
    assert_eq!(u["displayName"], "Patricia");
    let u = patch_ok(
        &c,
        &id,
        json!([{"op": "replace", "path": "name.familyName", "value": "Roe"}]),
    )
    .await;
    assert_eq!(u["name"], json!({"givenName": "Pat", "familyName": "Roe"}));
    // add to a multi-valued attribute appends.
    let u = patch_ok(
        &c,
        &id,
        json!([{"op": "add", "path": "emails", "value": [{"value": "p@other.example", "type": "other"}]}]),
    )
    .await;
    assert_eq!(u["emails"].as_array().unwrap().len(), 3);
    // replace of a multi-valued attribute replaces the whole list.
    let u = patch_ok(
        &c,
        &id,
        json!([{"op": "replace", "path": "emails", "value": [{"value": "only@x.example", "type": "work"}]}]),
    )
    .await;
    assert_eq!(
        u["emails"],
        json!([{"value": "only@x.example", "type": "work"}])
    );
}

#[tokio::test]
async fn add_and_replace_without_a_path() {
    let (_srv, c) = strict().await;
    let (id, _) = new_user(&c).await;
    let u = patch_ok(
        &c,
        &id,
        json!([{"op": "add", "value": {"nickName": "Patty",
                "emails": [{"value": "p@third.example", "type": "other"}]}}]),
    )
    .await;
    assert_eq!(u["nickName"], "Patty");
    let emails: Vec<&str> = u["emails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        vec!["pat@work.example", "pat@home.example", "p@third.example"]
    );
    let u = patch_ok(
        &c,
        &id,
        json!([{"op": "replace", "value": {"displayName": "P2", "active": false,
                "name": {"familyName": "Poe"}}}]),
    )
    .await;
    assert_eq!(u["displayName"], "P2");
    assert_eq!(u["active"], false);
    assert_eq!(u["name"]["familyName"], "Poe");
    assert_eq!(u["userName"], "pat");
}

#[tokio::test]
async fn remove_with_a_path() {
    let (_srv, c) = strict().await;
    let (id, _) = new_user(&c).await;
    let u = patch_ok(&c, &id, json!([{"op": "remove", "path": "title"}])).await;
    assert!(u.get("title").is_none());
    let u = patch_ok(&c, &id, json!([{"op": "remove", "path": "name.givenName"}])).await;
    assert_eq!(u["name"], json!({"familyName": "Doe"}));
    let u = patch_ok(
        &c,
        &id,
        json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]),
    )
    .await;
    assert_eq!(u["emails"].as_array().unwrap().len(), 1);
    assert_eq!(u["emails"][0]["type"], "work");
    let u = patch_ok(&c, &id, json!([{"op": "remove", "path": "emails"}])).await;
    assert!(u.get("emails").is_none());
    // remove without a path is noTarget (RFC 7644 §3.5.2.2).
    let r = c
        .patch(&format!("/Users/{id}"), &ops(json!([{"op": "remove"}])))
        .await
        .unwrap();
    assert_error(&r, 400, Some("noTarget"));
}

#[tokio::test]
async fn value_path_filter_targets_one_element() {
    let (_srv, c) = strict().await;
    let (id, _) = new_user(&c).await;
    let u = patch_ok(
        &c,
        &id,
        json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "new@work.example"}]),
    )
    .await;
    let emails = u["emails"].as_array().unwrap();
    assert_eq!(emails.len(), 2);
    let work = emails.iter().find(|e| e["type"] == "work").unwrap();
    assert_eq!(work["value"], "new@work.example");
    assert_eq!(work["primary"], true);
    let home = emails.iter().find(|e| e["type"] == "home").unwrap();
    assert_eq!(home["value"], "pat@home.example");
}

#[tokio::test]
async fn extension_urn_paths() {
    let (_srv, c) = strict().await;
    let (id, created) = new_user(&c).await;
    assert_eq!(created["schemas"], json!([USER]));
    let u = patch_ok(
        &c,
        &id,
        json!([{"op": "add", "path": format!("{ENTERPRISE}:department"), "value": "Ops"}]),
    )
    .await;
    assert_eq!(u[ENTERPRISE]["department"], "Ops");
    assert_eq!(u["schemas"], json!([USER, ENTERPRISE]));
    let u = patch_ok(
        &c,
        &id,
        json!([{"op": "replace", "path": format!("{ENTERPRISE}:manager.value"), "value": "boss-1"}]),
    )
    .await;
    assert_eq!(u[ENTERPRISE]["manager"]["value"], "boss-1");
    let u = patch_ok(
        &c,
        &id,
        json!([{"op": "add", "value": {ENTERPRISE: {"costCenter": "CC-9"}}}]),
    )
    .await;
    assert_eq!(u[ENTERPRISE]["costCenter"], "CC-9");
    assert_eq!(u[ENTERPRISE]["department"], "Ops");
    let u = patch_ok(
        &c,
        &id,
        json!([
            {"op": "remove", "path": format!("{ENTERPRISE}:department")},
            {"op": "remove", "path": format!("{ENTERPRISE}:costCenter")},
            {"op": "remove", "path": format!("{ENTERPRISE}:manager")}
        ]),
    )
    .await;
    assert!(u.get(ENTERPRISE).is_none(), "{u}");
    assert_eq!(u["schemas"], json!([USER]));
}

#[tokio::test]
async fn a_failing_operation_leaves_the_resource_unchanged() {
    let (_srv, c) = strict().await;
    let (id, before) = new_user(&c).await;
    let r = c
        .patch(
            &format!("/Users/{id}"),
            &ops(json!([
                {"op": "replace", "path": "displayName", "value": "Changed"},
                {"op": "add", "path": "nickName", "value": "N"},
                {"op": "replace", "path": "shoeSize", "value": 9}
            ])),
        )
        .await
        .unwrap();
    assert_error(&r, 400, Some("invalidPath"));
    let after = c.get(&format!("/Users/{id}")).await.unwrap();
    assert_eq!(after.body, before);
    assert_eq!(after.body["meta"]["version"], before["meta"]["version"]);
    assert_eq!(after.body["displayName"], "Pat");
}

#[tokio::test]
async fn no_target_in_strict_mode() {
    let (_srv, c) = strict().await;
    let (id, before) = new_user(&c).await;
    let r = c
        .patch(
            &format!("/Users/{id}"),
            &ops(json!([{"op": "remove", "path": "emails[type eq \"nope\"]"}])),
        )
        .await
        .unwrap();
    assert_error(&r, 400, Some("noTarget"));
    let r = c
        .patch(
            &format!("/Users/{id}"),
            &ops(json!([{"op": "replace", "path": "emails[type eq \"nope\"].value", "value": "x@y"}])),
        )
        .await
        .unwrap();
    assert_error(&r, 400, Some("noTarget"));
    assert_eq!(c.get(&format!("/Users/{id}")).await.unwrap().body, before);
}

#[tokio::test]
async fn invalid_path_and_invalid_value() {
    let (_srv, c) = strict().await;
    let (id, before) = new_user(&c).await;
    let path = format!("/Users/{id}");
    for (op, scim_type) in [
        (
            json!({"op": "replace", "path": "shoeSize", "value": 1}),
            "invalidPath",
        ),
        (
            json!({"op": "add", "path": "name.nickname", "value": "x"}),
            "invalidPath",
        ),
        (
            json!({"op": "replace", "value": {"shoeSize": 1}}),
            "invalidPath",
        ),
        (
            json!({"op": "replace", "path": "emails[type eq", "value": "x"}),
            "invalidPath",
        ),
        (
            json!({"op": "replace", "path": "active", "value": "yes"}),
            "invalidValue",
        ),
        (
            json!({"op": "replace", "path": "active", "value": 1}),
            "invalidValue",
        ),
        (
            json!({"op": "replace", "path": "displayName", "value": 5}),
            "invalidValue",
        ),
        (
            json!({"op": "replace", "path": "emails", "value": "a@b"}),
            "invalidValue",
        ),
        (json!({"op": "add", "path": "title"}), "invalidValue"),
    ] {
        let r = c.patch(&path, &ops(json!([op.clone()]))).await.unwrap();
        assert_error(&r, 400, Some(scim_type));
        assert!(r.body["detail"].is_string(), "{op}");
    }
    assert_eq!(c.get(&path).await.unwrap().body, before);
}

/// A required attribute that "becomes unassigned" (`replace` with `null`, with or without a
/// path) is `mutability`, like its removal (RFC 7644 §3.5.2.2; see src/scim/patch.rs).
#[tokio::test]
async fn replace_required_attribute_with_null_is_mutability() {
    let (_srv, c) = strict().await;
    let (id, before) = new_user(&c).await;
    let path = format!("/Users/{id}");
    let r = c
        .patch(
            &path,
            &ops(json!([{"op": "replace", "path": "userName", "value": null}])),
        )
        .await
        .unwrap();
    assert_error(&r, 400, Some("mutability"));
    let r = c
        .patch(
            &path,
            &ops(json!([{"op": "replace", "value": {"userName": null}}])),
        )
        .await
        .unwrap();
    assert_error(&r, 400, Some("mutability"));
    assert_eq!(c.get(&path).await.unwrap().body, before);
}

#[tokio::test]
async fn malformed_patch_requests_are_invalid_syntax() {
    let (_srv, c) = strict().await;
    let (id, _) = new_user(&c).await;
    let path = format!("/Users/{id}");
    for body in [
        json!({"Operations": [{"op": "add", "path": "title", "value": "x"}]}),
        json!({"schemas": [USER], "Operations": [{"op": "add", "path": "title", "value": "x"}]}),
        json!({"schemas": [PATCH_OP]}),
        json!({"schemas": [PATCH_OP], "Operations": []}),
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "move", "path": "title"}]}),
        json!({"schemas": [PATCH_OP], "Operations": [{"path": "title", "value": "x"}]}),
        json!([1, 2]),
    ] {
        let r = c.patch(&path, &body).await.unwrap();
        assert_error(&r, 400, Some("invalidSyntax"));
    }
    let r = c
        .patch(
            &format!("/Users/{}", uuid::Uuid::new_v4()),
            &ops(json!([{"op": "add", "path": "title", "value": "x"}])),
        )
        .await
        .unwrap();
    assert_error(&r, 404, None);
}

#[tokio::test]
async fn read_only_targets_are_mutability_errors() {
    let (_srv, c) = strict().await;
    let (id, before) = new_user(&c).await;
    let path = format!("/Users/{id}");
    for op in [
        json!({"op": "replace", "path": "id", "value": "other"}),
        json!({"op": "add", "path": "groups", "value": [{"value": uuid::Uuid::new_v4().to_string()}]}),
        json!({"op": "replace", "path": "meta.created", "value": "2000-01-01T00:00:00Z"}),
        json!({"op": "remove", "path": "userName"}),
    ] {
        let r = c.patch(&path, &ops(json!([op.clone()]))).await.unwrap();
        assert_error(&r, 400, Some("mutability"));
    }
    assert_eq!(c.get(&path).await.unwrap().body, before);
}

/// Okta's rename carries the group's own id in a path-less replace: the same id changes
/// nothing and is accepted; another id is still a mutability error.
#[tokio::test]
async fn a_replace_of_the_read_only_id_with_its_own_value_changes_nothing() {
    let (_srv, c) = strict().await;
    let (id, _) = new_user(&c).await;
    let path = format!("/Users/{id}");
    let same = json!({"op": "replace", "value": {"id": id, "displayName": "Renamed"}});
    let r = c.patch(&path, &ops(json!([same]))).await.unwrap();
    assert!(matches!(r.status, 200 | 204), "{}", r.raw);
    let after = c.get(&path).await.unwrap().body;
    assert_eq!(after["id"], json!(id));
    assert_eq!(after["displayName"], json!("Renamed"));
    let other = json!({"op": "replace", "value": {"id": "another"}});
    let r = c.patch(&path, &ops(json!([other]))).await.unwrap();
    assert_error(&r, 400, Some("mutability"));
}

#[tokio::test]
async fn uniqueness_applies_to_patch() {
    let (_srv, c) = strict().await;
    let (id, _) = new_user(&c).await;
    let r = c
        .post("/Users", &json!({"schemas": [USER], "userName": "taken"}))
        .await
        .unwrap();
    assert_eq!(r.status, 201);
    let r = c
        .patch(
            &format!("/Users/{id}"),
            &ops(json!([{"op": "replace", "path": "userName", "value": "TAKEN"}])),
        )
        .await
        .unwrap();
    assert_error(&r, 409, Some("uniqueness"));
}

#[tokio::test]
async fn groups_answer_204_or_200_with_attributes() {
    let (_srv, c) = strict().await;
    let (uid, _) = new_user(&c).await;
    let u2 = c
        .post("/Users", &json!({"schemas": [USER], "userName": "second"}))
        .await
        .unwrap()
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let g = c
        .post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "Team"}),
        )
        .await
        .unwrap();
    let gid = g.body["id"].as_str().unwrap().to_string();
    let path = format!("/Groups/{gid}");
    let r = c
        .patch(
            &path,
            &ops(
                json!([{"op": "add", "path": "members", "value": [{"value": uid}, {"value": u2}]}]),
            ),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.raw);
    assert!(r.raw.is_empty());
    assert!(r.etag.is_some());
    let got = c.get(&path).await.unwrap();
    assert_eq!(got.body["members"].as_array().unwrap().len(), 2);
    assert_eq!(got.etag, r.etag);

    let r = c
        .patch(
            &format!("{path}?attributes=displayName"),
            &ops(json!([{"op": "replace", "path": "displayName", "value": "Team 2"}])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["displayName"], "Team 2");
    assert!(r.body.get("members").is_none());

    // Strict removal by filter: only that member goes; removing a non-member is noTarget.
    let r = c
        .patch(
            &path,
            &ops(json!([{"op": "remove", "path": format!("members[value eq \"{uid}\"]")}])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.raw);
    let got = c.get(&path).await.unwrap().body;
    assert_eq!(got["members"].as_array().unwrap().len(), 1);
    assert_eq!(got["members"][0]["value"], json!(u2));
    let r = c
        .patch(
            &path,
            &ops(json!([{"op": "remove", "path": format!("members[value eq \"{uid}\"]")}])),
        )
        .await
        .unwrap();
    assert_error(&r, 400, Some("noTarget"));

    // replace members sets the list; remove members empties it.
    let r = c
        .patch(
            &path,
            &ops(json!([{"op": "replace", "path": "members", "value": [{"value": uid}]}])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204);
    let got = c.get(&path).await.unwrap().body;
    assert_eq!(
        got["members"],
        json!([{"value": uid, "$ref": format!("{}/Users/{uid}", c.base()), "type": "User"}])
    );
    let r = c
        .patch(&path, &ops(json!([{"op": "remove", "path": "members"}])))
        .await
        .unwrap();
    assert_eq!(r.status, 204);
    assert!(c.get(&path).await.unwrap().body.get("members").is_none());
}

#[tokio::test]
async fn group_patch_with_unknown_member_changes_nothing() {
    let (_srv, c) = strict().await;
    let (uid, _) = new_user(&c).await;
    let gid = c
        .post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "Team"}),
        )
        .await
        .unwrap()
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/Groups/{gid}");
    let before = c.get(&path).await.unwrap();
    let r = c
        .patch(
            &path,
            &ops(json!([
                {"op": "replace", "path": "displayName", "value": "Renamed"},
                {"op": "add", "path": "members", "value": [{"value": uid},
                                                           {"value": uuid::Uuid::new_v4().to_string()}]}
            ])),
        )
        .await
        .unwrap();
    assert_error(&r, 400, Some("invalidValue"));
    let after = c.get(&path).await.unwrap();
    assert_eq!(after.body, before.body);
    assert_eq!(after.etag, before.etag);
}
