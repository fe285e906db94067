//! Benchmark: User-Personalization (implicit ALS) training and fold-in.
//!
//! Run: `cargo bench -p reko-engine --bench als`
//!
//! * `REKO_BENCH_INTERACTIONS` (default 25M): interactions generated in-process (fast
//!   xorshift): `N / 25` users with log-normal activity, `clamp(N / 250, 1000, 100k)` items with
//!   Zipf(1.0) popularity, 3 event types, timestamps over 180 days.
//! * `REKO_BENCH_CSV`: read a CSV with a header naming USER_ID, ITEM_ID, TIMESTAMP (and optionally EVENT_TYPE) instead.
//! * `REKO_BENCH_THREADS` (default 2): rayon threads.
//! * `REKO_BENCH_SKIP_TRAIN=1`: skip the full `train()` (offline evaluation + final fit).
//! * `REKO_BENCH_SAME_WORK=1`: the fit's item half uses every user's history, as implicit does
//!   (by default it leaves out the longest 1%, and the bench says what share of the work that is).
//!
//! Reports seconds per ALS iteration (64 factors, 15 iterations, 3 CG steps), the whole
//! `train()` time including offline metrics, peak RSS (VmHWM) and fold-in latency p50/p99.

use std::time::{Duration, Instant};

use reko_engine::recipes::user_personalization;
use reko_engine::{train, TrainingConfig, TrainingData, TrainingDataBuilder};

fn vm_hwm() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "n/a".into())
}

/// CPU seconds (user + system) of this process so far.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 =
        f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0) + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-300);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

fn cdf(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    let mut v: Vec<f64> = weights
        .map(|w| {
            acc += w;
            acc
        })
        .collect();
    v.iter_mut().for_each(|x| *x /= acc);
    v
}

fn sample(cdf: &[f64], u: f64) -> usize {
    cdf.partition_point(|&c| c < u).min(cdf.len() - 1)
}

fn generate(n: usize) -> TrainingData {
    let num_users = (n / 25).max(100);
    let num_items = (n / 250).clamp(1000, 100_000);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let user_cdf = cdf((0..num_users).map(|_| (1.0 * rng.normal()).exp()));
    let item_cdf = cdf((0..num_items).map(|i| 1.0 / (i + 1) as f64));
    let users: Vec<String> = (0..num_users).map(|u| format!("user-{u:08}")).collect();
    let items: Vec<String> = (0..num_items).map(|i| format!("item-{i:07}")).collect();
    let types = ["view", "click", "purchase"];
    let mut b = TrainingDataBuilder::new();
    b.reserve(n);
    for _ in 0..n {
        let u = sample(&user_cdf, rng.unit());
        let i = sample(&item_cdf, rng.unit());
        let ts = 1_700_000_000 + (rng.next() % (180 * 86_400)) as i64;
        let t = types[(rng.next() % 100).min(99) as usize / 80 + usize::from(rng.next() % 20 == 0)];
        b.push_interaction(&users[u], &items[i], ts, Some(t), None);
    }
    b.build()
}

fn read_csv(path: &str) -> TrainingData {
    let text = std::fs::read_to_string(path).expect("REKO_BENCH_CSV readable");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (Some(user), Some(item), Some(time)) = (col("USER_ID"), col("ITEM_ID"), col("TIMESTAMP")) else {
        panic!("{path}: the header needs USER_ID, ITEM_ID and TIMESTAMP");
    };
    let event_type = col("EVENT_TYPE");
    let mut b = TrainingDataBuilder::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let (Some(u), Some(i), Some(Ok(ts))) = (f.get(user), f.get(item), f.get(time).map(|t| t.parse::<i64>())) else {
            continue;
        };
        b.push_interaction(u, i, ts, event_type.and_then(|e| f.get(e).copied()), None);
    }
    b.build()
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let threads: usize = std::env::var("REKO_BENCH_THREADS").ok().and_then(|s| s.parse().ok()).unwrap_or(2);
    rayon::ThreadPoolBuilder::new().num_threads(threads).build_global().unwrap();
    let n: usize = std::env::var("REKO_BENCH_INTERACTIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(25_000_000);
    let t = Instant::now();
    let data = match std::env::var("REKO_BENCH_CSV") {
        Ok(p) => read_csv(&p),
        Err(_) => generate(n),
    };
    println!(
        "snapshot: {} interactions, {} users, {} items in {:.2?}; {threads} threads; VmHWM {}",
        data.num_interactions(),
        data.num_users(),
        data.num_items(),
        t.elapsed(),
        vm_hwm()
    );
    let mut config = TrainingConfig::default();
    config.hyperparameters.insert("hidden_dimension".into(), "64".into());
    config.hyperparameters.insert("num_iterations".into(), "15".into());
    config.hyperparameters.insert("cg_steps".into(), "3".into());
    // By default the item half leaves out the longest 1% of user histories (Personalize's
    // max_user_history_length_percentile 0.99); implicit has no such rule.
    if std::env::var_os("REKO_BENCH_SAME_WORK").is_some() {
        config.hyperparameters.insert("max_user_history_length_percentile".into(), "1".into());
        println!("same work as implicit: every user's history shapes the item factors");
    } else {
        let mut lens: Vec<usize> = (0..data.num_users() as u32).map(|u| data.user_len(u)).filter(|&l| l > 0).collect();
        lens.sort_unstable();
        let cut = lens[((lens.len() - 1) as f64 * 0.99).round() as usize];
        let left_out: usize = lens.iter().filter(|&&l| l > cut).sum();
        println!(
            "the item half leaves out users with more than {cut} interactions (the longest 1%): {:.1}% of the interactions \
             (REKO_BENCH_SAME_WORK=1 keeps them, as implicit does)",
            100.0 * left_out as f64 / data.num_interactions() as f64
        );
    }

    let c0 = cpu_secs();
    let t = Instant::now();
    let (model, timings) = user_personalization::fit_timed("aws-user-personalization", &data, &config);
    let total = t.elapsed();
    let iters = &timings.iterations;
    let mean = iters.iter().sum::<Duration>().as_secs_f64() / iters.len().max(1) as f64;
    let min = iters.iter().min().copied().unwrap_or_default();
    let cpu = cpu_secs() - c0;
    println!(
        "fit CPU time {cpu:.1} s over {:.1} s wall (load average {})",
        total.as_secs_f64(),
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );
    println!(
        "fit: {total:.2?} (prepare {:.2?}, {} iterations: mean {mean:.3} s/iteration, min {min:.2?}, finish {:.2?}); VmHWM {}",
        timings.prepare,
        iters.len(),
        timings.finish,
        vm_hwm()
    );

    // Fold-in latency: histories of 5..200 events of random known items.
    let mut rng = Rng(7);
    let mut lat = Vec::new();
    let item_ids: Vec<&str> = data.items().iter().collect();
    for r in 0..2000 {
        let len = 5 + (rng.next() % 196) as usize;
        let hist: Vec<(&str, f32, i64)> = (0..len)
            .map(|j| (item_ids[(rng.next() % item_ids.len() as u64) as usize], 1.0, 1_700_000_000 + j as i64))
            .collect();
        let t = Instant::now();
        let v = model.fold_in(&hist);
        lat.push(t.elapsed());
        assert_eq!(v.len(), 64, "{r}");
    }
    lat.sort();
    println!("fold-in (64 factors, 5-200 events): p50 {:.1?}, p99 {:.1?}", pct(&lat, 0.5), pct(&lat, 0.99));
    let mut rec = Vec::new();
    for _ in 0..200 {
        let v = model.fold_in(&[(item_ids[(rng.next() % item_ids.len() as u64) as usize], 1.0, 0)]);
        let t = Instant::now();
        let q = reko_engine::RecommendQuery {
            user_id: None,
            item_id: None,
            num_results: 25,
            exclude: &|_| false,
            exclude_index: None,
            candidates: None,
            context: &[],
            exploration: None,
        };
        let mut padded = v.clone();
        padded.resize(64, 0.0);
        let out = model.recommend_for_vector(Some(&padded), &q, &[]);
        rec.push(t.elapsed());
        assert_eq!(out.len(), 25);
    }
    rec.sort();
    println!(
        "recommend_for_vector (top 25 of {} items): p50 {:.2?}, p99 {:.2?}",
        data.num_items(),
        pct(&rec, 0.5),
        pct(&rec, 0.99)
    );
    drop(model);

    if std::env::var("REKO_BENCH_SKIP_TRAIN").is_ok_and(|v| v == "1") {
        return;
    }
    let t = Instant::now();
    let mut last: Option<(&str, Instant)> = None;
    let sol = train("aws-user-personalization", &data, &config, &mut |p| {
        if last.is_none_or(|(stage, _)| stage != p.stage) {
            if let Some((stage, at)) = last {
                println!("  train() stage {stage}: {:.1?}", at.elapsed());
            }
            last = Some((p.stage, Instant::now()));
        }
    })
    .unwrap();
    if let Some((stage, at)) = last {
        println!("  train() stage {stage}: {:.1?}", at.elapsed());
    }
    println!(
        "train() (evaluation fit + metrics + final fit + encode): {:.2?}; artifact {} MB; VmHWM {}",
        t.elapsed(),
        sol.artifact.payload.len() >> 20,
        vm_hwm()
    );
    println!("metrics: {:?}", sol.metrics);
}
