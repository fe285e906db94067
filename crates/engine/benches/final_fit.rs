//! The final fit of a training run: after the offline evaluation has fitted the model on the
//! evaluation split (99% of the interactions), the model of all the data starts from its item
//! factors. How many iterations does that warm start need to rank as well as a fit from scratch?
//! On a per-user temporal split (newest 20% held out, seen items excluded), NDCG@10 of: a fit from
//! scratch on the training part, and warm starts from the evaluation model with 1, 2 and 5
//! iterations (settings self-tuned on the training part, as `train()` does).
//!
//! `cargo bench -p reko-engine --bench final_fit` (deterministic; MovieLens 100K with
//! `REKO_ML100K_DIR`, plus reko-synth play counts and e-commerce events).

#[path = "../tests/common/mod.rs"]
mod common;

use reko_engine::evaluation::{
    evaluate_model, personalize_split, temporal_split, validation_split, TUNING_TEST_USERS, TUNING_USERS,
};
use reko_engine::recipes::user_personalization::{fit, fit_warm, self_tune};
use reko_engine::TrainingConfig;
use reko_synth::SynthConfig;

const RECIPE: &str = "aws-user-personalization";
const NDCG: &str = "normalized_discounted_cumulative_gain_at_10";

fn main() {
    let mut sets = common::quality_sets("final_fit bench");
    println!("| data | from scratch (15 iterations) | warm, 1 iteration | warm, 2 | warm, 5 |");
    println!("|---|---:|---:|---:|---:|");
    for (name, data) in &sets {
        let split = temporal_split(data, 0.2, 5);
        let mut config = TrainingConfig::default();
        config.hyperparameters.extend(self_tune(RECIPE, &split.train, &config).unwrap());
        let scratch = evaluate_model(&fit(RECIPE, &split.train, &config), &split)[NDCG];
        let evaluated = fit(RECIPE, &personalize_split(&split.train).train, &config);
        let warm: Vec<f64> = [1, 2, 5]
            .iter()
            .map(|&k| evaluate_model(&fit_warm(RECIPE, &evaluated, &split.train, &config, k), &split)[NDCG])
            .collect();
        let rel = |x: f64| format!("{x:.4} ({:+.1}%)", 100.0 * (x / scratch - 1.0));
        println!("| {name} | {scratch:.4} | {} | {} | {} |", rel(warm[0]), rel(warm[1]), rel(warm[2]));
    }
    if std::env::var("REKO_BENCH_EVAL_WARM").is_err() {
        return;
    }
    // The evaluation fit warm-started from the self-tuning's model of its user sample.
    let big =
        SynthConfig { users: 200_000, items: 100_000, interactions: 5_000_000, seed: 42, ..SynthConfig::default() };
    sets.push(("synthetic-5m", common::event_data(&big)));
    println!();
    println!("| data | evaluation fit from scratch (15) | from the tuning model, 5 | 8 | 10 |");
    println!("|---|---:|---:|---:|---:|");
    for (name, data) in &sets {
        let mut split = temporal_split(data, 0.2, 5);
        let step = split.test.len().div_ceil(5_000).max(1);
        split.test = split.test.into_iter().step_by(step).collect();
        let mut config = TrainingConfig::default();
        config.hyperparameters.extend(self_tune(RECIPE, &split.train, &config).unwrap());
        let sample = validation_split(&split.train, TUNING_USERS, TUNING_TEST_USERS);
        let mut tuning = config.clone();
        if sample.train.num_interactions() > 300_000 {
            tuning.hyperparameters.insert("num_iterations".into(), "5".into());
        }
        let t = std::time::Instant::now();
        let tuned = fit(RECIPE, &sample.train, &tuning);
        let tuned_secs = t.elapsed().as_secs_f64();
        let train = personalize_split(&split.train).train;
        let t = std::time::Instant::now();
        let scratch = evaluate_model(&fit(RECIPE, &train, &config), &split)[NDCG];
        let scratch_secs = t.elapsed().as_secs_f64();
        let rel = |x: f64| format!("{x:.4} ({:+.1}%)", 100.0 * (x / scratch - 1.0));
        let warm: Vec<String> = [5, 8, 10]
            .iter()
            .map(|&k| rel(evaluate_model(&fit_warm(RECIPE, &tuned, &train, &config, k), &split)[NDCG]))
            .collect();
        println!(
            "| {name} | {scratch:.4} ({scratch_secs:.1} s) | {} | {} | {} | (tuning-sample fit {tuned_secs:.1} s)",
            warm[0], warm[1], warm[2]
        );
    }
}
