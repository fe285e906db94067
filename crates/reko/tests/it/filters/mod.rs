//! Filters and promotions through the wire: the official AWS SDK for Rust drives CreateFilter /
//! DescribeFilter / ListFilters / DeleteFilter and applies filters and promotions in
//! GetRecommendations and GetPersonalizedRanking against a real `reko serve` (docs/compatibility.md,
//! "Filters" and "Promotions"; Personalize's filter expression syntax:
//! <https://docs.aws.amazon.com/personalize/latest/dg/creating-filter-expressions.html>).
//!
//! The runtime checks are exact: with exploration off, the model's ranking does not depend on
//! the filter, so a filtered list must be the first `numResults` items of the unfiltered ranking
//! that pass the filter, computed here from the staged attributes and events.
//!
//! The data is synthetic and tiny: 40 items with a categorical GENRE (`x`, `y`, `z`, `w`, four
//! of them multi-valued `y|x` / `w|x`), a float PRICE and a CREATION_TIMESTAMP (five created
//! two days ago, five 60 days ago, the rest in 2020); 50 users with 21 interactions each (every
//! seventh a `purchase`, the rest `click`s) and a SEGMENT (`vip` for every third user).

mod crud;
mod shaping;
mod window;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::common::*;
use aws_sdk_personalize::types::CampaignConfig;
use aws_sdk_personalizeevents::primitives::DateTime;
use aws_sdk_personalizeevents::types::{Event, Item, User};
use aws_sdk_personalizeruntime::error::{ProvideErrorMetadata as _, SdkError};
use aws_sdk_personalizeruntime::operation::get_personalized_ranking::{
    GetPersonalizedRankingError, GetPersonalizedRankingOutput,
};
use aws_sdk_personalizeruntime::operation::get_recommendations::{GetRecommendationsError, GetRecommendationsOutput};
use aws_sdk_personalizeruntime::types::{PredictedItem, Promotion};

const INTERACTIONS_SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const ITEMS_SCHEMA: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":"string","categorical":true},{"name":"PRICE","type":"float"},{"name":"CREATION_TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const USERS_SCHEMA: &str = r#"{"type":"record","name":"Users","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"AGE","type":"int"},{"name":"SEGMENT","type":"string","categorical":true}],"version":"1.0"}"#;
/// Items schema of the CRUD test, with fields filters must refuse (textual, boolean).
const CRUD_ITEMS_SCHEMA: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":"string","categorical":true},{"name":"PRICE","type":"float"},{"name":"DESCRIPTION","type":["null","string"],"textual":true},{"name":"ADULT","type":"boolean"},{"name":"CREATION_TIMESTAMP","type":"long"}],"version":"1.0"}"#;

const N_ITEMS: usize = 40;
const N_USERS: usize = 50;
/// Interactions per user (50 × 21 = 1050, above the training minimum of 1000).
const HISTORY: usize = 21;
/// First interaction time of the bulk data (November 2023): far outside any `NOW() - 7d`.
const BASE_TS: i64 = 1_700_000_000;
/// Creation time of the old items (2020).
const OLD_TS: i64 = 1_600_000_000;
const DAY: i64 = 86_400;
/// More than the catalogue: the whole ranking.
const ALL: i32 = 100;

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn item(i: usize) -> String {
    format!("i{i:02}")
}

fn user(u: usize) -> String {
    format!("u{u:02}")
}

/// The attributes filters test.
#[derive(Clone, Debug)]
struct Meta {
    genres: Vec<String>,
    price: f64,
    created: i64,
}

/// Staged attributes of item `i`.
fn meta(i: usize, now: i64) -> Meta {
    let base = ["x", "y", "z", "w"][i % 4];
    // i05, i15, i25, i35 are `y|x` / `w|x`: they match `x` through their second value.
    let genres = if i % 10 == 5 { vec![base.to_string(), "x".to_string()] } else { vec![base.to_string()] };
    let created = match i % 8 {
        0 => now - 2 * DAY,
        4 => now - 60 * DAY,
        _ => OLD_TS,
    };
    // 0.3, 1.8, 3.3, ...: none is exact in binary floating point (and PRICE is an Avro float).
    Meta { genres, price: (30 + 150 * (i % 10)) as f64 / 100.0, created }
}

/// The `j`-th interaction of user `u`: its item and event type.
fn interaction(u: usize, j: usize) -> (String, &'static str) {
    (item((u * 5 + j * 3) % N_ITEMS), if j % 7 == 0 { "purchase" } else { "click" })
}

/// The items user `u` purchased in the bulk data.
fn bulk_purchases(u: usize) -> HashSet<String> {
    (0..HISTORY).map(|j| interaction(u, j)).filter(|(_, t)| *t == "purchase").map(|(i, _)| i).collect()
}

fn segment(u: usize) -> &'static str {
    if u % 3 == 0 {
        "vip"
    } else {
        "std"
    }
}

/// Writes the interactions, items and users CSVs; returns their paths.
fn write_data(dir: &std::path::Path, now: i64) -> [std::path::PathBuf; 3] {
    use std::fmt::Write as _;
    std::fs::create_dir_all(dir).unwrap();
    let mut interactions = String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
    let mut n = 0i64;
    for j in 0..HISTORY {
        for u in 0..N_USERS {
            let (it, event_type) = interaction(u, j);
            writeln!(interactions, "{},{it},{event_type},{}", user(u), BASE_TS + n * 60).unwrap();
            n += 1;
        }
    }
    let mut items = String::from("ITEM_ID,GENRE,PRICE,CREATION_TIMESTAMP\n");
    for i in 0..N_ITEMS {
        let m = meta(i, now);
        writeln!(items, "{},{},{},{}", item(i), m.genres.join("|"), m.price, m.created).unwrap();
    }
    let mut users = String::from("USER_ID,AGE,SEGMENT\n");
    for u in 0..N_USERS {
        writeln!(users, "{},{},{}", user(u), 20 + u, segment(u)).unwrap();
    }
    let paths = [dir.join("interactions.csv"), dir.join("items.csv"), dir.join("users.csv")];
    std::fs::write(&paths[0], interactions).unwrap();
    std::fs::write(&paths[1], items).unwrap();
    std::fs::write(&paths[2], users).unwrap();
    paths
}

// ---- control-plane helpers ----------------------------------------------------------------------

/// Polls DescribeFilter after a DeleteFilter until it answers ResourceNotFoundException.
async fn wait_filter_gone(c: &aws_sdk_personalize::Client, filter_arn: &str) {
    let start = Instant::now();
    loop {
        match c.describe_filter().filter_arn(filter_arn).send().await {
            Err(e) if e.code() == Some("ResourceNotFoundException") => return,
            Err(e) => panic!("describing deleted filter {filter_arn}: {e:?}"),
            Ok(out) => {
                let status = out.filter().and_then(|f| f.status()).unwrap_or("<none>").to_string();
                assert_eq!(status, "DELETE PENDING", "filter {filter_arn} while being deleted");
            }
        }
        assert!(start.elapsed() < WAIT, "filter {filter_arn} still there {WAIT:?} after DeleteFilter");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---- runtime helpers ----------------------------------------------------------------------------

/// A request repeated after a restart: what, campaign, user, filter, filterValues.
type Probe<'a> = (&'a str, &'a str, Option<&'a str>, &'a str, Vec<(&'a str, &'a str)>);
type RecsResult = Result<GetRecommendationsOutput, SdkError<GetRecommendationsError>>;
type RankResult = Result<GetPersonalizedRankingOutput, SdkError<GetPersonalizedRankingError>>;

/// GetRecommendations with an optional user and filter.
async fn get(
    rt: &aws_sdk_personalizeruntime::Client,
    campaign: &str,
    user: Option<&str>,
    n: i32,
    filter: Option<&str>,
    values: &[(&str, &str)],
) -> RecsResult {
    let mut req = rt
        .get_recommendations()
        .campaign_arn(campaign)
        .num_results(n)
        .set_user_id(user.map(str::to_string))
        .set_filter_arn(filter.map(str::to_string));
    for (k, v) in values {
        req = req.filter_values(*k, *v);
    }
    req.send().await
}

/// The item ids of a successful GetRecommendations, checked to hold no duplicates.
#[track_caller]
fn list(result: RecsResult, what: &str) -> Vec<String> {
    let out = ok(result, what);
    let v = ids(out.item_list());
    assert_eq!(v.iter().collect::<HashSet<_>>().len(), v.len(), "{what}: duplicate items in {v:?}");
    v
}

/// GetRecommendations with a promotion (and optionally a request filter).
async fn promoted(
    rt: &aws_sdk_personalizeruntime::Client,
    campaign: &str,
    user: Option<&str>,
    n: i32,
    filter: Option<(&str, &str)>,
    promotion: Promotion,
) -> RecsResult {
    let mut req = rt
        .get_recommendations()
        .campaign_arn(campaign)
        .num_results(n)
        .set_user_id(user.map(str::to_string))
        .promotions(promotion);
    if let Some((arn, g)) = filter {
        req = req.filter_arn(arn).filter_values("G", g);
    }
    req.send().await
}

fn promotion(name: &str, percent: i32, filter_arn: &str, values: &[(&str, &str)]) -> Promotion {
    let mut p = Promotion::builder().name(name).percent_promoted_items(percent).filter_arn(filter_arn);
    for (k, v) in values {
        p = p.filter_values(*k, *v);
    }
    p.build()
}

/// Splits a promoted list into (promoted ids, other ids), both in list order, checking that
/// promoted items carry exactly `name` and that no item appears twice.
#[track_caller]
fn split_promoted(items: &[PredictedItem], name: &str) -> (Vec<String>, Vec<String>) {
    let all = ids(items);
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), all.len(), "duplicate items in {all:?}");
    let (mut promo, mut rest) = (Vec::new(), Vec::new());
    for it in items {
        let id = it.item_id().unwrap().to_string();
        match it.promotion_name() {
            Some(p) => {
                assert_eq!(p, name, "promotionName of {id}");
                promo.push(id);
            }
            None => rest.push(id),
        }
    }
    (promo, rest)
}

async fn rank(
    rt: &aws_sdk_personalizeruntime::Client,
    campaign: &str,
    user: &str,
    input: &[String],
    filter: Option<&str>,
    values: &[(&str, &str)],
) -> RankResult {
    let mut req = rt
        .get_personalized_ranking()
        .campaign_arn(campaign)
        .user_id(user)
        .set_input_list(Some(input.to_vec()))
        .set_filter_arn(filter.map(str::to_string));
    for (k, v) in values {
        req = req.filter_values(*k, *v);
    }
    req.send().await
}

/// The first `n` items of `ranking` that `keep` accepts: what a filter must return.
fn restrict(ranking: &[String], n: usize, keep: impl Fn(&str) -> bool) -> Vec<String> {
    ranking.iter().filter(|i| keep(i)).take(n).cloned().collect()
}

async fn put_events(ev: &aws_sdk_personalizeevents::Client, tracking_id: &str, user: &str, events: Vec<Event>) {
    ok(
        ev.put_events()
            .tracking_id(tracking_id)
            .user_id(user)
            .session_id(format!("sess-{user}"))
            .set_event_list(Some(events))
            .send()
            .await,
        "PutEvents",
    );
}

fn event(event_type: &str, item_id: &str, sent_at: i64) -> Event {
    Event::builder().event_type(event_type).item_id(item_id).sent_at(DateTime::from_secs(sent_at)).build().unwrap()
}

async fn put_user(ev: &aws_sdk_personalizeevents::Client, users_ds: &str, id: &str, age: usize, segment: &str) {
    ok(
        ev.put_users()
            .dataset_arn(users_ds)
            .users(
                User::builder()
                    .user_id(id)
                    .properties(format!(r#"{{"age":{age},"segment":"{segment}"}}"#))
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
        "PutUsers",
    );
}

// ---- runtime semantics --------------------------------------------------------------------------

// ---- CRUD and CreateFilter errors -------------------------------------------------------------
