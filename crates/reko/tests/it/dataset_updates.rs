//! UpdateDataset through the wire: the official AWS SDK for Rust replaces an Items dataset's
//! schema against a real `reko serve` (docs/compatibility.md, "Replacing a dataset's schema";
//! Personalize's UpdateDataset API reference and "Replacing a dataset's schema to add new columns").
//!
//! A dataset group with 40 items (ITEM_ID, GENRE) and 1,200 interactions trains a model; the Items
//! schema is then replaced by one adding a nullable categorical BRAND, an incremental import gives
//! some items a brand, and the dataset is checked through DescribeDataset (`latestDatasetUpdate`,
//! the new `schemaArn`), an export (the rows imported before read BRAND as empty), a new training
//! and a filter on the new column. Refused: an incompatible schema (naming the field), an
//! Interactions dataset, a second update while one is pending, deleting the schema in use, and a
//! key scoped to another dataset group.

use std::collections::BTreeSet;

use crate::common::*;
use aws_sdk_personalize::config::retry::RetryConfig;
use aws_sdk_personalize::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_personalize::types::ImportMode;

const INTERACTIONS: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const ITEMS_V1: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":"string","categorical":true}],"version":"1.0"}"#;
const ITEMS_V2: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":"string","categorical":true},{"name":"BRAND","type":["null","string"],"categorical":true}],"version":"1.1"}"#;
/// GENRE loses its `categorical` attribute.
const ITEMS_RETYPED: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":"string"},{"name":"BRAND","type":["null","string"],"categorical":true}],"version":"1.1"}"#;

const TENANT_ID: &str = "AKIDSHOPA0001";
const TENANT_SECRET: &str = "shop-a-secret-000000000001";

fn scoped_client(url: &str) -> aws_sdk_personalize::Client {
    aws_sdk_personalize::Client::from_conf(
        aws_sdk_personalize::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(url)
            .credentials_provider(Credentials::new(TENANT_ID, TENANT_SECRET, None, None, "test"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .retry_config(RetryConfig::disabled())
            .build(),
    )
}

/// The items with a brand after the update (`Acme`), all of them with interactions.
const BRANDED: std::ops::Range<usize> = 0..8;

async fn wait_update_active(c: &aws_sdk_personalize::Client, dataset: &str) -> aws_sdk_personalize::types::Dataset {
    let start = std::time::Instant::now();
    loop {
        let d = ok(c.describe_dataset().dataset_arn(dataset).send().await, "DescribeDataset").dataset.unwrap();
        let u = d.latest_dataset_update().expect("latestDatasetUpdate");
        match u.status() {
            Some("ACTIVE") => return d,
            Some("CREATE PENDING" | "CREATE IN_PROGRESS") => {
                assert_eq!(d.status(), Some("ACTIVE"), "the dataset stays ACTIVE during its update");
            }
            other => panic!("update of {dataset} is {other:?}: {:?}", u.failure_reason()),
        }
        assert!(start.elapsed() < WAIT, "update of {dataset} not ACTIVE after {WAIT:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_items_dataset_takes_a_schema_with_a_new_column() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let shop_a = arn("dataset-group", "shop-a");
    let config = scoped_key_config(dir, TENANT_ID, TENANT_SECRET, &shop_a);
    let server = Server::start_with(&dir.join("data"), &["--config", config.to_str().unwrap()]);
    let c = &server.control;
    let tenant = scoped_client(&server.url);

    let interactions_schema = create_schema(c, "upd-interactions", INTERACTIONS).await;
    let v1 = create_schema(c, "upd-items-v1", ITEMS_V1).await;
    let v2 = create_schema(c, "upd-items-v2", ITEMS_V2).await;
    let retyped = create_schema(c, "upd-items-retyped", ITEMS_RETYPED).await;

    // ---- shop-b: data, a first model ------------------------------------------------------------
    let g = create_dataset_group(c, "shop-b").await;
    wait_active(c, &Res::DatasetGroup(g.clone())).await;
    let di = create_dataset(c, &g, "shop-b", "shop-b-interactions", "Interactions", &interactions_schema).await;
    let dt = create_dataset(c, &g, "shop-b", "shop-b-items", "Items", &v1).await;
    let mut rows = String::from("USER_ID,ITEM_ID,TIMESTAMP\n");
    for k in 0..1200 {
        rows.push_str(&format!("u{},i{},{}\n", k % 60, (k * 7 + k / 60) % 40, 1_700_000_000 + k));
    }
    std::fs::write(dir.join("interactions.csv"), rows).unwrap();
    let genres = ["Drama", "Comedy", "Horror", "Action"];
    let mut items = String::from("ITEM_ID,GENRE\n");
    for i in 0..40 {
        items.push_str(&format!("i{i},{}\n", genres[i % 4]));
    }
    std::fs::write(dir.join("items.csv"), items).unwrap();
    let job = import(c, "interactions", &di, &file_url(&dir.join("interactions.csv")), None).await;
    wait_active(c, &Res::ImportJob(job)).await;
    let job = import(c, "items", &dt, &file_url(&dir.join("items.csv")), None).await;
    wait_active(c, &Res::ImportJob(job)).await;
    let solution = create_solution(c, &g, "shop-b-up", "aws-user-personalization").await;
    train(c, &solution).await;
    let before = ok(c.describe_dataset().dataset_arn(&dt).send().await, "DescribeDataset").dataset.unwrap();
    assert!(before.latest_dataset_update().is_none(), "no latestDatasetUpdate before the first update");

    // ---- refusals ---------------------------------------------------------------------------------
    let m = expect_code(
        c.update_dataset().dataset_arn(&dt).schema_arn(&retyped).send().await,
        "InvalidInputException",
        "UpdateDataset(GENRE loses categorical)",
    );
    assert!(m.contains("Field 'GENRE'") && m.contains("attributes"), "{m}");
    let m = expect_code(
        c.update_dataset().dataset_arn(&dt).schema_arn(&interactions_schema).send().await,
        "InvalidInputException",
        "UpdateDataset(Interactions schema for Items)",
    );
    assert!(m.contains("must be \"Items\""), "{m}");
    let m = expect_code(
        c.update_dataset().dataset_arn(&di).schema_arn(&interactions_schema).send().await,
        "InvalidInputException",
        "UpdateDataset(Interactions dataset)",
    );
    assert!(m.contains("only Items and Users datasets"), "{m}");
    expect_code(
        c.update_dataset().dataset_arn(&dt).schema_arn(arn("schema", "no-such-schema")).send().await,
        "ResourceNotFoundException",
        "UpdateDataset(unknown schema)",
    );
    expect_code(
        c.update_dataset().dataset_arn(arn("dataset", "shop-b/USERS")).schema_arn(&v2).send().await,
        "ResourceNotFoundException",
        "UpdateDataset(unknown dataset)",
    );
    // A key scoped to shop-a does not reach shop-b's dataset (it answers as missing).
    let m = expect_code(
        tenant.update_dataset().dataset_arn(&dt).schema_arn(&v2).send().await,
        "ResourceNotFoundException",
        "UpdateDataset(another group's dataset)",
    );
    assert!(m.contains(&dt), "{m}");
    let unchanged = ok(c.describe_dataset().dataset_arn(&dt).send().await, "DescribeDataset").dataset.unwrap();
    assert_eq!(unchanged.schema_arn(), Some(v1.as_str()));
    assert!(unchanged.latest_dataset_update().is_none());

    // ---- the update -------------------------------------------------------------------------------
    let out = ok(c.update_dataset().dataset_arn(&dt).schema_arn(&v2).send().await, "UpdateDataset");
    assert_eq!(out.dataset_arn(), Some(dt.as_str()));
    // A second one while the first is pending (or just done: then it is accepted as a no-op).
    if let Err(e) = c.update_dataset().dataset_arn(&dt).schema_arn(&v2).send().await {
        assert_eq!(aws_sdk_personalize::error::ProvideErrorMetadata::code(&e), Some("ResourceInUseException"), "{e:?}");
    }
    let d = wait_update_active(c, &dt).await;
    assert_eq!(d.schema_arn(), Some(v2.as_str()));
    assert_eq!(d.status(), Some("ACTIVE"));
    let u = d.latest_dataset_update().unwrap();
    assert_eq!(u.schema_arn(), Some(v2.as_str()));
    assert!(u.failure_reason().is_none());
    assert!(u.creation_date_time().unwrap().secs() >= before.creation_date_time().unwrap().secs());
    assert!(u.last_updated_date_time().unwrap() >= u.creation_date_time().unwrap());
    expect_code(
        c.delete_schema().schema_arn(&v2).send().await,
        "ResourceInUseException",
        "DeleteSchema(the dataset's new schema)",
    );

    // ---- a file with the new column ------------------------------------------------------------------
    let mut branded = String::from("ITEM_ID,GENRE,BRAND\n");
    for i in BRANDED {
        branded.push_str(&format!("i{i},{},Acme\n", genres[i % 4]));
    }
    std::fs::write(dir.join("branded.csv"), branded).unwrap();
    let job = import(c, "branded", &dt, &file_url(&dir.join("branded.csv")), Some(ImportMode::Incremental)).await;
    wait_active(c, &Res::ImportJob(job)).await;
    let lines = export_dataset(c, "items-export", &dt, "BULK", &dir.join("export")).await;
    assert_eq!(lines[0], "ITEM_ID,GENRE,BRAND");
    assert_eq!(lines.len(), 41, "{lines:?}");
    for line in &lines[1..] {
        let id: usize = line.split(',').next().unwrap().trim_start_matches('i').parse().unwrap();
        let brand = line.rsplit(',').next().unwrap();
        assert_eq!(brand, if BRANDED.contains(&id) { "Acme" } else { "" }, "{line}");
    }

    // ---- training and filters read the new schema ------------------------------------------------------
    let sv = train(c, &solution).await;
    let campaign = deploy(c, "shop-b-camp", &sv).await;
    let filter = create_filter(c, &g, "acme-only", r#"INCLUDE ItemID WHERE Items.BRAND IN ("Acme")"#).await;
    for user in ["u1", "u2", "u3"] {
        let recs = ok(
            server
                .runtime
                .get_recommendations()
                .campaign_arn(&campaign)
                .user_id(user)
                .num_results(20)
                .filter_arn(&filter)
                .send()
                .await,
            "GetRecommendations(BRAND filter)",
        );
        let got: BTreeSet<String> = ids(recs.item_list()).into_iter().collect();
        let allowed: BTreeSet<String> = BRANDED.map(|i| format!("i{i}")).collect();
        assert!(!got.is_empty() && got.is_subset(&allowed), "{user}: {got:?}");
    }

    // ---- a scoped key updates its own group's dataset ---------------------------------------------------
    let ga = create_dataset_group(c, "shop-a").await;
    wait_active(c, &Res::DatasetGroup(ga.clone())).await;
    let da = create_dataset(c, &ga, "shop-a", "shop-a-items", "Items", &v1).await;
    ok(tenant.update_dataset().dataset_arn(&da).schema_arn(&v2).send().await, "UpdateDataset(own group)");
    let d = wait_update_active(&tenant, &da).await;
    assert_eq!(d.schema_arn(), Some(v2.as_str()));
    // The replaced schema is free again: no dataset uses it any more.
    ok(c.delete_schema().schema_arn(&v1).send().await, "DeleteSchema(the replaced schema)");
}
