//! Serving benchmark: a `reko serve` process with a User-Personalization campaign over the
//! synthetic catalogue, driven over real HTTP by a load generator in this process (same machine).
//!
//! ```sh
//! cargo bench -p reko --bench serving
//! ```
//!
//! Setup (once per data directory; `REKO_BENCH_DIR` keeps it between runs, default
//! `target/bench-serving`): reko-synth data (`REKO_BENCH_USERS` 1,000,000, `REKO_BENCH_ITEMS`
//! 100,000, `REKO_BENCH_INTERACTIONS` 25,000,000, seed 42), imported, trained with default
//! settings and deployed through the AWS SDK, plus a filter and an event tracker.
//!
//! Scenarios (each `REKO_BENCH_SECONDS` long after 2 s of warm-up, `REKO_BENCH_CONNECTIONS`
//! keep-alive connections, closed loop):
//! 1. GetRecommendations, random known users (the first `REKO_BENCH_REQUEST_USERS`), numResults 25;
//!    then the same with requests signed before the run and replayed (as `wrk` replays a script
//!    of signed requests; at most 10,000 users);
//! 2. the same with `INCLUDE ItemID WHERE Items.CATEGORY IN ($C)` and a random category;
//! 3. PutEvents, 10 events per call for random users and items;
//! 4. read-your-writes: PutEvents for a fresh user, then GetRecommendations must reflect it;
//! 5. a batch inference job over `REKO_BENCH_BATCH_USERS` (100,000) users, exact top 25.
//!
//! The load generator speaks HTTP/1.1 over raw sockets (no SDK) so that it costs the shared
//! cores as little as possible; every request is SigV4-signed (AWS's `aws-sigv4` signer, as the
//! SDKs sign) and verified by the server, as in production.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use common::load::{drive, is_ready, item_ids, print, signed_request, Conn, Outgoing, Rng};
use common::{control, env, start_server, wait_active};

// ---- setup through the SDK ------------------------------------------------------------------

struct Setup {
    campaign: String,
    filter: String,
    tracking_id: String,
    users: usize,
    items: usize,
    categories: Vec<String>,
}

async fn setup(url: &str, dir: &Path) -> Setup {
    let cfg = reko_synth::SynthConfig {
        users: env("REKO_BENCH_USERS", 1_000_000),
        items: env("REKO_BENCH_ITEMS", 100_000),
        interactions: env("REKO_BENCH_INTERACTIONS", 25_000_000),
        ..reko_synth::SynthConfig::large()
    };
    let categories: Vec<String> = (0..cfg.categories).map(reko_synth::category_name).collect();
    let marker = dir.join("setup.json");
    if let Ok(text) = std::fs::read_to_string(&marker) {
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        return Setup {
            campaign: v["campaign"].as_str().unwrap().into(),
            filter: v["filter"].as_str().unwrap().into(),
            tracking_id: v["trackingId"].as_str().unwrap().into(),
            users: cfg.users,
            items: cfg.items,
            categories,
        };
    }
    let files_dir = dir.join("csv");
    std::fs::create_dir_all(&files_dir).unwrap();
    let t = Instant::now();
    let files = reko_synth::write_dataset_streaming(&files_dir, &cfg).unwrap();
    eprintln!("generated {} interactions in {:.1?}", cfg.interactions, t.elapsed());
    let c = control(url);
    let deployed = common::deploy_user_personalization(
        &c,
        "serving",
        &[
            ("Interactions", reko_synth::interactions_schema(), &files.interactions),
            ("Items", reko_synth::items_schema(), &files.items),
            ("Users", reko_synth::users_schema(), &files.users),
        ],
    )
    .await;
    let (group, campaign) = (deployed.group, deployed.campaign);
    let filter = c
        .create_filter()
        .name("serving-category")
        .dataset_group_arn(&group)
        .filter_expression("INCLUDE ItemID WHERE Items.CATEGORY IN ($C)")
        .send()
        .await
        .unwrap()
        .filter_arn
        .unwrap();
    wait_active("filter", || async {
        c.describe_filter().filter_arn(&filter).send().await.unwrap().filter.unwrap().status.unwrap()
    })
    .await;
    let tracking_id = common::create_tracker(&c, "serving", &group).await;
    let v = serde_json::json!({"campaign": campaign, "filter": filter, "trackingId": tracking_id});
    std::fs::write(&marker, v.to_string()).unwrap();
    // The CSVs are only needed for the import.
    let _ = std::fs::remove_dir_all(&files_dir);
    Setup { campaign, filter, tracking_id, users: cfg.users, items: cfg.items, categories }
}

// ---- the load generator ---------------------------------------------------------------------

/// One keep-alive HTTP/1.1 connection.
/// Runs a batch inference job over `count` known users and reports users per second (from
/// CreateBatchInferenceJob to ACTIVE, output written and fsynced).
async fn batch_inference(url: &str, dir: &Path, s: &Setup, count: usize) {
    let c = control(url);
    let campaign = c.describe_campaign().campaign_arn(&s.campaign).send().await.unwrap().campaign.unwrap();
    let sv = campaign.solution_version_arn.unwrap();
    let input = dir.join("batch-in");
    let output = dir.join(format!("batch-out-{}", std::process::id()));
    std::fs::create_dir_all(&input).unwrap();
    let mut text = String::with_capacity(count * 24);
    let mut rng = Rng(0x5EED);
    for _ in 0..count {
        text.push_str(&format!("{{\"userId\":\"{}\"}}\n", reko_synth::user_id(rng.below(s.users))));
    }
    std::fs::write(input.join("users.json"), text).unwrap();
    let t = Instant::now();
    let job = c
        .create_batch_inference_job()
        .job_name(format!("bench-{}", std::process::id()))
        .solution_version_arn(&sv)
        .num_results(25)
        .job_input(
            aws_sdk_personalize::types::BatchInferenceJobInput::builder()
                .s3_data_source(
                    aws_sdk_personalize::types::S3DataConfig::builder()
                        .path(format!("file://{}/", input.display()))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .job_output(
            aws_sdk_personalize::types::BatchInferenceJobOutput::builder()
                .s3_data_destination(
                    aws_sdk_personalize::types::S3DataConfig::builder()
                        .path(format!("file://{}/", output.display()))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .role_arn("arn:aws:iam::123456789012:role/bench")
        .send()
        .await
        .unwrap()
        .batch_inference_job_arn
        .unwrap();
    wait_active("batch inference job", || async {
        let j = c.describe_batch_inference_job().batch_inference_job_arn(&job).send().await.unwrap();
        j.batch_inference_job.unwrap().status.unwrap()
    })
    .await;
    let secs = t.elapsed().as_secs_f64();
    let lines = std::fs::read_to_string(output.join("users.json.out")).unwrap().lines().count();
    assert_eq!(lines, count);
    println!(
        "batch inference: {count} users, exact top-25 of {} items, in {secs:.1} s = {:.0} users/s (CreateBatchInferenceJob to ACTIVE)",
        s.items,
        count as f64 / secs
    );
    let _ = std::fs::remove_dir_all(&output);
}

fn main() {
    let dir: PathBuf = std::env::var("REKO_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-serving"));
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.canonicalize().unwrap();
    let server = start_server(&dir.join("data"), &[]);
    let url = server.url();
    // The load generator gets one thread: the server has the machine's cores.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let s = rt.block_on(setup(&url, &dir));
    let (connections, seconds) = (env("REKO_BENCH_CONNECTIONS", 8usize), env("REKO_BENCH_SECONDS", 15.0f64));
    println!(
        "reko serve at {url}; {} users, {} items; {connections} connections, {seconds} s per scenario, load average {}",
        s.users,
        s.items,
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );
    // After a restart on existing data the server loads its campaigns in the background; it says
    // when it is done on GET /ready, as a readiness probe would ask.
    let t = Instant::now();
    while !is_ready(&server.addr) {
        assert!(t.elapsed() < Duration::from_secs(600), "not ready after 10 minutes");
        std::thread::sleep(Duration::from_millis(50));
    }
    println!("GET /ready answered 200 after {:.1?}", t.elapsed());
    let t = Instant::now();
    rt.block_on(async {
        let mut conn = Conn::open(&server.addr).await;
        let body = format!(r#"{{"campaignArn":"{}","userId":"u1","numResults":25}}"#, s.campaign);
        assert_eq!(conn.post("/recommendations", &body).await.0, 200);
    });
    println!("first request: {:.1?}", t.elapsed());
    println!("| scenario | throughput | p50 | p99 | p99.9 | errors |");
    println!("|---|---:|---:|---:|---:|---:|");

    // `REKO_BENCH_REQUEST_USERS`: how many distinct users the recommendation scenarios cycle through.
    let (campaign, users) = (s.campaign.clone(), env("REKO_BENCH_REQUEST_USERS", s.users).clamp(1, s.users));
    let r = rt.block_on(drive(
        &server.addr,
        connections,
        seconds,
        Arc::new(move |rng: &mut Rng| {
            let user = reko_synth::user_id(rng.below(users));
            Outgoing::Sign(
                "/recommendations",
                format!(r#"{{"campaignArn":"{campaign}","userId":"{user}","numResults":25}}"#),
            )
        }),
    ));
    print("GetRecommendations (numResults 25)", &r, 1, "req");
    // The same users with requests signed before the run and replayed (what `wrk` with a script
    // of signed requests does): the server still verifies each one; the load generator no longer
    // spends the shared cores on signing.
    let campaign = s.campaign.clone();
    let presigned: Arc<Vec<Arc<Vec<u8>>>> = Arc::new(
        (0..users.min(10_000))
            .map(|u| {
                let body =
                    format!(r#"{{"campaignArn":"{campaign}","userId":"{}","numResults":25}}"#, reko_synth::user_id(u));
                Arc::new(signed_request(&server.addr, "/recommendations", &body))
            })
            .collect(),
    );
    let r = rt.block_on(drive(
        &server.addr,
        connections,
        seconds,
        Arc::new(move |rng: &mut Rng| Outgoing::Presigned(presigned[rng.below(presigned.len())].clone())),
    ));
    print("GetRecommendations (numResults 25), pre-signed", &r, 1, "req");

    let (campaign, filter, categories) = (s.campaign.clone(), s.filter.clone(), s.categories.clone());
    let r = rt.block_on(drive(
        &server.addr,
        connections,
        seconds,
        Arc::new(move |rng: &mut Rng| {
            let user = reko_synth::user_id(rng.below(users));
            let c = &categories[rng.below(categories.len())];
            let body = format!(
                r#"{{"campaignArn":"{campaign}","userId":"{user}","numResults":25,"filterArn":"{filter}","filterValues":{{"C":"\"{c}\""}}}}"#
            );
            Outgoing::Sign("/recommendations", body)
        }),
    ));
    print("GetRecommendations + Items filter with $C", &r, 1, "req");

    let (tracking, items, users) = (s.tracking_id.clone(), s.items, s.users);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let r = rt.block_on(drive(
        &server.addr,
        connections,
        seconds,
        Arc::new(move |rng: &mut Rng| {
            // Users outside the model's, so that later runs on the same data directory measure
            // GetRecommendations for users without real-time events, as the first run does.
            let user = format!("events-user-{}", rng.below(users));
            let events: Vec<String> = (0..10)
                .map(|k| {
                    let item = reko_synth::item_id(rng.below(items));
                    format!(r#"{{"eventType":"click","itemId":"{item}","sentAt":{}}}"#, now + k)
                })
                .collect();
            let body = format!(
                r#"{{"trackingId":"{tracking}","userId":"{user}","sessionId":"s-{user}","eventList":[{}]}}"#,
                events.join(",")
            );
            Outgoing::Sign("/events", body)
        }),
    ));
    print("PutEvents (10 events per call, durable)", &r, 10, "events");

    // Read-your-writes: a user the model never saw gets popular items; after PutEvents on items
    // of one category, the very next request reflects them.
    rt.block_on(async {
        let mut conn = Conn::open(&server.addr).await;
        let fresh = format!("fresh-user-{now}");
        let body = |u: &str| format!(r#"{{"campaignArn":"{}","userId":"{u}","numResults":25}}"#, s.campaign);
        let (_, before) = conn.post("/recommendations", &body(&fresh)).await;
        let events: Vec<String> = (0..5)
            .map(|k| {
                format!(r#"{{"eventType":"click","itemId":"{}","sentAt":{}}}"#, reko_synth::item_id(1000 + k), now)
            })
            .collect();
        let put = format!(
            r#"{{"trackingId":"{}","userId":"{fresh}","sessionId":"{fresh}","eventList":[{}]}}"#,
            s.tracking_id,
            events.join(",")
        );
        let (status, _) = conn.post("/events", &put).await;
        assert_eq!(status, 200);
        let (_, after) = conn.post("/recommendations", &body(&fresh)).await;
        // The item lists, not the bodies: every answer has a fresh recommendationId.
        let (before, after) = (item_ids(&before), item_ids(&after));
        let kept = after.iter().filter(|i| before.contains(i)).count();
        println!(
            "read-your-writes: the next GetRecommendations after PutEvents {} ({} of {} items kept)",
            if before != after { "changed its items" } else { "DID NOT CHANGE its items" },
            kept,
            after.len()
        );
    });
    // Batch inference: exact top-25 for many users, as a job through the API.
    let batch_users: usize = env("REKO_BENCH_BATCH_USERS", 100_000);
    if batch_users > 0 {
        rt.block_on(batch_inference(&url, &dir, &s, batch_users));
    }
    let _ = std::io::stdout().flush();
    drop(server);
}
