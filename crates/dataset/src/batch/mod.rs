//! Columnar record batches and their compact binary encoding.
//!
//! A [`RecordBatch`] holds one [`Column`] per schema field, in schema order.
//! String columns keep all values in one byte buffer plus an offsets array;
//! nulls are tracked by an optional validity vector ([`Validity`]). The binary encoding, and its
//! format, are in `encoding.rs`.

mod column;
mod encoding;
#[cfg(test)]
mod tests;

pub use column::Column;

use std::collections::HashSet;

use crate::schema::{FieldType, Schema};

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

    /// The rows whose flag in `keep` is true, in order, as a new batch (copied: the new batch
    /// holds no byte of a dropped row). Rows beyond `keep`'s length are dropped.
    pub fn filter_rows(&self, keep: &[bool]) -> RecordBatch {
        let mut runs = Vec::new();
        let mut row = 0;
        while row < self.rows {
            if !keep.get(row).copied().unwrap_or(false) {
                row += 1;
                continue;
            }
            let start = row;
            while row < self.rows && keep.get(row).copied().unwrap_or(false) {
                row += 1;
            }
            runs.push(self.slice(start, row));
        }
        if runs.is_empty() {
            return self.slice(0, 0);
        }
        RecordBatch::concat(&runs).expect("slices of one batch have its columns")
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
}
