//! Request decoding never panics and never accepts what it cannot represent: any bytes, and any
//! JSON document of a request's shape with arbitrary values, give either a validated request or an
//! InvalidInputException naming the problem.

use proptest::prelude::*;
use reko_api::{
    parse_request, ApiError, CreateDatasetGroupRequest, CreateFilterRequest, CreateSchemaRequest,
    GetRecommendationsRequest, ListDatasetGroupsRequest, PutEventsRequest, PutItemsRequest,
};

fn decode_all(body: &[u8]) {
    fn one<T: serde::de::DeserializeOwned + reko_api::Validate>(body: &[u8]) {
        if let Err(e) = parse_request::<T>(body) {
            assert!(matches!(e, ApiError::InvalidInput(_)), "{e:?}");
            assert!(!e.message().is_empty());
        }
    }
    one::<CreateDatasetGroupRequest>(body);
    one::<CreateSchemaRequest>(body);
    one::<CreateFilterRequest>(body);
    one::<ListDatasetGroupsRequest>(body);
    one::<GetRecommendationsRequest>(body);
    one::<PutEventsRequest>(body);
    one::<PutItemsRequest>(body);
}

/// Arbitrary JSON values, nested a few levels.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(serde_json::Value::from),
        "\\PC{0,40}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-zA-Z]{1,12}", inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Objects with the members requests use, holding arbitrary values.
fn request_like() -> impl Strategy<Value = serde_json::Value> {
    let keys = prop::sample::select(vec![
        "name",
        "schema",
        "datasetGroupArn",
        "filterExpression",
        "maxResults",
        "nextToken",
        "campaignArn",
        "userId",
        "numResults",
        "context",
        "filterValues",
        "trackingId",
        "sessionId",
        "eventList",
        "datasetArn",
        "items",
        "domain",
    ]);
    prop::collection::btree_map(keys, json_value(), 0..8)
        .prop_map(|m| serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..400)) {
        decode_all(&body);
    }

    #[test]
    fn arbitrary_request_shapes_are_validated(doc in request_like()) {
        decode_all(doc.to_string().as_bytes());
    }
}
