//! Recommenders: a domain dataset group's use case (`aws-ecomm-*`, `aws-vod-*`) trained by one of
//! Reko's engine recipes ([`use_case`]) and served under the recommender's ARN. Creation, updates,
//! stops, starts and retrainings are one task kind ([`task`]); the retraining cadence is
//! [`Reko::due_retrains`].

mod retrain;
mod serving;
mod task;
use crate::use_case;

use reko_api::{
    status, ApiError, CreateRecommenderRequest, CreateRecommenderResponse, DeleteRecommenderRequest,
    DescribeRecommenderRequest, DescribeRecommenderResponse, ListRecommendersRequest, ListRecommendersResponse,
    Recommender, RecommenderArnResponse, RecommenderConfig, RecommenderUpdateSummary, ResourceStatus,
    StartRecommenderRequest, StopRecommenderRequest, UpdateRecommenderRequest,
};
use reko_dataset::Domain;
use reko_engine::RecipeType;
use reko_storage::TaskKind;

use crate::access::AccessScope;
use crate::error::ServiceResult;
use crate::resource::{now, paginate, to_document, update_of, ResourceKind, Stored};
use crate::tasks::set_status;
use crate::Reko;
pub(crate) use use_case::UseCase;

/// Personalize's quota of recommenders per dataset group.
const MAX_RECOMMENDERS_PER_DATASET_GROUP: usize = 5;

/// The use case of a recipe ARN, which must be one of `domain`'s.
fn use_case_for(recipe_arn: &str, domain: Domain) -> ServiceResult<&'static UseCase> {
    let name = crate::arn::recipe_name(recipe_arn).unwrap_or(recipe_arn);
    match use_case::by_name(name) {
        Some(u) if u.domain == domain => Ok(u),
        _ => {
            let valid: Vec<String> = use_case::USE_CASES
                .iter()
                .filter(|u| u.domain == domain)
                .map(|u| crate::arn::recipe_arn(u.name))
                .collect();
            Err(ApiError::InvalidInput(format!(
                "Value '{recipe_arn}' at 'recipeArn' is not a use case of domain {domain}; valid recipes: {}.",
                valid.join(", ")
            ))
            .into())
        }
    }
}

/// The use case a stored recommender serves.
pub(crate) fn use_case_of(recommender: &Recommender) -> ServiceResult<&'static UseCase> {
    let name = crate::arn::recipe_name(&recommender.recipe_arn).unwrap_or_default();
    use_case::by_name(name).ok_or_else(|| {
        crate::ServiceError::Internal(format!("recommender {} has an unknown recipe", recommender.recommender_arn))
    })
}

/// Checks a `recommenderConfig` member by member against the use case (what Reko cannot honour
/// is refused, naming the member) and fills Personalize's defaults.
fn checked_config(config: Option<RecommenderConfig>, use_case: &UseCase) -> ServiceResult<RecommenderConfig> {
    let mut config = config.unwrap_or_default();
    if config.item_exploration_config.is_some() {
        if use_case.recipe_type != RecipeType::UserPersonalization {
            return Err(ApiError::InvalidInput(format!(
                "recommenderConfig.itemExplorationConfig applies to the personalised use cases \
                 (aws-ecomm-recommended-for-you, aws-vod-top-picks); {} explores no items.",
                use_case.name
            ))
            .into());
        }
        crate::campaign::exploration_from_map(config.item_exploration_config.as_ref(), "recommenderConfig")?;
    }
    config.min_recommendation_requests_per_second.get_or_insert(1);
    Ok(config)
}

impl Reko {
    pub fn create_recommender(&self, req: CreateRecommenderRequest) -> ServiceResult<CreateRecommenderResponse> {
        let group = self.active_dataset_group(&req.dataset_group_arn)?;
        let domain = group.domain.as_deref().and_then(Domain::parse).ok_or_else(|| {
            ApiError::InvalidInput(format!(
                "Dataset group {} has no domain; recommenders need a domain dataset group (ECOMMERCE or \
                 VIDEO_ON_DEMAND). Use a solution and a campaign in a custom dataset group.",
                req.dataset_group_arn
            ))
        })?;
        let use_case = use_case_for(&req.recipe_arn, domain)?;
        let config = checked_config(req.recommender_config, use_case)?;
        let in_group = self.store().list_resources(ResourceKind::Recommender.as_str(), Some(&req.dataset_group_arn))?;
        if in_group.len() >= MAX_RECOMMENDERS_PER_DATASET_GROUP {
            return Err(ApiError::LimitExceeded(format!(
                "Dataset group {} already has {MAX_RECOMMENDERS_PER_DATASET_GROUP} recommenders; delete one first.",
                req.dataset_group_arn
            ))
            .into());
        }
        let arn = self.arns().child(&req.dataset_group_arn, ResourceKind::Recommender, &req.name);
        let created = now();
        let recommender = Recommender {
            recommender_arn: arn.clone(),
            dataset_group_arn: req.dataset_group_arn.clone(),
            name: req.name.clone(),
            recipe_arn: crate::arn::recipe_arn(use_case.name),
            recommender_config: Some(config),
            creation_date_time: created,
            last_updated_date_time: created,
            status: ResourceStatus::CreatePending.as_str().into(),
            failure_reason: None,
            latest_recommender_update: None,
            model_metrics: None,
        };
        self.create_resource(
            ResourceKind::Recommender,
            &arn,
            &req.name,
            Some(&req.dataset_group_arn),
            Some(&req.dataset_group_arn),
            to_document(&recommender, &serde_json::Value::Null)?,
            TaskKind::Recommender,
            &req.tags.unwrap_or_default(),
        )?;
        Ok(CreateRecommenderResponse { recommender_arn: arn })
    }

    pub fn describe_recommender(&self, req: DescribeRecommenderRequest) -> ServiceResult<DescribeRecommenderResponse> {
        let mut recommender = self.load::<Recommender>(ResourceKind::Recommender, &req.recommender_arn)?.wire;
        // Absent while it is being created or deleted (Personalize's DescribeRecommender).
        if status::is_pending(&recommender.status) || status::is_deleting(&recommender.status) {
            recommender.model_metrics = None;
        }
        Ok(DescribeRecommenderResponse { recommender })
    }

    pub fn list_recommenders(
        &self,
        req: ListRecommendersRequest,
        scope: &AccessScope,
    ) -> ServiceResult<ListRecommendersResponse> {
        if let Some(group) = &req.dataset_group_arn {
            self.load::<reko_api::DatasetGroup>(ResourceKind::DatasetGroup, group)?;
        }
        let all =
            self.load_visible::<Recommender>(ResourceKind::Recommender, req.dataset_group_arn.as_deref(), scope)?;
        let (recommenders, next_token) = paginate(&all, req.next_token.as_deref(), req.max_results)?;
        Ok(ListRecommendersResponse { recommenders, next_token })
    }

    /// UpdateRecommender: the new configuration applies once its update is ACTIVE; changed
    /// training columns retrain the model first. The current model serves meanwhile.
    pub fn update_recommender(&self, req: UpdateRecommenderRequest) -> ServiceResult<RecommenderArnResponse> {
        let mut stored = self.load::<Recommender>(ResourceKind::Recommender, &req.recommender_arn)?;
        let update_pending =
            stored.wire.latest_recommender_update.as_ref().is_some_and(|u| status::is_pending(&u.status));
        if stored.wire.status != ResourceStatus::Active.as_str() || update_pending {
            return Err(ApiError::ResourceInUse(format!(
                "Recommender {} is {}{}; it can be updated when ACTIVE.",
                req.recommender_arn,
                stored.wire.status,
                if update_pending { " with an update in progress" } else { "" }
            ))
            .into());
        }
        let config = checked_config(Some(req.recommender_config), use_case_of(&stored.wire)?)?;
        let created = now();
        stored.wire.latest_recommender_update = Some(RecommenderUpdateSummary {
            recommender_config: Some(config),
            creation_date_time: created,
            last_updated_date_time: created,
            status: ResourceStatus::CreatePending.as_str().into(),
            failure_reason: None,
        });
        stored.wire.last_updated_date_time = created;
        self.store()
            .update_resource_with_task(&update_of(&stored, ResourceStatus::Active.as_str())?, TaskKind::Recommender)?;
        self.notify_workers();
        Ok(RecommenderArnResponse { recommender_arn: req.recommender_arn })
    }

    pub fn delete_recommender(&self, req: DeleteRecommenderRequest) -> ServiceResult<()> {
        let stored = self.load::<Recommender>(ResourceKind::Recommender, &req.recommender_arn)?;
        if status::is_deleting(&stored.wire.status) {
            return Err(ApiError::ResourceInUse(format!(
                "Recommender {} is already {}.",
                req.recommender_arn, stored.wire.status
            ))
            .into());
        }
        self.check_not_an_arm(&stored.record)?;
        self.start_deletion(&stored)?;
        // Marked first, so no model loading now can be installed after this.
        self.undeploy(&req.recommender_arn);
        Ok(())
    }

    /// StopRecommender: ACTIVE → STOP PENDING → STOP IN_PROGRESS → INACTIVE; the model is
    /// unloaded (the trained model is kept for StartRecommender).
    pub fn stop_recommender(&self, req: StopRecommenderRequest) -> ServiceResult<RecommenderArnResponse> {
        self.change_state(&req.recommender_arn, ResourceStatus::Active, ResourceStatus::StopPending)?;
        Ok(RecommenderArnResponse { recommender_arn: req.recommender_arn })
    }

    /// StartRecommender: INACTIVE → START PENDING → START IN_PROGRESS → ACTIVE, the kept model
    /// loaded again.
    pub fn start_recommender(&self, req: StartRecommenderRequest) -> ServiceResult<RecommenderArnResponse> {
        self.change_state(&req.recommender_arn, ResourceStatus::Inactive, ResourceStatus::StartPending)?;
        Ok(RecommenderArnResponse { recommender_arn: req.recommender_arn })
    }

    fn change_state(&self, arn: &str, from: ResourceStatus, to: ResourceStatus) -> ServiceResult<()> {
        let mut stored: Stored<Recommender> = self.load(ResourceKind::Recommender, arn)?;
        let update_pending =
            stored.wire.latest_recommender_update.as_ref().is_some_and(|u| status::is_pending(&u.status));
        if stored.wire.status != from.as_str() || update_pending {
            let verb = if to == ResourceStatus::StopPending { "stopped" } else { "started" };
            return Err(ApiError::ResourceInUse(format!(
                "Recommender {arn} is {}{}; it can be {verb} only when {from}.",
                stored.wire.status,
                if update_pending { " with an update in progress" } else { "" }
            ))
            .into());
        }
        stored.wire.status = to.as_str().into();
        stored.wire.last_updated_date_time = now();
        let mut update = update_of(&stored, to.as_str())?;
        set_status(&mut update.doc, to.as_str());
        self.store().update_resource_with_task(&update, TaskKind::Recommender)?;
        self.notify_workers();
        Ok(())
    }

    /// A recommender's folder of artifact keys (beside the solutions' ones; `.` is not allowed in
    /// names, so it never meets a solution's).
    pub(crate) fn recommender_models_key(&self, recommender_arn: &str) -> String {
        format!("{}.recommender", self.solution_models_key(recommender_arn))
    }

    /// A recommender's model folder in the data directory's `models/` (models written before the
    /// artifact store, and the default store's).
    pub(crate) fn recommender_models_dir(&self, recommender_arn: &str) -> std::path::PathBuf {
        self.models_dir().join(self.recommender_models_key(recommender_arn))
    }
}

#[cfg(test)]
mod tests;
