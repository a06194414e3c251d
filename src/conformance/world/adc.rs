//! The directory connector's scenario state (features/usersync/directory-connector).

use crate::clock::SimClock;
use crate::provisioning::adc::{Connector, Directory};
use std::collections::HashMap;
use std::sync::Arc;

/// A connector scenario: its directory, the connector, and the feature's names.
#[derive(Debug)]
pub struct AdcScenario {
    pub(crate) clock: Arc<SimClock>,
    pub(crate) dir: Directory,
    pub(crate) conn: Connector,
    /// Feature name -> directory object id.
    pub(crate) users: HashMap<String, String>,
    pub(crate) groups: HashMap<String, String>,
}
