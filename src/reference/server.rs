//! Starting and stopping the reference in-process on a loopback port, as `run`, the tests and
//! the conformance suite do.

use super::config::ReferenceConfig;
use super::http::{AppState, serve};
use super::store::Store;
use crate::clock::{Clock, SystemClock};
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
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}{}", config.base_path.trim_end_matches('/'));
        let store = Arc::new(Store::new(config, clock));
        let (tx, rx) = oneshot::channel::<()>();
        let state = AppState::new(store.clone());
        let handle = tokio::spawn(serve(listener, state, async {
            let _ = rx.await;
        }));
        Ok(RunningReference {
            addr,
            base_url,
            store,
            shutdown: Some(tx),
            handle: Some(handle),
        })
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
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
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
