//! Steps about Entra's pace (E-CY-03): how long a cycle takes on the simulated clock, against
//! the published durations, and when the next one starts.

use super::provisioning::{check, scenario};
use crate::clock::Clock;
use crate::conformance::ScimWorld;
use crate::conformance::assert::{Failure, StepResult};
use crate::provisioning::sim::pace::{PUBLISHED_HIGH, PUBLISHED_LOW, Pace};
use crate::provisioning::sim::report::CycleSummary;
use cucumber::{given, then, when};

#[given(regex = r#"^the provider's pace is (\S+)$"#)]
async fn set_pace(w: &mut ScimWorld, pace: String) -> StepResult {
    let p = Pace::parse(&pace).map_err(Failure::suite)?;
    scenario(w).await?.job.set_pace(p);
    Ok(())
}

#[given(regex = r#"^(\d+) more users are assigned to the app$"#)]
async fn more_users(w: &mut ScimWorld, n: usize) -> StepResult {
    let s = scenario(w).await?;
    if s.unique.is_some() {
        return Err(Failure::skip(
            "this scenario provisions a thousand users, which it does only on its own reference",
        ));
    }
    let now = s.clock.now();
    let mut rng = <rand_chacha::ChaCha8Rng as fake::rand::SeedableRng>::seed_from_u64(11);
    for _ in 0..n {
        let mut u = s.tenant.new_user(&mut rng, now);
        u.assigned = true;
        u.account_enabled = true;
        u.soft_deleted_at = None;
        s.tenant.users.push(u);
    }
    Ok(())
}

#[when(regex = r#"^(\d+) users move to the "([^"]+)" department$"#)]
async fn many_move(w: &mut ScimWorld, n: usize, dept: String) -> StepResult {
    let s = scenario(w).await?;
    let now = s.clock.now() + chrono::Duration::seconds(1);
    for u in s.tenant.users.iter_mut().take(n) {
        u.department = Some(dept.clone());
        u.modified = now;
    }
    Ok(())
}

fn cycle<'a>(cycles: &'a [CycleSummary], which: &str) -> Result<&'a CycleSummary, Failure> {
    let c = match which {
        "initial" => cycles.iter().find(|c| c.initial),
        _ => cycles.last(),
    };
    c.ok_or_else(|| Failure::suite("no cycle ran"))
}

#[then(regex = r#"^the initial cycle took between 0\.01 and 0\.08 simulated minutes per object$"#)]
async fn initial_in_range(w: &mut ScimWorld) -> StepResult {
    let s = scenario(w).await?;
    let c = cycle(s.job.cycles(), "initial")?;
    let n = c.objects as f64;
    let (lo, hi) = (PUBLISHED_LOW * n, PUBLISHED_HIGH * n);
    check(
        c.objects > 0 && (lo..=hi + 1e-9).contains(&c.sim_minutes),
        "E-CY-03: an initial cycle takes 0.01 × N to 0.08 × N minutes (N = users + groups + members)",
        format!("{lo:.2} to {hi:.2} minutes for N = {}", c.objects),
        format!("{:.2}", c.sim_minutes),
    )
}

#[then(regex = r#"^the (initial|last) cycle took (\d+(?:\.\d+)?) simulated minutes$"#)]
async fn took(w: &mut ScimWorld, which: String, minutes: f64) -> StepResult {
    let s = scenario(w).await?;
    let c = cycle(s.job.cycles(), &which)?;
    check(
        (c.sim_minutes - minutes).abs() < 0.01 && c.sim_end - c.sim_start == span(minutes),
        "a cycle takes the provider's pace per object on the simulated clock",
        format!("{minutes} minutes"),
        format!("{:.3} ({} to {})", c.sim_minutes, c.sim_start, c.sim_end),
    )
}

fn span(minutes: f64) -> chrono::Duration {
    chrono::Duration::milliseconds((minutes * 60_000.0).round() as i64)
}

#[then(
    regex = r#"^the last cycle was incremental with (\d+) changes and took under 10 simulated minutes$"#
)]
async fn incremental_under_ten(w: &mut ScimWorld, changes: usize) -> StepResult {
    let s = scenario(w).await?;
    let c = cycle(s.job.cycles(), "last")?;
    check(
        !c.initial && c.updates == changes && changes < 5_000 && c.sim_minutes < 10.0,
        "E-CY-03: an incremental cycle of fewer than 5,000 changes usually takes under 10 minutes",
        format!("incremental, {changes} updates, under 10 minutes"),
        format!(
            "initial={}, {} updates, {:.2} minutes",
            c.initial, c.updates, c.sim_minutes
        ),
    )
}

#[then(regex = r#"^the next cycle is due (\d+) minutes after the initial cycle began$"#)]
async fn due_after_start(w: &mut ScimWorld, minutes: i64) -> StepResult {
    let s = scenario(w).await?;
    let start = cycle(s.job.cycles(), "initial")?.sim_start;
    let gap = s.job.next_run_at().map(|n| (n - start).num_minutes());
    check(
        gap == Some(minutes),
        "an incremental cycle starts 40 minutes after the previous one ends",
        format!("{minutes} minutes"),
        format!("{gap:?}"),
    )
}
