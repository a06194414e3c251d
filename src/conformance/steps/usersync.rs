//! User Sync steps (BEHAVIOUR S-US-01..13), in the product owner's words: "the rule
//! "Sales -> Meeting, Webinar"", "Ann joins "Sales"", "Ann is suspended". They drive the
//! directory through SCIM and User Sync through its admin API (`openapi/usersync-admin.json`),
//! so any implementation serving that API can be gated by `features/usersync`. Scenarios are
//! tagged `@usersync-api` (skipped when the target lacks the API) and `@serial` (the rules,
//! the switch and the organization are shared by the whole target).
//!
//! Every check first waits for the applied sequence to cover every change made so far (a
//! bounded long-poll), so "Then" never races the asynchronous engine and never sleeps blindly.

mod changes;
mod checks;
mod setup;

use crate::client::ScimResponse;
use crate::client::admin::path as admin_path;
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Failure, StepResult};
use crate::scim::schema::USERSYNC_SCHEMA;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Where the statements these steps check are written.
const SOURCE: &str = "BEHAVIOUR §1 (User Sync)";

/// How long a check waits for the engine to apply every change before failing.
const SETTLE: Duration = Duration::from_secs(20);

/// Sends an admin API request and records the exchange.
async fn admin(
    w: &mut ScimWorld,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<ScimResponse, Failure> {
    w.call(method, path, body, &[]).await
}

/// Sends an admin API request that must succeed with one of `ok`.
async fn admin_ok(
    w: &mut ScimWorld,
    method: Method,
    path: &str,
    body: Option<&Value>,
    ok: &[u16],
    what: &str,
) -> Result<ScimResponse, Failure> {
    let r = admin(w, method, path, body).await?;
    if ok.contains(&r.status) {
        Ok(r)
    } else {
        Err(Failure::new(
            "openapi/usersync-admin.json",
            what,
            ok.iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" or "),
            r.status,
        )
        .with(w.last.as_ref()))
    }
}

/// Waits until every change made so far is applied, at most `budget`.
async fn settle_within(w: &mut ScimWorld, budget: Duration) -> StepResult {
    let r = admin_ok(
        w,
        Method::GET,
        admin_path::SEQUENCE,
        None,
        &[200],
        "the applied sequence can be read",
    )
    .await?;
    let seq = r.body.get("enqueued").and_then(Value::as_u64).unwrap_or(0);
    let start = Instant::now();
    loop {
        let left = budget.saturating_sub(start.elapsed());
        let ms = left.as_millis().clamp(1, 10_000);
        let r = admin_ok(
            w,
            Method::GET,
            &admin_path::sequence_wait(Some(seq), ms as u64),
            None,
            &[200],
            "waiting for the applied sequence",
        )
        .await?;
        if r.body.get("reached").and_then(Value::as_bool) == Some(true) {
            return Ok(());
        }
        if start.elapsed() >= budget {
            return Err(Failure::new(
                "BEHAVIOUR S-US-03",
                "every change is applied within the wait bound",
                format!("sequence {seq} applied within {} ms", budget.as_millis()),
                format!(
                    "applied {}",
                    r.body.get("applied").map_or("?".into(), |v| v.to_string())
                ),
            )
            .with(w.last.as_ref()));
        }
    }
}

async fn settle(w: &mut ScimWorld) -> StepResult {
    settle_within(w, SETTLE).await
}

/// The SCIM user as it reads now (200 required).
async fn read_user(w: &mut ScimWorld, name: &str) -> Result<Value, Failure> {
    let id = w.user(name)?.id;
    let r = w.read("Users", &id).await?;
    if r.status != 200 {
        return Err(Failure::new(
            "BEHAVIOUR S-US-05",
            format!("{name} exists in the directory"),
            200,
            r.status,
        )
        .with(w.last.as_ref()));
    }
    Ok(r.body)
}

/// The product entitlements of a user (RFC 7643 §4.1.2 `entitlements`).
fn products_of(user: &Value) -> Vec<String> {
    user.get("entitlements")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|e| e.get("value").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The User Sync extension of a user.
fn ext(user: &Value) -> Value {
    user.get(USERSYNC_SCHEMA).cloned().unwrap_or(json!({}))
}

/// `"Meeting", "Webinar" and "Training"` -> names.
fn quoted(list: &str) -> Vec<String> {
    super::names(list)
}

/// A rule written as `Group -> Product, Product`.
fn parse_rule(text: &str) -> Result<(String, Vec<String>), Failure> {
    let (group, products) = text
        .split_once("->")
        .ok_or_else(|| Failure::suite(format!("a rule is written 'Group -> Products': {text}")))?;
    let products = products
        .split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    Ok((group.trim().to_string(), products))
}
