//! The embedded store: one SQLite database in WAL mode in the data directory.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use crate::{
    now_epoch, Appended, AttributionStore, AttributionValue, Catalog, ChunkRewrite, ChunkSource, ExperimentConversion,
    ExperimentExposure, ExperimentStore, ImportMode, KeyedChunk, RecordChunk, RecordSource, RecordStore,
    ResourceRecord, ResourceUpdate, StorageError, StorageResult, TagStore, Task, TaskKind, TaskQueue, TaskState,
    UsageStore, UsageWindow,
};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS resources (
    arn TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    unique_name INTEGER NOT NULL,
    parent_arn TEXT,
    dataset_group_arn TEXT,
    status TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    doc TEXT NOT NULL
);
-- Names are unique per account through the ARN (the primary key): a tenant's account has names of
-- its own. (An index over names alone made them unique across accounts.)
DROP INDEX IF EXISTS resources_unique_name;
CREATE INDEX IF NOT EXISTS resources_kind ON resources(kind, created);
CREATE INDEX IF NOT EXISTS resources_parent ON resources(parent_arn);
CREATE TABLE IF NOT EXISTS record_chunks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_arn TEXT NOT NULL,
    source TEXT NOT NULL,
    rows INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS record_chunks_dataset ON record_chunks(dataset_arn, seq);
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    resource_arn TEXT NOT NULL,
    state TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    owner TEXT,
    lease_expires REAL
);
CREATE INDEX IF NOT EXISTS tasks_state ON tasks(state, id);
CREATE TABLE IF NOT EXISTS resource_tags (
    arn TEXT NOT NULL,
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (arn, tag_key)
);
-- Runtime requests per campaign and 5-minute window (docs/usage.md).
CREATE TABLE IF NOT EXISTS campaign_usage (
    campaign_arn TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    dataset_group_arn TEXT,
    requests INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    min_provisioned_tps INTEGER NOT NULL,
    PRIMARY KEY (campaign_arn, window_start)
);
CREATE INDEX IF NOT EXISTS campaign_usage_window ON campaign_usage(window_start);
-- Due work (automatic training, ...): when each resource's work of a kind is next due.
CREATE TABLE IF NOT EXISTS schedule (
    resource_arn TEXT NOT NULL,
    kind TEXT NOT NULL,
    due_at REAL NOT NULL,
    PRIMARY KEY (resource_arn, kind)
);
CREATE INDEX IF NOT EXISTS schedule_due ON schedule(due_at);
-- Attributed event metrics per metric attribution, metric, source and 15-minute window.
CREATE TABLE IF NOT EXISTS attribution_values (
    metric_attribution_arn TEXT NOT NULL,
    metric_name TEXT NOT NULL,
    source TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    value REAL NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (metric_attribution_arn, metric_name, source, window_start)
);
-- A/B experiments: requests per experiment, arm and user (a user id or a session id).
CREATE TABLE IF NOT EXISTS experiment_exposures (
    experiment_arn TEXT NOT NULL,
    arm INTEGER NOT NULL,
    user_key TEXT NOT NULL,
    requests INTEGER NOT NULL,
    first_seen REAL NOT NULL,
    PRIMARY KEY (experiment_arn, arm, user_key)
);
-- Events carrying an arm's recommendation id, per experiment, arm, user and event type.
CREATE TABLE IF NOT EXISTS experiment_conversions (
    experiment_arn TEXT NOT NULL,
    arm INTEGER NOT NULL,
    user_key TEXT NOT NULL,
    event_type TEXT NOT NULL,
    events INTEGER NOT NULL,
    value_sum REAL NOT NULL,
    impressions INTEGER NOT NULL,
    first_at REAL NOT NULL,
    PRIMARY KEY (experiment_arn, arm, user_key, event_type)
);
-- Event collection's idempotency keys (a Segment messageId, a NATS event id) per dataset, written
-- in the transaction of their records; pruned after the retention window (docs/event-collection.md).
CREATE TABLE IF NOT EXISTS dedupe_keys (
    dataset_arn TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (dataset_arn, dedupe_key)
);
CREATE INDEX IF NOT EXISTS dedupe_keys_seen ON dedupe_keys(seen_at);
-- Collected events refused, newest kept (docs/event-collection.md, "Dead letters").
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    source TEXT NOT NULL,
    dataset_group_arn TEXT,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    payload TEXT NOT NULL
);
"#;

/// SQLite-backed [`crate::Store`]. WAL mode with `synchronous=FULL`: a commit survives a crash or
/// power loss, and readers never see a half-applied transaction.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    pub fn open(path: &Path) -> StorageResult<SqliteStore> {
        owner_only(path);
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // SQLite gives the -wal and -shm files the database's mode; made sure of here.
        owner_only(path);
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(SCHEMA)?;
        tasks::upgrade(&conn)?;
        Ok(SqliteStore { conn: Mutex::new(conn) })
    }

    /// Opens an existing database for reading only (`reko usage` beside a running server: WAL
    /// readers never block the writer, nor the writer them). Creates nothing; a missing database
    /// is an error. Its tables are as the server left them: open it once with [`Self::open`]
    /// (any server start does) before reading usage from an older data directory.
    pub fn open_read_only(path: &Path) -> StorageResult<SqliteStore> {
        use rusqlite::OpenFlags;
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        Ok(SqliteStore { conn: Mutex::new(conn) })
    }

    /// A private in-memory store, for tests.
    pub fn open_in_memory() -> StorageResult<SqliteStore> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(SCHEMA)?;
        tasks::upgrade(&conn)?;
        Ok(SqliteStore { conn: Mutex::new(conn) })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> StorageResult<T>) -> StorageResult<T> {
        // A poisoned lock only means another thread panicked mid-call; SQLite rolled back its
        // transaction, so the connection is still consistent.
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn)
    }
}

/// The database file and its `-wal` / `-shm` companions readable by their owner only (0600 on
/// unix): the database is created that way, and files found with more are tightened. Best
/// effort: opening the database reports real problems.
fn owner_only(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let _ = std::fs::OpenOptions::new().write(true).create(true).truncate(false).mode(0o600).open(path);
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.as_os_str().to_os_string();
            name.push(suffix);
            let file = std::path::PathBuf::from(name);
            if let Ok(meta) = std::fs::metadata(&file) {
                if meta.permissions().mode() & 0o077 != 0 {
                    let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600));
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn resource_from_row(row: &Row<'_>) -> rusqlite::Result<(ResourceRecord, String)> {
    let doc: String = row.get(9)?;
    Ok((
        ResourceRecord {
            arn: row.get(0)?,
            kind: row.get(1)?,
            name: row.get(2)?,
            unique_name: row.get::<_, i64>(3)? != 0,
            parent_arn: row.get(4)?,
            dataset_group_arn: row.get(5)?,
            status: row.get(6)?,
            created: row.get(7)?,
            doc: serde_json::Value::Null,
        },
        doc,
    ))
}

const RESOURCE_COLUMNS: &str =
    "arn, kind, name, unique_name, parent_arn, dataset_group_arn, status, created, updated, doc";

fn collect_resources(
    stmt: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
) -> StorageResult<Vec<ResourceRecord>> {
    let rows = stmt.query_map(params, resource_from_row)?;
    let mut out = Vec::new();
    for row in rows {
        let (mut record, doc) = row?;
        record.doc = parse_doc(&record.arn, &doc)?;
        out.push(record);
    }
    Ok(out)
}

fn parse_doc(arn: &str, doc: &str) -> StorageResult<serde_json::Value> {
    serde_json::from_str(doc).map_err(|e| StorageError::CorruptDocument { arn: arn.to_string(), reason: e.to_string() })
}

fn apply_update(tx: &Transaction<'_>, update: &ResourceUpdate) -> StorageResult<()> {
    if let Some(expected) = &update.expected_status {
        let found: Option<String> = tx
            .query_row("SELECT status FROM resources WHERE arn = ?1", params![update.arn], |row| row.get(0))
            .optional()?;
        match found {
            None => return Err(StorageError::NotFound(update.arn.clone())),
            Some(found) if &found != expected => {
                return Err(StorageError::Conflict { arn: update.arn.clone(), expected: expected.clone(), found })
            }
            Some(_) => {}
        }
    }
    let changed = tx.execute(
        "UPDATE resources SET status = ?2, doc = ?3, updated = ?4 WHERE arn = ?1",
        params![update.arn, update.status, update.doc.to_string(), now_epoch()],
    )?;
    if changed == 0 {
        return Err(StorageError::NotFound(update.arn.clone()));
    }
    Ok(())
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(err, _) if err.code == rusqlite::ErrorCode::ConstraintViolation)
}

fn insert(conn: &Connection, r: &ResourceRecord) -> StorageResult<()> {
    let result = conn.execute(
        &format!("INSERT INTO resources ({RESOURCE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)"),
        params![
            r.arn,
            r.kind,
            r.name,
            r.unique_name as i64,
            r.parent_arn,
            r.dataset_group_arn,
            r.status,
            r.created,
            r.doc.to_string()
        ],
    );
    match result {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => {
            Err(StorageError::AlreadyExists { kind: r.kind.clone(), name: r.name.clone() })
        }
        Err(e) => Err(e.into()),
    }
}

fn enqueue(conn: &Connection, kind: TaskKind, resource_arn: &str) -> StorageResult<i64> {
    let now = now_epoch();
    conn.execute(
        "INSERT INTO tasks (kind, resource_arn, state, created, updated) VALUES (?1, ?2, 'queued', ?3, ?3)",
        params![kind.as_str(), resource_arn, now],
    )?;
    Ok(conn.last_insert_rowid())
}

impl Catalog for SqliteStore {
    fn insert_resource(&self, r: &ResourceRecord) -> StorageResult<()> {
        self.with(|conn| insert(conn, r))
    }

    fn get_resource(&self, arn: &str) -> StorageResult<Option<ResourceRecord>> {
        self.with(|conn| {
            let found = conn
                .query_row(
                    &format!("SELECT {RESOURCE_COLUMNS} FROM resources WHERE arn = ?1"),
                    params![arn],
                    resource_from_row,
                )
                .optional()?;
            match found {
                None => Ok(None),
                Some((mut record, doc)) => {
                    record.doc = parse_doc(&record.arn, &doc)?;
                    Ok(Some(record))
                }
            }
        })
    }

    fn update_resource(&self, update: &ResourceUpdate) -> StorageResult<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            apply_update(&tx, update)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn delete_resource(&self, arn: &str) -> StorageResult<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM resources WHERE arn = ?1", params![arn])?;
            tx.execute("DELETE FROM resource_tags WHERE arn = ?1", params![arn])?;
            tx.execute("DELETE FROM schedule WHERE resource_arn = ?1", params![arn])?;
            tx.commit()?;
            Ok(())
        })
    }

    fn list_resources(&self, kind: &str, parent_arn: Option<&str>) -> StorageResult<Vec<ResourceRecord>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {RESOURCE_COLUMNS} FROM resources WHERE kind = ?1 AND (?2 IS NULL OR parent_arn = ?2)
                 ORDER BY created DESC, arn ASC"
            ))?;
            collect_resources(&mut stmt, params![kind, parent_arn])
        })
    }

    fn children(&self, parent_arn: &str) -> StorageResult<Vec<ResourceRecord>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {RESOURCE_COLUMNS} FROM resources WHERE parent_arn = ?1 ORDER BY created DESC, arn ASC"
            ))?;
            collect_resources(&mut stmt, params![parent_arn])
        })
    }

    fn resources_in_status(&self, kind: &str, statuses: &[&str]) -> StorageResult<Vec<ResourceRecord>> {
        let mut out = Vec::new();
        for status in statuses {
            self.with(|conn| {
                let mut stmt = conn.prepare_cached(&format!(
                    "SELECT {RESOURCE_COLUMNS} FROM resources WHERE kind = ?1 AND status = ?2 ORDER BY created"
                ))?;
                out.extend(collect_resources(&mut stmt, params![kind, status])?);
                Ok(())
            })?;
        }
        Ok(out)
    }
}

impl RecordStore for SqliteStore {
    fn commit_import(
        &self,
        dataset_arn: &str,
        mode: ImportMode,
        chunks: &mut ChunkSource<'_>,
        finish: &ResourceUpdate,
    ) -> StorageResult<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            if mode == ImportMode::Full {
                tx.execute(
                    "DELETE FROM record_chunks WHERE dataset_arn = ?1 AND source = 'bulk'",
                    params![dataset_arn],
                )?;
            }
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO record_chunks (dataset_arn, source, rows, data) VALUES (?1, 'bulk', ?2, ?3)",
                )?;
                for chunk in chunks {
                    let (rows, data) = chunk.map_err(StorageError::ChunkSource)?;
                    insert.execute(params![dataset_arn, rows as i64, data])?;
                }
            }
            apply_update(&tx, finish)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn append_keyed_records(&self, chunks: &[KeyedChunk<'_>]) -> StorageResult<Vec<Appended>> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let mut out = Vec::with_capacity(chunks.len());
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO record_chunks (dataset_arn, source, rows, data) VALUES (?1, ?2, ?3, ?4)",
                )?;
                let mut seen =
                    tx.prepare_cached("SELECT 1 FROM dedupe_keys WHERE dataset_arn = ?1 AND dedupe_key = ?2")?;
                let mut remember = tx.prepare_cached(
                    "INSERT OR IGNORE INTO dedupe_keys (dataset_arn, dedupe_key, seen_at) VALUES (?1, ?2, ?3)",
                )?;
                let now = now_epoch() as i64;
                for k in chunks {
                    let c = &k.chunk;
                    let mut duplicates = Vec::new();
                    for key in k.dedupe_keys {
                        if seen.exists(params![c.dataset_arn, key])? {
                            duplicates.push(key.clone());
                        }
                    }
                    if !duplicates.is_empty() {
                        out.push(Appended::Duplicate(duplicates));
                        continue;
                    }
                    insert.execute(params![c.dataset_arn, c.source.as_str(), c.rows as i64, c.data])?;
                    out.push(Appended::Stored(tx.last_insert_rowid()));
                    for key in k.dedupe_keys {
                        remember.execute(params![c.dataset_arn, key, now])?;
                    }
                }
            }
            tx.commit()?;
            Ok(out)
        })
    }

    fn last_record_seq(&self, dataset_arn: &str) -> StorageResult<i64> {
        self.with(|conn| {
            Ok(conn.query_row(
                "SELECT COALESCE(MAX(seq), 0) FROM record_chunks WHERE dataset_arn = ?1",
                params![dataset_arn],
                |row| row.get(0),
            )?)
        })
    }

    fn read_records(&self, dataset_arn: &str) -> StorageResult<Vec<RecordChunk>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT seq, source, rows, data FROM record_chunks WHERE dataset_arn = ?1 ORDER BY seq",
            )?;
            let rows = stmt.query_map(params![dataset_arn], |row| {
                let source: String = row.get(1)?;
                Ok(RecordChunk {
                    seq: row.get(0)?,
                    source: if source == "put" { RecordSource::Put } else { RecordSource::Bulk },
                    rows: row.get::<_, i64>(2)? as u64,
                    data: row.get(3)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn read_newest_records(&self, dataset_arn: &str, min_rows: u64) -> StorageResult<Vec<RecordChunk>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT seq, source, rows, data FROM record_chunks WHERE dataset_arn = ?1 ORDER BY seq DESC",
            )?;
            let mut rows = stmt.query(params![dataset_arn])?;
            let (mut chunks, mut held) = (Vec::new(), 0u64);
            // Rows are read one at a time: the older chunks are never fetched.
            while held < min_rows {
                let Some(row) = rows.next()? else { break };
                let source: String = row.get(1)?;
                let chunk = RecordChunk {
                    seq: row.get(0)?,
                    source: if source == "put" { RecordSource::Put } else { RecordSource::Bulk },
                    rows: row.get::<_, i64>(2)? as u64,
                    data: row.get(3)?,
                };
                held += chunk.rows;
                chunks.push(chunk);
            }
            Ok(chunks)
        })
    }

    fn read_records_after(
        &self,
        dataset_arn: &str,
        source: RecordSource,
        after_seq: i64,
    ) -> StorageResult<Vec<RecordChunk>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT seq, rows, data FROM record_chunks WHERE dataset_arn = ?1 AND source = ?2 AND seq > ?3 \
                 ORDER BY seq",
            )?;
            let rows = stmt.query_map(params![dataset_arn, source.as_str(), after_seq], |row| {
                Ok(RecordChunk { seq: row.get(0)?, source, rows: row.get::<_, i64>(1)? as u64, data: row.get(2)? })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn count_records(&self, dataset_arn: &str) -> StorageResult<u64> {
        self.with(|conn| {
            let n: i64 = conn.query_row(
                "SELECT COALESCE(SUM(rows), 0) FROM record_chunks WHERE dataset_arn = ?1",
                params![dataset_arn],
                |row| row.get(0),
            )?;
            Ok(n as u64)
        })
    }

    fn delete_records(&self, dataset_arn: &str) -> StorageResult<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM record_chunks WHERE dataset_arn = ?1", params![dataset_arn])?;
            tx.execute("DELETE FROM dedupe_keys WHERE dataset_arn = ?1", params![dataset_arn])?;
            tx.commit()?;
            Ok(())
        })
    }

    fn rewrite_records(&self, rewrites: &[ChunkRewrite], finish: &ResourceUpdate) -> StorageResult<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            {
                let mut replace = tx.prepare_cached("UPDATE record_chunks SET rows = ?2, data = ?3 WHERE seq = ?1")?;
                let mut delete = tx.prepare_cached("DELETE FROM record_chunks WHERE seq = ?1")?;
                for rewrite in rewrites {
                    match rewrite {
                        ChunkRewrite::Replace { seq, rows, data } => {
                            replace.execute(params![seq, *rows as i64, data])?;
                        }
                        ChunkRewrite::Delete { seq } => {
                            delete.execute(params![seq])?;
                        }
                    }
                }
            }
            apply_update(&tx, finish)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn compact(&self) -> StorageResult<()> {
        self.with(|conn| {
            // VACUUM rebuilds every page (free pages holding deleted rows are gone); the
            // checkpoint copies the log into the database and truncates the log to zero bytes.
            conn.execute_batch("VACUUM;")?;
            let (busy, _, _): (i64, i64, i64) =
                conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            if busy != 0 {
                return Err(StorageError::Busy("the write-ahead log could not be checkpointed and truncated".into()));
            }
            Ok(())
        })
    }
}

impl TagStore for SqliteStore {
    fn tags(&self, arn: &str) -> StorageResult<Vec<(String, String)>> {
        self.with(|conn| {
            let mut stmt =
                conn.prepare_cached("SELECT tag_key, tag_value FROM resource_tags WHERE arn = ?1 ORDER BY tag_key")?;
            let rows = stmt.query_map(params![arn], |row| Ok((row.get(0)?, row.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn set_tags(&self, arn: &str, tags: &[(String, String)]) -> StorageResult<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM resource_tags WHERE arn = ?1", params![arn])?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR REPLACE INTO resource_tags (arn, tag_key, tag_value) VALUES (?1, ?2, ?3)",
                )?;
                for (key, value) in tags {
                    insert.execute(params![arn, key, value])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }
}

mod attribution;
mod changes;
mod collect;
mod experiments;
mod schedule;
mod tasks;
mod usage;

#[cfg(test)]
mod tests;
