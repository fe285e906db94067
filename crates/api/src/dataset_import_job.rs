//! Dataset import jobs: `DatasetImportJob`, `DatasetImportJobSummary` and their operations
//! (Create/Describe/List; Personalize has no delete operation for import jobs).

use serde::{Deserialize, Serialize};

use crate::common::DataSource;
use crate::error::ApiResult;
use crate::tags::Tag;
use crate::validate::{Validate, Violations, IMPORT_MODES};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetImportJob {
    pub job_name: String,
    pub dataset_import_job_arn: String,
    pub dataset_arn: String,
    pub data_source: DataSource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_mode: Option<String>,
    #[serde(rename = "publishAttributionMetricsToS3")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish_attribution_metrics_to_s3: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetImportJobSummary {
    pub dataset_import_job_arn: String,
    pub job_name: String,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_mode: Option<String>,
}

impl From<&DatasetImportJob> for DatasetImportJobSummary {
    fn from(j: &DatasetImportJob) -> Self {
        DatasetImportJobSummary {
            dataset_import_job_arn: j.dataset_import_job_arn.clone(),
            job_name: j.job_name.clone(),
            status: j.status.clone(),
            creation_date_time: j.creation_date_time,
            last_updated_date_time: j.last_updated_date_time,
            failure_reason: j.failure_reason.clone(),
            import_mode: j.import_mode.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDatasetImportJobRequest {
    pub job_name: String,
    pub dataset_arn: String,
    pub data_source: DataSource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_mode: Option<String>,
    #[serde(rename = "publishAttributionMetricsToS3")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish_attribution_metrics_to_s3: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDatasetImportJobResponse {
    pub dataset_import_job_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeDatasetImportJobRequest {
    pub dataset_import_job_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeDatasetImportJobResponse {
    pub dataset_import_job: DatasetImportJob,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDatasetImportJobsRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDatasetImportJobsResponse {
    pub dataset_import_jobs: Vec<DatasetImportJobSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl Validate for CreateDatasetImportJobRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.name("jobName", &self.job_name);
        v.arn("datasetArn", &self.dataset_arn);
        v.nested("dataSource", Some(&self.data_source));
        v.opt_role_arn("roleArn", self.role_arn.as_ref());
        v.tags("tags", self.tags.as_ref());
        v.opt_one_of("importMode", self.import_mode.as_ref(), IMPORT_MODES);
        v.finish()
    }
}

impl Validate for DescribeDatasetImportJobRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("datasetImportJobArn", &self.dataset_import_job_arn);
        v.finish()
    }
}

impl Validate for ListDatasetImportJobsRequest {
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
    use serde_json::json;

    const DS: &str = "arn:aws:personalize:us-east-1:123456789012:dataset/g/INTERACTIONS";

    #[test]
    fn resource_round_trip() {
        let body = json!({
            "jobName": "j", "datasetImportJobArn": "arn:aws:personalize:us-east-1:123456789012:dataset-import-job/j",
            "datasetArn": DS, "dataSource": {"dataLocation": "s3://b/k.csv"},
            "roleArn": "arn:aws:iam::123456789012:role/R", "status": "CREATE FAILED",
            "creationDateTime": 1.0, "lastUpdatedDateTime": 2.0, "failureReason": "Invalid Data location.",
            "importMode": "FULL", "publishAttributionMetricsToS3": false
        });
        let j: DatasetImportJob = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(serde_json::to_value(&j).unwrap(), body);
        let s = serde_json::to_value(DatasetImportJobSummary::from(&j)).unwrap();
        assert_eq!(s["failureReason"], "Invalid Data location.");
        assert!(s.get("dataSource").is_none());
        let l = serde_json::to_value(ListDatasetImportJobsResponse { dataset_import_jobs: vec![], next_token: None })
            .unwrap();
        assert_eq!(l, json!({"datasetImportJobs": []}));
        let d = serde_json::to_value(DescribeDatasetImportJobResponse { dataset_import_job: j }).unwrap();
        assert_eq!(d["datasetImportJob"]["jobName"], "j");
    }

    #[test]
    fn validation() {
        let ok = format!(
            r#"{{"jobName":"j","datasetArn":"{DS}","dataSource":{{"dataLocation":"file:///tmp/x.csv"}},"importMode":"INCREMENTAL"}}"#
        );
        let req: CreateDatasetImportJobRequest = parse_request(ok.as_bytes()).unwrap();
        assert_eq!(req.data_source.data_location.as_deref(), Some("file:///tmp/x.csv"));
        let bad = CreateDatasetImportJobRequest { import_mode: Some("APPEND".into()), ..req.clone() };
        assert!(bad.validate().unwrap_err().message().contains(
            "Value 'APPEND' at 'importMode' failed to satisfy constraint: Member must satisfy enum value set: [FULL, INCREMENTAL]"
        ));
        let bad = CreateDatasetImportJobRequest { data_source: DataSource::default(), ..req.clone() };
        assert!(bad.validate().unwrap_err().message().contains("'dataSource.dataLocation'"));
        let err = parse_request::<CreateDatasetImportJobRequest>(
            format!(r#"{{"jobName":"j","datasetArn":"{DS}"}}"#).as_bytes(),
        )
        .unwrap_err();
        assert!(err.message().contains("missing field `dataSource`"));
        assert!(DescribeDatasetImportJobRequest { dataset_import_job_arn: "x".into() }.validate().is_err());
        assert!(ListDatasetImportJobsRequest { max_results: Some(101), ..Default::default() }.validate().is_err());
    }
}
