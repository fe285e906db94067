//! `reko export`: run a dataset export job on a Reko server and watch it finish.
//!
//! The job is created through the official AWS SDK (CreateDatasetExportJob). The server writes
//! the dataset's records as `<job name>.csv` (header row first) into the output folder: a local
//! folder, sent as an absolute `file://` URL ending in `/`, or an `s3://` location, sent
//! unchanged. Unless `--no-wait`, the command waits like `reko import` and ends with the output
//! file and its data row count (counted in the file when it is local).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_sdk_personalize::types::{DatasetExportJobOutput, IngestionMode, S3DataConfig};

use crate::jobs::{self, plural, sdk, thousands, JobState, Location, PLACEHOLDER_ROLE_ARN};

/// Export a dataset's records as one CSV file into a folder or an s3:// location.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "\
The job's roleArn (--role-arn) selects the server's [[s3_roles]] role whose credentials write an s3:// \
output; keys scoped to dataset groups must name one of their roles. Its default, the placeholder \
arn:aws:iam::000000000000:role/reko, names no role: a root key's s3:// export then uses the server's \
own credentials, and a local folder needs no role. A local --output folder is sent as an absolute file:// URL; the server \
writes <job name>.csv into it itself, so it must be visible to the server. s3:// locations are sent \
unchanged.")]
pub struct ExportArgs {
    /// Base URL of the Reko server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub endpoint: String,
    /// The dataset to export.
    #[arg(long)]
    pub dataset_arn: String,
    /// Output folder (local path or file:// URL, created by the server) or s3://bucket/prefix.
    #[arg(long)]
    pub output: String,
    /// The role (an [[s3_roles]] ARN of the server) an s3:// output is written as.
    #[arg(long, default_value = PLACEHOLDER_ROLE_ARN)]
    pub role_arn: String,
    /// Which records: BULK (imported), PUT (PutEvents/PutItems/PutUsers) or ALL [server default: PUT].
    #[arg(long, value_enum, ignore_case = true)]
    pub ingestion_mode: Option<IngestionModeArg>,
    /// Job name, also the output file's name [default: reko-export-<unix time>].
    #[arg(long)]
    pub job_name: Option<String>,
    /// Print the job ARN and return right after creating the job.
    #[arg(long)]
    pub no_wait: bool,
}

/// `--ingestion-mode`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IngestionModeArg {
    Bulk,
    Put,
    All,
}

impl IngestionModeArg {
    fn as_str(self) -> &'static str {
        match self {
            IngestionModeArg::Bulk => "BULK",
            IngestionModeArg::Put => "PUT",
            IngestionModeArg::All => "ALL",
        }
    }
}

/// Runs `reko export` (see the module docs).
pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let endpoint = jobs::check_endpoint(&args.endpoint)?;
    let client = jobs::client(&endpoint, Some(&args.dataset_arn))?;
    let output = jobs::output_location(&args.output)?;
    let job_name = args.job_name.clone().unwrap_or_else(|| jobs::default_job_name("reko-export"));

    let request = client
        .create_dataset_export_job()
        .job_name(&job_name)
        .dataset_arn(&args.dataset_arn)
        .role_arn(&args.role_arn)
        .job_output(
            DatasetExportJobOutput::builder()
                .s3_data_destination(S3DataConfig::builder().path(&output.url).build()?)
                .build(),
        )
        .set_ingestion_mode(args.ingestion_mode.map(|m| IngestionMode::from(m.as_str())));
    let arn = sdk(request.send().await, "CreateDatasetExportJob")?
        .dataset_export_job_arn()
        .context("CreateDatasetExportJob returned no datasetExportJobArn")?
        .to_string();
    println!("Created dataset export job {job_name} into {}: {arn}", output.url);
    if args.no_wait {
        println!("Not waiting; follow it with `reko tasks --endpoint {endpoint}`.");
        return Ok(());
    }

    let (client_ref, arn_ref) = (&client, arn.as_str());
    let describe = move || async move {
        let described = client_ref.describe_dataset_export_job().dataset_export_job_arn(arn_ref).send().await;
        let described = sdk(described, "DescribeDatasetExportJob")?;
        let job = described.dataset_export_job();
        Ok(JobState::new(job.and_then(|j| j.status()), job.and_then(|j| j.failure_reason())))
    };
    let status = jobs::wait(&endpoint, &arn, "dataset export job", &job_name, describe).await?;
    let target = output_file(&output, &job_name);
    let counted = match &target {
        Target::Local(path) => {
            let path = path.clone();
            Some(tokio::task::spawn_blocking(move || count_rows(&path)).await.context("counting the rows panicked")?)
        }
        Target::Remote(_) => None,
    };
    let reported = match &counted {
        Some(Ok(_)) => None,
        _ => jobs::finished_task_count(&endpoint, &arn, "rows exported").await,
    };
    println!("{}", summary_line(&status, &target, counted, reported, started.elapsed()));
    Ok(())
}

/// Where the server wrote the CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Local(PathBuf),
    Remote(String),
}

/// `<folder>/<job name>.csv`, as a local path or an `s3://` URL.
fn output_file(output: &Location, job_name: &str) -> Target {
    let name = format!("{job_name}.csv");
    match &output.local {
        Some(folder) => Target::Local(folder.join(name)),
        None => {
            let folder = output.url.trim_end_matches('/');
            Target::Remote(format!("{folder}/{name}"))
        }
    }
}

/// Data rows of the exported CSV (the header row not counted).
fn count_rows(path: &Path) -> anyhow::Result<u64> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let mut rows = 0;
    for record in reader.records() {
        record.with_context(|| format!("reading {}", path.display()))?;
        rows += 1;
    }
    Ok(rows)
}

/// `ACTIVE: 1,200 rows in /data/out/job.csv, 0.8s`; when the file cannot be read here, the
/// server's own count (if it gives one) and why.
fn summary_line(
    status: &str,
    target: &Target,
    counted: Option<anyhow::Result<u64>>,
    reported: Option<u64>,
    elapsed: Duration,
) -> String {
    let secs = elapsed.as_secs_f64();
    let rows = |n: u64| format!("{} row{}", thousands(n), plural(n));
    match (target, counted) {
        (Target::Local(path), Some(Ok(n))) => format!("{status}: {} in {}, {secs:.1}s", rows(n), path.display()),
        (Target::Local(path), Some(Err(e))) => {
            let server = reported.map(|n| format!("{} exported per the server; ", rows(n))).unwrap_or_default();
            format!("{status}: {}, {secs:.1}s ({server}cannot count here: {e:#})", path.display())
        }
        (target, _) => {
            let shown = match target {
                Target::Local(p) => p.display().to_string(),
                Target::Remote(u) => u.clone(),
            };
            match reported {
                Some(n) => format!("{status}: {} in {shown}, {secs:.1}s", rows(n)),
                None => format!("{status}: {shown}, {secs:.1}s"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        export: ExportArgs,
    }

    #[test]
    fn command_line() {
        let a = Cli::try_parse_from(["export", "--dataset-arn", "arn:ds", "--output", "out"]).unwrap().export;
        assert_eq!(a.endpoint, "http://127.0.0.1:8080");
        assert_eq!((a.dataset_arn.as_str(), a.output.as_str()), ("arn:ds", "out"));
        assert!(a.ingestion_mode.is_none() && a.job_name.is_none() && !a.no_wait);
        let a = Cli::try_parse_from([
            "export",
            "--dataset-arn",
            "arn:ds",
            "--output",
            "s3://b/p",
            "--ingestion-mode",
            "all",
            "--job-name",
            "e1",
            "--no-wait",
        ])
        .unwrap()
        .export;
        assert_eq!(a.ingestion_mode.map(IngestionModeArg::as_str), Some("ALL"));
        assert_eq!(a.job_name.as_deref(), Some("e1"));
        assert!(a.no_wait);
        let bulk = ["export", "--dataset-arn", "a", "--output", "o", "--ingestion-mode", "BULK"];
        assert_eq!(Cli::try_parse_from(bulk).unwrap().export.ingestion_mode, Some(IngestionModeArg::Bulk));
        assert!(Cli::try_parse_from(["export", "--dataset-arn", "a"]).is_err());
        assert!(Cli::try_parse_from(["export", "--output", "o"]).is_err());
        let bad = ["export", "--dataset-arn", "a", "--output", "o", "--ingestion-mode", "SOME"];
        assert!(Cli::try_parse_from(bad).is_err());
        assert!(jobs::default_job_name("reko-export").starts_with("reko-export-"));
    }

    #[test]
    fn output_file_names() {
        let local = Location { url: "file:///data/out/".into(), local: Some(PathBuf::from("/data/out")) };
        assert_eq!(output_file(&local, "e1"), Target::Local(PathBuf::from("/data/out/e1.csv")));
        let s3 = Location { url: "s3://bucket/exports/".into(), local: None };
        assert_eq!(output_file(&s3, "e1"), Target::Remote("s3://bucket/exports/e1.csv".into()));
        let s3 = Location { url: "s3://bucket/exports".into(), local: None };
        assert_eq!(output_file(&s3, "e1"), Target::Remote("s3://bucket/exports/e1.csv".into()));
    }

    #[test]
    fn counts_data_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e1.csv");
        std::fs::write(&path, "USER_ID,ITEM_ID,TIMESTAMP\n1,a,10\n2,\"b,\nc\",11\n3,d,12\n").unwrap();
        assert_eq!(count_rows(&path).unwrap(), 3);
        std::fs::write(&path, "USER_ID,ITEM_ID\n").unwrap();
        assert_eq!(count_rows(&path).unwrap(), 0);
        assert!(count_rows(&dir.path().join("missing.csv")).is_err());

        let t = Target::Local(PathBuf::from("/o/e1.csv"));
        let d = Duration::from_millis(1500);
        assert_eq!(summary_line("ACTIVE", &t, Some(Ok(1234)), None, d), "ACTIVE: 1,234 rows in /o/e1.csv, 1.5s");
        let missing = summary_line("ACTIVE", &t, Some(Err(anyhow::anyhow!("gone"))), Some(7), d);
        assert_eq!(missing, "ACTIVE: /o/e1.csv, 1.5s (7 rows exported per the server; cannot count here: gone)");
        let r = Target::Remote("s3://b/e1.csv".into());
        assert_eq!(summary_line("ACTIVE", &r, None, Some(1), d), "ACTIVE: 1 row in s3://b/e1.csv, 1.5s");
        assert_eq!(summary_line("ACTIVE", &r, None, None, d), "ACTIVE: s3://b/e1.csv, 1.5s");
    }
}
