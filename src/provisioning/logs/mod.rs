//! Provisioning logs (E-LOG-01): one record per object and action, with the result, the
//! reason, the HTTP status of the SCIM exchange and, when it failed, the request and the
//! target's answer; written out in Microsoft Graph's shape by [`graph`], or in Okta's
//! System Log shape by [`okta`]. And the progress
//! figure of the running cycle (objects done / total), readable while the cycle runs.

pub mod graph;
pub mod okta;

use crate::provisioning::exchange::{Failure, TargetAnswer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The object a record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
pub enum ObjectKind {
    User,
    Group,
}

/// What the provider did (or would have done) to the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Action {
    Create,
    Update,
    Disable,
    /// Okta's reactivation of a user it had deactivated.
    Reactivate,
    Delete,
    /// Memberships of a group (the references phase).
    Members,
    /// A user's manager reference (the references phase).
    Manager,
    Skip,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "Create",
            Action::Update => "Update",
            Action::Disable => "Disable",
            Action::Reactivate => "Reactivate",
            Action::Delete => "Delete",
            Action::Members => "Members",
            Action::Manager => "Manager",
            Action::Skip => "Skip",
        }
    }
}

/// How it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Outcome {
    Success,
    Failure,
    Skipped,
}

impl Outcome {
    /// Also Graph's `provisioningResult` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One provisioning log record.
#[derive(Debug, Clone, Serialize)]
pub struct LogRecord {
    pub cycle: u32,
    /// Simulated time of the record.
    pub at: DateTime<Utc>,
    pub kind: ObjectKind,
    /// The directory's object id.
    pub source_id: String,
    /// The object's name as an admin reads it (display name).
    pub name: String,
    pub action: Action,
    pub result: Outcome,
    pub reason: String,
    /// HTTP status of the last SCIM request for this record (none when nothing was sent or
    /// the connection failed).
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    /// The class of the failure, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureClass>,
    /// The failed request and the target's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<Box<TargetAnswer>>,
    /// What an update changed: (attribute, old value, new value).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modified: Vec<(String, Option<String>, String)>,
    /// Time spent on the object's requests.
    pub duration_ms: u64,
}

/// What the cycle did with a failure (see [`Failure`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum FailureClass {
    Escrow,
    Conflict,
    Credentials,
    Compliance,
    Refused,
}

impl FailureClass {
    pub fn of(f: &Failure) -> FailureClass {
        match f {
            Failure::Escrow(_) => FailureClass::Escrow,
            Failure::Conflict(_) => FailureClass::Conflict,
            Failure::Credentials(_) => FailureClass::Credentials,
            Failure::Compliance(_) => FailureClass::Compliance,
            Failure::Refused(_) => FailureClass::Refused,
        }
    }
}

/// The reason a guard-staged removal is logged with (Graph's `stagedDelete`).
pub const STAGED_REASON: &str = "staged by the accidental-deletion guard";

impl LogRecord {
    /// `Create Ann Lee: success` — the line the features quote.
    pub fn line(&self) -> String {
        format!(
            "{} {}: {}",
            self.action.as_str(),
            self.name,
            self.result.as_str()
        )
    }
}

/// Progress of the running cycle: objects done out of the total planned. Shared with the
/// progress bar, which reads it while the cycle runs.
#[derive(Debug, Default)]
pub struct Progress {
    pub done: AtomicU64,
    pub total: AtomicU64,
    pub cycle: AtomicU64,
}

impl Progress {
    pub fn new() -> Arc<Progress> {
        Arc::new(Progress::default())
    }
    pub fn start(&self, cycle: u32, total: usize) {
        self.cycle.store(cycle as u64, Ordering::Relaxed);
        self.total.store(total as u64, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
    }
    pub fn add_total(&self, n: usize) {
        self.total.fetch_add(n as u64, Ordering::Relaxed);
    }
    pub fn tick(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }
    /// (done, total)
    pub fn get(&self) -> (u64, u64) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }
}
