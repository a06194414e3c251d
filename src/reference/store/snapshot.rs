//! What a read takes: a [`Snapshot`] copied under the store's lock, and its two renderings
//! outside it. `to_json_string` splices the stored text (the hot GET and indexed-filter path);
//! `to_value` builds a `Value` (projection, sorting, filters). Both must say the same thing;
//! the test below holds them to it.

use super::{Inner, Kind};
use crate::reference::etag::etag;
use chrono::{SecondsFormat, TimeZone, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

/// One member of a group as read.
#[derive(Debug, Clone)]
pub struct MemberRef {
    pub id: Uuid,
    pub kind: Kind,
    pub display: Option<String>,
}

/// One group of a user as read (`groups`, RFC 7643 §4.1.2).
#[derive(Debug, Clone)]
pub struct GroupRef {
    pub id: Uuid,
    pub display: String,
    pub direct: bool,
}

/// A consistent copy of one resource taken under the lock, turned into JSON outside it.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub kind: Kind,
    pub id: Uuid,
    pub body: String,
    pub version: u64,
    pub created: i64,
    pub modified: i64,
    pub groups: Vec<GroupRef>,
    /// `None` when members were not asked for.
    pub members: Option<Vec<MemberRef>>,
}

fn rfc3339(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Snapshot {
    /// The full resource as JSON text, spliced from the stored text without parsing it: the
    /// hot read path (a GET or an indexed filter with the default projection) never builds a
    /// `Value`. Same content as `to_value`, with `id` first.
    pub fn to_json_string(&self, base_url: &str) -> String {
        use std::fmt::Write;
        let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
        let body = self.body.trim();
        let inner = body
            .strip_prefix('{')
            .and_then(|b| b.strip_suffix('}'))
            .unwrap_or("")
            .trim();
        let mut out = String::with_capacity(body.len() + 256);
        let _ = write!(out, "{{\"id\":\"{}\"", self.id);
        if !inner.is_empty() {
            out.push(',');
            out.push_str(inner);
        }
        if !self.groups.is_empty() {
            out.push_str(",\"groups\":[");
            for (i, g) in self.groups.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(
                    out,
                    "{{\"value\":\"{id}\",\"$ref\":{r},\"display\":{d},\"type\":\"{t}\"}}",
                    id = g.id,
                    r = q(&format!("{base_url}/Groups/{}", g.id)),
                    d = q(&g.display),
                    t = if g.direct { "direct" } else { "indirect" }
                );
            }
            out.push(']');
        }
        if let Some(members) = self.members.as_ref().filter(|m| !m.is_empty()) {
            out.push_str(",\"members\":[");
            for (i, m) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(
                    out,
                    "{{\"value\":\"{id}\",\"$ref\":{r},",
                    id = m.id,
                    r = q(&format!("{base_url}/{}/{}", m.kind.endpoint(), m.id))
                );
                if let Some(d) = &m.display {
                    let _ = write!(out, "\"display\":{},", q(d));
                }
                let _ = write!(out, "\"type\":\"{}\"}}", m.kind.name());
            }
            out.push(']');
        }
        let _ = write!(
            out,
            ",\"meta\":{{\"resourceType\":\"{rt}\",\"created\":\"{c}\",\"lastModified\":\"{m}\",\"location\":{l},\"version\":{v}}}}}",
            rt = self.kind.name(),
            c = rfc3339(self.created),
            m = rfc3339(self.modified),
            l = q(&format!("{base_url}/{}/{}", self.kind.endpoint(), self.id)),
            v = q(&etag(self.version)),
        );
        out
    }

    /// The full canonical resource: `schemas`, `id`, attributes, `groups`/`members`, `meta`.
    pub fn to_value(&self, base_url: &str) -> Value {
        let body: Map<String, Value> = serde_json::from_str(&self.body).unwrap_or_default();
        let mut out = Map::new();
        if let Some(s) = body.get("schemas") {
            out.insert("schemas".into(), s.clone());
        }
        out.insert("id".into(), Value::String(self.id.to_string()));
        for (k, v) in body {
            if k != "schemas" {
                out.insert(k, v);
            }
        }
        if !self.groups.is_empty() {
            let groups = self
                .groups
                .iter()
                .map(|g| {
                    serde_json::json!({
                        "value": g.id.to_string(),
                        "$ref": format!("{base_url}/Groups/{}", g.id),
                        "display": g.display,
                        "type": if g.direct { "direct" } else { "indirect" },
                    })
                })
                .collect();
            out.insert("groups".into(), Value::Array(groups));
        }
        if let Some(members) = &self.members
            && !members.is_empty()
        {
            let members = members
                .iter()
                .map(|m| {
                    let mut o = Map::new();
                    o.insert("value".into(), Value::String(m.id.to_string()));
                    o.insert(
                        "$ref".into(),
                        Value::String(format!("{base_url}/{}/{}", m.kind.endpoint(), m.id)),
                    );
                    if let Some(d) = &m.display {
                        o.insert("display".into(), Value::String(d.clone()));
                    }
                    o.insert("type".into(), Value::String(m.kind.name().into()));
                    Value::Object(o)
                })
                .collect();
            out.insert("members".into(), Value::Array(members));
        }
        let mut meta = Map::new();
        meta.insert(
            "resourceType".into(),
            Value::String(self.kind.name().into()),
        );
        meta.insert("created".into(), Value::String(rfc3339(self.created)));
        meta.insert("lastModified".into(), Value::String(rfc3339(self.modified)));
        meta.insert(
            "location".into(),
            Value::String(format!("{base_url}/{}/{}", self.kind.endpoint(), self.id)),
        );
        meta.insert("version".into(), Value::String(etag(self.version)));
        out.insert("meta".into(), Value::Object(meta));
        Value::Object(out)
    }
}

impl Inner {
    pub(super) fn snapshot(&self, kind: Kind, id: Uuid, with_members: bool) -> Option<Snapshot> {
        match kind {
            Kind::User => self.users.get(&id).map(|e| {
                let groups = self.groups_of(id);
                Snapshot {
                    kind,
                    id,
                    body: e.body.to_string(),
                    version: self.user_version(e.version, &groups),
                    created: e.created,
                    modified: e.modified,
                    groups,
                    members: None,
                }
            }),
            Kind::Group => self.groups.get(&id).map(|g| Snapshot {
                kind,
                id,
                body: g.entry.body.to_string(),
                version: g.entry.version,
                created: g.entry.created,
                modified: g.entry.modified,
                groups: Vec::new(),
                members: with_members.then(|| {
                    g.members
                        .iter()
                        .map(|m| {
                            // No `display`: it is optional (RFC 7643 §4.2), and a member
                            // group's rename would change it without moving this group's ETag.
                            MemberRef {
                                id: *m,
                                kind: self.kind_of(*m).unwrap_or(Kind::User),
                                display: None,
                            }
                        })
                        .collect()
                }),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Store;
    use super::*;
    use crate::clock::SimClock;
    use crate::reference::config::ReferenceConfig;
    use crate::scim::schema::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA, USERSYNC_SCHEMA};
    use serde_json::json;
    use std::sync::Arc;

    /// Both renderings of `s`, the spliced text parsed back: they must be the same resource.
    fn assert_renderings_agree(s: &Snapshot, base_url: &str) {
        let text = s.to_json_string(base_url);
        let spliced: Value = serde_json::from_str(&text).expect("to_json_string is JSON");
        assert_eq!(spliced, s.to_value(base_url), "{text}");
        assert!(
            text.starts_with(&format!("{{\"id\":\"{}\"", s.id)),
            "{text}"
        );
    }

    #[test]
    fn spliced_text_and_value_render_the_same_resource() {
        let store = Store::new(ReferenceConfig::default(), Arc::new(SimClock::default()));
        let user = |name: &str| {
            json!({
                "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, USERSYNC_SCHEMA],
                "userName": name,
                "name": {"givenName": "Bä\"rbara", "familyName": "Jensen\\"},
                "emails": [
                    {"value": format!("{name}@work.example"), "type": "work", "primary": true},
                    {"value": format!("{name}@home.example"), "type": "home"}
                ],
                "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
                "active": true,
                ENTERPRISE_USER_SCHEMA: {
                    "employeeNumber": "701984",
                    "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
                },
                USERSYNC_SCHEMA: {"status": "active", "deviceGroups": ["laptops", "phones"]}
            })
        };
        let a = store.create(Kind::User, user("bjensen")).expect("user a");
        let b = store.create(Kind::User, user("jsmith")).expect("user b");
        let bare = store
            .create(
                Kind::User,
                json!({"schemas": [USER_SCHEMA], "userName": "bare"}),
            )
            .expect("bare user");
        let group = |name: &str, members: &[Uuid]| {
            let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
            json!({"schemas": [GROUP_SCHEMA], "displayName": name, "members": members})
        };
        let inner = store
            .create(Kind::Group, group("Tour \"Guides\"", &[a.id, b.id]))
            .expect("inner group");
        let outer = store
            .create(Kind::Group, group("Everyone", &[inner.id, a.id]))
            .expect("outer group");
        let empty = store
            .create(Kind::Group, group("Nobody", &[]))
            .expect("empty group");

        let mut snaps = Vec::new();
        for id in [a.id, b.id, bare.id] {
            snaps.push(store.get(Kind::User, &id.to_string(), false).expect("user"));
        }
        for id in [inner.id, outer.id, empty.id] {
            for with_members in [true, false] {
                let g = store.get(Kind::Group, &id.to_string(), with_members);
                snaps.push(g.expect("group"));
            }
        }
        // The store renders what it needs to: a user with direct and indirect groups, a group
        // with user and group members. Hold the cases to it so the test keeps covering them.
        let a_snap = &snaps[0];
        assert!(a_snap.groups.iter().any(|g| g.direct));
        assert!(snaps[1].groups.iter().any(|g| !g.direct));
        let kinds: Vec<Kind> = snaps[5].members.iter().flatten().map(|m| m.kind).collect();
        assert!(kinds.contains(&Kind::User) && kinds.contains(&Kind::Group));

        // Member displays the store leaves out, and text that needs escaping.
        let mut odd = snaps[3].clone();
        if let Some(members) = odd.members.as_mut() {
            for (i, m) in members.iter_mut().enumerate() {
                m.display = Some(format!("Member \"{i}\" \\ é \u{1}"));
            }
        }
        odd.groups.push(GroupRef {
            id: Uuid::nil(),
            display: "Odd \"group\"\n".into(),
            direct: false,
        });
        snaps.push(odd);
        let mut no_body = snaps[2].clone();
        no_body.body = "{}".into();
        snaps.push(no_body);

        for s in &snaps {
            for base in ["http://localhost:8080/scim/v2", "https://x.example/t/\"q\""] {
                assert_renderings_agree(s, base);
            }
        }
    }
}
