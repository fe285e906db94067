//! `SolutionConfig` with all its sub-structures (HPO, AutoML, events, training data, automatic
//! training) and their validation. A module of its own so that solutions and solution versions,
//! which both carry one, depend on it and not on each other.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::validate::{
    is_valid_column_name, is_valid_dataset_type, join, ValidateAt, Violations, COLUMN_NAME_PATTERN,
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
