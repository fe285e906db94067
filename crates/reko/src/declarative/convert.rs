//! The setup file's configuration members as the SDK's request types.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_personalize::types as t;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::spec;

fn hash(map: &BTreeMap<String, String>) -> HashMap<String, String> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

pub fn solution_config(c: &spec::SolutionConfig) -> t::SolutionConfig {
    t::SolutionConfig::builder()
        .set_event_value_threshold(c.event_value_threshold.clone())
        .set_algorithm_hyper_parameters(c.algorithm_hyper_parameters.as_ref().map(hash))
        .set_feature_transformation_parameters(c.feature_transformation_parameters.as_ref().map(hash))
        .set_auto_training_config(c.auto_training_config.as_ref().map(auto_training_config))
        .build()
}

pub fn auto_training_config(c: &spec::AutoTrainingConfig) -> t::AutoTrainingConfig {
    t::AutoTrainingConfig::builder().set_scheduling_expression(c.scheduling_expression.clone()).build()
}

pub fn campaign_config(c: &spec::CampaignConfig) -> t::CampaignConfig {
    t::CampaignConfig::builder()
        .set_item_exploration_config(c.item_exploration_config.as_ref().map(hash))
        .set_enable_metadata_with_recommendations(c.enable_metadata_with_recommendations)
        .set_sync_with_latest_solution_version(c.sync_with_latest_solution_version)
        .build()
}

pub fn recommender_config(c: &spec::RecommenderConfig) -> t::RecommenderConfig {
    t::RecommenderConfig::builder()
        .set_item_exploration_config(c.item_exploration_config.as_ref().map(hash))
        .set_min_recommendation_requests_per_second(c.min_recommendation_requests_per_second)
        .set_enable_metadata_with_recommendations(c.enable_metadata_with_recommendations)
        .build()
}

/// The configuration an update sends: the server's, with the members the file names put over
/// it, so an update leaves the members the file does not manage as they are.
pub fn merged<T: Serialize + DeserializeOwned>(server: Option<&T>, file: Option<&T>) -> Option<T> {
    fn over(base: &mut Value, top: Value) {
        match (base, top) {
            (_, Value::Null) => {}
            (Value::Object(base), Value::Object(top)) => {
                for (key, value) in top {
                    over(base.entry(key).or_insert(Value::Null), value);
                }
            }
            (base, top) => *base = top,
        }
    }
    let top = serde_json::to_value(file?).ok()?;
    let mut value = match server {
        Some(server) => serde_json::to_value(server).ok()?,
        None => Value::Null,
    };
    over(&mut value, top);
    serde_json::from_value(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_carry_every_member() {
        let c = spec::SolutionConfig {
            event_value_threshold: Some("0.5".into()),
            algorithm_hyper_parameters: Some([("hidden_dimension".to_string(), "64".to_string())].into()),
            feature_transformation_parameters: None,
            auto_training_config: Some(spec::AutoTrainingConfig { scheduling_expression: Some("rate(7 days)".into()) }),
        };
        let sdk = solution_config(&c);
        assert_eq!(sdk.event_value_threshold(), Some("0.5"));
        assert_eq!(
            sdk.algorithm_hyper_parameters().and_then(|m| m.get("hidden_dimension")).map(String::as_str),
            Some("64")
        );
        assert_eq!(sdk.auto_training_config().and_then(|a| a.scheduling_expression()), Some("rate(7 days)"));
        assert!(sdk.feature_transformation_parameters().is_none());

        let c = spec::CampaignConfig {
            item_exploration_config: Some([("exploration_weight".to_string(), "0.1".to_string())].into()),
            enable_metadata_with_recommendations: Some(true),
            sync_with_latest_solution_version: None,
        };
        let sdk = campaign_config(&c);
        assert_eq!(sdk.enable_metadata_with_recommendations(), Some(true));
        assert_eq!(sdk.item_exploration_config().map(|m| m.len()), Some(1));
        assert_eq!(sdk.sync_with_latest_solution_version(), None);

        let c = spec::RecommenderConfig { min_recommendation_requests_per_second: Some(3), ..Default::default() };
        assert_eq!(recommender_config(&c).min_recommendation_requests_per_second(), Some(3));
    }

    #[test]
    fn an_update_keeps_the_members_the_file_leaves_out() {
        let server = spec::CampaignConfig {
            item_exploration_config: Some(
                [("a".to_string(), "1".to_string()), ("b".to_string(), "2".to_string())].into(),
            ),
            enable_metadata_with_recommendations: Some(true),
            sync_with_latest_solution_version: Some(false),
        };
        let file = spec::CampaignConfig {
            item_exploration_config: Some([("b".to_string(), "3".to_string())].into()),
            sync_with_latest_solution_version: Some(true),
            ..Default::default()
        };
        let m = merged(Some(&server), Some(&file)).unwrap();
        assert_eq!(
            m.item_exploration_config,
            Some([("a".to_string(), "1".to_string()), ("b".to_string(), "3".to_string())].into())
        );
        assert_eq!(
            (m.enable_metadata_with_recommendations, m.sync_with_latest_solution_version),
            (Some(true), Some(true))
        );
        assert_eq!(merged(None, Some(&file)), Some(file.clone()));
        assert_eq!(merged(Some(&server), None), None);
    }
}
