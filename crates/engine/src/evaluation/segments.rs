//! The offline evaluation of USER_SEGMENTATION recipes: Personalize's segment split and
//! segment metrics.

use super::*;

/// Metric keys of USER_SEGMENTATION recipes, as GetSolutionMetrics returns them.
pub const SEGMENT_METRIC_KEYS: [&str; 3] = ["coverage", "hits_at_1_percent", "recall_at_1_percent"];
/// Items a segmentation evaluation scores at most (those with the smallest [`split_hash`] of
/// their id among the items with held-out users): each costs a pass over every user vector.
pub const SEGMENT_EVAL_MAX_ITEMS: usize = 1000;

/// Personalize's USER_SEGMENTATION split: each user with 2+ interactions keeps the oldest 80% for
/// training and the newest 20% (at least one) are held out.
pub fn segment_split(data: &TrainingData) -> EvalSplit {
    temporal_split(data, 0.2, 2)
}

/// A fitted segmentation model as the evaluation sees it: scores every user of its training
/// data for a set of items.
pub trait UserScorer: Sync {
    /// Whether the model can build a segment for item index `item`.
    fn knows_item(&self, item: u32) -> bool;
    /// `out[u]` = affinity of user index `u` to `items` (higher = more likely to interact);
    /// `f32::NEG_INFINITY` for users the model cannot score.
    fn user_scores(&self, items: &[u32], out: &mut [f32]);
}

/// Segment metrics of a model fitted on `split.train` (Personalize's segmentation metrics):
///
/// * For each evaluated item, the predicted segment is the top 1% (rounded up) of the users
///   with training interactions, by score, leaving out users who already interacted with the
///   item in training (predicting those would be trivial). The item's **actual** users are the
///   users whose held-out interactions contain it (and whose training part does not).
/// * `hits_at_1_percent`: actual users found in the segment, averaged over the items with at
///   least one actual user (at most [`SEGMENT_EVAL_MAX_ITEMS`] of them, chosen by id hash);
///   `recall_at_1_percent`: the same hits over the number of actual users, averaged likewise.
/// * `coverage`: share of the catalogue the model can build segments for.
pub fn evaluate_segments(model: &dyn UserScorer, split: &EvalSplit) -> Metrics {
    let train = &split.train;
    let n_items = train.num_items();
    let mut actual: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for t in &split.test {
        for &i in &t.relevant {
            actual.entry(i).or_default().push(t.user);
        }
    }
    let mut items: Vec<(u64, u32)> = actual.keys().map(|&i| (split_hash(train.item_id(i)), i)).collect();
    items.sort_unstable();
    items.truncate(SEGMENT_EVAL_MAX_ITEMS);
    // Who already interacted with each evaluated item in training.
    let slot: std::collections::HashMap<u32, usize> = items.iter().enumerate().map(|(s, &(_, i))| (i, s)).collect();
    let mut seen: Vec<Vec<u32>> = vec![Vec::new(); items.len()];
    for (u, h) in train.iter_users() {
        for i in h.items {
            if let Some(&s) = slot.get(i) {
                seen[s].push(u);
            }
        }
    }
    let active = (0..train.num_users() as u32).filter(|&u| train.user_len(u) > 0).count();
    let size = active.div_ceil(100).max(1);
    let per_item: Vec<(f64, f64)> = items
        .par_iter()
        .zip(seen.par_iter_mut())
        .map_init(
            || vec![0f32; train.num_users()],
            |scores, (&(_, item), seen)| {
                seen.sort_unstable();
                let actual = &actual[&item];
                if !model.knows_item(item) {
                    return (0.0, 0.0);
                }
                model.user_scores(&[item], scores);
                let segment = crate::top_k::top_filtered(scores, size, |u| {
                    scores[u as usize] > f32::NEG_INFINITY && seen.binary_search(&u).is_err()
                });
                let hits = segment.iter().filter(|u| actual.contains(u)).count() as f64;
                (hits, hits / actual.len() as f64)
            },
        )
        .collect();
    let n = per_item.len().max(1) as f64;
    let known = (0..n_items as u32).filter(|&i| model.knows_item(i)).count();
    BTreeMap::from([
        ("coverage".to_string(), if n_items == 0 { 0.0 } else { known as f64 / n_items as f64 }),
        ("hits_at_1_percent".to_string(), per_item.iter().map(|p| p.0).sum::<f64>() / n),
        ("recall_at_1_percent".to_string(), per_item.iter().map(|p| p.1).sum::<f64>() / n),
    ])
}
