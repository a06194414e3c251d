//! The source directory the mock provider reads: a seeded, deterministic tenant of users,
//! groups (some nested), app assignments, `accountEnabled`, soft and hard delete.
//!
//! Names come from `fake` driven by a `ChaCha8Rng` seeded with `--seed`, because `StdRng` is
//! not portable across versions; the same seed gives the same tenant on every machine. Word
//! lists change between `fake` releases, so the shipped fixtures (`fixtures/tenants/*.json`)
//! are snapshots: load them when a byte-identical tenant matters across crate upgrades.
//!
//! Attribute names are the directory's own (`userPrincipalName`, `mailNickname`, `surname`,
//! `employeeId` ...), because that is what attribute mappings are written against.

use chrono::{DateTime, Utc};
use fake::Fake;
use fake::faker::name::en::{FirstName, LastName};
use fake::rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// Departments, divisions and cost centres a generated tenant draws from. A fixed list keeps
/// scoping filters in features readable (`department EQUALS "Sales"`).
pub const DEPARTMENTS: &[&str] = &[
    "Sales",
    "Marketing",
    "Engineering",
    "Support",
    "Finance",
    "Legal",
    "Operations",
    "Research",
];
const DIVISIONS: &[&str] = &["North", "South", "East", "West"];
/// Seeds the manager stream (ASCII "MANAGER_").
const MANAGER_STREAM: u64 = 0x4d41_4e41_4745_525f;
const TITLES: &[&str] = &["Engineer", "Manager", "Analyst", "Director", "Associate"];

/// A user of the source directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceUser {
    /// The directory's immutable id; the group mapping's `externalId` and the link key.
    pub object_id: String,
    pub user_principal_name: String,
    pub mail_nickname: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_center: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The manager's object id (a reference, set in the references phase, E-CY-01).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    pub account_enabled: bool,
    /// Assigned to the app directly (app role assignment).
    pub assigned: bool,
    /// When the user was soft-deleted (recycle bin); hard delete follows 30 days later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soft_deleted_at: Option<DateTime<Utc>>,
    /// Gone for good (purged, or 30 days after the soft delete).
    #[serde(default)]
    pub hard_deleted: bool,
    /// Last change, for the provider's watermark (delta query).
    pub modified: DateTime<Utc>,
}

/// A group of the source directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceGroup {
    pub object_id: String,
    pub display_name: String,
    pub mail_nickname: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Direct user members (object ids).
    pub members: Vec<String>,
    /// Direct group members (object ids): nested groups.
    #[serde(default)]
    pub nested_groups: Vec<String>,
    /// Assigned to the app: the group is provisioned and its direct members are in scope.
    pub assigned: bool,
    #[serde(default)]
    pub hard_deleted: bool,
    pub modified: DateTime<Utc>,
}

/// A whole source directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    /// The seed it was generated with (also seeds churn when the tenant was loaded).
    pub seed: u64,
    /// The email domain of every user.
    pub domain: String,
    pub users: Vec<SourceUser>,
    pub groups: Vec<SourceGroup>,
    /// Counter for new object ids and names (hires, new groups) so they never collide.
    pub next_serial: u64,
}

/// Why a tenant fixture could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("cannot read or write the tenant file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the tenant file {path} is not a valid tenant: {source}")]
    Parse {
        path: String,
        #[source]
        source: serde_json::Error,
    },
}

/// How to build a tenant.
#[derive(Debug, Clone)]
pub struct TenantSpec {
    pub users: usize,
    pub groups: usize,
    pub seed: u64,
    /// Share of users assigned to the app directly (the rest are in scope through groups,
    /// or not at all).
    pub direct_assignment: f64,
    /// Share of groups assigned to the app.
    pub group_assignment: f64,
    /// Average direct user members per group.
    pub members_per_group: usize,
    pub start: DateTime<Utc>,
}

impl TenantSpec {
    /// A tenant of `users` and `groups` with the defaults the simulations use: 90 % of users
    /// assigned directly, 80 % of groups assigned, about 3 group memberships per user.
    pub fn new(users: usize, groups: usize, seed: u64, start: DateTime<Utc>) -> TenantSpec {
        let members_per_group = (users * 3)
            .checked_div(groups)
            .map_or(0, |m| m.clamp(1, 200));
        TenantSpec {
            users,
            groups,
            seed,
            direct_assignment: 0.9,
            group_assignment: 0.8,
            members_per_group,
            start,
        }
    }
}

/// A deterministic object id (UUID-shaped) from a serial number and the seed.
pub fn object_id(seed: u64, serial: u64) -> String {
    let hi = seed.rotate_left(17) ^ 0x5eed_0000_0000_0000;
    let u = ((hi as u128) << 64) | serial as u128;
    uuid::Uuid::from_u128(u).to_string()
}

impl Tenant {
    /// Generates a tenant. Deterministic for a given spec.
    pub fn generate(spec: &TenantSpec) -> Tenant {
        let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
        let mut t = Tenant {
            seed: spec.seed,
            domain: "contoso.example".into(),
            users: Vec::with_capacity(spec.users),
            groups: Vec::with_capacity(spec.groups),
            next_serial: 1,
        };
        for _ in 0..spec.users {
            let mut u = t.new_user(&mut rng, spec.start);
            u.assigned = rng.random_bool(spec.direct_assignment);
            t.users.push(u);
        }
        for _ in 0..spec.groups {
            let g = t.new_group(&mut rng, spec.start, spec.group_assignment);
            t.groups.push(g);
        }
        // Memberships: each group gets a random sample of users.
        if !t.users.is_empty() {
            for gi in 0..t.groups.len() {
                let n = rng.random_range(0..=spec.members_per_group * 2);
                let mut members: Vec<String> = (0..n)
                    .map(|_| {
                        t.users[rng.random_range(0..t.users.len())]
                            .object_id
                            .clone()
                    })
                    .collect();
                members.sort();
                members.dedup();
                t.groups[gi].members = members;
            }
        }
        t.assign_managers(spec.seed);
        // Nesting: every tenth group gets another group as a member (never itself).
        let n = t.groups.len();
        for gi in (0..n).step_by(10) {
            if n > 1 {
                let other = (gi + 1 + rng.random_range(0..n - 1)) % n;
                let id = t.groups[other].object_id.clone();
                t.groups[gi].nested_groups.push(id);
            }
        }
        t
    }

    /// Gives about 90 % of users a manager: one of the first eighth of the users (a tree,
    /// so no cycles). A separate rng stream, so names and memberships do not depend on it.
    fn assign_managers(&mut self, seed: u64) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ MANAGER_STREAM);
        let bosses = (self.users.len() / 8).max(1);
        for i in 1..self.users.len() {
            if rng.random_bool(0.9) {
                let m = rng.random_range(0..i.min(bosses));
                self.users[i].manager = Some(self.users[m].object_id.clone());
            }
        }
    }

    /// A live user other than `not` to be someone's manager (hires, department moves).
    pub fn random_manager(&self, rng: &mut ChaCha8Rng, not: &str) -> Option<String> {
        if self.users.is_empty() {
            return None;
        }
        (0..8).find_map(|_| {
            let u = &self.users[rng.random_range(0..self.users.len())];
            (!u.hard_deleted && u.soft_deleted_at.is_none() && u.object_id != not)
                .then(|| u.object_id.clone())
        })
    }

    fn serial(&mut self) -> u64 {
        let s = self.next_serial;
        self.next_serial += 1;
        s
    }

    /// A new user with every attribute the default mappings read. Not yet in the tenant.
    pub fn new_user(&mut self, rng: &mut ChaCha8Rng, now: DateTime<Utc>) -> SourceUser {
        let serial = self.serial();
        let given: String = FirstName().fake_with_rng(rng);
        let family: String = LastName().fake_with_rng(rng);
        let nick = format!("{}.{}{}", ascii_lower(&given), ascii_lower(&family), serial);
        let upn = format!("{nick}@{}", self.domain);
        fn pick(rng: &mut ChaCha8Rng, list: &[&'static str]) -> &'static str {
            list[rng.random_range(0..list.len())]
        }
        SourceUser {
            object_id: object_id(self.seed, serial),
            user_principal_name: upn.clone(),
            mail_nickname: nick,
            display_name: format!("{given} {family}"),
            given_name: Some(given),
            surname: Some(family),
            mail: Some(upn),
            department: Some(pick(rng, DEPARTMENTS).to_string()),
            employee_id: Some(format!("E{serial:07}")),
            cost_center: rng
                .random_bool(0.9)
                .then(|| format!("CC-{}", rng.random_range(100..200))),
            division: Some(pick(rng, DIVISIONS).to_string()),
            job_title: Some(pick(rng, TITLES).to_string()),
            country: Some(pick(rng, &["US", "DE", "FR", "GB", "JP"]).to_string()),
            manager: None,
            account_enabled: true,
            assigned: true,
            soft_deleted_at: None,
            hard_deleted: false,
            modified: now,
        }
    }

    /// A new group, not yet in the tenant.
    pub fn new_group(
        &mut self,
        rng: &mut ChaCha8Rng,
        now: DateTime<Utc>,
        assign_share: f64,
    ) -> SourceGroup {
        let serial = self.serial();
        let dept = DEPARTMENTS[rng.random_range(0..DEPARTMENTS.len())];
        let name = format!("{dept} team {serial}");
        SourceGroup {
            object_id: object_id(self.seed, serial),
            mail_nickname: format!("{}-team-{serial}", dept.to_ascii_lowercase()),
            display_name: name,
            description: Some(format!("{dept} people")),
            members: Vec::new(),
            nested_groups: Vec::new(),
            assigned: rng.random_bool(assign_share.clamp(0.0, 1.0)),
            hard_deleted: false,
            modified: now,
        }
    }

    /// Saves as pretty JSON (a fixture).
    pub fn save(&self, path: &Path) -> Result<(), TenantError> {
        let io = |source| TenantError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let text = serde_json::to_string_pretty(self).map_err(|source| TenantError::Parse {
            path: path.display().to_string(),
            source,
        })?;
        std::fs::write(path, text).map_err(io)
    }

    /// Loads a fixture.
    pub fn load(path: &Path) -> Result<Tenant, TenantError> {
        let text = std::fs::read_to_string(path).map_err(|source| TenantError::Io {
            path: path.display().to_string(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| TenantError::Parse {
            path: path.display().to_string(),
            source,
        })
    }

    /// Index of users by object id.
    pub fn user_index(&self) -> HashMap<&str, usize> {
        self.users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.object_id.as_str(), i))
            .collect()
    }

    /// Index of groups by object id.
    pub fn group_index(&self) -> HashMap<&str, usize> {
        self.groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.object_id.as_str(), i))
            .collect()
    }

    /// Memberships in the tenant (user-group pairs), for the published N = users + groups +
    /// members of E-CY-03.
    pub fn membership_count(&self) -> usize {
        self.groups
            .iter()
            .filter(|g| !g.hard_deleted)
            .map(|g| g.members.len())
            .sum()
    }
}

/// `Ann-Marie O'Neil` -> `annmarieoneil`: names usable in a userName.
fn ascii_lower(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> DateTime<Utc> {
        crate::clock::Clock::now(&crate::clock::SimClock::default())
    }

    #[test]
    fn same_seed_same_tenant() {
        let a = Tenant::generate(&TenantSpec::new(50, 5, 7, start()));
        let b = Tenant::generate(&TenantSpec::new(50, 5, 7, start()));
        let c = Tenant::generate(&TenantSpec::new(50, 5, 8, start()));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.users.len(), 50);
        assert!(
            a.users.iter().all(|u| u.given_name.is_some()
                && u.department.is_some()
                && u.employee_id.is_some())
        );
        assert!(a.groups.iter().any(|g| !g.nested_groups.is_empty()));
        // Managers form a tree: every manager comes earlier in the list.
        let idx = a.user_index();
        let managed = a.users.iter().filter(|u| u.manager.is_some()).count();
        assert!(managed >= 35, "{managed} of 50 have a manager");
        for (i, u) in a.users.iter().enumerate() {
            if let Some(m) = &u.manager {
                assert!(idx[m.as_str()] < i);
            }
        }
    }

    #[test]
    fn round_trips_through_json() {
        let a = Tenant::generate(&TenantSpec::new(10, 2, 1, start()));
        let dir = std::env::temp_dir().join(format!("tenant-{}", uuid::Uuid::new_v4()));
        let p = dir.join("t.json");
        a.save(&p).expect("save");
        assert_eq!(Tenant::load(&p).expect("load"), a);
        let _ = std::fs::remove_dir_all(dir);
    }
}
