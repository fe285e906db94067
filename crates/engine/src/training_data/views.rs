//! Views of a snapshot: interactions kept by event or per user, and compacted copies.

use std::ops::Range;
use std::sync::Arc;

use super::*;

impl TrainingData {
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
