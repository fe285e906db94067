use std::collections::BTreeMap;

use reko_dataset::{Field, FieldType, Schema};

use super::*;
use crate::{parse, Value};

const NOW: i64 = 1_700_000_000;
const DAY: i64 = 86_400;

fn items() -> AttributeTable {
    let schema = Schema {
        name: "Items".into(),
        namespace: None,
        fields: vec![
            Field::new("ITEM_ID", FieldType::String),
            Field::new("GENRE", FieldType::String).categorical().nullable(),
            Field::new("BRAND", FieldType::String).nullable(),
            Field::new("PRICE", FieldType::Float).nullable(),
            Field::new("CREATION_TIMESTAMP", FieldType::Long).nullable(),
        ],
    };
    let mut t = AttributeTable::new(&schema);
    let rows: [(&str, &str, &str, f64, i64); 5] = [
        ("a", "Comedy|Drama", "acme", 5.0, NOW - 40 * DAY),
        ("b", "Horror", "zeta", 20.0, NOW - 10 * DAY),
        ("c", "Drama", "acme", 12.5, NOW - DAY),
        ("d", "", "", f64::NAN, 0),
        ("e", "Comedy", "Acme", 30.0, NOW - 100 * DAY),
    ];
    for (id, genre, brand, price, ts) in rows {
        let mut v = vec![("GENRE", Value::Str(genre)), ("BRAND", Value::Str(brand))];
        if !price.is_nan() {
            v.push(("PRICE", Value::Num(price)));
            v.push(("CREATION_TIMESTAMP", Value::Num(ts as f64)));
        }
        t.upsert(id, &v).unwrap();
    }
    t
}

fn users() -> AttributeTable {
    let schema = Schema {
        name: "Users".into(),
        namespace: None,
        fields: vec![
            Field::new("USER_ID", FieldType::String),
            Field::new("AGE", FieldType::Int).nullable(),
            Field::new("TIER", FieldType::String).categorical().nullable(),
        ],
    };
    let mut t = AttributeTable::new(&schema);
    t.upsert("adult", &[("AGE", Value::Num(30.0)), ("TIER", Value::Str("gold|beta"))]).unwrap();
    t.upsert("kid", &[("AGE", Value::Num(12.0)), ("TIER", Value::Str("free"))]).unwrap();
    t.upsert("anon", &[]).unwrap();
    t
}

fn bind(text: &str, pairs: &[(&str, &str)]) -> BoundFilter {
    let values: BTreeMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    parse(text).unwrap_or_else(|e| panic!("{text}: {e}")).bind(&values).unwrap()
}

/// The allowed ids among `ids`, in order.
fn allowed(d: &Decision, table: &AttributeTable, ids: &[&str]) -> Vec<String> {
    ids.iter().filter(|id| d.allows(table, id)).map(|s| s.to_string()).collect()
}

const ALL: &[&str] = &["a", "b", "c", "d", "e", "x", "y"];

fn run(text: &str, pairs: &[(&str, &str)], ctx: &EvalContext<'_>) -> Vec<String> {
    let t = items();
    let d = bind(text, pairs).item_rows(&t, ctx).unwrap();
    // the row bitset and the id path agree
    for r in 0..t.len() as u32 {
        assert_eq!(d.allows_row(r), d.allows(&t, t.id_of(r).unwrap()));
    }
    allowed(&d, &t, ALL)
}

fn ctx() -> EvalContext<'static> {
    EvalContext::new(NOW)
}

#[test]
fn include_multi_valued_and_params() {
    let c = ctx();
    assert_eq!(run(r#"INCLUDE ItemID WHERE Items.GENRE IN ("Drama")"#, &[], &c), ["a", "c"]);
    assert_eq!(
        run(r#"INCLUDE ItemID WHERE Items.GENRE IN ($G)"#, &[("G", r#""Horror","Comedy""#)], &c),
        ["a", "b", "e"]
    );
    // exact, case-sensitive attribute matching
    assert_eq!(run(r#"INCLUDE ItemID WHERE Items.BRAND = "acme""#, &[], &c), ["a", "c"]);
    assert!(run(r#"INCLUDE ItemID WHERE Items.GENRE IN ("drama")"#, &[], &c).is_empty());
    // a plain string field is not split on |
    assert!(run(r#"INCLUDE ItemID WHERE Items.BRAND IN ("acme|zeta")"#, &[], &c).is_empty());
    // NOT IN is the complement over the table; absent ids never match
    assert_eq!(run(r#"INCLUDE ItemID WHERE Items.GENRE NOT IN ("Drama", "Horror")"#, &[], &c), ["d", "e"]);
    assert_eq!(run(r#"EXCLUDE ItemID WHERE Items.GENRE NOT IN ("Drama")"#, &[], &c), ["a", "c", "x", "y"]);
    // the id field
    assert_eq!(run(r#"INCLUDE ItemID WHERE Items.ITEM_ID IN ("b", "x", "e")"#, &[], &c), ["b", "e"]);
    assert_eq!(
        run(r#"EXCLUDE ItemID WHERE Items.ITEM_ID IN ($SEEN)"#, &[("SEEN", r#""a","x""#)], &c),
        ["b", "c", "d", "e", "x", "y"]
    );
}

#[test]
fn numeric_conditions() {
    let c = ctx();
    assert_eq!(run(r#"INCLUDE ItemID WHERE Items.PRICE <= $P"#, &[("P", "12.5")], &c), ["a", "c"]);
    assert_eq!(run(r#"INCLUDE ItemID WHERE Items.PRICE < 12.5"#, &[], &c), ["a"]);
    assert_eq!(run(r#"INCLUDE ItemID WHERE Items.PRICE > 12.5"#, &[], &c), ["b", "e"]);
    assert_eq!(run(r#"INCLUDE ItemID WHERE Items.PRICE >= 12.5"#, &[], &c), ["b", "c", "e"]);
    assert_eq!(run(r#"INCLUDE ItemID WHERE Items.PRICE = 20"#, &[], &c), ["b"]);
    assert_eq!(run(r#"INCLUDE ItemID WHERE Items.PRICE IN (5, 30)"#, &[], &c), ["a", "e"]);
    assert_eq!(run(r#"INCLUDE ItemID WHERE Items.PRICE IN ($P)"#, &[("P", r#"20,"30""#)], &c), ["b", "e"]);
    // missing numeric values match no comparison, but do match NOT IN
    assert_eq!(run(r#"INCLUDE ItemID WHERE Items.PRICE NOT IN (5, 20, 12.5, 30)"#, &[], &c), ["d"]);
    // numbers compare with string fields through their text
    let mut t = items();
    t.upsert("n", &[("BRAND", Value::Str("7"))]).unwrap();
    let d = bind(r#"INCLUDE ItemID WHERE Items.BRAND IN (7)"#, &[]).item_rows(&t, &c).unwrap();
    assert_eq!(allowed(&d, &t, &["a", "n"]), ["n"]);
}

#[test]
fn and_or_chains() {
    let c = ctx();
    let text = r#"INCLUDE ItemID WHERE Items.GENRE IN ("Drama") AND Items.PRICE > 10 OR Items.BRAND = "zeta""#;
    assert_eq!(run(text, &[], &c), ["b", "c"]);
    let text = r#"INCLUDE ItemID WHERE Items.GENRE IN ("Nope") AND Items.PRICE > 10 OR Items.GENRE IN ("Horror") AND Items.PRICE > 100"#;
    assert!(run(text, &[], &c).is_empty());
}

#[test]
fn combination_rule() {
    let c = ctx();
    // all INCLUDE: union
    let text = r#"INCLUDE ItemID WHERE Items.GENRE IN ("Horror") | INCLUDE ItemID WHERE Items.PRICE < 10"#;
    assert_eq!(run(text, &[], &c), ["a", "b"]);
    // all EXCLUDE: union of excludes removed; absent ids stay
    let text = r#"EXCLUDE ItemID WHERE Items.GENRE IN ("Horror") | EXCLUDE ItemID WHERE Items.PRICE < 10"#;
    assert_eq!(run(text, &[], &c), ["c", "d", "e", "x", "y"]);
    // mixed: (∪ includes) − (∪ excludes), in any order
    let text = r#"EXCLUDE ItemID WHERE Items.BRAND = "acme" | INCLUDE ItemID WHERE Items.GENRE IN ("Drama", "Comedy") | INCLUDE ItemID WHERE Items.PRICE = 20"#;
    assert_eq!(run(text, &[], &c), ["b", "e"]);
}

#[test]
fn if_clause() {
    let u = users();
    let text = r#"INCLUDE ItemID WHERE Items.GENRE IN ("Horror") IF CurrentUser.AGE >= 18"#;
    let adult = EvalContext::new(NOW).with_user(&u, u.row_of("adult"));
    let kid = EvalContext::new(NOW).with_user(&u, u.row_of("kid"));
    assert_eq!(run(text, &[], &adult), ["b"]);
    // false IF: the expression is skipped, so nothing is restricted
    let t = items();
    let d = bind(text, &[]).item_rows(&t, &kid).unwrap();
    assert!(d.is_unrestricted() && d.allowed_rows().is_none());
    assert_eq!(allowed(&d, &t, ALL), ALL);
    // unknown user / no users table / user without the field: IF is false
    for c in [
        EvalContext::new(NOW).with_user(&u, None),
        EvalContext::new(NOW),
        EvalContext::new(NOW).with_user(&u, u.row_of("anon")),
        EvalContext::new(NOW).with_user(&u, Some(99)),
    ] {
        assert_eq!(run(text, &[], &c), ALL);
    }
    // a skipped INCLUDE does not turn the other expressions into include mode
    let text = r#"INCLUDE ItemID WHERE Items.GENRE IN ("Horror") IF CurrentUser.AGE >= 18 | EXCLUDE ItemID WHERE Items.PRICE > 15"#;
    assert_eq!(run(text, &[], &kid), ["a", "c", "d", "x", "y"]);
    assert_eq!(run(text, &[], &adult), Vec::<String>::new());
    // several IF conditions, multi-valued user fields, parameters, NOT IN
    let text = r#"EXCLUDE ItemID WHERE Items.GENRE IN ($G) IF CurrentUser.TIER IN ("beta") AND CurrentUser.AGE = $AGE"#;
    assert_eq!(run(text, &[("G", r#""Horror""#), ("AGE", "30")], &adult), ["a", "c", "d", "e", "x", "y"]);
    assert_eq!(run(text, &[("G", r#""Horror""#), ("AGE", "31")], &adult), ALL);
    let text = r#"EXCLUDE ItemID WHERE Items.GENRE IN ("Horror") IF CurrentUser.TIER NOT IN ("gold")"#;
    assert_eq!(run(text, &[], &adult), ALL);
    assert_eq!(run(text, &[], &kid), ["a", "c", "d", "e", "x", "y"]);
    let text = r#"EXCLUDE ItemID WHERE Items.GENRE IN ("Horror") IF CurrentUser.USER_ID = "kid""#;
    assert_eq!(run(text, &[], &kid), ["a", "c", "d", "e", "x", "y"]);
}

#[test]
fn interactions() {
    let t = items();
    let events = [
        Interaction { item_id: "a", event_type: "Purchase", timestamp: NOW - 2 * DAY },
        Interaction { item_id: "b", event_type: "click", timestamp: NOW - 20 * DAY },
        Interaction { item_id: "x", event_type: "PURCHASE", timestamp: NOW - 3 * DAY },
        Interaction { item_id: "y", event_type: "watch", timestamp: NOW - 30 * DAY },
    ];
    let c = EvalContext::new(NOW).with_interactions(&events);
    let d = |text: &str, pairs: &[(&str, &str)]| {
        let dec = bind(text, pairs).item_rows(&t, &c).unwrap();
        allowed(&dec, &t, ALL)
    };
    // event types match case-insensitively; ids outside Items still match
    assert_eq!(d(r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")"#, &[]), ["b", "c", "d", "e", "y"]);
    assert_eq!(d(r#"INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")"#, &[]), ["a", "x"]);
    assert_eq!(
        d(r#"INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($E)"#, &[("E", r#""CLICK","Watch""#)]),
        ["b", "y"]
    );
    assert_eq!(d(r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE = "click""#, &[]), ["a", "c", "d", "e", "x", "y"]);
    // "*" is any type
    assert_eq!(d(r#"INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")"#, &[]), ["a", "b", "x", "y"]);
    assert_eq!(d(r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")"#, &[]), ["c", "d", "e"]);
    // NOT IN: events of any other type
    assert_eq!(d(r#"INCLUDE ItemID WHERE Interactions.EVENT_TYPE NOT IN ("purchase", "watch")"#, &[]), ["b"]);
    // EXCLUDE with a missing parameter is skipped
    assert_eq!(d(r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($E)"#, &[]), ALL);
    // time windows (Reko extension), per event
    let text =
        r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase") AND Interactions.TIMESTAMP >= NOW() - 48h"#;
    assert_eq!(d(text, &[]), ["b", "c", "d", "e", "x", "y"]);
    let text = r#"INCLUDE ItemID WHERE Interactions.TIMESTAMP >= NOW() - 3d"#;
    assert_eq!(d(text, &[]), ["a", "x"]);
    let text = r#"INCLUDE ItemID WHERE Interactions.TIMESTAMP < $T OR Interactions.EVENT_TYPE = "purchase""#;
    assert_eq!(d(text, &[("T", &(NOW - 25 * DAY).to_string())]), ["a", "x", "y"]);
    let text = format!("INCLUDE ItemID WHERE Interactions.TIMESTAMP = {}", NOW - 20 * DAY);
    assert_eq!(d(&text, &[]), ["b"]);
    // the whole chain must hold for one event
    let text =
        r#"INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click") AND Interactions.EVENT_TYPE IN ("purchase")"#;
    assert!(d(text, &[]).is_empty());
    // combined with attributes through |
    let text = r#"INCLUDE ItemID WHERE Items.GENRE IN ("Comedy") | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")"#;
    assert_eq!(d(text, &[]), ["e"]);
    let text =
        r#"INCLUDE ItemID WHERE Items.GENRE IN ("Horror") | INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")"#;
    assert_eq!(d(text, &[]), ["b", "y"]);
    // no interactions at all
    let dec = bind(r#"INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")"#, &[]).item_rows(&t, &ctx()).unwrap();
    assert!(!dec.is_unrestricted());
    assert!(allowed(&dec, &t, ALL).is_empty());
}

#[test]
fn now_on_attributes() {
    let c = ctx();
    assert_eq!(run(r#"INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP > NOW() - 30d"#, &[], &c), ["b", "c"]);
    assert_eq!(run(r#"INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP > NOW() - 2w"#, &[], &c), ["b", "c"]);
    assert_eq!(run(r#"INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP >= NOW() - 24h"#, &[], &c), ["c"]);
    assert_eq!(run(r#"INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP < NOW()"#, &[], &c), ["a", "b", "c", "e"]);
    let later = EvalContext::new(NOW + 20 * DAY);
    assert_eq!(run(r#"INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP > NOW() - 30d"#, &[], &later), ["c"]);
    let u = users();
    let c = EvalContext::new(40).with_user(&u, u.row_of("adult"));
    assert_eq!(
        run(r#"EXCLUDE ItemID WHERE Items.PRICE > 10 IF CurrentUser.AGE < NOW() - 5s"#, &[], &c),
        ["a", "d", "x", "y"]
    );
}

#[test]
fn current_item() {
    let t = items();
    let text = r#"INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE AND Items.GENRE IN CurrentItem.GENRE"#;
    let f = bind(text, &[]);
    let for_item = |id: &str| {
        let c = EvalContext::new(NOW).with_current_item(t.row_of(id));
        allowed(&f.item_rows(&t, &c).unwrap(), &t, ALL)
    };
    assert_eq!(for_item("e"), ["a"]); // Comedy, cheaper than 30
    assert_eq!(for_item("c"), ["a"]); // Drama, cheaper than 12.5
    assert!(for_item("a").is_empty());
    assert!(for_item("d").is_empty()); // no price, no genre
    assert!(for_item("x").is_empty()); // not in Items
    let f = bind(r#"EXCLUDE ItemID WHERE Items.BRAND IN CurrentItem.BRAND"#, &[]);
    let c = EvalContext::new(NOW).with_current_item(t.row_of("a"));
    assert_eq!(allowed(&f.item_rows(&t, &c).unwrap(), &t, ALL), ["b", "d", "e", "x", "y"]);
    let f = bind(r#"INCLUDE ItemID WHERE Items.GENRE NOT IN CurrentItem.GENRE"#, &[]);
    assert_eq!(allowed(&f.item_rows(&t, &c).unwrap(), &t, ALL), ["b", "d"]);
    let f = bind(r#"INCLUDE ItemID WHERE Items.ITEM_ID = CurrentItem.ITEM_ID"#, &[]);
    assert_eq!(allowed(&f.item_rows(&t, &c).unwrap(), &t, ALL), ["a"]);
}

#[test]
fn decisions() {
    let mut t = items();
    let f = bind(
        r#"EXCLUDE ItemID WHERE Items.GENRE IN ("Horror") | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("x")"#,
        &[],
    );
    let events = [Interaction { item_id: "zz", event_type: "X", timestamp: 0 }];
    let c = EvalContext::new(NOW).with_interactions(&events);
    let d = f.item_rows(&t, &c).unwrap();
    assert_eq!(d.allowed_rows().unwrap().count(), 4);
    assert!(!d.allows_absent_id("zz") && d.allows_absent_id("new"));
    // rows added after evaluation are judged by id
    t.upsert("zz", &[]).unwrap();
    let zz = t.row_of("zz").unwrap();
    assert!(d.allows_row(zz));
    assert!(!d.allows(&t, "zz"));
    let inc = bind(r#"INCLUDE ItemID WHERE Items.GENRE IN ("Horror")"#, &[]).item_rows(&items(), &c).unwrap();
    assert!(!inc.allows_row(zz));
    // no expression left: unrestricted
    let none = bind(r#"EXCLUDE ItemID WHERE Items.GENRE IN ($G)"#, &[]);
    assert!(none.is_noop());
    let d = none.item_rows(&t, &c).unwrap();
    assert!(d.is_unrestricted() && d.allows_row(0) && d.allows_absent_id("q"));
    // empty table
    let empty = AttributeTable::new(&Schema {
        name: "Items".into(),
        namespace: None,
        fields: vec![Field::new("ITEM_ID", FieldType::String), Field::new("G", FieldType::String)],
    });
    let d = bind(r#"INCLUDE ItemID WHERE Items.G IN ("a")"#, &[]).item_rows(&empty, &c).unwrap();
    assert!(!d.allows(&empty, "a"));
}

#[test]
fn targets() {
    let u = users();
    let ev = [
        UserInteraction { user_id: "kid", event_type: "Rating", timestamp: NOW },
        UserInteraction { user_id: "ghost", event_type: "click", timestamp: NOW },
    ];
    let c = ctx();
    let f = bind(r#"INCLUDE UserID WHERE Users.TIER IN ($T)"#, &[("T", r#""gold""#)]);
    let d = f.user_rows(&u, &c, &[]).unwrap();
    assert_eq!(allowed(&d, &u, &["adult", "kid", "anon", "ghost"]), ["adult"]);
    let f = bind(r#"EXCLUDE UserID WHERE Users.AGE < $AGE"#, &[("AGE", "18")]);
    let d = f.user_rows(&u, &c, &[]).unwrap();
    assert_eq!(allowed(&d, &u, &["adult", "kid", "anon", "ghost"]), ["adult", "anon", "ghost"]);
    let f = bind(r#"INCLUDE UserID WHERE Interactions.EVENT_TYPE IN ("click", "rating")"#, &[]);
    let d = f.user_rows(&u, &c, &ev).unwrap();
    assert_eq!(allowed(&d, &u, &["adult", "kid", "anon", "ghost"]), ["kid", "ghost"]);
    let e = f.item_rows(&u, &c).unwrap_err();
    assert_eq!(e.to_string(), "the filter selects UserID and cannot be applied to items");

    let actions = AttributeTable::new(&Schema {
        name: "Actions".into(),
        namespace: None,
        fields: vec![Field::new("ACTION_ID", FieldType::String), Field::new("VALUE", FieldType::Long).nullable()],
    });
    let mut actions = actions;
    actions.upsert("cheap", &[("VALUE", Value::Str("5"))]).unwrap();
    actions.upsert("dear", &[("VALUE", Value::Str("50"))]).unwrap();
    let f = bind(
        r#"EXCLUDE ActionID WHERE Actions.VALUE < ($VALUE) IF CurrentUser.TIER = $PREMIUM"#,
        &[("VALUE", "10"), ("PREMIUM", r#""gold""#)],
    );
    let c = EvalContext::new(NOW).with_user(&u, u.row_of("adult"));
    let d = f.action_rows(&actions, &c).unwrap();
    assert_eq!(allowed(&d, &actions, &["cheap", "dear"]), ["dear"]);
    let ev = [Interaction { item_id: "dear", event_type: "TAKEN", timestamp: NOW }];
    let f = bind(r#"EXCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ("taken")"#, &[]);
    let d = f.action_rows(&actions, &c.with_interactions(&ev)).unwrap();
    assert_eq!(allowed(&d, &actions, &["cheap", "dear"]), ["cheap"]);
    assert!(f.user_rows(&u, &c, &[]).is_err());
}

#[test]
fn lower_case_field_names() {
    // AWS's sample notebooks write `Interactions.event_type` and `Items.genres`; field
    // names match the schema case-insensitively, values stay case-sensitive.
    let c = ctx();
    assert_eq!(run(r#"INCLUDE ItemID WHERE items.genre IN ("Drama")"#, &[], &c), ["a", "c"]);
    assert_eq!(run(r#"INCLUDE ItemID WHERE Items.Price > 15"#, &[], &c), ["b", "e"]);
    assert_eq!(run(r#"INCLUDE ItemID WHERE Items.item_id IN ("b", "x")"#, &[], &c), ["b"]);
    assert!(run(r#"INCLUDE ItemID WHERE Items.genre IN ("drama")"#, &[], &c).is_empty());
    let t = items();
    let f = bind(r#"INCLUDE ItemID WHERE Items.price < CurrentItem.price AND Items.genre IN CurrentItem.Genre"#, &[]);
    let cur = EvalContext::new(NOW).with_current_item(t.row_of("e"));
    assert_eq!(allowed(&f.item_rows(&t, &cur).unwrap(), &t, ALL), ["a"]);
    let events = [
        Interaction { item_id: "a", event_type: "Purchase", timestamp: NOW - 2 * DAY },
        Interaction { item_id: "b", event_type: "click", timestamp: NOW - 20 * DAY },
    ];
    let c = EvalContext::new(NOW).with_interactions(&events);
    let f = bind(
        r#"EXCLUDE ItemID WHERE Interactions.event_type IN ("purchase") AND interactions.Timestamp > NOW() - 7d"#,
        &[],
    );
    assert_eq!(allowed(&f.item_rows(&t, &c).unwrap(), &t, ALL), ["b", "c", "d", "e", "x", "y"]);
}
