//! Work that must not grow faster than the data (issue 19): each test pins a path that once
//! scanned the whole catalogue, at sizes small enough for a test.

use super::*;
use crate::evaluation::{self, EvalSplit};
use crate::training_data::TrainingDataBuilder;

/// 60 tastes of 100 items each: 6,000 items (enough for the cluster index),
/// EVAL_PRUNE_MIN_USERS users of 6 interactions.
fn tastes() -> TrainingData {
    let mut b = TrainingDataBuilder::new();
    for u in 0..EVAL_PRUNE_MIN_USERS {
        for k in 0..6 {
            let item = (u % 60) * 100 + (u / 60 * 7 + k * k * 13) % 100;
            b.push_interaction(&format!("u{u}"), &format!("i{item}"), (k * 100) as i64, None, None);
        }
    }
    b.build()
}

fn small_config() -> TrainingConfig {
    let mut c = TrainingConfig::default();
    c.hyperparameters.insert("hidden_dimension".into(), "16".into());
    c.hyperparameters.insert("num_iterations".into(), "4".into());
    c
}

/// A user whose vector is tiny (one who only met rare items, whose factors regularisation
/// shrinks) has tiny logits: the search prunes as much for them as for anyone, with the same
/// items as a full scan. Float rounding margins proportional to 1 made it scan the catalogue.
#[test]
fn a_tiny_user_vector_is_pruned_like_any_other() {
    let mut b = TrainingDataBuilder::new();
    // 20 tastes of 150 items each: the clusters follow the tastes.
    for u in 0..400 {
        for k in 0..30 {
            let item = (u % 20) * 150 + (u * 7 + k * k * 13) % 150;
            b.push_interaction(&format!("u{u}"), &format!("i{item}"), k * 100, None, None);
        }
    }
    let model = fit("aws-user-personalization", &b.build(), &TrainingConfig::default());
    let q = RecommendQuery {
        user_id: None,
        item_id: None,
        num_results: 25,
        exclude: &|_| false,
        exclude_index: None,
        candidates: None,
        context: &[],
        exploration: None,
    };
    let ids = |r: &[ScoredItem]| r.iter().map(|s| s.item_id.clone()).collect::<Vec<_>>();
    for u in ["u1", "u2", "u3"] {
        let v = model.user_vector(u).unwrap().to_vec();
        let normal = model.pruned_against_full_scan(&v, &q);
        let tiny: Vec<f32> = v.iter().map(|x| x * 1e-7).collect();
        let shrunk = model.pruned_against_full_scan(&tiny, &q);
        assert_eq!(ids(&shrunk.pruned), ids(&shrunk.full), "{u}");
        assert_eq!(ids(&shrunk.pruned), ids(&normal.pruned), "{u}: the direction decides, not the length");
        assert!(normal.scored < normal.catalogue / 2, "{u}: {} of {}", normal.scored, normal.catalogue);
        assert!(
            shrunk.scored <= normal.scored + normal.scored / 10,
            "{u}: {} against {}",
            shrunk.scored,
            normal.scored
        );
    }
}

/// Offline evaluation over many users builds the cluster index first and finds each top 25 with
/// the pruned search; over few users it scans (the index would cost more than it saves). The
/// metrics are the same either way. Scanning a million-item catalogue for every test user made
/// evaluation most of a training run.
#[test]
fn offline_evaluation_over_many_users_ranks_through_the_cluster_index() {
    let data = tastes();
    assert!(data.num_items() >= PRUNE_MIN_ITEMS, "{}", data.num_items());
    let split = evaluation::temporal_split(&data, 0.2, 5);
    assert_eq!(split.test.len(), EVAL_PRUNE_MIN_USERS);
    let model = fit("aws-user-personalization", &split.train, &small_config());
    let few = EvalSplit { train: split.train.clone(), test: split.test.iter().step_by(10).cloned().collect() };
    let scanned = evaluation::evaluate_model(&model, &few);
    assert!(model.clusters.get().is_none(), "500 users are scanned");
    evaluation::evaluate_model(&model, &split);
    assert!(model.clusters.get().is_some(), "5,000 users go through the index");
    assert_eq!(evaluation::evaluate_model(&model, &few), scanned, "the pruned search ranks as the scan does");
}

/// Exploration's calibration scores each distinct metadata prediction once: items with the same
/// metadata share it, so a million-item catalogue's 512 calibration items have a few dozen.
#[test]
fn calibration_groups_identical_predictions() {
    let (a, b) = ([1.0f32, 2.0], [0.5f32, -1.0]);
    let c = Calibration { items: vec![0, 1, 2, 3], predicted: [a, b, a, a].concat(), ..Default::default() };
    let (rows, counts) = c.distinct_predictions(2);
    assert_eq!(rows, [a, b].concat());
    assert_eq!(counts, [3, 1]);
}

/// A selective filter's items, given as candidates, are scored directly: the same list and
/// scores as the pruned search finds, scoring the candidates instead of walking the clusters (a
/// filter that lets fewer items through than a list asks for made the search scan the catalogue).
#[test]
fn a_selective_filters_candidates_are_scored_not_searched_for() {
    let model = fit("aws-user-personalization", &tastes(), &small_config());
    assert!(model.item_ids.len() >= PRUNE_MIN_ITEMS);
    let allowed: Vec<u32> = (0..model.item_ids.len() as u32).filter(|i| i % 600 == 0).collect();
    // Work counter: how many items the search asks the filter about.
    let asked = std::cell::Cell::new(0usize);
    let refused = |i: u32| {
        asked.set(asked.get() + 1);
        allowed.binary_search(&i).is_err()
    };
    let query = |candidates| RecommendQuery {
        user_id: None,
        item_id: None,
        num_results: 25,
        exclude: &|_| false,
        exclude_index: Some(&refused),
        candidates,
        context: &[],
        exploration: None,
    };
    let (searched, direct) = (query(None), query(Some(&allowed)));
    for u in ["u1", "u77", "u3001"] {
        let v = model.user_vector(u).expect("a known user").to_vec();
        asked.set(0);
        let a = model.pruned_against_full_scan(&v, &searched);
        let searching = asked.replace(0);
        let b = model.pruned_against_full_scan(&v, &direct);
        let scoring = asked.get();
        assert_eq!(a.pruned, b.pruned, "{u}");
        let ids = |r: &[ScoredItem]| r.iter().map(|s| s.item_id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&b.pruned), ids(&b.full), "{u}: the full scan ranks the same items");
        assert_eq!(b.pruned.len(), allowed.len());
        // (Both count the full scan's questions too: one per item.)
        let catalogue = model.item_ids.len();
        assert!(searching >= catalogue * 3 / 2, "{u}: the search asked {searching} times");
        assert!(scoring <= catalogue + 2 * allowed.len(), "{u}: {scoring} with candidates");
    }
}
