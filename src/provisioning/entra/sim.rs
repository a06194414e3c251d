//! `scim-harness simulate` (the provisioning service): a day of provisioning in seconds.
//! Generates (or loads) a tenant, runs the initial cycle, then a 40-minute slot after slot
//! with churn applied before each, running the job whenever it is due (quarantine stretches
//! that), then settles the escrows and checks convergence.

use super::check;
use super::job::{JobConfig, ProvisioningJob};
use crate::client::{Connection, ScimClient};
use crate::clock::{Clock, SimClock};
use crate::provisioning::churn::{self, ChurnModel};
use crate::provisioning::faulty_target::{Faults, FaultyTarget};
use crate::provisioning::sim::{
    CYCLE_INTERVAL_MINUTES, CycleCallback, CycleSummary, EntraOptions, InitialCycleComparison,
    SimError, SimOptions, SimulationReport, Source, start_reference,
};
use crate::reference::config::ReferenceConfig;
use chrono::Duration;
use fake::rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;

/// Runs a simulation of the provisioning service.
pub async fn simulate(
    opts: &SimOptions,
    entra: &EntraOptions,
) -> Result<SimulationReport, SimError> {
    let wall = std::time::Instant::now();
    let clock = Arc::new(SimClock::default());
    let t0 = clock.now();
    let mut tenant = opts.tenant.tenant(opts.seed, t0)?;
    // Keep the servers alive for the whole run.
    let mut _reference = None;
    let mut _faulty = None;
    let (url, connection, embedded) = match &opts.target {
        Some(u) => (u.clone(), opts.connection.clone(), false),
        None => {
            let token = uuid::Uuid::new_v4().simple().to_string();
            let config = ReferenceConfig {
                token: Some(token.clone()),
                ..Default::default()
            };
            let url = match &entra.faults {
                Some(f) => {
                    let t = FaultyTarget::start(config, clock.clone(), f.clone(), opts.seed)
                        .await
                        .map_err(SimError::Reference)?;
                    let url = t.base_url.clone();
                    _faulty = Some(t);
                    url
                }
                None => {
                    let r = start_reference(config, clock.clone()).await?;
                    let url = r.base_url.clone();
                    _reference = Some(r);
                    url
                }
            };
            (url, Connection::bearer(token).direct(), true)
        }
    };
    let insecure = connection.is_insecure();
    let client = ScimClient::new(&url, connection)?;
    let mut config = JobConfig {
        compat: entra.compat,
        scoping: entra.scoping.clone(),
        concurrency: opts.concurrency.max(1),
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
    for slot in 0..=opts.cycles {
        let now = t0 + Duration::minutes(CYCLE_INTERVAL_MINUTES * slot as i64);
        clock.advance_to(now);
        if slot > 0 {
            churn_log.push(churn::apply(&mut tenant, &model, &mut rng, now));
        }
        if let Some(s) = job.tick(&tenant).await {
            report_cycle(&s);
        }
    }
    let mut settle = 0;
    let mut now = clock.now();
    while !job.escrows().is_empty() && settle < opts.settle_cycles {
        now += Duration::minutes(CYCLE_INTERVAL_MINUTES);
        clock.advance_to(now);
        if let Some(s) = job.tick(&tenant).await {
            settle += 1;
            report_cycle(&s);
        } else if job.next_run_at().is_none() {
            break;
        }
    }
    // The convergence read is not part of the simulated provider: faults off.
    if let Some(t) = &_faulty {
        t.control.set(Faults::default());
    }
    let convergence = check::check(&job, &tenant).await?;
    let initial = job.cycles().iter().find(|c| c.initial).map(|c| {
        let n = users0 + groups0 + memberships;
        InitialCycleComparison {
            n,
            published_min_minutes: 0.01 * n as f64,
            published_max_minutes: 0.08 * n as f64,
            simulated_minutes: c.sim_minutes,
            wall_seconds: c.wall_ms as f64 / 1000.0,
            requests: c.requests,
        }
    });
    Ok(SimulationReport {
        source: Source::Entra,
        usersync: None,
        target: if embedded {
            "embedded reference".into()
        } else {
            url
        },
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
        log_records: job.logs().len(),
        wall_seconds: wall.elapsed().as_secs_f64(),
        settle_cycles_used: settle,
    })
}
