//! Benchmark: the engine's side of one GetRecommendations at catalogue scale, without HTTP: a
//! User-Personalization model over reko-synth data (`REKO_BENCH_USERS` 100,000 users,
//! `REKO_BENCH_ITEMS` 100,000 items, `REKO_BENCH_INTERACTIONS` 1,000,000; fixed hyperparameters,
//! no self-tuning), then `Model::recommend` for 1,000 known users cycled (numResults 25, the
//! user's own items not excluded), on one thread, with exploration off, at the campaign default
//! (weight 0.3) and at 0.9. Reports microseconds per request (mean of 5 passes, and the best).
//!
//! `cargo bench -p reko-engine --bench serving_path`

use std::time::Instant;

use reko_engine::recipes::user_personalization::fit;
use reko_engine::{Exploration, Model, RecommendQuery, TrainingConfig, TrainingDataBuilder};
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
    let training = b.build();
    let mut config = TrainingConfig::default();
    config.hyperparameters.insert("num_iterations".into(), "5".into());
    let t = Instant::now();
    let model = fit("aws-user-personalization", &training, &config);
    println!(
        "{} users, {} items, {} interactions; fit in {:.1?}",
        cfg.users,
        cfg.items,
        data.interactions.len(),
        t.elapsed()
    );
    let users: Vec<String> = (0..1000).map(user_id).collect();
    // The first request builds the serving indexes.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    pool.install(|| {
        let t = Instant::now();
        model.recommend(&query(&users[0], None));
        println!("first request (builds the cluster and exploration indexes): {:.1?}", t.elapsed());
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
}

fn query(user: &str, exploration: Option<Exploration>) -> RecommendQuery<'_> {
    RecommendQuery {
        user_id: Some(user),
        item_id: None,
        num_results: 25,
        exclude: &|_| false,
        exclude_index: None,
        context: &[],
        exploration,
    }
}
