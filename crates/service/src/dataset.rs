//! Datasets: at most one per type in a dataset group, each bound to a schema.

use reko_api::{
    status, ApiError, CreateDatasetRequest, CreateDatasetResponse, Dataset, DatasetUpdateSummary, DeleteDatasetRequest,
    DescribeDatasetRequest, DescribeDatasetResponse, ListDatasetsRequest, ListDatasetsResponse, ResourceStatus,
    UpdateDatasetRequest, UpdateDatasetResponse,
};
use reko_dataset::{DatasetType, Domain};
use reko_storage::TaskKind;

use crate::access::AccessScope;
use crate::error::{ServiceError, ServiceResult};
use crate::resource::{now, paginate, to_document, update_of, ResourceKind, Stored};
use crate::tasks::Outcome;
use crate::Reko;

/// Whether a dataset has a schema replacement (UpdateDataset) pending or in progress.
pub(crate) fn update_pending(dataset: &Dataset) -> bool {
    dataset.latest_dataset_update.as_ref().is_some_and(|u| status::is_pending(&u.status))
}

impl Reko {
    /// A domain group's datasets take schemas created with its domain (Personalize's rule).
    fn check_schema_domain(&self, schema_arn: &str, group_arn: &str, domain: Option<Domain>) -> ServiceResult<()> {
        let Some(domain) = domain else { return Ok(()) };
        let schema_domain = self.load::<reko_api::DatasetSchema>(ResourceKind::Schema, schema_arn)?.wire.domain;
        if schema_domain.as_deref().and_then(Domain::parse) != Some(domain) {
            return Err(ApiError::InvalidInput(format!(
                "Schema {schema_arn} has {}; dataset group {group_arn} has domain {}: the schema of its datasets \
                 must be created with that domain.",
                schema_domain.map_or("no domain".to_string(), |d| format!("domain {d}")),
                domain.as_wire()
            ))
            .into());
        }
        Ok(())
    }

    pub fn create_dataset(&self, req: CreateDatasetRequest) -> ServiceResult<CreateDatasetResponse> {
        let group = self.active_dataset_group(&req.dataset_group_arn)?;
        let dataset_type = DatasetType::parse(&req.dataset_type).ok_or_else(|| {
            ApiError::InvalidInput(format!(
                "Invalid datasetType: {}. Valid values: Interactions, Items, Users, Actions, Action_Interactions.",
                req.dataset_type
            ))
        })?;
        let domain = group.domain.as_deref().and_then(Domain::parse);
        if domain.is_some() && matches!(dataset_type, DatasetType::Actions | DatasetType::ActionInteractions) {
            return Err(ApiError::InvalidInput(format!(
                "{} datasets are not allowed in a domain dataset group.",
                req.dataset_type
            ))
            .into());
        }
        self.check_schema_domain(&req.schema_arn, &req.dataset_group_arn, domain)?;
        let schema = self.parsed_schema(&req.schema_arn)?;
        schema.check_for(dataset_type, domain).map_err(|e| {
            ApiError::InvalidInput(format!(
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
            return Err(ApiError::ResourceAlreadyExists(format!(
                "Dataset group {} already has a {} dataset ({arn}).",
                group.dataset_group_arn,
                dataset_type.as_wire()
            ))
            .into());
        }
        let created = now();
        let dataset = Dataset {
            name: req.name.clone(),
            dataset_arn: arn.clone(),
            dataset_group_arn: req.dataset_group_arn.clone(),
            dataset_type: dataset_type.as_wire().into(),
            schema_arn: req.schema_arn,
            status: ResourceStatus::CreatePending.as_str().into(),
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
            TaskKind::Activate,
            &tags,
        )?;
        Ok(CreateDatasetResponse { dataset_arn: arn })
    }

    pub fn describe_dataset(&self, req: DescribeDatasetRequest) -> ServiceResult<DescribeDatasetResponse> {
        Ok(DescribeDatasetResponse { dataset: self.load::<Dataset>(ResourceKind::Dataset, &req.dataset_arn)?.wire })
    }

    pub fn list_datasets(&self, req: ListDatasetsRequest, scope: &AccessScope) -> ServiceResult<ListDatasetsResponse> {
        let all = self.load_visible::<Dataset>(ResourceKind::Dataset, req.dataset_group_arn.as_deref(), scope)?;
        let (datasets, next_token) = paginate(&all, req.next_token.as_deref(), req.max_results)?;
        Ok(ListDatasetsResponse { datasets, next_token })
    }

    pub fn delete_dataset(&self, req: DeleteDatasetRequest) -> ServiceResult<()> {
        let stored = self.load::<Dataset>(ResourceKind::Dataset, &req.dataset_arn)?;
        if let Some(job) = self.store().children(&req.dataset_arn)?.into_iter().find(|j| status::is_pending(&j.status))
        {
            return Err(ApiError::ResourceInUse(format!(
                "Cannot delete dataset {} while import job {} is {}.",
                req.dataset_arn, job.arn, job.status
            ))
            .into());
        }
        let training = self
            .store()
            .resources_in_status(
                ResourceKind::SolutionVersion.as_str(),
                &[ResourceStatus::CreatePending.as_str(), ResourceStatus::CreateInProgress.as_str()],
            )?
            .into_iter()
            .find(|sv| sv.dataset_group_arn.as_deref() == Some(stored.wire.dataset_group_arn.as_str()));
        if let Some(sv) = training {
            return Err(ApiError::ResourceInUse(format!(
                "Cannot delete dataset {} while solution version {} is training on it.",
                req.dataset_arn, sv.arn
            ))
            .into());
        }
        self.start_deletion(&stored)
    }

    /// UpdateDataset: replaces an Items or Users dataset's schema with one that only adds nullable
    /// fields (Personalize's "Replacing a dataset's schema to add new columns"). The dataset stays
    /// ACTIVE and keeps its schema until the replacement, tracked in `latestDatasetUpdate`, is
    /// ACTIVE; import jobs created meanwhile wait for it and read their files with the new schema.
    pub fn update_dataset(&self, req: UpdateDatasetRequest) -> ServiceResult<UpdateDatasetResponse> {
        let mut stored = self.load::<Dataset>(ResourceKind::Dataset, &req.dataset_arn)?;
        let dataset = &stored.wire;
        if dataset.status != ResourceStatus::Active.as_str() || update_pending(dataset) {
            return Err(ApiError::ResourceInUse(format!(
                "Dataset {} is {}{}; its schema can be replaced when it is ACTIVE.",
                req.dataset_arn,
                dataset.status,
                if update_pending(dataset) { " with a schema update in progress" } else { "" }
            ))
            .into());
        }
        let dataset_type = DatasetType::parse(&dataset.dataset_type).ok_or_else(|| {
            ServiceError::Internal(format!("stored dataset type {} is unknown", dataset.dataset_type))
        })?;
        if !matches!(dataset_type, DatasetType::Items | DatasetType::Users) {
            return Err(ApiError::InvalidInput(format!(
                "The schema of a {} dataset cannot be replaced; only Items and Users datasets can have their \
                 schema replaced ({}).",
                dataset_type.as_wire(),
                req.dataset_arn
            ))
            .into());
        }
        let new_schema = self.parsed_schema(&req.schema_arn)?;
        let current = self.parsed_schema(&dataset.schema_arn)?;
        let group = self.load::<reko_api::DatasetGroup>(ResourceKind::DatasetGroup, &dataset.dataset_group_arn)?.wire;
        let domain = group.domain.as_deref().and_then(Domain::parse);
        self.check_schema_domain(&req.schema_arn, &dataset.dataset_group_arn, domain)?;
        new_schema.check_for(dataset_type, domain).and_then(|()| new_schema.check_replacement_of(&current)).map_err(
            |e| {
                ApiError::InvalidInput(format!(
                    "Schema {} cannot replace the schema {} of dataset {}: {e}",
                    req.schema_arn, dataset.schema_arn, req.dataset_arn
                ))
            },
        )?;
        let importing = self
            .store()
            .children(&req.dataset_arn)?
            .into_iter()
            .find(|j| j.kind == ResourceKind::DatasetImportJob.as_str() && status::is_pending(&j.status));
        if let Some(job) = importing {
            return Err(ApiError::ResourceInUse(format!(
                "Cannot replace the schema of dataset {} while import job {} is {}.",
                req.dataset_arn, job.arn, job.status
            ))
            .into());
        }
        let created = now();
        stored.wire.latest_dataset_update = Some(DatasetUpdateSummary {
            schema_arn: Some(req.schema_arn),
            status: ResourceStatus::CreatePending.as_str().into(),
            failure_reason: None,
            creation_date_time: created,
            last_updated_date_time: created,
        });
        stored.wire.last_updated_date_time = created;
        self.store().update_resource_with_task(
            &update_of(&stored, ResourceStatus::Active.as_str())?,
            TaskKind::DatasetUpdate,
        )?;
        self.notify_workers();
        Ok(UpdateDatasetResponse { dataset_arn: req.dataset_arn })
    }

    /// The schema replacement task: the dataset takes the new schema. Records already stored keep
    /// their columns (the new ones read as null for them); caches built with the old schema
    /// (ingest targets, filter tables, real-time state) are dropped after the commit.
    pub(crate) fn run_dataset_update(&self, arn: &str) -> ServiceResult<Outcome> {
        let mut stored: Stored<Dataset> = match self.load(ResourceKind::Dataset, arn) {
            Ok(s) => s,
            Err(ServiceError::Api(ApiError::ResourceNotFound(_))) => {
                return Ok(Outcome::Done { detail: "dataset no longer exists".into(), update: None })
            }
            Err(e) => return Err(e),
        };
        if stored.wire.status != ResourceStatus::Active.as_str() || !update_pending(&stored.wire) {
            return Ok(Outcome::Done { detail: "no schema update pending".into(), update: None });
        }
        if let Some(u) = stored.wire.latest_dataset_update.as_mut() {
            u.status = ResourceStatus::CreateInProgress.as_str().into();
            u.last_updated_date_time = now();
        }
        self.save(&stored, ResourceStatus::Active.as_str())?;
        let mut stored: Stored<Dataset> = self.load(ResourceKind::Dataset, arn)?;
        let target = stored.wire.latest_dataset_update.as_ref().and_then(|u| u.schema_arn.clone()).unwrap_or_default();
        // The schema was checked when the update was accepted; it cannot have been deleted since
        // (DeleteSchema refuses a schema a pending update names).
        let new_schema = self.parsed_schema(&target)?;
        let current = self.parsed_schema(&stored.wire.schema_arn)?;
        if let Err(e) = new_schema.check_replacement_of(&current) {
            return Ok(Outcome::Failed { reason: format!("Schema {target} cannot replace the dataset's schema: {e}") });
        }
        let finished = now();
        stored.wire.schema_arn = target;
        stored.wire.last_updated_date_time = finished;
        if let Some(u) = stored.wire.latest_dataset_update.as_mut() {
            u.status = ResourceStatus::Active.as_str().into();
            u.last_updated_date_time = finished;
        }
        self.save(&stored, ResourceStatus::Active.as_str())?;
        self.inner.ingest.clear();
        self.inner.filters.forget_tables(&stored.wire.dataset_group_arn);
        self.inner.live.forget(&stored.wire.dataset_group_arn);
        Ok(Outcome::Done { detail: "dataset schema replaced".into(), update: None })
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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use reko_api::*;

    use crate::{AccessScope, Reko, ServiceConfig, ServiceError};

    use crate::test_support::drain;

    fn items_schema(extra: &str) -> String {
        format!(
            r#"{{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{{"name":"ITEM_ID","type":"string"}},{{"name":"GENRE","type":"string","categorical":true}}{extra}],"version":"1.0"}}"#
        )
    }

    fn write_csv(path: &std::path::Path, header: &str, rows: impl Iterator<Item = String>) {
        let mut f = std::fs::File::create(path).unwrap();
        writeln!(f, "{header}").unwrap();
        for row in rows {
            writeln!(f, "{row}").unwrap();
        }
    }

    fn message(e: ServiceError) -> String {
        match e {
            ServiceError::Api(ApiError::InvalidInput(m))
            | ServiceError::Api(ApiError::ResourceInUse(m))
            | ServiceError::Api(ApiError::ResourceNotFound(m)) => m,
            other => panic!("unexpected error {other:?}"),
        }
    }

    /// The life of a schema replacement: refused while incompatible, pending while queued (an
    /// import created meanwhile waits for it and reads its file with the new schema), ACTIVE with
    /// the dataset on the new schema; the new schema cannot be deleted while in use.
    #[test]
    fn a_dataset_takes_a_schema_that_adds_nullable_columns() {
        let dir = tempfile::tempdir().unwrap();
        let reko =
            Reko::open(ServiceConfig { data_dir: dir.path().join("d"), workers: 0, ..Default::default() }).unwrap();
        let scope = AccessScope::default();
        let schema = |name: &str, body: String| {
            reko.create_schema(CreateSchemaRequest { name: name.into(), schema: body, ..Default::default() }, &scope)
                .unwrap()
                .schema_arn
        };
        let v1 = schema("items-v1", items_schema(""));
        let v2 = schema("items-v2", items_schema(r#",{"name":"PRICE","type":["null","float"]}"#));
        let dropped = schema(
            "items-dropped",
            r#"{"type":"record","name":"Items","fields":[{"name":"ITEM_ID","type":"string"},{"name":"PRICE","type":["null","float"]}],"version":"1.0"}"#.into(),
        );
        let required = schema("items-required", items_schema(r#",{"name":"PRICE","type":"float"}"#));
        let interactions = schema(
            "interactions",
            r#"{"type":"record","name":"Interactions","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#.into(),
        );
        let dsg = reko
            .create_dataset_group(CreateDatasetGroupRequest { name: "g".into(), ..Default::default() }, &scope)
            .unwrap()
            .dataset_group_arn;
        drain(&reko);
        let create = |schema_arn: &str, dataset_type: &str| {
            reko.create_dataset(CreateDatasetRequest {
                name: dataset_type.into(),
                schema_arn: schema_arn.into(),
                dataset_group_arn: dsg.clone(),
                dataset_type: dataset_type.into(),
                tags: None,
            })
            .unwrap()
            .dataset_arn
        };
        let items = create(&v1, "Items");
        let events = create(&interactions, "Interactions");
        let update = |dataset: &str, schema: &str| {
            reko.update_dataset(UpdateDatasetRequest { dataset_arn: dataset.into(), schema_arn: schema.into() })
        };
        // Not ACTIVE yet.
        assert!(message(update(&items, &v2).unwrap_err()).contains("CREATE PENDING"));
        drain(&reko);

        let old_csv = dir.path().join("old.csv");
        write_csv(&old_csv, "ITEM_ID,GENRE", (0..5).map(|i| format!("i{i},Drama")));
        let import = |name: &str, csv: &std::path::Path| {
            reko.create_dataset_import_job(
                CreateDatasetImportJobRequest {
                    job_name: name.into(),
                    dataset_arn: items.clone(),
                    data_source: DataSource { data_location: Some(csv.display().to_string()) },
                    ..Default::default()
                },
                &scope,
            )
            .unwrap()
            .dataset_import_job_arn
        };
        import("old", &old_csv);
        // An import pending or in progress blocks the replacement.
        assert!(
            matches!(update(&items, &v2), Err(ServiceError::Api(ApiError::ResourceInUse(m))) if m.contains("import job"))
        );
        drain(&reko);

        // Incompatible schemas are refused, naming the field; so is any Interactions schema change.
        let m = message(update(&items, &dropped).unwrap_err());
        assert!(m.contains("Field 'GENRE' of the current schema is missing"), "{m}");
        let m = message(update(&items, &required).unwrap_err());
        assert!(m.contains("New field 'PRICE' must be nullable"), "{m}");
        let m = message(update(&items, &interactions).unwrap_err());
        assert!(m.contains("does not match the dataset type ITEMS"), "{m}");
        let m = message(update(&events, &interactions).unwrap_err());
        assert!(m.contains("only Items and Users datasets"), "{m}");
        assert!(matches!(
            update(&items, &format!("{v2}-missing")),
            Err(ServiceError::Api(ApiError::ResourceNotFound(_)))
        ));

        // Accepted: pending, the dataset still ACTIVE on its schema.
        assert_eq!(update(&items, &v2).unwrap().dataset_arn, items);
        let d = reko.describe_dataset(DescribeDatasetRequest { dataset_arn: items.clone() }).unwrap().dataset;
        assert_eq!((d.status.as_str(), d.schema_arn.as_str()), (ResourceStatus::Active.as_str(), v1.as_str()));
        let u = d.latest_dataset_update.unwrap();
        assert_eq!(
            (u.status.as_str(), u.schema_arn.as_deref()),
            (ResourceStatus::CreatePending.as_str(), Some(v2.as_str()))
        );
        assert!(
            matches!(update(&items, &v2), Err(ServiceError::Api(ApiError::ResourceInUse(m))) if m.contains("schema update in progress"))
        );
        assert!(message(reko.delete_schema(DeleteSchemaRequest { schema_arn: v2.clone() }).unwrap_err())
            .contains("being updated to it"));

        // An import created now waits for the update and reads the new column.
        let new_csv = dir.path().join("new.csv");
        write_csv(&new_csv, "ITEM_ID,GENRE,PRICE", (5..8).map(|i| format!("i{i},Comedy,{i}.5")));
        let job = import("new", &new_csv);
        drain(&reko);
        let d = reko.describe_dataset(DescribeDatasetRequest { dataset_arn: items.clone() }).unwrap().dataset;
        assert_eq!((d.status.as_str(), d.schema_arn.as_str()), (ResourceStatus::Active.as_str(), v2.as_str()));
        let u = d.latest_dataset_update.unwrap();
        assert_eq!((u.status.as_str(), u.failure_reason), (ResourceStatus::Active.as_str(), None));
        assert!(u.last_updated_date_time >= u.creation_date_time);
        let job = reko
            .describe_dataset_import_job(DescribeDatasetImportJobRequest { dataset_import_job_arn: job })
            .unwrap()
            .dataset_import_job;
        assert_eq!(job.status, ResourceStatus::Active.as_str(), "{:?}", job.failure_reason);
        // The FULL import replaced the bulk rows: the new ones have PRICE.
        let batches = reko.dataset_batches(&items).unwrap();
        let prices: Vec<Option<f64>> = batches
            .iter()
            .flat_map(|b| (0..b.len()).map(move |r| b.column("PRICE").and_then(|c| c.f64_value(r))))
            .collect();
        assert_eq!(prices, [Some(5.5), Some(6.5), Some(7.5)]);

        // The schema in use cannot be deleted; the one replaced can.
        assert!(message(reko.delete_schema(DeleteSchemaRequest { schema_arn: v2.clone() }).unwrap_err())
            .contains("uses it"));
        reko.delete_schema(DeleteSchemaRequest { schema_arn: v1 }).unwrap();
        reko.shutdown();
    }

    /// Rows imported before a replacement keep their columns: the new ones read as null.
    #[test]
    fn rows_imported_before_the_update_read_null_in_new_columns() {
        let dir = tempfile::tempdir().unwrap();
        let reko =
            Reko::open(ServiceConfig { data_dir: dir.path().join("d"), workers: 0, ..Default::default() }).unwrap();
        let scope = AccessScope::default();
        let v1 = reko
            .create_schema(
                CreateSchemaRequest { name: "v1".into(), schema: items_schema(""), ..Default::default() },
                &scope,
            )
            .unwrap()
            .schema_arn;
        let v2 = reko
            .create_schema(
                CreateSchemaRequest {
                    name: "v2".into(),
                    schema: items_schema(r#",{"name":"BRAND","type":["null","string"],"categorical":true}"#),
                    ..Default::default()
                },
                &scope,
            )
            .unwrap()
            .schema_arn;
        let dsg = reko
            .create_dataset_group(CreateDatasetGroupRequest { name: "g".into(), ..Default::default() }, &scope)
            .unwrap()
            .dataset_group_arn;
        drain(&reko);
        let items = reko
            .create_dataset(CreateDatasetRequest {
                name: "items".into(),
                schema_arn: v1,
                dataset_group_arn: dsg,
                dataset_type: "ITEMS".into(),
                tags: None,
            })
            .unwrap()
            .dataset_arn;
        drain(&reko);
        let csv = dir.path().join("old.csv");
        write_csv(&csv, "ITEM_ID,GENRE", (0..3).map(|i| format!("i{i},Drama")));
        reko.create_dataset_import_job(
            CreateDatasetImportJobRequest {
                job_name: "old".into(),
                dataset_arn: items.clone(),
                data_source: DataSource { data_location: Some(csv.display().to_string()) },
                ..Default::default()
            },
            &scope,
        )
        .unwrap();
        drain(&reko);
        reko.update_dataset(UpdateDatasetRequest { dataset_arn: items.clone(), schema_arn: v2 }).unwrap();
        drain(&reko);
        // PutItems takes the new column at once; the imported rows keep theirs.
        reko.put_items(PutItemsRequest {
            dataset_arn: items.clone(),
            items: vec![Item { item_id: "i9".into(), properties: Some(r#"{"genre":"Comedy","brand":"Acme"}"#.into()) }],
        })
        .unwrap();
        let batches = reko.dataset_batches(&items).unwrap();
        let brands: Vec<(String, Option<String>)> = batches
            .iter()
            .flat_map(|b| {
                (0..b.len()).map(move |r| {
                    (
                        b.column("ITEM_ID").and_then(|c| c.str_value(r)).unwrap_or_default().to_string(),
                        b.column("BRAND").and_then(|c| c.str_value(r)).map(str::to_string),
                    )
                })
            })
            .collect();
        assert_eq!(
            brands,
            [("i0".into(), None), ("i1".into(), None), ("i2".into(), None), ("i9".into(), Some("Acme".into()))]
        );
        reko.shutdown();
    }
}
