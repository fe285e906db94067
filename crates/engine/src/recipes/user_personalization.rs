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

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::artifact::ModelArtifact;
use crate::error::EngineError;
use crate::evaluation;
use crate::model::{HistoryEvent, Model, NewItem, RankQuery, RecommendQuery, ScoredItem};
use crate::recipe::{FittedModel, ParamKind, ParamSpec, Recipe, RecipeInfo, TrainingConfig};
use crate::recipes::als::{self, Csr};
use crate::recipes::exploration::{self, ExplorationIndex, Pick};
use crate::training_data::{TrainingData, UserInteractions, NO_CONTEXT};

/// Payload format of this build.
/// 2: interaction counts per item and the prior spread of item factors (1: a warm flag).
pub const FORMAT_VERSION: u32 = 2;

const DESCRIPTION_UP: &str = "Implicit-feedback matrix factorisation (ALS with recency-weighted confidences, a \
     sequence-aware recent-items component, item/user metadata for cold items and users, and context). User \
     state is updated from new events in real time; cold items are explored.";
const DESCRIPTION_PR: &str = "Reranks an input list of items for a user with the User-Personalization model; \
     items unknown to the model go at the end.";

/// `aws-user-personalization`.
pub const INFO_UP: RecipeInfo = RecipeInfo {
    name: "aws-user-personalization",
    recipe_type: "USER_PERSONALIZATION",
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
    recipe_type: "PERSONALIZED_RANKING",
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
        kind: ParamKind::Categorical(&["auto", "none", "linear", "log"]),
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
}

impl ValueScaling {
    pub const NAMES: [(&'static str, ValueScaling); 4] = [
        ("auto", ValueScaling::Auto),
        ("none", ValueScaling::None),
        ("linear", ValueScaling::Linear),
        ("log", ValueScaling::Log),
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
            ValueScaling::Auto | ValueScaling::None => 1.0,
            ValueScaling::Linear => v / median,
            ValueScaling::Log => (1.0 + v / median).log2(),
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
    item_index: OnceLock<FxHashMap<Arc<str>, u32>>,
    /// Combines concurrent requests' scoring passes (serving).
    batcher: ScoreBatcher,
    /// Exploration candidates (built on first use).
    exploration_index: OnceLock<ExplorationIndex>,
    /// Items grouped by k-means cluster, for exact top-k with pruning (large catalogues).
    clusters: OnceLock<ItemClusters>,
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

/// Percentile (nearest rank) of a sorted list.
fn percentile(sorted: &[usize], q: f64) -> usize {
    if sorted.is_empty() {
        return 0;
    }
    let idx = ((sorted.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize;
    sorted[idx]
}

/// Where a fit spent its time (for benchmarks).
#[derive(Debug, Clone, Default)]
pub struct FitTimings {
    /// Confidences and CSR matrices.
    pub prepare: std::time::Duration,
    /// Each ALS iteration (user half + item half).
    pub iterations: Vec<std::time::Duration>,
    /// Final user solve, metadata regressions, sequence component, popularity, context.
    pub finish: std::time::Duration,
}

/// Fit the model on (filtered) data.
pub fn fit(recipe: &'static str, data: &TrainingData, config: &TrainingConfig) -> UpModel {
    fit_timed(recipe, data, config).0
}

/// ALS iterations of a `trainingMode=UPDATE` refresh: it starts from the previous model's item
/// factors, so a couple of sweeps fold in new users, items and interactions.
pub const UPDATE_ITERATIONS: usize = 2;

/// [`fit`], also reporting where the time went.
pub fn fit_timed(recipe: &'static str, data: &TrainingData, config: &TrainingConfig) -> (UpModel, FitTimings) {
    fit_from(recipe, data, config, None)
}

/// The final fit of a training run, warm-started from the model the offline evaluation fitted
/// on 90% of the users: its item factors have converged on almost the same data, so a third of
/// the configured iterations (at least [`UPDATE_ITERATIONS`]) reach the quality of a fit from
/// scratch (measured on MovieLens 100K and synthetic data, see BENCHMARKS.md) at a third of
/// the cost.
pub fn fit_after_evaluation(
    recipe: &'static str,
    evaluated: &UpModel,
    data: &TrainingData,
    config: &TrainingConfig,
) -> (UpModel, FitTimings) {
    let iterations = Params::from_config(config).iterations.div_ceil(3).max(UPDATE_ITERATIONS);
    fit_from(recipe, data, config, Some((evaluated, iterations)))
}

/// Iterations of each candidate fit when a training run tunes itself (the ranking of candidates
/// settles long before the factors do).
const TUNING_ITERATIONS: usize = 5;
/// Largest sample (interactions) whose candidates run the full iterations.
const TUNING_FULL_MAX: usize = 300_000;
/// How much better (relative NDCG@10) a candidate must score to replace the default setting.
const TUNING_MARGIN: f64 = 0.02;

/// What a training run chooses itself where the configuration leaves it open, on
/// [`evaluation::validation_split`] by NDCG@10, one group of settings after the other (each
/// group's candidates fitted with the choices so far): `event_value_scaling` (when the
/// interactions carry usable event values), `alpha` with `regularization` (0.5 and 1, 2 and 10,
/// 8 and 100), then `hidden_dimension` (32 or 64). A setting the configuration fixes is left
/// alone.
pub fn self_tune(
    recipe: &'static str,
    data: &TrainingData,
    config: &TrainingConfig,
) -> Result<BTreeMap<String, String>, EngineError> {
    let mut chosen = BTreeMap::new();
    let mut groups: Vec<Vec<Vec<(&str, &str)>>> = Vec::new();
    if ValueScaling::usable(data) {
        groups.push(["none", "log", "linear"].iter().map(|v| vec![("event_value_scaling", *v)]).collect());
    }
    // alpha and regularization together: the confidence of repeated events against how
    // strongly factors shrink (their ratio matters more than either alone).
    groups.push(
        [("0.5", "1"), ("2", "10"), ("8", "100")]
            .iter()
            .map(|(a, r)| vec![("alpha", *a), ("regularization", *r)])
            .collect(),
    );
    groups.push(["32", "64"].iter().map(|v| vec![("hidden_dimension", *v)]).collect());
    groups.retain(|g| g[0].iter().all(|(name, _)| !config.hyperparameters.contains_key(*name)));
    if groups.is_empty() {
        return Ok(chosen);
    }
    let split = evaluation::validation_split(data, evaluation::TUNING_USERS, evaluation::TUNING_TEST_USERS);
    if split.test.is_empty() {
        return Ok(chosen);
    }
    // Few iterations favour little regularization (stopping early regularizes too): candidates
    // run the full iterations unless the sample is large.
    let full = Params::from_config(config).iterations;
    let iterations =
        if split.train.num_interactions() > TUNING_FULL_MAX { full.min(TUNING_ITERATIONS) } else { full }.to_string();
    for group in groups {
        // The candidate the defaults would use is kept unless another beats it clearly.
        let defaults = Params::from_config(config);
        let is_default = |c: &Vec<(&str, &str)>| {
            let mut with = config.clone();
            with.hyperparameters.extend(c.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            Params::from_config(&with) == defaults
        };
        let mut best: Option<(f64, &Vec<(&str, &str)>)> = None;
        let mut incumbent: Option<(f64, &Vec<(&str, &str)>)> = None;
        for candidate in &group {
            let mut c = config.clone();
            c.hyperparameters.extend(chosen.iter().map(|(k, v): (&String, &String)| (k.clone(), v.clone())));
            c.hyperparameters.extend(candidate.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            c.hyperparameters.insert("num_iterations".into(), iterations.clone());
            let model = fit(recipe, &split.train, &c);
            let ndcg = evaluation::evaluate_model(&model, &split)["normalized_discounted_cumulative_gain_at_10"];
            if best.is_none_or(|(b, _)| ndcg > b) {
                best = Some((ndcg, candidate));
            }
            if is_default(candidate) {
                incumbent = Some((ndcg, candidate));
            }
        }
        let pick = match (best, incumbent) {
            (Some((b, _)), Some((i, c))) if b < i * (1.0 + TUNING_MARGIN) => Some(c),
            (Some((_, c)), _) => Some(c),
            _ => None,
        };
        if let Some(candidate) = pick {
            chosen.extend(candidate.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        }
    }
    Ok(chosen)
}

/// `trainingMode=UPDATE`: refit starting from `previous`'s item factors (matched by item id) with
/// [`UPDATE_ITERATIONS`] sweeps instead of a full training. Items new since `previous` start from
/// their metadata vector when they have interactions, else as in a full fit.
pub fn update(recipe: &'static str, previous: &UpModel, data: &TrainingData, config: &TrainingConfig) -> UpModel {
    fit_from(recipe, data, config, Some((previous, UPDATE_ITERATIONS))).0
}

/// Fit; with `warm_start = Some((previous, iterations))`, items `previous` knows start from its
/// factors and only `iterations` sweeps run (when the factor counts agree).
fn fit_from(
    recipe: &'static str,
    data: &TrainingData,
    config: &TrainingConfig,
    warm_start: Option<(&UpModel, usize)>,
) -> (UpModel, FitTimings) {
    let mut timings = FitTimings::default();
    let t0 = std::time::Instant::now();
    let mut p = Params::from_config(config);
    let warm_start = warm_start.filter(|(prev, _)| prev.k == p.factors);
    if let Some((_, iterations)) = warm_start {
        p.iterations = iterations;
    }
    let previous = warm_start.map(|(prev, _)| prev);
    // An update keeps the value scaling its model's training chose.
    if let (ValueScaling::Auto, Some(prev)) = (p.value_scaling, previous) {
        p.value_scaling = prev.params.value_scaling;
    }
    (p.value_scaling, p.value_median) = p.value_scaling.resolve(data);
    let (k, s) = (p.factors, als::stride(p.factors));
    let n_users = data.num_users();
    let n_items = data.num_items();

    // 1. Confidences, user-major CSR.
    // Two passes (pair counts, then fill) so no intermediate copy of the matrix is needed.
    const CHUNK: usize = 4096;
    let mut indptr = vec![0usize; n_users + 1];
    indptr[1..].par_chunks_mut(CHUNK).enumerate().for_each(|(c, lens)| {
        let mut pairs = Vec::new();
        for (j, l) in lens.iter_mut().enumerate() {
            let h = data.user_interactions((c * CHUNK + j) as u32);
            user_confidences(
                &p,
                h.items,
                h.timestamps,
                |i| h.weight(i) * p.value_scaling.factor(h.event_values[i], p.value_median),
                &mut pairs,
            );
            *l = pairs.len();
        }
    });
    for u in 0..n_users {
        indptr[u + 1] += indptr[u];
    }
    let nnz = indptr[n_users];
    let mut indices = vec![0u32; nnz];
    let mut conf = vec![0f32; nnz];
    {
        let mut slices = Vec::with_capacity(n_users.div_ceil(CHUNK));
        let (mut rest_i, mut rest_c) = (&mut indices[..], &mut conf[..]);
        for c in 0..n_users.div_ceil(CHUNK) {
            let len = indptr[((c + 1) * CHUNK).min(n_users)] - indptr[c * CHUNK];
            let (a, b) = std::mem::take(&mut rest_i).split_at_mut(len);
            let (ca, cb) = std::mem::take(&mut rest_c).split_at_mut(len);
            slices.push((c, a, ca));
            rest_i = b;
            rest_c = cb;
        }
        slices.into_par_iter().for_each(|(c, out_i, out_c)| {
            let mut pairs = Vec::new();
            let mut pos = 0;
            for u in c * CHUNK..((c + 1) * CHUNK).min(n_users) {
                let h = data.user_interactions(u as u32);
                user_confidences(
                    &p,
                    h.items,
                    h.timestamps,
                    |i| h.weight(i) * p.value_scaling.factor(h.event_values[i], p.value_median),
                    &mut pairs,
                );
                for (j, &(i, cf)) in pairs.iter().enumerate() {
                    out_i[pos + j] = i;
                    out_c[pos + j] = cf;
                }
                pos += pairs.len();
            }
        });
    }
    let users = Csr { indptr, indices, conf };

    // 2. Users outside the history-length percentiles do not shape the item factors.
    let mut lens: Vec<usize> = (0..n_users).map(|u| data.user_len(u as u32)).filter(|&l| l > 0).collect();
    lens.sort_unstable();
    let (lo, hi) = (percentile(&lens, p.min_history_percentile), percentile(&lens, p.max_history_percentile));
    let items = users.transpose(n_items, |u| {
        let l = data.user_len(u as u32);
        l >= lo && l <= hi
    });
    drop(lens);
    let fitted: Vec<bool> = (0..n_items).map(|i| items.indptr[i + 1] > items.indptr[i]).collect();

    // 3. ALS.
    let mut x = als::init_factors(n_users, s, k, 0x5245_4b4f_5553_4552);
    let mut y = als::init_factors(n_items, s, k, 0x5245_4b4f_4954_454d);
    for (i, w) in fitted.iter().enumerate() {
        if !w {
            y[i * s..(i + 1) * s].fill(0.0);
        }
    }
    if let Some(prev) = previous {
        // Warm start: items the previous model knows keep their factors.
        let index = prev.item_index();
        for (i, id) in data.items().iter().enumerate() {
            // Items that were cold before start from their metadata vector, better than noise.
            if let (true, Some(&j)) = (fitted[i], index.get(id)) {
                let j = j as usize;
                y[i * s..(i + 1) * s].copy_from_slice(&prev.y[j * s..(j + 1) * s]);
            }
        }
    }
    timings.prepare = t0.elapsed();
    for _ in 0..p.iterations {
        let t = std::time::Instant::now();
        als::update_side(&mut x, &y, &users, s, k, p.regularization, p.cg_steps);
        als::update_side(&mut y, &x, &items, s, k, p.regularization, p.cg_steps);
        timings.iterations.push(t.elapsed());
    }
    let t1 = std::time::Instant::now();
    drop(items);
    // Final user solve against the final item factors.
    als::update_side(&mut x, &y, &users, s, k, p.regularization, p.cg_steps);
    let gram = als::gram(&y, s, k, p.regularization);
    drop(users);

    // 4. Cold items from metadata (ridge regression fitted on the fitted items), and what
    // metadata predicts for a sample of established items (exploration's calibration).
    let mut counts = vec![0u32; n_items];
    for &i in data.interaction_items() {
        counts[i as usize] = counts[i as usize].saturating_add(1);
    }
    let mut calibration = Calibration::sample(&counts, s);
    let num_features = data.features().len();
    let mut item_feature_w = Vec::new();
    let mut item_feature_tokens = Vec::new();
    let has_item_features = (0..n_items).any(|i| !data.item_features(i as u32).is_empty());
    if has_item_features {
        let fitted_rows: Vec<u32> = (0..n_items as u32).filter(|&i| fitted[i as usize]).collect();
        let (w, mean) = metadata_regression(
            &fitted_rows,
            |i| data.item_features(i),
            &y,
            s,
            num_features,
            p.metadata_regularization,
        );
        let mut v = vec![0f32; s];
        for (c, &i) in calibration.items.iter().enumerate() {
            predict_from_metadata(&w, &mean, s, data.item_features(i), &mut calibration.predicted[c * s..(c + 1) * s]);
        }
        for i in 0..n_items {
            if !fitted[i] {
                predict_from_metadata(&w, &mean, s, data.item_features(i as u32), &mut v);
                y[i * s..(i + 1) * s].copy_from_slice(&v);
            }
        }
        // Keep only the features items use (plus the intercept as token "").
        let mut used = vec![false; num_features];
        for i in 0..n_items {
            for &f in data.item_features(i as u32) {
                used[f as usize] = true;
            }
        }
        item_feature_tokens.push(String::new());
        item_feature_w.extend_from_slice(&mean);
        for f in 0..num_features {
            if used[f] {
                item_feature_tokens.push(data.features().name(f as u32).to_string());
                item_feature_w.extend_from_slice(&w[f * s..(f + 1) * s]);
            }
        }
    }
    if !has_item_features {
        let fitted_rows: Vec<u32> = (0..n_items as u32).filter(|&i| fitted[i as usize]).collect();
        calibration.predict_all(&rows_mean(&fitted_rows, &y, s));
    }

    // 5. Sequence component and cold users with metadata.
    if p.sequence_weight > 0.0 {
        x.par_chunks_mut(s).enumerate().for_each(|(u, xu)| {
            let h = data.user_interactions(u as u32);
            if h.is_empty() {
                return;
            }
            let mut q = vec![0f32; s];
            sequence_vector(&p, &y, s, recent_distinct(h), &mut q);
            xu.iter_mut().zip(&q).for_each(|(a, b)| *a += p.sequence_weight * b);
        });
    }
    let has_user_features = (0..n_users).any(|u| !data.user_features(u as u32).is_empty());
    if has_user_features {
        let warm_users: Vec<u32> =
            (0..n_users as u32).filter(|&u| data.user_len(u) > 0 && !data.user_features(u).is_empty()).collect();
        if !warm_users.is_empty() {
            let (w, mean) = metadata_regression(
                &warm_users,
                |u| data.user_features(u),
                &x,
                s,
                num_features,
                p.metadata_regularization,
            );
            let mut v = vec![0f32; s];
            for u in 0..n_users {
                let f = data.user_features(u as u32);
                if data.user_len(u as u32) == 0 && !f.is_empty() {
                    predict_from_metadata(&w, &mean, s, f, &mut v);
                    x[u * s..(u + 1) * s].copy_from_slice(&v);
                }
            }
        }
    }

    // 6. Popularity (recency-weighted, relative to the newest interaction) and context lifts.
    let newest = data.max_timestamp().unwrap_or(0);
    let popularity = popularity(&p, data, newest);
    let mut lifts = context_lifts(data);
    let (context_tokens, context_lift) = (std::mem::take(&mut lifts.names), std::mem::take(&mut lifts.lift));
    timings.finish = t1.elapsed();

    let mut model = UpModel {
        recipe,
        k,
        s,
        newest,
        item_ids: data.items().iter().map(Arc::from).collect(),
        y,
        counts,
        calibration,
        created: (0..n_items as u32).map(|i| data.item_creation_timestamp(i).unwrap_or(i64::MIN)).collect(),
        popularity,
        users: Arc::new(UserFactors { ids: data.users().iter().map(Arc::from).collect(), x, index: OnceLock::new() }),
        gram,
        events: EventWeights::from_config(config),
        context_tokens,
        context_lift,
        item_feature_tokens,
        item_feature_w,
        params: p,
        item_index: OnceLock::new(),
        context_index: OnceLock::new(),
        batcher: ScoreBatcher::default(),
        exploration_index: OnceLock::new(),
        clusters: OnceLock::new(),
    };
    if !model.context_tokens.is_empty() && model.params.context_weight > 0.0 {
        model.params.context_weight *= context_scale(&model, data, &lifts);
    }
    (model, timings)
}

/// Ridge regression from metadata tokens to factors, fitted on the `fitted` rows (items or
/// users) with their factors as targets; the mean factor vector is the intercept and the
/// regression fits the residual. Returns (weights `features × s`, mean).
fn metadata_regression<'a>(
    fitted: &[u32],
    tokens: impl Fn(u32) -> &'a [u32],
    factors: &[f32],
    s: usize,
    num_features: usize,
    regularization: f32,
) -> (Vec<f32>, Vec<f32>) {
    let rows: Vec<&[u32]> = fitted.iter().map(|&r| tokens(r)).collect();
    let mut targets = vec![0f32; fitted.len() * s];
    for (t, &r) in targets.chunks_exact_mut(s).zip(fitted) {
        t.copy_from_slice(&factors[r as usize * s..(r as usize + 1) * s]);
    }
    let mean = rows_mean(fitted, factors, s);
    for row in targets.chunks_exact_mut(s) {
        row.iter_mut().zip(&mean).for_each(|(t, m)| *t -= m);
    }
    (als::ridge(&rows, &targets, s, num_features, regularization, 30), mean)
}

/// The factors [`metadata_regression`] predicts for `tokens`.
fn predict_from_metadata(w: &[f32], mean: &[f32], s: usize, tokens: &[u32], out: &mut [f32]) {
    als::ridge_predict(w, s, tokens, out);
    out.iter_mut().zip(mean).for_each(|(o, m)| *o += m);
}

/// The mean of the rows `rows` of `m` (`s` wide).
fn rows_mean(rows: &[u32], m: &[f32], s: usize) -> Vec<f32> {
    let mut sum = vec![0f64; s];
    for &r in rows {
        sum.iter_mut().zip(&m[r as usize * s..(r as usize + 1) * s]).for_each(|(a, &b)| *a += f64::from(b));
    }
    sum.into_iter().map(|a| (a / rows.len().max(1) as f64) as f32).collect()
}

/// Established items in a fixed sample and the factors their metadata alone predicts.
#[derive(Clone, Default)]
struct Calibration {
    items: Vec<u32>,
    /// `items.len() × s`.
    predicted: Vec<f32>,
}

/// Established items exploration calibrates with (enough for stable quantiles, cheap per request).
const CALIBRATION_ITEMS: usize = 512;

impl Calibration {
    /// Up to [`CALIBRATION_ITEMS`] established items, evenly spread over the catalogue, with
    /// zero predictions.
    fn sample(counts: &[u32], s: usize) -> Calibration {
        let established: Vec<u32> =
            (0..counts.len() as u32).filter(|&i| counts[i as usize] > exploration::RARE_MAX).collect();
        let step = established.len().div_ceil(CALIBRATION_ITEMS).max(1);
        let items: Vec<u32> = established.into_iter().step_by(step).collect();
        Calibration { predicted: vec![0.0; items.len() * s], items }
    }

    /// The same prediction for every item (no item metadata: the mean item).
    fn predict_all(&mut self, v: &[f32]) {
        let s = v.len();
        self.predicted.chunks_exact_mut(s.max(1)).for_each(|p| p.copy_from_slice(v));
    }
}

/// Distinct items of a history, newest first.
fn recent_distinct(h: UserInteractions<'_>) -> impl Iterator<Item = u32> + '_ {
    let mut seen: Vec<u32> = Vec::new();
    h.items.iter().rev().copied().filter(move |i| {
        if seen.contains(i) {
            false
        } else {
            seen.push(*i);
            true
        }
    })
}

fn popularity(p: &Params, data: &TrainingData, newest: i64) -> Vec<f32> {
    let n = data.num_items();
    let items = data.interaction_items();
    let ts = data.interaction_timestamps();
    let weights = data.interaction_weights();
    // Popularity uses a longer horizon than the per-user decay (4 half-lives' worth of data
    // keeps its shape): items trending now, but not only today's.
    let mut pop = (0..items.len())
        .into_par_iter()
        .with_min_len(1 << 16)
        .fold(
            || vec![0f64; n],
            |mut acc, j| {
                let w = weights.map_or(1.0, |w| w[j]) as f64;
                let d = if p.recency {
                    0.5f64.powf((newest - ts[j]).max(0) as f64 / (4.0 * half_life_secs(p)))
                } else {
                    1.0
                };
                acc[items[j] as usize] += w * d;
                acc
            },
        )
        .reduce(
            || vec![0f64; n],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let total: f64 = pop.iter().sum();
    if total > 0.0 {
        pop.iter_mut().for_each(|v| *v /= total);
    }
    pop.into_iter().map(|v| v as f32).collect()
}

/// Maximum number of context tokens with a lift table.
const MAX_CONTEXT_TOKENS: usize = 64;
/// Maximum number of cells of the lift tables.
const MAX_CONTEXT_CELLS: usize = 16 << 20;
/// Pseudo-count smoothing `P(item | token)` toward `P(item)`.
const CONTEXT_SMOOTHING: f64 = 20.0;

/// The context lift tables and the counts they were estimated from.
#[derive(Default)]
struct ContextLifts {
    names: Vec<String>,
    /// Log-lift per token and item (`tokens × items`).
    lift: Vec<f32>,
    /// Token slots of each context combination.
    combo_slots: Vec<Vec<usize>>,
    /// Interactions per token and item, per item, per token, and in all.
    counts: Vec<f64>,
    base: Vec<f64>,
    token_n: Vec<f64>,
    total: f64,
}

impl ContextLifts {
    /// `P(item)` and the lift of token `t` for `item`, estimated without `drop` interactions of
    /// the item under that token (leave-one-out, so a training interaction can judge the lift).
    fn lift_without(&self, t: usize, item: usize, drop: f64) -> f32 {
        let n = self.base.len() as f64;
        let pi = (self.base[item] - drop + 0.5) / (self.total - drop + 0.5 * n);
        let c = (self.counts[t * self.base.len() + item] - drop).max(0.0);
        let pif = (c + CONTEXT_SMOOTHING * pi) / (self.token_n[t] - drop + CONTEXT_SMOOTHING);
        (pif / pi).ln() as f32
    }
}

fn context_lifts(data: &TrainingData) -> ContextLifts {
    let Some(ctx) = data.interaction_contexts() else { return ContextLifts::default() };
    let n_items = data.num_items();
    let items = data.interaction_items();
    // Token frequencies.
    let mut per_combo = vec![0usize; data.num_contexts()];
    for &c in ctx {
        if c != NO_CONTEXT {
            per_combo[c as usize] += 1;
        }
    }
    let mut token_count: HashMap<u32, usize> = HashMap::new();
    for (c, &n) in per_combo.iter().enumerate() {
        for &f in data.context_features(c as u32) {
            *token_count.entry(f).or_default() += n;
        }
    }
    let mut tokens: Vec<(u32, usize)> = token_count.into_iter().filter(|t| t.1 > 0).collect();
    tokens.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let cap = MAX_CONTEXT_TOKENS.min(MAX_CONTEXT_CELLS / n_items.max(1));
    tokens.truncate(cap);
    if tokens.is_empty() {
        return ContextLifts::default();
    }
    let slot: HashMap<u32, usize> = tokens.iter().enumerate().map(|(i, t)| (t.0, i)).collect();
    let combo_slots: Vec<Vec<usize>> = (0..data.num_contexts())
        .map(|c| data.context_features(c as u32).iter().filter_map(|f| slot.get(f).copied()).collect())
        .collect();
    let nt = tokens.len();
    let mut counts = vec![0f64; nt * n_items];
    let mut base = vec![0f64; n_items];
    for (j, &c) in ctx.iter().enumerate() {
        let i = items[j] as usize;
        base[i] += 1.0;
        if c != NO_CONTEXT {
            for &t in &combo_slots[c as usize] {
                counts[t * n_items + i] += 1.0;
            }
        }
    }
    let mut out = ContextLifts {
        names: tokens.iter().map(|t| data.features().name(t.0).to_string()).collect(),
        lift: vec![0f32; nt * n_items],
        combo_slots,
        counts,
        base,
        token_n: tokens.iter().map(|t| t.1 as f64).collect(),
        total: items.len() as f64,
    };
    for t in 0..nt {
        for i in 0..n_items {
            out.lift[t * n_items + i] = out.lift_without(t, i, 0.0);
        }
    }
    out
}

/// Candidate scales of the context lift, tried in training.
const CONTEXT_SCALES: [f32; 7] = [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0];
/// Users sampled to choose the scale.
const CONTEXT_SCALE_SAMPLES: usize = 1000;

/// How much the context lift should count against the user's vector: how strongly the context
/// drives behaviour varies by dataset (on data where it drives nothing the best scale is 0).
/// Chosen from [`CONTEXT_SCALES`] by the mean reciprocal rank (over the whole catalogue) of a
/// sample of users' newest interactions that carry a context, each judged as held out: the
/// user's vector is folded in from the rest of their history and the target's lift is
/// estimated without it (in-sample, a lift table always looks useful).
fn context_scale(model: &UpModel, data: &TrainingData, ctx: &ContextLifts) -> f32 {
    let n = data.num_items();
    let (s, lift, combo_slots) = (model.s, &model.context_lift, &ctx.combo_slots);
    let users: Vec<u32> = (0..data.num_users() as u32).filter(|&u| data.user_len(u) > 1).collect();
    let step = (users.len() / CONTEXT_SCALE_SAMPLES).max(1);
    let samples: Vec<(u32, usize)> = users
        .iter()
        .step_by(step)
        .filter_map(|&u| {
            let h = data.user_interactions(u);
            let ctx = h.contexts?;
            let j = (0..h.len()).filter(|&j| ctx[j] != NO_CONTEXT).max_by_key(|&j| (h.timestamps[j], j))?;
            Some((u, j))
        })
        .collect();
    if samples.is_empty() {
        return 1.0;
    }
    let totals: Vec<f64> = samples
        .par_iter()
        .map(|&(u, j)| {
            let h = data.user_interactions(u);
            let (item, combo) = (h.items[j] as usize, h.contexts.map_or(NO_CONTEXT, |c| c[j]) as usize);
            let rest: Vec<(u32, f32, i64)> = (0..h.len())
                .filter(|&k| k != j)
                .map(|k| {
                    let w = model.events.weight(data.event_type_name(h.event_types[k]));
                    (h.items[k], w, h.timestamps[k])
                })
                .filter(|e| e.1 > 0.0)
                .collect();
            let v = model.fold_in_indices(&rest);
            let mut base = vec![0f32; n];
            als::scores(&model.y, &v, s, model.params.score_scale, &mut base);
            let mut l = vec![0f32; n];
            for &t in &combo_slots[combo] {
                l.iter_mut().zip(&lift[t * n..(t + 1) * n]).for_each(|(a, b)| *a += b);
            }
            l[item] = combo_slots[combo].iter().map(|&t| ctx.lift_without(t, item, 1.0)).sum();
            CONTEXT_SCALES
                .iter()
                .map(|&w| {
                    let target = base[item] + w * l[item];
                    let above = base.iter().zip(&l).filter(|&(b, c)| b + w * c > target).count();
                    1.0 / (1 + above) as f64
                })
                .collect::<Vec<f64>>()
        })
        .reduce(
            || vec![0.0; CONTEXT_SCALES.len()],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let best = (0..CONTEXT_SCALES.len()).max_by(|&a, &b| totals[a].total_cmp(&totals[b])).unwrap_or(2);
    CONTEXT_SCALES[best]
}

/// A recent event for [`UpModel::fold_in`]: `(item id, weight, timestamp)`.
pub type FoldInEvent<'a> = (&'a str, f32, i64);

impl UpModel {
    /// Number of factors.
    pub fn factors(&self) -> usize {
        self.k
    }
    /// The resolved hyperparameters.
    pub fn params(&self) -> &Params {
        &self.params
    }
    fn item_index(&self) -> &FxHashMap<Arc<str>, u32> {
        self.item_index.get_or_init(|| self.item_ids.iter().enumerate().map(|(i, id)| (id.clone(), i as u32)).collect())
    }
    fn user_index(&self) -> &FxHashMap<Arc<str>, u32> {
        let users = &self.users;
        users.index.get_or_init(|| users.ids.iter().enumerate().map(|(i, id)| (id.clone(), i as u32)).collect())
    }
    fn context_index(&self) -> &HashMap<String, u32> {
        self.context_index
            .get_or_init(|| self.context_tokens.iter().enumerate().map(|(i, t)| (t.clone(), i as u32)).collect())
    }
    fn user_row(&self, u: usize) -> Option<&[f32]> {
        let row = self.users.x.get(u * self.s..(u + 1) * self.s)?;
        row.iter().any(|&v| v != 0.0).then_some(row)
    }
    /// The stored vector of a known user (padded to the internal stride), `None` if unknown.
    pub fn user_vector(&self, user_id: &str) -> Option<&[f32]> {
        let &u = self.user_index().get(user_id)?;
        self.user_row(u as usize)
    }

    fn history_pairs(&self, events: &[(u32, f32, i64)], reference: i64) -> Vec<(u32, f32)> {
        let mut pairs: Vec<(u32, f32)> = events
            .iter()
            .filter(|e| e.1 > 0.0 && (e.0 as usize) < self.item_ids.len())
            .map(|&(i, w, t)| (i, w * decay(&self.params, reference - t)))
            .collect();
        pairs.sort_unstable_by_key(|e| e.0);
        let mut out: Vec<(u32, f32)> = Vec::with_capacity(pairs.len());
        for (i, w) in pairs {
            match out.last_mut() {
                Some(last) if last.0 == i => last.1 += w,
                _ => out.push((i, w)),
            }
        }
        for e in &mut out {
            e.1 = 1.0 + self.params.alpha * e.1;
        }
        out
    }

    /// Closed-form fold-in: the user vector (stride-padded) that training would give a new user
    /// with this history (`(item index, weight, timestamp)`, any order), sequence component
    /// included. Unknown item indices are ignored.
    pub fn fold_in_indices(&self, events: &[(u32, f32, i64)]) -> Vec<f32> {
        let reference = events.iter().map(|e| e.2).max().unwrap_or(self.newest);
        let pairs = self.history_pairs(events, reference);
        let mut x = als::fold_in(&self.y, &self.gram, self.s, self.k, &pairs);
        self.add_sequence(&mut x, events);
        x
    }

    fn add_sequence(&self, x: &mut [f32], events: &[(u32, f32, i64)]) {
        if self.params.sequence_weight <= 0.0 {
            return;
        }
        let mut order: Vec<(i64, u32)> =
            events.iter().filter(|e| e.1 > 0.0 && (e.0 as usize) < self.item_ids.len()).map(|e| (e.2, e.0)).collect();
        order.sort_unstable();
        let mut seen = Vec::new();
        let recent = order.iter().rev().map(|e| e.1).filter(|i| {
            let new = !seen.contains(i);
            if new {
                seen.push(*i);
            }
            new
        });
        let mut q = vec![0f32; self.s];
        sequence_vector(&self.params, &self.y, self.s, recent, &mut q);
        x.iter_mut().zip(&q).for_each(|(a, b)| *a += self.params.sequence_weight * b);
    }

    /// Closed-form fold-in of a history of `(item id, weight, timestamp)` events: the vector
    /// training would give a user with exactly this history (`hidden_dimension` floats).
    /// Items unknown to the model are ignored.
    pub fn fold_in(&self, history: &[FoldInEvent<'_>]) -> Vec<f32> {
        let idx = self.item_index();
        let events: Vec<(u32, f32, i64)> =
            history.iter().filter_map(|&(id, w, t)| idx.get(id).map(|&i| (i, w, t))).collect();
        let mut v = self.fold_in_indices(&events);
        v.truncate(self.k);
        v
    }

    /// The vector for a known user updated with new events: `x + d` where `d` solves
    /// `(YᵀY + reg·I + H_new) d = b_new − H_new·x` (the exact update when the user's older
    /// history is ignored in the system matrix, which also lets new events weigh more).
    fn updated_vector(&self, base: &[f32], events: &[(u32, f32, i64)]) -> Vec<f32> {
        let reference = events.iter().map(|e| e.2).max().unwrap_or(self.newest);
        let pairs = self.history_pairs(events, reference);
        let (s, k) = (self.s, self.k);
        // b' = Σ c y − Σ (c − 1)(y·x) y: the fold-in right-hand side with the correction.
        let adjusted: Vec<(u32, f32, f32)> = pairs
            .iter()
            .map(|&(i, c)| {
                let yi = &self.y[i as usize * s..(i as usize + 1) * s];
                (i, c, c - (c - 1.0) * als::dot(yi, base))
            })
            .collect();
        let d = als::fold_in_rhs(&self.y, &self.gram, s, k, &adjusted);
        let mut x: Vec<f32> = base.iter().zip(&d).map(|(a, b)| a + b).collect();
        self.add_sequence(&mut x, events);
        x
    }

    fn context_slots(&self, context: &[String]) -> Vec<usize> {
        if self.context_tokens.is_empty() || self.params.context_weight == 0.0 {
            return Vec::new();
        }
        let idx = self.context_index();
        context.iter().filter_map(|t| idx.get(t).map(|&i| i as usize)).collect()
    }

    /// Logits of all items for a user vector (or popularity when `None`), context included.
    /// `batched`: score together with concurrent requests (serving; see [`ScoreBatcher`]).
    fn logits(&self, v: Option<&[f32]>, ctx: &[usize], batched: bool) -> Vec<f32> {
        let n = self.item_ids.len();
        let s = self.s;
        let scale = self.params.score_scale;
        let mut out: Vec<f32> = match v {
            Some(v) if v.len() == s && batched => {
                let out = self.batcher.scores(v, |batch| self.score_batch(batch));
                if out.len() == n {
                    out
                } else {
                    self.score_batch(&[v.to_vec()]).swap_remove(0)
                }
            }
            Some(v) if v.len() == s => {
                let mut out = vec![0f32; n];
                out.par_chunks_mut(8192)
                    .enumerate()
                    .for_each(|(c, o)| als::scores(&self.y[c * 8192 * s..(c * 8192 + o.len()) * s], v, s, scale, o));
                out
            }
            Some(v) => self.y.par_chunks(s).with_min_len(4096).map(|y| scale * als::dot(y, v)).collect(),
            None => self.popularity.iter().map(|&p| (p + 1e-9).ln()).collect(),
        };
        self.add_context(&mut out, ctx);
        out
    }

    /// Adds the context lifts of the token slots `ctx` to a full logits vector.
    fn add_context(&self, logits: &mut [f32], ctx: &[usize]) {
        let n = self.item_ids.len();
        for &t in ctx {
            let row = &self.context_lift[t * n..(t + 1) * n];
            logits.iter_mut().zip(row).for_each(|(o, l)| *o += self.params.context_weight * l);
        }
    }

    fn exploration_index(&self) -> &ExplorationIndex {
        self.exploration_index.get_or_init(|| ExplorationIndex::build(&self.counts, &self.created, &self.popularity))
    }

    /// The exploration picks of `query` for vector `v` (`None`: popularity), given the list
    /// without exploration (`main`, best first) and the logits of items.
    fn explore(
        &self,
        v: Option<&[f32]>,
        query: &RecommendQuery,
        main: &[(f32, u32)],
        logit: impl Fn(u32) -> f32,
        ok: impl Fn(u32) -> bool,
    ) -> Vec<Pick> {
        let Some(e) = query.exploration.as_ref().filter(|e| e.weight > 0.0) else { return Vec::new() };
        let want = query.num_results;
        let index = self.exploration_index();
        let counts = &self.counts;
        // An item without interactions has only a metadata-predicted vector, whose logits are
        // shrunk towards the mean item: its relevance is read on the trained scale instead, as
        // the logit an established item gets at the same quantile of metadata-predicted
        // relevance for this user. Its uncertainty is the spread of established items' logits.
        // Without a user vector the logit is log popularity: such an item is assumed average.
        let (mut trained, mut predicted) = (Vec::new(), Vec::new());
        let sd = match v {
            Some(v) => {
                let c = &self.calibration;
                for (j, &i) in c.items.iter().enumerate() {
                    trained.push(logit(i));
                    predicted.push(self.params.score_scale * als::dot(&c.predicted[j * self.s..(j + 1) * self.s], v));
                }
                trained.retain(|l| !l.is_nan());
                predicted.retain(|l| !l.is_nan());
                trained.sort_unstable_by(f32::total_cmp);
                predicted.sort_unstable_by(f32::total_cmp);
                let n = trained.len().max(1) as f32;
                let mean = trained.iter().sum::<f32>() / n;
                (trained.iter().map(|l| (l - mean).powi(2)).sum::<f32>() / n).sqrt()
            }
            None => index.popularity_prior.1,
        };
        let estimate = |i: u32| {
            let l = logit(i);
            if counts[i as usize] > 0 {
                return l;
            }
            if v.is_none() {
                return index.popularity_prior.0;
            }
            if trained.is_empty() || predicted.is_empty() {
                return l;
            }
            let q = predicted.partition_point(|&p| p < l) as f64 / predicted.len() as f64;
            trained[((q * trained.len() as f64) as usize).min(trained.len() - 1)]
        };
        let request = exploration::Request {
            exploration: e,
            slots: ((e.weight * want as f64).round() as usize).min(want),
            floor: if main.len() >= want { main[want - 1].0 } else { f32::NEG_INFINITY },
            sd,
            newest: self.newest,
        };
        index.pick(&request, counts, estimate, |i| ok(i) && !main.iter().any(|m| m.1 == i))
    }

    /// Recommendations for a user vector (`None`: popularity), with context, exclusions and
    /// exploration of `query`; `skip` are item indices never returned (e.g. the history).
    pub fn recommend_for_vector(&self, v: Option<&[f32]>, query: &RecommendQuery, skip: &[u32]) -> Vec<ScoredItem> {
        let n = self.item_ids.len();
        if n == 0 || query.num_results == 0 {
            return Vec::new();
        }
        let ctx = self.context_slots(query.context);
        if let Some(v) = v.filter(|v| v.len() == self.s && n >= PRUNE_MIN_ITEMS) {
            return self.select_pruned(self.item_clusters(), v, &ctx, query, skip);
        }
        let logits = self.logits(v, &ctx, true);
        self.select(&logits, v, query, skip)
    }

    /// The cluster index, built on first use (a second or two at 100k items).
    fn item_clusters(&self) -> &ItemClusters {
        self.clusters.get_or_init(|| ItemClusters::build(self))
    }

    /// The logit of item `i` for vector `v` with the context slots `ctx`.
    fn logit(&self, i: usize, v: &[f32], ctx: &[usize]) -> f32 {
        let n = self.item_ids.len();
        let mut l = self.params.score_scale * als::dot(&self.y[i * self.s..(i + 1) * self.s], v);
        for &t in ctx {
            l += self.params.context_weight * self.context_lift[t * n + i];
        }
        l
    }

    /// [`Self::select`] without scoring the whole catalogue: clusters are visited in order of an
    /// upper bound of their items' logits (centroid score + ‖v‖·radius + the largest context
    /// lift) and the search stops when no unvisited cluster can beat the current `n`-th item, so
    /// the items returned are exactly those of the full scan. The softmax normaliser counts the
    /// visited items exactly and estimates each unvisited cluster from its mean and per-coordinate
    /// variance (second-order), so scores are close to, not bit-equal with, a full scan.
    fn select_pruned(
        &self,
        cl: &ItemClusters,
        v: &[f32],
        ctx: &[usize],
        query: &RecommendQuery,
        skip: &[u32],
    ) -> Vec<ScoredItem> {
        let (s, scale, w) = (self.s, self.params.score_scale, self.params.context_weight);
        let c_count = cl.starts.len() - 1;
        let tokens = self.context_tokens.len();
        let vnorm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        let mut bounds: Vec<(f32, usize)> = Vec::with_capacity(c_count);
        let mut estimate = vec![0f32; c_count];
        for (c, estimate) in estimate.iter_mut().enumerate() {
            let centre = scale * als::dot(&cl.centroids[c * s..(c + 1) * s], v);
            let spread: f32 = v.iter().zip(&cl.variance[c * s..(c + 1) * s]).map(|(x, var)| x * x * var).sum();
            let (mut lift_max, mut lift_mean) = (0f32, 0f32);
            for &t in ctx {
                lift_max += w * cl.lift_max[c * tokens + t];
                lift_mean += w * cl.lift_mean[c * tokens + t];
            }
            let bound = centre + scale * vnorm * cl.radius[c] + lift_max;
            bounds.push((bound + 1e-4 * (bound.abs() + 1.0), c));
            *estimate = centre + 0.5 * scale * scale * spread + lift_mean;
        }
        bounds.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
        // Logits of the visited clusters, computed once.
        let cache: Vec<OnceLock<Vec<f32>>> = (0..c_count).map(|_| OnceLock::new()).collect();
        let cluster_logits = |c: usize| -> &Vec<f32> {
            cache[c].get_or_init(|| {
                cl.members[cl.starts[c]..cl.starts[c + 1]].iter().map(|&i| self.logit(i as usize, v, ctx)).collect()
            })
        };
        let ok = |i: u32| {
            !skip.contains(&i)
                && match query.exclude_index {
                    Some(excluded) => !excluded(i),
                    None => !(query.exclude)(&self.item_ids[i as usize]),
                }
        };
        // Best `k` items passing `pass`, by the same order as `top_filtered`. Clusters the
        // unfiltered pass scored are read from the cache; in others only the items passing
        // `pass` are scored (a selective filter then costs in proportion to what it lets
        // through). `None` when that would score more than a quarter of the catalogue: a full
        // scan, batched with other requests, is cheaper then.
        let budget = cl.members.len() / 4;
        let scored = std::cell::Cell::new(0usize);
        let search = |k: usize, pass: &dyn Fn(u32) -> bool, fill_cache: bool| -> Option<Vec<(f32, u32)>> {
            let mut best: Vec<(f32, u32)> = Vec::with_capacity(k + 1);
            if k == 0 {
                return Some(best);
            }
            let consider = |i: u32, l: f32, best: &mut Vec<(f32, u32)>| {
                if l.is_nan() {
                    return;
                }
                if best.len() == k {
                    let (wl, wi) = best[k - 1];
                    if l < wl || (l == wl && i > wi) {
                        return;
                    }
                }
                if !pass(i) {
                    return;
                }
                let pos = best.partition_point(|&(bl, bi)| bl > l || (bl == l && bi < i));
                best.insert(pos, (l, i));
                best.truncate(k);
            };
            for &(bound, c) in &bounds {
                if best.len() == k && bound < best[k - 1].0 {
                    break;
                }
                let members = &cl.members[cl.starts[c]..cl.starts[c + 1]];
                match (cache[c].get(), fill_cache) {
                    (Some(logits), _) => members.iter().zip(logits).for_each(|(&i, &l)| consider(i, l, &mut best)),
                    (None, true) => {
                        scored.set(scored.get() + members.len());
                        members.iter().zip(cluster_logits(c)).for_each(|(&i, &l)| consider(i, l, &mut best));
                    }
                    (None, false) => {
                        for &i in members {
                            if pass(i) {
                                scored.set(scored.get() + 1);
                                consider(i, self.logit(i as usize, v, ctx), &mut best);
                            }
                        }
                    }
                }
                if scored.get() > budget {
                    return None;
                }
            }
            Some(best)
        };
        // The unfiltered top `want` fixes which clusters the normaliser counts exactly.
        let full_scan = || self.select(&self.logits(Some(v), ctx, true), Some(v), query, skip);
        if search(query.num_results, &|_| true, true).is_none() {
            return full_scan();
        }
        let want = query.num_results;
        let Some(main) = search(want, &ok, false) else { return full_scan() };
        let picks = self.explore(Some(v), query, &main, |i| self.logit(i as usize, v, ctx), ok);
        // Normaliser: exact over the visited clusters, estimated over the others.
        let visited_max = (0..c_count)
            .filter_map(|c| cache[c].get())
            .flat_map(|l| l.iter().copied())
            .chain(picks.iter().map(|p| p.logit))
            .filter(|l| !l.is_nan())
            .fold(f32::NEG_INFINITY, f32::max);
        let m = if visited_max.is_finite() { visited_max } else { 0.0 };
        let mut z = 0f64;
        for c in 0..c_count {
            match cache[c].get() {
                Some(l) => z += als::sum_exp(l, m),
                None => {
                    let size = (cl.starts[c + 1] - cl.starts[c]) as f64;
                    z += size * ((estimate[c] - m) as f64).exp();
                }
            }
        }
        exploration::merge(&main, &picks, want)
            .into_iter()
            .map(|(i, logit)| ScoredItem {
                item_id: self.item_ids[i as usize].to_string(),
                score: Some(((logit - m) as f64).exp() / z.max(f64::MIN_POSITIVE)),
            })
            .collect()
    }

    /// The answer to `query` from the full logits of vector `v` (context included): exploration,
    /// exclusions, softmax scores over the whole catalogue.
    fn select(&self, logits: &[f32], v: Option<&[f32]>, query: &RecommendQuery, skip: &[u32]) -> Vec<ScoredItem> {
        // Softmax over the whole catalogue.
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let z = als::sum_exp(logits, max);
        let ok = |i: u32| {
            !skip.contains(&i)
                && match query.exclude_index {
                    Some(excluded) => !excluded(i),
                    None => !(query.exclude)(&self.item_ids[i as usize]),
                }
        };
        let want = query.num_results;
        let main: Vec<(f32, u32)> =
            top_filtered(logits, want, ok).into_iter().map(|i| (logits[i as usize], i)).collect();
        let picks = self.explore(v, query, &main, |i| logits[i as usize], ok);
        exploration::merge(&main, &picks, want)
            .into_iter()
            .map(|(i, logit)| ScoredItem {
                item_id: self.item_ids[i as usize].to_string(),
                score: Some(((logit - max) as f64).exp() / z),
            })
            .collect()
    }

    /// Top-`n` item indices for a user vector (`None`: popularity), never returning `skip`
    /// (sorted item indices, e.g. the user's history). No context, no exploration.
    pub fn top_indices_for_vector(&self, v: Option<&[f32]>, n: usize, skip_sorted: &[u32]) -> Vec<u32> {
        let logits = self.logits(v, &[], false);
        top_filtered(&logits, n, |i| skip_sorted.binary_search(&i).is_err())
    }

    /// The stored vector of user index `u` of the training snapshot (`None`: unknown).
    pub fn user_vector_by_index(&self, u: u32) -> Option<&[f32]> {
        self.user_row(u as usize)
    }

    /// The user vectors (`users × stride`, all zero for an unknown user) and their ids.
    pub(crate) fn user_matrix(&self) -> (&[f32], &[Arc<str>]) {
        (&self.users.x, &self.users.ids)
    }

    /// Row stride of the factor matrices (the factors padded for SIMD).
    pub(crate) fn stride(&self) -> usize {
        self.s
    }

    /// The factor row of item index `i` (`stride` long).
    pub(crate) fn item_row(&self, i: u32) -> Option<&[f32]> {
        self.y.get(i as usize * self.s..(i as usize + 1) * self.s)
    }

    /// The index of an item id in the model's catalogue.
    pub(crate) fn item_position(&self, item_id: &str) -> Option<u32> {
        self.item_index().get(item_id).copied()
    }

    fn vector_for(&self, user_id: Option<&str>) -> Option<&[f32]> {
        user_id.and_then(|u| self.user_vector(u))
    }

    fn rank_with_vector(&self, v: Option<&[f32]>, query: &RankQuery) -> Vec<ScoredItem> {
        let idx = self.item_index();
        let ctx = self.context_slots(query.context);
        let n = self.item_ids.len();
        let mut known: Vec<(f32, usize, u32)> = Vec::new();
        let mut unknown = Vec::new();
        for (pos, id) in query.input.iter().enumerate() {
            match idx.get(id.as_str()) {
                Some(&i) => {
                    let mut l = match v {
                        Some(v) => {
                            self.params.score_scale
                                * als::dot(&self.y[i as usize * self.s..(i as usize + 1) * self.s], v)
                        }
                        None => (self.popularity[i as usize] + 1e-9).ln(),
                    };
                    for &t in &ctx {
                        l += self.params.context_weight * self.context_lift[t * n + i as usize];
                    }
                    known.push((l, pos, i));
                }
                None => unknown.push(id),
            }
        }
        known.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let max = known.first().map_or(0.0, |k| k.0);
        let z: f64 = known.iter().map(|k| ((k.0 - max) as f64).exp()).sum();
        known
            .iter()
            .map(|k| ScoredItem { item_id: query.input[k.1].clone(), score: Some(((k.0 - max) as f64).exp() / z) })
            .chain(unknown.into_iter().map(|id| ScoredItem { item_id: id.clone(), score: None }))
            .collect()
    }

    fn resolve_history(&self, history: &[HistoryEvent]) -> Vec<(u32, f32, i64)> {
        let idx = self.item_index();
        history
            .iter()
            .filter_map(|e| {
                let i = *idx.get(e.item_id.as_str())?;
                let w = self.events.weight(e.event_type.as_deref());
                (w > 0.0).then_some((i, w, e.timestamp))
            })
            .collect()
    }

    /// The vector for a user given recent events: the stored vector updated with them for a
    /// known user, the fold-in of the events for an unknown one (`None`: no signal at all).
    pub fn vector_with_history(&self, user_id: Option<&str>, history: &[HistoryEvent]) -> Option<Vec<f32>> {
        let events = self.resolve_history(history);
        match (self.vector_for(user_id), events.is_empty()) {
            (Some(v), true) => Some(v.to_vec()),
            (Some(v), false) => Some(self.updated_vector(v, &events)),
            (None, false) => Some(self.fold_in_indices(&events)),
            (None, true) => None,
        }
    }

    // ---- artifact ----

    fn encode(&self) -> Vec<u8> {
        let (k, s) = (self.k, self.s);
        let mut b = Vec::with_capacity(
            64 + self.item_ids.len() * (k * 4 + 32) + self.users.ids.len() * (k * 4 + 16) + self.context_lift.len() * 4,
        );
        let p = &self.params;
        put_u32(&mut b, k as u32);
        put_u32(&mut b, p.iterations as u32);
        put_f32(&mut b, p.regularization);
        put_f32(&mut b, p.alpha);
        put_u32(&mut b, p.cg_steps as u32);
        b.extend_from_slice(&p.half_life_days.to_le_bytes());
        b.push(u8::from(p.recency));
        put_f32(&mut b, p.sequence_weight);
        put_f32(&mut b, p.sequence_decay);
        put_u32(&mut b, p.bptt as u32);
        put_f32(&mut b, p.context_weight);
        put_f32(&mut b, p.metadata_regularization);
        put_f32(&mut b, p.score_scale);
        b.extend_from_slice(&p.min_history_percentile.to_le_bytes());
        b.extend_from_slice(&p.max_history_percentile.to_le_bytes());
        b.push(ValueScaling::NAMES.iter().position(|(_, v)| *v == p.value_scaling).unwrap_or(0) as u8);
        put_f32(&mut b, p.value_median);
        b.extend_from_slice(&self.newest.to_le_bytes());
        // Items.
        put_u32(&mut b, self.item_ids.len() as u32);
        for i in 0..self.item_ids.len() {
            put_str(&mut b, &self.item_ids[i]);
            put_u32(&mut b, self.counts[i]);
            b.extend_from_slice(&self.created[i].to_le_bytes());
            put_f32(&mut b, self.popularity[i]);
            put_f32s(&mut b, &self.y[i * s..i * s + k]);
        }
        // Users (only those with a vector).
        let known: Vec<usize> = (0..self.users.ids.len()).filter(|&u| self.user_row(u).is_some()).collect();
        put_u32(&mut b, known.len() as u32);
        for u in known {
            put_str(&mut b, &self.users.ids[u]);
            put_f32s(&mut b, &self.users.x[u * s..u * s + k]);
        }
        // Gram matrix.
        for r in 0..k {
            put_f32s(&mut b, &self.gram[r * s..r * s + k]);
        }
        // Event weights.
        put_u32(&mut b, self.events.by_type.len() as u32);
        for (t, w) in &self.events.by_type {
            put_str(&mut b, t);
            put_f32(&mut b, *w);
        }
        put_f32(&mut b, self.events.other);
        // Context.
        put_u32(&mut b, self.context_tokens.len() as u32);
        for t in &self.context_tokens {
            put_str(&mut b, t);
        }
        put_f32s(&mut b, &self.context_lift);
        // Item metadata regression.
        put_u32(&mut b, self.item_feature_tokens.len() as u32);
        for (f, t) in self.item_feature_tokens.iter().enumerate() {
            put_str(&mut b, t);
            put_f32s(&mut b, &self.item_feature_w[f * s..f * s + k]);
        }
        put_u32(&mut b, self.calibration.items.len() as u32);
        for (c, &i) in self.calibration.items.iter().enumerate() {
            put_u32(&mut b, i);
            put_f32s(&mut b, &self.calibration.predicted[c * s..c * s + k]);
        }
        b
    }

    pub(crate) fn decode(recipe: &'static str, format_version: u32, payload: &[u8]) -> Result<UpModel, EngineError> {
        let corrupt = |m: String| EngineError::CorruptArtifact(m);
        let mut r = Reader { buf: payload, pos: 0 };
        let k = r.u32("hidden_dimension")? as usize;
        if !(1..=4096).contains(&k) {
            return Err(corrupt(format!("hidden_dimension {k} out of range")));
        }
        let s = als::stride(k);
        let mut params = Params {
            factors: k,
            iterations: r.u32("num_iterations")? as usize,
            regularization: get_f32(&mut r, "regularization")?,
            alpha: get_f32(&mut r, "alpha")?,
            cg_steps: r.u32("cg_steps")? as usize,
            half_life_days: r.f64("recency_half_life_days")?,
            recency: r.bytes(1, "recency_mask")?[0] != 0,
            sequence_weight: get_f32(&mut r, "sequence_weight")?,
            sequence_decay: get_f32(&mut r, "sequence_decay")?,
            bptt: r.u32("bptt")? as usize,
            context_weight: get_f32(&mut r, "context_weight")?,
            metadata_regularization: get_f32(&mut r, "metadata_regularization")?,
            score_scale: get_f32(&mut r, "score_scale")?,
            min_history_percentile: r.f64("min percentile")?,
            max_history_percentile: r.f64("max percentile")?,
            value_scaling: ValueScaling::None,
            value_median: 1.0,
        };
        let v1 = format_version == 1;
        if !v1 {
            let code = r.bytes(1, "event_value_scaling")?[0] as usize;
            params.value_scaling =
                ValueScaling::NAMES.get(code).map(|x| x.1).ok_or_else(|| corrupt(format!("value scaling {code}")))?;
            params.value_median = get_f32(&mut r, "event value median")?;
            if !(params.value_median.is_finite() && params.value_median > 0.0) {
                return Err(corrupt("event value median must be positive".into()));
            }
        }
        if params.half_life_days.is_nan() || params.half_life_days <= 0.0 {
            return Err(corrupt("recency half-life must be positive".into()));
        }
        let newest = i64::from_le_bytes(r.bytes(8, "newest timestamp")?.try_into().unwrap());
        let remaining = |r: &Reader, per: usize, n: usize, what: &str| {
            if n.saturating_mul(per) > r.remaining() {
                Err(EngineError::CorruptArtifact(format!("{what} count {n} does not fit the payload")))
            } else {
                Ok(())
            }
        };
        let n_items = r.u32("item count")? as usize;
        remaining(&r, 4 + if v1 { 1 } else { 4 } + 8 + 4 + 4 * k, n_items, "item")?;
        let mut item_ids = Vec::with_capacity(n_items);
        let mut counts = Vec::with_capacity(n_items);
        let mut created = Vec::with_capacity(n_items);
        let mut popularity = Vec::with_capacity(n_items);
        let mut y = vec![0f32; n_items * s];
        for i in 0..n_items {
            item_ids.push(Arc::<str>::from(r.str("item id")?));
            counts.push(if v1 { u32::from(r.bytes(1, "item flags")?[0] != 0) } else { r.u32("item interactions")? });
            created.push(i64::from_le_bytes(r.bytes(8, "item creation")?.try_into().unwrap()));
            popularity.push(get_f32(&mut r, "item popularity")?);
            get_f32s(&mut r, &mut y[i * s..i * s + k], "item factors")?;
        }
        let n_users = r.u32("user count")? as usize;
        remaining(&r, 4 + 4 * k, n_users, "user")?;
        let mut user_ids = Vec::with_capacity(n_users);
        let mut x = vec![0f32; n_users * s];
        for u in 0..n_users {
            user_ids.push(Arc::<str>::from(r.str("user id")?));
            get_f32s(&mut r, &mut x[u * s..u * s + k], "user factors")?;
        }
        let mut gram = vec![0f32; s * s];
        for row in 0..k {
            get_f32s(&mut r, &mut gram[row * s..row * s + k], "gram matrix")?;
        }
        for d in k..s {
            gram[d * s + d] = 1.0;
        }
        let n_ev = r.u32("event weight count")? as usize;
        remaining(&r, 8, n_ev, "event weight")?;
        let mut by_type = Vec::with_capacity(n_ev);
        for _ in 0..n_ev {
            let t = r.str("event type")?.to_string();
            by_type.push((t, get_f32(&mut r, "event weight")?));
        }
        let events = EventWeights { by_type, other: get_f32(&mut r, "event weight")? };
        let n_ctx = r.u32("context token count")? as usize;
        remaining(&r, 4 + 4 * n_items, n_ctx, "context token")?;
        let mut context_tokens = Vec::with_capacity(n_ctx);
        for _ in 0..n_ctx {
            context_tokens.push(r.str("context token")?.to_string());
        }
        let mut context_lift = vec![0f32; n_ctx * n_items];
        get_f32s(&mut r, &mut context_lift, "context lifts")?;
        let n_feat = r.u32("item feature count")? as usize;
        remaining(&r, 4 + 4 * k, n_feat, "item feature")?;
        let mut item_feature_tokens = Vec::with_capacity(n_feat);
        let mut item_feature_w = vec![0f32; n_feat * s];
        for f in 0..n_feat {
            item_feature_tokens.push(r.str("item feature")?.to_string());
            get_f32s(&mut r, &mut item_feature_w[f * s..f * s + k], "item feature weights")?;
        }
        let calibration = if v1 {
            let mut c = Calibration::sample(&counts, s);
            let warm: Vec<u32> = (0..n_items as u32).filter(|&i| counts[i as usize] > 0).collect();
            c.predict_all(&rows_mean(&warm, &y, s));
            c
        } else {
            let n = r.u32("calibration count")? as usize;
            remaining(&r, 4 + 4 * k, n, "calibration item")?;
            let mut c = Calibration { items: Vec::with_capacity(n), predicted: vec![0f32; n * s] };
            for j in 0..n {
                let i = r.u32("calibration item")?;
                if i as usize >= n_items {
                    return Err(corrupt(format!("calibration item {i} of {n_items}")));
                }
                c.items.push(i);
                get_f32s(&mut r, &mut c.predicted[j * s..j * s + k], "calibration factors")?;
            }
            c
        };
        r.finish()?;
        if [&y, &x, &gram, &context_lift, &item_feature_w, &calibration.predicted]
            .iter()
            .any(|v| v.iter().any(|f| !f.is_finite()))
            || popularity.iter().any(|p| !p.is_finite())
        {
            return Err(corrupt("non-finite values in the model".into()));
        }
        let m = UpModel {
            recipe,
            k,
            s,
            params,
            newest,
            item_ids,
            y,
            counts,
            calibration,
            created,
            popularity,
            users: Arc::new(UserFactors { ids: user_ids, x, index: OnceLock::new() }),
            gram,
            events,
            context_tokens,
            context_lift,
            item_feature_tokens,
            item_feature_w,
            item_index: OnceLock::new(),
            context_index: OnceLock::new(),
            batcher: ScoreBatcher::default(),
            exploration_index: OnceLock::new(),
            clusters: OnceLock::new(),
        };
        if m.item_index().len() != m.item_ids.len() || m.user_index().len() != m.users.ids.len() {
            return Err(corrupt("duplicate ids in payload".into()));
        }
        Ok(m)
    }

    /// Item factors predicted from metadata tokens (for items added after training), using the
    /// ridge regression learnt on the warm items; `None` when the model has no item metadata.
    pub fn item_vector_from_features(&self, tokens: &[&str]) -> Option<Vec<f32>> {
        if self.item_feature_tokens.is_empty() {
            return None;
        }
        let s = self.s;
        let found: Vec<usize> =
            tokens.iter().filter_map(|t| self.item_feature_tokens.iter().position(|x| x == t)).collect();
        let mut v = self.item_feature_w[..s].to_vec(); // intercept
        if !found.is_empty() {
            let scale = 1.0 / (found.len() as f32).sqrt();
            for f in found {
                v.iter_mut().zip(&self.item_feature_w[f * s..(f + 1) * s]).for_each(|(a, b)| *a += scale * b);
            }
        }
        v.truncate(self.k);
        Some(v)
    }
}

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
            item_index: OnceLock::new(),
            context_index: OnceLock::new(),
            batcher: ScoreBatcher::default(),
            exploration_index: OnceLock::new(),
            clusters: OnceLock::new(),
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
                }
            }
        });
        outs
    }
}

/// Catalogues of at least this many items are served through [`ItemClusters`] (smaller ones
/// are cheap to scan).
pub const PRUNE_MIN_ITEMS: usize = 20_000;
/// Users an offline evaluation must score for it to build the cluster index first.
const EVAL_PRUNE_MIN_USERS: usize = 5_000;
/// Clusters of the index.
const CLUSTERS: usize = 256;
/// k-means iterations when the index is built.
const KMEANS_ITERATIONS: usize = 6;

/// Items grouped by k-means cluster of their factors, with what an upper bound of a cluster's
/// logits needs: centroid, radius (largest distance of a member from it), per-coordinate
/// variance (for the normaliser estimate) and, per context token, the largest and mean lift.
struct ItemClusters {
    members: Vec<u32>,
    starts: Vec<usize>,
    centroids: Vec<f32>,
    radius: Vec<f32>,
    variance: Vec<f32>,
    lift_max: Vec<f32>,
    lift_mean: Vec<f32>,
}

/// Item indices grouped by their cluster in `assign` (counting sort): (members, the start of
/// each cluster's run, `c_count + 1` entries).
fn group_by_cluster(assign: &[u32], c_count: usize) -> (Vec<u32>, Vec<usize>) {
    let mut starts = vec![0usize; c_count + 1];
    for &c in assign {
        starts[c as usize + 1] += 1;
    }
    for c in 0..c_count {
        starts[c + 1] += starts[c];
    }
    let mut fill = starts.clone();
    let mut members = vec![0u32; assign.len()];
    for (i, &c) in assign.iter().enumerate() {
        members[fill[c as usize]] = i as u32;
        fill[c as usize] += 1;
    }
    (members, starts)
}

impl ItemClusters {
    fn build(m: &UpModel) -> ItemClusters {
        let (n, s) = (m.item_ids.len(), m.s);
        let c_count = CLUSTERS.min(n.max(1));
        let row = |i: usize| &m.y[i * s..(i + 1) * s];
        // Deterministic start: evenly spaced items.
        let mut centroids: Vec<f32> = (0..c_count).flat_map(|c| row(c * n / c_count).to_vec()).collect();
        let mut assign = vec![0u32; n];
        for _ in 0..KMEANS_ITERATIONS {
            let norms: Vec<f32> = centroids.chunks_exact(s).map(|c| c.iter().map(|x| x * x).sum()).collect();
            assign.par_iter_mut().enumerate().with_min_len(1024).for_each(|(i, a)| {
                let y = row(i);
                let mut best = (f32::INFINITY, 0u32);
                for (c, cen) in centroids.chunks_exact(s).enumerate() {
                    // |y − c|² up to the constant |y|².
                    let d = norms[c] - 2.0 * als::dot(y, cen);
                    if d < best.0 {
                        best = (d, c as u32);
                    }
                }
                *a = best.1;
            });
            let mut sums = vec![0f64; c_count * s];
            let mut counts = vec![0usize; c_count];
            for (i, &c) in assign.iter().enumerate() {
                counts[c as usize] += 1;
                for (acc, &x) in sums[c as usize * s..(c as usize + 1) * s].iter_mut().zip(row(i)) {
                    *acc += x as f64;
                }
            }
            for c in 0..c_count {
                if counts[c] > 0 {
                    for d in 0..s {
                        centroids[c * s + d] = (sums[c * s + d] / counts[c] as f64) as f32;
                    }
                }
            }
        }
        let (members, starts) = group_by_cluster(&assign, c_count);
        let mut radius = vec![0f32; c_count];
        let mut variance = vec![0f32; c_count * s];
        let tokens = m.context_tokens.len();
        let mut lift_max = vec![f32::NEG_INFINITY; c_count * tokens];
        let mut lift_mean = vec![0f32; c_count * tokens];
        for c in 0..c_count {
            let items = &members[starts[c]..starts[c + 1]];
            let cen = &centroids[c * s..(c + 1) * s];
            for &i in items {
                let y = row(i as usize);
                let mut d2 = 0f32;
                for d in 0..s {
                    let diff = y[d] - cen[d];
                    d2 += diff * diff;
                    variance[c * s + d] += diff * diff;
                }
                radius[c] = radius[c].max(d2.sqrt());
                for t in 0..tokens {
                    let l = m.context_lift[t * n + i as usize];
                    lift_max[c * tokens + t] = lift_max[c * tokens + t].max(l);
                    lift_mean[c * tokens + t] += l;
                }
            }
            if !items.is_empty() {
                let k = items.len() as f32;
                variance[c * s..(c + 1) * s].iter_mut().for_each(|v| *v /= k);
                lift_mean[c * tokens..(c + 1) * tokens].iter_mut().for_each(|v| *v /= k);
            }
            // The float rounding of the distances must not make the bound too tight.
            radius[c] *= 1.0 + 1e-5;
        }
        lift_max.iter_mut().filter(|l| !l.is_finite()).for_each(|l| *l = 0.0);
        ItemClusters { members, starts, centroids, radius, variance, lift_max, lift_mean }
    }

    /// The index of `m`, whose items from `first_new` on are new: each joins its nearest
    /// cluster, whose radius grows to cover it (new items have no context lift, so 0 enters the
    /// lift maxima). Variances and lift means are kept: they only feed the normaliser estimate.
    fn with_new_items(&self, m: &UpModel, first_new: usize) -> ItemClusters {
        let (n, s) = (m.item_ids.len(), m.s);
        let c_count = self.starts.len() - 1;
        let mut assign = vec![0u32; n];
        for c in 0..c_count {
            for &i in &self.members[self.starts[c]..self.starts[c + 1]] {
                assign[i as usize] = c as u32;
            }
        }
        let mut radius = self.radius.clone();
        let mut lift_max = self.lift_max.clone();
        lift_max.iter_mut().for_each(|l| *l = l.max(0.0));
        for (i, slot) in assign.iter_mut().enumerate().skip(first_new) {
            let y = &m.y[i * s..(i + 1) * s];
            let (mut best, mut best_d) = (0usize, f32::INFINITY);
            for (c, cen) in self.centroids.chunks_exact(s).enumerate() {
                let d: f32 = y.iter().zip(cen).map(|(a, b)| (a - b) * (a - b)).sum();
                if d < best_d {
                    (best, best_d) = (c, d);
                }
            }
            *slot = best as u32;
            radius[best] = radius[best].max(best_d.sqrt() * (1.0 + 1e-5));
        }
        let (members, starts) = group_by_cluster(&assign, c_count);
        ItemClusters {
            members,
            starts,
            centroids: self.centroids.clone(),
            radius,
            variance: self.variance.clone(),
            lift_max,
            lift_mean: self.lift_mean.clone(),
        }
    }
}

/// Most vectors scored in one batch.
const MAX_BATCH: usize = 32;

/// Combines concurrent scoring requests: scoring one vector against the whole catalogue is
/// bound by reading the item factors (25.6 MB at 100k items and 64 factors), so requests that
/// arrive together are scored in one pass. The first request to find no batch running leads:
/// it takes everything queued, scores it, hands out the results and leads again while requests
/// are waiting; the others sleep until their result is there. An idle server scores a lone
/// request at once.
#[derive(Default)]
pub(crate) struct ScoreBatcher {
    state: std::sync::Mutex<BatchState>,
    done: std::sync::Condvar,
}

#[derive(Default)]
struct BatchState {
    next_ticket: u64,
    pending: Vec<(u64, Vec<f32>)>,
    results: HashMap<u64, Vec<f32>>,
    leading: bool,
}

impl ScoreBatcher {
    fn scores(&self, v: &[f32], score: impl Fn(&[Vec<f32>]) -> Vec<Vec<f32>>) -> Vec<f32> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let ticket = st.next_ticket;
        st.next_ticket += 1;
        st.pending.push((ticket, v.to_vec()));
        loop {
            if let Some(r) = st.results.remove(&ticket) {
                return r;
            }
            if st.leading {
                st = self.done.wait(st).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            st.leading = true;
            let take = st.pending.len().min(MAX_BATCH);
            let batch: Vec<(u64, Vec<f32>)> = st.pending.drain(..take).collect();
            drop(st);
            let vectors: Vec<Vec<f32>> = batch.iter().map(|(_, v)| v.clone()).collect();
            // A panic while scoring must not leave the followers waiting forever.
            let outs = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| score(&vectors)));
            st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            st.leading = false;
            match outs {
                Ok(outs) => {
                    for ((t, _), o) in batch.into_iter().zip(outs) {
                        st.results.insert(t, o);
                    }
                }
                Err(panic) => {
                    // The followers of this batch get an empty result and score for themselves.
                    for (t, _) in batch {
                        st.results.insert(t, Vec::new());
                    }
                    self.done.notify_all();
                    drop(st);
                    std::panic::resume_unwind(panic);
                }
            }
            self.done.notify_all();
        }
    }
}

/// The best `n` items by logit (descending, ties by index) among those passing `ok`.
pub(crate) fn top_filtered(logits: &[f32], n: usize, ok: impl Fn(u32) -> bool) -> Vec<u32> {
    top_of(logits, 0..logits.len() as u32, n, ok)
}

/// [`top_filtered`] over the item indices `candidates` only; `ok` is asked only for
/// items good enough to enter the list.
fn top_of(logits: &[f32], candidates: impl Iterator<Item = u32>, n: usize, ok: impl Fn(u32) -> bool) -> Vec<u32> {
    use std::cmp::Ordering;
    use std::collections::BinaryHeap;
    /// Heap entry ordered so that the heap's top is the worst kept item.
    #[derive(PartialEq)]
    struct E(f32, u32);
    impl Eq for E {}
    impl PartialOrd for E {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for E {
        // Better = higher logit, then lower index; the max-heap keeps the worst on top.
        fn cmp(&self, o: &Self) -> Ordering {
            o.0.total_cmp(&self.0).then(self.1.cmp(&o.1))
        }
    }
    if n == 0 {
        return Vec::new();
    }
    let mut heap: BinaryHeap<E> = BinaryHeap::with_capacity(n + 1);
    for i in candidates {
        let l = logits[i as usize];
        if heap.len() == n {
            let worst = heap.peek().expect("non-empty");
            if l < worst.0 || (l == worst.0 && i > worst.1) || l.is_nan() {
                continue;
            }
        }
        if !ok(i) {
            continue;
        }
        heap.push(E(l, i));
        if heap.len() > n {
            heap.pop();
        }
    }
    heap.into_sorted_vec().into_iter().map(|e| e.1).collect()
}

/// A bounds-checked little-endian payload reader.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
    fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8], EngineError> {
        if self.remaining() < n {
            return Err(EngineError::CorruptArtifact(format!(
                "payload truncated while reading {what} at offset {}",
                self.pos
            )));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn u32(&mut self, what: &str) -> Result<u32, EngineError> {
        Ok(u32::from_le_bytes(self.bytes(4, what)?.try_into().unwrap()))
    }
    fn f64(&mut self, what: &str) -> Result<f64, EngineError> {
        Ok(f64::from_le_bytes(self.bytes(8, what)?.try_into().unwrap()))
    }
    fn str(&mut self, what: &str) -> Result<&'a str, EngineError> {
        let n = self.u32(what)? as usize;
        std::str::from_utf8(self.bytes(n, what)?)
            .map_err(|_| EngineError::CorruptArtifact(format!("{what} is not valid UTF-8")))
    }
    fn finish(&self) -> Result<(), EngineError> {
        if self.remaining() != 0 {
            return Err(EngineError::CorruptArtifact(format!("{} trailing bytes after the payload", self.remaining())));
        }
        Ok(())
    }
}

fn put_u32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put_f32(b: &mut Vec<u8>, v: f32) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put_f32s(b: &mut Vec<u8>, v: &[f32]) {
    for x in v {
        b.extend_from_slice(&x.to_le_bytes());
    }
}
fn put_str(b: &mut Vec<u8>, s: &str) {
    put_u32(b, s.len() as u32);
    b.extend_from_slice(s.as_bytes());
}
fn get_f32(r: &mut Reader, what: &str) -> Result<f32, EngineError> {
    Ok(f32::from_le_bytes(r.bytes(4, what)?.try_into().unwrap()))
}
fn get_f32s(r: &mut Reader, out: &mut [f32], what: &str) -> Result<(), EngineError> {
    let bytes = r.bytes(out.len() * 4, what)?;
    for (o, c) in out.iter_mut().zip(bytes.chunks_exact(4)) {
        *o = f32::from_le_bytes(c.try_into().unwrap());
    }
    Ok(())
}

impl FittedModel for UpModel {
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
    fn recommend_indices(&self, user: u32, history: UserInteractions<'_>, n: usize, out: &mut Vec<u32>) {
        let mut seen: Vec<u32> = history.items.to_vec();
        seen.sort_unstable();
        seen.dedup();
        out.extend(self.top_indices_for_vector(self.user_row(user as usize), n, &seen));
    }
    /// Scores a batch of users against item tiles that stay in cache, so the item matrix is
    /// read from memory once per batch instead of once per user (offline evaluation at scale).
    fn recommend_indices_batch(&self, requests: &[(u32, UserInteractions<'_>, usize)], out: &mut [Vec<u32>]) {
        const TILE: usize = 2048;
        let (n_items, s, scale) = (self.item_ids.len(), self.s, self.params.score_scale);
        let vectors: Vec<Option<&[f32]>> =
            requests.iter().map(|&(u, _, _)| self.user_row(u as usize).filter(|v| v.len() == s)).collect();
        if let (Some(clusters), true) = (self.clusters.get(), vectors.iter().all(Option::is_some)) {
            // With the cluster index ([`FittedModel::prepare_for`]): the serving path's exact
            // pruned search (the same items as a full scan, found by scoring a few percent).
            out.par_iter_mut().zip(requests.par_iter()).zip(&vectors).for_each(|((o, &(_, h, n)), v)| {
                let mut seen: Vec<u32> = h.items.to_vec();
                seen.sort_unstable();
                seen.dedup();
                let excluded = |i: u32| seen.binary_search(&i).is_ok();
                let query = RecommendQuery {
                    user_id: None,
                    item_id: None,
                    num_results: n,
                    exclude: &|_| false,
                    exclude_index: Some(&excluded),
                    context: &[],
                    exploration: None,
                };
                let v = v.expect("checked above");
                let index = self.item_index();
                o.clear();
                o.extend(
                    self.select_pruned(clusters, v, &[], &query, &[])
                        .iter()
                        .filter_map(|r| index.get(r.item_id.as_str()).copied()),
                );
            });
            return;
        }
        let mut logits = vec![0f32; requests.len() * n_items];
        logits.par_chunks_mut(n_items).zip(&vectors).for_each(|(row, v)| {
            if v.is_none() {
                row.iter_mut().zip(&self.popularity).for_each(|(o, &p)| *o = (p + 1e-9).ln());
            }
        });
        // Tile-major: each worker takes a tile of items and scores every user of the batch on it.
        let tiles = n_items.div_ceil(TILE);
        let rows: Vec<std::sync::Mutex<&mut [f32]>> = logits.chunks_mut(n_items).map(std::sync::Mutex::new).collect();
        (0..tiles).into_par_iter().for_each(|t| {
            let (start, end) = (t * TILE, ((t + 1) * TILE).min(n_items));
            let y = &self.y[start * s..end * s];
            let mut buf = vec![0f32; end - start];
            for (row, v) in rows.iter().zip(&vectors) {
                if let Some(v) = v {
                    als::scores(y, v, s, scale, &mut buf);
                    let mut row = row.lock().unwrap_or_else(|p| p.into_inner());
                    row[start..end].copy_from_slice(&buf);
                }
            }
        });
        drop(rows);
        out.par_iter_mut().zip(logits.par_chunks(n_items)).zip(requests.par_iter()).for_each(|((o, l), &(_, h, n))| {
            let mut seen: Vec<u32> = h.items.to_vec();
            seen.sort_unstable();
            seen.dedup();
            o.clear();
            o.extend(top_filtered(l, n, |i| seen.binary_search(&i).is_err()));
        });
    }
    /// Building the cluster index (about a second at 100k items) pays off when more users are
    /// scored than a full scan costs in that time.
    fn prepare_for(&self, users: usize) {
        if self.item_ids.len() >= PRUNE_MIN_ITEMS && users >= EVAL_PRUNE_MIN_USERS {
            self.item_clusters();
        }
    }
    fn to_artifact(&self) -> ModelArtifact {
        ModelArtifact { recipe: self.recipe.to_string(), format_version: FORMAT_VERSION, payload: self.encode() }
    }
}

impl Model for UpModel {
    fn recipe(&self) -> &str {
        self.recipe
    }
    fn has_scores(&self) -> bool {
        true
    }
    /// A known user gets their personalised list; an unknown user the (recency-weighted)
    /// popular items. Scores are a softmax over the whole catalogue.
    fn recommend(&self, query: &RecommendQuery) -> Vec<ScoredItem> {
        self.recommend_for_vector(self.vector_for(query.user_id), query, &[])
    }
    /// Batch inference: large catalogues go through the cluster index query by query; smaller
    /// ones score the known users' vectors [`MAX_BATCH`] at a time in one pass over the item
    /// factors (tiles in parallel), then each query selects its items.
    fn recommend_many(&self, queries: &[RecommendQuery]) -> Vec<Vec<ScoredItem>> {
        let n = self.item_ids.len();
        if n >= PRUNE_MIN_ITEMS {
            // The cluster index answers each query exactly with a fraction of the work.
            return queries.iter().map(|q| self.recommend(q)).collect();
        }
        let known: Vec<usize> = (0..queries.len())
            .filter(|&q| self.vector_for(queries[q].user_id).is_some_and(|v| v.len() == self.s))
            .collect();
        let mut logits: Vec<Option<Vec<f32>>> = vec![None; queries.len()];
        for group in known.chunks(MAX_BATCH) {
            let vectors: Vec<Vec<f32>> =
                group.iter().map(|&q| self.vector_for(queries[q].user_id).unwrap_or_default().to_vec()).collect();
            for (&q, l) in group.iter().zip(self.score_batch(&vectors)) {
                logits[q] = Some(l);
            }
        }
        logits
            .into_iter()
            .zip(queries)
            .map(|(l, query)| {
                if n == 0 || query.num_results == 0 {
                    return Vec::new();
                }
                let ctx = self.context_slots(query.context);
                let l = match l {
                    Some(mut l) => {
                        self.add_context(&mut l, &ctx);
                        l
                    }
                    None => self.logits(self.vector_for(query.user_id), &ctx, false),
                };
                self.select(&l, self.vector_for(query.user_id), query, &[])
            })
            .collect()
    }
    fn rank(&self, query: &RankQuery) -> Vec<ScoredItem> {
        self.rank_with_vector(self.vector_for(Some(query.user_id)), query)
    }
    fn knows_item(&self, item_id: &str) -> bool {
        self.item_index().contains_key(item_id)
    }
    fn num_items(&self) -> usize {
        self.item_ids.len()
    }
    fn recommend_with_history(&self, query: &RecommendQuery, history: &[HistoryEvent]) -> Vec<ScoredItem> {
        let v = self.vector_with_history(query.user_id, history);
        self.recommend_for_vector(v.as_deref(), query, &[])
    }
    fn rank_with_history(&self, query: &RankQuery, history: &[HistoryEvent]) -> Vec<ScoredItem> {
        let v = self.vector_with_history(Some(query.user_id), history);
        self.rank_with_vector(v.as_deref(), query)
    }
    fn with_new_items(&self, items: &[NewItem]) -> Option<Arc<dyn Model>> {
        Some(Arc::new(UpModel::with_new_items(self, items)))
    }
    fn catalogue(&self) -> Option<&[Arc<str>]> {
        Some(&self.item_ids)
    }
    fn prepare(&self) {
        self.item_index();
        self.user_index();
        self.context_index();
        self.exploration_index();
        if self.item_ids.len() >= PRUNE_MIN_ITEMS {
            self.item_clusters();
        }
    }
}

impl Recipe for UserPersonalization {
    fn info(&self) -> &'static RecipeInfo {
        self.info
    }
    fn hyperparameters(&self) -> &'static [ParamSpec] {
        HYPERPARAMETERS
    }
    fn fit(&self, data: &TrainingData, config: &TrainingConfig) -> Result<Box<dyn FittedModel>, EngineError> {
        Ok(Box::new(fit(self.info.name, data, config)))
    }
    fn self_tune(&self, data: &TrainingData, config: &TrainingConfig) -> Result<BTreeMap<String, String>, EngineError> {
        self_tune(self.info.name, data, config)
    }
    fn fit_after_evaluation(
        &self,
        evaluated: Box<dyn FittedModel>,
        data: &TrainingData,
        config: &TrainingConfig,
    ) -> Result<Box<dyn FittedModel>, EngineError> {
        match evaluated.into_any().downcast::<UpModel>() {
            Ok(mut prev) => {
                // Only the item factors are reused; the user factors are the bulk of its memory.
                prev.users = Arc::default();
                Ok(Box::new(fit_after_evaluation(self.info.name, &prev, data, config).0))
            }
            Err(_) => self.fit(data, config),
        }
    }
    fn supports_format_version(&self, format_version: u32) -> bool {
        (1..=FORMAT_VERSION).contains(&format_version)
    }
    fn load(&self, artifact: &ModelArtifact) -> Result<Arc<dyn Model>, EngineError> {
        Ok(Arc::new(UpModel::decode(self.info.name, artifact.format_version, &artifact.payload)?))
    }
    fn update(
        &self,
        previous: &ModelArtifact,
        data: &TrainingData,
        config: &TrainingConfig,
    ) -> Result<Box<dyn FittedModel>, EngineError> {
        if !self.supports_update() {
            return Err(EngineError::InvalidConfig(format!(
                "trainingMode UPDATE is not supported by recipe {}; use FULL.",
                self.info.name
            )));
        }
        if !self.supports_format_version(previous.format_version) {
            return Err(EngineError::CorruptArtifact(format!(
                "payload format version {} of the previous model is not supported",
                previous.format_version
            )));
        }
        let previous = UpModel::decode(self.info.name, previous.format_version, &previous.payload)?;
        Ok(Box::new(update(self.info.name, &previous, data, config)))
    }
    /// Personalize allows UPDATE for User-Personalization only.
    fn supports_update(&self) -> bool {
        self.info.recipe_type == "USER_PERSONALIZATION"
    }
}

impl UserPersonalization {
    /// Load the concrete model type (for the fold-in API).
    pub fn load_model(&self, artifact: &ModelArtifact) -> Result<UpModel, EngineError> {
        UpModel::decode(self.info.name, artifact.format_version, &artifact.payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load_model;
    use crate::model::Exploration;
    use crate::recipe::{train, validate_config};
    use crate::training_data::TrainingDataBuilder;

    /// Two taste groups: even users like items a0..a19 (mostly on mobile), odd users b0..b19
    /// (on desktop); items carry their group as metadata; `cold_a`/`cold_b` have no
    /// interactions (created recently); `ua`/`ub` are users with metadata only.
    /// The pruned search over the cluster index returns exactly the items of a full scan (with
    /// exclusions, context and exploration), and scores close to the full softmax.
    #[test]
    fn pruned_selection_equals_the_full_scan() {
        let mut b = TrainingDataBuilder::new();
        for u in 0..400 {
            for k in 0..30 {
                let item = (u * 7 + k * k * 13) % 3000;
                let device = if (u + k) % 3 == 0 { "DEVICE=mobile" } else { "DEVICE=desktop" };
                b.push_interaction_in_context(
                    &format!("u{u}"),
                    &format!("i{item}"),
                    (k * 100) as i64,
                    Some("click"),
                    None,
                    &[device],
                );
            }
        }
        for i in 0..3000 {
            b.push_item(&format!("i{i}"), Some(if i % 50 == 0 { 2900 } else { 0 }));
        }
        let data = b.build();
        let model = fit("aws-user-personalization", &data, &TrainingConfig::default());
        let clusters = ItemClusters::build(&model);
        let ctx_tokens = ["DEVICE=mobile".to_string()];
        for (u, exploration, context) in [
            ("u1", None, &[][..]),
            ("u2", Some(Exploration { weight: 0.3, item_age_cut_off_days: 1.0, seed: Some(3) }), &ctx_tokens[..]),
            ("u3", None, &ctx_tokens[..]),
        ] {
            let v = model.user_vector(u).unwrap().to_vec();
            let exclude = |id: &str| id.ends_with('7');
            let q = RecommendQuery {
                user_id: Some(u),
                item_id: None,
                num_results: 25,
                exclude: &exclude,
                exclude_index: None,
                context,
                exploration,
            };
            let ctx = model.context_slots(context);
            let full = model.select(&model.logits(Some(&v), &ctx, false), Some(&v), &q, &[]);
            let pruned = model.select_pruned(&clusters, &v, &ctx, &q, &[]);
            let ids = |r: &[ScoredItem]| r.iter().map(|s| s.item_id.clone()).collect::<Vec<_>>();
            assert_eq!(ids(&pruned), ids(&full), "{u}");
            for (p, f) in pruned.iter().zip(&full) {
                let (p, f) = (p.score.unwrap(), f.score.unwrap());
                assert!((p / f - 1.0).abs() < 0.2, "{u}: score {p} vs {f}");
            }
        }
        // Items added later join the existing index; exploration finds them as a full scan does.
        model.item_clusters();
        let new: Vec<NewItem> =
            (0..5).map(|k| NewItem { item_id: format!("new{k}"), tokens: vec![], created: Some(2950) }).collect();
        let extended = model.with_new_items(&new);
        assert!(extended.clusters.get().is_some(), "the index is carried over");
        let v = extended.user_vector("u5").unwrap().to_vec();
        let q = RecommendQuery {
            user_id: Some("u5"),
            item_id: None,
            num_results: 10,
            exclude: &|_| false,
            exclude_index: None,
            context: &[],
            exploration: Some(Exploration { weight: 1.0, item_age_cut_off_days: 1.0, seed: Some(3) }),
        };
        let full = extended.select(&extended.logits(Some(&v), &[], false), Some(&v), &q, &[]);
        let pruned = extended.select_pruned(extended.item_clusters(), &v, &[], &q, &[]);
        let ids = |r: &[ScoredItem]| r.iter().map(|s| s.item_id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&pruned), ids(&full));
        let members = extended.item_clusters().members.len();
        assert_eq!(members, 3005, "every item, new ones included, is in a cluster");
    }

    /// Concurrent requests scored in batches get exactly what a lone request gets.
    #[test]
    fn batched_scoring_under_concurrency_equals_direct_scoring() {
        let data = crate::recipe::tests::synthetic(300, 12, 200);
        let model = fit("aws-user-personalization", &data, &TrainingConfig::default());
        let users: Vec<String> = (0..64).map(|u| format!("u{u}")).collect();
        let expected: Vec<Vec<f32>> = users.iter().map(|u| model.logits(model.user_vector(u), &[], false)).collect();
        std::thread::scope(|scope| {
            for chunk in users.chunks(8).zip(expected.chunks(8)) {
                let model = &model;
                scope.spawn(move || {
                    for _ in 0..20 {
                        for (u, e) in chunk.0.iter().zip(chunk.1) {
                            assert_eq!(&model.logits(model.user_vector(u), &[], true), e, "{u}");
                        }
                    }
                });
            }
        });
    }

    /// A training run chooses what the configuration leaves open, says so, and leaves a user's
    /// choices alone.
    #[test]
    fn training_chooses_what_the_user_left_open() {
        let data = crate::recipe::tests::synthetic(300, 12, 200);
        let solution =
            crate::train("aws-user-personalization", &data, &TrainingConfig::default(), &mut |_| {}).unwrap();
        let chosen = solution.tuned.get("event_value_scaling").map(String::as_str);
        assert!(matches!(chosen, Some("none" | "linear" | "log")), "{:?}", solution.tuned);
        for name in ["alpha", "regularization", "hidden_dimension"] {
            assert!(solution.tuned.contains_key(name), "{name} chosen: {:?}", solution.tuned);
        }
        let mut fixed = TrainingConfig::default();
        for (k, v) in
            [("event_value_scaling", "log"), ("alpha", "2"), ("regularization", "10"), ("hidden_dimension", "64")]
        {
            fixed.hyperparameters.insert(k.into(), v.into());
        }
        assert!(crate::train("aws-user-personalization", &data, &fixed, &mut |_| {}).unwrap().tuned.is_empty());
        let model = UpModel::decode(
            "aws-user-personalization",
            FORMAT_VERSION,
            &crate::train("aws-user-personalization", &data, &fixed, &mut |_| {}).unwrap().artifact.payload,
        )
        .unwrap();
        assert_eq!(model.params().value_scaling, ValueScaling::Log, "the scaling is kept in the artifact");
    }

    /// The final fit of a training run starts from the evaluation model with a third of the
    /// iterations; on held-out data it must rank as well as a fit from scratch.
    #[test]
    fn final_fit_after_evaluation_matches_a_fit_from_scratch() {
        use crate::evaluation::{evaluate, evaluate_model, Split};
        let data = crate::recipe::tests::synthetic(600, 24, 400);
        let cfg = TrainingConfig::default();
        let r = &USER_PERSONALIZATION;
        let s = Split::TEMPORAL.apply(&data);
        let scratch = evaluate_model(r.fit(&s.train, &cfg).unwrap().as_ref(), &s);
        let (_, evaluated) = evaluate(&s.train, |d| r.fit(d, &cfg)).unwrap();
        let warm = evaluate_model(r.fit_after_evaluation(evaluated, &s.train, &cfg).unwrap().as_ref(), &s);
        let key = "normalized_discounted_cumulative_gain_at_10";
        assert!(scratch[key] > 0.2, "{scratch:?}");
        assert!(warm[key] >= 0.95 * scratch[key], "warm {warm:?} scratch {scratch:?}");
    }

    #[test]
    fn update_refreshes_a_model_with_new_items_quickly() {
        let base = groups();
        let config = TrainingConfig::default();
        let first = fit(INFO_UP.name, &base, &config);
        // New data: a new item liked by the even ("a") users.
        let mut b = TrainingDataBuilder::new();
        for u in 0..60 {
            let g = if u % 2 == 0 { "a" } else { "b" };
            for k in 0..20 {
                b.push_interaction(&format!("u{u}"), &format!("{g}{k}"), 1_000 + k as i64, None, None);
            }
            if u % 2 == 0 {
                b.push_interaction(&format!("u{u}"), "new_a", 2_000, None, None);
            }
        }
        let data = b.build();
        let artifact = first.to_artifact();
        let refreshed = USER_PERSONALIZATION.update(&artifact, &data, &config).expect("update");
        let model = USER_PERSONALIZATION.load_model(&refreshed.to_artifact()).unwrap();
        assert!(model.knows_item("new_a"), "the refresh learns the new item");
        let ua = model.user_vector("u0").unwrap().to_vec();
        let ub = model.user_vector("u1").unwrap().to_vec();
        let top_a = model.top_indices_for_vector(Some(&ua), 25, &[]);
        let top_b = model.top_indices_for_vector(Some(&ub), 25, &[]);
        let new_a = model.item_index()["new_a"];
        assert!(top_a.contains(&new_a), "a-users get the new a-item");
        assert!(!top_b[..5].contains(&new_a), "b-users do not");
        assert!(!PERSONALIZED_RANKING.supports_update(), "Personalize updates User-Personalization only");
        assert!(PERSONALIZED_RANKING.update(&artifact, &data, &config).is_err());
    }

    fn groups() -> TrainingData {
        let mut b = TrainingDataBuilder::new();
        for u in 0..60 {
            let g = if u % 2 == 0 { "a" } else { "b" };
            let device = if u % 2 == 0 { "DEVICE=mobile" } else { "DEVICE=desktop" };
            for k in 0..20 {
                let item = format!("{g}{}", (u * 7 + k * 3) % 20);
                let etype = if k % 3 == 0 { "buy" } else { "click" };
                b.push_interaction_in_context(
                    &format!("u{u}"),
                    &item,
                    1_000_000 + (u * 100 + k) as i64 * 60,
                    Some(etype),
                    None,
                    &[device],
                );
            }
            b.push_user_features(&format!("u{u}"), &[&format!("GROUP={g}")]);
        }
        for g in ["a", "b"] {
            for i in 0..20 {
                b.push_item_features(&format!("{g}{i}"), &[&format!("GROUP={g}")]);
                b.push_item(&format!("{g}{i}"), Some(0));
            }
            b.push_item_features(&format!("cold_{g}"), &[&format!("GROUP={g}")]);
            b.push_item(&format!("cold_{g}"), Some(1_000_000));
            b.push_user_features(&format!("u{g}"), &[&format!("GROUP={g}")]);
        }
        b.build()
    }

    fn q<'a>(
        user: Option<&'a str>,
        n: usize,
        context: &'a [String],
        exploration: Option<Exploration>,
    ) -> RecommendQuery<'a> {
        RecommendQuery {
            user_id: user,
            item_id: None,
            num_results: n,
            exclude: &|_| false,
            exclude_index: None,
            context,
            exploration,
        }
    }

    fn small_config() -> TrainingConfig {
        let mut c = TrainingConfig::default();
        c.hyperparameters.insert("hidden_dimension".into(), "32".into());
        c.hyperparameters.insert("num_iterations".into(), "8".into());
        c
    }

    fn group_of(id: &str) -> char {
        id.trim_start_matches("cold_").chars().next().unwrap()
    }

    #[test]
    fn registry_and_hyperparameters() {
        for name in ["aws-user-personalization", "aws-user-personalization-v2"] {
            let r = crate::recipe(name).unwrap();
            assert_eq!(r.recipe_type, "USER_PERSONALIZATION");
            assert!(r.has_scores);
        }
        for name in ["aws-personalized-ranking", "aws-personalized-ranking-v2"] {
            assert_eq!(crate::recipe(name).unwrap().recipe_type, "PERSONALIZED_RANKING");
        }
        let mut c = TrainingConfig::default();
        for spec in HYPERPARAMETERS {
            c.hyperparameters.insert(spec.name.into(), spec.default.into());
        }
        validate_config("aws-user-personalization", &c).unwrap();
        assert_eq!(Params::from_config(&c), Params::from_config(&TrainingConfig::default()));
        c.hyperparameters.insert("hidden_dimension".into(), "16".into());
        assert!(validate_config("aws-personalized-ranking", &c).is_err());
    }

    #[test]
    fn learns_groups_and_serves_after_round_trip() {
        let d = groups();
        let sol = train("aws-user-personalization", &d, &small_config(), &mut |_| {}).unwrap();
        assert_eq!(sol.metrics.len(), 8);
        assert!(sol.metrics["precision_at_5"] > 0.0, "{:?}", sol.metrics);
        let m = load_model(&sol.artifact).unwrap();
        assert_eq!(m.recipe(), "aws-user-personalization");
        assert!(m.has_scores() && m.knows_item("a3") && m.knows_item("cold_a") && !m.knows_item("zz"));
        assert_eq!(m.num_items(), 42);
        let recs = m.recommend(&q(Some("u0"), 10, &[], None));
        assert_eq!(recs.len(), 10);
        assert!(recs.iter().all(|r| group_of(&r.item_id) == 'a'), "{recs:?}");
        let scores: Vec<f64> = recs.iter().map(|r| r.score.unwrap()).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]));
        let all = m.recommend(&q(Some("u0"), 1000, &[], None));
        let total: f64 = all.iter().map(|r| r.score.unwrap()).sum();
        assert!((total - 1.0).abs() < 1e-6, "{total}");
        // Cold user with metadata only: their group, better than popularity.
        let recs = m.recommend(&q(Some("ub"), 5, &[], None));
        assert!(recs.iter().all(|r| group_of(&r.item_id) == 'b'), "{recs:?}");
        // Unknown user: popular items, still scored.
        let recs = m.recommend(&q(Some("nobody"), 5, &[], None));
        assert_eq!(recs.len(), 5);
        assert!(recs.iter().all(|r| r.score.is_some()));
        // Exclusions.
        let recs = m.recommend(&RecommendQuery { exclude: &|i| i.starts_with('a'), ..q(Some("u0"), 5, &[], None) });
        assert!(recs.iter().all(|r| !r.item_id.starts_with('a')));
        // The artifact round-trips byte for byte.
        let up = USER_PERSONALIZATION.load_model(&sol.artifact).unwrap();
        assert_eq!(up.to_artifact(), sol.artifact);
    }

    #[test]
    fn ranking_is_a_softmax_over_known_items() {
        let d = groups();
        let sol = train("aws-personalized-ranking", &d, &small_config(), &mut |_| {}).unwrap();
        let m = load_model(&sol.artifact).unwrap();
        assert_eq!(m.recipe(), "aws-personalized-ranking");
        let input: Vec<String> = ["zz", "b1", "a1", "qq", "b2", "a2"].iter().map(|s| s.to_string()).collect();
        let r = m.rank(&RankQuery { user_id: "u1", input: &input, context: &[] });
        let ids: Vec<&str> = r.iter().map(|s| s.item_id.as_str()).collect();
        assert_eq!(&ids[4..], ["zz", "qq"]);
        assert!(ids[..2].iter().all(|i| i.starts_with('b')), "{ids:?}");
        assert!(r[4].score.is_none() && r[5].score.is_none());
        let total: f64 = r[..4].iter().map(|s| s.score.unwrap()).sum();
        assert!((total - 1.0).abs() < 1e-9);
    }

    #[test]
    fn cold_items_are_explored_and_get_metadata_vectors() {
        let d = groups();
        let up = fit("aws-user-personalization", &d, &small_config());
        let exp = Some(Exploration { weight: 0.3, item_age_cut_off_days: 1.0, seed: Some(3) });
        let recs = up.recommend(&q(Some("u0"), 10, &[], exp));
        assert_eq!(recs.len(), 10);
        let ids: Vec<&str> = recs.iter().map(|r| r.item_id.as_str()).collect();
        assert!(ids.contains(&"cold_a"), "{ids:?}");
        // Cold item vectors come from their metadata: cold_a is closer to group a.
        let a = up.user_vector("u0").unwrap();
        let ia = up.item_index()[&Arc::<str>::from("cold_a")] as usize;
        let ib = up.item_index()[&Arc::<str>::from("cold_b")] as usize;
        let (s, y) = (up.s, &up.y);
        assert!(als::dot(&y[ia * s..(ia + 1) * s], a) > als::dot(&y[ib * s..(ib + 1) * s], a));
        let v = up.item_vector_from_features(&["GROUP=a"]).unwrap();
        assert_eq!(v.len(), 32);
        // Without exploration no cold item shows up for a known user.
        let recs = up.recommend(&q(Some("u0"), 10, &[], None));
        assert!(recs.iter().all(|r| !r.item_id.starts_with("cold")));
    }

    #[test]
    fn context_shifts_preferences() {
        let d = groups();
        let up = fit("aws-user-personalization", &d, &small_config());
        let mobile = vec!["DEVICE=mobile".to_string()];
        let desktop = vec!["DEVICE=desktop".to_string()];
        let on_mobile = up.recommend(&q(None, 10, &mobile, None));
        let on_desktop = up.recommend(&q(None, 10, &desktop, None));
        let count = |v: &[ScoredItem], g| v.iter().filter(|r| group_of(&r.item_id) == g).count();
        assert!(count(&on_mobile, 'a') > count(&on_desktop, 'a'), "{on_mobile:?} {on_desktop:?}");
    }

    #[test]
    fn real_time_history_and_fold_in() {
        let d = groups();
        let up = fit("aws-user-personalization", &d, &small_config());
        // An unknown user clicking b items gets b items.
        let history: Vec<HistoryEvent> = (0..5)
            .map(|i| HistoryEvent {
                item_id: format!("b{i}"),
                event_type: Some("click".into()),
                timestamp: 2_000_000 + i,
            })
            .collect();
        let recs = up.recommend_with_history(&q(Some("new-user"), 5, &[], None), &history);
        assert!(recs.iter().all(|r| group_of(&r.item_id) == 'b'), "{recs:?}");
        // A known a-user who starts clicking b items moves toward b.
        let pair: Vec<String> = ["a1", "b7"].iter().map(|s| s.to_string()).collect();
        let rq = RankQuery { user_id: "u0", input: &pair, context: &[] };
        let b_share = |r: Vec<ScoredItem>| r.iter().find(|x| x.item_id == "b7").unwrap().score.unwrap();
        let (before, after) = (b_share(up.rank(&rq)), b_share(up.rank_with_history(&rq, &history)));
        assert!(after > 100.0 * before, "{before} -> {after}");
        // fold_in by ids equals the index version.
        let v = up.fold_in(&[("b1", 1.0, 5), ("b2", 1.0, 6), ("unknown", 1.0, 7)]);
        assert_eq!(v.len(), 32);
        let w = up.fold_in_indices(&[
            (up.item_index()[&Arc::<str>::from("b1")], 1.0, 5),
            (up.item_index()[&Arc::<str>::from("b2")], 1.0, 6),
        ]);
        assert_eq!(&w[..32], &v[..]);
        // Ranking with history.
        let input: Vec<String> = ["a1", "b1"].iter().map(|s| s.to_string()).collect();
        let r = up.rank_with_history(&RankQuery { user_id: "new-user", input: &input, context: &[] }, &history);
        assert_eq!(r[0].item_id, "b1");
    }

    #[test]
    fn corrupt_payloads_are_errors_never_panics() {
        let d = groups();
        let a = fit("aws-user-personalization", &d, &small_config()).to_artifact();
        let mut rng = 0x1234_5678_9abc_def0u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for n in (0..a.payload.len()).step_by(97) {
            let t = ModelArtifact { payload: a.payload[..n].to_vec(), ..a.clone() };
            assert!(matches!(load_model(&t), Err(EngineError::CorruptArtifact(_))), "truncated to {n}");
        }
        for _ in 0..300 {
            let mut p = a.payload.clone();
            for _ in 0..4 {
                let i = next() as usize % p.len();
                p[i] = next() as u8;
            }
            let _ = load_model(&ModelArtifact { payload: p, ..a.clone() });
            let len = next() as usize % 256;
            let junk: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            assert!(load_model(&ModelArtifact { payload: junk, ..a.clone() }).is_err());
        }
        let mut longer = a.clone();
        longer.payload.push(0);
        assert!(load_model(&longer).is_err());
    }

    #[test]
    fn event_weights_follow_events_config() {
        let c = TrainingConfig {
            event_parameters: vec![crate::recipe::EventParameters {
                event_type: Some("buy".into()),
                event_value_threshold: None,
                weight: Some(0.5),
            }],
            ..Default::default()
        };
        let w = EventWeights::from_config(&c);
        assert_eq!(w.weight(Some("buy")), 0.5);
        assert_eq!(w.weight(Some("click")), 0.0);
        assert_eq!(EventWeights::from_config(&TrainingConfig::default()).weight(None), 1.0);
        let only = TrainingConfig { event_type: Some("click".into()), ..Default::default() };
        let w = EventWeights::from_config(&only);
        assert_eq!((w.weight(Some("click")), w.weight(Some("buy"))), (1.0, 0.0));
    }
}
