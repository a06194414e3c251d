//! A stored user the targets evaluate and patch: canonical, with id and meta, as the store keeps it.

use serde_json::{Value, json};

pub fn user() -> Value {
    let rt = scim_harness::scim::schema::user_type();
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "userName": "ann@example.com",
        "externalId": "ext-1",
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "displayName": "Ann Lee",
        "active": true,
        "emails": [{"value": "ann@example.com", "type": "work", "primary": true},
                   {"value": "ann@home.example", "type": "home"}],
        "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "42", "department": "R&D",
            "manager": {"value": "m-1"}
        }
    });
    let mut u = scim_harness::scim::resource::canonicalize(&body, rt, Default::default())
        .unwrap_or(body);
    if let Some(o) = u.as_object_mut() {
        o.insert("id".into(), json!("2819c223-7f76-453a-919d-413861904646"));
        o.insert(
            "meta".into(),
            json!({"resourceType": "User", "created": "2026-01-01T00:00:00Z",
                   "lastModified": "2026-01-01T00:00:00Z", "version": "W/\"1\""}),
        );
    }
    u
}
