//! A/B experiments: a Reko extension of the control plane (docs/experiments.md), not a
//! Personalize operation. Its operations are called with `X-Amz-Target: Reko.<Operation>` and
//! the same JSON protocol and signing as Personalize's.

use serde::{Deserialize, Serialize};

use crate::error::ApiResult;
use crate::validate::{join, Validate, Violations};

/// The extension's `X-Amz-Target` prefix (Personalize's is `AmazonPersonalize.`).
pub const EXTENSION_TARGET_PREFIX: &str = "Reko.";

/// The extension's operations, sorted (metrics label them by these names).
pub const EXTENSION_OPERATIONS: &[&str] = &[
    "CreateExperiment",
    "DeleteExperiment",
    "DescribeExperiment",
    "GetExperimentResults",
    "ListExperiments",
    "PromoteExperiment",
    "StopExperiment",
];

/// Arms one experiment may split traffic between (the arm is one hex digit of its ids).
pub const MAX_ARMS: usize = 10;
/// The largest weight of an arm (weights are relative to their sum).
pub const MAX_WEIGHT: i64 = 10_000;

/// How the experiment decides: at the planned sample size, or continuously with a sequential
/// test whose p-values stay valid however often they are looked at.
pub const FIXED_HORIZON: &str = "FIXED_HORIZON";
pub const SEQUENTIAL: &str = "SEQUENTIAL";
pub const ANALYSES: &[&str] = &[FIXED_HORIZON, SEQUENTIAL];

/// Experiment statuses.
pub const RUNNING: &str = "RUNNING";
pub const STOPPED: &str = "STOPPED";
pub const PROMOTED: &str = "PROMOTED";

/// One arm: a campaign or recommender and its share of the traffic.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentArm {
    pub name: String,
    /// A campaign ARN or a recommender ARN of the experiment's dataset group.
    pub target_arn: String,
    pub weight: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Experiment {
    pub name: String,
    pub experiment_arn: String,
    pub dataset_group_arn: String,
    /// The first arm is the control the others are compared with.
    pub arms: Vec<ExperimentArm>,
    /// The event type whose per-user conversion rate decides the experiment.
    pub conversion_event_type: String,
    pub analysis: String,
    /// The control's expected conversion rate, for the planned sample size.
    pub baseline_conversion_rate: f64,
    /// The smallest relative lift worth finding (0.1: 10%).
    pub minimum_detectable_lift: f64,
    pub significance_level: f64,
    pub power: f64,
    /// Users per arm the fixed-horizon test needs (the sample-size calculator's answer).
    pub planned_users_per_arm: u64,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promoted_arm: Option<String>,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentSummary {
    pub name: String,
    pub experiment_arn: String,
    pub dataset_group_arn: String,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
}

impl From<&Experiment> for ExperimentSummary {
    fn from(e: &Experiment) -> Self {
        ExperimentSummary {
            name: e.name.clone(),
            experiment_arn: e.experiment_arn.clone(),
            dataset_group_arn: e.dataset_group_arn.clone(),
            status: e.status.clone(),
            creation_date_time: e.creation_date_time,
            last_updated_date_time: e.last_updated_date_time,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateExperimentRequest {
    pub name: String,
    pub dataset_group_arn: String,
    pub arms: Vec<ExperimentArm>,
    pub conversion_event_type: String,
    pub baseline_conversion_rate: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analysis: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_detectable_lift: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub significance_level: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateExperimentResponse {
    pub experiment_arn: String,
}

/// Describe, Stop, Delete and GetExperimentResults name one experiment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentArnRequest {
    pub experiment_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeExperimentResponse {
    pub experiment: Experiment,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListExperimentsRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_group_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListExperimentsResponse {
    pub experiments: Vec<ExperimentSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromoteExperimentRequest {
    pub experiment_arn: String,
    pub arm_name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentArnResponse {
    pub experiment_arn: String,
}

impl Validate for CreateExperimentRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.name("name", &self.name);
        v.arn("datasetGroupArn", &self.dataset_group_arn);
        if self.arms.len() < 2 {
            v.push_collection("arms", self.arms.len(), "Member must have at least 2 arms");
        }
        v.max_count("arms", self.arms.len(), MAX_ARMS);
        for (i, arm) in self.arms.iter().enumerate() {
            let p = format!("arms.{}", i + 1);
            v.name(&join(&p, "name"), &arm.name);
            v.arn(&join(&p, "targetArn"), &arm.target_arn);
            v.int_range(&join(&p, "weight"), arm.weight, Some(1), Some(MAX_WEIGHT));
            if self.arms[..i].iter().any(|o| o.name == arm.name) {
                v.push(&join(&p, "name"), &arm.name, "Member must be unique among the arms");
            }
            if self.arms[..i].iter().any(|o| o.target_arn == arm.target_arn) {
                v.push(&join(&p, "targetArn"), &arm.target_arn, "Member must be unique among the arms");
            }
        }
        v.len_range("conversionEventType", &self.conversion_event_type, 1, 256);
        v.float_range("baselineConversionRate", self.baseline_conversion_rate, Some(1e-6), Some(0.999));
        v.opt_one_of("analysis", self.analysis.as_ref(), ANALYSES);
        if let Some(lift) = self.minimum_detectable_lift {
            v.float_range("minimumDetectableLift", lift, Some(0.001), Some(10.0));
        }
        if let Some(alpha) = self.significance_level {
            v.float_range("significanceLevel", alpha, Some(0.0001), Some(0.5));
        }
        if let Some(power) = self.power {
            v.float_range("power", power, Some(0.5), Some(0.9999));
        }
        v.finish()
    }
}

impl Validate for ExperimentArnRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("experimentArn", &self.experiment_arn);
        v.finish()
    }
}

impl Validate for ListExperimentsRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.opt_arn("datasetGroupArn", self.dataset_group_arn.as_ref());
        v.next_token(self.next_token.as_ref());
        v.max_results(self.max_results);
        v.finish()
    }
}

impl Validate for PromoteExperimentRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("experimentArn", &self.experiment_arn);
        v.name("armName", &self.arm_name);
        v.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_request;

    fn arm(name: &str, target: &str, weight: i64) -> ExperimentArm {
        ExperimentArm { name: name.into(), target_arn: target.into(), weight }
    }

    fn base() -> CreateExperimentRequest {
        CreateExperimentRequest {
            name: "exp".into(),
            dataset_group_arn: "arn:aws:personalize:us-east-1:123456789012:dataset-group/g".into(),
            arms: vec![
                arm("a", "arn:aws:personalize:us-east-1:123456789012:campaign/a", 50),
                arm("b", "arn:aws:personalize:us-east-1:123456789012:campaign/b", 50),
            ],
            conversion_event_type: "click".into(),
            baseline_conversion_rate: 0.1,
            ..Default::default()
        }
    }

    fn err(r: &CreateExperimentRequest) -> String {
        r.validate().unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_field_and_value() {
        assert!(base().validate().is_ok());
        let mut r = base();
        r.arms.truncate(1);
        assert!(err(&r).contains("arms"), "{}", err(&r));
        let mut r = base();
        r.arms[1].weight = 0;
        assert!(err(&r).contains("arms.2.weight") && err(&r).contains('0'), "{}", err(&r));
        let mut r = base();
        r.arms[1].name = "a".into();
        assert!(err(&r).contains("arms.2.name"), "{}", err(&r));
        let mut r = base();
        r.arms[1].target_arn = r.arms[0].target_arn.clone();
        assert!(err(&r).contains("arms.2.targetArn"), "{}", err(&r));
        let r = CreateExperimentRequest { analysis: Some("BAYES".into()), ..base() };
        assert!(err(&r).contains("analysis") && err(&r).contains("BAYES"), "{}", err(&r));
        let r = CreateExperimentRequest { baseline_conversion_rate: 1.5, ..base() };
        assert!(err(&r).contains("baselineConversionRate"), "{}", err(&r));
        let r = CreateExperimentRequest { power: Some(0.2), ..base() };
        assert!(err(&r).contains("power"), "{}", err(&r));
    }

    #[test]
    fn extension_operations_are_sorted_and_not_personalize_operations() {
        assert!(EXTENSION_OPERATIONS.windows(2).all(|w| w[0] < w[1]));
        for op in EXTENSION_OPERATIONS {
            assert!(!crate::is_control_plane_operation(op), "{op}");
        }
    }

    #[test]
    fn unknown_members_are_refused() {
        let body = br#"{"experimentArn":"arn:aws:personalize:us-east-1:1:experiment/e","armName":"a","extra":1}"#;
        assert!(parse_request::<PromoteExperimentRequest>(body).is_err());
    }
}
