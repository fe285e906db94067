//! `reko demo`: the end-to-end showcase.
//!
//! With no arguments it generates a realistic synthetic dataset (reko-synth), starts an embedded
//! Reko server on a free loopback port, and drives the whole Amazon Personalize flow through the
//! official AWS SDK for Rust — exactly what a user's application would do against AWS:
//!
//! 1. generate users / items / interactions CSVs;
//! 2. start the server (or use `--endpoint`);
//! 3. create a dataset group, three schemas and three datasets;
//! 4. import the three CSVs (dataset import jobs, in parallel);
//! 5. train a solution (`aws-popularity-count`) and create a solution version;
//! 6. deploy a campaign;
//! 7. get recommendations for a few users (and a brand-new one);
//! 8. show the offline metrics from GetSolutionMetrics.
//!
//! Each step is a function below, so later recipes and features slot in as further steps.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use aws_sdk_personalize::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_personalize::error::ProvideErrorMetadata;
use aws_sdk_personalize::types::DataSource;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use reko_synth::{SynthConfig, SynthDataset, SynthFiles};

const POPULARITY_RECIPE: &str = "arn:aws:personalize:::recipe/aws-popularity-count";
const POLL: Duration = Duration::from_millis(100);

/// Run the full Personalize flow against an embedded server on synthetic data.
#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    /// Number of synthetic users.
    #[arg(long, default_value_t = 20_000)]
    pub users: usize,
    /// Number of synthetic items.
    #[arg(long, default_value_t = 5_000)]
    pub items: usize,
    /// Number of synthetic interactions.
    #[arg(long, default_value_t = 500_000)]
    pub interactions: usize,
    /// Seed of the synthetic data (same seed, same data).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Directory for the generated CSVs and the embedded server's data
    /// [default: a fresh temporary directory, removed afterwards unless --keep].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Keep the temporary data directory when the demo ends.
    #[arg(long)]
    pub keep: bool,
    /// How many users to show recommendations for.
    #[arg(long, default_value_t = 3)]
    pub show_users: usize,
    /// Use an already running Reko server at this URL (e.g. http://127.0.0.1:8080) instead of
    /// starting an embedded one. It must be able to read the generated files.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Region for ARNs of the embedded server (and the SDK clients).
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// Account id for ARNs of the embedded server.
    #[arg(long, default_value = "123456789012")]
    pub account_id: String,
    /// Give up on a step after this many seconds.
    #[arg(long, default_value_t = 600)]
    pub step_timeout_secs: u64,
}

impl Default for DemoArgs {
    fn default() -> Self {
        DemoArgs {
            users: 20_000,
            items: 5_000,
            interactions: 500_000,
            seed: 42,
            data_dir: None,
            keep: false,
            show_users: 3,
            endpoint: None,
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            step_timeout_secs: 600,
        }
    }
}

/// Runs the demo (see the module docs).
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    // The embedded server logs only when asked to (RUST_LOG=info reko demo); the demo's own
    // output is the progress display.
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .try_init();
    }
    let mut workdir = WorkDir::new(args.data_dir.clone(), args.keep)?;
    let ui = Ui::new();
    ui.header(&format!(
        "Reko demo: {} users, {} items, {} interactions (seed {})",
        args.users, args.items, args.interactions, args.seed
    ));
    ui.line(&format!("  working directory: {}", workdir.path.display()));

    let mut timings: Vec<(&str, Duration)> = Vec::new();
    let t = Instant::now();
    let data = step_generate(&ui, &args, &workdir.path.join("csv")).await?;
    timings.push(("generate data", t.elapsed()));

    let t = Instant::now();
    let server = step_start_server(&ui, &args, &workdir.path.join("server")).await?;
    timings.push(("start server", t.elapsed()));

    let flow = Flow::new(&server.url, &server.credentials, &args, ui.clone());
    let result = async {
        let t = Instant::now();
        let setup = flow.step_datasets().await?;
        timings.push(("dataset group, schemas, datasets", t.elapsed()));

        let t = Instant::now();
        flow.step_import(&setup, &data.files).await?;
        timings.push(("import", t.elapsed()));

        let t = Instant::now();
        let (solution, version) = flow.step_train(&setup).await?;
        timings.push(("training", t.elapsed()));

        let t = Instant::now();
        let campaign = flow.step_deploy(&version).await?;
        timings.push(("campaign deployment", t.elapsed()));

        let t = Instant::now();
        flow.step_recommend(&campaign, &data).await?;
        flow.step_metrics(&version).await?;
        timings.push(("recommendations and metrics", t.elapsed()));
        anyhow::Ok((setup, solution, campaign))
    }
    .await;

    server.stop().await;
    let (setup, solution, campaign) = match result {
        Ok(done) => done,
        Err(e) => {
            workdir.keep();
            ui.line(&format!("  the demo failed; its files are kept in {} for inspection", workdir.path.display()));
            return Err(e);
        }
    };

    ui.header("Summary");
    for (name, d) in &timings {
        ui.line(&format!("  {name:<34} {:>7.1}s", d.as_secs_f64()));
    }
    ui.line(&format!("  {:<34} {:>7.1}s", "total", started.elapsed().as_secs_f64()));
    ui.line(&format!("  dataset group: {}", setup.dataset_group));
    ui.line(&format!("  solution:      {solution}"));
    ui.line(&format!("  campaign:      {campaign}"));
    if workdir.kept() {
        ui.line(&format!(
            "  data kept in {} (run `reko serve --data-dir {}` to explore it with any AWS SDK)",
            workdir.path.display(),
            workdir.path.join("server").display()
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Step 1: synthetic data
// ---------------------------------------------------------------------------------------------

struct DemoData {
    files: SynthFiles,
    dataset: SynthDataset,
    /// item id → CATEGORY, read back from the generated items file.
    categories: HashMap<String, String>,
    /// item id → PRICE.
    prices: HashMap<String, f64>,
}

async fn step_generate(ui: &Ui, args: &DemoArgs, dir: &Path) -> anyhow::Result<DemoData> {
    let pb = ui.spinner("Generating synthetic data");
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let cfg = SynthConfig {
        users: args.users,
        items: args.items,
        interactions: args.interactions,
        seed: args.seed,
        ..SynthConfig::default()
    };
    let dir = dir.to_path_buf();
    let data = tokio::task::spawn_blocking(move || -> std::io::Result<DemoData> {
        let dataset = reko_synth::generate(&cfg)?;
        let files = SynthFiles {
            interactions: dir.join(reko_synth::INTERACTIONS_FILE),
            items: dir.join(reko_synth::ITEMS_FILE),
            users: dir.join(reko_synth::USERS_FILE),
        };
        reko_synth::write_interactions(&files.interactions, &dataset.interactions)?;
        reko_synth::write_items(&files.items, &dataset.items)?;
        reko_synth::write_users(&files.users, &dataset.users)?;
        let categories = reko_synth::load_item_categories(&files.items)?;
        let prices = dataset.items.iter().enumerate().map(|(i, it)| (reko_synth::item_id(i), it.price)).collect();
        Ok(DemoData { files, dataset, categories, prices })
    })
    .await
    .context("data generation panicked")?
    .context("generating the synthetic dataset")?;
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let dir = data.files.interactions.parent().unwrap_or(Path::new("."));
    ui.done(
        pb,
        &format!(
            "Generated {} interactions ({:.1} MB), {} items, {} users in {}",
            thousands(data.dataset.interactions.len()),
            size(&data.files.interactions) as f64 / 1e6,
            thousands(data.dataset.items.len()),
            thousands(data.dataset.users.len()),
            dir.display()
        ),
    );
    Ok(data)
}

// ---------------------------------------------------------------------------------------------
// Step 2: the server
// ---------------------------------------------------------------------------------------------

struct RunningServer {
    url: String,
    /// The key the demo's requests are signed with.
    credentials: (String, String),
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    reko: Option<reko_service::Reko>,
}

impl RunningServer {
    /// Stops accepting requests, then stops the background workers.
    async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), handle).await;
        }
        if let Some(reko) = self.reko.take() {
            let _ = tokio::task::spawn_blocking(move || reko.shutdown()).await;
        }
    }
}

async fn step_start_server(ui: &Ui, args: &DemoArgs, data_dir: &Path) -> anyhow::Result<RunningServer> {
    if let Some(url) = &args.endpoint {
        ui.line(&format!("  ✓ Using the Reko server at {url}"));
        return Ok(RunningServer {
            url: url.trim_end_matches('/').to_string(),
            credentials: crate::access_keys::client_credentials()?,
            shutdown: None,
            handle: None,
            reko: None,
        });
    }
    let pb = ui.spinner("Starting the embedded Reko server");
    let reko = reko_service::Reko::open(reko_service::ServiceConfig {
        data_dir: data_dir.to_path_buf(),
        region: args.region.clone(),
        account_id: args.account_id.clone(),
        // The demo's files live beside its data directory.
        allowed_data_roots: Some(vec![data_dir.parent().unwrap_or(data_dir).to_path_buf()]),
        ..Default::default()
    })
    .map_err(|e| anyhow!("opening the Reko service in {}: {e}", data_dir.display()))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding 127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    // The embedded server authenticates like any other: a fresh root key for this run, and every
    // request of the demo is signed with it by the AWS SDK.
    let credentials = crate::access_keys::generate_key_pair();
    let keys = reko_http::KeyStore::new(
        &args.region,
        [reko_http::AccessKey {
            access_key_id: credentials.0.clone(),
            secret_access_key: credentials.1.clone(),
            scope: reko_http::KeyScope::default(),
        }],
    );
    let authentication = reko_http::Authentication::SigV4(std::sync::Arc::new(keys));
    let handle = tokio::spawn(reko_http::serve(
        listener,
        reko.clone(),
        reko_http::HttpConfig::new(authentication),
        async move {
            let _ = rx.await;
        },
    ));
    let url = format!("http://{addr}");
    ui.done(pb, &format!("Embedded Reko server listening on {url} (SigV4-signed requests)"));
    Ok(RunningServer { url, credentials, shutdown: Some(tx), handle: Some(handle), reko: Some(reko) })
}

// ---------------------------------------------------------------------------------------------
// Steps 3–8: the Personalize flow through the AWS SDK
// ---------------------------------------------------------------------------------------------

struct Setup {
    dataset_group: String,
    interactions: String,
    items: String,
    users: String,
}

struct Flow {
    control: aws_sdk_personalize::Client,
    runtime: aws_sdk_personalizeruntime::Client,
    tasks: Option<SocketAddr>,
    /// Signs the task-view requests: key pair and region.
    signing: ((String, String), String),
    ui: Ui,
    /// Unique suffix for resource names, so that a reused data dir never collides.
    tag: String,
    timeout: Duration,
    show_users: usize,
}

impl Flow {
    fn new(url: &str, credentials: &(String, String), args: &DemoArgs, ui: Ui) -> Flow {
        let creds = Credentials::new(&credentials.0, &credentials.1, None, None, "reko-demo");
        let control = aws_sdk_personalize::Client::from_conf(
            aws_sdk_personalize::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new(args.region.clone()))
                .endpoint_url(url)
                .credentials_provider(creds.clone())
                .http_client(aws_smithy_http_client::Builder::new().build_http())
                .build(),
        );
        use aws_sdk_personalizeruntime::config as rc;
        let runtime = aws_sdk_personalizeruntime::Client::from_conf(
            rc::Config::builder()
                .behavior_version(rc::BehaviorVersion::latest())
                .region(rc::Region::new(args.region.clone()))
                .endpoint_url(url)
                .credentials_provider(creds)
                .http_client(aws_smithy_http_client::Builder::new().build_http())
                .build(),
        );
        let tasks = url
            .strip_prefix("http://")
            .and_then(|hostport| hostport.split('/').next())
            .and_then(|hostport| hostport.to_socket_addrs().ok())
            .and_then(|mut a| a.next());
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let tag = format!("{:06x}", (nanos ^ u128::from(std::process::id())) & 0xff_ffff);
        Flow {
            control,
            runtime,
            tasks,
            signing: (credentials.clone(), args.region.clone()),
            ui,
            tag,
            timeout: Duration::from_secs(args.step_timeout_secs),
            show_users: args.show_users,
        }
    }

    fn name(&self, base: &str) -> String {
        format!("reko-demo-{base}-{}", self.tag)
    }

    /// Step 3: dataset group, schemas, datasets.
    async fn step_datasets(&self) -> anyhow::Result<Setup> {
        let c = &self.control;
        let name = self.name("dsg");
        let dsg = sdk(c.create_dataset_group().name(&name).send().await, "CreateDatasetGroup")?
            .dataset_group_arn()
            .context("CreateDatasetGroup returned no datasetGroupArn")?
            .to_string();
        self.wait(&[("Dataset group", Res::DatasetGroup(dsg.clone()))]).await?;

        let mut datasets = Vec::new();
        for (kind, schema) in [
            ("Interactions", reko_synth::interactions_schema()),
            ("Items", reko_synth::items_schema()),
            ("Users", reko_synth::users_schema()),
        ] {
            let lower = kind.to_lowercase();
            let schema_arn =
                sdk(c.create_schema().name(self.name(&lower)).schema(schema).send().await, "CreateSchema")?
                    .schema_arn()
                    .context("CreateSchema returned no schemaArn")?
                    .to_string();
            let ds = sdk(
                c.create_dataset()
                    .name(self.name(&lower))
                    .dataset_group_arn(&dsg)
                    .dataset_type(kind)
                    .schema_arn(&schema_arn)
                    .send()
                    .await,
                "CreateDataset",
            )?
            .dataset_arn()
            .context("CreateDataset returned no datasetArn")?
            .to_string();
            datasets.push((kind, ds));
        }
        let labels: Vec<String> = datasets.iter().map(|(kind, _)| format!("{kind} dataset")).collect();
        let waits: Vec<(&str, Res)> =
            datasets.iter().zip(&labels).map(|((_, arn), label)| (label.as_str(), Res::Dataset(arn.clone()))).collect();
        self.wait(&waits).await?;
        self.ui.line(&format!("    dataset group {dsg}"));
        Ok(Setup {
            dataset_group: dsg,
            interactions: datasets[0].1.clone(),
            items: datasets[1].1.clone(),
            users: datasets[2].1.clone(),
        })
    }

    /// Step 4: the three import jobs, in parallel.
    async fn step_import(&self, setup: &Setup, files: &SynthFiles) -> anyhow::Result<()> {
        let mut jobs = Vec::new();
        for (label, dataset, path) in [
            ("Import interactions", &setup.interactions, &files.interactions),
            ("Import items", &setup.items, &files.items),
            ("Import users", &setup.users, &files.users),
        ] {
            let abs = std::fs::canonicalize(path).with_context(|| format!("resolving {}", path.display()))?;
            let job = sdk(
                self.control
                    .create_dataset_import_job()
                    .job_name(self.name(&label.to_lowercase().replace(' ', "-")))
                    .dataset_arn(dataset)
                    .data_source(DataSource::builder().data_location(format!("file://{}", abs.display())).build())
                    .send()
                    .await,
                "CreateDatasetImportJob",
            )?
            .dataset_import_job_arn()
            .context("CreateDatasetImportJob returned no datasetImportJobArn")?
            .to_string();
            jobs.push((label, Res::ImportJob(job)));
        }
        self.wait(&jobs).await
    }

    /// Step 5: a popularity solution and its first version.
    async fn step_train(&self, setup: &Setup) -> anyhow::Result<(String, String)> {
        let c = &self.control;
        let solution = sdk(
            c.create_solution()
                .name(self.name("popularity"))
                .dataset_group_arn(&setup.dataset_group)
                .recipe_arn(POPULARITY_RECIPE)
                .send()
                .await,
            "CreateSolution",
        )?
        .solution_arn()
        .context("CreateSolution returned no solutionArn")?
        .to_string();
        self.wait(&[("Solution (aws-popularity-count)", Res::Solution(solution.clone()))]).await?;
        let version = sdk(c.create_solution_version().solution_arn(&solution).send().await, "CreateSolutionVersion")?
            .solution_version_arn()
            .context("CreateSolutionVersion returned no solutionVersionArn")?
            .to_string();
        self.wait(&[("Training solution version", Res::SolutionVersion(version.clone()))]).await?;
        Ok((solution, version))
    }

    /// Step 6: deploy the version behind a campaign.
    async fn step_deploy(&self, version: &str) -> anyhow::Result<String> {
        let campaign = sdk(
            self.control
                .create_campaign()
                .name(self.name("campaign"))
                .solution_version_arn(version)
                .min_provisioned_tps(1)
                .send()
                .await,
            "CreateCampaign",
        )?
        .campaign_arn()
        .context("CreateCampaign returned no campaignArn")?
        .to_string();
        self.wait(&[("Deploying campaign", Res::Campaign(campaign.clone()))]).await?;
        Ok(campaign)
    }

    /// Step 7: recommendations for a few active users and one brand-new user.
    async fn step_recommend(&self, campaign: &str, data: &DemoData) -> anyhow::Result<()> {
        let ds = &data.dataset;
        let mut history = vec![0usize; ds.users.len()];
        let mut per_category: Vec<HashMap<u16, usize>> = vec![HashMap::new(); ds.users.len()];
        for i in &ds.interactions {
            history[i.user as usize] += 1;
            *per_category[i.user as usize].entry(ds.items[i.item as usize].category).or_default() += 1;
        }
        // Deterministic pick: users spread over the id range with a real history.
        let mut users: Vec<Option<usize>> = Vec::new();
        let step = (ds.users.len() / self.show_users.max(1)).max(1);
        let mut u = 0;
        while users.len() < self.show_users && u < ds.users.len() {
            if let Some(found) = (u..ds.users.len()).find(|&x| history[x] >= 25) {
                users.push(Some(found));
                u = found + step;
            } else {
                break;
            }
        }
        users.push(None); // a user the model has never seen

        for user in users {
            // The user's three most frequent categories, with their share of the history.
            let favourites: Vec<(String, f64)> = match user {
                Some(u) => {
                    let mut cats: Vec<(u16, usize)> = per_category[u].iter().map(|(k, v)| (*k, *v)).collect();
                    cats.sort_by_key(|&(c, n)| (std::cmp::Reverse(n), c));
                    cats.iter()
                        .take(3)
                        .map(|&(c, n)| (reko_synth::category_name(c as usize), n as f64 / history[u] as f64))
                        .collect()
                }
                None => Vec::new(),
            };
            let (user_id, about) = match user {
                Some(u) => {
                    let shares: Vec<String> =
                        favourites.iter().map(|(name, share)| format!("{name} {:.0}%", 100.0 * share)).collect();
                    (reko_synth::user_id(u), format!("{} interactions; mostly {}", history[u], shares.join(", ")))
                }
                None => (format!("new-user-{}", self.tag), "no history (cold start)".to_string()),
            };
            let out = sdk(
                self.runtime
                    .get_recommendations()
                    .campaign_arn(campaign)
                    .user_id(&user_id)
                    .num_results(10)
                    .send()
                    .await,
                "GetRecommendations",
            )?;
            self.ui.header(&format!("Top 10 for {user_id} — {about}"));
            self.ui.line(&format!("  {:>4}  {:<8} {:<14} {:>9}", "rank", "item", "category", "price"));
            let mut matches = 0;
            for (rank, item) in out.item_list().iter().enumerate() {
                let id = item.item_id().unwrap_or("?");
                let category = data.categories.get(id).map(String::as_str).unwrap_or("?");
                let favourite = favourites.iter().any(|(f, _)| f == category);
                matches += usize::from(favourite);
                let price = data.prices.get(id).map(|p| format!("{p:.2}")).unwrap_or_default();
                let score = item.score().map(|s| format!("  score {s:.4}")).unwrap_or_default();
                self.ui.line(&format!(
                    "  {:>4}  {:<8} {:<14} {:>9}{}{}",
                    rank + 1,
                    id,
                    category,
                    price,
                    if favourite { "  ★" } else { "" },
                    score
                ));
            }
            if user.is_some() {
                self.ui.line(&format!(
                    "  ★ = in the user's favourite categories ({matches}/{} recommendations)",
                    out.item_list().len()
                ));
            }
            self.ui.line(&format!("  recommendationId {}", out.recommendation_id().unwrap_or("-")));
        }
        Ok(())
    }

    /// Step 8: offline metrics of the trained version.
    async fn step_metrics(&self, version: &str) -> anyhow::Result<()> {
        let out =
            sdk(self.control.get_solution_metrics().solution_version_arn(version).send().await, "GetSolutionMetrics")?;
        self.ui.header(&format!("Offline metrics of {version}"));
        let mut metrics: Vec<(&String, &f64)> = out.metrics().map(|m| m.iter().collect()).unwrap_or_default();
        metrics.sort_by_key(|(k, _)| metric_sort_key(k));
        if metrics.is_empty() {
            self.ui.line("  (no metrics reported)");
        }
        for (k, v) in metrics {
            self.ui.line(&format!("  {k:<45} {v:.4}"));
        }
        Ok(())
    }

    /// Polls the resources every 100 ms (one progress line each) until all are ACTIVE.
    async fn wait(&self, resources: &[(&str, Res)]) -> anyhow::Result<()> {
        let bars: Vec<ProgressBar> = resources.iter().map(|(label, _)| self.ui.spinner(label)).collect();
        let mut done = vec![false; resources.len()];
        let start = Instant::now();
        loop {
            let progress = match self.tasks {
                Some(addr) => fetch_task_progress(addr, self.signing.clone()).await,
                None => HashMap::new(),
            };
            for (i, (label, res)) in resources.iter().enumerate() {
                if done[i] {
                    continue;
                }
                let (status, reason) = res.status(&self.control).await?;
                match status.as_str() {
                    "ACTIVE" => {
                        done[i] = true;
                        self.ui.done(bars[i].clone(), &format!("{label} ({:.1}s)", start.elapsed().as_secs_f64()));
                    }
                    s if s.ends_with("FAILED") || s.ends_with("STOPPED") => {
                        for b in &bars {
                            b.finish_and_clear();
                        }
                        bail!(
                            "{label}: {} ended {status}: {}",
                            res.arn(),
                            reason.unwrap_or_else(|| "no failureReason".into())
                        );
                    }
                    _ => {
                        let bar = &bars[i];
                        match progress.get(res.arn()) {
                            Some((fraction, detail)) => {
                                // A bar once the server reports real progress; until then the
                                // spinner shows the task's own words (e.g. rows read so far).
                                if *fraction > 0.0 {
                                    self.ui.to_bar(bar);
                                    bar.set_position((fraction * 1000.0).round() as u64);
                                }
                                bar.set_message(if detail.is_empty() {
                                    status
                                } else {
                                    format!("{status} — {detail}")
                                });
                            }
                            None => bar.set_message(status),
                        }
                    }
                }
            }
            if done.iter().all(|d| *d) {
                return Ok(());
            }
            if start.elapsed() > self.timeout {
                for b in &bars {
                    b.finish_and_clear();
                }
                bail!(
                    "timed out after {:?} waiting for {}",
                    self.timeout,
                    resources
                        .iter()
                        .zip(&done)
                        .filter(|(_, d)| !**d)
                        .map(|((l, _), _)| *l)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// `precision_at_5` < `precision_at_10` < `precision_at_25` (numeric K), names otherwise.
fn metric_sort_key(name: &str) -> (String, u64) {
    match name.rsplit_once("_at_") {
        Some((base, k)) if k.parse::<u64>().is_ok() => (base.to_string(), k.parse().unwrap_or(0)),
        _ => (name.to_string(), 0),
    }
}

/// `500000` → `500,000`.
fn thousands(n: usize) -> String {
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

/// Turns an SDK result into an `anyhow` error that shows the error code and message.
fn sdk<T, E: ProvideErrorMetadata + std::fmt::Debug>(result: Result<T, E>, op: &str) -> anyhow::Result<T> {
    result.map_err(|e| match (e.code(), e.message()) {
        (Some(code), message) => anyhow!("{op} failed: {code}: {}", message.unwrap_or("")),
        (None, _) => anyhow!("{op} failed: {e:?}"),
    })
}

/// A resource whose status the demo waits for.
#[derive(Clone, Debug)]
enum Res {
    DatasetGroup(String),
    Dataset(String),
    ImportJob(String),
    Solution(String),
    SolutionVersion(String),
    Campaign(String),
}

impl Res {
    fn arn(&self) -> &str {
        match self {
            Res::DatasetGroup(a)
            | Res::Dataset(a)
            | Res::ImportJob(a)
            | Res::Solution(a)
            | Res::SolutionVersion(a)
            | Res::Campaign(a) => a,
        }
    }

    /// Current status and failure reason.
    async fn status(&self, c: &aws_sdk_personalize::Client) -> anyhow::Result<(String, Option<String>)> {
        fn pick(s: Option<&str>, r: Option<&str>) -> (String, Option<String>) {
            (s.unwrap_or("UNKNOWN").to_string(), r.map(str::to_string))
        }
        Ok(match self {
            Res::DatasetGroup(a) => {
                let o = sdk(c.describe_dataset_group().dataset_group_arn(a).send().await, "DescribeDatasetGroup")?;
                let d = o.dataset_group();
                pick(d.and_then(|d| d.status()), d.and_then(|d| d.failure_reason()))
            }
            Res::Dataset(a) => {
                let o = sdk(c.describe_dataset().dataset_arn(a).send().await, "DescribeDataset")?;
                pick(o.dataset().and_then(|d| d.status()), None)
            }
            Res::ImportJob(a) => {
                let o = sdk(
                    c.describe_dataset_import_job().dataset_import_job_arn(a).send().await,
                    "DescribeDatasetImportJob",
                )?;
                let d = o.dataset_import_job();
                pick(d.and_then(|d| d.status()), d.and_then(|d| d.failure_reason()))
            }
            Res::Solution(a) => {
                let o = sdk(c.describe_solution().solution_arn(a).send().await, "DescribeSolution")?;
                pick(o.solution().and_then(|d| d.status()), None)
            }
            Res::SolutionVersion(a) => {
                let o =
                    sdk(c.describe_solution_version().solution_version_arn(a).send().await, "DescribeSolutionVersion")?;
                let d = o.solution_version();
                pick(d.and_then(|d| d.status()), d.and_then(|d| d.failure_reason()))
            }
            Res::Campaign(a) => {
                let o = sdk(c.describe_campaign().campaign_arn(a).send().await, "DescribeCampaign")?;
                let d = o.campaign();
                pick(d.and_then(|d| d.status()), d.and_then(|d| d.failure_reason()))
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Task progress (`GET /reko/tasks`), best effort
// ---------------------------------------------------------------------------------------------

/// `resourceArn → (progress 0..1, detail)` of running tasks; empty when unavailable.
async fn fetch_task_progress(addr: SocketAddr, signing: ((String, String), String)) -> HashMap<String, (f64, String)> {
    tokio::task::spawn_blocking(move || get_tasks(addr, &signing)).await.ok().flatten().unwrap_or_default()
}

fn get_tasks(
    addr: SocketAddr,
    (credentials, region): &((String, String), String),
) -> Option<HashMap<String, (f64, String)>> {
    let timeout = Duration::from_millis(300);
    let mut stream = TcpStream::connect_timeout(&addr, timeout).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    stream.set_write_timeout(Some(timeout)).ok()?;
    let signed: String = crate::access_keys::sign_get(credentials, region, &addr.to_string(), "/reko/tasks")
        .into_iter()
        .map(|(n, v)| format!("{n}: {v}\r\n"))
        .collect();
    write!(
        stream,
        "GET /reko/tasks HTTP/1.1\r\nHost: {addr}\r\n{signed}Accept: application/json\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status_ok = head.lines().next().is_some_and(|l| l.split_whitespace().nth(1) == Some("200"));
    if !status_ok {
        return None;
    }
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)?
    } else {
        body.to_string()
    };
    let json: serde_json::Value = serde_json::from_str(&body).ok()?;
    let mut out = HashMap::new();
    for t in json.get("tasks")?.as_array()? {
        let state = t.get("state").and_then(|s| s.as_str()).unwrap_or("");
        if state != "running" && state != "queued" {
            continue;
        }
        let Some(arn) = t.get("resourceArn").and_then(|a| a.as_str()) else {
            continue;
        };
        let progress = t.get("progress").and_then(|p| p.as_f64()).unwrap_or(0.0);
        let detail = t.get("detail").and_then(|d| d.as_str()).unwrap_or("").to_string();
        out.insert(arn.to_string(), (progress.clamp(0.0, 1.0), detail));
    }
    Some(out)
}

fn dechunk(mut body: &str) -> Option<String> {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n")?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        out.push_str(rest.get(..size)?);
        body = rest.get(size..)?.strip_prefix("\r\n")?;
    }
}

// ---------------------------------------------------------------------------------------------
// Terminal output
// ---------------------------------------------------------------------------------------------

/// Progress bars on stderr (only on a terminal), results on stdout.
#[derive(Clone)]
struct Ui {
    multi: MultiProgress,
}

impl Ui {
    fn new() -> Ui {
        Ui { multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()) }
    }

    fn spinner_style() -> ProgressStyle {
        ProgressStyle::with_template("  {spinner:.cyan} {prefix:<34} {elapsed:>4} {wide_msg}")
            .expect("valid template")
            .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ")
    }

    fn bar_style() -> ProgressStyle {
        ProgressStyle::with_template(
            "  {spinner:.cyan} {prefix:<34} {elapsed:>4} [{bar:30.cyan/blue}] {percent:>3}% {wide_msg}",
        )
        .expect("valid template")
        .progress_chars("=> ")
        .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ")
    }

    fn spinner(&self, label: &str) -> ProgressBar {
        let pb = self.multi.add(ProgressBar::new(1000));
        pb.set_style(Self::spinner_style());
        pb.set_prefix(label.to_string());
        pb.enable_steady_tick(Duration::from_millis(100));
        pb
    }

    /// Switches a spinner to a bar once real progress is known.
    fn to_bar(&self, pb: &ProgressBar) {
        pb.set_style(Self::bar_style());
    }

    fn done(&self, pb: ProgressBar, msg: &str) {
        pb.finish_and_clear();
        self.multi.remove(&pb);
        self.line(&format!("  ✓ {msg}"));
    }

    fn header(&self, text: &str) {
        self.line("");
        self.line(text);
    }

    fn line(&self, text: &str) {
        // Results go to stdout; live bars (stderr) are hidden while printing.
        self.multi.suspend(|| println!("{text}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Working directory
// ---------------------------------------------------------------------------------------------

struct WorkDir {
    path: PathBuf,
    remove: bool,
}

impl WorkDir {
    fn new(explicit: Option<PathBuf>, keep: bool) -> anyhow::Result<WorkDir> {
        match explicit {
            Some(path) => {
                std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
                let path = std::fs::canonicalize(&path)?;
                Ok(WorkDir { path, remove: false })
            }
            None => {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                let path =
                    std::env::temp_dir().join(format!("reko-demo-{}-{:x}", std::process::id(), nanos & 0xffff_ffff));
                std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
                Ok(WorkDir { path, remove: !keep })
            }
        }
    }

    fn keep(&mut self) {
        self.remove = false;
    }

    fn kept(&self) -> bool {
        !self.remove
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if self.remove {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_helpers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(500_000), "500,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        let mut keys = vec!["precision_at_25", "coverage", "precision_at_5", "precision_at_10"];
        keys.sort_by_key(|k| metric_sort_key(k));
        assert_eq!(keys, ["coverage", "precision_at_5", "precision_at_10", "precision_at_25"]);
    }

    #[test]
    fn dechunks_http_bodies() {
        assert_eq!(dechunk("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n").as_deref(), Some("hello world"));
        assert_eq!(dechunk("zz\r\n"), None);
    }
}
