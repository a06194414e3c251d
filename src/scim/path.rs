//! Attribute paths (RFC 7644 §3.10 and the PATH rule of §3.5.2):
//! `[URN ":"] attr ["." sub]`, and for PATCH `attr "[" valFilter "]" ["." sub]`.

use super::error::ScimError;
use super::filter::Filter;

/// `[URN ":"] ATTRNAME ["." subAttr]` as written by the client (names not yet canonical).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN prefix, if the client qualified the name.
    pub urn: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

/// A PATCH target: an attribute path, optionally narrowed by a value filter, optionally followed
/// by a sub-attribute (`emails[type eq "work"].value`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// When `filter` is set, `attr.sub` is `None` and the sub-attribute (if any) is in `sub`.
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    pub sub: Option<String>,
}

impl AttrPath {
    /// Parses an attribute path such as `name.familyName` or
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
    pub fn parse(input: &str) -> Result<AttrPath, ScimError> {
        let _ = input;
        todo!("filter helper")
    }
}

impl PatchPath {
    /// Parses a PATCH `path` value. Errors are `invalidPath`.
    pub fn parse(input: &str) -> Result<PatchPath, ScimError> {
        let _ = input;
        todo!("filter helper")
    }
}

impl std::fmt::Display for AttrPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(u) = &self.urn {
            write!(f, "{u}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(s) = &self.sub {
            write!(f, ".{s}")?;
        }
        Ok(())
    }
}
