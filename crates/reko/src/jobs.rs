//! What the job commands (`reko batch`, `reko import`, `reko export`) share: the SDK client,
//! error display, location → URL conversion, and waiting for a job with a progress bar fed by
//! the server's task view (`GET /reko/tasks`).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use aws_sdk_personalize::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_personalize::error::{ProvideErrorMetadata, SdkError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::tasks::{TaskInfo, TasksClient};

/// The `roleArn` sent with every job. Personalize requires one; Reko ignores it.
pub const PLACEHOLDER_ROLE_ARN: &str = "arn:aws:iam::000000000000:role/reko";
/// How often the job's status and task progress are polled.
const POLL: Duration = Duration::from_millis(250);

// ---------------------------------------------------------------------------------------------
// Client and errors
// ---------------------------------------------------------------------------------------------

/// The endpoint without trailing `/`, checked to be an http(s) URL.
pub fn check_endpoint(endpoint: &str) -> anyhow::Result<String> {
    let trimmed = endpoint.trim_end_matches('/');
    if !trimmed.starts_with("http://") && !trimmed.starts_with("https://") {
        bail!("--endpoint must be an http:// or https:// URL, got '{endpoint}'");
    }
    Ok(trimmed.to_string())
}

/// A control-plane client for `endpoint`, signing with the CLI's key
/// ([`crate::access_keys::client_credentials`]). ARNs carry the server's region; signing with the
/// region of `arn` keeps the request consistent ([`crate::access_keys::client_region`]).
pub fn client(endpoint: &str, arn: Option<&str>) -> anyhow::Result<aws_sdk_personalize::Client> {
    let region = crate::access_keys::client_region(arn.and_then(region_of));
    let (id, secret) = crate::access_keys::client_credentials()?;
    let creds = Credentials::new(id, secret, None, None, "reko-cli");
    Ok(aws_sdk_personalize::Client::from_conf(
        aws_sdk_personalize::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region))
            .endpoint_url(endpoint)
            .credentials_provider(creds)
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build(),
    ))
}

/// Turns an SDK result into an `anyhow` error that shows the service's error code and message,
/// or the chain of causes when the server could not be reached.
pub fn sdk<T, E, R>(result: Result<T, SdkError<E, R>>, op: &str) -> anyhow::Result<T>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    result.map_err(|e| match e.code() {
        Some(code) => anyhow!("{op} failed: {code}: {}", e.message().unwrap_or("")),
        None => anyhow!("{op} failed: {}", error_chain(&e)),
    })
}

/// `outer: cause: root cause`, skipping causes whose text the outer message already holds.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

/// The region field of an ARN (`arn:aws:personalize:<region>:...`).
pub fn region_of(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

/// `<prefix>-<unix time>`, e.g. `reko-batch-1714566896`.
pub fn default_job_name(prefix: &str) -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    format!("{prefix}-{secs}")
}

// ---------------------------------------------------------------------------------------------
// Locations
// ---------------------------------------------------------------------------------------------

/// A job location as sent to the server, and the local path it names (`None` for `s3://`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub url: String,
    pub local: Option<PathBuf>,
}

/// An input location: `s3://` passes through unchanged; a local path (or `file://` URL) must
/// exist and becomes an absolute `file://` URL, ending in `/` for a folder.
pub fn input_location(location: &str) -> anyhow::Result<Location> {
    if is_s3(location) {
        return Ok(Location { url: location.to_string(), local: None });
    }
    let path = local_path(location)?;
    let path = std::fs::canonicalize(&path).with_context(|| format!("data location {}", path.display()))?;
    let url = file_url(&path, path.is_dir())?;
    Ok(Location { url, local: Some(path) })
}

/// An output folder: `s3://` passes through unchanged; a local path (or `file://` URL) becomes an
/// absolute `file://` URL ending in `/` (the folder need not exist; the server creates it).
pub fn output_location(location: &str) -> anyhow::Result<Location> {
    if is_s3(location) {
        return Ok(Location { url: location.to_string(), local: None });
    }
    let path = absolute_output(&local_path(location)?)?;
    let url = file_url(&path, true)?;
    Ok(Location { url, local: Some(path) })
}

fn is_s3(location: &str) -> bool {
    location.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("s3://"))
}

/// The local path a location names: a plain path, or the decoded path of a `file://` URL.
fn local_path(location: &str) -> anyhow::Result<PathBuf> {
    if location.trim().is_empty() {
        bail!("the location is empty");
    }
    let lower = location.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("file://").map(|_| &location["file://".len()..]) {
        let rest = match rest.get(.."localhost".len()) {
            Some(host) if host.eq_ignore_ascii_case("localhost") => &rest["localhost".len()..],
            _ => rest,
        };
        if !rest.starts_with('/') {
            bail!("'{location}' must be of the form file:///absolute/path");
        }
        return Ok(PathBuf::from(percent_decode(rest).with_context(|| format!("'{location}'"))?));
    }
    if let Some(idx) = location.find("://") {
        bail!(
            "the scheme '{}' of '{location}' is not supported; use a local path, a file:// URL or s3://bucket/key",
            &location[..idx]
        );
    }
    Ok(PathBuf::from(location))
}

fn percent_decode(s: &str) -> anyhow::Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok()).context("invalid percent-escape")?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).context("does not decode to UTF-8")
}

/// The output folder as an absolute path (canonical when it exists already).
pub fn absolute_output(output: &Path) -> anyhow::Result<PathBuf> {
    if output.is_file() {
        bail!("--output {} is a file; it must be a folder", output.display());
    }
    if output.exists() {
        return std::fs::canonicalize(output).with_context(|| format!("output {}", output.display()));
    }
    std::path::absolute(output).with_context(|| format!("output {}", output.display()))
}

/// `file://` URL of an absolute path, percent-encoded; folders end with `/`.
pub fn file_url(path: &Path, folder: bool) -> anyhow::Result<String> {
    let s = path.to_str().with_context(|| format!("{} is not valid UTF-8", path.display()))?;
    let s = s.replace('\\', "/");
    let mut url = String::from("file://");
    if !s.starts_with('/') {
        // Windows: file:///C:/dir
        url.push('/');
    }
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~:".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    if folder && !url.ends_with('/') {
        url.push('/');
    }
    Ok(url)
}

// ---------------------------------------------------------------------------------------------
// Waiting for a job
// ---------------------------------------------------------------------------------------------

/// A job's status as its Describe call reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobState {
    pub status: String,
    pub failure_reason: Option<String>,
}

impl JobState {
    /// From a Describe response's members (`UNKNOWN` when it has no status).
    pub fn new(status: Option<&str>, failure_reason: Option<&str>) -> Self {
        JobState { status: status.unwrap_or("UNKNOWN").to_string(), failure_reason: failure_reason.map(str::to_string) }
    }
}

/// Polls `describe` until the job is ACTIVE (returns the status) or failed (an error with the
/// reason), showing a spinner, or a bar while the server lists the job's task.
/// `what` names the kind of job in the error (`"dataset import job"`).
pub async fn wait<F, Fut>(endpoint: &str, arn: &str, what: &str, name: &str, mut describe: F) -> anyhow::Result<String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<JobState>>,
{
    let pb = ProgressBar::with_draw_target(Some(1000), ProgressDrawTarget::stderr());
    pb.set_style(spinner_style());
    pb.set_message("waiting for the server");
    pb.enable_steady_tick(Duration::from_millis(100));
    let tasks_addr = tasks_authority(endpoint);
    let mut showing_bar = false;
    loop {
        let JobState { status, failure_reason } = match describe().await {
            Ok(s) => s,
            Err(e) => {
                pb.finish_and_clear();
                return Err(e);
            }
        };
        if status == reko_api::ResourceStatus::Active.as_str() {
            pb.finish_and_clear();
            return Ok(status);
        }
        if status.ends_with("FAILED") {
            pb.finish_and_clear();
            let reason = failure_reason.as_deref().unwrap_or("no failureReason given");
            bail!("{what} {name} ended {status}: {reason}");
        }
        let task = match &tasks_addr {
            Some(addr) => fetch_task(addr, arn).await,
            None => None,
        };
        match task {
            Some(TaskProgress { fraction, detail }) => {
                if !showing_bar {
                    pb.set_style(bar_style());
                    showing_bar = true;
                }
                pb.set_position((fraction * 1000.0).round() as u64);
                // The bar says the job is in progress; the task's own words say how far.
                pb.set_message(if detail.is_empty() { status } else { detail });
            }
            None => {
                if showing_bar {
                    pb.set_style(spinner_style());
                    showing_bar = false;
                }
                pb.set_message(status);
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

/// After a job is ACTIVE: the number its task's detail gives as `<n> <suffix>` (e.g. `1200 rows
/// imported`), asked for a short while since the task may finish just after the job's status.
/// `None` when the server does not say (or is not reachable over plain http).
pub async fn finished_task_count(endpoint: &str, arn: &str, suffix: &str) -> Option<u64> {
    finished_task_detail(endpoint, arn, suffix).await.map(|(n, _)| n)
}

/// [`finished_task_count`] with the rest of the detail: what follows the count after a `;`
/// (e.g. `1200 rows imported; 3 non-numeric values set to null (...)`), if anything.
pub async fn finished_task_detail(endpoint: &str, arn: &str, suffix: &str) -> Option<(u64, Option<String>)> {
    let addr = tasks_authority(endpoint)?;
    for _ in 0..10 {
        if let Some(t) = fetch_task(&addr, arn).await {
            if let Some(n) = count_in_detail(&t.detail, suffix) {
                let rest = t.detail.split_once(';').map(|(_, rest)| rest.trim().to_string()).filter(|r| !r.is_empty());
                return Some((n, rest));
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// `"1200 rows imported"` (or `"1200 rows imported; more"`) with suffix `"rows imported"` → 1200.
fn count_in_detail(detail: &str, suffix: &str) -> Option<u64> {
    let head = detail.split_once(';').map_or(detail, |(head, _)| head);
    head.trim().strip_suffix(suffix)?.trim().parse().ok()
}

// The job name is on the "Created ..." line above; the live line keeps to status and progress so
// that it fits an 80-column terminal.
fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("  {spinner:.cyan} {elapsed:>4} {wide_msg}").expect("valid template").tick_chars(TICKS)
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("  {spinner:.cyan} {elapsed:>4} [{bar:24.cyan/blue}] {percent:>3}% {wide_msg}")
        .expect("valid template")
        .progress_chars("=> ")
        .tick_chars(TICKS)
}

const TICKS: &str = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ";

/// The progress of the job's background task, as `GET /reko/tasks` reports it.
#[derive(Debug, Clone, PartialEq)]
struct TaskProgress {
    fraction: f64,
    detail: String,
}

/// `host:port` to ask `/reko/tasks` of, for plain `http://` endpoints.
fn tasks_authority(endpoint: &str) -> Option<String> {
    endpoint.strip_prefix("http://").map(authority_with_port)
}

/// `host:port` of an endpoint without its scheme (port 80 when absent).
fn authority_with_port(rest: &str) -> String {
    let authority = rest.split('/').next().unwrap_or(rest);
    let has_port = match authority.rsplit_once(':') {
        // `[::1]:8080` has a port, `[::1]` has not.
        Some((_, port)) => !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()),
        None => false,
    };
    if has_port {
        authority.to_string()
    } else {
        format!("{authority}:80")
    }
}

/// Best effort: the job's task progress, `None` when the server does not list it (or fails).
async fn fetch_task(authority: &str, arn: &str) -> Option<TaskProgress> {
    let region = crate::access_keys::client_region(region_of(arn));
    let credentials = crate::access_keys::client_credentials().ok()?;
    let client = TasksClient::new(authority, credentials, region);
    let tasks = tokio::time::timeout(Duration::from_millis(500), client.list()).await.ok()?.ok()?;
    task_progress(&tasks, arn)
}

/// Picks the job's task out of the task view: a running one first, then queued, then
/// succeeded (finished while the job's status catches up); failed tasks are ignored.
fn task_progress(tasks: &[TaskInfo], arn: &str) -> Option<TaskProgress> {
    let rank = |state: &str| match state {
        "running" => Some(0),
        "queued" => Some(1),
        "succeeded" => Some(2),
        _ => None,
    };
    tasks
        .iter()
        .filter(|t| t.resource_arn == arn)
        .filter_map(|t| Some((rank(&t.state)?, t)))
        .min_by_key(|(r, _)| *r)
        .map(|(_, t)| TaskProgress { fraction: t.progress.clamp(0.0, 1.0), detail: t.detail.clone() })
}

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

pub fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `500000` → `500,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_are_percent_encoded() {
        assert_eq!(file_url(Path::new("/data/in put/ü.json"), false).unwrap(), "file:///data/in%20put/%C3%BC.json");
        assert_eq!(file_url(Path::new("/data/out"), true).unwrap(), "file:///data/out/");
        assert_eq!(file_url(Path::new("/data/out/"), true).unwrap(), "file:///data/out/");
        assert_eq!(file_url(Path::new("/a/100%#?.json"), false).unwrap(), "file:///a/100%25%23%3F.json");
    }

    #[test]
    fn input_locations() {
        let s3 = input_location("s3://bucket/key/").unwrap();
        assert_eq!(s3, Location { url: "s3://bucket/key/".into(), local: None });
        assert_eq!(input_location("S3://Bucket/k.csv").unwrap().url, "S3://Bucket/k.csv");

        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir(root.join("in put")).unwrap();
        std::fs::write(root.join("in put/a.csv"), "USER_ID\n").unwrap();
        let file = input_location(root.join("in put/a.csv").to_str().unwrap()).unwrap();
        assert_eq!(file.url, format!("file://{}/in%20put/a.csv", root.display()));
        assert_eq!(file.local.as_deref(), Some(root.join("in put/a.csv").as_path()));
        // A folder gets a trailing slash, and a file:// URL is read back to its path.
        let folder = input_location(&format!("file://{}/in%20put", root.display())).unwrap();
        assert_eq!(folder.url, format!("file://{}/in%20put/", root.display()));
        // A relative path is made absolute.
        let cwd = std::env::current_dir().unwrap();
        let here = input_location("src/main.rs").unwrap();
        assert_eq!(here.local, Some(std::fs::canonicalize(cwd.join("src/main.rs")).unwrap()));
        assert!(here.url.starts_with("file:///") && here.url.ends_with("/src/main.rs"), "{}", here.url);

        assert!(input_location(root.join("missing.csv").to_str().unwrap()).is_err());
        assert!(input_location("").is_err());
        assert!(input_location("https://example.com/a.csv").is_err());
        assert!(input_location("file://relative/path").is_err());
    }

    #[test]
    fn output_locations() {
        assert_eq!(
            output_location("s3://bucket/out").unwrap(),
            Location { url: "s3://bucket/out".into(), local: None }
        );
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        // Need not exist yet; always a folder URL.
        let out = output_location(root.join("new out").to_str().unwrap()).unwrap();
        assert_eq!(out.url, format!("file://{}/new%20out/", root.display()));
        assert_eq!(out.local, Some(root.join("new out")));
        let rel = output_location("target-out").unwrap();
        assert_eq!(rel.local, Some(std::env::current_dir().unwrap().join("target-out")));
        std::fs::write(root.join("f.csv"), "x").unwrap();
        assert!(output_location(root.join("f.csv").to_str().unwrap()).is_err());
        assert!(output_location("ftp://host/x").is_err());
    }

    #[test]
    fn picks_the_jobs_task() {
        let body = r#"{"tasks":[
            {"taskId":1,"kind":"batch-inference","resourceArn":"arn:x/job","state":"failed","progress":0.1,"detail":"old"},
            {"taskId":2,"kind":"batch-inference","resourceArn":"arn:x/job","state":"running","progress":0.42,"detail":"420/1000 lines"},
            {"taskId":3,"kind":"solution-version-training","resourceArn":"arn:x/other","state":"running","progress":0.9,"detail":""}
        ]}"#;
        let tasks = crate::tasks::parse_tasks(body.as_bytes()).unwrap();
        assert_eq!(
            task_progress(&tasks, "arn:x/job"),
            Some(TaskProgress { fraction: 0.42, detail: "420/1000 lines".into() })
        );
        assert_eq!(task_progress(&tasks, "arn:x/none"), None);
        assert_eq!(task_progress(&[], "arn:x/job"), None);
        assert_eq!(count_in_detail("1200 rows imported", "rows imported"), Some(1200));
        assert_eq!(count_in_detail("1200 rows read", "rows imported"), None);
        assert_eq!(
            count_in_detail("1200 rows imported; 3 non-numeric values set to null", "rows imported"),
            Some(1200)
        );
        assert_eq!(count_in_detail("writing CSV", "rows exported"), None);
    }

    #[test]
    fn endpoint_and_arn_helpers() {
        assert_eq!(authority_with_port("127.0.0.1:8080"), "127.0.0.1:8080");
        assert_eq!(authority_with_port("localhost:8080/base"), "localhost:8080");
        assert_eq!(authority_with_port("reko.local"), "reko.local:80");
        assert_eq!(authority_with_port("[::1]"), "[::1]:80");
        assert_eq!(authority_with_port("[::1]:9000"), "[::1]:9000");
        assert_eq!(tasks_authority("https://reko.example"), None);
        assert_eq!(check_endpoint("http://127.0.0.1:8080/").unwrap(), "http://127.0.0.1:8080");
        assert!(check_endpoint("127.0.0.1:8080").is_err());
        assert_eq!(region_of("arn:aws:personalize:eu-west-1:123456789012:solution/s/abc"), Some("eu-west-1"));
        assert_eq!(region_of("nonsense"), None);
        assert!(default_job_name("reko-batch").starts_with("reko-batch-"));
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }
}
