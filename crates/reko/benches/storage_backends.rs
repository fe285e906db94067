//! The two stores side by side in one run: a release `reko serve` on SQLite (`data_dir/reko.db`)
//! and one on PostgreSQL (`--database-url`, a fresh database on `REKO_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`, dropped afterwards), each measured the same way:
//!
//! ```sh
//! cargo bench -p reko --bench storage_backends
//! ```
//!
//! 1. import rows/s: an Interactions CSV of `REKO_BENCH_IMPORT_ROWS` rows (default 1,000,000;
//!    `USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP`) imported through the AWS SDK, from
//!    CreateDatasetImportJob to ACTIVE (the rows committed);
//! 2. PutEvents events/s: 10 events per call for random users and items on
//!    `REKO_BENCH_CONNECTIONS` (8) keep-alive connections for `REKO_BENCH_SECONDS` (10) after 2 s
//!    of warm-up, each call durable before its 200 (the group commit of concurrent calls).
//!
//! Files go to `REKO_BENCH_DIR` (default `target/bench-storage` of the workspace), made afresh.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

mod common;

use common::load::{drive, Outgoing, Report, Rng};
use common::{control, create_tracker, env, interactions_dataset, start_import, start_server, wait_active};

const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const USERS: usize = 100_000;
const ITEMS: usize = 10_000;

/// Writes `rows` interactions (a fixed pseudo-random sequence, increasing timestamps).
fn generate(path: &Path, rows: usize) {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).expect("create the CSV"));
    writeln!(w, "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP").unwrap();
    let mut rng = Rng(42);
    for row in 0..rows {
        let event = ["click", "view", "purchase"][rng.below(3)];
        writeln!(w, "user{},item{},{event},{}", rng.below(USERS), rng.below(ITEMS), 1_600_000_000 + row).unwrap();
    }
    w.flush().unwrap();
}

/// Import rows/s and the PutEvents report of one server.
async fn measure(url: &str, csv: &Path, rows: usize, connections: usize, seconds: f64) -> (f64, Report) {
    let c = control(url);
    let (group, dataset) = interactions_dataset(&c, "bench", SCHEMA).await;
    let started = Instant::now();
    let job = start_import(&c, "bench", &dataset, csv).await;
    wait_active("import", || async {
        let j = c.describe_dataset_import_job().dataset_import_job_arn(&job).send().await.unwrap();
        j.dataset_import_job.unwrap().status.unwrap()
    })
    .await;
    let import_rows_per_s = rows as f64 / started.elapsed().as_secs_f64();
    let tracking = create_tracker(&c, "bench", &group).await;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let addr = url.strip_prefix("http://").unwrap().to_string();
    let events = drive(
        &addr,
        connections,
        seconds,
        Arc::new(move |rng: &mut Rng| {
            let user = format!("user{}", rng.below(USERS));
            let events: Vec<String> = (0..10)
                .map(|k| format!(r#"{{"eventType":"click","itemId":"item{}","sentAt":{}}}"#, rng.below(ITEMS), now + k))
                .collect();
            let body = format!(
                r#"{{"trackingId":"{tracking}","userId":"{user}","sessionId":"s-{user}","eventList":[{}]}}"#,
                events.join(",")
            );
            Outgoing::Sign("/events", body)
        }),
    )
    .await;
    (import_rows_per_s, events)
}

fn main() {
    let dir: PathBuf = std::env::var("REKO_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-storage"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.canonicalize().unwrap();
    let rows = env("REKO_BENCH_IMPORT_ROWS", 1_000_000usize);
    let (connections, seconds) = (env("REKO_BENCH_CONNECTIONS", 8usize), env("REKO_BENCH_SECONDS", 10.0f64));
    let csv = dir.join("interactions.csv");
    generate(&csv, rows);
    let Some(db) = reko_storage::testing::TestDatabase::create() else {
        panic!("this benchmark compares against PostgreSQL: none answers at REKO_TEST_POSTGRES_URL")
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    println!(
        "{rows} import rows; PutEvents 10 events a call on {connections} connections for {seconds} s; load average {}",
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );
    let mut results = Vec::new();
    for (backend, extra) in [("SQLite", vec![]), ("PostgreSQL", vec!["--database-url", db.url()])] {
        eprintln!("{backend}:");
        let server = start_server(&dir.join(format!("data-{}", backend.to_lowercase())), &extra);
        results.push((backend, rt.block_on(measure(&server.url(), &csv, rows, connections, seconds))));
    }
    println!("| store | import rows/s | PutEvents events/s | p50 | p99 | errors |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (backend, (import, r)) in &results {
        println!(
            "| {backend} | {import:.0} | {:.0} | {:.2} ms | {:.2} ms | {} |",
            (r.requests * 10) as f64 / r.seconds,
            r.pct(0.5).as_secs_f64() * 1e3,
            r.pct(0.99).as_secs_f64() * 1e3,
            r.errors
        );
    }
}
