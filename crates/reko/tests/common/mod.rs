//! Shared helpers for the conformance tests: spawn a real `reko serve` on a free loopback port,
//! build AWS SDK clients against it, poll resource status, and convert MovieLens 100K to the CSV
//! layout Personalize expects.
#![allow(dead_code)]

pub mod moto;

use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_personalize::config::retry::RetryConfig;
use aws_sdk_personalize::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_personalize::error::ProvideErrorMetadata;

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";
pub const POPULARITY_RECIPE: &str = "arn:aws:personalize:::recipe/aws-popularity-count";
/// Default timeout for a resource to leave its PENDING/IN_PROGRESS states.
/// The root key every test server is started with (`REKO_ACCESS_KEY_ID` / `REKO_SECRET_ACCESS_KEY`);
/// the SDK clients sign every request with it.
pub const ACCESS_KEY_ID: &str = "AKIDREKOTEST";
pub const SECRET_ACCESS_KEY: &str = "reko-test-secret-access-key-0001";
pub const WAIT: Duration = Duration::from_secs(120);

/// `arn:aws:personalize:us-east-1:123456789012:{kind}/{name}`.
pub fn arn(kind: &str, name: &str) -> String {
    format!("arn:aws:personalize:{REGION}:{ACCOUNT}:{kind}/{name}")
}

static LOG_SEQ: AtomicUsize = AtomicUsize::new(0);

/// A running `reko serve` child process. Killed on drop.
pub struct Server {
    child: Option<Child>,
    pub url: String,
    pub data_dir: PathBuf,
    pub log: PathBuf,
    pub control: aws_sdk_personalize::Client,
    pub runtime: aws_sdk_personalizeruntime::Client,
    pub events: aws_sdk_personalizeevents::Client,
}

impl Server {
    /// Starts a server on `data_dir` (created if missing); the log goes next to it.
    pub fn start(data_dir: &Path) -> Server {
        Server::start_with(data_dir, &[])
    }

    /// [`Server::start`] with extra `reko serve` arguments (e.g. `--config FILE`).
    pub fn start_with(data_dir: &Path, extra_args: &[&str]) -> Server {
        std::fs::create_dir_all(data_dir).unwrap();
        let seq = LOG_SEQ.fetch_add(1, Ordering::SeqCst);
        let log = data_dir.parent().unwrap_or(data_dir).join(format!("server-{seq}.log"));
        let log_file = std::fs::File::create(&log).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_reko"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(["--region", REGION, "--account-id", ACCOUNT])
            .args(extra_args)
            // Test files live beside the data directory (in the test's temporary folder).
            .arg("--allowed-data-root")
            .arg(data_dir.parent().unwrap_or(data_dir))
            .env("REKO_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("REKO_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()
            .expect("spawn reko serve");

        // Read the single "Listening on http://127.0.0.1:PORT" line (with a timeout), then keep
        // draining stdout so the server never blocks on a full pipe.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let _ = tx.send(first);
            let mut sink = String::new();
            while reader.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
                sink.clear();
            }
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("reko serve did not print its address within 60s; log:\n{}", tail(&log));
            }
        };
        let url = match line.trim().strip_prefix("Listening on ") {
            Some(url) if url.starts_with("http://127.0.0.1:") => url.to_string(),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("unexpected first stdout line from reko serve: {line:?}; log:\n{}", tail(&log));
            }
        };
        Server {
            control: control_client(&url),
            runtime: runtime_client(&url),
            events: events_client(&url),
            child: Some(child),
            url,
            data_dir: data_dir.to_path_buf(),
            log,
        }
    }

    /// SIGKILLs the server (simulated crash) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The server's process id (e.g. for its `/proc/<pid>/status`).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).expect("the server is running")
    }

    /// The last lines of the server log.
    pub fn log_tail(&self) -> String {
        tail(&self.log)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!("---- reko serve log ({}) ----\n{}", self.log.display(), self.log_tail());
        }
    }
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

/// Control-plane client (plain HTTP, static credentials, no retries so that every error the
/// server returns is observed exactly once).
pub fn control_client(url: &str) -> aws_sdk_personalize::Client {
    let conf = aws_sdk_personalize::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(url)
        .credentials_provider(Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "test"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_personalize::Client::from_conf(conf)
}

/// Runtime client (same settings as [`control_client`]).
pub fn runtime_client(url: &str) -> aws_sdk_personalizeruntime::Client {
    use aws_sdk_personalizeruntime::config as rc;
    let conf = rc::Config::builder()
        .behavior_version(rc::BehaviorVersion::latest())
        .region(rc::Region::new(REGION))
        .endpoint_url(url)
        .credentials_provider(rc::Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "test"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(rc::retry::RetryConfig::disabled())
        .build();
    aws_sdk_personalizeruntime::Client::from_conf(conf)
}

/// Events client (same settings as [`control_client`]).
pub fn events_client(url: &str) -> aws_sdk_personalizeevents::Client {
    use aws_sdk_personalizeevents::config as ec;
    let conf = ec::Config::builder()
        .behavior_version(ec::BehaviorVersion::latest())
        .region(ec::Region::new(REGION))
        .endpoint_url(url)
        .credentials_provider(ec::Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "test"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(ec::retry::RetryConfig::disabled())
        .build();
    aws_sdk_personalizeevents::Client::from_conf(conf)
}

/// Asserts that `result` failed with the given error code (`__type`), returning the message.
#[track_caller]
pub fn expect_code<T: Debug, E: ProvideErrorMetadata + Debug>(result: Result<T, E>, code: &str, what: &str) -> String {
    match result {
        Ok(v) => panic!("{what}: expected {code}, got success: {v:?}"),
        Err(e) => {
            assert_eq!(
                e.code(),
                Some(code),
                "{what}: expected error code {code}, got {:?} (message {:?}); full error: {e:?}",
                e.code(),
                e.message()
            );
            e.message().unwrap_or_default().to_string()
        }
    }
}

/// Like [`expect_code`] for SDK results, also checking the HTTP status of the error response.
#[track_caller]
pub fn expect_http<T: Debug, E: ProvideErrorMetadata + Debug>(
    result: Result<T, aws_sdk_personalize::error::SdkError<E>>,
    code: &str,
    status: u16,
    what: &str,
) -> String {
    let got = result.as_ref().err().and_then(|e| e.raw_response()).map(|r| r.status().as_u16());
    let msg = expect_code(result, code, what);
    assert_eq!(got, Some(status), "{what}: HTTP status of {code}");
    msg
}

/// Unwraps an SDK result with a readable message on failure.
#[track_caller]
pub fn ok<T, E: ProvideErrorMetadata + Debug>(result: Result<T, E>, what: &str) -> T {
    match result {
        Ok(v) => v,
        Err(e) => panic!("{what} failed: code {:?}, message {:?}; full error: {e:?}", e.code(), e.message()),
    }
}

/// The resources whose status tests poll.
#[derive(Clone, Debug)]
pub enum Res {
    DatasetGroup(String),
    Dataset(String),
    ImportJob(String),
    Solution(String),
    SolutionVersion(String),
    Campaign(String),
    /// `latestCampaignUpdate` of a campaign.
    CampaignUpdate(String),
    EventTracker(String),
}

/// Status and failure reason of a resource; `Err(code)` when Describe fails.
pub async fn describe_status(c: &aws_sdk_personalize::Client, res: &Res) -> Result<(String, Option<String>), String> {
    fn pair(s: Option<&str>, f: Option<&str>) -> (String, Option<String>) {
        (s.unwrap_or("<none>").to_string(), f.map(str::to_string))
    }
    fn code<E: ProvideErrorMetadata>(e: E) -> String {
        e.code().unwrap_or("<no code>").to_string()
    }
    Ok(match res {
        Res::DatasetGroup(a) => {
            let o = c.describe_dataset_group().dataset_group_arn(a).send().await.map_err(code)?;
            let d = o.dataset_group().ok_or("no datasetGroup")?;
            pair(d.status(), d.failure_reason())
        }
        Res::Dataset(a) => {
            let o = c.describe_dataset().dataset_arn(a).send().await.map_err(code)?;
            let d = o.dataset().ok_or("no dataset")?;
            pair(d.status(), None)
        }
        Res::ImportJob(a) => {
            let o = c.describe_dataset_import_job().dataset_import_job_arn(a).send().await.map_err(code)?;
            let d = o.dataset_import_job().ok_or("no datasetImportJob")?;
            pair(d.status(), d.failure_reason())
        }
        Res::Solution(a) => {
            let o = c.describe_solution().solution_arn(a).send().await.map_err(code)?;
            let d = o.solution().ok_or("no solution")?;
            pair(d.status(), None)
        }
        Res::SolutionVersion(a) => {
            let o = c.describe_solution_version().solution_version_arn(a).send().await.map_err(code)?;
            let d = o.solution_version().ok_or("no solutionVersion")?;
            pair(d.status(), d.failure_reason())
        }
        Res::Campaign(a) => {
            let o = c.describe_campaign().campaign_arn(a).send().await.map_err(code)?;
            let d = o.campaign().ok_or("no campaign")?;
            pair(d.status(), d.failure_reason())
        }
        Res::CampaignUpdate(a) => {
            let o = c.describe_campaign().campaign_arn(a).send().await.map_err(code)?;
            let d = o.campaign().ok_or("no campaign")?;
            let u = d.latest_campaign_update().ok_or("no latestCampaignUpdate")?;
            pair(u.status(), u.failure_reason())
        }
        Res::EventTracker(a) => {
            let o = c.describe_event_tracker().event_tracker_arn(a).send().await.map_err(code)?;
            let d = o.event_tracker().ok_or("no eventTracker")?;
            pair(d.status(), None)
        }
    })
}

/// Statuses a create passes through before it settles.
pub fn is_transient(status: &str) -> bool {
    matches!(status, "CREATE PENDING" | "CREATE IN_PROGRESS")
}

/// Polls every 100 ms until the resource leaves CREATE PENDING / CREATE IN_PROGRESS; returns
/// the final status and failure reason. Panics on timeout or when Describe fails.
pub async fn wait_settled(c: &aws_sdk_personalize::Client, res: &Res, timeout: Duration) -> (String, Option<String>) {
    let start = Instant::now();
    let mut seen = Vec::<String>::new();
    loop {
        let (status, reason) =
            describe_status(c, res).await.unwrap_or_else(|code| panic!("describing {res:?} failed with {code}"));
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if !is_transient(&status) {
            return (status, reason);
        }
        assert!(start.elapsed() < timeout, "{res:?} still {status} after {timeout:?} (status history {seen:?})");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the resource is ACTIVE; panics (with the failure reason) otherwise.
pub async fn wait_active(c: &aws_sdk_personalize::Client, res: &Res) {
    let (status, reason) = wait_settled(c, res, WAIT).await;
    assert_eq!(status, "ACTIVE", "{res:?} ended {status}: {reason:?}");
}

/// Waits until Describe answers ResourceNotFoundException (asynchronous delete).
pub async fn wait_gone(c: &aws_sdk_personalize::Client, res: &Res) {
    let start = Instant::now();
    loop {
        match describe_status(c, res).await {
            Err(code) if code == "ResourceNotFoundException" => return,
            Err(code) => panic!("describing deleted {res:?} failed with {code}"),
            Ok((status, _)) => {
                assert!(
                    matches!(status.as_str(), "DELETE PENDING" | "DELETE IN_PROGRESS" | "ACTIVE"),
                    "{res:?} is {status} while being deleted"
                );
                assert!(start.elapsed() < WAIT, "{res:?} still {status} {WAIT:?} after delete");
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Collects every page of a List* call (`maxResults` = `page`), checking that each page has at
/// most `page` entries and that pagination terminates.
pub async fn collect_pages<T, F, Fut>(page: i32, mut call: F) -> (Vec<T>, usize)
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = (Vec<T>, Option<String>)>,
{
    let mut all = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let (items, next) = call(token.take()).await;
        pages += 1;
        assert!(items.len() <= page as usize, "page of {} entries exceeds maxResults {page}", items.len());
        all.extend(items);
        match next {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return (all, pages),
        }
        assert!(pages < 1000, "pagination does not terminate");
    }
}

/// `file:///abs/path` for a local file or folder.
pub fn file_url(path: &Path) -> String {
    let abs = std::fs::canonicalize(path).unwrap();
    format!("file://{}", abs.display())
}

// ---------------------------------------------------------------------------------------------
// MovieLens 100K
// ---------------------------------------------------------------------------------------------

/// MovieLens 100K, from the folder `REKO_ML100K_DIR` names (`.ci/run` points it at
/// the MovieLens copy beside the repository; the data set is never committed). `None`, after saying the test
/// skipped, when it is not set or holds no `u.data`.
pub fn ml100k_dir(test: &str) -> Option<PathBuf> {
    match std::env::var_os("REKO_ML100K_DIR").map(PathBuf::from) {
        Some(dir) if dir.join("u.data").is_file() => Some(dir),
        Some(dir) => {
            println!("SKIPPED {test}: REKO_ML100K_DIR={} holds no MovieLens 100K u.data", dir.display());
            None
        }
        None => {
            println!("SKIPPED {test}: set REKO_ML100K_DIR to a MovieLens 100K folder (.ci/run does)");
            None
        }
    }
}

pub const ML_INTERACTIONS_SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":"float"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
pub const ML_ITEMS_SCHEMA: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRES","type":["null","string"],"categorical":true},{"name":"CREATION_TIMESTAMP","type":"long"}],"version":"1.0"}"#;
pub const ML_USERS_SCHEMA: &str = r#"{"type":"record","name":"Users","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"AGE","type":"int"},{"name":"GENDER","type":"string","categorical":true},{"name":"OCCUPATION","type":"string","categorical":true}],"version":"1.0"}"#;

/// The converted MovieLens files plus what the tests need to know about the data.
pub struct MovieLens {
    pub interactions: PathBuf,
    pub items: PathBuf,
    pub users: PathBuf,
    pub n_interactions: usize,
    pub n_items: usize,
    pub n_users: usize,
    /// item id → number of distinct users who rated it.
    pub popularity: HashMap<String, usize>,
    /// item id → number of distinct users who rated it 4 or more.
    pub popularity_4plus: HashMap<String, usize>,
}

impl MovieLens {
    /// Item ids by descending count (ties by id), from the given count table.
    pub fn ranked(counts: &HashMap<String, usize>) -> Vec<String> {
        let mut v: Vec<(&String, &usize)> = counts.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        v.into_iter().map(|(k, _)| k.clone()).collect()
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `01-Jan-1995` → epoch seconds; `None` when empty or malformed.
fn parse_release_date(s: &str) -> Option<i64> {
    let mut parts = s.split('-');
    let d: i64 = parts.next()?.parse().ok()?;
    let m = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let y: i64 = parts.next()?.parse().ok()?;
    Some(days_from_civil(y, m, d) * 86_400)
}

/// Converts MovieLens 100K (`u.data`, `u.item`, `u.user`, `u.genre`) into Personalize CSVs in
/// `out`; `None` (the test skips) without the data set, see [`ml100k_dir`].
pub fn convert_movielens(test: &str, out: &Path) -> Option<MovieLens> {
    let src = &ml100k_dir(test)?;
    std::fs::create_dir_all(out).unwrap();

    // Interactions: u.data is "user \t item \t rating \t timestamp".
    let data = std::fs::read_to_string(src.join("u.data")).unwrap();
    let interactions = out.join("interactions.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&interactions).unwrap());
    writeln!(w, "USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP").unwrap();
    let mut n_interactions = 0;
    let mut popularity: HashMap<String, usize> = HashMap::new();
    let mut popularity_4plus: HashMap<String, usize> = HashMap::new();
    for line in data.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 4, "bad u.data line {line:?}");
        let rating: u32 = f[2].parse().unwrap();
        writeln!(w, "{},{},rating,{},{}", f[0], f[1], rating, f[3]).unwrap();
        n_interactions += 1;
        *popularity.entry(f[1].to_string()).or_default() += 1;
        if rating >= 4 {
            *popularity_4plus.entry(f[1].to_string()).or_default() += 1;
        }
    }
    w.flush().unwrap();

    // Genre names by flag index.
    let genre_text = String::from_utf8_lossy(&std::fs::read(src.join("u.genre")).unwrap()).into_owned();
    let mut genres: Vec<(usize, String)> = genre_text
        .lines()
        .filter_map(|l| {
            let (name, idx) = l.split_once('|')?;
            Some((idx.trim().parse().ok()?, name.to_string()))
        })
        .collect();
    genres.sort();
    let genres: Vec<String> = genres.into_iter().map(|(_, g)| g).collect();
    assert_eq!(genres.len(), 19);

    // Items: u.item is latin-1, "id|title|release|video release|url|19 flags".
    let item_bytes = std::fs::read(src.join("u.item")).unwrap();
    let item_text = String::from_utf8_lossy(&item_bytes);
    let items = out.join("items.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&items).unwrap());
    writeln!(w, "ITEM_ID,GENRES,CREATION_TIMESTAMP").unwrap();
    let mut n_items = 0;
    for line in item_text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('|').collect();
        assert_eq!(f.len(), 24, "bad u.item line {line:?}");
        let item_genres: Vec<&str> =
            f[5..].iter().zip(&genres).filter(|(flag, _)| **flag == "1").map(|(_, g)| g.as_str()).collect();
        let genres_field = if item_genres.is_empty() { "unknown".to_string() } else { item_genres.join("|") };
        // 1995-01-01 when the release date is missing.
        let created = parse_release_date(f[2]).unwrap_or(788_918_400);
        writeln!(w, "{},{},{}", f[0], genres_field, created).unwrap();
        n_items += 1;
    }
    w.flush().unwrap();

    // Users: u.user is "id|age|gender|occupation|zip".
    let user_text = String::from_utf8_lossy(&std::fs::read(src.join("u.user")).unwrap()).into_owned();
    let users = out.join("users.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&users).unwrap());
    writeln!(w, "USER_ID,AGE,GENDER,OCCUPATION").unwrap();
    let mut n_users = 0;
    for line in user_text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('|').collect();
        assert_eq!(f.len(), 5, "bad u.user line {line:?}");
        writeln!(w, "{},{},{},{}", f[0], f[1], f[2], f[3]).unwrap();
        n_users += 1;
    }
    w.flush().unwrap();

    Some(MovieLens { interactions, items, users, n_interactions, n_items, n_users, popularity, popularity_4plus })
}

#[test]
fn release_dates_parse() {
    assert_eq!(parse_release_date("01-Jan-1995"), Some(788_918_400));
    assert_eq!(parse_release_date("01-Jan-1970"), Some(0));
    assert_eq!(parse_release_date(""), None);
}

// ---- resource helpers shared by the SDK test files -------------------------------------------

pub const METRIC_KEYS: [&str; 8] = [
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
];

pub fn ids(items: &[aws_sdk_personalizeruntime::types::PredictedItem]) -> Vec<String> {
    items.iter().map(|i| i.item_id().expect("itemId").to_string()).collect()
}

pub async fn create_schema(c: &aws_sdk_personalize::Client, name: &str, schema: &str) -> String {
    let out = ok(c.create_schema().name(name).schema(schema).send().await, "CreateSchema");
    let a = out.schema_arn().expect("schemaArn").to_string();
    assert_eq!(a, arn("schema", name));
    a
}

pub async fn create_dataset(
    c: &aws_sdk_personalize::Client,
    dsg_arn: &str,
    dsg_name: &str,
    name: &str,
    kind: &str,
    schema_arn: &str,
) -> String {
    let out = ok(
        c.create_dataset().name(name).dataset_group_arn(dsg_arn).dataset_type(kind).schema_arn(schema_arn).send().await,
        "CreateDataset",
    );
    let a = out.dataset_arn().expect("datasetArn").to_string();
    assert_eq!(a, arn("dataset", &format!("{dsg_name}/{}", kind.to_uppercase())));
    wait_active(c, &Res::Dataset(a.clone())).await;
    a
}

pub async fn import(
    c: &aws_sdk_personalize::Client,
    job: &str,
    dataset_arn: &str,
    location: &str,
    mode: Option<aws_sdk_personalize::types::ImportMode>,
) -> String {
    import_with(c, job, dataset_arn, location, mode, &[]).await
}

/// [`import`] (FULL) with tags on the job, e.g. `reko:strict-import=true`.
pub async fn import_tagged(
    c: &aws_sdk_personalize::Client,
    job: &str,
    dataset_arn: &str,
    location: &str,
    tags: &[(&str, &str)],
) -> String {
    import_with(c, job, dataset_arn, location, None, tags).await
}

async fn import_with(
    c: &aws_sdk_personalize::Client,
    job: &str,
    dataset_arn: &str,
    location: &str,
    mode: Option<aws_sdk_personalize::types::ImportMode>,
    tags: &[(&str, &str)],
) -> String {
    let tags: Vec<_> = tags
        .iter()
        .map(|(k, v)| aws_sdk_personalize::types::Tag::builder().tag_key(*k).tag_value(*v).build().unwrap())
        .collect();
    let out = ok(
        c.create_dataset_import_job()
            .job_name(job)
            .dataset_arn(dataset_arn)
            .data_source(aws_sdk_personalize::types::DataSource::builder().data_location(location).build())
            .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/PersonalizeRole"))
            .set_import_mode(mode)
            .set_tags((!tags.is_empty()).then_some(tags))
            .send()
            .await,
        "CreateDatasetImportJob",
    );
    let a = out.dataset_import_job_arn().expect("datasetImportJobArn").to_string();
    assert!(a.ends_with(&format!(":dataset-import-job/{job}")), "{a}");
    a
}

/// The body of `GET /reko/tasks` (the task view), signed with the root key.
pub fn get_tasks(url: &str) -> String {
    use std::io::Read as _;
    let authority = url.strip_prefix("http://").expect("http url").trim_end_matches('/');
    let headers = sigv4_headers(
        "GET",
        authority,
        "/reko/tasks",
        &[],
        b"",
        (ACCESS_KEY_ID, SECRET_ACCESS_KEY),
        std::time::SystemTime::now(),
    );
    let mut head = format!("GET /reko/tasks HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (n, v) in headers.iter().filter(|(n, _)| n != "host") {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut s = std::net::TcpStream::connect(authority).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.1 200"), "GET /reko/tasks: {head}\n{body}");
    body.to_string()
}

pub async fn create_dataset_group(c: &aws_sdk_personalize::Client, name: &str) -> String {
    let out = ok(c.create_dataset_group().name(name).send().await, "CreateDatasetGroup");
    let a = out.dataset_group_arn().expect("datasetGroupArn").to_string();
    assert_eq!(a, arn("dataset-group", name));
    a
}

pub async fn deploy(c: &aws_sdk_personalize::Client, name: &str, sv: &str) -> String {
    let camp = ok(
        c.create_campaign().name(name).solution_version_arn(sv).min_provisioned_tps(1).send().await,
        "CreateCampaign",
    )
    .campaign_arn()
    .expect("campaignArn")
    .to_string();
    assert_eq!(camp, arn("campaign", name));
    wait_active(c, &Res::Campaign(camp.clone())).await;
    camp
}

// ---- solutions, campaigns, trackers (events, filters and batch suites) ----------------------

/// `arn:aws:personalize:::recipe/{name}`.
pub fn recipe(name: &str) -> String {
    format!("arn:aws:personalize:::recipe/{name}")
}

pub async fn create_campaign(
    c: &aws_sdk_personalize::Client,
    name: &str,
    sv: &str,
    config: aws_sdk_personalize::types::CampaignConfig,
) -> String {
    let camp = ok(
        c.create_campaign().name(name).solution_version_arn(sv).campaign_config(config).send().await,
        "CreateCampaign",
    )
    .campaign_arn()
    .expect("campaignArn")
    .to_string();
    wait_active(c, &Res::Campaign(camp.clone())).await;
    camp
}

pub async fn train(c: &aws_sdk_personalize::Client, sol: &str) -> String {
    let sv = ok(
        c.create_solution_version()
            .solution_arn(sol)
            .training_mode(aws_sdk_personalize::types::TrainingMode::Full)
            .send()
            .await,
        "CreateSolutionVersion",
    )
    .solution_version_arn()
    .expect("solutionVersionArn")
    .to_string();
    wait_active(c, &Res::SolutionVersion(sv.clone())).await;
    sv
}

pub async fn create_solution(c: &aws_sdk_personalize::Client, dsg: &str, name: &str, recipe_name: &str) -> String {
    let sol = ok(
        c.create_solution().name(name).dataset_group_arn(dsg).recipe_arn(recipe(recipe_name)).send().await,
        "CreateSolution",
    )
    .solution_arn()
    .expect("solutionArn")
    .to_string();
    wait_active(c, &Res::Solution(sol.clone())).await;
    sol
}

pub async fn create_tracker(c: &aws_sdk_personalize::Client, name: &str, dsg: &str) -> String {
    let et = ok(c.create_event_tracker().name(name).dataset_group_arn(dsg).send().await, "CreateEventTracker");
    let tracking_id = et.tracking_id().expect("trackingId").to_string();
    wait_active(c, &Res::EventTracker(et.event_tracker_arn().expect("eventTrackerArn").to_string())).await;
    tracking_id
}

/// Polls DescribeFilter until the filter leaves CREATE PENDING / CREATE IN_PROGRESS; it must end ACTIVE.
pub async fn wait_filter_active(
    c: &aws_sdk_personalize::Client,
    filter_arn: &str,
) -> aws_sdk_personalize::types::Filter {
    let start = Instant::now();
    loop {
        let out = ok(c.describe_filter().filter_arn(filter_arn).send().await, "DescribeFilter");
        let f = out.filter().expect("filter").clone();
        match f.status() {
            Some("ACTIVE") => return f,
            Some("CREATE PENDING" | "CREATE IN_PROGRESS") => {}
            other => panic!("filter {filter_arn} is {other:?} (failure reason {:?})", f.failure_reason()),
        }
        assert!(start.elapsed() < WAIT, "filter {filter_arn} not ACTIVE after {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// CreateFilter, checking the ARN, then waits until ACTIVE.
pub async fn create_filter(c: &aws_sdk_personalize::Client, dsg: &str, name: &str, expression: &str) -> String {
    let out = ok(
        c.create_filter().name(name).dataset_group_arn(dsg).filter_expression(expression).send().await,
        &format!("CreateFilter({expression})"),
    );
    let a = out.filter_arn().expect("filterArn").to_string();
    assert_eq!(a, arn("filter", name));
    wait_filter_active(c, &a).await;
    a
}

/// Writes a JSON Lines input file (one line each), creating its folder.
pub fn write_input(path: &Path, lines: &[&str]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
}

/// The headers AWS's own signer (`aws-sigv4`, as the SDKs use it) adds to `method
/// http://{authority}{path}` with these other headers and `body`, for `key` (id, secret) at `time`.
pub fn sigv4_headers(
    method: &str,
    authority: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    key: (&str, &str),
    time: std::time::SystemTime,
) -> Vec<(String, String)> {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    use aws_sigv4::sign::v4;
    let identity = aws_credential_types::Credentials::new(key.0, key.1, None, None, "t").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("personalize")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let url = format!("http://{authority}{path}");
    let mut all: Vec<(&str, &str)> = vec![("host", authority)];
    all.extend_from_slice(headers);
    let signable = SignableRequest::new(method, &url, all.into_iter(), SignableBody::Bytes(body)).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.headers().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

/// Polls DescribeDatasetExportJob until the job is ACTIVE (panics when it fails or is stuck).
pub async fn wait_export_active(c: &aws_sdk_personalize::Client, export_arn: &str) {
    let started = Instant::now();
    loop {
        let d = ok(c.describe_dataset_export_job().dataset_export_job_arn(export_arn).send().await, "Describe");
        let status = d.dataset_export_job().and_then(|j| j.status()).unwrap_or_default().to_string();
        if status == "ACTIVE" {
            return;
        }
        assert!(!status.contains("FAILED"), "{d:?}");
        assert!(started.elapsed() < WAIT, "export {export_arn} stuck in {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Exports a dataset's records (`mode`: BULK, PUT or ALL) into `folder` as `<name>.csv` and waits
/// for the job; returns the CSV's lines, header first.
pub async fn export_dataset(
    c: &aws_sdk_personalize::Client,
    name: &str,
    dataset_arn: &str,
    mode: &str,
    folder: &Path,
) -> Vec<String> {
    use aws_sdk_personalize::types::{DatasetExportJobOutput, IngestionMode, S3DataConfig};
    std::fs::create_dir_all(folder).unwrap();
    let destination = S3DataConfig::builder().path(format!("{}/", file_url(folder))).build().unwrap();
    let out = ok(
        c.create_dataset_export_job()
            .job_name(name)
            .dataset_arn(dataset_arn)
            .ingestion_mode(IngestionMode::from(mode))
            .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/PersonalizeRole"))
            .job_output(DatasetExportJobOutput::builder().s3_data_destination(destination).build())
            .send()
            .await,
        "CreateDatasetExportJob",
    );
    wait_export_active(c, out.dataset_export_job_arn().unwrap()).await;
    let csv = std::fs::read_to_string(folder.join(format!("{name}.csv"))).unwrap();
    csv.lines().map(str::to_string).collect()
}
