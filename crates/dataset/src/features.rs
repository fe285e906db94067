//! Feature tokens: how a dataset's metadata columns become the engine's features.
//!
//! Every usable column value becomes a string token the recipes learn from:
//! - categorical strings: `COL=value`, one token per `|`-separated value;
//! - textual strings (Items): `COL:word` for each distinct lower-case word of 2+ letters (at most
//!   [`MAX_WORDS`] per value);
//! - numbers: `COL~b`, a logarithmic bucket `b = sign(x)·⌊log2(1 + |x|)⌋`, so prices of 7 and 9
//!   share a token and 7 and 700 do not;
//! - booleans: `COL=true` / `COL=false`;
//! - other strings: ignored for Items and Users (Personalize ignores non-categorical,
//!   non-textual strings in training), `COL=value` for Interactions context columns.
//!
//! Identifier, timestamp and reserved columns are never features.

use crate::batch::{Column, RecordBatch};
use crate::dataset_type::DatasetType;
use crate::schema::{FieldType, Schema};

/// Most words taken from one textual value.
pub const MAX_WORDS: usize = 64;

/// Columns that are never features, per dataset type.
fn reserved(dataset_type: DatasetType, name: &str) -> bool {
    match dataset_type {
        DatasetType::Interactions => matches!(
            name,
            "USER_ID"
                | "ITEM_ID"
                | "TIMESTAMP"
                | "EVENT_TYPE"
                | "EVENT_VALUE"
                | "IMPRESSION"
                | "RECOMMENDATION_ID"
                | "EVENT_ATTRIBUTION_SOURCE"
        ),
        DatasetType::Items => matches!(name, "ITEM_ID" | "CREATION_TIMESTAMP"),
        DatasetType::Users => name == "USER_ID",
        DatasetType::Actions => {
            matches!(name, "ACTION_ID" | "CREATION_TIMESTAMP" | "EXPIRATION_TIMESTAMP" | "REPEAT_FREQUENCY" | "VALUE")
        }
        DatasetType::ActionInteractions => {
            matches!(name, "USER_ID" | "ACTION_ID" | "TIMESTAMP" | "EVENT_TYPE" | "IMPRESSION")
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Categorical,
    Textual,
    Numeric,
    Boolean,
}

/// Turns rows of one dataset into feature tokens.
#[derive(Debug, Clone)]
pub struct Featurizer {
    columns: Vec<(String, Kind)>,
}

impl Featurizer {
    /// The feature columns of `schema` for a dataset of `dataset_type`. `include` (when given)
    /// restricts the columns; `exclude` removes some (solution `trainingDataConfig`).
    pub fn new(schema: &Schema, dataset_type: DatasetType, include: Option<&[String]>, exclude: &[String]) -> Self {
        let columns = schema
            .fields
            .iter()
            .filter(|f| !reserved(dataset_type, &f.name))
            .filter(|f| include.is_none_or(|inc| inc.contains(&f.name)))
            .filter(|f| !exclude.contains(&f.name))
            .filter_map(|f| {
                let kind = match f.field_type {
                    FieldType::String if f.textual => Kind::Textual,
                    FieldType::String if f.categorical || dataset_type == DatasetType::Interactions => {
                        Kind::Categorical
                    }
                    FieldType::String => return None,
                    FieldType::Boolean => Kind::Boolean,
                    FieldType::Int | FieldType::Long | FieldType::Float | FieldType::Double => Kind::Numeric,
                };
                Some((f.name.clone(), kind))
            })
            .collect();
        Featurizer { columns }
    }

    /// Whether any column yields features.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// Names of the feature columns.
    pub fn column_names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|(n, _)| n.as_str())
    }

    /// The tokens of one row, appended to `out` (which is cleared first).
    pub fn tokens(&self, batch: &RecordBatch, row: usize, out: &mut Vec<String>) {
        out.clear();
        for (name, kind) in &self.columns {
            let Some(column) = batch.column(name) else { continue };
            if column.is_null(row) {
                continue;
            }
            match kind {
                Kind::Categorical => {
                    if let Some(v) = column.str_value(row) {
                        for part in v.split('|').map(str::trim).filter(|p| !p.is_empty()) {
                            out.push(format!("{name}={part}"));
                        }
                    }
                }
                Kind::Textual => {
                    if let Some(v) = column.str_value(row) {
                        words(v, |w| out.push(format!("{name}:{w}")));
                    }
                }
                Kind::Numeric => {
                    if let Some(x) = column.f64_value(row).filter(|x| x.is_finite()) {
                        out.push(format!("{name}~{}", numeric_bucket(x)));
                    }
                }
                Kind::Boolean => {
                    if let Column::Bool(..) = column {
                        if let Some(b) = column.bool_value(row) {
                            out.push(format!("{name}={b}"));
                        }
                    }
                }
            }
        }
    }
}

/// `sign(x)·⌊log2(1 + |x|)⌋`.
pub fn numeric_bucket(x: f64) -> i64 {
    let b = (1.0 + x.abs()).log2().floor() as i64;
    if x < 0.0 {
        -b
    } else {
        b
    }
}

/// Distinct lower-case words of 2+ alphanumeric characters, in order, at most [`MAX_WORDS`].
fn words(text: &str, mut emit: impl FnMut(&str)) {
    let mut seen: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if word.chars().count() < 2 {
            continue;
        }
        let lower = word.to_lowercase();
        if seen.contains(&lower) {
            continue;
        }
        emit(&lower);
        seen.push(lower);
        if seen.len() == MAX_WORDS {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::StrColumn;
    use crate::schema::parse_schema;

    #[test]
    fn tokens_follow_the_schema() {
        let schema = parse_schema(
            r#"{"type":"record","name":"Items","fields":[
                {"name":"ITEM_ID","type":"string"},
                {"name":"GENRES","type":["null","string"],"categorical":true},
                {"name":"PRICE","type":"float"},
                {"name":"TITLE","type":"string"},
                {"name":"DESCRIPTION","type":["null","string"],"textual":true},
                {"name":"CREATION_TIMESTAMP","type":"long"}]}"#,
        )
        .unwrap();
        let batch = RecordBatch::new(
            vec!["ITEM_ID", "GENRES", "PRICE", "TITLE", "DESCRIPTION", "CREATION_TIMESTAMP"]
                .into_iter()
                .map(String::from)
                .collect(),
            vec![
                Column::Str(StrColumn::from_values(["i1"])),
                Column::Str(StrColumn::from_values(["Comedy|Drama"])),
                Column::Float(vec![7.5], crate::batch::Validity::all_valid()),
                Column::Str(StrColumn::from_values(["Toy Story"])),
                Column::Str(StrColumn::from_values(["A toy's story: toys, TOYS and a cowboy."])),
                Column::Long(vec![1], crate::batch::Validity::all_valid()),
            ],
        )
        .unwrap();
        let f = Featurizer::new(&schema, DatasetType::Items, None, &[]);
        let mut out = Vec::new();
        f.tokens(&batch, 0, &mut out);
        assert_eq!(
            out,
            [
                "GENRES=Comedy",
                "GENRES=Drama",
                "PRICE~3",
                "DESCRIPTION:toy",
                "DESCRIPTION:story",
                "DESCRIPTION:toys",
                "DESCRIPTION:and",
                "DESCRIPTION:cowboy"
            ]
        );
        let only_price = Featurizer::new(&schema, DatasetType::Items, None, &["GENRES".into(), "DESCRIPTION".into()]);
        only_price.tokens(&batch, 0, &mut out);
        assert_eq!(out, ["PRICE~3"]);
        let included = Featurizer::new(&schema, DatasetType::Items, Some(&["GENRES".into()]), &[]);
        assert_eq!(included.column_names().collect::<Vec<_>>(), ["GENRES"]);
    }

    #[test]
    fn buckets_are_logarithmic() {
        assert_eq!(numeric_bucket(0.0), 0);
        assert_eq!(numeric_bucket(7.0), 3);
        assert_eq!(numeric_bucket(9.0), 3);
        assert_eq!(numeric_bucket(700.0), 9);
        assert_eq!(numeric_bucket(-7.0), -3);
    }
}
