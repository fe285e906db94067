//! Segment's spec messages (`track`, `page`, `screen`, `identify`; segment.com/docs/connections/spec)
//! mapped onto PutEvents events and PutUsers users by a source's [`Mapping`].
//!
//! Only what the mapping names is carried: a Segment payload holds many properties and traits a
//! dataset has no column for, and the mapping is where the operator says which ones matter.

use std::collections::BTreeMap;

use reko_api::{Event, User};
use serde_json::{Map, Value};

/// How a source's messages become events and users (`[[collect.segment]]` / `[[collect.nats]]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mapping {
    /// Segment event name (a `track` call's `event`) → Personalize event type. Empty: the names
    /// are the event types; else an event name it lacks is a dead letter (`unmapped_event`).
    pub events: BTreeMap<String, String>,
    /// The event type of `page` and `screen` calls; unset: they are dead letters (`unmapped_event`).
    pub page_event_type: Option<String>,
    /// Segment property → `itemId`, `eventValue`, `impression`, `recommendationId`, or an
    /// Interactions schema field (as PutEvents' `properties` name it).
    pub properties: BTreeMap<String, String>,
    /// Segment trait (an `identify` call's `traits`) → a Users schema field.
    pub traits: BTreeMap<String, String>,
}

/// The event members a property can set instead of a schema field.
pub const EVENT_MEMBERS: [&str; 4] = ["itemId", "eventValue", "impression", "recommendationId"];

/// A message refused before it reached the dataset: a dead letter's reason and detail.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub reason: &'static str,
    pub detail: String,
}

fn refuse(reason: &'static str, detail: impl Into<String>) -> Refusal {
    Refusal { reason, detail: detail.into() }
}

/// What one message becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Mapped {
    /// A PutEvents event of `user_id` / `session_id`.
    Event { user_id: Option<String>, session_id: String, event: Event },
    /// A PutUsers user.
    User(User),
}

/// A mapped message and its id (`messageId`: the dedupe key).
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub message_id: String,
    pub mapped: Mapped,
}

/// The messages of a body: one call, or Segment's batch (`{"batch": [...]}`).
pub fn split_batch(body: &Value) -> Result<Vec<&Value>, Refusal> {
    let object = body.as_object().ok_or_else(|| refuse("invalid_json", "the body is not a JSON object"))?;
    match object.get("batch") {
        None => Ok(vec![body]),
        Some(Value::Array(items)) => Ok(items.iter().collect()),
        Some(other) => Err(refuse("invalid_json", format!("batch is {}, not an array", kind(other)))),
    }
}

/// Maps one message; `fallback_id` is its id when it has no `messageId` (a NATS message id).
pub fn map_message(mapping: &Mapping, message: &Value, fallback_id: Option<&str>) -> Result<Message, Refusal> {
    let m = message.as_object().ok_or_else(|| refuse("invalid_event", "the message is not a JSON object"))?;
    let message_id = match (m.get("messageId"), fallback_id) {
        (Some(Value::String(id)), _) if !id.is_empty() && id.chars().count() <= 256 => id.clone(),
        (Some(v), _) => {
            return Err(refuse("invalid_event", format!("messageId {v} is not a string of 1 to 256 characters")))
        }
        (None, Some(id)) => id.to_string(),
        (None, None) => return Err(refuse("missing_message_id", "the message has no messageId")),
    };
    let user_id = id_member(m, "userId")?;
    let anonymous_id = id_member(m, "anonymousId")?;
    let call = m.get("type").and_then(Value::as_str).unwrap_or("");
    let mapped = match call {
        "track" | "page" | "screen" => {
            let event_type = if call == "track" {
                let name = m
                    .get("event")
                    .and_then(Value::as_str)
                    .ok_or_else(|| refuse("invalid_event", "a track call needs event (a string)"))?;
                if mapping.events.is_empty() {
                    name.to_string()
                } else {
                    mapping.events.get(name).cloned().ok_or_else(|| {
                        refuse("unmapped_event", format!("event \"{name}\" is not in the source's event map"))
                    })?
                }
            } else {
                mapping.page_event_type.clone().ok_or_else(|| {
                    refuse("unmapped_event", format!("{call} calls need the source's page_event_type"))
                })?
            };
            let session_id = anonymous_id
                .clone()
                .or_else(|| user_id.clone())
                .ok_or_else(|| refuse("invalid_event", "the message has neither userId nor anonymousId"))?;
            let mut event =
                Event { event_id: Some(message_id.clone()), event_type, sent_at: timestamp(m)?, ..Event::default() };
            let properties = match m.get("properties") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(p)) => p.clone(),
                Some(other) => {
                    return Err(refuse("invalid_event", format!("properties is {}, not an object", kind(other))))
                }
            };
            apply_properties(mapping, &properties, &mut event)?;
            Mapped::Event { user_id, session_id, event }
        }
        "identify" => {
            let user_id = user_id.ok_or_else(|| refuse("invalid_event", "an identify call needs userId"))?;
            let traits = match m.get("traits").or_else(|| m.get("context").and_then(|c| c.get("traits"))) {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(t)) => t.clone(),
                Some(other) => {
                    return Err(refuse("invalid_event", format!("traits is {}, not an object", kind(other))))
                }
            };
            let mut columns = Map::new();
            for (name, value) in &traits {
                if let Some(column) = mapping.traits.get(name) {
                    columns.insert(column.clone(), value.clone());
                }
            }
            let properties = (!columns.is_empty()).then(|| Value::Object(columns).to_string());
            Mapped::User(User { user_id, properties })
        }
        "" => return Err(refuse("invalid_event", "the message has no type")),
        other => {
            return Err(refuse(
                "unsupported_type",
                format!("type \"{other}\" is not collected (track, page, screen and identify are)"),
            ))
        }
    };
    Ok(Message { message_id, mapped })
}

/// `userId` / `anonymousId`: a string (Segment also allows numbers).
fn id_member(m: &Map<String, Value>, name: &str) -> Result<Option<String>, Refusal> {
    match m.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(refuse("invalid_event", format!("{name} is {}, not a string", kind(other)))),
    }
}

/// The mapped properties into the event's members or its `properties` string.
fn apply_properties(mapping: &Mapping, properties: &Map<String, Value>, event: &mut Event) -> Result<(), Refusal> {
    let mut columns = Map::new();
    for (name, value) in properties {
        let Some(target) = mapping.properties.get(name) else { continue };
        let bad = |what: &str| refuse("invalid_event", format!("properties.{name} ({value}) is not {what}"));
        match target.as_str() {
            "itemId" => {
                event.item_id = Some(match value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => return Err(bad("an item id")),
                })
            }
            "eventValue" => {
                event.event_value = Some(
                    match value {
                        Value::Number(n) => n.as_f64(),
                        Value::String(s) => s.trim().parse().ok(),
                        _ => None,
                    }
                    .ok_or_else(|| bad("a number"))?,
                )
            }
            "recommendationId" => {
                event.recommendation_id = Some(value.as_str().ok_or_else(|| bad("a string"))?.to_string())
            }
            "impression" => {
                let items = match value {
                    Value::Array(items) => items
                        .iter()
                        .map(|i| match i {
                            Value::String(s) => Some(s.clone()),
                            Value::Number(n) => Some(n.to_string()),
                            _ => None,
                        })
                        .collect::<Option<Vec<_>>>(),
                    Value::String(s) => Some(s.split('|').map(str::to_string).collect()),
                    _ => None,
                };
                event.impression = Some(items.ok_or_else(|| bad("a list of item ids"))?);
            }
            column => {
                columns.insert(column.to_string(), value.clone());
            }
        }
    }
    if !columns.is_empty() {
        event.properties = Some(Value::Object(columns).to_string());
    }
    Ok(())
}

/// The event's time: `timestamp`, else `originalTimestamp`, else `receivedAt`, else now.
fn timestamp(m: &Map<String, Value>) -> Result<f64, Refusal> {
    for name in ["timestamp", "originalTimestamp", "receivedAt"] {
        match m.get(name) {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) => {
                return parse_iso8601(s)
                    .ok_or_else(|| refuse("invalid_event", format!("{name} \"{s}\" is not an ISO 8601 date and time")))
            }
            Some(other) => return Err(refuse("invalid_event", format!("{name} is {}, not a string", kind(other)))),
        }
    }
    Ok(crate::usage::now_secs() as f64)
}

/// `2024-05-01T12:30:00.123Z` or with an offset (`+02:00`): epoch seconds.
pub fn parse_iso8601(s: &str) -> Option<f64> {
    let (date, time) = s.split_once(['T', ' '])?;
    let mut d = date.splitn(3, '-');
    let (y, mo, da): (i64, u32, u32) = (d.next()?.parse().ok()?, d.next()?.parse().ok()?, d.next()?.parse().ok()?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) {
        return None;
    }
    let (clock, offset) = if let Some(c) = time.strip_suffix('Z').or_else(|| time.strip_suffix('z')) {
        (c, 0)
    } else {
        let at = time.rfind(['+', '-'])?;
        let (c, o) = time.split_at(at);
        let sign = if o.starts_with('-') { -1 } else { 1 };
        let o = o[1..].replace(':', "");
        if o.len() != 4 {
            return None;
        }
        let (h, mi): (i64, i64) = (o[..2].parse().ok()?, o[2..].parse().ok()?);
        (c, sign * (h * 3600 + mi * 60))
    };
    let mut t = clock.splitn(3, ':');
    let (h, mi): (i64, i64) = (t.next()?.parse().ok()?, t.next()?.parse().ok()?);
    let sec: f64 = t.next().unwrap_or("0").parse().ok()?;
    if h > 23 || mi > 59 || !(0.0..61.0).contains(&sec) {
        return None;
    }
    let days = reko_api::calendar::days_from_civil(y, mo, da);
    Some((days * 86_400 + h * 3600 + mi * 60 - offset) as f64 + sec)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mapping() -> Mapping {
        Mapping {
            events: [("Product Viewed".to_string(), "view".to_string())].into(),
            page_event_type: Some("page-view".into()),
            properties: [("product_id", "itemId"), ("price", "eventValue"), ("device", "DEVICE")]
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .into(),
            traits: [("plan".to_string(), "PLAN".to_string())].into(),
        }
    }

    #[test]
    fn a_track_call_becomes_an_event_with_the_mapped_members() {
        let m = json!({"type": "track", "event": "Product Viewed", "messageId": "m1", "anonymousId": "anon",
            "userId": "u1", "timestamp": "2024-05-01T12:30:00.500Z",
            "properties": {"product_id": 42, "price": "9.5", "device": "ios", "ignored": true}});
        let out = map_message(&mapping(), &m, None).unwrap();
        assert_eq!(out.message_id, "m1");
        let Mapped::Event { user_id, session_id, event } = out.mapped else { panic!("an event") };
        assert_eq!((user_id.as_deref(), session_id.as_str()), (Some("u1"), "anon"));
        assert_eq!(event.event_type, "view");
        assert_eq!(event.item_id.as_deref(), Some("42"));
        assert_eq!(event.event_value, Some(9.5));
        assert_eq!(event.event_id.as_deref(), Some("m1"));
        assert_eq!(event.properties.as_deref(), Some(r#"{"DEVICE":"ios"}"#));
        assert_eq!(event.sent_at, 1_714_566_600.5);
    }

    #[test]
    fn refusals_name_the_reason_and_the_field() {
        let r = |m: Value| map_message(&mapping(), &m, None).unwrap_err();
        assert_eq!(
            r(json!({"type": "track", "event": "Other", "messageId": "m", "userId": "u"})).reason,
            "unmapped_event"
        );
        assert_eq!(r(json!({"type": "track", "event": "Product Viewed", "userId": "u"})).reason, "missing_message_id");
        assert_eq!(r(json!({"type": "alias", "messageId": "m", "userId": "u"})).reason, "unsupported_type");
        let bad = r(json!({"type": "track", "event": "Product Viewed", "messageId": "m", "userId": "u",
            "timestamp": "yesterday"}));
        assert!(bad.detail.contains("timestamp \"yesterday\""), "{}", bad.detail);
        let bad = r(json!({"type": "track", "event": "Product Viewed", "messageId": "m", "userId": "u",
            "properties": {"price": "free"}}));
        assert!(bad.detail.contains("properties.price"), "{}", bad.detail);
        assert_eq!(r(json!({"type": "identify", "messageId": "m", "anonymousId": "a"})).reason, "invalid_event");
    }

    #[test]
    fn identify_and_page_calls() {
        let m = json!({"type": "identify", "messageId": "m2", "userId": "u1", "traits": {"plan": "pro", "email": "x"}});
        let out = map_message(&mapping(), &m, None).unwrap();
        assert_eq!(
            out.mapped,
            Mapped::User(User { user_id: "u1".into(), properties: Some(r#"{"PLAN":"pro"}"#.into()) })
        );
        let m = json!({"type": "page", "userId": "u1", "properties": {"product_id": "p"}});
        let out = map_message(&mapping(), &m, Some("nats-7")).unwrap();
        assert_eq!(out.message_id, "nats-7");
        let Mapped::Event { event, .. } = out.mapped else { panic!("an event") };
        assert_eq!((event.event_type.as_str(), event.item_id.as_deref()), ("page-view", Some("p")));
    }

    #[test]
    fn batches_and_dates() {
        let body = json!({"batch": [{"type": "track"}, {"type": "page"}]});
        assert_eq!(split_batch(&body).unwrap().len(), 2);
        assert_eq!(split_batch(&json!({"type": "track"})).unwrap().len(), 1);
        assert_eq!(split_batch(&json!({"batch": 1})).unwrap_err().reason, "invalid_json");
        assert_eq!(parse_iso8601("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_iso8601("1970-01-01T01:00:00+01:00"), Some(0.0));
        assert_eq!(parse_iso8601("1970-01-01T00:00:00-00:30"), Some(1800.0));
        assert_eq!(parse_iso8601("2024-13-01T00:00:00Z"), None);
    }
}
