//! Writes a large synthetic dataset (interactions.csv, items.csv, users.csv) with the streaming
//! generator of reko-synth.
//!
//! ```sh
//! cargo run --release -p reko-synth --example generate -- \
//!     --users 1000000 --items 100000 --interactions 25000000 --out DIR [--seed N] [--context-driven]
//! ```
//!
//! Defaults are `SynthConfig::large()` (1M users, 100k items, 25M interactions, per-user
//! log-normal activity with sigma 1.0). The output depends only on the options, never on the
//! number of threads (`RAYON_NUM_THREADS`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use reko_synth::{write_dataset_streaming, Activity, SynthConfig};

const USAGE: &str = "usage: generate --out DIR [--users N] [--items N] [--interactions N] [--seed N]
                [--categories N] [--sigma X] [--context-driven] [--context-effect X]

  --out DIR            folder to write interactions.csv, items.csv, users.csv into (created)
  --users N            number of users (default 1000000)
  --items N            number of items (default 100000)
  --interactions N     number of interaction rows (default 25000000)
  --seed N             RNG seed (default 42)
  --categories N       number of item categories (default 12)
  --sigma X            log-normal sigma of per-user activity (default 1.0)
  --context-driven     the DEVICE shifts the categories picked (context effect 0.5)
  --context-effect X   context effect strength in 0..=1 (default 0; 0.5 with --context-driven)";

fn parse() -> Result<(SynthConfig, PathBuf), String> {
    let mut cfg = SynthConfig::large();
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        if flag == "--context-driven" {
            cfg.context_effect = 0.5;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--out" => out = Some(PathBuf::from(&value)),
            "--users" => cfg.users = value.parse().map_err(|e| bad(&e))?,
            "--items" => cfg.items = value.parse().map_err(|e| bad(&e))?,
            "--interactions" => cfg.interactions = value.parse().map_err(|e| bad(&e))?,
            "--seed" => cfg.seed = value.parse().map_err(|e| bad(&e))?,
            "--categories" => cfg.categories = value.parse().map_err(|e| bad(&e))?,
            "--sigma" => cfg.activity = Activity::LogNormal { sigma: value.parse().map_err(|e| bad(&e))? },
            "--context-effect" => cfg.context_effect = value.parse().map_err(|e| bad(&e))?,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    let out = out.ok_or("--out is required")?;
    cfg.validate().map_err(|e| e.to_string())?;
    Ok((cfg, out))
}

fn main() -> ExitCode {
    let (cfg, out) = match parse() {
        Ok(x) => x,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("error: cannot create {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    let started = Instant::now();
    let files = match write_dataset_streaming(&out, &cfg) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    println!(
        "wrote {} interactions ({} bytes), {} items, {} users to {} in {seconds:.2} s \
         ({:.2} M rows/s, {} threads, seed {}, context_effect {})",
        cfg.interactions,
        size(&files.interactions),
        cfg.items,
        cfg.users,
        out.display(),
        cfg.interactions as f64 / seconds / 1e6,
        rayon_threads(),
        cfg.seed,
        cfg.context_effect,
    );
    ExitCode::SUCCESS
}

fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1))
}
