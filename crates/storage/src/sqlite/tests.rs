//! The conformance suite on SQLite, and what only the embedded store does (its files, its
//! read-only opening, its in-place schema upgrade).

use super::*;
use crate::conformance::{conformance_suite, resource, window, Fixture};
use crate::NewChunk;

/// A database file in a temporary directory.
struct SqliteFixture {
    dir: tempfile::TempDir,
}

impl SqliteFixture {
    fn new() -> SqliteFixture {
        SqliteFixture { dir: tempfile::tempdir().unwrap() }
    }

    fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("reko.db")
    }
}

impl Fixture for SqliteFixture {
    fn open(&self) -> Box<dyn crate::Store> {
        Box::new(SqliteStore::open(&self.path()).unwrap())
    }

    fn execute(&self, sql: &str) {
        Connection::open(self.path()).unwrap().execute_batch(sql).unwrap();
    }

    fn query_strings(&self, sql: &str) -> Vec<String> {
        let conn = Connection::open(self.path()).unwrap();
        let mut stmt = conn.prepare(sql).unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.collect::<Result<Vec<String>, _>>().unwrap()
    }
}

conformance_suite!(Some(SqliteFixture::new()));

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

/// A read-only connection (`reko usage` beside a running server) sees what the server wrote and
/// cannot write.
#[test]
fn a_read_only_store_reads_usage_and_writes_nothing() {
    let fixture = SqliteFixture::new();
    fixture.open().add_usage(&[window("c1", 900, 7, 0, 1)], 0).unwrap();
    let reader = SqliteStore::open_read_only(&fixture.path()).unwrap();
    assert_eq!(reader.usage_windows(0).unwrap(), [window("c1", 900, 7, 0, 1)]);
    assert!(reader.add_usage(&[window("c3", 1200, 1, 0, 1)], 0).is_err());
    assert!(SqliteStore::open_read_only(&fixture.dir.path().join("missing.db")).is_err());
}

/// After a rewrite and compaction, no file of the database holds the erased bytes.
#[test]
fn rewritten_chunks_leave_no_bytes_behind_after_compaction() {
    let fixture = SqliteFixture::new();
    let store = fixture.open();
    store.insert_resource(&resource("job", "data-deletion-job", "job")).unwrap();
    let secret = b"erase-me-4f1c-secret-user".repeat(200);
    let seqs = store
        .append_records(&[
            NewChunk {
                dataset_arn: "ds",
                source: RecordSource::Bulk,
                rows: 2,
                data: &[b"keep-".as_slice(), &secret].concat(),
            },
            NewChunk { dataset_arn: "ds", source: RecordSource::Put, rows: 1, data: &secret },
        ])
        .unwrap();
    let finish = ResourceUpdate {
        arn: "job".into(),
        status: "CREATE IN_PROGRESS".into(),
        doc: serde_json::json!({}),
        expected_status: None,
    };
    let rewrites = [
        ChunkRewrite::Replace { seq: seqs[0], rows: 1, data: b"keep-".to_vec() },
        ChunkRewrite::Delete { seq: seqs[1] },
    ];
    store.rewrite_records(&rewrites, &finish).unwrap();
    store.compact().unwrap();
    let needle = b"erase-me-4f1c";
    for entry in std::fs::read_dir(fixture.dir.path()).unwrap() {
        let file = entry.unwrap().path();
        let bytes = std::fs::read(&file).unwrap();
        assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{} still holds the bytes", file.display());
    }
    assert_eq!(store.read_records("ds").unwrap().len(), 1);
}

/// A queue an older version wrote (no lease columns) gains them when opened, its tasks intact.
#[test]
fn a_task_table_without_leases_is_upgraded_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reko.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TABLE tasks (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, \
             resource_arn TEXT NOT NULL, state TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0, \
             detail TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL, \
             updated REAL NOT NULL); \
             INSERT INTO tasks (kind, resource_arn, state, created, updated) VALUES ('activate', 'r:1', 'queued', 0, 0);",
        )
        .unwrap();
    let store = SqliteStore::open(&path).unwrap();
    let claimed = store.claim_task("w", crate::conformance::LEASE).unwrap().unwrap();
    assert_eq!((claimed.task.resource_arn.as_str(), claimed.task.owner.as_deref()), ("r:1", Some("w")));
    drop(store);
    // Opening it again finds the columns there.
    SqliteStore::open(&path).unwrap();
}

#[test]
fn the_only_process_always_runs_the_scheduler() {
    let fixture = SqliteFixture::new();
    let (a, b) = (fixture.open(), fixture.open());
    assert!(a.hold_scheduler_lock().unwrap() && a.hold_scheduler_lock().unwrap() && b.hold_scheduler_lock().unwrap());
}
