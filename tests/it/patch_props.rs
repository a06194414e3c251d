//! Properties of the PATCH engine over random operation sequences: all-or-nothing failure,
//! canonical output, no duplicate values, at most one primary, idempotent multi-value adds.

use proptest::prelude::*;
use scim_harness::scim::patch::{PatchOptions, apply, parse_request};
use scim_harness::scim::resource::{InputOptions, canonicalize};
use scim_harness::scim::schema::{ENTERPRISE_USER_SCHEMA, PATCH_OP, USER_SCHEMA, user_type};
use serde_json::{Value, json};

const ENT_PATH: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn base() -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "id": "u1",
        "userName": "bjensen",
        "name": {"givenName": "Barbara"},
        "emails": [{"value": "a@x.example", "type": "work", "primary": true}],
        ENTERPRISE_USER_SCHEMA: {"department": "Ops"},
        "meta": {"resourceType": "User", "version": "W/\"1\""}
    })
}

fn email() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["a@x.example", "b@x.example", "c@x.example"]),
        prop::sample::select(vec!["work", "home", "other"]),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(v, t, p)| {
            let mut e = json!({"value": v, "type": t});
            if let (Some(p), Some(o)) = (p, e.as_object_mut()) {
                o.insert("primary".into(), Value::Bool(p));
            }
            e
        })
}

fn word() -> impl Strategy<Value = String> {
    "[a-z]{1,6}"
}

/// Operations that succeed whatever the resource looks like (strict mode).
fn valid_op() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::collection::vec(email(), 1..3).prop_map(|es| {
            // One op may not carry two primaries; keep the first.
            let mut seen = false;
            let es: Vec<Value> = es
                .into_iter()
                .map(|mut e| {
                    if e["primary"] == true {
                        if seen {
                            e["primary"] = json!(false);
                        }
                        seen = true;
                    }
                    e
                })
                .collect();
            json!({"op": "add", "path": "emails", "value": es})
        }),
        email().prop_map(|e| json!({"op": "add", "path": "emails", "value": e})),
        email().prop_map(|e| json!({"op": "add", "value": {"emails": [e]}})),
        email().prop_map(|e| json!({"op": "replace", "path": "emails", "value": [e]})),
        word().prop_map(|w| json!({"op": "replace", "path": "displayName", "value": w})),
        word().prop_map(|w| json!({"op": "add", "path": "name.familyName", "value": w})),
        word().prop_map(|w| json!({"op": "replace", "path": "name", "value": {"givenName": w}})),
        word().prop_map(|w| json!({"op": "replace", "value": {"title": w, "nickName": w}})),
        any::<bool>().prop_map(|b| json!({"op": "replace", "path": "active", "value": b})),
        word().prop_map(
            |w| json!({"op": "add", "path": format!("{ENT_PATH}:department"), "value": w})
        ),
        word().prop_map(|w| json!({"op": "add", "value": {ENT_PATH: {"costCenter": w}}})),
        word().prop_map(
            |w| json!({"op": "add", "path": format!("{ENT_PATH}:manager.value"), "value": w})
        ),
        Just(json!({"op": "remove", "path": "emails"})),
        Just(json!({"op": "remove", "path": "emails.primary"})),
        Just(json!({"op": "remove", "path": "name.givenName"})),
        Just(json!({"op": "remove", "path": "title"})),
        Just(json!({"op": "remove", "path": ENT_PATH})),
        Just(json!({"op": "remove", "path": format!("{ENT_PATH}:department")})),
    ]
}

/// Operations valid in any state, tagged with whether only compat mode accepts them. Only the
/// filtered `add` creates `@y.example` values, so its filter never matches two values.
fn any_op() -> impl Strategy<Value = (Value, bool)> {
    let types = || prop::sample::select(vec!["work", "home", "other"]);
    prop_oneof![
        3 => valid_op().prop_map(|o| (o, false)),
        1 => (types(), word()).prop_map(|(t, w)| (json!({"op": "Replace",
            "path": format!("emails[type eq \"{t}\"].value"), "value": format!("{w}@x.example")}), true)),
        1 => types().prop_map(|t| (json!({"op": "Remove", "path": format!("emails[type eq \"{t}\"]")}), true)),
        1 => (types(), any::<bool>()).prop_map(|(t, p)| (json!({"op": "Add",
            "path": format!("emails[value eq \"{t}@y.example\"]"), "value": {"type": t, "primary": p}}), true)),
        1 => word().prop_map(|w| (json!({"op": "Replace", "value": {
            "name.givenName": w, format!("{ENT_PATH}:department"): w, "active": "False"}}), true)),
        1 => email().prop_map(|e| (json!({"op": "Remove", "path": "emails", "value": [{"value": e["value"]}]}), true)),
        1 => word().prop_map(|w| (json!({"op": "Add", "path": format!("{ENT_PATH}:manager"), "value": w}), true)),
    ]
}

fn pick(ops: &[(Value, bool)], compat: bool) -> Vec<Value> {
    ops.iter()
        .filter(|(_, only_compat)| compat || !only_compat)
        .map(|(o, _)| o.clone())
        .collect()
}

/// Operations that fail whatever the resource looks like.
fn bad_op() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"op": "add", "path": "shoeSize", "value": 9})),
        Just(json!({"op": "replace", "path": "id", "value": "x"})),
        Just(json!({"op": "replace", "path": "meta.version", "value": "x"})),
        Just(json!({"op": "replace", "path": "active", "value": "yes"})),
        Just(json!({"op": "remove", "path": "userName"})),
        Just(json!({"op": "replace", "path": "displayName", "value": ["x"]})),
        Just(json!({"op": "add", "path": "name.nick", "value": "x"})),
        Just(json!({"op": "add", "path": "emails", "value": [
            {"value": "p@x.example", "primary": true},
            {"value": "q@x.example", "primary": true}
        ]})),
        Just(json!({"op": "replace", "value": {"name.nick": "x"}})),
    ]
}

fn run(ops: &[Value], compat: bool) -> Result<Value, scim_harness::scim::ScimError> {
    let opts = PatchOptions { compat };
    // A request needs one operation; an empty sequence is applied directly (identity).
    let parsed = if ops.is_empty() {
        Vec::new()
    } else {
        parse_request(&json!({"schemas": [PATCH_OP], "Operations": ops}), opts)?
    };
    apply(&base(), &parsed, user_type(), opts)
}

fn multi_values(res: &Value) -> Vec<&Vec<Value>> {
    let mut out = Vec::new();
    for holder in [Some(res), res.get(ENTERPRISE_USER_SCHEMA)]
        .into_iter()
        .flatten()
    {
        if let Some(o) = holder.as_object() {
            out.extend(o.values().filter_map(Value::as_array));
        }
    }
    out
}

/// The stored form minus the server-managed attributes, for comparison with `canonicalize`.
fn client_view(res: &Value) -> Value {
    let mut v = res.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("id");
        o.remove("meta");
    }
    v
}

type Ops = Vec<(Value, bool)>;

fn check_one_bad_operation_fails_the_whole_request(
    before: Ops,
    bad: Value,
    after: Ops,
    compat: bool,
) -> Result<(), TestCaseError> {
    let before = pick(&before, compat);
    prop_assert!(run(&before, compat).is_ok());
    let mut ops = before;
    ops.push(bad);
    ops.extend(pick(&after, compat));
    prop_assert!(run(&ops, compat).is_err());
    Ok(())
}

fn check_valid_sequences_stay_canonical(ops: Ops, compat: bool) -> Result<(), TestCaseError> {
    let ops = pick(&ops, compat);
    let res = run(&ops, compat).expect("valid ops apply");
    // At most one primary and no duplicate values in every multi-valued attribute.
    for values in multi_values(&res) {
        let primaries = values.iter().filter(|v| v["primary"] == true).count();
        prop_assert!(primaries <= 1, "{res}");
        for (i, a) in values.iter().enumerate() {
            prop_assert!(!values[i + 1..].contains(a), "duplicate in {res}");
            prop_assert!(
                a.as_object().is_none_or(|o| !o.is_empty()),
                "empty value in {res}"
            );
        }
        prop_assert!(!values.is_empty(), "empty array stored in {res}");
    }
    // `schemas` lists the extension exactly when its object is present.
    let has_ext = res.get(ENTERPRISE_USER_SCHEMA).is_some();
    let listed = res["schemas"]
        .as_array()
        .is_some_and(|s| s.iter().any(|u| u == ENTERPRISE_USER_SCHEMA));
    prop_assert_eq!(has_ext, listed);
    // The result is a fixed point of canonicalization (ignoring server-managed attributes).
    let view = client_view(&res);
    let again = canonicalize(&view, user_type(), InputOptions::default())
        .expect("PATCH output is a valid resource");
    prop_assert_eq!(again, view);
    // The server-managed attributes are untouched.
    prop_assert_eq!(&res["id"], &base()["id"]);
    prop_assert_eq!(&res["meta"], &base()["meta"]);
    Ok(())
}

fn check_adding_the_same_values_twice_is_adding_them_once(
    ops: Ops,
    e: Value,
    compat: bool,
) -> Result<(), TestCaseError> {
    let add = json!({"op": "add", "path": "emails", "value": [e]});
    let mut once = pick(&ops, compat);
    once.push(add.clone());
    let mut twice = once.clone();
    twice.push(add);
    prop_assert_eq!(
        run(&once, compat).expect("once"),
        run(&twice, compat).expect("twice")
    );
    Ok(())
}

fn check_replacing_with_the_current_value_changes_nothing(
    ops: Ops,
    compat: bool,
) -> Result<(), TestCaseError> {
    let ops = pick(&ops, compat);
    let res = run(&ops, compat).expect("valid ops apply");
    let mut same = ops.clone();
    same.push(json!({"op": "replace", "path": "userName", "value": res["userName"].clone()}));
    if let Some(emails) = res.get("emails") {
        same.push(json!({"op": "replace", "path": "emails", "value": emails.clone()}));
    }
    prop_assert_eq!(run(&same, compat).expect("same"), res);
    Ok(())
}

fn check_compat_filtered_ops_never_fail_for_missing_targets(
    ops: Ops,
    t: &str,
    v: String,
) -> Result<(), TestCaseError> {
    let mut more = pick(&ops, true);
    more.push(json!({"op": "Remove", "path": format!("emails[type eq \"{t}\"]")}));
    more.push(json!({"op": "Replace", "path": format!("emails[type eq \"{t}\"].value"), "value": format!("{v}@x.example")}));
    let res = run(&more, true).expect("compat filtered ops");
    let want = format!("{v}@x.example");
    let emails = res["emails"].as_array().cloned().unwrap_or_default();
    prop_assert!(
        emails
            .iter()
            .any(|e| e["type"] == t && e["value"] == want.as_str())
    );
    // Strict mode: the same remove after the values are gone is noTarget.
    let mut strict = pick(&ops, false);
    strict.push(json!({"op": "remove", "path": "emails"}));
    strict.push(json!({"op": "remove", "path": format!("emails[type eq \"{t}\"]")}));
    let e = run(&strict, false).expect_err("noTarget");
    prop_assert_eq!(e.scim_type, Some(scim_harness::scim::ScimType::NoTarget));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn one_bad_operation_fails_the_whole_request(
        before in prop::collection::vec(any_op(), 0..6),
        bad in bad_op(),
        after in prop::collection::vec(any_op(), 0..3),
        compat in any::<bool>(),
    ) {
        check_one_bad_operation_fails_the_whole_request(before, bad, after, compat)?;
    }

    #[test]
    fn valid_sequences_stay_canonical(
        ops in prop::collection::vec(any_op(), 1..10),
        compat in any::<bool>(),
    ) {
        check_valid_sequences_stay_canonical(ops, compat)?;
    }

    #[test]
    fn adding_the_same_values_twice_is_adding_them_once(
        ops in prop::collection::vec(any_op(), 0..6),
        e in email(),
        compat in any::<bool>(),
    ) {
        check_adding_the_same_values_twice_is_adding_them_once(ops, e, compat)?;
    }

    #[test]
    fn replacing_with_the_current_value_changes_nothing(
        ops in prop::collection::vec(any_op(), 0..6),
        compat in any::<bool>(),
    ) {
        check_replacing_with_the_current_value_changes_nothing(ops, compat)?;
    }

    #[test]
    fn compat_filtered_ops_never_fail_for_missing_targets(
        ops in prop::collection::vec(any_op(), 0..6),
        t in prop::sample::select(vec!["work", "home", "other"]),
        v in word(),
    ) {
        check_compat_filtered_ops_never_fail_for_missing_targets(ops, t, v)?;
    }
}

// The long mode: the same properties, a million cases each.
proptest! {
    #![proptest_config(crate::common::long_mode())]

    #[test]
    #[ignore = "long mode: a million cases (cargo test -- --ignored)"]
    fn one_bad_operation_fails_the_whole_request_long(
        before in prop::collection::vec(any_op(), 0..6),
        bad in bad_op(),
        after in prop::collection::vec(any_op(), 0..3),
        compat in any::<bool>(),
    ) {
        check_one_bad_operation_fails_the_whole_request(before, bad, after, compat)?;
    }

    #[test]
    #[ignore = "long mode: a million cases (cargo test -- --ignored)"]
    fn valid_sequences_stay_canonical_long(
        ops in prop::collection::vec(any_op(), 1..10),
        compat in any::<bool>(),
    ) {
        check_valid_sequences_stay_canonical(ops, compat)?;
    }

    #[test]
    #[ignore = "long mode: a million cases (cargo test -- --ignored)"]
    fn adding_the_same_values_twice_is_adding_them_once_long(
        ops in prop::collection::vec(any_op(), 0..6),
        e in email(),
        compat in any::<bool>(),
    ) {
        check_adding_the_same_values_twice_is_adding_them_once(ops, e, compat)?;
    }

    #[test]
    #[ignore = "long mode: a million cases (cargo test -- --ignored)"]
    fn replacing_with_the_current_value_changes_nothing_long(
        ops in prop::collection::vec(any_op(), 0..6),
        compat in any::<bool>(),
    ) {
        check_replacing_with_the_current_value_changes_nothing(ops, compat)?;
    }

    #[test]
    #[ignore = "long mode: a million cases (cargo test -- --ignored)"]
    fn compat_filtered_ops_never_fail_for_missing_targets_long(
        ops in prop::collection::vec(any_op(), 0..6),
        t in prop::sample::select(vec!["work", "home", "other"]),
        v in word(),
    ) {
        check_compat_filtered_ops_never_fail_for_missing_targets(ops, t, v)?;
    }
}
