//! The shared store: a PostgreSQL database, reached through a small pool of blocking connections
//! (the store traits are blocking; the service calls them from blocking threads). Same semantics
//! as [`crate::SqliteStore`]; the conformance suite (`crate::conformance`) runs against both.
//!
//! The sync `postgres` client drives its connection on a runtime of its own: calling it from a
//! thread that runs async tasks (a tokio worker) panics. Callers on async threads go through
//! `spawn_blocking`, as they do for SQLite's blocking I/O.

use std::str::FromStr;
use std::time::Duration;

use postgres::error::SqlState;
use postgres::{GenericClient, NoTls, Row, Transaction};
use r2d2_postgres::PostgresConnectionManager;

use crate::{now_epoch, Catalog, ResourceRecord, ResourceUpdate, StorageError, StorageResult, TagStore, TaskKind};

mod collected;
mod feed;
mod migrate;
mod records;
mod rest;
mod tasks;

#[cfg(test)]
mod tests;

pub use migrate::SCHEMA_VERSION;

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;
type Conn = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

/// How long opening a connection (and waiting for a free one in the pool) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections held at most: the service's blocking threads share them.
const POOL_SIZE: u32 = 16;

/// PostgreSQL-backed [`crate::Store`]. Every call is its own transaction (or one statement), so
/// several processes may share the database; the task queue is claimed with `SKIP LOCKED`.
pub struct PgStore {
    pool: Pool,
    /// Where the database is, for the change feed's own connection.
    config: postgres::Config,
    /// This store's id in the change feed (`reko.origin` of its connections), so the feed can
    /// leave out this process's own changes.
    origin: String,
    /// The scheduler lock's connection, and whether it holds the lock.
    scheduler: std::sync::Mutex<Option<(postgres::Client, bool)>>,
}

/// Sets `reko.origin` on each pooled connection: the change feed's triggers name the writer.
#[derive(Debug)]
struct SetOrigin(String);

impl r2d2::CustomizeConnection<postgres::Client, postgres::Error> for SetOrigin {
    fn on_acquire(&self, conn: &mut postgres::Client) -> Result<(), postgres::Error> {
        conn.execute("SELECT set_config('reko.origin', $1, false)", &[&self.0]).map(|_| ())
    }
}

/// An id no other store open now has: the process and the time it opened, with a counter.
fn new_origin() -> String {
    static OPENED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    let n = OPENED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}-{nanos}-{n}", std::process::id())
}

impl PgStore {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/database[?options]`) and brings
    /// the schema to this version's (`migrate`), refusing a database a newer version migrated.
    pub fn open(url: &str) -> StorageResult<PgStore> {
        let mut config = postgres::Config::from_str(url)
            .map_err(|e| StorageError::Backend(format!("invalid PostgreSQL database URL: {}", error_chain(&e))))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("reko");
        }
        let target = describe_target(&config);
        let origin = new_origin();
        let manager = PostgresConnectionManager::new(config.clone(), NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(CONNECT_TIMEOUT)
            // Connection failures are returned to the caller, not logged by r2d2 as well.
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .connection_customizer(Box::new(SetOrigin(origin.clone())))
            .build(manager)
            .map_err(|e| StorageError::Backend(format!("cannot connect to PostgreSQL at {target}: {e}")))?;
        let store = PgStore { pool, config, origin, scheduler: std::sync::Mutex::new(None) };
        migrate::migrate(&mut *store.conn()?)?;
        Ok(store)
    }

    pub(crate) fn conn(&self) -> StorageResult<Conn> {
        self.pool.get().map_err(|e| StorageError::Backend(format!("no PostgreSQL connection: {e}")))
    }

    /// Runs `f` in a transaction, committed when it returns `Ok`, rolled back otherwise.
    pub(crate) fn in_tx<T>(&self, f: impl FnOnce(&mut Transaction<'_>) -> StorageResult<T>) -> StorageResult<T> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let out = f(&mut tx)?;
        tx.commit()?;
        Ok(out)
    }
}

/// `host:port/database` of a configuration, for errors (never its password).
fn describe_target(config: &postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}/{}", config.get_dbname().unwrap_or("(default database)"))
}

/// An error and its causes, one after the other: the client's own message is often only
/// "db error" or "error connecting to server", the cause says which.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

impl From<postgres::Error> for StorageError {
    fn from(e: postgres::Error) -> Self {
        StorageError::Backend(error_chain(&e))
    }
}

pub(crate) fn is_unique_violation(e: &postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

const RESOURCE_COLUMNS: &str =
    "arn, kind, name, unique_name, parent_arn, dataset_group_arn, status, created, updated, doc";

fn resource_from_row(row: &Row) -> StorageResult<ResourceRecord> {
    let arn: String = row.try_get(0)?;
    let doc: String = row.try_get(9)?;
    let doc = serde_json::from_str(&doc)
        .map_err(|e| StorageError::CorruptDocument { arn: arn.clone(), reason: e.to_string() })?;
    Ok(ResourceRecord {
        arn,
        kind: row.try_get(1)?,
        name: row.try_get(2)?,
        unique_name: row.try_get(3)?,
        parent_arn: row.try_get(4)?,
        dataset_group_arn: row.try_get(5)?,
        status: row.try_get(6)?,
        created: row.try_get(7)?,
        doc,
    })
}

fn resources(rows: Vec<Row>) -> StorageResult<Vec<ResourceRecord>> {
    rows.iter().map(resource_from_row).collect()
}

pub(crate) fn apply_update(tx: &mut Transaction<'_>, update: &ResourceUpdate) -> StorageResult<()> {
    if let Some(expected) = &update.expected_status {
        // The row is locked until the commit: a concurrent update waits, then sees this one.
        let found = tx.query_opt("SELECT status FROM resources WHERE arn = $1 FOR UPDATE", &[&update.arn])?;
        let Some(found) = found else { return Err(StorageError::NotFound(update.arn.clone())) };
        let found: String = found.try_get(0)?;
        if &found != expected {
            return Err(StorageError::Conflict { arn: update.arn.clone(), expected: expected.clone(), found });
        }
    }
    let changed = tx.execute(
        "UPDATE resources SET status = $2, doc = $3, updated = $4 WHERE arn = $1",
        &[&update.arn, &update.status, &update.doc.to_string(), &now_epoch()],
    )?;
    if changed == 0 {
        return Err(StorageError::NotFound(update.arn.clone()));
    }
    Ok(())
}

pub(crate) fn insert(client: &mut impl GenericClient, r: &ResourceRecord) -> StorageResult<()> {
    let result = client.execute(
        &format!("INSERT INTO resources ({RESOURCE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)"),
        &[
            &r.arn,
            &r.kind,
            &r.name,
            &r.unique_name,
            &r.parent_arn,
            &r.dataset_group_arn,
            &r.status,
            &r.created,
            &r.doc.to_string(),
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

pub(crate) fn enqueue(client: &mut impl GenericClient, kind: TaskKind, resource_arn: &str) -> StorageResult<i64> {
    let row = client.query_one(
        "INSERT INTO tasks (kind, resource_arn, state, created, updated) VALUES ($1, $2, 'queued', $3, $3) RETURNING id",
        &[&kind.as_str(), &resource_arn, &now_epoch()],
    )?;
    Ok(row.try_get(0)?)
}

impl Catalog for PgStore {
    fn insert_resource(&self, r: &ResourceRecord) -> StorageResult<()> {
        insert(&mut *self.conn()?, r)
    }

    fn get_resource(&self, arn: &str) -> StorageResult<Option<ResourceRecord>> {
        let row =
            self.conn()?.query_opt(&format!("SELECT {RESOURCE_COLUMNS} FROM resources WHERE arn = $1"), &[&arn])?;
        row.as_ref().map(resource_from_row).transpose()
    }

    fn update_resource(&self, update: &ResourceUpdate) -> StorageResult<()> {
        self.in_tx(|tx| apply_update(tx, update))
    }

    fn delete_resource(&self, arn: &str) -> StorageResult<()> {
        self.in_tx(|tx| {
            tx.execute("DELETE FROM resources WHERE arn = $1", &[&arn])?;
            tx.execute("DELETE FROM resource_tags WHERE arn = $1", &[&arn])?;
            tx.execute("DELETE FROM schedule WHERE resource_arn = $1", &[&arn])?;
            Ok(())
        })
    }

    fn list_resources(&self, kind: &str, parent_arn: Option<&str>) -> StorageResult<Vec<ResourceRecord>> {
        resources(self.conn()?.query(
            &format!(
                "SELECT {RESOURCE_COLUMNS} FROM resources WHERE kind = $1 AND ($2::TEXT IS NULL OR parent_arn = $2)
                 ORDER BY created DESC, arn ASC"
            ),
            &[&kind, &parent_arn],
        )?)
    }

    fn children(&self, parent_arn: &str) -> StorageResult<Vec<ResourceRecord>> {
        resources(self.conn()?.query(
            &format!("SELECT {RESOURCE_COLUMNS} FROM resources WHERE parent_arn = $1 ORDER BY created DESC, arn ASC"),
            &[&parent_arn],
        )?)
    }

    fn resources_in_status(&self, kind: &str, statuses: &[&str]) -> StorageResult<Vec<ResourceRecord>> {
        // One status after the other, each by creation, as the SQLite store lists them.
        let mut out = Vec::new();
        let mut conn = self.conn()?;
        for status in statuses {
            out.extend(resources(conn.query(
                &format!("SELECT {RESOURCE_COLUMNS} FROM resources WHERE kind = $1 AND status = $2 ORDER BY created"),
                &[&kind, status],
            )?)?);
        }
        Ok(out)
    }
}

impl TagStore for PgStore {
    fn tags(&self, arn: &str) -> StorageResult<Vec<(String, String)>> {
        let rows = self
            .conn()?
            .query("SELECT tag_key, tag_value FROM resource_tags WHERE arn = $1 ORDER BY tag_key", &[&arn])?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    fn set_tags(&self, arn: &str, tags: &[(String, String)]) -> StorageResult<()> {
        self.in_tx(|tx| {
            tx.execute("DELETE FROM resource_tags WHERE arn = $1", &[&arn])?;
            let insert = tx.prepare(
                "INSERT INTO resource_tags (arn, tag_key, tag_value) VALUES ($1, $2, $3) \
                 ON CONFLICT (arn, tag_key) DO UPDATE SET tag_value = EXCLUDED.tag_value",
            )?;
            for (key, value) in tags {
                tx.execute(&insert, &[&arn, key, value])?;
            }
            Ok(())
        })
    }
}
