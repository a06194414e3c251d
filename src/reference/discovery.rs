//! Discovery endpoints (RFC 7644 §4): `/ServiceProviderConfig`, `/Schemas`, `/ResourceTypes`.
//! The configuration document is built from the same `ReferenceConfig` the server enforces.

use super::config::ReferenceConfig;
use crate::scim::filter::MAX_FILTER_LEN;
use crate::scim::query::list_response;
use crate::scim::schema::{SPC_SCHEMA, resource_types, schemas};
use serde_json::{Value, json};

/// The schema URN of our limits document: the limits RFC 7643 §5 has no field for, so clients
/// (and the conformance suite) can check what is enforced. It is served on its own at
/// `/admin/v1/limits`, not inside `/ServiceProviderConfig`, because strict clients (scim2-models,
/// for one) refuse unknown members in the configuration document.
pub const LIMITS_EXTENSION: &str =
    "urn:scim-harness:params:scim:schemas:extension:limits:1.0:ServiceProviderConfig";

/// The `/admin/v1/limits` document.
pub fn limits(cfg: &ReferenceConfig) -> Value {
    json!({
        "schemas": [LIMITS_EXTENSION],
        "maxPayloadSize": cfg.limits.max_payload_size,
        "maxResults": cfg.limits.max_results,
        "maxFilterMatches": cfg.limits.max_filter_matches,
        "maxFilterLength": MAX_FILTER_LEN,
        "bulkMaxOperations": cfg.limits.bulk_max_operations,
        "entraCompatibility": cfg.entra_compat,
        "uniqueGroupDisplayName": cfg.unique_group_names,
    })
}

/// The `/ServiceProviderConfig` document (RFC 7643 §5).
pub fn service_provider_config(cfg: &ReferenceConfig, base_url: &str) -> Value {
    json!({
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://github.com/scim-harness/scim-harness",
        "patch": {"supported": true},
        "bulk": {
            "supported": true,
            "maxOperations": cfg.limits.bulk_max_operations,
            "maxPayloadSize": cfg.limits.max_payload_size,
        },
        "filter": {"supported": true, "maxResults": cfg.limits.max_results},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a bearer token in the Authorization header.",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base_url}/ServiceProviderConfig"),
        }
    })
}

/// `/Schemas` as a ListResponse.
pub fn schemas_list(base_url: &str) -> Value {
    let all: Vec<Value> = schemas().iter().map(|s| s.to_json(base_url)).collect();
    list_response(all.len(), 1, all)
}

/// `/Schemas/{id}`.
pub fn schema(id: &str, base_url: &str) -> Option<Value> {
    crate::scim::schema::schema_by_id(id).map(|s| s.to_json(base_url))
}

/// `/ResourceTypes` as a ListResponse.
pub fn resource_types_list(base_url: &str) -> Value {
    let all: Vec<Value> = resource_types()
        .iter()
        .map(|r| r.to_json(base_url))
        .collect();
    list_response(all.len(), 1, all)
}

/// `/ResourceTypes/{id}`.
pub fn resource_type(id: &str, base_url: &str) -> Option<Value> {
    resource_types()
        .into_iter()
        .find(|r| r.id.eq_ignore_ascii_case(id))
        .map(|r| r.to_json(base_url))
}
