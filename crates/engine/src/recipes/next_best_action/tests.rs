use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::training_data::{ActionAttributes, TrainingDataBuilder};

const SEGMENTS: usize = 4;
const ITEMS_PER_SEGMENT: usize = 30;
const NOW: i64 = 1_700_000_000;
const DAY: i64 = 86_400;

fn segment_of(u: usize) -> usize {
    u % SEGMENTS
}

/// Users in 4 segments; each segment interacts mostly with its own items and takes its own
/// action (`a{segment}`) with probability 0.8, any other with 0.1. Users `u % 10 >= 7` have no
/// action interactions: their best action must come from users like them. `extra` adds actions.
fn segmented(users: usize, seed: u64, extra: &[(&str, ActionAttributes)]) -> TrainingData {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut b = TrainingDataBuilder::new();
    for s in 0..SEGMENTS {
        // The wrong actions are worth more: VALUE only breaks ties.
        b.push_action(&format!("a{s}"), ActionAttributes { value: Some(s as i64), ..Default::default() });
    }
    for (id, attributes) in extra {
        b.push_action(id, *attributes);
    }
    for u in 0..users {
        let (user, seg) = (format!("u{u}"), segment_of(u));
        for k in 0..12 {
            let item = if rng.gen_bool(0.8) {
                seg * ITEMS_PER_SEGMENT + rng.gen_range(0..ITEMS_PER_SEGMENT)
            } else {
                rng.gen_range(0..SEGMENTS * ITEMS_PER_SEGMENT)
            };
            b.push_interaction(&user, &format!("i{item}"), NOW - 20 * DAY + k, Some("click"), None);
        }
        if u % 10 >= 7 {
            continue;
        }
        for k in 0..6 {
            let a = rng.gen_range(0..SEGMENTS);
            let p = if a == seg { 0.8 } else { 0.1 };
            let event = if rng.gen_bool(p) { ActionEvent::Taken } else { ActionEvent::NotTaken };
            b.push_action_interaction(&user, &format!("a{a}"), NOW - 10 * DAY + k, event);
        }
    }
    b.build()
}

fn top_action(model: &ActionModel, user: &str, now: i64) -> Option<String> {
    model.recommend_actions(Some(user), 1, now, &|_| false).first().map(|(id, _)| id.to_string())
}

#[test]
fn the_best_action_of_each_segment_comes_first_for_most_users() {
    let users = 600;
    let data = segmented(users, 7, &[]);
    let fitted = fit(&data, data.actions().interactions()).unwrap();
    let model = fitted.model();
    let mut right = [0usize; 2];
    let mut totals = [0usize; 2];
    for u in 0..users {
        let without_history = usize::from(u % 10 >= 7);
        totals[without_history] += 1;
        if top_action(model, &format!("u{u}"), NOW).as_deref() == Some(&format!("a{}", segment_of(u))) {
            right[without_history] += 1;
        }
    }
    for k in 0..2 {
        let share = right[k] as f64 / totals[k] as f64;
        assert!(share >= 0.8, "{} of {} users right (no action history: {})", right[k], totals[k], k == 1);
    }
    // Scores are propensities: in [0, 1], best first, the segment's action well above the rest.
    let list = model.recommend_actions(Some("u8"), 10, NOW, &|_| false);
    assert_eq!(list.len(), SEGMENTS);
    assert!(list.windows(2).all(|w| w[0].1 >= w[1].1), "{list:?}");
    assert!(list.iter().all(|(_, s)| (0.0..=1.0).contains(s)), "{list:?}");
    assert!(list[0].1 > 0.5 && list[1].1 < 0.35, "{list:?}");
    // An unknown user gets the actions by take rate.
    assert_eq!(model.recommend_actions(Some("nobody"), 10, NOW, &|_| false).len(), SEGMENTS);
}

#[test]
fn users_known_only_by_their_attributes_get_their_segments_action() {
    let data = segmented(400, 13, &[]);
    let mut b = TrainingDataBuilder::new();
    for a in 0..data.actions().num_actions() as u32 {
        b.push_action(data.actions().action_id(a), data.actions().attributes(a));
    }
    for r in data.actions().interactions() {
        b.push_action_interaction(data.user_id(r.user), data.actions().action_id(r.action), r.timestamp, r.event);
    }
    for u in 0..data.num_users() as u32 {
        let h = data.user_interactions(u);
        for k in 0..h.len() {
            b.push_interaction(data.user_id(u), data.item_id(h.items[k]), h.timestamps[k], Some("click"), None);
        }
        let seg = data.user_id(u)[1..].parse::<usize>().unwrap() % SEGMENTS;
        b.push_user_features(data.user_id(u), &[&format!("SEGMENT={seg}")]);
    }
    // Users of the Users dataset with an attribute and no interactions at all.
    for s in 0..SEGMENTS {
        b.push_user(&format!("cold{s}"));
        b.push_user_features(&format!("cold{s}"), &[&format!("SEGMENT={s}")]);
    }
    let data = b.build();
    let fitted = fit(&data, data.actions().interactions()).unwrap();
    for s in 0..SEGMENTS {
        assert_eq!(top_action(fitted.model(), &format!("cold{s}"), NOW), Some(format!("a{s}")));
    }
}

#[test]
fn the_offline_metrics_reward_the_known_best_action() {
    let data = segmented(600, 11, &[]);
    let (evaluation, _) = evaluate::evaluate(&data).unwrap();
    let m = &evaluation.metrics;
    assert_eq!(m.keys().map(String::as_str).collect::<Vec<_>>(), {
        let mut keys = crate::evaluation::METRIC_KEYS.to_vec();
        keys.sort_unstable();
        keys
    });
    assert!(evaluation.test_users >= 30, "{evaluation:?}");
    // Test users took their segment's action most of the time: it should lead their list.
    assert!(m["mean_reciprocal_rank_at_25"] > 0.7, "{m:?}");
    assert!((m["coverage"] - 1.0).abs() < 1e-9, "{m:?}");
}

#[test]
fn actions_without_enough_outcomes_score_zero_and_rank_after_by_value() {
    let rare = ActionAttributes { value: Some(100), ..Default::default() };
    let mut data = segmented(600, 3, &[("rare-low", ActionAttributes::default()), ("rare-high", rare)]);
    // Re-build with a few outcomes for the rare actions (fewer than MIN_OUTCOMES).
    let mut b = TrainingDataBuilder::new();
    for a in 0..data.actions().num_actions() as u32 {
        b.push_action(data.actions().action_id(a), data.actions().attributes(a));
    }
    for r in data.actions().interactions() {
        b.push_action_interaction(data.user_id(r.user), data.actions().action_id(r.action), r.timestamp, r.event);
    }
    for u in 0..data.num_users() as u32 {
        let h = data.user_interactions(u);
        for k in 0..h.len() {
            b.push_interaction(data.user_id(u), data.item_id(h.items[k]), h.timestamps[k], Some("click"), None);
        }
    }
    for u in 0..5 {
        b.push_action_interaction(&format!("u{u}"), "rare-low", NOW - DAY, ActionEvent::Taken);
    }
    data = b.build();
    let fitted = fit(&data, data.actions().interactions()).unwrap();
    let list = fitted.model().recommend_actions(Some("u0"), 10, NOW, &|_| false);
    let ids: Vec<&str> = list.iter().map(|(id, _)| id.as_ref()).collect();
    assert_eq!(&ids[SEGMENTS..], ["rare-high", "rare-low"], "{list:?}");
    assert!(list[SEGMENTS..].iter().all(|(_, s)| *s == 0.0), "{list:?}");
    assert!(list[..SEGMENTS].iter().all(|(_, s)| *s > 0.0), "{list:?}");
}

#[test]
fn expired_and_recently_taken_actions_are_left_out() {
    let data = segmented(600, 5, &[]);
    let mut b = TrainingDataBuilder::new();
    for s in 0..SEGMENTS {
        let attributes = match s {
            0 => ActionAttributes { expiration: Some(NOW + DAY), ..Default::default() },
            1 => ActionAttributes { repeat_frequency_days: Some(30), ..Default::default() },
            _ => ActionAttributes::default(),
        };
        b.push_action(&format!("a{s}"), attributes);
    }
    for r in data.actions().interactions() {
        b.push_action_interaction(data.user_id(r.user), data.actions().action_id(r.action), r.timestamp, r.event);
    }
    for u in 0..data.num_users() as u32 {
        let h = data.user_interactions(u);
        for k in 0..h.len() {
            b.push_interaction(data.user_id(u), data.item_id(h.items[k]), h.timestamps[k], Some("click"), None);
        }
    }
    let data = b.build();
    let model = ActionModel::decode(&fit(&data, data.actions().interactions()).unwrap().to_artifact().payload).unwrap();
    let ids = |user: &str, now: i64| -> Vec<String> {
        model.recommend_actions(Some(user), 10, now, &|_| false).into_iter().map(|(id, _)| id.to_string()).collect()
    };
    // a0 expires tomorrow.
    assert!(ids("u0", NOW).contains(&"a0".to_string()));
    assert!(!ids("u0", NOW + DAY).contains(&"a0".to_string()));
    // A segment-1 user who took a1 ten days ago does not get it again until 30 days after.
    let taker = (0..600)
        .map(|u| format!("u{u}"))
        .find(|u| {
            let u = data.user_index(u).unwrap();
            data.actions()
                .interactions()
                .iter()
                .any(|r| r.user == u && r.event == ActionEvent::Taken && data.actions().action_id(r.action) == "a1")
        })
        .unwrap();
    assert!(!ids(&taker, NOW).contains(&"a1".to_string()), "{:?}", ids(&taker, NOW));
    assert!(ids(&taker, NOW + 25 * DAY).contains(&"a1".to_string()));
    // An exclusion (a filter) applies too.
    let no_a2 = model.recommend_actions(Some("u2"), 10, NOW, &|id| id == "a2");
    assert!(no_a2.iter().all(|(id, _)| id.as_ref() != "a2"));
}

#[test]
fn no_actions_is_insufficient_data() {
    let mut b = TrainingDataBuilder::new();
    b.push_interaction("u", "i", 1, None, None);
    b.push_action_interaction("u", "a", 1, ActionEvent::Taken);
    let data = b.build();
    let e = fit(&data, data.actions().interactions()).err().unwrap();
    assert!(matches!(e, EngineError::InsufficientData(ref m) if m.contains("Actions dataset")), "{e}");
}

#[test]
fn the_artifact_round_trips_and_corruption_is_an_error() {
    let data = segmented(80, 2, &[]);
    let fitted = fit(&data, data.actions().interactions()).unwrap();
    let artifact = fitted.to_artifact();
    let decoded = ActionModel::decode(&artifact.payload).unwrap();
    assert_eq!(decoded.to_artifact(), artifact);
    for u in ["u1", "u79", "nobody"] {
        assert_eq!(
            decoded.recommend_actions(Some(u), 4, NOW, &|_| false),
            fitted.model().recommend_actions(Some(u), 4, NOW, &|_| false)
        );
    }
    let payload = &artifact.payload;
    for n in (0..payload.len()).step_by(7) {
        assert!(ActionModel::decode(&payload[..n]).is_err(), "truncated to {n}");
    }
    for i in (0..payload.len()).step_by(3) {
        let mut b = payload.to_vec();
        b[i] ^= 0x80;
        let _ = ActionModel::decode(&b);
    }
    let mut longer = payload.to_vec();
    longer.push(0);
    assert!(ActionModel::decode(&longer).is_err());
}
