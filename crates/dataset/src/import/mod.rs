//! Bulk CSV import (Personalize's dataset import job format; docs/compatibility.md, "Choices and
//! deliberate differences", for Reko's choices): header mapping, per-value validation and
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

mod blocks;
mod values;

use blocks::*;
use values::*;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::batch::{Column, RecordBatch, StrBuilder, ValidityBuilder};
use crate::dataset_type::DatasetType;
use crate::error::ImportError;
use crate::schema::{FieldType, Schema};

/// Minimum number of records in an Interactions import job ("Amazon Personalize endpoints
/// and quotas", <https://docs.aws.amazon.com/general/latest/gr/personalize.html>).
pub const MIN_INTERACTIONS_RECORDS: u64 = 1000;
/// Maximum length of a categorical or IMPRESSION value, `|` included.
pub const MAX_CATEGORICAL_CHARS: usize = 1000;
/// Textual values are truncated (not rejected) at this many characters.
pub const MAX_TEXTUAL_CHARS: usize = 20_000;
/// Maximum length of USER_ID / ITEM_ID / ACTION_ID values (the id length limit of
/// Personalize's API reference).
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
    /// Skip the CSV columns that name no schema field (reported in [`ImportReport::ignored_columns`]),
    /// as Personalize does (a pandas index column, a column the schema leaves out); `false` fails the
    /// import naming them.
    pub ignore_unknown_columns: bool,
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
            ignore_unknown_columns: true,
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
    /// The columns skipped because they name no schema field (see
    /// [`ImportOptions::ignore_unknown_columns`]), in file order.
    pub ignored_columns: Vec<IgnoredColumn>,
}

/// A CSV column an import skipped because it names no schema field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredColumn {
    pub file: String,
    /// 1-based position of the column in the header.
    pub position: usize,
    /// Its header name as written (empty for a pandas index column).
    pub name: String,
}

impl std::fmt::Display for IgnoredColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} column {} '{}'", self.file, self.position, self.name)
    }
}

impl ImportReport {
    /// `None` when nothing was coerced, skipped or ignored; else e.g. `2 non-numeric values set to
    /// null, 1 row skipped (items.csv line 4, column YEAR: 'n/a' set to null; ...)`, and the ignored
    /// columns: `1 column not in the schema ignored (items.csv column 1 '')`.
    pub fn coercions(&self) -> Option<String> {
        let values = self.value_coercions();
        if self.ignored_columns.is_empty() {
            return values;
        }
        let n = self.ignored_columns.len();
        let shown: Vec<String> = self.ignored_columns.iter().map(ToString::to_string).collect();
        let columns =
            format!("{n} column{} not in the schema ignored ({})", if n == 1 { "" } else { "s" }, shown.join("; "));
        Some(match values {
            Some(values) => format!("{values}, {columns}"),
            None => columns,
        })
    }

    fn value_coercions(&self) -> Option<String> {
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
    /// CSV column index → schema field index (`None`: an ignored column).
    col_map: Vec<Option<usize>>,
    /// Schema fields absent from this file (all nullable).
    missing: Vec<usize>,
    /// Numeric values that cannot be read are coerced or their rows skipped (not errors).
    lenient: bool,
}

/// A parsed piece of a block: its encoding, rows and coercions (`None`: no rows).
type PieceResult<E> = Result<(Option<(E, u64)>, Tally), ImportError>;

#[cfg(test)]
mod tests;
