//! Property tests for the filter and path parsers: no input makes them panic, and the canonical
//! printed form of any filter tree parses back to the same tree.

use proptest::prelude::*;
use scim_harness::scim::filter::{CompValue, CompareOp, Filter};
use scim_harness::scim::path::{AttrPath, PatchPath};
use scim_harness::scim::schema::{ENTERPRISE_USER_SCHEMA, USER_SCHEMA, user_type};
use serde_json::json;

fn path(urn: Option<&str>, name: &str, sub: Option<&str>) -> AttrPath {
    AttrPath {
        urn: urn.map(str::to_string),
        name: name.to_string(),
        sub: sub.map(str::to_string),
    }
}

/// Top-level attribute paths, with and without URNs and sub-attributes.
fn attr_path() -> impl Strategy<Value = AttrPath> + Clone {
    prop_oneof![
        Just(path(None, "userName", None)),
        Just(path(None, "title", None)),
        Just(path(None, "active", None)),
        Just(path(None, "name", Some("familyName"))),
        Just(path(None, "emails", Some("value"))),
        Just(path(None, "meta", Some("lastModified"))),
        Just(path(None, "members", Some("$ref"))),
        Just(path(Some(USER_SCHEMA), "userName", None)),
        Just(path(Some(ENTERPRISE_USER_SCHEMA), "manager", Some("value"))),
        Just(path(Some(ENTERPRISE_USER_SCHEMA), "employeeNumber", None)),
    ]
}

/// Complex attributes that can carry a value filter.
fn complex_path() -> impl Strategy<Value = AttrPath> + Clone {
    prop_oneof![
        Just(path(None, "emails", None)),
        Just(path(None, "members", None)),
        Just(path(Some(ENTERPRISE_USER_SCHEMA), "manager", None)),
    ]
}

/// Sub-attribute names, as used inside `attr[...]`.
fn sub_path() -> impl Strategy<Value = AttrPath> + Clone {
    prop::sample::select(vec!["type", "value", "primary", "display", "$ref"])
        .prop_map(|n| path(None, n, None))
}

fn comp_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        any::<i64>().prop_map(|n| CompValue::Number(n.into())),
        any::<u64>().prop_map(|n| CompValue::Number(n.into())),
        any::<f64>()
            .prop_filter_map("finite", serde_json::Number::from_f64)
            .prop_map(CompValue::Number),
        "(\\PC|[\"\\\\/\n\t\u{0}\u{1f}\u{7f}\u{2028}😀é])*".prop_map(CompValue::Str),
    ]
}

fn op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(CompareOp::ALL.to_vec())
}

fn leaf(p: impl Strategy<Value = AttrPath> + Clone) -> impl Strategy<Value = Filter> {
    prop_oneof![
        p.clone().prop_map(Filter::Present),
        (p, op(), comp_value()).prop_map(|(p, o, v)| Filter::Compare(p, o, v)),
    ]
}

/// and / or / not over `base`, in any tree shape (not only the left-leaning ones parsing makes).
fn logic(base: BoxedStrategy<Filter>, depth: u32) -> BoxedStrategy<Filter> {
    base.prop_recursive(depth, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Filter::And(Box::new(l), Box::new(r))),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Filter::Or(Box::new(l), Box::new(r))),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
    .boxed()
}

fn filter() -> impl Strategy<Value = Filter> {
    let value_path = (complex_path(), logic(leaf(sub_path()).boxed(), 3))
        .prop_map(|(p, f)| Filter::ValuePath(p, Box::new(f)));
    let base = prop_oneof![3 => leaf(attr_path()), 1 => value_path].boxed();
    logic(base, 4)
}

/// Text that looks like filters, so that the parser gets past its first tokens.
fn filterish() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "userName",
        "emails",
        "name.familyName",
        "eq",
        "EQ",
        "pr",
        "and",
        "OR",
        "not",
        "(",
        ")",
        "[",
        "]",
        "\"",
        "\"x\"",
        "\\",
        "\\u",
        "\\ud83d",
        "12",
        "-1.5e3",
        "true",
        "null",
        " ",
        "  ",
        ".",
        ":",
        "urn:",
        "$ref",
        "é",
        "😀",
        "\t",
        "type",
        "gt",
        "co",
        "value",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:",
    ]);
    prop::collection::vec(token, 0..24).prop_map(|v| v.concat())
}

fn sample_user() -> serde_json::Value {
    json!({
        "schemas": [USER_SCHEMA],
        "id": "1",
        "userName": "bjensen",
        "emails": [{"value": "b@x.org", "type": "work", "primary": true}],
        "meta": {"lastModified": "2011-05-13T04:42:34Z"},
        ENTERPRISE_USER_SCHEMA: {"manager": {"value": "m"}},
    })
}

/// Parsing, printing, binding and evaluating any input: no panic, and what parses round-trips.
fn exercise(s: &str) -> Result<(), TestCaseError> {
    let _ = AttrPath::parse(s);
    if let Ok(p) = PatchPath::parse(s) {
        prop_assert_eq!(PatchPath::parse(&p.to_string()), Ok(p.clone()));
        let _ = p.bind(user_type());
    }
    if let Ok(f) = Filter::parse(s) {
        prop_assert_eq!(Filter::parse(&f.to_string()), Ok(f.clone()));
        if let Ok(b) = f.bind(user_type()) {
            let _ = b.matches(&sample_user(), user_type());
            prop_assert_eq!(
                Filter::parse(&b.to_string()).map(|x| x.bind(user_type())),
                Ok(Ok(b))
            );
        }
    }
    Ok(())
}

/// A printed filter tree parses back to itself.
fn round_trips(f: Filter) -> Result<(), TestCaseError> {
    let printed = f.to_string();
    prop_assert_eq!(Filter::parse(&printed), Ok(f), "printed: {}", printed);
    Ok(())
}

/// A printed PATCH path with a value filter parses back to itself.
fn path_round_trips(attr: AttrPath, inner: Filter, sub: Option<&str>) -> Result<(), TestCaseError> {
    let p = PatchPath {
        attr,
        filter: Some(inner),
        sub: sub.map(str::to_string),
    };
    prop_assert_eq!(PatchPath::parse(&p.to_string()), Ok(p));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        exercise(&s)?;
    }

    #[test]
    fn filter_like_strings_never_panic(s in filterish()) {
        exercise(&s)?;
    }

    #[test]
    fn printed_filters_parse_back_to_the_same_tree(f in filter()) {
        round_trips(f)?;
    }

    #[test]
    fn printed_patch_paths_parse_back(
        attr in complex_path(),
        inner in logic(leaf(sub_path()).boxed(), 3),
        sub in prop::option::of(prop::sample::select(vec!["value", "type", "$ref"])),
    ) {
        path_round_trips(attr, inner, sub)?;
    }
}

// The long mode: the same properties, a million cases each.
proptest! {
    #![proptest_config(crate::common::long_mode())]

    #[test]
    #[ignore = "long mode: a million cases (cargo test -- --ignored)"]
    fn arbitrary_strings_never_panic_long(s in any::<String>()) {
        exercise(&s)?;
    }

    #[test]
    #[ignore = "long mode: a million cases (cargo test -- --ignored)"]
    fn filter_like_strings_never_panic_long(s in filterish()) {
        exercise(&s)?;
    }

    #[test]
    #[ignore = "long mode: a million cases (cargo test -- --ignored)"]
    fn printed_filters_parse_back_to_the_same_tree_long(f in filter()) {
        round_trips(f)?;
    }

    #[test]
    #[ignore = "long mode: a million cases (cargo test -- --ignored)"]
    fn printed_patch_paths_parse_back_long(
        attr in complex_path(),
        inner in logic(leaf(sub_path()).boxed(), 3),
        sub in prop::option::of(prop::sample::select(vec!["value", "type", "$ref"])),
    ) {
        path_round_trips(attr, inner, sub)?;
    }
}
