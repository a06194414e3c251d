//! Unit tests of the PATCH engine: every RFC 7644 §3.5.2 rule and every compat shape, with the
//! exact resulting resource or the exact `scimType`. This file: shared fixtures, request
//! parsing, `add` and `replace`; `remove_tests` and `compat_tests` hold the rest.

use super::*;
use crate::scim::ScimType;
use crate::scim::schema::{
    ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, ResourceType, USER_SCHEMA, group_type, user_type,
};
use serde_json::json;

pub(super) const STRICT: PatchOptions = PatchOptions { compat: false };
pub(super) const COMPAT: PatchOptions = PatchOptions { compat: true };
pub(super) const ENT: &str = ENTERPRISE_USER_SCHEMA;

/// A stored user: canonical, with `id` and `meta`.
pub(super) fn user() -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENT],
        "id": "u1",
        "userName": "bjensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "displayName": "Babs Jensen",
        "active": true,
        "emails": [
            {"value": "bjensen@work.example", "type": "work", "primary": true},
            {"value": "babs@home.example", "type": "home"}
        ],
        ENT: {"department": "Tour Operations", "manager": {"value": "m1", "displayName": "Boss"}},
        "meta": {
            "resourceType": "User",
            "created": "2024-01-01T00:00:00Z",
            "lastModified": "2024-01-01T00:00:00Z",
            "version": "W/\"1\""
        }
    })
}

/// A stored user with only the required attribute.
pub(super) fn bare_user() -> Value {
    json!({"schemas": [USER_SCHEMA], "id": "u9", "userName": "ann", "meta": {"resourceType": "User"}})
}

pub(super) fn group() -> Value {
    json!({
        "schemas": [GROUP_SCHEMA],
        "id": "g1",
        "displayName": "Tour Guides",
        "members": [
            {"value": "u1", "display": "Babs", "type": "User"},
            {"value": "u2", "type": "User"}
        ],
        "meta": {"resourceType": "Group"}
    })
}

pub(super) fn body(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

pub(super) fn run(
    res: &Value,
    ops: Value,
    rt: &ResourceType,
    opts: PatchOptions,
) -> Result<Value, ScimError> {
    let ops = parse_request(&body(ops), opts)?;
    apply(res, &ops, rt, opts)
}

pub(super) fn ok_user(ops: Value) -> Value {
    run(&user(), ops, user_type(), STRICT).expect("patch applies")
}

pub(super) fn err_type(res: &Value, ops: Value, rt: &ResourceType, opts: PatchOptions) -> ScimType {
    let e = run(res, ops, rt, opts).expect_err("patch must fail");
    assert_eq!(e.status, 400, "{e}");
    e.scim_type.expect("typed error")
}

pub(super) fn user_err(ops: Value) -> ScimType {
    err_type(&user(), ops, user_type(), STRICT)
}

pub(super) fn del(v: &mut Value, key: &str) {
    if let Some(o) = v.as_object_mut() {
        o.remove(key);
    }
}

// ---------------------------------------------------------------- parse_request

#[test]
fn parse_accepts_case_insensitive_member_names() {
    let ops = parse_request(
        &json!({"SCHEMAS": [PATCH_OP], "operations": [
            {"OP": "add", "Path": "nickName", "VALUE": "Babs"},
            {"op": "remove", "path": "title"},
            {"op": "replace", "value": {"title": "x"}}
        ]}),
        STRICT,
    )
    .expect("valid");
    assert_eq!(
        ops,
        vec![
            PatchOp {
                op: PatchOpKind::Add,
                path: Some("nickName".into()),
                value: Some(json!("Babs"))
            },
            PatchOp {
                op: PatchOpKind::Remove,
                path: Some("title".into()),
                value: None
            },
            PatchOp {
                op: PatchOpKind::Replace,
                path: None,
                value: Some(json!({"title": "x"}))
            },
        ]
    );
}

#[test]
fn parse_refuses_malformed_bodies() {
    for b in [
        json!([]),
        json!({"Operations": [{"op": "add", "value": {}}]}),
        json!({"schemas": ["urn:x"], "Operations": [{"op": "add", "value": {}}]}),
        json!({"schemas": [PATCH_OP]}),
        json!({"schemas": [PATCH_OP], "Operations": []}),
        json!({"schemas": [PATCH_OP], "Operations": {"op": "add"}}),
        json!({"schemas": [PATCH_OP], "Operations": ["add"]}),
        json!({"schemas": [PATCH_OP], "Operations": [{"path": "title", "value": "x"}]}),
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "copy", "path": "title"}]}),
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": 5, "value": "x"}]}),
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "OP": "add", "value": {}}]}),
    ] {
        let e = parse_request(&b, STRICT).expect_err("malformed");
        assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax), "{b}");
    }
}

#[test]
fn strict_ops_are_lowercase_compat_ops_any_case() {
    for op in ["Add", "REPLACE", "Remove"] {
        let b = body(json!([{"op": op, "path": "title", "value": "x"}]));
        let e = parse_request(&b, STRICT).expect_err("strict");
        assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
        assert!(parse_request(&b, COMPAT).is_ok(), "{op}");
    }
}

#[test]
fn add_and_replace_need_a_value_remove_needs_a_path() {
    for op in ["add", "replace"] {
        let e = parse_request(&body(json!([{"op": op, "path": "title"}])), STRICT)
            .expect_err("no value");
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
    }
    let e = parse_request(&body(json!([{"op": "remove"}])), STRICT).expect_err("no path");
    assert_eq!(e.scim_type, Some(ScimType::NoTarget));
    // An explicit null is a value (it means unassigned).
    let ops = parse_request(
        &body(json!([{"op": "replace", "path": "title", "value": null}])),
        STRICT,
    )
    .expect("null value");
    assert_eq!(ops[0].value, Some(Value::Null));
}

#[test]
fn operation_count_is_capped() {
    let one = json!({"op": "replace", "path": "title", "value": "x"});
    let ok = body(Value::Array(vec![one.clone(); MAX_PATCH_OPERATIONS]));
    assert_eq!(
        parse_request(&ok, STRICT).map(|v| v.len()),
        Ok(MAX_PATCH_OPERATIONS)
    );
    let too_many = body(Value::Array(vec![one; MAX_PATCH_OPERATIONS + 1]));
    let e = parse_request(&too_many, STRICT).expect_err("too many");
    assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
}

#[test]
fn errors_name_the_failing_operation() {
    let e = run(
        &user(),
        json!([{"op": "add", "path": "title", "value": "x"}, {"op": "add", "path": "shoeSize", "value": 9}]),
        user_type(),
        STRICT,
    )
    .expect_err("unknown");
    assert!(e.detail.starts_with("Operations[1]:"), "{}", e.detail);
}

// ---------------------------------------------------------------- add

#[test]
fn add_single_valued_sets_or_replaces() {
    let got = ok_user(json!([
        {"op": "add", "path": "nickName", "value": "Babs"},
        {"op": "add", "path": "displayName", "value": "Barbara J"}
    ]));
    let mut want = user();
    want["nickName"] = json!("Babs");
    want["displayName"] = json!("Barbara J");
    assert_eq!(got, want);
}

#[test]
fn add_complex_merges_sub_attributes() {
    let got = ok_user(
        json!([{"op": "add", "path": "name", "value": {"MiddleName": "J", "givenName": "Babs"}}]),
    );
    let mut want = user();
    want["name"] = json!({"givenName": "Babs", "familyName": "Jensen", "middleName": "J"});
    assert_eq!(got, want);
}

#[test]
fn add_multi_valued_appends_and_skips_duplicates() {
    let got = ok_user(json!([{"op": "add", "path": "emails", "value": [
        {"value": "babs@home.example", "type": "home"},
        {"value": "b@other.example", "type": "other"},
        {"value": "b@other.example", "type": "other"}
    ]}]));
    let mut want = user();
    want["emails"] = json!([
        {"value": "bjensen@work.example", "type": "work", "primary": true},
        {"value": "babs@home.example", "type": "home"},
        {"value": "b@other.example", "type": "other"}
    ]);
    assert_eq!(got, want);
    // Adding the same value again changes nothing.
    let again = run(
        &got,
        json!([{"op": "add", "path": "emails", "value": {"value": "b@other.example", "type": "other"}}]),
        user_type(),
        STRICT,
    )
    .expect("idempotent");
    assert_eq!(again, want);
}

#[test]
fn add_single_object_to_multi_valued_is_accepted() {
    let got = run(
        &bare_user(),
        json!([{"op": "add", "path": "emails", "value": {"value": "a@x.example"}}]),
        user_type(),
        STRICT,
    )
    .expect("single object");
    assert_eq!(got["emails"], json!([{"value": "a@x.example"}]));
}

#[test]
fn add_primary_value_demotes_the_others() {
    let got = ok_user(json!([{"op": "add", "path": "emails", "value": [
        {"value": "b@other.example", "type": "other", "primary": true}
    ]}]));
    let mut want = user();
    want["emails"] = json!([
        {"value": "bjensen@work.example", "type": "work", "primary": false},
        {"value": "babs@home.example", "type": "home"},
        {"value": "b@other.example", "type": "other", "primary": true}
    ]);
    assert_eq!(got, want);
}

#[test]
fn two_primaries_in_one_operation_are_invalid() {
    assert_eq!(
        user_err(json!([{"op": "add", "path": "emails", "value": [
            {"value": "a@x.example", "primary": true},
            {"value": "b@x.example", "primary": true}
        ]}])),
        ScimType::InvalidValue
    );
    // Setting primary on every value of a two-valued attribute: same.
    assert_eq!(
        user_err(json!([{"op": "replace", "path": "emails.primary", "value": true}])),
        ScimType::InvalidValue
    );
}

#[test]
fn add_sub_attribute_of_complex() {
    let got = run(
        &bare_user(),
        json!([{"op": "add", "path": "name.givenName", "value": "Ann"}]),
        user_type(),
        STRICT,
    )
    .expect("sub");
    let mut want = bare_user();
    want["name"] = json!({"givenName": "Ann"});
    assert_eq!(got, want);
}

#[test]
fn add_with_value_filter_sets_sub_attribute_of_matches() {
    let got = ok_user(
        json!([{"op": "add", "path": "emails[type eq \"work\"].value", "value": "new@work.example"}]),
    );
    let mut want = user();
    want["emails"][0]["value"] = json!("new@work.example");
    assert_eq!(got, want);
    assert_eq!(
        user_err(json!([{"op": "add", "path": "emails[type eq \"other\"].value", "value": "x@y"}])),
        ScimType::NoTarget
    );
}

#[test]
fn add_without_path_merges_each_attribute() {
    let got = run(
        &bare_user(),
        json!([{"op": "add", "value": {
            "NICKNAME": "Annie",
            "name": {"familyName": "Lee"},
            "emails": [{"value": "ann@x.example", "type": "work"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {"EmployeeNumber": "42"},
            "schemas": ["ignored"]
        }}]),
        user_type(),
        STRICT,
    )
    .expect("path-less add");
    assert_eq!(
        got,
        json!({
            "schemas": [USER_SCHEMA, ENT],
            "id": "u9",
            "userName": "ann",
            "meta": {"resourceType": "User"},
            "nickName": "Annie",
            "name": {"familyName": "Lee"},
            "emails": [{"value": "ann@x.example", "type": "work"}],
            ENT: {"employeeNumber": "42"}
        })
    );
}

#[test]
fn add_extension_attributes_by_urn_path() {
    let got = run(
        &bare_user(),
        json!([
            {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales"},
            {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "value": "m7"}
        ]),
        user_type(),
        STRICT,
    )
    .expect("extension paths");
    let mut want = bare_user();
    want["schemas"] = json!([USER_SCHEMA, ENT]);
    want[ENT] = json!({"department": "Sales", "manager": {"value": "m7"}});
    assert_eq!(got, want);
}

#[test]
fn add_with_extension_urn_as_path() {
    let got = run(
        &bare_user(),
        json!([{"op": "add", "path": ENT, "value": {"costCenter": "4130"}}]),
        user_type(),
        STRICT,
    )
    .expect("container path");
    assert_eq!(got[ENT], json!({"costCenter": "4130"}));
    assert_eq!(got["schemas"], json!([USER_SCHEMA, ENT]));
}

#[test]
fn add_null_changes_nothing() {
    let got = ok_user(json!([{"op": "add", "path": "title", "value": null}]));
    assert_eq!(got, user());
}

// ---------------------------------------------------------------- replace

#[test]
fn replace_single_valued_and_missing_attribute_is_an_add() {
    let got = ok_user(json!([
        {"op": "replace", "path": "displayName", "value": "B. Jensen"},
        {"op": "replace", "path": "title", "value": "Tour Guide"}
    ]));
    let mut want = user();
    want["displayName"] = json!("B. Jensen");
    want["title"] = json!("Tour Guide");
    assert_eq!(got, want);
}

#[test]
fn replace_multi_valued_replaces_all_values() {
    let got = ok_user(
        json!([{"op": "replace", "path": "emails", "value": [{"value": "only@x.example", "type": "work"}]}]),
    );
    let mut want = user();
    want["emails"] = json!([{"value": "only@x.example", "type": "work"}]);
    assert_eq!(got, want);
    // A lone object is a shape mismatch in strict mode.
    assert_eq!(
        user_err(
            json!([{"op": "replace", "path": "emails", "value": {"value": "only@x.example"}}])
        ),
        ScimType::InvalidValue
    );
}

#[test]
fn replace_complex_merges_and_null_unassigns() {
    let got = ok_user(
        json!([{"op": "replace", "path": "name", "value": {"givenName": "Babs", "familyName": null}}]),
    );
    let mut want = user();
    want["name"] = json!({"givenName": "Babs"});
    assert_eq!(got, want);
    let got = ok_user(json!([{"op": "replace", "path": "name", "value": null}]));
    let mut want = user();
    del(&mut want, "name");
    assert_eq!(got, want);
}

#[test]
fn replace_with_filter_merges_into_matching_values() {
    let got = ok_user(
        json!([{"op": "replace", "path": "emails[type eq \"home\"]", "value": {"value": "b@home2.example", "primary": true}}]),
    );
    let mut want = user();
    want["emails"] = json!([
        {"value": "bjensen@work.example", "type": "work", "primary": false},
        {"value": "b@home2.example", "type": "home", "primary": true}
    ]);
    assert_eq!(got, want);
}

#[test]
fn replace_with_filter_and_sub_attribute() {
    let got = ok_user(
        json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "bj@corp.example"}]),
    );
    let mut want = user();
    want["emails"][0]["value"] = json!("bj@corp.example");
    assert_eq!(got, want);
}

#[test]
fn replace_with_filter_matching_nothing_is_no_target() {
    assert_eq!(
        user_err(
            json!([{"op": "replace", "path": "emails[type eq \"other\"].value", "value": "x@y"}])
        ),
        ScimType::NoTarget
    );
    assert_eq!(
        user_err(
            json!([{"op": "replace", "path": "emails[value co \"nowhere\"]", "value": {"type": "other"}}])
        ),
        ScimType::NoTarget
    );
}

#[test]
fn replace_filter_that_makes_values_equal_keeps_one() {
    let got = ok_user(
        json!([{"op": "replace", "path": "emails[type pr]", "value": {"value": "same@x.example", "type": "work", "primary": null}}]),
    );
    let mut want = user();
    want["emails"] = json!([{"value": "same@x.example", "type": "work"}]);
    assert_eq!(got, want);
}

#[test]
fn replace_without_path_replaces_each_attribute() {
    let got = ok_user(json!([{"op": "replace", "value": {
        "displayName": "BJ",
        "emails": [{"value": "x@y.example"}],
        "active": false,
        ENT: {"department": "Sales"}
    }}]));
    let mut want = user();
    want["displayName"] = json!("BJ");
    want["emails"] = json!([{"value": "x@y.example"}]);
    want["active"] = json!(false);
    want[ENT]["department"] = json!("Sales");
    assert_eq!(got, want);
}

#[test]
fn strict_path_less_keys_must_be_attribute_names() {
    for key in [
        "name.givenName",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        "emails[type eq \"work\"].value",
        "shoeSize",
        "department",
    ] {
        assert_eq!(
            user_err(json!([{"op": "replace", "value": {key: "x"}}])),
            ScimType::InvalidPath,
            "{key}"
        );
    }
    assert_eq!(
        user_err(json!([{"op": "replace", "value": "x"}])),
        ScimType::InvalidValue
    );
}

#[test]
fn unassigning_a_required_attribute_is_mutability() {
    // RFC 7644 §3.5.2.2: "removed or becomes unassigned".
    for op in [
        json!({"op": "replace", "path": "userName", "value": null}),
        json!({"op": "replace", "value": {"userName": null}}),
    ] {
        assert_eq!(user_err(json!([op])), ScimType::Mutability, "{op}");
    }
}

#[test]
fn a_blank_identifier_is_invalid_value_however_it_is_written() {
    // RFC 7643 §4.1.1: "Each User MUST include a non-empty userName value"; the PATCH result
    // is held to what a POST is.
    for op in [
        json!({"op": "replace", "path": "userName", "value": ""}),
        json!({"op": "replace", "path": "userName", "value": "  "}),
        json!({"op": "replace", "value": {"userName": "\t"}}),
        json!({"op": "add", "path": "userName", "value": ""}),
        json!({"op": "add", "path": "externalId", "value": ""}),
    ] {
        assert_eq!(user_err(json!([op])), ScimType::InvalidValue, "{op}");
    }
    for op in [
        json!({"op": "replace", "path": "displayName", "value": " "}),
        json!({"op": "replace", "value": {"displayName": ""}}),
    ] {
        let e = err_type(&group(), json!([op]), group_type(), PatchOptions::default());
        assert_eq!(e, ScimType::InvalidValue, "{op}");
    }
}
