//! Event trackers: one per dataset group, identified for PutEvents by a UUID tracking id.

use reko_api::{
    ApiError, CreateEventTrackerRequest, CreateEventTrackerResponse, DeleteEventTrackerRequest,
    DescribeEventTrackerRequest, DescribeEventTrackerResponse, EventTracker, ListEventTrackersRequest,
    ListEventTrackersResponse, ResourceStatus,
};
use reko_storage::TaskKind;

use crate::access::AccessScope;
use crate::error::ServiceResult;
use crate::resource::{now, paginate, to_document, ResourceKind};
use crate::Reko;

impl Reko {
    pub fn create_event_tracker(&self, req: CreateEventTrackerRequest) -> ServiceResult<CreateEventTrackerResponse> {
        self.active_dataset_group(&req.dataset_group_arn)?;
        let existing = self.load_all::<EventTracker>(ResourceKind::EventTracker, Some(&req.dataset_group_arn))?;
        if let Some(other) = existing.first() {
            return Err(ApiError::ResourceAlreadyExists(format!(
                "Dataset group {} already has an event tracker ({}).",
                req.dataset_group_arn, other.wire.event_tracker_arn
            ))
            .into());
        }
        let arn = self.arns().child(&req.dataset_group_arn, ResourceKind::EventTracker, &req.name);
        let tracking_id = uuid::Uuid::new_v4().to_string();
        let created = now();
        let tracker = EventTracker {
            name: req.name.clone(),
            event_tracker_arn: arn.clone(),
            account_id: Some(self.config().account_id.clone()),
            tracking_id: tracking_id.clone(),
            dataset_group_arn: req.dataset_group_arn.clone(),
            status: ResourceStatus::CreatePending.as_str().into(),
            creation_date_time: created,
            last_updated_date_time: created,
        };
        let tags = req.tags.unwrap_or_default();
        self.create_resource(
            ResourceKind::EventTracker,
            &arn,
            &req.name,
            Some(&req.dataset_group_arn),
            Some(&req.dataset_group_arn),
            to_document(&tracker, &serde_json::Value::Null)?,
            TaskKind::Activate,
            &tags,
        )?;
        Ok(CreateEventTrackerResponse { event_tracker_arn: arn, tracking_id })
    }

    pub fn describe_event_tracker(
        &self,
        req: DescribeEventTrackerRequest,
    ) -> ServiceResult<DescribeEventTrackerResponse> {
        let stored = self.load::<EventTracker>(ResourceKind::EventTracker, &req.event_tracker_arn)?;
        Ok(DescribeEventTrackerResponse { event_tracker: stored.wire })
    }

    pub fn list_event_trackers(
        &self,
        req: ListEventTrackersRequest,
        scope: &AccessScope,
    ) -> ServiceResult<ListEventTrackersResponse> {
        let all =
            self.load_visible::<EventTracker>(ResourceKind::EventTracker, req.dataset_group_arn.as_deref(), scope)?;
        let (event_trackers, next_token) = paginate(&all, req.next_token.as_deref(), req.max_results)?;
        Ok(ListEventTrackersResponse { event_trackers, next_token })
    }

    pub fn delete_event_tracker(&self, req: DeleteEventTrackerRequest) -> ServiceResult<()> {
        let stored = self.load::<EventTracker>(ResourceKind::EventTracker, &req.event_tracker_arn)?;
        self.start_deletion(&stored)
    }
}
