//! Dataset groups: the isolation boundary of everything else.

use reko_api::{
    ApiError, CreateDatasetGroupRequest, CreateDatasetGroupResponse, DatasetGroup, DeleteDatasetGroupRequest,
    DescribeDatasetGroupRequest, DescribeDatasetGroupResponse, ListDatasetGroupsRequest, ListDatasetGroupsResponse,
    ResourceStatus,
};
use reko_storage::{ResourceRecord, TaskKind};

use crate::access::AccessScope;
use crate::error::ServiceResult;
use crate::resource::{now, paginate, to_document, ResourceKind};
use crate::Reko;

impl Reko {
    pub fn create_dataset_group(
        &self,
        req: CreateDatasetGroupRequest,
        scope: &AccessScope,
    ) -> ServiceResult<CreateDatasetGroupResponse> {
        let arn = self.arns().arn_in(scope.account(), ResourceKind::DatasetGroup, &req.name);
        // A customer key: the group's data key, wrapped under it, is stored with the group.
        let internal = match &req.kms_key_arn {
            Some(kms) => {
                if req.role_arn.is_none() {
                    return Err(ApiError::InvalidInput(
                        "roleArn is required when kmsKeyArn is given (as in Personalize).".into(),
                    )
                    .into());
                }
                self.new_group_data_key(kms, &arn)?
            }
            None => serde_json::Value::Null,
        };
        let created = now();
        let group = DatasetGroup {
            name: req.name.clone(),
            dataset_group_arn: arn.clone(),
            status: ResourceStatus::CreatePending.as_str().into(),
            role_arn: req.role_arn,
            kms_key_arn: req.kms_key_arn,
            creation_date_time: created,
            last_updated_date_time: created,
            failure_reason: None,
            domain: req.domain.clone(),
        };
        let tags = req.tags.unwrap_or_default();
        self.create_resource(
            ResourceKind::DatasetGroup,
            &arn,
            &req.name,
            None,
            Some(&arn),
            to_document(&group, &internal)?,
            TaskKind::Activate,
            &tags,
        )?;
        Ok(CreateDatasetGroupResponse { dataset_group_arn: arn, domain: req.domain })
    }

    pub fn describe_dataset_group(
        &self,
        req: DescribeDatasetGroupRequest,
    ) -> ServiceResult<DescribeDatasetGroupResponse> {
        let stored = self.load::<DatasetGroup>(ResourceKind::DatasetGroup, &req.dataset_group_arn)?;
        Ok(DescribeDatasetGroupResponse { dataset_group: stored.wire })
    }

    pub fn list_dataset_groups(
        &self,
        req: ListDatasetGroupsRequest,
        scope: &AccessScope,
    ) -> ServiceResult<ListDatasetGroupsResponse> {
        let all = self.load_visible::<DatasetGroup>(ResourceKind::DatasetGroup, None, scope)?;
        let (dataset_groups, next_token) = paginate(&all, req.next_token.as_deref(), req.max_results)?;
        Ok(ListDatasetGroupsResponse { dataset_groups, next_token })
    }

    pub fn delete_dataset_group(&self, req: DeleteDatasetGroupRequest) -> ServiceResult<()> {
        let stored = self.load::<DatasetGroup>(ResourceKind::DatasetGroup, &req.dataset_group_arn)?;
        let children = self.store().children(&req.dataset_group_arn)?;
        // Finished data deletion jobs go with the group (Personalize has no operation deleting them).
        if let Some(child) = children.iter().find(|c| crate::data_deletion_job::holds_group(c)) {
            return Err(ApiError::ResourceInUse(format!(
                "Cannot delete dataset group {} while it contains resources (e.g. {} {}). Delete its datasets, \
                 solutions, campaigns, recommenders, event trackers, filters and metric attributions first.",
                req.dataset_group_arn, child.kind, child.arn
            ))
            .into());
        }
        self.start_deletion(&stored)
    }

    /// Loads a dataset group that must be ACTIVE before resources are created in it.
    pub(crate) fn active_dataset_group(&self, arn: &str) -> ServiceResult<DatasetGroup> {
        let group = self.load::<DatasetGroup>(ResourceKind::DatasetGroup, arn)?.wire;
        if group.status != ResourceStatus::Active.as_str() {
            return Err(ApiError::ResourceInUse(format!(
                "Dataset group {arn} is {}; wait until it is ACTIVE.",
                group.status
            ))
            .into());
        }
        Ok(group)
    }

    /// Records a new resource with its activation (or other) task in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn create_resource(
        &self,
        kind: ResourceKind,
        arn: &str,
        name: &str,
        parent_arn: Option<&str>,
        dataset_group_arn: Option<&str>,
        doc: serde_json::Value,
        task_kind: reko_storage::TaskKind,
        tags: &[reko_api::Tag],
    ) -> ServiceResult<()> {
        let record = ResourceRecord {
            arn: arn.to_string(),
            kind: kind.as_str().to_string(),
            name: name.to_string(),
            unique_name: unique_name(kind),
            parent_arn: parent_arn.map(str::to_string),
            dataset_group_arn: dataset_group_arn.map(str::to_string),
            status: ResourceStatus::CreatePending.as_str().to_string(),
            created: now(),
            doc,
        };
        match self.store().insert_resource_with_task(&record, task_kind) {
            Ok(_) => {}
            Err(reko_storage::StorageError::AlreadyExists { .. }) => {
                return Err(ApiError::ResourceAlreadyExists(format!(
                    "A {} with the name {name} already exists ({arn}).",
                    kind.label()
                ))
                .into())
            }
            Err(e) => return Err(e.into()),
        }
        if !tags.is_empty() {
            self.store()
                .set_tags(arn, &tags.iter().map(|t| (t.tag_key.clone(), t.tag_value.clone())).collect::<Vec<_>>())?;
        }
        self.notify_workers();
        Ok(())
    }
}

/// Whether names of this kind are unique per account and region (datasets and solution versions
/// are identified by their ARN only).
fn unique_name(kind: ResourceKind) -> bool {
    !matches!(kind, ResourceKind::Dataset | ResourceKind::SolutionVersion)
}
