//! A rolling restart loses no request: two `reko serve` on one PostgreSQL database behind a
//! round-robin TCP proxy (a load balancer: it polls each backend's `/ready` and routes new
//! connections to the ready ones first, skipping a backend that refuses connections), a client
//! calling GetRecommendations through it with the SDK's standard retries, and each server in turn
//! stopped with SIGTERM (`/ready` turns 503 at once; it serves on for `--shutdown-delay-secs`,
//! then finishes its in-flight requests and exits) and started again. Skipped, saying so, when no
//! PostgreSQL answers (unless `CI` is set).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use aws_sdk_personalizeruntime::error::DisplayErrorContext;
use reko_storage::testing::TestDatabase;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const CLIENTS: usize = 3;
/// `--shutdown-delay-secs`: twenty of the proxy's health checks (and time to see `/ready` turn 503 on
/// a busy machine).
const SHUTDOWN_DELAY_SECS: &str = "2";
const HEALTH_CHECK_EVERY: Duration = Duration::from_millis(100);

/// The backends' `host:port`, in round-robin order.
type Backends = Arc<Mutex<Vec<String>>>;

/// `GET /ready`'s status at `authority` (`None`: no connection or no answer).
async fn ready_status(authority: &str) -> Option<u16> {
    let mut s = tokio::net::TcpStream::connect(authority).await.ok()?;
    let request = format!("GET /ready HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).await.ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).await.ok()?;
    out.split_whitespace().nth(1)?.parse().ok()
}

/// Accepts on a loopback port and pipes each connection to the next ready backend that accepts
/// it (then to the others: a backend not yet checked may be up); a connection no backend accepts
/// is closed.
async fn proxy(backends: Backends) -> String {
    let ready = Arc::new(Mutex::new(HashSet::<String>::new()));
    let (checked, checker) = (backends.clone(), ready.clone());
    tokio::spawn(async move {
        loop {
            let list = checked.lock().unwrap().clone();
            for backend in list {
                let up = ready_status(&backend).await == Some(200);
                let mut ready = checker.lock().unwrap();
                if up {
                    ready.insert(backend);
                } else {
                    ready.remove(&backend);
                }
            }
            tokio::time::sleep(HEALTH_CHECK_EVERY).await;
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else { continue };
            let (backends, ready, next) = (backends.clone(), ready.clone(), next.clone());
            tokio::spawn(async move {
                let mut list = backends.lock().unwrap().clone();
                let first = next.fetch_add(1, Ordering::Relaxed) % list.len();
                list.rotate_left(first);
                let ready = ready.lock().unwrap().clone();
                list.sort_by_key(|b| !ready.contains(b));
                for backend in list {
                    if let Ok(mut backend) = tokio::net::TcpStream::connect(&backend).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut backend).await;
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

fn authority(server: &Server) -> String {
    server.url.strip_prefix("http://").unwrap().to_string()
}

fn wait_ready(server: &Server) {
    let started = Instant::now();
    let handle = tokio::runtime::Handle::current();
    while handle.block_on(ready_status(&authority(server))) != Some(200) {
        assert!(started.elapsed() < WAIT, "{} never became ready; log:\n{}", server.url, server.log_tail());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// GetRecommendations answered by a server, from its `/metrics`.
fn served(server: &Server) -> f64 {
    let (status, text) = crate::metrics::scrape(&server.url, None);
    assert_eq!(status, 200);
    text.lines()
        .filter(|l| l.starts_with("reko_requests_total{") && l.contains(r#"operation="GetRecommendations""#))
        .filter(|l| l.contains(r#"status="200""#))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

/// Stops `slot`'s server while the clients run (SIGTERM; `/ready` must turn 503 while it still
/// serves, then it must exit cleanly), starts it again on the same database and puts it back
/// behind the proxy once ready.
fn restart(slot: usize, servers: &mut [Server], backends: &Backends, data_dir: &std::path::Path, args: &[&str]) {
    // The proxy pipes kept-alive connections: the server being stopped holds clients' connections.
    let stopping = &mut servers[slot];
    assert!(served(stopping) > 0.0, "{} had no traffic before its restart", stopping.url);
    stopping.terminate();
    let signalled = Instant::now();
    let handle = tokio::runtime::Handle::current();
    loop {
        match handle.block_on(ready_status(&authority(stopping))) {
            Some(503) => break,
            Some(200) if signalled.elapsed() < Duration::from_secs(5) => std::thread::sleep(Duration::from_millis(5)),
            other => panic!(
                "/ready after SIGTERM: {other:?} ({:?} later); log:\n{}",
                signalled.elapsed(),
                stopping.log_tail()
            ),
        }
    }
    stopping.wait_exit();
    let fresh = Server::start_with(&data_dir.join(slot.to_string()), args);
    wait_ready(&fresh);
    backends.lock().unwrap()[slot] = authority(&fresh);
    servers[slot] = fresh;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarting_the_replicas_one_at_a_time_fails_no_request() {
    let Some(db) = TestDatabase::create() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // Each replica has a data directory of its own (`data/<slot>`); the models are shared.
    let data_dir = tmp.path().join("data");
    let store = tmp.path().join("artifacts").display().to_string();
    let args = ["--database-url", db.url(), "--shutdown-delay-secs", SHUTDOWN_DELAY_SECS, "--artifact-store", &store];
    let first = Server::start_with(&data_dir.join("0"), &args);

    // A tiny popularity campaign, made through the first server.
    let c = &first.control.clone();
    // 1,000 rows, the fewest an Interactions import takes.
    let mut csv = String::from("USER_ID,ITEM_ID,TIMESTAMP\n");
    for u in 0..40 {
        for k in 0..25 {
            csv.push_str(&format!("u{u},i{},{}\n", (u * 7 + k * k) % 30, 1_700_000_000 + u * 100 + k));
        }
    }
    let file = data_dir.join("interactions.csv");
    std::fs::write(&file, csv).unwrap();
    let schema = create_schema(c, "rolling-interactions", SCHEMA).await;
    let dsg = create_dataset_group(c, "rolling").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let dataset = create_dataset(c, &dsg, "rolling", "rolling-interactions", "Interactions", &schema).await;
    wait_active(c, &Res::ImportJob(import(c, "rolling-import", &dataset, &file_url(&file), None).await)).await;
    let version = train(c, &create_solution(c, &dsg, "rolling-pop", "aws-popularity-count").await).await;
    let campaign = deploy(c, "rolling-campaign", &version).await;

    // The second replica loads the campaign from the database at start.
    let second = tokio::task::block_in_place(|| {
        let server = Server::start_with(&data_dir.join("1"), &args);
        wait_ready(&server);
        server
    });
    let mut servers = vec![first, second];
    let backends: Backends = Arc::new(Mutex::new(servers.iter().map(authority).collect()));
    let runtime = runtime_client_retrying(
        &proxy(backends.clone()).await,
        aws_sdk_personalizeruntime::config::retry::RetryConfig::standard(),
    );

    let (stop, ok_count) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut clients = Vec::new();
    for n in 0..CLIENTS {
        let (runtime, campaign) = (runtime.clone(), campaign.clone());
        let (stop, ok_count, failures) = (stop.clone(), ok_count.clone(), failures.clone());
        clients.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let user = format!("u{}", (n * 7 + i) % 20);
                match runtime.get_recommendations().campaign_arn(&campaign).user_id(&user).num_results(5).send().await {
                    Ok(out) if out.item_list().len() == 5 => ok_count.fetch_add(1, Ordering::SeqCst),
                    Ok(out) => panic!("{user}: {} items", out.item_list().len()),
                    Err(e) => {
                        failures.lock().unwrap().push(format!("{user}: {}", DisplayErrorContext(&e)));
                        0
                    }
                };
                i += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }

    // Traffic flows before, between and after the restarts.
    let wait_for_more = |at_least: usize| {
        let started = Instant::now();
        let target = ok_count.load(Ordering::SeqCst) + at_least;
        while ok_count.load(Ordering::SeqCst) < target {
            assert!(started.elapsed() < WAIT, "no traffic: {:?}", failures.lock().unwrap());
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    tokio::task::block_in_place(|| {
        wait_for_more(30);
        for slot in 0..servers.len() {
            restart(slot, &mut servers, &backends, &data_dir, &args);
            wait_for_more(30);
        }
    });
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.await.unwrap();
    }

    let failures = failures.lock().unwrap().clone();
    assert!(failures.is_empty(), "{} requests failed during the rolling restart: {failures:#?}", failures.len());
    assert!(ok_count.load(Ordering::SeqCst) >= 90, "{} requests answered", ok_count.load(Ordering::SeqCst));
}
