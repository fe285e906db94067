//! Row-at-a-time records (individually put events, items and users) and their conversion to
//! columnar [`RecordBatch`]es.

use crate::batch::{Column, RecordBatch, StrColumn, Validity};
use crate::import::MAX_CATEGORICAL_CHARS;
use crate::schema::{Field, FieldType, Schema};

/// One field value of a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Str(String),
    Long(i64),
    Double(f64),
    Bool(bool),
}

impl Value {
    /// Converts a JSON value of a `properties` member to `field`'s type. Personalize sends
    /// numbers and booleans as strings too (`{"price": "9.99"}`), so both forms are accepted.
    /// The error says what was wrong, without the field's name (the caller adds where).
    pub fn from_json(field: &Field, json: &serde_json::Value) -> Result<Value, String> {
        use serde_json::Value as J;
        let describe = |v: &J| match v {
            J::String(s) => format!("\"{}\"", truncate(s)),
            other => truncate(&other.to_string()),
        };
        let bad = |v: &J| format!("{} is not a valid {} value", describe(v), field.field_type);
        match (json, field.field_type) {
            (J::Null, _) if field.nullable => Ok(Value::Null),
            (J::Null, _) => Err(format!("null is not allowed (the field is not nullable; type {})", field.field_type)),
            (J::String(s), FieldType::String) => {
                if (field.categorical || field.name == "IMPRESSION") && s.chars().count() > MAX_CATEGORICAL_CHARS {
                    return Err(format!(
                        "categorical value of {} characters is longer than {MAX_CATEGORICAL_CHARS}",
                        s.chars().count()
                    ));
                }
                Ok(Value::Str(s.clone()))
            }
            (J::Number(n), FieldType::String) => Ok(Value::Str(n.to_string())),
            (J::Bool(b), FieldType::String) => Ok(Value::Str(b.to_string())),
            (J::Number(n), FieldType::Int | FieldType::Long) => n.as_i64().map(Value::Long).ok_or_else(|| bad(json)),
            (J::String(s), FieldType::Int | FieldType::Long) => {
                s.trim().parse::<i64>().map(Value::Long).map_err(|_| bad(json))
            }
            (J::Number(n), FieldType::Float | FieldType::Double) => {
                n.as_f64().filter(|f| f.is_finite()).map(Value::Double).ok_or_else(|| bad(json))
            }
            (J::String(s), FieldType::Float | FieldType::Double) => {
                s.trim().parse::<f64>().ok().filter(|f| f.is_finite()).map(Value::Double).ok_or_else(|| bad(json))
            }
            (J::Bool(b), FieldType::Boolean) => Ok(Value::Bool(*b)),
            // Lower-case only, as in CSV imports (Personalize's bulk data format).
            (J::String(s), FieldType::Boolean) => match s.as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(bad(json)),
            },
            _ => Err(bad(json)),
        }
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 64 {
        format!("{}...", s.chars().take(64).collect::<String>())
    } else {
        s.to_string()
    }
}

/// Builds a [`RecordBatch`] row by row: the schema's columns plus optional extra string columns
/// (Reko's own bookkeeping, such as an event's session id; their names start with `_`).
pub struct RecordBatchBuilder {
    names: Vec<String>,
    types: Vec<FieldType>,
    rows: Vec<Vec<Value>>,
}

impl RecordBatchBuilder {
    pub fn new(schema: &Schema, extra_string_columns: &[&str]) -> Self {
        let mut names: Vec<String> = schema.fields.iter().map(|f| f.name.clone()).collect();
        let mut types: Vec<FieldType> = schema.fields.iter().map(|f| f.field_type).collect();
        for c in extra_string_columns {
            names.push((*c).to_string());
            types.push(FieldType::String);
        }
        RecordBatchBuilder { names, types, rows: Vec::new() }
    }

    /// Column index of a name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Appends a row of `Value::Null`s and returns it for filling in.
    pub fn push_row(&mut self) -> &mut Vec<Value> {
        self.rows.push(vec![Value::Null; self.names.len()]);
        self.rows.last_mut().expect("just pushed")
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The batch. Values are expected to match their column's type (as [`Value::from_json`]
    /// produces); a mismatch is stored as null.
    pub fn finish(self) -> RecordBatch {
        let mut columns = Vec::with_capacity(self.names.len());
        for (c, ty) in self.types.iter().enumerate() {
            let valid: Vec<bool> = self.rows.iter().map(|r| !matches!(r[c], Value::Null)).collect();
            let col = match ty {
                FieldType::String => Column::Str(StrColumn::from_options(self.rows.iter().map(|r| match &r[c] {
                    Value::Str(s) => Some(s.as_str()),
                    _ => None,
                }))),
                FieldType::Int => Column::Int(
                    self.rows.iter().map(|r| if let Value::Long(v) = r[c] { v as i32 } else { 0 }).collect(),
                    Validity::from_flags(valid),
                ),
                FieldType::Long => Column::Long(
                    self.rows.iter().map(|r| if let Value::Long(v) = r[c] { v } else { 0 }).collect(),
                    Validity::from_flags(valid),
                ),
                FieldType::Float => Column::Float(
                    self.rows.iter().map(|r| if let Value::Double(v) = r[c] { v as f32 } else { 0.0 }).collect(),
                    Validity::from_flags(valid),
                ),
                FieldType::Double => Column::Double(
                    self.rows.iter().map(|r| if let Value::Double(v) = r[c] { v } else { 0.0 }).collect(),
                    Validity::from_flags(valid),
                ),
                FieldType::Boolean => Column::Bool(
                    self.rows.iter().map(|r| matches!(r[c], Value::Bool(true))).collect(),
                    Validity::from_flags(valid),
                ),
            };
            columns.push(col);
        }
        RecordBatch::new(self.names, columns).expect("one value per column per row")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse_schema;
    use serde_json::json;

    fn schema() -> Schema {
        parse_schema(
            r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[
            {"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":["null","string"],"categorical":true},
            {"name":"PRICE","type":"float"},{"name":"YEAR","type":["null","int"]},
            {"name":"ADULT","type":"boolean"},{"name":"CREATION_TIMESTAMP","type":"long"}],"version":"1.0"}"#,
        )
        .unwrap()
    }

    #[test]
    fn json_values_convert_to_field_types() {
        let s = schema();
        let f = |n: &str| s.field(n).unwrap().clone();
        assert_eq!(Value::from_json(&f("PRICE"), &json!("9.5")).unwrap(), Value::Double(9.5));
        assert_eq!(Value::from_json(&f("PRICE"), &json!(3)).unwrap(), Value::Double(3.0));
        assert_eq!(Value::from_json(&f("YEAR"), &json!("1999")).unwrap(), Value::Long(1999));
        assert_eq!(Value::from_json(&f("YEAR"), &json!(null)).unwrap(), Value::Null);
        assert_eq!(Value::from_json(&f("ADULT"), &json!("false")).unwrap(), Value::Bool(false));
        assert_eq!(Value::from_json(&f("GENRE"), &json!(7)).unwrap(), Value::Str("7".into()));
        assert_eq!(Value::from_json(&f("PRICE"), &json!("cheap")).unwrap_err(), "\"cheap\" is not a valid float value");
        assert!(Value::from_json(&f("PRICE"), &json!(null)).unwrap_err().contains("not nullable"));
        assert!(Value::from_json(&f("ADULT"), &json!("True")).is_err());
        assert!(Value::from_json(&f("GENRE"), &json!("x".repeat(1001))).unwrap_err().contains("longer than 1000"));
        assert!(Value::from_json(&f("YEAR"), &json!(1.5)).is_err());
    }

    #[test]
    fn builder_produces_a_batch_that_round_trips() {
        let s = schema();
        let mut b = RecordBatchBuilder::new(&s, &["_SESSION_ID"]);
        let row = b.push_row();
        row[0] = Value::Str("i1".into());
        row[2] = Value::Double(1.5);
        row[3] = Value::Long(2001);
        row[4] = Value::Bool(true);
        row[5] = Value::Long(1_700_000_000);
        row[6] = Value::Str("s1".into());
        let row = b.push_row();
        row[0] = Value::Str("i2".into());
        row[1] = Value::Str("Comedy|Drama".into());
        let batch = RecordBatch::decode(&b.finish().encode()).unwrap();
        assert_eq!(batch.len(), 2);
        assert_eq!(batch.column("ITEM_ID").unwrap().str_value(1), Some("i2"));
        assert_eq!(batch.column("GENRE").unwrap().str_value(0), None);
        assert_eq!(batch.column("YEAR").unwrap().i64_value(0), Some(2001));
        assert_eq!(batch.column("YEAR").unwrap().i64_value(1), None);
        assert_eq!(batch.column("_SESSION_ID").unwrap().str_value(0), Some("s1"));
        assert_eq!(batch.column("CREATION_TIMESTAMP").unwrap().i64_value(0), Some(1_700_000_000));
    }
}
