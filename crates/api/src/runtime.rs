//! The `personalize-runtime` shapes: GetRecommendations and GetPersonalizedRanking requests and
//! responses, `PredictedItem`, `Promotion`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::validate::{is_word, join, Validate, Violations, ATTRIBUTE_NAME_PATTERN, FILTER_ATTRIBUTE_NAME_PATTERN};

/// Default `numResults` of GetRecommendations (Personalize's GetRecommendations API reference).
pub const DEFAULT_NUM_RESULTS: i32 = 25;
/// Largest `numResults` of GetRecommendations.
pub const MAX_NUM_RESULTS: i32 = 500;
/// Largest result / input list when `metadataColumns` is requested.
pub const MAX_RESULTS_WITH_METADATA: usize = 50;
/// Largest `inputList` of GetPersonalizedRanking.
pub const MAX_INPUT_LIST: usize = 500;

/// `PredictedItem`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PredictedItem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promotion_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Vec<String>>,
}

/// `Promotion`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Promotion {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent_promoted_items: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_values: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetRecommendationsRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_results: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_values: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommender_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promotions: Option<Vec<Promotion>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata_columns: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetRecommendationsResponse {
    pub item_list: Vec<PredictedItem>,
    pub recommendation_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetPersonalizedRankingRequest {
    pub campaign_arn: String,
    pub input_list: Vec<String>,
    pub user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_values: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata_columns: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetPersonalizedRankingResponse {
    pub personalized_ranking: Vec<PredictedItem>,
    pub recommendation_id: String,
}

impl GetRecommendationsRequest {
    /// `numResults`, or the default 25 when absent.
    pub fn num_results_or_default(&self) -> usize {
        self.num_results.unwrap_or(DEFAULT_NUM_RESULTS).max(0) as usize
    }
}

// ---- validation -------------------------------------------------------------------------------

/// `context`: ≤150 entries, keys `[A-Za-z\d_]+` ≤150, values ≤1000.
fn context(v: &mut Violations, map: Option<&BTreeMap<String, String>>) {
    let Some(map) = map else { return };
    v.max_count("context", map.len(), 150);
    for (key, value) in map {
        v.map_key(
            "context",
            key,
            key.chars().count() <= 150 && is_word(key),
            &format!(
                "Member must have length less than or equal to 150, Member must satisfy regular expression pattern: {ATTRIBUTE_NAME_PATTERN}"
            ),
        );
        v.max_len(&join("context", key), value, 1000);
    }
}

/// A request's `context` checked alone (batch input lines carry one per line).
pub fn validate_context(map: &BTreeMap<String, String>) -> ApiResult<()> {
    let mut v = Violations::new();
    context(&mut v, Some(map));
    v.finish()
}

/// `filterValues`: ≤25 entries, keys `[A-Za-z0-9_]+` ≤50, values ≤1000.
pub(crate) fn filter_values(v: &mut Violations, path: &str, map: Option<&BTreeMap<String, String>>) {
    let Some(map) = map else { return };
    v.max_count(path, map.len(), 25);
    for (key, value) in map {
        v.map_key(
            path,
            key,
            key.chars().count() <= 50 && is_word(key),
            &format!(
                "Member must have length less than or equal to 50, Member must satisfy regular expression pattern: {FILTER_ATTRIBUTE_NAME_PATTERN}"
            ),
        );
        v.max_len(&join(path, key), value, 1000);
    }
}

/// `metadataColumns`: ≤1 key (dataset type ≤256), ≤99 column names each ≤150.
fn metadata_columns(v: &mut Violations, map: Option<&BTreeMap<String, Vec<String>>>) {
    let Some(map) = map else { return };
    v.max_count("metadataColumns", map.len(), 1);
    for (dataset_type, columns) in map {
        v.map_key(
            "metadataColumns",
            dataset_type,
            dataset_type.chars().count() <= 256,
            "Member must have length less than or equal to 256",
        );
        let p = join("metadataColumns", dataset_type);
        v.max_count(&p, columns.len(), 99);
        for (i, column) in columns.iter().enumerate() {
            v.max_len(&format!("{p}.{}", i + 1), column, 150);
        }
    }
}

fn wants_metadata(map: Option<&BTreeMap<String, Vec<String>>>) -> bool {
    map.is_some_and(|m| m.values().any(|cols| !cols.is_empty()))
}

impl Validate for GetRecommendationsRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.opt_arn("campaignArn", self.campaign_arn.as_ref());
        v.opt_max_len("itemId", self.item_id.as_ref(), 256);
        v.opt_max_len("userId", self.user_id.as_ref(), 256);
        if let Some(n) = self.num_results {
            v.int_range("numResults", n.into(), Some(0), Some(MAX_NUM_RESULTS.into()));
        }
        context(&mut v, self.context.as_ref());
        v.opt_arn("filterArn", self.filter_arn.as_ref());
        filter_values(&mut v, "filterValues", self.filter_values.as_ref());
        v.opt_arn("recommenderArn", self.recommender_arn.as_ref());
        if let Some(promotions) = &self.promotions {
            v.max_count("promotions", promotions.len(), 1);
            for (i, p) in promotions.iter().enumerate() {
                let pp = format!("promotions.{}", i + 1);
                v.opt_name(&join(&pp, "name"), p.name.as_ref());
                if let Some(pct) = p.percent_promoted_items {
                    v.int_range(&join(&pp, "percentPromotedItems"), pct.into(), Some(1), Some(100));
                }
                v.opt_arn(&join(&pp, "filterArn"), p.filter_arn.as_ref());
                filter_values(&mut v, &join(&pp, "filterValues"), p.filter_values.as_ref());
            }
        }
        metadata_columns(&mut v, self.metadata_columns.as_ref());
        if wants_metadata(self.metadata_columns.as_ref()) {
            if let Some(n) = self.num_results {
                if n as i64 > MAX_RESULTS_WITH_METADATA as i64 && n <= MAX_NUM_RESULTS {
                    v.push(
                        "numResults",
                        &n.to_string(),
                        "Member must have value less than or equal to 50 when metadataColumns is specified",
                    );
                }
            }
        }
        v.finish()?;
        match (&self.campaign_arn, &self.recommender_arn) {
            (Some(_), Some(_)) | (None, None) => {
                Err(ApiError::invalid("Exactly one of campaignArn or recommenderArn must be specified"))
            }
            _ => Ok(()),
        }
    }
}

impl Validate for GetPersonalizedRankingRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("campaignArn", &self.campaign_arn);
        let limit =
            if wants_metadata(self.metadata_columns.as_ref()) { MAX_RESULTS_WITH_METADATA } else { MAX_INPUT_LIST };
        v.max_count("inputList", self.input_list.len(), limit);
        for (i, item) in self.input_list.iter().enumerate() {
            v.max_len(&format!("inputList.{}", i + 1), item, 256);
        }
        v.max_len("userId", &self.user_id, 256);
        context(&mut v, self.context.as_ref());
        v.opt_arn("filterArn", self.filter_arn.as_ref());
        filter_values(&mut v, "filterValues", self.filter_values.as_ref());
        metadata_columns(&mut v, self.metadata_columns.as_ref());
        v.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::parse_request;
    use serde_json::json;

    const CAMPAIGN: &str = "arn:aws:personalize:us-east-1:123456789012:campaign/c";
    const FILTER: &str = "arn:aws:personalize:us-east-1:123456789012:filter/f";

    #[test]
    fn captured_boto3_body_parses() {
        let body = br#"{"campaignArn": "arn:aws:personalize:us-east-1:123456789012:campaign/c", "userId": "u1", "numResults": 10,
 "context": {"DEVICE": "mobile"}, "filterValues": {"GENRE": "\"Comedy\",\"Drama\""}}"#;
        let req: GetRecommendationsRequest = parse_request(body).unwrap();
        assert_eq!(req.num_results_or_default(), 10);
        assert_eq!(req.context.unwrap()["DEVICE"], "mobile");
        assert_eq!(req.filter_values.unwrap()["GENRE"], "\"Comedy\",\"Drama\"");
    }

    #[test]
    fn responses_use_exact_keys() {
        let resp = GetRecommendationsResponse {
            item_list: vec![
                PredictedItem { item_id: Some("i1".into()), score: Some(0.5), ..Default::default() },
                PredictedItem {
                    item_id: Some("i2".into()),
                    promotion_name: Some("p".into()),
                    metadata: Some([("GENRE".to_string(), "Drama".to_string())].into()),
                    reason: Some(vec!["Promoted item".into()]),
                    ..Default::default()
                },
            ],
            recommendation_id: "RID-x".into(),
        };
        let v = serde_json::to_value(&resp).unwrap();
        assert_eq!(
            v,
            json!({"itemList": [
            {"itemId": "i1", "score": 0.5},
            {"itemId": "i2", "promotionName": "p", "metadata": {"GENRE": "Drama"}, "reason": ["Promoted item"]}
        ], "recommendationId": "RID-x"})
        );
        let back: GetRecommendationsResponse = serde_json::from_value(v).unwrap();
        assert_eq!(back, resp);
        let r = GetPersonalizedRankingResponse { personalized_ranking: vec![], recommendation_id: "RID-y".into() };
        assert_eq!(serde_json::to_value(&r).unwrap(), json!({"personalizedRanking": [], "recommendationId": "RID-y"}));
    }

    fn base() -> GetRecommendationsRequest {
        GetRecommendationsRequest {
            campaign_arn: Some(CAMPAIGN.into()),
            user_id: Some("u".into()),
            ..Default::default()
        }
    }

    fn err(req: &GetRecommendationsRequest) -> String {
        req.validate().unwrap_err().message()
    }

    #[test]
    fn recommendations_validation() {
        base().validate().unwrap();
        assert_eq!(base().num_results_or_default(), 25);
        let msg = err(&GetRecommendationsRequest { num_results: Some(100_000), ..base() });
        assert!(msg.contains("Value '100000' at 'numResults' failed to satisfy constraint: Member must have value less than or equal to 500"), "{msg}");
        assert!(
            err(&GetRecommendationsRequest { num_results: Some(-1), ..base() }).contains("greater than or equal to 0")
        );
        let msg = err(&GetRecommendationsRequest { user_id: Some("u".repeat(257)), ..base() });
        assert!(
            msg.contains("at 'userId' failed to satisfy constraint: Member must have length less than or equal to 256"),
            "{msg}"
        );
        assert!(err(&GetRecommendationsRequest { campaign_arn: Some("notanarn".into()), ..base() })
            .contains("Value 'notanarn' at 'campaignArn'"));
        // Exactly one of campaignArn / recommenderArn.
        assert!(err(&GetRecommendationsRequest { campaign_arn: None, ..base() }).contains("Exactly one"));
        let both = GetRecommendationsRequest {
            recommender_arn: Some("arn:aws:personalize:us-east-1:123456789012:recommender/r".into()),
            ..base()
        };
        assert!(err(&both).contains("Exactly one"));
    }

    #[test]
    fn maps_and_promotions() {
        let ctx: BTreeMap<String, String> = (0..151).map(|i| (format!("K{i}"), "v".to_string())).collect();
        assert!(err(&GetRecommendationsRequest { context: Some(ctx), ..base() })
            .contains("Value with 151 elements at 'context'"));
        let ctx: BTreeMap<String, String> = [("bad-key".to_string(), "v".to_string())].into();
        let msg = err(&GetRecommendationsRequest { context: Some(ctx), ..base() });
        assert!(
            msg.contains("Value 'bad-key' at 'context' failed to satisfy constraint: Map keys must satisfy constraint"),
            "{msg}"
        );
        let ctx: BTreeMap<String, String> = [("DEVICE".to_string(), "x".repeat(1001))].into();
        assert!(err(&GetRecommendationsRequest { context: Some(ctx), ..base() }).contains("at 'context.DEVICE'"));

        let fv: BTreeMap<String, String> = (0..26).map(|i| (format!("K{i}"), "v".to_string())).collect();
        assert!(err(&GetRecommendationsRequest { filter_values: Some(fv), ..base() })
            .contains("Value with 26 elements at 'filterValues'"));
        let fv: BTreeMap<String, String> = [("K".repeat(51), "v".to_string())].into();
        assert!(
            err(&GetRecommendationsRequest { filter_values: Some(fv), ..base() }).contains("at 'filterValues' failed")
        );

        let promo = Promotion {
            name: Some("p".into()),
            percent_promoted_items: Some(10),
            filter_arn: Some(FILTER.into()),
            filter_values: None,
        };
        GetRecommendationsRequest { promotions: Some(vec![promo.clone()]), ..base() }.validate().unwrap();
        let msg = err(&GetRecommendationsRequest { promotions: Some(vec![promo.clone(), promo.clone()]), ..base() });
        assert!(msg.contains("Value with 2 elements at 'promotions'"), "{msg}");
        let bad = Promotion { percent_promoted_items: Some(101), ..promo };
        let msg = err(&GetRecommendationsRequest { promotions: Some(vec![bad]), ..base() });
        assert!(msg.contains("Value '101' at 'promotions.1.percentPromotedItems'"), "{msg}");

        let meta: BTreeMap<String, Vec<String>> = [("ITEMS".to_string(), vec!["GENRE".to_string()])].into();
        GetRecommendationsRequest { metadata_columns: Some(meta.clone()), num_results: Some(50), ..base() }
            .validate()
            .unwrap();
        let msg =
            err(&GetRecommendationsRequest { metadata_columns: Some(meta.clone()), num_results: Some(51), ..base() });
        assert!(msg.contains("Value '51' at 'numResults'"), "{msg}");
        let two: BTreeMap<String, Vec<String>> = [("ITEMS".to_string(), vec![]), ("USERS".to_string(), vec![])].into();
        assert!(
            err(&GetRecommendationsRequest { metadata_columns: Some(two), ..base() }).contains("at 'metadataColumns'")
        );
    }

    #[test]
    fn ranking_validation() {
        let req: GetPersonalizedRankingRequest =
            parse_request(format!(r#"{{"campaignArn":"{CAMPAIGN}","userId":"u","inputList":["a","b"]}}"#).as_bytes())
                .unwrap();
        assert_eq!(req.input_list.len(), 2);
        let err = parse_request::<GetPersonalizedRankingRequest>(
            format!(r#"{{"campaignArn":"{CAMPAIGN}","userId":"u"}}"#).as_bytes(),
        )
        .unwrap_err();
        assert!(err.message().contains("missing field `inputList`"), "{}", err.message());
        let long = GetPersonalizedRankingRequest { input_list: vec!["i".into(); 501], ..req.clone() };
        assert!(long.validate().unwrap_err().message().contains("Value with 501 elements at 'inputList'"));
        let meta: BTreeMap<String, Vec<String>> = [("ITEMS".to_string(), vec!["GENRE".to_string()])].into();
        let with_meta = GetPersonalizedRankingRequest {
            input_list: vec!["i".into(); 51],
            metadata_columns: Some(meta),
            ..req.clone()
        };
        assert!(with_meta
            .validate()
            .unwrap_err()
            .message()
            .contains("Member must have length less than or equal to 50"));
        let bad_item = GetPersonalizedRankingRequest { input_list: vec!["a".into(), "x".repeat(300)], ..req };
        assert!(bad_item.validate().unwrap_err().message().contains("at 'inputList.2'"));
    }
}
