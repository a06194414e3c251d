//! Starting and stopping the reference in-process on a loopback port, as `run`, the tests and
//! the conformance suite do.

use super::config::ReferenceConfig;
use super::domains::DomainRegistry;
use super::http::router;
use super::org::Org;
use super::state::AppState;
use super::store::Store;
use super::usersync::{UserSync, UserSyncConfig};
use crate::clock::{Clock, SimClock, SystemClock};
use axum::Router;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A reference server running on this process's runtime. Dropping it stops the server.
#[derive(Debug)]
pub struct RunningReference {
    pub addr: SocketAddr,
    /// The SCIM base URL, e.g. `http://127.0.0.1:40123`.
    pub base_url: String,
    pub store: Arc<Store>,
    /// The organization's domains (E-DV-*), e.g. to point the verifier at fake servers.
    pub domains: Arc<DomainRegistry>,
    /// The User Sync engine (its admin API is served under `/admin/v1`).
    pub usersync: Arc<UserSync>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningReference {
    /// Binds `127.0.0.1:0` and serves with the wall clock.
    pub async fn start(config: ReferenceConfig) -> std::io::Result<RunningReference> {
        Self::start_with(
            config,
            Arc::new(SystemClock),
            "127.0.0.1:0".parse().map_err(std::io::Error::other)?,
        )
        .await
    }

    /// Binds `addr` and serves with the given clock.
    pub async fn start_with(
        config: ReferenceConfig,
        clock: Arc<dyn Clock>,
        addr: SocketAddr,
    ) -> std::io::Result<RunningReference> {
        Self::start_inner(config, clock, None, addr, |r| r).await
    }

    /// Binds `addr` and serves with the given clock, the whole router wrapped by `wrap` (a
    /// layer in front of exactly what the reference serves, e.g. injected faults).
    pub async fn start_wrapped(
        config: ReferenceConfig,
        clock: Arc<dyn Clock>,
        addr: SocketAddr,
        wrap: impl FnOnce(Router) -> Router,
    ) -> std::io::Result<RunningReference> {
        Self::start_inner(config, clock, None, addr, wrap).await
    }

    /// Binds `127.0.0.1:0` and serves on a simulated clock, which also enables the test-only
    /// endpoints under `/admin/v1/test/` (time travel, the domain verifier's servers).
    pub async fn start_simulated(
        config: ReferenceConfig,
        clock: Arc<SimClock>,
    ) -> std::io::Result<RunningReference> {
        let addr = "127.0.0.1:0".parse().map_err(std::io::Error::other)?;
        Self::start_inner(config, clock.clone(), Some(clock), addr, |r| r).await
    }

    async fn start_inner(
        config: ReferenceConfig,
        clock: Arc<dyn Clock>,
        sim_clock: Option<Arc<SimClock>>,
        addr: SocketAddr,
        wrap: impl FnOnce(Router) -> Router,
    ) -> std::io::Result<RunningReference> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}{}", config.base_path.trim_end_matches('/'));
        let store = Arc::new(Store::new(config, clock.clone()));
        let (tx, rx) = oneshot::channel::<()>();
        // One organization: the registry owns its domains, the engine its admins.
        let domains = Arc::new(DomainRegistry::new(clock.clone()));
        let usersync = UserSync::start(
            store.clone(),
            clock,
            UserSyncConfig::default(),
            Arc::new(Org::new(domains.clone())),
        );
        let mut state = AppState::new(store.clone()).with_usersync(usersync.clone());
        state.domains = domains.clone();
        state.sim_clock = sim_clock;
        let serving = axum::serve(listener, wrap(router(state))).with_graceful_shutdown(async {
            let _ = rx.await;
        });
        let handle = tokio::spawn(serving.into_future());
        Ok(RunningReference {
            addr,
            base_url,
            store,
            domains,
            usersync,
            shutdown: Some(tx),
            handle: Some(handle),
        })
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        self.usersync.shutdown();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
    }
}

impl Drop for RunningReference {
    fn drop(&mut self) {
        self.usersync.shutdown();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
