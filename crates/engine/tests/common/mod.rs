//! MovieLens 100K for the engine's quality tests.

use std::path::PathBuf;

use reko_engine::{TrainingData, TrainingDataBuilder};

/// The folder `REKO_ML100K_DIR` names (`.ci/run` points it at the MovieLens copy beside the
/// repository; the data set is never committed). `None`, after saying the test skipped, when it is not set or holds no
/// `u.data`.
pub fn ml100k_dir(test: &str) -> Option<PathBuf> {
    match std::env::var_os("REKO_ML100K_DIR").map(PathBuf::from) {
        Some(dir) if dir.join("u.data").is_file() => Some(dir),
        Some(dir) => {
            println!("SKIPPED {test}: REKO_ML100K_DIR={} holds no MovieLens 100K u.data", dir.display());
            None
        }
        None => {
            println!("SKIPPED {test}: set REKO_ML100K_DIR to a MovieLens 100K folder (.ci/run does)");
            None
        }
    }
}

#[allow(dead_code)]
pub const GENRES: [&str; 19] = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
];

/// MovieLens 100K as User-Personalization trains on it: ratings as `rating` events (value = the
/// rating), items with genre and 5-year release tokens, users with age, gender and occupation.
#[allow(dead_code)]
pub fn load_movielens(dir: &std::path::Path) -> TrainingData {
    let mut b = TrainingDataBuilder::new();
    let raw = std::fs::read_to_string(dir.join("u.data")).unwrap();
    for line in raw.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        b.push_interaction(f[0], f[1], f[3].parse().unwrap(), Some("rating"), f[2].parse().ok());
    }
    // Item metadata: genres and release year bucket (u.item is Latin-1).
    if let Ok(bytes) = std::fs::read(dir.join("u.item")) {
        let text: String = bytes.iter().map(|&c| c as char).collect();
        for line in text.lines() {
            let f: Vec<&str> = line.split('|').collect();
            if f.len() < 24 {
                continue;
            }
            let mut tokens: Vec<String> =
                (0..19).filter(|&g| f[5 + g] == "1").map(|g| format!("GENRES={}", GENRES[g])).collect();
            if let Some(year) = f[2].rsplit('-').next().and_then(|y| y.parse::<i32>().ok()) {
                tokens.push(format!("YEAR~{}", year / 5 * 5));
            }
            let t: Vec<&str> = tokens.iter().map(String::as_str).collect();
            b.push_item_features(f[0], &t);
        }
    }
    if let Ok(text) = std::fs::read_to_string(dir.join("u.user")) {
        for line in text.lines() {
            let f: Vec<&str> = line.split('|').collect();
            if f.len() < 5 {
                continue;
            }
            let age: i32 = f[1].parse().unwrap_or(0);
            let tokens = [format!("AGE~{}", age / 10 * 10), format!("GENDER={}", f[2]), format!("OCCUPATION={}", f[3])];
            let t: Vec<&str> = tokens.iter().map(String::as_str).collect();
            b.push_user_features(f[0], &t);
        }
    }
    b.build()
}

/// reko-synth's play counts as training data: `play` events whose EVENT_VALUE is the play count.
#[allow(dead_code)]
pub fn play_count_data(cfg: &reko_synth::SynthConfig) -> TrainingData {
    let mut b = TrainingDataBuilder::new();
    for r in reko_synth::play_counts(cfg).expect("play counts") {
        let (user, item) = (reko_synth::user_id(r.user as usize), reko_synth::item_id(r.item as usize));
        b.push_interaction(&user, &item, r.timestamp, Some("play"), Some(r.plays as f32));
    }
    b.build()
}

/// reko-synth's e-commerce events (view, click, purchase, with their values) as training data.
#[allow(dead_code)]
pub fn event_data(cfg: &reko_synth::SynthConfig) -> TrainingData {
    let mut b = TrainingDataBuilder::new();
    for r in reko_synth::generate(cfg).expect("synthetic").interactions {
        let (user, item) = (reko_synth::user_id(r.user as usize), reko_synth::item_id(r.item as usize));
        let event_type = reko_synth::EVENT_TYPES[r.event_type as usize];
        b.push_interaction(&user, &item, r.timestamp, Some(event_type), Some(r.event_value));
    }
    b.build()
}

/// The data sets the quality benches compare (self-tuning, final fit): MovieLens 100K when
/// `REKO_ML100K_DIR` names it, then play counts and e-commerce events of 20,000 users, 5,000
/// items and 500,000 rows.
#[allow(dead_code)]
pub fn quality_sets(bench: &str) -> Vec<(&'static str, TrainingData)> {
    let mut sets = Vec::new();
    if let Some(dir) = ml100k_dir(bench) {
        sets.push(("ml-100k", load_movielens(&dir)));
    }
    let cfg = reko_synth::SynthConfig {
        users: 20_000,
        items: 5_000,
        interactions: 500_000,
        ..reko_synth::SynthConfig::default()
    };
    sets.push(("play-counts", play_count_data(&cfg)));
    sets.push(("synthetic-events", event_data(&cfg)));
    sets
}
