//! docs/request-members.md lists every member of every request shape Reko accepts and what Reko
//! does with it. These tests fail when a request shape gains a member the list does not cover.

mod tracer;

use reko_api::*;
use tracer::member_paths;

/// (API, operation, every member path of its request shape). An operation implemented later
/// needs rows on the page (crates/http's tests) and then its line here
/// ([`every_listed_operation_is_traced`]).
fn shapes() -> Vec<(&'static str, &'static str, Vec<String>)> {
    vec![
        ("extension", "CreateExperiment", member_paths::<CreateExperimentRequest>()),
        ("extension", "DescribeExperiment", member_paths::<ExperimentArnRequest>()),
        ("extension", "ListExperiments", member_paths::<ListExperimentsRequest>()),
        ("extension", "GetExperimentResults", member_paths::<ExperimentArnRequest>()),
        ("extension", "PromoteExperiment", member_paths::<PromoteExperimentRequest>()),
        ("extension", "StopExperiment", member_paths::<ExperimentArnRequest>()),
        ("extension", "DeleteExperiment", member_paths::<ExperimentArnRequest>()),
        ("control", "CreateBatchInferenceJob", member_paths::<CreateBatchInferenceJobRequest>()),
        ("control", "CreateBatchSegmentJob", member_paths::<CreateBatchSegmentJobRequest>()),
        ("control", "CreateCampaign", member_paths::<CreateCampaignRequest>()),
        ("control", "CreateDataDeletionJob", member_paths::<CreateDataDeletionJobRequest>()),
        ("control", "CreateDataset", member_paths::<CreateDatasetRequest>()),
        ("control", "CreateDatasetExportJob", member_paths::<CreateDatasetExportJobRequest>()),
        ("control", "CreateDatasetGroup", member_paths::<CreateDatasetGroupRequest>()),
        ("control", "CreateDatasetImportJob", member_paths::<CreateDatasetImportJobRequest>()),
        ("control", "CreateEventTracker", member_paths::<CreateEventTrackerRequest>()),
        ("control", "CreateFilter", member_paths::<CreateFilterRequest>()),
        ("control", "CreateMetricAttribution", member_paths::<CreateMetricAttributionRequest>()),
        ("control", "CreateRecommender", member_paths::<CreateRecommenderRequest>()),
        ("control", "CreateSchema", member_paths::<CreateSchemaRequest>()),
        ("control", "CreateSolution", member_paths::<CreateSolutionRequest>()),
        ("control", "CreateSolutionVersion", member_paths::<CreateSolutionVersionRequest>()),
        ("control", "DeleteCampaign", member_paths::<DeleteCampaignRequest>()),
        ("control", "DeleteDataset", member_paths::<DeleteDatasetRequest>()),
        ("control", "DeleteDatasetGroup", member_paths::<DeleteDatasetGroupRequest>()),
        ("control", "DeleteEventTracker", member_paths::<DeleteEventTrackerRequest>()),
        ("control", "DeleteFilter", member_paths::<DeleteFilterRequest>()),
        ("control", "DeleteMetricAttribution", member_paths::<DeleteMetricAttributionRequest>()),
        ("control", "DeleteRecommender", member_paths::<DeleteRecommenderRequest>()),
        ("control", "DeleteSchema", member_paths::<DeleteSchemaRequest>()),
        ("control", "DeleteSolution", member_paths::<DeleteSolutionRequest>()),
        ("control", "DescribeAlgorithm", member_paths::<DescribeAlgorithmRequest>()),
        ("control", "DescribeBatchInferenceJob", member_paths::<DescribeBatchInferenceJobRequest>()),
        ("control", "DescribeBatchSegmentJob", member_paths::<DescribeBatchSegmentJobRequest>()),
        ("control", "DescribeCampaign", member_paths::<DescribeCampaignRequest>()),
        ("control", "DescribeDataDeletionJob", member_paths::<DescribeDataDeletionJobRequest>()),
        ("control", "DescribeDataset", member_paths::<DescribeDatasetRequest>()),
        ("control", "DescribeDatasetExportJob", member_paths::<DescribeDatasetExportJobRequest>()),
        ("control", "DescribeDatasetGroup", member_paths::<DescribeDatasetGroupRequest>()),
        ("control", "DescribeDatasetImportJob", member_paths::<DescribeDatasetImportJobRequest>()),
        ("control", "DescribeEventTracker", member_paths::<DescribeEventTrackerRequest>()),
        ("control", "DescribeFeatureTransformation", member_paths::<DescribeFeatureTransformationRequest>()),
        ("control", "DescribeFilter", member_paths::<DescribeFilterRequest>()),
        ("control", "DescribeMetricAttribution", member_paths::<DescribeMetricAttributionRequest>()),
        ("control", "DescribeRecipe", member_paths::<DescribeRecipeRequest>()),
        ("control", "DescribeRecommender", member_paths::<DescribeRecommenderRequest>()),
        ("control", "DescribeSchema", member_paths::<DescribeSchemaRequest>()),
        ("control", "DescribeSolution", member_paths::<DescribeSolutionRequest>()),
        ("control", "DescribeSolutionVersion", member_paths::<DescribeSolutionVersionRequest>()),
        ("runtime", "GetActionRecommendations", member_paths::<GetActionRecommendationsRequest>()),
        ("runtime", "GetPersonalizedRanking", member_paths::<GetPersonalizedRankingRequest>()),
        ("runtime", "GetRecommendations", member_paths::<GetRecommendationsRequest>()),
        ("control", "GetSolutionMetrics", member_paths::<GetSolutionMetricsRequest>()),
        ("control", "ListBatchInferenceJobs", member_paths::<ListBatchInferenceJobsRequest>()),
        ("control", "ListBatchSegmentJobs", member_paths::<ListBatchSegmentJobsRequest>()),
        ("control", "ListCampaigns", member_paths::<ListCampaignsRequest>()),
        ("control", "ListDataDeletionJobs", member_paths::<ListDataDeletionJobsRequest>()),
        ("control", "ListDatasetExportJobs", member_paths::<ListDatasetExportJobsRequest>()),
        ("control", "ListDatasetGroups", member_paths::<ListDatasetGroupsRequest>()),
        ("control", "ListDatasetImportJobs", member_paths::<ListDatasetImportJobsRequest>()),
        ("control", "ListDatasets", member_paths::<ListDatasetsRequest>()),
        ("control", "ListEventTrackers", member_paths::<ListEventTrackersRequest>()),
        ("control", "ListFilters", member_paths::<ListFiltersRequest>()),
        ("control", "ListMetricAttributionMetrics", member_paths::<ListMetricAttributionMetricsRequest>()),
        ("control", "ListMetricAttributions", member_paths::<ListMetricAttributionsRequest>()),
        ("control", "ListRecipes", member_paths::<ListRecipesRequest>()),
        ("control", "ListRecommenders", member_paths::<ListRecommendersRequest>()),
        ("control", "ListSchemas", member_paths::<ListSchemasRequest>()),
        ("control", "ListSolutionVersions", member_paths::<ListSolutionVersionsRequest>()),
        ("control", "ListSolutions", member_paths::<ListSolutionsRequest>()),
        ("control", "ListTagsForResource", member_paths::<ListTagsForResourceRequest>()),
        ("events", "PutActionInteractions", member_paths::<PutActionInteractionsRequest>()),
        ("events", "PutActions", member_paths::<PutActionsRequest>()),
        ("events", "PutEvents", member_paths::<PutEventsRequest>()),
        ("events", "PutItems", member_paths::<PutItemsRequest>()),
        ("events", "PutUsers", member_paths::<PutUsersRequest>()),
        ("control", "StartRecommender", member_paths::<StartRecommenderRequest>()),
        ("control", "StopRecommender", member_paths::<StopRecommenderRequest>()),
        ("control", "StopSolutionVersionCreation", member_paths::<StopSolutionVersionCreationRequest>()),
        ("control", "TagResource", member_paths::<TagResourceRequest>()),
        ("control", "UntagResource", member_paths::<UntagResourceRequest>()),
        ("control", "UpdateCampaign", member_paths::<UpdateCampaignRequest>()),
        ("control", "UpdateDataset", member_paths::<UpdateDatasetRequest>()),
        ("control", "UpdateMetricAttribution", member_paths::<UpdateMetricAttributionRequest>()),
        ("control", "UpdateRecommender", member_paths::<UpdateRecommenderRequest>()),
        ("control", "UpdateSolution", member_paths::<UpdateSolutionRequest>()),
    ]
}

/// The page, read from the repository (CI runs the tests from a checkout).
fn page() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/request-members.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// The statuses a row may give (the page's legend).
const STATUSES: &[&str] = &["honoured", "refused", "not applicable", "being implemented ("];

/// The page's rows: (API of the section, operation, member path, status).
fn rows(page: &str) -> Vec<(&'static str, String, String, String)> {
    let mut api = "";
    let mut out = Vec::new();
    for line in page.lines() {
        if let Some(title) = line.strip_prefix("## ") {
            api = match title.split_whitespace().next() {
                Some("Control") => "control",
                Some("Runtime") => "runtime",
                Some("Events") => "events",
                Some("Reko") => "extension",
                _ => "",
            };
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // `| Operation | `member` | status | how |` splits into six cells, the outer two empty.
        let [_, op, member, status, _how, _] = cells[..] else { continue };
        let Some(member) = member.strip_prefix('`').and_then(|m| m.strip_suffix('`')) else { continue };
        assert!(!api.is_empty(), "row outside an API section: {line}");
        out.push((api, op.to_string(), member.to_string(), status.to_string()));
    }
    out
}

#[test]
fn the_tracer_sees_nested_members() {
    let solution = member_paths::<CreateSolutionRequest>();
    for path in ["name", "solutionConfig.hpoConfig.hpoObjective.metricRegex", "tags[].tagKey"] {
        assert!(solution.contains(&path.to_string()), "{path} not in {solution:?}");
    }
    let events = member_paths::<PutEventsRequest>();
    assert!(events.contains(&"eventList[].metricAttribution.eventAttributionSource".to_string()), "{events:?}");
    // Map values are listed under the map itself, free-form JSON is one member.
    let campaign = member_paths::<CreateCampaignRequest>();
    assert!(campaign.contains(&"campaignConfig.itemExplorationConfig".to_string()), "{campaign:?}");
    assert!(!campaign.iter().any(|p| p.starts_with("campaignConfig.itemExplorationConfig.")), "{campaign:?}");
}

#[test]
fn every_request_member_is_listed_with_its_status() {
    let page = page();
    let rows = rows(&page);
    let mut missing = Vec::new();
    for (api, op, paths) in shapes() {
        if !rows.iter().any(|(a, o, _, _)| *a == api && o == op) {
            missing.push(format!("{op}: no rows in the {api} table"));
            continue;
        }
        for path in paths {
            if !rows.iter().any(|(a, o, m, _)| *a == api && o == op && *m == path) {
                missing.push(format!("{op} `{path}`"));
            }
        }
    }
    assert!(missing.is_empty(), "docs/request-members.md does not list:\n{}", missing.join("\n"));
    for (_, op, member, status) in &rows {
        assert!(STATUSES.iter().any(|s| status.starts_with(s)), "{op} `{member}`: unknown status '{status}'");
    }
}

#[test]
fn every_listed_operation_is_traced() {
    let traced: Vec<(&str, &str)> = shapes().into_iter().map(|(api, op, _)| (api, op)).collect();
    let page = page();
    let rows = rows(&page);
    assert!(rows.len() > 250, "{} rows: the tables were not read", rows.len());
    for (api, op, member, _) in &rows {
        assert!(
            traced.contains(&(*api, op.as_str())),
            "{op} `{member}` ({api}): add the operation's request shape to shapes() in this test"
        );
    }
}
