//! Declarative setup: `reko plan` shows what `reko apply` would change to make the server match a
//! setup file (`reko.yaml`), `reko apply` makes those changes, and `reko export-config` writes the
//! file of what a server has. Everything goes through the Personalize API with the official SDK,
//! so the same file applies to Amazon Personalize (leave `--endpoint` out). The file format and
//! the rules are in `docs/declarative-setup.md`.

pub mod apply;
pub mod convert;
pub mod observe;
pub mod plan;
pub mod spec;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use aws_sdk_personalize::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_http_client::tls;

use crate::jobs::{self, sdk};
use plan::Plan;
use spec::SetupFile;

/// Where to reach Personalize.
#[derive(clap::Args, Debug, Clone)]
pub struct Connection {
    /// The Personalize endpoint: a Reko server's URL (http:// or https://). Leave it out for
    /// Amazon Personalize itself (the region from AWS_REGION, credentials from AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN).
    #[arg(long, env = "REKO_ENDPOINT")]
    pub endpoint: Option<String>,
}

/// Show what `reko apply` would change.
#[derive(clap::Args, Debug, Clone)]
pub struct PlanArgs {
    /// The setup file (YAML).
    #[arg(short = 'f', long = "file")]
    pub file: PathBuf,
    #[command(flatten)]
    pub connection: Connection,
    /// Also show the resources of the file's dataset groups that the file does not name, which
    /// `reko apply --prune` deletes.
    #[arg(long)]
    pub prune: bool,
}

/// Make the server match a setup file.
#[derive(clap::Args, Debug, Clone)]
pub struct ApplyArgs {
    /// The setup file (YAML).
    #[arg(short = 'f', long = "file")]
    pub file: PathBuf,
    #[command(flatten)]
    pub connection: Connection,
    /// Delete and re-create the resources whose changes Personalize cannot make in place (a
    /// filter's expression, a solution's recipe, ...). Without it such a change is refused.
    #[arg(long)]
    pub allow_replace: bool,
    /// Delete the resources of the file's dataset groups that the file does not name (datasets,
    /// filters, event trackers, solutions, campaigns, recommenders). Never schemas, dataset
    /// groups the file does not name, import jobs or solution versions.
    #[arg(long)]
    pub prune: bool,
    /// Seconds to wait for each resource to become ACTIVE (or to be gone).
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub wait_timeout: u64,
}

/// Write the setup file of what a server has.
#[derive(clap::Args, Debug, Clone)]
pub struct ExportConfigArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Only this dataset group (and the schemas its datasets use) [default: every group and schema].
    #[arg(long)]
    pub dataset_group: Option<String>,
    /// Write the file here [default: standard output].
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
}

/// A control-plane client for `--endpoint`, or for Amazon Personalize's own endpoint in the
/// client's region when it is left out.
pub fn client(connection: &Connection) -> anyhow::Result<aws_sdk_personalize::Client> {
    let region = crate::access_keys::client_region(None);
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
        .build_https();
    let builder = aws_sdk_personalize::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .http_client(http);
    let builder = match &connection.endpoint {
        Some(endpoint) => {
            let (id, secret) = crate::access_keys::client_credentials()?;
            let endpoint = jobs::check_endpoint(endpoint)?;
            builder.endpoint_url(endpoint).credentials_provider(Credentials::new(id, secret, None, None, "reko-cli"))
        }
        None => {
            let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
            let (Some(id), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) else {
                bail!(
                    "no --endpoint, so this goes to Amazon Personalize: set AWS_ACCESS_KEY_ID and \
                     AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials), or pass --endpoint \
                     to reach a Reko server"
                );
            };
            builder.credentials_provider(Credentials::new(id, secret, var("AWS_SESSION_TOKEN"), None, "environment"))
        }
    };
    Ok(aws_sdk_personalize::Client::from_conf(builder.build()))
}

/// Reads, validates and normalizes a setup file: recipes become ARNs, dataset types take the
/// documentation's spelling, local import paths become absolute `file://` URLs (relative ones
/// are relative to the file's folder).
pub fn load(path: &Path) -> anyhow::Result<SetupFile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut file = spec::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    for group in &mut file.dataset_groups {
        group.solutions.iter_mut().for_each(|s| s.recipe = spec::recipe_arn(&s.recipe));
        group.recommenders.iter_mut().for_each(|r| r.recipe = spec::recipe_arn(&r.recipe));
        for d in &mut group.datasets {
            d.dataset_type = spec::canonical_dataset_type(&d.dataset_type).unwrap_or_default().to_string();
            if let Some(import) = &mut d.import {
                import.data_location = location_url(&import.data_location, base)?;
            }
        }
    }
    Ok(file)
}

/// `s3://` and `file://` locations as written; a local path as an absolute `file://` URL.
fn location_url(location: &str, base: &Path) -> anyhow::Result<String> {
    let lower = location.to_ascii_lowercase();
    if lower.starts_with("s3://") || lower.starts_with("file://") {
        return Ok(location.to_string());
    }
    let path = base.join(location);
    let path = std::fs::canonicalize(&path).or_else(|_| std::path::absolute(&path))?;
    jobs::file_url(&path, path.is_dir())
}

/// Observes what the file names and plans; also checks that every recipe exists.
async fn observe_and_plan(
    client: &aws_sdk_personalize::Client,
    file: &SetupFile,
    path: &Path,
    prune: bool,
) -> anyhow::Result<(observe::Observed, Plan)> {
    let recipes = sdk(client.list_recipes().into_paginator().items().send().try_collect().await, "ListRecipes")?;
    for (member, arn) in plan::recipes(file) {
        if !recipes.iter().any(|r| r.recipe_arn() == Some(arn.as_str())) {
            bail!("{}: {member}: no recipe '{}' (ListRecipes)", path.display(), spec::recipe_name(&arn));
        }
    }
    let schemas: Vec<&str> = file.schemas.iter().map(|s| s.name.as_str()).collect();
    let groups: Vec<String> = file.dataset_groups.iter().map(|g| g.name.clone()).collect();
    let observed = observe::observe(client, |name| schemas.contains(&name), Some(&groups)).await?;
    let plan = plan::plan(file, &observed, prune);
    Ok((observed, plan))
}

/// `reko plan`.
pub async fn run_plan(args: PlanArgs) -> anyhow::Result<()> {
    let file = load(&args.file)?;
    let client = client(&args.connection)?;
    let (observed, plan) = observe_and_plan(&client, &file, &args.file, args.prune).await?;
    println!("{plan}");
    let replacements = plan.replacements();
    if !replacements.is_empty() {
        println!("Replacing needs `reko apply --allow-replace`: {}", replacements.join("; "));
    }
    let busy = observed.in_progress(&plan);
    if !busy.is_empty() {
        println!("In progress on the server (apply waits for them first): {}", busy.join(", "));
    }
    Ok(())
}

/// `reko apply`.
pub async fn run_apply(args: ApplyArgs) -> anyhow::Result<()> {
    let file = load(&args.file)?;
    let client = client(&args.connection)?;
    let timeout = Duration::from_secs(args.wait_timeout);
    let (mut observed, mut plan) = observe_and_plan(&client, &file, &args.file, args.prune).await?;
    // What the server is still creating (an apply interrupted, another client) settles first.
    let started = std::time::Instant::now();
    loop {
        let busy = observed.in_progress(&plan);
        if busy.is_empty() {
            break;
        }
        if started.elapsed() > timeout {
            bail!("still in progress after {}s (--wait-timeout): {}", timeout.as_secs(), busy.join(", "));
        }
        println!("Waiting for what the server is still working on: {}", busy.join(", "));
        tokio::time::sleep(Duration::from_secs(2)).await;
        (observed, plan) = observe_and_plan(&client, &file, &args.file, args.prune).await?;
    }
    println!("{plan}");
    if !plan.refusals.is_empty() {
        let refused: Vec<String> = plan.refusals.iter().map(|r| format!("{}: {}", r.resource, r.message)).collect();
        bail!("refused, nothing changed: {}", refused.join("; "));
    }
    let replacements = plan.replacements();
    if !replacements.is_empty() && !args.allow_replace {
        bail!(
            "refused, nothing changed: {}. Personalize cannot change these in place; `--allow-replace` deletes \
             and re-creates them",
            replacements.join("; ")
        );
    }
    if !plan.has_work() {
        println!("No changes.");
        return Ok(());
    }
    let done = apply::apply(&client, &file, &observed, &plan, timeout).await?;
    println!("Applied: {done} change{}.", jobs::plural(done as u64));
    Ok(())
}

/// `reko export-config`.
pub async fn run_export(args: ExportConfigArgs) -> anyhow::Result<()> {
    let client = client(&args.connection)?;
    let groups = args.dataset_group.clone().map(|g| vec![g]);
    let observed = observe::observe(&client, |_| true, groups.as_deref()).await?;
    if let Some(name) = &args.dataset_group {
        if !observed.groups.contains_key(name) {
            bail!("--dataset-group: no dataset group named '{name}'");
        }
    }
    for note in &observed.notes {
        eprintln!("note: {note}; left out of the file");
    }
    let file = observed.to_file(args.dataset_group.is_none());
    let yaml = format!(
        "# Written by `reko export-config`; `reko plan -f` this file reports every resource unchanged.\n{}",
        serde_norway::to_string(&file).context("writing YAML")?
    );
    match &args.output {
        Some(path) => {
            std::fs::write(path, yaml).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("Wrote {}", path.display());
        }
        None => print!("{yaml}"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loading_normalizes_recipes_types_and_locations() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join("data/i.csv"), "USER_ID\n").unwrap();
        let file = dir.path().join("reko.yaml");
        let imports = [("data/i.csv", "a"), ("data", "b"), ("s3://bucket/key.csv", "c"), ("file:///x/y.csv", "d")];
        let mut text = String::from("schemas:\n  - {name: s, schema: {type: record}}\ndatasetGroups:\n");
        for (i, (location, name)) in imports.iter().enumerate() {
            text.push_str(&format!(
                "  - name: g{i}\n    datasets:\n      - {{name: d{name}, type: ITEMS, schema: s, import: {{jobName: j{name}, \
                 dataLocation: '{location}'}}}}\n    solutions:\n      - {{name: s{name}, recipe: aws-sims}}\n"
            ));
        }
        std::fs::write(&file, text).unwrap();
        let loaded = load(&file).unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let locations: Vec<&str> = loaded
            .dataset_groups
            .iter()
            .map(|g| g.datasets[0].import.as_ref().unwrap().data_location.as_str())
            .collect();
        let data = jobs::file_url(&root.join("data"), true).unwrap();
        assert_eq!(
            locations,
            [format!("{}i.csv", data).as_str(), data.as_str(), "s3://bucket/key.csv", "file:///x/y.csv"]
        );
        assert_eq!(loaded.dataset_groups[0].datasets[0].dataset_type, "Items");
        assert_eq!(loaded.dataset_groups[0].solutions[0].recipe, "arn:aws:personalize:::recipe/aws-sims");

        let e = load(&dir.path().join("missing.yaml")).unwrap_err();
        assert!(format!("{e:#}").contains("missing.yaml"), "{e:#}");
        std::fs::write(&file, "datasetGroups:\n  - name: g\n    solutions:\n      - {name: s}\n").unwrap();
        let e = load(&file).unwrap_err().to_string();
        assert_eq!(
            e,
            format!("{}: datasetGroups[0].solutions[0]: missing field `recipe` at line 4 column 9", file.display())
        );
    }
}
