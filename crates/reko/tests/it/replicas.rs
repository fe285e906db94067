//! Real time across replicas: two `reko serve` processes on one PostgreSQL database (and one data
//! directory, where models are), as behind a load balancer. What one is told, the other serves
//! within a second: resources, events, items, filters, deletions; and a replica killed under
//! PutEvents load loses no acknowledged event. Skipped, saying so, when no PostgreSQL answers
//! (unless `CI` is set: reko_storage::testing).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::events::{a_items, clicks, count, create_group, leans, put_events, recs};
use aws_sdk_personalize::types::CampaignConfig;
use aws_sdk_personalizeevents::primitives::DateTime;
use aws_sdk_personalizeevents::types::{Event, Item, User};
use aws_sdk_personalizeruntime::error::ProvideErrorMetadata;
use reko_storage::testing::TestDatabase;
use reko_storage::{Catalog, PgStore, RecordSource, RecordStore};

/// How soon a change made through one replica must show on the other.
const PROPAGATION: Duration = Duration::from_secs(1);

/// Polls `check` every 10 ms until it holds; the time it took, failing past [`PROPAGATION`].
async fn within_propagation<F, Fut>(what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            let took = started.elapsed();
            println!("{what}: seen on the other replica after {} ms", took.as_millis());
            assert!(took < PROPAGATION, "{what}: took {took:?}");
            return took;
        }
        assert!(started.elapsed() < PROPAGATION, "{what}: not seen on the other replica within {PROPAGATION:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// GetRecommendations on `campaign` for `user`, optionally filtered: the item ids or the error code.
async fn recommend(
    rt: &aws_sdk_personalizeruntime::Client,
    campaign: &str,
    user: &str,
    filter: Option<&str>,
) -> Result<Vec<String>, String> {
    recommend_n(rt, campaign, user, filter, 10).await
}

/// [`recommend`] of `n` items.
async fn recommend_n(
    rt: &aws_sdk_personalizeruntime::Client,
    campaign: &str,
    user: &str,
    filter: Option<&str>,
    n: i32,
) -> Result<Vec<String>, String> {
    let call = rt.get_recommendations().campaign_arn(campaign).user_id(user).num_results(n);
    match call.set_filter_arn(filter.map(str::to_string)).send().await {
        Ok(out) => Ok(ids(out.item_list())),
        Err(e) => Err(e.code().unwrap_or("no code").to_string()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_one_replica_is_told_the_other_serves_within_a_second() {
    let Some(db) = TestDatabase::create() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // The cluster's shape: two api replicas and a worker, each with a data directory of its own,
    // sharing the database and an artifact store.
    let store = tmp.path().join("artifacts").display().to_string();
    let role = |role| ["--database-url", db.url(), "--artifact-store", store.as_str(), "--role", role];
    let a = Server::start_with(&tmp.path().join("data-a"), &role("api"));
    let b = Server::start_with(&tmp.path().join("data-b"), &role("api"));
    let _worker = Server::start_with(&tmp.path().join("data-w"), &role("worker"));
    let (ca, rta, eva) = (&a.control.clone(), &a.runtime.clone(), &a.events.clone());
    let (cb, rtb, evb) = (&b.control.clone(), &b.runtime.clone(), &b.events.clone());

    // The whole flow through A.
    let g = create_group(ca, "rep", Some(&tmp.path().join("csv"))).await;
    let sol = create_solution(ca, &g.dsg, "rep-up", "aws-user-personalization").await;
    let sv = train(ca, &sol).await;
    let exploit = CampaignConfig::builder().item_exploration_config("explorationWeight", "0").build();
    let campaign = create_campaign(ca, "rep-up", &sv, exploit).await;
    let tracking_id = create_tracker(ca, "rep-tracker", &g.dsg).await;
    let not_b = create_filter(ca, &g.dsg, "rep-not-b", r#"EXCLUDE ItemID WHERE Items.GENRE IN ("B")"#).await;
    let unclicked =
        create_filter(ca, &g.dsg, "rep-unclicked", r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")"#)
            .await;
    let segment_a = create_filter(
        ca,
        &g.dsg,
        "rep-seg-a",
        r#"INCLUDE ItemID WHERE Items.GENRE IN ("A") IF CurrentUser.SEGMENT IN ("a")"#,
    )
    .await;
    let only_new = create_filter(ca, &g.dsg, "rep-only-new", r#"INCLUDE ItemID WHERE Items.GENRE IN ("N")"#).await;

    // B serves it: the campaign, and the filter created on A.
    let described = ok(cb.describe_campaign().campaign_arn(&campaign).send().await, "DescribeCampaign on B");
    assert_eq!(described.campaign().and_then(|c| c.status()), Some("ACTIVE"));
    let before = recs(rtb, &campaign, "user-r", 10).await;
    assert_eq!(count(&before, 'b'), 10, "a new user gets the (group B) popular items on B: {before:?}");
    let filtered = recommend(rtb, &campaign, "user-r", Some(&not_b)).await.unwrap();
    assert!(filtered.len() == 10 && count(&filtered, 'a') == 10, "the filter made on A applies on B: {filtered:?}");

    // An event put on A changes B's next recommendations.
    put_events(eva, &tracking_id, Some("user-r"), "sess-r", clicks(&a_items(0..5), 0)).await;
    within_propagation("5 clicks put on A", || async { leans(&recs(rtb, &campaign, "user-r", 10).await, 'a') }).await;

    // Clicks put on A and B in turn for one user: each replica applies its own at once and the
    // other's from the feed, so both know all ten (a catch-up skips no chunk stored between two
    // of its own). With every item asked for, only the clicked ones are missing.
    let clicked = a_items(10..20);
    for (k, item) in clicked.iter().enumerate() {
        let ev = if k % 2 == 0 { eva } else { evb };
        put_events(ev, &tracking_id, Some("user-s"), "sess-s", clicks(std::slice::from_ref(item), 100 + k as i64))
            .await;
    }
    for (replica, rt) in [("A", rta), ("B", rtb)] {
        within_propagation(&format!("clicks put on A and B, on {replica}"), || async {
            let all = recommend_n(rt, &campaign, "user-s", Some(&unclicked), 100).await.unwrap();
            all.len() == 50 && !all.iter().any(|i| clicked.contains(i))
        })
        .await;
    }

    // An item put on A is known on B (to its filter tables and to the campaign's model).
    assert_eq!(recommend(rtb, &campaign, "user-r", Some(&only_new)).await.unwrap(), Vec::<String>::new());
    let item = Item::builder().item_id("n-new").properties(r#"{"genre":"N","creationTimestamp":1700000000}"#);
    ok(eva.put_items().dataset_arn(&g.items).items(item.build().unwrap()).send().await, "PutItems on A");
    within_propagation("an item put on A", || async {
        recommend(rtb, &campaign, "user-r", Some(&only_new)).await.unwrap() == ["n-new"]
    })
    .await;

    // A user put on A is known on B (to its filter tables): the IF clause now holds for them.
    let unknown = recommend(rtb, &campaign, "user-t", Some(&segment_a)).await.unwrap();
    assert_eq!(count(&unknown, 'b'), 10, "the IF clause does not hold for a user B does not know: {unknown:?}");
    let user = User::builder().user_id("user-t").properties(r#"{"age":30,"segment":"a"}"#);
    ok(eva.put_users().dataset_arn(&g.users).users(user.build().unwrap()).send().await, "PutUsers on A");
    within_propagation("a user put on A", || async {
        count(&recommend(rtb, &campaign, "user-t", Some(&segment_a)).await.unwrap(), 'a') == 10
    })
    .await;

    // A campaign updated on A (its model now returns metadata): B loads the new deployment in the
    // background and swaps it in.
    let with_metadata = || {
        rtb.get_recommendations()
            .campaign_arn(&campaign)
            .user_id("user-r")
            .metadata_columns("ITEMS", vec!["GENRE".into()])
            .send()
    };
    expect_code(with_metadata().await, "InvalidInputException", "metadataColumns before the update");
    let config = CampaignConfig::builder()
        .item_exploration_config("explorationWeight", "0")
        .enable_metadata_with_recommendations(true)
        .build();
    ok(ca.update_campaign().campaign_arn(&campaign).campaign_config(config).send().await, "UpdateCampaign on A");
    let started = Instant::now();
    loop {
        let described = ok(ca.describe_campaign().campaign_arn(&campaign).send().await, "DescribeCampaign on A");
        let update = described.campaign().and_then(|c| c.latest_campaign_update()).and_then(|u| u.status());
        if update == Some("ACTIVE") {
            break;
        }
        assert!(started.elapsed() < WAIT, "the update is {update:?} after {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    within_propagation("a campaign updated on A", || async { with_metadata().await.is_ok() }).await;

    // A filter deleted on A is refused by B.
    ok(ca.delete_filter().filter_arn(&not_b).send().await, "DeleteFilter on A");
    within_propagation("a filter deleted on A", || async {
        recommend(rtb, &campaign, "user-r", Some(&not_b)).await.is_err()
    })
    .await;

    // A campaign deleted on A: B refuses it, with ResourceNotFound once the deletion is done.
    ok(ca.delete_campaign().campaign_arn(&campaign).send().await, "DeleteCampaign on A");
    let refused = Arc::new(std::sync::atomic::AtomicBool::new(false));
    within_propagation("a campaign deleted on A", || {
        let (answer, refused) = (recommend(rtb, &campaign, "user-r", None), refused.clone());
        async move {
            let answer = answer.await;
            let before = refused.fetch_or(answer.is_err(), std::sync::atomic::Ordering::Relaxed);
            assert!(answer.is_err() || !before, "B served the deleted campaign after refusing it: {answer:?}");
            answer == Err("ResourceNotFoundException".to_string())
        }
    })
    .await;
    for log in [&a.log, &b.log] {
        let text = std::fs::read_to_string(log).unwrap();
        assert!(!text.contains("panicked"), "{}:\n{text}", log.display());
    }
}

/// The sessions of the stored put events (each PutEvents call below has a session of its own).
async fn stored_sessions(url: &str, dataset_arn: &str) -> HashSet<String> {
    let (url, dataset_arn) = (url.to_string(), dataset_arn.to_string());
    tokio::task::spawn_blocking(move || {
        let store = PgStore::open(&url).unwrap();
        let mut sessions = HashSet::new();
        for chunk in store.read_records_after(&dataset_arn, RecordSource::Put, 0).unwrap() {
            // The group has no KMS key: chunks are stored unsealed.
            let batch = reko_dataset::RecordBatch::decode(&chunk.data).unwrap();
            sessions.extend((0..batch.len()).filter_map(|r| batch.str_value("_SESSION_ID", r).map(str::to_string)));
        }
        assert!(store.get_resource(&dataset_arn).unwrap().is_some());
        sessions
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_under_put_events_load_loses_no_acknowledged_event() {
    let Some(db) = TestDatabase::create() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let args = ["--database-url", db.url()];
    let mut a = Server::start_with(&tmp.path().join("data-a"), &args);
    let b = Server::start_with(&tmp.path().join("data-b"), &args);
    let g = create_group(&a.control, "kill", None).await;
    let tracking_id = create_tracker(&a.control, "kill-tracker", &g.dsg).await;

    // Four clients put events on A in a loop, each call a session of its own, and record the
    // calls A acknowledged.
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let attempted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let clients: Vec<_> = (0..4)
        .map(|t| {
            let (ev, tracking_id) = (a.events.clone(), tracking_id.clone());
            let (acknowledged, attempted) = (acknowledged.clone(), attempted.clone());
            tokio::spawn(async move {
                for n in 0.. {
                    let session = format!("k{t}-{n}");
                    let event = Event::builder()
                        .event_type("click")
                        .item_id(format!("i-{}", n % 7))
                        .sent_at(DateTime::from_secs(1_700_000_000 + n))
                        .build()
                        .unwrap();
                    attempted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let put = ev.put_events().tracking_id(&tracking_id).user_id("u").session_id(&session);
                    match put.event_list(event).send().await {
                        Ok(_) => acknowledged.lock().unwrap().push(session),
                        // A is gone: this call may or may not have been stored.
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    // Under load for a while, then kill -9.
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 200 && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.kill();
    for c in clients {
        c.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 200, "only {} calls acknowledged before the kill", acknowledged.len());

    let dataset = arn("dataset", "kill/INTERACTIONS");
    let stored = stored_sessions(db.url(), &dataset).await;
    let lost: Vec<&String> = acknowledged.iter().filter(|s| !stored.contains(*s)).collect();
    assert!(lost.is_empty(), "{} acknowledged events lost: {lost:?}", lost.len());
    let attempted = attempted.load(std::sync::atomic::Ordering::Relaxed);
    assert!(stored.len() <= attempted, "{} stored of {attempted} attempted", stored.len());
    println!("{} acknowledged, {} stored, {attempted} attempted", acknowledged.len(), stored.len());
    // B takes over: it accepts events for the group and its store has them.
    put_events(&b.events, &tracking_id, Some("u"), "after-kill", clicks(&a_items(0..1), 0)).await;
    assert!(stored_sessions(db.url(), &dataset).await.contains("after-kill"));
}
