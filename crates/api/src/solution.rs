//! Solutions: `Solution`, `SolutionSummary`, and the solution operations
//! (Create/Describe/List/Delete/UpdateSolution). `SolutionConfig` is in [`crate::solution_config`].

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::solution_config::{AutoMlResult, AutoTrainingConfig, EventsConfig, SolutionConfig};
use crate::solution_version::SolutionVersionSummary;
use crate::tags::Tag;
use crate::validate::{join, Validate, ValidateAt, Violations};

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
