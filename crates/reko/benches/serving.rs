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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod common;

use common::{control, env, start_server, wait_active, KEY_ID, SECRET};

/// SigV4 headers for `POST path` with `body`, signed now.
fn sign_post(addr: &str, path: &str, body: &str) -> Vec<(String, String)> {
    reko::signing::Signer::personalize((KEY_ID, SECRET), "us-east-1")
        .headers("POST", addr, path, &[("content-type", "application/json")], body.as_bytes())
        .expect("signing")
}

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
struct Conn {
    stream: TcpStream,
    addr: String,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: &str) -> Conn {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).unwrap();
        Conn { stream, addr: addr.to_string(), buf: Vec::with_capacity(16 << 10) }
    }

    /// POSTs `body` to `path`, signed now; returns the status and the response body.
    async fn post(&mut self, path: &str, body: &str) -> (u16, Vec<u8>) {
        let req = signed_request(&self.addr, path, body);
        self.send(&req).await
    }

    /// Sends a whole request (head and body); returns the status and the response body.
    async fn send(&mut self, req: &[u8]) -> (u16, Vec<u8>) {
        self.stream.write_all(req).await.expect("write");
        self.buf.clear();
        let mut chunk = [0u8; 16 << 10];
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let header = std::str::from_utf8(&self.buf[..end]).expect("ascii headers");
                let status: u16 = header[9..12].parse().expect("status");
                let len: usize = header
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while self.buf.len() < end + 4 + len {
                    let n = self.stream.read(&mut chunk).await.expect("read");
                    assert!(n > 0, "connection closed");
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                return (status, self.buf[end + 4..end + 4 + len].to_vec());
            }
            let n = self.stream.read(&mut chunk).await.expect("read");
            assert!(n > 0, "connection closed");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// The `itemId`s of a GetRecommendations answer, in order.
fn item_ids(body: &[u8]) -> Vec<String> {
    let answer: serde_json::Value = serde_json::from_slice(body).expect("GetRecommendations answers JSON");
    let items = answer["itemList"].as_array().expect("GetRecommendations answers an itemList");
    items.iter().map(|i| i["itemId"].as_str().expect("itemId").to_string()).collect()
}

/// The bytes of `POST path` with `body`, SigV4-signed now.
fn signed_request(addr: &str, path: &str, body: &str) -> Vec<u8> {
    let signed: String = sign_post(addr, path, body).into_iter().map(|(n, v)| format!("{n}: {v}\r\n")).collect();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{signed}Content-Length: {}\r\n\r\n",
        body.len()
    );
    let mut req = head.into_bytes();
    req.extend_from_slice(body.as_bytes());
    req
}

/// Whether `GET /ready` answers 200.
fn is_ready(addr: &str) -> bool {
    use std::io::Read;
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else { return false };
    let request = format!("GET /ready HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let mut answer = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut answer).is_ok()
        && answer.starts_with("HTTP/1.1 200")
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// xorshift, one per connection.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Builds one request: `(path, JSON body)` to sign now, or the bytes of a request signed before
/// the run (as `wrk` replays pre-signed requests).
type MakeRequest = Arc<dyn Fn(&mut Rng) -> Outgoing + Send + Sync>;

enum Outgoing {
    Sign(&'static str, String),
    Presigned(Arc<Vec<u8>>),
}

struct Report {
    requests: u64,
    seconds: f64,
    latencies: Vec<Duration>,
    errors: u64,
}

impl Report {
    fn pct(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        self.latencies[((self.latencies.len() - 1) as f64 * p).round() as usize]
    }
}

/// Runs `make(conn_index, rng) -> (path, body)` requests on `connections` connections for
/// `seconds` after a warm-up; returns throughput and latencies of the measured part.
async fn drive(addr: &str, connections: usize, seconds: f64, make: MakeRequest) -> Report {
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (addr, make, measuring, stop, errors) =
            (addr.to_string(), make.clone(), measuring.clone(), stop.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&addr).await;
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((c as u64 + 1) * 0x1000_0001));
            let mut lat = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let outgoing = make(&mut rng);
                let t = Instant::now();
                let (status, resp) = match outgoing {
                    Outgoing::Sign(path, body) => conn.post(path, &body).await,
                    Outgoing::Presigned(req) => conn.send(&req).await,
                };
                let took = t.elapsed();
                if status != 200 {
                    if errors.fetch_add(1, Ordering::Relaxed) < 3 {
                        eprintln!("HTTP {status}: {}", String::from_utf8_lossy(&resp));
                    }
                } else if measuring.load(Ordering::Relaxed) {
                    lat.push(took);
                }
            }
            lat
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    measuring.store(true, Ordering::Relaxed);
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = t.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    latencies.sort();
    Report { requests: latencies.len() as u64, seconds: elapsed, latencies, errors: errors.load(Ordering::Relaxed) }
}

fn print(name: &str, r: &Report, per_request: u64, unit: &str) {
    println!(
        "| {name} | {:.0} {unit}/s | {:.2} ms | {:.2} ms | {:.2} ms | {} |",
        (r.requests * per_request) as f64 / r.seconds,
        r.pct(0.5).as_secs_f64() * 1e3,
        r.pct(0.99).as_secs_f64() * 1e3,
        r.pct(0.999).as_secs_f64() * 1e3,
        r.errors
    );
}

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
