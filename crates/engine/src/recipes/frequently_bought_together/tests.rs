use super::*;
use crate::model::{RecommendQuery, ScoredItem};
use crate::recipes::sims::{self, SimsParams};
use crate::training_data::TrainingDataBuilder;

/// reko-synth's basket data (co-purchases of an item and its accessory; each shopper's last
/// basket held out as `(item, accessory)`).
fn retail() -> (TrainingData, Vec<(String, String)>) {
    let data = reko_synth::baskets(&reko_synth::BasketConfig::default());
    let mut b = TrainingDataBuilder::new();
    for p in &data.purchases {
        b.push_interaction(&p.user, &p.item, p.timestamp, Some("Purchase"), None);
    }
    (b.build(), data.held_out)
}

fn related(model: &dyn Model, item_id: &str, n: usize) -> Vec<ScoredItem> {
    model.recommend(&RecommendQuery {
        user_id: None,
        item_id: Some(item_id),
        num_results: n,
        exclude: &|_| false,
        exclude_index: None,
        candidates: None,
        context: &[],
        exploration: None,
    })
}

/// Share of held-out baskets whose accessory is among the top 5 items related to their item.
fn hit_rate(model: &dyn Model, held_out: &[(String, String)]) -> f64 {
    let hits =
        held_out.iter().filter(|(main, accessory)| related(model, main, 5).iter().any(|s| &s.item_id == accessory));
    hits.count() as f64 / held_out.len() as f64
}

/// Co-purchases in a basket are what "frequently bought together" learns; SIMS, counting every
/// pair of a shopper's history, ranks the shopper's favourite category first (docs: FBT is the
/// use case for "complete the basket").
#[test]
fn frequently_bought_together_beats_sims_on_held_out_co_purchases() {
    let (data, held_out) = retail();
    let fbt = RelatedModel::decode(NAME, &fit(&data).to_artifact().payload).unwrap();
    let sims_params = SimsParams::from_config(&TrainingConfig::default()).unwrap();
    let sims = RelatedModel::decode(sims::NAME, &sims::fit(&data, &sims_params).to_artifact().payload).unwrap();
    let (fbt_rate, sims_rate) = (hit_rate(&fbt, &held_out), hit_rate(&sims, &held_out));
    eprintln!("hit@5 on held-out baskets: FBT {fbt_rate}, SIMS {sims_rate}");
    assert!(fbt_rate >= 0.9, "FBT hit rate {fbt_rate}");
    assert!(fbt_rate >= sims_rate + 0.3, "FBT {fbt_rate} vs SIMS {sims_rate}");
    // The accessory is the first item related to its item.
    let cfg = reko_synth::BasketConfig::default();
    let (item, accessory) = (reko_synth::basket_item(0, 1), reko_synth::accessory_of(&cfg, 0, 1));
    assert_eq!(related(&fbt, &item, 1)[0].item_id, accessory);
}

/// Purchases a day apart are not a basket: no pair, so the item's list is the most bought items.
#[test]
fn purchases_outside_the_window_do_not_pair() {
    let mut b = TrainingDataBuilder::new();
    for u in 0..5 {
        let user = format!("u{u}");
        b.push_interaction(&user, "a", 1_000, Some("Purchase"), None);
        b.push_interaction(&user, "b", 1_000 + BASKET_WINDOW_SECS + 1, Some("Purchase"), None);
        b.push_interaction(&user, "c", 100_000, Some("Purchase"), None);
        b.push_interaction(&user, "d", 100_010, Some("Purchase"), None);
    }
    let model = RelatedModel::decode(NAME, &fit(&b.build()).to_artifact().payload).unwrap();
    let ids = |v: Vec<ScoredItem>| v.into_iter().map(|s| s.item_id).collect::<Vec<_>>();
    assert_eq!(ids(related(&model, "c", 1)), ["d"]);
    assert!(!model.neighbours("a").contains(&"b"), "{:?}", model.neighbours("a"));
    assert!(model.neighbours("a").is_empty());
}
