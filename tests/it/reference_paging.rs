//! R-PAGE and R-SORT over HTTP: startIndex / count, itemsPerPage, caps, and sortBy / sortOrder
//! with caseExact rules and missing values.
#![allow(clippy::unwrap_used)]

use scim_harness::client::{ScimClient, ScimResponse, encode};
use scim_harness::reference::config::{Limits, ReferenceConfig};
use scim_harness::reference::server::RunningReference;
use serde_json::{Value, json};
use std::collections::HashSet;

use crate::common::*;

async fn with_users(cfg: ReferenceConfig, n: usize) -> (RunningReference, ScimClient) {
    let (srv, c) = start_with(cfg).await;
    for i in 0..n {
        let r = c
            .post(
                "/Users",
                &json!({"schemas": [USER], "userName": format!("user{i:02}")}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.raw);
    }
    (srv, c)
}

fn field(r: &ScimResponse, name: &str) -> Vec<String> {
    r.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u[name].as_str().unwrap_or("<missing>").to_string())
        .collect()
}

async fn page(c: &ScimClient, query: &str) -> ScimResponse {
    let r = c.get(&format!("/Users?{query}")).await.unwrap();
    assert_eq!(r.status, 200, "{query}: {}", r.raw);
    assert_eq!(r.body["schemas"], json!([LIST]));
    assert_eq!(
        r.body["itemsPerPage"],
        json!(r.body["Resources"].as_array().unwrap().len()),
        "{query}"
    );
    r
}

/// Walks all pages of a listing and checks each user appears exactly once.
async fn walk(c: &ScimClient, extra: &str, count: usize, total: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut start = 1;
    loop {
        let r = page(c, &format!("startIndex={start}&count={count}{extra}")).await;
        assert_eq!(r.body["totalResults"], json!(total));
        assert_eq!(r.body["startIndex"], json!(start));
        let ids = field(&r, "id");
        let expected = count.min(total.saturating_sub(start - 1));
        assert_eq!(ids.len(), expected, "page at {start}");
        if ids.is_empty() {
            break;
        }
        seen.extend(field(&r, "userName"));
        start += ids.len();
    }
    assert_eq!(seen.len(), total);
    let distinct: HashSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), total, "a user appeared twice: {seen:?}");
    seen
}

#[tokio::test]
async fn pages_cover_every_user_exactly_once() {
    let (_srv, c) = with_users(ReferenceConfig::default(), 25).await;
    walk(&c, "", 10, 25).await;
    walk(&c, "", 7, 25).await;
    walk(&c, "", 1, 25).await;
    // The filtered and sorted path pages the same way.
    let sorted = walk(
        &c,
        &format!("&filter={}&sortBy=userName", encode("userName sw \"user\"")),
        4,
        25,
    )
    .await;
    let expected: Vec<String> = (0..25).map(|i| format!("user{i:02}")).collect();
    assert_eq!(sorted, expected);
    let desc = walk(&c, "&sortBy=userName&sortOrder=descending", 6, 25).await;
    let mut rev = expected.clone();
    rev.reverse();
    assert_eq!(desc, rev);
}

#[tokio::test]
async fn start_index_below_one_means_one() {
    let (_srv, c) = with_users(ReferenceConfig::default(), 5).await;
    let first = page(&c, "startIndex=1&count=2").await;
    for q in ["startIndex=0&count=2", "startIndex=-7&count=2"] {
        let r = page(&c, q).await;
        assert_eq!(r.body["startIndex"], 1, "{q}");
        assert_eq!(field(&r, "id"), field(&first, "id"), "{q}");
    }
    let r = page(&c, "startIndex=-1&count=2&sortBy=userName").await;
    assert_eq!(r.body["startIndex"], 1);
    assert_eq!(field(&r, "userName"), vec!["user00", "user01"]);
}

#[tokio::test]
async fn start_index_past_the_end_is_an_empty_page() {
    let (_srv, c) = with_users(ReferenceConfig::default(), 5).await;
    for q in ["startIndex=6", "startIndex=1000&sortBy=userName"] {
        let r = page(&c, q).await;
        assert_eq!(r.body["totalResults"], 5);
        assert_eq!(r.body["Resources"], json!([]));
        assert_eq!(r.body["itemsPerPage"], 0);
    }
    let r = page(&c, "startIndex=5").await;
    assert_eq!(r.body["itemsPerPage"], 1);
}

#[tokio::test]
async fn count_zero_returns_only_the_total() {
    let (_srv, c) = with_users(ReferenceConfig::default(), 25).await;
    for q in [
        "count=0",
        "count=0&startIndex=3",
        "count=0&filter=userName%20sw%20%22user1%22",
    ] {
        let r = page(&c, q).await;
        let expected_total = if q.contains("filter") { 10 } else { 25 };
        assert_eq!(r.body["totalResults"], expected_total, "{q}");
        assert_eq!(r.body["itemsPerPage"], 0, "{q}");
        assert!(
            r.body
                .get("Resources")
                .is_none_or(|v| v.as_array().is_some_and(Vec::is_empty)),
            "{q}: {}",
            r.body
        );
    }
}

#[tokio::test]
async fn count_above_the_maximum_is_capped() {
    let (_srv, c) = with_users(
        ReferenceConfig {
            limits: Limits {
                max_results: 10,
                ..Default::default()
            },
            ..Default::default()
        },
        25,
    )
    .await;
    for q in [
        "count=11",
        "count=1000",
        "count=9223372036854775807",
        "",
        "sortBy=userName&count=50",
    ] {
        let r = page(&c, q).await;
        assert_eq!(r.body["totalResults"], 25, "{q}");
        assert_eq!(r.body["itemsPerPage"], 10, "{q}");
    }
    assert_eq!(page(&c, "count=9").await.body["itemsPerPage"], 9);
    walk(&c, "", 10, 25).await;
}

#[tokio::test]
async fn non_integer_paging_parameters_are_400() {
    let (_srv, c) = with_users(ReferenceConfig::default(), 2).await;
    for q in [
        "count=ten",
        "count=1.5",
        "startIndex=abc",
        "count=",
        "count=99999999999999999999",
    ] {
        let r = c.get(&format!("/Users?{q}")).await.unwrap();
        assert_error(&r, 400, Some("invalidValue"));
    }
}

async fn named(c: &ScimClient, users: &[Value]) {
    for u in users {
        let r = c.post("/Users", u).await.unwrap();
        assert_eq!(r.status, 201, "{}", r.raw);
    }
}

#[tokio::test]
async fn sort_by_user_name_is_case_insensitive() {
    let (_srv, c) = start_with(ReferenceConfig::default()).await;
    named(
        &c,
        &[
            json!({"schemas": [USER], "userName": "carol"}),
            json!({"schemas": [USER], "userName": "alice"}),
            json!({"schemas": [USER], "userName": "Bob"}),
        ],
    )
    .await;
    let r = page(&c, "sortBy=userName").await;
    assert_eq!(field(&r, "userName"), vec!["alice", "Bob", "carol"]);
    let r = page(&c, "sortBy=USERNAME&sortOrder=ascending").await;
    assert_eq!(field(&r, "userName"), vec!["alice", "Bob", "carol"]);
    let r = page(&c, "sortBy=userName&sortOrder=descending").await;
    assert_eq!(field(&r, "userName"), vec!["carol", "Bob", "alice"]);
    let r = page(&c, "sortBy=userName&sortOrder=DESCENDING&count=2").await;
    assert_eq!(field(&r, "userName"), vec!["carol", "Bob"]);
}

#[tokio::test]
async fn missing_values_sort_last_ascending_and_first_descending() {
    let (_srv, c) = start_with(ReferenceConfig::default()).await;
    named(
        &c,
        &[
            json!({"schemas": [USER], "userName": "n1"}),
            json!({"schemas": [USER], "userName": "t-b", "title": "beta"}),
            json!({"schemas": [USER], "userName": "n2"}),
            json!({"schemas": [USER], "userName": "t-a", "title": "Alpha"}),
        ],
    )
    .await;
    let r = page(&c, "sortBy=title").await;
    let names = field(&r, "userName");
    assert_eq!(&names[..2], &["t-a", "t-b"]);
    let mut tail = names[2..].to_vec();
    tail.sort();
    assert_eq!(tail, vec!["n1", "n2"]);

    let r = page(&c, "sortBy=title&sortOrder=descending").await;
    let names = field(&r, "userName");
    let mut head = names[..2].to_vec();
    head.sort();
    assert_eq!(head, vec!["n1", "n2"]);
    assert_eq!(&names[2..], &["t-b", "t-a"]);
}

#[tokio::test]
async fn case_exact_external_id_sorts_by_code_point() {
    let (_srv, c) = start_with(ReferenceConfig::default()).await;
    named(
        &c,
        &[
            json!({"schemas": [USER], "userName": "u1", "externalId": "b"}),
            json!({"schemas": [USER], "userName": "u2", "externalId": "B"}),
            json!({"schemas": [USER], "userName": "u3", "externalId": "a"}),
            json!({"schemas": [USER], "userName": "u4", "externalId": "A"}),
        ],
    )
    .await;
    let r = page(&c, "sortBy=externalId").await;
    assert_eq!(field(&r, "externalId"), vec!["A", "B", "a", "b"]);
    let r = page(&c, "sortBy=externalId&sortOrder=descending").await;
    assert_eq!(field(&r, "externalId"), vec!["b", "a", "B", "A"]);
}

#[tokio::test]
async fn sort_by_sub_attribute_and_multi_valued_primary() {
    let (_srv, c) = start_with(ReferenceConfig::default()).await;
    named(
        &c,
        &[
            json!({"schemas": [USER], "userName": "x", "name": {"familyName": "Zed"},
                   "emails": [{"value": "a@x", "type": "home"},
                              {"value": "z@x", "type": "work", "primary": true}]}),
            json!({"schemas": [USER], "userName": "y", "name": {"familyName": "adams"},
                   "emails": [{"value": "m@x", "type": "work"}]}),
        ],
    )
    .await;
    let r = page(&c, "sortBy=name.familyName").await;
    assert_eq!(field(&r, "userName"), vec!["y", "x"]);
    // A multi-valued attribute sorts by its primary value (z@x), not its first (a@x).
    let r = page(&c, "sortBy=emails").await;
    assert_eq!(field(&r, "userName"), vec!["y", "x"]);
    let r = page(&c, "sortBy=emails.value&sortOrder=descending").await;
    assert_eq!(field(&r, "userName"), vec!["x", "y"]);
}

#[tokio::test]
async fn unknown_sort_by_or_sort_order_is_400() {
    let (_srv, c) = with_users(ReferenceConfig::default(), 2).await;
    for q in [
        "sortBy=shoeSize",
        "sortBy=name.nickname",
        "sortBy=userName&sortOrder=sideways",
    ] {
        let r = c.get(&format!("/Users?{q}")).await.unwrap();
        assert_eq!(r.status, 400, "{q}: {}", r.raw);
        assert_eq!(r.body["schemas"], json!([ERROR]));
        assert_eq!(r.body["status"], "400");
    }
}
