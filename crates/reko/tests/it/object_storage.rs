//! `s3://` data locations against a real S3-compatible server on loopback (moto's server,
//! installed by `.ci/run`): an import job from a prefix of objects, a batch inference job from
//! and to S3, and the error paths (missing object, missing bucket, access denied); roles
//! (`[[s3_roles]]`) selected by `roleArn`: their credentials used, their prefixes enforced, and
//! only the roles a scoped key is granted.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::moto::{dechunk, http, start_moto};
use crate::common::*;

/// An `s3://` location as the object-storage client takes it.
fn s3_location(location: &str) -> reko_api::S3Location {
    reko_api::S3Location::parse_exact("location", location).expect("an s3:// location")
}

const BUCKET: &str = "reko-test";
/// The standard AWS variables a server reaching moto is started with (moto takes any key). Given
/// to the server alone: the suites share one test process, whose environment stays as it is.
const SERVER_AWS_ENV: [(&str, &str); 3] =
    [("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"), ("AWS_REGION", "us-east-1")];

/// The server's own credentials ([`SERVER_AWS_ENV`]), for reading objects back as it does.
fn server_credentials() -> Option<reko_service::object_storage::S3Credentials> {
    Some(reko_service::object_storage::S3Credentials { access_key_id: "test".into(), secret_access_key: "test".into() })
}

/// [`SERVER_AWS_ENV`] with `REKO_S3_ENDPOINT` set to `endpoint`.
fn server_env(endpoint: &str) -> Vec<(&str, &str)> {
    let mut env = vec![("REKO_S3_ENDPOINT", endpoint)];
    env.extend(SERVER_AWS_ENV);
    env
}
const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;

fn s3(path: &str) -> aws_sdk_personalize::types::S3DataConfig {
    aws_sdk_personalize::types::S3DataConfig::builder().path(path).build().unwrap()
}

fn s3_kms(path: &str, kms_key: &str) -> aws_sdk_personalize::types::S3DataConfig {
    aws_sdk_personalize::types::S3DataConfig::builder().path(path).kms_key_arn(kms_key).build().unwrap()
}

/// A CreateBatchInferenceJob request, 5 items per line, from `input` to `output`.
fn batch_job(
    c: &aws_sdk_personalize::Client,
    name: &str,
    sv: &str,
    input: aws_sdk_personalize::types::S3DataConfig,
    output: aws_sdk_personalize::types::S3DataConfig,
) -> aws_sdk_personalize::operation::create_batch_inference_job::builders::CreateBatchInferenceJobFluentBuilder {
    c.create_batch_inference_job()
        .job_name(name)
        .solution_version_arn(sv)
        .num_results(5)
        .job_input(aws_sdk_personalize::types::BatchInferenceJobInput::builder().s3_data_source(input).build())
        .job_output(aws_sdk_personalize::types::BatchInferenceJobOutput::builder().s3_data_destination(output).build())
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/PersonalizeRole"))
}

/// The response head of a SigV4-signed HEAD of an S3 object on moto (credentials test/test),
/// header names lower-cased.
fn signed_head(addr: &str, path: &str) -> String {
    let signer =
        Signer { service: "s3", content_sha256_header: true, ..Signer::personalize(("test", "test"), "us-east-1") };
    let signed = signer.headers("HEAD", addr, path, &[], b"").unwrap();
    let mut s = TcpStream::connect(addr).unwrap();
    let mut head = format!("HEAD {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in signed.iter().filter(|(n, _)| n != "host") {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.lines()
        .map(|l| match l.split_once(':') {
            Some((n, v)) => format!("{}:{v}\n", n.to_ascii_lowercase()),
            None => format!("{l}\n"),
        })
        .collect()
}

/// A KMS key created in moto's KMS (unsigned JSON call); returns its ARN.
fn moto_kms_key(addr: &str) -> String {
    let body = b"{}";
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: TrentService.CreateKey\r\n\
         Content-Type: application/x-amz-json-1.1\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=test/20261130/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out);
    let (_, json) = text.split_once("\r\n\r\n").expect("response");
    let json = if text.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        String::from_utf8(dechunk(json.as_bytes())).unwrap()
    } else {
        json.to_string()
    };
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("CreateKey answer {json:?}: {e}"));
    v["KeyMetadata"]["Arn"].as_str().expect("KeyMetadata.Arn").to_string()
}

async fn wait_batch(c: &aws_sdk_personalize::Client, arn: &str) -> (String, Option<String>) {
    let start = Instant::now();
    loop {
        let j = ok(c.describe_batch_inference_job().batch_inference_job_arn(arn).send().await, "Describe");
        let j = j.batch_inference_job().unwrap();
        let status = j.status().unwrap().to_string();
        if !is_transient(&status) {
            return (status, j.failure_reason().map(str::to_string));
        }
        assert!(start.elapsed() < WAIT, "batch job stuck in {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_import_and_batch_inference() {
    let moto = start_moto(None);
    assert_eq!(http(&moto.addr, "PUT", &format!("/{BUCKET}"), b"").0, 200, "create bucket");
    // Interactions in two objects under a prefix (a folder, as Personalize takes it).
    let mut parts = [String::from("USER_ID,ITEM_ID,TIMESTAMP\n"), String::from("USER_ID,ITEM_ID,TIMESTAMP\n")];
    for u in 0..60 {
        for k in 0..20 {
            let item = (u * 3 + k * 7) % 90;
            parts[u % 2].push_str(&format!("u{u},i{item},{}\n", 1_700_000_000 + u * 100 + k));
        }
    }
    for (n, p) in parts.iter().enumerate() {
        let (status, _) = http(&moto.addr, "PUT", &format!("/{BUCKET}/data/interactions/part-{n}.csv"), p.as_bytes());
        assert_eq!(status, 200);
    }
    let users: String = (0..40).map(|u| format!("{{\"userId\":\"u{u}\"}}\n")).collect::<String>() + "not json\n";
    assert_eq!(http(&moto.addr, "PUT", &format!("/{BUCKET}/batch/in/users.json"), users.as_bytes()).0, 200);

    // The server reads s3:// through the configured endpoint with the standard AWS variables.
    let moto_url = format!("http://{}", moto.addr);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with_env(&dir.path().join("data"), &[], &server_env(&moto_url));
    let c = &server.control;

    let dsg = create_dataset_group(c, "s3-group").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(c, "s3-interactions", SCHEMA).await;
    let ds = create_dataset(c, &dsg, "s3-group", "s3-interactions", "Interactions", &schema).await;

    // Error paths: a missing object, a missing bucket.
    let missing = import(c, "s3-missing", &ds, &format!("s3://{BUCKET}/data/nothing-here.csv"), None).await;
    let (status, reason) = wait_settled(c, &Res::ImportJob(missing), WAIT).await;
    assert_eq!(status, "CREATE FAILED");
    let reason = reason.unwrap_or_default();
    assert!(reason.contains("does not exist") && reason.contains("nothing-here.csv"), "{reason}");
    let no_bucket = import(c, "s3-no-bucket", &ds, "s3://no-such-bucket-reko/x.csv", None).await;
    let (status, reason) = wait_settled(c, &Res::ImportJob(no_bucket), WAIT).await;
    assert_eq!(status, "CREATE FAILED");
    assert!(reason.unwrap_or_default().contains("no-such-bucket-reko"), "the reason names the location");

    // A prefix imports every object under it.
    let job = import(c, "s3-import", &ds, &format!("s3://{BUCKET}/data/interactions/"), None).await;
    let (status, reason) = wait_settled(c, &Res::ImportJob(job), WAIT).await;
    assert_eq!(status, "ACTIVE", "{reason:?}");

    let sol = ok(
        c.create_solution().name("s3-pop").dataset_group_arn(&dsg).recipe_arn(POPULARITY_RECIPE).send().await,
        "CreateSolution",
    )
    .solution_arn()
    .unwrap()
    .to_string();
    wait_active(c, &Res::Solution(sol.clone())).await;
    let sv = ok(c.create_solution_version().solution_arn(&sol).send().await, "CreateSolutionVersion")
        .solution_version_arn()
        .unwrap()
        .to_string();
    wait_active(c, &Res::SolutionVersion(sv.clone())).await;

    // Batch inference from S3 to S3.
    let job = ok(
        batch_job(
            c,
            "s3-batch",
            &sv,
            s3(&format!("s3://{BUCKET}/batch/in/")),
            s3(&format!("s3://{BUCKET}/batch/out/")),
        )
        .send()
        .await,
        "CreateBatchInferenceJob",
    )
    .batch_inference_job_arn()
    .unwrap()
    .to_string();
    let (status, reason) = wait_batch(c, &job).await;
    assert_eq!(status, "ACTIVE", "{reason:?}");
    // Objects the server wrote are private: read them back signed, as the server does.
    let storage = reko_service::object_storage::ObjectStorageConfig {
        endpoint: Some(format!("http://{}", moto.addr)),
        credentials: server_credentials(),
    };
    let target = dir.path().join("fetched");
    let fetched = tokio::task::spawn_blocking(move || {
        storage.download(&s3_location(&format!("s3://{BUCKET}/batch/out/")), &target)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(fetched.len(), 1, "{fetched:?}");
    assert!(fetched[0].to_string_lossy().ends_with("users.json.out"), "named after the input file: {fetched:?}");
    let body = std::fs::read(&fetched[0]).unwrap();
    let text = String::from_utf8(body).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 41);
    for l in &lines[..40] {
        assert!(l["error"].is_null(), "{l}");
        assert_eq!(l["output"]["recommendedItems"].as_array().unwrap().len(), 5, "{l}");
    }
    assert_eq!(lines[40]["input"], "not json");
    assert!(lines[40]["error"].as_str().unwrap().starts_with("Invalid JSON"), "{}", lines[40]);

    // kmsKeyArn on the output: the store encrypts the objects with that KMS key (SSE-KMS), as a
    // signed HEAD shows (the plain output above has no such header); the content reads back.
    let kms_key = moto_kms_key(&moto.addr);
    let sealed = ok(
        batch_job(
            c,
            "s3-batch-kms",
            &sv,
            s3(&format!("s3://{BUCKET}/batch/in/")),
            s3_kms(&format!("s3://{BUCKET}/batch/kms/"), &kms_key),
        )
        .send()
        .await,
        "CreateBatchInferenceJob(kmsKeyArn)",
    )
    .batch_inference_job_arn()
    .unwrap()
    .to_string();
    let (status, reason) = wait_batch(c, &sealed).await;
    assert_eq!(status, "ACTIVE", "{reason:?}");
    let plain_head = signed_head(&moto.addr, &format!("/{BUCKET}/batch/out/users.json.out"));
    assert!(plain_head.starts_with("HTTP/1.1 200") && !plain_head.contains("aws:kms"), "{plain_head}");
    let kms_head = signed_head(&moto.addr, &format!("/{BUCKET}/batch/kms/users.json.out"));
    assert!(kms_head.contains("x-amz-server-side-encryption: aws:kms"), "SSE-KMS applied: {kms_head}");
    assert!(kms_head.contains(&kms_key), "with the job's key: {kms_head}");
    let storage = reko_service::object_storage::ObjectStorageConfig {
        endpoint: Some(format!("http://{}", moto.addr)),
        credentials: server_credentials(),
    };
    let target = dir.path().join("fetched-kms");
    let fetched = tokio::task::spawn_blocking(move || {
        storage.download(&s3_location(&format!("s3://{BUCKET}/batch/kms/")), &target)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(std::fs::read_to_string(&fetched[0]).unwrap().lines().count(), 41);
    // A KMS key on a local location is refused.
    let local = batch_job(
        c,
        "local-kms",
        &sv,
        s3(&format!("s3://{BUCKET}/batch/in/")),
        s3_kms(&format!("file://{}/kms-out/", dir.path().display()), &kms_key),
    )
    .send()
    .await;
    let m = expect_code(local, "InvalidInputException", "kmsKeyArn on a local output");
    assert!(m.contains("s3://"), "{m}");

    // Dataset export: BULK records to S3 (header + every imported row), PUT records (none yet)
    // to a local folder, http(s) refused.
    let export = |name: &str, mode: &str, path: String| {
        c.create_dataset_export_job()
            .job_name(name)
            .dataset_arn(&ds)
            .ingestion_mode(aws_sdk_personalize::types::IngestionMode::from(mode))
            .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/PersonalizeRole"))
            .job_output(
                aws_sdk_personalize::types::DatasetExportJobOutput::builder().s3_data_destination(s3(&path)).build(),
            )
            .send()
    };
    let wait_export = |arn: String| async move {
        let start = Instant::now();
        loop {
            let j = ok(c.describe_dataset_export_job().dataset_export_job_arn(&arn).send().await, "Describe");
            let j = j.dataset_export_job().unwrap();
            let status = j.status().unwrap().to_string();
            if !is_transient(&status) {
                return (status, j.failure_reason().map(str::to_string));
            }
            assert!(start.elapsed() < WAIT, "export stuck in {status}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let bulk = ok(export("s3-export", "BULK", format!("s3://{BUCKET}/export/")).await, "CreateDatasetExportJob");
    let (status, reason) = wait_export(bulk.dataset_export_job_arn().unwrap().to_string()).await;
    assert_eq!(status, "ACTIVE", "{reason:?}");
    let storage = reko_service::object_storage::ObjectStorageConfig {
        endpoint: Some(format!("http://{}", moto.addr)),
        credentials: server_credentials(),
    };
    let target = dir.path().join("exported");
    let files =
        tokio::task::spawn_blocking(move || storage.download(&s3_location(&format!("s3://{BUCKET}/export/")), &target))
            .await
            .unwrap()
            .unwrap();
    let csv = std::fs::read_to_string(&files[0]).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("USER_ID,ITEM_ID,TIMESTAMP"));
    assert_eq!(lines.count(), 1200, "every imported row once");
    let local = dir.path().join("export-put");
    let put = ok(export("local-export", "PUT", format!("file://{}/", local.display())).await, "CreateDatasetExportJob");
    let (status, reason) = wait_export(put.dataset_export_job_arn().unwrap().to_string()).await;
    assert_eq!(status, "ACTIVE", "{reason:?}");
    let csv = std::fs::read_to_string(local.join("local-export.csv")).unwrap();
    assert_eq!(csv.lines().collect::<Vec<_>>(), ["USER_ID,ITEM_ID,TIMESTAMP"], "no records were put");
    let listed = ok(c.list_dataset_export_jobs().dataset_arn(&ds).send().await, "ListDatasetExportJobs");
    assert_eq!(listed.dataset_export_jobs().len(), 2);
    expect_code(export("http-export", "ALL", "https://b/x/".into()).await, "InvalidInputException", "https export");

    // A missing input object fails the job with the location in the reason.
    let failed = ok(
        batch_job(
            c,
            "s3-batch-missing",
            &sv,
            s3(&format!("s3://{BUCKET}/batch/none.json")),
            s3(&format!("s3://{BUCKET}/batch/out2/")),
        )
        .send()
        .await,
        "CreateBatchInferenceJob",
    )
    .batch_inference_job_arn()
    .unwrap()
    .to_string();
    let (status, reason) = wait_batch(c, &failed).await;
    assert_eq!(status, "CREATE FAILED");
    let reason = reason.unwrap_or_default();
    assert!(reason.contains("s3://reko-test/batch/none.json") && reason.contains("does not exist"), "{reason}");
    drop(server);

    // No access: a store that refuses the server's credentials (403) fails the job with the
    // location and the denial in the reason.
    let guarded = start_moto(Some(2));
    assert_eq!(http(&guarded.addr, "PUT", "/guarded", b"").0, 200, "create bucket");
    assert_eq!(http(&guarded.addr, "PUT", "/guarded/i.csv", parts[0].as_bytes()).0, 200, "put object");
    let guarded_url = format!("http://{}", guarded.addr);
    let dir2 = tempfile::tempdir().unwrap();
    let server = Server::start_with_env(&dir2.path().join("data"), &[], &server_env(&guarded_url));
    let c = &server.control;
    let dsg = create_dataset_group(c, "s3-denied").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(c, "s3-denied-interactions", SCHEMA).await;
    let ds = create_dataset(c, &dsg, "s3-denied", "s3-denied-interactions", "Interactions", &schema).await;
    let denied = import(c, "s3-denied", &ds, "s3://guarded/i.csv", None).await;
    let (status, reason) = wait_settled(c, &Res::ImportJob(denied), WAIT).await;
    assert_eq!(status, "CREATE FAILED");
    let reason = reason.unwrap_or_default();
    assert!(reason.contains("s3://guarded/i.csv") && reason.contains("denied"), "{reason}");
}

/// One IAM query call on moto (unsigned; moto routes it by the credential scope); the XML answer.
fn moto_iam(addr: &str, params: &[(&str, &str)]) -> String {
    let encode = |v: &str| -> String {
        v.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let body: String = params
        .iter()
        .chain(&[("Version", "2010-05-08")])
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=test/20261130/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    assert!(text.starts_with("HTTP/1.1 200"), "IAM {params:?}: {text}");
    text
}

/// The text of the first `<tag>` element of an XML answer.
fn xml_value(xml: &str, tag: &str) -> String {
    let start = xml.find(&format!("<{tag}>")).unwrap_or_else(|| panic!("<{tag}> in {xml}")) + tag.len() + 2;
    xml[start..start + xml[start..].find('<').unwrap()].to_string()
}

/// Roles for `s3://` locations against a store that checks credentials: moto with its IAM
/// enforced (after the setup), knowing one user, tenant A's, whose key is role A's credentials;
/// the server's own credentials (`test`) are unknown to it.
///
/// * a job naming role A reads and writes with role A's credentials (import, batch inference,
///   export all succeed, and the outputs are readable with role A's key only), where the same
///   import with the server's credentials (a root key naming an unconfigured role) is denied;
/// * a key scoped to tenant A may name role A only: role B (configured, not granted), an
///   unconfigured role, and a location outside role A's prefixes are refused at CreateX with
///   AccessDeniedException naming the field and the value;
/// * a root key may name any configured role, within its prefixes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_roles_bring_their_own_credentials_and_prefixes() {
    const ROLE_A: &str = "arn:aws:iam::123456789012:role/TenantA";
    const ROLE_B: &str = "arn:aws:iam::123456789012:role/TenantB";
    const UNCONFIGURED: &str = "arn:aws:iam::123456789012:role/PersonalizeRole";
    let moto = start_moto(None);
    for path in ["/tenant-a-bucket", "/shared"] {
        assert_eq!(http(&moto.addr, "PUT", path, b"").0, 200, "create bucket {path}");
    }
    let mut csv = String::from("USER_ID,ITEM_ID,TIMESTAMP\n");
    for u in 0..40 {
        for k in 0..30 {
            csv.push_str(&format!("u{u},i{},{}\n", (u * 3 + k * 7) % 60, 1_700_000_000 + u * 100 + k));
        }
    }
    assert_eq!(http(&moto.addr, "PUT", "/tenant-a-bucket/in/interactions.csv", csv.as_bytes()).0, 200);
    assert_eq!(http(&moto.addr, "PUT", "/shared/tenant-b/interactions.csv", csv.as_bytes()).0, 200);
    let users: String = (0..10).map(|u| format!("{{\"userId\":\"u{u}\"}}\n")).collect();
    assert_eq!(http(&moto.addr, "PUT", "/tenant-a-bucket/batch/in/users.json", users.as_bytes()).0, 200);
    // Tenant A's IAM user, allowed S3; its access key is what role A is configured with.
    moto_iam(&moto.addr, &[("Action", "CreateUser"), ("UserName", "tenant-a")]);
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    moto_iam(
        &moto.addr,
        &[("Action", "PutUserPolicy"), ("UserName", "tenant-a"), ("PolicyName", "s3"), ("PolicyDocument", policy)],
    );
    let key = moto_iam(&moto.addr, &[("Action", "CreateAccessKey"), ("UserName", "tenant-a")]);
    let (role_id, role_secret) = (xml_value(&key, "AccessKeyId"), xml_value(&key, "SecretAccessKey"));
    // From now on moto checks every request's credentials.
    let mut s = TcpStream::connect(&moto.addr).unwrap();
    write!(
        s,
        "POST /moto-api/reset-auth HTTP/1.1\r\nHost: {}\r\nContent-Length: 1\r\nConnection: close\r\n\r\n0",
        moto.addr
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let endpoint = format!("http://{}", moto.addr);
    let as_server = reko_service::object_storage::ObjectStorageConfig {
        endpoint: Some(endpoint.clone()),
        credentials: server_credentials(),
    };
    let role_a = reko_service::S3Role {
        arn: ROLE_A.into(),
        access_key_id: role_id.clone(),
        secret_access_key: role_secret.clone(),
        endpoint: Some(endpoint.clone()),
        allowed: vec!["s3://tenant-a-bucket/".into()],
    };
    let as_role_a = as_server.as_role(&role_a);

    // The server's own credentials (the standard variables, SERVER_AWS_ENV) are unknown to moto now.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("reko.toml");
    std::fs::write(
        &config,
        format!(
            "[[s3_roles]]\narn = \"{ROLE_A}\"\naccess_key_id = \"{role_id}\"\nsecret_access_key = \"{role_secret}\"\n\
             endpoint = \"{endpoint}\"\nallowed = [\"s3://tenant-a-bucket/\"]\n\n\
             [[s3_roles]]\narn = \"{ROLE_B}\"\naccess_key_id = \"{role_id}\"\nsecret_access_key = \"{role_secret}\"\n\
             allowed = [\"s3://shared/tenant-b/\"]\n\n\
             [[access_keys]]\naccess_key_id = \"AKIDTENANTA\"\nsecret_access_key = \"tenant-a-secret-0001\"\n\
             dataset_groups = [\"{}\"]\ns3_roles = [\"{ROLE_A}\"]\n",
            arn("dataset-group", "tenant-a")
        ),
    )
    .unwrap();
    let server = Server::start_with_env(
        &dir.path().join("data"),
        &["--config", config.to_str().unwrap(), "--s3-endpoint", &endpoint],
        &SERVER_AWS_ENV,
    );
    let root = &server.control;
    let tenant = {
        use aws_sdk_personalize::config::{BehaviorVersion, Credentials, Region};
        aws_sdk_personalize::Client::from_conf(
            aws_sdk_personalize::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new(REGION))
                .endpoint_url(&server.url)
                .credentials_provider(Credentials::new("AKIDTENANTA", "tenant-a-secret-0001", None, None, "test"))
                .http_client(aws_smithy_http_client::Builder::new().build_http())
                .retry_config(aws_sdk_personalize::config::retry::RetryConfig::disabled())
                .build(),
        )
    };
    let dsg = create_dataset_group(root, "tenant-a").await;
    wait_active(root, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(root, "roles-interactions", SCHEMA).await;
    let ds = create_dataset(root, &dsg, "tenant-a", "roles-interactions", "Interactions", &schema).await;
    let import_as = |c: &aws_sdk_personalize::Client, name: &str, location: &str, role: &str| {
        c.create_dataset_import_job()
            .job_name(name)
            .dataset_arn(&ds)
            .data_source(aws_sdk_personalize::types::DataSource::builder().data_location(location).build())
            .role_arn(role)
            .send()
    };

    // (Objects, not prefixes: moto's own signature check refuses correctly signed listings, whose
    // query string it canonicalises differently, with SignatureDoesNotMatch.)
    // The server's own credentials are refused by the store: a root key naming a role no
    // [[s3_roles]] table declares uses them (as before roles), and its import is denied.
    let job =
        ok(import_as(root, "as-server", "s3://tenant-a-bucket/in/interactions.csv", UNCONFIGURED).await, "Create");
    let (status, reason) =
        wait_settled(root, &Res::ImportJob(job.dataset_import_job_arn().unwrap().into()), WAIT).await;
    assert_eq!(status, "CREATE FAILED");
    let reason = reason.unwrap_or_default();
    assert!(reason.contains("denied") && reason.contains("403"), "refused by the store: {reason}");
    // Role A's credentials are accepted: the tenant's import naming role A works.
    let job = ok(
        import_as(&tenant, "as-role-a", "s3://tenant-a-bucket/in/interactions.csv", ROLE_A).await,
        "CreateDatasetImportJob",
    );
    let (status, reason) =
        wait_settled(root, &Res::ImportJob(job.dataset_import_job_arn().unwrap().into()), WAIT).await;
    assert_eq!(status, "ACTIVE", "{reason:?}");

    // Refused at creation for the tenant: a role not granted to its key (though configured), a
    // role not configured, a location outside role A's prefixes.
    for (role, location, field, value) in [
        (ROLE_B, "s3://shared/tenant-b/interactions.csv", "roleArn", ROLE_B),
        (UNCONFIGURED, "s3://tenant-a-bucket/in/", "roleArn", UNCONFIGURED),
        (
            ROLE_A,
            "s3://shared/tenant-b/interactions.csv",
            "dataSource.dataLocation",
            "s3://shared/tenant-b/interactions.csv",
        ),
        (ROLE_A, "s3://tenant-a-bucket-b/x.csv", "dataSource.dataLocation", "s3://tenant-a-bucket-b/x.csv"),
    ] {
        let m = expect_code(import_as(&tenant, "refused", location, role).await, "AccessDeniedException", location);
        assert!(m.contains(field) && m.contains(value), "{role} {location}: {m}");
    }
    // A root key may name role B, within role B's prefixes only.
    let m = expect_code(
        import_as(root, "root-b", "s3://tenant-a-bucket/in/", ROLE_B).await,
        "AccessDeniedException",
        "root key, role B outside its prefixes",
    );
    assert!(m.contains("s3://tenant-a-bucket/in/") && m.contains(ROLE_B), "{m}");
    let job = ok(
        import_as(root, "root-b", "s3://shared/tenant-b/interactions.csv", ROLE_B).await,
        "CreateDatasetImportJob(role B)",
    );
    let (status, reason) =
        wait_settled(root, &Res::ImportJob(job.dataset_import_job_arn().unwrap().into()), WAIT).await;
    assert_eq!(status, "ACTIVE", "role B's credentials (at the server's endpoint): {reason:?}");

    // Batch inference and export from and to S3 as role A: written with role A's credentials.
    let sol = create_solution(&tenant, &dsg, "roles-pop", "aws-popularity-count").await;
    let sv = train(&tenant, &sol).await;
    let batch = |name: &str, output: &str| {
        batch_job(&tenant, name, &sv, s3("s3://tenant-a-bucket/batch/in/users.json"), s3(output))
            .role_arn(ROLE_A)
            .send()
    };
    let m = expect_code(batch("to-b", "s3://shared/tenant-b/out/").await, "AccessDeniedException", "output outside");
    assert!(m.contains("jobOutput.s3DataDestination.path") && m.contains("s3://shared/tenant-b/out/"), "{m}");
    let job = ok(batch("as-role-a", "s3://tenant-a-bucket/batch/out/").await, "CreateBatchInferenceJob");
    let (status, reason) = wait_batch(root, job.batch_inference_job_arn().unwrap()).await;
    assert_eq!(status, "ACTIVE", "{reason:?}");
    let export = ok(
        tenant
            .create_dataset_export_job()
            .job_name("as-role-a")
            .dataset_arn(&ds)
            .ingestion_mode(aws_sdk_personalize::types::IngestionMode::Bulk)
            .role_arn(ROLE_A)
            .job_output(
                aws_sdk_personalize::types::DatasetExportJobOutput::builder()
                    .s3_data_destination(s3("s3://tenant-a-bucket/export/"))
                    .build(),
            )
            .send()
            .await,
        "CreateDatasetExportJob",
    );
    let export_arn = export.dataset_export_job_arn().unwrap().to_string();
    wait_export_active(root, &export_arn).await;
    // The outputs read back with role A's key; the server's own is refused.
    let fetch = |storage: reko_service::object_storage::ObjectStorageConfig, location: &'static str, to: &str| {
        let target = dir.path().join(to);
        tokio::task::spawn_blocking(move || storage.download(&s3_location(location), &target))
    };
    let out = fetch(as_role_a.clone(), "s3://tenant-a-bucket/batch/out/users.json.out", "out").await.unwrap().unwrap();
    assert_eq!(std::fs::read_to_string(&out[0]).unwrap().lines().count(), 10);
    let exported = fetch(as_role_a, "s3://tenant-a-bucket/export/as-role-a.csv", "export").await.unwrap().unwrap();
    // The header and the 1,200 rows (role B's FULL import replaced role A's with the same rows).
    assert_eq!(std::fs::read_to_string(&exported[0]).unwrap().lines().count(), 1 + 1200);
    let denied = fetch(as_server, "s3://tenant-a-bucket/batch/out/users.json.out", "denied")
        .await
        .unwrap()
        .unwrap_err()
        .to_string();
    assert!(denied.contains("denied"), "{denied}");
}
