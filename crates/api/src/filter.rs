//! Filters: `Filter`, `FilterSummary` and their operations. The expression language itself is in
//! `reko-filter`; here only the shapes and the model's constraints.

use serde::{Deserialize, Serialize};

use crate::error::ApiResult;
use crate::tags::Tag;
use crate::validate::{Validate, Violations};

/// Longest `filterExpression`.
pub const MAX_FILTER_EXPRESSION: usize = 2500;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    pub name: String,
    pub filter_arn: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    pub dataset_group_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub filter_expression: String,
    pub status: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterSummary {
    pub name: String,
    pub filter_arn: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    pub dataset_group_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub status: String,
}

impl From<&Filter> for FilterSummary {
    fn from(f: &Filter) -> Self {
        FilterSummary {
            name: f.name.clone(),
            filter_arn: f.filter_arn.clone(),
            creation_date_time: f.creation_date_time,
            last_updated_date_time: f.last_updated_date_time,
            dataset_group_arn: f.dataset_group_arn.clone(),
            failure_reason: f.failure_reason.clone(),
            status: f.status.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateFilterRequest {
    pub name: String,
    pub dataset_group_arn: String,
    pub filter_expression: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateFilterResponse {
    pub filter_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeFilterRequest {
    pub filter_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeFilterResponse {
    pub filter: Filter,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListFiltersRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_group_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
}

/// The one list response whose key is not camelCase: `Filters` (as in Personalize's ListFilters API
/// reference).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListFiltersResponse {
    #[serde(rename = "Filters")]
    pub filters: Vec<FilterSummary>,
    #[serde(rename = "nextToken", skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteFilterRequest {
    pub filter_arn: String,
}

impl Validate for CreateFilterRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.name("name", &self.name);
        v.arn("datasetGroupArn", &self.dataset_group_arn);
        v.len_range("filterExpression", &self.filter_expression, 1, MAX_FILTER_EXPRESSION);
        v.tags("tags", self.tags.as_ref());
        v.finish()
    }
}

impl Validate for DescribeFilterRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("filterArn", &self.filter_arn);
        v.finish()
    }
}

impl Validate for DeleteFilterRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("filterArn", &self.filter_arn);
        v.finish()
    }
}

impl Validate for ListFiltersRequest {
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

    #[test]
    fn shapes_use_exact_keys() {
        let body = json!({
            "name": "f", "filterArn": "arn:aws:personalize:us-east-1:123456789012:filter/f",
            "creationDateTime": 1.0, "lastUpdatedDateTime": 2.0, "datasetGroupArn": DSG,
            "filterExpression": "EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"buy\")", "status": "ACTIVE"
        });
        let f: Filter = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(serde_json::to_value(&f).unwrap(), body);
        let list = ListFiltersResponse { filters: vec![FilterSummary::from(&f)], next_token: Some("t".into()) };
        let v = serde_json::to_value(list).unwrap();
        assert!(v["Filters"][0].get("filterExpression").is_none());
        assert_eq!(v["nextToken"], "t");
        assert!(v.get("filters").is_none());
    }

    #[test]
    fn validation() {
        let ok = format!(r#"{{"name":"f","datasetGroupArn":"{DSG}","filterExpression":"x"}}"#);
        parse_request::<CreateFilterRequest>(ok.as_bytes()).unwrap();
        let long = "x".repeat(2501);
        let err = parse_request::<CreateFilterRequest>(
            format!(r#"{{"name":"f","datasetGroupArn":"{DSG}","filterExpression":"{long}"}}"#).as_bytes(),
        )
        .unwrap_err();
        assert!(err.message().contains("'filterExpression' failed to satisfy constraint"), "{}", err.message());
        let err = parse_request::<CreateFilterRequest>(
            format!(r#"{{"name":"f","datasetGroupArn":"{DSG}","filterExpression":""}}"#).as_bytes(),
        )
        .unwrap_err();
        assert!(err.message().contains("greater than or equal to 1"));
        assert!(DescribeFilterRequest { filter_arn: "x".into() }.validate().is_err());
        assert!(DeleteFilterRequest { filter_arn: "x".into() }.validate().is_err());
    }
}
