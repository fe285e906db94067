//! Checks a parsed filter against the dataset group's schemas (CreateFilter).

use reko_dataset::{Field, FieldType, Schema};

use crate::ast::{Dataset, FilterExpression, Literal, Op, Rhs};
use crate::error::FilterError;

/// Most distinct `dataset.field` pairs one filter may use. Personalize's
/// documentation gives 5 or 10 depending on its language; Reko takes
/// the permissive 10 (docs/compatibility.md, "Filters").
pub const MAX_FIELDS_PER_FILTER: usize = 10;

/// The schemas of the datasets a dataset group has (`None`: no such dataset).
#[derive(Debug, Clone, Copy, Default)]
pub struct DatasetSchemas<'a> {
    pub interactions: Option<&'a Schema>,
    pub items: Option<&'a Schema>,
    pub users: Option<&'a Schema>,
    pub actions: Option<&'a Schema>,
    pub action_interactions: Option<&'a Schema>,
}

impl<'a> DatasetSchemas<'a> {
    /// The schema of `dataset`, if the group has that dataset.
    pub fn get(&self, dataset: Dataset) -> Option<&'a Schema> {
        match dataset {
            Dataset::Items => self.items,
            Dataset::Users => self.users,
            Dataset::Interactions => self.interactions,
            Dataset::Actions => self.actions,
            Dataset::ActionInteractions => self.action_interactions,
        }
    }
}

fn err(msg: String) -> FilterError {
    FilterError::Validation(msg)
}

/// The schema field behind `shown` (`Items.GENRE`, `CurrentUser.AGE`...),
/// checked to be filterable.
fn field<'a>(schemas: &DatasetSchemas<'a>, ds: Dataset, name: &str, shown: &str) -> Result<&'a Field, FilterError> {
    let schema =
        schemas.get(ds).ok_or_else(|| err(format!("{shown}: the dataset group has no {} dataset", ds.as_str())))?;
    // Field names match case-insensitively (`Items.genres` is the field GENRES): AWS's
    // sample notebooks write them so and Personalize accepts them. A schema's field names
    // are unique ignoring case, so at most one field matches.
    let f = schema.field(name).or_else(|| schema.fields.iter().find(|f| f.name.eq_ignore_ascii_case(name)));
    let f = f.ok_or_else(|| {
        err(format!(
            "{shown}: the {} schema has no field {name}; its fields are {}",
            ds.as_str(),
            schema.field_names().join(", ")
        ))
    })?;
    if f.textual {
        return Err(err(format!("{shown} is a textual field; textual fields cannot be used in filters")));
    }
    if f.field_type == FieldType::Boolean {
        return Err(err(format!(
            "{shown} is a boolean field; boolean fields cannot be used in filters (store the value as a string such as \"True\"/\"False\" or as a 0/1 int)"
        )));
    }
    Ok(f)
}

fn check(schemas: &DatasetSchemas<'_>, f: &Field, shown: &str, op: Op, rhs: &Rhs) -> Result<(), FilterError> {
    let ty = f.field_type;
    let numeric = ty.is_numeric();
    if op.is_range() && !numeric {
        return Err(err(format!(
            "{shown} is a {ty} field; the {op} operator needs a numeric field (int, long, float or double)"
        )));
    }
    match rhs {
        Rhs::Now(_) if !matches!(ty, FieldType::Int | FieldType::Long) => {
            Err(err(format!("{shown} is a {ty} field; NOW() compares epoch seconds and needs an int or long field")))
        }
        Rhs::List(lits) => lits.iter().try_for_each(|l| check_literal(numeric, ty, shown, l)),
        Rhs::Literal(l) => check_literal(numeric, ty, shown, l),
        Rhs::CurrentItem(g) => {
            let cur = format!("CurrentItem.{g}");
            let gf = field(schemas, Dataset::Items, g, &cur)?;
            if gf.field_type.is_numeric() != numeric {
                return Err(err(format!(
                    "cannot compare {shown} ({ty}) with {cur} ({}): one is numeric and the other is not",
                    gf.field_type
                )));
            }
            Ok(())
        }
        Rhs::Now(_) | Rhs::Param(_) => Ok(()),
    }
}

fn check_literal(numeric: bool, ty: FieldType, shown: &str, l: &Literal) -> Result<(), FilterError> {
    match l {
        Literal::Str(s) if numeric => {
            Err(err(format!("{shown} is a numeric field ({ty}); compare it with numbers, not the string \"{s}\"")))
        }
        _ => Ok(()),
    }
}

impl FilterExpression {
    /// Checks every field against the schemas, with the default limit of
    /// [`MAX_FIELDS_PER_FILTER`] distinct fields.
    pub fn validate(&self, schemas: &DatasetSchemas<'_>) -> Result<(), FilterError> {
        self.validate_with_limit(schemas, MAX_FIELDS_PER_FILTER)
    }

    /// [`FilterExpression::validate`] with a custom field limit.
    pub fn validate_with_limit(&self, schemas: &DatasetSchemas<'_>, max_fields: usize) -> Result<(), FilterError> {
        for e in &self.expressions {
            for c in e.conditions.iter().flatten() {
                let shown = format!("{}.{}", c.dataset, c.field);
                let f = field(schemas, c.dataset, &c.field, &shown)?;
                check(schemas, f, &shown, c.op, &c.rhs)?;
            }
            for c in &e.if_clause {
                let shown = format!("CurrentUser.{}", c.field);
                let f = field(schemas, Dataset::Users, &c.field, &shown)?;
                check(schemas, f, &shown, c.op, &c.rhs)?;
            }
        }
        let fields = self.fields();
        if fields.len() > max_fields {
            let names: Vec<String> = fields.iter().map(|(d, f)| format!("{d}.{f}")).collect();
            return Err(err(format!(
                "the filter uses {} distinct dataset fields ({}); at most {max_fields} are allowed",
                fields.len(),
                names.join(", ")
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;
    use reko_dataset::Field;

    fn schema(name: &str, fields: Vec<Field>) -> Schema {
        Schema { name: name.into(), namespace: None, fields }
    }

    struct Group {
        items: Schema,
        users: Schema,
        interactions: Schema,
        actions: Schema,
        action_interactions: Schema,
    }

    fn group() -> Group {
        Group {
            items: schema(
                "Items",
                vec![
                    Field::new("ITEM_ID", FieldType::String),
                    Field::new("GENRE", FieldType::String).categorical(),
                    Field::new("CATEGORY", FieldType::String).categorical(),
                    Field::new("BRAND", FieldType::String),
                    Field::new("PRICE", FieldType::Float),
                    Field::new("CREATION_TIMESTAMP", FieldType::Long),
                    Field::new("DESCRIPTION", FieldType::String).textual(),
                    Field::new("ADULT", FieldType::Boolean),
                ],
            ),
            users: schema(
                "Users",
                vec![
                    Field::new("USER_ID", FieldType::String),
                    Field::new("AGE", FieldType::Int),
                    Field::new("MEMBERSHIP", FieldType::String).categorical(),
                    Field::new("MEMBERSHIP_STATUS", FieldType::String).categorical(),
                ],
            ),
            interactions: schema(
                "Interactions",
                vec![
                    Field::new("USER_ID", FieldType::String),
                    Field::new("ITEM_ID", FieldType::String),
                    Field::new("EVENT_TYPE", FieldType::String),
                    Field::new("TIMESTAMP", FieldType::Long),
                ],
            ),
            actions: schema(
                "Actions",
                vec![Field::new("ACTION_ID", FieldType::String), Field::new("VALUE", FieldType::Long).nullable()],
            ),
            action_interactions: schema(
                "ActionInteractions",
                vec![
                    Field::new("USER_ID", FieldType::String),
                    Field::new("ACTION_ID", FieldType::String),
                    Field::new("TIMESTAMP", FieldType::Long),
                    Field::new("EVENT_TYPE", FieldType::String),
                ],
            ),
        }
    }

    fn all(g: &Group) -> DatasetSchemas<'_> {
        DatasetSchemas {
            interactions: Some(&g.interactions),
            items: Some(&g.items),
            users: Some(&g.users),
            actions: Some(&g.actions),
            action_interactions: Some(&g.action_interactions),
        }
    }

    fn check(text: &str, schemas: &DatasetSchemas<'_>) -> Result<(), String> {
        parse(text).unwrap().validate(schemas).map_err(|e| e.to_string())
    }

    #[test]
    fn reference_examples_validate() {
        let g = group();
        for text in [
            r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")"#,
            r#"INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")"#,
            r#"INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)"#,
            r#"INCLUDE ItemID WHERE Items.PRICE <= $PRICE"#,
            r#"INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP > 1633240824"#,
            r#"INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE AND Items.GENRE IN CurrentItem.GENRE"#,
            r#"EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE) IF CurrentUser.AGE = $AGE"#,
            r#"INCLUDE ItemID WHERE Items.CATEGORY IN ("watch") AND Items.BRAND IN ("luxury") IF CurrentUser.AGE > 18"#,
            r#"INCLUDE UserID WHERE Users.MEMBERSHIP_STATUS IN ($MEMBERSHIP)"#,
            r#"EXCLUDE UserID WHERE Users.AGE < $AGE"#,
            r#"INCLUDE UserID WHERE Interactions.EVENT_TYPE IN ("click", "rating")"#,
            r#"INCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ($EVENT_TYPE)"#,
            r#"EXCLUDE ActionID WHERE Actions.VALUE < ($VALUE) IF CurrentUser.MEMBERSHIP = $PREMIUM"#,
            r#"INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP > NOW() - 30d"#,
            r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase") AND Interactions.TIMESTAMP > NOW() - 7d"#,
            r#"INCLUDE ItemID WHERE Items.ITEM_ID IN ($IDS) AND Items.GENRE IN (1, 2)"#,
        ] {
            check(text, &all(&g)).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
    }

    #[test]
    fn field_errors() {
        let g = group();
        let s = all(&g);
        let cases = [
            (
                r#"INCLUDE ItemID WHERE Items.GENRES IN ("a")"#,
                "Items.GENRES: the Items schema has no field GENRES; its fields are ITEM_ID, GENRE, CATEGORY, BRAND, PRICE, CREATION_TIMESTAMP, DESCRIPTION, ADULT",
            ),
            (
                r#"EXCLUDE ItemID WHERE Items.CATEGORY IN ("shoe") AND Items.DESCRIPTION NOT IN ("boot")"#,
                "Items.DESCRIPTION is a textual field; textual fields cannot be used in filters",
            ),
            (r#"INCLUDE ItemID WHERE Items.ADULT = 1"#, "Items.ADULT is a boolean field; boolean fields cannot be used in filters"),
            (
                r#"INCLUDE ItemID WHERE Items.GENRE < 3"#,
                "Items.GENRE is a string field; the < operator needs a numeric field (int, long, float or double)",
            ),
            (r#"INCLUDE ItemID WHERE Items.BRAND >= $B"#, "Items.BRAND is a string field; the >= operator"),
            (
                r#"INCLUDE ItemID WHERE Items.PRICE IN ("cheap")"#,
                "Items.PRICE is a numeric field (float); compare it with numbers, not the string \"cheap\"",
            ),
            (
                r#"INCLUDE ItemID WHERE Items.PRICE > NOW()"#,
                "Items.PRICE is a float field; NOW() compares epoch seconds and needs an int or long field",
            ),
            (
                r#"INCLUDE ItemID WHERE Items.PRICE < CurrentItem.GENRE"#,
                "cannot compare Items.PRICE (float) with CurrentItem.GENRE (string)",
            ),
            (
                r#"INCLUDE ItemID WHERE Items.GENRE IN CurrentItem.NOPE"#,
                "CurrentItem.NOPE: the Items schema has no field NOPE",
            ),
            (
                r#"INCLUDE ItemID WHERE Items.GENRE IN CurrentItem.DESCRIPTION"#,
                "CurrentItem.DESCRIPTION is a textual field",
            ),
            (
                r#"INCLUDE ItemID WHERE Items.GENRE IN ("a") IF CurrentUser.NOPE = 1"#,
                "CurrentUser.NOPE: the Users schema has no field NOPE; its fields are USER_ID, AGE, MEMBERSHIP, MEMBERSHIP_STATUS",
            ),
            (
                r#"INCLUDE ItemID WHERE Items.GENRE IN ("a") IF CurrentUser.MEMBERSHIP > 1"#,
                "CurrentUser.MEMBERSHIP is a string field; the > operator needs a numeric field",
            ),
        ];
        for (text, want) in cases {
            let e = check(text, &s).unwrap_err();
            assert!(e.contains(want), "{text}\n  got: {e}\n  wanted: {want}");
        }
    }

    #[test]
    fn missing_datasets() {
        let g = group();
        let only_items = DatasetSchemas { items: Some(&g.items), ..Default::default() };
        let e = check(r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("a")"#, &only_items).unwrap_err();
        assert_eq!(e, "Interactions.EVENT_TYPE: the dataset group has no Interactions dataset");
        let e = check(r#"INCLUDE ItemID WHERE Items.GENRE IN ("a") IF CurrentUser.AGE > 3"#, &only_items).unwrap_err();
        assert!(e.contains("the dataset group has no Users dataset"), "{e}");
        let e = check(r#"EXCLUDE ActionID WHERE Actions.VALUE < 3"#, &only_items).unwrap_err();
        assert!(e.contains("the dataset group has no Actions dataset"), "{e}");
        let e = check(r#"INCLUDE ItemID WHERE Items.GENRE IN ("a")"#, &DatasetSchemas::default()).unwrap_err();
        assert!(e.contains("the dataset group has no Items dataset"), "{e}");
        // an Interactions schema without EVENT_TYPE
        let bare = schema(
            "Interactions",
            vec![
                Field::new("USER_ID", FieldType::String),
                Field::new("ITEM_ID", FieldType::String),
                Field::new("TIMESTAMP", FieldType::Long),
            ],
        );
        let s = DatasetSchemas { interactions: Some(&bare), ..Default::default() };
        let e = check(r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("a")"#, &s).unwrap_err();
        assert!(e.contains("the Interactions schema has no field EVENT_TYPE"), "{e}");
        check(r#"EXCLUDE ItemID WHERE Interactions.TIMESTAMP > NOW() - 1h"#, &s).unwrap();
    }

    #[test]
    fn field_names_match_case_insensitively() {
        let g = group();
        let s = all(&g);
        for text in [
            r#"EXCLUDE ItemID WHERE Interactions.event_type IN ("purchase")"#,
            r#"EXCLUDE ItemID WHERE interactions.Event_Type IN ("purchase") AND Interactions.timestamp > NOW() - 7d"#,
            r#"INCLUDE ItemID WHERE Items.genre IN ($GENRE)"#,
            r#"INCLUDE ItemID WHERE Items.price < CurrentItem.Price AND Items.Genre IN CurrentItem.genre"#,
            r#"EXCLUDE ItemID WHERE Items.genre IN ($GENRE) IF CurrentUser.age = $AGE"#,
            r#"INCLUDE UserID WHERE users.membership_status IN ($M)"#,
        ] {
            check(text, &s).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
        // a field that really does not exist is still named in the error
        let e = check(r#"INCLUDE ItemID WHERE Items.genres IN ("a")"#, &s).unwrap_err();
        assert!(
            e.starts_with("Items.genres: the Items schema has no field genres; its fields are ITEM_ID, GENRE"),
            "{e}"
        );
        // the textual/boolean rules apply whatever the case
        assert!(check(r#"INCLUDE ItemID WHERE Items.description IN ("a")"#, &s).unwrap_err().contains("textual"));
        assert!(check(r#"INCLUDE ItemID WHERE Items.adult IN ("a")"#, &s).unwrap_err().contains("boolean"));
        assert!(check(r#"INCLUDE ItemID WHERE Items.genre > 3"#, &s).unwrap_err().contains("needs a numeric field"));
        // the same field in two spellings counts once
        let f = parse(r#"INCLUDE ItemID WHERE Items.GENRE IN ("a") AND Items.genre IN ("b")"#).unwrap();
        assert_eq!(f.fields(), [(Dataset::Items, "GENRE")]);
        f.validate_with_limit(&s, 1).unwrap();
    }

    #[test]
    fn field_limit() {
        let mut fields = vec![Field::new("ITEM_ID", FieldType::String)];
        fields.extend((0..12).map(|i| Field::new(format!("F{i}"), FieldType::Int)));
        let items = schema("Items", fields);
        let s = DatasetSchemas { items: Some(&items), ..Default::default() };
        let text = |n: usize| {
            let conds: Vec<String> = (0..n).map(|i| format!("Items.F{i} > 1")).collect();
            format!("INCLUDE ItemID WHERE {}", conds.join(" AND "))
        };
        check(&text(10), &s).unwrap();
        // the same field twice counts once
        check(&format!("{} AND Items.F0 < 5", text(10)), &s).unwrap();
        let e = check(&text(11), &s).unwrap_err();
        assert!(e.starts_with("the filter uses 11 distinct dataset fields (Items.F0, "), "{e}");
        assert!(e.ends_with("; at most 10 are allowed"), "{e}");
        let f = parse(&text(6)).unwrap();
        assert!(f.validate_with_limit(&s, 5).unwrap_err().to_string().contains("at most 5"));
    }
}
