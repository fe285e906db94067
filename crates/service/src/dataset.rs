//! Datasets: at most one per type in a dataset group, each bound to a schema.

use reko_api::{
    status, CreateDatasetRequest, CreateDatasetResponse, Dataset, DatasetSummary, DeleteDatasetRequest,
    DescribeDatasetRequest, DescribeDatasetResponse, ListDatasetsRequest, ListDatasetsResponse,
};
use reko_dataset::{DatasetType, Domain};

use crate::access::AccessScope;
use crate::error::{ServiceError, ServiceResult};
use crate::resource::{now, paginate, to_document, ResourceKind, Stored};
use crate::tasks;
use crate::Reko;

impl Reko {
    pub fn create_dataset(&self, req: CreateDatasetRequest) -> ServiceResult<CreateDatasetResponse> {
        let group = self.active_dataset_group(&req.dataset_group_arn)?;
        let dataset_type = DatasetType::parse(&req.dataset_type).ok_or_else(|| {
            ServiceError::Invalid(format!(
                "Invalid datasetType: {}. Valid values: Interactions, Items, Users, Actions, Action_Interactions.",
                req.dataset_type
            ))
        })?;
        let domain = group.domain.as_deref().and_then(Domain::parse);
        if domain.is_some() && matches!(dataset_type, DatasetType::Actions | DatasetType::ActionInteractions) {
            return Err(ServiceError::Invalid(format!(
                "{} datasets are not allowed in a domain dataset group.",
                req.dataset_type
            )));
        }
        let schema = self.parsed_schema(&req.schema_arn)?;
        schema.check_for(dataset_type, domain).map_err(|e| {
            ServiceError::Invalid(format!(
                "Schema {} cannot be used for a {} dataset: {e}",
                req.schema_arn,
                dataset_type.as_wire()
            ))
        })?;
        let arn = self.arns().child(
            &req.dataset_group_arn,
            ResourceKind::Dataset,
            &format!("{}/{}", group.name, dataset_type.as_wire()),
        );
        if self.store().get_resource(&arn)?.is_some() {
            return Err(ServiceError::AlreadyExists(format!(
                "Dataset group {} already has a {} dataset ({arn}).",
                group.dataset_group_arn,
                dataset_type.as_wire()
            )));
        }
        let created = now();
        let dataset = Dataset {
            name: req.name.clone(),
            dataset_arn: arn.clone(),
            dataset_group_arn: req.dataset_group_arn.clone(),
            dataset_type: dataset_type.as_wire().into(),
            schema_arn: req.schema_arn,
            status: status::CREATE_PENDING.into(),
            creation_date_time: created,
            last_updated_date_time: created,
            latest_dataset_update: None,
            tracking_id: (dataset_type == DatasetType::ActionInteractions).then(|| uuid::Uuid::new_v4().to_string()),
        };
        let tags = req.tags.unwrap_or_default();
        self.create_resource(
            ResourceKind::Dataset,
            &arn,
            &req.name,
            Some(&req.dataset_group_arn),
            Some(&req.dataset_group_arn),
            to_document(&dataset, &serde_json::Value::Null)?,
            tasks::ACTIVATE,
            &tags,
        )?;
        Ok(CreateDatasetResponse { dataset_arn: arn })
    }

    pub fn describe_dataset(&self, req: DescribeDatasetRequest) -> ServiceResult<DescribeDatasetResponse> {
        Ok(DescribeDatasetResponse { dataset: self.load::<Dataset>(ResourceKind::Dataset, &req.dataset_arn)?.wire })
    }

    pub fn list_datasets(&self, req: ListDatasetsRequest, scope: &AccessScope) -> ServiceResult<ListDatasetsResponse> {
        let all = self.load_visible::<Dataset>(ResourceKind::Dataset, req.dataset_group_arn.as_deref(), scope)?;
        let summaries: Vec<DatasetSummary> = all.iter().map(|s| DatasetSummary::from(&s.wire)).collect();
        let (datasets, next_token) = paginate(summaries, req.next_token.as_deref(), req.max_results)?;
        Ok(ListDatasetsResponse { datasets, next_token })
    }

    pub fn delete_dataset(&self, req: DeleteDatasetRequest) -> ServiceResult<()> {
        let stored = self.load::<Dataset>(ResourceKind::Dataset, &req.dataset_arn)?;
        if let Some(job) = self.store().children(&req.dataset_arn)?.into_iter().find(|j| status::is_pending(&j.status))
        {
            return Err(ServiceError::InUse(format!(
                "Cannot delete dataset {} while import job {} is {}.",
                req.dataset_arn, job.arn, job.status
            )));
        }
        let training = self
            .store()
            .resources_in_status(
                ResourceKind::SolutionVersion.as_str(),
                &[status::CREATE_PENDING, status::CREATE_IN_PROGRESS],
            )?
            .into_iter()
            .find(|sv| sv.dataset_group_arn.as_deref() == Some(stored.wire.dataset_group_arn.as_str()));
        if let Some(sv) = training {
            return Err(ServiceError::InUse(format!(
                "Cannot delete dataset {} while solution version {} is training on it.",
                req.dataset_arn, sv.arn
            )));
        }
        self.start_deletion(&stored)
    }

    /// The dataset of a given type in a dataset group, if there is one.
    pub(crate) fn dataset_of_type(
        &self,
        dataset_group_arn: &str,
        dataset_type: DatasetType,
    ) -> ServiceResult<Option<Stored<Dataset>>> {
        Ok(self
            .load_all::<Dataset>(ResourceKind::Dataset, Some(dataset_group_arn))?
            .into_iter()
            .find(|d| d.wire.dataset_type == dataset_type.as_wire()))
    }
}
