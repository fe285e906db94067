//! A cluster on this machine: one `--role worker` and two `--role api` release `reko serve`
//! processes on one fresh PostgreSQL database (`REKO_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`; the database is dropped afterwards), each with a
//! data directory of its own and one shared artifact store folder:
//!
//! ```sh
//! cargo bench -p reko --bench replicas
//! ```
//!
//! 1. Real time across replicas. The campaign serves an aws-popularity-count model through an
//!    interaction filter excluding the items the user clicked: each round, a new user's top item on
//!    B is clicked on A, and B is asked again (every millisecond) until its top item changes; the
//!    latency is the time from A's 200 until then. `REKO_BENCH_EVENTS` rounds (default 200); p50,
//!    p99 and the maximum are printed.
//! 2. GetRecommendations (numResults 25, random users, signed) on a User-Personalization campaign
//!    trained on reko-synth data (`REKO_BENCH_USERS` 20,000, `REKO_BENCH_ITEMS` 5,000,
//!    `REKO_BENCH_INTERACTIONS` 500,000 by default) with `REKO_BENCH_CONNECTIONS` (64) connections
//!    for `REKO_BENCH_SECONDS` (10): all on replica A, then half on A and half on B. The load
//!    generator and both replicas share the machine's cores, which bound the sum.
//!
//! Files go to `REKO_BENCH_DIR` (default `target/bench-replicas` of the workspace), made afresh.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use common::load::{drive, item_ids, print, Conn, Outgoing, Rng};
use common::{control, create_tracker, env, interactions_dataset, start_import, start_server, wait_active, Server};

const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
/// Items of the training data; item k has k + 1 interactions (a strict popularity order).
const ITEMS: usize = 50;
/// A round that B has not reflected after this fails the benchmark.
const GIVE_UP: Duration = Duration::from_secs(10);

/// B's top item for `user` through the filter.
async fn top(b: &mut Conn, campaign: &str, filter: &str, user: &str) -> String {
    let body = format!(r#"{{"campaignArn":"{campaign}","userId":"{user}","numResults":1,"filterArn":"{filter}"}}"#);
    let (status, answer) = b.post("/recommendations", &body).await;
    assert_eq!(status, 200, "GetRecommendations on B: {}", String::from_utf8_lossy(&answer));
    item_ids(&answer).into_iter().next().expect("an item")
}

fn main() {
    let dir: PathBuf = std::env::var("REKO_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-replicas"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.canonicalize().unwrap();
    let rounds = env("REKO_BENCH_EVENTS", 200usize);
    let csv = dir.join("interactions.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
    writeln!(w, "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP").unwrap();
    for k in 0..ITEMS {
        for u in 0..=k {
            writeln!(w, "user{u},item{k},click,{}", 1_600_000_000 + k * 100 + u).unwrap();
        }
    }
    w.flush().unwrap();
    drop(w);
    let Some(db) = reko_storage::testing::TestDatabase::create() else {
        panic!("this benchmark needs PostgreSQL: none answers at REKO_TEST_POSTGRES_URL")
    };
    let store = dir.join("artifacts").display().to_string();
    let role = |role| ["--database-url", db.url(), "--artifact-store", store.as_str(), "--role", role];
    let _worker = start_server(&dir.join("data-w"), &role("worker"));
    let a = start_server(&dir.join("data-a"), &role("api"));
    let b = start_server(&dir.join("data-b"), &role("api"));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let latencies = rt.block_on(async {
        let c = control(&a.url());
        let (group, dataset) = interactions_dataset(&c, "replicas", SCHEMA).await;
        let job = start_import(&c, "replicas", &dataset, &csv).await;
        wait_active("import", || async {
            let j = c.describe_dataset_import_job().dataset_import_job_arn(&job).send().await.unwrap();
            j.dataset_import_job.unwrap().status.unwrap()
        })
        .await;
        let (_, sv) = common::train_solution(&c, &group, "replicas-pop", "aws-popularity-count").await;
        let campaign = c.create_campaign().name("replicas").solution_version_arn(&sv).send().await;
        let campaign = campaign.unwrap().campaign_arn.unwrap();
        wait_active("campaign", || async {
            c.describe_campaign().campaign_arn(&campaign).send().await.unwrap().campaign.unwrap().status.unwrap()
        })
        .await;
        let filter = c
            .create_filter()
            .name("unclicked")
            .dataset_group_arn(&group)
            .filter_expression(r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")"#)
            .send()
            .await
            .unwrap()
            .filter_arn
            .unwrap();
        wait_active("filter", || async {
            c.describe_filter().filter_arn(&filter).send().await.unwrap().filter.unwrap().status.unwrap()
        })
        .await;
        let tracking = create_tracker(&c, "replicas", &group).await;
        let (mut on_a, mut on_b) = (Conn::open(&a.addr).await, Conn::open(&b.addr).await);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let mut latencies = Vec::with_capacity(rounds);
        for round in 0..rounds {
            let user = format!("bench-{round}");
            let item = top(&mut on_b, &campaign, &filter, &user).await;
            let body = format!(
                r#"{{"trackingId":"{tracking}","userId":"{user}","sessionId":"s-{user}","eventList":[{{"eventType":"click","itemId":"{item}","sentAt":{now}}}]}}"#
            );
            let (status, answer) = on_a.post("/events", &body).await;
            assert_eq!(status, 200, "PutEvents on A: {}", String::from_utf8_lossy(&answer));
            let put = Instant::now();
            while top(&mut on_b, &campaign, &filter, &user).await == item {
                assert!(put.elapsed() < GIVE_UP, "round {round}: B did not reflect the event within {GIVE_UP:?}");
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            latencies.push(put.elapsed());
        }
        latencies
    });
    report_latencies(rounds, latencies);
    rt.block_on(throughput(&dir, &a, &b));
}

/// Part 2: GetRecommendations on one replica, then on two.
async fn throughput(dir: &std::path::Path, a: &Server, b: &Server) {
    let cfg = reko_synth::SynthConfig {
        users: env("REKO_BENCH_USERS", 20_000),
        items: env("REKO_BENCH_ITEMS", 5_000),
        interactions: env("REKO_BENCH_INTERACTIONS", 500_000),
        ..reko_synth::SynthConfig::default()
    };
    let (connections, seconds) = (env("REKO_BENCH_CONNECTIONS", 64usize), env("REKO_BENCH_SECONDS", 10.0f64));
    let files = reko_synth::write_dataset_streaming(dir, &cfg).unwrap();
    let c = control(&a.url());
    let deployed = common::deploy_user_personalization(
        &c,
        "throughput",
        &[("Interactions", reko_synth::interactions_schema(), &files.interactions)],
    )
    .await;
    let (campaign, users) = (deployed.campaign, cfg.users);
    let request = Arc::new(move |rng: &mut Rng| {
        let user = reko_synth::user_id(rng.below(users));
        Outgoing::Sign(
            "/recommendations",
            format!(r#"{{"campaignArn":"{campaign}","userId":"{user}","numResults":25}}"#),
        )
    });
    println!("| replicas | connections | GetRecommendations/s | p50 | p99 | p99.9 | errors |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    let one = drive(&a.addr, connections, seconds, request.clone()).await;
    print(&format!("1 (A) | {connections}"), &one, 1, "req");
    let half = connections / 2;
    let (on_a, on_b) = tokio::join!(
        drive(&a.addr, half, seconds, request.clone()),
        drive(&b.addr, connections - half, seconds, request.clone())
    );
    let mut both = on_a;
    both.requests += on_b.requests;
    both.errors += on_b.errors;
    both.latencies.extend(on_b.latencies);
    both.latencies.sort();
    print(&format!("2 (A + B) | {half} + {}", connections - half), &both, 1, "req");
    println!("(load average {})", std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim());
}

fn report_latencies(rounds: usize, latencies: Vec<Duration>) {
    let mut sorted = latencies;
    sorted.sort();
    let pct = |p: f64| sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3;
    println!(
        "{rounds} events put on A, reflected in B's GetRecommendations after: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms \
         (load average {})",
        pct(0.5),
        pct(0.99),
        pct(1.0),
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );
}
