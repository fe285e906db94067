//! The events service: PutEvents, PutItems and PutUsers (docs/compatibility.md,
//! "Events (PutEvents, PutItems, PutUsers)").
//!
//! Accepted records are durable before the call returns: every call hands its encoded chunk to
//! one writer thread that commits whatever has queued up in a single store transaction (group
//! commit), so concurrent callers share one fsync. After the commit the caller applies its
//! records to the real-time state ([`crate::live`]) and only then answers, so the caller's next
//! request sees them.

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, RwLock};

use reko_api::{
    parse_properties, property_key_matches, status, ApiError, Dataset, EventTracker, PutEventsRequest, PutItemsRequest,
    PutUsersRequest, ResourceStatus,
};
use reko_dataset::{DatasetType, RecordBatch, RecordBatchBuilder, Schema, Value, INTERACTIONS_RESERVED_FIELDS};
use reko_storage::{Appended, KeyedChunk, NewChunk, RecordSource, Store};

use crate::error::{ServiceError, ServiceResult};
use crate::ingest::{IngestTarget, EVENT_ID_COLUMN, SESSION_ID_COLUMN};
use crate::live::LiveEvent;
use crate::metric_attribution::attribute::Attributable;
use crate::resource::ResourceKind;
use crate::Reko;

/// Interaction fields set from the event's own members, never from `properties`.
const EVENT_MEMBER_FIELDS: [&str; 8] = INTERACTIONS_RESERVED_FIELDS;

/// Resolved trackers (by tracking id) and datasets (by ARN); cleared when either is deleted.
#[derive(Default)]
pub(crate) struct IngestTargets {
    pub(crate) by_key: RwLock<HashMap<String, IngestTarget>>,
}

impl IngestTargets {
    pub(crate) fn clear(&self) {
        self.by_key.write().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// The dataset group behind a tracking id already resolved (no lookup).
    pub(crate) fn tracker_group(&self, tracking_id: &str) -> Option<String> {
        self.group_of_key(&tracker_key(tracking_id))
    }

    /// The dataset group of a target already resolved under `key`.
    pub(crate) fn group_of_key(&self, key: &str) -> Option<String> {
        self.by_key.read().unwrap_or_else(|p| p.into_inner()).get(key).map(|t| t.dataset_group_arn.clone())
    }
}

fn tracker_key(tracking_id: &str) -> String {
    format!("tracker:{tracking_id}")
}

struct WriteRequest {
    dataset_arn: String,
    rows: u64,
    data: Vec<u8>,
    dedupe_keys: Vec<String>,
    reply: SyncSender<ServiceResult<Appended>>,
}

/// How long event collection remembers a dedupe key (a Segment `messageId`, a NATS event id):
/// a redelivery later than this is stored again (docs/event-collection.md, "Idempotency").
pub const DEDUPE_RETENTION_SECS: i64 = 7 * 24 * 3600;
/// How often the writer forgets dedupe keys older than [`DEDUPE_RETENTION_SECS`].
const DEDUPE_PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Most chunks committed in one transaction.
const MAX_GROUP: usize = 512;

/// The group-commit writer: one thread owning all put appends.
pub(crate) struct RecordWriter {
    tx: SyncSender<WriteRequest>,
}

impl RecordWriter {
    pub(crate) fn start(store: Arc<dyn Store>) -> RecordWriter {
        let (tx, rx) = mpsc::sync_channel::<WriteRequest>(4096);
        std::thread::Builder::new()
            .name("reko-record-writer".into())
            .spawn(move || write_loop(store.as_ref(), rx))
            .expect("spawning the record writer");
        RecordWriter { tx }
    }

    /// Appends a put chunk durably; returns its sequence number.
    pub(crate) fn append(&self, dataset_arn: &str, rows: u64, data: Vec<u8>) -> ServiceResult<i64> {
        match self.append_keyed(dataset_arn, rows, data, Vec::new())? {
            Appended::Stored(seq) => Ok(seq),
            Appended::Duplicate(keys) => {
                Err(ServiceError::Internal(format!("a chunk without dedupe keys was refused as a duplicate: {keys:?}")))
            }
        }
    }

    /// Appends a put chunk durably unless one of its dedupe keys was seen for the dataset; the
    /// keys are stored in the same transaction.
    pub(crate) fn append_keyed(
        &self,
        dataset_arn: &str,
        rows: u64,
        data: Vec<u8>,
        dedupe_keys: Vec<String>,
    ) -> ServiceResult<Appended> {
        let (reply, answer) = mpsc::sync_channel(1);
        self.tx
            .send(WriteRequest { dataset_arn: dataset_arn.to_string(), rows, data, dedupe_keys, reply })
            .map_err(|_| ServiceError::Internal("the record writer has stopped".into()))?;
        answer.recv().map_err(|_| ServiceError::Internal("the record writer has stopped".into()))?
    }
}

fn write_loop(store: &dyn Store, rx: Receiver<WriteRequest>) {
    let mut pruned = std::time::Instant::now() - DEDUPE_PRUNE_EVERY;
    while let Ok(first) = rx.recv() {
        if pruned.elapsed() >= DEDUPE_PRUNE_EVERY {
            pruned = std::time::Instant::now();
            let before = crate::usage::now_secs() - DEDUPE_RETENTION_SECS;
            if let Err(e) = store.prune_dedupe_keys(before) {
                tracing::warn!(error = %e, "forgetting old dedupe keys failed; retried later");
            }
        }
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(r) => group.push(r),
                Err(_) => break,
            }
        }
        let chunks: Vec<KeyedChunk<'_>> = group
            .iter()
            .map(|r| KeyedChunk {
                chunk: NewChunk { dataset_arn: &r.dataset_arn, source: RecordSource::Put, rows: r.rows, data: &r.data },
                dedupe_keys: &r.dedupe_keys,
            })
            .collect();
        match store.append_keyed_records(&chunks) {
            Ok(outcomes) => {
                for (r, outcome) in group.iter().zip(outcomes) {
                    let _ = r.reply.send(Ok(outcome));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, chunks = group.len(), "committing put records failed");
                for r in &group {
                    let _ = r.reply.send(Err(ServiceError::Internal(format!("storing the records failed: {e}"))));
                }
            }
        }
    }
}

impl Reko {
    /// PutEvents; its events are counted by type, accepted or rejected (all or none are stored).
    pub fn put_events(&self, req: PutEventsRequest) -> ServiceResult<()> {
        self.put_events_once(&req, Vec::new()).map(|_| ())
    }

    /// PutEvents stored only if none of `dedupe_keys` was seen for the tracker's dataset (event
    /// collection's idempotency); returns the keys seen before when nothing was stored.
    pub(crate) fn put_events_once(&self, req: &PutEventsRequest, dedupe_keys: Vec<String>) -> ServiceResult<Appended> {
        let result = self.store_events(req, dedupe_keys);
        let counted = match &result {
            Ok(Appended::Duplicate(_)) => None,
            other => Some(other.is_ok()),
        };
        if let Some(accepted) = counted {
            crate::metrics::record_events(req.event_list.iter().map(|e| e.event_type.as_str()), accepted);
        }
        result
    }

    fn store_events(&self, req: &PutEventsRequest, dedupe_keys: Vec<String>) -> ServiceResult<Appended> {
        let target = self.tracker_target(&req.tracking_id)?;
        let schema = target.schema.as_ref();
        let mut builder = RecordBatchBuilder::new(schema, &[SESSION_ID_COLUMN, EVENT_ID_COLUMN]);
        let col = |name: &str| builder.column(name);
        let (c_user, c_item, c_ts) = (col("USER_ID"), col("ITEM_ID"), col("TIMESTAMP"));
        let (c_type, c_value, c_impr) = (col("EVENT_TYPE"), col("EVENT_VALUE"), col("IMPRESSION"));
        let (c_rid, c_source) = (col("RECOMMENDATION_ID"), col("EVENT_ATTRIBUTION_SOURCE"));
        let (c_session, c_event_id) = (col(SESSION_ID_COLUMN), col(EVENT_ID_COLUMN));
        let mut live = Vec::with_capacity(req.event_list.len());
        let mut attributable = Vec::with_capacity(req.event_list.len());
        for (i, e) in req.event_list.iter().enumerate() {
            let path = format!("eventList.{}", i + 1);
            let (values, members) = event_property_values(&path, e.properties.as_deref(), schema)?;
            let item_id = members.item_id(&path, e.item_id.as_deref())?;
            let event_value = members.event_value(&path, e.event_value)?;
            let timestamp = e.sent_at.floor() as i64;
            let row = builder.push_row();
            let mut set = |c: Option<usize>, v: Value| {
                if let Some(c) = c {
                    row[c] = v;
                }
            };
            set(c_user, req.user_id.clone().map_or(Value::Null, Value::Str));
            set(c_item, item_id.clone().map_or(Value::Null, Value::Str));
            set(c_ts, Value::Long(timestamp));
            set(c_type, Value::Str(e.event_type.clone()));
            set(c_value, event_value.map_or(Value::Null, Value::Double));
            set(c_impr, e.impression.as_ref().map_or(Value::Null, |l| Value::Str(l.join("|"))));
            set(c_rid, e.recommendation_id.clone().map_or(Value::Null, Value::Str));
            set(
                c_source,
                e.metric_attribution.as_ref().map_or(Value::Null, |m| Value::Str(m.event_attribution_source.clone())),
            );
            set(c_session, Value::Str(req.session_id.clone()));
            set(c_event_id, e.event_id.clone().map_or(Value::Null, Value::Str));
            for (c, v) in values {
                row[c] = v;
            }
            // A required metadata column the event did not fill.
            for (c, f) in schema.fields.iter().enumerate() {
                if f.nullable || !matches!(row[c], Value::Null) || ["USER_ID", "ITEM_ID"].contains(&f.name.as_str()) {
                    continue;
                }
                if f.name == "IMPRESSION" {
                    // `impression` is optional in PutEvents even when the schema's IMPRESSION is
                    // not nullable (Personalize accepts such events): the event has no impressions.
                    // Reko keeps no item list per recommendationId to derive them from.
                    row[c] = Value::Str(String::new());
                    continue;
                }
                let how = match f.name.as_str() {
                    "EVENT_VALUE" => "set the event's eventValue".to_string(),
                    "RECOMMENDATION_ID" => "set the event's recommendationId".to_string(),
                    "EVENT_ATTRIBUTION_SOURCE" => "set the event's metricAttribution".to_string(),
                    other => format!("send it in properties as \"{}\"", camel_case(other)),
                };
                return Err(ApiError::InvalidInput(format!(
                    "{path}: the Interactions schema requires {} ({how}).",
                    f.name
                ))
                .into());
            }
            attributable.push(Attributable {
                event_type: e.event_type.clone(),
                sent_at: e.sent_at,
                event_value,
                item_id: item_id.clone(),
                recommendation_id: e.recommendation_id.clone(),
                attribution_source: e.metric_attribution.as_ref().map(|m| m.event_attribution_source.clone()),
                impressions: e.impression.as_ref().map_or(0, |l| l.len() as u32),
            });
            if let Some(item) = &item_id {
                live.push(LiveEvent::new(item, &e.event_type, event_value.map(|v| v as f32), timestamp));
            }
        }
        let rows = builder.len() as u64;
        let appended = self.inner.writer.append_keyed(
            &target.dataset_arn,
            rows,
            self.sealer_in_group(&target.dataset_group_arn, &target.dataset_arn)?.seal(builder.finish().encode())?,
            dedupe_keys,
        )?;
        let Appended::Stored(seq) = appended else { return Ok(appended) };
        self.attribute_events(&target.dataset_group_arn, &attributable);
        // An anonymous user's events carry only the session id, which its requests give as userId.
        let user_key = req.user_id.as_deref().unwrap_or(&req.session_id);
        self.attribute_experiment_events(&target.dataset_group_arn, user_key, &attributable);
        self.observe_put_events(&target.dataset_group_arn, seq, &live);
        self.inner.live.record_events(self, &target, req.user_id.as_deref(), &req.session_id, seq, live)?;
        Ok(appended)
    }

    pub fn put_items(&self, req: PutItemsRequest) -> ServiceResult<()> {
        let target = self.dataset_target(&req.dataset_arn, DatasetType::Items)?;
        let records: Vec<(&str, Option<&String>)> =
            req.items.iter().map(|i| (i.item_id.as_str(), i.properties.as_ref())).collect();
        let batch = metadata_rows(&target.schema, "ITEM_ID", "items", &records)?;
        self.inner.writer.append(
            &target.dataset_arn,
            batch.len() as u64,
            self.sealer_in_group(&target.dataset_group_arn, &target.dataset_arn)?.seal(batch.encode())?,
        )?;
        self.inner.filters.upsert(&target.dataset_group_arn, DatasetType::Items, &batch);
        self.add_items_to_deployments(&target.dataset_group_arn, &batch);
        Ok(())
    }

    pub fn put_users(&self, req: PutUsersRequest) -> ServiceResult<()> {
        self.put_users_once(&req, Vec::new()).map(|_| ())
    }

    /// PutUsers stored only if none of `dedupe_keys` was seen for the dataset (see
    /// [`Self::put_events_once`]).
    pub(crate) fn put_users_once(&self, req: &PutUsersRequest, dedupe_keys: Vec<String>) -> ServiceResult<Appended> {
        let target = self.dataset_target(&req.dataset_arn, DatasetType::Users)?;
        let records: Vec<(&str, Option<&String>)> =
            req.users.iter().map(|u| (u.user_id.as_str(), u.properties.as_ref())).collect();
        let batch = metadata_rows(&target.schema, "USER_ID", "users", &records)?;
        let appended = self.inner.writer.append_keyed(
            &target.dataset_arn,
            batch.len() as u64,
            self.sealer_in_group(&target.dataset_group_arn, &target.dataset_arn)?.seal(batch.encode())?,
            dedupe_keys,
        )?;
        if let Appended::Stored(_) = appended {
            self.inner.filters.upsert(&target.dataset_group_arn, DatasetType::Users, &batch);
        }
        Ok(appended)
    }

    /// The Interactions dataset behind a tracking id.
    /// The event tracker with `tracking_id`: the one lookup by tracking id (PutEvents' target
    /// and the authorization of a scoped key's events both start here).
    pub(crate) fn find_tracker(&self, tracking_id: &str) -> ServiceResult<Option<EventTracker>> {
        Ok(self
            .load_all::<EventTracker>(ResourceKind::EventTracker, None)?
            .into_iter()
            .find(|t| t.wire.tracking_id == tracking_id)
            .map(|t| t.wire))
    }

    pub(crate) fn tracker_target(&self, tracking_id: &str) -> ServiceResult<IngestTarget> {
        let key = tracker_key(tracking_id);
        if let Some(t) = self.inner.ingest.by_key.read().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(t.clone());
        }
        let tracker = self.find_tracker(tracking_id)?.ok_or_else(|| {
            ApiError::ResourceNotFound(format!("No event tracker has the tracking id {tracking_id}."))
        })?;
        // A tracker still being created already has everything events need (its group and
        // dataset); the samples send events right after CreateEventTracker, so they are taken.
        if tracker.status != ResourceStatus::Active.as_str() && !status::is_pending(&tracker.status) {
            return Err(ApiError::ResourceInUse(format!(
                "Event tracker {} is {}; it accepts events once ACTIVE.",
                tracker.event_tracker_arn, tracker.status
            ))
            .into());
        }
        let dataset =
            self.dataset_of_type(&tracker.dataset_group_arn, DatasetType::Interactions)?.ok_or_else(|| {
                ApiError::ResourceInUse(format!(
                    "Dataset group {} has no Interactions dataset to receive events; create one first.",
                    tracker.dataset_group_arn
                ))
            })?;
        let target = self.ingest_target(&dataset.wire)?;
        self.inner.ingest.by_key.write().unwrap_or_else(|p| p.into_inner()).insert(key, target.clone());
        Ok(target)
    }

    /// An Items, Users or Actions dataset for PutItems / PutUsers / PutActions.
    pub(crate) fn dataset_target(&self, dataset_arn: &str, expected: DatasetType) -> ServiceResult<IngestTarget> {
        // The key includes the expected type: a cached target must not skip the type check for
        // a call of the other operation on the same dataset.
        let key = format!("dataset:{}:{dataset_arn}", expected.as_wire());
        if let Some(t) = self.inner.ingest.by_key.read().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(t.clone());
        }
        let dataset = self.load::<Dataset>(ResourceKind::Dataset, dataset_arn)?.wire;
        if dataset.dataset_type != expected.as_wire() {
            return Err(ApiError::InvalidInput(format!(
                "Dataset {dataset_arn} is of type {}; this operation takes a dataset of type {}.",
                dataset.dataset_type,
                expected.as_wire()
            ))
            .into());
        }
        let target = self.ingest_target(&dataset)?;
        self.inner.ingest.by_key.write().unwrap_or_else(|p| p.into_inner()).insert(key, target.clone());
        Ok(target)
    }

    pub(crate) fn ingest_target(&self, dataset: &Dataset) -> ServiceResult<IngestTarget> {
        if dataset.status != ResourceStatus::Active.as_str() {
            return Err(ApiError::ResourceInUse(format!(
                "Dataset {} is {}; it accepts records once ACTIVE.",
                dataset.dataset_arn, dataset.status
            ))
            .into());
        }
        Ok(IngestTarget {
            dataset_group_arn: dataset.dataset_group_arn.clone(),
            dataset_arn: dataset.dataset_arn.clone(),
            schema: Arc::new(self.parsed_schema(&dataset.schema_arn)?),
        })
    }
}

/// Rows of PutItems / PutUsers / PutActions: the id plus the `properties` mapped onto the schema.
pub(crate) fn metadata_rows(
    schema: &Schema,
    id_field: &str,
    what: &str,
    records: &[(&str, Option<&String>)],
) -> ServiceResult<RecordBatch> {
    let mut builder = RecordBatchBuilder::new(schema, &[]);
    let id_col = builder
        .column(id_field)
        .ok_or_else(|| ServiceError::Internal(format!("the {what} schema has no {id_field} field")))?;
    for (i, (id, props)) in records.iter().enumerate() {
        let path = format!("{what}.{}", i + 1);
        let values = property_values(&path, props.map(String::as_str), schema, &[id_field])?;
        let row = builder.push_row();
        row[id_col] = Value::Str(id.to_string());
        for (c, v) in values {
            row[c] = v;
        }
        if let Some((_, f)) =
            schema.fields.iter().enumerate().find(|(c, f)| !f.nullable && matches!(row[*c], Value::Null))
        {
            return Err(ApiError::InvalidInput(format!(
                "{path}.properties must set \"{}\": the schema field {} is not nullable.",
                camel_case(&f.name),
                f.name
            ))
            .into());
        }
    }
    Ok(builder.finish())
}

/// The event members an event's `properties` may set. Personalize reserves only `userId`,
/// `sessionId`, `eventType`, `timestamp`, `recommendationId` and `impression` there, so `itemId`
/// (ITEM_ID) and `eventValue` (EVENT_VALUE) in properties set the event's item and value, as
/// AWS's getting-started samples send them (`{"itemId": "270"}` and no `itemId` member).
#[derive(Default)]
struct MemberProperties {
    item_id: Option<String>,
    event_value: Option<f64>,
}

impl MemberProperties {
    /// The event's item: the `itemId` member or `properties.itemId`; both, differing, is an error.
    fn item_id(&self, path: &str, member: Option<&str>) -> ServiceResult<Option<String>> {
        match (member, &self.item_id) {
            (Some(m), Some(p)) if m != p => Err(ApiError::InvalidInput(format!(
                "{path}: itemId \"{m}\" and properties.itemId \"{p}\" name different items; send the item once."
            ))
            .into()),
            (Some(m), _) => Ok(Some(m.to_string())),
            (None, p) => Ok(p.clone()),
        }
    }

    /// The event's value: the `eventValue` member or `properties.eventValue`; both, differing, is
    /// an error.
    fn event_value(&self, path: &str, member: Option<f64>) -> ServiceResult<Option<f64>> {
        match (member, self.event_value) {
            (Some(m), Some(p)) if m != p => Err(ApiError::InvalidInput(format!(
                "{path}: eventValue {m} and properties.eventValue {p} differ; send the value once."
            ))
            .into()),
            (Some(m), _) => Ok(Some(m)),
            (None, p) => Ok(p),
        }
    }
}

/// An event's `properties`: the schema columns they set (see [`property_values`]) and the event
/// members they set (`itemId`, `eventValue`, matched as schema fields are: camelCase or the field
/// name, case and underscores ignored).
fn event_property_values(
    path: &str,
    properties: Option<&str>,
    schema: &Schema,
) -> ServiceResult<(Vec<(usize, Value)>, MemberProperties)> {
    use serde_json::Value as J;
    let mut members = MemberProperties::default();
    let Some(text) = properties else { return Ok((Vec::new(), members)) };
    let props = parse_properties(&format!("{path}.properties"), text)?;
    let mut rest = reko_api::Properties::new();
    for (key, json) in props {
        let bad = |what: &str| ApiError::InvalidInput(format!("{path}.properties.{key}: {json} is not {what}.")).into();
        if property_key_matches(&key, "ITEM_ID") {
            let id = match &json {
                J::String(s) => s.clone(),
                J::Number(n) => n.to_string(),
                _ => return Err(bad("an item id (a string)")),
            };
            if id.is_empty() || id.chars().count() > 256 {
                return Err(bad("an item id of 1 to 256 characters"));
            }
            if members.item_id.as_ref().is_some_and(|prev| *prev != id) {
                return Err(
                    ApiError::InvalidInput(format!("{path}.properties sets the item id twice, differently.")).into()
                );
            }
            members.item_id = Some(id);
        } else if property_key_matches(&key, "EVENT_VALUE") {
            let value = match &json {
                J::Number(n) => n.as_f64(),
                J::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|v| v.is_finite())
            .ok_or_else(|| bad("a number"))?;
            if members.event_value.is_some_and(|prev| prev != value) {
                return Err(ApiError::InvalidInput(format!(
                    "{path}.properties sets the event value twice, differently."
                ))
                .into());
            }
            members.event_value = Some(value);
        } else {
            rest.insert(key, json);
        }
    }
    Ok((map_properties(path, &rest, schema, &EVENT_MEMBER_FIELDS)?, members))
}

/// A record's `properties` (at `path`) as (schema column, value) pairs: each key names a schema
/// field outside `reserved` (camelCase or the field name) and its value is converted to the
/// field's type; errors name the record, the key and the reason.
fn property_values(
    path: &str,
    properties: Option<&str>,
    schema: &Schema,
    reserved: &[&str],
) -> ServiceResult<Vec<(usize, Value)>> {
    let Some(text) = properties else { return Ok(Vec::new()) };
    let props = parse_properties(&format!("{path}.properties"), text)?;
    map_properties(path, &props, schema, reserved)
}

pub(crate) fn map_properties(
    path: &str,
    props: &reko_api::Properties,
    schema: &Schema,
    reserved: &[&str],
) -> ServiceResult<Vec<(usize, Value)>> {
    let mut values = Vec::with_capacity(props.len());
    for (key, json) in props {
        let (c, field) = schema
            .fields
            .iter()
            .enumerate()
            .find(|(_, f)| !reserved.contains(&f.name.as_str()) && property_key_matches(key, &f.name))
            .ok_or_else(|| unknown_property(path, key, schema, reserved))?;
        let v = Value::from_json(field, json)
            .map_err(|m| ApiError::InvalidInput(format!("{path}.properties.{key}: {m}")))?;
        values.push((c, v));
    }
    Ok(values)
}

fn unknown_property(path: &str, key: &str, schema: &Schema, reserved: &[&str]) -> ServiceError {
    let known: Vec<String> =
        schema.fields.iter().filter(|f| !reserved.contains(&f.name.as_str())).map(|f| camel_case(&f.name)).collect();
    ApiError::InvalidInput(format!(
        "{path}.properties has the key \"{key}\", which matches no field of the {} schema (properties can set: {}).",
        schema.name,
        if known.is_empty() { "none".to_string() } else { known.join(", ") }
    ))
    .into()
}

/// `NUMBER_OF_RATINGS` → `numberOfRatings` (how properties name schema fields;
/// docs/compatibility.md, "Events (PutEvents, PutItems, PutUsers)").
pub(crate) fn camel_case(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    for (i, part) in field.split('_').filter(|p| !p.is_empty()).enumerate() {
        let lower = part.to_ascii_lowercase();
        if i == 0 {
            out.push_str(&lower);
        } else {
            let mut chars = lower.chars();
            if let Some(c) = chars.next() {
                out.push(c.to_ascii_uppercase());
                out.extend(chars);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_names() {
        assert_eq!(camel_case("NUMBER_OF_RATINGS"), "numberOfRatings");
        assert_eq!(camel_case("DEVICE"), "device");
        assert_eq!(camel_case("CREATION_TIMESTAMP"), "creationTimestamp");
    }
}
