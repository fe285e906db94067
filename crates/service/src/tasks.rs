//! Persistent background tasks: the long half of Personalize's asynchronous operations.
//!
//! Every create/update/delete that Personalize reports as `... PENDING` enqueues a task in the same
//! transaction that records the resource. Workers claim tasks, move the resource to
//! `... IN_PROGRESS`, do the work and finish the task together with the resource's final status.
//! After a crash or restart, tasks that were running are queued again: every task is idempotent
//! (it first checks whether its resource already reached a final state), and one interrupted too
//! often fails its resource with a reason instead of looping forever.

use reko_api::status;
use reko_api::{ApiError, ResourceStatus};
use reko_storage::{ResourceUpdate, StorageError, Task, TaskKind, TaskState};
use serde::{Deserialize, Serialize};

use crate::error::{ServiceError, ServiceResult};
use crate::resource::{now, INTERNAL_KEY};
use crate::Reko;

/// A task as shown to operators (`GET /reko/tasks`, `reko tasks`), and as the CLI reads it back
/// (fields a server leaves out take their defaults).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TaskInfo {
    pub task_id: i64,
    pub kind: String,
    pub resource_arn: String,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub state: String,
    pub progress: f64,
    pub detail: String,
    pub attempts: i64,
    pub created: f64,
    pub updated: f64,
    /// The worker running the task (`host:pid:random`); running tasks only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Epoch seconds until which `owner` holds the task (its heartbeat renews it); past it,
    /// another worker takes the task over. Running tasks only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_expires: Option<f64>,
}

impl From<Task> for TaskInfo {
    fn from(t: Task) -> Self {
        let running = t.state == TaskState::Running;
        TaskInfo {
            kind: t.kind_str().to_string(),
            owner: t.owner.filter(|_| running),
            lease_expires: t.lease_expires.filter(|_| running),
            task_id: t.id,
            resource_arn: t.resource_arn,
            state: t.state.as_str().to_string(),
            progress: t.progress,
            detail: t.detail,
            attempts: t.attempts,
            created: t.created,
            updated: t.updated,
        }
    }
}

/// Reports a running task's progress to the log and the queue.
pub(crate) struct Progress<'a> {
    reko: &'a Reko,
    task: &'a Task,
    last: std::time::Instant,
}

impl Progress<'_> {
    pub fn report(&mut self, fraction: f64, detail: &str) {
        // Throttled: progress is for humans, the queue is not a log.
        if self.last.elapsed() < std::time::Duration::from_millis(250) && fraction < 1.0 {
            return;
        }
        self.last = std::time::Instant::now();
        tracing::info!(task = self.task.id, kind = self.task.kind_str(), resource = %self.task.resource_arn,
            progress = format!("{:.0}%", fraction * 100.0), "{detail}");
        if let Err(e) = self.reko.store().report_progress(self.task.id, self.reko.worker_id(), fraction, detail) {
            tracing::warn!(error = %e, "could not record task progress");
        }
    }
}

/// What a task handler ends with: the final update of its resource (applied atomically with the
/// task's completion), or a failure reason for the resource.
pub(crate) enum Outcome {
    Done {
        detail: String,
        update: Option<ResourceUpdate>,
    },
    Failed {
        reason: String,
    },
    /// The task cannot run yet (it depends on another task, e.g. a solution's activation): it goes
    /// back to the queue without counting an attempt.
    Wait {
        detail: String,
    },
}

impl Reko {
    pub fn list_tasks(&self) -> ServiceResult<Vec<TaskInfo>> {
        Ok(self.store().list_tasks()?.into_iter().map(TaskInfo::from).collect())
    }

    /// The tasks a key with `scope` may see: those of its dataset groups. Which worker runs a
    /// task (host, pid, lease) is the operator's business: only an unrestricted key sees it.
    pub fn list_tasks_in(&self, scope: &crate::AccessScope) -> ServiceResult<Vec<TaskInfo>> {
        let mut tasks = self.list_tasks()?;
        tasks.retain(|t| self.visible_in(scope, &t.resource_arn));
        if !scope.is_unrestricted() {
            for t in &mut tasks {
                t.owner = None;
                t.lease_expires = None;
            }
        }
        Ok(tasks)
    }

    /// At start-up, on the embedded store (this process is its only user): the tasks that were
    /// running died with the previous process and go back to the queue. On a shared database
    /// nothing is certainly dead: a task whose worker died is taken over by a claim once its
    /// lease expires, and the tasks of other live processes are theirs.
    pub(crate) fn recover_interrupted_tasks(&self) -> ServiceResult<()> {
        if self.config().database_url.is_some() {
            return Ok(());
        }
        for task in self.store().requeue_interrupted()? {
            tracing::warn!(task = task.id, kind = task.kind_str(), resource = %task.resource_arn,
                "task was interrupted by a shutdown; it will run again");
        }
        Ok(())
    }

    /// Claims and runs one task. Returns whether there was one.
    pub(crate) fn run_next_task(&self) -> ServiceResult<bool> {
        let owner = self.worker_id();
        let Some(claimed) = self.store().claim_task(owner, self.config().task_lease)? else { return Ok(false) };
        let task = claimed.task;
        if let Some(previous) = &claimed.taken_over_from {
            crate::metrics::record_takeover(task.known_kind());
            tracing::warn!(task = task.id, kind = task.kind_str(), resource = %task.resource_arn, %previous,
                attempt = task.attempts, "task taken over: the lease of its worker expired");
        }
        let started = std::time::Instant::now();
        tracing::info!(task = task.id, kind = task.kind_str(), resource = %task.resource_arn, attempt = task.attempts, "task started");
        let outcome = if task.attempts > self.config().max_task_attempts {
            Ok(Outcome::Failed {
                reason: format!(
                    "The operation was interrupted {} times by server restarts or lost workers and was abandoned.",
                    task.attempts - 1
                ),
            })
        } else {
            let mut progress = Progress { reko: self, task: &task, last: std::time::Instant::now() };
            // A panic in a handler must not kill the worker or leave the resource in progress.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run_task(&task, &mut progress)))
                .unwrap_or_else(|_| Err(ServiceError::Internal("internal error while running the task".into())))
        };
        let finished = match outcome {
            Ok(Outcome::Done { detail, update }) => {
                crate::metrics::record_task(task.known_kind(), started.elapsed(), true);
                tracing::info!(task = task.id, resource = %task.resource_arn, secs = started.elapsed().as_secs_f64(), "task done: {detail}");
                self.store().finish_task(task.id, owner, TaskState::Succeeded, &detail, update.as_ref())
            }
            Ok(Outcome::Failed { reason }) => {
                crate::metrics::record_task(task.known_kind(), started.elapsed(), false);
                self.fail_task(&task, &reason)
            }
            Ok(Outcome::Wait { detail }) => {
                tracing::debug!(task = task.id, resource = %task.resource_arn, "task waits: {detail}");
                self.requeue_held(&task)?;
                // Not "there was a task": the worker pauses briefly instead of claiming the same
                // task again at once while what it waits for runs on another worker.
                return Ok(false);
            }
            Err(ServiceError::Storage(e)) => Err(e),
            Err(e) => {
                crate::metrics::record_task(task.known_kind(), started.elapsed(), false);
                self.fail_task(&task, &e.to_string())
            }
        };
        match finished {
            Ok(()) => {}
            // Another worker took the task over (this one's lease expired): its result stands,
            // this one's is dropped.
            Err(e @ StorageError::LeaseLost { .. }) => {
                tracing::warn!(task = task.id, resource = %task.resource_arn, "result dropped: {e}");
            }
            // The resource changed under the task (deleted, stopped, updated): run the task
            // again, it will see the new state.
            Err(StorageError::Conflict { arn, expected, found }) => {
                tracing::info!(task = task.id, %arn, %expected, %found, "resource changed meanwhile; task requeued");
                self.requeue_held(&task)?;
            }
            // A storage failure (a full disk, an I/O error): the resource fails with that reason
            // rather than looping, and is never reported as "interrupted by restarts". Only when
            // even that write fails does the task go back to the queue.
            Err(e) => {
                tracing::error!(task = task.id, error = %e, "task could not finish");
                if self.fail_task(&task, &format!("The server could not store the result: {e}")).is_err() {
                    self.requeue_held(&task)?;
                }
                return Err(e.into());
            }
        }
        Ok(true)
    }

    /// Puts a task this process holds back in the queue; one it lost meanwhile is left to its
    /// new owner.
    fn requeue_held(&self, task: &Task) -> Result<(), StorageError> {
        match self.store().requeue_task(task.id, self.worker_id()) {
            Err(e @ StorageError::LeaseLost { .. }) => {
                tracing::warn!(task = task.id, resource = %task.resource_arn, "not requeued: {e}");
                Ok(())
            }
            other => other,
        }
    }

    fn run_task(&self, task: &Task, progress: &mut Progress<'_>) -> ServiceResult<Outcome> {
        let kind = task.kind.clone().map_err(|unknown| ServiceError::Internal(unknown.to_string()))?;
        match kind {
            TaskKind::Activate => self.run_activation(&task.resource_arn),
            TaskKind::Import => self.run_import(&task.resource_arn, progress),
            TaskKind::Train => self.run_training(&task.resource_arn, progress),
            TaskKind::Deploy => self.run_deployment(&task.resource_arn, progress),
            TaskKind::Delete => self.run_deletion(&task.resource_arn),
            TaskKind::BatchInference => self.run_batch_inference(&task.resource_arn, progress),
            TaskKind::BatchSegment => self.run_batch_segment(&task.resource_arn, progress),
            TaskKind::Export => self.run_export(&task.resource_arn, progress),
            TaskKind::DatasetUpdate => self.run_dataset_update(&task.resource_arn),
            TaskKind::DataDeletion => self.run_data_deletion(&task.resource_arn, progress),
            TaskKind::SolutionUpdate => self.run_solution_update(&task.resource_arn),
            TaskKind::Recommender => self.run_recommender(&task.resource_arn, progress),
        }
    }

    /// Fails a task and its resource (`CREATE FAILED` with the reason), unless the resource is gone.
    fn fail_task(&self, task: &Task, reason: &str) -> Result<(), StorageError> {
        tracing::warn!(task = task.id, resource = %task.resource_arn, "task failed: {reason}");
        let update = match self.store().get_resource(&task.resource_arn)? {
            Some(record) => {
                let mut doc = record.doc.clone();
                let failed_status = failure_status(task.known_kind(), &record.status, &mut doc, reason);
                Some(ResourceUpdate {
                    arn: record.arn,
                    status: failed_status,
                    doc,
                    expected_status: Some(record.status),
                })
            }
            None => None,
        };
        self.store().finish_task(task.id, self.worker_id(), TaskState::Failed, reason, update.as_ref())
    }

    /// Brings a lightweight resource (dataset group, dataset, solution, event tracker) to ACTIVE.
    fn run_activation(&self, arn: &str) -> ServiceResult<Outcome> {
        let Some(record) = self.store().get_resource(arn)? else {
            return Ok(Outcome::Done { detail: "resource no longer exists".into(), update: None });
        };
        if record.status != ResourceStatus::CreatePending.as_str()
            && record.status != ResourceStatus::CreateInProgress.as_str()
        {
            return Ok(Outcome::Done { detail: format!("already {}", record.status), update: None });
        }
        let mut doc = record.doc;
        set_status(&mut doc, ResourceStatus::Active.as_str());
        Ok(Outcome::Done {
            detail: "active".into(),
            update: Some(ResourceUpdate {
                arn: arn.into(),
                status: ResourceStatus::Active.as_str().into(),
                doc,
                expected_status: Some(record.status),
            }),
        })
    }

    /// The start of a job's task: the job, moved to `CREATE IN_PROGRESS`; or, when there is
    /// nothing to do (the job is gone, or already final after an interrupted run), the outcome.
    pub(crate) fn start_job<T: serde::de::DeserializeOwned>(
        &self,
        kind: crate::resource::ResourceKind,
        arn: &str,
    ) -> ServiceResult<Result<crate::resource::Stored<T>, Outcome>> {
        let stored = match self.load::<T>(kind, arn) {
            Ok(s) => s,
            Err(ServiceError::Api(ApiError::ResourceNotFound(_))) => {
                return Ok(Err(Outcome::Done { detail: "job no longer exists".into(), update: None }))
            }
            Err(e) => return Err(e),
        };
        if !status::is_pending(&stored.record.status) {
            return Ok(Err(Outcome::Done { detail: format!("already {}", stored.record.status), update: None }));
        }
        self.mark_in_progress(arn)?;
        Ok(Ok(stored))
    }

    /// Moves a resource to `CREATE IN_PROGRESS` (visible to Describe while the work runs). The
    /// task's final update then expects that status.
    pub(crate) fn mark_in_progress(&self, arn: &str) -> ServiceResult<()> {
        if let Some(record) = self.store().get_resource(arn)? {
            let mut doc = record.doc;
            set_status(&mut doc, ResourceStatus::CreateInProgress.as_str());
            self.store().update_resource(&ResourceUpdate {
                arn: arn.into(),
                status: ResourceStatus::CreateInProgress.as_str().into(),
                doc,
                expected_status: Some(record.status),
            })?;
        }
        Ok(())
    }
}

/// Sets `status` and `lastUpdatedDateTime` in a wire document.
pub(crate) fn set_status(doc: &mut serde_json::Value, new_status: &str) {
    if let Some(map) = doc.as_object_mut() {
        map.insert("status".into(), new_status.into());
        map.insert("lastUpdatedDateTime".into(), now().into());
    }
}

/// The failed status a task leaves on its resource, writing the reason into the document.
fn failure_status(task_kind: Option<TaskKind>, current: &str, doc: &mut serde_json::Value, reason: &str) -> String {
    if task_kind == Some(TaskKind::Deploy) && current == ResourceStatus::Active.as_str() {
        // A failed campaign update: the campaign keeps serving its previous deployment.
        if let Some(update) = doc.get_mut("latestCampaignUpdate").and_then(|u| u.as_object_mut()) {
            update.insert("status".into(), ResourceStatus::CreateFailed.as_str().into());
            update.insert("failureReason".into(), reason.into());
            update.insert("lastUpdatedDateTime".into(), now().into());
        }
        return ResourceStatus::Active.as_str().to_string();
    }
    let update_field = match task_kind {
        // A failed schema replacement: the dataset keeps its schema.
        Some(TaskKind::DatasetUpdate) => Some("latestDatasetUpdate"),
        // A failed solution update: the solution keeps its settings.
        Some(TaskKind::SolutionUpdate) => Some("latestSolutionUpdate"),
        _ => None,
    };
    if let (Some(field), true) = (update_field, current == ResourceStatus::Active.as_str()) {
        if let Some(update) = doc.get_mut(field).and_then(|u| u.as_object_mut()) {
            update.insert("status".into(), ResourceStatus::CreateFailed.as_str().into());
            update.insert("failureReason".into(), reason.into());
            update.insert("lastUpdatedDateTime".into(), now().into());
        }
        return ResourceStatus::Active.as_str().to_string();
    }
    if task_kind == Some(TaskKind::Recommender) {
        match ResourceStatus::parse(current) {
            // A failed update or retraining: the recommender keeps serving its current model.
            Some(ResourceStatus::Active) => {
                if let Some(update) = doc
                    .get_mut("latestRecommenderUpdate")
                    .and_then(|u| u.as_object_mut())
                    .filter(|u| u.get("status").and_then(|s| s.as_str()).is_some_and(status::is_pending))
                {
                    update.insert("status".into(), ResourceStatus::CreateFailed.as_str().into());
                    update.insert("failureReason".into(), reason.into());
                    update.insert("lastUpdatedDateTime".into(), now().into());
                }
                return ResourceStatus::Active.as_str().to_string();
            }
            // A start that failed leaves it stopped; a stop that failed, serving.
            Some(ResourceStatus::StartPending | ResourceStatus::StartInProgress) => {
                set_status(doc, ResourceStatus::Inactive.as_str());
                if let Some(map) = doc.as_object_mut() {
                    map.insert("failureReason".into(), reason.into());
                }
                return ResourceStatus::Inactive.as_str().to_string();
            }
            Some(ResourceStatus::StopPending | ResourceStatus::StopInProgress) => {
                set_status(doc, ResourceStatus::Active.as_str());
                return ResourceStatus::Active.as_str().to_string();
            }
            _ => {}
        }
    }
    if task_kind == Some(TaskKind::Delete) {
        // A deletion that failed leaves the resource as it was before the request.
        let previous = doc
            .get(INTERNAL_KEY)
            .and_then(|i| i.get("statusBeforeDelete"))
            .and_then(|s| s.as_str())
            .unwrap_or(ResourceStatus::Active.as_str())
            .to_string();
        set_status(doc, &previous);
        return previous;
    }
    set_status(doc, ResourceStatus::CreateFailed.as_str());
    if let Some(map) = doc.as_object_mut() {
        map.insert("failureReason".into(), reason.into());
    }
    ResourceStatus::CreateFailed.as_str().to_string()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use reko_api::*;

    use super::*;
    use crate::{AccessScope, ServiceConfig};

    /// A failed schema replacement fails the update, not the dataset, which keeps its schema.
    #[test]
    fn a_failed_dataset_update_leaves_the_dataset_active() {
        let mut doc = serde_json::json!({
            "status": "ACTIVE", "schemaArn": "arn:s1",
            "latestDatasetUpdate": {"schemaArn": "arn:s2", "status": "CREATE IN_PROGRESS",
                                    "creationDateTime": 1.0, "lastUpdatedDateTime": 1.0}
        });
        let status =
            failure_status(Some(TaskKind::DatasetUpdate), ResourceStatus::Active.as_str(), &mut doc, "no such schema");
        assert_eq!(status, ResourceStatus::Active.as_str());
        assert_eq!((doc["status"].as_str(), doc["schemaArn"].as_str()), (Some("ACTIVE"), Some("arn:s1")));
        let update = &doc["latestDatasetUpdate"];
        assert_eq!(update["status"], ResourceStatus::CreateFailed.as_str());
        assert_eq!(update["failureReason"], "no such schema");
        assert!(doc.get("failureReason").is_none());
    }

    use crate::test_support::drain;

    fn task_of(reko: &Reko, arn: &str) -> Task {
        reko.store().list_tasks().unwrap().into_iter().find(|t| t.resource_arn == arn).expect("a task")
    }

    /// A scoped key sees its own group's tasks and not which worker runs them; the root key
    /// sees every task with its owner and lease.
    #[test]
    fn a_scoped_key_sees_its_tasks_without_the_worker() {
        let dir = tempfile::tempdir().unwrap();
        let reko =
            Reko::open(ServiceConfig { data_dir: dir.path().join("d"), workers: 0, ..Default::default() }).unwrap();
        let root = AccessScope::default();
        let group = |name: &str| {
            let request = CreateDatasetGroupRequest { name: name.into(), ..Default::default() };
            reko.create_dataset_group(request, &root).unwrap().dataset_group_arn
        };
        let (a, b) = (group("a"), group("b"));
        for _ in 0..2 {
            reko.store().claim_task("host:4242:secret", crate::DEFAULT_TASK_LEASE).unwrap().unwrap();
        }
        let all = reko.list_tasks_in(&root).unwrap();
        assert_eq!(all.len(), 2);
        assert!(all.iter().all(|t| t.owner.as_deref() == Some("host:4242:secret") && t.lease_expires.is_some()));
        let scoped = AccessScope { dataset_groups: Some(vec![a.clone()]), ..Default::default() };
        let seen = reko.list_tasks_in(&scoped).unwrap();
        assert_eq!(seen.iter().map(|t| t.resource_arn.as_str()).collect::<Vec<_>>(), [a.as_str()]);
        assert_eq!((seen[0].state.as_str(), seen[0].owner.as_deref(), seen[0].lease_expires), ("running", None, None));
        let json = serde_json::to_string(&seen).unwrap();
        assert!(!json.contains("4242") && !json.contains(&b), "{json}");
    }

    /// A version created while its solution is CREATE PENDING: its training, claimed while the
    /// solution's activation is still running elsewhere, goes back to the queue without counting
    /// an attempt and trains once the solution is ACTIVE.
    #[test]
    fn training_waits_for_its_solution_to_be_active() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("interactions.csv");
        let mut f = std::fs::File::create(&csv).unwrap();
        writeln!(f, "USER_ID,ITEM_ID,TIMESTAMP").unwrap();
        for u in 0..40 {
            for k in 0..30 {
                writeln!(f, "u{u},i{},{}", (u + k) % 25, 1_700_000_000 + u * 100 + k).unwrap();
            }
        }
        drop(f);
        let reko =
            Reko::open(ServiceConfig { data_dir: dir.path().join("d"), workers: 0, ..Default::default() }).unwrap();
        let scope = AccessScope::default();
        let dsg = reko
            .create_dataset_group(CreateDatasetGroupRequest { name: "g".into(), ..Default::default() }, &scope)
            .unwrap()
            .dataset_group_arn;
        drain(&reko);
        let schema = reko
            .create_schema(
                CreateSchemaRequest {
                    name: "s".into(),
                    schema: r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#.into(),
                    ..Default::default()
                },
                &scope,
            )
            .unwrap()
            .schema_arn;
        let dataset = reko
            .create_dataset(CreateDatasetRequest {
                name: "d".into(),
                schema_arn: schema,
                dataset_group_arn: dsg.clone(),
                dataset_type: "interactions".into(),
                tags: None,
            })
            .unwrap()
            .dataset_arn;
        drain(&reko);
        reko.create_dataset_import_job(
            CreateDatasetImportJobRequest {
                job_name: "j".into(),
                dataset_arn: dataset,
                data_source: DataSource { data_location: Some(csv.display().to_string()) },
                ..Default::default()
            },
            &scope,
        )
        .unwrap();
        drain(&reko);

        let solution = reko
            .create_solution(CreateSolutionRequest {
                name: "pop".into(),
                dataset_group_arn: dsg,
                recipe_arn: Some("arn:aws:personalize:::recipe/aws-popularity-count".into()),
                ..Default::default()
            })
            .unwrap()
            .solution_arn;
        let version = reko
            .create_solution_version(CreateSolutionVersionRequest {
                solution_arn: solution.clone(),
                ..Default::default()
            })
            .unwrap()
            .solution_version_arn;
        let status_of = |arn: &str| reko.store().get_resource(arn).unwrap().unwrap().status;
        assert_eq!(status_of(&solution), ResourceStatus::CreatePending.as_str());
        assert_eq!(status_of(&version), ResourceStatus::CreatePending.as_str());

        // Another worker has claimed the activation and not finished it yet.
        let activation = reko.store().claim_task("another-worker", crate::DEFAULT_TASK_LEASE).unwrap().unwrap().task;
        assert_eq!((activation.kind, activation.resource_arn.as_str()), (Ok(TaskKind::Activate), solution.as_str()));
        for _ in 0..3 {
            assert!(!reko.run_next_task().unwrap(), "the training waits");
            let training = task_of(&reko, &version);
            assert_eq!((training.state, training.attempts), (TaskState::Queued, 0));
            assert_eq!(status_of(&version), ResourceStatus::CreatePending.as_str());
        }
        // The activation runs (again, as after an interruption), then the training.
        reko.store().requeue_task(activation.id, "another-worker").unwrap();
        drain(&reko);
        assert_eq!(status_of(&solution), ResourceStatus::Active.as_str());
        assert_eq!(status_of(&version), ResourceStatus::Active.as_str());
        let training = task_of(&reko, &version);
        assert_eq!((training.state, training.attempts), (TaskState::Succeeded, 1));
        reko.shutdown();
    }
}
