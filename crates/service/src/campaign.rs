//! Campaigns: a deployed solution version serving real-time requests. Deployment and updates are
//! tasks; an update swaps the served model atomically, so serving never has a gap.

use std::sync::Arc;

use reko_api::CampaignConfig;
use reko_api::{
    status, ApiError, Campaign, CampaignUpdateSummary, CreateCampaignRequest, CreateCampaignResponse,
    DeleteCampaignRequest, DescribeCampaignRequest, DescribeCampaignResponse, ListCampaignsRequest,
    ListCampaignsResponse, ResourceStatus, SolutionVersion, UpdateCampaignRequest, UpdateCampaignResponse,
};
use reko_engine::Exploration;
use reko_storage::{ResourceUpdate, TaskKind};

use crate::access::AccessScope;
use crate::deployment::Deployment;
use crate::error::{ServiceError, ServiceResult};
use crate::resource::{now, paginate, to_document, update_of, ResourceKind, Stored};
use crate::tasks::{set_status, Outcome, Progress};
use crate::Reko;

/// The campaign's `itemExplorationConfig` for the engine; absent keys take Personalize's
/// defaults (weight 0.3, age cut-off 30 days). Values were validated at create/update time.
pub(crate) fn exploration(config: Option<&CampaignConfig>) -> ServiceResult<Exploration> {
    exploration_from_map(config.and_then(|c| c.item_exploration_config.as_ref()), "campaignConfig")
}

/// `rankingInfluence` belongs to Semantic-Similarity, which Reko does not train (it needs a hosted
/// embedding model): no Reko model could honour it, so it is refused rather than stored.
pub(crate) fn refuse_ranking_influence(
    map: Option<&std::collections::BTreeMap<String, f64>>,
    owner: &str,
) -> ServiceResult<()> {
    match map {
        Some(_) => Err(ApiError::InvalidInput(format!(
            "{owner}.rankingInfluence applies only to aws-semantic-similarity, which Reko does not train (it needs a hosted embedding model); remove rankingInfluence."
        ))
        .into()),
        None => Ok(()),
    }
}

/// Only User-Personalization explores: another recipe cannot honour an `itemExplorationConfig`
/// that asks for exploration (a weight above 0, or none: Personalize's default is 0.3), so such a
/// config is refused rather than stored.
pub(crate) fn refuse_idle_exploration(
    recipe: &str,
    map: Option<&std::collections::BTreeMap<String, String>>,
    owner: &str,
) -> ServiceResult<()> {
    if map.is_none() || reko_engine::supports_exploration(recipe) || exploration_from_map(map, owner)?.weight == 0.0 {
        return Ok(());
    }
    Err(ApiError::InvalidInput(format!(
        "{owner}.itemExplorationConfig: recipe {recipe} does not explore (item exploration is a User-Personalization \
         feature); remove itemExplorationConfig or set its explorationWeight to 0."
    ))
    .into())
}

/// An `itemExplorationConfig` map (of a campaign or a batch inference job, named by `owner` in
/// errors) for the engine.
pub(crate) fn exploration_from_map(
    map: Option<&std::collections::BTreeMap<String, String>>,
    owner: &str,
) -> ServiceResult<Exploration> {
    let mut out = Exploration::default();
    let Some(map) = map else { return Ok(out) };
    for (key, value) in map {
        let parsed = value.trim().parse::<f64>().ok().filter(|v| v.is_finite());
        match (key.as_str(), parsed) {
            ("explorationWeight", Some(w)) if (0.0..=1.0).contains(&w) => out.weight = w,
            ("explorationItemAgeCutOff", Some(days)) if days > 0.0 => out.item_age_cut_off_days = days,
            ("explorationWeight", _) => {
                return Err(ApiError::InvalidInput(format!(
                    "Value '{value}' at '{owner}.itemExplorationConfig.explorationWeight' must be a number from 0.0 to 1.0."
                )).into())
            }
            ("explorationItemAgeCutOff", _) => {
                return Err(ApiError::InvalidInput(format!(
                    "Value '{value}' at '{owner}.itemExplorationConfig.explorationItemAgeCutOff' must be a number of days greater than 0."
                )).into())
            }
            (other, _) => {
                return Err(ApiError::InvalidInput(format!(
                    "Unknown key '{other}' in {owner}.itemExplorationConfig; valid keys: explorationWeight, explorationItemAgeCutOff."
                )).into())
            }
        }
    }
    Ok(out)
}

/// Where a served model comes from and how it serves.
pub(crate) struct ModelSource<'a> {
    /// The campaign or recommender that serves it.
    pub serving_arn: &'a str,
    /// What the deployment reports it serves (a solution version ARN, a recommender's model).
    pub model_arn: &'a str,
    /// The resource whose key sealed the artifact (encrypted groups).
    pub sealed_by: &'a str,
    /// Where the model is (the artifact store, or a file written before it).
    pub location: crate::artifact_store::ModelLocation,
    /// The plaintext container's checksum (`artifactSha256`).
    pub sha256: Option<&'a str>,
    pub dataset_group_arn: String,
    pub columns: Option<&'a reko_api::TrainingDataConfig>,
    pub events: reko_engine::TrainingConfig,
    pub snapshot_seq: i64,
    pub exploration: Exploration,
    pub metadata_enabled: bool,
    /// The domain use case of a recommender (`None`: a campaign).
    pub use_case: Option<&'static crate::use_case::UseCase>,
}

/// Personalize's quota of active campaigns per dataset group.
const MAX_CAMPAIGNS_PER_DATASET_GROUP: usize = 5;

impl Reko {
    pub fn create_campaign(&self, req: CreateCampaignRequest) -> ServiceResult<CreateCampaignResponse> {
        exploration(req.campaign_config.as_ref())?;
        refuse_ranking_influence(
            req.campaign_config.as_ref().and_then(|c| c.ranking_influence.as_ref()),
            "campaignConfig",
        )?;
        // `{solutionArn}/$LATEST` deploys the newest ACTIVE version; the campaign reports the
        // version it serves (docs/compatibility.md).
        let version_arn = self.resolve_campaign_version(
            &req.solution_version_arn,
            crate::campaign_sync::follows_latest(req.campaign_config.as_ref()),
        )?;
        let version = self.active_solution_version(&version_arn)?;
        refuse_idle_exploration(
            crate::solution::recipe_for_arn(version.recipe_arn.as_deref().unwrap_or_default())?.name,
            req.campaign_config.as_ref().and_then(|c| c.item_exploration_config.as_ref()),
            "campaignConfig",
        )?;
        let group = version.dataset_group_arn.clone().unwrap_or_default();
        let in_group = self
            .store()
            .list_resources(ResourceKind::Campaign.as_str(), None)?
            .into_iter()
            .filter(|c| c.dataset_group_arn.as_deref() == Some(group.as_str()))
            .count();
        if in_group >= MAX_CAMPAIGNS_PER_DATASET_GROUP {
            return Err(ApiError::LimitExceeded(
                "Cannot create a campaign. More than 5 resources in ACTIVE state. Please delete some and try again."
                    .into(),
            )
            .into());
        }
        let arn = self.arns().child(&version_arn, ResourceKind::Campaign, &req.name);
        let created = now();
        let campaign = Campaign {
            name: req.name.clone(),
            campaign_arn: arn.clone(),
            solution_version_arn: version_arn.clone(),
            min_provisioned_tps: Some(req.min_provisioned_tps.unwrap_or(1)),
            campaign_config: req.campaign_config,
            status: ResourceStatus::CreatePending.as_str().into(),
            failure_reason: None,
            creation_date_time: created,
            last_updated_date_time: created,
            latest_campaign_update: None,
        };
        let tags = req.tags.unwrap_or_default();
        self.create_resource(
            ResourceKind::Campaign,
            &arn,
            &req.name,
            Some(&version.solution_arn),
            Some(&group),
            to_document(&campaign, &serde_json::Value::Null)?,
            TaskKind::Deploy,
            &tags,
        )?;
        Ok(CreateCampaignResponse { campaign_arn: arn })
    }

    pub fn describe_campaign(&self, req: DescribeCampaignRequest) -> ServiceResult<DescribeCampaignResponse> {
        Ok(DescribeCampaignResponse {
            campaign: self.load::<Campaign>(ResourceKind::Campaign, &req.campaign_arn)?.wire,
        })
    }

    pub fn list_campaigns(
        &self,
        req: ListCampaignsRequest,
        scope: &AccessScope,
    ) -> ServiceResult<ListCampaignsResponse> {
        let all = self.load_visible::<Campaign>(ResourceKind::Campaign, req.solution_arn.as_deref(), scope)?;
        let (campaigns, next_token) = paginate(&all, req.next_token.as_deref(), req.max_results)?;
        Ok(ListCampaignsResponse { campaigns, next_token })
    }

    pub fn update_campaign(&self, req: UpdateCampaignRequest) -> ServiceResult<UpdateCampaignResponse> {
        let mut stored = self.load::<Campaign>(ResourceKind::Campaign, &req.campaign_arn)?;
        let current = stored.wire.status.clone();
        let update_pending = stored.wire.latest_campaign_update.as_ref().is_some_and(|u| status::is_pending(&u.status));
        if (current != ResourceStatus::Active.as_str() && current != ResourceStatus::CreateFailed.as_str())
            || update_pending
        {
            return Err(ApiError::ResourceInUse(format!(
                "Campaign {} is {}{}; it can be updated when ACTIVE or CREATE FAILED.",
                req.campaign_arn,
                current,
                if update_pending { " with an update in progress" } else { "" }
            ))
            .into());
        }
        exploration(req.campaign_config.as_ref())?;
        refuse_ranking_influence(
            req.campaign_config.as_ref().and_then(|c| c.ranking_influence.as_ref()),
            "campaignConfig",
        )?;
        // The configuration in force after the update decides whether the campaign follows the
        // latest version; without a solutionVersionArn a following campaign takes the newest.
        let sync =
            crate::campaign_sync::follows_latest(req.campaign_config.as_ref().or(stored.wire.campaign_config.as_ref()));
        let target_version = match (&req.solution_version_arn, sync) {
            (Some(arn), _) => self.resolve_campaign_version(arn, sync)?,
            (None, true) => {
                let solution = stored.record.parent_arn.clone().unwrap_or_default();
                self.resolve_campaign_version(&format!("{solution}{}", reko_api::LATEST_VERSION_SUFFIX), true)?
            }
            (None, false) => stored.wire.solution_version_arn.clone(),
        };
        let version = self.active_solution_version(&target_version)?;
        if Some(version.solution_arn.as_str()) != stored.record.parent_arn.as_deref() {
            return Err(ApiError::InvalidInput(format!(
                "Solution version {target_version} belongs to another solution than campaign {}.",
                req.campaign_arn
            ))
            .into());
        }
        refuse_idle_exploration(
            crate::solution::recipe_for_arn(version.recipe_arn.as_deref().unwrap_or_default())?.name,
            req.campaign_config.as_ref().and_then(|c| c.item_exploration_config.as_ref()),
            "campaignConfig",
        )?;
        let created = now();
        let update = CampaignUpdateSummary {
            solution_version_arn: Some(target_version),
            min_provisioned_tps: req.min_provisioned_tps.or(stored.wire.min_provisioned_tps),
            campaign_config: req.campaign_config.or_else(|| stored.wire.campaign_config.clone()),
            status: ResourceStatus::CreatePending.as_str().into(),
            failure_reason: None,
            creation_date_time: created,
            last_updated_date_time: created,
        };
        let campaign_status = if current == ResourceStatus::CreateFailed.as_str() {
            // A failed campaign is re-created with the new configuration.
            stored.wire.solution_version_arn = update.solution_version_arn.clone().unwrap_or_default();
            stored.wire.min_provisioned_tps = update.min_provisioned_tps;
            stored.wire.campaign_config = update.campaign_config.clone();
            stored.wire.failure_reason = None;
            ResourceStatus::CreatePending.as_str()
        } else {
            ResourceStatus::Active.as_str()
        };
        stored.wire.status = campaign_status.into();
        stored.wire.last_updated_date_time = created;
        stored.wire.latest_campaign_update = Some(update);
        self.store().update_resource_with_task(&update_of(&stored, campaign_status)?, TaskKind::Deploy)?;
        self.notify_workers();
        Ok(UpdateCampaignResponse { campaign_arn: req.campaign_arn })
    }

    pub fn delete_campaign(&self, req: DeleteCampaignRequest) -> ServiceResult<()> {
        let stored = self.load::<Campaign>(ResourceKind::Campaign, &req.campaign_arn)?;
        self.check_not_an_arm(&stored.record)?;
        self.start_deletion(&stored)?;
        // A campaign being deleted serves no more requests (marked first, so no model loading
        // now can be installed after this).
        self.undeploy(&req.campaign_arn);
        Ok(())
    }

    fn active_solution_version(&self, arn: &str) -> ServiceResult<SolutionVersion> {
        let version = self.load::<SolutionVersion>(ResourceKind::SolutionVersion, arn)?.wire;
        if version.status != ResourceStatus::Active.as_str() {
            return Err(ApiError::ResourceInUse(format!(
                "Solution version {arn} is {}; only an ACTIVE solution version can be deployed.",
                version.status
            ))
            .into());
        }
        let recipe = crate::solution::recipe_for_arn(version.recipe_arn.as_deref().unwrap_or_default())?;
        if recipe.recipe_type == reko_engine::RecipeType::UserSegmentation {
            // As in Personalize: segments come from batch segment jobs only.
            return Err(ApiError::InvalidInput(format!(
                "Solution version {arn} ({}) is a USER_SEGMENTATION one and cannot be deployed in a campaign; use \
                 CreateBatchSegmentJob.",
                recipe.name
            ))
            .into());
        }
        Ok(version)
    }

    /// Loads and verifies the model of a solution version.
    pub(crate) fn load_deployment(
        &self,
        campaign_arn: &str,
        solution_version_arn: &str,
        config: Option<&CampaignConfig>,
    ) -> ServiceResult<Arc<Deployment>> {
        let stored = self.load::<SolutionVersion>(ResourceKind::SolutionVersion, solution_version_arn)?;
        self.deployment_of(ModelSource {
            serving_arn: campaign_arn,
            model_arn: solution_version_arn,
            sealed_by: solution_version_arn,
            location: crate::artifact_store::ModelLocation::of(
                &stored.internal,
                self.legacy_artifact_path(solution_version_arn)?,
            ),
            sha256: stored.internal.get("artifactSha256").and_then(|v| v.as_str()),
            dataset_group_arn: stored.wire.dataset_group_arn.clone().unwrap_or_default(),
            columns: stored.wire.solution_config.as_ref().and_then(|c| c.training_data_config.as_ref()),
            events: crate::solution::training_config(
                stored.wire.event_type.as_deref(),
                stored.wire.solution_config.as_ref(),
            )?,
            snapshot_seq: stored.internal.get("snapshotSeq").and_then(|v| v.as_i64()).unwrap_or(0),
            exploration: exploration(config)?,
            metadata_enabled: config.and_then(|c| c.enable_metadata_with_recommendations).unwrap_or(false),
            use_case: None,
        })
    }

    /// Loads and verifies a model artifact and prepares it to serve under `serving_arn` (a
    /// campaign's or a recommender's).
    pub(crate) fn deployment_of(&self, src: ModelSource<'_>) -> ServiceResult<Arc<Deployment>> {
        let load_started = std::time::Instant::now();
        let artifact = self.read_model(src.sealed_by, &src.location, src.sha256)?;
        let model = reko_engine::load_model(&artifact)?;
        let name = crate::metrics::name_of(src.serving_arn).to_string();
        metrics::histogram!(crate::metrics::MODEL_LOAD_DURATION, "campaign" => name)
            .record(load_started.elapsed().as_secs_f64());
        let group = src.dataset_group_arn;
        let mut deployment = Deployment {
            campaign_arn: src.serving_arn.to_string(),
            solution_version_arn: src.model_arn.to_string(),
            model,
            model_bytes: artifact.payload.len(),
            exploration: src.exploration,
            // Known: the model loaded.
            recipe_type: reko_engine::recipe(&artifact.recipe)
                .or_else(|| reko_engine::domain_recipe(&artifact.recipe))
                .ok_or_else(|| reko_engine::EngineError::UnknownRecipe(artifact.recipe.clone()))?
                .recipe_type,
            snapshot_seq: src.snapshot_seq,
            item_featurizer: self.item_featurizer(&group, src.columns)?,
            events: src.events,
            dataset_group_arn: group,
            rows: Default::default(),
            metadata_enabled: src.metadata_enabled,
            use_case: src.use_case,
            items_seq: Default::default(),
            events_seq: Default::default(),
            usage: self.usage_counter(src.serving_arn),
        };
        // Items put since training (the model skips those it knows).
        if let Some(items) = self.dataset_of_type(&deployment.dataset_group_arn, reko_dataset::DatasetType::Items)? {
            let (put, seq) =
                self.dataset_batches_with_seq(&items.wire.dataset_arn, Some(reko_storage::RecordSource::Put))?;
            deployment.items_seq = seq.into();
            let new: Vec<_> = put.iter().flat_map(|b| deployment.new_items(b)).collect();
            if !new.is_empty() {
                if let Some(model) = deployment.model.with_new_items(&new) {
                    deployment = Deployment { model, ..deployment };
                }
            }
        }
        self.observe_stored_events(&deployment)?;
        Ok(Arc::new(deployment))
    }

    /// The deployment task: initial deployment, redeployment after a failure, or an update.
    pub(crate) fn run_deployment(&self, arn: &str, progress: &mut Progress<'_>) -> ServiceResult<Outcome> {
        let mut stored: Stored<Campaign> = match self.load(ResourceKind::Campaign, arn) {
            Ok(s) => s,
            Err(ServiceError::Api(ApiError::ResourceNotFound(_))) => {
                return Ok(Outcome::Done { detail: "campaign no longer exists".into(), update: None })
            }
            Err(e) => return Err(e),
        };
        let updating = stored.wire.status == ResourceStatus::Active.as_str()
            && stored.wire.latest_campaign_update.as_ref().is_some_and(|u| status::is_pending(&u.status));
        if updating {
            let target = stored
                .wire
                .latest_campaign_update
                .as_ref()
                .and_then(|u| u.solution_version_arn.clone())
                .unwrap_or_else(|| stored.wire.solution_version_arn.clone());
            if let Some(update) = stored.wire.latest_campaign_update.as_mut() {
                update.status = ResourceStatus::CreateInProgress.as_str().into();
                update.last_updated_date_time = now();
            }
            self.save(&stored, ResourceStatus::Active.as_str())?;
            progress.report(0.5, "loading the new model; the previous one keeps serving");
            let config = stored.wire.latest_campaign_update.as_ref().and_then(|u| u.campaign_config.clone());
            let deployment = self.load_deployment(arn, &target, config.as_ref())?;
            stored.wire.solution_version_arn = target;
            if let Some(update) = stored.wire.latest_campaign_update.clone() {
                stored.wire.min_provisioned_tps = update.min_provisioned_tps;
                stored.wire.campaign_config = update.campaign_config;
            }
            if let Some(u) = stored.wire.latest_campaign_update.as_mut() {
                u.status = ResourceStatus::Active.as_str().into();
                u.last_updated_date_time = now();
            }
            stored.wire.last_updated_date_time = now();
            progress.report(0.8, "preparing the new model to serve");
            self.make_ready(&deployment)?;
            // Expects the campaign still ACTIVE: not deleted meanwhile.
            self.install_and_commit(deployment, &update_of(&stored, ResourceStatus::Active.as_str())?)?;
            return Ok(Outcome::Done { detail: "campaign updated".into(), update: None });
        }
        if !status::is_pending(&stored.wire.status) {
            return Ok(Outcome::Done { detail: format!("already {}", stored.wire.status), update: None });
        }
        self.mark_in_progress(arn)?;
        progress.report(0.5, "loading the model");
        let deployment =
            self.load_deployment(arn, &stored.wire.solution_version_arn, stored.wire.campaign_config.as_ref())?;
        if let Some(u) = stored.wire.latest_campaign_update.as_mut() {
            u.status = ResourceStatus::Active.as_str().into();
            u.last_updated_date_time = now();
        }
        let mut finish = update_of(&stored, ResourceStatus::Active.as_str())?;
        finish.expected_status = Some(ResourceStatus::CreateInProgress.as_str().into());
        set_status(&mut finish.doc, ResourceStatus::Active.as_str());
        progress.report(0.8, "preparing the model to serve");
        self.make_ready(&deployment)?;
        self.install_and_commit(deployment, &finish)?;
        Ok(Outcome::Done { detail: "campaign active".into(), update: None })
    }

    /// Builds what serving needs (the model's indexes, the group's real-time state) before the
    /// campaign reports ACTIVE, so no request after that waits on a load.
    pub(crate) fn make_ready(&self, deployment: &Deployment) -> ServiceResult<()> {
        if !self.config().role.serves_api() {
            // A worker serves nothing: the api replicas prepare their own copy (docs/cluster.md).
            return Ok(());
        }
        deployment.model.prepare();
        self.inner.live.preload(self, &deployment.dataset_group_arn)
    }

    /// Serves `deployment`, then commits `commit` (ACTIVE, conditional on the status it expects):
    /// ACTIVE only once served. If the commit fails (the campaign was deleted meanwhile), the
    /// deployment is withdrawn, so a deleted campaign never gets its model back.
    pub(crate) fn install_and_commit(&self, deployment: Arc<Deployment>, commit: &ResourceUpdate) -> ServiceResult<()> {
        if !self.config().role.serves_api() {
            // A worker verified that the model loads; the api replicas load it when they see the
            // commit through the change feed, and the worker keeps no copy.
            self.store().update_resource(commit)?;
            return Ok(());
        }
        let previous = self.install(deployment.clone())?;
        // Items and events put while it was loaded and prepared.
        let caught_up = self.catch_up_items(&deployment).and_then(|d| self.observe_stored_events(&d).map(|_| d));
        let installed = match caught_up {
            Ok(installed) => installed,
            Err(e) => {
                self.uninstall(&deployment, previous);
                return Err(e);
            }
        };
        if let Err(e) = self.store().update_resource(commit) {
            self.uninstall(&installed, previous);
            return Err(e.into());
        }
        Ok(())
    }
}
