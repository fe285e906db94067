//! MovieLens 100K converted to the CSV layout Personalize expects.

use super::*;

// ---------------------------------------------------------------------------------------------
// MovieLens 100K
// ---------------------------------------------------------------------------------------------

/// MovieLens 100K, from the folder `REKO_ML100K_DIR` names (`.ci/run` points it at
/// the MovieLens copy beside the repository; the data set is never committed). `None`, after saying the test
/// skipped, when it is not set or holds no `u.data`.
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

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `01-Jan-1995` → epoch seconds; `None` when empty or malformed.
fn parse_release_date(s: &str) -> Option<i64> {
    let mut parts = s.split('-');
    let d: i64 = parts.next()?.parse().ok()?;
    let m = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let y: i64 = parts.next()?.parse().ok()?;
    Some(days_from_civil(y, m, d) * 86_400)
}

/// Converts MovieLens 100K (`u.data`, `u.item`, `u.user`, `u.genre`) into Personalize CSVs in
/// `out`; `None` (the test skips) without the data set, see [`ml100k_dir`].
pub fn convert_movielens(test: &str, out: &Path) -> Option<MovieLens> {
    let src = &ml100k_dir(test)?;
    std::fs::create_dir_all(out).unwrap();

    // Interactions: u.data is "user \t item \t rating \t timestamp".
    let data = std::fs::read_to_string(src.join("u.data")).unwrap();
    let interactions = out.join("interactions.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&interactions).unwrap());
    writeln!(w, "USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP").unwrap();
    let mut n_interactions = 0;
    let mut popularity: HashMap<String, usize> = HashMap::new();
    let mut popularity_4plus: HashMap<String, usize> = HashMap::new();
    for line in data.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 4, "bad u.data line {line:?}");
        let rating: u32 = f[2].parse().unwrap();
        writeln!(w, "{},{},rating,{},{}", f[0], f[1], rating, f[3]).unwrap();
        n_interactions += 1;
        *popularity.entry(f[1].to_string()).or_default() += 1;
        if rating >= 4 {
            *popularity_4plus.entry(f[1].to_string()).or_default() += 1;
        }
    }
    w.flush().unwrap();

    // Genre names by flag index.
    let genre_text = String::from_utf8_lossy(&std::fs::read(src.join("u.genre")).unwrap()).into_owned();
    let mut genres: Vec<(usize, String)> = genre_text
        .lines()
        .filter_map(|l| {
            let (name, idx) = l.split_once('|')?;
            Some((idx.trim().parse().ok()?, name.to_string()))
        })
        .collect();
    genres.sort();
    let genres: Vec<String> = genres.into_iter().map(|(_, g)| g).collect();
    assert_eq!(genres.len(), 19);

    // Items: u.item is latin-1, "id|title|release|video release|url|19 flags".
    let item_bytes = std::fs::read(src.join("u.item")).unwrap();
    let item_text = String::from_utf8_lossy(&item_bytes);
    let items = out.join("items.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&items).unwrap());
    writeln!(w, "ITEM_ID,GENRES,CREATION_TIMESTAMP").unwrap();
    let mut n_items = 0;
    for line in item_text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('|').collect();
        assert_eq!(f.len(), 24, "bad u.item line {line:?}");
        let item_genres: Vec<&str> =
            f[5..].iter().zip(&genres).filter(|(flag, _)| **flag == "1").map(|(_, g)| g.as_str()).collect();
        let genres_field = if item_genres.is_empty() { "unknown".to_string() } else { item_genres.join("|") };
        // 1995-01-01 when the release date is missing.
        let created = parse_release_date(f[2]).unwrap_or(788_918_400);
        writeln!(w, "{},{},{}", f[0], genres_field, created).unwrap();
        n_items += 1;
    }
    w.flush().unwrap();

    // Users: u.user is "id|age|gender|occupation|zip".
    let user_text = String::from_utf8_lossy(&std::fs::read(src.join("u.user")).unwrap()).into_owned();
    let users = out.join("users.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&users).unwrap());
    writeln!(w, "USER_ID,AGE,GENDER,OCCUPATION").unwrap();
    let mut n_users = 0;
    for line in user_text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('|').collect();
        assert_eq!(f.len(), 5, "bad u.user line {line:?}");
        writeln!(w, "{},{},{},{}", f[0], f[1], f[2], f[3]).unwrap();
        n_users += 1;
    }
    w.flush().unwrap();

    Some(MovieLens { interactions, items, users, n_interactions, n_items, n_users, popularity, popularity_4plus })
}

#[test]
fn release_dates_parse() {
    assert_eq!(parse_release_date("01-Jan-1995"), Some(788_918_400));
    assert_eq!(parse_release_date("01-Jan-1970"), Some(0));
    assert_eq!(parse_release_date(""), None);
}
