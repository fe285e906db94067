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
//! 5. train three solutions concurrently: `aws-user-personalization`, `aws-popularity-count` (to
//!    compare) and `aws-similar-items`;
//! 6. deploy a campaign for each (user-personalization with `explorationWeight` 0);
//! 7. compare the offline metrics of the personalized and popularity versions;
//! 8. show users with different tastes getting different lists;
//! 9. show a brand-new user's list following a few PutEvents clicks (event tracker);
//! 10. apply filters (purchased items out; one category only) to a user's list;
//! 11. promote a category in a user's list;
//! 12. show the items related to one item (similar items);
//! 13. with `--experiment`: run a short A/B experiment between the popularity and
//!     User-Personalization campaigns on simulated clicks of the synthetic users, and print
//!     which won ([`experiment`], docs/experiments.md).
//!
//! Each step is a function ([`flow`]: steps 3–6, [`showcase`]: 7–9, [`shaping`]: 10–12). Results
//! go to stdout and are the same for the same data and seed; progress, paths, ARNs and timings
//! go to stderr ([`ui`]).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use reko_synth::{SynthConfig, SynthDataset, SynthFiles};

mod experiment;
mod flow;
mod shaping;
mod showcase;
mod ui;

use flow::Flow;
use showcase::Catalog;
use ui::{thousands, Ui, WorkDir};

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
    /// Also run a short A/B experiment between popularity and User-Personalization on the
    /// synthetic users (simulated clicks from the generator's ground truth) and print which won.
    #[arg(long)]
    pub experiment: bool,
    /// Users the experiment serves (with --experiment).
    #[arg(long, default_value_t = 2_000)]
    pub experiment_users: usize,
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
            experiment: false,
            experiment_users: 2_000,
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
        thousands(args.users),
        thousands(args.items),
        thousands(args.interactions),
        args.seed
    ));
    ui.detail(&format!("  working directory: {}", workdir.path.display()));

    let mut timings: Vec<(String, Duration)> = Vec::new();
    let t = Instant::now();
    let data = step_generate(&ui, &args, &workdir.path.join("csv")).await?;
    timings.push(("generate data".into(), t.elapsed()));

    let t = Instant::now();
    let server = step_start_server(&ui, &args, &workdir.path.join("server")).await?;
    timings.push(("start server".into(), t.elapsed()));

    let flow = Flow::new(&server.url, &server.credentials, &args, ui.clone());
    let result = async {
        let t = Instant::now();
        let setup = flow.step_datasets().await?;
        timings.push(("dataset group, schemas, datasets".into(), t.elapsed()));

        let t = Instant::now();
        flow.step_import(&setup, &data.files).await?;
        timings.push(("import".into(), t.elapsed()));

        let t = Instant::now();
        let (mut models, trained) = flow.step_train(&setup).await?;
        timings.push(("training (concurrently)".into(), t.elapsed()));
        for (m, d) in models.all().iter().zip(trained) {
            timings.push((format!("  {}", m.recipe), d));
        }

        let t = Instant::now();
        flow.step_deploy(&mut models).await?;
        timings.push(("campaign deployment".into(), t.elapsed()));

        let t = Instant::now();
        let catalog = Catalog::new(&data.dataset);
        flow.step_metrics(&models).await?;
        let shown = flow.step_tastes(&models, &catalog).await?;
        let clicked = flow.step_new_user(&setup.dataset_group, &models, &catalog).await?;
        let filters = flow.step_filters(&setup.dataset_group, &models, &catalog, &shown, clicked).await?;
        flow.step_promotion(&models, &catalog, &shown, &filters, clicked).await?;
        flow.step_similar_items(&models, &catalog, &shown).await?;
        timings.push(("metrics, recommendations, events".into(), t.elapsed()));
        if args.experiment {
            let t = Instant::now();
            flow.step_experiment(&setup.dataset_group, &models, &catalog, args.experiment_users, args.seed).await?;
            timings.push(("A/B experiment".into(), t.elapsed()));
        }
        anyhow::Ok((setup, models))
    }
    .await;

    // The key the kept data can be served and explored with (the console logs in with it).
    let embedded_key = server.reko.is_some().then(|| server.credentials.clone());
    server.stop().await;
    let (setup, models) = match result {
        Ok(done) => done,
        Err(e) => {
            workdir.keep();
            ui.detail(&format!("  the demo failed; its files are kept in {} for inspection", workdir.path.display()));
            return Err(e);
        }
    };

    // Timings and ARNs differ from run to run: stderr, after the results.
    ui.detail("");
    ui.detail("Summary (timings and resources of this run)");
    for (name, d) in &timings {
        ui.detail(&format!("  {name:<34} {:>7.1}s", d.as_secs_f64()));
    }
    ui.detail(&format!("  {:<34} {:>7.1}s", "total", started.elapsed().as_secs_f64()));
    ui.detail(&format!("  dataset group: {}", setup.dataset_group));
    for m in models.all() {
        ui.detail(&format!("  {:<26} solution {}", m.recipe, m.solution));
        ui.detail(&format!("  {:<26} campaign {}", "", m.campaign));
    }
    if workdir.kept() {
        let data_dir = workdir.path.join("server");
        ui.detail(&format!(
            "  data kept in {}; to explore it with any AWS SDK or the web console:",
            workdir.path.display()
        ));
        match &embedded_key {
            Some((id, secret)) => ui.detail(&format!(
                "    REKO_ACCESS_KEY_ID={id} REKO_SECRET_ACCESS_KEY={secret} reko serve --data-dir {}\n    \
                 then open http://127.0.0.1:8080/console and log in with that key (this run's own key)",
                data_dir.display()
            )),
            None => ui.detail(&format!("    reko serve --data-dir {}", data_dir.display())),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Step 1: synthetic data
// ---------------------------------------------------------------------------------------------

struct DemoData {
    files: SynthFiles,
    dataset: SynthDataset,
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
        Ok(DemoData { files, dataset })
    })
    .await
    .context("data generation panicked")?
    .context("generating the synthetic dataset")?;
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    ui.done(
        pb,
        &format!(
            "Generated {} interactions ({:.1} MB of CSV), {} items, {} users",
            thousands(data.dataset.interactions.len()),
            size(&data.files.interactions) as f64 / 1e6,
            thousands(data.dataset.items.len()),
            thousands(data.dataset.users.len()),
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
        ui.line("  ✓ Using a running Reko server");
        ui.detail(&format!("    {url}"));
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
    ui.done(pb, "Embedded Reko server started (SigV4-signed requests)");
    ui.detail(&format!("    listening on {url}"));
    Ok(RunningServer { url, credentials, shutdown: Some(tx), handle: Some(handle), reko: Some(reko) })
}
