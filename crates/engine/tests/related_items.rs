//! aws-sims, aws-similar-items and aws-trending-now on MovieLens 100K when the data set is
//! present (the folder `REKO_ML100K_DIR` names; skipped otherwise). Fit times are
//! measured by `cargo bench -p reko-engine --bench related_items`.

mod common;

use std::time::Instant;

use reko_dataset::movielens;

use reko_engine::{load_model, train, RecommendQuery, TrainingConfig, TrainingData, TrainingDataBuilder};

/// Ratings as interactions (event type `rating`, value = stars) and genres from u.item as
/// item features `GENRE=<name>`.
fn movielens() -> Option<TrainingData> {
    let dir = movielens::dir_from_env("related_items")?;
    let mut b = TrainingDataBuilder::new();
    for r in movielens::read_ratings(&dir).unwrap() {
        b.push_interaction(&r.user_id, &r.item_id, r.timestamp, Some("rating"), Some(f32::from(r.rating)));
    }
    for m in movielens::read_movies(&dir).unwrap() {
        let tokens: Vec<String> = m.genres.iter().map(|g| format!("GENRE={g}")).collect();
        let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
        b.push_item(&m.item_id, None);
        b.push_item_features(&m.item_id, &tokens);
    }
    // A cold item: in the catalogue with metadata, never rated.
    b.push_item("cold-space-opera", None);
    b.push_item_features("cold-space-opera", &["GENRE=Action", "GENRE=Adventure", "GENRE=Sci-Fi", "GENRE=War"]);
    Some(b.build())
}

fn related(model: &dyn reko_engine::Model, item: &str, n: usize) -> Vec<String> {
    model
        .recommend(&RecommendQuery {
            user_id: None,
            item_id: Some(item),
            num_results: n,
            exclude: &|_| false,
            exclude_index: None,
            candidates: None,
            context: &[],
            exploration: None,
        })
        .into_iter()
        .map(|s| s.item_id)
        .collect()
}

#[test]
fn movielens_100k_related_items_and_trending() {
    let Some(data) = movielens() else { return };
    assert_eq!(data.num_interactions(), 100_000);
    let cfg = TrainingConfig::default();
    let base = train("aws-popularity-count", &data, &cfg, &mut |_| {}).unwrap();
    eprintln!("aws-popularity-count: {:?}", base.metrics);

    let t = Instant::now();
    let sims = train("aws-sims", &data, &cfg, &mut |_| {}).unwrap();
    eprintln!("aws-sims ({:?}): {:?}", t.elapsed(), sims.metrics);
    let m = load_model(&sims.artifact).unwrap();
    let star_wars = related(m.as_ref(), "50", 10);
    eprintln!("aws-sims neighbours of Star Wars (50): {star_wars:?}");
    assert!(star_wars.iter().any(|i| i == "181" || i == "172"), "{star_wars:?}");
    assert!(!star_wars.contains(&"50".to_string()));
    // Unknown item: popular items, Star Wars first.
    assert_eq!(related(m.as_ref(), "no-such-movie", 3)[0], "50");
    for (k, v) in &sims.metrics {
        assert!((0.0..=1.0).contains(v), "{k} = {v}");
    }
    // Related-item lists built from what the user just did beat the popular items on the same
    // held-out interactions.
    let key = "normalized_discounted_cumulative_gain_at_25";
    assert!(
        sims.metrics[key] > base.metrics[key] * 1.2,
        "SIMS {} vs popularity {}",
        sims.metrics[key],
        base.metrics[key]
    );

    let t = Instant::now();
    let similar = train("aws-similar-items", &data, &cfg, &mut |_| {}).unwrap();
    eprintln!("aws-similar-items ({:?}): {:?}", t.elapsed(), similar.metrics);
    let m = load_model(&similar.artifact).unwrap();
    let sw = related(m.as_ref(), "50", 10);
    eprintln!("aws-similar-items neighbours of Star Wars (50): {sw:?}");
    assert!(sw.iter().any(|i| i == "181" || i == "172"), "{sw:?}");
    let cold = related(m.as_ref(), "cold-space-opera", 10);
    eprintln!("aws-similar-items neighbours of a cold space opera: {cold:?}");
    assert!(cold.iter().any(|i| i == "50" || i == "181" || i == "172"), "{cold:?}");
    assert!(
        similar.metrics[key] > base.metrics[key] * 1.2,
        "Similar-Items {} vs popularity {}",
        similar.metrics[key],
        base.metrics[key]
    );

    let t = Instant::now();
    let trending = train(
        "aws-trending-now",
        &data,
        &TrainingConfig {
            feature_transformation_parameters: [("trend_discovery_frequency".to_string(), "1 day".to_string())].into(),
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap();
    eprintln!("aws-trending-now, 1 day ({:?}): {:?}", t.elapsed(), trending.metrics);
    let m = load_model(&trending.artifact).unwrap();
    eprintln!("aws-trending-now top 5: {:?}", related(m.as_ref(), "", 5));
    assert_eq!(related(m.as_ref(), "", 5).len(), 5);
}
