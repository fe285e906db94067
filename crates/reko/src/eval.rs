//! `reko eval`: offline evaluation of recipes on a local interactions file, using the engine
//! directly (no server). Builds a training snapshot, applies the recipe's event filtering and
//! minimum-data check, cuts the chosen split, fits and prints the offline metrics
//! GetSolutionMetrics reports (see `reko_engine::evaluation`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use reko_dataset::movielens;
use reko_engine::evaluation::{self, Evaluation, Split, METRIC_KEYS};
use reko_engine::{TrainingConfig, TrainingData, TrainingDataBuilder};

/// Recipe used when `--recipe` is not given, if registered.
const PREFERRED_RECIPE: &str = "aws-user-personalization";
/// Fallback default recipe.
const FALLBACK_RECIPE: &str = "aws-popularity-count";

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitArg {
    /// Personalize's evaluation split (`reko_engine::evaluation::personalize_split`): 10% of users,
    /// newest 10% of their interactions held out.
    Personalize,
    /// Per user: newest 20% of the interactions held out; users with < 5 interactions train only.
    Temporal,
}

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["interactions", "movielens"])))]
pub struct EvalArgs {
    /// Interactions CSV with a header: USER_ID, ITEM_ID, TIMESTAMP required; EVENT_TYPE,
    /// EVENT_VALUE optional; any other column becomes a context token COL=value.
    #[arg(long, value_name = "FILE")]
    interactions: Option<PathBuf>,
    /// A MovieLens 100K folder: reads u.data (EVENT_TYPE "rating", EVENT_VALUE = rating) and
    /// u.item (genres → GENRE=…, release year → YEAR=…).
    #[arg(long, value_name = "DIR")]
    movielens: Option<PathBuf>,
    /// Items CSV with a header: ITEM_ID, optional CREATION_TIMESTAMP; any other column becomes
    /// item feature tokens COL=value (values split on '|').
    #[arg(long, value_name = "FILE")]
    items: Option<PathBuf>,
    /// Recipe name, or `all` for every registered recipe
    /// [default: aws-user-personalization if registered, else aws-popularity-count].
    #[arg(long)]
    recipe: Option<String>,
    /// Evaluation split.
    #[arg(long, value_enum, default_value_t = SplitArg::Personalize)]
    split: SplitArg,
    /// Algorithm hyperparameter `key=value` (repeatable).
    #[arg(long = "hyperparameter", value_name = "KEY=VALUE")]
    hyperparameters: Vec<String>,
    /// Train only on this event type (case-sensitive).
    #[arg(long)]
    event_type: Option<String>,
    /// Keep only events with EVENT_VALUE >= this threshold.
    #[arg(long)]
    event_value_threshold: Option<f64>,
    /// Print one JSON object per recipe instead of a table.
    #[arg(long)]
    json: bool,
}

/// Run `reko eval`.
pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    let recipes: Vec<&'static str> = match args.recipe.as_deref() {
        // Next-Best-Action learns from actions and action interactions, which eval does not read.
        Some("all") => reko_engine::recipes()
            .iter()
            .filter(|r| r.recipe_type != reko_engine::RecipeType::PersonalizedActions)
            .map(|r| r.name)
            .collect(),
        Some(name) => match reko_engine::recipe(name) {
            Some(r) if r.recipe_type == reko_engine::RecipeType::PersonalizedActions => {
                bail!("recipe '{name}' learns from Actions and Action interactions datasets, which reko eval does not read; train it through the API")
            }
            Some(r) => vec![r.name],
            None => bail!("unknown recipe '{name}'; registered: {}, or all", registered()),
        },
        None => vec![if reko_engine::recipe(PREFERRED_RECIPE).is_some() { PREFERRED_RECIPE } else { FALLBACK_RECIPE }],
    };
    let mut config = TrainingConfig {
        event_type: args.event_type.clone(),
        event_value_threshold: args.event_value_threshold,
        ..Default::default()
    };
    for kv in &args.hyperparameters {
        let (k, v) = kv.split_once('=').with_context(|| format!("--hyperparameter '{kv}': expected KEY=VALUE"))?;
        config.hyperparameters.insert(k.trim().to_string(), v.trim().to_string());
    }

    let (data, source) = load(&args)?;
    let segmentation = recipes
        .iter()
        .any(|r| reko_engine::recipe(r).is_some_and(|i| i.recipe_type == reko_engine::RecipeType::UserSegmentation));
    let columns: Vec<&str> = METRIC_KEYS
        .iter()
        .chain(evaluation::SEGMENT_METRIC_KEYS.iter().filter(|k| segmentation && !METRIC_KEYS.contains(k)))
        .copied()
        .collect();
    let split = match args.split {
        SplitArg::Personalize => Split::Personalize,
        SplitArg::Temporal => Split::TEMPORAL,
    };
    if !args.json {
        println!(
            "Data: {source}: {} interactions, {} users, {} items",
            data.num_interactions(),
            data.num_users(),
            data.num_items()
        );
        println!("Split: {}", describe(args.split));
        if segmentation {
            println!(
                "Segmentation recipes: their own split (newest 20% of each user's interactions held out); segments \
                 of the top 1% of users per item, users who already interacted left out"
            );
        }
        if !config.hyperparameters.is_empty() || config.event_type.is_some() || config.event_value_threshold.is_some() {
            println!(
                "Config: event type {}, event value threshold {}, hyperparameters {:?}",
                config.event_type.as_deref().unwrap_or("(any)"),
                config.event_value_threshold.map_or("(none)".to_string(), |t| t.to_string()),
                config.hyperparameters
            );
        }
        println!();
        let mut header = vec!["recipe", "test users", "fit s"];
        header.extend(&columns);
        println!("| {} |", header.join(" | "));
        println!("|---|{}", "---:|".repeat(header.len() - 1));
    }
    let mut failures = 0;
    for name in &recipes {
        let result = reko_engine::evaluate_recipe(name, &data, &config, split);
        if args.json {
            println!("{}", json_line(name, args.split, &result));
        } else {
            match &result {
                Ok(e) => {
                    println!("| {name} | {} | {:.2} | {} |", e.test_users, e.fit_seconds, cells(&columns, &e.metrics))
                }
                Err(err) => println!("| {name} | error: {err} |"),
            }
        }
        if let Err(err) = result {
            failures += 1;
            eprintln!("{name}: {err}");
        }
    }
    if failures > 0 {
        bail!("{failures} of {} recipe evaluations failed", recipes.len());
    }
    Ok(())
}

fn registered() -> String {
    reko_engine::recipes().iter().map(|r| r.name).collect::<Vec<_>>().join(", ")
}

fn describe(split: SplitArg) -> &'static str {
    match split {
        SplitArg::Personalize => {
            "personalize (10% of users by id hash; newest 10% of their interactions held out; \
             seen items excluded, full ranking)"
        }
        SplitArg::Temporal => {
            "temporal (newest 20% of each user's interactions held out; users with < 5 interactions \
             train only; seen items excluded, full ranking)"
        }
    }
}

/// The metric cells of a row; `-` where the recipe does not report the metric.
fn cells(columns: &[&str], metrics: &BTreeMap<String, f64>) -> String {
    columns
        .iter()
        .map(|k| metrics.get(*k).map_or("-".to_string(), |v| format!("{v:.4}")))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn json_line(name: &str, split: SplitArg, result: &Result<Evaluation, reko_engine::EngineError>) -> serde_json::Value {
    let split = match split {
        SplitArg::Personalize => "personalize",
        SplitArg::Temporal => "temporal",
    };
    match result {
        Ok(e) => serde_json::json!({
            "recipe": name,
            "split": split,
            "testUsers": e.test_users,
            "fitSeconds": e.fit_seconds,
            "metrics": e.metrics,
        }),
        Err(err) => serde_json::json!({ "recipe": name, "split": split, "error": err.to_string() }),
    }
}

/// Build the snapshot from the arguments; also returns a short description of the source.
fn load(args: &EvalArgs) -> anyhow::Result<(TrainingData, String)> {
    let mut b = TrainingDataBuilder::new();
    // Item features are collected first so that --items adds to MovieLens' own features.
    let mut features: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let source = if let Some(dir) = &args.movielens {
        read_movielens(dir, &mut b, &mut features)?;
        format!("MovieLens {}", dir.display())
    } else if let Some(path) = &args.interactions {
        read_interactions(path, &mut b)?;
        path.display().to_string()
    } else {
        bail!("give --interactions FILE or --movielens DIR");
    };
    if let Some(path) = &args.items {
        read_items(path, &mut b, &mut features)?;
    }
    for (item, tokens) in &features {
        let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
        b.push_item_features(item, &tokens);
    }
    let data = b.build();
    if data.num_interactions() == 0 {
        bail!("no interactions in {source}");
    }
    Ok((data, source))
}

fn csv_reader(path: &Path) -> anyhow::Result<(csv::Reader<std::fs::File>, Vec<String>)> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let header = r
        .headers()
        .with_context(|| format!("reading the header of {}", path.display()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    Ok((r, header))
}

fn column(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|h| h.eq_ignore_ascii_case(name))
}

fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    s.parse::<i64>().ok().or_else(|| s.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| f as i64))
}

fn read_interactions(path: &Path, b: &mut TrainingDataBuilder) -> anyhow::Result<()> {
    let (mut r, header) = csv_reader(path)?;
    let need = |name: &str| column(&header, name).with_context(|| format!("{}: no {name} column", path.display()));
    let (user, item, ts) = (need("USER_ID")?, need("ITEM_ID")?, need("TIMESTAMP")?);
    let etype = column(&header, "EVENT_TYPE");
    let evalue = column(&header, "EVENT_VALUE");
    let context: Vec<usize> =
        (0..header.len()).filter(|c| ![Some(user), Some(item), Some(ts), etype, evalue].contains(&Some(*c))).collect();
    let mut record = csv::StringRecord::new();
    let mut tokens: Vec<String> = Vec::new();
    let mut line = 1;
    while r.read_record(&mut record).with_context(|| format!("{}: reading line {}", path.display(), line + 1))? {
        line += 1;
        let field = |c: usize| record.get(c).unwrap_or("").trim();
        let (u, i) = (field(user), field(item));
        if u.is_empty() || i.is_empty() {
            bail!("{}:{line}: empty USER_ID or ITEM_ID", path.display());
        }
        let t = parse_timestamp(field(ts))
            .with_context(|| format!("{}:{line}: invalid TIMESTAMP '{}'", path.display(), field(ts)))?;
        let event_type = etype.map(field).filter(|s| !s.is_empty());
        let event_value = match evalue.map(field).filter(|s| !s.is_empty()) {
            None => None,
            Some(v) => Some(
                v.parse::<f32>().with_context(|| format!("{}:{line}: invalid EVENT_VALUE '{v}'", path.display()))?,
            ),
        };
        tokens.clear();
        for &c in &context {
            let v = field(c);
            if !v.is_empty() {
                tokens.push(format!("{}={v}", header[c]));
            }
        }
        let ctx: Vec<&str> = tokens.iter().map(String::as_str).collect();
        b.push_interaction_in_context(u, i, t, event_type, event_value, &ctx);
    }
    Ok(())
}

fn read_items(
    path: &Path,
    b: &mut TrainingDataBuilder,
    features: &mut BTreeMap<String, Vec<String>>,
) -> anyhow::Result<()> {
    let (mut r, header) = csv_reader(path)?;
    let item = column(&header, "ITEM_ID").with_context(|| format!("{}: no ITEM_ID column", path.display()))?;
    let created = column(&header, "CREATION_TIMESTAMP");
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    while r.read_record(&mut record).with_context(|| format!("{}: reading line {}", path.display(), line + 1))? {
        line += 1;
        let field = |c: usize| record.get(c).unwrap_or("").trim();
        let id = field(item);
        if id.is_empty() {
            bail!("{}:{line}: empty ITEM_ID", path.display());
        }
        b.push_item(id, created.and_then(|c| parse_timestamp(field(c))));
        let tokens = features.entry(id.to_string()).or_default();
        for c in (0..header.len()).filter(|&c| c != item && Some(c) != created) {
            for v in field(c).split('|').map(str::trim).filter(|v| !v.is_empty()) {
                tokens.push(format!("{}={v}", header[c]));
            }
        }
    }
    Ok(())
}

fn read_movielens(
    dir: &Path,
    b: &mut TrainingDataBuilder,
    features: &mut BTreeMap<String, Vec<String>>,
) -> anyhow::Result<()> {
    let ratings = movielens::read_ratings(dir)?;
    b.reserve(ratings.len());
    for r in &ratings {
        b.push_interaction(&r.user_id, &r.item_id, r.timestamp, Some("rating"), Some(f32::from(r.rating)));
    }
    if !dir.join("u.item").exists() {
        return Ok(());
    }
    for m in movielens::read_movies(dir)? {
        b.push_item(&m.item_id, None);
        let tokens = features.entry(m.item_id.clone()).or_default();
        if let Some(year) = m.release_year() {
            tokens.push(format!("YEAR={year}"));
        }
        tokens.extend(m.genres.iter().map(|g| format!("GENRE={g}")));
    }
    Ok(())
}
