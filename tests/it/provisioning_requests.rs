//! The provider's request shapes against the recorded examples in
//! `fixtures/provider-requests/<mode>/*.json`, compared byte-for-byte after JSON
//! normalisation (sorted keys, compact). `UPDATE_FIXTURES=1` rewrites the recordings.

use scim_harness::provisioning::requests::{Compat, ProviderRequest, examples, normalise};
use std::path::PathBuf;

fn dir(compat: Compat) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/provider-requests")
        .join(compat.name())
}

/// Compares each example with its recording in `dir` (or rewrites it, `UPDATE_FIXTURES=1`).
fn check_recordings(dir: &std::path::Path, examples: Vec<(&'static str, ProviderRequest)>) {
    let update = std::env::var_os("UPDATE_FIXTURES").is_some();
    for (name, req) in examples {
        let path = dir.join(format!("{name}.json"));
        let generated = serde_json::to_value(&req).expect("serialises");
        if update {
            std::fs::create_dir_all(dir).expect("dir");
            let text = serde_json::to_string_pretty(&generated).expect("json");
            std::fs::write(&path, text + "\n").expect("write");
            continue;
        }
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let recorded: ProviderRequest = serde_json::from_str(&text).expect("recording");
        let recorded = serde_json::to_value(&recorded).expect("value");
        assert_eq!(
            normalise(&generated),
            normalise(&recorded),
            "{} differs from the recording",
            path.display()
        );
    }
}

#[test]
fn generated_requests_match_the_recordings() {
    for compat in [Compat::Default, Compat::AadOptscim062020] {
        check_recordings(&dir(compat), examples(compat));
    }
}

#[test]
fn tenant_fixtures_load() {
    use scim_harness::provisioning::tenant::Tenant;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/tenants");
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        use scim_harness::clock::Clock;
        use scim_harness::provisioning::tenant::TenantSpec;
        let t0 = scim_harness::clock::SimClock::default().now();
        for (name, users, groups) in [("small", 25, 4), ("medium", 2000, 100)] {
            let t = Tenant::generate(&TenantSpec::new(users, groups, 42, t0));
            t.save(&root.join(format!("{name}.json"))).expect("save");
        }
    }
    let small = Tenant::load(&root.join("small.json")).expect("small");
    let medium = Tenant::load(&root.join("medium.json")).expect("medium");
    assert_eq!(small.users.len(), 25);
    assert_eq!(medium.users.len(), 2000);
    assert!(medium.groups.iter().any(|g| !g.nested_groups.is_empty()));
    let managed = medium.users.iter().filter(|u| u.manager.is_some()).count();
    assert!(managed > 1500, "{managed} of 2000 users have a manager");
}

/// Okta's requests (O-MATCH-01 to O-IMPORT-01), one recording per app kind in
/// `fixtures/provider-requests/okta-<app>/`, each checked by hand against the bodies in
/// Okta's "SCIM 2.0 protocol reference".
#[test]
fn oktas_requests_match_the_recordings() {
    use scim_harness::provisioning::okta::app::{OktaApp, examples};
    for app in [OktaApp::Oin, OktaApp::Custom] {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/provider-requests")
            .join(format!("okta-{}", app.name()));
        check_recordings(&dir, examples(app));
    }
}
