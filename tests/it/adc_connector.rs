//! The Active Directory Connector v2 mock against the embedded reference: convergence through
//! User Sync checked from scratch (and failing when the engine ignores nesting), runs that
//! push only differences, users never deleted, and a target without the admin API.

use scim_harness::client::Connection;
use scim_harness::client::ScimClient;
use scim_harness::client::admin::AdminClient;
use scim_harness::clock::{Clock, SimClock};
use scim_harness::provisioning::adc::{AdcConfig, Connector, Directory, DirectorySpec, check};
use scim_harness::provisioning::churn::{self, ChurnModel};
use scim_harness::provisioning::logs::{Action, ObjectKind, Outcome};
use scim_harness::provisioning::sim::{AdcOptions, SimOptions, SourceOptions, TenantSource};
use scim_harness::provisioning::simulate;
use scim_harness::reference::config::ReferenceConfig;
use scim_harness::reference::http::{AppState, serve};
use scim_harness::reference::server::RunningReference;
use scim_harness::reference::store::Store;
use scim_harness::reference::usersync::Faults as EngineFaults;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

async fn reference(clock: Arc<SimClock>) -> (RunningReference, ScimClient) {
    let r = RunningReference::start_with(
        ReferenceConfig::default(),
        clock,
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("reference");
    let c = ScimClient::new(&r.base_url, Connection::default()).expect("client");
    AdminClient::new(c.clone())
        .prepare_org("it@contoso.example", "contoso.example")
        .await
        .expect("the prerequisites are met");
    (r, c)
}

/// A SCIM-only target: the reference's routes without User Sync, so its admin API answers 404.
async fn scim_only(clock: Arc<SimClock>) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let store = Arc::new(Store::new(ReferenceConfig::default(), clock));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, AppState::new(store), async {
        let _ = rx.await;
    }));
    (url, tx)
}

async fn rules_and_switch(c: &ScimClient, conn: &Connector, dir: &Directory) {
    let admin = AdminClient::new(c.clone());
    for (i, g) in dir.selected.iter().enumerate() {
        let gid = &conn.group_links[g];
        admin
            .create_rule(gid, &[format!("P{i}"), "Common".into()])
            .await
            .expect("rule");
    }
    admin.set_switch(true).await.expect("switch");
    admin
        .settle(Duration::from_secs(60))
        .await
        .expect("settles");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn converges_through_user_sync_and_catches_an_engine_ignoring_nesting() {
    let clock = Arc::new(SimClock::default());
    let (srv, c) = reference(clock.clone()).await;
    let dir = Directory::generate(&DirectorySpec::new(600, 40, 3, clock.now()));
    let mut conn = Connector::new(c.clone(), AdcConfig::default());
    let s = conn.run(&dir, clock.now()).await;
    assert_eq!(s.failures, 0, "{s:?}");
    rules_and_switch(&c, &conn, &dir).await;
    let ok = check::check(&conn, &dir).await.expect("check");
    assert!(
        ok.convergence.converged(),
        "{:?}",
        ok.convergence.divergences
    );
    assert!(
        ok.entitlements_expected > 600,
        "{}",
        ok.entitlements_expected
    );
    assert!(ok.entitlement_users_checked > 500);
    // Users reach the rules of the roots only through nesting: an engine that ignores it
    // leaves them without products, and the from-scratch check says so.
    srv.usersync.set_faults(EngineFaults {
        ignore_nesting: true,
        ..Default::default()
    });
    let admin = AdminClient::new(c.clone());
    for on in [false, true] {
        admin.set_switch(on).await.expect("switch");
    }
    admin
        .settle(Duration::from_secs(60))
        .await
        .expect("settles");
    let bad = check::check(&conn, &dir).await.expect("check");
    assert!(
        bad.convergence.divergence_count > 100,
        "{}",
        bad.convergence.divergence_count
    );
    assert!(
        bad.convergence
            .divergences
            .iter()
            .all(|d| d.attribute == "entitlements")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn later_runs_push_only_differences_and_never_delete_users() {
    let clock = Arc::new(SimClock::default());
    let (_srv, c) = reference(clock.clone()).await;
    let mut dir = Directory::generate(&DirectorySpec::new(400, 30, 5, clock.now()));
    let mut conn = Connector::new(c.clone(), AdcConfig::default());
    let first = conn.run(&dir, clock.now()).await;
    assert!(first.initial && first.creates > 350, "{first:?}");
    let skipped = conn
        .logs
        .iter()
        .filter(|l| l.action == Action::Skip && l.reason.contains("not under a verified domain"))
        .count();
    assert_eq!(skipped, first.skips);
    assert!(
        skipped >= 5,
        "one in 50 users is outside the verified domain"
    );
    // Nothing changed: nothing is sent.
    let t1 = conn.next_run_at().expect("next poll");
    clock.advance_to(t1);
    let idle = conn.run(&dir, t1).await;
    assert_eq!(
        (
            idle.requests,
            idle.creates,
            idle.updates,
            idle.member_patches,
            idle.skips
        ),
        (0, 0, 0, 0, 0),
        "{idle:?}"
    );
    // Churn (leavers included, hard-deleted 30 days later): still only differences, and no
    // user is ever deleted.
    let mut rng = <rand_chacha::ChaCha8Rng as fake::rand::SeedableRng>::seed_from_u64(9);
    let mut t = t1;
    let mut leavers = 0;
    for _ in 0..3 {
        t += chrono::Duration::days(15);
        clock.advance_to(t);
        let stats = churn::apply(&mut dir.tenant, &ChurnModel::new(0.05), &mut rng, t);
        leavers += stats.leaves;
        let s = conn.run(&dir, t).await;
        assert_eq!(s.failures, 0, "{s:?}");
        assert!(
            s.updates + s.creates + s.disables <= stats.total() + 5,
            "{s:?} vs {stats:?}"
        );
    }
    assert!(leavers > 0);
    assert!(
        !conn
            .logs
            .iter()
            .any(|l| l.kind == ObjectKind::User && l.action == Action::Delete),
        "users are never deleted"
    );
    assert!(conn.runs.iter().map(|r| r.disables).sum::<usize>() > 0);
    let result = check::check(&conn, &dir).await.expect("check");
    assert!(
        result.convergence.converged(),
        "{:?}",
        result.convergence.divergences
    );
    assert!(conn.logs.iter().all(|l| l.result != Outcome::Failure));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_day_converges_and_a_target_without_the_admin_api_still_gets_the_directory() {
    let opts = SimOptions {
        source: SourceOptions::Adc(AdcOptions::default()),
        tenant: TenantSource::Generate {
            users: 800,
            groups: 40,
        },
        cycles: 12,
        churn: 0.02,
        ..Default::default()
    };
    let r = simulate(&opts).await.expect("simulation");
    assert!(
        r.converged(),
        "{}",
        scim_harness::provisioning::sim::report::table(&r)
    );
    let u = r.usersync.as_ref().expect("User Sync figures");
    assert_eq!(u.rules, 2);
    assert!(u.entitlements > 800 && u.users_checked > 700, "{u:?}");
    assert_eq!(r.cycles.len(), 13);
    // A SCIM-only target: verified domains given, no rules, no entitlement check.
    let clock = Arc::new(SimClock::default());
    let (url, _stop) = scim_only(clock).await;
    let opts = SimOptions {
        target: Some(url),
        source: SourceOptions::Adc(AdcOptions {
            verified_domains: Some(vec!["contoso.example".into()]),
            ..Default::default()
        }),
        cycles: 3,
        ..opts
    };
    let r = simulate(&opts).await.expect("simulation");
    assert!(
        r.converged(),
        "{}",
        scim_harness::provisioning::sim::report::table(&r)
    );
    assert!(r.usersync.is_none());
    assert!(r.convergence.users_checked > 700);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_synced_organizational_units_are_pushed() {
    let clock = Arc::new(SimClock::default());
    let (_srv, c) = reference(clock.clone()).await;
    let dir = Directory::generate(&DirectorySpec::new(300, 20, 8, clock.now()));
    let north = "OU=North,OU=People,DC=contoso,DC=example".to_string();
    let config = AdcConfig {
        organizational_units: Some(vec![north.clone()]),
        ..Default::default()
    };
    let mut conn = Connector::new(c.clone(), config);
    let s = conn.run(&dir, clock.now()).await;
    assert_eq!(s.failures, 0);
    let pushed: Vec<_> = dir
        .tenant
        .users
        .iter()
        .filter(|u| conn.user_links.contains_key(&u.object_id))
        .collect();
    assert!(!pushed.is_empty());
    assert!(pushed.iter().all(|u| Directory::ou_of(u) == north));
    assert!(conn.logs.iter().any(|l| {
        l.reason
            .contains("is not an organizational unit the connector syncs")
    }));
    let result = check::check(&conn, &dir).await.expect("check");
    assert!(
        result.convergence.converged(),
        "{:?}",
        result.convergence.divergences
    );
}

/// The benchmark; the figures go to the closing note and `reports/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "about 40 s in release: cargo test --release --test it adc_connector -- --ignored --nocapture"]
async fn fifty_thousand_users_three_levels_deep_converge_through_user_sync() {
    let opts = SimOptions {
        source: SourceOptions::Adc(AdcOptions::default()),
        tenant: TenantSource::Generate {
            users: 50_000,
            groups: 2_500,
        },
        cycles: 48,
        churn: 0.01,
        ..Default::default()
    };
    let r = simulate(&opts).await.expect("simulation");
    let table = scim_harness::provisioning::sim::report::table(&r);
    println!("{table}");
    assert!(r.converged(), "{table}");
    let u = r.usersync.as_ref().expect("User Sync figures");
    assert!(u.users_checked > 45_000, "{u:?}");
    assert!(u.entitlements > 100_000, "{u:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_member_change_is_reconciled_with_the_target_not_repeated() {
    // A strict target answers 400 noTarget to removing a member that is already gone.
    let clock = Arc::new(SimClock::default());
    let strict = ReferenceConfig {
        entra_compat: false,
        ..Default::default()
    };
    let srv =
        RunningReference::start_with(strict, clock.clone(), "127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("reference");
    let c = ScimClient::new(&srv.base_url, Connection::default()).expect("client");
    let mut dir = Directory::generate(&DirectorySpec::new(100, 10, 2, clock.now()));
    let config = AdcConfig {
        verified_domains: Some(vec!["contoso.example".into()]),
        ..Default::default()
    };
    let mut conn = Connector::new(c.clone(), config);
    let first = conn.run(&dir, clock.now()).await;
    assert_eq!(first.failures, 0, "{first:?}");
    // A member the connector believes in is already gone from the target (say, its earlier
    // remove was applied but the answer was lost).
    let (gi, user) = dir
        .tenant
        .groups
        .iter()
        .enumerate()
        .find_map(|(gi, g)| {
            g.members
                .iter()
                .find(|m| conn.user_links.contains_key(*m))
                .map(|m| (gi, m.clone()))
        })
        .expect("a group with a pushed member");
    let gid = conn.group_links[&dir.tenant.groups[gi].object_id].clone();
    let uid = conn.user_links[&user].clone();
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "remove", "path": format!("members[value eq \"{uid}\"]")}]
    });
    let r = c
        .patch(&format!("/Groups/{gid}"), &body)
        .await
        .expect("patch");
    assert!(matches!(r.status, 200 | 204), "{}", r.raw);
    dir.tenant.groups[gi].members.retain(|m| *m != user);
    let t = conn.next_run_at().expect("next");
    clock.advance_to(t);
    let second = conn.run(&dir, t).await;
    assert_eq!(
        second.failures, 1,
        "the strict target refuses the remove: {second:?}"
    );
    let t = conn.next_run_at().expect("next");
    clock.advance_to(t);
    let third = conn.run(&dir, t).await;
    assert_eq!(
        (third.failures, third.member_patches, third.requests),
        (0, 0, 0),
        "reconciled, not repeated: {third:?}"
    );
    let result = check::check(&conn, &dir).await.expect("check");
    assert!(
        result.convergence.converged(),
        "{:?}",
        result.convergence.divergences
    );
}
