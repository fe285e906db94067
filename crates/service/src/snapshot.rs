//! A consistent snapshot of a dataset group's records, interned for the engine.

use reko_dataset::{DatasetType, RecordBatch};
use reko_engine::{TrainingData, TrainingDataBuilder};

use crate::error::{ServiceError, ServiceResult};
use crate::Reko;

impl Reko {
    /// Decoded record batches of a dataset, in insertion order.
    pub(crate) fn dataset_batches(&self, dataset_arn: &str) -> ServiceResult<Vec<RecordBatch>> {
        self.store()
            .read_records(dataset_arn)?
            .iter()
            .map(|chunk| {
                RecordBatch::decode(&chunk.data).map_err(|e| {
                    ServiceError::Internal(format!(
                        "stored records of {dataset_arn} (chunk {}) are corrupt: {e}",
                        chunk.seq
                    ))
                })
            })
            .collect()
    }

    /// Builds the engine's training data from the group's Interactions, Items and Users datasets.
    pub(crate) fn training_data(&self, dataset_group_arn: &str) -> ServiceResult<TrainingData> {
        let mut builder = TrainingDataBuilder::new();
        let interactions = self.dataset_of_type(dataset_group_arn, DatasetType::Interactions)?.ok_or_else(|| {
            ServiceError::Invalid(format!("Dataset group {dataset_group_arn} has no Interactions dataset."))
        })?;
        let batches = self.dataset_batches(&interactions.wire.dataset_arn)?;
        builder.reserve(batches.iter().map(RecordBatch::len).sum());
        for batch in &batches {
            let (Some(users), Some(items), Some(timestamps)) =
                (batch.column("USER_ID"), batch.column("ITEM_ID"), batch.column("TIMESTAMP"))
            else {
                return Err(ServiceError::Internal("interaction records lack USER_ID, ITEM_ID or TIMESTAMP".into()));
            };
            let event_types = batch.column("EVENT_TYPE");
            let event_values = batch.column("EVENT_VALUE");
            for row in 0..batch.len() {
                let (Some(user), Some(item), Some(ts)) =
                    (users.str_value(row), items.str_value(row), timestamps.i64_value(row))
                else {
                    continue;
                };
                builder.push_interaction(
                    user,
                    item,
                    ts,
                    event_types.and_then(|c| c.str_value(row)),
                    event_values.and_then(|c| c.f64_value(row)).map(|v| v as f32),
                );
            }
        }
        if let Some(items) = self.dataset_of_type(dataset_group_arn, DatasetType::Items)? {
            for batch in self.dataset_batches(&items.wire.dataset_arn)? {
                let Some(ids) = batch.column("ITEM_ID") else { continue };
                let created = batch.column("CREATION_TIMESTAMP");
                for row in 0..batch.len() {
                    if let Some(id) = ids.str_value(row) {
                        builder.push_item(id, created.and_then(|c| c.i64_value(row)));
                    }
                }
            }
        }
        if let Some(users) = self.dataset_of_type(dataset_group_arn, DatasetType::Users)? {
            for batch in self.dataset_batches(&users.wire.dataset_arn)? {
                let Some(ids) = batch.column("USER_ID") else { continue };
                for row in 0..batch.len() {
                    if let Some(id) = ids.str_value(row) {
                        builder.push_user(id);
                    }
                }
            }
        }
        Ok(builder.build())
    }
}
