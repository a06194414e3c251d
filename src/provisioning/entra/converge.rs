//! The convergence check after a simulation: the target's state equals what the mappings say
//! it should be, users and groups attribute by attribute, memberships and manager
//! references. Reads the target through the SCIM client (paged lists), so it works for an
//! external target too; objects the tenant does not know are ignored, so a shared target is
//! fine.

use super::cycle::{diff, manager_of};
use super::job::{ProvisioningJob, ScopeView};
use crate::client::{ClientError, ScimClient};
use crate::provisioning::mapping::{UserView, map};
use crate::provisioning::tenant::Tenant;
use crate::scim::path::lookup;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// One difference between the target and the expected state.
#[derive(Debug, Clone, Serialize)]
pub struct Divergence {
    pub object: String,
    pub attribute: String,
    pub expected: String,
    pub actual: String,
}

/// The verdict.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Convergence {
    pub users_checked: usize,
    pub groups_checked: usize,
    pub memberships_checked: usize,
    /// Escrows still pending (changes not yet delivered).
    pub pending_escrows: usize,
    pub divergence_count: usize,
    /// The first 50 divergences.
    pub divergences: Vec<Divergence>,
}

impl Convergence {
    pub fn converged(&self) -> bool {
        self.divergence_count == 0 && self.pending_escrows == 0
    }
    pub(crate) fn push(&mut self, object: &str, attribute: &str, expected: String, actual: String) {
        self.divergence_count += 1;
        if self.divergences.len() < 50 {
            self.divergences.push(Divergence {
                object: object.into(),
                attribute: attribute.into(),
                expected,
                actual,
            });
        }
    }
}

/// Every resource of an endpoint, by id (paged).
pub async fn read_all(
    client: &ScimClient,
    endpoint: &str,
) -> Result<HashMap<String, Value>, ClientError> {
    let mut out = HashMap::new();
    let mut start = 1usize;
    loop {
        let r = client
            .get(&format!("/{endpoint}?startIndex={start}&count=1000"))
            .await?;
        let items = r
            .body
            .get("Resources")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let total = r
            .body
            .get("totalResults")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        if items.is_empty() {
            break;
        }
        start += items.len();
        for it in items {
            if let Some(id) = it.get("id").and_then(Value::as_str) {
                out.insert(id.to_string(), it);
            }
        }
        if start > total {
            break;
        }
    }
    Ok(out)
}

/// The `value`s of a multi-valued attribute (`members`, `entitlements`), as a set.
pub fn values(v: Option<&Value>) -> BTreeSet<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|m| m.get("value").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "(absent)".into(),
        Some(Value::String(s)) => s.clone(),
        Some(o) => o.to_string(),
    }
}

/// Compares the target with the expected state of the tenant under the job's configuration.
pub async fn check(job: &ProvisioningJob, tenant: &Tenant) -> Result<Convergence, ClientError> {
    let users = read_all(&job.client, "Users").await?;
    let groups = read_all(&job.client, "Groups").await?;
    let by_name: HashMap<String, &str> = users
        .iter()
        .filter_map(|(id, u)| {
            u.get("userName")
                .and_then(Value::as_str)
                .map(|n| (n.to_lowercase(), id.as_str()))
        })
        .collect();
    let scoping = job.config.scoping.clone();
    let scope = ScopeView::new(tenant, &scoping);
    let mut c = Convergence {
        pending_escrows: job.escrows.len(),
        ..Default::default()
    };
    let mappings = &job.config.mappings;
    for u in &tenant.users {
        let name = &u.user_principal_name;
        let link = job.user_links.get(&u.object_id);
        let target = link.and_then(|id| users.get(id));
        if u.hard_deleted {
            if let Some(id) = by_name.get(&name.to_lowercase()) {
                c.push(name, "existence", "(deleted)".into(), format!("user {id}"));
            }
            continue;
        }
        if scope.user_entitled(u) {
            c.users_checked += 1;
            let Some(t) = target else {
                c.push(name, "existence", "provisioned".into(), "(absent)".into());
                continue;
            };
            let view = UserView {
                user: u,
                is_soft_deleted: false,
            };
            for ch in diff(t, &map(&mappings.user, &view, false)) {
                c.push(
                    name,
                    &ch.path,
                    show(Some(&ch.value)),
                    show(lookup(t, &ch.path)),
                );
            }
            for r in mappings.user_references() {
                let want = r.value(&view).and_then(|m| job.user_links.get(&m).cloned());
                let got = manager_of(t);
                if want != got {
                    let show = |v: Option<String>| v.unwrap_or_else(|| "(absent)".into());
                    c.push(name, &r.target, show(want), show(got));
                }
            }
        } else if let Some(t) = target {
            c.users_checked += 1;
            let out_of_scope_kept = scoping.skip_out_of_scope_deletions && !scope.user_in_scope(u);
            let active = lookup(t, "active");
            let inactive = matches!(active, Some(Value::Bool(false)))
                || active
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.eq_ignore_ascii_case("false"));
            if !out_of_scope_kept && !inactive {
                c.push(name, "active", "false".into(), show(active));
            }
        } else if link.is_none()
            && !scope.user_in_scope(u)
            && let Some(id) = by_name.get(&name.to_lowercase())
        {
            c.push(
                name,
                "existence",
                "(never provisioned)".into(),
                format!("user {id}"),
            );
        }
    }
    let idx = tenant.user_index();
    for g in &tenant.groups {
        let name = &g.display_name;
        let target = job
            .group_links
            .get(&g.object_id)
            .and_then(|id| groups.get(id));
        if !scope.group_in_scope(g) {
            if let Some(t) = target {
                c.push(name, "existence", "(deleted)".into(), show(t.get("id")));
            }
            continue;
        }
        c.groups_checked += 1;
        let Some(t) = target else {
            c.push(name, "existence", "provisioned".into(), "(absent)".into());
            continue;
        };
        for ch in diff(t, &map(&mappings.group, g, false)) {
            c.push(
                name,
                &ch.path,
                show(Some(&ch.value)),
                show(lookup(t, &ch.path)),
            );
        }
        // Recomputed here rather than taken from the job, so a planning bug shows.
        let want: BTreeSet<String> = g
            .members
            .iter()
            .filter_map(|m| idx.get(m.as_str()).map(|&i| &tenant.users[i]))
            .filter(|u| scope.user_entitled(u))
            .filter_map(|u| job.user_links.get(&u.object_id).cloned())
            .collect();
        let got = values(t.get("members"));
        c.memberships_checked += want.len();
        for missing in want.difference(&got) {
            c.push(
                name,
                "members",
                format!("contains {missing}"),
                "(absent)".into(),
            );
        }
        for extra in got.difference(&want) {
            c.push(
                name,
                "members",
                "(absent)".into(),
                format!("contains {extra}"),
            );
        }
    }
    Ok(c)
}
