//! Schemas: account-level, immutable Avro documents (Personalize's CreateSchema API reference).
//! They have no status.

use reko_api::{
    ApiError, CreateSchemaRequest, CreateSchemaResponse, DatasetSchema, DeleteSchemaRequest, DescribeSchemaRequest,
    DescribeSchemaResponse, ListSchemasRequest, ListSchemasResponse, ResourceStatus,
};
use reko_dataset::{parse_schema, Domain, Schema};
use reko_storage::ResourceRecord;

use crate::access::AccessScope;
use crate::error::{ServiceError, ServiceResult};
use crate::resource::{now, paginate, to_document, ResourceKind};
use crate::Reko;

/// Personalize's per-region quota of schemas.
const MAX_SCHEMAS: usize = 500;

impl Reko {
    pub fn create_schema(&self, req: CreateSchemaRequest, scope: &AccessScope) -> ServiceResult<CreateSchemaResponse> {
        let parsed = parse_schema(&req.schema).map_err(|e| ApiError::InvalidInput(format!("Invalid schema: {e}")))?;
        if let Some(domain) = req.domain.as_deref() {
            let domain =
                Domain::parse(domain).ok_or_else(|| ApiError::InvalidInput(format!("Invalid domain: {domain}")))?;
            if let Some(dt) = parsed.dataset_type() {
                parsed.check_for(dt, Some(domain)).map_err(|e| {
                    ApiError::InvalidInput(format!("Invalid schema for domain {}: {e}", domain.as_wire()))
                })?;
            }
        }
        let account = scope.account().unwrap_or(&self.config().account_id);
        let schemas = self.store().list_resources(ResourceKind::Schema.as_str(), None)?;
        if schemas.iter().filter(|s| crate::arn::account_of(&s.arn) == Some(account)).count() >= MAX_SCHEMAS {
            return Err(ApiError::LimitExceeded(format!("More than {MAX_SCHEMAS} schemas in this region.")).into());
        }
        let arn = self.arns().arn_in(scope.account(), ResourceKind::Schema, &req.name);
        let created = now();
        let schema = DatasetSchema {
            name: req.name.clone(),
            schema_arn: arn.clone(),
            schema: req.schema,
            creation_date_time: created,
            last_updated_date_time: created,
            domain: req.domain,
        };
        let record = ResourceRecord {
            arn: arn.clone(),
            kind: ResourceKind::Schema.as_str().into(),
            name: req.name.clone(),
            unique_name: true,
            parent_arn: None,
            dataset_group_arn: None,
            status: ResourceStatus::Active.as_str().into(),
            created,
            doc: to_document(&schema, &serde_json::Value::Null)?,
        };
        self.store().insert_resource(&record).map_err(|e| match e {
            reko_storage::StorageError::AlreadyExists { .. } => ServiceError::Api(ApiError::ResourceAlreadyExists(
                format!("A schema with the name {} already exists ({arn}).", req.name),
            )),
            other => other.into(),
        })?;
        Ok(CreateSchemaResponse { schema_arn: arn })
    }

    pub fn describe_schema(&self, req: DescribeSchemaRequest) -> ServiceResult<DescribeSchemaResponse> {
        Ok(DescribeSchemaResponse { schema: self.load::<DatasetSchema>(ResourceKind::Schema, &req.schema_arn)?.wire })
    }

    pub fn list_schemas(&self, req: ListSchemasRequest, scope: &AccessScope) -> ServiceResult<ListSchemasResponse> {
        let mut all = self.load_all::<DatasetSchema>(ResourceKind::Schema, None)?;
        all.retain(|s| self.visible_in(scope, &s.record.arn));
        let (schemas, next_token) = paginate(&all, req.next_token.as_deref(), req.max_results)?;
        Ok(ListSchemasResponse { schemas, next_token })
    }

    pub fn delete_schema(&self, req: DeleteSchemaRequest) -> ServiceResult<()> {
        self.load::<DatasetSchema>(ResourceKind::Schema, &req.schema_arn)?;
        let datasets = self.load_all::<reko_api::Dataset>(ResourceKind::Dataset, None)?;
        if let Some(user) = datasets.iter().find(|d| d.wire.schema_arn == req.schema_arn) {
            return Err(ApiError::ResourceInUse(format!(
                "Cannot delete schema {}: dataset {} uses it.",
                req.schema_arn, user.wire.dataset_arn
            ))
            .into());
        }
        // Nor one a pending schema replacement (UpdateDataset) is about to give a dataset.
        let replacing = datasets.iter().find(|d| {
            crate::dataset::update_pending(&d.wire)
                && d.wire.latest_dataset_update.as_ref().and_then(|u| u.schema_arn.as_deref())
                    == Some(req.schema_arn.as_str())
        });
        if let Some(user) = replacing {
            return Err(ApiError::ResourceInUse(format!(
                "Cannot delete schema {}: dataset {} is being updated to it.",
                req.schema_arn, user.wire.dataset_arn
            ))
            .into());
        }
        self.store().delete_resource(&req.schema_arn)?;
        Ok(())
    }

    /// The parsed Avro schema of a stored schema resource.
    pub(crate) fn parsed_schema(&self, schema_arn: &str) -> ServiceResult<Schema> {
        let stored = self.load::<DatasetSchema>(ResourceKind::Schema, schema_arn)?;
        parse_schema(&stored.wire.schema)
            .map_err(|e| ServiceError::Internal(format!("stored schema {schema_arn} no longer parses: {e}")))
    }
}
