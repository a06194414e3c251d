//! `scim-harness simulate --source adc`: a directory polled by the connector for a simulated
//! day, User Sync running behind it. The first poll pushes everything; an admin then writes
//! one rule per selected (top-level) group and turns User Sync on, which is timed until every
//! entitlement is applied; every later poll follows a round of the shared churn and is timed
//! until User Sync has applied what it pushed. The end is a from-scratch check
//! ([`super::check`]): the product's users, groups and entitlements against the directory.
//!
//! User Sync needs the product's admin API (`openapi/usersync-admin.json`): on a target
//! without it the connector still runs and is checked, without the entitlement part.

use super::check;
use super::connector::{AdcConfig, Connector};
use super::directory::{Directory, DirectorySpec};
use crate::client::admin::{AdminClient, AdminError};
use crate::client::{Connection, ScimClient};
use crate::clock::{Clock, SimClock};
use crate::provisioning::churn::{self, ChurnModel};
use crate::provisioning::sim::report::JobState;
use crate::provisioning::sim::{
    AdcOptions, CycleCallback, CycleSummary, SimError, SimOptions, SimulationReport, Source,
    UserSyncFigures, start_reference,
};
use crate::reference::config::ReferenceConfig;
use chrono::Duration;
use fake::rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

/// The products rules grant, in turn.
const PRODUCTS: &[&str] = &[
    "Meeting", "Webinar", "Training", "Connect", "Resolve", "Rescue",
];

/// Products per rule.
const PRODUCTS_PER_RULE: usize = 2;

/// The longest wait for User Sync to apply a change before the simulation gives up.
const SETTLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

fn setup_err(e: AdminError) -> SimError {
    SimError::Setup(e.to_string())
}

/// One rule per selected group, products taken in turn from [`PRODUCTS`]; returns how many.
async fn create_rules(
    admin: &AdminClient,
    conn: &Connector,
    dir: &Directory,
) -> Result<usize, SimError> {
    let mut n = 0;
    for (i, g) in dir.selected.iter().enumerate() {
        let Some(gid) = conn.group_links.get(g) else {
            continue;
        };
        let products: Vec<String> = (0..PRODUCTS_PER_RULE)
            .map(|k| PRODUCTS[(i + k) % PRODUCTS.len()].to_string())
            .collect();
        admin.create_rule(gid, &products).await.map_err(setup_err)?;
        n += 1;
    }
    Ok(n)
}

async fn settle(admin: &AdminClient) -> Result<f64, SimError> {
    let t = Instant::now();
    admin
        .settle(SETTLE_LIMIT)
        .await
        .map_err(|e| SimError::Setup(format!("User Sync did not apply the changes: {e}")))?;
    Ok(t.elapsed().as_secs_f64() * 1000.0)
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs a connector simulation.
pub async fn simulate(opts: &SimOptions, adc: &AdcOptions) -> Result<SimulationReport, SimError> {
    let wall = Instant::now();
    let clock = std::sync::Arc::new(SimClock::default());
    let t0 = clock.now();
    let tenant = opts.tenant.tenant(opts.seed, t0)?;
    let mut spec = DirectorySpec::new(tenant.users.len(), tenant.groups.len(), opts.seed, t0);
    spec.levels = adc.levels;
    let mut dir = Directory::from_tenant(tenant, &spec);
    let mut _reference = None;
    let (url, connection, embedded) = match &opts.target {
        Some(u) => (u.clone(), opts.connection.clone(), false),
        None => {
            let token = uuid::Uuid::new_v4().simple().to_string();
            let config = ReferenceConfig {
                token: Some(token.clone()),
                ..Default::default()
            };
            let r = start_reference(config, clock.clone()).await?;
            let url = r.base_url.clone();
            _reference = Some(r);
            (url, Connection::bearer(token).direct(), true)
        }
    };
    let insecure = connection.is_insecure();
    let client = ScimClient::new(&url, connection)?;
    let admin = AdminClient::new(client.clone());
    // On an external target the prerequisites are the vendor's business.
    if embedded {
        let domain = &dir.tenant.domain;
        admin
            .prepare_org(&format!("adc-admin@{domain}"), domain)
            .await
            .map_err(setup_err)?;
    }
    let usersync = admin.serves_usersync().await?;
    let config = AdcConfig {
        interval: Duration::minutes(adc.interval_minutes.max(1)),
        verified_domains: adc.verified_domains.clone(),
        organizational_units: adc.organizational_units.clone(),
        concurrency: opts.concurrency.max(1),
        ..Default::default()
    };
    let mut conn = Connector::new(client.clone(), config);
    if let Some(p) = &opts.progress {
        conn.progress = p.clone();
    }
    let report_cycle = |s: &CycleSummary| CycleCallback::notify(&opts.on_cycle, s);
    let memberships = dir.tenant.membership_count();
    let (users0, groups0) = (dir.tenant.users.len(), dir.tenant.groups.len());

    // Without a verified domain every user would be skipped: say so before pushing nothing.
    let domains = conn.verified_domains().await.map_err(SimError::Setup)?;
    if domains.is_empty() {
        return Err(SimError::Setup(
            "the organization has no verified domain, so the connector would push no user; \
             verify the directory's domain in the product or pass --verified-domain"
                .into(),
        ));
    }
    // The first poll, then the admin's rules and the switch.
    let first = conn.run(&dir, t0).await;
    report_cycle(&first);
    if let Some(reason) = &first.aborted {
        return Err(SimError::Setup(reason.clone()));
    }
    let mut figures = None;
    if usersync {
        let rules = create_rules(&admin, &conn, &dir).await?;
        if let Err(e) = admin.set_switch(true).await {
            let detail = match &e {
                AdminError::Refused { detail, .. } => detail.clone(),
                other => other.to_string(),
            };
            return Err(SimError::Setup(format!(
                "User Sync refused to turn on: {detail}. Its prerequisites are the \
                 organization's (an admin with both roles, a verified domain): meet them in \
                 the product, or simulate against the embedded reference"
            )));
        }
        let switch_on_ms = settle(&admin).await?;
        let initial = check::check(&conn, &dir).await?;
        // What the product holds, not what it should: a wrong engine cannot look fast.
        figures = Some(UserSyncFigures {
            rules,
            initial_entitlements: initial.entitlements_found,
            switch_on_ms,
            entitlements_per_minute: initial.entitlements_found as f64
                / (switch_on_ms / 60_000.0).max(1e-9),
            ..Default::default()
        });
    }

    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed ^ 0xADC0_u64.rotate_left(48));
    let model = ChurnModel::new(opts.churn);
    let mut churn_log = Vec::new();
    let mut settles = Vec::new();
    let interval = Duration::minutes(adc.interval_minutes.max(1));
    for slot in 1..=opts.cycles {
        let now = t0 + interval * slot as i32;
        clock.advance_to(now);
        churn_log.push(churn::apply(&mut dir.tenant, &model, &mut rng, now));
        let s = conn.run(&dir, now).await;
        report_cycle(&s);
        if usersync {
            settles.push(settle(&admin).await?);
        }
    }
    // Polls without churn while the last one failed somewhere (an external target's errors).
    let mut settle_polls = 0;
    while conn.runs.last().is_some_and(|r| r.failures > 0) && settle_polls < opts.settle_cycles {
        let now = clock.now() + interval;
        clock.advance_to(now);
        let s = conn.run(&dir, now).await;
        report_cycle(&s);
        settle_polls += 1;
        if usersync {
            settle(&admin).await?;
        }
    }
    let result = check::check(&conn, &dir).await?;
    let logs = std::mem::take(&mut conn.logs);
    let (failure_groups, _) = crate::provisioning::sim::failures::group(&logs);
    if let Some(f) = &mut figures {
        f.users_checked = result.entitlement_users_checked;
        f.entitlements = result.entitlements_expected;
        f.poll_settle_max_ms = settles.iter().copied().fold(0.0, f64::max);
        f.poll_settle_p50_ms = median(&mut settles);
    }
    Ok(SimulationReport {
        source: Source::Adc,
        target: if embedded {
            "embedded reference".into()
        } else {
            url
        },
        embedded,
        insecure,
        seed: opts.seed,
        // The connector pushes its own shapes; the report's field is the provider's.
        compat: Default::default(),
        users: users0,
        groups: groups0,
        memberships,
        churn_rate: opts.churn,
        cycles: conn.runs.clone(),
        churn: churn_log,
        initial: None,
        convergence: result.convergence,
        final_state: JobState::Active,
        outbox: Vec::new(),
        compliance_warnings: Vec::new(),
        log_records: logs.len(),
        failure_groups,
        logs,
        wall_seconds: wall.elapsed().as_secs_f64(),
        settle_cycles_used: settle_polls,
        watch: None,
        okta: None,
        sync_status: None,
        usersync: figures,
    })
}
