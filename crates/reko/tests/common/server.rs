//! A real `reko serve` on a free loopback port, and SDK clients signing with its root key.

use super::*;

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
        Server::start_with_env(data_dir, extra_args, &[])
    }

    /// [`Server::start_with`] with environment variables for the server alone: the suites share
    /// one test process, so none of them may change its environment for a server.
    pub fn start_with_env(data_dir: &Path, extra_args: &[&str], env: &[(&str, &str)]) -> Server {
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
            .envs(env.iter().copied())
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

    /// Stops the server cleanly (SIGTERM, as a service manager does) and waits for it to exit.
    pub fn stop(&mut self) {
        if self.child.is_some() {
            self.terminate();
            self.wait_exit();
        }
    }

    /// Sends SIGTERM without waiting (see [`Server::wait_exit`]).
    pub fn terminate(&self) {
        let sent = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status().expect("running kill");
        assert!(sent.success(), "kill -TERM failed");
    }

    /// Waits (at most 60 s) for the server to exit after [`Server::terminate`], asserting a clean
    /// exit.
    pub fn wait_exit(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "reko serve exited with {status} after SIGTERM; log:\n{}", self.log_tail());
                return;
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!("reko serve did not stop within 60s of SIGTERM; log:\n{}", self.log_tail());
            }
            std::thread::sleep(Duration::from_millis(50));
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

/// A `reko serve` shared by the tests that need only a server: each makes its own resources,
/// named after itself, and never lists all of a kind (another test's would show). The first
/// test that asks while none runs starts it; it stops when the last holder drops its handle, so
/// it never outlives the test process. SDK clients are made per test: a client's connections
/// belong to the runtime of the test that opened them.
pub struct SharedServer {
    pub url: String,
    pub control: aws_sdk_personalize::Client,
    pub runtime: aws_sdk_personalizeruntime::Client,
    pub events: aws_sdk_personalizeevents::Client,
    _process: std::sync::Arc<SharedProcess>,
}

/// The shared process and its data directory (removed after the server stops: fields drop in
/// order).
struct SharedProcess {
    server: Server,
    _dir: tempfile::TempDir,
}

/// A handle on the [`SharedServer`], starting it if none runs.
pub fn shared_server() -> SharedServer {
    use std::sync::{Arc, Mutex, Weak};
    static SHARED: Mutex<Weak<SharedProcess>> = Mutex::new(Weak::new());
    let mut slot = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    let process = slot.upgrade().unwrap_or_else(|| {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start(&dir.path().join("data"));
        let process = Arc::new(SharedProcess { server, _dir: dir });
        *slot = Arc::downgrade(&process);
        process
    });
    let url = process.server.url.clone();
    SharedServer {
        control: control_client(&url),
        runtime: runtime_client(&url),
        events: events_client(&url),
        url,
        _process: process,
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
    runtime_client_retrying(url, RetryConfig::disabled())
}

/// Runtime client with the given retries (`RetryConfig::standard()`: as an application
/// configures one).
pub fn runtime_client_retrying(url: &str, retry: RetryConfig) -> aws_sdk_personalizeruntime::Client {
    use aws_sdk_personalizeruntime::config as rc;
    let conf = rc::Config::builder()
        .behavior_version(rc::BehaviorVersion::latest())
        .region(rc::Region::new(REGION))
        .endpoint_url(url)
        .credentials_provider(rc::Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "test"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(retry)
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

/// Writes `dir/reko.toml` declaring an access key scoped to one dataset group; returns its path
/// (for `--config`).
#[allow(dead_code)]
pub fn scoped_key_config(dir: &std::path::Path, key_id: &str, secret: &str, dataset_group_arn: &str) -> PathBuf {
    let path = dir.join("reko.toml");
    std::fs::write(
        &path,
        format!(
            "[[access_keys]]\naccess_key_id = \"{key_id}\"\nsecret_access_key = \"{secret}\"\n\
             dataset_groups = [\"{dataset_group_arn}\"]\n"
        ),
    )
    .unwrap();
    path
}
