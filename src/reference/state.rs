//! The router's shared state: the store, the domain registry, the User Sync engine and the
//! simulated clock. A leaf the route modules (SCIM, admin, domains) all depend on.

use super::config::ReferenceConfig;
use super::store::Store;
use std::sync::Arc;

/// Shared state of the router.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    /// The organization's domains and their verification (E-DV-*). `new` gives a registry on
    /// the wall clock; `server.rs` replaces it with one on the store's clock.
    pub domains: Arc<super::domains::DomainRegistry>,
    /// Set only when the reference runs on a simulated clock: enables the test-only
    /// endpoints (time travel, the verifier's servers) under `/admin/v1/test/`.
    pub sim_clock: Option<Arc<crate::clock::SimClock>>,
    /// The User Sync engine behind `/admin/v1/usersync`; `None` serves SCIM alone.
    pub usersync: Option<Arc<super::usersync::UserSync>>,
}

impl AppState {
    pub fn new(store: Arc<Store>) -> AppState {
        AppState {
            store,
            domains: Arc::new(super::domains::DomainRegistry::new(Arc::new(
                crate::clock::SystemClock,
            ))),
            sim_clock: None,
            usersync: None,
        }
    }
    /// Serves the User Sync admin API with this engine.
    pub fn with_usersync(mut self, usersync: Arc<super::usersync::UserSync>) -> AppState {
        self.usersync = Some(usersync);
        self
    }
    pub(crate) fn config(&self) -> &ReferenceConfig {
        &self.store.config
    }
}
