//! Memory stays bounded whatever the size of the data (docs/security.md, "Memory limits"): a real
//! `reko serve` imports a CSV several times larger than a fixed ceiling on the server's peak
//! resident memory (`VmHWM` of `/proc/<pid>/status`, Linux only), and stays under it.
//!
//! `REKO_MEMORY_TEST_MB` sizes the CSV (default 300 MB). The 2 GB version of this check is the
//! `big_import` benchmark (`cargo bench -p reko --bench big_import`, figures in BENCHMARKS.md).
//!
//! Object storage too, against moto's S3 server (installed by `.ci/run`, as for
//! `tests/it/object_storage.rs`): an object larger than the ceiling is uploaded (multipart) and
//! downloaded by this process, and imported by the server, each under a bound.

mod common;

use std::io::{BufWriter, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use common::moto::{http, start_moto};
use common::*;

/// An `s3://` location as the object-storage client takes it.
fn s3_location(location: &str) -> reko_api::S3Location {
    reko_api::S3Location::parse_exact("location", location).expect("an s3:// location")
}

/// The server's peak resident memory, import included, in MiB. Before streaming imports the
/// server held the whole file, the whole parsed batch and all its encoded chunks at once: about
/// three times the file (over 900 MiB for the default 300 MB).
const CEILING_MIB: u64 = 150;

const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;

/// A field of `/proc/<pid>/status` (e.g. `VmHWM`), in MiB.
fn status_mib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/<pid>/status (Linux)");
    let line = status.lines().find(|l| l.starts_with(&format!("{field}:"))).expect("field in /proc/<pid>/status");
    let kib: u64 = line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).expect("a number of kB");
    kib / 1024
}

/// Writes an Interactions CSV of at least `bytes` bytes; returns its rows. A block of 100,000
/// distinct rows is written over and over (an import may hold the same event twice), so
/// generating hundreds of megabytes takes about a second.
fn write_interactions(path: &Path, bytes: u64) -> u64 {
    let mut block = String::new();
    for i in 0..100_000u64 {
        let event = ["click", "view", "purchase"][(i % 3) as usize];
        let line =
            format!("user{},item{},{event},{}\n", (i * 7919) % 50_000, (i * 104_729) % 20_000, 1_600_000_000 + i);
        block.push_str(&line);
    }
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    w.write_all(b"USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n").unwrap();
    let (mut written, mut rows) = (0u64, 0u64);
    while written < bytes {
        w.write_all(block.as_bytes()).unwrap();
        written += block.len() as u64;
        rows += 100_000;
    }
    w.flush().unwrap();
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_import_stays_under_a_fixed_memory_ceiling() {
    let mb: u64 = std::env::var("REKO_MEMORY_TEST_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("interactions.csv");
    let rows = write_interactions(&csv, mb * 1_000_000);
    let size = std::fs::metadata(&csv).unwrap().len();

    let server = Server::start(&dir.path().join("data"));
    let c = &server.control;
    let dsg = create_dataset_group(c, "memory").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(c, "memory-interactions", SCHEMA).await;
    let ds = create_dataset(c, &dsg, "memory", "memory-interactions", "Interactions", &schema).await;
    let before = status_mib(server.pid(), "VmHWM");

    let started = Instant::now();
    let job = import(c, "memory-import", &ds, &file_url(&csv), None).await;
    let (status, reason) = wait_settled(c, &Res::ImportJob(job), Duration::from_secs(600)).await;
    assert_eq!(status, "ACTIVE", "{reason:?}");
    let peak = status_mib(server.pid(), "VmHWM");
    eprintln!(
        "imported {rows} rows ({:.0} MB) in {:.1?}: peak RSS {peak} MiB (before the import {before} MiB, \
         ceiling {CEILING_MIB} MiB)",
        size as f64 / 1e6,
        started.elapsed()
    );
    // Every row made it (the server logs what it committed).
    assert!(logged(&server, &format!("{rows} rows imported")), "the log names {rows} rows:\n{}", server.log_tail());
    assert!(
        size > 1_000_000 * CEILING_MIB,
        "the file ({size} bytes) must be larger than the ceiling for the check to mean anything"
    );
    assert!(
        peak < CEILING_MIB,
        "the server's peak RSS was {peak} MiB importing {size} bytes; the ceiling is {CEILING_MIB} MiB"
    );
}

/// This process's peak resident memory starts again from what it holds now (Linux's
/// `clear_refs`; also for a child of this user).
fn reset_peak(pid: &str) {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").expect("resetting VmHWM (Linux)");
}

fn own_peak_mib() -> u64 {
    status_mib(std::process::id(), "VmHWM")
}

/// Whether the server's log says `what` within a few seconds (the job's status turns ACTIVE a
/// moment before its last line is logged).
fn logged(server: &Server, what: &str) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if std::fs::read_to_string(&server.log).unwrap_or_default().contains(what) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Whether two files have the same bytes (compared a block at a time).
fn same_file(a: &Path, b: &Path) -> bool {
    let (mut a, mut b) = (std::fs::File::open(a).unwrap(), std::fs::File::open(b).unwrap());
    let (mut x, mut y) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = a.read(&mut x).unwrap();
        if n == 0 {
            return b.read(&mut y).unwrap() == 0;
        }
        if b.read_exact(&mut y[..n]).is_err() || x[..n] != y[..n] {
            return false;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_objects_stream_through_bounded_memory() {
    /// What moving the object may add to this process's peak: parts of 8 MiB, two in flight.
    const TRANSFER_MIB: u64 = 64;
    let moto = start_moto(None);
    assert_eq!(http(&moto.addr, "PUT", "/memory", b"").0, 200, "create bucket");
    std::env::set_var("AWS_ACCESS_KEY_ID", "test");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
    std::env::set_var("AWS_REGION", "us-east-1");
    let endpoint = format!("http://{}", moto.addr);
    let storage =
        reko_service::object_storage::ObjectStorageConfig { endpoint: Some(endpoint.clone()), ..Default::default() };
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("upload");
    std::fs::create_dir_all(&folder).unwrap();
    let csv = folder.join("big.csv");
    let rows = write_interactions(&csv, 200_000_000);
    let size = std::fs::metadata(&csv).unwrap().len();

    // Upload (multipart) from this process.
    let before = status_mib(std::process::id(), "VmRSS");
    reset_peak("self");
    let (s, file) = (storage.clone(), csv.clone());
    tokio::task::spawn_blocking(move || s.upload(&[file], &s3_location("s3://memory/in/"), None))
        .await
        .unwrap()
        .unwrap();
    let upload_peak = own_peak_mib();
    eprintln!("uploaded {size} bytes: peak RSS of this process {upload_peak} MiB (before {before} MiB)");
    assert!(upload_peak < before + TRANSFER_MIB, "uploading {size} bytes took this process to {upload_peak} MiB");

    // The server imports it: downloaded to its scratch folder as it arrives, then streamed.
    let server = Server::start_with(&dir.path().join("data"), &["--s3-endpoint", &endpoint]);
    let c = &server.control;
    let dsg = create_dataset_group(c, "s3-memory").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(c, "s3-memory-interactions", SCHEMA).await;
    let ds = create_dataset(c, &dsg, "s3-memory", "s3-memory-interactions", "Interactions", &schema).await;
    reset_peak(&server.pid().to_string());
    let job = import(c, "s3-memory-import", &ds, "s3://memory/in/big.csv", None).await;
    let (status, reason) = wait_settled(c, &Res::ImportJob(job), Duration::from_secs(600)).await;
    assert_eq!(status, "ACTIVE", "{reason:?}");
    let import_peak = status_mib(server.pid(), "VmHWM");
    eprintln!("the server imported {rows} rows from S3: peak RSS {import_peak} MiB");
    assert!(logged(&server, &format!("{rows} rows imported")), "{}", server.log_tail());
    assert!(import_peak < CEILING_MIB, "importing {size} bytes from S3 took the server to {import_peak} MiB");

    // Download into this process, byte for byte what was uploaded.
    let before = status_mib(std::process::id(), "VmRSS");
    reset_peak("self");
    let target = dir.path().join("download");
    let files = tokio::task::spawn_blocking(move || storage.download(&s3_location("s3://memory/in/"), &target))
        .await
        .unwrap()
        .unwrap();
    let download_peak = own_peak_mib();
    eprintln!("downloaded {size} bytes: peak RSS of this process {download_peak} MiB (before {before} MiB)");
    assert_eq!(files.len(), 1);
    assert!(same_file(&files[0], &csv), "the object round-trips through a multipart upload");
    assert!(download_peak < before + TRANSFER_MIB, "downloading {size} bytes took this process to {download_peak} MiB");
}
