//! Bulk CSV import (reference §4.3): header mapping, per-value validation and
//! columnar batch building.
//!
//! Files are streamed: each is read from a [`std::io::Read`] in blocks of
//! [`ImportOptions::block_bytes`], and every block's complete records become record
//! batches handed to a [`BatchSink`] in file order, so memory does not grow with the
//! file size (a block, its batches and their encodings at a time). When a block
//! contains no `"` (so no field can span lines), it is split at newline boundaries
//! and the pieces are parsed in parallel with rayon; otherwise it is parsed
//! sequentially. Both paths produce identical batches and errors. A record that
//! does not end within a block is carried over to the next one; one longer than
//! [`ImportOptions::max_record_bytes`] fails the import.
//!
//! CSV dialect: `,` separator, `"` quotes (doubled `""` allowed), and inside
//! quoted fields a backslash escapes the next character (`\"` → `"`, `\\` →
//! `\`), as the service documents for textual fields. Blank lines are
//! skipped. A UTF-8 byte-order mark at the start of a file is ignored.
//!
//! Header names match schema field names case-insensitively (`ITEM_ID,genres` for the
//! fields `ITEM_ID, GENRES`); a header naming one field twice, or matching several fields
//! only by case, is an error naming it.
//!
//! Numeric values (`int`, `long`, `float`, `double`) are read leniently unless
//! [`ImportOptions::strict_numbers`]: a value that is not a number (or an empty one) of a
//! nullable field becomes null, and a row with such a value in a non-nullable field is
//! skipped. Both are counted in the [`ImportReport`], with the first
//! [`MAX_REPORTED_ISSUES`] lines and values. Strictly, the first such value fails the import.

use std::io::Read;
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
/// Default [`ImportOptions::block_bytes`]: 16 MiB of CSV at a time.
pub const DEFAULT_BLOCK_BYTES: usize = 16 << 20;
/// Default [`ImportOptions::max_record_bytes`]: a record (a line, or the lines of a record
/// with quoted line breaks) may be up to 8 MiB long.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 8 << 20;

const ACTION_EVENT_TYPES: &[&str] = &["TAKEN", "NOT_TAKEN", "VIEWED"];
/// How much of an offending value an error message shows.
const SHOW_CHARS: usize = 60;
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How many coerced values or skipped rows an [`ImportReport`] shows by line.
pub const MAX_REPORTED_ISSUES: usize = 5;

/// Tuning knobs for [`import_csv_with_options`] and [`import_csv_streaming`].
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Fail the import on the first empty or non-numeric value of a numeric field, instead of
    /// setting it to null (nullable fields) or skipping its row (non-nullable ones).
    pub strict_numbers: bool,
    /// Allow splitting quote-free blocks and parsing the pieces in parallel.
    pub parallel: bool,
    /// Smallest piece a block is split into for parallel parsing.
    pub min_chunk_bytes: usize,
    /// Bytes of CSV read and parsed at a time; the memory an import needs is a small multiple
    /// of this, whatever the file size.
    pub block_bytes: usize,
    /// Longest record accepted; a longer one fails the import naming its line.
    pub max_record_bytes: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            strict_numbers: false,
            parallel: true,
            min_chunk_bytes: 1 << 20,
            block_bytes: DEFAULT_BLOCK_BYTES,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        }
    }
}

/// A numeric value a lenient import could not read (see [`ImportOptions::strict_numbers`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueIssue {
    pub file: String,
    /// 1-based line of the record.
    pub line: u64,
    /// The schema field.
    pub column: String,
    /// The raw value (truncated, quoted as in error messages).
    pub value: String,
    /// Whether the row was skipped (a non-nullable field); otherwise the value became null.
    pub row_skipped: bool,
}

impl std::fmt::Display for ValueIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.row_skipped { "row skipped" } else { "set to null" };
        write!(f, "{} line {}, column {}: {} {what}", self.file, self.line, self.column, self.value)
    }
}

/// What an import read, and what it had to coerce or skip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows imported (skipped rows not counted).
    pub rows: u64,
    /// Values of nullable numeric fields that were not numbers and became null.
    pub nulled_values: u64,
    /// Rows skipped for an empty or non-numeric value in a non-nullable numeric field.
    pub skipped_rows: u64,
    /// The first [`MAX_REPORTED_ISSUES`] of those, in file order.
    pub issues: Vec<ValueIssue>,
}

impl ImportReport {
    /// `None` when nothing was coerced or skipped; else e.g. `2 non-numeric values set to null,
    /// 1 row skipped (items.csv line 4, column YEAR: 'n/a' set to null; ...)`.
    pub fn coercions(&self) -> Option<String> {
        if self.nulled_values == 0 && self.skipped_rows == 0 {
            return None;
        }
        let mut parts = Vec::new();
        if self.nulled_values > 0 {
            let n = self.nulled_values;
            parts.push(format!("{n} non-numeric value{} set to null", if n == 1 { "" } else { "s" }));
        }
        if self.skipped_rows > 0 {
            let n = self.skipped_rows;
            parts.push(format!(
                "{n} row{} skipped for an empty or non-numeric value in a non-nullable numeric field",
                if n == 1 { "" } else { "s" }
            ));
        }
        let shown: Vec<String> = self.issues.iter().map(ToString::to_string).collect();
        let more = if (self.nulled_values + self.skipped_rows) as usize > shown.len() { "; ..." } else { "" };
        Some(format!("{} ({}{more})", parts.join(", "), shown.join("; ")))
    }

    fn merge(&mut self, other: Tally) {
        self.nulled_values += other.nulled_values;
        self.skipped_rows += other.skipped_rows;
        let room = MAX_REPORTED_ISSUES.saturating_sub(self.issues.len());
        self.issues.extend(other.issues.into_iter().take(room));
    }
}

/// The coercions of one piece of a file.
#[derive(Debug, Default)]
struct Tally {
    nulled_values: u64,
    skipped_rows: u64,
    issues: Vec<ValueIssue>,
}

impl Tally {
    fn note(&mut self, issue: ValueIssue) {
        if issue.row_skipped {
            self.skipped_rows += 1;
        } else {
            self.nulled_values += 1;
        }
        if self.issues.len() < MAX_REPORTED_ISSUES {
            self.issues.push(issue);
        }
    }
}

/// Where a streaming import puts its record batches.
///
/// [`BatchSink::encode`] runs on the parser's worker threads (in parallel, in any order);
/// [`BatchSink::write`] then receives the results one at a time in file order. An error of
/// either fails the import with [`ImportError::Output`].
pub trait BatchSink: Sync {
    /// What a batch becomes before it is written (e.g. its encoding).
    type Encoded: Send;
    fn encode(&self, batch: RecordBatch) -> Result<Self::Encoded, String>;
    fn write(&mut self, encoded: Self::Encoded) -> Result<(), String>;
}

/// Opens a data file for [`import_csv_streaming`]; the error text becomes the failure's message.
pub type OpenFile<'a> = dyn Fn(&Path) -> Result<Box<dyn Read + 'a>, String> + 'a;

/// Imports CSV files into one batch with a column per schema field (schema
/// order). `progress` receives the cumulative number of rows parsed, about
/// every [`PROGRESS_EVERY`] rows and once at the end of each file piece; it
/// may be called from several threads (calls are serialised and the values
/// never decrease). The whole result is in memory: servers use
/// [`import_csv_streaming`].
pub fn import_csv(
    files: &[PathBuf],
    schema: &Schema,
    dataset_type: DatasetType,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<RecordBatch, ImportError> {
    import_csv_with_options(files, schema, dataset_type, progress, &ImportOptions::default())
}

/// Collects the batches of a streaming import (for [`import_csv_with_options`]).
struct Collect(Vec<RecordBatch>);

impl BatchSink for Collect {
    type Encoded = RecordBatch;
    fn encode(&self, batch: RecordBatch) -> Result<RecordBatch, String> {
        Ok(batch)
    }
    fn write(&mut self, batch: RecordBatch) -> Result<(), String> {
        self.0.push(batch);
        Ok(())
    }
}

/// [`import_csv`] with explicit [`ImportOptions`].
pub fn import_csv_with_options(
    files: &[PathBuf],
    schema: &Schema,
    dataset_type: DatasetType,
    progress: &(dyn Fn(u64) + Sync),
    options: &ImportOptions,
) -> Result<RecordBatch, ImportError> {
    let open = |path: &Path| -> Result<Box<dyn Read>, String> {
        std::fs::File::open(path).map(|f| Box::new(f) as Box<dyn Read>).map_err(|e| e.to_string())
    };
    let mut parts = Collect(Vec::new());
    import_csv_streaming(files, schema, dataset_type, progress, options, &open, &mut parts)?;
    let mut parts = parts.0;
    Ok(match parts.len() {
        0 => RecordBatch::empty(schema),
        1 => parts.pop().expect("one part"),
        _ => RecordBatch::concat(&parts).map_err(|e| ImportError::Schema(e.to_string()))?,
    })
}

/// Streams CSV files (each opened with `open`, read in blocks of
/// [`ImportOptions::block_bytes`]) into `sink` as record batches with a column per schema
/// field (schema order), in file order; returns what was imported (rows, and the numeric
/// values it set to null or rows it skipped, see [`ImportOptions::strict_numbers`]). Every row
/// is validated before its batch is handed on, and the first invalid row fails the import: a
/// sink that must be atomic stages what it receives and commits only after this returns `Ok`.
/// The Interactions minimum of [`MIN_INTERACTIONS_RECORDS`] counts the rows kept.
/// `progress` is as in [`import_csv`].
pub fn import_csv_streaming<S: BatchSink>(
    files: &[PathBuf],
    schema: &Schema,
    dataset_type: DatasetType,
    progress: &(dyn Fn(u64) + Sync),
    options: &ImportOptions,
    open: &OpenFile<'_>,
    sink: &mut S,
) -> Result<ImportReport, ImportError> {
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
    let mut report = ImportReport::default();
    for path in files {
        import_file(path, schema, &specs, &progress, options, open, sink, &mut report)?;
    }
    if dataset_type == DatasetType::Interactions && report.rows < MIN_INTERACTIONS_RECORDS {
        return Err(ImportError::TooFewRecords { found: report.rows, min: MIN_INTERACTIONS_RECORDS });
    }
    Ok(report)
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
    schema: &'a Schema,
    specs: &'a [Spec<'a>],
    /// CSV column index → schema field index.
    col_map: Vec<usize>,
    /// Schema fields absent from this file (all nullable).
    missing: Vec<usize>,
    /// Numeric values that cannot be read are coerced or their rows skipped (not errors).
    lenient: bool,
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

/// Appends `want` more bytes from `reader` to `buf` (fewer when the input ends); returns whether
/// it ended.
fn fill(reader: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
    buf.reserve_exact(want);
    let got = reader.take(want as u64).read_to_end(buf)?;
    Ok(got < want)
}

/// The header record of a file whose first bytes are `bytes`: the record, the byte where the
/// body starts and the header's line; `None` when more bytes are needed (`eof`: there are none).
fn parse_header(bytes: &[u8], eof: bool) -> Result<Option<(csv::ByteRecord, usize, u64)>, String> {
    let mut rdr = csv_reader(bytes);
    let mut header = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut header) {
            Ok(true) if is_blank(&header) => continue,
            Ok(true) => break,
            Ok(false) if eof => return Err("the file is empty; expected a header row with the column names".into()),
            Ok(false) => return Ok(None),
            Err(e) => return Err(format!("malformed CSV header: {e}")),
        }
    }
    let mut header_end = (rdr.position().byte() as usize).min(bytes.len());
    if header_end >= bytes.len() && !eof {
        // The header may go on in bytes not read yet.
        return Ok(None);
    }
    // The reader may stop between the `\r` and `\n` of a CRLF terminator;
    // start the body at the beginning of a line so line numbers stay exact.
    if header_end > 0 && bytes[header_end - 1] == b'\r' && bytes.get(header_end) == Some(&b'\n') {
        header_end += 1;
    }
    let header_line = line_at(bytes, 1, header.position().map_or(0, |p| p.byte()));
    Ok(Some((header, header_end, header_line)))
}

#[allow(clippy::too_many_arguments)]
fn import_file<S: BatchSink>(
    path: &Path,
    schema: &Schema,
    specs: &[Spec<'_>],
    progress: &Progress<'_>,
    options: &ImportOptions,
    open: &OpenFile<'_>,
    sink: &mut S,
    report: &mut ImportReport,
) -> Result<(), ImportError> {
    let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
    let io_err = |message: String| ImportError::Io { file: file.clone(), message };
    let mut reader = open(path).map_err(io_err)?;
    let block = options.block_bytes.max(1);
    let max_record = options.max_record_bytes.max(1);
    let mut buf: Vec<u8> = Vec::new();
    let mut eof = fill(&mut *reader, &mut buf, block).map_err(|e| io_err(e.to_string()))?;
    if buf.starts_with(BOM) {
        buf.drain(..BOM.len());
    }

    // ---- header
    let (header, header_end, header_line) = loop {
        let header_err = |message: String| ImportError::Header { file: file.clone(), line: 1, message };
        if let Some(found) = parse_header(&buf, eof).map_err(header_err)? {
            break found;
        }
        if buf.len() >= max_record {
            return Err(ImportError::Header {
                file: file.clone(),
                line: 1,
                message: format!("the header row does not end within {max_record} bytes"),
            });
        }
        eof = fill(&mut *reader, &mut buf, block).map_err(|e| io_err(e.to_string()))?;
    };
    let header_err = |message: String| ImportError::Header { file: file.clone(), line: header_line, message };
    let col_map = map_header(&header, schema).map_err(header_err)?;
    let missing_required: Vec<&str> = schema
        .fields
        .iter()
        .enumerate()
        .filter(|(i, f)| !f.nullable && !col_map.contains(&Some(*i)))
        .map(|(_, f)| f.name.as_str())
        .collect();
    if !missing_required.is_empty() {
        return Err(header_err(format!(
            "Input CSV is missing the following columns: [{}]",
            missing_required.join(", ")
        )));
    }
    let unknown: Vec<String> = header
        .iter()
        .zip(&col_map)
        .filter(|(_, m)| m.is_none())
        .map(|(raw, _)| String::from_utf8_lossy(raw).into_owned())
        .collect();
    if !unknown.is_empty() {
        return Err(header_err(format!("Input CSV has columns that are not in the schema: [{}]", unknown.join(", "))));
    }
    let col_map: Vec<usize> = col_map.into_iter().flatten().collect();
    let missing: Vec<usize> = (0..schema.fields.len()).filter(|i| !col_map.contains(i)).collect();
    let ctx = FileCtx { file: file.clone(), schema, specs, col_map, missing, lenient: !options.strict_numbers };

    // ---- body, a block at a time
    let mut line = 1 + count_newlines(&buf[..header_end]);
    buf.drain(..header_end);
    loop {
        let consumed = parse_block(&buf, line, eof, &ctx, progress, options, sink, report)?;
        if eof {
            return Ok(());
        }
        line += count_newlines(&buf[..consumed]);
        buf.drain(..consumed);
        // What is left is the start of a record that did not end in the block.
        if buf.len() > max_record {
            return Err(ImportError::Csv {
                file: file.clone(),
                line: line_at(&buf, line, 0),
                message: format!("the record does not end within {max_record} bytes"),
            });
        }
        eof = fill(&mut *reader, &mut buf, block).map_err(|e| io_err(e.to_string()))?;
    }
}

/// The schema field of each header column (`None`: not in the schema). Names match
/// case-insensitively, an exact match first; a column naming a field another column already
/// named, or matching several fields only by case, is an error naming it.
fn map_header(header: &csv::ByteRecord, schema: &Schema) -> Result<Vec<Option<usize>>, String> {
    let mut col_map: Vec<Option<usize>> = Vec::with_capacity(header.len());
    let mut names: Vec<String> = Vec::with_capacity(header.len());
    for raw in header.iter() {
        let name = String::from_utf8_lossy(raw).into_owned();
        if names.contains(&name) {
            return Err(format!("the column '{name}' appears more than once in the header"));
        }
        let index = match schema.field_index(&name) {
            Some(i) => Some(i),
            None => {
                let matches: Vec<usize> =
                    (0..schema.fields.len()).filter(|&i| schema.fields[i].name.eq_ignore_ascii_case(&name)).collect();
                if matches.len() > 1 {
                    let fields: Vec<&str> = matches.iter().map(|&i| schema.fields[i].name.as_str()).collect();
                    return Err(format!(
                        "the column '{name}' matches several schema fields ({}); header names match field names case-insensitively",
                        fields.join(", ")
                    ));
                }
                matches.first().copied()
            }
        };
        if let Some(i) = index {
            if let Some(other) = col_map.iter().position(|&m| m == Some(i)) {
                return Err(format!(
                    "the columns '{}' and '{name}' both name the schema field {} (header names match field names case-insensitively)",
                    names[other], schema.fields[i].name
                ));
            }
        }
        col_map.push(index);
        names.push(name);
    }
    Ok(col_map)
}

/// A parsed piece of a block: its encoding, rows and coercions (`None`: no rows).
type PieceResult<E> = Result<(Option<(E, u64)>, Tally), ImportError>;

/// Parses the complete records of `bytes` (all of them when `last`, else up to the last
/// record that surely ended), whose first line is `first_line`, and hands their batches to
/// `sink`; adds their rows and coercions to `report` and returns the bytes consumed.
#[allow(clippy::too_many_arguments)]
fn parse_block<S: BatchSink>(
    bytes: &[u8],
    first_line: u64,
    last: bool,
    ctx: &FileCtx<'_>,
    progress: &Progress<'_>,
    options: &ImportOptions,
    sink: &mut S,
    report: &mut ImportReport,
) -> Result<usize, ImportError> {
    let output = |message: String| ImportError::Output(format!("{}: {message}", ctx.file));
    if bytes.contains(&b'"') {
        // A quoted field may span lines: sequentially, stopping before a record that may go on.
        let (cols, rows, consumed, tally) = parse_piece(bytes, first_line, 0, last, ctx, progress)?;
        if rows > 0 {
            let encoded = sink.encode(finish(ctx.schema, cols)?).map_err(output)?;
            sink.write(encoded).map_err(output)?;
        }
        report.rows += rows as u64;
        report.merge(tally);
        return Ok(consumed);
    }
    // No quotes: every newline ends a record.
    let end = if last {
        bytes.len()
    } else {
        match bytes.iter().rposition(|&c| c == b'\n') {
            Some(p) => p + 1,
            None => return Ok(0),
        }
    };
    let body = &bytes[..end];
    let threads = rayon::current_num_threads().max(1);
    let n_chunks = if options.parallel { (body.len() / options.min_chunk_bytes.max(1)).min(threads * 4) } else { 1 };
    let mut bounds = vec![0usize];
    if n_chunks > 1 {
        // split at newline boundaries
        let target = body.len() / n_chunks;
        for k in 1..n_chunks {
            let from = (k * target).max(*bounds.last().expect("nonempty"));
            match body[from..].iter().position(|&c| c == b'\n') {
                Some(p) if from + p + 1 < body.len() => bounds.push(from + p + 1),
                _ => break,
            }
        }
    }
    bounds.push(body.len());
    bounds.dedup();
    let pieces: Vec<&[u8]> = bounds.windows(2).map(|w| &body[w[0]..w[1]]).collect();
    let newlines: Vec<u64> = pieces.par_iter().map(|p| count_newlines(p)).collect();
    let mut first_lines = Vec::with_capacity(pieces.len());
    let mut line = first_line;
    for n in &newlines {
        first_lines.push(line);
        line += n;
    }
    let shared: &S = sink;
    let results: Vec<PieceResult<S::Encoded>> = pieces
        .par_iter()
        .zip(first_lines.par_iter())
        .zip(newlines.par_iter())
        .map(|((piece, &first), &nl)| {
            let (cols, rows, _, tally) = parse_piece(piece, first, nl as usize, true, ctx, progress)?;
            if rows == 0 {
                return Ok((None, tally));
            }
            let encoded = shared.encode(finish(ctx.schema, cols)?).map_err(output)?;
            Ok((Some((encoded, rows as u64)), tally))
        })
        .collect();
    // In file order: the first error fails the import, and the report's lines come in order.
    for r in results {
        let (parsed, tally) = r?;
        if let Some((encoded, n)) = parsed {
            sink.write(encoded).map_err(output)?;
            report.rows += n;
        }
        report.merge(tally);
    }
    Ok(end)
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

/// Parses the records of `bytes` (whose first line is `first_line`) into builders; returns
/// them, the rows, the bytes consumed and the coercions. Unless `last`, a record that reaches
/// the end of `bytes` may go on in bytes not read yet: it is left unparsed (not consumed).
fn parse_piece(
    bytes: &[u8],
    first_line: u64,
    rows_hint: usize,
    last: bool,
    ctx: &FileCtx<'_>,
    progress: &Progress<'_>,
) -> Result<(Vec<Builder>, usize, usize, Tally), ImportError> {
    let mut tally = Tally::default();
    let mut builders: Vec<Builder> = ctx.specs.iter().map(|s| Builder::new(s.field_type, rows_hint)).collect();
    let mut rdr = csv_reader(bytes);
    let mut rec = csv::ByteRecord::new();
    let ncols = ctx.col_map.len();
    let mut rows: usize = 0;
    let mut consumed: usize = 0;
    let mut unreported: u64 = 0;
    let line_of = |rec: &csv::ByteRecord| line_at(bytes, first_line, rec.position().map_or(0, |p| p.byte()));
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => {
                consumed = bytes.len();
                break;
            }
            Err(e) => {
                let line = line_at(bytes, first_line, e.position().map_or(0, |p| p.byte()));
                return Err(ImportError::Csv { file: ctx.file.clone(), line, message: e.to_string() });
            }
        }
        let end = rdr.position().byte() as usize;
        if !last && end >= bytes.len() {
            break;
        }
        if rec.len() != ncols {
            if is_blank(&rec) {
                consumed = end;
                continue;
            }
            return Err(ImportError::FieldCount {
                file: ctx.file.clone(),
                line: line_of(&rec),
                expected: ncols,
                found: rec.len(),
            });
        }
        consumed = end;
        if ncols == 1 && is_blank(&rec) {
            continue;
        }
        let mut skipped = false;
        let (issues_before, nulled_before) = (tally.issues.len(), tally.nulled_values);
        for (i, field) in rec.iter().enumerate() {
            let target = ctx.col_map[i];
            let spec = &ctx.specs[target];
            if let Err(message) = builders[target].push(field, spec) {
                if !(ctx.lenient && spec.field_type.is_numeric()) {
                    return Err(ImportError::Value {
                        file: ctx.file.clone(),
                        line: line_of(&rec),
                        column: spec.name.to_string(),
                        message,
                    });
                }
                // Lenient: a nullable field's value becomes null; otherwise the row is skipped.
                let issue = ValueIssue {
                    file: ctx.file.clone(),
                    line: line_of(&rec),
                    column: spec.name.to_string(),
                    value: show(field),
                    row_skipped: !spec.nullable,
                };
                if spec.nullable {
                    tally.note(issue);
                    builders[target].push_nulls(1);
                } else {
                    // Drop what this row already pushed, and its values already set to null:
                    // the row is reported once, as skipped.
                    builders.iter_mut().for_each(|b| b.truncate(rows));
                    tally.issues.truncate(issues_before);
                    tally.nulled_values = nulled_before;
                    tally.note(issue);
                    skipped = true;
                    break;
                }
            }
        }
        if skipped {
            continue;
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
    Ok((builders, rows, consumed, tally))
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

    /// Drops the rows from `len` on (a skipped row's values).
    fn truncate(&mut self, len: usize) {
        match self {
            Builder::Str(b) => b.truncate(len),
            Builder::Int(v, m) => {
                v.truncate(len);
                m.truncate(len);
            }
            Builder::Long(v, m) => {
                v.truncate(len);
                m.truncate(len);
            }
            Builder::Float(v, m) => {
                v.truncate(len);
                m.truncate(len);
            }
            Builder::Double(v, m) => {
                v.truncate(len);
                m.truncate(len);
            }
            Builder::Bool(v, m) => {
                v.truncate(len);
                m.truncate(len);
            }
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
