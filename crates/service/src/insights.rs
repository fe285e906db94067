//! Data insights of an Interactions dataset, as the web console plots them: interactions per day
//! and the item-popularity long tail, computed from the dataset's stored records (imported and
//! streamed), the newest first, up to a bound.

use std::collections::{BTreeMap, HashMap};

use crate::access::AccessScope;
use crate::error::ServiceResult;
use crate::Reko;

const DAY: i64 = 86_400;
/// Beyond this many days between the first and the last, days without interactions are left out
/// rather than drawn as zeros.
const MAX_FILLED_DAYS: i64 = 3_660;
/// At most this many points of the long tail (ranks picked evenly, first and last kept).
const MAX_TAIL_POINTS: usize = 1_000;

/// What [`Reko::interaction_insights`] computed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InteractionInsights {
    /// Rows read (the newest ones when `truncated`).
    pub rows: u64,
    /// Whether older rows were left out (the dataset holds more than the bound).
    pub truncated: bool,
    /// (day start in seconds since the epoch UTC, interactions that day), oldest first; days
    /// without interactions between the first and the last count 0 (unless they span more than
    /// ten years).
    pub per_day: Vec<(i64, u64)>,
    /// Distinct items.
    pub items: u64,
    /// (rank from 1, interactions of the item at that rank), most popular first; at most 1,000
    /// ranks, picked evenly when there are more items.
    pub item_popularity: Vec<(u64, u64)>,
}

impl Reko {
    /// Interactions per day and per item of an Interactions dataset, from its newest `max_rows`
    /// stored rows (every stored chunk is read, and the newest ones decoded until the bound).
    /// A dataset outside `scope` is missing, as on the API.
    pub fn interaction_insights(
        &self,
        scope: &AccessScope,
        dataset_arn: &str,
        max_rows: usize,
    ) -> ServiceResult<InteractionInsights> {
        self.authorize_arn(scope, dataset_arn)?;
        let batches = self.dataset_batches(dataset_arn)?;
        let mut per_day: BTreeMap<i64, u64> = BTreeMap::new();
        let mut per_item: HashMap<String, u64> = HashMap::new();
        let mut insights = InteractionInsights::default();
        'batches: for batch in batches.iter().rev() {
            let (Some(items), Some(timestamps)) = (batch.column("ITEM_ID"), batch.column("TIMESTAMP")) else {
                continue;
            };
            for row in (0..batch.len()).rev() {
                if insights.rows as usize >= max_rows {
                    insights.truncated = true;
                    break 'batches;
                }
                insights.rows += 1;
                if let Some(ts) = timestamps.i64_value(row) {
                    *per_day.entry(ts.div_euclid(DAY) * DAY).or_default() += 1;
                }
                if let Some(item) = items.str_value(row) {
                    match per_item.get_mut(item) {
                        Some(n) => *n += 1,
                        None => {
                            per_item.insert(item.to_string(), 1);
                        }
                    }
                }
            }
        }
        insights.per_day = fill_days(per_day);
        let mut counts: Vec<u64> = per_item.into_values().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        insights.items = counts.len() as u64;
        insights.item_popularity = long_tail(&counts);
        Ok(insights)
    }
}

fn fill_days(per_day: BTreeMap<i64, u64>) -> Vec<(i64, u64)> {
    let (Some((&first, _)), Some((&last, _))) = (per_day.first_key_value(), per_day.last_key_value()) else {
        return Vec::new();
    };
    if (last - first) / DAY > MAX_FILLED_DAYS {
        return per_day.into_iter().collect();
    }
    (0..=(last - first) / DAY)
        .map(|d| first + d * DAY)
        .map(|day| (day, per_day.get(&day).copied().unwrap_or(0)))
        .collect()
}

/// (rank, count) of counts sorted descending, at most [`MAX_TAIL_POINTS`] of them.
fn long_tail(counts: &[u64]) -> Vec<(u64, u64)> {
    let n = counts.len();
    if n <= MAX_TAIL_POINTS {
        return counts.iter().enumerate().map(|(i, &c)| (i as u64 + 1, c)).collect();
    }
    let mut ranks: Vec<usize> = (0..MAX_TAIL_POINTS).map(|k| k * (n - 1) / (MAX_TAIL_POINTS - 1)).collect();
    ranks.dedup();
    ranks.into_iter().map(|i| (i as u64 + 1, counts[i])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_without_interactions_count_zero() {
        let days = BTreeMap::from([(0, 3), (2 * DAY, 5)]);
        assert_eq!(fill_days(days), vec![(0, 3), (DAY, 0), (2 * DAY, 5)]);
        assert_eq!(fill_days(BTreeMap::new()), vec![]);
        let sparse = BTreeMap::from([(0, 1), (20_000 * DAY, 1)]);
        assert_eq!(fill_days(sparse.clone()), sparse.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn the_long_tail_keeps_the_head_and_the_last_item() {
        assert_eq!(long_tail(&[5, 3, 1]), vec![(1, 5), (2, 3), (3, 1)]);
        let counts: Vec<u64> = (0..10_000u64).rev().collect();
        let tail = long_tail(&counts);
        assert_eq!(tail.len(), MAX_TAIL_POINTS);
        assert_eq!(tail[0], (1, 9_999));
        assert_eq!(*tail.last().unwrap(), (10_000, 0));
        assert!(tail.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 >= w[1].1));
    }
}
