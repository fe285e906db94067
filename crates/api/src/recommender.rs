//! Recommenders (domain dataset groups): `Recommender`, `RecommenderConfig`, `RecommenderSummary`,
//! `RecommenderUpdateSummary` and the recommender operations (Create/Describe/List/Update/Delete/
//! Start/StopRecommender).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::ApiResult;
use crate::solution_config::TrainingDataConfig;
use crate::tags::Tag;
use crate::validate::{join, Validate, ValidateAt, Violations};

/// `RecommenderConfig`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecommenderConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_exploration_config: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_recommendation_requests_per_second: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_data_config: Option<TrainingDataConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_metadata_with_recommendations: Option<bool>,
}

/// `RecommenderUpdateSummary`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecommenderUpdateSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommender_config: Option<RecommenderConfig>,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

/// `Recommender`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommender {
    pub recommender_arn: String,
    pub dataset_group_arn: String,
    pub name: String,
    pub recipe_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommender_config: Option<RecommenderConfig>,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_recommender_update: Option<RecommenderUpdateSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_metrics: Option<BTreeMap<String, f64>>,
}

/// `RecommenderSummary`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecommenderSummary {
    pub name: String,
    pub recommender_arn: String,
    pub dataset_group_arn: String,
    pub recipe_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommender_config: Option<RecommenderConfig>,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
}

impl From<&Recommender> for RecommenderSummary {
    fn from(r: &Recommender) -> Self {
        RecommenderSummary {
            name: r.name.clone(),
            recommender_arn: r.recommender_arn.clone(),
            dataset_group_arn: r.dataset_group_arn.clone(),
            recipe_arn: r.recipe_arn.clone(),
            recommender_config: r.recommender_config.clone(),
            status: r.status.clone(),
            creation_date_time: r.creation_date_time,
            last_updated_date_time: r.last_updated_date_time,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRecommenderRequest {
    pub name: String,
    pub dataset_group_arn: String,
    pub recipe_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommender_config: Option<RecommenderConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRecommenderResponse {
    pub recommender_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeRecommenderRequest {
    pub recommender_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeRecommenderResponse {
    pub recommender: Recommender,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRecommendersRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_group_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRecommendersResponse {
    pub recommenders: Vec<RecommenderSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRecommenderRequest {
    pub recommender_arn: String,
    pub recommender_config: RecommenderConfig,
}

/// The output of Update, Start and StopRecommender.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecommenderArnResponse {
    pub recommender_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteRecommenderRequest {
    pub recommender_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartRecommenderRequest {
    pub recommender_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopRecommenderRequest {
    pub recommender_arn: String,
}

impl ValidateAt for RecommenderConfig {
    fn validate_at(&self, v: &mut Violations, path: &str) {
        v.parameter_map(&join(path, "itemExplorationConfig"), self.item_exploration_config.as_ref(), 100);
        if let Some(rps) = self.min_recommendation_requests_per_second {
            v.int_range(&join(path, "minRecommendationRequestsPerSecond"), rps.into(), Some(1), None);
        }
        v.nested(&join(path, "trainingDataConfig"), self.training_data_config.as_ref());
    }
}

impl Validate for CreateRecommenderRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.name("name", &self.name);
        v.arn("datasetGroupArn", &self.dataset_group_arn);
        v.arn("recipeArn", &self.recipe_arn);
        v.nested("recommenderConfig", self.recommender_config.as_ref());
        v.tags("tags", self.tags.as_ref());
        v.finish()
    }
}

impl Validate for UpdateRecommenderRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("recommenderArn", &self.recommender_arn);
        v.nested("recommenderConfig", Some(&self.recommender_config));
        v.finish()
    }
}

impl Validate for ListRecommendersRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.opt_arn("datasetGroupArn", self.dataset_group_arn.as_ref());
        v.next_token(self.next_token.as_ref());
        v.max_results(self.max_results);
        v.finish()
    }
}

macro_rules! by_recommender_arn {
    ($($ty:ty),*) => {
        $(impl Validate for $ty {
            fn validate(&self) -> ApiResult<()> {
                let mut v = Violations::new();
                v.arn("recommenderArn", &self.recommender_arn);
                v.finish()
            }
        })*
    };
}

by_recommender_arn!(
    DescribeRecommenderRequest,
    DeleteRecommenderRequest,
    StartRecommenderRequest,
    StopRecommenderRequest
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::parse_request;
    use serde_json::json;

    const DSG: &str = "arn:aws:personalize:us-east-1:123456789012:dataset-group/g";
    const REC: &str = "arn:aws:personalize:us-east-1:123456789012:recommender/r";
    const RECIPE: &str = "arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-views";

    #[test]
    fn resource_round_trip() {
        let config = json!({"itemExplorationConfig": {"explorationWeight": "0.3"},
                            "minRecommendationRequestsPerSecond": 2,
                            "trainingDataConfig": {"excludedDatasetColumns": {"ITEMS": ["PRICE"]}},
                            "enableMetadataWithRecommendations": true});
        let body = json!({
            "recommenderArn": REC, "datasetGroupArn": DSG, "name": "r", "recipeArn": RECIPE,
            "recommenderConfig": config, "creationDateTime": 1.0, "lastUpdatedDateTime": 2.0,
            "status": "ACTIVE", "modelMetrics": {"coverage": 0.5},
            "latestRecommenderUpdate": {"recommenderConfig": config, "creationDateTime": 3.0,
                                        "lastUpdatedDateTime": 3.0, "status": "CREATE PENDING"}
        });
        let r: Recommender = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(serde_json::to_value(&r).unwrap(), body);
        let s = serde_json::to_value(RecommenderSummary::from(&r)).unwrap();
        assert_eq!(
            s,
            json!({"name": "r", "recommenderArn": REC, "datasetGroupArn": DSG, "recipeArn": RECIPE,
                   "recommenderConfig": config, "status": "ACTIVE", "creationDateTime": 1.0,
                   "lastUpdatedDateTime": 2.0})
        );
    }

    #[test]
    fn validation() {
        let req: CreateRecommenderRequest = parse_request(
            format!(r#"{{"name":"r","datasetGroupArn":"{DSG}","recipeArn":"{RECIPE}","recommenderConfig":{{"minRecommendationRequestsPerSecond":1}}}}"#).as_bytes(),
        )
        .unwrap();
        req.validate().unwrap();
        let bad = CreateRecommenderRequest {
            recommender_config: Some(RecommenderConfig {
                min_recommendation_requests_per_second: Some(0),
                ..Default::default()
            }),
            ..req
        };
        assert!(bad.validate().unwrap_err().message().contains(
            "Value '0' at 'recommenderConfig.minRecommendationRequestsPerSecond' failed to satisfy constraint: \
             Member must have value greater than or equal to 1"
        ));
        let err = parse_request::<UpdateRecommenderRequest>(format!(r#"{{"recommenderArn":"{REC}"}}"#).as_bytes())
            .unwrap_err();
        assert!(err.message().contains("missing field `recommenderConfig`"), "{}", err.message());
        assert!(StopRecommenderRequest { recommender_arn: "x".into() }.validate().is_err());
        assert!(ListRecommendersRequest { dataset_group_arn: Some("x".into()), ..Default::default() }
            .validate()
            .is_err());
    }
}
