//! Test support: a fresh PostgreSQL database per test, dropped afterwards (also when the test
//! panics). The server is `REKO_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`, a URL, not `key=value` pairs); when it cannot
//! be reached the test is skipped with a line saying so, unless `CI` is set: then it fails.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database created for one test; dropping it drops the database.
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// A new empty database, or `None` (after printing why) when no PostgreSQL server answers
    /// and `CI` is not set.
    /// Works on any thread, async tests' included (the client runs on a thread of its own).
    pub fn create() -> Option<TestDatabase> {
        off_runtime(TestDatabase::create_here)
    }

    fn create_here() -> Option<TestDatabase> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let admin_url = std::env::var("REKO_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into());
        let mut admin = match connect(&admin_url) {
            Ok(client) => client,
            Err(e) if std::env::var_os("CI").is_none() => {
                eprintln!("skipped: no PostgreSQL at {admin_url} ({})", crate::postgres::error_chain(&e));
                return None;
            }
            Err(e) => panic!(
                "no PostgreSQL at {admin_url} (CI is set, so PostgreSQL tests must run): {}",
                crate::postgres::error_chain(&e)
            ),
        };
        let nonce =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos();
        let name = format!("reko_test_{}_{}_{nonce}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let url = with_database(&admin_url, &name);
        Some(TestDatabase { admin_url, name, url })
    }

    /// The URL of the test's database (what `--database-url` takes).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL of the server's administrative database the test database was created from.
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // FORCE: connections a failed test left open do not keep the database alive.
        let dropped = off_runtime(|| {
            connect(&self.admin_url).and_then(|mut admin| {
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
            })
        });
        if let Err(e) = dropped {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

/// Runs `f` on a thread of its own: the sync client refuses threads that drive async tasks.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
}

fn connect(url: &str) -> Result<postgres::Client, postgres::Error> {
    let mut config: postgres::Config = url.parse()?;
    config.connect_timeout(Duration::from_secs(3));
    config.connect(postgres::NoTls)
}

/// `url` naming database `name` instead of its own (`postgres://user@host:port/db?opts`).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let authority_end = base[scheme_end..].find('/').map(|i| scheme_end + i).unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn a_url_names_another_database() {
        assert_eq!(with_database("postgres://u@h:5432/postgres", "t1"), "postgres://u@h:5432/t1");
        assert_eq!(with_database("postgres://u@h", "t1"), "postgres://u@h/t1");
        assert_eq!(
            with_database("postgresql://u:p@h/db?sslmode=disable", "t1"),
            "postgresql://u:p@h/t1?sslmode=disable"
        );
    }
}
