//! Helpers the service's unit tests share.

use reko_api::*;

use crate::{AccessScope, Reko};

/// Runs queued tasks until none is left (tests open the service with no workers).
pub(crate) fn drain(reko: &Reko) {
    while reko.run_next_task().unwrap() {}
}

/// A dataset group `group` with one dataset of `dataset_type` on a new schema `schema`
/// (Avro JSON), both ACTIVE: their ARNs.
pub(crate) fn group_with_dataset(reko: &Reko, group: &str, schema: &str, dataset_type: &str) -> (String, String) {
    let scope = AccessScope::default();
    let schema_arn = reko
        .create_schema(
            CreateSchemaRequest {
                name: format!("{group}-{dataset_type}"),
                schema: schema.into(),
                ..Default::default()
            },
            &scope,
        )
        .unwrap()
        .schema_arn;
    let dsg = reko
        .create_dataset_group(CreateDatasetGroupRequest { name: group.into(), ..Default::default() }, &scope)
        .unwrap()
        .dataset_group_arn;
    drain(reko);
    let dataset = reko
        .create_dataset(CreateDatasetRequest {
            name: format!("{group}-{dataset_type}"),
            schema_arn,
            dataset_group_arn: dsg.clone(),
            dataset_type: dataset_type.into(),
            tags: None,
        })
        .unwrap()
        .dataset_arn;
    drain(reko);
    (dsg, dataset)
}
