//! Reports of a metric attribution's closed windows, written to its
//! `metricsOutputConfig.s3DataDestination` (a local folder or `s3://`, used with the grant its
//! creator had, as a job's output): one CSV per 15-minute window that has values, named
//! `{attribution name}-{window start, epoch seconds}.csv`, with the columns
//! `METRIC_NAME,EVENT_ATTRIBUTION_SOURCE,WINDOW_START,VALUE,EVENTS`. The usage flusher's thread
//! writes them as windows close; the attribution remembers up to which window it reported.

use std::collections::BTreeMap;
use std::path::PathBuf;

use reko_api::{DataLocation, MetricAttribution, ResourceStatus, S3DataConfig};
use reko_storage::AttributionValue;
use serde_json::Value;

use super::attribute::window_start;
use crate::data_roots::{DataAccess, PartialFile, PlaceError, Places};
use crate::error::ServiceResult;
use crate::job_access::JobGrant;
use crate::object_storage::Scratch;
use crate::resource::{ResourceKind, Stored};
use crate::Reko;

/// The internal key holding the start of the first window not yet reported.
pub(super) const REPORTED_FROM: &str = "reportedFrom";
/// The member of the output location, in failure reasons.
const FIELD: &str = "metricsOutputConfig.s3DataDestination.path";
pub const REPORT_COLUMNS: [&str; 5] = ["METRIC_NAME", "EVENT_ATTRIBUTION_SOURCE", "WINDOW_START", "VALUE", "EVENTS"];

/// Why a report could not be written (logged; the windows are tried again at the next close).
#[derive(Debug, thiserror::Error)]
enum ReportError {
    #[error(transparent)]
    Place(#[from] PlaceError),
    #[error(transparent)]
    Storage(#[from] crate::job_access::JobStorageError),
    #[error(transparent)]
    Upload(#[from] crate::object_storage::ObjectStorageError),
    #[error(transparent)]
    Service(#[from] crate::error::ServiceError),
}

impl From<reko_storage::StorageError> for ReportError {
    fn from(e: reko_storage::StorageError) -> Self {
        ReportError::Service(e.into())
    }
}

/// The windows of `values` in `[from, until)`, by start.
fn closed_windows(values: Vec<AttributionValue>, from: i64, until: i64) -> BTreeMap<i64, Vec<AttributionValue>> {
    let mut out: BTreeMap<i64, Vec<AttributionValue>> = BTreeMap::new();
    for v in values.into_iter().filter(|v| (from..until).contains(&v.window_start)) {
        out.entry(v.window_start).or_default().push(v);
    }
    out
}

impl Reko {
    /// Writes the report of every window closed by `now` (epoch seconds) and not yet reported,
    /// for each ACTIVE attribution with an output location; returns the files written. An
    /// attribution whose report fails is logged and retried at the next call (its files are
    /// written again whole, under the same names).
    pub(crate) fn write_attribution_reports(&self, now: i64) -> ServiceResult<usize> {
        let mut written = 0;
        for stored in self.load_all::<MetricAttribution>(ResourceKind::MetricAttribution, None)? {
            if stored.record.status != ResourceStatus::Active.as_str() {
                continue;
            }
            let Some(dest) = stored.wire.metrics_output_config.s3_data_destination.clone() else { continue };
            let created = window_start(stored.wire.creation_date_time.floor() as i64);
            let from = stored.internal.get(REPORTED_FROM).and_then(Value::as_i64).unwrap_or(created);
            let until = window_start(now);
            if from >= until {
                continue;
            }
            let arn = stored.record.arn.clone();
            let done = self.write_report(&stored, &dest, from, until).and_then(|files| {
                self.mark_reported(&arn, until)?;
                Ok(files)
            });
            match done {
                Ok(files) => written += files,
                Err(e) => tracing::warn!(
                    attribution = %arn,
                    error = %e,
                    "metric attribution report not written; retried at the next window"
                ),
            }
        }
        Ok(written)
    }

    /// Records that the windows before `until` are reported. Read again: an
    /// UpdateMetricAttribution since keeps its change, and a later mark by a concurrent call is
    /// kept.
    fn mark_reported(&self, arn: &str, until: i64) -> ServiceResult<()> {
        let mut current = self.load::<MetricAttribution>(ResourceKind::MetricAttribution, arn)?;
        let reported = current.internal.get(REPORTED_FROM).and_then(Value::as_i64).unwrap_or(until).max(until);
        if let Some(internal) = current.internal.as_object_mut() {
            internal.insert(REPORTED_FROM.into(), reported.into());
        } else {
            current.internal = serde_json::json!({ REPORTED_FROM: reported });
        }
        let status = current.record.status.clone();
        self.save(&current, &status)
    }

    fn write_report(
        &self,
        stored: &Stored<MetricAttribution>,
        dest: &S3DataConfig,
        from: i64,
        until: i64,
    ) -> Result<usize, ReportError> {
        let windows = closed_windows(self.store().attribution_values(&stored.record.arn)?, from, until);
        let files: Vec<(String, &[AttributionValue])> =
            windows.iter().map(|(start, values)| (format!("{}-{start}.csv", stored.wire.name), &values[..])).collect();
        self.write_report_files(stored, dest, &files)
    }

    /// The values a bulk import measured (`publishAttributionMetricsToS3`), as one report named
    /// `{attribution name}-import-{job name}.csv` in the attribution's output location.
    pub(crate) fn write_import_report(
        &self,
        stored: &Stored<MetricAttribution>,
        job_name: &str,
        values: &[AttributionValue],
    ) -> ServiceResult<()> {
        let Some(dest) = stored.wire.metrics_output_config.s3_data_destination.as_ref() else { return Ok(()) };
        let name = format!("{}-import-{job_name}.csv", stored.wire.name);
        self.write_report_files(stored, dest, &[(name, values)]).map_err(|e| {
            crate::error::ServiceError::from(reko_api::ApiError::InvalidInput(format!(
                "The import's attribution report could not be written: {e}"
            )))
        })?;
        Ok(())
    }

    /// Writes each `(file name, values)` as a report CSV in the output location `dest`.
    fn write_report_files(
        &self,
        stored: &Stored<MetricAttribution>,
        dest: &S3DataConfig,
        reports: &[(String, &[AttributionValue])],
    ) -> Result<usize, ReportError> {
        if reports.is_empty() {
            return Ok(0);
        }
        let parsed = DataLocation::parse(FIELD, &dest.path);
        let object = parsed.is_s3();
        let grant = JobGrant::of(&stored.internal);
        let places = self.job_places(&grant);
        let scratch = Scratch::new(&self.config().data_dir);
        let folder = if object {
            std::fs::create_dir_all(&scratch.0)
                .map_err(|source| PlaceError::OutputFolder { folder: scratch.0.clone(), source })?;
            scratch.0.clone()
        } else {
            places.output_location(&dest.path, FIELD)?
        };
        let mut files: Vec<PathBuf> = Vec::new();
        for (name, values) in reports {
            let file = folder.join(name);
            let partial = PartialFile::of(&file);
            let mut handle = if object {
                std::fs::File::create(&partial.0).map_err(PlaceError::io("write", &partial.0))?
            } else {
                places.open_or_reason(&partial.0, DataAccess::Write)?
            };
            write_csv(&mut handle, &partial.0, values)?;
            Places::finish_output((!object).then_some(&places), partial, &handle, &file)?;
            files.push(file);
        }
        if let Some(s3) = parsed.as_s3() {
            self.job_storage(&grant, &[&parsed])?.upload(&files, s3, dest.kms_key_arn.as_deref())?;
        }
        Ok(files.len())
    }
}

fn write_csv(out: &mut std::fs::File, path: &std::path::Path, values: &[AttributionValue]) -> Result<(), PlaceError> {
    let fail = |e: csv::Error| PlaceError::io("write", path)(e.into());
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(REPORT_COLUMNS).map_err(fail)?;
    for v in values {
        let record = [
            v.metric_name.clone(),
            v.source.clone(),
            v.window_start.to_string(),
            v.value.to_string(),
            v.events.to_string(),
        ];
        writer.write_record(&record).map_err(fail)?;
    }
    writer.flush().map_err(|e| fail(e.into()))
}

#[cfg(test)]
mod tests;
