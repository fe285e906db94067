//! One column of a record batch: typed values and their validity.

use super::*;

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
    pub(super) fn append(&mut self, other: &Column) -> Result<(), BatchError> {
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
    pub(super) fn with_capacity_like(&self, rows: usize, batches: &[RecordBatch], idx: usize) -> Column {
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

    pub(super) fn check_validity_len(&self) -> bool {
        self.validity().flags().is_none_or(|f| f.len() == self.len())
    }
}
