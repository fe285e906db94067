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
mod views;
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
}

#[cfg(test)]
mod tests;
