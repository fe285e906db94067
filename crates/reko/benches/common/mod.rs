//! What the server benchmarks share: starting `reko serve` with a known key, an SDK client
//! signing with it, and staging a User-Personalization campaign through the SDK.

#![allow(dead_code)] // each bench uses a part

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_personalize::config::{BehaviorVersion, Credentials, Region};

pub mod load;

/// The key the benchmarks' server accepts and their clients sign with.
pub const KEY_ID: &str = "AKIDBENCH0001";
pub const SECRET: &str = "reko-bench-secret-access-key";

pub fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A `reko serve` child process, killed on drop.
pub struct Server {
    pub child: Child,
    /// `host:port`.
    pub addr: String,
}

impl Server {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a release `reko serve` on `data_dir` (files beside it are allowed data locations), with
/// `extra` arguments; its log goes to `<data_dir>.log`.
pub fn start_server(data_dir: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reko"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .arg("--allowed-data-root")
        .arg(data_dir.parent().unwrap_or(data_dir))
        .args(extra)
        .env("REKO_ACCESS_KEY_ID", KEY_ID)
        .env("REKO_SECRET_ACCESS_KEY", SECRET)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::create(data_dir.with_extension("log")).expect("server log")))
        .spawn()
        .expect("spawn reko serve");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
    let addr = line.trim().strip_prefix("Listening on http://").expect("listening line").to_string();
    Server { child, addr }
}

/// A control-plane client signing with [`KEY_ID`].
pub fn control(url: &str) -> aws_sdk_personalize::Client {
    aws_sdk_personalize::Client::from_conf(
        aws_sdk_personalize::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(url)
            .credentials_provider(Credentials::new(KEY_ID, SECRET, None, None, "bench"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build(),
    )
}

/// Polls `status` every 200 ms until ACTIVE (panics on a FAILED status).
pub async fn wait_active<F, Fut>(what: &str, mut status: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let start = Instant::now();
    loop {
        let s = status().await;
        if s == "ACTIVE" {
            eprintln!("  {what} ACTIVE after {:.1?}", start.elapsed());
            return;
        }
        assert!(!s.contains("FAILED"), "{what}: {s}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What [`deploy_user_personalization`] created.
pub struct Deployed {
    pub group: String,
    pub solution: String,
    pub campaign: String,
}

/// A dataset group `name` with the given datasets (`(type, schema, CSV file)`) imported, a
/// User-Personalization solution trained with default settings and deployed in a campaign.
pub async fn deploy_user_personalization(
    c: &aws_sdk_personalize::Client,
    name: &str,
    datasets: &[(&str, &str, &Path)],
) -> Deployed {
    let group = c.create_dataset_group().name(name).send().await.unwrap().dataset_group_arn.unwrap();
    wait_active("dataset group", || async {
        c.describe_dataset_group()
            .dataset_group_arn(&group)
            .send()
            .await
            .unwrap()
            .dataset_group
            .unwrap()
            .status
            .unwrap()
    })
    .await;
    for &(kind, schema, file) in datasets {
        let s = c.create_schema().name(format!("{name}-{kind}")).schema(schema).send().await.unwrap();
        let d = c
            .create_dataset()
            .name(format!("{name}-{kind}"))
            .schema_arn(s.schema_arn.unwrap())
            .dataset_group_arn(&group)
            .dataset_type(kind)
            .send()
            .await
            .unwrap()
            .dataset_arn
            .unwrap();
        wait_active(kind, || async {
            c.describe_dataset().dataset_arn(&d).send().await.unwrap().dataset.unwrap().status.unwrap()
        })
        .await;
        let job = start_import(c, &format!("{name}-{kind}"), &d, file).await;
        wait_active(&format!("{kind} import"), || async {
            let j = c.describe_dataset_import_job().dataset_import_job_arn(&job).send().await.unwrap();
            j.dataset_import_job.unwrap().status.unwrap()
        })
        .await;
    }
    let (solution, sv) = train_solution(c, &group, &format!("{name}-up"), "aws-user-personalization").await;
    let campaign = c.create_campaign().name(name).solution_version_arn(&sv).send().await.unwrap().campaign_arn.unwrap();
    wait_active("campaign", || async {
        c.describe_campaign().campaign_arn(&campaign).send().await.unwrap().campaign.unwrap().status.unwrap()
    })
    .await;
    Deployed { group, solution, campaign }
}

/// A solution `name` of `recipe` (e.g. `aws-popularity-count`) in `group`, and its first version
/// trained: `(solution, version)`.
pub async fn train_solution(
    c: &aws_sdk_personalize::Client,
    group: &str,
    name: &str,
    recipe: &str,
) -> (String, String) {
    let solution = c
        .create_solution()
        .name(name)
        .dataset_group_arn(group)
        .recipe_arn(format!("arn:aws:personalize:::recipe/{recipe}"))
        // Automatic training (on by default, first run an hour after creation) would retrain
        // in the middle of a later run on the kept data directory, competing for the cores.
        .perform_auto_training(false)
        .send()
        .await
        .unwrap()
        .solution_arn
        .unwrap();
    wait_active("solution", || async {
        c.describe_solution().solution_arn(&solution).send().await.unwrap().solution.unwrap().status.unwrap()
    })
    .await;
    let sv = c.create_solution_version().solution_arn(&solution).send().await.unwrap().solution_version_arn.unwrap();
    wait_active("solution version (training)", || async {
        let v = c.describe_solution_version().solution_version_arn(&sv).send().await.unwrap();
        v.solution_version.unwrap().status.unwrap()
    })
    .await;
    (solution, sv)
}

/// A dataset group `name` with one Interactions dataset of `schema`, both ACTIVE: `(group, dataset)`.
pub async fn interactions_dataset(c: &aws_sdk_personalize::Client, name: &str, schema: &str) -> (String, String) {
    let group = c.create_dataset_group().name(name).send().await.unwrap().dataset_group_arn.unwrap();
    wait_active("dataset group", || async {
        let g = c.describe_dataset_group().dataset_group_arn(&group).send().await.unwrap();
        g.dataset_group.unwrap().status.unwrap()
    })
    .await;
    let schema = c.create_schema().name(name).schema(schema).send().await.unwrap().schema_arn.unwrap();
    let dataset = c
        .create_dataset()
        .name(name)
        .schema_arn(schema)
        .dataset_group_arn(&group)
        .dataset_type("Interactions")
        .send()
        .await
        .unwrap()
        .dataset_arn
        .unwrap();
    wait_active("dataset", || async {
        c.describe_dataset().dataset_arn(&dataset).send().await.unwrap().dataset.unwrap().status.unwrap()
    })
    .await;
    (group, dataset)
}

/// Starts an import job `name` of the CSV `file` into `dataset`; returns the job's ARN.
pub async fn start_import(c: &aws_sdk_personalize::Client, name: &str, dataset: &str, file: &Path) -> String {
    c.create_dataset_import_job()
        .job_name(name)
        .dataset_arn(dataset)
        .data_source(
            aws_sdk_personalize::types::DataSource::builder()
                .data_location(format!("file://{}", file.display()))
                .build(),
        )
        .role_arn("arn:aws:iam::123456789012:role/bench")
        .send()
        .await
        .unwrap()
        .dataset_import_job_arn
        .unwrap()
}

/// An event tracker on `group`, ACTIVE; returns its tracking id.
pub async fn create_tracker(c: &aws_sdk_personalize::Client, name: &str, group: &str) -> String {
    let tracker = c.create_event_tracker().name(name).dataset_group_arn(group).send().await.unwrap();
    let tracker_arn = tracker.event_tracker_arn.unwrap();
    wait_active("event tracker", || async {
        let t = c.describe_event_tracker().event_tracker_arn(&tracker_arn).send().await.unwrap();
        t.event_tracker.unwrap().status.unwrap()
    })
    .await;
    tracker.tracking_id.unwrap()
}
