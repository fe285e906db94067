//! Fit time and artifact size of aws-sims, aws-similar-items and aws-trending-now on synthetic
//! data: `cargo bench -p reko-engine --bench related_items` (REKO_BENCH_INTERACTIONS, default 5M).

use std::time::Instant;

use reko_engine::recipe::Recipe;
use reko_engine::{TrainingConfig, TrainingData, TrainingDataBuilder};

/// Power-law catalogue, users with interest clusters; `interactions` in total.
fn synthetic(users: usize, items: usize, interactions: usize) -> TrainingData {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::SmallRng::seed_from_u64(42);
    let mut b = TrainingDataBuilder::new();
    b.reserve(interactions);
    let per_user = interactions / users;
    let mut t = 0i64;
    let mut n = 0;
    let mut u = 0;
    while n < interactions {
        // History length: exponential around the mean, at least 2.
        let len = ((-(rng.gen::<f64>().max(1e-9)).ln() * per_user as f64) as usize).clamp(2, 5000);
        let cluster = rng.gen_range(0..items / 100);
        let uid = format!("u{}", u % users);
        for _ in 0..len.min(interactions - n) {
            let item = if rng.gen_bool(0.5) {
                // Popular items: power law over the catalogue.
                ((items as f64) * rng.gen::<f64>().powf(3.0)) as usize
            } else {
                cluster * 100 + rng.gen_range(0..100)
            };
            t += 1;
            b.push_interaction(&uid, &format!("i{item}"), t, None, None);
            n += 1;
        }
        u += 1;
    }
    b.build()
}

fn main() {
    let n: usize = std::env::var("REKO_BENCH_INTERACTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(5_000_000);
    let t = Instant::now();
    let data = synthetic(100_000, 100_000, n);
    eprintln!(
        "built {} interactions, {} users, {} items in {:?} ({} threads)",
        data.num_interactions(),
        data.num_users(),
        data.num_items(),
        t.elapsed(),
        rayon::current_num_threads()
    );
    let cfg = TrainingConfig::default();
    for r in [
        &reko_engine::recipes::sims::Sims as &dyn Recipe,
        &reko_engine::recipes::similar_items::SimilarItems,
        &reko_engine::recipes::trending_now::TrendingNow,
    ] {
        let t = Instant::now();
        let model = r.fit(&data, &cfg).unwrap();
        let fit = t.elapsed();
        let artifact = model.to_artifact();
        eprintln!("{}: fit {fit:?}, artifact {} bytes", r.info().name, artifact.payload.len());
    }
}
