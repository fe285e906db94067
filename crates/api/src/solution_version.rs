//! Solution versions (trained models): `SolutionVersion`, `SolutionVersionSummary`,
//! `TunedHPOParams`, their operations, StopSolutionVersionCreation and GetSolutionMetrics.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::ApiResult;
use crate::solution_config::SolutionConfig;
use crate::tags::Tag;
use crate::validate::{Validate, Violations, TRAINING_MODES};

/// `TunedHPOParams`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TunedHpoParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm_hyper_parameters: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SolutionVersion {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub solution_version_arn: String,
    pub solution_arn: String,
    #[serde(rename = "performHPO")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perform_hpo: Option<bool>,
    #[serde(rename = "performAutoML")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perform_auto_ml: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perform_incremental_update: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipe_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_group_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_config: Option<SolutionConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_hours: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_mode: Option<String>,
    #[serde(rename = "tunedHPOParams")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuned_hpo_params: Option<TunedHpoParams>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_type: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SolutionVersionSummary {
    pub solution_version_arn: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_type: Option<String>,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

impl From<&SolutionVersion> for SolutionVersionSummary {
    fn from(v: &SolutionVersion) -> Self {
        SolutionVersionSummary {
            solution_version_arn: v.solution_version_arn.clone(),
            status: v.status.clone(),
            training_mode: v.training_mode.clone(),
            training_type: v.training_type.clone(),
            creation_date_time: v.creation_date_time,
            last_updated_date_time: v.last_updated_date_time,
            failure_reason: v.failure_reason.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSolutionVersionRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub solution_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSolutionVersionResponse {
    pub solution_version_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeSolutionVersionRequest {
    pub solution_version_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeSolutionVersionResponse {
    pub solution_version: SolutionVersion,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListSolutionVersionsRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListSolutionVersionsResponse {
    pub solution_versions: Vec<SolutionVersionSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopSolutionVersionCreationRequest {
    pub solution_version_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetSolutionMetricsRequest {
    pub solution_version_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetSolutionMetricsResponse {
    pub solution_version_arn: String,
    pub metrics: BTreeMap<String, f64>,
}

impl Validate for CreateSolutionVersionRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.opt_name("name", self.name.as_ref());
        v.arn("solutionArn", &self.solution_arn);
        v.opt_one_of("trainingMode", self.training_mode.as_ref(), TRAINING_MODES);
        v.tags("tags", self.tags.as_ref());
        v.finish()
    }
}

impl Validate for DescribeSolutionVersionRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("solutionVersionArn", &self.solution_version_arn);
        v.finish()
    }
}

impl Validate for StopSolutionVersionCreationRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("solutionVersionArn", &self.solution_version_arn);
        v.finish()
    }
}

impl Validate for GetSolutionMetricsRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("solutionVersionArn", &self.solution_version_arn);
        v.finish()
    }
}

impl Validate for ListSolutionVersionsRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.opt_arn("solutionArn", self.solution_arn.as_ref());
        v.next_token(self.next_token.as_ref());
        v.max_results(self.max_results);
        v.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::parse_request;
    use serde_json::json;

    const SOL: &str = "arn:aws:personalize:us-east-1:123456789012:solution/s";
    const SV: &str = "arn:aws:personalize:us-east-1:123456789012:solution/s/0b76212f";

    #[test]
    fn resource_round_trip() {
        let body = json!({
            "name": "v1", "solutionVersionArn": SV, "solutionArn": SOL,
            "performHPO": true, "performAutoML": false, "performIncrementalUpdate": false,
            "recipeArn": "arn:aws:personalize:::recipe/aws-sims", "eventType": "click",
            "datasetGroupArn": "arn:aws:personalize:us-east-1:123456789012:dataset-group/g",
            "solutionConfig": {"algorithmHyperParameters": {"min_cointeraction_count": "3"}},
            "trainingHours": 0.25, "trainingMode": "FULL",
            "tunedHPOParams": {"algorithmHyperParameters": {"popularity_discount_factor": "0.4"}},
            "status": "ACTIVE", "creationDateTime": 1.0, "lastUpdatedDateTime": 2.5,
            "trainingType": "MANUAL"
        });
        let v: SolutionVersion = serde_json::from_value(body.clone()).unwrap();
        assert!(v.tuned_hpo_params.is_some());
        assert_eq!(serde_json::to_value(&v).unwrap(), body);
        let s = serde_json::to_value(SolutionVersionSummary::from(&v)).unwrap();
        assert_eq!(
            s,
            json!({"solutionVersionArn": SV, "status": "ACTIVE", "trainingMode": "FULL",
                             "trainingType": "MANUAL", "creationDateTime": 1.0, "lastUpdatedDateTime": 2.5})
        );
        let l =
            serde_json::to_value(ListSolutionVersionsResponse { solution_versions: vec![], next_token: None }).unwrap();
        assert_eq!(l, json!({"solutionVersions": []}));
        let d = serde_json::to_value(DescribeSolutionVersionResponse { solution_version: v }).unwrap();
        assert_eq!(
            d["solutionVersion"]["tunedHPOParams"]["algorithmHyperParameters"]["popularity_discount_factor"],
            "0.4"
        );
    }

    #[test]
    fn metrics_response() {
        let mut metrics = BTreeMap::new();
        metrics.insert("precision_at_5".to_string(), 0.4);
        metrics.insert("coverage".to_string(), 1.0);
        let r = GetSolutionMetricsResponse { solution_version_arn: SV.into(), metrics };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["solutionVersionArn"], SV);
        assert_eq!(v["metrics"]["precision_at_5"], 0.4);
        let back: GetSolutionMetricsResponse = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn validation() {
        let req: CreateSolutionVersionRequest =
            parse_request(format!(r#"{{"solutionArn":"{SOL}","trainingMode":"UPDATE"}}"#).as_bytes()).unwrap();
        assert_eq!(req.training_mode.as_deref(), Some("UPDATE"));
        let bad = CreateSolutionVersionRequest { training_mode: Some("PARTIAL".into()), ..req.clone() };
        assert!(bad.validate().unwrap_err().message().contains(
            "Value 'PARTIAL' at 'trainingMode' failed to satisfy constraint: Member must satisfy enum value set: [FULL, UPDATE, AUTOTRAIN]"
        ));
        let bad = CreateSolutionVersionRequest { name: Some("".into()), ..req };
        assert!(bad.validate().unwrap_err().message().contains("Member must have length greater than or equal to 1"));
        let err = parse_request::<CreateSolutionVersionRequest>(b"{}").unwrap_err();
        assert!(err.message().contains("missing field `solutionArn`"));
        assert!(DescribeSolutionVersionRequest { solution_version_arn: "x".into() }.validate().is_err());
        assert!(StopSolutionVersionCreationRequest { solution_version_arn: "x".into() }.validate().is_err());
        GetSolutionMetricsRequest { solution_version_arn: SV.into() }.validate().unwrap();
        assert!(ListSolutionVersionsRequest { solution_arn: Some("x".into()), ..Default::default() }
            .validate()
            .is_err());
    }
}
