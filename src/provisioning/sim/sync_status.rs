//! The job's state in Microsoft Graph's terms (`synchronizationStatus`, with its
//! `synchronizationQuarantine` and the last `synchronizationTaskExecution`): the shapes, which
//! the report carries; Entra's job fills them (`entra::status`).

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Graph's `synchronizationStatus`, the properties the simulator models.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    /// NotRun, Active, Paused or Quarantine.
    pub code: &'static str,
    pub count_successive_complete_failures: u32,
    pub quarantine: Option<SyncQuarantine>,
    pub last_execution: Option<TaskExecution>,
}

/// Graph's `synchronizationQuarantine`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncQuarantine {
    pub current_began: DateTime<Utc>,
    /// None when only the admin can lift it (staged deletions wait for allow or reject).
    pub next_attempt: Option<DateTime<Utc>>,
    pub reason: &'static str,
    pub series_began: DateTime<Utc>,
    /// Retries made in this series.
    pub series_count: u32,
    pub error: SyncError,
}

/// Graph's `synchronizationError`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncError {
    /// The portal's short name of the cause (credential failure, compliance failure ...).
    pub code: &'static str,
    pub message: String,
    /// Whether the tenant's admin can fix it.
    pub tenant_actionable: bool,
}

/// Graph's `synchronizationTaskExecution`, of the last cycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskExecution {
    pub time_began: DateTime<Utc>,
    pub time_ended: DateTime<Utc>,
    /// Succeeded, Failed or EntryLevelErrors.
    pub state: &'static str,
    pub count_exported: usize,
    pub count_entry_level_errors: usize,
}
