//! The schedule of due work in the embedded store.

use rusqlite::{params, OptionalExtension};

use super::*;
use crate::{DueWork, ScheduleStore};

impl ScheduleStore for SqliteStore {
    fn set_due(&self, resource_arn: &str, kind: &str, due_at: f64) -> StorageResult<()> {
        self.with(|conn| {
            conn.execute(
                "INSERT INTO schedule (resource_arn, kind, due_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (resource_arn, kind) DO UPDATE SET due_at = excluded.due_at",
                params![resource_arn, kind, due_at],
            )?;
            Ok(())
        })
    }

    fn clear_due(&self, resource_arn: &str, kind: &str) -> StorageResult<()> {
        self.with(|conn| {
            conn.execute("DELETE FROM schedule WHERE resource_arn = ?1 AND kind = ?2", params![resource_arn, kind])?;
            Ok(())
        })
    }

    fn due_at(&self, resource_arn: &str, kind: &str) -> StorageResult<Option<f64>> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT due_at FROM schedule WHERE resource_arn = ?1 AND kind = ?2",
                    params![resource_arn, kind],
                    |row| row.get(0),
                )
                .optional()?)
        })
    }

    fn due_work(&self, now: f64) -> StorageResult<Vec<DueWork>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT resource_arn, kind, due_at FROM schedule WHERE due_at <= ?1 ORDER BY due_at, resource_arn",
            )?;
            let rows = stmt.query_map(params![now], |row| {
                Ok(DueWork { resource_arn: row.get(0)?, kind: row.get(1)?, due_at: row.get(2)? })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn advance_due(&self, resource_arn: &str, kind: &str, expected: f64, next: Option<f64>) -> StorageResult<bool> {
        self.with(|conn| {
            let changed = match next {
                Some(next) => conn.execute(
                    "UPDATE schedule SET due_at = ?4 WHERE resource_arn = ?1 AND kind = ?2 AND due_at = ?3",
                    params![resource_arn, kind, expected, next],
                )?,
                None => conn.execute(
                    "DELETE FROM schedule WHERE resource_arn = ?1 AND kind = ?2 AND due_at = ?3",
                    params![resource_arn, kind, expected],
                )?,
            };
            Ok(changed == 1)
        })
    }
}
