//! Data sets of the engine's quality tests and benchmarks: MovieLens 100K (read by
//! [`reko_dataset::movielens`]) and reko-synth's synthetic sets.

use std::path::Path;

use reko_dataset::movielens;
use reko_engine::{TrainingData, TrainingDataBuilder};

/// MovieLens 100K as User-Personalization trains on it: ratings as `rating` events (value = the
/// rating), items with genre and 5-year release tokens, users with age, gender and occupation.
#[allow(dead_code)]
pub fn load_movielens(dir: &Path) -> TrainingData {
    let mut b = TrainingDataBuilder::new();
    for r in movielens::read_ratings(dir).expect("u.data") {
        b.push_interaction(&r.user_id, &r.item_id, r.timestamp, Some("rating"), Some(f32::from(r.rating)));
    }
    // Item metadata: genres and release year bucket.
    if let Ok(movies) = movielens::read_movies(dir) {
        for m in movies {
            let mut tokens: Vec<String> = m.genres.iter().map(|g| format!("GENRES={g}")).collect();
            if let Some(year) = m.release_year() {
                tokens.push(format!("YEAR~{}", year / 5 * 5));
            }
            let t: Vec<&str> = tokens.iter().map(String::as_str).collect();
            b.push_item_features(&m.item_id, &t);
        }
    }
    if let Ok(users) = movielens::read_users(dir) {
        for u in users {
            let tokens = [
                format!("AGE~{}", u.age / 10 * 10),
                format!("GENDER={}", u.gender),
                format!("OCCUPATION={}", u.occupation),
            ];
            let t: Vec<&str> = tokens.iter().map(String::as_str).collect();
            b.push_user_features(&u.user_id, &t);
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
    if let Some(dir) = movielens::dir_from_env(bench) {
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
