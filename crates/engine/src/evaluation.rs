//! Offline evaluation (§7.1, §7.2), shared by every recipe.
//!
//! * Users with interactions are partitioned deterministically: each user id is hashed with a
//!   fixed seed (FNV-1a + a 64-bit finaliser, stable across platforms and Rust versions); the
//!   10% of users with the smallest hashes (at least one) are test users, the rest train.
//! * The evaluation model is trained on all interactions of training users plus the oldest
//!   interactions of each test user (their history), so test users are known to the model.
//! * For each test user with at least 2 interactions, the newest `max(1, n / 10)` interactions
//!   are held out; their distinct items are the relevant items. The model is asked for the top
//!   25 given the user's history, and the §7.2 metrics are averaged over those users.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::error::EngineError;
use crate::recipe::FittedModel;
use crate::training_data::TrainingData;

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
}

impl Acc {
    fn merge(mut self, o: Acc) -> Acc {
        self.users += o.users;
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

/// Run the §7.1 evaluation on filtered data. `fit` trains a model on a snapshot (the
/// evaluation training split); the returned map has exactly the [`METRIC_KEYS`].
pub fn evaluate<F>(data: &TrainingData, fit: F) -> Result<BTreeMap<String, f64>, EngineError>
where
    F: FnOnce(&TrainingData) -> Result<Box<dyn FittedModel>, EngineError>,
{
    let is_test = test_users(data);
    let train =
        data.retain_per_user(|u, n| if is_test[u as usize] && n >= 2 { 0..n - held_out_count(n) } else { 0..n });
    let model = fit(&train)?;
    let model: &dyn FittedModel = model.as_ref();
    let test: Vec<u32> =
        (0..data.num_users() as u32).filter(|&u| is_test[u as usize] && data.user_len(u) >= 2).collect();
    let words = data.num_items().div_ceil(64);
    let acc = test
        .par_iter()
        .with_min_len(256)
        .fold(
            || (Acc { covered: vec![0; words], ..Default::default() }, Vec::new(), Vec::new()),
            |(mut acc, mut recs, mut relevant), &u| {
                let all = data.user_interactions(u);
                let n = all.len();
                let history = all.prefix(n - held_out_count(n));
                relevant.clear();
                relevant.extend_from_slice(&all.items[history.len()..]);
                relevant.sort_unstable();
                relevant.dedup();
                recs.clear();
                model.recommend_indices(u, train.user_interactions(u), EVAL_K, &mut recs);
                recs.truncate(EVAL_K);
                let m = user_metrics(&recs, |i| relevant.binary_search(&i).is_ok(), relevant.len());
                acc.users += 1;
                acc.rr += m.reciprocal_rank;
                for c in 0..3 {
                    acc.ndcg[c] += m.ndcg[c];
                    acc.precision[c] += m.precision[c];
                }
                for &i in &recs {
                    acc.covered[i as usize / 64] |= 1u64 << (i % 64);
                }
                (acc, recs, relevant)
            },
        )
        .map(|(acc, _, _)| acc)
        .reduce(Acc::default, Acc::merge);
    let users = acc.users.max(1) as f64;
    let covered: u32 = acc.covered.iter().map(|w| w.count_ones()).sum();
    let coverage = if data.num_items() == 0 { 0.0 } else { covered as f64 / data.num_items() as f64 };
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
    Ok(METRIC_KEYS.iter().map(|k| k.to_string()).zip(values).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::tests::synthetic;
    use crate::training_data::UserInteractions;

    #[test]
    fn worked_example() {
        // Relevant items at ranks 2 and 5 of a 5-item list.
        let recs = [10, 11, 12, 13, 14];
        let m = user_metrics(&recs, |i| i == 11 || i == 14, 2);
        assert!((m.reciprocal_rank - 0.5).abs() < 1e-12);
        assert!((m.precision[0] - 0.4).abs() < 1e-12);
        let expected = (1.0 / 3f64.ln() + 1.0 / 6f64.ln()) / (1.0 / 2f64.ln() + 1.0 / 3f64.ln());
        assert!((m.ndcg[0] - expected).abs() < 1e-12);
        assert!((m.ndcg[0] - 0.6241).abs() < 1e-4, "{}", m.ndcg[0]);
        // Precision divides by K even for short lists.
        assert!((m.precision[1] - 0.2).abs() < 1e-12);
        assert!((m.precision[2] - 0.08).abs() < 1e-12);
    }

    #[test]
    fn perfect_and_empty_lists() {
        let m = user_metrics(&[1, 2], |i| i <= 2, 2);
        assert_eq!(m.ndcg, [1.0, 1.0, 1.0]);
        assert_eq!(m.reciprocal_rank, 1.0);
        let m = user_metrics(&[], |_| true, 3);
        assert_eq!(m, UserMetrics::default());
    }

    #[test]
    fn split_is_deterministic_and_90_10() {
        let d = synthetic(1000, 3, 50);
        let a = test_users(&d);
        assert_eq!(a, test_users(&d));
        assert_eq!(a.iter().filter(|&&t| t).count(), 100);
        // Independent of interning order: depends on the user id only.
        let ids: Vec<&str> = (0..1000u32).filter(|&u| a[u as usize]).map(|u| d.user_id(u)).collect();
        let d2 = synthetic(1000, 3, 50);
        let b = test_users(&d2);
        let ids2: Vec<&str> = (0..1000u32).filter(|&u| b[u as usize]).map(|u| d2.user_id(u)).collect();
        assert_eq!(ids, ids2);
        assert_eq!(held_out_count(2), 1);
        assert_eq!(held_out_count(25), 2);
    }

    /// Recommends exactly the items each user will interact with next (an oracle), to check
    /// that the split hands the model only the history.
    struct Oracle(TrainingData);
    impl FittedModel for Oracle {
        fn recommend_indices(&self, user: u32, history: UserInteractions<'_>, n: usize, out: &mut Vec<u32>) {
            let all = self.0.user_interactions(user);
            assert!(history.len() < all.len());
            assert_eq!(history.items, &all.items[..history.len()]);
            out.extend(all.items[history.len()..].iter().take(n));
        }
        fn to_artifact(&self) -> crate::ModelArtifact {
            unreachable!()
        }
    }

    #[test]
    fn oracle_scores_perfectly_and_split_truncates_history() {
        let d = synthetic(200, 20, 1000); // distinct items per user, 20 interactions each
        let full = d.clone();
        let metrics = evaluate(&d, |train| {
            // test users lost their newest 2 interactions (20 / 10)
            let lost = full.num_interactions() - train.num_interactions();
            assert_eq!(lost, 20 * 2);
            Ok(Box::new(Oracle(full.clone())) as Box<dyn FittedModel>)
        })
        .unwrap();
        assert_eq!(metrics.len(), 8);
        assert_eq!(metrics["mean_reciprocal_rank_at_25"], 1.0);
        assert_eq!(metrics["normalized_discounted_cumulative_gain_at_25"], 1.0);
        assert!((metrics["precision_at_5"] - 0.4).abs() < 1e-12);
        let coverage = metrics["coverage"];
        assert!(coverage > 20.0 / 219.0 && coverage <= 40.0 / 219.0, "{coverage}");
    }
}
