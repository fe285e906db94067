//! Event collection's state in the embedded store: dedupe keys' retention and dead letters.

use rusqlite::params;

use super::*;
use crate::{CollectStore, DeadLetter};

impl CollectStore for SqliteStore {
    fn prune_dedupe_keys(&self, before: i64) -> StorageResult<u64> {
        self.with(|conn| Ok(conn.execute("DELETE FROM dedupe_keys WHERE seen_at < ?1", params![before])? as u64))
    }

    fn add_dead_letter(&self, l: &DeadLetter, keep: u64) -> StorageResult<i64> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO dead_letters (at, source, dataset_group_arn, reason, detail, payload) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![l.at, l.source, l.dataset_group_arn, l.reason, l.detail, l.payload],
            )?;
            let id = tx.last_insert_rowid();
            // Ids increase, so the newest `keep` are those above `id - keep`.
            tx.execute("DELETE FROM dead_letters WHERE id <= ?1", params![id - keep as i64])?;
            tx.commit()?;
            Ok(id)
        })
    }

    fn dead_letters(&self, limit: u64) -> StorageResult<Vec<DeadLetter>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, at, source, dataset_group_arn, reason, detail, payload FROM dead_letters \
                 ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map(params![limit as i64], |row| {
                Ok(DeadLetter {
                    id: row.get(0)?,
                    at: row.get(1)?,
                    source: row.get(2)?,
                    dataset_group_arn: row.get(3)?,
                    reason: row.get(4)?,
                    detail: row.get(5)?,
                    payload: row.get(6)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}
