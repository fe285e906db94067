//! The service's metrics, recorded through the `metrics` facade: its macros are no-ops until a
//! recorder is installed (`reko serve` installs the Prometheus one and serves `GET /metrics`).
//!
//! Every series name is here, with its help text ([`describe`]); the HTTP layer records the
//! per-request ones. Labels only ever hold bounded values: operation names, HTTP statuses, error
//! codes, task kinds and phases, dataset group and campaign names, and event types capped at
//! [`MAX_EVENT_TYPE_LABELS`] distinct values per process.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use metrics::Counter;
use reko_storage::{TaskKind, TaskState};

use crate::Reko;

/// Requests by `operation`, `status` (HTTP) and `code` (error code, `none` on success).
pub const REQUESTS: &str = "reko_requests_total";
/// Request latency by `operation`.
pub const REQUEST_DURATION: &str = "reko_request_duration_seconds";
/// Runtime request latency by `operation` and `campaign` (name; deployed campaigns only).
pub const CAMPAIGN_REQUEST_DURATION: &str = "reko_campaign_request_duration_seconds";
/// Requests being handled.
pub const REQUESTS_IN_FLIGHT: &str = "reko_requests_in_flight";
/// Requests refused with ThrottlingException, by `reason` (`in_flight`, `unverified`).
pub const REQUESTS_THROTTLED: &str = "reko_requests_throttled_total";
/// PutEvents events by `event_type` (capped) and `outcome` (`accepted`, `rejected`).
pub const EVENTS: &str = "reko_events_total";
/// Rows committed by dataset import jobs, by `dataset_group` (name).
pub const IMPORT_ROWS: &str = "reko_import_rows_total";
/// Bytes of input files read by committed dataset import jobs, by `dataset_group` (name).
pub const IMPORT_BYTES: &str = "reko_import_bytes_total";
/// Tasks queued, not yet claimed by a worker.
pub const TASK_QUEUE_DEPTH: &str = "reko_task_queue_depth";
/// Tasks being run by a worker.
pub const TASKS_RUNNING: &str = "reko_tasks_running";
/// Task durations by `kind` and `phase` (`total` for every task; `snapshot`, `fit`,
/// `evaluation`, `artifact` for training).
pub const TASK_DURATION: &str = "reko_task_duration_seconds";
/// Finished tasks by `kind` and `outcome` (`succeeded`, `failed`).
pub const TASKS: &str = "reko_tasks_total";
/// Running tasks this process took over from a worker whose lease expired (it died), by `kind`.
pub const TASK_TAKEOVERS: &str = "reko_task_takeovers_total";
/// Time to read, verify and decode a campaign's model, by `campaign` (name).
pub const MODEL_LOAD_DURATION: &str = "reko_model_load_seconds";
/// Size of the model a campaign serves, by `campaign` (name).
pub const MODEL_MEMORY: &str = "reko_model_memory_bytes";
/// Resident memory of the process (Linux: `/proc/self/statm`).
pub const RESIDENT_MEMORY: &str = "reko_process_resident_memory_bytes";
/// Attributed event metric values by `metric_attribution` (name), `metric` (metric name) and
/// `source` (a campaign's name, or the event's attribution source; at most 101 per attribution:
/// docs/compatibility.md, "Metric attributions").
pub const ATTRIBUTED_VALUE: &str = "reko_metric_attribution_value_total";
/// Events counted by attributed metrics, labelled as [`ATTRIBUTED_VALUE`].
pub const ATTRIBUTED_EVENTS: &str = "reko_metric_attribution_events_total";

/// Collected messages (webhook, NATS) by `source` (a configured name) and `outcome` (`stored`,
/// `duplicate`); refused ones are counted by [`DEAD_LETTERS`].
pub const COLLECTED: &str = "reko_collect_messages_total";
/// Collected messages refused into the dead letters, by `source` and `reason`.
pub const DEAD_LETTERS: &str = "reko_collect_dead_letters_total";

/// Distinct event types that get their own label value; later ones are counted as [`OTHER`].
pub const MAX_EVENT_TYPE_LABELS: usize = 100;
/// The label value of event types beyond [`MAX_EVENT_TYPE_LABELS`].
pub const OTHER: &str = "other";

/// Registers the help text of every series with the installed recorder.
pub fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(REQUESTS, "Requests by operation, HTTP status and error code (none on success).");
    describe_histogram!(REQUEST_DURATION, Unit::Seconds, "Request latency by operation.");
    describe_histogram!(
        CAMPAIGN_REQUEST_DURATION,
        Unit::Seconds,
        "Runtime request latency by operation and deployed campaign name."
    );
    describe_gauge!(REQUESTS_IN_FLIGHT, "Requests being handled.");
    describe_counter!(REQUESTS_THROTTLED, "Requests refused with ThrottlingException, by reason.");
    describe_counter!(COLLECTED, "Collected messages (webhook, NATS) by source and outcome (stored, duplicate).");
    describe_counter!(DEAD_LETTERS, "Collected messages refused into the dead letters, by source and reason.");
    describe_counter!(EVENTS, "PutEvents events by event type (capped, then 'other') and outcome.");
    describe_counter!(IMPORT_ROWS, "Rows committed by dataset import jobs, by dataset group name.");
    describe_counter!(
        IMPORT_BYTES,
        Unit::Bytes,
        "Input bytes of committed dataset import jobs, by dataset group name."
    );
    describe_gauge!(TASK_QUEUE_DEPTH, "Background tasks queued, not yet claimed by a worker.");
    describe_gauge!(TASKS_RUNNING, "Background tasks being run.");
    describe_histogram!(TASK_DURATION, Unit::Seconds, "Background task durations by kind and phase.");
    describe_counter!(TASKS, "Finished background tasks by kind and outcome.");
    describe_counter!(TASK_TAKEOVERS, "Running tasks taken over from a worker whose lease expired, by kind.");
    describe_histogram!(MODEL_LOAD_DURATION, Unit::Seconds, "Time to load a campaign's model, by campaign name.");
    describe_gauge!(MODEL_MEMORY, Unit::Bytes, "Size of the model each deployed campaign serves, by campaign name.");
    describe_gauge!(RESIDENT_MEMORY, Unit::Bytes, "Resident memory of the process.");
    describe_gauge!(
        ATTRIBUTED_VALUE,
        "Attributed metric values since the start, by metric attribution name, metric name and source."
    );
    describe_counter!(
        ATTRIBUTED_EVENTS,
        "Events counted by attributed metrics since the start, by metric attribution name, metric name and source."
    );
}

/// The resource name at the end of an ARN (`...:campaign/NAME` → `NAME`).
pub fn name_of(arn: &str) -> &str {
    arn.rsplit_once('/').map_or(arn, |(_, name)| name)
}

/// The dataset group name in a dataset ARN (`...:dataset/GROUP/INTERACTIONS` → `GROUP`).
pub fn group_of_dataset_arn(dataset_arn: &str) -> Option<&str> {
    let (_, path) = dataset_arn.split_once(":dataset/")?;
    path.split_once('/').map(|(group, _)| group)
}

/// Label values chosen by callers (event types), each mapped to a value `T` (its counters) made
/// once: the first `max` distinct values get their own, every later one shares [`OTHER`]'s.
pub struct CappedLabels<T> {
    max: usize,
    make: fn(&str) -> T,
    known: RwLock<HashMap<Box<str>, T>>,
    other: OnceLock<T>,
}

impl<T: Clone> CappedLabels<T> {
    pub fn new(max: usize, make: fn(&str) -> T) -> Self {
        CappedLabels { max, make, known: RwLock::new(HashMap::new()), other: OnceLock::new() }
    }

    /// The value for `label`: its own while fewer than `max` distinct labels were seen, else
    /// [`OTHER`]'s. A known label costs a read lock and no allocation.
    pub fn get(&self, label: &str) -> T {
        if let Some(t) = self.known.read().unwrap_or_else(|p| p.into_inner()).get(label) {
            return t.clone();
        }
        let mut known = self.known.write().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = known.get(label) {
            return t.clone();
        }
        if known.len() < self.max {
            let t = (self.make)(label);
            known.insert(label.into(), t.clone());
            return t;
        }
        drop(known);
        self.other.get_or_init(|| (self.make)(OTHER)).clone()
    }
}

/// Accepted and rejected counters of one event type label.
#[derive(Clone)]
struct EventCounters {
    accepted: Counter,
    rejected: Counter,
}

static EVENT_TYPES: LazyLock<CappedLabels<EventCounters>> = LazyLock::new(|| {
    CappedLabels::new(MAX_EVENT_TYPE_LABELS, |t| EventCounters {
        accepted: metrics::counter!(EVENTS, "event_type" => t.to_string(), "outcome" => "accepted"),
        rejected: metrics::counter!(EVENTS, "event_type" => t.to_string(), "outcome" => "rejected"),
    })
});

/// Counts a PutEvents call's events by type.
pub(crate) fn record_events<'a>(event_types: impl Iterator<Item = &'a str>, accepted: bool) {
    for t in event_types {
        let c = EVENT_TYPES.get(t);
        if accepted { c.accepted } else { c.rejected }.increment(1);
    }
}

/// Counts a body's stored and duplicate messages under its source (a configured name: bounded).
pub(crate) fn record_collected(source: &str, stored: u64, duplicates: u64) {
    for (label, n) in [("stored", stored), ("duplicate", duplicates)] {
        if n > 0 {
            metrics::counter!(COLLECTED, "source" => source.to_string(), "outcome" => label).increment(n);
        }
    }
}

/// Counts a dead letter (reasons are a fixed set of codes).
pub(crate) fn record_dead_letter(source: &str, reason: &'static str) {
    metrics::counter!(DEAD_LETTERS, "source" => source.to_string(), "reason" => reason).increment(1);
}

/// Adds measured attribution values to their series (a gauge for the value: sums need not be
/// whole numbers; it only grows unless values are negative).
pub(crate) fn record_attribution(attribution_name: &str, values: &[reko_storage::AttributionValue]) {
    for v in values {
        let labels = [
            ("metric_attribution", attribution_name.to_string()),
            ("metric", v.metric_name.clone()),
            // A campaign source by its name, as every other campaign label.
            ("source", if v.source.starts_with("arn:") { name_of(&v.source) } else { &v.source }.to_string()),
        ];
        metrics::gauge!(ATTRIBUTED_VALUE, &labels).increment(v.value);
        metrics::counter!(ATTRIBUTED_EVENTS, &labels).increment(v.events);
    }
}

/// A task kind as a static label (kinds come from the queue's rows).
pub(crate) fn kind_label(kind: Option<TaskKind>) -> &'static str {
    match kind {
        // Dataset updates have never had a label of their own; kept so dashboards keep working.
        Some(TaskKind::DatasetUpdate) | None => OTHER,
        Some(kind) => kind.as_str(),
    }
}

/// Records a task's total duration and outcome.
pub(crate) fn record_task(kind: Option<TaskKind>, elapsed: Duration, succeeded: bool) {
    let kind = kind_label(kind);
    metrics::histogram!(TASK_DURATION, "kind" => kind, "phase" => "total").record(elapsed.as_secs_f64());
    let outcome = if succeeded { "succeeded" } else { "failed" };
    metrics::counter!(TASKS, "kind" => kind, "outcome" => outcome).increment(1);
}

/// A task taken over from a worker whose lease expired.
pub(crate) fn record_takeover(kind: Option<TaskKind>) {
    metrics::counter!(TASK_TAKEOVERS, "kind" => kind_label(kind)).increment(1);
}

/// The training phase an engine progress stage belongs to.
pub(crate) fn training_phase(stage: &str) -> &'static str {
    match stage {
        "evaluating" => "evaluation",
        "writing" => "artifact",
        // filtering, tuning (self-tuning and HPO trials), training, updating
        _ => "fit",
    }
}

/// Times the phases of a task; each phase's total is recorded once, when the timer is dropped
/// (also when the task fails midway).
pub(crate) struct PhaseTimer {
    kind: &'static str,
    current: Option<(&'static str, Instant)>,
    totals: Vec<(&'static str, Duration)>,
}

impl PhaseTimer {
    pub(crate) fn new(kind: &'static str) -> Self {
        PhaseTimer { kind, current: None, totals: Vec::new() }
    }

    /// Ends the current phase (if another) and starts `phase`.
    pub(crate) fn enter(&mut self, phase: &'static str) {
        if self.current.is_some_and(|(p, _)| p == phase) {
            return;
        }
        self.close();
        self.current = Some((phase, Instant::now()));
    }

    fn close(&mut self) {
        if let Some((phase, started)) = self.current.take() {
            let elapsed = started.elapsed();
            match self.totals.iter_mut().find(|(p, _)| *p == phase) {
                Some((_, total)) => *total += elapsed,
                None => self.totals.push((phase, elapsed)),
            }
        }
    }
}

impl Drop for PhaseTimer {
    fn drop(&mut self) {
        self.close();
        for (phase, total) in &self.totals {
            metrics::histogram!(TASK_DURATION, "kind" => self.kind, "phase" => *phase).record(total.as_secs_f64());
        }
    }
}

/// Campaign names whose model size was last reported, so a campaign that stops serving reports 0.
static REPORTED_MODELS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Resident memory of the process in bytes (Linux; `None` elsewhere).
pub fn resident_memory_bytes() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
        let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        Some(pages * u64::try_from(page).ok().filter(|p| *p > 0).unwrap_or(4096))
    }
    #[cfg(not(target_os = "linux"))]
    None
}

impl Reko {
    /// Sets the gauges read at scrape time: task queue depth, models served, resident memory.
    /// Reads the task table (blocking: call it off the async executor).
    pub fn record_gauges(&self) {
        match self.store().list_tasks() {
            Ok(tasks) => {
                let count = |s: TaskState| tasks.iter().filter(|t| t.state == s).count() as f64;
                metrics::gauge!(TASK_QUEUE_DEPTH).set(count(TaskState::Queued));
                metrics::gauge!(TASKS_RUNNING).set(count(TaskState::Running));
            }
            Err(e) => tracing::warn!(error = %e, "cannot count the tasks for the metrics"),
        }
        let served: Vec<(String, usize)> = self
            .inner
            .deployments
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(arn, d)| (name_of(arn).to_string(), d.model_bytes))
            .collect();
        let mut reported = REPORTED_MODELS.lock().unwrap_or_else(|p| p.into_inner());
        for gone in reported.iter().filter(|name| !served.iter().any(|(n, _)| n == *name)) {
            metrics::gauge!(MODEL_MEMORY, "campaign" => gone.clone()).set(0.0);
        }
        for (name, bytes) in &served {
            metrics::gauge!(MODEL_MEMORY, "campaign" => name.clone()).set(*bytes as f64);
        }
        *reported = served.into_iter().map(|(n, _)| n).collect();
        drop(reported);
        if let Some(rss) = resident_memory_bytes() {
            metrics::gauge!(RESIDENT_MEMORY).set(rss as f64);
        }
    }

    /// The dataset group ARN of a campaign whose model is loaded for serving (`None` for an
    /// unknown campaign or one not loaded yet). A read of the in-memory map.
    pub fn serving_dataset_group(&self, campaign_arn: &str) -> Option<String> {
        let deployments = self.inner.deployments.read().unwrap_or_else(|p| p.into_inner());
        deployments.get(campaign_arn).map(|d| d.dataset_group_arn.clone())
    }

    /// The dataset group ARN behind a tracking id already used by PutEvents (cached; no lookup).
    pub fn tracker_dataset_group(&self, tracking_id: &str) -> Option<String> {
        self.inner.ingest.tracker_group(tracking_id)
    }

    /// The dataset group ARN behind an Action interactions tracking id already used by
    /// PutActionInteractions (cached; no lookup).
    pub fn action_tracker_dataset_group(&self, tracking_id: &str) -> Option<String> {
        self.inner.ingest.group_of_key(&crate::ingest::action_tracker_key(tracking_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_type_labels_are_capped() {
        let labels = CappedLabels::new(3, |v: &str| v.to_string());
        assert_eq!(labels.get("click"), "click");
        assert_eq!(labels.get("view"), "view");
        assert_eq!(labels.get("click"), "click", "a known label does not count twice");
        assert_eq!(labels.get("purchase"), "purchase");
        for fresh in ["like", "share", "x".repeat(1000).as_str()] {
            assert_eq!(labels.get(fresh), OTHER, "{fresh}: beyond the cap");
        }
        assert_eq!(labels.get("view"), "view", "labels seen before the cap keep theirs");
        assert_eq!(labels.known.read().unwrap().len(), 3);
    }

    #[test]
    fn the_production_cap_is_100_distinct_event_types() {
        let labels = CappedLabels::new(MAX_EVENT_TYPE_LABELS, |v: &str| v.to_string());
        let got: Vec<String> = (0..150).map(|i| labels.get(&format!("type-{i}"))).collect();
        assert!(got[..100].iter().enumerate().all(|(i, l)| *l == format!("type-{i}")));
        assert!(got[100..].iter().all(|l| l == OTHER));
    }

    #[test]
    fn names_come_from_arns() {
        assert_eq!(name_of("arn:aws:personalize:us-east-1:123456789012:campaign/shop"), "shop");
        assert_eq!(
            group_of_dataset_arn("arn:aws:personalize:us-east-1:123456789012:dataset/shop/INTERACTIONS"),
            Some("shop")
        );
        assert_eq!(group_of_dataset_arn("arn:aws:personalize:us-east-1:123456789012:campaign/x"), None);
    }

    #[test]
    fn training_stages_map_to_phases() {
        for (stage, phase) in [
            ("filtering", "fit"),
            ("tuning", "fit"),
            ("evaluating", "evaluation"),
            ("training", "fit"),
            ("updating", "fit"),
            ("writing", "artifact"),
        ] {
            assert_eq!(training_phase(stage), phase);
        }
    }

    #[test]
    fn resident_memory_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(resident_memory_bytes().is_some_and(|b| b > 1 << 20));
        }
    }
}
