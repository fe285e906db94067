//! What put records are written to and the columns Reko adds to them: shared by the events
//! service (which writes them), the real-time state and snapshots (which read them), so that
//! none of those depends on another for it.

use std::sync::Arc;

use reko_api::ApiError;
use reko_dataset::Schema;

/// Reko's own column in put interaction chunks: the event's `sessionId` (anonymous events have
/// no USER_ID; training and the real-time state attribute them through it).
pub(crate) const SESSION_ID_COLUMN: &str = "_SESSION_ID";
/// Reko's own column in put interaction chunks: the event's `eventId` (deduplication).
pub(crate) const EVENT_ID_COLUMN: &str = "_EVENT_ID";

/// Where the records of a tracker or dataset go.
#[derive(Clone)]
pub(crate) struct IngestTarget {
    pub dataset_group_arn: String,
    pub dataset_arn: String,
    pub schema: Arc<Schema>,
}

/// The cache key of a resolved Action interactions dataset (apart from event trackers', whose
/// tracking ids lead to an Interactions dataset).
pub(crate) fn action_tracker_key(tracking_id: &str) -> String {
    format!("action-tracker:{tracking_id}")
}

/// What an unknown (or another tenant's) action tracking id answers.
pub(crate) fn unknown_action_tracking_id(tracking_id: &str) -> ApiError {
    ApiError::ResourceNotFound(format!("No Action interactions dataset has the tracking id {tracking_id}."))
}
