//! reko-dataset: schemas, dataset kinds, data locations, columnar record
//! batches and their binary codec ([`codec`], shared with the engine's model payloads) and
//! the bulk CSV importer.
//!
//! [`movielens`] reads the MovieLens 100K files the tests and benchmarks share.
//!
//! This crate performs no I/O beyond reading local files.

pub mod batch;
pub mod codec;
pub mod dataset_type;
pub mod error;
pub mod features;
pub mod import;
pub mod location;
pub mod movielens;
pub mod record;
pub mod schema;

pub use batch::{BatchError, Column, DecodeError, RecordBatch, StrColumn, Validity};
pub use dataset_type::{DatasetType, Domain};
pub use error::ImportError;
pub use features::Featurizer;
pub use import::{
    import_csv, import_csv_streaming, import_csv_with_options, BatchSink, IgnoredColumn, ImportOptions, ImportReport,
    OpenFile, ValueIssue, DEFAULT_BLOCK_BYTES, DEFAULT_MAX_RECORD_BYTES, MAX_REPORTED_ISSUES,
};
pub use location::{local_path, resolve_data_location, resolve_output_folder};
pub use record::{RecordBatchBuilder, Value};
pub use schema::{parse_schema, Field, FieldType, Schema, SchemaError, INTERACTIONS_RESERVED_FIELDS};
