//! The reference's domain admin API over HTTP (E-DV-01, E-DV-04): codes, states, the 10-day
//! deadline on a simulated clock, the organization admin, deletion rules, and the gating of
//! the test-only endpoints.

use scim_harness::clock::SimClock;
use scim_harness::reference::config::ReferenceConfig;
use scim_harness::reference::server::RunningReference;
use scim_harness::verification::dns::FakeDns;
use scim_harness::verification::verifier::RECORD_PREFIX;
use serde_json::{Value, json};
use std::sync::Arc;

struct Env {
    reference: RunningReference,
    dns: FakeDns,
    http: reqwest::Client,
    clock: Arc<SimClock>,
}

impl Env {
    async fn start() -> Env {
        let clock = Arc::new(SimClock::default());
        let reference = RunningReference::start_simulated(
            ReferenceConfig {
                token: Some("t0ken".into()),
                ..Default::default()
            },
            clock.clone(),
        )
        .await
        .expect("reference");
        let dns = FakeDns::start().await.expect("dns");
        let env = Env {
            reference,
            dns,
            http: reqwest::Client::new(),
            clock,
        };
        let (s, b) = env
            .call(
                "PUT",
                "/admin/v1/test/verification-servers",
                Some(json!({"dns": env.dns.addr.to_string(), "dnsTimeoutMs": 300})),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        env
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.reference.base_url);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, url).bearer_auth("t0ken");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("response");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn add(&self, domain: &str) -> String {
        let (s, b) = self
            .call("POST", "/admin/v1/domains", Some(json!({"domain": domain})))
            .await;
        assert_eq!(s, 201, "{b}");
        b["code"].as_str().expect("code").to_string()
    }

    async fn verify(&self, domain: &str, account: &str) -> Value {
        let (s, b) = self
            .call(
                "POST",
                &format!("/admin/v1/domains/{domain}/verify"),
                Some(json!({"account": account})),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        b
    }
}

#[tokio::test]
async fn verifying_creates_the_organization_with_the_verifier_as_admin() {
    let env = Env::start().await;
    assert!(!env.reference.domains.has_verified_domain());
    let code = env.add("acme.example").await;
    let (s, b) = env
        .call("GET", "/admin/v1/domains/acme.example/code", None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["dnsRecord"]["value"], format!("{RECORD_PREFIX}{code}"));

    let v = env.verify("acme.example", "ann@acme.example").await;
    assert_eq!(v["verification"]["code"], "domain-not-found");
    assert_eq!(v["domain"]["state"], "pending");
    assert!(v["organization"].is_null());

    env.dns
        .zone
        .add_txt("acme.example", &[&format!("{RECORD_PREFIX}{code}")])
        .await
        .expect("txt");
    let v = env.verify("acme.example", "ann@acme.example").await;
    assert_eq!(v["verification"]["code"], "verified", "{v}");
    assert_eq!(v["domain"]["state"], "verified");
    assert_eq!(v["domain"]["verifiedBy"], "ann@acme.example");
    assert_eq!(v["organization"]["admins"], json!(["ann@acme.example"]));
    assert_eq!(v["organization"]["createdByDomain"], "acme.example");
    assert!(env.reference.domains.has_verified_domain());
    // The organization User Sync reads is the same one: the domain is verified there and the
    // verifier is its organization admin.
    assert_eq!(org_admins(&env).await, vec!["ann@acme.example".to_string()]);
    let (_, org) = env.call("GET", "/admin/v1/org", None).await;
    assert_eq!(
        org["domains"],
        json!([{"name": "acme.example", "verified": true}])
    );
    // Proven by DNS, it stays verified: the organization's API cannot unmark it (E-DV-04).
    let (s, b) = env
        .call(
            "PUT",
            "/admin/v1/org/domains/acme.example",
            Some(json!({"verified": false})),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    assert!(env.reference.domains.has_verified_domain());
    // Asking again verifies nothing new and adds no admin.
    let again = env.verify("acme.example", "eve@acme.example").await;
    assert_eq!(again["verification"]["code"], "verified");
    assert_eq!(org_admins(&env).await, vec!["ann@acme.example".to_string()]);

    // A verified domain cannot be deleted; a pending one can.
    let (s, b) = env
        .call("DELETE", "/admin/v1/domains/acme.example", None)
        .await;
    assert_eq!(s, 409, "{b}");
    env.add("other.example").await;
    let (s, _) = env
        .call("DELETE", "/admin/v1/domains/other.example", None)
        .await;
    assert_eq!(s, 204);
    let (s, _) = env
        .call("GET", "/admin/v1/domains/other.example", None)
        .await;
    assert_eq!(s, 404);

    // A second verified domain keeps the organization and adds its verifier as an admin.
    let code = env.add("beta.example").await;
    env.dns
        .zone
        .add_txt("beta.example", &[&format!("{RECORD_PREFIX}{code}")])
        .await
        .expect("txt");
    let v = env.verify("beta.example", "bob@beta.example").await;
    assert_eq!(v["verification"]["code"], "verified");
    assert_eq!(
        v["organization"]["admins"],
        json!(["ann@acme.example", "bob@beta.example"])
    );
    assert_eq!(v["organization"]["createdByDomain"], "acme.example");
    assert_eq!(
        org_admins(&env).await,
        vec![
            "ann@acme.example".to_string(),
            "bob@beta.example".to_string()
        ]
    );
}

/// The organization admins User Sync's admin API lists.
async fn org_admins(env: &Env) -> Vec<String> {
    let (s, b) = env.call("GET", "/admin/v1/org/admins", None).await;
    assert_eq!(s, 200, "{b}");
    b["admins"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|a| {
            a["roles"]
                .as_array()
                .is_some_and(|r| r.iter().any(|r| r == "organizationAdmin"))
        })
        .filter_map(|a| a["email"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn after_ten_days_the_domain_expires_and_a_new_code_is_issued() {
    let env = Env::start().await;
    let first = env.add("late.example").await;
    env.dns
        .zone
        .add_txt("late.example", &[&format!("{RECORD_PREFIX}{first}")])
        .await
        .expect("txt");
    env.clock.advance(chrono::Duration::days(9));
    let (_, d) = env
        .call("GET", "/admin/v1/domains/late.example", None)
        .await;
    assert_eq!(d["state"], "pending", "day 9 is within the window");

    let (s, _) = env
        .call(
            "POST",
            "/admin/v1/test/clock/advance",
            Some(json!({"days": 2})),
        )
        .await;
    assert_eq!(s, 200);
    let v = env.verify("late.example", "ann@late.example").await;
    assert_eq!(v["verification"]["code"], "expired", "{v}");
    assert_eq!(v["domain"]["state"], "expired");
    let second = v["domain"]["code"].as_str().expect("code").to_string();
    assert_ne!(second, first, "a new code is issued");
    assert!(
        v["verification"]["explanation"]
            .as_str()
            .is_some_and(|e| e.contains(&second))
    );

    // The old record still answers "expired", not "wrong code".
    let v = env.verify("late.example", "ann@late.example").await;
    assert_eq!(v["verification"]["code"], "expired");

    env.dns
        .zone
        .set_txt("late.example", &[&format!("{RECORD_PREFIX}{second}")])
        .await
        .expect("txt");
    let v = env.verify("late.example", "ann@late.example").await;
    assert_eq!(v["verification"]["code"], "verified");
}

#[tokio::test]
async fn bad_requests_are_refused_with_reasons() {
    let env = Env::start().await;
    let (s, b) = env
        .call(
            "POST",
            "/admin/v1/domains",
            Some(json!({"domain": "not a domain"})),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    assert!(b["detail"].as_str().is_some_and(|d| d.contains("label")));
    let (s, _) = env.call("POST", "/admin/v1/domains", Some(json!({}))).await;
    assert_eq!(s, 400);
    env.add("acme.example").await;
    let (s, _) = env
        .call(
            "POST",
            "/admin/v1/domains",
            Some(json!({"domain": "ACME.example."})),
        )
        .await;
    assert_eq!(s, 409, "the same domain, spelled differently");
    let (s, b) = env
        .call(
            "POST",
            "/admin/v1/domains/acme.example/verify",
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 400, "the verifying account is required: {b}");
    let (s, _) = env
        .call(
            "POST",
            "/admin/v1/domains/acme.example/verify",
            Some(json!({"account": "a@b.c", "method": "carrier-pigeon"})),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = env
        .call(
            "POST",
            "/admin/v1/domains/nope.example/verify",
            Some(json!({"account": "a@b.c"})),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = env
        .call(
            "POST",
            "/admin/v1/test/clock/advance",
            Some(json!({"days": -1})),
        )
        .await;
    assert_eq!(s, 400, "time never runs back");

    // Without a token the admin API is closed like the SCIM endpoints.
    let url = format!("{}/admin/v1/domains", env.reference.base_url);
    let s = env.http.get(url).send().await.expect("resp").status();
    assert_eq!(s.as_u16(), 401);
}

#[tokio::test]
async fn test_endpoints_exist_only_on_a_simulated_clock() {
    let reference = crate::common::reference(ReferenceConfig::default()).await;
    let http = reqwest::Client::new();
    for (method, path) in [
        ("GET", "/admin/v1/test/clock"),
        ("POST", "/admin/v1/test/clock/advance"),
        ("PUT", "/admin/v1/test/verification-servers"),
    ] {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let s = http
            .request(m, format!("{}{path}", reference.base_url))
            .json(&json!({"days": 11}))
            .send()
            .await
            .expect("resp")
            .status();
        assert_eq!(s.as_u16(), 404, "{method} {path}");
    }
    // The domain API itself is there.
    let s = http
        .get(format!("{}/admin/v1/domains", reference.base_url))
        .send()
        .await
        .expect("resp")
        .status();
    assert_eq!(s.as_u16(), 200);
}
