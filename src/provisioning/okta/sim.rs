//! `scim-harness simulate --idp okta`: the seeded tenant assigned to an Okta app, pushed at
//! once; then the shared churn every 40 simulated minutes, each change pushed as it happens
//! (O-PUSH-01), and an import on its schedule (O-IMPORT-01). At the end the admin retries
//! the tasks left in Dashboard > Tasks (O-RATE-01), and the target is checked as Entra's is,
//! except that a user gone from the directory only has to be inactive: Okta never deletes
//! one (O-DEACTIVATE-01).

use super::app::USER_AGENT;
use super::import::import;
use super::push::{Pusher, Round};
use crate::client::ScimClient;
use crate::clock::{Clock, SimClock};
use crate::provisioning::churn::{self, ChurnModel};
use crate::provisioning::logs::okta::event_type;
use crate::provisioning::sim::check::{self, Expected};
use crate::provisioning::sim::failures::{self, Words};
use crate::provisioning::sim::report::{JobState, OktaFigures};
use crate::provisioning::sim::{
    CYCLE_INTERVAL_MINUTES, CycleCallback, OktaOptions, SimError, SimOptions, SimulationReport,
    Source, Target,
};
use chrono::Duration;
use fake::rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::sync::Arc;

fn median(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

/// Runs a simulation of Okta's provisioning.
pub async fn simulate(opts: &SimOptions, okta: &OktaOptions) -> Result<SimulationReport, SimError> {
    let wall = std::time::Instant::now();
    let clock = Arc::new(SimClock::default());
    let t0 = clock.now();
    let mut tenant = opts.tenant.tenant(opts.seed, t0)?;
    let target = Target::start(opts, okta.faults.as_ref(), clock.clone()).await?;
    let (url, connection, embedded) = (
        target.url.clone(),
        target.connection.clone(),
        target.embedded,
    );
    let insecure = connection.is_insecure();
    let connection = connection
        .with_header("User-Agent", USER_AGENT)
        .map_err(|e| SimError::Setup(e.to_string()))?;
    let client = ScimClient::new(&url, connection)?;
    let mut pusher = Pusher::new(client, okta.app, opts.concurrency);
    let report_cycle =
        |s: &crate::provisioning::sim::CycleSummary| CycleCallback::notify(&opts.on_cycle, s);
    let memberships = tenant.membership_count();
    let (users0, groups0) = (tenant.users.len(), tenant.groups.len());
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed ^ 0x0C7Au64.rotate_left(48));
    let model = ChurnModel::new(opts.churn);
    let mut churn_log = Vec::new();
    let mut imports = Vec::new();
    let every = Duration::minutes(okta.import_minutes.max(0));
    let mut next_import = (okta.import_minutes > 0).then(|| t0 + every);
    let step = Duration::minutes(CYCLE_INTERVAL_MINUTES);

    let first = pusher.round(&tenant, t0, Round::Assignment).await;
    report_cycle(&first);
    let mut now = t0;
    for slot in 1..=opts.cycles {
        now = t0 + step * slot as i32;
        // Imports that fell due before this round's changes, each after the last ended.
        while let Some(at) = next_import.filter(|at| *at <= now) {
            clock.advance_to(at);
            let s = import(
                &pusher.client,
                &pusher.retry,
                at,
                &pusher.user_links,
                &pusher.active_ids(),
            )
            .await;
            next_import = Some(at + every + Duration::milliseconds(s.waited_ms as i64));
            imports.push(s);
        }
        clock.advance_to(now);
        churn_log.push(churn::apply(&mut tenant, &model, &mut rng, now));
        let s = pusher.round(&tenant, now, Round::Events).await;
        report_cycle(&s);
    }
    // The admin retries what waits in Dashboard > Tasks, a round at a time, and gives up
    // after three rounds in a row that cleared none (a refusal only repeats).
    let (mut retry_rounds, mut fruitless) = (0, 0);
    while !pusher.tasks.is_empty() && retry_rounds < opts.settle_cycles && fruitless < 3 {
        let before = pusher.tasks.len();
        now += step;
        clock.advance_to(now);
        let s = pusher.round(&tenant, now, Round::RetryTasks).await;
        report_cycle(&s);
        retry_rounds += 1;
        fruitless = if pusher.tasks.len() < before {
            0
        } else {
            fruitless + 1
        };
    }
    target.calm();
    let expected = Expected {
        user_links: &pusher.user_links,
        group_links: &pusher.group_links,
        mappings: &pusher.mappings,
        scoping: &pusher.scoping,
        pending: pusher.tasks.len(),
        deletes_users: false,
    };
    let mut convergence = check::check(&pusher.client, &tenant, &expected).await?;
    // An import Okta could not read is a divergence of its own (O-IMPORT-01).
    let mut seen = std::collections::BTreeSet::new();
    for s in &imports {
        for p in &s.problems {
            if seen.insert(p.clone()) {
                convergence.push(
                    "import",
                    "GET /Users pages",
                    "what Okta's import reads".into(),
                    p.clone(),
                );
            }
        }
    }
    let logs = std::mem::take(&mut pusher.logs);
    let (failure_groups, of_record) = failures::group_with(&logs, Words::Okta);
    failures::explain(&mut convergence, &logs, &of_record);
    let mut pushes: BTreeMap<String, usize> = BTreeMap::new();
    for r in logs
        .iter()
        .filter(|r| r.result == crate::provisioning::logs::Outcome::Success)
    {
        *pushes
            .entry(event_type(r.kind, r.action).0.to_string())
            .or_default() += 1;
    }
    let mut latencies = std::mem::take(&mut pusher.latencies_ms);
    let figures = OktaFigures {
        app: okta.app.name().into(),
        import_every_minutes: okta.import_minutes,
        pushes,
        push_latency_max_ms: latencies.iter().copied().max().unwrap_or(0),
        push_latency_p50_ms: median(&mut latencies),
        retries_429: pusher.retries_429,
        tasks_open: pusher.tasks.len(),
        task_retry_rounds: retry_rounds,
        imports,
        request_shapes: std::mem::take(&mut pusher.shapes),
    };
    Ok(SimulationReport {
        source: Source::Okta,
        target: target.name(),
        embedded,
        insecure,
        seed: opts.seed,
        compat: Default::default(),
        users: users0,
        groups: groups0,
        memberships,
        churn_rate: opts.churn,
        cycles: pusher.rounds.clone(),
        churn: churn_log,
        initial: None,
        convergence,
        final_state: JobState::Active,
        outbox: Vec::new(),
        compliance_warnings: Vec::new(),
        log_records: logs.len(),
        failure_groups,
        logs,
        wall_seconds: wall.elapsed().as_secs_f64(),
        settle_cycles_used: retry_rounds,
        watch: None,
        sync_status: None,
        okta: Some(figures),
        usersync: None,
    })
}
