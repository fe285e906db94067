//! Several processes on one PostgreSQL database (docs/cluster.md): an `--role api` process that
//! serves the API and runs no task, and two `--role worker` processes that run the tasks. A
//! worker killed mid-training loses its task to the other once its lease expires. Skipped,
//! saying so, when no PostgreSQL answers (unless `CI` is set: reko_storage::testing).
//!
//! The three share one data directory: the model artifact is written under a worker's.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use crate::common::*;
use reko_storage::testing::TestDatabase;

/// Short enough that the takeover comes within seconds.
const LEASE_SECS: &str = "3";
/// Interactions enough that a training lasts a few seconds (the kill must land mid-training).
const USERS: usize = 1200;
const PER_USER: usize = 30;
const ITEMS: usize = 600;

const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;

/// A plain request (no SigV4): the status and the body.
fn http(url: &str, method: &str, path: &str) -> (u16, String) {
    let authority = url.strip_prefix("http://").unwrap().trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(authority).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    (head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status line"), body.to_string())
}

fn write_interactions(path: &std::path::Path) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "USER_ID,ITEM_ID,TIMESTAMP").unwrap();
    for u in 0..USERS {
        for k in 0..PER_USER {
            // Users in 20 taste groups, each clicking mostly its own slice of the catalogue.
            let item = (u % 20) * (ITEMS / 20) + (u * 7 + k * 13) % (ITEMS / 20);
            writeln!(f, "u{u},i{item},{}", 1_700_000_000 + u * 100 + k).unwrap();
        }
    }
}

/// The task of `arn`, as the api process shows it.
async fn task_of(api: &Server, arn: &str) -> Option<reko::tasks::TaskInfo> {
    get_tasks(&api.url).await.into_iter().rfind(|t| t.resource_arn == arn)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_workers_training_is_taken_over_by_another_worker() {
    let Some(db) = TestDatabase::create() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // Each process has a data directory of its own; the models go to the shared artifact store.
    let store = tmp.path().join("artifacts").display().to_string();
    let api = Server::start_with(
        &tmp.path().join("data-api"),
        &["--database-url", db.url(), "--role", "api", "--artifact-store", &store],
    );
    let c = &api.control.clone();

    // The api process alone runs no task: the dataset group waits in the queue.
    let dsg = create_dataset_group(c, "cluster").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let queued = task_of(&api, &dsg).await.expect("the dataset group's task");
    assert_eq!((queued.state.as_str(), queued.attempts, queued.owner.as_deref()), ("queued", 0, None));
    let (status, _) = describe_status(c, &Res::DatasetGroup(dsg.clone())).await.unwrap();
    assert_eq!(status, "CREATE PENDING");

    let worker_args = [
        "--database-url",
        db.url(),
        "--role",
        "worker",
        "--workers",
        "1",
        "--task-lease-secs",
        LEASE_SECS,
        "--artifact-store",
        &store,
    ];
    let mut workers = [
        Server::start_with(&tmp.path().join("data-w0"), &worker_args),
        Server::start_with(&tmp.path().join("data-w1"), &worker_args),
    ];
    // A worker serves its probes and metrics, and no API.
    assert_eq!(http(&workers[0].url, "GET", "/health").0, 200);
    assert_eq!(http(&workers[0].url, "GET", "/ready").0, 200, "a worker is ready at once: it serves no campaign");
    assert_eq!(http(&workers[0].url, "GET", "/metrics").0, 200);
    let (status, body) = http(&workers[0].url, "POST", "/");
    assert!(status == 404 && body.contains("--role worker"), "{status} {body}");
    assert_eq!(http(&workers[1].url, "GET", "/reko/tasks").0, 404);
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;

    let csv = tmp.path().join("interactions.csv");
    write_interactions(&csv);
    let schema = create_schema(c, "cluster-int", SCHEMA).await;
    let dataset = create_dataset(c, &dsg, "cluster", "cluster-int", "Interactions", &schema).await;
    let job = import(c, "cluster-int", &dataset, &file_url(&csv), None).await;
    wait_active(c, &Res::ImportJob(job)).await;
    let sol = create_solution(c, &dsg, "cluster-up", "aws-user-personalization").await;
    let sv = ok(c.create_solution_version().solution_arn(&sol).send().await, "CreateSolutionVersion")
        .solution_version_arn()
        .expect("solutionVersionArn")
        .to_string();

    // Wait until a worker runs the training, then kill that worker.
    let started = Instant::now();
    let (owner, first_expiry) = loop {
        let task = task_of(&api, &sv).await;
        if let Some(t) = task.filter(|t| t.state == "running") {
            break (t.owner.expect("a running task's owner"), t.lease_expires.expect("a running task's lease"));
        }
        assert!(started.elapsed() < WAIT, "no worker started the training");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let pid_of = |owner: &str| owner.split(':').nth(1).and_then(|p| p.parse::<u32>().ok()).expect("host:pid:random");
    let victim = workers.iter().position(|w| w.pid() == pid_of(&owner)).expect("the owner is one of the workers");
    let survivor = 1 - victim;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    assert!(first_expiry > now - 1.0 && first_expiry <= now + 3.5, "a 3 s lease ends at {first_expiry}, now {now}");
    workers[victim].kill();

    // The other worker takes the task over once the lease expires, and trains the version.
    wait_active(c, &Res::SolutionVersion(sv.clone())).await;
    let done = task_of(&api, &sv).await.expect("the training task");
    assert_eq!((done.state.as_str(), done.attempts), ("succeeded", 2), "{done:?}");
    let (_, metrics) = http(&workers[survivor].url, "GET", "/metrics");
    let takeovers = metrics
        .lines()
        .find(|l| l.starts_with("reko_task_takeovers_total{") && l.contains("solution-version-training"))
        .unwrap_or_else(|| panic!("no takeover counted:\n{metrics}"));
    assert!(takeovers.ends_with(" 1"), "{takeovers}");
    let log = std::fs::read_to_string(&workers[survivor].log).unwrap();
    assert!(log.contains("task taken over") && log.contains(&owner), "{log}");
}

#[test]
fn a_worker_without_a_database_refuses_to_start() {
    let tmp = tempfile::tempdir().unwrap();
    for role in ["worker", "api"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_reko"))
            .args(["serve", "--listen", "127.0.0.1:0", "--role", role, "--data-dir"])
            .arg(tmp.path().join("data"))
            .env_remove("REKO_DATABASE_URL")
            .env_remove("REKO_ROLE")
            .env("REKO_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("REKO_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "--role {role} started without a database");
        assert!(stderr.contains(&format!("--role {role} requires --database-url")), "{stderr}");
    }
}
