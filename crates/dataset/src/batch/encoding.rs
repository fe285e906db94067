//! The compact binary encoding of a record batch.
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

use super::*;
use crate::codec::{ByteReader, ByteWriter, CodecError};

const MAGIC: &[u8; 4] = b"RKOB";
const VERSION: u16 = 1;

impl RecordBatch {
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
        let mut out = ByteWriter::with_capacity(size);
        out.bytes(MAGIC);
        out.u16(VERSION);
        out.u16(0);
        out.u64(self.rows as u64);
        out.u32(self.columns.len() as u32);
        for (name, col) in self.names.iter().zip(&self.columns) {
            out.str(name);
            out.u8(type_tag(col.field_type()));
            match col.validity().flags() {
                None => out.u8(0),
                Some(f) => {
                    out.u8(1);
                    write_bitmap(&mut out, f);
                }
            }
            match col {
                Column::Str(s) => {
                    if s.data.len() <= u32::MAX as usize {
                        out.u8(4);
                        s.offsets.iter().for_each(|&o| out.u32(o as u32));
                    } else {
                        out.u8(8);
                        s.offsets.iter().for_each(|&o| out.u64(o));
                    }
                    out.u64(s.data.len() as u64);
                    out.bytes(s.data.as_bytes());
                }
                Column::Int(v, _) => v.iter().for_each(|&x| out.i32(x)),
                Column::Long(v, _) => v.iter().for_each(|&x| out.i64(x)),
                Column::Float(v, _) => v.iter().for_each(|&x| out.f32(x)),
                Column::Double(v, _) => v.iter().for_each(|&x| out.f64(x)),
                Column::Bool(v, _) => write_bitmap(&mut out, v),
            }
        }
        out.into_bytes()
    }

    /// Decodes a buffer produced by [`RecordBatch::encode`].
    pub fn decode(buf: &[u8]) -> Result<RecordBatch, DecodeError> {
        let mut r = ByteReader::new(buf);
        if r.bytes(4, "magic")? != MAGIC {
            return Err(DecodeError("bad magic".to_string()));
        }
        let version = r.u16("version")?;
        if version != VERSION {
            return Err(DecodeError(format!("unsupported version {version}")));
        }
        let flags = r.u16("flags")?;
        if flags != 0 {
            return Err(DecodeError(format!("unsupported flags {flags:#x}")));
        }
        let rows = r.u64("row count")?;
        let ncols = r.u32("column count")? as usize;
        // each column needs at least 7 bytes: bounds the allocation below
        if ncols > r.remaining() / 7 {
            return Err(DecodeError(format!("{ncols} columns cannot fit in the buffer")));
        }
        let rows: usize = usize::try_from(rows).map_err(|_| DecodeError(format!("row count {rows} too large")))?;
        let mut names = Vec::with_capacity(ncols);
        let mut columns = Vec::with_capacity(ncols);
        for _ in 0..ncols {
            let nlen = r.u32("column name length")? as usize;
            let name = std::str::from_utf8(r.bytes(nlen, "column name")?)
                .map_err(|_| DecodeError("column name is not UTF-8".to_string()))?
                .to_string();
            let tag = r.u8("type tag")?;
            let validity = match r.u8("validity flag")? {
                0 => Validity::all_valid(),
                1 => Validity::from_flags(bitmap(&mut r, rows)?),
                v => return Err(DecodeError(format!("column '{name}': bad validity flag {v}"))),
            };
            let col = match tag {
                0 => {
                    let width = r.u8("offset width")?;
                    let noff = rows.checked_add(1).ok_or_else(|| DecodeError("row count overflow".to_string()))?;
                    let offsets: Vec<u64> = match width {
                        4 => r
                            .fixed(noff, 4, "offsets")?
                            .chunks_exact(4)
                            .map(|c| u32::from_le_bytes(c.try_into().unwrap()) as u64)
                            .collect(),
                        8 => r
                            .fixed(noff, 8, "offsets")?
                            .chunks_exact(8)
                            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
                            .collect(),
                        w => return Err(DecodeError(format!("column '{name}': bad offset width {w}"))),
                    };
                    let dlen = r.u64("data length")?;
                    let dlen = usize::try_from(dlen).map_err(|_| DecodeError("data length too large".to_string()))?;
                    let data = std::str::from_utf8(r.bytes(dlen, "string data")?)
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
                    r.fixed(rows, 4, "values")?
                        .chunks_exact(4)
                        .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
                        .collect(),
                    validity,
                ),
                2 => Column::Long(
                    r.fixed(rows, 8, "values")?
                        .chunks_exact(8)
                        .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
                        .collect(),
                    validity,
                ),
                3 => Column::Float(
                    r.fixed(rows, 4, "values")?
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                        .collect(),
                    validity,
                ),
                4 => Column::Double(
                    r.fixed(rows, 8, "values")?
                        .chunks_exact(8)
                        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                        .collect(),
                    validity,
                ),
                5 => Column::Bool(bitmap(&mut r, rows)?, validity),
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

fn write_bitmap(out: &mut ByteWriter, bits: &[bool]) {
    for chunk in bits.chunks(8) {
        let mut byte = 0u8;
        for (i, &b) in chunk.iter().enumerate() {
            byte |= (b as u8) << i;
        }
        out.u8(byte);
    }
}

fn bitmap(r: &mut ByteReader<'_>, rows: usize) -> Result<Vec<bool>, DecodeError> {
    let bytes = r.bytes(rows.div_ceil(8), "bitmap")?;
    Ok((0..rows).map(|i| bytes[i / 8] >> (i % 8) & 1 == 1).collect())
}

/// The batch format's own messages for what the shared reader reports.
impl From<CodecError> for DecodeError {
    fn from(e: CodecError) -> Self {
        DecodeError(match e {
            CodecError::Truncated { offset, need, left, .. } => {
                format!("truncated: need {need} bytes at offset {offset}, {left} left")
            }
            CodecError::Overflow { .. } => "length overflow".to_string(),
            other => other.to_string(),
        })
    }
}
