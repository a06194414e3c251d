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
//! Okta's client (`--idp okta`, issue 17), on the same servers:
//! - scim2-server and scimmy converge, from an OIN app and from a custom one: Okta removes
//!   members by a filter in the path and sends `active` as a boolean;
//! - django-scim2 answers 501 to the OIN group PATCH, answers a custom app's group PUT with
//!   200 and drops its members, keeps an email without its `type` and does not keep
//!   `locale` (checked with curl: the 201 of a create with both shows the email without a
//!   type and no locale).
//!
//! `SCIM_HARNESS_SKIP_PEERS=1` skips these, as the conformance panel.

use super::peer_panel::start;
use crate::common;
use scim_harness::client::Connection;
use scim_harness::provisioning::sim::{
    OktaApp, OktaOptions, SimOptions, SourceOptions, TenantSource,
};
use scim_harness::provisioning::{SimulationReport, simulate};

async fn simulate_on(name: &str) -> Option<SimulationReport> {
    simulate_as(name, SourceOptions::default()).await
}

async fn simulate_as(name: &str, source: SourceOptions) -> Option<SimulationReport> {
    if std::env::var_os("SCIM_HARNESS_SKIP_PEERS").is_some() {
        eprintln!("SCIM_HARNESS_SKIP_PEERS is set: peer {name} not run");
        return None;
    }
    let peer = start(name);
    let opts = SimOptions {
        source,
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

fn okta(app: OktaApp) -> SourceOptions {
    SourceOptions::Okta(OktaOptions {
        app,
        ..Default::default()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim2_server_and_scimmy_converge_under_oktas_client() {
    let _serial = common::SUITE.lock().await;
    for name in ["scim2-server", "scimmy"] {
        for app in [OktaApp::Oin, OktaApp::Custom] {
            let Some(r) = simulate_as(name, okta(app)).await else {
                return;
            };
            assert!(
                r.converged(),
                "{name} ({app:?}): {:?}",
                r.convergence.divergences
            );
            let o = r.okta.as_ref().expect("Okta's figures");
            assert!(
                o.imports.iter().all(|i| i.problems.is_empty()),
                "{name}: {:?}",
                o.imports
            );
            assert_eq!(o.imports.last().map(|i| i.unmatched), Some(0), "{name}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn django_scim2_under_okta_refuses_the_group_patch_and_drops_what_it_said_it_kept() {
    let _serial = common::SUITE.lock().await;
    let Some(r) = simulate_as("django-scim2", okta(OktaApp::Oin)).await else {
        return;
    };
    let c = &r.convergence;
    assert!(!r.converged());
    let explained: usize = c.explained.iter().map(|e| e.divergences).sum();
    assert_eq!(explained + c.unexplained, c.divergence_count);
    for e in &c.explained {
        let g = &r.failure_groups[e.group];
        assert_eq!(g.status, Some(501));
        assert_eq!(g.action, "membership pushes");
        assert!(
            g.request
                .as_deref()
                .unwrap_or_default()
                .starts_with("PATCH /Groups/{id} (Replace without a path (id, displayName)"),
            "{:?}",
            g.request
        );
        assert_eq!(e.attributes[0].0, "members");
    }
    let unexplained: Vec<&str> = c
        .unexplained_attributes
        .iter()
        .map(|(a, _)| a.as_str())
        .collect();
    assert_eq!(
        unexplained,
        ["emails[type eq \"work\"].value", "locale"],
        "{unexplained:?}"
    );
    // The email is there, without its type: the divergence says so.
    let email = c
        .divergences
        .iter()
        .find(|d| d.attribute.starts_with("emails"))
        .expect("an email divergence");
    assert!(
        email.actual.contains("the filter selects nothing"),
        "{}",
        email.actual
    );

    let Some(r) = simulate_as("django-scim2", okta(OktaApp::Custom)).await else {
        return;
    };
    // The custom app's group PUT is answered 200 and its members dropped: nothing failed,
    // so no failure explains the members.
    let members = r
        .convergence
        .unexplained_attributes
        .iter()
        .find(|(a, _)| a == "members")
        .map_or(0, |(_, n)| *n);
    assert!(members > 0, "{:?}", r.convergence.unexplained_attributes);
    assert!(
        r.failure_groups.is_empty(),
        "{:?}",
        r.failure_groups.first().map(|g| g.line())
    );
}
