//! Carrying out a plan through the Personalize API: what is replaced or pruned is deleted first
//! (dependents before what they depend on, each waited for until it is gone), then every create
//! and update in dependency order, each waited for until it is ACTIVE.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use aws_sdk_personalize::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_personalize::types::{DataSource, Domain, ImportMode, SolutionUpdateConfig, TrainingMode};
use aws_sdk_personalize::Client;

use super::convert;
use super::observe::Observed;
use super::plan::{Action, Change, Kind, Plan};
use super::spec::{self, SetupFile};
use crate::jobs::{sdk, PLACEHOLDER_ROLE_ARN};

/// How often a resource's status is polled: quickly at first (Reko is fast), then every 5 s
/// (Personalize takes minutes).
fn poll_interval(elapsed: Duration) -> Duration {
    if elapsed < Duration::from_secs(10) {
        Duration::from_millis(200)
    } else {
        Duration::from_secs(5)
    }
}

struct Applier<'a> {
    client: &'a Client,
    file: &'a SetupFile,
    observed: &'a Observed,
    timeout: Duration,
    arns: BTreeMap<(Kind, String), String>,
    /// Solution name → the solution version a campaign deploys.
    versions: BTreeMap<String, String>,
    /// The solutions this run created: a version the old one was training is gone with it.
    created_solutions: Vec<String>,
}

/// Applies `plan` (checked by the caller: no refusals, replacements allowed). Returns the number
/// of resources created, updated, replaced or deleted.
pub async fn apply(
    client: &Client,
    file: &SetupFile,
    observed: &Observed,
    plan: &Plan,
    timeout: Duration,
) -> anyhow::Result<usize> {
    let mut a = Applier {
        client,
        file,
        observed,
        timeout,
        arns: BTreeMap::new(),
        versions: BTreeMap::new(),
        created_solutions: Vec::new(),
    };
    a.seed();
    let deleted = |c: &&Change| matches!(c.action, Action::Replace | Action::Delete);
    let mut deletions: Vec<&Change> = plan.changes.iter().filter(deleted).collect();
    deletions.sort_by_key(|c| std::cmp::Reverse(c.kind));
    for change in &deletions {
        a.delete(change).await.with_context(|| format!("deleting {} {}", change.kind, change.name))?;
    }
    let made = |c: &&Change| matches!(c.action, Action::Create | Action::Update | Action::Replace);
    let mut work: Vec<&Change> = plan.changes.iter().filter(made).collect();
    work.sort_by_key(|c| c.kind);
    for change in &work {
        a.make(change).await.with_context(|| format!("{} {}", change.kind, change.name))?;
    }
    Ok(work.len() + plan.changes.iter().filter(|c| c.action == Action::Delete).count())
}

impl<'a> Applier<'a> {
    /// The ARNs of what the server has already.
    fn seed(&mut self) {
        let o = self.observed;
        for (name, s) in &o.schemas {
            self.arns.insert((Kind::Schema, name.clone()), s.arn.clone());
        }
        for (gname, g) in &o.groups {
            self.arns.insert((Kind::DatasetGroup, gname.clone()), g.arn.clone());
            let kinds = [
                (Kind::Dataset, g.datasets.iter().map(|(n, f)| (n, &f.arn)).collect::<Vec<_>>()),
                (Kind::Filter, g.filters.iter().map(|(n, f)| (n, &f.arn)).collect()),
                (Kind::EventTracker, g.event_trackers.iter().map(|(n, f)| (n, &f.arn)).collect()),
                (Kind::Solution, g.solutions.iter().map(|(n, f)| (n, &f.arn)).collect()),
                (Kind::Campaign, g.campaigns.iter().map(|(n, f)| (n, &f.arn)).collect()),
                (Kind::Recommender, g.recommenders.iter().map(|(n, f)| (n, &f.arn)).collect()),
            ];
            for (kind, found) in kinds {
                for (name, arn) in found {
                    self.arns.insert((kind, name.clone()), arn.clone());
                }
            }
            self.versions.extend(g.active_versions.clone());
        }
    }

    fn arn(&self, kind: Kind, name: &str) -> anyhow::Result<String> {
        self.arns.get(&(kind, name.to_string())).cloned().ok_or_else(|| anyhow!("no ARN known for {kind} {name}"))
    }

    fn group(&self, change: &Change) -> anyhow::Result<&'a spec::DatasetGroup> {
        let name = change.group.as_deref().unwrap_or(&change.name);
        self.file.dataset_groups.iter().find(|g| g.name == name).context("the dataset group is not in the file")
    }

    async fn delete(&mut self, c: &Change) -> anyhow::Result<()> {
        let arn = self.arn(c.kind, &c.name)?;
        let why = if c.action == Action::Replace { "to replace it" } else { "not in the file: --prune" };
        println!("Deleting {} {} ({why})", c.kind, c.name);
        let client = self.client;
        macro_rules! gone {
            ($delete:expr, $op:literal, $describe:expr) => {{
                sdk($delete.send().await, $op)?;
                let arn = arn.as_str();
                wait_gone(&format!("{} {}", c.kind, c.name), self.timeout, || async move { $describe(arn).await }).await
            }};
        }
        match c.kind {
            Kind::Campaign => gone!(client.delete_campaign().campaign_arn(&arn), "DeleteCampaign", |a| async move {
                missing(client.describe_campaign().campaign_arn(a).send().await)
            }),
            Kind::Recommender => {
                gone!(client.delete_recommender().recommender_arn(&arn), "DeleteRecommender", |a| async move {
                    missing(client.describe_recommender().recommender_arn(a).send().await)
                })
            }
            Kind::Solution => gone!(client.delete_solution().solution_arn(&arn), "DeleteSolution", |a| async move {
                missing(client.describe_solution().solution_arn(a).send().await)
            }),
            Kind::Filter => gone!(client.delete_filter().filter_arn(&arn), "DeleteFilter", |a| async move {
                missing(client.describe_filter().filter_arn(a).send().await)
            }),
            Kind::EventTracker => {
                gone!(client.delete_event_tracker().event_tracker_arn(&arn), "DeleteEventTracker", |a| async move {
                    missing(client.describe_event_tracker().event_tracker_arn(a).send().await)
                })
            }
            Kind::Dataset => gone!(client.delete_dataset().dataset_arn(&arn), "DeleteDataset", |a| async move {
                missing(client.describe_dataset().dataset_arn(a).send().await)
            }),
            Kind::Schema => gone!(client.delete_schema().schema_arn(&arn), "DeleteSchema", |a| async move {
                missing(client.describe_schema().schema_arn(a).send().await)
            }),
            other => bail!("a {other} is never deleted"),
        }
    }

    async fn make(&mut self, c: &Change) -> anyhow::Result<()> {
        let verb = match c.action {
            Action::Update => "Updating",
            Action::Replace => "Re-creating",
            _ => "Creating",
        };
        let what = format!("{} {}", c.kind, c.name);
        println!("{verb} {what}");
        let started = Instant::now();
        match c.kind {
            Kind::Schema => self.schema(c).await?,
            Kind::DatasetGroup => self.dataset_group(c).await?,
            Kind::Dataset => self.dataset(c).await?,
            Kind::ImportJob => self.import_job(c).await?,
            Kind::Filter => self.filter(c).await?,
            Kind::EventTracker => self.event_tracker(c).await?,
            Kind::Solution => self.solution(c).await?,
            Kind::SolutionVersion => self.solution_version(c).await?,
            Kind::Campaign => self.campaign(c).await?,
            Kind::Recommender => self.recommender(c).await?,
        }
        println!("  {what}: ACTIVE ({:.1}s)", started.elapsed().as_secs_f64());
        Ok(())
    }

    async fn schema(&mut self, c: &Change) -> anyhow::Result<()> {
        let s = self.file.schemas.iter().find(|s| s.name == c.name).context("not in the file")?;
        let request = self
            .client
            .create_schema()
            .name(&s.name)
            .schema(s.schema.to_string())
            .set_domain(s.domain.as_deref().map(Domain::from));
        let arn = sdk(request.send().await, "CreateSchema")?.schema_arn().context("no schemaArn")?.to_string();
        self.arns.insert((Kind::Schema, c.name.clone()), arn);
        Ok(())
    }

    async fn dataset_group(&mut self, c: &Change) -> anyhow::Result<()> {
        let g = self.group(c)?;
        let request =
            self.client.create_dataset_group().name(&g.name).set_domain(g.domain.as_deref().map(Domain::from));
        let out = sdk(request.send().await, "CreateDatasetGroup")?;
        let arn = out.dataset_group_arn().context("no datasetGroupArn")?.to_string();
        let client = self.client;
        wait_active(&c.name, self.timeout, || async {
            let out =
                sdk(client.describe_dataset_group().dataset_group_arn(&arn).send().await, "DescribeDatasetGroup")?;
            let g = out.dataset_group();
            Ok(state(g.and_then(|g| g.status()), g.and_then(|g| g.failure_reason())))
        })
        .await?;
        self.arns.insert((Kind::DatasetGroup, c.name.clone()), arn);
        Ok(())
    }

    async fn dataset(&mut self, c: &Change) -> anyhow::Result<()> {
        let g = self.group(c)?;
        let d = g.datasets.iter().find(|d| d.name == c.name).context("not in the file")?;
        let schema_arn = self.arn(Kind::Schema, &d.schema)?;
        let client = self.client;
        let arn = if c.action == Action::Update {
            let arn = self.arn(Kind::Dataset, &d.name)?;
            sdk(client.update_dataset().dataset_arn(&arn).schema_arn(&schema_arn).send().await, "UpdateDataset")?;
            arn
        } else {
            let request = client
                .create_dataset()
                .name(&d.name)
                .dataset_group_arn(self.arn(Kind::DatasetGroup, &g.name)?)
                .dataset_type(&d.dataset_type)
                .schema_arn(&schema_arn);
            sdk(request.send().await, "CreateDataset")?.dataset_arn().context("no datasetArn")?.to_string()
        };
        wait_active(&c.name, self.timeout, || async {
            let out = sdk(client.describe_dataset().dataset_arn(&arn).send().await, "DescribeDataset")?;
            let d = out.dataset();
            let update = d.and_then(|d| d.latest_dataset_update());
            match update.and_then(|u| u.status()).filter(|s| *s != "ACTIVE") {
                Some(status) => Ok(state(Some(status), update.and_then(|u| u.failure_reason()))),
                None => Ok(state(d.and_then(|d| d.status()), None)),
            }
        })
        .await?;
        self.arns.insert((Kind::Dataset, c.name.clone()), arn);
        Ok(())
    }

    async fn import_job(&mut self, c: &Change) -> anyhow::Result<()> {
        let g = self.group(c)?;
        let (d, import) = g
            .datasets
            .iter()
            .find_map(|d| d.import.as_ref().filter(|i| i.job_name == c.name).map(|i| (d, i)))
            .context("not in the file")?;
        let request = self
            .client
            .create_dataset_import_job()
            .job_name(&import.job_name)
            .dataset_arn(self.arn(Kind::Dataset, &d.name)?)
            .role_arn(import.role_arn.as_deref().unwrap_or(PLACEHOLDER_ROLE_ARN))
            .data_source(DataSource::builder().data_location(&import.data_location).build())
            .set_import_mode(import.import_mode.as_deref().map(ImportMode::from));
        let out = sdk(request.send().await, "CreateDatasetImportJob")?;
        let arn = out.dataset_import_job_arn().context("no datasetImportJobArn")?.to_string();
        let client = self.client;
        wait_active(&c.name, self.timeout, || async {
            let out = client.describe_dataset_import_job().dataset_import_job_arn(&arn).send().await;
            let out = sdk(out, "DescribeDatasetImportJob")?;
            let j = out.dataset_import_job();
            Ok(state(j.and_then(|j| j.status()), j.and_then(|j| j.failure_reason())))
        })
        .await
    }

    async fn filter(&mut self, c: &Change) -> anyhow::Result<()> {
        let g = self.group(c)?;
        let f = g.filters.iter().find(|f| f.name == c.name).context("not in the file")?;
        let request = self
            .client
            .create_filter()
            .name(&f.name)
            .dataset_group_arn(self.arn(Kind::DatasetGroup, &g.name)?)
            .filter_expression(&f.filter_expression);
        let arn = sdk(request.send().await, "CreateFilter")?.filter_arn().context("no filterArn")?.to_string();
        let client = self.client;
        wait_active(&c.name, self.timeout, || async {
            let out = sdk(client.describe_filter().filter_arn(&arn).send().await, "DescribeFilter")?;
            let f = out.filter();
            Ok(state(f.and_then(|f| f.status()), f.and_then(|f| f.failure_reason())))
        })
        .await
    }

    async fn event_tracker(&mut self, c: &Change) -> anyhow::Result<()> {
        let g = self.group(c)?;
        let request =
            self.client.create_event_tracker().name(&c.name).dataset_group_arn(self.arn(Kind::DatasetGroup, &g.name)?);
        let out = sdk(request.send().await, "CreateEventTracker")?;
        let arn = out.event_tracker_arn().context("no eventTrackerArn")?.to_string();
        let client = self.client;
        wait_active(&c.name, self.timeout, || async {
            let out =
                sdk(client.describe_event_tracker().event_tracker_arn(&arn).send().await, "DescribeEventTracker")?;
            Ok(state(out.event_tracker().and_then(|e| e.status()), None))
        })
        .await
    }

    async fn solution(&mut self, c: &Change) -> anyhow::Result<()> {
        let g = self.group(c)?;
        let s = g.solutions.iter().find(|s| s.name == c.name).context("not in the file")?;
        let client = self.client;
        let arn = if c.action == Action::Update {
            let arn = self.arn(Kind::Solution, &s.name)?;
            let auto = s.solution_config.as_ref().and_then(|c| c.auto_training_config.as_ref());
            let update_config = auto.map(|a| {
                SolutionUpdateConfig::builder().auto_training_config(convert::auto_training_config(a)).build()
            });
            let request = client
                .update_solution()
                .solution_arn(&arn)
                .set_perform_auto_training(s.perform_auto_training)
                .set_solution_update_config(update_config);
            sdk(request.send().await, "UpdateSolution")?;
            arn
        } else {
            let request = client
                .create_solution()
                .name(&s.name)
                .dataset_group_arn(self.arn(Kind::DatasetGroup, &g.name)?)
                .recipe_arn(spec::recipe_arn(&s.recipe))
                .set_event_type(s.event_type.clone())
                .set_perform_hpo(s.perform_hpo)
                .set_perform_auto_training(s.perform_auto_training)
                .set_solution_config(s.solution_config.as_ref().map(convert::solution_config));
            sdk(request.send().await, "CreateSolution")?.solution_arn().context("no solutionArn")?.to_string()
        };
        wait_active(&c.name, self.timeout, || async {
            let out = sdk(client.describe_solution().solution_arn(&arn).send().await, "DescribeSolution")?;
            let s = out.solution();
            let update = s.and_then(|s| s.latest_solution_update());
            match update.and_then(|u| u.status()).filter(|s| *s != "ACTIVE") {
                Some(status) => Ok(state(Some(status), update.and_then(|u| u.failure_reason()))),
                None => Ok(state(s.and_then(|s| s.status()), None)),
            }
        })
        .await?;
        if c.action != Action::Update {
            self.created_solutions.push(c.name.clone());
        }
        self.arns.insert((Kind::Solution, c.name.clone()), arn);
        Ok(())
    }

    async fn solution_version(&mut self, c: &Change) -> anyhow::Result<()> {
        let solution_arn = self.arn(Kind::Solution, &c.name)?;
        let client = self.client;
        let training = self.observed.groups.values().find_map(|g| g.training_versions.get(&c.name));
        let arn = match training.filter(|_| !self.created_solutions.contains(&c.name)) {
            Some(arn) => arn.clone(),
            None => {
                let request =
                    client.create_solution_version().solution_arn(&solution_arn).training_mode(TrainingMode::Full);
                let out = sdk(request.send().await, "CreateSolutionVersion")?;
                out.solution_version_arn().context("no solutionVersionArn")?.to_string()
            }
        };
        wait_active(&c.name, self.timeout, || async {
            let out = client.describe_solution_version().solution_version_arn(&arn).send().await;
            let v = sdk(out, "DescribeSolutionVersion")?;
            let v = v.solution_version();
            Ok(state(v.and_then(|v| v.status()), v.and_then(|v| v.failure_reason())))
        })
        .await?;
        self.versions.insert(c.name.clone(), arn);
        Ok(())
    }

    async fn campaign(&mut self, c: &Change) -> anyhow::Result<()> {
        let g = self.group(c)?;
        let campaign = g.campaigns.iter().find(|x| x.name == c.name).context("not in the file")?;
        let version =
            self.versions.get(&campaign.solution).cloned().with_context(|| {
                format!("the solution {} has no ACTIVE solution version to deploy", campaign.solution)
            })?;
        let client = self.client;
        let config = campaign.campaign_config.as_ref().map(convert::campaign_config);
        let arn = if c.action == Action::Update {
            let server = self.observed.groups.values().find_map(|g| g.campaigns.get(&c.name));
            let server = server.and_then(|s| s.spec.campaign_config.as_ref());
            let config = convert::merged(server, campaign.campaign_config.as_ref());
            let config = config.as_ref().map(convert::campaign_config);
            let arn = self.arn(Kind::Campaign, &c.name)?;
            // The solution version is sent only when the campaign moves to another solution:
            // the same one again would redeploy it for nothing.
            let moves = c.diffs.iter().any(|d| d.field == "solution");
            let request = client
                .update_campaign()
                .campaign_arn(&arn)
                .set_solution_version_arn(moves.then_some(version))
                .set_min_provisioned_tps(campaign.min_provisioned_tps)
                .set_campaign_config(config);
            sdk(request.send().await, "UpdateCampaign")?;
            arn
        } else {
            let request = client
                .create_campaign()
                .name(&campaign.name)
                .solution_version_arn(version)
                .set_min_provisioned_tps(campaign.min_provisioned_tps)
                .set_campaign_config(config);
            sdk(request.send().await, "CreateCampaign")?.campaign_arn().context("no campaignArn")?.to_string()
        };
        wait_active(&c.name, self.timeout, || async {
            let out = sdk(client.describe_campaign().campaign_arn(&arn).send().await, "DescribeCampaign")?;
            let x = out.campaign();
            let update = x.and_then(|x| x.latest_campaign_update());
            match update.and_then(|u| u.status()).filter(|s| *s != "ACTIVE") {
                Some(status) => Ok(state(Some(status), update.and_then(|u| u.failure_reason()))),
                None => Ok(state(x.and_then(|x| x.status()), x.and_then(|x| x.failure_reason()))),
            }
        })
        .await
    }

    async fn recommender(&mut self, c: &Change) -> anyhow::Result<()> {
        let g = self.group(c)?;
        let r = g.recommenders.iter().find(|r| r.name == c.name).context("not in the file")?;
        let client = self.client;
        let config = r.recommender_config.as_ref().map(convert::recommender_config);
        let arn = if c.action == Action::Update {
            let arn = self.arn(Kind::Recommender, &c.name)?;
            let server = self.observed.groups.values().find_map(|g| g.recommenders.get(&c.name));
            let server = server.and_then(|s| s.spec.recommender_config.as_ref());
            let config = convert::merged(server, r.recommender_config.as_ref());
            let config = config.as_ref().map(convert::recommender_config);
            let request = client
                .update_recommender()
                .recommender_arn(&arn)
                .recommender_config(config.context("an update needs recommenderConfig")?);
            sdk(request.send().await, "UpdateRecommender")?;
            arn
        } else {
            let request = client
                .create_recommender()
                .name(&r.name)
                .dataset_group_arn(self.arn(Kind::DatasetGroup, &g.name)?)
                .recipe_arn(spec::recipe_arn(&r.recipe))
                .set_recommender_config(config);
            sdk(request.send().await, "CreateRecommender")?.recommender_arn().context("no recommenderArn")?.to_string()
        };
        wait_active(&c.name, self.timeout, || async {
            let out = sdk(client.describe_recommender().recommender_arn(&arn).send().await, "DescribeRecommender")?;
            let x = out.recommender();
            let update = x.and_then(|x| x.latest_recommender_update());
            match update.and_then(|u| u.status()).filter(|s| *s != "ACTIVE") {
                Some(status) => Ok(state(Some(status), update.and_then(|u| u.failure_reason()))),
                None => Ok(state(x.and_then(|x| x.status()), x.and_then(|x| x.failure_reason()))),
            }
        })
        .await
    }
}

/// A status and the failure reason that goes with it.
type State = (String, Option<String>);

fn state(status: Option<&str>, failure: Option<&str>) -> State {
    (status.unwrap_or_default().to_string(), failure.map(str::to_string))
}

/// Polls `describe` until the status is ACTIVE; a FAILED status or the timeout is an error.
async fn wait_active<F, Fut>(name: &str, timeout: Duration, mut describe: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<State>>,
{
    let started = Instant::now();
    loop {
        let (status, failure) = describe().await?;
        if status == "ACTIVE" {
            return Ok(());
        }
        if status.contains("FAILED") {
            bail!("{name} is {status}: {}", failure.as_deref().unwrap_or("no reason given"));
        }
        if started.elapsed() > timeout {
            bail!("{name} is still {status} after {}s (--wait-timeout)", timeout.as_secs());
        }
        tokio::time::sleep(poll_interval(started.elapsed())).await;
    }
}

/// Polls `describe` until the resource is gone.
async fn wait_gone<F, Fut>(name: &str, timeout: Duration, mut describe: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<bool>>,
{
    let started = Instant::now();
    while !describe().await? {
        if started.elapsed() > timeout {
            bail!("{name} is still there {}s after its deletion (--wait-timeout)", timeout.as_secs());
        }
        tokio::time::sleep(poll_interval(started.elapsed())).await;
    }
    Ok(())
}

/// True when a Describe answered ResourceNotFoundException.
fn missing<T, E, R>(result: Result<T, SdkError<E, R>>) -> anyhow::Result<bool>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match result {
        Ok(_) => Ok(false),
        Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(true),
        Err(e) => sdk(Err(e), "Describe").map(|_: ()| false),
    }
}
