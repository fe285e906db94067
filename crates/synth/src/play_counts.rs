//! Play counts: one row per (user, item) pair with a heavy-tailed `EVENT_VALUE`, the way music
//! and video services export listening data (plays, seconds watched).
//!
//! The pairs are those of [`crate::generate`]. A pair's count is `ceil(intensity · affinity ·
//! pareto)`: the user's intensity is log-normal (median 2, σ 1.5: a few users play hundreds of times
//! what others do), the affinity is 4 for an item of one of the user's preferred categories and
//! 1 otherwise, and the Pareto factor (shape 0.9) gives every pair a heavy tail of its own. So
//! the counts carry the user's taste, buried under outliers: ignoring them loses the taste,
//! taking them linearly lets the outliers dominate.

use std::collections::HashMap;
use std::io;
use std::path::Path;

use rand::Rng;

use crate::generate::{generate, normal, stream};
use crate::{item_id, user_id, SynthConfig};

/// One (user, item) pair and how often the user played the item.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlayCount {
    pub user: u32,
    pub item: u32,
    /// At least 1.
    pub plays: u32,
    /// The pair's last interaction (epoch seconds).
    pub timestamp: i64,
}

/// Affinity of a pair whose item is in one of the user's preferred categories.
const PREFERRED_AFFINITY: f64 = 4.0;
/// Median of users' play intensity (plays of a non-preferred item before the Pareto factor).
const MEDIAN_INTENSITY: f64 = 2.0;
/// Log-normal σ of users' play intensity.
const INTENSITY_SIGMA: f64 = 1.5;
/// Pareto shape of a pair's count (below 1: not even the mean is finite, as with real play counts' outliers).
const PARETO_SHAPE: f64 = 0.9;

/// The play counts of the dataset `cfg` describes, ordered by timestamp.
pub fn play_counts(cfg: &SynthConfig) -> io::Result<Vec<PlayCount>> {
    let data = generate(cfg)?;
    let mut rng = stream(cfg, 3);
    let intensity: Vec<f64> =
        (0..data.users.len()).map(|_| MEDIAN_INTENSITY * (INTENSITY_SIGMA * normal(&mut rng)).exp()).collect();
    let mut last: HashMap<(u32, u32), i64> = HashMap::new();
    let mut order: Vec<(u32, u32)> = Vec::new();
    for row in &data.interactions {
        let key = (row.user, row.item);
        if last.insert(key, row.timestamp).is_none() {
            order.push(key);
        }
    }
    let mut rows: Vec<PlayCount> = order
        .into_iter()
        .map(|(user, item)| {
            let preferred = data.users[user as usize].preferred.contains(&data.items[item as usize].category);
            let affinity = if preferred { PREFERRED_AFFINITY } else { 1.0 };
            let pareto = rng.gen_range(f64::EPSILON..1.0f64).powf(-1.0 / PARETO_SHAPE);
            let plays = (intensity[user as usize] * affinity * pareto).ceil().clamp(1.0, 1e9) as u32;
            PlayCount { user, item, plays, timestamp: last[&(user, item)] }
        })
        .collect();
    rows.sort_by_key(|r| (r.timestamp, r.user, r.item));
    Ok(rows)
}

/// Writes `rows` as an Interactions CSV (`USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP`,
/// event type `play`).
pub fn write_play_counts(path: &Path, rows: &[PlayCount]) -> io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "TIMESTAMP"])?;
    for r in rows {
        w.write_record([
            user_id(r.user as usize),
            item_id(r.item as usize),
            "play".to_string(),
            r.plays.to_string(),
            r.timestamp.to_string(),
        ])?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> SynthConfig {
        SynthConfig { users: 2_000, items: 500, interactions: 40_000, ..SynthConfig::default() }
    }

    #[test]
    fn counts_are_heavy_tailed_and_follow_taste() {
        let cfg = small();
        let rows = play_counts(&cfg).unwrap();
        let data = generate(&cfg).unwrap();
        assert!(rows.iter().all(|r| r.plays >= 1));
        let mut plays: Vec<u32> = rows.iter().map(|r| r.plays).collect();
        plays.sort_unstable();
        let (median, max) = (plays[plays.len() / 2], *plays.last().unwrap());
        assert!(max >= 100 * median, "heavy tail: median {median}, max {max}");
        let mean = |preferred: bool| {
            let v: Vec<f64> = rows
                .iter()
                .filter(|r| {
                    data.users[r.user as usize].preferred.contains(&data.items[r.item as usize].category) == preferred
                })
                .map(|r| f64::from(r.plays).ln())
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        let (a, b) = (mean(true), mean(false));
        assert!(a > b + 0.8, "preferred items are played more: mean log plays {a:.2} vs {b:.2}");
    }

    #[test]
    fn same_config_same_counts() {
        assert_eq!(play_counts(&small()).unwrap(), play_counts(&small()).unwrap());
    }
}
