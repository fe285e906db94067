//! Benchmark: the engine's side of one GetRecommendations at catalogue scale, without HTTP: a
//! User-Personalization model over reko-synth data (`REKO_BENCH_USERS` 100,000 users,
//! `REKO_BENCH_ITEMS` 100,000 items, `REKO_BENCH_INTERACTIONS` 1,000,000; fixed hyperparameters,
//! `REKO_BENCH_PARAMS` overriding them as `name=value,...`, no self-tuning), then `Model::recommend`
//! for 1,000 known users (the first ones, or every `REKO_BENCH_USER_STRIDE`-th) cycled
//! (numResults 25, the user's own items not excluded), on one thread, with exploration off, at the campaign default
//! (weight 0.3) and at 0.9. Reports microseconds per request (mean of 5 passes, and the best),
//! then, for the same users, the pruned search against a full scan (identical lists, score
//! error, share of the catalogue scored), and who the tenth of the users scanned most for are
//! (their share, the items without interactions in their lists, their vectors' norm).
//! `REKO_BENCH_CATALOGUE=1` adds every item of the catalogue with its category and price, as the HTTP
//! benchmark imports them (the items without interactions are then exploration candidates).
//!
//! `cargo bench -p reko-engine --bench serving_path`

use std::time::Instant;

use reko_engine::recipes::user_personalization::{fit, UpModel};
use reko_engine::{Exploration, Model, RecommendQuery, ScoredItem, TrainingConfig, TrainingDataBuilder};
use reko_synth::{generate, item_id, user_id, SynthConfig, EVENT_TYPES};

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let cfg = SynthConfig {
        users: env("REKO_BENCH_USERS", 100_000),
        items: env("REKO_BENCH_ITEMS", 100_000),
        interactions: env("REKO_BENCH_INTERACTIONS", 1_000_000),
        ..SynthConfig::default()
    };
    let data = generate(&cfg).expect("valid config");
    let mut b = TrainingDataBuilder::new();
    for x in &data.interactions {
        b.push_interaction(
            &user_id(x.user as usize),
            &item_id(x.item as usize),
            x.timestamp,
            Some(EVENT_TYPES[x.event_type as usize]),
            None,
        );
    }
    // `REKO_BENCH_CATALOGUE=1`: every item of the catalogue with its creation time, category and price,
    // as the HTTP benchmark imports them (items without interactions become exploration
    // candidates, their factors predicted from the category).
    if env("REKO_BENCH_CATALOGUE", 0u8) == 1 {
        for (i, item) in data.items.iter().enumerate() {
            let id = item_id(i);
            b.push_item(&id, Some(item.creation_timestamp));
            // The tokens the service's featurizer makes of the items file (reko_dataset::features).
            let category = format!("CATEGORY={}", reko_synth::category_name(item.category as usize));
            let price = format!("PRICE~{}", reko_dataset::features::numeric_bucket(item.price));
            b.push_item_features(&id, &[&category, &price]);
        }
    }
    let training = b.build();
    let mut config = TrainingConfig::default();
    config.hyperparameters.insert("num_iterations".into(), "5".into());
    // `REKO_BENCH_PARAMS="alpha=32,regularization=300"`: what a self-tuned training chose.
    for pair in std::env::var("REKO_BENCH_PARAMS").unwrap_or_default().split(',').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').expect("REKO_BENCH_PARAMS: name=value pairs");
        config.hyperparameters.insert(name.trim().into(), value.trim().into());
    }
    let t = Instant::now();
    let model = fit("aws-user-personalization", &training, &config);
    println!(
        "{} users, {} items, {} interactions; fit in {:.1?}",
        cfg.users,
        cfg.items,
        data.interactions.len(),
        t.elapsed()
    );
    // `REKO_BENCH_USER_STRIDE`: every n-th user instead of the first 1,000 (a sample across
    // the whole population, as the HTTP benchmark's random users are).
    let stride: usize = env("REKO_BENCH_USER_STRIDE", 1);
    let users: Vec<String> = (0..1000).map(|k| user_id((k * stride) % cfg.users)).collect();
    // What a deployment does before it serves: the serving indexes, the memory they read.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    pool.install(|| {
        let t = Instant::now();
        model.prepare();
        println!("prepared to serve (the cluster and exploration indexes): {:.1?}", t.elapsed());
        println!("| exploration | µs per request (mean of 5 passes) | best pass |");
        println!("|---|---:|---:|");
        for weight in [0.0, 0.3, 0.9] {
            let exploration = (weight > 0.0).then_some(Exploration { weight, ..Exploration::default() });
            let mut passes = Vec::new();
            for _ in 0..5 {
                let t = Instant::now();
                for u in &users {
                    std::hint::black_box(model.recommend(&query(u, exploration)));
                }
                passes.push(t.elapsed().as_secs_f64() * 1e6 / users.len() as f64);
            }
            let mean = passes.iter().sum::<f64>() / passes.len() as f64;
            let best = passes.iter().copied().fold(f64::INFINITY, f64::min);
            println!("| weight {weight} | {mean:.1} | {best:.1} |");
        }
    });
    let mut interacted = std::collections::HashSet::new();
    for x in &data.interactions {
        interacted.insert(item_id(x.item as usize));
    }
    compare_with_full_scan(&model, &users, &interacted);
}

/// The pruned search against a full scan, for every user of `users` (exploration off): how
/// many lists have the same items in the same order, how far the scores are apart (relative),
/// and what share of the catalogue the search scored.
fn compare_with_full_scan(model: &UpModel, users: &[String], interacted: &std::collections::HashSet<String>) {
    let (mut identical, mut errors, mut shares) = (0usize, Vec::new(), Vec::new());
    // Per user: the share scored and how many items of the list never had an interaction.
    let mut by_share: Vec<(f64, usize, f64)> = Vec::new();
    for u in users {
        let Some(v) = model.user_vector(u).map(<[f32]>::to_vec) else { continue };
        let c = model.pruned_against_full_scan(&v, &query(u, None));
        let ids = |r: &[ScoredItem]| r.iter().map(|s| s.item_id.clone()).collect::<Vec<_>>();
        identical += usize::from(ids(&c.pruned) == ids(&c.full));
        for (p, f) in c.pruned.iter().zip(&c.full) {
            let (p, f) = (p.score.unwrap_or(0.0), f.score.unwrap_or(0.0));
            errors.push(if f > 0.0 { (p - f).abs() / f } else { 0.0 });
        }
        shares.push(c.scored as f64 / c.catalogue as f64);
        let cold = c.full.iter().filter(|s| !interacted.contains(&s.item_id)).count();
        let norm = v.iter().map(|x| f64::from(x * x)).sum::<f64>().sqrt();
        by_share.push((c.scored as f64 / c.catalogue as f64, cold, norm));
    }
    // Where the work goes: the tenth of the users the search scans most for, against the rest.
    by_share.sort_by(|a, b| b.0.total_cmp(&a.0));
    let tenth = (by_share.len() / 10).max(1);
    type Row = (f64, usize, f64);
    let mean = |v: &[Row], f: &dyn Fn(&Row) -> f64| v.iter().map(f).sum::<f64>() / v.len().max(1) as f64;
    let (top, rest) = by_share.split_at(tenth);
    let shown: Vec<String> = top.iter().take(12).map(|x| format!("{:.1}% (norm {:.1})", 100.0 * x.0, x.2)).collect();
    println!("the users scanned most for: {}", shown.join(", "));
    println!(
        "the tenth scanned most: {:.2}% of the catalogue, {:.1} never-interacted items per list, user vector norm \
         {:.3}; the rest: {:.2}%, {:.1}, {:.3}",
        100.0 * mean(top, &|x| x.0),
        mean(top, &|x| x.1 as f64),
        mean(top, &|x| x.2),
        100.0 * mean(rest, &|x| x.0),
        mean(rest, &|x| x.1 as f64),
        mean(rest, &|x| x.2),
    );
    let pct = |v: &mut Vec<f64>, q: f64| {
        v.sort_by(f64::total_cmp);
        v[((v.len() as f64 * q) as usize).min(v.len() - 1)]
    };
    let mean_share = shares.iter().sum::<f64>() / shares.len() as f64;
    println!(
        "pruned search against a full scan, {} users: identical lists {identical}; scores' relative error max {:.4}%, \
         p99 {:.4}%; share of the catalogue scored mean {:.2}%, p90 {:.2}%",
        shares.len(),
        100.0 * pct(&mut errors, 1.0),
        100.0 * pct(&mut errors, 0.99),
        100.0 * mean_share,
        100.0 * pct(&mut shares, 0.9),
    );
}

fn query(user: &str, exploration: Option<Exploration>) -> RecommendQuery<'_> {
    RecommendQuery {
        user_id: Some(user),
        item_id: None,
        num_results: 25,
        exclude: &|_| false,
        exclude_index: None,
        candidates: None,
        context: &[],
        exploration,
    }
}
