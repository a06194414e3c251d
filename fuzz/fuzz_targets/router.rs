//! Whole requests through the reference's in-process router. The input is a request in text:
//! `METHOD PATH` on the first line, then `Name: value` header lines, an empty line, and the
//! body. Invariant: every answer is a success or a SCIM error (Error schema, `status` the HTTP
//! status as a string), never a 500, and it comes within 1 s.
#![no_main]

use axum::body::Body;
use axum::http::{Method, Request};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use scim_harness::clock::SystemClock;
use scim_harness::reference::config::ReferenceConfig;
use scim_harness::reference::http::{AppState, router};
use scim_harness::reference::store::Store;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tower::ServiceExt;

const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
});

/// One store serves this many inputs, then a fresh one takes over: building the router for
/// every input held the target to ~115 inputs/s, and a store that lives for a while also
/// reaches states one request cannot (a full group, a used userName); the bound keeps memory
/// flat. A finding is re-checked on a fresh store before it becomes a regression test.
const INPUTS_PER_STORE: usize = 1_000;

fn fresh_app() -> axum::Router {
    let store = Arc::new(Store::new(ReferenceConfig::default(), Arc::new(SystemClock)));
    router(AppState::new(store))
}

thread_local! {
    static APP: std::cell::RefCell<(usize, axum::Router)> =
        std::cell::RefCell::new((0, fresh_app()));
}

/// The request the input describes, or `None` when it is not one.
fn request(data: &[u8]) -> Option<Request<Body>> {
    let split = data.windows(2).position(|w| w == b"\n\n");
    let (head, body) = match split {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &[][..]),
    };
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.lines();
    let (method, path) = lines.next()?.split_once(' ')?;
    let method = Method::from_bytes(method.as_bytes()).ok()?;
    let mut b = Request::builder().method(method).uri(path);
    let mut has_host = false;
    for l in lines {
        let (name, value) = l.split_once(':')?;
        has_host |= name.trim().eq_ignore_ascii_case("host");
        b = b.header(name.trim(), value.trim());
    }
    if !has_host {
        b = b.header("host", "scim.test");
    }
    b.body(Body::from(body.to_vec())).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some(req) = request(data) else {
        return;
    };
    let shown = format!("{} {}", req.method(), req.uri());
    let app = APP.with(|a| {
        let mut a = a.borrow_mut();
        if a.0 >= INPUTS_PER_STORE {
            *a = (0, fresh_app());
        }
        a.0 += 1;
        a.1.clone()
    });
    RUNTIME.block_on(async {
        let answer = tokio::time::timeout(Duration::from_secs(1), async {
            let resp = app.oneshot(req).await.expect("the router is infallible");
            let status = resp.status().as_u16();
            let bytes = resp
                .into_body()
                .collect()
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            (status, bytes)
        })
        .await;
        let (status, bytes) = answer.unwrap_or_else(|_| panic!("{shown}: no answer within 1 s"));
        assert!(status != 500, "{shown}: 500 {}", String::from_utf8_lossy(&bytes));
        if status >= 400 {
            let err: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!("{shown}: {status} without a SCIM error body: {:?}", String::from_utf8_lossy(&bytes))
            });
            assert!(
                err["schemas"].as_array().is_some_and(|s| s.iter().any(|u| u == ERROR)),
                "{shown}: {status} without the Error schema: {err}"
            );
            assert_eq!(err["status"], status.to_string(), "{shown}: {err}");
        }
    });
});
