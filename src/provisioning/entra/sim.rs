//! `scim-harness simulate` (the provisioning service): a day of provisioning in seconds.
//! Generates (or loads) a tenant, runs the initial cycle, then a 40-minute slot after slot
//! with churn applied before each, running the job whenever it is due (quarantine stretches
//! that), then settles the escrows and checks convergence.

use super::job::{JobConfig, ProvisioningJob};
use crate::client::ScimClient;
use crate::clock::{Clock, SimClock};
use crate::provisioning::churn::{self, ChurnModel};
use crate::provisioning::logs::{Action, ObjectKind, Outcome};
use crate::provisioning::sim::report::{Watch, WatchEvent};
use crate::provisioning::sim::{
    CYCLE_INTERVAL_MINUTES, CycleCallback, CycleSummary, EntraOptions, InitialCycleComparison,
    SimError, SimOptions, SimulationReport, Source, Target,
};
use crate::provisioning::sim::{failures, pace};
use crate::provisioning::tenant::Tenant;
use chrono::{DateTime, Duration, Utc};
use fake::rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;

/// The user `--watch` names, by userName (the UPN) or display name: (object id, userName).
fn watched_user(tenant: &Tenant, name: &str) -> Result<(String, String), SimError> {
    tenant
        .users
        .iter()
        .find(|u| {
            u.user_principal_name.eq_ignore_ascii_case(name)
                || u.display_name.eq_ignore_ascii_case(name)
        })
        .map(|u| (u.object_id.clone(), u.user_principal_name.clone()))
        .ok_or_else(|| {
            let example = tenant
                .users
                .first()
                .map(|u| {
                    format!(
                        " (e.g. {} or \"{}\")",
                        u.user_principal_name, u.display_name
                    )
                })
                .unwrap_or_default();
            SimError::Setup(format!(
                "--watch '{name}': no user of the tenant has that userName or display name{example}"
            ))
        })
}

/// The next 40-minute slot, or 40 minutes after the last cycle ended when it ran past that:
/// a long cycle pushes the next one (a quarantined job still steps 40 minutes at a time).
fn next_slot(now: DateTime<Utc>, job: &ProvisioningJob) -> DateTime<Utc> {
    let step = Duration::minutes(CYCLE_INTERVAL_MINUTES);
    let after_last = job.cycles().last().map(|c| c.sim_end + step);
    (now + step).max(after_last.unwrap_or(now))
}

/// Runs a simulation of the provisioning service.
pub async fn simulate(
    opts: &SimOptions,
    entra: &EntraOptions,
) -> Result<SimulationReport, SimError> {
    let wall = std::time::Instant::now();
    let clock = Arc::new(SimClock::default());
    let t0 = clock.now();
    let mut tenant = opts.tenant.tenant(opts.seed, t0)?;
    let watched = match &entra.watch {
        Some(w) => Some(watched_user(&tenant, w)?),
        None => None,
    };
    // Keep the servers alive for the whole run.
    let target = Target::start(opts, entra.faults.as_ref(), clock.clone()).await?;
    let (url, connection, embedded) = (
        target.url.clone(),
        target.connection.clone(),
        target.embedded,
    );
    let insecure = connection.is_insecure();
    let client = ScimClient::new(&url, connection)?;
    let mut config = JobConfig {
        compat: entra.compat,
        scoping: entra.scoping.clone(),
        concurrency: opts.concurrency.max(1),
        pace: entra.pace,
        ..Default::default()
    };
    if entra.map_manager {
        config.mappings = config.mappings.with_manager();
    }
    let mut job = ProvisioningJob::new(client, clock.clone(), config);
    if let Some(p) = &opts.progress {
        job.report_progress_to(p.clone());
    }
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed ^ 0xC4u64.rotate_left(56));
    let model = ChurnModel::new(opts.churn);
    let mut churn_log = Vec::new();
    let report_cycle = |s: &CycleSummary| CycleCallback::notify(&opts.on_cycle, s);
    let memberships = tenant.membership_count();
    let (users0, groups0) = (tenant.users.len(), tenant.groups.len());
    let mut now = t0;
    for slot in 0..=opts.cycles {
        if slot > 0 {
            now = next_slot(now, &job);
        }
        clock.advance_to(now);
        if slot > 0 {
            churn_log.push(churn::apply(&mut tenant, &model, &mut rng, now));
        }
        if let Some(s) = job.tick(&tenant).await {
            report_cycle(&s);
        }
    }
    let mut settle = 0;
    while !job.escrows().is_empty() && settle < opts.settle_cycles {
        now = next_slot(now, &job);
        clock.advance_to(now);
        if let Some(s) = job.tick(&tenant).await {
            settle += 1;
            report_cycle(&s);
        } else if job.next_run_at().is_none() {
            break;
        }
    }
    target.calm();
    let mut convergence = job.check(&tenant).await?;
    let logs = job.take_logs();
    let (failure_groups, of_record) = failures::group(&logs);
    failures::explain(&mut convergence, &logs, &of_record);
    let minutes_since = |at: DateTime<Utc>| (at - t0).num_milliseconds() as f64 / 60_000.0;
    let initial = job.cycles().iter().find(|c| c.initial).map(|c| {
        // N as the provider counted it: users and groups evaluated, memberships sent.
        let n = c.objects;
        let last_user = logs
            .iter()
            .filter(|r| {
                r.cycle == c.number
                    && r.kind == ObjectKind::User
                    && r.action == Action::Create
                    && r.result == Outcome::Success
            })
            .map(|r| r.at)
            .max();
        InitialCycleComparison {
            n,
            published_min_minutes: pace::PUBLISHED_LOW * n as f64,
            published_max_minutes: pace::PUBLISHED_HIGH * n as f64,
            simulated_minutes: c.sim_minutes,
            wall_seconds: c.wall_ms as f64 / 1000.0,
            requests: c.requests,
            pace: entra.pace.name.to_string(),
            minutes_per_object: entra.pace.minutes_per_object,
            last_user_provisioned_minutes: last_user.map(minutes_since),
        }
    });
    let watch = watched.map(|(source_id, user)| Watch {
        events: logs
            .iter()
            .filter(|r| r.kind == ObjectKind::User && r.source_id == source_id)
            .map(|r| WatchEvent {
                cycle: r.cycle,
                at: r.at,
                minutes: minutes_since(r.at),
                action: r.action.as_str().to_string(),
                result: r.result.as_str().to_string(),
                reason: r.reason.clone(),
            })
            .collect(),
        user,
        source_id,
    });
    Ok(SimulationReport {
        source: Source::Entra,
        usersync: None,
        target: target.name(),
        embedded,
        insecure,
        seed: opts.seed,
        compat: entra.compat,
        users: users0,
        groups: groups0,
        memberships,
        churn_rate: opts.churn,
        cycles: job.cycles().to_vec(),
        churn: churn_log,
        initial,
        convergence,
        final_state: job.state().clone(),
        outbox: job.outbox().to_vec(),
        compliance_warnings: job.compliance_warnings().to_vec(),
        log_records: logs.len(),
        failure_groups,
        logs,
        wall_seconds: wall.elapsed().as_secs_f64(),
        settle_cycles_used: settle,
        okta: None,
        sync_status: Some(job.sync_status()),
        watch,
    })
}
