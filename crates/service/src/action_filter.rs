//! ActionID filters on GetActionRecommendations: the request's filter, bound to its values,
//! evaluated over the group's Actions dataset (attributes, bulk and put) and the user's action
//! interactions (docs/compatibility.md, "Actions (Next-Best-Action)").

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use reko_api::ApiError;
use reko_dataset::DatasetType;
use reko_filter::{AttributeTable, Decision, EvalContext, Interaction};

use crate::error::ServiceResult;
use crate::filter::filter_error;
use crate::ingest::SESSION_ID_COLUMN;
use crate::resource::now;
use crate::Reko;

/// An ActionID filter bound to one request: judges candidate action ids.
pub(crate) struct ActionGate {
    table: Arc<RwLock<AttributeTable>>,
    decision: Decision,
}

impl ActionGate {
    /// Whether the filter lets `action_id` through.
    pub(crate) fn allows(&self, action_id: &str) -> bool {
        let table = self.table.read().unwrap_or_else(|p| p.into_inner());
        self.decision.allows(&table, action_id)
    }
}

/// One of the user's action interactions: (action id, event type, epoch seconds).
type ActionEventRow = (String, String, i64);

impl Reko {
    /// Binds and evaluates `filter_arn` for `user_id`; `None` when it filters nothing (an
    /// EXCLUDE whose parameters were not given). A filter of another target is refused.
    pub(crate) fn action_gate(
        &self,
        filter_arn: &str,
        values: Option<&BTreeMap<String, String>>,
        dataset_group_arn: &str,
        user_id: &str,
    ) -> ServiceResult<Option<ActionGate>> {
        let compiled = self.compiled_filter(filter_arn, dataset_group_arn)?;
        let bound = compiled.expression.bind(values.unwrap_or(&BTreeMap::new())).map_err(filter_error)?;
        if bound.is_noop() {
            return Ok(None);
        }
        let history =
            if bound.uses_interactions() { self.user_action_events(dataset_group_arn, user_id)? } else { Vec::new() };
        let interactions: Vec<Interaction<'_>> = history
            .iter()
            .map(|(action, event_type, timestamp)| Interaction { item_id: action, event_type, timestamp: *timestamp })
            .collect();
        let users = if bound.uses_current_user() {
            Some(self.attribute_table(dataset_group_arn, DatasetType::Users)?)
        } else {
            None
        };
        let users_guard = users.as_ref().map(|u| u.read().unwrap_or_else(|p| p.into_inner()));
        let table = self.attribute_table(dataset_group_arn, DatasetType::Actions)?;
        let decision = {
            let actions = table.read().unwrap_or_else(|p| p.into_inner());
            let mut ctx = EvalContext::new(now() as i64).with_interactions(&interactions);
            if let Some(users) = users_guard.as_deref() {
                ctx = ctx.with_user(users, users.row_of(user_id));
            }
            bound.action_rows(&actions, &ctx).map_err(filter_error)?
        };
        Ok(Some(ActionGate { table, decision }))
    }

    /// Every action interaction of `user_id` (or of the session of that id), bulk and put.
    fn user_action_events(&self, dataset_group_arn: &str, user_id: &str) -> ServiceResult<Vec<ActionEventRow>> {
        let Some(dataset) = self.dataset_of_type(dataset_group_arn, DatasetType::ActionInteractions)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for batch in self.dataset_batches(&dataset.wire.dataset_arn)? {
            let (Some(users), Some(actions), Some(times), Some(types)) = (
                batch.column("USER_ID"),
                batch.column("ACTION_ID"),
                batch.column("TIMESTAMP"),
                batch.column("EVENT_TYPE"),
            ) else {
                return Err(ApiError::InvalidInput(format!(
                    "Action interactions of {} lack USER_ID, ACTION_ID, TIMESTAMP or EVENT_TYPE.",
                    dataset.wire.dataset_arn
                ))
                .into());
            };
            let sessions = batch.column(SESSION_ID_COLUMN);
            for row in 0..batch.len() {
                let user = users.str_value(row).or_else(|| sessions.and_then(|c| c.str_value(row)));
                if user != Some(user_id) {
                    continue;
                }
                if let (Some(a), Some(t), Some(e)) =
                    (actions.str_value(row), times.i64_value(row), types.str_value(row))
                {
                    out.push((a.to_string(), e.to_string(), t));
                }
            }
        }
        Ok(out)
    }
}
