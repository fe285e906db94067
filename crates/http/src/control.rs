//! Control-plane dispatch: `X-Amz-Target` operation name → service function.

use reko_api::{parse_request, AccessedResources, ApiError, ApiResult, EmptyResponse, Validate};
use reko_service::{AccessScope, Reko, ServiceResult};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// One control-plane call: the body, decoded strictly, and the caller's scope.
struct Call<'a> {
    reko: &'a Reko,
    scope: &'a AccessScope,
    body: &'a [u8],
}

/// Decodes and validates the request, has the service authorize it for the caller, calls the
/// service, encodes the response.
fn call<Req, Resp>(c: &Call, f: impl FnOnce(Req) -> ServiceResult<Resp>) -> ApiResult<Value>
where
    Req: DeserializeOwned + Validate + AccessedResources,
    Resp: Serialize,
{
    let request = parse_request::<Req>(c.body)?;
    c.reko.authorize(c.scope, &request)?;
    let response = f(request)?;
    serde_json::to_value(response).map_err(|e| ApiError::Internal(format!("cannot encode the response: {e}")))
}

/// One control-plane call without HTTP (what `POST /` does after authentication): decoded
/// strictly, authorized by the service for `scope`, run. For the fuzz targets and tests that
/// drive the service as a caller with a given scope.
pub fn handle_control_plane(reko: &Reko, scope: &AccessScope, operation: &str, body: &[u8]) -> ApiResult<Value> {
    dispatch(&Call { reko, scope, body }, operation)
}

/// For operations without an output shape: `{}`.
fn empty(result: ServiceResult<()>) -> ServiceResult<EmptyResponse> {
    result.map(|()| EmptyResponse {})
}

fn dispatch(c: &Call, operation: &str) -> ApiResult<Value> {
    let reko = c.reko;
    match operation {
        "CreateDatasetGroup" => call(c, |r| reko.create_dataset_group(r, c.scope)),
        "DescribeDatasetGroup" => call(c, |r| reko.describe_dataset_group(r)),
        "ListDatasetGroups" => call(c, |r| reko.list_dataset_groups(r, c.scope)),
        "DeleteDatasetGroup" => call(c, |r| empty(reko.delete_dataset_group(r))),
        "CreateSchema" => call(c, |r| reko.create_schema(r, c.scope)),
        "DescribeSchema" => call(c, |r| reko.describe_schema(r)),
        "ListSchemas" => call(c, |r| reko.list_schemas(r, c.scope)),
        "DeleteSchema" => call(c, |r| empty(reko.delete_schema(r))),
        "CreateDataset" => call(c, |r| reko.create_dataset(r)),
        "DescribeDataset" => call(c, |r| reko.describe_dataset(r)),
        "ListDatasets" => call(c, |r| reko.list_datasets(r, c.scope)),
        "DeleteDataset" => call(c, |r| empty(reko.delete_dataset(r))),
        "UpdateDataset" => call(c, |r| reko.update_dataset(r)),
        "CreateDatasetImportJob" => call(c, |r| reko.create_dataset_import_job(r, c.scope)),
        "DescribeDatasetImportJob" => call(c, |r| reko.describe_dataset_import_job(r)),
        "ListDatasetImportJobs" => call(c, |r| reko.list_dataset_import_jobs(r, c.scope)),
        "CreateSolution" => call(c, |r| reko.create_solution(r)),
        "DescribeSolution" => call(c, |r| reko.describe_solution(r)),
        "ListSolutions" => call(c, |r| reko.list_solutions(r, c.scope)),
        "DeleteSolution" => call(c, |r| empty(reko.delete_solution(r))),
        "CreateSolutionVersion" => call(c, |r| reko.create_solution_version(r)),
        "DescribeSolutionVersion" => call(c, |r| reko.describe_solution_version(r)),
        "ListSolutionVersions" => call(c, |r| reko.list_solution_versions(r, c.scope)),
        "StopSolutionVersionCreation" => call(c, |r| empty(reko.stop_solution_version_creation(r))),
        "GetSolutionMetrics" => call(c, |r| reko.get_solution_metrics(r)),
        "CreateCampaign" => call(c, |r| reko.create_campaign(r)),
        "DescribeCampaign" => call(c, |r| reko.describe_campaign(r)),
        "ListCampaigns" => call(c, |r| reko.list_campaigns(r, c.scope)),
        "UpdateCampaign" => call(c, |r| reko.update_campaign(r)),
        "DeleteCampaign" => call(c, |r| empty(reko.delete_campaign(r))),
        "CreateEventTracker" => call(c, |r| reko.create_event_tracker(r)),
        "DescribeEventTracker" => call(c, |r| reko.describe_event_tracker(r)),
        "ListEventTrackers" => call(c, |r| reko.list_event_trackers(r, c.scope)),
        "DeleteEventTracker" => call(c, |r| empty(reko.delete_event_tracker(r))),
        "CreateFilter" => call(c, |r| reko.create_filter(r)),
        "DescribeFilter" => call(c, |r| reko.describe_filter(r)),
        "ListFilters" => call(c, |r| reko.list_filters(r, c.scope)),
        "DeleteFilter" => call(c, |r| empty(reko.delete_filter(r))),
        "CreateBatchInferenceJob" => call(c, |r| reko.create_batch_inference_job(r, c.scope)),
        "DescribeBatchInferenceJob" => call(c, |r| reko.describe_batch_inference_job(r)),
        "ListBatchInferenceJobs" => call(c, |r| reko.list_batch_inference_jobs(r, c.scope)),
        "CreateBatchSegmentJob" => call(c, |r| reko.create_batch_segment_job(r, c.scope)),
        "DescribeBatchSegmentJob" => call(c, |r| reko.describe_batch_segment_job(r)),
        "ListBatchSegmentJobs" => call(c, |r| reko.list_batch_segment_jobs(r, c.scope)),
        "CreateDatasetExportJob" => call(c, |r| reko.create_dataset_export_job(r, c.scope)),
        "DescribeDatasetExportJob" => call(c, |r| reko.describe_dataset_export_job(r)),
        "ListDatasetExportJobs" => call(c, |r| reko.list_dataset_export_jobs(r, c.scope)),
        "ListRecipes" => call(c, |r| reko.list_recipes(r)),
        "DescribeRecipe" => call(c, |r| reko.describe_recipe(r)),
        "DescribeAlgorithm" => call(c, |r| reko.describe_algorithm(r)),
        "DescribeFeatureTransformation" => call(c, |r| reko.describe_feature_transformation(r)),
        "TagResource" => call(c, |r| empty(reko.tag_resource(r))),
        "UntagResource" => call(c, |r| empty(reko.untag_resource(r))),
        "ListTagsForResource" => call(c, |r| reko.list_tags_for_resource(r)),
        other if reko_api::is_control_plane_operation(other) => Err(ApiError::NotImplemented(other.to_string())),
        other => Err(ApiError::UnknownOperation(format!("Unknown operation AmazonPersonalize.{other}"))),
    }
}

/// The control-plane operations this server implements (the rest answer NotImplemented).
pub const IMPLEMENTED: &[&str] = &[
    "CreateDatasetGroup",
    "DescribeDatasetGroup",
    "ListDatasetGroups",
    "DeleteDatasetGroup",
    "CreateSchema",
    "DescribeSchema",
    "ListSchemas",
    "DeleteSchema",
    "CreateDataset",
    "DescribeDataset",
    "ListDatasets",
    "DeleteDataset",
    "UpdateDataset",
    "CreateDatasetImportJob",
    "DescribeDatasetImportJob",
    "ListDatasetImportJobs",
    "CreateSolution",
    "DescribeSolution",
    "ListSolutions",
    "DeleteSolution",
    "CreateSolutionVersion",
    "DescribeSolutionVersion",
    "ListSolutionVersions",
    "StopSolutionVersionCreation",
    "GetSolutionMetrics",
    "CreateCampaign",
    "DescribeCampaign",
    "ListCampaigns",
    "UpdateCampaign",
    "DeleteCampaign",
    "CreateEventTracker",
    "DescribeEventTracker",
    "ListEventTrackers",
    "DeleteEventTracker",
    "CreateFilter",
    "DescribeFilter",
    "ListFilters",
    "DeleteFilter",
    "CreateBatchInferenceJob",
    "DescribeBatchInferenceJob",
    "ListBatchInferenceJobs",
    "CreateBatchSegmentJob",
    "DescribeBatchSegmentJob",
    "ListBatchSegmentJobs",
    "CreateDatasetExportJob",
    "DescribeDatasetExportJob",
    "ListDatasetExportJobs",
    "ListRecipes",
    "DescribeRecipe",
    "DescribeAlgorithm",
    "DescribeFeatureTransformation",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_implemented_operation_is_a_personalize_operation() {
        for op in IMPLEMENTED {
            assert!(reko_api::is_control_plane_operation(op), "{op}");
        }
    }
}
