//! The task queue of the PostgreSQL store.

use postgres::{NoTls, Row};

use super::{apply_update, enqueue, insert, PgStore};
use crate::{
    lease_end, now_epoch, Claimed, Lease, ResourceRecord, ResourceUpdate, StorageError, StorageResult, Task, TaskKind,
    TaskQueue, TaskState,
};

const TASK_COLUMNS: &str =
    "id, kind, resource_arn, state, progress, detail, attempts, created, updated, owner, lease_expires";

/// The session-level advisory lock key of the scheduler ("reko-sch" in ASCII).
const SCHEDULER_LOCK: i64 = 0x7265_6b6f_2d73_6368;

fn task_from_row(row: &Row) -> StorageResult<Task> {
    let kind: String = row.try_get(1)?;
    let state: String = row.try_get(3)?;
    Ok(Task {
        id: row.try_get(0)?,
        kind: TaskKind::parse(&kind),
        resource_arn: row.try_get(2)?,
        state: TaskState::parse(&state),
        progress: row.try_get(4)?,
        detail: row.try_get(5)?,
        attempts: row.try_get(6)?,
        created: row.try_get(7)?,
        updated: row.try_get(8)?,
        owner: row.try_get(9)?,
        lease_expires: row.try_get(10)?,
    })
}

/// The database server's clock (epoch seconds): leases are measured on it, so that processes on
/// hosts whose clocks differ agree on when a lease expired.
const DB_NOW: &str = "EXTRACT(EPOCH FROM clock_timestamp())::DOUBLE PRECISION";

fn lease_lost(id: i64, owner: &str) -> StorageError {
    StorageError::LeaseLost { id, owner: owner.to_string() }
}

impl TaskQueue for PgStore {
    fn enqueue_task(&self, kind: TaskKind, resource_arn: &str) -> StorageResult<i64> {
        enqueue(&mut *self.conn()?, kind, resource_arn)
    }

    fn insert_resource_with_task(&self, record: &ResourceRecord, task_kind: TaskKind) -> StorageResult<i64> {
        self.in_tx(|tx| {
            insert(tx, record)?;
            enqueue(tx, task_kind, &record.arn)
        })
    }

    fn update_resource_with_task(&self, update: &ResourceUpdate, task_kind: TaskKind) -> StorageResult<i64> {
        self.in_tx(|tx| {
            apply_update(tx, update)?;
            enqueue(tx, task_kind, &update.arn)
        })
    }

    fn claim_task(&self, owner: &str, lease: Lease) -> StorageResult<Option<Claimed>> {
        // SKIP LOCKED: processes sharing the queue each take another task, none waits on another's.
        // A running task without a lease (written before leases existed) counts as expired.
        self.in_tx(|tx| {
            let now: f64 = tx.query_one(&format!("SELECT {DB_NOW}"), &[])?.try_get(0)?;
            let row = tx.query_opt(
                &format!(
                    "SELECT {TASK_COLUMNS} FROM tasks WHERE state = 'queued'
                     OR (state = 'running' AND (lease_expires IS NULL OR lease_expires < $1)
                         AND owner IS DISTINCT FROM $2)
                     ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
                ),
                &[&now, &owner],
            )?;
            let Some(row) = row else { return Ok(None) };
            let found = task_from_row(&row)?;
            let taken_over_from =
                (found.state == TaskState::Running).then(|| found.owner.clone().unwrap_or_else(|| "(unknown)".into()));
            let row = tx.query_one(
                &format!(
                    "UPDATE tasks SET state = 'running', attempts = attempts + 1, updated = $2, owner = $3,
                     lease_expires = $4 WHERE id = $1 RETURNING {TASK_COLUMNS}"
                ),
                &[&found.id, &now, &owner, &lease_end(now, lease)],
            )?;
            Ok(Some(Claimed { task: task_from_row(&row)?, taken_over_from }))
        })
    }

    fn renew_leases(&self, owner: &str, lease: Lease) -> StorageResult<u64> {
        Ok(self.conn()?.execute(
            &format!("UPDATE tasks SET lease_expires = {DB_NOW} + $2 WHERE state = 'running' AND owner = $1"),
            &[&owner, &lease.as_secs_f64()],
        )?)
    }

    fn report_progress(&self, id: i64, owner: &str, progress: f64, detail: &str) -> StorageResult<()> {
        let changed = self.conn()?.execute(
            "UPDATE tasks SET progress = $3, detail = $4, updated = $5 WHERE id = $1 AND state = 'running' AND owner = $2",
            &[&id, &owner, &progress, &detail, &now_epoch()],
        )?;
        if changed == 0 {
            return Err(lease_lost(id, owner));
        }
        Ok(())
    }

    fn finish_task(
        &self,
        id: i64,
        owner: &str,
        state: TaskState,
        detail: &str,
        update: Option<&ResourceUpdate>,
    ) -> StorageResult<()> {
        self.in_tx(|tx| {
            // Checked first, and the row locked to the commit: a worker that lost its task writes
            // nothing, and no one takes the task over while this one finishes it.
            let held = tx.query_opt(
                "SELECT 1 FROM tasks WHERE id = $1 AND state = 'running' AND owner = $2 FOR UPDATE",
                &[&id, &owner],
            )?;
            if held.is_none() {
                return Err(lease_lost(id, owner));
            }
            if let Some(update) = update {
                apply_update(tx, update)?;
            }
            let progress: f64 = if state == TaskState::Succeeded { 1.0 } else { -1.0 };
            tx.execute(
                "UPDATE tasks SET state = $2, detail = $3, updated = $4, lease_expires = NULL,
                 progress = CASE WHEN $5::DOUBLE PRECISION >= 0 THEN $5 ELSE progress END WHERE id = $1",
                &[&id, &state.as_str(), &detail, &now_epoch(), &progress],
            )?;
            Ok(())
        })
    }

    fn requeue_interrupted(&self) -> StorageResult<Vec<Task>> {
        // Returns the tasks as they were found (running), as the SQLite store does.
        let rows = self.conn()?.query(
            &format!(
                "WITH found AS (SELECT {TASK_COLUMNS} FROM tasks WHERE state = 'running' FOR UPDATE),
                 requeued AS (UPDATE tasks SET state = 'queued', owner = NULL, lease_expires = NULL, updated = $1
                              FROM found WHERE tasks.id = found.id)
                 SELECT {TASK_COLUMNS} FROM found ORDER BY id"
            ),
            &[&now_epoch()],
        )?;
        rows.iter().map(task_from_row).collect()
    }

    fn requeue_task(&self, id: i64, owner: &str) -> StorageResult<()> {
        let changed = self.conn()?.execute(
            "UPDATE tasks SET state = 'queued', attempts = GREATEST(attempts - 1, 0), owner = NULL,
             lease_expires = NULL, updated = $3 WHERE id = $1 AND state = 'running' AND owner = $2",
            &[&id, &owner, &now_epoch()],
        )?;
        if changed == 0 {
            return Err(lease_lost(id, owner));
        }
        Ok(())
    }

    fn list_tasks(&self) -> StorageResult<Vec<Task>> {
        let rows = self.conn()?.query(&format!("SELECT {TASK_COLUMNS} FROM tasks ORDER BY id"), &[])?;
        rows.iter().map(task_from_row).collect()
    }

    fn hold_scheduler_lock(&self) -> StorageResult<bool> {
        let mut slot = self.scheduler.lock().unwrap_or_else(|p| p.into_inner());
        let (mut client, held) = match slot.take() {
            Some(session) => session,
            None => (self.config.connect(NoTls)?, false),
        };
        // The lock lives as long as this session: while it answers, the lock is still ours.
        let checked = if held {
            client.simple_query("SELECT 1").map(|_| true)
        } else {
            client.query_one("SELECT pg_try_advisory_lock($1)", &[&SCHEDULER_LOCK]).and_then(|row| row.try_get(0))
        };
        // On an error the session is dropped (and a lock with it): the next call connects again.
        let held = checked?;
        *slot = Some((client, held));
        Ok(held)
    }
}
