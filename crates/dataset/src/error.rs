//! Import errors. The Display text of every error is the dataset import
//! job's `failureReason`.

/// Why a dataset import failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The data location does not exist, is empty, or is malformed.
    #[error("Invalid Data location. {0}")]
    InvalidLocation(String),
    /// A URL this local-file resolver does not read (s3:// locations go through object storage
    /// before reaching it; s3a://, s3n:// and http(s):// are read nowhere).
    #[error("Invalid Data location. '{0}' is not a local path: use s3://bucket/key, a local path or a file:// URL.")]
    UnsupportedLocation(String),
    /// A file could not be read.
    #[error("{file}: could not read the file: {message}")]
    Io { file: String, message: String },
    /// Problem with the header row (missing/unknown/duplicate columns).
    #[error("{file} line {line}: {message}")]
    Header { file: String, line: u64, message: String },
    /// A value failed validation.
    #[error("{file} line {line}, column {column}: {message}")]
    Value { file: String, line: u64, column: String, message: String },
    /// A row with a different number of fields than the header.
    #[error("{file} line {line}: the row has {found} fields but the header has {expected}")]
    FieldCount { file: String, line: u64, expected: usize, found: usize },
    /// The CSV could not be tokenised.
    #[error("{file} line {line}: malformed CSV: {message}")]
    Csv { file: String, line: u64, message: String },
    /// Interactions imports need a minimum number of records.
    #[error("Interactions import jobs require at least {min} records, but the input contains {found}.")]
    TooFewRecords { found: u64, min: u64 },
    /// The schema cannot be used for this import.
    #[error("{0}")]
    Schema(String),
    /// The parsed records could not be stored (a streaming import's sink failed).
    #[error("{0}")]
    Output(String),
}
