//! Data deletion jobs: a CSV of `USER_ID`s whose records are erased from a dataset group
//! (docs/compatibility.md, "Data deletion jobs").
//!
//! The job's task reads the ids, then rewrites every stored chunk of the group's datasets that
//! holds one of them (Interactions, Users: bulk-imported and put records,
//! sealed ones opened and sealed again) without their rows: the users' rows and the anonymous
//! events of the sessions those users were seen in. The rewrite and the count of users found
//! commit in one transaction; the real-time state and filter tables of the group are then
//! rebuilt from storage, and the database is compacted so that no file keeps the erased bytes.
//! A job interrupted before the rewrite committed runs again from the start; one interrupted after
//! it only compacts again, and reports the count it recorded.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use reko_api::{
    CreateDataDeletionJobRequest, CreateDataDeletionJobResponse, DataDeletionJob, DataLocation, Dataset,
    DescribeDataDeletionJobRequest, DescribeDataDeletionJobResponse, ListDataDeletionJobsRequest,
    ListDataDeletionJobsResponse, ResourceStatus,
};
use reko_dataset::RecordBatch;
use reko_storage::{ChunkRewrite, TaskKind};
use serde_json::Value;

use crate::access::AccessScope;
use crate::data_roots::DataAccess;
use crate::error::{ServiceError, ServiceResult};
use crate::ingest::SESSION_ID_COLUMN;
use crate::object_storage::Scratch;
use crate::resource::{now, paginate, to_document, update_of, ResourceKind};
use crate::tasks::{set_status, Outcome, Progress};
use crate::Reko;

/// Data deletion jobs pending or in progress at once, per dataset group.
const MAX_PENDING_DELETIONS: usize = 5;

/// The job's bookkeeping key holding how many users the committed rewrite found (present once
/// the users' records are gone; a resumed job then only compacts).
const USERS_ERASED: &str = "usersErased";

/// The CSV column naming the users.
const USER_ID: &str = "USER_ID";

/// Why the users' CSV could not be read; the message is the job's failure reason.
#[derive(Debug, thiserror::Error)]
enum UserListError {
    #[error("cannot read {}: {reason}", path.display())]
    Read { path: std::path::PathBuf, reason: String },
    #[error("{} has no header row; the first row must be the header USER_ID", path.display())]
    NoHeader { path: std::path::PathBuf },
    #[error("{} must have a single column, USER_ID; its header is [{header}]", path.display())]
    Header { path: std::path::PathBuf, header: String },
    #[error("{location} has no file to read")]
    NoFiles { location: String },
    #[error(transparent)]
    Place(#[from] crate::data_roots::PlaceError),
    #[error(transparent)]
    Storage(#[from] crate::job_access::JobStorageError),
    #[error(transparent)]
    Download(#[from] crate::object_storage::ObjectStorageError),
}

/// What erasing users from a dataset group found and changed.
#[derive(Debug, Default)]
struct Erasure {
    rewrites: Vec<ChunkRewrite>,
    /// The requested users that had records in the group.
    found: HashSet<String>,
    /// Rows removed, all datasets together.
    rows: u64,
}

impl Reko {
    pub fn create_data_deletion_job(
        &self,
        req: CreateDataDeletionJobRequest,
        scope: &AccessScope,
    ) -> ServiceResult<CreateDataDeletionJobResponse> {
        self.active_dataset_group(&req.dataset_group_arn)?;
        let location = req.data_source.data_location.clone().unwrap_or_default();
        let grant = self.authorize_job_locations(
            scope,
            Some(&req.role_arn),
            &[(location.as_str(), "dataSource.dataLocation")],
        )?;
        self.ensure_fewer_pending(ResourceKind::DataDeletionJob, MAX_PENDING_DELETIONS, &req.dataset_group_arn)?;
        let arn = self.arns().child(&req.dataset_group_arn, ResourceKind::DataDeletionJob, &req.job_name);
        let created = now();
        let job = DataDeletionJob {
            job_name: req.job_name.clone(),
            data_deletion_job_arn: arn.clone(),
            dataset_group_arn: req.dataset_group_arn.clone(),
            data_source: req.data_source,
            role_arn: req.role_arn,
            status: ResourceStatus::CreatePending.as_str().into(),
            num_deleted: None,
            creation_date_time: created,
            last_updated_date_time: created,
            failure_reason: None,
        };
        self.create_resource(
            ResourceKind::DataDeletionJob,
            &arn,
            &req.job_name,
            Some(&req.dataset_group_arn),
            Some(&req.dataset_group_arn),
            to_document(&job, &grant.internal())?,
            TaskKind::DataDeletion,
            &req.tags.unwrap_or_default(),
        )?;
        Ok(CreateDataDeletionJobResponse { data_deletion_job_arn: arn })
    }

    pub fn describe_data_deletion_job(
        &self,
        req: DescribeDataDeletionJobRequest,
    ) -> ServiceResult<DescribeDataDeletionJobResponse> {
        let stored = self.load::<DataDeletionJob>(ResourceKind::DataDeletionJob, &req.data_deletion_job_arn)?;
        Ok(DescribeDataDeletionJobResponse { data_deletion_job: stored.wire.with_wire_status() })
    }

    pub fn list_data_deletion_jobs(
        &self,
        req: ListDataDeletionJobsRequest,
        scope: &AccessScope,
    ) -> ServiceResult<ListDataDeletionJobsResponse> {
        let all = self.load_visible::<DataDeletionJob>(
            ResourceKind::DataDeletionJob,
            req.dataset_group_arn.as_deref(),
            scope,
        )?;
        let (data_deletion_jobs, next_token) = paginate(&all, req.next_token.as_deref(), req.max_results)?;
        Ok(ListDataDeletionJobsResponse { data_deletion_jobs, next_token })
    }

    /// The data deletion task.
    pub(crate) fn run_data_deletion(&self, arn: &str, progress: &mut Progress<'_>) -> ServiceResult<Outcome> {
        let stored = match self.start_job::<DataDeletionJob>(ResourceKind::DataDeletionJob, arn)? {
            Ok(stored) => stored,
            Err(outcome) => return Ok(outcome),
        };
        let group = stored.wire.dataset_group_arn.clone();
        let erased = match stored.internal.get(USERS_ERASED).and_then(Value::as_u64) {
            // Resumed after the rewrite committed: only the compaction is left.
            Some(erased) => erased,
            None => {
                progress.report(0.05, "reading the user ids");
                let users = match self.deletion_user_ids(&stored) {
                    Ok(users) => users,
                    Err(e) => return Ok(Outcome::Failed { reason: e.to_string() }),
                };
                progress.report(0.2, &format!("{} user ids read; erasing their records", users.len()));
                let erasing = self.inner.erasing.lock().unwrap_or_else(|p| p.into_inner());
                let erasure = self.erase_users(&group, &users)?;
                let erased = erasure.found.len() as u64;
                // The rewrite and the count commit together: a job resumed after it does not
                // count again (the users would no longer be found).
                let mut current = self.load::<DataDeletionJob>(ResourceKind::DataDeletionJob, arn)?;
                if let Some(internal) = current.internal.as_object_mut() {
                    internal.insert(USERS_ERASED.into(), erased.into());
                } else {
                    current.internal = serde_json::json!({ USERS_ERASED: erased });
                }
                let status = current.record.status.clone();
                self.store().rewrite_records(&erasure.rewrites, &update_of(&current, &status)?)?;
                drop(erasing);
                // Request-time views of the group's records are rebuilt from storage on next use.
                self.inner.live.forget(&group);
                self.inner.filters.forget_tables(&group);
                tracing::info!(job = arn, users = erased, rows = erasure.rows, "users' records erased");
                erased
            }
        };
        progress.report(0.8, "compacting the database");
        match self.store().compact() {
            Ok(()) => {}
            // A reader (e.g. `reko usage` beside the server) held the log: the job, its users
            // already erased, compacts again a little later.
            Err(reko_storage::StorageError::Busy(why)) => {
                return Ok(Outcome::Wait { detail: format!("compaction postponed: {why}") })
            }
            Err(e) => {
                return Ok(Outcome::Failed {
                    reason: format!(
                        "The users' records were removed, but the database could not be compacted, so its files \
                         may still hold their bytes: {e}"
                    ),
                })
            }
        }
        let mut current = self.load::<DataDeletionJob>(ResourceKind::DataDeletionJob, arn)?;
        current.wire.status = ResourceStatus::Active.as_str().into();
        current.wire.num_deleted = Some(i32::try_from(erased).unwrap_or(i32::MAX));
        current.wire.last_updated_date_time = now();
        let mut update = update_of(&current, ResourceStatus::Active.as_str())?;
        set_status(&mut update.doc, ResourceStatus::Active.as_str());
        Ok(Outcome::Done { detail: format!("{erased} users deleted"), update: Some(update) })
    }

    /// The user ids of the job's CSV (downloaded first when it is an `s3://` location; the
    /// download is removed before this returns). The error is the job's failure reason.
    fn deletion_user_ids(
        &self,
        stored: &crate::resource::Stored<DataDeletionJob>,
    ) -> Result<HashSet<String>, UserListError> {
        let location = stored.wire.data_source.data_location.clone().unwrap_or_default();
        let field = "dataSource.dataLocation";
        let parsed = DataLocation::parse(field, &location);
        let grant = crate::job_access::JobGrant::of(&stored.internal);
        let places = self.job_places(&grant);
        let scratch = Scratch::new(&self.config().data_dir);
        let files = match parsed.as_s3() {
            Some(s3) => self.job_storage(&grant, &[&parsed])?.download(s3, &scratch.0.join("in"))?,
            None => places.input_files(&location, field)?,
        };
        if files.is_empty() {
            return Err(UserListError::NoFiles { location });
        }
        let mut users = HashSet::new();
        for file in &files {
            let reader: Box<dyn Read> = if parsed.is_s3() {
                let opened = std::fs::File::open(file);
                Box::new(opened.map_err(|e| UserListError::Read { path: file.clone(), reason: e.to_string() })?)
            } else {
                Box::new(places.open_or_reason(file, DataAccess::Read)?)
            };
            read_user_ids(file, reader, &mut users)?;
        }
        Ok(users)
    }

    /// The rewrites that erase `users` from every dataset of the group (nothing is stored yet).
    fn erase_users(&self, dataset_group_arn: &str, users: &HashSet<String>) -> ServiceResult<Erasure> {
        let mut erasure = Erasure::default();
        if users.is_empty() {
            return Ok(erasure);
        }
        let datasets = self.load_all::<Dataset>(ResourceKind::Dataset, Some(dataset_group_arn))?;
        for dataset in datasets {
            let arn = &dataset.wire.dataset_arn;
            let sealer = self.sealer_in_group(dataset_group_arn, arn)?;
            let chunks = self.store().read_records(arn)?;
            // Each chunk is decoded once per pass and dropped: memory holds the stored bytes and
            // the rewritten chunks, not the whole dataset decoded.
            let decode = |chunk: &reko_storage::RecordChunk| -> ServiceResult<RecordBatch> {
                RecordBatch::decode(&sealer.open(chunk.data.clone())?).map_err(|e| {
                    ServiceError::Internal(format!("stored records of {arn} (chunk {}) are corrupt: {e}", chunk.seq))
                })
            };
            // First the sessions the users were seen in: their anonymous events go too.
            let mut sessions = HashSet::new();
            for chunk in &chunks {
                sessions_of(&decode(chunk)?, users, &mut sessions);
            }
            for chunk in &chunks {
                let batch = decode(chunk)?;
                let Some(kept) = erase_from_batch(&batch, users, &sessions, &mut erasure.found) else { continue };
                erasure.rows += (batch.len() - kept.len()) as u64;
                erasure.rewrites.push(if kept.is_empty() {
                    ChunkRewrite::Delete { seq: chunk.seq }
                } else {
                    ChunkRewrite::Replace { seq: chunk.seq, rows: kept.len() as u64, data: sealer.seal(kept.encode())? }
                });
            }
        }
        Ok(erasure)
    }
}

/// Adds the user ids of one CSV (header `USER_ID`, one id a row; empty rows skipped) to `users`.
fn read_user_ids(path: &Path, reader: impl Read, users: &mut HashSet<String>) -> Result<(), UserListError> {
    let read_error = |e: csv::Error| UserListError::Read { path: path.to_path_buf(), reason: e.to_string() };
    let mut csv = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(reader);
    let header = csv.headers().map_err(read_error)?.clone();
    if header.is_empty() {
        return Err(UserListError::NoHeader { path: path.to_path_buf() });
    }
    let names: Vec<&str> = header.iter().map(|h| h.trim().trim_start_matches('\u{feff}')).collect();
    if names.len() != 1 || !names[0].eq_ignore_ascii_case(USER_ID) {
        return Err(UserListError::Header { path: path.to_path_buf(), header: names.join(", ") });
    }
    for record in csv.records() {
        let record = record.map_err(read_error)?;
        if let Some(id) = record.get(0).filter(|id| !id.is_empty()) {
            users.insert(id.to_string());
        }
    }
    Ok(())
}

/// Adds to `sessions` the sessions in which one of `users` put events.
fn sessions_of(batch: &RecordBatch, users: &HashSet<String>, sessions: &mut HashSet<String>) {
    let (Some(ids), Some(session_ids)) = (batch.column(USER_ID), batch.column(SESSION_ID_COLUMN)) else { return };
    for row in 0..batch.len() {
        if let (Some(user), Some(session)) = (ids.str_value(row), session_ids.str_value(row)) {
            if users.contains(user) {
                sessions.insert(session.to_string());
            }
        }
    }
}

/// `batch` without the rows of `users` and the anonymous rows (no user id) of `sessions`;
/// `None` when no row goes. The users found are added to `found`.
fn erase_from_batch(
    batch: &RecordBatch,
    users: &HashSet<String>,
    sessions: &HashSet<String>,
    found: &mut HashSet<String>,
) -> Option<RecordBatch> {
    let ids = batch.column(USER_ID)?;
    let session_ids = batch.column(SESSION_ID_COLUMN);
    let mut keep = vec![true; batch.len()];
    let mut dropped = false;
    for (row, keep) in keep.iter_mut().enumerate() {
        let erase = match ids.str_value(row) {
            Some(user) if users.contains(user) => {
                if !found.contains(user) {
                    found.insert(user.to_string());
                }
                true
            }
            Some(_) => false,
            None => session_ids.and_then(|s| s.str_value(row)).is_some_and(|s| sessions.contains(s)),
        };
        if erase {
            *keep = false;
            dropped = true;
        }
    }
    dropped.then(|| batch.filter_rows(&keep))
}

/// Whether a dataset group may be deleted with this job in it: a finished job goes with the
/// group; one still running holds it.
pub(crate) fn holds_group(record: &reko_storage::ResourceRecord) -> bool {
    record.kind != ResourceKind::DataDeletionJob.as_str() || reko_api::status::is_pending(&record.status)
}

#[cfg(test)]
mod tests;
