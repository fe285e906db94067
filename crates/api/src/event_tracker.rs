//! Event trackers: `EventTracker`, `EventTrackerSummary` and their operations.

use serde::{Deserialize, Serialize};

use crate::error::ApiResult;
use crate::tags::Tag;
use crate::validate::{Validate, Violations};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTracker {
    pub name: String,
    pub event_tracker_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    pub tracking_id: String,
    pub dataset_group_arn: String,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTrackerSummary {
    pub name: String,
    pub event_tracker_arn: String,
    pub status: String,
    pub creation_date_time: f64,
    pub last_updated_date_time: f64,
}

impl From<&EventTracker> for EventTrackerSummary {
    fn from(t: &EventTracker) -> Self {
        EventTrackerSummary {
            name: t.name.clone(),
            event_tracker_arn: t.event_tracker_arn.clone(),
            status: t.status.clone(),
            creation_date_time: t.creation_date_time,
            last_updated_date_time: t.last_updated_date_time,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateEventTrackerRequest {
    pub name: String,
    pub dataset_group_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateEventTrackerResponse {
    pub event_tracker_arn: String,
    pub tracking_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeEventTrackerRequest {
    pub event_tracker_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeEventTrackerResponse {
    pub event_tracker: EventTracker,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListEventTrackersRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_group_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListEventTrackersResponse {
    pub event_trackers: Vec<EventTrackerSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteEventTrackerRequest {
    pub event_tracker_arn: String,
}

impl Validate for CreateEventTrackerRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.name("name", &self.name);
        v.arn("datasetGroupArn", &self.dataset_group_arn);
        v.tags("tags", self.tags.as_ref());
        v.finish()
    }
}

impl Validate for DescribeEventTrackerRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("eventTrackerArn", &self.event_tracker_arn);
        v.finish()
    }
}

impl Validate for DeleteEventTrackerRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("eventTrackerArn", &self.event_tracker_arn);
        v.finish()
    }
}

impl Validate for ListEventTrackersRequest {
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
    fn resource_round_trip() {
        let body = json!({
            "name": "t", "eventTrackerArn": "arn:aws:personalize:us-east-1:123456789012:event-tracker/t",
            "accountId": "123456789012", "trackingId": "2a5b0e6c-0000-4000-8000-000000000000",
            "datasetGroupArn": DSG, "status": "ACTIVE", "creationDateTime": 1.0, "lastUpdatedDateTime": 1.0
        });
        let t: EventTracker = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(serde_json::to_value(&t).unwrap(), body);
        let s = serde_json::to_value(EventTrackerSummary::from(&t)).unwrap();
        assert!(s.get("trackingId").is_none());
        assert_eq!(s["eventTrackerArn"], t.event_tracker_arn.as_str());
        let r =
            serde_json::to_value(CreateEventTrackerResponse { event_tracker_arn: "a".into(), tracking_id: "b".into() })
                .unwrap();
        assert_eq!(r, json!({"eventTrackerArn": "a", "trackingId": "b"}));
        let l = serde_json::to_value(ListEventTrackersResponse { event_trackers: vec![], next_token: None }).unwrap();
        assert_eq!(l, json!({"eventTrackers": []}));
        assert!(serde_json::to_value(DescribeEventTrackerResponse { event_tracker: t }).unwrap()["eventTracker"]
            .is_object());
    }

    #[test]
    fn validation() {
        let req: CreateEventTrackerRequest =
            parse_request(format!(r#"{{"name":"t","datasetGroupArn":"{DSG}"}}"#).as_bytes()).unwrap();
        req.validate().unwrap();
        let err = parse_request::<CreateEventTrackerRequest>(br#"{"name":"t"}"#).unwrap_err();
        assert!(err.message().contains("missing field `datasetGroupArn`"));
        let err = CreateEventTrackerRequest { name: "_t".into(), ..req }.validate().unwrap_err();
        assert!(err.message().contains("Value '_t' at 'name'"));
        assert!(DescribeEventTrackerRequest { event_tracker_arn: "x".into() }.validate().is_err());
        assert!(DeleteEventTrackerRequest { event_tracker_arn: "x".into() }.validate().is_err());
        assert!(ListEventTrackersRequest { dataset_group_arn: Some("x".into()), ..Default::default() }
            .validate()
            .is_err());
    }
}
