use super::*;

/// Valid expressions: the examples in Personalize's filter expression documentation.
pub(crate) const EXAMPLES: &[&str] = &[
    r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")"#,
    r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($EVENT_TYPE)"#,
    r#"INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")"#,
    r#"INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)"#,
    r#"EXCLUDE ItemID WHERE Items.CATEGORY IN ("shoe") AND Items.DESCRIPTION NOT IN ("boot")"#,
    r#"INCLUDE ItemID WHERE Items.PRICE <= $PRICE"#,
    r#"INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP > 1633240824"#,
    r#"INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE AND Items.GENRE IN CurrentItem.GENRE"#,
    r#"EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE) IF CurrentUser.AGE = $AGE"#,
    r#"INCLUDE ItemID WHERE Items.CATEGORY IN ("watch") AND Items.DESCRIPTION IN ("luxury") IF CurrentUser.AGE > 18"#,
    r#"INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")"#,
    r#"INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY) | INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("favorite")"#,
    r#"INCLUDE UserID WHERE Users.MEMBERSHIP_STATUS IN ($MEMBERSHIP)"#,
    r#"EXCLUDE UserID WHERE Users.AGE < $AGE"#,
    r#"INCLUDE UserID WHERE Interactions.EVENT_TYPE IN ("click", "rating")"#,
    r#"INCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ($EVENT_TYPE)"#,
    r#"EXCLUDE ActionID WHERE Actions.VALUE < ($VALUE) IF CurrentUser.MEMBERSHIP = $PREMIUM"#,
];

fn p(s: &str) -> FilterExpression {
    parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn cond(ds: Dataset, field: &str, op: Op, rhs: Rhs) -> Condition {
    Condition { dataset: ds, field: field.into(), op, rhs }
}

fn strs(v: &[&str]) -> Rhs {
    Rhs::List(v.iter().map(|s| Literal::Str(s.to_string())).collect())
}

/// 1-based column of the `nth` (0-based) occurrence of `pat`.
fn col(text: &str, pat: &str, nth: usize) -> usize {
    let (i, _) = text.match_indices(pat).nth(nth).unwrap_or_else(|| panic!("{pat} not in {text}"));
    text[..i].chars().count() + 1
}

/// Asserts the text fails at the `nth` occurrence of `at` with a message containing `needle`.
fn fails(text: &str, needle: &str, at: &str, nth: usize) -> ParseError {
    let e = match parse(text) {
        Ok(f) => panic!("{text} parsed as {f:?}"),
        Err(e) => e,
    };
    let msg = e.to_string();
    assert!(msg.contains(needle), "{text}\n  message: {msg}\n  wanted: {needle}");
    let c = col(text, at, nth);
    assert_eq!(e.column(), c, "{text}: {msg}");
    assert!(msg.ends_with(&format!("at column {c}")) || msg.contains(&format!("at column {c},")), "{msg}");
    assert_eq!(&text[e.position()..e.position() + at.len()], at);
    e
}

#[test]
fn all_reference_examples_parse_and_round_trip() {
    for s in EXAMPLES {
        let f = p(s);
        let canon = f.to_string();
        assert_eq!(p(&canon), f, "{s} -> {canon}");
        assert_eq!(p(&canon).to_string(), canon);
    }
}

#[test]
fn canonical_text() {
    assert_eq!(p(EXAMPLES[4]).to_string(), EXAMPLES[4]);
    assert_eq!(p(EXAMPLES[7]).to_string(), EXAMPLES[7]);
    assert_eq!(p(EXAMPLES[10]).to_string(), EXAMPLES[10]);
    assert_eq!(
        p("include itemid where items.GENRE in('a','b\"c')|exclude ITEMID where INTERACTIONS.EVENT_TYPE = 'x'")
            .to_string(),
        r#"INCLUDE ItemID WHERE Items.GENRE IN ("a", "b\"c") | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE = "x""#
    );
    assert_eq!(
        p("EXCLUDE ActionID WHERE Actions.VALUE < ($VALUE)").to_string(),
        "EXCLUDE ActionID WHERE Actions.VALUE < $VALUE"
    );
    assert_eq!(
        p("INCLUDE ItemID WHERE Items.X IN $P AND Items.Y = (-2.5) AND Items.Z >= 1e300").to_string(),
        "INCLUDE ItemID WHERE Items.X IN ($P) AND Items.Y = -2.5 AND Items.Z >= 1e300"
    );
    assert_eq!(
        p("INCLUDE ItemID WHERE Items.T > now ( ) - 30d AND Items.T < NOW()+2h AND Items.T <= NOW()").to_string(),
        "INCLUDE ItemID WHERE Items.T > NOW() - 30d AND Items.T < NOW() + 2h AND Items.T <= NOW()"
    );
}

#[test]
fn structure() {
    let f = p(EXAMPLES[8]);
    assert_eq!(
        f.expressions,
        vec![Expression {
            action: Action::Exclude,
            target: Target::ItemId,
            conditions: vec![vec![cond(Dataset::Items, "GENRE", Op::In, Rhs::Param("GENRE".into()))]],
            if_clause: vec![IfCondition { field: "AGE".into(), op: Op::Eq, rhs: Rhs::Param("AGE".into()) }],
        }]
    );
    let f = p(EXAMPLES[2]);
    assert_eq!(f.expressions[0].conditions[0][0].rhs, Rhs::List(vec![Literal::Any]));
    let f = p(EXAMPLES[6]);
    assert_eq!(f.expressions[0].conditions[0][0].rhs, Rhs::Literal(Literal::Num(1633240824.0)));
    let f = p(EXAMPLES[16]);
    assert_eq!(f.expressions[0].conditions[0][0].rhs, Rhs::Param("VALUE".into()));
    assert_eq!(f.target(), Target::ActionId);
    let f = p(r#"INCLUDE ItemID WHERE Items.A IN ("x", 1, -2) AND Items.A NOT IN ('y')"#);
    assert_eq!(
        f.expressions[0].conditions[0],
        vec![
            cond(
                Dataset::Items,
                "A",
                Op::In,
                Rhs::List(vec![Literal::Str("x".into()), Literal::Num(1.0), Literal::Num(-2.0)])
            ),
            cond(Dataset::Items, "A", Op::NotIn, strs(&["y"])),
        ]
    );
}

#[test]
fn and_binds_tighter_than_or() {
    let f = p(
        r#"INCLUDE ItemID WHERE Items.A IN ("1") AND Items.B IN ("2") OR Items.C IN ("3") AND Items.D IN ("4") OR Items.E IN ("5")"#,
    );
    let names: Vec<Vec<&str>> =
        f.expressions[0].conditions.iter().map(|g| g.iter().map(|c| c.field.as_str()).collect()).collect();
    assert_eq!(names, vec![vec!["A", "B"], vec!["C", "D"], vec!["E"]]);
    assert_eq!(p(&f.to_string()), f);
}

#[test]
fn keywords_are_case_insensitive_names_are_not() {
    let a = p(r#"include ItemId WHERE items.GENRE not in ("a") aNd ITEMS.genre In ($Genre) if currentuser.Age >= 3"#);
    let e = &a.expressions[0];
    assert_eq!(e.action, Action::Include);
    assert_eq!(e.conditions[0][0].op, Op::NotIn);
    assert_eq!(e.conditions[0][1].field, "genre");
    assert_eq!(e.conditions[0][1].rhs, Rhs::Param("Genre".into()));
    assert_eq!(e.if_clause[0].field, "Age");
    assert_eq!(a.parameters(), vec!["Genre"]);
}

#[test]
fn interactions_fields_any_case_are_stored_canonical() {
    // as AWS's POC workshop writes them
    let a = p(r#"EXCLUDE ItemID WHERE Interactions.event_type IN ("watch") AND interactions.Timestamp > NOW() - 1d"#);
    assert_eq!(a.expressions[0].conditions[0][0].field, "EVENT_TYPE");
    assert_eq!(a.expressions[0].conditions[0][1].field, "TIMESTAMP");
    // the EVENT_TYPE-only rules still apply
    fails(r#"EXCLUDE ItemID WHERE Interactions.event_type > 3"#, "EVENT_TYPE can only be used with IN", ">", 0);
    fails(
        r#"INCLUDE ItemID WHERE Interactions.event_value IN ("a")"#,
        "can only use Interactions.EVENT_TYPE",
        "event_value",
        0,
    );
}

#[test]
fn whitespace_is_free() {
    let a = p("INCLUDE ItemID WHERE Items.GENRE IN (\"a\",\"b\")");
    let b = p("  INCLUDE\n\tItemID  WHERE Items . GENRE\nIN(  \"a\" ,\"b\"  )  ");
    assert_eq!(a, b);
}

#[test]
fn reko_extensions() {
    let f =
        p(r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase") AND Interactions.TIMESTAMP > NOW() - 7d"#);
    let c = &f.expressions[0].conditions[0][1];
    assert_eq!(c.rhs, Rhs::Now(Some(TimeOffset { negative: true, amount: 7, unit: TimeUnit::Days })));
    assert_eq!(TimeOffset { negative: true, amount: 7, unit: TimeUnit::Days }.seconds(), -604_800);
    for (u, secs) in [("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604800)] {
        let f = p(&format!("INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP > NOW() + 2{u}"));
        let Rhs::Now(Some(o)) = f.expressions[0].conditions[0][0].rhs else { panic!() };
        assert_eq!(o.seconds(), 2 * secs);
    }
    // TIMESTAMP alone and with a parameter
    p("INCLUDE ItemID WHERE Interactions.TIMESTAMP >= $SINCE");
    p("INCLUDE ActionID WHERE Action_Interactions.TIMESTAMP < 5 OR Action_Interactions.EVENT_TYPE = \"TAKEN\"");
    p("EXCLUDE UserID WHERE Users.SIGNUP < NOW() - 52w IF CurrentUser.SIGNUP > NOW() - 1d");
}

#[test]
fn accessors() {
    let f = p(
        r#"INCLUDE ItemID WHERE Items.GENRE IN ($G) AND Items.PRICE < CurrentItem.PRICE OR Items.GENRE IN CurrentItem.SUB IF CurrentUser.AGE > $AGE AND CurrentUser.TIER IN ($G) | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($E)"#,
    );
    assert_eq!(f.parameters(), vec!["G", "AGE", "E"]);
    assert_eq!(
        f.fields(),
        vec![
            (Dataset::Items, "GENRE"),
            (Dataset::Items, "PRICE"),
            (Dataset::Items, "SUB"),
            (Dataset::Users, "AGE"),
            (Dataset::Users, "TIER"),
            (Dataset::Interactions, "EVENT_TYPE"),
        ]
    );
    assert!(f.uses_interactions() && f.uses_current_item() && f.uses_current_user());
    assert_eq!(f.target(), Target::ItemId);
    assert_eq!(f.expressions[1].dataset(), Some(Dataset::Interactions));
    let g = p(EXAMPLES[3]);
    assert!(!g.uses_interactions() && !g.uses_current_item() && !g.uses_current_user());
    assert_eq!(g.fields(), vec![(Dataset::Items, "GENRE")]);
    let h: FilterExpression = EXAMPLES[14].parse().unwrap();
    assert_eq!(h.target(), Target::UserId);
    assert!(h.uses_interactions());
}

#[test]
fn wrong_operator_message() {
    let text = r#"INCLUDE ItemID WHERE Items.GENRE INN ("a")"#;
    let e = fails(text, "", "INN", 0);
    assert_eq!(e.to_string(), r#"expected one of "IN", "NOT IN", "=", "<", "<=", ">", ">=" at column 34, found "INN""#);
    assert!(matches!(e.kind(), ParseErrorKind::Unexpected { expected, .. } if expected.len() == 7));
    assert_eq!(e.position(), 33);
}

#[test]
fn reference_invalid_cases() {
    // mixing datasets inside one expression
    let t = r#"INCLUDE ItemID WHERE Items.X IN ("a") AND Interactions.EVENT_TYPE IN ("b")"#;
    fails(t, "cannot mix Items and Interactions conditions", "Interactions", 0);
    let t = r#"INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("b") OR Items.X IN ("a")"#;
    fails(t, "cannot mix Interactions and Items", "Items.X", 0);
    // IF not at the end / twice
    let t = r#"INCLUDE ItemID WHERE Items.X IN ("a") IF CurrentUser.AGE > 18 AND Items.Y IN ("b")"#;
    fails(t, "the IF clause must be the last part of an expression", "Items.Y", 0);
    let t = r#"INCLUDE ItemID WHERE Items.X IN ("a") IF CurrentUser.AGE > 18 IF CurrentUser.B = 1"#;
    fails(t, "only one IF clause", "IF", 1);
    let t = r#"INCLUDE ItemID WHERE Items.X IN ("a") IF CurrentUser.AGE > 18 OR CurrentUser.B = 1"#;
    fails(t, "IF conditions can only be joined with AND", "OR", 0);
    // CurrentUser outside IF
    let t = r#"INCLUDE ItemID WHERE CurrentUser.AGE > 18"#;
    fails(t, "CurrentUser can only be used in the IF clause", "CurrentUser", 0);
    let t = r#"INCLUDE ItemID WHERE Items.GENRE IN CurrentUser.GENRE"#;
    fails(t, "CurrentUser can only be used in the IF clause", "CurrentUser", 0);
    // NOT IN ($P)
    let t = r#"EXCLUDE ItemID WHERE Items.GENRE NOT IN ($GENRE)"#;
    fails(t, "cannot be used with NOT IN", "$GENRE", 0);
    fails(r#"EXCLUDE ItemID WHERE Items.GENRE NOT IN $GENRE"#, "cannot be used with NOT IN", "$GENRE", 0);
    // unknown dataset
    let t = r#"INCLUDE ItemID WHERE Products.X IN ("a")"#;
    let e = fails(
        t,
        r#"expected one of "Items", "Users", "Interactions", "Actions", "Action_Interactions""#,
        "Products",
        0,
    );
    assert!(e.to_string().ends_with(r#"found "Products""#), "{e}");
}

#[test]
fn language_rule_errors() {
    let cases: &[(&str, &str, &str, usize)] = &[
        (r#"INCLUDE ItemID WHERE Items.GENRE IN ("*")"#, "\"*\" (any event type) can only be used with Interactions.EVENT_TYPE, not Items.GENRE", "\"*\"", 0),
        (r#"INCLUDE ItemID WHERE Items.GENRE = "*""#, "can only be used with Interactions.EVENT_TYPE", "\"*\"", 0),
        (r#"INCLUDE ItemID WHERE Users.AGE > 3"#, "ItemID filters can only use Items or Interactions fields, not Users", "Users", 0),
        (r#"INCLUDE UserID WHERE Items.X IN ("a")"#, "UserID filters can only use Users or Interactions fields, not Items", "Items", 0),
        (r#"INCLUDE ActionID WHERE Interactions.EVENT_TYPE IN ("a")"#, "ActionID filters can only use Actions or Action_Interactions fields", "Interactions", 0),
        (r#"INCLUDE ItemID WHERE Action_Interactions.EVENT_TYPE IN ("a")"#, "not Action_Interactions", "Action_Interactions", 0),
        (r#"INCLUDE ItemID WHERE Interactions.GENRE IN ("a")"#, "Interactions conditions can only use Interactions.EVENT_TYPE (or Interactions.TIMESTAMP, a Reko extension), not Interactions.GENRE", "GENRE", 0),
        (r#"INCLUDE ItemID WHERE Interactions.EVENT_TYPE < 3"#, "Interactions.EVENT_TYPE can only be used with IN, NOT IN or =, not <", "<", 0),
        (r#"INCLUDE ItemID WHERE Interactions.TIMESTAMP IN (3)"#, "Interactions.TIMESTAMP can only be used with =, <, <=, > or >=, not IN", "IN (3)", 0),
        (r#"INCLUDE ItemID WHERE Interactions.TIMESTAMP = "x""#, "Interactions.TIMESTAMP holds epoch seconds and needs a number, found string \"x\"", "\"x\"", 0),
        (r#"INCLUDE ItemID WHERE Interactions.EVENT_TYPE = NOW()"#, "NOW() cannot be compared with Interactions.EVENT_TYPE", "NOW", 0),
        (r#"INCLUDE ItemID WHERE Items.PRICE < (1, 2)"#, "the < operator takes a single value, not a list; use IN (...)", "(", 0),
        (r#"INCLUDE ItemID WHERE Items.PRICE >= ("a")"#, "the >= operator needs a number, found string \"a\"", "\"a\"", 0),
        (r#"INCLUDE ItemID WHERE Items.PRICE < "a""#, "the < operator needs a number, found string \"a\"", "\"a\"", 0),
        (r#"INCLUDE ItemID WHERE Items.G IN ("a") | INCLUDE UserID WHERE Users.A IN ("b")"#, "all expressions of a filter must have the same target, but this one uses UserID and the first uses ItemID", "UserID", 0),
        (r#"INCLUDE UserID WHERE Users.X IN CurrentItem.X"#, "CurrentItem can only be compared with Items fields in ItemID filters, not with Users.X", "CurrentItem", 0),
        (r#"INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN CurrentItem.X"#, "CurrentItem can only be compared with Items fields", "CurrentItem", 0),
        (r#"INCLUDE ItemID WHERE CurrentItem.X IN ("a")"#, "CurrentItem can only be used on the right-hand side", "CurrentItem", 0),
        (r#"INCLUDE ItemID WHERE Items.X IN ("a") IF CurrentUser.X IN CurrentItem.X"#, "IF conditions must compare CurrentUser.X with a value or a $parameter, not CurrentItem", "CurrentItem", 0),
        (r#"INCLUDE ItemID WHERE Items.X IN ("a") IF CurrentItem.X IN ("a")"#, "IF conditions can only test CurrentUser fields", "CurrentItem", 0),
        (r#"INCLUDE ItemID WHERE Items.X IN ("a") IF Items.X IN ("a")"#, r#"expected "CurrentUser" at column"#, "Items", 1),
        (r#"INCLUDE ItemID WHERE Items.X IN ("a", $P)"#, "a $parameter must be the only value inside the parentheses", "$P", 0),
        (r#"INCLUDE ItemID WHERE Items.X IN ($P, "a")"#, "a $parameter must be the only value inside the parentheses", ",", 0),
        (r#"INCLUDE ItemID WHERE Items.X IN ($)"#, "expected a parameter name after \"$\"", "$", 0),
        (r#"INCLUDE ItemID WHERE Items.X > NOW() - 30x"#, "expected a duration after NOW() - such as 30d", "30x", 0),
        (r#"INCLUDE ItemID WHERE Items.X > NOW() - 1.5d"#, "expected a duration", "1.5d", 0),
        (r#"INCLUDE ItemID WHERE Items.X > NOW() - 30 d"#, "expected a duration", "30", 0),
        (r#"INCLUDE ItemID WHERE Items.X > NOW() - 30D"#, "expected a duration", "30D", 0),
        (r#"INCLUDE ItemID WHERE Items.X > NOW() - 99999999999d"#, "the duration 99999999999 is too large", "999", 0),
        (r#"INCLUDE ItemID WHERE Items.X > NOW - 3d"#, r#"expected "(" at column"#, "-", 0),
        (r#"INCLUDE ItemID WHERE Items.X > 12abc"#, "invalid number \"12abc\"", "12abc", 0),
        (r#"INCLUDE ItemID WHERE Items.X > 1e400"#, "the number 1e400 is too large", "1e400", 0),
        (r#"INCLUDE ItemID WHERE Items.X > - "a""#, "expected a number at column", "\"a\"", 0),
        (r#"INCLUDE ItemID WHERE Items.X NOT INN ("a")"#, r#"expected "IN" at column 34, found "INN""#, "INN", 0),
        (r#"INCLUDE ItemID WHERE Items.X IN "a""#, r#"expected one of "(", a $parameter, "CurrentItem.<field>" at column"#, "\"a\"", 0),
        (r#"INCLUDE ItemID WHERE Items.X IN ("a" "b")"#, r#"expected one of ",", ")" at column 38, found string "b""#, "\"b\"", 0),
        (r#"INCLUDE ItemID WHERE Items.X IN ()"#, r#"expected one of a string, a number at column 34, found ")""#, ")", 0),
        (r#"INCLUDE ItemID WHERE Items.X < ()"#, "expected a number at column", ")", 0),
        (r#"INCLUDE ItemID WHERE Items.X = !"#, r#"expected one of a number, a string, a $parameter, "CurrentItem.<field>", "NOW()" at column 32, found "!""#, "!", 0),
        (r#"INCLUDE ItemID WHERE Items.X IN ("a"#, "unterminated string literal: the closing quote is missing", "\"a", 0),
        (r#"INCLUDE ItemID Items.X IN ("a")"#, r#"expected "WHERE" at column 16, found "Items""#, "Items", 0),
        (r#"INCLUDE Items WHERE Items.X IN ("a")"#, r#"expected one of "ItemID", "UserID", "ActionID" at column 9, found "Items""#, "Items", 0),
        (r#"INCLUDES ItemID WHERE Items.X IN ("a")"#, r#"expected one of "INCLUDE", "EXCLUDE" at column 1, found "INCLUDES""#, "INCLUDES", 0),
        (r#"INCLUDE ItemID WHERE Items.X IN ("a") |"#, "found end of input", "|", 0),
        (r#"INCLUDE ItemID WHERE Items.X IN ("a") Items.Y IN ("b")"#, r#"expected one of "AND", "OR", "IF", "|", end of input at column 39, found "Items""#, "Items.Y", 0),
        (r#"INCLUDE ItemID WHERE Items.X IN ("a") IF CurrentUser.A = 1 )"#, r#"expected one of "AND", "|", end of input"#, ")", 1),
        (r#"INCLUDE ItemID WHERE Items.X IN ("a") AND"#, "found end of input", "AND", 0),
        (r#"INCLUDE ItemID WHERE Items X IN ("a")"#, r#"expected "." at column"#, "X", 0),
        (r#"INCLUDE ItemID WHERE Items.3 IN ("a")"#, r#"expected a field name at column"#, "3", 0),
    ];
    for &(text, needle, at, nth) in cases {
        let e = match parse(text) {
            Ok(f) => panic!("{text} parsed as {f:?}"),
            Err(e) => e,
        };
        let msg = e.to_string();
        assert!(msg.contains(needle), "{text}\n  message: {msg}\n  wanted: {needle}");
        // end of input is reported at the end
        let c = if needle.contains("found end of input") { text.chars().count() + 1 } else { col(text, at, nth) };
        assert_eq!(e.column(), c, "{text}: {msg}");
    }
}

#[test]
fn long_parameter_names_and_texts() {
    let ok = format!("INCLUDE ItemID WHERE Items.X IN (${})", "P".repeat(50));
    p(&ok);
    let bad = format!("INCLUDE ItemID WHERE Items.X IN (${})", "P".repeat(51));
    fails(&bad, "the parameter name $PPPP", "$", 0);
    assert!(parse(&bad).unwrap_err().to_string().contains("is 51 characters long; at most 50 are allowed"));

    let base = "INCLUDE ItemID WHERE Items.X IN (\"";
    let fill = |n: usize| format!("{base}{}\")", "é".repeat(n - base.len() - 2));
    let exact = fill(2500);
    assert_eq!(exact.chars().count(), 2500);
    p(&exact);
    let long = fill(2501);
    let e = parse(&long).unwrap_err();
    assert!(e.to_string().contains("is 2501 characters long; at most 2500 are allowed"), "{e}");
    assert_eq!(e.column(), 2501);

    assert_eq!(parse("").unwrap_err().to_string(), "the filter expression is empty at column 1");
    assert_eq!(parse(" \n ").unwrap_err().to_string(), "the filter expression is blank at column 1");
}

#[test]
fn columns_count_characters_not_bytes() {
    let t = "INCLUDE ItemID WHERE Items.X IN (\"éé\") OOPS";
    let e = parse(t).unwrap_err();
    assert_eq!(e.column(), 40);
    assert_eq!(e.position(), 41);
    let long = format!("INCLUDE ItemID WHERE Items.X IN (\"a\") {}", "Z".repeat(60));
    let msg = parse(&long).unwrap_err().to_string();
    assert!(msg.ends_with(&format!("found \"{}...\"", "Z".repeat(40))), "{msg}");
}

#[test]
fn escapes_round_trip() {
    let f = p(r#"INCLUDE ItemID WHERE Items.X IN ("a\"b", 'c\'d', "e\\f", "g\h", "|", "")"#);
    assert_eq!(f.expressions[0].conditions[0][0].rhs, strs(&["a\"b", "c'd", "e\\f", "g\\h", "|", ""]));
    assert_eq!(p(&f.to_string()), f);
}
