//! `reko batch`: run a batch inference job (or, for a USER_SEGMENTATION solution version, a
//! batch segment job) on a Reko server and watch it finish.
//!
//! The job is created through the official AWS SDK (CreateBatchInferenceJob, or
//! CreateBatchSegmentJob when DescribeSolutionVersion / DescribeRecipe say the recipe is a
//! USER_SEGMENTATION one), exactly as an
//! application would do against Amazon Personalize, with the input and output given as local
//! paths turned into `file://` URLs. Unless `--no-wait`, the command then polls
//! DescribeBatchInferenceJob and shows a progress bar fed by the server's task view
//! (`GET /reko/tasks`), and ends with a one-line summary counting the lines of the `.out` files.
//! `reko batch --list` prints ListBatchInferenceJobs and ListBatchSegmentJobs as a table.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use aws_sdk_personalize::primitives::{DateTime, DateTimeFormat};
use aws_sdk_personalize::types::{
    BatchInferenceJobConfig, BatchInferenceJobInput, BatchInferenceJobOutput, BatchSegmentJobInput,
    BatchSegmentJobOutput, S3DataConfig,
};

use crate::jobs::{self, absolute_output, file_url, plural, sdk, thousands, JobState, PLACEHOLDER_ROLE_ARN};

/// Run a batch inference job (JSON Lines in, `<input file>.out` JSON Lines out), or list jobs.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "\
The job's roleArn is the fixed placeholder arn:aws:iam::000000000000:role/reko: Personalize requires \
a role, and Reko uses it only to pick an [[s3_roles]] role for s3:// locations. Input and output are sent as absolute file:// URLs; the server reads and \
writes them itself, so they must be visible to the server (same machine or a shared folder).")]
pub struct BatchArgs {
    /// Base URL of the Reko server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub endpoint: String,
    /// List the batch inference and batch segment jobs (all, or those of
    /// --solution-version-arn) instead of creating one.
    #[arg(long, conflicts_with_all = [
        "input", "output", "job_name", "num_results", "filter_arn",
        "exploration_weight", "exploration_item_age_cut_off", "no_wait",
    ])]
    pub list: bool,
    /// The solution version to run (required unless --list, where it filters the list).
    #[arg(long, required_unless_present = "list")]
    pub solution_version_arn: Option<String>,
    /// A JSON Lines input file, or a folder whose files are all inputs.
    #[arg(long, required_unless_present = "list")]
    pub input: Option<PathBuf>,
    /// Output folder: one `<input file name>.out` per input file (created by the server).
    #[arg(long, required_unless_present = "list")]
    pub output: Option<PathBuf>,
    /// Job name [default: reko-batch-<unix time>].
    #[arg(long)]
    pub job_name: Option<String>,
    /// Items per output line, or users per segment [server default: 25].
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..))]
    pub num_results: Option<i32>,
    /// Filter to apply (its parameters go in each input line's "filterValues").
    #[arg(long)]
    pub filter_arn: Option<String>,
    /// itemExplorationConfig explorationWeight, 0.0–1.0 (User-Personalization only).
    #[arg(long, value_parser = parse_exploration_weight)]
    pub exploration_weight: Option<f64>,
    /// itemExplorationConfig explorationItemAgeCutOff in days, > 0 (User-Personalization only).
    #[arg(long, value_parser = parse_age_cut_off)]
    pub exploration_item_age_cut_off: Option<f64>,
    /// Print the job ARN and return right after creating the job.
    #[arg(long)]
    pub no_wait: bool,
}

/// Runs `reko batch` (see the module docs).
pub async fn run(args: BatchArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let endpoint = jobs::check_endpoint(&args.endpoint)?;
    let client = jobs::client(&endpoint, args.solution_version_arn.as_deref())?;
    if args.list {
        return list(&client, args.solution_version_arn.as_deref()).await;
    }

    let (Some(solution_version_arn), Some(input), Some(output)) =
        (&args.solution_version_arn, &args.input, &args.output)
    else {
        bail!("--solution-version-arn, --input and --output are required (or use --list)");
    };
    let input = std::fs::canonicalize(input).with_context(|| format!("input {}", input.display()))?;
    let input_is_dir = input.is_dir();
    let output = absolute_output(output)?;
    if input_is_dir && input == output {
        bail!("the output folder must differ from the input folder ({})", input.display());
    }
    let job_name = args.job_name.clone().unwrap_or_else(|| jobs::default_job_name("reko-batch"));

    let input_url = S3DataConfig::builder().path(file_url(&input, input_is_dir)?).build()?;
    let output_url = S3DataConfig::builder().path(file_url(&output, true)?).build()?;
    let segments = is_segmentation(&client, solution_version_arn).await?;
    let (arn, what) = if segments {
        if args.exploration_weight.is_some() || args.exploration_item_age_cut_off.is_some() {
            bail!("--exploration-weight and --exploration-item-age-cut-off apply to batch inference, not to batch segment jobs");
        }
        let request = client
            .create_batch_segment_job()
            .job_name(&job_name)
            .solution_version_arn(solution_version_arn)
            .role_arn(PLACEHOLDER_ROLE_ARN)
            .job_input(BatchSegmentJobInput::builder().s3_data_source(input_url).build())
            .job_output(BatchSegmentJobOutput::builder().s3_data_destination(output_url).build())
            .set_num_results(args.num_results)
            .set_filter_arn(args.filter_arn.clone());
        let arn = sdk(request.send().await, "CreateBatchSegmentJob")?
            .batch_segment_job_arn()
            .context("CreateBatchSegmentJob returned no batchSegmentJobArn")?
            .to_string();
        (arn, "batch segment job")
    } else {
        let mut request = client
            .create_batch_inference_job()
            .job_name(&job_name)
            .solution_version_arn(solution_version_arn)
            .role_arn(PLACEHOLDER_ROLE_ARN)
            .job_input(BatchInferenceJobInput::builder().s3_data_source(input_url).build())
            .job_output(BatchInferenceJobOutput::builder().s3_data_destination(output_url).build())
            .set_num_results(args.num_results)
            .set_filter_arn(args.filter_arn.clone());
        if args.exploration_weight.is_some() || args.exploration_item_age_cut_off.is_some() {
            let mut config = BatchInferenceJobConfig::builder();
            if let Some(w) = args.exploration_weight {
                config = config.item_exploration_config("explorationWeight", w.to_string());
            }
            if let Some(days) = args.exploration_item_age_cut_off {
                config = config.item_exploration_config("explorationItemAgeCutOff", days.to_string());
            }
            request = request.batch_inference_job_config(config.build());
        }
        let arn = sdk(request.send().await, "CreateBatchInferenceJob")?
            .batch_inference_job_arn()
            .context("CreateBatchInferenceJob returned no batchInferenceJobArn")?
            .to_string();
        (arn, "batch inference job")
    };
    println!("Created {what} {job_name}: {arn}");
    if args.no_wait {
        println!("Not waiting; follow it with `reko batch --endpoint {endpoint} --list` or `reko tasks`.");
        return Ok(());
    }

    let (client_ref, arn_ref) = (&client, arn.as_str());
    let describe = move || async move {
        if segments {
            let described = client_ref.describe_batch_segment_job().batch_segment_job_arn(arn_ref).send().await;
            let described = sdk(described, "DescribeBatchSegmentJob")?;
            let job = described.batch_segment_job();
            return Ok(JobState::new(job.and_then(|j| j.status()), job.and_then(|j| j.failure_reason())));
        }
        let described = client_ref.describe_batch_inference_job().batch_inference_job_arn(arn_ref).send().await;
        let described = sdk(described, "DescribeBatchInferenceJob")?;
        let job = described.batch_inference_job();
        Ok(JobState::new(job.and_then(|j| j.status()), job.and_then(|j| j.failure_reason())))
    };
    let status = jobs::wait(&endpoint, &arn, what, &job_name, describe).await?;
    let inputs = input_files(&input)?;
    let expected: Vec<PathBuf> = inputs.iter().map(|f| output_file_for(f, &output)).collect();
    let summary = tokio::task::spawn_blocking(move || summarize_outputs(&expected))
        .await
        .context("counting the output lines panicked")?;
    println!("{}", summary_line(&status, &output, &summary, started.elapsed()));
    Ok(())
}

/// Whether the solution version's recipe is a USER_SEGMENTATION one (DescribeSolutionVersion,
/// then DescribeRecipe).
async fn is_segmentation(client: &aws_sdk_personalize::Client, solution_version_arn: &str) -> anyhow::Result<bool> {
    let version = sdk(
        client.describe_solution_version().solution_version_arn(solution_version_arn).send().await,
        "DescribeSolutionVersion",
    )?;
    let Some(recipe_arn) = version.solution_version().and_then(|v| v.recipe_arn()) else { return Ok(false) };
    let recipe = sdk(client.describe_recipe().recipe_arn(recipe_arn).send().await, "DescribeRecipe")?;
    Ok(recipe.recipe().and_then(|r| r.recipe_type()) == Some("USER_SEGMENTATION"))
}

// ---------------------------------------------------------------------------------------------
// Output summary
// ---------------------------------------------------------------------------------------------

/// What the job's `.out` files hold.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OutputSummary {
    /// `.out` files found.
    pub files: usize,
    /// Expected `.out` files that are not there (e.g. the server writes to another machine).
    pub missing: usize,
    /// Non-blank output lines.
    pub lines: u64,
    /// Lines whose `"error"` is present and not null, or that are not JSON objects.
    pub errors: u64,
    /// Files that could not be read, with the reason.
    pub unreadable: Vec<String>,
}

/// Counts the lines and error lines of the given `.out` files.
pub fn summarize_outputs(files: &[PathBuf]) -> OutputSummary {
    let mut summary = OutputSummary::default();
    for path in files {
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                summary.missing += 1;
                continue;
            }
            Err(e) => {
                summary.unreadable.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        summary.files += 1;
        for line in std::io::BufReader::new(file).lines() {
            let line = match line {
                Ok(l) => l,
                Err(e) => {
                    summary.unreadable.push(format!("{}: {e}", path.display()));
                    break;
                }
            };
            if line.trim().is_empty() {
                continue;
            }
            summary.lines += 1;
            if line_has_error(&line) {
                summary.errors += 1;
            }
        }
    }
    summary
}

/// True when an output line reports an error (or is not a JSON object at all).
fn line_has_error(line: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Line {
        // Absent and `null` both mean no error; other members are skipped unparsed.
        error: Option<serde::de::IgnoredAny>,
    }
    match serde_json::from_str::<Line>(line) {
        Ok(l) => l.error.is_some(),
        Err(_) => true,
    }
}

/// The input files of a job, as the server reads them: the file itself, or every regular,
/// non-hidden file directly inside the folder.
fn input_files(input: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !input.is_dir() {
        return Ok(vec![input.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(input).with_context(|| format!("reading {}", input.display()))? {
        let entry = entry.with_context(|| format!("reading {}", input.display()))?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// `<output>/<input file name>.out`.
fn output_file_for(input_file: &Path, output: &Path) -> PathBuf {
    let mut name = input_file.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".out");
    output.join(name)
}

fn summary_line(status: &str, output: &Path, s: &OutputSummary, elapsed: Duration) -> String {
    let mut line = format!(
        "{status}: {} output line{}, {} error line{}, in {} ({} file{}), {:.1}s",
        thousands(s.lines),
        plural(s.lines),
        thousands(s.errors),
        plural(s.errors),
        output.display(),
        s.files,
        plural(s.files as u64),
        elapsed.as_secs_f64()
    );
    if s.missing > 0 {
        line.push_str(&format!("; {} expected .out file{} not found here", s.missing, plural(s.missing as u64)));
    }
    if !s.unreadable.is_empty() {
        line.push_str(&format!("; unreadable: {}", s.unreadable.join(", ")));
    }
    line
}

// ---------------------------------------------------------------------------------------------
// Listing
// ---------------------------------------------------------------------------------------------

async fn list(client: &aws_sdk_personalize::Client, solution_version_arn: Option<&str>) -> anyhow::Result<()> {
    let row = |kind: &str,
               name: Option<&str>,
               status: Option<&str>,
               created: Option<&DateTime>,
               arn: Option<&str>,
               reason: Option<&str>| {
        let text = |v: Option<&str>| v.unwrap_or("").to_string();
        [
            kind.to_string(),
            text(name),
            text(status),
            created.map(format_date).unwrap_or_default(),
            text(arn),
            text(reason),
        ]
    };
    let mut rows: Vec<[String; 6]> = Vec::new();
    let sv = solution_version_arn.map(str::to_string);
    let mut inference = client
        .list_batch_inference_jobs()
        .set_solution_version_arn(sv.clone())
        .max_results(100)
        .into_paginator()
        .items()
        .send();
    while let Some(job) = inference.next().await {
        let j = sdk(job, "ListBatchInferenceJobs")?;
        let arn = j.batch_inference_job_arn();
        rows.push(row("inference", j.job_name(), j.status(), j.creation_date_time(), arn, j.failure_reason()));
    }
    let mut segments =
        client.list_batch_segment_jobs().set_solution_version_arn(sv).max_results(100).into_paginator().items().send();
    while let Some(job) = segments.next().await {
        let j = sdk(job, "ListBatchSegmentJobs")?;
        let arn = j.batch_segment_job_arn();
        rows.push(row("segment", j.job_name(), j.status(), j.creation_date_time(), arn, j.failure_reason()));
    }
    if rows.is_empty() {
        println!("No batch inference or batch segment jobs.");
        return Ok(());
    }
    print!("{}", table(["KIND", "NAME", "STATUS", "CREATED", "ARN", "FAILURE REASON"], &rows));
    Ok(())
}

/// Left-aligned columns, two spaces apart; the last column is not padded.
fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut push_row = |cells: Vec<&str>| {
        let mut line = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 < N {
                line.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            } else {
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    };
    push_row(header.to_vec());
    for row in rows {
        push_row(row.iter().map(String::as_str).collect());
    }
    out
}

/// `2024-05-01T12:34:56Z` (whole seconds, UTC).
fn format_date(d: &DateTime) -> String {
    DateTime::from_secs(d.secs()).fmt(DateTimeFormat::DateTime).unwrap_or_else(|_| d.secs().to_string())
}

fn parse_exploration_weight(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(w) if (0.0..=1.0).contains(&w) => Ok(w),
        _ => Err(format!("'{s}' is not a number between 0.0 and 1.0")),
    }
}

fn parse_age_cut_off(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(d) if d > 0.0 && d.is_finite() => Ok(d),
        _ => Err(format!("'{s}' is not a positive number of days")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn counts_output_lines_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("users.json.out"),
            concat!(
                r#"{"input":{"userId":"1"},"output":{"recommendedItems":["a","b"],"scores":[0.5,0.2]},"error":null}"#,
                "\n",
                r#"{"input":{"userId":"2"},"output":{"recommendedItems":["c"]}}"#,
                "\n",
                r#"{"input":{"userId":""},"output":null,"error":"userId must not be empty"}"#,
                "\n\n",
            ),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("more.json.out"),
            concat!(
                r#"{"input":{"itemId":"9"},"output":{"recommendedItems":[]},"error":{"code":"X","message":"y"}}"#,
                "\n",
                "not json\n",
                r#"{"input":{"userId":"3"},"output":{"recommendedItems":["d"]},"error":null}"#,
            ),
        )
        .unwrap();
        // Not one of the job's outputs: ignored.
        std::fs::write(dir.path().join("old.json.out"), "{\"error\":\"x\"}\n").unwrap();

        let inputs = [PathBuf::from("/in/users.json"), PathBuf::from("/in/more.json"), PathBuf::from("/in/gone.json")];
        let expected: Vec<PathBuf> = inputs.iter().map(|f| output_file_for(f, dir.path())).collect();
        assert_eq!(expected[0], dir.path().join("users.json.out"));
        let s = summarize_outputs(&expected);
        assert_eq!(s, OutputSummary { files: 2, missing: 1, lines: 6, errors: 3, unreadable: vec![] });

        let line = summary_line("ACTIVE", dir.path(), &s, Duration::from_millis(1500));
        assert!(line.starts_with("ACTIVE: 6 output lines, 3 error lines, in "), "{line}");
        assert!(line.contains("(2 files), 1.5s; 1 expected .out file not found here"), "{line}");
    }

    #[test]
    fn input_folder_lists_visible_files_only() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.json", "a.json", ".hidden.json"] {
            std::fs::write(dir.path().join(name), "{}\n").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let files = input_files(dir.path()).unwrap();
        assert_eq!(files, vec![dir.path().join("a.json"), dir.path().join("b.json")]);
        assert_eq!(input_files(&dir.path().join("a.json")).unwrap(), vec![dir.path().join("a.json")]);
    }

    #[test]
    fn table_aligns_columns() {
        let rows = [["job-1".to_string(), "ACTIVE".to_string(), String::new()]];
        assert_eq!(table(["NAME", "STATUS", "FAILURE"], &rows), "NAME   STATUS  FAILURE\njob-1  ACTIVE\n");
    }

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        batch: BatchArgs,
    }

    #[test]
    fn command_line() {
        let a = Cli::try_parse_from([
            "batch",
            "--solution-version-arn",
            "arn:sv",
            "--input",
            "in.json",
            "--output",
            "out",
            "--exploration-weight",
            "0.5",
        ])
        .unwrap()
        .batch;
        assert_eq!(a.endpoint, "http://127.0.0.1:8080");
        assert_eq!(a.exploration_weight, Some(0.5));
        assert!(!a.list && !a.no_wait);
        assert!(Cli::try_parse_from(["batch", "--list"]).is_ok());
        assert!(Cli::try_parse_from(["batch", "--list", "--solution-version-arn", "arn:sv"]).is_ok());
        assert!(Cli::try_parse_from(["batch", "--list", "--input", "x"]).is_err());
        assert!(Cli::try_parse_from(["batch", "--solution-version-arn", "arn:sv", "--input", "x"]).is_err());
        let bad_weight = ["batch", "--list", "--exploration-weight", "1.5"];
        assert!(Cli::try_parse_from(bad_weight).is_err());
        assert!(parse_age_cut_off("0").is_err() && parse_age_cut_off("30").is_ok());
    }
}
