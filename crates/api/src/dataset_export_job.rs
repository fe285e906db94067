//! Dataset export jobs: `DatasetExportJob`, `DatasetExportJobSummary` and their operations
//! (docs/compatibility.md, "Dataset export"): a dataset's records as CSV, with a header row, in a
//! folder.

use serde::{Deserialize, Serialize};

use crate::batch_inference_job::S3DataConfig;
use crate::common::validate_data_location;
use crate::error::ApiResult;
use crate::tags::Tag;
use crate::validate::{Validate, Violations};

/// `ingestionMode` values; Personalize's default is PUT.
pub const INGESTION_MODES: [&str; 3] = ["BULK", "PUT", "ALL"];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetExportJobOutput {
    pub s3_data_destination: S3DataConfig,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetExportJob {
    pub job_name: String,
    pub dataset_export_job_arn: String,
    pub dataset_arn: String,
    pub ingestion_mode: String,
    pub role_arn: String,
    pub status: String,
    pub job_output: DatasetExportJobOutput,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetExportJobSummary {
    pub dataset_export_job_arn: String,
    pub job_name: String,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

impl From<&DatasetExportJob> for DatasetExportJobSummary {
    fn from(j: &DatasetExportJob) -> Self {
        DatasetExportJobSummary {
            dataset_export_job_arn: j.dataset_export_job_arn.clone(),
            job_name: j.job_name.clone(),
            status: j.status.clone(),
            creation_date_time: j.creation_date_time,
            last_updated_date_time: j.last_updated_date_time,
            failure_reason: j.failure_reason.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDatasetExportJobRequest {
    pub job_name: String,
    pub dataset_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingestion_mode: Option<String>,
    pub role_arn: String,
    pub job_output: DatasetExportJobOutput,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDatasetExportJobResponse {
    pub dataset_export_job_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeDatasetExportJobRequest {
    pub dataset_export_job_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeDatasetExportJobResponse {
    pub dataset_export_job: DatasetExportJob,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDatasetExportJobsRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDatasetExportJobsResponse {
    pub dataset_export_jobs: Vec<DatasetExportJobSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl Validate for CreateDatasetExportJobRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.name("jobName", &self.job_name);
        v.arn("datasetArn", &self.dataset_arn);
        v.opt_one_of("ingestionMode", self.ingestion_mode.as_ref(), &INGESTION_MODES);
        v.role_arn("roleArn", &self.role_arn);
        validate_data_location(&mut v, "jobOutput.s3DataDestination.path", &self.job_output.s3_data_destination.path);
        if let Some(k) = &self.job_output.s3_data_destination.kms_key_arn {
            v.kms_key_arn("jobOutput.s3DataDestination.kmsKeyArn", k);
        }
        v.tags("tags", self.tags.as_ref());
        v.finish()
    }
}

impl Validate for DescribeDatasetExportJobRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("datasetExportJobArn", &self.dataset_export_job_arn);
        v.finish()
    }
}

impl Validate for ListDatasetExportJobsRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.opt_arn("datasetArn", self.dataset_arn.as_ref());
        v.next_token(self.next_token.as_ref());
        v.max_results(self.max_results);
        v.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::parse_request;

    #[test]
    fn shapes_and_validation() {
        let ds = "arn:aws:personalize:us-east-1:123456789012:dataset/g/INTERACTIONS";
        let body = format!(
            r#"{{"jobName":"e","datasetArn":"{ds}","ingestionMode":"ALL","roleArn":"arn:aws:iam::123456789012:role/r",
            "jobOutput":{{"s3DataDestination":{{"path":"s3://b/out/"}}}}}}"#
        );
        let req: CreateDatasetExportJobRequest = parse_request(body.as_bytes()).unwrap();
        assert_eq!(req.ingestion_mode.as_deref(), Some("ALL"));
        let bad = body.replace("\"ALL\"", "\"SOME\"");
        let m = parse_request::<CreateDatasetExportJobRequest>(bad.as_bytes()).unwrap_err().message();
        assert!(m.contains("ingestionMode"), "{m}");
        let list = ListDatasetExportJobsResponse { dataset_export_jobs: vec![], next_token: None };
        assert_eq!(serde_json::to_value(list).unwrap(), serde_json::json!({"datasetExportJobs": []}));
    }
}
