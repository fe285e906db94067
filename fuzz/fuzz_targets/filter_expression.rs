//! Filter expressions (CreateFilter) and item attribute queries, then binding request-time
//! `filterValues` and evaluating the bound filter over small fixed tables.
//!
//! Input: `EXPRESSION` optionally followed by NUL-separated `NAME=VALUE` filterValues entries,
//! e.g. `INCLUDE ItemID WHERE Items.GENRES IN ($G)\0G="Comedy","Drama"`. Besides the given
//! entries, every parameter of the parsed filter is also bound to the last entry's value, so
//! values are fuzzed even when the names do not line up.
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use reko_filter::{
    parse, parse_filter_value, parse_item_attributes, AttributeTable, DatasetSchemas, EvalContext, Interaction, Target,
    UserInteraction, Value,
};
use reko_fuzz::{action_interactions_schema, interactions_schema, items_schema, users_schema};

struct Tables {
    items: AttributeTable,
    users: AttributeTable,
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let mut items = AttributeTable::new(items_schema());
        let rows: [(&str, &[(&str, Value<'_>)]); 3] = [
            (
                "i1",
                &[
                    ("GENRES", Value::Str("Comedy|Drama")),
                    ("YEAR", Value::Num(1999.0)),
                    ("CREATION_TIMESTAMP", Value::Num(1_700_000_000.0)),
                    ("PRICE", Value::Str("9.99")),
                    ("BRAND", Value::Str("acme")),
                ],
            ),
            ("i2", &[("GENRES", Value::Str("Horror")), ("RATING", Value::Num(4.5)), ("IN_STOCK", Value::Bool(true))]),
            ("i3", &[]),
        ];
        for (id, values) in rows {
            items.upsert(id, values).expect("fixture item");
        }
        let mut users = AttributeTable::new(users_schema());
        users.upsert("u1", &[("MEMBERSHIP", Value::Str("gold|beta")), ("AGE", Value::Num(31.0))]).expect("user");
        users.upsert("u2", &[("MEMBERSHIP", Value::Str("free"))]).expect("user");
        Tables { items, users }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut parts = text.split('\0');
    let expression = parts.next().unwrap_or("");
    let entries: Vec<(&str, &str)> = parts.map(|p| p.split_once('=').unwrap_or((p, ""))).collect();
    let t = tables();

    // Item attribute queries (`ITEMS.GENRES = "x" AND ...`) share the text.
    if let Ok(q) = parse_item_attributes(expression) {
        if let Ok(q) = q.resolve(items_schema()) {
            let _ = q.matching_rows(&t.items);
        }
    }

    for (name, raw) in &entries {
        let _ = parse_filter_value(name, raw);
    }

    let Ok(filter) = parse(expression) else { return };
    let _ = parse(&filter.to_string());
    let _ = filter.fields();
    let _ = filter.uses_interactions();
    let schemas = DatasetSchemas {
        interactions: Some(interactions_schema()),
        items: Some(items_schema()),
        users: Some(users_schema()),
        actions: None,
        action_interactions: Some(action_interactions_schema()),
    };
    let _ = filter.validate(&schemas);
    let _ = filter.validate(&DatasetSchemas::default());

    let given: BTreeMap<String, String> = entries.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let derived_value = entries.last().map_or("\"x\"", |(_, v)| v);
    let derived: BTreeMap<String, String> =
        filter.parameters().into_iter().map(|p| (p.to_string(), derived_value.to_string())).collect();

    let interactions = [
        Interaction { item_id: "i1", event_type: "click", timestamp: 1_700_000_000 },
        Interaction { item_id: "gone", event_type: "Watch", timestamp: 0 },
        Interaction { item_id: "i2", event_type: "", timestamp: i64::MIN },
    ];
    let user_events = [UserInteraction { user_id: "u1", event_type: "click", timestamp: i64::MAX }];
    for values in [&given, &derived] {
        let Ok(bound) = filter.bind(values) else { continue };
        let _ = (bound.is_noop(), bound.active_expressions(), bound.uses_current_user());
        for now in [0, 1_700_000_000] {
            let ctx = EvalContext::new(now)
                .with_user(&t.users, Some(0))
                .with_current_item(Some(1))
                .with_interactions(&interactions);
            match bound.target() {
                Target::ItemId => {
                    if let Ok(d) = bound.item_rows(&t.items, &ctx) {
                        let _ = (d.allows(&t.items, "i1"), d.allows(&t.items, "gone"), d.allows_row(2));
                    }
                }
                Target::UserId => {
                    if let Ok(d) = bound.user_rows(&t.users, &ctx, &user_events) {
                        let _ = d.allows(&t.users, "u2");
                    }
                }
                Target::ActionId => {}
            }
        }
    }
});
