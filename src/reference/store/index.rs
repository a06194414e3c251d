//! The store's indexes: lowercased `userName` (unique) and group `displayName`, `externalId`
//! of both kinds, and the filters they can answer without a scan.

use super::{Inner, Kind, parse_id};
use crate::reference::config::ReferenceConfig;
use crate::scim::ScimError;
use crate::scim::filter::{CompValue, CompareOp, Filter};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// The indexed values of a body.
#[derive(Debug, Default, Clone)]
pub(super) struct Keys {
    pub(super) user_name: Option<String>,
    pub(super) display: Option<String>,
    pub(super) external: Option<String>,
}

impl Keys {
    pub(super) fn of(kind: Kind, body: &Value) -> Keys {
        let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
        match kind {
            Kind::User => Keys {
                user_name: s("userName"),
                display: None,
                external: s("externalId"),
            },
            Kind::Group => Keys {
                user_name: None,
                display: s("displayName"),
                external: s("externalId"),
            },
        }
    }
}

fn remove_from(map: &mut HashMap<Box<str>, Vec<Uuid>>, key: &str, id: Uuid) {
    if let Some(v) = map.get_mut(key) {
        v.retain(|x| *x != id);
        if v.is_empty() {
            map.remove(key);
        }
    }
}

impl Inner {
    pub(super) fn keys_of(&self, kind: Kind, id: Uuid) -> Keys {
        let body = match kind {
            Kind::User => self.users.get(&id).map(|e| &e.body),
            Kind::Group => self.groups.get(&id).map(|g| &g.entry.body),
        };
        body.and_then(|b| serde_json::from_str::<Value>(b).ok())
            .map(|v| Keys::of(kind, &v))
            .unwrap_or_default()
    }

    pub(super) fn check_unique(
        &self,
        kind: Kind,
        keys: &Keys,
        me: Option<Uuid>,
        cfg: &ReferenceConfig,
    ) -> Result<(), ScimError> {
        match kind {
            Kind::User => {
                if let Some(n) = &keys.user_name
                    && let Some(other) = self.user_names.get(n.to_lowercase().as_str())
                    && Some(*other) != me
                {
                    return Err(ScimError::uniqueness(format!(
                        "userName '{n}' is already taken"
                    )));
                }
            }
            Kind::Group if cfg.unique_group_names => {
                if let Some(n) = &keys.display
                    && let Some(others) = self.group_names.get(n.to_lowercase().as_str())
                    && others.iter().any(|o| Some(*o) != me)
                {
                    return Err(ScimError::uniqueness(format!(
                        "displayName '{n}' is already taken"
                    )));
                }
            }
            Kind::Group => {}
        }
        Ok(())
    }

    pub(super) fn index(&mut self, kind: Kind, id: Uuid, keys: &Keys) {
        match kind {
            Kind::User => {
                if let Some(n) = &keys.user_name {
                    self.user_names
                        .insert(n.to_lowercase().into_boxed_str(), id);
                }
                if let Some(e) = &keys.external {
                    self.user_external
                        .entry(e.as_str().into())
                        .or_default()
                        .push(id);
                }
            }
            Kind::Group => {
                if let Some(n) = &keys.display {
                    self.group_names
                        .entry(n.to_lowercase().into_boxed_str())
                        .or_default()
                        .push(id);
                }
                if let Some(e) = &keys.external {
                    self.group_external
                        .entry(e.as_str().into())
                        .or_default()
                        .push(id);
                }
            }
        }
    }

    pub(super) fn unindex(&mut self, kind: Kind, id: Uuid, keys: &Keys) {
        match kind {
            Kind::User => {
                if let Some(n) = &keys.user_name {
                    let k = n.to_lowercase();
                    if self.user_names.get(k.as_str()) == Some(&id) {
                        self.user_names.remove(k.as_str());
                    }
                }
                if let Some(e) = &keys.external {
                    remove_from(&mut self.user_external, e, id);
                }
            }
            Kind::Group => {
                if let Some(n) = &keys.display {
                    remove_from(&mut self.group_names, &n.to_lowercase(), id);
                }
                if let Some(e) = &keys.external {
                    remove_from(&mut self.group_external, e, id);
                }
            }
        }
    }

    /// The ids a filter can be answered from by an index, when its shape allows.
    pub(super) fn index_lookup(&self, kind: Kind, f: &Filter) -> Option<Vec<Uuid>> {
        match f {
            Filter::Compare(path, CompareOp::Eq, CompValue::Str(s))
                if path.urn.is_none() && path.sub.is_none() =>
            {
                match (kind, path.name.as_str()) {
                    (_, "id") => Some(
                        parse_id(s)
                            .into_iter()
                            .filter(|id| self.kind_of(*id) == Some(kind))
                            .collect(),
                    ),
                    (Kind::User, "userName") => Some(
                        self.user_names
                            .get(s.to_lowercase().as_str())
                            .into_iter()
                            .copied()
                            .collect(),
                    ),
                    (Kind::User, "externalId") => Some(
                        self.user_external
                            .get(s.as_str())
                            .cloned()
                            .unwrap_or_default(),
                    ),
                    (Kind::Group, "displayName") => Some(
                        self.group_names
                            .get(s.to_lowercase().as_str())
                            .cloned()
                            .unwrap_or_default(),
                    ),
                    (Kind::Group, "externalId") => Some(
                        self.group_external
                            .get(s.as_str())
                            .cloned()
                            .unwrap_or_default(),
                    ),
                    _ => None,
                }
            }
            Filter::And(a, b) => self
                .index_lookup(kind, a)
                .or_else(|| self.index_lookup(kind, b)),
            _ => None,
        }
    }

    /// Whether an index answers this filter exactly, so its candidates need no evaluation.
    pub(super) fn exact_index(kind: Kind, f: &Filter) -> bool {
        match f {
            Filter::Compare(path, CompareOp::Eq, CompValue::Str(_))
                if path.urn.is_none() && path.sub.is_none() =>
            {
                matches!(
                    (kind, path.name.as_str()),
                    (_, "id" | "externalId")
                        | (Kind::User, "userName")
                        | (Kind::Group, "displayName")
                )
            }
            _ => false,
        }
    }
}
