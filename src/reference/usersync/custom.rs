//! Custom attributes: string attributes of the directory user mapped to product custom fields
//! (BEHAVIOUR S-US-11). The defaults are the enterprise attributes the product documents:
//! employeeNumber, costCenter, division and department, each mapped to a field of the same name.

use crate::scim::path::get_ci;
use crate::scim::schema::ENTERPRISE_USER_SCHEMA;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One mapping: directory attribute -> product custom field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomMapping {
    /// A core User attribute or an enterprise extension attribute, by name.
    pub attribute: String,
    /// The product's custom field it fills.
    pub field: String,
}

/// The default mappings.
pub fn default_mappings() -> Vec<CustomMapping> {
    ["employeeNumber", "costCenter", "division", "department"]
        .into_iter()
        .map(|a| CustomMapping {
            attribute: a.to_string(),
            field: a.to_string(),
        })
        .collect()
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The custom fields of a user body: the enterprise extension first, then the core attribute.
/// Attributes without a value give no field.
pub fn fields(body: &Value, mappings: &[CustomMapping]) -> Vec<(String, String)> {
    let ext = get_ci(body, ENTERPRISE_USER_SCHEMA);
    mappings
        .iter()
        .filter_map(|m| {
            let v = ext
                .and_then(|e| get_ci(e, &m.attribute))
                .or_else(|| get_ci(body, &m.attribute))?;
            Some((m.field.clone(), as_text(v)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_enterprise_and_core_attributes() {
        let body = json!({
            "title": "Engineer",
            ENTERPRISE_USER_SCHEMA: {"employeeNumber": "E-1", "costCenter": "CC-7"}
        });
        let mut m = default_mappings();
        m.push(CustomMapping {
            attribute: "title".into(),
            field: "Job title".into(),
        });
        assert_eq!(
            fields(&body, &m),
            vec![
                ("employeeNumber".into(), "E-1".into()),
                ("costCenter".into(), "CC-7".into()),
                ("Job title".into(), "Engineer".into())
            ]
        );
    }
}
