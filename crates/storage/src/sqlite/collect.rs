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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Appended, KeyedChunk, NewChunk};

    fn chunk<'a>(ds: &'a str, data: &'a [u8], keys: &'a [String]) -> KeyedChunk<'a> {
        KeyedChunk { chunk: NewChunk { dataset_arn: ds, source: RecordSource::Put, rows: 1, data }, dedupe_keys: keys }
    }

    #[test]
    fn a_chunk_with_a_seen_key_is_skipped_whole_in_the_same_transaction() {
        let store = SqliteStore::open_in_memory().unwrap();
        let (a, ab, c) = (vec!["a".to_string()], vec!["a".to_string(), "b".to_string()], vec!["c".to_string()]);
        let out = store
            .append_keyed_records(&[chunk("ds", b"1", &a), chunk("ds", b"2", &ab), chunk("other", b"3", &a)])
            .unwrap();
        assert!(matches!(out[0], Appended::Stored(_)));
        // Seen by the first chunk of the same call: nothing of the second is stored, not even "b".
        assert_eq!(out[1], Appended::Duplicate(vec!["a".to_string()]));
        // Keys are per dataset.
        assert!(matches!(out[2], Appended::Stored(_)));
        let out = store.append_keyed_records(&[chunk("ds", b"4", &ab), chunk("ds", b"5", &c)]).unwrap();
        assert_eq!(out[0], Appended::Duplicate(vec!["a".to_string()]));
        assert!(matches!(out[1], Appended::Stored(_)));
        let data: Vec<Vec<u8>> = store.read_records("ds").unwrap().into_iter().map(|c| c.data).collect();
        assert_eq!(data, vec![b"1".to_vec(), b"5".to_vec()]);
    }

    #[test]
    fn pruned_and_deleted_keys_are_forgotten() {
        let store = SqliteStore::open_in_memory().unwrap();
        let a = vec!["a".to_string()];
        store.append_keyed_records(&[chunk("ds", b"1", &a), chunk("other", b"1", &a)]).unwrap();
        assert_eq!(store.prune_dedupe_keys(0).unwrap(), 0);
        store.delete_records("ds").unwrap();
        assert!(matches!(store.append_keyed_records(&[chunk("ds", b"2", &a)]).unwrap()[0], Appended::Stored(_)));
        assert_eq!(store.prune_dedupe_keys(now_epoch() as i64 + 1).unwrap(), 2);
        assert!(matches!(store.append_keyed_records(&[chunk("other", b"2", &a)]).unwrap()[0], Appended::Stored(_)));
    }

    #[test]
    fn dead_letters_keep_the_newest() {
        let store = SqliteStore::open_in_memory().unwrap();
        for i in 0..5 {
            let letter = DeadLetter {
                id: 0,
                at: i as f64,
                source: "web".into(),
                dataset_group_arn: None,
                reason: "invalid_event".into(),
                detail: format!("event {i}"),
                payload: "{}".into(),
            };
            store.add_dead_letter(&letter, 3).unwrap();
        }
        let details: Vec<String> = store.dead_letters(10).unwrap().into_iter().map(|l| l.detail).collect();
        assert_eq!(details, ["event 4", "event 3", "event 2"]);
        assert_eq!(store.dead_letters(1).unwrap().len(), 1);
    }
}
