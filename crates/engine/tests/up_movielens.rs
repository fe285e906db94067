//! User-Personalization on MovieLens 100K (read from the folder `REKO_ML100K_DIR` names, skipped when
//! absent): per-user temporal split (newest 20% of each user's interactions = test, users with
//! fewer than 5 interactions only in training), full ranking over all items, already-seen
//! items excluded, binary relevance, NDCG@10 with a log2 discount.
//!
//! Tuning knobs (not used by CI): `REKO_UP_PARAMS="alpha=10,regularization=5"` overrides
//! hyperparameters; `REKO_UP_VALIDATE=1` evaluates on a validation split carved from the
//! training part (newest 20% of each user's training interactions) instead of the test part.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use reko_engine::evaluation::user_metrics;
use reko_engine::recipes::user_personalization::{self, UpModel};
use reko_engine::{train, TrainingConfig, TrainingData};

fn data_dir() -> Option<PathBuf> {
    reko_dataset::movielens::dir_from_env("up_movielens")
}

fn test_count(n: usize) -> usize {
    if n < 5 {
        0
    } else {
        ((n as f64 * 0.2).round() as usize).max(1)
    }
}

/// (training part, test part) of the per-user temporal split; indices are shared.
fn temporal_split(data: &TrainingData) -> (TrainingData, TrainingData) {
    let train = data.retain_per_user(|_, n| 0..n - test_count(n));
    let test = data.retain_per_user(|_, n| n - test_count(n)..n);
    (train, test)
}

fn config() -> TrainingConfig {
    let mut c = TrainingConfig::default();
    if let Ok(p) = std::env::var("REKO_UP_PARAMS") {
        for kv in p.split(',').filter(|s| !s.is_empty()) {
            let (k, v) = kv.split_once('=').expect("key=value");
            c.hyperparameters.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    reko_engine::validate_config("aws-user-personalization", &c).unwrap();
    c
}

/// Mean NDCG@10 (and users) over users with test items, recommending with `recs(user)`.
fn ndcg10(train: &TrainingData, test: &TrainingData, users: &[u32], recs: impl Fn(u32, &[u32]) -> Vec<u32>) -> f64 {
    let mut total = 0.0;
    let mut n = 0;
    for &u in users {
        let mut rel: Vec<u32> = test.user_interactions(u).items.to_vec();
        if rel.is_empty() {
            continue;
        }
        rel.sort_unstable();
        rel.dedup();
        let mut seen: Vec<u32> = train.user_interactions(u).items.to_vec();
        seen.sort_unstable();
        seen.dedup();
        let r = recs(u, &seen);
        let m = user_metrics(&r[..r.len().min(10)], |i| rel.binary_search(&i).is_ok(), rel.len());
        total += m.ndcg[1];
        n += 1;
    }
    total / n.max(1) as f64
}

fn all_users(d: &TrainingData) -> Vec<u32> {
    (0..d.num_users() as u32).collect()
}

#[test]
fn movielens_temporal_split_ndcg() {
    let Some(dir) = data_dir() else {
        eprintln!("ml-100k not found; skipped");
        return;
    };
    let data = common::load_movielens(&dir);
    let (mut train_part, mut test_part) = temporal_split(&data);
    let validate = std::env::var("REKO_UP_VALIDATE").is_ok_and(|v| v == "1");
    if validate {
        (train_part, test_part) = temporal_split(&train_part);
    }
    let config = config();
    let t = Instant::now();
    let model = user_personalization::fit("aws-user-personalization", &train_part, &config);
    let fit_time = t.elapsed();
    let users = all_users(&data);
    let ndcg = ndcg10(&train_part, &test_part, &users, |u, seen| {
        model.top_indices_for_vector(model.user_vector_by_index(u), 10, seen)
    });
    let pop = ndcg10(&train_part, &test_part, &users, |_, seen| model.top_indices_for_vector(None, 10, seen));
    println!(
        "ml-100k temporal split{}: NDCG@10 = {ndcg:.4} (popularity {pop:.4}), fit {fit_time:.2?}, params {:?}",
        if validate { " (VALIDATION)" } else { "" },
        model.params()
    );
    if validate {
        return;
    }
    // Cross-check with the project's shared temporal split (floor instead of round for the
    // held-out count; relevant = held-out items not already in the history).
    let shared = reko_engine::evaluation::temporal_split(&data, 0.2, 5);
    let shared_model = user_personalization::fit("aws-user-personalization", &shared.train, &config);
    let shared_metrics = reko_engine::evaluation::evaluate_model(&shared_model, &shared);
    let shared_ndcg = shared_metrics["normalized_discounted_cumulative_gain_at_10"];
    println!("shared evaluation::temporal_split: {shared_metrics:?}");
    assert!(shared_ndcg >= 0.20, "shared-split NDCG@10 {shared_ndcg:.4} < 0.20");
    // The offline metrics of a training run on all data.
    let t = Instant::now();
    let sol = train("aws-user-personalization", &data, &config, &mut |_| {}).unwrap();
    let metrics: BTreeMap<String, f64> = sol.metrics;
    println!("train() {:.2?}: {metrics:?}", t.elapsed());
    assert_eq!(metrics.len(), 8);
    assert!(ndcg >= 0.20, "NDCG@10 {ndcg:.4} < 0.20");
}

#[test]
fn movielens_fold_in_matches_training() {
    let Some(dir) = data_dir() else {
        eprintln!("ml-100k not found; skipped");
        return;
    };
    let data = common::load_movielens(&dir);
    let (train_part, test_part) = temporal_split(&data);
    // 10% of users (every 10th index) are left out of training and folded in afterwards.
    let held: Vec<u32> = (0..data.num_users() as u32).filter(|u| u % 10 == 3).collect();
    let without = train_part.retain_per_user(|u, n| if u % 10 == 3 { 0..0 } else { 0..n });
    let config = TrainingConfig::default();
    let full: UpModel = user_personalization::fit("aws-user-personalization", &train_part, &config);
    let partial: UpModel = user_personalization::fit("aws-user-personalization", &without, &config);
    let with_trained = ndcg10(&train_part, &test_part, &held, |u, seen| {
        full.top_indices_for_vector(full.user_vector_by_index(u), 10, seen)
    });
    let t = Instant::now();
    let folded = ndcg10(&train_part, &test_part, &held, |u, seen| {
        let h = train_part.user_interactions(u);
        let events: Vec<(u32, f32, i64)> = (0..h.len()).map(|i| (h.items[i], h.weight(i), h.timestamps[i])).collect();
        let v = partial.fold_in_indices(&events);
        partial.top_indices_for_vector(Some(&v), 10, seen)
    });
    println!(
        "held-out users: NDCG@10 trained-with {with_trained:.4}, folded-in {folded:.4} ({} users, {:.2?})",
        held.len(),
        t.elapsed()
    );
    assert!(folded >= 0.95 * with_trained, "fold-in {folded:.4} vs trained {with_trained:.4}");
}
