//! Next-Best-Action shapes: PutActions and PutActionInteractions (`personalize-events`) and
//! GetActionRecommendations (`personalize-runtime`) (docs/compatibility.md, "Actions (Next-Best-Action)").
//!
//! As for the other events shapes, validation here covers lengths, counts, `timestamp` in seconds,
//! the action event types and `properties` being a JSON object without reserved keys; what
//! depends on the dataset's schema is checked by the service.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::events::{check_epoch_seconds, parse_properties, records, RESERVED_EVENT_PROPERTY_KEYS};
use crate::runtime::filter_values;
use crate::validate::{join, Validate, Violations};

/// Largest `properties` string of an action.
pub const MAX_ACTION_PROPERTIES: usize = 32_000;
/// Largest `properties` string of an action interaction.
pub const MAX_ACTION_INTERACTION_PROPERTIES: usize = 1024;
/// The event types of action interactions (the Action interactions dataset's EVENT_TYPE values).
pub const ACTION_INTERACTION_EVENT_TYPES: [&str; 3] = ["TAKEN", "NOT_TAKEN", "VIEWED"];
/// Default `numResults` of GetActionRecommendations (its API reference).
pub const DEFAULT_NUM_ACTION_RESULTS: i32 = 5;
/// Largest `numResults` of GetActionRecommendations (its API reference).
pub const MAX_NUM_ACTION_RESULTS: i32 = 100;
/// Most action ids in an action interaction's `impression`.
pub const MAX_ACTION_IMPRESSION: usize = 25;

/// `Action` of PutActions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    pub action_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutActionsRequest {
    pub dataset_arn: String,
    pub actions: Vec<Action>,
}

/// `ActionInteraction` of PutActionInteractions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionInteraction {
    pub action_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    pub session_id: String,
    /// Epoch seconds (the SDKs send a JSON number).
    pub timestamp: f64,
    pub event_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommendation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impression: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutActionInteractionsRequest {
    pub tracking_id: String,
    pub action_interactions: Vec<ActionInteraction>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetActionRecommendationsRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_results: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_values: Option<BTreeMap<String, String>>,
}

/// `PredictedAction`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PredictedAction {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetActionRecommendationsResponse {
    pub action_list: Vec<PredictedAction>,
    pub recommendation_id: String,
}

impl GetActionRecommendationsRequest {
    /// `numResults`, or the default 5 when absent.
    pub fn num_results_or_default(&self) -> usize {
        self.num_results.unwrap_or(DEFAULT_NUM_ACTION_RESULTS).max(0) as usize
    }
}

impl Validate for PutActionsRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("datasetArn", &self.dataset_arn);
        records(&mut v, "actions", self.actions.len());
        for (i, action) in self.actions.iter().enumerate() {
            let p = format!("actions.{}", i + 1);
            v.len_range(&join(&p, "actionId"), &action.action_id, 1, 256);
            if let Some(props) = &action.properties {
                v.len_range(&join(&p, "properties"), props, 1, MAX_ACTION_PROPERTIES);
            }
        }
        v.finish()?;
        for (i, action) in self.actions.iter().enumerate() {
            if let Some(props) = &action.properties {
                parse_properties(&format!("actions.{}.properties", i + 1), props)?;
            }
        }
        Ok(())
    }
}

impl Validate for PutActionInteractionsRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.len_range("trackingId", &self.tracking_id, 1, 256);
        records(&mut v, "actionInteractions", self.action_interactions.len());
        for (i, a) in self.action_interactions.iter().enumerate() {
            let p = format!("actionInteractions.{}", i + 1);
            v.len_range(&join(&p, "actionId"), &a.action_id, 1, 256);
            if let Some(user) = &a.user_id {
                v.len_range(&join(&p, "userId"), user, 1, 256);
            }
            v.len_range(&join(&p, "sessionId"), &a.session_id, 1, 256);
            v.len_range(&join(&p, "eventType"), &a.event_type, 1, 256);
            if let Some(id) = &a.event_id {
                v.len_range(&join(&p, "eventId"), id, 1, 256);
            }
            if let Some(rid) = &a.recommendation_id {
                v.len_range(&join(&p, "recommendationId"), rid, 1, 40);
            }
            if let Some(impression) = &a.impression {
                let ip = join(&p, "impression");
                if impression.is_empty() {
                    v.push_collection(&ip, 0, "Member must have length greater than or equal to 1");
                }
                v.max_count(&ip, impression.len(), MAX_ACTION_IMPRESSION);
                for (j, action) in impression.iter().enumerate() {
                    v.len_range(&format!("{ip}.{}", j + 1), action, 1, 256);
                }
            }
            if let Some(props) = &a.properties {
                v.len_range(&join(&p, "properties"), props, 1, MAX_ACTION_INTERACTION_PROPERTIES);
            }
        }
        v.finish()?;
        for (i, a) in self.action_interactions.iter().enumerate() {
            let p = format!("actionInteractions.{}", i + 1);
            check_epoch_seconds(&join(&p, "timestamp"), a.timestamp)?;
            if !ACTION_INTERACTION_EVENT_TYPES.contains(&a.event_type.as_str()) {
                return Err(ApiError::invalid(format!(
                    "{p}.eventType '{}' is not an action interaction event type; expected one of {}.",
                    a.event_type,
                    ACTION_INTERACTION_EVENT_TYPES.join(", ")
                )));
            }
            if let Some(props) = &a.properties {
                let map = parse_properties(&join(&p, "properties"), props)?;
                if let Some(key) =
                    map.keys().find(|k| RESERVED_EVENT_PROPERTY_KEYS.iter().any(|r| r.eq_ignore_ascii_case(k)))
                {
                    return Err(ApiError::invalid(format!(
                        "{p}.properties may not contain the key \"{key}\": it is set by the interaction's own member."
                    )));
                }
            }
        }
        Ok(())
    }
}

impl Validate for GetActionRecommendationsRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.opt_arn("campaignArn", self.campaign_arn.as_ref());
        v.opt_max_len("userId", self.user_id.as_ref(), 256);
        if let Some(n) = self.num_results {
            v.int_range("numResults", n.into(), Some(0), Some(MAX_NUM_ACTION_RESULTS.into()));
        }
        v.opt_arn("filterArn", self.filter_arn.as_ref());
        filter_values(&mut v, "filterValues", self.filter_values.as_ref());
        v.finish()?;
        if self.campaign_arn.is_none() {
            return Err(ApiError::invalid("campaignArn must be specified"));
        }
        if self.user_id.as_deref().is_none_or(str::is_empty) {
            return Err(ApiError::invalid("userId must be specified: action recommendations are for a user"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::parse_request;

    fn err<T: serde::de::DeserializeOwned + Validate + std::fmt::Debug>(body: &str) -> String {
        parse_request::<T>(body.as_bytes()).unwrap_err().message()
    }

    #[test]
    fn sdk_bodies_parse() {
        let body = r#"{"trackingId":"t","actionInteractions":[{"actionId":"a1","userId":"u1","sessionId":"s",
            "timestamp":1.7E9,"eventType":"TAKEN","eventId":"e1","recommendationId":"r","impression":["a1","a2"],
            "properties":"{\"channel\":\"email\"}"}]}"#;
        let req: PutActionInteractionsRequest = parse_request(body.as_bytes()).unwrap();
        assert_eq!(req.action_interactions[0].timestamp, 1.7e9);
        assert_eq!(req.action_interactions[0].impression.as_ref().unwrap(), &["a1", "a2"]);
        let body = r#"{"datasetArn":"arn:aws:personalize:us-east-1:1:dataset/g/ACTIONS",
            "actions":[{"actionId":"a1","properties":"{\"value\":\"100\"}"}]}"#;
        let req: PutActionsRequest = parse_request(body.as_bytes()).unwrap();
        assert_eq!(req.actions[0].action_id, "a1");
        let req: GetActionRecommendationsRequest =
            parse_request(br#"{"campaignArn":"arn:aws:personalize:us-east-1:1:campaign/c","userId":"u"}"#).unwrap();
        assert_eq!(req.num_results_or_default(), 5);
    }

    #[test]
    fn action_interaction_errors_name_the_member() {
        let one = |fields: &str| {
            format!(
                r#"{{"trackingId":"t","actionInteractions":[{{"actionId":"a","sessionId":"s","timestamp":1,{fields}}}]}}"#
            )
        };
        let m = err::<PutActionInteractionsRequest>(&one(r#""eventType":"CLICK""#));
        assert_eq!(
            m,
            "actionInteractions.1.eventType 'CLICK' is not an action interaction event type; expected one of TAKEN, \
             NOT_TAKEN, VIEWED."
        );
        let m = err::<PutActionInteractionsRequest>(&one(r#""eventType":"taken""#));
        assert!(m.contains("'taken'"), "{m}");
        let m = err::<PutActionInteractionsRequest>(&one(r#""eventType":"TAKEN","properties":"{\"userId\":\"x\"}""#));
        assert!(m.contains("may not contain the key \"userId\""), "{m}");
        let m = err::<PutActionInteractionsRequest>(
            r#"{"trackingId":"t","actionInteractions":[{"actionId":"a","sessionId":"s","timestamp":1700000000123,"eventType":"TAKEN"}]}"#,
        );
        assert_eq!(
            m,
            "actionInteractions.1.timestamp 1700000000123 looks like epoch milliseconds; send epoch seconds \
             (1700000000)."
        );
        let eleven = [r#"{"actionId":"a","sessionId":"s","timestamp":1,"eventType":"TAKEN"}"#; 11].join(",");
        let m =
            err::<PutActionInteractionsRequest>(&format!(r#"{{"trackingId":"t","actionInteractions":[{eleven}]}}"#));
        assert!(m.contains("'actionInteractions' failed to satisfy constraint"), "{m}");
        assert!(m.contains("less than or equal to 10"), "{m}");
    }

    #[test]
    fn put_actions_limits() {
        let arn = "arn:aws:personalize:us-east-1:1:dataset/g/ACTIONS";
        let eleven = [r#"{"actionId":"a"}"#; 11].join(",");
        let m = err::<PutActionsRequest>(&format!(r#"{{"datasetArn":"{arn}","actions":[{eleven}]}}"#));
        assert!(m.contains("'actions' failed to satisfy constraint: Member must have length less than or equal to 10"));
        let m = err::<PutActionsRequest>(&format!(r#"{{"datasetArn":"{arn}","actions":[]}}"#));
        assert!(m.contains("greater than or equal to 1"), "{m}");
        let m = err::<PutActionsRequest>(&format!(
            r#"{{"datasetArn":"{arn}","actions":[{{"actionId":"a","properties":"[1]"}}]}}"#
        ));
        assert!(m.starts_with("Error parsing properties json at actions.1.properties"), "{m}");
    }

    #[test]
    fn get_action_recommendations_limits() {
        let c = "arn:aws:personalize:us-east-1:1:campaign/c";
        let m = err::<GetActionRecommendationsRequest>(&format!(
            r#"{{"campaignArn":"{c}","userId":"u","numResults":101}}"#
        ));
        assert!(m.contains("numResults") && m.contains("less than or equal to 100"), "{m}");
        let m = err::<GetActionRecommendationsRequest>(&format!(r#"{{"campaignArn":"{c}"}}"#));
        assert!(m.starts_with("userId must be specified"), "{m}");
        let m = err::<GetActionRecommendationsRequest>(r#"{"userId":"u"}"#);
        assert_eq!(m, "campaignArn must be specified");
    }

    #[test]
    fn responses_use_exact_keys() {
        let resp = GetActionRecommendationsResponse {
            action_list: vec![PredictedAction { action_id: Some("a".into()), score: Some(0.5) }],
            recommendation_id: "RID".into(),
        };
        assert_eq!(
            serde_json::to_string(&resp).unwrap(),
            r#"{"actionList":[{"actionId":"a","score":0.5}],"recommendationId":"RID"}"#
        );
    }
}
