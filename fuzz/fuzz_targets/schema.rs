//! Avro schema documents (CreateSchema): parsing, the per-dataset-type rules, and what the
//! service builds from an accepted schema (batches, attribute tables, featurizers).
//!
//! Input: the schema JSON text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reko_dataset::{parse_schema, DatasetType, Domain, Featurizer, RecordBatch, RecordBatchBuilder, Value};
use reko_filter::AttributeTable;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(schema) = parse_schema(text) else { return };
    let _ = (schema.field_names(), schema.dataset_type());
    let empty = RecordBatch::empty(&schema);
    for dt in DatasetType::ALL {
        for domain in [Some(Domain::Ecommerce), Some(Domain::VideoOnDemand)] {
            let _ = schema.check_for(dt, domain);
        }
        // Everything below only ever sees schemas that CreateDataset accepted.
        if schema.check_for(dt, None).is_err() {
            continue;
        }
        let mut builder = RecordBatchBuilder::new(&schema, &[]);
        let row = builder.push_row();
        for (i, f) in schema.fields.iter().enumerate() {
            if f.name.ends_with("_ID") || !f.nullable {
                row[i] = match f.field_type {
                    reko_dataset::FieldType::String => Value::Str("x|y".into()),
                    reko_dataset::FieldType::Boolean => Value::Bool(true),
                    reko_dataset::FieldType::Float | reko_dataset::FieldType::Double => Value::Double(1.5),
                    _ => Value::Long(7),
                };
            }
        }
        let batch = builder.finish();
        let featurizer = Featurizer::new(&schema, dt, None, &[]);
        let mut tokens = Vec::new();
        featurizer.tokens(&batch, 0, &mut tokens);
        if matches!(dt, DatasetType::Items | DatasetType::Users | DatasetType::Actions) {
            let mut table = AttributeTable::new(&schema);
            let _ = table.upsert_batch(&empty);
            let _ = table.upsert_batch(&batch);
        }
    }
});
