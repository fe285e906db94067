//! JSON request decoding: `reko_api::parse_request` (serde decoding plus the model's `max`,
//! `pattern` and `enum` checks) for every operation's request shape, the error rendering, and the
//! follow-up parsing the service does on an accepted request: PutEvents / PutItems / PutUsers
//! `properties` mapped onto fixed schemas and built into record batches, CreateSchema's schema
//! document, CreateFilter's expression and GetRecommendations / GetPersonalizedRanking
//! `filterValues` bound to a fixed filter.
//!
//! Input: the operation name, a newline, then the request body, e.g.
//! `PutEvents\n{"trackingId":"t","sessionId":"s","eventList":[...]}`. Unknown names are skipped.
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use reko_api::*;
use reko_dataset::{parse_schema, Value, INTERACTIONS_RESERVED_FIELDS};
use reko_filter::FilterExpression;
use reko_fuzz::{build_rows, exercise_batch, interactions_schema, items_schema, users_schema, PutRecord};

/// Decodes and validates `body` as `T`; on failure renders the error the way the HTTP layer does.
fn decode<T: serde::de::DeserializeOwned + Validate>(body: &[u8]) -> Option<T> {
    match parse_request::<T>(body) {
        Ok(r) => Some(r),
        Err(e) => {
            let _ = (e.code(), e.message(), e.http_status(Service::Control), e.http_status(Service::Events));
            None
        }
    }
}

/// The filter request-time `filterValues` are bound to.
fn filter() -> &'static FilterExpression {
    static F: OnceLock<FilterExpression> = OnceLock::new();
    F.get_or_init(|| {
        reko_filter::parse(
            r#"INCLUDE ItemID WHERE Items.GENRES IN ($GENRES) AND Items.PRICE < $MAX_PRICE | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($EVENT)"#,
        )
        .expect("fixture filter")
    })
}

fn bind_filter_values(values: Option<&BTreeMap<String, String>>) {
    if let Some(values) = values {
        let _ = filter().bind(values);
    }
}

fn put_events(r: PutEventsRequest) {
    let records: Vec<PutRecord<'_>> = r
        .event_list
        .iter()
        .map(|e| {
            let opt = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Str);
            PutRecord {
                fixed: vec![
                    ("USER_ID", opt(&r.user_id)),
                    ("ITEM_ID", opt(&e.item_id)),
                    ("TIMESTAMP", Value::Long(e.sent_at.floor() as i64)),
                    ("EVENT_TYPE", Value::Str(e.event_type.clone())),
                    ("EVENT_VALUE", e.event_value.map_or(Value::Null, Value::Double)),
                    ("IMPRESSION", e.impression.as_ref().map_or(Value::Null, |l| Value::Str(l.join("|")))),
                    ("_SESSION_ID", Value::Str(r.session_id.clone())),
                ],
                properties: e.properties.as_deref(),
            }
        })
        .collect();
    if let Some(batch) =
        build_rows(interactions_schema(), &INTERACTIONS_RESERVED_FIELDS, &["USER_ID", "ITEM_ID"], &records)
    {
        exercise_batch(&batch);
    }
}

fn put_items(r: PutItemsRequest) {
    let records: Vec<PutRecord<'_>> = r
        .items
        .iter()
        .map(|i| PutRecord {
            fixed: vec![("ITEM_ID", Value::Str(i.item_id.clone()))],
            properties: i.properties.as_deref(),
        })
        .collect();
    if let Some(batch) = build_rows(items_schema(), &["ITEM_ID"], &[], &records) {
        exercise_batch(&batch);
        let mut table = reko_filter::AttributeTable::new(items_schema());
        let _ = table.upsert_batch(&batch);
    }
}

fn put_users(r: PutUsersRequest) {
    let records: Vec<PutRecord<'_>> = r
        .users
        .iter()
        .map(|u| PutRecord {
            fixed: vec![("USER_ID", Value::Str(u.user_id.clone()))],
            properties: u.properties.as_deref(),
        })
        .collect();
    if let Some(batch) = build_rows(users_schema(), &["USER_ID"], &[], &records) {
        exercise_batch(&batch);
        let mut table = reko_filter::AttributeTable::new(users_schema());
        let _ = table.upsert_batch(&batch);
    }
}

/// `name => Type` for the plain shapes (decoding and validation only), `name => Type, follow-up`
/// for the ones whose accepted request is parsed further.
macro_rules! dispatch {
    ($op:expr, $body:expr; $($name:literal => $ty:ty $(, $then:expr)?;)*) => {
        match $op {
            $($name => {
                #[allow(unused_variables)]
                if let Some(r) = decode::<$ty>($body) {
                    $(($then)(r);)?
                }
            })*
            _ => {}
        }
    };
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let Ok(op) = std::str::from_utf8(&data[..split]) else { return };
    let body = data.get(split + 1..).unwrap_or(&[]);
    dispatch! { op, body;
        // Events and runtime.
        "PutEvents" => PutEventsRequest, put_events;
        "PutItems" => PutItemsRequest, put_items;
        "PutUsers" => PutUsersRequest, put_users;
        "GetRecommendations" => GetRecommendationsRequest,
            |r: GetRecommendationsRequest| bind_filter_values(r.filter_values.as_ref());
        "GetPersonalizedRanking" => GetPersonalizedRankingRequest,
            |r: GetPersonalizedRankingRequest| bind_filter_values(r.filter_values.as_ref());
        "PutActions" => PutActionsRequest;
        "PutActionInteractions" => PutActionInteractionsRequest;
        "GetActionRecommendations" => GetActionRecommendationsRequest;
        // Control plane.
        "CreateSchema" => CreateSchemaRequest, |r: CreateSchemaRequest| { let _ = parse_schema(&r.schema); };
        "CreateFilter" => CreateFilterRequest, |r: CreateFilterRequest| { let _ = reko_filter::parse(&r.filter_expression); };
        "CreateDatasetGroup" => CreateDatasetGroupRequest;
        "CreateDataset" => CreateDatasetRequest;
        "CreateDatasetImportJob" => CreateDatasetImportJobRequest;
        "CreateDatasetExportJob" => CreateDatasetExportJobRequest;
        "CreateDataDeletionJob" => CreateDataDeletionJobRequest;
        "CreateMetricAttribution" => CreateMetricAttributionRequest;
        "UpdateMetricAttribution" => UpdateMetricAttributionRequest;
        "DeleteMetricAttribution" => DeleteMetricAttributionRequest;
        "DescribeMetricAttribution" => DescribeMetricAttributionRequest;
        "ListMetricAttributions" => ListMetricAttributionsRequest;
        "ListMetricAttributionMetrics" => ListMetricAttributionMetricsRequest;
        "CreateSolution" => CreateSolutionRequest;
        "CreateSolutionVersion" => CreateSolutionVersionRequest;
        "CreateCampaign" => CreateCampaignRequest;
        "CreateRecommender" => CreateRecommenderRequest;
        "UpdateRecommender" => UpdateRecommenderRequest;
        "StartRecommender" => StartRecommenderRequest;
        "StopRecommender" => StopRecommenderRequest;
        "CreateEventTracker" => CreateEventTrackerRequest;
        "CreateBatchInferenceJob" => CreateBatchInferenceJobRequest;
        "CreateBatchSegmentJob" => CreateBatchSegmentJobRequest;
        "UpdateCampaign" => UpdateCampaignRequest;
        "UpdateDataset" => UpdateDatasetRequest;
        "UpdateSolution" => UpdateSolutionRequest;
        "StopSolutionVersionCreation" => StopSolutionVersionCreationRequest;
        "GetSolutionMetrics" => GetSolutionMetricsRequest;
        "TagResource" => TagResourceRequest;
        "UntagResource" => UntagResourceRequest;
        "ListTagsForResource" => ListTagsForResourceRequest;
        "DeleteCampaign" => DeleteCampaignRequest;
        "DeleteRecommender" => DeleteRecommenderRequest;
        "DeleteDatasetGroup" => DeleteDatasetGroupRequest;
        "DeleteDataset" => DeleteDatasetRequest;
        "DeleteEventTracker" => DeleteEventTrackerRequest;
        "DeleteFilter" => DeleteFilterRequest;
        "DeleteSchema" => DeleteSchemaRequest;
        "DeleteSolution" => DeleteSolutionRequest;
        "DescribeBatchInferenceJob" => DescribeBatchInferenceJobRequest;
        "DescribeBatchSegmentJob" => DescribeBatchSegmentJobRequest;
        "DescribeCampaign" => DescribeCampaignRequest;
        "DescribeRecommender" => DescribeRecommenderRequest;
        "DescribeDatasetExportJob" => DescribeDatasetExportJobRequest;
        "DescribeDataDeletionJob" => DescribeDataDeletionJobRequest;
        "DescribeDatasetGroup" => DescribeDatasetGroupRequest;
        "DescribeDatasetImportJob" => DescribeDatasetImportJobRequest;
        "DescribeDataset" => DescribeDatasetRequest;
        "DescribeEventTracker" => DescribeEventTrackerRequest;
        "DescribeFilter" => DescribeFilterRequest;
        "DescribeRecipe" => DescribeRecipeRequest;
        "DescribeSchema" => DescribeSchemaRequest;
        "DescribeSolution" => DescribeSolutionRequest;
        "DescribeSolutionVersion" => DescribeSolutionVersionRequest;
        "ListBatchInferenceJobs" => ListBatchInferenceJobsRequest;
        "ListBatchSegmentJobs" => ListBatchSegmentJobsRequest;
        "ListCampaigns" => ListCampaignsRequest;
        "ListRecommenders" => ListRecommendersRequest;
        "ListDatasetExportJobs" => ListDatasetExportJobsRequest;
        "ListDataDeletionJobs" => ListDataDeletionJobsRequest;
        "ListDatasetGroups" => ListDatasetGroupsRequest;
        "ListDatasetImportJobs" => ListDatasetImportJobsRequest;
        "ListDatasets" => ListDatasetsRequest;
        "ListEventTrackers" => ListEventTrackersRequest;
        "ListFilters" => ListFiltersRequest;
        "ListRecipes" => ListRecipesRequest;
        "ListSchemas" => ListSchemasRequest;
        "ListSolutionVersions" => ListSolutionVersionsRequest;
        "ListSolutions" => ListSolutionsRequest;
    }
});
