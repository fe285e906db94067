//! Dataset import jobs: bulk CSV into a dataset, validated row by row, committed atomically.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use reko_api::{
    status, ApiError, CreateDatasetImportJobRequest, CreateDatasetImportJobResponse, DataLocation, Dataset,
    DatasetImportJob, DescribeDatasetImportJobRequest, DescribeDatasetImportJobResponse, ListDatasetImportJobsRequest,
    ListDatasetImportJobsResponse, ResourceStatus,
};
use reko_dataset::{import_csv_streaming, BatchSink, DatasetType, ImportOptions, RecordBatch};
use reko_storage::{AttributionValue, ChunkSourceError, ImportMode, TaskKind};

use crate::access::AccessScope;
use crate::data_roots::{DataAccess, PlaceError};
use crate::encryption::Sealer;
use crate::error::{ServiceError, ServiceResult};
use crate::metric_attribution::attribute::{merge_values, Measurer};
use crate::object_storage::Scratch;
use crate::resource::{now, paginate, to_document, update_of, ResourceKind};
use crate::tasks::{set_status, Outcome, Progress};
use crate::Reko;

/// Personalize's (non-adjustable) quota of import jobs pending or in progress per region.
const MAX_PENDING_IMPORTS: usize = 5;

/// The job tag that makes an import strict (value `true`, any case): the first empty or
/// non-numeric `int`/`long`/`float`/`double` value fails the job, instead of becoming null
/// (nullable fields) or skipping its row (non-nullable ones), and so does a CSV column that names
/// no schema field, instead of being ignored. A tag, because request bodies take no members
/// Personalize's model does not have.
pub const STRICT_IMPORT_TAG: &str = "reko:strict-import";

impl Reko {
    pub fn create_dataset_import_job(
        &self,
        req: CreateDatasetImportJobRequest,
        scope: &AccessScope,
    ) -> ServiceResult<CreateDatasetImportJobResponse> {
        let dataset = self.load::<Dataset>(ResourceKind::Dataset, &req.dataset_arn)?.wire;
        if dataset.status != ResourceStatus::Active.as_str() {
            return Err(ApiError::ResourceInUse(format!(
                "Dataset {} is {}; wait until it is ACTIVE.",
                req.dataset_arn, dataset.status
            ))
            .into());
        }
        if req.publish_attribution_metrics_to_s3 == Some(true) {
            self.check_publish_attribution(&dataset)?;
        }
        let location = req.data_source.data_location.clone().unwrap_or_default();
        let grant = self.authorize_job_locations(
            scope,
            req.role_arn.as_deref(),
            &[(location.as_str(), "dataSource.dataLocation")],
        )?;
        let mode = req.import_mode.clone().unwrap_or_else(|| "FULL".to_string());
        let jobs = self.load_all::<DatasetImportJob>(ResourceKind::DatasetImportJob, Some(&req.dataset_arn))?;
        if mode == "INCREMENTAL" && !jobs.iter().any(|j| j.wire.status == ResourceStatus::Active.as_str()) {
            return Err(ApiError::InvalidInput(format!(
                "importMode INCREMENTAL needs a prior successful bulk import into dataset {}; use FULL first.",
                req.dataset_arn
            ))
            .into());
        }
        self.ensure_fewer_pending(ResourceKind::DatasetImportJob, MAX_PENDING_IMPORTS, &dataset.dataset_group_arn)?;
        let arn = self.arns().child(&req.dataset_arn, ResourceKind::DatasetImportJob, &req.job_name);
        let created = now();
        let job = DatasetImportJob {
            job_name: req.job_name.clone(),
            dataset_import_job_arn: arn.clone(),
            dataset_arn: req.dataset_arn.clone(),
            data_source: req.data_source,
            role_arn: req.role_arn,
            status: ResourceStatus::CreatePending.as_str().into(),
            creation_date_time: created,
            last_updated_date_time: created,
            failure_reason: None,
            import_mode: Some(mode),
            publish_attribution_metrics_to_s3: req.publish_attribution_metrics_to_s3,
        };
        let tags = req.tags.unwrap_or_default();
        self.create_resource(
            ResourceKind::DatasetImportJob,
            &arn,
            &req.job_name,
            Some(&req.dataset_arn),
            Some(&dataset.dataset_group_arn),
            to_document(&job, &grant.internal())?,
            TaskKind::Import,
            &tags,
        )?;
        Ok(CreateDatasetImportJobResponse { dataset_import_job_arn: arn })
    }

    pub fn describe_dataset_import_job(
        &self,
        req: DescribeDatasetImportJobRequest,
    ) -> ServiceResult<DescribeDatasetImportJobResponse> {
        let stored = self.load::<DatasetImportJob>(ResourceKind::DatasetImportJob, &req.dataset_import_job_arn)?;
        Ok(DescribeDatasetImportJobResponse { dataset_import_job: stored.wire })
    }

    pub fn list_dataset_import_jobs(
        &self,
        req: ListDatasetImportJobsRequest,
        scope: &AccessScope,
    ) -> ServiceResult<ListDatasetImportJobsResponse> {
        let all =
            self.load_visible::<DatasetImportJob>(ResourceKind::DatasetImportJob, req.dataset_arn.as_deref(), scope)?;
        let (dataset_import_jobs, next_token) = paginate(&all, req.next_token.as_deref(), req.max_results)?;
        Ok(ListDatasetImportJobsResponse { dataset_import_jobs, next_token })
    }

    /// The import task: stream the files through the parser, validating every row, with each
    /// parsed batch encoded (and sealed) at once and staged in a file of the job's scratch
    /// folder; then commit the staged chunks (read back one at a time) and the job's ACTIVE
    /// status in one transaction. Memory does not grow with the files' size, and a failure
    /// leaves no row visible.
    pub(crate) fn run_import(&self, arn: &str, progress: &mut Progress<'_>) -> ServiceResult<Outcome> {
        // A job created while its dataset's schema is being replaced (UpdateDataset) reads its
        // files with the new schema: it waits for the replacement to end.
        if let Some(record) = self.store().get_resource(arn)?.filter(|r| status::is_pending(&r.status)) {
            if let Some(dataset_arn) = record.parent_arn.as_deref() {
                if let Ok(dataset) = self.load::<Dataset>(ResourceKind::Dataset, dataset_arn) {
                    if crate::dataset::update_pending(&dataset.wire) {
                        return Ok(Outcome::Wait { detail: format!("waiting for the schema update of {dataset_arn}") });
                    }
                }
            }
        }
        let mut stored = match self.start_job::<DatasetImportJob>(ResourceKind::DatasetImportJob, arn)? {
            Ok(stored) => stored,
            Err(outcome) => return Ok(outcome),
        };
        let dataset = self.load::<Dataset>(ResourceKind::Dataset, &stored.wire.dataset_arn)?.wire;
        let dataset_type = DatasetType::parse(&dataset.dataset_type).ok_or_else(|| {
            ServiceError::Internal(format!("stored dataset type {} is unknown", dataset.dataset_type))
        })?;
        let schema = self.parsed_schema(&dataset.schema_arn)?;
        let location = stored.wire.data_source.data_location.clone().unwrap_or_default();
        // S3 objects are downloaded into a scratch folder first, and the parsed chunks are staged
        // there (removed when the job ends).
        let scratch = Scratch::new(&self.config().data_dir);
        let parsed = DataLocation::parse("dataSource.dataLocation", &location);
        let downloaded = parsed.is_s3();
        // Local files: checked again now, each opened the checked way (never one outside the
        // roots or among the server's own files, even if a link was swapped in since creation).
        // Both with what the job was authorized with at its creation (the key's roots, its role).
        let grant = crate::job_access::JobGrant::of(&stored.internal);
        let places = self.job_places(&grant);
        let files = if let Some(s3) = parsed.as_s3() {
            match self.job_storage(&grant, &[&parsed]).and_then(|s| Ok(s.download(s3, &scratch.0.join("in"))?)) {
                Ok(files) => files,
                Err(reason) => return Ok(Outcome::Failed { reason: reason.to_string() }),
            }
        } else {
            match places.input_files(&location, "dataSource.dataLocation") {
                Ok(files) => files,
                Err(reason) => return Ok(Outcome::Failed { reason: reason.to_string() }),
            }
        };
        let open_file = |path: &Path| -> Result<std::fs::File, PlaceError> {
            if downloaded {
                std::fs::File::open(path).map_err(PlaceError::io("read", path))
            } else {
                places.open_or_reason(path, DataAccess::Read)
            }
        };
        // reko-dataset's streaming import reports a file it cannot open as text (its ImportError
        // is Clone + Eq, which a boxed source error is not).
        let open = |path: &Path| -> Result<Box<dyn Read>, String> {
            Ok(Box::new(open_file(path).map_err(|e| e.to_string())?))
        };
        let expected_rows = estimate_rows(&files, &open_file);
        let input_bytes: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
        let progress = Mutex::new(progress);
        let report = |rows: u64| {
            if let Ok(mut p) = progress.lock() {
                // Reading is most of the work; committing takes the last few percent.
                let fraction = expected_rows.map_or(0.0, |total| (rows as f64 / total as f64).min(1.0) * 0.9);
                p.report(fraction, &format!("{rows} rows read"));
            }
        };
        let parse_started = std::time::Instant::now();
        let sealer = self.sealer(&stored.wire.dataset_arn)?;
        let mut staging = match Staging::create(&scratch.0, &sealer) {
            Ok(staging) => staging,
            Err(reason) => return Ok(Outcome::Failed { reason: reason.to_string() }),
        };
        // publishAttributionMetricsToS3: the imported interactions are measured as they are parsed.
        let attribution = match stored.wire.publish_attribution_metrics_to_s3 {
            Some(true) => self.import_measurer(&dataset.dataset_group_arn)?,
            _ => None,
        };
        staging.measuring = attribution.as_ref().map(|(_, m)| m);
        let strict = self
            .store()
            .tags(arn)?
            .iter()
            .any(|(key, value)| key == STRICT_IMPORT_TAG && value.trim().eq_ignore_ascii_case("true"));
        let options =
            ImportOptions { strict_numbers: strict, ignore_unknown_columns: !strict, ..ImportOptions::default() };
        let imported = import_csv_streaming(&files, &schema, dataset_type, &report, &options, &open, &mut staging);
        let imported = match imported {
            Ok(imported) => imported,
            Err(e) => return Ok(Outcome::Failed { reason: e.to_string() }),
        };
        let rows = imported.rows;
        // Personalize's DescribeDatasetImportJob has no member for this: the log and the task
        // view (`GET /reko/tasks`, `reko import`) say what was set to null, skipped or ignored.
        let coerced = imported.coercions();
        if let Some(coerced) = &coerced {
            tracing::warn!(
                job = arn,
                rows,
                nulled = imported.nulled_values,
                skipped = imported.skipped_rows,
                ignored_columns = imported.ignored_columns.len(),
                "import coerced values or ignored columns: {coerced}"
            );
        }
        let (staged_chunks, staged_bytes) = (staging.chunks, staging.bytes);
        let measured = merge_values(std::mem::take(&mut *staging.measured.lock().unwrap_or_else(|p| p.into_inner())));
        let mut chunks = match staging.read_back() {
            Ok(chunks) => chunks,
            Err(reason) => return Ok(Outcome::Failed { reason: reason.to_string() }),
        };
        let parse_secs = parse_started.elapsed().as_secs_f64();
        let mode = match stored.wire.import_mode.as_deref() {
            Some("INCREMENTAL") => ImportMode::Incremental,
            _ => ImportMode::Full,
        };
        stored.wire.status = ResourceStatus::Active.as_str().into();
        stored.wire.last_updated_date_time = now();
        if let Some(internal) = stored.internal.as_object_mut() {
            internal.insert("rowsImported".into(), rows.into());
        }
        let mut finish = update_of(&stored, ResourceStatus::Active.as_str())?;
        finish.expected_status = Some(ResourceStatus::CreateInProgress.as_str().into());
        set_status(&mut finish.doc, ResourceStatus::Active.as_str());
        let commit_started = std::time::Instant::now();
        self.store().commit_import(&stored.wire.dataset_arn, mode, &mut chunks, &finish)?;
        // Request-time views of the group's records are rebuilt from storage on next use.
        if let Some(group) = self.store().get_resource(&stored.wire.dataset_arn)?.and_then(|d| d.dataset_group_arn) {
            self.inner.filters.forget_tables(&group);
            self.inner.live.forget(&group);
        }
        let group = crate::metrics::name_of(&dataset.dataset_group_arn).to_string();
        metrics::counter!(crate::metrics::IMPORT_ROWS, "dataset_group" => group.clone()).increment(rows);
        metrics::counter!(crate::metrics::IMPORT_BYTES, "dataset_group" => group).increment(input_bytes);
        tracing::info!(
            job = arn,
            rows,
            parse_secs,
            commit_secs = commit_started.elapsed().as_secs_f64(),
            chunks = staged_chunks,
            bytes = staged_bytes,
            "import committed"
        );
        let mut detail = match coerced {
            Some(coerced) => format!("{rows} rows imported; {coerced}"),
            None => format!("{rows} rows imported"),
        };
        // The data is imported whatever becomes of its report: a report that cannot be written
        // is said in the task's detail and the log.
        if let Some((attribution, _)) = &attribution {
            if let Err(e) = self.write_import_report(attribution, &stored.wire.job_name, &measured) {
                tracing::warn!(job = arn, error = %e, "the import's attribution report was not written");
                detail.push_str(&format!("; attribution report not written: {e}"));
            }
        }
        if let Ok(mut p) = progress.lock() {
            p.report(1.0, &detail);
        }
        Ok(Outcome::Done { detail, update: None })
    }
}

/// The chunks of an import while it runs: each parsed batch encoded and sealed (on the parser's
/// threads), appended to a file in the job's scratch folder as `rows` (u64 LE), `length` (u64
/// LE) and the bytes; read back one chunk at a time for the commit.
struct Staging<'a> {
    path: PathBuf,
    file: BufWriter<std::fs::File>,
    sealer: &'a Sealer,
    chunks: u64,
    bytes: u64,
    /// The metric attribution measuring the imported rows, and what it measured so far.
    measuring: Option<&'a Measurer>,
    measured: Mutex<Vec<AttributionValue>>,
}

/// Why staging an import failed; the message is the job's failure reason.
#[derive(Debug, thiserror::Error)]
enum StagingError {
    #[error("cannot create {}: {source}", dir.display())]
    CreateDir { dir: PathBuf, source: std::io::Error },
    #[error("cannot stage the import: {0}")]
    Write(std::io::Error),
    #[error("cannot read the staged import back: {0}")]
    ReadBack(std::io::Error),
}

impl<'a> Staging<'a> {
    fn create(dir: &Path, sealer: &'a Sealer) -> Result<Staging<'a>, StagingError> {
        crate::data_roots::create_private_dir(dir)
            .map_err(|source| StagingError::CreateDir { dir: dir.to_path_buf(), source })?;
        let path = dir.join("staged-chunks");
        let file = std::fs::File::create(&path).map_err(StagingError::Write)?;
        Ok(Staging {
            path,
            file: BufWriter::with_capacity(1 << 20, file),
            sealer,
            chunks: 0,
            bytes: 0,
            measuring: None,
            measured: Mutex::new(Vec::new()),
        })
    }

    /// The staged chunks, in order, for [`reko_storage::RecordStore::commit_import`].
    fn read_back(self) -> Result<impl Iterator<Item = Result<(u64, Vec<u8>), ChunkSourceError>>, StagingError> {
        self.file.into_inner().map_err(|e| StagingError::Write(e.into_error()))?;
        let file = std::fs::File::open(&self.path).map_err(StagingError::Write)?;
        let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
        let mut left = self.chunks;
        Ok(std::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            left -= 1;
            let mut head = [0u8; 16];
            let chunk = reader.read_exact(&mut head).and_then(|()| {
                let rows = u64::from_le_bytes(head[..8].try_into().expect("8 bytes"));
                let len = u64::from_le_bytes(head[8..].try_into().expect("8 bytes")) as usize;
                let mut data = vec![0u8; len];
                reader.read_exact(&mut data)?;
                Ok((rows, data))
            });
            Some(chunk.map_err(|e| StagingError::ReadBack(e).into()))
        }))
    }
}

impl BatchSink for Staging<'_> {
    type Encoded = (u64, Vec<u8>);

    // The sink's errors go to reko-dataset as text (see `open` above).
    fn encode(&self, batch: RecordBatch) -> Result<(u64, Vec<u8>), String> {
        let rows = batch.len() as u64;
        if let Some(measurer) = self.measuring {
            let values = measurer.measure_batch(&batch);
            self.measured.lock().unwrap_or_else(|p| p.into_inner()).extend(values);
        }
        let encoded = batch.encode();
        drop(batch);
        Ok((rows, self.sealer.seal(encoded).map_err(|e| e.to_string())?))
    }

    fn write(&mut self, (rows, data): (u64, Vec<u8>)) -> Result<(), String> {
        self.file
            .write_all(&rows.to_le_bytes())
            .and_then(|()| self.file.write_all(&(data.len() as u64).to_le_bytes()))
            .and_then(|()| self.file.write_all(&data))
            .map_err(|e| StagingError::Write(e).to_string())?;
        self.chunks += 1;
        self.bytes += data.len() as u64;
        Ok(())
    }
}

/// Rows the files probably hold, from the line length of the first 64 KiB: enough for a
/// progress bar, never used for correctness.
fn estimate_rows(files: &[PathBuf], open: &dyn Fn(&Path) -> Result<std::fs::File, PlaceError>) -> Option<u64> {
    let total: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    let mut sample = vec![0u8; 64 * 1024];
    let n = open(files.first()?).ok()?.read(&mut sample).ok()?;
    let lines = sample[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    (lines > 0).then(|| (total * lines / n as u64).max(1))
}
