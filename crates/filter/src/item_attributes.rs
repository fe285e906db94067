//! Item-attribute queries of Item-Attribute-Affinity batch segment jobs (docs/compatibility.md,
//! "Batch segments"):
//!
//! ```text
//! query     = condition { "AND" condition }
//! condition = "ITEMS" "." FIELD "=" ( string | number )
//! string    = '"' { any character but '"' and '\', or '\' followed by any character } '"'
//! ```
//!
//! `=` only (not `IN`), as Personalize documents. An item matches when every condition holds:
//! a categorical field holds the value among its `|`-separated values, another string field
//! equals it, a numeric field equals the number. Keywords and field names compare
//! case-insensitively (schema field names are unique under that normalisation); values are
//! case-sensitive, as in filters.

use reko_dataset::{FieldType, Schema};

use crate::error::FilterError;
use crate::table::AttributeTable;

/// Longest query accepted (Personalize documents none; a filter expression's limit).
pub const MAX_QUERY_LEN: usize = 2500;

/// A condition's value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    Text(String),
    Number(f64),
}

/// `ITEMS.<field> = <value>`.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeCondition {
    pub field: String,
    pub value: AttributeValue,
}

/// A parsed item-attribute query.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemAttributeQuery {
    pub conditions: Vec<AttributeCondition>,
}

fn error(column: usize, msg: impl std::fmt::Display) -> FilterError {
    FilterError::Query(format!("{msg} at column {column}"))
}

struct Cursor<'a> {
    chars: Vec<(usize, char)>,
    pos: usize,
    text: &'a str,
}

impl Cursor<'_> {
    fn column(&self) -> usize {
        self.chars.get(self.pos).map_or(self.text.chars().count() + 1, |_| self.pos + 1)
    }
    fn skip_ws(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.1.is_whitespace()) {
            self.pos += 1;
        }
    }
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).map(|c| c.1)
    }
    fn word(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().map(|c| c.1).collect()
    }
    fn found(&self) -> String {
        match self.peek() {
            None => "end of query".into(),
            Some(c) => format!("'{c}'"),
        }
    }
    fn expect(&mut self, c: char, what: &str) -> Result<(), FilterError> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(error(self.column(), format!("expected {what}, found {}", self.found())))
        }
    }
    fn value(&mut self) -> Result<AttributeValue, FilterError> {
        self.skip_ws();
        let column = self.column();
        match self.peek() {
            Some('"') => {
                self.pos += 1;
                let mut s = String::new();
                loop {
                    match self.peek() {
                        None => return Err(error(column, "unterminated string")),
                        Some('"') => {
                            self.pos += 1;
                            return Ok(AttributeValue::Text(s));
                        }
                        Some('\\') => {
                            self.pos += 1;
                            match self.peek() {
                                Some(c) => s.push(c),
                                None => return Err(error(column, "unterminated string")),
                            }
                            self.pos += 1;
                        }
                        Some(c) => {
                            s.push(c);
                            self.pos += 1;
                        }
                    }
                }
            }
            Some(c) if c == '-' || c == '.' || c.is_ascii_digit() => {
                let start = self.pos;
                while self.peek().is_some_and(|c| c == '-' || c == '+' || c == '.' || c.is_ascii_alphanumeric()) {
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos].iter().map(|c| c.1).collect();
                match text.parse::<f64>() {
                    Ok(x) if x.is_finite() => Ok(AttributeValue::Number(x)),
                    _ => Err(error(column, format!("'{text}' is not a number"))),
                }
            }
            _ => Err(error(column, format!("expected a quoted string or a number, found {}", self.found()))),
        }
    }
}

/// Parses a query (errors name the column, 1-based, and what was expected).
pub fn parse_item_attributes(text: &str) -> Result<ItemAttributeQuery, FilterError> {
    if text.trim().is_empty() {
        return Err(FilterError::Query("the item attribute query is empty".into()));
    }
    if text.chars().count() > MAX_QUERY_LEN {
        return Err(FilterError::Query(format!("the item attribute query is longer than {MAX_QUERY_LEN} characters")));
    }
    let mut c = Cursor { chars: text.char_indices().collect(), pos: 0, text };
    let mut conditions = Vec::new();
    loop {
        c.skip_ws();
        let column = c.column();
        let dataset = c.word();
        if !dataset.eq_ignore_ascii_case("ITEMS") {
            let found = if dataset.is_empty() { c.found() } else { format!("'{dataset}'") };
            return Err(error(column, format!("expected ITEMS.<field>, found {found}")));
        }
        c.expect('.', "'.' after ITEMS")?;
        let column = c.column();
        let field = c.word();
        if field.is_empty() {
            return Err(error(column, format!("expected a field name, found {}", c.found())));
        }
        c.skip_ws();
        if c.peek() != Some('=') {
            let column = c.column();
            let word = c.word();
            let found = if word.is_empty() { c.found() } else { format!("'{word}'") };
            return Err(error(column, format!("expected '=' (item attribute queries use = only), found {found}")));
        }
        c.pos += 1;
        let value = c.value()?;
        conditions.push(AttributeCondition { field, value });
        c.skip_ws();
        if c.peek().is_none() {
            return Ok(ItemAttributeQuery { conditions });
        }
        let column = c.column();
        let word = c.word();
        if !word.eq_ignore_ascii_case("AND") {
            let found = if word.is_empty() { c.found() } else { format!("'{word}'") };
            return Err(error(column, format!("expected AND or the end of the query, found {found}")));
        }
    }
}

impl ItemAttributeQuery {
    /// Checks the fields against the Items schema: each exists, is not the id or a textual field,
    /// and its type fits the value. Field names are rewritten to the schema's spelling.
    pub fn resolve(mut self, items: &Schema) -> Result<Self, FilterError> {
        for cond in &mut self.conditions {
            let field =
                items.fields.iter().find(|f| f.name.eq_ignore_ascii_case(&cond.field)).ok_or_else(|| {
                    FilterError::Validation(format!("The Items schema has no field '{}'.", cond.field))
                })?;
            if field.name == "ITEM_ID" || field.name == "CREATION_TIMESTAMP" || field.textual {
                return Err(FilterError::Validation(format!(
                    "Field '{}' cannot be queried: item attribute queries use categorical, string or numeric \
                     metadata fields (not ITEM_ID, CREATION_TIMESTAMP or textual fields).",
                    field.name
                )));
            }
            let numeric = !matches!(field.field_type, FieldType::String | FieldType::Boolean);
            match (&cond.value, numeric) {
                (AttributeValue::Number(_), true) | (AttributeValue::Text(_), false) => {}
                (AttributeValue::Text(t), true) => {
                    return Err(FilterError::Validation(format!(
                        "Field '{}' is numeric; compare it with a number, not \"{t}\".",
                        field.name
                    )))
                }
                (AttributeValue::Number(x), false) => {
                    return Err(FilterError::Validation(format!(
                        "Field '{}' holds text; quote the value: \"{x}\".",
                        field.name
                    )))
                }
            }
            cond.field = field.name.clone();
        }
        Ok(self)
    }

    /// The rows of `items` matching every condition.
    pub fn matching_rows(&self, items: &AttributeTable) -> Vec<u32> {
        (0..items.len() as u32)
            .filter(|&row| {
                self.conditions.iter().all(|c| match &c.value {
                    AttributeValue::Text(t) => items.str_values(row, &c.field).contains(&t.as_str()),
                    AttributeValue::Number(x) => items.num_value(row, &c.field) == Some(*x),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn schema() -> Schema {
        reko_dataset::parse_schema(
            r#"{"type":"record","name":"Items","fields":[{"name":"ITEM_ID","type":"string"},
            {"name":"GENRES","type":"string","categorical":true},{"name":"PRICE","type":["null","double"]},
            {"name":"DESCRIPTION","type":"string","textual":true}],"version":"1.0"}"#,
        )
        .unwrap()
    }

    #[test]
    fn parses_the_documented_example() {
        let q = parse_item_attributes(r#"ITEMS.genres = "Comedy" AND ITEMS.genres = "Action""#).unwrap();
        assert_eq!(q.conditions.len(), 2);
        assert_eq!(q.conditions[1].value, AttributeValue::Text("Action".into()));
        let q = parse_item_attributes(r#"items.PRICE=9.5 and Items.GENRES = "a \"b\"""#).unwrap();
        assert_eq!(q.conditions[0].value, AttributeValue::Number(9.5));
        assert_eq!(q.conditions[1].value, AttributeValue::Text("a \"b\"".into()));
    }

    #[test]
    fn errors_name_the_column_and_the_problem() {
        let e = |t: &str| parse_item_attributes(t).unwrap_err().to_string();
        assert_eq!(
            e(r#"ITEMS.genres IN ("a")"#),
            "expected '=' (item attribute queries use = only), found 'IN' at column 14"
        );
        assert_eq!(e(r#"USERS.x = "a""#), "expected ITEMS.<field>, found 'USERS' at column 1");
        assert_eq!(
            e(r#"ITEMS.x = "a" OR ITEMS.y = 1"#),
            "expected AND or the end of the query, found 'OR' at column 15"
        );
        assert_eq!(e(r#"ITEMS.x = "a"#), "unterminated string at column 11");
        assert_eq!(e("ITEMS.x = 1e999"), "'1e999' is not a number at column 11");
        assert_eq!(e("ITEMS.x = "), "expected a quoted string or a number, found end of query at column 11");
        assert!(e("  ").contains("empty"));
    }

    #[test]
    fn resolves_against_the_schema_and_matches_rows() {
        let s = schema();
        let q = parse_item_attributes(r#"ITEMS.genres = "Comedy" AND ITEMS.price = 10"#).unwrap().resolve(&s).unwrap();
        assert_eq!(q.conditions[0].field, "GENRES");
        let bad = |t: &str| parse_item_attributes(t).unwrap().resolve(&s).unwrap_err().to_string();
        assert!(bad(r#"ITEMS.color = "red""#).contains("no field 'color'"));
        assert!(bad(r#"ITEMS.price = "10""#).contains("numeric"));
        assert!(bad(r#"ITEMS.genres = 3"#).contains("quote"));
        assert!(bad(r#"ITEMS.description = "x""#).contains("textual"));
        let mut t = AttributeTable::new(&s);
        use crate::table::Value;
        t.upsert("a", &[("GENRES", Value::Str("Comedy|Action")), ("PRICE", Value::Num(10.0))]).unwrap();
        t.upsert("b", &[("GENRES", Value::Str("Comedy")), ("PRICE", Value::Num(10.0))]).unwrap();
        t.upsert("c", &[("GENRES", Value::Str("Action")), ("PRICE", Value::Num(10.0))]).unwrap();
        let rows = q.matching_rows(&t);
        let ids: Vec<&str> = rows.iter().map(|&r| t.id_of(r).unwrap()).collect();
        assert_eq!(ids, ["a", "b"]);
        let both = parse_item_attributes(r#"ITEMS.GENRES = "Comedy" AND ITEMS.GENRES = "Action""#).unwrap();
        assert_eq!(both.matching_rows(&t).len(), 1);
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,80}") {
            let _ = parse_item_attributes(&text);
        }

        #[test]
        fn round_trips(fields in proptest::collection::vec(("[A-Za-z_][A-Za-z0-9_]{0,10}", "[^\"\\\\]{0,12}"), 1..4)) {
            let text = fields.iter().map(|(f, v)| format!("ITEMS.{f} = \"{v}\"")).collect::<Vec<_>>().join(" AND ");
            let q = parse_item_attributes(&text).unwrap();
            prop_assert_eq!(q.conditions.len(), fields.len());
            for (c, (f, v)) in q.conditions.iter().zip(&fields) {
                prop_assert_eq!(&c.field, f);
                prop_assert_eq!(&c.value, &AttributeValue::Text(v.clone()));
            }
        }
    }
}
