use super::*;
use crate::load_model;
use crate::model::Exploration;
use crate::training_data::TrainingDataBuilder;
use crate::{train, validate_config};

/// Two taste groups: even users like items a0..a19 (mostly on mobile), odd users b0..b19
/// (on desktop); items carry their group as metadata; `cold_a`/`cold_b` have no
/// interactions (created recently); `ua`/`ub` are users with metadata only.
/// The pruned search over the cluster index returns exactly the items of a full scan (with
/// exclusions, context and exploration), and scores close to the full softmax.
#[test]
fn pruned_selection_equals_the_full_scan() {
    let mut b = TrainingDataBuilder::new();
    for u in 0..400 {
        for k in 0..30 {
            let item = (u * 7 + k * k * 13) % 3000;
            let device = if (u + k) % 3 == 0 { "DEVICE=mobile" } else { "DEVICE=desktop" };
            b.push_interaction_in_context(
                &format!("u{u}"),
                &format!("i{item}"),
                (k * 100) as i64,
                Some("click"),
                None,
                &[device],
            );
        }
    }
    for i in 0..3000 {
        b.push_item(&format!("i{i}"), Some(if i % 50 == 0 { 2900 } else { 0 }));
    }
    let data = b.build();
    let model = fit("aws-user-personalization", &data, &TrainingConfig::default());
    let clusters = ItemClusters::build(&model);
    let ctx_tokens = ["DEVICE=mobile".to_string()];
    for (u, exploration, context) in [
        ("u1", None, &[][..]),
        ("u2", Some(Exploration { weight: 0.3, item_age_cut_off_days: 1.0, seed: Some(3) }), &ctx_tokens[..]),
        ("u3", None, &ctx_tokens[..]),
    ] {
        let v = model.user_vector(u).unwrap().to_vec();
        let exclude = |id: &str| id.ends_with('7');
        let q = RecommendQuery {
            user_id: Some(u),
            item_id: None,
            num_results: 25,
            exclude: &exclude,
            exclude_index: None,
            candidates: None,
            context,
            exploration,
        };
        let ctx = model.context_slots(context);
        let full = model.select(&model.logits(Some(&v), &ctx, false), Some(&v), &q, &[]);
        let pruned = model.select_pruned(&clusters, &v, &ctx, &q, &[]);
        let ids = |r: &[ScoredItem]| r.iter().map(|s| s.item_id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&pruned), ids(&full), "{u}");
        for (p, f) in pruned.iter().zip(&full) {
            let (p, f) = (p.score.unwrap(), f.score.unwrap());
            assert!((p / f - 1.0).abs() < 0.2, "{u}: score {p} vs {f}");
        }
    }
    // Items added later join the existing index; exploration finds them as a full scan does.
    model.item_clusters();
    let new: Vec<NewItem> =
        (0..5).map(|k| NewItem { item_id: format!("new{k}"), tokens: vec![], created: Some(2950) }).collect();
    let extended = model.with_new_items(&new);
    assert!(extended.clusters.get().is_some(), "the index is carried over");
    let v = extended.user_vector("u5").unwrap().to_vec();
    let q = RecommendQuery {
        user_id: Some("u5"),
        item_id: None,
        num_results: 10,
        exclude: &|_| false,
        exclude_index: None,
        candidates: None,
        context: &[],
        exploration: Some(Exploration { weight: 1.0, item_age_cut_off_days: 1.0, seed: Some(3) }),
    };
    let full = extended.select(&extended.logits(Some(&v), &[], false), Some(&v), &q, &[]);
    let pruned = extended.select_pruned(extended.item_clusters(), &v, &[], &q, &[]);
    let ids = |r: &[ScoredItem]| r.iter().map(|s| s.item_id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&pruned), ids(&full));
    let members = extended.item_clusters().members.len();
    assert_eq!(members, 3005, "every item, new ones included, is in a cluster");
}

/// Concurrent requests scored in batches get exactly what a lone request gets.
#[test]
fn batched_scoring_under_concurrency_equals_direct_scoring() {
    let data = crate::test_support::synthetic(300, 12, 200);
    let model = fit("aws-user-personalization", &data, &TrainingConfig::default());
    let users: Vec<String> = (0..64).map(|u| format!("u{u}")).collect();
    let expected: Vec<Vec<f32>> = users.iter().map(|u| model.logits(model.user_vector(u), &[], false)).collect();
    std::thread::scope(|scope| {
        for chunk in users.chunks(8).zip(expected.chunks(8)) {
            let model = &model;
            scope.spawn(move || {
                for _ in 0..20 {
                    for (u, e) in chunk.0.iter().zip(chunk.1) {
                        assert_eq!(&model.logits(model.user_vector(u), &[], true), e, "{u}");
                    }
                }
            });
        }
    });
}

/// A training run chooses what the configuration leaves open, says so, and leaves a user's
/// choices alone.
#[test]
fn training_chooses_what_the_user_left_open() {
    let data = crate::test_support::synthetic(300, 12, 200);
    let solution = crate::train("aws-user-personalization", &data, &TrainingConfig::default(), &mut |_| {}).unwrap();
    let chosen = solution.tuned.get("event_value_scaling").map(String::as_str);
    assert!(matches!(chosen, Some("none" | "linear" | "log" | "quantile")), "{:?}", solution.tuned);
    for name in ["alpha", "regularization", "recency_half_life_days", "sequence_weight", "hidden_dimension"] {
        assert!(solution.tuned.contains_key(name), "{name} chosen: {:?}", solution.tuned);
    }
    let mut fixed = TrainingConfig::default();
    for (k, v) in [
        ("event_value_scaling", "log"),
        ("alpha", "2"),
        ("regularization", "10"),
        ("recency_half_life_days", "30"),
        ("sequence_weight", "2"),
        ("hidden_dimension", "64"),
    ] {
        fixed.hyperparameters.insert(k.into(), v.into());
    }
    assert!(crate::train("aws-user-personalization", &data, &fixed, &mut |_| {}).unwrap().tuned.is_empty());
    let model = UpModel::decode(
        "aws-user-personalization",
        FORMAT_VERSION,
        &crate::train("aws-user-personalization", &data, &fixed, &mut |_| {}).unwrap().artifact.payload,
    )
    .unwrap();
    assert_eq!(model.params().value_scaling, ValueScaling::Log, "the scaling is kept in the artifact");
}

/// Quantile scaling measures each event against the user's own values: ties share a mid-rank,
/// events without a (positive) value count as typical, and no factor leaves [0.5, 1.5).
#[test]
fn quantile_scaling_ranks_values_within_the_user() {
    let mut f = Vec::new();
    ValueScaling::Quantile.user_factors(&[10.0, f32::NAN, 1.0, 1e9, 10.0, 0.0], 72.0, &mut f);
    // (values below + half the equal ones) / positive values: 1 → 0.5/4, the two 10s → 2/4, 1e9 → 3.5/4.
    assert_eq!(f, vec![0.5 + 2.0 / 4.0, 1.0, 0.5 + 0.5 / 4.0, 0.5 + 3.5 / 4.0, 0.5 + 2.0 / 4.0, 1.0]);
    // A heavy user's scale does not matter, only the order of their values.
    let mut g = Vec::new();
    ValueScaling::Quantile.user_factors(&[1000.0, f32::NAN, 100.0, 1e12, 1000.0, 0.0], 72.0, &mut g);
    assert_eq!(f, g);
    // The other scalings are per event, as before.
    ValueScaling::Log.user_factors(&[72.0, f32::NAN], 72.0, &mut f);
    assert_eq!(f, vec![1.0, 1.0]);
    // The code an artifact stores for each scaling stays where it was (quantile appended).
    let names: Vec<&str> = ValueScaling::NAMES.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["auto", "none", "linear", "log", "quantile"]);
}

/// The final fit of a training run starts from the evaluation model with two sweeps; on
/// held-out data it must rank as well as a fit from scratch.
#[test]
fn final_fit_after_evaluation_matches_a_fit_from_scratch() {
    use crate::evaluation::{evaluate, evaluate_model, Split};
    let data = crate::test_support::synthetic(600, 24, 400);
    let cfg = TrainingConfig::default();
    let r = &USER_PERSONALIZATION;
    let s = Split::TEMPORAL.apply(&data);
    let scratch = evaluate_model(r.fit(&s.train, &cfg).unwrap().as_ref(), &s);
    let (_, evaluated) = evaluate(&s.train, |d| r.fit(d, &cfg)).unwrap();
    let warm = evaluate_model(r.fit_after_evaluation(evaluated, &s.train, &cfg).unwrap().as_ref(), &s);
    let key = "normalized_discounted_cumulative_gain_at_10";
    assert!(scratch[key] > 0.2, "{scratch:?}");
    assert!(warm[key] >= 0.95 * scratch[key], "warm {warm:?} scratch {scratch:?}");
}

#[test]
fn update_refreshes_a_model_with_new_items_quickly() {
    let base = groups();
    let config = TrainingConfig::default();
    let first = fit(INFO_UP.name, &base, &config);
    // New data: a new item liked by the even ("a") users.
    let mut b = TrainingDataBuilder::new();
    for u in 0..60 {
        let g = if u % 2 == 0 { "a" } else { "b" };
        for k in 0..20 {
            b.push_interaction(&format!("u{u}"), &format!("{g}{k}"), 1_000 + k as i64, None, None);
        }
        if u % 2 == 0 {
            b.push_interaction(&format!("u{u}"), "new_a", 2_000, None, None);
        }
    }
    let data = b.build();
    let artifact = first.to_artifact();
    let refreshed = USER_PERSONALIZATION.update(&artifact, &data, &config).expect("update");
    let model = USER_PERSONALIZATION.load_model(&refreshed.to_artifact()).unwrap();
    assert!(model.knows_item("new_a"), "the refresh learns the new item");
    let ua = model.user_vector("u0").unwrap().to_vec();
    let ub = model.user_vector("u1").unwrap().to_vec();
    let top_a = model.top_indices_for_vector(Some(&ua), 25, &[]);
    let top_b = model.top_indices_for_vector(Some(&ub), 25, &[]);
    let new_a = model.item_index()["new_a"];
    assert!(top_a.contains(&new_a), "a-users get the new a-item");
    assert!(!top_b[..5].contains(&new_a), "b-users do not");
    assert!(!PERSONALIZED_RANKING.supports_update(), "Personalize updates User-Personalization only");
    assert!(PERSONALIZED_RANKING.update(&artifact, &data, &config).is_err());
}

fn groups() -> TrainingData {
    let mut b = TrainingDataBuilder::new();
    for u in 0..60 {
        let g = if u % 2 == 0 { "a" } else { "b" };
        let device = if u % 2 == 0 { "DEVICE=mobile" } else { "DEVICE=desktop" };
        for k in 0..20 {
            let item = format!("{g}{}", (u * 7 + k * 3) % 20);
            let etype = if k % 3 == 0 { "buy" } else { "click" };
            b.push_interaction_in_context(
                &format!("u{u}"),
                &item,
                1_000_000 + (u * 100 + k) as i64 * 60,
                Some(etype),
                None,
                &[device],
            );
        }
        b.push_user_features(&format!("u{u}"), &[&format!("GROUP={g}")]);
    }
    for g in ["a", "b"] {
        for i in 0..20 {
            b.push_item_features(&format!("{g}{i}"), &[&format!("GROUP={g}")]);
            b.push_item(&format!("{g}{i}"), Some(0));
        }
        b.push_item_features(&format!("cold_{g}"), &[&format!("GROUP={g}")]);
        b.push_item(&format!("cold_{g}"), Some(1_000_000));
        b.push_user_features(&format!("u{g}"), &[&format!("GROUP={g}")]);
    }
    b.build()
}

fn q<'a>(
    user: Option<&'a str>,
    n: usize,
    context: &'a [String],
    exploration: Option<Exploration>,
) -> RecommendQuery<'a> {
    RecommendQuery {
        user_id: user,
        item_id: None,
        num_results: n,
        exclude: &|_| false,
        exclude_index: None,
        candidates: None,
        context,
        exploration,
    }
}

fn small_config() -> TrainingConfig {
    let mut c = TrainingConfig::default();
    c.hyperparameters.insert("hidden_dimension".into(), "32".into());
    c.hyperparameters.insert("num_iterations".into(), "8".into());
    c
}

fn group_of(id: &str) -> char {
    id.trim_start_matches("cold_").chars().next().unwrap()
}

#[test]
fn registry_and_hyperparameters() {
    for name in ["aws-user-personalization", "aws-user-personalization-v2"] {
        let r = crate::recipe(name).unwrap();
        assert_eq!(r.recipe_type.as_str(), "USER_PERSONALIZATION");
        assert!(r.has_scores);
    }
    for name in ["aws-personalized-ranking", "aws-personalized-ranking-v2"] {
        assert_eq!(crate::recipe(name).unwrap().recipe_type.as_str(), "PERSONALIZED_RANKING");
    }
    let mut c = TrainingConfig::default();
    for spec in HYPERPARAMETERS {
        c.hyperparameters.insert(spec.name.into(), spec.default.into());
    }
    validate_config("aws-user-personalization", &c).unwrap();
    assert_eq!(Params::from_config(&c), Params::from_config(&TrainingConfig::default()));
    c.hyperparameters.insert("hidden_dimension".into(), "16".into());
    assert!(validate_config("aws-personalized-ranking", &c).is_err());
}

#[test]
fn learns_groups_and_serves_after_round_trip() {
    let d = groups();
    let sol = train("aws-user-personalization", &d, &small_config(), &mut |_| {}).unwrap();
    assert_eq!(sol.metrics.len(), 8);
    assert!(sol.metrics["precision_at_5"] > 0.0, "{:?}", sol.metrics);
    let m = load_model(&sol.artifact).unwrap();
    assert_eq!(m.recipe(), "aws-user-personalization");
    assert!(m.has_scores() && m.knows_item("a3") && m.knows_item("cold_a") && !m.knows_item("zz"));
    assert_eq!(m.num_items(), 42);
    let recs = m.recommend(&q(Some("u0"), 10, &[], None));
    assert_eq!(recs.len(), 10);
    assert!(recs.iter().all(|r| group_of(&r.item_id) == 'a'), "{recs:?}");
    let scores: Vec<f64> = recs.iter().map(|r| r.score.unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]));
    let all = m.recommend(&q(Some("u0"), 1000, &[], None));
    let total: f64 = all.iter().map(|r| r.score.unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-6, "{total}");
    // Cold user with metadata only: their group, better than popularity.
    let recs = m.recommend(&q(Some("ub"), 5, &[], None));
    assert!(recs.iter().all(|r| group_of(&r.item_id) == 'b'), "{recs:?}");
    // Unknown user: popular items, still scored.
    let recs = m.recommend(&q(Some("nobody"), 5, &[], None));
    assert_eq!(recs.len(), 5);
    assert!(recs.iter().all(|r| r.score.is_some() && r.reason == Some(crate::Reason::Popular)), "{recs:?}");
    // Exclusions.
    let recs = m.recommend(&RecommendQuery { exclude: &|i| i.starts_with('a'), ..q(Some("u0"), 5, &[], None) });
    assert!(recs.iter().all(|r| !r.item_id.starts_with('a')));
    // The artifact round-trips byte for byte.
    let up = USER_PERSONALIZATION.load_model(&sol.artifact).unwrap();
    assert_eq!(up.to_artifact(), sol.artifact);
}

#[test]
fn ranking_is_a_softmax_over_known_items() {
    let d = groups();
    let sol = train("aws-personalized-ranking", &d, &small_config(), &mut |_| {}).unwrap();
    let m = load_model(&sol.artifact).unwrap();
    assert_eq!(m.recipe(), "aws-personalized-ranking");
    let input: Vec<String> = ["zz", "b1", "a1", "qq", "b2", "a2"].iter().map(|s| s.to_string()).collect();
    let r = m.rank(&RankQuery { user_id: "u1", input: &input, context: &[] });
    let ids: Vec<&str> = r.iter().map(|s| s.item_id.as_str()).collect();
    assert_eq!(&ids[4..], ["zz", "qq"]);
    assert!(ids[..2].iter().all(|i| i.starts_with('b')), "{ids:?}");
    assert!(r[4].score.is_none() && r[5].score.is_none());
    let total: f64 = r[..4].iter().map(|s| s.score.unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-9);
}

#[test]
fn cold_items_are_explored_and_get_metadata_vectors() {
    let d = groups();
    let up = fit("aws-user-personalization", &d, &small_config());
    let exp = Some(Exploration { weight: 0.3, item_age_cut_off_days: 1.0, seed: Some(3) });
    let recs = up.recommend(&q(Some("u0"), 10, &[], exp));
    assert_eq!(recs.len(), 10);
    let ids: Vec<&str> = recs.iter().map(|r| r.item_id.as_str()).collect();
    assert!(ids.contains(&"cold_a"), "{ids:?}");
    // Exploration's items say so (the `reason` of GetRecommendations); the user's own ranking does not.
    let explored: Vec<&str> =
        recs.iter().filter(|r| r.reason == Some(crate::Reason::Exploration)).map(|r| r.item_id.as_str()).collect();
    assert!(explored.contains(&"cold_a") && explored.len() < recs.len(), "{recs:?}");
    assert!(recs[0].reason.is_none(), "{recs:?}");
    // Cold item vectors come from their metadata: cold_a is closer to group a.
    let a = up.user_vector("u0").unwrap();
    let ia = up.item_index()[&Arc::<str>::from("cold_a")] as usize;
    let ib = up.item_index()[&Arc::<str>::from("cold_b")] as usize;
    let (s, y) = (up.s, &up.y);
    assert!(als::dot(&y[ia * s..(ia + 1) * s], a) > als::dot(&y[ib * s..(ib + 1) * s], a));
    let v = up.item_vector_from_features(&["GROUP=a"]).unwrap();
    assert_eq!(v.len(), 32);
    // Without exploration no cold item shows up for a known user.
    let recs = up.recommend(&q(Some("u0"), 10, &[], None));
    assert!(recs.iter().all(|r| !r.item_id.starts_with("cold") && r.reason.is_none()));
}

#[test]
fn context_shifts_preferences() {
    let (d, synth) = device_data(0.9);
    let up = fit("aws-user-personalization", &d, &small_config());
    let categories = synth.items.iter().map(|i| i.category).max().unwrap() as usize + 1;
    let favoured = |device: usize, recs: &[ScoredItem]| {
        let cats = reko_synth::device_categories(categories, device);
        let index = |id: &str| id[1..].parse::<usize>().unwrap() - 1;
        recs.iter().filter(|r| cats.contains(&synth.items[index(&r.item_id)].category)).count()
    };
    let mobile = vec!["DEVICE=mobile".to_string()];
    let desktop = vec!["DEVICE=desktop".to_string()];
    // Known users and anonymous ones alike.
    for user in [Some("u1"), Some("u2"), Some("u3"), None] {
        let on_mobile = up.recommend(&q(user, 10, &mobile, None));
        let on_desktop = up.recommend(&q(user, 10, &desktop, None));
        assert!(favoured(0, &on_mobile) > favoured(0, &on_desktop), "{user:?}: {on_mobile:?} {on_desktop:?}");
        assert!(favoured(1, &on_desktop) > favoured(1, &on_mobile), "{user:?}: {on_mobile:?} {on_desktop:?}");
    }
}

#[test]
fn real_time_history_and_fold_in() {
    let d = groups();
    let up = fit("aws-user-personalization", &d, &small_config());
    // An unknown user clicking b items gets b items.
    let history: Vec<HistoryEvent> = (0..5)
        .map(|i| HistoryEvent { item_id: format!("b{i}"), event_type: Some("click".into()), timestamp: 2_000_000 + i })
        .collect();
    let recs = up.recommend_with_history(&q(Some("new-user"), 5, &[], None), &history);
    assert!(recs.iter().all(|r| group_of(&r.item_id) == 'b'), "{recs:?}");
    // A known a-user who starts clicking b items moves toward b.
    let pair: Vec<String> = ["a1", "b7"].iter().map(|s| s.to_string()).collect();
    let rq = RankQuery { user_id: "u0", input: &pair, context: &[] };
    let b_share = |r: Vec<ScoredItem>| r.iter().find(|x| x.item_id == "b7").unwrap().score.unwrap();
    let (before, after) = (b_share(up.rank(&rq)), b_share(up.rank_with_history(&rq, &history)));
    assert!(after > 100.0 * before, "{before} -> {after}");
    // fold_in by ids equals the index version.
    let v = up.fold_in(&[("b1", 1.0, 5), ("b2", 1.0, 6), ("unknown", 1.0, 7)]);
    assert_eq!(v.len(), 32);
    let w = up.fold_in_indices(&[
        (up.item_index()[&Arc::<str>::from("b1")], 1.0, 5),
        (up.item_index()[&Arc::<str>::from("b2")], 1.0, 6),
    ]);
    assert_eq!(&w[..32], &v[..]);
    // Ranking with history.
    let input: Vec<String> = ["a1", "b1"].iter().map(|s| s.to_string()).collect();
    let r = up.rank_with_history(&RankQuery { user_id: "new-user", input: &input, context: &[] }, &history);
    assert_eq!(r[0].item_id, "b1");
}

#[test]
fn corrupt_payloads_are_errors_never_panics() {
    let d = groups();
    let a = fit("aws-user-personalization", &d, &small_config()).to_artifact();
    let mut rng = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for n in (0..a.payload.len()).step_by(97) {
        let t = ModelArtifact { payload: a.payload[..n].to_vec(), ..a.clone() };
        assert!(matches!(load_model(&t), Err(EngineError::CorruptArtifact(_))), "truncated to {n}");
    }
    for _ in 0..300 {
        let mut p = a.payload.clone();
        for _ in 0..4 {
            let i = next() as usize % p.len();
            p[i] = next() as u8;
        }
        let _ = load_model(&ModelArtifact { payload: p, ..a.clone() });
        let len = next() as usize % 256;
        let junk: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        assert!(load_model(&ModelArtifact { payload: junk, ..a.clone() }).is_err());
    }
    let mut longer = a.clone();
    longer.payload.push(0);
    assert!(load_model(&longer).is_err());
}

#[test]
fn event_weights_follow_events_config() {
    let c = TrainingConfig {
        event_parameters: vec![crate::EventParameters {
            event_type: Some("buy".into()),
            event_value_threshold: None,
            weight: Some(0.5),
        }],
        ..Default::default()
    };
    let w = EventWeights::from_config(&c);
    assert_eq!(w.weight(Some("buy")), 0.5);
    assert_eq!(w.weight(Some("click")), 0.0);
    assert_eq!(EventWeights::from_config(&TrainingConfig::default()).weight(None), 1.0);
    let only = TrainingConfig { event_type: Some("click".into()), ..Default::default() };
    let w = EventWeights::from_config(&only);
    assert_eq!((w.weight(Some("click")), w.weight(Some("buy"))), (1.0, 0.0));
}

/// Training data with `DEVICE` context from reko-synth at `context_effect`.
fn device_data(context_effect: f64) -> (TrainingData, reko_synth::SynthDataset) {
    let cfg = reko_synth::SynthConfig {
        users: 1_500,
        items: 400,
        interactions: 40_000,
        context_effect,
        ..reko_synth::SynthConfig::default()
    };
    let data = reko_synth::generate(&cfg).unwrap();
    let mut b = TrainingDataBuilder::new();
    for x in &data.interactions {
        let device = format!("DEVICE={}", reko_synth::DEVICES[x.device as usize]);
        b.push_interaction_in_context(
            &reko_synth::user_id(x.user as usize),
            &reko_synth::item_id(x.item as usize),
            x.timestamp,
            Some(reko_synth::EVENT_TYPES[x.event_type as usize]),
            None,
            &[device.as_str()],
        );
    }
    (b.build(), data)
}

#[test]
fn context_weight_is_learnt_from_how_much_the_context_drives() {
    let mut config = small_config();
    config.hyperparameters.insert("context_weight".into(), "0".into());
    let fit_on = |effect| {
        let (data, _) = device_data(effect);
        let model = fit("aws-user-personalization", &data, &config);
        let lifts = context_lifts(&data);
        let mut model = model;
        model.context_lift = lifts.lift.clone();
        context_fit(&model, &data, &lifts)
    };
    let driven = fit_on(0.9);
    assert!(driven.scale >= 2.0, "{driven:?}");
    let idle = fit_on(0.0);
    assert!(idle.scale <= 1.0, "{idle:?}");
}

#[test]
fn self_tuning_chooses_open_settings_only_and_never_does_worse_than_the_defaults() {
    let (data, _) = device_data(0.0);
    let config = small_config();
    let chosen = self_tune("aws-user-personalization", &data, &config).unwrap();
    for key in ["alpha", "regularization", "recency_half_life_days", "sequence_weight"] {
        assert!(chosen.contains_key(key), "{key} missing from {chosen:?}");
    }
    // hidden_dimension and num_iterations are fixed by the configuration; there are no event values.
    for key in ["hidden_dimension", "num_iterations", "event_value_scaling"] {
        assert!(!chosen.contains_key(key), "{key} in {chosen:?}");
    }
    // Each choice has to beat what it replaces on the validation split, so the whole set does too.
    let split = evaluation::validation_split(&data, evaluation::TUNING_USERS, evaluation::TUNING_TEST_USERS);
    let score = |c: &TrainingConfig| {
        let mut c = c.clone();
        c.hyperparameters.insert("context_weight".into(), "0".into());
        evaluation::evaluate_model(&fit("aws-user-personalization", &split.train, &c), &split)
            ["normalized_discounted_cumulative_gain_at_10"]
    };
    let mut tuned = config.clone();
    tuned.hyperparameters.extend(chosen.clone());
    assert!(score(&tuned) >= score(&config), "{chosen:?}");
    // A setting the user fixes is left alone.
    let mut fixed = config.clone();
    fixed.hyperparameters.insert("recency_half_life_days".into(), "30".into());
    let chosen = self_tune("aws-user-personalization", &data, &fixed).unwrap();
    assert!(!chosen.contains_key("recency_half_life_days"), "{chosen:?}");
}

/// An optimization objective moves valuable items up as its sensitivity grows, keeps the pruned
/// search exact, survives the artifact, and is measured (`average_rewards_at_k`) even when OFF.
#[test]
fn optimization_objective_trades_relevance_for_value() {
    use crate::ObjectiveSensitivity;
    let mut b = TrainingDataBuilder::new();
    for u in 0..400 {
        for k in 0..30 {
            let item = (u * 7 + k * k * 13) % 3000;
            b.push_interaction(&format!("u{u}"), &format!("i{item}"), (k * 100) as i64, Some("click"), None);
        }
    }
    for i in 0..3000 {
        b.push_item(&format!("i{i}"), None);
        if i % 100 != 0 {
            b.push_item_objective_value(&format!("i{i}"), -((i % 8) as f64) * 0.01);
        }
    }
    let data = b.build();
    let value = |id: &str| -((id[1..].parse::<usize>().unwrap() % 8) as f64) * 0.01;
    let config = |s: ObjectiveSensitivity| TrainingConfig { objective: Some(s), ..small_config() };
    let mean_value = |m: &UpModel| {
        let lists: Vec<Vec<ScoredItem>> =
            (0..50).map(|u| m.recommend(&q(Some(&format!("u{u}")), 25, &[], None))).collect();
        lists.iter().flatten().map(|r| value(&r.item_id)).sum::<f64>() / (50.0 * 25.0)
    };
    let off = fit("aws-user-personalization", &data, &config(ObjectiveSensitivity::Off));
    let low = fit("aws-user-personalization", &data, &config(ObjectiveSensitivity::Low));
    let high = fit("aws-user-personalization", &data, &config(ObjectiveSensitivity::High));
    assert!(off.objective.is_empty(), "OFF leaves relevance alone");
    let (v_off, v_low, v_high) = (mean_value(&off), mean_value(&low), mean_value(&high));
    assert!(v_off < v_low && v_low < v_high, "mean value of top 25: {v_off} < {v_low} < {v_high}");
    // Items without a value count as average, neither pushed nor held back.
    assert_eq!(high.objective_term(0), 0.0);
    // The pruned search still returns exactly the full scan's items.
    let clusters = ItemClusters::build(&high);
    for u in ["u1", "u2", "u3"] {
        let v = high.user_vector(u).unwrap().to_vec();
        let query = q(Some(u), 25, &[], None);
        let full = high.select(&high.logits(Some(&v), &[], false), Some(&v), &query, &[]);
        let pruned = high.select_pruned(&clusters, &v, &[], &query, &[]);
        let ids = |r: &[ScoredItem]| r.iter().map(|s| s.item_id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&pruned), ids(&full), "{u}");
    }
    // Ranking applies it too: of two items equally relevant to nobody, the valuable one first.
    let input = ["i7".to_string(), "i8".to_string()];
    let ranked = high.rank_with_vector(None, &RankQuery { user_id: "nobody", input: &input, context: &[] });
    assert_eq!(ranked[0].item_id, "i8", "{ranked:?}");
    // The artifact keeps the terms.
    let artifact = high.to_artifact();
    let loaded = USER_PERSONALIZATION.load_model(&artifact).unwrap();
    assert_eq!(loaded.to_artifact(), artifact);
    // Training reports the reward metric, OFF included (a reward-weighted recall: how it moves
    // with the sensitivity depends on how value and relevance relate in the data).
    for s in [ObjectiveSensitivity::Off, ObjectiveSensitivity::High] {
        let sol = train("aws-user-personalization", &data, &config(s), &mut |_| {}).unwrap();
        let r = sol.metrics[crate::evaluation::REWARD_METRIC_KEY];
        assert!(r > 0.0 && r <= 1.0, "average_rewards_at_k {r} with {s:?}: {:?} {:?}", sol.tuned, sol.metrics);
        assert_eq!(sol.metrics.len(), 9);
    }
    // Only the User-Personalization family honours an objective.
    let sims = TrainingConfig { objective: Some(ObjectiveSensitivity::Low), ..TrainingConfig::default() };
    let err = validate_config("aws-sims", &sims).unwrap_err();
    assert!(err.to_string().contains("optimizationObjective"), "{err}");
}

/// A training run moves its live progress through the stages and, within them, through the
/// fit's iterations and the evaluation's batches, ending at 100% in "writing".
#[test]
fn training_reports_progress_within_its_stages() {
    use crate::evaluation::Split;
    use crate::LiveProgress;
    let data = groups();
    let live = LiveProgress::new();
    let evaluating = live.stage("evaluating", 0.2, 0.6);
    let config = TrainingConfig { progress: evaluating.part(0.0, 0.85), ..small_config() };
    fit(INFO_UP.name, &data, &config);
    let (stage, fraction) = live.read();
    assert_eq!(stage, "evaluating");
    assert!((fraction - (0.2 + 0.4 * 0.85)).abs() < 1e-9, "the fit's iterations took it to its part's end: {fraction}");
    let config = TrainingConfig { progress: evaluating.clone(), ..small_config() };
    USER_PERSONALIZATION.evaluate(&data, &config, Split::Personalize).unwrap();
    assert!((live.read().1 - 0.6).abs() < 1e-9, "the scoring batches took it to the stage's end: {:?}", live.read());
    let live = LiveProgress::new();
    let mut stages = Vec::new();
    train(INFO_UP.name, &data, &TrainingConfig { progress: live.clone(), ..small_config() }, &mut |p| {
        stages.push(p.stage)
    })
    .unwrap();
    assert_eq!(live.read(), ("writing", 1.0));
    assert_eq!(stages, ["filtering", "tuning", "evaluating", "training", "writing", "writing"]);
}
