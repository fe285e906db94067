//! The persistent task queue: what a task is, and what workers do with it (claim under a lease,
//! renew, report, finish), fenced so that a worker that lost its lease writes nothing.

use crate::{ResourceRecord, ResourceUpdate, StorageResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl Task {
    /// The kind as stored (known or not), for logs and listings.
    pub fn kind_str(&self) -> &str {
        match &self.kind {
            Ok(kind) => kind.as_str(),
            Err(UnknownTaskKind(stored)) => stored,
        }
    }

    /// The kind, when this version knows it.
    pub fn known_kind(&self) -> Option<TaskKind> {
        self.kind.as_ref().ok().copied()
    }
}

impl TaskState {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Queued => "queued",
            TaskState::Running => "running",
            TaskState::Succeeded => "succeeded",
            TaskState::Failed => "failed",
        }
    }
    pub(crate) fn parse(s: &str) -> TaskState {
        match s {
            "running" => TaskState::Running,
            "succeeded" => TaskState::Succeeded,
            "failed" => TaskState::Failed,
            _ => TaskState::Queued,
        }
    }
}

/// What a task does. Stored in the queue as [`TaskKind::as_str`]; those strings are part of the
/// data directory's format and never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskKind {
    /// Brings a lightweight resource (dataset group, dataset, solution, ...) to ACTIVE.
    Activate,
    Import,
    Train,
    Deploy,
    Delete,
    BatchInference,
    BatchSegment,
    Export,
    /// A dataset's schema replacement.
    DatasetUpdate,
    /// A data deletion job: users' records erased from a dataset group.
    DataDeletion,
    /// A solution's settings change (UpdateSolution).
    SolutionUpdate,
    /// A recommender's training, retraining, update, stop or start (its status says which).
    Recommender,
}

impl TaskKind {
    pub const ALL: [TaskKind; 12] = [
        TaskKind::Activate,
        TaskKind::Import,
        TaskKind::Train,
        TaskKind::Deploy,
        TaskKind::Delete,
        TaskKind::BatchInference,
        TaskKind::BatchSegment,
        TaskKind::Export,
        TaskKind::DatasetUpdate,
        TaskKind::DataDeletion,
        TaskKind::SolutionUpdate,
        TaskKind::Recommender,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Activate => "activate",
            TaskKind::Import => "dataset-import",
            TaskKind::Train => "solution-version-training",
            TaskKind::Deploy => "campaign-deployment",
            TaskKind::Delete => "delete",
            TaskKind::BatchInference => "batch-inference",
            TaskKind::BatchSegment => "batch-segment",
            TaskKind::Export => "dataset-export",
            TaskKind::DatasetUpdate => "dataset-update",
            TaskKind::DataDeletion => "data-deletion",
            TaskKind::SolutionUpdate => "solution-update",
            TaskKind::Recommender => "recommender",
        }
    }

    /// The kind a stored string names.
    pub fn parse(s: &str) -> Result<TaskKind, UnknownTaskKind> {
        TaskKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| UnknownTaskKind(s.to_string()))
    }
}

impl std::fmt::Display for TaskKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored task kind this version does not know (a queue written by another version): the task
/// is still listed, and fails when it runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown task kind {0}")]
pub struct UnknownTaskKind(pub String);

/// A persistent background task (import, training, deployment, deletion, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: i64,
    /// The kind, or the stored string when it is unknown to this version.
    pub kind: Result<TaskKind, UnknownTaskKind>,
    pub resource_arn: String,
    pub state: TaskState,
    pub progress: f64,
    pub detail: String,
    pub attempts: i64,
    pub created: f64,
    pub updated: f64,
    /// The worker that claimed the task last (kept once it ends: who ran it); `None` while it
    /// never ran or after it went back to the queue.
    pub owner: Option<String>,
    /// Epoch seconds until which the owner holds a running task; past it, another worker may
    /// take the task over. `None` unless running.
    pub lease_expires: Option<f64>,
}

/// A task a worker claimed ([`TaskQueue::claim_task`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub task: Task,
    /// The owner whose lease had expired, when the task was taken over from a dead worker
    /// rather than taken from the queue.
    pub taken_over_from: Option<String>,
}

/// How long a claimed task is held without a renewal ([`TaskQueue::renew_leases`]).
pub type Lease = std::time::Duration;

pub trait TaskQueue: Send + Sync {
    fn enqueue_task(&self, kind: TaskKind, resource_arn: &str) -> StorageResult<i64>;
    /// Inserts a resource and the task that brings it to life in one transaction, so a crash can
    /// never leave a pending resource without the work that completes it.
    fn insert_resource_with_task(&self, record: &ResourceRecord, task_kind: TaskKind) -> StorageResult<i64>;
    /// Updates a resource and enqueues a task for it in one transaction.
    fn update_resource_with_task(&self, update: &ResourceUpdate, task_kind: TaskKind) -> StorageResult<i64>;
    /// Takes the oldest task that is queued, or running under an expired lease of another owner
    /// (its worker died: a takeover), marks it running for `owner` until now + `lease`, and
    /// counts an attempt. Never takes a task `owner` itself holds.
    fn claim_task(&self, owner: &str, lease: Lease) -> StorageResult<Option<Claimed>>;
    /// Extends to now + `lease` the leases of the running tasks `owner` holds (a heartbeat);
    /// returns how many.
    fn renew_leases(&self, owner: &str, lease: Lease) -> StorageResult<u64>;
    /// Records a running task's progress; [`crate::StorageError::LeaseLost`] unless `owner` holds it.
    fn report_progress(&self, id: i64, owner: &str, progress: f64, detail: &str) -> StorageResult<()>;
    /// Ends a task, together with the resource update that makes its outcome visible. Fenced:
    /// unless `owner` still holds the running task, nothing is written (neither the task nor the
    /// resource) and the result is [`crate::StorageError::LeaseLost`].
    fn finish_task(
        &self,
        id: i64,
        owner: &str,
        state: TaskState,
        detail: &str,
        update: Option<&ResourceUpdate>,
    ) -> StorageResult<()>;
    /// After a restart of the only process using the store (the embedded store): running tasks
    /// go back to the queue (counting the attempt). Returns them as they were found. Never for a
    /// store several processes share: their live workers' tasks would be taken from them.
    fn requeue_interrupted(&self) -> StorageResult<Vec<Task>>;
    fn list_tasks(&self) -> StorageResult<Vec<Task>>;
    /// Puts a running task `owner` holds back in the queue (its resource changed under it; it
    /// runs again). This does not count as an interrupted attempt. [`crate::StorageError::LeaseLost`]
    /// unless `owner` holds it.
    fn requeue_task(&self, id: i64, owner: &str) -> StorageResult<()>;
    /// Whether this process is the one that runs the scheduler's passes. The embedded store has
    /// one process: always. The shared store: whoever holds a session-level advisory lock on a
    /// connection of its own (released when the process dies); others get `false` and may ask
    /// again to take over.
    fn hold_scheduler_lock(&self) -> StorageResult<bool>;
}
