//! The work on one object within a cycle: find the target object (by the remembered id, else
//! by the matching attributes in precedence order), then create, update, disable, delete or
//! skip it; and the references phase (group memberships in batches, then managers).
//!
//! Pure of job state: each call gets what it needs and returns what happened, so the job can
//! run many objects concurrently and apply the results in a deterministic order.

use crate::provisioning::exchange::{Failure, Sender, Sent, classify};
use crate::provisioning::logs::{Action, ObjectKind, Outcome};
use crate::provisioning::mapping::Mapped;
use crate::provisioning::requests::{self, Compat, ProviderRequest};
use crate::provisioning::sim::converge::{diff, same};
use crate::scim::path::lookup;
use crate::scim::schema::{ENTERPRISE_USER_SCHEMA, LIST_RESPONSE};
use parking_lot::Mutex;
use serde_json::Value;

/// Read-only context of a cycle.
#[derive(Debug)]
pub struct Ctx<'a> {
    pub sender: &'a Sender<'a>,
    pub compat: Compat,
    pub member_batch: usize,
    /// Protocol deviations seen (e.g. members returned despite `excludedAttributes`).
    pub compliance: Mutex<Vec<String>>,
}

/// What the job means to do with an object.
#[derive(Debug, Clone)]
pub enum Intent {
    /// Make the target match: `create` carries every mapping, `update` only the always-applied
    /// ones; `matching` is (target attribute, value) in precedence order.
    Upsert {
        create: Mapped,
        update: Mapped,
        matching: Vec<(String, String)>,
    },
    Disable,
    Delete,
    Skip(String),
}

/// One object to process.
#[derive(Debug, Clone)]
pub struct Work {
    pub kind: ObjectKind,
    pub source_id: String,
    pub name: String,
    /// The target id remembered from an earlier cycle.
    pub link: Option<String>,
    pub intent: Intent,
}

/// How the link to the target object changes.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkUpdate {
    Keep,
    Set(String),
    Remove,
}

/// What happened to one object.
#[derive(Debug, Clone)]
pub struct Done {
    pub work_kind: ObjectKind,
    pub source_id: String,
    pub name: String,
    pub action: Action,
    pub outcome: Outcome,
    pub reason: String,
    pub status: Option<u16>,
    pub link: LinkUpdate,
    pub failure: Option<Failure>,
    /// The target user's manager id as this cycle saw it (`Some(None)`: none), when known:
    /// after a create, or from the matched resource.
    pub observed_manager: Option<Option<String>>,
}

impl Done {
    fn new(w: &Work, action: Action, outcome: Outcome, reason: impl Into<String>) -> Done {
        Done {
            work_kind: w.kind,
            source_id: w.source_id.clone(),
            name: w.name.clone(),
            action,
            outcome,
            reason: reason.into(),
            status: None,
            link: LinkUpdate::Keep,
            failure: None,
            observed_manager: None,
        }
    }
    fn failed(w: &Work, action: Action, sent: &Sent, f: Failure) -> Done {
        let mut d = Done::new(w, action, Outcome::Failure, f.reason());
        d.status = sent.status();
        d.failure = Some(f);
        d
    }
    fn ok(mut self, status: Option<u16>) -> Done {
        self.status = status;
        self
    }
}

fn endpoint(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::User => "Users",
        ObjectKind::Group => "Groups",
    }
}

/// Result of looking for the target object.
enum Found {
    Target(String, Value, Option<u16>),
    Nothing(Option<u16>),
    Failed(Done),
}

async fn find(ctx: &Ctx<'_>, w: &Work, action: Action, matching: &[(String, String)]) -> Found {
    let ep = endpoint(w.kind);
    if let Some(id) = &w.link {
        let q = if w.kind == ObjectKind::Group {
            "?excludedAttributes=members"
        } else {
            ""
        };
        let req = ProviderRequest {
            method: "GET".into(),
            path: format!("/{ep}/{id}{q}"),
            body: None,
        };
        let sent = ctx.sender.send(&req).await;
        match &sent {
            Sent::Answer(r) if r.status == 200 => {
                if w.kind == ObjectKind::Group && r.body.get("members").is_some() {
                    ctx.compliance.lock().push(format!(
                        "GET /Groups/{id}?excludedAttributes=members returned members"
                    ));
                }
                return Found::Target(id.clone(), r.body.clone(), Some(200));
            }
            Sent::Answer(r) if r.status == 404 => {}
            _ => return Found::Failed(Done::failed(w, action, &sent, classify(&sent))),
        }
    }
    let mut last = None;
    for (attr, value) in matching {
        let req = match w.kind {
            ObjectKind::User => requests::find_user(attr, value),
            ObjectKind::Group => requests::find_group(attr, value),
        };
        let sent = ctx.sender.send(&req).await;
        let r = match &sent {
            Sent::Answer(r) if r.status == 200 => r,
            Sent::Answer(r) if r.status == 404 => {
                let f = Failure::Compliance(format!(
                    "404 on the filter query {} (expected 200 with an empty ListResponse)",
                    req.path
                ));
                return Found::Failed(Done::failed(w, action, &sent, f));
            }
            _ => return Found::Failed(Done::failed(w, action, &sent, classify(&sent))),
        };
        last = Some(200);
        let is_list = r
            .body
            .get("schemas")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|s| s.as_str() == Some(LIST_RESPONSE)));
        if !is_list {
            let f = Failure::Compliance(format!("{} did not answer a ListResponse", req.path));
            return Found::Failed(Done::failed(w, action, &sent, f));
        }
        let resources = r
            .body
            .get("Resources")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if w.kind == ObjectKind::Group && resources.iter().any(|g| g.get("members").is_some()) {
            ctx.compliance.lock().push(format!(
                "{} returned members despite excludedAttributes=members",
                req.path
            ));
        }
        match resources.len() {
            0 => continue,
            1 => {
                let id = resources[0].get("id").and_then(Value::as_str);
                return match id {
                    Some(id) => Found::Target(id.to_string(), resources[0].clone(), last),
                    None => Found::Failed(Done::failed(
                        w,
                        action,
                        &sent,
                        Failure::Compliance("a matched resource has no id".into()),
                    )),
                };
            }
            n => {
                let f = Failure::Refused(format!(
                    "duplicate target entries: {n} {ep} match {attr} eq \"{value}\""
                ));
                return Found::Failed(Done::failed(w, action, &sent, f));
            }
        }
    }
    Found::Nothing(last)
}

fn is_success(sent: &Sent, ok: &[u16]) -> bool {
    matches!(sent, Sent::Answer(r) if ok.contains(&r.status))
}

/// Processes one user or group.
pub async fn process(ctx: &Ctx<'_>, w: &Work) -> Done {
    match &w.intent {
        Intent::Skip(reason) => Done::new(w, Action::Skip, Outcome::Skipped, reason.clone()),
        Intent::Delete => {
            let Some(id) = &w.link else {
                return Done::new(w, Action::Skip, Outcome::Skipped, "never provisioned");
            };
            let req = match w.kind {
                ObjectKind::User => requests::delete_user(id),
                ObjectKind::Group => requests::delete_group(id),
            };
            let sent = ctx.sender.send(&req).await;
            if is_success(&sent, &[200, 204, 404]) {
                let mut d =
                    Done::new(w, Action::Delete, Outcome::Success, "deleted").ok(sent.status());
                d.link = LinkUpdate::Remove;
                d
            } else {
                Done::failed(w, Action::Delete, &sent, classify(&sent))
            }
        }
        Intent::Disable => {
            let target = match find(ctx, w, Action::Disable, &[]).await {
                Found::Target(id, t, _) => (id, t),
                Found::Nothing(s) => {
                    let mut d = Done::new(w, Action::Skip, Outcome::Skipped, "not in the target");
                    d.link = LinkUpdate::Remove;
                    return d.ok(s);
                }
                Found::Failed(d) => return d,
            };
            if lookup(&target.1, "active").is_some_and(|a| same(Some(a), &Value::Bool(false))) {
                return Done::new(w, Action::Skip, Outcome::Skipped, "already disabled")
                    .ok(Some(200));
            }
            let sent = ctx
                .sender
                .send(&requests::disable_user(&target.0, ctx.compat))
                .await;
            if is_success(&sent, &[200, 204]) {
                Done::new(
                    w,
                    Action::Disable,
                    Outcome::Success,
                    "out of scope or soft-deleted",
                )
                .ok(sent.status())
            } else {
                Done::failed(w, Action::Disable, &sent, classify(&sent))
            }
        }
        Intent::Upsert {
            create,
            update,
            matching,
        } => upsert(ctx, w, create, update, matching).await,
    }
}

async fn upsert(
    ctx: &Ctx<'_>,
    w: &Work,
    create: &Mapped,
    update: &Mapped,
    matching: &[(String, String)],
) -> Done {
    match find(ctx, w, Action::Update, matching).await {
        Found::Failed(d) => d,
        Found::Nothing(_) => {
            let req = match w.kind {
                ObjectKind::User => requests::create_user(create),
                ObjectKind::Group => requests::create_group(create),
            };
            let sent = ctx.sender.send(&req).await;
            let id = match &sent {
                Sent::Answer(r) if r.status == 201 => {
                    r.body.get("id").and_then(Value::as_str).map(str::to_string)
                }
                _ => return Done::failed(w, Action::Create, &sent, classify(&sent)),
            };
            match id {
                Some(id) => {
                    let mut d =
                        Done::new(w, Action::Create, Outcome::Success, "created").ok(Some(201));
                    d.link = LinkUpdate::Set(id);
                    d.observed_manager = Some(None);
                    d
                }
                None => Done::failed(
                    w,
                    Action::Create,
                    &sent,
                    Failure::Compliance("201 without an id".into()),
                ),
            }
        }
        Found::Target(id, target, status) => {
            let changes = diff(&target, update);
            let mut d = if changes.is_empty() {
                Done::new(
                    w,
                    Action::Skip,
                    Outcome::Skipped,
                    "target already up to date",
                )
                .ok(status)
            } else {
                let req = match w.kind {
                    ObjectKind::User => requests::update_user(&id, &changes, ctx.compat),
                    ObjectKind::Group => requests::update_group(&id, &changes, ctx.compat),
                };
                let sent = ctx.sender.send(&req).await;
                if !is_success(&sent, &[200, 204]) {
                    return Done::failed(w, Action::Update, &sent, classify(&sent));
                }
                let names: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
                Done::new(
                    w,
                    Action::Update,
                    Outcome::Success,
                    format!("updated {}", names.join(", ")),
                )
                .ok(sent.status())
            };
            if w.link.as_deref() != Some(id.as_str()) {
                d.link = LinkUpdate::Set(id);
            }
            if w.kind == ObjectKind::User {
                d.observed_manager = Some(manager_of(&target));
            }
            d
        }
    }
}

/// The manager id a target user holds: `manager.value`, or a bare string where a target
/// stored what the provider sent as is.
pub fn manager_of(user: &Value) -> Option<String> {
    let m = lookup(user, &format!("{ENTERPRISE_USER_SCHEMA}:manager"))?;
    match m {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("value").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// The references phase for one user: its manager to set (`Some`) or clear (`None`).
#[derive(Debug, Clone)]
pub struct ManagerWork {
    pub source_id: String,
    pub name: String,
    pub target_id: String,
    pub manager: Option<String>,
}

/// Sends one manager reference; the status and the failure, if any.
pub async fn manager(ctx: &Ctx<'_>, m: &ManagerWork) -> (Option<u16>, Option<Failure>) {
    let req = requests::set_manager(&m.target_id, m.manager.as_deref(), ctx.compat);
    let sent = ctx.sender.send(&req).await;
    let failure = (!is_success(&sent, &[200, 204])).then(|| classify(&sent));
    (sent.status(), failure)
}

/// The references phase for one group: members to add and remove, sent in batches.
#[derive(Debug, Clone)]
pub struct MemberWork {
    pub source_id: String,
    pub name: String,
    pub target_id: String,
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

/// What the references phase did to one group: which member ids were applied.
#[derive(Debug, Clone)]
pub struct MembersDone {
    /// Ids of the batch that failed: the target may or may not have applied it.
    pub uncertain: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub status: Option<u16>,
    pub failure: Option<Failure>,
}

/// Sends the member batches of one group; stops at the first failure.
pub async fn members(ctx: &Ctx<'_>, m: &MemberWork) -> MembersDone {
    let mut out = MembersDone {
        uncertain: Vec::new(),
        added: Vec::new(),
        removed: Vec::new(),
        status: None,
        failure: None,
    };
    let batch = ctx.member_batch.max(1);
    let chunks = m
        .add
        .chunks(batch)
        .map(|c| (c, true))
        .chain(m.remove.chunks(batch).map(|c| (c, false)));
    for (chunk, add) in chunks {
        let req = if add {
            requests::patch_members(&m.target_id, chunk, &[], ctx.compat)
        } else {
            requests::patch_members(&m.target_id, &[], chunk, ctx.compat)
        };
        let sent = ctx.sender.send(&req).await;
        out.status = sent.status();
        if is_success(&sent, &[200, 204]) {
            let list = if add {
                &mut out.added
            } else {
                &mut out.removed
            };
            list.extend(chunk.iter().cloned());
        } else {
            out.failure = Some(classify(&sent));
            out.uncertain = chunk.to_vec();
            break;
        }
    }
    out
}
