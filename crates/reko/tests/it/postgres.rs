//! A server on the PostgreSQL store (`--database-url`): the resources, records and events live in
//! the database (nothing in the data directory's `reko.db`) and survive a restart of the server
//! on the same database. Skipped, saying so, when no PostgreSQL answers (unless `CI` is set:
//! reko_storage::testing).

use crate::common::*;
use crate::events::{a_items, clicks, count, create_group, leans, put_events, recs};
use aws_sdk_personalize::types::CampaignConfig;
use reko_storage::testing::TestDatabase;
use reko_storage::{Catalog, PgStore, RecordSource, RecordStore};

/// What the database holds, read with the store itself (off the async threads: the PostgreSQL
/// client blocks).
async fn stored(url: &str) -> (Vec<String>, usize, usize) {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || {
        let store = PgStore::open(&url).unwrap();
        let campaigns = store.list_resources("campaign", None).unwrap().into_iter().map(|r| r.arn).collect();
        let jobs = store.list_resources("dataset-import-job", None).unwrap().len();
        let put = store.read_records_after(&arn("dataset", "pg/INTERACTIONS"), RecordSource::Put, 0).unwrap();
        (campaigns, jobs, put.iter().map(|c| c.rows as usize).sum())
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_on_postgresql_keeps_resources_and_events_across_a_restart() {
    let Some(db) = TestDatabase::create() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    let args = ["--database-url", db.url()];
    let mut server = Server::start_with(&data_dir, &args);
    let c = &server.control.clone();

    let g = create_group(c, "pg", Some(&tmp.path().join("csv"))).await;
    let sol = create_solution(c, &g.dsg, "pg-up", "aws-user-personalization").await;
    let sv = train(c, &sol).await;
    let exploit = CampaignConfig::builder().item_exploration_config("explorationWeight", "0").build();
    let campaign = create_campaign(c, "pg-up", &sv, exploit).await;
    let tracking_id = create_tracker(c, "pg-tracker", &g.dsg).await;

    let (rt, ev) = (&server.runtime.clone(), &server.events.clone());
    let before = recs(rt, &campaign, "user-p", 10).await;
    assert_eq!(count(&before, 'b'), 10, "a new user gets the (group B) popular items: {before:?}");
    put_events(ev, &tracking_id, Some("user-p"), "sess-p", clicks(&a_items(0..5), 0)).await;
    let after = recs(rt, &campaign, "user-p", 10).await;
    assert!(leans(&after, 'a'), "after 5 clicks on group A the list leans to group A: {after:?}");

    // Everything is in the database, nothing in an embedded one.
    assert!(!data_dir.join("reko.db").exists(), "the server wrote data_dir/reko.db");
    let (campaigns, jobs, put_rows) = stored(db.url()).await;
    assert_eq!((campaigns, jobs, put_rows), (vec![campaign.clone()], 3, 5));

    // A restart on the same database: the resources, the model and the events are all there.
    server.stop();
    let first_log = server.log.clone();
    server = Server::start_with(&data_dir, &args);
    let (c, rt, ev) = (&server.control.clone(), &server.runtime.clone(), &server.events.clone());
    let described = ok(c.describe_campaign().campaign_arn(&campaign).send().await, "DescribeCampaign");
    assert_eq!(described.campaign().and_then(|x| x.status()), Some("ACTIVE"));
    let listed = ok(c.list_solution_versions().solution_arn(&sol).send().await, "ListSolutionVersions");
    let versions: Vec<_> = listed.solution_versions().iter().filter_map(|v| v.solution_version_arn()).collect();
    assert_eq!(versions, [sv.as_str()]);
    assert_eq!(recs(rt, &campaign, "user-p", 10).await, after, "user-p's recommendations after the restart");
    // The tracker takes events after the restart, and they are stored beside the earlier ones.
    put_events(ev, &tracking_id, Some("user-q"), "sess-q", clicks(&a_items(5..10), 0)).await;
    assert!(leans(&recs(rt, &campaign, "user-q", 10).await, 'a'));
    assert_eq!(stored(db.url()).await.2, 10);
    server.stop();
    // `reko usage` reads the usage the two runs flushed from the database (no data directory
    // named): the four GetRecommendations calls on the campaign.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reko"))
        .args(["usage", "--format", "json", "--database-url", db.url(), "--data-dir"])
        .arg(tmp.path().join("no-such-dir"))
        .output()
        .unwrap();
    assert!(out.status.success(), "reko usage: {}", String::from_utf8_lossy(&out.stderr));
    let usage: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = usage["usage"].as_array().unwrap().iter().filter(|r| r["campaignName"] == "pg-up");
    assert_eq!(rows.map(|r| r["requests"].as_u64().unwrap()).sum::<u64>(), 4, "{usage}");
    // No store call panicked on an async thread (the PostgreSQL client refuses them), in either run.
    for log in [first_log, server.log.clone()] {
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(!text.contains("panicked"), "{}:\n{text}", log.display());
    }
}
