//! Measurements of User Sync through its public APIs (SCIM + the admin API), usable against
//! the embedded reference or any target serving the same admin API:
//! - [`bulk_demo`]: N users join ruled groups; entitlements per minute until every one is
//!   applied, against the product's rule of thumb (1000 entitlement requests every few
//!   minutes, S-US-04; "few" taken as 3, so 333 per minute).
//! - [`latency_probe`]: one membership change at a time, change -> entitlement visible on
//!   the user (S-US-03), as percentiles.

use crate::client::admin::{AdminClient, AdminError, id_of};
use crate::client::{ClientError, ScimClient, ScimResponse};
use futures::StreamExt;
use serde::Serialize;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub use crate::reference::usersync::BASELINE_PER_MINUTE;

/// Why a demonstration could not complete.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error("{what}: status {status}: {body}")]
    Refused {
        what: String,
        status: u16,
        body: String,
    },
    #[error("{0}")]
    NotApplied(String),
}

/// What [`bulk_demo`] measured.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkDemoReport {
    pub users: usize,
    pub entitlements: u64,
    /// From the first membership request to "every change applied".
    pub elapsed_ms: f64,
    /// Time spent sending the membership requests (included in `elapsed_ms`).
    pub requests_ms: f64,
    pub entitlements_per_minute: f64,
    pub baseline_per_minute: f64,
    /// `entitlements_per_minute / baseline_per_minute`.
    pub times_baseline: f64,
}

/// What [`latency_probe`] measured, in milliseconds.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LatencyReport {
    pub samples: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

async fn expect(
    r: Result<ScimResponse, ClientError>,
    ok: &[u16],
    what: &str,
) -> Result<ScimResponse, DemoError> {
    let r = r?;
    if ok.contains(&r.status) {
        Ok(r)
    } else {
        Err(DemoError::Refused {
            what: what.to_string(),
            status: r.status,
            body: r.raw.chars().take(500).collect(),
        })
    }
}

/// Makes the organization meet the prerequisites and returns a run tag.
async fn prepare(admin: &AdminClient) -> Result<String, DemoError> {
    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    admin
        .prepare_org(&format!("demo-{tag}@example.com"), "example.com")
        .await?;
    Ok(tag)
}

async fn create_users(c: &ScimClient, prefix: &str, n: usize) -> Result<Vec<String>, DemoError> {
    let results: Vec<Result<String, DemoError>> = futures::stream::iter(0..n)
        .map(|i| async move {
            let body = json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": format!("{prefix}-{i}@example.com"),
                "emails": [{"value": format!("{prefix}-{i}@example.com"), "type": "work", "primary": true}],
            });
            let r = expect(c.post("/Users", &body).await, &[201], "creating a user").await?;
            Ok(id_of(&r))
        })
        .buffered(32)
        .collect()
        .await;
    results.into_iter().collect()
}

async fn create_group(c: &ScimClient, name: &str) -> Result<String, DemoError> {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": name,
    });
    Ok(id_of(
        &expect(c.post("/Groups", &body).await, &[201], "creating a group").await?,
    ))
}

/// Turns User Sync on and waits until the rules are applied.
async fn switch_on(admin: &AdminClient) -> Result<(), DemoError> {
    admin.set_switch(true).await?;
    Ok(admin.settle(Duration::from_secs(120)).await?)
}

fn member_patch(ids: &[String], op: &str) -> Value {
    let members: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": op, "path": "members", "value": members}],
    })
}

/// The connection to the embedded reference at hand: its token, never a proxy.
fn local(token: Option<&str>) -> crate::client::Connection {
    token
        .map_or_else(
            crate::client::Connection::default,
            crate::client::Connection::bearer,
        )
        .direct()
}

/// `users` users (created first, not timed) join two ruled groups, each rule granting two
/// products; the clock runs from the first membership request until the applied sequence
/// covers them all, and the license usage must then show every entitlement. Leaves its users,
/// groups and rules in place (they are tagged with a random run id).
pub async fn bulk_demo(
    base_url: &str,
    token: Option<&str>,
    users: usize,
) -> Result<BulkDemoReport, DemoError> {
    let c = ScimClient::new(base_url, local(token))?;
    let admin = AdminClient::new(c.clone());
    let tag = prepare(&admin).await?;
    let ids = create_users(&c, &format!("bulk-{tag}"), users).await?;
    let groups = [
        create_group(&c, &format!("bulk-{tag} A")).await?,
        create_group(&c, &format!("bulk-{tag} B")).await?,
    ];
    let products = [
        vec![format!("Meeting {tag}"), format!("Webinar {tag}")],
        vec![format!("Meeting {tag}"), format!("Training {tag}")],
    ];
    for (g, p) in groups.iter().zip(&products) {
        admin.create_rule(g, p).await?;
    }
    switch_on(&admin).await?;

    let start = Instant::now();
    let batches: Vec<(usize, Vec<String>)> = ids
        .chunks(250)
        .enumerate()
        .map(|(i, ch)| (i % 2, ch.to_vec()))
        .collect();
    let c2 = &c;
    let groups2 = &groups;
    let sent: Vec<Result<ScimResponse, DemoError>> = futures::stream::iter(batches)
        .map(|(g, chunk)| async move {
            let path = format!("/Groups/{}", groups2[g]);
            expect(
                c2.patch(&path, &member_patch(&chunk, "add")).await,
                &[200, 204],
                "adding members",
            )
            .await
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for s in sent {
        s?;
    }
    let requests_ms = start.elapsed().as_secs_f64() * 1000.0;
    admin.settle(Duration::from_secs(600)).await?;
    let elapsed = start.elapsed().as_secs_f64();

    let used: u64 = admin
        .licenses()
        .await?
        .get("licenses")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|l| {
                    l.get("product")
                        .and_then(Value::as_str)
                        .is_some_and(|p| p.ends_with(&tag))
                })
                .filter_map(|l| l.get("used").and_then(Value::as_u64))
                .sum()
        })
        .unwrap_or(0);
    let expected = 2 * users as u64;
    if used != expected {
        return Err(DemoError::NotApplied(format!(
            "{used} entitlements granted, {expected} expected"
        )));
    }
    let per_minute = used as f64 / elapsed.max(1e-9) * 60.0;
    Ok(BulkDemoReport {
        users,
        entitlements: used,
        elapsed_ms: elapsed * 1000.0,
        requests_ms,
        entitlements_per_minute: per_minute,
        baseline_per_minute: BASELINE_PER_MINUTE,
        times_baseline: per_minute / BASELINE_PER_MINUTE,
    })
}

fn has_product(user: &Value, product: &str) -> bool {
    user.get("entitlements")
        .and_then(Value::as_array)
        .is_some_and(|a| {
            a.iter()
                .any(|e| e.get("value").and_then(Value::as_str) == Some(product))
        })
}

/// Polls the user until the product is (or is no longer) visible; bounded.
async fn visible(c: &ScimClient, user: &str, product: &str, want: bool) -> Result<(), DemoError> {
    let start = Instant::now();
    loop {
        let r = expect(
            c.get(&format!("/Users/{user}")).await,
            &[200],
            "reading the user",
        )
        .await?;
        if has_product(&r.body, product) == want {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(10) {
            return Err(DemoError::NotApplied(format!(
                "product {product} not {} after 10 s",
                if want { "granted" } else { "removed" }
            )));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[i.clamp(1, sorted.len()) - 1]
}

/// `samples` single membership changes (alternately join and leave a ruled group), each timed
/// from sending the change until the user shows the result: the change, then a wait on the
/// applied sequence, then a read of the user (polled should the wait say applied too early).
pub async fn latency_probe(
    base_url: &str,
    token: Option<&str>,
    samples: usize,
) -> Result<LatencyReport, DemoError> {
    let c = ScimClient::new(base_url, local(token))?;
    let admin = AdminClient::new(c.clone());
    let tag = prepare(&admin).await?;
    let user = create_users(&c, &format!("probe-{tag}"), 1)
        .await?
        .pop()
        .unwrap_or_default();
    let group = create_group(&c, &format!("probe-{tag}")).await?;
    let product = format!("Probe {tag}");
    admin
        .create_rule(&group, std::slice::from_ref(&product))
        .await?;
    switch_on(&admin).await?;
    let mut times = Vec::with_capacity(samples);
    for i in 0..samples {
        let join = i % 2 == 0;
        let start = Instant::now();
        expect(
            c.patch(
                &format!("/Groups/{group}"),
                &member_patch(
                    std::slice::from_ref(&user),
                    if join { "add" } else { "remove" },
                ),
            )
            .await,
            &[200, 204],
            "changing the membership",
        )
        .await?;
        admin.settle(Duration::from_secs(10)).await?;
        visible(&c, &user, &product, join).await?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(LatencyReport {
        samples,
        p50_ms: percentile(&times, 50.0),
        p90_ms: percentile(&times, 90.0),
        p99_ms: percentile(&times, 99.0),
        max_ms: times.last().copied().unwrap_or(0.0),
    })
}
