//! Dataset records in the PostgreSQL store.

use postgres::{GenericClient, Row};

use super::{apply_update, PgStore};
use crate::{
    now_epoch, Appended, ChunkRewrite, ChunkSource, ImportMode, KeyedChunk, RecordChunk, RecordSource, RecordStore,
    ResourceUpdate, StorageError, StorageResult,
};

/// Transaction-level advisory lock every transaction adding chunks holds ("reko-rec"): sequence
/// numbers are then given in commit order, as SQLite's single writer gives them, so a reader that
/// saw chunk `n` never later finds a smaller one committed (`read_records_after` relies on it).
const RECORDS_LOCK: i64 = 0x7265_6b6f_2d72_6563;

/// How many chunks `read_newest_records` fetches at a time (chunks are large; rows few).
const NEWEST_BATCH: i32 = 8;

fn lock_records(client: &mut impl GenericClient) -> StorageResult<()> {
    client.execute("SELECT pg_advisory_xact_lock($1)", &[&RECORDS_LOCK])?;
    Ok(())
}

fn parse_source(s: &str) -> RecordSource {
    if s == "put" {
        RecordSource::Put
    } else {
        RecordSource::Bulk
    }
}

/// A chunk from `seq, source, rows, data`.
fn chunk_from_row(row: &Row) -> StorageResult<RecordChunk> {
    let source: String = row.try_get(1)?;
    Ok(RecordChunk {
        seq: row.try_get(0)?,
        source: parse_source(&source),
        rows: row.try_get::<_, i64>(2)?.max(0) as u64,
        data: row.try_get(3)?,
    })
}

impl RecordStore for PgStore {
    fn commit_import(
        &self,
        dataset_arn: &str,
        mode: ImportMode,
        chunks: &mut ChunkSource<'_>,
        finish: &ResourceUpdate,
    ) -> StorageResult<()> {
        self.in_tx(|tx| {
            lock_records(tx)?;
            if mode == ImportMode::Full {
                tx.execute("DELETE FROM record_chunks WHERE dataset_arn = $1 AND source = 'bulk'", &[&dataset_arn])?;
            }
            let insert =
                tx.prepare("INSERT INTO record_chunks (dataset_arn, source, rows, data) VALUES ($1, 'bulk', $2, $3)")?;
            for chunk in chunks {
                let (rows, data) = chunk.map_err(StorageError::ChunkSource)?;
                tx.execute(&insert, &[&dataset_arn, &(rows as i64), &data])?;
            }
            apply_update(tx, finish)
        })
    }

    fn append_keyed_records(&self, chunks: &[KeyedChunk<'_>]) -> StorageResult<Vec<Appended>> {
        self.in_tx(|tx| {
            lock_records(tx)?;
            let insert = tx.prepare(
                "INSERT INTO record_chunks (dataset_arn, source, rows, data) VALUES ($1, $2, $3, $4) RETURNING seq",
            )?;
            let seen = tx.prepare("SELECT 1 FROM dedupe_keys WHERE dataset_arn = $1 AND dedupe_key = $2")?;
            let remember = tx.prepare(
                "INSERT INTO dedupe_keys (dataset_arn, dedupe_key, seen_at) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )?;
            let now = now_epoch() as i64;
            let mut out = Vec::with_capacity(chunks.len());
            for k in chunks {
                let c = &k.chunk;
                let mut duplicates = Vec::new();
                for key in k.dedupe_keys {
                    if tx.query_opt(&seen, &[&c.dataset_arn, key])?.is_some() {
                        duplicates.push(key.clone());
                    }
                }
                if !duplicates.is_empty() {
                    out.push(Appended::Duplicate(duplicates));
                    continue;
                }
                let row = tx.query_one(&insert, &[&c.dataset_arn, &c.source.as_str(), &(c.rows as i64), &c.data])?;
                out.push(Appended::Stored(row.try_get(0)?));
                for key in k.dedupe_keys {
                    tx.execute(&remember, &[&c.dataset_arn, key, &now])?;
                }
            }
            Ok(out)
        })
    }

    fn last_record_seq(&self, dataset_arn: &str) -> StorageResult<i64> {
        let row = self
            .conn()?
            .query_one("SELECT COALESCE(MAX(seq), 0) FROM record_chunks WHERE dataset_arn = $1", &[&dataset_arn])?;
        Ok(row.try_get(0)?)
    }

    fn read_records(&self, dataset_arn: &str) -> StorageResult<Vec<RecordChunk>> {
        let rows = self.conn()?.query(
            "SELECT seq, source, rows, data FROM record_chunks WHERE dataset_arn = $1 ORDER BY seq",
            &[&dataset_arn],
        )?;
        rows.iter().map(chunk_from_row).collect()
    }

    fn read_records_after(
        &self,
        dataset_arn: &str,
        source: RecordSource,
        after_seq: i64,
    ) -> StorageResult<Vec<RecordChunk>> {
        let rows = self.conn()?.query(
            "SELECT seq, source, rows, data FROM record_chunks WHERE dataset_arn = $1 AND source = $2 AND seq > $3 \
             ORDER BY seq",
            &[&dataset_arn, &source.as_str(), &after_seq],
        )?;
        rows.iter().map(chunk_from_row).collect()
    }

    fn read_newest_records(&self, dataset_arn: &str, min_rows: u64) -> StorageResult<Vec<RecordChunk>> {
        let (mut chunks, mut held) = (Vec::new(), 0u64);
        if min_rows == 0 {
            return Ok(chunks);
        }
        // A cursor (portal) read a few chunks at a time: the older chunks are never fetched.
        self.in_tx(|tx| {
            let portal = tx.bind(
                "SELECT seq, source, rows, data FROM record_chunks WHERE dataset_arn = $1 ORDER BY seq DESC",
                &[&dataset_arn],
            )?;
            while held < min_rows {
                let rows = tx.query_portal(&portal, NEWEST_BATCH)?;
                for row in &rows {
                    if held >= min_rows {
                        break;
                    }
                    let chunk = chunk_from_row(row)?;
                    held += chunk.rows;
                    chunks.push(chunk);
                }
                if rows.len() < NEWEST_BATCH as usize {
                    break;
                }
            }
            Ok(chunks)
        })
    }

    fn count_records(&self, dataset_arn: &str) -> StorageResult<u64> {
        let row = self.conn()?.query_one(
            "SELECT COALESCE(SUM(rows), 0)::BIGINT FROM record_chunks WHERE dataset_arn = $1",
            &[&dataset_arn],
        )?;
        Ok(row.try_get::<_, i64>(0)?.max(0) as u64)
    }

    fn delete_records(&self, dataset_arn: &str) -> StorageResult<()> {
        self.in_tx(|tx| {
            tx.execute("DELETE FROM record_chunks WHERE dataset_arn = $1", &[&dataset_arn])?;
            tx.execute("DELETE FROM dedupe_keys WHERE dataset_arn = $1", &[&dataset_arn])?;
            Ok(())
        })
    }

    fn rewrite_records(&self, rewrites: &[ChunkRewrite], finish: &ResourceUpdate) -> StorageResult<()> {
        self.in_tx(|tx| {
            let replace = tx.prepare("UPDATE record_chunks SET rows = $2, data = $3 WHERE seq = $1")?;
            let delete = tx.prepare("DELETE FROM record_chunks WHERE seq = $1")?;
            for rewrite in rewrites {
                match rewrite {
                    ChunkRewrite::Replace { seq, rows, data } => {
                        tx.execute(&replace, &[seq, &(*rows as i64), data])?;
                    }
                    ChunkRewrite::Delete { seq } => {
                        tx.execute(&delete, &[seq])?;
                    }
                }
            }
            apply_update(tx, finish)
        })
    }

    fn compact(&self) -> StorageResult<()> {
        // VACUUM FULL writes the table anew and removes its old files, where deleted rows' bytes
        // lingered. (The server's write-ahead log and its archives, if any, keep them until they
        // are recycled: docs/storage.md, "PostgreSQL".)
        self.conn()?.batch_execute("VACUUM FULL record_chunks")?;
        Ok(())
    }
}
