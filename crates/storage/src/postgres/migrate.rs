//! Versioned schema migrations of the PostgreSQL store: `migrations/postgres/NNNN_*.sql`, each
//! applied once, in order, recorded in `schema_migrations`.

use postgres::Client;

use crate::{StorageError, StorageResult};

/// The migrations this version knows, by version. Append only: an applied migration never
/// changes (a database records which it has).
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../../migrations/postgres/0001_initial.sql")),
    (2, include_str!("../../migrations/postgres/0002_task_leases.sql")),
    (3, include_str!("../../migrations/postgres/0003_change_feed.sql")),
];

/// The versions of [`MIGRATIONS`], in order.
#[cfg(test)]
pub(crate) fn versions() -> Vec<i32> {
    MIGRATIONS.iter().map(|(v, _)| *v).collect()
}

/// The schema version this build brings a database to.
pub const SCHEMA_VERSION: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// The advisory lock key migrations hold ("reko-mig" in ASCII): two processes starting together
/// migrate one after the other, the second finding nothing left to do.
const MIGRATION_LOCK: i64 = 0x7265_6b6f_2d6d_6967;

/// Applies the migrations the database lacks, in one transaction under an advisory lock. Refuses
/// a database migrated by a newer version (its schema may not be what this version reads).
/// Returns the versions applied.
pub(crate) fn migrate(client: &mut Client) -> StorageResult<Vec<i32>> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )?;
    let current: i32 = tx.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[])?.try_get(0)?;
    if current > SCHEMA_VERSION {
        return Err(StorageError::Backend(format!(
            "the database's schema is at version {current}, newer than this version of Reko knows \
             ({SCHEMA_VERSION}): run a newer Reko, or point --database-url at another database"
        )));
    }
    let mut applied = Vec::new();
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).map_err(|e| {
            StorageError::Backend(format!("schema migration {version} failed: {}", super::error_chain(&e)))
        })?;
        tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[version])?;
        applied.push(*version);
    }
    tx.commit()?;
    Ok(applied)
}
