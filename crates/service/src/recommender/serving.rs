//! Serving a recommender: its model as a [`Deployment`] under the recommender's ARN (the map
//! campaigns use), loaded by its task or, after a restart, by the first request.

use std::sync::Arc;

use reko_api::{ApiError, Recommender, RecommenderConfig, ResourceStatus};

use super::task::{training_config, MODEL_ID, SNAPSHOT_SEQ};
use super::{use_case_of, UseCase};
use crate::campaign::{exploration_from_map, ModelSource};
use crate::deployment::Deployment;
use crate::error::{ServiceError, ServiceResult};
use crate::resource::{ResourceKind, Stored};
use crate::Reko;

impl Reko {
    /// The recommender's current model, prepared to serve with `config`.
    pub(crate) fn recommender_deployment(
        &self,
        stored: &Stored<Recommender>,
        config: Option<&RecommenderConfig>,
    ) -> ServiceResult<Arc<Deployment>> {
        let arn = &stored.wire.recommender_arn;
        let use_case = use_case_of(&stored.wire)?;
        let model_id = stored
            .internal
            .get(MODEL_ID)
            .and_then(|v| v.as_str())
            .ok_or_else(|| ServiceError::Internal(format!("recommender {arn} has no trained model")))?;
        self.deployment_of(ModelSource {
            serving_arn: arn,
            model_arn: &format!("{arn}/{model_id}"),
            sealed_by: arn,
            location: crate::artifact_store::ModelLocation::of(
                &stored.internal,
                self.recommender_model_path(arn, model_id),
            ),
            sha256: stored.internal.get(crate::artifact_store::ARTIFACT_SHA256).and_then(|v| v.as_str()),
            dataset_group_arn: stored.wire.dataset_group_arn.clone(),
            columns: config.and_then(|c| c.training_data_config.as_ref()),
            events: training_config(use_case),
            snapshot_seq: stored.internal.get(SNAPSHOT_SEQ).and_then(|v| v.as_i64()).unwrap_or(0),
            exploration: exploration_from_map(
                config.and_then(|c| c.item_exploration_config.as_ref()),
                "recommenderConfig",
            )?,
            metadata_enabled: config.and_then(|c| c.enable_metadata_with_recommendations).unwrap_or(false),
            use_case: Some(use_case),
        })
    }

    /// What GetRecommendations with `recommenderArn` serves: the recommender's deployment and
    /// use case. A recommender that is not ACTIVE (stopped, starting, being created) serves
    /// nothing.
    pub(crate) fn recommender_serving(&self, arn: &str) -> ServiceResult<(Arc<Deployment>, &'static UseCase)> {
        // A loaded model serves without reading the catalog (as campaigns): a stop or a delete
        // unloads it before the recommender leaves ACTIVE.
        if let Some((d, use_case)) = self.served(arn).and_then(|d| d.use_case.map(|u| (d, u))) {
            return Ok((d, use_case));
        }
        let stored: Stored<Recommender> = self.load(ResourceKind::Recommender, arn)?;
        let use_case = use_case_of(&stored.wire)?;
        if stored.wire.status != ResourceStatus::Active.as_str() {
            return Err(ApiError::InvalidInput(format!(
                "Recommender {arn} is {}; it serves requests once ACTIVE{}.",
                stored.wire.status,
                if stored.wire.status == ResourceStatus::Inactive.as_str() { " (call StartRecommender)" } else { "" }
            ))
            .into());
        }
        // One load at a time, as for campaigns (see `Reko::deployment`).
        let _loading = self.inner.loading.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(d) = self.served(arn) {
            return Ok((d, use_case));
        }
        let deployment = self.recommender_deployment(&stored, stored.wire.recommender_config.as_ref())?;
        self.inner.models_loaded_on_demand.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let installed = self.install_if_absent(deployment)?;
        self.observe_stored_events(&installed)?;
        Ok((installed, use_case))
    }

    /// The deployment serving a GetRecommendations by `recommenderArn`, once the request names
    /// what the use case needs (Personalize's use-case table).
    pub(crate) fn recommender_for(
        &self,
        arn: &str,
        req: &reko_api::GetRecommendationsRequest,
    ) -> ServiceResult<Arc<Deployment>> {
        let (deployment, use_case) = self.recommender_serving(arn)?;
        for (needed, given, member) in [
            (use_case.user_required, req.user_id.is_some(), "userId"),
            (use_case.item_required, req.item_id.is_some(), "itemId"),
        ] {
            if needed && !given {
                return Err(ApiError::InvalidInput(format!(
                    "{member} is required: recommender {arn} serves the use case {}.",
                    use_case.name
                ))
                .into());
            }
        }
        Ok(deployment)
    }

    /// After a start (the warm-up thread): loads every ACTIVE recommender's model and its group's
    /// real-time state, as for campaigns, so first requests do not pay for it.
    pub(crate) fn warm_up_recommenders(&self) {
        let Ok(all) = self.load_all::<Recommender>(ResourceKind::Recommender, None) else { return };
        for r in all.into_iter().filter(|r| r.wire.status == ResourceStatus::Active.as_str()) {
            if self.inner.stopping.load(std::sync::atomic::Ordering::Relaxed) {
                return;
            }
            let arn = &r.wire.recommender_arn;
            match self.recommender_serving(arn) {
                Ok((d, _)) => {
                    d.model.prepare();
                    if let Err(e) = self.inner.live.preload(self, &d.dataset_group_arn) {
                        tracing::warn!(error = %e, "loading the real-time state failed; requests will retry");
                    }
                    tracing::info!(recommender = %arn, "recommender warmed up");
                }
                Err(e) => tracing::warn!(recommender = %arn, error = %e, "recommender not warmed up"),
            }
        }
    }

    /// The deployment serving under `arn` now, if any.
    pub(crate) fn served(&self, arn: &str) -> Option<Arc<Deployment>> {
        self.inner.deployments.read().unwrap_or_else(|p| p.into_inner()).get(arn).cloned()
    }

    /// Installs a deployment loaded on demand unless one serves already (kept then), provided its
    /// resource is still ACTIVE: a stop or a deletion since the load is never undone.
    pub(crate) fn install_if_absent(&self, deployment: Arc<Deployment>) -> ServiceResult<Arc<Deployment>> {
        let arn = deployment.campaign_arn.clone();
        let mut map = self.inner.deployments.write().unwrap_or_else(|p| p.into_inner());
        match self.store().get_resource(&arn)? {
            Some(record) if record.status == ResourceStatus::Active.as_str() => {}
            Some(record) => {
                return Err(ApiError::InvalidInput(format!(
                    "{arn} is {}; it serves requests once ACTIVE.",
                    record.status
                ))
                .into())
            }
            None => return Err(ApiError::ResourceNotFound(format!("Could not find {arn}")).into()),
        }
        Ok(map.entry(arn).or_insert(deployment).clone())
    }
}

impl Reko {
    /// What a recommender's deployment serves when it is current: the model (its deployment's
    /// `solution_version_arn`), the exploration and whether metadata is returned. `None` while it
    /// has no trained model.
    pub(crate) fn recommender_serving_key(
        &self,
        stored: &Stored<Recommender>,
    ) -> ServiceResult<Option<(String, reko_engine::Exploration, bool)>> {
        let Some(model_id) = stored.internal.get(MODEL_ID).and_then(|v| v.as_str()) else { return Ok(None) };
        let config = stored.wire.recommender_config.as_ref();
        Ok(Some((
            format!("{}/{model_id}", stored.wire.recommender_arn),
            exploration_from_map(config.and_then(|c| c.item_exploration_config.as_ref()), "recommenderConfig")?,
            config.and_then(|c| c.enable_metadata_with_recommendations).unwrap_or(false),
        )))
    }
}
