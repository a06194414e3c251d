//! The cucumber World: one per scenario. It holds the run's shared context (client, target,
//! discovery), the names it made unique, the resources it created (so the `after` hook deletes
//! them even when a step failed) and the last exchange (for failure messages).
//!
//! Scenario data is isolated by construction, so scenarios can run concurrently and against a
//! shared external target: every scenario draws a random numeric suffix; user names become
//! `<name>.<suffix>`, group names `<name> <suffix>`, and every resource it creates carries an
//! `externalId` starting with `sh<suffix>-`. Searches a scenario makes are scoped with
//! `externalId sw "sh<suffix>-"`, so "exactly 1 user is found" counts only its own data. The
//! suffix is digits only, so changing the case of a name in a filter changes only the part the
//! scenario wrote.

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
    /// An ETag remembered by a step.
    pub etag: Option<String>,
    /// The mock identity provider's scenario state (features/provisioning).
    pub provisioning: Option<Box<super::steps::provisioning::ProvisioningScenario>>,
    /// What a User Sync scenario changed on the target (undone by `clean_up`) and measured.
    pub usersync: super::steps::usersync::SyncState,
    /// The directory connector's scenario state (features/usersync/directory-connector).
    pub adc: Option<Box<super::steps::directory_connector::AdcScenario>>,
    /// Domain verification: the run's fake servers and the codes the target issued.
    pub verification: super::steps::verification::VerificationState,
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

    /// The filter clause selecting only this scenario's resources.
    pub fn scope_clause(&self) -> String {
        format!("externalId sw \"{}\"", self.scope_prefix())
    }

    pub fn user_name(&self, name: &str) -> String {
        format!("{name}.{}", self.suffix)
    }
    pub fn group_name(&self, name: &str) -> String {
        format!("{name} {}", self.suffix)
    }
    pub fn external_id(&self, name: &str) -> String {
        format!("{}{name}", self.scope_prefix())
    }

    /// The feature's name for a user the server returned (its userName without the suffix).
    pub fn user_alias(&self, user_name: &str) -> String {
        let tail = format!(".{}", self.suffix);
        match user_name.len().checked_sub(tail.len()) {
            Some(cut) if user_name.is_char_boundary(cut) && user_name[cut..] == tail => {
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
        let result = ctx.client.send(method.clone(), path, body, headers).await;
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
        let mut req = ctx.raw.request(method.clone(), &url);
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
        let resp = req.send().await;
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
        let mut body = json!({
            "schemas": [USER_SCHEMA],
            "userName": self.user_name(name),
            "externalId": self.external_id(name),
            "name": {"givenName": given, "familyName": "Tester"},
            "displayName": format!("{given} Tester"),
            "active": true,
        });
        if let (Some(e), Some(o)) = (email, body.as_object_mut()) {
            o.insert(
                "emails".into(),
                json!([{"value": e, "type": "work", "primary": true}]),
            );
        }
        body
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

    /// GET `/Users` with this scenario's scope AND-ed to `filter` (if any) plus extra params.
    pub async fn search_users(
        &mut self,
        filter: Option<&str>,
        extra: &str,
    ) -> Result<ScimResponse, Failure> {
        let scoped = match filter {
            Some(f) => format!("({}) and {}", self.rewrite_filter(f), self.scope_clause()),
            None => self.scope_clause(),
        };
        let path = format!("/Users?filter={}{extra}", encode(&scoped));
        self.call(Method::GET, &path, None, &[]).await
    }

    /// Deletes everything the scenario created, groups first; errors are ignored because the
    /// scenario may have deleted some of it itself.
    pub async fn clean_up(&mut self) {
        let Ok(ctx) = self.ctx() else { return };
        super::steps::usersync::clean_up(&ctx, &mut self.usersync).await;
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

/// The enterprise extension URN, re-exported for steps.
pub const ENTERPRISE: &str = ENTERPRISE_USER_SCHEMA;

/// Deleting by endpoint and id, used only by clean-up.
trait DeletePath {
    async fn delete_path(&self, endpoint: &str, id: &str);
}

impl DeletePath for crate::client::ScimClient {
    async fn delete_path(&self, endpoint: &str, id: &str) {
        let _ = self.delete(&format!("/{endpoint}/{id}")).await;
    }
}
