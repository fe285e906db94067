//! The runtime: GetRecommendations and GetPersonalizedRanking against deployed campaigns.

use std::sync::Arc;

use reko_api::{
    status, ApiError, Campaign, GetPersonalizedRankingRequest, GetPersonalizedRankingResponse,
    GetRecommendationsRequest, GetRecommendationsResponse, PredictedItem, ResourceStatus,
};
use reko_dataset::{Featurizer, RecordBatch};
use reko_engine::{
    Exploration, Model, NewItem, ObservedEvent, RankQuery, Reason, RecipeType, RecommendQuery, ScoredItem,
    TrainingConfig,
};

use crate::error::{ServiceError, ServiceResult};
use crate::filter::{FilterRequest, ItemMetadata, ModelRows};
use crate::live::UserView;
use crate::resource::ResourceKind;
use crate::Reko;

/// A model served by a campaign.
pub struct Deployment {
    pub campaign_arn: String,
    pub solution_version_arn: String,
    pub model: Arc<dyn Model>,
    /// The size of the model's artifact payload: the engine's models hold their payload's
    /// arrays decoded, so this is their memory to within the indexes built for serving.
    pub model_bytes: usize,
    /// The campaign's item exploration settings (used by recipes that explore cold items).
    pub exploration: Exploration,
    /// The recipe type of the model.
    pub recipe_type: RecipeType,
    pub dataset_group_arn: String,
    /// The newest interaction chunk the model was trained on: newer events are folded in.
    pub snapshot_seq: i64,
    /// Turns items added by PutItems into the model's metadata tokens.
    pub item_featurizer: Option<Featurizer>,
    /// The solution's event selection: real-time events pass the same type and value rules as
    /// the training data did.
    pub events: TrainingConfig,
    /// The model's items' rows in the filter table.
    pub(crate) rows: ModelRows,
    /// `enableMetadataWithRecommendations` of the campaign.
    pub metadata_enabled: bool,
    /// Items the user had events of this type on are never recommended (the domain use cases
    /// that drop purchased or watched items).
    pub excluded_event_type: Option<&'static str>,
    /// The newest Items chunk read when the model was loaded: items put later are folded in.
    pub(crate) items_seq: i64,
    /// The newest PutEvents chunk observed when the model was loaded (models that observe events:
    /// later catch-ups read only what came after it).
    pub(crate) events_seq: i64,
    /// The campaign's request counter (usage accounting), shared by its successive deployments.
    pub(crate) usage: Arc<crate::usage::CampaignCounter>,
}

impl Deployment {
    /// The same deployment serving another model (one extended with new items).
    fn with_model(&self, model: Arc<dyn Model>) -> Deployment {
        Deployment {
            campaign_arn: self.campaign_arn.clone(),
            solution_version_arn: self.solution_version_arn.clone(),
            model,
            model_bytes: self.model_bytes,
            exploration: self.exploration,
            recipe_type: self.recipe_type,
            dataset_group_arn: self.dataset_group_arn.clone(),
            snapshot_seq: self.snapshot_seq,
            item_featurizer: self.item_featurizer.clone(),
            events: self.events.clone(),
            rows: ModelRows::default(),
            metadata_enabled: self.metadata_enabled,
            excluded_event_type: self.excluded_event_type,
            items_seq: self.items_seq,
            events_seq: self.events_seq,
            usage: self.usage.clone(),
        }
    }

    /// Items of `batch` (Items records) as the model's new items.
    pub(crate) fn new_items(&self, batch: &RecordBatch) -> Vec<NewItem> {
        let Some(ids) = batch.column("ITEM_ID") else { return Vec::new() };
        let created = batch.column("CREATION_TIMESTAMP");
        let mut tokens = Vec::new();
        (0..batch.len())
            .filter_map(|row| {
                let id = ids.str_value(row)?;
                tokens.clear();
                if let Some(f) = &self.item_featurizer {
                    f.tokens(batch, row, &mut tokens);
                }
                Some(NewItem {
                    item_id: id.to_string(),
                    tokens: tokens.clone(),
                    created: created.and_then(|c| c.i64_value(row)),
                })
            })
            .collect()
    }

    /// The user's real-time history and model identity (stitched sessions resolve to users).
    fn user_view(&self, reko: &Reko, user_id: &str) -> ServiceResult<UserView> {
        reko.inner.live.user_view(reko, &self.dataset_group_arn, user_id, self.snapshot_seq, &self.events)
    }
}

/// Loads done for serving so far. A campaign's deployment loads its model and its dataset
/// group's real-time state before the campaign reports ACTIVE, so requests after that load
/// neither (only after a restart do the warm-up or a first request load them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServingLoads {
    /// Models loaded by a request or the warm-up after a start, not by their deployment.
    pub models_on_demand: u64,
    /// Dataset groups' real-time states loaded from storage, by whoever needed them first.
    pub live_states: u64,
}

/// Default `numResults` of GetRecommendations.
const DEFAULT_NUM_RESULTS: usize = 25;

impl Reko {
    pub fn get_recommendations(&self, req: GetRecommendationsRequest) -> ServiceResult<GetRecommendationsResponse> {
        let started = std::time::Instant::now();
        let deployment = match (req.campaign_arn.as_deref(), req.recommender_arn.as_deref()) {
            (Some(_), Some(_)) => {
                return Err(ApiError::InvalidInput(
                    "campaignArn and recommenderArn cannot both be given; name one of them.".into(),
                )
                .into())
            }
            (None, None) => {
                return Err(ApiError::InvalidInput("Either campaignArn or recommenderArn is required.".into()).into())
            }
            (Some(campaign_arn), None) => self.deployment(campaign_arn)?,
            (None, Some(recommender_arn)) => self.recommender_for(recommender_arn, &req)?,
        };
        // Counted once the campaign serves it, failed or not (docs/usage.md).
        let result = self.recommend(&deployment, req);
        deployment.usage.record_timed(result.is_ok(), started.elapsed());
        result
    }

    /// GetRecommendations against the campaign's deployment.
    fn recommend(
        &self,
        deployment: &Deployment,
        req: GetRecommendationsRequest,
    ) -> ServiceResult<GetRecommendationsResponse> {
        let campaign_arn = deployment.campaign_arn.as_str();
        let metadata = self.metadata_columns(deployment, campaign_arn, req.metadata_columns.as_ref())?;
        // What each recipe type needs (Personalize's GetRecommendations API reference).
        match deployment.recipe_type {
            RecipeType::UserPersonalization if req.user_id.is_none() => {
                return Err(ApiError::InvalidInput(format!(
                    "userId is required: campaign {campaign_arn} serves a USER_PERSONALIZATION recipe."
                ))
                .into())
            }
            RecipeType::RelatedItems if req.item_id.is_none() => {
                return Err(ApiError::InvalidInput(format!(
                    "itemId is required: campaign {campaign_arn} serves a RELATED_ITEMS recipe."
                ))
                .into())
            }
            RecipeType::PersonalizedRanking => {
                return Err(ApiError::InvalidInput(format!(
                    "Campaign {campaign_arn} serves a PERSONALIZED_RANKING recipe; call GetPersonalizedRanking."
                ))
                .into())
            }
            RecipeType::PersonalizedActions => return Err(actions_only(campaign_arn)),
            _ => {}
        }
        let num_results = req.num_results.map(|n| n.max(0) as usize).unwrap_or(DEFAULT_NUM_RESULTS);
        let view = match (&req.user_id, deployment.recipe_type) {
            (Some(user), RecipeType::UserPersonalization) => Some(deployment.user_view(self, user)?),
            _ => None,
        };
        let user_id = view.as_ref().map(|v| v.user_id.as_str()).or(req.user_id.as_deref());
        // Items the user bought (or watched) that the domain use case never recommends.
        let dropped: std::collections::HashSet<Arc<str>> = match (deployment.excluded_event_type, user_id) {
            (Some(event_type), Some(user)) => self
                .inner
                .live
                .filter_history(self, &deployment.dataset_group_arn, user)?
                .into_iter()
                .filter(|e| e.event_type.eq_ignore_ascii_case(event_type))
                .map(|e| e.item_id)
                .collect(),
            _ => Default::default(),
        };
        let context = context_tokens(req.context.as_ref());
        let filter = |arn, values| FilterRequest {
            filter_arn: arn,
            values,
            dataset_group_arn: &deployment.dataset_group_arn,
            user_id,
            item_id: req.item_id.as_deref(),
        };
        let gate = match &req.filter_arn {
            Some(arn) => self.item_gate(&filter(arn, req.filter_values.as_ref()))?,
            None => None,
        };
        // The model's ranking of the items passing `allowed` (also given by item index), best first.
        let recommend_indexed = |n: usize, allowed: &dyn Fn(&str) -> bool, by_index: Option<&dyn Fn(u32) -> bool>| {
            // Dropped items are known by id only: the index shortcut is left out then.
            let by_index = by_index.filter(|_| dropped.is_empty());
            let excluded_index = by_index.map(|f| move |i: u32| !f(i));
            let query = RecommendQuery {
                user_id,
                item_id: req.item_id.as_deref(),
                num_results: n,
                exclude: &|id| !allowed(id) || dropped.contains(id),
                exclude_index: excluded_index.as_ref().map(|f| f as &dyn Fn(u32) -> bool),
                context: &context,
                exploration: Some(deployment.exploration),
            };
            match &view {
                Some(v) if !v.events.is_empty() => deployment.model.recommend_with_history(&query, &v.events),
                _ => deployment.model.recommend(&query),
            }
        };
        let recommend = |n: usize, allowed: &dyn Fn(&str) -> bool| recommend_indexed(n, allowed, None);
        let Some(promotion) = req.promotions.as_ref().and_then(|p| p.first()) else {
            let items = match &gate {
                Some(g) => g.with_index(&deployment.rows, deployment.model.catalogue(), |allowed, by_index| {
                    recommend_indexed(num_results, allowed, by_index)
                }),
                None => recommend(num_results, &|_| true),
            };
            return Ok(GetRecommendationsResponse {
                item_list: with_metadata(predicted(items), metadata.as_ref()),
                recommendation_id: recommendation_id(campaign_arn),
            });
        };
        // Promotions (docs/compatibility.md, "Promotions"): a share of the slots goes to items
        // passing the promotion's filter; the request's filter applies to the other slots only.
        if deployment.recipe_type == RecipeType::PersonalizedRanking {
            return Err(ApiError::InvalidInput(
                "promotions are not supported by PERSONALIZED_RANKING campaigns.".into(),
            )
            .into());
        }
        let name = promotion.name.clone().unwrap_or_default();
        let promo_arn = promotion
            .filter_arn
            .as_deref()
            .ok_or_else(|| ApiError::InvalidInput(format!("promotions.1.filterArn is required (promotion {name}).")))?;
        let percent = promotion.percent_promoted_items.unwrap_or(0).clamp(0, 100) as usize;
        let slots = promoted_slots(num_results, percent);
        let promo_gate = self.item_gate(&filter(promo_arn, promotion.filter_values.as_ref()))?;
        let promoted = match &promo_gate {
            Some(g) => g.with(|allowed| recommend(slots, allowed)),
            None => recommend(slots, &|_| true),
        };
        let taken: std::collections::HashSet<&str> = promoted.iter().map(|i| i.item_id.as_str()).collect();
        let rest_n = num_results - promoted.len();
        let rest = match &gate {
            Some(g) => g.with(|allowed| recommend(rest_n, &|id| allowed(id) && !taken.contains(id))),
            None => recommend(rest_n, &|id| !taken.contains(id)),
        };
        let item_list = place_promoted(predicted(rest), predicted(promoted), &name, &mut rand::thread_rng());
        let item_list = with_metadata(item_list, metadata.as_ref());
        Ok(GetRecommendationsResponse { item_list, recommendation_id: recommendation_id(campaign_arn) })
    }

    pub fn get_personalized_ranking(
        &self,
        req: GetPersonalizedRankingRequest,
    ) -> ServiceResult<GetPersonalizedRankingResponse> {
        let started = std::time::Instant::now();
        let deployment = self.deployment(&req.campaign_arn)?;
        let result = self.rank(&deployment, req);
        deployment.usage.record_timed(result.is_ok(), started.elapsed());
        result
    }

    /// GetPersonalizedRanking against the campaign's deployment.
    fn rank(
        &self,
        deployment: &Deployment,
        req: GetPersonalizedRankingRequest,
    ) -> ServiceResult<GetPersonalizedRankingResponse> {
        if deployment.recipe_type == RecipeType::PersonalizedActions {
            return Err(actions_only(&req.campaign_arn));
        }
        let metadata = self.metadata_columns(deployment, &req.campaign_arn, req.metadata_columns.as_ref())?;
        let context = context_tokens(req.context.as_ref());
        let view = deployment.user_view(self, &req.user_id)?;
        // A filter removes items from the input list before ranking.
        let input: Vec<String> = match &req.filter_arn {
            Some(arn) => {
                let gate = self.item_gate(&FilterRequest {
                    filter_arn: arn,
                    values: req.filter_values.as_ref(),
                    dataset_group_arn: &deployment.dataset_group_arn,
                    user_id: Some(&view.user_id),
                    item_id: None,
                })?;
                match gate {
                    Some(g) => g.with(|allowed| req.input_list.iter().filter(|i| allowed(i)).cloned().collect()),
                    None => req.input_list.clone(),
                }
            }
            None => req.input_list.clone(),
        };
        let query = RankQuery { user_id: &view.user_id, input: &input, context: &context };
        let ranked = if view.events.is_empty() {
            deployment.model.rank(&query)
        } else {
            deployment.model.rank_with_history(&query, &view.events)
        };
        Ok(GetPersonalizedRankingResponse {
            personalized_ranking: with_metadata(predicted(ranked), metadata.as_ref()),
            recommendation_id: recommendation_id(&req.campaign_arn),
        })
    }

    /// The model a campaign serves, loaded on first use after a start.
    pub(crate) fn deployment(&self, campaign_arn: &str) -> ServiceResult<Arc<Deployment>> {
        if let Some(d) = self.inner.deployments.read().unwrap_or_else(|p| p.into_inner()).get(campaign_arn) {
            return Ok(d.clone());
        }
        // One load at a time (a model can be hundreds of MB): concurrent first requests and the
        // warm-up wait for it instead of loading it again.
        let _loading = self.inner.loading.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(d) = self.inner.deployments.read().unwrap_or_else(|p| p.into_inner()).get(campaign_arn) {
            return Ok(d.clone());
        }
        let campaign = self.load::<Campaign>(ResourceKind::Campaign, campaign_arn)?.wire;
        if campaign.status != ResourceStatus::Active.as_str() {
            return Err(ApiError::InvalidInput(format!(
                "Campaign {campaign_arn} is {}; it serves requests once ACTIVE.",
                campaign.status
            ))
            .into());
        }
        let deployment =
            self.load_deployment(campaign_arn, &campaign.solution_version_arn, campaign.campaign_config.as_ref())?;
        self.inner.models_loaded_on_demand.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut map = self.inner.deployments.write().unwrap_or_else(|p| p.into_inner());
        // The campaign may have been deleted while its model loaded: never serve it again.
        self.ensure_live(campaign_arn)?;
        // Another request (or a finishing update) may have installed one meanwhile: keep it.
        let installed = map.entry(campaign_arn.to_string()).or_insert(deployment).clone();
        drop(map);
        // Events put while it loaded (batches it already observed are skipped).
        self.observe_stored_events(&installed)?;
        Ok(installed)
    }

    /// `Ok` while a campaign exists and is not being deleted. Checked under the deployments'
    /// write lock before installing a model: a deletion marks the campaign first and removes its
    /// deployment after, so no model loaded before the deletion is installed after it.
    fn ensure_live(&self, campaign_arn: &str) -> ServiceResult<()> {
        match self.store().get_resource(campaign_arn)? {
            Some(record) if !status::is_deleting(&record.status) => Ok(()),
            _ => Err(ApiError::ResourceNotFound(format!("Could not find campaign: {campaign_arn}")).into()),
        }
    }

    /// After a start: loads every ACTIVE campaign's model (with its serving index) and its
    /// dataset group's real-time state in the background, so the first requests do not pay for
    /// it. Requests that arrive meanwhile load what they need themselves, as before.
    pub(crate) fn warm_up_in_background(&self) {
        let reko = self.clone();
        let spawned = std::thread::Builder::new().name("reko-warm-up".into()).spawn(move || {
            let Ok(campaigns) = reko.load_all::<Campaign>(ResourceKind::Campaign, None) else { return };
            for c in campaigns.into_iter().filter(|c| c.wire.status == ResourceStatus::Active.as_str()) {
                if reko.inner.stopping.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                let started = std::time::Instant::now();
                match reko.deployment(&c.wire.campaign_arn) {
                    Ok(d) => {
                        d.model.prepare();
                        if let Err(e) = reko.inner.live.preload(&reko, &d.dataset_group_arn) {
                            tracing::warn!(error = %e, "loading the real-time state failed; requests will retry");
                        }
                        tracing::info!(campaign = %c.wire.campaign_arn, secs = started.elapsed().as_secs_f64(), "campaign warmed up");
                    }
                    Err(e) => tracing::warn!(campaign = %c.wire.campaign_arn, error = %e, "campaign not warmed up"),
                }
            }
            reko.warm_up_recommenders();
            reko.inner.warmed_up.store(true, std::sync::atomic::Ordering::Release);
            tracing::info!("every ACTIVE campaign and recommender is loaded: ready");
        });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "no warm-up thread; campaigns load on first use");
            self.inner.warmed_up.store(true, std::sync::atomic::Ordering::Release);
        }
    }

    /// Whether the start-up warm-up is done: every campaign and recommender ACTIVE at start-up has its model and
    /// real-time state loaded (or failed to, logged), so no request waits on a load. Campaigns
    /// created or updated later report ACTIVE only once loaded.
    pub fn is_ready(&self) -> bool {
        self.inner.warmed_up.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Makes a deployment the one served by its campaign (atomic swap), unless the campaign was
    /// deleted meanwhile; returns the one it replaced.
    pub(crate) fn install(&self, deployment: Arc<Deployment>) -> ServiceResult<Option<Arc<Deployment>>> {
        let mut map = self.inner.deployments.write().unwrap_or_else(|p| p.into_inner());
        self.ensure_live(&deployment.campaign_arn)?;
        Ok(map.insert(deployment.campaign_arn.clone(), deployment))
    }

    /// Undoes [`Self::install`] of `ours` (its status was not committed): `previous` serves
    /// again, unless the campaign is being deleted.
    pub(crate) fn uninstall(&self, ours: &Arc<Deployment>, previous: Option<Arc<Deployment>>) {
        let arn = &ours.campaign_arn;
        let mut map = self.inner.deployments.write().unwrap_or_else(|p| p.into_inner());
        if !map.get(arn).is_some_and(|cur| Arc::ptr_eq(cur, ours)) {
            return; // replaced or removed meanwhile
        }
        match previous.filter(|_| self.ensure_live(arn).is_ok()) {
            Some(p) => map.insert(arn.clone(), p),
            None => map.remove(arn),
        };
    }

    /// Folds into a just-installed deployment the items put while it was loaded and prepared
    /// (PutItems extends only deployments already installed); returns the one installed now.
    pub(crate) fn catch_up_items(&self, deployment: &Arc<Deployment>) -> ServiceResult<Arc<Deployment>> {
        let Some(items) = self.dataset_of_type(&deployment.dataset_group_arn, reko_dataset::DatasetType::Items)? else {
            return Ok(deployment.clone());
        };
        let dataset = &items.wire.dataset_arn;
        let chunks = self.store().read_records_after(dataset, reko_storage::RecordSource::Put, deployment.items_seq)?;
        if chunks.is_empty() {
            return Ok(deployment.clone());
        }
        let sealer = self.sealer(dataset)?;
        let mut new = Vec::new();
        for chunk in chunks {
            let batch = RecordBatch::decode(&sealer.open(chunk.data)?).map_err(|e| {
                ServiceError::Internal(format!("stored records of {dataset} (chunk {}) are corrupt: {e}", chunk.seq))
            })?;
            new.extend(deployment.new_items(&batch));
        }
        let mut base = deployment.clone();
        loop {
            let Some(model) = base.model.with_new_items(&new) else { return Ok(base) };
            let extended = Arc::new(base.with_model(model));
            let mut map = self.inner.deployments.write().unwrap_or_else(|p| p.into_inner());
            match map.get(&base.campaign_arn) {
                Some(cur) if Arc::ptr_eq(cur, &base) => {
                    map.insert(base.campaign_arn.clone(), extended.clone());
                    return Ok(extended);
                }
                // Extended by a PutItems meanwhile: add these to that one (known items are skipped).
                Some(cur) => base = cur.clone(),
                None => return Ok(base), // withdrawn: the campaign is being deleted
            }
        }
    }

    /// The solution version a campaign serves now; `None` while none is loaded.
    pub fn served_solution_version(&self, campaign_arn: &str) -> Option<String> {
        let map = self.inner.deployments.read().unwrap_or_else(|p| p.into_inner());
        map.get(campaign_arn).map(|d| d.solution_version_arn.clone())
    }

    /// What serving has loaded so far (see [`ServingLoads`]).
    pub fn serving_loads(&self) -> ServingLoads {
        ServingLoads {
            models_on_demand: self.inner.models_loaded_on_demand.load(std::sync::atomic::Ordering::Relaxed),
            live_states: self.inner.live.loads(),
        }
    }

    /// The `metadataColumns` of a request, checked against the campaign and the Items schema.
    fn metadata_columns(
        &self,
        deployment: &Deployment,
        campaign_arn: &str,
        requested: Option<&std::collections::BTreeMap<String, Vec<String>>>,
    ) -> ServiceResult<Option<MetadataRequest>> {
        let Some(requested) = requested.filter(|m| m.values().any(|c| !c.is_empty())) else { return Ok(None) };
        if !deployment.metadata_enabled {
            let what = if campaign_arn.contains(":recommender/") { "recommender" } else { "campaign" };
            return Err(ApiError::InvalidInput(format!(
                "metadataColumns needs a {what} with enableMetadataWithRecommendations; {what} {campaign_arn} \
                 does not return metadata."
            ))
            .into());
        }
        let mut columns: Vec<String> = Vec::new();
        for (dataset_type, cols) in requested {
            if !dataset_type.eq_ignore_ascii_case("ITEMS") {
                return Err(ApiError::InvalidInput(format!(
                    "metadataColumns key '{dataset_type}' is not supported; use ITEMS."
                ))
                .into());
            }
            columns.extend(cols.iter().cloned());
        }
        let table = self.item_metadata(&deployment.dataset_group_arn)?.ok_or_else(|| {
            ApiError::InvalidInput(format!(
                "metadataColumns: dataset group {} has no Items dataset.",
                deployment.dataset_group_arn
            ))
        })?;
        let positions = {
            let t = table.read().unwrap_or_else(|p| p.into_inner());
            columns
                .iter()
                .map(|c| {
                    t.columns.iter().position(|k| k == c).ok_or_else(|| {
                        ApiError::InvalidInput(format!(
                            "metadataColumns.ITEMS: '{c}' is not a column of the Items dataset (columns: {}).",
                            t.columns.join(", ")
                        ))
                        .into()
                    })
                })
                .collect::<ServiceResult<Vec<usize>>>()?
        };
        Ok(Some(MetadataRequest { table, columns: positions.into_iter().zip(columns).collect() }))
    }

    /// The events put since a deployment's model was trained (or, after its load, since the load
    /// read them), observed by models that move with them (Trending-Now); batches the model
    /// observed already are skipped by it. Bulk imports reach such models at their next training
    /// (docs/compatibility.md). Returns the newest chunk read.
    pub(crate) fn observe_stored_events(&self, deployment: &Deployment) -> ServiceResult<i64> {
        let after = deployment.snapshot_seq.max(deployment.events_seq);
        if !deployment.model.observes_events() {
            return Ok(after);
        }
        let interactions =
            self.dataset_of_type(&deployment.dataset_group_arn, reko_dataset::DatasetType::Interactions)?;
        let Some(interactions) = interactions else { return Ok(after) };
        let dataset = &interactions.wire.dataset_arn;
        let chunks = self.store().read_records_after(dataset, reko_storage::RecordSource::Put, after)?;
        let newest = chunks.iter().map(|c| c.seq).max().unwrap_or(after);
        let sealer = self.sealer(dataset)?;
        for chunk in chunks {
            let batch = RecordBatch::decode(&sealer.open(chunk.data)?).map_err(|e| {
                ServiceError::Internal(format!("stored records of {dataset} (chunk {}) are corrupt: {e}", chunk.seq))
            })?;
            let (Some(items), Some(times)) = (batch.column("ITEM_ID"), batch.column("TIMESTAMP")) else { continue };
            let (types, values) = (batch.column("EVENT_TYPE"), batch.column("EVENT_VALUE"));
            let events: Vec<ObservedEvent> = (0..batch.len())
                .filter_map(|row| {
                    let value = values.and_then(|c| c.f64_value(row)).map(|v| v as f32);
                    let weight =
                        reko_engine::event_weight(&deployment.events, types.and_then(|c| c.str_value(row)), value)?;
                    Some(ObservedEvent {
                        item_id: items.str_value(row)?.to_string(),
                        timestamp: times.i64_value(row)?,
                        weight,
                    })
                })
                .collect();
            deployment.model.observe_events(chunk.seq, &events);
        }
        Ok(newest)
    }

    /// PutEvents: campaigns of the group whose models move with events observe the batch `seq`.
    pub(crate) fn observe_put_events(&self, dataset_group_arn: &str, seq: i64, events: &[crate::live::LiveEvent]) {
        let map = self.inner.deployments.read().unwrap_or_else(|p| p.into_inner());
        for d in map.values().filter(|d| d.dataset_group_arn == dataset_group_arn && d.model.observes_events()) {
            let observed: Vec<ObservedEvent> = events
                .iter()
                .filter_map(|e| {
                    let weight = reko_engine::event_weight(&d.events, Some(&e.event_type), e.event_value)?;
                    Some(ObservedEvent { item_id: e.item_id.to_string(), timestamp: e.timestamp, weight })
                })
                .collect();
            d.model.observe_events(seq, &observed);
        }
    }

    /// PutItems: campaigns of the group whose models take new items serve them from now on.
    pub(crate) fn add_items_to_deployments(&self, dataset_group_arn: &str, batch: &RecordBatch) {
        let current: Vec<Arc<Deployment>> = self
            .inner
            .deployments
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .filter(|d| d.dataset_group_arn == dataset_group_arn)
            .cloned()
            .collect();
        for d in current {
            let items = d.new_items(batch);
            if let Some(model) = d.model.with_new_items(&items) {
                let mut map = self.inner.deployments.write().unwrap_or_else(|p| p.into_inner());
                // Only if the campaign still serves the model we extended (no update meanwhile).
                if map.get(&d.campaign_arn).is_some_and(|cur| Arc::ptr_eq(cur, &d)) {
                    map.insert(d.campaign_arn.clone(), Arc::new(d.with_model(model)));
                }
            }
        }
    }

    pub(crate) fn undeploy(&self, campaign_arn: &str) {
        self.inner.deployments.write().unwrap_or_else(|p| p.into_inner()).remove(campaign_arn);
    }
}

/// `reason` of a promoted item, as Personalize words it.
const REASON_PROMOTED: &str = "Promoted item";

fn predicted(items: Vec<ScoredItem>) -> Vec<PredictedItem> {
    items
        .into_iter()
        .map(|i| PredictedItem {
            item_id: Some(i.item_id),
            score: i.score,
            promotion_name: None,
            metadata: None,
            reason: i.reason.map(|r| {
                vec![match r {
                    Reason::Exploration => "Exploration",
                    Reason::Popular => "Popular item",
                }
                .to_string()]
            }),
        })
        .collect()
}

/// The item columns a request wants in each `PredictedItem.metadata`.
struct MetadataRequest {
    table: Arc<std::sync::RwLock<ItemMetadata>>,
    columns: Vec<(usize, String)>,
}

fn with_metadata(mut items: Vec<PredictedItem>, request: Option<&MetadataRequest>) -> Vec<PredictedItem> {
    let Some(request) = request else { return items };
    let table = request.table.read().unwrap_or_else(|p| p.into_inner());
    let columns: Vec<(usize, &str)> = request.columns.iter().map(|(i, c)| (*i, c.as_str())).collect();
    for item in &mut items {
        if let Some(id) = &item.item_id {
            item.metadata = Some(table.values(id, &columns));
        }
    }
    items
}

/// Slots of `num_results` that go to promoted items: `percent` of them, rounded to the nearest
/// slot, at least one when the percentage is positive (Personalize does not say how it rounds).
fn promoted_slots(num_results: usize, percent: usize) -> usize {
    if num_results == 0 || percent == 0 {
        return 0;
    }
    ((num_results * percent + 50) / 100).clamp(1, num_results)
}

/// Promoted items keep their order among themselves but take random positions in the list
/// (docs/compatibility.md, "Promotions"), each tagged with the promotion's name.
fn place_promoted(
    rest: Vec<PredictedItem>,
    promoted: Vec<PredictedItem>,
    name: &str,
    rng: &mut impl rand::Rng,
) -> Vec<PredictedItem> {
    let total = rest.len() + promoted.len();
    let mut positions = rand::seq::index::sample(rng, total, promoted.len()).into_vec();
    positions.sort_unstable();
    let mut out = Vec::with_capacity(total);
    let (mut rest, mut promoted) = (rest.into_iter(), promoted.into_iter());
    let mut next = positions.into_iter().peekable();
    for slot in 0..total {
        if next.peek() == Some(&slot) {
            next.next();
            if let Some(mut p) = promoted.next() {
                p.promotion_name = Some(name.to_string());
                p.reason.get_or_insert_with(Vec::new).insert(0, REASON_PROMOTED.to_string());
                out.push(p);
            }
        } else if let Some(r) = rest.next() {
            out.push(r);
        }
    }
    out
}

/// The request's `context` map as the engine's feature tokens (`FIELD=value`), in key order.
pub(crate) fn context_tokens(context: Option<&std::collections::BTreeMap<String, String>>) -> Vec<String> {
    context.into_iter().flatten().map(|(k, v)| format!("{k}={v}")).collect()
}

/// GetRecommendations / GetPersonalizedRanking on a Next-Best-Action campaign.
fn actions_only(campaign_arn: &str) -> crate::ServiceError {
    ApiError::InvalidInput(format!(
        "Campaign {campaign_arn} serves a PERSONALIZED_ACTIONS recipe; call GetActionRecommendations."
    ))
    .into()
}

/// A new id naming the campaign or recommender that issued the recommendations
/// (crate::recommendation_id).
pub(crate) fn recommendation_id(issuer_arn: &str) -> String {
    use crate::recommendation_id::{issue, Issuer};
    issue(if issuer_arn.contains(":recommender/") {
        Issuer::Recommender(issuer_arn)
    } else {
        Issuer::Campaign(issuer_arn)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn items(prefix: &str, n: usize) -> Vec<PredictedItem> {
        (0..n).map(|i| PredictedItem { item_id: Some(format!("{prefix}{i}")), ..Default::default() }).collect()
    }

    #[test]
    fn promoted_slots_round_to_the_nearest_and_keep_at_least_one() {
        assert_eq!(promoted_slots(25, 10), 3);
        assert_eq!(promoted_slots(25, 1), 1);
        assert_eq!(promoted_slots(10, 100), 10);
        assert_eq!(promoted_slots(10, 0), 0);
        assert_eq!(promoted_slots(0, 50), 0);
    }

    #[test]
    fn promoted_items_keep_their_order_at_random_positions() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let mut positions_seen = std::collections::HashSet::new();
        for _ in 0..50 {
            let out = place_promoted(items("r", 7), items("p", 3), "promo", &mut rng);
            assert_eq!(out.len(), 10);
            let promoted: Vec<&str> =
                out.iter().filter(|i| i.promotion_name.is_some()).map(|i| i.item_id.as_deref().unwrap()).collect();
            assert_eq!(promoted, ["p0", "p1", "p2"]);
            let rest: Vec<&str> =
                out.iter().filter(|i| i.promotion_name.is_none()).map(|i| i.item_id.as_deref().unwrap()).collect();
            assert_eq!(rest, ["r0", "r1", "r2", "r3", "r4", "r5", "r6"]);
            assert!(out
                .iter()
                .filter(|i| i.promotion_name.is_some())
                .all(|i| i.promotion_name.as_deref() == Some("promo")));
            positions_seen.insert(out.iter().position(|i| i.promotion_name.is_some()).unwrap());
        }
        assert!(positions_seen.len() > 2, "{positions_seen:?}");
    }
}
