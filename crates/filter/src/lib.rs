//! reko-filter: the Amazon Personalize filter expression language
//! ("Filter expression structure and elements",
//! <https://docs.aws.amazon.com/personalize/latest/dg/creating-filter-expressions.html>;
//! docs/compatibility.md, "Filters"):
//! parsing, validation against dataset schemas, binding of request-time `filterValues`, and fast
//! evaluation over candidate sets.
//!
//! # The language
//!
//! ```text
//! filter      = expression { "|" expression }
//! expression  = ("INCLUDE" | "EXCLUDE") ("ItemID" | "UserID" | "ActionID")
//!               "WHERE" condition { ("AND" | "OR") condition } [ "IF" user_cond { "AND" user_cond } ]
//! condition   = Dataset "." FIELD op rhs
//! user_cond   = "CurrentUser." FIELD op rhs
//! op          = "IN" | "NOT IN" | "=" | "<" | "<=" | ">" | ">="
//! ```
//!
//! * Datasets: `Items`, `Users`, `Interactions`, `Actions`, `Action_Interactions`.
//!   ItemID filters use Items or Interactions, UserID filters Users or
//!   Interactions, ActionID filters Actions or Action_Interactions. One
//!   expression uses one dataset; combine datasets with `|`. All expressions
//!   of a filter share one target.
//! * `IN`/`NOT IN` take a list `("a", 'b', 3)`, a parameter `($P)` (not with
//!   `NOT IN`) or `CurrentItem.X`. Comparisons take a number, a parameter
//!   (`$P` or `($P)`), `CurrentItem.X` or `NOW()`; `=` also takes a string.
//! * `$NAME` parameters (`[A-Za-z0-9_]+`, at most 50 characters,
//!   case-sensitive) are bound per request from `filterValues`, whose
//!   entries use Personalize's format `"a","b"` / `10`.
//! * `Interactions.EVENT_TYPE IN ("click", "*")` matches the items the
//!   requesting user interacted with using those event types (compared
//!   case-insensitively; `"*"` is any type).
//! * `CurrentItem.X` (ItemID filters, right-hand side of Items conditions)
//!   is the request's item; `IF CurrentUser.X ...` (once, at the end) tests
//!   the requesting user's record, and when false the expression is skipped.
//! * Text is 1..=2500 characters; whitespace is free.
//!
//! # Choices where Personalize's documentation is silent
//!
//! * **Case**: keywords, targets, dataset names, `CurrentItem`/`CurrentUser`
//!   and `NOW` are case-insensitive (the docs only ever write them upper-case
//!   and never says whether case matters). Dataset field
//!   names match the schema's case-insensitively (`Items.genres` is the
//!   field `GENRES`, `Interactions.event_type` is `EVENT_TYPE`): AWS's sample
//!   notebooks write them so and Personalize accepts them; a schema's names
//!   are unique ignoring case, so the match is unambiguous. Parameter names
//!   and string values are case-sensitive.
//! * **Precedence**: `AND` binds tighter than `OR`: `a AND b OR c` is
//!   `(a AND b) OR c`. There are no parentheses for grouping conditions.
//! * Single-quoted strings are accepted; `\"`, `\'` and `\\` escape.
//!   `IN $P` without parentheses is accepted like `IN ($P)`.
//! * A multi-valued categorical field matches `IN` when any of its values is
//!   in the set; `NOT IN` is the exact complement of `IN` over the table's
//!   records (a record without the field matches `NOT IN`). Candidates that
//!   are not in the attribute table match no attribute condition (neither
//!   `IN` nor `NOT IN`) but still match interaction conditions by id.
//! * Numbers compare with string fields through their canonical text (`10`,
//!   `1.5`); strings holding numbers compare with numeric fields. Range
//!   operators need a numeric field.
//! * Interaction conditions of one expression are tested per event: an item
//!   matches when one of the user's events satisfies the whole chain.
//! * An unknown user makes every `IF` clause false; a request without a
//!   current item makes `CurrentItem` conditions match nothing.
//! * At most [`MAX_FIELDS_PER_FILTER`] (10) distinct dataset fields per filter.
//!
//! # Reko extensions
//!
//! * **Relative time**: `NOW()`, `NOW() - 30d`, `NOW() + 2h` (units `s m h d
//!   w`) compare with int/long fields holding epoch seconds, e.g.
//!   `INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP > NOW() - 30d`.
//! * **Time-windowed interactions**: `Interactions.TIMESTAMP` may be compared
//!   (`=`, `<`, `<=`, `>`, `>=` with a number, parameter or `NOW()`) in the
//!   same expression as `Interactions.EVENT_TYPE`:
//!   `EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase") AND Interactions.TIMESTAMP > NOW() - 7d`.
//!
//! # Use
//!
//! ```
//! use std::collections::BTreeMap;
//! use reko_dataset::{Field, FieldType, Schema};
//! use reko_filter::{parse, AttributeTable, EvalContext, Interaction, Value};
//!
//! let schema = Schema {
//!     name: "Items".into(),
//!     namespace: None,
//!     fields: vec![
//!         Field::new("ITEM_ID", FieldType::String),
//!         Field::new("GENRE", FieldType::String).categorical(),
//!     ],
//! };
//! let mut items = AttributeTable::new(&schema);
//! items.upsert("a", &[("GENRE", Value::Str("Comedy|Drama"))]).unwrap();
//! items.upsert("b", &[("GENRE", Value::Str("Horror"))]).unwrap();
//!
//! let filter = parse(
//!     r#"INCLUDE ItemID WHERE Items.GENRE IN ($G) | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")"#,
//! )
//! .unwrap();
//! let values = BTreeMap::from([("G".to_string(), r#""Drama","Horror""#.to_string())]);
//! let bound = filter.bind(&values).unwrap();
//! let events = [Interaction { item_id: "b", event_type: "Watch", timestamp: 0 }];
//! let ctx = EvalContext::new(0).with_interactions(&events);
//! let decision = bound.item_rows(&items, &ctx).unwrap();
//! assert!(decision.allows(&items, "a"));
//! assert!(!decision.allows(&items, "b")); // watched
//! assert!(!decision.allows(&items, "zzz")); // not in Items: no INCLUDE match
//! ```

mod ast;
mod bind;
mod error;
mod eval;
mod item_attributes;
mod lexer;
mod parser;
mod rowset;
mod table;
mod validate;

pub use ast::{
    Action, Condition, Dataset, Expression, FilterExpression, IfCondition, Literal, Op, Rhs, Target, TimeOffset,
    TimeUnit,
};
pub use bind::{parse_filter_value, BoundFilter, FilterValue, MAX_FILTER_VALUES, MAX_FILTER_VALUE_CHARS};
pub use error::{FilterError, ParseError, ParseErrorKind};
pub use eval::{Decision, EvalContext, Interaction, UserInteraction};
pub use item_attributes::{
    parse_item_attributes, AttributeCondition, AttributeValue, ItemAttributeQuery, MAX_QUERY_LEN,
};
pub use parser::{parse, MAX_EXPRESSION_CHARS, MAX_PARAM_NAME_CHARS};
pub use rowset::RowSet;
pub use table::{AttributeTable, Value};
pub use validate::{DatasetSchemas, MAX_FIELDS_PER_FILTER};
