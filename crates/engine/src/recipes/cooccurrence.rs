//! Shared machinery of the RELATED_ITEMS recipes (`aws-sims`, `aws-similar-items`):
//!
//! * [`CoocIndex`]: per-user capped item sets and the inverted item → users lists from which
//!   item-item co-occurrence is counted, one item row at a time ([`CoocIndex::accumulate`]).
//! * [`MetaIndex`]: IDF-weighted item feature vectors with inverted feature → items lists, for
//!   metadata cosine similarity ([`MetaIndex::accumulate`]).
//! * [`build_table`]: the rows of the top-K neighbour table, computed in parallel (rayon) with
//!   one dense accumulator per worker, so memory stays O(items · K), never O(items²).
//! * [`FittedRelated`] / [`RelatedModel`]: the fitted model (offline evaluation: neighbours of
//!   the user's most recent items) and the serving model, with their payload codec.
//!
//! Payload format 1 (little-endian), shared by both recipes:
//! `u32` item count `n`, then per item: `u32` id length, id bytes (UTF-8), `f32` popularity
//! (weighted distinct-user count, 0 for items without interactions), `u32` neighbour count
//! `k`, then `k` × (`u32` neighbour item position in this list, `f32` similarity), best first.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use reko_dataset::codec::{ByteReader, ByteWriter};

use crate::artifact::ModelArtifact;
use crate::error::EngineError;
use crate::model::{rank_known_first, FittedModel, Model, RankQuery, RecommendQuery, ScoredItem};
use crate::solution_config::ParamSpec;
use crate::top_k::top_k;
use crate::training_data::{TrainingData, UserInteractions};

/// Only a user's most recent `MAX_USER_ITEMS` distinct items form co-occurrence pairs: it
/// bounds the quadratic cost of heavy users (≤ 200² / 2 pairs per user).
pub const MAX_USER_ITEMS: usize = 200;
/// Neighbours kept per item in the artifact.
pub const MAX_NEIGHBOURS: usize = 100;
/// Offline evaluation: the neighbour lists of this many most recent distinct history items
/// are aggregated.
pub const RECENT_ITEMS: usize = 5;
/// Offline evaluation: weight of the k-th most recent item's list is `RECENCY_DECAY^k`.
pub const RECENCY_DECAY: f32 = 0.7;
/// Current payload format.
pub const FORMAT_VERSION: u32 = 1;

/// The value of a parameter (or its default) parsed as `T`; an unparsable value is an
/// [`EngineError::InvalidConfig`] naming it (normally caught earlier by `validate_config`).
pub(crate) fn param<T: std::str::FromStr>(
    map: &BTreeMap<String, String>,
    specs: &[ParamSpec],
    name: &str,
) -> Result<T, EngineError> {
    let default = specs.iter().find(|s| s.name == name).map_or("", |s| s.default);
    let v = map.get(name).map_or(default, |s| s.as_str()).trim();
    v.parse::<T>().map_err(|_| EngineError::InvalidConfig(format!("Invalid value '{v}' for parameter '{name}'.")))
}

/// Nearest-rank quantile `p` (0–1) of `values` (sorted in place); `None` when empty.
pub(crate) fn quantile(values: &mut [f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    let pos = (p.clamp(0.0, 1.0) * (values.len() - 1) as f64).round() as usize;
    Some(values[pos])
}

/// Items with interactions ranked by popularity (descending), ties by item id.
pub(crate) fn popular_order(data: &TrainingData, popularity: &[f64], seen: &[bool]) -> Vec<u32> {
    let mut ranked: Vec<u32> = (0..data.num_items() as u32).filter(|&i| seen[i as usize]).collect();
    ranked.par_sort_unstable_by(|&a, &b| {
        popularity[b as usize].total_cmp(&popularity[a as usize]).then_with(|| data.item_id(a).cmp(data.item_id(b)))
    });
    ranked
}

/// Per-worker dense accumulators for one item row.
pub(crate) struct Scratch {
    /// Number of (eligible) users who interacted with both items.
    pub count: Vec<u32>,
    /// Weighted co-occurrence `Σ_u w_ui · w_uj`.
    pub cooc: Vec<f32>,
    /// Metadata dot product `Σ_f idf_f²` over shared features.
    pub meta: Vec<f32>,
    /// Items touched in this row (each once).
    pub touched: Vec<u32>,
}

impl Scratch {
    fn new(n: usize) -> Self {
        Scratch { count: vec![0; n], cooc: vec![0.0; n], meta: vec![0.0; n], touched: Vec::new() }
    }
    #[inline]
    fn touch(&mut self, j: usize) {
        if self.count[j] == 0 && self.meta[j] == 0.0 {
            self.touched.push(j as u32);
        }
    }
    fn reset(&mut self) {
        for &j in &self.touched {
            let j = j as usize;
            self.count[j] = 0;
            self.cooc[j] = 0.0;
            self.meta[j] = 0.0;
        }
        self.touched.clear();
    }
}

/// Top-K neighbour lists in the snapshot's item index space (CSR), best first.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct NeighbourTable {
    offsets: Vec<usize>,
    neighbours: Vec<u32>,
    scores: Vec<f32>,
}

impl NeighbourTable {
    /// Neighbours and similarities of item `i` (empty when out of range).
    pub(crate) fn row(&self, i: u32) -> (&[u32], &[f32]) {
        let i = i as usize;
        if i + 1 >= self.offsets.len() {
            return (&[], &[]);
        }
        let r = self.offsets[i]..self.offsets[i + 1];
        (&self.neighbours[r.clone()], &self.scores[r])
    }
}

/// Build the neighbour table of `n` items: `row(i, scratch, candidates)` accumulates item
/// `i`'s row into `scratch` and pushes `(neighbour, similarity)` candidates (similarity > 0);
/// the scratch is reset afterwards. Rows are computed in parallel.
pub(crate) fn build_table<F>(n: usize, k: usize, row: F) -> NeighbourTable
where
    F: Fn(u32, &mut Scratch, &mut Vec<(u32, f32)>) + Sync,
{
    let rows: Vec<Vec<(u32, f32)>> = (0..n as u32)
        .into_par_iter()
        .with_min_len(64)
        .map_init(
            || (Scratch::new(n), Vec::new()),
            |(scratch, cand), i| {
                cand.clear();
                row(i, scratch, cand);
                scratch.reset();
                cand.retain(|&(j, s)| j != i && s > 0.0 && s.is_finite());
                top_k(cand, k);
                cand.clone()
            },
        )
        .collect();
    let total: usize = rows.iter().map(Vec::len).sum();
    let mut t = NeighbourTable {
        offsets: Vec::with_capacity(n + 1),
        neighbours: Vec::with_capacity(total),
        scores: Vec::with_capacity(total),
    };
    t.offsets.push(0);
    for r in rows {
        for (j, s) in r {
            t.neighbours.push(j);
            t.scores.push(s);
        }
        t.offsets.push(t.neighbours.len());
    }
    t
}

/// Item-user incidence used for co-occurrence counting.
///
/// Each eligible user contributes the set of their most recent [`MAX_USER_ITEMS`] distinct
/// eligible items; the weight of (user, item) is the largest event weight of the user on the
/// item (1 without an events configuration) times the item's scale (see [`CoocIndex::build`]).
pub(crate) struct CoocIndex {
    user_off: Vec<usize>,
    user_items: Vec<u32>,
    user_w: Vec<f32>,
    item_off: Vec<usize>,
    item_users: Vec<u32>,
    item_w: Vec<f32>,
    /// `N_i = Σ_u w_ui`: the item's (weighted, scaled) number of eligible users.
    pub mass: Vec<f32>,
}

impl CoocIndex {
    /// `user_ok[u]`: whether user `u` takes part; `item_scale[i]`: multiplier of item `i`'s
    /// weights (0 = the item takes no part: it is nobody's neighbour and has no row).
    pub(crate) fn build(data: &TrainingData, user_ok: &[bool], item_scale: &[f32]) -> CoocIndex {
        let per_user: Vec<Vec<(u32, f32)>> = (0..data.num_users() as u32)
            .into_par_iter()
            .with_min_len(256)
            .map_init(Vec::new, |buf: &mut Vec<(u32, f32, u32)>, u| {
                if !user_ok[u as usize] {
                    return Vec::new();
                }
                let h = data.user_interactions(u);
                buf.clear();
                // (item, weight, age): age 0 = newest interaction.
                for (age, idx) in (0..h.len()).rev().enumerate() {
                    let item = h.items[idx];
                    if item_scale[item as usize] > 0.0 {
                        buf.push((item, h.weight(idx), age as u32));
                    }
                }
                buf.sort_unstable_by_key(|e| e.0);
                // One entry per item: largest weight, newest age.
                buf.dedup_by(|b, a| {
                    if a.0 == b.0 {
                        a.1 = a.1.max(b.1);
                        a.2 = a.2.min(b.2);
                        true
                    } else {
                        false
                    }
                });
                if buf.len() > MAX_USER_ITEMS {
                    buf.select_nth_unstable_by_key(MAX_USER_ITEMS, |e| e.2);
                    buf.truncate(MAX_USER_ITEMS);
                }
                buf.iter()
                    .map(|&(i, w, _)| (i, w * item_scale[i as usize]))
                    .filter(|&(_, w)| w > 0.0 && w.is_finite())
                    .collect()
            })
            .collect();
        let n = data.num_items();
        let total: usize = per_user.iter().map(Vec::len).sum();
        let mut user_off = Vec::with_capacity(per_user.len() + 1);
        let mut user_items = Vec::with_capacity(total);
        let mut user_w = Vec::with_capacity(total);
        let mut item_count = vec![0usize; n + 1];
        user_off.push(0);
        for list in &per_user {
            for &(i, w) in list {
                user_items.push(i);
                user_w.push(w);
                item_count[i as usize + 1] += 1;
            }
            user_off.push(user_items.len());
        }
        drop(per_user);
        for i in 0..n {
            item_count[i + 1] += item_count[i];
        }
        let item_off = item_count;
        let mut fill = item_off.clone();
        let mut item_users = vec![0u32; total];
        let mut item_w = vec![0f32; total];
        let mut mass = vec![0f32; n];
        for u in 0..user_off.len() - 1 {
            for p in user_off[u]..user_off[u + 1] {
                let i = user_items[p] as usize;
                item_users[fill[i]] = u as u32;
                item_w[fill[i]] = user_w[p];
                fill[i] += 1;
                mass[i] += user_w[p];
            }
        }
        CoocIndex { user_off, user_items, user_w, item_off, item_users, item_w, mass }
    }

    /// Accumulate item `i`'s co-occurrence with every other item into `s.count` / `s.cooc`.
    pub(crate) fn accumulate(&self, i: u32, s: &mut Scratch) {
        let i = i as usize;
        for p in self.item_off[i]..self.item_off[i + 1] {
            let u = self.item_users[p] as usize;
            let wi = self.item_w[p];
            for q in self.user_off[u]..self.user_off[u + 1] {
                let j = self.user_items[q] as usize;
                if j == i {
                    continue;
                }
                s.touch(j);
                s.count[j] += 1;
                s.cooc[j] += wi * self.user_w[q];
            }
        }
    }
}

/// Only the first `META_SCAN_CAP` items (most popular first) of a feature's item list are
/// scanned for candidates: it bounds the cost of very common features (e.g. a genre shared by
/// half the catalogue), at the price of a partial dot product for less popular items.
pub const META_SCAN_CAP: usize = 1000;

/// IDF-weighted item feature vectors (binary features; weight of feature f = idf_f, with
/// `idf_f = ln((1 + N) / (1 + df_f)) + 1`, N = items with features, df_f = items with f).
pub(crate) struct MetaIndex {
    feat_off: Vec<usize>,
    feat_items: Vec<u32>,
    /// idf² per feature.
    idf2: Vec<f32>,
    /// Euclidean norm of each item's vector (0 without features).
    pub norm: Vec<f32>,
}

impl MetaIndex {
    /// `popularity` orders each feature's item list (most popular first, ties by index).
    pub(crate) fn build(data: &TrainingData, popularity: &[f64]) -> MetaIndex {
        let n = data.num_items();
        let nf = data.features().len();
        let mut df = vec![0usize; nf + 1];
        let mut with_features = 0usize;
        for i in 0..n as u32 {
            let f = data.item_features(i);
            with_features += usize::from(!f.is_empty());
            for &x in f {
                df[x as usize + 1] += 1;
            }
        }
        let idf2: Vec<f32> = (0..nf)
            .map(|f| {
                let d = df[f + 1];
                if d == 0 {
                    return 0.0;
                }
                let idf = ((1.0 + with_features as f64) / (1.0 + d as f64)).ln() + 1.0;
                (idf * idf) as f32
            })
            .collect();
        for f in 0..nf {
            df[f + 1] += df[f];
        }
        let feat_off = df;
        let mut fill = feat_off.clone();
        let mut feat_items = vec![0u32; feat_off[nf]];
        let mut norm = vec![0f32; n];
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by(|&a, &b| popularity[b as usize].total_cmp(&popularity[a as usize]).then(a.cmp(&b)));
        for &i in &order {
            let mut sq = 0f32;
            for &x in data.item_features(i) {
                feat_items[fill[x as usize]] = i;
                fill[x as usize] += 1;
                sq += idf2[x as usize];
            }
            norm[i as usize] = sq.sqrt();
        }
        MetaIndex { feat_off, feat_items, idf2, norm }
    }

    /// Accumulate the dot products of item `i` (features `features`) with candidate items
    /// into `s.meta`.
    pub(crate) fn accumulate(&self, i: u32, features: &[u32], s: &mut Scratch) {
        for &f in features {
            let f = f as usize;
            if f + 1 >= self.feat_off.len() {
                continue;
            }
            let w = self.idf2[f];
            let list = &self.feat_items[self.feat_off[f]..self.feat_off[f + 1]];
            for &j in &list[..list.len().min(META_SCAN_CAP)] {
                if j == i {
                    continue;
                }
                s.touch(j as usize);
                s.meta[j as usize] += w;
            }
        }
    }
}

/// A fitted related-items model in the snapshot's index space.
pub(crate) struct FittedRelated {
    pub recipe: &'static str,
    pub table: NeighbourTable,
    /// Weighted distinct-user count per item index.
    pub popularity: Vec<f32>,
    /// Items with interactions, most popular first.
    pub popular: Vec<u32>,
    /// Item ids by index.
    pub ids: Vec<Arc<str>>,
}

impl FittedRelated {
    pub(crate) fn new(recipe: &'static str, data: &TrainingData, table: NeighbourTable, popularity: &[f64]) -> Self {
        let seen: Vec<bool> = popularity.iter().map(|&p| p > 0.0).collect();
        let popular = popular_order(data, popularity, &seen);
        FittedRelated {
            recipe,
            table,
            popularity: popularity.iter().map(|&p| p as f32).collect(),
            popular,
            ids: data.items().iter().map(Arc::from).collect(),
        }
    }
}

/// Recency-weighted aggregation of the neighbour lists of the `RECENT_ITEMS` most recent
/// distinct items of `history`: candidate score = Σ_k `RECENCY_DECAY^k` · sim(item_k, j) /
/// max sim of item_k's list; items of the history are excluded; the list is completed with
/// popular items.
pub(crate) fn recommend_from_history(
    table: &NeighbourTable,
    popular: &[u32],
    history: UserInteractions<'_>,
    n: usize,
    out: &mut Vec<u32>,
) {
    let mut seen: FxHashMap<u32, ()> = FxHashMap::default();
    seen.reserve(history.len());
    for &i in history.items {
        seen.insert(i, ());
    }
    let mut recent: Vec<u32> = Vec::with_capacity(RECENT_ITEMS);
    for &i in history.items.iter().rev() {
        if !recent.contains(&i) {
            recent.push(i);
            if recent.len() == RECENT_ITEMS {
                break;
            }
        }
    }
    let mut scores: FxHashMap<u32, f32> = FxHashMap::default();
    let mut weight = 1.0f32;
    for &i in &recent {
        let (nbrs, sims) = table.row(i);
        if let Some(&top) = sims.first() {
            for (&j, &s) in nbrs.iter().zip(sims) {
                if !seen.contains_key(&j) {
                    *scores.entry(j).or_insert(0.0) += weight * s / top;
                }
            }
        }
        weight *= RECENCY_DECAY;
    }
    let mut ranked: Vec<(u32, f32)> = scores.into_iter().collect();
    ranked.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let start = out.len();
    for (j, _) in ranked.into_iter().take(n) {
        out.push(j);
        seen.insert(j, ());
    }
    for &j in popular {
        if out.len() - start >= n {
            break;
        }
        if !seen.contains_key(&j) {
            out.push(j);
        }
    }
}

impl FittedModel for FittedRelated {
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
    fn recommend_indices(&self, _user: u32, history: UserInteractions<'_>, n: usize, out: &mut Vec<u32>) {
        recommend_from_history(&self.table, &self.popular, history, n, out);
    }

    /// Items kept: those with interactions, with neighbours, or that are someone's neighbour.
    fn to_artifact(&self) -> ModelArtifact {
        let n = self.ids.len();
        let mut keep = vec![false; n];
        for (i, k) in keep.iter_mut().enumerate() {
            *k = self.popularity.get(i).is_some_and(|&p| p > 0.0) || !self.table.row(i as u32).0.is_empty();
        }
        for &j in &self.table.neighbours {
            keep[j as usize] = true;
        }
        let mut pos = vec![u32::MAX; n];
        let mut next = 0u32;
        for i in 0..n {
            if keep[i] {
                pos[i] = next;
                next += 1;
            }
        }
        let mut b = ByteWriter::with_capacity(4 + next as usize * 16 + self.table.neighbours.len() * 8);
        b.u32(next);
        for i in (0..n).filter(|&i| keep[i]) {
            b.str(&self.ids[i]);
            b.f32(self.popularity.get(i).copied().unwrap_or(0.0));
            let (nbrs, sims) = self.table.row(i as u32);
            b.u32(nbrs.len() as u32);
            for (&j, &s) in nbrs.iter().zip(sims) {
                b.u32(pos[j as usize]);
                b.f32(s);
            }
        }
        ModelArtifact { recipe: self.recipe.to_string(), format_version: FORMAT_VERSION, payload: b.into_bytes() }
    }
}

mod related_model;
pub(crate) use related_model::RelatedModel;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_top_k() {
        let mut v = vec![5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(quantile(&mut v, 0.0), Some(1.0));
        assert_eq!(quantile(&mut v, 1.0), Some(5.0));
        assert_eq!(quantile(&mut v, 0.5), Some(3.0));
        assert_eq!(quantile(&mut [], 0.5), None);
        let mut c = vec![(3, 0.5), (1, 0.9), (2, 0.5), (0, 0.1)];
        top_k(&mut c, 3);
        assert_eq!(c, [(1, 0.9), (2, 0.5), (3, 0.5)]);
    }
}
