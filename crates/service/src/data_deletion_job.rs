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
mod tests {
    use std::io::Write;
    use std::path::PathBuf;

    use reko_api::*;

    use super::*;
    use crate::encryption::CustomerKey;
    use crate::{AccessScope, ServiceConfig};

    const KMS: &str = "arn:aws:kms:us-east-1:123456789012:key/reko-test";
    const ROLE: &str = "arn:aws:iam::123456789012:role/reko";
    const INTERACTIONS: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
    const USERS: &str = r#"{"type":"record","name":"Users","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"TIER","type":"string","categorical":true}],"version":"1.0"}"#;

    fn open(dir: &Path, workers: usize) -> Reko {
        Reko::open(ServiceConfig {
            data_dir: dir.join("d"),
            workers,
            customer_keys: vec![CustomerKey { arn: KMS.into(), material: [3; 32], previous: vec![] }],
            ..Default::default()
        })
        .unwrap()
    }

    fn drain(reko: &Reko) {
        while reko.run_next_task().unwrap() {}
    }

    struct Group {
        arn: String,
        interactions: String,
        users: String,
    }

    fn write(path: &Path, lines: &[String]) -> String {
        let mut f = std::fs::File::create(path).unwrap();
        for l in lines {
            writeln!(f, "{l}").unwrap();
        }
        path.display().to_string()
    }

    /// An ACTIVE group with Interactions and Users datasets holding `users` (bulk imports), and
    /// for `put_user` put events (one anonymous in the same session) and a put user record.
    fn group(reko: &Reko, dir: &Path, name: &str, encrypted: bool, users: &[&str], put_user: &str) -> Group {
        let scope = AccessScope::default();
        let arn = reko
            .create_dataset_group(
                CreateDatasetGroupRequest {
                    name: name.into(),
                    kms_key_arn: encrypted.then(|| KMS.into()),
                    role_arn: encrypted.then(|| ROLE.into()),
                    ..Default::default()
                },
                &scope,
            )
            .unwrap()
            .dataset_group_arn;
        drain(reko);
        let mut datasets = Vec::new();
        for (kind, schema) in [("Interactions", INTERACTIONS), ("Users", USERS)] {
            let schema_arn = reko
                .create_schema(
                    CreateSchemaRequest { name: format!("{name}-{kind}"), schema: schema.into(), ..Default::default() },
                    &scope,
                )
                .unwrap()
                .schema_arn;
            let dataset = reko
                .create_dataset(CreateDatasetRequest {
                    name: format!("{name}-{kind}"),
                    schema_arn,
                    dataset_group_arn: arn.clone(),
                    dataset_type: kind.into(),
                    tags: None,
                })
                .unwrap()
                .dataset_arn;
            datasets.push(dataset);
        }
        let tracker = reko
            .create_event_tracker(CreateEventTrackerRequest {
                name: format!("{name}-t"),
                dataset_group_arn: arn.clone(),
                tags: None,
            })
            .unwrap();
        drain(reko);
        let mut interactions = vec!["USER_ID,ITEM_ID,TIMESTAMP".to_string()];
        let mut user_rows = vec!["USER_ID,TIER".to_string()];
        for (u, user) in users.iter().enumerate() {
            for k in 0..3 {
                interactions.push(format!("{user},item-{k},{}", 1_700_000_000 + u * 10 + k));
            }
            user_rows.push(format!("{user},gold"));
        }
        // Imports of interactions need 1,000 rows.
        for n in 0..1000 {
            interactions.push(format!("filler-{},item-{},{}", n / 25, n % 25, 1_600_000_000 + n));
        }
        for (dataset, rows, file) in
            [(&datasets[0], &interactions, "interactions"), (&datasets[1], &user_rows, "users")]
        {
            let csv = write(&dir.join(format!("{name}-{file}.csv")), rows);
            reko.create_dataset_import_job(
                CreateDatasetImportJobRequest {
                    job_name: format!("{name}-{file}"),
                    dataset_arn: dataset.clone(),
                    data_source: DataSource { data_location: Some(csv) },
                    ..Default::default()
                },
                &scope,
            )
            .unwrap();
        }
        drain(reko);
        let event = |item: &str| Event {
            event_type: "click".into(),
            item_id: Some(item.into()),
            sent_at: 1_700_001_000.0,
            ..Default::default()
        };
        let put = |user: Option<&str>, item: &str| {
            reko.put_events(PutEventsRequest {
                tracking_id: tracker.tracking_id.clone(),
                user_id: user.map(str::to_string),
                session_id: format!("session-of-{put_user}"),
                event_list: vec![event(item)],
            })
            .unwrap()
        };
        put(Some(put_user), "put-item");
        put(None, "anonymous-item");
        reko.put_users(PutUsersRequest {
            dataset_arn: datasets[1].clone(),
            users: vec![User { user_id: put_user.into(), properties: Some(r#"{"tier":"silver"}"#.into()) }],
        })
        .unwrap();
        Group { arn, interactions: datasets[0].clone(), users: datasets[1].clone() }
    }

    fn create_job(reko: &Reko, name: &str, group: &str, csv: String) -> String {
        reko.create_data_deletion_job(
            CreateDataDeletionJobRequest {
                job_name: name.into(),
                dataset_group_arn: group.into(),
                data_source: DataSource { data_location: Some(csv) },
                role_arn: ROLE.into(),
                tags: Some(vec![Tag { tag_key: "purpose".into(), tag_value: "gdpr".into() }]),
            },
            &AccessScope::default(),
        )
        .unwrap()
        .data_deletion_job_arn
    }

    fn describe(reko: &Reko, arn: &str) -> DataDeletionJob {
        reko.describe_data_deletion_job(DescribeDataDeletionJobRequest { data_deletion_job_arn: arn.into() })
            .unwrap()
            .data_deletion_job
    }

    /// (user id or `-`, session id or `-`) of every stored row of a dataset.
    fn rows(reko: &Reko, dataset: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for batch in reko.dataset_batches(dataset).unwrap() {
            for row in 0..batch.len() {
                let get = |c: &str| batch.str_value(c, row).unwrap_or("-").to_string();
                out.push((get(USER_ID), get(SESSION_ID_COLUMN)));
            }
        }
        out
    }

    fn users_in(reko: &Reko, dataset: &str) -> Vec<String> {
        rows(reko, dataset).into_iter().map(|(u, _)| u).collect()
    }

    /// Every file under `dir` that holds `needle`.
    fn files_holding(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                found.extend(files_holding(&path, needle));
            } else if std::fs::read(&path).unwrap().windows(needle.len()).any(|w| w == needle) {
                found.push(path);
            }
        }
        found
    }

    #[test]
    fn users_are_erased_from_bulk_put_and_real_time_data_of_their_group_only() {
        let tmp = tempfile::tempdir().unwrap();
        let reko = open(tmp.path(), 0);
        let a = group(&reko, tmp.path(), "a", false, &["gone-7f3a", "keep-1", "keep-2"], "gone-7f3a");
        let b = group(&reko, tmp.path(), "b", false, &["gone-7f3a", "keep-1"], "gone-7f3a");
        assert_eq!(reko.inner.live.filter_history(&reko, &a.arn, "gone-7f3a").unwrap().len(), 5);
        let before_b = (rows(&reko, &b.interactions), rows(&reko, &b.users));
        let csv = write(
            &tmp.path().join("erase.csv"),
            &["USER_ID".into(), "gone-7f3a".into(), "never-seen".into(), "gone-7f3a".into(), String::new()],
        );
        let job = create_job(&reko, "erase-a", &a.arn, csv);
        let pending = describe(&reko, &job);
        assert_eq!((pending.status.as_str(), pending.num_deleted), ("PENDING", None));
        drain(&reko);
        let done = describe(&reko, &job);
        assert_eq!((done.status.as_str(), done.num_deleted, done.failure_reason), ("COMPLETED", Some(1), None));
        // The user's bulk and put interactions, the anonymous event of their session, their bulk
        // and put user records: gone. The other users' rows stay.
        let interactions = rows(&reko, &a.interactions);
        assert!(interactions.iter().all(|(u, s)| u != "gone-7f3a" && s != "session-of-gone-7f3a"), "{interactions:?}");
        assert_eq!(interactions.len(), 1006);
        assert_eq!(users_in(&reko, &a.users), ["keep-1", "keep-2"]);
        // Real-time state and filters' histories no longer know them.
        assert!(reko.inner.live.filter_history(&reko, &a.arn, "gone-7f3a").unwrap().is_empty());
        assert_eq!(reko.inner.live.filter_history(&reko, &a.arn, "keep-1").unwrap().len(), 3);
        // The other group is untouched.
        assert_eq!((rows(&reko, &b.interactions), rows(&reko, &b.users)), before_b);
        // Listed under its group, tagged.
        let list = |group: Option<&str>| {
            reko.list_data_deletion_jobs(
                ListDataDeletionJobsRequest { dataset_group_arn: group.map(str::to_string), ..Default::default() },
                &AccessScope::default(),
            )
            .unwrap()
            .data_deletion_jobs
        };
        let listed = list(Some(&a.arn));
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].status.as_str(), listed[0].dataset_group_arn.as_str()), ("COMPLETED", a.arn.as_str()));
        assert!(list(Some(&b.arn)).is_empty());
        assert_eq!(reko.store().tags(&job).unwrap(), [("purpose".to_string(), "gdpr".to_string())]);
        // A key scoped to the other group sees none of it.
        let scoped = AccessScope { dataset_groups: Some(vec![b.arn.clone()]), ..Default::default() };
        assert!(reko
            .list_data_deletion_jobs(ListDataDeletionJobsRequest::default(), &scoped)
            .unwrap()
            .data_deletion_jobs
            .is_empty());
        assert!(reko.authorize_arn(&scoped, &job).is_err());
        reko.shutdown();
    }

    #[test]
    fn no_file_of_the_data_directory_keeps_the_erased_ids_encrypted_groups_included() {
        let tmp = tempfile::tempdir().unwrap();
        let reko = open(tmp.path(), 0);
        let plain = group(&reko, tmp.path(), "plain", false, &["erase-plain-91c", "keep-1"], "erase-plain-91c");
        let sealed = group(&reko, tmp.path(), "sealed", true, &["erase-sealed-4d2", "keep-1"], "erase-sealed-4d2");
        let csv = write(
            &tmp.path().join("erase.csv"),
            &["USER_ID".into(), "erase-plain-91c".into(), "erase-sealed-4d2".into()],
        );
        let jobs = [create_job(&reko, "plain", &plain.arn, csv.clone()), create_job(&reko, "sealed", &sealed.arn, csv)];
        drain(&reko);
        for job in &jobs {
            assert_eq!(describe(&reko, job).num_deleted, Some(1));
        }
        assert_eq!(users_in(&reko, &sealed.users), ["keep-1"]);
        let kept = users_in(&reko, &sealed.interactions);
        assert_eq!(kept.len(), 1003);
        assert!(kept.iter().all(|u| u.starts_with("keep-") || u.starts_with("filler-")), "{kept:?}");
        let data = tmp.path().join("d");
        for id in ["erase-plain-91c", "erase-sealed-4d2", "session-of-erase-plain", "anonymous-item"] {
            assert_eq!(files_holding(&data, id.as_bytes()), Vec::<PathBuf>::new(), "{id}");
        }
        // What was kept is still there (the scan would find it).
        assert!(!files_holding(&data, b"keep-1").is_empty());
        reko.shutdown();
    }

    #[test]
    fn an_interrupted_job_resumes_after_a_restart() {
        let tmp = tempfile::tempdir().unwrap();
        let reko = open(tmp.path(), 0);
        let a = group(&reko, tmp.path(), "a", true, &["gone-1", "keep-1"], "gone-1");
        let csv = write(&tmp.path().join("erase.csv"), &["user_id".into(), "gone-1".into()]);
        let job = create_job(&reko, "erase", &a.arn, csv.clone());
        // Claimed by a worker, then the server stops before it finishes.
        let claimed = reko.store().claim_task().unwrap().unwrap();
        assert_eq!((claimed.kind, claimed.resource_arn.as_str()), (Ok(TaskKind::DataDeletion), job.as_str()));
        reko.shutdown();
        drop(reko);
        let reko = open(tmp.path(), 0);
        drain(&reko);
        assert_eq!(describe(&reko, &job).status, "COMPLETED");
        assert_eq!(describe(&reko, &job).num_deleted, Some(1));
        assert_eq!(users_in(&reko, &a.users), ["keep-1"]);

        // Interrupted after the rewrite committed (the count recorded, the job in progress): the
        // run only compacts and reports the recorded count.
        let second = create_job(&reko, "again", &a.arn, csv);
        let mut stored = reko.load::<DataDeletionJob>(ResourceKind::DataDeletionJob, &second).unwrap();
        stored.internal = serde_json::json!({ USERS_ERASED: 1 });
        let mut update = update_of(&stored, ResourceStatus::CreateInProgress.as_str()).unwrap();
        set_status(&mut update.doc, ResourceStatus::CreateInProgress.as_str());
        reko.store().update_resource(&update).unwrap();
        assert_eq!(describe(&reko, &second).status, "IN_PROGRESS");
        drain(&reko);
        assert_eq!(
            (describe(&reko, &second).status.as_str(), describe(&reko, &second).num_deleted),
            ("COMPLETED", Some(1))
        );
        reko.shutdown();
    }

    #[test]
    fn requests_are_checked_and_finished_jobs_go_with_their_group() {
        let tmp = tempfile::tempdir().unwrap();
        let reko = open(tmp.path(), 0);
        let scope = AccessScope::default();
        let dsg = reko
            .create_dataset_group(CreateDatasetGroupRequest { name: "bare".into(), ..Default::default() }, &scope)
            .unwrap()
            .dataset_group_arn;
        let csv = write(&tmp.path().join("erase.csv"), &["USER_ID".into(), "u".into()]);
        let req = CreateDataDeletionJobRequest {
            job_name: "j".into(),
            dataset_group_arn: dsg.clone(),
            data_source: DataSource { data_location: Some(csv.clone()) },
            role_arn: ROLE.into(),
            tags: None,
        };
        // The group is not ACTIVE yet.
        assert!(matches!(
            reko.create_data_deletion_job(req.clone(), &scope),
            Err(ServiceError::Api(ApiError::ResourceInUse(_)))
        ));
        drain(&reko);
        // A key scoped to groups names no local folder.
        let scoped = AccessScope { dataset_groups: Some(vec![dsg.clone()]), ..Default::default() };
        assert!(reko.create_data_deletion_job(req.clone(), &scoped).is_err());
        let missing = CreateDataDeletionJobRequest { dataset_group_arn: format!("{dsg}-none"), ..req.clone() };
        assert!(matches!(
            reko.create_data_deletion_job(missing, &scope),
            Err(ServiceError::Api(ApiError::ResourceNotFound(_)))
        ));
        let job = reko.create_data_deletion_job(req.clone(), &scope).unwrap().data_deletion_job_arn;
        assert!(matches!(
            reko.create_data_deletion_job(req, &scope),
            Err(ServiceError::Api(ApiError::ResourceAlreadyExists(_)))
        ));
        // A pending job holds the group.
        let delete = || reko.delete_dataset_group(DeleteDatasetGroupRequest { dataset_group_arn: dsg.clone() });
        assert!(matches!(delete(), Err(ServiceError::Api(ApiError::ResourceInUse(_)))));
        drain(&reko);
        assert_eq!(describe(&reko, &job).num_deleted, Some(0), "a group without datasets has no such user");
        delete().unwrap();
        drain(&reko);
        assert!(reko.store().get_resource(&job).unwrap().is_none());
        // A CSV without the USER_ID header fails the job with a reason naming the file.
        let dsg2 = reko
            .create_dataset_group(CreateDatasetGroupRequest { name: "bare2".into(), ..Default::default() }, &scope)
            .unwrap()
            .dataset_group_arn;
        drain(&reko);
        let bad = write(&tmp.path().join("bad.csv"), &["USER_ID,ITEM_ID".into(), "u,i".into()]);
        let failed = create_job(&reko, "bad", &dsg2, bad);
        drain(&reko);
        let failed = describe(&reko, &failed);
        assert_eq!(failed.status, "FAILED");
        assert!(failed.failure_reason.unwrap().contains("bad.csv must have a single column, USER_ID"));
        reko.shutdown();
    }

    #[test]
    fn a_batch_loses_the_users_rows_and_the_anonymous_rows_of_their_sessions_only() {
        use reko_dataset::{Column, StrColumn};
        let batch = RecordBatch::new(
            vec![USER_ID.into(), "ITEM_ID".into(), SESSION_ID_COLUMN.into()],
            vec![
                Column::Str(StrColumn::from_options([Some("gone"), None, Some("other"), None, Some("other")])),
                Column::Str(StrColumn::from_options([Some("i1"), Some("i2"), Some("i3"), Some("i4"), Some("i5")])),
                Column::Str(StrColumn::from_options([Some("s1"), Some("s1"), Some("s1"), Some("s2"), None])),
            ],
        )
        .unwrap();
        let users: HashSet<String> = ["gone".to_string(), "absent".to_string()].into();
        let mut sessions = HashSet::new();
        sessions_of(&batch, &users, &mut sessions);
        assert_eq!(sessions, HashSet::from(["s1".to_string()]));
        let mut found = HashSet::new();
        let kept = erase_from_batch(&batch, &users, &sessions, &mut found).expect("rows go");
        let items: Vec<&str> = (0..kept.len()).filter_map(|r| kept.str_value("ITEM_ID", r)).collect();
        // Another user's event in the same session stays; so does another session's anonymous one.
        assert_eq!(items, ["i3", "i4", "i5"]);
        assert_eq!(found, HashSet::from(["gone".to_string()]));
        // Nothing to erase: no rewrite.
        let none: HashSet<String> = ["absent".to_string()].into();
        assert!(erase_from_batch(&batch, &none, &HashSet::new(), &mut found).is_none());
    }

    #[test]
    fn user_lists_need_a_user_id_header() {
        let read = |text: &str| {
            let mut users = HashSet::new();
            read_user_ids(Path::new("u.csv"), text.as_bytes(), &mut users).map(|()| {
                let mut v: Vec<String> = users.into_iter().collect();
                v.sort();
                v
            })
        };
        assert_eq!(read("USER_ID\nb\na\n\nb\n").unwrap(), ["a", "b"]);
        assert_eq!(read("\u{feff}user_id\r\nx\r\n").unwrap(), ["x"]);
        assert!(read("").unwrap_err().to_string().contains("no header row"));
        assert!(read("ITEM_ID\ni\n").unwrap_err().to_string().contains("[ITEM_ID]"));
        assert!(read("USER_ID\na,b\n").unwrap_err().to_string().starts_with("cannot read u.csv"));
    }
}
