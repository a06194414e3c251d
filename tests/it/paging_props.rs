//! Property: paging through any filter and any sort returns every match exactly once, and
//! `totalResults` equals the number of matches (RFC 7644 §3.4.2.4). Runs against the reference's
//! resource layer directly (no sockets), so many cases fit in a few seconds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use scim_harness::clock::SystemClock;
use scim_harness::reference::config::ReferenceConfig;
use scim_harness::reference::resources::{self, ListParams};
use scim_harness::reference::store::{Kind, Store};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone)]
struct U {
    name: String,
    title: Option<String>,
    active: bool,
    dept: Option<String>,
}

fn user() -> impl Strategy<Value = U> {
    (
        "[a-c]{1,3}",
        proptest::option::of(prop_oneof!["Eng", "eng", "Ops", "Sales"].prop_map(String::from)),
        any::<bool>(),
        proptest::option::of(prop_oneof!["A", "B"].prop_map(String::from)),
    )
        .prop_map(|(name, title, active, dept)| U {
            name,
            title,
            active,
            dept,
        })
}

const FILTERS: &[Option<&str>] = &[
    None,
    Some("active eq true"),
    Some("title pr"),
    Some("not (title eq \"eng\")"),
    Some("userName sw \"a\" or active eq false"),
    Some(
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"A\" and active eq true",
    ),
    Some("title gt \"F\""),
];

const SORTS: &[Option<(&str, &str)>] = &[
    None,
    Some(("userName", "ascending")),
    Some(("title", "ascending")),
    Some(("title", "descending")),
    Some(("externalId", "descending")),
];

fn check_paging(users: Vec<U>, filter: usize, sort: usize, page: i64) -> Result<(), TestCaseError> {
    let store = Store::new(ReferenceConfig::default(), Arc::new(SystemClock));
    let mut ids = Vec::new();
    for (i, u) in users.iter().enumerate() {
        let mut body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": format!("{}{i}", u.name),
            "externalId": format!("x{}", i % 5),
            "active": u.active,
        });
        if let Some(t) = &u.title {
            body["title"] = json!(t);
        }
        if let Some(d) = &u.dept {
            body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] =
                json!({"department": d});
        }
        let (_, _, created) =
            resources::create(&store, Kind::User, &body, None, None, "http://x").unwrap();
        ids.push(created["id"].as_str().unwrap().to_string());
    }
    let base = ListParams {
        filter: FILTERS[filter].map(str::to_string),
        sort_by: SORTS[sort].map(|s| s.0.to_string()),
        sort_order: SORTS[sort].map(|s| s.1.to_string()),
        ..ListParams::default()
    };
    // Everything at once: the reference answer for count and order.
    let all: Value = serde_json::from_str(
        &resources::list(
            &store,
            Kind::User,
            &ListParams {
                count: Some(1000),
                ..base.clone()
            },
            "http://x",
        )
        .unwrap(),
    )
    .unwrap();
    let expected: Vec<String> = all["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    prop_assert_eq!(
        all["totalResults"].as_u64().unwrap() as usize,
        expected.len()
    );

    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut order = Vec::new();
    let mut start = 1i64;
    loop {
        let resp: Value = serde_json::from_str(
            &resources::list(
                &store,
                Kind::User,
                &ListParams {
                    start_index: Some(start),
                    count: Some(page),
                    ..base.clone()
                },
                "http://x",
            )
            .unwrap(),
        )
        .unwrap();
        let items = resp["Resources"].as_array().unwrap();
        prop_assert_eq!(resp["itemsPerPage"].as_u64().unwrap() as usize, items.len());
        prop_assert_eq!(
            resp["totalResults"].as_u64().unwrap() as usize,
            expected.len()
        );
        if items.is_empty() {
            break;
        }
        for it in items {
            let id = it["id"].as_str().unwrap().to_string();
            *seen.entry(id.clone()).or_default() += 1;
            order.push(id);
        }
        start += items.len() as i64;
    }
    prop_assert!(seen.values().all(|n| *n == 1), "an item appeared twice");
    prop_assert_eq!(
        &order,
        &expected,
        "pages concatenated differ from the full listing"
    );
    if FILTERS[filter].is_none() {
        prop_assert_eq!(order.len(), ids.len());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn paging_returns_every_match_exactly_once(
        users in proptest::collection::vec(user(), 0..40),
        filter in 0..FILTERS.len(),
        sort in 0..SORTS.len(),
        page in 1i64..8,
    ) {
        check_paging(users, filter, sort, page)?;
    }
}

// The long mode: the same property, a million cases.
proptest! {
    #![proptest_config(crate::common::long_mode())]

    #[test]
    #[ignore = "long mode: a million cases (cargo test -- --ignored)"]
    fn paging_returns_every_match_exactly_once_long(
        users in proptest::collection::vec(user(), 0..40),
        filter in 0..FILTERS.len(),
        sort in 0..SORTS.len(),
        page in 1i64..8,
    ) {
        check_paging(users, filter, sort, page)?;
    }
}
