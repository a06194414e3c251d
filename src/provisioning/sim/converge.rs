//! The convergence verdict both sources' checks fill, and what they read it from: every
//! resource of an endpoint, the values of a multi-valued attribute, and the attributes whose
//! target value differs from the mapped one.

use super::failures::Explanation;
use crate::client::{ClientError, ScimClient};
use crate::provisioning::logs::ObjectKind;
use crate::provisioning::mapping::Mapped;
use crate::provisioning::requests::Change;
use crate::scim::path::lookup;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// One difference between the target and the expected state.
#[derive(Debug, Clone, Serialize)]
pub struct Divergence {
    pub object: String,
    pub attribute: String,
    pub expected: String,
    pub actual: String,
}

/// The verdict.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Convergence {
    pub users_checked: usize,
    pub groups_checked: usize,
    pub memberships_checked: usize,
    /// Escrows still pending (changes not yet delivered).
    pub pending_escrows: usize,
    pub divergence_count: usize,
    /// The first 50 divergences.
    pub divergences: Vec<Divergence>,
    /// Divergences explained by a failure group, largest first (see [`super::failures`]).
    pub explained: Vec<Explanation>,
    /// Divergences no failure explains.
    pub unexplained: usize,
    /// Their attributes, with how many each.
    pub unexplained_attributes: Vec<(String, usize)>,
    /// Which object each divergence is about (all of them, for the explanations).
    #[serde(skip)]
    pub(crate) keys: Vec<DivergenceKey>,
}

/// The source object and attribute of a divergence.
#[derive(Debug, Clone)]
pub(crate) struct DivergenceKey {
    pub kind: ObjectKind,
    pub source_id: String,
    pub attribute: String,
}

impl Convergence {
    pub fn converged(&self) -> bool {
        self.divergence_count == 0 && self.pending_escrows == 0
    }
    /// A divergence of a known source object, which a failure may explain.
    pub(crate) fn push_of(
        &mut self,
        source: (ObjectKind, &str),
        object: &str,
        attribute: &str,
        expected: String,
        actual: String,
    ) {
        self.keys.push(DivergenceKey {
            kind: source.0,
            source_id: source.1.to_string(),
            attribute: attribute.to_string(),
        });
        self.push(object, attribute, expected, actual);
    }
    /// A divergence counted as unexplained unless [`Self::push_of`] keyed it.
    pub(crate) fn push(&mut self, object: &str, attribute: &str, expected: String, actual: String) {
        self.divergence_count += 1;
        if self.divergences.len() < 50 {
            self.divergences.push(Divergence {
                object: object.into(),
                attribute: attribute.into(),
                expected,
                actual,
            });
        }
    }
}

/// Every resource of an endpoint, by id (paged).
pub async fn read_all(
    client: &ScimClient,
    endpoint: &str,
) -> Result<HashMap<String, Value>, ClientError> {
    let mut out = HashMap::new();
    let mut start = 1usize;
    loop {
        let r = client
            .get(&format!("/{endpoint}?startIndex={start}&count=1000"))
            .await?;
        let items = r
            .body
            .get("Resources")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let total = r
            .body
            .get("totalResults")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        if items.is_empty() {
            break;
        }
        start += items.len();
        for it in items {
            if let Some(id) = it.get("id").and_then(Value::as_str) {
                out.insert(id.to_string(), it);
            }
        }
        if start > total {
            break;
        }
    }
    Ok(out)
}

/// The `value`s of a multi-valued attribute (`members`, `entitlements`), as a set.
pub fn values(v: Option<&Value>) -> BTreeSet<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|m| m.get("value").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A value as a report shows it: strings without their quotes, the rest as JSON.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Whether a target value equals the mapped one (`"True"` matches `true`).
pub fn same(target: Option<&Value>, want: &Value) -> bool {
    match (target, want) {
        (Some(Value::String(t)), Value::Bool(b)) => t.eq_ignore_ascii_case(&b.to_string()),
        (Some(t), w) => t == w,
        (None, _) => false,
    }
}

/// The attributes whose target value differs from the mapped one.
pub fn diff(target: &Value, mapped: &Mapped) -> Vec<Change> {
    mapped
        .iter()
        .filter_map(|(path, want)| {
            let got = lookup(target, path).filter(|v| !v.is_null());
            (!same(got, want)).then(|| Change {
                path: path.clone(),
                value: want.clone(),
                existed: got.is_some(),
            })
        })
        .collect()
}
