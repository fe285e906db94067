//! The interactions an interaction filter sees per user and event type: the newest 100 by
//! default (Personalize's quota), more with `--filter-interactions-per-type`.

use super::*;

/// Items of the catalogue; the buyer purchased the first [`PURCHASES`].
const WINDOW_ITEMS: usize = 150;
const PURCHASES: usize = 124;

fn window_item(i: usize) -> String {
    format!("w{i:03}")
}

/// 40 users clicking 30 items each (every item clicked 8 times) and a buyer purchasing
/// w000..w123, one a minute in that order (so w024..w123 are the newest 100).
fn write_window_interactions(path: &std::path::Path) {
    use std::fmt::Write as _;
    let mut csv = String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
    for u in 0..40 {
        for k in 0..30 {
            writeln!(csv, "o{u:02},{},click,{}", window_item((u * 30 + k) % WINDOW_ITEMS), BASE_TS + k as i64).unwrap();
        }
    }
    for j in 0..PURCHASES {
        writeln!(csv, "buyer,{},purchase,{}", window_item(j), BASE_TS + 60 * j as i64).unwrap();
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, csv).unwrap();
}

/// The buyer's purchased items a purchase-excluding filter lets through.
async fn purchases_let_through(rt: &aws_sdk_personalizeruntime::Client, campaign: &str, filter: &str) -> Vec<String> {
    let got = list(get(rt, campaign, Some("buyer"), 500, Some(filter), &[]).await, "purchases excluded");
    let mut through: Vec<String> = got.into_iter().filter(|i| i[1..].parse::<usize>().unwrap() < PURCHASES).collect();
    through.sort();
    through
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_interaction_filter_window_is_a_server_setting() {
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    let mut server = Server::start(&data_dir);
    let (c, rt) = (&server.control.clone(), &server.runtime.clone());
    let dsg = create_dataset_group(c, "win").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(c, "win-int", INTERACTIONS_SCHEMA).await;
    let ds = create_dataset(c, &dsg, "win", "win-int", "Interactions", &schema).await;
    let csv = tmp.path().join("csv").join("interactions.csv");
    write_window_interactions(&csv);
    let job = import(c, "win-int", &ds, &file_url(&csv), None).await;
    wait_active(c, &Res::ImportJob(job)).await;
    let sol = create_solution(c, &dsg, "win-pop", "aws-popularity-count").await;
    let version = train(c, &sol).await;
    let campaign = create_campaign(c, "win-pop", &version, CampaignConfig::builder().build()).await;
    let filter =
        create_filter(c, &dsg, "win-purchase", r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")"#).await;

    // Unfiltered, the whole catalogue comes back, purchased items included.
    let all = list(get(rt, &campaign, Some("buyer"), 500, None, &[]).await, "unfiltered");
    assert_eq!(all.len(), WINDOW_ITEMS, "{all:?}");
    // Default: only the newest 100 purchases are excluded; the 24 oldest come back.
    let oldest: Vec<String> = (0..PURCHASES - 100).map(window_item).collect();
    assert_eq!(purchases_let_through(rt, &campaign, &filter).await, oldest);

    // The same data, served with a window of 200: all 124 purchases are excluded.
    server.kill();
    let server = Server::start_with(&data_dir, &["--filter-interactions-per-type", "200"]);
    let through = purchases_let_through(&server.runtime, &campaign, &filter).await;
    assert!(through.is_empty(), "purchases not excluded with a window of 200: {through:?}");
    drop(server);

    // Out of range: the server refuses to start, naming the setting and the value.
    for bad in ["0", "10001"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_reko"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(tmp.path().join("refused"))
            .args(["--filter-interactions-per-type", bad])
            .env("REKO_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("REKO_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "reko serve started with --filter-interactions-per-type {bad}");
        assert!(
            stderr.contains("--filter-interactions-per-type") && stderr.contains(&format!("got {bad}")),
            "{stderr}"
        );
    }
}
