//! Datasets: `Dataset`, `DatasetSummary`, `DatasetUpdateSummary` and their operations.

use serde::{Deserialize, Serialize};

use crate::error::ApiResult;
use crate::tags::Tag;
use crate::validate::{is_valid_dataset_type, Validate, Violations, DATASET_TYPE_PATTERN};

/// The dataset types, as `Dataset.datasetType` reports them (upper case; input is
/// case-insensitive, as in Personalize's CreateDataset API reference).
pub const DATASET_TYPES: &[&str] = &["INTERACTIONS", "ITEMS", "USERS", "ACTIONS", "ACTION_INTERACTIONS"];

/// The canonical (upper-case) dataset type for a case-insensitive input, if it is one.
pub fn canonical_dataset_type(input: &str) -> Option<&'static str> {
    let upper = input.to_ascii_uppercase();
    DATASET_TYPES.iter().copied().find(|t| *t == upper)
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetUpdateSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_arn: Option<String>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dataset {
    pub name: String,
    pub dataset_arn: String,
    pub dataset_group_arn: String,
    pub dataset_type: String,
    pub schema_arn: String,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_dataset_update: Option<DatasetUpdateSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetSummary {
    pub name: String,
    pub dataset_arn: String,
    pub dataset_type: String,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
}

impl From<&Dataset> for DatasetSummary {
    fn from(d: &Dataset) -> Self {
        DatasetSummary {
            name: d.name.clone(),
            dataset_arn: d.dataset_arn.clone(),
            dataset_type: d.dataset_type.clone(),
            status: d.status.clone(),
            creation_date_time: d.creation_date_time,
            last_updated_date_time: d.last_updated_date_time,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDatasetRequest {
    pub name: String,
    pub schema_arn: String,
    pub dataset_group_arn: String,
    pub dataset_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDatasetResponse {
    pub dataset_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeDatasetRequest {
    pub dataset_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeDatasetResponse {
    pub dataset: Dataset,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDatasetsRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_group_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDatasetsResponse {
    pub datasets: Vec<DatasetSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteDatasetRequest {
    pub dataset_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateDatasetRequest {
    pub dataset_arn: String,
    pub schema_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateDatasetResponse {
    pub dataset_arn: String,
}

impl Validate for CreateDatasetRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.name("name", &self.name);
        v.arn("schemaArn", &self.schema_arn);
        v.arn("datasetGroupArn", &self.dataset_group_arn);
        v.max_len("datasetType", &self.dataset_type, 256);
        v.pattern("datasetType", &self.dataset_type, is_valid_dataset_type(&self.dataset_type), DATASET_TYPE_PATTERN);
        v.tags("tags", self.tags.as_ref());
        v.finish()
    }
}

impl Validate for DescribeDatasetRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("datasetArn", &self.dataset_arn);
        v.finish()
    }
}

impl Validate for DeleteDatasetRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("datasetArn", &self.dataset_arn);
        v.finish()
    }
}

impl Validate for UpdateDatasetRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("datasetArn", &self.dataset_arn);
        v.arn("schemaArn", &self.schema_arn);
        v.finish()
    }
}

impl Validate for ListDatasetsRequest {
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
    const SCHEMA: &str = "arn:aws:personalize:us-east-1:123456789012:schema/s";

    #[test]
    fn resource_round_trip() {
        let body = json!({
            "name": "d", "datasetArn": "arn:aws:personalize:us-east-1:123456789012:dataset/g/INTERACTIONS",
            "datasetGroupArn": DSG, "datasetType": "INTERACTIONS", "schemaArn": SCHEMA,
            "status": "ACTIVE", "creationDateTime": 1.0, "lastUpdatedDateTime": 2.0,
            "latestDatasetUpdate": {"schemaArn": SCHEMA, "status": "CREATE PENDING",
                                    "creationDateTime": 3.0, "lastUpdatedDateTime": 3.0},
            "trackingId": "t-1"
        });
        let d: Dataset = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(serde_json::to_value(&d).unwrap(), body);
        let s = serde_json::to_value(DatasetSummary::from(&d)).unwrap();
        assert_eq!(s["datasetType"], "INTERACTIONS");
        assert!(s.get("schemaArn").is_none());
        let l = serde_json::to_value(ListDatasetsResponse { datasets: vec![], next_token: None }).unwrap();
        assert_eq!(l, json!({"datasets": []}));
        assert_eq!(
            serde_json::to_value(DescribeDatasetResponse { dataset: d }).unwrap()["dataset"]["trackingId"],
            "t-1"
        );
    }

    #[test]
    fn dataset_types() {
        assert_eq!(canonical_dataset_type("Interactions"), Some("INTERACTIONS"));
        assert_eq!(canonical_dataset_type("action_interactions"), Some("ACTION_INTERACTIONS"));
        assert_eq!(canonical_dataset_type("Events"), None);
    }

    #[test]
    fn validation() {
        let req: CreateDatasetRequest = parse_request(
            format!(r#"{{"name":"d","schemaArn":"{SCHEMA}","datasetGroupArn":"{DSG}","datasetType":"Interactions"}}"#)
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(req.dataset_type, "Interactions");
        let bad = CreateDatasetRequest { dataset_type: "Items2".into(), ..req.clone() };
        let msg = bad.validate().unwrap_err().message();
        assert!(msg.contains("Value 'Items2' at 'datasetType' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[A-Za-z_]+$"), "{msg}");
        let err = parse_request::<CreateDatasetRequest>(br#"{"name":"d"}"#).unwrap_err();
        assert!(err.message().contains("missing field"));
        assert!(UpdateDatasetRequest { dataset_arn: "x".into(), schema_arn: SCHEMA.into() }.validate().is_err());
        assert!(ListDatasetsRequest { dataset_group_arn: Some("x".into()), ..Default::default() }.validate().is_err());
        ListDatasetsRequest { dataset_group_arn: Some(DSG.into()), ..Default::default() }.validate().unwrap();
        assert!(DescribeDatasetRequest { dataset_arn: "".into() }.validate().is_err());
        assert!(DeleteDatasetRequest { dataset_arn: "".into() }.validate().is_err());
    }
}
