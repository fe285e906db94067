//! The task queue of the embedded store.

use rusqlite::{params, OptionalExtension, Row};

use super::*;

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
    })
}

const TASK_COLUMNS: &str = "id, kind, resource_arn, state, progress, detail, attempts, created, updated";

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

    fn claim_task(&self) -> StorageResult<Option<Task>> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let task = tx
                .query_row(
                    &format!("SELECT {TASK_COLUMNS} FROM tasks WHERE state = 'queued' ORDER BY id LIMIT 1"),
                    [],
                    task_from_row,
                )
                .optional()?;
            let Some(mut task) = task else { return Ok(None) };
            let now = now_epoch();
            tx.execute(
                "UPDATE tasks SET state = 'running', attempts = attempts + 1, updated = ?2 WHERE id = ?1",
                params![task.id, now],
            )?;
            tx.commit()?;
            task.state = TaskState::Running;
            task.attempts += 1;
            task.updated = now;
            Ok(Some(task))
        })
    }

    fn report_progress(&self, id: i64, progress: f64, detail: &str) -> StorageResult<()> {
        self.with(|conn| {
            conn.execute(
                "UPDATE tasks SET progress = ?2, detail = ?3, updated = ?4 WHERE id = ?1",
                params![id, progress, detail, now_epoch()],
            )?;
            Ok(())
        })
    }

    fn finish_task(
        &self,
        id: i64,
        state: TaskState,
        detail: &str,
        update: Option<&ResourceUpdate>,
    ) -> StorageResult<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            if let Some(update) = update {
                apply_update(&tx, update)?;
            }
            let progress = if state == TaskState::Succeeded { 1.0 } else { -1.0 };
            tx.execute(
                "UPDATE tasks SET state = ?2, detail = ?3, updated = ?4,
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
                "UPDATE tasks SET state = 'queued', updated = ?1 WHERE state = 'running'",
                params![now_epoch()],
            )?;
            tx.commit()?;
            Ok(tasks)
        })
    }

    fn requeue_task(&self, id: i64) -> StorageResult<()> {
        self.with(|conn| {
            conn.execute(
                "UPDATE tasks SET state = 'queued', attempts = MAX(attempts - 1, 0), updated = ?2 WHERE id = ?1",
                params![id, now_epoch()],
            )?;
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
}
