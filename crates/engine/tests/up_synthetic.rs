//! User-Personalization on synthetic data (crates/synth): beats popularity with its default
//! hyperparameters, and the device context shifts the popular items as the generator intends.

use reko_engine::{load_model, train, RecommendQuery, TrainingConfig, TrainingData, TrainingDataBuilder};
use reko_synth::{generate, SynthConfig, DEVICES, EVENT_TYPES};

fn data() -> TrainingData {
    let cfg =
        SynthConfig { users: 3000, items: 800, interactions: 60_000, context_effect: 0.5, ..SynthConfig::default() };
    let ds = generate(&cfg).unwrap();
    let mut b = TrainingDataBuilder::new();
    for it in &ds.interactions {
        let device = format!("DEVICE={}", DEVICES[it.device as usize]);
        b.push_interaction_in_context(
            &reko_synth::user_id(it.user as usize),
            &reko_synth::item_id(it.item as usize),
            it.timestamp,
            Some(EVENT_TYPES[it.event_type as usize]),
            Some(it.event_value),
            &[&device],
        );
    }
    for (i, item) in ds.items.iter().enumerate() {
        let id = reko_synth::item_id(i);
        b.push_item(&id, Some(item.creation_timestamp));
        b.push_item_features(&id, &[&format!("CATEGORY={}", reko_synth::category_name(item.category as usize))]);
    }
    b.build()
}

#[test]
fn beats_popularity_and_uses_context() {
    let d = data();
    let config = TrainingConfig::default();
    let up = train("aws-user-personalization", &d, &config, &mut |_| {}).unwrap();
    let pop = train("aws-popularity-count", &d, &config, &mut |_| {}).unwrap();
    let key = "normalized_discounted_cumulative_gain_at_10";
    println!("synthetic NDCG@10: user-personalization {:.4}, popularity {:.4}", up.metrics[key], pop.metrics[key]);
    assert!(up.metrics[key] > pop.metrics[key], "{:?} vs {:?}", up.metrics, pop.metrics);
    let m = load_model(&up.artifact).unwrap();
    let top = |device: &str| {
        let ctx = vec![format!("DEVICE={device}")];
        let q = RecommendQuery {
            user_id: None,
            item_id: None,
            num_results: 20,
            exclude: &|_| false,
            exclude_index: None,
            candidates: None,
            context: &ctx,
            exploration: None,
        };
        m.recommend(&q).into_iter().map(|s| s.item_id).collect::<Vec<_>>()
    };
    assert_ne!(top("mobile"), top("desktop"));
}
