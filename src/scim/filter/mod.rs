//! The filter grammar of RFC 7644 §3.4.2.2: parsed to an AST, printed back, and evaluated
//! against a canonical resource with the schema's types and caseExact rules.
//!
//! Parsing is a hand-written recursive descent over the input with byte offsets that always sit
//! on char boundaries; error details give 0-based *character* positions. Binding (schema checks)
//! and evaluation live in [`eval`].

pub(crate) mod eval;

use super::error::ScimError;
use super::path::{AttrPath, split_attr_path};
use super::schema::{AttributeDef, ResourceType};
use eval::Scope;
use serde_json::Value;
use std::fmt;

/// Longest filter (in bytes) we parse: bounds work and AST size for hostile input.
pub const MAX_FILTER_LEN: usize = 4096;

/// Deepest nesting we parse, so that recursion over the AST (parsing, printing, binding,
/// evaluating, dropping) stays far from the stack limit even in debug builds. Every `(`, `not`,
/// value path and `and`/`or` operator is a level; a flat chain of n terms is n-1 levels deep
/// (chains are left-associative trees), so up to 33 `or`-ed terms are accepted.
pub const MAX_FILTER_DEPTH: usize = 32;

/// Comparison operators (case-insensitive on input, printed lowercase).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    /// Every operator, for callers that enumerate them (tests, generators).
    pub const ALL: [CompareOp; 9] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Lt,
        CompareOp::Le,
    ];

    /// The lowercase keyword, as printed in canonical filters.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    /// Reads an operator keyword case-insensitively (`EQ`, `Eq`, `eq`).
    pub fn parse(s: &str) -> Option<CompareOp> {
        CompareOp::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `compValue = false / null / true / number / string`.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Str(String),
}

impl fmt::Display for CompValue {
    /// JSON literal syntax, so that the printed value re-parses to the same value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Null => f.write_str("null"),
            CompValue::Bool(b) => write!(f, "{b}"),
            CompValue::Number(n) => write!(f, "{n}"),
            CompValue::Str(s) => match serde_json::to_string(s) {
                Ok(j) => f.write_str(&j),
                Err(_) => Err(fmt::Error),
            },
        }
    }
}

/// The filter AST. `and` binds tighter than `or` when parsing.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Present(AttrPath),
    Compare(AttrPath, CompareOp, CompValue),
    /// `attr[filter]`: the inner filter's paths are relative to the complex attribute.
    ValuePath(AttrPath, Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
}

impl Filter {
    /// Parses a filter expression. Errors are `invalidFilter` and name the position.
    pub fn parse(input: &str) -> Result<Filter, ScimError> {
        parse_filter(input).map_err(ScimError::invalid_filter)
    }

    /// Checks every attribute against the resource type and rewrites names to their canonical
    /// spelling. Unknown attributes are `invalidFilter`.
    ///
    /// Extension attributes get `urn: Some(<canonical extension URN>)`, core and common ones
    /// `urn: None`. Comparing a complex attribute that has a `value` sub-attribute
    /// (`emails eq "x"`, `manager eq "id"`) is rewritten to `emails.value eq "x"`; comparing any
    /// other complex attribute is an error. Type mismatches (a string for an integer, `gt` on a
    /// boolean or binary, an unparseable dateTime) are `invalidFilter` too (RFC 7644 §3.4.2.2).
    pub fn bind(self, rt: &ResourceType) -> Result<Filter, ScimError> {
        eval::bind(self, Scope::Resource(rt)).map_err(ScimError::invalid_filter)
    }

    /// Binds a filter whose paths are sub-attributes of `parent` (the inside of
    /// `emails[...]`, e.g. for PATCH paths). Paths come out as `{urn: None, name: <sub>}`.
    pub fn bind_relative(self, parent: &AttributeDef) -> Result<Filter, ScimError> {
        eval::bind(self, Scope::Within(parent)).map_err(ScimError::invalid_filter)
    }

    /// Evaluates a bound filter against a canonical resource.
    ///
    /// Semantics (RFC 7644 §3.4.2.2 where it is explicit, documented choices where it is not):
    /// - a comparison on a multi-valued attribute is true if ANY value matches; a value path
    ///   needs ONE element satisfying the whole inner filter;
    /// - `ne` is `not (eq)` over the whole attribute, so `ne` is true when it is absent;
    /// - `eq null` means "not present" and `ne null` means "present";
    /// - `pr` means present: exists, not null, not `""`, not an empty array or object;
    /// - strings honour caseExact (binary and reference values always compare exactly);
    ///   dateTimes compare as instants, numbers numerically (exactly when both are integers).
    pub fn matches(&self, resource: &Value, rt: &ResourceType) -> bool {
        eval::eval(self, resource, Scope::Resource(rt))
    }

    /// Evaluates a filter bound with [`Filter::bind_relative`] against one value of the complex
    /// attribute `parent` (one element of `emails`): the PATCH `emails[type eq "work"]` case.
    pub fn matches_value(&self, value: &Value, parent: &AttributeDef) -> bool {
        eval::eval(self, value, Scope::Within(parent))
    }
}

impl fmt::Display for Filter {
    /// The canonical form: lowercase keywords, JSON literals, single spaces, and parentheses
    /// exactly where the tree shape needs them, so `parse(print(f)) == f` for any tree.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Present(p) => write!(f, "{p} pr"),
            Filter::Compare(p, op, v) => write!(f, "{p} {op} {v}"),
            Filter::ValuePath(p, inner) => write!(f, "{p}[{inner}]"),
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::And(l, r) => {
                // `and` is left-associative and binds tighter than `or`.
                write_operand(f, l, matches!(**l, Filter::Or(..)))?;
                f.write_str(" and ")?;
                write_operand(f, r, matches!(**r, Filter::Or(..) | Filter::And(..)))
            }
            Filter::Or(l, r) => {
                write_operand(f, l, false)?;
                f.write_str(" or ")?;
                write_operand(f, r, matches!(**r, Filter::Or(..)))
            }
        }
    }
}

fn write_operand(f: &mut fmt::Formatter<'_>, x: &Filter, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({x})")
    } else {
        write!(f, "{x}")
    }
}

/// Parses a whole filter; the error is the detail of an `invalidFilter`.
fn parse_filter(input: &str) -> Result<Filter, String> {
    check_len(input)?;
    let mut p = Parser::new(input);
    p.skip_ws();
    if p.eof() {
        return Err("empty filter".into());
    }
    let (f, _) = p.or_expr()?;
    p.skip_ws();
    match p.peek() {
        None => Ok(f),
        Some(')') => Err(format!("unbalanced ')' at position {}", p.at())),
        Some(_) => Err(p.expected("'and', 'or' or the end of the filter")),
    }
}

pub(crate) fn check_len(input: &str) -> Result<(), String> {
    if input.len() > MAX_FILTER_LEN {
        Err(format!(
            "longer than {MAX_FILTER_LEN} bytes ({} bytes)",
            input.len()
        ))
    } else {
        Ok(())
    }
}

/// A JSON number (RFC 8259 §6). serde_json checks the syntax and keeps integers exact; floats
/// are re-read with the correctly rounded std parser, so printed floats read back bit-exact.
fn parse_number(tok: &str) -> Option<serde_json::Number> {
    let n: serde_json::Number = tok.parse().ok()?;
    if n.is_f64() {
        serde_json::Number::from_f64(tok.parse().ok()?)
    } else {
        Some(n)
    }
}

/// Characters that end a bare token (attribute path, operator, keyword, number).
fn is_delim(c: char) -> bool {
    is_ws(c) || matches!(c, '[' | ']' | '(' | ')' | '"')
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// A cursor over the input, shared with the path parsers of [`super::path`]. `pos` is a byte
/// offset that is always on a char boundary.
pub(crate) struct Parser<'a> {
    src: &'a str,
    pub(crate) pos: usize,
    depth: usize,
    in_value_path: bool,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Parser {
            src,
            pos: 0,
            depth: 0,
            in_value_path: false,
        }
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    pub(crate) fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn eof(&self) -> bool {
        self.rest().is_empty()
    }

    /// The 0-based character position of the cursor, for error details.
    pub(crate) fn at(&self) -> usize {
        self.src.get(..self.pos).map_or(0, |s| s.chars().count())
    }

    pub(crate) fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// Skips whitespace; says whether there was any.
    pub(crate) fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while let Some(c) = self.peek().filter(|c| is_ws(*c)) {
            self.pos += c.len_utf8();
        }
        self.pos > start
    }

    /// The bare token at the cursor (possibly empty), not consumed.
    pub(crate) fn token(&self) -> &'a str {
        let rest = self.rest();
        let end = rest.find(is_delim).unwrap_or(rest.len());
        &rest[..end]
    }

    fn keyword_ahead(&self, kw: &str) -> bool {
        self.token().eq_ignore_ascii_case(kw)
    }

    fn found(&self) -> String {
        match self.peek() {
            None => "end of input".into(),
            Some(c) if is_delim(c) => format!("{c:?}"),
            Some(_) => {
                let t: String = self.token().chars().take(32).collect();
                format!("'{t}'")
            }
        }
    }

    fn expected(&self, what: &str) -> String {
        format!(
            "expected {what} at position {}, found {}",
            self.at(),
            self.found()
        )
    }

    pub(crate) fn end(&mut self, what: &str) -> Result<(), String> {
        self.skip_ws();
        if self.eof() {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        self.skip_ws();
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.expected(&format!("'{c}'")))
        }
    }

    /// Runs `f` one nesting level deeper, refusing to go past [`MAX_FILTER_DEPTH`].
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, String>) -> Result<T, String> {
        if self.depth >= MAX_FILTER_DEPTH {
            return Err(format!(
                "filter nested deeper than {MAX_FILTER_DEPTH} levels at position {}",
                self.at()
            ));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// Checks the nesting level (see [`MAX_FILTER_DEPTH`]) of a node just built.
    fn level(&self, height: usize) -> Result<usize, String> {
        if height > MAX_FILTER_DEPTH {
            Err(format!(
                "filter nested deeper than {MAX_FILTER_DEPTH} levels at position {}",
                self.at()
            ))
        } else {
            Ok(height)
        }
    }

    /// `or` chain of `and` chains; both left-associative, parsed iteratively. Parse functions
    /// return the node with its nesting level.
    fn or_expr(&mut self) -> Result<(Filter, usize), String> {
        let (mut left, mut h) = self.and_expr()?;
        while let Some((right, rh)) = self.logical("or", Self::and_expr)? {
            h = self.level(h.max(rh) + 1)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok((left, h))
    }

    fn and_expr(&mut self) -> Result<(Filter, usize), String> {
        let (mut left, mut h) = self.unary()?;
        while let Some((right, rh)) = self.logical("and", Self::unary)? {
            h = self.level(h.max(rh) + 1)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok((left, h))
    }

    /// If the next token is the keyword `kw`, consumes it and parses the right operand.
    fn logical(
        &mut self,
        kw: &str,
        operand: fn(&mut Self) -> Result<(Filter, usize), String>,
    ) -> Result<Option<(Filter, usize)>, String> {
        let save = self.pos;
        self.skip_ws();
        if self.keyword_ahead(kw) {
            self.pos += kw.len();
            operand(self).map(Some)
        } else {
            self.pos = save;
            Ok(None)
        }
    }

    /// `"(" filter ")"`, `not "(" filter ")"`, or an attribute expression.
    fn unary(&mut self) -> Result<(Filter, usize), String> {
        self.skip_ws();
        match self.peek() {
            None => Err(self.expected("an attribute path, '(' or 'not'")),
            Some('(') => {
                self.pos += 1;
                let (f, h) = self.nested(Self::or_expr)?;
                self.expect(')')?;
                Ok((f, self.level(h + 1)?))
            }
            Some(_) => {
                if self.keyword_ahead("not") {
                    let save = self.pos;
                    self.pos += 3;
                    self.skip_ws();
                    if self.eat('(') {
                        let (f, h) = self.nested(Self::or_expr)?;
                        self.expect(')')?;
                        return Ok((Filter::Not(Box::new(f)), self.level(h + 1)?));
                    }
                    // An attribute called "not": let binding decide.
                    self.pos = save;
                }
                self.attr_expr()
            }
        }
    }

    pub(crate) fn attr_path(&mut self) -> Result<AttrPath, String> {
        let at = self.at();
        let tok = self.token();
        if tok.is_empty() {
            return Err(self.expected("an attribute path"));
        }
        let path = split_attr_path(tok).map_err(|e| format!("{e} at position {at}"))?;
        self.pos += tok.len();
        Ok(path)
    }

    /// `"[" valFilter "]"` after `attr`, with the cursor on the `[`.
    pub(crate) fn value_filter(&mut self, attr: &AttrPath) -> Result<(Filter, usize), String> {
        if self.in_value_path {
            return Err(format!("nested value path at position {}", self.at()));
        }
        if attr.sub.is_some() {
            return Err(format!(
                "a value filter cannot follow sub-attribute '{attr}' at position {}",
                self.at()
            ));
        }
        self.pos += 1;
        self.in_value_path = true;
        let inner = self.nested(Self::or_expr);
        self.in_value_path = false;
        let (inner, h) = inner?;
        self.expect(']')?;
        Ok((inner, self.level(h + 1)?))
    }

    /// `attrPath SP "pr"`, `attrPath SP compareOp SP compValue`, or `attrPath "[" .. "]"`.
    fn attr_expr(&mut self) -> Result<(Filter, usize), String> {
        let path = self.attr_path()?;
        if self.peek() == Some('[') {
            let (inner, h) = self.value_filter(&path)?;
            return Ok((Filter::ValuePath(path, Box::new(inner)), h));
        }
        if !self.skip_ws() {
            return Err(self.expected("a space and an operator"));
        }
        let tok = self.token();
        if tok.eq_ignore_ascii_case("pr") {
            self.pos += tok.len();
            return Ok((Filter::Present(path), 0));
        }
        let Some(op) = CompareOp::parse(tok) else {
            return Err(self.expected("a comparison operator"));
        };
        self.pos += tok.len();
        if !self.skip_ws() {
            return Err(self.expected("a space and a value"));
        }
        let value = self.comp_value()?;
        Ok((Filter::Compare(path, op, value), 0))
    }

    fn comp_value(&mut self) -> Result<CompValue, String> {
        let at = self.at();
        match self.peek() {
            Some('"') => self.string_lit().map(CompValue::Str),
            Some(c) if c == '-' || c.is_ascii_digit() => {
                let tok = self.token();
                self.pos += tok.len();
                parse_number(tok)
                    .map(CompValue::Number)
                    .ok_or_else(|| format!("invalid number '{tok}' at position {at}"))
            }
            _ => {
                let tok = self.token();
                let v = match tok.to_ascii_lowercase().as_str() {
                    "true" => CompValue::Bool(true),
                    "false" => CompValue::Bool(false),
                    "null" => CompValue::Null,
                    _ => {
                        return Err(self.expected("a value (string, number, true, false or null)"));
                    }
                };
                self.pos += tok.len();
                Ok(v)
            }
        }
    }

    /// A JSON string literal (RFC 8259 §7) with the cursor on the opening quote. Raw control
    /// characters are tolerated; they print back escaped.
    fn string_lit(&mut self) -> Result<String, String> {
        let start = self.at();
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(format!("unterminated string starting at position {start}"));
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => out.push(self.escape(start)?),
                c => out.push(c),
            }
        }
    }

    /// The character of an escape sequence, the cursor just past the backslash.
    fn escape(&mut self, start: usize) -> Result<char, String> {
        let at = self.at().saturating_sub(1);
        let Some(e) = self.peek() else {
            return Err(format!("unterminated string starting at position {start}"));
        };
        self.pos += e.len_utf8();
        Ok(match e {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let hi = self.hex4(at)?;
                let code = if (0xD800..0xDC00).contains(&hi) {
                    if !(self.eat('\\') && self.eat('u')) {
                        return Err(format!("unpaired surrogate escape at position {at}"));
                    }
                    let lo = self.hex4(at)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(format!("unpaired surrogate escape at position {at}"));
                    }
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                char::from_u32(code)
                    .ok_or_else(|| format!("unpaired surrogate escape at position {at}"))?
            }
            other => return Err(format!("invalid escape '\\{other}' at position {at}")),
        })
    }

    fn hex4(&mut self, at: usize) -> Result<u32, String> {
        let digits = self
            .src
            .get(self.pos..self.pos + 4)
            .filter(|d| d.chars().all(|c| c.is_ascii_hexdigit()))
            .ok_or_else(|| format!("invalid \\u escape at position {at}"))?;
        let v = u32::from_str_radix(digits, 16)
            .map_err(|_| format!("invalid \\u escape at position {at}"))?;
        self.pos += 4;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::error::ScimType;
    use crate::scim::schema::{ENTERPRISE_USER_SCHEMA, USER_SCHEMA};

    /// The tree shape with every node explicit: `(or a (and b c))`.
    fn sexp(f: &Filter) -> String {
        match f {
            Filter::Present(p) => format!("{p}"),
            Filter::Compare(p, op, v) => format!("[{p} {op} {v}]"),
            Filter::ValuePath(p, f) => format!("{p}[{}]", sexp(f)),
            Filter::And(l, r) => format!("(and {} {})", sexp(l), sexp(r)),
            Filter::Or(l, r) => format!("(or {} {})", sexp(l), sexp(r)),
            Filter::Not(f) => format!("(not {})", sexp(f)),
        }
    }
    fn parse(s: &str) -> Filter {
        Filter::parse(s).expect(s)
    }
    fn err(s: &str) -> String {
        let e = Filter::parse(s).expect_err(s);
        assert_eq!(
            (e.scim_type, e.status),
            (Some(ScimType::InvalidFilter), 400),
            "{s}"
        );
        e.detail
    }
    fn shapes(cases: &[(&str, &str)]) {
        for (input, shape) in cases {
            assert_eq!(sexp(&parse(input)), *shape, "{input}");
        }
    }

    #[test]
    fn parses_every_operator_case_insensitively() {
        for op in CompareOp::ALL {
            let f = parse(&format!("userName {} \"x\"", op.as_str().to_uppercase()));
            assert_eq!(sexp(&f), format!("[userName {op} \"x\"]"));
            assert_eq!(CompareOp::parse(op.as_str()), Some(op));
        }
        assert_eq!(CompareOp::parse("xx"), None);
        shapes(&[
            ("title PR", "title"),
            ("x eq TRUE", "[x eq true]"),
            ("x ne False", "[x ne false]"),
        ]);
        shapes(&[
            ("x eq Null", "[x eq null]"),
            ("  a   pr  ", "a"),
            ("a\tpr\nand\r\nb pr", "(and a b)"),
        ]);
        shapes(&[
            ("(a pr)and(b pr)", "(and a b)"),
            ("  userName   eq \t \"x\" ", "[userName eq \"x\"]"),
        ]);
    }

    #[test]
    fn precedence_parentheses_and_not() {
        shapes(&[
            ("a pr or b pr and c pr", "(or a (and b c))"),
            ("a pr and b pr or c pr", "(or (and a b) c)"),
            ("a pr and b pr and c pr", "(and (and a b) c)"),
            ("a pr OR b pr Or c pr", "(or (or a b) c)"),
            ("(a pr or b pr) and c pr", "(and (or a b) c)"),
            ("a pr and (b pr and c pr)", "(and a (and b c))"),
            ("((a pr))", "a"),
            ("not (a pr or b pr)", "(not (or a b))"),
            ("NOT(a pr)", "(not a)"),
            ("c pr and not   (a pr)", "(and c (not a))"),
            // Without a parenthesis "not" is an attribute name, which binding rejects.
            ("not pr", "not"),
        ]);
    }

    #[test]
    fn value_paths_sub_attributes_and_urns() {
        shapes(&[
            (
                r#"emails[type eq "work" and value co "@x"] or ims[type eq "xmpp"]"#,
                r#"(or emails[(and [type eq "work"] [value co "@x"])] ims[[type eq "xmpp"]])"#,
            ),
            (
                r#"name.familyName co "O'Malley""#,
                r#"[name.familyName co "O'Malley"]"#,
            ),
            ("members[$ref pr]", "members[$ref]"),
        ]);
        let Filter::Compare(p, ..) = parse(&format!("{USER_SCHEMA}:name.familyName eq \"x\""))
        else {
            panic!("not a comparison")
        };
        assert_eq!(p.urn.as_deref(), Some(USER_SCHEMA));
        assert_eq!(
            (p.name.as_str(), p.sub.as_deref()),
            ("name", Some("familyName"))
        );
        let ext = "URN:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber pr";
        let Filter::Present(p) = parse(ext) else {
            panic!("not pr")
        };
        assert!(
            p.urn
                .is_some_and(|u| u.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA))
        );
        assert_eq!(p.name, "employeeNumber");
    }

    #[test]
    fn string_literals_decode_json_escapes() {
        let f = parse(r#"title eq "a \"q\" \\ \/ \b\f\n\r\t \u00e9 \ud83d\ude00 ü""#);
        let expected = CompValue::Str("a \"q\" \\ / \u{8}\u{c}\n\r\t é 😀 ü".into());
        assert!(matches!(f, Filter::Compare(_, CompareOp::Eq, v) if v == expected));
    }

    #[test]
    fn numbers_are_json_numbers() {
        let num = |s: &str| match parse(&format!("x eq {s}")) {
            Filter::Compare(_, _, CompValue::Number(n)) => n,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            (num("42").as_u64(), num("-7").as_i64()),
            (Some(42), Some(-7))
        );
        assert_eq!(
            (num("1.5").as_f64(), num("-2.5E3").as_f64()),
            (Some(1.5), Some(-2500.0))
        );
        assert_eq!(num("1e-2").as_f64(), Some(0.01));
        for bad in ["01", "1.", "-", "1e", "5abc", "1e999", "--1"] {
            assert!(
                err(&format!("x eq {bad}")).contains("invalid number"),
                "{bad}"
            );
        }
        for bad in [".5", "+1"] {
            assert!(
                err(&format!("x eq {bad}")).starts_with("expected a value"),
                "{bad}"
            );
        }
    }

    #[test]
    fn errors_name_the_character_position_and_what_was_expected() {
        let cases = [
            (
                r#"userName xx "a""#,
                "expected a comparison operator at position 9, found 'xx'",
            ),
            // Positions count characters, not bytes.
            (
                r#"title eq "é" xx"#,
                "expected 'and', 'or' or the end of the filter at position 13, found 'xx'",
            ),
            (
                "userName eq",
                "expected a space and a value at position 11, found end of input",
            ),
            (
                "userName eq bjensen",
                "expected a value (string, number, true, false or null) at position 12, found 'bjensen'",
            ),
            (
                "userName",
                "expected a space and an operator at position 8, found end of input",
            ),
            (
                "userName\"x\"",
                "expected a space and an operator at position 8, found '\"'",
            ),
            (
                "a pr or",
                "expected an attribute path, '(' or 'not' at position 7, found end of input",
            ),
            ("(a pr", "expected ')' at position 5, found end of input"),
            ("a pr)", "unbalanced ')' at position 4"),
            ("ü pr", "invalid attribute name 'ü' at position 0"),
            (
                "name.given.x pr",
                "invalid sub-attribute name 'given.x' at position 0",
            ),
            ("urn:x pr", "invalid schema URN in 'urn:x' at position 0"),
            ("   ", "empty filter"),
            (
                r#"emails[type eq "w" and x[y pr]]"#,
                "nested value path at position 24",
            ),
            (
                "name.givenName[value pr]",
                "a value filter cannot follow sub-attribute 'name.givenName' at position 14",
            ),
            (
                r#"emails[type eq "w""#,
                "expected ']' at position 18, found end of input",
            ),
            (r#"title eq "\x""#, "invalid escape '\\x' at position 10"),
            (
                r#"title eq "\ud83d""#,
                "unpaired surrogate escape at position 10",
            ),
            (
                r#"title eq "\udc00""#,
                "unpaired surrogate escape at position 10",
            ),
            (r#"title eq "\u12""#, "invalid \\u escape at position 10"),
            (
                r#"title eq "abc"#,
                "unterminated string starting at position 9",
            ),
        ];
        for (input, detail) in cases {
            assert_eq!(err(input), detail, "{input}");
        }
    }

    #[test]
    fn depth_and_length_are_limited() {
        let nest = |n: usize, open: &str| format!("{}a pr{}", open.repeat(n), ")".repeat(n));
        assert_eq!(sexp(&parse(&nest(MAX_FILTER_DEPTH, "("))), "a");
        assert!(err(&nest(MAX_FILTER_DEPTH + 1, "(")).contains("nested deeper than 32"));
        assert!(err(&nest(MAX_FILTER_DEPTH + 1, "not (")).contains("nested deeper"));
        assert!(err(&"(".repeat(MAX_FILTER_LEN)).contains("nested deeper"));
        let long = format!("userName eq \"{}\"", "x".repeat(MAX_FILTER_LEN));
        assert!(err(&long).contains("longer than 4096 bytes"));
        // A flat chain of n terms is n-1 levels deep.
        let chain = |n: usize, op: &str| vec!["a pr"; n].join(op);
        let f = parse(&chain(MAX_FILTER_DEPTH + 1, " or "));
        assert_eq!(f.to_string(), chain(MAX_FILTER_DEPTH + 1, " or "));
        assert!(err(&chain(MAX_FILTER_DEPTH + 2, " and ")).contains("nested deeper"));
        assert!(err(&chain(500, " or ")).contains("nested deeper"));
        // Levels add up across parentheses, not, value paths and operators.
        let mixed = |n: usize| {
            format!(
                "{}emails[type pr and value pr]{}",
                "not (".repeat(n),
                ")".repeat(n)
            )
        };
        assert!(Filter::parse(&mixed(MAX_FILTER_DEPTH - 2)).is_ok());
        assert!(err(&mixed(MAX_FILTER_DEPTH - 1)).contains("nested deeper"));
    }

    #[test]
    fn display_is_canonical_and_round_trips() {
        let cases = [
            (r#"userName Eq "bjensen""#, r#"userName eq "bjensen""#),
            ("a pr AND (b pr OR c pr)", "a pr and (b pr or c pr)"),
            ("(a pr and b pr) or c pr", "a pr and b pr or c pr"),
            ("a pr or (b pr or c pr)", "a pr or (b pr or c pr)"),
            ("a pr and (b pr and c pr)", "a pr and (b pr and c pr)"),
            (
                "(a pr or b pr) and (c pr or d pr)",
                "(a pr or b pr) and (c pr or d pr)",
            ),
            ("not(a pr and NOT (b pr))", "not (a pr and not (b pr))"),
            (
                r#"emails[type eq "w" and not(value ew "x")]"#,
                r#"emails[type eq "w" and not (value ew "x")]"#,
            ),
            (r#"x eq "q\"\\\u0001é\/""#, r#"x eq "q\"\\\u0001é/""#),
            (
                "x ge 1.5E2 or y eq TRUE or z ne NULL",
                "x ge 150.0 or y eq true or z ne null",
            ),
        ];
        for (input, canonical) in cases {
            let f = parse(input);
            assert_eq!(f.to_string(), canonical, "{input}");
            assert_eq!(parse(&f.to_string()), f, "{input}");
        }
    }
}
