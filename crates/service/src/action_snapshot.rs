//! The Next-Best-Action part of a training snapshot: the group's Actions dataset (required) and
//! Action interactions dataset (optional), bulk and put records alike.

use std::collections::HashSet;

use reko_api::ApiError;
use reko_dataset::DatasetType;
use reko_engine::training_data::{ActionAttributes, ActionEvent};
use reko_engine::TrainingDataBuilder;

use crate::error::ServiceResult;
use crate::ingest::{EVENT_ID_COLUMN, SESSION_ID_COLUMN};
use crate::Reko;

impl Reko {
    /// Adds the group's actions and action interactions to `builder`. Records come in storage
    /// order, so a later record of an action replaces an earlier one.
    pub(crate) fn push_action_data(
        &self,
        dataset_group_arn: &str,
        builder: &mut TrainingDataBuilder,
    ) -> ServiceResult<()> {
        let actions = self.dataset_of_type(dataset_group_arn, DatasetType::Actions)?.ok_or_else(|| {
            ApiError::InvalidInput(format!(
                "Dataset group {dataset_group_arn} has no Actions dataset; aws-next-best-action recommends its actions."
            ))
        })?;
        for batch in self.dataset_batches(&actions.wire.dataset_arn)? {
            let Some(ids) = batch.column("ACTION_ID") else { continue };
            let int = |name: &str, row: usize| batch.column(name).and_then(|c| c.i64_value(row));
            for row in 0..batch.len() {
                if let Some(id) = ids.str_value(row) {
                    let attributes = ActionAttributes {
                        value: int("VALUE", row),
                        expiration: int("EXPIRATION_TIMESTAMP", row),
                        repeat_frequency_days: int("REPEAT_FREQUENCY", row),
                    };
                    builder.push_action(id, attributes);
                }
            }
        }
        let Some(interactions) = self.dataset_of_type(dataset_group_arn, DatasetType::ActionInteractions)? else {
            return Ok(());
        };
        // A repeated eventId counts once, as for PutEvents.
        let mut event_ids: HashSet<String> = HashSet::new();
        for batch in self.dataset_batches(&interactions.wire.dataset_arn)? {
            let (Some(users), Some(ids), Some(times), Some(types)) = (
                batch.column("USER_ID"),
                batch.column("ACTION_ID"),
                batch.column("TIMESTAMP"),
                batch.column("EVENT_TYPE"),
            ) else {
                continue;
            };
            let (sessions, event_id) = (batch.column(SESSION_ID_COLUMN), batch.column(EVENT_ID_COLUMN));
            for row in 0..batch.len() {
                // An anonymous put interaction trains under its session id.
                let user = users.str_value(row).or_else(|| sessions.and_then(|c| c.str_value(row)));
                let event = types.str_value(row).and_then(ActionEvent::parse);
                let (Some(user), Some(action), Some(ts), Some(event)) =
                    (user, ids.str_value(row), times.i64_value(row), event)
                else {
                    continue;
                };
                if let Some(id) = event_id.and_then(|c| c.str_value(row)) {
                    if !event_ids.insert(id.to_string()) {
                        continue;
                    }
                }
                builder.push_action_interaction(user, action, ts, event);
            }
        }
        Ok(())
    }
}
