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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use reko_dataset::{DatasetType, RecordBatch};
use reko_engine::{HistoryEvent, TrainingConfig};

use crate::error::ServiceResult;
use crate::ingest::{IngestTarget, SESSION_ID_COLUMN};
use crate::Reko;

mod catch_up;

/// Most recent events kept per user or session (older ones are in the model after training).
pub(crate) const MAX_EVENTS_PER_USER: usize = 500;
/// Default of [`crate::ServiceConfig::filter_interactions_per_type`]: Personalize's quota of the
/// interactions per user and event type an interaction filter sees (docs/compatibility.md, "Filters").
pub const DEFAULT_FILTER_INTERACTIONS_PER_TYPE: usize = 100;
/// Largest accepted `filter_interactions_per_type`: bounds the history held per user (bulk imports
/// included) and evaluated per filtered request.
pub const MAX_FILTER_INTERACTIONS_PER_TYPE: usize = 10_000;
/// Default cap on the users, anonymous sessions and session→user links held in real-time state,
/// all dataset groups together ([`crate::ServiceConfig::max_live_users`]).
pub const DEFAULT_MAX_LIVE_USERS: usize = 1_000_000;
/// Default cap on the events held in real-time state, all dataset groups together
/// ([`crate::ServiceConfig::max_live_events`]): about 3 GB at worst (an event takes about
/// 150 bytes with its item id).
pub const DEFAULT_MAX_LIVE_EVENTS: usize = 20_000_000;
/// Sessions remembered as stitched to one user (the most recent ones).
const MAX_SESSIONS_PER_USER: usize = 100;

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

/// A user's or an anonymous session's real-time events.
#[derive(Default)]
struct Entry {
    events: Vec<LiveEvent>,
    /// When it was last used (a tick of the server-wide clock): its key in [`GroupState::lru`].
    tick: u64,
    /// A user's stitched sessions, oldest first (at most [`MAX_SESSIONS_PER_USER`]).
    sessions: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    User,
    Session,
}

struct GroupState {
    /// Newest put chunk sequence number read from storage (by the load or a catch-up): every
    /// put chunk up to it is in already. (Seqs are assigned in commit order, so every put chunk
    /// below it was read.)
    loaded_seq: i64,
    /// This process's own put chunks above `loaded_seq`, applied when they were put: a catch-up
    /// reading other processes' chunks skips them (only tracked when the store is shared).
    own: BTreeSet<i64>,
    users: HashMap<String, Entry>,
    /// Anonymous sessions not (yet) attributed to a user.
    sessions: HashMap<String, Entry>,
    /// Session id → the user it was stitched to (each also in that user's `sessions`).
    stitched: HashMap<String, String>,
    /// Users and sessions by last use, least recent first.
    lru: BTreeMap<u64, (Kind, String)>,
    /// The server-wide clock the ticks come from (one per use), so groups' ticks compare.
    clock: Arc<AtomicU64>,
    /// Events held by `users` and `sessions`.
    events: usize,
    /// Bulk-imported interactions per user, for interaction filters (loaded on first use).
    bulk: Option<HashMap<String, Vec<LiveEvent>>>,
}

impl GroupState {
    fn new(clock: Arc<AtomicU64>) -> GroupState {
        GroupState {
            loaded_seq: 0,
            own: BTreeSet::new(),
            users: HashMap::new(),
            sessions: HashMap::new(),
            stitched: HashMap::new(),
            lru: BTreeMap::new(),
            clock,
            events: 0,
            bulk: None,
        }
    }

    /// What counts against the cap: users, anonymous sessions and stitched sessions.
    fn len(&self) -> usize {
        self.users.len() + self.sessions.len() + self.stitched.len()
    }

    /// What this group holds: [`Self::len`] and its events.
    fn held(&self) -> Held {
        Held { entries: self.len(), events: self.events }
    }

    /// The tick of the least recently used user or session (`u64::MAX`: none).
    fn oldest_tick(&self) -> u64 {
        self.lru.keys().next().copied().unwrap_or(u64::MAX)
    }

    /// The user's or session's entry, created when missing, marked as used now.
    fn entry(&mut self, kind: Kind, id: &str) -> &mut Entry {
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        let map = match kind {
            Kind::User => &mut self.users,
            Kind::Session => &mut self.sessions,
        };
        match map.get(id) {
            Some(entry) => {
                self.lru.remove(&entry.tick);
            }
            None => {
                map.insert(id.to_string(), Entry::default());
            }
        }
        let entry = map.get_mut(id).expect("present or inserted above");
        entry.tick = tick;
        self.lru.insert(tick, (kind, id.to_string()));
        entry
    }

    /// Marks the user (or session) a request names as used now.
    fn touch(&mut self, id: &str) {
        let user = self.resolve(id).to_string();
        if self.users.contains_key(&user) {
            self.entry(Kind::User, &user);
        } else if self.sessions.contains_key(id) {
            self.entry(Kind::Session, id);
        }
    }

    /// Adds events to a user's or session's list (keeping the newest [`MAX_EVENTS_PER_USER`]).
    fn push(&mut self, kind: Kind, id: &str, events: impl IntoIterator<Item = LiveEvent>) {
        let list = &mut self.entry(kind, id).events;
        let before = list.len();
        list.extend(events);
        if list.len() > MAX_EVENTS_PER_USER {
            list.sort_by_key(|e| (e.timestamp, e.seq));
            let excess = list.len() - MAX_EVENTS_PER_USER;
            list.drain(..excess);
        }
        let after = list.len();
        // `before` of them were counted already.
        self.events = self.events + after - before;
    }

    fn apply(&mut self, user_id: Option<&str>, session_id: &str, events: Vec<LiveEvent>) {
        match user_id {
            Some(user) => {
                if let Some(anonymous) = self.sessions.remove(session_id) {
                    self.lru.remove(&anonymous.tick);
                    self.events -= anonymous.events.len();
                    self.push(Kind::User, user, anonymous.events);
                }
                if session_id != user {
                    self.stitch(session_id, user);
                }
                self.push(Kind::User, user, events);
            }
            None => match self.stitched.get(session_id) {
                Some(user) => {
                    let user = user.clone();
                    self.push(Kind::User, &user, events);
                }
                None => self.push(Kind::Session, session_id, events),
            },
        }
    }

    /// Records that `session` belongs to `user` (the user's oldest stitched session is
    /// forgotten beyond [`MAX_SESSIONS_PER_USER`]).
    fn stitch(&mut self, session: &str, user: &str) {
        match self.stitched.insert(session.to_string(), user.to_string()) {
            Some(previous) if previous == user => return,
            Some(previous) => {
                if let Some(e) = self.users.get_mut(&previous) {
                    e.sessions.retain(|s| s != session);
                }
            }
            None => {}
        }
        let entry = self.entry(Kind::User, user);
        entry.sessions.push(session.to_string());
        if entry.sessions.len() > MAX_SESSIONS_PER_USER {
            let dropped = entry.sessions.remove(0);
            self.stitched.remove(&dropped);
        }
    }

    /// Drops the least recently used user (with the links of its sessions) or session; false
    /// when there is none.
    fn evict_oldest(&mut self) -> bool {
        let Some((_, (kind, id))) = self.lru.pop_first() else { return false };
        match kind {
            Kind::User => {
                if let Some(entry) = self.users.remove(&id) {
                    self.events -= entry.events.len();
                    for session in entry.sessions {
                        if self.stitched.get(&session) == Some(&id) {
                            self.stitched.remove(&session);
                        }
                    }
                }
            }
            Kind::Session => {
                if let Some(entry) = self.sessions.remove(&id) {
                    self.events -= entry.events.len();
                }
            }
        }
        true
    }

    /// The user an id names: itself, or the user its session was stitched to.
    fn resolve<'a>(&'a self, id: &'a str) -> &'a str {
        self.stitched.get(id).map_or(id, String::as_str)
    }

    fn events_of(&self, id: &str) -> Option<&Vec<LiveEvent>> {
        let user = self.resolve(id);
        self.users.get(user).or_else(|| self.sessions.get(id)).map(|e| &e.events)
    }
}

/// A dataset group's slot in [`LiveState`].
#[derive(Default)]
struct Group {
    state: Mutex<Slot>,
    /// [`GroupState::oldest_tick`] as of its last change, read when choosing what to evict.
    oldest: AtomicU64,
}

/// Users and sessions (with stitched sessions), and events.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Held {
    entries: usize,
    events: usize,
}

#[derive(Default)]
struct Slot {
    /// `None` until loaded from storage.
    state: Option<GroupState>,
    /// What this group adds to [`LiveState::held`].
    counted: Held,
    /// Forgotten: a newer slot (or none) stands for the group now.
    detached: bool,
}

/// All groups' real-time state: at most `max.entries` users, anonymous sessions and stitched
/// sessions and `max.events` events in all, the least recently used user or session evicted
/// first (whichever group it is in). An evicted user's events stay in storage, so the next
/// training has them; until then they no longer shape the user's recommendations.
pub(crate) struct LiveState {
    groups: RwLock<HashMap<String, Arc<Group>>>,
    clock: Arc<AtomicU64>,
    /// Users, sessions and stitched sessions held, all groups together.
    held: AtomicUsize,
    /// Events held, all groups together.
    held_events: AtomicUsize,
    max: Held,
    /// Interactions per user and event type an interaction filter sees.
    filter_interactions_per_type: usize,
    /// Groups' states loaded from storage so far (a request should find its group loaded).
    loads: AtomicU64,
    /// Other processes append to the store too (a change feed runs): own chunks are tracked.
    shared: AtomicBool,
}

impl Default for LiveState {
    fn default() -> Self {
        LiveState::new(DEFAULT_MAX_LIVE_USERS, DEFAULT_MAX_LIVE_EVENTS, DEFAULT_FILTER_INTERACTIONS_PER_TYPE)
    }
}

/// A user's real-time view: who the model should treat them as and their recent events.
pub(crate) struct UserView {
    /// The user id to look up in the model (a stitched session resolves to its user).
    pub user_id: String,
    pub events: Vec<HistoryEvent>,
}

impl LiveState {
    /// Real-time state holding at most `max_live_users` users and sessions and `max_live_events`
    /// events (each at least one); interaction filters see `filter_interactions_per_type` interactions
    /// per user and event type.
    pub(crate) fn new(max_live_users: usize, max_live_events: usize, filter_interactions_per_type: usize) -> LiveState {
        LiveState {
            groups: RwLock::default(),
            clock: Arc::new(AtomicU64::new(1)),
            held: AtomicUsize::new(0),
            held_events: AtomicUsize::new(0),
            max: Held { entries: max_live_users.max(1), events: max_live_events.max(1) },
            filter_interactions_per_type: filter_interactions_per_type.max(1),
            loads: AtomicU64::new(0),
            shared: AtomicBool::new(false),
        }
    }

    /// Groups' states loaded from storage so far.
    pub(crate) fn loads(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }

    /// Moves what a group is counted for from `counted` to `now`.
    fn account(&self, counted: &mut Held, now: Held) {
        for (total, was, is) in
            [(&self.held, counted.entries, now.entries), (&self.held_events, counted.events, now.events)]
        {
            if is >= was {
                total.fetch_add(is - was, Ordering::Relaxed);
            } else {
                total.fetch_sub(was - is, Ordering::Relaxed);
            }
        }
        *counted = now;
    }

    fn over_cap(&self) -> bool {
        self.held.load(Ordering::Relaxed) > self.max.entries
            || self.held_events.load(Ordering::Relaxed) > self.max.events
    }

    fn group(&self, dataset_group_arn: &str) -> Arc<Group> {
        if let Some(g) = self.groups.read().unwrap_or_else(|p| p.into_inner()).get(dataset_group_arn) {
            return g.clone();
        }
        self.groups.write().unwrap_or_else(|p| p.into_inner()).entry(dataset_group_arn.to_string()).or_default().clone()
    }

    /// Forgets a group (its dataset or the group itself was deleted).
    pub(crate) fn forget(&self, dataset_group_arn: &str) {
        let removed = self.groups.write().unwrap_or_else(|p| p.into_inner()).remove(dataset_group_arn);
        if let Some(group) = removed {
            let mut slot = group.state.lock().unwrap_or_else(|p| p.into_inner());
            self.account(&mut slot.counted, Held::default());
            *slot = Slot { state: None, counted: Held::default(), detached: true };
            group.oldest.store(u64::MAX, Ordering::Relaxed);
        }
    }

    /// Users, sessions and stitched sessions held now, all groups together.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// Events held now, all groups together.
    #[cfg(test)]
    fn held_events(&self) -> usize {
        self.held_events.load(Ordering::Relaxed)
    }

    /// Runs `f` on the group's state, loading it from storage first if needed.
    fn with_group<T>(
        &self,
        reko: &Reko,
        dataset_group_arn: &str,
        f: impl FnOnce(&mut GroupState) -> T,
    ) -> ServiceResult<T> {
        self.with_group_loading(dataset_group_arn, || load(reko, dataset_group_arn, self.clock.clone(), self.max), f)
    }

    /// [`Self::with_group`] with the group's state loaded by `load` when needed; afterwards,
    /// evicts the least recently used users and sessions (of any group) beyond the cap.
    fn with_group_loading<T>(
        &self,
        dataset_group_arn: &str,
        load: impl FnOnce() -> ServiceResult<GroupState>,
        f: impl FnOnce(&mut GroupState) -> T,
    ) -> ServiceResult<T> {
        let mut load = Some(load);
        let out = loop {
            let group = self.group(dataset_group_arn);
            let mut slot = group.state.lock().unwrap_or_else(|p| p.into_inner());
            if slot.detached {
                continue; // forgotten meanwhile: the group has a new slot
            }
            if slot.state.is_none() {
                slot.state = Some((load.take().expect("a group is loaded once per call"))()?);
                self.loads.fetch_add(1, Ordering::Relaxed);
            }
            let state = slot.state.as_mut().expect("loaded above");
            let out = f(state);
            let (now, oldest) = (state.held(), state.oldest_tick());
            self.account(&mut slot.counted, now);
            group.oldest.store(oldest, Ordering::Relaxed);
            break out;
        };
        self.enforce_cap();
        Ok(out)
    }

    /// Evicts least recently used users and sessions, whichever group holds them, until no more
    /// than `max` are held. Takes no lock while holding another.
    fn enforce_cap(&self) {
        while self.over_cap() {
            let victim = {
                let groups = self.groups.read().unwrap_or_else(|p| p.into_inner());
                groups
                    .values()
                    .filter(|g| g.oldest.load(Ordering::Relaxed) != u64::MAX)
                    .min_by_key(|g| g.oldest.load(Ordering::Relaxed))
                    .cloned()
            };
            let Some(victim) = victim else { return };
            let mut slot = victim.state.lock().unwrap_or_else(|p| p.into_inner());
            if !self.over_cap() {
                return;
            }
            let Slot { state, counted, .. } = &mut *slot;
            let Some(state) = state.as_mut() else {
                victim.oldest.store(u64::MAX, Ordering::Relaxed);
                continue;
            };
            state.evict_oldest();
            self.account(counted, state.held());
            victim.oldest.store(state.oldest_tick(), Ordering::Relaxed);
        }
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
        let shared = self.shared.load(Ordering::Relaxed);
        self.with_group(reko, &target.dataset_group_arn, |g| {
            // A load or a catch-up that ran after the commit has already read this chunk.
            if seq > g.loaded_seq && (!shared || g.own.insert(seq)) {
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
        self.with_group(reko, dataset_group_arn, |g| {
            g.touch(user_id);
            UserView {
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
            }
        })
    }
}

impl LiveState {
    /// The interactions an interaction filter sees for `user_id`: bulk-imported and real-time,
    /// the newest `filter_interactions_per_type` per event type.
    pub(crate) fn filter_history(
        &self,
        reko: &Reko,
        dataset_group_arn: &str,
        user_id: &str,
    ) -> ServiceResult<Vec<LiveEvent>> {
        self.with_group(reko, dataset_group_arn, |state| {
            if state.bulk.is_none() {
                state.bulk = Some(load_bulk(reko, dataset_group_arn, self.filter_interactions_per_type)?);
            }
            state.touch(user_id);
            let user = state.resolve(user_id);
            let mut out: Vec<LiveEvent> = state.bulk.as_ref().and_then(|b| b.get(user)).cloned().unwrap_or_default();
            out.extend(state.events_of(user_id).into_iter().flatten().cloned());
            newest_per_type(&mut out, self.filter_interactions_per_type);
            Ok(out)
        })?
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
fn load_bulk(reko: &Reko, dataset_group_arn: &str, per_type: usize) -> ServiceResult<HashMap<String, Vec<LiveEvent>>> {
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
        newest_per_type(events, per_type);
        events.shrink_to_fit();
    }
    Ok(out)
}

/// Replays the group's stored put events, keeping at most `max` users, sessions and events (the
/// most recently active users and sessions).
fn load(reko: &Reko, dataset_group_arn: &str, clock: Arc<AtomicU64>, max: Held) -> ServiceResult<GroupState> {
    let mut state = GroupState::new(clock);
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
        replay(&mut state, &batch, chunk.seq, max);
    }
    Ok(state)
}

fn replay(state: &mut GroupState, batch: &RecordBatch, seq: i64, max: Held) {
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
        while (state.len() > max.entries || state.events > max.events) && state.evict_oldest() {}
    }
}

#[cfg(test)]
mod tests;
