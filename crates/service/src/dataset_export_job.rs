//! Dataset export jobs: a dataset's records as one CSV file with a header row, written to a
//! folder (local, `file://` or `s3://`). `ingestionMode` picks bulk-imported records, records
//! put individually (PutEvents/PutItems/PutUsers), or both; Personalize's default is PUT.
//! Exact duplicate rows are written once; for Items and Users only the newest record of each
//! id is written (docs/compatibility.md, "Dataset export").

use std::collections::HashSet;

use reko_api::{
    ApiError, CreateDatasetExportJobRequest, CreateDatasetExportJobResponse, DataLocation, Dataset, DatasetExportJob,
    DescribeDatasetExportJobRequest, DescribeDatasetExportJobResponse, ListDatasetExportJobsRequest,
    ListDatasetExportJobsResponse, ResourceStatus,
};
use reko_dataset::{DatasetType, RecordBatch};
use reko_storage::{RecordSource, TaskKind};

use crate::access::AccessScope;
use crate::data_roots::{DataAccess, PartialFile, PlaceError, Places};
use crate::error::ServiceResult;
use crate::object_storage::Scratch;
use crate::resource::{now, paginate, to_document, update_of, ResourceKind};
use crate::tasks::{set_status, Outcome, Progress};
use crate::Reko;

/// Export jobs pending or in progress at once.
const MAX_PENDING_EXPORTS: usize = 5;

impl Reko {
    pub fn create_dataset_export_job(
        &self,
        req: CreateDatasetExportJobRequest,
        scope: &AccessScope,
    ) -> ServiceResult<CreateDatasetExportJobResponse> {
        let dataset = self.load::<Dataset>(ResourceKind::Dataset, &req.dataset_arn)?.wire;
        if dataset.status != ResourceStatus::Active.as_str() {
            return Err(ApiError::ResourceInUse(format!(
                "Dataset {} is {}; wait until it is ACTIVE.",
                req.dataset_arn, dataset.status
            ))
            .into());
        }
        let path = &req.job_output.s3_data_destination.path;
        let grant = self.authorize_job_locations(
            scope,
            Some(&req.role_arn),
            &[(path.as_str(), "jobOutput.s3DataDestination.path")],
        )?;
        crate::batch_files::check_kms_location("jobOutput.s3DataDestination", &req.job_output.s3_data_destination)?;
        self.ensure_fewer_pending(ResourceKind::DatasetExportJob, MAX_PENDING_EXPORTS, &dataset.dataset_group_arn)?;
        let arn = self.arns().child(&req.dataset_arn, ResourceKind::DatasetExportJob, &req.job_name);
        let created = now();
        let job = DatasetExportJob {
            job_name: req.job_name.clone(),
            dataset_export_job_arn: arn.clone(),
            dataset_arn: req.dataset_arn.clone(),
            ingestion_mode: req.ingestion_mode.clone().unwrap_or_else(|| "PUT".into()),
            role_arn: req.role_arn.clone(),
            status: ResourceStatus::CreatePending.as_str().into(),
            job_output: req.job_output.clone(),
            creation_date_time: created,
            last_updated_date_time: created,
            failure_reason: None,
        };
        self.create_resource(
            ResourceKind::DatasetExportJob,
            &arn,
            &req.job_name,
            Some(&req.dataset_arn),
            Some(&dataset.dataset_group_arn),
            to_document(&job, &grant.internal())?,
            TaskKind::Export,
            &req.tags.unwrap_or_default(),
        )?;
        Ok(CreateDatasetExportJobResponse { dataset_export_job_arn: arn })
    }

    pub fn describe_dataset_export_job(
        &self,
        req: DescribeDatasetExportJobRequest,
    ) -> ServiceResult<DescribeDatasetExportJobResponse> {
        let stored = self.load::<DatasetExportJob>(ResourceKind::DatasetExportJob, &req.dataset_export_job_arn)?;
        Ok(DescribeDatasetExportJobResponse { dataset_export_job: stored.wire })
    }

    pub fn list_dataset_export_jobs(
        &self,
        req: ListDatasetExportJobsRequest,
        scope: &AccessScope,
    ) -> ServiceResult<ListDatasetExportJobsResponse> {
        let all =
            self.load_visible::<DatasetExportJob>(ResourceKind::DatasetExportJob, req.dataset_arn.as_deref(), scope)?;
        let (dataset_export_jobs, next_token) = paginate(&all, req.next_token.as_deref(), req.max_results)?;
        Ok(ListDatasetExportJobsResponse { dataset_export_jobs, next_token })
    }

    /// The export task.
    pub(crate) fn run_export(&self, arn: &str, progress: &mut Progress<'_>) -> ServiceResult<Outcome> {
        let stored = match self.start_job::<DatasetExportJob>(ResourceKind::DatasetExportJob, arn)? {
            Ok(stored) => stored,
            Err(outcome) => return Ok(outcome),
        };
        let job = &stored.wire;
        let dataset = self.load::<Dataset>(ResourceKind::Dataset, &job.dataset_arn)?.wire;
        let schema = self.parsed_schema(&dataset.schema_arn)?;
        let source = match job.ingestion_mode.as_str() {
            "BULK" => Some(RecordSource::Bulk),
            "ALL" => None,
            _ => Some(RecordSource::Put),
        };
        let (batches, _) = self.dataset_batches_with_seq(&job.dataset_arn, source)?;
        let location = &job.job_output.s3_data_destination.path;
        let scratch = Scratch::new(&self.config().data_dir);
        let parsed = DataLocation::parse("jobOutput.s3DataDestination.path", location);
        let object = parsed.is_s3();
        // A local folder is checked again now (a link may have been swapped in since creation)
        // and the file opened the checked way.
        // Both with what the job was authorized with at its creation (the key's roots, its role).
        let grant = crate::job_access::JobGrant::of(&stored.internal);
        let places = self.job_places(&grant);
        let opened = if object {
            std::fs::create_dir_all(&scratch.0)
                .map_err(|source| PlaceError::OutputFolder { folder: scratch.0.clone(), source })
                .map(|()| scratch.0.clone())
        } else {
            places.output_location(location, "jobOutput.s3DataDestination.path")
        }
        .and_then(|folder| {
            // Written under a temporary name and moved when complete: a failed or killed export
            // leaves no partial file under the final name.
            let file = folder.join(format!("{}.csv", job.job_name));
            let partial = PartialFile::of(&file);
            let handle = if object {
                std::fs::File::create(&partial.0).map_err(PlaceError::io("write", &partial.0))
            } else {
                places.open_or_reason(&partial.0, DataAccess::Write)
            };
            handle.map(|handle| (file, partial, handle))
        });
        let (file, partial, mut handle) = match opened {
            Ok(opened) => opened,
            Err(reason) => return Ok(Outcome::Failed { reason: reason.to_string() }),
        };
        progress.report(0.1, "writing CSV");
        let id_field = match DatasetType::parse(&dataset.dataset_type) {
            Some(DatasetType::Items) => Some("ITEM_ID"),
            Some(DatasetType::Users) => Some("USER_ID"),
            _ => None,
        };
        let columns: Vec<String> = schema.fields.iter().map(|f| f.name.clone()).collect();
        let written = write_csv(&mut handle, &partial.0, &columns, &batches, id_field).and_then(|rows| {
            Places::finish_output((!object).then_some(&places), partial, &handle, &file).map(|()| rows)
        });
        let rows = match written {
            Ok(rows) => rows,
            Err(reason) => return Ok(Outcome::Failed { reason: reason.to_string() }),
        };
        if let Some(s3) = parsed.as_s3() {
            let uploaded = self.job_storage(&grant, &[&parsed]).and_then(|storage| {
                Ok(storage.upload(
                    std::slice::from_ref(&file),
                    s3,
                    job.job_output.s3_data_destination.kms_key_arn.as_deref(),
                )?)
            });
            if let Err(reason) = uploaded {
                return Ok(Outcome::Failed { reason: reason.to_string() });
            }
        }
        let mut current = self.load::<DatasetExportJob>(ResourceKind::DatasetExportJob, arn)?;
        current.wire.status = ResourceStatus::Active.as_str().into();
        current.wire.last_updated_date_time = now();
        if let Some(internal) = current.internal.as_object_mut() {
            internal.insert("rowsExported".into(), rows.into());
        }
        let mut update = update_of(&current, ResourceStatus::Active.as_str())?;
        set_status(&mut update.doc, ResourceStatus::Active.as_str());
        Ok(Outcome::Done { detail: format!("{rows} rows exported"), update: Some(update) })
    }
}

/// Writes the rows (header first) to `out`, the opened file `path`; returns how many data rows
/// were written.
fn write_csv(
    out: &mut std::fs::File,
    path: &std::path::Path,
    columns: &[String],
    batches: &[RecordBatch],
    id_field: Option<&str>,
) -> Result<u64, PlaceError> {
    let fail = |e: csv::Error| PlaceError::io("write", path)(e.into());
    let render = |b: &RecordBatch, row: usize| -> Vec<String> {
        columns.iter().map(|c| b.column(c).and_then(|col| col.display_value(row)).unwrap_or_default()).collect()
    };
    // Items/Users: the newest record of each id wins (later chunks were written later).
    let mut newest: Option<std::collections::HashMap<String, (usize, usize)>> = id_field.map(|_| Default::default());
    if let (Some(map), Some(id)) = (newest.as_mut(), id_field) {
        for (b, batch) in batches.iter().enumerate() {
            if let Some(ids) = batch.column(id) {
                for row in 0..batch.len() {
                    if let Some(v) = ids.str_value(row) {
                        map.insert(v.to_string(), (b, row));
                    }
                }
            }
        }
    }
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(columns).map_err(fail)?;
    // Whole rows, not hashes: a 64-bit hash lets two different rows (crafted to collide, or by
    // chance) hide one another.
    let mut seen: HashSet<Vec<String>> = HashSet::new();
    let mut rows = 0u64;
    for (b, batch) in batches.iter().enumerate() {
        for row in 0..batch.len() {
            if let (Some(map), Some(id)) = (newest.as_ref(), id_field) {
                let key = batch.column(id).and_then(|c| c.str_value(row));
                if key.is_none_or(|k| map.get(k) != Some(&(b, row))) {
                    continue;
                }
            }
            let record = render(batch, row);
            // Exact duplicates are written once (as Personalize collapses them).
            if seen.contains(&record) {
                continue;
            }
            writer.write_record(&record).map_err(fail)?;
            seen.insert(record);
            rows += 1;
        }
    }
    writer.flush().map_err(|e| fail(e.into()))?;
    Ok(rows)
}
