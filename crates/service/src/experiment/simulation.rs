//! Validation by simulation: simulated users with known conversion rates per arm, run through
//! the experiment's plan (the sample-size calculator), tests and decision rule. Used by the fast
//! test below and by `examples/experiment_simulation.rs` (the figures in BENCHMARKS.md).

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::results::{decide, ArmCounts};
use super::stats;

#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// The control's conversion rate.
    pub baseline: f64,
    /// The treatment's true relative lift (0: an A/A run).
    pub true_lift: f64,
    /// The lift the experiment is planned to find.
    pub planned_lift: f64,
    pub alpha: f64,
    pub power: f64,
    pub runs: usize,
    /// Looks of the sequential test (and of naive peeking) up to the planned size.
    pub looks: u64,
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub planned_users_per_arm: u64,
    /// Share of runs where the fixed-horizon test declared a winner (the treatment, when the
    /// lift is positive; any arm in an A/A run).
    pub fixed_horizon: f64,
    /// The same for the mSPRT, looked at `looks` times, stopping at the first decision.
    pub sequential: f64,
    /// The same for a z-test looked at `looks` times, stopping at the first p < alpha: what
    /// peeking at a fixed-horizon test does.
    pub naive_peeking: f64,
    /// Mean users per arm the sequential test used (it stops early when it decides).
    pub sequential_mean_users: f64,
}

pub fn simulate(s: &Scenario) -> Outcome {
    let planned = stats::sample_size_per_arm(s.baseline, s.planned_lift, s.alpha, s.power);
    let rates = [s.baseline, s.baseline * (1.0 + s.true_lift)];
    let names = ["control".to_string(), "treatment".to_string()];
    let tau2 = (s.baseline * s.planned_lift).powi(2);
    let found = |winner: Option<&String>| match winner {
        Some(w) if s.true_lift > 0.0 => w == "treatment",
        Some(_) => s.true_lift == 0.0,
        None => false,
    };
    let mut rng = SmallRng::seed_from_u64(s.seed);
    let (mut fixed, mut sequential, mut peeking, mut used) = (0usize, 0usize, 0usize, 0u64);
    let step = planned.div_ceil(s.looks.max(1));
    for _ in 0..s.runs {
        let mut conv = [0u64; 2];
        let (mut n, mut msprt_p) = (0u64, 1.0);
        let (mut seq_done, mut peek_done) = (false, false);
        while n < planned {
            let next = (n + step).min(planned);
            for (arm, rate) in rates.iter().enumerate() {
                conv[arm] += (n..next).filter(|_| rng.gen::<f64>() < *rate).count() as u64;
            }
            n = next;
            let counts = [ArmCounts { users: n, converters: conv[0] }, ArmCounts { users: n, converters: conv[1] }];
            msprt_p = stats::msprt_look(msprt_p, conv[0], n, conv[1], n, tau2);
            if !seq_done {
                let d = decide("SEQUENTIAL", s.alpha, planned, &counts, &[msprt_p], &names, false);
                if d.state != "COLLECTING" {
                    seq_done = true;
                    used += n;
                    sequential += usize::from(found(d.winner.as_ref()));
                }
            }
            let z = stats::two_proportion_z_test(conv[0], n, conv[1], n, s.alpha).map_or(1.0, |t| t.p_value);
            if !peek_done && (z < s.alpha || n == planned) {
                peek_done = true;
                let d = decide("SEQUENTIAL", s.alpha, n, &counts, &[z], &names, false);
                peeking += usize::from(found(d.winner.as_ref()));
            }
            if n == planned {
                let d = decide("FIXED_HORIZON", s.alpha, planned, &counts, &[z], &names, false);
                fixed += usize::from(found(d.winner.as_ref()));
            }
        }
        if !seq_done {
            used += planned;
        }
    }
    let share = |k: usize| k as f64 / s.runs as f64;
    Outcome {
        planned_users_per_arm: planned,
        fixed_horizon: share(fixed),
        sequential: share(sequential),
        naive_peeking: share(peeking),
        sequential_mean_users: used as f64 / s.runs as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 10% relative lift on a 20% baseline, planned at 90% power (about 6 000 users per arm),
    /// 300 runs each way, seeded.
    fn scenario(true_lift: f64, seed: u64) -> Scenario {
        Scenario { baseline: 0.2, true_lift, planned_lift: 0.1, alpha: 0.05, power: 0.9, runs: 300, looks: 20, seed }
    }

    #[test]
    fn the_plan_finds_a_real_lift_and_rarely_a_false_one() {
        let ab = simulate(&scenario(0.1, 1));
        assert!(ab.fixed_horizon >= 0.8, "power at the planned size: {ab:?}");
        let aa = simulate(&scenario(0.0, 2));
        assert!(aa.fixed_horizon <= 0.05, "false positives of the fixed horizon: {aa:?}");
        assert!(aa.sequential <= 0.05, "false positives of the sequential test, looked at 20 times: {aa:?}");
        // Peeking at the z-test inflates them: what the sequential test is for.
        assert!(aa.naive_peeking > aa.sequential, "{aa:?}");
    }
}
