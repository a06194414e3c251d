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

/// Most users a scenario creates to probe a limit; above it the probe is skipped.
const PROBE_BUDGET: u64 = 200;

#[when(regex = r"^I search users with the filter (.+)$")]
async fn search(w: &mut ScimWorld, filter: String) -> StepResult {
    for attr in crate::conformance::schema::filter_attributes(&filter) {
        w.applicable(&attr)?;
    }
    let r = w.search_users(Some(&filter), "").await?;
    // The filter is sent as written, so on a target holding many users a broad one can
    // exceed what it will match in one search: an allowed answer that judges nothing here.
    let too_many =
        r.status == 400 && get_ci(&r.body, "scimType").and_then(Value::as_str) == Some("tooMany");
    skip_unless(
        !too_many,
        format!(
            "the target holds more users matching {filter} than it returns in one search (400 tooMany)"
        ),
    )
}

#[when(regex = r#"^I look up users whose userName equals "([^"]+)"$"#)]
async fn look_up(w: &mut ScimWorld, name: String) -> StepResult {
    w.search_users(Some(&format!("userName eq \"{name}\"")), "")
        .await
        .map(|_| ())
}

/// The valid twin of a malformed filter: a plain `eq` the target must answer, or the refusal
/// of the malformed one proves nothing (the scenario is blocked instead).
#[given(regex = r"^the filter (.+) is accepted$")]
async fn filter_accepted(w: &mut ScimWorld, filter: String) -> StepResult {
    w.search_users(Some(&filter), "").await?;
    list_resources(w).map(|_| ())
}

#[then(regex = r#"^the filter is declined with 400( and scimType "invalidFilter")?$"#)]
async fn filter_declined(w: &mut ScimWorld, with_type: String) -> StepResult {
    super::refusal_for(
        w,
        400,
        (!with_type.is_empty()).then_some("invalidFilter"),
        "RFC 7644 §3.4.2.2",
        "a filter that does not conform to the grammar is declined: the service provider MUST return 400 with scimType invalidFilter",
    )
}

#[when(regex = r"^I search users with the malformed filter (.+)$")]
async fn search_malformed(w: &mut ScimWorld, filter: String) -> StepResult {
    w.filter_users(&filter).await.map(|_| ())
}

#[when(regex = r#"^I look up a user with a random userName$"#)]
async fn random_lookup(w: &mut ScimWorld) -> StepResult {
    let filter = format!("userName eq \"{}\"", uuid::Uuid::new_v4());
    w.filter_users(&filter).await.map(|_| ())
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

async fn create_many(w: &mut ScimWorld, n: u64, base: &str) -> StepResult {
    // One at a time: a burst of a hundred creates is load the suite would cause itself, and
    // a server that is not thread-safe answers it with resets and 500s.
    for i in 1..=n {
        let name = format!("{base}-{i}");
        let body = w.user_body(&name, None);
        w.create_user(&name, &body).await?;
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
    w.filter_users(&filter).await.map(|_| ())
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
