//! Real-time state: the events each user (or anonymous session) sent through PutEvents, so the
//! next request personalises with them without retraining.
//!
//! Per dataset group, loaded on first use from the stored put chunks (so it survives restarts)
//! and then kept current by PutEvents. Every event carries the sequence number of the chunk it
//! was stored in; a campaign's model was trained on a snapshot up to some sequence number, and
//! only newer events are folded in at request time.
//!
//! Anonymous sessions: events with a `sessionId` and no `userId` are kept under the session.
//! Once an event carries both, the session's events move to the user at once (Personalize only
//! does this at the next retraining) and later anonymous events of that session go to the user
//! too; requests that pass the session id as `userId` then see the user.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use reko_dataset::{DatasetType, RecordBatch};
use reko_engine::{HistoryEvent, TrainingConfig};

use crate::error::ServiceResult;
use crate::events::{IngestTarget, SESSION_ID_COLUMN};
use crate::Reko;

/// Most recent events kept per user or session (older ones are in the model after training).
pub(crate) const MAX_EVENTS_PER_USER: usize = 500;
/// Interaction filters see up to this many most recent interactions per user and event type
/// (Personalize's default quota, reference §5.2).
pub(crate) const FILTER_HISTORY_PER_TYPE: usize = 100;

/// One real-time event.
#[derive(Debug, Clone)]
pub(crate) struct LiveEvent {
    pub seq: i64,
    pub item_id: Arc<str>,
    pub event_type: Arc<str>,
    pub event_value: Option<f32>,
    pub timestamp: i64,
}

impl LiveEvent {
    pub(crate) fn new(item_id: &str, event_type: &str, event_value: Option<f32>, timestamp: i64) -> LiveEvent {
        LiveEvent { seq: 0, item_id: item_id.into(), event_type: event_type.into(), event_value, timestamp }
    }
}

#[derive(Default)]
struct GroupState {
    /// Newest put chunk sequence number the load from storage read: appends up to it are in
    /// already. (Seqs are assigned in commit order by one writer, so every put chunk below it was
    /// read.)
    loaded_seq: i64,
    users: HashMap<String, Vec<LiveEvent>>,
    /// Anonymous sessions not (yet) attributed to a user.
    sessions: HashMap<String, Vec<LiveEvent>>,
    /// Session id → the user it was stitched to.
    stitched: HashMap<String, String>,
    /// Bulk-imported interactions per user, for interaction filters (loaded on first use).
    bulk: Option<HashMap<String, Vec<LiveEvent>>>,
}

impl GroupState {
    fn push(list: &mut Vec<LiveEvent>, events: impl IntoIterator<Item = LiveEvent>) {
        list.extend(events);
        if list.len() > MAX_EVENTS_PER_USER {
            list.sort_by_key(|e| (e.timestamp, e.seq));
            let excess = list.len() - MAX_EVENTS_PER_USER;
            list.drain(..excess);
        }
    }

    fn apply(&mut self, user_id: Option<&str>, session_id: &str, events: Vec<LiveEvent>) {
        match user_id {
            Some(user) => {
                if let Some(anonymous) = self.sessions.remove(session_id) {
                    Self::push(self.users.entry(user.to_string()).or_default(), anonymous);
                }
                if session_id != user {
                    self.stitched.insert(session_id.to_string(), user.to_string());
                }
                Self::push(self.users.entry(user.to_string()).or_default(), events);
            }
            None => match self.stitched.get(session_id) {
                Some(user) => {
                    let user = user.clone();
                    Self::push(self.users.entry(user).or_default(), events);
                }
                None => Self::push(self.sessions.entry(session_id.to_string()).or_default(), events),
            },
        }
    }

    /// The user an id names: itself, or the user its session was stitched to.
    fn resolve<'a>(&'a self, id: &'a str) -> &'a str {
        self.stitched.get(id).map_or(id, String::as_str)
    }

    fn events_of(&self, id: &str) -> Option<&Vec<LiveEvent>> {
        let user = self.resolve(id);
        self.users.get(user).or_else(|| self.sessions.get(id))
    }
}

/// All groups' real-time state.
#[derive(Default)]
pub(crate) struct LiveState {
    groups: RwLock<HashMap<String, Arc<Mutex<Option<GroupState>>>>>,
}

/// A user's real-time view: who the model should treat them as and their recent events.
pub(crate) struct UserView {
    /// The user id to look up in the model (a stitched session resolves to its user).
    pub user_id: String,
    pub events: Vec<HistoryEvent>,
}

impl LiveState {
    fn group(&self, dataset_group_arn: &str) -> Arc<Mutex<Option<GroupState>>> {
        if let Some(g) = self.groups.read().unwrap_or_else(|p| p.into_inner()).get(dataset_group_arn) {
            return g.clone();
        }
        self.groups.write().unwrap_or_else(|p| p.into_inner()).entry(dataset_group_arn.to_string()).or_default().clone()
    }

    /// Forgets a group (its dataset or the group itself was deleted).
    pub(crate) fn forget(&self, dataset_group_arn: &str) {
        self.groups.write().unwrap_or_else(|p| p.into_inner()).remove(dataset_group_arn);
    }

    /// Runs `f` on the group's state, loading it from storage first if needed.
    fn with_group<T>(
        &self,
        reko: &Reko,
        dataset_group_arn: &str,
        f: impl FnOnce(&mut GroupState) -> T,
    ) -> ServiceResult<T> {
        let group = self.group(dataset_group_arn);
        let mut guard = group.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(load(reko, dataset_group_arn)?);
        }
        Ok(f(guard.as_mut().expect("loaded above")))
    }

    /// Loads a group's state now (a warm-up after a start).
    pub(crate) fn preload(&self, reko: &Reko, dataset_group_arn: &str) -> ServiceResult<()> {
        self.with_group(reko, dataset_group_arn, |_| ())
    }

    /// Applies a PutEvents call whose chunk was stored as `seq`.
    pub(crate) fn record_events(
        &self,
        reko: &Reko,
        target: &IngestTarget,
        user_id: Option<&str>,
        session_id: &str,
        seq: i64,
        mut events: Vec<LiveEvent>,
    ) -> ServiceResult<()> {
        events.iter_mut().for_each(|e| e.seq = seq);
        self.with_group(reko, &target.dataset_group_arn, |g| {
            // A load that ran after the commit has already read this chunk.
            if seq > g.loaded_seq {
                g.apply(user_id, session_id, events);
            }
        })
    }

    /// The user's real-time view for a model trained up to `snapshot_seq`.
    pub(crate) fn user_view(
        &self,
        reko: &Reko,
        dataset_group_arn: &str,
        user_id: &str,
        snapshot_seq: i64,
        events: &TrainingConfig,
    ) -> ServiceResult<UserView> {
        self.with_group(reko, dataset_group_arn, |g| UserView {
            user_id: g.resolve(user_id).to_string(),
            events: g
                .events_of(user_id)
                .into_iter()
                .flatten()
                .filter(|e| {
                    e.seq > snapshot_seq && reko_engine::event_passes(events, Some(&e.event_type), e.event_value)
                })
                .map(|e| HistoryEvent {
                    item_id: e.item_id.to_string(),
                    event_type: Some(e.event_type.to_string()),
                    timestamp: e.timestamp,
                })
                .collect(),
        })
    }
}

impl LiveState {
    /// The interactions an interaction filter sees for `user_id`: bulk-imported and real-time,
    /// the newest [`FILTER_HISTORY_PER_TYPE`] per event type.
    pub(crate) fn filter_history(
        &self,
        reko: &Reko,
        dataset_group_arn: &str,
        user_id: &str,
    ) -> ServiceResult<Vec<LiveEvent>> {
        let group = self.group(dataset_group_arn);
        let mut guard = group.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(load(reko, dataset_group_arn)?);
        }
        let state = guard.as_mut().expect("loaded above");
        if state.bulk.is_none() {
            state.bulk = Some(load_bulk(reko, dataset_group_arn)?);
        }
        let user = state.resolve(user_id);
        let mut out: Vec<LiveEvent> = state.bulk.as_ref().and_then(|b| b.get(user)).cloned().unwrap_or_default();
        out.extend(state.events_of(user_id).into_iter().flatten().cloned());
        newest_per_type(&mut out, FILTER_HISTORY_PER_TYPE);
        Ok(out)
    }
}

/// Keeps the newest `n` events of each event type (event types compare case-insensitively, as
/// filters match them).
fn newest_per_type(events: &mut Vec<LiveEvent>, n: usize) {
    events.sort_by_key(|e| std::cmp::Reverse((e.timestamp, e.seq)));
    let mut seen: HashMap<String, usize> = HashMap::new();
    events.retain(|e| {
        let c = seen.entry(e.event_type.to_ascii_lowercase()).or_default();
        *c += 1;
        *c <= n
    });
}

/// Every bulk-imported interaction of the group, per user, trimmed as filters see them.
fn load_bulk(reko: &Reko, dataset_group_arn: &str) -> ServiceResult<HashMap<String, Vec<LiveEvent>>> {
    let mut out: HashMap<String, Vec<LiveEvent>> = HashMap::new();
    let Some(dataset) = reko.dataset_of_type(dataset_group_arn, DatasetType::Interactions)? else {
        return Ok(out);
    };
    let (batches, _) =
        reko.dataset_batches_with_seq(&dataset.wire.dataset_arn, Some(reko_storage::RecordSource::Bulk))?;
    let mut strings: HashMap<String, Arc<str>> = HashMap::new();
    let mut intern = |s: &str| -> Arc<str> {
        if let Some(a) = strings.get(s) {
            return a.clone();
        }
        let a: Arc<str> = s.into();
        strings.insert(s.to_string(), a.clone());
        a
    };
    for batch in &batches {
        let (Some(users), Some(items), Some(ts)) =
            (batch.column("USER_ID"), batch.column("ITEM_ID"), batch.column("TIMESTAMP"))
        else {
            continue;
        };
        let types = batch.column("EVENT_TYPE");
        for row in 0..batch.len() {
            let (Some(user), Some(item), Some(timestamp)) =
                (users.str_value(row), items.str_value(row), ts.i64_value(row))
            else {
                continue;
            };
            let event = LiveEvent {
                seq: 0,
                item_id: intern(item),
                event_type: intern(types.and_then(|c| c.str_value(row)).unwrap_or("")),
                event_value: None,
                timestamp,
            };
            out.entry(user.to_string()).or_default().push(event);
        }
    }
    for events in out.values_mut() {
        newest_per_type(events, FILTER_HISTORY_PER_TYPE);
        events.shrink_to_fit();
    }
    Ok(out)
}

/// Replays the group's stored put events.
fn load(reko: &Reko, dataset_group_arn: &str) -> ServiceResult<GroupState> {
    let mut state = GroupState::default();
    let Some(dataset) = reko.dataset_of_type(dataset_group_arn, DatasetType::Interactions)? else {
        return Ok(state);
    };
    let sealer = reko.sealer_in_group(dataset_group_arn, &dataset.wire.dataset_arn)?;
    // Put chunks only: the bulk import (often most of the data) is not read here.
    let chunks = reko.store().read_records_after(&dataset.wire.dataset_arn, reko_storage::RecordSource::Put, 0)?;
    for chunk in chunks {
        state.loaded_seq = state.loaded_seq.max(chunk.seq);
        let data = sealer.open(chunk.data)?;
        let Ok(batch) = RecordBatch::decode(&data) else {
            tracing::error!(seq = chunk.seq, "a stored put chunk does not decode; its events are skipped");
            continue;
        };
        replay(&mut state, &batch, chunk.seq);
    }
    Ok(state)
}

fn replay(state: &mut GroupState, batch: &RecordBatch, seq: i64) {
    let (Some(items), Some(sessions), Some(ts)) =
        (batch.column("ITEM_ID"), batch.column(SESSION_ID_COLUMN), batch.column("TIMESTAMP"))
    else {
        return;
    };
    let users = batch.column("USER_ID");
    let types = batch.column("EVENT_TYPE");
    let values = batch.column("EVENT_VALUE");
    for row in 0..batch.len() {
        let (Some(session), Some(timestamp)) = (sessions.str_value(row), ts.i64_value(row)) else { continue };
        let user = users.and_then(|c| c.str_value(row));
        let events = match items.str_value(row) {
            Some(item) => vec![LiveEvent {
                seq,
                item_id: item.into(),
                event_type: types.and_then(|c| c.str_value(row)).unwrap_or("").into(),
                event_value: values.and_then(|c| c.f64_value(row)).map(|v| v as f32),
                timestamp,
            }],
            None => Vec::new(),
        };
        state.apply(user, session, events);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(item: &str, ts: i64) -> LiveEvent {
        let mut e = LiveEvent::new(item, "click", None, ts);
        e.seq = ts;
        e
    }

    #[test]
    fn anonymous_sessions_are_stitched_to_the_user_at_once() {
        let mut g = GroupState::default();
        g.apply(None, "s1", vec![ev("a", 1), ev("b", 2)]);
        assert_eq!(g.events_of("s1").unwrap().len(), 2);
        assert!(g.events_of("u1").is_none());
        g.apply(Some("u1"), "s1", vec![ev("c", 3)]);
        let items: Vec<&str> = g.events_of("u1").unwrap().iter().map(|e| &*e.item_id).collect();
        assert_eq!(items, ["a", "b", "c"]);
        // The session id now resolves to the user; later anonymous events of it go to the user.
        assert_eq!(g.resolve("s1"), "u1");
        g.apply(None, "s1", vec![ev("d", 4)]);
        assert_eq!(g.events_of("s1").unwrap().len(), 4);
        assert!(g.sessions.is_empty());
    }

    #[test]
    fn filter_history_keeps_the_newest_per_event_type() {
        let mut events: Vec<LiveEvent> = (0..150).map(|t| ev("x", t)).collect();
        events.extend((0..3).map(|t| LiveEvent::new("y", "BUY", None, t)));
        newest_per_type(&mut events, 100);
        assert_eq!(events.iter().filter(|e| &*e.event_type == "click").count(), 100);
        assert_eq!(events.iter().filter(|e| &*e.event_type == "BUY").count(), 3);
        assert!(events.iter().filter(|e| &*e.event_type == "click").all(|e| e.timestamp >= 50));
    }

    #[test]
    fn histories_are_bounded_keeping_the_newest() {
        let mut g = GroupState::default();
        for t in 0..(MAX_EVENTS_PER_USER as i64 + 20) {
            g.apply(Some("u"), "s", vec![ev("x", t)]);
        }
        let events = g.events_of("u").unwrap();
        assert_eq!(events.len(), MAX_EVENTS_PER_USER);
        assert_eq!(events[0].timestamp, 20);
    }
}
