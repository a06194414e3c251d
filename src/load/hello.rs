//! A trivial HTTP endpoint (`GET /` and `GET /hello` answer `hello`), the common ground on which
//! the driver's own ceiling is compared with wrk's. It runs in a separate process
//! (`scim-harness hello-server`) so neither load generator shares a runtime with it.

use std::future::Future;

/// The hello router.
pub fn router() -> axum::Router {
    axum::Router::new()
        .route("/", axum::routing::get(|| async { "hello" }))
        .route("/hello", axum::routing::get(|| async { "hello" }))
}

/// Serves the hello router on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router())
        .with_graceful_shutdown(shutdown)
        .await
}
