//! The product's own schema: the User Sync extension of the User resource type, filled by the
//! reference's User Sync engine and read by the conformance suite. Not an RFC schema.

use super::catalogue::s;
use super::model::{AttrType as T, AttributeDef, Mutability as M, Schema};

/// Our own extension for User Sync results (status, last result, custom fields). Not under
/// `urn:ietf`, because it is not an IETF schema.
pub const USERSYNC_SCHEMA: &str =
    "urn:scim-harness:params:scim:schemas:extension:usersync:1.0:User";

pub(super) fn usersync_schema() -> Schema {
    Schema {
        id: USERSYNC_SCHEMA,
        name: "UserSyncUser",
        description: "User Sync status of a user: filled by the User Sync engine, read-only to clients.",
        attributes: vec![
            s("status")
                .mutability(M::ReadOnly)
                .canonical(&["pending", "active", "suspended"])
                .desc("Account state: pending enrollment, active, or suspended."),
            s("lastSyncResult")
                .mutability(M::ReadOnly)
                .canonical(&["success", "failure"])
                .desc("Outcome of the last sync applied to this user."),
            s("lastSyncReason")
                .mutability(M::ReadOnly)
                .desc("Why the last sync had that outcome."),
            AttributeDef::new("customFields", T::Complex)
                .multi()
                .mutability(M::ReadOnly)
                .desc("Product custom fields mapped from directory custom attributes.")
                .subs(vec![
                    s("name").mutability(M::ReadOnly),
                    s("value").mutability(M::ReadOnly),
                ]),
            s("userGroup")
                .mutability(M::ReadOnly)
                .desc("User group from the highest-ranked matching rule that sets one."),
            s("deviceGroups")
                .multi()
                .mutability(M::ReadOnly)
                .desc("Device groups: the union over every matching rule."),
            s("settingsTemplate")
                .mutability(M::ReadOnly)
                .desc("Settings template from the highest-ranked matching rule that sets one."),
        ],
    }
}
