//! Item metadata in recommendations through the wire: the official AWS SDK for Rust asks
//! GetRecommendations and GetPersonalizedRanking for `metadataColumns` against a real
//! `reko serve` (docs/compatibility.md, "Item metadata in responses"; Personalize's GetRecommendations,
//! GetPersonalizedRanking and CreateCampaign API references for `enableMetadataWithRecommendations`).
//!
//! Every returned item's `metadata` is compared with what was staged: the newest record of the
//! item in the Items dataset (bulk import, incremental import or PutItems), each requested
//! column as text, numbers in their shortest decimal form, missing (null) values left out.
//!
//! The data is synthetic and tiny: 40 items with a plain TITLE, a categorical GENRE (some
//! multi-valued), a nullable float PRICE written with trailing zeros (`4.80` reads `4.8`), a
//! nullable textual DESCRIPTION holding commas, an int STOCK (some negative), a boolean ON_SALE
//! and a CREATION_TIMESTAMP; 50 users with 21 interactions each.

use std::collections::{BTreeSet, HashMap};

use crate::common::*;
use aws_sdk_personalize::types::CampaignConfig;
use aws_sdk_personalizeevents::types::Item;
use aws_sdk_personalizeruntime::error::SdkError;
use aws_sdk_personalizeruntime::operation::get_personalized_ranking::{
    GetPersonalizedRankingError, GetPersonalizedRankingOutput,
};
use aws_sdk_personalizeruntime::operation::get_recommendations::{GetRecommendationsError, GetRecommendationsOutput};
use aws_sdk_personalizeruntime::types::{PredictedItem, Promotion};

const INTERACTIONS_SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const ITEMS_SCHEMA: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"TITLE","type":"string"},{"name":"GENRE","type":"string","categorical":true},{"name":"PRICE","type":["null","float"]},{"name":"DESCRIPTION","type":["null","string"],"textual":true},{"name":"STOCK","type":"int"},{"name":"ON_SALE","type":"boolean"},{"name":"CREATION_TIMESTAMP","type":"long"}],"version":"1.0"}"#;
/// The Items columns, in schema order.
const COLUMNS: [&str; 8] =
    ["ITEM_ID", "TITLE", "GENRE", "PRICE", "DESCRIPTION", "STOCK", "ON_SALE", "CREATION_TIMESTAMP"];
/// Every column but the id.
const ALL_COLS: [&str; 7] = ["TITLE", "GENRE", "PRICE", "DESCRIPTION", "STOCK", "ON_SALE", "CREATION_TIMESTAMP"];

const N_ITEMS: usize = 40;
const N_USERS: usize = 50;
/// Interactions per user (50 × 21 = 1050, above the training minimum of 1000).
const HISTORY: usize = 21;
const BASE_TS: i64 = 1_700_000_000;
const OLD_TS: i64 = 1_600_000_000;
const DAY: i64 = 86_400;
/// The most results (and ranking inputs) a request with `metadataColumns` may ask for.
const MAX_WITH_METADATA: usize = 50;

fn item(i: usize) -> String {
    format!("i{i:02}")
}

fn user(u: usize) -> String {
    format!("u{u:02}")
}

/// One item's record as staged, every value in the text the metadata must show.
#[derive(Clone, Debug)]
struct Row {
    title: String,
    genre: String,
    price: Option<String>,
    description: Option<String>,
    stock: i64,
    on_sale: bool,
    created: i64,
}

impl Row {
    /// `column → text` for the requested columns, null values left out.
    fn metadata(&self, columns: &[&str]) -> HashMap<String, String> {
        columns
            .iter()
            .filter_map(|c| {
                let v = match *c {
                    "TITLE" => Some(self.title.clone()),
                    "GENRE" => Some(self.genre.clone()),
                    "PRICE" => self.price.clone(),
                    "DESCRIPTION" => self.description.clone(),
                    "STOCK" => Some(self.stock.to_string()),
                    "ON_SALE" => Some(self.on_sale.to_string()),
                    "CREATION_TIMESTAMP" => Some(self.created.to_string()),
                    other => panic!("no column {other}"),
                };
                Some((c.to_string(), v?))
            })
            .collect()
    }
}

/// The price of item `i` in cents; `None` (a null PRICE) for every seventh item.
fn cents(i: usize) -> Option<u32> {
    (i % 7 != 6).then_some(30 + 150 * (i % 10) as u32 + 100 * (i / 10) as u32)
}

/// `480` → `4.80`: how the CSV writes a price (with trailing zeros).
fn csv_price(cents: u32) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// `480` → `4.8`, `1200` → `12`: the shortest decimal form the metadata must show.
fn shortest(cents: u32) -> String {
    let s = csv_price(cents);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Staged record of item `i`.
fn row(i: usize) -> Row {
    let base = ["x", "y", "z", "w"][i % 4];
    Row {
        title: format!("Title {i}"),
        genre: if i % 10 == 5 { format!("{base}|x") } else { base.to_string() },
        price: cents(i).map(shortest),
        description: (i % 5 != 2).then(|| format!("Red, large, item {i}")),
        stock: i as i64 * 7 - 20,
        on_sale: i % 3 == 0,
        created: OLD_TS + i as i64 * DAY,
    }
}

/// Writes the interactions and items CSVs; returns their paths.
fn write_data(dir: &std::path::Path) -> [std::path::PathBuf; 2] {
    use std::fmt::Write as _;
    std::fs::create_dir_all(dir).unwrap();
    let mut interactions = String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
    let mut n = 0i64;
    for j in 0..HISTORY {
        for u in 0..N_USERS {
            let it = item((u * 5 + j * 3) % N_ITEMS);
            let event_type = if j % 7 == 0 { "purchase" } else { "click" };
            writeln!(interactions, "{},{it},{event_type},{}", user(u), BASE_TS + n * 60).unwrap();
            n += 1;
        }
    }
    let mut items = String::from("ITEM_ID,TITLE,GENRE,PRICE,DESCRIPTION,STOCK,ON_SALE,CREATION_TIMESTAMP\n");
    for i in 0..N_ITEMS {
        let r = row(i);
        writeln!(
            items,
            "{},{},{},{},{},{},{},{}",
            item(i),
            r.title,
            r.genre,
            cents(i).map(csv_price).unwrap_or_default(),
            r.description.map(|d| format!("\"{d}\"")).unwrap_or_default(),
            r.stock,
            r.on_sale,
            r.created
        )
        .unwrap();
    }
    let paths = [dir.join("interactions.csv"), dir.join("items.csv")];
    std::fs::write(&paths[0], interactions).unwrap();
    std::fs::write(&paths[1], items).unwrap();
    paths
}

// ---- control-plane helpers ----------------------------------------------------------------------

async fn train_recipe(c: &aws_sdk_personalize::Client, dsg: &str, name: &str, recipe: &str) -> String {
    crate::common::train(c, &create_solution(c, dsg, name, recipe).await).await
}

/// CreateCampaign with `enableMetadataWithRecommendations` set (or not), without exploration
/// when `exploit` (for User-Personalization).
async fn campaign(
    c: &aws_sdk_personalize::Client,
    name: &str,
    sv: &str,
    metadata: Option<bool>,
    exploit: bool,
) -> String {
    let mut config = CampaignConfig::builder().set_enable_metadata_with_recommendations(metadata);
    if exploit {
        config = config.item_exploration_config("explorationWeight", "0");
    }
    let config = config.build();
    let camp = ok(
        c.create_campaign().name(name).solution_version_arn(sv).campaign_config(config).send().await,
        "CreateCampaign",
    )
    .campaign_arn()
    .expect("campaignArn")
    .to_string();
    assert_eq!(camp, arn("campaign", name));
    camp
}

// ---- runtime helpers ----------------------------------------------------------------------------

type RecsResult = Result<GetRecommendationsOutput, SdkError<GetRecommendationsError>>;
type RankResult = Result<GetPersonalizedRankingOutput, SdkError<GetPersonalizedRankingError>>;

/// GetRecommendations for `user`, with `metadataColumns` = {key: columns} when given.
async fn recs(
    rt: &aws_sdk_personalizeruntime::Client,
    campaign: &str,
    user: &str,
    n: i32,
    metadata: Option<(&str, &[&str])>,
) -> RecsResult {
    let mut req = rt.get_recommendations().campaign_arn(campaign).user_id(user).num_results(n);
    if let Some((key, cols)) = metadata {
        req = req.metadata_columns(key, cols.iter().map(|c| c.to_string()).collect());
    }
    req.send().await
}

/// GetPersonalizedRanking for `user`, with `metadataColumns` = {key: columns} when given.
async fn rank(
    rt: &aws_sdk_personalizeruntime::Client,
    campaign: &str,
    user: &str,
    input: &[String],
    metadata: Option<(&str, &[&str])>,
) -> RankResult {
    let mut req =
        rt.get_personalized_ranking().campaign_arn(campaign).user_id(user).set_input_list(Some(input.to_vec()));
    if let Some((key, cols)) = metadata {
        req = req.metadata_columns(key, cols.iter().map(|c| c.to_string()).collect());
    }
    req.send().await
}

/// `itemId → metadata` of a list, checking that every item carries a metadata map and that no
/// item appears twice.
#[track_caller]
fn metadata_of(items: &[PredictedItem], what: &str) -> Vec<(String, HashMap<String, String>)> {
    let ids = ids(items);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len(), "{what}: duplicate items in {ids:?}");
    items
        .iter()
        .map(|it| {
            let id = it.item_id().unwrap().to_string();
            let m = it.metadata().unwrap_or_else(|| panic!("{what}: {id} has no metadata")).clone();
            (id, m)
        })
        .collect()
}

/// Checks every item's metadata against the catalogue (unknown items: an empty map).
#[track_caller]
fn check(items: &[PredictedItem], catalog: &HashMap<String, Row>, columns: &[&str], what: &str) {
    for (id, got) in metadata_of(items, what) {
        let want = catalog.get(&id).map(|r| r.metadata(columns)).unwrap_or_default();
        assert_eq!(got, want, "{what}: metadata of {id} for {columns:?}");
    }
}

/// Asserts an InvalidInputException (HTTP 400) whose message contains every needle.
#[track_caller]
fn invalid<T: std::fmt::Debug, E: aws_sdk_personalizeruntime::error::ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, SdkError<E>>,
    needles: &[&str],
    what: &str,
) {
    let status = result.as_ref().err().and_then(|e| e.raw_response()).map(|r| r.status().as_u16());
    let msg = expect_code(result, "InvalidInputException", what);
    assert_eq!(status, Some(400), "{what}: HTTP status");
    for needle in needles {
        assert!(msg.contains(needle), "{what}\n  message: {msg}\n  wanted: {needle}");
    }
}

async fn put_items(ev: &aws_sdk_personalizeevents::Client, ds: &str, items: &[(&str, String)]) {
    let mut req = ev.put_items().dataset_arn(ds);
    for (id, props) in items {
        req = req.items(Item::builder().item_id(*id).properties(props).build().unwrap());
    }
    ok(req.send().await, "PutItems");
}

/// PutItems: GENRE and PRICE of i03 change, i13 gets a PRICE, and `fresh` is new.
async fn put_changed_and_new_items(
    ev: &aws_sdk_personalizeevents::Client,
    ds_items: &str,
    catalog: &mut HashMap<String, Row>,
) {
    put_items(
        ev,
        ds_items,
        &[
            // GENRE and PRICE change; DESCRIPTION is not sent, so the newest record has none.
            (
                "i03",
                r#"{"title":"Title 3","genre":"z|w","price":19.99,"stock":4,"onSale":false,"creationTimestamp":1600259200}"#
                    .into(),
            ),
            // A null PRICE gets one: a float 4.8 reads "4.8".
            (
                "i13",
                r#"{"title":"Title 13","genre":"y","price":4.8,"description":"now priced","stock":99,"onSale":true,"creationTimestamp":1601123200}"#
                    .into(),
            ),
            (
                "fresh",
                r#"{"title":"Fresh","genre":"x|y","price":0.1,"description":"brand, new","stock":0,"onSale":false,"creationTimestamp":1700000000}"#
                    .into(),
            ),
        ],
    )
    .await;
    let i03 = catalog.get_mut("i03").unwrap();
    (i03.genre, i03.price, i03.description, i03.stock, i03.on_sale) =
        ("z|w".into(), Some("19.99".into()), None, 4, false);
    let i13 = catalog.get_mut("i13").unwrap();
    (i13.price, i13.description, i13.stock, i13.on_sale) = (Some("4.8".into()), Some("now priced".into()), 99, true);
    catalog.insert(
        "fresh".into(),
        Row {
            title: "Fresh".into(),
            genre: "x|y".into(),
            price: Some("0.1".into()),
            description: Some("brand, new".into()),
            stock: 0,
            on_sale: false,
            created: 1_700_000_000,
        },
    );
}

/// A second put of i03 (GENRE x, PRICE 7).
async fn put_i03_again(ev: &aws_sdk_personalizeevents::Client, ds_items: &str, catalog: &mut HashMap<String, Row>) {
    put_items(
        ev,
        ds_items,
        &[(
            "i03",
            r#"{"title":"Title 3","genre":"x","price":7,"stock":4,"onSale":false,"creationTimestamp":1600259200}"#
                .into(),
        )],
    )
    .await;
    let i03 = catalog.get_mut("i03").unwrap();
    (i03.genre, i03.price) = ("x".into(), Some("7".into()));
}

/// An incremental import (job `{prefix}-items-update`, its CSV written in `dir`) of new records
/// of i10 and i13.
async fn import_item_updates(
    c: &aws_sdk_personalize::Client,
    prefix: &str,
    ds_items: &str,
    dir: &std::path::Path,
    catalog: &mut HashMap<String, Row>,
) {
    let update = dir.join(format!("{prefix}-items-update.csv"));
    std::fs::write(
        &update,
        "ITEM_ID,TITLE,GENRE,PRICE,DESCRIPTION,STOCK,ON_SALE,CREATION_TIMESTAMP\ni10,Title 10 (remastered),z,2.50,,12,true,1600864000\n\
         i13,Title 13,w,9.99,\"from import, newer\",1,false,1601123200\n",
    )
    .unwrap();
    let j = import(
        c,
        &format!("{prefix}-items-update"),
        ds_items,
        &file_url(&update),
        Some(aws_sdk_personalize::types::ImportMode::Incremental),
    )
    .await;
    wait_active(c, &Res::ImportJob(j)).await;
    let i10 = catalog.get_mut("i10").unwrap();
    (i10.title, i10.genre, i10.price, i10.description, i10.stock, i10.on_sale) =
        ("Title 10 (remastered)".into(), "z".into(), Some("2.5".into()), None, 12, true);
    let i13 = catalog.get_mut("i13").unwrap();
    (i13.genre, i13.price, i13.description, i13.stock, i13.on_sale) =
        ("w".into(), Some("9.99".into()), Some("from import, newer".into()), 1, false);
}

/// UpdateCampaign: metadata on (exploration stays off).
async fn enable_metadata(c: &aws_sdk_personalize::Client, camp: &str) {
    let config = CampaignConfig::builder()
        .item_exploration_config("explorationWeight", "0")
        .enable_metadata_with_recommendations(true)
        .build();
    ok(c.update_campaign().campaign_arn(camp).campaign_config(config).send().await, "UpdateCampaign");
    wait_active(c, &Res::CampaignUpdate(camp.to_string())).await;
}

// ---- the staging --------------------------------------------------------------------------------

/// The file's shared staging, on one `reko serve` (see `common::Fixture`).
static FIXTURE: Fixture<Md> = Fixture::new();

struct Md {
    /// `md`: the bulk data; no test changes its items.
    a: Group,
    /// `md-put`: the same data, for the test that puts and imports items (every user's
    /// recommendations see them).
    b: Group,
    /// `md-up-update`: a campaign of group `a` without the flag, for the UpdateCampaign test.
    up_update: String,
    /// The interactions CSV (for the group without an Items dataset).
    interactions_csv: std::path::PathBuf,
}

/// One staged dataset group, its two models each behind a campaign with metadata and one
/// without.
struct Group {
    dsg: String,
    ds_items: String,
    /// User-Personalization (no exploration) with `enableMetadataWithRecommendations`.
    up: String,
    /// ... without it (absent).
    up_plain: String,
    /// Personalized-Ranking with the flag.
    pr: String,
    /// ... with the flag false.
    pr_plain: String,
}

fn fixture() -> &'static Staged<Md> {
    FIXTURE.get(setup)
}

async fn setup(url: String, dir: std::path::PathBuf) -> Md {
    let c = &control_client(&url);
    let files = write_data(&dir.join("csv"));
    let schemas = create_schemas(c).await;
    let a = stage(c, "md", &schemas, &files).await;
    let b = stage(c, "md-put", &schemas, &files).await;
    let up_v = ok(c.describe_campaign().campaign_arn(&a.up).send().await, "DescribeCampaign")
        .campaign()
        .and_then(|x| x.solution_version_arn())
        .expect("solutionVersionArn")
        .to_string();
    let up_update = campaign(c, "md-up-update", &up_v, None, true).await;
    wait_active(c, &Res::Campaign(up_update.clone())).await;
    let [interactions_csv, _] = files;
    Md { a, b, up_update, interactions_csv }
}

/// The interactions and items schemas.
async fn create_schemas(c: &aws_sdk_personalize::Client) -> [String; 2] {
    [create_schema(c, "md-int", INTERACTIONS_SCHEMA).await, create_schema(c, "md-items", ITEMS_SCHEMA).await]
}

/// Stages dataset group `name` from `files`, with its four campaigns.
async fn stage(
    c: &aws_sdk_personalize::Client,
    name: &str,
    schemas: &[String; 2],
    files: &[std::path::PathBuf; 2],
) -> Group {
    let dsg = create_dataset_group(c, name).await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let [s_int, s_items] = schemas;
    let ds_int = create_dataset(c, &dsg, name, &format!("{name}-int"), "Interactions", s_int).await;
    let ds_items = create_dataset(c, &dsg, name, &format!("{name}-items"), "Items", s_items).await;
    for (job, ds, file) in [("int", &ds_int, &files[0]), ("items", &ds_items, &files[1])] {
        let j = import(c, &format!("{name}-{job}"), ds, &file_url(file), None).await;
        wait_active(c, &Res::ImportJob(j)).await;
    }
    let up_v = train_recipe(c, &dsg, &format!("{name}-up"), "aws-user-personalization").await;
    let pr_v = train_recipe(c, &dsg, &format!("{name}-pr"), "aws-personalized-ranking").await;
    let up = campaign(c, &format!("{name}-up"), &up_v, Some(true), true).await;
    let up_plain = campaign(c, &format!("{name}-up-plain"), &up_v, None, true).await;
    let pr = campaign(c, &format!("{name}-pr"), &pr_v, Some(true), false).await;
    let pr_plain = campaign(c, &format!("{name}-pr-plain"), &pr_v, Some(false), false).await;
    for camp in [&up, &up_plain, &pr, &pr_plain] {
        wait_active(c, &Res::Campaign(camp.clone())).await;
    }
    Group { dsg, ds_items, up, up_plain, pr, pr_plain }
}

/// The staged catalogue.
fn base_catalog() -> HashMap<String, Row> {
    (0..N_ITEMS).map(|i| (item(i), row(i))).collect()
}

/// The 50 ranking inputs (the maximum with metadata): the 40 items and 10 the Items dataset does
/// not know.
fn full_input() -> Vec<String> {
    let mut input: Vec<String> = (0..N_ITEMS).rev().map(item).collect();
    input.extend((0..MAX_WITH_METADATA - N_ITEMS).map(|k| format!("ghost{k}")));
    input
}

mod errors;
mod lists;
mod updates;
