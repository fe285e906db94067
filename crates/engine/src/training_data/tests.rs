use super::*;

#[test]
fn compacted_keeps_only_what_has_interactions() {
    let mut b = TrainingDataBuilder::new();
    b.push_interaction("u1", "i1", 10, Some("click"), Some(2.0));
    b.push_interaction("u3", "i3", 5, Some("buy"), None);
    b.push_interaction("u3", "i1", 7, Some("click"), None);
    b.push_item("i2", Some(100));
    b.push_item_features("i3", &["GENRE=x"]);
    b.push_item_objective_value("i3", 4.0);
    b.push_user("u2");
    let d = b.build().retain_per_user(|u, n| if u == 0 { 0..0 } else { 0..n });
    let c = d.compacted();
    assert_eq!((c.num_users(), c.num_items(), c.num_interactions()), (1, 2, 2));
    assert_eq!(c.user_id(0), "u3");
    let h = c.user_interactions(0);
    let ids: Vec<&str> = h.items.iter().map(|&i| c.item_id(i)).collect();
    assert_eq!(ids, ["i3", "i1"]);
    assert_eq!(h.timestamps, &[5, 7]);
    assert_eq!(c.event_type_name(h.event_types[0]), Some("buy"));
    let i3 = c.item_index("i3").unwrap();
    assert_eq!(c.features().name(c.item_features(i3)[0]), "GENRE=x");
    assert_eq!(c.item_objective_values().unwrap()[i3 as usize], 4.0);
}

#[test]
fn interning_is_dense_and_shared() {
    let mut b = TrainingDataBuilder::new();
    b.push_interaction("u1", "i1", 10, Some("click"), None);
    b.push_interaction("u2", "i2", 5, Some("buy"), Some(3.0));
    b.push_interaction("u1", "i2", 1, Some("click"), None);
    b.push_item("i3", Some(100));
    b.push_item("i1", Some(7));
    b.push_user("u3");
    let d = b.build();
    assert_eq!(d.num_users(), 3);
    assert_eq!(d.num_items(), 3);
    assert_eq!(d.num_interactions(), 3);
    assert_eq!(d.item_index("i1"), Some(0));
    assert_eq!(d.item_index("i3"), Some(2));
    assert_eq!(d.item_id(1), "i2");
    assert_eq!(d.user_index("u3"), Some(2));
    assert_eq!(d.item_creation_timestamp(0), Some(7));
    assert!(d.item_in_items_dataset(2));
    assert!(!d.item_in_items_dataset(1));
    // u1's history is chronological.
    let h = d.user_interactions(0);
    assert_eq!(h.items, &[1, 0]);
    assert_eq!(h.timestamps, &[1, 10]);
    assert_eq!(d.event_type_name(h.event_types[0]), Some("click"));
    assert!(h.event_values[0].is_nan());
    let h2 = d.user_interactions(1);
    assert_eq!(h2.event_values, &[3.0]);
    assert_eq!(d.user_len(2), 0);
    assert_eq!(d.users_with_at_least(2), 1);
}

#[test]
fn duplicate_events_count_once() {
    let mut b = TrainingDataBuilder::new();
    b.push_interaction("u", "i", 1, Some("click"), Some(1.0));
    b.push_interaction("u", "i", 1, Some("click"), Some(1.0));
    b.push_interaction("u", "i", 1, Some("buy"), None); // different type: kept
    b.push_interaction("u", "i", 2, Some("click"), None); // different time: kept
    b.push_interaction("u", "i", 1, None, None);
    b.push_interaction("u", "i", 1, None, None);
    assert_eq!(b.build().num_interactions(), 4);
}

#[test]
fn features_and_contexts() {
    let mut b = TrainingDataBuilder::new();
    b.push_interaction_in_context("u", "i1", 1, None, None, &["DEVICE=mobile"]);
    b.push_interaction("u", "i2", 2, None, None);
    b.push_interaction_in_context("v", "i1", 3, None, None, &["DEVICE=mobile"]);
    b.push_item_features("i1", &["GENRE=a", "GENRE=b", "GENRE=a"]);
    b.push_item_features("i1", &["GENRE=c"]); // newer record wins
    b.push_item_features("i9", &["GENRE=a"]);
    b.push_user_features("w", &["AGE=young"]);
    let d = b.build();
    let name = |f: &[u32]| f.iter().map(|&x| d.features().name(x).to_string()).collect::<Vec<_>>();
    assert_eq!(name(d.item_features(d.item_index("i1").unwrap())), ["GENRE=c"]);
    assert_eq!(name(d.item_features(d.item_index("i9").unwrap())), ["GENRE=a"]);
    assert!(d.item_features(d.item_index("i2").unwrap()).is_empty());
    assert_eq!(name(d.user_features(d.user_index("w").unwrap())), ["AGE=young"]);
    assert_eq!(d.num_contexts(), 1);
    let h = d.user_interactions(d.user_index("u").unwrap());
    let ctx = h.contexts.unwrap();
    assert_eq!(name(d.context_features(ctx[0])), ["DEVICE=mobile"]);
    assert_eq!(ctx[1], NO_CONTEXT);
    // Views keep the contexts aligned with the interactions.
    let newest = d.retain_per_user(|_, n| n.saturating_sub(1)..n);
    assert_eq!(newest.user_interactions(0).contexts.unwrap(), &[NO_CONTEXT]);
}

#[test]
fn retain_views_share_ids() {
    let mut b = TrainingDataBuilder::new();
    for t in 0..10 {
        b.push_interaction("u", &format!("i{t}"), t, Some(if t % 2 == 0 { "a" } else { "b" }), None);
    }
    b.push_interaction("v", "i0", 3, Some("a"), None);
    let d = b.build();
    let a = d.event_types().get("a").unwrap();
    let only_a = d.retain_events(true, |t, _| (t == a).then_some(0.5));
    assert_eq!(only_a.num_interactions(), 6);
    assert_eq!(only_a.num_items(), 10);
    assert_eq!(only_a.user_interactions(0).weight(0), 0.5);
    let oldest = d.retain_per_user(|_, n| 0..n.saturating_sub(1));
    assert_eq!(oldest.user_len(0), 9);
    assert_eq!(oldest.user_len(1), 0);
    assert_eq!(oldest.user_interactions(0).items.last(), Some(&8));
}
