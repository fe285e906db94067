//! The web console in a real browser: a real `reko serve` with a dataset group, an import, a
//! trained solution and a campaign, driven by headless Chromium through `tests/browser/run.mjs`
//! (playwright-core, Debian's `/usr/bin/chromium`): login (a wrong secret shows an error), the
//! overview, the dataset group page, the campaign page with its traffic charts and its try-it form
//! answering with 5 items (2 of them promoted), the solution, events and filters pages.
//! Full-page screenshots land in `target/browser-screenshots/`.
//!
//! Needs Node, `npm ci --prefix tests/browser` and Chromium, which `.ci/run` installs; without
//! them the test says SKIPPED and passes, so `cargo test` on a bare clone still passes.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const DAY: u64 = 86_400;
const START: u64 = 1_700_006_400; // a midnight UTC

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn chromium() -> PathBuf {
    std::env::var_os("REKO_CHROMIUM").map(PathBuf::from).unwrap_or_else(|| "/usr/bin/chromium".into())
}

/// Why the browser test cannot run here, if it cannot.
fn missing() -> Option<String> {
    let node = match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => return Some("no `node` on the PATH".into()),
    };
    // playwright-core 1.65 needs Node 20 or newer.
    let major = node.trim_start_matches('v').split('.').next().and_then(|m| m.parse::<u32>().ok());
    if major.is_none_or(|m| m < 20) {
        return Some(format!("Node {node}, playwright-core needs 20 or newer"));
    }
    if !workspace().join("tests/browser/node_modules/playwright-core/package.json").is_file() {
        return Some("no tests/browser/node_modules (npm ci --prefix tests/browser)".into());
    }
    let chromium = chromium();
    if !chromium.is_file() {
        return Some(format!("no Chromium at {}", chromium.display()));
    }
    None
}

/// Interactions over two weeks, more on some days than others, and a long tail of items: item
/// `iK` is picked about 1/(K+1) as often as `i0`.
fn interactions() -> String {
    let mut csv = String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
    let mut n = 0u64;
    for day in 0..14u64 {
        let events = 60 + (day * 37) % 90;
        for e in 0..events {
            let user = (n * 13) % 60;
            // A harmonic-ish draw over 40 items from a simple hash of n.
            let h = (n.wrapping_mul(2_654_435_761) >> 7) % 1000;
            let item = (1000 / (h + 25)).min(39);
            let item = 39 - item;
            csv.push_str(&format!("u{user},i{item},click,{}\n", START + day * DAY + e * 500));
            n += 1;
        }
    }
    csv
}

#[test]
fn the_console_works_in_a_real_browser() {
    if let Some(why) = missing() {
        println!("SKIPPED browser test: {why} (run .ci/run, which installs them)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let server = Server::start(&dir.join("data"));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let campaign = runtime.block_on(async {
        let c = &server.control;
        let schema = create_schema(c, "browser-interactions", SCHEMA).await;
        let file = dir.join("interactions.csv");
        std::fs::write(&file, interactions()).unwrap();
        let dsg = create_dataset_group(c, "browser").await;
        wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
        let dataset = create_dataset(c, &dsg, "browser", "browser-interactions", "Interactions", &schema).await;
        let job = import(c, "browser-import", &dataset, &file_url(&file), None).await;
        wait_active(c, &Res::ImportJob(job)).await;
        // The promotion's filter: items the user never clicked.
        create_filter(c, &dsg, "browser-unclicked", r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")"#)
            .await;
        let solution = create_solution(c, &dsg, "browser-pop", "aws-popularity-count").await;
        let version = train(c, &solution).await;
        deploy(c, "browser-campaign", &version).await
    });
    assert!(campaign.ends_with("browser-campaign"));

    let shots = workspace().join("target/browser-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    let out = Command::new("node")
        .arg(workspace().join("tests/browser/run.mjs"))
        .args([&server.url, ACCESS_KEY_ID, SECRET_ACCESS_KEY, "browser-campaign"])
        .arg(&shots)
        .args(["u1", "browser-unclicked"])
        .output()
        .expect("node runs");
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    println!("{log}");
    assert!(out.status.success(), "the browser test failed ({}):\n{log}", out.status);
    for name in ["overview.png", "group.png", "campaign.png", "solution.png", "events.png", "filters.png"] {
        let png = std::fs::read(shots.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000, "{name} is no screenshot");
    }
    drop(server);
}
