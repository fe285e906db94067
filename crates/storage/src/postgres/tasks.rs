//! The task queue of the PostgreSQL store.

use postgres::Row;

use super::{apply_update, enqueue, insert, PgStore};
use crate::{now_epoch, ResourceRecord, ResourceUpdate, StorageResult, Task, TaskKind, TaskQueue, TaskState};

const TASK_COLUMNS: &str = "id, kind, resource_arn, state, progress, detail, attempts, created, updated";

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
    })
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

    fn claim_task(&self) -> StorageResult<Option<Task>> {
        // SKIP LOCKED: processes sharing the queue each take another task, none waits on another's.
        let row = self.conn()?.query_opt(
            &format!(
                "UPDATE tasks SET state = 'running', attempts = attempts + 1, updated = $1
                 WHERE id = (SELECT id FROM tasks WHERE state = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
                 RETURNING {TASK_COLUMNS}"
            ),
            &[&now_epoch()],
        )?;
        row.as_ref().map(task_from_row).transpose()
    }

    fn report_progress(&self, id: i64, progress: f64, detail: &str) -> StorageResult<()> {
        self.conn()?.execute(
            "UPDATE tasks SET progress = $2, detail = $3, updated = $4 WHERE id = $1",
            &[&id, &progress, &detail, &now_epoch()],
        )?;
        Ok(())
    }

    fn finish_task(
        &self,
        id: i64,
        state: TaskState,
        detail: &str,
        update: Option<&ResourceUpdate>,
    ) -> StorageResult<()> {
        self.in_tx(|tx| {
            if let Some(update) = update {
                apply_update(tx, update)?;
            }
            let progress: f64 = if state == TaskState::Succeeded { 1.0 } else { -1.0 };
            tx.execute(
                "UPDATE tasks SET state = $2, detail = $3, updated = $4,
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
                 requeued AS (UPDATE tasks SET state = 'queued', updated = $1 FROM found WHERE tasks.id = found.id)
                 SELECT {TASK_COLUMNS} FROM found ORDER BY id"
            ),
            &[&now_epoch()],
        )?;
        rows.iter().map(task_from_row).collect()
    }

    fn requeue_task(&self, id: i64) -> StorageResult<()> {
        self.conn()?.execute(
            "UPDATE tasks SET state = 'queued', attempts = GREATEST(attempts - 1, 0), updated = $2 WHERE id = $1",
            &[&id, &now_epoch()],
        )?;
        Ok(())
    }

    fn list_tasks(&self) -> StorageResult<Vec<Task>> {
        let rows = self.conn()?.query(&format!("SELECT {TASK_COLUMNS} FROM tasks ORDER BY id"), &[])?;
        rows.iter().map(task_from_row).collect()
    }
}
