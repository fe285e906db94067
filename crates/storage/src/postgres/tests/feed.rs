//! The change feed between two stores on one database (two processes' views).

use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::super::*;
use crate::conformance::resource;
use crate::testing::TestDatabase;
use crate::{Catalog, Change, ChangeFeed, NewChunk, RecordSource, RecordStore, ResourceUpdate};

/// The changes `rx` receives within `within`, in order (resyncs left out).
fn received(rx: &mpsc::Receiver<Vec<Change>>, within: Duration) -> Vec<Change> {
    let deadline = Instant::now() + within;
    let mut out = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(batch) => out.extend(batch.into_iter().filter(|c| *c != Change::Resync)),
            Err(_) => break,
        }
    }
    out
}

#[test]
fn another_stores_commits_are_announced_and_its_own_and_rolled_back_ones_are_not() {
    let Some(db) = TestDatabase::create() else { return };
    let (a, b) = (PgStore::open(db.url()).unwrap(), PgStore::open(db.url()).unwrap());
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let sink = Box::new(move |changes: Vec<Change>| {
        let _ = tx.send(changes);
    });
    assert!(b.watch_changes(sink, stop.clone()).unwrap());
    // The first batch is the resync of a fresh connection.
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), vec![Change::Resync]);

    let started = Instant::now();
    a.insert_resource(&resource("arn:c1", "campaign", "c1")).unwrap();
    let chunk = NewChunk { dataset_arn: "arn:d1", source: RecordSource::Put, rows: 1, data: b"x" };
    a.append_records(&[chunk, chunk]).unwrap();
    // B's own writes are applied where they are made: not announced to B.
    b.insert_resource(&resource("arn:c2", "campaign", "c2")).unwrap();
    b.append_records(&[NewChunk { dataset_arn: "arn:d2", ..chunk }]).unwrap();
    // An import that fails after storing a chunk rolls back: nothing is announced.
    let finish = ResourceUpdate {
        arn: "arn:c1".into(),
        status: "ACTIVE".into(),
        doc: serde_json::json!({}),
        expected_status: None,
    };
    let mut failing = vec![Ok((1, b"y".to_vec())), Err("the staging file is gone".into())].into_iter();
    assert!(a.commit_import("arn:d3", crate::ImportMode::Incremental, &mut failing, &finish).is_err());
    a.delete_resource("arn:c1").unwrap();

    let changes = received(&rx, Duration::from_secs(3));
    let campaign =
        |deleted| Change::Resource { arn: "arn:c1".into(), kind: "campaign".into(), dataset_group_arn: None, deleted };
    let records = Change::Records { dataset_arn: "arn:d1".into() };
    // The poll may announce a dataset again (it cannot tell whose chunks they were).
    let mut distinct = changes.clone();
    distinct.dedup();
    distinct.retain(|c| *c != Change::Records { dataset_arn: "arn:d2".into() });
    assert_eq!(distinct[..3], [campaign(false), records.clone(), campaign(true)], "{changes:?}");
    assert!(distinct[3..].iter().all(|c| *c == records), "{changes:?}");
    assert!(started.elapsed() < Duration::from_secs(4));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Changes committed without a notification (as if it was lost): the poll finds them.
#[test]
fn the_poll_finds_changes_no_notification_told_of() {
    let Some(db) = TestDatabase::create() else { return };
    let b = PgStore::open(db.url()).unwrap();
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let sink = Box::new(move |changes: Vec<Change>| {
        let _ = tx.send(changes);
    });
    assert!(b.watch_changes(sink, stop.clone()).unwrap());
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), vec![Change::Resync]);
    // Triggers off for this session (a superuser may): nothing is announced.
    let mut quiet = postgres::Client::connect(db.url(), NoTls).unwrap();
    quiet.batch_execute("SET session_replication_role = replica").unwrap();
    quiet
        .execute("INSERT INTO record_chunks (dataset_arn, source, rows, data) VALUES ('arn:quiet', 'put', 1, 'x')", &[])
        .unwrap();
    quiet.query_one("SELECT nextval('resource_changes')", &[]).unwrap();
    let mut found = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(8);
    while !(found.contains(&Change::Records { dataset_arn: "arn:quiet".into() }) && found.contains(&Change::Resync)) {
        let left = deadline.checked_duration_since(Instant::now()).expect("the poll found the changes in time");
        found.extend(rx.recv_timeout(left).unwrap_or_else(|_| panic!("only {found:?} found")));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// The feed's connection is lost: it is made again, with a resync (what was committed meanwhile
/// was announced to no one), and changes are announced again.
#[test]
fn a_lost_connection_is_made_again_with_a_resync() {
    let Some(db) = TestDatabase::create() else { return };
    let (a, b) = (PgStore::open(db.url()).unwrap(), PgStore::open(db.url()).unwrap());
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let sink = Box::new(move |changes: Vec<Change>| {
        let _ = tx.send(changes);
    });
    assert!(b.watch_changes(sink, stop.clone()).unwrap());
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), vec![Change::Resync]);
    let mut admin = postgres::Client::connect(db.url(), NoTls).unwrap();
    let killed = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = $2",
            &[&super::super::feed::FEED_APPLICATION_NAME, &db.name()],
        )
        .unwrap();
    assert_eq!(killed.len(), 1, "one feed connection");
    let started = Instant::now();
    loop {
        let batch = rx.recv_timeout(Duration::from_secs(10)).expect("a resync after the reconnect");
        if batch.contains(&Change::Resync) {
            break;
        }
    }
    println!("resynced {} ms after the connection was lost", started.elapsed().as_millis());
    a.insert_resource(&resource("arn:after", "filter", "after")).unwrap();
    let changes = received(&rx, Duration::from_secs(3));
    assert!(changes.iter().any(|c| matches!(c, Change::Resource { arn, .. } if arn == "arn:after")), "{changes:?}");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
}
