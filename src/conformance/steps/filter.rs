//! Querying users (RFC 7644 §3.4.2): filters, pagination and sorting, and the advertised
//! limits on them. Results are scoped to the scenario's own users on the client side (see
//! `world`), so counts and orders are exact even on a shared target.

use super::discovery::list_resources;
use super::{ensure, get_ci, names, show, skip_unless};
use crate::client::encode;
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Failure, StepResult};
use cucumber::{given, then, when};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashSet;

/// Most users a scenario creates to probe a limit; above it the probe is skipped.
const PROBE_BUDGET: u64 = 200;

#[when(regex = r"^I search users with the filter (.+)$")]
async fn search(w: &mut ScimWorld, filter: String) -> StepResult {
    for attr in crate::conformance::schema::filter_attributes(&filter) {
        w.applicable(&attr)?;
    }
    w.search_users(Some(&filter), "").await.map(|_| ())
}

#[when(regex = r#"^I look up users whose userName equals "([^"]+)"$"#)]
async fn look_up(w: &mut ScimWorld, name: String) -> StepResult {
    w.search_users(Some(&format!("userName eq \"{name}\"")), "")
        .await
        .map(|_| ())
}

#[when(regex = r"^I search users with the malformed filter (.+)$")]
async fn search_malformed(w: &mut ScimWorld, filter: String) -> StepResult {
    let path = format!("/Users?filter={}", encode(&filter));
    w.call(Method::GET, &path, None, &[]).await.map(|_| ())
}

#[when(regex = r#"^I look up a user with a random userName$"#)]
async fn random_lookup(w: &mut ScimWorld) -> StepResult {
    let filter = format!("userName eq \"{}\"", uuid::Uuid::new_v4());
    let path = format!("/Users?filter={}", encode(&filter));
    w.call(Method::GET, &path, None, &[]).await.map(|_| ())
}

#[when(regex = r"^I search my users with a POST to \.search for the filter (.+)$")]
async fn search_post(w: &mut ScimWorld, filter: String) -> StepResult {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": w.rewrite_filter(&filter),
    });
    w.call(Method::POST, "/Users/.search", Some(&body), &[])
        .await
        .map(|_| ())
}

/// The feature names of the scenario's own users in the last list, in the order listed.
fn found(w: &ScimWorld) -> Result<Vec<String>, Failure> {
    Ok(w.own(&list_resources(w)?)
        .iter()
        .map(|u| w.user_alias(&show(get_ci(u, "userName"))))
        .collect())
}

#[then(regex = r"^exactly (\d+) users? (?:is|are) found$")]
async fn exactly_n(w: &mut ScimWorld, n: usize) -> StepResult {
    let got = found(w)?;
    let total = get_ci(&w.response()?.body, "totalResults").and_then(Value::as_u64);
    ensure(
        got.len() == n && total == Some(n as u64),
        w.last.as_ref(),
        "RFC 7644 §3.4.2",
        "the query returns exactly the matching users",
        format!("{n} user(s), totalResults {n}"),
        format!(
            "{} user(s) [{}], totalResults {}",
            got.len(),
            got.join(", "),
            total.map_or("(absent)".into(), |t| t.to_string())
        ),
    )
}

#[then(regex = r"^the users found are (.+)$")]
async fn found_are(w: &mut ScimWorld, list: String) -> StepResult {
    let mut want = names(&list);
    want.sort();
    let mut got = found(w)?;
    got.sort();
    ensure(
        got == want,
        w.last.as_ref(),
        "RFC 7644 §3.4.2.2",
        "the filter selects exactly these users",
        if want.is_empty() {
            "none".into()
        } else {
            want.join(", ")
        },
        if got.is_empty() {
            "none".into()
        } else {
            got.join(", ")
        },
    )
}

#[then(regex = r"^the response is a ListResponse with no resources$")]
async fn empty_list(w: &mut ScimWorld) -> StepResult {
    let items = list_resources(w)?;
    let total = get_ci(&w.response()?.body, "totalResults").and_then(Value::as_u64);
    ensure(
        items.is_empty() && total == Some(0),
        w.last.as_ref(),
        "RFC 7644 §3.4.2",
        "a query that matches nothing answers 200 with an empty ListResponse",
        "totalResults 0, no resources",
        format!(
            "totalResults {}, {} resources",
            show(get_ci(&w.response()?.body, "totalResults")),
            items.len()
        ),
    )
}

#[when(regex = r"^I page through my users (\d+) at a time$")]
async fn page_through(w: &mut ScimWorld, count: usize) -> StepResult {
    w.pages.clear();
    let mut start = 1usize;
    for _ in 0..100 {
        let r = w
            .search_users(None, &format!("&startIndex={start}&count={count}"))
            .await?;
        let items = list_resources(w)?;
        let total = get_ci(&r.body, "totalResults")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        w.pages.push(r.body.clone());
        if items.is_empty() || start + items.len() > total {
            return Ok(());
        }
        start += items.len();
    }
    Err(Failure::new(
        "RFC 7644 §3.4.2.4",
        "paging ends",
        "at most 100 pages",
        "more",
    )
    .with(w.last.as_ref()))
}

#[then(regex = r"^every user is returned exactly once$")]
async fn exactly_once(w: &mut ScimWorld) -> StepResult {
    let mut seen: Vec<String> = Vec::new();
    for p in &w.pages {
        for u in get_ci(p, "Resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            seen.push(show(get_ci(u, "id")));
        }
    }
    let unique: HashSet<&String> = seen.iter().collect();
    let mine: HashSet<&String> = w.users.values().map(|u| &u.id).collect();
    let missing = mine.difference(&unique).count();
    ensure(
        unique.len() == seen.len() && missing == 0 && unique.len() == mine.len(),
        w.last.as_ref(),
        "RFC 7644 §3.4.2.4",
        "paging with startIndex and count returns every matching resource exactly once",
        format!("{} distinct users", mine.len()),
        format!(
            "{} returned, {} distinct, {} missing",
            seen.len(),
            unique.len(),
            missing
        ),
    )
}

#[then(regex = r"^every page reports totalResults (\d+) and an itemsPerPage equal to its size$")]
async fn pages_consistent(w: &mut ScimWorld, total: u64) -> StepResult {
    for (i, p) in w.pages.iter().enumerate() {
        let n = get_ci(p, "Resources")
            .and_then(Value::as_array)
            .map_or(0, Vec::len) as u64;
        let t = get_ci(p, "totalResults").and_then(Value::as_u64);
        let ipp = get_ci(p, "itemsPerPage").and_then(Value::as_u64);
        ensure(
            t == Some(total) && (n == 0 || ipp == Some(n)),
            w.last.as_ref(),
            "RFC 7644 §3.4.2.4",
            &format!(
                "page {} reports the total and the number of resources it holds",
                i + 1
            ),
            format!("totalResults {total}, itemsPerPage {n}"),
            format!(
                "totalResults {}, itemsPerPage {}",
                show(get_ci(p, "totalResults")),
                show(get_ci(p, "itemsPerPage"))
            ),
        )?;
    }
    Ok(())
}

#[when(regex = r"^I list my users with startIndex (-?\d+) and count (-?\d+)$")]
async fn list_page(w: &mut ScimWorld, start: i64, count: i64) -> StepResult {
    w.search_users(None, &format!("&startIndex={start}&count={count}"))
        .await
        .map(|_| ())
}

#[then(regex = r"^the page starts at index (\d+) and holds (\d+) users?$")]
async fn page_is(w: &mut ScimWorld, start: u64, n: usize) -> StepResult {
    let items = list_resources(w)?;
    let body = &w.response()?.body;
    let si = get_ci(body, "startIndex").and_then(Value::as_u64);
    ensure(
        items.len() == n && si == Some(start),
        w.last.as_ref(),
        "RFC 7644 §3.4.2.4",
        "startIndex below 1 is read as 1; the page holds count resources",
        format!("startIndex {start}, {n} resources"),
        format!(
            "startIndex {}, {} resources",
            show(get_ci(body, "startIndex")),
            items.len()
        ),
    )
}

#[then(regex = r"^the response reports totalResults (\d+) and holds no resources$")]
async fn total_only(w: &mut ScimWorld, total: u64) -> StepResult {
    let items = list_resources(w)?;
    let t = get_ci(&w.response()?.body, "totalResults").and_then(Value::as_u64);
    ensure(
        items.is_empty() && t == Some(total),
        w.last.as_ref(),
        "RFC 7644 §3.4.2.4",
        "count 0 (or negative) returns no resources, only totalResults",
        format!("totalResults {total}, no resources"),
        format!(
            "totalResults {}, {} resources",
            t.map_or("(absent)".into(), |t| t.to_string()),
            items.len()
        ),
    )
}

async fn create_many(w: &mut ScimWorld, n: u64, base: &str) -> StepResult {
    let ctx = w.ctx()?;
    let bodies: Vec<(String, Value)> = (1..=n)
        .map(|i| {
            let name = format!("{base}-{i}");
            let body = w.user_body(&name, None);
            (name, body)
        })
        .collect();
    // Concurrent creates keep the probe short on a remote target.
    let results =
        futures::future::join_all(bodies.iter().map(|(_, b)| ctx.client.post("/Users", b))).await;
    for ((name, _), r) in bodies.iter().zip(results) {
        let r = r.map_err(|e| Failure::new("transport", "the target answers", "a response", e))?;
        let Some(id) = r.body.get("id").and_then(Value::as_str) else {
            return Err(Failure::new(
                "RFC 7644 §3.3",
                "creating a probe user answers 201",
                201,
                r.status,
            ));
        };
        w.cleanup.push(("Users".into(), id.to_string()));
        w.users.insert(
            name.clone(),
            crate::conformance::world::Created {
                id: id.to_string(),
                real_name: w.user_name(name),
            },
        );
    }
    Ok(())
}

#[given(regex = r"^one more user than the advertised maximum page size$")]
async fn more_than_max_results(w: &mut ScimWorld) -> StepResult {
    let max = w.ctx()?.discovery.filter_max_results;
    skip_unless(max.is_some(), "the target advertises no filter.maxResults")?;
    let max = max.unwrap_or_default();
    skip_unless(
        max <= PROBE_BUDGET,
        format!("filter.maxResults {max} is above the probe budget of {PROBE_BUDGET} users"),
    )?;
    create_many(w, max + 1, "many").await
}

#[given(regex = r"^one more user than the advertised maximum number of filter matches$")]
async fn more_than_max_matches(w: &mut ScimWorld) -> StepResult {
    let max = w.ctx()?.discovery.max_filter_matches.unwrap_or(u64::MAX);
    skip_unless(
        max <= PROBE_BUDGET,
        format!("maxFilterMatches {max} is above the probe budget of {PROBE_BUDGET} users"),
    )?;
    create_many(w, max + 1, "match").await
}

#[when(regex = r"^I list my users asking for more than the advertised maximum page size$")]
async fn list_over_max(w: &mut ScimWorld) -> StepResult {
    let max = w.ctx()?.discovery.filter_max_results.unwrap_or(0);
    w.search_users(None, &format!("&count={}", max + 1))
        .await
        .map(|_| ())
}

/// Only targets advertising `maxFilterMatches` (the reference's limits document) get here, so
/// one `sw` clause on the scenario's externalId prefix selects its many users.
#[when(regex = r"^I search all my users$")]
async fn search_all(w: &mut ScimWorld) -> StepResult {
    let filter = format!("externalId sw \"{}\"", w.scope_prefix());
    let path = format!("/Users?filter={}", encode(&filter));
    w.call(Method::GET, &path, None, &[]).await.map(|_| ())
}

#[then(regex = r"^the page holds exactly the advertised maximum number of users$")]
async fn capped(w: &mut ScimWorld) -> StepResult {
    let max = w.ctx()?.discovery.filter_max_results.unwrap_or(0) as usize;
    let items = list_resources(w)?;
    let total = get_ci(&w.response()?.body, "totalResults").and_then(Value::as_u64);
    ensure(
        items.len() == max && total == Some(max as u64 + 1),
        w.last.as_ref(),
        "RFC 7644 §3.4.2.4, RFC 7643 §5",
        "a count above filter.maxResults is capped to it, and totalResults still counts every match",
        format!("{max} resources, totalResults {}", max + 1),
        format!(
            "{} resources, totalResults {}",
            items.len(),
            total.map_or("(absent)".into(), |t| t.to_string())
        ),
    )
}

#[when(regex = r"^I list my users sorted by (\S+)$")]
async fn sorted(w: &mut ScimWorld, by: String) -> StepResult {
    w.search_users(None, &format!("&sortBy={}", encode(&by)))
        .await
        .map(|_| ())
}

#[when(regex = r"^I list my users sorted by (\S+) (ascending|descending)$")]
async fn sorted_order(w: &mut ScimWorld, by: String, order: String) -> StepResult {
    w.search_users(None, &format!("&sortBy={}&sortOrder={order}", encode(&by)))
        .await
        .map(|_| ())
}

#[then(regex = r"^the users come in the order (.+)$")]
async fn order_is(w: &mut ScimWorld, list: String) -> StepResult {
    let want = names(&list);
    let got = found(w)?;
    ensure(
        got == want,
        w.last.as_ref(),
        "RFC 7644 §3.4.2.3",
        "sortBy orders by the attribute's type and caseExact rule; missing values sort last when ascending, first when descending",
        want.join(", "),
        got.join(", "),
    )
}
