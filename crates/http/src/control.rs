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

/// Runs one operation's call: decodes, authorizes, calls the service, encodes.
type Handler = fn(&Call) -> ApiResult<Value>;

/// The control-plane operations this server implements, with their handlers: the one table both
/// [`dispatch`] and [`IMPLEMENTED`] read. Personalize's other operations answer NotImplemented.
const OPERATIONS: &[(&str, Handler)] = &[
    ("CreateDatasetGroup", |c| call(c, |r| c.reko.create_dataset_group(r, c.scope))),
    ("DescribeDatasetGroup", |c| call(c, |r| c.reko.describe_dataset_group(r))),
    ("ListDatasetGroups", |c| call(c, |r| c.reko.list_dataset_groups(r, c.scope))),
    ("DeleteDatasetGroup", |c| call(c, |r| empty(c.reko.delete_dataset_group(r)))),
    ("CreateSchema", |c| call(c, |r| c.reko.create_schema(r, c.scope))),
    ("DescribeSchema", |c| call(c, |r| c.reko.describe_schema(r))),
    ("ListSchemas", |c| call(c, |r| c.reko.list_schemas(r, c.scope))),
    ("DeleteSchema", |c| call(c, |r| empty(c.reko.delete_schema(r)))),
    ("CreateDataset", |c| call(c, |r| c.reko.create_dataset(r))),
    ("DescribeDataset", |c| call(c, |r| c.reko.describe_dataset(r))),
    ("ListDatasets", |c| call(c, |r| c.reko.list_datasets(r, c.scope))),
    ("DeleteDataset", |c| call(c, |r| empty(c.reko.delete_dataset(r)))),
    ("UpdateDataset", |c| call(c, |r| c.reko.update_dataset(r))),
    ("CreateDatasetImportJob", |c| call(c, |r| c.reko.create_dataset_import_job(r, c.scope))),
    ("DescribeDatasetImportJob", |c| call(c, |r| c.reko.describe_dataset_import_job(r))),
    ("ListDatasetImportJobs", |c| call(c, |r| c.reko.list_dataset_import_jobs(r, c.scope))),
    ("CreateSolution", |c| call(c, |r| c.reko.create_solution(r))),
    ("DescribeSolution", |c| call(c, |r| c.reko.describe_solution(r))),
    ("ListSolutions", |c| call(c, |r| c.reko.list_solutions(r, c.scope))),
    ("DeleteSolution", |c| call(c, |r| empty(c.reko.delete_solution(r)))),
    ("UpdateSolution", |c| call(c, |r| c.reko.update_solution(r))),
    ("CreateSolutionVersion", |c| call(c, |r| c.reko.create_solution_version(r))),
    ("DescribeSolutionVersion", |c| call(c, |r| c.reko.describe_solution_version(r))),
    ("ListSolutionVersions", |c| call(c, |r| c.reko.list_solution_versions(r, c.scope))),
    ("StopSolutionVersionCreation", |c| call(c, |r| empty(c.reko.stop_solution_version_creation(r)))),
    ("GetSolutionMetrics", |c| call(c, |r| c.reko.get_solution_metrics(r))),
    ("CreateCampaign", |c| call(c, |r| c.reko.create_campaign(r))),
    ("DescribeCampaign", |c| call(c, |r| c.reko.describe_campaign(r))),
    ("ListCampaigns", |c| call(c, |r| c.reko.list_campaigns(r, c.scope))),
    ("UpdateCampaign", |c| call(c, |r| c.reko.update_campaign(r))),
    ("DeleteCampaign", |c| call(c, |r| empty(c.reko.delete_campaign(r)))),
    ("CreateEventTracker", |c| call(c, |r| c.reko.create_event_tracker(r))),
    ("DescribeEventTracker", |c| call(c, |r| c.reko.describe_event_tracker(r))),
    ("ListEventTrackers", |c| call(c, |r| c.reko.list_event_trackers(r, c.scope))),
    ("DeleteEventTracker", |c| call(c, |r| empty(c.reko.delete_event_tracker(r)))),
    ("CreateFilter", |c| call(c, |r| c.reko.create_filter(r))),
    ("DescribeFilter", |c| call(c, |r| c.reko.describe_filter(r))),
    ("ListFilters", |c| call(c, |r| c.reko.list_filters(r, c.scope))),
    ("DeleteFilter", |c| call(c, |r| empty(c.reko.delete_filter(r)))),
    ("CreateBatchInferenceJob", |c| call(c, |r| c.reko.create_batch_inference_job(r, c.scope))),
    ("DescribeBatchInferenceJob", |c| call(c, |r| c.reko.describe_batch_inference_job(r))),
    ("ListBatchInferenceJobs", |c| call(c, |r| c.reko.list_batch_inference_jobs(r, c.scope))),
    ("CreateBatchSegmentJob", |c| call(c, |r| c.reko.create_batch_segment_job(r, c.scope))),
    ("DescribeBatchSegmentJob", |c| call(c, |r| c.reko.describe_batch_segment_job(r))),
    ("ListBatchSegmentJobs", |c| call(c, |r| c.reko.list_batch_segment_jobs(r, c.scope))),
    ("CreateDatasetExportJob", |c| call(c, |r| c.reko.create_dataset_export_job(r, c.scope))),
    ("DescribeDatasetExportJob", |c| call(c, |r| c.reko.describe_dataset_export_job(r))),
    ("ListDatasetExportJobs", |c| call(c, |r| c.reko.list_dataset_export_jobs(r, c.scope))),
    ("CreateDataDeletionJob", |c| call(c, |r| c.reko.create_data_deletion_job(r, c.scope))),
    ("DescribeDataDeletionJob", |c| call(c, |r| c.reko.describe_data_deletion_job(r))),
    ("ListDataDeletionJobs", |c| call(c, |r| c.reko.list_data_deletion_jobs(r, c.scope))),
    ("CreateMetricAttribution", |c| call(c, |r| c.reko.create_metric_attribution(r, c.scope))),
    ("DescribeMetricAttribution", |c| call(c, |r| c.reko.describe_metric_attribution(r))),
    ("ListMetricAttributions", |c| call(c, |r| c.reko.list_metric_attributions(r, c.scope))),
    ("UpdateMetricAttribution", |c| call(c, |r| c.reko.update_metric_attribution(r, c.scope))),
    ("DeleteMetricAttribution", |c| call(c, |r| empty(c.reko.delete_metric_attribution(r)))),
    ("ListMetricAttributionMetrics", |c| call(c, |r| c.reko.list_metric_attribution_metrics(r))),
    ("CreateRecommender", |c| call(c, |r| c.reko.create_recommender(r))),
    ("DescribeRecommender", |c| call(c, |r| c.reko.describe_recommender(r))),
    ("ListRecommenders", |c| call(c, |r| c.reko.list_recommenders(r, c.scope))),
    ("UpdateRecommender", |c| call(c, |r| c.reko.update_recommender(r))),
    ("DeleteRecommender", |c| call(c, |r| empty(c.reko.delete_recommender(r)))),
    ("StartRecommender", |c| call(c, |r| c.reko.start_recommender(r))),
    ("StopRecommender", |c| call(c, |r| c.reko.stop_recommender(r))),
    ("ListRecipes", |c| call(c, |r| c.reko.list_recipes(r))),
    ("DescribeRecipe", |c| call(c, |r| c.reko.describe_recipe(r))),
    ("DescribeAlgorithm", |c| call(c, |r| c.reko.describe_algorithm(r))),
    ("DescribeFeatureTransformation", |c| call(c, |r| c.reko.describe_feature_transformation(r))),
    ("TagResource", |c| call(c, |r| empty(c.reko.tag_resource(r)))),
    ("UntagResource", |c| call(c, |r| empty(c.reko.untag_resource(r)))),
    ("ListTagsForResource", |c| call(c, |r| c.reko.list_tags_for_resource(r))),
];

/// Reko's extension operations (`X-Amz-Target: Reko.<Operation>`, docs/experiments.md): apart
/// from [`OPERATIONS`], which lists Personalize's only.
const EXTENSION_OPERATIONS: &[(&str, Handler)] = &[
    ("CreateExperiment", |c| call(c, |r| c.reko.create_experiment(r))),
    ("DescribeExperiment", |c| call(c, |r| c.reko.describe_experiment(r))),
    ("ListExperiments", |c| call(c, |r| c.reko.list_experiments(r, c.scope))),
    ("StopExperiment", |c| call(c, |r| c.reko.stop_experiment(r))),
    ("PromoteExperiment", |c| call(c, |r| c.reko.promote_experiment(r))),
    ("DeleteExperiment", |c| call(c, |r| empty(c.reko.delete_experiment(r)))),
    ("GetExperimentResults", |c| call(c, |r| c.reko.get_experiment_results(r))),
];

/// One call of Reko's extension without HTTP (what `POST /` with a `Reko.` target does after
/// authentication).
pub fn handle_extension(reko: &Reko, scope: &AccessScope, operation: &str, body: &[u8]) -> ApiResult<Value> {
    let c = Call { reko, scope, body };
    match EXTENSION_OPERATIONS.iter().find(|(name, _)| *name == operation) {
        Some((_, handler)) => handler(&c),
        None => Err(ApiError::UnknownOperation(format!("Unknown operation Reko.{operation}"))),
    }
}

fn dispatch(c: &Call, operation: &str) -> ApiResult<Value> {
    match OPERATIONS.iter().find(|(name, _)| *name == operation) {
        Some((_, handler)) => handler(c),
        None if reko_api::is_control_plane_operation(operation) => Err(ApiError::NotImplemented(operation.to_string())),
        None => Err(ApiError::UnknownOperation(format!("Unknown operation AmazonPersonalize.{operation}"))),
    }
}

/// The control-plane operations this server implements (the rest answer NotImplemented), in
/// [`OPERATIONS`]' order.
pub const IMPLEMENTED: &[&str] = &{
    let mut names = [""; OPERATIONS.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = OPERATIONS[i].0;
        i += 1;
    }
    names
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_implemented_operation_is_a_personalize_operation() {
        for op in IMPLEMENTED {
            assert!(reko_api::is_control_plane_operation(op), "{op}");
        }
        assert_eq!(IMPLEMENTED.len(), 71);
        let mut unique = IMPLEMENTED.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), IMPLEMENTED.len(), "an operation is listed twice");
    }

    /// The table drives dispatch: every listed operation reaches its handler (whatever it makes
    /// of an empty request), every operation of Personalize's control plane is listed, anything else
    /// is unknown.
    #[test]
    fn dispatch_follows_the_operation_table() {
        let tmp = tempfile::tempdir().unwrap();
        let reko = Reko::open(reko_service::ServiceConfig {
            data_dir: tmp.path().join("data"),
            workers: 0,
            ..Default::default()
        })
        .unwrap();
        let scope = AccessScope::default();
        for op in IMPLEMENTED {
            let result = handle_control_plane(&reko, &scope, op, b"{}");
            assert!(
                !matches!(result, Err(ApiError::NotImplemented(_) | ApiError::UnknownOperation(_))),
                "{op} is not dispatched: {result:?}"
            );
        }
        // Every operation of Personalize's control plane is in the table.
        for op in reko_api::CONTROL_PLANE_OPERATIONS {
            assert!(IMPLEMENTED.contains(op), "{op} is not implemented");
        }
        assert!(matches!(
            handle_control_plane(&reko, &scope, "CreateNothing", b"{}"),
            Err(ApiError::UnknownOperation(m)) if m == "Unknown operation AmazonPersonalize.CreateNothing"
        ));
        // The extension's operations are dispatched apart, and only there.
        for op in reko_api::experiment::EXTENSION_OPERATIONS {
            let result = handle_extension(&reko, &scope, op, b"{}");
            assert!(!matches!(result, Err(ApiError::UnknownOperation(_))), "{op}: {result:?}");
            assert!(matches!(handle_control_plane(&reko, &scope, op, b"{}"), Err(ApiError::UnknownOperation(_))));
        }
        let names: Vec<&str> = EXTENSION_OPERATIONS.iter().map(|(n, _)| *n).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, reko_api::experiment::EXTENSION_OPERATIONS);
        // An empty list succeeds: the handler ran.
        let listed = handle_control_plane(&reko, &scope, "ListDatasetGroups", b"{}").unwrap();
        assert_eq!(listed["datasetGroups"], serde_json::json!([]));
    }
}
