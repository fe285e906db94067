//! Columnar, dictionary-encoded attribute records of one dataset (items,
//! users or actions), indexed for filter evaluation.

use std::borrow::Cow;

use reko_dataset::{Column, DatasetType, FieldType, RecordBatch, Schema};
use rustc_hash::FxHashMap;

use crate::ast::{fmt_num, Dataset};
use crate::error::FilterError;

/// A value handed to [`AttributeTable::upsert`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// Text; on a numeric field it must hold a number (PutItems sends numbers
    /// as strings).
    Str(&'a str),
    Num(f64),
    Bool(bool),
    Null,
}

/// Codes of one row's values in a string column.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Codes {
    None,
    One(u32),
    Many(Box<[u32]>),
}

impl Codes {
    fn as_slice(&self) -> &[u32] {
        match self {
            Codes::None => &[],
            Codes::One(c) => std::slice::from_ref(c),
            Codes::Many(c) => c,
        }
    }
}

/// A string field: dictionary, per-row codes and an inverted index.
#[derive(Debug, Clone, Default)]
pub(crate) struct StrStore {
    /// Categorical: values split on `|` (as in Personalize's CSV format).
    multi: bool,
    dict: FxHashMap<Box<str>, u32>,
    values: Vec<Box<str>>,
    /// Rows holding each code, unordered.
    postings: Vec<Vec<u32>>,
    rows: Vec<Codes>,
}

impl StrStore {
    /// Rows holding `value` (empty if none).
    #[inline]
    pub(crate) fn rows_with(&self, value: &str) -> &[u32] {
        match self.dict.get(value) {
            Some(&c) => &self.postings[c as usize],
            None => &[],
        }
    }

    /// The values of `row`.
    pub(crate) fn values_of(&self, row: u32) -> impl Iterator<Item = &str> + '_ {
        self.rows.get(row as usize).map_or(&[][..], Codes::as_slice).iter().map(|&c| &*self.values[c as usize])
    }

    fn intern(&mut self, v: &str) -> u32 {
        if let Some(&c) = self.dict.get(v) {
            return c;
        }
        let c = self.values.len() as u32;
        self.values.push(v.into());
        self.dict.insert(v.into(), c);
        self.postings.push(Vec::new());
        c
    }

    fn set(&mut self, row: u32, value: Option<&str>) {
        let old = std::mem::replace(&mut self.rows[row as usize], Codes::None);
        for &c in old.as_slice() {
            let p = &mut self.postings[c as usize];
            if let Some(i) = p.iter().position(|&r| r == row) {
                p.swap_remove(i);
            }
        }
        let Some(v) = value else { return };
        let mut codes: Vec<u32> = Vec::new();
        if self.multi {
            for part in v.split('|').filter(|p| !p.is_empty()) {
                let c = self.intern(part);
                if !codes.contains(&c) {
                    codes.push(c);
                }
            }
        } else if !v.is_empty() {
            codes.push(self.intern(v));
        }
        for &c in &codes {
            self.postings[c as usize].push(row);
        }
        self.rows[row as usize] = match codes.len() {
            0 => Codes::None,
            1 => Codes::One(codes[0]),
            _ => Codes::Many(codes.into_boxed_slice()),
        };
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Store {
    Str(StrStore),
    /// NaN = missing.
    Num(Vec<f64>),
    /// Textual and boolean fields cannot be filtered (docs/compatibility.md, "Filters").
    Ignored,
}

#[derive(Debug, Clone)]
struct AttrColumn {
    name: String,
    field_type: FieldType,
    store: Store,
}

/// A normalised cell, before it is stored.
#[derive(Debug, Clone)]
enum Cell<'a> {
    Null,
    Str(Cow<'a, str>),
    Num(f64),
}

/// How a field name resolves in a table.
pub(crate) enum ColRef<'t> {
    /// The record id field (`ITEM_ID`...), matched through the id index.
    Id,
    Str(&'t StrStore),
    Num(&'t [f64]),
    Missing,
}

/// Records of one dataset keyed by id, with dense row numbers `0..len()`.
/// A row keeps its number when its record is replaced.
#[derive(Debug, Clone)]
pub struct AttributeTable {
    dataset: Option<Dataset>,
    id_field: String,
    ids: Vec<Box<str>>,
    index: FxHashMap<Box<str>, u32>,
    columns: Vec<AttrColumn>,
    /// Which contents the table holds: unique across every table of the process, renewed by
    /// each change, so a result computed from one revision stays true while it lasts.
    revision: u64,
}

/// A revision no table has had ([`AttributeTable::revision`]).
fn next_revision() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl AttributeTable {
    /// An empty table for records of `schema` (an Items, Users or Actions
    /// schema; the id field is `ITEM_ID`, `USER_ID` or `ACTION_ID`).
    pub fn new(schema: &Schema) -> Self {
        let (dataset, id_field) = match schema.dataset_type() {
            Some(DatasetType::Users) => (Some(Dataset::Users), "USER_ID"),
            Some(DatasetType::Actions) => (Some(Dataset::Actions), "ACTION_ID"),
            Some(DatasetType::Items) => (Some(Dataset::Items), "ITEM_ID"),
            _ => {
                let found = ["ITEM_ID", "USER_ID", "ACTION_ID"].into_iter().find(|n| schema.field(n).is_some());
                (None, found.unwrap_or("ITEM_ID"))
            }
        };
        let columns = schema
            .fields
            .iter()
            .filter(|f| f.name != id_field)
            .map(|f| {
                let store = if f.textual || f.field_type == FieldType::Boolean {
                    Store::Ignored
                } else if f.field_type.is_numeric() {
                    Store::Num(Vec::new())
                } else {
                    Store::Str(StrStore { multi: f.categorical, ..StrStore::default() })
                };
                AttrColumn { name: f.name.clone(), field_type: f.field_type, store }
            })
            .collect();
        AttributeTable {
            dataset,
            id_field: id_field.to_string(),
            ids: Vec::new(),
            index: FxHashMap::default(),
            columns,
            revision: next_revision(),
        }
    }

    /// A table loaded from record batches of `schema`, in order: a later
    /// record replaces an earlier one with the same id. Rows with a null id
    /// are skipped.
    pub fn from_batches<'b>(
        schema: &Schema,
        batches: impl IntoIterator<Item = &'b RecordBatch>,
    ) -> Result<Self, FilterError> {
        let mut t = AttributeTable::new(schema);
        for b in batches {
            t.upsert_batch(b)?;
        }
        Ok(t)
    }

    /// Upserts every row of `batch`; columns the batch lacks become missing.
    pub fn upsert_batch(&mut self, batch: &RecordBatch) -> Result<(), FilterError> {
        let id_col = batch.column(&self.id_field).ok_or_else(|| {
            FilterError::Data(format!(
                "the record batch has no {} column (its columns are {})",
                self.id_field,
                batch.field_names().join(", ")
            ))
        })?;
        let sources: Vec<Option<&Column>> = self.columns.iter().map(|c| batch.column(&c.name)).collect();
        let mut cells: Vec<Cell<'_>> = Vec::with_capacity(self.columns.len());
        for r in 0..batch.len() {
            let Some(id) = id_col.str_value(r) else { continue };
            cells.clear();
            for (c, src) in self.columns.iter().zip(&sources) {
                cells.push(match src {
                    None => Cell::Null,
                    Some(col) => c.cell_from_column(col, r)?,
                });
            }
            self.apply(id, &cells);
        }
        Ok(())
    }

    /// Inserts or replaces the record `id` (as in Personalize, the newer record
    /// replaces the older one; fields not given become missing). Returns the
    /// record's row. The id field itself may be given and is ignored.
    pub fn upsert(&mut self, id: &str, values: &[(&str, Value<'_>)]) -> Result<u32, FilterError> {
        let mut cells = vec![Cell::Null; self.columns.len()];
        for (name, v) in values {
            if *name == self.id_field {
                continue;
            }
            let i = self.columns.iter().position(|c| c.name == *name).ok_or_else(|| {
                let known: Vec<&str> = self.columns.iter().map(|c| c.name.as_str()).collect();
                FilterError::Data(format!("unknown field {name}; the fields are {}", known.join(", ")))
            })?;
            cells[i] = self.columns[i].cell_from_value(*v)?;
        }
        Ok(self.apply(id, &cells))
    }

    /// The table's revision: equal revisions, equal contents.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    fn apply(&mut self, id: &str, cells: &[Cell<'_>]) -> u32 {
        self.revision = next_revision();
        let row = match self.index.get(id) {
            Some(&r) => r,
            None => {
                let r = self.ids.len() as u32;
                self.ids.push(id.into());
                self.index.insert(id.into(), r);
                for c in &mut self.columns {
                    match &mut c.store {
                        Store::Str(s) => s.rows.push(Codes::None),
                        Store::Num(v) => v.push(f64::NAN),
                        Store::Ignored => {}
                    }
                }
                r
            }
        };
        for (c, cell) in self.columns.iter_mut().zip(cells) {
            match &mut c.store {
                Store::Str(s) => s.set(row, if let Cell::Str(v) = cell { Some(v) } else { None }),
                Store::Num(v) => v[row as usize] = if let Cell::Num(x) = cell { *x } else { f64::NAN },
                Store::Ignored => {}
            }
        }
        row
    }

    /// The row of record `id`.
    #[inline]
    pub fn row_of(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// The id of `row`.
    pub fn id_of(&self, row: u32) -> Option<&str> {
        self.ids.get(row as usize).map(|s| &**s)
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the table has no records.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The dataset the schema named, if it was Items, Users or Actions.
    pub fn dataset(&self) -> Option<Dataset> {
        self.dataset
    }

    /// `ITEM_ID`, `USER_ID` or `ACTION_ID`.
    pub fn id_field(&self) -> &str {
        &self.id_field
    }

    /// The string values of `field` in `row` (categorical values split on
    /// `|`); empty when missing, numeric or unknown.
    pub fn str_values(&self, row: u32, field: &str) -> Vec<&str> {
        match self.column(field) {
            ColRef::Id => self.id_of(row).into_iter().collect(),
            ColRef::Str(s) => s.values_of(row).collect(),
            ColRef::Num(_) | ColRef::Missing => Vec::new(),
        }
    }

    /// The numeric value of `field` in `row`, if present.
    pub fn num_value(&self, row: u32, field: &str) -> Option<f64> {
        match self.column(field) {
            ColRef::Num(v) => v.get(row as usize).copied().filter(|x| !x.is_nan()),
            _ => None,
        }
    }

    /// The column of `field`, matched case-insensitively (filter expressions
    /// may write `Items.genres` for the schema field `GENRES`; a schema's
    /// field names are unique ignoring case, so the match is unambiguous).
    pub(crate) fn column(&self, field: &str) -> ColRef<'_> {
        if field.eq_ignore_ascii_case(&self.id_field) {
            return ColRef::Id;
        }
        let found = self
            .columns
            .iter()
            .find(|c| c.name == field)
            .or_else(|| self.columns.iter().find(|c| c.name.eq_ignore_ascii_case(field)));
        match found.map(|c| &c.store) {
            Some(Store::Str(s)) => ColRef::Str(s),
            Some(Store::Num(v)) => ColRef::Num(v),
            Some(Store::Ignored) | None => ColRef::Missing,
        }
    }
}

impl AttrColumn {
    fn not_a_number(&self, s: &str) -> FilterError {
        FilterError::Data(format!("field {} is numeric ({}); \"{s}\" is not a number", self.name, self.field_type))
    }

    fn cell_from_value<'a>(&self, v: Value<'a>) -> Result<Cell<'a>, FilterError> {
        Ok(match (&self.store, v) {
            (Store::Ignored, _) | (_, Value::Null) => Cell::Null,
            (Store::Str(_), Value::Str(s)) => Cell::Str(Cow::Borrowed(s)),
            (Store::Str(_), Value::Num(x)) => Cell::Str(Cow::Owned(fmt_num(x))),
            (Store::Str(_), Value::Bool(b)) => Cell::Str(Cow::Borrowed(if b { "true" } else { "false" })),
            (Store::Num(_), Value::Num(x)) => Cell::Num(x),
            (Store::Num(_), Value::Str(s)) => {
                let t = s.trim();
                if t.is_empty() {
                    Cell::Null
                } else {
                    Cell::Num(t.parse::<f64>().map_err(|_| self.not_a_number(s))?)
                }
            }
            (Store::Num(_), Value::Bool(b)) => return Err(self.not_a_number(if b { "true" } else { "false" })),
        })
    }

    fn cell_from_column<'a>(&self, col: &'a Column, r: usize) -> Result<Cell<'a>, FilterError> {
        if let Some(s) = col.str_value(r) {
            return self.cell_from_value(Value::Str(s));
        }
        if let Some(x) = col.f64_value(r) {
            let x = match col {
                Column::Float(..) => widen_f32(x as f32),
                _ => x,
            };
            return self.cell_from_value(Value::Num(x));
        }
        Ok(match col.bool_value(r) {
            Some(b) if matches!(self.store, Store::Str(_)) => self.cell_from_value(Value::Bool(b))?,
            _ => Cell::Null,
        })
    }
}

/// An Avro `float` as the `f64` of its shortest decimal form: the `4.8` of a CSV is stored as
/// the `f32` 4.80000019..., and widening that directly would make it differ from the `4.8` of a
/// filter (`Items.PRICE <= 4.8` would miss it); the shortest decimal that reads back as the
/// same `f32` is the value that was written.
fn widen_f32(v: f32) -> f64 {
    if !v.is_finite() {
        return v as f64;
    }
    v.to_string().parse().unwrap_or(v as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reko_dataset::{Field, StrColumn, Validity};

    pub(crate) fn items_schema() -> Schema {
        Schema {
            name: "Items".into(),
            namespace: None,
            fields: vec![
                Field::new("ITEM_ID", FieldType::String),
                Field::new("GENRE", FieldType::String).categorical().nullable(),
                Field::new("BRAND", FieldType::String).nullable(),
                Field::new("PRICE", FieldType::Float).nullable(),
                Field::new("DESCRIPTION", FieldType::String).textual().nullable(),
                Field::new("ADULT", FieldType::Boolean).nullable(),
            ],
        }
    }

    #[test]
    fn upsert_replaces_and_reindexes() {
        let mut t = AttributeTable::new(&items_schema());
        assert_eq!(t.id_field(), "ITEM_ID");
        assert_eq!(t.dataset(), Some(Dataset::Items));
        let r = t.upsert("i1", &[("GENRE", Value::Str("Comedy|Drama|Comedy")), ("PRICE", Value::Str("9.5"))]).unwrap();
        assert_eq!(r, 0);
        assert_eq!(t.str_values(0, "GENRE"), vec!["Comedy", "Drama"]);
        assert_eq!(t.num_value(0, "PRICE"), Some(9.5));
        assert_eq!(t.upsert("i2", &[("GENRE", Value::Str("Drama")), ("ITEM_ID", Value::Str("x"))]).unwrap(), 1);
        let ColRef::Str(g) = t.column("GENRE") else { panic!() };
        assert_eq!(g.rows_with("Drama").len(), 2);
        // replacing keeps the row, drops old postings, clears fields not given
        assert_eq!(t.upsert("i1", &[("GENRE", Value::Str("Horror")), ("BRAND", Value::Num(7.0))]).unwrap(), 0);
        let ColRef::Str(g) = t.column("GENRE") else { panic!() };
        assert_eq!(g.rows_with("Drama"), &[1]);
        assert!(g.rows_with("Comedy").is_empty());
        assert_eq!(g.rows_with("Horror"), &[0]);
        assert_eq!(t.num_value(0, "PRICE"), None);
        assert_eq!(t.str_values(0, "BRAND"), vec!["7"]);
        assert_eq!(t.str_values(1, "ITEM_ID"), vec!["i2"]);
        assert_eq!(t.len(), 2);
        assert_eq!(t.row_of("i2"), Some(1));
        assert_eq!(t.row_of("nope"), None);
        assert_eq!(t.id_of(1), Some("i2"));
        // plain (non-categorical) strings are not split
        t.upsert("i3", &[("BRAND", Value::Str("a|b"))]).unwrap();
        assert_eq!(t.str_values(2, "BRAND"), vec!["a|b"]);
        // ignored fields accept anything
        t.upsert("i4", &[("DESCRIPTION", Value::Str("text")), ("ADULT", Value::Bool(true))]).unwrap();
        assert!(matches!(t.column("DESCRIPTION"), ColRef::Missing));
    }

    #[test]
    fn upsert_errors() {
        let mut t = AttributeTable::new(&items_schema());
        let e = t.upsert("i1", &[("NOPE", Value::Null)]).unwrap_err().to_string();
        assert!(e.contains("unknown field NOPE") && e.contains("GENRE"), "{e}");
        let e = t.upsert("i1", &[("PRICE", Value::Str("cheap"))]).unwrap_err().to_string();
        assert!(e.contains("PRICE") && e.contains("\"cheap\" is not a number"), "{e}");
        assert!(t.is_empty(), "a failed upsert changes nothing");
    }

    #[test]
    fn from_batches_later_rows_win() {
        let schema = items_schema();
        let b1 = RecordBatch::new(
            vec!["ITEM_ID".into(), "GENRE".into(), "PRICE".into()],
            vec![
                Column::Str(StrColumn::from_options([Some("a"), Some("b"), None])),
                Column::Str(StrColumn::from_values(["X|Y", "Y", "Z"])),
                Column::Float(vec![1.0, 2.0, 3.0], Validity::from_flags(vec![true, false, true])),
            ],
        )
        .unwrap();
        let b2 = RecordBatch::new(
            vec!["ITEM_ID".into(), "GENRE".into(), "PRICE".into(), "OTHER".into()],
            vec![
                Column::Str(StrColumn::from_values(["a", "c"])),
                Column::Str(StrColumn::from_values(["Z", "X"])),
                Column::Long(vec![10, 20], Validity::all_valid()),
                Column::Long(vec![0, 0], Validity::all_valid()),
            ],
        )
        .unwrap();
        let t = AttributeTable::from_batches(&schema, [&b1, &b2]).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t.str_values(t.row_of("a").unwrap(), "GENRE"), vec!["Z"]);
        assert_eq!(t.num_value(t.row_of("a").unwrap(), "PRICE"), Some(10.0));
        assert_eq!(t.num_value(t.row_of("b").unwrap(), "PRICE"), None);
        assert_eq!(t.str_values(t.row_of("c").unwrap(), "GENRE"), vec!["X"]);
        let ColRef::Str(g) = t.column("GENRE") else { panic!() };
        assert_eq!(g.rows_with("X"), &[2]);
        assert_eq!(g.rows_with("Y"), &[1]);

        let no_id = RecordBatch::new(vec!["GENRE".into()], vec![Column::Str(StrColumn::from_values(["x"]))]).unwrap();
        let e = AttributeTable::from_batches(&schema, [&no_id]).unwrap_err().to_string();
        assert!(e.contains("no ITEM_ID column"), "{e}");
        let bad = RecordBatch::new(
            vec!["ITEM_ID".into(), "PRICE".into()],
            vec![Column::Str(StrColumn::from_values(["a"])), Column::Str(StrColumn::from_values(["x"]))],
        )
        .unwrap();
        assert!(AttributeTable::from_batches(&schema, [&bad]).is_err());
    }

    #[test]
    fn float_columns_keep_their_decimal_value() {
        let batch = RecordBatch::new(
            vec!["ITEM_ID".into(), "PRICE".into()],
            vec![
                Column::Str(StrColumn::from_values(["a", "b", "c"])),
                Column::Float(vec![4.8, 0.3, 19.99], Validity::all_valid()),
            ],
        )
        .unwrap();
        let t = AttributeTable::from_batches(&items_schema(), [&batch]).unwrap();
        assert_eq!(t.num_value(0, "PRICE"), Some(4.8));
        assert_eq!(t.num_value(1, "PRICE"), Some(0.3));
        assert_eq!(t.num_value(2, "PRICE"), Some(19.99));
    }

    #[test]
    fn users_and_actions_id_fields() {
        let users = Schema {
            name: "Users".into(),
            namespace: None,
            fields: vec![Field::new("USER_ID", FieldType::String), Field::new("AGE", FieldType::Int)],
        };
        let t = AttributeTable::new(&users);
        assert_eq!((t.id_field(), t.dataset()), ("USER_ID", Some(Dataset::Users)));
        let actions = Schema {
            name: "Actions".into(),
            namespace: None,
            fields: vec![Field::new("ACTION_ID", FieldType::String), Field::new("VALUE", FieldType::Long)],
        };
        let t = AttributeTable::new(&actions);
        assert_eq!((t.id_field(), t.dataset()), ("ACTION_ID", Some(Dataset::Actions)));
    }
}
