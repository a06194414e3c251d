//! The on-premises directory the connector reads: the shared seeded [`Tenant`] (same users,
//! groups, custom string attributes and churn as the cloud provider's mock), seen the way
//! Active Directory shows it: users sit in organizational units, groups nest in levels under
//! the groups an admin selected in the connector, and a few accounts carry a UPN suffix of a
//! domain the organization never verified (a legacy forest, an acquisition).

use crate::provisioning::tenant::{SourceGroup, SourceUser, Tenant, TenantSpec};
use chrono::{DateTime, Utc};
use fake::rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{HashMap, HashSet};

/// The UPN suffix of the accounts outside the verified domains.
pub const FOREIGN_DOMAIN: &str = "fabrikam.example";

/// Seeds the nesting stream (ASCII "NESTING_").
const NESTING_STREAM: u64 = 0x4e45_5354_494e_475f;

/// How to build a directory.
#[derive(Debug, Clone)]
pub struct DirectorySpec {
    pub users: usize,
    pub groups: usize,
    pub seed: u64,
    /// Levels of groups: 1 = no nesting, 3 = roots, their children, and grandchildren.
    pub levels: usize,
    /// Share of groups at the top level (the ones selected in the connector).
    pub root_share: f64,
    /// Every n-th user carries the foreign UPN suffix (0: none).
    pub foreign_every: usize,
    pub start: DateTime<Utc>,
}

impl DirectorySpec {
    /// `users` and `groups` with 3 levels of nesting, 5 % of groups at the top, one user in
    /// 50 outside the verified domains.
    pub fn new(users: usize, groups: usize, seed: u64, start: DateTime<Utc>) -> DirectorySpec {
        DirectorySpec {
            users,
            groups,
            seed,
            levels: 3,
            root_share: 0.05,
            foreign_every: 50,
            start,
        }
    }
}

/// An Active Directory: the tenant plus the groups selected in the connector.
#[derive(Debug, Clone, PartialEq)]
pub struct Directory {
    pub tenant: Tenant,
    /// Object ids of the groups the admin selected (their nested groups come with them).
    pub selected: Vec<String>,
}

impl Directory {
    /// An empty directory on `domain` (the scenarios add users and groups one by one).
    pub fn empty(domain: &str, seed: u64, start: DateTime<Utc>) -> Directory {
        let mut tenant = Tenant::generate(&TenantSpec::new(0, 0, seed, start));
        tenant.domain = domain.to_string();
        Directory {
            tenant,
            selected: Vec::new(),
        }
    }

    /// Generates a directory: the tenant of the same size and seed, seen as AD
    /// ([`Directory::from_tenant`]).
    pub fn generate(spec: &DirectorySpec) -> Directory {
        let tenant = Tenant::generate(&TenantSpec::new(
            spec.users,
            spec.groups,
            spec.seed,
            spec.start,
        ));
        Directory::from_tenant(tenant, spec)
    }

    /// A tenant (generated or a fixture) seen as AD: its nesting replaced by `levels` strict
    /// levels (a group's parent is always one level up, so there are no cycles), the top
    /// level selected, every `foreign_every`-th user moved to [`FOREIGN_DOMAIN`].
    pub fn from_tenant(mut tenant: Tenant, spec: &DirectorySpec) -> Directory {
        let mut rng = ChaCha8Rng::seed_from_u64(spec.seed ^ NESTING_STREAM);
        let n = tenant.groups.len();
        let levels = spec.levels.max(1);
        // One level: every group is selected, nothing nests.
        let roots = if levels == 1 {
            n
        } else {
            ((n as f64 * spec.root_share).ceil() as usize).clamp(n.min(1), n)
        };
        // Level ranges: the roots, a quarter of the rest per middle level, the remainder at
        // the bottom; empty levels (few groups) are left out so nothing is orphaned.
        let mut ranges: Vec<std::ops::Range<usize>> = Vec::with_capacity(levels);
        ranges.push(0..roots);
        let mut start = roots;
        for l in 1..levels {
            let len = if l + 1 == levels {
                n - start
            } else {
                (n - roots) / 4
            };
            let end = (start + len).min(n);
            if end > start {
                ranges.push(start..end);
            }
            start = end;
        }
        for g in tenant.groups.iter_mut() {
            g.nested_groups.clear();
            g.assigned = true;
        }
        for pair in ranges.windows(2) {
            let (parents, children) = (pair[0].clone(), pair[1].clone());
            if parents.is_empty() {
                break;
            }
            for c in children {
                let p = rng.random_range(parents.clone());
                let id = tenant.groups[c].object_id.clone();
                tenant.groups[p].nested_groups.push(id);
            }
        }
        if spec.foreign_every > 0 {
            let every = spec.foreign_every;
            for (i, u) in tenant.users.iter_mut().enumerate() {
                if (i + 1) % every == 0 {
                    set_domain(u, FOREIGN_DOMAIN);
                }
            }
        }
        let selected = tenant.groups[..roots]
            .iter()
            .map(|g| g.object_id.clone())
            .collect();
        Directory { tenant, selected }
    }

    /// The selected groups and every group nested under them, each once.
    pub fn selected_closure(&self) -> Vec<usize> {
        let idx = self.tenant.group_index();
        let mut seen = HashSet::new();
        let mut order = Vec::new();
        let mut stack: Vec<usize> = self
            .selected
            .iter()
            .rev()
            .filter_map(|id| idx.get(id.as_str()).copied())
            .collect();
        while let Some(i) = stack.pop() {
            let g = &self.tenant.groups[i];
            if g.hard_deleted || !seen.insert(i) {
                continue;
            }
            order.push(i);
            for child in g.nested_groups.iter().rev() {
                if let Some(&c) = idx.get(child.as_str()) {
                    stack.push(c);
                }
            }
        }
        order
    }

    /// Users that are members (directly or through nesting) of a selected group, by index.
    pub fn users_in_scope(&self, closure: &[usize]) -> Vec<usize> {
        let idx = self.tenant.user_index();
        let mut seen = HashSet::new();
        for &g in closure {
            for m in &self.tenant.groups[g].members {
                if let Some(&u) = idx.get(m.as_str())
                    && !self.tenant.users[u].hard_deleted
                {
                    seen.insert(u);
                }
            }
        }
        let mut v: Vec<usize> = seen.into_iter().collect();
        v.sort_unstable();
        v
    }

    /// Each user's groups, transitively (the parents of the groups it is a direct member
    /// of, and theirs), among `closure`: what rule matching sees with nesting (S-US-12).
    pub fn transitive_groups(&self, closure: &[usize]) -> HashMap<String, HashSet<usize>> {
        let gidx = self.tenant.group_index();
        let in_closure: HashSet<usize> = closure.iter().copied().collect();
        // parent links among the closure
        let mut parents: HashMap<usize, Vec<usize>> = HashMap::new();
        for &g in closure {
            for child in &self.tenant.groups[g].nested_groups {
                if let Some(&c) = gidx.get(child.as_str())
                    && in_closure.contains(&c)
                {
                    parents.entry(c).or_default().push(g);
                }
            }
        }
        let mut out: HashMap<String, HashSet<usize>> = HashMap::new();
        for &g in closure {
            let mut ancestors = HashSet::new();
            let mut stack = vec![g];
            while let Some(x) = stack.pop() {
                if ancestors.insert(x)
                    && let Some(ps) = parents.get(&x)
                {
                    stack.extend(ps.iter().copied());
                }
            }
            for m in &self.tenant.groups[g].members {
                out.entry(m.clone())
                    .or_default()
                    .extend(ancestors.iter().copied());
            }
        }
        out
    }

    /// The organizational unit a user sits in (its distinguished name's parent).
    pub fn ou_of(user: &SourceUser) -> String {
        let division = user.division.as_deref().unwrap_or("Staff");
        let dc = user
            .user_principal_name
            .rsplit('@')
            .next()
            .unwrap_or("")
            .split('.')
            .map(|p| format!("DC={p}"))
            .collect::<Vec<_>>()
            .join(",");
        format!("OU={division},OU=People,{dc}")
    }

    /// Adds a group (scenarios); returns its object id.
    pub fn add_group(&mut self, name: &str, now: DateTime<Utc>, selected: bool) -> String {
        let serial = self.tenant.next_serial;
        self.tenant.next_serial += 1;
        let id = crate::provisioning::tenant::object_id(self.tenant.seed, serial);
        self.tenant.groups.push(SourceGroup {
            object_id: id.clone(),
            display_name: name.to_string(),
            mail_nickname: name.to_lowercase().replace(' ', "-"),
            description: None,
            members: Vec::new(),
            nested_groups: Vec::new(),
            assigned: true,
            hard_deleted: false,
            modified: now,
        });
        if selected {
            self.selected.push(id.clone());
        }
        id
    }
}

/// Moves a user's UPN and mail to another domain.
pub fn set_domain(u: &mut SourceUser, domain: &str) {
    let local = u
        .user_principal_name
        .split('@')
        .next()
        .unwrap_or_default()
        .to_string();
    u.user_principal_name = format!("{local}@{domain}");
    u.mail = Some(u.user_principal_name.clone());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, SimClock};

    #[test]
    fn three_levels_under_the_selected_roots() {
        let t0 = SimClock::default().now();
        let d = Directory::generate(&DirectorySpec::new(2000, 100, 4, t0));
        assert_eq!(
            d,
            Directory::generate(&DirectorySpec::new(2000, 100, 4, t0))
        );
        assert_eq!(d.selected.len(), 5);
        let closure = d.selected_closure();
        assert_eq!(closure.len(), 100, "every group hangs under a root");
        // Depth: some group is a grandchild of a root.
        let idx = d.tenant.group_index();
        let depth_of = |root: &str| -> usize {
            let mut depth = 0;
            let mut level = vec![idx[root]];
            while !level.is_empty() {
                depth += 1;
                level = level
                    .iter()
                    .flat_map(|&g| d.tenant.groups[g].nested_groups.iter())
                    .map(|c| idx[c.as_str()])
                    .collect();
            }
            depth
        };
        assert_eq!(d.selected.iter().map(|r| depth_of(r)).max(), Some(3));
        let foreign = d
            .tenant
            .users
            .iter()
            .filter(|u| u.user_principal_name.ends_with(FOREIGN_DOMAIN))
            .count();
        assert_eq!(foreign, 40);
        // A member of a grandchild group counts in its root.
        let groups = d.transitive_groups(&closure);
        let roots: HashSet<usize> = d.selected.iter().map(|r| idx[r.as_str()]).collect();
        assert!(
            groups
                .values()
                .all(|gs| gs.iter().any(|g| roots.contains(g)))
        );
        assert_eq!(
            Directory::ou_of(&d.tenant.users[0]).split(',').next_back(),
            Some("DC=example")
        );
    }

    #[test]
    fn every_group_is_reachable_whatever_the_levels_and_sizes() {
        let t0 = SimClock::default().now();
        for (groups, levels) in [(4, 3), (1, 3), (30, 1), (30, 5), (2, 2)] {
            let mut spec = DirectorySpec::new(50, groups, 1, t0);
            spec.levels = levels;
            let d = Directory::generate(&spec);
            assert_eq!(
                d.selected_closure().len(),
                groups,
                "{groups} groups, {levels} levels"
            );
        }
    }
}
