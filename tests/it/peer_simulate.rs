//! `simulate --target` on the panel's independent servers (issue 13): every divergence the
//! convergence check finds on them is explained by a failure group, and the group names the
//! refused request, as checked by hand with curl:
//! - scim2-server answers 400 to the member-removal PATCH Entra sends (`Remove` of `members`
//!   with a value list; RFC 7644 §3.5.2.2 selects with a filter in the path);
//! - scimmy answers 400 to the disable PATCH (`Replace active` with the string "False", the
//!   shape of Entra's default mode);
//! - django-scim2 answers 501 to PATCH of the enterprise attributes and 400 to the string
//!   "False"; it also accepts emails and enterprise attributes on create without keeping them,
//!   which no failure explains (the provider believed it succeeded), and is counted so.
//!
//! `SCIM_HARNESS_SKIP_PEERS=1` skips these, as the conformance panel.

use super::peer_panel::start;
use crate::common;
use scim_harness::client::Connection;
use scim_harness::provisioning::sim::{SimOptions, TenantSource};
use scim_harness::provisioning::{SimulationReport, simulate};

async fn simulate_on(name: &str) -> Option<SimulationReport> {
    if std::env::var_os("SCIM_HARNESS_SKIP_PEERS").is_some() {
        eprintln!("SCIM_HARNESS_SKIP_PEERS is set: peer {name} not run");
        return None;
    }
    let peer = start(name);
    let opts = SimOptions {
        target: Some(peer.url.clone()),
        connection: Connection::bearer(peer.token.clone()),
        tenant: TenantSource::Generate {
            users: 200,
            groups: 10,
        },
        churn: 0.05,
        cycles: 12,
        ..Default::default()
    };
    let r = simulate(&opts).await.expect("the simulation runs");
    drop(peer);
    Some(r)
}

/// The one group explaining every divergence, with its request and status.
fn sole_cause(r: &SimulationReport) -> (String, Option<u16>) {
    let c = &r.convergence;
    assert!(!r.converged(), "the peer diverges");
    assert_eq!(
        c.unexplained, 0,
        "unexplained: {:?}",
        c.unexplained_attributes
    );
    let explained: usize = c.explained.iter().map(|e| e.divergences).sum();
    assert_eq!(
        explained, c.divergence_count,
        "every divergence is explained"
    );
    assert_eq!(c.explained.len(), 1, "{:?}", c.explained);
    let g = &r.failure_groups[c.explained[0].group];
    (g.request.clone().unwrap_or_default(), g.status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim2_server_divergences_are_the_refused_member_removal() {
    let _serial = common::SUITE.lock().await;
    let Some(r) = simulate_on("scim2-server").await else {
        return;
    };
    let (request, status) = sole_cause(&r);
    assert_eq!(status, Some(400));
    assert_eq!(
        request,
        "PATCH /Groups/{id} (Remove members with a value list)"
    );
    let e = &r.convergence.explained[0];
    assert_eq!(e.attributes.len(), 1);
    assert_eq!(e.attributes[0].0, "members");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scimmy_divergences_are_the_refused_disable() {
    let _serial = common::SUITE.lock().await;
    let Some(r) = simulate_on("scimmy").await else {
        return;
    };
    let (request, status) = sole_cause(&r);
    assert_eq!(status, Some(400));
    assert_eq!(
        request,
        "PATCH /Users/{id} (Replace active with a boolean as a string)"
    );
    assert_eq!(r.convergence.explained[0].attributes[0].0, "active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn django_scim2_divergences_name_the_refused_patches_and_count_the_dropped_values() {
    let _serial = common::SUITE.lock().await;
    let Some(r) = simulate_on("django-scim2").await else {
        return;
    };
    let c = &r.convergence;
    assert!(!r.converged());
    let explained: usize = c.explained.iter().map(|e| e.divergences).sum();
    assert_eq!(explained + c.unexplained, c.divergence_count);
    for e in &c.explained {
        let g = &r.failure_groups[e.group];
        let request = g.request.as_deref().unwrap_or_default();
        assert!(request.starts_with("PATCH /Users/{id} ("), "{request}");
        assert!(matches!(g.status, Some(400 | 501)), "{:?}", g.status);
    }
    // Accepted on create, not kept: only attributes the create carried.
    for (attribute, _) in &c.unexplained_attributes {
        assert!(
            [
                "emails[type eq \"work\"].value",
                "department",
                "employeeNumber",
                "costCenter",
                "division"
            ]
            .contains(&attribute.as_str()),
            "unexpected unexplained attribute {attribute}"
        );
    }
}
