//! 16 concurrent writers change memberships of overlapping users and groups (nested groups
//! included). After the applied sequence catches up, every user's entitlements must equal a
//! from-scratch recomputation from the directory and the rules, seats must add up, and no user
//! may have more than one enrollment email.
//!
//! Duration: `USERSYNC_CONCURRENCY_SECS` (the full run is 10 s:
//! `USERSYNC_CONCURRENCY_SECS=10 cargo test --release --test it usersync_concurrency`); the
//! default of 3 s keeps `cargo test` quick.

use scim_harness::client::Connection;
use scim_harness::client::ScimClient;
use scim_harness::client::admin::AdminClient;
use scim_harness::reference::config::ReferenceConfig;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const WRITERS: usize = 16;
const USERS: usize = 120;
const GROUPS: usize = 10;

/// A small deterministic generator (xorshift64*): each writer gets its own seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn patch(op: &str, ids: &[String]) -> Value {
    let members: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": op, "path": "members", "value": members}],
    })
}

async fn ok(
    r: Result<scim_harness::client::ScimResponse, scim_harness::client::ClientError>,
    what: &str,
) -> Value {
    let r = r.unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(r.status < 300, "{what}: {} {}", r.status, r.raw);
    r.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_membership_changes_converge_to_a_from_scratch_recomputation() {
    let secs: u64 = std::env::var("USERSYNC_CONCURRENCY_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let srv = crate::common::reference(ReferenceConfig::default()).await;
    let c = ScimClient::new(&srv.base_url, Connection::default()).expect("a client");
    AdminClient::new(c.clone())
        .prepare_org("a@example.com", "example.com")
        .await
        .expect("the prerequisites are met");

    let mut users = Vec::new();
    for i in 0..USERS {
        let b = ok(c.post("/Users", &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": format!("u{i}@example.com")})).await, "user").await;
        users.push(b["id"].as_str().expect("id").to_string());
    }
    let mut groups = Vec::new();
    for g in 0..GROUPS {
        let b = ok(c.post("/Groups", &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": format!("g{g}")})).await, "group").await;
        groups.push(b["id"].as_str().expect("id").to_string());
    }
    // Nesting: g1 inside g0, g2 inside g1 (depth 2), g4 inside g3.
    for (child, parent) in [(1, 0), (2, 1), (4, 3)] {
        ok(
            c.patch(
                &format!("/Groups/{}", groups[parent]),
                &patch("add", &[groups[child].clone()]),
            )
            .await,
            "nest",
        )
        .await;
    }
    // Rules on most groups (g9 has none): overlapping products, two rules on g0.
    let catalogue = ["Meeting", "Webinar", "Training", "Helpdesk", "Rooms"];
    let mut rule_products: Vec<(String, Vec<String>)> = Vec::new();
    for g in 0..GROUPS - 1 {
        let products = vec![
            catalogue[g % 5].to_string(),
            catalogue[(g + 2) % 5].to_string(),
        ];
        ok(c.post("/admin/v1/usersync/rules", &json!({"groupId": groups[g], "products": products, "adminRole": format!("role{g}")})).await, "rule").await;
        rule_products.push((groups[g].clone(), products));
    }
    ok(
        c.post(
            "/admin/v1/usersync/rules",
            &json!({"groupId": groups[0], "products": ["Extra"]}),
        )
        .await,
        "rule",
    )
    .await;
    rule_products.push((groups[0].clone(), vec!["Extra".into()]));
    ok(
        c.put("/admin/v1/usersync/switch", &json!({"on": true}))
            .await,
        "switch",
    )
    .await;

    let ops = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let c = c.clone();
        let users = users.clone();
        let groups = groups.clone();
        let ops = ops.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((w as u64 + 1) * 7919));
            while Instant::now() < deadline {
                // Overlap on purpose: a third of the users, every group.
                let n = 1 + rng.below(4);
                let ids: Vec<String> = (0..n)
                    .map(|_| users[rng.below(USERS / 3)].clone())
                    .collect();
                let g = &groups[rng.below(GROUPS)];
                let op = if rng.below(2) == 0 { "add" } else { "remove" };
                let r = c
                    .patch(&format!("/Groups/{g}"), &patch(op, &ids))
                    .await
                    .expect("an answer");
                assert!(r.status < 300, "{} {}", r.status, r.raw);
                ops.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.expect("a writer");
    }
    let wait_start = Instant::now();
    let seq = ok(c.get("/admin/v1/usersync/sequence").await, "sequence").await["enqueued"]
        .as_u64()
        .expect("n");
    loop {
        let w = ok(
            c.get(&format!(
                "/admin/v1/usersync/sequence/wait?sequence={seq}&timeoutMs=10000"
            ))
            .await,
            "wait",
        )
        .await;
        if w["reached"] == true {
            break;
        }
        assert!(
            wait_start.elapsed() < Duration::from_secs(60),
            "not applied: {w}"
        );
    }
    println!(
        "{} membership changes by {WRITERS} writers in {secs} s; applied {} ms after the last",
        ops.load(Ordering::Relaxed),
        wait_start.elapsed().as_millis()
    );

    // From scratch: a user's products are the union over the rules of every group it is in,
    // directly or through nesting (the user's read-only `groups` lists both).
    let emails = ok(c.get("/admin/v1/usersync/outbox").await, "outbox").await;
    let mut per_user: HashMap<String, usize> = HashMap::new();
    for e in emails["emails"].as_array().expect("emails") {
        *per_user
            .entry(e["userId"].as_str().expect("id").to_string())
            .or_default() += 1;
    }
    let mut seats: BTreeMap<String, u64> = BTreeMap::new();
    for u in &users {
        let body = ok(c.get(&format!("/Users/{u}")).await, "read").await;
        let in_groups: BTreeSet<String> = body["groups"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|g| g["value"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let expected: BTreeSet<String> = rule_products
            .iter()
            .filter(|(g, _)| in_groups.contains(g))
            .flat_map(|(_, p)| p.iter().cloned())
            .collect();
        let got: Vec<String> = body["entitlements"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["value"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let got_set: BTreeSet<String> = got.iter().cloned().collect();
        assert_eq!(
            got.len(),
            got_set.len(),
            "user {u}: doubled entitlements {got:?}"
        );
        assert_eq!(got_set, expected, "user {u} in {in_groups:?}");
        for p in &got_set {
            *seats.entry(p.clone()).or_default() += 1;
        }
        let emails = per_user.get(u).copied().unwrap_or(0);
        assert!(emails <= 1, "user {u} got {emails} enrollment emails");
        if !expected.is_empty() {
            assert_eq!(emails, 1, "entitled user {u} got no enrollment email");
            assert_eq!(
                body["urn:scim-harness:params:scim:schemas:extension:usersync:1.0:User"]["status"],
                "pending"
            );
        }
    }
    // Seats held equal entitlements shown: nothing lost or doubled in the license books.
    let lic = ok(c.get("/admin/v1/usersync/licenses").await, "licenses").await;
    for l in lic["licenses"].as_array().expect("licenses") {
        let p = l["product"].as_str().expect("product");
        assert_eq!(
            l["used"].as_u64(),
            Some(seats.get(p).copied().unwrap_or(0)),
            "seats of {p}"
        );
    }
    srv.stop().await;
}
