//! Columnar record batches and their compact binary encoding.
//!
//! A [`RecordBatch`] holds one [`Column`] per schema field, in schema order.
//! String columns keep all values in one byte buffer plus an offsets array;
//! nulls are tracked by an optional validity vector ([`Validity`]).
//!
//! ## Binary format (version 1, all integers little-endian)
//!
//! ```text
//! magic   "RKOB"            4 bytes
//! version u16 = 1
//! flags   u16 = 0
//! rows    u64
//! ncols   u32
//! per column:
//!   name_len u32, name (UTF-8)
//!   type     u8   (0 string, 1 int, 2 long, 3 float, 4 double, 5 boolean)
//!   has_validity u8 (0/1); if 1: ceil(rows/8) bytes bitmap (bit set = valid, LSB first)
//!   string:  width u8 (4|8), (rows+1) offsets of `width` bytes, data_len u64, data
//!   int/float: rows * 4 bytes; long/double: rows * 8 bytes; boolean: ceil(rows/8) bitmap
//! ```
//!
//! Decoding validates every length against the remaining input before
//! allocating, so corrupt or truncated input yields a [`DecodeError`].

use std::collections::HashSet;

use crate::schema::{FieldType, Schema};

const MAGIC: &[u8; 4] = b"RKOB";
const VERSION: u16 = 1;

/// Null tracking for a column: `None` means every value is valid.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Validity(Option<Vec<bool>>);

impl Validity {
    /// All values valid.
    pub fn all_valid() -> Self {
        Validity(None)
    }

    /// From per-row flags (`true` = valid). Normalised: all-true becomes
    /// [`Validity::all_valid`].
    pub fn from_flags(flags: Vec<bool>) -> Self {
        if flags.iter().all(|&v| v) {
            Validity(None)
        } else {
            Validity(Some(flags))
        }
    }

    /// Whether row `i` holds a value.
    #[inline]
    pub fn is_valid(&self, i: usize) -> bool {
        match &self.0 {
            None => true,
            Some(v) => v.get(i).copied().unwrap_or(false),
        }
    }

    /// The per-row flags, if any row is null.
    pub fn flags(&self) -> Option<&[bool]> {
        self.0.as_deref()
    }

    /// Number of null rows.
    pub fn null_count(&self) -> usize {
        self.0.as_ref().map_or(0, |v| v.iter().filter(|&&b| !b).count())
    }

    fn slice(&self, start: usize, end: usize) -> Self {
        match &self.0 {
            None => Validity(None),
            Some(v) => Validity::from_flags(v[start..end].to_vec()),
        }
    }

    fn append(&mut self, self_len: usize, other: &Validity, other_len: usize) {
        match (&mut self.0, &other.0) {
            (None, None) => {}
            (Some(v), None) => v.extend(std::iter::repeat_n(true, other_len)),
            (Some(v), Some(o)) => v.extend_from_slice(o),
            (None, Some(o)) => {
                let mut v = vec![true; self_len];
                v.extend_from_slice(o);
                self.0 = Some(v);
            }
        }
    }
}

/// Incrementally built validity.
#[derive(Debug, Default, Clone)]
pub(crate) struct ValidityBuilder {
    flags: Option<Vec<bool>>,
}

impl ValidityBuilder {
    #[inline]
    pub(crate) fn push_valid(&mut self) {
        if let Some(f) = &mut self.flags {
            f.push(true);
        }
    }

    /// `len` is the number of rows before this one.
    #[inline]
    pub(crate) fn push_null(&mut self, len: usize) {
        let f = self.flags.get_or_insert_with(|| vec![true; len]);
        f.push(false);
    }

    pub(crate) fn push_nulls(&mut self, len: usize, n: usize) {
        let f = self.flags.get_or_insert_with(|| vec![true; len]);
        f.extend(std::iter::repeat_n(false, n));
    }

    /// Drops the rows from `len` on.
    pub(crate) fn truncate(&mut self, len: usize) {
        if let Some(f) = &mut self.flags {
            f.truncate(len);
        }
    }

    pub(crate) fn finish(self) -> Validity {
        match self.flags {
            None => Validity(None),
            Some(f) => Validity::from_flags(f),
        }
    }
}

/// A string column: `offsets` has `len + 1` entries into one UTF-8 buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrColumn {
    offsets: Vec<u64>,
    data: String,
    validity: Validity,
}

impl Default for StrColumn {
    fn default() -> Self {
        StrColumn { offsets: vec![0], data: String::new(), validity: Validity::all_valid() }
    }
}

impl StrColumn {
    /// Builds a column from optional values (`None` = null).
    pub fn from_options<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = Option<S>>,
        S: AsRef<str>,
    {
        let mut b = StrBuilder::default();
        for v in values {
            match v {
                Some(s) => b.push(s.as_ref()),
                None => b.push_null(),
            }
        }
        b.finish()
    }

    /// Builds a column of non-null values.
    pub fn from_values<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::from_options(values.into_iter().map(Some))
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `i`, or `None` if null or out of range.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&str> {
        if i >= self.len() || !self.validity.is_valid(i) {
            return None;
        }
        Some(self.raw(i))
    }

    /// The stored bytes at `i` (`""` for nulls). Panics when out of range.
    #[inline]
    pub fn raw(&self, i: usize) -> &str {
        &self.data[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// Iterates the values (`None` = null).
    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }

    /// Offsets into [`StrColumn::data`] (`len + 1` entries).
    pub fn offsets(&self) -> &[u64] {
        &self.offsets
    }

    /// The concatenated value bytes.
    pub fn data(&self) -> &str {
        &self.data
    }

    /// Null tracking.
    pub fn validity(&self) -> &Validity {
        &self.validity
    }

    fn slice(&self, start: usize, end: usize) -> Self {
        let base = self.offsets[start];
        let offsets = self.offsets[start..=end].iter().map(|o| o - base).collect();
        let data = self.data[base as usize..self.offsets[end] as usize].to_string();
        StrColumn { offsets, data, validity: self.validity.slice(start, end) }
    }

    fn append(&mut self, other: &StrColumn) {
        let len = self.len();
        let base = self.data.len() as u64;
        self.data.push_str(&other.data);
        self.offsets.extend(other.offsets[1..].iter().map(|o| o + base));
        self.validity.append(len, &other.validity, other.len());
    }
}

/// Appends strings to a [`StrColumn`].
#[derive(Debug, Clone)]
pub(crate) struct StrBuilder {
    offsets: Vec<u64>,
    data: String,
    validity: ValidityBuilder,
}

impl Default for StrBuilder {
    fn default() -> Self {
        StrBuilder { offsets: vec![0], data: String::new(), validity: ValidityBuilder::default() }
    }
}

impl StrBuilder {
    pub(crate) fn with_capacity(rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        StrBuilder { offsets, data: String::with_capacity(bytes), validity: ValidityBuilder::default() }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    #[inline]
    pub(crate) fn push(&mut self, s: &str) {
        self.data.push_str(s);
        self.offsets.push(self.data.len() as u64);
        self.validity.push_valid();
    }

    #[inline]
    pub(crate) fn push_null(&mut self) {
        let len = self.len();
        self.offsets.push(self.data.len() as u64);
        self.validity.push_null(len);
    }

    pub(crate) fn push_nulls(&mut self, n: usize) {
        let len = self.len();
        let end = self.data.len() as u64;
        self.offsets.extend(std::iter::repeat_n(end, n));
        self.validity.push_nulls(len, n);
    }

    /// Drops the rows from `len` on.
    pub(crate) fn truncate(&mut self, len: usize) {
        if len < self.len() {
            self.data.truncate(self.offsets[len] as usize);
            self.offsets.truncate(len + 1);
            self.validity.truncate(len);
        }
    }

    pub(crate) fn finish(self) -> StrColumn {
        StrColumn { offsets: self.offsets, data: self.data, validity: self.validity.finish() }
    }
}

/// One column of a [`RecordBatch`]. Null slots hold `0`/`false`/`""`.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    Str(StrColumn),
    Int(Vec<i32>, Validity),
    Long(Vec<i64>, Validity),
    Float(Vec<f32>, Validity),
    Double(Vec<f64>, Validity),
    Bool(Vec<bool>, Validity),
}

macro_rules! each_primitive {
    ($self:expr, $v:ident, $val:ident => $body:expr, $s:ident => $sbody:expr) => {
        match $self {
            Column::Str($s) => $sbody,
            Column::Int($v, $val) => $body,
            Column::Long($v, $val) => $body,
            Column::Float($v, $val) => $body,
            Column::Double($v, $val) => $body,
            Column::Bool($v, $val) => $body,
        }
    };
}

impl Column {
    /// An empty column of the given type.
    pub fn empty(field_type: FieldType) -> Column {
        match field_type {
            FieldType::String => Column::Str(StrColumn::default()),
            FieldType::Int => Column::Int(Vec::new(), Validity::all_valid()),
            FieldType::Long => Column::Long(Vec::new(), Validity::all_valid()),
            FieldType::Float => Column::Float(Vec::new(), Validity::all_valid()),
            FieldType::Double => Column::Double(Vec::new(), Validity::all_valid()),
            FieldType::Boolean => Column::Bool(Vec::new(), Validity::all_valid()),
        }
    }

    /// The Avro type of the column.
    pub fn field_type(&self) -> FieldType {
        match self {
            Column::Str(_) => FieldType::String,
            Column::Int(..) => FieldType::Int,
            Column::Long(..) => FieldType::Long,
            Column::Float(..) => FieldType::Float,
            Column::Double(..) => FieldType::Double,
            Column::Bool(..) => FieldType::Boolean,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        each_primitive!(self, v, _val => v.len(), s => s.len())
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Null tracking.
    pub fn validity(&self) -> &Validity {
        each_primitive!(self, _v, val => val, s => &s.validity)
    }

    /// Whether row `i` is null (out-of-range rows count as null).
    pub fn is_null(&self, i: usize) -> bool {
        i >= self.len() || !self.validity().is_valid(i)
    }

    /// Number of null rows.
    pub fn null_count(&self) -> usize {
        self.validity().null_count()
    }

    /// String value (string columns only).
    #[inline]
    pub fn str_value(&self, i: usize) -> Option<&str> {
        match self {
            Column::Str(s) => s.get(i),
            _ => None,
        }
    }

    /// Integer value (int and long columns).
    #[inline]
    pub fn i64_value(&self, i: usize) -> Option<i64> {
        if self.is_null(i) {
            return None;
        }
        match self {
            Column::Long(v, _) => Some(v[i]),
            Column::Int(v, _) => Some(v[i] as i64),
            _ => None,
        }
    }

    /// Numeric value (float, double, int and long columns).
    #[inline]
    pub fn f64_value(&self, i: usize) -> Option<f64> {
        if self.is_null(i) {
            return None;
        }
        match self {
            Column::Float(v, _) => Some(v[i] as f64),
            Column::Double(v, _) => Some(v[i]),
            Column::Int(v, _) => Some(v[i] as f64),
            Column::Long(v, _) => Some(v[i] as f64),
            _ => None,
        }
    }

    /// Boolean value (boolean columns only).
    #[inline]
    pub fn bool_value(&self, i: usize) -> Option<bool> {
        if self.is_null(i) {
            return None;
        }
        match self {
            Column::Bool(v, _) => Some(v[i]),
            _ => None,
        }
    }

    /// Row `i` as text (`None` when null): strings as they are, numbers in their shortest exact
    /// form for their own width (a `float` 4.8 reads `4.8`), booleans `true`/`false`.
    pub fn display_value(&self, i: usize) -> Option<String> {
        if i >= self.len() || self.is_null(i) {
            return None;
        }
        Some(match self {
            Column::Str(c) => c.raw(i).to_string(),
            Column::Int(v, _) => v[i].to_string(),
            Column::Long(v, _) => v[i].to_string(),
            Column::Float(v, _) => v[i].to_string(),
            Column::Double(v, _) => v[i].to_string(),
            Column::Bool(v, _) => v[i].to_string(),
        })
    }

    /// Rows `start..end` as a new column.
    pub fn slice(&self, start: usize, end: usize) -> Column {
        match self {
            Column::Str(s) => Column::Str(s.slice(start, end)),
            Column::Int(v, val) => Column::Int(v[start..end].to_vec(), val.slice(start, end)),
            Column::Long(v, val) => Column::Long(v[start..end].to_vec(), val.slice(start, end)),
            Column::Float(v, val) => Column::Float(v[start..end].to_vec(), val.slice(start, end)),
            Column::Double(v, val) => Column::Double(v[start..end].to_vec(), val.slice(start, end)),
            Column::Bool(v, val) => Column::Bool(v[start..end].to_vec(), val.slice(start, end)),
        }
    }

    /// Appends `other` (same type) to this column.
    fn append(&mut self, other: &Column) -> Result<(), BatchError> {
        let len = self.len();
        let olen = other.len();
        match (self, other) {
            (Column::Str(a), Column::Str(b)) => a.append(b),
            (Column::Int(a, va), Column::Int(b, vb)) => {
                a.extend_from_slice(b);
                va.append(len, vb, olen);
            }
            (Column::Long(a, va), Column::Long(b, vb)) => {
                a.extend_from_slice(b);
                va.append(len, vb, olen);
            }
            (Column::Float(a, va), Column::Float(b, vb)) => {
                a.extend_from_slice(b);
                va.append(len, vb, olen);
            }
            (Column::Double(a, va), Column::Double(b, vb)) => {
                a.extend_from_slice(b);
                va.append(len, vb, olen);
            }
            (Column::Bool(a, va), Column::Bool(b, vb)) => {
                a.extend_from_slice(b);
                va.append(len, vb, olen);
            }
            (a, b) => return Err(BatchError(format!("column types differ: {} vs {}", a.field_type(), b.field_type()))),
        }
        Ok(())
    }

    /// An empty column of the same type with room for `rows` rows (and, for
    /// strings, the data of column `idx` of every batch).
    fn with_capacity_like(&self, rows: usize, batches: &[RecordBatch], idx: usize) -> Column {
        match self {
            Column::Str(_) => {
                let bytes = batches
                    .iter()
                    .map(|b| match b.columns.get(idx) {
                        Some(Column::Str(s)) => s.data.len(),
                        _ => 0,
                    })
                    .sum();
                let mut offsets = Vec::with_capacity(rows + 1);
                offsets.push(0);
                Column::Str(StrColumn { offsets, data: String::with_capacity(bytes), validity: Validity::all_valid() })
            }
            Column::Int(..) => Column::Int(Vec::with_capacity(rows), Validity::all_valid()),
            Column::Long(..) => Column::Long(Vec::with_capacity(rows), Validity::all_valid()),
            Column::Float(..) => Column::Float(Vec::with_capacity(rows), Validity::all_valid()),
            Column::Double(..) => Column::Double(Vec::with_capacity(rows), Validity::all_valid()),
            Column::Bool(..) => Column::Bool(Vec::with_capacity(rows), Validity::all_valid()),
        }
    }

    fn check_validity_len(&self) -> bool {
        self.validity().flags().is_none_or(|f| f.len() == self.len())
    }
}

/// Error building or combining batches.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid record batch: {0}")]
pub struct BatchError(pub String);

/// Error decoding an encoded batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("corrupt record batch: {0}")]
pub struct DecodeError(pub String);

/// A set of rows stored column by column.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordBatch {
    names: Vec<String>,
    columns: Vec<Column>,
    rows: usize,
}

impl RecordBatch {
    /// Builds a batch; all columns must have the same length and names must
    /// be unique.
    pub fn new(names: Vec<String>, columns: Vec<Column>) -> Result<Self, BatchError> {
        if names.len() != columns.len() {
            return Err(BatchError(format!("{} names for {} columns", names.len(), columns.len())));
        }
        let mut seen = HashSet::new();
        for n in &names {
            if !seen.insert(n.as_str()) {
                return Err(BatchError(format!("duplicate column name '{n}'")));
            }
        }
        let rows = columns.first().map_or(0, |c| c.len());
        for (n, c) in names.iter().zip(&columns) {
            if c.len() != rows {
                return Err(BatchError(format!("column '{n}' has {} rows, expected {rows}", c.len())));
            }
            if !c.check_validity_len() {
                return Err(BatchError(format!("column '{n}' has a validity vector of the wrong length")));
            }
        }
        Ok(RecordBatch { names, columns, rows })
    }

    /// An empty batch with one column per schema field.
    pub fn empty(schema: &Schema) -> Self {
        RecordBatch {
            names: schema.fields.iter().map(|f| f.name.clone()).collect(),
            columns: schema.fields.iter().map(|f| Column::empty(f.field_type)).collect(),
            rows: 0,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the batch has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Number of columns.
    pub fn num_columns(&self) -> usize {
        self.columns.len()
    }

    /// Column names in order.
    pub fn field_names(&self) -> Vec<&str> {
        self.names.iter().map(|s| s.as_str()).collect()
    }

    /// Columns in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Index of a column by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// A column by name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.column_index(name).map(|i| &self.columns[i])
    }

    /// A column by position.
    pub fn column_at(&self, i: usize) -> Option<&Column> {
        self.columns.get(i)
    }

    /// String value of column `col` at `row` (`None`: null, missing, or not a string column).
    pub fn str_value(&self, col: &str, row: usize) -> Option<&str> {
        self.column(col)?.str_value(row)
    }

    /// Integer value (int/long columns).
    pub fn i64_value(&self, col: &str, row: usize) -> Option<i64> {
        self.column(col)?.i64_value(row)
    }

    /// Numeric value (float/double/int/long columns).
    pub fn f64_value(&self, col: &str, row: usize) -> Option<f64> {
        self.column(col)?.f64_value(row)
    }

    /// Boolean value.
    pub fn bool_value(&self, col: &str, row: usize) -> Option<bool> {
        self.column(col)?.bool_value(row)
    }

    /// Whether the value is null (or the column is missing).
    pub fn is_null(&self, col: &str, row: usize) -> bool {
        self.column(col).is_none_or(|c| c.is_null(row))
    }

    /// Concatenates batches with identical column names and types.
    pub fn concat(batches: &[RecordBatch]) -> Result<RecordBatch, BatchError> {
        let Some(first) = batches.first() else {
            return Err(BatchError("concat of zero batches".to_string()));
        };
        let total: usize = batches.iter().map(|b| b.rows).sum();
        let mut out = RecordBatch {
            names: first.names.clone(),
            columns: first
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let mut col = c.with_capacity_like(total, batches, i);
                    col.append(c).expect("same type");
                    col
                })
                .collect(),
            rows: first.rows,
        };
        for b in &batches[1..] {
            if b.names != out.names {
                return Err(BatchError(format!(
                    "column names differ: [{}] vs [{}]",
                    out.names.join(", "),
                    b.names.join(", ")
                )));
            }
            for (i, (a, c)) in out.columns.iter_mut().zip(&b.columns).enumerate() {
                a.append(c).map_err(|e| BatchError(format!("column '{}': {}", b.names[i], e.0)))?;
            }
            out.rows += b.rows;
        }
        Ok(out)
    }

    /// Rows `start..end` (clamped) as a new batch.
    pub fn slice(&self, start: usize, end: usize) -> RecordBatch {
        let end = end.min(self.rows);
        let start = start.min(end);
        RecordBatch {
            names: self.names.clone(),
            columns: self.columns.iter().map(|c| c.slice(start, end)).collect(),
            rows: end - start,
        }
    }

    /// Splits into batches of at most `max_rows` rows (`0` is treated as 1).
    /// An empty batch yields one empty batch.
    pub fn split(&self, max_rows: usize) -> Vec<RecordBatch> {
        let max_rows = max_rows.max(1);
        if self.rows <= max_rows {
            return vec![self.clone()];
        }
        (0..self.rows).step_by(max_rows).map(|s| self.slice(s, s + max_rows)).collect()
    }

    /// Encodes the batch in the binary format described in the module docs.
    pub fn encode(&self) -> Vec<u8> {
        let mut size = 24;
        for (n, c) in self.names.iter().zip(&self.columns) {
            size += 8 + n.len() + self.rows.div_ceil(8) + 16;
            size += match c {
                Column::Str(s) => (self.rows + 1) * 8 + s.data.len(),
                Column::Int(..) | Column::Float(..) => self.rows * 4,
                Column::Long(..) | Column::Double(..) => self.rows * 8,
                Column::Bool(..) => self.rows.div_ceil(8),
            };
        }
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&(self.rows as u64).to_le_bytes());
        out.extend_from_slice(&(self.columns.len() as u32).to_le_bytes());
        for (name, col) in self.names.iter().zip(&self.columns) {
            out.extend_from_slice(&(name.len() as u32).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.push(type_tag(col.field_type()));
            match col.validity().flags() {
                None => out.push(0),
                Some(f) => {
                    out.push(1);
                    write_bitmap(&mut out, f);
                }
            }
            match col {
                Column::Str(s) => {
                    if s.data.len() <= u32::MAX as usize {
                        out.push(4);
                        for &o in &s.offsets {
                            out.extend_from_slice(&(o as u32).to_le_bytes());
                        }
                    } else {
                        out.push(8);
                        for &o in &s.offsets {
                            out.extend_from_slice(&o.to_le_bytes());
                        }
                    }
                    out.extend_from_slice(&(s.data.len() as u64).to_le_bytes());
                    out.extend_from_slice(s.data.as_bytes());
                }
                Column::Int(v, _) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
                Column::Long(v, _) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
                Column::Float(v, _) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
                Column::Double(v, _) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
                Column::Bool(v, _) => write_bitmap(&mut out, v),
            }
        }
        out
    }

    /// Decodes a buffer produced by [`RecordBatch::encode`].
    pub fn decode(buf: &[u8]) -> Result<RecordBatch, DecodeError> {
        let mut r = Reader { buf, pos: 0 };
        if r.take(4)? != MAGIC {
            return Err(DecodeError("bad magic".to_string()));
        }
        let version = r.u16()?;
        if version != VERSION {
            return Err(DecodeError(format!("unsupported version {version}")));
        }
        let flags = r.u16()?;
        if flags != 0 {
            return Err(DecodeError(format!("unsupported flags {flags:#x}")));
        }
        let rows = r.u64()?;
        let ncols = r.u32()? as usize;
        // each column needs at least 7 bytes: bounds the allocation below
        if ncols > r.remaining() / 7 {
            return Err(DecodeError(format!("{ncols} columns cannot fit in the buffer")));
        }
        let rows: usize = usize::try_from(rows).map_err(|_| DecodeError(format!("row count {rows} too large")))?;
        let mut names = Vec::with_capacity(ncols);
        let mut columns = Vec::with_capacity(ncols);
        for _ in 0..ncols {
            let nlen = r.u32()? as usize;
            let name = std::str::from_utf8(r.take(nlen)?)
                .map_err(|_| DecodeError("column name is not UTF-8".to_string()))?
                .to_string();
            let tag = r.u8()?;
            let validity = match r.u8()? {
                0 => Validity::all_valid(),
                1 => Validity::from_flags(r.bitmap(rows)?),
                v => return Err(DecodeError(format!("column '{name}': bad validity flag {v}"))),
            };
            let col = match tag {
                0 => {
                    let width = r.u8()?;
                    let noff = rows.checked_add(1).ok_or_else(|| DecodeError("row count overflow".to_string()))?;
                    let offsets: Vec<u64> = match width {
                        4 => r
                            .fixed(noff, 4)?
                            .chunks_exact(4)
                            .map(|c| u32::from_le_bytes(c.try_into().unwrap()) as u64)
                            .collect(),
                        8 => r
                            .fixed(noff, 8)?
                            .chunks_exact(8)
                            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
                            .collect(),
                        w => return Err(DecodeError(format!("column '{name}': bad offset width {w}"))),
                    };
                    let dlen = r.u64()?;
                    let dlen = usize::try_from(dlen).map_err(|_| DecodeError("data length too large".to_string()))?;
                    let data = std::str::from_utf8(r.take(dlen)?)
                        .map_err(|_| DecodeError(format!("column '{name}': data is not UTF-8")))?;
                    if offsets[0] != 0 || offsets[rows] as usize != dlen {
                        return Err(DecodeError(format!("column '{name}': bad offsets")));
                    }
                    for w in offsets.windows(2) {
                        if w[0] > w[1] || !data.is_char_boundary(w[1] as usize) {
                            return Err(DecodeError(format!("column '{name}': bad offsets")));
                        }
                    }
                    Column::Str(StrColumn { offsets, data: data.to_string(), validity })
                }
                1 => Column::Int(
                    r.fixed(rows, 4)?.chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap())).collect(),
                    validity,
                ),
                2 => Column::Long(
                    r.fixed(rows, 8)?.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap())).collect(),
                    validity,
                ),
                3 => Column::Float(
                    r.fixed(rows, 4)?.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect(),
                    validity,
                ),
                4 => Column::Double(
                    r.fixed(rows, 8)?.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect(),
                    validity,
                ),
                5 => Column::Bool(r.bitmap(rows)?, validity),
                t => return Err(DecodeError(format!("column '{name}': unknown type tag {t}"))),
            };
            names.push(name);
            columns.push(col);
        }
        if r.remaining() != 0 {
            return Err(DecodeError(format!("{} trailing bytes", r.remaining())));
        }
        if ncols == 0 && rows != 0 {
            return Err(DecodeError("rows without columns".to_string()));
        }
        let mut batch = RecordBatch::new(names, columns).map_err(|e| DecodeError(e.0))?;
        batch.rows = rows;
        Ok(batch)
    }
}

fn type_tag(t: FieldType) -> u8 {
    match t {
        FieldType::String => 0,
        FieldType::Int => 1,
        FieldType::Long => 2,
        FieldType::Float => 3,
        FieldType::Double => 4,
        FieldType::Boolean => 5,
    }
}

fn write_bitmap(out: &mut Vec<u8>, bits: &[bool]) {
    for chunk in bits.chunks(8) {
        let mut byte = 0u8;
        for (i, &b) in chunk.iter().enumerate() {
            byte |= (b as u8) << i;
        }
        out.push(byte);
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(DecodeError(format!(
                "truncated: need {n} bytes at offset {}, {} left",
                self.pos,
                self.remaining()
            )));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn fixed(&mut self, count: usize, width: usize) -> Result<&'a [u8], DecodeError> {
        let n = count.checked_mul(width).ok_or_else(|| DecodeError("length overflow".to_string()))?;
        self.take(n)
    }

    fn bitmap(&mut self, rows: usize) -> Result<Vec<bool>, DecodeError> {
        let bytes = self.take(rows.div_ceil(8))?;
        Ok((0..rows).map(|i| bytes[i / 8] >> (i % 8) & 1 == 1).collect())
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().unwrap()))
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> RecordBatch {
        RecordBatch::new(
            vec!["S".into(), "I".into(), "L".into(), "F".into(), "D".into(), "B".into()],
            vec![
                Column::Str(StrColumn::from_options([Some("a"), None, Some("héllo|x"), Some("")])),
                Column::Int(vec![1, 0, -3, i32::MAX], Validity::from_flags(vec![true, false, true, true])),
                Column::Long(vec![i64::MIN, 2, 3, 4], Validity::all_valid()),
                Column::Float(vec![1.5, 0.0, -2.25, 3.0], Validity::from_flags(vec![true, false, true, true])),
                Column::Double(vec![0.1, 0.2, 0.3, 1e300], Validity::all_valid()),
                Column::Bool(vec![true, false, false, true], Validity::from_flags(vec![true, true, false, true])),
            ],
        )
        .unwrap()
    }

    #[test]
    fn accessors() {
        let b = sample();
        assert_eq!(b.len(), 4);
        assert_eq!(b.field_names(), vec!["S", "I", "L", "F", "D", "B"]);
        assert_eq!(b.str_value("S", 0), Some("a"));
        assert_eq!(b.str_value("S", 1), None);
        assert_eq!(b.str_value("S", 2), Some("héllo|x"));
        assert_eq!(b.str_value("S", 3), Some(""));
        assert_eq!(b.str_value("S", 4), None);
        assert_eq!(b.i64_value("I", 0), Some(1));
        assert_eq!(b.i64_value("I", 1), None);
        assert_eq!(b.i64_value("L", 0), Some(i64::MIN));
        assert_eq!(b.f64_value("F", 2), Some(-2.25));
        assert_eq!(b.f64_value("F", 1), None);
        assert_eq!(b.f64_value("I", 2), Some(-3.0));
        assert_eq!(b.f64_value("L", 1), Some(2.0));
        assert_eq!(b.f64_value("D", 3), Some(1e300));
        assert_eq!(b.bool_value("B", 0), Some(true));
        assert_eq!(b.bool_value("B", 2), None);
        assert!(b.is_null("B", 2));
        assert!(b.is_null("nope", 0));
        assert_eq!(b.column("S").unwrap().null_count(), 1);
        assert_eq!(b.column("L").unwrap().field_type(), FieldType::Long);
        assert!(b.column("X").is_none());
    }

    #[test]
    fn new_validates() {
        assert!(RecordBatch::new(
            vec!["a".into(), "b".into()],
            vec![Column::Long(vec![1], Validity::all_valid()), Column::Long(vec![], Validity::all_valid())]
        )
        .is_err());
        assert!(RecordBatch::new(
            vec!["a".into(), "a".into()],
            vec![Column::Long(vec![1], Validity::all_valid()), Column::Long(vec![1], Validity::all_valid())]
        )
        .is_err());
        assert!(RecordBatch::new(
            vec!["a".into()],
            vec![Column::Long(vec![1], Validity::from_flags(vec![false, true]))]
        )
        .is_err());
    }

    #[test]
    fn round_trip() {
        let b = sample();
        let enc = b.encode();
        assert_eq!(&enc[..4], b"RKOB");
        assert_eq!(RecordBatch::decode(&enc).unwrap(), b);
        let e = RecordBatch::empty(&crate::schema::Schema {
            name: "Items".into(),
            namespace: None,
            fields: vec![crate::schema::Field::new("ITEM_ID", FieldType::String)],
        });
        assert_eq!(RecordBatch::decode(&e.encode()).unwrap(), e);
    }

    #[test]
    fn corrupt_inputs_fail_cleanly() {
        let enc = sample().encode();
        for n in 0..enc.len() {
            assert!(RecordBatch::decode(&enc[..n]).is_err(), "prefix {n}");
        }
        let mut extra = enc.clone();
        extra.push(0);
        assert!(RecordBatch::decode(&extra).is_err());
        let mut bad = enc.clone();
        bad[0] = b'X';
        assert!(RecordBatch::decode(&bad).is_err());
        let mut bad = enc.clone();
        bad[4] = 9;
        assert!(RecordBatch::decode(&bad).is_err());
        // huge row count must not allocate
        let mut bad = enc.clone();
        bad[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(RecordBatch::decode(&bad).is_err());
        let mut bad = enc.clone();
        bad[8..16].copy_from_slice(&(1u64 << 40).to_le_bytes());
        assert!(RecordBatch::decode(&bad).is_err());
        let mut bad = enc.clone();
        bad[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(RecordBatch::decode(&bad).is_err());
        // flip every byte: never panics
        for i in 0..enc.len() {
            for x in [0x01u8, 0x80, 0xff] {
                let mut b = enc.clone();
                b[i] ^= x;
                let _ = RecordBatch::decode(&b);
            }
        }
    }

    #[test]
    fn concat_split_slice() {
        let b = sample();
        let parts = b.split(3);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].len(), 3);
        assert_eq!(parts[1].len(), 1);
        assert_eq!(parts[1].str_value("S", 0), Some(""));
        assert_eq!(RecordBatch::concat(&parts).unwrap(), b);
        let singles = b.split(0);
        assert_eq!(singles.len(), 4);
        assert_eq!(RecordBatch::concat(&singles).unwrap(), b);
        assert_eq!(b.split(100), vec![b.clone()]);
        assert_eq!(RecordBatch::concat(std::slice::from_ref(&b)).unwrap(), b);
        assert!(RecordBatch::concat(&[]).is_err());
        let other = RecordBatch::new(vec!["S".into()], vec![Column::Long(vec![], Validity::all_valid())]).unwrap();
        assert!(RecordBatch::concat(&[b.clone(), other]).is_err());
        let s = b.slice(1, 3);
        assert_eq!(s.len(), 2);
        assert_eq!(s.str_value("S", 0), None);
        assert_eq!(s.str_value("S", 1), Some("héllo|x"));
        assert_eq!(b.slice(3, 100).len(), 1);
    }

    fn arb_validity(n: usize) -> impl Strategy<Value = Validity> {
        prop_oneof![Just(Validity::all_valid()), prop::collection::vec(any::<bool>(), n).prop_map(Validity::from_flags),]
    }

    fn arb_column(n: usize) -> BoxedStrategy<Column> {
        prop_oneof![
            prop::collection::vec(prop::option::of(".{0,8}"), n).prop_map(|v| Column::Str(StrColumn::from_options(v))),
            (prop::collection::vec(any::<i32>(), n), arb_validity(n)).prop_map(|(v, m)| Column::Int(v, m)),
            (prop::collection::vec(any::<i64>(), n), arb_validity(n)).prop_map(|(v, m)| Column::Long(v, m)),
            (prop::collection::vec(-1e30f32..1e30f32, n), arb_validity(n)).prop_map(|(v, m)| Column::Float(v, m)),
            (prop::collection::vec(-1e300f64..1e300f64, n), arb_validity(n)).prop_map(|(v, m)| Column::Double(v, m)),
            (prop::collection::vec(any::<bool>(), n), arb_validity(n)).prop_map(|(v, m)| Column::Bool(v, m)),
        ]
        .boxed()
    }

    fn arb_batch() -> impl Strategy<Value = RecordBatch> {
        (0usize..40, 0usize..6).prop_flat_map(|(rows, ncols)| {
            prop::collection::vec(arb_column(rows), ncols).prop_map(|cols| {
                let names = (0..cols.len()).map(|i| format!("C{i}")).collect();
                RecordBatch::new(names, cols).unwrap()
            })
        })
    }

    proptest! {
        #[test]
        fn prop_round_trip(b in arb_batch()) {
            let enc = b.encode();
            prop_assert_eq!(RecordBatch::decode(&enc).unwrap(), b.clone());
            let parts = b.split(7);
            prop_assert_eq!(RecordBatch::concat(&parts).unwrap(), b);
        }

        #[test]
        fn prop_decode_garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = RecordBatch::decode(&bytes);
            let mut with_magic = b"RKOB\x01\x00\x00\x00".to_vec();
            with_magic.extend_from_slice(&bytes);
            let _ = RecordBatch::decode(&with_magic);
        }
    }
}
