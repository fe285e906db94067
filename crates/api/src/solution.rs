//! Solutions: `Solution`, `SolutionSummary`, `SolutionConfig` with all its sub-structures, and the
//! solution operations (Create/Describe/List/Delete/UpdateSolution).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::solution_version::SolutionVersionSummary;
use crate::tags::Tag;
use crate::validate::{
    is_valid_column_name, is_valid_dataset_type, join, Validate, ValidateAt, Violations, COLUMN_NAME_PATTERN,
    DATASET_TYPE_PATTERN, OBJECTIVE_SENSITIVITIES,
};

/// `EventParameters`: per-event-type threshold and weight.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventParameters {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_value_threshold: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
}

/// `EventsConfig`: `eventParametersList` (max 10).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_parameters_list: Option<Vec<EventParameters>>,
}

/// `HPOObjective`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HpoObjective {
    #[serde(rename = "type")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objective_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_regex: Option<String>,
}

/// `HPOResourceConfig`: both members are numbers passed as strings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HpoResourceConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_number_of_training_jobs: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_parallel_training_jobs: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegerHyperParameterRange {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_value: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_value: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContinuousHyperParameterRange {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_value: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CategoricalHyperParameterRange {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
}

/// `HyperParameterRanges`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HyperParameterRanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integer_hyper_parameter_ranges: Option<Vec<IntegerHyperParameterRange>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuous_hyper_parameter_ranges: Option<Vec<ContinuousHyperParameterRange>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub categorical_hyper_parameter_ranges: Option<Vec<CategoricalHyperParameterRange>>,
}

/// `HPOConfig`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HpoConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hpo_objective: Option<HpoObjective>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hpo_resource_config: Option<HpoResourceConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm_hyper_parameter_ranges: Option<HyperParameterRanges>,
}

/// `AutoMLConfig`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoMlConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipe_list: Option<Vec<String>>,
}

/// `AutoMLResult`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoMlResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_recipe_arn: Option<String>,
}

/// `OptimizationObjective`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OptimizationObjective {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_attribute: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objective_sensitivity: Option<String>,
}

/// `TrainingDataConfig`: dataset type → column names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainingDataConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded_dataset_columns: Option<BTreeMap<String, Vec<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub included_dataset_columns: Option<BTreeMap<String, Vec<String>>>,
}

/// `AutoTrainingConfig`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoTrainingConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduling_expression: Option<String>,
}

/// `SolutionConfig`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SolutionConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_value_threshold: Option<String>,
    #[serde(rename = "hpoConfig")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hpo_config: Option<HpoConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm_hyper_parameters: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature_transformation_parameters: Option<BTreeMap<String, String>>,
    #[serde(rename = "autoMLConfig")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_ml_config: Option<AutoMlConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events_config: Option<EventsConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optimization_objective: Option<OptimizationObjective>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_data_config: Option<TrainingDataConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_training_config: Option<AutoTrainingConfig>,
}

/// `SolutionUpdateConfig`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SolutionUpdateConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_training_config: Option<AutoTrainingConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events_config: Option<EventsConfig>,
}

/// `SolutionUpdateSummary`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SolutionUpdateSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_update_config: Option<SolutionUpdateConfig>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perform_auto_training: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perform_incremental_update: Option<bool>,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Solution {
    pub name: String,
    pub solution_arn: String,
    #[serde(rename = "performHPO")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perform_hpo: Option<bool>,
    #[serde(rename = "performAutoML")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perform_auto_ml: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perform_auto_training: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perform_incremental_update: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipe_arn: Option<String>,
    pub dataset_group_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_config: Option<SolutionConfig>,
    #[serde(rename = "autoMLResult")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_ml_result: Option<AutoMlResult>,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_solution_version: Option<SolutionVersionSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_solution_update: Option<SolutionUpdateSummary>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SolutionSummary {
    pub name: String,
    pub solution_arn: String,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipe_arn: Option<String>,
}

impl From<&Solution> for SolutionSummary {
    fn from(s: &Solution) -> Self {
        SolutionSummary {
            name: s.name.clone(),
            solution_arn: s.solution_arn.clone(),
            status: s.status.clone(),
            creation_date_time: s.creation_date_time,
            last_updated_date_time: s.last_updated_date_time,
            recipe_arn: s.recipe_arn.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSolutionRequest {
    pub name: String,
    #[serde(rename = "performHPO")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perform_hpo: Option<bool>,
    #[serde(rename = "performAutoML")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perform_auto_ml: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perform_auto_training: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perform_incremental_update: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipe_arn: Option<String>,
    pub dataset_group_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_config: Option<SolutionConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSolutionResponse {
    pub solution_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeSolutionRequest {
    pub solution_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeSolutionResponse {
    pub solution: Solution,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListSolutionsRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_group_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListSolutionsResponse {
    pub solutions: Vec<SolutionSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteSolutionRequest {
    pub solution_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateSolutionRequest {
    pub solution_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perform_auto_training: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perform_incremental_update: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_update_config: Option<SolutionUpdateConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateSolutionResponse {
    pub solution_arn: String,
}

// ---- validation -------------------------------------------------------------------------------

/// HPO limits on `hpoResourceConfig` (Personalize's HPOResourceConfig API reference): jobs ≤40,
/// parallel jobs ≤10.
pub const MAX_HPO_TRAINING_JOBS: u32 = 40;
pub const MAX_HPO_PARALLEL_TRAINING_JOBS: u32 = 10;

impl ValidateAt for EventsConfig {
    fn validate_at(&self, v: &mut Violations, path: &str) {
        let Some(list) = &self.event_parameters_list else {
            return;
        };
        let lp = join(path, "eventParametersList");
        v.max_count(&lp, list.len(), 10);
        for (i, p) in list.iter().enumerate() {
            let ep = format!("{lp}.{}", i + 1);
            v.opt_max_len(&join(&ep, "eventType"), p.event_type.as_ref(), 256);
            if let Some(w) = p.weight {
                v.float_range(&join(&ep, "weight"), w, Some(0.0), Some(1.0));
            }
            if let Some(t) = p.event_value_threshold {
                v.float_range(&join(&ep, "eventValueThreshold"), t, None, None);
            }
        }
    }
}

fn hpo_resource(v: &mut Violations, path: &str, value: Option<&String>, max: u32) {
    let Some(value) = value else { return };
    v.max_len(path, value, 256);
    match value.trim().parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => {}
        _ => v.push(path, value, &format!("Member must be an integer between 1 and {max}")),
    }
}

impl ValidateAt for HpoConfig {
    fn validate_at(&self, v: &mut Violations, path: &str) {
        if let Some(o) = &self.hpo_objective {
            let op = join(path, "hpoObjective");
            v.opt_max_len(&join(&op, "type"), o.objective_type.as_ref(), 256);
            v.opt_max_len(&join(&op, "metricName"), o.metric_name.as_ref(), 256);
            v.opt_max_len(&join(&op, "metricRegex"), o.metric_regex.as_ref(), 256);
        }
        if let Some(r) = &self.hpo_resource_config {
            let rp = join(path, "hpoResourceConfig");
            hpo_resource(
                v,
                &join(&rp, "maxNumberOfTrainingJobs"),
                r.max_number_of_training_jobs.as_ref(),
                MAX_HPO_TRAINING_JOBS,
            );
            hpo_resource(
                v,
                &join(&rp, "maxParallelTrainingJobs"),
                r.max_parallel_training_jobs.as_ref(),
                MAX_HPO_PARALLEL_TRAINING_JOBS,
            );
        }
        if let Some(ranges) = &self.algorithm_hyper_parameter_ranges {
            let rp = join(path, "algorithmHyperParameterRanges");
            if let Some(list) = &ranges.integer_hyper_parameter_ranges {
                let lp = join(&rp, "integerHyperParameterRanges");
                v.max_count(&lp, list.len(), 100);
                for (i, r) in list.iter().enumerate() {
                    let ep = format!("{lp}.{}", i + 1);
                    v.opt_max_len(&join(&ep, "name"), r.name.as_ref(), 256);
                    if let Some(min) = r.min_value {
                        v.int_range(&join(&ep, "minValue"), min.into(), Some(-1_000_000), None);
                    }
                    if let Some(max) = r.max_value {
                        v.int_range(&join(&ep, "maxValue"), max.into(), None, Some(1_000_000));
                    }
                }
            }
            if let Some(list) = &ranges.continuous_hyper_parameter_ranges {
                let lp = join(&rp, "continuousHyperParameterRanges");
                v.max_count(&lp, list.len(), 100);
                for (i, r) in list.iter().enumerate() {
                    let ep = format!("{lp}.{}", i + 1);
                    v.opt_max_len(&join(&ep, "name"), r.name.as_ref(), 256);
                    if let Some(min) = r.min_value {
                        v.float_range(&join(&ep, "minValue"), min, Some(-1_000_000.0), None);
                    }
                    if let Some(max) = r.max_value {
                        v.float_range(&join(&ep, "maxValue"), max, Some(-1_000_000.0), None);
                    }
                }
            }
            if let Some(list) = &ranges.categorical_hyper_parameter_ranges {
                let lp = join(&rp, "categoricalHyperParameterRanges");
                v.max_count(&lp, list.len(), 100);
                for (i, r) in list.iter().enumerate() {
                    let ep = format!("{lp}.{}", i + 1);
                    v.opt_max_len(&join(&ep, "name"), r.name.as_ref(), 256);
                    if let Some(values) = &r.values {
                        let vp = join(&ep, "values");
                        v.max_count(&vp, values.len(), 100);
                        for (j, value) in values.iter().enumerate() {
                            v.max_len(&format!("{vp}.{}", j + 1), value, 1000);
                        }
                    }
                }
            }
        }
    }
}

fn dataset_columns(v: &mut Violations, path: &str, map: Option<&BTreeMap<String, Vec<String>>>) {
    let Some(map) = map else { return };
    v.max_count(path, map.len(), 3);
    for (dataset_type, columns) in map {
        v.map_key(
            path,
            dataset_type,
            dataset_type.chars().count() <= 256 && is_valid_dataset_type(dataset_type),
            &format!(
                "Member must have length less than or equal to 256, Member must satisfy regular expression pattern: {DATASET_TYPE_PATTERN}"
            ),
        );
        let cp = join(path, dataset_type);
        v.max_count(&cp, columns.len(), 50);
        for (i, column) in columns.iter().enumerate() {
            let p = format!("{cp}.{}", i + 1);
            v.max_len(&p, column, 150);
            v.pattern(&p, column, is_valid_column_name(column), COLUMN_NAME_PATTERN);
        }
    }
}

impl ValidateAt for TrainingDataConfig {
    fn validate_at(&self, v: &mut Violations, path: &str) {
        dataset_columns(v, &join(path, "excludedDatasetColumns"), self.excluded_dataset_columns.as_ref());
        dataset_columns(v, &join(path, "includedDatasetColumns"), self.included_dataset_columns.as_ref());
    }
}

impl ValidateAt for AutoTrainingConfig {
    fn validate_at(&self, v: &mut Violations, path: &str) {
        if let Some(expr) = &self.scheduling_expression {
            v.scheduling_expression(&join(path, "schedulingExpression"), expr);
        }
    }
}

impl ValidateAt for SolutionConfig {
    fn validate_at(&self, v: &mut Violations, path: &str) {
        v.opt_max_len(&join(path, "eventValueThreshold"), self.event_value_threshold.as_ref(), 256);
        v.nested(&join(path, "hpoConfig"), self.hpo_config.as_ref());
        v.parameter_map(&join(path, "algorithmHyperParameters"), self.algorithm_hyper_parameters.as_ref(), 100);
        v.parameter_map(
            &join(path, "featureTransformationParameters"),
            self.feature_transformation_parameters.as_ref(),
            100,
        );
        if let Some(a) = &self.auto_ml_config {
            let ap = join(path, "autoMLConfig");
            v.opt_max_len(&join(&ap, "metricName"), a.metric_name.as_ref(), 256);
            if let Some(list) = &a.recipe_list {
                let lp = join(&ap, "recipeList");
                v.max_count(&lp, list.len(), 100);
                for (i, arn) in list.iter().enumerate() {
                    v.arn(&format!("{lp}.{}", i + 1), arn);
                }
            }
        }
        v.nested(&join(path, "eventsConfig"), self.events_config.as_ref());
        if let Some(o) = &self.optimization_objective {
            let op = join(path, "optimizationObjective");
            if let Some(attr) = &o.item_attribute {
                v.len_range(&join(&op, "itemAttribute"), attr, 1, 150);
            }
            v.opt_one_of(&join(&op, "objectiveSensitivity"), o.objective_sensitivity.as_ref(), OBJECTIVE_SENSITIVITIES);
        }
        v.nested(&join(path, "trainingDataConfig"), self.training_data_config.as_ref());
        v.nested(&join(path, "autoTrainingConfig"), self.auto_training_config.as_ref());
    }
}

impl ValidateAt for SolutionUpdateConfig {
    fn validate_at(&self, v: &mut Violations, path: &str) {
        v.nested(&join(path, "autoTrainingConfig"), self.auto_training_config.as_ref());
        v.nested(&join(path, "eventsConfig"), self.events_config.as_ref());
    }
}

impl Validate for CreateSolutionRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.name("name", &self.name);
        v.opt_arn("recipeArn", self.recipe_arn.as_ref());
        v.arn("datasetGroupArn", &self.dataset_group_arn);
        v.opt_max_len("eventType", self.event_type.as_ref(), 256);
        v.nested("solutionConfig", self.solution_config.as_ref());
        v.tags("tags", self.tags.as_ref());
        v.finish()?;
        // Personalize's CreateSolution: either a recipe or AutoML, not both and not neither.
        let auto_ml = self.perform_auto_ml.unwrap_or(false);
        match (auto_ml, self.recipe_arn.is_some()) {
            (true, true) => Err(ApiError::invalid("recipeArn must be omitted when performAutoML is true")),
            (false, false) => Err(ApiError::invalid("Either recipeArn or performAutoML=true must be specified")),
            _ => Ok(()),
        }
    }
}

impl Validate for DescribeSolutionRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("solutionArn", &self.solution_arn);
        v.finish()
    }
}

impl Validate for DeleteSolutionRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("solutionArn", &self.solution_arn);
        v.finish()
    }
}

impl Validate for ListSolutionsRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.opt_arn("datasetGroupArn", self.dataset_group_arn.as_ref());
        v.next_token(self.next_token.as_ref());
        v.max_results(self.max_results);
        v.finish()
    }
}

impl Validate for UpdateSolutionRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("solutionArn", &self.solution_arn);
        v.nested("solutionUpdateConfig", self.solution_update_config.as_ref());
        v.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::parse_request;
    use serde_json::{json, Value};

    const DSG: &str = "arn:aws:personalize:us-east-1:123456789012:dataset-group/g";
    const RECIPE: &str = "arn:aws:personalize:::recipe/aws-user-personalization";

    fn full_config() -> Value {
        json!({
            "eventValueThreshold": "0.5",
            "hpoConfig": {
                "hpoObjective": {"type": "Maximize", "metricName": "precision_at_25", "metricRegex": "x"},
                "hpoResourceConfig": {"maxNumberOfTrainingJobs": "40", "maxParallelTrainingJobs": "10"},
                "algorithmHyperParameterRanges": {
                    "integerHyperParameterRanges": [{"name": "bptt", "minValue": 2, "maxValue": 32}],
                    "continuousHyperParameterRanges": [{"name": "popularity_discount_factor", "minValue": 0.0, "maxValue": 1.0}],
                    "categoricalHyperParameterRanges": [{"name": "recency_mask", "values": ["true", "false"]}]
                }
            },
            "algorithmHyperParameters": {"hidden_dimension": "149"},
            "featureTransformationParameters": {"max_user_history_length_percentile": "0.99"},
            "autoMLConfig": {"metricName": "precision_at_25", "recipeList": [RECIPE]},
            "eventsConfig": {"eventParametersList": [{"eventType": "click", "eventValueThreshold": 0.1, "weight": 0.7}]},
            "optimizationObjective": {"itemAttribute": "PRICE", "objectiveSensitivity": "LOW"},
            "trainingDataConfig": {"excludedDatasetColumns": {"ITEMS": ["GENRE"]}},
            "autoTrainingConfig": {"schedulingExpression": "rate(7 days)"}
        })
    }

    #[test]
    fn solution_round_trip_with_exact_member_names() {
        let body = json!({
            "name": "s", "solutionArn": "arn:aws:personalize:us-east-1:123456789012:solution/s",
            "performHPO": true, "performAutoML": false, "performAutoTraining": true,
            "performIncrementalUpdate": false, "recipeArn": RECIPE, "datasetGroupArn": DSG,
            "eventType": "click", "solutionConfig": full_config(),
            "autoMLResult": {"bestRecipeArn": RECIPE},
            "status": "ACTIVE", "creationDateTime": 1.0, "lastUpdatedDateTime": 2.0,
            "latestSolutionVersion": {"solutionVersionArn": "arn:aws:personalize:us-east-1:123456789012:solution/s/0b76212f",
                                      "status": "ACTIVE", "trainingMode": "FULL", "trainingType": "MANUAL",
                                      "creationDateTime": 1.0, "lastUpdatedDateTime": 2.0},
            "latestSolutionUpdate": {"solutionUpdateConfig": {"autoTrainingConfig": {"schedulingExpression": "rate(1 day)"}},
                                     "status": "ACTIVE", "performAutoTraining": true,
                                     "creationDateTime": 1.0, "lastUpdatedDateTime": 2.0}
        });
        let s: Solution = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(s.perform_hpo, Some(true));
        assert!(s.solution_config.as_ref().unwrap().hpo_config.is_some());
        assert!(s.solution_config.as_ref().unwrap().auto_ml_config.is_some());
        let out = serde_json::to_value(&s).unwrap();
        assert_eq!(out, body);
        let cfg = &out["solutionConfig"];
        assert!(cfg.get("hpoConfig").is_some());
        assert!(cfg.get("autoMLConfig").is_some());
        assert_eq!(cfg["hpoConfig"]["hpoObjective"]["type"], "Maximize");
        let summary = serde_json::to_value(SolutionSummary::from(&s)).unwrap();
        assert_eq!(summary["recipeArn"], RECIPE);
        assert!(summary.get("performHPO").is_none());
        let l = serde_json::to_value(ListSolutionsResponse { solutions: vec![], next_token: None }).unwrap();
        assert_eq!(l, json!({"solutions": []}));
        assert!(serde_json::to_value(DescribeSolutionResponse { solution: s }).unwrap()["solution"].is_object());
    }

    fn request(config: Value) -> CreateSolutionRequest {
        serde_json::from_value(json!({
            "name": "s", "recipeArn": RECIPE, "datasetGroupArn": DSG, "solutionConfig": config
        }))
        .unwrap()
    }

    fn error_for(config: Value) -> String {
        request(config).validate().unwrap_err().message()
    }

    #[test]
    fn full_config_is_valid() {
        request(full_config()).validate().unwrap();
        let req: CreateSolutionRequest = parse_request(
            format!(r#"{{"name":"s","performHPO":true,"recipeArn":"{RECIPE}","datasetGroupArn":"{DSG}"}}"#).as_bytes(),
        )
        .unwrap();
        assert_eq!(req.perform_hpo, Some(true));
    }

    #[test]
    fn nested_constraints_use_dotted_paths() {
        let msg = error_for(json!({"eventsConfig": {"eventParametersList": [{"eventType": "a", "weight": 1.5}]}}));
        assert!(msg.contains(
            "Value '1.5' at 'solutionConfig.eventsConfig.eventParametersList.1.weight' failed to satisfy constraint: Member must have value less than or equal to 1"
        ), "{msg}");
        let eleven: Vec<Value> = (0..11).map(|i| json!({"eventType": format!("e{i}")})).collect();
        let msg = error_for(json!({"eventsConfig": {"eventParametersList": eleven}}));
        assert!(msg.contains("Value with 11 elements at 'solutionConfig.eventsConfig.eventParametersList'"), "{msg}");

        let msg = error_for(json!({"autoTrainingConfig": {"schedulingExpression": "rate(45 days)"}}));
        assert!(
            msg.contains("Value 'rate(45 days)' at 'solutionConfig.autoTrainingConfig.schedulingExpression'"),
            "{msg}"
        );
        let msg = error_for(json!({"autoTrainingConfig": {"schedulingExpression": "cron(0 0 * * ?)"}}));
        assert!(msg.contains("Member must satisfy regular expression pattern: rate\\(\\d+ days?\\)"), "{msg}");

        let msg =
            error_for(json!({"optimizationObjective": {"itemAttribute": "PRICE", "objectiveSensitivity": "MAX"}}));
        assert!(msg.contains("Value 'MAX' at 'solutionConfig.optimizationObjective.objectiveSensitivity'"), "{msg}");

        let msg = error_for(json!({"hpoConfig": {"hpoResourceConfig": {"maxNumberOfTrainingJobs": "41"}}}));
        assert!(msg.contains("'solutionConfig.hpoConfig.hpoResourceConfig.maxNumberOfTrainingJobs'"), "{msg}");

        let big: serde_json::Map<String, Value> = (0..101).map(|i| (format!("k{i}"), json!("v"))).collect();
        let msg = error_for(json!({"algorithmHyperParameters": big}));
        assert!(msg.contains("Value with 101 elements at 'solutionConfig.algorithmHyperParameters'"), "{msg}");
        let msg = error_for(json!({"algorithmHyperParameters": {"hidden_dimension": "9".repeat(1001)}}));
        assert!(msg.contains("at 'solutionConfig.algorithmHyperParameters.hidden_dimension'"), "{msg}");

        let msg = error_for(json!({"trainingDataConfig": {"excludedDatasetColumns": {"ITEMS": ["1BAD"]}}}));
        assert!(
            msg.contains("Value '1BAD' at 'solutionConfig.trainingDataConfig.excludedDatasetColumns.ITEMS.1'"),
            "{msg}"
        );
        let msg = error_for(json!({"autoMLConfig": {"recipeList": ["nope"]}}));
        assert!(msg.contains("Value 'nope' at 'solutionConfig.autoMLConfig.recipeList.1'"), "{msg}");
    }

    #[test]
    fn recipe_or_auto_ml() {
        let mut req = request(json!({}));
        req.perform_auto_ml = Some(true);
        assert!(req.validate().unwrap_err().message().contains("recipeArn"));
        req.recipe_arn = None;
        req.validate().unwrap();
        req.perform_auto_ml = None;
        assert!(req.validate().is_err());
    }

    #[test]
    fn other_requests() {
        let err = parse_request::<CreateSolutionRequest>(br#"{"name":"s"}"#).unwrap_err();
        assert!(err.message().contains("missing field `datasetGroupArn`"));
        assert!(DescribeSolutionRequest { solution_arn: "x".into() }.validate().is_err());
        assert!(DeleteSolutionRequest { solution_arn: "x".into() }.validate().is_err());
        assert!(ListSolutionsRequest { max_results: Some(-1), ..Default::default() }.validate().is_err());
        let err = parse_request::<UpdateSolutionRequest>(
            br#"{"solutionArn":"arn:aws:personalize:us-east-1:1:solution/s","performAutoTraining":true,
                 "solutionUpdateConfig":{"autoTrainingConfig":{"schedulingExpression":"rate(0 days)"}}}"#,
        )
        .unwrap_err();
        assert!(err.message().contains("solutionUpdateConfig.autoTrainingConfig.schedulingExpression"));
    }
}
