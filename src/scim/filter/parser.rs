//! The filter parser: a hand-written recursive descent over the input with byte offsets that
//! always sit on char boundaries; error details give 0-based *character* positions. Its cursor
//! is shared with the path parsers of [`crate::scim::path`].

use super::ast::{CompValue, CompareOp, Filter};
use crate::scim::path::{AttrPath, split_attr_path};

/// Longest filter (in bytes) we parse: bounds work and AST size for hostile input.
pub const MAX_FILTER_LEN: usize = 4096;

/// Deepest nesting we parse, so that recursion over the AST (parsing, printing, binding,
/// evaluating, dropping) stays far from the stack limit even in debug builds. Every `(`, `not`,
/// value path and `and`/`or` operator is a level; a flat chain of n terms is n-1 levels deep
/// (chains are left-associative trees), so up to 33 `or`-ed terms are accepted.
pub const MAX_FILTER_DEPTH: usize = 32;

/// Parses a whole filter; the error is the detail of an `invalidFilter`.
pub(super) fn parse_filter(input: &str) -> Result<Filter, String> {
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

/// A cursor over the input, shared with the path parsers of [`crate::scim::path`]. `pos` is a byte
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
