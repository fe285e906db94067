//! Requests for metadata that cannot be served are refused, naming the problem.

use super::*;

// ---- Errors -------------------------------------------------------------------------------------

/// A campaign without enableMetadataWithRecommendations (absent or false).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaigns_without_the_flag_refuse_metadata_columns() {
    let fx = fixture();
    let (g, rt) = (&fx.a, &runtime_client(&fx.url));
    invalid(
        recs(rt, &g.up_plain, "u01", 10, Some(("ITEMS", &["GENRE"]))).await,
        &["enableMetadataWithRecommendations", &g.up_plain],
        "GetRecommendations, no flag",
    );
    ok(recs(rt, &g.up_plain, "u01", 10, None).await, "no flag, no metadataColumns");
    let input: Vec<String> = (0..10).map(item).collect();
    invalid(
        rank(rt, &g.pr_plain, "u01", &input, Some(("ITEMS", &["GENRE"]))).await,
        &["enableMetadataWithRecommendations", &g.pr_plain],
        "GetPersonalizedRanking, flag false",
    );
    ok(rank(rt, &g.pr_plain, "u01", &input, None).await, "flag false, no metadataColumns");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_columns_and_keys_are_refused() {
    let fx = fixture();
    let (g, rt) = (&fx.a, &runtime_client(&fx.url));
    let input: Vec<String> = (0..10).map(item).collect();
    // An unknown column: named, with the columns there are.
    invalid(
        recs(rt, &g.up, "u01", 10, Some(("ITEMS", &["GENRE", "COLOR"]))).await,
        &["COLOR", "GENRE", "PRICE", "CREATION_TIMESTAMP"],
        "GetRecommendations, unknown column",
    );
    invalid(
        rank(rt, &g.pr, "u01", &input, Some(("ITEMS", &["COLOR"]))).await,
        &["COLOR", "GENRE", "PRICE", "CREATION_TIMESTAMP"],
        "GetPersonalizedRanking, unknown column",
    );
    invalid(
        recs(rt, &g.up, "u01", 10, Some(("ITEMS", &["genre"]))).await,
        &["genre", "GENRE"],
        "column names are case-sensitive",
    );
    // Only ITEMS.
    invalid(recs(rt, &g.up, "u01", 10, Some(("USERS", &["AGE"]))).await, &["USERS", "ITEMS"], "USERS key");
    invalid(rank(rt, &g.pr, "u01", &input, Some(("USERS", &["AGE"]))).await, &["USERS", "ITEMS"], "USERS key, ranking");
    // At most one key (the model's map limit).
    invalid(
        rt.get_recommendations()
            .campaign_arn(&g.up)
            .user_id("u01")
            .metadata_columns("ITEMS", vec!["GENRE".into()])
            .metadata_columns("USERS", vec!["AGE".into()])
            .send()
            .await,
        &["metadataColumns"],
        "two keys",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_columns_allow_at_most_50_results_or_inputs() {
    let fx = fixture();
    let (g, rt) = (&fx.a, &runtime_client(&fx.url));
    let n = MAX_WITH_METADATA as i32;
    // numResults ≤ 50 with metadataColumns (500 without).
    invalid(
        recs(rt, &g.up, "u01", n + 1, Some(("ITEMS", &["GENRE"]))).await,
        &["numResults", "51", "50", "metadataColumns"],
        "numResults 51 with metadataColumns",
    );
    ok(recs(rt, &g.up, "u01", n + 1, None).await, "numResults 51 without metadataColumns");
    // inputList ≤ 50 with metadataColumns (500 without).
    let long: Vec<String> = (0..=MAX_WITH_METADATA).map(|k| format!("ghost{k}")).collect();
    invalid(
        rank(rt, &g.pr, "u01", &long, Some(("ITEMS", &["GENRE"]))).await,
        &["inputList", "51", "50"],
        "inputList of 51 with metadataColumns",
    );
    ok(rank(rt, &g.pr, "u01", &long, None).await, "inputList of 51 without metadataColumns");
    // The size limits are checked before the campaign's flag.
    invalid(
        recs(rt, &g.up_plain, "u01", n + 1, Some(("ITEMS", &["GENRE"]))).await,
        &["numResults"],
        "numResults 51, no flag",
    );
}
