//! The conformance suite on PostgreSQL (a fresh database per test), and the migrations.

use super::*;
use crate::conformance::{conformance_suite, Fixture};
use crate::testing::TestDatabase;
use crate::TaskQueue;

mod feed;

impl Fixture for TestDatabase {
    fn open(&self) -> Box<dyn crate::Store> {
        Box::new(PgStore::open(self.url()).unwrap())
    }

    fn execute(&self, sql: &str) {
        client(self).batch_execute(sql).unwrap();
    }

    fn query_strings(&self, sql: &str) -> Vec<String> {
        client(self).query(sql, &[]).unwrap().iter().map(|r| r.get(0)).collect()
    }
}

fn client(db: &TestDatabase) -> postgres::Client {
    postgres::Client::connect(db.url(), NoTls).unwrap()
}

conformance_suite!(TestDatabase::create());

#[test]
fn a_second_open_applies_no_migration() {
    let Some(db) = TestDatabase::create() else { return };
    let first = PgStore::open(db.url()).unwrap();
    let second = PgStore::open(db.url()).unwrap();
    assert_eq!(migrate::migrate(&mut second.conn().unwrap()).unwrap(), Vec::<i32>::new());
    let versions: Vec<i32> = client(&db)
        .query("SELECT version FROM schema_migrations ORDER BY version", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, migrate::versions());
    drop(first);
}

/// Processes starting together: the advisory lock lets one migrate, the others find it done.
#[test]
fn concurrent_opens_migrate_once() {
    let Some(db) = TestDatabase::create() else { return };
    std::thread::scope(|s| {
        let opens: Vec<_> = (0..4).map(|_| s.spawn(|| PgStore::open(db.url()).map(|_| ()))).collect();
        for open in opens {
            open.join().unwrap().unwrap();
        }
    });
    let rows = client(&db).query("SELECT count(*) FROM schema_migrations", &[]).unwrap();
    assert_eq!(rows[0].get::<_, i64>(0), migrate::versions().len() as i64);
}

#[test]
fn a_database_of_a_newer_version_is_refused() {
    let Some(db) = TestDatabase::create() else { return };
    drop(PgStore::open(db.url()).unwrap());
    let newer = SCHEMA_VERSION + 1;
    client(&db).execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&newer]).unwrap();
    let Err(e) = PgStore::open(db.url()) else { panic!("a newer schema was accepted") };
    let text = e.to_string();
    assert!(text.contains(&format!("version {newer}")) && text.contains("newer than this version"), "{text}");
}

#[test]
fn an_unreachable_server_is_a_backend_error_naming_it() {
    // Port 1 on loopback: nothing listens there.
    let Err(e) = PgStore::open("postgres://reko:secret@127.0.0.1:1/reko") else { panic!("connected to port 1") };
    let text = e.to_string();
    assert!(matches!(e, StorageError::Backend(_)), "{e:?}");
    assert!(text.contains("127.0.0.1:1/reko") && !text.contains("secret"), "{text}");
    let Err(e) = PgStore::open("mysql://x") else { panic!("accepted a MySQL URL") };
    assert!(e.to_string().contains("invalid PostgreSQL database URL"), "{e}");
}

/// One process runs the scheduler: the first to take the lock keeps it while its session lives;
/// another takes it over once that session ends (the process died).
#[test]
fn one_store_at_a_time_holds_the_scheduler_lock() {
    let Some(db) = TestDatabase::create() else { return };
    let (a, b) = (PgStore::open(db.url()).unwrap(), PgStore::open(db.url()).unwrap());
    assert!(a.hold_scheduler_lock().unwrap());
    assert!(!b.hold_scheduler_lock().unwrap());
    assert!(a.hold_scheduler_lock().unwrap(), "the holder keeps it");
    assert!(!b.hold_scheduler_lock().unwrap(), "asking again does not take it");
    drop(a);
    // The server notices the closed session at once; allow it a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !b.hold_scheduler_lock().unwrap() {
        assert!(std::time::Instant::now() < deadline, "the lock was not released with its session");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(b.hold_scheduler_lock().unwrap());
}

/// Migration 2 gives the tasks of a version-1 database the lease columns.
#[test]
fn running_tasks_of_a_version_1_database_get_lease_columns() {
    let Some(db) = TestDatabase::create() else { return };
    let mut c = client(&db);
    c.batch_execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .unwrap();
    c.batch_execute(include_str!("../../../migrations/postgres/0001_initial.sql")).unwrap();
    c.batch_execute(
        "INSERT INTO schema_migrations (version) VALUES (1);
         INSERT INTO tasks (kind, resource_arn, state, attempts, created, updated) VALUES ('activate', 'r:1', 'running', 1, 0, 0);",
    )
    .unwrap();
    let store = PgStore::open(db.url()).unwrap();
    let taken = store.claim_task("w", crate::conformance::LEASE).unwrap().unwrap();
    assert_eq!((taken.task.attempts, taken.taken_over_from.as_deref()), (2, Some("(unknown)")));
}
