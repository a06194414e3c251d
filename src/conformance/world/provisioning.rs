//! The mock identity provider's scenario state (features/provisioning).

use crate::clock::SimClock;
use crate::provisioning::entra::job::ProvisioningJob;
use crate::provisioning::faulty_target::FaultyTarget;
use crate::provisioning::tenant::Tenant;
use std::sync::Arc;

/// A provisioning scenario's state.
#[derive(Debug)]
pub struct ProvisioningScenario {
    pub clock: Arc<SimClock>,
    pub tenant: Tenant,
    /// The scenario's own faulty reference; `None` against an external target.
    pub target: Option<FaultyTarget>,
    pub job: ProvisioningJob,
    /// The scenario's suffix against an external target (names must not collide there).
    pub unique: Option<String>,
    /// Target ids already handed to the world's cleanup.
    pub(crate) tracked: std::collections::HashSet<String>,
}
