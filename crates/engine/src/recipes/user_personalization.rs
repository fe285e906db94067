//! `aws-user-personalization` (and `-v2`), `aws-personalized-ranking` (and `-v2`): one
//! implicit-feedback matrix factorisation model that serves both recommendation and ranking,
//! and whose user state can be updated from new events instantly (closed-form fold-in).
//!
//! Training (see `docs/user-personalization.md`):
//!
//! * Confidence of a (user, item) pair: `c = 1 + alpha · Σ_events weight · decay`, where
//!   `weight` is the eventsConfig weight of the event's type and `decay = 0.5^(age / half_life)`
//!   with the age measured from the user's newest interaction (repeated interactions add up).
//! * Implicit ALS with `cg_steps` conjugate-gradient steps per row and iteration, `f32`,
//!   parallel over users / items (rayon), SIMD inner loops.
//! * Sequence component: the stored user vector is `x_u + sequence_weight · q_u`, where `q_u`
//!   is a position-decayed mean of the factors of the user's `bptt` most recent items, so the
//!   newest interests weigh more at serving time.
//! * Cold items (no interactions) get factors predicted from their metadata tokens by ridge
//!   regression fitted on the warm items; cold users with metadata likewise from user tokens.
//! * Exploration (campaigns' itemExplorationConfig): see [`super::exploration`].
//! * Context: a smoothed log-lift table `ln P(item | context token) / P(item)` added to the
//!   logits at request time (`context_weight`).
//!
//! Scores are a softmax of `score_scale · x·y_j (+ context lift)` over the whole catalogue
//! (GetRecommendations) or over the known input items (GetPersonalizedRanking).
//!
//! Here: hyperparameters and the model's state. Beside it: `training` (the fit), `self_tuning`,
//! `context`, `serving` (selection, fold-in, ranking), `clusters` (the pruning index),
//! `batching`, `encoding` (the artifact payload) and `plugin` (the engine's traits).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::artifact::ModelArtifact;
use crate::error::EngineError;
use crate::evaluation;
use crate::model::{FittedModel, HistoryEvent, Model, NewItem, RankQuery, RecommendQuery, ScoredItem};
use crate::recipe::{Recipe, RecipeInfo, RecipeType};
use crate::recipes::als::{self, Csr};
use crate::recipes::exploration::{self, ExplorationIndex, Pick};
use crate::solution_config::{ParamKind, ParamSpec, TrainingConfig};
use crate::top_k::{top_filtered, SortedTop};
use crate::training_data::{TrainingData, UserInteractions, NO_CONTEXT};

mod batching;
mod candidates;
mod clusters;
mod context;
mod encoding;
mod exploring;
mod plugin;
mod popular;
mod self_tuning;
mod serving;
mod training;

use batching::*;
use clusters::*;
use context::*;
pub use self_tuning::self_tune;
use training::*;
pub use training::{fit, fit_after_evaluation, fit_timed, fit_warm, update, FitTimings, UPDATE_ITERATIONS};

/// Payload format of this build.
/// 3: the optimization objective's logit term per item (2: none).
/// 2: interaction counts per item and the prior spread of item factors (1: a warm flag).
pub const FORMAT_VERSION: u32 = 3;

const DESCRIPTION_UP: &str = "Implicit-feedback matrix factorisation (ALS with recency-weighted confidences, a \
     sequence-aware recent-items component, item/user metadata for cold items and users, and context). User \
     state is updated from new events in real time; cold items are explored.";
const DESCRIPTION_PR: &str = "Reranks an input list of items for a user with the User-Personalization model; \
     items unknown to the model go at the end.";

/// `aws-user-personalization`.
pub const INFO_UP: RecipeInfo = RecipeInfo {
    name: "aws-user-personalization",
    recipe_type: RecipeType::UserPersonalization,
    description: DESCRIPTION_UP,
    algorithm_name: "aws-user-personalization",
    feature_transformation_name: Some("user-personalization"),
    has_scores: true,
};
/// `aws-user-personalization-v2` (same model in Reko).
pub const INFO_UP_V2: RecipeInfo =
    RecipeInfo { name: "aws-user-personalization-v2", algorithm_name: "aws-user-personalization-v2", ..INFO_UP };
/// `aws-personalized-ranking`.
pub const INFO_PR: RecipeInfo = RecipeInfo {
    name: "aws-personalized-ranking",
    recipe_type: RecipeType::PersonalizedRanking,
    description: DESCRIPTION_PR,
    algorithm_name: "aws-personalized-ranking",
    feature_transformation_name: Some("user-personalization"),
    has_scores: true,
};
/// `aws-personalized-ranking-v2` (same model in Reko).
pub const INFO_PR_V2: RecipeInfo =
    RecipeInfo { name: "aws-personalized-ranking-v2", algorithm_name: "aws-personalized-ranking-v2", ..INFO_PR };

/// The recipe plug-in; one instance per recipe name, all sharing the implementation.
pub struct UserPersonalization {
    info: &'static RecipeInfo,
}

/// `aws-user-personalization`.
pub static USER_PERSONALIZATION: UserPersonalization = UserPersonalization { info: &INFO_UP };
/// `aws-user-personalization-v2`.
pub static USER_PERSONALIZATION_V2: UserPersonalization = UserPersonalization { info: &INFO_UP_V2 };
/// `aws-personalized-ranking`.
pub static PERSONALIZED_RANKING: UserPersonalization = UserPersonalization { info: &INFO_PR };
/// `aws-personalized-ranking-v2`.
pub static PERSONALIZED_RANKING_V2: UserPersonalization = UserPersonalization { info: &INFO_PR_V2 };

/// Accepted `algorithmHyperParameters` (see `docs/user-personalization.md`).
pub const HYPERPARAMETERS: &[ParamSpec] = &[
    ParamSpec { name: "hidden_dimension", kind: ParamKind::Int { min: 32, max: 256 }, default: "64" },
    ParamSpec { name: "num_iterations", kind: ParamKind::Int { min: 1, max: 100 }, default: "15" },
    ParamSpec { name: "regularization", kind: ParamKind::Float { min: 0.0, max: 10000.0 }, default: "10" },
    ParamSpec { name: "alpha", kind: ParamKind::Float { min: 0.0, max: 10000.0 }, default: "2" },
    ParamSpec { name: "cg_steps", kind: ParamKind::Int { min: 1, max: 32 }, default: "3" },
    ParamSpec { name: "recency_half_life_days", kind: ParamKind::Float { min: 0.001, max: 100000.0 }, default: "30" },
    ParamSpec { name: "sequence_weight", kind: ParamKind::Float { min: 0.0, max: 100.0 }, default: "2" },
    ParamSpec { name: "sequence_decay", kind: ParamKind::Float { min: 0.0, max: 1.0 }, default: "0.7" },
    ParamSpec { name: "context_weight", kind: ParamKind::Float { min: 0.0, max: 10.0 }, default: "1" },
    ParamSpec { name: "metadata_regularization", kind: ParamKind::Float { min: 0.0, max: 10000.0 }, default: "1" },
    ParamSpec { name: "score_scale", kind: ParamKind::Float { min: 0.0, max: 1000.0 }, default: "10" },
    // Personalize names kept for compatibility (mapping in the docs).
    ParamSpec { name: "bptt", kind: ParamKind::Int { min: 2, max: 32 }, default: "32" },
    ParamSpec { name: "recency_mask", kind: ParamKind::Bool, default: "true" },
    ParamSpec {
        name: "event_value_scaling",
        kind: ParamKind::Categorical(&["auto", "none", "linear", "log", "quantile"]),
        default: "auto",
    },
    ParamSpec {
        name: "min_user_history_length_percentile",
        kind: ParamKind::Float { min: 0.0, max: 1.0 },
        default: "0.0",
    },
    ParamSpec {
        name: "max_user_history_length_percentile",
        kind: ParamKind::Float { min: 0.0, max: 1.0 },
        default: "0.99",
    },
];

/// Resolved hyperparameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub factors: usize,
    pub iterations: usize,
    pub regularization: f32,
    pub alpha: f32,
    pub cg_steps: usize,
    pub half_life_days: f64,
    pub recency: bool,
    pub sequence_weight: f32,
    pub sequence_decay: f32,
    pub bptt: usize,
    pub context_weight: f32,
    pub metadata_regularization: f32,
    pub score_scale: f32,
    pub min_history_percentile: f64,
    pub max_history_percentile: f64,
    /// How EVENT_VALUE shapes confidences (`Auto` until a fit resolves it).
    pub value_scaling: ValueScaling,
    /// The median positive event value of the training data: values are taken relative to it.
    pub value_median: f32,
}

/// One request answered by the pruned search and by a full scan
/// ([`UpModel::pruned_against_full_scan`]).
#[derive(Debug, Clone)]
pub struct PrunedComparison {
    pub pruned: Vec<ScoredItem>,
    pub full: Vec<ScoredItem>,
    /// Items the pruned search scored.
    pub scored: usize,
    /// Items in the catalogue.
    pub catalogue: usize,
}

/// How an interaction's EVENT_VALUE scales its confidence (`event_value_scaling`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueScaling {
    /// Chosen by validation when training ([`self_tune`], run by `crate::train`); a bare fit
    /// (and an update of a model trained before values counted) takes `None`.
    Auto,
    /// Values are ignored (each event counts as one).
    None,
    /// `value / median`.
    Linear,
    /// `log2(1 + value / median)`: heavy-tailed counts (plays, seconds, quantities) without
    /// letting the outliers dominate.
    Log,
    /// `0.5 + the value's mid-rank among the user's own values` (0 to 1): each user's values
    /// measured against their own, so that neither a heavy user's scale nor a tail of any
    /// weight moves a confidence more than threefold.
    Quantile,
}

impl ValueScaling {
    pub const NAMES: [(&'static str, ValueScaling); 5] = [
        ("auto", ValueScaling::Auto),
        ("none", ValueScaling::None),
        ("linear", ValueScaling::Linear),
        ("log", ValueScaling::Log),
        // Appended: an artifact stores the position in this list.
        ("quantile", ValueScaling::Quantile),
    ];

    pub fn name(self) -> &'static str {
        Self::NAMES.iter().find(|(_, v)| *v == self).map_or("auto", |(n, _)| n)
    }

    /// The factor of an event with value `v` (NaN: no value; such events, and non-positive
    /// values, count as a typical event).
    #[inline]
    fn factor(self, v: f32, median: f32) -> f32 {
        if v.is_nan() || v <= 0.0 || median <= 0.0 {
            return 1.0;
        }
        match self {
            ValueScaling::Auto | ValueScaling::None | ValueScaling::Quantile => 1.0,
            ValueScaling::Linear => v / median,
            ValueScaling::Log => (1.0 + v / median).log2(),
        }
    }

    /// The factors of one user's events with `values` (into `out`, same order).
    fn user_factors(self, values: &[f32], median: f32, out: &mut Vec<f32>) {
        out.clear();
        if self != ValueScaling::Quantile {
            out.extend(values.iter().map(|&v| self.factor(v, median)));
            return;
        }
        out.resize(values.len(), 1.0);
        let mut order: Vec<u32> = (0..values.len() as u32).filter(|&i| values[i as usize] > 0.0).collect();
        order.sort_unstable_by(|&a, &b| values[a as usize].total_cmp(&values[b as usize]));
        let n = order.len() as f32;
        let mut start = 0;
        while start < order.len() {
            let v = values[order[start] as usize];
            let end = start + order[start..].iter().take_while(|&&i| values[i as usize] == v).count();
            // Ties share their mid-rank.
            let q = (start as f32 + 0.5 * (end - start) as f32) / n;
            for &i in &order[start..end] {
                out[i as usize] = 0.5 + q;
            }
            start = end;
        }
    }

    /// The scaling a fit uses for `data`, and the median positive value.
    fn resolve(self, data: &TrainingData) -> (ValueScaling, f32) {
        let values = value_sample(data);
        let median = if values.is_empty() { 1.0 } else { values[values.len() / 2] };
        let scaling = if self == ValueScaling::Auto { ValueScaling::None } else { self };
        (scaling, median)
    }

    /// Whether `data`'s event values can scale confidences: some positive, none negative.
    fn usable(data: &TrainingData) -> bool {
        data.event_values().iter().any(|v| *v > 0.0) && !data.event_values().iter().any(|v| *v < 0.0)
    }
}

/// Up to about a million positive event values of `data`, evenly spread, sorted.
fn value_sample(data: &TrainingData) -> Vec<f32> {
    let all = data.event_values();
    let step = all.len().div_ceil(1 << 20).max(1);
    let mut v: Vec<f32> = all.iter().step_by(step).copied().filter(|v| *v > 0.0).collect();
    v.sort_unstable_by(f32::total_cmp);
    v
}

impl Params {
    /// Hyperparameters from a (validated) configuration, defaults for the missing ones.
    pub fn from_config(config: &TrainingConfig) -> Params {
        let get = |name: &str| -> f64 {
            let spec = HYPERPARAMETERS.iter().find(|s| s.name == name).expect("known hyperparameter");
            let v = config.hyperparameters.get(name).map(String::as_str).unwrap_or(spec.default);
            match spec.kind {
                ParamKind::Bool => f64::from(u8::from(v.trim() == "true")),
                _ => v.trim().parse::<f64>().unwrap_or_else(|_| spec.default.parse().unwrap_or(0.0)),
            }
        };
        Params {
            factors: get("hidden_dimension") as usize,
            iterations: get("num_iterations") as usize,
            regularization: get("regularization") as f32,
            alpha: get("alpha") as f32,
            cg_steps: get("cg_steps") as usize,
            half_life_days: get("recency_half_life_days"),
            recency: get("recency_mask") != 0.0,
            sequence_weight: get("sequence_weight") as f32,
            sequence_decay: get("sequence_decay") as f32,
            bptt: get("bptt") as usize,
            context_weight: get("context_weight") as f32,
            metadata_regularization: get("metadata_regularization") as f32,
            score_scale: get("score_scale") as f32,
            min_history_percentile: get("min_user_history_length_percentile"),
            max_history_percentile: get("max_user_history_length_percentile"),
            value_scaling: config
                .hyperparameters
                .get("event_value_scaling")
                .and_then(|v| ValueScaling::NAMES.iter().find(|(n, _)| *n == v.trim()))
                .map_or(ValueScaling::Auto, |(_, v)| *v),
            value_median: 1.0,
        }
    }
}

/// How an event type counts in fold-in (the eventsConfig of the solution).
#[derive(Debug, Clone, Default, PartialEq)]
struct EventWeights {
    /// `(event type, weight)`; a weight of 0 drops the type.
    by_type: Vec<(String, f32)>,
    /// Weight of event types not listed (and of events without a type).
    other: f32,
}

impl EventWeights {
    fn from_config(config: &TrainingConfig) -> Self {
        let mut by_type = Vec::new();
        let mut other = 1.0f32;
        if !config.event_parameters.is_empty() {
            other = 0.0;
            for p in &config.event_parameters {
                let w = p.weight.unwrap_or(1.0) as f32;
                match &p.event_type {
                    Some(t) => by_type.push((t.clone(), w)),
                    None => other = w,
                }
            }
        }
        if let Some(only) = &config.event_type {
            let w = by_type.iter().find(|(t, _)| t == only).map_or(other, |x| x.1);
            by_type = vec![(only.clone(), w)];
            other = 0.0;
        }
        EventWeights { by_type, other }
    }
    fn weight(&self, event_type: Option<&str>) -> f32 {
        match event_type {
            Some(t) => self.by_type.iter().find(|(n, _)| n == t).map_or(self.other, |x| x.1),
            None => self.other,
        }
    }
}

/// The User-Personalization model, in the index space of the data it was trained on (the
/// catalogue of that snapshot); also the serving model after loading.
pub struct UpModel {
    recipe: &'static str,
    k: usize,
    s: usize,
    params: Params,
    /// Newest interaction timestamp of the training data.
    newest: i64,
    item_ids: Vec<Arc<str>>,
    /// Item factors (`items × s`), cold items' predicted from metadata.
    y: Vec<f32>,
    /// Interactions of each item in the training data (0: never interacted, or added since).
    counts: Vec<u32>,
    /// Established items (more than [`exploration::RARE_MAX`] interactions, at most
    /// [`CALIBRATION_ITEMS`]) and the factors their metadata alone predicts (`len × s`): how a
    /// metadata-predicted relevance translates into a trained one, for exploration.
    calibration: Calibration,
    /// CREATION_TIMESTAMP (`i64::MIN` when unknown).
    created: Vec<i64>,
    /// Recency-weighted popularity, normalised to sum 1 over items.
    popularity: Vec<f32>,
    /// Shared, so a model extended with new items ([`UpModel::with_new_items`]) does not copy them.
    users: Arc<UserFactors>,
    /// `YᵀY + reg·I` over warm items (`s × s`), for fold-in.
    gram: Vec<f32>,
    events: EventWeights,
    /// Context tokens and their log-lift rows (`tokens × items`).
    context_tokens: Vec<String>,
    context_lift: Vec<f32>,
    /// Item metadata tokens and ridge weights (`tokens × s`) predicting item factors.
    item_feature_tokens: Vec<String>,
    item_feature_w: Vec<f32>,
    /// The optimization objective's term added to each item's logit (empty: no objective).
    objective: Vec<f32>,
    item_index: OnceLock<FxHashMap<Arc<str>, u32>>,
    /// Combines concurrent requests' scoring passes (serving).
    batcher: ScoreBatcher,
    /// Exploration candidates (built on first use).
    exploration_index: OnceLock<ExplorationIndex>,
    /// Items grouped by k-means cluster, for exact top-k with pruning (large catalogues).
    clusters: OnceLock<ItemClusters>,
    /// The popularity ranking, for requests without a user vector (built on first use).
    popular: OnceLock<popular::PopularRanking>,
    context_index: OnceLock<HashMap<String, u32>>,
}

/// The users of a model and their vectors.
#[derive(Default)]
struct UserFactors {
    ids: Vec<Arc<str>>,
    /// User vectors (`users × s`), sequence component included; all zero = unknown.
    x: Vec<f32>,
    index: OnceLock<FxHashMap<Arc<str>, u32>>,
}

fn half_life_secs(p: &Params) -> f64 {
    p.half_life_days * 86_400.0
}

#[inline]
fn decay(p: &Params, age_secs: i64) -> f32 {
    if !p.recency {
        return 1.0;
    }
    let age = age_secs.max(0) as f64;
    0.5f64.powf(age / half_life_secs(p)) as f32
}

/// Aggregate one user's events into `(item, confidence)` pairs (sorted by item).
fn user_confidences(p: &Params, items: &[u32], ts: &[i64], w: impl Fn(usize) -> f32, out: &mut Vec<(u32, f32)>) {
    out.clear();
    let Some(&newest) = ts.iter().max() else { return };
    for i in 0..items.len() {
        let v = w(i) * decay(p, newest - ts[i]);
        if v > 0.0 {
            out.push((items[i], v));
        }
    }
    out.sort_unstable_by_key(|e| e.0);
    let mut n = 0;
    for j in 0..out.len() {
        if n > 0 && out[n - 1].0 == out[j].0 {
            out[n - 1].1 += out[j].1;
        } else {
            out[n] = out[j];
            n += 1;
        }
    }
    out.truncate(n);
    for e in out.iter_mut() {
        e.1 = 1.0 + p.alpha * e.1;
    }
}

/// Position-decayed mean of the factors of the most recent distinct items (newest first).
fn sequence_vector(p: &Params, y: &[f32], s: usize, recent_newest_first: impl Iterator<Item = u32>, out: &mut [f32]) {
    out.fill(0.0);
    let mut wsum = 0.0f32;
    let mut w = 1.0f32;
    for (n, i) in recent_newest_first.enumerate() {
        if n >= p.bptt {
            break;
        }
        let row = &y[i as usize * s..(i as usize + 1) * s];
        for (o, v) in out.iter_mut().zip(row) {
            *o += w * v;
        }
        wsum += w;
        w *= p.sequence_decay;
    }
    if wsum > 0.0 {
        out.iter_mut().for_each(|o| *o /= wsum);
    }
}

/// A recent event for [`UpModel::fold_in`]: `(item id, weight, timestamp)`.
pub type FoldInEvent<'a> = (&'a str, f32, i64);

impl UpModel {
    /// A copy of the model that also knows `items` (added after training, e.g. by PutItems):
    /// each gets the factors its metadata predicts (or the mean item when the model has no item
    /// metadata), no popularity and no interactions, so exploration can show it. Items the
    /// model already knows keep their trained factors. User factors are shared, not copied.
    pub fn with_new_items(&self, items: &[NewItem]) -> UpModel {
        let (s, n) = (self.s, self.item_ids.len());
        let known = self.item_index();
        let mut seen = rustc_hash::FxHashSet::default();
        let fresh: Vec<&NewItem> =
            items.iter().filter(|i| !known.contains_key(i.item_id.as_str()) && seen.insert(&i.item_id)).collect();
        let mut m = UpModel {
            recipe: self.recipe,
            k: self.k,
            s,
            params: self.params.clone(),
            newest: self.newest,
            item_ids: self.item_ids.clone(),
            y: self.y.clone(),
            counts: self.counts.clone(),
            calibration: self.calibration.clone(),
            created: self.created.clone(),
            popularity: self.popularity.clone(),
            users: self.users.clone(),
            gram: self.gram.clone(),
            events: self.events.clone(),
            context_tokens: self.context_tokens.clone(),
            context_lift: Vec::new(),
            item_feature_tokens: self.item_feature_tokens.clone(),
            item_feature_w: self.item_feature_w.clone(),
            objective: self.objective.clone(),
            item_index: OnceLock::new(),
            context_index: OnceLock::new(),
            batcher: ScoreBatcher::default(),
            exploration_index: OnceLock::new(),
            clusters: OnceLock::new(),
            popular: OnceLock::new(),
        };
        let mean_item = {
            let warm_rows: Vec<u32> = (0..n as u32).filter(|&i| self.counts[i as usize] > 0).collect();
            rows_mean(&warm_rows, &self.y, s)
        };
        for item in &fresh {
            let tokens: Vec<&str> = item.tokens.iter().map(String::as_str).collect();
            let mut v = self.item_vector_from_features(&tokens).unwrap_or_else(|| mean_item[..self.k].to_vec());
            v.resize(s, 0.0);
            m.item_ids.push(Arc::from(item.item_id.as_str()));
            m.y.extend_from_slice(&v);
            m.counts.push(0);
            m.created.push(item.created.unwrap_or(i64::MIN));
            m.popularity.push(0.0);
            // Items added since training have no known value: the objective treats them as average.
            if !m.objective.is_empty() {
                m.objective.push(0.0);
            }
        }
        // The cluster index (if built) takes the new items into their nearest clusters, so a
        // PutItems does not cost a rebuild.
        if let Some(cl) = self.clusters.get() {
            let _ = m.clusters.set(cl.with_new_items(&m, n));
        }
        // Context lift rows are per item: widen each with zeros for the new items.
        let added = fresh.len();
        m.context_lift.reserve(self.context_tokens.len() * (n + added));
        for row in self.context_lift.chunks_exact(n.max(1)).take(self.context_tokens.len()) {
            m.context_lift.extend_from_slice(row);
            m.context_lift.extend(std::iter::repeat_n(0.0, added));
        }
        m
    }
}

impl UpModel {
    /// Logits (without context) of several user vectors in one pass over the item factors:
    /// tile by tile, each tile (512 KB at 64 factors) scored for every vector while it is in
    /// cache, tiles spread over the threads.
    fn score_batch(&self, vectors: &[Vec<f32>]) -> Vec<Vec<f32>> {
        const TILE: usize = 2048;
        let (n, s, scale) = (self.item_ids.len(), self.s, self.params.score_scale);
        let mut outs: Vec<Vec<f32>> = vectors.iter().map(|_| vec![0f32; n]).collect();
        let mut per_tile: Vec<Vec<&mut [f32]>> =
            (0..n.div_ceil(TILE)).map(|_| Vec::with_capacity(vectors.len())).collect();
        for out in outs.iter_mut() {
            for (t, chunk) in out.chunks_mut(TILE).enumerate() {
                per_tile[t].push(chunk);
            }
        }
        // Within a tile, sub-tiles small enough for L1 (96 rows = 24 KB at 64 factors) are
        // scored for every vector in turn: the rows are then read from L1, not L2.
        const SUB: usize = 96;
        per_tile.into_par_iter().enumerate().for_each(|(t, mut chunks)| {
            let y = &self.y[t * TILE * s..((t + 1) * TILE).min(n) * s];
            let rows = y.len() / s;
            for start in (0..rows).step_by(SUB) {
                let end = (start + SUB).min(rows);
                for (chunk, v) in chunks.iter_mut().zip(vectors) {
                    als::scores(&y[start * s..end * s], v, s, scale, &mut chunk[start..end]);
                    self.add_objective(t * TILE + start, &mut chunk[start..end]);
                }
            }
        });
        outs
    }
}

/// Catalogues of at least this many items are served through [`ItemClusters`] (smaller ones
/// are cheap to scan). At 10,000 items the server answered 5,738 requests/s scanning and
/// scoring the softmax over the catalogue, against 10,335 at 100,000 items through the index
/// (`benchmarks/growth/run.sh`, BENCHMARKS.md).
pub const PRUNE_MIN_ITEMS: usize = 5_000;
/// Users an offline evaluation must score for it to build the cluster index first.
const EVAL_PRUNE_MIN_USERS: usize = 5_000;

#[cfg(test)]
mod growth_tests;
#[cfg(test)]
mod impressions_tests;
#[cfg(test)]
mod tests;
