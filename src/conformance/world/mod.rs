//! The cucumber World: one per scenario. It holds the run's shared context (client, target,
//! discovery), the names it made unique, the resources it created (so the `after` hook deletes
//! them even when a step failed) and the last exchange (for failure messages).
//!
//! Scenario data is the suite's own business, isolated by construction, so scenarios can run
//! concurrently against a shared external target that may hold any value unique (RFC 7643
//! lets a provider add uniqueness) and may keep the values of deleted users reserved:
//! - every scenario draws a random numeric suffix, unique per run and per scenario;
//! - userNames look like email addresses, as the identity provider's UPN-mapped ones do:
//!   `ann` becomes `ann.<suffix>@example.com`;
//! - every email a feature writes (`ann@home.example`) becomes `ann.<suffix>@home.example`, in
//!   request bodies, in filters and in the values checked;
//! - user displayNames and group names end with the suffix; every resource carries an
//!   `externalId` starting with `sh<suffix>-`.
//!
//! Searches are scoped on the client side: the filter a feature wrote is sent as written (in
//! the server's names), and only the scenario's own resources are counted among the results,
//! so no scenario depends on `and`, parentheses or `sw` unless it tests them.

pub mod adc;
pub mod provisioning;
pub mod usersync;
pub mod verification;

use super::assert::{Exchange, Failure};
use super::target::RunContext;
use crate::client::{ScimResponse, encode};
use crate::scim::schema::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// A resource the scenario created, by the name the feature gave it.
#[derive(Debug, Clone)]
pub struct Created {
    pub id: String,
    /// The unique value the server knows (userName or displayName).
    pub real_name: String,
}

/// State of one scenario.
#[derive(Debug, Default, cucumber::World)]
pub struct ScimWorld {
    pub(crate) ctx: Option<Arc<RunContext>>,
    /// Digits making this scenario's names unique.
    pub suffix: String,
    pub users: HashMap<String, Created>,
    pub groups: HashMap<String, Created>,
    /// (endpoint, id) of everything created, deleted in reverse order after the scenario.
    pub cleanup: Vec<(String, String)>,
    pub last: Option<Exchange>,
    pub last_response: Option<ScimResponse>,
    /// Pages read by a paging step.
    pub pages: Vec<Value>,
    /// Paging a target that cannot filter: how many of its users are not the scenario's.
    pub page_offset: Option<u64>,
    /// An ETag remembered by a step.
    pub etag: Option<String>,
    /// The mock identity provider's scenario state (features/provisioning).
    pub provisioning: Option<Box<provisioning::ProvisioningScenario>>,
    /// What a User Sync scenario changed on the target (undone by `clean_up`) and measured.
    pub usersync: usersync::SyncState,
    /// The directory connector's scenario state (features/usersync/directory-connector).
    pub adc: Option<Box<adc::AdcScenario>>,
    /// Requests that failed in transit or with a 5xx and succeeded when sent once more.
    pub flaky: Vec<String>,
    /// Domain verification: the run's fake servers and the codes the target issued.
    pub verification: verification::VerificationState,
}

impl ScimWorld {
    /// Prepares the world for a scenario (called by the `before` hook).
    pub fn start(&mut self, ctx: Arc<RunContext>) {
        self.ctx = Some(ctx);
        self.suffix = format!("{:08}", uuid::Uuid::new_v4().as_u128() % 100_000_000);
    }

    /// The run context. Absent only if the hook did not run: a defect of the suite.
    pub fn ctx(&self) -> Result<Arc<RunContext>, Failure> {
        self.ctx
            .clone()
            .ok_or_else(|| Failure::suite("the scenario has no run context"))
    }

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

    /// A user created by this scenario.
    pub fn user(&self, name: &str) -> Result<Created, Failure> {
        self.users
            .get(name)
            .cloned()
            .ok_or_else(|| Failure::suite(format!("the scenario has no user \"{name}\"")))
    }

    /// A group created by this scenario.
    pub fn group(&self, name: &str) -> Result<Created, Failure> {
        self.groups
            .get(name)
            .cloned()
            .ok_or_else(|| Failure::suite(format!("the scenario has no group \"{name}\"")))
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

    /// Sends a request through the SCIM client and records the exchange.
    pub async fn call(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<ScimResponse, Failure> {
        let ctx = self.ctx()?;
        let mut result = ctx.client.send(method.clone(), path, body, headers).await;
        // A transport error or a 5xx is sent once more, after the first answer: a weak server
        // under the suite's load is not the finding the scenario is about. What only passed
        // the second time is marked flaky in the report.
        let first_failed = match &result {
            Err(e) => Some(e.to_string()),
            Ok(r) if r.status >= 500 => Some(format!("status {}", r.status)),
            Ok(_) => None,
        };
        if let Some(why) = first_failed {
            let again = ctx.client.send(method.clone(), path, body, headers).await;
            if matches!(&again, Ok(r) if r.status < 500) {
                self.flaky.push(format!(
                    "{method} {}: {}, then answered when sent again",
                    ctx.client.url(path),
                    ctx.redact(&why)
                ));
            }
            result = again;
        }
        let mut x = Exchange {
            method: method.to_string(),
            url: ctx.client.url(path),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), ctx.redact(v)))
                .collect(),
            body: body.map(|b| ctx.redact(&b.to_string())),
            ..Default::default()
        };
        match result {
            Ok(r) => {
                x.status = r.status;
                for (k, v) in [
                    ("Content-Type", &r.content_type),
                    ("ETag", &r.etag),
                    ("Location", &r.location),
                ] {
                    if let Some(v) = v {
                        x.response_headers.push((k.into(), ctx.redact(v)));
                    }
                }
                x.response = ctx.redact(&r.raw);
                self.last = Some(x);
                self.last_response = Some(r.clone());
                Ok(r)
            }
            Err(e) => {
                x.response = ctx.redact(&format!("(no response: {e})"));
                self.last = Some(x.clone());
                self.last_response = None;
                Err(Failure::new(
                    "transport",
                    "the target answers the request",
                    "an HTTP response",
                    ctx.redact(&e.to_string()),
                )
                .with(Some(&x)))
            }
        }
    }

    /// Sends raw bytes with an explicit content type and optional token override
    /// (`Some("")` sends no Authorization header), recording the exchange.
    pub async fn call_raw(
        &mut self,
        method: Method,
        path: &str,
        body: Option<(String, &str)>,
        token: Option<&str>,
    ) -> Result<ScimResponse, Failure> {
        let ctx = self.ctx()?;
        let url = ctx.client.url(path);
        let mut req = ctx
            .raw
            .request(method.clone(), &url)
            .header("accept", "application/scim+json");
        let mut x = Exchange {
            method: method.to_string(),
            url: url.clone(),
            ..Default::default()
        };
        match token {
            Some("") => x.headers.push(("Authorization".into(), "(none)".into())),
            Some(t) => {
                req = req.bearer_auth(t);
                x.headers
                    .push(("Authorization".into(), "Bearer (a wrong token)".into()));
            }
            None => {
                if let Some(t) = &ctx.token {
                    req = req.bearer_auth(t);
                }
            }
        }
        if let Some((b, ct)) = body {
            x.headers.push(("Content-Type".into(), ct.to_string()));
            x.body = Some(ctx.redact(&b));
            req = req.header("content-type", ct).body(b);
        }
        // Sent once more after a transport error or a 5xx, as `call` does.
        let again = req.try_clone();
        let mut resp = req.send().await;
        let first_failed = match &resp {
            Err(e) => Some(e.to_string()),
            Ok(r) if r.status().is_server_error() => Some(format!("status {}", r.status())),
            Ok(_) => None,
        };
        if let (Some(why), Some(again)) = (first_failed, again) {
            resp = again.send().await;
            if matches!(&resp, Ok(r) if !r.status().is_server_error()) {
                self.flaky.push(format!(
                    "{method} {url}: {}, then answered when sent again",
                    ctx.redact(&why)
                ));
            }
        }
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                x.response = format!("(no response: {e})");
                self.last = Some(x.clone());
                return Err(Failure::new(
                    "transport",
                    "the target answers the request",
                    "an HTTP response",
                    ctx.redact(&e.to_string()),
                )
                .with(Some(&x)));
            }
        };
        let status = resp.status().as_u16();
        let h = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (etag, location, content_type) = (h("etag"), h("location"), h("content-type"));
        let raw = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
        x.status = status;
        if let Some(ct) = &content_type {
            x.response_headers.push(("Content-Type".into(), ct.clone()));
        }
        x.response = ctx.redact(&raw);
        self.last = Some(x);
        let r = ScimResponse {
            status,
            etag,
            location,
            content_type,
            body,
            raw,
        };
        self.last_response = Some(r.clone());
        Ok(r)
    }

    /// The last response, or a suite failure when no request was made.
    pub fn response(&self) -> Result<&ScimResponse, Failure> {
        self.last_response
            .as_ref()
            .ok_or_else(|| Failure::suite("no request was made before this step"))
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

    /// POSTs a user body, whatever the answer, and deletes what it created after the scenario.
    pub async fn post_user(&mut self, body: &Value) -> Result<ScimResponse, Failure> {
        let r = self.call(Method::POST, "/Users", Some(body), &[]).await?;
        if let Some(id) = r.body.get("id").and_then(Value::as_str) {
            self.cleanup.push(("Users".into(), id.to_string()));
        }
        Ok(r)
    }

    /// Creates a user from a body and remembers it under `name`; 201 is required.
    pub async fn create_user(&mut self, name: &str, body: &Value) -> Result<Created, Failure> {
        let r = self.call(Method::POST, "/Users", Some(body), &[]).await?;
        let id = r.body.get("id").and_then(Value::as_str).map(str::to_string);
        match (r.status, id) {
            (201, Some(id)) => {
                let c = Created {
                    id: id.clone(),
                    real_name: self.user_name(name),
                };
                self.cleanup.push(("Users".into(), id));
                self.users.insert(name.to_string(), c.clone());
                Ok(c)
            }
            (s, _) => Err(Failure::new(
                "RFC 7644 §3.3",
                format!("creating user \"{name}\" answers 201 Created with an id"),
                "201 with \"id\"",
                s,
            )
            .with(self.last.as_ref())),
        }
    }

    /// Creates a group with the given member ids and remembers it under `name`.
    pub async fn create_group(
        &mut self,
        name: &str,
        members: &[String],
    ) -> Result<Created, Failure> {
        let members: Vec<Value> = members.iter().map(|id| json!({"value": id})).collect();
        let body = json!({
            "schemas": [GROUP_SCHEMA],
            "displayName": self.group_name(name),
            "externalId": self.external_id(&format!("group-{name}")),
            "members": members,
        });
        let r = self.call(Method::POST, "/Groups", Some(&body), &[]).await?;
        let id = r.body.get("id").and_then(Value::as_str).map(str::to_string);
        match (r.status, id) {
            (201, Some(id)) => {
                let c = Created {
                    id: id.clone(),
                    real_name: self.group_name(name),
                };
                self.cleanup.push(("Groups".into(), id));
                self.groups.insert(name.to_string(), c.clone());
                Ok(c)
            }
            (s, _) => Err(Failure::new(
                "RFC 7644 §3.3",
                format!("creating group \"{name}\" answers 201 Created with an id"),
                "201 with \"id\"",
                s,
            )
            .with(self.last.as_ref())),
        }
    }

    /// Reads a resource by endpoint and id; returns the response (any status).
    pub async fn read(&mut self, endpoint: &str, id: &str) -> Result<ScimResponse, Failure> {
        self.call(Method::GET, &format!("/{endpoint}/{id}"), None, &[])
            .await
    }

    /// GET `/Users` with `filter` as the feature wrote it (in the server's names), plus extra
    /// parameters. Without a filter, the scenario's own users are selected with `userName eq`
    /// clauses joined by `or`, the simplest filter there is. The scenario's own resources are
    /// picked out of the results on the client side (see [`ScimWorld::own`]); when the filter
    /// also matches other data and the answer is paged, further pages are read (at most
    /// [`MAX_SCOPE_PAGES`]) and their resources are added to the last response.
    pub async fn search_users(
        &mut self,
        filter: Option<&str>,
        extra: &str,
    ) -> Result<ScimResponse, Failure> {
        let filter = match filter {
            Some(f) => self.rewrite_filter(f),
            None => self.own_users_clause(),
        };
        // Large pages, so other data matching a broad filter rarely pushes the scenario's own
        // resources onto later pages (a list that changes between pages may skip some).
        let paged = extra.contains("startIndex") || extra.contains("count=");
        let page_size = self
            .ctx()?
            .discovery
            .filter_max_results
            .unwrap_or(SCOPE_PAGE_SIZE)
            .min(SCOPE_PAGE_SIZE);
        let extra = if paged {
            extra.to_string()
        } else {
            format!("{extra}&count={page_size}")
        };
        let path = format!("/Users?filter={}{extra}", encode(&filter));
        let first = self.call(Method::GET, &path, None, &[]).await?;
        if paged || first.status != 200 {
            return Ok(first);
        }
        let mut merged = first.clone();
        let total = first
            .body
            .get("totalResults")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let mut seen = resources(&first.body).len() as u64;
        let mut pages = 1;
        while seen < total && pages < MAX_SCOPE_PAGES && !self.all_own_in(&merged.body) {
            let next = format!("{path}&startIndex={}", seen + 1);
            let r = self.call(Method::GET, &next, None, &[]).await?;
            let more = resources(&r.body);
            if r.status != 200 || more.is_empty() {
                break;
            }
            seen += more.len() as u64;
            pages += 1;
            if let Some(list) = merged
                .body
                .get_mut("Resources")
                .and_then(Value::as_array_mut)
            {
                list.extend(more);
            }
        }
        self.last_response = Some(merged.clone());
        Ok(merged)
    }

    /// `userName eq "…" or userName eq "…"` over the scenario's users.
    pub fn own_users_clause(&self) -> String {
        let mut names: Vec<&String> = self.users.values().map(|u| &u.real_name).collect();
        names.sort();
        if names.is_empty() {
            return format!("userName eq \"{}\"", self.user_name("nobody"));
        }
        names
            .iter()
            .map(|n| format!("userName eq \"{n}\""))
            .collect::<Vec<_>>()
            .join(" or ")
    }

    /// The resources of a list that this scenario created, in the order listed.
    pub fn own(&self, list: &[Value]) -> Vec<Value> {
        let ids: std::collections::HashSet<&str> = self
            .users
            .values()
            .chain(self.groups.values())
            .map(|c| c.id.as_str())
            .collect();
        list.iter()
            .filter(|r| {
                r.get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|i| ids.contains(i))
            })
            .cloned()
            .collect()
    }

    fn all_own_in(&self, body: &Value) -> bool {
        self.own(&resources(body)).len() >= self.users.len()
    }

    /// Deletes everything the scenario created, groups first; errors are ignored because the
    /// scenario may have deleted some of it itself.
    pub async fn clean_up(&mut self) {
        let Ok(ctx) = self.ctx() else { return };
        usersync::clean_up(&ctx, &mut self.usersync).await;
        let mut items = std::mem::take(&mut self.cleanup);
        items.sort_by_key(|(endpoint, _)| endpoint != "Groups");
        let deletes = items
            .iter()
            .map(|(endpoint, id)| ctx.client.delete_path(endpoint, id));
        futures::future::join_all(deletes).await;
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

/// The page size a scoped search asks for (capped by the target's filter.maxResults).
pub const SCOPE_PAGE_SIZE: u64 = 500;

/// Most pages a scoped search reads to find the scenario's own resources among other data.
pub const MAX_SCOPE_PAGES: usize = 20;

fn resources(body: &Value) -> Vec<Value> {
    body.get("Resources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The enterprise extension URN, re-exported for steps.
pub const ENTERPRISE: &str = ENTERPRISE_USER_SCHEMA;

/// Deleting by endpoint and id, used only by clean-up.
trait DeletePath {
    async fn delete_path(&self, endpoint: &str, id: &str);
}

impl DeletePath for crate::client::ScimClient {
    /// Sent once more after a transport error or a 5xx: data left behind would crowd the
    /// searches of later scenarios.
    async fn delete_path(&self, endpoint: &str, id: &str) {
        let path = format!("/{endpoint}/{id}");
        let failed = match self.delete(&path).await {
            Ok(r) => r.status >= 500,
            Err(_) => true,
        };
        if failed {
            let _ = self.delete(&path).await;
        }
    }
}
