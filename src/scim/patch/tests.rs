//! Unit tests of the PATCH engine: every RFC 7644 §3.5.2 rule and every compat shape, with the
//! exact resulting resource or the exact `scimType`.

use super::*;
use crate::scim::ScimType;
use crate::scim::schema::{
    ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, ResourceType, USER_SCHEMA, USERSYNC_SCHEMA, group_type,
    user_type,
};
use serde_json::json;

const STRICT: PatchOptions = PatchOptions { compat: false };
const COMPAT: PatchOptions = PatchOptions { compat: true };
const ENT: &str = ENTERPRISE_USER_SCHEMA;

/// A stored user: canonical, with `id` and `meta`.
fn user() -> Value {
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
fn bare_user() -> Value {
    json!({"schemas": [USER_SCHEMA], "id": "u9", "userName": "ann", "meta": {"resourceType": "User"}})
}

fn group() -> Value {
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

fn body(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

fn run(res: &Value, ops: Value, rt: &ResourceType, opts: PatchOptions) -> Result<Value, ScimError> {
    let ops = parse_request(&body(ops), opts)?;
    apply(res, &ops, rt, opts)
}

fn ok_user(ops: Value) -> Value {
    run(&user(), ops, user_type(), STRICT).expect("patch applies")
}

fn err_type(res: &Value, ops: Value, rt: &ResourceType, opts: PatchOptions) -> ScimType {
    let e = run(res, ops, rt, opts).expect_err("patch must fail");
    assert_eq!(e.status, 400, "{e}");
    e.scim_type.expect("typed error")
}

fn user_err(ops: Value) -> ScimType {
    err_type(&user(), ops, user_type(), STRICT)
}

fn del(v: &mut Value, key: &str) {
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

// ---------------------------------------------------------------- remove

#[test]
fn remove_attribute_sub_attribute_and_whole_multi_valued() {
    let got = ok_user(json!([
        {"op": "remove", "path": "displayName"},
        {"op": "remove", "path": "name.givenName"},
        {"op": "remove", "path": "emails"},
        {"op": "remove", "path": "nickName"}
    ]));
    let mut want = user();
    del(&mut want, "displayName");
    del(&mut want, "emails");
    want["name"] = json!({"familyName": "Jensen"});
    assert_eq!(got, want);
}

#[test]
fn remove_last_sub_attribute_unassigns_the_complex() {
    let got = ok_user(json!([
        {"op": "remove", "path": "name.givenName"},
        {"op": "remove", "path": "name.familyName"}
    ]));
    let mut want = user();
    del(&mut want, "name");
    assert_eq!(got, want);
}

#[test]
fn remove_filtered_values_and_their_sub_attributes() {
    let got = ok_user(json!([{"op": "remove", "path": "emails[type eq \"work\"]"}]));
    let mut want = user();
    want["emails"] = json!([{"value": "babs@home.example", "type": "home"}]);
    assert_eq!(got, want);
    let got = ok_user(json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}]));
    let mut want = user();
    want["emails"][0] = json!({"value": "bjensen@work.example", "type": "work"});
    assert_eq!(got, want);
    // Removing every value leaves the attribute unassigned.
    let got = ok_user(json!([{"op": "remove", "path": "emails[value ew \".example\"]"}]));
    let mut want = user();
    del(&mut want, "emails");
    assert_eq!(got, want);
}

#[test]
fn remove_with_filter_matching_nothing_is_no_target() {
    assert_eq!(
        user_err(json!([{"op": "remove", "path": "emails[type eq \"other\"]"}])),
        ScimType::NoTarget
    );
}

#[test]
fn remove_required_attribute_is_mutability() {
    assert_eq!(
        user_err(json!([{"op": "remove", "path": "userName"}])),
        ScimType::Mutability
    );
    assert_eq!(
        err_type(
            &group(),
            json!([{"op": "remove", "path": "displayName"}]),
            group_type(),
            STRICT
        ),
        ScimType::Mutability
    );
}

#[test]
fn removing_last_extension_attribute_drops_the_schema() {
    let got = ok_user(json!([
        {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"},
        {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}
    ]));
    let mut want = user();
    del(&mut want, ENT);
    want["schemas"] = json!([USER_SCHEMA]);
    assert_eq!(got, want);
    let got = ok_user(json!([{"op": "remove", "path": ENT}]));
    assert_eq!(got, want);
}

#[test]
fn strict_remove_with_value_removes_all_values() {
    let got = run(
        &group(),
        json!([{"op": "remove", "path": "members", "value": [{"value": "u1"}]}]),
        group_type(),
        STRICT,
    )
    .expect("remove all");
    let mut want = group();
    del(&mut want, "members");
    assert_eq!(got, want);
}

#[test]
fn remove_member_by_value_filter() {
    for opts in [STRICT, COMPAT] {
        let got = run(
            &group(),
            json!([{"op": "remove", "path": "members[value eq \"u1\"]"}]),
            group_type(),
            opts,
        )
        .expect("remove member");
        let mut want = group();
        want["members"] = json!([{"value": "u2", "type": "User"}]);
        assert_eq!(got, want);
    }
}

// ---------------------------------------------------------------- mutability

#[test]
fn read_only_targets_are_mutability_errors() {
    for op in [
        json!({"op": "replace", "path": "id", "value": "x"}),
        json!({"op": "add", "path": "meta.lastModified", "value": "2025-01-01T00:00:00Z"}),
        json!({"op": "remove", "path": "meta"}),
        json!({"op": "add", "path": "groups", "value": [{"value": "g1"}]}),
        json!({"op": "replace", "value": {"id": "x"}}),
        json!({"op": "add", "path": "urn:scim-harness:params:scim:schemas:extension:usersync:1.0:User:status", "value": "active"}),
        json!({"op": "add", "value": {USERSYNC_SCHEMA: {"lastSyncResult": "ok"}}}),
        json!({"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName", "value": "x"}),
    ] {
        assert_eq!(user_err(json!([op])), ScimType::Mutability, "{op}");
    }
    assert_eq!(
        err_type(
            &group(),
            json!([{"op": "replace", "path": "members[value eq \"u1\"].display", "value": "x"}]),
            group_type(),
            STRICT
        ),
        ScimType::Mutability
    );
}

#[test]
fn read_only_sub_attributes_inside_values_are_ignored() {
    let got = run(
        &group(),
        json!([{"op": "add", "path": "members", "value": [
            {"value": "u3", "display": "Carol", "type": "User"},
            {"value": "u1", "type": "User"}
        ]}]),
        group_type(),
        STRICT,
    )
    .expect("add members");
    let mut want = group();
    want["members"] = json!([
        {"value": "u1", "display": "Babs", "type": "User"},
        {"value": "u2", "type": "User"},
        {"value": "u3", "type": "User"}
    ]);
    assert_eq!(got, want);
}

#[test]
fn immutable_values_can_be_set_once() {
    let g = group();
    let e = |ops| err_type(&g, ops, group_type(), STRICT);
    assert_eq!(
        e(json!([{"op": "replace", "path": "members[value eq \"u1\"].value", "value": "u9"}])),
        ScimType::Mutability
    );
    assert_eq!(
        e(json!([{"op": "remove", "path": "members[value eq \"u1\"].type"}])),
        ScimType::Mutability
    );
    assert_eq!(
        e(
            json!([{"op": "replace", "path": "members[value eq \"u2\"]", "value": {"type": "Group"}}])
        ),
        ScimType::Mutability
    );
    // Unchanged or unassigned: allowed.
    let got = run(
        &g,
        json!([
            {"op": "replace", "path": "members[value eq \"u1\"].type", "value": "User"},
            {"op": "add", "path": "members", "value": [{"value": "u3"}]},
            {"op": "add", "path": "members[value eq \"u3\"].type", "value": "User"}
        ]),
        group_type(),
        STRICT,
    )
    .expect("set once");
    let mut want = group();
    want["members"] = json!([
        {"value": "u1", "display": "Babs", "type": "User"},
        {"value": "u2", "type": "User"},
        {"value": "u3", "type": "User"}
    ]);
    assert_eq!(got, want);
}

#[test]
fn write_only_password_can_be_set() {
    let got = ok_user(json!([{"op": "replace", "path": "password", "value": "t1meMach1ne"}]));
    assert_eq!(got["password"], "t1meMach1ne");
}

// ---------------------------------------------------------------- paths and values

#[test]
fn bad_paths_are_invalid_path() {
    for path in [
        "shoeSize",
        "name.nick",
        "displayName.x",
        "emails[type eq \"work\"",
        "name[givenName eq \"x\"]",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:shoeSize",
        "urn:x:y:z",
        "",
    ] {
        assert_eq!(
            user_err(json!([{"op": "replace", "path": path, "value": "x"}])),
            ScimType::InvalidPath,
            "{path}"
        );
    }
    assert_eq!(
        user_err(json!([{"op": "add", "path": "name", "value": {"nick": "x"}}])),
        ScimType::InvalidPath
    );
    assert_eq!(
        user_err(json!([{"op": "remove", "path": USER_SCHEMA}])),
        ScimType::InvalidPath
    );
}

#[test]
fn wrong_types_and_shapes_are_invalid_value() {
    for op in [
        json!({"op": "replace", "path": "active", "value": "yes"}),
        json!({"op": "replace", "path": "active", "value": "False"}),
        json!({"op": "replace", "path": "displayName", "value": ["a"]}),
        json!({"op": "replace", "path": "displayName", "value": {"a": 1}}),
        json!({"op": "add", "path": "name", "value": "Ann"}),
        json!({"op": "add", "path": "emails", "value": ["a@x"]}),
        json!({"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m2"}),
        json!({"op": "replace", "path": "emails[type eq \"work\"]", "value": "x"}),
    ] {
        assert_eq!(user_err(json!([op])), ScimType::InvalidValue, "{op}");
    }
}

#[test]
fn all_or_nothing() {
    let ops = json!([
        {"op": "replace", "path": "displayName", "value": "changed"},
        {"op": "remove", "path": "emails[type eq \"nope\"]"}
    ]);
    let before = user();
    assert!(run(&before, ops, user_type(), STRICT).is_err());
    assert_eq!(before, user());
}

// ---------------------------------------------------------------- compat (Entra ID)

#[test]
fn entra_default_user_update_shapes() {
    // BEHAVIOUR E-U-03: the requests Entra ID sends without aadOptscim062020.
    let got = run(
        &user(),
        json!([
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Replace", "path": "displayName", "value": "Babs J"},
            {"op": "Replace", "path": "name.familyName", "value": "Jensen-Smith"},
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "babs@corp.example"},
            {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555 0100"},
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales"},
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m2"},
            {"op": "Remove", "path": "title"}
        ]),
        user_type(),
        COMPAT,
    )
    .expect("entra default");
    let mut want = user();
    want["active"] = json!(false);
    want["displayName"] = json!("Babs J");
    want["name"]["familyName"] = json!("Jensen-Smith");
    want["emails"][0]["value"] = json!("babs@corp.example");
    want["phoneNumbers"] = json!([{"type": "mobile", "value": "+1 555 0100"}]);
    want[ENT] = json!({"department": "Sales", "manager": {"value": "m2", "displayName": "Boss"}});
    assert_eq!(got, want);
}

#[test]
fn entra_default_group_membership_shapes() {
    // BEHAVIOUR E-G-01: member changes as Entra ID sends them by default.
    let got = run(
        &group(),
        json!([
            {"op": "Add", "path": "members", "value": [{"value": "u3"}]},
            {"op": "Remove", "path": "members", "value": [{"value": "U1"}, {"value": "gone"}]},
            {"op": "Replace", "path": "displayName", "value": "Guides"}
        ]),
        group_type(),
        COMPAT,
    )
    .expect("entra group");
    let mut want = group();
    want["displayName"] = json!("Guides");
    want["members"] = json!([{"value": "u2", "type": "User"}, {"value": "u3"}]);
    assert_eq!(got, want);
}

#[test]
fn compat_accepts_a_lone_member_object() {
    let got = run(
        &group(),
        json!([
            {"op": "Replace", "path": "members", "value": {"value": "u7"}},
            {"op": "Add", "value": {"members": {"value": "u8"}}},
            {"op": "Remove", "path": "members", "value": {"value": "u7"}}
        ]),
        group_type(),
        COMPAT,
    )
    .expect("lone objects");
    let mut want = group();
    want["members"] = json!([{"value": "u8"}]);
    assert_eq!(got, want);
}

#[test]
fn aad_opt_scim_062020_shapes() {
    let got = run(
        &user(),
        json!([
            {"op": "replace", "value": {
                "displayName": "Barbara Jensen",
                "name.givenName": "Barb",
                "name.familyName": "Jensen",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "701984",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value": "m3",
                "emails[type eq \"work\"].value": "barb@work.example",
                "active": false
            }},
            {"op": "add", "path": "nickName", "value": "Barb"}
        ]),
        user_type(),
        COMPAT,
    )
    .expect("aadOptscim062020 user");
    let mut want = user();
    want["displayName"] = json!("Barbara Jensen");
    want["name"]["givenName"] = json!("Barb");
    want["emails"][0]["value"] = json!("barb@work.example");
    want["active"] = json!(false);
    want["nickName"] = json!("Barb");
    want[ENT] = json!({
        "department": "Tour Operations",
        "manager": {"value": "m3", "displayName": "Boss"},
        "employeeNumber": "701984"
    });
    assert_eq!(got, want);
    let got = run(
        &group(),
        json!([{"op": "remove", "path": "members[value eq \"u2\"]"}]),
        group_type(),
        COMPAT,
    )
    .expect("aadOptscim062020 group");
    let mut want = group();
    want["members"] = json!([{"value": "u1", "display": "Babs", "type": "User"}]);
    assert_eq!(got, want);
}

#[test]
fn compat_filter_without_match_creates_the_value() {
    let got = run(
        &bare_user(),
        json!([
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ann@work.example"},
            {"op": "Add", "path": "addresses[type eq \"work\"]", "value": {"locality": "Oslo"}},
            {"op": "Replace", "path": "emails[type eq \"work\"].primary", "value": "True"}
        ]),
        user_type(),
        COMPAT,
    )
    .expect("created");
    let mut want = bare_user();
    want["emails"] = json!([{"type": "work", "value": "ann@work.example", "primary": true}]);
    want["addresses"] = json!([{"type": "work", "locality": "Oslo"}]);
    assert_eq!(got, want);
    // A filter that does not pin values down still finds no target.
    assert_eq!(
        err_type(
            &bare_user(),
            json!([{"op": "Replace", "path": "emails[value co \"x\"].type", "value": "work"}]),
            user_type(),
            COMPAT
        ),
        ScimType::NoTarget
    );
}

#[test]
fn compat_remove_without_match_is_a_no_op() {
    let got = run(
        &group(),
        json!([{"op": "Remove", "path": "members[value eq \"nobody\"]"}]),
        group_type(),
        COMPAT,
    )
    .expect("no-op");
    assert_eq!(got, group());
}

#[test]
fn compat_still_refuses_what_the_rfc_refuses() {
    for op in [
        json!({"op": "Replace", "path": "id", "value": "x"}),
        json!({"op": "Replace", "path": "active", "value": "maybe"}),
        json!({"op": "Replace", "value": {"name.nick": "x"}}),
        json!({"op": "Remove", "path": "userName"}),
    ] {
        let t = err_type(&user(), json!([op]), user_type(), COMPAT);
        assert!(
            matches!(
                t,
                ScimType::Mutability | ScimType::InvalidValue | ScimType::InvalidPath
            ),
            "{op}: {t}"
        );
    }
}

#[test]
fn adding_a_value_already_present_changes_nothing() {
    // The stored member has `type` (and a server-filled `display`); Entra re-adds `{"value"}`.
    let got = run(
        &group(),
        json!([{"op": "Add", "path": "members", "value": [{"value": "u2"}, {"value": "u1"}]}]),
        group_type(),
        COMPAT,
    )
    .expect("re-add");
    assert_eq!(got, group());
    let got =
        ok_user(json!([{"op": "add", "path": "emails", "value": {"value": "babs@home.example"}}]));
    assert_eq!(got, user());
}

#[test]
fn compat_unassigning_a_missing_value_is_a_no_op() {
    let got = run(
        &bare_user(),
        json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": null}]),
        user_type(),
        COMPAT,
    )
    .expect("no-op");
    assert_eq!(got, bare_user());
}

#[test]
fn large_groups_are_edited_without_quadratic_work() {
    let n = 20_000;
    let members: Vec<Value> = (0..n)
        .map(|i| json!({"value": format!("u{i}"), "type": "User"}))
        .collect();
    let mut g = group();
    g["members"] = Value::Array(members);
    let got = run(
        &g,
        json!([
            {"op": "add", "path": "members", "value": [{"value": "new"}, {"value": "u5"}]},
            {"op": "remove", "path": "members[value eq \"u7\"]"}
        ]),
        group_type(),
        STRICT,
    )
    .expect("large group");
    let got = got["members"].as_array().map(Vec::len);
    assert_eq!(got, Some(n));
}

#[test]
fn re_adding_a_stored_primary_value_does_not_count_as_setting_primary() {
    let got = ok_user(json!([{"op": "add", "path": "emails", "value": [
        {"value": "bjensen@work.example", "type": "work"},
        {"value": "bjensen@work.example", "type": "home", "primary": true}
    ]}]));
    let mut want = user();
    want["emails"] = json!([
        {"value": "bjensen@work.example", "type": "work", "primary": false},
        {"value": "babs@home.example", "type": "home"},
        {"value": "bjensen@work.example", "type": "home", "primary": true}
    ]);
    assert_eq!(got, want);
}

#[test]
fn core_urn_qualified_paths_and_containers() {
    let got = ok_user(json!([
        {"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName", "value": "B"},
        {"op": "add", "value": {USER_SCHEMA: {"nickName": "Bee"}}},
        {"op": "add", "path": USER_SCHEMA, "value": {"title": "Guide"}}
    ]));
    let mut want = user();
    want["name"]["givenName"] = json!("B");
    want["nickName"] = json!("Bee");
    want["title"] = json!("Guide");
    assert_eq!(got, want);
}

#[test]
fn unknown_names_inside_value_filters_are_invalid_path() {
    for path in [
        "emails[foo eq \"x\"]",
        "emails[type eq \"work\"].foo",
        "emails[type eq \"work\"",
        "emails[type zz \"work\"]",
    ] {
        assert_eq!(
            user_err(json!([{"op": "remove", "path": path}])),
            ScimType::InvalidPath,
            "{path}"
        );
    }
}

#[test]
fn value_filters_follow_case_exactness() {
    // members.value is not caseExact; the filter keyword and attribute names are case-insensitive.
    let got = run(
        &group(),
        json!([{"op": "remove", "path": "MEMBERS[VALUE EQ \"U1\"]"}]),
        group_type(),
        STRICT,
    )
    .expect("case-insensitive");
    let mut want = group();
    want["members"] = json!([{"value": "u2", "type": "User"}]);
    assert_eq!(got, want);
}
