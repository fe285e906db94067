//! MovieLens 100K (GroupLens' `ml-100k` folder): the one reader of its ratings (`u.data`),
//! films (`u.item`, with the one genre list [`GENRES`]) and users (`u.user`) that the tests
//! and benchmarks of every crate share. The data set is never committed: tests find it through
//! the folder `REKO_ML100K_DIR` names ([`dir_from_env`]) and skip without it.

use std::path::{Path, PathBuf};

/// The environment variable naming a MovieLens 100K folder.
pub const DIR_ENV: &str = "REKO_ML100K_DIR";

/// The genres of `u.item`'s 19 flags, in flag order (the names of `u.genre`).
pub const GENRES: [&str; 19] = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
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

/// Why a MovieLens file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MovieLensError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Io { file: PathBuf, source: std::io::Error },
    /// A line does not have the file's layout.
    #[error("{file}:{line}: {message}")]
    Malformed { file: PathBuf, line: usize, message: String },
}

/// One line of `u.data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    pub user_id: String,
    pub item_id: String,
    /// 1 to 5 stars.
    pub rating: u8,
    /// Epoch seconds.
    pub timestamp: i64,
}

/// One line of `u.item`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movie {
    pub item_id: String,
    pub title: String,
    /// As written, e.g. `01-Jan-1995`; empty for a few films.
    pub release_date: String,
    /// The genres whose flag is set, in [`GENRES`] order.
    pub genres: Vec<&'static str>,
}

impl Movie {
    /// The release year (`None` without a release date).
    pub fn release_year(&self) -> Option<i32> {
        self.release_date.rsplit('-').next().and_then(|y| y.parse().ok())
    }

    /// The release date as epoch seconds (midnight UTC; `None` without one).
    pub fn release_timestamp(&self) -> Option<i64> {
        let mut parts = self.release_date.split('-');
        let day: i64 = parts.next()?.parse().ok()?;
        let month = parts.next()?;
        let month = MONTHS.iter().position(|&m| m == month)? as u32 + 1;
        let year: i64 = parts.next()?.parse().ok()?;
        Some(reko_api::calendar::days_from_civil(year, month, u32::try_from(day).ok()?) * 86_400)
    }
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// One line of `u.user`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub user_id: String,
    pub age: u32,
    /// `M` or `F`.
    pub gender: String,
    pub occupation: String,
    pub zip_code: String,
}

/// The folder [`DIR_ENV`] names, when it holds a `u.data`. `None`, after printing a `SKIPPED`
/// line naming `what` (a test or benchmark), when the variable is unset or the folder holds no
/// MovieLens 100K.
pub fn dir_from_env(what: &str) -> Option<PathBuf> {
    match std::env::var_os(DIR_ENV).map(PathBuf::from) {
        Some(dir) if dir.join("u.data").is_file() => Some(dir),
        Some(dir) => {
            println!("SKIPPED {what}: {DIR_ENV}={} holds no MovieLens 100K u.data", dir.display());
            None
        }
        None => {
            println!("SKIPPED {what}: set {DIR_ENV} to a MovieLens 100K folder (.ci/run does)");
            None
        }
    }
}

/// The non-blank lines of a MovieLens file (Latin-1, as GroupLens ships them) split at `sep`,
/// each checked to have `fields` fields, with their line numbers.
fn records(path: &Path, sep: char, fields: usize) -> Result<Vec<(usize, Vec<String>)>, MovieLensError> {
    let bytes = std::fs::read(path).map_err(|source| MovieLensError::Io { file: path.to_path_buf(), source })?;
    let text: String = bytes.iter().map(|&c| c as char).collect();
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let f: Vec<String> = line.split(sep).map(str::to_string).collect();
        if f.len() != fields {
            return Err(MovieLensError::Malformed {
                file: path.to_path_buf(),
                line: n + 1,
                message: format!("{} fields, {fields} expected", f.len()),
            });
        }
        out.push((n + 1, f));
    }
    Ok(out)
}

fn parse<T: std::str::FromStr>(path: &Path, line: usize, what: &str, s: &str) -> Result<T, MovieLensError> {
    s.trim().parse().map_err(|_| MovieLensError::Malformed {
        file: path.to_path_buf(),
        line,
        message: format!("{what} {s:?} is not a number"),
    })
}

/// `u.data`: every rating, in file order.
pub fn read_ratings(dir: &Path) -> Result<Vec<Rating>, MovieLensError> {
    let path = dir.join("u.data");
    records(&path, '\t', 4)?
        .into_iter()
        .map(|(n, mut f)| {
            let rating = parse(&path, n, "rating", &f[2])?;
            let timestamp = parse(&path, n, "timestamp", &f[3])?;
            f.truncate(2);
            let item_id = f.pop().unwrap_or_default();
            let user_id = f.pop().unwrap_or_default();
            Ok(Rating { user_id, item_id, rating, timestamp })
        })
        .collect()
}

/// `u.item`: every film, in file order.
pub fn read_movies(dir: &Path) -> Result<Vec<Movie>, MovieLensError> {
    let path = dir.join("u.item");
    Ok(records(&path, '|', 5 + GENRES.len())?
        .into_iter()
        .map(|(_, f)| Movie {
            genres: GENRES.iter().zip(&f[5..]).filter(|(_, flag)| *flag == "1").map(|(g, _)| *g).collect(),
            item_id: f[0].clone(),
            title: f[1].clone(),
            release_date: f[2].clone(),
        })
        .collect())
}

/// `u.user`: every user, in file order.
pub fn read_users(dir: &Path) -> Result<Vec<User>, MovieLensError> {
    let path = dir.join("u.user");
    records(&path, '|', 5)?
        .into_iter()
        .map(|(n, f)| {
            Ok(User {
                age: parse(&path, n, "age", &f[1])?,
                user_id: f[0].clone(),
                gender: f[2].clone(),
                occupation: f[3].clone(),
                zip_code: f[4].clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_small_copy() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("u.data"), "196\t242\t3\t881250949\n\n186\t302\t5\t891717742\n").unwrap();
        let flags = |set: &[usize]| (0..19).map(|g| if set.contains(&g) { "|1" } else { "|0" }).collect::<String>();
        let items =
            format!("1|Toy Story (1995)|01-Jan-1995||url{}\n2|Caf\u{e9}|||url{}\n", flags(&[3, 4, 5]), flags(&[]));
        // Latin-1 on disk, as GroupLens ships it.
        let latin1: Vec<u8> = items.chars().map(|c| c as u32 as u8).collect();
        std::fs::write(dir.path().join("u.item"), latin1).unwrap();
        std::fs::write(dir.path().join("u.user"), "1|24|M|technician|85711\n").unwrap();

        let ratings = read_ratings(dir.path()).unwrap();
        assert_eq!(
            ratings[1],
            Rating { user_id: "186".into(), item_id: "302".into(), rating: 5, timestamp: 891_717_742 }
        );
        assert_eq!(ratings.len(), 2);
        let movies = read_movies(dir.path()).unwrap();
        assert_eq!(movies[0].genres, ["Animation", "Children's", "Comedy"]);
        assert_eq!(movies[0].release_year(), Some(1995));
        assert_eq!(movies[0].release_timestamp(), Some(788_918_400));
        assert_eq!(movies[1].title, "Café");
        assert!(movies[1].genres.is_empty() && movies[1].release_year().is_none());
        assert!(movies[1].release_timestamp().is_none());
        let users = read_users(dir.path()).unwrap();
        assert_eq!(users[0].age, 24);
        assert_eq!(users[0].occupation, "technician");

        std::fs::write(dir.path().join("u.user"), "1|24|M\n").unwrap();
        assert!(matches!(read_users(dir.path()), Err(MovieLensError::Malformed { line: 1, .. })));
        std::fs::write(dir.path().join("u.data"), "1\t2\tx\t3\n").unwrap();
        assert!(read_ratings(dir.path()).unwrap_err().to_string().contains("rating"));
        assert!(matches!(read_ratings(&dir.path().join("none")), Err(MovieLensError::Io { .. })));
        let epoch =
            Movie { item_id: String::new(), title: String::new(), release_date: "01-Jan-1970".into(), genres: vec![] };
        assert_eq!(epoch.release_timestamp(), Some(0));
    }

    /// The real data set, when `REKO_ML100K_DIR` names it.
    #[test]
    fn reads_movielens_100k() {
        let Some(dir) = dir_from_env("reads_movielens_100k") else { return };
        assert_eq!(read_ratings(&dir).unwrap().len(), 100_000);
        let movies = read_movies(&dir).unwrap();
        assert_eq!(movies.len(), 1682);
        assert!(movies.iter().all(|m| m.release_year().is_some() || m.release_date.is_empty()));
        assert_eq!(read_users(&dir).unwrap().len(), 943);
        let genre_file = std::fs::read_to_string(dir.join("u.genre")).unwrap();
        let names: Vec<&str> =
            genre_file.lines().filter_map(|l| l.split('|').next()).filter(|g| !g.is_empty()).collect();
        assert_eq!(names, GENRES);
    }
}
