//! The suite's own test data, unique per run and per scenario (see the World's module): the
//! names, emails and displayNames a scenario sends, the rewrites of what a feature wrote into
//! them, and user bodies fitted to the target's published schema.

use super::ScimWorld;
use crate::conformance::assert::Failure;
use crate::scim::schema::USER_SCHEMA;
use serde_json::{Value, json};

impl ScimWorld {
    /// The `externalId` prefix of this scenario's resources.
    pub fn scope_prefix(&self) -> String {
        format!("sh{}-", self.suffix)
    }

    /// The unique local part for a feature's name: `ann.<suffix>`.
    pub fn local_name(&self, name: &str) -> String {
        format!("{name}.{}", self.suffix)
    }

    /// The userName for a feature's name, shaped like an email address.
    pub fn user_name(&self, name: &str) -> String {
        format!("{}@example.com", self.local_name(name))
    }

    /// A user's unique displayName.
    pub fn display_name(&self, display: &str) -> String {
        if display.ends_with(&self.suffix) {
            display.to_string()
        } else {
            format!("{display} {}", self.suffix)
        }
    }

    /// An email a feature wrote, made unique: `ann@x.example` becomes `ann.<suffix>@x.example`.
    pub fn email(&self, email: &str) -> String {
        match email.split_once('@') {
            Some((local, domain)) if !local.ends_with(&self.suffix) => {
                format!("{local}.{}@{domain}", self.suffix)
            }
            _ => email.to_string(),
        }
    }

    /// Every email address in a text (a request body from a feature) made unique.
    pub fn unique_emails(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 32);
        let mut word = String::new();
        let is_part =
            |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '@');
        let flush = |word: &mut String, out: &mut String| {
            let looks = word.matches('@').count() == 1
                && word
                    .split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'));
            if looks {
                out.push_str(&self.email(word));
            } else {
                out.push_str(word);
            }
            word.clear();
        };
        for c in text.chars() {
            if is_part(c) {
                word.push(c);
            } else {
                flush(&mut word, &mut out);
                out.push(c);
            }
        }
        flush(&mut word, &mut out);
        out
    }

    /// The value a step should expect where a feature wrote `want` for `path`: emails and user
    /// displayNames are the unique forms the scenario sent.
    pub fn expected_value(&self, path: &str, want: &str) -> String {
        let p = path.to_ascii_lowercase();
        if p.contains("email") || want.contains('@') {
            self.unique_emails(want)
        } else if p == "displayname" && !want.is_empty() {
            self.display_name(want)
        } else {
            want.to_string()
        }
    }

    pub fn group_name(&self, name: &str) -> String {
        format!("{name} {}", self.suffix)
    }

    pub fn external_id(&self, name: &str) -> String {
        format!("{}{name}", self.scope_prefix())
    }

    /// The feature's name for a user the server returned (its userName without the suffix).
    pub fn user_alias(&self, user_name: &str) -> String {
        let tail = format!(".{}@example.com", self.suffix);
        match user_name.len().checked_sub(tail.len()) {
            Some(cut)
                if user_name.is_char_boundary(cut)
                    && user_name[cut..].eq_ignore_ascii_case(&tail) =>
            {
                user_name[..cut].to_string()
            }
            _ => user_name.to_string(),
        }
    }

    /// Rewrites a filter written in the feature's names into the server's names: a quoted
    /// literal equal (ignoring case) to a user, group or externalId the scenario made is
    /// replaced by the unique value, keeping the case it was written in.
    pub fn rewrite_filter(&self, filter: &str) -> String {
        let mut out = String::with_capacity(filter.len() + 32);
        let mut rest = filter;
        while let Some(start) = rest.find('"') {
            out.push_str(&rest[..=start]);
            rest = &rest[start + 1..];
            // The literal ends at the next unescaped quote.
            let mut end = None;
            let mut escaped = false;
            for (i, c) in rest.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            let Some(end) = end else {
                out.push_str(rest);
                return out;
            };
            let lit = &rest[..end];
            let attr = attribute_before(&out);
            out.push_str(&self.rewrite_literal(&attr, lit));
            out.push('"');
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// Only the attributes the scenario made unique are rewritten: `userName`, `externalId`
    /// and a group's `displayName`; `name.givenName eq "Bob"` stays as written.
    fn rewrite_literal(&self, attr: &str, lit: &str) -> String {
        let lower = lit.to_lowercase();
        let is = |name: &str| attr.ends_with(name);
        if is("username") && self.users.contains_key(&lower) {
            return self.user_name(lit);
        }
        if is("displayname") && self.groups.keys().any(|g| g.to_lowercase() == lower) {
            return self.group_name(lit);
        }
        if is("externalid")
            && let Some(rest) = lower.strip_prefix("ext-")
            && self.users.contains_key(rest)
        {
            return self.external_id(lit);
        }
        if attr.contains("email") || attr == "value" {
            return self.unique_emails(lit);
        }
        lit.to_string()
    }

    /// Replaces `{id of NAME}` placeholders (the id of a user or group the scenario made) and
    /// `{group name NAME}` (the unique displayName for NAME) in a request body from a feature.
    pub fn fill_ids(&self, text: &str) -> Result<String, Failure> {
        let mut text = text.to_string();
        while let Some(start) = text.find("{group name ") {
            let end = text[start..]
                .find('}')
                .map(|e| start + e)
                .ok_or_else(|| Failure::suite("unclosed {group name ...} placeholder"))?;
            let name = self.group_name(text[start + 12..end].trim());
            text.replace_range(start..=end, &name);
        }
        let text = self.unique_emails(&text);
        let text = text.as_str();
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("{id of ") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 7..];
            let end = after
                .find('}')
                .ok_or_else(|| Failure::suite("unclosed {id of ...} placeholder"))?;
            let name = after[..end].trim().trim_matches('"');
            let id = match self.users.get(name) {
                Some(u) => u.id.clone(),
                None => self.group(name)?.id,
            };
            out.push_str(&id);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// The JSON body of a new user, named as the feature names it.
    pub fn user_body(&self, name: &str, email: Option<&str>) -> Value {
        let mut given = name.chars();
        let given = match given.next() {
            Some(c) => c.to_uppercase().chain(given).collect::<String>(),
            None => String::new(),
        };
        // Some servers require an email (or a userName that is one): every user has one.
        let email = match email {
            Some(e) => self.email(e),
            None => self.user_name(name),
        };
        let mut body = json!({
            "schemas": [USER_SCHEMA],
            "userName": self.user_name(name),
            "externalId": self.external_id(name),
            "name": {"givenName": given, "familyName": "Tester"},
            "displayName": self.display_name(&format!("{given} Tester")),
            "active": true,
            "emails": [{"value": email, "type": "work", "primary": true}],
        });
        self.shape(&mut body);
        body
    }

    /// Fits a user body to the target's published schema (see `conformance::schema`).
    pub fn shape(&self, body: &mut Value) {
        if let Some(ctx) = &self.ctx {
            ctx.schema.shape_user(body, &self.suffix);
        }
    }

    /// Not applicable when the target's schema does not declare the attribute path.
    pub fn applicable(&self, path: &str) -> Result<(), Failure> {
        match self.ctx.as_ref().and_then(|c| c.schema.lacks(path)) {
            None => Ok(()),
            Some(missing) => Err(Failure::not_applicable(format!(
                "the target's /Schemas does not declare {missing}"
            ))),
        }
    }
}

/// The attribute path (lowercased) of the comparison whose quoted value starts at the end of
/// `text`: in `... name.givenName ge "` it is `name.givenname`.
fn attribute_before(text: &str) -> String {
    let mut tokens = text.trim_end_matches('"').split_whitespace().rev();
    let _operator = tokens.next();
    tokens
        .next()
        .unwrap_or("")
        .trim_start_matches(['(', '['])
        .rsplit(['[', '('])
        .next()
        .unwrap_or("")
        .to_lowercase()
}
