//! Unit tests of the compatibility profile: the request shapes Microsoft Entra ID sends.

use super::tests::*;
use crate::scim::ScimType;
use crate::scim::schema::{group_type, user_type};
use serde_json::json;

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
