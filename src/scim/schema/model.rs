//! The schema model (RFC 7643 §2, §7): the Rust types describing attributes, schemas and
//! resource types, their lookups and their `/Schemas` and `/ResourceTypes` JSON. The concrete
//! definitions are in [`super::catalogue`] and [`super::product`].

use super::catalogue::{RESOURCE_TYPE_SCHEMA, SCHEMA_SCHEMA};
use serde_json::{Value, json};

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
    pub(super) fn new(name: &'static str, ty: AttrType) -> Self {
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
    pub(super) fn desc(mut self, d: &'static str) -> Self {
        self.description = d;
        self
    }
    pub(super) fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }
    pub(super) fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub(super) fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    pub(super) fn mutability(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }
    pub(super) fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }
    pub(super) fn unique(mut self, u: Uniqueness) -> Self {
        self.uniqueness = u;
        self
    }
    pub(super) fn canonical(mut self, v: &[&'static str]) -> Self {
        self.canonical_values = v.to_vec();
        self
    }
    pub(super) fn refs(mut self, v: &[&'static str]) -> Self {
        self.reference_types = v.to_vec();
        self
    }
    pub(super) fn subs(mut self, s: Vec<AttributeDef>) -> Self {
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

#[cfg(test)]
mod tests {
    use crate::scim::schema::{ENTERPRISE_USER_SCHEMA, user_type};

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
