//! Searches scoped on the client side: a feature's filter goes to the target as written, and
//! the scenario's own resources are picked out of the answer.

use super::ScimWorld;
use crate::client::{ScimResponse, encode};
use crate::conformance::assert::Failure;
use reqwest::Method;
use serde_json::Value;

impl ScimWorld {
    /// GET `/Users` with exactly this filter, unscoped and unpaged: for lookups whose values
    /// the scenario made unique, and for filters whose refusal is the point.
    pub async fn filter_users(&mut self, filter: &str) -> Result<ScimResponse, Failure> {
        let path = format!("/Users?filter={}", encode(filter));
        self.call(Method::GET, &path, None, &[]).await
    }

    /// GET `/Users` with `filter` as the feature wrote it (in the server's names), plus extra
    /// parameters. Without a filter, the scenario's own users are selected with `userName eq`
    /// clauses joined by `or`, the simplest filter there is. The scenario's own resources are
    /// picked out of the results on the client side (see [`ScimWorld::own`]); when the filter
    /// also matches other data and the answer is paged, further pages are read (at most
    /// [`MAX_SCOPE_PAGES`]) and their resources are added to the last response.
    pub async fn search_users(
        &mut self,
        filter: Option<&str>,
        extra: &str,
    ) -> Result<ScimResponse, Failure> {
        let filter = match filter {
            Some(f) => self.rewrite_filter(f),
            None => self.own_users_clause(),
        };
        // Large pages, so other data matching a broad filter rarely pushes the scenario's own
        // resources onto later pages (a list that changes between pages may skip some).
        let paged = extra.contains("startIndex") || extra.contains("count=");
        let page_size = self
            .ctx()?
            .discovery
            .filter_max_results
            .unwrap_or(SCOPE_PAGE_SIZE)
            .min(SCOPE_PAGE_SIZE);
        let extra = if paged {
            extra.to_string()
        } else {
            format!("{extra}&count={page_size}")
        };
        let path = format!("/Users?filter={}{extra}", encode(&filter));
        let first = self.call(Method::GET, &path, None, &[]).await?;
        if paged || first.status != 200 {
            return Ok(first);
        }
        let mut merged = first.clone();
        let total = first
            .body
            .get("totalResults")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let mut seen = resources(&first.body).len() as u64;
        let mut pages = 1;
        while seen < total && pages < MAX_SCOPE_PAGES && !self.all_own_in(&merged.body) {
            let next = format!("{path}&startIndex={}", seen + 1);
            let r = self.call(Method::GET, &next, None, &[]).await?;
            let more = resources(&r.body);
            if r.status != 200 || more.is_empty() {
                break;
            }
            seen += more.len() as u64;
            pages += 1;
            if let Some(list) = merged
                .body
                .get_mut("Resources")
                .and_then(Value::as_array_mut)
            {
                list.extend(more);
            }
        }
        self.last_response = Some(merged.clone());
        Ok(merged)
    }

    /// `userName eq "…" or userName eq "…"` over the scenario's users.
    pub fn own_users_clause(&self) -> String {
        let mut names: Vec<&String> = self.users.values().map(|u| &u.real_name).collect();
        names.sort();
        if names.is_empty() {
            return format!("userName eq \"{}\"", self.user_name("nobody"));
        }
        names
            .iter()
            .map(|n| format!("userName eq \"{n}\""))
            .collect::<Vec<_>>()
            .join(" or ")
    }

    /// The resources of a list that this scenario created, in the order listed.
    pub fn own(&self, list: &[Value]) -> Vec<Value> {
        let ids: std::collections::HashSet<&str> = self
            .users
            .values()
            .chain(self.groups.values())
            .map(|c| c.id.as_str())
            .collect();
        list.iter()
            .filter(|r| {
                r.get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|i| ids.contains(i))
            })
            .cloned()
            .collect()
    }

    fn all_own_in(&self, body: &Value) -> bool {
        self.own(&resources(body)).len() >= self.users.len()
    }
}

/// The page size a scoped search asks for (capped by the target's filter.maxResults).
pub const SCOPE_PAGE_SIZE: u64 = 500;

/// Most pages a scoped search reads to find the scenario's own resources among other data.
pub const MAX_SCOPE_PAGES: usize = 20;

fn resources(body: &Value) -> Vec<Value> {
    body.get("Resources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}
