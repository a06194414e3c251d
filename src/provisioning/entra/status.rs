//! The job's state in Microsoft Graph's terms (see [`crate::provisioning::sim::sync_status`]),
//! on the simulated clock, so what a script reads from `GET .../synchronization/jobs/{id}`
//! can be checked against the simulator.

use super::job::ProvisioningJob;
use crate::provisioning::sim::report::JobState;
use crate::provisioning::sim::sync_status::{SyncError, SyncQuarantine, SyncStatus, TaskExecution};

impl ProvisioningJob {
    /// The job's status as Graph reports it, now.
    pub fn sync_status(&self) -> SyncStatus {
        let code = match (&self.state, self.cycles.is_empty()) {
            (JobState::Quarantined, _) => "Quarantine",
            (JobState::Stopped | JobState::Disabled, _) => "Paused",
            (JobState::Active, true) => "NotRun",
            (JobState::Active, false) => "Active",
        };
        let quarantine = self.quarantine.as_ref().map(|q| SyncQuarantine {
            current_began: q.current,
            next_attempt: self.next_run_at(),
            reason: q.reason.code(),
            series_began: q.since,
            series_count: q.retries,
            error: SyncError {
                code: q.reason.label(),
                message: q.reason.message(),
                tenant_actionable: true,
            },
        });
        let last_execution = self.cycles.last().map(|c| TaskExecution {
            time_began: c.sim_start,
            time_ended: c.sim_end,
            state: if c.aborted.is_some() {
                "Failed"
            } else if c.failures > 0 {
                "EntryLevelErrors"
            } else {
                "Succeeded"
            },
            count_exported: c.creates
                + c.updates
                + c.disables
                + c.deletes
                + c.member_patches
                + c.manager_updates,
            count_entry_level_errors: c.failures,
        });
        SyncStatus {
            code,
            count_successive_complete_failures: self.failed_cycles_in_a_row,
            quarantine,
            last_execution,
        }
    }
}
