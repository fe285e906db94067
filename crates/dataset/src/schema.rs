//! Avro schema documents (`CreateSchema.schema`) and the dataset rules of
//! Personalize's "Creating schema JSON files for Amazon Personalize schemas"
//! (<https://docs.aws.amazon.com/personalize/latest/dg/how-it-works-dataset-schema.html>).

use std::collections::HashSet;
use std::fmt;

use serde_json::{Map, Value};

use crate::dataset_type::{DatasetType, Domain};

/// Maximum length of a schema document (`CreateSchema.schema`'s length limit).
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

/// The required and reserved fields of an Interactions schema (see the module doc); the others are
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
/// under this normalisation are rejected (as Personalize's schema rules say).
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

/// Parses and validates an Avro schema document (see the module doc).
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
    /// dataset kind (see the module doc), optionally in a domain dataset group.
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

    /// Whether this schema may replace `previous` as a dataset's schema (Personalize's
    /// UpdateDataset, "Replacing a dataset's schema to add new columns"): the same record name,
    /// every field of `previous` kept with its type, nullability and attributes (`categorical`,
    /// `textual`, `itemName`), and every new field nullable (rows imported before the change have
    /// no value for it). The error names the first offending field.
    pub fn check_replacement_of(&self, previous: &Schema) -> Result<(), SchemaError> {
        if self.name != previous.name {
            return Err(SchemaError::new(format!(
                "The new schema is a \"{}\" schema; the dataset's schema is a \"{}\" one",
                self.name, previous.name
            )));
        }
        for old in &previous.fields {
            let Some(new) = self.field(&old.name) else {
                return Err(SchemaError::new(format!(
                    "Field '{}' of the current schema is missing; a new schema may only add fields",
                    old.name
                )));
            };
            if new.field_type != old.field_type || new.nullable != old.nullable {
                return Err(SchemaError::new(format!(
                    "Field '{}' changes type from {} to {}; existing fields must keep their type",
                    old.name,
                    old.type_desc(),
                    new.type_desc()
                )));
            }
            let attributes = |f: &Field| {
                [(f.categorical, "categorical"), (f.textual, "textual"), (f.item_name, "itemName")]
                    .iter()
                    .filter(|(set, _)| *set)
                    .map(|(_, name)| *name)
                    .collect::<Vec<_>>()
            };
            if attributes(new) != attributes(old) {
                let shown = |a: Vec<&str>| if a.is_empty() { "none".to_string() } else { a.join(", ") };
                return Err(SchemaError::new(format!(
                    "Field '{}' changes its attributes from {} to {}; existing fields must keep their attributes",
                    old.name,
                    shown(attributes(old)),
                    shown(attributes(new))
                )));
            }
        }
        if let Some(added) = self.fields.iter().find(|f| previous.field(&f.name).is_none() && !f.nullable) {
            return Err(SchemaError::new(format!(
                "New field '{}' must be nullable (a union with \"null\", e.g. [\"null\",\"{}\"]): rows imported \
                 before the change have no value for it",
                added.name, added.field_type
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
