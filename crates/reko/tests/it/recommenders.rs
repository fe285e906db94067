//! Domain dataset groups and recommenders through the official AWS SDK for Rust, against a real
//! `reko serve`:
//!
//! * an ECOMMERCE group takes only schemas of its domain with the domain's required fields;
//!   ListRecipes(domain) lists the use cases; a use case of another domain, or a recommender in a
//!   custom group, is refused;
//! * on generated shop data (views skewed to five items, baskets of an item and its accessory),
//!   most-viewed, frequently-bought-together, recommended-for-you and customers-who-viewed-x
//!   recommenders train to ACTIVE with offline metrics and answer what the data says: the most
//!   viewed items in order, the accessory for its item, nothing the shopper bought; filters and
//!   promotions apply;
//! * Stop → INACTIVE → refused → Start → serves again; Update turns metadata on; ListRecommenders
//!   pages; Delete removes it; after a restart the first request loads the model again;
//! * VIDEO_ON_DEMAND top picks and because-you-watched-x drop the videos the viewer watched.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::*;
use aws_sdk_personalize::types::{Domain, RecommenderConfig};
use aws_sdk_personalizeruntime::types::Promotion;

const INTERACTIONS: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const ITEMS: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"PRICE","type":"float"},{"name":"CATEGORY_L1","type":"string","categorical":true}],"version":"1.0"}"#;
/// Items of an ECOMMERCE group need PRICE (and CATEGORY_L1).
const ITEMS_WITHOUT_PRICE: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"CATEGORY_L1","type":"string","categorical":true}],"version":"1.0"}"#;

fn item(i: usize) -> String {
    format!("item{i:03}")
}

/// The items a shopper bought: 6 baskets of an item (0–29) and its accessory (item + 30).
fn baskets(u: usize) -> Vec<(usize, usize)> {
    (0..6).map(|b| ((u * 7 + b * 11) % 30, (u * 7 + b * 11) % 30 + 30)).collect()
}

/// 60 items in 3 categories; 100 shoppers view 10 consecutive items each and item00h when
/// `u % (h + 1) == 0` (so item000…item004 are the most viewed, in that order), and buy their
/// baskets (accessory a minute after the item, baskets three days apart).
fn write_shop(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let items = dir.join("items.csv");
    let mut csv = String::from("ITEM_ID,PRICE,CATEGORY_L1\n");
    for i in 0..60 {
        writeln!(csv, "{},{}.5,cat{}", item(i), 10 + i, i % 3).unwrap();
    }
    std::fs::write(&items, csv).unwrap();
    let interactions = dir.join("interactions.csv");
    let mut csv = String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
    let t0 = 1_700_000_000;
    for u in 0..100 {
        for k in 0..10 {
            writeln!(csv, "user{u:03},{},View,{}", item((u + k) % 60), t0 + u * 100 + k).unwrap();
        }
        for h in 0..5 {
            if u % (h + 1) == 0 {
                writeln!(csv, "user{u:03},{},View,{}", item(h), t0 + u * 100 + 50 + h).unwrap();
            }
        }
        for (b, (main, accessory)) in baskets(u).into_iter().enumerate() {
            let t = t0 + 1_000_000 + b * 3 * 86_400 + u * 10;
            writeln!(csv, "user{u:03},{},Purchase,{t}", item(main)).unwrap();
            writeln!(csv, "user{u:03},{},Purchase,{}", item(accessory), t + 60).unwrap();
        }
    }
    std::fs::write(&interactions, csv).unwrap();
    (interactions, items)
}

async fn create_domain_group(c: &aws_sdk_personalize::Client, name: &str) -> String {
    let out = ok(c.create_dataset_group().name(name).domain(Domain::Ecommerce).send().await, "CreateDatasetGroup");
    let g = out.dataset_group_arn().expect("datasetGroupArn").to_string();
    wait_active(c, &Res::DatasetGroup(g.clone())).await;
    g
}

async fn create_domain_schema(c: &aws_sdk_personalize::Client, name: &str, schema: &str) -> String {
    let out = c.create_schema().name(name).schema(schema).domain(Domain::Ecommerce).send().await;
    ok(out, "CreateSchema").schema_arn().expect("schemaArn").to_string()
}

async fn create_recommender(c: &aws_sdk_personalize::Client, dsg: &str, name: &str, use_case: &str) -> String {
    let out = c.create_recommender().name(name).dataset_group_arn(dsg).recipe_arn(recipe(use_case)).send().await;
    let r = ok(out, "CreateRecommender").recommender_arn().expect("recommenderArn").to_string();
    assert_eq!(r, arn("recommender", name));
    r
}

/// Polls DescribeRecommender until the recommender leaves the transitional statuses; returns the
/// recommender as it settled.
async fn settle(c: &aws_sdk_personalize::Client, arn: &str) -> aws_sdk_personalize::types::Recommender {
    let started = Instant::now();
    let mut seen: Vec<String> = Vec::new();
    loop {
        let out = ok(c.describe_recommender().recommender_arn(arn).send().await, "DescribeRecommender");
        let r = out.recommender().expect("recommender").clone();
        let status = r.status().unwrap_or_default().to_string();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        let update_pending = r
            .latest_recommender_update()
            .and_then(|u| u.status())
            .is_some_and(|s| s.starts_with("CREATE ") && s != "CREATE FAILED");
        let transitional = status.ends_with(" PENDING") || status.ends_with(" IN_PROGRESS");
        if !transitional && !update_pending {
            return r;
        }
        assert!(started.elapsed() < WAIT, "recommender {arn} still {status} (statuses {seen:?})");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn recommend(
    server: &Server,
    recommender: &str,
    user: Option<&str>,
    item_id: Option<&str>,
    n: i32,
) -> Vec<String> {
    let out = server
        .runtime
        .get_recommendations()
        .recommender_arn(recommender)
        .set_user_id(user.map(str::to_string))
        .set_item_id(item_id.map(str::to_string))
        .num_results(n)
        .send()
        .await;
    ids(ok(out, "GetRecommendations").item_list())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domain_groups_take_domain_schemas_and_domain_use_cases() {
    let server = shared_server();
    let c = &server.control;
    let g = create_domain_group(c, "rec-rules").await;
    // Schemas: the domain's required fields, and the group's domain.
    let msg = expect_code(
        c.create_schema().name("rec-rules-items").schema(ITEMS_WITHOUT_PRICE).domain(Domain::Ecommerce).send().await,
        "InvalidInputException",
        "an ECOMMERCE Items schema without PRICE",
    );
    assert!(msg.contains("PRICE"), "{msg}");
    let custom = create_schema(c, "rec-rules-custom", INTERACTIONS).await;
    let msg = expect_code(
        c.create_dataset()
            .name("d")
            .dataset_group_arn(&g)
            .dataset_type("Interactions")
            .schema_arn(&custom)
            .send()
            .await,
        "InvalidInputException",
        "a schema without domain in an ECOMMERCE group",
    );
    assert!(msg.contains("ECOMMERCE"), "{msg}");
    // The use cases of a domain, with their domain.
    let listed = ok(c.list_recipes().domain(Domain::Ecommerce).send().await, "ListRecipes(ECOMMERCE)");
    let mut names: Vec<&str> = listed.recipes().iter().filter_map(|r| r.name()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "aws-ecomm-customers-who-viewed-x-also-viewed",
            "aws-ecomm-frequently-bought-together",
            "aws-ecomm-popular-items-by-purchases",
            "aws-ecomm-popular-items-by-views",
            "aws-ecomm-recommended-for-you",
        ]
    );
    assert!(listed.recipes().iter().all(|r| r.domain() == Some(&Domain::Ecommerce)));
    let described = ok(
        c.describe_recipe().recipe_arn(recipe("aws-vod-because-you-watched-x")).send().await,
        "DescribeRecipe(use case)",
    );
    assert_eq!(described.recipe().and_then(|r| r.recipe_type()), Some("RELATED_ITEMS"));
    // A use case of another domain; a recommender in a custom group; a use case as a solution.
    let msg = expect_code(
        c.create_recommender()
            .name("rec-rules-vod")
            .dataset_group_arn(&g)
            .recipe_arn(recipe("aws-vod-top-picks"))
            .send()
            .await,
        "InvalidInputException",
        "a VIDEO_ON_DEMAND use case in an ECOMMERCE group",
    );
    assert!(msg.contains("aws-ecomm-recommended-for-you"), "{msg}");
    let plain = create_dataset_group(c, "rec-rules-plain").await;
    wait_active(c, &Res::DatasetGroup(plain.clone())).await;
    let msg = expect_code(
        c.create_recommender()
            .name("rec-rules-plain")
            .dataset_group_arn(&plain)
            .recipe_arn(recipe("aws-ecomm-popular-items-by-views"))
            .send()
            .await,
        "InvalidInputException",
        "a recommender in a custom group",
    );
    assert!(msg.contains("no domain"), "{msg}");
    expect_code(
        c.create_solution()
            .name("rec-rules-sol")
            .dataset_group_arn(&g)
            .recipe_arn(recipe("aws-ecomm-popular-items-by-views"))
            .send()
            .await,
        "InvalidInputException",
        "a use case as a solution's recipe",
    );
    // itemExplorationConfig only where items are explored.
    let explore = RecommenderConfig::builder().item_exploration_config("explorationWeight", "0.5").build();
    let msg = expect_code(
        c.create_recommender()
            .name("rec-rules-explore")
            .dataset_group_arn(&g)
            .recipe_arn(recipe("aws-ecomm-popular-items-by-views"))
            .recommender_config(explore)
            .send()
            .await,
        "InvalidInputException",
        "itemExplorationConfig on most-viewed",
    );
    assert!(msg.contains("itemExplorationConfig"), "{msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecommerce_recommenders_train_serve_stop_start_update_and_delete() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Server::start(&tmp.path().join("data"));
    let c = &server.control.clone();
    let (interactions_csv, items_csv) = write_shop(tmp.path());
    let g = create_domain_group(c, "shop").await;
    let si = create_domain_schema(c, "shop-interactions", INTERACTIONS).await;
    let st = create_domain_schema(c, "shop-items", ITEMS).await;
    let di = create_dataset(c, &g, "shop", "shop-i", "Interactions", &si).await;
    let dt = create_dataset(c, &g, "shop", "shop-t", "Items", &st).await;
    for (job, dataset, csv) in [("shop-ij", &di, &interactions_csv), ("shop-it", &dt, &items_csv)] {
        let j = import(c, job, dataset, &file_url(csv), None).await;
        wait_active(c, &Res::ImportJob(j)).await;
    }

    let viewed = create_recommender(c, &g, "shop-most-viewed", "aws-ecomm-popular-items-by-views").await;
    let fbt = create_recommender(c, &g, "shop-fbt", "aws-ecomm-frequently-bought-together").await;
    let for_you = create_recommender(c, &g, "shop-for-you", "aws-ecomm-recommended-for-you").await;
    let also_viewed =
        create_recommender(c, &g, "shop-also-viewed", "aws-ecomm-customers-who-viewed-x-also-viewed").await;
    for r in [&viewed, &fbt, &for_you, &also_viewed] {
        let settled = settle(c, r).await;
        assert_eq!(settled.status(), Some("ACTIVE"), "{r}: {:?}", settled.failure_reason());
        let metrics = settled.model_metrics().expect("modelMetrics");
        assert!(metrics.contains_key("coverage") && metrics.contains_key("precision_at_5"), "{metrics:?}");
        let config = settled.recommender_config().expect("recommenderConfig");
        assert_eq!(config.min_recommendation_requests_per_second(), Some(1));
    }

    // Most viewed: the five hot items in order of views.
    let top = recommend(&server, &viewed, Some("user001"), None, 5).await;
    assert_eq!(top, (0..5).map(item).collect::<Vec<_>>());
    expect_code(
        server.runtime.get_recommendations().recommender_arn(&viewed).send().await,
        "InvalidInputException",
        "most viewed without userId",
    );

    // Frequently bought together: the accessory of the item first; the item is required.
    for main in [5, 17] {
        let together = recommend(&server, &fbt, None, Some(&item(main)), 5).await;
        assert_eq!(together.first(), Some(&item(main + 30)), "{together:?}");
    }
    expect_code(
        server.runtime.get_recommendations().recommender_arn(&fbt).user_id("user001").send().await,
        "InvalidInputException",
        "frequently bought together without itemId",
    );

    // Recommended for you: never what the shopper bought.
    let bought: Vec<String> = baskets(0).into_iter().flat_map(|(a, b)| [item(a), item(b)]).collect();
    let for_user = recommend(&server, &for_you, Some("user000"), None, 25).await;
    assert_eq!(for_user.len(), 25, "{for_user:?}");
    assert!(for_user.iter().all(|i| !bought.contains(i)), "bought items recommended: {for_user:?} ({bought:?})");

    // Customers who viewed X: the same neighbours for everyone but what each bought (user000 bought
    // item000 and item003, user001 neither).
    let for_user000 = recommend(&server, &also_viewed, Some("user000"), Some(&item(1)), 10).await;
    let for_user001 = recommend(&server, &also_viewed, Some("user001"), Some(&item(1)), 10).await;
    assert!(for_user001.contains(&item(0)) && for_user001.contains(&item(3)), "{for_user001:?}");
    assert!(for_user000.iter().all(|i| !bought.contains(i)), "{for_user000:?}");
    assert!(!for_user000.is_empty(), "{for_user000:?}");

    // A filter and a promotion with a recommender.
    let no_cat0 = create_filter(c, &g, "shop-no-cat0", r#"EXCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("cat0")"#).await;
    let filtered = server
        .runtime
        .get_recommendations()
        .recommender_arn(&viewed)
        .user_id("user001")
        .num_results(5)
        .filter_arn(&no_cat0)
        .send()
        .await;
    let filtered = ids(ok(filtered, "GetRecommendations with a filter").item_list());
    assert_eq!(filtered[..3], [item(1), item(2), item(4)], "{filtered:?}");
    assert!(filtered.iter().all(|i| i[4..].parse::<usize>().unwrap() % 3 != 0), "{filtered:?}");
    let cat2 = create_filter(c, &g, "shop-cat2", r#"INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("cat2")"#).await;
    let promoted = server
        .runtime
        .get_recommendations()
        .recommender_arn(&viewed)
        .user_id("user001")
        .num_results(10)
        .promotions(Promotion::builder().name("cat2-week").percent_promoted_items(40).filter_arn(&cat2).build())
        .send()
        .await;
    let promoted = ok(promoted, "GetRecommendations with a promotion");
    let tagged: Vec<&str> = promoted
        .item_list()
        .iter()
        .filter(|i| i.promotion_name() == Some("cat2-week"))
        .filter_map(|i| i.item_id())
        .collect();
    assert_eq!(tagged.len(), 4, "{:?}", promoted.item_list());
    assert!(tagged.iter().all(|i| i[4..].parse::<usize>().unwrap() % 3 == 2), "{tagged:?}");

    // Stop: INACTIVE and refused; Start: serves again.
    let stopped = ok(c.stop_recommender().recommender_arn(&viewed).send().await, "StopRecommender");
    assert_eq!(stopped.recommender_arn(), Some(viewed.as_str()));
    expect_code(
        c.start_recommender().recommender_arn(&fbt).send().await,
        "ResourceInUseException",
        "StartRecommender of an ACTIVE recommender",
    );
    assert_eq!(settle(c, &viewed).await.status(), Some("INACTIVE"));
    let msg = expect_code(
        server.runtime.get_recommendations().recommender_arn(&viewed).user_id("user001").send().await,
        "InvalidInputException",
        "GetRecommendations of a stopped recommender",
    );
    assert!(msg.contains("INACTIVE"), "{msg}");
    expect_code(
        c.stop_recommender().recommender_arn(&viewed).send().await,
        "ResourceInUseException",
        "StopRecommender of an INACTIVE recommender",
    );
    ok(c.start_recommender().recommender_arn(&viewed).send().await, "StartRecommender");
    assert_eq!(settle(c, &viewed).await.status(), Some("ACTIVE"));
    assert_eq!(recommend(&server, &viewed, Some("user001"), None, 5).await, top);

    // Update: metadata is refused until the update turning it on is ACTIVE.
    let with_price = || {
        server
            .runtime
            .get_recommendations()
            .recommender_arn(&viewed)
            .user_id("user001")
            .num_results(3)
            .metadata_columns("ITEMS", vec!["PRICE".to_string()])
            .send()
    };
    expect_code(with_price().await, "InvalidInputException", "metadataColumns before the update");
    let config = RecommenderConfig::builder().enable_metadata_with_recommendations(true).build();
    ok(c.update_recommender().recommender_arn(&viewed).recommender_config(config).send().await, "UpdateRecommender");
    let updated = settle(c, &viewed).await;
    assert_eq!(updated.latest_recommender_update().and_then(|u| u.status()), Some("ACTIVE"));
    assert_eq!(updated.recommender_config().and_then(|c| c.enable_metadata_with_recommendations()), Some(true));
    let out = ok(with_price().await, "GetRecommendations with metadataColumns");
    let first = &out.item_list()[0];
    assert_eq!(first.item_id(), Some("item000"));
    assert_eq!(first.metadata().and_then(|m| m.get("PRICE")).map(String::as_str), Some("10.5"));

    // ListRecommenders, a page at a time.
    let group = g.as_str();
    let (listed, pages) = collect_pages(1, |token| async move {
        let out = ok(
            c.list_recommenders().dataset_group_arn(group).max_results(1).set_next_token(token).send().await,
            "ListRecommenders",
        );
        let arns = out.recommenders().iter().filter_map(|r| r.recommender_arn()).map(str::to_string).collect();
        (arns, out.next_token().map(str::to_string))
    })
    .await;
    let mut listed = listed;
    listed.sort();
    let mut expected = vec![viewed.clone(), fbt.clone(), for_you.clone(), also_viewed.clone()];
    expected.sort();
    assert_eq!((listed, pages), (expected, 4));

    // Delete: gone, and the group keeps the others.
    ok(c.delete_recommender().recommender_arn(&fbt).send().await, "DeleteRecommender");
    wait_gone(c, &Res::Recommender(fbt.clone())).await;
    expect_code(
        server.runtime.get_recommendations().recommender_arn(&fbt).item_id("item005").send().await,
        "ResourceNotFoundException",
        "GetRecommendations of a deleted recommender",
    );
    let left = ok(c.list_recommenders().dataset_group_arn(&g).send().await, "ListRecommenders");
    assert_eq!(left.recommenders().len(), 3);

    // After a restart the first request loads the model again.
    server.stop();
    let server = Server::start(&tmp.path().join("data"));
    assert_eq!(recommend(&server, &viewed, Some("user001"), None, 5).await, top);
    let for_user = recommend(&server, &for_you, Some("user000"), None, 25).await;
    assert!(for_user.iter().all(|i| !bought.contains(i)), "{for_user:?}");
}

/// VIDEO_ON_DEMAND: top picks and because-you-watched-x never offer what the viewer watched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn video_recommenders_drop_what_the_viewer_watched() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"));
    let c = &server.control;
    let out = c.create_dataset_group().name("rec-vod").domain(Domain::VideoOnDemand).send().await;
    let g = ok(out, "CreateDatasetGroup").dataset_group_arn().expect("datasetGroupArn").to_string();
    wait_active(c, &Res::DatasetGroup(g.clone())).await;
    let schema = c.create_schema().name("rec-vod-interactions").schema(INTERACTIONS).domain(Domain::VideoOnDemand);
    let schema = ok(schema.send().await, "CreateSchema").schema_arn().expect("schemaArn").to_string();
    let di = create_dataset(c, &g, "rec-vod", "rec-vod-i", "Interactions", &schema).await;
    // 80 viewers each watch 15 of 50 videos (a window sliding with the viewer) and click 5 more.
    let csv = tmp.path().join("watch.csv");
    let mut rows = String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
    for u in 0..80 {
        for k in 0..20 {
            let event = if k < 15 { "Watch" } else { "Click" };
            writeln!(rows, "viewer{u:02},{},{event},{}", item((u + k * 2) % 50), 1_700_000_000 + u * 100 + k).unwrap();
        }
    }
    std::fs::write(&csv, rows).unwrap();
    let j = import(c, "rec-vod-import", &di, &file_url(&csv), None).await;
    wait_active(c, &Res::ImportJob(j)).await;
    let picks = create_recommender(c, &g, "rec-vod-picks", "aws-vod-top-picks").await;
    let because = create_recommender(c, &g, "rec-vod-because", "aws-vod-because-you-watched-x").await;
    for r in [&picks, &because] {
        let settled = settle(c, r).await;
        assert_eq!(settled.status(), Some("ACTIVE"), "{r}: {:?}", settled.failure_reason());
    }
    let watched: Vec<String> = (0..15).map(|k| item((3 + k * 2) % 50)).collect();
    let rt = &server.runtime;
    let top = ok(
        rt.get_recommendations().recommender_arn(&picks).user_id("viewer03").num_results(20).send().await,
        "GetRecommendations(top picks)",
    );
    let top = ids(top.item_list());
    assert_eq!(top.len(), 20, "{top:?}");
    assert!(top.iter().all(|i| !watched.contains(i)), "watched videos offered: {top:?}");
    let like = rt.get_recommendations().recommender_arn(&because).user_id("viewer03").item_id(item(3));
    let like = ids(ok(like.num_results(10).send().await, "GetRecommendations(because you watched)").item_list());
    assert!(!like.is_empty() && like.iter().all(|i| !watched.contains(i)), "{like:?}");
    expect_code(
        rt.get_recommendations().recommender_arn(&because).user_id("viewer03").send().await,
        "InvalidInputException",
        "because-you-watched-x without itemId",
    );
}
