//! Trains aws-popularity-count on MovieLens 100K when the data set is present
//! (the folder `REKO_ML100K_DIR` names); skipped otherwise.

mod common;

use reko_engine::{load_model, train, RecommendQuery, TrainingConfig, TrainingDataBuilder};

#[test]
fn movielens_100k_popularity() {
    let Some(dir) = reko_dataset::movielens::dir_from_env("movielens_100k_popularity") else { return };
    let mut b = TrainingDataBuilder::new();
    for r in reko_dataset::movielens::read_ratings(&dir).unwrap() {
        b.push_interaction(&r.user_id, &r.item_id, r.timestamp, Some("rating"), Some(f32::from(r.rating)));
    }
    let data = b.build();
    assert_eq!(data.num_interactions(), 100_000);
    assert_eq!(data.num_users(), 943);
    assert_eq!(data.num_items(), 1682);

    let mut stages = Vec::new();
    let sol = train("aws-popularity-count", &data, &TrainingConfig::default(), &mut |p| stages.push(p.stage)).unwrap();
    eprintln!("MovieLens 100K, aws-popularity-count: {:#?}", sol.metrics);
    let m = &sol.metrics;
    assert!(m["precision_at_25"] > 0.0 && m["precision_at_25"] < 1.0);
    assert!(m["coverage"] > 0.0 && m["coverage"] <= 1.0);
    for (k, v) in m {
        assert!((0.0..=1.0).contains(v), "{k} = {v}");
    }
    assert!(m["normalized_discounted_cumulative_gain_at_25"] > 0.0);

    // Event value threshold: ratings >= 4 only.
    let cfg = TrainingConfig { event_value_threshold: Some(4.0), ..Default::default() };
    let sol4 = train("aws-popularity-count", &data, &cfg, &mut |_| {}).unwrap();
    eprintln!("MovieLens 100K, ratings >= 4: {:#?}", sol4.metrics);

    let model = load_model(&sol.artifact).unwrap();
    let top = model.recommend(&RecommendQuery {
        user_id: Some("1"),
        item_id: None,
        num_results: 5,
        exclude: &|_| false,
        exclude_index: None,
        candidates: None,
        context: &[],
        exploration: None,
    });
    eprintln!("top 5: {:?}", top.iter().map(|s| &s.item_id).collect::<Vec<_>>());
    // Item 50 (Star Wars) is the most rated movie of MovieLens 100K.
    assert_eq!(top[0].item_id, "50");
}
