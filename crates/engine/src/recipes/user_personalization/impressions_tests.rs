//! Impressions passed over are weak negatives (Personalize's IMPRESSION column).

use super::*;
use crate::training_data::TrainingDataBuilder;

/// Sixty users of one taste. Items i1..i19 are chosen at random; i0 by the thirty "takers"
/// only. The thirty "skippers" were shown i0 (and an id no record names) with every choice they
/// made and never took it.
fn shown_and_skipped(with_impressions: bool) -> TrainingData {
    let mut b = TrainingDataBuilder::new();
    let mut state = 7u64;
    let mut next = |n: u64| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    for u in 0..60 {
        let user = format!("u{u}");
        let skipper = u < 30;
        for k in 0..6 {
            let item = if !skipper && k == 0 { "i0".to_string() } else { format!("i{}", 1 + next(19)) };
            b.push_interaction(&user, &item, 1_000_000 + (u * 10 + k) as i64, Some("click"), None);
            if skipper && with_impressions {
                b.push_impressions(&user, &item, ["i0", item.as_str(), "ghost"]);
            }
        }
    }
    b.build()
}

/// How many skippers get i0 among their top 3 (their own choices left out).
fn skippers_shown_i0(data: &TrainingData) -> usize {
    let mut config = TrainingConfig::default();
    config.hyperparameters.insert("hidden_dimension".into(), "8".into());
    config.hyperparameters.insert("num_iterations".into(), "10".into());
    let model = fit("aws-user-personalization", data, &config);
    let i0 = model.item_index()["i0"];
    (0..30)
        .filter(|u| {
            let user = data.users().get(&format!("u{u}")).unwrap();
            let mut seen: Vec<u32> = data.user_interactions(user).items.to_vec();
            seen.sort_unstable();
            seen.dedup();
            let v = model.user_vector(&format!("u{u}")).unwrap();
            model.top_indices_for_vector(Some(v), 3, &seen).contains(&i0)
        })
        .count()
}

#[test]
fn items_shown_and_never_chosen_fall_in_the_ranking() {
    let without = skippers_shown_i0(&shown_and_skipped(false));
    let with = skippers_shown_i0(&shown_and_skipped(true));
    // Without impressions, i0 is the most chosen item and tops the skippers' lists too.
    assert!(without >= 20, "without impressions: {without} of 30");
    assert!(with * 3 <= without, "with impressions: {with} of 30 (without: {without})");
}

#[test]
fn impressions_leave_out_the_chosen_item_and_unknown_ids_and_survive_compaction() {
    let data = shown_and_skipped(true);
    let u0 = data.users().get("u0").unwrap();
    let i0 = data.items().get("i0").unwrap();
    assert_eq!(data.impressions(u0), [(i0, 6)]);
    assert!(data.has_impressions() && !shown_and_skipped(false).has_impressions());
    // An id only impressions name is no item of the catalogue.
    assert_eq!((data.items().get("ghost"), data.num_items()), (None, 20));
    let compact = data.clone().compacted();
    let u0 = compact.users().get("u0").unwrap();
    assert_eq!(compact.impressions(u0), [(compact.items().get("i0").unwrap(), 6)]);
}
