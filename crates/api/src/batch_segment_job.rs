//! Batch segment jobs: `BatchSegmentJob`, `BatchSegmentJobSummary` and their operations
//! (docs/compatibility.md, "Batch segments"). Input: JSON Lines of `{"itemId"}` (Item-Affinity) or
//! `{"itemAttributes"}` (Item-Attribute-Affinity) queries; output: one line of `recommendedUsers`
//! per query.

use serde::{Deserialize, Serialize};

use crate::batch_inference_job::{distinct_job_locations, validate_job_locations, S3DataConfig};
use crate::error::ApiResult;
use crate::tags::Tag;
use crate::validate::{Validate, Violations};

/// Users per segment when `numResults` is absent. The reference gives no default; Reko uses
/// the batch inference default (25), the shortest list a segment job is useful with.
pub const DEFAULT_SEGMENT_NUM_RESULTS: i32 = 25;
/// Most users per segment (docs/compatibility.md, "Batch segments").
pub const MAX_SEGMENT_NUM_RESULTS: i32 = 5_000_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchSegmentJobInput {
    pub s3_data_source: S3DataConfig,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchSegmentJobOutput {
    pub s3_data_destination: S3DataConfig,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchSegmentJob {
    pub job_name: String,
    pub batch_segment_job_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub solution_version_arn: String,
    pub num_results: i32,
    pub job_input: BatchSegmentJobInput,
    pub job_output: BatchSegmentJobOutput,
    pub role_arn: String,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchSegmentJobSummary {
    pub batch_segment_job_arn: String,
    pub job_name: String,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub solution_version_arn: String,
}

impl From<&BatchSegmentJob> for BatchSegmentJobSummary {
    fn from(j: &BatchSegmentJob) -> Self {
        BatchSegmentJobSummary {
            batch_segment_job_arn: j.batch_segment_job_arn.clone(),
            job_name: j.job_name.clone(),
            status: j.status.clone(),
            creation_date_time: j.creation_date_time,
            last_updated_date_time: j.last_updated_date_time,
            failure_reason: j.failure_reason.clone(),
            solution_version_arn: j.solution_version_arn.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateBatchSegmentJobRequest {
    pub job_name: String,
    pub solution_version_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_results: Option<i32>,
    pub job_input: BatchSegmentJobInput,
    pub job_output: BatchSegmentJobOutput,
    pub role_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateBatchSegmentJobResponse {
    pub batch_segment_job_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeBatchSegmentJobRequest {
    pub batch_segment_job_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeBatchSegmentJobResponse {
    pub batch_segment_job: BatchSegmentJob,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListBatchSegmentJobsRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_version_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListBatchSegmentJobsResponse {
    pub batch_segment_jobs: Vec<BatchSegmentJobSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl Validate for CreateBatchSegmentJobRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.name("jobName", &self.job_name);
        v.arn("solutionVersionArn", &self.solution_version_arn);
        v.opt_arn("filterArn", self.filter_arn.as_ref());
        if let Some(n) = self.num_results {
            v.int_range("numResults", n.into(), Some(1), Some(MAX_SEGMENT_NUM_RESULTS.into()));
        }
        validate_job_locations(&mut v, &self.job_input.s3_data_source, &self.job_output.s3_data_destination);
        v.role_arn("roleArn", &self.role_arn);
        v.tags("tags", self.tags.as_ref());
        v.finish()?;
        distinct_job_locations(&self.job_input.s3_data_source, &self.job_output.s3_data_destination)
    }
}

impl Validate for DescribeBatchSegmentJobRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("batchSegmentJobArn", &self.batch_segment_job_arn);
        v.finish()
    }
}

impl Validate for ListBatchSegmentJobsRequest {
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

    fn body(extra: &str) -> String {
        format!(
            r#"{{"jobName":"j","solutionVersionArn":"arn:aws:personalize:us-east-1:123456789012:solution/s/abcd1234",
            "jobInput":{{"s3DataSource":{{"path":"s3://b/in.json"}}}},"jobOutput":{{"s3DataDestination":{{"path":"s3://b/out/"}}}},
            "roleArn":"arn:aws:iam::123456789012:role/r"{extra}}}"#
        )
    }

    #[test]
    fn sdk_shapes_parse_and_validate() {
        let req: CreateBatchSegmentJobRequest = parse_request(body(r#","numResults":5000000"#).as_bytes()).unwrap();
        assert_eq!(req.num_results, Some(5_000_000));
        let m = parse_request::<CreateBatchSegmentJobRequest>(body(r#","numResults":5000001"#).as_bytes())
            .unwrap_err()
            .message();
        assert!(m.contains("'numResults'"), "{m}");
        let m = parse_request::<CreateBatchSegmentJobRequest>(br#"{"jobName":"j"}"#).unwrap_err().message();
        assert!(m.contains("solutionVersionArn") || m.contains("missing"), "{m}");
    }
}
