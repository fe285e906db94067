//! Crash safety, tested by killing `reko serve` for real (SIGKILL, no shutdown) and starting it
//! again on the same data directory:
//!
//! * under sustained PutEvents load, every event that got a 200 is there after the restart
//!   (counted through a dataset export of the put records), and none is stored twice (the store's
//!   row count equals the export's distinct rows);
//! * during an import job: after the restart the job runs again to ACTIVE with every row, and
//!   no partial import was ever visible; no resource stays IN_PROGRESS;
//! * during training and during a campaign update: the version trains to a final status after the
//!   restart, and the campaign keeps serving its previous model before, during and after.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_personalizeevents::primitives::DateTime;
use aws_sdk_personalizeevents::types::Event;
use common::*;

const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;

/// `rows` interactions of `users` users over 500 items.
fn write_interactions(path: &Path, users: usize, rows: usize) {
    use std::fmt::Write as _;
    let mut csv = String::from("USER_ID,ITEM_ID,TIMESTAMP\n");
    for r in 0..rows {
        let u = r % users;
        writeln!(csv, "u{u},i{},{}", (u * 7 + r / users * 13) % 500, 1_700_000_000 + r).unwrap();
    }
    std::fs::write(path, csv).unwrap();
}

/// A group with an Interactions dataset; returns (group, dataset).
async fn group(c: &aws_sdk_personalize::Client, name: &str) -> (String, String) {
    let dsg = create_dataset_group(c, name).await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(c, &format!("{name}-schema"), SCHEMA).await;
    let ds = create_dataset(c, &dsg, name, &format!("{name}-interactions"), "Interactions", &schema).await;
    (dsg, ds)
}

/// Exports a dataset's records (`mode`) to a local folder; returns the data rows.
async fn export_rows(c: &aws_sdk_personalize::Client, name: &str, ds: &str, mode: &str, dir: &Path) -> Vec<String> {
    export_dataset(c, name, ds, mode, dir).await.into_iter().skip(1).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_events_survive_a_kill() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = Server::start(&data);
    let c = server.control.clone();
    let (dsg, ds) = group(&c, "crash-events").await;
    let tracking = create_tracker(&c, "crash-tracker", &dsg).await;

    // Eight writers send one event per call, each with a unique item id, until the server dies.
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..8 {
        let (events, tracking, acked, stop) = (server.events.clone(), tracking.clone(), acked.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let item = format!("w{w}-e{n}");
                n += 1;
                let event = Event::builder()
                    .event_type("click")
                    .item_id(&item)
                    .sent_at(DateTime::from_secs(1_700_000_000 + n as i64))
                    .build()
                    .unwrap();
                let sent = events
                    .put_events()
                    .tracking_id(&tracking)
                    .user_id(format!("user{w}"))
                    .session_id(format!("s{w}"))
                    .event_list(event)
                    .send()
                    .await;
                match sent {
                    Ok(_) => acked.lock().unwrap().push(item),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let acked: BTreeSet<String> = acked.lock().unwrap().iter().cloned().collect();
    assert!(acked.len() > 100, "the load ran: {} events acknowledged", acked.len());

    let server = Server::start(&data);
    let rows = export_rows(&server.control, "crash-events-export", &ds, "PUT", &tmp.path().join("export")).await;
    let stored: BTreeSet<String> = rows.iter().filter_map(|r| r.split(',').nth(1).map(str::to_string)).collect();
    let lost: Vec<&String> = acked.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged events lost, e.g. {:?}",
        lost.len(),
        acked.len(),
        &lost[..lost.len().min(5)]
    );
    // Every event sent was distinct, so the export (which collapses exact duplicates, as
    // Personalize's does) has one row per event stored; the store's own count of put rows must be
    // the same, or some event was committed twice.
    let db = rusqlite::Connection::open_with_flags(data.join("reko.db"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    let committed: i64 = db
        .query_row(
            "SELECT COALESCE(SUM(rows), 0) FROM record_chunks WHERE dataset_arn = ?1 AND source = 'put'",
            [&ds],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        committed as usize,
        rows.len(),
        "events committed twice: {committed} rows stored, {} distinct",
        rows.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_import_runs_again_and_is_never_partly_visible() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let csv = tmp.path().join("interactions.csv");
    // Large enough that the streaming import is still running a moment after it starts.
    const ROWS: usize = 1_500_000;
    write_interactions(&csv, 3_000, ROWS);
    let mut server = Server::start(&data);
    let c = server.control.clone();
    let (_, ds) = group(&c, "crash-import").await;
    let job = import(&c, "crash-import", &ds, &file_url(&csv), None).await;
    // Kill while the job is in progress.
    let start = Instant::now();
    loop {
        let (status, _) = describe_status(&c, &Res::ImportJob(job.clone())).await.unwrap();
        if status == "CREATE IN_PROGRESS" {
            break;
        }
        assert_eq!(status, "CREATE PENDING");
        assert!(start.elapsed() < WAIT);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (at_kill, _) = describe_status(&c, &Res::ImportJob(job.clone())).await.unwrap();
    server.kill();
    assert_eq!(at_kill, "CREATE IN_PROGRESS", "the import must still be running when the server is killed");

    let server = Server::start(&data);
    let c = server.control.clone();
    // Before the re-run finishes, no row is visible; afterwards all of them.
    let (status, reason) = wait_settled(&c, &Res::ImportJob(job), WAIT).await;
    assert_eq!(status, "ACTIVE", "{reason:?}");
    let rows = export_rows(&c, "crash-import-export", &ds, "BULK", &tmp.path().join("export")).await;
    assert_eq!(rows.len(), ROWS, "every row once (an interrupted import leaves nothing behind)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn training_and_campaign_updates_survive_a_kill() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let csv = tmp.path().join("interactions.csv");
    write_interactions(&csv, 2_000, 60_000);
    let mut server = Server::start(&data);
    let c = server.control.clone();
    let (dsg, ds) = group(&c, "crash-train").await;
    wait_active(&c, &Res::ImportJob(import(&c, "crash-train", &ds, &file_url(&csv), None).await)).await;
    let sol = create_solution(&c, &dsg, "crash-up", "aws-user-personalization").await;
    let v1 = train(&c, &sol).await;
    let campaign = deploy(&c, "crash-campaign", &v1).await;
    let recommend = |rt: aws_sdk_personalizeruntime::Client, campaign: String| async move {
        let out = rt.get_recommendations().campaign_arn(campaign).user_id("u1").num_results(5).send().await;
        out.map(|o| o.item_list().len())
    };
    assert_eq!(recommend(server.runtime.clone(), campaign.clone()).await.unwrap(), 5);

    // Kill during training.
    let v2 = ok(c.create_solution_version().solution_arn(&sol).send().await, "CreateSolutionVersion")
        .solution_version_arn()
        .unwrap()
        .to_string();
    let start = Instant::now();
    while describe_status(&c, &Res::SolutionVersion(v2.clone())).await.unwrap().0 != "CREATE IN_PROGRESS" {
        assert!(start.elapsed() < WAIT);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill();
    let mut server = Server::start(&data);
    let c = server.control.clone();
    // The campaign serves the previous model while the version trains again.
    assert_eq!(recommend(server.runtime.clone(), campaign.clone()).await.unwrap(), 5);
    let (status, reason) = wait_settled(&c, &Res::SolutionVersion(v2.clone()), WAIT).await;
    assert_eq!(status, "ACTIVE", "{reason:?}");

    // Kill during the campaign update.
    ok(c.update_campaign().campaign_arn(&campaign).solution_version_arn(&v2).send().await, "UpdateCampaign");
    assert_eq!(recommend(server.runtime.clone(), campaign.clone()).await.unwrap(), 5, "served during the update");
    server.kill();
    let server = Server::start(&data);
    let c = server.control.clone();
    assert_eq!(recommend(server.runtime.clone(), campaign.clone()).await.unwrap(), 5, "served after the restart");
    let (status, reason) = wait_settled(&c, &Res::CampaignUpdate(campaign.clone()), WAIT).await;
    assert_eq!(status, "ACTIVE", "{reason:?}");
    let (status, _) = describe_status(&c, &Res::Campaign(campaign.clone())).await.unwrap();
    assert_eq!(status, "ACTIVE");
    let described = ok(c.describe_campaign().campaign_arn(&campaign).send().await, "DescribeCampaign");
    assert_eq!(described.campaign().unwrap().solution_version_arn(), Some(v2.as_str()));
    assert_eq!(recommend(server.runtime.clone(), campaign).await.unwrap(), 5);
}
