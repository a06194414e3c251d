//! R-FILTER, R-SORT and search odds and ends over HTTP: typed comparisons that must fail
//! (`gt` on a boolean), `meta` and extension sub-attributes, keyword case, JSON escapes,
//! `not` inside a value filter, and `/.search` at the root and per type.
#![allow(clippy::unwrap_used)]

use scim_harness::client::{ScimClient, ScimResponse, encode};
use scim_harness::reference::server::RunningReference;
use serde_json::{Value, json};

use crate::common::*;

struct Fx {
    _srv: RunningReference,
    c: ScimClient,
    alice: String,
    bob: String,
    group: String,
}

async fn fixture() -> Fx {
    let (srv, c) = start().await;
    let mk = |body: Value, path: &'static str| {
        let c = c.clone();
        async move {
            let r = c.post(path, &body).await.unwrap();
            assert_eq!(r.status, 201, "{}", r.raw);
            r.body["id"].as_str().unwrap().to_string()
        }
    };
    let alice = mk(
        json!({"schemas": [USER, ENTERPRISE], "userName": "alice", "externalId": "shared",
               "active": true, "name": {"givenName": "A"},
               "emails": [{"value": "a@work", "type": "work", "primary": true}],
               ENTERPRISE: {"department": "Sales", "manager": {"value": "m-1"}}}),
        "/Users",
    )
    .await;
    // Distinct creation instants, for sorting by meta.created.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let bob = mk(
        json!({"schemas": [USER, ENTERPRISE], "userName": "bob", "active": false,
               "emails": [{"value": "b@home", "type": "home"}],
               ENTERPRISE: {"department": "Engineering"}}),
        "/Users",
    )
    .await;
    let group = mk(
        json!({"schemas": [GROUP], "displayName": "Grp", "externalId": "shared"}),
        "/Groups",
    )
    .await;
    Fx {
        _srv: srv,
        c,
        alice,
        bob,
        group,
    }
}

impl Fx {
    async fn get(&self, endpoint: &str, filter: &str) -> ScimResponse {
        self.c
            .get(&format!("{endpoint}?filter={}", encode(filter)))
            .await
            .unwrap()
    }

    async fn ids(&self, filter: &str) -> Vec<String> {
        let r = self.get("/Users", filter).await;
        assert_eq!(r.status, 200, "{filter}: {}", r.raw);
        let mut ids: Vec<String> = r.body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    }

    fn sorted(&self, ids: &[&String]) -> Vec<String> {
        let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }
}

#[tokio::test]
async fn ordering_operators_on_booleans_are_invalid_filter() {
    let f = fixture().await;
    for bad in [
        "active gt true",
        "active ge false",
        "active lt true",
        "active le true",
    ] {
        assert_error(&f.get("/Users", bad).await, 400, Some("invalidFilter"));
    }
}

#[tokio::test]
async fn meta_and_extension_sub_attributes() {
    let f = fixture().await;
    let both = f.sorted(&[&f.alice, &f.bob]);
    assert_eq!(f.ids(r#"meta.resourceType eq "User""#).await, both);
    assert_eq!(
        f.ids(&format!(r#"{ENTERPRISE}:manager.value eq "m-1""#))
            .await,
        vec![f.alice.clone()]
    );
    assert_eq!(
        f.ids(&format!(
            r#"{}:department eq "engineering""#,
            ENTERPRISE.to_uppercase()
        ))
        .await,
        vec![f.bob.clone()]
    );
    assert_eq!(f.ids("emails.primary eq true").await, vec![f.alice.clone()]);
    assert_eq!(f.ids("name pr").await, vec![f.alice.clone()]);
}

#[tokio::test]
async fn ids_of_another_type_do_not_match() {
    let f = fixture().await;
    assert!(f.ids(&format!(r#"id eq "{}""#, f.group)).await.is_empty());
    let r = f.get("/Groups", &format!(r#"id eq "{}""#, f.alice)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["totalResults"], 0);
    let r = f.get("/Groups", &format!(r#"id eq "{}""#, f.group)).await;
    assert_eq!(r.body["totalResults"], 1);
}

#[tokio::test]
async fn logical_keywords_are_case_insensitive() {
    let f = fixture().await;
    let both = f.sorted(&[&f.alice, &f.bob]);
    assert_eq!(
        f.ids(r#"userName eq "alice" OR userName eq "bob""#).await,
        both
    );
    assert_eq!(
        f.ids(r#"userName eq "alice" AND active EQ true"#).await,
        vec![f.alice.clone()]
    );
    assert_eq!(
        f.ids(r#"NOT (userName eq "alice")"#).await,
        vec![f.bob.clone()]
    );
    assert_eq!(f.ids("userName PR").await, both);
}

#[tokio::test]
async fn string_values_follow_json_escapes() {
    let f = fixture().await;
    assert_eq!(
        f.ids(r#"userName eq "\u0061lice""#).await,
        vec![f.alice.clone()]
    );
}

#[tokio::test]
async fn not_inside_a_value_filter() {
    let f = fixture().await;
    assert_eq!(
        f.ids(r#"emails[not (type eq "work")]"#).await,
        vec![f.bob.clone()]
    );
    assert_eq!(
        f.ids(r#"not (emails[type eq "work"])"#).await,
        vec![f.bob.clone()]
    );
}

#[tokio::test]
async fn root_search_spans_resource_types() {
    let f = fixture().await;
    let r =
        f.c.post(
            "/.search",
            &json!({"schemas": [SEARCH], "filter": "externalId eq \"shared\""}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["totalResults"], 2);
    let mut types: Vec<&str> = r.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["meta"]["resourceType"].as_str().unwrap())
        .collect();
    types.sort();
    assert_eq!(types, vec!["Group", "User"]);
    // A filter only Users understand matches only users.
    let r =
        f.c.post(
            "/.search",
            &json!({"schemas": [SEARCH], "filter": "userName sw \"a\""}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["totalResults"], 1);
    let r =
        f.c.post(
            "/.search",
            &json!({"schemas": [SEARCH], "filter": "shoe eq 1"}),
        )
        .await
        .unwrap();
    assert_error(&r, 400, Some("invalidFilter"));
    let r =
        f.c.post("/.search", &json!({"filter": "userName pr"}))
            .await
            .unwrap();
    assert_error(&r, 400, Some("invalidSyntax"));
}

#[tokio::test]
async fn search_body_paging_and_sorting() {
    let f = fixture().await;
    let r =
        f.c.post(
            "/Users/.search",
            &json!({"schemas": [SEARCH], "sortBy": "userName", "sortOrder": "descending",
                    "startIndex": 2, "count": 1, "excludedAttributes": ["emails"]}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["totalResults"], 2);
    assert_eq!(r.body["startIndex"], 2);
    assert_eq!(r.body["itemsPerPage"], 1);
    assert_eq!(r.body["Resources"][0]["userName"], "alice");
    assert!(r.body["Resources"][0].get("emails").is_none());
    let r =
        f.c.post(
            "/Groups/.search",
            &json!({"schemas": [SEARCH], "count": "ten"}),
        )
        .await
        .unwrap();
    assert_error(&r, 400, Some("invalidValue"));
}

#[tokio::test]
async fn sort_by_dates_and_extension_attributes() {
    let f = fixture().await;
    let names = |r: &ScimResponse| -> Vec<String> {
        r.body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["userName"].as_str().unwrap().to_string())
            .collect()
    };
    let r =
        f.c.get(&format!(
            "/Users?sortBy={}",
            encode(&format!("{ENTERPRISE}:department"))
        ))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(names(&r), vec!["bob", "alice"]);
    let r = f.c.get("/Users?sortBy=meta.created").await.unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(names(&r), vec!["alice", "bob"]);
    // Touch alice: she becomes the most recently modified.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let r =
        f.c.put(
            &format!("/Users/{}", f.alice),
            &json!({"schemas": [USER], "userName": "alice"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let r =
        f.c.get("/Users?sortBy=meta.lastModified&sortOrder=descending")
            .await
            .unwrap();
    assert_eq!(names(&r), vec!["alice", "bob"]);
    let r = f.c.get("/Groups?sortBy=displayName").await.unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["Resources"][0]["displayName"], "Grp");
}

#[tokio::test]
async fn case_insensitive_matching_is_unicode_aware_and_agrees_with_uniqueness() {
    let f = fixture().await;
    let r =
        f.c.post(
            "/Users",
            &json!({"schemas": [USER], "userName": "ÅSA.ÖBERG"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.raw);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(f.ids(r#"userName eq "åsa.öberg""#).await, vec![id.clone()]);
    assert_eq!(f.ids(r#"userName sw "åSA""#).await, vec![id]);
    let r =
        f.c.post(
            "/Users",
            &json!({"schemas": [USER], "userName": "åsa.öberg"}),
        )
        .await
        .unwrap();
    assert_error(&r, 409, Some("uniqueness"));
}
