//! Benchmark: what request context (`DEVICE`) is worth to User-Personalization on data where the
//! device really drives behaviour.
//!
//! `cargo bench -p reko-engine --bench context_lift`
//!
//! Data: reko-synth with `context_effect` (default 0.6: with that probability an interaction's
//! category is one its device favours). Split: per user, the newest 20% of interactions are held
//! out (users with fewer than 5 train only). The model is trained once (default settings) on the
//! training part with the `DEVICE` of every interaction as context. Each test request is a (test
//! user, device) pair: the relevant items are the distinct held-out items the user interacted with
//! on that device and had not seen in training. The same requests are scored twice over the
//! full catalogue with training items excluded: once with `context = {DEVICE: d}` and once
//! without context; and a baseline that re-ranks the top 100 without context by the items'
//! popularity on that device in the training data (a per-context popularity re-ranker). Metrics
//! as the offline evaluation (`reko_engine::evaluation`): NDCG@10, precision@10, MRR@25.
//!
//! Environment: `REKO_BENCH_CONTEXT_EFFECT` (0..1), `REKO_BENCH_USERS`, `REKO_BENCH_ITEMS`,
//! `REKO_BENCH_INTERACTIONS`, `REKO_BENCH_CONTEXT_WEIGHT` (the `context_weight` hyperparameter).

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use reko_engine::evaluation::user_metrics;
use reko_engine::{load_model, train, RecommendQuery, TrainingConfig, TrainingDataBuilder};
use reko_synth::{generate, item_id, user_id, SynthConfig, DEVICES, EVENT_TYPES};

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let cfg = SynthConfig {
        users: env("REKO_BENCH_USERS", 10_000),
        items: env("REKO_BENCH_ITEMS", 3_000),
        interactions: env("REKO_BENCH_INTERACTIONS", 300_000),
        context_effect: env("REKO_BENCH_CONTEXT_EFFECT", 0.6),
        ..SynthConfig::default()
    };
    let t = Instant::now();
    let data = generate(&cfg).expect("valid config");
    println!(
        "data: {} users, {} items, {} interactions, context_effect {} (generated in {:.1?})",
        cfg.users,
        cfg.items,
        data.interactions.len(),
        cfg.context_effect,
        t.elapsed()
    );

    // Per-user temporal split: newest 20% held out, users with < 5 interactions train only.
    let mut by_user: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, x) in data.interactions.iter().enumerate() {
        by_user.entry(x.user).or_default().push(i);
    }
    let mut held_out = vec![false; data.interactions.len()];
    for rows in by_user.values_mut() {
        rows.sort_by_key(|&i| (data.interactions[i].timestamp, i));
        if rows.len() >= 5 {
            let test = rows.len() / 5;
            for &i in &rows[rows.len() - test..] {
                held_out[i] = true;
            }
        }
    }
    let mut b = TrainingDataBuilder::new();
    let mut seen: HashMap<u32, HashSet<u32>> = HashMap::new();
    let mut device_popularity: HashMap<(u8, u32), u32> = HashMap::new();
    for (i, x) in data.interactions.iter().enumerate() {
        if held_out[i] {
            continue;
        }
        let device = format!("DEVICE={}", DEVICES[x.device as usize]);
        b.push_interaction_in_context(
            &user_id(x.user as usize),
            &item_id(x.item as usize),
            x.timestamp,
            Some(EVENT_TYPES[x.event_type as usize]),
            Some(x.event_value),
            &[device.as_str()],
        );
        seen.entry(x.user).or_default().insert(x.item);
        *device_popularity.entry((x.device, x.item)).or_default() += 1;
    }
    let training = b.build();
    let t = Instant::now();
    let mut config = TrainingConfig::default();
    if let Ok(w) = std::env::var("REKO_BENCH_CONTEXT_WEIGHT") {
        config.hyperparameters.insert("context_weight".into(), w);
    }
    let solution = train("aws-user-personalization", &training, &config, &mut |_| {}).unwrap();
    let model = load_model(&solution.artifact).unwrap();
    println!("train() with offline metrics: {:.1?}", t.elapsed());

    // Requests: (user, device) → relevant held-out items.
    let mut requests: HashMap<(u32, u8), HashSet<u32>> = HashMap::new();
    for (i, x) in data.interactions.iter().enumerate() {
        if held_out[i] && !seen.get(&x.user).is_some_and(|s| s.contains(&x.item)) {
            requests.entry((x.user, x.device)).or_default().insert(x.item);
        }
    }
    let mut requests: Vec<_> = requests.into_iter().collect();
    requests.sort_by_key(|((u, d), _)| (*u, *d));

    let index_of = |id: &str| id[1..].parse::<u32>().expect("synthetic item id") - 1;
    let mut totals = [[0f64; 3]; 3]; // [without, with, re-ranked] × [ndcg@10, precision@10, mrr@25]
    let t = Instant::now();
    for ((user, device), relevant) in &requests {
        let uid = user_id(*user as usize);
        let empty = HashSet::new();
        let user_seen = seen.get(user).unwrap_or(&empty);
        let exclude = |id: &str| user_seen.contains(&index_of(id));
        let context = [format!("DEVICE={}", DEVICES[*device as usize])];
        for (slot, ctx) in [(0, &[][..]), (1, &context[..]), (2, &[][..])] {
            let recs = model.recommend(&RecommendQuery {
                user_id: Some(&uid),
                item_id: None,
                num_results: if slot == 2 { 100 } else { 25 },
                exclude: &exclude,
                exclude_index: None,
                candidates: None,
                context: ctx,
                exploration: None,
            });
            let mut ranked: Vec<u32> = recs.iter().map(|r| index_of(&r.item_id)).collect();
            if slot == 2 {
                // Stable: ties keep the model's order.
                ranked.sort_by_key(|i| std::cmp::Reverse(device_popularity.get(&(*device, *i)).copied().unwrap_or(0)));
                ranked.truncate(25);
            }
            let m = user_metrics(&ranked, |i| relevant.contains(&i), relevant.len());
            totals[slot][0] += m.ndcg[1];
            totals[slot][1] += m.precision[1];
            totals[slot][2] += m.reciprocal_rank;
        }
    }
    let n = requests.len() as f64;
    println!("{} requests (test user × device) scored three times in {:.1?}", requests.len(), t.elapsed());
    println!("| request | NDCG@10 | precision@10 | MRR@25 |");
    println!("|---|---:|---:|---:|");
    for (slot, name) in [
        (0, "without context"),
        (1, "with context {DEVICE}"),
        (2, "without context, top 100 re-ranked by popularity on the device"),
    ] {
        println!("| {name} | {:.4} | {:.4} | {:.4} |", totals[slot][0] / n, totals[slot][1] / n, totals[slot][2] / n);
    }
    println!("NDCG@10 lift: {:+.1}% over no context", 100.0 * (totals[1][0] / totals[0][0] - 1.0));
    println!("NDCG@10 lift: {:+.1}% over the re-ranker", 100.0 * (totals[1][0] / totals[2][0] - 1.0));
}
