//! Steps 3–6 of the demo: the Personalize control plane through the AWS SDK (dataset group,
//! schemas, datasets, imports, three solutions trained in parallel, their campaigns), and the
//! polling that waits for each resource to become ACTIVE.

use std::collections::HashMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use aws_sdk_personalize::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_personalize::error::ProvideErrorMetadata;
use aws_sdk_personalize::types::{CampaignConfig, DataSource};
use indicatif::ProgressBar;
use reko_synth::SynthFiles;

use super::ui::{fetch_task_progress, Ui};
use super::DemoArgs;

const POLL: Duration = Duration::from_millis(100);

/// The recipes the demo trains, in the order it shows them.
pub(super) const PERSONALIZED: &str = "aws-user-personalization";
pub(super) const POPULARITY: &str = "aws-popularity-count";
pub(super) const SIMILAR_ITEMS: &str = "aws-similar-items";
const RECIPES: [&str; 3] = [PERSONALIZED, POPULARITY, SIMILAR_ITEMS];

pub(super) struct Setup {
    pub(super) dataset_group: String,
    interactions: String,
    items: String,
    users: String,
}

/// One trained recipe: its solution, solution version and (after step 6) campaign.
pub(super) struct Trained {
    pub(super) recipe: &'static str,
    pub(super) solution: String,
    pub(super) version: String,
    pub(super) campaign: String,
}

/// The three trained recipes.
pub(super) struct Models {
    pub(super) personalized: Trained,
    pub(super) popularity: Trained,
    pub(super) similar: Trained,
}

impl Models {
    pub(super) fn all(&self) -> [&Trained; 3] {
        [&self.personalized, &self.popularity, &self.similar]
    }
}

pub(super) struct Flow {
    pub(super) control: aws_sdk_personalize::Client,
    pub(super) runtime: aws_sdk_personalizeruntime::Client,
    pub(super) events: aws_sdk_personalizeevents::Client,
    /// Reko's experiment extension (`--experiment`).
    pub(super) experiments: crate::experiments::ExperimentsClient,
    tasks: Option<SocketAddr>,
    /// Signs the task-view requests: key pair and region.
    signing: ((String, String), String),
    pub(super) ui: Ui,
    /// Unique suffix for resource names, so that a reused data dir or server never collides.
    tag: String,
    timeout: Duration,
    pub(super) show_users: usize,
}

impl Flow {
    pub(super) fn new(url: &str, credentials: &(String, String), args: &DemoArgs, ui: Ui) -> Flow {
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
        use aws_sdk_personalizeevents::config as ec;
        use aws_sdk_personalizeruntime::config as rc;
        let runtime = aws_sdk_personalizeruntime::Client::from_conf(
            rc::Config::builder()
                .behavior_version(rc::BehaviorVersion::latest())
                .region(rc::Region::new(args.region.clone()))
                .endpoint_url(url)
                .credentials_provider(creds.clone())
                .http_client(aws_smithy_http_client::Builder::new().build_http())
                .build(),
        );
        let events = aws_sdk_personalizeevents::Client::from_conf(
            ec::Config::builder()
                .behavior_version(ec::BehaviorVersion::latest())
                .region(ec::Region::new(args.region.clone()))
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
        let experiments = crate::experiments::ExperimentsClient::new(url, credentials.clone(), args.region.clone())
            .expect("the demo's server URL is http://");
        Flow {
            control,
            runtime,
            events,
            experiments,
            tasks,
            signing: (credentials.clone(), args.region.clone()),
            ui,
            tag,
            timeout: Duration::from_secs(args.step_timeout_secs),
            show_users: args.show_users,
        }
    }

    pub(super) fn name(&self, base: &str) -> String {
        format!("reko-demo-{base}-{}", self.tag)
    }

    /// Step 3: dataset group, schemas, datasets.
    pub(super) async fn step_datasets(&self) -> anyhow::Result<Setup> {
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
        self.ui.detail(&format!("    dataset group {dsg}"));
        Ok(Setup {
            dataset_group: dsg,
            interactions: datasets[0].1.clone(),
            items: datasets[1].1.clone(),
            users: datasets[2].1.clone(),
        })
    }

    /// Step 4: the three import jobs, in parallel.
    pub(super) async fn step_import(&self, setup: &Setup, files: &SynthFiles) -> anyhow::Result<()> {
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
        self.wait(&jobs).await.map(drop)
    }

    /// Step 5: three solutions (user-personalization, popularity for comparison, similar items)
    /// and their first versions, trained concurrently on the server's task queue. Returns the
    /// models and each version's training time.
    pub(super) async fn step_train(&self, setup: &Setup) -> anyhow::Result<(Models, Vec<Duration>)> {
        let c = &self.control;
        let mut solutions = Vec::new();
        for recipe in RECIPES {
            let solution = sdk(
                c.create_solution()
                    .name(self.name(recipe.trim_start_matches("aws-")))
                    .dataset_group_arn(&setup.dataset_group)
                    .recipe_arn(format!("arn:aws:personalize:::recipe/{recipe}"))
                    .send()
                    .await,
                "CreateSolution",
            )?
            .solution_arn()
            .context("CreateSolution returned no solutionArn")?
            .to_string();
            solutions.push(solution);
        }
        let labels: Vec<String> = RECIPES.iter().map(|r| format!("Solution {r}")).collect();
        let waits: Vec<(&str, Res)> =
            labels.iter().zip(&solutions).map(|(l, s)| (l.as_str(), Res::Solution(s.clone()))).collect();
        self.wait(&waits).await?;

        let mut versions = Vec::new();
        for solution in &solutions {
            let version =
                sdk(c.create_solution_version().solution_arn(solution).send().await, "CreateSolutionVersion")?
                    .solution_version_arn()
                    .context("CreateSolutionVersion returned no solutionVersionArn")?
                    .to_string();
            versions.push(version);
        }
        let labels: Vec<String> = RECIPES.iter().map(|r| format!("Training {r}")).collect();
        let waits: Vec<(&str, Res)> =
            labels.iter().zip(&versions).map(|(l, v)| (l.as_str(), Res::SolutionVersion(v.clone()))).collect();
        let times = self.wait(&waits).await?;
        let mut trained = RECIPES.iter().zip(solutions).zip(versions).map(|((recipe, solution), version)| Trained {
            recipe,
            solution,
            version,
            campaign: String::new(),
        });
        let mut next = || trained.next().context("a recipe without a version");
        let models = Models { personalized: next()?, popularity: next()?, similar: next()? };
        Ok((models, times))
    }

    /// Step 6: one campaign per version, deployed concurrently. The user-personalization
    /// campaign turns exploration off so that the output is reproducible.
    pub(super) async fn step_deploy(&self, models: &mut Models) -> anyhow::Result<()> {
        let mut campaigns = Vec::new();
        for m in [&mut models.personalized, &mut models.popularity, &mut models.similar] {
            let mut create = self
                .control
                .create_campaign()
                .name(self.name(m.recipe.trim_start_matches("aws-")))
                .solution_version_arn(&m.version)
                .min_provisioned_tps(1);
            if m.recipe == PERSONALIZED {
                create = create.campaign_config(
                    CampaignConfig::builder().item_exploration_config("explorationWeight", "0").build(),
                );
            }
            m.campaign = sdk(create.send().await, "CreateCampaign")?
                .campaign_arn()
                .context("CreateCampaign returned no campaignArn")?
                .to_string();
            campaigns.push((format!("Deploying {}", m.recipe), Res::Campaign(m.campaign.clone())));
        }
        let waits: Vec<(&str, Res)> = campaigns.iter().map(|(l, r)| (l.as_str(), r.clone())).collect();
        self.wait(&waits).await?;
        self.ui.line("    note: explorationWeight 0 (campaignConfig itemExplorationConfig) on the");
        self.ui.line("    aws-user-personalization campaign, for reproducible output; the default,");
        self.ui.line("    0.3, mixes new and rarely seen items into each list at random.");
        Ok(())
    }

    /// Polls the resources every 100 ms (one progress line each) until all are ACTIVE; returns
    /// how long each took.
    pub(super) async fn wait(&self, resources: &[(&str, Res)]) -> anyhow::Result<Vec<Duration>> {
        let bars: Vec<ProgressBar> = resources.iter().map(|(label, _)| self.ui.spinner(label)).collect();
        let mut done: Vec<Option<Duration>> = vec![None; resources.len()];
        let mut printed = 0;
        let start = Instant::now();
        loop {
            let progress = match self.tasks {
                Some(addr) => fetch_task_progress(addr, self.signing.clone()).await,
                None => HashMap::new(),
            };
            for (i, (label, res)) in resources.iter().enumerate() {
                if done[i].is_some() {
                    continue;
                }
                let (status, reason) = res.status(&self.control).await?;
                match status.as_str() {
                    "ACTIVE" => {
                        done[i] = Some(start.elapsed());
                        bars[i].set_message("ACTIVE");
                        bars[i].disable_steady_tick();
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
            // `✓` lines in the order of `resources` (whichever finishes first), so that the
            // output does not depend on timing.
            while printed < resources.len() && done[printed].is_some() {
                self.ui.done(bars[printed].clone(), resources[printed].0);
                printed += 1;
            }
            if done.iter().all(Option::is_some) {
                return Ok(done.into_iter().flatten().collect());
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
                        .filter(|(_, d)| d.is_none())
                        .map(|((l, _), _)| *l)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Turns an SDK result into an `anyhow` error that shows the error code and message.
pub(super) fn sdk<T, E: ProvideErrorMetadata + std::fmt::Debug>(result: Result<T, E>, op: &str) -> anyhow::Result<T> {
    result.map_err(|e| match (e.code(), e.message()) {
        (Some(code), message) => anyhow!("{op} failed: {code}: {}", message.unwrap_or("")),
        (None, _) => anyhow!("{op} failed: {e:?}"),
    })
}

/// A resource whose status the demo waits for.
#[derive(Clone, Debug)]
pub(super) enum Res {
    DatasetGroup(String),
    Dataset(String),
    ImportJob(String),
    Solution(String),
    SolutionVersion(String),
    Campaign(String),
    EventTracker(String),
    Filter(String),
}

impl Res {
    fn arn(&self) -> &str {
        match self {
            Res::DatasetGroup(a)
            | Res::Dataset(a)
            | Res::ImportJob(a)
            | Res::Solution(a)
            | Res::SolutionVersion(a)
            | Res::Campaign(a)
            | Res::EventTracker(a)
            | Res::Filter(a) => a,
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
            Res::EventTracker(a) => {
                let o = sdk(c.describe_event_tracker().event_tracker_arn(a).send().await, "DescribeEventTracker")?;
                pick(o.event_tracker().and_then(|d| d.status()), None)
            }
            Res::Filter(a) => {
                let o = sdk(c.describe_filter().filter_arn(a).send().await, "DescribeFilter")?;
                let d = o.filter();
                pick(d.and_then(|d| d.status()), d.and_then(|d| d.failure_reason()))
            }
        })
    }
}
