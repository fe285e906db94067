//! Automatic training through the wire (docs/compatibility.md, "Automatic training"): the
//! official AWS SDK for Rust against a real `reko serve` whose scheduler clock is shifted through
//! `clock_offset_file` (the operator's setting; nothing over HTTP moves it).
//!
//! A solution training itself daily (`rate(1 day)`) skips its first due run (no data since the
//! manual version), then trains an AUTOMATIC version once events were put; a campaign created on
//! `{solutionArn}/$LATEST` switches to it while GetRecommendations keeps answering. UpdateSolution
//! moves the schedule to three days and changes the events configuration, which a restart keeps
//! and the next automatic version uses.

use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_personalize::types::{
    AutoTrainingConfig, CampaignConfig, EventParameters, EventsConfig, SolutionConfig, SolutionUpdateConfig,
};
use aws_sdk_personalize::Client;
use aws_sdk_personalizeevents::primitives::DateTime;
use aws_sdk_personalizeevents::types::Event;

use crate::common::*;

const INTERACTIONS: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const HOUR: f64 = 3600.0;
const DAY: f64 = 86_400.0;

fn start(data_dir: &Path, clock: &Path) -> Server {
    let clock = clock.to_str().unwrap();
    Server::start_with_env(data_dir, &[], &[("REKO_CLOCK_OFFSET_FILE", clock), ("REKO_SCHEDULER_INTERVAL_SECS", "1")])
}

fn shift_clock(clock: &Path, secs: f64) {
    std::fs::write(clock, format!("{secs}")).unwrap();
}

async fn versions(c: &Client, solution: &str) -> Vec<aws_sdk_personalize::types::SolutionVersionSummary> {
    ok(c.list_solution_versions().solution_arn(solution).send().await, "ListSolutionVersions")
        .solution_versions
        .unwrap_or_default()
}

/// Waits for the solution's `count`th version, then for it to be ACTIVE; returns its ARN.
async fn wait_version(c: &Client, solution: &str, count: usize) -> String {
    let started = Instant::now();
    loop {
        let listed = versions(c, solution).await;
        assert!(listed.len() <= count, "more versions than expected: {listed:?}");
        if listed.len() == count {
            let arn = listed[0].solution_version_arn().unwrap().to_string();
            wait_active(c, &Res::SolutionVersion(arn.clone())).await;
            return arn;
        }
        assert!(started.elapsed() < WAIT, "no version {count} of {solution} after {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn put_clicks(server: &Server, tracking_id: &str, user: &str, items: &[&str]) {
    let events: Vec<Event> = items
        .iter()
        .enumerate()
        .map(|(k, item)| {
            let at = DateTime::from_secs(1_700_100_000 + k as i64);
            Event::builder().event_type("click").item_id(*item).sent_at(at).build().unwrap()
        })
        .collect();
    let put = server.events.put_events().tracking_id(tracking_id).user_id(user).session_id(user);
    ok(put.set_event_list(Some(events)).send().await, "PutEvents");
}

async fn recommend(server: &Server, campaign: &str) -> Vec<String> {
    let out = server.runtime.get_recommendations().campaign_arn(campaign).user_id("u1").num_results(5).send().await;
    ids(ok(out, "GetRecommendations").item_list())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_solution_retrains_itself_and_a_latest_campaign_follows() {
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    let clock = tmp.path().join("clock");
    let mut server = start(&data_dir, &clock);
    let c = server.control.clone();

    // ---- a group with data and a solution training itself daily ------------------------------
    let g = create_dataset_group(&c, "auto").await;
    wait_active(&c, &Res::DatasetGroup(g.clone())).await;
    let schema = create_schema(&c, "auto-interactions", INTERACTIONS).await;
    let dataset = create_dataset(&c, &g, "auto", "auto-interactions", "Interactions", &schema).await;
    let mut rows = String::from("USER_ID,EVENT_TYPE,ITEM_ID,TIMESTAMP\n");
    for k in 0..1200 {
        rows.push_str(&format!("u{},click,i{},{}\n", k % 60, (k * 7 + k / 60) % 40, 1_700_000_000 + k));
    }
    std::fs::write(tmp.path().join("interactions.csv"), rows).unwrap();
    let job = import(&c, "auto-import", &dataset, &file_url(&tmp.path().join("interactions.csv")), None).await;
    wait_active(&c, &Res::ImportJob(job)).await;
    let tracking_id = create_tracker(&c, "auto-tracker", &g).await;

    let daily = SolutionConfig::builder()
        .auto_training_config(AutoTrainingConfig::builder().scheduling_expression("rate(1 day)").build())
        .build();
    let created = c
        .create_solution()
        .name("auto-sol")
        .dataset_group_arn(&g)
        .recipe_arn(POPULARITY_RECIPE)
        .solution_config(daily)
        .send()
        .await;
    let solution = ok(created, "CreateSolution").solution_arn().unwrap().to_string();
    wait_active(&c, &Res::Solution(solution.clone())).await;
    let described =
        ok(c.describe_solution().solution_arn(&solution).send().await, "DescribeSolution").solution.unwrap();
    assert_eq!(described.perform_auto_training(), Some(true), "Personalize's default");
    let expression = described.solution_config().and_then(|s| s.auto_training_config()).unwrap();
    assert_eq!(expression.scheduling_expression(), Some("rate(1 day)"));

    // A manual version, served by a campaign that follows the latest version.
    let manual = train(&c, &solution).await;
    assert_eq!(versions(&c, &solution).await[0].training_type().map(|t| t.as_str()), Some("MANUAL"));
    let latest = format!("{solution}/$LATEST");
    let follow = CampaignConfig::builder().sync_with_latest_solution_version(true).build();
    let refused = c.create_campaign().name("auto-c").solution_version_arn(&latest).send().await;
    let msg = expect_code(refused, "InvalidInputException", "$LATEST without syncWithLatestSolutionVersion");
    assert!(msg.contains("syncWithLatestSolutionVersion"), "{msg}");
    let refused =
        c.create_campaign().name("auto-c").solution_version_arn(&manual).campaign_config(follow.clone()).send().await;
    let msg = expect_code(refused, "InvalidInputException", "syncWithLatestSolutionVersion with a version ARN");
    assert!(msg.contains("$LATEST"), "{msg}");
    let campaign = create_campaign(&c, "auto-c", &latest, follow).await;
    let serving = |c: Client, campaign: String| async move {
        let out = ok(c.describe_campaign().campaign_arn(&campaign).send().await, "DescribeCampaign");
        out.campaign.unwrap().solution_version_arn().unwrap().to_string()
    };
    assert_eq!(serving(c.clone(), campaign.clone()).await, manual, "the newest ACTIVE version is deployed");
    assert!(!recommend(&server, &campaign).await.is_empty());

    // ---- the first run (an hour after creation): no data since the manual version, skipped ----
    shift_clock(&clock, 2.0 * HOUR);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(versions(&c, &solution).await.len(), 1, "nothing new to train on");

    // ---- events arrive; the next run (a day later) trains an AUTOMATIC version -----------------
    put_clicks(&server, &tracking_id, "fresh-user", &["i1", "i2", "i3"]).await;
    shift_clock(&clock, DAY + 2.0 * HOUR);
    let automatic = wait_version(&c, &solution, 2).await;
    let v = ok(c.describe_solution_version().solution_version_arn(&automatic).send().await, "DescribeSolutionVersion")
        .solution_version
        .unwrap();
    assert_eq!(v.training_type().map(|t| t.as_str()), Some("AUTOMATIC"));
    assert_eq!(v.training_mode().map(|m| m.as_str()), Some("AUTOTRAIN"));

    // The campaign switches to it; recommendations never stop meanwhile.
    let started = Instant::now();
    while serving(c.clone(), campaign.clone()).await != automatic {
        assert!(!recommend(&server, &campaign).await.is_empty(), "the previous model keeps answering");
        assert!(started.elapsed() < WAIT, "campaign did not follow {automatic}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_active(&c, &Res::CampaignUpdate(campaign.clone())).await;
    assert!(!recommend(&server, &campaign).await.is_empty());

    // ---- UpdateSolution: every three days, clicks weighted --------------------------------------
    let refused = c.update_solution().solution_arn(&solution).perform_incremental_update(true).send().await;
    let msg = expect_code(refused, "InvalidInputException", "performIncrementalUpdate=true");
    assert!(msg.contains("performIncrementalUpdate"), "{msg}");
    let events = EventsConfig::builder()
        .event_parameters_list(EventParameters::builder().event_type("click").weight(1.0).build())
        .build();
    let change = SolutionUpdateConfig::builder()
        .auto_training_config(AutoTrainingConfig::builder().scheduling_expression("rate(3 days)").build())
        .events_config(events)
        .build();
    ok(c.update_solution().solution_arn(&solution).solution_update_config(change).send().await, "UpdateSolution");
    let started = Instant::now();
    let updated = loop {
        let s = ok(c.describe_solution().solution_arn(&solution).send().await, "DescribeSolution").solution.unwrap();
        let update = s.latest_solution_update().expect("latestSolutionUpdate");
        if update.status() == Some("ACTIVE") {
            break s;
        }
        assert!(started.elapsed() < WAIT, "solution update is {:?}", update.status());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let config = updated.solution_config().unwrap();
    assert_eq!(config.auto_training_config().unwrap().scheduling_expression(), Some("rate(3 days)"));
    assert_eq!(config.events_config().unwrap().event_parameters_list()[0].event_type(), Some("click"));
    let update = updated.latest_solution_update().unwrap();
    assert_eq!(update.perform_auto_training(), Some(true));

    // ---- a restart keeps the new schedule: the old daily one would be due now ----------------------
    server.stop();
    let server = start(&data_dir, &clock);
    let c = server.control.clone();
    put_clicks(&server, &tracking_id, "later-user", &["i4", "i5"]).await;
    shift_clock(&clock, 2.0 * DAY + 3.0 * HOUR);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(versions(&c, &solution).await.len(), 2, "not due before three days");
    shift_clock(&clock, 4.0 * DAY + 3.0 * HOUR);
    let third = wait_version(&c, &solution, 3).await;
    let v = ok(c.describe_solution_version().solution_version_arn(&third).send().await, "DescribeSolutionVersion")
        .solution_version
        .unwrap();
    assert_eq!(v.training_type().map(|t| t.as_str()), Some("AUTOMATIC"));
    let events = v.solution_config().and_then(|s| s.events_config()).expect("the updated eventsConfig");
    assert_eq!(events.event_parameters_list()[0].weight(), Some(1.0));
    let started = Instant::now();
    while serving(c.clone(), campaign.clone()).await != third {
        assert!(!recommend(&server, &campaign).await.is_empty());
        assert!(started.elapsed() < WAIT, "campaign did not follow {third} after the restart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
