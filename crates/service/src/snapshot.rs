//! A consistent snapshot of a dataset group's records, interned for the engine, with the
//! metadata turned into feature tokens (see `reko_dataset::features`).

use reko_api::ApiError;
use std::collections::{HashMap, HashSet};

use reko_api::TrainingDataConfig;
use reko_dataset::{DatasetType, Featurizer, RecordBatch};
use reko_engine::{TrainingData, TrainingDataBuilder};

use crate::error::{ServiceError, ServiceResult};
use crate::ingest::{EVENT_ID_COLUMN, SESSION_ID_COLUMN};
use crate::Reko;

/// Which columns of each dataset type feed training (`solutionConfig.trainingDataConfig`).
struct ColumnSelection<'a> {
    config: Option<&'a TrainingDataConfig>,
}

impl ColumnSelection<'_> {
    fn featurizer(
        &self,
        reko: &Reko,
        dataset: &reko_api::Dataset,
        dataset_type: DatasetType,
    ) -> ServiceResult<Featurizer> {
        let schema = reko.parsed_schema(&dataset.schema_arn)?;
        let key = dataset_type.as_wire();
        let pick = |m: Option<&std::collections::BTreeMap<String, Vec<String>>>| {
            m.and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.clone()))
        };
        let include = pick(self.config.and_then(|c| c.included_dataset_columns.as_ref()));
        let exclude = pick(self.config.and_then(|c| c.excluded_dataset_columns.as_ref())).unwrap_or_default();
        Ok(Featurizer::new(&schema, dataset_type, include.as_deref(), &exclude))
    }
}

/// A training snapshot: the engine's data and the newest interaction chunk it includes (events
/// stored after it are folded in at request time, see [`crate::live`]).
pub(crate) struct Snapshot {
    pub data: TrainingData,
    pub interactions_seq: i64,
}

impl Reko {
    /// Decoded record batches of a dataset, in insertion order.
    pub(crate) fn dataset_batches(&self, dataset_arn: &str) -> ServiceResult<Vec<RecordBatch>> {
        Ok(self.dataset_batches_with_seq(dataset_arn, None)?.0)
    }

    /// [`Self::dataset_batches`], only `source` chunks when given, with the newest chunk seq read.
    pub(crate) fn dataset_batches_with_seq(
        &self,
        dataset_arn: &str,
        source: Option<reko_storage::RecordSource>,
    ) -> ServiceResult<(Vec<RecordBatch>, i64)> {
        let chunks = self.store().read_records(dataset_arn)?;
        let sealer = self.sealer(dataset_arn)?;
        let seq = chunks.iter().map(|c| c.seq).max().unwrap_or(0);
        let batches = chunks
            .into_iter()
            .filter(|c| source.is_none_or(|s| c.source == s))
            .map(|chunk| {
                let data = sealer.open(chunk.data)?;
                RecordBatch::decode(&data).map_err(|e| {
                    ServiceError::Internal(format!(
                        "stored records of {dataset_arn} (chunk {}) are corrupt: {e}",
                        chunk.seq
                    ))
                })
            })
            .collect::<ServiceResult<Vec<_>>>()?;
        Ok((batches, seq))
    }

    /// The featurizer of a dataset group's Items dataset under a solution's column selection
    /// (`None` when the group has no Items dataset).
    pub(crate) fn item_featurizer(
        &self,
        dataset_group_arn: &str,
        columns: Option<&TrainingDataConfig>,
    ) -> ServiceResult<Option<Featurizer>> {
        let Some(items) = self.dataset_of_type(dataset_group_arn, DatasetType::Items)? else { return Ok(None) };
        Ok(Some(ColumnSelection { config: columns }.featurizer(self, &items.wire, DatasetType::Items)?))
    }

    /// Builds the engine's training data from the group's Interactions, Items and Users datasets
    /// (and, with `actions`, its Actions and Action interactions datasets), with each item's value
    /// of the Items field `objective` (an optimization objective's numeric itemAttribute) when
    /// given.
    pub(crate) fn training_data(
        &self,
        dataset_group_arn: &str,
        columns: Option<&TrainingDataConfig>,
        objective: Option<&str>,
        actions: bool,
    ) -> ServiceResult<Snapshot> {
        let selection = ColumnSelection { config: columns };
        let mut builder = TrainingDataBuilder::new();
        let mut tokens: Vec<String> = Vec::new();
        let interactions = self.dataset_of_type(dataset_group_arn, DatasetType::Interactions)?.ok_or_else(|| {
            ApiError::InvalidInput(format!("Dataset group {dataset_group_arn} has no Interactions dataset."))
        })?;
        let context = selection.featurizer(self, &interactions.wire, DatasetType::Interactions)?;
        let (batches, interactions_seq) = self.dataset_batches_with_seq(&interactions.wire.dataset_arn, None)?;
        builder.reserve(batches.iter().map(RecordBatch::len).sum());
        // Anonymous put events train under the user their session was stitched to (an event
        // with both ids), else under the session id (what requests pass as userId for them).
        let mut stitched: HashMap<String, String> = HashMap::new();
        for batch in &batches {
            if let (Some(users), Some(sessions)) = (batch.column("USER_ID"), batch.column(SESSION_ID_COLUMN)) {
                for row in 0..batch.len() {
                    if let (Some(u), Some(s)) = (users.str_value(row), sessions.str_value(row)) {
                        if u != s {
                            stitched.insert(s.to_string(), u.to_string());
                        }
                    }
                }
            }
        }
        // Events with a repeated eventId count once (docs/compatibility.md, "Events (PutEvents,
        // PutItems, PutUsers)").
        let mut event_ids: HashSet<String> = HashSet::new();
        for batch in &batches {
            let (Some(users), Some(items), Some(timestamps)) =
                (batch.column("USER_ID"), batch.column("ITEM_ID"), batch.column("TIMESTAMP"))
            else {
                return Err(ServiceError::Internal("interaction records lack USER_ID, ITEM_ID or TIMESTAMP".into()));
            };
            let event_types = batch.column("EVENT_TYPE");
            let event_values = batch.column("EVENT_VALUE");
            let impressions = batch.column("IMPRESSION");
            let sessions = batch.column(SESSION_ID_COLUMN);
            let ids = batch.column(EVENT_ID_COLUMN);
            for row in 0..batch.len() {
                let user = users.str_value(row).or_else(|| {
                    let session = sessions?.str_value(row)?;
                    Some(stitched.get(session).map_or(session, String::as_str))
                });
                let (Some(user), Some(item), Some(ts)) = (user, items.str_value(row), timestamps.i64_value(row)) else {
                    continue;
                };
                if let Some(id) = ids.and_then(|c| c.str_value(row)) {
                    if !event_ids.insert(id.to_string()) {
                        continue;
                    }
                }
                let event_type = event_types.and_then(|c| c.str_value(row));
                let event_value = event_values.and_then(|c| c.f64_value(row)).map(|v| v as f32);
                if context.is_empty() {
                    builder.push_interaction(user, item, ts, event_type, event_value);
                } else {
                    context.tokens(batch, row, &mut tokens);
                    let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
                    builder.push_interaction_in_context(user, item, ts, event_type, event_value, &refs);
                }
                // IMPRESSION: the `|`-separated items shown with this one (weak negatives).
                if let Some(shown) = impressions.and_then(|c| c.str_value(row)).filter(|v| !v.is_empty()) {
                    builder.push_impressions(user, item, shown.split('|'));
                }
            }
        }
        if let Some(items) = self.dataset_of_type(dataset_group_arn, DatasetType::Items)? {
            let features = selection.featurizer(self, &items.wire, DatasetType::Items)?;
            for batch in self.dataset_batches(&items.wire.dataset_arn)? {
                let Some(ids) = batch.column("ITEM_ID") else { continue };
                let created = batch.column("CREATION_TIMESTAMP");
                let values = objective.and_then(|name| batch.column(name));
                for row in 0..batch.len() {
                    if let Some(id) = ids.str_value(row) {
                        builder.push_item(id, created.and_then(|c| c.i64_value(row)));
                        if let Some(v) = values.and_then(|c| c.f64_value(row)) {
                            builder.push_item_objective_value(id, v);
                        }
                        features.tokens(&batch, row, &mut tokens);
                        let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
                        builder.push_item_features(id, &refs);
                    }
                }
            }
        }
        if let Some(users) = self.dataset_of_type(dataset_group_arn, DatasetType::Users)? {
            let features = selection.featurizer(self, &users.wire, DatasetType::Users)?;
            for batch in self.dataset_batches(&users.wire.dataset_arn)? {
                let Some(ids) = batch.column("USER_ID") else { continue };
                for row in 0..batch.len() {
                    if let Some(id) = ids.str_value(row) {
                        builder.push_user(id);
                        features.tokens(&batch, row, &mut tokens);
                        let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
                        builder.push_user_features(id, &refs);
                    }
                }
            }
        }
        if actions {
            self.push_action_data(dataset_group_arn, &mut builder)?;
        }
        let data = builder.build();
        if let (Some(name), None) = (objective, data.item_objective_values()) {
            return Err(ApiError::InvalidInput(format!(
                "No item of the Items dataset has a value in column {name}, the optimization objective's \
                 itemAttribute."
            ))
            .into());
        }
        Ok(Snapshot { data, interactions_seq })
    }
}
