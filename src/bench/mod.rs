//! `scim-harness bench`: the reference's own benchmark. It measures, in one run on this machine,
//! a hello-world axum route (the ceiling), `GET /Users/{id}` and `GET /Users?filter=userName eq`
//! at 100k users, a single-member PATCH on a 100k-member group, and resident memory per user at
//! 1M users; and writes `reports/bench-reference.{json,md}`.

pub mod cli;

use crate::clock::SystemClock;
use crate::reference::config::ReferenceConfig;
use crate::reference::server::RunningReference;
use crate::reference::store::{Kind, Store};
use crate::scim::resource::{InputOptions, canonicalize};
use crate::scim::schema::user_type;
use futures::future::join_all;
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Benchmark sizes.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub users: usize,
    pub group_members: usize,
    pub rss_users: usize,
    pub duration: Duration,
    pub connections: usize,
    pub patches: usize,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            users: 100_000,
            group_members: 100_000,
            rss_users: 1_000_000,
            duration: Duration::from_secs(5),
            connections: 32,
            patches: 2000,
        }
    }
}

/// Throughput and latency of one measured endpoint.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Measured {
    pub name: String,
    pub requests: u64,
    pub errors: u64,
    pub per_second: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

/// Everything one bench run measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BenchReport {
    pub machine: String,
    pub users: usize,
    pub connections: usize,
    pub duration_s: f64,
    pub results: Vec<Measured>,
    /// filter-by-userName throughput / hello-world throughput.
    pub filter_vs_hello: f64,
    pub rss_users: usize,
    pub rss_bytes_per_user: f64,
}

/// Why the benchmark stopped.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("cannot start a server: {0}")]
    Io(#[from] std::io::Error),
    #[error("setup failed: {0}")]
    Setup(String),
}

fn user(i: usize) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": format!("bench{i:07}@example.test"),
        "externalId": format!("e{i}"),
        "active": true,
        "name": {"givenName": "Given", "familyName": format!("F{i}")},
        "emails": [{"value": format!("bench{i:07}@example.test"), "type": "work", "primary": true}]
    })
}

/// Loads `n` users straight into the store; their ids are kept only when `keep` is set (the
/// memory measurement must not count the benchmark's own bookkeeping).
fn load_users(store: &Store, n: usize, keep: bool) -> Result<Vec<String>, BenchError> {
    let mut ids = Vec::with_capacity(if keep { n } else { 0 });
    for i in 0..n {
        let body = canonicalize(&user(i), user_type(), InputOptions::default())
            .map_err(|e| BenchError::Setup(e.to_string()))?;
        let snap = store
            .create(Kind::User, body)
            .map_err(|e| BenchError::Setup(e.to_string()))?;
        if keep {
            ids.push(snap.id.to_string());
        }
    }
    Ok(ids)
}

/// Closed-loop max-throughput measurement: `connections` workers for `duration`, each taking
/// the next request from `make(i)`.
async fn hammer(
    name: &str,
    connections: usize,
    duration: Duration,
    make: Arc<dyn Fn(usize) -> reqwest::RequestBuilder + Send + Sync>,
) -> Measured {
    let counter = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let tasks = (0..connections).map(|_| {
        let make = make.clone();
        let counter = counter.clone();
        tokio::spawn(async move {
            let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).ok();
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let i = counter.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                match make(i).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                    }
                    _ => errors += 1,
                }
                if let Some(h) = h.as_mut() {
                    let _ = h.record(t.elapsed().as_micros().max(1) as u64);
                }
            }
            (h, errors)
        })
    });
    let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).ok();
    let mut errors = 0;
    for r in join_all(tasks).await.into_iter().flatten() {
        if let (Some(a), Some(h)) = (all.as_mut(), r.0.as_ref()) {
            let _ = a.add(h);
        }
        errors += r.1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (requests, p50, p99, max) = all
        .as_ref()
        .map(|h| {
            (
                h.len(),
                h.value_at_quantile(0.5),
                h.value_at_quantile(0.99),
                h.max(),
            )
        })
        .unwrap_or_default();
    Measured {
        name: name.to_string(),
        requests,
        errors,
        per_second: requests as f64 / elapsed,
        p50_us: p50,
        p99_us: p99,
        max_us: max,
    }
}

fn rss_bytes() -> u64 {
    // Resident pages from /proc (Linux); 0 elsewhere, reported as such.
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

/// Runs the benchmark.
pub async fn run(
    opts: &BenchOptions,
    mut progress: impl FnMut(&str),
) -> Result<BenchReport, BenchError> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(opts.connections * 2)
        .build()
        .map_err(|e| BenchError::Setup(e.to_string()))?;

    // Memory first, in a fresh process, so no freed heap from the other steps is reused.
    progress(&format!("resident memory at {} users", opts.rss_users));
    let before = rss_bytes();
    let store = Store::new(ReferenceConfig::default(), Arc::new(SystemClock));
    load_users(&store, opts.rss_users, false)?;
    let after = rss_bytes();
    drop(store);
    let per_user = after.saturating_sub(before) as f64 / opts.rss_users.max(1) as f64;

    // The ceiling: a hello-world axum route in this same process.
    let hello = axum::Router::new().route("/hello", axum::routing::get(|| async { "hello" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hello_addr = listener.local_addr()?;
    let hello_task = tokio::spawn(async move { axum::serve(listener, hello).await });

    progress(&format!("loading {} users", opts.users));
    let reference = RunningReference::start(ReferenceConfig::default()).await?;
    let ids = Arc::new(load_users(&reference.store, opts.users, true)?);
    let base = reference.base_url.clone();
    let mut results = Vec::new();

    progress("hello-world route");
    let url = format!("http://{hello_addr}/hello");
    let c = client.clone();
    results.push(
        hammer(
            "hello-world axum route",
            opts.connections,
            opts.duration,
            Arc::new(move |_| c.get(&url)),
        )
        .await,
    );

    progress("GET /Users/{id}");
    let (c, b, i) = (client.clone(), base.clone(), ids.clone());
    results.push(
        hammer(
            "GET /Users/{id}",
            opts.connections,
            opts.duration,
            Arc::new(move |n| {
                let id = &i[(n.wrapping_mul(7919)) % i.len()];
                c.get(format!("{b}/Users/{id}"))
            }),
        )
        .await,
    );

    progress("GET /Users?filter=userName eq");
    let (c, b, n_users) = (client.clone(), base.clone(), opts.users);
    results.push(
        hammer(
            "GET /Users?filter=userName eq",
            opts.connections,
            opts.duration,
            Arc::new(move |n| {
                let name = format!("bench{:07}@example.test", (n.wrapping_mul(7919)) % n_users);
                let f = crate::client::encode(&format!("userName eq \"{name}\""));
                c.get(format!("{b}/Users?filter={f}"))
            }),
        )
        .await,
    );

    progress(&format!(
        "PATCH add one member to a {}-member group",
        opts.group_members
    ));
    let members: Vec<Value> = ids
        .iter()
        .take(opts.group_members)
        .map(|id| json!({"value": id}))
        .collect();
    let group = crate::scim::resource::canonicalize(
        &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Big", "members": members}),
        crate::scim::schema::group_type(),
        InputOptions::default(),
    )
    .map_err(|e| BenchError::Setup(e.to_string()))?;
    let gid = reference
        .store
        .create(Kind::Group, group)
        .map_err(|e| BenchError::Setup(e.to_string()))?
        .id;
    // Alternate remove and add of members so the group stays at its size.
    let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)
        .map_err(|e| BenchError::Setup(e.to_string()))?;
    let started = Instant::now();
    let mut errors = 0;
    for n in 0..opts.patches {
        let id = &ids[n % ids.len().min(opts.group_members).max(1)];
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
            {"op": "remove", "path": format!("members[value eq \"{id}\"]")},
            {"op": "add", "path": "members", "value": [{"value": id}]}
        ]});
        let t = Instant::now();
        let r = client
            .patch(format!("{base}/Groups/{gid}"))
            .header("content-type", "application/scim+json")
            .body(body.to_string())
            .send()
            .await;
        match r {
            Ok(r) if r.status().is_success() => {}
            _ => errors += 1,
        }
        let _ = h.record(t.elapsed().as_micros().max(1) as u64);
    }
    results.push(Measured {
        name: format!(
            "PATCH /Groups/{{id}} remove+add one member ({} members)",
            opts.group_members
        ),
        requests: h.len(),
        errors,
        per_second: h.len() as f64 / started.elapsed().as_secs_f64(),
        p50_us: h.value_at_quantile(0.5),
        p99_us: h.value_at_quantile(0.99),
        max_us: h.max(),
    });
    reference.stop().await;
    hello_task.abort();
    drop(ids);

    let hello = results[0].per_second;
    let filter = results[2].per_second;
    Ok(BenchReport {
        machine: format!(
            "{} cores, {}",
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(0),
            std::env::consts::ARCH
        ),
        users: opts.users,
        connections: opts.connections,
        duration_s: opts.duration.as_secs_f64(),
        results,
        filter_vs_hello: if hello > 0.0 { filter / hello } else { 0.0 },
        rss_users: opts.rss_users,
        rss_bytes_per_user: per_user,
    })
}

impl BenchReport {
    /// A Markdown table of the figures.
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "# Reference benchmark\n\nMachine: {}. {} users, {} connections, {:.0} s per endpoint; client and server in one process.\n\n| endpoint | requests | errors | req/s | p50 µs | p99 µs | max µs |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
            self.machine, self.users, self.connections, self.duration_s
        );
        for r in &self.results {
            s.push_str(&format!(
                "| {} | {} | {} | {:.0} | {} | {} | {} |\n",
                r.name, r.requests, r.errors, r.per_second, r.p50_us, r.p99_us, r.max_us
            ));
        }
        s.push_str(&format!(
            "\nfilter-by-userName / hello-world throughput: **{:.0} %** (target ≥ 70 %)\n\nResident memory at {} users: **{:.0} bytes per user** (target ≤ 1024)\n",
            self.filter_vs_hello * 100.0,
            self.rss_users,
            self.rss_bytes_per_user
        ));
        s
    }
}
