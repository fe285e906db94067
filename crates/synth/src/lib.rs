//! reko-synth: deterministic synthetic recommendation datasets.
//!
//! Generates the three datasets Amazon Personalize (and Reko) consume — users, items and
//! item interactions — as CSV files whose headers match the Avro schemas returned by
//! [`interactions_schema`], [`items_schema`] and [`users_schema`].
//!
//! The data is shaped so that recommenders have something to learn:
//! * item popularity follows a power law (Zipf with exponent [`SynthConfig::zipf_exponent`]);
//! * every user prefers 1–3 categories and draws [`SynthConfig::preference_strength`] of their
//!   interactions from them (so personalised recipes can beat popularity);
//! * user activity is heavy-tailed (log-normal, see [`Activity`]);
//! * optionally, the `DEVICE` of an interaction shifts which categories are picked
//!   ([`SynthConfig::context_effect`], see [`device_categories`]), so that a model using the
//!   context can beat one that ignores it;
//! * [`play_counts`]: the same pairs as one row each with a heavy-tailed play count as
//!   `EVENT_VALUE`, larger for the user's preferred categories (music and video exports);
//! * [`baskets`]: purchases in baskets of an item and its accessory (co-purchase data, what
//!   "frequently bought together" learns);
//! * three event types with decreasing frequency (`view` > `click` > `purchase`), an
//!   `EVENT_VALUE` engagement score in (0, 1], a `DEVICE` context column
//!   (`mobile`/`desktop`/`tablet`, mostly the user's primary device) and timestamps spread over
//!   [`SynthConfig::days`] days ending at [`SynthConfig::end_timestamp`].
//!
//! Everything is a pure function of the [`SynthConfig`] (including the seed): the same config
//! always yields byte-identical files, whatever the number of threads.
//!
//! Two ways to produce the files:
//! * [`write_dataset`] / [`generate`]: everything in memory, interactions sorted by time (the
//!   `reko demo` size);
//! * [`write_dataset_streaming`]: the large-scale path (e.g. [`SynthConfig::large`]: 1M users,
//!   100k items, 25M interactions). Rows are generated per user in fixed chunks of users on the
//!   rayon pool and streamed to the CSV in chunk order, so memory stays at a few tens of MB on top
//!   of the users and items; the file is grouped by user (in id order) and sorted by time within a
//!   user. `cargo run --release -p reko-synth --example generate -- --help` is its CLI.
//!
//! ```no_run
//! let dir = std::path::Path::new("/tmp/synth");
//! std::fs::create_dir_all(dir).unwrap();
//! let files = reko_synth::write_dataset(dir, &reko_synth::SynthConfig::default()).unwrap();
//! println!("{}", files.interactions.display());
//! ```

mod baskets;
mod generate;
mod play_counts;
mod sampler;
mod stream;
mod write;

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use baskets::{accessory_of, basket_item, baskets, BasketConfig, Baskets, Purchase};
pub use generate::{generate, user_interaction_counts};
pub use play_counts::{play_counts, write_play_counts, PlayCount};
pub use sampler::CdfSampler;
pub use stream::{write_dataset_streaming, write_interactions_streaming};
pub use write::{write_interactions, write_items, write_users};

/// Built-in category names (used in order; more categories get generated names).
pub const CATEGORIES: &[&str] = &[
    "electronics",
    "books",
    "fashion",
    "home",
    "sports",
    "toys",
    "beauty",
    "grocery",
    "garden",
    "music",
    "movies",
    "automotive",
    "health",
    "pets",
    "office",
    "outdoors",
];

/// Typical price of an item per built-in category (index-aligned with [`CATEGORIES`]).
const CATEGORY_BASE_PRICE: &[f64] =
    &[180.0, 15.0, 45.0, 60.0, 55.0, 25.0, 20.0, 8.0, 35.0, 12.0, 14.0, 90.0, 22.0, 18.0, 30.0, 70.0];

/// Event types in decreasing order of frequency.
pub const EVENT_TYPES: [&str; 3] = ["view", "click", "purchase"];
/// Values of the `DEVICE` context column.
pub const DEVICES: [&str; 3] = ["mobile", "desktop", "tablet"];
/// Values of the users' `AGE_GROUP` column.
pub const AGE_GROUPS: [&str; 6] = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"];
/// Values of the users' `MEMBERSHIP` column.
pub const MEMBERSHIPS: [&str; 3] = ["free", "silver", "gold"];

/// CSV header of the interactions file (matches [`interactions_schema`]).
pub const INTERACTIONS_HEADER: [&str; 6] = ["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "DEVICE", "TIMESTAMP"];
/// CSV header of the items file (matches [`items_schema`]).
pub const ITEMS_HEADER: [&str; 4] = ["ITEM_ID", "CATEGORY", "PRICE", "CREATION_TIMESTAMP"];
/// CSV header of the users file (matches [`users_schema`]).
pub const USERS_HEADER: [&str; 3] = ["USER_ID", "AGE_GROUP", "MEMBERSHIP"];

/// Parameters of a synthetic dataset. `Default` gives the `reko demo` size
/// (20k users, 5k items, 500k interactions).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SynthConfig {
    /// Number of users (ids `u1`..`uN`).
    pub users: usize,
    /// Number of items (ids `i1`..`iN`).
    pub items: usize,
    /// Number of interaction rows.
    pub interactions: usize,
    /// RNG seed; the output is a pure function of the whole config.
    pub seed: u64,
    /// Number of item categories (first ones from [`CATEGORIES`], then `category_N`).
    pub categories: usize,
    /// Zipf exponent of item popularity (weight of the item at popularity rank r is 1/r^s).
    pub zipf_exponent: f64,
    /// Probability that an interaction is drawn from one of the user's preferred categories.
    pub preference_strength: f64,
    /// Length of the interaction window in days.
    pub days: u32,
    /// End of the interaction window (epoch seconds, exclusive).
    pub end_timestamp: i64,
    /// Relative frequencies of `view`, `click`, `purchase`.
    pub event_mix: [f64; 3],
    /// How the number of interactions is spread over users.
    pub activity: Activity,
    /// Strength of the device context, in `0..=1` (0 = the device says nothing about the item).
    /// With probability `context_effect` an interaction's category is drawn uniformly from the
    /// categories of its `DEVICE` ([`device_categories`]) instead of from the user's preferences
    /// or global popularity (the item within the category still follows the Zipf popularity).
    pub context_effect: f64,
}

/// How interactions are spread over users. Both are heavy-tailed (log-normal).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// Every row draws its user independently with weight `exp(sigma·z_u)` (`z_u` standard
    /// normal), so per-user counts are a Poisson mixture of a log-normal and a user can end up
    /// with no interaction. The original demo algorithm (`sigma` 1.1 by default).
    Sampled { sigma: f64 },
    /// Each user's number of interactions is fixed up front: 1 plus a share of the rest
    /// proportional to `exp(sigma·z_u)`, summing exactly to `interactions` (see
    /// [`user_interaction_counts`]). No user has zero interactions when `interactions >= users`.
    LogNormal { sigma: f64 },
}

impl Activity {
    fn sigma(self) -> f64 {
        match self {
            Activity::Sampled { sigma } | Activity::LogNormal { sigma } => sigma,
        }
    }
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            users: 20_000,
            items: 5_000,
            interactions: 500_000,
            seed: 42,
            categories: 12,
            zipf_exponent: 1.0,
            preference_strength: 0.8,
            days: 90,
            // 2025-01-01T00:00:00Z
            end_timestamp: 1_735_689_600,
            event_mix: [0.75, 0.20, 0.05],
            activity: Activity::Sampled { sigma: 1.1 },
            context_effect: 0.0,
        }
    }
}

/// An invalid [`SynthConfig`].
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SynthError {
    #[error("`{0}` must be at least 1")]
    Zero(&'static str),
    #[error("`{field}` must be within {min}..={max}, got {value}")]
    OutOfRange { field: &'static str, min: f64, max: f64, value: f64 },
    #[error("`event_mix` must contain non-negative weights with a positive sum")]
    EventMix,
}

impl From<SynthError> for io::Error {
    fn from(e: SynthError) -> Self {
        io::Error::new(io::ErrorKind::InvalidInput, e)
    }
}

impl SynthConfig {
    /// Checks that the config can be generated.
    pub fn validate(&self) -> Result<(), SynthError> {
        for (name, v) in [
            ("users", self.users),
            ("items", self.items),
            ("categories", self.categories),
            ("days", self.days as usize),
        ] {
            if v == 0 {
                return Err(SynthError::Zero(name));
            }
        }
        let range = |field, value: f64, min, max| {
            if value.is_finite() && (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(SynthError::OutOfRange { field, min, max, value })
            }
        };
        range("zipf_exponent", self.zipf_exponent, 0.0, 5.0)?;
        range("preference_strength", self.preference_strength, 0.0, 1.0)?;
        range("context_effect", self.context_effect, 0.0, 1.0)?;
        range("activity.sigma", self.activity.sigma(), 0.0, 4.0)?;
        if self.event_mix.iter().any(|w| !w.is_finite() || *w < 0.0) || self.event_mix.iter().sum::<f64>() <= 0.0 {
            return Err(SynthError::EventMix);
        }
        Ok(())
    }

    /// The large-scale benchmark dataset: 1M users, 100k items, 25M interactions, per-user
    /// log-normal activity (`sigma` 1.0), no context effect; other fields as in `Default`.
    pub fn large() -> Self {
        SynthConfig {
            users: 1_000_000,
            items: 100_000,
            interactions: 25_000_000,
            activity: Activity::LogNormal { sigma: 1.0 },
            ..SynthConfig::default()
        }
    }

    /// First second of the interaction window.
    pub fn start_timestamp(&self) -> i64 {
        self.end_timestamp - i64::from(self.days) * 86_400
    }
}

/// Name of category `k` (built-in names first, then `category_<k>`).
pub fn category_name(k: usize) -> String {
    CATEGORIES.get(k).map(|s| s.to_string()).unwrap_or_else(|| format!("category_{k}"))
}

/// The categories that device `device` (index into [`DEVICES`]) favours when
/// [`SynthConfig::context_effect`] is positive: every category `k < categories` with
/// `k % DEVICES.len() == device` (with the built-in names, mobile gets electronics, home, beauty,
/// music, ...; desktop books, sports, grocery, movies, ...; tablet fashion, toys, garden, ...).
pub fn device_categories(categories: usize, device: usize) -> Vec<u16> {
    (0..categories).filter(|k| k % DEVICES.len() == device).map(|k| k as u16).collect()
}

fn category_base_price(k: usize) -> f64 {
    CATEGORY_BASE_PRICE.get(k).copied().unwrap_or(30.0)
}

/// A generated user. Index `i` has id `u{i+1}`.
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub age_group: u8,
    pub membership: u8,
    /// Primary device (index into [`DEVICES`]).
    pub device: u8,
    /// Preferred categories, most preferred first (1–3 entries).
    pub preferred: Vec<u16>,
}

/// A generated item. Index `i` has id `i{i+1}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub category: u16,
    pub price: f64,
    pub creation_timestamp: i64,
    /// 0-based popularity rank used for the Zipf weight (0 = most popular).
    pub popularity_rank: u32,
}

/// One interaction row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interaction {
    pub user: u32,
    pub item: u32,
    /// Index into [`EVENT_TYPES`].
    pub event_type: u8,
    /// Engagement score in (0, 1], two decimals.
    pub event_value: f32,
    /// Index into [`DEVICES`].
    pub device: u8,
    pub timestamp: i64,
}

/// A whole generated dataset, in memory. Interactions are sorted by timestamp.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthDataset {
    pub users: Vec<User>,
    pub items: Vec<Item>,
    pub interactions: Vec<Interaction>,
}

/// The id string of user index `i` (`u1`, `u2`, ...).
pub fn user_id(i: usize) -> String {
    format!("u{}", i + 1)
}

/// The id string of item index `i` (`i1`, `i2`, ...).
pub fn item_id(i: usize) -> String {
    format!("i{}", i + 1)
}

/// Paths of the CSV files written by [`write_dataset`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynthFiles {
    pub interactions: PathBuf,
    pub items: PathBuf,
    pub users: PathBuf,
}

/// File names used by [`write_dataset`].
pub const INTERACTIONS_FILE: &str = "interactions.csv";
pub const ITEMS_FILE: &str = "items.csv";
pub const USERS_FILE: &str = "users.csv";

/// Generates the dataset described by `cfg` and writes `interactions.csv`, `items.csv` and
/// `users.csv` (with headers) into `dir`, which must exist. Returns absolute paths when `dir`
/// is absolute.
pub fn write_dataset(dir: &Path, cfg: &SynthConfig) -> io::Result<SynthFiles> {
    let data = generate(cfg)?;
    let files = SynthFiles {
        interactions: dir.join(INTERACTIONS_FILE),
        items: dir.join(ITEMS_FILE),
        users: dir.join(USERS_FILE),
    };
    write_interactions(&files.interactions, &data.interactions)?;
    write_items(&files.items, &data.items)?;
    write_users(&files.users, &data.users)?;
    Ok(files)
}

/// Avro schema of the interactions CSV (`USER_ID, ITEM_ID, EVENT_TYPE, EVENT_VALUE, DEVICE, TIMESTAMP`).
pub fn interactions_schema() -> &'static str {
    r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]},{"name":"DEVICE","type":["null","string"],"categorical":true},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#
}

/// Avro schema of the items CSV (`ITEM_ID, CATEGORY, PRICE, CREATION_TIMESTAMP`).
pub fn items_schema() -> &'static str {
    r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"CATEGORY","type":"string","categorical":true},{"name":"PRICE","type":"float"},{"name":"CREATION_TIMESTAMP","type":"long"}],"version":"1.0"}"#
}

/// Avro schema of the users CSV (`USER_ID, AGE_GROUP, MEMBERSHIP`).
pub fn users_schema() -> &'static str {
    r#"{"type":"record","name":"Users","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"AGE_GROUP","type":"string","categorical":true},{"name":"MEMBERSHIP","type":"string","categorical":true}],"version":"1.0"}"#
}

#[derive(Deserialize)]
struct ItemCategoryRow {
    #[serde(rename = "ITEM_ID")]
    item_id: String,
    #[serde(rename = "CATEGORY")]
    category: String,
}

/// Reads an items CSV (with `ITEM_ID` and `CATEGORY` columns) into `item id → category`.
pub fn load_item_categories(path: &Path) -> io::Result<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).map_err(csv_to_io)?;
    let mut out = HashMap::new();
    for row in reader.deserialize::<ItemCategoryRow>() {
        let row = row.map_err(csv_to_io)?;
        out.insert(row.item_id, row.category);
    }
    Ok(out)
}

fn csv_to_io(e: csv::Error) -> io::Error {
    if e.is_io_error() {
        match e.into_kind() {
            csv::ErrorKind::Io(e) => e,
            _ => unreachable!(),
        }
    } else {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

#[cfg(test)]
mod tests;
