//! R-FILTER over HTTP: every operator, precedence, `not`, parentheses, value paths,
//! sub-attributes, multi-valued attributes, escaped quotes, extension URNs, dates, booleans,
//! caseExact rules, and the `invalidFilter` / `tooMany` errors.
#![allow(clippy::unwrap_used)]

use scim_harness::client::{ScimClient, ScimResponse, encode};
use scim_harness::reference::config::{Limits, ReferenceConfig};
use scim_harness::reference::server::RunningReference;
use serde_json::{Value, json};

use crate::common::*;

/// Four users with data chosen so that every test below tells readings apart.
fn people() -> Vec<Value> {
    vec![
        json!({"schemas": [USER, ENTERPRISE], "userName": "alice", "externalId": "EXT-a",
               "name": {"givenName": "Alice", "familyName": "Smith"}, "title": "Engineer",
               "displayName": "Alice Smith", "active": true,
               "emails": [{"value": "alice@example.com", "type": "work", "primary": true}],
               ENTERPRISE: {"department": "Sales"}}),
        // Bob's work email has no '@'; his home one does: no single email is both.
        json!({"schemas": [USER], "userName": "Bob", "externalId": "ext-b",
               "name": {"givenName": "Bob", "familyName": "Jones"}, "title": "Manager",
               "displayName": "Bob Jones", "active": true,
               "emails": [{"value": "bob@home.org", "type": "home"},
                          {"value": "bob-at-work", "type": "work"}]}),
        json!({"schemas": [USER, ENTERPRISE], "userName": "carol", "externalId": "ext-c",
               "name": {"givenName": "Carol", "familyName": "Doe"},
               "displayName": "Carol \"CJ\" Doe", "active": false,
               "emails": [{"value": "carol@example.org", "type": "work"}],
               ENTERPRISE: {"department": "Engineering"}}),
        json!({"schemas": [USER], "userName": "dave", "externalId": "ext-a",
               "displayName": "Dave", "active": false}),
    ]
}

struct Fixture {
    _srv: RunningReference,
    c: ScimClient,
}

async fn fixture() -> Fixture {
    let (srv, c) = start_with(ReferenceConfig::default()).await;
    for p in people() {
        let r = c.post("/Users", &p).await.unwrap();
        assert_eq!(r.status, 201, "{}", r.raw);
    }
    Fixture { _srv: srv, c }
}

impl Fixture {
    async fn query(&self, filter: &str) -> ScimResponse {
        self.c
            .get(&format!("/Users?filter={}", encode(filter)))
            .await
            .unwrap()
    }

    /// The userNames matching a filter, sorted case-insensitively.
    async fn names(&self, filter: &str) -> Vec<String> {
        let r = self.query(filter).await;
        assert_eq!(r.status, 200, "filter {filter}: {}", r.raw);
        assert_eq!(r.body["schemas"], json!([LIST]));
        let mut n: Vec<String> = r.body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["userName"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(r.body["totalResults"], json!(n.len()), "filter {filter}");
        n.sort_by_key(|s| s.to_lowercase());
        n
    }

    async fn check(&self, filter: &str, expected: &[&str]) {
        assert_eq!(self.names(filter).await, expected, "filter: {filter}");
    }

    async fn id_of(&self, user_name: &str) -> String {
        let r = self.query(&format!("userName eq \"{user_name}\"")).await;
        r.body["Resources"][0]["id"].as_str().unwrap().to_string()
    }
}

#[tokio::test]
async fn string_comparison_operators() {
    let f = fixture().await;
    f.check(r#"userName eq "carol""#, &["carol"]).await;
    f.check(r#"userName ne "carol""#, &["alice", "Bob", "dave"])
        .await;
    f.check(r#"displayName co "Jon""#, &["Bob"]).await;
    f.check(r#"displayName co "SMITH""#, &["alice"]).await;
    f.check(r#"userName sw "AL""#, &["alice"]).await;
    f.check(r#"userName ew "E""#, &["alice", "dave"]).await;
    f.check(r#"userName gt "bob""#, &["carol", "dave"]).await;
    f.check(r#"userName ge "bob""#, &["Bob", "carol", "dave"])
        .await;
    f.check(r#"userName lt "bob""#, &["alice"]).await;
    f.check(r#"userName le "BOB""#, &["alice", "Bob"]).await;
}

#[tokio::test]
async fn presence() {
    let f = fixture().await;
    f.check("title pr", &["alice", "Bob"]).await;
    f.check("emails pr", &["alice", "Bob", "carol"]).await;
    f.check("name.familyName pr", &["alice", "Bob", "carol"])
        .await;
    f.check("not (title pr)", &["carol", "dave"]).await;
}

#[tokio::test]
async fn and_binds_tighter_than_or() {
    let f = fixture().await;
    // alice or (Bob and inactive): Bob is active, so only alice. Read left to right, it would
    // be (alice or Bob) and inactive: nobody.
    f.check(
        r#"userName eq "alice" or userName eq "Bob" and active eq false"#,
        &["alice"],
    )
    .await;
    // (inactive and carol) or alice: carol and alice. Read right-nested as
    // inactive and (carol or alice): carol only.
    f.check(
        r#"active eq false and userName eq "carol" or userName eq "alice""#,
        &["alice", "carol"],
    )
    .await;
    f.check(
        r#"userName eq "alice" and title eq "Engineer" or userName eq "dave""#,
        &["alice", "dave"],
    )
    .await;
}

#[tokio::test]
async fn parentheses_override_precedence() {
    let f = fixture().await;
    f.check(
        r#"userName eq "alice" or userName eq "carol" and active eq false"#,
        &["alice", "carol"],
    )
    .await;
    f.check(
        r#"(userName eq "alice" or userName eq "carol") and active eq false"#,
        &["carol"],
    )
    .await;
    f.check(
        r#"((userName eq "alice")) or ((userName eq "dave") and (active eq false))"#,
        &["alice", "dave"],
    )
    .await;
}

#[tokio::test]
async fn not_negates() {
    let f = fixture().await;
    f.check(r#"not (userName eq "alice")"#, &["Bob", "carol", "dave"])
        .await;
    f.check(r#"not(active eq true) and userName sw "c""#, &["carol"])
        .await;
    f.check(
        r#"not (userName eq "alice" or userName eq "Bob")"#,
        &["carol", "dave"],
    )
    .await;
}

#[tokio::test]
async fn value_path_needs_one_element_to_satisfy_all() {
    let f = fixture().await;
    f.check(
        r#"emails[type eq "work" and value co "@"]"#,
        &["alice", "carol"],
    )
    .await;
    // Bob has a work email and an email with '@', but not in the same element.
    f.check(
        r#"emails.type eq "work" and emails.value co "@""#,
        &["alice", "Bob", "carol"],
    )
    .await;
    f.check(r#"emails[type eq "home"]"#, &["Bob"]).await;
    f.check(
        r#"emails[type eq "work" and value co "@"] and userName ne "alice""#,
        &["carol"],
    )
    .await;
}

#[tokio::test]
async fn sub_attributes_and_multi_valued_attributes() {
    let f = fixture().await;
    f.check(r#"name.familyName eq "jones""#, &["Bob"]).await;
    f.check(r#"NAME.FAMILYNAME sw "D""#, &["carol"]).await;
    f.check(r#"emails.value eq "bob@home.org""#, &["Bob"]).await;
    f.check(r#"emails.value ew ".org""#, &["Bob", "carol"])
        .await;
    f.check(r#"emails.type eq "work""#, &["alice", "Bob", "carol"])
        .await;
}

#[tokio::test]
async fn escaped_quotes_in_values() {
    let f = fixture().await;
    f.check(r#"displayName eq "Carol \"CJ\" Doe""#, &["carol"])
        .await;
    f.check(r#"displayName co "\"CJ\"""#, &["carol"]).await;
    f.check(r#"displayName eq "Carol CJ Doe""#, &[]).await;
}

#[tokio::test]
async fn extension_attributes_by_urn() {
    let f = fixture().await;
    f.check(
        &format!(r#"{ENTERPRISE}:department eq "Sales""#),
        &["alice"],
    )
    .await;
    f.check(&format!(r#"{ENTERPRISE}:department sw "eng""#), &["carol"])
        .await;
    f.check(&format!("{ENTERPRISE}:department pr"), &["alice", "carol"])
        .await;
    // The core URN may qualify core attributes too.
    f.check(&format!(r#"{USER}:userName eq "dave""#), &["dave"])
        .await;
}

#[tokio::test]
async fn booleans_are_compared_as_booleans() {
    let f = fixture().await;
    f.check("active eq false", &["carol", "dave"]).await;
    f.check("active eq true", &["alice", "Bob"]).await;
    f.check("active ne true", &["carol", "dave"]).await;
    f.check("ACTIVE EQ FALSE", &["carol", "dave"]).await;
}

#[tokio::test]
async fn attribute_names_and_operators_are_case_insensitive() {
    let f = fixture().await;
    f.check(r#"USERNAME eq "ALICE""#, &["alice"]).await;
    f.check(r#"UserName EQ "bob""#, &["Bob"]).await;
    f.check(r#"username Sw "CAR""#, &["carol"]).await;
}

#[tokio::test]
async fn external_id_and_id_are_case_exact() {
    let f = fixture().await;
    f.check(r#"externalId eq "EXT-a""#, &["alice"]).await;
    f.check(r#"externalId eq "ext-a""#, &["dave"]).await;
    f.check(r#"externalId eq "EXT-A""#, &[]).await;
    f.check(r#"externalId sw "ext-""#, &["Bob", "carol", "dave"])
        .await;
    let id = f.id_of("alice").await;
    f.check(&format!(r#"id eq "{id}""#), &["alice"]).await;
    f.check(
        &format!(r#"id eq "{id}" and userName eq "ALICE""#),
        &["alice"],
    )
    .await;
}

#[tokio::test]
async fn id_filter_is_case_exact() {
    let f = fixture().await;
    let id = f.id_of("alice").await;
    for other in [
        id.to_uppercase(),
        id.replace('-', ""),
        format!("urn:uuid:{id}"),
        format!("{{{id}}}"),
    ] {
        f.check(&format!(r#"id eq "{other}""#), &[]).await;
        // The same spelling inside a conjunction is evaluated, not looked up.
        f.check(&format!(r#"id eq "{other}" and userName pr"#), &[])
            .await;
    }
}

#[tokio::test]
async fn dates_compare_as_date_times() {
    let (_srv, c) = start_with(ReferenceConfig::default()).await;
    let f = Fixture { _srv, c };
    for name in ["early1", "early2"] {
        let r =
            f.c.post("/Users", &json!({"schemas": [USER], "userName": name}))
                .await
                .unwrap();
        assert_eq!(r.status, 201);
    }
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let cut = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let late =
        f.c.post("/Users", &json!({"schemas": [USER], "userName": "late"}))
            .await
            .unwrap();
    assert_eq!(late.status, 201);
    let cut_ms = cut.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    f.check(&format!(r#"meta.created gt "{cut_ms}""#), &["late"])
        .await;
    f.check(
        &format!(r#"meta.created lt "{cut_ms}""#),
        &["early1", "early2"],
    )
    .await;
    // Another offset for the same instant: compared as instants, not as text.
    let cut_plus2 = cut
        .with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap())
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
    f.check(&format!(r#"meta.created gt "{cut_plus2}""#), &["late"])
        .await;

    // A replace of early1 after a second cut moves only its lastModified.
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let cut2 = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let id = f.id_of("early1").await;
    let r =
        f.c.put(
            &format!("/Users/{id}"),
            &json!({"schemas": [USER], "userName": "early1", "title": "t"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    f.check(&format!(r#"meta.lastModified gt "{cut2}""#), &["early1"])
        .await;
    f.check(&format!(r#"meta.created gt "{cut2}""#), &[]).await;
    f.check(
        &format!(r#"meta.lastModified ge "{cut_ms}""#),
        &["early1", "late"],
    )
    .await;
}

#[tokio::test]
async fn bad_syntax_is_invalid_filter() {
    let f = fixture().await;
    for bad in [
        "userName eq",
        r#"userName zz "x""#,
        r#"(userName eq "alice""#,
        r#"userName eq "alice")"#,
        r#"userName eq "unterminated"#,
        r#"userName eq "a" and"#,
        r#"emails[type eq "work""#,
        r#"userName eq alice"#,
        "",
        "   ",
        r#"not userName eq "alice""#,
    ] {
        let r = f.query(bad).await;
        assert_error(&r, 400, Some("invalidFilter"));
        assert!(
            r.content_type
                .as_deref()
                .unwrap()
                .starts_with("application/scim+json")
        );
    }
}

#[tokio::test]
async fn unknown_attribute_is_invalid_filter() {
    let f = fixture().await;
    for bad in [
        r#"shoeSize eq "9""#,
        r#"name.nickname eq "x""#,
        r#"urn:example:nope:department eq "x""#,
        r#"emails[shoe eq "x"]"#,
    ] {
        assert_error(&f.query(bad).await, 400, Some("invalidFilter"));
    }
}

#[tokio::test]
async fn too_many_matches_is_400_too_many() {
    let (_srv, c) = start_with(ReferenceConfig {
        limits: Limits {
            max_filter_matches: 3,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let f = Fixture { _srv, c };
    for p in people() {
        assert_eq!(f.c.post("/Users", &p).await.unwrap().status, 201);
    }
    assert_error(&f.query("userName pr").await, 400, Some("tooMany"));
    // Three matches are still fine, and so is an unfiltered listing of all four.
    f.check(r#"userName ne "dave""#, &["alice", "Bob", "carol"])
        .await;
    let r = f.c.get("/Users").await.unwrap();
    assert_eq!(r.body["totalResults"], 4);
}

#[tokio::test]
async fn group_lookup_by_display_name_without_members() {
    let f = fixture().await;
    let alice = f.id_of("alice").await;
    let r =
        f.c.post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "Sales Team",
                    "members": [{"value": alice}]}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201);
    let gid = r.body["id"].as_str().unwrap().to_string();
    let other =
        f.c.post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "Other"}),
        )
        .await
        .unwrap();
    assert_eq!(other.status, 201);
    let q = format!(
        "/Groups?filter={}&excludedAttributes=members",
        encode(r#"displayName eq "Sales Team""#)
    );
    let r = f.c.get(&q).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["schemas"], json!([LIST]));
    assert_eq!(r.body["totalResults"], 1);
    let g = &r.body["Resources"][0];
    assert_eq!(g["id"], json!(gid));
    assert_eq!(g["displayName"], "Sales Team");
    assert!(g.get("members").is_none(), "{g}");
    // Without the exclusion the members are there; a miss is an empty ListResponse.
    let q = format!(
        "/Groups?filter={}",
        encode(r#"displayName eq "sales team""#)
    );
    let r = f.c.get(&q).await.unwrap();
    assert_eq!(r.body["Resources"][0]["members"][0]["value"], json!(alice));
    let q = format!(
        "/Groups?filter={}&excludedAttributes=members",
        encode(r#"displayName eq "nobody""#)
    );
    let r = f.c.get(&q).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body["totalResults"], 0);
    assert_eq!(r.body["Resources"], json!([]));
}

#[tokio::test]
async fn group_filter_on_members_value() {
    let f = fixture().await;
    let bob = f.id_of("Bob").await;
    for (name, members) in [("A", json!([{"value": bob}])), ("B", json!([]))] {
        let r =
            f.c.post(
                "/Groups",
                &json!({"schemas": [GROUP], "displayName": name, "members": members}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{}", r.raw);
    }
    let q = format!(
        "/Groups?filter={}",
        encode(&format!(r#"members.value eq "{bob}""#))
    );
    let r = f.c.get(&q).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    assert_eq!(r.body["totalResults"], 1);
    assert_eq!(r.body["Resources"][0]["displayName"], "A");
}

#[tokio::test]
async fn test_connection_query_answers_an_empty_list() {
    let f = fixture().await;
    let r = f
        .query(&format!(r#"userName eq "{}""#, uuid::Uuid::new_v4()))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["schemas"], json!([LIST]));
    assert_eq!(r.body["totalResults"], 0);
    assert_eq!(r.body["itemsPerPage"], 0);
}

#[tokio::test]
async fn search_endpoint_accepts_the_same_filters() {
    let f = fixture().await;
    let r =
        f.c.post(
            "/Users/.search",
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                    "filter": "emails[type eq \"work\" and value co \"@\"]",
                    "attributes": ["userName"], "sortBy": "userName"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.raw);
    let names: Vec<&str> = r.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["alice", "carol"]);
    assert!(r.body["Resources"][0].get("emails").is_none());
    let r =
        f.c.post(
            "/Users/.search",
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                    "filter": "userName eq"}),
        )
        .await
        .unwrap();
    assert_error(&r, 400, Some("invalidFilter"));
}
