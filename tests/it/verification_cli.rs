//! `verify-domain` and `verification-servers` as the command line runs them: arguments parsed
//! by clap, exit codes, and the fixture zone served over loopback.

use clap::Parser;
use scim_harness::verification::cli::{
    VerificationServersArgs, VerifyDomainArgs, start_fakes, verify_domain,
};

#[derive(Debug, Parser)]
struct VerifyCli {
    #[command(flatten)]
    args: VerifyDomainArgs,
}

#[derive(Debug, Parser)]
struct ServersCli {
    #[command(flatten)]
    args: VerificationServersArgs,
}

const CODE: &str = "668e156b-f5d3-430e-9944-f1d4385d043e";

#[tokio::test]
async fn verify_domain_against_the_fixture_zone() {
    let zone = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/verification/example.zone"
    );
    let servers = ServersCli::parse_from([
        "x",
        "--zone",
        zone,
        "--web-file",
        &format!("files.example={CODE}"),
    ]);
    let fakes = start_fakes(&servers.args).await.expect("servers start");
    assert!(fakes.loaded >= 8, "{} records", fakes.loaded);
    let dns = fakes.dns.addr.to_string();
    let web = fakes.web.addr().to_string();
    let run = |domain: &str, code: &str, extra: &[&str]| {
        let mut argv = vec!["x", domain, "--code", code, "--dns", &dns, "--web", &web];
        argv.extend_from_slice(extra);
        let cli = VerifyCli::parse_from(argv);
        async move { verify_domain(&cli.args).await }
    };
    assert_eq!(run("acme.example", CODE, &[]).await, 0);
    assert_eq!(
        run("sales.acme.example", CODE, &["--method", "dns"]).await,
        0
    );
    assert_eq!(run("old.acme.example", CODE, &["--method", "dns"]).await, 1);
    assert_eq!(run("split.acme.example", CODE, &["--json"]).await, 1);
    assert_eq!(run("files.example", CODE, &["--method", "web"]).await, 0);
    assert_eq!(run("acme.example", "not-a-uuid", &[]).await, 2);
    assert_eq!(run("not a domain", CODE, &[]).await, 2);
    fakes.dns.stop().await;

    let none = VerifyCli::parse_from(["x", "acme.example", "--code", CODE]);
    assert_eq!(verify_domain(&none.args).await, 2, "no server given");
}

#[tokio::test]
async fn a_bad_zone_file_is_reported() {
    let dir = tempfile::tempdir().expect("tmp");
    let bad = dir.path().join("bad.zone");
    std::fs::write(&bad, "this is not a zone file {{{\n").expect("write");
    let servers = ServersCli::parse_from(["x", "--zone", bad.to_str().expect("utf-8")]);
    let err = start_fakes(&servers.args).await.expect_err("refused");
    assert!(err.to_string().contains("bad.zone"), "{err}");
    let missing = ServersCli::parse_from(["x", "--zone", "/no/such/file.zone"]);
    assert!(start_fakes(&missing.args).await.is_err());
}
