//! Real time across replicas: several processes share one PostgreSQL store, each with its own
//! serving state in memory. The store's change feed ([`reko_storage::ChangeFeed`]) says what the
//! others committed, and this module applies it here: their events to the real-time state and to
//! models that observe events, their items to the deployments and filter tables, their users to
//! the filter tables; campaigns and recommenders they deployed or updated are loaded in the
//! background and swapped in, and what they deleted stops being served (docs/cluster.md, "Real
//! time across replicas"). The embedded SQLite store has no other writer: nothing runs.

mod serving;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use reko_api::{status, Dataset};
use reko_dataset::{DatasetType, RecordBatch};
use reko_storage::{Change, RecordSource};

use crate::deployment::Deployment;
use crate::error::{ServiceError, ServiceResult};
use crate::resource::ResourceKind;
use crate::Reko;

impl Reko {
    /// Starts following other processes' changes, when the store has other writers.
    pub(crate) fn start_change_feed(&self) -> ServiceResult<()> {
        let weak = Arc::downgrade(&self.inner);
        let sink = Box::new(move |changes: Vec<Change>| {
            // The service was dropped: the feed stops with it.
            let Some(inner) = weak.upgrade() else { return };
            Reko { inner }.apply_changes(changes);
        });
        let shared = self.inner.store.watch_changes(sink, self.inner.feed_stop.clone())?;
        self.inner.live.set_shared(shared);
        Ok(())
    }

    fn apply_changes(&self, changes: Vec<Change>) {
        for change in changes {
            if self.inner.stopping.load(Ordering::Relaxed) {
                return;
            }
            let applied = match &change {
                Change::Records { dataset_arn } => self.follow_records(dataset_arn),
                Change::Resource { arn, kind, dataset_group_arn, deleted } => {
                    self.follow_resource(arn, kind, dataset_group_arn.as_deref(), *deleted)
                }
                Change::Resync => self.resync(),
            };
            if let Err(e) = applied {
                // The next change of the same thing, or the feed's poll, tries again.
                tracing::warn!(change = ?change, error = %e, "another process's change could not be applied here");
            }
        }
    }

    /// Records another process appended to a dataset: applied to what this process holds.
    fn follow_records(&self, dataset_arn: &str) -> ServiceResult<()> {
        // One catalog read per notification (it comes per append of another process).
        let dataset = match self.load::<Dataset>(ResourceKind::Dataset, dataset_arn) {
            Ok(stored) => stored.wire,
            // Deleted meanwhile: its deletion's own change clears what was held.
            Err(ServiceError::Api(reko_api::ApiError::ResourceNotFound(_))) => return Ok(()),
            Err(e) => return Err(e),
        };
        let group = &dataset.dataset_group_arn;
        match DatasetType::parse(&dataset.dataset_type) {
            Some(DatasetType::Interactions) => {
                self.inner.live.catch_up(self, group, dataset_arn)?;
                for d in self.deployments_in(group).iter().filter(|d| d.model.observes_events()) {
                    self.observe_stored_events(d)?;
                }
            }
            Some(t @ (DatasetType::Items | DatasetType::Users | DatasetType::Actions)) => {
                self.catch_up_table(group, dataset_arn, t)?;
                if t == DatasetType::Items {
                    for d in self.deployments_in(group) {
                        self.catch_up_items(&d)?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The deployments serving a dataset group's models now.
    fn deployments_in(&self, dataset_group_arn: &str) -> Vec<Arc<Deployment>> {
        let map = self.inner.deployments.read().unwrap_or_else(|p| p.into_inner());
        map.values().filter(|d| d.dataset_group_arn == dataset_group_arn).cloned().collect()
    }

    /// Applies the put chunks of a dataset stored after the newest one read to the group's
    /// loaded filter table (and item metadata). Applying a chunk again is harmless (the newest
    /// record of an id wins, and chunks are applied in order), so this process's own are not
    /// told apart.
    fn catch_up_table(&self, group: &str, dataset_arn: &str, dataset_type: DatasetType) -> ServiceResult<()> {
        let filters = &self.inner.filters;
        if !filters.holds(group, dataset_type) {
            // Loaded later from storage, with these chunks.
            filters.put_read.lock().unwrap_or_else(|p| p.into_inner()).remove(dataset_arn);
            return Ok(());
        }
        let after = filters.put_read.lock().unwrap_or_else(|p| p.into_inner()).get(dataset_arn).copied();
        let chunks = self.store().read_records_after(dataset_arn, RecordSource::Put, after.unwrap_or(0))?;
        let Some(newest) = chunks.last().map(|c| c.seq) else { return Ok(()) };
        let sealer = self.sealer_in_group(group, dataset_arn)?;
        for chunk in chunks {
            let batch = RecordBatch::decode(&sealer.open(chunk.data)?).map_err(|e| {
                ServiceError::Internal(format!(
                    "stored records of {dataset_arn} (chunk {}) are corrupt: {e}",
                    chunk.seq
                ))
            })?;
            filters.upsert(group, dataset_type, &batch);
        }
        let mut read = filters.put_read.lock().unwrap_or_else(|p| p.into_inner());
        let entry = read.entry(dataset_arn.to_string()).or_default();
        *entry = (*entry).max(newest);
        Ok(())
    }

    /// A resource another process created, changed or deleted.
    fn follow_resource(&self, arn: &str, kind: &str, group: Option<&str>, deleted: bool) -> ServiceResult<()> {
        let record = if deleted { None } else { self.store().get_resource(arn)? };
        let gone = record.as_ref().is_none_or(|r| status::is_deleting(&r.status));
        let active = record.as_ref().is_some_and(|r| r.status == reko_api::ResourceStatus::Active.as_str());
        if gone {
            // As this process does at its own deletions: nothing resolved before stays cached.
            self.inner.ingest.clear();
            if deleted {
                self.inner.owners.clear();
            }
        }
        let is = |k: ResourceKind| kind == k.as_str();
        if is(ResourceKind::Campaign) {
            self.follow_campaign(arn)?;
        } else if is(ResourceKind::Recommender) {
            self.follow_recommender(arn)?;
        } else if is(ResourceKind::Filter) {
            self.inner.filters.forget_filter(arn);
        } else if is(ResourceKind::EventTracker) {
            self.inner.ingest.clear();
        } else if is(ResourceKind::DatasetImportJob) || is(ResourceKind::DataDeletionJob) {
            // A finished import, or a data deletion's rewrite (committed with a change of the
            // job), replaced records: views of them are read again.
            if let (true, Some(group)) = (active || is(ResourceKind::DataDeletionJob), group) {
                self.inner.filters.forget_tables(group);
                self.inner.live.forget(group);
            }
        } else if is(ResourceKind::Dataset) {
            // Created, its schema replaced, or deleted.
            self.inner.ingest.clear();
            if let Some(group) = group {
                self.inner.filters.forget_tables(group);
                if gone {
                    self.inner.live.forget(group);
                }
            }
        } else if is(ResourceKind::DatasetGroup) && deleted {
            self.inner.live.forget(arn);
            self.inner.filters.forget_tables(arn);
            self.forget_data_key(arn);
        }
        Ok(())
    }

    /// Changes may have been missed (the feed reconnected): every cache is dropped (read again
    /// on use), and the real-time state and the deployments are brought up to the store.
    fn resync(&self) -> ServiceResult<()> {
        self.inner.ingest.clear();
        self.inner.owners.clear();
        self.inner.filters.forget_all();
        for group in self.inner.live.loaded_groups() {
            match self.dataset_of_type(&group, DatasetType::Interactions)? {
                Some(d) => self.inner.live.catch_up(self, &group, &d.wire.dataset_arn)?,
                None => self.inner.live.forget(&group),
            }
        }
        let served: Vec<Arc<Deployment>> =
            self.inner.deployments.read().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        for d in served {
            match d.use_case {
                Some(_) => self.follow_recommender(&d.campaign_arn)?,
                None => self.follow_campaign(&d.campaign_arn)?,
            }
            if let Some(current) = self.served(&d.campaign_arn) {
                let current = self.catch_up_items(&current)?;
                self.observe_stored_events(&current)?;
            }
        }
        Ok(())
    }
}
