//! Model artifacts in a shared artifact store (`--artifact-store s3://...`, moto standing in for
//! S3), as in a cluster: a server on a PostgreSQL database trains; replicas on the same database
//! with their own, empty data directories serve the campaign by fetching the model into their
//! cache; a damaged cached copy is fetched again, a damaged object is never served; deleting the
//! solution deletes the objects, and a restart prunes the cache. Skipped, saying so, when no
//! PostgreSQL answers (unless `CI` is set).

use std::path::{Path, PathBuf};

use crate::common::moto::{http, start_moto, Moto};
use crate::common::*;
use crate::events::{create_group, recs};
use reko_storage::testing::TestDatabase;

const BUCKET: &str = "reko-artifacts";

/// The objects of the bucket under `models/` (an unsigned ListObjectsV2; moto takes it).
fn objects(moto: &Moto) -> Vec<String> {
    let (status, body) = http(&moto.addr, "GET", &format!("/{BUCKET}?list-type=2&prefix=models/"), b"");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let body = String::from_utf8(body).unwrap();
    body.split("<Key>").skip(1).filter_map(|s| s.split_once("</Key>")).map(|(k, _)| k.to_string()).collect()
}

/// The object storage client of the tests, with the servers' credentials.
fn storage(moto: &Moto) -> reko_service::object_storage::ObjectStorageConfig {
    reko_service::object_storage::ObjectStorageConfig {
        endpoint: Some(format!("http://{}", moto.addr)),
        credentials: Some(reko_service::object_storage::S3Credentials {
            access_key_id: "test".into(),
            secret_access_key: "test".into(),
        }),
    }
}

fn location(key: &str) -> reko_api::S3Location {
    reko_api::S3Location::parse_exact("location", &format!("s3://{BUCKET}/{key}")).unwrap()
}

/// The content of the object `key` (off the async threads: the client blocks).
async fn read_object(moto: &Moto, key: &str, dir: &Path) -> Vec<u8> {
    let (storage, key, dir) = (storage(moto), key.to_string(), dir.to_path_buf());
    tokio::task::spawn_blocking(move || {
        let files = storage.download(&location(&key), &dir).unwrap();
        let bytes = std::fs::read(&files[0]).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        bytes
    })
    .await
    .unwrap()
}

/// Replaces the object `key` with `bytes`.
async fn overwrite_object(moto: &Moto, key: &str, bytes: &[u8], dir: &Path) {
    let (storage, dir) = (storage(moto), dir.to_path_buf());
    let (folder, name) = key.rsplit_once('/').unwrap();
    let (folder, file) = (format!("{folder}/"), dir.join(name));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(&file, bytes).unwrap();
    tokio::task::spawn_blocking(move || storage.upload(&[file], &location(&folder), None).unwrap()).await.unwrap();
}

/// Every file under `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_serve_models_from_a_shared_artifact_store_and_verify_them() {
    let Some(db) = TestDatabase::create() else { return };
    let moto = start_moto(None);
    assert_eq!(http(&moto.addr, "PUT", &format!("/{BUCKET}"), b"").0, 200, "create bucket");
    let moto_url = format!("http://{}", moto.addr);
    let env = [
        ("REKO_S3_ENDPOINT", moto_url.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
    ];
    let store = format!("s3://{BUCKET}/models");
    let trainer_args = ["--database-url", db.url(), "--artifact-store", &store];
    // Replicas only serve: no task worker.
    let replica_args = ["--database-url", db.url(), "--artifact-store", &store, "--workers", "0"];
    let tmp = tempfile::tempdir().unwrap();

    // The trainer: trains a popularity version and serves it in a campaign.
    let trainer = Server::start_with_env(&tmp.path().join("trainer"), &trainer_args, &env);
    let c = &trainer.control;
    let group = create_group(c, "shared", Some(&tmp.path().join("csv"))).await;
    let sol = create_solution(c, &group.dsg, "shared-pop", "aws-popularity-count").await;
    let sv = train(c, &sol).await;
    let campaign = deploy(c, "shared-pop", &sv).await;
    let expected = recs(&trainer.runtime, &campaign, "user-1", 10).await;
    assert_eq!(expected.len(), 10);

    // The model is one object in the bucket, named after its version and checksum; nothing of
    // it is in the trainer's models/ folder.
    let version_id = sv.rsplit('/').next().unwrap();
    let listed = objects(&moto);
    assert_eq!(listed.len(), 1, "{listed:?}");
    let object = listed[0].clone();
    assert!(
        object.starts_with(&format!("models/shared-pop/{version_id}/model-")) && object.ends_with(".rkm"),
        "{object}"
    );
    assert!(files_under(&tmp.path().join("trainer/models")).is_empty());
    // The store is never a job's data location.
    let from_models = c
        .create_dataset_import_job()
        .job_name("from-models")
        .dataset_arn(arn("dataset", "shared/INTERACTIONS"))
        .data_source(aws_sdk_personalize::types::DataSource::builder().data_location(format!("{store}/")).build())
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/PersonalizeRole"))
        .send()
        .await;
    let message = expect_code(from_models, "InvalidInputException", "an import from the artifact store");
    assert!(message.contains("artifact store"), "{message}");

    // A replica with an empty data directory of its own serves the same list, from its cache.
    let replica_dir = tmp.path().join("replica");
    let mut replica = Server::start_with_env(&replica_dir, &replica_args, &env);
    assert_eq!(recs(&replica.runtime, &campaign, "user-1", 10).await, expected);
    let cached = replica_dir.join("artifact-cache").join(object.strip_prefix("models/").unwrap());
    let stored = read_object(&moto, &object, &tmp.path().join("read")).await;
    assert_eq!(std::fs::read(&cached).unwrap(), stored, "the cached copy is the object");

    // A damaged cached copy is discarded and fetched again at the next load.
    replica.stop();
    std::fs::write(&cached, b"not a model").unwrap();
    replica = Server::start_with_env(&replica_dir, &replica_args, &env);
    assert_eq!(recs(&replica.runtime, &campaign, "user-1", 10).await, expected);
    assert_eq!(std::fs::read(&cached).unwrap(), stored);
    let log = std::fs::read_to_string(&replica.log).unwrap();
    assert!(log.contains("does not match its checksum; fetching it again"), "{log}");
    replica.stop();

    // A damaged object in the store is never served: a fresh replica's load fails, naming the
    // version, and caches nothing.
    overwrite_object(&moto, &object, b"garbage, not a model", &tmp.path().join("garbage")).await;
    let fresh_dir = tmp.path().join("fresh");
    let fresh = Server::start_with_env(&fresh_dir, &replica_args, &env);
    let failed = fresh.runtime.get_recommendations().campaign_arn(&campaign).user_id("user-1").send().await;
    let message = expect_code(failed, "InternalFailure", "GetRecommendations on a damaged model");
    assert!(message.contains(&sv) && message.contains("does not match its checksum"), "{message}");
    assert!(files_under(&fresh_dir.join("artifact-cache")).is_empty());
    drop(fresh);
    // The trainer keeps serving the model it loaded before.
    assert_eq!(recs(&trainer.runtime, &campaign, "user-1", 10).await, expected);

    // Deleting the solution deletes its objects; a replica's restart prunes its cached copy.
    ok(c.delete_campaign().campaign_arn(&campaign).send().await, "DeleteCampaign");
    wait_gone(c, &Res::Campaign(campaign.clone())).await;
    ok(c.delete_solution().solution_arn(&sol).send().await, "DeleteSolution");
    wait_gone(c, &Res::Solution(sol.clone())).await;
    assert_eq!(objects(&moto), Vec::<String>::new());
    assert!(cached.exists());
    // Pruned while the service opens, before the server listens.
    let replica = Server::start_with_env(&replica_dir, &replica_args, &env);
    assert!(!cached.exists(), "the deleted model's cached copy stayed");
    drop(replica);
}
