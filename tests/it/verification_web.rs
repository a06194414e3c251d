//! The web method (E-DV-03) against the wiremock fake web server: every file outcome, the
//! redirect policy, a slow server, and hostile sizes.

use scim_harness::verification::dns::FakeDns;
use scim_harness::verification::verifier::{
    Methods, Outcome, RECORD_PREFIX, VerifierConfig, check_web, verify,
};
use scim_harness::verification::web::{FakeWeb, WebFile};
use std::time::{Duration, Instant};

const CODE: &str = "668e156b-f5d3-430e-9944-f1d4385d043e";

fn value() -> String {
    format!("{RECORD_PREFIX}{CODE}")
}

fn cfg(web: &FakeWeb) -> VerifierConfig {
    VerifierConfig {
        web: Some(web.addr()),
        web_timeout: Duration::from_millis(500),
        ..Default::default()
    }
}

#[tokio::test]
async fn each_file_finding_has_its_own_outcome() {
    let web = FakeWeb::start().await.expect("start");
    let c = cfg(&web);
    let cases: Vec<(WebFile, &str)> = vec![
        (WebFile::body(value()), "verified"),
        (
            WebFile::body(format!("{}\n", value())),
            "file-with-whitespace",
        ),
        (
            WebFile::body(format!("  {}", value())),
            "file-with-whitespace",
        ),
        (
            WebFile::body(value().replace('=', "= ")),
            "file-with-whitespace",
        ),
        (
            WebFile::body(format!("{RECORD_PREFIX}{}", uuid::Uuid::nil())),
            "wrong-code",
        ),
        (WebFile::body("<html>hello</html>"), "file-wrong-content"),
        (WebFile::body(vec![0xff, 0xfe, 0x00]), "file-wrong-content"),
        (WebFile::status(404), "file-not-found"),
        (WebFile::status(500), "file-http-error"),
        (
            WebFile::redirect(301, "https://acme.example/logmein-verification-code.txt"),
            "redirect",
        ),
        (
            WebFile::redirect(302, "http://elsewhere.example/file.txt"),
            "redirect",
        ),
    ];
    for (file, want) in cases {
        web.set("acme.example", file.clone());
        let o = check_web("acme.example", CODE, &c).await;
        assert_eq!(
            o.code(),
            want,
            "{file:?}: {}",
            o.explain("acme.example", CODE)
        );
    }
    // Files are per domain, chosen by the Host header.
    web.set("acme.example", WebFile::body(value()));
    assert!(check_web("acme.example", CODE, &c).await.is_verified());
    assert_eq!(
        check_web("other.example", CODE, &c).await,
        Outcome::FileNotFound
    );
    assert_eq!(
        check_web("sales.acme.example", CODE, &c).await,
        Outcome::FileNotFound,
        "each subdomain serves its own file"
    );
    let hosts: Vec<String> = web.requests().await.into_iter().map(|(h, _)| h).collect();
    assert!(hosts.contains(&"other.example".to_string()), "{hosts:?}");
}

#[tokio::test]
async fn redirects_are_reported_not_followed() {
    let web = FakeWeb::start().await.expect("start");
    web.set(
        "acme.example",
        WebFile::redirect(302, "http://www.acme.example/logmein-verification-code.txt"),
    );
    web.set("www.acme.example", WebFile::body(value()));
    let o = check_web("acme.example", CODE, &cfg(&web)).await;
    assert_eq!(
        o,
        Outcome::Redirect {
            status: 302,
            location: "http://www.acme.example/logmein-verification-code.txt".into()
        }
    );
    assert!(o.explain("acme.example", CODE).contains("not followed"));
    let asked: Vec<String> = web.requests().await.into_iter().map(|(h, _)| h).collect();
    assert_eq!(
        asked,
        vec!["acme.example".to_string()],
        "the target was never fetched"
    );
}

#[tokio::test]
async fn a_slow_or_absent_web_server_is_reported() {
    let web = FakeWeb::start().await.expect("start");
    web.set(
        "slow.example",
        WebFile::body(value()).delayed(Duration::from_secs(5)),
    );
    let t = Instant::now();
    assert_eq!(
        check_web("slow.example", CODE, &cfg(&web)).await,
        Outcome::WebTimeout
    );
    assert!(t.elapsed() < Duration::from_secs(3));

    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let c = VerifierConfig {
        web: Some(closed),
        ..Default::default()
    };
    assert_eq!(
        check_web("acme.example", CODE, &c).await.code(),
        "web-unreachable"
    );
    let none = VerifierConfig::default();
    assert_eq!(
        check_web("acme.example", CODE, &none).await.code(),
        "not-configured"
    );
}

#[tokio::test]
async fn a_ten_megabyte_body_is_refused_without_reading_it() {
    let web = FakeWeb::start().await.expect("start");
    let mut big = value().into_bytes();
    big.resize(10 * 1024 * 1024, b' ');
    web.set("big.example", WebFile::body(big));
    let o = check_web("big.example", CODE, &cfg(&web)).await;
    assert_eq!(o, Outcome::FileTooLarge { limit: 4096 });
}

#[tokio::test]
async fn dns_first_then_the_web_file() {
    let dns = FakeDns::start().await.expect("dns");
    let web = FakeWeb::start().await.expect("web");
    let c = VerifierConfig {
        dns: Some(dns.addr),
        web: Some(web.addr()),
        dns_timeout: Duration::from_millis(300),
        dns_attempts: 1,
        web_timeout: Duration::from_millis(500),
        ..Default::default()
    };
    // Nothing anywhere: the DNS finding is reported, both checks are listed.
    let v = verify("acme.example", CODE, Methods::Any, &c).await;
    assert_eq!(v.code, "domain-not-found");
    assert_eq!(v.checks.len(), 2);
    // The web file has whitespace: that is more telling than "no DNS record".
    web.set("acme.example", WebFile::body(format!("{}\n", value())));
    let v = verify("acme.example", CODE, Methods::Any, &c).await;
    assert_eq!(v.code, "file-with-whitespace", "{}", v.explanation);
    // The web file alone verifies.
    web.set("acme.example", WebFile::body(value()));
    let v = verify("acme.example", CODE, Methods::Any, &c).await;
    assert_eq!(v.code, "verified");
    assert_eq!(v.checks.len(), 2);
    // Asking for DNS only ignores the file.
    let v = verify("acme.example", CODE, Methods::Dns, &c).await;
    assert_eq!(v.code, "domain-not-found");
    // A DNS record verifies without asking the web server.
    dns.zone
        .add_txt("acme.example", &[&value()])
        .await
        .expect("txt");
    let v = verify("ACME.example.", CODE, Methods::Any, &c).await;
    assert_eq!(v.code, "verified");
    assert_eq!(v.checks.len(), 1);
    assert_eq!(v.domain, "acme.example");
    dns.stop().await;
}

#[tokio::test]
async fn without_a_web_server_the_domain_is_resolved_through_the_name_server() {
    let dns = FakeDns::start().await.expect("dns");
    let web = FakeWeb::start().await.expect("web");
    web.set("acme.example", WebFile::body(value()));
    let c = VerifierConfig {
        dns: Some(dns.addr),
        web: None,
        dns_timeout: Duration::from_millis(300),
        dns_attempts: 1,
        web_timeout: Duration::from_millis(500),
        ..Default::default()
    };
    // No A record for the domain on the configured name server: the fetch cannot start, and
    // the system resolver was never asked (it would not know acme.example either).
    assert_eq!(
        check_web("acme.example", CODE, &c).await.code(),
        "web-unreachable"
    );
    let (udp, tcp) = dns.zone.counts();
    assert!(
        udp + tcp > 0,
        "the web check asked the configured name server"
    );
    assert!(web.requests().await.is_empty());
    dns.stop().await;
}
