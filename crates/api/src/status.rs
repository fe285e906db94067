//! Resource status strings, spelled exactly as the service reports them: a space
//! between verb and state, an underscore in `IN_PROGRESS`.

pub const CREATE_PENDING: &str = "CREATE PENDING";
pub const CREATE_IN_PROGRESS: &str = "CREATE IN_PROGRESS";
pub const ACTIVE: &str = "ACTIVE";
pub const CREATE_FAILED: &str = "CREATE FAILED";
pub const DELETE_PENDING: &str = "DELETE PENDING";
pub const DELETE_IN_PROGRESS: &str = "DELETE IN_PROGRESS";
/// Solution versions only.
pub const CREATE_STOPPING: &str = "CREATE STOPPING";
/// Solution versions only.
pub const CREATE_STOPPED: &str = "CREATE STOPPED";

/// Whether a resource in this status is still being created (counts against "pending" quotas).
pub fn is_pending(status: &str) -> bool {
    status == CREATE_PENDING || status == CREATE_IN_PROGRESS
}

/// Whether a resource in this status is being deleted.
pub fn is_deleting(status: &str) -> bool {
    status == DELETE_PENDING || status == DELETE_IN_PROGRESS
}
