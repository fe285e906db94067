//! Avro schema documents (`CreateSchema.schema`) and the dataset rules of
//! reference §4.1/§4.2.

use std::collections::HashSet;
use std::fmt;

use serde_json::{Map, Value};

use crate::dataset_type::{DatasetType, Domain};

/// Maximum length of a schema document (reference §10.1).
pub const MAX_SCHEMA_CHARS: usize = 20_000;
/// Maximum length of a field name.
pub const MAX_FIELD_NAME_CHARS: usize = 150;

/// Why a schema document was rejected. The Display text is the message
/// returned to API clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SchemaError(pub String);

impl SchemaError {
    fn new(msg: impl Into<String>) -> Self {
        SchemaError(msg.into())
    }

    /// The message text.
    pub fn message(&self) -> &str {
        &self.0
    }
}

/// The required and reserved fields of an Interactions schema (reference §4.2); the others are
/// contextual metadata.
pub const INTERACTIONS_RESERVED_FIELDS: [&str; 8] = [
    "USER_ID",
    "ITEM_ID",
    "TIMESTAMP",
    "EVENT_TYPE",
    "EVENT_VALUE",
    "IMPRESSION",
    "RECOMMENDATION_ID",
    "EVENT_ATTRIBUTION_SOURCE",
];

/// Primitive Avro type of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    String,
    Int,
    Long,
    Float,
    Double,
    Boolean,
}

impl FieldType {
    /// Parses an Avro primitive type name (`null` excluded).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "string" => FieldType::String,
            "int" => FieldType::Int,
            "long" => FieldType::Long,
            "float" => FieldType::Float,
            "double" => FieldType::Double,
            "boolean" => FieldType::Boolean,
            _ => return None,
        })
    }

    /// The Avro type name.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Int => "int",
            FieldType::Long => "long",
            FieldType::Float => "float",
            FieldType::Double => "double",
            FieldType::Boolean => "boolean",
        }
    }

    /// `int`, `long`, `float` or `double`.
    pub fn is_numeric(self) -> bool {
        matches!(self, FieldType::Int | FieldType::Long | FieldType::Float | FieldType::Double)
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One flat field of a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub field_type: FieldType,
    /// The type was a union with `"null"`.
    pub nullable: bool,
    /// `"categorical": true` (string fields only; values are `|`-separated).
    pub categorical: bool,
    /// `"textual": true` (string fields only; unstructured text).
    pub textual: bool,
    /// `"itemName": true` (string fields only).
    pub item_name: bool,
}

impl Field {
    /// A plain non-nullable field.
    pub fn new(name: impl Into<String>, field_type: FieldType) -> Self {
        Field { name: name.into(), field_type, nullable: false, categorical: false, textual: false, item_name: false }
    }

    /// Builder-style: make the field nullable.
    pub fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }

    /// Builder-style: mark the field categorical.
    pub fn categorical(mut self) -> Self {
        self.categorical = true;
        self
    }

    /// Builder-style: mark the field textual.
    pub fn textual(mut self) -> Self {
        self.textual = true;
        self
    }

    fn type_desc(&self) -> String {
        if self.nullable {
            format!("[\"null\",\"{}\"]", self.field_type)
        } else {
            format!("\"{}\"", self.field_type)
        }
    }
}

/// A parsed schema document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    pub name: String,
    pub namespace: Option<String>,
    pub fields: Vec<Field>,
}

/// Removes non-alphanumerics and lower-cases: two field names that collide
/// under this normalisation are rejected (reference §4.1).
fn normalized_name(name: &str) -> String {
    name.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

fn valid_field_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse_field_type(name: &str, ty: &Value) -> Result<(FieldType, bool), SchemaError> {
    let primitive = |s: &str| -> Result<FieldType, SchemaError> {
        match s {
            "null" => Err(SchemaError::new(format!(
                "Field '{name}': type \"null\" is only allowed in a union with another type, e.g. [\"null\",\"string\"]"
            ))),
            "array" | "map" | "record" | "enum" | "fixed" | "bytes" => Err(SchemaError::new(format!(
                "Field '{name}': type \"{s}\" is not supported; allowed types are float, double, int, long, string, boolean, or a union of one of them with \"null\""
            ))),
            other => FieldType::parse(other).ok_or_else(|| {
                SchemaError::new(format!(
                    "Field '{name}': unknown type \"{other}\"; allowed types are float, double, int, long, string, boolean, or a union of one of them with \"null\""
                ))
            }),
        }
    };
    match ty {
        Value::String(s) => Ok((primitive(s)?, false)),
        Value::Array(members) => {
            let mut nulls = 0;
            let mut others = Vec::new();
            for m in members {
                match m {
                    Value::String(s) if s == "null" => nulls += 1,
                    Value::String(s) => others.push(primitive(s)?),
                    other => {
                        return Err(SchemaError::new(format!(
                            "Field '{name}': union members must be type names, found {}",
                            json_kind(other)
                        )))
                    }
                }
            }
            // A one-member union (`["string"]`) is Avro for that type alone: AWS's samples write it for
            // non-nullable fields, and Personalize accepts it.
            if nulls > 1 || others.len() != 1 {
                return Err(SchemaError::new(format!(
                    "Field '{name}': a union type must contain \"null\" and exactly one other type, e.g. [\"null\",\"string\"] (or that type alone, [\"string\"])"
                )));
            }
            Ok((others[0], nulls == 1))
        }
        Value::Object(_) => Err(SchemaError::new(format!(
            "Field '{name}': complex types (records, arrays, maps, enums) are not supported; the schema must be flat"
        ))),
        other => Err(SchemaError::new(format!(
            "Field '{name}': \"type\" must be a type name or a union, found {}",
            json_kind(other)
        ))),
    }
}

fn bool_attr(obj: &Map<String, Value>, field: &str, attr: &str) -> Result<bool, SchemaError> {
    match obj.get(attr) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(SchemaError::new(format!(
            "Field '{field}': \"{attr}\" must be true or false, found {}",
            json_kind(other)
        ))),
    }
}

/// Parses and validates an Avro schema document (reference §4.1).
pub fn parse_schema(json: &str) -> Result<Schema, SchemaError> {
    if json.chars().count() > MAX_SCHEMA_CHARS {
        return Err(SchemaError::new(format!("The schema is longer than {MAX_SCHEMA_CHARS} characters")));
    }
    let doc: Value =
        serde_json::from_str(json).map_err(|e| SchemaError::new(format!("The schema is not valid JSON: {e}")))?;
    let obj = doc
        .as_object()
        .ok_or_else(|| SchemaError::new(format!("The schema must be a JSON object, found {}", json_kind(&doc))))?;
    match obj.get("type") {
        Some(Value::String(t)) if t == "record" => {}
        Some(Value::String(t)) => {
            return Err(SchemaError::new(format!("The schema \"type\" must be \"record\", found \"{t}\"")))
        }
        Some(other) => {
            return Err(SchemaError::new(format!("The schema \"type\" must be \"record\", found {}", json_kind(other))))
        }
        None => return Err(SchemaError::new("The schema is missing \"type\": \"record\"")),
    }
    let name = match obj.get("name") {
        Some(Value::String(n)) => n.clone(),
        Some(other) => {
            return Err(SchemaError::new(format!("The schema \"name\" must be a string, found {}", json_kind(other))))
        }
        None => return Err(SchemaError::new("The schema is missing \"name\"")),
    };
    if DatasetType::from_schema_record_name(&name).is_none() {
        return Err(SchemaError::new(format!(
            "The schema name \"{name}\" is not valid; it must be one of Interactions, Items, Users, Actions, ActionInteractions"
        )));
    }
    let namespace = match obj.get("namespace") {
        None | Some(Value::Null) => None,
        Some(Value::String(n)) => Some(n.clone()),
        Some(other) => {
            return Err(SchemaError::new(format!(
                "The schema \"namespace\" must be a string, found {}",
                json_kind(other)
            )))
        }
    };
    let raw_fields = match obj.get("fields") {
        Some(Value::Array(f)) => f,
        Some(other) => {
            return Err(SchemaError::new(format!("The schema \"fields\" must be an array, found {}", json_kind(other))))
        }
        None => return Err(SchemaError::new("The schema is missing \"fields\"")),
    };
    if raw_fields.is_empty() {
        return Err(SchemaError::new("The schema must define at least one field"));
    }

    let mut fields = Vec::with_capacity(raw_fields.len());
    let mut names = HashSet::new();
    let mut normalized: Vec<(String, String)> = Vec::new();
    for (i, raw) in raw_fields.iter().enumerate() {
        let fobj = raw.as_object().ok_or_else(|| {
            SchemaError::new(format!("Field #{} must be a JSON object, found {}", i + 1, json_kind(raw)))
        })?;
        let fname = match fobj.get("name") {
            Some(Value::String(n)) => n.clone(),
            Some(other) => {
                return Err(SchemaError::new(format!(
                    "Field #{}: \"name\" must be a string, found {}",
                    i + 1,
                    json_kind(other)
                )))
            }
            None => return Err(SchemaError::new(format!("Field #{} is missing \"name\"", i + 1))),
        };
        if fname.chars().count() > MAX_FIELD_NAME_CHARS {
            return Err(SchemaError::new(format!(
                "Field '{fname}': the name is longer than {MAX_FIELD_NAME_CHARS} characters"
            )));
        }
        if !valid_field_name(&fname) {
            return Err(SchemaError::new(format!("Field '{fname}': the name must match [A-Za-z_][A-Za-z0-9_]*")));
        }
        if !names.insert(fname.clone()) {
            return Err(SchemaError::new(format!("Field '{fname}' is defined more than once")));
        }
        let norm = normalized_name(&fname);
        if let Some((other, _)) = normalized.iter().find(|(_, n)| *n == norm) {
            return Err(SchemaError::new(format!(
                "Field '{fname}' collides with field '{other}': field names must be unique after removing non-alphanumeric characters (case-insensitive)"
            )));
        }
        normalized.push((fname.clone(), norm));
        let ty = fobj.get("type").ok_or_else(|| SchemaError::new(format!("Field '{fname}' is missing \"type\"")))?;
        let (field_type, nullable) = parse_field_type(&fname, ty)?;
        let categorical = bool_attr(fobj, &fname, "categorical")?;
        let textual = bool_attr(fobj, &fname, "textual")?;
        let item_name = bool_attr(fobj, &fname, "itemName")?;
        for (flag, attr) in [(categorical, "categorical"), (textual, "textual"), (item_name, "itemName")] {
            if flag && field_type != FieldType::String {
                return Err(SchemaError::new(format!(
                    "Field '{fname}': \"{attr}\": true is only allowed on string fields, but the type is {field_type}"
                )));
            }
        }
        if categorical && textual {
            return Err(SchemaError::new(format!("Field '{fname}' cannot be both categorical and textual")));
        }
        fields.push(Field { name: fname, field_type, nullable, categorical, textual, item_name });
    }
    Ok(Schema { name, namespace, fields })
}

/// How a reserved or required field must be typed.
struct Rule {
    name: &'static str,
    types: &'static [FieldType],
    /// Must not be nullable (required fields).
    required: bool,
    categorical: Option<bool>,
    textual: Option<bool>,
}

const fn req(name: &'static str, types: &'static [FieldType]) -> Rule {
    Rule { name, types, required: true, categorical: None, textual: None }
}

const fn opt(name: &'static str, types: &'static [FieldType]) -> Rule {
    Rule { name, types, required: false, categorical: None, textual: None }
}

const STR: &[FieldType] = &[FieldType::String];
const LONG: &[FieldType] = &[FieldType::Long];
const FLOATING: &[FieldType] = &[FieldType::Float, FieldType::Double];
const INTEGRAL: &[FieldType] = &[FieldType::Int, FieldType::Long];

impl Schema {
    /// The dataset kind named by the record `name`.
    pub fn dataset_type(&self) -> Option<DatasetType> {
        DatasetType::from_schema_record_name(&self.name)
    }

    /// Index of the field called `name` (exact match).
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// The field called `name` (exact match).
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Field names in schema order.
    pub fn field_names(&self) -> Vec<&str> {
        self.fields.iter().map(|f| f.name.as_str()).collect()
    }

    fn check_rule(&self, dt: DatasetType, rule: &Rule) -> Result<(), SchemaError> {
        let Some(f) = self.field(rule.name) else {
            if rule.required {
                return Err(SchemaError::new(format!(
                    "{} schema is missing the required field '{}' ({})",
                    dt.schema_record_name(),
                    rule.name,
                    rule.types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(" or ")
                )));
            }
            return Ok(());
        };
        if !rule.types.contains(&f.field_type) {
            let expected = rule.types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(" or ");
            return Err(SchemaError::new(format!(
                "Field '{}' must be of type {expected} in a {} schema, found {}",
                f.name,
                dt.schema_record_name(),
                f.type_desc()
            )));
        }
        if rule.required && f.nullable {
            return Err(SchemaError::new(format!(
                "Field '{}' is required in a {} schema and cannot be nullable",
                f.name,
                dt.schema_record_name()
            )));
        }
        if let Some(c) = rule.categorical {
            if f.categorical != c {
                return Err(SchemaError::new(if c {
                    format!("Field '{}' must be categorical (\"categorical\": true)", f.name)
                } else {
                    format!("Field '{}' must not be categorical", f.name)
                }));
            }
        }
        if let Some(t) = rule.textual {
            if f.textual != t {
                return Err(SchemaError::new(if t {
                    format!("Field '{}' must be textual (\"textual\": true)", f.name)
                } else {
                    format!("Field '{}' must not be textual", f.name)
                }));
            }
        }
        Ok(())
    }

    /// Checks the schema against the required/reserved field rules for a
    /// dataset kind (reference §4.2), optionally in a domain dataset group.
    pub fn check_for(&self, dt: DatasetType, domain: Option<Domain>) -> Result<(), SchemaError> {
        if self.name != dt.schema_record_name() {
            return Err(SchemaError::new(format!(
                "The schema name \"{}\" does not match the dataset type {}; it must be \"{}\"",
                self.name,
                dt.as_wire(),
                dt.schema_record_name()
            )));
        }
        let mut rules: Vec<Rule> = match dt {
            DatasetType::Interactions => vec![
                req("USER_ID", STR),
                req("ITEM_ID", STR),
                req("TIMESTAMP", LONG),
                Rule { categorical: Some(false), ..opt("EVENT_TYPE", STR) },
                opt("EVENT_VALUE", FLOATING),
                opt("IMPRESSION", STR),
                opt("RECOMMENDATION_ID", STR),
                opt("EVENT_ATTRIBUTION_SOURCE", STR),
            ],
            DatasetType::Items => vec![req("ITEM_ID", STR), opt("CREATION_TIMESTAMP", LONG)],
            DatasetType::Users => vec![req("USER_ID", STR)],
            DatasetType::Actions => vec![
                req("ACTION_ID", STR),
                opt("VALUE", LONG),
                opt("CREATION_TIMESTAMP", LONG),
                opt("EXPIRATION_TIMESTAMP", LONG),
                opt("REPEAT_FREQUENCY", INTEGRAL),
            ],
            DatasetType::ActionInteractions => vec![
                req("USER_ID", STR),
                req("ACTION_ID", STR),
                req("TIMESTAMP", LONG),
                Rule { categorical: Some(false), ..req("EVENT_TYPE", STR) },
            ],
        };
        match (dt, domain) {
            (DatasetType::Interactions, Some(_)) => {
                rules.retain(|r| r.name != "EVENT_TYPE");
                rules.push(Rule { categorical: Some(false), ..req("EVENT_TYPE", STR) });
            }
            (DatasetType::Items, Some(Domain::Ecommerce)) => rules.extend([
                req("PRICE", FLOATING),
                Rule { categorical: Some(true), ..req("CATEGORY_L1", STR) },
                opt("CATEGORY_L2", STR),
                opt("CATEGORY_L3", STR),
                Rule { textual: Some(true), ..opt("PRODUCT_DESCRIPTION", STR) },
                opt("AGE_GROUP", STR),
                opt("ADULT", STR),
                opt("GENDER", STR),
            ]),
            (DatasetType::Items, Some(Domain::VideoOnDemand)) => {
                rules.retain(|r| r.name != "CREATION_TIMESTAMP");
                rules.extend([
                    req("CREATION_TIMESTAMP", LONG),
                    Rule { categorical: Some(true), ..req("GENRES", STR) },
                    opt("PRICE", FLOATING),
                    opt("DURATION", &[FieldType::Int, FieldType::Long, FieldType::Float, FieldType::Double]),
                    opt("GENRE_L2", STR),
                    opt("GENRE_L3", STR),
                    opt("AVERAGE_RATING", FLOATING),
                    Rule { textual: Some(true), ..opt("PRODUCT_DESCRIPTION", STR) },
                    opt("CONTENT_OWNER", STR),
                ]);
            }
            (DatasetType::Users, Some(Domain::VideoOnDemand)) => {
                rules.push(opt("SUBSCRIPTION_MODEL", STR));
            }
            _ => {}
        }
        for rule in &rules {
            self.check_rule(dt, rule)?;
        }

        // textual / itemName only make sense in Items.
        if dt != DatasetType::Items {
            if let Some(f) = self.fields.iter().find(|f| f.textual) {
                return Err(SchemaError::new(format!(
                    "Field '{}': textual fields are only allowed in Items schemas",
                    f.name
                )));
            }
            if let Some(f) = self.fields.iter().find(|f| f.item_name) {
                return Err(SchemaError::new(format!(
                    "Field '{}': \"itemName\" is only allowed in Items schemas",
                    f.name
                )));
            }
        }

        let metadata: Vec<&Field> = match dt {
            DatasetType::Interactions => {
                self.fields.iter().filter(|f| !INTERACTIONS_RESERVED_FIELDS.contains(&f.name.as_str())).collect()
            }
            DatasetType::Items => self.fields.iter().filter(|f| f.name != "ITEM_ID").collect(),
            DatasetType::Users => self.fields.iter().filter(|f| f.name != "USER_ID").collect(),
            DatasetType::Actions => self.fields.iter().filter(|f| f.name != "ACTION_ID").collect(),
            DatasetType::ActionInteractions => Vec::new(),
        };
        let (min, max, what) = match dt {
            DatasetType::Interactions => (0, 5, "non-reserved metadata"),
            DatasetType::Items => (1, 100, "metadata"),
            DatasetType::Users => (1, 25, "metadata"),
            DatasetType::Actions => (1, 10, "metadata"),
            DatasetType::ActionInteractions => (0, usize::MAX, "metadata"),
        };
        if metadata.len() < min {
            return Err(SchemaError::new(format!(
                "{} schema must define at least {min} {what} field besides {}",
                dt.schema_record_name(),
                match dt {
                    DatasetType::Items => "ITEM_ID",
                    DatasetType::Users => "USER_ID",
                    _ => "ACTION_ID",
                }
            )));
        }
        if metadata.len() > max {
            return Err(SchemaError::new(format!(
                "{} schema has {} {what} fields; at most {max} are allowed",
                dt.schema_record_name(),
                metadata.len()
            )));
        }
        if dt == DatasetType::Items {
            let textual: Vec<&str> = self.fields.iter().filter(|f| f.textual).map(|f| f.name.as_str()).collect();
            if textual.len() > 1 {
                return Err(SchemaError::new(format!(
                    "Items schema has {} textual fields ({}); at most 1 is allowed",
                    textual.len(),
                    textual.join(", ")
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn schema(name: &str, fields: &str) -> String {
        format!(
            r#"{{"type":"record","name":"{name}","namespace":"com.amazonaws.personalize.schema","fields":[{fields}],"version":"1.0"}}"#
        )
    }

    fn err(json: &str) -> String {
        parse_schema(json).unwrap_err().to_string()
    }

    const INTERACTIONS_FIELDS: &str =
        r#"{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}"#;

    #[test]
    fn parses_reference_example() {
        let s = parse_schema(
            r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema",
 "fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},
           {"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]},
           {"name":"DEVICE","type":["null","string"],"categorical":true},
           {"name":"TIMESTAMP","type":"long"}],
 "version":"1.0"}"#,
        )
        .unwrap();
        assert_eq!(s.name, "Interactions");
        assert_eq!(s.namespace.as_deref(), Some("com.amazonaws.personalize.schema"));
        assert_eq!(s.fields.len(), 6);
        assert_eq!(s.fields[3], Field::new("EVENT_VALUE", FieldType::Float).nullable());
        assert_eq!(s.fields[4], Field::new("DEVICE", FieldType::String).nullable().categorical());
        assert_eq!(s.field_index("TIMESTAMP"), Some(5));
        assert_eq!(s.field_index("timestamp"), None);
        assert_eq!(s.dataset_type(), Some(DatasetType::Interactions));
        s.check_for(DatasetType::Interactions, None).unwrap();
    }

    #[test]
    fn union_either_order_and_all_types() {
        let s = parse_schema(&schema(
            "Items",
            r#"{"name":"ITEM_ID","type":"string"},{"name":"A","type":["string","null"]},
               {"name":"B","type":"int"},{"name":"C","type":"long"},{"name":"D","type":"float"},
               {"name":"E","type":"double"},{"name":"F","type":["null","boolean"]}"#,
        ))
        .unwrap();
        assert!(s.fields[1].nullable);
        assert_eq!(s.fields[1].field_type, FieldType::String);
        assert_eq!(s.fields[6].field_type, FieldType::Boolean);
        assert!(s.fields[6].nullable);
        s.check_for(DatasetType::Items, None).unwrap();
    }

    #[test]
    fn a_one_member_union_is_that_type() {
        // As AWS's promotions and recommender-agent notebooks write categorical fields (Personalize accepts it).
        let s = parse_schema(&schema(
            "Items",
            r#"{"name":"ITEM_ID","type":"string"},{"name":"PRICE","type":"float"},
               {"name":"CATEGORY_L1","type":["string"],"categorical":true},{"name":"RANK","type":["int"]}"#,
        ))
        .unwrap();
        assert_eq!(s.fields[2], Field::new("CATEGORY_L1", FieldType::String).categorical());
        assert_eq!(s.fields[3], Field::new("RANK", FieldType::Int));
        s.check_for(DatasetType::Items, None).unwrap();
        for bad in [r#"["null"]"#, r#"[]"#, r#"["null","null","string"]"#] {
            let e =
                err(&schema("Items", &format!(r#"{{"name":"ITEM_ID","type":"string"}},{{"name":"X","type":{bad}}}"#)));
            assert!(e.contains("'X'") && e.contains("exactly one other type"), "{bad}: {e}");
        }
    }

    #[test]
    fn rejects_structural_problems() {
        assert!(err("not json").contains("not valid JSON"));
        assert!(err("[]").contains("JSON object"));
        assert!(err(r#"{"type":"enum","name":"Items","fields":[]}"#).contains("\"record\""));
        assert!(err(r#"{"name":"Items","fields":[]}"#).contains("\"type\""));
        assert!(err(r#"{"type":"record","fields":[]}"#).contains("\"name\""));
        assert!(err(r#"{"type":"record","name":"Items"}"#).contains("\"fields\""));
        assert!(err(r#"{"type":"record","name":"Items","fields":{}}"#).contains("array"));
        assert!(err(r#"{"type":"record","name":"Items","fields":[]}"#).contains("at least one"));
        assert!(err(&schema("Events", INTERACTIONS_FIELDS)).contains("\"Events\""));
        assert!(err(&schema("Items", r#"{"type":"string"}"#)).contains("missing \"name\""));
        assert!(err(&schema("Items", r#"{"name":"A"}"#)).contains("'A' is missing \"type\""));
        let long = format!("{{\"x\":\"{}\"}}", "a".repeat(MAX_SCHEMA_CHARS));
        assert!(err(&long).contains("longer than 20000"));
    }

    #[test]
    fn rejects_bad_types() {
        let e = err(&schema("Items", r#"{"name":"TAGS","type":{"type":"array","items":"string"}}"#));
        assert!(e.contains("'TAGS'") && e.contains("complex types"), "{e}");
        let e = err(&schema("Items", r#"{"name":"TAGS","type":"array"}"#));
        assert!(e.contains("'TAGS'") && e.contains("not supported"), "{e}");
        let e = err(&schema("Items", r#"{"name":"X","type":"map"}"#));
        assert!(e.contains("'X'"), "{e}");
        let e = err(&schema("Items", r#"{"name":"X","type":"decimal"}"#));
        assert!(e.contains("'X'") && e.contains("unknown type \"decimal\""), "{e}");
        let e = err(&schema("Items", r#"{"name":"X","type":"null"}"#));
        assert!(e.contains("'X'") && e.contains("union"), "{e}");
        let e = err(&schema("Items", r#"{"name":"X","type":["null","string","int"]}"#));
        assert!(e.contains("'X'") && e.contains("exactly one"), "{e}");
        let e = err(&schema("Items", r#"{"name":"X","type":["string","int"]}"#));
        assert!(e.contains("'X'"), "{e}");
        let e = err(&schema("Items", r#"{"name":"X","type":["null","null"]}"#));
        assert!(e.contains("'X'"), "{e}");
        let e = err(&schema("Items", r#"{"name":"X","type":["null",{"type":"record"}]}"#));
        assert!(e.contains("'X'"), "{e}");
        let e = err(&schema("Items", r#"{"name":"X","type":5}"#));
        assert!(e.contains("'X'"), "{e}");
    }

    #[test]
    fn rejects_bad_names() {
        let e = err(&schema("Items", r#"{"name":"1ABC","type":"string"}"#));
        assert!(e.contains("'1ABC'") && e.contains("[A-Za-z_]"), "{e}");
        let e = err(&schema("Items", r#"{"name":"A-B","type":"string"}"#));
        assert!(e.contains("'A-B'"), "{e}");
        let e = err(&schema("Items", r#"{"name":"","type":"string"}"#));
        assert!(e.contains("must match"), "{e}");
        let name = "A".repeat(151);
        let e = err(&schema("Items", &format!(r#"{{"name":"{name}","type":"string"}}"#)));
        assert!(e.contains("longer than 150"), "{e}");
        let name = "A".repeat(150);
        parse_schema(&schema("Items", &format!(r#"{{"name":"{name}","type":"string"}}"#))).unwrap();
        let e = err(&schema("Items", r#"{"name":"A","type":"string"},{"name":"A","type":"int"}"#));
        assert!(e.contains("'A' is defined more than once"), "{e}");
        let e =
            err(&schema("Items", r#"{"name":"GENRES_FIELD_1","type":"string"},{"name":"GENRESFIELD1","type":"int"}"#));
        assert!(e.contains("'GENRESFIELD1'") && e.contains("'GENRES_FIELD_1'"), "{e}");
    }

    #[test]
    fn rejects_bad_attributes() {
        let e = err(&schema("Items", r#"{"name":"P","type":"float","categorical":true}"#));
        assert!(e.contains("'P'") && e.contains("categorical") && e.contains("float"), "{e}");
        let e = err(&schema("Items", r#"{"name":"P","type":"int","textual":true}"#));
        assert!(e.contains("'P'") && e.contains("textual"), "{e}");
        let e = err(&schema("Items", r#"{"name":"P","type":"string","categorical":"yes"}"#));
        assert!(e.contains("'P'") && e.contains("true or false"), "{e}");
        let e = err(&schema("Items", r#"{"name":"P","type":"string","categorical":true,"textual":true}"#));
        assert!(e.contains("both"), "{e}");
        // categorical false on a number is fine
        parse_schema(&schema("Items", r#"{"name":"P","type":"float","categorical":false}"#)).unwrap();
        let s = parse_schema(&schema(
            "Items",
            r#"{"name":"ITEM_ID","type":"string"},{"name":"TITLE","type":"string","itemName":true}"#,
        ))
        .unwrap();
        assert!(s.fields[1].item_name);
    }

    fn check(name: &str, fields: &str, dt: DatasetType, domain: Option<Domain>) -> Result<(), String> {
        parse_schema(&schema(name, fields)).unwrap().check_for(dt, domain).map_err(|e| e.to_string())
    }

    #[test]
    fn interactions_rules() {
        let dt = DatasetType::Interactions;
        check("Interactions", INTERACTIONS_FIELDS, dt, None).unwrap();
        let e =
            check("Items", r#"{"name":"ITEM_ID","type":"string"},{"name":"X","type":"int"}"#, dt, None).unwrap_err();
        assert!(e.contains("\"Interactions\""), "{e}");
        let e =
            check("Interactions", r#"{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"}"#, dt, None)
                .unwrap_err();
        assert!(e.contains("'TIMESTAMP'") && e.contains("long"), "{e}");
        let e = check(
            "Interactions",
            r#"{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"int"}"#,
            dt,
            None,
        )
        .unwrap_err();
        assert!(e.contains("'TIMESTAMP'") && e.contains("\"int\""), "{e}");
        let e = check(
            "Interactions",
            r#"{"name":"USER_ID","type":["null","string"]},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}"#,
            dt,
            None,
        )
        .unwrap_err();
        assert!(e.contains("'USER_ID'") && e.contains("nullable"), "{e}");
        let with = |extra: &str| format!("{INTERACTIONS_FIELDS},{extra}");
        let e = check("Interactions", &with(r#"{"name":"EVENT_TYPE","type":"string","categorical":true}"#), dt, None)
            .unwrap_err();
        assert!(e.contains("'EVENT_TYPE'") && e.contains("must not be categorical"), "{e}");
        let e = check("Interactions", &with(r#"{"name":"EVENT_TYPE","type":"int"}"#), dt, None).unwrap_err();
        assert!(e.contains("'EVENT_TYPE'"), "{e}");
        check("Interactions", &with(r#"{"name":"EVENT_VALUE","type":["null","float"]}"#), dt, None).unwrap();
        check("Interactions", &with(r#"{"name":"EVENT_VALUE","type":"double"}"#), dt, None).unwrap();
        let e = check("Interactions", &with(r#"{"name":"EVENT_VALUE","type":"long"}"#), dt, None).unwrap_err();
        assert!(e.contains("'EVENT_VALUE'") && e.contains("float or double"), "{e}");
        check("Interactions", &with(r#"{"name":"IMPRESSION","type":["null","string"]}"#), dt, None).unwrap();
        let e = check("Interactions", &with(r#"{"name":"IMPRESSION","type":"long"}"#), dt, None).unwrap_err();
        assert!(e.contains("'IMPRESSION'"), "{e}");
        let e = check("Interactions", &with(r#"{"name":"RECOMMENDATION_ID","type":"int"}"#), dt, None).unwrap_err();
        assert!(e.contains("'RECOMMENDATION_ID'"), "{e}");
        let five = (0..5)
            .map(|i| format!(r#"{{"name":"M{i}","type":["null","string"],"categorical":true}}"#))
            .collect::<Vec<_>>()
            .join(",");
        check("Interactions", &with(&format!("{five},{}", r#"{"name":"EVENT_TYPE","type":"string"}"#)), dt, None)
            .unwrap();
        let e =
            check("Interactions", &with(&format!("{five},{}", r#"{"name":"M5","type":"int"}"#)), dt, None).unwrap_err();
        assert!(e.contains("6 non-reserved metadata") && e.contains("at most 5"), "{e}");
        let e =
            check("Interactions", &with(r#"{"name":"NOTES","type":"string","textual":true}"#), dt, None).unwrap_err();
        assert!(e.contains("'NOTES'") && e.contains("Items"), "{e}");
        // domain interactions need EVENT_TYPE
        let e = check("Interactions", INTERACTIONS_FIELDS, dt, Some(Domain::Ecommerce)).unwrap_err();
        assert!(e.contains("'EVENT_TYPE'"), "{e}");
        check("Interactions", &with(r#"{"name":"EVENT_TYPE","type":"string"}"#), dt, Some(Domain::VideoOnDemand))
            .unwrap();
    }

    #[test]
    fn items_rules() {
        let dt = DatasetType::Items;
        let e = check("Items", r#"{"name":"ITEM_ID","type":"string"}"#, dt, None).unwrap_err();
        assert!(e.contains("at least 1 metadata"), "{e}");
        let e = check("Items", r#"{"name":"GENRES","type":"string","categorical":true}"#, dt, None).unwrap_err();
        assert!(e.contains("'ITEM_ID'"), "{e}");
        check("Items", r#"{"name":"ITEM_ID","type":"string"},{"name":"CREATION_TIMESTAMP","type":"long"}"#, dt, None)
            .unwrap();
        let e = check(
            "Items",
            r#"{"name":"ITEM_ID","type":"string"},{"name":"CREATION_TIMESTAMP","type":"int"}"#,
            dt,
            None,
        )
        .unwrap_err();
        assert!(e.contains("'CREATION_TIMESTAMP'"), "{e}");
        let e = check(
            "Items",
            r#"{"name":"ITEM_ID","type":"string"},{"name":"D1","type":"string","textual":true},{"name":"D2","type":"string","textual":true}"#,
            dt,
            None,
        )
        .unwrap_err();
        assert!(e.contains("textual") && e.contains("D1") && e.contains("D2"), "{e}");
        let many = |n: usize| {
            let mut f = vec![r#"{"name":"ITEM_ID","type":"string"}"#.to_string()];
            f.extend((0..n).map(|i| format!(r#"{{"name":"M{i}","type":"int"}}"#)));
            f.join(",")
        };
        check("Items", &many(100), dt, None).unwrap();
        let e = check("Items", &many(101), dt, None).unwrap_err();
        assert!(e.contains("101 metadata") && e.contains("at most 100"), "{e}");
    }

    #[test]
    fn items_domain_rules() {
        let dt = DatasetType::Items;
        let ecom_ok = r#"{"name":"ITEM_ID","type":"string"},{"name":"PRICE","type":"float"},{"name":"CATEGORY_L1","type":"string","categorical":true}"#;
        check("Items", ecom_ok, dt, Some(Domain::Ecommerce)).unwrap();
        let e = check(
            "Items",
            r#"{"name":"ITEM_ID","type":"string"},{"name":"CATEGORY_L1","type":"string","categorical":true}"#,
            dt,
            Some(Domain::Ecommerce),
        )
        .unwrap_err();
        assert!(e.contains("'PRICE'"), "{e}");
        let e = check("Items", r#"{"name":"ITEM_ID","type":"string"},{"name":"PRICE","type":"float"},{"name":"CATEGORY_L1","type":"string"}"#, dt, Some(Domain::Ecommerce)).unwrap_err();
        assert!(e.contains("'CATEGORY_L1'") && e.contains("must be categorical"), "{e}");
        let e = check("Items", r#"{"name":"ITEM_ID","type":"string"},{"name":"PRICE","type":"string"},{"name":"CATEGORY_L1","type":"string","categorical":true}"#, dt, Some(Domain::Ecommerce)).unwrap_err();
        assert!(e.contains("'PRICE'"), "{e}");
        let vod_ok = r#"{"name":"ITEM_ID","type":"string"},{"name":"CREATION_TIMESTAMP","type":"long"},{"name":"GENRES","type":"string","categorical":true}"#;
        check("Items", vod_ok, dt, Some(Domain::VideoOnDemand)).unwrap();
        let e = check(
            "Items",
            r#"{"name":"ITEM_ID","type":"string"},{"name":"GENRES","type":"string","categorical":true}"#,
            dt,
            Some(Domain::VideoOnDemand),
        )
        .unwrap_err();
        assert!(e.contains("'CREATION_TIMESTAMP'"), "{e}");
        let e = check(
            "Items",
            r#"{"name":"ITEM_ID","type":"string"},{"name":"CREATION_TIMESTAMP","type":"long"}"#,
            dt,
            Some(Domain::VideoOnDemand),
        )
        .unwrap_err();
        assert!(e.contains("'GENRES'"), "{e}");
        // the ecommerce schema is not a VOD schema
        assert!(check("Items", ecom_ok, dt, Some(Domain::VideoOnDemand)).is_err());
    }

    #[test]
    fn users_actions_rules() {
        check("Users", r#"{"name":"USER_ID","type":"string"},{"name":"AGE","type":"int"}"#, DatasetType::Users, None)
            .unwrap();
        let e = check("Users", r#"{"name":"USER_ID","type":"string"}"#, DatasetType::Users, None).unwrap_err();
        assert!(e.contains("at least 1"), "{e}");
        let many = (0..26).map(|i| format!(r#"{{"name":"M{i}","type":"int"}}"#)).collect::<Vec<_>>().join(",");
        let e = check("Users", &format!(r#"{{"name":"USER_ID","type":"string"}},{many}"#), DatasetType::Users, None)
            .unwrap_err();
        assert!(e.contains("at most 25"), "{e}");
        let e = check(
            "Users",
            r#"{"name":"USER_ID","type":"string"},{"name":"SUBSCRIPTION_MODEL","type":"int"}"#,
            DatasetType::Users,
            Some(Domain::VideoOnDemand),
        )
        .unwrap_err();
        assert!(e.contains("'SUBSCRIPTION_MODEL'"), "{e}");

        let dt = DatasetType::Actions;
        check("Actions", r#"{"name":"ACTION_ID","type":"string"},{"name":"VALUE","type":["null","long"]},{"name":"REPEAT_FREQUENCY","type":"int"}"#, dt, None).unwrap();
        let e = check("Actions", r#"{"name":"ACTION_ID","type":"string"},{"name":"VALUE","type":"float"}"#, dt, None)
            .unwrap_err();
        assert!(e.contains("'VALUE'"), "{e}");
        let e = check(
            "Actions",
            r#"{"name":"ACTION_ID","type":"string"},{"name":"EXPIRATION_TIMESTAMP","type":"string"}"#,
            dt,
            None,
        )
        .unwrap_err();
        assert!(e.contains("'EXPIRATION_TIMESTAMP'"), "{e}");
        let e = check("Actions", r#"{"name":"ACTION_ID","type":"string"}"#, dt, None).unwrap_err();
        assert!(e.contains("at least 1"), "{e}");

        let dt = DatasetType::ActionInteractions;
        let ok = r#"{"name":"USER_ID","type":"string"},{"name":"ACTION_ID","type":"string"},{"name":"TIMESTAMP","type":"long"},{"name":"EVENT_TYPE","type":"string"}"#;
        check("ActionInteractions", ok, dt, None).unwrap();
        let e = check("ActionInteractions", r#"{"name":"USER_ID","type":"string"},{"name":"ACTION_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}"#, dt, None).unwrap_err();
        assert!(e.contains("'EVENT_TYPE'"), "{e}");
        let e = check("Interactions", INTERACTIONS_FIELDS, dt, None).unwrap_err();
        assert!(e.contains("\"ActionInteractions\""), "{e}");
    }

    proptest! {
        #[test]
        fn parse_schema_never_panics(s in ".{0,400}") {
            let _ = parse_schema(&s);
        }

        #[test]
        fn parse_schema_never_panics_on_jsonish(
            name in prop::sample::select(vec!["Interactions", "Items", "Users", "x", ""]),
            fields in prop::collection::vec(
                ("[A-Za-z_0-9\\-]{0,6}",
                 prop::sample::select(vec!["\"string\"", "\"int\"", "[\"null\",\"long\"]", "\"null\"", "{}", "[]", "3", "[\"float\",\"null\"]"]),
                 prop::sample::select(vec!["", ",\"categorical\":true", ",\"textual\":true", ",\"itemName\":1"])),
                0..6)
        ) {
            let f = fields.iter().map(|(n, t, a)| format!("{{\"name\":\"{n}\",\"type\":{t}{a}}}")).collect::<Vec<_>>().join(",");
            let doc = format!("{{\"type\":\"record\",\"name\":\"{name}\",\"fields\":[{f}]}}");
            if let Ok(s) = parse_schema(&doc) {
                for dt in DatasetType::ALL {
                    let _ = s.check_for(dt, None);
                    let _ = s.check_for(dt, Some(Domain::Ecommerce));
                    let _ = s.check_for(dt, Some(Domain::VideoOnDemand));
                }
            }
        }
    }
}
