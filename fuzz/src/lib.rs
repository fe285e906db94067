//! Shared fixtures of the fuzz targets: fixed dataset schemas and the row building that
//! PutEvents / PutItems / PutUsers do with a record's `properties`.
//!
//! The targets only check that hostile input never panics: every parser returns a `Result`,
//! and whatever it returns is dropped.

use std::sync::OnceLock;

use reko_dataset::{parse_schema, DatasetType, RecordBatch, RecordBatchBuilder, Schema, Value};

/// Interactions: USER_ID, ITEM_ID, EVENT_TYPE, EVENT_VALUE (nullable float), TIMESTAMP, plus the
/// optional IMPRESSION and a custom categorical context field.
pub const INTERACTIONS_SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[
  {"name":"USER_ID","type":"string"},
  {"name":"ITEM_ID","type":"string"},
  {"name":"EVENT_TYPE","type":"string"},
  {"name":"EVENT_VALUE","type":["null","float"]},
  {"name":"TIMESTAMP","type":"long"},
  {"name":"IMPRESSION","type":["null","string"]},
  {"name":"DEVICE","type":["null","string"],"categorical":true}
],"version":"1.0"}"#;

/// Items with one field of every type: categorical, textual, int, long, float, double, boolean.
pub const ITEMS_SCHEMA: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[
  {"name":"ITEM_ID","type":"string"},
  {"name":"GENRES","type":["null","string"],"categorical":true},
  {"name":"DESCRIPTION","type":["null","string"],"textual":true},
  {"name":"YEAR","type":["null","int"]},
  {"name":"CREATION_TIMESTAMP","type":["null","long"]},
  {"name":"PRICE","type":["null","float"]},
  {"name":"RATING","type":["null","double"]},
  {"name":"IN_STOCK","type":["null","boolean"]},
  {"name":"BRAND","type":["null","string"]}
],"version":"1.0"}"#;

/// Users: a required categorical field and an optional int.
pub const USERS_SCHEMA: &str = r#"{"type":"record","name":"Users","namespace":"com.amazonaws.personalize.schema","fields":[
  {"name":"USER_ID","type":"string"},
  {"name":"MEMBERSHIP","type":"string","categorical":true},
  {"name":"AGE","type":["null","int"]}
],"version":"1.0"}"#;

/// Action interactions (EVENT_TYPE restricted to TAKEN / NOT_TAKEN / VIEWED on import).
pub const ACTION_INTERACTIONS_SCHEMA: &str = r#"{"type":"record","name":"ActionInteractions","namespace":"com.amazonaws.personalize.schema","fields":[
  {"name":"USER_ID","type":"string"},
  {"name":"ACTION_ID","type":"string"},
  {"name":"EVENT_TYPE","type":"string"},
  {"name":"TIMESTAMP","type":"long"}
],"version":"1.0"}"#;

fn fixed(cell: &'static OnceLock<Schema>, json: &str, dt: DatasetType) -> &'static Schema {
    cell.get_or_init(|| {
        let s = parse_schema(json).unwrap_or_else(|e| panic!("fixture schema for {dt} is invalid: {e}"));
        s.check_for(dt, None).unwrap_or_else(|e| panic!("fixture schema for {dt} is invalid: {e}"));
        s
    })
}

pub fn interactions_schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    fixed(&S, INTERACTIONS_SCHEMA, DatasetType::Interactions)
}

pub fn items_schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    fixed(&S, ITEMS_SCHEMA, DatasetType::Items)
}

pub fn users_schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    fixed(&S, USERS_SCHEMA, DatasetType::Users)
}

pub fn action_interactions_schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    fixed(&S, ACTION_INTERACTIONS_SCHEMA, DatasetType::ActionInteractions)
}

/// `NUMBER_OF_RATINGS` → `numberOfRatings` (how `properties` keys name schema fields).
fn camel_case(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    for (i, part) in field.split('_').filter(|p| !p.is_empty()).enumerate() {
        let lower = part.to_ascii_lowercase();
        if i == 0 {
            out.push_str(&lower);
        } else {
            let mut chars = lower.chars();
            if let Some(c) = chars.next() {
                out.extend(c.to_uppercase());
                out.push_str(chars.as_str());
            }
        }
    }
    out
}

/// One record of a Put* request: the values the request sets directly (ids, event type,
/// timestamp...) and its `properties` JSON text.
pub struct PutRecord<'a> {
    pub fixed: Vec<(&'static str, Value)>,
    pub properties: Option<&'a str>,
}

/// Builds the batch of one Put* request the way the service does: each record's fixed values go
/// in their columns, each `properties` member is matched to a schema field (camelCase or exact
/// name, never one of `reserved`) and converted with [`Value::from_json`]. Errors stop the
/// request (returned as `None`), like the service's `InvalidInputException`. Non-nullable
/// fields outside `may_be_null` must be set.
pub fn build_rows(
    schema: &Schema,
    reserved: &[&str],
    may_be_null: &[&str],
    records: &[PutRecord<'_>],
) -> Option<RecordBatch> {
    let mut builder = RecordBatchBuilder::new(schema, &["_SESSION_ID"]);
    for (i, record) in records.iter().enumerate() {
        let mut values = Vec::new();
        for (name, v) in &record.fixed {
            values.push((builder.column(name)?, v.clone()));
        }
        if let Some(text) = record.properties {
            let path = format!("records.{}.properties", i + 1);
            let props = reko_api::parse_properties(&path, text).ok()?;
            for (key, json) in &props {
                let (c, field) = schema.fields.iter().enumerate().find(|(_, f)| {
                    !reserved.contains(&f.name.as_str()) && (key == &f.name || *key == camel_case(&f.name))
                })?;
                values.push((c, Value::from_json(field, json).ok()?));
            }
        }
        let row = builder.push_row();
        for (c, v) in values {
            row[c] = v;
        }
        if schema
            .fields
            .iter()
            .enumerate()
            .any(|(c, f)| !f.nullable && matches!(row[c], Value::Null) && !may_be_null.contains(&f.name.as_str()))
        {
            return None;
        }
    }
    Some(builder.finish())
}

/// What storage and training do with a batch built from hostile input: encode it for the record
/// store and decode it back, slice, split and concatenate it, read every cell.
pub fn exercise_batch(batch: &RecordBatch) {
    let _ = RecordBatch::decode(&batch.encode());
    let rows = batch.len().min(64);
    for column in batch.columns() {
        for r in 0..rows {
            let _ = (column.display_value(r), column.f64_value(r), column.i64_value(r), column.is_null(r));
        }
    }
    let parts = batch.split(3);
    let _ = RecordBatch::concat(&parts);
    let _ = batch.slice(batch.len() / 2, batch.len());
}
