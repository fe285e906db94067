//! The events service through the wire: the official AWS SDK for Rust sends PutEvents, PutItems
//! and PutUsers to a real `reko serve` and checks that the records reach real-time
//! recommendations (no retraining), survive a crash, and feed the next training; and that bad
//! requests fail with the exact error code and a message naming the problem.
//!
//! The training data is synthetic and tiny: two disjoint item groups (`a-00`..`a-29`,
//! `b-00`..`b-29`) whose users only interact within their group, with group B strictly more
//! popular than group A, so "which group does this list lean to" is never ambiguous.

use crate::common::*;
use aws_sdk_personalize::types::CampaignConfig;
use aws_sdk_personalizeevents::primitives::DateTime;
use aws_sdk_personalizeevents::types::{Event, Item, MetricAttribution, User};

/// Interactions schema with a contextual DEVICE column (Personalize's guide,
/// "Creating schema JSON files for Amazon Personalize schemas",
/// <https://docs.aws.amazon.com/personalize/latest/dg/how-it-works-dataset-schema.html>).
const INTERACTIONS_SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]},{"name":"DEVICE","type":["null","string"],"categorical":true},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const ITEMS_SCHEMA: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":"string","categorical":true},{"name":"CREATION_TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const USERS_SCHEMA: &str = r#"{"type":"record","name":"Users","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"AGE","type":"int"},{"name":"SEGMENT","type":"string","categorical":true}],"version":"1.0"}"#;

/// Items per group.
const GROUP_ITEMS: usize = 30;
/// Users per group.
const GROUP_USERS: usize = 25;
/// Distinct items each user of group A / group B interacted with.
const A_HISTORY: usize = 20;
const B_HISTORY: usize = 28;
/// First interaction time of the bulk data (epoch seconds); one interaction a minute after it.
const BASE_TS: i64 = 1_700_000_000;
/// Every item was created long before the interactions, so with a short
/// `explorationItemAgeCutOff` no trained item is an exploration candidate.
const CREATED_TS: i64 = 1_600_000_000;
/// Real-time events are sent after the bulk data.
const EVENTS_TS: i64 = BASE_TS + 200_000;
/// An item that only ever appears in PutEvents (never imported).
const HOT_ITEM: &str = "hot";
/// Another put-only item, whose events all repeat one eventId.
const REPEATED_ITEM: &str = "repeated";

pub(crate) fn item(group: char, i: usize) -> String {
    format!("{group}-{i:02}")
}

/// Writes the synthetic interactions, items and users CSVs; returns their paths.
fn write_data(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    use std::fmt::Write as _;
    std::fs::create_dir_all(dir).unwrap();
    let mut interactions = String::from("USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,DEVICE,TIMESTAMP\n");
    let mut n = 0i64;
    // Interleave the users of both groups in time, so neither group is systematically newer.
    for j in 0..B_HISTORY {
        for u in 0..GROUP_USERS {
            for (group, len) in [('a', A_HISTORY), ('b', B_HISTORY)] {
                if j < len {
                    // User u's j-th item: 7 is coprime with 30, so the histories are spread evenly.
                    let it = item(group, (u * 7 + j) % GROUP_ITEMS);
                    let device = if n % 2 == 0 { "mobile" } else { "desktop" };
                    writeln!(interactions, "u{group}{u:02},{it},click,1,{device},{}", BASE_TS + n * 60).unwrap();
                    n += 1;
                }
            }
        }
    }
    let mut items = String::from("ITEM_ID,GENRE,CREATION_TIMESTAMP\n");
    for group in ['a', 'b'] {
        for i in 0..GROUP_ITEMS {
            writeln!(items, "{},{},{CREATED_TS}", item(group, i), group.to_ascii_uppercase()).unwrap();
        }
    }
    let mut users = String::from("USER_ID,AGE,SEGMENT\n");
    for group in ['a', 'b'] {
        for u in 0..GROUP_USERS {
            writeln!(users, "u{group}{u:02},{},{group}", 20 + u).unwrap();
        }
    }
    let paths = (dir.join("interactions.csv"), dir.join("items.csv"), dir.join("users.csv"));
    std::fs::write(&paths.0, interactions).unwrap();
    std::fs::write(&paths.1, items).unwrap();
    std::fs::write(&paths.2, users).unwrap();
    paths
}

pub(crate) fn count(ids: &[String], group: char) -> usize {
    let prefix = format!("{group}-");
    ids.iter().filter(|i| i.starts_with(&prefix)).count()
}

/// Whether a top-10 list clearly leans to `group` (at least 8 of its items; with the two
/// disjoint groups of the synthetic data the lists observed are entirely one group).
pub(crate) fn leans(ids: &[String], group: char) -> bool {
    ids.len() == 10 && count(ids, group) >= 8
}

/// A `click` on `item` at `sent_at` (epoch seconds).
pub(crate) fn click(item: &str, sent_at: i64) -> Event {
    Event::builder().event_type("click").item_id(item).sent_at(DateTime::from_secs(sent_at)).build().unwrap()
}

/// Clicks on `items`, one second apart from `EVENTS_TS + offset`.
pub(crate) fn clicks(items: &[String], offset: i64) -> Vec<Event> {
    items.iter().enumerate().map(|(k, it)| click(it, EVENTS_TS + offset + k as i64)).collect()
}

pub(crate) fn a_items(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| item('a', i)).collect()
}

pub(crate) async fn put_events(
    ev: &aws_sdk_personalizeevents::Client,
    tracking_id: &str,
    user: Option<&str>,
    session: &str,
    events: Vec<Event>,
) {
    ok(
        ev.put_events()
            .tracking_id(tracking_id)
            .set_user_id(user.map(str::to_string))
            .session_id(session)
            .set_event_list(Some(events))
            .send()
            .await,
        "PutEvents",
    );
}

pub(crate) async fn recs(rt: &aws_sdk_personalizeruntime::Client, campaign: &str, user: &str, n: i32) -> Vec<String> {
    let out = ok(
        rt.get_recommendations().campaign_arn(campaign).user_id(user).num_results(n).send().await,
        "GetRecommendations",
    );
    ids(out.item_list())
}

async fn rank(rt: &aws_sdk_personalizeruntime::Client, campaign: &str, user: &str, input: &[String]) -> Vec<String> {
    let out = ok(
        rt.get_personalized_ranking()
            .campaign_arn(campaign)
            .user_id(user)
            .set_input_list(Some(input.to_vec()))
            .send()
            .await,
        "GetPersonalizedRanking",
    );
    let total: f64 = out.personalized_ranking().iter().filter_map(|i| i.score()).sum();
    assert!((total - 1.0).abs() < 1e-3, "ranking scores are a softmax over the input: sum {total}");
    ids(out.personalized_ranking())
}

/// The dataset group with its three datasets (and, when `csv` is given, the imported data).
pub(crate) struct Group {
    pub(crate) dsg: String,
    pub(crate) items: String,
    pub(crate) users: String,
}

pub(crate) async fn create_group(c: &aws_sdk_personalize::Client, name: &str, csv: Option<&std::path::Path>) -> Group {
    let dsg = create_dataset_group(c, name).await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let s_int = create_schema(c, &format!("{name}-int"), INTERACTIONS_SCHEMA).await;
    let s_items = create_schema(c, &format!("{name}-items"), ITEMS_SCHEMA).await;
    let s_users = create_schema(c, &format!("{name}-users"), USERS_SCHEMA).await;
    let interactions = create_dataset(c, &dsg, name, &format!("{name}-int"), "Interactions", &s_int).await;
    let items = create_dataset(c, &dsg, name, &format!("{name}-items"), "Items", &s_items).await;
    let users = create_dataset(c, &dsg, name, &format!("{name}-users"), "Users", &s_users).await;
    if let Some(dir) = csv {
        let (f_int, f_items, f_users) = write_data(dir);
        for (job, ds, file) in [("int", &interactions, f_int), ("items", &items, f_items), ("users", &users, f_users)] {
            let j = import(c, &format!("{name}-{job}"), ds, &file_url(&file), None).await;
            wait_active(c, &Res::ImportJob(j)).await;
        }
    }
    Group { dsg, items, users }
}

/// Interactions schema of AWS's sample notebooks with a non-nullable IMPRESSION column.
const SAMPLES_SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]},{"name":"IMPRESSION","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;

/// In how many of 20 lists of 10 for `user` the put items `a-new` and `b-new` appear.
async fn exposure(rt: &aws_sdk_personalizeruntime::Client, campaign: &str, user: &str) -> (usize, usize) {
    let mut shown = (0, 0);
    for _ in 0..20 {
        let list = recs(rt, campaign, user, 10).await;
        shown.0 += usize::from(list.iter().any(|i| i == "a-new"));
        shown.1 += usize::from(list.iter().any(|i| i == "b-new"));
    }
    shown
}

mod errors;
mod real_time;
mod samples;
