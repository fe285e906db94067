use super::*;
use crate::NewChunk;
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
fn the_newest_chunks_until_enough_rows() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("reko.db")).unwrap();
    store
        .append_records(&[
            NewChunk { dataset_arn: "ds", source: RecordSource::Bulk, rows: 5, data: b"b1" },
            NewChunk { dataset_arn: "ds", source: RecordSource::Put, rows: 2, data: b"p1" },
            NewChunk { dataset_arn: "other", source: RecordSource::Put, rows: 1, data: b"x" },
            NewChunk { dataset_arn: "ds", source: RecordSource::Put, rows: 2, data: b"p2" },
        ])
        .unwrap();
    let data = |min_rows| -> Vec<Vec<u8>> {
        store.read_newest_records("ds", min_rows).unwrap().into_iter().map(|c| c.data).collect()
    };
    assert_eq!(data(1), [b"p2".to_vec()]);
    assert_eq!(data(3), [b"p2".to_vec(), b"p1".to_vec()]);
    assert_eq!(data(100), [b"p2".to_vec(), b"p1".to_vec(), b"b1".to_vec()]);
    assert!(data(0).is_empty());
    assert_eq!(store.read_newest_records("ds", 5).unwrap()[1].source, RecordSource::Put);
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
    let finish = ResourceUpdate { arn: "job:1".into(), status: "ACTIVE".into(), doc: json!({}), expected_status: None };
    let mut chunks = vec![(2, b"a".to_vec()), (3, b"b".to_vec())].into_iter().map(Ok);
    store.commit_import("ds", ImportMode::Full, &mut chunks, &finish).unwrap();
    assert_eq!(store.count_records("ds").unwrap(), 6);
    store.commit_import("ds", ImportMode::Full, &mut [Ok((4, b"c".to_vec()))].into_iter(), &finish).unwrap();
    let chunks = store.read_records("ds").unwrap();
    assert_eq!(chunks.len(), 2);
    assert_eq!(chunks[0].source, RecordSource::Put);
    assert_eq!(chunks[1].data, b"c");
    // A failing finish update (unknown job) rolls the whole import back.
    let bad = ResourceUpdate { arn: "job:404".into(), status: "ACTIVE".into(), doc: json!({}), expected_status: None };
    assert!(store
        .commit_import("ds", ImportMode::Incremental, &mut [Ok((9, b"z".to_vec()))].into_iter(), &bad)
        .is_err());
    assert_eq!(store.count_records("ds").unwrap(), 5);
    // So does a chunk source that fails midway (a staging file that cannot be read back),
    // after chunks were already inserted: none of them is visible.
    let mut failing =
        [Ok((7, b"y".to_vec())), Ok((8, b"w".to_vec())), Err("staging file truncated".into())].into_iter();
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
        store.enqueue_task(TaskKind::Train, "sv:1").unwrap();
        store.enqueue_task(TaskKind::Import, "job:1").unwrap();
        let t = store.claim_task().unwrap().unwrap();
        assert_eq!(t.kind, Ok(TaskKind::Train));
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
    assert_eq!(next.kind, Ok(TaskKind::Import));
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

/// Task kinds are stored as their fixed strings; a kind this version does not know (a queue
/// written by another version) is still listed and claimed, with its stored string.
#[test]
fn task_kinds_are_stored_as_strings() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("reko.db")).unwrap();
    for kind in TaskKind::ALL {
        store.enqueue_task(kind, "r:1").unwrap();
    }
    store
        .with(|conn| {
            conn.execute(
                "INSERT INTO tasks (kind, resource_arn, state, created, updated) VALUES ('retrain', 'r:2', 'queued', 0, 0)",
                [],
            )?;
            Ok(())
        })
        .unwrap();
    let stored: Vec<String> = store
        .with(|conn| {
            let mut stmt = conn.prepare("SELECT kind FROM tasks ORDER BY id")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<Vec<String>, _>>()?)
        })
        .unwrap();
    assert_eq!(
        stored,
        [
            "activate",
            "dataset-import",
            "solution-version-training",
            "campaign-deployment",
            "delete",
            "batch-inference",
            "batch-segment",
            "dataset-export",
            "dataset-update",
            "data-deletion",
            "solution-update",
            "recommender",
            "retrain"
        ]
    );
    let tasks = store.list_tasks().unwrap();
    assert_eq!(tasks[0].kind, Ok(TaskKind::Activate));
    let unknown = tasks.last().unwrap();
    assert_eq!(unknown.kind, Err(crate::UnknownTaskKind("retrain".into())));
    assert_eq!((unknown.kind_str(), unknown.known_kind()), ("retrain", None));
}

/// A rewrite replaces and deletes chunks by sequence number with the job's update, in one
/// transaction; after compaction no file of the database holds the erased bytes.
#[test]
fn rewritten_chunks_leave_no_bytes_behind_after_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reko.db");
    let store = SqliteStore::open(&path).unwrap();
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
            NewChunk { dataset_arn: "ds", source: RecordSource::Put, rows: 1, data: b"other" },
        ])
        .unwrap();
    let finish = ResourceUpdate {
        arn: "job".into(),
        status: "CREATE IN_PROGRESS".into(),
        doc: json!({"erased": true}),
        expected_status: Some("CREATE PENDING".into()),
    };
    // A conflicting job update changes nothing.
    let stale = ResourceUpdate { expected_status: Some("ACTIVE".into()), ..finish.clone() };
    let rewrites = [
        ChunkRewrite::Replace { seq: seqs[0], rows: 1, data: b"keep-".to_vec() },
        ChunkRewrite::Delete { seq: seqs[1] },
        // A chunk that is gone already (replaced by a FULL import) is left gone.
        ChunkRewrite::Delete { seq: 999 },
    ];
    assert!(matches!(store.rewrite_records(&rewrites, &stale), Err(StorageError::Conflict { .. })));
    assert_eq!(store.read_records("ds").unwrap().len(), 3);
    store.rewrite_records(&rewrites, &finish).unwrap();
    let chunks = store.read_records("ds").unwrap();
    let kept: Vec<(i64, u64, &[u8])> = chunks.iter().map(|c| (c.seq, c.rows, c.data.as_slice())).collect();
    assert_eq!(kept, [(seqs[0], 1, b"keep-".as_slice()), (seqs[2], 1, b"other".as_slice())]);
    assert_eq!(store.get_resource("job").unwrap().unwrap().status, "CREATE IN_PROGRESS");
    store.compact().unwrap();
    let needle = b"erase-me-4f1c";
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let file = entry.unwrap().path();
        let bytes = std::fs::read(&file).unwrap();
        assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{} still holds the bytes", file.display());
    }
    // The store works on after compaction.
    assert_eq!(store.read_records("ds").unwrap().len(), 2);
}

#[test]
fn due_work_is_kept_moved_only_from_the_time_expected_and_dropped_with_its_resource() {
    use crate::ScheduleStore;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reko.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        store.insert_resource(&resource("arn:s1", "solution", "s1")).unwrap();
        store.set_due("arn:s1", "auto-training", 100.0).unwrap();
        store.set_due("arn:s2", "auto-training", 50.0).unwrap();
        store.set_due("arn:s3", "auto-training", 500.0).unwrap();
    }
    // A restart keeps the schedule.
    let store = SqliteStore::open(&path).unwrap();
    let due: Vec<_> = store.due_work(200.0).unwrap().into_iter().map(|w| (w.resource_arn, w.due_at)).collect();
    assert_eq!(due, [("arn:s2".to_string(), 50.0), ("arn:s1".to_string(), 100.0)]);
    // Rescheduled meanwhile: the stale advance writes nothing.
    store.set_due("arn:s1", "auto-training", 150.0).unwrap();
    assert!(!store.advance_due("arn:s1", "auto-training", 100.0, Some(300.0)).unwrap());
    assert_eq!(store.due_at("arn:s1", "auto-training").unwrap(), Some(150.0));
    assert!(store.advance_due("arn:s1", "auto-training", 150.0, Some(300.0)).unwrap());
    assert_eq!(store.due_at("arn:s1", "auto-training").unwrap(), Some(300.0));
    assert!(store.advance_due("arn:s2", "auto-training", 50.0, None).unwrap());
    assert_eq!(store.due_at("arn:s2", "auto-training").unwrap(), None);
    store.clear_due("arn:s3", "auto-training").unwrap();
    assert_eq!(store.due_at("arn:s3", "auto-training").unwrap(), None);
    store.delete_resource("arn:s1").unwrap();
    assert_eq!(store.due_at("arn:s1", "auto-training").unwrap(), None);
    assert!(store.due_work(f64::MAX).unwrap().is_empty());
}
