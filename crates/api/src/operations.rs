//! The operation names of the three Personalize services (Personalize's API reference,
//! <https://docs.aws.amazon.com/personalize/latest/dg/API_Operations.html>; docs/compatibility.md
//! lists which Reko implements).

/// Every operation of the `personalize` control-plane model (awsJson1_1, `X-Amz-Target:
/// AmazonPersonalize.<Name>`), in alphabetical order. 71 names.
pub const CONTROL_PLANE_OPERATIONS: &[&str] = &[
    "CreateBatchInferenceJob",
    "CreateBatchSegmentJob",
    "CreateCampaign",
    "CreateDataDeletionJob",
    "CreateDataset",
    "CreateDatasetExportJob",
    "CreateDatasetGroup",
    "CreateDatasetImportJob",
    "CreateEventTracker",
    "CreateFilter",
    "CreateMetricAttribution",
    "CreateRecommender",
    "CreateSchema",
    "CreateSolution",
    "CreateSolutionVersion",
    "DeleteCampaign",
    "DeleteDataset",
    "DeleteDatasetGroup",
    "DeleteEventTracker",
    "DeleteFilter",
    "DeleteMetricAttribution",
    "DeleteRecommender",
    "DeleteSchema",
    "DeleteSolution",
    "DescribeAlgorithm",
    "DescribeBatchInferenceJob",
    "DescribeBatchSegmentJob",
    "DescribeCampaign",
    "DescribeDataDeletionJob",
    "DescribeDataset",
    "DescribeDatasetExportJob",
    "DescribeDatasetGroup",
    "DescribeDatasetImportJob",
    "DescribeEventTracker",
    "DescribeFeatureTransformation",
    "DescribeFilter",
    "DescribeMetricAttribution",
    "DescribeRecipe",
    "DescribeRecommender",
    "DescribeSchema",
    "DescribeSolution",
    "DescribeSolutionVersion",
    "GetSolutionMetrics",
    "ListBatchInferenceJobs",
    "ListBatchSegmentJobs",
    "ListCampaigns",
    "ListDataDeletionJobs",
    "ListDatasetExportJobs",
    "ListDatasetGroups",
    "ListDatasetImportJobs",
    "ListDatasets",
    "ListEventTrackers",
    "ListFilters",
    "ListMetricAttributionMetrics",
    "ListMetricAttributions",
    "ListRecipes",
    "ListRecommenders",
    "ListSchemas",
    "ListSolutionVersions",
    "ListSolutions",
    "ListTagsForResource",
    "StartRecommender",
    "StopRecommender",
    "StopSolutionVersionCreation",
    "TagResource",
    "UntagResource",
    "UpdateCampaign",
    "UpdateDataset",
    "UpdateMetricAttribution",
    "UpdateRecommender",
    "UpdateSolution",
];

/// The `personalize-runtime` operations (restJson1) with their `POST` paths.
pub const RUNTIME_OPERATIONS: &[(&str, &str)] = &[
    ("GetActionRecommendations", "/action-recommendations"),
    ("GetPersonalizedRanking", "/personalize-ranking"),
    ("GetRecommendations", "/recommendations"),
];

/// The `personalize-events` operations (restJson1) with their `POST` paths.
pub const EVENTS_OPERATIONS: &[(&str, &str)] = &[
    ("PutActionInteractions", "/action-interactions"),
    ("PutActions", "/actions"),
    ("PutEvents", "/events"),
    ("PutItems", "/items"),
    ("PutUsers", "/users"),
];

/// The `X-Amz-Target` prefix of the control plane.
pub const CONTROL_PLANE_TARGET_PREFIX: &str = "AmazonPersonalize";

/// Whether `name` (without the `AmazonPersonalize.` prefix) is a control-plane operation.
pub fn is_control_plane_operation(name: &str) -> bool {
    CONTROL_PLANE_OPERATIONS.binary_search(&name).is_ok()
}

/// The runtime operation served on `path`, if any.
pub fn runtime_operation_for_path(path: &str) -> Option<&'static str> {
    RUNTIME_OPERATIONS.iter().find(|(_, p)| *p == path).map(|(op, _)| *op)
}

/// The events operation served on `path`, if any.
pub fn events_operation_for_path(path: &str) -> Option<&'static str> {
    EVENTS_OPERATIONS.iter().find(|(_, p)| *p == path).map(|(op, _)| *op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_the_models() {
        assert_eq!(CONTROL_PLANE_OPERATIONS.len(), 71);
        assert_eq!(RUNTIME_OPERATIONS.len(), 3);
        assert_eq!(EVENTS_OPERATIONS.len(), 5);
    }

    #[test]
    fn control_plane_list_is_sorted_and_unique() {
        let mut sorted = CONTROL_PLANE_OPERATIONS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, CONTROL_PLANE_OPERATIONS);
    }

    #[test]
    fn lookups() {
        assert!(is_control_plane_operation("CreateDatasetGroup"));
        assert!(is_control_plane_operation("UpdateSolution"));
        assert!(!is_control_plane_operation("GetRecommendations"));
        assert!(!is_control_plane_operation("createDatasetGroup"));
        assert_eq!(runtime_operation_for_path("/recommendations"), Some("GetRecommendations"));
        assert_eq!(events_operation_for_path("/events"), Some("PutEvents"));
        assert_eq!(events_operation_for_path("/recommendations"), None);
    }
}
