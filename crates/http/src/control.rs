//! Control-plane dispatch: `X-Amz-Target` operation name → service function.

use reko_api::{parse_request, ApiError, ApiResult, EmptyResponse, Validate};
use reko_service::{Reko, ServiceResult};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// Decodes and validates the request, calls the service, encodes the response.
fn call<Req, Resp>(body: &[u8], f: impl FnOnce(Req) -> ServiceResult<Resp>) -> ApiResult<Value>
where
    Req: DeserializeOwned + Validate,
    Resp: Serialize,
{
    let request = parse_request::<Req>(body)?;
    let response = f(request)?;
    serde_json::to_value(response).map_err(|e| ApiError::Internal(format!("cannot encode the response: {e}")))
}

/// For operations without an output shape: `{}`.
fn empty(result: ServiceResult<()>) -> ServiceResult<EmptyResponse> {
    result.map(|()| EmptyResponse {})
}

pub(crate) fn dispatch(reko: &Reko, operation: &str, body: &[u8]) -> ApiResult<Value> {
    match operation {
        "CreateDatasetGroup" => call(body, |r| reko.create_dataset_group(r)),
        "DescribeDatasetGroup" => call(body, |r| reko.describe_dataset_group(r)),
        "ListDatasetGroups" => call(body, |r| reko.list_dataset_groups(r)),
        "DeleteDatasetGroup" => call(body, |r| empty(reko.delete_dataset_group(r))),
        "CreateSchema" => call(body, |r| reko.create_schema(r)),
        "DescribeSchema" => call(body, |r| reko.describe_schema(r)),
        "ListSchemas" => call(body, |r| reko.list_schemas(r)),
        "DeleteSchema" => call(body, |r| empty(reko.delete_schema(r))),
        "CreateDataset" => call(body, |r| reko.create_dataset(r)),
        "DescribeDataset" => call(body, |r| reko.describe_dataset(r)),
        "ListDatasets" => call(body, |r| reko.list_datasets(r)),
        "DeleteDataset" => call(body, |r| empty(reko.delete_dataset(r))),
        "CreateDatasetImportJob" => call(body, |r| reko.create_dataset_import_job(r)),
        "DescribeDatasetImportJob" => call(body, |r| reko.describe_dataset_import_job(r)),
        "ListDatasetImportJobs" => call(body, |r| reko.list_dataset_import_jobs(r)),
        "CreateSolution" => call(body, |r| reko.create_solution(r)),
        "DescribeSolution" => call(body, |r| reko.describe_solution(r)),
        "ListSolutions" => call(body, |r| reko.list_solutions(r)),
        "DeleteSolution" => call(body, |r| empty(reko.delete_solution(r))),
        "CreateSolutionVersion" => call(body, |r| reko.create_solution_version(r)),
        "DescribeSolutionVersion" => call(body, |r| reko.describe_solution_version(r)),
        "ListSolutionVersions" => call(body, |r| reko.list_solution_versions(r)),
        "StopSolutionVersionCreation" => call(body, |r| empty(reko.stop_solution_version_creation(r))),
        "GetSolutionMetrics" => call(body, |r| reko.get_solution_metrics(r)),
        "CreateCampaign" => call(body, |r| reko.create_campaign(r)),
        "DescribeCampaign" => call(body, |r| reko.describe_campaign(r)),
        "ListCampaigns" => call(body, |r| reko.list_campaigns(r)),
        "UpdateCampaign" => call(body, |r| reko.update_campaign(r)),
        "DeleteCampaign" => call(body, |r| empty(reko.delete_campaign(r))),
        "CreateEventTracker" => call(body, |r| reko.create_event_tracker(r)),
        "DescribeEventTracker" => call(body, |r| reko.describe_event_tracker(r)),
        "ListEventTrackers" => call(body, |r| reko.list_event_trackers(r)),
        "DeleteEventTracker" => call(body, |r| empty(reko.delete_event_tracker(r))),
        "CreateFilter" => call(body, |r| reko.create_filter(r)),
        "DescribeFilter" => call(body, |r| reko.describe_filter(r)),
        "ListFilters" => call(body, |r| reko.list_filters(r)),
        "DeleteFilter" => call(body, |r| empty(reko.delete_filter(r))),
        "CreateBatchInferenceJob" => call(body, |r| reko.create_batch_inference_job(r)),
        "DescribeBatchInferenceJob" => call(body, |r| reko.describe_batch_inference_job(r)),
        "ListBatchInferenceJobs" => call(body, |r| reko.list_batch_inference_jobs(r)),
        "CreateBatchSegmentJob" => call(body, |r| reko.create_batch_segment_job(r)),
        "DescribeBatchSegmentJob" => call(body, |r| reko.describe_batch_segment_job(r)),
        "ListBatchSegmentJobs" => call(body, |r| reko.list_batch_segment_jobs(r)),
        "CreateDatasetExportJob" => call(body, |r| reko.create_dataset_export_job(r)),
        "DescribeDatasetExportJob" => call(body, |r| reko.describe_dataset_export_job(r)),
        "ListDatasetExportJobs" => call(body, |r| reko.list_dataset_export_jobs(r)),
        "ListRecipes" => call(body, |r| reko.list_recipes(r)),
        "DescribeRecipe" => call(body, |r| reko.describe_recipe(r)),
        "TagResource" => call(body, |r| empty(reko.tag_resource(r))),
        "UntagResource" => call(body, |r| empty(reko.untag_resource(r))),
        "ListTagsForResource" => call(body, |r| reko.list_tags_for_resource(r)),
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
