//! MovieLens 100K converted to the CSV layout Personalize expects.

use reko_dataset::movielens;

use super::*;

// ---------------------------------------------------------------------------------------------
// MovieLens 100K
// ---------------------------------------------------------------------------------------------

/// MovieLens 100K, from the folder `REKO_ML100K_DIR` names (`.ci/run` points it at the MovieLens
/// copy beside the repository; the data set is never committed). `None`, after saying the test
/// skipped, when it is not set or holds no `u.data`.
pub fn ml100k_dir(test: &str) -> Option<PathBuf> {
    movielens::dir_from_env(test)
}

pub const ML_INTERACTIONS_SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":"float"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
pub const ML_ITEMS_SCHEMA: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRES","type":["null","string"],"categorical":true},{"name":"CREATION_TIMESTAMP","type":"long"}],"version":"1.0"}"#;
pub const ML_USERS_SCHEMA: &str = r#"{"type":"record","name":"Users","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"AGE","type":"int"},{"name":"GENDER","type":"string","categorical":true},{"name":"OCCUPATION","type":"string","categorical":true}],"version":"1.0"}"#;

/// The converted MovieLens files plus what the tests need to know about the data.
pub struct MovieLens {
    pub interactions: PathBuf,
    pub items: PathBuf,
    pub users: PathBuf,
    pub n_interactions: usize,
    pub n_items: usize,
    pub n_users: usize,
    /// item id → number of distinct users who rated it.
    pub popularity: HashMap<String, usize>,
    /// item id → number of distinct users who rated it 4 or more.
    pub popularity_4plus: HashMap<String, usize>,
}

impl MovieLens {
    /// Item ids by descending count (ties by id), from the given count table.
    pub fn ranked(counts: &HashMap<String, usize>) -> Vec<String> {
        let mut v: Vec<(&String, &usize)> = counts.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        v.into_iter().map(|(k, _)| k.clone()).collect()
    }
}

/// Converts MovieLens 100K (`u.data`, `u.item`, `u.user`, `u.genre`) into Personalize CSVs in
/// `out`; `None` (the test skips) without the data set, see [`ml100k_dir`].
pub fn convert_movielens(test: &str, out: &Path) -> Option<MovieLens> {
    let src = &ml100k_dir(test)?;
    std::fs::create_dir_all(out).unwrap();

    let interactions = out.join("interactions.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&interactions).unwrap());
    writeln!(w, "USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP").unwrap();
    let ratings = movielens::read_ratings(src).unwrap();
    let mut popularity: HashMap<String, usize> = HashMap::new();
    let mut popularity_4plus: HashMap<String, usize> = HashMap::new();
    for r in &ratings {
        writeln!(w, "{},{},rating,{},{}", r.user_id, r.item_id, r.rating, r.timestamp).unwrap();
        *popularity.entry(r.item_id.clone()).or_default() += 1;
        if r.rating >= 4 {
            *popularity_4plus.entry(r.item_id.clone()).or_default() += 1;
        }
    }
    w.flush().unwrap();
    let n_interactions = ratings.len();

    let items = out.join("items.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&items).unwrap());
    writeln!(w, "ITEM_ID,GENRES,CREATION_TIMESTAMP").unwrap();
    let movies = movielens::read_movies(src).unwrap();
    for m in &movies {
        let genres = if m.genres.is_empty() { "unknown".to_string() } else { m.genres.join("|") };
        // 1995-01-01 when the release date is missing.
        writeln!(w, "{},{},{}", m.item_id, genres, m.release_timestamp().unwrap_or(788_918_400)).unwrap();
    }
    w.flush().unwrap();
    let n_items = movies.len();

    let users = out.join("users.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&users).unwrap());
    writeln!(w, "USER_ID,AGE,GENDER,OCCUPATION").unwrap();
    let people = movielens::read_users(src).unwrap();
    for u in &people {
        writeln!(w, "{},{},{},{}", u.user_id, u.age, u.gender, u.occupation).unwrap();
    }
    w.flush().unwrap();
    let n_users = people.len();

    Some(MovieLens { interactions, items, users, n_interactions, n_items, n_users, popularity, popularity_4plus })
}
