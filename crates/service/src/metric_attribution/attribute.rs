//! Measuring events against a metric attribution: each event put to a group with an ACTIVE
//! attribution is given a source and added, per matching metric, to the 15-minute window (aligned
//! to UTC) its `sentAt` falls in; the windows are stored at once, so they survive a restart.
//!
//! The source is the event's `metricAttribution.eventAttributionSource` when it has one, else the
//! campaign or recommender that issued its `recommendationId` (one of the event's own dataset
//! group; for an experiment arm's id, the arm's), else [`SOURCE_NAME_UNDEFINED`].

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, RwLock};

use reko_api::{ApiError, MetricAttribute, MetricAttribution, MetricExpression};
use reko_dataset::RecordBatch;
use reko_storage::AttributionValue;
use serde::Serialize;

use crate::access::AccessScope;
use crate::error::ServiceResult;
use crate::filter::ItemMetadata;
use crate::recommendation_id;
use crate::resource::{ResourceKind, Stored};
use crate::Reko;

/// Length of an aggregation window, in seconds (Personalize's 15 minutes).
pub const WINDOW_SECS: i64 = 900;
/// The source of an event with neither an attribution source nor a resolvable recommendation id.
pub const SOURCE_NAME_UNDEFINED: &str = "SOURCE_NAME_UNDEFINED";
/// Distinct sources one attribution keeps apart (Personalize's quota).
pub const MAX_SOURCES: usize = 100;
/// Where the events of sources beyond [`MAX_SOURCES`] are counted.
pub const SOURCE_LIMIT_EXCEEDED: &str = "SOURCE_LIMIT_EXCEEDED";

/// The start (epoch seconds) of the window holding `epoch_secs`.
pub fn window_start(epoch_secs: i64) -> i64 {
    epoch_secs.div_euclid(WINDOW_SECS) * WINDOW_SECS
}

/// One stored event, as attribution reads it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Attributable {
    pub event_type: String,
    pub sent_at: f64,
    /// `eventValue` (from the member or the properties).
    pub event_value: Option<f64>,
    pub item_id: Option<String>,
    pub recommendation_id: Option<String>,
    pub attribution_source: Option<String>,
    /// Items in the event's `impression` list (experiments' click-through).
    pub impressions: u32,
}

/// What each event adds to each metric it matches (same event type), summed per metric, source
/// and window. `source_of` names each event's source; `item_value` reads an item's column. A
/// `SUM` metric skips events that have no value to add (no `eventValue`, or no item, or an item
/// without the column); `SAMPLECOUNT()` counts every matching event.
pub(crate) fn measure(
    metric_attribution_arn: &str,
    metrics: &[(MetricAttribute, MetricExpression)],
    events: &[Attributable],
    source_of: impl Fn(&Attributable) -> String,
    item_value: impl Fn(&str, &str) -> Option<f64>,
) -> Vec<AttributionValue> {
    let mut sums: BTreeMap<(String, String, i64), (f64, u64)> = BTreeMap::new();
    for e in events {
        let window = window_start(e.sent_at.floor() as i64);
        let mut source: Option<String> = None;
        for (m, expression) in metrics.iter().filter(|(m, _)| m.event_type == e.event_type) {
            let value = match expression {
                MetricExpression::SampleCount => Some(1.0),
                MetricExpression::SumEventValue => e.event_value,
                MetricExpression::SumItems(column) => e.item_id.as_deref().and_then(|item| item_value(item, column)),
            };
            let Some(value) = value.filter(|v| v.is_finite()) else { continue };
            let source = source.get_or_insert_with(|| source_of(e)).clone();
            let slot = sums.entry((m.metric_name.clone(), source, window)).or_insert((0.0, 0));
            slot.0 += value;
            slot.1 += 1;
        }
    }
    sums.into_iter()
        .map(|((metric_name, source, window_start), (value, events))| AttributionValue {
            metric_attribution_arn: metric_attribution_arn.to_string(),
            metric_name,
            source,
            window_start,
            value,
            events,
        })
        .collect()
}

/// Sources beyond the first [`MAX_SOURCES`] distinct ones (`known` already stored) become
/// [`SOURCE_LIMIT_EXCEEDED`].
fn cap_sources(values: &mut [AttributionValue], known: Vec<String>) {
    let mut seen: HashSet<String> = known.into_iter().collect();
    for v in values.iter_mut() {
        if seen.contains(&v.source) {
            continue;
        }
        if seen.len() < MAX_SOURCES {
            seen.insert(v.source.clone());
        } else {
            v.source = SOURCE_LIMIT_EXCEEDED.to_string();
        }
    }
}

/// The metrics of an attribution whose expressions parse (they were checked when stored).
fn parsed_metrics(metrics: Vec<MetricAttribute>) -> Vec<(MetricAttribute, MetricExpression)> {
    metrics.into_iter().filter_map(|m| MetricExpression::parse(&m.expression).ok().map(|e| (m, e))).collect()
}

/// What measuring events of one group needs: its attribution's metrics, the campaigns and
/// recommenders its recommendation ids may name, and its items' columns.
pub(crate) struct Measurer {
    arn: String,
    metrics: Vec<(MetricAttribute, MetricExpression)>,
    campaigns: Vec<String>,
    recommenders: Vec<String>,
    /// The group's experiments: ARN and each arm's target.
    experiments: Vec<(String, Vec<String>)>,
    items: Option<Arc<RwLock<ItemMetadata>>>,
}

impl Measurer {
    /// The values `events` add, per metric, source and window (see [`measure`]).
    pub(crate) fn measure(&self, events: &[Attributable]) -> Vec<AttributionValue> {
        let source_of = |e: &Attributable| -> String {
            if let Some(source) = &e.attribution_source {
                return source.clone();
            }
            let issuer = e.recommendation_id.as_deref().and_then(recommendation_id::parse);
            // An experiment arm's id names the arm's campaign or recommender.
            let issued = issuer.and_then(|i| {
                self.campaigns
                    .iter()
                    .find(|arn| i.is_campaign(arn))
                    .or_else(|| self.recommenders.iter().find(|arn| i.is_recommender(arn)))
                    .or_else(|| {
                        self.experiments.iter().find_map(|(arn, targets)| targets.get(i.experiment_arm(arn)? as usize))
                    })
            });
            issued.cloned().unwrap_or_else(|| SOURCE_NAME_UNDEFINED.to_string())
        };
        let item_value = |item: &str, column: &str| -> Option<f64> {
            let table = self.items.as_ref()?.read().unwrap_or_else(|p| p.into_inner());
            let c = table.columns.iter().position(|k| k == column)?;
            table.values(item, &[(c, column)]).get(column)?.parse().ok()
        };
        measure(&self.arn, &self.metrics, events, source_of, item_value)
    }

    /// The values of a chunk of imported interactions (columns as the Interactions schema names
    /// them; TIMESTAMP is the event's time).
    pub(crate) fn measure_batch(&self, batch: &RecordBatch) -> Vec<AttributionValue> {
        let text = |name: &str, row: usize| batch.column(name).and_then(|c| c.str_value(row)).map(str::to_string);
        let events: Vec<Attributable> = (0..batch.len())
            .filter_map(|row| {
                Some(Attributable {
                    event_type: text("EVENT_TYPE", row)?,
                    sent_at: batch.column("TIMESTAMP").and_then(|c| c.i64_value(row))? as f64,
                    event_value: batch.column("EVENT_VALUE").and_then(|c| c.f64_value(row)),
                    item_id: text("ITEM_ID", row),
                    recommendation_id: text("RECOMMENDATION_ID", row),
                    attribution_source: text("EVENT_ATTRIBUTION_SOURCE", row),
                    impressions: 0,
                })
            })
            .collect();
        self.measure(&events)
    }
}

/// Values of the same metric, source and window added up (chunks of one import).
pub(crate) fn merge_values(values: Vec<AttributionValue>) -> Vec<AttributionValue> {
    let mut sums: BTreeMap<(String, String, i64), AttributionValue> = BTreeMap::new();
    for v in values {
        let key = (v.metric_name.clone(), v.source.clone(), v.window_start);
        match sums.get_mut(&key) {
            Some(sum) => {
                sum.value += v.value;
                sum.events += v.events;
            }
            None => {
                sums.insert(key, v);
            }
        }
    }
    sums.into_values().collect()
}

/// `GET /reko/metric-attribution`: an attribution's metrics and measured values.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributionReport {
    pub metric_attribution_arn: String,
    pub dataset_group_arn: String,
    pub window_seconds: i64,
    pub metrics: Vec<MetricAttribute>,
    /// Per window (oldest first), metric and source.
    pub windows: Vec<ReportValue>,
    /// All windows together, per metric and source.
    pub totals: Vec<ReportValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportValue {
    /// Epoch seconds; absent in totals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_start: Option<i64>,
    pub metric_name: String,
    pub source: String,
    pub value: f64,
    pub events: u64,
}

impl Reko {
    /// Attributes events just stored for `dataset_group_arn` (see the module). A failure is
    /// logged, never returned: the events are stored already.
    pub(crate) fn attribute_events(&self, dataset_group_arn: &str, events: &[Attributable]) {
        if let Err(e) = self.try_attribute_events(dataset_group_arn, events) {
            tracing::warn!(error = %e, group = dataset_group_arn, "attributing events to metrics failed");
        }
    }

    fn try_attribute_events(&self, dataset_group_arn: &str, events: &[Attributable]) -> ServiceResult<()> {
        let Some((attribution, metrics)) = self.active_attribution(dataset_group_arn)? else { return Ok(()) };
        let parsed = parsed_metrics(metrics);
        if !events.iter().any(|e| parsed.iter().any(|(m, _)| m.event_type == e.event_type)) {
            return Ok(());
        }
        let needs_issuers = events.iter().any(|e| e.attribution_source.is_none() && e.recommendation_id.is_some());
        let arn = &attribution.wire.metric_attribution_arn;
        let measurer = self.measurer(dataset_group_arn, arn, parsed, needs_issuers)?;
        let mut values = measurer.measure(events);
        if values.is_empty() {
            return Ok(());
        }
        cap_sources(&mut values, self.store().attribution_sources(arn)?);
        self.store().add_attribution_values(&values)?;
        crate::metrics::record_attribution(&attribution.wire.name, &values);
        Ok(())
    }

    /// The group's ACTIVE attribution and what measuring a bulk import against it needs
    /// (`publishAttributionMetricsToS3`).
    pub(crate) fn import_measurer(
        &self,
        dataset_group_arn: &str,
    ) -> ServiceResult<Option<(Stored<MetricAttribution>, Measurer)>> {
        let Some((attribution, metrics)) = self.active_attribution(dataset_group_arn)? else { return Ok(None) };
        let arn = attribution.wire.metric_attribution_arn.clone();
        let measurer = self.measurer(dataset_group_arn, &arn, parsed_metrics(metrics), true)?;
        Ok(Some((attribution, measurer)))
    }

    /// A measurer of `metrics` for events of `dataset_group_arn`; `needs_issuers`: some event
    /// carries a recommendation id to resolve.
    fn measurer(
        &self,
        dataset_group_arn: &str,
        metric_attribution_arn: &str,
        metrics: Vec<(MetricAttribute, MetricExpression)>,
        needs_issuers: bool,
    ) -> ServiceResult<Measurer> {
        // Campaigns and recommenders of this group only: an id issued elsewhere resolves to nothing.
        let in_group = |kind: ResourceKind| -> ServiceResult<Vec<String>> {
            if !needs_issuers {
                return Ok(Vec::new());
            }
            Ok(self
                .store()
                .list_resources(kind.as_str(), None)?
                .into_iter()
                .filter(|r| r.dataset_group_arn.as_deref() == Some(dataset_group_arn))
                .map(|r| r.arn)
                .collect())
        };
        let (campaigns, recommenders) = (in_group(ResourceKind::Campaign)?, in_group(ResourceKind::Recommender)?);
        let experiments = if needs_issuers {
            self.experiments_in_group(dataset_group_arn)?
                .into_iter()
                .map(|x| (x.experiment_arn, x.arms.into_iter().map(|a| a.target_arn).collect()))
                .collect()
        } else {
            Vec::new()
        };
        let items = if metrics.iter().any(|(_, e)| matches!(e, MetricExpression::SumItems(_))) {
            self.item_metadata(dataset_group_arn)?
        } else {
            None
        };
        Ok(Measurer { arn: metric_attribution_arn.to_string(), metrics, campaigns, recommenders, experiments, items })
    }

    /// An attribution's metrics and values, for a caller whose `scope` may see it.
    pub fn metric_attribution_values(&self, scope: &AccessScope, arn: &str) -> ServiceResult<AttributionReport> {
        if !reko_api::validate::is_valid_arn(arn) {
            return Err(ApiError::InvalidInput(format!(
                "query parameter metricAttributionArn: '{arn}' is not a metric attribution ARN"
            ))
            .into());
        }
        self.authorize_arn(scope, arn)?;
        let stored = self.load::<MetricAttribution>(ResourceKind::MetricAttribution, arn)?;
        let metrics = super::stored_metrics(&stored.internal)?;
        let stored_values = self.store().attribution_values(arn)?;
        let mut totals: BTreeMap<(String, String), (f64, u64)> = BTreeMap::new();
        let windows = stored_values
            .into_iter()
            .map(|v| {
                let t = totals.entry((v.metric_name.clone(), v.source.clone())).or_insert((0.0, 0));
                t.0 += v.value;
                t.1 += v.events;
                ReportValue {
                    window_start: Some(v.window_start),
                    metric_name: v.metric_name,
                    source: v.source,
                    value: v.value,
                    events: v.events,
                }
            })
            .collect();
        let totals = totals
            .into_iter()
            .map(|((metric_name, source), (value, events))| ReportValue {
                window_start: None,
                metric_name,
                source,
                value,
                events,
            })
            .collect();
        Ok(AttributionReport {
            metric_attribution_arn: arn.to_string(),
            dataset_group_arn: stored.wire.dataset_group_arn,
            window_seconds: WINDOW_SECS,
            metrics,
            windows,
            totals,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(event_type: &str, name: &str, expression: &str) -> (MetricAttribute, MetricExpression) {
        let m =
            MetricAttribute { event_type: event_type.into(), metric_name: name.into(), expression: expression.into() };
        let e = MetricExpression::parse(expression).unwrap();
        (m, e)
    }

    fn event(event_type: &str, sent_at: f64, value: Option<f64>, item: &str, source: &str) -> Attributable {
        Attributable {
            event_type: event_type.into(),
            sent_at,
            event_value: value,
            item_id: Some(item.into()),
            recommendation_id: None,
            attribution_source: Some(source.into()),
            impressions: 0,
        }
    }

    #[test]
    fn windows_are_fifteen_minutes_aligned_to_utc() {
        assert_eq!(window_start(0), 0);
        assert_eq!(window_start(899), 0);
        assert_eq!(window_start(900), 900);
        // 2025-12-05 00:00:00 UTC starts a window; a second before is in the 23:45 one.
        assert_eq!(window_start(1_764_892_800), 1_764_892_800);
        assert_eq!(window_start(1_764_892_799), 1_764_892_800 - 900);
        assert_eq!(window_start(-1), -900);
    }

    #[test]
    fn events_add_up_per_metric_source_and_window() {
        let t0 = 1_764_892_800.0;
        let metrics = [
            metric("click", "CLICKS", "SAMPLECOUNT()"),
            metric("click", "VALUE", "SUM(Interactions.EVENT_VALUE)"),
            metric("buy", "REVENUE", "SUM(Items.PRICE)"),
        ];
        let events = [
            event("click", t0 + 1.0, Some(2.5), "i1", "email"),
            event("click", t0 + 899.9, Some(1.0), "i2", "email"),
            event("click", t0 + 900.0, None, "i1", "email"),
            event("click", t0 + 10.0, Some(4.0), "i1", "web"),
            event("buy", t0 + 20.0, None, "i1", "web"),
            event("buy", t0 + 30.0, None, "i2", "web"),
            event("buy", t0 + 40.0, None, "unknown", "web"),
            event("view", t0 + 50.0, Some(9.0), "i1", "web"),
        ];
        let price = |item: &str, column: &str| match (item, column) {
            ("i1", "PRICE") => Some(10.0),
            ("i2", "PRICE") => Some(0.5),
            _ => None,
        };
        let got: Vec<(String, String, i64, f64, u64)> =
            measure("ma", &metrics, &events, |e| e.attribution_source.clone().unwrap(), price)
                .into_iter()
                .map(|v| (v.metric_name, v.source, v.window_start - t0 as i64, v.value, v.events))
                .collect();
        let row = |m: &str, s: &str, w: i64, v: f64, n: u64| (m.to_string(), s.to_string(), w, v, n);
        assert_eq!(
            got,
            [
                row("CLICKS", "email", 0, 2.0, 2),
                row("CLICKS", "email", 900, 1.0, 1),
                row("CLICKS", "web", 0, 1.0, 1),
                // The unknown item and the event of no metric's type add nothing.
                row("REVENUE", "web", 0, 10.5, 2),
                // The event without eventValue adds nothing to the sum; it still counts as a click.
                row("VALUE", "email", 0, 3.5, 2),
                row("VALUE", "web", 0, 4.0, 1),
            ]
        );
    }

    #[test]
    fn sources_beyond_the_quota_share_one_name() {
        let mut values: Vec<AttributionValue> = (0..3)
            .map(|i| AttributionValue {
                metric_attribution_arn: "ma".into(),
                metric_name: "M".into(),
                source: format!("s{i}"),
                window_start: 0,
                value: 1.0,
                events: 1,
            })
            .collect();
        let known: Vec<String> = (0..MAX_SOURCES - 1).map(|i| format!("k{i}")).chain(["s2".to_string()]).collect();
        cap_sources(&mut values, known);
        let sources: Vec<&str> = values.iter().map(|v| v.source.as_str()).collect();
        assert_eq!(sources, ["SOURCE_LIMIT_EXCEEDED", "SOURCE_LIMIT_EXCEEDED", "s2"]);
    }
}
