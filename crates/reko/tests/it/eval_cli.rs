//! `reko eval` end to end: a generated CSV in a temp dir, and MovieLens 100K when present.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::ml100k_dir;

const METRIC_KEYS: [&str; 8] = [
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
];

fn reko_eval(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_reko")).arg("eval").args(args).output().expect("running reko eval")
}

fn stdout(o: &Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "reko eval failed: {}\nstdout:\n{out}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// 120 users × 20 interactions over 80 items with skewed popularity, two event types and a
/// context column; plus an items file with `|`-separated genres.
fn write_dataset(dir: &Path) -> (String, String) {
    let mut csv = String::from("USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,DEVICE\n");
    let mut state: u64 = 42;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    for u in 0..120 {
        for k in 0..20 {
            let item = (80.0 * next().powi(3)) as usize;
            let etype = if k % 3 == 0 { "purchase" } else { "click" };
            let device = if u % 2 == 0 { "mobile" } else { "desktop" };
            writeln!(
                csv,
                "user{u},item{item},{},{etype},{:.1},{device}",
                1_700_000_000 + u * 1000 + k * 10,
                next() * 5.0
            )
            .unwrap();
        }
    }
    let mut items = String::from("ITEM_ID,GENRES,CREATION_TIMESTAMP\n");
    for i in 0..90 {
        writeln!(items, "item{i},{}|g{},{}", if i % 2 == 0 { "even" } else { "odd" }, i % 5, 1_600_000_000 + i)
            .unwrap();
    }
    let (ip, tp) = (dir.join("interactions.csv"), dir.join("items.csv"));
    std::fs::write(&ip, csv).unwrap();
    std::fs::write(&tp, items).unwrap();
    (ip.to_str().unwrap().to_string(), tp.to_str().unwrap().to_string())
}

#[test]
fn eval_prints_the_metrics_of_a_csv() {
    let dir = tempfile::tempdir().unwrap();
    let (interactions, items) = write_dataset(dir.path());

    let out = stdout(&reko_eval(&[
        "--interactions",
        &interactions,
        "--items",
        &items,
        "--recipe",
        "aws-popularity-count",
        "--split",
        "temporal",
    ]));
    for key in METRIC_KEYS {
        assert!(out.contains(key), "{key} missing:\n{out}");
    }
    assert!(out.contains("test users") && out.contains("fit s"), "{out}");
    assert!(out.contains("2400 interactions, 120 users, 90 items"), "{out}");
    let row = out.lines().find(|l| l.starts_with("| aws-popularity-count |")).expect("a row for the recipe");
    let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
    assert_eq!(cells.len(), 3 + METRIC_KEYS.len(), "{row}");
    // Every user has 20 interactions, so all are test users unless their 4 newest items repeat
    // their history (skewed popularity makes repeats common).
    let test_users: usize = cells[1].parse().unwrap();
    assert!((60..=120).contains(&test_users), "{out}");

    // Every registered recipe, JSON lines, Personalize's split, with event filtering.
    let out =
        stdout(&reko_eval(&["--interactions", &interactions, "--recipe", "all", "--event-type", "click", "--json"]));
    let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(!lines.is_empty());
    let pop = lines.iter().find(|v| v["recipe"] == "aws-popularity-count").expect("popularity evaluated");
    assert_eq!(pop["split"], "personalize");
    // 10% of 120 users, less those whose held-out clicks all repeat their history.
    assert!((1..=12).contains(&pop["testUsers"].as_u64().unwrap()), "{pop}");
    for key in METRIC_KEYS {
        let v = pop["metrics"][key].as_f64().unwrap_or_else(|| panic!("{key} missing: {pop}"));
        assert!((0.0..=1.0).contains(&v), "{key} = {v}");
    }

    // Errors are reported, not swallowed.
    let o = reko_eval(&["--interactions", &interactions, "--recipe", "aws-nope"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown recipe"));
    // Next-Best-Action learns from datasets eval does not read: named, not evaluated on items.
    let o = reko_eval(&["--interactions", &interactions, "--recipe", "aws-next-best-action"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("Action interactions"), "{o:?}");
    assert!(lines.iter().all(|v| v["recipe"] != "aws-next-best-action"), "{out}");
    let o = reko_eval(&[
        "--interactions",
        &interactions,
        "--recipe",
        "aws-popularity-count",
        "--event-value-threshold",
        "4.9",
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("fewer than 1000 interactions"), "{o:?}");
}

#[test]
fn movielens_100k_popularity_temporal() {
    let Some(ml) = ml100k_dir("movielens_100k_popularity_temporal") else { return };
    let ml = ml.to_str().unwrap();
    let out =
        stdout(&reko_eval(&["--movielens", ml, "--recipe", "aws-popularity-count", "--split", "temporal", "--json"]));
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    eprintln!("MovieLens 100K, temporal split, popularity: {v}");
    assert_eq!(v["testUsers"], 943);
    let ndcg10 = v["metrics"]["normalized_discounted_cumulative_gain_at_10"].as_f64().unwrap();
    assert!((0.09..0.13).contains(&ndcg10), "NDCG@10 = {ndcg10}, expected about 0.111");
}
