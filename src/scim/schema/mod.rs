//! Schemas and resource types (RFC 7643 §2, §4, §7, §8.7): the attribute characteristics that
//! drive validation, filtering, sorting, projection and PATCH everywhere else in the crate.
//!
//! Definitions are built once and shared (`&'static`), so every lookup is a borrow.

use serde_json::{Value, json};
use std::sync::OnceLock;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Our own extension for User Sync results (status, last result, custom fields). Not under
/// `urn:ietf`, because it is not an IETF schema.
pub const USERSYNC_SCHEMA: &str =
    "urn:scim-harness:params:scim:schemas:extension:usersync:1.0:User";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
pub const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// RFC 7643 §2.3 data types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Binary,
    Reference,
    Complex,
}

impl AttrType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Binary => "binary",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
        }
    }
}

/// RFC 7643 §7 `mutability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

impl Mutability {
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

/// RFC 7643 §7 `returned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

impl Returned {
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

/// RFC 7643 §7 `uniqueness`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

impl Uniqueness {
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

/// One attribute definition with every characteristic RFC 7643 §7 lists.
#[derive(Debug, Clone)]
pub struct AttributeDef {
    pub name: &'static str,
    pub ty: AttrType,
    pub multi_valued: bool,
    pub description: &'static str,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical_values: Vec<&'static str>,
    pub reference_types: Vec<&'static str>,
    pub sub_attributes: Vec<AttributeDef>,
}

impl AttributeDef {
    fn new(name: &'static str, ty: AttrType) -> Self {
        AttributeDef {
            name,
            ty,
            multi_valued: false,
            description: "",
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: Vec::new(),
            reference_types: Vec::new(),
            sub_attributes: Vec::new(),
        }
    }
    fn desc(mut self, d: &'static str) -> Self {
        self.description = d;
        self
    }
    fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }
    fn required(mut self) -> Self {
        self.required = true;
        self
    }
    fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    fn mutability(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }
    fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }
    fn unique(mut self, u: Uniqueness) -> Self {
        self.uniqueness = u;
        self
    }
    fn canonical(mut self, v: &[&'static str]) -> Self {
        self.canonical_values = v.to_vec();
        self
    }
    fn refs(mut self, v: &[&'static str]) -> Self {
        self.reference_types = v.to_vec();
        self
    }
    fn subs(mut self, s: Vec<AttributeDef>) -> Self {
        self.sub_attributes = s;
        self
    }

    /// Finds a sub-attribute by name, case-insensitively (RFC 7643 §2.1).
    pub fn sub(&self, name: &str) -> Option<&AttributeDef> {
        self.sub_attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The RFC 7643 §7 representation served by `/Schemas`.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "name": self.name,
            "type": self.ty.as_str(),
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability.as_str(),
            "returned": self.returned.as_str(),
            "uniqueness": self.uniqueness.as_str(),
        });
        if let Some(obj) = v.as_object_mut() {
            if !self.canonical_values.is_empty() {
                obj.insert("canonicalValues".into(), json!(self.canonical_values));
            }
            if !self.reference_types.is_empty() {
                obj.insert("referenceTypes".into(), json!(self.reference_types));
            }
            if !self.sub_attributes.is_empty() {
                obj.insert(
                    "subAttributes".into(),
                    Value::Array(self.sub_attributes.iter().map(|a| a.to_json()).collect()),
                );
            }
        }
        v
    }
}

/// A schema: a URN and its attributes.
#[derive(Debug, Clone)]
pub struct Schema {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: Vec<AttributeDef>,
}

impl Schema {
    /// Finds a top-level attribute by name, case-insensitively.
    pub fn attr(&self, name: &str) -> Option<&AttributeDef> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// True when clients can set none of the schema's attributes (the User Sync extension): an
    /// empty container of such an extension is kept when a client adds it, because it is the
    /// only way a client can say the resource has the extension.
    pub fn is_read_only(&self) -> bool {
        self.attributes
            .iter()
            .all(|a| a.mutability == Mutability::ReadOnly)
    }

    /// The `/Schemas/{id}` representation.
    pub fn to_json(&self, base_url: &str) -> Value {
        json!({
            "schemas": [SCHEMA_SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": self.attributes.iter().map(|a| a.to_json()).collect::<Vec<_>>(),
            "meta": {
                "resourceType": "Schema",
                "location": format!("{base_url}/Schemas/{}", self.id),
            }
        })
    }
}

/// An extension of a resource type and whether resources must carry it.
#[derive(Debug, Clone)]
pub struct Extension {
    pub schema: &'static Schema,
    pub required: bool,
}

/// A resource type (RFC 7643 §6): endpoint, core schema, extensions, and the common
/// attributes (`id`, `externalId`, `meta`) every resource has.
#[derive(Debug)]
pub struct ResourceType {
    pub id: &'static str,
    pub name: &'static str,
    pub endpoint: &'static str,
    pub description: &'static str,
    pub schema: &'static Schema,
    pub extensions: Vec<Extension>,
    pub common: &'static [AttributeDef],
}

/// Where an attribute lives in a resource's JSON: at top level or under an extension URN key.
#[derive(Debug, Clone, Copy)]
pub struct AttrLocation<'a> {
    /// `None` for core and common attributes; the extension URN otherwise.
    pub extension: Option<&'static str>,
    pub def: &'a AttributeDef,
}

impl ResourceType {
    /// Resolves an attribute name, optionally qualified by a schema URN, case-insensitively.
    ///
    /// Unqualified names are looked up in the common attributes, then the core schema, then
    /// (leniently, when unambiguous) in the extensions: clients such as directory connectors
    /// often send `employeeNumber` without its URN.
    pub fn resolve(&self, urn: Option<&str>, name: &str) -> Option<AttrLocation<'static>> {
        let common: &'static [AttributeDef] = self.common;
        let core: &'static Schema = self.schema;
        match urn {
            Some(u) if u.eq_ignore_ascii_case(core.id) => core
                .attr(name)
                .or_else(|| common.iter().find(|a| a.name.eq_ignore_ascii_case(name)))
                .map(|def| AttrLocation {
                    extension: None,
                    def,
                }),
            Some(u) => {
                let ext = self.extension(u)?;
                ext.attr(name).map(|def| AttrLocation {
                    extension: Some(ext.id),
                    def,
                })
            }
            None => {
                if let Some(def) = common.iter().find(|a| a.name.eq_ignore_ascii_case(name)) {
                    return Some(AttrLocation {
                        extension: None,
                        def,
                    });
                }
                if let Some(def) = core.attr(name) {
                    return Some(AttrLocation {
                        extension: None,
                        def,
                    });
                }
                let mut found = None;
                for e in &self.extensions {
                    if let Some(def) = e.schema.attr(name) {
                        if found.is_some() {
                            return None;
                        }
                        found = Some(AttrLocation {
                            extension: Some(e.schema.id),
                            def,
                        });
                    }
                }
                found
            }
        }
    }

    /// Finds an extension schema of this type by URN, case-insensitively.
    pub fn extension(&self, urn: &str) -> Option<&'static Schema> {
        self.extensions
            .iter()
            .find(|e| e.schema.id.eq_ignore_ascii_case(urn))
            .map(|e| e.schema)
    }

    /// The `/ResourceTypes/{id}` representation.
    pub fn to_json(&self, base_url: &str) -> Value {
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": self.id,
            "name": self.name,
            "endpoint": self.endpoint,
            "description": self.description,
            "schema": self.schema.id,
            "schemaExtensions": self.extensions.iter().map(|e| json!({
                "schema": e.schema.id,
                "required": e.required,
            })).collect::<Vec<_>>(),
            "meta": {
                "resourceType": "ResourceType",
                "location": format!("{base_url}/ResourceTypes/{}", self.id),
            }
        })
    }
}

use AttrType as T;
use Mutability as M;
use Returned as R;

fn s(name: &'static str) -> AttributeDef {
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

fn common_attributes() -> Vec<AttributeDef> {
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

fn user_schema() -> Schema {
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

fn group_schema() -> Schema {
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

fn enterprise_schema() -> Schema {
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

fn usersync_schema() -> Schema {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_names_case_insensitively() {
        let rt = user_type();
        let loc = rt.resolve(None, "USERNAME").expect("userName");
        assert_eq!(loc.def.name, "userName");
        assert!(loc.extension.is_none());
        let loc = rt
            .resolve(
                Some("URN:ietf:params:scim:schemas:extension:enterprise:2.0:user"),
                "EmployeeNumber",
            )
            .expect("employeeNumber");
        assert_eq!(loc.extension, Some(ENTERPRISE_USER_SCHEMA));
        assert_eq!(loc.def.name, "employeeNumber");
    }

    #[test]
    fn unqualified_extension_attribute_resolves_when_unambiguous() {
        let loc = user_type().resolve(None, "department").expect("department");
        assert_eq!(loc.extension, Some(ENTERPRISE_USER_SCHEMA));
    }

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

    #[test]
    fn schema_json_lists_sub_attributes() {
        let j = user_type().schema.to_json("http://x");
        let emails = j["attributes"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["name"] == "emails"))
            .expect("emails");
        assert_eq!(emails["multiValued"], true);
        assert_eq!(emails["subAttributes"].as_array().map(|a| a.len()), Some(4));
    }
}
