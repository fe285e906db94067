//! `Tag` and the tagging operations.

use serde::{Deserialize, Serialize};

use crate::error::ApiResult;
use crate::validate::{is_valid_tag_text, join, Validate, Violations, TAG_PATTERN};

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

// Here rather than in `validate`, which then needs nothing of this module.
impl Violations {
    /// `tags`: at most 200 tags, each key 1–128 and value 0–256 chars of the tag pattern.
    pub fn tags(&mut self, path: &str, tags: Option<&Vec<Tag>>) {
        let Some(tags) = tags else { return };
        self.max_count(path, tags.len(), 200);
        for (i, tag) in tags.iter().enumerate() {
            let p = format!("{path}.{}", i + 1);
            self.tag_key(&join(&p, "tagKey"), &tag.tag_key);
            let vp = join(&p, "tagValue");
            self.max_len(&vp, &tag.tag_value, 256);
            self.pattern(&vp, &tag.tag_value, is_valid_tag_text(&tag.tag_value), TAG_PATTERN);
        }
    }
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
