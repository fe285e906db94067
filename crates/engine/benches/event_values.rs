//! How User-Personalization takes EVENT_VALUE, on play counts (reko-synth's `play_counts`: one
//! row per user-item pair, a heavy-tailed count larger for the user's preferred categories):
//! NDCG@10 on a per-user temporal split (newest 20% held out) with `event_value_scaling` none
//! (values ignored), linear, log, and the default (`auto`: what a training run chooses on a
//! validation split of the training part, as `train` does). MovieLens 100K ratings too when
//! `REKO_ML100K_DIR` names it.
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
    if let Some(dir) = common::ml100k_dir("event_values bench") {
        println!();
        println!("## MovieLens 100K (EVENT_VALUE = the rating, 1 to 5)");
        compare(&common::load_movielens(&dir));
    }
}

fn compare(data: &TrainingData) {
    let split = temporal_split(data, 0.2, 5);
    println!("| event_value_scaling | NDCG@10 | precision@10 |");
    println!("|---|---|---|");
    let chosen = self_tune(RECIPE, &split.train, &TrainingConfig::default()).unwrap();
    let auto = chosen.get("event_value_scaling").cloned().unwrap_or_else(|| "none".into());
    for (name, scaling) in ValueScaling::NAMES {
        let setting = if scaling == ValueScaling::Auto { auto.as_str() } else { name };
        let mut c = TrainingConfig::default();
        c.hyperparameters.insert("event_value_scaling".into(), setting.into());
        let model = reko_engine::recipes::user_personalization::fit(RECIPE, &split.train, &c);
        let m = evaluate_model(&model, &split);
        let label =
            if scaling == ValueScaling::Auto { format!("auto (default; chose {auto})") } else { name.to_string() };
        println!("| {label} | {:.4} | {:.4} |", m["normalized_discounted_cumulative_gain_at_10"], m["precision_at_10"]);
    }
}
