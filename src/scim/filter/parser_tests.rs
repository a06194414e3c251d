//! Unit tests of the parser and the canonical printing.

use super::*;
use crate::scim::error::ScimType;
use crate::scim::schema::{ENTERPRISE_USER_SCHEMA, USER_SCHEMA};

/// The tree shape with every node explicit: `(or a (and b c))`.
fn sexp(f: &Filter) -> String {
    match f {
        Filter::Present(p) => format!("{p}"),
        Filter::Compare(p, op, v) => format!("[{p} {op} {v}]"),
        Filter::ValuePath(p, f) => format!("{p}[{}]", sexp(f)),
        Filter::And(l, r) => format!("(and {} {})", sexp(l), sexp(r)),
        Filter::Or(l, r) => format!("(or {} {})", sexp(l), sexp(r)),
        Filter::Not(f) => format!("(not {})", sexp(f)),
    }
}
fn parse(s: &str) -> Filter {
    Filter::parse(s).expect(s)
}
fn err(s: &str) -> String {
    let e = Filter::parse(s).expect_err(s);
    assert_eq!(
        (e.scim_type, e.status),
        (Some(ScimType::InvalidFilter), 400),
        "{s}"
    );
    e.detail
}
fn shapes(cases: &[(&str, &str)]) {
    for (input, shape) in cases {
        assert_eq!(sexp(&parse(input)), *shape, "{input}");
    }
}

#[test]
fn parses_every_operator_case_insensitively() {
    for op in CompareOp::ALL {
        let f = parse(&format!("userName {} \"x\"", op.as_str().to_uppercase()));
        assert_eq!(sexp(&f), format!("[userName {op} \"x\"]"));
        assert_eq!(CompareOp::parse(op.as_str()), Some(op));
    }
    assert_eq!(CompareOp::parse("xx"), None);
    shapes(&[
        ("title PR", "title"),
        ("x eq TRUE", "[x eq true]"),
        ("x ne False", "[x ne false]"),
    ]);
    shapes(&[
        ("x eq Null", "[x eq null]"),
        ("  a   pr  ", "a"),
        ("a\tpr\nand\r\nb pr", "(and a b)"),
    ]);
    shapes(&[
        ("(a pr)and(b pr)", "(and a b)"),
        ("  userName   eq \t \"x\" ", "[userName eq \"x\"]"),
    ]);
}

#[test]
fn precedence_parentheses_and_not() {
    shapes(&[
        ("a pr or b pr and c pr", "(or a (and b c))"),
        ("a pr and b pr or c pr", "(or (and a b) c)"),
        ("a pr and b pr and c pr", "(and (and a b) c)"),
        ("a pr OR b pr Or c pr", "(or (or a b) c)"),
        ("(a pr or b pr) and c pr", "(and (or a b) c)"),
        ("a pr and (b pr and c pr)", "(and a (and b c))"),
        ("((a pr))", "a"),
        ("not (a pr or b pr)", "(not (or a b))"),
        ("NOT(a pr)", "(not a)"),
        ("c pr and not   (a pr)", "(and c (not a))"),
        // Without a parenthesis "not" is an attribute name, which binding rejects.
        ("not pr", "not"),
    ]);
}

#[test]
fn value_paths_sub_attributes_and_urns() {
    shapes(&[
        (
            r#"emails[type eq "work" and value co "@x"] or ims[type eq "xmpp"]"#,
            r#"(or emails[(and [type eq "work"] [value co "@x"])] ims[[type eq "xmpp"]])"#,
        ),
        (
            r#"name.familyName co "O'Malley""#,
            r#"[name.familyName co "O'Malley"]"#,
        ),
        ("members[$ref pr]", "members[$ref]"),
    ]);
    let Filter::Compare(p, ..) = parse(&format!("{USER_SCHEMA}:name.familyName eq \"x\"")) else {
        panic!("not a comparison")
    };
    assert_eq!(p.urn.as_deref(), Some(USER_SCHEMA));
    assert_eq!(
        (p.name.as_str(), p.sub.as_deref()),
        ("name", Some("familyName"))
    );
    let ext = "URN:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber pr";
    let Filter::Present(p) = parse(ext) else {
        panic!("not pr")
    };
    assert!(
        p.urn
            .is_some_and(|u| u.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA))
    );
    assert_eq!(p.name, "employeeNumber");
}

#[test]
fn string_literals_decode_json_escapes() {
    let f = parse(r#"title eq "a \"q\" \\ \/ \b\f\n\r\t \u00e9 \ud83d\ude00 ü""#);
    let expected = CompValue::Str("a \"q\" \\ / \u{8}\u{c}\n\r\t é 😀 ü".into());
    assert!(matches!(f, Filter::Compare(_, CompareOp::Eq, v) if v == expected));
}

#[test]
fn numbers_are_json_numbers() {
    let num = |s: &str| match parse(&format!("x eq {s}")) {
        Filter::Compare(_, _, CompValue::Number(n)) => n,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        (num("42").as_u64(), num("-7").as_i64()),
        (Some(42), Some(-7))
    );
    assert_eq!(
        (num("1.5").as_f64(), num("-2.5E3").as_f64()),
        (Some(1.5), Some(-2500.0))
    );
    assert_eq!(num("1e-2").as_f64(), Some(0.01));
    for bad in ["01", "1.", "-", "1e", "5abc", "1e999", "--1"] {
        assert!(
            err(&format!("x eq {bad}")).contains("invalid number"),
            "{bad}"
        );
    }
    for bad in [".5", "+1"] {
        assert!(
            err(&format!("x eq {bad}")).starts_with("expected a value"),
            "{bad}"
        );
    }
}

#[test]
fn errors_name_the_character_position_and_what_was_expected() {
    let cases = [
        (
            r#"userName xx "a""#,
            "expected a comparison operator at position 9, found 'xx'",
        ),
        // Positions count characters, not bytes.
        (
            r#"title eq "é" xx"#,
            "expected 'and', 'or' or the end of the filter at position 13, found 'xx'",
        ),
        (
            "userName eq",
            "expected a space and a value at position 11, found end of input",
        ),
        (
            "userName eq bjensen",
            "expected a value (string, number, true, false or null) at position 12, found 'bjensen'",
        ),
        (
            "userName",
            "expected a space and an operator at position 8, found end of input",
        ),
        (
            "userName\"x\"",
            "expected a space and an operator at position 8, found '\"'",
        ),
        (
            "a pr or",
            "expected an attribute path, '(' or 'not' at position 7, found end of input",
        ),
        ("(a pr", "expected ')' at position 5, found end of input"),
        ("a pr)", "unbalanced ')' at position 4"),
        ("ü pr", "invalid attribute name 'ü' at position 0"),
        (
            "name.given.x pr",
            "invalid sub-attribute name 'given.x' at position 0",
        ),
        ("urn:x pr", "invalid schema URN in 'urn:x' at position 0"),
        ("   ", "empty filter"),
        (
            r#"emails[type eq "w" and x[y pr]]"#,
            "nested value path at position 24",
        ),
        (
            "name.givenName[value pr]",
            "a value filter cannot follow sub-attribute 'name.givenName' at position 14",
        ),
        (
            r#"emails[type eq "w""#,
            "expected ']' at position 18, found end of input",
        ),
        (r#"title eq "\x""#, "invalid escape '\\x' at position 10"),
        (
            r#"title eq "\ud83d""#,
            "unpaired surrogate escape at position 10",
        ),
        (
            r#"title eq "\udc00""#,
            "unpaired surrogate escape at position 10",
        ),
        (r#"title eq "\u12""#, "invalid \\u escape at position 10"),
        (
            r#"title eq "abc"#,
            "unterminated string starting at position 9",
        ),
    ];
    for (input, detail) in cases {
        assert_eq!(err(input), detail, "{input}");
    }
}

#[test]
fn depth_and_length_are_limited() {
    let nest = |n: usize, open: &str| format!("{}a pr{}", open.repeat(n), ")".repeat(n));
    assert_eq!(sexp(&parse(&nest(MAX_FILTER_DEPTH, "("))), "a");
    assert!(err(&nest(MAX_FILTER_DEPTH + 1, "(")).contains("nested deeper than 32"));
    assert!(err(&nest(MAX_FILTER_DEPTH + 1, "not (")).contains("nested deeper"));
    assert!(err(&"(".repeat(MAX_FILTER_LEN)).contains("nested deeper"));
    let long = format!("userName eq \"{}\"", "x".repeat(MAX_FILTER_LEN));
    assert!(err(&long).contains("longer than 4096 bytes"));
    // A flat chain of n terms is n-1 levels deep.
    let chain = |n: usize, op: &str| vec!["a pr"; n].join(op);
    let f = parse(&chain(MAX_FILTER_DEPTH + 1, " or "));
    assert_eq!(f.to_string(), chain(MAX_FILTER_DEPTH + 1, " or "));
    assert!(err(&chain(MAX_FILTER_DEPTH + 2, " and ")).contains("nested deeper"));
    assert!(err(&chain(500, " or ")).contains("nested deeper"));
    // Levels add up across parentheses, not, value paths and operators.
    let mixed = |n: usize| {
        format!(
            "{}emails[type pr and value pr]{}",
            "not (".repeat(n),
            ")".repeat(n)
        )
    };
    assert!(Filter::parse(&mixed(MAX_FILTER_DEPTH - 2)).is_ok());
    assert!(err(&mixed(MAX_FILTER_DEPTH - 1)).contains("nested deeper"));
}

#[test]
fn display_is_canonical_and_round_trips() {
    let cases = [
        (r#"userName Eq "bjensen""#, r#"userName eq "bjensen""#),
        ("a pr AND (b pr OR c pr)", "a pr and (b pr or c pr)"),
        ("(a pr and b pr) or c pr", "a pr and b pr or c pr"),
        ("a pr or (b pr or c pr)", "a pr or (b pr or c pr)"),
        ("a pr and (b pr and c pr)", "a pr and (b pr and c pr)"),
        (
            "(a pr or b pr) and (c pr or d pr)",
            "(a pr or b pr) and (c pr or d pr)",
        ),
        ("not(a pr and NOT (b pr))", "not (a pr and not (b pr))"),
        (
            r#"emails[type eq "w" and not(value ew "x")]"#,
            r#"emails[type eq "w" and not (value ew "x")]"#,
        ),
        (r#"x eq "q\"\\\u0001é\/""#, r#"x eq "q\"\\\u0001é/""#),
        (
            "x ge 1.5E2 or y eq TRUE or z ne NULL",
            "x ge 150.0 or y eq true or z ne null",
        ),
    ];
    for (input, canonical) in cases {
        let f = parse(input);
        assert_eq!(f.to_string(), canonical, "{input}");
        assert_eq!(parse(&f.to_string()), f, "{input}");
    }
}
