//! Training data snapshot: interactions, items and users with string ids interned once into
//! dense `u32` indices.
//!
//! Interactions are stored column-wise (struct of arrays) grouped by user (CSR layout) and,
//! within a user, sorted chronologically, so "the user's history" is a set of slices and
//! the whole snapshot costs about 20 bytes per interaction (item `u32`, timestamp `i64`,
//! event type `u32`, event value `f32`) plus an optional `f32` weight after filtering.

use std::ops::Range;
use std::sync::Arc;

use rayon::slice::ParallelSliceMut;
use rustc_hash::FxHashMap;

mod impressions;
use impressions::Impressions;
mod actions;
pub use actions::{ActionAttributes, ActionData, ActionEvent, ActionInteraction};

/// Event type index used for interactions without an EVENT_TYPE.
pub const NO_EVENT_TYPE: u32 = u32::MAX;

/// An interning table: string id <-> dense index.
#[derive(Debug, Default, Clone)]
pub struct IdTable {
    ids: Vec<Arc<str>>,
    // Ids are user-controlled, but a collision flood can only slow the training of the dataset
    // group that supplied them; the speed matters for every snapshot.
    index: FxHashMap<Arc<str>, u32>,
}

impl IdTable {
    /// Index of `id`, inserting it if new (allocates only for new ids).
    pub fn intern(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = u32::try_from(self.ids.len()).expect("more than u32::MAX distinct ids");
        let s: Arc<str> = Arc::from(id);
        self.ids.push(s.clone());
        self.index.insert(s, i);
        i
    }
    /// Index of `id` if present.
    pub fn get(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }
    /// The id string of index `i` (panics if out of range).
    pub fn name(&self, i: u32) -> &str {
        &self.ids[i as usize]
    }
    /// Number of distinct ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    /// All ids in index order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.ids.iter().map(|s| &**s)
    }
}

/// Id tables and per-item catalogue data, shared (via `Arc`) by every view derived from one
/// snapshot (filtered data, evaluation splits), so indices stay comparable across them.
#[derive(Debug, Default)]
struct Catalogue {
    users: IdTable,
    items: IdTable,
    event_types: IdTable,
    /// CREATION_TIMESTAMP from the Items dataset, per item index.
    item_creation: Vec<Option<i64>>,
    /// Whether the item appears in the Items dataset.
    item_in_items_dataset: Vec<bool>,
    /// Feature tokens of items, users and contexts (e.g. `GENRES=Comedy`, `PRICE~5`,
    /// `DEVICE=mobile`); the service decides the tokens, the recipes learn from them.
    features: IdTable,
    /// Feature ids per item index (empty when the item has none).
    item_features: Vec<Vec<u32>>,
    /// Feature ids per user index.
    user_features: Vec<Vec<u32>>,
    /// Distinct context combinations seen on interactions; an interaction refers to one by index.
    contexts: IdTable,
    /// Feature ids per context combination.
    context_features: Vec<Vec<u32>>,
    /// The optimization objective's value per item index (NaN: none); empty when the snapshot
    /// carries no objective.
    item_objective: Vec<f32>,
    /// Items shown to each user with their interactions, other than the one interacted with.
    impressions: Impressions,
    /// Actions and action interactions (Next-Best-Action snapshots only).
    actions: ActionData,
}

#[derive(Clone, Copy)]
struct Row {
    user: u32,
    item: u32,
    timestamp: i64,
    event_type: u32,
    /// `f32` bits; NaN bits when absent.
    value_bits: u32,
    /// Context combination index, [`NO_CONTEXT`] when the interaction has none.
    context: u32,
}

/// Context index of interactions recorded without context.
pub const NO_CONTEXT: u32 = u32::MAX;

/// Accumulates records and produces an immutable [`TrainingData`].
#[derive(Default)]
pub struct TrainingDataBuilder {
    cat: Catalogue,
    rows: Vec<Row>,
    /// Impressions as `(user, index in impressed)`: resolved to items when built, so an id known
    /// only from impressions does not become an item of the catalogue.
    shown: Vec<(u32, u32)>,
    impressed: IdTable,
}

impl TrainingDataBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reserve room for `n` more interactions.
    pub fn reserve(&mut self, n: usize) {
        self.rows.reserve(n);
    }

    fn intern_item(&mut self, item_id: &str) -> u32 {
        let i = self.cat.items.intern(item_id);
        if i as usize == self.cat.item_creation.len() {
            self.cat.item_creation.push(None);
            self.cat.item_in_items_dataset.push(false);
        }
        i
    }

    /// Add one row of the Interactions dataset. No heap allocation unless an id is new.
    pub fn push_interaction(
        &mut self,
        user_id: &str,
        item_id: &str,
        timestamp: i64,
        event_type: Option<&str>,
        event_value: Option<f32>,
    ) {
        let user = self.cat.users.intern(user_id);
        let item = self.intern_item(item_id);
        let event_type = event_type.map_or(NO_EVENT_TYPE, |t| self.cat.event_types.intern(t));
        let value_bits = event_value.filter(|v| !v.is_nan()).unwrap_or(f32::NAN).to_bits();
        self.rows.push(Row { user, item, timestamp, event_type, value_bits, context: NO_CONTEXT });
    }

    /// The items shown to a user with an interaction with `item_id` (its IMPRESSION list); the
    /// interacted item itself is not an impression of what the user passed over, and ids that no
    /// interaction or Items record names are left out when built.
    pub fn push_impressions<'a>(&mut self, user_id: &str, item_id: &str, shown: impl IntoIterator<Item = &'a str>) {
        let user = self.cat.users.intern(user_id);
        for id in shown {
            if !id.is_empty() && id != item_id {
                let name = self.impressed.intern(id);
                self.shown.push((user, name));
            }
        }
    }

    /// Like [`Self::push_interaction`], with the interaction's context as feature tokens (e.g.
    /// `["DEVICE=mobile"]`, in a stable order). An empty context is no context.
    pub fn push_interaction_in_context(
        &mut self,
        user_id: &str,
        item_id: &str,
        timestamp: i64,
        event_type: Option<&str>,
        event_value: Option<f32>,
        context: &[&str],
    ) {
        self.push_interaction(user_id, item_id, timestamp, event_type, event_value);
        if !context.is_empty() {
            let c = self.intern_context(context);
            if let Some(last) = self.rows.last_mut() {
                last.context = c;
            }
        }
    }

    fn intern_context(&mut self, context: &[&str]) -> u32 {
        let key = context.join("\u{1f}");
        let c = self.cat.contexts.intern(&key);
        if c as usize == self.cat.context_features.len() {
            let features = context.iter().map(|t| self.cat.features.intern(t)).collect();
            self.cat.context_features.push(features);
        }
        c
    }

    /// Sets an item's feature tokens (categorical values, numeric buckets, words of textual
    /// fields). A later call for the same item replaces them (newer record wins).
    pub fn push_item_features(&mut self, item_id: &str, features: &[&str]) {
        let i = self.intern_item(item_id) as usize;
        let ids = self.intern_features(features);
        if self.cat.item_features.len() <= i {
            self.cat.item_features.resize(i + 1, Vec::new());
        }
        self.cat.item_features[i] = ids;
    }

    /// Sets a user's feature tokens; a later call replaces them.
    pub fn push_user_features(&mut self, user_id: &str, features: &[&str]) {
        let u = self.cat.users.intern(user_id) as usize;
        let ids = self.intern_features(features);
        if self.cat.user_features.len() <= u {
            self.cat.user_features.resize(u + 1, Vec::new());
        }
        self.cat.user_features[u] = ids;
    }

    fn intern_features(&mut self, features: &[&str]) -> Vec<u32> {
        let mut ids: Vec<u32> = features.iter().map(|t| self.cat.features.intern(t)).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Add one row of the Items dataset (the catalogue); the item need not have interactions.
    /// A later row for the same item replaces the creation timestamp (newer record wins).
    pub fn push_item(&mut self, item_id: &str, creation_timestamp: Option<i64>) {
        let i = self.intern_item(item_id) as usize;
        self.cat.item_in_items_dataset[i] = true;
        self.cat.item_creation[i] = creation_timestamp;
    }

    /// Sets an item's value of the optimization objective's attribute (e.g. its PRICE); a later
    /// call replaces it. Non-finite values count as none.
    pub fn push_item_objective_value(&mut self, item_id: &str, value: f64) {
        let i = self.intern_item(item_id) as usize;
        if self.cat.item_objective.len() <= i {
            self.cat.item_objective.resize(i + 1, f32::NAN);
        }
        self.cat.item_objective[i] = if value.is_finite() { value as f32 } else { f32::NAN };
    }

    /// Add one row of the Users dataset.
    pub fn push_user(&mut self, user_id: &str) {
        self.cat.users.intern(user_id);
    }

    /// Sort, de-duplicate and freeze the snapshot.
    ///
    /// Duplicate events (same user, item, timestamp and event type) count once; when their
    /// event values differ, the smallest value (by bit pattern order of the sort key) is kept,
    /// deterministically whatever the push order.
    pub fn build(self) -> TrainingData {
        let TrainingDataBuilder { mut cat, mut rows, shown, impressed } = self;
        cat.actions.freeze();
        let item_of: Vec<Option<u32>> = impressed.iter().map(|id| cat.items.get(id)).collect();
        for (user, name) in shown {
            if let Some(item) = item_of[name as usize] {
                cat.impressions.push(user, item);
            }
        }
        cat.item_features.resize(cat.items.len(), Vec::new());
        cat.user_features.resize(cat.users.len(), Vec::new());
        if !cat.item_objective.is_empty() {
            cat.item_objective.resize(cat.items.len(), f32::NAN);
        }
        cat.impressions.finish(cat.users.len());
        rows.par_sort_unstable_by_key(|r| (r.user, r.timestamp, r.item, r.event_type, r.value_bits));
        rows.dedup_by(|b, a| {
            a.user == b.user && a.timestamp == b.timestamp && a.item == b.item && a.event_type == b.event_type
        });
        let n = rows.len();
        let num_users = cat.users.len();
        let mut offsets = Vec::with_capacity(num_users + 1);
        let mut items = Vec::with_capacity(n);
        let mut timestamps = Vec::with_capacity(n);
        let mut event_types = Vec::with_capacity(n);
        let mut event_values = Vec::with_capacity(n);
        let with_context = rows.iter().any(|r| r.context != NO_CONTEXT);
        let mut contexts = Vec::with_capacity(if with_context { n } else { 0 });
        offsets.push(0usize);
        let mut user = 0u32;
        for r in &rows {
            while user < r.user {
                offsets.push(items.len());
                user += 1;
            }
            items.push(r.item);
            timestamps.push(r.timestamp);
            event_types.push(r.event_type);
            event_values.push(f32::from_bits(r.value_bits));
            if with_context {
                contexts.push(r.context);
            }
        }
        drop(rows);
        while offsets.len() < num_users + 1 {
            offsets.push(items.len());
        }
        TrainingData {
            cat: Arc::new(cat),
            offsets,
            items,
            timestamps,
            event_types,
            event_values,
            contexts: with_context.then_some(contexts),
            weights: None,
        }
    }
}

/// One user's interactions, oldest first (ties ordered by item index then event type).
#[derive(Debug, Clone, Copy)]
pub struct UserInteractions<'a> {
    /// Item indices.
    pub items: &'a [u32],
    /// Timestamps (seconds).
    pub timestamps: &'a [i64],
    /// Event type indices ([`NO_EVENT_TYPE`] when absent).
    pub event_types: &'a [u32],
    /// Event values (NaN when absent).
    pub event_values: &'a [f32],
    /// Per-event weights from the events configuration (`None`: every weight is 1).
    pub weights: Option<&'a [f32]>,
    /// Context combination per interaction ([`NO_CONTEXT`] when absent; `None`: no context at all).
    pub contexts: Option<&'a [u32]>,
}

impl<'a> UserInteractions<'a> {
    /// Number of interactions.
    pub fn len(&self) -> usize {
        self.items.len()
    }
    /// Whether the user has no interactions.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// Weight of interaction `i` (1.0 without an events configuration).
    pub fn weight(&self, i: usize) -> f32 {
        self.weights.map_or(1.0, |w| w[i])
    }
    /// The first `n` interactions (the oldest).
    pub fn prefix(&self, n: usize) -> UserInteractions<'a> {
        self.slice(0..n)
    }
    /// A sub-range of the interactions.
    pub fn slice(&self, r: Range<usize>) -> UserInteractions<'a> {
        UserInteractions {
            items: &self.items[r.clone()],
            timestamps: &self.timestamps[r.clone()],
            event_types: &self.event_types[r.clone()],
            event_values: &self.event_values[r.clone()],
            weights: self.weights.map(|w| &w[r.clone()]),
            contexts: self.contexts.map(|c| &c[r]),
        }
    }
}

/// An immutable snapshot of the training data of one dataset group.
///
/// Views derived with [`TrainingData::retain_events`] and [`TrainingData::retain_per_user`]
/// share the id tables, so user and item indices mean the same thing in all of them, and the
/// catalogue (`num_items`) always covers every item of Interactions ∪ Items.
#[derive(Debug, Clone)]
pub struct TrainingData {
    cat: Arc<Catalogue>,
    /// `offsets[u]..offsets[u + 1]` = interactions of user `u`.
    offsets: Vec<usize>,
    items: Vec<u32>,
    timestamps: Vec<i64>,
    event_types: Vec<u32>,
    event_values: Vec<f32>,
    /// Context combination per interaction; `None` when no interaction has a context.
    contexts: Option<Vec<u32>>,
    weights: Option<Vec<f32>>,
}

impl TrainingData {
    /// Items shown to `user` with an interaction and not the one interacted with then, with the
    /// times each was (sorted by item); the user may have chosen some of them at another time.
    pub fn impressions(&self, user: u32) -> &[(u32, u32)] {
        self.cat.impressions.of(user)
    }
    /// Whether any interaction carried impressions.
    pub fn has_impressions(&self) -> bool {
        !self.cat.impressions.is_empty()
    }
    /// Number of distinct users (Interactions ∪ Users), including users without interactions.
    pub fn num_users(&self) -> usize {
        self.cat.users.len()
    }
    /// Number of distinct items (Interactions ∪ Items), including items without interactions.
    pub fn num_items(&self) -> usize {
        self.cat.items.len()
    }
    /// Number of (de-duplicated, possibly filtered) interactions.
    pub fn num_interactions(&self) -> usize {
        self.items.len()
    }
    /// The user id table.
    pub fn users(&self) -> &IdTable {
        &self.cat.users
    }
    /// The item id table.
    pub fn items(&self) -> &IdTable {
        &self.cat.items
    }
    /// The event type table.
    pub fn event_types(&self) -> &IdTable {
        &self.cat.event_types
    }
    /// Item id string of an index.
    pub fn item_id(&self, item: u32) -> &str {
        self.cat.items.name(item)
    }
    /// User id string of an index.
    pub fn user_id(&self, user: u32) -> &str {
        self.cat.users.name(user)
    }
    /// Index of an item id.
    pub fn item_index(&self, item_id: &str) -> Option<u32> {
        self.cat.items.get(item_id)
    }
    /// Index of a user id.
    pub fn user_index(&self, user_id: &str) -> Option<u32> {
        self.cat.users.get(user_id)
    }
    /// Event type name of an index (`None` for [`NO_EVENT_TYPE`]).
    pub fn event_type_name(&self, event_type: u32) -> Option<&str> {
        (event_type != NO_EVENT_TYPE).then(|| self.cat.event_types.name(event_type))
    }
    /// CREATION_TIMESTAMP of an item as given in the Items dataset.
    pub fn item_creation_timestamp(&self, item: u32) -> Option<i64> {
        self.cat.item_creation[item as usize]
    }
    /// The optimization objective's value per item index (NaN where an item has none), when
    /// the snapshot was built with objective values.
    pub fn item_objective_values(&self) -> Option<&[f32]> {
        (!self.cat.item_objective.is_empty()).then_some(&self.cat.item_objective[..])
    }

    /// Whether the item has a row in the Items dataset.
    pub fn item_in_items_dataset(&self, item: u32) -> bool {
        self.cat.item_in_items_dataset[item as usize]
    }
    /// Interactions of one user, oldest first.
    pub fn user_interactions(&self, user: u32) -> UserInteractions<'_> {
        let r = self.offsets[user as usize]..self.offsets[user as usize + 1];
        UserInteractions {
            items: &self.items[r.clone()],
            timestamps: &self.timestamps[r.clone()],
            event_types: &self.event_types[r.clone()],
            event_values: &self.event_values[r.clone()],
            weights: self.weights.as_deref().map(|w| &w[r.clone()]),
            contexts: self.contexts.as_deref().map(|c| &c[r]),
        }
    }
    /// Number of interactions of one user.
    pub fn user_len(&self, user: u32) -> usize {
        self.offsets[user as usize + 1] - self.offsets[user as usize]
    }
    /// Iterator over `(user index, interactions)` for every user (including empty ones).
    pub fn iter_users(&self) -> impl Iterator<Item = (u32, UserInteractions<'_>)> + '_ {
        (0..self.num_users() as u32).map(move |u| (u, self.user_interactions(u)))
    }
    /// All interactions' item indices (grouped by user, chronological within a user).
    pub fn interaction_items(&self) -> &[u32] {
        &self.items
    }
    /// All interactions' timestamps (same order as [`Self::interaction_items`]).
    pub fn interaction_timestamps(&self) -> &[i64] {
        &self.timestamps
    }
    /// EVENT_VALUE of every interaction (NaN when absent), in the order of [`Self::interaction_items`].
    pub fn event_values(&self) -> &[f32] {
        &self.event_values
    }
    /// Per-interaction weights, `None` when all are 1.
    pub fn interaction_weights(&self) -> Option<&[f32]> {
        self.weights.as_deref()
    }
    /// CSR offsets: interactions of user `u` are `offsets[u]..offsets[u + 1]`.
    pub fn user_offsets(&self) -> &[usize] {
        &self.offsets
    }
    /// Number of users with at least `min` interactions.
    pub fn users_with_at_least(&self, min: usize) -> usize {
        self.offsets.windows(2).filter(|w| w[1] - w[0] >= min).count()
    }
    /// The feature token table (items, users and contexts share it).
    pub fn features(&self) -> &IdTable {
        &self.cat.features
    }
    /// Feature ids of an item (sorted, distinct; empty without metadata).
    pub fn item_features(&self, item: u32) -> &[u32] {
        &self.cat.item_features[item as usize]
    }
    /// Feature ids of a user (sorted, distinct; empty without metadata).
    pub fn user_features(&self, user: u32) -> &[u32] {
        &self.cat.user_features[user as usize]
    }
    /// Number of distinct context combinations.
    pub fn num_contexts(&self) -> usize {
        self.cat.contexts.len()
    }
    /// Feature ids of a context combination (`&[]` for [`NO_CONTEXT`]).
    pub fn context_features(&self, context: u32) -> &[u32] {
        if context == NO_CONTEXT {
            &[]
        } else {
            &self.cat.context_features[context as usize]
        }
    }
    /// Per-interaction context combinations, `None` when no interaction has a context.
    pub fn interaction_contexts(&self) -> Option<&[u32]> {
        self.contexts.as_deref()
    }
    /// Latest interaction timestamp, if any.
    pub fn max_timestamp(&self) -> Option<i64> {
        self.timestamps.iter().copied().max()
    }

    /// A view keeping only the interactions for which `keep(event_type, event_value)` returns a
    /// weight (`Some(w)`); the weight is recorded per interaction unless `record_weights` is
    /// false. Id tables are shared.
    pub fn retain_events(
        &self,
        record_weights: bool,
        mut keep: impl FnMut(u32, Option<f32>) -> Option<f32>,
    ) -> TrainingData {
        let mut out = self.empty_like(record_weights || self.weights.is_some());
        for u in 0..self.num_users() {
            for i in self.offsets[u]..self.offsets[u + 1] {
                let v = self.event_values[i];
                let value = (!v.is_nan()).then_some(v);
                if let Some(w) = keep(self.event_types[i], value) {
                    let base = self.weights.as_ref().map_or(1.0, |ws| ws[i]);
                    out.push_from(self, i, base * w);
                }
            }
            out.offsets.push(out.items.len());
        }
        out
    }

    /// A view keeping, for each user, the sub-range `range(user, len)` of their chronological
    /// interactions (e.g. the oldest 90%). Id tables are shared.
    pub fn retain_per_user(&self, mut range: impl FnMut(u32, usize) -> Range<usize>) -> TrainingData {
        let mut out = self.empty_like(self.weights.is_some());
        for u in 0..self.num_users() {
            let (start, end) = (self.offsets[u], self.offsets[u + 1]);
            let r = range(u as u32, end - start);
            assert!(r.start <= r.end && r.end <= end - start, "range out of bounds");
            for i in start + r.start..start + r.end {
                let w = self.weights.as_ref().map_or(1.0, |ws| ws[i]);
                out.push_from(self, i, w);
            }
            out.offsets.push(out.items.len());
        }
        out
    }

    /// A copy with only the users and items that have interactions, indexed afresh (its indices
    /// do not compare with this data's): a sample of the users (self-tuning, HPO trials) then
    /// costs in proportion to what it holds, not to the whole catalogue. Event types, feature
    /// tokens and context combinations keep their indices.
    pub fn compacted(self) -> TrainingData {
        let src = &self.cat;
        let mut users = IdTable::default();
        let mut items = IdTable::default();
        let mut item_map: Vec<u32> = vec![u32::MAX; src.items.len()];
        let mut kept_items: Vec<u32> = Vec::new();
        let mut kept_users: Vec<u32> = Vec::new();
        let mut offsets = vec![0usize];
        let mut out_items = Vec::with_capacity(self.items.len());
        for u in 0..self.num_users() {
            let r = self.offsets[u]..self.offsets[u + 1];
            if r.is_empty() {
                continue;
            }
            users.intern(src.users.name(u as u32));
            kept_users.push(u as u32);
            for &i in &self.items[r] {
                if item_map[i as usize] == u32::MAX {
                    item_map[i as usize] = items.intern(src.items.name(i));
                    kept_items.push(i);
                }
                out_items.push(item_map[i as usize]);
            }
            offsets.push(out_items.len());
        }
        let pick_items = |v: &[Option<i64>]| kept_items.iter().map(|&i| v[i as usize]).collect::<Vec<_>>();
        // Impressions of the kept users, of kept items only.
        let mut impressions = Impressions::default();
        for (new_user, &u) in kept_users.iter().enumerate() {
            for &(i, times) in src.impressions.of(u) {
                if item_map[i as usize] != u32::MAX {
                    for _ in 0..times {
                        impressions.push(new_user as u32, item_map[i as usize]);
                    }
                }
            }
        }
        impressions.finish(kept_users.len());
        let cat = Catalogue {
            users,
            items,
            event_types: src.event_types.clone(),
            item_creation: pick_items(&src.item_creation),
            item_in_items_dataset: kept_items.iter().map(|&i| src.item_in_items_dataset[i as usize]).collect(),
            features: src.features.clone(),
            item_features: kept_items.iter().map(|&i| src.item_features[i as usize].clone()).collect(),
            user_features: kept_users.iter().map(|&u| src.user_features[u as usize].clone()).collect(),
            contexts: src.contexts.clone(),
            context_features: src.context_features.clone(),
            item_objective: if src.item_objective.is_empty() {
                Vec::new()
            } else {
                kept_items.iter().map(|&i| src.item_objective[i as usize]).collect()
            },
            impressions,
            // Indexed by the old user indices; no recipe that samples this way uses actions.
            actions: ActionData::default(),
        };
        // Users are kept in order, so the interaction arrays are this data's minus empty users.
        TrainingData {
            cat: Arc::new(cat),
            offsets,
            items: out_items,
            timestamps: self.timestamps,
            event_types: self.event_types,
            event_values: self.event_values,
            contexts: self.contexts,
            weights: self.weights,
        }
    }

    fn empty_like(&self, weights: bool) -> TrainingData {
        let mut offsets = Vec::with_capacity(self.offsets.len());
        offsets.push(0);
        TrainingData {
            cat: self.cat.clone(),
            offsets,
            items: Vec::new(),
            timestamps: Vec::new(),
            event_types: Vec::new(),
            event_values: Vec::new(),
            contexts: self.contexts.as_ref().map(|_| Vec::new()),
            weights: weights.then(Vec::new),
        }
    }

    fn push_from(&mut self, src: &TrainingData, i: usize, weight: f32) {
        self.items.push(src.items[i]);
        self.timestamps.push(src.timestamps[i]);
        self.event_types.push(src.event_types[i]);
        self.event_values.push(src.event_values[i]);
        if let (Some(out), Some(src)) = (self.contexts.as_mut(), src.contexts.as_ref()) {
            out.push(src[i]);
        }
        if let Some(w) = self.weights.as_mut() {
            w.push(weight);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacted_keeps_only_what_has_interactions() {
        let mut b = TrainingDataBuilder::new();
        b.push_interaction("u1", "i1", 10, Some("click"), Some(2.0));
        b.push_interaction("u3", "i3", 5, Some("buy"), None);
        b.push_interaction("u3", "i1", 7, Some("click"), None);
        b.push_item("i2", Some(100));
        b.push_item_features("i3", &["GENRE=x"]);
        b.push_item_objective_value("i3", 4.0);
        b.push_user("u2");
        let d = b.build().retain_per_user(|u, n| if u == 0 { 0..0 } else { 0..n });
        let c = d.compacted();
        assert_eq!((c.num_users(), c.num_items(), c.num_interactions()), (1, 2, 2));
        assert_eq!(c.user_id(0), "u3");
        let h = c.user_interactions(0);
        let ids: Vec<&str> = h.items.iter().map(|&i| c.item_id(i)).collect();
        assert_eq!(ids, ["i3", "i1"]);
        assert_eq!(h.timestamps, &[5, 7]);
        assert_eq!(c.event_type_name(h.event_types[0]), Some("buy"));
        let i3 = c.item_index("i3").unwrap();
        assert_eq!(c.features().name(c.item_features(i3)[0]), "GENRE=x");
        assert_eq!(c.item_objective_values().unwrap()[i3 as usize], 4.0);
    }

    #[test]
    fn interning_is_dense_and_shared() {
        let mut b = TrainingDataBuilder::new();
        b.push_interaction("u1", "i1", 10, Some("click"), None);
        b.push_interaction("u2", "i2", 5, Some("buy"), Some(3.0));
        b.push_interaction("u1", "i2", 1, Some("click"), None);
        b.push_item("i3", Some(100));
        b.push_item("i1", Some(7));
        b.push_user("u3");
        let d = b.build();
        assert_eq!(d.num_users(), 3);
        assert_eq!(d.num_items(), 3);
        assert_eq!(d.num_interactions(), 3);
        assert_eq!(d.item_index("i1"), Some(0));
        assert_eq!(d.item_index("i3"), Some(2));
        assert_eq!(d.item_id(1), "i2");
        assert_eq!(d.user_index("u3"), Some(2));
        assert_eq!(d.item_creation_timestamp(0), Some(7));
        assert!(d.item_in_items_dataset(2));
        assert!(!d.item_in_items_dataset(1));
        // u1's history is chronological.
        let h = d.user_interactions(0);
        assert_eq!(h.items, &[1, 0]);
        assert_eq!(h.timestamps, &[1, 10]);
        assert_eq!(d.event_type_name(h.event_types[0]), Some("click"));
        assert!(h.event_values[0].is_nan());
        let h2 = d.user_interactions(1);
        assert_eq!(h2.event_values, &[3.0]);
        assert_eq!(d.user_len(2), 0);
        assert_eq!(d.users_with_at_least(2), 1);
    }

    #[test]
    fn duplicate_events_count_once() {
        let mut b = TrainingDataBuilder::new();
        b.push_interaction("u", "i", 1, Some("click"), Some(1.0));
        b.push_interaction("u", "i", 1, Some("click"), Some(1.0));
        b.push_interaction("u", "i", 1, Some("buy"), None); // different type: kept
        b.push_interaction("u", "i", 2, Some("click"), None); // different time: kept
        b.push_interaction("u", "i", 1, None, None);
        b.push_interaction("u", "i", 1, None, None);
        assert_eq!(b.build().num_interactions(), 4);
    }

    #[test]
    fn features_and_contexts() {
        let mut b = TrainingDataBuilder::new();
        b.push_interaction_in_context("u", "i1", 1, None, None, &["DEVICE=mobile"]);
        b.push_interaction("u", "i2", 2, None, None);
        b.push_interaction_in_context("v", "i1", 3, None, None, &["DEVICE=mobile"]);
        b.push_item_features("i1", &["GENRE=a", "GENRE=b", "GENRE=a"]);
        b.push_item_features("i1", &["GENRE=c"]); // newer record wins
        b.push_item_features("i9", &["GENRE=a"]);
        b.push_user_features("w", &["AGE=young"]);
        let d = b.build();
        let name = |f: &[u32]| f.iter().map(|&x| d.features().name(x).to_string()).collect::<Vec<_>>();
        assert_eq!(name(d.item_features(d.item_index("i1").unwrap())), ["GENRE=c"]);
        assert_eq!(name(d.item_features(d.item_index("i9").unwrap())), ["GENRE=a"]);
        assert!(d.item_features(d.item_index("i2").unwrap()).is_empty());
        assert_eq!(name(d.user_features(d.user_index("w").unwrap())), ["AGE=young"]);
        assert_eq!(d.num_contexts(), 1);
        let h = d.user_interactions(d.user_index("u").unwrap());
        let ctx = h.contexts.unwrap();
        assert_eq!(name(d.context_features(ctx[0])), ["DEVICE=mobile"]);
        assert_eq!(ctx[1], NO_CONTEXT);
        // Views keep the contexts aligned with the interactions.
        let newest = d.retain_per_user(|_, n| n.saturating_sub(1)..n);
        assert_eq!(newest.user_interactions(0).contexts.unwrap(), &[NO_CONTEXT]);
    }

    #[test]
    fn retain_views_share_ids() {
        let mut b = TrainingDataBuilder::new();
        for t in 0..10 {
            b.push_interaction("u", &format!("i{t}"), t, Some(if t % 2 == 0 { "a" } else { "b" }), None);
        }
        b.push_interaction("v", "i0", 3, Some("a"), None);
        let d = b.build();
        let a = d.event_types().get("a").unwrap();
        let only_a = d.retain_events(true, |t, _| (t == a).then_some(0.5));
        assert_eq!(only_a.num_interactions(), 6);
        assert_eq!(only_a.num_items(), 10);
        assert_eq!(only_a.user_interactions(0).weight(0), 0.5);
        let oldest = d.retain_per_user(|_, n| 0..n.saturating_sub(1));
        assert_eq!(oldest.user_len(0), 9);
        assert_eq!(oldest.user_len(1), 0);
        assert_eq!(oldest.user_interactions(0).items.last(), Some(&8));
    }
}
