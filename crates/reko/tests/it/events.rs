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

fn item(group: char, i: usize) -> String {
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

fn count(ids: &[String], group: char) -> usize {
    let prefix = format!("{group}-");
    ids.iter().filter(|i| i.starts_with(&prefix)).count()
}

/// Whether a top-10 list clearly leans to `group` (at least 8 of its items; with the two
/// disjoint groups of the synthetic data the lists observed are entirely one group).
fn leans(ids: &[String], group: char) -> bool {
    ids.len() == 10 && count(ids, group) >= 8
}

/// A `click` on `item` at `sent_at` (epoch seconds).
fn click(item: &str, sent_at: i64) -> Event {
    Event::builder().event_type("click").item_id(item).sent_at(DateTime::from_secs(sent_at)).build().unwrap()
}

/// Clicks on `items`, one second apart from `EVENTS_TS + offset`.
fn clicks(items: &[String], offset: i64) -> Vec<Event> {
    items.iter().enumerate().map(|(k, it)| click(it, EVENTS_TS + offset + k as i64)).collect()
}

fn a_items(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| item('a', i)).collect()
}

async fn put_events(
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

async fn recs(rt: &aws_sdk_personalizeruntime::Client, campaign: &str, user: &str, n: i32) -> Vec<String> {
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
struct Group {
    dsg: String,
    items: String,
    users: String,
}

async fn create_group(c: &aws_sdk_personalize::Client, name: &str, csv: Option<&std::path::Path>) -> Group {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_personalise_at_once_survive_restarts_and_feed_training() {
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    let mut server = Server::start(&data_dir);
    let c = &server.control.clone();

    let g = create_group(c, "ev", Some(&tmp.path().join("csv"))).await;
    let up_sol = create_solution(c, &g.dsg, "ev-up", "aws-user-personalization").await;
    let up_v1 = train(c, &up_sol).await;
    let pr_sol = create_solution(c, &g.dsg, "ev-pr", "aws-personalized-ranking").await;
    let pr_v1 = train(c, &pr_sol).await;
    // No exploration: the list is the model's ranking, so the assertions below are exact.
    let exploit = || CampaignConfig::builder().item_exploration_config("explorationWeight", "0").build();
    let up = create_campaign(c, "ev-up", &up_v1, exploit()).await;
    let pr = create_campaign(c, "ev-pr", &pr_v1, CampaignConfig::builder().build()).await;
    // Only exploration: every slot goes to an exploration candidate while there are any.
    let explore = create_campaign(
        c,
        "ev-explore",
        &up_v1,
        CampaignConfig::builder()
            .item_exploration_config("explorationWeight", "1.0")
            .item_exploration_config("explorationItemAgeCutOff", "1")
            .build(),
    )
    .await;
    let tracking_id = create_tracker(c, "ev-tracker", &g.dsg).await;

    let rt = &server.runtime.clone();
    let ev = &server.events.clone();

    // ---- A brand-new user is personalised by their first events ----------------------------
    // Unknown users get the popular items, and group B is strictly more popular than group A.
    let before = recs(rt, &up, "user-u", 10).await;
    assert_eq!(before.len(), 10);
    assert_eq!(count(&before, 'b'), 10, "a new user gets the (group B) popular items: {before:?}");
    put_events(ev, &tracking_id, Some("user-u"), "sess-u", clicks(&a_items(0..5), 0)).await;
    let after = recs(rt, &up, "user-u", 10).await;
    assert!(leans(&after, 'a'), "after 5 clicks on group A the list leans to group A: {after:?}");

    // Personalized-Ranking folds events in too.
    let input: Vec<String> = (0..5).flat_map(|i| [item('a', i + 25), item('b', i)]).collect();
    let ranked = rank(rt, &pr, "user-r", &input).await;
    assert_eq!(count(&ranked[..5], 'b'), 5, "a new user's ranking follows popularity: {ranked:?}");
    put_events(ev, &tracking_id, Some("user-r"), "sess-r", clicks(&a_items(10..15), 0)).await;
    let reranked = rank(rt, &pr, "user-r", &input).await;
    assert_eq!(reranked.len(), input.len());
    assert_eq!(count(&reranked[..5], 'a'), 5, "after clicks on other group A items, A ranks first: {reranked:?}");

    // ---- Anonymous sessions, then stitching --------------------------------------------------
    let session = "anon-session-1";
    assert_eq!(count(&recs(rt, &up, session, 10).await, 'b'), 10);
    put_events(ev, &tracking_id, None, session, clicks(&a_items(15..20), 0)).await;
    let anonymous = recs(rt, &up, session, 10).await;
    assert!(leans(&anonymous, 'a'), "the session id as userId sees the session's events: {anonymous:?}");
    // One event with both ids, on a group B item: the user inherits the anonymous history at once.
    put_events(ev, &tracking_id, Some("user-v"), session, vec![click(&item('b', 5), EVENTS_TS + 100)]).await;
    let stitched = recs(rt, &up, "user-v", 10).await;
    assert!(leans(&stitched, 'a'), "user-v has the session's group A history: {stitched:?}");
    assert_eq!(recs(rt, &up, session, 10).await, stitched, "the session id now resolves to user-v");
    // Control: the same single B event without an anonymous history leans to group B.
    put_events(ev, &tracking_id, Some("user-v2"), "sess-v2", vec![click(&item('b', 5), EVENTS_TS + 100)]).await;
    let control = recs(rt, &up, "user-v2", 10).await;
    assert!(leans(&control, 'b'), "{control:?}");

    // ---- Every Event member is accepted ------------------------------------------------------
    let shown = ok(
        rt.get_recommendations()
            .campaign_arn(&up)
            .user_id("user-rich")
            .num_results(3)
            .context("DEVICE", "mobile")
            .send()
            .await,
        "GetRecommendations(context)",
    );
    let recommendation_id = shown.recommendation_id().expect("recommendationId").to_string();
    let rich = vec![
        Event::builder()
            .event_id("evt-rich-1")
            .event_type("click")
            .event_value(4.5)
            .item_id(item('a', 1))
            .properties(r#"{"device":"mobile"}"#)
            .sent_at(DateTime::from_secs_f64(EVENTS_TS as f64 + 0.25))
            .recommendation_id(&recommendation_id)
            .set_impression(Some(ids(shown.item_list())))
            .metric_attribution(
                MetricAttribution::builder().event_attribution_source("email-campaign").build().unwrap(),
            )
            .build()
            .unwrap(),
        // Property keys match schema fields ignoring case and underscores.
        Event::builder()
            .event_type("click")
            .item_id(item('a', 2))
            .properties(r#"{"DEVICE":"desktop"}"#)
            .sent_at(DateTime::from_secs(EVENTS_TS + 1))
            .build()
            .unwrap(),
    ];
    put_events(ev, &tracking_id, Some("user-rich"), "sess-rich", rich).await;
    let with_context = ok(
        rt.get_recommendations()
            .campaign_arn(&up)
            .user_id("user-rich")
            .num_results(10)
            .context("DEVICE", "mobile")
            .send()
            .await,
        "GetRecommendations(context, after events)",
    );
    assert_eq!(with_context.item_list().len(), 10);

    // ---- A rejected call stores nothing -----------------------------------------------------
    let mut batch = clicks(&a_items(0..9), 0);
    batch.push(
        Event::builder()
            .event_type("click")
            .item_id(item('a', 9))
            .properties(r#"{"colour":"red"}"#)
            .sent_at(DateTime::from_secs(EVENTS_TS + 50))
            .build()
            .unwrap(),
    );
    expect_code(
        ev.put_events()
            .tracking_id(&tracking_id)
            .user_id("user-x")
            .session_id("sess-x")
            .set_event_list(Some(batch))
            .send()
            .await,
        "InvalidInputException",
        "PutEvents(one bad event among nine good ones)",
    );
    assert_eq!(recs(rt, &up, "user-x", 10).await, before, "no event of the rejected call was kept");

    // ---- Events only the next training can use -----------------------------------------------
    // user-w exists only through PutEvents.
    put_events(ev, &tracking_id, Some("user-w"), "sess-w", clicks(&a_items(20..25), 0)).await;
    // An item nobody imported becomes the most popular one, but popularity only changes when
    // training runs: events on an item the model does not know do nothing in real time.
    for u in 0..10 {
        let events = (0..5).map(|k| click(HOT_ITEM, EVENTS_TS + 1000 + k)).collect();
        put_events(ev, &tracking_id, Some(&format!("hot-{u}")), &format!("sess-hot-{u}"), events).await;
    }
    // Events repeating an eventId count once in training (docs/compatibility.md, "Events (PutEvents,
    // PutItems, PutUsers)"): forty clicks on another put-only item, all with the same eventId,
    // leave it unpopular.
    for k in 0..4 {
        let events = (0..10)
            .map(|j| {
                Event::builder()
                    .event_id("evt-repeated")
                    .event_type("click")
                    .item_id(REPEATED_ITEM)
                    .sent_at(DateTime::from_secs(EVENTS_TS + 2000 + k * 10 + j))
                    .build()
                    .unwrap()
            })
            .collect();
        put_events(ev, &tracking_id, Some(&format!("rep-{k}")), &format!("sess-rep-{k}"), events).await;
    }
    let cold = recs(rt, &up, "nobody-1", 10).await;
    assert!(!cold.iter().any(|i| i == HOT_ITEM || i == REPEATED_ITEM), "{cold:?}");

    // ---- PutUsers ----------------------------------------------------------------------------
    ok(
        ev.put_users()
            .dataset_arn(&g.users)
            .users(User::builder().user_id("user-p").properties(r#"{"age":"34","segment":"a"}"#).build().unwrap())
            .users(User::builder().user_id("user-q").properties(r#"{"age":41,"SEGMENT":"b"}"#).build().unwrap())
            .send()
            .await,
        "PutUsers",
    );
    assert_eq!(count(&recs(rt, &up, "user-p", 10).await, 'b'), 10, "user-p is unknown to the trained model");

    // ---- PutItems: new items are served without retraining -----------------------------------
    ok(
        ev.put_items()
            .dataset_arn(&g.items)
            .items(
                Item::builder()
                    .item_id("a-new")
                    .properties(format!(r#"{{"genre":"A","creationTimestamp":{}}}"#, EVENTS_TS))
                    .build()
                    .unwrap(),
            )
            .items(
                Item::builder()
                    .item_id("b-new")
                    .properties(format!(r#"{{"genre":"B","creationTimestamp":"{}"}}"#, EVENTS_TS))
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
        "PutItems",
    );
    // With explorationWeight 1.0 the new items are shown at once, without retraining. Each
    // request draws afresh, so exposure is counted over 20 requests.
    let explored_a = exposure(rt, &explore, "ua00").await;
    assert!(explored_a.0 >= 15 && explored_a.1 >= 15, "a-new, b-new shown to ua00 in {explored_a:?} of 20");
    let explored_b = exposure(rt, &explore, "ub00").await;
    assert!(explored_b.0 >= 15 && explored_b.1 >= 15, "a-new, b-new shown to ub00 in {explored_b:?} of 20");
    // Without exploration the campaign still answers (it may or may not show the new items).
    assert_eq!(recs(rt, &up, "ua00", 10).await.len(), 10);

    // ---- Durability: a crash loses nothing acknowledged ---------------------------------------
    let users = ["user-u", session, "user-v", "user-v2", "user-w", "user-rich"];
    let mut lists = Vec::new();
    for u in users {
        lists.push(recs(rt, &up, u, 10).await);
    }
    let ranked_before = rank(rt, &pr, "user-r", &input).await;
    server.kill();
    server = Server::start(&data_dir);
    let (rt, ev) = (&server.runtime.clone(), &server.events.clone());
    let c = &server.control.clone();
    for (u, list) in users.iter().zip(&lists) {
        assert_eq!(&recs(rt, &up, u, 10).await, list, "{u}'s recommendations after the restart");
    }
    assert_eq!(rank(rt, &pr, "user-r", &input).await, ranked_before, "user-r's ranking after the restart");
    for u in ["ua00", "ub00"] {
        let shown = exposure(rt, &explore, u).await;
        assert!(shown.0 >= 15 && shown.1 >= 15, "put items after the restart: shown to {u} in {shown:?} of 20");
    }
    // The tracker still takes events.
    put_events(ev, &tracking_id, Some("user-w"), "sess-w", clicks(&a_items(25..26), 10)).await;

    // ---- The next training uses the events, items and users ----------------------------------
    let up_v2 = train(c, &up_sol).await;
    ok(
        c.update_campaign().campaign_arn(&up).solution_version_arn(&up_v2).campaign_config(exploit()).send().await,
        "UpdateCampaign",
    );
    wait_active(c, &Res::CampaignUpdate(up.clone())).await;
    let served = ok(c.describe_campaign().campaign_arn(&up).send().await, "DescribeCampaign");
    assert_eq!(served.campaign().and_then(|x| x.solution_version_arn()), Some(up_v2.as_str()));
    // The put-only user is in the model now.
    let w = recs(rt, &up, "user-w", 10).await;
    assert!(leans(&w, 'a'), "user-w was trained from their events: {w:?}");
    // Popularity now counts the events: the put-only item is the most popular one.
    let cold = recs(rt, &up, "nobody-2", 10).await;
    assert_eq!(cold[0], HOT_ITEM, "{cold:?}");
    assert!(!cold.iter().any(|i| i == REPEATED_ITEM), "repeated eventIds count once: {cold:?}");
    // The anonymous session trained under the user it was stitched to.
    let v = recs(rt, &up, "user-v", 10).await;
    assert!(leans(&v, 'a'), "{v:?}");
    // A user added by PutUsers gets a vector from their metadata (segment a).
    let p = recs(rt, &up, "user-p", 10).await;
    assert!(leans(&p, 'a'), "user-p's segment places them in group A: {p:?}");
}

/// A group with a tracker and its three datasets, named after `name` (unique on the shared
/// server); returns the tracking id and the Interactions, Items and Users dataset ARNs.
async fn error_group(c: &aws_sdk_personalize::Client, name: &str) -> (String, String, String, String) {
    let dsg = create_dataset_group(c, name).await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let tracking_id = create_tracker(c, &format!("{name}-tracker"), &dsg).await;
    let s_int = create_schema(c, &format!("{name}-int"), INTERACTIONS_SCHEMA).await;
    let s_items = create_schema(c, &format!("{name}-items"), ITEMS_SCHEMA).await;
    let s_users = create_schema(c, &format!("{name}-users"), USERS_SCHEMA).await;
    let ds_int = create_dataset(c, &dsg, name, &format!("{name}-int"), "Interactions", &s_int).await;
    let ds_items = create_dataset(c, &dsg, name, &format!("{name}-items"), "Items", &s_items).await;
    let ds_users = create_dataset(c, &dsg, name, &format!("{name}-users"), "Users", &s_users).await;
    (tracking_id, ds_int, ds_items, ds_users)
}

/// PutEvents needs an Interactions dataset behind the tracker, and a tracking id that exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_events_needs_an_interactions_dataset_and_a_known_tracker() {
    let server = shared_server();
    let (c, ev) = (&server.control, &server.events);

    // A tracker whose dataset group has no Interactions dataset yet.
    let dsg = create_dataset_group(c, "er-tracked").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let tracking_id = create_tracker(c, "er-tracked-tracker", &dsg).await;
    let msg = expect_http(
        ev.put_events().tracking_id(&tracking_id).session_id("s").event_list(click("i", EVENTS_TS)).send().await,
        "ResourceInUseException",
        409,
        "PutEvents(no Interactions dataset)",
    );
    assert!(msg.contains("Interactions"), "{msg}");
    let s_int = create_schema(c, "er-tracked-int", INTERACTIONS_SCHEMA).await;
    create_dataset(c, &dsg, "er-tracked", "er-tracked-int", "Interactions", &s_int).await;
    // Now it takes events.
    ok(
        ev.put_events().tracking_id(&tracking_id).session_id("s").event_list(click("i", EVENTS_TS)).send().await,
        "PutEvents",
    );

    // Unknown tracking id.
    let msg = expect_http(
        ev.put_events()
            .tracking_id("00000000-0000-0000-0000-000000000000")
            .session_id("s")
            .event_list(click("i", EVENTS_TS))
            .send()
            .await,
        "ResourceNotFoundException",
        404,
        "PutEvents(unknown trackingId)",
    );
    assert!(msg.contains("00000000-0000-0000-0000-000000000000"), "{msg}");
}

/// PutEvents checks the number of events, sentAt in seconds and the properties, naming the event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_events_errors_name_the_problem() {
    let server = shared_server();
    let (c, ev) = (&server.control, &server.events);
    let (tracking_id, ..) = error_group(c, "er-events").await;

    let send = |events: Vec<Event>| {
        ev.put_events().tracking_id(&tracking_id).user_id("u").session_id("s").set_event_list(Some(events)).send()
    };
    let with_properties = |props: &str| {
        Event::builder()
            .event_type("click")
            .item_id("i")
            .properties(props)
            .sent_at(DateTime::from_secs(EVENTS_TS))
            .build()
            .unwrap()
    };

    // 1-10 events per call. The Rust SDK does not check list lengths, so the server sees these.
    let msg = expect_http(send(vec![]).await, "InvalidInputException", 400, "PutEvents(no events)");
    assert!(msg.contains("'eventList'") && msg.contains("greater than or equal to 1"), "{msg}");
    let eleven = (0..11).map(|k| click("i", EVENTS_TS + k)).collect();
    let msg = expect_code(send(eleven).await, "InvalidInputException", "PutEvents(11 events)");
    assert!(msg.contains("'eventList'") && msg.contains("less than or equal to 10"), "{msg}");
    ok(send((0..10).map(|k| click("i", EVENTS_TS + k)).collect()).await, "PutEvents(10 events)");

    // sentAt in milliseconds.
    let msg = expect_code(
        send(vec![click("i", EVENTS_TS), click("i", 1_700_000_000_123)]).await,
        "InvalidInputException",
        "PutEvents(sentAt in milliseconds)",
    );
    assert!(msg.contains("eventList.2.sentAt") && msg.contains("looks like epoch milliseconds"), "{msg}");
    assert!(msg.contains("(1700000000)"), "the message gives the seconds value: {msg}");

    // properties: malformed JSON, not an object, unknown key, reserved key.
    let msg = expect_code(
        send(vec![with_properties(r#"{"device":"mobile"}"#), with_properties(r#"{"device": mobile}"#)]).await,
        "InvalidInputException",
        "PutEvents(malformed properties)",
    );
    assert!(msg.starts_with("Error parsing properties json at eventList.2.properties"), "{msg}");
    let msg = expect_code(
        send(vec![with_properties(r#"["device","mobile"]"#)]).await,
        "InvalidInputException",
        "PutEvents(properties not an object)",
    );
    assert!(msg.starts_with("Error parsing properties json at eventList.1.properties"), "{msg}");
    assert!(msg.contains("expected a JSON object"), "{msg}");
    let msg = expect_code(
        send(vec![with_properties(r#"{"colour":"red"}"#)]).await,
        "InvalidInputException",
        "PutEvents(unknown property)",
    );
    assert!(msg.contains("\"colour\"") && msg.contains("device"), "names the key and the allowed ones: {msg}");
    let msg = expect_code(
        send(vec![with_properties(r#"{"sessionId":"other"}"#)]).await,
        "InvalidInputException",
        "PutEvents(reserved property)",
    );
    assert!(msg.contains("sessionId"), "{msg}");
    // itemId and eventValue are not reserved in Personalize: properties may set them, but not
    // to something else than the event's own member says.
    ok(send(vec![with_properties(r#"{"eventValue":"3","itemId":"i"}"#)]).await, "PutEvents(eventValue, itemId)");
    let msg = expect_code(
        send(vec![with_properties(r#"{"itemId":"j"}"#)]).await,
        "InvalidInputException",
        "PutEvents(itemId and a different properties.itemId)",
    );
    assert!(msg.contains("itemId \"i\"") && msg.contains("properties.itemId \"j\""), "names both: {msg}");
}

/// PutItems / PutUsers: wrong dataset, unknown dataset, bad properties.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_items_and_put_users_errors_name_the_problem() {
    let server = shared_server();
    let (c, ev) = (&server.control, &server.events);
    let (_, ds_int, ds_items, ds_users) = error_group(c, "er-metadata").await;

    let new_item = |props: &str| Item::builder().item_id("n1").properties(props).build().unwrap();
    let good_item = new_item(r#"{"genre":"A","creationTimestamp":1700000000}"#);
    let msg = expect_code(
        ev.put_items().dataset_arn(&ds_int).items(good_item.clone()).send().await,
        "InvalidInputException",
        "PutItems(Interactions dataset)",
    );
    let lower = msg.to_lowercase();
    assert!(msg.contains(&ds_int) && lower.contains("interactions") && lower.contains("items"), "{msg}");
    let msg = expect_http(
        ev.put_items().dataset_arn(arn("dataset", "er-metadata/NOPE")).items(good_item.clone()).send().await,
        "ResourceNotFoundException",
        404,
        "PutItems(unknown dataset)",
    );
    assert!(msg.contains("er-metadata/NOPE"), "{msg}");
    let msg = expect_code(
        ev.put_items()
            .dataset_arn(&ds_items)
            .items(new_item(r#"{"genre":"A","creationTimestamp":"yesterday"}"#))
            .send()
            .await,
        "InvalidInputException",
        "PutItems(creationTimestamp not a number)",
    );
    assert!(msg.contains("items.1.properties.creationTimestamp") && msg.contains("yesterday"), "{msg}");
    let msg = expect_code(
        ev.put_items().dataset_arn(&ds_items).items(new_item(r#"{"genre":"A"}"#)).send().await,
        "InvalidInputException",
        "PutItems(required field missing)",
    );
    assert!(msg.contains("creationTimestamp"), "{msg}");
    let msg = expect_code(
        ev.put_items()
            .dataset_arn(&ds_items)
            .items(new_item(r#"{"genre":"A","creationTimestamp":1,"price":3}"#))
            .send()
            .await,
        "InvalidInputException",
        "PutItems(unknown property)",
    );
    assert!(msg.contains("\"price\"") && msg.contains("genre"), "{msg}");
    let msg = expect_code(
        ev.put_items().dataset_arn(&ds_items).items(new_item("{")).send().await,
        "InvalidInputException",
        "PutItems(malformed properties)",
    );
    assert!(msg.starts_with("Error parsing properties json at items.1.properties"), "{msg}");
    let msg = expect_code(
        ev.put_items().dataset_arn(&ds_items).set_items(Some(vec![good_item.clone(); 11])).send().await,
        "InvalidInputException",
        "PutItems(11 items)",
    );
    assert!(msg.contains("less than or equal to 10"), "{msg}");
    ok(ev.put_items().dataset_arn(&ds_items).items(good_item).send().await, "PutItems");

    let user = |props: &str| User::builder().user_id("p1").properties(props).build().unwrap();
    let msg = expect_code(
        ev.put_users().dataset_arn(&ds_users).users(user(r#"{"age":"old","segment":"a"}"#)).send().await,
        "InvalidInputException",
        "PutUsers(age not a number)",
    );
    assert!(msg.contains("users.1.properties.age") && msg.contains("\"old\""), "{msg}");
    let msg = expect_code(
        ev.put_users().dataset_arn(&ds_users).users(user(r#"{"age":1.5,"segment":"a"}"#)).send().await,
        "InvalidInputException",
        "PutUsers(age not an integer)",
    );
    assert!(msg.contains("users.1.properties.age"), "{msg}");
    // (PutItems succeeded on this dataset above: the type check must not be skipped for it.)
    let msg = expect_code(
        ev.put_users().dataset_arn(&ds_items).users(user(r#"{"age":1,"segment":"a"}"#)).send().await,
        "InvalidInputException",
        "PutUsers(Items dataset)",
    );
    assert!(msg.to_lowercase().contains("users"), "{msg}");
    ok(ev.put_users().dataset_arn(&ds_users).users(user(r#"{"age":1,"segment":"a"}"#)).send().await, "PutUsers");
}

/// Interactions schema of AWS's sample notebooks with a non-nullable IMPRESSION column.
const SAMPLES_SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]},{"name":"IMPRESSION","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;

/// What AWS's getting-started tutorial and POC workshop send, and Personalize accepts: the item
/// in `properties` (`'{"itemId": "270"}'`, no `itemId` member), `eventValue` in properties, and
/// no `impression` although the schema's IMPRESSION column is not nullable. The stored records
/// (read back with a PUT dataset export) carry the item, the value and an empty impression.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_as_aws_samples_send_them() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"));
    let (c, ev) = (&server.control, &server.events);
    let dsg = create_dataset_group(c, "smp").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(c, "smp-int", SAMPLES_SCHEMA).await;
    let ds = create_dataset(c, &dsg, "smp", "smp-int", "Interactions", &schema).await;
    let tracking_id = create_tracker(c, "smp-tracker", &dsg).await;

    let event = |item: Option<&str>, props: Option<&str>, sent_at: i64| {
        Event::builder()
            .event_type("watch")
            .set_item_id(item.map(str::to_string))
            .set_properties(props.map(str::to_string))
            .sent_at(DateTime::from_secs(sent_at))
    };
    let send = |events: Vec<Event>| {
        ev.put_events().tracking_id(&tracking_id).user_id("u1").session_id("s1").set_event_list(Some(events)).send()
    };
    ok(
        send(vec![
            // The tutorial's event: the item only in properties, no impression.
            event(None, Some(r#"{"itemId": "270"}"#), EVENTS_TS).build().unwrap(),
            // The field name works too (case-insensitively), and eventValue as a string.
            event(None, Some(r#"{"ITEM_ID": "271", "eventValue": "4.5"}"#), EVENTS_TS + 1).build().unwrap(),
            // Both places agreeing is fine; an explicit impression is kept.
            event(Some("272"), Some(r#"{"itemId": "272", "EventValue": 2}"#), EVENTS_TS + 2)
                .impression("272")
                .impression("273")
                .build()
                .unwrap(),
            // The members, as before.
            event(Some("274"), None, EVENTS_TS + 3).event_value(1.0).build().unwrap(),
        ])
        .await,
        "PutEvents(as the samples send them)",
    );

    // Conflicts name both values.
    let msg = expect_http(
        send(vec![event(Some("1"), Some(r#"{"itemId": "2"}"#), EVENTS_TS).build().unwrap()]).await,
        "InvalidInputException",
        400,
        "PutEvents(itemId differs from properties.itemId)",
    );
    assert!(msg.contains("eventList.1") && msg.contains("\"1\"") && msg.contains("\"2\""), "{msg}");
    let msg = expect_code(
        send(vec![event(Some("1"), Some(r#"{"eventValue": 2}"#), EVENTS_TS).event_value(1.0).build().unwrap()]).await,
        "InvalidInputException",
        "PutEvents(eventValue differs from properties.eventValue)",
    );
    assert!(msg.contains("eventValue 1") && msg.contains("properties.eventValue 2"), "{msg}");
    let msg = expect_code(
        send(vec![event(None, Some(r#"{"itemId": true}"#), EVENTS_TS).build().unwrap()]).await,
        "InvalidInputException",
        "PutEvents(properties.itemId not a string)",
    );
    assert!(msg.contains("eventList.1.properties.itemId"), "{msg}");
    // The keys Personalize reserves stay refused.
    let msg = expect_code(
        send(vec![event(Some("1"), Some(r#"{"Impression": "1|2"}"#), EVENTS_TS).build().unwrap()]).await,
        "InvalidInputException",
        "PutEvents(impression as a property)",
    );
    assert!(msg.contains("Impression"), "{msg}");

    // What was stored.
    let text = export_dataset(c, "smp-export", &ds, "PUT", &tmp.path().join("export")).await;
    let mut lines = text.iter();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("{name} in {header:?}"));
    let (c_item, c_value, c_impr) = (col("ITEM_ID"), col("EVENT_VALUE"), col("IMPRESSION"));
    let mut rows: Vec<(String, Option<f64>, String)> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[c_item].to_string(), f[c_value].parse().ok(), f[c_impr].to_string())
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        rows,
        vec![
            ("270".to_string(), None, String::new()),
            ("271".to_string(), Some(4.5), String::new()),
            ("272".to_string(), Some(2.0), "272|273".to_string()),
            ("274".to_string(), Some(1.0), String::new()),
        ],
        "stored events:\n{text:#?}"
    );
}

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

/// Trending-Now moves with PutEvents between trainings, as Personalize's does: the intervals end
/// at the newest event, an item first seen in events can lead, and a restarted server (or a
/// campaign deployed later) finds the same list from the stored events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trending_now_moves_with_events_between_trainings() {
    use aws_sdk_personalize::types::SolutionConfig;
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    let mut server = Server::start(&data_dir);
    let c = &server.control.clone();
    let g = create_group(c, "tr", Some(&tmp.path().join("csv"))).await;
    let config =
        SolutionConfig::builder().feature_transformation_parameters("trend_discovery_frequency", "1 hour").build();
    let sol = ok(
        c.create_solution()
            .name("tr-trending")
            .dataset_group_arn(&g.dsg)
            .recipe_arn(recipe("aws-trending-now"))
            .solution_config(config)
            .send()
            .await,
        "CreateSolution(Trending-Now)",
    )
    .solution_arn()
    .unwrap()
    .to_string();
    wait_active(c, &Res::Solution(sol.clone())).await;
    let sv = train(c, &sol).await;
    let campaign = deploy(c, "tr-trending", &sv).await;
    let tracking_id = create_tracker(c, "tr-tracker", &g.dsg).await;
    let trained = recs(&server.runtime, &campaign, "anyone", 10).await;
    assert_eq!(trained.len(), 10);
    assert!(!trained.contains(&HOT_ITEM.to_string()));

    // Long after the bulk data: 12 clicks on an item never imported, 6 on a-05, from several users.
    for u in 0..6 {
        let mut events = vec![click(HOT_ITEM, EVENTS_TS + u), click(HOT_ITEM, EVENTS_TS + 10 + u)];
        events.push(click(&item('a', 5), EVENTS_TS + 20 + u));
        put_events(&server.events, &tracking_id, Some(&format!("ua{u:02}")), &format!("s{u}"), events).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let moved = recs(&server.runtime, &campaign, "anyone", 10).await;
    assert_eq!(&moved[..2], [HOT_ITEM.to_string(), item('a', 5)], "the newest interval leads: {moved:?}");

    // The stored events bring a restarted server to the same list.
    server.kill();
    server = Server::start(&data_dir);
    let after_restart = recs(&server.runtime, &campaign, "anyone", 10).await;
    assert_eq!(after_restart, moved);
    // An hour later the trend is another item's.
    let later = EVENTS_TS + 3700;
    let events = (0..3).map(|k| click(&item('b', 7), later + k)).collect();
    put_events(&server.events, &tracking_id, Some("ub01"), "s-later", events).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let next = recs(&server.runtime, &campaign, "anyone", 10).await;
    assert_eq!(next[0], item('b', 7), "{next:?}");
}
