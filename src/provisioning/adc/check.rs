//! Convergence of a connector simulation, computed from the directory alone: the product has
//! every pushed user with the mapped attributes, never lost one (S-US-05), has none outside
//! the verified domains, has the selected groups with exactly their members and nested
//! groups, and, where User Sync runs, every user's entitlements equal a from-scratch
//! recomputation: the union of the products of the rules on every group the user belongs to,
//! directly or through nesting (S-US-01, S-US-07, S-US-12).

use super::connector::{Connector, user_mappings, user_view};
use super::directory::Directory;
use crate::client::ClientError;
use crate::client::admin::AdminClient;
use crate::provisioning::mapping::map;
use crate::provisioning::sim::converge::{Convergence, diff, read_all, values};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};

fn list(s: &BTreeSet<String>) -> String {
    if s.is_empty() {
        "(none)".into()
    } else {
        s.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// What the check found, with the entitlement figures.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct AdcConvergence {
    #[serde(flatten)]
    pub convergence: Convergence,
    /// Users whose entitlements were recomputed from scratch (0 without the admin API).
    pub entitlement_users_checked: usize,
    /// Entitlements the recomputation expects in all.
    pub entitlements_expected: usize,
    /// Entitlements the product holds on the checked users.
    pub entitlements_found: usize,
}

/// Compares the product with what the directory says it should hold.
pub async fn check(c: &Connector, dir: &Directory) -> Result<AdcConvergence, ClientError> {
    let users = read_all(&c.client, "Users").await?;
    let groups = read_all(&c.client, "Groups").await?;
    let mut out = AdcConvergence::default();
    let domains = c.verified_domains().await.unwrap_or_else(|e| {
        out.convergence
            .push("organization", "verified domains", "readable".into(), e);
        Vec::new()
    });
    if domains.is_empty() {
        out.convergence.push(
            "organization",
            "verified domains",
            "at least one (no user can be pushed without)".into(),
            "none".into(),
        );
    }
    let t = &dir.tenant;
    let closure = dir.selected_closure();
    let closure_ids: HashSet<&str> = closure
        .iter()
        .map(|&g| t.groups[g].object_id.as_str())
        .collect();
    let in_scope: HashSet<usize> = dir.users_in_scope(&closure).into_iter().collect();
    let by_name: HashMap<String, &str> = users
        .iter()
        .filter_map(|(id, u)| {
            let n = u.get("userName").and_then(Value::as_str)?;
            Some((n.to_lowercase(), id.as_str()))
        })
        .collect();
    let mappings = user_mappings(&c.config.custom_attributes);
    let v = &mut out.convergence;
    for (i, u) in t.users.iter().enumerate() {
        let name = &u.user_principal_name;
        let target = c.user_links.get(&u.object_id).and_then(|id| users.get(id));
        let pushed_before = c.user_links.contains_key(&u.object_id);
        if let Some(reason) = c.out_of_scope(u, &domains) {
            if pushed_before {
                // Pushed before it left the domains or OUs: kept, never deleted (S-US-05).
                if target.is_none() {
                    v.push(
                        name,
                        "existence",
                        "kept (never deleted)".into(),
                        "(absent)".into(),
                    );
                }
            } else if let Some(id) = by_name.get(&name.to_lowercase()) {
                v.push(
                    name,
                    "existence",
                    format!("(not pushed: {reason})"),
                    format!("user {id}"),
                );
            }
            continue;
        }
        if !(in_scope.contains(&i) || u.hard_deleted && pushed_before) {
            // Out of scope now: never deleted once pushed (S-US-05).
            if pushed_before && target.is_none() {
                v.push(
                    name,
                    "existence",
                    "kept (never deleted)".into(),
                    "(absent)".into(),
                );
            }
            continue;
        }
        v.users_checked += 1;
        let Some(tu) = target else {
            v.push(name, "existence", "pushed".into(), "(absent)".into());
            continue;
        };
        for ch in diff(tu, &map(&mappings, &user_view(u), true)) {
            let got = crate::scim::path::lookup(tu, &ch.path);
            v.push(
                name,
                &ch.path,
                crate::scim::path::show(Some(&ch.value)),
                crate::scim::path::show(got),
            );
        }
    }
    let uidx = t.user_index();
    let gidx = t.group_index();
    for g in &t.groups {
        let target = c
            .group_links
            .get(&g.object_id)
            .and_then(|id| groups.get(id));
        if !closure_ids.contains(g.object_id.as_str()) {
            if let Some(tg) = target {
                v.push(
                    &g.display_name,
                    "existence",
                    "(deleted)".into(),
                    crate::scim::path::show(tg.get("id")),
                );
            }
            continue;
        }
        v.groups_checked += 1;
        let Some(tg) = target else {
            v.push(
                &g.display_name,
                "existence",
                "pushed".into(),
                "(absent)".into(),
            );
            continue;
        };
        if tg.get("displayName").and_then(Value::as_str) != Some(g.display_name.as_str()) {
            v.push(
                &g.display_name,
                "displayName",
                g.display_name.clone(),
                crate::scim::path::show(tg.get("displayName")),
            );
        }
        let mut want: BTreeSet<String> = g
            .members
            .iter()
            .filter_map(|m| uidx.get(m.as_str()).map(|&i| &t.users[i]))
            .filter(|u| !u.hard_deleted && c.out_of_scope(u, &domains).is_none())
            .filter_map(|u| c.user_links.get(&u.object_id).cloned())
            .collect();
        want.extend(
            g.nested_groups
                .iter()
                .filter(|n| gidx.contains_key(n.as_str()) && closure_ids.contains(n.as_str()))
                .filter_map(|n| c.group_links.get(n).cloned()),
        );
        let got = values(tg.get("members"));
        v.memberships_checked += want.len();
        if want != got {
            let missing: BTreeSet<String> = want.difference(&got).cloned().collect();
            let extra: BTreeSet<String> = got.difference(&want).cloned().collect();
            v.push(
                &g.display_name,
                "members",
                format!("also {}", list(&missing)),
                format!("extra {}", list(&extra)),
            );
        }
    }
    // User Sync, from scratch: every linked user's products are the union of the rules on
    // its groups, nesting included.
    let rules = AdminClient::new(c.client.clone())
        .rules()
        .await
        .unwrap_or_else(|e| {
            out.convergence
                .push("User Sync", "rules", "readable".into(), e.to_string());
            None
        });
    if let Some(rules) = rules {
        let mut by_group: HashMap<&str, BTreeSet<String>> = HashMap::new();
        for (g, ps) in &rules {
            by_group
                .entry(g.as_str())
                .or_default()
                .extend(ps.iter().cloned());
        }
        let transitive = dir.transitive_groups(&closure);
        for u in &t.users {
            let Some(tu) = c.user_links.get(&u.object_id).and_then(|id| users.get(id)) else {
                continue;
            };
            // Users deleted or out of scope lost their memberships: no products.
            let mut want = BTreeSet::new();
            if !u.hard_deleted
                && c.out_of_scope(u, &domains).is_none()
                && let Some(gs) = transitive.get(&u.object_id)
            {
                for &g in gs {
                    if let Some(ps) = c
                        .group_links
                        .get(&t.groups[g].object_id)
                        .and_then(|id| by_group.get(id.as_str()))
                    {
                        want.extend(ps.iter().cloned());
                    }
                }
            }
            out.entitlement_users_checked += 1;
            out.entitlements_expected += want.len();
            let got = values(tu.get("entitlements"));
            out.entitlements_found += got.len();
            if want != got {
                out.convergence.push(
                    &u.user_principal_name,
                    "entitlements",
                    list(&want),
                    list(&got),
                );
            }
        }
    }
    Ok(out)
}
