//! Next-Best-Action records and requests: PutActions (into an Actions dataset), PutActionInteractions
//! (by an Action interactions dataset's tracking id) and GetActionRecommendations
//! (docs/compatibility.md, "Actions (Next-Best-Action)").
//!
//! Records take the events service's path: one durable group commit before the 200, stored as
//! *put* records of the dataset (a FULL import never removes them).

use reko_api::{
    ApiError, Dataset, GetActionRecommendationsRequest, GetActionRecommendationsResponse, PredictedAction,
    PutActionInteractionsRequest, PutActionsRequest,
};
use reko_dataset::{DatasetType, RecordBatchBuilder, Value};
use reko_engine::{RecipeType, RecommendQuery};

use crate::deployment::Deployment;
use crate::error::ServiceResult;
use crate::events::{camel_case, map_properties, metadata_rows};
use crate::ingest::{action_tracker_key, unknown_action_tracking_id, IngestTarget, EVENT_ID_COLUMN, SESSION_ID_COLUMN};
use crate::resource::ResourceKind;
use crate::runtime::recommendation_id;
use crate::Reko;

/// The one recipe whose campaigns answer GetActionRecommendations (recipe type
/// PERSONALIZED_ACTIONS).
pub(crate) const NEXT_BEST_ACTION_RECIPE: &str = "aws-next-best-action";

/// Action interaction fields set from the interaction's own members, never from `properties`.
const MEMBER_FIELDS: [&str; 6] = ["USER_ID", "ACTION_ID", "TIMESTAMP", "EVENT_TYPE", "RECOMMENDATION_ID", "IMPRESSION"];

impl Reko {
    pub fn put_actions(&self, req: PutActionsRequest) -> ServiceResult<()> {
        let target = self.dataset_target(&req.dataset_arn, DatasetType::Actions)?;
        let records: Vec<(&str, Option<&String>)> =
            req.actions.iter().map(|a| (a.action_id.as_str(), a.properties.as_ref())).collect();
        let batch = metadata_rows(&target.schema, "ACTION_ID", "actions", &records)?;
        self.inner.writer.append(
            &target.dataset_arn,
            batch.len() as u64,
            self.sealer_in_group(&target.dataset_group_arn, &target.dataset_arn)?.seal(batch.encode())?,
        )?;
        self.inner.filters.upsert(&target.dataset_group_arn, DatasetType::Actions, &batch);
        Ok(())
    }

    pub fn put_action_interactions(&self, req: PutActionInteractionsRequest) -> ServiceResult<()> {
        let target = self.action_tracker_target(&req.tracking_id)?;
        let schema = target.schema.as_ref();
        let mut builder = RecordBatchBuilder::new(schema, &[SESSION_ID_COLUMN, EVENT_ID_COLUMN]);
        let col = |name: &str| builder.column(name);
        let (c_user, c_action, c_ts, c_type) = (col("USER_ID"), col("ACTION_ID"), col("TIMESTAMP"), col("EVENT_TYPE"));
        let (c_rid, c_impr) = (col("RECOMMENDATION_ID"), col("IMPRESSION"));
        let (c_session, c_event_id) = (col(SESSION_ID_COLUMN), col(EVENT_ID_COLUMN));
        for (i, a) in req.action_interactions.iter().enumerate() {
            let path = format!("actionInteractions.{}", i + 1);
            // Members with no schema column to keep them would be dropped: refused instead.
            for (member, present, column) in [
                ("recommendationId", a.recommendation_id.is_some(), c_rid),
                ("impression", a.impression.is_some(), c_impr),
            ] {
                if present && column.is_none() {
                    return Err(ApiError::InvalidInput(format!(
                        "{path}.{member}: the Action interactions schema {} has no {} field to store it; add \
                         the field to the schema or leave the member out.",
                        schema.name,
                        if member == "impression" { "IMPRESSION" } else { "RECOMMENDATION_ID" }
                    ))
                    .into());
                }
            }
            let values = match a.properties.as_deref() {
                Some(text) => {
                    let props = reko_api::parse_properties(&format!("{path}.properties"), text)?;
                    map_properties(&path, &props, schema, &MEMBER_FIELDS)?
                }
                None => Vec::new(),
            };
            let row = builder.push_row();
            let mut set = |c: Option<usize>, v: Value| {
                if let Some(c) = c {
                    row[c] = v;
                }
            };
            set(c_user, a.user_id.clone().map_or(Value::Null, Value::Str));
            set(c_action, Value::Str(a.action_id.clone()));
            set(c_ts, Value::Long(a.timestamp.floor() as i64));
            set(c_type, Value::Str(a.event_type.clone()));
            set(c_rid, a.recommendation_id.clone().map_or(Value::Null, Value::Str));
            set(c_impr, a.impression.as_ref().map_or(Value::Null, |l| Value::Str(l.join("|"))));
            set(c_session, Value::Str(a.session_id.clone()));
            set(c_event_id, a.event_id.clone().map_or(Value::Null, Value::Str));
            for (c, v) in values {
                row[c] = v;
            }
            // A required column the interaction did not fill (USER_ID: an anonymous interaction
            // is kept under its sessionId, as PutEvents keeps anonymous events).
            for (c, f) in schema.fields.iter().enumerate() {
                if f.nullable || !matches!(row[c], Value::Null) || f.name == "USER_ID" {
                    continue;
                }
                return Err(ApiError::InvalidInput(format!(
                    "{path}: the Action interactions schema requires {} (send it in properties as \"{}\").",
                    f.name,
                    camel_case(&f.name)
                ))
                .into());
            }
        }
        let batch = builder.finish();
        self.inner.writer.append(
            &target.dataset_arn,
            batch.len() as u64,
            self.sealer_in_group(&target.dataset_group_arn, &target.dataset_arn)?.seal(batch.encode())?,
        )?;
        Ok(())
    }

    /// GetActionRecommendations: only campaigns of a PERSONALIZED_ACTIONS recipe answer it.
    pub fn get_action_recommendations(
        &self,
        req: GetActionRecommendationsRequest,
    ) -> ServiceResult<GetActionRecommendationsResponse> {
        let campaign_arn =
            req.campaign_arn.as_deref().ok_or_else(|| ApiError::invalid("campaignArn must be specified"))?;
        let started = std::time::Instant::now();
        let deployment = self.deployment(campaign_arn)?;
        if deployment.recipe_type != RecipeType::PersonalizedActions {
            return Err(ApiError::InvalidInput(format!(
                "Campaign {campaign_arn} serves a {} recipe, which does not recommend actions; \
                 GetActionRecommendations needs a campaign of arn:aws:personalize:::recipe/{NEXT_BEST_ACTION_RECIPE}.",
                deployment.recipe_type
            ))
            .into());
        }
        let result = self.action_list(&deployment, &req);
        deployment.usage.record_timed(result.is_ok(), started.elapsed());
        result
    }

    /// The campaign's ranked actions for the request's user, through the request's filter.
    fn action_list(
        &self,
        deployment: &Deployment,
        req: &GetActionRecommendationsRequest,
    ) -> ServiceResult<GetActionRecommendationsResponse> {
        let user_id = req.user_id.as_deref().ok_or_else(|| ApiError::invalid("userId must be specified"))?;
        let gate = match &req.filter_arn {
            Some(arn) => self.action_gate(arn, req.filter_values.as_ref(), &deployment.dataset_group_arn, user_id)?,
            None if req.filter_values.is_some() => {
                return Err(
                    ApiError::invalid("filterValues needs a filterArn: there is no filter to bind them to").into()
                )
            }
            None => None,
        };
        let allowed = |id: &str| gate.as_ref().is_none_or(|g| g.allows(id));
        let query = RecommendQuery {
            user_id: Some(user_id),
            item_id: None,
            num_results: req.num_results_or_default(),
            exclude: &|id| !allowed(id),
            exclude_index: None,
            candidates: None,
            context: &[],
            exploration: None,
        };
        let action_list = deployment
            .model
            .recommend(&query)
            .into_iter()
            .map(|a| PredictedAction { action_id: Some(a.item_id), score: a.score })
            .collect();
        Ok(GetActionRecommendationsResponse { action_list, recommendation_id: recommendation_id(deployment) })
    }

    /// The Action interactions dataset whose tracking id is `tracking_id`.
    pub(crate) fn find_action_interactions_dataset(&self, tracking_id: &str) -> ServiceResult<Option<Dataset>> {
        Ok(self
            .load_all::<Dataset>(ResourceKind::Dataset, None)?
            .into_iter()
            .map(|d| d.wire)
            .find(|d| d.tracking_id.as_deref() == Some(tracking_id)))
    }

    fn action_tracker_target(&self, tracking_id: &str) -> ServiceResult<IngestTarget> {
        let key = action_tracker_key(tracking_id);
        if let Some(t) = self.inner.ingest.by_key.read().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(t.clone());
        }
        let dataset = self
            .find_action_interactions_dataset(tracking_id)?
            .ok_or_else(|| unknown_action_tracking_id(tracking_id))?;
        let target = self.ingest_target(&dataset)?;
        self.inner.ingest.by_key.write().unwrap_or_else(|p| p.into_inner()).insert(key, target.clone());
        Ok(target)
    }
}
