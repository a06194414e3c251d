//! The fake DNS server and the verifier's DNS method over real UDP and TCP sockets on
//! loopback: records, CNAMEs, several strings, faults, the TCP fallback on truncation, zone
//! files in both spellings (E-DV-02), and hostile sizes (E-DV-05).

use scim_harness::verification::dns::{FakeDns, Fault};
use scim_harness::verification::verifier::{
    Methods, Outcome, RECORD_PREFIX, VerifierConfig, check_dns, verify,
};
use std::time::{Duration, Instant};

const CODE: &str = "668e156b-f5d3-430e-9944-f1d4385d043e";
const OTHER: &str = "00000000-0000-4000-8000-000000000001";

fn value(code: &str) -> String {
    format!("{RECORD_PREFIX}{code}")
}

fn cfg(dns: &FakeDns) -> VerifierConfig {
    VerifierConfig {
        dns: Some(dns.addr),
        dns_timeout: Duration::from_millis(300),
        dns_attempts: 1,
        ..Default::default()
    }
}

#[tokio::test]
async fn each_dns_finding_has_its_own_outcome() {
    let dns = FakeDns::start().await.expect("start");
    let c = cfg(&dns);
    let z = &dns.zone;

    assert_eq!(
        check_dns("acme.example", CODE, &c).await,
        Outcome::DomainNotFound
    );

    z.add_txt("acme.example", &["v=spf1 -all"])
        .await
        .expect("txt");
    assert_eq!(
        check_dns("acme.example", CODE, &c).await,
        Outcome::OtherTxtRecordsOnly { count: 1 }
    );

    z.add_txt("acme.example", &[&value(OTHER)])
        .await
        .expect("txt");
    assert_eq!(
        check_dns("acme.example", CODE, &c).await.code(),
        "wrong-code"
    );

    z.add_txt("acme.example", &[&value(CODE)])
        .await
        .expect("txt");
    assert!(check_dns("acme.example", CODE, &c).await.is_verified());

    // Each subdomain needs its own record: the parent's does not count.
    assert_eq!(
        check_dns("sales.acme.example", CODE, &c).await,
        Outcome::DomainNotFound
    );
    z.add_txt("www.sales.acme.example", &["x"])
        .await
        .expect("txt");
    assert_eq!(
        check_dns("sales.acme.example", CODE, &c).await,
        Outcome::NoRecord
    );

    // Without its TXT records acme.example still exists (names below it do): no record.
    z.remove("acme.example", hickory_server::proto::rr::RecordType::TXT)
        .await
        .expect("remove");
    assert_eq!(check_dns("acme.example", CODE, &c).await, Outcome::NoRecord);
    dns.stop().await;
}

#[tokio::test]
async fn several_strings_and_cnames() {
    let dns = FakeDns::start().await.expect("start");
    let c = cfg(&dns);
    let z = &dns.zone;
    z.add_txt("split.example", &[RECORD_PREFIX, CODE])
        .await
        .expect("txt");
    assert!(check_dns("split.example", CODE, &c).await.is_verified());

    z.set_txt("split.example", &[&value(CODE), "and more"])
        .await
        .expect("txt");
    assert_eq!(
        check_dns("split.example", CODE, &c).await.code(),
        "multiple-txt-strings"
    );

    z.set_txt("target.example", &[&value(CODE)])
        .await
        .expect("txt");
    z.set_cname("alias.example", "target.example")
        .await
        .expect("cname");
    assert!(check_dns("alias.example", CODE, &c).await.is_verified());
    dns.stop().await;
}

#[tokio::test]
async fn faults_give_distinct_outcomes() {
    let dns = FakeDns::start().await.expect("start");
    let c = cfg(&dns);
    let z = &dns.zone;
    z.add_txt("acme.example", &[&value(CODE)])
        .await
        .expect("txt");

    z.set_fault("acme.example", Fault::ServFail).expect("fault");
    assert_eq!(
        check_dns("acme.example", CODE, &c).await,
        Outcome::DnsServerFailure {
            response_code: "Server Failure".into()
        }
    );
    z.set_fault("acme.example", Fault::NxDomain).expect("fault");
    assert_eq!(
        check_dns("acme.example", CODE, &c).await,
        Outcome::DomainNotFound
    );

    z.set_fault("acme.example", Fault::Timeout).expect("fault");
    let t = Instant::now();
    assert_eq!(
        check_dns("acme.example", CODE, &c).await,
        Outcome::DnsTimeout
    );
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());

    // A fault on a parent applies below it; clearing it restores normal answers.
    z.set_fault("example", Fault::ServFail).expect("fault");
    z.clear_fault("acme.example").expect("clear");
    assert_eq!(
        check_dns("acme.example", CODE, &c).await.code(),
        "dns-server-failure"
    );
    z.clear_fault("example").expect("clear");
    assert!(check_dns("acme.example", CODE, &c).await.is_verified());
    dns.stop().await;
}

#[tokio::test]
async fn truncated_udp_answers_fall_back_to_tcp() {
    let dns = FakeDns::start().await.expect("start");
    let c = cfg(&dns);
    let z = &dns.zone;
    z.add_txt("big.example", &[&value(CODE)])
        .await
        .expect("txt");
    z.set_fault("big.example", Fault::Truncate).expect("fault");
    let (udp0, tcp0) = z.counts();
    assert!(check_dns("big.example", CODE, &c).await.is_verified());
    let (udp1, tcp1) = z.counts();
    assert!(udp1 > udp0, "asked over UDP first");
    assert!(tcp1 > tcp0, "then over TCP");

    // A naturally large answer (many TXT records) is truncated over UDP too.
    z.clear_fault("big.example").expect("clear");
    for i in 0..40 {
        z.add_txt("big.example", &[&format!("filler-{i}-{}", "x".repeat(100))])
            .await
            .expect("txt");
    }
    let (_, tcp2) = z.counts();
    assert!(check_dns("big.example", CODE, &c).await.is_verified());
    assert!(z.counts().1 > tcp2, "the large answer came over TCP");
    dns.stop().await;
}

#[tokio::test]
async fn unreachable_name_server_is_reported() {
    // Bind and drop, so nothing listens on the port.
    let addr = {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        s.local_addr().expect("addr")
    };
    let c = VerifierConfig {
        dns: Some(addr),
        dns_timeout: Duration::from_millis(300),
        dns_attempts: 1,
        ..Default::default()
    };
    let o = check_dns("acme.example", CODE, &c).await;
    assert_eq!(o.code(), "dns-unreachable", "{o:?}");
}

#[tokio::test]
async fn zone_files_in_both_spellings_load_the_same_record() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/verification");
    for file in ["main.com.at-sign.zone", "main.com.fqdn.zone"] {
        let dns = FakeDns::start().await.expect("start");
        let path = std::path::Path::new(dir).join(file);
        let n = dns
            .zone
            .load_zone_file(&path, Some("main.com"))
            .await
            .expect("zone file loads");
        assert!(n >= 2, "{file}: {n} records");
        let c = cfg(&dns);
        assert!(
            check_dns("main.com", CODE, &c).await.is_verified(),
            "{file}"
        );
        assert_eq!(
            dns.zone.txt("main.com").await.expect("txt"),
            vec![vec![value(CODE)]],
            "{file}"
        );
        dns.stop().await;
    }
}

#[tokio::test]
async fn hostile_records_and_input_do_not_panic() {
    let dns = FakeDns::start().await.expect("start");
    let c = cfg(&dns);
    // 100 KB in one TXT value: split into 255-byte strings, it no longer fits in a DNS
    // message at all; the server fails to answer it and the verifier says so.
    let huge = "a".repeat(100 * 1024);
    dns.zone
        .add_txt("huge.example", &[&huge])
        .await
        .expect("txt");
    let o = check_dns("huge.example", CODE, &c).await;
    assert!(
        matches!(
            o.code(),
            "dns-server-failure" | "dns-unreachable" | "dns-timeout"
        ),
        "{o:?}"
    );
    let text = o.explain("huge.example", CODE);
    assert!(
        text.len() < 2000,
        "the explanation stays short: {}",
        text.len()
    );

    // 40 KB fits over TCP: it is read, judged, and shown cut short.
    let big = format!("logmein-verification-code={}", "b".repeat(40 * 1024));
    dns.zone.add_txt("big.example", &[&big]).await.expect("txt");
    let o = check_dns("big.example", CODE, &c).await;
    assert_eq!(
        o.code(),
        "multiple-txt-strings",
        "{}",
        o.explain("big.example", CODE)
    );
    assert!(o.explain("big.example", CODE).len() < 2000);

    for (domain, code, want) in [
        ("acme.example", "not-a-uuid", "invalid-code"),
        ("acme.example", "", "invalid-code"),
        ("bad_domain!.example", CODE, "invalid-domain"),
        ("", CODE, "invalid-domain"),
    ] {
        let v = verify(domain, code, Methods::Any, &c).await;
        assert_eq!(v.code, want, "{domain} {code}: {}", v.explanation);
        assert!(v.checks.is_empty(), "no server is asked for bad input");
    }
    let long = "a".repeat(100 * 1024);
    let v = verify(&long, CODE, Methods::Any, &c).await;
    assert_eq!(v.code, "invalid-domain");
    assert!(v.explanation.len() < 1000);
    let v = verify("acme.example", &long, Methods::Any, &c).await;
    assert_eq!(v.code, "invalid-code");
    assert!(v.explanation.len() < 1000);
    dns.stop().await;
}
