//! R-PATCH over HTTP, multi-valued rules and the rest of the shapes: at most one `primary`
//! (RFC 7644 §3.5.2: setting one primary clears the others), no duplicate values, whole
//! extension removal, members through a path-less value, and more identity-provider shapes.
#![allow(clippy::unwrap_used)]

use scim_harness::client::{ScimClient, ScimResponse};
use scim_harness::reference::config::ReferenceConfig;
use scim_harness::reference::server::RunningReference;
use serde_json::{Value, json};

use crate::common::*;

async fn compat() -> (RunningReference, ScimClient) {
    start_with(ReferenceConfig::default()).await
}

async fn create(c: &ScimClient, path: &str, body: Value) -> String {
    let r = c.post(path, &body).await.unwrap();
    assert_eq!(r.status, 201, "{}", r.raw);
    r.body["id"].as_str().unwrap().to_string()
}

async fn two_email_user(c: &ScimClient) -> String {
    create(
        c,
        "/Users",
        json!({"schemas": [USER], "userName": "m",
               "emails": [{"value": "w@x", "type": "work", "primary": true},
                          {"value": "h@x", "type": "home"}]}),
    )
    .await
}

async fn patch_user(c: &ScimClient, id: &str, list: Value) -> ScimResponse {
    c.patch(&format!("/Users/{id}"), &ops(list)).await.unwrap()
}

fn primaries(u: &Value) -> Vec<String> {
    u["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["primary"] == json!(true))
        .map(|e| e["value"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn adding_a_primary_value_clears_the_other_primary() {
    let (_srv, c) = strict().await;
    let id = two_email_user(&c).await;
    let r = patch_user(
        &c,
        &id,
        json!([{"op": "add", "path": "emails",
                "value": [{"value": "new@x", "type": "other", "primary": true}]}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["emails"].as_array().unwrap().len(), 3);
    assert_eq!(primaries(&r.body), vec!["new@x"]);
}

#[tokio::test]
async fn setting_primary_through_a_value_path_clears_the_other_primary() {
    let (_srv, c) = strict().await;
    let id = two_email_user(&c).await;
    let r = patch_user(
        &c,
        &id,
        json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(primaries(&r.body), vec!["h@x"]);
}

#[tokio::test]
async fn adding_an_existing_value_does_not_duplicate_it() {
    let (_srv, c) = strict().await;
    let id = two_email_user(&c).await;
    let r = patch_user(
        &c,
        &id,
        json!([{"op": "add", "path": "emails", "value": [{"value": "h@x", "type": "home"}]}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let values: Vec<&str> = r.body["emails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, vec!["w@x", "h@x"]);
}

#[tokio::test]
async fn removing_a_whole_extension() {
    let (_srv, c) = strict().await;
    let id = create(
        &c,
        "/Users",
        json!({"schemas": [USER, ENTERPRISE], "userName": "x",
               ENTERPRISE: {"department": "D", "costCenter": "C"}}),
    )
    .await;
    let r = patch_user(&c, &id, json!([{"op": "remove", "path": ENTERPRISE}])).await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert!(r.body.get(ENTERPRISE).is_none(), "{}", r.body);
    assert_eq!(r.body["schemas"], json!([USER]));
}

#[tokio::test]
async fn unknown_id_and_wrong_resource_type_are_404() {
    let (_srv, c) = strict().await;
    let uid = two_email_user(&c).await;
    let r = c
        .patch(
            &format!("/Groups/{uid}"),
            &ops(json!([{"op": "replace", "path": "displayName", "value": "x"}])),
        )
        .await
        .unwrap();
    assert_error(&r, 404, None);
}

#[tokio::test]
async fn group_members_through_a_path_less_value() {
    let (_srv, c) = strict().await;
    let a = two_email_user(&c).await;
    let g = create(
        &c,
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "PL"}),
    )
    .await;
    let r = c
        .patch(
            &format!("/Groups/{g}"),
            &ops(json!([{"op": "add", "value": {"members": [{"value": a}], "externalId": "e-1"}}])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.raw);
    let got = c.get(&format!("/Groups/{g}")).await.unwrap().body;
    assert_eq!(got["members"][0]["value"], json!(a));
    assert_eq!(got["externalId"], "e-1");
    let u = c.get(&format!("/Users/{a}")).await.unwrap().body;
    assert_eq!(u["groups"][0]["value"], json!(g));
}

#[tokio::test]
async fn group_rename_onto_an_existing_name_is_409() {
    let (_srv, c) = strict().await;
    create(
        &c,
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "Taken"}),
    )
    .await;
    let g = create(
        &c,
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "Free"}),
    )
    .await;
    let r = c
        .patch(
            &format!("/Groups/{g}"),
            &ops(json!([{"op": "replace", "path": "displayName", "value": "TAKEN"}])),
        )
        .await
        .unwrap();
    assert_error(&r, 409, Some("uniqueness"));
    let got = c.get(&format!("/Groups/{g}")).await.unwrap().body;
    assert_eq!(got["displayName"], "Free");
}

#[tokio::test]
async fn compat_single_member_object_and_manager_string() {
    let (_srv, c) = compat().await;
    let a = two_email_user(&c).await;
    let boss = create(&c, "/Users", json!({"schemas": [USER], "userName": "boss"})).await;
    let g = create(
        &c,
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "One"}),
    )
    .await;
    let r = c
        .patch(
            &format!("/Groups/{g}"),
            &ops(json!([{"op": "Add", "path": "members", "value": {"value": a}}])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.raw);
    let got = c.get(&format!("/Groups/{g}")).await.unwrap().body;
    assert_eq!(got["members"][0]["value"], json!(a));

    let r = patch_user(
        &c,
        &a,
        json!([{"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": boss}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body[ENTERPRISE]["manager"]["value"], json!(boss));
    assert_eq!(r.body["schemas"], json!([USER, ENTERPRISE]));
}

#[tokio::test]
async fn compat_add_through_an_eq_filter_creates_the_element() {
    let (_srv, c) = compat().await;
    let id = create(
        &c,
        "/Users",
        json!({"schemas": [USER], "userName": "noemail"}),
    )
    .await;
    let r = patch_user(
        &c,
        &id,
        json!([{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "w@new"}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        r.body["emails"],
        json!([{"type": "work", "value": "w@new"}])
    );
    // A second add through the same filter edits that element instead of adding another.
    let r = patch_user(
        &c,
        &id,
        json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "w2@new"}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        r.body["emails"],
        json!([{"type": "work", "value": "w2@new"}])
    );
}

#[tokio::test]
async fn compat_string_boolean_in_a_path_less_value() {
    let (_srv, c) = compat().await;
    let id = two_email_user(&c).await;
    let r = patch_user(
        &c,
        &id,
        json!([{"op": "Replace", "value": {"active": "False", "displayName": "D"}}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["active"], json!(false));
    assert_eq!(r.body["displayName"], "D");
}

#[tokio::test]
async fn remove_with_a_value_filter_on_a_sub_attribute() {
    let (_srv, c) = strict().await;
    let id = two_email_user(&c).await;
    let r = patch_user(
        &c,
        &id,
        json!([{"op": "remove", "path": "emails[value ew \"@x\" and type eq \"work\"].primary"}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert!(primaries(&r.body).is_empty(), "{}", r.body);
    assert_eq!(r.body["emails"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn replace_of_a_complex_attribute_keeps_unspecified_sub_attributes() {
    let (_srv, c) = strict().await;
    let id = create(
        &c,
        "/Users",
        json!({"schemas": [USER], "userName": "cx",
               "name": {"givenName": "G", "familyName": "F", "middleName": "M"}}),
    )
    .await;
    let r = patch_user(
        &c,
        &id,
        json!([{"op": "replace", "path": "name", "value": {"familyName": "F2"}}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(
        r.body["name"],
        json!({"givenName": "G", "familyName": "F2", "middleName": "M"})
    );
    let r = patch_user(
        &c,
        &id,
        json!([{"op": "add", "path": "name", "value": {"honorificPrefix": "Dr"}}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["name"]["honorificPrefix"], "Dr");
    assert_eq!(r.body["name"]["givenName"], "G");
}

#[tokio::test]
async fn replace_of_a_filtered_element() {
    let (_srv, c) = strict().await;
    let id = two_email_user(&c).await;
    let r = patch_user(
        &c,
        &id,
        json!([{"op": "replace", "path": "emails[type eq \"home\"]",
                "value": {"value": "h2@x", "type": "home"}}]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.raw);
    let emails = r.body["emails"].as_array().unwrap();
    assert_eq!(emails.len(), 2);
    assert!(emails.iter().any(|e| e["value"] == "h2@x"));
    assert!(emails.iter().any(|e| e["value"] == "w@x"));
    assert!(!emails.iter().any(|e| e["value"] == "h@x"));
}

#[tokio::test]
async fn group_members_removed_by_a_non_id_filter() {
    let (_srv, c) = strict().await;
    let u = two_email_user(&c).await;
    let child = create(
        &c,
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "Child"}),
    )
    .await;
    let g = create(
        &c,
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "Parent",
               "members": [{"value": u}, {"value": child}]}),
    )
    .await;
    let r = c
        .patch(
            &format!("/Groups/{g}"),
            &ops(json!([{"op": "remove", "path": "members[type eq \"User\"]"}])),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.raw);
    let got = c.get(&format!("/Groups/{g}")).await.unwrap().body;
    assert_eq!(got["members"].as_array().unwrap().len(), 1, "{got}");
    assert_eq!(got["members"][0]["value"], json!(child));
    let user = c.get(&format!("/Users/{u}")).await.unwrap().body;
    assert!(user.get("groups").is_none(), "{user}");
}
