//! Offline evaluation, shared by every recipe: the split and metrics Personalize describes in
//! "Evaluating an Amazon Personalize solution version with metrics"
//! (<https://docs.aws.amazon.com/personalize/latest/dg/working-with-training-metrics.html>).
//!
//! An evaluation is a **split** ([`EvalSplit`]: the data a model is fitted on, plus the test
//! users with their relevant items) and a **scorer** ([`evaluate_model`]: the GetSolutionMetrics
//! metrics of a fitted model on a split). Two splits are provided:
//!
//! * [`personalize_split`] (Personalize's evaluation split, what every training run reports):
//!   * Users with interactions are partitioned deterministically: each user id is hashed with a
//!     fixed seed (FNV-1a + a 64-bit finaliser, stable across platforms and Rust versions); the
//!     10% of users with the smallest hashes (at least one) are test users, the rest train.
//!   * The evaluation model is trained on all interactions of training users plus the oldest
//!     interactions of each test user (their history), so test users are known to the model.
//!   * For each test user with at least 2 interactions, the newest `max(1, n / 10)`
//!     interactions are held out.
//! * [`temporal_split`] (`reko eval --split temporal`, and for tuning): every user with at
//!   least `min_interactions` interactions is a test user whose newest `test_fraction` of
//!   interactions is held out ([`temporal_test_count`]); users with fewer interactions stay in
//!   training whole. Applied again to the `train` part of a split it carves a validation split
//!   out of the training data, leaving the test part untouched:
//!
//!   ```
//!   # use reko_engine::evaluation::{temporal_split, evaluate_model};
//!   # fn demo(data: &reko_engine::TrainingData) {
//!   let test = temporal_split(data, 0.2, 5); // final numbers: fit on test.train
//!   let validation = temporal_split(&test.train, 0.2, 5); // tune: fit on validation.train
//!   # }
//!   ```
//!
//! In both, a test user's **relevant items** are the distinct held-out items that are not in
//! the user's training history, and users left with no relevant item are not evaluated.
//! Scoring ranks the full catalogue (never sampled negatives) and **excludes already-seen
//! items**: the model is asked for `25 + |history|` items and the user's history items are
//! dropped, so every user gets a full top 25 of unseen items when the model can rank that many
//! ([`recommend_unseen`]).

use std::collections::BTreeMap;
use std::time::Instant;

use rayon::prelude::*;

use crate::error::EngineError;
use crate::model::FittedModel;
use crate::progress::LiveProgress;
use crate::training_data::{TrainingData, UserInteractions};

/// Length of the evaluated recommendation lists.
pub const EVAL_K: usize = 25;
/// Seed of the user partition hash.
pub const SPLIT_SEED: u64 = 0x5245_4b4f_4556_414c; // "REKOEVAL"

/// Metric keys, as returned by GetSolutionMetrics.
pub const METRIC_KEYS: [&str; 8] = [
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
];

/// The metric of a solution with an optimization objective (besides [`METRIC_KEYS`]).
pub const REWARD_METRIC_KEY: &str = "average_rewards_at_k";

/// Items' rewards for [`REWARD_METRIC_KEY`]: the objective value scaled to [0, 1] over the
/// catalogue's valued items (all 1 when they are equal; 0 for an item without a value).
pub fn item_rewards(values: &[f32]) -> Vec<f32> {
    let valued = values.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = valued.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    values
        .iter()
        .map(|&v| match v.is_finite() {
            false => 0.0,
            true if hi > lo => (v - lo) / (hi - lo),
            true => 1.0,
        })
        .collect()
}

/// Deterministic 64-bit hash of a user id for the split.
pub fn split_hash(user_id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ SPLIT_SEED;
    for b in user_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // splitmix64 finaliser
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// The test users (indices, `true` = test) of a snapshot: 10% (rounded, at least one) of the
/// users that have interactions, chosen by smallest [`split_hash`] (ties by id).
pub fn test_users(data: &TrainingData) -> Vec<bool> {
    let mut active: Vec<(u64, u32)> = (0..data.num_users() as u32)
        .filter(|&u| data.user_len(u) > 0)
        .map(|u| (split_hash(data.user_id(u)), u))
        .collect();
    let mut is_test = vec![false; data.num_users()];
    if active.is_empty() {
        return is_test;
    }
    let n_test = ((active.len() as f64 * 0.1).round() as usize).max(1);
    active.select_nth_unstable_by(n_test - 1, |a, b| {
        a.0.cmp(&b.0).then_with(|| data.user_id(a.1).cmp(data.user_id(b.1)))
    });
    for &(_, u) in &active[..n_test] {
        is_test[u as usize] = true;
    }
    is_test
}

/// Number of held-out (newest) interactions for a test user with `n` >= 2 interactions.
pub fn held_out_count(n: usize) -> usize {
    (n / 10).max(1)
}

/// Per-user ranking metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UserMetrics {
    /// Reciprocal rank of the first relevant item in the list (0 if none).
    pub reciprocal_rank: f64,
    /// NDCG at 5, 10, 25.
    pub ndcg: [f64; 3],
    /// Precision at 5, 10, 25.
    pub precision: [f64; 3],
}

const CUTOFFS: [usize; 3] = [5, 10, 25];

/// Metrics of one recommendation list (`recommended`, best first, at most 25 considered)
/// against a set of relevant items. Gain 1/log2(1 + position), position 1 = top; the ideal
/// DCG places min(K, |relevant|) relevant items first; precision divides by K.
pub fn user_metrics(recommended: &[u32], is_relevant: impl Fn(u32) -> bool, num_relevant: usize) -> UserMetrics {
    let mut m = UserMetrics::default();
    if num_relevant == 0 {
        return m;
    }
    let mut dcg = 0.0;
    let mut hits = 0usize;
    let mut prefix = [(0.0f64, 0usize); EVAL_K]; // (dcg, hits) after position i
    let list = &recommended[..recommended.len().min(EVAL_K)];
    for (i, &item) in list.iter().enumerate() {
        if is_relevant(item) {
            if hits == 0 {
                m.reciprocal_rank = 1.0 / (i + 1) as f64;
            }
            hits += 1;
            dcg += 1.0 / ((i + 2) as f64).log2();
        }
        prefix[i] = (dcg, hits);
    }
    for (c, &k) in CUTOFFS.iter().enumerate() {
        let (dcg_k, hits_k) = if list.is_empty() { (0.0, 0) } else { prefix[k.min(list.len()) - 1] };
        let ideal: f64 = (0..k.min(num_relevant)).map(|i| 1.0 / ((i + 2) as f64).log2()).sum();
        m.ndcg[c] = dcg_k / ideal;
        m.precision[c] = hits_k as f64 / k as f64;
    }
    m
}

#[derive(Default)]
struct Acc {
    users: usize,
    rr: f64,
    ndcg: [f64; 3],
    precision: [f64; 3],
    covered: Vec<u64>,
    /// Users with a positive reward among their relevant items, and the sum of their shares.
    reward_users: usize,
    rewards: f64,
}

impl Acc {
    fn merge(mut self, o: Acc) -> Acc {
        self.users += o.users;
        self.reward_users += o.reward_users;
        self.rewards += o.rewards;
        self.rr += o.rr;
        for c in 0..3 {
            self.ndcg[c] += o.ndcg[c];
            self.precision[c] += o.precision[c];
        }
        if self.covered.len() < o.covered.len() {
            self.covered.resize(o.covered.len(), 0);
        }
        for (a, b) in self.covered.iter_mut().zip(&o.covered) {
            *a |= b;
        }
        self
    }
}

/// One evaluated user of an [`EvalSplit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestUser {
    /// User index (shared by the split's `train` and the data it was cut from).
    pub user: u32,
    /// Relevant items: distinct held-out items not in the user's training history; sorted
    /// ascending, never empty.
    pub relevant: Vec<u32>,
}

/// An evaluation split: what the model is fitted on and what it is scored against.
#[derive(Debug, Clone)]
pub struct EvalSplit {
    /// The data to fit on. It shares the id tables (and so the catalogue) of the data it was
    /// cut from; a test user's interactions here are their history at evaluation time.
    pub train: TrainingData,
    /// The evaluated users, ascending by index.
    pub test: Vec<TestUser>,
}

impl EvalSplit {
    /// Cut `train` from `data` with `range(user, n)` (the kept, oldest interactions of each
    /// user) and build the test users from the held-out rest of the users in `test_users`.
    fn cut(data: &TrainingData, test_users: &[u32], range: impl FnMut(u32, usize) -> std::ops::Range<usize>) -> Self {
        let train = data.retain_per_user(range);
        let test = test_users
            .par_iter()
            .filter_map(|&u| {
                let all = data.user_interactions(u);
                let kept = train.user_len(u);
                let mut history = train.user_interactions(u).items.to_vec();
                history.sort_unstable();
                history.dedup();
                let mut relevant: Vec<u32> =
                    all.items[kept..].iter().copied().filter(|i| history.binary_search(i).is_err()).collect();
                relevant.sort_unstable();
                relevant.dedup();
                (!relevant.is_empty()).then_some(TestUser { user: u, relevant })
            })
            .collect();
        EvalSplit { train, test }
    }
}

/// Personalize's evaluation split: [`test_users`] lose their newest [`held_out_count`] interactions
/// (users with fewer than 2 interactions are not evaluated); every other user trains whole.
pub fn personalize_split(data: &TrainingData) -> EvalSplit {
    let is_test = test_users(data);
    let test: Vec<u32> =
        (0..data.num_users() as u32).filter(|&u| is_test[u as usize] && data.user_len(u) >= 2).collect();
    EvalSplit::cut(data, &test, |u, n| if is_test[u as usize] && n >= 2 { 0..n - held_out_count(n) } else { 0..n })
}

/// Users a tuning candidate (self-tuning, HPO trial) is fitted on, and scored on, at most: what
/// a setting does to the ranking shows at that size, and tuning stays a fraction of a fit.
pub const TUNING_USERS: usize = 20_000;
pub const TUNING_TEST_USERS: usize = 1_000;
/// Share of each validation user's newest interactions held out for tuning: as `reko eval`'s
/// temporal split. With 10% a typical user holds out one or two interactions, and choices then
/// follow what predicts the very next item (the sequence component, short half-lives) rather
/// than the user's next weeks.
pub const VALIDATION_FRACTION: f64 = 0.2;

/// The split a training run tunes on (self-tuning, HPO trials), cut from the training part of
/// [`personalize_split`], so that split's held-out interactions, which the reported metrics
/// score, take no part in the choice: at most `max_users` users (evenly spread; a sample is
/// re-indexed with only its users and their items, [`TrainingData::compacted`]), each user with
/// at least 5 interactions holding out their newest [`VALIDATION_FRACTION`] ([`temporal_split`]:
/// every user, not 10% of them, so that small data sets give a choice more signal than noise), at
/// most `max_test_users` of them scored.
pub fn validation_split(data: &TrainingData, max_users: usize, max_test_users: usize) -> EvalSplit {
    let train = personalize_split(data).train;
    let step = train.num_users().div_ceil(max_users.max(1)).max(1) as u32;
    // The sample is compacted: its fits and scoring then skip the users and items it lacks.
    let sample = if step > 1 {
        train.retain_per_user(|u, n| if u % step == 0 { 0..n } else { 0..0 }).compacted()
    } else {
        train
    };
    let mut split = temporal_split(&sample, VALIDATION_FRACTION, 5);
    let test_step = split.test.len().div_ceil(max_test_users.max(1)).max(1);
    split.test = split.test.into_iter().step_by(test_step).collect();
    split
}

/// Number of held-out (newest) interactions of a user with `n` interactions in a
/// [`temporal_split`]: 0 when `n < max(min_interactions, 2)`; otherwise
/// `floor(n * test_fraction)` (never more than the fraction, like [`personalize_split`]'s `n / 10`),
/// clamped so that at least one interaction is held out and at least one trains. For the
/// default 20%: 5–9 → 1, 10–14 → 2, 20 → 4.
pub fn temporal_test_count(n: usize, test_fraction: f64, min_interactions: usize) -> usize {
    if n < min_interactions.max(2) {
        return 0;
    }
    // The epsilon keeps exact products (15 * 0.2 = 3) from rounding down.
    let test = ((n as f64) * test_fraction + 1e-9).floor() as usize;
    test.clamp(1, n - 1)
}

/// Per-user temporal split: every user with at least `min_interactions` interactions (and at
/// least 2) is a test user whose newest [`temporal_test_count`] interactions (chronological
/// order, ties by item index) are held out; users with fewer interactions stay in training
/// whole and are not evaluated. All other users' interactions are in `train`.
///
/// `reko eval --split temporal` uses `test_fraction = 0.2`, `min_interactions = 5`
/// ([`Split::TEMPORAL`]). Apply it to the `train` of a split to get a validation split for
/// tuning that never sees the test interactions.
///
/// # Panics
/// If `test_fraction` is not strictly between 0 and 1.
pub fn temporal_split(data: &TrainingData, test_fraction: f64, min_interactions: usize) -> EvalSplit {
    assert!(test_fraction > 0.0 && test_fraction < 1.0, "test_fraction must be in (0, 1), got {test_fraction}");
    let test: Vec<u32> = (0..data.num_users() as u32)
        .filter(|&u| temporal_test_count(data.user_len(u), test_fraction, min_interactions) > 0)
        .collect();
    EvalSplit::cut(data, &test, |_, n| 0..n - temporal_test_count(n, test_fraction, min_interactions))
}

/// Which split an evaluation uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Split {
    /// Personalize's evaluation split ([`personalize_split`]): what GetSolutionMetrics reports.
    Personalize,
    /// Per-user temporal split ([`temporal_split`]).
    Temporal {
        /// Share of each test user's newest interactions held out, in (0, 1).
        test_fraction: f64,
        /// Users with fewer interactions stay in training only.
        min_interactions: usize,
    },
}

impl Split {
    /// The temporal split of `reko eval --split temporal`: newest 20%, users with 5+ interactions.
    pub const TEMPORAL: Split = Split::Temporal { test_fraction: 0.2, min_interactions: 5 };

    /// Cut `data`.
    pub fn apply(&self, data: &TrainingData) -> EvalSplit {
        match *self {
            Split::Personalize => personalize_split(data),
            Split::Temporal { test_fraction, min_interactions } => {
                temporal_split(data, test_fraction, min_interactions)
            }
        }
    }
}

/// The top `k` items for `user` that are not in `history` (the user's training interactions):
/// asks the model for `k + |distinct history items|` items, then drops history items and
/// repeats, so the list is full whenever the model can rank `k` unseen items. `out` is cleared.
pub fn recommend_unseen(
    model: &dyn FittedModel,
    user: u32,
    history: UserInteractions<'_>,
    k: usize,
    out: &mut Vec<u32>,
) {
    let mut seen = history.items.to_vec();
    seen.sort_unstable();
    seen.dedup();
    let mut recs = Vec::with_capacity(k + seen.len());
    model.recommend_indices(user, history, k + seen.len(), &mut recs);
    out.clear();
    for i in recs {
        if out.len() == k {
            break;
        }
        if seen.binary_search(&i).is_err() && !out.contains(&i) {
            out.push(i);
        }
    }
}

/// Test users scored together (see [`FittedModel::recommend_indices_batch`]).
const EVAL_BATCH: usize = 32;

/// [`recommend_unseen`] for a batch of test users, one model call for the batch.
fn recommend_unseen_batch(
    model: &dyn FittedModel,
    train: &TrainingData,
    batch: &[TestUser],
    k: usize,
    out: &mut [Vec<u32>],
) {
    let seen: Vec<Vec<u32>> = batch
        .iter()
        .map(|t| {
            let mut s = train.user_interactions(t.user).items.to_vec();
            s.sort_unstable();
            s.dedup();
            s
        })
        .collect();
    let requests: Vec<_> =
        batch.iter().zip(&seen).map(|(t, s)| (t.user, train.user_interactions(t.user), k + s.len())).collect();
    let mut recs = vec![Vec::new(); batch.len()];
    model.recommend_indices_batch(&requests, &mut recs);
    for ((o, r), s) in out.iter_mut().zip(recs).zip(&seen) {
        o.clear();
        for i in r {
            if o.len() == k {
                break;
            }
            if s.binary_search(&i).is_err() && !o.contains(&i) {
                o.push(i);
            }
        }
    }
}

/// The offline metrics (GetSolutionMetrics' keys) of a fitted model on a split, averaged over
/// `split.test`: the model gets each test user's training history and its top 25 unseen items
/// ([`recommend_unseen`]) are scored against the user's relevant items. `coverage` = distinct
/// items in all evaluated top-25 lists ÷ items in the catalogue. The map has exactly the
/// [`METRIC_KEYS`] (all 0 when there is no test user), and [`REWARD_METRIC_KEY`] when the data
/// carries objective values: per user, the reward ([`item_rewards`]) of the relevant items in
/// the top 25 ÷ the reward of all their relevant items, averaged over users whose relevant
/// items have a positive reward.
pub fn evaluate_model(model: &dyn FittedModel, split: &EvalSplit) -> BTreeMap<String, f64> {
    evaluate_model_reporting(model, split, &LiveProgress::default())
}

/// [`evaluate_model`], moving `progress` as batches of test users are scored.
pub fn evaluate_model_reporting(
    model: &dyn FittedModel,
    split: &EvalSplit,
    progress: &LiveProgress,
) -> BTreeMap<String, f64> {
    model.prepare_for(split.test.len());
    let (scored, batches) = (std::sync::atomic::AtomicUsize::new(0), split.test.len().div_ceil(EVAL_BATCH));
    let rewards = split.train.item_objective_values().map(item_rewards);
    let num_items = split.train.num_items();
    let words = num_items.div_ceil(64);
    let acc = split
        .test
        .par_chunks(EVAL_BATCH)
        .fold(
            || Acc { covered: vec![0; words], ..Default::default() },
            |mut acc, batch| {
                let mut recs = vec![Vec::new(); batch.len()];
                recommend_unseen_batch(model, &split.train, batch, EVAL_K, &mut recs);
                progress.steps(scored.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, batches);
                for (t, recs) in batch.iter().zip(&recs) {
                    let m = user_metrics(recs, |i| t.relevant.binary_search(&i).is_ok(), t.relevant.len());
                    acc.users += 1;
                    acc.rr += m.reciprocal_rank;
                    for c in 0..3 {
                        acc.ndcg[c] += m.ndcg[c];
                        acc.precision[c] += m.precision[c];
                    }
                    for &i in recs {
                        acc.covered[i as usize / 64] |= 1u64 << (i % 64);
                    }
                    if let Some(r) = &rewards {
                        let all: f64 = t.relevant.iter().map(|&i| f64::from(r[i as usize])).sum();
                        if all > 0.0 {
                            let hits: f64 = recs
                                .iter()
                                .filter(|i| t.relevant.binary_search(i).is_ok())
                                .map(|&i| f64::from(r[i as usize]))
                                .sum();
                            acc.reward_users += 1;
                            acc.rewards += hits / all;
                        }
                    }
                }
                acc
            },
        )
        .reduce(Acc::default, Acc::merge);
    let users = acc.users.max(1) as f64;
    let covered: u32 = acc.covered.iter().map(|w| w.count_ones()).sum();
    let coverage = if num_items == 0 { 0.0 } else { covered as f64 / num_items as f64 };
    let values = [
        coverage,
        acc.rr / users,
        acc.ndcg[0] / users,
        acc.ndcg[1] / users,
        acc.ndcg[2] / users,
        acc.precision[0] / users,
        acc.precision[1] / users,
        acc.precision[2] / users,
    ];
    let mut metrics: BTreeMap<String, f64> = METRIC_KEYS.iter().map(|k| k.to_string()).zip(values).collect();
    if rewards.is_some() {
        metrics.insert(REWARD_METRIC_KEY.to_string(), acc.rewards / acc.reward_users.max(1) as f64);
    }
    metrics
}

/// Result of [`evaluate_split`] / [`crate::evaluate_recipe`].
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The [`METRIC_KEYS`] and their values.
    pub metrics: BTreeMap<String, f64>,
    /// Number of evaluated users (test users with at least one relevant item).
    pub test_users: usize,
    /// Wall-clock seconds of the fit on the split's training part.
    pub fit_seconds: f64,
}

/// Cut `data` with `split`, fit with `fit` on the training part and score the model.
pub fn evaluate_split<F>(data: &TrainingData, split: Split, fit: F) -> Result<Evaluation, EngineError>
where
    F: FnOnce(&TrainingData) -> Result<Box<dyn FittedModel>, EngineError>,
{
    evaluate_split_keeping_model(data, split, fit, &LiveProgress::default()).map(|(e, _)| e)
}

/// Metric name → value.
pub type Metrics = BTreeMap<String, f64>;

/// [`evaluate_split`], also returning the model fitted on the training part.
pub(crate) fn evaluate_split_keeping_model<F>(
    data: &TrainingData,
    split: Split,
    fit: F,
    scoring: &LiveProgress,
) -> Result<(Evaluation, Box<dyn FittedModel>), EngineError>
where
    F: FnOnce(&TrainingData) -> Result<Box<dyn FittedModel>, EngineError>,
{
    let s = split.apply(data);
    let start = Instant::now();
    let model = fit(&s.train)?;
    let fit_seconds = start.elapsed().as_secs_f64();
    let metrics = evaluate_model_reporting(model.as_ref(), &s, scoring);
    Ok((Evaluation { metrics, test_users: s.test.len(), fit_seconds }, model))
}

/// Run Personalize's evaluation ([`personalize_split`]) on filtered data (what [`crate::train`]
/// reports). `fit` trains a model on a snapshot (the evaluation training split); the returned map
/// has exactly the [`METRIC_KEYS`]; the evaluated model comes back too, for warm starts.
pub fn evaluate<F>(data: &TrainingData, fit: F) -> Result<(Metrics, Box<dyn FittedModel>), EngineError>
where
    F: FnOnce(&TrainingData) -> Result<Box<dyn FittedModel>, EngineError>,
{
    evaluate_split_keeping_model(data, Split::Personalize, fit, &LiveProgress::default()).map(|(e, m)| (e.metrics, m))
}

mod segments;
pub use segments::*;

#[cfg(test)]
mod tests;
