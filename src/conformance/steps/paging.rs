//! Pagination (RFC 7644 §3.4.2.4), which must not depend on filter support. Where the target
//! filters, the scenario's own users are selected by `userName eq` clauses and the totals are
//! exact. Where it does not, the whole `/Users` list is paged (the feature is `@serial`, so
//! no other scenario changes it meanwhile): the feature's numbers then count the target's
//! other users too, and "startIndex 7 of my 7" means the last of all of them.

use super::discovery::list_resources;
use super::{ensure, get_ci, show, skip_unless};
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Checks, Failure, StepResult};
use cucumber::{then, when};
use reqwest::Method;
use serde_json::Value;
use std::collections::HashSet;

/// Most resources paged through when the target cannot filter: beyond it the scenario is
/// skipped, since reading a large directory a few at a time says nothing more.
const UNFILTERED_BUDGET: u64 = 1200;

/// One page: scoped by a filter where the target supports one, the whole list otherwise.
async fn page(w: &mut ScimWorld, start: i64, count: i64) -> Result<Value, Failure> {
    if w.ctx()?.discovery.filter {
        let r = w
            .search_users(None, &format!("&startIndex={start}&count={count}"))
            .await?;
        return Ok(r.body);
    }
    if w.page_offset.is_none() {
        let r = w
            .call(Method::GET, "/Users?startIndex=1&count=1", None, &[])
            .await?;
        list_resources(w)?;
        let total = get_ci(&r.body, "totalResults")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        skip_unless(
            total <= UNFILTERED_BUDGET,
            format!(
                "the target holds {total} users and does not filter: paging all of them is beyond the budget of {UNFILTERED_BUDGET}"
            ),
        )?;
        w.page_offset = Some(total.saturating_sub(w.users.len() as u64));
    }
    let offset = w.page_offset.unwrap_or(0) as i64;
    // The feature counts from the first of its own users; without a filter they follow the others.
    let start = if start > 1 { start + offset } else { start };
    let path = format!("/Users?startIndex={start}&count={count}");
    Ok(w.call(Method::GET, &path, None, &[]).await?.body)
}

#[when(regex = r"^I list my users with startIndex (-?\d+) and count (-?\d+)$")]
async fn list_page(w: &mut ScimWorld, start: i64, count: i64) -> StepResult {
    page(w, start, count).await.map(|_| ())
}

#[when(regex = r"^I page through my users (\d+) at a time$")]
async fn page_through(w: &mut ScimWorld, count: i64) -> StepResult {
    w.pages.clear();
    let mut start = 1i64;
    for _ in 0..(UNFILTERED_BUDGET + 7) {
        let body = page(w, start, count).await?;
        let items = list_resources(w)?;
        let total = get_ci(&body, "totalResults")
            .and_then(Value::as_u64)
            .unwrap_or(0) as i64;
        w.pages.push(body);
        if items.is_empty() || start + items.len() as i64 > total {
            return Ok(());
        }
        start += items.len() as i64;
    }
    Err(Failure::new(
        "RFC 7644 §3.4.2.4",
        "paging ends",
        "the pages end",
        "they do not",
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
    let expected = mine.len() + w.page_offset.unwrap_or(0) as usize;
    ensure(
        unique.len() == seen.len() && missing == 0 && unique.len() == expected,
        w.last.as_ref(),
        "RFC 7644 §3.4.2.4",
        "paging with startIndex and count returns every matching resource exactly once",
        format!(
            "{expected} distinct users, the scenario's {} among them",
            mine.len()
        ),
        format!(
            "{} returned, {} distinct, {} of the scenario's missing",
            seen.len(),
            unique.len(),
            missing
        ),
    )
}

#[then(regex = r"^every page reports totalResults (\d+) and an itemsPerPage equal to its size$")]
async fn pages_consistent(w: &mut ScimWorld, total: u64) -> StepResult {
    let total = total + w.page_offset.unwrap_or(0);
    let mut c = Checks::new();
    for (i, p) in w.pages.iter().enumerate() {
        let n = get_ci(p, "Resources")
            .and_then(Value::as_array)
            .map_or(0, Vec::len) as u64;
        let t = get_ci(p, "totalResults").and_then(Value::as_u64);
        let ipp = get_ci(p, "itemsPerPage").and_then(Value::as_u64);
        c.add(ensure(
            t == Some(total),
            w.last.as_ref(),
            "RFC 7644 §3.4.2",
            "every page reports the same totalResults, the number of matching resources",
            format!("totalResults {total}"),
            format!(
                "page {}: totalResults {}",
                i + 1,
                show(get_ci(p, "totalResults"))
            ),
        ))?;
        c.add(ensure(
            n == 0 || ipp == Some(n),
            w.last.as_ref(),
            "RFC 7644 §3.4.2",
            "itemsPerPage is the number of resources returned in the page",
            format!("itemsPerPage {n}"),
            format!(
                "page {} of {n}: itemsPerPage {}",
                i + 1,
                show(get_ci(p, "itemsPerPage"))
            ),
        ))?;
    }
    c.finish()
}

#[then(regex = r"^the page starts at index (\d+) and holds (\d+) users?$")]
async fn page_is(w: &mut ScimWorld, start: u64, n: usize) -> StepResult {
    let items = list_resources(w)?;
    let start = if start > 1 {
        start + w.page_offset.unwrap_or(0)
    } else {
        start
    };
    let body = &w.response()?.body;
    let si = get_ci(body, "startIndex").and_then(Value::as_u64);
    let statement = if start == 1 {
        "a startIndex below 1 is read as 1: the page starts at the first resource and holds count of them"
    } else {
        "the last page holds the resources that are left"
    };
    ensure(
        items.len() == n && si == Some(start),
        w.last.as_ref(),
        "RFC 7644 §3.4.2.4",
        statement,
        format!("startIndex {start}, {n} resources"),
        format!(
            "startIndex {}, {} resources",
            show(get_ci(body, "startIndex")),
            items.len()
        ),
    )
}
