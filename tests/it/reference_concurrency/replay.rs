//! The model of the contention test: the writes a server answered 2xx, their replay in the
//! order of their ETag versions, and the checks that find a lost update.

use super::WRITERS;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One write, as the replay applies it.
#[derive(Debug, Clone)]
pub enum Change {
    CreateUser,
    AddEmail(String),
    SetTitle(String),
    PutUser { title: String, email: String },
    DeleteUser,
    CreateGroup(String),
    AddMember(String),
    RemoveMember(String),
    PutGroup { name: String, members: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserState {
    pub title: Option<String>,
    pub emails: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupState {
    pub name: String,
    pub members: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum State {
    User(UserState),
    Group(GroupState),
}

/// A write the server answered 2xx.
#[derive(Debug, Clone)]
pub struct Applied {
    pub writer: usize,
    pub id: String,
    pub change: Change,
    /// The ETag version of the answer (none for DELETE).
    pub version: Option<u64>,
    /// The If-Match version, for a conditional write.
    pub base: Option<u64>,
    /// The resource in the answer's body, if it had one.
    pub answered: Option<State>,
    /// For a DELETE: the version of the deleting writer's next write (the delete came first).
    pub until: Option<u64>,
}

pub fn version(etag: Option<&str>) -> Option<u64> {
    etag?
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .ok()
}

pub fn user_state(v: &Value) -> UserState {
    UserState {
        title: v["title"].as_str().map(str::to_string),
        emails: v["emails"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["value"].as_str().map(str::to_string))
            .collect(),
    }
}

pub fn group_state(v: &Value) -> GroupState {
    GroupState {
        name: v["displayName"].as_str().unwrap_or("").to_string(),
        members: v["members"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["value"].as_str().map(str::to_string))
            .collect(),
    }
}

fn replay(state: &mut Option<State>, change: &Change) {
    match (state.as_mut(), change) {
        (_, Change::CreateUser) => *state = Some(State::User(UserState::default())),
        (_, Change::CreateGroup(name)) => {
            *state = Some(State::Group(GroupState {
                name: name.clone(),
                members: BTreeSet::new(),
            }))
        }
        (_, Change::DeleteUser) => *state = None,
        (Some(State::User(u)), Change::AddEmail(e)) => {
            if !u.emails.contains(e) {
                u.emails.push(e.clone());
            }
        }
        (Some(State::User(u)), Change::SetTitle(t)) => u.title = Some(t.clone()),
        (Some(State::User(u)), Change::PutUser { title, email }) => {
            *u = UserState {
                title: Some(title.clone()),
                emails: vec![email.clone()],
            }
        }
        (Some(State::Group(g)), Change::AddMember(m)) => {
            g.members.insert(m.clone());
        }
        (Some(State::Group(g)), Change::RemoveMember(m)) => {
            g.members.remove(m);
        }
        (Some(State::Group(g)), Change::PutGroup { name, members }) => {
            *g = GroupState {
                name: name.clone(),
                members: members.iter().cloned().collect(),
            }
        }
        (s, c) => panic!("the history applies {c:?} to {s:?}: a defect of the test"),
    }
}

/// What the run found wrong; empty when no update was lost.
pub fn check(history: &[Applied], actual: &BTreeMap<String, Option<State>>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut by_version: HashMap<u64, &Applied> = HashMap::new();
    for a in history {
        if let Some(v) = a.version
            && let Some(other) = by_version.insert(v, a)
        {
            problems.push(format!("version {v} answered twice: {other:?} and {a:?}"));
        }
    }
    for w in 0..WRITERS {
        let mine: Vec<u64> = history
            .iter()
            .filter(|a| a.writer == w)
            .filter_map(|a| a.version)
            .collect();
        if mine.windows(2).any(|p| p[0] >= p[1]) {
            problems.push(format!("writer {w}'s versions go back: {mine:?}"));
        }
    }
    for a in history {
        let (Some(base), Some(v)) = (a.base, a.version) else {
            continue;
        };
        if let Some(b) = history
            .iter()
            .find(|b| b.id == a.id && b.version.is_some_and(|bv| bv > base && bv < v))
        {
            problems.push(format!(
                "a write conditional on version {base} was applied as {v} over {b:?}"
            ));
        }
    }
    // A DELETE answers no version. It came after every applied write that names the user
    // (nothing can name a deleted user) and before the deleting writer's next write; within
    // that window a group may or may not still list the user.
    let windows: HashMap<&str, (u64, u64)> = history
        .iter()
        .filter(|d| matches!(d.change, Change::DeleteUser))
        .map(|d| {
            let after = history
                .iter()
                .filter(|a| a.id == d.id || names(&a.change, &d.id))
                .filter_map(|a| a.version)
                .max()
                .unwrap_or(0);
            (d.id.as_str(), (after, d.until.unwrap_or(u64::MAX)))
        })
        .collect();
    // Replay in version order, the deleted users left in their groups (their removal has no
    // version) and judged by their windows.
    let mut ordered: Vec<&Applied> = history.iter().filter(|a| a.version.is_some()).collect();
    ordered.sort_by_key(|a| a.version);
    let mut states: BTreeMap<String, Option<State>> = BTreeMap::new();
    for a in ordered {
        let s = states.entry(a.id.clone()).or_default();
        replay(s, &a.change);
        if let (Some(answered), Some(v)) = (&a.answered, a.version)
            && !same(answered, s.as_ref(), v, &windows)
        {
            problems.push(format!(
                "{:?} on {} (version {:?}) answered {answered:?}, the replay gives {s:?}",
                a.change, a.id, a.version
            ));
        }
    }
    let deleted: BTreeSet<&String> = history
        .iter()
        .filter(|a| matches!(a.change, Change::DeleteUser))
        .map(|a| &a.id)
        .collect();
    for (id, s) in states.iter_mut() {
        if deleted.contains(id) {
            *s = None;
        } else if let Some(State::Group(g)) = s {
            g.members.retain(|m| !deleted.contains(m));
        }
    }
    if &states != actual {
        for (id, want) in &states {
            let got = actual.get(id);
            if got != Some(want) {
                problems.push(format!(
                    "{id}: the replay gives {want:?}, the server {got:?}"
                ));
            }
        }
        for id in actual.keys().filter(|id| !states.contains_key(*id)) {
            problems.push(format!("{id} exists on the server but in no applied write"));
        }
    }
    problems
}

/// Whether a write names user `id` as a member.
fn names(change: &Change, id: &str) -> bool {
    match change {
        Change::AddMember(m) => m == id,
        Change::PutGroup { members, .. } => members.iter().any(|m| m == id),
        _ => false,
    }
}

/// Whether an answer at version `v` shows the replayed state; a deleted user may be missing
/// from a group after its window opened, and must be missing once it closed.
fn same(
    answered: &State,
    replayed: Option<&State>,
    v: u64,
    windows: &HashMap<&str, (u64, u64)>,
) -> bool {
    match (answered, replayed) {
        (State::Group(a), Some(State::Group(r))) => {
            a.name == r.name
                && a.members.iter().all(|m| {
                    r.members.contains(m) && windows.get(m.as_str()).is_none_or(|w| v < w.1)
                })
                && r.members
                    .iter()
                    .filter(|m| !a.members.contains(*m))
                    .all(|m| windows.get(m.as_str()).is_some_and(|w| v > w.0))
        }
        (a, r) => Some(a) == r,
    }
}
