//! Batch inference jobs through the wire: the official AWS SDK for Rust drives
//! CreateBatchInferenceJob / DescribeBatchInferenceJob / ListBatchInferenceJobs against a real
//! `reko serve` (docs/compatibility.md, "Batch inference"), and the test reads the JSON Lines the
//! jobs write.
//!
//! The checks are exact: with `explorationWeight` 0 on both sides, a job's lines must hold the
//! very items and scores GetRecommendations / GetPersonalizedRanking return for the same
//! solution version (exploration draws afresh for every request, so weight 0 keeps the comparison
//! exact), and a filtered line must be the first `numResults` items of the
//! unfiltered ranking that pass the filter.
//!
//! The data is synthetic and tiny (the staging of `filters.rs`): 40 items with a categorical
//! GENRE (`x`, `y`, `z`, `w` in turn), 50 users with 21 interactions each.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::*;
use aws_sdk_personalize::operation::create_batch_inference_job::builders::CreateBatchInferenceJobFluentBuilder;
use aws_sdk_personalize::types::{
    BatchInferenceJob, BatchInferenceJobConfig, BatchInferenceJobInput, BatchInferenceJobMode, BatchInferenceJobOutput,
    BatchInferenceJobSummary, CampaignConfig, S3DataConfig, Tag, TrainingMode,
};
use serde_json::{json, Value};

const INTERACTIONS_SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const ITEMS_SCHEMA: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":"string","categorical":true},{"name":"CREATION_TIMESTAMP","type":"long"}],"version":"1.0"}"#;

const N_ITEMS: usize = 40;
const N_USERS: usize = 50;
/// Interactions per user (50 × 21 = 1050, above the training minimum of 1000).
const HISTORY: usize = 21;
const BASE_TS: i64 = 1_700_000_000;
const OLD_TS: i64 = 1_600_000_000;
/// More than the catalogue: the whole ranking.
const ALL: i32 = 100;
const ROLE: &str = "arn:aws:iam::123456789012:role/PersonalizeRole";

fn item(i: usize) -> String {
    format!("i{i:02}")
}

fn user(u: usize) -> String {
    format!("u{u:02}")
}

fn genre_of(item_id: &str) -> &'static str {
    let i: usize = item_id[1..].parse().unwrap();
    ["x", "y", "z", "w"][i % 4]
}

/// Writes the interactions and items CSVs; returns their paths.
fn write_data(dir: &Path) -> [PathBuf; 2] {
    use std::fmt::Write as _;
    std::fs::create_dir_all(dir).unwrap();
    let mut interactions = String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
    let mut n = 0i64;
    for j in 0..HISTORY {
        for u in 0..N_USERS {
            let it = item((u * 5 + j * 3) % N_ITEMS);
            let event_type = if j % 7 == 0 { "purchase" } else { "click" };
            writeln!(interactions, "{},{it},{event_type},{}", user(u), BASE_TS + n * 60).unwrap();
            n += 1;
        }
    }
    let mut items = String::from("ITEM_ID,GENRE,CREATION_TIMESTAMP\n");
    for i in 0..N_ITEMS {
        writeln!(items, "{},{},{OLD_TS}", item(i), genre_of(&item(i))).unwrap();
    }
    let paths = [dir.join("interactions.csv"), dir.join("items.csv")];
    std::fs::write(&paths[0], interactions).unwrap();
    std::fs::write(&paths[1], items).unwrap();
    paths
}

// ---- control-plane helpers ----------------------------------------------------------------------

/// CreateSolutionVersion without waiting.
async fn start_training(c: &aws_sdk_personalize::Client, sol: &str) -> String {
    ok(
        c.create_solution_version().solution_arn(sol).training_mode(TrainingMode::Full).send().await,
        "CreateSolutionVersion",
    )
    .solution_version_arn()
    .expect("solutionVersionArn")
    .to_string()
}

// ---- batch inference helpers --------------------------------------------------------------------

fn data_config(path: &str) -> S3DataConfig {
    S3DataConfig::builder().path(path).build().unwrap()
}

/// A CreateBatchInferenceJob request with the required members.
fn job(
    c: &aws_sdk_personalize::Client,
    name: &str,
    sv: &str,
    input: &str,
    output: &str,
) -> CreateBatchInferenceJobFluentBuilder {
    c.create_batch_inference_job()
        .job_name(name)
        .solution_version_arn(sv)
        .job_input(BatchInferenceJobInput::builder().s3_data_source(data_config(input)).build())
        .job_output(BatchInferenceJobOutput::builder().s3_data_destination(data_config(output)).build())
        .role_arn(ROLE)
}

fn exploration(weight: &str) -> BatchInferenceJobConfig {
    BatchInferenceJobConfig::builder().item_exploration_config("explorationWeight", weight).build()
}

/// Sends a CreateBatchInferenceJob that must succeed; returns the job ARN (checked).
async fn start_job(request: CreateBatchInferenceJobFluentBuilder) -> String {
    let name = request.get_job_name().clone().unwrap_or_default();
    let a = ok(request.send().await, &format!("CreateBatchInferenceJob({name})"))
        .batch_inference_job_arn()
        .expect("batchInferenceJobArn")
        .to_string();
    assert_eq!(a, arn("batch-inference-job", &name));
    a
}

async fn describe_job(c: &aws_sdk_personalize::Client, job_arn: &str) -> BatchInferenceJob {
    ok(c.describe_batch_inference_job().batch_inference_job_arn(job_arn).send().await, "DescribeBatchInferenceJob")
        .batch_inference_job()
        .expect("batchInferenceJob")
        .clone()
}

/// Polls DescribeBatchInferenceJob until the job leaves CREATE PENDING / CREATE IN_PROGRESS.
async fn wait_job(c: &aws_sdk_personalize::Client, job_arn: &str) -> BatchInferenceJob {
    let start = Instant::now();
    let mut seen = Vec::<String>::new();
    loop {
        let j = describe_job(c, job_arn).await;
        let status = j.status().unwrap_or("<none>").to_string();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if !is_transient(&status) {
            assert!(matches!(status.as_str(), "ACTIVE" | "CREATE FAILED"), "{job_arn}: statuses {seen:?}");
            return j;
        }
        assert!(start.elapsed() < WAIT, "{job_arn} still {status} after {WAIT:?} (statuses {seen:?})");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[track_caller]
fn assert_active(j: &BatchInferenceJob) {
    assert_eq!(j.status(), Some("ACTIVE"), "{:?} failed: {:?}", j.job_name(), j.failure_reason());
    assert_eq!(j.failure_reason(), None);
}

/// The lines of an output file, parsed.
#[track_caller]
fn read_out(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    assert!(text.ends_with('\n'), "{} ends with a newline", path.display());
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("output line {l:?}: {e}"))).collect()
}

/// What an output line must echo as `input`: the parsed line, or its text when it is not JSON.
fn echoed(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|_| Value::String(line.to_string()))
}

/// A successful output line: its items (checked distinct) and scores (`None` when absent).
#[track_caller]
fn success(line: &Value, what: &str) -> (Vec<String>, Option<Vec<f64>>) {
    assert_eq!(line.get("error"), Some(&Value::Null), "{what}: error is null in {line}");
    let output = line["output"].as_object().unwrap_or_else(|| panic!("{what}: output object in {line}"));
    let items: Vec<String> = output["recommendedItems"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: recommendedItems in {line}"))
        .iter()
        .map(|v| v.as_str().expect("item ids are strings").to_string())
        .collect();
    assert_eq!(items.iter().collect::<BTreeSet<_>>().len(), items.len(), "{what}: duplicate items in {line}");
    let scores = output.get("scores").map(|s| {
        let s: Vec<f64> = s.as_array().unwrap().iter().map(|v| v.as_f64().expect("scores are numbers")).collect();
        assert_eq!(s.len(), items.len(), "{what}: one score per item in {line}");
        assert!(s.windows(2).all(|w| w[0] >= w[1]), "{what}: scores descend in {line}");
        assert!(s.iter().all(|x| *x > 0.0 && *x <= 1.0), "{what}: scores in (0, 1] in {line}");
        s
    });
    (items, scores)
}

/// A failed output line: `output` null and an error mentioning `needle`.
#[track_caller]
fn failure(line: &Value, needle: &str, what: &str) {
    assert_eq!(line.get("output"), Some(&Value::Null), "{what}: output is null in {line}");
    let error = line["error"].as_str().unwrap_or_else(|| panic!("{what}: error message in {line}"));
    assert!(error.contains(needle), "{what}: error {error:?} mentions {needle:?}");
}

#[track_caller]
fn assert_scores_eq(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= 1e-9 * w.abs().max(1e-12), "{what}: score {g} vs {w} ({got:?} vs {want:?})");
    }
}

fn predicted(items: &[aws_sdk_personalizeruntime::types::PredictedItem]) -> (Vec<String>, Vec<f64>) {
    (ids(items), items.iter().map(|i| i.score().expect("score")).collect())
}

/// The files of an output folder (names), checking that no partial output is left.
fn out_files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("output folder {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

async fn list_jobs(c: &aws_sdk_personalize::Client, sv: Option<&str>) -> Vec<BatchInferenceJobSummary> {
    let (all, _) = collect_pages(2, |token| {
        let req = c
            .list_batch_inference_jobs()
            .max_results(2)
            .set_next_token(token)
            .set_solution_version_arn(sv.map(str::to_string));
        async move {
            let out = ok(req.send().await, "ListBatchInferenceJobs");
            (out.batch_inference_jobs().to_vec(), out.next_token().map(str::to_string))
        }
    })
    .await;
    all
}

fn job_arns(jobs: &[BatchInferenceJobSummary]) -> BTreeSet<String> {
    jobs.iter().map(|j| j.batch_inference_job_arn().expect("batchInferenceJobArn").to_string()).collect()
}

// ---- the test -----------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_inference_jobs_score_json_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    let io = tmp.path().join("batch");
    let mut server = Server::start(&data_dir);
    let (c, rt) = (&server.control.clone(), &server.runtime.clone());

    // ---- Staging ------------------------------------------------------------------------------
    let dsg = create_dataset_group(c, "bij").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let s_int = create_schema(c, "bij-int", INTERACTIONS_SCHEMA).await;
    let s_items = create_schema(c, "bij-items", ITEMS_SCHEMA).await;
    let ds_int = create_dataset(c, &dsg, "bij", "bij-int", "Interactions", &s_int).await;
    let ds_items = create_dataset(c, &dsg, "bij", "bij-items", "Items", &s_items).await;
    let files = write_data(&tmp.path().join("csv"));
    let imports = [
        import(c, "bij-int", &ds_int, &file_url(&files[0]), None).await,
        import(c, "bij-items", &ds_items, &file_url(&files[1]), None).await,
    ];
    for j in imports {
        wait_active(c, &Res::ImportJob(j)).await;
    }
    let up_sol = create_solution(c, &dsg, "bij-up", "aws-user-personalization").await;
    let pop_sol = create_solution(c, &dsg, "bij-pop", "aws-popularity-count").await;
    let pr_sol = create_solution(c, &dsg, "bij-pr", "aws-personalized-ranking").await;
    let sims_sol = create_solution(c, &dsg, "bij-sims", "aws-sims").await;
    let trend_sol = create_solution(c, &dsg, "bij-trend", "aws-trending-now").await;
    let mut versions = Vec::new();
    for sol in [&up_sol, &pop_sol, &pr_sol, &sims_sol, &trend_sol] {
        versions.push(start_training(c, sol).await);
    }
    for sv in &versions {
        wait_active(c, &Res::SolutionVersion(sv.clone())).await;
    }
    let [up_v, pop_v, pr_v, sims_v, trend_v] = <[String; 5]>::try_from(versions).unwrap();
    let exploit = CampaignConfig::builder().item_exploration_config("explorationWeight", "0").build();
    let up = create_campaign(c, "bij-up", &up_v, exploit).await;
    let pr = create_campaign(c, "bij-pr", &pr_v, CampaignConfig::builder().build()).await;
    let f_genre = create_filter(c, &dsg, "bij-genre", r#"INCLUDE ItemID WHERE Items.GENRE IN ($G)"#).await;
    // A filter of another dataset group.
    let other = create_dataset_group(c, "bij-other").await;
    wait_active(c, &Res::DatasetGroup(other.clone())).await;
    create_dataset(c, &other, "bij-other", "bij-other-int", "Interactions", &s_int).await;
    let f_other =
        create_filter(c, &other, "bij-other-f", r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")"#)
            .await;

    // ---- Input files ----------------------------------------------------------------------------
    // User-Personalization over a folder of two files (and a hidden file, which is not input).
    let up_in = io.join("up-in");
    let a_lines = [
        r#"{"userId":"u00"}"#,
        r#"{"userId":"u01"}"#,
        r#"{"userId":"u02"}"#,
        "",
        "not json",
        r#"{"userId":"u03"}"#,
        r#"{"itemId":"i01"}"#,
        r#"{"userId":7}"#,
        r#"{"userId":"stranger"}"#,
        r#"{"userId":"u04","context":{"DEVICE":"mobile"}}"#,
        r#"{"userId":"u05","context":{"bad key":"x"}}"#,
        r#"{"userId":"u06","context":"mobile"}"#,
    ];
    // b.jsonl is long enough to be scored in several chunks and parts: order must be kept.
    let mut b_lines: Vec<String> =
        [r#"{"userId":"u10"}"#, r#"{"userId":""}"#, r#"{"userId":"u11"}"#, "[1,2]", r#"{"userId":"u12"}"#]
            .map(String::from)
            .to_vec();
    for k in 0..700 {
        b_lines.push(match k % 97 {
            13 => json!({ "userId": null, "seq": k }).to_string(),
            _ => json!({ "userId": user(k % N_USERS), "seq": k }).to_string(),
        });
    }
    let b_lines: Vec<&str> = b_lines.iter().map(String::as_str).collect();
    write_input(&up_in.join("a.jsonl"), &a_lines);
    write_input(&up_in.join("b.jsonl"), &b_lines);
    write_input(&up_in.join(".hidden.jsonl"), &[r#"{"userId":"u05"}"#]);
    // Filtered by genre, a value per line.
    let flt_in = io.join("flt-in.jsonl");
    let flt_lines = [
        r#"{"userId":"u01","filterValues":{"G":"\"x\""}}"#,
        r#"{"userId":"u02","filterValues":{"G":"\"z\",\"w\""}}"#,
        r#"{"userId":"u03"}"#,
        r#"{"userId":"u04","filterValues":"x"}"#,
        r#"{"userId":"u05","filterValues":{"G":"\"y\""}}"#,
    ];
    write_input(&flt_in, &flt_lines);
    let pop_in = io.join("pop-in.jsonl");
    // A valid line over the 256 KiB line limit: an error line of its own, the job goes on.
    let long_line = format!(r#"{{"userId":"u03","note":"{}"}}"#, "x".repeat(300_000));
    write_input(&pop_in, &[r#"{"userId":"u01"}"#, r#"{"userId":"u02"}"#, &long_line, "{}"]);
    let pr_in = io.join("pr-in.jsonl");
    let pr_list: Vec<String> = [1, 5, 9, 13, 17, 22, 30].iter().map(|&i| item(i)).collect();
    let pr_lines = [
        json!({"userId": "u01", "itemList": pr_list}).to_string(),
        json!({"userId": "u02", "itemList": pr_list[..4]}).to_string(),
        json!({"itemList": pr_list}).to_string(),
        json!({"userId": "u03"}).to_string(),
        json!({"userId": "u04", "itemList": [1, 2]}).to_string(),
    ];
    write_input(&pr_in, &pr_lines.iter().map(String::as_str).collect::<Vec<_>>());
    let sims_in = io.join("sims-in.jsonl");
    write_input(&sims_in, &[r#"{"itemId":"i01"}"#, r#"{"userId":"u01"}"#]);

    // ---- Five jobs at once (the most allowed pending) ---------------------------------------------
    let up_out = io.join("out/up/nested");
    let j_up = start_job(
        job(
            c,
            "bij-up",
            &up_v,
            &file_url(&up_in),
            &format!("file://{}/out/up/nested/", std::fs::canonicalize(&io).unwrap().display()),
        )
        .num_results(10)
        .batch_inference_job_config(exploration("0"))
        .tags(Tag::builder().tag_key("team").tag_value("recs").build().unwrap()),
    )
    .await;
    let flt_out = io.join("out/flt");
    let j_flt = start_job(
        job(c, "bij-flt", &up_v, flt_in.to_str().unwrap(), flt_out.to_str().unwrap())
            .num_results(5)
            .filter_arn(&f_genre)
            .batch_inference_job_config(exploration("0")),
    )
    .await;
    let pop_out = io.join("out/pop");
    let j_pop = start_job(job(c, "bij-pop", &pop_v, &file_url(&pop_in), pop_out.to_str().unwrap())).await;
    let pr_out = io.join("out/pr");
    let j_pr = start_job(job(c, "bij-pr", &pr_v, &file_url(&pr_in), pr_out.to_str().unwrap())).await;
    let sims_out = io.join("out/sims");
    let j_sims =
        start_job(job(c, "bij-sims", &sims_v, &file_url(&sims_in), sims_out.to_str().unwrap()).num_results(5)).await;

    // ---- Request errors (checked while the jobs run) -----------------------------------------------
    let (good_in, scratch) = (file_url(&pop_in), io.join("out/never").to_str().unwrap().to_string());
    let bad = |name: &str, sv: &str| job(c, name, sv, &good_in, &scratch);
    for n in [0, 501] {
        let msg =
            expect_http(bad("bij-bad", &pop_v).num_results(n).send().await, "InvalidInputException", 400, "numResults");
        assert!(msg.contains("numResults"), "{msg}");
    }
    let msg = expect_http(
        job(c, "bij-bad", &pop_v, &good_in, &good_in).send().await,
        "InvalidInputException",
        400,
        "output = input",
    );
    assert!(msg.contains("must differ"), "{msg}");
    let msg = expect_http(
        bad("bij-bad", &pop_v).batch_inference_job_mode(BatchInferenceJobMode::from("SOMETIMES")).send().await,
        "InvalidInputException",
        400,
        "unknown mode",
    );
    assert!(msg.contains("batchInferenceJobMode"), "{msg}");
    // s3:// works (crates/reko/tests/it/object_storage.rs); http(s):// locations are refused.
    for (input, output) in [("https://bucket/in.json", scratch.as_str()), (good_in.as_str(), "https://bucket/out/")] {
        let msg = expect_http(
            job(c, "bij-bad", &pop_v, input, output).send().await,
            "InvalidInputException",
            400,
            "object storage",
        );
        assert!(msg.contains("https://bucket") && msg.contains("not supported"), "{msg}");
    }
    expect_http(bad("bij-bad", &pop_v).role_arn("not-a-role").send().await, "InvalidInputException", 400, "roleArn");
    for (key, value) in
        [("explorationWeight", "2"), ("explorationWeight", "lots"), ("explorationItemAgeCutOff", "0"), ("bogus", "1")]
    {
        let config = BatchInferenceJobConfig::builder().item_exploration_config(key, value).build();
        let msg = expect_http(
            bad("bij-bad", &up_v).batch_inference_job_config(config).send().await,
            "InvalidInputException",
            400,
            "itemExplorationConfig",
        );
        assert!(msg.contains("batchInferenceJobConfig.itemExplorationConfig"), "{key}={value}: {msg}");
    }
    let kms = "arn:aws:kms:us-east-1:123456789012:key/1234abcd";
    let with_kms = job(c, "bij-bad", &pop_v, &good_in, &scratch).job_input(
        BatchInferenceJobInput::builder()
            .s3_data_source(S3DataConfig::builder().path(&good_in).kms_key_arn(kms).build().unwrap())
            .build(),
    );
    // kmsKeyArn is server-side encryption by an object store: refused on a local location.
    let msg = expect_http(with_kms.send().await, "InvalidInputException", 400, "kmsKeyArn on a local input");
    assert!(msg.contains("kmsKeyArn") && msg.contains("s3://"), "{msg}");
    let msg = expect_http(
        bad("bij-bad", &sims_v).batch_inference_job_mode(BatchInferenceJobMode::ThemeGeneration).send().await,
        "NotImplementedException",
        501,
        "THEME_GENERATION",
    );
    assert!(msg.contains("THEME_GENERATION"), "{msg}");
    let msg = expect_http(bad("bij-bad", &trend_v).send().await, "InvalidInputException", 400, "Trending-Now");
    assert!(msg.contains("trending-now"), "{msg}");
    let unknown_sv = arn("solution", "bij-up/0123abcd");
    let msg = expect_http(bad("bij-bad", &unknown_sv).send().await, "ResourceNotFoundException", 400, "unknown SV");
    assert!(msg.contains(&unknown_sv), "{msg}");
    let unknown_filter = arn("filter", "bij-nope");
    let msg = expect_http(
        bad("bij-bad", &up_v).filter_arn(&unknown_filter).send().await,
        "ResourceNotFoundException",
        400,
        "unknown filter",
    );
    assert!(msg.contains(&unknown_filter), "{msg}");
    let msg = expect_http(
        bad("bij-bad", &up_v).filter_arn(&f_other).send().await,
        "InvalidInputException",
        400,
        "filter of another dataset group",
    );
    assert!(msg.contains(&f_other) && msg.contains(&other), "{msg}");
    let unknown_job = arn("batch-inference-job", "bij-nope");
    let msg = expect_http(
        c.describe_batch_inference_job().batch_inference_job_arn(&unknown_job).send().await,
        "ResourceNotFoundException",
        400,
        "unknown job",
    );
    assert!(msg.contains(&unknown_job), "{msg}");
    assert!(!io.join("out/never").exists(), "refused requests write nothing");

    // ---- User-Personalization over a folder ------------------------------------------------------
    let d = wait_job(c, &j_up).await;
    assert_active(&d);
    assert_eq!(d.job_name(), Some("bij-up"));
    assert_eq!(d.batch_inference_job_arn(), Some(j_up.as_str()));
    assert_eq!(d.solution_version_arn(), Some(up_v.as_str()));
    assert_eq!(d.num_results(), Some(10));
    assert_eq!(d.job_input().and_then(|i| i.s3_data_source()).map(|s| s.path()), Some(file_url(&up_in).as_str()));
    let out_path = d.job_output().and_then(|o| o.s3_data_destination()).map(|s| s.path().to_string()).unwrap();
    assert!(out_path.starts_with("file:///") && out_path.ends_with("/out/up/nested/"), "{out_path}");
    assert_eq!(d.role_arn(), Some(ROLE));
    assert_eq!(d.batch_inference_job_mode(), Some(&BatchInferenceJobMode::BatchInference));
    assert_eq!(d.filter_arn(), None);
    assert_eq!(
        d.batch_inference_job_config()
            .and_then(|c| c.item_exploration_config())
            .and_then(|m| m.get("explorationWeight")),
        Some(&"0".to_string())
    );
    let (created, updated) =
        (d.creation_date_time().expect("creationDateTime"), d.last_updated_date_time().expect("lastUpdatedDateTime"));
    assert!(created.secs() > 1_600_000_000 && updated >= created, "{created:?} {updated:?}");
    let tags = ok(c.list_tags_for_resource().resource_arn(&j_up).send().await, "ListTagsForResource");
    let tags: Vec<_> = tags.tags().iter().map(|t| (t.tag_key(), t.tag_value())).collect();
    assert_eq!(tags, [("team", "recs")], "the job's tags");
    // One .out per input file, none for the hidden file, nothing partial left.
    assert_eq!(out_files(&up_out), BTreeSet::from(["a.jsonl.out".to_string(), "b.jsonl.out".to_string()]));
    // The real-time answers, by user.
    let mut realtime: HashMap<String, (Vec<String>, Vec<f64>)> = HashMap::new();
    for (file, lines) in [("a.jsonl.out", &a_lines[..]), ("b.jsonl.out", &b_lines[..])] {
        let out = read_out(&up_out.join(file));
        let inputs: Vec<&str> = lines.iter().copied().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(out.len(), inputs.len(), "{file}: a line per non-empty input line");
        for (line, input) in out.iter().zip(&inputs) {
            assert_eq!(line["input"], echoed(input), "{file}: the input is echoed, in order");
            let what = format!("{file} {input}");
            match *input {
                "not json" => failure(line, "Invalid JSON", &what),
                "[1,2]" => failure(line, "JSON object", &what),
                r#"{"itemId":"i01"}"# | r#"{"userId":7}"# | r#"{"userId":""}"# => failure(line, "userId", &what),
                // A line's context is checked as GetRecommendations checks it.
                r#"{"userId":"u05","context":{"bad key":"x"}}"# => failure(line, "context", &what),
                r#"{"userId":"u06","context":"mobile"}"# => failure(line, "context", &what),
                _ if line["input"]["userId"].is_null() => failure(line, "userId", &what),
                _ => {
                    let user_id = line["input"]["userId"].as_str().unwrap();
                    let (items, scores) = success(line, &what);
                    assert_eq!(items.len(), 10, "{what}: numResults items");
                    let scores = scores.expect("User-Personalization lines have scores");
                    // The same answer as the real-time API on the same solution version, with the
                    // line's context.
                    let context: HashMap<String, String> =
                        serde_json::from_value(line["input"]["context"].clone()).unwrap_or_default();
                    let key = format!("{user_id} {context:?}");
                    if !realtime.contains_key(&key) {
                        let request = rt.get_recommendations().campaign_arn(&up).user_id(user_id).num_results(10);
                        let rec = ok(request.set_context(Some(context)).send().await, "GetRecommendations");
                        realtime.insert(key.clone(), predicted(rec.item_list()));
                    }
                    let (want, want_scores) = &realtime[&key];
                    assert_eq!(&items, want, "{what}: batch vs GetRecommendations");
                    assert_scores_eq(&scores, want_scores, &what);
                }
            }
        }
    }

    // ---- A filter with per-line values -------------------------------------------------------------
    let d = wait_job(c, &j_flt).await;
    assert_active(&d);
    assert_eq!(d.filter_arn(), Some(f_genre.as_str()));
    assert_eq!(d.num_results(), Some(5));
    assert_eq!(d.job_input().and_then(|i| i.s3_data_source()).map(|s| s.path()), flt_in.to_str());
    assert_eq!(d.job_output().and_then(|o| o.s3_data_destination()).map(|s| s.path()), flt_out.to_str());
    assert_eq!(out_files(&flt_out), BTreeSet::from(["flt-in.jsonl.out".to_string()]));
    let out = read_out(&flt_out.join("flt-in.jsonl.out"));
    assert_eq!(out.len(), flt_lines.len());
    for (line, input) in out.iter().zip(flt_lines) {
        assert_eq!(line["input"], echoed(input));
        let user_id = line["input"]["userId"].as_str().unwrap();
        let genres: Vec<&str> = match user_id {
            "u01" => vec!["x"],
            "u02" => vec!["z", "w"],
            "u05" => vec!["y"],
            "u03" => {
                failure(line, "parameter G", "no filterValues for an INCLUDE parameter");
                continue;
            }
            _ => {
                failure(line, "filterValues", "filterValues not an object");
                continue;
            }
        };
        let (items, scores) = success(line, input);
        assert!(scores.is_some());
        let ranking = ok(
            rt.get_recommendations().campaign_arn(&up).user_id(user_id).num_results(ALL).send().await,
            "GetRecommendations",
        );
        let ranking = ids(ranking.item_list());
        assert_eq!(ranking.len(), N_ITEMS);
        let want: Vec<String> = ranking.iter().filter(|i| genres.contains(&genre_of(i))).take(5).cloned().collect();
        assert_eq!(items, want, "{input}: the first 5 of the ranking in genres {genres:?}");
        // The same as the real-time API with the same filter and values.
        let values = line["input"]["filterValues"]["G"].as_str().unwrap();
        let rec = ok(
            rt.get_recommendations()
                .campaign_arn(&up)
                .user_id(user_id)
                .num_results(5)
                .filter_arn(&f_genre)
                .filter_values("G", values)
                .send()
                .await,
            "GetRecommendations with a filter",
        );
        assert_eq!(items, ids(rec.item_list()), "{input}");
    }

    // ---- Popularity-Count: no scores, default numResults ---------------------------------------------
    let d = wait_job(c, &j_pop).await;
    assert_active(&d);
    // A job on a version a campaign serves shares the campaign's loaded model; one on a version no
    // campaign serves loads its own (model loads are counted in /metrics by serving name).
    let (_, metrics) = crate::metrics::scrape(&server.url, None);
    let loads = |name: &str| {
        metrics.lines().any(|l| l.starts_with(&format!("reko_model_load_seconds_count{{campaign=\"{name}\"}}")))
    };
    assert!(loads("bij-up") && loads("bij-pop"), "the campaign and the job without one load their models");
    assert!(!loads("bij-flt"), "the job on bij-up's version shares its model");
    assert_eq!(d.num_results(), Some(25), "default numResults");
    let mut out = read_out(&pop_out.join("pop-in.jsonl.out"));
    assert_eq!(out.len(), 4);
    let too_long = out.remove(2);
    failure(&too_long, "Line 3 of pop-in.jsonl is longer than 262144 bytes", "a line over the limit");
    let echo = too_long["input"].as_str().expect("the start of the line, as a string");
    assert!(echo.starts_with(r#"{"userId":"u03","note":"xxx"#) && echo.len() < 300, "{echo}");
    let mut lists = Vec::new();
    for line in &out {
        let (items, scores) = success(line, "popularity");
        assert_eq!(scores, None, "Popularity-Count lines have no scores: {line}");
        assert_eq!(items.len(), 25);
        lists.push(items);
    }
    assert_eq!(out[2]["input"], json!({}), "POPULAR_ITEMS needs no userId");
    assert!(lists.iter().all(|l| *l == lists[0]), "one global list: {lists:?}");

    // ---- Personalized-Ranking reranks itemList -------------------------------------------------------
    let d = wait_job(c, &j_pr).await;
    assert_active(&d);
    let out = read_out(&pr_out.join("pr-in.jsonl.out"));
    assert_eq!(out.len(), pr_lines.len());
    for (k, (line, input)) in out.iter().zip(&pr_lines).enumerate() {
        assert_eq!(line["input"], echoed(input));
        match k {
            2 => failure(line, "userId", "ranking without userId"),
            3 => failure(line, "itemList", "ranking without itemList"),
            4 => failure(line, "itemList", "itemList of numbers"),
            _ => {
                let user_id = line["input"]["userId"].as_str().unwrap();
                let list: Vec<String> = serde_json::from_value(line["input"]["itemList"].clone()).unwrap();
                let (items, scores) = success(line, input);
                let scores = scores.expect("Personalized-Ranking lines have scores");
                assert_eq!(
                    items.iter().collect::<BTreeSet<_>>(),
                    list.iter().collect::<BTreeSet<_>>(),
                    "{input}: a permutation of itemList"
                );
                let ranked = ok(
                    rt.get_personalized_ranking()
                        .campaign_arn(&pr)
                        .user_id(user_id)
                        .set_input_list(Some(list.clone()))
                        .send()
                        .await,
                    "GetPersonalizedRanking",
                );
                let (want, want_scores) = predicted(ranked.personalized_ranking());
                assert_eq!(items, want, "{input}: batch vs GetPersonalizedRanking");
                assert_scores_eq(&scores, &want_scores, input);
            }
        }
    }
    assert_ne!(success(&out[0], "pr").0, pr_list, "the ranking reorders the list");

    // ---- SIMS: RELATED_ITEMS lines, no scores ----------------------------------------------------------
    let d = wait_job(c, &j_sims).await;
    assert_active(&d);
    let out = read_out(&sims_out.join("sims-in.jsonl.out"));
    assert_eq!(out.len(), 2);
    let (items, scores) = success(&out[0], "sims");
    assert_eq!((items.len(), scores), (5, None), "{}", out[0]);
    assert!(!items.contains(&"i01".to_string()), "not the item itself: {items:?}");
    failure(&out[1], "itemId", "SIMS line without itemId");

    // ---- Jobs that fail ---------------------------------------------------------------------------------
    let missing = io.join("no-such-input.jsonl");
    let j_missing =
        start_job(job(c, "bij-missing", &pop_v, missing.to_str().unwrap(), io.join("out/missing").to_str().unwrap()))
            .await;
    let blocker = io.join("out/a-file");
    std::fs::write(&blocker, "not a folder\n").unwrap();
    let j_blocked = start_job(job(c, "bij-blocked", &pop_v, &good_in, blocker.to_str().unwrap())).await;
    let d = wait_job(c, &j_missing).await;
    assert_eq!(d.status(), Some("CREATE FAILED"));
    let reason = d.failure_reason().expect("failureReason");
    assert!(reason.contains("does not exist") && reason.contains("no-such-input.jsonl"), "{reason}");
    assert!(d.last_updated_date_time() >= d.creation_date_time());
    assert!(!io.join("out/missing").exists(), "a job that cannot read its input writes nothing");
    let d = wait_job(c, &j_blocked).await;
    assert_eq!(d.status(), Some("CREATE FAILED"));
    let reason = d.failure_reason().expect("failureReason");
    assert!(reason.contains("a-file") && reason.contains("folder"), "{reason}");

    // A taken name (checked once no job is pending, as the pending limit is checked first).
    let msg = expect_http(bad("bij-up", &pop_v).send().await, "ResourceAlreadyExistsException", 400, "duplicate name");
    assert!(msg.contains("bij-up"), "{msg}");

    // ---- ListBatchInferenceJobs ------------------------------------------------------------------------
    let all = list_jobs(c, None).await;
    let every = BTreeSet::from([&j_up, &j_flt, &j_pop, &j_pr, &j_sims, &j_missing, &j_blocked].map(String::clone));
    assert_eq!(job_arns(&all), every);
    for s in &all {
        let a = s.batch_inference_job_arn().unwrap();
        let d = describe_job(c, a).await;
        assert_eq!(s.job_name(), d.job_name());
        assert_eq!(s.status(), d.status());
        assert_eq!(s.solution_version_arn(), d.solution_version_arn());
        assert_eq!(s.failure_reason(), d.failure_reason());
        assert_eq!(s.batch_inference_job_mode(), Some(&BatchInferenceJobMode::BatchInference));
        assert_eq!(s.creation_date_time(), d.creation_date_time());
        assert_eq!(s.last_updated_date_time(), d.last_updated_date_time());
        let failed = a == j_missing || a == j_blocked;
        assert_eq!(s.status(), Some(if failed { "CREATE FAILED" } else { "ACTIVE" }), "{a}");
    }
    assert_eq!(job_arns(&list_jobs(c, Some(&up_v)).await), BTreeSet::from([j_up.clone(), j_flt.clone()]));
    assert_eq!(
        job_arns(&list_jobs(c, Some(&pop_v)).await),
        BTreeSet::from([j_pop.clone(), j_missing.clone(), j_blocked.clone()])
    );
    assert!(list_jobs(c, Some(&unknown_sv)).await.is_empty());

    // ---- Pending jobs: a server that runs no task ----------------------------------------------------
    // REKO_WORKERS=0 (read by `reko serve`'s configuration) leaves every task queued, so jobs stay
    // CREATE PENDING deterministically; set for this server alone.
    server.kill();
    server = Server::start_with_env(&data_dir, &[], &[("REKO_WORKERS", "0")]);
    let c = &server.control.clone();
    // A solution version that is not ACTIVE.
    let pending_v = start_training(c, &pop_sol).await;
    assert_eq!(describe_status(c, &Res::SolutionVersion(pending_v.clone())).await.unwrap().0, "CREATE PENDING");
    let msg = expect_http(
        job(c, "bij-early", &pending_v, &good_in, &scratch).send().await,
        "ResourceInUseException",
        400,
        "solution version not ACTIVE",
    );
    assert!(msg.contains(&pending_v) && msg.contains("CREATE PENDING"), "{msg}");
    let mut queued = Vec::new();
    for k in 0..5 {
        let out = io.join(format!("out/q{k}"));
        queued.push((start_job(job(c, &format!("bij-q{k}"), &pop_v, &good_in, out.to_str().unwrap())).await, out));
    }
    for (a, _) in &queued {
        let d = describe_job(c, a).await;
        assert_eq!(d.status(), Some("CREATE PENDING"));
        assert_eq!(d.creation_date_time(), d.last_updated_date_time());
    }
    let msg = expect_http(
        job(c, "bij-q5", &pop_v, &good_in, io.join("out/q5").to_str().unwrap()).send().await,
        "LimitExceededException",
        400,
        "a sixth pending job",
    );
    assert!(msg.contains('5'), "{msg}");
    let pending: Vec<_> =
        list_jobs(c, Some(&pop_v)).await.into_iter().filter(|s| s.status() == Some("CREATE PENDING")).collect();
    assert_eq!(job_arns(&pending), queued.iter().map(|(a, _)| a.clone()).collect());
    // A server with workers runs the queued jobs.
    server.kill();
    server = Server::start(&data_dir);
    let c = &server.control.clone();
    for (a, out) in &queued {
        assert_active(&wait_job(c, a).await);
        let lines = read_out(&out.join("pop-in.jsonl.out"));
        assert_eq!(lines.len(), 4);
        assert_eq!(success(&lines[0], a).0, lists[0], "the same list as before");
    }
    // Finished jobs no longer count: a sixth job is accepted now.
    let j6 = start_job(job(c, "bij-q5", &pop_v, &good_in, io.join("out/q5").to_str().unwrap())).await;
    assert_active(&wait_job(c, &j6).await);
    drop(server);
}
