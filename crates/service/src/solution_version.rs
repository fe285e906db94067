//! Solution versions: trained models, each an immutable artifact with its offline metrics.

use std::collections::BTreeMap;

use reko_api::{
    status, ApiError, CreateSolutionVersionRequest, CreateSolutionVersionResponse, DescribeSolutionVersionRequest,
    DescribeSolutionVersionResponse, GetSolutionMetricsRequest, GetSolutionMetricsResponse,
    ListSolutionVersionsRequest, ListSolutionVersionsResponse, ResourceStatus, Solution, SolutionVersion,
    StopSolutionVersionCreationRequest,
};
use reko_engine::{RecipeType, TrainingProgress};
use reko_storage::TaskKind;

use crate::access::AccessScope;
use crate::error::{ServiceError, ServiceResult};
use crate::resource::{now, paginate, to_document, update_of, ResourceKind};
use crate::solution::{recipe_for_arn, training_config};
use crate::tasks::{set_status, Outcome, Progress};
use crate::Reko;

/// Personalize's quota of solution versions pending or in progress per region.
pub(crate) const MAX_PENDING_VERSIONS: usize = 20;

/// `trainingType`: who started a version's training.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TrainingType {
    /// CreateSolutionVersion.
    Manual,
    /// The solution's automatic training.
    Automatic,
}

impl TrainingType {
    fn as_str(self) -> &'static str {
        match self {
            TrainingType::Manual => "MANUAL",
            TrainingType::Automatic => "AUTOMATIC",
        }
    }
}

/// What a new solution version is: the rest comes from its solution.
pub(crate) struct NewVersion {
    pub name: Option<String>,
    pub training_mode: String,
    pub training_type: TrainingType,
    pub tags: Vec<reko_api::Tag>,
    /// The internal part of its document (e.g. the due time an automatic training serves).
    pub internal: serde_json::Value,
}
const MODEL_FILE: &str = "model.rkm";

impl Reko {
    pub fn create_solution_version(
        &self,
        req: CreateSolutionVersionRequest,
    ) -> ServiceResult<CreateSolutionVersionResponse> {
        // A solution still CREATE PENDING / CREATE IN_PROGRESS is accepted (as Personalize does):
        // the version's training task waits for the solution's activation.
        let solution = self.trainable_solution(&req.solution_arn)?.wire;
        let mode = req.training_mode.clone().unwrap_or_else(|| "FULL".into());
        match mode.as_str() {
            "FULL" => {}
            "UPDATE" => {
                let recipe = recipe_for_arn(solution.recipe_arn.as_deref().unwrap_or_default())?;
                if !reko_engine::supports_update(recipe.name) {
                    return Err(ApiError::InvalidInput(format!(
                        "trainingMode UPDATE requires a User-Personalization solution; {} uses {}.",
                        req.solution_arn, recipe.name
                    ))
                    .into());
                }
                if self.latest_full_version(&req.solution_arn)?.is_none() {
                    return Err(ApiError::InvalidInput(format!(
                        "trainingMode UPDATE needs an ACTIVE solution version trained with FULL in {}.",
                        req.solution_arn
                    ))
                    .into());
                }
            }
            other => {
                return Err(ApiError::InvalidInput(format!(
                    "trainingMode {other} is reported on automatic versions only and cannot be requested."
                ))
                .into())
            }
        }
        self.ensure_fewer_pending(ResourceKind::SolutionVersion, MAX_PENDING_VERSIONS, &solution.dataset_group_arn)?;
        if let Some(name) = &req.name {
            let taken = self
                .load_all::<SolutionVersion>(ResourceKind::SolutionVersion, Some(&req.solution_arn))?
                .iter()
                .any(|v| v.wire.name.as_deref() == Some(name.as_str()));
            if taken {
                return Err(ApiError::ResourceAlreadyExists(format!(
                    "Solution {} already has a version named {name}.",
                    req.solution_arn
                ))
                .into());
            }
        }
        let arn = self.insert_solution_version(
            &solution,
            NewVersion {
                name: req.name.clone(),
                training_mode: mode,
                training_type: TrainingType::Manual,
                tags: req.tags.unwrap_or_default(),
                internal: serde_json::Value::Null,
            },
        )?;
        Ok(CreateSolutionVersionResponse { solution_version_arn: arn })
    }

    /// Records a new version of `solution` (a snapshot of its configuration) with its training
    /// task. Returns its ARN.
    pub(crate) fn insert_solution_version(&self, solution: &Solution, new: NewVersion) -> ServiceResult<String> {
        let arn = format!("{}/{}", solution.solution_arn, crate::arn::solution_version_id());
        let created = now();
        let version = SolutionVersion {
            name: new.name.clone(),
            solution_version_arn: arn.clone(),
            solution_arn: solution.solution_arn.clone(),
            perform_hpo: solution.perform_hpo,
            perform_auto_ml: solution.perform_auto_ml,
            perform_incremental_update: solution.perform_incremental_update,
            recipe_arn: solution.recipe_arn.clone(),
            event_type: solution.event_type.clone(),
            dataset_group_arn: Some(solution.dataset_group_arn.clone()),
            solution_config: solution.solution_config.clone(),
            training_hours: None,
            training_mode: Some(new.training_mode),
            tuned_hpo_params: None,
            status: ResourceStatus::CreatePending.as_str().into(),
            failure_reason: None,
            creation_date_time: created,
            last_updated_date_time: created,
            training_type: Some(new.training_type.as_str().into()),
        };
        self.create_resource(
            ResourceKind::SolutionVersion,
            &arn,
            new.name.as_deref().unwrap_or(&arn),
            Some(&solution.solution_arn),
            Some(&solution.dataset_group_arn),
            to_document(&version, &new.internal)?,
            TaskKind::Train,
            &new.tags,
        )?;
        Ok(arn)
    }

    pub fn describe_solution_version(
        &self,
        req: DescribeSolutionVersionRequest,
    ) -> ServiceResult<DescribeSolutionVersionResponse> {
        let stored = self.load::<SolutionVersion>(ResourceKind::SolutionVersion, &req.solution_version_arn)?;
        Ok(DescribeSolutionVersionResponse { solution_version: stored.wire })
    }

    pub fn list_solution_versions(
        &self,
        req: ListSolutionVersionsRequest,
        scope: &AccessScope,
    ) -> ServiceResult<ListSolutionVersionsResponse> {
        if let Some(solution_arn) = &req.solution_arn {
            self.load::<Solution>(ResourceKind::Solution, solution_arn)?;
        }
        let all =
            self.load_visible::<SolutionVersion>(ResourceKind::SolutionVersion, req.solution_arn.as_deref(), scope)?;
        let (solution_versions, next_token) = paginate(&all, req.next_token.as_deref(), req.max_results)?;
        Ok(ListSolutionVersionsResponse { solution_versions, next_token })
    }

    pub fn stop_solution_version_creation(&self, req: StopSolutionVersionCreationRequest) -> ServiceResult<()> {
        let mut stored = self.load::<SolutionVersion>(ResourceKind::SolutionVersion, &req.solution_version_arn)?;
        let next = match ResourceStatus::parse(&stored.wire.status) {
            Some(ResourceStatus::CreatePending) => ResourceStatus::CreateStopped.as_str(),
            // The training task sees this and ends as CREATE STOPPED.
            Some(ResourceStatus::CreateInProgress) => ResourceStatus::CreateStopping.as_str(),
            _ => {
                let other = &stored.wire.status;
                return Err(ApiError::ResourceInUse(format!(
                    "Solution version {} is {other}; only a version that is CREATE PENDING or CREATE IN_PROGRESS can be stopped.",
                    req.solution_version_arn
                )).into());
            }
        };
        stored.wire.status = next.into();
        stored.wire.last_updated_date_time = now();
        self.save(&stored, next)
    }

    pub fn get_solution_metrics(&self, req: GetSolutionMetricsRequest) -> ServiceResult<GetSolutionMetricsResponse> {
        let stored = self.load::<SolutionVersion>(ResourceKind::SolutionVersion, &req.solution_version_arn)?;
        if stored.wire.status != ResourceStatus::Active.as_str() {
            return Err(ApiError::ResourceInUse(format!(
                "Solution version {} is {}; metrics exist once it is ACTIVE.",
                req.solution_version_arn, stored.wire.status
            ))
            .into());
        }
        let metrics: BTreeMap<String, f64> = stored
            .internal
            .get("metrics")
            .cloned()
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| ServiceError::Internal(format!("stored metrics are unreadable: {e}")))?
            .unwrap_or_default();
        Ok(GetSolutionMetricsResponse { solution_version_arn: req.solution_version_arn, metrics })
    }

    /// The newest ACTIVE version of a solution trained from all data: `trainingMode=FULL`, or an
    /// automatic training (`AUTOTRAIN`, a full retraining too).
    fn latest_full_version(
        &self,
        solution_arn: &str,
    ) -> ServiceResult<Option<crate::resource::Stored<SolutionVersion>>> {
        Ok(self.load_all::<SolutionVersion>(ResourceKind::SolutionVersion, Some(solution_arn))?.into_iter().find(|v| {
            v.wire.status == ResourceStatus::Active.as_str()
                && matches!(v.wire.training_mode.as_deref().unwrap_or("FULL"), "FULL" | "AUTOTRAIN")
        }))
    }

    /// The model file of a version trained before the artifact store.
    pub(crate) fn legacy_artifact_path(&self, solution_version_arn: &str) -> ServiceResult<std::path::PathBuf> {
        let (solution_arn, id) = split_version_arn(solution_version_arn)?;
        Ok(self.solution_models_dir(solution_arn).join(id).join(MODEL_FILE))
    }

    /// A version's folder of artifact keys: `<solution key>/<version id>`.
    fn version_artifact_dir(&self, solution_version_arn: &str) -> ServiceResult<String> {
        let (solution_arn, id) = split_version_arn(solution_version_arn)?;
        Ok(format!("{}/{id}", self.solution_models_key(solution_arn)))
    }

    /// `trainingMode=UPDATE`: refresh the newest FULL version's model with the current data.
    /// Offline metrics are not recomputed (as in Personalize); the version reports those of the
    /// FULL version it refreshed.
    fn update_model(
        &self,
        version: &crate::resource::Stored<SolutionVersion>,
        recipe: &str,
        data: &reko_engine::TrainingData,
        config: &reko_engine::TrainingConfig,
        progress: &mut dyn FnMut(TrainingProgress),
    ) -> Result<reko_engine::TrainedSolution, reko_engine::EngineError> {
        let base = self
            .latest_full_version(&version.wire.solution_arn)
            .map_err(|e| reko_engine::EngineError::InvalidConfig(e.to_string()))?
            .ok_or_else(|| {
                reko_engine::EngineError::InvalidConfig("no ACTIVE FULL solution version to update".into())
            })?;
        let legacy = self
            .legacy_artifact_path(&base.wire.solution_version_arn)
            .map_err(|e| reko_engine::EngineError::InvalidConfig(e.to_string()))?;
        let previous = self
            .read_model(
                &base.wire.solution_version_arn,
                &crate::artifact_store::ModelLocation::of(&base.internal, legacy),
                base.internal.get("artifactSha256").and_then(|v| v.as_str()),
            )
            .map_err(|e| reko_engine::EngineError::InvalidConfig(e.to_string()))?;
        // The refresh keeps what the FULL training chose (self-tuning or HPO) where the solution
        // leaves a hyperparameter open: the model it updates was fitted with those values.
        let tuned: std::collections::BTreeMap<String, String> = base
            .wire
            .tuned_hpo_params
            .as_ref()
            .and_then(|t| t.algorithm_hyper_parameters.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| !config.hyperparameters.contains_key(k))
            .collect();
        let mut config = config.clone();
        config.hyperparameters.extend(tuned.clone());
        let artifact = reko_engine::update(recipe, &previous, data, &config, progress)?;
        let metrics =
            base.internal.get("metrics").cloned().and_then(|m| serde_json::from_value(m).ok()).unwrap_or_default();
        Ok(reko_engine::TrainedSolution { artifact, metrics, tuned })
    }

    /// The HPO trials of a version trained with `performHPO` (`None` otherwise, or for a version
    /// trained before they were kept). A version outside `scope` is missing.
    pub fn hpo_trials(&self, scope: &crate::AccessScope, arn: &str) -> ServiceResult<Option<HpoTrials>> {
        self.authorize_arn(scope, arn)?;
        let stored = self.load::<SolutionVersion>(ResourceKind::SolutionVersion, arn)?;
        Ok(stored.internal.get("hpoTrials").cloned().and_then(|t| serde_json::from_value(t).ok()))
    }

    /// The training task: snapshot the dataset group, train, evaluate, write the artifact.
    pub(crate) fn run_training(&self, arn: &str, progress: &mut Progress<'_>) -> ServiceResult<Outcome> {
        let stored = match self.load::<SolutionVersion>(ResourceKind::SolutionVersion, arn) {
            Ok(s) => s,
            Err(ServiceError::Api(ApiError::ResourceNotFound(_))) => {
                return Ok(Outcome::Done { detail: "version no longer exists".into(), update: None })
            }
            Err(e) => return Err(e),
        };
        if stored.wire.status == ResourceStatus::CreateStopping.as_str() {
            // Stopped while training and then interrupted: finish the stop.
            let mut update = update_of(&stored, ResourceStatus::CreateStopped.as_str())?;
            set_status(&mut update.doc, ResourceStatus::CreateStopped.as_str());
            return Ok(Outcome::Done { detail: "stopped".into(), update: Some(update) });
        }
        if !status::is_pending(&stored.wire.status) {
            return Ok(Outcome::Done { detail: format!("already {}", stored.wire.status), update: None });
        }
        // The version may have been created while its solution was still being activated.
        match self.load::<Solution>(ResourceKind::Solution, &stored.wire.solution_arn) {
            Ok(solution) if solution.wire.status == ResourceStatus::Active.as_str() => {}
            Ok(solution)
                if solution.wire.status == ResourceStatus::CreatePending.as_str()
                    || solution.wire.status == ResourceStatus::CreateInProgress.as_str() =>
            {
                return Ok(Outcome::Wait {
                    detail: format!("waiting for solution {} ({})", solution.wire.solution_arn, solution.wire.status),
                })
            }
            Ok(solution) => {
                return Ok(Outcome::Failed {
                    reason: format!(
                        "Solution {} is {}; a solution version trains only on an ACTIVE solution.",
                        solution.wire.solution_arn, solution.wire.status
                    ),
                })
            }
            Err(ServiceError::Api(ApiError::ResourceNotFound(_))) => {
                return Ok(Outcome::Failed {
                    reason: format!("Solution {} no longer exists.", stored.wire.solution_arn),
                })
            }
            Err(e) => return Err(e),
        }
        self.mark_in_progress(arn)?;
        let started = std::time::Instant::now();
        let recipe_arn = stored.wire.recipe_arn.clone().unwrap_or_default();
        let recipe = recipe_for_arn(&recipe_arn)?;
        let config = training_config(stored.wire.event_type.as_deref(), stored.wire.solution_config.as_ref())?;
        let group = stored.wire.dataset_group_arn.clone().unwrap_or_default();
        let mut phases = crate::metrics::PhaseTimer::new(TaskKind::Train.as_str());
        phases.enter("snapshot");
        progress.report(0.0, "reading a snapshot of the dataset group");
        let columns = stored.wire.solution_config.as_ref().and_then(|c| c.training_data_config.as_ref());
        let objective = match crate::solution::objective_attribute(stored.wire.solution_config.as_ref()) {
            Some(attribute) => match self.objective_field(&group, attribute) {
                Ok(field) => Some(field),
                Err(ServiceError::Api(ApiError::InvalidInput(reason))) => return Ok(Outcome::Failed { reason }),
                Err(e) => return Err(e),
            },
            None => None,
        };
        let (data, interactions_seq) = match self.training_data(
            &group,
            columns,
            objective.as_deref(),
            recipe.recipe_type == RecipeType::PersonalizedActions,
        ) {
            Ok(snapshot) => (snapshot.data, snapshot.interactions_seq),
            Err(ServiceError::Api(ApiError::InvalidInput(reason))) => return Ok(Outcome::Failed { reason }),
            Err(e) => return Err(e),
        };
        // The engine moves `live` within its stages; a thread reports it to the task view.
        let live = reko_engine::LiveProgress::new();
        let config = reko_engine::TrainingConfig { progress: live.clone(), ..config };
        let done = std::sync::atomic::AtomicBool::new(false);
        let mut tuned_params = None;
        let mut trials = None;
        let hpo_request = match stored.wire.perform_hpo {
            Some(true) => Some(crate::hpo::request(recipe.name, stored.wire.solution_config.as_ref())?),
            _ => None,
        };
        let result = std::thread::scope(|scope| {
            let follower = scope.spawn(|| follow_training(progress, &live, &done));
            let mut report = |p: TrainingProgress| phases.enter(crate::metrics::training_phase(p.stage));
            let result = if stored.wire.training_mode.as_deref() == Some("UPDATE") {
                self.update_model(&stored, recipe.name, &data, &config, &mut report)
            } else if let Some(request) = &hpo_request {
                reko_engine::hpo::tune(recipe.name, &data, &config, request, &mut report).map(|tuned| {
                    tracing::info!(version = arn, trials = tuned.trials.len(), params = ?tuned.params, "HPO chose");
                    tuned_params = Some(tuned.params);
                    // A non-finite objective (JSON has none) is kept as unknown.
                    let tried = tuned.trials.into_iter().map(|(p, v)| (p, v.is_finite().then_some(v))).collect();
                    trials = Some(HpoTrials { objective: request.objective.clone(), trials: tried });
                    tuned.solution
                })
            } else {
                reko_engine::train(recipe.name, &data, &config, &mut report)
            };
            done.store(true, std::sync::atomic::Ordering::Release);
            follower.thread().unpark();
            result
        });
        let trained = match result {
            Ok(trained) => trained,
            Err(e @ (reko_engine::EngineError::InsufficientData(_) | reko_engine::EngineError::InvalidConfig(_))) => {
                return Ok(Outcome::Failed { reason: e.to_string() })
            }
            Err(e) => return Err(e.into()),
        };
        phases.enter("artifact");
        let written = self.write_model(arn, &trained.artifact, &self.version_artifact_dir(arn)?)?;
        let checksum = written.sha256.clone();
        drop(phases);
        // Re-read the current document: StopSolutionVersionCreation may have changed it meanwhile.
        let mut current = self.load::<SolutionVersion>(ResourceKind::SolutionVersion, arn)?;
        let final_status = if current.wire.status == ResourceStatus::CreateStopping.as_str() {
            ResourceStatus::CreateStopped.as_str()
        } else {
            ResourceStatus::Active.as_str()
        };
        current.wire.training_hours = Some(started.elapsed().as_secs_f64() / 3600.0);
        // What performHPO chose, or else what the training chose itself (self-tuning).
        let tuned_params = tuned_params.or_else(|| (!trained.tuned.is_empty()).then(|| trained.tuned.clone()));
        current.wire.tuned_hpo_params =
            tuned_params.map(|p| reko_api::TunedHpoParams { algorithm_hyper_parameters: Some(p) });
        if let Some(internal) = current.internal.as_object_mut() {
            written.record(internal);
            internal.insert("metrics".into(), serde_json::to_value(&trained.metrics).unwrap_or_default());
            internal.insert("snapshotSeq".into(), interactions_seq.into());
            // Every candidate HPO evaluated, for the console's solution page.
            if let Some(trials) = &trials {
                internal.insert("hpoTrials".into(), serde_json::to_value(trials).unwrap_or_default());
            }
        }
        let mut update = update_of(&current, final_status)?;
        set_status(&mut update.doc, final_status);
        progress.report(1.0, "model written");
        Ok(Outcome::Done { detail: format!("{final_status}; model sha256 {checksum}"), update: Some(update) })
    }
}

/// A solution version ARN's solution ARN and version id.
fn split_version_arn(solution_version_arn: &str) -> ServiceResult<(&str, &str)> {
    solution_version_arn
        .rsplit_once('/')
        .ok_or_else(|| ServiceError::Internal(format!("malformed solution version ARN {solution_version_arn}")))
}

/// The candidates an HPO search evaluated: their hyperparameters and objective value (`None`
/// when it was not a number), in the order they were tried.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HpoTrials {
    /// The metric maximized (a GetSolutionMetrics key).
    pub objective: String,
    pub trials: Vec<(BTreeMap<String, String>, Option<f64>)>,
}

/// Reports a running training's stage, share done and time left to the task view (every half
/// second, while `done` is unset).
fn follow_training(
    progress: &mut Progress<'_>,
    live: &reko_engine::LiveProgress,
    done: &std::sync::atomic::AtomicBool,
) {
    let started = std::time::Instant::now();
    while !done.load(std::sync::atomic::Ordering::Acquire) {
        std::thread::park_timeout(std::time::Duration::from_millis(500));
        let (stage, fraction) = live.read();
        progress.report(fraction * 0.95, &training_detail(stage, fraction, started.elapsed()));
    }
}

/// `evaluating: 42% of the training, about 35 s left`: the time left extrapolated from the time so
/// far once the fraction says something (5% done, 2 s in).
fn training_detail(stage: &str, fraction: f64, elapsed: std::time::Duration) -> String {
    let percent = (fraction * 100.0).floor();
    let secs = elapsed.as_secs_f64();
    if !(0.05..1.0).contains(&fraction) || secs < 2.0 {
        return format!("{stage}: {percent}% of the training");
    }
    let left = secs * (1.0 - fraction) / fraction;
    let left = if left < 90.0 { format!("{} s", left.ceil()) } else { format!("{} min", (left / 60.0).ceil()) };
    format!("{stage}: {percent}% of the training, about {left} left")
}

#[cfg(test)]
mod progress_tests {
    use std::time::Duration;

    use super::training_detail;

    #[test]
    fn the_time_left_is_extrapolated_once_it_means_something() {
        assert_eq!(training_detail("tuning", 0.01, Duration::from_secs(10)), "tuning: 1% of the training");
        assert_eq!(training_detail("tuning", 0.5, Duration::from_secs(1)), "tuning: 50% of the training");
        assert_eq!(
            training_detail("evaluating", 0.25, Duration::from_secs(10)),
            "evaluating: 25% of the training, about 30 s left"
        );
        assert_eq!(
            training_detail("evaluating", 0.1, Duration::from_secs(60)),
            "evaluating: 10% of the training, about 9 min left"
        );
    }
}
