//! UpdateSolution: a solution's automatic training (on/off, schedule) and its events
//! configuration change; the change is tracked in `latestSolutionUpdate` (CREATE PENDING →
//! CREATE IN_PROGRESS → ACTIVE) and applies to the versions trained after it.

use reko_api::{
    status, ApiError, ResourceStatus, Solution, SolutionConfig, SolutionUpdateSummary, UpdateSolutionRequest,
    UpdateSolutionResponse,
};
use reko_storage::TaskKind;

use crate::auto_training::period_secs;
use crate::error::{ServiceError, ServiceResult};
use crate::resource::{now, update_of, ResourceKind, Stored};
use crate::scheduler::DueKind;
use crate::solution::{recipe_for_arn, training_config};
use crate::tasks::Outcome;
use crate::Reko;

/// The solution's configuration with an update's settings applied.
fn updated_config(current: Option<&SolutionConfig>, update: &SolutionUpdateSummary) -> Option<SolutionConfig> {
    let Some(change) = &update.solution_update_config else { return current.cloned() };
    let mut config = current.cloned().unwrap_or_default();
    if let Some(auto) = &change.auto_training_config {
        config.auto_training_config = Some(auto.clone());
    }
    if let Some(events) = &change.events_config {
        config.events_config = Some(events.clone());
    }
    Some(config)
}

impl Reko {
    pub fn update_solution(&self, req: UpdateSolutionRequest) -> ServiceResult<UpdateSolutionResponse> {
        let mut stored = self.load::<Solution>(ResourceKind::Solution, &req.solution_arn)?;
        let current = stored.wire.status.clone();
        let pending = stored.wire.latest_solution_update.as_ref().is_some_and(|u| status::is_pending(&u.status));
        if current != ResourceStatus::Active.as_str() || pending {
            return Err(ApiError::ResourceInUse(format!(
                "Solution {} is {current}{}; it can be updated when ACTIVE.",
                req.solution_arn,
                if pending { " with an update in progress" } else { "" }
            ))
            .into());
        }
        let recipe = recipe_for_arn(stored.wire.recipe_arn.as_deref().unwrap_or_default())?;
        if req.perform_incremental_update == Some(true) {
            return Err(ApiError::InvalidInput(format!(
                "Value 'true' at 'performIncrementalUpdate': incremental updates are only supported with the \
                 aws-semantic-similarity recipe; solution {} uses {}.",
                req.solution_arn, recipe.name
            ))
            .into());
        }
        let created = now();
        let update = SolutionUpdateSummary {
            solution_update_config: req.solution_update_config,
            status: ResourceStatus::CreatePending.as_str().into(),
            perform_auto_training: Some(
                req.perform_auto_training.or(stored.wire.perform_auto_training).unwrap_or(false),
            ),
            perform_incremental_update: Some(false),
            creation_date_time: created,
            last_updated_date_time: created,
            failure_reason: None,
        };
        // The events configuration must make sense for the recipe before it is accepted.
        let config = updated_config(stored.wire.solution_config.as_ref(), &update);
        let training = training_config(stored.wire.event_type.as_deref(), config.as_ref())?;
        reko_engine::validate_config(recipe.name, &training)?;
        stored.wire.latest_solution_update = Some(update);
        stored.wire.last_updated_date_time = created;
        self.store().update_resource_with_task(&update_of(&stored, &current)?, TaskKind::SolutionUpdate)?;
        self.notify_workers();
        Ok(UpdateSolutionResponse { solution_arn: req.solution_arn })
    }

    /// The update task: applies the pending `latestSolutionUpdate` and moves the automatic
    /// training schedule (turned on: first run in an hour; new period: next run one new period
    /// from now; turned off: no more runs).
    pub(crate) fn run_solution_update(&self, arn: &str) -> ServiceResult<Outcome> {
        let mut stored: Stored<Solution> = match self.load(ResourceKind::Solution, arn) {
            Ok(s) => s,
            Err(ServiceError::Api(ApiError::ResourceNotFound(_))) => {
                return Ok(Outcome::Done { detail: "solution no longer exists".into(), update: None })
            }
            Err(e) => return Err(e),
        };
        let Some(update) = stored.wire.latest_solution_update.clone().filter(|u| status::is_pending(&u.status)) else {
            return Ok(Outcome::Done { detail: "no solution update pending".into(), update: None });
        };
        if stored.wire.status != ResourceStatus::Active.as_str() {
            return Ok(Outcome::Done { detail: format!("solution is {}", stored.wire.status), update: None });
        }
        if let Some(u) = stored.wire.latest_solution_update.as_mut() {
            u.status = ResourceStatus::CreateInProgress.as_str().into();
            u.last_updated_date_time = now();
        }
        self.save(&stored, ResourceStatus::Active.as_str())?;
        let mut stored: Stored<Solution> = self.load(ResourceKind::Solution, arn)?;
        let was_on = stored.wire.perform_auto_training == Some(true);
        let old_period = period_secs(stored.wire.solution_config.as_ref());
        let config = updated_config(stored.wire.solution_config.as_ref(), &update);
        let on = update.perform_auto_training == Some(true);
        let new_period = period_secs(config.as_ref());
        match (was_on, on) {
            (_, false) => self.unschedule(arn, DueKind::AutoTraining)?,
            (false, true) => self.schedule_first_auto_training(arn)?,
            (true, true) if new_period != old_period => {
                self.schedule_due(arn, DueKind::AutoTraining, self.clock_now() + new_period)?
            }
            (true, true) => {}
        }
        let finished = now();
        stored.wire.solution_config = config;
        stored.wire.perform_auto_training = Some(on);
        stored.wire.last_updated_date_time = finished;
        if let Some(u) = stored.wire.latest_solution_update.as_mut() {
            u.status = ResourceStatus::Active.as_str().into();
            u.last_updated_date_time = finished;
        }
        self.save(&stored, ResourceStatus::Active.as_str())?;
        Ok(Outcome::Done { detail: "solution updated".into(), update: None })
    }
}
