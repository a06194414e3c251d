//! Attribute mappings: how a directory object becomes a SCIM resource.
//!
//! A mapping is direct (`givenName` -> `name.givenName`), constant (`"True"` -> `active`) or an
//! expression in the provider's function language (`Not([IsSoftDeleted])`, `Switch`, `Join`,
//! `Append`, `ToLower`, `Coalesce`, `IIF`). Each applies always or on create only, and the
//! mappings marked as matching attributes are tried in precedence order to find the target
//! object (E-U-02). Values are strings or null, as in the provider; booleans are the strings
//! `"True"`/`"False"` until they are written to a Boolean target attribute.

use super::tenant::{SourceGroup, SourceUser};
use crate::scim::path::lookup;
use crate::scim::schema::ENTERPRISE_USER_SCHEMA;
use serde_json::Value;

/// Why an expression could not be read.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
#[error("bad mapping expression at {pos}: {msg}")]
pub struct ExprError {
    pub pos: usize,
    pub msg: String,
}

/// An expression of the provider's function language.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `[attribute]`
    Attr(String),
    /// `"text"`
    Lit(String),
    /// `[a] = "b"` (only as the condition of `IIF`).
    Eq(Box<Expr>, Box<Expr>),
    /// `Name(args...)`
    Call(String, Vec<Expr>),
}

/// What an object offers an expression: attribute values by the directory's names.
pub trait Source {
    /// The value of a source attribute (case-insensitive name), or null.
    fn attr(&self, name: &str) -> Option<String>;
}

fn bool_str(b: bool) -> String {
    if b { "True" } else { "False" }.to_string()
}

fn truthy(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("true"))
}

impl Expr {
    /// Parses one expression.
    pub fn parse(text: &str) -> Result<Expr, ExprError> {
        let mut p = Parser { s: text, pos: 0 };
        let e = p.expr()?;
        p.ws();
        if p.pos != text.len() {
            return Err(p.err("unexpected text after the expression"));
        }
        Ok(e)
    }

    /// Evaluates against an object; `None` is null.
    pub fn eval(&self, src: &dyn Source) -> Option<String> {
        match self {
            Expr::Attr(a) => src.attr(a),
            Expr::Lit(s) => Some(s.clone()),
            Expr::Eq(a, b) => Some(bool_str(a.eval(src) == b.eval(src))),
            Expr::Call(name, args) => call(name, args, src),
        }
    }
}

fn call(name: &str, args: &[Expr], src: &dyn Source) -> Option<String> {
    let arg = |i: usize| args.get(i).and_then(|a| a.eval(src));
    match name.to_ascii_lowercase().as_str() {
        "not" => arg(0).map(|v| bool_str(!v.eq_ignore_ascii_case("true"))),
        "tolower" => arg(0).map(|v| v.to_lowercase()),
        "toupper" => arg(0).map(|v| v.to_uppercase()),
        "append" => Some(format!(
            "{}{}",
            arg(0).unwrap_or_default(),
            arg(1).unwrap_or_default()
        )),
        "join" => {
            let sep = arg(0).unwrap_or_default();
            let parts: Vec<String> = (1..args.len()).filter_map(arg).collect();
            (!parts.is_empty()).then(|| parts.join(&sep))
        }
        "coalesce" => (0..args.len()).find_map(|i| arg(i).filter(|v| !v.is_empty())),
        "iif" => {
            if truthy(&arg(0)) {
                arg(1)
            } else {
                arg(2)
            }
        }
        // Switch(source, default, key1, value1, key2, value2, ...)
        "switch" => {
            let v = arg(0);
            let mut i = 2;
            while i + 1 < args.len() {
                if arg(i) == v {
                    return arg(i + 1);
                }
                i += 2;
            }
            arg(1)
        }
        _ => None,
    }
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, msg: &str) -> ExprError {
        ExprError {
            pos: self.pos,
            msg: msg.into(),
        }
    }
    fn ws(&mut self) {
        while self.s[self.pos..].starts_with(char::is_whitespace) {
            self.pos += self.s[self.pos..].chars().next().map_or(1, char::len_utf8);
        }
    }
    fn eat(&mut self, c: char) -> bool {
        self.ws();
        if self.s[self.pos..].starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }
    fn expr(&mut self) -> Result<Expr, ExprError> {
        let left = self.atom()?;
        if self.eat('=') {
            let right = self.atom()?;
            return Ok(Expr::Eq(Box::new(left), Box::new(right)));
        }
        Ok(left)
    }
    fn atom(&mut self) -> Result<Expr, ExprError> {
        self.ws();
        let rest = &self.s[self.pos..];
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').ok_or_else(|| self.err("unclosed '['"))?;
            self.pos += end + 2;
            return Ok(Expr::Attr(r[..end].trim().to_string()));
        }
        if let Some(r) = rest.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = r.char_indices();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            out.push(n);
                        }
                    }
                    '"' => {
                        self.pos += i + 2;
                        return Ok(Expr::Lit(out));
                    }
                    c => out.push(c),
                }
            }
            return Err(self.err("unclosed string"));
        }
        let len = rest
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .unwrap_or(rest.len());
        if len == 0 {
            return Err(self.err("expected [attribute], \"text\" or Function("));
        }
        let name = rest[..len].to_string();
        self.pos += len;
        if !self.eat('(') {
            return Err(self.err("expected '(' after a function name"));
        }
        let mut args = Vec::new();
        if !self.eat(')') {
            loop {
                // An empty argument (`Switch([x], , "a", "b")`) is null.
                self.ws();
                if self.s[self.pos..].starts_with(',') {
                    args.push(Expr::Call("Null".into(), Vec::new()));
                } else {
                    args.push(self.expr()?);
                }
                if self.eat(')') {
                    break;
                }
                if !self.eat(',') {
                    return Err(self.err("expected ',' or ')'"));
                }
            }
        }
        Ok(Expr::Call(name, args))
    }
}

/// Where a target value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum MappingSource {
    Direct(String),
    Constant(String),
    Expression(Expr),
    /// A reference to another directory object (`manager`): its value is the target id of
    /// the referenced user, so it is sent in the references phase, after every create
    /// (E-CY-01), never in a create or an attribute update.
    Reference(String),
}

/// When a mapping is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyWhen {
    Always,
    /// Only in the create request: later changes of the source are not sent.
    OnCreate,
}

/// One attribute mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeMapping {
    /// The SCIM attribute path: `userName`, `name.givenName`, `emails[type eq "work"].value`,
    /// or an extension attribute `urn:...:User:department`.
    pub target: String,
    pub source: MappingSource,
    pub apply: ApplyWhen,
    /// Set on matching attributes: 1 is tried first.
    pub matching_precedence: Option<u8>,
}

impl AttributeMapping {
    pub fn direct(source: &str, target: &str) -> AttributeMapping {
        AttributeMapping {
            target: target.into(),
            source: MappingSource::Direct(source.into()),
            apply: ApplyWhen::Always,
            matching_precedence: None,
        }
    }
    pub fn expression(expr: &str, target: &str) -> Result<AttributeMapping, ExprError> {
        Ok(AttributeMapping {
            target: target.into(),
            source: MappingSource::Expression(Expr::parse(expr)?),
            apply: ApplyWhen::Always,
            matching_precedence: None,
        })
    }
    pub fn constant(value: &str, target: &str) -> AttributeMapping {
        AttributeMapping {
            target: target.into(),
            source: MappingSource::Constant(value.into()),
            apply: ApplyWhen::Always,
            matching_precedence: None,
        }
    }
    pub fn reference(source: &str, target: &str) -> AttributeMapping {
        AttributeMapping {
            target: target.into(),
            source: MappingSource::Reference(source.into()),
            apply: ApplyWhen::Always,
            matching_precedence: None,
        }
    }
    pub fn matching(mut self, precedence: u8) -> AttributeMapping {
        self.matching_precedence = Some(precedence);
        self
    }
    pub fn on_create_only(mut self) -> AttributeMapping {
        self.apply = ApplyWhen::OnCreate;
        self
    }

    /// The value for an object, or null. For a reference: the referenced object's source id.
    pub fn value(&self, src: &dyn Source) -> Option<String> {
        match &self.source {
            MappingSource::Direct(a) | MappingSource::Reference(a) => src.attr(a),
            MappingSource::Constant(c) => Some(c.clone()),
            MappingSource::Expression(e) => e.eval(src),
        }
    }
}

/// The user and group mappings of one job.
#[derive(Debug, Clone, PartialEq)]
pub struct Mappings {
    pub user: Vec<AttributeMapping>,
    pub group: Vec<AttributeMapping>,
}

const ENT: &str = ENTERPRISE_USER_SCHEMA;

impl Mappings {
    /// LogMeIn's default mappings (E-MAP-01), plus the work email the create carries (E-U-01).
    pub fn logmein_default() -> Mappings {
        let ent = |a: &str| format!("{ENT}:{a}");
        let active = AttributeMapping::expression("Not([IsSoftDeleted])", "active");
        Mappings {
            user: vec![
                AttributeMapping::direct("userPrincipalName", "userName").matching(1),
                AttributeMapping::direct("mailNickname", "externalId"),
                active.unwrap_or_else(|_| AttributeMapping::constant("True", "active")),
                AttributeMapping::direct("givenName", "name.givenName"),
                AttributeMapping::direct("surname", "name.familyName"),
                AttributeMapping::direct("mail", "emails[type eq \"work\"].value"),
                AttributeMapping::direct("department", &ent("department")),
                AttributeMapping::direct("employeeId", &ent("employeeNumber")),
                AttributeMapping::direct("costCenter", &ent("costCenter")),
                AttributeMapping::direct("division", &ent("division")),
            ],
            group: vec![
                AttributeMapping::direct("displayName", "displayName").matching(1),
                AttributeMapping::direct("objectId", "externalId"),
            ],
        }
    }

    /// Adds the generic SCIM app's reference mapping `manager` -> enterprise `manager`. Not in
    /// this product's defaults (E-MAP-01); `simulate --map-manager` and `run` add it.
    pub fn with_manager(mut self) -> Mappings {
        self.user.push(AttributeMapping::reference(
            "manager",
            &format!("{ENT}:manager"),
        ));
        self
    }

    /// The reference mappings of users (resolved to target ids in the references phase).
    pub fn user_references(&self) -> impl Iterator<Item = &AttributeMapping> {
        self.user
            .iter()
            .filter(|m| matches!(m.source, MappingSource::Reference(_)))
    }

    /// Matching mappings of users in precedence order.
    pub fn user_matching(&self) -> Vec<&AttributeMapping> {
        matching(&self.user)
    }
    /// Matching mappings of groups in precedence order.
    pub fn group_matching(&self) -> Vec<&AttributeMapping> {
        matching(&self.group)
    }
}

fn matching(list: &[AttributeMapping]) -> Vec<&AttributeMapping> {
    let mut m: Vec<&AttributeMapping> = list
        .iter()
        .filter(|a| a.matching_precedence.is_some())
        .collect();
    m.sort_by_key(|a| a.matching_precedence);
    m
}

/// A user as expressions see it: its attributes plus `IsSoftDeleted` and `objectId`.
#[derive(Debug, Clone, Copy)]
pub struct UserView<'a> {
    pub user: &'a SourceUser,
    /// The provider's IsSoftDeleted: soft-deleted, out of scope, unassigned, or
    /// `accountEnabled` false (the default `active` mapping disables on all four, E-U-04).
    pub is_soft_deleted: bool,
}

impl Source for UserView<'_> {
    fn attr(&self, name: &str) -> Option<String> {
        let u = self.user;
        let s = |v: &Option<String>| v.clone().filter(|x| !x.is_empty());
        match name.to_ascii_lowercase().as_str() {
            "objectid" => Some(u.object_id.clone()),
            "userprincipalname" => Some(u.user_principal_name.clone()),
            "mailnickname" => Some(u.mail_nickname.clone()),
            "displayname" => Some(u.display_name.clone()),
            "givenname" => s(&u.given_name),
            "surname" => s(&u.surname),
            "mail" => s(&u.mail),
            "department" => s(&u.department),
            "employeeid" => s(&u.employee_id),
            "costcenter" => s(&u.cost_center),
            "division" => s(&u.division),
            "jobtitle" => s(&u.job_title),
            "country" => s(&u.country),
            "manager" => s(&u.manager),
            "accountenabled" => Some(bool_str(u.account_enabled)),
            "issoftdeleted" => Some(bool_str(self.is_soft_deleted)),
            _ => None,
        }
    }
}

impl Source for SourceGroup {
    fn attr(&self, name: &str) -> Option<String> {
        match name.to_ascii_lowercase().as_str() {
            "objectid" => Some(self.object_id.clone()),
            "displayname" => Some(self.display_name.clone()),
            "mailnickname" => Some(self.mail_nickname.clone()),
            "description" => self.description.clone().filter(|d| !d.is_empty()),
            _ => None,
        }
    }
}

/// The manager id a target user holds: `manager.value`, or a bare string where a target
/// stored what the provider sent as is.
pub fn manager_of(user: &Value) -> Option<String> {
    let m = lookup(user, &format!("{ENTERPRISE_USER_SCHEMA}:manager"))?;
    match m {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("value").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// The mapped attributes of one object, in mapping order, nulls left out (E-U-04: null source
/// values are never sent).
pub type Mapped = Vec<(String, Value)>;

/// The target's type for a mapped string: `active` is Boolean, everything else a string.
fn typed(target: &str, v: String) -> Value {
    if target.eq_ignore_ascii_case("active") {
        Value::Bool(v.eq_ignore_ascii_case("true"))
    } else {
        Value::String(v)
    }
}

/// Maps an object. `create` includes the apply-on-create-only mappings. References are left
/// out: they are set in the references phase.
pub fn map(list: &[AttributeMapping], src: &dyn Source, create: bool) -> Mapped {
    list.iter()
        .filter(|m| create || m.apply == ApplyWhen::Always)
        .filter(|m| !matches!(m.source, MappingSource::Reference(_)))
        .filter_map(|m| {
            m.value(src)
                .map(|v| (m.target.clone(), typed(&m.target, v)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Map(Vec<(&'static str, &'static str)>);
    impl Source for Map {
        fn attr(&self, name: &str) -> Option<String> {
            self.0
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.to_string())
        }
    }

    fn ev(e: &str, src: &Map) -> Option<String> {
        Expr::parse(e).expect("parses").eval(src)
    }

    #[test]
    fn the_functions_behave_as_the_provider_documents() {
        let m = Map(vec![
            ("IsSoftDeleted", "False"),
            ("givenName", "Ann"),
            ("surname", "Lee"),
            ("department", "Sales"),
            ("empty", ""),
        ]);
        assert_eq!(ev("Not([IsSoftDeleted])", &m).as_deref(), Some("True"));
        assert_eq!(ev("ToLower([givenName])", &m).as_deref(), Some("ann"));
        assert_eq!(
            ev("Join(\" \", [givenName], [surname])", &m).as_deref(),
            Some("Ann Lee")
        );
        assert_eq!(
            ev("Append([givenName], \"@x.example\")", &m).as_deref(),
            Some("Ann@x.example")
        );
        assert_eq!(
            ev("Coalesce([missing], [empty], [surname])", &m).as_deref(),
            Some("Lee")
        );
        assert_eq!(
            ev(
                "Switch([department], \"Other\", \"Sales\", \"S\", \"Legal\", \"L\")",
                &m
            )
            .as_deref(),
            Some("S")
        );
        assert_eq!(
            ev("Switch([surname], \"Other\", \"Sales\", \"S\")", &m).as_deref(),
            Some("Other")
        );
        assert_eq!(
            ev("IIF([department]=\"Sales\", \"yes\", \"no\")", &m).as_deref(),
            Some("yes")
        );
        assert_eq!(
            ev(
                "Switch([IsSoftDeleted], , \"False\", \"True\", \"True\", \"False\")",
                &m
            )
            .as_deref(),
            Some("True")
        );
        assert_eq!(ev("[missing]", &m), None);
        assert!(Expr::parse("Not([x]").is_err());
        assert!(Expr::parse("[x] junk").is_err());
    }

    #[test]
    fn on_create_only_mappings_are_left_out_of_updates() {
        let list = vec![
            AttributeMapping::direct("givenName", "name.givenName"),
            AttributeMapping::constant("Welcome", "title").on_create_only(),
            AttributeMapping::direct("missing", "nickName"),
        ];
        let m = Map(vec![("givenName", "Ann")]);
        assert_eq!(map(&list, &m, true).len(), 2);
        assert_eq!(map(&list, &m, false).len(), 1);
    }
}
