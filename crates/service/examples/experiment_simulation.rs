//! The experiment statistics' power and false-positive rate by simulation (BENCHMARKS.md,
//! "A/B experiments"): simulated users with known conversion rates per arm, planned by the
//! sample-size calculator, decided by the fixed-horizon z-test and by the mSPRT.
//!
//! `cargo run -p reko-service --example experiment_simulation -- [runs] [seed]`

use reko_service::experiment::simulation::{simulate, Scenario};

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(42);
    println!("runs per row: {runs}, seed {seed}; planned lift 10% relative, alpha 0.05, 20 looks");
    println!("| baseline | planned power | true lift | users/arm | fixed horizon | mSPRT (20 looks) | z-test peeked 20 times | mSPRT mean users/arm |");
    println!("|---|---|---|---|---|---|---|---|");
    for baseline in [0.05, 0.2] {
        for power in [0.8, 0.9] {
            for true_lift in [0.1, 0.0] {
                let s = Scenario {
                    baseline,
                    true_lift,
                    planned_lift: 0.1,
                    alpha: 0.05,
                    power,
                    runs,
                    looks: 20,
                    seed: seed
                        ^ ((baseline * 1000.0) as u64) << 8
                        ^ ((power * 10.0) as u64) << 4
                        ^ (true_lift * 10.0) as u64,
                };
                let o = simulate(&s);
                println!(
                    "| {baseline} | {power} | {} | {} | {:.1}% | {:.1}% | {:.1}% | {:.0} |",
                    if true_lift == 0.0 { "0 (A/A)".to_string() } else { format!("{:.0}%", true_lift * 100.0) },
                    o.planned_users_per_arm,
                    o.fixed_horizon * 100.0,
                    o.sequential * 100.0,
                    o.naive_peeking * 100.0,
                    o.sequential_mean_users
                );
            }
        }
    }
}
