//! Group membership: members kept as an ordered set beside each group, a reverse index
//! (member -> groups) for every user's `groups`, and the changes a write makes to them.

use super::{GroupRef, Inner, Store, parse_id};
use crate::scim::ScimError;
use serde_json::Value;
use std::collections::HashSet;
use uuid::Uuid;

/// A member change extracted from a PATCH or a body.
#[derive(Debug, Clone)]
pub enum MemberChange {
    Add(Vec<Uuid>),
    Remove(Vec<Uuid>),
    /// Remove the listed ids; a missing one is `noTarget` (strict RFC filter removal).
    RemoveExisting(Vec<Uuid>),
    Set(Vec<Uuid>),
}

/// Takes `members` out of a canonical group body: the store keeps them as a set.
pub(super) fn take_members(body: &mut Value) -> Result<Option<Vec<Uuid>>, ScimError> {
    let Some(obj) = body.as_object_mut() else {
        return Ok(None);
    };
    let Some(members) = obj.remove("members") else {
        return Ok(None);
    };
    let mut ids = Vec::new();
    for m in members.as_array().map(Vec::as_slice).unwrap_or_default() {
        let v = m
            .get("value")
            .and_then(Value::as_str)
            .ok_or_else(|| ScimError::invalid_value("every member needs a 'value'"))?;
        ids.push(
            parse_id(v)
                .ok_or_else(|| ScimError::invalid_value(format!("member '{v}' does not exist")))?,
        );
    }
    Ok(Some(ids))
}

impl Store {
    /// Every user reachable from `group` through members, nested groups included (cycle-safe).
    pub fn users_under(&self, group: Uuid) -> Vec<Uuid> {
        let inner = self.inner.read();
        let mut users = Vec::new();
        let mut seen: HashSet<Uuid> = HashSet::new();
        let mut frontier = vec![group];
        while let Some(g) = frontier.pop() {
            if !seen.insert(g) {
                continue;
            }
            let Some(ge) = inner.groups.get(&g) else {
                continue;
            };
            for m in &ge.members {
                if inner.users.contains_key(m) {
                    users.push(*m);
                } else {
                    frontier.push(*m);
                }
            }
        }
        users
    }
}

impl Inner {
    pub(super) fn unlink(&mut self, member: Uuid, group: Uuid) {
        if let Some(v) = self.member_of.get_mut(&member) {
            v.retain(|g| *g != group);
            if v.is_empty() {
                self.member_of.remove(&member);
            }
        }
    }

    /// Checks that every member exists and is not the group itself.
    pub(super) fn resolve_members(
        &self,
        group: Uuid,
        ids: &[Uuid],
    ) -> Result<Vec<Uuid>, ScimError> {
        for id in ids {
            if *id == group {
                return Err(ScimError::invalid_value(
                    "a group cannot be a member of itself",
                ));
            }
            if self.kind_of(*id).is_none() {
                return Err(ScimError::invalid_value(format!(
                    "member '{id}' does not exist"
                )));
            }
        }
        Ok(ids.to_vec())
    }

    pub(super) fn resolve_change(
        &self,
        group: Uuid,
        c: MemberChange,
    ) -> Result<MemberChange, ScimError> {
        Ok(match c {
            MemberChange::Add(ids) => MemberChange::Add(self.resolve_members(group, &ids)?),
            MemberChange::Set(ids) => MemberChange::Set(self.resolve_members(group, &ids)?),
            MemberChange::RemoveExisting(ids) => {
                let members = self.groups.get(&group).map(|g| &g.members);
                if let Some(missing) = ids
                    .iter()
                    .find(|i| !members.is_some_and(|m| m.contains(*i)))
                {
                    return Err(ScimError::no_target(format!(
                        "'{missing}' is not a member of this group"
                    )));
                }
                MemberChange::Remove(ids)
            }
            other => other,
        })
    }

    /// Applies one member change: O(1) per member added or removed. Returns the members
    /// actually added and removed (for the store's observer).
    pub(super) fn apply_member_change(
        &mut self,
        group: Uuid,
        c: MemberChange,
    ) -> Result<(Vec<Uuid>, Vec<Uuid>), ScimError> {
        let (mut added, mut removed) = (Vec::new(), Vec::new());
        let (add, remove): (Vec<Uuid>, Vec<Uuid>) = match c {
            MemberChange::Add(ids) => (ids, vec![]),
            MemberChange::Remove(ids) | MemberChange::RemoveExisting(ids) => (vec![], ids),
            MemberChange::Set(ids) => {
                let keep: HashSet<Uuid> = ids.iter().copied().collect();
                let current: Vec<Uuid> = self
                    .groups
                    .get(&group)
                    .map(|g| g.members.iter().copied().collect())
                    .unwrap_or_default();
                let remove = current.into_iter().filter(|m| !keep.contains(m)).collect();
                (ids, remove)
            }
        };
        for m in remove {
            let was_member = self
                .groups
                .get_mut(&group)
                .is_some_and(|g| g.members.swap_remove(&m));
            if was_member {
                self.unlink(m, group);
                removed.push(m);
            }
        }
        for m in add {
            let is_new = self
                .groups
                .get_mut(&group)
                .is_some_and(|g| g.members.insert(m));
            if is_new {
                self.member_of.entry(m).or_default().push(group);
                added.push(m);
            }
        }
        Ok((added, removed))
    }

    /// The user's groups: direct ones, then every ancestor through nesting (cycle-safe).
    pub(super) fn groups_of(&self, id: Uuid) -> Vec<GroupRef> {
        let mut out = Vec::new();
        let mut seen: HashSet<Uuid> = HashSet::new();
        let mut frontier: Vec<(Uuid, bool)> = self
            .member_of
            .get(&id)
            .map(|v| v.iter().map(|g| (*g, true)).collect())
            .unwrap_or_default();
        while let Some((g, direct)) = frontier.pop() {
            if !seen.insert(g) {
                continue;
            }
            if let Some(ge) = self.groups.get(&g) {
                out.push(GroupRef {
                    id: g,
                    display: ge.display_name.to_string(),
                    direct,
                });
            }
            if let Some(parents) = self.member_of.get(&g) {
                frontier.extend(parents.iter().map(|p| (*p, false)));
            }
        }
        // A group reached directly and indirectly is reported as direct.
        out.sort_by_key(|g| (!g.direct, g.id));
        out
    }
}
