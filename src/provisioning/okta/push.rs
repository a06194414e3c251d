//! Okta's pushes (O-PUSH-01): a change to an assigned user or a pushed group goes to the app
//! when it happens. Each round sends what changed since the last one (every object at
//! assignment, the first round), in Okta's shapes ([`super::app`]), 429s waited as Okta
//! waits (O-RATE-01). A push that fails becomes a task (Dashboard > Tasks) that waits for an
//! admin: Okta documents no automatic retry, so only a later change to the object, or the
//! admin's retry ([`Round::RetryTasks`]), sends it again.

use super::app::{self, Member, OktaApp};
use crate::client::ScimClient;
use crate::provisioning::exchange::{
    Failure, RetryPolicy, Sender, Sent, TargetAnswer, classify, shape,
};
use crate::provisioning::logs::{Action, FailureClass, LogRecord, ObjectKind, Outcome};
use crate::provisioning::mapping::{Mapped, Mappings, UserView, map};
use crate::provisioning::requests::ProviderRequest;
use crate::provisioning::scoping::{ScopeView, Scoping};
use crate::provisioning::sim::converge::value_text;
use crate::provisioning::sim::report::CycleSummary;
use crate::provisioning::tenant::Tenant;
use chrono::{DateTime, Duration, Utc};
use futures::StreamExt as _;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Which objects a round looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// The app's assignments and pushed groups, all at once.
    Assignment,
    /// What changed in the directory since the last round.
    Events,
    /// The admin retries every open task.
    RetryTasks,
}

/// What Okta believes the app holds for one user.
#[derive(Debug, Clone)]
struct Pushed {
    active: bool,
    /// The last profile pushed (`active` left out).
    profile: Mapped,
}

/// One request and what came of it.
struct Exchange {
    req: ProviderRequest,
    sent: Sent,
}

/// What one object's push did.
struct Done {
    kind: ObjectKind,
    source_id: String,
    name: String,
    action: Action,
    failure: Option<(Failure, Box<TargetAnswer>)>,
    status: Option<u16>,
    target: Option<String>,
    /// Simulated time the push took: the target's time and the 429 waits.
    took: std::time::Duration,
    requests: u64,
    shapes: Vec<String>,
    /// Applied on success: the new belief.
    user: Option<Pushed>,
    members: Option<BTreeSet<String>>,
    /// The members a failed membership push added or removed: an outage can come after the
    /// target applied it, so the next push sends each again, whichever way it should be.
    unsure: BTreeSet<String>,
    group_name: Option<String>,
    modified: Vec<(String, Option<String>, String)>,
    reason: String,
    retries_429: u64,
}

impl Done {
    fn new(kind: ObjectKind, source_id: &str, name: &str, action: Action) -> Done {
        Done {
            kind,
            source_id: source_id.into(),
            name: name.into(),
            action,
            failure: None,
            status: None,
            target: None,
            took: std::time::Duration::ZERO,
            requests: 0,
            shapes: Vec::new(),
            user: None,
            members: None,
            unsure: BTreeSet::new(),
            group_name: None,
            modified: Vec::new(),
            reason: String::new(),
            retries_429: 0,
        }
    }
    /// Sends `req` and keeps its shape; `Err` (recorded as the failure) unless the status is
    /// one of `ok`.
    async fn send(
        &mut self,
        sender: &Sender<'_>,
        req: ProviderRequest,
        ok: &[u16],
    ) -> Result<Exchange, ()> {
        self.shapes.push(shape(&req));
        let before = sender.requests.load(Ordering::Relaxed);
        let sent = sender.send(&req).await;
        let n = sender.requests.load(Ordering::Relaxed) - before;
        self.retries_429 += n.saturating_sub(1);
        self.status = sent.status();
        if matches!(&sent, Sent::Answer(r) if ok.contains(&r.status)) {
            return Ok(Exchange { req, sent });
        }
        let answer = Box::new(TargetAnswer::of(&req, &sent));
        self.failure = Some((classify(&sent), answer));
        Err(())
    }
}

/// A user's push, decided before anything is sent.
enum UserWork {
    Create {
        mapped: Mapped,
    },
    Profile {
        id: String,
        mapped: Mapped,
    },
    /// Deactivate (`false`) or reactivate (`true`), with the profile for a custom app's PUT.
    Active {
        id: String,
        active: bool,
        mapped: Mapped,
    },
}

/// A group's push.
enum GroupWork {
    Create {
        name: String,
        members: Vec<Member>,
    },
    Update {
        id: String,
        name: String,
        members: Vec<Member>,
        add: Vec<Member>,
        remove: Vec<String>,
    },
    Delete {
        id: String,
    },
}

/// Okta's provisioning to one app.
#[derive(Debug)]
pub struct Pusher {
    pub client: ScimClient,
    pub app: OktaApp,
    pub retry: RetryPolicy,
    pub concurrency: usize,
    pub mappings: Mappings,
    pub scoping: Scoping,
    /// Okta user id (the directory's object id) -> the app's user id.
    pub user_links: HashMap<String, String>,
    pub group_links: HashMap<String, String>,
    users: HashMap<String, Pushed>,
    group_names: HashMap<String, String>,
    group_members: HashMap<String, BTreeSet<String>>,
    /// Members whose last push failed without a clear answer, per group.
    group_unsure: HashMap<String, BTreeSet<String>>,
    /// Failed pushes waiting in Dashboard > Tasks: (kind, source id) -> the failure's reason.
    pub tasks: BTreeMap<(ObjectKind, String), String>,
    pub logs: Vec<LogRecord>,
    pub rounds: Vec<CycleSummary>,
    /// Requests sent, by shape.
    pub shapes: BTreeMap<String, usize>,
    /// Simulated milliseconds from an event to its successful push.
    pub latencies_ms: Vec<u64>,
    pub retries_429: u64,
    since: Option<DateTime<Utc>>,
}

impl Pusher {
    pub fn new(client: ScimClient, app: OktaApp, concurrency: usize) -> Pusher {
        Pusher {
            client,
            app,
            retry: RetryPolicy::okta(),
            concurrency: concurrency.max(1),
            mappings: app::mappings(),
            scoping: Scoping::default(),
            user_links: HashMap::new(),
            group_links: HashMap::new(),
            users: HashMap::new(),
            group_names: HashMap::new(),
            group_members: HashMap::new(),
            group_unsure: HashMap::new(),
            tasks: BTreeMap::new(),
            logs: Vec::new(),
            rounds: Vec::new(),
            shapes: BTreeMap::new(),
            latencies_ms: Vec::new(),
            retries_429: 0,
            since: None,
        }
    }

    /// The app ids of the users Okta believes active in the app.
    pub fn active_ids(&self) -> std::collections::HashSet<String> {
        self.users
            .iter()
            .filter(|(_, p)| p.active)
            .filter_map(|(k, _)| self.user_links.get(k).cloned())
            .collect()
    }

    /// The user's push, if it needs one.
    fn user_work(
        &self,
        u: &crate::provisioning::tenant::SourceUser,
        scope: &ScopeView<'_>,
    ) -> Option<UserWork> {
        let entitled = scope.user_entitled(u);
        let view = UserView {
            user: u,
            is_soft_deleted: !entitled,
        };
        let mapped = map(&self.mappings.user, &view, true);
        let link = self.user_links.get(&u.object_id);
        let pushed = self.users.get(&u.object_id);
        match (link, entitled) {
            (None, true) => Some(UserWork::Create { mapped }),
            (None, false) => None,
            (Some(id), true) => {
                let id = id.clone();
                match pushed {
                    Some(p) if !p.active => Some(UserWork::Active {
                        id,
                        active: true,
                        mapped,
                    }),
                    Some(p) if p.profile == profile(&mapped) => None,
                    _ => Some(UserWork::Profile { id, mapped }),
                }
            }
            (Some(id), false) => match pushed {
                Some(p) if !p.active => None,
                _ => Some(UserWork::Active {
                    id: id.clone(),
                    active: false,
                    mapped,
                }),
            },
        }
    }

    /// The group's push, if it needs one: members are the entitled ones Okta has pushed.
    fn group_work(
        &self,
        t: &Tenant,
        g: &crate::provisioning::tenant::SourceGroup,
        scope: &ScopeView<'_>,
    ) -> Option<GroupWork> {
        let link = self.group_links.get(&g.object_id);
        if !scope.group_in_scope(g) {
            return link.map(|id| GroupWork::Delete { id: id.clone() });
        }
        let idx = t.user_index();
        let mut members: Vec<Member> = g
            .members
            .iter()
            .filter_map(|m| idx.get(m.as_str()).map(|&i| &t.users[i]))
            .filter(|u| scope.user_entitled(u))
            .filter_map(|u| {
                self.user_links.get(&u.object_id).map(|id| Member {
                    id: id.clone(),
                    login: u.user_principal_name.clone(),
                })
            })
            .collect();
        members.sort();
        members.dedup();
        let Some(id) = link else {
            return Some(GroupWork::Create {
                name: g.display_name.clone(),
                members,
            });
        };
        let have = self
            .group_members
            .get(&g.object_id)
            .cloned()
            .unwrap_or_default();
        let unsure = self
            .group_unsure
            .get(&g.object_id)
            .cloned()
            .unwrap_or_default();
        let want: BTreeSet<String> = members.iter().map(|m| m.id.clone()).collect();
        let renamed = self.group_names.get(&g.object_id) != Some(&g.display_name);
        let add: Vec<Member> = members
            .iter()
            .filter(|m| !have.contains(&m.id) || unsure.contains(&m.id))
            .cloned()
            .collect();
        let remove: Vec<String> = have
            .union(&unsure)
            .filter(|m| !want.contains(*m))
            .cloned()
            .collect();
        if add.is_empty() && remove.is_empty() && !renamed {
            return None;
        }
        Some(GroupWork::Update {
            id: id.clone(),
            name: g.display_name.clone(),
            members,
            add,
            remove,
        })
    }

    /// One round at `now`: users first (so a group's members are linked), then groups.
    pub async fn round(&mut self, t: &Tenant, now: DateTime<Utc>, kind: Round) -> CycleSummary {
        let wall = Instant::now();
        let number = self.rounds.len() as u32;
        let scoping = self.scoping.clone();
        let scope = ScopeView::new(t, &scoping);
        let since = self.since;
        let picked = |kind_: ObjectKind, id: &str, modified: DateTime<Utc>| match kind {
            Round::Assignment => true,
            Round::Events => since.is_none_or(|s| modified > s),
            Round::RetryTasks => self.tasks.contains_key(&(kind_, id.to_string())),
        };
        let mut settled = Vec::new();
        let mut user_work: Vec<(usize, UserWork)> = Vec::new();
        for (i, u) in t.users.iter().enumerate() {
            if !picked(ObjectKind::User, &u.object_id, u.modified) {
                continue;
            }
            match self.user_work(u, &scope) {
                Some(w) => user_work.push((i, w)),
                None => settled.push((ObjectKind::User, u.object_id.clone())),
            }
        }
        let (client, retry, app) = (&self.client, &self.retry, self.app);
        let users: Vec<Done> = futures::stream::iter(user_work.into_iter().map(|(i, w)| {
            let u = &t.users[i];
            push_user(
                client,
                retry,
                app,
                u.object_id.as_str(),
                u.user_principal_name.as_str(),
                w,
            )
        }))
        .buffered(self.concurrency)
        .collect()
        .await;
        let mut summary = CycleSummary {
            number,
            initial: kind == Round::Assignment,
            sim_start: now,
            ..Default::default()
        };
        let mut longest = std::time::Duration::ZERO;
        for d in users {
            longest = longest.max(d.took);
            self.apply(d, now, wall, kind, &mut summary);
        }
        // A membership change touches the group's users, not always the group: every group
        // whose wanted state differs is pushed (Group Push follows its members), except, on
        // a round of events, one whose task waits for the admin.
        let group_work: Vec<(usize, GroupWork)> = t
            .groups
            .iter()
            .enumerate()
            .filter(|(_, g)| {
                let task = self
                    .tasks
                    .contains_key(&(ObjectKind::Group, g.object_id.clone()));
                match kind {
                    Round::Events => !task || since.is_none_or(|s| g.modified > s),
                    Round::RetryTasks | Round::Assignment => true,
                }
            })
            .filter_map(|(i, g)| match self.group_work(t, g, &scope) {
                Some(w) => Some((i, w)),
                None => {
                    settled.push((ObjectKind::Group, g.object_id.clone()));
                    None
                }
            })
            .collect();
        // A task whose object needs no push any more (changed back, or pushed another way)
        // is done.
        for k in settled {
            self.tasks.remove(&k);
        }
        let (client, retry) = (&self.client, &self.retry);
        let groups: Vec<Done> = futures::stream::iter(group_work.into_iter().map(|(i, w)| {
            let g = &t.groups[i];
            push_group(
                client,
                retry,
                app,
                g.object_id.as_str(),
                g.display_name.as_str(),
                w,
            )
        }))
        .buffered(self.concurrency)
        .collect()
        .await;
        for d in groups {
            longest = longest.max(d.took);
            self.apply(d, now, wall, kind, &mut summary);
        }
        summary.wall_ms = wall.elapsed().as_millis() as u64;
        let took = wall.elapsed().max(longest);
        summary.sim_minutes = took.as_secs_f64() / 60.0;
        summary.sim_end = now + Duration::milliseconds(took.as_millis() as i64);
        summary.escrows = self.tasks.len();
        self.since = Some(now);
        self.rounds.push(summary.clone());
        summary
    }

    /// Takes in what one push did: the belief, the task list, the log record, the counts.
    fn apply(
        &mut self,
        d: Done,
        now: DateTime<Utc>,
        wall: Instant,
        kind: Round,
        s: &mut CycleSummary,
    ) {
        s.requests += d.requests;
        s.objects += 1;
        self.retries_429 += d.retries_429;
        for sh in &d.shapes {
            *self.shapes.entry(sh.clone()).or_default() += 1;
        }
        let key = (d.kind, d.source_id.clone());
        if let Some(t) = &d.target {
            let links = match d.kind {
                ObjectKind::User => &mut self.user_links,
                ObjectKind::Group => &mut self.group_links,
            };
            links.insert(d.source_id.clone(), t.clone());
        }
        let offset = wall.elapsed().max(d.took);
        let at = now + Duration::milliseconds(offset.as_millis() as i64);
        let (result, reason, failure, answer) = match d.failure {
            None => {
                self.tasks.remove(&key);
                // A change's latency: the assignments and the admin's retries are not changes.
                if kind == Round::Events {
                    self.latencies_ms.push(offset.as_millis() as u64);
                }
                s.count_success(d.action);
                if let Some(p) = d.user {
                    self.users.insert(d.source_id.clone(), p);
                }
                if let Some(m) = d.members {
                    self.group_members.insert(d.source_id.clone(), m);
                    self.group_unsure.remove(&d.source_id);
                }
                if let Some(n) = d.group_name {
                    self.group_names.insert(d.source_id.clone(), n);
                }
                if d.action == Action::Delete {
                    self.group_links.remove(&d.source_id);
                    self.group_members.remove(&d.source_id);
                    self.group_names.remove(&d.source_id);
                }
                (Outcome::Success, d.reason, None, None)
            }
            Some((f, answer)) => {
                s.failures += 1;
                if !d.unsure.is_empty() {
                    self.group_unsure
                        .entry(d.source_id.clone())
                        .or_default()
                        .extend(d.unsure.iter().cloned());
                }
                let reason = format!("{}; a task waits in Dashboard > Tasks", f.reason());
                self.tasks.insert(key, reason.clone());
                (
                    Outcome::Failure,
                    reason,
                    Some(FailureClass::of(&f)),
                    Some(answer),
                )
            }
        };
        let target_id = match d.kind {
            ObjectKind::User => self.user_links.get(&d.source_id),
            ObjectKind::Group => self.group_links.get(&d.source_id),
        }
        .cloned()
        .or(d.target);
        self.logs.push(LogRecord {
            cycle: s.number,
            at,
            kind: d.kind,
            source_id: d.source_id,
            name: d.name,
            action: d.action,
            result,
            reason,
            status: d.status,
            target_id,
            failure,
            answer,
            modified: d.modified,
            duration_ms: d.took.as_millis() as u64,
        });
    }
}

/// The profile without `active`: what a profile push compares.
fn profile(mapped: &Mapped) -> Mapped {
    mapped
        .iter()
        .filter(|(p, _)| !p.eq_ignore_ascii_case("active"))
        .cloned()
        .collect()
}

/// The id of a one-resource list answer.
fn only_id(body: &Value) -> Option<String> {
    let list = body.get("Resources")?.as_array()?;
    (list.len() == 1)
        .then(|| list[0].get("id")?.as_str().map(str::to_string))
        .flatten()
}

async fn push_user(
    client: &ScimClient,
    retry: &RetryPolicy,
    app: OktaApp,
    source_id: &str,
    name: &str,
    work: UserWork,
) -> Done {
    let started = Instant::now();
    let sender = Sender::new(client, retry);
    let action = match &work {
        UserWork::Create { .. } => Action::Create,
        UserWork::Profile { .. } => Action::Update,
        UserWork::Active { active: true, .. } => Action::Reactivate,
        UserWork::Active { active: false, .. } => Action::Disable,
    };
    let mut d = Done::new(ObjectKind::User, source_id, name, action);
    let _ = user_exchanges(&mut d, &sender, app, name, work).await;
    d.requests = sender.requests.load(Ordering::Relaxed);
    d.took = started.elapsed()
        + std::time::Duration::from_millis(sender.waited_ms.load(Ordering::Relaxed));
    d
}

/// GET the user, then PUT Okta's profile over it.
async fn get_then_put(
    d: &mut Done,
    sender: &Sender<'_>,
    id: &str,
    mapped: &Mapped,
) -> Result<(), ()> {
    let got = d.send(sender, app::get_user(id), &[200]).await?;
    let Sent::Answer(current) = got.sent else {
        return Err(());
    };
    d.modified = mapped
        .iter()
        .filter(|(p, v)| crate::scim::path::lookup(&current.body, p) != Some(v))
        .map(|(p, v)| {
            let old = crate::scim::path::lookup(&current.body, p).map(value_text);
            (p.clone(), old, value_text(v))
        })
        .collect();
    d.send(
        sender,
        app::put_user(id, &current.body, mapped),
        &[200, 204],
    )
    .await
    .map(|_| ())
}

async fn user_exchanges(
    d: &mut Done,
    sender: &Sender<'_>,
    app: OktaApp,
    user_name: &str,
    work: UserWork,
) -> Result<(), ()> {
    match work {
        UserWork::Create { mapped } => {
            // O-MATCH-01: a 200 without resources, or a 404, is "not found".
            let found = d.send(sender, app::lookup(user_name), &[200, 404]).await?;
            let existing = match &found.sent {
                Sent::Answer(r) if r.status == 200 => only_id(&r.body),
                _ => None,
            };
            if let Some(id) = existing {
                d.target = Some(id.clone());
                get_then_put(d, sender, &id, &mapped).await?;
                d.reason =
                    "matched an app user by userName, linked it and pushed the profile".into();
            } else {
                let created = d.send(sender, app::create_user(&mapped), &[201]).await?;
                let id = match &created.sent {
                    Sent::Answer(r) => r.body.get("id").and_then(Value::as_str).map(str::to_string),
                    _ => None,
                };
                let Some(id) = id else {
                    // O-CREATE-01: an empty body fails the push.
                    let answer = Box::new(TargetAnswer::of(&created.req, &created.sent));
                    d.failure =
                        Some((Failure::Refused("201 without a resource id".into()), answer));
                    return Err(());
                };
                d.target = Some(id);
                d.reason = "pushed the new user".into();
            }
            d.user = Some(Pushed {
                active: true,
                profile: profile(&mapped),
            });
        }
        UserWork::Profile { id, mapped } => {
            get_then_put(d, sender, &id, &mapped).await?;
            d.reason = "pushed the profile".into();
            d.user = Some(Pushed {
                active: true,
                profile: profile(&mapped),
            });
        }
        UserWork::Active { id, active, mapped } => {
            match app {
                OktaApp::Oin => {
                    d.send(sender, app::set_active(&id, active), &[200, 204])
                        .await?;
                    if active {
                        // Reactivated: the profile may have changed meanwhile.
                        get_then_put(d, sender, &id, &mapped).await?;
                    }
                }
                OktaApp::Custom => get_then_put(d, sender, &id, &mapped).await?,
            }
            d.reason = if active {
                "reactivated in the app"
            } else {
                "deactivated in the app (Okta never deletes a user)"
            }
            .into();
            d.user = Some(Pushed {
                active,
                profile: profile(&mapped),
            });
        }
    }
    Ok(())
}

async fn push_group(
    client: &ScimClient,
    retry: &RetryPolicy,
    app: OktaApp,
    source_id: &str,
    name: &str,
    work: GroupWork,
) -> Done {
    let started = Instant::now();
    let sender = Sender::new(client, retry);
    let action = match &work {
        GroupWork::Create { .. } => Action::Create,
        GroupWork::Update { .. } => Action::Members,
        GroupWork::Delete { .. } => Action::Delete,
    };
    let mut d = Done::new(ObjectKind::Group, source_id, name, action);
    let _ = group_exchanges(&mut d, &sender, app, work).await;
    d.requests = sender.requests.load(Ordering::Relaxed);
    d.took = started.elapsed()
        + std::time::Duration::from_millis(sender.waited_ms.load(Ordering::Relaxed));
    d
}

fn ids(members: &[Member]) -> BTreeSet<String> {
    members.iter().map(|m| m.id.clone()).collect()
}

async fn group_exchanges(
    d: &mut Done,
    sender: &Sender<'_>,
    app: OktaApp,
    work: GroupWork,
) -> Result<(), ()> {
    let memberships =
        |id: &str, name: &str, members: &[Member], add: &[Member], remove: &[String]| match app {
            OktaApp::Oin => app::patch_group(id, name, add, remove),
            OktaApp::Custom => app::put_group(id, name, members),
        };
    match work {
        GroupWork::Create { name, members } => {
            let created = match d.send(sender, app::create_group(&name), &[201]).await {
                Ok(x) => x,
                // A group of that name exists already (an earlier push whose answer was
                // lost, or the admin's): found by name and linked, as Okta does when it
                // does not know the app's id.
                Err(()) if d.status == Some(409) => {
                    let refused = (d.failure.take(), d.status);
                    let found = d.send(sender, app::lookup_group(&name), &[200]).await;
                    let id = match &found {
                        Ok(Exchange {
                            sent: Sent::Answer(r),
                            ..
                        }) => only_id(&r.body),
                        _ => None,
                    };
                    let (Ok(found), Some(_)) = (found, id) else {
                        // The 409 is the cause; the lookup only failed to get round it.
                        (d.failure, d.status) = refused;
                        return Err(());
                    };
                    d.reason = "linked the app group of that name; ".into();
                    found
                }
                Err(()) => return Err(()),
            };
            let id = match &created.sent {
                Sent::Answer(r) if r.status == 201 => {
                    r.body.get("id").and_then(Value::as_str).map(str::to_string)
                }
                Sent::Answer(r) => only_id(&r.body),
                _ => None,
            };
            let Some(id) = id else {
                let answer = Box::new(TargetAnswer::of(&created.req, &created.sent));
                d.failure = Some((Failure::Refused("201 without a resource id".into()), answer));
                return Err(());
            };
            d.target = Some(id.clone());
            d.group_name = Some(name.clone());
            d.unsure = ids(&members);
            if !members.is_empty() {
                d.send(
                    sender,
                    memberships(&id, &name, &members, &members, &[]),
                    &[200, 204],
                )
                .await?;
            }
            d.members = Some(ids(&members));
            d.reason += &format!("pushed the group with {} members", members.len());
        }
        GroupWork::Update {
            id,
            name,
            members,
            add,
            remove,
        } => {
            d.unsure = ids(&add)
                .into_iter()
                .chain(remove.iter().cloned())
                .collect();
            d.send(
                sender,
                memberships(&id, &name, &members, &add, &remove),
                &[200, 204],
            )
            .await?;
            d.reason = format!(
                "pushed memberships (+{} −{}) and the name",
                add.len(),
                remove.len()
            );
            d.members = Some(ids(&members));
            d.group_name = Some(name);
        }
        GroupWork::Delete { id } => {
            d.send(sender, app::delete_group(&id), &[200, 204, 404])
                .await?;
            d.reason = "deleted the group in the app (unlinked with delete)".into();
        }
    }
    Ok(())
}
