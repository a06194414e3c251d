//! R-DISC: `/ServiceProviderConfig`, `/Schemas`, `/ResourceTypes` over HTTP, and the check that
//! every advertised limit is the one enforced.
#![allow(clippy::unwrap_used)]

use scim_harness::client::ScimResponse;
use scim_harness::reference::config::{Limits, ReferenceConfig};
use serde_json::{Value, json};

use crate::common::*;

fn assert_scim_json(r: &ScimResponse) {
    let ct = r.content_type.as_deref().unwrap_or("");
    assert!(ct.starts_with("application/scim+json"), "content-type {ct}");
}

fn user(name: &str) -> Value {
    json!({"schemas": [USER], "userName": name})
}

#[tokio::test]
async fn service_provider_config_advertises_features_and_configured_limits() {
    let limits = Limits {
        max_payload_size: 123_456,
        max_results: 77,
        max_filter_matches: 999,
        bulk_max_operations: 42,
    };
    let (_srv, c) = start_with(ReferenceConfig {
        limits,
        ..Default::default()
    })
    .await;
    let r = c.get("/ServiceProviderConfig").await.unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_scim_json(&r);
    let b = &r.body;
    assert!(
        b["schemas"].as_array().unwrap().contains(&json!(SPC)),
        "{b}"
    );
    assert_eq!(b["patch"]["supported"], true);
    assert_eq!(b["bulk"]["supported"], true);
    assert_eq!(b["bulk"]["maxOperations"], 42);
    assert_eq!(b["bulk"]["maxPayloadSize"], 123_456);
    assert_eq!(b["filter"]["supported"], true);
    assert_eq!(b["filter"]["maxResults"], 77);
    assert_eq!(b["sort"]["supported"], true);
    assert_eq!(b["etag"]["supported"], true);
    assert_eq!(b["changePassword"]["supported"], false);
    let schemes = b["authenticationSchemes"].as_array().unwrap();
    assert_eq!(schemes.len(), 1);
    assert_eq!(schemes[0]["type"], "oauthbearertoken");
    assert_eq!(b["meta"]["resourceType"], "ServiceProviderConfig");
    assert_eq!(
        b["meta"]["location"],
        json!(format!("{}/ServiceProviderConfig", c.base()))
    );
}

#[tokio::test]
async fn service_provider_config_defaults_match_default_limits() {
    let (_srv, c) = start().await;
    let d = Limits::default();
    let b = c.get("/ServiceProviderConfig").await.unwrap().body;
    assert_eq!(b["bulk"]["maxOperations"], json!(d.bulk_max_operations));
    assert_eq!(b["bulk"]["maxPayloadSize"], json!(d.max_payload_size));
    assert_eq!(b["filter"]["maxResults"], json!(d.max_results));
}

#[tokio::test]
async fn filtering_the_service_provider_config_is_403() {
    let (_srv, c) = start().await;
    let r = c
        .get("/ServiceProviderConfig?filter=patch.supported%20eq%20true")
        .await
        .unwrap();
    assert_error(&r, 403, None);
    assert_scim_json(&r);
}

#[tokio::test]
async fn schemas_is_a_list_response_of_four_schemas() {
    let (_srv, c) = start().await;
    let r = c.get("/Schemas").await.unwrap();
    assert_eq!(r.status, 200);
    assert_scim_json(&r);
    assert_eq!(r.body["schemas"], json!([LIST]));
    assert_eq!(r.body["totalResults"], 4);
    assert_eq!(r.body["itemsPerPage"], 4);
    assert_eq!(r.body["startIndex"], 1);
    let ids: Vec<&str> = r.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![USER, GROUP, ENTERPRISE, USERSYNC]);
    for s in r.body["Resources"].as_array().unwrap() {
        assert_eq!(
            s["meta"]["location"],
            json!(format!(
                "{}/Schemas/{}",
                c.base(),
                s["id"].as_str().unwrap()
            ))
        );
        assert!(!s["attributes"].as_array().unwrap().is_empty());
    }
}

#[tokio::test]
async fn schema_by_urn_and_unknown_schema() {
    let (_srv, c) = start().await;
    let r = c.get(&format!("/Schemas/{USER}")).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["id"], USER);
    assert_eq!(r.body["name"], "User");
    let attrs = r.body["attributes"].as_array().unwrap();
    let user_name = attrs.iter().find(|a| a["name"] == "userName").unwrap();
    assert_eq!(user_name["uniqueness"], "server");
    assert_eq!(user_name["caseExact"], false);
    assert_eq!(user_name["required"], true);
    let password = attrs.iter().find(|a| a["name"] == "password").unwrap();
    assert_eq!(password["returned"], "never");
    assert_eq!(password["mutability"], "writeOnly");
    let groups = attrs.iter().find(|a| a["name"] == "groups").unwrap();
    assert_eq!(groups["mutability"], "readOnly");

    let r = c.get(&format!("/Schemas/{ENTERPRISE}")).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body["name"], "EnterpriseUser");

    let r = c
        .get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Nope")
        .await
        .unwrap();
    assert_error(&r, 404, None);
    assert_scim_json(&r);
}

#[tokio::test]
async fn resource_types_list_and_by_id() {
    let (_srv, c) = start().await;
    let r = c.get("/ResourceTypes").await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body["schemas"], json!([LIST]));
    assert_eq!(r.body["totalResults"], 2);
    let ids: Vec<&str> = r.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["User", "Group"]);

    let r = c.get("/ResourceTypes/User").await.unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["endpoint"], "/Users");
    assert_eq!(r.body["schema"], USER);
    assert_eq!(
        r.body["schemaExtensions"],
        json!([
            {"schema": ENTERPRISE, "required": false},
            {"schema": USERSYNC, "required": false},
        ])
    );
    assert_eq!(
        r.body["meta"]["location"],
        json!(format!("{}/ResourceTypes/User", c.base()))
    );

    let r = c.get("/ResourceTypes/Group").await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body["endpoint"], "/Groups");
    assert_eq!(r.body["schema"], GROUP);
    assert_eq!(r.body["schemaExtensions"], json!([]));

    let r = c.get("/ResourceTypes/Device").await.unwrap();
    assert_error(&r, 404, None);
}

#[tokio::test]
async fn advertised_max_results_caps_count() {
    let (_srv, c) = start_with(ReferenceConfig {
        limits: Limits {
            max_results: 5,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let advertised = c.get("/ServiceProviderConfig").await.unwrap().body["filter"]["maxResults"]
        .as_u64()
        .unwrap();
    assert_eq!(advertised, 5);
    for i in 0..8 {
        assert_eq!(
            c.post("/Users", &user(&format!("u{i}")))
                .await
                .unwrap()
                .status,
            201
        );
    }
    for q in [
        "/Users?count=100",
        "/Users",
        "/Users?filter=userName%20sw%20%22u%22&count=6",
    ] {
        let r = c.get(q).await.unwrap();
        assert_eq!(r.status, 200, "{q}: {}", r.raw);
        assert_eq!(r.body["totalResults"], 8, "{q}");
        assert_eq!(r.body["itemsPerPage"], 5, "{q}");
        assert_eq!(r.body["Resources"].as_array().unwrap().len(), 5, "{q}");
    }
}

#[tokio::test]
async fn advertised_max_payload_size_is_enforced_with_413() {
    let (_srv, c) = start_with(ReferenceConfig {
        limits: Limits {
            max_payload_size: 2000,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let spc = c.get("/ServiceProviderConfig").await.unwrap().body;
    let max = spc["bulk"]["maxPayloadSize"].as_u64().unwrap() as usize;
    assert_eq!(max, 2000);
    // Just under the limit: accepted.
    let mut body = json!({"schemas": [USER], "userName": "small", "displayName": ""});
    let room = max - body.to_string().len();
    body["displayName"] = json!("x".repeat(room));
    assert_eq!(body.to_string().len(), max);
    let r = c.post("/Users", &body).await.unwrap();
    assert_eq!(r.status, 201, "{}", r.raw);
    // One byte over: refused, on the resource endpoints and on /Bulk alike.
    let mut big = json!({"schemas": [USER], "userName": "big", "displayName": ""});
    let room = max + 1 - big.to_string().len();
    big["displayName"] = json!("x".repeat(room));
    assert_eq!(big.to_string().len(), max + 1);
    let r = c.post("/Users", &big).await.unwrap();
    assert_error(&r, 413, None);
    let bulk = json!({
        "schemas": [BULK_REQUEST],
        "Operations": [{"method": "POST", "path": "/Users", "bulkId": "b", "data": big}]
    });
    let r = c.post("/Bulk", &bulk).await.unwrap();
    assert_error(&r, 413, None);
    let r = c
        .get("/Users?filter=userName%20eq%20%22big%22")
        .await
        .unwrap();
    assert_eq!(r.body["totalResults"], 0, "{}", r.raw);
}

#[tokio::test]
async fn advertised_bulk_max_operations_is_enforced_with_413() {
    let (_srv, c) = start_with(ReferenceConfig {
        limits: Limits {
            bulk_max_operations: 2,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let spc = c.get("/ServiceProviderConfig").await.unwrap().body;
    assert_eq!(spc["bulk"]["maxOperations"], 2);
    let op = |i: usize| {
        json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"),
               "data": user(&format!("bulk{i}"))})
    };
    let ok = json!({"schemas": [BULK_REQUEST], "Operations": [op(0), op(1)]});
    let r = c.post("/Bulk", &ok).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["Operations"].as_array().unwrap().len(), 2);
    let over = json!({"schemas": [BULK_REQUEST], "Operations": [op(2), op(3), op(4)]});
    let r = c.post("/Bulk", &over).await.unwrap();
    assert_error(&r, 413, None);
    // Nothing of the refused request was applied.
    let r = c.get("/Users").await.unwrap();
    assert_eq!(r.body["totalResults"], 2);
}
