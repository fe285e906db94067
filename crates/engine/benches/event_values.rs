//! How User-Personalization takes EVENT_VALUE, on play counts (reko-synth's `play_counts`: one
//! row per user-item pair, a heavy-tailed count larger for the user's preferred categories):
//! NDCG@10 on a per-user temporal split (newest 20% held out) with `event_value_scaling` none
//! (values ignored), linear, log, and the default (`auto`: what a training run chooses on a
//! validation split of the training part, as `train` does); each with the other settings left
//! to self-tuning, as a user who sets only the scaling gets them. MovieLens 100K ratings too when
//! `REKO_ML100K_DIR` names it, and reko-synth's e-commerce events (same users and items).
//!
//! `cargo bench -p reko-engine --bench event_values` (deterministic: same output every run).

#[path = "../tests/common/mod.rs"]
mod common;

use reko_engine::evaluation::{evaluate_model, temporal_split};
use reko_engine::recipes::user_personalization::{self_tune, ValueScaling};
use reko_engine::{TrainingConfig, TrainingData, TrainingDataBuilder};
use reko_synth::{item_id, play_counts, user_id, SynthConfig};

const RECIPE: &str = "aws-user-personalization";

fn main() {
    let cfg = SynthConfig { users: 20_000, items: 5_000, interactions: 500_000, ..SynthConfig::default() };
    let rows = play_counts(&cfg).expect("play counts");
    let mut b = TrainingDataBuilder::new();
    for r in &rows {
        b.push_interaction(
            &user_id(r.user as usize),
            &item_id(r.item as usize),
            r.timestamp,
            Some("play"),
            Some(r.plays as f32),
        );
    }
    let data = b.build();
    let mut plays: Vec<u32> = rows.iter().map(|r| r.plays).collect();
    plays.sort_unstable();
    println!(
        "## Play counts: {} users, {} items, {} user-item rows; plays median {}, 99th percentile {}, max {}",
        data.num_users(),
        data.num_items(),
        rows.len(),
        plays[plays.len() / 2],
        plays[plays.len() * 99 / 100],
        plays[plays.len() - 1]
    );
    compare(&data);
    println!();
    println!("## E-commerce events (reko-synth's default: view, click, purchase, EVENT_VALUE an engagement value)");
    compare(&common::event_data(&cfg));
    if let Some(dir) = reko_dataset::movielens::dir_from_env("event_values bench") {
        println!();
        println!("## MovieLens 100K (EVENT_VALUE = the rating, 1 to 5)");
        compare(&common::load_movielens(&dir));
    }
}

fn compare(data: &TrainingData) {
    let split = temporal_split(data, 0.2, 5);
    println!("| event_value_scaling | NDCG@10 | precision@10 | the rest, as self-tuning chose it |");
    println!("|---|---|---|---|");
    for (name, scaling) in ValueScaling::NAMES {
        // What a user gets with the setting fixed and everything else left to the training run.
        let mut c = TrainingConfig::default();
        if scaling != ValueScaling::Auto {
            c.hyperparameters.insert("event_value_scaling".into(), name.into());
        }
        let chosen = self_tune(RECIPE, &split.train, &c).unwrap();
        c.hyperparameters.extend(chosen.clone());
        let model = reko_engine::recipes::user_personalization::fit(RECIPE, &split.train, &c);
        let m = evaluate_model(&model, &split);
        let label = match chosen.get("event_value_scaling") {
            Some(auto) if scaling == ValueScaling::Auto => format!("auto (default; chose {auto})"),
            _ => name.to_string(),
        };
        let rest: Vec<String> =
            chosen.iter().filter(|(k, _)| *k != "event_value_scaling").map(|(k, v)| format!("{k}={v}")).collect();
        println!(
            "| {label} | {:.4} | {:.4} | {} |",
            m["normalized_discounted_cumulative_gain_at_10"],
            m["precision_at_10"],
            rest.join(", ")
        );
    }
}
