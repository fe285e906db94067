//! The task queue of the embedded store.

use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};

use super::*;
use crate::{lease_end, Claimed, Lease};

fn task_from_row(row: &Row<'_>) -> rusqlite::Result<Task> {
    let state: String = row.get(3)?;
    let kind: String = row.get(1)?;
    Ok(Task {
        id: row.get(0)?,
        kind: TaskKind::parse(&kind),
        resource_arn: row.get(2)?,
        state: TaskState::parse(&state),
        progress: row.get(4)?,
        detail: row.get(5)?,
        attempts: row.get(6)?,
        created: row.get(7)?,
        updated: row.get(8)?,
        owner: row.get(9)?,
        lease_expires: row.get(10)?,
    })
}

const TASK_COLUMNS: &str =
    "id, kind, resource_arn, state, progress, detail, attempts, created, updated, owner, lease_expires";

/// Adds the lease columns to a `tasks` table an older version created without them.
pub(super) fn upgrade(conn: &Connection) -> StorageResult<()> {
    let columns: Vec<String> = {
        let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('tasks')")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    for (column, ty) in [("owner", "TEXT"), ("lease_expires", "REAL")] {
        if !columns.iter().any(|c| c == column) {
            conn.execute_batch(&format!("ALTER TABLE tasks ADD COLUMN {column} {ty}"))?;
        }
    }
    Ok(())
}

fn lease_lost(id: i64, owner: &str) -> StorageError {
    StorageError::LeaseLost { id, owner: owner.to_string() }
}

/// Whether `owner` holds task `id` (it is running and claimed by `owner`).
fn holds(conn: &Connection, id: i64, owner: &str) -> StorageResult<bool> {
    let found = conn
        .query_row("SELECT 1 FROM tasks WHERE id = ?1 AND state = 'running' AND owner = ?2", params![id, owner], |_| {
            Ok(())
        })
        .optional()?;
    Ok(found.is_some())
}

impl TaskQueue for SqliteStore {
    fn enqueue_task(&self, kind: TaskKind, resource_arn: &str) -> StorageResult<i64> {
        self.with(|conn| enqueue(conn, kind, resource_arn))
    }

    fn insert_resource_with_task(&self, record: &ResourceRecord, task_kind: TaskKind) -> StorageResult<i64> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            insert(&tx, record)?;
            let id = enqueue(&tx, task_kind, &record.arn)?;
            tx.commit()?;
            Ok(id)
        })
    }

    fn update_resource_with_task(&self, update: &ResourceUpdate, task_kind: TaskKind) -> StorageResult<i64> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            apply_update(&tx, update)?;
            let id = enqueue(&tx, task_kind, &update.arn)?;
            tx.commit()?;
            Ok(id)
        })
    }

    fn claim_task(&self, owner: &str, lease: Lease) -> StorageResult<Option<Claimed>> {
        self.with(|conn| {
            // IMMEDIATE: the write lock is taken before the read, so another connection to the
            // file cannot pick the same task between this one's read and write.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let now = now_epoch();
            let task = tx
                .query_row(
                    &format!(
                        "SELECT {TASK_COLUMNS} FROM tasks WHERE state = 'queued'
                         OR (state = 'running' AND (lease_expires IS NULL OR lease_expires < ?1)
                             AND owner IS NOT ?2)
                         ORDER BY id LIMIT 1"
                    ),
                    params![now, owner],
                    task_from_row,
                )
                .optional()?;
            let Some(mut task) = task else { return Ok(None) };
            let taken_over_from =
                (task.state == TaskState::Running).then(|| task.owner.clone().unwrap_or_else(|| "(unknown)".into()));
            let expires = lease_end(now, lease);
            tx.execute(
                "UPDATE tasks SET state = 'running', attempts = attempts + 1, updated = ?2, owner = ?3,
                 lease_expires = ?4 WHERE id = ?1",
                params![task.id, now, owner, expires],
            )?;
            tx.commit()?;
            task.state = TaskState::Running;
            task.attempts += 1;
            task.updated = now;
            task.owner = Some(owner.to_string());
            task.lease_expires = Some(expires);
            Ok(Some(Claimed { task, taken_over_from }))
        })
    }

    fn renew_leases(&self, owner: &str, lease: Lease) -> StorageResult<u64> {
        self.with(|conn| {
            let renewed = conn.execute(
                "UPDATE tasks SET lease_expires = ?2 WHERE state = 'running' AND owner = ?1",
                params![owner, lease_end(now_epoch(), lease)],
            )?;
            Ok(renewed as u64)
        })
    }

    fn report_progress(&self, id: i64, owner: &str, progress: f64, detail: &str) -> StorageResult<()> {
        self.with(|conn| {
            let changed = conn.execute(
                "UPDATE tasks SET progress = ?3, detail = ?4, updated = ?5
                 WHERE id = ?1 AND state = 'running' AND owner = ?2",
                params![id, owner, progress, detail, now_epoch()],
            )?;
            if changed == 0 {
                return Err(lease_lost(id, owner));
            }
            Ok(())
        })
    }

    fn finish_task(
        &self,
        id: i64,
        owner: &str,
        state: TaskState,
        detail: &str,
        update: Option<&ResourceUpdate>,
    ) -> StorageResult<()> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Checked first: a worker that lost its task writes nothing, not even the resource.
            if !holds(&tx, id, owner)? {
                return Err(lease_lost(id, owner));
            }
            if let Some(update) = update {
                apply_update(&tx, update)?;
            }
            let progress = if state == TaskState::Succeeded { 1.0 } else { -1.0 };
            tx.execute(
                "UPDATE tasks SET state = ?2, detail = ?3, updated = ?4, lease_expires = NULL,
                 progress = CASE WHEN ?5 >= 0 THEN ?5 ELSE progress END WHERE id = ?1",
                params![id, state.as_str(), detail, now_epoch(), progress],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn requeue_interrupted(&self) -> StorageResult<Vec<Task>> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let tasks = {
                let mut stmt =
                    tx.prepare(&format!("SELECT {TASK_COLUMNS} FROM tasks WHERE state = 'running' ORDER BY id"))?;
                let rows = stmt.query_map([], task_from_row)?;
                rows.collect::<Result<Vec<_>, _>>()?
            };
            tx.execute(
                "UPDATE tasks SET state = 'queued', owner = NULL, lease_expires = NULL, updated = ?1
                 WHERE state = 'running'",
                params![now_epoch()],
            )?;
            tx.commit()?;
            Ok(tasks)
        })
    }

    fn requeue_task(&self, id: i64, owner: &str) -> StorageResult<()> {
        self.with(|conn| {
            let changed = conn.execute(
                "UPDATE tasks SET state = 'queued', attempts = MAX(attempts - 1, 0), owner = NULL,
                 lease_expires = NULL, updated = ?3 WHERE id = ?1 AND state = 'running' AND owner = ?2",
                params![id, owner, now_epoch()],
            )?;
            if changed == 0 {
                return Err(lease_lost(id, owner));
            }
            Ok(())
        })
    }

    fn list_tasks(&self) -> StorageResult<Vec<Task>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(&format!("SELECT {TASK_COLUMNS} FROM tasks ORDER BY id"))?;
            let rows = stmt.query_map([], task_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    fn hold_scheduler_lock(&self) -> StorageResult<bool> {
        // One process owns the embedded store's file: it runs the scheduler.
        Ok(true)
    }
}
