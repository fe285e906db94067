//! `Tag` and the tagging operations.

use serde::{Deserialize, Serialize};

use crate::error::ApiResult;
use crate::validate::{Validate, Violations};

/// `Tag`: `tagKey`* (1–128), `tagValue`* (0–256).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tag {
    pub tag_key: String,
    pub tag_value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagResourceRequest {
    pub resource_arn: String,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UntagResourceRequest {
    pub resource_arn: String,
    pub tag_keys: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTagsForResourceRequest {
    pub resource_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTagsForResourceResponse {
    pub tags: Vec<Tag>,
}

impl Validate for TagResourceRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("resourceArn", &self.resource_arn);
        v.tags("tags", Some(&self.tags));
        v.finish()
    }
}

impl Validate for UntagResourceRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("resourceArn", &self.resource_arn);
        v.max_count("tagKeys", self.tag_keys.len(), 200);
        for (i, key) in self.tag_keys.iter().enumerate() {
            v.tag_key(&format!("tagKeys.{}", i + 1), key);
        }
        v.finish()
    }
}

impl Validate for ListTagsForResourceRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("resourceArn", &self.resource_arn);
        v.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::parse_request;

    const ARN: &str = "arn:aws:personalize:us-east-1:123456789012:campaign/c";

    #[test]
    fn tag_round_trip() {
        let body = r#"{"resourceArn":"arn:aws:personalize:us-east-1:123456789012:campaign/c","tags":[{"tagKey":"env","tagValue":"prod"}]}"#;
        let req: TagResourceRequest = parse_request(body.as_bytes()).unwrap();
        assert_eq!(req.tags[0].tag_key, "env");
        let json = serde_json::to_value(&req.tags[0]).unwrap();
        assert_eq!(json, serde_json::json!({"tagKey": "env", "tagValue": "prod"}));
    }

    #[test]
    fn untag_validation() {
        let req = UntagResourceRequest { resource_arn: ARN.into(), tag_keys: vec!["ok".into(), "".into()] };
        let msg = req.validate().unwrap_err().message();
        assert!(msg.contains("Value '' at 'tagKeys.2'"), "{msg}");
        let err = parse_request::<TagResourceRequest>(br#"{"resourceArn":"x"}"#).unwrap_err();
        assert!(err.message().contains("missing field `tags`"), "{}", err.message());
    }

    #[test]
    fn list_tags_needs_an_arn() {
        let req = ListTagsForResourceRequest { resource_arn: "nope".into() };
        assert!(req.validate().unwrap_err().message().contains("Value 'nope' at 'resourceArn'"));
    }
}
