//! `reko import`: run a dataset import job on a Reko server and watch it finish.
//!
//! The job is created through the official AWS SDK (CreateDatasetImportJob), as an application
//! would do against Amazon Personalize. A local data location (a CSV file or a folder of them) is
//! sent as an absolute `file://` URL; an `s3://` location is sent unchanged. Unless `--no-wait`,
//! the command then polls DescribeDatasetImportJob with a progress bar fed by the server's task
//! view (`GET /reko/tasks`), and ends with a one-line summary (status, rows imported, time, and
//! the numeric values the server set to null, the rows it skipped and the CSV columns naming no
//! schema field it ignored, if any). `--strict` tags the job `reko:strict-import=true`: the first
//! empty or non-numeric numeric value, or a column naming no schema field, fails it instead.

use std::time::{Duration, Instant};

use anyhow::Context;
use aws_sdk_personalize::types::{DataSource, ImportMode, Tag};

use crate::jobs::{self, plural, sdk, thousands, JobState, PLACEHOLDER_ROLE_ARN};

/// Import records into a dataset from a CSV file, a folder of CSV files or an s3:// location.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "\
The job's roleArn (--role-arn) selects the server's [[s3_roles]] role whose credentials read an s3:// \
location; keys scoped to dataset groups must name one of their roles. Its default, the placeholder \
arn:aws:iam::000000000000:role/reko, names no role: a root key's s3:// import then uses the server's \
own credentials, and a local location needs no role. A local --data-location is sent as an absolute file:// URL (a folder ends \
with '/': every file in it); the server reads it itself, so it must be visible to the server. \
s3:// locations are sent unchanged.")]
pub struct ImportArgs {
    /// Base URL of the Reko server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub endpoint: String,
    /// The dataset to import into.
    #[arg(long)]
    pub dataset_arn: String,
    /// A CSV file or folder (local path or file:// URL), or an s3://bucket/key location.
    #[arg(long)]
    pub data_location: String,
    /// The role (an [[s3_roles]] ARN of the server) an s3:// location is read as.
    #[arg(long, default_value = PLACEHOLDER_ROLE_ARN)]
    pub role_arn: String,
    /// FULL replaces the dataset's bulk records; INCREMENTAL adds to them [server default: FULL].
    #[arg(long, value_enum, ignore_case = true)]
    pub import_mode: Option<ImportModeArg>,
    /// Job name [default: reko-import-<unix time>].
    #[arg(long)]
    pub job_name: Option<String>,
    /// Print the job ARN and return right after creating the job.
    #[arg(long)]
    pub no_wait: bool,
    /// Fail the job on the first empty or non-numeric int/long/float/double value, or on a CSV
    /// column that names no schema field (tags the job reko:strict-import=true). By default such a
    /// value becomes null in a nullable field, a row with one in a non-nullable field is skipped,
    /// and such a column is ignored; the summary says how many.
    #[arg(long)]
    pub strict: bool,
}

/// `--import-mode`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ImportModeArg {
    Full,
    Incremental,
}

impl ImportModeArg {
    fn as_str(self) -> &'static str {
        match self {
            ImportModeArg::Full => "FULL",
            ImportModeArg::Incremental => "INCREMENTAL",
        }
    }
}

/// Runs `reko import` (see the module docs).
pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let endpoint = jobs::check_endpoint(&args.endpoint)?;
    let client = jobs::client(&endpoint, Some(&args.dataset_arn))?;
    let location = jobs::input_location(&args.data_location)?;
    let job_name = args.job_name.clone().unwrap_or_else(|| jobs::default_job_name("reko-import"));

    let request = client
        .create_dataset_import_job()
        .job_name(&job_name)
        .dataset_arn(&args.dataset_arn)
        .role_arn(&args.role_arn)
        .data_source(DataSource::builder().data_location(&location.url).build())
        .set_import_mode(args.import_mode.map(|m| ImportMode::from(m.as_str())));
    let request = if args.strict {
        request.tags(Tag::builder().tag_key(reko_service::STRICT_IMPORT_TAG).tag_value("true").build()?)
    } else {
        request
    };
    let arn = sdk(request.send().await, "CreateDatasetImportJob")?
        .dataset_import_job_arn()
        .context("CreateDatasetImportJob returned no datasetImportJobArn")?
        .to_string();
    println!("Created dataset import job {job_name} from {}: {arn}", location.url);
    if args.no_wait {
        println!("Not waiting; follow it with `reko tasks --endpoint {endpoint}`.");
        return Ok(());
    }

    let (client_ref, arn_ref) = (&client, arn.as_str());
    let describe = move || async move {
        let described = client_ref.describe_dataset_import_job().dataset_import_job_arn(arn_ref).send().await;
        let described = sdk(described, "DescribeDatasetImportJob")?;
        let job = described.dataset_import_job();
        Ok(JobState::new(job.and_then(|j| j.status()), job.and_then(|j| j.failure_reason())))
    };
    let status = jobs::wait(&endpoint, &arn, "dataset import job", &job_name, describe).await?;
    let detail = jobs::finished_task_detail(&endpoint, &arn, "rows imported").await;
    let (rows, coerced) = detail.map_or((None, None), |(n, rest)| (Some(n), rest));
    println!("{}", summary_line(&status, rows, coerced.as_deref(), started.elapsed()));
    Ok(())
}

/// `ACTIVE: 1,200 rows imported, 0.8s` (without the count when the server does not say), and
/// what the server set to null or skipped, if anything:
/// `ACTIVE: 1,200 rows imported, 0.8s; 3 non-numeric values set to null (...)`.
fn summary_line(status: &str, rows: Option<u64>, coerced: Option<&str>, elapsed: Duration) -> String {
    let line = match rows {
        Some(n) => format!("{status}: {} row{} imported, {:.1}s", thousands(n), plural(n), elapsed.as_secs_f64()),
        None => format!("{status}, {:.1}s", elapsed.as_secs_f64()),
    };
    match coerced {
        Some(c) => format!("{line}; {c}"),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        import: ImportArgs,
    }

    #[test]
    fn command_line() {
        let a = Cli::try_parse_from(["import", "--dataset-arn", "arn:ds", "--data-location", "x.csv"]).unwrap().import;
        assert_eq!(a.endpoint, "http://127.0.0.1:8080");
        assert_eq!((a.dataset_arn.as_str(), a.data_location.as_str()), ("arn:ds", "x.csv"));
        assert_eq!(a.import_mode, None);
        assert!(a.job_name.is_none() && !a.no_wait && !a.strict);

        let a = Cli::try_parse_from([
            "import",
            "--endpoint",
            "http://reko:9000",
            "--dataset-arn",
            "arn:ds",
            "--data-location",
            "s3://b/k/",
            "--import-mode",
            "incremental",
            "--job-name",
            "j1",
            "--no-wait",
            "--strict",
        ])
        .unwrap()
        .import;
        assert_eq!(a.import_mode.map(ImportModeArg::as_str), Some("INCREMENTAL"));
        assert_eq!(a.job_name.as_deref(), Some("j1"));
        assert!(a.no_wait && a.strict);
        let full = ["import", "--dataset-arn", "a", "--data-location", "x", "--import-mode", "FULL"];
        assert_eq!(Cli::try_parse_from(full).unwrap().import.import_mode, Some(ImportModeArg::Full));

        assert!(Cli::try_parse_from(["import", "--dataset-arn", "a"]).is_err());
        assert!(Cli::try_parse_from(["import", "--data-location", "x"]).is_err());
        let bad_mode = ["import", "--dataset-arn", "a", "--data-location", "x", "--import-mode", "PARTIAL"];
        assert!(Cli::try_parse_from(bad_mode).is_err());
    }

    #[test]
    fn summary() {
        assert_eq!(
            summary_line("ACTIVE", Some(1_200), None, Duration::from_millis(800)),
            "ACTIVE: 1,200 rows imported, 0.8s"
        );
        assert_eq!(summary_line("ACTIVE", Some(1), None, Duration::from_secs(2)), "ACTIVE: 1 row imported, 2.0s");
        assert_eq!(summary_line("ACTIVE", None, None, Duration::from_secs(2)), "ACTIVE, 2.0s");
        assert_eq!(
            summary_line(
                "ACTIVE",
                Some(1_000),
                Some("1 non-numeric value set to null (a.csv line 3, ...)"),
                Duration::from_secs(1)
            ),
            "ACTIVE: 1,000 rows imported, 1.0s; 1 non-numeric value set to null (a.csv line 3, ...)"
        );
        assert!(jobs::default_job_name("reko-import").starts_with("reko-import-"));
    }
}
