//! The proxy environment variables: set only in the child's environment, a loopback forward
//! proxy counts what went through it.

use super::servers::forward_proxy;
use super::*;
use scim_harness::reference::config::ReferenceConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_proxy_is_honoured_and_load_leaves_the_lanes_engine_for_it() {
    let token = format!("tok-{MARK}");
    let reference = crate::common::reference(ReferenceConfig {
        token: Some(token.clone()),
        ..Default::default()
    })
    .await;
    let proxy = forward_proxy().await;
    let count = || proxy.forwarded.lock().len();
    let via_proxy = [
        ("SCIM_HARNESS_TOKEN", token.as_str()),
        ("HTTP_PROXY", proxy.url.as_str()),
    ];

    let dir = workdir();
    let run = conformance(dir.path(), &reference.base_url, &[], &via_proxy).await;
    assert_passed(&run, dir.path(), 3);
    let after_conformance = count();
    assert!(after_conformance > 5, "conformance went through the proxy");
    assert!(
        proxy
            .forwarded
            .lock()
            .iter()
            .all(|r| r.contains(&reference.base_url)),
        "absolute-form requests for the target"
    );
    assert_no_secret(&run, dir.path());

    let dir = workdir();
    let run = load(dir.path(), &reference.base_url, &[], &via_proxy).await;
    assert!(run.status.success(), "{}", text(&run));
    let report = load_report(dir.path());
    assert_eq!(report["http_engine"], "reqwest", "{report:#}");
    assert_eq!(report["metrics"]["errors"], 0, "{report:#}");
    let notes = report["notes"].to_string();
    assert!(notes.contains("proxy"), "the report says why: {notes}");
    let completed = report["metrics"]["completed"].as_u64().unwrap_or(0) as usize;
    assert!(
        count() - after_conformance >= completed,
        "every operation went through the proxy"
    );
    assert_no_secret(&run, dir.path());

    // NO_PROXY exempts the target: nothing more goes through the proxy, and load keeps lanes.
    let before = count();
    let dir = workdir();
    let exempt = [
        ("SCIM_HARNESS_TOKEN", token.as_str()),
        ("HTTP_PROXY", proxy.url.as_str()),
        ("NO_PROXY", "127.0.0.1"),
    ];
    let run = load(dir.path(), &reference.base_url, &[], &exempt).await;
    assert!(run.status.success(), "{}", text(&run));
    assert_eq!(load_report(dir.path())["http_engine"], "lanes");
    assert_eq!(count(), before, "nothing went through the proxy");
}
