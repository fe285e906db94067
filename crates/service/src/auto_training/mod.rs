//! Automatic training (`performAutoTraining`): a solution trains a new version on a schedule
//! (`solutionConfig.autoTrainingConfig.schedulingExpression`, `rate(N days)`, every 7 days by
//! default), but only when new interaction data arrived since its last training.
//!
//! The schedule is one entry of the [`crate::scheduler`]: the first run is due one hour after
//! CreateSolution (Personalize: within an hour of ACTIVE), the next ones every N days after it.
//! A run that is due trains or is skipped; either way the next one is due a period later (a
//! server down for several periods runs once, see [`crate::scheduler::next_due`]).

#[cfg(test)]
mod tests;

use reko_api::{ApiError, ResourceStatus, Solution, SolutionConfig, SolutionVersion};
use reko_dataset::DatasetType;

use crate::error::{ServiceError, ServiceResult};
use crate::resource::{ResourceKind, Stored};
use crate::scheduler::{next_due, DueKind};
use crate::solution_version::{NewVersion, TrainingType, MAX_PENDING_VERSIONS};
use crate::Reko;

/// Seconds from CreateSolution (or UpdateSolution turning automatic training on) to the first
/// automatic training.
pub(crate) const FIRST_RUN_DELAY_SECS: f64 = 3600.0;
/// Personalize's default `schedulingExpression`: `rate(7 days)`.
pub(crate) const DEFAULT_PERIOD_DAYS: u64 = 7;
const DAY_SECS: f64 = 86_400.0;
/// A due run of a solution not yet ACTIVE looks again this much later.
const NOT_ACTIVE_RETRY_SECS: f64 = 60.0;
/// The `trainingMode` automatic versions report.
pub(crate) const AUTOTRAIN: &str = "AUTOTRAIN";
/// In an automatic version's internal document: the due time it was trained for (a restart
/// between its creation and the schedule's advance does not train twice for one due time).
const DUE_KEY: &str = "autoTrainingDue";
/// In an automatic version's internal document: the newest interaction chunk when it was
/// created (a failed automatic training is not retried on the same data).
const DATA_SEQ_KEY: &str = "autoTrainingDataSeq";

/// The period of a solution's automatic training, in seconds. The expression was validated when
/// the request was accepted.
pub(crate) fn period_secs(config: Option<&SolutionConfig>) -> f64 {
    let days = config
        .and_then(|c| c.auto_training_config.as_ref())
        .and_then(|a| a.scheduling_expression.as_deref())
        .and_then(reko_api::validate::parse_scheduling_expression)
        .unwrap_or(DEFAULT_PERIOD_DAYS);
    days as f64 * DAY_SECS
}

/// What a version tells the due-run decision.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VersionMark {
    /// CREATE PENDING / IN_PROGRESS / STOPPING: a training under way.
    pub training: bool,
    /// The newest interaction chunk its training read (ACTIVE versions) or saw at its creation
    /// (finished automatic versions), if known.
    pub data_seq: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Decision {
    Train,
    Skip(String),
}

/// Whether a due automatic training trains, given the solution's versions and the newest
/// interaction chunk of its dataset group (0: none).
pub(crate) fn decide(versions: &[VersionMark], data_seq: i64) -> Decision {
    if versions.iter().any(|v| v.training) {
        return Decision::Skip("a solution version is already training".into());
    }
    if data_seq <= 0 {
        return Decision::Skip("the dataset group has no interaction data".into());
    }
    match versions.iter().filter_map(|v| v.data_seq).max() {
        Some(last) if last >= data_seq => Decision::Skip("no new interaction data since the last training".into()),
        _ => Decision::Train,
    }
}

fn mark(version: &Stored<SolutionVersion>) -> VersionMark {
    let status = version.wire.status.as_str();
    let training = reko_api::status::is_pending(status) || status == ResourceStatus::CreateStopping.as_str();
    let seq = |key: &str| version.internal.get(key).and_then(|v| v.as_i64());
    let data_seq = if status == ResourceStatus::Active.as_str() {
        seq("snapshotSeq").or_else(|| seq(DATA_SEQ_KEY))
    } else if !training {
        seq(DATA_SEQ_KEY)
    } else {
        None
    };
    VersionMark { training, data_seq }
}

impl Reko {
    /// Starts (or restarts) a solution's automatic training schedule: first run
    /// [`FIRST_RUN_DELAY_SECS`] from now.
    pub(crate) fn schedule_first_auto_training(&self, solution_arn: &str) -> ServiceResult<()> {
        self.schedule_due(solution_arn, DueKind::AutoTraining, self.clock_now() + FIRST_RUN_DELAY_SECS)
    }

    /// At start-up: every solution with automatic training has a schedule (one created just
    /// before a crash may have missed its entry).
    pub(crate) fn repair_auto_training_schedules(&self) -> ServiceResult<()> {
        for solution in self.load_all::<Solution>(ResourceKind::Solution, None)? {
            let arn = &solution.wire.solution_arn;
            let live = !reko_api::status::is_deleting(&solution.wire.status)
                && solution.wire.status != ResourceStatus::CreateFailed.as_str();
            if live
                && solution.wire.perform_auto_training == Some(true)
                && self.due_time(arn, DueKind::AutoTraining)?.is_none()
            {
                tracing::info!(solution = %arn, "automatic training had no schedule; first run due in an hour");
                self.schedule_first_auto_training(arn)?;
            }
        }
        Ok(())
    }

    /// A due automatic training of `solution_arn` (due at `due`, run at `now`): trains a new
    /// AUTOMATIC version when there is new interaction data, else skips. Returns when the next
    /// run is due (`None`: the schedule ends, the solution is gone or no longer trains itself).
    pub(crate) fn run_auto_training(&self, solution_arn: &str, due: f64, now: f64) -> ServiceResult<Option<f64>> {
        let solution = match self.load::<Solution>(ResourceKind::Solution, solution_arn) {
            Ok(s) => s.wire,
            Err(ServiceError::Api(ApiError::ResourceNotFound(_))) => return Ok(None),
            Err(e) => return Err(e),
        };
        if solution.perform_auto_training != Some(true) {
            return Ok(None);
        }
        let status = solution.status.as_str();
        if status == ResourceStatus::CreatePending.as_str() || status == ResourceStatus::CreateInProgress.as_str() {
            return Ok(Some(now + NOT_ACTIVE_RETRY_SECS));
        }
        if status != ResourceStatus::Active.as_str() {
            return Ok(None);
        }
        let next = next_due(due, period_secs(solution.solution_config.as_ref()), now);
        let versions = self.load_all::<SolutionVersion>(ResourceKind::SolutionVersion, Some(solution_arn))?;
        if versions.iter().any(|v| v.internal.get(DUE_KEY).and_then(|d| d.as_f64()) == Some(due)) {
            // Trained for this due time already (the server stopped before the schedule moved).
            return Ok(Some(next));
        }
        let data_seq = match self.dataset_of_type(&solution.dataset_group_arn, DatasetType::Interactions)? {
            Some(dataset) => self.store().last_record_seq(&dataset.wire.dataset_arn)?,
            None => 0,
        };
        let marks: Vec<VersionMark> = versions.iter().map(mark).collect();
        if let Decision::Skip(reason) = decide(&marks, data_seq) {
            tracing::info!(solution = %solution_arn, "automatic training skipped: {reason}");
            return Ok(Some(next));
        }
        let pending =
            self.ensure_fewer_pending(ResourceKind::SolutionVersion, MAX_PENDING_VERSIONS, &solution.dataset_group_arn);
        if let Err(e) = pending {
            tracing::warn!(solution = %solution_arn, error = %e, "automatic training skipped: too many trainings pending");
            return Ok(Some(next));
        }
        let internal = serde_json::json!({ DUE_KEY: due, DATA_SEQ_KEY: data_seq });
        let arn = self.insert_solution_version(
            &solution,
            NewVersion {
                name: None,
                training_mode: AUTOTRAIN.into(),
                training_type: TrainingType::Automatic,
                tags: Vec::new(),
                internal,
            },
        )?;
        tracing::info!(solution = %solution_arn, version = %arn, "automatic training started");
        Ok(Some(next))
    }
}
