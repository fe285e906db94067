//! Benchmark: aws-popularity-count on a synthetic 5M-interaction snapshot.
//!
//! Run: `cargo bench -p reko-engine --bench popularity`
//! (set REKO_BENCH_INTERACTIONS to change the size).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use reko_engine::{load_model, train, RecommendQuery, TrainingConfig, TrainingDataBuilder};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let n: usize = std::env::var("REKO_BENCH_INTERACTIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(5_000_000);
    let num_users = n / 20;
    let num_items = (n / 25).max(1000);
    let users: Vec<String> = (0..num_users).map(|u| format!("user-{u:08}")).collect();
    let items: Vec<String> = (0..num_items).map(|i| format!("item-{i:08}")).collect();
    let types = ["click", "view", "purchase"];
    let mut rng = SmallRng::seed_from_u64(42);

    let rows: Vec<(u32, u32, i64, u8, f32)> = (0..n)
        .map(|_| {
            let u = rng.gen_range(0..num_users) as u32;
            // Skewed item popularity (roughly power-law).
            let x: f64 = rng.gen();
            let i = (((x * x * x) * num_items as f64) as usize % num_items) as u32;
            let ts = 1_600_000_000 + rng.gen_range(0..31_536_000i64);
            (u, i, ts, rng.gen_range(0..3u8), rng.gen_range(0.0..5.0f32))
        })
        .collect();
    let t = Instant::now();
    let mut b = TrainingDataBuilder::new();
    b.reserve(n);
    for &(u, i, ts, ty, v) in &rows {
        b.push_interaction(&users[u as usize], &items[i as usize], ts, Some(types[ty as usize]), Some(v));
    }
    let push = t.elapsed();
    drop(rows);
    let t = Instant::now();
    let data = b.build();
    let build = t.elapsed();
    println!(
        "snapshot: {} interactions, {} users, {} items; push {:.2?}, build {:.2?}",
        data.num_interactions(),
        data.num_users(),
        data.num_items(),
        push,
        build
    );

    let t = Instant::now();
    let sol = train("aws-popularity-count", &data, &TrainingConfig::default(), &mut |_| {}).unwrap();
    println!("train (filter + evaluation + final fit + encode): {:.2?}", t.elapsed());
    println!("metrics: {:?}", sol.metrics);

    let dir = std::env::temp_dir().join(format!("reko-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model.rkm");
    let t = Instant::now();
    let sum = sol.artifact.write_to(&path).unwrap();
    let write = t.elapsed();
    let t = Instant::now();
    let artifact = reko_engine::read_artifact_verified(&path, &sum).unwrap();
    let model = load_model(&artifact).unwrap();
    println!("artifact: {} bytes, write {:.2?}, read+verify+load {:.2?}", artifact.payload.len(), write, t.elapsed());
    std::fs::remove_dir_all(&dir).ok();

    let excluded: HashSet<String> = model
        .recommend(&RecommendQuery {
            user_id: None,
            item_id: None,
            num_results: 100,
            exclude: &|_| false,
            exclude_index: None,
            candidates: None,
            context: &[],
            exploration: None,
        })
        .into_iter()
        .step_by(2)
        .map(|s| s.item_id)
        .collect();
    for (label, exclude) in [
        ("no filter", &(|_: &str| false) as &dyn Fn(&str) -> bool),
        ("50 of the top 100 excluded", &|i: &str| excluded.contains(i)),
    ] {
        let mut lat = Vec::with_capacity(10_000);
        for k in 0..10_000 {
            let user = &users[k % num_users];
            let t = Instant::now();
            let r = model.recommend(&RecommendQuery {
                user_id: Some(user),
                item_id: None,
                num_results: 25,
                exclude,
                exclude_index: None,
                candidates: None,
                context: &[],
                exploration: None,
            });
            lat.push(t.elapsed());
            assert_eq!(r.len(), 25);
        }
        lat.sort();
        println!(
            "recommend x10000 (25 results, {label}): p50 {:.2?}, p99 {:.2?}, max {:.2?}",
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            lat[lat.len() - 1]
        );
    }
}
