//! The `personalize-events` shapes: PutEvents, PutItems and PutUsers (docs/compatibility.md,
//! "Events (PutEvents, PutItems, PutUsers)").
//!
//! Validation here covers the shapes (lengths, counts, patterns, `sentAt` in seconds, `properties`
//! being a JSON object with allowed keys); what depends on the dataset's schema (which property
//! keys exist and their types) is checked by the service.

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::validate::{join, Validate, Violations};

/// Most events per PutEvents call; most items/users per PutItems/PutUsers call.
pub const MAX_RECORDS_PER_CALL: usize = 10;
/// Largest `properties` string of an event.
pub const MAX_EVENT_PROPERTIES: usize = 1024;
/// Largest `properties` string of an item.
pub const MAX_ITEM_PROPERTIES: usize = 32_000;
/// Largest `properties` string of a user.
pub const MAX_USER_PROPERTIES: usize = 24_000;
/// `sentAt` values above this are taken for milliseconds (it is year 5138 in seconds).
pub const MAX_SENT_AT_SECONDS: f64 = 1e11;
/// Keys that may not appear in event properties (case-insensitive; docs/compatibility.md,
/// "Events (PutEvents, PutItems, PutUsers)").
pub const RESERVED_EVENT_PROPERTY_KEYS: [&str; 6] =
    ["userId", "sessionId", "eventType", "timestamp", "recommendationId", "impression"];

/// The events service's `MetricAttribution` shape (named apart from the control plane's resource).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventMetricAttribution {
    pub event_attribution_source: String,
}

/// `Event` of PutEvents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    pub event_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<String>,
    /// Epoch seconds (the SDKs send a JSON number).
    pub sent_at: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommendation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impression: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_attribution: Option<EventMetricAttribution>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutEventsRequest {
    pub tracking_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    pub session_id: String,
    pub event_list: Vec<Event>,
}

/// `Item` of PutItems.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub item_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutItemsRequest {
    pub dataset_arn: String,
    pub items: Vec<Item>,
}

/// `User` of PutUsers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutUsersRequest {
    pub dataset_arn: String,
    pub users: Vec<User>,
}

/// A `properties` string parsed into its members. Values are kept as JSON values; the service
/// converts them to the schema's field types.
pub type Properties = serde_json::Map<String, serde_json::Value>;

/// Parses a `properties` string (a JSON object; docs/compatibility.md, "Events (PutEvents, PutItems,
/// PutUsers)"). `path` names the member in errors.
pub fn parse_properties(path: &str, text: &str) -> ApiResult<Properties> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(other) => Err(ApiError::invalid(format!(
            "Error parsing properties json at {path}: expected a JSON object, found {}",
            json_kind(&other)
        ))),
        Err(e) => Err(ApiError::invalid(format!("Error parsing properties json at {path}: {e}"))),
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The schema field a camelCase property key names (`numberOfRatings` ↔ `NUMBER_OF_RATINGS`).
/// Matching ignores case and underscores, so `NUMBER_OF_RATINGS` and `number_of_ratings` work too.
pub fn property_key_matches(key: &str, field: &str) -> bool {
    let a = key.bytes().filter(|&b| b != b'_').map(|b| b.to_ascii_lowercase());
    let b = field.bytes().filter(|&b| b != b'_').map(|b| b.to_ascii_lowercase());
    a.eq(b)
}

pub(crate) fn records(v: &mut Violations, path: &str, count: usize) {
    if count == 0 {
        v.push_collection(path, 0, "Member must have length greater than or equal to 1");
    }
    v.max_count(path, count, MAX_RECORDS_PER_CALL);
}

impl Validate for PutEventsRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.len_range("trackingId", &self.tracking_id, 1, 256);
        if let Some(user) = &self.user_id {
            v.len_range("userId", user, 1, 256);
        }
        v.len_range("sessionId", &self.session_id, 1, 256);
        records(&mut v, "eventList", self.event_list.len());
        for (i, e) in self.event_list.iter().enumerate() {
            let p = format!("eventList.{}", i + 1);
            if let Some(id) = &e.event_id {
                v.len_range(&join(&p, "eventId"), id, 1, 256);
            }
            v.len_range(&join(&p, "eventType"), &e.event_type, 1, 256);
            if let Some(item) = &e.item_id {
                v.len_range(&join(&p, "itemId"), item, 1, 256);
            }
            if let Some(props) = &e.properties {
                v.len_range(&join(&p, "properties"), props, 1, MAX_EVENT_PROPERTIES);
            }
            if let Some(rid) = &e.recommendation_id {
                v.len_range(&join(&p, "recommendationId"), rid, 1, 40);
            }
            if let Some(impression) = &e.impression {
                let ip = join(&p, "impression");
                if impression.is_empty() {
                    v.push_collection(&ip, 0, "Member must have length greater than or equal to 1");
                }
                v.max_count(&ip, impression.len(), 25);
                for (j, item) in impression.iter().enumerate() {
                    v.len_range(&format!("{ip}.{}", j + 1), item, 1, 256);
                }
            }
            if let Some(m) = &e.metric_attribution {
                let source = &m.event_attribution_source;
                v.len_range(&join(&p, "metricAttribution.eventAttributionSource"), source, 1, 1024);
                v.pattern(
                    &join(&p, "metricAttribution.eventAttributionSource"),
                    source,
                    source.bytes().all(|b| (0x20..0x7f).contains(&b)),
                    "^[\\x20-\\x7E]*[\\x21-\\x7E]+[\\x20-\\x7E]*$",
                );
            }
            if let Some(value) = e.event_value {
                if !value.is_finite() {
                    v.push(&join(&p, "eventValue"), &value.to_string(), "Member must be a finite number");
                }
            }
        }
        v.finish()?;
        for (i, e) in self.event_list.iter().enumerate() {
            let p = format!("eventList.{}", i + 1);
            check_sent_at(&p, e.sent_at)?;
            if let Some(props) = &e.properties {
                let map = parse_properties(&join(&p, "properties"), props)?;
                if let Some(key) =
                    map.keys().find(|k| RESERVED_EVENT_PROPERTY_KEYS.iter().any(|r| r.eq_ignore_ascii_case(k)))
                {
                    return Err(ApiError::invalid(format!(
                        "{p}.properties may not contain the key \"{key}\": it is set by the event's own member."
                    )));
                }
            }
        }
        Ok(())
    }
}

/// `sentAt` is epoch seconds. A value in milliseconds (as JavaScript's `Date.now()` gives) is a
/// common mistake that would silently store events 50,000 years ahead, so it is rejected with
/// the seconds value it probably meant.
pub(crate) fn check_sent_at(path: &str, sent_at: f64) -> ApiResult<()> {
    check_epoch_seconds(&join(path, "sentAt"), sent_at)
}

/// A `Date` member (`member` is its full path) in epoch seconds; milliseconds are refused as
/// for `sentAt`.
pub(crate) fn check_epoch_seconds(member: &str, seconds: f64) -> ApiResult<()> {
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(ApiError::invalid(format!("{member} must be a time in epoch seconds; got {seconds}.")));
    }
    if seconds > MAX_SENT_AT_SECONDS {
        return Err(ApiError::invalid(format!(
            "{member} {seconds} looks like epoch milliseconds; send epoch seconds ({}).",
            (seconds / 1000.0).floor()
        )));
    }
    Ok(())
}

impl Validate for PutItemsRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("datasetArn", &self.dataset_arn);
        records(&mut v, "items", self.items.len());
        for (i, item) in self.items.iter().enumerate() {
            let p = format!("items.{}", i + 1);
            v.len_range(&join(&p, "itemId"), &item.item_id, 1, 256);
            if let Some(props) = &item.properties {
                v.len_range(&join(&p, "properties"), props, 1, MAX_ITEM_PROPERTIES);
            }
        }
        v.finish()?;
        for (i, item) in self.items.iter().enumerate() {
            if let Some(props) = &item.properties {
                parse_properties(&format!("items.{}.properties", i + 1), props)?;
            }
        }
        Ok(())
    }
}

impl Validate for PutUsersRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut v = Violations::new();
        v.arn("datasetArn", &self.dataset_arn);
        records(&mut v, "users", self.users.len());
        for (i, user) in self.users.iter().enumerate() {
            let p = format!("users.{}", i + 1);
            v.len_range(&join(&p, "userId"), &user.user_id, 1, 256);
            if let Some(props) = &user.properties {
                v.len_range(&join(&p, "properties"), props, 1, MAX_USER_PROPERTIES);
            }
        }
        v.finish()?;
        for (i, user) in self.users.iter().enumerate() {
            if let Some(props) = &user.properties {
                parse_properties(&format!("users.{}.properties", i + 1), props)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::parse_request;

    fn err(body: &str) -> String {
        parse_request::<PutEventsRequest>(body.as_bytes()).unwrap_err().message()
    }

    #[test]
    fn sdk_body_parses() {
        let body = r#"{"trackingId":"t","userId":"u1","sessionId":"s1","eventList":[{"eventType":"click",
            "itemId":"i1","sentAt":1.7E9,"eventValue":3.5,"properties":"{\"device\":\"mobile\"}",
            "impression":["i1","i2"],"recommendationId":"RID-1","metricAttribution":{"eventAttributionSource":"email"}}]}"#;
        let req: PutEventsRequest = parse_request(body.as_bytes()).unwrap();
        assert_eq!(req.event_list[0].sent_at, 1.7e9);
        assert_eq!(req.event_list[0].impression.as_ref().unwrap().len(), 2);
    }

    #[test]
    fn properties_errors_name_the_event_and_the_parse_error() {
        let m = err(r#"{"trackingId":"t","sessionId":"s","eventList":[{"eventType":"a","sentAt":1},
            {"eventType":"b","sentAt":1,"properties":"{\"device\": mobile}"}]}"#);
        assert!(m.starts_with("Error parsing properties json at eventList.2.properties: expected value"), "{m}");
        let m =
            err(r#"{"trackingId":"t","sessionId":"s","eventList":[{"eventType":"a","sentAt":1,"properties":"[1]"}]}"#);
        assert!(m.contains("expected a JSON object, found an array"), "{m}");
        let m = err(
            r#"{"trackingId":"t","sessionId":"s","eventList":[{"eventType":"a","sentAt":1,"properties":"{\"UserId\":\"x\"}"}]}"#,
        );
        assert!(m.contains("may not contain the key \"UserId\""), "{m}");
    }

    #[test]
    fn sent_at_in_milliseconds_is_rejected_with_the_seconds_value() {
        let m = err(r#"{"trackingId":"t","sessionId":"s","eventList":[{"eventType":"a","sentAt":1700000000123}]}"#);
        assert_eq!(
            m,
            "eventList.1.sentAt 1700000000123 looks like epoch milliseconds; send epoch seconds (1700000000)."
        );
        let m = err(r#"{"trackingId":"t","sessionId":"s","eventList":[{"eventType":"a","sentAt":-1}]}"#);
        assert!(m.contains("epoch seconds"), "{m}");
    }

    #[test]
    fn counts_and_lengths() {
        let m = err(r#"{"trackingId":"t","sessionId":"s","eventList":[]}"#);
        assert!(
            m.contains("'eventList' failed to satisfy constraint: Member must have length greater than or equal to 1"),
            "{m}"
        );
        let eleven = [r#"{"eventType":"a","sentAt":1}"#; 11].join(",");
        let m = err(&format!(r#"{{"trackingId":"t","sessionId":"s","eventList":[{eleven}]}}"#));
        assert!(m.contains("less than or equal to 10"), "{m}");
        let m = err(r#"{"trackingId":"t","sessionId":"","eventList":[{"eventType":"","sentAt":1}]}"#);
        assert!(m.starts_with("2 validation errors detected"), "{m}");
        let m = parse_request::<PutItemsRequest>(
            br#"{"datasetArn":"arn:aws:personalize:us-east-1:1:dataset/g/ITEMS","items":[{"itemId":"i","properties":"{"}]}"#,
        )
        .unwrap_err()
        .message();
        assert!(m.starts_with("Error parsing properties json at items.1.properties"), "{m}");
    }

    #[test]
    fn property_keys_match_schema_fields() {
        assert!(property_key_matches("numberOfRatings", "NUMBER_OF_RATINGS"));
        assert!(property_key_matches("DEVICE", "DEVICE"));
        assert!(property_key_matches("device", "DEVICE"));
        assert!(!property_key_matches("genre", "GENRES"));
    }
}
