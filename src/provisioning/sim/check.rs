//! The convergence check after a cloud provider's simulation (Entra's and Okta's alike): the
//! target's state equals what the mappings say it should be, users and groups attribute by
//! attribute, memberships and manager references. Reads the target through the SCIM client
//! (paged lists), so it works for an external target too; objects the tenant does not know
//! are ignored, so a shared target is fine.

use super::converge::{Convergence, diff, read_all, value_text, values};
use crate::client::{ClientError, ScimClient};
use crate::provisioning::logs::ObjectKind;
use crate::provisioning::mapping::{Mappings, UserView, manager_of, map};
use crate::provisioning::scoping::{ScopeView, Scoping};
use crate::provisioning::tenant::Tenant;
use crate::scim::path::lookup;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// What the target holds at `path`; where a filter selects nothing (`emails[type eq
/// "work"].value`), what the attribute holds instead, so a value kept without its type does
/// not read as lost.
fn actual(t: &Value, path: &str) -> String {
    let got = lookup(t, path);
    match (got, path.split_once('[')) {
        (None | Some(Value::Null), Some((attr, _))) => match t.get(attr) {
            Some(v) if !v.is_null() => {
                let text: String = v.to_string().chars().take(200).collect();
                format!("(absent: the filter selects nothing; {attr} is {text})")
            }
            _ => show(got),
        },
        _ => show(got),
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "(absent)".into(),
        Some(v) => value_text(v),
    }
}

/// What the provider believes and how it provisions: the state the target should be in.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// Source object id -> target id.
    pub user_links: &'a HashMap<String, String>,
    pub group_links: &'a HashMap<String, String>,
    pub mappings: &'a Mappings,
    pub scoping: &'a Scoping,
    /// Changes the provider still holds to deliver.
    pub pending: usize,
    /// Entra deletes a user gone from the directory; Okta never sends a user DELETE (O-DEACTIVATE-01), so
    /// such a user only has to be inactive, or absent.
    pub deletes_users: bool,
}

/// Compares the target with the expected state of the tenant under the provider's configuration.
pub async fn check(
    client: &ScimClient,
    tenant: &Tenant,
    e: &Expected<'_>,
) -> Result<Convergence, ClientError> {
    let users = read_all(client, "Users").await?;
    let groups = read_all(client, "Groups").await?;
    let by_name: HashMap<String, &str> = users
        .iter()
        .filter_map(|(id, u)| {
            u.get("userName")
                .and_then(Value::as_str)
                .map(|n| (n.to_lowercase(), id.as_str()))
        })
        .collect();
    let scoping = e.scoping;
    let scope = ScopeView::new(tenant, scoping);
    let mut c = Convergence {
        pending_escrows: e.pending,
        ..Default::default()
    };
    let mappings = e.mappings;
    for u in &tenant.users {
        let name = &u.user_principal_name;
        let link = e.user_links.get(&u.object_id);
        let target = link.and_then(|id| users.get(id));
        if u.hard_deleted && e.deletes_users {
            if let Some(id) = by_name.get(&name.to_lowercase()) {
                c.push_of(
                    (ObjectKind::User, &u.object_id),
                    name,
                    "existence",
                    "(deleted)".into(),
                    format!("user {id}"),
                );
            }
            continue;
        }
        if scope.user_entitled(u) {
            c.users_checked += 1;
            let Some(t) = target else {
                c.push_of(
                    (ObjectKind::User, &u.object_id),
                    name,
                    "existence",
                    "provisioned".into(),
                    "(absent)".into(),
                );
                continue;
            };
            let view = UserView {
                user: u,
                is_soft_deleted: false,
            };
            for ch in diff(t, &map(&mappings.user, &view, false)) {
                c.push_of(
                    (ObjectKind::User, &u.object_id),
                    name,
                    &ch.path,
                    show(Some(&ch.value)),
                    actual(t, &ch.path),
                );
            }
            for r in mappings.user_references() {
                let want = r.value(&view).and_then(|m| e.user_links.get(&m).cloned());
                let got = manager_of(t);
                if want != got {
                    let show = |v: Option<String>| v.unwrap_or_else(|| "(absent)".into());
                    c.push_of(
                        (ObjectKind::User, &u.object_id),
                        name,
                        &r.target,
                        show(want),
                        show(got),
                    );
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
                c.push_of(
                    (ObjectKind::User, &u.object_id),
                    name,
                    "active",
                    "false".into(),
                    show(active),
                );
            }
        } else if link.is_none()
            && !scope.user_in_scope(u)
            && let Some(id) = by_name.get(&name.to_lowercase())
        {
            c.push_of(
                (ObjectKind::User, &u.object_id),
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
        let target = e
            .group_links
            .get(&g.object_id)
            .and_then(|id| groups.get(id));
        if !scope.group_in_scope(g) {
            if let Some(t) = target {
                c.push_of(
                    (ObjectKind::Group, &g.object_id),
                    name,
                    "existence",
                    "(deleted)".into(),
                    show(t.get("id")),
                );
            }
            continue;
        }
        c.groups_checked += 1;
        let Some(t) = target else {
            c.push_of(
                (ObjectKind::Group, &g.object_id),
                name,
                "existence",
                "provisioned".into(),
                "(absent)".into(),
            );
            continue;
        };
        for ch in diff(t, &map(&mappings.group, g, false)) {
            c.push_of(
                (ObjectKind::Group, &g.object_id),
                name,
                &ch.path,
                show(Some(&ch.value)),
                actual(t, &ch.path),
            );
        }
        // Recomputed here rather than taken from the job, so a planning bug shows.
        let want: BTreeSet<String> = g
            .members
            .iter()
            .filter_map(|m| idx.get(m.as_str()).map(|&i| &tenant.users[i]))
            .filter(|u| scope.user_entitled(u))
            .filter_map(|u| e.user_links.get(&u.object_id).cloned())
            .collect();
        let got = values(t.get("members"));
        c.memberships_checked += want.len();
        for missing in want.difference(&got) {
            c.push_of(
                (ObjectKind::Group, &g.object_id),
                name,
                "members",
                format!("contains {missing}"),
                "(absent)".into(),
            );
        }
        for extra in got.difference(&want) {
            c.push_of(
                (ObjectKind::Group, &g.object_id),
                name,
                "members",
                "(absent)".into(),
                format!("contains {extra}"),
            );
        }
    }
    Ok(c)
}
