//! The public samples suite: AWS's own Amazon Personalize sample notebooks
//! (aws-samples/amazon-personalize-samples), extracted into `samples/*.py` and run unchanged except
//! for their marked offline adaptations, through boto3 against a real `reko serve`, with moto's S3
//! server standing in for S3. See samples/README.md.
//!
//! Needs MovieLens 100K in the folder `REKO_ML100K_DIR` names (skipped without it: it is never committed)
//! and python3 with boto3, pandas, numpy and moto (`.ci/run` installs them).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::moto::{http, start_moto, Moto};
use crate::common::{ml100k_dir, Server, ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY};

/// The bucket the getting-started notebooks' CloudFormation stack would have made.
const BUCKET: &str = "personalize-samples-bucket";
/// The server signs its S3 requests with the standard AWS variables (moto takes any key); they
/// are the server's alone, the suites share one test process.
const SERVER_AWS_ENV: [(&str, &str); 3] =
    [("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"), ("AWS_REGION", REGION)];
/// The role ARN the notebooks pass to import jobs (no IAM here: Reko only records it).
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/PersonalizeSamplesRole";
/// The most one script may take (each takes seconds; the notebooks' own loops would wait hours).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(300);

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples")
}

/// `None` (after printing why) when the suite cannot run here for a reason that is not a failure:
/// MovieLens 100K is missing. A python3 without the modules the notebooks import is a failure.
fn ml100k(case: &str) -> Option<PathBuf> {
    let dir = ml100k_dir(case)?;
    let check = Command::new("python3").args(["-c", "import pandas, numpy, boto3, moto.server"]).output();
    match check {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "{case}: python3 lacks a module the samples need (pandas, numpy, boto3, moto); .ci/run installs \
             them (section \"== test services\"):\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!("{case}: cannot run python3 ({e}); .ci/run installs pandas, numpy, boto3 and moto for it"),
    }
    Some(std::fs::canonicalize(dir).unwrap())
}

/// The customer key the best-practices notebook encrypts its dataset group with: declared in the server's
/// `[[kms_keys]]` (docs/security.md) instead of made with AWS KMS (samples/README.md); its key id is the one
/// AWS's KMS documentation uses in its examples.
const KMS_KEY_ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// moto (with the notebooks' bucket) and a `reko serve` that reads `s3://` through it.
struct Env {
    _tmp: tempfile::TempDir,
    work: PathBuf,
    store: PathBuf,
    ml100k: PathBuf,
    moto: Moto,
    server: Server,
    /// The server's extra arguments (`--s3-endpoint URL`, then `--config FILE` with a key), for a restart.
    args: Vec<String>,
    /// The `[[kms_keys]]` ARN the server was started with, if any (`REKO_KMS_KEY_ARN`).
    kms_key_arn: Option<&'static str>,
}

fn setup(ml100k: PathBuf) -> Env {
    setup_with(ml100k, false)
}

/// [`setup`]; with `kms_key`, the server's configuration declares [`KMS_KEY_ARN`] with random material
/// (written beside the data directory) and the scripts get its ARN in `REKO_KMS_KEY_ARN`.
fn setup_with(ml100k: PathBuf, kms_key: bool) -> Env {
    let moto = start_moto(None);
    assert_eq!(http(&moto.addr, "PUT", &format!("/{BUCKET}"), b"").0, 200, "create bucket");
    let tmp = tempfile::tempdir().unwrap();
    let mut args = vec!["--s3-endpoint".to_string(), format!("http://{}", moto.addr)];
    if kms_key {
        let material = tmp.path().join("customer.key");
        let bytes: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
        std::fs::write(&material, bytes).unwrap();
        let config = tmp.path().join("reko.toml");
        let toml = format!("[[kms_keys]]\narn = \"{KMS_KEY_ARN}\"\nmaterial = \"file:{}\"\n", material.display());
        std::fs::write(&config, toml).unwrap();
        args.extend(["--config".to_string(), config.display().to_string()]);
    }
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start_with_env(&tmp.path().join("data"), &arg_refs, &SERVER_AWS_ENV);
    // The notebooks write their CSV files into the current directory.
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let kms_key_arn = kms_key.then_some(KMS_KEY_ARN);
    Env { store: tmp.path().join("store.json"), work, ml100k, moto, server, args, kms_key_arn, _tmp: tmp }
}

/// Runs `samples/<case>.py` with the environment its `REKO-ADAPTED` lines read; panics with its
/// output unless it exits 0.
fn run_case(env: &Env, case: &str) {
    let script = samples_dir().join(format!("{case}.py"));
    let (out_path, err_path) = (env.work.join(format!("{case}.stdout")), env.work.join(format!("{case}.stderr")));
    let start = Instant::now();
    let mut command = Command::new("python3");
    if let Some(arn) = env.kms_key_arn {
        command.env("REKO_KMS_KEY_ARN", arn);
    }
    let mut child = command
        .arg("-u")
        .arg(&script)
        .current_dir(&env.work)
        .env("REKO_ENDPOINT", &env.server.url)
        .env("REKO_REGION", REGION)
        .env("REKO_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("REKO_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env("REKO_S3_ENDPOINT", format!("http://{}", env.moto.addr))
        .env("REKO_BUCKET", BUCKET)
        .env("REKO_ROLE_ARN", ROLE_ARN)
        .env("REKO_ML100K_DIR", &env.ml100k)
        .env("REKO_STORE", &env.store)
        // boto3's own clients (S3 on moto) take these; nothing reaches AWS.
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", REGION)
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("run python3");
    // The notebooks' status loops wait up to 3 hours; a stuck resource fails the test instead.
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > SCRIPT_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let outcome = match status {
        Some(status) => status.to_string(),
        None => format!("killed: still running after {SCRIPT_TIMEOUT:?}"),
    };
    assert!(
        status.is_some_and(|s| s.success()),
        "samples/{case}.py failed ({outcome}) after {:.1?}\n---- stdout ----\n{stdout}\n---- stderr ----\n{stderr}",
        start.elapsed()
    );
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("REKO-CHECK") && last.ends_with("OK"),
        "samples/{case}.py ended without its checks: {last:?}"
    );
    println!("samples/{case}.py passed in {:.1?}", start.elapsed());
}

/// getting_started/notebooks 1 (build a campaign with aws-user-personalization), 2 (an event tracker, a
/// click, the recommendations that follow it) then 99 (clean-up: deletes what 1 and 2 made) on the same
/// server, sharing their variables through `%store` (REKO_STORE).
#[test]
fn getting_started_notebooks() {
    let Some(ml100k) = ml100k("getting_started_notebooks") else { return };
    let env = setup(ml100k);
    run_case(&env, "getting_started_1");
    run_case(&env, "getting_started_2");
    run_case(&env, "getting_started_cleanup");
}

/// getting_started/notebooks/3 (best practices: a dataset group encrypted with a customer key and a role,
/// aws-user-personalization standing in for the legacy aws-hrnn) on a server whose `[[kms_keys]]` declare the
/// key. Then what only the key's holder can do, seen from outside: restarted without the key, the server
/// refuses the group's campaign with `AccessDeniedException` naming the key; restarted with it, it serves again.
#[test]
fn getting_started_best_practices_notebook() {
    let Some(ml100k) = ml100k("getting_started_best_practices_notebook") else { return };
    let mut env = setup_with(ml100k, true);
    run_case(&env, "getting_started_3");

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let campaigns = rt.block_on(env.server.control.list_campaigns().send()).expect("ListCampaigns");
    let [campaign] = campaigns.campaigns() else { panic!("one campaign expected: {campaigns:?}") };
    let campaign = campaign.campaign_arn().unwrap().to_string();
    let recommend = |server: &Server| {
        rt.block_on(server.runtime.get_recommendations().campaign_arn(&campaign).user_id("1").send())
            .map(|o| o.item_list().len())
            .map_err(|e| {
                use aws_sdk_personalizeruntime::error::ProvideErrorMetadata;
                format!("{}: {}", e.code().unwrap_or("?"), e.message().unwrap_or(""))
            })
    };
    let data_dir = env.server.data_dir.clone();
    env.server.stop();
    // The first two arguments are `--s3-endpoint URL`; the rest is `--config FILE`, left out.
    env.server = Server::start_with_env(&data_dir, &[env.args[0].as_str(), env.args[1].as_str()], &SERVER_AWS_ENV);
    let refused = recommend(&env.server).expect_err("served without the customer key");
    assert!(refused.starts_with("AccessDeniedException") && refused.contains(KMS_KEY_ARN), "{refused}");
    env.server.stop();
    let args: Vec<&str> = env.args.iter().map(String::as_str).collect();
    env.server = Server::start_with_env(&data_dir, &args, &SERVER_AWS_ENV);
    assert_eq!(recommend(&env.server), Ok(25), "served again with the key");
}

/// next_steps/core_use_cases/related_items/personalize_sims_example.ipynb (aws-sims, with HPO).
#[test]
fn related_items_sims_notebook() {
    let Some(ml100k) = ml100k("related_items_sims_notebook") else { return };
    let env = setup(ml100k);
    run_case(&env, "related_items_sims");
}

/// next_steps/core_use_cases/personalized_ranking/personalize_ranking_example.ipynb
/// (aws-personalized-ranking; MovieLens 100K written in the layout of the Last.fm files it reads).
#[test]
fn personalized_ranking_notebook() {
    let Some(ml100k) = ml100k("personalized_ranking_notebook") else { return };
    let env = setup(ml100k);
    run_case(&env, "personalized_ranking");
}

/// next_steps/workshops/POC_in_a_box/completed 01 (interactions with event types) .. 05 (campaigns,
/// genre / decade / watched filters, real-time events, reranking, batch inference) and 06 (clean-up)
/// on one server, sharing their variables through `%store` (REKO_STORE). MovieLens 100K is written in
/// the layout of ml-latest-small, which the workshop downloads.
#[test]
fn poc_in_a_box_notebooks() {
    let Some(ml100k) = ml100k("poc_in_a_box_notebooks") else { return };
    let env = setup(ml100k);
    for case in [
        "poc_in_a_box_01",
        "poc_in_a_box_02",
        "poc_in_a_box_03",
        "poc_in_a_box_04",
        "poc_in_a_box_05",
        "poc_in_a_box_06",
    ] {
        run_case(&env, case);
    }
}

/// next_steps/core_use_cases/user_personalization/user-personalization-with-exploration.ipynb
/// (aws-user-personalization with impressions, item exploration, trainingMode UPDATE, update_campaign,
/// clean-up; MovieLens 100K written in the layout of the sample files it downloads).
#[test]
fn user_personalization_exploration_notebook() {
    let Some(ml100k) = ml100k("user_personalization_exploration_notebook") else { return };
    let env = setup(ml100k);
    run_case(&env, "user_personalization_exploration");
}

/// next_steps/core_use_cases/batch_recommendations/user_personalization_batch_recommendations_example.ipynb
/// (aws-user-personalization, then CreateBatchInferenceJob reading its JSON-lines input from moto's S3 and
/// writing `<input>.out` back there; MovieLens 100K written in the layout of the Last.fm files it reads).
#[test]
fn batch_recommendations_notebook() {
    let Some(ml100k) = ml100k("batch_recommendations_notebook") else { return };
    let env = setup(ml100k);
    run_case(&env, "batch_recommendations");
}

/// `next_steps/core_use_cases/user_segmentation/user_segmentation_example.ipynb`
/// (aws-item-affinity and aws-item-attribute-affinity, three CreateBatchSegmentJobs reading JSON lines from moto's
/// S3; MovieLens 100K written in the layout of the Amazon grocery reviews it reads).
#[test]
fn user_segmentation_notebook() {
    let Some(ml100k) = ml100k("user_segmentation_notebook") else { return };
    let env = setup(ml100k);
    run_case(&env, "user_segmentation");
}

/// `next_steps/core_use_cases/trending_now/trending_now_example.ipynb` (aws-trending-now with a 30-minute
/// `trend_discovery_frequency`, 2,500 PutEvents for 10 items, clean-up; MovieLens 100K written in the layout of
/// ml-latest-small, which it downloads). Personalize's automatic Trending-Now update is stood in for by a FULL
/// retraining and UpdateCampaign (samples/README.md).
#[test]
fn trending_now_notebook() {
    let Some(ml100k) = ml100k("trending_now_notebook") else { return };
    let env = setup(ml100k);
    run_case(&env, "trending_now");
}

/// `next_steps/core_use_cases/related_items/personalize_aws_similar_items_example.ipynb` (aws-sims and
/// aws-similar-items on interactions with EVENT_VALUE and items with a textual DESCRIPTION; MovieLens 100K written
/// in the layout of the Amazon Prime Pantry reviews and metadata it reads).
#[test]
fn related_items_similar_items_notebook() {
    let Some(ml100k) = ml100k("related_items_similar_items_notebook") else { return };
    let env = setup(ml100k);
    run_case(&env, "related_items_similar_items");
}

/// `next_steps/core_use_cases/user_personalization/user-personalization-with-contextual-recommendations.ipynb`
/// (aws-user-personalization with HPO, a categorical CABIN_TYPE interactions column used as `context`, a Users
/// dataset, PutEvents with `properties`; MovieLens 100K written in the layout of the Skytrax airline reviews).
#[test]
fn user_personalization_contextual_notebook() {
    let Some(ml100k) = ml100k("user_personalization_contextual_notebook") else { return };
    let env = setup(ml100k);
    run_case(&env, "user_personalization_contextual");
}

/// `next_steps/core_use_cases/updating_datasets/update-datasets-user-personalization-example.ipynb` (an ECOMMERCE
/// domain dataset group with Users, Items and Interactions datasets, half the items held back, aws-user-personalization,
/// batch inference before and after FULL re-imports with the held-back items renamed, and after a FULL retraining;
/// MovieLens 100K written in the layout of the Retail Demo Store files it downloads).
#[test]
fn updating_datasets_notebook() {
    let Some(ml100k) = ml100k("updating_datasets_notebook") else { return };
    let env = setup(ml100k);
    run_case(&env, "updating_datasets");
}

/// `next_steps/core_use_cases/objective_optimization/objective-optimization.ipynb` (MovieLens 100K with a made-up
/// ROYALTY column, three aws-user-personalization solutions with `optimizationObjective` OFF, LOW and HIGH, their
/// metrics, a campaign each, and the royalties of their lists).
#[test]
fn objective_optimization_notebook() {
    let Some(ml100k) = ml100k("objective_optimization_notebook") else { return };
    let env = setup(ml100k);
    run_case(&env, "objective_optimization");
}

/// `next_steps/core_use_cases/metadata/item-text-unstructured-metadata.ipynb` (two dataset groups, one with an Items
/// schema holding a `"textual": true` DESCRIPTION, aws-user-personalization trained in each, their metrics
/// compared; MovieLens 100K written in the layout of the Amazon Prime Pantry reviews and metadata it reads, a film's
/// title, genres and release date as its description).
#[test]
fn item_text_metadata_notebook() {
    let Some(ml100k) = ml100k("item_text_metadata_notebook") else { return };
    let env = setup(ml100k);
    run_case(&env, "item_text_metadata");
}

/// `next_steps/core_use_cases/updating_datasets/update-item-dataset-schema-example.ipynb` (an ECOMMERCE domain
/// dataset group whose Items dataset is imported with three columns, aws-item-attribute-affinity and a batch segment
/// job, then UpdateDataset to a schema adding four nullable columns, a FULL import of the items with them, a new
/// solution, its batch segment job and both versions' metrics; MovieLens 100K written in the layout of the Retail
/// Demo Store files it downloads).
#[test]
fn update_item_dataset_schema_notebook() {
    let Some(ml100k) = ml100k("update_item_dataset_schema_notebook") else { return };
    let env = setup(ml100k);
    run_case(&env, "update_item_dataset_schema");
}
