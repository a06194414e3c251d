//! The RFC catalogue: the URNs of RFC 7643 / 7644 and the core schemas of RFC 7643 §4 (User,
//! Group, Enterprise User) with the common attributes of §3.1. Only what the RFCs define; the
//! product's own extension is in [`super::product`].

use super::model::{AttrType, AttributeDef, Mutability, Returned, Schema, Uniqueness};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
pub const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

use AttrType as T;
use Mutability as M;
use Returned as R;

pub(super) fn s(name: &'static str) -> AttributeDef {
    AttributeDef::new(name, T::String)
}

/// `type`, `primary`, `display`, `value` as used by the multi-valued attributes of §4.1.2.
fn multi_valued_string(
    name: &'static str,
    types: &[&'static str],
    desc: &'static str,
) -> AttributeDef {
    AttributeDef::new(name, T::Complex)
        .multi()
        .desc(desc)
        .subs(vec![
            s("value").desc("The attribute's significant value."),
            s("display").desc("A human-readable name, primarily used for display purposes."),
            s("type")
                .canonical(types)
                .desc("A label indicating the attribute's function."),
            AttributeDef::new("primary", T::Boolean)
                .desc("A Boolean value indicating the 'primary' or preferred attribute value."),
        ])
}

pub(super) fn common_attributes() -> Vec<AttributeDef> {
    vec![
        s("id")
            .case_exact()
            .mutability(M::ReadOnly)
            .returned(R::Always)
            .unique(Uniqueness::Server)
            .desc("Unique identifier for the SCIM resource as defined by the service provider."),
        s("externalId")
            .case_exact()
            .desc("An identifier for the resource as defined by the provisioning client."),
        AttributeDef::new("meta", T::Complex)
            .mutability(M::ReadOnly)
            .desc("Resource metadata.")
            .subs(vec![
                s("resourceType").case_exact().mutability(M::ReadOnly),
                AttributeDef::new("created", T::DateTime).mutability(M::ReadOnly),
                AttributeDef::new("lastModified", T::DateTime).mutability(M::ReadOnly),
                AttributeDef::new("location", T::Reference)
                    .case_exact()
                    .mutability(M::ReadOnly)
                    .refs(&["uri"]),
                s("version").case_exact().mutability(M::ReadOnly),
            ]),
    ]
}

pub(super) fn user_schema() -> Schema {
    let member_ref = |name: &'static str| {
        AttributeDef::new(name, T::Complex).multi().subs(vec![
            s("value"),
            s("display"),
            s("type"),
            AttributeDef::new("primary", T::Boolean),
        ])
    };
    Schema {
        id: USER_SCHEMA,
        name: "User",
        description: "User Account",
        attributes: vec![
            s("userName")
                .required()
                .unique(Uniqueness::Server)
                .desc("Unique identifier for the User, typically used by the user to directly authenticate to the service provider."),
            AttributeDef::new("name", T::Complex)
                .desc("The components of the user's real name.")
                .subs(vec![
                    s("formatted"),
                    s("familyName"),
                    s("givenName"),
                    s("middleName"),
                    s("honorificPrefix"),
                    s("honorificSuffix"),
                ]),
            s("displayName").desc("The name of the User, suitable for display to end-users."),
            s("nickName").desc("The casual way to address the user in real life."),
            AttributeDef::new("profileUrl", T::Reference).refs(&["external"]),
            s("title").desc("The user's title, such as \"Vice President\"."),
            s("userType").desc("Used to identify the relationship between the organization and the user."),
            s("preferredLanguage"),
            s("locale"),
            s("timezone"),
            AttributeDef::new("active", T::Boolean)
                .desc("A Boolean value indicating the User's administrative status."),
            s("password")
                .mutability(M::WriteOnly)
                .returned(R::Never)
                .desc("The User's cleartext password."),
            multi_valued_string("emails", &["work", "home", "other"], "Email addresses for the user."),
            multi_valued_string(
                "phoneNumbers",
                &["work", "home", "mobile", "fax", "pager", "other"],
                "Phone numbers for the User.",
            ),
            multi_valued_string(
                "ims",
                &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
                "Instant messaging addresses for the User.",
            ),
            {
                let mut p = multi_valued_string("photos", &["photo", "thumbnail"], "URLs of photos of the User.");
                p.sub_attributes[0] = AttributeDef::new("value", T::Reference).refs(&["external"]);
                p
            },
            AttributeDef::new("addresses", T::Complex)
                .multi()
                .desc("A physical mailing address for this User.")
                .subs(vec![
                    s("formatted"),
                    s("streetAddress"),
                    s("locality"),
                    s("region"),
                    s("postalCode"),
                    s("country"),
                    s("type").canonical(&["work", "home", "other"]),
                    AttributeDef::new("primary", T::Boolean),
                ]),
            AttributeDef::new("groups", T::Complex)
                .multi()
                .mutability(M::ReadOnly)
                .desc("A list of groups to which the user belongs, either through direct membership or through nested groups.")
                .subs(vec![
                    s("value").mutability(M::ReadOnly),
                    AttributeDef::new("$ref", T::Reference)
                        .mutability(M::ReadOnly)
                        .refs(&["User", "Group"]),
                    s("display").mutability(M::ReadOnly),
                    s("type")
                        .mutability(M::ReadOnly)
                        .canonical(&["direct", "indirect"]),
                ]),
            member_ref("entitlements").desc("A list of entitlements for the User."),
            member_ref("roles").desc("A list of roles for the User."),
            {
                let mut x = member_ref("x509Certificates").desc("A list of certificates issued to the User.");
                x.sub_attributes[0] = AttributeDef::new("value", T::Binary);
                x
            },
        ],
    }
}

pub(super) fn group_schema() -> Schema {
    Schema {
        id: GROUP_SCHEMA,
        name: "Group",
        description: "Group",
        attributes: vec![
            s("displayName")
                .required()
                .unique(Uniqueness::Server)
                .desc("A human-readable name for the Group."),
            AttributeDef::new("members", T::Complex)
                .multi()
                .desc("A list of members of the Group.")
                .subs(vec![
                    s("value").mutability(M::Immutable),
                    AttributeDef::new("$ref", T::Reference)
                        .mutability(M::Immutable)
                        .refs(&["User", "Group"]),
                    s("display").mutability(M::ReadOnly),
                    s("type")
                        .mutability(M::Immutable)
                        .canonical(&["User", "Group"]),
                ]),
        ],
    }
}

pub(super) fn enterprise_schema() -> Schema {
    Schema {
        id: ENTERPRISE_USER_SCHEMA,
        name: "EnterpriseUser",
        description: "Enterprise User",
        attributes: vec![
            s("employeeNumber"),
            s("costCenter"),
            s("organization"),
            s("division"),
            s("department"),
            AttributeDef::new("manager", T::Complex).subs(vec![
                s("value"),
                AttributeDef::new("$ref", T::Reference).refs(&["User"]),
                s("displayName").mutability(M::ReadOnly),
            ]),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::user_type;

    #[test]
    fn id_and_external_id_are_case_exact() {
        let rt = user_type();
        assert!(rt.resolve(None, "id").expect("id").def.case_exact);
        assert!(
            rt.resolve(None, "externalId")
                .expect("externalId")
                .def
                .case_exact
        );
        assert!(
            !rt.resolve(None, "userName")
                .expect("userName")
                .def
                .case_exact
        );
    }

    #[test]
    fn password_is_never_returned() {
        let p = user_type().resolve(None, "password").expect("password");
        assert_eq!(p.def.returned, Returned::Never);
        assert_eq!(p.def.mutability, Mutability::WriteOnly);
    }
}
