//! `reko`: the single binary. `reko serve` runs the server, `reko demo` the end-to-end showcase,
//! `reko tasks` shows background work of a running server, `reko batch` runs (or lists) batch
//! inference jobs on a running server, `reko import` / `reko export` run dataset import and export
//! jobs on a running server, `reko eval` evaluates recipes offline, `reko apply` / `reko plan` /
//! `reko export-config` manage a server's resources from a setup file, `reko usage` reports usage
//! as Personalize bills it from a data directory.

use std::path::PathBuf;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use reko::{access_keys, config, logging, usage};
#[cfg(feature = "client")]
use reko::{batch, declarative, demo, eval, export, import};

use config::{Config, Overrides};

#[derive(Parser, Debug)]
#[command(name = "reko", version, about = "Self-hosted, Amazon Personalize-compatible recommendations")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start: the variants' sizes do not matter (without `client`, `serve`'s arguments
// dwarf the rest).
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
enum Command {
    /// Run the HTTP server (control plane, runtime and events on one listener).
    Serve(ServeArgs),
    #[cfg(feature = "client")]
    /// Generate a synthetic dataset, then import, train, deploy and recommend through the API.
    Demo(demo::DemoArgs),
    #[cfg(feature = "client")]
    /// Evaluate recipes offline on a local interactions file (no server): train on a split and
    /// print the offline metrics.
    Eval(eval::EvalArgs),
    #[cfg(feature = "client")]
    /// Run a batch inference job on a running server and wait for it (or list jobs with --list).
    ///
    /// Reads JSON Lines from --input (a file or folder) and writes `<input file name>.out` files
    /// into --output, showing the job's progress; ends with a summary of the output lines.
    Batch(batch::BatchArgs),
    #[cfg(feature = "client")]
    /// Run a dataset import job on a running server and wait for it.
    ///
    /// Imports a CSV file, a folder of CSV files or an s3:// location into --dataset-arn, showing
    /// the job's progress; ends with the status, rows imported and time taken.
    Import(import::ImportArgs),
    #[cfg(feature = "client")]
    /// Run a dataset export job on a running server and wait for it.
    ///
    /// Writes the dataset's records as `<job name>.csv` (with a header row) into --output (a
    /// folder or an s3:// location); ends with the output file and its row count.
    Export(export::ExportArgs),
    /// Usage as Personalize bills it (TPS-hours per day and campaign), or with --report the idle
    /// and over-provisioned campaigns and unused solution versions.
    ///
    /// Reads the data directory (read only: the server may be running; the window still open
    /// in a running server is not counted until it closes).
    Usage(usage::UsageArgs),
    #[cfg(feature = "client")]
    /// Make a server (Reko or Amazon Personalize) match a setup file (reko.yaml): create or update
    /// its dataset groups, schemas, datasets, imports, filters, event trackers, solutions,
    /// campaigns and recommenders, in order, waiting for each to become ACTIVE.
    ///
    /// Shows the plan first; changes Personalize cannot make in place are refused unless
    /// --allow-replace. Applying the same file again changes nothing. See docs/declarative-setup.md.
    Apply(declarative::ApplyArgs),
    #[cfg(feature = "client")]
    /// Show what `reko apply` would do: each resource of the setup file to create, update, replace
    /// or leave unchanged, with the members that differ.
    Plan(declarative::PlanArgs),
    #[cfg(feature = "client")]
    /// Write the setup file (YAML) of what a server has: every dataset group, or --dataset-group.
    ExportConfig(declarative::ExportConfigArgs),
    #[cfg(feature = "client")]
    /// A/B experiments on a running server (Reko's extension, docs/experiments.md): create,
    /// describe, list, results, promote, stop, delete.
    Experiment(reko::experiments::ExperimentArgs),
    #[cfg(feature = "client")]
    /// List the background tasks (imports, training, deployments) of a running server.
    Tasks {
        /// Base URL of the server.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        endpoint: String,
    },
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// Config file (default: ./reko.toml if present).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    listen: Option<String>,
    /// Data directory [default: ./reko-data].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// PostgreSQL database for the catalog, records and tasks (postgres://user@host:port/db);
    /// prefer REKO_DATABASE_URL or the config file when it holds a password
    /// [default: none, data_dir/reko.db].
    #[arg(long)]
    database_url: Option<String>,
    /// Region used in ARNs [default: us-east-1].
    #[arg(long)]
    region: Option<String>,
    /// Account id used in ARNs [default: 123456789012].
    #[arg(long)]
    account_id: Option<String>,
    /// Background task workers [default: 2].
    #[arg(long)]
    workers: Option<usize>,
    /// What this process runs: all (API, task workers, scheduler), api (the API only) or worker
    /// (task workers and the scheduler; serves only /health, /ready and /metrics). api and worker
    /// need --database-url; see docs/cluster.md [env: REKO_ROLE; default: all].
    #[arg(long, value_parser = reko_service::Role::NAMES)]
    role: Option<String>,
    /// Seconds a running task is held without its worker's heartbeat before another worker may
    /// take it over, from 2 to 3600 [env: REKO_TASK_LEASE_SECS; default: 30].
    #[arg(long)]
    task_lease_secs: Option<u64>,
    /// Log filter [default: info].
    #[arg(long)]
    log: Option<String>,
    /// Log line format: text, or json (one object a line; the access log is target reko::access)
    /// [default: text].
    #[arg(long, value_parser = ["text", "json"])]
    log_format: Option<String>,
    /// Bearer token GET /metrics requires; prefer REKO_METRICS_TOKEN or the config file, a flag
    /// shows in the process list [default: none, /metrics is open].
    #[arg(long)]
    metrics_token: Option<String>,
    /// Endpoint of the S3-compatible store for s3:// locations [default: AWS_ENDPOINT_URL or AWS].
    #[arg(long)]
    s3_endpoint: Option<String>,
    /// Where model artifacts are stored: a folder or s3://bucket/prefix (reached with the
    /// s3:// settings); every process of a cluster names the same one [default: data_dir/models].
    #[arg(long)]
    artifact_store: Option<String>,
    /// A folder local data locations (imports, batch jobs, exports) may lie in; repeatable
    /// [default: none, local locations are refused; s3:// works]. The data directory and the
    /// config file are never data locations.
    #[arg(long = "allowed-data-root")]
    allowed_data_roots: Vec<PathBuf>,
    /// Requests handled at once; more get ThrottlingException [default: 256].
    #[arg(long)]
    max_in_flight: Option<usize>,
    /// Seconds still serving after SIGTERM, /ready answering 503, so that a load balancer polling
    /// /ready stops routing here first; then in-flight requests finish and the process exits
    /// [default: 0].
    #[arg(long)]
    shutdown_delay_secs: Option<u64>,
    /// Users, anonymous sessions and session links kept in real-time state, all dataset groups
    /// together; the least recently used are evicted beyond it [default: 1000000].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_live_users: Option<u64>,
    /// Events kept in real-time state, all dataset groups together; the least recently used users
    /// and sessions are evicted beyond it [default: 20000000].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_live_events: Option<u64>,
    /// Interactions per user and event type an interaction filter sees, the newest first, from 1
    /// to 10000 [default: 100, Personalize's quota].
    #[arg(long)]
    filter_interactions_per_type: Option<usize>,
    /// Days of per-campaign usage windows kept, from 1 to 400 [default: 400].
    #[arg(long)]
    usage_retention_days: Option<u32>,
    /// Accept unsigned requests: no authentication at all. Refused unless --listen is a loopback
    /// address.
    #[arg(long)]
    insecure_no_auth: bool,
    /// Do not serve the web console (/console answers 404) [env: REKO_NO_CONSOLE; default: served].
    #[arg(long)]
    no_console: bool,
    /// Record no metrics (/metrics answers 404) [env: REKO_NO_METRICS; default: recorded].
    #[arg(long)]
    no_metrics: bool,
    /// Mark the console's session cookie Secure: set it when clients reach the server over TLS
    /// (e.g. behind a TLS-terminating proxy) [env: REKO_CONSOLE_SECURE_COOKIE; default: off].
    #[arg(long)]
    console_secure_cookie: bool,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve(args)),
        #[cfg(feature = "client")]
        Command::Demo(args) => runtime.block_on(demo::run(args)),
        #[cfg(feature = "client")]
        Command::Eval(args) => eval::run(args),
        #[cfg(feature = "client")]
        Command::Batch(args) => runtime.block_on(batch::run(args)),
        #[cfg(feature = "client")]
        Command::Import(args) => runtime.block_on(import::run(args)),
        #[cfg(feature = "client")]
        Command::Export(args) => runtime.block_on(export::run(args)),
        Command::Usage(args) => usage::run(args),
        #[cfg(feature = "client")]
        Command::Apply(args) => runtime.block_on(declarative::run_apply(args)),
        #[cfg(feature = "client")]
        Command::Plan(args) => runtime.block_on(declarative::run_plan(args)),
        #[cfg(feature = "client")]
        Command::ExportConfig(args) => runtime.block_on(declarative::run_export(args)),
        #[cfg(feature = "client")]
        Command::Experiment(args) => runtime.block_on(reko::experiments::run(args)),
        #[cfg(feature = "client")]
        Command::Tasks { endpoint } => runtime.block_on(print_tasks(&endpoint)),
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let overrides = Overrides {
        listen: args.listen,
        data_dir: args.data_dir,
        database_url: args.database_url.map(config::Secret),
        region: args.region,
        account_id: args.account_id,
        workers: args.workers,
        log: args.log,
        log_format: args.log_format,
        metrics_token: args.metrics_token.map(config::Secret),
        s3_endpoint: args.s3_endpoint,
        artifact_store: args.artifact_store,
        insecure_no_auth: args.insecure_no_auth.then_some(true),
        no_console: args.no_console.then_some(true),
        no_metrics: args.no_metrics.then_some(true),
        console_secure_cookie: args.console_secure_cookie.then_some(true),
        max_in_flight: args.max_in_flight,
        shutdown_delay_secs: args.shutdown_delay_secs,
        max_live_users: args.max_live_users.map(|n| n as usize),
        max_live_events: args.max_live_events.map(|n| n as usize),
        filter_interactions_per_type: args.filter_interactions_per_type,
        usage_retention_days: args.usage_retention_days,
        allowed_data_roots: (!args.allowed_data_roots.is_empty()).then_some(args.allowed_data_roots),
        role: args.role,
        task_lease_secs: args.task_lease_secs,
    };
    let config = Config::load(args.config.as_deref(), &overrides)?;
    let log_format = logging::LogFormat::parse(&config.log_format)?;
    tracing::subscriber::set_global_default(logging::subscriber(log_format, &config.log, std::io::stderr)?)
        .context("installing the log subscriber")?;
    // Before the service opens: its workers and model loads record metrics from the start.
    // Without a recorder the `metrics` macros do nothing.
    let metrics = if config.no_metrics {
        None
    } else {
        Some(reko_http::install_recorder().map_err(|e| anyhow::anyhow!("installing the metrics recorder: {e}"))?)
    };
    // Tenants' folders and roles never overlap (checked before anything is opened).
    access_keys::check_key_grants(&config)?;
    // Collection sources, their secrets read (checked before anything is opened too).
    let segment_webhooks = config.collect.segment_webhooks()?;
    let nats_sources = config.collect.nats_sources()?;
    let role = config.role()?;
    let service_config = reko_service::ServiceConfig {
        role,
        task_lease: std::time::Duration::from_secs(config.task_lease_secs),
        data_dir: config.data_dir.clone(),
        database_url: config.database_url.as_ref().map(|url| reko_service::DatabaseUrl(url.0.clone())),
        region: config.region.clone(),
        account_id: config.account_id.clone(),
        workers: config.workers,
        object_storage: reko_service::object_storage::ObjectStorageConfig {
            endpoint: config.s3_endpoint.clone(),
            credentials: None,
        },
        artifact_store: config.artifact_location()?,
        allowed_data_roots: Some(config.data_roots()),
        server_files: config.server_files(&Config::file_path(args.config.as_deref())),
        customer_keys: config.kms_keys.iter().map(|k| k.load()).collect::<anyhow::Result<_>>()?,
        max_live_users: config.max_live_users,
        max_live_events: config.max_live_events,
        filter_interactions_per_type: config.filter_interactions_per_type,
        usage_retention_days: config.usage_retention_days,
        s3_roles: config.s3_roles.iter().map(|r| r.load()).collect::<anyhow::Result<_>>()?,
        scheduler_interval: std::time::Duration::from_secs(config.scheduler_interval_secs),
        clock: match &config.clock_offset_file {
            Some(file) => reko_service::Clock::offset_by_file(file.clone()),
            None => reko_service::Clock::system(),
        },
        ..Default::default()
    };
    let opening = match &config.database_url {
        Some(_) => {
            format!("opening the database (--database-url) and the data directory {}", config.data_dir.display())
        }
        None => format!("opening the data directory {}", config.data_dir.display()),
    };
    // Off the async threads: the stores block (the PostgreSQL client refuses an async thread).
    let reko = tokio::task::spawn_blocking(move || reko_service::Reko::open(service_config))
        .await
        .context("opening the service")?
        .context(opening)?;
    let (stop_collecting, collecting) = tokio::sync::watch::channel(false);
    let consumers = reko::collect::nats::start(reko.clone(), nats_sources, collecting);
    let listener =
        tokio::net::TcpListener::bind(&config.listen).await.with_context(|| format!("binding {}", config.listen))?;
    let addr = listener.local_addr()?;
    let authentication = access_keys::server_authentication(&config, addr)?;
    let store = if config.database_url.is_some() { "postgresql" } else { "sqlite" };
    tracing::info!(%addr, data_dir = %config.data_dir.display(), store, role = role.as_str(), worker = reko.worker_id(),
        region = %config.region, "reko is serving");
    // Tests and scripts read this line to find the port.
    println!("Listening on http://{addr}");
    let shutdown = async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("installing the SIGTERM handler");
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutting down");
    };
    // Histogram samples are drained by scrapes, and by this when nobody scrapes.
    if let Some(upkeep) = metrics.clone() {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                every.tick().await;
                upkeep.run_upkeep();
            }
        });
    }
    let http = reko_http::HttpConfig {
        max_in_flight: config.max_in_flight,
        shutdown_delay: std::time::Duration::from_secs(config.shutdown_delay_secs),
        metrics: metrics.map(|handle| reko_http::MetricsEndpoint {
            handle,
            bearer_token: config.metrics_token.as_ref().map(|t| t.0.clone()),
        }),
        console: (!config.no_console).then(|| reko_http::ConsoleConfig {
            secure_cookie: config.console_secure_cookie,
            settings: config.console_settings(),
        }),
        segment_webhooks,
        api: role.serves_api(),
        ..reko_http::HttpConfig::new(authentication)
    };
    reko_http::serve(listener, reko.clone(), http, shutdown).await?;
    // The consumers finish the message in hand; an unacknowledged one is delivered again.
    let _ = stop_collecting.send(true);
    consumers.await?;
    tokio::task::spawn_blocking(move || reko.shutdown()).await?;
    Ok(())
}

#[cfg(feature = "client")]
/// `GET /reko/tasks`, printed as a table.
async fn print_tasks(endpoint: &str) -> anyhow::Result<()> {
    let authority =
        endpoint.strip_prefix("http://").context("only http:// endpoints are supported")?.trim_end_matches('/');
    let client =
        reko::tasks::TasksClient::new(authority, access_keys::client_credentials()?, access_keys::client_region(None));
    let tasks = client.list().await?;
    println!("{:>5}  {:<26} {:<10} {:>6}  {:<50} DETAIL", "ID", "KIND", "STATE", "DONE", "RESOURCE");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
    for task in tasks {
        // A running task's worker, and how long its lease still runs (negative: expired, the
        // task waits for another worker to take it over).
        let lease = match (&task.owner, task.lease_expires) {
            (Some(owner), Some(expires)) => format!(" [worker {owner}, lease {:+.0} s]", expires - now),
            _ => String::new(),
        };
        println!(
            "{:>5}  {:<26} {:<10} {:>5.0}%  {:<50} {}{lease}",
            task.task_id,
            task.kind,
            task.state,
            task.progress * 100.0,
            task.resource_arn,
            task.detail
        );
    }
    Ok(())
}
