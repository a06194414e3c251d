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
mod names;
pub mod provisioning;
mod search;
pub mod usersync;
pub mod verification;

pub use search::{MAX_SCOPE_PAGES, SCOPE_PAGE_SIZE};

use super::assert::{Exchange, Failure};
use super::target::RunContext;
use crate::client::ScimResponse;
use crate::scim::schema::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA};
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
                self.note_flaky(&method, &ctx.client.url(path), &ctx.redact(&why));
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
            None => match ctx.connection.authorization().await {
                Ok(Some(a)) => req = req.header(reqwest::header::AUTHORIZATION, a),
                Ok(None) => {}
                Err(e) => {
                    return Err(Failure::new(
                        "transport",
                        "the run obtains credentials for the target",
                        "an access token",
                        ctx.redact(&e.to_string()),
                    ));
                }
            },
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
                self.note_flaky(&method, &url, &ctx.redact(&why));
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

    /// Records a request that failed (`why`, already redacted) and answered when sent again.
    fn note_flaky(&mut self, method: &Method, url: &str, why: &str) {
        self.flaky.push(format!(
            "{method} {url}: {why}, then answered when sent again"
        ));
    }

    /// The last response, or a suite failure when no request was made.
    pub fn response(&self) -> Result<&ScimResponse, Failure> {
        self.last_response
            .as_ref()
            .ok_or_else(|| Failure::suite("no request was made before this step"))
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
