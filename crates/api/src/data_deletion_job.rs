//! Data deletion jobs: `DataDeletionJob`, `DataDeletionJobSummary` and their operations
//! (docs/compatibility.md, "Data deletion jobs"): a CSV of `USER_ID`s whose records are erased
//! from a dataset group.

use serde::{Deserialize, Serialize};

use crate::common::DataSource;
use crate::error::ApiResult;
use crate::status::ResourceStatus;
use crate::tags::Tag;
use crate::validate::{Validate, Violations};

/// A data deletion job's status as the wire spells it (no `CREATE` prefix, `COMPLETED` for
/// `ACTIVE`), from the lifecycle status the catalog keeps for every job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataDeletionJobStatus {
    Pending,
    InProgress,
    Completed,
    Failed,
}

impl DataDeletionJobStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            DataDeletionJobStatus::Pending => "PENDING",
            DataDeletionJobStatus::InProgress => "IN_PROGRESS",
            DataDeletionJobStatus::Completed => "COMPLETED",
            DataDeletionJobStatus::Failed => "FAILED",
        }
    }

    /// The wire status of a job whose catalog status is `stored` (`None`: a status a job never
    /// has).
    pub fn of_stored(stored: &str) -> Option<DataDeletionJobStatus> {
        Some(match ResourceStatus::parse(stored)? {
            ResourceStatus::CreatePending => DataDeletionJobStatus::Pending,
            ResourceStatus::CreateInProgress => DataDeletionJobStatus::InProgress,
            ResourceStatus::Active => DataDeletionJobStatus::Completed,
            ResourceStatus::CreateFailed => DataDeletionJobStatus::Failed,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataDeletionJob {
    pub job_name: String,
    pub data_deletion_job_arn: String,
    pub dataset_group_arn: String,
    pub data_source: DataSource,
    pub role_arn: String,
    pub status: String,
    /// Set when the job is COMPLETED.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_deleted: Option<i32>,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

impl DataDeletionJob {
    /// The job with its catalog status turned into the wire's spelling.
    pub fn with_wire_status(mut self) -> DataDeletionJob {
        if let Some(status) = DataDeletionJobStatus::of_stored(&self.status) {
            self.status = status.as_str().to_string();
        }
        self
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataDeletionJobSummary {
    pub data_deletion_job_arn: String,
    pub dataset_group_arn: String,
    pub job_name: String,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

impl From<&DataDeletionJob> for DataDeletionJobSummary {
    fn from(j: &DataDeletionJob) -> Self {
        let j = j.clone().with_wire_status();
        DataDeletionJobSummary {
            data_deletion_job_arn: j.data_deletion_job_arn,
            dataset_group_arn: j.dataset_group_arn,
            job_name: j.job_name,
            status: j.status,
            creation_date_time: j.creation_date_time,
            last_updated_date_time: j.last_updated_date_time,
            failure_reason: j.failure_reason,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDataDeletionJobRequest {
    pub job_name: String,
    pub dataset_group_arn: String,
    pub data_source: DataSource,
    pub role_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDataDeletionJobResponse {
    pub data_deletion_job_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeDataDeletionJobRequest {
    pub data_deletion_job_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeDataDeletionJobResponse {
    pub data_deletion_job: DataDeletionJob,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDataDeletionJobsRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_group_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDataDeletionJobsResponse {
    pub data_deletion_jobs: Vec<DataDeletionJobSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl Validate for CreateDataDeletionJobRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.name("jobName", &self.job_name);
        v.arn("datasetGroupArn", &self.dataset_group_arn);
        v.nested("dataSource", Some(&self.data_source));
        v.role_arn("roleArn", &self.role_arn);
        v.tags("tags", self.tags.as_ref());
        v.finish()
    }
}

impl Validate for DescribeDataDeletionJobRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("dataDeletionJobArn", &self.data_deletion_job_arn);
        v.finish()
    }
}

impl Validate for ListDataDeletionJobsRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.opt_arn("datasetGroupArn", self.dataset_group_arn.as_ref());
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

    const DSG: &str = "arn:aws:personalize:us-east-1:123456789012:dataset-group/g";
    const ROLE: &str = "arn:aws:iam::123456789012:role/r";

    #[test]
    fn statuses_are_spelled_without_the_create_prefix() {
        let spelled: Vec<Option<&str>> =
            ["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE", "CREATE FAILED", "DELETE PENDING"]
                .iter()
                .map(|s| DataDeletionJobStatus::of_stored(s).map(DataDeletionJobStatus::as_str))
                .collect();
        assert_eq!(spelled, [Some("PENDING"), Some("IN_PROGRESS"), Some("COMPLETED"), Some("FAILED"), None]);
    }

    #[test]
    fn resource_round_trip_and_wire_status() {
        let body = json!({
            "jobName": "d", "dataDeletionJobArn": "arn:aws:personalize:us-east-1:123456789012:data-deletion-job/d",
            "datasetGroupArn": DSG, "dataSource": {"dataLocation": "s3://b/users.csv"}, "roleArn": ROLE,
            "status": "ACTIVE", "numDeleted": 3, "creationDateTime": 1.0, "lastUpdatedDateTime": 2.0
        });
        let job: DataDeletionJob = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(serde_json::to_value(&job).unwrap(), body);
        let summary = serde_json::to_value(DataDeletionJobSummary::from(&job)).unwrap();
        assert_eq!(summary["status"], "COMPLETED");
        assert_eq!(summary["datasetGroupArn"], DSG);
        assert!(summary.get("numDeleted").is_none() && summary.get("dataSource").is_none());
        let described = DescribeDataDeletionJobResponse { data_deletion_job: job.with_wire_status() };
        assert_eq!(serde_json::to_value(described).unwrap()["dataDeletionJob"]["status"], "COMPLETED");
        let list = ListDataDeletionJobsResponse { data_deletion_jobs: vec![], next_token: None };
        assert_eq!(serde_json::to_value(list).unwrap(), json!({"dataDeletionJobs": []}));
    }

    #[test]
    fn validation_names_field_and_value() {
        let ok = format!(
            r#"{{"jobName":"d","datasetGroupArn":"{DSG}","dataSource":{{"dataLocation":"file:///tmp/u.csv"}},"roleArn":"{ROLE}","tags":[{{"tagKey":"k","tagValue":"v"}}]}}"#
        );
        let req: CreateDataDeletionJobRequest = parse_request(ok.as_bytes()).unwrap();
        assert_eq!(req.data_source.data_location.as_deref(), Some("file:///tmp/u.csv"));
        let m = |r: CreateDataDeletionJobRequest| r.validate().unwrap_err().message();
        assert!(m(CreateDataDeletionJobRequest { job_name: "bad name".into(), ..req.clone() })
            .contains("'bad name' at 'jobName'"));
        assert!(m(CreateDataDeletionJobRequest { dataset_group_arn: "nope".into(), ..req.clone() })
            .contains("'nope' at 'datasetGroupArn'"));
        assert!(
            m(CreateDataDeletionJobRequest { role_arn: "role".into(), ..req.clone() }).contains("'role' at 'roleArn'")
        );
        assert!(m(CreateDataDeletionJobRequest { data_source: DataSource::default(), ..req.clone() })
            .contains("'dataSource.dataLocation'"));
        let missing =
            format!(r#"{{"jobName":"d","datasetGroupArn":"{DSG}","dataSource":{{"dataLocation":"s3://b/u.csv"}}}}"#);
        let e = parse_request::<CreateDataDeletionJobRequest>(missing.as_bytes()).unwrap_err();
        assert!(e.message().contains("roleArn"), "{}", e.message());
        let unknown = ok.replace(r#""jobName""#, r#""extra":1,"jobName""#);
        assert!(parse_request::<CreateDataDeletionJobRequest>(unknown.as_bytes()).is_err());
        assert!(DescribeDataDeletionJobRequest { data_deletion_job_arn: "x".into() }.validate().is_err());
        assert!(ListDataDeletionJobsRequest { max_results: Some(0), ..Default::default() }.validate().is_err());
        assert!(ListDataDeletionJobsRequest { dataset_group_arn: Some("g".into()), ..Default::default() }
            .validate()
            .is_err());
    }
}
