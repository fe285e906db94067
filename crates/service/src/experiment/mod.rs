//! A/B experiments, Reko's extension of the control plane (docs/experiments.md): an experiment
//! splits a placement's traffic between campaigns or recommenders of one dataset group by weight,
//! sticky per user, and is served under its own ARN; the arm is encoded in the recommendation id,
//! so events carrying it are attributed to the arm.
//!
//! The experiment is a catalog resource; its per-user counts are in the store's
//! `ExperimentStore` ([`serving`] records exposures, [`attribution`] conversions), and
//! [`results`] turns them into per-arm metrics and the tests of [`stats`].

mod attribution;
pub mod results;
mod serving;
pub mod simulation;
pub mod stats;

use reko_api::experiment::{FIXED_HORIZON, PROMOTED, RUNNING, STOPPED};
use reko_api::{
    ApiError, CreateExperimentRequest, CreateExperimentResponse, DescribeExperimentResponse, Experiment,
    ExperimentArnRequest, ExperimentArnResponse, ListExperimentsRequest, ListExperimentsResponse,
    PromoteExperimentRequest, ResourceStatus,
};
use reko_storage::ResourceRecord;

pub(crate) use serving::ExposureBuffer;

use crate::access::AccessScope;
use crate::error::ServiceResult;
use crate::resource::{now, paginate, to_document, ResourceKind, Stored};
use crate::Reko;

/// Defaults of the plan (docs/experiments.md).
pub const DEFAULT_MINIMUM_DETECTABLE_LIFT: f64 = 0.1;
pub const DEFAULT_SIGNIFICANCE_LEVEL: f64 = 0.05;
pub const DEFAULT_POWER: f64 = 0.8;

/// Whether `arn` names an experiment (`arn:aws:personalize:<region>:<account>:experiment/<name>`),
/// in whatever account.
pub(crate) fn is_experiment_arn(arn: &str) -> bool {
    arn.splitn(6, ':').nth(5).is_some_and(|resource| resource.starts_with("experiment/"))
}

impl Reko {
    pub fn create_experiment(&self, req: CreateExperimentRequest) -> ServiceResult<CreateExperimentResponse> {
        self.active_dataset_group(&req.dataset_group_arn)?;
        for (i, arm) in req.arms.iter().enumerate() {
            self.check_arm_target(&req.dataset_group_arn, &format!("arms.{}.targetArn", i + 1), &arm.target_arn)?;
        }
        let arn = self.arns().child(&req.dataset_group_arn, ResourceKind::Experiment, &req.name);
        let alpha = req.significance_level.unwrap_or(DEFAULT_SIGNIFICANCE_LEVEL);
        let power = req.power.unwrap_or(DEFAULT_POWER);
        let lift = req.minimum_detectable_lift.unwrap_or(DEFAULT_MINIMUM_DETECTABLE_LIFT);
        // Bonferroni: each of the k - 1 comparisons with the control is tested at alpha / (k - 1).
        let per_comparison = alpha / (req.arms.len() - 1) as f64;
        let planned = stats::sample_size_per_arm(req.baseline_conversion_rate, lift, per_comparison, power);
        let created = now();
        let experiment = Experiment {
            name: req.name.clone(),
            experiment_arn: arn.clone(),
            dataset_group_arn: req.dataset_group_arn.clone(),
            arms: req.arms,
            conversion_event_type: req.conversion_event_type,
            analysis: req.analysis.unwrap_or_else(|| FIXED_HORIZON.to_string()),
            baseline_conversion_rate: req.baseline_conversion_rate,
            minimum_detectable_lift: lift,
            significance_level: alpha,
            power,
            planned_users_per_arm: planned,
            status: RUNNING.into(),
            promoted_arm: None,
            creation_date_time: created,
            last_updated_date_time: created,
        };
        let record = ResourceRecord {
            arn: arn.clone(),
            kind: ResourceKind::Experiment.as_str().into(),
            name: req.name.clone(),
            unique_name: true,
            parent_arn: Some(req.dataset_group_arn.clone()),
            dataset_group_arn: Some(req.dataset_group_arn),
            status: RUNNING.into(),
            created,
            doc: to_document(&experiment, &serde_json::json!({}))?,
        };
        match self.store().insert_resource(&record) {
            Ok(()) => Ok(CreateExperimentResponse { experiment_arn: arn }),
            Err(reko_storage::StorageError::AlreadyExists { .. }) => Err(ApiError::ResourceAlreadyExists(format!(
                "An experiment with the name {} already exists ({arn}).",
                req.name
            ))
            .into()),
            Err(e) => Err(e.into()),
        }
    }

    /// An arm must be an ACTIVE campaign or recommender of the experiment's dataset group.
    fn check_arm_target(&self, dataset_group_arn: &str, field: &str, target: &str) -> ServiceResult<()> {
        let record = self.store().get_resource(target)?;
        let Some(record) = record
            .filter(|r| r.kind == ResourceKind::Campaign.as_str() || r.kind == ResourceKind::Recommender.as_str())
        else {
            return Err(ApiError::InvalidInput(format!(
                "{field}: '{target}' is not a campaign or recommender (an arm serves one of them)."
            ))
            .into());
        };
        if record.dataset_group_arn.as_deref() != Some(dataset_group_arn) {
            return Err(ApiError::InvalidInput(format!(
                "{field}: '{target}' belongs to another dataset group than {dataset_group_arn}; all arms of an \
                 experiment serve one dataset group."
            ))
            .into());
        }
        if record.status != ResourceStatus::Active.as_str() {
            return Err(ApiError::ResourceInUse(format!(
                "{field}: '{target}' is {}; an arm must be ACTIVE.",
                record.status
            ))
            .into());
        }
        Ok(())
    }

    pub(crate) fn load_experiment(&self, arn: &str) -> ServiceResult<Stored<Experiment>> {
        self.load::<Experiment>(ResourceKind::Experiment, arn)
    }

    pub fn describe_experiment(&self, req: ExperimentArnRequest) -> ServiceResult<DescribeExperimentResponse> {
        Ok(DescribeExperimentResponse { experiment: self.load_experiment(&req.experiment_arn)?.wire })
    }

    pub fn list_experiments(
        &self,
        req: ListExperimentsRequest,
        scope: &AccessScope,
    ) -> ServiceResult<ListExperimentsResponse> {
        let all = self.load_visible::<Experiment>(ResourceKind::Experiment, req.dataset_group_arn.as_deref(), scope)?;
        let (experiments, next_token) = paginate(&all, req.next_token.as_deref(), req.max_results)?;
        Ok(ListExperimentsResponse { experiments, next_token })
    }

    /// Stops assigning users: the experiment's ARN then serves the control arm (the first) alone,
    /// and its results stay readable.
    pub fn stop_experiment(&self, req: ExperimentArnRequest) -> ServiceResult<ExperimentArnResponse> {
        self.end_experiment(&req.experiment_arn, STOPPED, None)
    }

    /// Promotes an arm: the experiment's ARN then serves that arm alone.
    pub fn promote_experiment(&self, req: PromoteExperimentRequest) -> ServiceResult<ExperimentArnResponse> {
        self.end_experiment(&req.experiment_arn, PROMOTED, Some(&req.arm_name))
    }

    fn end_experiment(&self, arn: &str, status: &str, arm: Option<&str>) -> ServiceResult<ExperimentArnResponse> {
        let mut stored = self.load_experiment(arn)?;
        if stored.wire.status != RUNNING {
            return Err(ApiError::ResourceInUse(format!(
                "Experiment {arn} is {}; only a RUNNING experiment can be stopped or promoted.",
                stored.wire.status
            ))
            .into());
        }
        if let Some(name) = arm {
            if !stored.wire.arms.iter().any(|a| a.name == name) {
                return Err(ApiError::InvalidInput(format!(
                    "armName: experiment {arn} has no arm named '{name}' (arms: {}).",
                    stored.wire.arms.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ")
                ))
                .into());
            }
        }
        self.flush_exposures();
        stored.wire.status = status.to_string();
        stored.wire.promoted_arm = arm.map(str::to_string);
        stored.wire.last_updated_date_time = now();
        self.save(&stored, status)?;
        Ok(ExperimentArnResponse { experiment_arn: arn.to_string() })
    }

    /// Deletes the experiment and its counts at once (an extension resource: no DELETE PENDING).
    pub fn delete_experiment(&self, req: ExperimentArnRequest) -> ServiceResult<()> {
        let stored = self.load_experiment(&req.experiment_arn)?;
        self.flush_exposures();
        self.store().delete_experiment_data(&stored.record.arn)?;
        self.store().delete_resource(&stored.record.arn)?;
        self.inner.owners.clear();
        Ok(())
    }

    /// Refuses to delete a campaign or recommender an experiment serves (as one of its arms).
    pub(crate) fn check_not_an_arm(&self, record: &ResourceRecord) -> ServiceResult<()> {
        let Some(group) = &record.dataset_group_arn else { return Ok(()) };
        let experiments = self.experiments_in_group(group)?;
        match experiments.iter().find(|x| x.arms.iter().any(|a| a.target_arn == record.arn)) {
            Some(x) => Err(ApiError::ResourceInUse(format!(
                "{} is an arm of experiment {}; delete the experiment first (DeleteExperiment, docs/experiments.md).",
                record.arn, x.experiment_arn
            ))
            .into()),
            None => Ok(()),
        }
    }

    /// The experiments of a dataset group (events are attributed within their group only).
    pub(crate) fn experiments_in_group(&self, dataset_group_arn: &str) -> ServiceResult<Vec<Experiment>> {
        Ok(self
            .load_all::<Experiment>(ResourceKind::Experiment, Some(dataset_group_arn))?
            .into_iter()
            .map(|s| s.wire)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn experiment_arns_are_told_apart_in_any_account() {
        assert!(is_experiment_arn("arn:aws:personalize:us-east-1:123456789012:experiment/e"));
        assert!(is_experiment_arn("arn:aws:personalize:eu-west-1:999999999999:experiment/x-1"));
        assert!(!is_experiment_arn("arn:aws:personalize:us-east-1:123456789012:campaign/experiment"));
        assert!(!is_experiment_arn("arn:aws:personalize:us-east-1:123456789012:recommender/e"));
        assert!(!is_experiment_arn("experiment/e"));
    }
}
