//! The mock provider against misbehaving targets: each protocol bug makes the right thing
//! fail, and a target injecting 10 % faults still converges with zero lost changes.

use scim_harness::client::Connection;
use scim_harness::client::ScimClient;
use scim_harness::clock::{Clock, SimClock};
use scim_harness::provisioning::entra::job::{JobConfig, ProvisioningJob};
use scim_harness::provisioning::entra::quarantine::QuarantineReason;
use scim_harness::provisioning::faulty_target::{Faults, FaultyTarget};
use scim_harness::provisioning::logs::{Action, Outcome};
use scim_harness::provisioning::requests::Compat;
use scim_harness::provisioning::sim::report::JobState;
use scim_harness::provisioning::sim::{EntraOptions, SimOptions, SourceOptions, TenantSource};
use scim_harness::provisioning::simulate;
use scim_harness::provisioning::tenant::{Tenant, TenantSpec};
use scim_harness::reference::config::ReferenceConfig;
use std::sync::Arc;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn tenant(clock: &SimClock) -> Tenant {
    Tenant::generate(&TenantSpec::new(40, 4, 9, clock.now()))
}

async fn job_against(faults: Faults, compat: Compat) -> (ProvisioningJob, FaultyTarget, Tenant) {
    let clock = Arc::new(SimClock::default());
    let target = FaultyTarget::start(ReferenceConfig::default(), clock.clone(), faults, 1)
        .await
        .expect("target");
    let client = ScimClient::new(&target.base_url, Connection::default()).expect("client");
    let config = JobConfig {
        compat,
        ..Default::default()
    };
    let t = tenant(&clock);
    (ProvisioningJob::new(client, clock, config), target, t)
}

#[tokio::test]
async fn a_target_rejecting_capitalised_ops_fails_the_default_mode_updates() {
    let bug = Faults {
        reject_capitalised_ops: true,
        ..Default::default()
    };
    let (mut job, _t, tenant) = job_against(bug.clone(), Compat::Default).await;
    let s = job.run_cycle(&tenant).await;
    assert!(s.creates > 0, "creates need no PATCH: {s:?}");
    let failed: Vec<_> = job
        .logs()
        .iter()
        .filter(|l| l.action == Action::Members && l.result == Outcome::Failure)
        .collect();
    assert!(!failed.is_empty(), "member PATCHes with \"Add\" must fail");
    assert!(failed.iter().all(|l| l.status == Some(400)));
    // The same target works in aadOptscim062020 mode (lowercase ops).
    let (mut job, _t, tenant) = job_against(bug, Compat::AadOptscim062020).await;
    let s = job.run_cycle(&tenant).await;
    assert_eq!(s.failures, 0, "{s:?}");
    assert!(s.member_patches > 0);
}

#[tokio::test]
async fn a_target_answering_404_to_an_empty_filter_is_quarantined_at_once() {
    let bug = Faults {
        not_found_on_empty_filter: true,
        ..Default::default()
    };
    let (mut job, _t, tenant) = job_against(bug, Compat::Default).await;
    let s = job.run_cycle(&tenant).await;
    assert_eq!(s.creates, 0);
    assert_eq!(job.state(), &JobState::Quarantined);
    assert!(matches!(
        job.quarantine().as_ref().map(|q| &q.reason),
        Some(QuarantineReason::ComplianceFailure { .. })
    ));
    assert_eq!(job.outbox().len(), 1, "one notification email");
}

#[tokio::test]
async fn a_target_returning_members_despite_excluded_attributes_is_reported() {
    let bug = Faults {
        members_despite_excluded: true,
        ..Default::default()
    };
    let (mut job, _t, tenant) = job_against(bug, Compat::Default).await;
    job.run_cycle(&tenant).await;
    // A second full cycle reads the groups (now with members) again.
    job.restart(false, false);
    job.run_cycle(&tenant).await;
    assert!(
        job.compliance_warnings()
            .iter()
            .any(|w| w.contains("excludedAttributes=members")),
        "{:?}",
        job.compliance_warnings()
    );
    // A correct target gives none.
    let (mut job, _t, tenant) = job_against(Faults::default(), Compat::Default).await;
    job.run_cycle(&tenant).await;
    job.restart(false, false);
    job.run_cycle(&tenant).await;
    assert!(job.compliance_warnings().is_empty());
}

#[tokio::test]
async fn wiremock_targets_credential_and_compliance_failures() {
    for (status, credential) in [(401u16, true), (403, true), (404, false)] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/Users"))
            .respond_with(ResponseTemplate::new(status))
            .mount(&server)
            .await;
        let clock = Arc::new(SimClock::default());
        let client = ScimClient::new(&server.uri(), Connection::bearer("t")).expect("client");
        let mut job = ProvisioningJob::new(client, clock.clone(), JobConfig::default());
        let t = tenant(&clock);
        job.run_cycle(&t).await;
        let reason = job.quarantine().as_ref().map(|q| q.reason.clone());
        match reason {
            Some(QuarantineReason::CredentialFailure { status: s }) if credential => {
                assert_eq!(s, status)
            }
            Some(QuarantineReason::ComplianceFailure { .. }) if !credential => {}
            other => panic!("{status}: {other:?}"),
        }
        // The next attempt is 6 hours after the first failure.
        let next = job.next_run_at().expect("scheduled");
        let failed_at = job.cycles()[0].sim_start;
        assert_eq!(next - failed_at, chrono::Duration::hours(6));
        assert_eq!(server.received_requests().await.map(|r| r.len()), Some(1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_percent_faults_converge_with_zero_lost_changes() {
    for compat in [Compat::Default, Compat::AadOptscim062020] {
        let opts = SimOptions {
            tenant: TenantSource::Generate {
                users: 1500,
                groups: 60,
            },
            churn: 0.02,
            cycles: 12,
            seed: 5,
            source: SourceOptions::Entra(EntraOptions {
                compat,
                faults: Some(Faults::ten_percent()),
                map_manager: true,
                ..Default::default()
            }),
            ..Default::default()
        };
        let r = simulate(&opts).await.expect("simulation runs");
        let failures: usize = r.cycles.iter().map(|c| c.failures).sum();
        assert!(failures > 0, "faults were injected and seen");
        let managers: usize = r.cycles.iter().map(|c| c.manager_updates).sum();
        assert!(managers > 1000, "manager references were sent: {managers}");
        assert!(
            r.converged(),
            "{compat:?}: {}",
            scim_harness::provisioning::sim::report::table(&r)
        );
        assert_eq!(r.convergence.pending_escrows, 0);
        assert!(r.cycles.iter().all(|c| c.quarantine.is_none()));
    }
}

#[tokio::test]
async fn the_convergence_check_sees_a_manager_changed_behind_the_jobs_back() {
    let (mut job, _t, tenant) = job_against(Faults::default(), Compat::Default).await;
    job.map_manager();
    let s = job.run_cycle(&tenant).await;
    assert!(s.manager_updates > 0, "{s:?}");
    let c = job.check(&tenant).await.expect("check");
    assert!(c.converged(), "{:?}", c.divergences);
    // Someone edits a report's manager in the app: the check names the user and the attribute.
    let report = tenant
        .users
        .iter()
        .find(|u| u.manager.is_some() && job.user_links().contains_key(&u.object_id))
        .expect("a provisioned user with a manager");
    let id = &job.user_links()[&report.object_id];
    let body = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]
    });
    let r = job
        .client()
        .patch(&format!("/Users/{id}"), &body)
        .await
        .expect("patch");
    assert!(r.status == 200 || r.status == 204, "{}", r.status);
    let c = job.check(&tenant).await.expect("check");
    assert_eq!(c.divergence_count, 1, "{:?}", c.divergences);
    assert_eq!(c.divergences[0].object, report.user_principal_name);
    assert!(c.divergences[0].attribute.ends_with(":manager"));
    assert_eq!(c.divergences[0].actual, "(absent)");
}

#[tokio::test]
async fn a_refused_manager_reference_waits_for_a_change_instead_of_repeating() {
    // A strict target refuses the provider's bare-string manager (400 invalidValue).
    let clock = Arc::new(SimClock::default());
    let strict = ReferenceConfig {
        entra_compat: false,
        ..Default::default()
    };
    let target = FaultyTarget::start(strict, clock.clone(), Faults::default(), 1)
        .await
        .expect("target");
    let client = ScimClient::new(&target.base_url, Connection::default()).expect("client");
    let config = JobConfig {
        compat: Compat::AadOptscim062020,
        mappings: scim_harness::provisioning::mapping::Mappings::logmein_default().with_manager(),
        ..Default::default()
    };
    let mut tenant = tenant(&clock);
    let mut job = ProvisioningJob::new(client, clock.clone(), config);
    let refused = |job: &ProvisioningJob, cycle: u32| {
        job.logs()
            .iter()
            .filter(|l| l.cycle == cycle && l.action == Action::Manager)
            .inspect(|l| assert_eq!((l.result, l.status), (Outcome::Failure, Some(400))))
            .count()
    };
    job.run_cycle(&tenant).await;
    let first = refused(&job, 1);
    assert!(first > 10, "{first} manager references refused");
    // Nothing changed: the refusals are not repeated.
    let next = job.next_run_at().expect("next");
    clock.advance_to(next);
    job.run_cycle(&tenant).await;
    assert_eq!(refused(&job, 2), 0);
    // One user changes: only that user's reference is tried again.
    let i = tenant
        .users
        .iter()
        .position(|u| u.manager.is_some() && job.user_links().contains_key(&u.object_id))
        .expect("a provisioned user with a manager");
    let now = job.next_run_at().expect("next");
    tenant.users[i].department = Some("Legal".into());
    tenant.users[i].modified = now - chrono::Duration::minutes(1);
    clock.advance_to(now);
    job.run_cycle(&tenant).await;
    assert_eq!(refused(&job, 3), 1);
    assert!(job.quarantine().is_none());
}
