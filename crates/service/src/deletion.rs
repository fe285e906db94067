//! Asynchronous deletion: `Delete*` answers at once, Describe shows `DELETE PENDING`, then the
//! resource is gone (ResourceNotFoundException), as in Personalize.

use reko_api::ResourceStatus;
use reko_storage::TaskKind;
use serde::Serialize;

use crate::error::ServiceResult;
use crate::resource::{update_of, ResourceKind, Stored};
use crate::tasks::{set_status, Outcome};
use crate::Reko;

impl Reko {
    /// Marks a resource `DELETE PENDING` and enqueues its deletion.
    pub(crate) fn start_deletion<T: Serialize>(&self, stored: &Stored<T>) -> ServiceResult<()> {
        // A tracker or dataset being deleted accepts no more records.
        self.inner.ingest.clear();
        let mut update = update_of(stored, ResourceStatus::DeletePending.as_str())?;
        set_status(&mut update.doc, ResourceStatus::DeletePending.as_str());
        if let Some(map) = update.doc.as_object_mut() {
            let internal = map.entry(crate::resource::INTERNAL_KEY).or_insert_with(|| serde_json::json!({}));
            if let Some(internal) = internal.as_object_mut() {
                internal.insert("statusBeforeDelete".into(), stored.record.status.clone().into());
            }
        }
        self.store().update_resource_with_task(&update, TaskKind::Delete)?;
        self.notify_workers();
        Ok(())
    }

    pub(crate) fn run_deletion(&self, arn: &str) -> ServiceResult<Outcome> {
        let Some(record) = self.store().get_resource(arn)? else {
            return Ok(Outcome::Done { detail: "already deleted".into(), update: None });
        };
        if record.kind == ResourceKind::Dataset.as_str() {
            self.inner.ingest.clear();
            self.store().delete_records(arn)?;
            if let Some(group) = &record.dataset_group_arn {
                self.inner.live.forget(group);
                self.inner.filters.forget_tables(group);
            }
            for job in self.store().children(arn)? {
                self.store().delete_resource(&job.arn)?;
            }
        } else if record.kind == ResourceKind::Solution.as_str() {
            for version in self.store().children(arn)? {
                self.store().delete_resource(&version.arn)?;
            }
            self.delete_models(&self.solution_models_key(&record.arn), &self.solution_models_dir(&record.arn));
        } else if record.kind == ResourceKind::Campaign.as_str() {
            self.undeploy(arn);
        } else if record.kind == ResourceKind::Recommender.as_str() {
            self.undeploy(arn);
            self.delete_models(&self.recommender_models_key(arn), &self.recommender_models_dir(arn));
        } else if record.kind == ResourceKind::Filter.as_str() {
            self.inner.filters.forget_filter(arn);
        } else if record.kind == ResourceKind::MetricAttribution.as_str() {
            self.store().delete_attribution_values(arn)?;
        } else if record.kind == ResourceKind::DatasetGroup.as_str() {
            // Its finished data deletion jobs (nothing else is left in a group being deleted).
            for job in self.store().children(arn)? {
                if job.kind == ResourceKind::DataDeletionJob.as_str() {
                    self.store().delete_resource(&job.arn)?;
                }
            }
        }
        self.store().delete_resource(arn)?;
        self.inner.owners.clear();
        if record.kind == ResourceKind::DatasetGroup.as_str() {
            // A group created again under this name gets a data key of its own.
            self.forget_data_key(arn);
        }
        Ok(Outcome::Done { detail: format!("deleted {arn}"), update: None })
    }
}
