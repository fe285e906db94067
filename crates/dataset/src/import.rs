//! Bulk CSV import (reference §4.3): header mapping, per-value validation and
//! columnar batch building.
//!
//! Files are read into memory. When the data after the header contains no
//! `"` (so no field can span lines), a large file is split at newline
//! boundaries and the pieces are parsed in parallel with rayon; otherwise it
//! is parsed sequentially. Both paths produce identical batches and errors.
//!
//! CSV dialect: `,` separator, `"` quotes (doubled `""` allowed), and inside
//! quoted fields a backslash escapes the next character (`\"` → `"`, `\\` →
//! `\`), as the service documents for textual fields. Blank lines are
//! skipped. A UTF-8 byte-order mark at the start of a file is ignored.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::batch::{Column, RecordBatch, StrBuilder, ValidityBuilder};
use crate::dataset_type::DatasetType;
use crate::error::ImportError;
use crate::schema::{FieldType, Schema};

/// Minimum number of records in an Interactions import job (reference §10.2).
pub const MIN_INTERACTIONS_RECORDS: u64 = 1000;
/// Maximum length of a categorical or IMPRESSION value, `|` included.
pub const MAX_CATEGORICAL_CHARS: usize = 1000;
/// Textual values are truncated (not rejected) at this many characters.
pub const MAX_TEXTUAL_CHARS: usize = 20_000;
/// Maximum length of USER_ID / ITEM_ID / ACTION_ID values (reference §10.1).
pub const MAX_ID_CHARS: usize = 256;
/// Progress is reported about every this many rows.
pub const PROGRESS_EVERY: u64 = 100_000;

const ACTION_EVENT_TYPES: &[&str] = &["TAKEN", "NOT_TAKEN", "VIEWED"];
/// How much of an offending value an error message shows.
const SHOW_CHARS: usize = 60;

/// Tuning knobs for [`import_csv_with_options`].
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Allow splitting quote-free files and parsing the pieces in parallel.
    pub parallel: bool,
    /// Smallest piece a file is split into for parallel parsing.
    pub min_chunk_bytes: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions { parallel: true, min_chunk_bytes: 1 << 20 }
    }
}

/// Imports CSV files into one batch with a column per schema field (schema
/// order). `progress` receives the cumulative number of rows parsed, about
/// every [`PROGRESS_EVERY`] rows and once at the end of each file piece; it
/// may be called from several threads (calls are serialised and the values
/// never decrease).
pub fn import_csv(
    files: &[PathBuf],
    schema: &Schema,
    dataset_type: DatasetType,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<RecordBatch, ImportError> {
    import_csv_with_options(files, schema, dataset_type, progress, &ImportOptions::default())
}

/// [`import_csv`] with explicit [`ImportOptions`].
pub fn import_csv_with_options(
    files: &[PathBuf],
    schema: &Schema,
    dataset_type: DatasetType,
    progress: &(dyn Fn(u64) + Sync),
    options: &ImportOptions,
) -> Result<RecordBatch, ImportError> {
    let read = |path: &Path| std::fs::read(path).map_err(|e| e.to_string());
    import_csv_reading(files, schema, dataset_type, progress, options, &read)
}

/// Reads a whole file for [`import_csv_reading`]; the error text becomes the failure's message.
pub type ReadFile<'a> = dyn Fn(&Path) -> Result<Vec<u8>, String> + Sync + 'a;

/// [`import_csv_with_options`] reading each file with `read` (a server opens files its own,
/// checked way).
pub fn import_csv_reading(
    files: &[PathBuf],
    schema: &Schema,
    dataset_type: DatasetType,
    progress: &(dyn Fn(u64) + Sync),
    options: &ImportOptions,
    read: &ReadFile<'_>,
) -> Result<RecordBatch, ImportError> {
    if schema.dataset_type() != Some(dataset_type) {
        return Err(ImportError::Schema(format!(
            "The schema \"{}\" cannot be used for a dataset of type {}",
            schema.name,
            dataset_type.as_wire()
        )));
    }
    if files.is_empty() {
        return Err(ImportError::InvalidLocation("No data files were found.".to_string()));
    }
    let specs: Vec<Spec> = schema
        .fields
        .iter()
        .map(|f| Spec {
            name: &f.name,
            field_type: f.field_type,
            nullable: f.nullable,
            textual: f.textual,
            max_chars: if f.categorical || f.name == "IMPRESSION" {
                Some(MAX_CATEGORICAL_CHARS)
            } else if matches!(f.name.as_str(), "USER_ID" | "ITEM_ID" | "ACTION_ID") {
                Some(MAX_ID_CHARS)
            } else {
                None
            },
            allowed: if dataset_type == DatasetType::ActionInteractions && f.name == "EVENT_TYPE" {
                Some(ACTION_EVENT_TYPES)
            } else {
                None
            },
        })
        .collect();
    let progress = Progress { f: progress, total: AtomicU64::new(0), last: Mutex::new(0) };
    let mut parts: Vec<RecordBatch> = Vec::new();
    for path in files {
        import_file(path, schema, &specs, &progress, options, read, &mut parts)?;
    }
    let batch = if parts.len() == 1 {
        parts.pop().expect("one part")
    } else if parts.is_empty() {
        RecordBatch::empty(schema)
    } else {
        RecordBatch::concat(&parts).map_err(|e| ImportError::Schema(e.to_string()))?
    };
    if dataset_type == DatasetType::Interactions && (batch.len() as u64) < MIN_INTERACTIONS_RECORDS {
        return Err(ImportError::TooFewRecords { found: batch.len() as u64, min: MIN_INTERACTIONS_RECORDS });
    }
    Ok(batch)
}

struct Progress<'a> {
    f: &'a (dyn Fn(u64) + Sync),
    total: AtomicU64,
    last: Mutex<u64>,
}

impl Progress<'_> {
    fn add(&self, n: u64) {
        if n == 0 {
            return;
        }
        let total = self.total.fetch_add(n, Ordering::Relaxed) + n;
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if total > *last {
            *last = total;
            (self.f)(total);
        }
    }
}

/// Validation rules of one schema field.
struct Spec<'a> {
    name: &'a str,
    field_type: FieldType,
    nullable: bool,
    textual: bool,
    max_chars: Option<usize>,
    allowed: Option<&'static [&'static str]>,
}

/// Per-file context shared by all pieces.
struct FileCtx<'a> {
    file: String,
    specs: &'a [Spec<'a>],
    /// CSV column index → schema field index.
    col_map: Vec<usize>,
    /// Schema fields absent from this file (all nullable).
    missing: Vec<usize>,
}

fn csv_reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .double_quote(true)
        .escape(Some(b'\\'))
        .buffer_capacity(1 << 16)
        .from_reader(bytes)
}

/// The 1-based line of the record starting at byte `start` of `bytes`,
/// whose first line is `first_line`. Computed from the bytes (the csv
/// crate's own line counter does not count CRLF terminators reliably); a
/// record position may point at skipped blank lines, which are stepped over.
fn line_at(bytes: &[u8], first_line: u64, start: u64) -> u64 {
    let mut start = (start as usize).min(bytes.len());
    while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
        start += 1;
    }
    first_line + count_newlines(&bytes[..start])
}

fn count_newlines(b: &[u8]) -> u64 {
    b.iter().filter(|&&c| c == b'\n').count() as u64
}

fn import_file(
    path: &Path,
    schema: &Schema,
    specs: &[Spec<'_>],
    progress: &Progress<'_>,
    options: &ImportOptions,
    read: &ReadFile<'_>,
    parts: &mut Vec<RecordBatch>,
) -> Result<(), ImportError> {
    let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
    let data = read(path).map_err(|message| ImportError::Io { file: file.clone(), message })?;
    let bytes = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&data);

    // ---- header
    let mut rdr = csv_reader(bytes);
    let mut header = csv::ByteRecord::new();
    let header_err = |message: String| ImportError::Header { file: file.clone(), line: 1, message };
    loop {
        match rdr.read_byte_record(&mut header) {
            Ok(true) if is_blank(&header) => continue,
            Ok(true) => break,
            Ok(false) => {
                return Err(header_err("the file is empty; expected a header row with the column names".into()))
            }
            Err(e) => return Err(header_err(format!("malformed CSV header: {e}"))),
        }
    }
    let mut header_end = (rdr.position().byte() as usize).min(bytes.len());
    // The reader may stop between the `\r` and `\n` of a CRLF terminator;
    // start the body at the beginning of a line so line numbers stay exact.
    if header_end > 0 && bytes[header_end - 1] == b'\r' && bytes.get(header_end) == Some(&b'\n') {
        header_end += 1;
    }
    let header_line = line_at(bytes, 1, header.position().map_or(0, |p| p.byte()));
    let header_err = |message: String| ImportError::Header { file: file.clone(), line: header_line, message };
    let mut col_map = Vec::with_capacity(header.len());
    let mut seen = HashSet::new();
    let mut unknown = Vec::new();
    for raw in header.iter() {
        let name = String::from_utf8_lossy(raw);
        if !seen.insert(name.to_string()) {
            return Err(header_err(format!("the column '{name}' appears more than once in the header")));
        }
        match schema.field_index(&name) {
            Some(i) => col_map.push(i),
            None => unknown.push(name.into_owned()),
        }
    }
    let missing_required: Vec<&str> =
        schema.fields.iter().filter(|f| !f.nullable && !seen.contains(&f.name)).map(|f| f.name.as_str()).collect();
    if !missing_required.is_empty() {
        return Err(header_err(format!(
            "Input CSV is missing the following columns: [{}]",
            missing_required.join(", ")
        )));
    }
    if !unknown.is_empty() {
        return Err(header_err(format!("Input CSV has columns that are not in the schema: [{}]", unknown.join(", "))));
    }
    let missing: Vec<usize> = (0..schema.fields.len()).filter(|&i| !col_map.contains(&i)).collect();
    let ctx = FileCtx { file, specs, col_map, missing };

    // ---- body
    let body = &bytes[header_end..];
    let body_first_line = 1 + count_newlines(&bytes[..header_end]);
    let threads = rayon::current_num_threads().max(1);
    let n_chunks = if options.parallel { (body.len() / options.min_chunk_bytes.max(1)).min(threads * 4) } else { 1 };
    if n_chunks <= 1 || body.contains(&b'"') {
        let cols = parse_piece(body, body_first_line, 0, &ctx, progress)?;
        parts.push(finish(schema, cols)?);
        return Ok(());
    }
    // split at newline boundaries
    let mut bounds = vec![0usize];
    let target = body.len() / n_chunks;
    for k in 1..n_chunks {
        let from = (k * target).max(*bounds.last().expect("nonempty"));
        match body[from..].iter().position(|&c| c == b'\n') {
            Some(p) if from + p + 1 < body.len() => bounds.push(from + p + 1),
            _ => break,
        }
    }
    bounds.push(body.len());
    bounds.dedup();
    let pieces: Vec<&[u8]> = bounds.windows(2).map(|w| &body[w[0]..w[1]]).collect();
    let newlines: Vec<u64> = pieces.par_iter().map(|p| count_newlines(p)).collect();
    let mut first_lines = Vec::with_capacity(pieces.len());
    let mut line = body_first_line;
    for n in &newlines {
        first_lines.push(line);
        line += n;
    }
    let results: Vec<Result<RecordBatch, ImportError>> = pieces
        .par_iter()
        .zip(first_lines.par_iter())
        .zip(newlines.par_iter())
        .map(|((piece, &first), &nl)| {
            let cols = parse_piece(piece, first, nl as usize, &ctx, progress)?;
            finish(schema, cols)
        })
        .collect();
    for r in results {
        parts.push(r?);
    }
    Ok(())
}

fn finish(schema: &Schema, cols: Vec<Builder>) -> Result<RecordBatch, ImportError> {
    let names = schema.fields.iter().map(|f| f.name.clone()).collect();
    RecordBatch::new(names, cols.into_iter().map(Builder::finish).collect())
        .map_err(|e| ImportError::Schema(e.to_string()))
}

#[inline]
fn is_blank(rec: &csv::ByteRecord) -> bool {
    rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty())
}

fn parse_piece(
    bytes: &[u8],
    first_line: u64,
    rows_hint: usize,
    ctx: &FileCtx<'_>,
    progress: &Progress<'_>,
) -> Result<Vec<Builder>, ImportError> {
    let mut builders: Vec<Builder> = ctx.specs.iter().map(|s| Builder::new(s.field_type, rows_hint)).collect();
    let mut rdr = csv_reader(bytes);
    let mut rec = csv::ByteRecord::new();
    let ncols = ctx.col_map.len();
    let mut rows: usize = 0;
    let mut unreported: u64 = 0;
    let line_of = |rec: &csv::ByteRecord| line_at(bytes, first_line, rec.position().map_or(0, |p| p.byte()));
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = line_at(bytes, first_line, e.position().map_or(0, |p| p.byte()));
                return Err(ImportError::Csv { file: ctx.file.clone(), line, message: e.to_string() });
            }
        }
        if rec.len() != ncols {
            if is_blank(&rec) {
                continue;
            }
            return Err(ImportError::FieldCount {
                file: ctx.file.clone(),
                line: line_of(&rec),
                expected: ncols,
                found: rec.len(),
            });
        }
        if ncols == 1 && is_blank(&rec) {
            continue;
        }
        for (i, field) in rec.iter().enumerate() {
            let target = ctx.col_map[i];
            if let Err(message) = builders[target].push(field, &ctx.specs[target]) {
                return Err(ImportError::Value {
                    file: ctx.file.clone(),
                    line: line_of(&rec),
                    column: ctx.specs[target].name.to_string(),
                    message,
                });
            }
        }
        rows += 1;
        unreported += 1;
        if unreported == PROGRESS_EVERY {
            progress.add(unreported);
            unreported = 0;
        }
    }
    progress.add(unreported);
    for &m in &ctx.missing {
        builders[m].push_nulls(rows);
    }
    Ok(builders)
}

/// Shows a value in an error message, truncated.
fn show(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    let mut out = String::from("'");
    let mut chars = s.chars();
    out.extend(chars.by_ref().take(SHOW_CHARS));
    out.push('\'');
    if chars.next().is_some() {
        out.push_str(&format!(" (truncated, {} characters in all)", s.chars().count()));
    }
    out
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

#[inline]
fn parse_i64(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?;
        v = if neg { v.checked_sub(d as i64)? } else { v.checked_add(d as i64)? };
    }
    Some(v)
}

enum Builder {
    Str(StrBuilder),
    Int(Vec<i32>, ValidityBuilder),
    Long(Vec<i64>, ValidityBuilder),
    Float(Vec<f32>, ValidityBuilder),
    Double(Vec<f64>, ValidityBuilder),
    Bool(Vec<bool>, ValidityBuilder),
}

impl Builder {
    fn new(t: FieldType, rows: usize) -> Builder {
        match t {
            FieldType::String => Builder::Str(StrBuilder::with_capacity(rows, rows * 8)),
            FieldType::Int => Builder::Int(Vec::with_capacity(rows), ValidityBuilder::default()),
            FieldType::Long => Builder::Long(Vec::with_capacity(rows), ValidityBuilder::default()),
            FieldType::Float => Builder::Float(Vec::with_capacity(rows), ValidityBuilder::default()),
            FieldType::Double => Builder::Double(Vec::with_capacity(rows), ValidityBuilder::default()),
            FieldType::Boolean => Builder::Bool(Vec::with_capacity(rows), ValidityBuilder::default()),
        }
    }

    fn finish(self) -> Column {
        match self {
            Builder::Str(b) => Column::Str(b.finish()),
            Builder::Int(v, m) => Column::Int(v, m.finish()),
            Builder::Long(v, m) => Column::Long(v, m.finish()),
            Builder::Float(v, m) => Column::Float(v, m.finish()),
            Builder::Double(v, m) => Column::Double(v, m.finish()),
            Builder::Bool(v, m) => Column::Bool(v, m.finish()),
        }
    }

    fn push_nulls(&mut self, n: usize) {
        match self {
            Builder::Str(b) => b.push_nulls(n),
            Builder::Int(v, m) => {
                m.push_nulls(v.len(), n);
                v.resize(v.len() + n, 0);
            }
            Builder::Long(v, m) => {
                m.push_nulls(v.len(), n);
                v.resize(v.len() + n, 0);
            }
            Builder::Float(v, m) => {
                m.push_nulls(v.len(), n);
                v.resize(v.len() + n, 0.0);
            }
            Builder::Double(v, m) => {
                m.push_nulls(v.len(), n);
                v.resize(v.len() + n, 0.0);
            }
            Builder::Bool(v, m) => {
                m.push_nulls(v.len(), n);
                v.resize(v.len() + n, false);
            }
        }
    }

    /// Validates and appends one raw CSV value; the error is the message
    /// (file/line/column are added by the caller).
    #[inline]
    fn push(&mut self, raw: &[u8], spec: &Spec<'_>) -> Result<(), String> {
        if let Builder::Str(b) = self {
            return push_str(b, raw, spec);
        }
        let v = trim_ascii(raw);
        if v.is_empty() {
            if !spec.nullable {
                return Err(format!("empty value, but the field is not nullable (type {})", spec.field_type));
            }
            self.push_nulls(1);
            return Ok(());
        }
        let bad = |what: &str| format!("{} is not a valid {what}", show(raw));
        match self {
            Builder::Str(_) => unreachable!("handled above"),
            Builder::Long(vals, m) => {
                vals.push(parse_i64(v).ok_or_else(|| bad("long"))?);
                m.push_valid();
            }
            Builder::Int(vals, m) => {
                let x = parse_i64(v).ok_or_else(|| bad("int"))?;
                vals.push(i32::try_from(x).map_err(|_| bad("int (out of range)"))?);
                m.push_valid();
            }
            Builder::Float(vals, m) => {
                let x = std::str::from_utf8(v)
                    .ok()
                    .and_then(|s| s.parse::<f32>().ok())
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| bad("float"))?;
                vals.push(x);
                m.push_valid();
            }
            Builder::Double(vals, m) => {
                let x = std::str::from_utf8(v)
                    .ok()
                    .and_then(|s| s.parse::<f64>().ok())
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| bad("double"))?;
                vals.push(x);
                m.push_valid();
            }
            Builder::Bool(vals, m) => {
                let x = match v {
                    b"true" => true,
                    b"false" => false,
                    _ => return Err(bad("boolean (use lower-case true or false)")),
                };
                vals.push(x);
                m.push_valid();
            }
        }
        Ok(())
    }
}

#[inline]
fn push_str(b: &mut StrBuilder, raw: &[u8], spec: &Spec<'_>) -> Result<(), String> {
    if raw.is_empty() {
        if spec.nullable {
            b.push_null();
            return Ok(());
        }
        return Err("empty value, but the field is not nullable (type string)".to_string());
    }
    let s = std::str::from_utf8(raw).map_err(|_| format!("{} is not valid UTF-8", show(raw)))?;
    if spec.textual {
        if s.len() > MAX_TEXTUAL_CHARS {
            if let Some((cut, _)) = s.char_indices().nth(MAX_TEXTUAL_CHARS) {
                b.push(&s[..cut]);
                return Ok(());
            }
        }
        b.push(s);
        return Ok(());
    }
    if let Some(max) = spec.max_chars {
        if s.len() > max {
            let n = s.chars().count();
            if n > max {
                return Err(format!("{} is {n} characters long; the maximum is {max}", show(raw)));
            }
        }
    }
    if let Some(allowed) = spec.allowed {
        if !allowed.contains(&s) {
            return Err(format!("{} is not a valid value; expected one of {}", show(raw), allowed.join(", ")));
        }
    }
    b.push(s);
    Ok(())
}

#[cfg(test)]
mod tests;
