//! How the connector's changes go over the wire: one task per object (create, rename, delete,
//! update, a batch of members), sent in RFC 7644 shapes through the provider's [`Sender`]
//! (429 retried, failures classified), with what each task achieved.

use crate::provisioning::exchange::{Failure, Sender, Sent, classify};
use crate::provisioning::logs::{Action, ObjectKind};
use crate::provisioning::mapping::Mapped;
use crate::provisioning::requests::{self, Compat, ProviderRequest};
use crate::provisioning::sim::converge::values;
use crate::scim::schema::PATCH_OP;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// A PATCH in RFC 7644 shape: `replace` for every changed or new attribute, `remove` for
/// every attribute that lost its value.
pub fn update_user(
    id: &str,
    old: &[(String, Value)],
    new: &[(String, Value)],
) -> Option<ProviderRequest> {
    let mut ops = Vec::new();
    for (p, v) in new {
        if old.iter().find(|(q, _)| q == p).map(|(_, w)| w) != Some(v) {
            ops.push(json!({"op": "replace", "path": p, "value": v}));
        }
    }
    for (p, _) in old {
        if !new.iter().any(|(q, _)| q == p) {
            ops.push(json!({"op": "remove", "path": p}));
        }
    }
    (!ops.is_empty()).then(|| ProviderRequest {
        method: "PATCH".into(),
        path: format!("/Users/{id}"),
        body: Some(json!({"schemas": [PATCH_OP], "Operations": ops})),
    })
}

/// One thing to send.
#[derive(Debug, Clone)]
pub(super) enum Op {
    CreateGroup {
        mapped: Mapped,
    },
    RenameGroup {
        target: String,
        name: String,
    },
    DeleteGroup {
        target: String,
    },
    CreateUser {
        mapped: Mapped,
    },
    UpdateUser {
        req: ProviderRequest,
        mapped: Mapped,
    },
    Members {
        target: String,
        add: Vec<String>,
        remove: Vec<String>,
    },
}

#[derive(Debug, Clone)]
pub(super) struct Task {
    pub(super) kind: ObjectKind,
    pub(super) source_id: String,
    pub(super) name: String,
    pub(super) op: Op,
}

/// What a task achieved.
#[derive(Debug)]
pub(super) struct TaskDone {
    pub(super) task: Task,
    pub(super) action: Action,
    pub(super) status: Option<u16>,
    pub(super) failure: Option<Failure>,
    /// The target id learned (create, or found after a 409).
    pub(super) target: Option<String>,
    /// Member ids applied (adds, removes).
    pub(super) applied: (Vec<String>, Vec<String>),
    /// A group's members as the target lists them, read where the connector's belief may be
    /// wrong: after a refused member PATCH, or a group found after a 409.
    pub(super) members_seen: Option<BTreeSet<String>>,
}

/// The member ids a group has in the target.
async fn read_members(sender: &Sender<'_>, group: &str) -> Option<BTreeSet<String>> {
    let req = ProviderRequest {
        method: "GET".into(),
        path: format!("/Groups/{group}?attributes=members"),
        body: None,
    };
    match sender.send(&req).await {
        Sent::Answer(r) if r.status == 200 => Some(values(r.body.get("members"))),
        _ => None,
    }
}

fn ok(sent: &Sent, codes: &[u16]) -> bool {
    matches!(sent, Sent::Answer(r) if codes.contains(&r.status))
}

/// Looks a resource up by a unique attribute after a 409 on create.
async fn find(sender: &Sender<'_>, kind: ObjectKind, attr: &str, value: &str) -> Option<String> {
    let req = match kind {
        ObjectKind::User => requests::find_user(attr, value),
        ObjectKind::Group => requests::find_group(attr, value),
    };
    match sender.send(&req).await {
        Sent::Answer(r) if r.status == 200 => r
            .body
            .get("Resources")
            .and_then(Value::as_array)
            .filter(|a| a.len() == 1)
            .and_then(|a| a[0].get("id"))
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => None,
    }
}

fn value_of<'a>(m: &'a Mapped, path: &str) -> Option<&'a str> {
    m.iter()
        .find(|(p, _)| p == path)
        .and_then(|(_, v)| v.as_str())
}

pub(super) async fn send(sender: &Sender<'_>, task: Task) -> TaskDone {
    let op = task.op.clone();
    let kind = task.kind;
    let mut d = TaskDone {
        action: Action::Update,
        status: None,
        failure: None,
        target: None,
        applied: (Vec::new(), Vec::new()),
        members_seen: None,
        task,
    };
    let fail = |d: &mut TaskDone, sent: &Sent| {
        d.status = sent.status();
        d.failure = Some(classify(sent));
    };
    match &op {
        Op::CreateGroup { mapped } | Op::CreateUser { mapped } => {
            d.action = Action::Create;
            let (req, attr) = match kind {
                ObjectKind::Group => (requests::create_group(mapped), "displayName"),
                ObjectKind::User => (requests::create_user(mapped), "userName"),
            };
            let sent = sender.send(&req).await;
            d.status = sent.status();
            match &sent {
                Sent::Answer(r) if r.status == 201 => {
                    d.target = r.body.get("id").and_then(Value::as_str).map(str::to_string);
                    if d.target.is_none() {
                        d.failure = Some(Failure::Refused("201 without an id".into()));
                    }
                }
                Sent::Answer(r) if r.status == 409 => {
                    fail(&mut d, &sent);
                    if let Some(v) = value_of(mapped, attr) {
                        d.target = find(sender, kind, attr, v).await;
                    }
                    if let (ObjectKind::Group, Some(id)) = (kind, &d.target) {
                        d.members_seen = read_members(sender, id).await;
                    }
                }
                _ => fail(&mut d, &sent),
            }
        }
        Op::RenameGroup { target, name } => {
            let req = requests::update_group(
                target,
                &[requests::Change {
                    path: "displayName".into(),
                    value: json!(name),
                    existed: true,
                }],
                Compat::AadOptscim062020,
            );
            let sent = sender.send(&req).await;
            d.status = sent.status();
            if !ok(&sent, &[200, 204]) {
                fail(&mut d, &sent);
            }
        }
        Op::DeleteGroup { target } => {
            d.action = Action::Delete;
            let sent = sender.send(&requests::delete_group(target)).await;
            d.status = sent.status();
            if !ok(&sent, &[200, 204, 404]) {
                fail(&mut d, &sent);
            }
        }
        Op::UpdateUser { req, .. } => {
            let sent = sender.send(req).await;
            d.status = sent.status();
            if !ok(&sent, &[200, 204]) {
                fail(&mut d, &sent);
            }
        }
        Op::Members {
            target,
            add,
            remove,
        } => {
            d.action = Action::Members;
            let req = requests::patch_members(target, add, remove, Compat::AadOptscim062020);
            let sent = sender.send(&req).await;
            d.status = sent.status();
            if ok(&sent, &[200, 204]) {
                d.applied = (add.clone(), remove.clone());
            } else {
                fail(&mut d, &sent);
                // Refused (a remove of a member already gone, an add of one already there on
                // a strict target): the belief is wrong, so take the target's word for it.
                if matches!(d.failure, Some(Failure::Refused(_) | Failure::Conflict(_))) {
                    d.members_seen = read_members(sender, target).await;
                }
            }
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_replace_what_changed_and_remove_what_went() {
        let old: Mapped = vec![
            ("userName".into(), json!("a@x")),
            ("name.familyName".into(), json!("Lee")),
            ("urn:x:costCenter".into(), json!("CC-1")),
        ];
        let new: Mapped = vec![
            ("userName".into(), json!("a@x")),
            ("name.familyName".into(), json!("Lee-Renamed")),
        ];
        let req = update_user("u1", &old, &new).expect("a change");
        assert_eq!(
            req.body.expect("body")["Operations"],
            json!([
                {"op": "replace", "path": "name.familyName", "value": "Lee-Renamed"},
                {"op": "remove", "path": "urn:x:costCenter"}
            ])
        );
        assert!(update_user("u1", &new, &new).is_none());
    }
}
