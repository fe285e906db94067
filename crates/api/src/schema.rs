//! Schemas: `DatasetSchema`, `DatasetSchemaSummary` and their operations.

use serde::{Deserialize, Serialize};

use crate::error::ApiResult;
use crate::validate::{Validate, Violations};

/// Longest accepted Avro schema document (AvroSchema, max 20000).
pub const MAX_AVRO_SCHEMA: usize = 20_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetSchema {
    pub name: String,
    pub schema_arn: String,
    pub schema: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetSchemaSummary {
    pub name: String,
    pub schema_arn: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

impl From<&DatasetSchema> for DatasetSchemaSummary {
    fn from(s: &DatasetSchema) -> Self {
        DatasetSchemaSummary {
            name: s.name.clone(),
            schema_arn: s.schema_arn.clone(),
            creation_date_time: s.creation_date_time,
            last_updated_date_time: s.last_updated_date_time,
            domain: s.domain.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSchemaRequest {
    pub name: String,
    pub schema: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSchemaResponse {
    pub schema_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeSchemaRequest {
    pub schema_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeSchemaResponse {
    pub schema: DatasetSchema,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListSchemasRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListSchemasResponse {
    pub schemas: Vec<DatasetSchemaSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteSchemaRequest {
    pub schema_arn: String,
}

impl Validate for CreateSchemaRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.name("name", &self.name);
        v.max_len("schema", &self.schema, MAX_AVRO_SCHEMA);
        v.domain("domain", self.domain.as_ref());
        v.finish()
    }
}

impl Validate for DescribeSchemaRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("schemaArn", &self.schema_arn);
        v.finish()
    }
}

impl Validate for DeleteSchemaRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("schemaArn", &self.schema_arn);
        v.finish()
    }
}

impl Validate for ListSchemasRequest {
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

    #[test]
    fn resource_round_trip() {
        let body = json!({
            "name": "s", "schemaArn": "arn:aws:personalize:us-east-1:123456789012:schema/s",
            "schema": "{\"type\":\"record\"}", "creationDateTime": 1.5, "lastUpdatedDateTime": 2
        });
        let s: DatasetSchema = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            json!({
                "name": "s", "schemaArn": "arn:aws:personalize:us-east-1:123456789012:schema/s",
                "schema": "{\"type\":\"record\"}", "creationDateTime": 1.5, "lastUpdatedDateTime": 2.0
            })
        );
        let summary = serde_json::to_value(DatasetSchemaSummary::from(&s)).unwrap();
        assert!(summary.get("schema").is_none());
        assert_eq!(summary["schemaArn"], s.schema_arn.as_str());
        let r = serde_json::to_value(DescribeSchemaResponse { schema: s }).unwrap();
        assert_eq!(r["schema"]["name"], "s");
        let l = serde_json::to_value(ListSchemasResponse { schemas: vec![], next_token: Some("t".into()) }).unwrap();
        assert_eq!(l, json!({"schemas": [], "nextToken": "t"}));
    }

    #[test]
    fn validation() {
        let err = parse_request::<CreateSchemaRequest>(br#"{"name":"s"}"#).unwrap_err();
        assert!(err.message().contains("missing field `schema`"));
        let req = CreateSchemaRequest { name: "s".into(), schema: "x".repeat(20_001), domain: None };
        let msg = req.validate().unwrap_err().message();
        assert!(msg
            .contains("at 'schema' failed to satisfy constraint: Member must have length less than or equal to 20000"));
        let req = CreateSchemaRequest { name: "s".into(), schema: "{}".into(), domain: Some("ECOMMERCE".into()) };
        req.validate().unwrap();
        assert!(DescribeSchemaRequest { schema_arn: "x".into() }.validate().is_err());
        assert!(DeleteSchemaRequest { schema_arn: "x".into() }.validate().is_err());
        assert!(ListSchemasRequest { next_token: None, max_results: Some(0) }.validate().is_err());
    }
}
