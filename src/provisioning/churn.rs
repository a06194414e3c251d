//! What happens in the directory between two cycles: hires, leavers (soft delete, then hard
//! delete 30 simulated days later), renames, department moves (with a new manager), group joins and leaves,
//! disables, unassignments, scope changes and the occasional mass change.
//!
//! Every change stamps `modified` on what it touched, so the next incremental cycle finds it
//! after the watermark, exactly as the provider's delta query would.

use super::tenant::{DEPARTMENTS, Tenant};
use chrono::{DateTime, Duration, Utc};
use fake::rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// How long a soft-deleted user stays in the recycle bin before the hard delete.
pub const HARD_DELETE_AFTER_DAYS: i64 = 30;

/// Rates of change per cycle. `rate` is the share of users changed per cycle (0.01 = 1 %);
/// the weights split it over the kinds.
#[derive(Debug, Clone)]
pub struct ChurnModel {
    pub rate: f64,
    pub weights: ChurnWeights,
    /// Chance per cycle of one mass change (a whole department renamed).
    pub mass_change_chance: f64,
}

/// Relative weights of the kinds of change.
#[derive(Debug, Clone)]
pub struct ChurnWeights {
    pub hire: u32,
    pub leave: u32,
    pub rename: u32,
    pub department_move: u32,
    pub group_join: u32,
    pub group_leave: u32,
    pub disable: u32,
    pub unassign: u32,
    pub scope_change: u32,
}

impl Default for ChurnWeights {
    fn default() -> Self {
        ChurnWeights {
            hire: 10,
            leave: 8,
            rename: 10,
            department_move: 15,
            group_join: 20,
            group_leave: 15,
            disable: 7,
            unassign: 5,
            scope_change: 10,
        }
    }
}

impl ChurnModel {
    /// `rate` of users per cycle with the default mix and a 2 % chance of a mass change.
    pub fn new(rate: f64) -> ChurnModel {
        ChurnModel {
            rate: rate.max(0.0),
            weights: ChurnWeights::default(),
            mass_change_chance: if rate > 0.0 { 0.02 } else { 0.0 },
        }
    }
}

/// What one round of churn did, by kind.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ChurnStats {
    pub hires: usize,
    pub leaves: usize,
    pub hard_deletes: usize,
    pub renames: usize,
    pub department_moves: usize,
    pub group_joins: usize,
    pub group_leaves: usize,
    pub disables: usize,
    pub unassigns: usize,
    pub scope_changes: usize,
    pub mass_changes: usize,
}

impl ChurnStats {
    /// Changes in all.
    pub fn total(&self) -> usize {
        self.hires
            + self.leaves
            + self.hard_deletes
            + self.renames
            + self.department_moves
            + self.group_joins
            + self.group_leaves
            + self.disables
            + self.unassigns
            + self.scope_changes
            + self.mass_changes
    }
}

/// Applies one round of churn at `now`. Deterministic for a given rng state.
pub fn apply(
    tenant: &mut Tenant,
    model: &ChurnModel,
    rng: &mut ChaCha8Rng,
    now: DateTime<Utc>,
) -> ChurnStats {
    let mut stats = ChurnStats::default();
    // Hard deletes fall due whatever the rate.
    for u in tenant.users.iter_mut() {
        if let Some(at) = u.soft_deleted_at
            && !u.hard_deleted
            && now - at >= Duration::days(HARD_DELETE_AFTER_DAYS)
        {
            u.hard_deleted = true;
            u.modified = now;
            stats.hard_deletes += 1;
        }
    }
    let live = tenant.users.iter().filter(|u| !u.hard_deleted).count();
    let changes = (live as f64 * model.rate).round() as usize;
    let w = &model.weights;
    let table = [
        w.hire,
        w.leave,
        w.rename,
        w.department_move,
        w.group_join,
        w.group_leave,
        w.disable,
        w.unassign,
        w.scope_change,
    ];
    let total: u32 = table.iter().sum();
    for _ in 0..changes {
        if total == 0 {
            break;
        }
        let mut pick = rng.random_range(0..total);
        let mut kind = 0;
        for (i, weight) in table.iter().enumerate() {
            if pick < *weight {
                kind = i;
                break;
            }
            pick -= weight;
        }
        one_change(tenant, kind, rng, now, &mut stats);
    }
    if model.mass_change_chance > 0.0 && rng.random_bool(model.mass_change_chance.min(1.0)) {
        let from = DEPARTMENTS[rng.random_range(0..DEPARTMENTS.len())];
        let to = format!("{from} & Co");
        for u in tenant.users.iter_mut().filter(|u| !u.hard_deleted) {
            if u.department.as_deref() == Some(from) {
                u.department = Some(to.clone());
                u.modified = now;
                stats.mass_changes += 1;
            }
        }
    }
    stats
}

/// A random live (not soft- or hard-deleted) user's index.
fn random_live(tenant: &Tenant, rng: &mut ChaCha8Rng) -> Option<usize> {
    if tenant.users.is_empty() {
        return None;
    }
    for _ in 0..16 {
        let i = rng.random_range(0..tenant.users.len());
        let u = &tenant.users[i];
        if !u.hard_deleted && u.soft_deleted_at.is_none() {
            return Some(i);
        }
    }
    None
}

fn one_change(
    t: &mut Tenant,
    kind: usize,
    rng: &mut ChaCha8Rng,
    now: DateTime<Utc>,
    stats: &mut ChurnStats,
) {
    if kind == 0 {
        let mut u = t.new_user(rng, now);
        u.assigned = true;
        u.manager = t.random_manager(rng, &u.object_id);
        let id = u.object_id.clone();
        t.users.push(u);
        if !t.groups.is_empty() {
            let g = rng.random_range(0..t.groups.len());
            if !t.groups[g].hard_deleted {
                t.groups[g].members.push(id);
                t.groups[g].modified = now;
            }
        }
        stats.hires += 1;
        return;
    }
    let Some(i) = random_live(t, rng) else { return };
    match kind {
        1 => {
            t.users[i].soft_deleted_at = Some(now);
            stats.leaves += 1;
        }
        2 => {
            // Marriage, typo fix: the surname and the display name change, userName does not.
            let u = &mut t.users[i];
            let family = format!("{}-{}", u.surname.as_deref().unwrap_or("X"), "Renamed");
            u.display_name = format!("{} {family}", u.given_name.as_deref().unwrap_or(""));
            u.surname = Some(family);
            stats.renames += 1;
        }
        3 => {
            let d = DEPARTMENTS[rng.random_range(0..DEPARTMENTS.len())];
            t.users[i].department = Some(d.to_string());
            t.users[i].cost_center = Some(format!("CC-{}", rng.random_range(100..200)));
            // A new department usually means a new manager.
            let me = t.users[i].object_id.clone();
            t.users[i].manager = t.random_manager(rng, &me);
            stats.department_moves += 1;
        }
        4 | 5 => {
            if t.groups.is_empty() {
                return;
            }
            let g = rng.random_range(0..t.groups.len());
            if t.groups[g].hard_deleted {
                return;
            }
            let id = t.users[i].object_id.clone();
            let members = &mut t.groups[g].members;
            if kind == 4 && !members.contains(&id) {
                members.push(id);
                stats.group_joins += 1;
            } else if kind == 5 && !members.is_empty() {
                // Leave: drop some member of the group (and stamp that user).
                let k = rng.random_range(0..members.len());
                let gone = members.remove(k);
                if let Some(j) = t.users.iter().position(|u| u.object_id == gone) {
                    t.users[j].modified = now;
                }
                stats.group_leaves += 1;
            } else {
                return;
            }
            t.groups[g].modified = now;
        }
        6 => {
            t.users[i].account_enabled = !t.users[i].account_enabled && rng.random_bool(0.5);
            stats.disables += 1;
        }
        7 => {
            t.users[i].assigned = false;
            stats.unassigns += 1;
        }
        _ => {
            // A scope change: an attribute that scoping filters commonly test moves.
            let u = &mut t.users[i];
            u.country = Some(if u.country.as_deref() == Some("US") {
                "DE".into()
            } else {
                "US".into()
            });
            u.assigned = true;
            stats.scope_changes += 1;
        }
    }
    t.users[i].modified = now;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, SimClock};
    use crate::provisioning::tenant::TenantSpec;
    use fake::rand::SeedableRng;

    #[test]
    fn churn_is_seeded_and_stamps_what_it_touches() {
        let clock = SimClock::default();
        let t0 = clock.now();
        let base = Tenant::generate(&TenantSpec::new(500, 20, 3, t0));
        let run = |seed| {
            let mut t = base.clone();
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let now = t0 + Duration::minutes(40);
            let s = apply(&mut t, &ChurnModel::new(0.05), &mut rng, now);
            (t, s, now)
        };
        let (a, sa, now) = run(1);
        let (b, sb, _) = run(1);
        assert_eq!(a, b);
        assert_eq!(sa, sb);
        assert!(sa.total() >= 20, "{sa:?}");
        assert!(a.users.iter().any(|u| u.modified == now));
    }

    #[test]
    fn leavers_are_hard_deleted_thirty_days_later() {
        let t0 = SimClock::default().now();
        let mut t = Tenant::generate(&TenantSpec::new(10, 1, 3, t0));
        t.users[0].soft_deleted_at = Some(t0);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let none = ChurnModel::new(0.0);
        apply(&mut t, &none, &mut rng, t0 + Duration::days(29));
        assert!(!t.users[0].hard_deleted);
        let s = apply(&mut t, &none, &mut rng, t0 + Duration::days(30));
        assert!(t.users[0].hard_deleted);
        assert_eq!(s.hard_deletes, 1);
    }
}
