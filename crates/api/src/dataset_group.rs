//! Dataset groups: `DatasetGroup`, `DatasetGroupSummary` and their operations.

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::tags::Tag;
use crate::validate::{Validate, Violations};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetGroup {
    pub name: String,
    pub dataset_group_arn: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_arn: Option<String>,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetGroupSummary {
    pub name: String,
    pub dataset_group_arn: String,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

impl From<&DatasetGroup> for DatasetGroupSummary {
    fn from(g: &DatasetGroup) -> Self {
        DatasetGroupSummary {
            name: g.name.clone(),
            dataset_group_arn: g.dataset_group_arn.clone(),
            status: g.status.clone(),
            creation_date_time: g.creation_date_time,
            last_updated_date_time: g.last_updated_date_time,
            failure_reason: g.failure_reason.clone(),
            domain: g.domain.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDatasetGroupRequest {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDatasetGroupResponse {
    pub dataset_group_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeDatasetGroupRequest {
    pub dataset_group_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeDatasetGroupResponse {
    pub dataset_group: DatasetGroup,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDatasetGroupsRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListDatasetGroupsResponse {
    pub dataset_groups: Vec<DatasetGroupSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteDatasetGroupRequest {
    pub dataset_group_arn: String,
}

impl Validate for CreateDatasetGroupRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.name("name", &self.name);
        v.opt_role_arn("roleArn", self.role_arn.as_ref());
        if let Some(kms) = &self.kms_key_arn {
            v.kms_key_arn("kmsKeyArn", kms);
        }
        v.domain("domain", self.domain.as_ref());
        v.tags("tags", self.tags.as_ref());
        v.finish()?;
        if self.role_arn.is_some() && self.kms_key_arn.is_none() {
            return Err(ApiError::invalid(
                "roleArn is only valid together with kmsKeyArn: specify a kmsKeyArn or omit roleArn",
            ));
        }
        Ok(())
    }
}

impl Validate for DescribeDatasetGroupRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("datasetGroupArn", &self.dataset_group_arn);
        v.finish()
    }
}

impl Validate for DeleteDatasetGroupRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("datasetGroupArn", &self.dataset_group_arn);
        v.finish()
    }
}

impl Validate for ListDatasetGroupsRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
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

    const ARN: &str = "arn:aws:personalize:us-east-1:123456789012:dataset-group/g1";

    #[test]
    fn resource_round_trip() {
        let body = json!({
            "name": "g1", "datasetGroupArn": ARN, "status": "ACTIVE",
            "roleArn": "arn:aws:iam::123456789012:role/R",
            "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k",
            "creationDateTime": 1698431822, "lastUpdatedDateTime": 1698431822.857,
            "domain": "ECOMMERCE"
        });
        let g: DatasetGroup = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(g.creation_date_time, 1698431822.0);
        let out = serde_json::to_value(&g).unwrap();
        let keys: Vec<&str> = out.as_object().unwrap().keys().map(String::as_str).collect();
        for k in [
            "name",
            "datasetGroupArn",
            "status",
            "roleArn",
            "kmsKeyArn",
            "creationDateTime",
            "lastUpdatedDateTime",
            "domain",
        ] {
            assert!(keys.contains(&k), "{k}");
        }
        assert!(!keys.contains(&"failureReason"));
        let summary = DatasetGroupSummary::from(&g);
        let s = serde_json::to_value(&summary).unwrap();
        assert_eq!(s["datasetGroupArn"], ARN);
        assert!(s.get("roleArn").is_none());
        let resp = DescribeDatasetGroupResponse { dataset_group: g };
        assert_eq!(serde_json::to_value(&resp).unwrap()["datasetGroup"]["name"], "g1");
        let list = ListDatasetGroupsResponse { dataset_groups: vec![summary], next_token: None };
        let l = serde_json::to_value(&list).unwrap();
        assert!(l["datasetGroups"].is_array());
        assert!(l.get("nextToken").is_none());
    }

    #[test]
    fn create_request_parses_and_validates() {
        let req: CreateDatasetGroupRequest =
            parse_request(br#"{"name":"my-group","domain":"VIDEO_ON_DEMAND"}"#).unwrap();
        assert_eq!(req.domain.as_deref(), Some("VIDEO_ON_DEMAND"));
        parse_request::<CreateDatasetGroupRequest>(br#"{"name":"my-group","unknownMember":1}"#).unwrap_err();

        let err = parse_request::<CreateDatasetGroupRequest>(br#"{"name":"bad name!"}"#).unwrap_err();
        assert_eq!(
            err.message(),
            "1 validation error detected: Value 'bad name!' at 'name' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: ^[a-zA-Z0-9][a-zA-Z0-9\\-_]*"
        );
        let err = parse_request::<CreateDatasetGroupRequest>(br#"{"name":"g","domain":"RETAIL"}"#).unwrap_err();
        assert!(err.message().contains(
            "Value 'RETAIL' at 'domain' failed to satisfy constraint: Member must satisfy enum value set: [ECOMMERCE, VIDEO_ON_DEMAND]"
        ));
        let long = format!(r#"{{"name":"{}"}}"#, "a".repeat(64));
        let err = parse_request::<CreateDatasetGroupRequest>(long.as_bytes()).unwrap_err();
        assert!(err.message().contains("Member must have length less than or equal to 63"));
    }

    #[test]
    fn missing_members_and_empty_body() {
        let err = parse_request::<CreateDatasetGroupRequest>(b"").unwrap_err();
        assert_eq!(err.code(), "InvalidInputException");
        assert!(err.message().starts_with("Invalid request body: "));
        assert!(err.message().contains("missing field `name`"), "{}", err.message());
        let err = parse_request::<CreateDatasetGroupRequest>(br#"{"name":5}"#).unwrap_err();
        assert!(err.message().contains("invalid type"), "{}", err.message());
        let ok: ListDatasetGroupsRequest = parse_request(b"").unwrap();
        assert_eq!(ok, ListDatasetGroupsRequest::default());
    }

    #[test]
    fn role_and_kms_rules() {
        let mut req = CreateDatasetGroupRequest {
            name: "g".into(),
            role_arn: Some("arn:aws:iam::123456789012:role/R".into()),
            ..Default::default()
        };
        assert!(req.validate().unwrap_err().message().contains("kmsKeyArn"));
        req.kms_key_arn = Some("arn:aws:kms:us-east-1:123456789012:key/k".into());
        req.validate().unwrap();
        req.kms_key_arn = Some("not-a-key".into());
        assert!(req.validate().unwrap_err().message().contains("Value 'not-a-key' at 'kmsKeyArn'"));
        req.kms_key_arn = None;
        req.role_arn = Some("arn:aws:iam::1:role/R".into());
        assert!(req.validate().unwrap_err().message().contains("at 'roleArn'"));
    }

    #[test]
    fn describe_and_list_validation() {
        let err = DescribeDatasetGroupRequest { dataset_group_arn: "notanarn".into() }.validate().unwrap_err();
        assert!(err.message().contains(
            "Value 'notanarn' at 'datasetGroupArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:([a-z\\d-]+):personalize:.*:.*:.+"
        ));
        DeleteDatasetGroupRequest { dataset_group_arn: ARN.into() }.validate().unwrap();
        let err = ListDatasetGroupsRequest { max_results: Some(1000), next_token: None }.validate().unwrap_err();
        assert!(err.message().contains(
            "Value '1000' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"
        ));
        let err = ListDatasetGroupsRequest { max_results: None, next_token: Some("é".into()) }.validate().unwrap_err();
        assert!(err.message().contains("at 'nextToken'"));
    }
}
