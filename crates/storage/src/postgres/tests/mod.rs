//! The conformance suite on PostgreSQL (a fresh database per test), and the migrations.

use super::*;
use crate::conformance::{conformance_suite, Fixture};
use crate::testing::TestDatabase;

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
