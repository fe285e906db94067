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
    let request = CreateDatasetGroupRequest { name: group.into(), ..Default::default() };
    let dsg = reko.create_dataset_group(request, &AccessScope::default()).unwrap().dataset_group_arn;
    drain(reko);
    let dataset = dataset_in(reko, &dsg, &format!("{group}-{dataset_type}"), schema, dataset_type);
    (dsg, dataset)
}

/// A dataset `name` of `dataset_type` in the group `dsg`, on a new schema `schema` of the same
/// name, ACTIVE: its ARN.
pub(crate) fn dataset_in(reko: &Reko, dsg: &str, name: &str, schema: &str, dataset_type: &str) -> String {
    let request = CreateSchemaRequest { name: name.into(), schema: schema.into(), ..Default::default() };
    let schema_arn = reko.create_schema(request, &AccessScope::default()).unwrap().schema_arn;
    let dataset = reko
        .create_dataset(CreateDatasetRequest {
            name: name.into(),
            schema_arn,
            dataset_group_arn: dsg.into(),
            dataset_type: dataset_type.into(),
            tags: None,
        })
        .unwrap()
        .dataset_arn;
    drain(reko);
    dataset
}
