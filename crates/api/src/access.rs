//! What each request touches, read from the typed request: the service authorizes a scoped key
//! on these, never on the raw body (a body is decoded once, strictly, and what the handler uses is
//! exactly what was authorized).

use crate::*;

/// One thing a request reaches that a key's scope may forbid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access<'a> {
    /// A resource by ARN: it must belong to one of the caller's dataset groups, or not exist.
    /// Account-level ARNs (schemas) must be in the caller's account; recipes pass.
    Resource(&'a str),
    /// PutEvents' tracking id (an event tracker's) or PutActionInteractions' (an Action
    /// interactions dataset's): its owner must be in the caller's dataset groups.
    TrackingId(&'a str),
    /// A dataset group the request creates, by name: its ARN must be in the caller's scope.
    NewDatasetGroup(&'a str),
    /// A change to something every tenant shares (an account-level schema): root keys only.
    SharedChange(&'static str),
}

/// The resources a request names, for authorization before it runs. Every request type the
/// dispatcher can decode implements it, so no operation can skip the check.
pub trait AccessedResources {
    fn accessed(&self) -> Vec<Access<'_>>;
}

/// `Access::Resource` for each present ARN.
fn arns<'a>(arns: impl IntoIterator<Item = Option<&'a String>>) -> Vec<Access<'a>> {
    arns.into_iter().flatten().map(|arn| Access::Resource(arn.as_str())).collect()
}

/// [`arns`], where a `{solutionArn}/$LATEST` alias reaches its solution.
fn version_arns<'a>(arns: impl IntoIterator<Item = Option<&'a String>>) -> Vec<Access<'a>> {
    arns.into_iter()
        .flatten()
        .map(|arn| Access::Resource(crate::campaign::latest_alias_solution(arn).unwrap_or(arn.as_str())))
        .collect()
}

macro_rules! accessed {
    ($($ty:ty => |$r:ident| $body:expr;)*) => {
        $(impl AccessedResources for $ty {
            fn accessed(&self) -> Vec<Access<'_>> {
                let $r = self;
                $body
            }
        })*
    };
}

accessed! {
    CreateDatasetGroupRequest => |r| vec![Access::NewDatasetGroup(&r.name)];
    DescribeDatasetGroupRequest => |r| arns([Some(&r.dataset_group_arn)]);
    ListDatasetGroupsRequest => |_r| Vec::new();
    DeleteDatasetGroupRequest => |r| arns([Some(&r.dataset_group_arn)]);
    CreateSchemaRequest => |_r| Vec::new();
    DescribeSchemaRequest => |r| arns([Some(&r.schema_arn)]);
    ListSchemasRequest => |_r| Vec::new();
    DeleteSchemaRequest => |_r| vec![Access::SharedChange("DeleteSchema")];
    CreateDatasetRequest => |r| arns([Some(&r.dataset_group_arn), Some(&r.schema_arn)]);
    DescribeDatasetRequest => |r| arns([Some(&r.dataset_arn)]);
    ListDatasetsRequest => |r| arns([r.dataset_group_arn.as_ref()]);
    DeleteDatasetRequest => |r| arns([Some(&r.dataset_arn)]);
    UpdateDatasetRequest => |r| arns([Some(&r.dataset_arn), Some(&r.schema_arn)]);
    CreateDatasetImportJobRequest => |r| arns([Some(&r.dataset_arn)]);
    DescribeDatasetImportJobRequest => |r| arns([Some(&r.dataset_import_job_arn)]);
    ListDatasetImportJobsRequest => |r| arns([r.dataset_arn.as_ref()]);
    CreateDatasetExportJobRequest => |r| arns([Some(&r.dataset_arn)]);
    DescribeDatasetExportJobRequest => |r| arns([Some(&r.dataset_export_job_arn)]);
    ListDatasetExportJobsRequest => |r| arns([r.dataset_arn.as_ref()]);
    CreateDataDeletionJobRequest => |r| arns([Some(&r.dataset_group_arn)]);
    DescribeDataDeletionJobRequest => |r| arns([Some(&r.data_deletion_job_arn)]);
    ListDataDeletionJobsRequest => |r| arns([r.dataset_group_arn.as_ref()]);
    CreateMetricAttributionRequest => |r| arns([Some(&r.dataset_group_arn)]);
    DescribeMetricAttributionRequest => |r| arns([Some(&r.metric_attribution_arn)]);
    ListMetricAttributionsRequest => |r| arns([r.dataset_group_arn.as_ref()]);
    UpdateMetricAttributionRequest => |r| arns([r.metric_attribution_arn.as_ref()]);
    DeleteMetricAttributionRequest => |r| arns([Some(&r.metric_attribution_arn)]);
    ListMetricAttributionMetricsRequest => |r| arns([r.metric_attribution_arn.as_ref()]);
    CreateSolutionRequest => |r| arns([Some(&r.dataset_group_arn)]);
    DescribeSolutionRequest => |r| arns([Some(&r.solution_arn)]);
    ListSolutionsRequest => |r| arns([r.dataset_group_arn.as_ref()]);
    DeleteSolutionRequest => |r| arns([Some(&r.solution_arn)]);
    UpdateSolutionRequest => |r| arns([Some(&r.solution_arn)]);
    CreateSolutionVersionRequest => |r| arns([Some(&r.solution_arn)]);
    DescribeSolutionVersionRequest => |r| arns([Some(&r.solution_version_arn)]);
    ListSolutionVersionsRequest => |r| arns([r.solution_arn.as_ref()]);
    StopSolutionVersionCreationRequest => |r| arns([Some(&r.solution_version_arn)]);
    GetSolutionMetricsRequest => |r| arns([Some(&r.solution_version_arn)]);
    CreateCampaignRequest => |r| version_arns([Some(&r.solution_version_arn)]);
    DescribeCampaignRequest => |r| arns([Some(&r.campaign_arn)]);
    ListCampaignsRequest => |r| arns([r.solution_arn.as_ref()]);
    UpdateCampaignRequest => |r| version_arns([Some(&r.campaign_arn), r.solution_version_arn.as_ref()]);
    DeleteCampaignRequest => |r| arns([Some(&r.campaign_arn)]);
    CreateEventTrackerRequest => |r| arns([Some(&r.dataset_group_arn)]);
    DescribeEventTrackerRequest => |r| arns([Some(&r.event_tracker_arn)]);
    ListEventTrackersRequest => |r| arns([r.dataset_group_arn.as_ref()]);
    DeleteEventTrackerRequest => |r| arns([Some(&r.event_tracker_arn)]);
    CreateFilterRequest => |r| arns([Some(&r.dataset_group_arn)]);
    DescribeFilterRequest => |r| arns([Some(&r.filter_arn)]);
    ListFiltersRequest => |r| arns([r.dataset_group_arn.as_ref()]);
    DeleteFilterRequest => |r| arns([Some(&r.filter_arn)]);
    CreateBatchInferenceJobRequest => |r| arns([Some(&r.solution_version_arn), r.filter_arn.as_ref()]);
    DescribeBatchInferenceJobRequest => |r| arns([Some(&r.batch_inference_job_arn)]);
    ListBatchInferenceJobsRequest => |r| arns([r.solution_version_arn.as_ref()]);
    CreateBatchSegmentJobRequest => |r| arns([Some(&r.solution_version_arn), r.filter_arn.as_ref()]);
    DescribeBatchSegmentJobRequest => |r| arns([Some(&r.batch_segment_job_arn)]);
    ListBatchSegmentJobsRequest => |r| arns([r.solution_version_arn.as_ref()]);
    CreateRecommenderRequest => |r| arns([Some(&r.dataset_group_arn)]);
    DescribeRecommenderRequest => |r| arns([Some(&r.recommender_arn)]);
    ListRecommendersRequest => |r| arns([r.dataset_group_arn.as_ref()]);
    UpdateRecommenderRequest => |r| arns([Some(&r.recommender_arn)]);
    DeleteRecommenderRequest => |r| arns([Some(&r.recommender_arn)]);
    StartRecommenderRequest => |r| arns([Some(&r.recommender_arn)]);
    StopRecommenderRequest => |r| arns([Some(&r.recommender_arn)]);
    ListRecipesRequest => |_r| Vec::new();
    DescribeRecipeRequest => |_r| Vec::new();
    DescribeAlgorithmRequest => |_r| Vec::new();
    DescribeFeatureTransformationRequest => |_r| Vec::new();
    TagResourceRequest => |r| arns([Some(&r.resource_arn)]);
    UntagResourceRequest => |r| arns([Some(&r.resource_arn)]);
    ListTagsForResourceRequest => |r| arns([Some(&r.resource_arn)]);
    // Reko's experiment extension (docs/experiments.md): the arms are checked against the
    // experiment's group by the service.
    CreateExperimentRequest => |r| {
        let mut a = arns([Some(&r.dataset_group_arn)]);
        a.extend(r.arms.iter().map(|arm| Access::Resource(arm.target_arn.as_str())));
        a
    };
    ExperimentArnRequest => |r| arns([Some(&r.experiment_arn)]);
    ListExperimentsRequest => |r| arns([r.dataset_group_arn.as_ref()]);
    PromoteExperimentRequest => |r| arns([Some(&r.experiment_arn)]);
    GetRecommendationsRequest => |r| {
        let promoted = r.promotions.iter().flatten().map(|p| p.filter_arn.as_ref());
        arns([r.campaign_arn.as_ref(), r.recommender_arn.as_ref(), r.filter_arn.as_ref()].into_iter().chain(promoted))
    };
    GetPersonalizedRankingRequest => |r| arns([Some(&r.campaign_arn), r.filter_arn.as_ref()]);
    PutEventsRequest => |r| vec![Access::TrackingId(&r.tracking_id)];
    PutItemsRequest => |r| arns([Some(&r.dataset_arn)]);
    PutUsersRequest => |r| arns([Some(&r.dataset_arn)]);
    PutActionsRequest => |r| arns([Some(&r.dataset_arn)]);
    PutActionInteractionsRequest => |r| vec![Access::TrackingId(&r.tracking_id)];
    GetActionRecommendationsRequest => |r| arns([r.campaign_arn.as_ref(), r.filter_arn.as_ref()]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_arns_are_named() {
        let req: GetRecommendationsRequest = serde_json::from_value(serde_json::json!({
            "campaignArn": "arn:c", "filterArn": "arn:f",
            "promotions": [{"name": "p", "percentPromotedItems": 10, "filterArn": "arn:p"}]
        }))
        .unwrap();
        assert_eq!(req.accessed(), [Access::Resource("arn:c"), Access::Resource("arn:f"), Access::Resource("arn:p")]);
        let req: UpdateCampaignRequest =
            serde_json::from_value(serde_json::json!({"campaignArn": "arn:c", "solutionVersionArn": "arn:sv"}))
                .unwrap();
        assert_eq!(req.accessed(), [Access::Resource("arn:c"), Access::Resource("arn:sv")]);
        let req: UpdateCampaignRequest =
            serde_json::from_value(serde_json::json!({"campaignArn": "arn:c", "solutionVersionArn": "arn:s/$LATEST"}))
                .unwrap();
        assert_eq!(
            req.accessed(),
            [Access::Resource("arn:c"), Access::Resource("arn:s")],
            "the alias reaches its solution"
        );
        let req: UpdateDatasetRequest =
            serde_json::from_value(serde_json::json!({"datasetArn": "arn:d", "schemaArn": "arn:s"})).unwrap();
        assert_eq!(req.accessed(), [Access::Resource("arn:d"), Access::Resource("arn:s")]);
        let req: PutActionInteractionsRequest =
            serde_json::from_value(serde_json::json!({"trackingId": "t", "actionInteractions": []})).unwrap();
        assert_eq!(req.accessed(), [Access::TrackingId("t")]);
        let req: GetActionRecommendationsRequest =
            serde_json::from_value(serde_json::json!({"campaignArn": "arn:c", "filterArn": "arn:f"})).unwrap();
        assert_eq!(req.accessed(), [Access::Resource("arn:c"), Access::Resource("arn:f")]);
    }
}
