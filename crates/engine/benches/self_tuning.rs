//! Self-tuning against a grid search, on data nobody tuned for: User-Personalization's defaults
//! (what a training run chooses itself, `self_tune`, then fitted) against the best of a grid of
//! hand-set hyperparameters scored on the test part itself (an upper bound no user gets), on a
//! per-user temporal split (newest 20% held out, seen items excluded), NDCG@10. Data sets:
//! MovieLens 100K (`REKO_ML100K_DIR`), reko-synth play counts, and reko-synth's default
//! e-commerce events (view/click/purchase).
//!
//! With `REKO_PEERS_DIR` set, each split is also written there (`<set>/train.csv`,
//! `<set>/test.csv`) for `benchmarks/peers/run.sh` (tuned EASE and implicit ALS on the very same
//! split).
//!
//! `cargo bench -p reko-engine --bench self_tuning` (deterministic). `REKO_BENCH_SETS` (names,
//! comma-separated) keeps some data sets; `REKO_BENCH_GRID` replaces the grid (see [`grid`]).

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use reko_engine::evaluation::{evaluate_model, temporal_split, EvalSplit};
use reko_engine::recipes::user_personalization::{fit, self_tune};
use reko_engine::{TrainingConfig, TrainingData};

const RECIPE: &str = "aws-user-personalization";
const NDCG: &str = "normalized_discounted_cumulative_gain_at_10";

fn main() {
    let mut sets = common::quality_sets("self_tuning bench");

    println!("| data | defaults (self-tuned) | chose | grid best | chose | defaults / grid best | tuning + fit s |");
    println!("|---|---:|---|---:|---|---:|---:|");
    let only = std::env::var("REKO_BENCH_SETS").ok();
    sets.retain(|(name, _)| only.as_ref().is_none_or(|o| o.split(',').any(|s| s == *name)));
    for (name, data) in &sets {
        let split = temporal_split(data, 0.2, 5);
        if let Ok(dir) = std::env::var("REKO_PEERS_DIR") {
            write_split(&Path::new(&dir).join(name), data, &split);
        }
        let t = Instant::now();
        let chosen = self_tune(RECIPE, &split.train, &TrainingConfig::default()).unwrap();
        let mut config = TrainingConfig::default();
        config.hyperparameters.extend(chosen.clone());
        let default = evaluate_model(&fit(RECIPE, &split.train, &config), &split)[NDCG];
        let secs = t.elapsed().as_secs_f64();
        let (best, best_params) = grid(&split);
        println!(
            "| {name} | {default:.4} | {} | {best:.4} | {best_params} | {:.1}% | {secs:.1} |",
            describe(&chosen),
            100.0 * default / best
        );
    }
}

fn describe(p: &std::collections::BTreeMap<String, String>) -> String {
    p.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
}

/// The best NDCG@10 on the test part over a grid of factors × regularization × alpha, or over
/// `REKO_BENCH_GRID` (`name=v1,v2;name=v1,...`, every combination).
fn grid(split: &EvalSplit) -> (f64, String) {
    let axes: Vec<(String, Vec<String>)> = match std::env::var("REKO_BENCH_GRID") {
        Ok(spec) => spec
            .split(';')
            .filter(|a| !a.trim().is_empty())
            .map(|a| {
                let (name, values) = a.split_once('=').expect("REKO_BENCH_GRID: name=v1,v2;...");
                (name.trim().to_string(), values.split(',').map(|v| v.trim().to_string()).collect())
            })
            .collect(),
        Err(_) => [
            ("hidden_dimension", ["32", "64", "128"]),
            ("regularization", ["1", "10", "100"]),
            ("alpha", ["0.5", "2", "8"]),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.iter().map(|s| s.to_string()).collect()))
        .collect(),
    };
    let mut combos: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for (name, values) in &axes {
        combos = combos
            .into_iter()
            .flat_map(|c| values.iter().map(move |v| [c.clone(), vec![(name.clone(), v.clone())]].concat()))
            .collect();
    }
    let mut best = (f64::NEG_INFINITY, String::new());
    for combo in combos {
        let mut c = TrainingConfig::default();
        c.hyperparameters.extend(combo.iter().cloned());
        let ndcg = evaluate_model(&fit(RECIPE, &split.train, &c), split)[NDCG];
        let text = combo.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ");
        if std::env::var_os("REKO_BENCH_GRID").is_some() {
            eprintln!("  {text}: {ndcg:.4}");
        }
        if ndcg > best.0 {
            best = (ndcg, text);
        }
    }
    best
}

/// `train.csv` (the training part) and `test.csv` (each test user's relevant items).
fn write_split(dir: &Path, data: &TrainingData, split: &EvalSplit) {
    std::fs::create_dir_all(dir).unwrap();
    let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("train.csv")).unwrap());
    writeln!(w, "USER_ID,ITEM_ID,TIMESTAMP,EVENT_VALUE").unwrap();
    for (u, h) in split.train.iter_users() {
        for k in 0..h.len() {
            let v = h.event_values[k];
            let v = if v.is_nan() { String::new() } else { v.to_string() };
            writeln!(w, "{},{},{},{v}", data.user_id(u), data.item_id(h.items[k]), h.timestamps[k]).unwrap();
        }
    }
    let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("test.csv")).unwrap());
    writeln!(w, "USER_ID,ITEM_ID").unwrap();
    for t in &split.test {
        for &i in &t.relevant {
            writeln!(w, "{},{}", data.user_id(t.user), data.item_id(i)).unwrap();
        }
    }
}
