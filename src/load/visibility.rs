//! How `entitlements-e2e` learns that a change became *visible* on the user.
//!
//! An entitlement counts when a reader can see it, not when the write returns: with User Sync a
//! membership change is applied asynchronously by the rule engine. Two strategies fit behind one
//! trait:
//! - **polling** (works against any SCIM service): `GET /Users/{id}?attributes=entitlements`
//!   until the entitlement is there, every `poll_interval`, bounded by a deadline;
//! - **applied-sequence wait** of the User Sync admin API
//!   (`GET /admin/v1/usersync/sequence/wait`): block until the engine has applied everything
//!   enqueued so far, which includes the operation's own membership change. It is used when the
//!   target serves that API, and the scenario then sends directory-group membership changes that
//!   User Sync rules turn into entitlements; otherwise the scenario PATCHes entitlements directly
//!   and polls. The report states which strategy produced the figures.

use super::http::Target;
use super::metrics::OpStatus;
use crate::client::admin;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where `choose` looks for the User Sync admin API's applied sequence
/// (`openapi/usersync-admin.json`).
pub const APPLIED_SEQUENCE_PROBE: &str = admin::path::SEQUENCE;

/// The result of one wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitOutcome {
    /// Seen after `reads` reads.
    Visible { reads: u32 },
    /// Still not visible at the deadline.
    NotVisible,
    /// A read failed (HTTP error or transport).
    Failed(OpStatus),
}

/// A boxed future, so strategies can be chosen at run time.
pub type WaitFuture<'a> = Pin<Box<dyn Future<Output = WaitOutcome> + Send + 'a>>;

/// A way to wait until change number `seq` is visible on user `user_id`.
pub trait VisibilityWait: Send + Sync {
    /// Waits until an entitlement written by change `seq` (or a later change to the same user,
    /// which supersedes it) is visible, or `deadline` passes.
    fn wait<'a>(
        &'a self,
        lane: usize,
        user_id: &'a str,
        seq: u64,
        deadline: Instant,
    ) -> WaitFuture<'a>;
    /// One line for the report: which strategy and why.
    fn describe(&self) -> String;
}

/// The value of the `e`-th entitlement granted by change `seq`: the change number is encoded so
/// a reader can tell which change it sees.
pub fn entitlement_value(seq: u64, e: usize) -> String {
    format!("product-{seq}.{e}")
}

/// The highest change number among a user's entitlements in a SCIM User (or projection) body.
pub fn latest_change(user: &serde_json::Value) -> Option<u64> {
    user.get("entitlements")?
        .as_array()?
        .iter()
        .filter_map(|e| e.get("value")?.as_str())
        .filter_map(|v| v.strip_prefix("product-")?.split('.').next()?.parse().ok())
        .max()
}

/// Bounded polling of `GET /Users/{id}?attributes=entitlements`.
#[derive(Debug)]
pub struct Polling {
    target: Target,
    interval: Duration,
    reason: String,
}

impl Polling {
    /// Polls `target` every `interval`; `reason` says why polling was chosen.
    pub fn new(target: Target, interval: Duration, reason: String) -> Polling {
        Polling {
            target,
            interval,
            reason,
        }
    }
}

impl VisibilityWait for Polling {
    fn wait<'a>(
        &'a self,
        lane: usize,
        user_id: &'a str,
        seq: u64,
        deadline: Instant,
    ) -> WaitFuture<'a> {
        Box::pin(async move {
            let path = format!("/Users/{user_id}?attributes=entitlements");
            let mut reads = 0u32;
            loop {
                reads += 1;
                match self.target.get(lane, &path).await {
                    Ok(r) if (200..300).contains(&r.status) => {
                        if latest_change(&r.json()).is_some_and(|c| c >= seq) {
                            return WaitOutcome::Visible { reads };
                        }
                    }
                    Ok(r) => return WaitOutcome::Failed(OpStatus::Http(r.status)),
                    Err(t) => return WaitOutcome::Failed(OpStatus::Transport(t)),
                }
                let next = Instant::now() + self.interval;
                if next >= deadline {
                    return WaitOutcome::NotVisible;
                }
                tokio::time::sleep_until(next.into()).await;
            }
        })
    }

    fn describe(&self) -> String {
        format!(
            "bounded polling of GET /Users/{{id}}?attributes=entitlements every {} ms: {}",
            self.interval.as_millis(),
            self.reason
        )
    }
}

/// The User Sync admin API's long-poll: answers once everything enqueued at the time of the call
/// (the caller's own change included, since the engine enqueues on commit) has been applied.
#[derive(Debug)]
pub struct AppliedSequence {
    target: Target,
}

impl VisibilityWait for AppliedSequence {
    fn wait<'a>(
        &'a self,
        lane: usize,
        _user_id: &'a str,
        _seq: u64,
        deadline: Instant,
    ) -> WaitFuture<'a> {
        Box::pin(async move {
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return WaitOutcome::NotVisible;
                }
                let path =
                    admin::path::sequence_wait(None, left.as_millis().clamp(1, 30_000) as u64);
                match self.target.get(lane, &path).await {
                    Ok(r) if (200..300).contains(&r.status) => {
                        if r.json().get("reached").and_then(serde_json::Value::as_bool)
                            == Some(true)
                        {
                            return WaitOutcome::Visible { reads: 1 };
                        }
                    }
                    Ok(r) => return WaitOutcome::Failed(OpStatus::Http(r.status)),
                    Err(t) => return WaitOutcome::Failed(OpStatus::Transport(t)),
                }
            }
        })
    }

    fn describe(&self) -> String {
        "the User Sync admin API's applied-sequence wait (GET /admin/v1/usersync/sequence/wait) \
         after each directory-group membership change"
            .into()
    }
}

/// What `choose` found and picked.
pub struct Choice {
    pub wait: Arc<dyn VisibilityWait>,
    /// The target serves the User Sync admin API's applied sequence.
    pub admin_api: bool,
}

/// Picks the visibility strategy for `target`: the applied-sequence wait where the target
/// serves the User Sync admin API (the scenario then drives rules), bounded polling elsewhere.
pub async fn choose(target: &Target, poll_interval: Duration) -> Choice {
    let reason = match target.get(0, APPLIED_SEQUENCE_PROBE).await {
        Ok(r) if (200..300).contains(&r.status) => {
            return Choice {
                wait: Arc::new(AppliedSequence {
                    target: target.clone(),
                }),
                admin_api: true,
            };
        }
        Ok(r) => format!(
            "no User Sync admin API on the target ({APPLIED_SEQUENCE_PROBE} answered HTTP {})",
            r.status
        ),
        Err(e) => format!("probing {APPLIED_SEQUENCE_PROBE} failed ({e:?})"),
    };
    Choice {
        wait: Arc::new(Polling::new(target.clone(), poll_interval, reason)),
        admin_api: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_latest_change_number() {
        let u = serde_json::json!({"entitlements": [
            {"value": entitlement_value(7, 0)}, {"value": entitlement_value(12, 1)}, {"value": "other"}
        ]});
        assert_eq!(latest_change(&u), Some(12));
        assert_eq!(latest_change(&serde_json::json!({"id": "x"})), None);
    }
}
