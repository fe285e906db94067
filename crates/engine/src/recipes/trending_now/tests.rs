use super::*;
use crate::training_data::TrainingDataBuilder;
use crate::{train, validate_config};

const H: i64 = 3600;
const T: i64 = 100_000;

/// steady: one event every 10 minutes for 10 hours; rise: 10 events in the last hour and
/// one 1.5 h ago; tiny: one event 100 s ago; fall: 10 events 1–2 h ago and 2 recent ones.
fn crafted() -> TrainingData {
    let mut b = TrainingDataBuilder::new();
    let mut u = 0;
    let mut push = |item: &str, ts: i64| {
        u += 1;
        b.push_interaction(&format!("u{u}"), item, ts, None, None);
    };
    for k in 0..=60 {
        push("steady", T - k * 600);
    }
    for m in 1..=10 {
        push("rise", T - 60 * m);
    }
    push("rise", T - 3 * H / 2);
    push("tiny", T - 100);
    for m in 1..=10 {
        push("fall", T - 6 * H / 5 - 10 * m);
    }
    push("fall", T - 200);
    push("fall", T - 300);
    b.build()
}

fn order(m: &TrendingModel) -> Vec<String> {
    m.ranking().ids.iter().map(|s| s.to_string()).collect()
}

#[test]
fn trend_detection_depends_on_the_interval() {
    let d = crafted();
    // 1 hour: rise 10 vs 1 (z 2.5), tiny 1 vs 0 (z 0.58); then no growth by current count:
    // steady 6 vs 6, fall 2 vs 10.
    assert_eq!(order(&fit(&d, H).model), ["rise", "tiny", "steady", "fall"]);
    // 3 hours: fall 12 vs 0 (z 3.2), rise 11 vs 0 (z 3.05), tiny; steady 18 vs 18.
    assert_eq!(order(&fit(&d, 3 * H).model), ["fall", "rise", "tiny", "steady"]);
    let f = fit(&d, H);
    assert_eq!(f.model.window(), (H, T));
    let mut out = vec![];
    f.recommend_indices(0, d.user_interactions(0), 2, &mut out);
    assert_eq!(out.len(), 2);
    assert_eq!(d.item_id(out[0]), "rise");
}

#[test]
fn serving_and_rank() {
    let m = fit(&crafted(), H).model;
    let q = RecommendQuery {
        user_id: Some("anyone"),
        item_id: None,
        num_results: 2,
        exclude: &|i| i == "rise",
        exclude_index: None,
        candidates: None,
        context: &[],
        exploration: None,
    };
    let r: Vec<String> = m.recommend(&q).into_iter().map(|s| s.item_id).collect();
    assert_eq!(r, ["tiny", "steady"]);
    let input: Vec<String> = ["x", "fall", "rise"].iter().map(|s| s.to_string()).collect();
    let r: Vec<String> =
        m.rank(&RankQuery { user_id: "u", input: &input, context: &[] }).into_iter().map(|s| s.item_id).collect();
    assert_eq!(r, ["rise", "fall", "x"]);
    assert!(m.knows_item("tiny") && !m.knows_item("x") && !m.has_scores());
}

/// Events observed after training move the intervals, change the trends, bring new items in,
/// and leave the artifact (what training found) alone; a format-1 artifact refreshes too.
#[test]
fn observed_events_move_the_trends() {
    let f = fit(&crafted(), H);
    let artifact = f.model.to_artifact();
    let m = crate::load_model(&artifact).unwrap();
    assert!(m.observes_events());
    let ev = |item: &str, ts: i64| ObservedEvent { item_id: item.into(), timestamp: ts, weight: 1.0 };
    // An hour on: "new" (unknown at training) gets 8 events, "steady" goes on as before.
    let mut events: Vec<ObservedEvent> = (0..8).map(|k| ev("new", T + 3000 + k)).collect();
    events.extend((1..=6).map(|k| ev("steady", T + 600 * k)));
    m.observe_events(1, &events);
    m.observe_events(1, &events); // the same batch again: ignored
    let q = RecommendQuery {
        user_id: None,
        item_id: None,
        num_results: 10,
        exclude: &|_| false,
        exclude_index: None,
        candidates: None,
        context: &[],
        exploration: None,
    };
    let list: Vec<String> = m.recommend(&q).into_iter().map(|s| s.item_id).collect();
    // The intervals now end at T + 1 h: new 8 vs 0 (z 2.5); steady 6 vs 6; rise 0 vs 10,
    // tiny 0 vs 1, fall 0 vs 2 fell (their events are now in the previous hour).
    assert_eq!(list, ["new", "steady", "fall", "rise", "tiny"]);
    assert!(m.knows_item("new") && m.num_items() == 5);
    assert_eq!(crate::load_model(&artifact).unwrap().num_items(), 4, "the artifact is unchanged");
    // A batch counts once however often it is passed.
    let direct = TrendingModel::decode(FORMAT_VERSION, &artifact.payload).unwrap();
    let before = direct.lock_live().recent.len();
    for _ in 0..3 {
        direct.observe_events(7, &events);
    }
    assert_eq!(direct.lock_live().recent.len(), before + events.len());
    // The batches remembered stay bounded; the oldest forgotten count as observed.
    let one = [ev("steady", T + 10)];
    for batch in 100..100 + BATCHES_KEPT as i64 + 10 {
        direct.observe_events(batch, &one);
    }
    let len = direct.lock_live().recent.len();
    direct.observe_events(100, &one);
    assert_eq!(direct.lock_live().recent.len(), len, "an old batch passed again is ignored");
    assert!(direct.lock_live().batches.len() <= BATCHES_KEPT);
    // Format 1 (counts only) stands its counts at the end of each interval.
    let v1 = ModelArtifact {
        format_version: 1,
        payload: artifact.payload[..artifact.payload.len() - 4 - 16 * f.model.trained.recent.len()].to_vec(),
        ..artifact.clone()
    };
    let old = crate::load_model(&v1).unwrap();
    assert_eq!(old.recommend(&q).into_iter().map(|s| s.item_id).collect::<Vec<_>>(), order(&f.model));
    old.observe_events(1, &events);
    assert_eq!(old.recommend(&q)[0].item_id, "new");
}

#[test]
fn frequency_values() {
    let with = |v: &str| {
        let mut c = TrainingConfig::default();
        c.feature_transformation_parameters.insert("trend_discovery_frequency".into(), v.into());
        c
    };
    assert_eq!(interval_seconds(&TrainingConfig::default()).unwrap(), 3 * H);
    for (v, s) in [("30 minutes", 1800), ("30 min", 1800), ("1 hour", H), ("1h", H), ("3h", 3 * H), ("1 day", 86_400)] {
        assert_eq!(interval_seconds(&with(v)).unwrap(), s);
        validate_config(NAME, &with(v)).unwrap();
    }
    for bad in ["2 hours", "1 Hour", ""] {
        match validate_config(NAME, &with(bad)) {
            Err(EngineError::InvalidConfig(m)) => {
                assert!(m.contains(&format!("'{bad}'")) && m.contains("trend_discovery_frequency"), "{m}")
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
    let mut c = TrainingConfig::default();
    c.hyperparameters.insert("trend_discovery_frequency".into(), "1h".into());
    assert!(validate_config(NAME, &c).is_err(), "a featurization parameter, not a hyperparameter");
}

#[test]
fn artifact_round_trip_and_corruption() {
    let a = fit(&crafted(), H).model.to_artifact();
    let m = crate::load_model(&a).unwrap();
    assert_eq!(m.recipe(), NAME);
    assert_eq!(m.num_items(), 4);
    let back = TrendingModel::decode(FORMAT_VERSION, &a.payload).unwrap();
    assert_eq!(back.to_artifact(), a);
    for n in 0..a.payload.len() {
        assert!(TrendingModel::decode(FORMAT_VERSION, &a.payload[..n]).is_err(), "truncated to {n}");
    }
    for i in 0..a.payload.len() {
        for bit in [0x01u8, 0x40, 0x80] {
            let mut b = a.payload.clone();
            b[i] ^= bit;
            let _ = TrendingModel::decode(FORMAT_VERSION, &b);
        }
    }
}

#[test]
fn train_on_synthetic() {
    let d = crate::test_support::synthetic(100, 20, 300);
    let sol = train(NAME, &d, &TrainingConfig::default(), &mut |_| {}).unwrap();
    assert_eq!(sol.metrics.len(), 8);
    assert!(crate::load_model(&sol.artifact).unwrap().num_items() > 0);
}
