//! Unit tests of binding and evaluation, through the public [`Filter`] methods.

use super::*;
use crate::scim::error::ScimType;
use crate::scim::schema::{
    AttrType, ENTERPRISE_USER_SCHEMA, ResourceType, Schema, USER_SCHEMA, group_type, user_type,
};
use serde_json::Value;
use serde_json::json;

const ID: &str = "2819c223-7f76-453a-919d-413861904646";

fn user() -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "id": ID,
        "externalId": "bjensen-EXT",
        "userName": "Bjensen@Example.com",
        "name": {"familyName": "O'Malley", "givenName": "Barbara"},
        "title": "Tour \"Guide\"",
        "userType": "Employee",
        "nickName": "",
        "active": true,
        "profileUrl": "https://login.example.com/bjensen",
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "ims": [],
        "x509Certificates": [{"value": "MIIDQzCC"}],
        "meta": {
            "resourceType": "User",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34Z"
        },
        ENTERPRISE_USER_SCHEMA: {
            "employeeNumber": "701984",
            "manager": {"value": "26118915", "displayName": "John Smith"}
        }
    })
}

fn bound(filter: &str, rt: &ResourceType) -> Result<Filter, crate::scim::ScimError> {
    Filter::parse(filter)?.bind(rt)
}

fn m(filter: &str) -> bool {
    let f = bound(filter, user_type()).expect(filter);
    f.matches(&user(), user_type())
}

fn bind_err(filter: &str) -> String {
    let e = bound(filter, user_type()).expect_err(filter);
    assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{filter}");
    e.detail
}

#[test]
fn string_operators_follow_case_exact() {
    assert!(m(r#"userName eq "bjensen@example.COM""#));
    assert!(m(r#"USERNAME Eq "BJENSEN@EXAMPLE.COM""#));
    assert!(m(r#"userName co "EXAMPLE""#));
    assert!(m(r#"userName sw "bj""#));
    assert!(m(r#"userName ew ".Com""#));
    assert!(!m(r#"userName sw "example""#));
    assert!(m(r#"userName gt "a""#) && m(r#"userName ge "BJENSEN@example.com""#));
    assert!(m(r#"userName lt "c""#) && m(r#"userName le "bjensen@example.com""#));
    assert!(!m(r#"userName gt "c""#) && !m(r#"userName lt "a""#));
    assert!(m(&format!(r#"id eq "{ID}""#)));
    assert!(!m(&format!(r#"id eq "{}""#, ID.to_uppercase())));
    assert!(m(r#"externalId eq "bjensen-EXT""#) && !m(r#"externalId eq "bjensen-ext""#));
    assert!(!m(r#"externalId co "ext""#));
    assert!(m(r#"name.familyName co "o'mal""#));
    assert!(m(r#"title eq "tour \"guide\"""#));
    assert!(m("userName eq \"\\u0042jensen@example.com\""));
}

#[test]
fn ne_is_not_eq_and_true_when_absent() {
    assert!(!m(r#"userType ne "employee""#));
    assert!(m(r#"userType ne "Intern""#));
    assert!(m(r#"locale ne "en""#));
    assert!(!m(r#"locale eq "en""#));
    assert!(!m(r#"emails.type ne "home""#), "one value is home");
    assert!(m(r#"emails.type ne "other""#));
}

#[test]
fn present_and_null() {
    assert!(m("title pr") && m("emails pr") && m("name pr") && m("emails.value pr"));
    assert!(!m("nickName pr"), "empty string");
    assert!(!m("ims pr"), "empty array");
    assert!(!m("locale pr") && !m("addresses pr") && !m("name.middleName pr"));
    assert!(m("locale eq null") && m("nickName eq null") && !m("title eq null"));
    assert!(m("title ne null") && !m("locale ne null"));
    assert_ne!(m("emails eq null"), m("emails pr"));
}

#[test]
fn multi_valued_attributes_match_any_value() {
    assert!(m(r#"emails.value co "@jensen.org""#));
    assert!(m(r#"emails.type eq "HOME""#));
    assert!(m(r#"emails co "jensen.org""#), "emails means emails.value");
    assert!(m(r#"emails[primary eq true]"#));
    assert!(
        !m(r#"emails[type eq "work" and value co "@jensen.org"]"#),
        "no single element"
    );
    assert!(m(r#"emails[type eq "home" and value co "@jensen.org"]"#));
    assert!(m(
        r#"emails[type eq "work"] and emails.value co "jensen.org""#
    ));
    assert!(m(r#"emails[not (type eq "work")]"#));
    assert!(!m(r#"ims[type eq "xmpp"]"#) && !m(r#"addresses[type eq "work"]"#));
    assert!(m(
        r#"schemas eq "URN:ietf:params:scim:schemas:extension:enterprise:2.0:User""#
    ));
}

#[test]
fn logic_precedence_and_not() {
    assert!(m(r#"title pr or userName eq "x" and active eq false"#));
    assert!(!m(r#"(title pr or userName eq "x") and active eq false"#));
    assert!(!m("not (active eq true)") && m("not(locale pr)"));
    assert!(m(
        r#"userType eq "Employee" and not (emails co "example.org" or emails.value co "x.org")"#
    ));
}

#[test]
fn typed_comparisons() {
    assert!(m("active eq true") && !m("active eq false") && m("active ne false"));
    assert!(m(r#"meta.lastModified gt "2011-05-13T04:42:33Z""#));
    assert!(
        m(r#"meta.lastModified eq "2011-05-13T06:42:34+02:00""#),
        "same instant"
    );
    assert!(m(r#"meta.lastModified ge "2011-05-13T04:42:34.000Z""#));
    assert!(
        m(r#"meta.created lt "2011-01-01T00:00:00Z""#)
            && m(r#"meta.created le "2010-01-23T04:56:22Z""#)
    );
    assert!(!m(r#"meta.created gt "2011-01-01T00:00:00Z""#));
    assert!(m(r#"meta.created sw "2010-01""#));
    assert!(
        m(r#"x509Certificates.value eq "MIIDQzCC""#)
            && !m(r#"x509Certificates.value eq "miidqzcc""#)
    );
    assert!(
        !m(r#"profileUrl eq "https://login.example.com/BJENSEN""#),
        "references are exact"
    );
}

#[test]
fn extension_attributes_with_and_without_urn() {
    assert!(m(&format!(
        r#"{ENTERPRISE_USER_SCHEMA}:employeeNumber eq "701984""#
    )));
    assert!(m(r#"employeeNumber eq "701984""#));
    assert!(m(&format!(
        "{ENTERPRISE_USER_SCHEMA}:manager.value eq \"26118915\""
    )));
    assert!(m(r#"manager eq "26118915""#));
    assert!(m(&format!("{USER_SCHEMA}:userName sw \"BJ\"")));
    assert!(!m(r#"costCenter pr"#));
}

#[test]
fn bind_canonicalises_names_and_urns() {
    let f = bound(&format!("{USER_SCHEMA}:USERNAME eq \"x\""), user_type()).expect("bind");
    assert_eq!(f.to_string(), r#"userName eq "x""#);
    let f = bound(
        r#"EMPLOYEENUMBER eq "1" and EMAILS[TYPE eq "work"] and Name.GivenName pr"#,
        user_type(),
    )
    .expect("bind");
    assert_eq!(
        f.to_string(),
        format!(
            r#"{ENTERPRISE_USER_SCHEMA}:employeeNumber eq "1" and emails[type eq "work"] and name.givenName pr"#
        )
    );
    let f = bound(r#"emails co "x""#, user_type()).expect("bind");
    assert_eq!(f.to_string(), r#"emails.value co "x""#);
    let f = bound(
        r#"members[VALUE eq "1"] or displayName co "a""#,
        group_type(),
    )
    .expect("bind");
    assert_eq!(
        f.to_string(),
        r#"members[value eq "1"] or displayName co "a""#
    );
}

#[test]
fn bind_rejects_unknown_attributes_and_type_mismatches() {
    assert_eq!(bind_err("foo pr"), "unknown attribute 'foo'");
    assert_eq!(
        bind_err("name.foo pr"),
        "unknown sub-attribute 'foo' of 'name'"
    );
    assert!(bind_err("userName.foo pr").contains("has no sub-attributes"));
    assert!(bind_err(r#"emails[foo eq "x"]"#).contains("unknown sub-attribute 'foo' of 'emails'"));
    assert!(bind_err(r#"emails[emails.type eq "x"]"#).contains("must be a sub-attribute name"));
    assert!(bind_err(r#"userName[value eq "x"]"#).contains("not a complex attribute"));
    assert!(bind_err(r#"name eq "x""#).contains("cannot compare complex attribute 'name'"));
    assert!(bind_err("active gt true").contains("'gt' is not supported on boolean"));
    assert!(bind_err("active co true").contains("not supported"));
    assert!(bind_err(r#"active eq "true""#).contains("cannot be compared with a string"));
    assert!(bind_err(r#"x509Certificates.value lt "a""#).contains("not supported on binary"));
    assert!(bind_err(r#"meta.created gt "yesterday""#).contains("not an RFC 3339 dateTime"));
    assert!(bind_err("userName eq 5").contains("cannot be compared with a number"));
    assert!(bind_err("userName eq true").contains("cannot be compared with a boolean"));
    assert!(bind_err("userName gt null").contains("cannot compare with null"));
    assert!(bind_err("not pr").contains("unknown attribute 'not'"));
    assert!(bound("foo pr", group_type()).is_err() && bound("userName pr", group_type()).is_err());
}

/// A resource type with numeric attributes (the standard schemas have none).
fn numeric_type() -> &'static ResourceType {
    let attr = |name: &'static str, ty: AttrType| {
        let mut d = user_type().schema.attributes[0].clone();
        d.name = name;
        d.ty = ty;
        d
    };
    let schema: &'static Schema = Box::leak(Box::new(Schema {
        id: "urn:example:Thing",
        name: "Thing",
        description: "",
        attributes: vec![
            attr("age", AttrType::Integer),
            attr("score", AttrType::Decimal),
        ],
    }));
    Box::leak(Box::new(ResourceType {
        id: "Thing",
        name: "Thing",
        endpoint: "/Things",
        description: "",
        schema,
        extensions: vec![],
        common: user_type().common,
    }))
}

#[test]
fn numbers_compare_numerically_and_integers_exactly() {
    let rt = numeric_type();
    let res = json!({"age": 42, "score": 2.5, "id": "x"});
    let nm = |f: &str| bound(f, rt).expect(f).matches(&res, rt);
    assert!(nm("age eq 42") && nm("age ne 41") && nm("age gt 41") && nm("age ge 42"));
    assert!(nm("age lt 42.5") && nm("age le 42") && nm("age eq 42.0") && !nm("age gt 42"));
    assert!(nm("score gt 2") && nm("score eq 25e-1") && !nm("score lt -1e-9"));
    let big = json!({"age": 9_007_199_254_740_993_i64});
    let f = bound("age eq 9007199254740992", rt).expect("bind");
    assert!(!f.matches(&big, rt), "exact integer comparison beyond 2^53");
    for bad in [r#"age eq "42""#, "age co 4", "score sw 1", "age eq true"] {
        let e = bound(bad, rt).expect_err(bad);
        assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{bad}");
    }
}

#[test]
fn relative_filters_match_single_values() {
    let emails = user_type().schema.attr("emails").expect("emails");
    let f = Filter::parse(r#"TYPE eq "WORK" and primary eq true"#)
        .and_then(|f| f.bind_relative(emails))
        .expect("bind");
    assert_eq!(f.to_string(), r#"type eq "WORK" and primary eq true"#);
    let u = user();
    let hits: Vec<bool> = u["emails"]
        .as_array()
        .expect("array")
        .iter()
        .map(|e| f.matches_value(e, emails))
        .collect();
    assert_eq!(hits, [true, false]);
    assert!(
        Filter::parse("foo pr")
            .and_then(|f| f.bind_relative(emails))
            .is_err()
    );
}

#[test]
fn deepest_accepted_filters_bind_and_evaluate() {
    use crate::scim::filter::MAX_FILTER_DEPTH;
    let chain = vec!["locale pr"; MAX_FILTER_DEPTH].join(" or ") + " or id pr";
    let f = bound(&chain, user_type()).expect("bind");
    assert!(f.matches(&user(), user_type()));
    let nested = format!(
        "{}emails[type pr]{}",
        "not (".repeat(MAX_FILTER_DEPTH - 1),
        ")".repeat(MAX_FILTER_DEPTH - 1)
    );
    let f = bound(&nested, user_type()).expect("bind");
    assert!(!f.matches(&user(), user_type()), "odd number of nots");
}
