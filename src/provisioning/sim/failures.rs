//! Failures grouped by cause (E-LOG-03): every failed log record falls in the group of the
//! same action, request shape and target answer, largest group first; and each divergence of
//! the convergence check is attributed to the group of the failure that left its object
//! behind, or counted as unexplained (a divergence no failure explains is the worst kind: the
//! provider believed it succeeded).

use super::converge::Convergence;
use crate::provisioning::logs::{Action, LogRecord, ObjectKind, Outcome};
use regex::Regex;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::LazyLock;

/// How many record numbers a group keeps (the HTML report opens them).
const RECORDS_KEPT: usize = 50;

/// One cause: the failures that share an action, a request and an answer.
#[derive(Debug, Clone, Serialize)]
pub struct FailureGroup {
    pub count: usize,
    /// `creates`, `updates`, `member updates` ...
    pub action: String,
    pub object: String,
    /// `POST /Users with the enterprise extension`; none when no request was recorded.
    pub request: Option<String>,
    pub status: Option<u16>,
    pub scim_type: Option<String>,
    /// The target's `detail` (ids and e-mail addresses masked), or the failure's reason.
    pub detail: String,
    /// The first object that failed so.
    pub first: String,
    pub first_cycle: u32,
    pub last_cycle: u32,
    /// Line numbers (from 0) in `provisioning-logs.jsonl`, the first few.
    pub records: Vec<usize>,
}

impl FailureGroup {
    /// `198 creates failed: 400 invalidValue "…" — POST /Users (first: Ann Lee)`.
    pub fn line(&self) -> String {
        let mut answer = match self.status {
            Some(s) => s.to_string(),
            None => "no answer".to_string(),
        };
        if let Some(t) = &self.scim_type {
            answer.push(' ');
            answer.push_str(t);
        }
        if !self.detail.is_empty() {
            answer.push_str(&format!(" {:?}", self.detail));
        }
        let request = self
            .request
            .as_deref()
            .map(|r| format!(" — {r}"))
            .unwrap_or_default();
        format!(
            "{} {} failed: {answer}{request} (first: {})",
            self.count, self.action, self.first
        )
    }
}

/// Divergences one group explains.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// Index into the failure groups.
    pub group: usize,
    pub divergences: usize,
    /// The attributes that diverged, with how many each.
    pub attributes: Vec<(String, usize)>,
}

/// Whose words a report uses for what a provider did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    /// Microsoft's (and the connector's): creates, updates, disables.
    Entra,
    /// Okta's: pushes, deactivations, group pushes.
    Okta,
}

/// The plural noun of an action on an object: `creates`, or Okta's `new-user pushes`.
pub fn verb(words: Words, kind: ObjectKind, a: Action) -> &'static str {
    match (words, a) {
        (Words::Okta, Action::Create) if kind == ObjectKind::Group => "group pushes",
        (Words::Okta, Action::Create) => "new-user pushes",
        (Words::Okta, Action::Update) => "profile pushes",
        (Words::Okta, Action::Disable) => "deactivations",
        (Words::Okta, Action::Delete) => "app-group deletes",
        (Words::Okta, Action::Members) => "membership pushes",
        (_, Action::Reactivate) => "reactivations",
        (_, Action::Create) => "creates",
        (_, Action::Update) => "updates",
        (_, Action::Disable) => "disables",
        (_, Action::Delete) => "deletes",
        (_, Action::Members) => "member updates",
        (_, Action::Manager) => "manager updates",
        (_, Action::Skip) => "skips",
    }
}

static MASKS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (
            r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
            "{id}",
        ),
        (r"[\w.+-]+@[\w-]+(\.[\w-]+)+", "{email}"),
        (r"\b[0-9a-fA-F]{16,}\b", "{id}"),
        (r"\d{4,}", "{n}"),
    ]
    .into_iter()
    .filter_map(|(p, r)| Regex::new(p).ok().map(|re| (re, r)))
    .collect()
});

/// A detail with what differs per object masked, so one cause is one group.
pub fn masked(detail: &str) -> String {
    let mut s: String = detail.chars().take(200).collect();
    for (re, with) in MASKS.iter() {
        s = re.replace_all(&s, *with).into_owned();
    }
    s
}

type Key = (
    Action,
    ObjectKind,
    Option<String>,
    Option<u16>,
    Option<String>,
    String,
);

fn key(r: &LogRecord) -> Key {
    let (request, scim_type, detail) = match &r.answer {
        Some(a) => (
            Some(a.request.clone()),
            a.scim_type.clone(),
            masked(match (&a.detail, a.status) {
                (Some(d), _) => d,
                // A transport error names the URL first; its cause is the last part.
                (None, None) => a.body.rsplit(": ").next().unwrap_or(&a.body),
                (None, Some(_)) => "",
            }),
        ),
        None => (None, None, masked(&r.reason)),
    };
    (r.action, r.kind, request, r.status, scim_type, detail)
}

/// The failed records grouped by cause, largest group first (ties: the earlier first).
pub fn group(logs: &[LogRecord]) -> (Vec<FailureGroup>, HashMap<usize, usize>) {
    group_with(logs, Words::Entra)
}

/// [`group`], the groups named in `words`.
pub fn group_with(logs: &[LogRecord], words: Words) -> (Vec<FailureGroup>, HashMap<usize, usize>) {
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut groups: Vec<FailureGroup> = Vec::new();
    let mut of_record = HashMap::new();
    for (i, r) in logs.iter().enumerate() {
        if r.result != Outcome::Failure {
            continue;
        }
        let k = key(r);
        let g = match index.get(&k) {
            Some(&g) => g,
            None => {
                groups.push(FailureGroup {
                    count: 0,
                    action: verb(words, r.kind, r.action).into(),
                    object: match r.kind {
                        ObjectKind::User => "users".into(),
                        ObjectKind::Group => "groups".into(),
                    },
                    request: k.2.clone(),
                    status: k.3,
                    scim_type: k.4.clone(),
                    detail: k.5.clone(),
                    first: r.name.clone(),
                    first_cycle: r.cycle,
                    last_cycle: r.cycle,
                    records: Vec::new(),
                });
                index.insert(k, groups.len() - 1);
                groups.len() - 1
            }
        };
        let fg = &mut groups[g];
        fg.count += 1;
        fg.last_cycle = r.cycle;
        if fg.records.len() < RECORDS_KEPT {
            fg.records.push(i);
        }
        of_record.insert(i, g);
    }
    // Largest first; the map follows the new order.
    let mut ranked: Vec<(usize, FailureGroup)> = groups.into_iter().enumerate().collect();
    ranked.sort_by_key(|(g, fg)| (std::cmp::Reverse(fg.count), *g));
    let mut new_pos = vec![0; ranked.len()];
    for (pos, (g, _)) in ranked.iter().enumerate() {
        new_pos[*g] = pos;
    }
    let groups = ranked.into_iter().map(|(_, fg)| fg).collect();
    for g in of_record.values_mut() {
        *g = new_pos[*g];
    }
    (groups, of_record)
}

/// Which actions can leave an attribute diverged.
fn phase(attribute: &str) -> &'static [Action] {
    if attribute == "members" {
        // Okta's group push sends the first memberships with the create.
        &[Action::Members, Action::Create]
    } else if attribute.ends_with(":manager") {
        &[Action::Manager]
    } else {
        &[
            Action::Create,
            Action::Update,
            Action::Disable,
            Action::Reactivate,
            Action::Delete,
        ]
    }
}

/// Attributes each divergence to the group of its object's latest record in the phase that
/// would have fixed it, when that record is a failure; the rest are unexplained.
pub fn explain(c: &mut Convergence, logs: &[LogRecord], of_record: &HashMap<usize, usize>) {
    if c.keys.is_empty() {
        return;
    }
    let wanted: std::collections::HashSet<(ObjectKind, &str)> = c
        .keys
        .iter()
        .map(|k| (k.kind, k.source_id.as_str()))
        .collect();
    let mut latest: HashMap<(ObjectKind, &str, Action), usize> = HashMap::new();
    for (i, r) in logs.iter().enumerate() {
        if wanted.contains(&(r.kind, r.source_id.as_str())) {
            latest.insert((r.kind, r.source_id.as_str(), r.action), i);
        }
    }
    let mut by_group: HashMap<usize, HashMap<String, usize>> = HashMap::new();
    let mut unexplained: HashMap<String, usize> = HashMap::new();
    for k in &c.keys {
        let last = phase(&k.attribute)
            .iter()
            .filter_map(|a| latest.get(&(k.kind, k.source_id.as_str(), *a)))
            .max();
        let attr = short(&k.attribute).to_string();
        match last.and_then(|i| of_record.get(i)) {
            Some(&g) => *by_group.entry(g).or_default().entry(attr).or_default() += 1,
            None => *unexplained.entry(attr).or_default() += 1,
        }
    }
    let mut explained: Vec<Explanation> = by_group
        .into_iter()
        .map(|(group, attrs)| {
            let attributes = counted(attrs);
            Explanation {
                group,
                divergences: attributes.iter().map(|a| a.1).sum(),
                attributes,
            }
        })
        .collect();
    explained.sort_by_key(|e| (std::cmp::Reverse(e.divergences), e.group));
    c.explained = explained;
    c.unexplained_attributes = counted(unexplained);
    c.unexplained = c.unexplained_attributes.iter().map(|a| a.1).sum();
}

/// `urn:…:User:department` → `department`.
fn short(attribute: &str) -> &str {
    if attribute.starts_with("urn:") {
        attribute.rsplit(':').next().unwrap_or(attribute)
    } else {
        attribute
    }
}

/// Largest count first, then by name.
fn counted(m: HashMap<String, usize>) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// `department ×67, active ×3`.
pub fn attributes_line(attributes: &[(String, usize)]) -> String {
    attributes
        .iter()
        .map(|(a, n)| format!("{a} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `19 divergences (members ×19) ← 400 "…" — PATCH /Groups/{id} (…)`.
pub fn explanation_line(e: &Explanation, groups: &[FailureGroup]) -> String {
    let cause = groups
        .get(e.group)
        .map(|g| g.line())
        .unwrap_or_else(|| "(unknown group)".into());
    format!(
        "{} divergences ({}) ← {cause}",
        e.divergences,
        attributes_line(&e.attributes)
    )
}
