//! What a campaign or recommender serves: its loaded model with the dataset group's real-time
//! state and item metadata (a [`Deployment`]), and how deployments are loaded, installed, kept up
//! with new items and events, and dropped.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use reko_api::{status, ApiError, Campaign, ResourceStatus};
use reko_dataset::{Featurizer, RecordBatch};
use reko_engine::{Exploration, Model, NewItem, ObservedEvent, RecipeType, TrainingConfig};

use crate::error::{ServiceError, ServiceResult};
use crate::filter::ModelRows;
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
    /// The domain use case a recommender serves (what a request must name, the event type
    /// whose items it never recommends); `None` for a campaign.
    pub(crate) use_case: Option<&'static crate::use_case::UseCase>,
    /// The newest Items chunk read (at the load, then by catch-ups): items put later are folded in.
    pub(crate) items_seq: AtomicI64,
    /// The newest PutEvents chunk observed (at the load, then by catch-ups; models that observe
    /// events: later catch-ups read only what came after it).
    pub(crate) events_seq: AtomicI64,
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
            use_case: self.use_case,
            items_seq: AtomicI64::new(self.items_seq.load(Ordering::Acquire)),
            events_seq: AtomicI64::new(self.events_seq.load(Ordering::Acquire)),
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
    pub(crate) fn user_view(&self, reko: &Reko, user_id: &str) -> ServiceResult<UserView> {
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
impl Reko {
    /// A loaded deployment of a campaign serving `solution_version_arn`, if there is one.
    pub(crate) fn serving_deployment_of(&self, solution_version_arn: &str) -> Option<Arc<Deployment>> {
        let deployments = self.inner.deployments.read().unwrap_or_else(|p| p.into_inner());
        deployments.values().find(|d| d.solution_version_arn == solution_version_arn && d.use_case.is_none()).cloned()
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

    /// Folds into an installed deployment the items put after the newest Items chunk it read:
    /// while it was loaded and prepared (PutItems extends only deployments already installed),
    /// or by another process. Returns the one installed now.
    pub(crate) fn catch_up_items(&self, deployment: &Arc<Deployment>) -> ServiceResult<Arc<Deployment>> {
        let Some(items) = self.dataset_of_type(&deployment.dataset_group_arn, reko_dataset::DatasetType::Items)? else {
            return Ok(deployment.clone());
        };
        let dataset = &items.wire.dataset_arn;
        let after = deployment.items_seq.load(Ordering::Acquire);
        let chunks = self.store().read_records_after(dataset, reko_storage::RecordSource::Put, after)?;
        let Some(newest) = chunks.iter().map(|c| c.seq).max() else { return Ok(deployment.clone()) };
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
            let Some(model) = base.model.with_new_items(&new) else {
                // Every item known already: only the chunks read move on.
                base.items_seq.fetch_max(newest, Ordering::AcqRel);
                return Ok(base);
            };
            let extended = Arc::new(base.with_model(model));
            extended.items_seq.fetch_max(newest, Ordering::AcqRel);
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

    /// The events put since a deployment's model was trained (or, after its load, since the load
    /// read them, or since the last catch-up), observed by models that move with them
    /// (Trending-Now); batches the model observed already are skipped by it. Bulk imports reach
    /// such models at their next training (docs/compatibility.md). Returns the newest chunk read.
    pub(crate) fn observe_stored_events(&self, deployment: &Deployment) -> ServiceResult<i64> {
        let after = deployment.snapshot_seq.max(deployment.events_seq.load(Ordering::Acquire));
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
        deployment.events_seq.fetch_max(newest, Ordering::AcqRel);
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
