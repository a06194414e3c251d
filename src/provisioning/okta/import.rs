//! Okta's scheduled import (O-IMPORT-01): the app's users read back in pages of 100, checked
//! the way Okta's import needs them (integer fields as numbers, an order that holds across
//! pages), and matched to the users Okta pushed.

use super::app;
use crate::client::ScimClient;
use crate::provisioning::exchange::{RetryPolicy, Sender, Sent, TargetAnswer};
use crate::provisioning::sim::report::ImportSummary;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;

/// The most pages one import reads (a million users), whatever `totalResults` says.
const MAX_PAGES: usize = 10_000;

fn integer(body: &Value, key: &str, page: usize, problems: &mut Vec<String>) -> Option<u64> {
    match body.get(key) {
        Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64(),
        Some(other) => {
            let p = format!(
                "{key} is {other} on page {page}, not a JSON integer (Okta reads integer fields as numbers)"
            );
            if !problems.iter().any(|q| q.starts_with(&format!("{key} is"))) {
                problems.push(p);
            }
            // Named as a problem; still read, so the pages after it are judged too.
            other.as_str().and_then(|t| t.trim().parse().ok())
        }
        None if key == "totalResults" => {
            problems.push(format!("page {page} has no totalResults (RFC 7644 §3.4.2)"));
            None
        }
        None => None,
    }
}

/// Reads every app user, page by page, and compares with what Okta pushed (`links`: Okta id
/// -> app id, `active`: the app ids Okta believes active).
pub async fn import(
    client: &ScimClient,
    retry: &RetryPolicy,
    at: DateTime<Utc>,
    links: &HashMap<String, String>,
    active: &HashSet<String>,
) -> ImportSummary {
    let sender = Sender::new(client, retry);
    let mut s = ImportSummary {
        at,
        ..Default::default()
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let (mut repeated, mut first_repeat) = (0usize, None::<String>);
    let mut total = None;
    let mut start = 1usize;
    let pushed: HashSet<&str> = links.values().map(String::as_str).collect();
    while s.pages < MAX_PAGES {
        let req = app::import_page(start);
        let page = s.pages + 1;
        let body = match sender.send(&req).await {
            Sent::Answer(r) if r.status == 200 => r.body,
            other => {
                let a = TargetAnswer::of(&req, &other);
                let line = format!("{} answered {}", a.request, a.answer_line());
                // A refusal breaks the import for good; an outage fails this one only, and
                // the next scheduled import runs as usual.
                match other.status() {
                    Some(code) if (400..500).contains(&code) && code != 429 => {
                        s.problems.push(line)
                    }
                    _ => s.failed = Some(line),
                }
                break;
            }
        };
        s.pages = page;
        if total.is_none() {
            total = integer(&body, "totalResults", page, &mut s.problems);
        }
        integer(&body, "startIndex", page, &mut s.problems);
        integer(&body, "itemsPerPage", page, &mut s.problems);
        let items = body
            .get("Resources")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if items.is_empty() {
            break;
        }
        start += items.len();
        for u in &items {
            let Some(id) = u.get("id").and_then(Value::as_str) else {
                continue;
            };
            s.users_read += 1;
            if let Some(first) = seen.insert(id.to_string(), page) {
                repeated += 1;
                first_repeat.get_or_insert_with(|| {
                    format!("user {id} is on page {first} and again on page {page}")
                });
                continue;
            }
            let inactive = matches!(u.get("active"), Some(Value::Bool(false)))
                || u.get("active")
                    .and_then(Value::as_str)
                    .is_some_and(|a| a.eq_ignore_ascii_case("false"));
            if inactive {
                if active.contains(id) {
                    s.inactive_in_app += 1;
                }
            } else if !pushed.contains(id) {
                s.unmatched += 1;
            }
        }
        if total.is_some_and(|t| start as u64 > t) {
            break;
        }
    }
    if let Some(first) = first_repeat {
        s.problems.push(format!(
            "{first} ({repeated} repeats in all): the order is not stable across pages"
        ));
    } else if let Some(t) = total
        && (seen.len() as u64) < t
        && s.problems.is_empty()
        && s.failed.is_none()
    {
        s.problems.push(format!(
            "totalResults is {t} but the pages held {} distinct users: the order is not stable across pages",
            seen.len()
        ));
    }
    if s.failed.is_none() {
        s.missing = active.iter().filter(|id| !seen.contains_key(*id)).count();
    }
    s.requests = sender.requests.load(Ordering::Relaxed);
    s.waited_ms = sender.waited_ms.load(Ordering::Relaxed);
    s
}
