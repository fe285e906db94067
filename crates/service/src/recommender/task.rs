//! The recommender task: what it does follows the recommender's status — train and serve a new
//! recommender, apply an update (retraining when the training columns change), retrain on the
//! cadence, stop (unload) or start (load again). The model serving now keeps serving until the
//! new one is installed, so a retraining or an update has no gap.

use reko_api::{status, ApiError, Recommender, RecommenderConfig, ResourceStatus};
use reko_storage::TaskKind;

use super::{use_case_of, UseCase};
use crate::error::{ServiceError, ServiceResult};
use crate::resource::{now, update_of, ResourceKind, Stored};
use crate::tasks::{set_status, Outcome, Progress};
use crate::Reko;

const MODEL_FILE: &str = "model.rkm";

/// Bookkeeping of the model a recommender serves (in its document's internal part).
pub(super) const MODEL_ID: &str = "modelId";
pub(super) const SNAPSHOT_SEQ: &str = "snapshotSeq";
/// When the served model was trained (epoch seconds): the retraining cadence counts from it.
pub(super) const TRAINED_AT: &str = "trainedAt";
/// Set by [`Reko::request_retrain`]; the task retrains while it is set.
pub(super) const RETRAIN_REQUESTED: &str = "retrainRequested";

/// A model just trained and written.
struct Trained {
    model_id: String,
    written: crate::artifact_store::WrittenModel,
    snapshot_seq: i64,
    metrics: std::collections::BTreeMap<String, f64>,
}

impl Reko {
    pub(crate) fn run_recommender(&self, arn: &str, progress: &mut Progress<'_>) -> ServiceResult<Outcome> {
        let stored: Stored<Recommender> = match self.load(ResourceKind::Recommender, arn) {
            Ok(s) => s,
            Err(ServiceError::Api(ApiError::ResourceNotFound(_))) => {
                return Ok(Outcome::Done { detail: "recommender no longer exists".into(), update: None })
            }
            Err(e) => return Err(e),
        };
        let current = ResourceStatus::parse(&stored.wire.status);
        let update_pending =
            stored.wire.latest_recommender_update.as_ref().is_some_and(|u| status::is_pending(&u.status));
        match current {
            Some(ResourceStatus::CreatePending | ResourceStatus::CreateInProgress) => {
                self.create_model(stored, progress)
            }
            Some(ResourceStatus::StopPending | ResourceStatus::StopInProgress) => self.stop_serving(stored),
            Some(ResourceStatus::StartPending | ResourceStatus::StartInProgress) => self.start_serving(stored),
            Some(ResourceStatus::Active) if update_pending => self.apply_update(stored, progress),
            Some(ResourceStatus::Active) if stored.internal.get(RETRAIN_REQUESTED).is_some() => {
                self.retrain(stored, progress)
            }
            _ => Ok(Outcome::Done { detail: format!("already {}", stored.wire.status), update: None }),
        }
    }

    /// CREATE PENDING → CREATE IN_PROGRESS (training) → ACTIVE once served.
    fn create_model(&self, mut stored: Stored<Recommender>, progress: &mut Progress<'_>) -> ServiceResult<Outcome> {
        self.mark_in_progress(&stored.wire.recommender_arn)?;
        let use_case = use_case_of(&stored.wire)?;
        let trained =
            match self.train_use_case(&stored.wire, stored.wire.recommender_config.as_ref(), use_case, progress)? {
                Ok(t) => t,
                Err(reason) => return Ok(Outcome::Failed { reason }),
            };
        // Re-read: the recommender may have been deleted meanwhile (the commit then fails).
        stored = self.load(ResourceKind::Recommender, &stored.wire.recommender_arn)?;
        record(&mut stored, &trained);
        stored.wire.status = ResourceStatus::Active.as_str().into();
        let deployment = self.recommender_deployment(&stored, stored.wire.recommender_config.as_ref())?;
        progress.report(0.9, "preparing the model to serve");
        self.make_ready(&deployment)?;
        let mut commit = update_of(&stored, ResourceStatus::Active.as_str())?;
        set_status(&mut commit.doc, ResourceStatus::Active.as_str());
        self.install_and_commit(deployment, &commit)?;
        Ok(Outcome::Done { detail: format!("recommender active; model {}", trained.model_id), update: None })
    }

    /// An update: the new configuration, with a model retrained when its training columns changed.
    fn apply_update(&self, mut stored: Stored<Recommender>, progress: &mut Progress<'_>) -> ServiceResult<Outcome> {
        let config = stored.wire.latest_recommender_update.as_ref().and_then(|u| u.recommender_config.clone());
        set_update_status(&mut stored, ResourceStatus::CreateInProgress, None);
        self.save(&stored, ResourceStatus::Active.as_str())?;
        stored = self.load(ResourceKind::Recommender, &stored.wire.recommender_arn)?;
        let columns = |c: Option<&RecommenderConfig>| c.and_then(|c| c.training_data_config.clone());
        let previous_model = stored.internal.get(MODEL_ID).and_then(|v| v.as_str()).map(str::to_string);
        if columns(config.as_ref()) != columns(stored.wire.recommender_config.as_ref()) {
            let use_case = use_case_of(&stored.wire)?;
            match self.train_use_case(&stored.wire, config.as_ref(), use_case, progress)? {
                Ok(trained) => {
                    stored = self.load(ResourceKind::Recommender, &stored.wire.recommender_arn)?;
                    record(&mut stored, &trained);
                }
                Err(reason) => return Ok(Outcome::Failed { reason }),
            }
        }
        stored.wire.recommender_config = config;
        set_update_status(&mut stored, ResourceStatus::Active, None);
        stored.wire.last_updated_date_time = now();
        let deployment = self.recommender_deployment(&stored, stored.wire.recommender_config.as_ref())?;
        self.make_ready(&deployment)?;
        self.install_and_commit(deployment, &update_of(&stored, ResourceStatus::Active.as_str())?)?;
        self.remove_replaced_model(&stored, previous_model.as_deref());
        Ok(Outcome::Done { detail: "recommender updated".into(), update: None })
    }

    /// A retraining on the cadence ([`Reko::due_retrains`]): a new model from the current data.
    fn retrain(&self, stored: Stored<Recommender>, progress: &mut Progress<'_>) -> ServiceResult<Outcome> {
        let use_case = use_case_of(&stored.wire)?;
        let previous_model = stored.internal.get(MODEL_ID).and_then(|v| v.as_str()).map(str::to_string);
        let trained = self.train_use_case(&stored.wire, stored.wire.recommender_config.as_ref(), use_case, progress)?;
        let mut stored: Stored<Recommender> = self.load(ResourceKind::Recommender, &stored.wire.recommender_arn)?;
        if let Some(internal) = stored.internal.as_object_mut() {
            internal.remove(RETRAIN_REQUESTED);
        }
        let Ok(trained) = trained else {
            // The model serving keeps serving; the next due check tries again.
            let reason = trained.err().unwrap_or_default();
            tracing::warn!(recommender = %stored.wire.recommender_arn, %reason, "retraining failed");
            if let Some(internal) = stored.internal.as_object_mut() {
                internal.insert(TRAINED_AT.into(), now().into());
            }
            let update = update_of(&stored, ResourceStatus::Active.as_str())?;
            return Ok(Outcome::Done { detail: format!("retraining failed: {reason}"), update: Some(update) });
        };
        record(&mut stored, &trained);
        let deployment = self.recommender_deployment(&stored, stored.wire.recommender_config.as_ref())?;
        self.make_ready(&deployment)?;
        self.install_and_commit(deployment, &update_of(&stored, ResourceStatus::Active.as_str())?)?;
        self.remove_replaced_model(&stored, previous_model.as_deref());
        Ok(Outcome::Done { detail: format!("retrained; model {}", trained.model_id), update: None })
    }

    /// STOP PENDING → STOP IN_PROGRESS → INACTIVE: the model no longer serves nor holds memory.
    fn stop_serving(&self, mut stored: Stored<Recommender>) -> ServiceResult<Outcome> {
        self.move_to(&mut stored, ResourceStatus::StopInProgress)?;
        self.undeploy(&stored.wire.recommender_arn);
        let mut update = update_of(&stored, ResourceStatus::Inactive.as_str())?;
        set_status(&mut update.doc, ResourceStatus::Inactive.as_str());
        Ok(Outcome::Done { detail: "recommender stopped".into(), update: Some(update) })
    }

    /// START PENDING → START IN_PROGRESS → ACTIVE once the kept model serves again.
    fn start_serving(&self, mut stored: Stored<Recommender>) -> ServiceResult<Outcome> {
        self.move_to(&mut stored, ResourceStatus::StartInProgress)?;
        let deployment = self.recommender_deployment(&stored, stored.wire.recommender_config.as_ref())?;
        self.make_ready(&deployment)?;
        let mut commit = update_of(&stored, ResourceStatus::Active.as_str())?;
        set_status(&mut commit.doc, ResourceStatus::Active.as_str());
        self.install_and_commit(deployment, &commit)?;
        Ok(Outcome::Done { detail: "recommender started".into(), update: None })
    }

    fn move_to(&self, stored: &mut Stored<Recommender>, next: ResourceStatus) -> ServiceResult<()> {
        if stored.wire.status != next.as_str() {
            stored.wire.status = next.as_str().into();
            stored.wire.last_updated_date_time = now();
            self.save(stored, next.as_str())?;
            *stored = self.load(ResourceKind::Recommender, &stored.wire.recommender_arn)?;
        }
        Ok(())
    }

    /// Trains the use case on the group's current data and writes the model. `Err(reason)`: the
    /// data cannot train it (the recommender fails with that reason).
    fn train_use_case(
        &self,
        recommender: &Recommender,
        config: Option<&RecommenderConfig>,
        use_case: &UseCase,
        progress: &mut Progress<'_>,
    ) -> ServiceResult<Result<Trained, String>> {
        let arn = &recommender.recommender_arn;
        progress.report(0.0, "reading a snapshot of the dataset group");
        let columns = config.and_then(|c| c.training_data_config.as_ref());
        let snapshot = match self.training_data(&recommender.dataset_group_arn, columns, None, false) {
            Ok(s) => s,
            Err(ServiceError::Api(ApiError::InvalidInput(reason))) => return Ok(Err(reason)),
            Err(e) => return Err(e),
        };
        progress.report(0.1, &format!("training {} with {}", use_case.name, use_case.engine_recipe));
        let training = training_config(use_case);
        let trained = match reko_engine::train(use_case.engine_recipe, &snapshot.data, &training, &mut |_| {}) {
            Ok(t) => t,
            Err(e @ (reko_engine::EngineError::InsufficientData(_) | reko_engine::EngineError::InvalidConfig(_))) => {
                let events = use_case.event_type.map_or(String::new(), |t| format!(" ({t} events)"));
                return Ok(Err(format!("{e} The use case {} trains on the interactions{events}.", use_case.name)));
            }
            Err(e) => return Err(e.into()),
        };
        let model_id = crate::arn::solution_version_id();
        let dir = format!("{}/{model_id}", self.recommender_models_key(arn));
        let written = self.write_model(arn, &trained.artifact, &dir)?;
        progress.report(0.8, "model written");
        Ok(Ok(Trained { model_id, written, snapshot_seq: snapshot.interactions_seq, metrics: trained.metrics }))
    }

    /// The model file of a recommender model trained before the artifact store.
    pub(super) fn recommender_model_path(&self, arn: &str, model_id: &str) -> std::path::PathBuf {
        self.recommender_models_dir(arn).join(model_id).join(MODEL_FILE)
    }

    /// Removes the files of the model a retraining or an update replaced (once the new one serves).
    fn remove_replaced_model(&self, stored: &Stored<Recommender>, previous: Option<&str>) {
        let current = stored.internal.get(MODEL_ID).and_then(|v| v.as_str());
        let Some(previous) = previous.filter(|p| Some(*p) != current) else { return };
        let arn = &stored.wire.recommender_arn;
        self.delete_models(
            &format!("{}/{previous}", self.recommender_models_key(arn)),
            &self.recommender_models_dir(arn).join(previous),
        );
    }

    /// Asks for a retraining of an ACTIVE recommender (the cadence's scheduler calls it).
    pub(crate) fn request_retrain(&self, arn: &str) -> ServiceResult<()> {
        let mut stored: Stored<Recommender> = self.load(ResourceKind::Recommender, arn)?;
        if stored.wire.status != ResourceStatus::Active.as_str() {
            return Ok(());
        }
        if let Some(internal) = stored.internal.as_object_mut() {
            internal.insert(RETRAIN_REQUESTED.into(), now().into());
        } else {
            stored.internal = serde_json::json!({ RETRAIN_REQUESTED: now() });
        }
        self.store()
            .update_resource_with_task(&update_of(&stored, ResourceStatus::Active.as_str())?, TaskKind::Recommender)?;
        self.notify_workers();
        Ok(())
    }
}

/// The engine's training configuration of a use case: its event type, nothing else (domain
/// recommenders take no hyperparameters).
pub(super) fn training_config(use_case: &UseCase) -> reko_engine::TrainingConfig {
    reko_engine::TrainingConfig { event_type: use_case.event_type.map(str::to_string), ..Default::default() }
}

/// Records a trained model as the one the recommender serves, with its offline metrics.
fn record(stored: &mut Stored<Recommender>, trained: &Trained) {
    if !stored.internal.is_object() {
        stored.internal = serde_json::json!({});
    }
    if let Some(internal) = stored.internal.as_object_mut() {
        internal.insert(MODEL_ID.into(), trained.model_id.clone().into());
        trained.written.record(internal);
        internal.insert(SNAPSHOT_SEQ.into(), trained.snapshot_seq.into());
        internal.insert(TRAINED_AT.into(), now().into());
    }
    stored.wire.model_metrics = Some(trained.metrics.clone());
    stored.wire.failure_reason = None;
    stored.wire.last_updated_date_time = now();
}

fn set_update_status(stored: &mut Stored<Recommender>, next: ResourceStatus, reason: Option<String>) {
    if let Some(u) = stored.wire.latest_recommender_update.as_mut() {
        u.status = next.as_str().into();
        u.failure_reason = reason;
        u.last_updated_date_time = now();
    }
}
