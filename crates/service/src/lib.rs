//! Reko's service layer: every Personalize operation as a function in Personalize's vocabulary
//! (create dataset group, create dataset import job, get recommendations, ...), over the storage
//! and the engine. It knows nothing of HTTP; `reko-http` decodes requests and dispatches here.
//!
//! Long operations (imports, training, campaign deployment, deletions) are persistent tasks run by
//! background workers; see [`tasks`].

pub mod access;
mod action_events;
mod action_filter;
mod action_snapshot;
pub mod arn;
pub mod artifact_store;
mod auto_training;
mod batch_files;
mod batch_inference_job;
mod batch_segment_job;
mod campaign;
mod campaign_sync;
pub mod cluster;
pub mod collect;
mod data_deletion_job;
mod data_roots;
mod dataset;
mod dataset_export_job;
mod dataset_group;
mod dataset_import_job;
mod deletion;
mod deployment;
pub mod encryption;
pub mod error;
mod event_tracker;
mod events;
pub mod experiment;
mod filter;
mod hpo;
mod ingest;
mod insights;
mod job_access;
mod live;
pub mod metric_attribution;
pub mod metrics;
pub mod object_storage;
mod recipe;
mod recommendation_id;
mod recommender;
mod replicas;
pub mod resource;
mod runtime;
pub mod s3_roles;
pub mod scheduler;
mod schema;
mod snapshot;
mod solution;
mod solution_update;
mod solution_version;
mod tags;
pub mod tasks;
#[cfg(test)]
mod test_support;
pub mod usage;
mod use_case;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::Duration;

use reko_storage::{PgStore, SqliteStore};

pub use access::AccessScope;
pub use cluster::{Role, DEFAULT_TASK_LEASE};
pub use dataset_import_job::STRICT_IMPORT_TAG;
pub use deployment::{Deployment, ServingLoads};
pub use error::{ServiceError, ServiceResult};
pub use insights::{EventActivity, InteractionInsights, RecentEvent, MIN_INTERACTIONS, MIN_USERS_WITH_TWO};
pub use live::{
    DEFAULT_FILTER_INTERACTIONS_PER_TYPE, DEFAULT_MAX_LIVE_EVENTS, DEFAULT_MAX_LIVE_USERS,
    MAX_FILTER_INTERACTIONS_PER_TYPE,
};
/// The store interface (both backends), for tools reading a store directly (`reko usage`).
pub use reko_storage::Store;
pub use s3_roles::S3Role;
pub use scheduler::Clock;
pub use solution_version::HpoTrials;
pub use tasks::TaskInfo;

use arn::ArnScheme;

/// A PostgreSQL URL, which may hold a password: never shown by `Debug`.
#[derive(Clone)]
pub struct DatabaseUrl(pub String);

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseUrl(redacted)")
    }
}

/// What a Reko server needs to know about itself.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Holds `reko.db` (catalog, records, tasks; unless `database_url` is set), `models/`
    /// (model artifacts, unless `artifact_store` is elsewhere) and `artifact-cache/`.
    pub data_dir: PathBuf,
    /// A PostgreSQL database (`postgres://...`) holding the catalog, records and tasks instead of
    /// `data_dir/reko.db`. Opening it blocks: call [`Reko::open`] off async worker threads.
    pub database_url: Option<DatabaseUrl>,
    /// Region and account used in ARNs.
    pub region: String,
    pub account_id: String,
    /// Background task workers (imports, training, deployments run in parallel up to this). Zero
    /// runs no task at all (tasks wait in the queue), which tests use to stage interruptions.
    pub workers: usize,
    /// An interrupted task is retried after a restart at most this many times, then its resource
    /// fails with a reason.
    pub max_task_attempts: i64,
    /// Where `s3://` data locations are read and written.
    pub object_storage: object_storage::ObjectStorageConfig,
    /// Where model artifacts are stored (an `s3://` one through `object_storage`); shared by the
    /// processes of a cluster.
    pub artifact_store: artifact_store::ArtifactLocation,
    /// Folders local data locations (imports, batch jobs, exports) must lie in; `None` allows any
    /// path (embedding applications), the server always sets them.
    pub allowed_data_roots: Option<Vec<PathBuf>>,
    /// The server's own files outside the data directory (its configuration file, key material):
    /// like the data directory, never a data location, whatever the roots.
    pub server_files: Vec<PathBuf>,
    /// Customer keys dataset groups may be encrypted with (`kmsKeyArn`).
    pub customer_keys: Vec<encryption::CustomerKey>,
    /// Roles a job's `roleArn` may select for its `s3://` locations (`[[s3_roles]]`): their
    /// credentials and the prefixes they may use.
    pub s3_roles: Vec<S3Role>,
    /// Most users, anonymous sessions and session→user links held in real-time state (PutEvents
    /// folded in at request time), all dataset groups together; beyond it the least recently
    /// used are evicted (their events stay stored and count at the next training).
    pub max_live_users: usize,
    /// Most events held in real-time state, all dataset groups together (the least recently used
    /// users and sessions are evicted beyond it, as for `max_live_users`).
    pub max_live_events: usize,
    /// Interaction filters see the newest this many interactions per user and event type
    /// (Personalize's quota, 100, by default; at most [`MAX_FILTER_INTERACTIONS_PER_TYPE`]).
    pub filter_interactions_per_type: usize,
    /// Days of per-campaign usage windows kept (pruned at each flush; 1 to
    /// [`usage::MAX_DAYS`], default [`usage::DEFAULT_RETENTION_DAYS`]).
    pub usage_retention_days: u32,
    /// The time due work (automatic training) is measured against.
    pub clock: Clock,
    /// How often the scheduler runs due work; zero runs no scheduler (an embedding application
    /// or a test calls [`Reko::run_scheduler_tick`] itself).
    pub scheduler_interval: Duration,
    /// What this process runs: everything, the API only, or the workers and scheduler only
    /// (the latter two need `database_url`; docs/cluster.md).
    pub role: Role,
    /// How long a claimed task is held without a heartbeat (renewed every third of it); a task
    /// whose lease expired is taken over by another worker. 2 s to an hour.
    pub task_lease: Duration,
}

/// How often the scheduler looks for due work by default: automatic trainings are due days
/// apart, a campaign following its solution's latest version redeploys within this.
pub const DEFAULT_SCHEDULER_INTERVAL: Duration = Duration::from_secs(30);

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            data_dir: PathBuf::from("reko-data"),
            database_url: None,
            region: "us-east-1".to_string(),
            account_id: "123456789012".to_string(),
            workers: 2,
            max_task_attempts: 3,
            object_storage: Default::default(),
            artifact_store: Default::default(),
            allowed_data_roots: None,
            server_files: Vec::new(),
            customer_keys: Vec::new(),
            s3_roles: Vec::new(),
            max_live_users: live::DEFAULT_MAX_LIVE_USERS,
            max_live_events: live::DEFAULT_MAX_LIVE_EVENTS,
            filter_interactions_per_type: live::DEFAULT_FILTER_INTERACTIONS_PER_TYPE,
            usage_retention_days: usage::DEFAULT_RETENTION_DAYS,
            clock: Clock::system(),
            scheduler_interval: DEFAULT_SCHEDULER_INTERVAL,
            role: Role::All,
            task_lease: DEFAULT_TASK_LEASE,
        }
    }
}

/// A running Reko service. Cheap to clone; all clones share state.
#[derive(Clone)]
pub struct Reko {
    inner: Arc<Inner>,
}

struct Inner {
    config: ServiceConfig,
    arns: ArnScheme,
    store: Arc<dyn Store>,
    /// Where model artifacts are written and read (through this process's cache).
    artifacts: artifact_store::ArtifactStore,
    /// Models currently served, per campaign ARN. Swapped whole, so a redeployment has no gap.
    deployments: RwLock<HashMap<String, Arc<Deployment>>>,
    wake: (Mutex<u64>, Condvar),
    stopping: AtomicBool,
    /// Set once the start-up warm-up has loaded every ACTIVE campaign and recommender ([`Reko::is_ready`]).
    warmed_up: AtomicBool,
    workers: Mutex<Vec<std::thread::JoinHandle<()>>>,
    /// Group commit of individually put records.
    writer: events::RecordWriter,
    /// Tracking ids and datasets resolved for the events service.
    ingest: events::IngestTargets,
    /// Users' real-time events.
    live: live::LiveState,
    /// Parsed filters and the attribute tables they read.
    filters: filter::FilterState,
    /// Held while a campaign's model is loaded for serving.
    loading: Mutex<()>,
    /// Held by a data deletion job from reading the chunks it rewrites to the rewrite's commit:
    /// two jobs rewriting the same chunk at once would each keep the other's users.
    erasing: Mutex<()>,
    /// Held by a scheduler pass, so two never run the same due work.
    scheduling: Mutex<()>,
    /// Models loaded by a request or the warm-up after a start, not by their deployment.
    models_loaded_on_demand: std::sync::atomic::AtomicU64,
    /// Unwrapped data keys of encrypted dataset groups.
    data_keys: encryption::DataKeys,
    /// Dataset groups of resources, for scoped keys.
    owners: access::Owners,
    /// Runtime requests per campaign, flushed to storage per 5-minute window.
    usage: usage::Accounting,
    /// Experiment exposures not yet written.
    exposures: experiment::ExposureBuffer,
    /// Stops the store's change feed ([`replicas`]).
    feed_stop: Arc<AtomicBool>,
    /// Campaigns and recommenders whose model, changed by another process, loads in the
    /// background; true: changed again meanwhile (looked at once more after the load).
    following: Mutex<HashMap<String, bool>>,
    /// The owner this process's workers claim tasks as (unique per process run).
    worker_id: String,
}

impl Reko {
    /// Opens (or creates) the data directory, repairs interrupted work and starts the workers.
    pub fn open(config: ServiceConfig) -> ServiceResult<Reko> {
        Reko::check_cluster_config(&config)?;
        // Owner-only (0700), with its models/ folder.
        data_roots::create_data_dir(&config.data_dir)?;
        object_storage::Scratch::clear_all(&config.data_dir);
        let store: Arc<dyn Store> = match &config.database_url {
            Some(url) => Arc::new(PgStore::open(&url.0)?),
            None => Arc::new(SqliteStore::open(&config.data_dir.join("reko.db"))?),
        };
        let live = live::LiveState::new(
            config.max_live_users,
            config.max_live_events,
            config.filter_interactions_per_type.clamp(1, MAX_FILTER_INTERACTIONS_PER_TYPE),
        );
        let usage_retention_days = config.usage_retention_days;
        let artifacts =
            artifact_store::ArtifactStore::open(&config.artifact_store, &config.data_dir, &config.object_storage)
                .map_err(|e| ServiceError::Internal(format!("cannot open the artifact store: {e}")))?;
        let reko = Reko {
            inner: Arc::new(Inner {
                arns: ArnScheme { region: config.region.clone(), account_id: config.account_id.clone() },
                config,
                writer: events::RecordWriter::start(store.clone()),
                ingest: events::IngestTargets::default(),
                live,
                filters: filter::FilterState::default(),
                loading: Mutex::new(()),
                erasing: Mutex::new(()),
                scheduling: Mutex::new(()),
                models_loaded_on_demand: Default::default(),
                data_keys: encryption::DataKeys::default(),
                owners: access::Owners::default(),
                usage: usage::Accounting::new(usage_retention_days, usage::now_secs()),
                exposures: experiment::ExposureBuffer::default(),
                feed_stop: Arc::new(AtomicBool::new(false)),
                following: Mutex::new(HashMap::new()),
                worker_id: cluster::worker_identity(),
                store,
                artifacts,
                deployments: RwLock::new(HashMap::new()),
                wake: (Mutex::new(0), Condvar::new()),
                stopping: AtomicBool::new(false),
                warmed_up: AtomicBool::new(false),
                workers: Mutex::new(Vec::new()),
            }),
        };
        reko.rewrap_data_keys()?;
        let role = reko.config().role;
        if let Err(e) = reko.prune_artifact_cache() {
            tracing::warn!(error = %e, "could not prune the artifact cache");
        }
        if role.runs_tasks() {
            reko.recover_interrupted_tasks()?;
            reko.repair_auto_training_schedules()?;
        }
        // Before the warm-up: what it loads is then kept current.
        reko.start_change_feed()?;
        if role.runs_tasks() {
            reko.start_workers();
            reko.start_scheduler();
        }
        reko.start_usage_flusher();
        if role.serves_api() {
            reko.warm_up_in_background();
        } else {
            // Nothing to load: a worker serves no campaign.
            reko.inner.warmed_up.store(true, Ordering::Release);
        }
        Ok(reko)
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.inner.config
    }

    pub(crate) fn arns(&self) -> &ArnScheme {
        &self.inner.arns
    }

    pub(crate) fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    pub(crate) fn models_dir(&self) -> PathBuf {
        self.inner.config.data_dir.join("models")
    }

    /// Wakes a worker: a task was enqueued.
    pub(crate) fn notify_workers(&self) {
        let (lock, cvar) = &self.inner.wake;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        cvar.notify_all();
    }

    fn start_workers(&self) {
        if self.inner.config.workers > 0 {
            self.start_heartbeat();
        }
        let mut handles = self.inner.workers.lock().unwrap_or_else(|p| p.into_inner());
        for i in 0..self.inner.config.workers {
            let reko = self.clone();
            let handle = std::thread::Builder::new()
                .name(format!("reko-worker-{i}"))
                .spawn(move || reko.worker_loop())
                .expect("spawning a worker thread");
            handles.push(handle);
        }
    }

    fn worker_loop(&self) {
        while !self.inner.stopping.load(Ordering::SeqCst) {
            match self.run_next_task() {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "task queue failure"),
            }
            let (lock, cvar) = &self.inner.wake;
            let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
            let _ = cvar.wait_timeout(guard, Duration::from_millis(200));
        }
    }

    /// Stops the workers after their current task, and flushes the usage counted in the open
    /// window. Interrupted work resumes at the next open.
    pub fn shutdown(&self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        self.inner.feed_stop.store(true, Ordering::SeqCst);
        self.notify_workers();
        let handles: Vec<_> = self.inner.workers.lock().unwrap_or_else(|p| p.into_inner()).drain(..).collect();
        for h in handles {
            let _ = h.join();
        }
        if let Err(e) = self.flush_usage() {
            tracing::error!(error = %e, "the open window's usage could not be stored at shutdown");
        }
        self.flush_exposures();
    }
}
