//! The objects phase of a cycle (what it processes is planned in [`super::plan`]): finding
//! each target object (by the remembered id, else by the matching attributes in precedence
//! order) and creating, updating, disabling, deleting or skipping it; and applying what came
//! back (links, escrows, counters, provisioning logs).
//!
//! The requests are pure of job state: each call gets what it needs and returns what
//! happened, so the job can run many objects concurrently and apply the results in a
//! deterministic order.

use super::cycle::{Ctx, is_success};
use super::job::ProvisioningJob;
use super::quarantine::QuarantineReason;
use crate::provisioning::exchange::{Failure, Sent, TargetAnswer, classify};
use crate::provisioning::logs::{Action, FailureClass, LogRecord, ObjectKind, Outcome};
use crate::provisioning::mapping::Mapped;
use crate::provisioning::mapping::manager_of;
use crate::provisioning::requests::{self, ProviderRequest};
use crate::provisioning::sim::CycleSummary;
use crate::provisioning::sim::converge::{diff, same, value_text};
use crate::scim::path::lookup;
use crate::scim::schema::LIST_RESPONSE;
use chrono::{DateTime, Utc};
use serde_json::Value;

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
    /// The failed request and the target's answer, when a request failed.
    pub answer: Option<TargetAnswer>,
    /// What the update changed: (attribute, old value, new value).
    pub modified: Vec<(String, Option<String>, String)>,
    /// Time spent on the object's requests.
    pub duration_ms: u64,
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
            answer: None,
            modified: Vec::new(),
            duration_ms: 0,
        }
    }
    fn failed(w: &Work, action: Action, req: &ProviderRequest, sent: &Sent, f: Failure) -> Done {
        let mut d = Done::new(w, action, Outcome::Failure, f.reason());
        d.status = sent.status();
        d.failure = Some(f);
        d.answer = Some(TargetAnswer::of(req, sent));
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

fn lost(w: &Work, action: Action, req: &ProviderRequest, sent: &Sent, f: Failure) -> Found {
    Found::Failed(Box::new(Done::failed(w, action, req, sent, f)))
}

/// Result of looking for the target object.
enum Found {
    Target(String, Value, Option<u16>),
    Nothing(Option<u16>),
    Failed(Box<Done>),
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
            _ => return lost(w, action, &req, &sent, classify(&sent)),
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
                return lost(w, action, &req, &sent, f);
            }
            _ => return lost(w, action, &req, &sent, classify(&sent)),
        };
        last = Some(200);
        let is_list = r
            .body
            .get("schemas")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|s| s.as_str() == Some(LIST_RESPONSE)));
        if !is_list {
            let f = Failure::Compliance(format!("{} did not answer a ListResponse", req.path));
            return lost(w, action, &req, &sent, f);
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
                    None => lost(
                        w,
                        action,
                        &req,
                        &sent,
                        Failure::Compliance("a matched resource has no id".into()),
                    ),
                };
            }
            n => {
                let f = Failure::Refused(format!(
                    "duplicate target entries: {n} {ep} match {attr} eq \"{value}\""
                ));
                return lost(w, action, &req, &sent, f);
            }
        }
    }
    Found::Nothing(last)
}

/// Processes one user or group.
pub async fn process(ctx: &Ctx<'_>, w: &Work) -> Done {
    let began = std::time::Instant::now();
    let mut d = process_timed(ctx, w).await;
    d.duration_ms = began.elapsed().as_millis() as u64;
    d
}

async fn process_timed(ctx: &Ctx<'_>, w: &Work) -> Done {
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
                Done::failed(w, Action::Delete, &req, &sent, classify(&sent))
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
                Found::Failed(d) => return *d,
            };
            if lookup(&target.1, "active").is_some_and(|a| same(Some(a), &Value::Bool(false))) {
                return Done::new(w, Action::Skip, Outcome::Skipped, "already disabled")
                    .ok(Some(200));
            }
            let req = requests::disable_user(&target.0, ctx.compat);
            let sent = ctx.sender.send(&req).await;
            if is_success(&sent, &[200, 204]) {
                Done::new(
                    w,
                    Action::Disable,
                    Outcome::Success,
                    "out of scope or soft-deleted",
                )
                .ok(sent.status())
            } else {
                Done::failed(w, Action::Disable, &req, &sent, classify(&sent))
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
        Found::Failed(d) => *d,
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
                _ => return Done::failed(w, Action::Create, &req, &sent, classify(&sent)),
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
                    &req,
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
                let modified: Vec<_> = changes
                    .iter()
                    .map(|c| {
                        let old = lookup(&target, &c.path).map(value_text);
                        (c.path.clone(), old, value_text(&c.value))
                    })
                    .collect();
                let sent = ctx.sender.send(&req).await;
                if !is_success(&sent, &[200, 204]) {
                    let mut d = Done::failed(w, Action::Update, &req, &sent, classify(&sent));
                    d.modified = modified;
                    return d;
                }
                let names: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
                let mut d = Done::new(
                    w,
                    Action::Update,
                    Outcome::Success,
                    format!("updated {}", names.join(", ")),
                )
                .ok(sent.status());
                d.modified = modified;
                d
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

impl ProvisioningJob {
    pub(crate) fn log(&mut self, r: LogRecord) {
        self.logs.push(r);
    }

    /// Applies one object's result. Returns a reason to quarantine at once, if any.
    pub(crate) fn apply_done(
        &mut self,
        mut d: Done,
        number: u32,
        start: DateTime<Utc>,
        s: &mut CycleSummary,
    ) -> Option<QuarantineReason> {
        let kind = d.work_kind;
        match &d.link {
            LinkUpdate::Keep => {}
            LinkUpdate::Set(id) => {
                match kind {
                    ObjectKind::User => self.user_links.insert(d.source_id.clone(), id.clone()),
                    ObjectKind::Group => {
                        self.group_members.entry(d.source_id.clone()).or_default();
                        self.group_links.insert(d.source_id.clone(), id.clone())
                    }
                };
            }
            LinkUpdate::Remove => match kind {
                ObjectKind::User => {
                    self.user_managers.remove(&d.source_id);
                    self.manager_unsure.remove(&d.source_id);
                    self.manager_refused.remove(&d.source_id);
                    self.escrows.succeed(kind, &d.source_id, true);
                    if let Some(id) = self.user_links.remove(&d.source_id) {
                        for members in self.group_members.values_mut() {
                            members.remove(&id);
                        }
                    }
                }
                ObjectKind::Group => {
                    self.group_links.remove(&d.source_id);
                    self.group_members.remove(&d.source_id);
                    self.group_uncertain.remove(&d.source_id);
                    self.escrows.succeed(kind, &d.source_id, true);
                }
            },
        }
        if let Some(seen) = d.observed_manager.take() {
            self.user_managers.insert(d.source_id.clone(), seen);
        }
        let mut verdict = None;
        match d.outcome {
            Outcome::Success => {
                self.counters.events += 1;
                s.count_success(d.action);
                self.escrows.succeed(kind, &d.source_id, false);
            }
            Outcome::Skipped => {
                s.skips += 1;
                self.escrows.succeed(kind, &d.source_id, false);
            }
            Outcome::Failure => {
                s.failures += 1;
                self.counters.events += 1;
                self.counters.failures += 1;
                match &d.failure {
                    Some(Failure::Escrow(r)) => self.escrows.fail(
                        kind,
                        &d.source_id,
                        false,
                        number,
                        r.clone(),
                        d.status,
                        self.config.policy.max_escrow_gap,
                    ),
                    Some(Failure::Credentials(status)) => {
                        verdict = Some(QuarantineReason::CredentialFailure { status: *status })
                    }
                    Some(Failure::Compliance(detail)) => {
                        verdict = Some(QuarantineReason::ComplianceFailure {
                            detail: detail.clone(),
                        })
                    }
                    _ => self.escrows.succeed(kind, &d.source_id, false),
                }
            }
        }
        let target_id = match kind {
            ObjectKind::User => self.user_links.get(&d.source_id).cloned(),
            ObjectKind::Group => self.group_links.get(&d.source_id).cloned(),
        };
        self.log(LogRecord {
            cycle: number,
            at: start,
            kind,
            source_id: d.source_id,
            name: d.name,
            action: d.action,
            result: d.outcome,
            reason: d.reason,
            status: d.status,
            target_id,
            failure: d.failure.as_ref().map(FailureClass::of),
            answer: d.answer.map(Box::new),
            modified: d.modified,
            duration_ms: d.duration_ms,
        });
        verdict
    }
}
