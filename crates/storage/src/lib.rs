//! Reko's system of record: the resource catalog, the datasets' records and the persistent task
//! queue, behind traits: the embedded SQLite store ([`SqliteStore`], one process) and the PostgreSQL
//! one ([`PgStore`], a database several processes may share) keep the same semantics, which one
//! conformance suite checks on both.
//!
//! The catalog stores every Personalize resource as a JSON document (its Describe shape) with a few
//! indexed columns (kind, name, parent, status). Dataset records are stored as encoded columnar
//! chunks (opaque bytes here; `reko-dataset` owns the format), so a bulk import is one transaction
//! no matter its size.

mod changes;
#[cfg(test)]
mod conformance;
mod postgres;
mod sqlite;
mod tasks;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;

pub use self::postgres::{PgStore, SCHEMA_VERSION as POSTGRES_SCHEMA_VERSION};
pub use changes::{Change, ChangeFeed, ChangeSink};
pub use sqlite::SqliteStore;
pub use tasks::{Claimed, Lease, Task, TaskKind, TaskQueue, TaskState, UnknownTaskKind};

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A resource with the same kind and name (or ARN) already exists.
    #[error("{kind} {name} already exists")]
    AlreadyExists { kind: String, name: String },
    #[error("resource {0} does not exist")]
    NotFound(String),
    #[error("storage failure: {0}")]
    Backend(String),
    /// An optimistic update found the resource in another status than expected: someone else
    /// changed it meanwhile.
    #[error("{arn} is {found}, not {expected}")]
    Conflict { arn: String, expected: String, found: String },
    #[error("stored document of {arn} is not valid JSON: {reason}")]
    CorruptDocument { arn: String, reason: String },
    /// Another connection held the database (a reader of the write-ahead log) so that a
    /// compaction could not finish; it can be retried.
    #[error("the database is in use by another reader: {0}")]
    Busy(String),
    /// The chunks of a bulk import could not be produced; nothing was stored.
    #[error("storage failure: {0}")]
    ChunkSource(ChunkSourceError),
    /// A worker's write to a task it no longer holds: its lease expired and another worker took
    /// the task over (or it was requeued). Nothing was written.
    #[error("task {id} is no longer held by {owner}: its lease expired and another worker took it over")]
    LeaseLost { id: i64, owner: String },
}

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        StorageError::Backend(e.to_string())
    }
}

pub type StorageResult<T> = Result<T, StorageError>;

/// One Personalize resource in the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceRecord {
    pub arn: String,
    /// Resource kind in Personalize vocabulary: "dataset-group", "schema", "dataset", ...
    pub kind: String,
    /// The resource's name (for datasets and solution versions not unique; their ARN is).
    pub name: String,
    /// Whether the name identifies the resource in its account (it is then part of the ARN, which
    /// the catalog keeps unique, so names are unique per account and region).
    pub unique_name: bool,
    /// The owning resource (dataset group of a dataset, solution of a version, ...), if any.
    pub parent_arn: Option<String>,
    /// The dataset group this resource belongs to, for isolation and dependency checks.
    pub dataset_group_arn: Option<String>,
    pub status: String,
    pub created: f64,
    /// The wire document returned by Describe.
    pub doc: Value,
}

/// Which records a bulk import replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Replace every previously bulk-imported chunk of the dataset (never individually put rows).
    Full,
    /// Append; same-id records are resolved newest-wins when the snapshot is read.
    Incremental,
}

/// Where records came from: bulk import jobs or individual Put* calls (kept apart, as in Personalize;
/// docs/compatibility.md, "Events (PutEvents, PutItems, PutUsers)" and "Dataset export").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordSource {
    Bulk,
    Put,
}

impl RecordSource {
    fn as_str(self) -> &'static str {
        match self {
            RecordSource::Bulk => "bulk",
            RecordSource::Put => "put",
        }
    }
}

/// A stored chunk of records, in insertion order.
#[derive(Debug, Clone)]
pub struct RecordChunk {
    pub seq: i64,
    pub source: RecordSource,
    pub rows: u64,
    pub data: Vec<u8>,
}

/// A chunk to append with [`RecordStore::append_records`].
#[derive(Debug, Clone, Copy)]
pub struct NewChunk<'a> {
    pub dataset_arn: &'a str,
    pub source: RecordSource,
    pub rows: u64,
    pub data: &'a [u8],
}

/// A chunk to append only if none of its dedupe keys was seen before
/// ([`RecordStore::append_keyed_records`]): event collection's idempotency (a Segment
/// `messageId`, a NATS event id), stored in the same transaction as the records, so a crash can
/// neither store the records without their keys nor the keys without their records.
#[derive(Debug, Clone, Copy)]
pub struct KeyedChunk<'a> {
    pub chunk: NewChunk<'a>,
    /// Keys scoped to `chunk.dataset_arn`; empty: an ordinary append.
    pub dedupe_keys: &'a [String],
}

/// What became of one [`KeyedChunk`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// Stored with this sequence number; its keys are remembered with it.
    Stored(i64),
    /// Not stored: these of its keys were already seen (nothing of the chunk was written).
    Duplicate(Vec<String>),
}

/// The chunks of a bulk import, as `(rows, data)`, produced one at a time; an error (the
/// importer's own, saying what failed) aborts the import.
pub type ChunkSource<'a> = dyn Iterator<Item = Result<(u64, Vec<u8>), ChunkSourceError>> + 'a;

/// Why the importer could not produce a chunk (e.g. its staging file could not be read back).
pub type ChunkSourceError = Box<dyn std::error::Error + Send + Sync>;

/// A change of one resource's status and document, applied in the same transaction as other work.
#[derive(Debug, Clone)]
pub struct ResourceUpdate {
    pub arn: String,
    pub status: String,
    pub doc: Value,
    /// Optimistic concurrency: apply only if the resource is still in this status, else fail
    /// with [`StorageError::Conflict`] and change nothing.
    pub expected_status: Option<String>,
}

pub trait Catalog: Send + Sync {
    /// Inserts a new resource; fails with `AlreadyExists` on a duplicate ARN or unique name.
    fn insert_resource(&self, record: &ResourceRecord) -> StorageResult<()>;
    fn get_resource(&self, arn: &str) -> StorageResult<Option<ResourceRecord>>;
    /// Replaces status and document of an existing resource.
    fn update_resource(&self, update: &ResourceUpdate) -> StorageResult<()>;
    fn delete_resource(&self, arn: &str) -> StorageResult<()>;
    /// Resources of a kind, optionally restricted to a parent, newest first, then by ARN.
    fn list_resources(&self, kind: &str, parent_arn: Option<&str>) -> StorageResult<Vec<ResourceRecord>>;
    /// Resources of any kind whose parent is `parent_arn`.
    fn children(&self, parent_arn: &str) -> StorageResult<Vec<ResourceRecord>>;
    /// Resources of a kind in a given status set (used at startup to repair interrupted work).
    fn resources_in_status(&self, kind: &str, statuses: &[&str]) -> StorageResult<Vec<ResourceRecord>>;
}

pub trait RecordStore: Send + Sync {
    /// Atomically stores the chunks of one bulk import (replacing earlier bulk chunks in FULL mode)
    /// and applies `finish` (the import job becoming ACTIVE): nothing is visible before the commit.
    /// The chunks are pulled from `chunks` one at a time (an importer streams them from a staging
    /// file, so memory does not grow with the import); an error from it rolls everything back.
    fn commit_import(
        &self,
        dataset_arn: &str,
        mode: ImportMode,
        chunks: &mut ChunkSource<'_>,
        finish: &ResourceUpdate,
    ) -> StorageResult<()>;
    /// Appends chunks of individually put records (possibly to several datasets) in one durable
    /// transaction (a group commit of concurrent PutEvents calls); returns each chunk's `seq`.
    fn append_records(&self, chunks: &[NewChunk<'_>]) -> StorageResult<Vec<i64>> {
        let keyed: Vec<KeyedChunk<'_>> = chunks.iter().map(|&chunk| KeyedChunk { chunk, dedupe_keys: &[] }).collect();
        self.append_keyed_records(&keyed)?
            .into_iter()
            .map(|a| match a {
                Appended::Stored(seq) => Ok(seq),
                Appended::Duplicate(keys) => {
                    Err(StorageError::Backend(format!("a chunk without keys was refused as a duplicate of {keys:?}")))
                }
            })
            .collect()
    }
    /// [`Self::append_records`] with dedupe keys, in one durable transaction: a chunk any of
    /// whose keys is already stored for its dataset (or by an earlier chunk of the same call) is
    /// skipped whole ([`Appended::Duplicate`]); the others are stored with their keys, stamped
    /// `seen_at` (epoch seconds, for [`CollectStore::prune_dedupe_keys`]).
    fn append_keyed_records(&self, chunks: &[KeyedChunk<'_>]) -> StorageResult<Vec<Appended>>;
    /// The newest chunk `seq` of a dataset (0 when it has none): what a snapshot read up to.
    fn last_record_seq(&self, dataset_arn: &str) -> StorageResult<i64>;
    /// Every chunk of a dataset, in insertion order: a consistent snapshot.
    fn read_records(&self, dataset_arn: &str) -> StorageResult<Vec<RecordChunk>>;
    /// The chunks of one source stored after sequence number `after_seq`, in order (the tail a
    /// snapshot of derived state has not seen).
    fn read_records_after(
        &self,
        dataset_arn: &str,
        source: RecordSource,
        after_seq: i64,
    ) -> StorageResult<Vec<RecordChunk>>;
    /// The newest chunks of a dataset, newest first, until they hold `min_rows` rows (all of
    /// them when there are fewer): a look at the latest records reads no more than that.
    fn read_newest_records(&self, dataset_arn: &str, min_rows: u64) -> StorageResult<Vec<RecordChunk>>;
    fn count_records(&self, dataset_arn: &str) -> StorageResult<u64>;
    /// Deletes a dataset's chunks and its dedupe keys.
    fn delete_records(&self, dataset_arn: &str) -> StorageResult<()>;
    /// Rewrites stored chunks in one transaction, together with `finish` (a data deletion job
    /// recording what it erased): each chunk named by its `seq` gets new data and row count, or
    /// is deleted. A chunk deleted meanwhile (a FULL import replaced it) stays deleted. Sequence
    /// numbers are kept, so what derived state read up to stays meaningful.
    fn rewrite_records(&self, rewrites: &[ChunkRewrite], finish: &ResourceUpdate) -> StorageResult<()>;
    /// Makes deleted data unrecoverable from the database's files: rebuilds the database
    /// (no free page keeps old bytes) and empties the write-ahead log into it.
    fn compact(&self) -> StorageResult<()>;
}

/// A new content for one stored chunk ([`RecordStore::rewrite_records`]).
#[derive(Debug, Clone, PartialEq)]
pub enum ChunkRewrite {
    /// The chunk `seq` now holds `rows` rows, encoded as `data`.
    Replace { seq: i64, rows: u64, data: Vec<u8> },
    /// The chunk `seq` is removed (none of its rows remain).
    Delete { seq: i64 },
}

/// Tags of resources, kept apart from the documents so tagging never races with status changes.
pub trait TagStore: Send + Sync {
    fn tags(&self, arn: &str) -> StorageResult<Vec<(String, String)>>;
    /// Replaces all tags of a resource.
    fn set_tags(&self, arn: &str, tags: &[(String, String)]) -> StorageResult<()>;
}

/// One campaign's runtime requests in one 5-minute window (aligned to UTC: `window_start` is a
/// multiple of 300 epoch seconds), as the usage accounting flushes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageWindow {
    pub campaign_arn: String,
    /// The campaign's dataset group (kept here: the campaign may be deleted since, and scoped
    /// keys see only their groups' usage).
    pub dataset_group_arn: Option<String>,
    /// Epoch seconds, a multiple of 300.
    pub window_start: i64,
    /// GetRecommendations and GetPersonalizedRanking calls, failed ones included.
    pub requests: u64,
    /// Those of `requests` that failed.
    pub errors: u64,
    /// The campaign's `minProvisionedTPS` in force in the window.
    pub min_provisioned_tps: i64,
}

/// Per-campaign usage windows (billing's TPS-hours are computed from them).
pub trait UsageStore: Send + Sync {
    /// Adds `windows` to the stored ones in one transaction: the counts of a window already
    /// stored (flushed at a shutdown, then again after the restart) are added to, its
    /// `min_provisioned_tps` becomes the larger of the two. Then deletes every window that
    /// started before `prune_before` (retention).
    fn add_usage(&self, windows: &[UsageWindow], prune_before: i64) -> StorageResult<()>;
    /// The stored windows starting at or after `since`, by campaign then window.
    fn usage_windows(&self, since: i64) -> StorageResult<Vec<UsageWindow>>;
}

/// Work due at a point in time (a solution's automatic training, ...): one entry per resource and
/// kind, kept across restarts. `kind` is the service's name for the work.
#[derive(Debug, Clone, PartialEq)]
pub struct DueWork {
    pub resource_arn: String,
    pub kind: String,
    /// Epoch seconds.
    pub due_at: f64,
}

/// The persisted schedule of due work. Deleting a resource removes its entries.
pub trait ScheduleStore: Send + Sync {
    /// Sets when `kind` work for `resource_arn` is next due (replacing any earlier time).
    fn set_due(&self, resource_arn: &str, kind: &str, due_at: f64) -> StorageResult<()>;
    fn clear_due(&self, resource_arn: &str, kind: &str) -> StorageResult<()>;
    fn due_at(&self, resource_arn: &str, kind: &str) -> StorageResult<Option<f64>>;
    /// The work due at or before `now`, earliest first.
    fn due_work(&self, now: f64) -> StorageResult<Vec<DueWork>>;
    /// Moves an entry still due at `expected` to `next` (or removes it with `None`); false when
    /// it was changed meanwhile (rescheduled or removed), and then nothing is written.
    fn advance_due(&self, resource_arn: &str, kind: &str, expected: f64, next: Option<f64>) -> StorageResult<bool>;
}

/// What one metric of a metric attribution measured for one source in one window.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributionValue {
    pub metric_attribution_arn: String,
    pub metric_name: String,
    /// The campaign ARN, the event's `eventAttributionSource`, or `SOURCE_NAME_UNDEFINED`.
    pub source: String,
    /// Epoch seconds, a multiple of the window length.
    pub window_start: i64,
    /// The metric's sum (for `SAMPLECOUNT()`, the number of events).
    pub value: f64,
    /// Events counted.
    pub events: u64,
}

/// Attributed metrics (docs/compatibility.md, "Metric attributions").
pub trait AttributionStore: Send + Sync {
    /// Adds `values` to the stored ones (same attribution, metric, source and window: summed) in
    /// one transaction.
    fn add_attribution_values(&self, values: &[AttributionValue]) -> StorageResult<()>;
    /// The stored values of an attribution, by window, metric, then source.
    fn attribution_values(&self, metric_attribution_arn: &str) -> StorageResult<Vec<AttributionValue>>;
    /// The distinct sources an attribution has values for.
    fn attribution_sources(&self, metric_attribution_arn: &str) -> StorageResult<Vec<String>>;
    /// Forgets an attribution's values (it was deleted).
    fn delete_attribution_values(&self, metric_attribution_arn: &str) -> StorageResult<()>;
}

/// Requests one user (a user id, or an anonymous user's session id) got from one arm of an
/// experiment. Added: `requests` sum up and `first_seen` keeps the earliest.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentExposure {
    pub experiment_arn: String,
    /// The arm's position in the experiment.
    pub arm: u32,
    pub user_key: String,
    pub requests: u64,
    /// Epoch seconds of the user's first request.
    pub first_seen: f64,
}

/// Events of one type one user sent carrying a recommendation id of one arm. Added: counts and
/// sums add up and `first_at` keeps the earliest.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentConversion {
    pub experiment_arn: String,
    pub arm: u32,
    pub user_key: String,
    pub event_type: String,
    pub events: u64,
    /// Sum of the events' `eventValue`.
    pub value_sum: f64,
    /// Items in the events' `impression` lists.
    pub impressions: u64,
    /// Epoch seconds (`sentAt`) of the first such event.
    pub first_at: f64,
}

/// Per-user counts of A/B experiments (docs/experiments.md).
pub trait ExperimentStore: Send + Sync {
    /// Adds exposures in one transaction (see [`ExperimentExposure`]).
    fn add_experiment_exposures(&self, exposures: &[ExperimentExposure]) -> StorageResult<()>;
    /// Adds conversions in one transaction (see [`ExperimentConversion`]).
    fn add_experiment_conversions(&self, conversions: &[ExperimentConversion]) -> StorageResult<()>;
    /// An experiment's exposures, by arm then user.
    fn experiment_exposures(&self, experiment_arn: &str) -> StorageResult<Vec<ExperimentExposure>>;
    /// An experiment's conversions, by arm, user, then event type.
    fn experiment_conversions(&self, experiment_arn: &str) -> StorageResult<Vec<ExperimentConversion>>;
    /// Forgets an experiment's counts (it was deleted).
    fn delete_experiment_data(&self, experiment_arn: &str) -> StorageResult<()>;
}

/// A collected message refused (docs/event-collection.md, "Dead letters").
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    /// Assigned by the store, increasing (0 in a letter not yet stored).
    pub id: i64,
    /// Epoch seconds.
    pub at: f64,
    /// The collection source's name (a `[[collect.segment]]` or `[[collect.nats]]` name).
    pub source: String,
    /// The tracker's dataset group, when the source's tracker was found (scoped keys see theirs).
    pub dataset_group_arn: Option<String>,
    /// A short machine-readable reason (`unmapped_event`, `invalid_event`, ...).
    pub reason: String,
    /// What was wrong, naming the field.
    pub detail: String,
    /// The start of the refused payload (bounded by the caller).
    pub payload: String,
}

/// Event collection's own state: dedupe keys' retention and the dead-letter list.
pub trait CollectStore: Send + Sync {
    /// Forgets dedupe keys seen before `before` (epoch seconds); returns how many.
    fn prune_dedupe_keys(&self, before: i64) -> StorageResult<u64>;
    /// Stores a dead letter (its `id` is ignored) and keeps only the newest `keep`; returns its id.
    fn add_dead_letter(&self, letter: &DeadLetter, keep: u64) -> StorageResult<i64>;
    /// The newest `limit` dead letters, newest first.
    fn dead_letters(&self, limit: u64) -> StorageResult<Vec<DeadLetter>>;
}

/// Everything the service needs from a store.
pub trait Store:
    Catalog
    + RecordStore
    + TaskQueue
    + TagStore
    + UsageStore
    + ScheduleStore
    + AttributionStore
    + ExperimentStore
    + CollectStore
    + ChangeFeed
{
}
impl<T> Store for T where
    T: Catalog
        + RecordStore
        + TaskQueue
        + TagStore
        + UsageStore
        + ScheduleStore
        + AttributionStore
        + ExperimentStore
        + CollectStore
        + ChangeFeed
{
}

/// `now + lease` in epoch seconds.
pub(crate) fn lease_end(now: f64, lease: Lease) -> f64 {
    now + lease.as_secs_f64()
}

pub(crate) fn now_epoch() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as f64 / 1000.0)
        .unwrap_or(0.0)
}
