//! The embedded store: one SQLite database in WAL mode in the data directory.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use crate::{
    now_epoch, Catalog, ChunkSource, ImportMode, NewChunk, RecordChunk, RecordSource, RecordStore, ResourceRecord,
    ResourceUpdate, StorageError, StorageResult, TagStore, Task, TaskQueue, TaskState, UsageStore, UsageWindow,
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
    updated REAL NOT NULL
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

fn enqueue(conn: &Connection, kind: &str, resource_arn: &str) -> StorageResult<i64> {
    let now = now_epoch();
    conn.execute(
        "INSERT INTO tasks (kind, resource_arn, state, created, updated) VALUES (?1, ?2, 'queued', ?3, ?3)",
        params![kind, resource_arn, now],
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
                    let (rows, data) = chunk.map_err(StorageError::Backend)?;
                    insert.execute(params![dataset_arn, rows as i64, data])?;
                }
            }
            apply_update(&tx, finish)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn append_records(&self, chunks: &[NewChunk<'_>]) -> StorageResult<Vec<i64>> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let mut seqs = Vec::with_capacity(chunks.len());
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO record_chunks (dataset_arn, source, rows, data) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for c in chunks {
                    insert.execute(params![c.dataset_arn, c.source.as_str(), c.rows as i64, c.data])?;
                    seqs.push(tx.last_insert_rowid());
                }
            }
            tx.commit()?;
            Ok(seqs)
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
            conn.execute("DELETE FROM record_chunks WHERE dataset_arn = ?1", params![dataset_arn])?;
            Ok(())
        })
    }
}

fn task_from_row(row: &Row<'_>) -> rusqlite::Result<Task> {
    let state: String = row.get(3)?;
    Ok(Task {
        id: row.get(0)?,
        kind: row.get(1)?,
        resource_arn: row.get(2)?,
        state: TaskState::parse(&state),
        progress: row.get(4)?,
        detail: row.get(5)?,
        attempts: row.get(6)?,
        created: row.get(7)?,
        updated: row.get(8)?,
    })
}

const TASK_COLUMNS: &str = "id, kind, resource_arn, state, progress, detail, attempts, created, updated";

impl TaskQueue for SqliteStore {
    fn enqueue_task(&self, kind: &str, resource_arn: &str) -> StorageResult<i64> {
        self.with(|conn| enqueue(conn, kind, resource_arn))
    }

    fn insert_resource_with_task(&self, record: &ResourceRecord, task_kind: &str) -> StorageResult<i64> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            insert(&tx, record)?;
            let id = enqueue(&tx, task_kind, &record.arn)?;
            tx.commit()?;
            Ok(id)
        })
    }

    fn update_resource_with_task(&self, update: &ResourceUpdate, task_kind: &str) -> StorageResult<i64> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            apply_update(&tx, update)?;
            let id = enqueue(&tx, task_kind, &update.arn)?;
            tx.commit()?;
            Ok(id)
        })
    }

    fn claim_task(&self) -> StorageResult<Option<Task>> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let task = tx
                .query_row(
                    &format!("SELECT {TASK_COLUMNS} FROM tasks WHERE state = 'queued' ORDER BY id LIMIT 1"),
                    [],
                    task_from_row,
                )
                .optional()?;
            let Some(mut task) = task else { return Ok(None) };
            let now = now_epoch();
            tx.execute(
                "UPDATE tasks SET state = 'running', attempts = attempts + 1, updated = ?2 WHERE id = ?1",
                params![task.id, now],
            )?;
            tx.commit()?;
            task.state = TaskState::Running;
            task.attempts += 1;
            task.updated = now;
            Ok(Some(task))
        })
    }

    fn report_progress(&self, id: i64, progress: f64, detail: &str) -> StorageResult<()> {
        self.with(|conn| {
            conn.execute(
                "UPDATE tasks SET progress = ?2, detail = ?3, updated = ?4 WHERE id = ?1",
                params![id, progress, detail, now_epoch()],
            )?;
            Ok(())
        })
    }

    fn finish_task(
        &self,
        id: i64,
        state: TaskState,
        detail: &str,
        update: Option<&ResourceUpdate>,
    ) -> StorageResult<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            if let Some(update) = update {
                apply_update(&tx, update)?;
            }
            let progress = if state == TaskState::Succeeded { 1.0 } else { -1.0 };
            tx.execute(
                "UPDATE tasks SET state = ?2, detail = ?3, updated = ?4,
                 progress = CASE WHEN ?5 >= 0 THEN ?5 ELSE progress END WHERE id = ?1",
                params![id, state.as_str(), detail, now_epoch(), progress],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn requeue_interrupted(&self) -> StorageResult<Vec<Task>> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let tasks = {
                let mut stmt =
                    tx.prepare(&format!("SELECT {TASK_COLUMNS} FROM tasks WHERE state = 'running' ORDER BY id"))?;
                let rows = stmt.query_map([], task_from_row)?;
                rows.collect::<Result<Vec<_>, _>>()?
            };
            tx.execute(
                "UPDATE tasks SET state = 'queued', updated = ?1 WHERE state = 'running'",
                params![now_epoch()],
            )?;
            tx.commit()?;
            Ok(tasks)
        })
    }

    fn requeue_task(&self, id: i64) -> StorageResult<()> {
        self.with(|conn| {
            conn.execute(
                "UPDATE tasks SET state = 'queued', attempts = MAX(attempts - 1, 0), updated = ?2 WHERE id = ?1",
                params![id, now_epoch()],
            )?;
            Ok(())
        })
    }

    fn list_tasks(&self) -> StorageResult<Vec<Task>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(&format!("SELECT {TASK_COLUMNS} FROM tasks ORDER BY id"))?;
            let rows = stmt.query_map([], task_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
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

impl UsageStore for SqliteStore {
    fn add_usage(&self, windows: &[UsageWindow], prune_before: i64) -> StorageResult<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            {
                let mut upsert = tx.prepare_cached(
                    "INSERT INTO campaign_usage \
                     (campaign_arn, window_start, dataset_group_arn, requests, errors, min_provisioned_tps) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                     ON CONFLICT (campaign_arn, window_start) DO UPDATE SET \
                     requests = requests + excluded.requests, errors = errors + excluded.errors, \
                     min_provisioned_tps = MAX(min_provisioned_tps, excluded.min_provisioned_tps), \
                     dataset_group_arn = COALESCE(excluded.dataset_group_arn, dataset_group_arn)",
                )?;
                for w in windows {
                    upsert.execute(params![
                        w.campaign_arn,
                        w.window_start,
                        w.dataset_group_arn,
                        w.requests as i64,
                        w.errors as i64,
                        w.min_provisioned_tps
                    ])?;
                }
            }
            tx.execute("DELETE FROM campaign_usage WHERE window_start < ?1", params![prune_before])?;
            tx.commit()?;
            Ok(())
        })
    }

    fn usage_windows(&self, since: i64) -> StorageResult<Vec<UsageWindow>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT campaign_arn, dataset_group_arn, window_start, requests, errors, min_provisioned_tps \
                 FROM campaign_usage WHERE window_start >= ?1 ORDER BY campaign_arn, window_start",
            )?;
            let rows = stmt.query_map(params![since], |row| {
                Ok(UsageWindow {
                    campaign_arn: row.get(0)?,
                    dataset_group_arn: row.get(1)?,
                    window_start: row.get(2)?,
                    requests: row.get::<_, i64>(3)?.max(0) as u64,
                    errors: row.get::<_, i64>(4)?.max(0) as u64,
                    min_provisioned_tps: row.get(5)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn resource(arn: &str, kind: &str, name: &str) -> ResourceRecord {
        ResourceRecord {
            arn: arn.into(),
            kind: kind.into(),
            name: name.into(),
            unique_name: true,
            parent_arn: None,
            dataset_group_arn: None,
            status: "CREATE PENDING".into(),
            created: now_epoch(),
            doc: json!({"name": name}),
        }
    }

    #[test]
    fn names_are_unique_through_their_arn() {
        let store = SqliteStore::open_in_memory().unwrap();
        let acct = |account: &str, name: &str| format!("arn:aws:personalize:us-east-1:{account}:schema/{name}");
        store.insert_resource(&resource(&acct("111111111111", "x"), "schema", "x")).unwrap();
        let err = store.insert_resource(&resource(&acct("111111111111", "x"), "schema", "x")).unwrap_err();
        assert!(matches!(err, StorageError::AlreadyExists { .. }), "{err}");
        // The same name in another account is another resource.
        store.insert_resource(&resource(&acct("222222222222", "x"), "schema", "x")).unwrap();
        assert_eq!(store.list_resources("schema", None).unwrap().len(), 2);
    }

    #[test]
    fn an_index_of_names_across_accounts_is_dropped_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reko.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE resources (arn TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, \
                 unique_name INTEGER NOT NULL, parent_arn TEXT, dataset_group_arn TEXT, status TEXT NOT NULL, \
                 created REAL NOT NULL, updated REAL NOT NULL, doc TEXT NOT NULL); \
                 CREATE UNIQUE INDEX resources_unique_name ON resources(kind, name) WHERE unique_name = 1;",
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        store.insert_resource(&resource("arn:aws:personalize:us-east-1:1:schema/x", "schema", "x")).unwrap();
        store.insert_resource(&resource("arn:aws:personalize:us-east-1:2:schema/x", "schema", "x")).unwrap();
    }

    #[test]
    fn records_after_a_sequence_number_by_source() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("reko.db")).unwrap();
        let seqs = store
            .append_records(&[
                NewChunk { dataset_arn: "ds", source: RecordSource::Put, rows: 1, data: b"p1" },
                NewChunk { dataset_arn: "ds", source: RecordSource::Bulk, rows: 1, data: b"b1" },
                NewChunk { dataset_arn: "other", source: RecordSource::Put, rows: 1, data: b"x" },
                NewChunk { dataset_arn: "ds", source: RecordSource::Put, rows: 1, data: b"p2" },
            ])
            .unwrap();
        let all: Vec<Vec<u8>> =
            store.read_records_after("ds", RecordSource::Put, 0).unwrap().into_iter().map(|c| c.data).collect();
        assert_eq!(all, [b"p1".to_vec(), b"p2".to_vec()]);
        let tail = store.read_records_after("ds", RecordSource::Put, seqs[0]).unwrap();
        assert_eq!((tail.len(), tail[0].seq), (1, seqs[3]));
    }

    #[test]
    fn import_commit_is_atomic_and_full_replaces_bulk_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("reko.db")).unwrap();
        store.insert_resource(&resource("job:1", "dataset-import-job", "j1")).unwrap();
        let seqs = store
            .append_records(&[
                NewChunk { dataset_arn: "ds", source: RecordSource::Put, rows: 1, data: b"put" },
                NewChunk { dataset_arn: "other", source: RecordSource::Put, rows: 1, data: b"x" },
            ])
            .unwrap();
        assert!(seqs[1] > seqs[0]);
        assert_eq!(store.last_record_seq("ds").unwrap(), seqs[0]);
        assert_eq!(store.last_record_seq("none").unwrap(), 0);
        let finish =
            ResourceUpdate { arn: "job:1".into(), status: "ACTIVE".into(), doc: json!({}), expected_status: None };
        let mut chunks = vec![(2, b"a".to_vec()), (3, b"b".to_vec())].into_iter().map(Ok);
        store.commit_import("ds", ImportMode::Full, &mut chunks, &finish).unwrap();
        assert_eq!(store.count_records("ds").unwrap(), 6);
        store.commit_import("ds", ImportMode::Full, &mut [Ok((4, b"c".to_vec()))].into_iter(), &finish).unwrap();
        let chunks = store.read_records("ds").unwrap();
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].source, RecordSource::Put);
        assert_eq!(chunks[1].data, b"c");
        // A failing finish update (unknown job) rolls the whole import back.
        let bad =
            ResourceUpdate { arn: "job:404".into(), status: "ACTIVE".into(), doc: json!({}), expected_status: None };
        assert!(store
            .commit_import("ds", ImportMode::Incremental, &mut [Ok((9, b"z".to_vec()))].into_iter(), &bad)
            .is_err());
        assert_eq!(store.count_records("ds").unwrap(), 5);
        // So does a chunk source that fails midway (a staging file that cannot be read back),
        // after chunks were already inserted: none of them is visible.
        let mut failing =
            [Ok((7, b"y".to_vec())), Ok((8, b"w".to_vec())), Err("staging file truncated".to_string())].into_iter();
        let e = store.commit_import("ds", ImportMode::Full, &mut failing, &finish).unwrap_err();
        assert!(e.to_string().contains("staging file truncated"), "{e}");
        let chunks = store.read_records("ds").unwrap();
        assert_eq!(chunks.iter().map(|c| c.data.as_slice()).collect::<Vec<_>>(), [b"put".as_slice(), b"c"]);
        assert_eq!(store.get_resource("job:1").unwrap().unwrap().status, "ACTIVE");
    }

    #[test]
    fn optimistic_updates_detect_concurrent_changes() {
        let store = SqliteStore::open_in_memory().unwrap();
        store.insert_resource(&resource("r:1", "campaign", "c")).unwrap();
        let update = |status: &str, expected: &str| ResourceUpdate {
            arn: "r:1".into(),
            status: status.into(),
            doc: json!({"status": status}),
            expected_status: Some(expected.into()),
        };
        store.update_resource(&update("CREATE IN_PROGRESS", "CREATE PENDING")).unwrap();
        let err = store.update_resource(&update("ACTIVE", "CREATE PENDING")).unwrap_err();
        assert!(matches!(err, StorageError::Conflict { .. }), "{err}");
        assert_eq!(store.get_resource("r:1").unwrap().unwrap().status, "CREATE IN_PROGRESS");
        store.set_tags("r:1", &[("a".into(), "1".into()), ("b".into(), "2".into())]).unwrap();
        assert_eq!(store.tags("r:1").unwrap().len(), 2);
        store.delete_resource("r:1").unwrap();
        assert!(store.tags("r:1").unwrap().is_empty(), "tags go with their resource");
    }

    #[test]
    fn tasks_survive_a_restart_and_are_requeued() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reko.db");
        {
            let store = SqliteStore::open(&path).unwrap();
            store.enqueue_task("train", "sv:1").unwrap();
            store.enqueue_task("import", "job:1").unwrap();
            let t = store.claim_task().unwrap().unwrap();
            assert_eq!(t.kind, "train");
            store.report_progress(t.id, 0.5, "epoch 1").unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let interrupted = store.requeue_interrupted().unwrap();
        assert_eq!(interrupted.len(), 1);
        assert_eq!(interrupted[0].resource_arn, "sv:1");
        let again = store.claim_task().unwrap().unwrap();
        assert_eq!((again.resource_arn.as_str(), again.attempts), ("sv:1", 2));
        store.finish_task(again.id, TaskState::Succeeded, "done", None).unwrap();
        let next = store.claim_task().unwrap().unwrap();
        assert_eq!(next.kind, "import");
        assert!(store.claim_task().unwrap().is_none());
        let all = store.list_tasks().unwrap();
        assert_eq!(all[0].state, TaskState::Succeeded);
        assert_eq!(all[0].progress, 1.0);
    }

    fn window(campaign: &str, start: i64, requests: u64, errors: u64, tps: i64) -> UsageWindow {
        UsageWindow {
            campaign_arn: campaign.into(),
            dataset_group_arn: Some("g".into()),
            window_start: start,
            requests,
            errors,
            min_provisioned_tps: tps,
        }
    }

    #[test]
    fn usage_windows_add_up_and_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reko.db");
        {
            let store = SqliteStore::open(&path).unwrap();
            store.add_usage(&[window("c1", 600, 10, 1, 1), window("c2", 600, 0, 0, 2)], 0).unwrap();
            // The same window flushed again (a shutdown, then the restart): counts add up, the
            // larger minProvisionedTPS stays.
            store.add_usage(&[window("c1", 600, 5, 2, 3), window("c1", 900, 7, 0, 1)], 0).unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(
            store.usage_windows(0).unwrap(),
            [window("c1", 600, 15, 3, 3), window("c1", 900, 7, 0, 1), window("c2", 600, 0, 0, 2)]
        );
        assert_eq!(store.usage_windows(900).unwrap(), [window("c1", 900, 7, 0, 1)]);
        // Retention: windows that started before the limit go, at the next flush.
        store.add_usage(&[], 900).unwrap();
        assert_eq!(store.usage_windows(0).unwrap(), [window("c1", 900, 7, 0, 1)]);
        // A read-only connection (reko usage beside a running server) sees the same and
        // cannot write.
        let reader = SqliteStore::open_read_only(&path).unwrap();
        assert_eq!(reader.usage_windows(0).unwrap(), [window("c1", 900, 7, 0, 1)]);
        assert!(reader.add_usage(&[window("c3", 1200, 1, 0, 1)], 0).is_err());
        assert!(SqliteStore::open_read_only(&dir.path().join("missing.db")).is_err());
    }
}
