//! Unit tests of `remove`, mutability, path and value errors, and large resources.

use super::tests::*;
use super::*;
use crate::scim::ScimType;
use crate::scim::schema::{USER_SCHEMA, USERSYNC_SCHEMA, group_type, user_type};
use serde_json::json;

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

/// Values visited (keyed, compared, matched against a filter) by one PATCH of a group of `n`
/// members that adds two members (one already there) and removes one by filter.
fn group_edit_visits(n: usize) -> u64 {
    let members: Vec<Value> = (0..n)
        .map(|i| json!({"value": format!("u{i}"), "type": "User"}))
        .collect();
    let mut g = group();
    g["members"] = Value::Array(members);
    let ops = json!([
        {"op": "add", "path": "members", "value": [{"value": "new"}, {"value": "u5"}]},
        {"op": "remove", "path": "members[value eq \"u7\"]"}
    ]);
    let before = super::values::visits();
    let got = run(&g, ops, group_type(), STRICT).expect("large group");
    let visits = super::values::visits() - before;
    assert_eq!(got["members"].as_array().map(Vec::len), Some(n));
    visits
}

#[test]
fn large_groups_are_edited_without_quadratic_work() {
    // Work, not time: 4x the members must cost about 4x the visits (quadratic would be 16x).
    let n = 1_000;
    let (small, large) = (group_edit_visits(n), group_edit_visits(4 * n));
    assert!(
        small >= n as u64,
        "every member is visited: {small} visits for {n}"
    );
    let ratio = large as f64 / small as f64;
    assert!(
        ratio < 6.0,
        "{small} visits for {n} members, {large} for {}: ratio {ratio:.1}",
        4 * n
    );
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
