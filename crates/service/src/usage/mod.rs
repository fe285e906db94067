//! Usage as Personalize bills it: runtime requests (GetRecommendations, GetPersonalizedRanking)
//! counted per campaign into 5-minute windows aligned to UTC, and TPS-hours computed from them
//! (docs/usage.md, "The rule": a window's "actual TPS" is its average requests per second; it is billed
//! `max(actual TPS, minProvisionedTPS)` for 5/60 of an hour, zero traffic included, while the
//! campaign is ACTIVE). See docs/usage.md.
//!
//! This is its own accounting, not the metrics recorder's (which `reko demo` and tests do not
//! install). The hot path is one relaxed atomic increment on a counter the campaign's deployment
//! holds; a flusher thread writes the counts to storage when a window closes and at shutdown.

pub mod recent;
pub mod report;

use reko_api::ApiError;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use reko_storage::{ResourceRecord, StorageResult, UsageStore, UsageWindow};

/// Length of an accounting window, in seconds (Personalize's 5 minutes).
pub const WINDOW_SECS: i64 = 300;
/// Windows are kept this many days by default (`--usage-retention-days`).
pub const DEFAULT_RETENTION_DAYS: u32 = 400;
/// The most days a retention setting or a query may name.
pub const MAX_DAYS: u32 = 400;
/// Seconds in a (UTC) day.
pub const DAY_SECS: i64 = 86_400;

/// The start (epoch seconds) of the window holding `epoch_secs`.
pub fn window_start(epoch_secs: i64) -> i64 {
    epoch_secs.div_euclid(WINDOW_SECS) * WINDOW_SECS
}

/// Average requests per second of a window with `requests` requests.
pub fn average_tps(requests: u64) -> f64 {
    requests as f64 / WINDOW_SECS as f64
}

/// What one window is billed: `max(average TPS, minProvisionedTPS)` for 5/60 of an hour.
pub fn billed_tps_hours(requests: u64, min_provisioned_tps: i64) -> f64 {
    average_tps(requests).max(min_provisioned_tps as f64) * WINDOW_SECS as f64 / 3600.0
}

/// The TPS-hours the traffic of a window used: its average TPS for 5/60 of an hour.
pub fn actual_tps_hours(requests: u64) -> f64 {
    average_tps(requests) * WINDOW_SECS as f64 / 3600.0
}

/// Checks a retention setting (days of windows kept).
pub fn check_retention_days(days: u32) -> Result<u32, String> {
    if (1..=MAX_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(format!("usage_retention_days (--usage-retention-days) must be from 1 to {MAX_DAYS}, got {days}"))
    }
}

/// One campaign's requests since the process started (cumulative: the flusher takes the
/// difference since its last flush, so the hot path never resets anything).
#[derive(Debug, Default)]
pub struct CampaignCounter {
    requests: AtomicU64,
    errors: AtomicU64,
    /// The last hour per minute, with latencies (the console's plots).
    recent: recent::RecentRing,
}

impl CampaignCounter {
    /// Counts one runtime request; a failed one is a request too (it reached a served campaign).
    pub fn record(&self, succeeded: bool) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if !succeeded {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// [`Self::record`], and the request's latency in the last hour's minutes.
    pub fn record_timed(&self, succeeded: bool, latency: std::time::Duration) {
        self.record(succeeded);
        self.recent.record(now_secs(), succeeded, latency);
    }

    fn totals(&self) -> (u64, u64) {
        (self.requests.load(Ordering::Relaxed), self.errors.load(Ordering::Relaxed))
    }
}

/// A campaign as the flusher sees it in the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignState {
    pub campaign_arn: String,
    pub dataset_group_arn: Option<String>,
    pub min_provisioned_tps: i64,
    /// ACTIVE: billed for the window even without traffic.
    pub active: bool,
}

impl CampaignState {
    /// From a catalog record of kind `campaign`.
    pub fn of(record: &ResourceRecord) -> CampaignState {
        CampaignState {
            campaign_arn: record.arn.clone(),
            dataset_group_arn: record.dataset_group_arn.clone(),
            min_provisioned_tps: min_provisioned_tps(&record.doc),
            active: record.status == reko_api::ResourceStatus::Active.as_str(),
        }
    }
}

/// `minProvisionedTPS` of a campaign document, or `minRecommendationRequestsPerSecond` of a
/// recommender's (the same billing floor; Personalize's default, 1, when absent).
pub fn min_provisioned_tps(doc: &serde_json::Value) -> i64 {
    doc.get("minProvisionedTPS")
        .or_else(|| doc.get("recommenderConfig").and_then(|c| c.get("minRecommendationRequestsPerSecond")))
        .and_then(|v| v.as_i64())
        .unwrap_or(1)
        .max(1)
}

/// The per-process accounting: counters, and what of them was flushed.
pub struct Accounting {
    counters: RwLock<HashMap<String, Arc<CampaignCounter>>>,
    flushed: Mutex<Flushed>,
    retention_days: u32,
}

struct Flushed {
    /// The window the counts not yet flushed belong to: the one the last flush (or the start)
    /// happened in.
    window: i64,
    /// Each counter's totals at the last flush.
    taken: HashMap<String, (u64, u64)>,
    /// The group and minProvisionedTPS each campaign had when last seen, for a campaign deleted
    /// before the window with its last requests closed.
    known: HashMap<String, (Option<String>, i64)>,
}

impl Accounting {
    /// Accounting starting at `now` (epoch seconds).
    pub fn new(retention_days: u32, now: i64) -> Accounting {
        Accounting {
            counters: RwLock::new(HashMap::new()),
            flushed: Mutex::new(Flushed { window: window_start(now), taken: HashMap::new(), known: HashMap::new() }),
            retention_days: retention_days.clamp(1, MAX_DAYS),
        }
    }

    /// The counter of a campaign (made on first use; a deployment keeps it).
    pub fn counter(&self, campaign_arn: &str) -> Arc<CampaignCounter> {
        if let Some(c) = self.counters.read().unwrap_or_else(|p| p.into_inner()).get(campaign_arn) {
            return c.clone();
        }
        let mut map = self.counters.write().unwrap_or_else(|p| p.into_inner());
        map.entry(campaign_arn.to_string()).or_default().clone()
    }

    /// Requests and errors counted since the last flush (those of the open window, mostly).
    pub fn unflushed(&self, campaign_arn: &str) -> (u64, u64) {
        let flushed = self.flushed.lock().unwrap_or_else(|p| p.into_inner());
        let counters = self.counters.read().unwrap_or_else(|p| p.into_inner());
        let Some(c) = counters.get(campaign_arn) else { return (0, 0) };
        let (r, e) = c.totals();
        let (tr, te) = flushed.taken.get(campaign_arn).copied().unwrap_or((0, 0));
        (r.saturating_sub(tr), e.saturating_sub(te))
    }

    /// The last hour of a campaign's requests per minute (zeros for a campaign not called since
    /// the start; no counter is made for it).
    pub fn recent_minutes(&self, campaign_arn: &str, now: i64) -> Vec<recent::MinuteStats> {
        let counters = self.counters.read().unwrap_or_else(|p| p.into_inner());
        match counters.get(campaign_arn) {
            Some(c) => c.recent.minutes(now),
            None => recent::RecentRing::default().minutes(now),
        }
    }

    /// The window whose counts are still in memory.
    pub fn open_window(&self) -> i64 {
        self.flushed.lock().unwrap_or_else(|p| p.into_inner()).window
    }

    /// The windows a flush at `now` writes: for the window the unflushed counts belong to, each
    /// ACTIVE campaign of `campaigns` (with its requests, zero included) and each other campaign
    /// that was called since the last flush. And the oldest window start retention keeps.
    fn pending(&self, flushed: &Flushed, campaigns: &[CampaignState], now: i64) -> (Vec<UsageWindow>, i64) {
        let counters = self.counters.read().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<UsageWindow> = Vec::new();
        let delta = |arn: &str| -> (u64, u64) {
            let Some(c) = counters.get(arn) else { return (0, 0) };
            let (r, e) = c.totals();
            let (tr, te) = flushed.taken.get(arn).copied().unwrap_or((0, 0));
            (r.saturating_sub(tr), e.saturating_sub(te))
        };
        let listed: HashMap<&str, &CampaignState> = campaigns.iter().map(|c| (c.campaign_arn.as_str(), c)).collect();
        for c in campaigns {
            let (requests, errors) = delta(&c.campaign_arn);
            if c.active || requests > 0 {
                out.push(UsageWindow {
                    campaign_arn: c.campaign_arn.clone(),
                    dataset_group_arn: c.dataset_group_arn.clone(),
                    window_start: flushed.window,
                    requests,
                    errors,
                    min_provisioned_tps: c.min_provisioned_tps,
                });
            }
        }
        // Called, then deleted before the window closed.
        for arn in counters.keys().filter(|arn| !listed.contains_key(arn.as_str())) {
            let (requests, errors) = delta(arn);
            if requests == 0 {
                continue;
            }
            let (group, tps) = flushed.known.get(arn).cloned().unwrap_or((None, 1));
            out.push(UsageWindow {
                campaign_arn: arn.clone(),
                dataset_group_arn: group,
                window_start: flushed.window,
                requests,
                errors,
                min_provisioned_tps: tps,
            });
        }
        out.sort_by(|a, b| a.campaign_arn.cmp(&b.campaign_arn));
        let prune_before = window_start(now) - i64::from(self.retention_days) * DAY_SECS;
        (out, prune_before)
    }

    /// Writes what was counted since the last flush to `store` (see [`Self::pending`]), prunes
    /// windows past retention, and starts counting into the window holding `now`. On a storage
    /// error nothing is marked flushed: the counts go with the next flush (into its window).
    pub fn flush(&self, store: &dyn UsageStore, campaigns: &[CampaignState], now: i64) -> StorageResult<usize> {
        let mut flushed = self.flushed.lock().unwrap_or_else(|p| p.into_inner());
        let (windows, prune_before) = self.pending(&flushed, campaigns, now);
        store.add_usage(&windows, prune_before)?;
        // Mark as taken exactly what was written (counts arriving meanwhile stay pending).
        for w in &windows {
            let taken = flushed.taken.entry(w.campaign_arn.clone()).or_insert((0, 0));
            taken.0 += w.requests;
            taken.1 += w.errors;
        }
        for c in campaigns {
            flushed.known.insert(c.campaign_arn.clone(), (c.dataset_group_arn.clone(), c.min_provisioned_tps));
        }
        // Forget deleted campaigns once their last counts are stored.
        let listed: std::collections::HashSet<&str> = campaigns.iter().map(|c| c.campaign_arn.as_str()).collect();
        {
            let mut counters = self.counters.write().unwrap_or_else(|p| p.into_inner());
            let gone: Vec<String> = counters.keys().filter(|a| !listed.contains(a.as_str())).cloned().collect();
            for arn in gone {
                let pending = counters[&arn].totals().0 > flushed.taken.get(&arn).map_or(0, |t| t.0);
                if !pending {
                    counters.remove(&arn);
                    flushed.taken.remove(&arn);
                    flushed.known.remove(&arn);
                }
            }
        }
        flushed.window = flushed.window.max(window_start(now));
        Ok(windows.len())
    }
}

impl crate::Reko {
    /// The counter a campaign's deployment records its requests on.
    pub(crate) fn usage_counter(&self, campaign_arn: &str) -> Arc<CampaignCounter> {
        self.inner.usage.counter(campaign_arn)
    }

    /// Writes the usage counted since the last flush (see [`Accounting::flush`]).
    pub(crate) fn flush_usage(&self) -> crate::ServiceResult<()> {
        // Recommenders are billed by the same rule (their requests counted under their ARN).
        let mut records = self.store().list_resources("campaign", None)?;
        records.extend(self.store().list_resources("recommender", None)?);
        let campaigns: Vec<CampaignState> = records.iter().map(CampaignState::of).collect();
        self.inner.usage.flush(self.store(), &campaigns, now_secs())?;
        Ok(())
    }

    /// Starts the thread that flushes each window when it closes (it ends at shutdown, which
    /// flushes the open window itself).
    pub(crate) fn start_usage_flusher(&self) {
        let reko = self.clone();
        let spawned = std::thread::Builder::new().name("reko-usage".into()).spawn(move || reko.usage_loop());
        match spawned {
            Ok(handle) => self.inner.workers.lock().unwrap_or_else(|p| p.into_inner()).push(handle),
            Err(e) => tracing::error!(error = %e, "no usage flusher thread; usage is stored at shutdown only"),
        }
    }

    fn usage_loop(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        while !self.inner.stopping.load(SeqCst) {
            // Experiment exposures left in memory when traffic stopped (docs/experiments.md).
            self.flush_exposures();
            let now = now_secs();
            if self.inner.usage.open_window() < window_start(now) {
                if let Err(e) = self.flush_usage() {
                    tracing::warn!(error = %e, "storing usage failed; retried at the next window");
                }
                // Metric attribution windows (15 minutes) close on these boundaries too.
                if let Err(e) = self.write_attribution_reports(now) {
                    tracing::warn!(error = %e, "writing metric attribution reports failed; retried at the next window");
                }
            }
            // Until the next window starts (woken early by shutdown), at most a minute in case
            // the clock jumps.
            let until_next = (window_start(now) + WINDOW_SECS - now).clamp(1, 60) as u64;
            let (lock, cvar) = &self.inner.wake;
            let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
            if self.inner.stopping.load(SeqCst) {
                return;
            }
            let _ = cvar.wait_timeout(guard, std::time::Duration::from_secs(until_next));
        }
    }

    /// A campaign's traffic for the console: its stored usage windows since `since` (epoch
    /// seconds) and the open window's counts so far, then the last hour per minute with
    /// latencies (since this process started). A campaign outside `scope` is missing.
    pub fn campaign_activity(
        &self,
        scope: &crate::AccessScope,
        campaign_arn: &str,
        since: i64,
    ) -> crate::ServiceResult<CampaignActivity> {
        self.authorize_arn(scope, campaign_arn)?;
        let record = self.store().get_resource(campaign_arn)?;
        let Some(record) = record.filter(|r| r.kind == "campaign") else {
            return Err(ApiError::ResourceNotFound(format!("Could not find campaign: {campaign_arn}")).into());
        };
        let mut windows: Vec<UsageWindow> =
            self.store().usage_windows(since)?.into_iter().filter(|w| w.campaign_arn == campaign_arn).collect();
        let (requests, errors) = self.inner.usage.unflushed(campaign_arn);
        let open = self.inner.usage.open_window();
        let tps = min_provisioned_tps(&record.doc);
        match windows.iter_mut().find(|w| w.window_start == open) {
            // A shutdown flushed part of the open window: the rest adds to it.
            Some(w) => {
                w.requests += requests;
                w.errors += errors;
            }
            // As the flusher will write it: an ACTIVE campaign's, or one called since.
            None if record.status == reko_api::ResourceStatus::Active.as_str() || requests > 0 => {
                windows.push(UsageWindow {
                    campaign_arn: campaign_arn.to_string(),
                    dataset_group_arn: record.dataset_group_arn.clone(),
                    window_start: open,
                    requests,
                    errors,
                    min_provisioned_tps: tps,
                })
            }
            None => {}
        }
        windows.sort_by_key(|w| w.window_start);
        let minutes = self.inner.usage.recent_minutes(campaign_arn, now_secs());
        Ok(CampaignActivity { windows, open_window: open, minutes, min_provisioned_tps: tps })
    }

    /// `GET /reko/usage`: per day and campaign the caller may see.
    pub fn usage(
        &self,
        scope: &crate::AccessScope,
        q: &report::UsageQuery,
    ) -> crate::ServiceResult<report::UsageSummary> {
        q.validate().map_err(ApiError::InvalidInput)?;
        let now = now_secs();
        let since = (now.div_euclid(DAY_SECS) - i64::from(q.days) + 1) * DAY_SECS;
        let inputs = report::Inputs::gather(self.store(), since)?;
        report::summary(&inputs, scope, q, now).map_err(|m| ApiError::InvalidInput(m).into())
    }

    /// `GET /reko/usage/report`: idle and over-provisioned campaigns, unused solution versions.
    pub fn usage_report(
        &self,
        scope: &crate::AccessScope,
        q: &report::ReportQuery,
    ) -> crate::ServiceResult<report::UsageReport> {
        q.validate().map_err(ApiError::InvalidInput)?;
        let now = now_secs();
        let inputs = report::Inputs::gather(self.store(), report::report_since(q, now))?;
        report::report(&inputs, scope, q, now).map_err(|m| ApiError::InvalidInput(m).into())
    }
}

/// What [`crate::Reko::campaign_activity`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignActivity {
    /// Oldest first; the last (or one of them) is the open window, still counting.
    pub windows: Vec<UsageWindow>,
    pub open_window: i64,
    /// The last hour, per minute, oldest first.
    pub minutes: Vec<recent::MinuteStats>,
    /// The campaign's current minProvisionedTPS.
    pub min_provisioned_tps: i64,
}

/// Epoch seconds now.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reko_storage::SqliteStore;

    fn campaign(arn: &str, tps: i64, active: bool) -> CampaignState {
        CampaignState {
            campaign_arn: arn.into(),
            dataset_group_arn: Some("g".into()),
            min_provisioned_tps: tps,
            active,
        }
    }

    #[test]
    fn windows_are_five_minutes_aligned_to_utc() {
        assert_eq!(window_start(0), 0);
        assert_eq!(window_start(299), 0);
        assert_eq!(window_start(300), 300);
        assert_eq!(window_start(1_764_892_799), 1_764_892_500);
        // 2025-12-05 00:00:00 UTC is a window start.
        assert_eq!(window_start(1_764_892_800), 1_764_892_800);
        assert_eq!(window_start(-1), -300);
    }

    #[test]
    fn tps_hours_follow_personalize_rule() {
        // 600 requests in a window: 2 TPS, above the minimum of 1: 2 × 5/60.
        assert!((billed_tps_hours(600, 1) - 0.166_666_666).abs() < 1e-6);
        // 30 requests: 0.1 TPS, the minimum of 1 is billed: 1 × 5/60.
        assert!((billed_tps_hours(30, 1) - 0.083_333_333).abs() < 1e-6);
        assert!((actual_tps_hours(30) - 30.0 / 3600.0).abs() < 1e-12);
        // No traffic: the provisioned minimum.
        assert!((billed_tps_hours(0, 5) - 5.0 / 12.0).abs() < 1e-12);
        assert_eq!(average_tps(1500), 5.0);
        assert!((billed_tps_hours(1500, 5) - billed_tps_hours(0, 5)).abs() < 1e-12);
    }

    #[test]
    fn a_flush_writes_the_closed_window_and_counts_once() {
        let store = SqliteStore::open_in_memory().unwrap();
        let t0 = 1_764_892_800; // a window start
        let acc = Accounting::new(400, t0 + 10);
        let (a, b) = ("arn:c/a", "arn:c/b");
        let counter = acc.counter(a);
        for _ in 0..5 {
            counter.record(true);
        }
        counter.record(false);
        let campaigns = [campaign(a, 1, true), campaign(b, 2, true), campaign("arn:c/pending", 1, false)];
        // The window closes: both ACTIVE campaigns get a row, b with no traffic.
        assert_eq!(acc.flush(&store, &campaigns, t0 + 300).unwrap(), 2);
        assert_eq!(acc.open_window(), t0 + 300);
        let rows = store.usage_windows(0).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].window_start, rows[0].requests, rows[0].errors), (t0, 6, 1));
        assert_eq!((rows[1].requests, rows[1].min_provisioned_tps), (0, 2));
        // The next window: only what came since.
        counter.record(true);
        acc.flush(&store, &campaigns, t0 + 600).unwrap();
        let rows = store.usage_windows(t0 + 300).unwrap();
        assert_eq!(rows.iter().map(|r| r.requests).collect::<Vec<_>>(), [1, 0]);
        // A deleted campaign's last requests are stored with what it had, then it is forgotten.
        counter.record(true);
        acc.flush(&store, &[campaign(b, 2, true)], t0 + 900).unwrap();
        let rows = store.usage_windows(t0 + 600).unwrap();
        assert_eq!(rows.iter().map(|r| (r.campaign_arn.as_str(), r.requests)).collect::<Vec<_>>(), [(a, 1), (b, 0)]);
        assert!(acc.counters.read().unwrap().get(a).is_none());
    }

    #[test]
    fn the_console_reads_the_unflushed_counts_and_the_last_hour() {
        let store = SqliteStore::open_in_memory().unwrap();
        let t0 = 1_764_892_800;
        let acc = Accounting::new(400, t0 + 10);
        let counter = acc.counter("c");
        counter.record_timed(true, std::time::Duration::from_millis(2));
        counter.record_timed(false, std::time::Duration::from_millis(2));
        assert_eq!(acc.unflushed("c"), (2, 1));
        assert_eq!(acc.unflushed("never"), (0, 0));
        acc.flush(&store, &[campaign("c", 1, true)], t0 + 300).unwrap();
        assert_eq!(acc.unflushed("c"), (0, 0), "flushed");
        let minutes = acc.recent_minutes("c", now_secs());
        assert_eq!(minutes.len(), recent::MINUTES);
        assert_eq!(minutes.iter().map(|m| (m.requests, m.errors)).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1)), (2, 1));
        assert!(acc.recent_minutes("never", now_secs()).iter().all(|m| m.requests == 0));
        assert!(acc.counters.read().unwrap().get("never").is_none(), "no counter made by a read");
    }

    #[test]
    fn a_shutdown_flush_and_the_next_process_share_the_open_window() {
        let store = SqliteStore::open_in_memory().unwrap();
        let t0 = 1_764_892_800;
        let first = Accounting::new(400, t0 + 10);
        for _ in 0..4 {
            first.counter("c").record(true);
        }
        // Shutdown mid-window: the open window's counts so far.
        first.flush(&store, &[campaign("c", 1, true)], t0 + 100).unwrap();
        let second = Accounting::new(400, t0 + 120);
        for _ in 0..3 {
            second.counter("c").record(true);
        }
        second.flush(&store, &[campaign("c", 3, true)], t0 + 300).unwrap();
        let rows = store.usage_windows(0).unwrap();
        assert_eq!(rows.len(), 1, "one window, billed once");
        assert_eq!((rows[0].requests, rows[0].min_provisioned_tps), (7, 3));
    }

    #[test]
    fn a_failed_flush_keeps_the_counts_for_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reko.db");
        let writable = SqliteStore::open(&path).unwrap();
        let read_only = SqliteStore::open_read_only(&path).unwrap();
        let t0 = 1_764_892_800;
        let acc = Accounting::new(400, t0 + 10);
        for _ in 0..3 {
            acc.counter("c").record(true);
        }
        assert!(acc.flush(&read_only, &[campaign("c", 1, true)], t0 + 300).is_err());
        assert_eq!(acc.open_window(), t0, "nothing was marked flushed");
        acc.counter("c").record(false);
        acc.flush(&writable, &[campaign("c", 1, true)], t0 + 310).unwrap();
        let rows = writable.usage_windows(0).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].window_start, rows[0].requests, rows[0].errors), (t0, 4, 1));
    }

    #[test]
    fn retention_prunes_old_windows_on_flush() {
        let store = SqliteStore::open_in_memory().unwrap();
        let now = 1_764_892_800;
        let old = UsageWindow {
            campaign_arn: "c".into(),
            dataset_group_arn: None,
            window_start: now - 3 * DAY_SECS - WINDOW_SECS,
            requests: 1,
            errors: 0,
            min_provisioned_tps: 1,
        };
        let kept = UsageWindow { window_start: now - 3 * DAY_SECS, ..old.clone() };
        store.add_usage(&[old, kept.clone()], 0).unwrap();
        let acc = Accounting::new(3, now);
        acc.flush(&store, &[], now + 1).unwrap();
        assert_eq!(store.usage_windows(0).unwrap(), [kept]);
        assert!(check_retention_days(0).is_err() && check_retention_days(401).is_err());
        assert_eq!(check_retention_days(400), Ok(400));
    }
}
