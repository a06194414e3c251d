use super::*;

fn loaded(text: &str) -> Loaded {
    let path = PathBuf::from("ci/scim-harness.toml");
    match parse(&path, text) {
        Ok(config) => Loaded { path, config },
        Err(e) => panic!("{e}"),
    }
}

fn error(text: &str) -> String {
    match parse(Path::new("scim-harness.toml"), text) {
        Ok(_) => panic!("accepted: {text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn an_unknown_key_is_an_error_that_names_it() {
    let e = error("target = \"http://x\"\ntimout = \"3s\"\n");
    assert!(e.contains("timout"), "{e}");
    let e = error("[[accepted]]\nid = \"F1\"\nreason = \"r\"\nexpiry = 2027-01-01\n");
    assert!(e.contains("expiry"), "{e}");
    let e = error("[basic]\nuser = \"u\"\npassword = \"p\"\n");
    assert!(e.contains("password"), "{e}");
}

#[test]
fn wrong_values_name_their_key() {
    assert!(error("profile = \"saml\"").contains("`profile`"));
    assert!(error("fail_on = \"may\"").contains("`fail_on`"));
    assert!(error("concurrency = 0").contains("`concurrency`"));
    let e = error("[[accepted]]\nid = \"F1\"\nreason = \" \"\n");
    assert!(e.contains("accepted[0].reason"), "{e}");
    let e = error("[[accepted]]\nid = \"F1\"\nreason = \"r\"\nexpires = \"31/03/2027\"\n");
    assert!(
        e.contains("accepted[0].expires") && e.contains("31/03/2027"),
        "{e}"
    );
}

#[test]
fn expiry_is_a_toml_date_or_a_string() {
    let l = loaded(
        "[[accepted]]\nid = \"R-ERR\"\nreason = \"400 not 415\"\nexpires = 2027-03-31\n\
         [[accepted]]\nid = \"0123456789ab\"\nreason = \"known\"\nexpires = \"2026-01-02\"\n\
         [[accepted]]\nid = \"x\"\nreason = \"forever\"\n",
    );
    let a = l.accepted();
    assert_eq!(a[0].expires, NaiveDate::from_ymd_opt(2027, 3, 31));
    assert_eq!(a[1].expires, NaiveDate::from_ymd_opt(2026, 1, 2));
    assert_eq!(a[2].expires, None);
    assert_eq!(a[0].reason, "400 not 415");
}

#[test]
fn base_path_is_appended_to_the_target() {
    let l = loaded("target = \"https://h.example/\"\nbase_path = \"/scim/v2\"\n");
    assert_eq!(l.target().as_deref(), Some("https://h.example/scim/v2"));
    let l = loaded("target = \"https://h.example/scim\"\n");
    assert_eq!(l.target().as_deref(), Some("https://h.example/scim"));
}

#[test]
fn a_relative_ca_file_is_found_beside_the_configuration() {
    let l = loaded("ca_cert = \"certs/ca.pem\"\n");
    assert_eq!(l.ca_cert(), Some(PathBuf::from("ci/certs/ca.pem")));
}

#[test]
fn a_token_variable_that_is_not_set_is_named() {
    let l = loaded("token_env = \"SCIM_HARNESS_TEST_SURELY_UNSET_4711\"\n");
    let e = l.token().expect_err("unset");
    assert!(
        e.to_string()
            .contains("SCIM_HARNESS_TEST_SURELY_UNSET_4711")
            && e.to_string().contains("token_env"),
        "{e}"
    );
}

#[test]
fn the_ci_example_is_a_valid_configuration() {
    let text = include_str!("../../examples/ci/scim-harness.toml");
    let l = loaded(text);
    assert_eq!(l.target().as_deref(), Some("http://127.0.0.1:8080/scim/v2"));
    assert_eq!(l.config.token_env.as_deref(), Some("SCIM_TOKEN"));
    let a = l.accepted();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].id, "Errors use the SCIM media type");
    assert!(a[0].expires.is_some());
}
