use super::*;
use crate::test_support::synthetic;
use crate::training_data::TrainingDataBuilder;
use crate::{evaluate_recipe, TrainingConfig};

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
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
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
    .unwrap()
    .0;
    assert_eq!(metrics.len(), 8);
    assert_eq!(metrics["mean_reciprocal_rank_at_25"], 1.0);
    assert_eq!(metrics["normalized_discounted_cumulative_gain_at_25"], 1.0);
    assert!((metrics["precision_at_5"] - 0.4).abs() < 1e-12);
    let coverage = metrics["coverage"];
    assert!(coverage > 20.0 / 219.0 && coverage <= 40.0 / 219.0, "{coverage}");
}

#[test]
fn temporal_test_count_boundaries() {
    let c = |n| temporal_test_count(n, 0.2, 5);
    assert_eq!([c(0), c(1), c(4)], [0, 0, 0]); // fewer than 5: training only
    assert_eq!([c(5), c(6), c(9), c(10), c(14), c(15), c(20), c(100)], [1, 1, 1, 2, 2, 3, 4, 20]);
    // At least one interaction trains and one is held out, whatever the fraction.
    assert_eq!(temporal_test_count(2, 0.2, 0), 1);
    assert_eq!(temporal_test_count(1, 0.2, 0), 0);
    assert_eq!(temporal_test_count(3, 0.99, 0), 2);
    assert_eq!(temporal_test_count(3, 0.01, 0), 1);
}

#[test]
fn temporal_split_holds_out_newest_and_keeps_small_users_in_training() {
    let mut b = TrainingDataBuilder::new();
    for t in 0..4 {
        b.push_interaction("small", &format!("i{t}"), t, None, None);
    }
    // Pushed out of order: the split follows timestamps, not push order.
    for t in (0..10).rev() {
        b.push_interaction("big", &format!("i{t}"), 100 + t, None, None);
    }
    // 5 -> 1 held out: a repeat of a history item, so nothing to find.
    for (t, item) in ["i0", "i1", "i2", "i3", "i0"].iter().enumerate() {
        b.push_interaction("repeat", item, t as i64, None, None);
    }
    // 10 -> 2 held out: one repeat, one new.
    for (t, item) in ["i0", "i1", "i2", "i3", "i4", "i5", "i6", "i7", "i1", "i9"].iter().enumerate() {
        b.push_interaction("mixed", item, t as i64, None, None);
    }
    b.push_user("cold");
    let d = b.build();
    let s = temporal_split(&d, 0.2, 5);
    let u = |id: &str| d.user_index(id).unwrap();
    let i = |id: &str| d.item_index(id).unwrap();
    let sorted = |mut v: Vec<u32>| {
        v.sort_unstable();
        v
    };
    assert_eq!(s.train.user_len(u("small")), 4);
    assert_eq!(s.train.user_len(u("big")), 8);
    assert_eq!(s.train.user_interactions(u("big")).timestamps.last(), Some(&107));
    assert_eq!(s.train.user_len(u("repeat")), 4);
    assert_eq!(s.train.user_len(u("mixed")), 8);
    assert_eq!(s.train.num_items(), d.num_items());
    // "small" and "cold" are not evaluated; "repeat" has no relevant (unseen) item.
    assert_eq!(
        s.test,
        vec![
            TestUser { user: u("big"), relevant: sorted(vec![i("i8"), i("i9")]) },
            TestUser { user: u("mixed"), relevant: vec![i("i9")] },
        ]
    );
    // A validation split carved from the training part never sees the test part.
    let v = temporal_split(&s.train, 0.2, 5);
    assert_eq!(v.train.user_len(u("big")), 7);
    assert_eq!(v.train.user_len(u("mixed")), 7);
    assert_eq!(
        v.test,
        vec![
            TestUser { user: u("big"), relevant: vec![i("i7")] },
            TestUser { user: u("mixed"), relevant: vec![i("i7")] },
        ]
    );
    assert_eq!(Split::TEMPORAL.apply(&d).test, s.test);
}

#[test]
fn personalize_split_relevant_items_exclude_history() {
    let d = synthetic(1000, 20, 5); // users repeat items 5 of 5: nothing is unseen
    let s = personalize_split(&d);
    assert!(s.test.is_empty());
    assert_eq!(d.num_interactions() - s.train.num_interactions(), 100 * 2);
    let d = synthetic(1000, 20, 1000);
    let s = personalize_split(&d);
    assert_eq!(s.test.len(), 100);
    assert!(s.test.iter().all(|t| t.relevant.len() == 2));
}

/// Returns the user's history first (newest first), then the items it will interact with
/// next, then every item by index: without seen-item exclusion the relevant items would
/// sit below the history.
struct HistoryFirst(TrainingData);
impl FittedModel for HistoryFirst {
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
    fn recommend_indices(&self, user: u32, history: UserInteractions<'_>, n: usize, out: &mut Vec<u32>) {
        let all = self.0.user_interactions(user);
        let candidates = history.items.iter().rev().chain(&all.items[history.len()..]).copied();
        for i in candidates.chain(0..self.0.num_items() as u32) {
            if out.len() == n {
                break;
            }
            if !out.contains(&i) {
                out.push(i);
            }
        }
    }
    fn to_artifact(&self) -> crate::ModelArtifact {
        unreachable!()
    }
}

#[test]
fn seen_items_are_excluded_and_lists_stay_full() {
    let d = synthetic(200, 20, 1000);
    let s = temporal_split(&d, 0.2, 5);
    assert_eq!(s.test.len(), 200);
    let model = HistoryFirst(d.clone());
    let mut out = Vec::new();
    for t in &s.test {
        let history = s.train.user_interactions(t.user);
        assert_eq!(history.len(), 16);
        recommend_unseen(&model, t.user, history, EVAL_K, &mut out);
        assert_eq!(out.len(), EVAL_K);
        assert!(out.iter().all(|i| !history.items.contains(i)), "{out:?}");
        assert_eq!(&out[..4], &d.user_interactions(t.user).items[16..]);
    }
    let m = evaluate_model(&model, &s);
    assert_eq!(m["mean_reciprocal_rank_at_25"], 1.0);
    assert_eq!(m["normalized_discounted_cumulative_gain_at_10"], 1.0);
    assert!((m["precision_at_5"] - 0.8).abs() < 1e-12);
    assert!((m["precision_at_25"] - 4.0 / 25.0).abs() < 1e-12);
    // A model with fewer items than asked for: the list is as long as it can be.
    recommend_unseen(&model, 0, s.train.user_interactions(0), 2000, &mut out);
    assert_eq!(out.len(), d.num_items() - 16);
}

#[test]
fn evaluate_recipe_runs_registered_recipes() {
    let d = synthetic(300, 20, 400);
    let cfg = TrainingConfig::default();
    let e = evaluate_recipe("aws-popularity-count", &d, &cfg, Split::TEMPORAL).unwrap();
    assert_eq!(e.metrics.keys().collect::<Vec<_>>(), {
        let mut k = METRIC_KEYS.to_vec();
        k.sort_unstable();
        k
    });
    assert_eq!(e.test_users, temporal_split(&d, 0.2, 5).test.len());
    assert!(e.test_users > 250 && e.fit_seconds >= 0.0);
    assert!(e.metrics.values().all(|v| (0.0..=1.0).contains(v)), "{:?}", e.metrics);
    assert!(e.metrics["coverage"] > 0.0);
    let p = evaluate_recipe("aws-popularity-count", &d, &cfg, Split::Personalize).unwrap();
    assert_eq!(p.test_users, 30);
    assert_eq!(
        p.metrics,
        evaluate(&d, |train| crate::registry::registry_entry("aws-popularity-count").unwrap().fit(train, &cfg))
            .unwrap()
            .0
    );
    assert!(matches!(evaluate_recipe("aws-nope", &d, &cfg, Split::TEMPORAL), Err(EngineError::UnknownRecipe(_))));
    // Event filtering applies before the minimum-data check: 3000 clicks of 6000.
    let clicks = TrainingConfig { event_type: Some("click".into()), ..Default::default() };
    let c = evaluate_recipe("aws-popularity-count", &d, &clicks, Split::TEMPORAL).unwrap();
    assert!(c.test_users > 250);
    let few = synthetic(30, 30, 100);
    assert!(matches!(
        evaluate_recipe("aws-popularity-count", &few, &cfg, Split::TEMPORAL),
        Err(EngineError::InsufficientData(_))
    ));
}

/// Tuning's sample stays the same size as the data grows: at most `max_users` users and only
/// the items they touched, re-indexed, so a tuning fit over a million-item catalogue solves the
/// sample's items, not the catalogue's (issue 19: every candidate fit solved every item).
#[test]
fn the_tuning_sample_stays_the_same_size_as_the_data_grows() {
    let sample = |users: usize| {
        let mut b = TrainingDataBuilder::new();
        // Each user brings items of their own: the catalogue grows with the users.
        for u in 0..users {
            for k in 0..8 {
                b.push_interaction(&format!("u{u}"), &format!("i{}", u * 5 + k), (k * 100) as i64, None, None);
            }
        }
        let data = b.build();
        let split = validation_split(&data, 200, 50);
        assert!(split.train.num_users() <= 200, "{} users of {users}", split.train.num_users());
        assert!(split.test.len() <= 50, "{} test users", split.test.len());
        assert!(
            split.train.num_items() * 5 < data.num_items(),
            "{} items of {}",
            split.train.num_items(),
            data.num_items()
        );
        split.train.num_interactions() + split.train.num_items()
    };
    let (small, large) = (sample(2_000), sample(8_000));
    assert!(large * 10 <= small * 12, "{small} at 2,000 users, {large} at 8,000");
}
