//! CSV import rows (CreateDatasetImportJob): header mapping, per-value validation and batch
//! building, sequential and split into pieces parsed in parallel, then what the service does
//! with an imported batch (encoding, attribute tables, feature tokens).
//!
//! Input: one mode byte, then the CSV file. Mode `b'0' + n`: `n & 3` picks the dataset
//! (0 Interactions, 1 Items, 2 Users, 3 ActionInteractions; see `reko_fuzz` for the schemas) and
//! `n & 4` makes the importer split the file into pieces as small as possible (when it holds no
//! `"`) instead of parsing it in one go; `n & 8` streams it in blocks of 7 bytes with records of
//! at most 64 bytes.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use reko_dataset::{import_csv_with_options, DatasetType, Featurizer, ImportOptions};
use reko_filter::AttributeTable;
use reko_fuzz::{action_interactions_schema, exercise_batch, interactions_schema, items_schema, users_schema};

/// The importer reads files: one scratch file per fuzzing process.
fn scratch() -> &'static PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| std::env::temp_dir().join(format!("reko-fuzz-csv-{}.csv", std::process::id())))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, csv)) = data.split_first() else { return };
    let n = mode.wrapping_sub(b'0');
    let (schema, dt) = match n & 3 {
        0 => (interactions_schema(), DatasetType::Interactions),
        1 => (items_schema(), DatasetType::Items),
        2 => (users_schema(), DatasetType::Users),
        _ => (action_interactions_schema(), DatasetType::ActionInteractions),
    };
    let options = if n & 4 != 0 {
        ImportOptions { parallel: true, min_chunk_bytes: 1, ..ImportOptions::default() }
    } else {
        ImportOptions { parallel: false, ..ImportOptions::default() }
    };
    // Tiny blocks: records (quoted line breaks included) cross the streaming parser's blocks, and
    // long ones exceed the record limit.
    let options = if n & 8 != 0 { ImportOptions { block_bytes: 7, max_record_bytes: 64, ..options } } else { options };
    let path = scratch();
    std::fs::write(path, csv).expect("write the scratch CSV file");
    let Ok(batch) = import_csv_with_options(std::slice::from_ref(path), schema, dt, &|_| {}, &options) else {
        return;
    };

    exercise_batch(&batch);
    let rows = batch.len().min(64);
    let featurizer = Featurizer::new(schema, dt, None, &[]);
    let mut tokens = Vec::new();
    for r in 0..rows {
        featurizer.tokens(&batch, r, &mut tokens);
    }
    if matches!(dt, DatasetType::Items | DatasetType::Users) {
        let mut table = AttributeTable::new(schema);
        let _ = table.upsert_batch(&batch);
        let _ = table.upsert_batch(&batch);
    }
});
