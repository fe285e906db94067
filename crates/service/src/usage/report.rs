//! What `GET /reko/usage`, `GET /reko/usage/report` and `reko usage` answer, computed from the
//! stored windows and the catalog only (the server's open window, still in memory, is not in
//! them). Pure functions of [`Inputs`], so the server and the command line agree.

use std::collections::{BTreeMap, HashSet};

use reko_storage::{ResourceRecord, StorageResult, Store, UsageWindow};
use serde::Serialize;

use super::{actual_tps_hours, average_tps, billed_tps_hours, min_provisioned_tps, window_start, DAY_SECS, MAX_DAYS};
use crate::access::AccessScope;

/// Default `days` of a usage query.
pub const DEFAULT_DAYS: u32 = 30;
/// Default `idleDays` (`--idle-days`) of the report.
pub const DEFAULT_IDLE_DAYS: u32 = 7;
/// Default `underPercent` (`--under-percent`) of the report.
pub const DEFAULT_UNDER_PERCENT: f64 = 50.0;
/// The over-provisioned rule looks at a campaign's last this many windows with data...
pub const RULE_WINDOWS: usize = 12;
/// ... and flags it when at least this many of them stayed under the threshold (Personalize
/// Monitor's low-utilization alarm: 9 of 12 five-minute periods).
pub const RULE_UNDER: usize = 9;

/// `GET /reko/usage` / `reko usage`.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageQuery {
    /// UTC days, today included (1..=400).
    pub days: u32,
    /// A campaign name or ARN.
    pub campaign: Option<String>,
}

impl Default for UsageQuery {
    fn default() -> Self {
        UsageQuery { days: DEFAULT_DAYS, campaign: None }
    }
}

/// `GET /reko/usage/report` / `reko usage --report`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportQuery {
    /// Days of windows the over-provisioned rule may look back for its 12 windows (1..=400).
    pub days: u32,
    /// A campaign with no request in this many days is idle (1..=400).
    pub idle_days: u32,
    /// A window is under when its average TPS is below this percentage of minProvisionedTPS
    /// (greater than 0, at most 100).
    pub under_percent: f64,
    pub campaign: Option<String>,
}

impl Default for ReportQuery {
    fn default() -> Self {
        ReportQuery {
            days: DEFAULT_DAYS,
            idle_days: DEFAULT_IDLE_DAYS,
            under_percent: DEFAULT_UNDER_PERCENT,
            campaign: None,
        }
    }
}

fn check_days(field: &str, value: u32) -> Result<(), String> {
    if (1..=MAX_DAYS).contains(&value) {
        Ok(())
    } else {
        Err(format!("{field} must be from 1 to {MAX_DAYS}, got {value}"))
    }
}

fn check_campaign(value: &Option<String>) -> Result<(), String> {
    match value {
        Some(c) if c.trim().is_empty() || c.len() > 256 => {
            Err(format!("campaign must be a campaign name or ARN (1 to 256 characters), got '{c}'"))
        }
        _ => Ok(()),
    }
}

fn parse_number<T: std::str::FromStr>(field: &str, value: &str) -> Result<T, String> {
    value.trim().parse().map_err(|_| format!("{field} must be a number, got '{value}'"))
}

impl UsageQuery {
    pub fn validate(&self) -> Result<(), String> {
        check_days("days", self.days)?;
        check_campaign(&self.campaign)
    }

    /// From decoded query parameters (`days`, `campaign`); any other is an error naming it.
    pub fn from_params(params: &[(String, String)]) -> Result<UsageQuery, String> {
        let mut q = UsageQuery::default();
        for (key, value) in params {
            match key.as_str() {
                "days" => q.days = parse_number("days", value)?,
                "campaign" => q.campaign = Some(value.clone()),
                other => return Err(format!("unknown query parameter '{other}' (expected days, campaign)")),
            }
        }
        q.validate()?;
        Ok(q)
    }
}

impl ReportQuery {
    pub fn validate(&self) -> Result<(), String> {
        check_days("days", self.days)?;
        check_days("idleDays", self.idle_days)?;
        if !(self.under_percent > 0.0 && self.under_percent <= 100.0) {
            return Err(format!("underPercent must be greater than 0 and at most 100, got {}", self.under_percent));
        }
        check_campaign(&self.campaign)
    }

    /// From decoded query parameters (`days`, `idleDays`, `underPercent`, `campaign`).
    pub fn from_params(params: &[(String, String)]) -> Result<ReportQuery, String> {
        let mut q = ReportQuery::default();
        for (key, value) in params {
            match key.as_str() {
                "days" => q.days = parse_number("days", value)?,
                "idleDays" => q.idle_days = parse_number("idleDays", value)?,
                "underPercent" => {
                    q.under_percent = parse_number("underPercent", value)?;
                    if !q.under_percent.is_finite() {
                        return Err(format!("underPercent must be a number, got '{value}'"));
                    }
                }
                "campaign" => q.campaign = Some(value.clone()),
                other => {
                    return Err(format!(
                        "unknown query parameter '{other}' (expected days, idleDays, underPercent, campaign)"
                    ))
                }
            }
        }
        q.validate()?;
        Ok(q)
    }
}

/// What the answers are computed from.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Stored windows since the start of the period asked about.
    pub windows: Vec<UsageWindow>,
    /// Every campaign of the catalog.
    pub campaigns: Vec<ResourceRecord>,
    /// Every solution version of the catalog.
    pub solution_versions: Vec<ResourceRecord>,
}

impl Inputs {
    /// Reads the windows starting at or after `since` and the catalog's campaigns and versions.
    pub fn gather(store: &dyn Store, since: i64) -> StorageResult<Inputs> {
        Ok(Inputs {
            windows: store.usage_windows(since)?,
            campaigns: store.list_resources("campaign", None)?,
            solution_versions: store.list_resources("solution-version", None)?,
        })
    }
}

/// One campaign's usage on one UTC day.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DailyUsage {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    pub campaign_arn: String,
    pub campaign_name: String,
    pub dataset_group_arn: Option<String>,
    /// Requests, failed ones included.
    pub requests: u64,
    pub errors: u64,
    /// 5-minute windows recorded (billed) that day.
    pub windows: u64,
    /// Requests per second over the recorded windows.
    pub average_tps: f64,
    /// The busiest window's average TPS.
    pub peak_tps: f64,
    /// The largest minProvisionedTPS in force that day.
    pub provisioned_tps: i64,
    /// Σ max(window's average TPS, minProvisionedTPS) × 5/60.
    pub billed_tps_hours: f64,
    /// Σ window's average TPS × 5/60.
    pub actual_tps_hours: f64,
    /// actualTpsHours / billedTpsHours.
    pub utilization: f64,
}

/// The answer of `GET /reko/usage`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageSummary {
    /// First and last UTC day of the period.
    pub from: String,
    pub to: String,
    pub days: u32,
    pub window_seconds: i64,
    /// By day, then campaign ARN.
    pub usage: Vec<DailyUsage>,
    pub total_requests: u64,
    pub total_billed_tps_hours: f64,
}

/// A campaign with no request in the idle period.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdleCampaign {
    pub campaign_arn: String,
    pub campaign_name: String,
    pub dataset_group_arn: Option<String>,
    pub min_provisioned_tps: i64,
    pub created: String,
    /// Younger than the idle period and never called: idle since its creation.
    pub idle_since_creation: bool,
    /// The start of the last window with requests among the stored ones looked at, if any.
    pub last_request_window: Option<String>,
    /// Windows recorded in the idle period (all without requests) and what they were billed.
    pub idle_windows: u64,
    pub idle_billed_tps_hours: f64,
    pub reason: String,
}

/// A campaign whose traffic stayed under the threshold in 9 of its last 12 windows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OverProvisionedCampaign {
    pub campaign_arn: String,
    pub campaign_name: String,
    pub dataset_group_arn: Option<String>,
    pub min_provisioned_tps: i64,
    pub windows_considered: usize,
    pub windows_under: usize,
    pub under_percent: f64,
    /// Average and busiest window's TPS over the windows considered.
    pub average_tps: f64,
    pub peak_tps: f64,
    /// The busiest window's TPS rounded up (at least 1).
    pub suggested_min_provisioned_tps: i64,
    pub reason: String,
}

/// An ACTIVE solution version no campaign deploys.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnusedSolutionVersion {
    pub solution_version_arn: String,
    pub solution_arn: Option<String>,
    pub dataset_group_arn: Option<String>,
    pub created: String,
    pub training_hours: Option<f64>,
    /// The model artifact's size on disk, when the file is there.
    pub size_bytes: Option<u64>,
}

/// The answer of `GET /reko/usage/report`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageReport {
    pub generated_at: String,
    pub idle_days: u32,
    pub under_percent: f64,
    pub window_seconds: i64,
    pub idle_campaigns: Vec<IdleCampaign>,
    pub over_provisioned_campaigns: Vec<OverProvisionedCampaign>,
    pub unused_solution_versions: Vec<UnusedSolutionVersion>,
}

/// The resource name at the end of an ARN.
fn name_of(arn: &str) -> &str {
    arn.rsplit_once('/').map_or(arn, |(_, name)| name)
}

fn matches(arn: &str, wanted: Option<&str>) -> bool {
    wanted.is_none_or(|w| arn == w || name_of(arn) == w)
}

fn window_visible(scope: &AccessScope, w: &UsageWindow) -> bool {
    match &w.dataset_group_arn {
        Some(g) => scope.allows_group(g),
        None => scope.is_unrestricted(),
    }
}

/// The campaign a query names must be one the caller can see, in the catalog or in the usage.
fn check_named_campaign(inputs: &Inputs, scope: &AccessScope, wanted: Option<&str>) -> Result<(), String> {
    let Some(w) = wanted else { return Ok(()) };
    let known = inputs.campaigns.iter().any(|c| scope.allows_record(c) && matches(&c.arn, Some(w)))
        || inputs.windows.iter().any(|u| window_visible(scope, u) && matches(&u.campaign_arn, Some(w)));
    if known {
        Ok(())
    } else {
        Err(format!("campaign '{w}' names no campaign (by name or ARN) with usage or in the catalog"))
    }
}

/// Per day and campaign over the last `q.days` UTC days (today included).
pub fn summary(inputs: &Inputs, scope: &AccessScope, q: &UsageQuery, now: i64) -> Result<UsageSummary, String> {
    q.validate()?;
    check_named_campaign(inputs, scope, q.campaign.as_deref())?;
    let today = now.div_euclid(DAY_SECS);
    let first_day = today - i64::from(q.days) + 1;
    let mut by_day: BTreeMap<(i64, &str), Vec<&UsageWindow>> = BTreeMap::new();
    for w in &inputs.windows {
        if w.window_start < first_day * DAY_SECS || !window_visible(scope, w) {
            continue;
        }
        if !matches(&w.campaign_arn, q.campaign.as_deref()) {
            continue;
        }
        by_day.entry((w.window_start.div_euclid(DAY_SECS), &w.campaign_arn)).or_default().push(w);
    }
    let usage: Vec<DailyUsage> = by_day
        .into_iter()
        .map(|((day, arn), windows)| {
            let requests = windows.iter().map(|w| w.requests).sum::<u64>();
            let billed =
                windows.iter().map(|w| billed_tps_hours(w.requests, w.min_provisioned_tps)).fold(0.0, |a, b| a + b);
            let actual = windows.iter().map(|w| actual_tps_hours(w.requests)).fold(0.0, |a, b| a + b);
            DailyUsage {
                date: date_of(day * DAY_SECS),
                campaign_arn: arn.to_string(),
                campaign_name: name_of(arn).to_string(),
                dataset_group_arn: windows.iter().rev().find_map(|w| w.dataset_group_arn.clone()),
                requests,
                errors: windows.iter().map(|w| w.errors).sum(),
                windows: windows.len() as u64,
                average_tps: requests as f64 / (windows.len() as f64 * super::WINDOW_SECS as f64),
                peak_tps: windows.iter().map(|w| average_tps(w.requests)).fold(0.0, f64::max),
                provisioned_tps: windows.iter().map(|w| w.min_provisioned_tps).max().unwrap_or(1),
                billed_tps_hours: billed,
                actual_tps_hours: actual,
                utilization: if billed > 0.0 { actual / billed } else { 0.0 },
            }
        })
        .collect();
    Ok(UsageSummary {
        from: date_of(first_day * DAY_SECS),
        to: date_of(today * DAY_SECS),
        days: q.days,
        window_seconds: super::WINDOW_SECS,
        total_requests: usage.iter().map(|u| u.requests).sum(),
        total_billed_tps_hours: usage.iter().map(|u| u.billed_tps_hours).fold(0.0, |a, b| a + b),
        usage,
    })
}

/// Personalize Monitor's low-utilization rule over a campaign's windows, newest first, as
/// `(requests, minProvisionedTPS)`: of the newest [`RULE_WINDOWS`], how many had an average TPS
/// under `under_percent`% of their minProvisionedTPS; `Some((considered, under))` when at least
/// [`RULE_UNDER`] did.
pub fn low_utilization(newest_first: &[(u64, i64)], under_percent: f64) -> Option<(usize, usize)> {
    let considered = &newest_first[..newest_first.len().min(RULE_WINDOWS)];
    let under = considered
        .iter()
        .filter(|(requests, tps)| average_tps(*requests) < under_percent / 100.0 * *tps as f64)
        .count();
    (under >= RULE_UNDER).then_some((considered.len(), under))
}

/// The oldest window a report at `now` reads.
pub fn report_since(q: &ReportQuery, now: i64) -> i64 {
    window_start(now) - i64::from(q.days.max(q.idle_days)) * DAY_SECS
}

/// A data directory's store opened for reading only (`reko usage`, beside a running server or
/// on a stopped data directory).
pub fn open_data_dir(data_dir: &std::path::Path) -> Result<reko_storage::SqliteStore, String> {
    let path = data_dir.join("reko.db");
    if !path.is_file() {
        return Err(format!("{} holds no Reko database (reko.db)", data_dir.display()));
    }
    let store =
        reko_storage::SqliteStore::open_read_only(&path).map_err(|e| format!("opening {}: {e}", path.display()))?;
    // A data directory no server of this version has opened yet has no usage table.
    if let Err(e) = reko_storage::UsageStore::usage_windows(&store, i64::MAX) {
        return Err(format!("{} has no usage yet (start the server once to create it): {e}", path.display()));
    }
    Ok(store)
}

/// A PostgreSQL database's store (`reko usage --database-url`, beside running servers). It is
/// brought to this version's schema like a server's, and refused when a newer version's.
pub fn open_database(url: &str) -> Result<reko_storage::PgStore, String> {
    reko_storage::PgStore::open(url).map_err(|e| format!("opening the database (--database-url): {e}"))
}

/// The usage summary read from a store (`reko usage` on a data directory).
pub fn summary_from_store(store: &dyn Store, q: &UsageQuery, now: i64) -> Result<UsageSummary, String> {
    q.validate()?;
    let since = (now.div_euclid(DAY_SECS) - i64::from(q.days) + 1) * DAY_SECS;
    let inputs = Inputs::gather(store, since).map_err(|e| e.to_string())?;
    summary(&inputs, &AccessScope::default(), q, now)
}

/// The report read from a store (`reko usage --report` on a data directory).
pub fn report_from_store(store: &dyn Store, q: &ReportQuery, now: i64) -> Result<UsageReport, String> {
    q.validate()?;
    let inputs = Inputs::gather(store, report_since(q, now)).map_err(|e| e.to_string())?;
    report(&inputs, &AccessScope::default(), q, now)
}

/// The idle, over-provisioned and unused report at `now`.
pub fn report(inputs: &Inputs, scope: &AccessScope, q: &ReportQuery, now: i64) -> Result<UsageReport, String> {
    q.validate()?;
    check_named_campaign(inputs, scope, q.campaign.as_deref())?;
    let idle_since = window_start(now) - i64::from(q.idle_days) * DAY_SECS;
    let rule_since = window_start(now) - i64::from(q.days) * DAY_SECS;
    let mut idle = Vec::new();
    let mut over = Vec::new();
    let campaigns = inputs.campaigns.iter().filter(|c| {
        c.status == reko_api::ResourceStatus::Active.as_str()
            && scope.allows_record(c)
            && matches(&c.arn, q.campaign.as_deref())
    });
    for c in campaigns {
        let mut windows: Vec<&UsageWindow> = inputs.windows.iter().filter(|w| w.campaign_arn == c.arn).collect();
        windows.sort_by_key(|w| std::cmp::Reverse(w.window_start));
        let tps = min_provisioned_tps(&c.doc);
        let created = c.doc.get("creationDateTime").and_then(|v| v.as_f64()).unwrap_or(c.created);
        let in_idle_period: Vec<&&UsageWindow> = windows.iter().filter(|w| w.window_start >= idle_since).collect();
        let last_request = windows.iter().find(|w| w.requests > 0).map(|w| w.window_start);
        if in_idle_period.iter().all(|w| w.requests == 0) {
            let young = (created as i64) > idle_since;
            let since_creation = young && last_request.is_none();
            let reason = if since_creation {
                format!(
                    "no requests since its creation at {} (younger than {} days)",
                    timestamp_of(created as i64),
                    q.idle_days
                )
            } else {
                match last_request {
                    Some(t) => format!(
                        "no requests in the last {} days; last requests in the window of {}",
                        q.idle_days,
                        timestamp_of(t)
                    ),
                    None => {
                        format!("no requests in the last {} days, nor in the stored windows looked at", q.idle_days)
                    }
                }
            };
            idle.push(IdleCampaign {
                campaign_arn: c.arn.clone(),
                campaign_name: c.name.clone(),
                dataset_group_arn: c.dataset_group_arn.clone(),
                min_provisioned_tps: tps,
                created: timestamp_of(created as i64),
                idle_since_creation: since_creation,
                last_request_window: last_request.map(timestamp_of),
                idle_windows: in_idle_period.len() as u64,
                idle_billed_tps_hours: in_idle_period
                    .iter()
                    .map(|w| billed_tps_hours(w.requests, w.min_provisioned_tps))
                    .fold(0.0, |a, b| a + b),
                reason,
            });
            continue;
        }
        let newest: Vec<(u64, i64)> = windows
            .iter()
            .filter(|w| w.window_start >= rule_since)
            .map(|w| (w.requests, w.min_provisioned_tps))
            .collect();
        if let Some((considered, under)) = low_utilization(&newest, q.under_percent) {
            let window_tps: Vec<f64> = newest[..considered].iter().map(|(r, _)| average_tps(*r)).collect();
            let peak = window_tps.iter().copied().fold(0.0, f64::max);
            over.push(OverProvisionedCampaign {
                campaign_arn: c.arn.clone(),
                campaign_name: c.name.clone(),
                dataset_group_arn: c.dataset_group_arn.clone(),
                min_provisioned_tps: tps,
                windows_considered: considered,
                windows_under: under,
                under_percent: q.under_percent,
                average_tps: window_tps.iter().sum::<f64>() / considered as f64,
                peak_tps: peak,
                suggested_min_provisioned_tps: (peak.ceil() as i64).max(1),
                reason: format!(
                    "average TPS under {}% of minProvisionedTPS in {under} of its last {considered} 5-minute windows",
                    q.under_percent
                ),
            });
        }
    }
    Ok(UsageReport {
        generated_at: timestamp_of(now),
        idle_days: q.idle_days,
        under_percent: q.under_percent,
        window_seconds: super::WINDOW_SECS,
        idle_campaigns: idle,
        over_provisioned_campaigns: over,
        unused_solution_versions: unused_versions(inputs, scope),
    })
}

/// ACTIVE solution versions no campaign deploys (nor is being updated to).
fn unused_versions(inputs: &Inputs, scope: &AccessScope) -> Vec<UnusedSolutionVersion> {
    let mut used: HashSet<&str> = HashSet::new();
    for c in &inputs.campaigns {
        if let Some(sv) = c.doc.get("solutionVersionArn").and_then(|v| v.as_str()) {
            used.insert(sv);
        }
        if let Some(sv) = c.doc.pointer("/latestCampaignUpdate/solutionVersionArn").and_then(|v| v.as_str()) {
            used.insert(sv);
        }
    }
    let mut out: Vec<UnusedSolutionVersion> = inputs
        .solution_versions
        .iter()
        .filter(|v| {
            v.status == reko_api::ResourceStatus::Active.as_str()
                && scope.allows_record(v)
                && !used.contains(v.arn.as_str())
        })
        .map(|v| {
            let created = v.doc.get("creationDateTime").and_then(|x| x.as_f64()).unwrap_or(v.created);
            let internal = |k: &str| v.doc.pointer(&format!("/{}/{k}", crate::resource::INTERNAL_KEY));
            // The size recorded with the artifact; a model written before the artifact store has
            // its file's path instead.
            let recorded = internal(crate::artifact_store::ARTIFACT_BYTES).and_then(|b| b.as_u64());
            let artifact = internal("artifactPath");
            UnusedSolutionVersion {
                solution_version_arn: v.arn.clone(),
                solution_arn: v.parent_arn.clone(),
                dataset_group_arn: v.dataset_group_arn.clone(),
                created: timestamp_of(created as i64),
                training_hours: v.doc.get("trainingHours").and_then(|x| x.as_f64()),
                size_bytes: recorded.or_else(|| {
                    artifact.and_then(|p| p.as_str()).and_then(|p| std::fs::metadata(p).ok()).map(|m| m.len())
                }),
            }
        })
        .collect();
    out.sort_by(|a, b| a.solution_version_arn.cmp(&b.solution_version_arn));
    out
}

/// `YYYY-MM-DD` (UTC) of epoch seconds.
pub fn date_of(epoch_secs: i64) -> String {
    let (y, m, d) = reko_api::calendar::civil_from_days(epoch_secs.div_euclid(DAY_SECS));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDTHH:MM:SSZ` of epoch seconds.
pub fn timestamp_of(epoch_secs: i64) -> String {
    let secs = epoch_secs.rem_euclid(DAY_SECS);
    format!("{}T{:02}:{:02}:{:02}Z", date_of(epoch_secs), secs / 3600, secs % 3600 / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_764_892_800 + 12 * 3600; // 2025-12-05T12:00:00Z

    fn record(kind: &str, arn: &str, group: &str, created: i64, doc: serde_json::Value) -> ResourceRecord {
        ResourceRecord {
            arn: arn.into(),
            kind: kind.into(),
            name: name_of(arn).into(),
            unique_name: true,
            parent_arn: None,
            dataset_group_arn: Some(group.into()),
            status: "ACTIVE".into(),
            created: created as f64,
            doc,
        }
    }

    fn window(arn: &str, group: &str, start: i64, requests: u64, tps: i64) -> UsageWindow {
        UsageWindow {
            campaign_arn: arn.into(),
            dataset_group_arn: Some(group.into()),
            window_start: start,
            requests,
            errors: 0,
            min_provisioned_tps: tps,
        }
    }

    #[test]
    fn dates_are_utc() {
        assert_eq!(date_of(0), "1970-01-01");
        assert_eq!(timestamp_of(NOW), "2025-12-05T12:00:00Z");
        assert_eq!(date_of(951_782_400), "2000-02-29");
        assert_eq!(timestamp_of(1_764_892_799), "2025-12-04T23:59:59Z");
    }

    #[test]
    fn nine_of_twelve_windows_under_flags_eight_does_not() {
        // Threshold 50% of 1 TPS = 0.5 TPS = 150 requests in a window.
        let under = (149, 1);
        let over = (150, 1);
        let mut eight = vec![under; 8];
        eight.extend([over; 4]);
        assert_eq!(low_utilization(&eight, 50.0), None);
        let mut nine = vec![under; 9];
        nine.extend([over; 3]);
        assert_eq!(low_utilization(&nine, 50.0), Some((12, 9)));
        // Only the newest 12 count: older under-windows do not tip it.
        let mut newest_over = vec![over; 4];
        newest_over.extend(vec![under; 20]);
        assert_eq!(low_utilization(&newest_over, 50.0), None);
        // Fewer than 9 windows can never be flagged; 9 of 9 is.
        assert_eq!(low_utilization(&[under; 8], 50.0), None);
        assert_eq!(low_utilization(&[under; 9], 50.0), Some((9, 9)));
        // Each window against its own minProvisionedTPS.
        assert_eq!(low_utilization(&[(299, 2); 12], 50.0), Some((12, 12)));
        assert_eq!(low_utilization(&[(300, 2); 12], 50.0), None);
    }

    #[test]
    fn daily_usage_bills_each_window() {
        let day = NOW.div_euclid(DAY_SECS) * DAY_SECS;
        let inputs = Inputs {
            windows: vec![
                window("arn:c/a", "g1", day, 600, 1),
                window("arn:c/a", "g1", day + 300, 30, 1),
                window("arn:c/a", "g1", day - DAY_SECS, 0, 1),
                window("arn:c/b", "g2", day, 0, 2),
            ],
            ..Inputs::default()
        };
        let all = summary(&inputs, &AccessScope::default(), &UsageQuery::default(), NOW).unwrap();
        assert_eq!(all.usage.len(), 3);
        let today_a = all.usage.iter().find(|u| u.campaign_name == "a" && u.date == "2025-12-05").unwrap();
        assert_eq!((today_a.requests, today_a.windows, today_a.provisioned_tps), (630, 2, 1));
        assert!((today_a.billed_tps_hours - (2.0 + 1.0) * 5.0 / 60.0).abs() < 1e-9);
        assert!((today_a.peak_tps - 2.0).abs() < 1e-12);
        assert!((today_a.average_tps - 630.0 / 600.0).abs() < 1e-12);
        assert!((today_a.utilization - (630.0 / 3600.0) / 0.25).abs() < 1e-9);
        // One day: yesterday's window is out; a scoped caller sees its group only.
        let scope = AccessScope { dataset_groups: Some(vec!["g2".into()]), ..AccessScope::default() };
        let q = UsageQuery { days: 1, campaign: None };
        let scoped = summary(&inputs, &scope, &q, NOW).unwrap();
        assert_eq!(scoped.usage.iter().map(|u| u.campaign_name.as_str()).collect::<Vec<_>>(), ["b"]);
        // Naming another group's campaign is the same error as naming none.
        let q = UsageQuery { days: 1, campaign: Some("a".into()) };
        let e = summary(&inputs, &scope, &q, NOW).unwrap_err();
        assert!(e.contains("campaign 'a'"), "{e}");
        assert!(summary(&inputs, &AccessScope::default(), &q, NOW).is_ok());
    }

    #[test]
    fn the_report_lists_idle_over_provisioned_and_unused() {
        let start = window_start(NOW);
        let old = NOW - 30 * DAY_SECS;
        let campaign = |name: &str, sv: &str, created: i64, tps: i64| {
            record(
                "campaign",
                &format!("arn:c/{name}"),
                "g",
                created,
                json!({"creationDateTime": created, "minProvisionedTPS": tps, "solutionVersionArn": sv}),
            )
        };
        let mut windows = Vec::new();
        for k in 0..12 {
            // busy: 600 requests each window (2 TPS of 1); low: 9 windows of 10 requests of 1 TPS.
            windows.push(window("arn:c/busy", "g", start - 300 * (k + 1), 600, 1));
            windows.push(window("arn:c/low", "g", start - 300 * (k + 1), if k < 9 { 10 } else { 600 }, 1));
            windows.push(window("arn:c/quiet", "g", start - 300 * (k + 1), 0, 1));
        }
        windows.push(window("arn:c/quiet", "g", old, 5, 1));
        let sv =
            |id: &str| record("solution-version", &format!("arn:s/{id}"), "g", old, json!({"creationDateTime": old}));
        let inputs = Inputs {
            windows,
            campaigns: vec![
                campaign("busy", "arn:s/1", old, 1),
                campaign("low", "arn:s/1", old, 1),
                campaign("quiet", "arn:s/2", old, 1),
                campaign("new", "arn:s/2", NOW - 2 * DAY_SECS, 1),
            ],
            solution_versions: vec![sv("1"), sv("2"), sv("3")],
        };
        let r = report(&inputs, &AccessScope::default(), &ReportQuery::default(), NOW).unwrap();
        let idle: Vec<(&str, bool)> =
            r.idle_campaigns.iter().map(|c| (c.campaign_name.as_str(), c.idle_since_creation)).collect();
        assert_eq!(idle, [("quiet", false), ("new", true)]);
        assert_eq!(r.idle_campaigns[0].last_request_window.as_deref(), Some(timestamp_of(old).as_str()));
        assert!(r.idle_campaigns[1].reason.contains("since its creation"), "{}", r.idle_campaigns[1].reason);
        assert_eq!(r.over_provisioned_campaigns.len(), 1);
        let low = &r.over_provisioned_campaigns[0];
        assert_eq!((low.campaign_name.as_str(), low.windows_considered, low.windows_under), ("low", 12, 9));
        assert_eq!(low.suggested_min_provisioned_tps, 2);
        assert_eq!(r.unused_solution_versions.len(), 1);
        assert_eq!(r.unused_solution_versions[0].solution_version_arn, "arn:s/3");
        assert_eq!(r.unused_solution_versions[0].size_bytes, None);
    }

    #[test]
    fn queries_are_validated_naming_the_field_and_value() {
        let p = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        assert_eq!(UsageQuery::from_params(&p("days", "0")).unwrap_err(), "days must be from 1 to 400, got 0");
        assert!(UsageQuery::from_params(&p("days", "401")).unwrap_err().contains("got 401"));
        assert_eq!(UsageQuery::from_params(&p("days", "x")).unwrap_err(), "days must be a number, got 'x'");
        assert!(UsageQuery::from_params(&p("day", "3")).unwrap_err().contains("'day'"));
        assert!(UsageQuery::from_params(&p("campaign", " ")).unwrap_err().contains("campaign"));
        assert_eq!(UsageQuery::from_params(&p("days", "7")).unwrap().days, 7);
        assert!(ReportQuery::from_params(&p("idleDays", "0")).unwrap_err().starts_with("idleDays"));
        let e = ReportQuery::from_params(&p("underPercent", "150")).unwrap_err();
        assert!(e.contains("underPercent") && e.contains("150"), "{e}");
        assert!(ReportQuery::from_params(&p("underPercent", "NaN")).unwrap_err().contains("underPercent"));
        assert_eq!(ReportQuery::from_params(&p("underPercent", "25")).unwrap().under_percent, 25.0);
    }
}
