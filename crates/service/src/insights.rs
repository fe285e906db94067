//! Data insights of an Interactions dataset, as the web console plots them: interactions per day,
//! the item-popularity long tail, users' history lengths and what Personalize's data rules look
//! at, computed from the dataset's stored records (imported and streamed), the newest first, up to
//! a bound.

use std::collections::{BTreeMap, HashMap, HashSet};

use reko_dataset::DatasetType;

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
    /// Distinct users.
    pub users: u64,
    /// Users with at least 2 interactions (Personalize wants 25 of them).
    pub users_with_two: u64,
    /// (history length bucket start, users): bucket `[2^k, 2^(k+1))` as `2^k`, shortest first.
    pub history_lengths: Vec<(u64, u64)>,
    /// Items of the group's Items dataset without an interaction (among the rows read), and all
    /// its items; `None` without an Items dataset.
    pub cold_items: Option<(u64, u64)>,
    /// The same for the Users dataset.
    pub cold_users: Option<(u64, u64)>,
}

/// Personalize's minimums for training (its "data rules"): interactions, and users with at
/// least two interactions.
pub const MIN_INTERACTIONS: u64 = 1_000;
pub const MIN_USERS_WITH_TWO: u64 = 25;

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
        let mut per_user: HashMap<String, u64> = HashMap::new();
        let mut insights = InteractionInsights::default();
        'batches: for batch in batches.iter().rev() {
            let (Some(items), Some(timestamps)) = (batch.column("ITEM_ID"), batch.column("TIMESTAMP")) else {
                continue;
            };
            let users = batch.column("USER_ID");
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
                    count(&mut per_item, item);
                }
                if let Some(user) = users.and_then(|u| u.str_value(row)) {
                    count(&mut per_user, user);
                }
            }
        }
        let group = self.store().get_resource(dataset_arn)?.and_then(|r| r.dataset_group_arn);
        if let Some(group) = group {
            insights.cold_items = self.cold(&group, DatasetType::Items, "ITEM_ID", &per_item)?;
            insights.cold_users = self.cold(&group, DatasetType::Users, "USER_ID", &per_user)?;
        }
        insights.users = per_user.len() as u64;
        insights.users_with_two = per_user.values().filter(|&&n| n >= 2).count() as u64;
        insights.history_lengths = history_lengths(per_user.values().copied());
        insights.per_day = fill_days(per_day);
        let mut counts: Vec<u64> = per_item.into_values().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        insights.items = counts.len() as u64;
        insights.item_popularity = long_tail(&counts);
        Ok(insights)
    }
}

/// A stored interaction, as the console's events page and try-it form list them.
#[derive(Debug, Clone, PartialEq)]
pub struct RecentEvent {
    pub user_id: String,
    pub item_id: String,
    pub event_type: String,
    pub timestamp: i64,
}

/// What [`Reko::recent_events`] found: the newest events and the events per minute by type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventActivity {
    /// The newest stored events (newest first, in the order they were stored).
    pub newest: Vec<RecentEvent>,
    /// Rows read (the newest ones, up to the bound).
    pub rows: u64,
    /// Minute starts (epoch seconds) of the hour ending with the newest event's minute.
    pub minutes: Vec<i64>,
    /// Events per minute of `minutes`, by event type.
    pub per_type: BTreeMap<String, Vec<u64>>,
}

/// Minutes [`EventActivity::minutes`] covers.
pub const ACTIVITY_MINUTES: i64 = 60;

impl Reko {
    /// Rows stored for a dataset (imported and streamed). A dataset outside `scope` is missing.
    pub fn dataset_rows(&self, scope: &AccessScope, dataset_arn: &str) -> ServiceResult<u64> {
        self.authorize_arn(scope, dataset_arn)?;
        Ok(self.store().count_records(dataset_arn)?)
    }

    /// The newest `limit` events of a dataset group's Interactions dataset (of `user_id` only,
    /// when given), and its events per minute by type, from its newest `max_rows` stored rows:
    /// only the newest chunks holding them are read, decoded newest first as far as needed.
    pub fn recent_events(
        &self,
        scope: &AccessScope,
        dataset_group_arn: &str,
        user_id: Option<&str>,
        limit: usize,
        max_rows: usize,
    ) -> ServiceResult<EventActivity> {
        self.authorize_arn(scope, dataset_group_arn)?;
        let mut activity = EventActivity::default();
        let Some(dataset) = self.dataset_of_type(dataset_group_arn, DatasetType::Interactions)? else {
            return Ok(activity);
        };
        let arn = &dataset.wire.dataset_arn;
        // Only the newest chunks holding `max_rows` rows are read.
        let chunks = self.store().read_newest_records(arn, max_rows as u64)?;
        let sealer = self.sealer(arn)?;
        let mut times: Vec<(i64, String)> = Vec::new();
        'chunks: for chunk in chunks {
            let seq = chunk.seq;
            let batch = reko_dataset::RecordBatch::decode(&sealer.open(chunk.data)?).map_err(|e| {
                crate::ServiceError::Internal(format!("stored records of {arn} (chunk {seq}) are corrupt: {e}"))
            })?;
            let str_at = |column: &str, row: usize| batch.str_value(column, row).unwrap_or_default().to_string();
            for row in (0..batch.len()).rev() {
                if activity.rows as usize >= max_rows {
                    break 'chunks;
                }
                activity.rows += 1;
                let user = batch.str_value("USER_ID", row).unwrap_or_default();
                if user_id.is_some_and(|u| u != user) {
                    continue;
                }
                let timestamp = batch.i64_value("TIMESTAMP", row).unwrap_or_default();
                let event_type = str_at("EVENT_TYPE", row);
                if user_id.is_none() {
                    times.push((timestamp, event_type.clone()));
                }
                if activity.newest.len() < limit {
                    activity.newest.push(RecentEvent {
                        user_id: user.to_string(),
                        item_id: str_at("ITEM_ID", row),
                        event_type,
                        timestamp,
                    });
                } else if user_id.is_some() {
                    break 'chunks;
                }
            }
        }
        if let Some(newest) = times.iter().map(|(t, _)| *t).max() {
            let last = newest.div_euclid(60) * 60;
            let first = last - (ACTIVITY_MINUTES - 1) * 60;
            activity.minutes = (0..ACTIVITY_MINUTES).map(|m| first + m * 60).collect();
            for (t, event_type) in times.into_iter().filter(|(t, _)| *t >= first) {
                let per_minute =
                    activity.per_type.entry(event_type).or_insert_with(|| vec![0; ACTIVITY_MINUTES as usize]);
                per_minute[((t - first) / 60) as usize] += 1;
            }
        }
        Ok(activity)
    }
}

fn count(counts: &mut HashMap<String, u64>, key: &str) {
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counts.insert(key.to_string(), 1);
        }
    }
}

impl Reko {
    /// (ids of the group's dataset of `dataset_type` absent from `seen`, all its distinct ids),
    /// `None` when the group has no such dataset.
    fn cold(
        &self,
        group: &str,
        dataset_type: DatasetType,
        column: &str,
        seen: &HashMap<String, u64>,
    ) -> ServiceResult<Option<(u64, u64)>> {
        let Some(dataset) = self.dataset_of_type(group, dataset_type)? else { return Ok(None) };
        let mut ids: HashSet<String> = HashSet::new();
        for batch in self.dataset_batches(&dataset.wire.dataset_arn)? {
            let Some(c) = batch.column(column) else { continue };
            ids.extend((0..batch.len()).filter_map(|row| c.str_value(row)).map(str::to_string));
        }
        let cold = ids.iter().filter(|id| !seen.contains_key(id.as_str())).count() as u64;
        Ok(Some((cold, ids.len() as u64)))
    }
}

/// Users per history length, in power-of-two buckets (`[1]`, `[2, 3]`, `[4, 7]`, ...), every
/// bucket up to the longest history listed (empty ones as 0).
fn history_lengths(lengths: impl Iterator<Item = u64>) -> Vec<(u64, u64)> {
    let mut buckets: Vec<u64> = Vec::new();
    for n in lengths.filter(|&n| n > 0) {
        let k = n.ilog2() as usize;
        if buckets.len() <= k {
            buckets.resize(k + 1, 0);
        }
        buckets[k] += 1;
    }
    buckets.into_iter().enumerate().map(|(k, users)| (1u64 << k, users)).collect()
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
    fn history_lengths_fall_in_power_of_two_buckets() {
        assert_eq!(history_lengths([1, 2, 3, 4, 9].into_iter()), vec![(1, 1), (2, 2), (4, 1), (8, 1)]);
        assert_eq!(history_lengths([16].into_iter()), vec![(1, 0), (2, 0), (4, 0), (8, 0), (16, 1)]);
        assert_eq!(history_lengths(std::iter::empty()), vec![]);
    }

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
