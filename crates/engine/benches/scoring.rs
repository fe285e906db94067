//! Micro-benchmark of the serving kernels over a 100k × 64 item matrix, one thread:
//! exact `f32` scoring and the softmax normaliser.
//!
//! `cargo bench -p reko-engine --bench scoring` (`REKO_BENCH_ITEMS`, default 100,000).

use std::time::Instant;

use reko_engine::recipes::als::{scores, stride, sum_exp};

fn main() {
    let n: usize = std::env::var("REKO_BENCH_ITEMS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let k = 64;
    let s = stride(k);
    let mut x: u64 = 7;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        ((x >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.2
    };
    let y: Vec<f32> = (0..n * s).map(|i| if i % s < k { rnd() } else { 0.0 }).collect();
    let v: Vec<f32> = (0..s).map(|i| if i < k { rnd() * 10.0 } else { 0.0 }).collect();
    let mut exact = vec![0f32; n];
    let reps = 200;
    let time = |name: &str, f: &mut dyn FnMut()| {
        f();
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        println!("{name}: {:.1} µs", t.elapsed().as_secs_f64() * 1e6 / reps as f64);
    };
    time("f32 scores (exact)", &mut || scores(&y, &v, s, 10.0, &mut exact));
    let max = exact.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut z = 0.0;
    time("sum of exp, libm f64", &mut || z = exact.iter().map(|&l| ((l - max) as f64).exp()).sum::<f64>());
    let mut z2 = 0.0;
    time("sum of exp, polynomial", &mut || z2 = sum_exp(&exact, max));
    println!("normaliser relative difference {:.2e}", (z - z2).abs() / z);
}
