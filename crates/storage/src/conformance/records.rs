//! Conformance tests of the record store.

use serde_json::json;

use super::{resource, Fixture};
use crate::*;

pub(crate) fn records_after_a_sequence_number_by_source(f: &impl Fixture) {
    let store = f.open();
    let seqs = store
        .append_records(&[
            NewChunk { dataset_arn: "ds", source: RecordSource::Put, rows: 1, data: b"p1" },
            NewChunk { dataset_arn: "ds", source: RecordSource::Bulk, rows: 1, data: b"b1" },
            NewChunk { dataset_arn: "other", source: RecordSource::Put, rows: 1, data: b"x" },
            NewChunk { dataset_arn: "ds", source: RecordSource::Put, rows: 1, data: b"p2" },
        ])
        .unwrap();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let all: Vec<Vec<u8>> =
        store.read_records_after("ds", RecordSource::Put, 0).unwrap().into_iter().map(|c| c.data).collect();
    assert_eq!(all, [b"p1".to_vec(), b"p2".to_vec()]);
    let tail = store.read_records_after("ds", RecordSource::Put, seqs[0]).unwrap();
    assert_eq!((tail.len(), tail[0].seq, tail[0].source), (1, seqs[3], RecordSource::Put));
    let bulk = store.read_records_after("ds", RecordSource::Bulk, 0).unwrap();
    assert_eq!((bulk.len(), bulk[0].seq, bulk[0].data.as_slice()), (1, seqs[1], b"b1".as_slice()));
}

pub(crate) fn the_newest_chunks_until_enough_rows(f: &impl Fixture) {
    let store = f.open();
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
    // More chunks than one fetch brings (a backend may read them a few at a time).
    let many: Vec<Vec<u8>> = (0..30).map(|i| format!("m{i}").into_bytes()).collect();
    let chunks: Vec<NewChunk<'_>> =
        many.iter().map(|d| NewChunk { dataset_arn: "many", source: RecordSource::Put, rows: 1, data: d }).collect();
    store.append_records(&chunks).unwrap();
    let newest: Vec<Vec<u8>> = store.read_newest_records("many", 25).unwrap().into_iter().map(|c| c.data).collect();
    assert_eq!(newest, many[5..].iter().rev().cloned().collect::<Vec<_>>());
    assert_eq!(store.read_newest_records("many", 1000).unwrap().len(), 30);
}

pub(crate) fn import_commit_is_atomic_and_full_replaces_bulk_only(f: &impl Fixture) {
    let store = f.open();
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
    assert_eq!((chunks[1].data.as_slice(), chunks[1].rows, chunks[1].source), (b"c".as_slice(), 4, RecordSource::Bulk));
    assert_eq!(store.last_record_seq("ds").unwrap(), chunks[1].seq);
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
    // An incremental import appends.
    store.commit_import("ds", ImportMode::Incremental, &mut [Ok((1, b"d".to_vec()))].into_iter(), &finish).unwrap();
    assert_eq!(store.count_records("ds").unwrap(), 6);
    store.delete_records("ds").unwrap();
    assert_eq!((store.count_records("ds").unwrap(), store.count_records("other").unwrap()), (0, 1));
}

/// A rewrite replaces and deletes chunks by sequence number with the job's update, in one
/// transaction; compaction leaves the store working. (That no file keeps the erased bytes is
/// the SQLite backend's own test: it owns its files.)
pub(crate) fn rewritten_chunks_keep_their_seqs_and_compaction_keeps_the_store_working(f: &impl Fixture) {
    let store = f.open();
    store.insert_resource(&resource("job", "data-deletion-job", "job")).unwrap();
    let seqs = store
        .append_records(&[
            NewChunk { dataset_arn: "ds", source: RecordSource::Bulk, rows: 2, data: b"keep-secret" },
            NewChunk { dataset_arn: "ds", source: RecordSource::Put, rows: 1, data: b"secret" },
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
        ChunkRewrite::Delete { seq: seqs[2] + 1000 },
    ];
    assert!(matches!(store.rewrite_records(&rewrites, &stale), Err(StorageError::Conflict { .. })));
    assert_eq!(store.read_records("ds").unwrap().len(), 3);
    store.rewrite_records(&rewrites, &finish).unwrap();
    let chunks = store.read_records("ds").unwrap();
    let kept: Vec<(i64, u64, &[u8])> = chunks.iter().map(|c| (c.seq, c.rows, c.data.as_slice())).collect();
    assert_eq!(kept, [(seqs[0], 1, b"keep-".as_slice()), (seqs[2], 1, b"other".as_slice())]);
    assert_eq!(store.get_resource("job").unwrap().unwrap().doc, json!({"erased": true}));
    store.compact().unwrap();
    assert_eq!(store.read_records("ds").unwrap().len(), 2);
    let next = store
        .append_records(&[NewChunk { dataset_arn: "ds", source: RecordSource::Put, rows: 1, data: b"after" }])
        .unwrap();
    assert!(next[0] > seqs[2]);
}
