//! The change feed: what other processes sharing the store committed, so each process's
//! in-memory serving state (real-time events, loaded models, compiled filters) follows them
//! (docs/cluster.md, "Real time across replicas").

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::StorageResult;

/// A change another process committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Chunks were appended to a dataset's records (read them after the last one seen).
    Records { dataset_arn: String },
    /// A resource was created, updated or deleted (re-read it: this says only which).
    Resource { arn: String, kind: String, dataset_group_arn: Option<String>, deleted: bool },
    /// Changes may have been missed (the feed's connection was lost and made again, or a
    /// notification never came): everything held should be checked against the store.
    Resync,
}

/// Receives the changes, a batch at a time (duplicates within a batch removed), on the feed's
/// own thread.
pub type ChangeSink = Box<dyn FnMut(Vec<Change>) + Send>;

pub trait ChangeFeed: Send + Sync {
    /// Starts delivering the changes other processes commit to `sink` until `stop` is set.
    /// False when no other process writes to this store (SQLite): nothing is delivered.
    fn watch_changes(&self, sink: ChangeSink, stop: Arc<AtomicBool>) -> StorageResult<bool>;
}
