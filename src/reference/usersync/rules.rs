//! User Sync rules: one directory group -> products (entitlements), an admin role, and
//! optionally a user group, device groups and a settings template. Rules are totally ordered
//! by priority (position 1 outranks position 2); merging the rules that match a user gives its
//! outcome (BEHAVIOUR S-US-01, S-US-07, S-US-08).

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// A rule as an admin writes it (the admin API's request body).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleInput {
    #[serde(default)]
    pub name: Option<String>,
    /// The SCIM id of the directory group the rule applies to.
    pub group_id: String,
    #[serde(default)]
    pub products: Vec<String>,
    #[serde(default)]
    pub admin_role: Option<String>,
    #[serde(default)]
    pub user_group: Option<String>,
    #[serde(default)]
    pub device_groups: Vec<String>,
    #[serde(default)]
    pub settings_template: Option<String>,
    /// 1-based position in the priority order; absent appends the rule last.
    #[serde(default)]
    pub priority: Option<usize>,
}

/// A stored rule. Immutable once built: an update replaces the `Arc`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub id: Uuid,
    pub name: String,
    pub group_id: Uuid,
    pub products: Vec<String>,
    pub admin_role: Option<String>,
    pub user_group: Option<String>,
    pub device_groups: Vec<String>,
    pub settings_template: Option<String>,
}

/// Why a rule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("groupId '{0}' is not the id of a directory group")]
    BadGroup(String),
    #[error("a rule needs at least one product or an admin role")]
    Empty,
    #[error("{0} must not be blank")]
    Blank(&'static str),
    #[error("priority must be between 1 and {0}")]
    BadPriority(usize),
    #[error("the new order must list every rule id exactly once")]
    BadOrder,
}

fn clean(v: Option<String>, what: &'static str) -> Result<Option<String>, RuleError> {
    match v {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Err(RuleError::Blank(what)),
        Some(s) => Ok(Some(s.trim().to_string())),
    }
}

fn clean_list(v: Vec<String>, what: &'static str) -> Result<Vec<String>, RuleError> {
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for s in v {
        let s = s.trim().to_string();
        if s.is_empty() {
            return Err(RuleError::Blank(what));
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

impl Rule {
    /// Validates an admin's input into a rule with the given id. `group_exists` tells whether
    /// the group id names a directory group.
    pub fn build(
        id: Uuid,
        input: RuleInput,
        group_exists: impl Fn(Uuid) -> bool,
    ) -> Result<Rule, RuleError> {
        let group_id = Uuid::parse_str(input.group_id.trim())
            .ok()
            .filter(|g| group_exists(*g))
            .ok_or_else(|| RuleError::BadGroup(input.group_id.clone()))?;
        let products = clean_list(input.products, "a product")?;
        let admin_role = clean(input.admin_role, "adminRole")?;
        if products.is_empty() && admin_role.is_none() {
            return Err(RuleError::Empty);
        }
        let name = clean(input.name, "name")?
            .unwrap_or_else(|| format!("{group_id} -> {}", products.join(", ")));
        Ok(Rule {
            id,
            name,
            group_id,
            products,
            admin_role,
            user_group: clean(input.user_group, "userGroup")?,
            device_groups: clean_list(input.device_groups, "a device group")?,
            settings_template: clean(input.settings_template, "settingsTemplate")?,
        })
    }
}

/// What the rules matching one user give it. Products and device groups are unions in rank
/// order; the single-valued outcomes come from the highest-ranked matching rule that sets them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub products: Vec<String>,
    pub admin_role: Option<String>,
    pub user_group: Option<String>,
    pub device_groups: Vec<String>,
    pub settings_template: Option<String>,
    /// Ids of the matching rules, highest rank first.
    pub rules: Vec<Uuid>,
}

/// The rules in priority order, with an index from group to rule positions. Copy-on-write:
/// readers take an `Arc` and never hold a lock while they compute.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Arc<Rule>>,
    by_group: HashMap<Uuid, Vec<usize>>,
}

impl RuleSet {
    /// Builds the set from rules already in priority order.
    pub fn from_ordered(rules: Vec<Arc<Rule>>) -> RuleSet {
        let mut by_group: HashMap<Uuid, Vec<usize>> = HashMap::new();
        for (i, r) in rules.iter().enumerate() {
            by_group.entry(r.group_id).or_default().push(i);
        }
        RuleSet { rules, by_group }
    }

    /// The rules, highest priority first.
    pub fn rules(&self) -> &[Arc<Rule>] {
        &self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The 1-based priority of a rule.
    pub fn position(&self, id: Uuid) -> Option<usize> {
        self.rules.iter().position(|r| r.id == id).map(|i| i + 1)
    }

    pub fn get(&self, id: Uuid) -> Option<&Arc<Rule>> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Positions of the rules whose group is among `groups` (a user's direct and nested
    /// groups), in priority order.
    pub fn matching(&self, groups: impl IntoIterator<Item = Uuid>) -> Vec<usize> {
        let mut hits: Vec<usize> = groups
            .into_iter()
            .filter_map(|g| self.by_group.get(&g))
            .flatten()
            .copied()
            .collect();
        hits.sort_unstable();
        hits.dedup();
        hits
    }

    /// Merges the matching rules (positions from [`RuleSet::matching`]). `ignore_priority` is
    /// a test-only fault: single-valued outcomes then come from the lowest-ranked rule.
    pub fn outcome(&self, positions: &[usize], ignore_priority: bool) -> Outcome {
        let mut out = Outcome::default();
        let ranked: Vec<&Rule> = positions
            .iter()
            .filter_map(|p| self.rules.get(*p))
            .map(Arc::as_ref)
            .collect();
        for r in &ranked {
            out.rules.push(r.id);
            for p in &r.products {
                if !out.products.contains(p) {
                    out.products.push(p.clone());
                }
            }
            for d in &r.device_groups {
                if !out.device_groups.contains(d) {
                    out.device_groups.push(d.clone());
                }
            }
        }
        let single = |pick: fn(&Rule) -> &Option<String>| -> Option<String> {
            if ignore_priority {
                ranked.iter().rev().find_map(|r| pick(r).clone())
            } else {
                ranked.iter().find_map(|r| pick(r).clone())
            }
        };
        out.admin_role = single(|r| &r.admin_role);
        out.user_group = single(|r| &r.user_group);
        out.settings_template = single(|r| &r.settings_template);
        out
    }

    /// A new set with `rule` inserted at a 1-based `priority` (or last).
    pub fn with_inserted(&self, rule: Rule, priority: Option<usize>) -> Result<RuleSet, RuleError> {
        let mut rules = self.rules.clone();
        let at = position_index(priority, rules.len() + 1)?;
        rules.insert(at, Arc::new(rule));
        Ok(RuleSet::from_ordered(rules))
    }

    /// A new set with the rule of the same id replaced, moved when `priority` is given.
    pub fn with_replaced(&self, rule: Rule, priority: Option<usize>) -> Result<RuleSet, RuleError> {
        let mut rules = self.rules.clone();
        let Some(i) = rules.iter().position(|r| r.id == rule.id) else {
            return Ok(self.clone());
        };
        rules.remove(i);
        let at = match priority {
            Some(_) => position_index(priority, rules.len() + 1)?,
            None => i,
        };
        rules.insert(at, Arc::new(rule));
        Ok(RuleSet::from_ordered(rules))
    }

    /// A new set without the rule.
    pub fn without(&self, id: Uuid) -> RuleSet {
        RuleSet::from_ordered(self.rules.iter().filter(|r| r.id != id).cloned().collect())
    }

    /// A new set in the given order, which must be a permutation of the current ids.
    pub fn reordered(&self, ids: &[Uuid]) -> Result<RuleSet, RuleError> {
        if ids.len() != self.rules.len() {
            return Err(RuleError::BadOrder);
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let r = self.get(*id).ok_or(RuleError::BadOrder)?;
            if out.iter().any(|x: &Arc<Rule>| x.id == *id) {
                return Err(RuleError::BadOrder);
            }
            out.push(r.clone());
        }
        Ok(RuleSet::from_ordered(out))
    }
}

fn position_index(priority: Option<usize>, max: usize) -> Result<usize, RuleError> {
    match priority {
        None => Ok(max - 1),
        Some(p) if (1..=max).contains(&p) => Ok(p - 1),
        Some(_) => Err(RuleError::BadPriority(max)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(group: Uuid, products: &[&str], role: Option<&str>, template: Option<&str>) -> Rule {
        Rule {
            id: Uuid::new_v4(),
            name: "r".into(),
            group_id: group,
            products: products.iter().map(|s| s.to_string()).collect(),
            admin_role: role.map(str::to_string),
            user_group: None,
            device_groups: vec![],
            settings_template: template.map(str::to_string),
        }
    }

    #[test]
    fn highest_rank_wins_single_values_and_products_are_united() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let set = RuleSet::from_ordered(vec![
            Arc::new(rule(a, &["Meeting"], Some("Sales admin"), None)),
            Arc::new(rule(
                b,
                &["Webinar", "Meeting"],
                Some("Support admin"),
                Some("T2"),
            )),
        ]);
        let m = set.matching([b, a]);
        let o = set.outcome(&m, false);
        assert_eq!(o.products, vec!["Meeting", "Webinar"]);
        assert_eq!(o.admin_role.as_deref(), Some("Sales admin"));
        assert_eq!(o.settings_template.as_deref(), Some("T2"));
        let faulty = set.outcome(&m, true);
        assert_eq!(faulty.admin_role.as_deref(), Some("Support admin"));
    }

    #[test]
    fn reorder_must_be_a_permutation() {
        let g = Uuid::new_v4();
        let (r1, r2) = (rule(g, &["A"], None, None), rule(g, &["B"], None, None));
        let set = RuleSet::from_ordered(vec![Arc::new(r1.clone()), Arc::new(r2.clone())]);
        assert_eq!(set.reordered(&[r1.id]).err(), Some(RuleError::BadOrder));
        assert_eq!(
            set.reordered(&[r1.id, r1.id]).err(),
            Some(RuleError::BadOrder)
        );
        let s2 = set.reordered(&[r2.id, r1.id]).expect("a permutation");
        assert_eq!(s2.position(r2.id), Some(1));
    }
}
