//! The embedded store has one process: no other process's changes to follow.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::SqliteStore;
use crate::{ChangeFeed, ChangeSink, StorageResult};

impl ChangeFeed for SqliteStore {
    fn watch_changes(&self, _sink: ChangeSink, _stop: Arc<AtomicBool>) -> StorageResult<bool> {
        // The data directory's database is this process's alone (one store per directory).
        Ok(false)
    }
}
