//! Batch inference jobs: `BatchInferenceJob`, `BatchInferenceJobSummary` and their operations
//! (docs/compatibility.md, "Batch inference"). Input and output are JSON Lines under
//! `s3DataSource.path` / `s3DataDestination.path`; Reko reads local paths and `file://` URLs there.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::common::validate_data_location;
use crate::error::{ApiError, ApiResult};
use crate::tags::Tag;
use crate::validate::{join, Validate, Violations};

/// Default items per output line.
pub const DEFAULT_BATCH_NUM_RESULTS: i32 = 25;
/// Most items per output line (the real-time cap; Personalize documents none for batch).
pub const MAX_BATCH_NUM_RESULTS: i32 = 500;

/// `S3DataConfig`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3DataConfig {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_arn: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchInferenceJobInput {
    pub s3_data_source: S3DataConfig,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchInferenceJobOutput {
    pub s3_data_destination: S3DataConfig,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchInferenceJobConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_exploration_config: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ranking_influence: Option<BTreeMap<String, f64>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchInferenceJob {
    pub job_name: String,
    pub batch_inference_job_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub solution_version_arn: String,
    pub num_results: i32,
    pub job_input: BatchInferenceJobInput,
    pub job_output: BatchInferenceJobOutput,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_inference_job_config: Option<BatchInferenceJobConfig>,
    pub role_arn: String,
    pub batch_inference_job_mode: String,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchInferenceJobSummary {
    pub batch_inference_job_arn: String,
    pub job_name: String,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub solution_version_arn: String,
    pub batch_inference_job_mode: String,
}

impl From<&BatchInferenceJob> for BatchInferenceJobSummary {
    fn from(j: &BatchInferenceJob) -> Self {
        BatchInferenceJobSummary {
            batch_inference_job_arn: j.batch_inference_job_arn.clone(),
            job_name: j.job_name.clone(),
            status: j.status.clone(),
            creation_date_time: j.creation_date_time,
            last_updated_date_time: j.last_updated_date_time,
            failure_reason: j.failure_reason.clone(),
            solution_version_arn: j.solution_version_arn.clone(),
            batch_inference_job_mode: j.batch_inference_job_mode.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateBatchInferenceJobRequest {
    pub job_name: String,
    pub solution_version_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_results: Option<i32>,
    pub job_input: BatchInferenceJobInput,
    pub job_output: BatchInferenceJobOutput,
    pub role_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_inference_job_config: Option<BatchInferenceJobConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_inference_job_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theme_generation_config: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateBatchInferenceJobResponse {
    pub batch_inference_job_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeBatchInferenceJobRequest {
    pub batch_inference_job_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeBatchInferenceJobResponse {
    pub batch_inference_job: BatchInferenceJob,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListBatchInferenceJobsRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_version_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListBatchInferenceJobsResponse {
    pub batch_inference_jobs: Vec<BatchInferenceJobSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// The input and output locations of a batch job (and their optional KMS keys).
pub(crate) fn validate_job_locations(v: &mut Violations, input: &S3DataConfig, output: &S3DataConfig) {
    validate_data_location(v, "jobInput.s3DataSource.path", &input.path);
    validate_data_location(v, "jobOutput.s3DataDestination.path", &output.path);
    for (p, kms) in [
        ("jobInput.s3DataSource.kmsKeyArn", &input.kms_key_arn),
        ("jobOutput.s3DataDestination.kmsKeyArn", &output.kms_key_arn),
    ] {
        if let Some(k) = kms {
            v.kms_key_arn(p, k);
        }
    }
}

/// A batch job's output location must differ from its input (as Personalize's
/// CreateBatchInferenceJob requires).
pub(crate) fn distinct_job_locations(input: &S3DataConfig, output: &S3DataConfig) -> ApiResult<()> {
    if input.path.trim_end_matches('/') == output.path.trim_end_matches('/') {
        return Err(ApiError::invalid("jobOutput.s3DataDestination.path must differ from jobInput.s3DataSource.path."));
    }
    Ok(())
}

impl Validate for CreateBatchInferenceJobRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.name("jobName", &self.job_name);
        v.arn("solutionVersionArn", &self.solution_version_arn);
        v.opt_arn("filterArn", self.filter_arn.as_ref());
        if let Some(n) = self.num_results {
            v.int_range("numResults", n.into(), Some(1), Some(MAX_BATCH_NUM_RESULTS.into()));
        }
        validate_job_locations(&mut v, &self.job_input.s3_data_source, &self.job_output.s3_data_destination);
        v.role_arn("roleArn", &self.role_arn);
        if let Some(c) = self.batch_inference_job_config.as_ref().and_then(|c| c.item_exploration_config.as_ref()) {
            v.max_count("batchInferenceJobConfig.itemExplorationConfig", c.len(), 100);
            for (key, value) in c {
                v.max_len(&join("batchInferenceJobConfig.itemExplorationConfig", key), value, 256);
            }
        }
        v.opt_one_of(
            "batchInferenceJobMode",
            self.batch_inference_job_mode.as_ref(),
            &["BATCH_INFERENCE", "THEME_GENERATION"],
        );
        v.tags("tags", self.tags.as_ref());
        v.finish()?;
        distinct_job_locations(&self.job_input.s3_data_source, &self.job_output.s3_data_destination)
    }
}

impl Validate for DescribeBatchInferenceJobRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("batchInferenceJobArn", &self.batch_inference_job_arn);
        v.finish()
    }
}

impl Validate for ListBatchInferenceJobsRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.opt_arn("solutionVersionArn", self.solution_version_arn.as_ref());
        v.next_token(self.next_token.as_ref());
        v.max_results(self.max_results);
        v.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::parse_request;

    const SV: &str = "arn:aws:personalize:us-east-1:123456789012:solution/s/abcd1234";

    fn body(input: &str, output: &str, extra: &str) -> String {
        format!(
            r#"{{"jobName":"j","solutionVersionArn":"{SV}","jobInput":{{"s3DataSource":{{"path":"{input}"}}}},
            "jobOutput":{{"s3DataDestination":{{"path":"{output}"}}}},"roleArn":"arn:aws:iam::123456789012:role/r"{extra}}}"#
        )
    }

    #[test]
    fn sdk_shapes_parse_and_validate() {
        let req: CreateBatchInferenceJobRequest = parse_request(
            body(
                "file:///in/users.json",
                "file:///out/",
                r#","numResults":10,"batchInferenceJobConfig":{"itemExplorationConfig":{"explorationWeight":"0.3"}}"#,
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(req.num_results, Some(10));
        let m =
            parse_request::<CreateBatchInferenceJobRequest>(body("/d/", "/d", "").as_bytes()).unwrap_err().message();
        assert!(m.contains("must differ"), "{m}");
        let m = parse_request::<CreateBatchInferenceJobRequest>(body("/a", "/b", r#","numResults":501"#).as_bytes())
            .unwrap_err()
            .message();
        assert!(m.contains("'numResults'"), "{m}");
        let m = parse_request::<CreateBatchInferenceJobRequest>(
            body("/a", "/b", r#","batchInferenceJobMode":"X""#).as_bytes(),
        )
        .unwrap_err()
        .message();
        assert!(m.contains("batchInferenceJobMode"), "{m}");
    }

    #[test]
    fn summaries_and_lists_use_exact_keys() {
        let job = BatchInferenceJob { job_name: "j".into(), num_results: 25, ..Default::default() };
        let v = serde_json::to_value(ListBatchInferenceJobsResponse {
            batch_inference_jobs: vec![BatchInferenceJobSummary::from(&job)],
            next_token: None,
        })
        .unwrap();
        assert_eq!(v["batchInferenceJobs"][0]["jobName"], "j");
        assert!(v["batchInferenceJobs"][0].get("numResults").is_none());
    }
}
