//! Campaigns: `Campaign`, `CampaignConfig`, `CampaignSummary`, `CampaignUpdateSummary` and the
//! campaign operations (Create/Describe/List/Delete/UpdateCampaign).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::ApiResult;
use crate::tags::Tag;
use crate::validate::{join, Validate, ValidateAt, Violations, RANKING_INFLUENCE_TYPES};

/// The suffix of Personalize's "latest version" alias: `{solutionArn}/$LATEST` stands for a
/// solution's newest ACTIVE version (campaigns with `syncWithLatestSolutionVersion`).
pub const LATEST_VERSION_SUFFIX: &str = "/$LATEST";

/// The solution ARN of a `{solutionArn}/$LATEST` alias, or `None` for any other ARN.
pub fn latest_alias_solution(solution_version_arn: &str) -> Option<&str> {
    solution_version_arn.strip_suffix(LATEST_VERSION_SUFFIX).filter(|s| !s.is_empty())
}

/// `CampaignConfig`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_exploration_config: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_metadata_with_recommendations: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_with_latest_solution_version: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ranking_influence: Option<BTreeMap<String, f64>>,
}

/// `CampaignUpdateSummary`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignUpdateSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_version_arn: Option<String>,
    #[serde(rename = "minProvisionedTPS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_provisioned_tps: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_config: Option<CampaignConfig>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Campaign {
    pub name: String,
    pub campaign_arn: String,
    pub solution_version_arn: String,
    #[serde(rename = "minProvisionedTPS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_provisioned_tps: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_config: Option<CampaignConfig>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_campaign_update: Option<CampaignUpdateSummary>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignSummary {
    pub name: String,
    pub campaign_arn: String,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

impl From<&Campaign> for CampaignSummary {
    fn from(c: &Campaign) -> Self {
        CampaignSummary {
            name: c.name.clone(),
            campaign_arn: c.campaign_arn.clone(),
            status: c.status.clone(),
            creation_date_time: c.creation_date_time,
            last_updated_date_time: c.last_updated_date_time,
            failure_reason: c.failure_reason.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCampaignRequest {
    pub name: String,
    pub solution_version_arn: String,
    #[serde(rename = "minProvisionedTPS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_provisioned_tps: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_config: Option<CampaignConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCampaignResponse {
    pub campaign_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeCampaignRequest {
    pub campaign_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeCampaignResponse {
    pub campaign: Campaign,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListCampaignsRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListCampaignsResponse {
    pub campaigns: Vec<CampaignSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteCampaignRequest {
    pub campaign_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCampaignRequest {
    pub campaign_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_version_arn: Option<String>,
    #[serde(rename = "minProvisionedTPS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_provisioned_tps: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_config: Option<CampaignConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCampaignResponse {
    pub campaign_arn: String,
}

impl ValidateAt for CampaignConfig {
    fn validate_at(&self, v: &mut Violations, path: &str) {
        v.parameter_map(&join(path, "itemExplorationConfig"), self.item_exploration_config.as_ref(), 100);
        if let Some(map) = &self.ranking_influence {
            let rp = join(path, "rankingInfluence");
            for (key, weight) in map {
                v.map_key(
                    &rp,
                    key,
                    RANKING_INFLUENCE_TYPES.contains(&key.as_str()),
                    &format!("Member must satisfy enum value set: [{}]", RANKING_INFLUENCE_TYPES.join(", ")),
                );
                v.float_range(&join(&rp, key), *weight, Some(0.0), Some(1.0));
            }
        }
    }
}

fn min_tps(v: &mut Violations, value: Option<i32>) {
    if let Some(tps) = value {
        v.int_range("minProvisionedTPS", tps.into(), Some(1), None);
    }
}

impl Validate for CreateCampaignRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.name("name", &self.name);
        v.arn("solutionVersionArn", &self.solution_version_arn);
        min_tps(&mut v, self.min_provisioned_tps);
        v.nested("campaignConfig", self.campaign_config.as_ref());
        v.tags("tags", self.tags.as_ref());
        v.finish()
    }
}

impl Validate for UpdateCampaignRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("campaignArn", &self.campaign_arn);
        v.opt_arn("solutionVersionArn", self.solution_version_arn.as_ref());
        min_tps(&mut v, self.min_provisioned_tps);
        v.nested("campaignConfig", self.campaign_config.as_ref());
        v.finish()
    }
}

impl Validate for DescribeCampaignRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("campaignArn", &self.campaign_arn);
        v.finish()
    }
}

impl Validate for DeleteCampaignRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("campaignArn", &self.campaign_arn);
        v.finish()
    }
}

impl Validate for ListCampaignsRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.opt_arn("solutionArn", self.solution_arn.as_ref());
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

    const SV: &str = "arn:aws:personalize:us-east-1:123456789012:solution/s/0b76212f";
    const CAMPAIGN: &str = "arn:aws:personalize:us-east-1:123456789012:campaign/c";

    #[test]
    fn resource_round_trip() {
        let config = json!({"itemExplorationConfig": {"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"},
                            "enableMetadataWithRecommendations": false, "syncWithLatestSolutionVersion": true,
                            "rankingInfluence": {"POPULARITY": 0.5}});
        let body = json!({
            "name": "c", "campaignArn": CAMPAIGN, "solutionVersionArn": SV, "minProvisionedTPS": 1,
            "campaignConfig": config, "status": "ACTIVE", "creationDateTime": 1.0, "lastUpdatedDateTime": 2.0,
            "latestCampaignUpdate": {"solutionVersionArn": SV, "minProvisionedTPS": 2, "campaignConfig": config,
                                     "status": "CREATE IN_PROGRESS", "creationDateTime": 3.0, "lastUpdatedDateTime": 3.0}
        });
        let c: Campaign = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(c.min_provisioned_tps, Some(1));
        let out = serde_json::to_value(&c).unwrap();
        assert_eq!(out, body);
        assert!(out.get("minProvisionedTPS").is_some());
        let s = serde_json::to_value(CampaignSummary::from(&c)).unwrap();
        assert_eq!(
            s,
            json!({"name": "c", "campaignArn": CAMPAIGN, "status": "ACTIVE",
                             "creationDateTime": 1.0, "lastUpdatedDateTime": 2.0})
        );
        let l = serde_json::to_value(ListCampaignsResponse { campaigns: vec![], next_token: None }).unwrap();
        assert_eq!(l, json!({"campaigns": []}));
        assert!(serde_json::to_value(DescribeCampaignResponse { campaign: c }).unwrap()["campaign"].is_object());
    }

    #[test]
    fn validation() {
        let req: CreateCampaignRequest = parse_request(
            format!(r#"{{"name":"c","solutionVersionArn":"{SV}","minProvisionedTPS":1,"campaignConfig":{{"rankingInfluence":{{"FRESHNESS":1}}}}}}"#).as_bytes(),
        )
        .unwrap();
        req.validate().unwrap();
        let bad = CreateCampaignRequest { min_provisioned_tps: Some(0), ..req.clone() };
        assert!(bad.validate().unwrap_err().message().contains(
            "Value '0' at 'minProvisionedTPS' failed to satisfy constraint: Member must have value greater than or equal to 1"
        ));
        let mut ri = BTreeMap::new();
        ri.insert("RECENCY".to_string(), 0.5);
        ri.insert("POPULARITY".to_string(), 2.0);
        let bad = CreateCampaignRequest {
            campaign_config: Some(CampaignConfig { ranking_influence: Some(ri), ..Default::default() }),
            ..req.clone()
        };
        let msg = bad.validate().unwrap_err().message();
        assert!(msg.starts_with("2 validation errors detected"), "{msg}");
        assert!(msg.contains("Value 'RECENCY' at 'campaignConfig.rankingInfluence'"), "{msg}");
        assert!(msg.contains("Value '2' at 'campaignConfig.rankingInfluence.POPULARITY'"), "{msg}");
        let latest = UpdateCampaignRequest {
            campaign_arn: CAMPAIGN.into(),
            solution_version_arn: Some("arn:aws:personalize:us-east-1:123456789012:solution/s/$LATEST".into()),
            ..Default::default()
        };
        latest.validate().unwrap();
        let err = parse_request::<UpdateCampaignRequest>(b"{}").unwrap_err();
        assert!(err.message().contains("missing field `campaignArn`"));
        assert!(DescribeCampaignRequest { campaign_arn: "x".into() }.validate().is_err());
        assert!(DeleteCampaignRequest { campaign_arn: "x".into() }.validate().is_err());
        assert!(ListCampaignsRequest { solution_arn: Some("x".into()), ..Default::default() }.validate().is_err());
    }
}
