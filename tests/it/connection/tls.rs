//! A target behind TLS with its own CA: refused without `--ca-cert`, with the reason; trusted
//! with it; accepted with `--insecure`, which every report and the terminal then state.

use super::servers::tls_front;
use super::*;
use scim_harness::reference::config::ReferenceConfig;

const INSECURE: &str = "INSECURE: TLS certificate checks were off";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_ca_needs_ca_cert_or_insecure() {
    let token = format!("tok-{MARK}");
    let reference = crate::common::reference(ReferenceConfig {
        token: Some(token.clone()),
        ..Default::default()
    })
    .await;
    let front = tls_front(reference.addr).await;
    let target = format!("https://127.0.0.1:{}", front.addr.port());
    let env = [("SCIM_HARNESS_TOKEN", token.as_str())];

    // The system's roots do not know the CA: exit 2, and the message says why and what to do.
    let dir = workdir();
    let refused = conformance(dir.path(), &target, &[], &env).await;
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    let err = text(&refused);
    assert!(
        err.contains("certificate"),
        "names the certificate problem: {err}"
    );
    assert!(
        err.contains("UnknownIssuer"),
        "says the issuer is unknown: {err}"
    );
    assert!(err.contains("--ca-cert"), "says what to do: {err}");
    assert_no_secret(&refused, dir.path());

    // With the CA: passes, and nothing says insecure.
    let dir = workdir();
    std::fs::write(dir.path().join("ca.pem"), &front.ca_pem).expect("write the CA");
    let trusted = conformance(dir.path(), &target, &["--ca-cert", "ca.pem"], &env).await;
    assert_passed(&trusted, dir.path(), 3);
    assert!(!text(&trusted).contains(INSECURE), "{}", text(&trusted));
    let json = std::fs::read_to_string(dir.path().join("reports/conformance.json")).expect("json");
    assert!(json.contains("\"insecure\": false"), "{json}");
    assert_no_secret(&trusted, dir.path());

    // --insecure: passes, and says so on the terminal and in the JSON, HTML and JUnit reports.
    let dir = workdir();
    let insecure = conformance(dir.path(), &target, &["--insecure"], &env).await;
    assert_passed(&insecure, dir.path(), 3);
    assert!(text(&insecure).contains(INSECURE), "{}", text(&insecure));
    let read = |name: &str| {
        std::fs::read_to_string(dir.path().join("reports").join(name)).expect("a report")
    };
    assert!(read("conformance.json").contains("\"insecure\": true"));
    assert!(read("conformance.html").contains(INSECURE));
    let junit = read("conformance.xml");
    assert!(
        junit.contains("<property name=\"insecure\" value=\"true\"/>") && junit.contains(INSECURE),
        "{junit}"
    );
    assert_no_secret(&insecure, dir.path());

    // load: the JSON and HTML reports and the terminal.
    let dir = workdir();
    let run = load(dir.path(), &target, &["--insecure"], &env).await;
    assert!(run.status.success(), "{}", text(&run));
    assert!(text(&run).contains(INSECURE), "{}", text(&run));
    let report = load_report(dir.path());
    assert_eq!(report["insecure"], true, "{report:#}");
    assert_eq!(report["http_engine"], "reqwest", "https uses reqwest");
    assert_eq!(report["metrics"]["errors"], 0, "{report:#}");
    assert!(
        report["metrics"]["completed"].as_u64() > Some(0),
        "{report:#}"
    );
    let html = std::fs::read_dir(dir.path().join("load"))
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "html"))
        .expect("an HTML load report");
    assert!(
        std::fs::read_to_string(html)
            .expect("html")
            .contains(INSECURE)
    );
    assert_no_secret(&run, dir.path());

    // simulate: the report's JSON, HTML and the printed table.
    let dir = workdir();
    let sim = harness(
        dir.path(),
        &[
            "simulate",
            "--target",
            &target,
            "--insecure",
            "--users",
            "20",
            "--groups",
            "2",
            "--cycles",
            "1",
            "--report",
            "sim",
        ],
        &env,
    )
    .await;
    assert!(sim.status.success(), "{}", text(&sim));
    assert!(text(&sim).contains(INSECURE), "{}", text(&sim));
    let json = std::fs::read_to_string(dir.path().join("sim/simulation.json")).expect("json");
    assert!(json.contains("\"insecure\": true"), "{json}");
    let html = std::fs::read_to_string(dir.path().join("sim/simulation.html")).expect("html");
    assert!(html.contains(INSECURE));
    assert_no_secret(&sim, dir.path());
}

#[tokio::test]
async fn a_file_that_is_not_a_certificate_is_refused_before_connecting() {
    let dir = workdir();
    std::fs::write(dir.path().join("ca.pem"), "hello").expect("write");
    let o = conformance(
        dir.path(),
        "https://127.0.0.1:9",
        &["--ca-cert", "ca.pem"],
        &[],
    )
    .await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = text(&o);
    assert!(
        err.contains("--ca-cert ca.pem") && err.contains("BEGIN CERTIFICATE"),
        "{err}"
    );
}
