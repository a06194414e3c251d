//! Schemas and resource types (RFC 7643 §2, §4, §7, §8.7): the attribute characteristics that
//! drive validation, filtering, sorting, projection and PATCH everywhere else in the crate.
//!
//! Definitions are built once and shared (`&'static`), so every lookup is a borrow.
//!
//! [`model`] holds the types, [`catalogue`] the RFC definitions, [`product`] the product's own
//! User Sync extension; this file assembles them into the resource types the crate serves.

mod catalogue;
mod model;
mod product;

pub use catalogue::{
    BULK_REQUEST, BULK_RESPONSE, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, LIST_RESPONSE, PATCH_OP,
    RESOURCE_TYPE_SCHEMA, SCHEMA_SCHEMA, SEARCH_REQUEST, SPC_SCHEMA, USER_SCHEMA,
};
pub use model::{
    AttrLocation, AttrType, AttributeDef, Extension, Mutability, ResourceType, Returned, Schema,
    Uniqueness,
};
pub use product::USERSYNC_SCHEMA;

use catalogue::{common_attributes, enterprise_schema, group_schema, user_schema};
use product::usersync_schema;
use std::sync::OnceLock;

struct Registry {
    common: Vec<AttributeDef>,
    user: Schema,
    group: Schema,
    enterprise: Schema,
    usersync: Schema,
}

fn registry() -> &'static Registry {
    static REG: OnceLock<Registry> = OnceLock::new();
    REG.get_or_init(|| Registry {
        common: common_attributes(),
        user: user_schema(),
        group: group_schema(),
        enterprise: enterprise_schema(),
        usersync: usersync_schema(),
    })
}

/// The User resource type with the enterprise and User Sync extensions.
pub fn user_type() -> &'static ResourceType {
    static RT: OnceLock<ResourceType> = OnceLock::new();
    RT.get_or_init(|| {
        let r = registry();
        ResourceType {
            id: "User",
            name: "User",
            endpoint: "/Users",
            description: "User Account",
            schema: &r.user,
            extensions: vec![
                Extension {
                    schema: &r.enterprise,
                    required: false,
                },
                Extension {
                    schema: &r.usersync,
                    required: false,
                },
            ],
            common: &r.common,
        }
    })
}

/// The Group resource type.
pub fn group_type() -> &'static ResourceType {
    static RT: OnceLock<ResourceType> = OnceLock::new();
    RT.get_or_init(|| {
        let r = registry();
        ResourceType {
            id: "Group",
            name: "Group",
            endpoint: "/Groups",
            description: "Group",
            schema: &r.group,
            extensions: vec![],
            common: &r.common,
        }
    })
}

/// Every resource type the reference serves, in `/ResourceTypes` order.
pub fn resource_types() -> [&'static ResourceType; 2] {
    [user_type(), group_type()]
}

/// Every schema served by `/Schemas`.
pub fn schemas() -> [&'static Schema; 4] {
    let r = registry();
    [&r.user, &r.group, &r.enterprise, &r.usersync]
}

/// Finds a served schema by URN, case-insensitively.
pub fn schema_by_id(id: &str) -> Option<&'static Schema> {
    schemas()
        .into_iter()
        .find(|s| s.id.eq_ignore_ascii_case(id))
}
