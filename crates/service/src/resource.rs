//! Generic handling of catalog resources: typed load/save of their wire documents, status changes,
//! pagination.

use reko_api::common::{decode_next_token, encode_next_token, page_size};
use reko_storage::{ResourceRecord, ResourceUpdate};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::access::AccessScope;
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

fn decode<T: DeserializeOwned>(record: ResourceRecord) -> ServiceResult<Stored<T>> {
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
            _ => Err(ServiceError::NotFound(format!("Could not find {}: {arn}", kind.label()))),
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
                &[reko_api::status::CREATE_PENDING, reko_api::status::CREATE_IN_PROGRESS],
            )?
            .into_iter()
            .filter(|r| r.dataset_group_arn.as_deref() == Some(dataset_group_arn))
            .count();
        if pending >= max {
            return Err(ServiceError::Limit(format!(
                "More than {max} resources with PENDING or IN_PROGRESS status in this dataset group."
            )));
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

    /// [`Self::load_all`] less what `scope` may not see: other groups' resources are left out
    /// before a list is paged, so pages and tokens reveal nothing of them.
    pub(crate) fn load_visible<T: DeserializeOwned>(
        &self,
        kind: ResourceKind,
        parent: Option<&str>,
        scope: &AccessScope,
    ) -> ServiceResult<Vec<Stored<T>>> {
        let records = self.store().list_resources(kind.as_str(), parent)?;
        records.into_iter().filter(|r| scope.allows_record(r)).map(decode).collect()
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

/// One page of a list, with the token for the next page. Tokens encode the offset.
pub(crate) fn paginate<T>(
    items: Vec<T>,
    next_token: Option<&str>,
    max_results: Option<i32>,
) -> ServiceResult<(Vec<T>, Option<String>)> {
    let start = match next_token {
        None => 0,
        Some(token) => {
            let key = decode_next_token(token)?;
            key.parse::<usize>().map_err(|_| ServiceError::InvalidNextToken(format!("Invalid next token: {token}")))?
        }
    };
    let size = page_size(max_results);
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(start).take(size).collect();
    let end = start + page.len();
    let next = (end < total).then(|| encode_next_token(&end.to_string()));
    Ok((page, next))
}
