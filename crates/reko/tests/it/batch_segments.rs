//! Batch segment jobs through the wire: the official AWS SDK for Rust trains the
//! user-segmentation recipes (`aws-item-affinity`, `aws-item-attribute-affinity`) on a real
//! `reko serve` and drives CreateBatchSegmentJob / DescribeBatchSegmentJob /
//! ListBatchSegmentJobs (docs/compatibility.md, "Batch segments"); the test reads the JSON Lines
//! the jobs write.
//!
//! The data has two taste groups that never mix: users `a00..a59` interact only with items of
//! GENRE `x` (`x00..x19`), users `b00..b59` only with GENRE `y` (`y00..y19`). A segment for an
//! `x` item (or for `ITEMS.GENRE = "x"`) must therefore hold `a` users only. Users have a TIER
//! (`gold` for even numbers) for the UserID filter.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::*;
use aws_sdk_personalize::types::{
    BatchInferenceJobInput, BatchInferenceJobOutput, BatchSegmentJob, BatchSegmentJobInput, BatchSegmentJobOutput,
    S3DataConfig,
};
use serde_json::Value;

const INTERACTIONS_SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const ITEMS_SCHEMA: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":"string","categorical":true},{"name":"PRICE","type":"double"}],"version":"1.0"}"#;
const USERS_SCHEMA: &str = r#"{"type":"record","name":"Users","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"TIER","type":"string","categorical":true}],"version":"1.0"}"#;
const ROLE: &str = "arn:aws:iam::123456789012:role/PersonalizeRole";
const USERS_PER_GROUP: usize = 60;
const ITEMS_PER_GROUP: usize = 20;
/// Interactions per user (120 × 12 = 1440, above the training minimum).
const HISTORY: usize = 12;

/// Writes the interactions, items and users CSVs; returns their paths.
fn write_data(dir: &Path) -> [PathBuf; 3] {
    use std::fmt::Write as _;
    std::fs::create_dir_all(dir).unwrap();
    let mut interactions = String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
    let mut users = String::from("USER_ID,TIER\n");
    let mut n = 0i64;
    for (g, genre) in [("a", "x"), ("b", "y")] {
        for u in 0..USERS_PER_GROUP {
            for k in 0..HISTORY {
                let item = (u * 7 + k * 3) % ITEMS_PER_GROUP;
                writeln!(interactions, "{g}{u:02},{genre}{item:02},click,{}", 1_700_000_000 + n * 60).unwrap();
                n += 1;
            }
            writeln!(users, "{g}{u:02},{}", if u % 2 == 0 { "gold" } else { "silver" }).unwrap();
        }
    }
    let mut items = String::from("ITEM_ID,GENRE,PRICE\n");
    for genre in ["x", "y"] {
        for i in 0..ITEMS_PER_GROUP {
            writeln!(items, "{genre}{i:02},{genre},{}", 5 + i % 3).unwrap();
        }
    }
    let paths = [dir.join("interactions.csv"), dir.join("items.csv"), dir.join("users.csv")];
    for (p, text) in paths.iter().zip([interactions, items, users]) {
        std::fs::write(p, text).unwrap();
    }
    paths
}

/// A `file://` location (the path may not exist yet: outputs are created by the job).
fn data_config(path: &Path) -> S3DataConfig {
    S3DataConfig::builder().path(format!("file://{}", path.display())).build().unwrap()
}

/// Sends a CreateBatchSegmentJob; `Err(code)` when refused.
async fn create_job(
    c: &aws_sdk_personalize::Client,
    name: &str,
    sv: &str,
    input: &Path,
    output: &Path,
    num_results: Option<i32>,
    filter: Option<&str>,
) -> Result<String, String> {
    use aws_sdk_personalize::error::ProvideErrorMetadata;
    c.create_batch_segment_job()
        .job_name(name)
        .solution_version_arn(sv)
        .job_input(BatchSegmentJobInput::builder().s3_data_source(data_config(input)).build())
        .job_output(BatchSegmentJobOutput::builder().s3_data_destination(data_config(output)).build())
        .role_arn(ROLE)
        .set_num_results(num_results)
        .set_filter_arn(filter.map(str::to_string))
        .send()
        .await
        .map(|o| o.batch_segment_job_arn().expect("batchSegmentJobArn").to_string())
        .map_err(|e| format!("{}: {}", e.code().unwrap_or("?"), e.message().unwrap_or("")))
}

/// Polls DescribeBatchSegmentJob until the job settles.
async fn wait_job(c: &aws_sdk_personalize::Client, job_arn: &str) -> BatchSegmentJob {
    let start = Instant::now();
    loop {
        let j =
            ok(c.describe_batch_segment_job().batch_segment_job_arn(job_arn).send().await, "DescribeBatchSegmentJob")
                .batch_segment_job()
                .expect("batchSegmentJob")
                .clone();
        let status = j.status().unwrap_or("<none>").to_string();
        if !is_transient(&status) {
            return j;
        }
        assert!(start.elapsed() < WAIT, "{job_arn} still {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The raw and parsed lines of an output file.
fn read_out(path: &Path) -> Vec<(String, Value)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines().map(|l| (l.to_string(), serde_json::from_str(l).unwrap())).collect()
}

/// The users of a successful line.
#[track_caller]
fn users(line: &Value) -> Vec<String> {
    assert_eq!(line["error"], Value::Null, "{line}");
    let users: Vec<String> = line["output"]["recommendedUsers"]
        .as_array()
        .unwrap_or_else(|| panic!("recommendedUsers in {line}"))
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect();
    assert_eq!(users.iter().collect::<BTreeSet<_>>().len(), users.len(), "distinct users in {line}");
    // The same list under the key AWS's sample notebooks read.
    assert_eq!(line["output"]["usersList"], line["output"]["recommendedUsers"], "{line}");
    users
}

#[track_caller]
fn failure(line: &Value, needle: &str) {
    assert_eq!(line["output"], Value::Null, "{line}");
    let e = line["error"].as_str().unwrap_or_else(|| panic!("error in {line}"));
    assert!(e.contains(needle), "error {e:?} mentions {needle:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_segment_jobs_find_the_users_of_items_and_attributes() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"));
    let c = &server.control.clone();
    let io = tmp.path().join("io");

    let dsg = create_dataset_group(c, "seg").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let files = write_data(&tmp.path().join("csv"));
    let mut imports = Vec::new();
    for (kind, schema, file) in [
        ("Interactions", INTERACTIONS_SCHEMA, &files[0]),
        ("Items", ITEMS_SCHEMA, &files[1]),
        ("Users", USERS_SCHEMA, &files[2]),
    ] {
        let s = create_schema(c, &format!("seg-{kind}"), schema).await;
        let ds = create_dataset(c, &dsg, "seg", &format!("seg-{kind}"), kind, &s).await;
        imports.push(import(c, &format!("seg-{kind}"), &ds, &file_url(file), None).await);
    }
    for j in imports {
        wait_active(c, &Res::ImportJob(j)).await;
    }
    let affinity = train(c, &create_solution(c, &dsg, "seg-ia", "aws-item-affinity").await).await;
    let attribute = train(c, &create_solution(c, &dsg, "seg-iaa", "aws-item-attribute-affinity").await).await;
    let popularity = train(c, &create_solution(c, &dsg, "seg-pop", "aws-popularity-count").await).await;

    // Segmentation metrics (docs/compatibility.md, "Batch segments").
    for sv in [&affinity, &attribute] {
        let m = ok(c.get_solution_metrics().solution_version_arn(sv).send().await, "GetSolutionMetrics");
        let metrics = m.metrics().expect("metrics");
        let keys: BTreeSet<&str> = metrics.keys().map(String::as_str).collect();
        assert_eq!(keys, BTreeSet::from(["coverage", "hits_at_1_percent", "recall_at_1_percent"]), "{metrics:?}");
        // Segments of 2 users among 120, in a data set of two separate groups: better than chance.
        assert!(metrics["recall_at_1_percent"] > 2.0 / 60.0, "{metrics:?}");
    }

    // Segmentation solution versions are for batch segment jobs only.
    let refused = c.create_campaign().name("seg-camp").solution_version_arn(&affinity).send().await;
    let m = expect_code(refused, "InvalidInputException", "CreateCampaign(item-affinity)");
    assert!(m.contains("CreateBatchSegmentJob"), "{m}");
    let refused = c
        .create_batch_inference_job()
        .job_name("seg-bij")
        .solution_version_arn(&affinity)
        .job_input(BatchInferenceJobInput::builder().s3_data_source(data_config(&io.join("x.json"))).build())
        .job_output(BatchInferenceJobOutput::builder().s3_data_destination(data_config(&io.join("x-out"))).build())
        .role_arn(ROLE)
        .send()
        .await;
    expect_code(refused, "InvalidInputException", "CreateBatchInferenceJob(item-affinity)");

    // ---- Item-Affinity -------------------------------------------------------------------------
    let input = io.join("items.json");
    write_input(
        &input,
        &[r#"{"itemId":"x03"}"#, r#"{"itemId": "y05"}"#, r#"{"itemId":"nope"}"#, "not json", r#"{"userId":"a01"}"#],
    );
    let out = io.join("items-out");
    let job = create_job(c, "seg-items", &affinity, &input, &out, Some(10), None).await.unwrap();
    assert_eq!(job, arn("batch-segment-job", "seg-items"));
    let j = wait_job(c, &job).await;
    assert_eq!(j.status(), Some("ACTIVE"), "{:?}", j.failure_reason());
    assert_eq!(j.num_results(), Some(10));
    let lines = read_out(&out.join("items.json.out"));
    assert_eq!(lines.len(), 5);
    assert!(lines[0].0.starts_with(r#"{"input":{"itemId":"x03"},"output":{""#), "{}", lines[0].0);
    let x = users(&lines[0].1);
    assert_eq!(x.len(), 10);
    assert!(x.iter().all(|u| u.starts_with('a')), "segment of x03: {x:?}");
    assert_eq!(lines[1].1["input"], serde_json::json!({"itemId": "y05"}));
    let y = users(&lines[1].1);
    assert!(y.len() == 10 && y.iter().all(|u| u.starts_with('b')), "segment of y05: {y:?}");
    failure(&lines[2].1, "nope");
    failure(&lines[3].1, "Invalid JSON");
    assert_eq!(lines[3].1["input"], Value::String("not json".into()));
    failure(&lines[4].1, "\"itemId\" is required");

    // Default numResults (25), and a UserID filter with per-line filterValues.
    let tier = create_filter(c, &dsg, "seg-tier", "INCLUDE UserID WHERE Users.TIER IN ($T)").await;
    let input = io.join("filtered.json");
    write_input(
        &input,
        &[
            r#"{"itemId":"x01","filterValues":{"T":"\"gold\""}}"#,
            r#"{"itemId":"x01","filterValues":{"T":"\"silver\""}}"#,
        ],
    );
    let out = io.join("filtered-out");
    let job = create_job(c, "seg-filtered", &affinity, &input, &out, None, Some(&tier)).await.unwrap();
    let j = wait_job(c, &job).await;
    assert_eq!(j.status(), Some("ACTIVE"), "{:?}", j.failure_reason());
    assert_eq!(j.num_results(), Some(25));
    let lines = read_out(&out.join("filtered.json.out"));
    let gold = users(&lines[0].1);
    let silver = users(&lines[1].1);
    // 30 users of each tier in the `a` group; the segment fills 25 from the right tier only.
    let even = |u: &String| u[1..].parse::<usize>().unwrap() % 2 == 0;
    assert!(gold.len() == 25 && gold.iter().all(|u| u.starts_with('a') && even(u)), "{gold:?}");
    assert!(silver.len() == 25 && silver.iter().all(|u| u.starts_with('a') && !even(u)), "{silver:?}");

    // An ItemID filter does not fit a segment job.
    let items_filter = create_filter(c, &dsg, "seg-items-filter", r#"EXCLUDE ItemID WHERE Items.GENRE IN ("x")"#).await;
    let refused = create_job(c, "seg-bad-filter", &affinity, &input, &io.join("bad"), None, Some(&items_filter)).await;
    assert!(
        refused.as_ref().is_err_and(|e| e.contains("InvalidInputException") && e.contains("UserID")),
        "{refused:?}"
    );

    // Only segmentation solution versions.
    let refused = create_job(c, "seg-pop", &popularity, &input, &io.join("pop"), None, None).await;
    assert!(refused.as_ref().is_err_and(|e| e.contains("USER_SEGMENTATION")), "{refused:?}");

    // ---- Item-Attribute-Affinity ---------------------------------------------------------------
    let input = io.join("attributes.json");
    write_input(
        &input,
        &[
            r#"{"itemAttributes":"ITEMS.GENRE = \"x\""}"#,
            r#"{"itemAttributes":"ITEMS.genre = \"y\" AND ITEMS.PRICE = 6"}"#,
            r#"{"itemAttributes":"ITEMS.GENRE IN (\"x\")"}"#,
            r#"{"itemAttributes":"ITEMS.COLOR = \"x\""}"#,
            r#"{"itemAttributes":"ITEMS.GENRE = \"z\""}"#,
        ],
    );
    let out = io.join("attributes-out");
    let job = create_job(c, "seg-attributes", &attribute, &input, &out, Some(5), None).await.unwrap();
    let j = wait_job(c, &job).await;
    assert_eq!(j.status(), Some("ACTIVE"), "{:?}", j.failure_reason());
    let lines = read_out(&out.join("attributes.json.out"));
    assert!(
        lines[0].0.starts_with(r#"{"input":{"itemAttributes":"ITEMS.GENRE = \"x\""},"output":{""#),
        "{}",
        lines[0].0
    );
    let x = users(&lines[0].1);
    assert!(x.len() == 5 && x.iter().all(|u| u.starts_with('a')), "{x:?}");
    let y = users(&lines[1].1);
    assert!(y.len() == 5 && y.iter().all(|u| u.starts_with('b')), "{y:?}");
    failure(&lines[2].1, "= only");
    failure(&lines[3].1, "no field 'COLOR'");
    failure(&lines[4].1, "No item");

    // More than 10 attribute queries in a file fails the job, naming the file.
    let input = io.join("too-many.json");
    let many: Vec<String> = (0..11).map(|_| r#"{"itemAttributes":"ITEMS.GENRE = \"x\""}"#.to_string()).collect();
    write_input(&input, &many.iter().map(String::as_str).collect::<Vec<_>>());
    let job = create_job(c, "seg-too-many", &attribute, &input, &io.join("too-many-out"), None, None).await.unwrap();
    let j = wait_job(c, &job).await;
    assert_eq!(j.status(), Some("CREATE FAILED"));
    let reason = j.failure_reason().unwrap_or_default();
    assert!(reason.contains("too-many.json") && reason.contains("at most 10"), "{reason}");

    // ---- The CLI: `reko batch` sees a USER_SEGMENTATION version and runs a batch segment job ----
    let input = io.join("cli").join("items.json");
    write_input(&input, &[r#"{"itemId":"y01"}"#]);
    let cli = tokio::task::spawn_blocking({
        let (url, input, output, sv) = (server.url.clone(), input.clone(), io.join("cli-out"), affinity.clone());
        move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_reko"))
                .args(["batch", "--endpoint", &url, "--solution-version-arn", &sv, "--num-results", "3"])
                .arg("--input")
                .arg(&input)
                .arg("--output")
                .arg(&output)
                .args(["--job-name", "seg-cli"])
                .env("REKO_ACCESS_KEY_ID", ACCESS_KEY_ID)
                .env("REKO_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
                .output()
                .expect("running reko batch")
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&cli.stdout);
    assert!(cli.status.success(), "reko batch: {stdout}\n{}", String::from_utf8_lossy(&cli.stderr));
    assert!(stdout.contains("Created batch segment job seg-cli"), "{stdout}");
    let lines = read_out(&io.join("cli-out").join("items.json.out"));
    let y = users(&lines[0].1);
    assert!(y.len() == 3 && y.iter().all(|u| u.starts_with('b')), "{y:?}");

    // ---- List ------------------------------------------------------------------------------------
    let listed = ok(c.list_batch_segment_jobs().solution_version_arn(&attribute).send().await, "ListBatchSegmentJobs");
    let names: BTreeSet<&str> = listed.batch_segment_jobs().iter().filter_map(|j| j.job_name()).collect();
    assert_eq!(names, BTreeSet::from(["seg-attributes", "seg-too-many"]));
    let failed = listed.batch_segment_jobs().iter().find(|j| j.job_name() == Some("seg-too-many")).unwrap();
    assert_eq!(failed.status(), Some("CREATE FAILED"));
    assert!(failed.failure_reason().is_some());
    let all = ok(c.list_batch_segment_jobs().send().await, "ListBatchSegmentJobs");
    assert_eq!(all.batch_segment_jobs().len(), 5);
    let missing = c.describe_batch_segment_job().batch_segment_job_arn(arn("batch-segment-job", "nope")).send().await;
    expect_code(missing, "ResourceNotFoundException", "DescribeBatchSegmentJob(nope)");
}
