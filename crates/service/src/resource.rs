//! Generic handling of catalog resources: typed load/save of their wire documents, status changes,
//! pagination.

use reko_api::ApiError;
use reko_storage::{ResourceRecord, ResourceUpdate};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::error::{ServiceError, ServiceResult};
use crate::Reko;

/// The kinds of resources in the catalog, named by their ARN segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    DatasetGroup,
    Schema,
    Dataset,
    DatasetImportJob,
    Solution,
    SolutionVersion,
    Campaign,
    EventTracker,
    Filter,
    BatchInferenceJob,
    BatchSegmentJob,
    DatasetExportJob,
    DataDeletionJob,
    MetricAttribution,
    Recommender,
    /// An A/B experiment (Reko's extension, docs/experiments.md).
    Experiment,
}

impl ResourceKind {
    pub fn arn_segment(self) -> &'static str {
        match self {
            ResourceKind::DatasetGroup => "dataset-group",
            ResourceKind::Schema => "schema",
            ResourceKind::Dataset => "dataset",
            ResourceKind::DatasetImportJob => "dataset-import-job",
            // Solution versions live under their solution's ARN: solution/{name}/{id}.
            ResourceKind::Solution | ResourceKind::SolutionVersion => "solution",
            ResourceKind::Campaign => "campaign",
            ResourceKind::EventTracker => "event-tracker",
            ResourceKind::Filter => "filter",
            ResourceKind::BatchInferenceJob => "batch-inference-job",
            ResourceKind::BatchSegmentJob => "batch-segment-job",
            ResourceKind::DatasetExportJob => "dataset-export-job",
            ResourceKind::DataDeletionJob => "data-deletion-job",
            ResourceKind::MetricAttribution => "metric-attribution",
            ResourceKind::Recommender => "recommender",
            ResourceKind::Experiment => "experiment",
        }
    }

    /// The catalog's kind column.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::SolutionVersion => "solution-version",
            other => other.arn_segment(),
        }
    }

    /// Human name used in error messages.
    pub fn label(self) -> &'static str {
        match self {
            ResourceKind::DatasetGroup => "dataset group",
            ResourceKind::Schema => "schema",
            ResourceKind::Dataset => "dataset",
            ResourceKind::DatasetImportJob => "dataset import job",
            ResourceKind::Solution => "solution",
            ResourceKind::SolutionVersion => "solution version",
            ResourceKind::Campaign => "campaign",
            ResourceKind::EventTracker => "event tracker",
            ResourceKind::Filter => "filter",
            ResourceKind::BatchInferenceJob => "batch inference job",
            ResourceKind::BatchSegmentJob => "batch segment job",
            ResourceKind::DatasetExportJob => "dataset export job",
            ResourceKind::DataDeletionJob => "data deletion job",
            ResourceKind::MetricAttribution => "metric attribution",
            ResourceKind::Recommender => "recommender",
            ResourceKind::Experiment => "experiment",
        }
    }
}

/// Private bookkeeping stored beside a resource's wire document under this key; it is dropped
/// whenever the document is decoded into its wire type.
pub const INTERNAL_KEY: &str = "_reko";

/// A stored resource decoded into its wire type, with the internal part kept aside.
pub struct Stored<T> {
    pub record: ResourceRecord,
    pub wire: T,
    pub internal: Value,
}

impl<T: Serialize> Stored<T> {
    /// The document to store: the wire shape plus the internal part.
    pub fn document(&self) -> ServiceResult<Value> {
        to_document(&self.wire, &self.internal)
    }
}

pub fn to_document<T: Serialize>(wire: &T, internal: &Value) -> ServiceResult<Value> {
    let mut doc = serde_json::to_value(wire).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let has_internal = internal.as_object().is_some_and(|m| !m.is_empty());
    if let (Value::Object(map), true) = (&mut doc, has_internal) {
        map.insert(INTERNAL_KEY.to_string(), internal.clone());
    }
    Ok(doc)
}

pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as f64 / 1000.0)
        .unwrap_or(0.0)
}

pub(crate) fn decode<T: DeserializeOwned>(record: ResourceRecord) -> ServiceResult<Stored<T>> {
    let internal = record.doc.get(INTERNAL_KEY).cloned().unwrap_or_else(|| Value::Object(Default::default()));
    let wire = serde_json::from_value(record.doc.clone())
        .map_err(|e| ServiceError::Internal(format!("stored document of {} is unreadable: {e}", record.arn)))?;
    Ok(Stored { record, wire, internal })
}

impl Reko {
    /// Loads a resource of the given kind, or `ResourceNotFoundException` naming the ARN.
    pub(crate) fn load<T: DeserializeOwned>(&self, kind: ResourceKind, arn: &str) -> ServiceResult<Stored<T>> {
        match self.store().get_resource(arn)? {
            Some(record) if record.kind == kind.as_str() => decode(record),
            _ => Err(ApiError::ResourceNotFound(format!("Could not find {}: {arn}", kind.label())).into()),
        }
    }

    /// Personalize's quotas of jobs pending or in progress at once, counted per dataset group
    /// (each tenant has its own, as each AWS account has): `LimitExceededException` when `max`
    /// of `kind` already are in `dataset_group_arn`.
    pub(crate) fn ensure_fewer_pending(
        &self,
        kind: ResourceKind,
        max: usize,
        dataset_group_arn: &str,
    ) -> ServiceResult<()> {
        let pending = self
            .store()
            .resources_in_status(
                kind.as_str(),
                &[
                    reko_api::ResourceStatus::CreatePending.as_str(),
                    reko_api::ResourceStatus::CreateInProgress.as_str(),
                ],
            )?
            .into_iter()
            .filter(|r| r.dataset_group_arn.as_deref() == Some(dataset_group_arn))
            .count();
        if pending >= max {
            return Err(ApiError::LimitExceeded(format!(
                "More than {max} resources with PENDING or IN_PROGRESS status in this dataset group."
            ))
            .into());
        }
        Ok(())
    }

    /// Every resource of a kind, optionally under a parent, newest first.
    pub(crate) fn load_all<T: DeserializeOwned>(
        &self,
        kind: ResourceKind,
        parent: Option<&str>,
    ) -> ServiceResult<Vec<Stored<T>>> {
        self.store().list_resources(kind.as_str(), parent)?.into_iter().map(decode).collect()
    }

    /// Stores a new status and document for a resource.
    pub(crate) fn save<T: Serialize>(&self, stored: &Stored<T>, status: &str) -> ServiceResult<()> {
        self.store().update_resource(&update_of(stored, status)?)?;
        Ok(())
    }
}

/// Builds a resource update for `stored` with a new status. It applies only if the resource is
/// still in the status it had when `stored` was read (optimistic concurrency).
pub(crate) fn update_of<T: Serialize>(stored: &Stored<T>, status: &str) -> ServiceResult<ResourceUpdate> {
    Ok(ResourceUpdate {
        arn: stored.record.arn.clone(),
        status: status.to_string(),
        doc: stored.document()?,
        expected_status: Some(stored.record.status.clone()),
    })
}

/// The position of a resource in catalog order (newest first, then by ARN) as a string that sorts
/// the same way: the creation time, inverted, in fixed-width hex, then the ARN.
fn list_key(record: &ResourceRecord) -> String {
    format!("{:016x}{}", u64::MAX - record.created.to_bits(), record.arn)
}

/// One page of `all` (in catalog order, as loaded) turned into summaries, with the token for the
/// next page: reko-api's key-based paginator, keyed so that an item deleted between pages (even
/// the one the token names) neither skips nor repeats another.
pub(crate) fn paginate<T, S: for<'a> From<&'a T>>(
    all: &[Stored<T>],
    next_token: Option<&str>,
    max_results: Option<i32>,
) -> ServiceResult<(Vec<S>, Option<String>)> {
    let (page, next) = reko_api::common::paginate(all, |s| list_key(&s.record), next_token, max_results)?;
    Ok((page.into_iter().map(|s| S::from(&s.wire)).collect(), next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(arn: &str, created: f64) -> Stored<String> {
        let record = ResourceRecord {
            arn: arn.into(),
            kind: "dataset-group".into(),
            name: arn.into(),
            unique_name: true,
            parent_arn: None,
            dataset_group_arn: None,
            status: "ACTIVE".into(),
            created,
            doc: Value::Null,
        };
        Stored { record, wire: arn.to_string(), internal: Value::Null }
    }

    /// Walks a listing page by page, deleting `delete(page number)` between pages; returns what
    /// the pages held.
    fn walk(mut all: Vec<Stored<String>>, delete: impl Fn(usize) -> Option<&'static str>) -> Vec<String> {
        let (mut seen, mut token, mut n) = (Vec::new(), None::<String>, 0);
        loop {
            let (page, next) = paginate(&all, token.as_deref(), Some(3)).unwrap();
            seen.extend(page);
            if let Some(gone) = delete(n) {
                all.retain(|s| s.record.arn != gone);
            }
            n += 1;
            match next {
                Some(t) => token = Some(t),
                None => return seen,
            }
        }
    }

    #[test]
    fn a_deletion_between_pages_neither_skips_nor_repeats() {
        // Catalog order: newest first, then by ARN (two created at the same time).
        let all = || {
            vec![
                stored("g7", 7.0),
                stored("g6", 6.0),
                stored("g5a", 5.0),
                stored("g5b", 5.0),
                stored("g4", 4.0),
                stored("g3", 3.0),
                stored("g2", 2.0),
                stored("g1", 1.0),
            ]
        };
        let every: Vec<String> = all().iter().map(|s| s.wire.clone()).collect();
        assert_eq!(walk(all(), |_| None), every);
        // An item already listed is deleted: nothing after it is skipped (an offset would skip g4).
        assert_eq!(walk(all(), |n| (n == 0).then_some("g6")), every);
        // The item the token names is deleted: the next page starts after it.
        let without_g5b: Vec<String> = every.iter().filter(|a| *a != "g5b").cloned().collect();
        assert_eq!(walk(all(), |n| (n == 0).then_some("g5b")), without_g5b);
        // An item of a later page is deleted: it is simply not listed.
        let without_g2: Vec<String> = every.iter().filter(|a| *a != "g2").cloned().collect();
        assert_eq!(walk(all(), |n| (n == 0).then_some("g2")), without_g2);
    }

    #[test]
    fn list_keys_sort_in_catalog_order() {
        let order = [stored("b", 10.5), stored("a", 2.0), stored("b", 2.0), stored("a", 0.0)];
        let keys: Vec<String> = order.iter().map(|s| list_key(&s.record)).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    }
}
