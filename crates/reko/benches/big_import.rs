//! A 2 GB CSV import into a release `reko serve` under a fixed ceiling on the server's peak
//! resident memory (docs/security.md, "Memory limits"):
//!
//! ```sh
//! cargo bench -p reko --bench big_import          # REKO_BIG_IMPORT_MB=… for other sizes
//! ```
//!
//! Generates an Interactions CSV of `REKO_BIG_IMPORT_MB` megabytes (default 2000: about 50
//! million rows of `USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP`, 1M users, 100k items) in
//! `REKO_BENCH_DIR` (default `target/bench-big-import` of the workspace, kept between runs; the
//! data directory is made afresh), imports it through the AWS SDK, samples the server's resident
//! memory while the job runs, and fails unless its peak (`VmHWM`, Linux) stays under
//! `REKO_BIG_IMPORT_CEILING_MIB` (default 150 MiB, the ceiling `tests/bounded_memory.rs` holds a
//! debug build to). Prints the rows, the time, the throughput and the peak; the server's log
//! (`data.log` there) has the split between parsing and committing.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod common;

use common::{control, env, interactions_dataset, start_import, start_server};

const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;

/// A field of `/proc/<pid>/status` (e.g. `VmHWM`), in KiB.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/<pid>/status (Linux)");
    let line = status.lines().find(|l| l.starts_with(&format!("{field}:"))).expect("field in /proc/<pid>/status");
    line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).expect("a number of kB")
}

/// Writes at least `bytes` bytes of interactions (distinct rows: a SplitMix sequence of users,
/// items and event types, increasing timestamps); returns the rows.
fn generate(path: &Path, bytes: u64) -> u64 {
    let mut state: u64 = 42;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).expect("create the CSV"));
    let header = b"USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n";
    w.write_all(header).unwrap();
    let (mut written, mut rows) = (header.len() as u64, 0u64);
    let mut line = String::new();
    let mut ts: u64 = 1_600_000_000;
    while written < bytes {
        let r = next();
        ts += r % 3;
        line.clear();
        let event = ["click", "view", "purchase"][(r >> 8) as usize % 3];
        use std::fmt::Write as _;
        writeln!(line, "user{},item{},{event},{ts}", (r >> 16) % 1_000_000, (r >> 40) % 100_000).unwrap();
        w.write_all(line.as_bytes()).unwrap();
        written += line.len() as u64;
        rows += 1;
    }
    w.flush().unwrap();
    rows
}

fn main() {
    let mb: u64 = env("REKO_BIG_IMPORT_MB", 2000);
    let ceiling_mib: u64 = env("REKO_BIG_IMPORT_CEILING_MIB", 150);
    // Benchmarks run in the package's folder: the default is the workspace's target folder.
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = std::env::var("REKO_BENCH_DIR").map(PathBuf::from).unwrap_or_else(|_| target.join("bench-big-import"));
    let dir = std::path::absolute(&dir).expect("bench folder");
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join(format!("interactions-{mb}mb.csv"));
    let rows_file = csv.with_extension("rows");
    let rows: u64 = match std::fs::read_to_string(&rows_file).ok().and_then(|r| r.trim().parse().ok()) {
        Some(rows) if csv.exists() => rows,
        _ => {
            let t = Instant::now();
            let rows = generate(&csv, mb * 1_000_000);
            std::fs::write(&rows_file, rows.to_string()).unwrap();
            eprintln!("generated {rows} rows in {:.1?}", t.elapsed());
            rows
        }
    };
    let size = std::fs::metadata(&csv).unwrap().len();
    let data_dir = dir.join("data");
    let _ = std::fs::remove_dir_all(&data_dir);
    let server = start_server(&data_dir, &[]);
    let pid = server.child.id();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (secs, sampled_peak) = runtime.block_on(async {
        let c = control(&server.url());
        let (_, dataset) = interactions_dataset(&c, "big", SCHEMA).await;
        let before = status_kib(pid, "VmHWM");
        eprintln!("server peak RSS before the import: {} MiB", before / 1024);
        let started = Instant::now();
        let job = start_import(&c, "big", &dataset, &csv).await;
        let mut sampled = 0u64;
        loop {
            sampled = sampled.max(status_kib(pid, "VmRSS"));
            let j = c.describe_dataset_import_job().dataset_import_job_arn(&job).send().await.unwrap();
            let j = j.dataset_import_job.unwrap();
            let status = j.status.unwrap();
            if status == "ACTIVE" {
                break;
            }
            assert!(!status.contains("FAILED"), "import: {status}: {:?}", j.failure_reason);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        (started.elapsed().as_secs_f64(), sampled)
    });
    let peak = status_kib(pid, "VmHWM");
    let log = std::fs::read_to_string(data_dir.with_extension("log")).unwrap_or_default();
    let committed = log.contains(&format!("{rows} rows imported"));
    println!("big_import: {rows} rows, {size} bytes ({:.2} GB) CSV", size as f64 / 1e9);
    println!(
        "big_import: create → ACTIVE {secs:.1} s = {:.2} M rows/s, {:.0} MB/s",
        rows as f64 / secs / 1e6,
        size as f64 / 1e6 / secs
    );
    println!(
        "big_import: server peak RSS (VmHWM) {:.1} MiB (highest sampled VmRSS {:.1} MiB); ceiling {ceiling_mib} MiB",
        peak as f64 / 1024.0,
        sampled_peak as f64 / 1024.0
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&data_dir);
    assert!(committed, "the server log names {rows} imported rows");
    assert!(peak / 1024 < ceiling_mib, "peak RSS {} MiB is over the ceiling of {ceiling_mib} MiB", peak / 1024);
}
