//! Property tests: the parser and the binder never panic, and every
//! well-formed tree survives `Display` → `parse`.

use std::collections::BTreeMap;

use proptest::prelude::*;
use reko_filter::{
    parse, parse_filter_value, Action, Condition, Dataset, Expression, FilterExpression, IfCondition, Literal, Op, Rhs,
    Target, TimeOffset, TimeUnit, MAX_EXPRESSION_CHARS,
};

fn ident() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_]{0,10}"
}

fn param() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_]{1,50}"
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
        (-1_000_000i64..1_000_000).prop_map(|v| v as f64),
        Just(-0.0),
    ]
}

fn string() -> impl Strategy<Value = String> {
    prop_oneof![".{0,12}", "[\"'\\\\|* a-z]{0,6}"].prop_filter("* is the wildcard", |s| s != "*")
}

fn literal(any_ok: bool) -> BoxedStrategy<Literal> {
    let base = prop_oneof![string().prop_map(Literal::Str), number().prop_map(Literal::Num)];
    if any_ok {
        prop_oneof![4 => base, 1 => Just(Literal::Any)].boxed()
    } else {
        base.boxed()
    }
}

fn now() -> impl Strategy<Value = Rhs> {
    prop::option::of(
        (
            any::<bool>(),
            any::<u32>(),
            prop::sample::select(vec![
                TimeUnit::Seconds,
                TimeUnit::Minutes,
                TimeUnit::Hours,
                TimeUnit::Days,
                TimeUnit::Weeks,
            ]),
        )
            .prop_map(|(negative, amount, unit)| TimeOffset { negative, amount, unit }),
    )
    .prop_map(Rhs::Now)
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    /// An attribute field; `current_item`: CurrentItem allowed on the right.
    Attr {
        current_item: bool,
    },
    EventType,
    Timestamp,
}

fn op_rhs(kind: Kind) -> BoxedStrategy<(Op, Rhs)> {
    let set_ops = prop::sample::select(vec![Op::In, Op::NotIn]);
    let cmp_ops = prop::sample::select(vec![Op::Eq, Op::Lt, Op::Le, Op::Gt, Op::Ge]);
    match kind {
        Kind::Attr { current_item } => {
            let set = (set_ops, prop::collection::vec(literal(false), 1..4), param(), ident(), 0..3u8).prop_map(
                move |(op, list, p, f, pick)| {
                    let rhs = match pick {
                        1 if op == Op::In => Rhs::Param(p),
                        2 if current_item => Rhs::CurrentItem(f),
                        _ => Rhs::List(list),
                    };
                    (op, rhs)
                },
            );
            let cmp = (cmp_ops, number(), string(), param(), ident(), now(), 0..5u8).prop_map(
                move |(op, n, s, p, f, now, pick)| {
                    let rhs = match pick {
                        1 if op == Op::Eq => Rhs::Literal(Literal::Str(s)),
                        2 => Rhs::Param(p),
                        3 if current_item => Rhs::CurrentItem(f),
                        4 => now,
                        _ => Rhs::Literal(Literal::Num(n)),
                    };
                    (op, rhs)
                },
            );
            prop_oneof![set, cmp].boxed()
        }
        Kind::EventType => {
            let set = (set_ops, prop::collection::vec(literal(true), 1..4), param(), any::<bool>()).prop_map(
                |(op, list, p, use_param)| {
                    if use_param && op == Op::In {
                        (op, Rhs::Param(p))
                    } else {
                        (op, Rhs::List(list))
                    }
                },
            );
            let eq = (literal(true), param(), any::<bool>())
                .prop_map(|(l, p, use_param)| (Op::Eq, if use_param { Rhs::Param(p) } else { Rhs::Literal(l) }));
            prop_oneof![set, eq].boxed()
        }
        Kind::Timestamp => (cmp_ops, number(), param(), now(), 0..3u8)
            .prop_map(|(op, n, p, now, pick)| {
                let rhs = match pick {
                    0 => Rhs::Literal(Literal::Num(n)),
                    1 => Rhs::Param(p),
                    _ => now,
                };
                (op, rhs)
            })
            .boxed(),
    }
}

fn condition(target: Target, dataset: Dataset) -> BoxedStrategy<Condition> {
    if dataset.is_interactions() {
        prop_oneof![
            op_rhs(Kind::EventType).prop_map(move |(op, rhs)| Condition {
                dataset,
                field: "EVENT_TYPE".into(),
                op,
                rhs
            }),
            op_rhs(Kind::Timestamp).prop_map(move |(op, rhs)| Condition {
                dataset,
                field: "TIMESTAMP".into(),
                op,
                rhs
            }),
        ]
        .boxed()
    } else {
        let current_item = target == Target::ItemId && dataset == Dataset::Items;
        (ident(), op_rhs(Kind::Attr { current_item }))
            .prop_map(move |(field, (op, rhs))| Condition { dataset, field, op, rhs })
            .boxed()
    }
}

fn expression(target: Target) -> impl Strategy<Value = Expression> {
    (
        prop::sample::select(vec![Action::Include, Action::Exclude]),
        prop::sample::select(target.datasets().to_vec()),
        prop::collection::vec(
            (ident(), op_rhs(Kind::Attr { current_item: false })).prop_map(|(field, (op, rhs))| IfCondition {
                field,
                op,
                rhs,
            }),
            0..3,
        ),
    )
        .prop_flat_map(move |(action, dataset, if_clause)| {
            prop::collection::vec(prop::collection::vec(condition(target, dataset), 1..4), 1..4)
                .prop_map(move |conditions| Expression { action, target, conditions, if_clause: if_clause.clone() })
        })
}

fn filter() -> impl Strategy<Value = FilterExpression> {
    prop::sample::select(vec![Target::ItemId, Target::UserId, Target::ActionId]).prop_flat_map(|target| {
        prop::collection::vec(expression(target), 1..4).prop_map(|expressions| FilterExpression { expressions })
    })
}

/// Token soup: near-valid input reaches deeper parser states than random text.
fn soup() -> impl Strategy<Value = String> {
    let words = prop::sample::select(vec![
        "INCLUDE",
        "EXCLUDE",
        "ItemID",
        "UserID",
        "ActionID",
        "WHERE",
        "Items",
        "Users",
        "Interactions",
        "Actions",
        "Action_Interactions",
        ".",
        "GENRE",
        "EVENT_TYPE",
        "TIMESTAMP",
        "IN",
        "NOT",
        "=",
        "<",
        "<=",
        ">",
        ">=",
        "(",
        ")",
        ",",
        "\"a\"",
        "'b'",
        "\"*\"",
        "3",
        "-2.5",
        "1e999",
        "30d",
        "$P",
        "$",
        "AND",
        "OR",
        "IF",
        "CurrentUser",
        "CurrentItem",
        "NOW",
        "NOW()",
        "-",
        "+",
        "|",
        "\"",
        "é",
        "!",
    ]);
    prop::collection::vec(words, 0..30).prop_map(|w| w.join(" "))
}

fn check_error(text: &str) -> Result<(), TestCaseError> {
    if let Err(e) = parse(text) {
        prop_assert!(e.position() <= text.len(), "{e} at {} in {} bytes", e.position(), text.len());
        prop_assert!(text.is_char_boundary(e.position()));
        prop_assert_eq!(e.column(), text[..e.position()].chars().count() + 1);
        prop_assert!(!e.to_string().is_empty());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_never_panics(text in ".{0,200}") {
        check_error(&text)?;
    }

    #[test]
    fn parse_never_panics_on_token_soup(text in soup()) {
        check_error(&text)?;
    }

    #[test]
    fn display_round_trips(f in filter()) {
        let text = f.to_string();
        prop_assume!(text.chars().count() <= MAX_EXPRESSION_CHARS);
        let back = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}\n{e}")))?;
        prop_assert_eq!(&back, &f, "{}", text);
        prop_assert_eq!(back.to_string(), text);
    }

    #[test]
    fn binding_never_panics(
        raw in prop_oneof![".{0,40}", "[\"0-9a-z, \\\\.\\-]{0,20}"],
        name in prop::sample::select(vec!["P", "Q", "X"]),
    ) {
        let _ = parse_filter_value(name, &raw);
        let f = parse(r#"INCLUDE ItemID WHERE Items.G IN ($P) AND Items.N <= $Q | EXCLUDE ItemID WHERE Items.H = $X"#).unwrap();
        let values = BTreeMap::from([(name.to_string(), raw.clone())]);
        let _ = f.bind(&values);
        let values = BTreeMap::from([("P".to_string(), raw.clone()), ("Q".to_string(), raw)]);
        let _ = f.bind(&values);
    }
}
