//! Local data locations: the allowed roots, the server's own files, tenants' own roots.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_locations_outside_the_allowed_roots_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"));
    let c = &server.control;
    let dsg = create_dataset_group(c, "roots").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(
        c,
        "roots-interactions",
        r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#,
    )
    .await;
    let ds = create_dataset(c, &dsg, "roots", "roots-interactions", "Interactions", &schema).await;
    let inside = tmp.path().join("in.csv");
    let rows: String = (0..1000).map(|r| format!("u{},i{},{r}\n", r % 50, r % 70)).collect();
    std::fs::write(&inside, format!("USER_ID,ITEM_ID,TIMESTAMP\n{rows}")).unwrap();
    let traversal = format!("{}/../../../../etc/passwd", tmp.path().display());
    for location in ["file:///etc/passwd", "/etc/passwd", "../../etc/passwd", traversal.as_str()] {
        let refused = c
            .create_dataset_import_job()
            .job_name("roots-import")
            .dataset_arn(&ds)
            .data_source(aws_sdk_personalize::types::DataSource::builder().data_location(location).build())
            .role_arn("arn:aws:iam::123456789012:role/r")
            .send()
            .await;
        let m = expect_code(refused, "InvalidInputException", location);
        assert!(m.contains("outside the data folders") && m.contains("dataSource.dataLocation"), "{m}");
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc", tmp.path().join("escape")).unwrap();
        let refused = c
            .create_dataset_import_job()
            .job_name("roots-link")
            .dataset_arn(&ds)
            .data_source(
                aws_sdk_personalize::types::DataSource::builder()
                    .data_location(format!("file://{}/escape/passwd", tmp.path().display()))
                    .build(),
            )
            .role_arn("arn:aws:iam::123456789012:role/r")
            .send()
            .await;
        expect_code(refused, "InvalidInputException", "a link out of the roots");
    }
    let job = import(c, "roots-ok", &ds, &file_url(&inside), None).await;
    let (status, reason) = wait_settled(c, &Res::ImportJob(job), WAIT).await;
    assert_eq!(status, "ACTIVE", "a location inside the roots imports: {reason:?}");
    // Exports and batch jobs are confined the same way.
    let refused = c
        .create_dataset_export_job()
        .job_name("roots-export")
        .dataset_arn(&ds)
        .role_arn("arn:aws:iam::123456789012:role/r")
        .job_output(
            aws_sdk_personalize::types::DatasetExportJobOutput::builder()
                .s3_data_destination(
                    aws_sdk_personalize::types::S3DataConfig::builder()
                        .path("file:///var/tmp/reko-out/")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await;
    expect_code(refused, "InvalidInputException", "export outside the roots");
}

/// Starts a server with no key configured (it generates and prints its root key), on a free
/// loopback port; returns it, a client signing with the printed key, and the secret.
fn serve_generating_a_key(data_dir: &Path, extra: &[&str]) -> (Serving, aws_sdk_personalize::Client, String) {
    let mut args = vec!["--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let (out, child) = serve_without_keys(data_dir, &args);
    let server = Serving(child);
    let value = |name: &str| {
        out.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{name}=")).map(str::to_string))
            .unwrap_or_else(|| panic!("{name} printed: {out}"))
    };
    let (id, secret) = (value("AWS_ACCESS_KEY_ID"), value("AWS_SECRET_ACCESS_KEY"));
    let url = out.lines().find_map(|l| l.strip_prefix("Listening on ")).expect("listening").trim().to_string();
    (server, client_with(&url, &id, &secret, REGION), secret)
}

fn s3_config(path: &str) -> aws_sdk_personalize::types::S3DataConfig {
    aws_sdk_personalize::types::S3DataConfig::builder().path(path).build().unwrap()
}

async fn create_import(
    c: &aws_sdk_personalize::Client,
    name: &str,
    dataset: &str,
    location: &str,
) -> Result<String, String> {
    let r = c
        .create_dataset_import_job()
        .job_name(name)
        .dataset_arn(dataset)
        .data_source(aws_sdk_personalize::types::DataSource::builder().data_location(location).build())
        .role_arn("arn:aws:iam::123456789012:role/r")
        .send()
        .await;
    match r {
        Ok(out) => Ok(out.dataset_import_job_arn().unwrap_or_default().to_string()),
        Err(e) => {
            use aws_sdk_personalize::error::ProvideErrorMetadata;
            assert_eq!(e.code(), Some("InvalidInputException"), "{name}: {e:?}");
            Err(e.message().unwrap_or_default().to_string())
        }
    }
}

async fn create_batch(
    c: &aws_sdk_personalize::Client,
    name: &str,
    version: &str,
    input: &str,
    output: &str,
) -> Result<String, String> {
    use aws_sdk_personalize::types::{BatchInferenceJobInput, BatchInferenceJobOutput};
    let r = c
        .create_batch_inference_job()
        .job_name(name)
        .solution_version_arn(version)
        .job_input(BatchInferenceJobInput::builder().s3_data_source(s3_config(input)).build())
        .job_output(BatchInferenceJobOutput::builder().s3_data_destination(s3_config(output)).build())
        .role_arn("arn:aws:iam::123456789012:role/r")
        .send()
        .await;
    match r {
        Ok(out) => Ok(out.batch_inference_job_arn().unwrap_or_default().to_string()),
        Err(e) => {
            use aws_sdk_personalize::error::ProvideErrorMetadata;
            assert_eq!(e.code(), Some("InvalidInputException"), "{name}: {e:?}");
            Err(e.message().unwrap_or_default().to_string())
        }
    }
}

/// A path as a `file://` URL, as written (not resolved).
fn raw_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_own_files_are_never_data_locations() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let config = tmp.path().join("reko.toml");
    std::fs::write(&config, "workers = 2\n").unwrap();
    // The allowed root holds the data directory and the config file: both stay refused.
    let (_server, c, secret) = serve_generating_a_key(
        &data,
        &["--config", config.to_str().unwrap(), "--allowed-data-root", tmp.path().to_str().unwrap()],
    );
    let key_file = data.join("root-access-key.json");
    assert!(key_file.is_file(), "the server generated its root key");

    // The data directory is owner-only, and so is the database (and its WAL files).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700, "data directory");
        assert_eq!(mode(&data.join("reko.db")), 0o600, "reko.db");
        for companion in ["reko.db-wal", "reko.db-shm"] {
            if data.join(companion).exists() {
                assert_eq!(mode(&data.join(companion)), 0o600, "{companion}");
            }
        }
        assert_eq!(mode(&key_file), 0o600, "root-access-key.json");
    }

    let dsg = create_dataset_group(&c, "own").await;
    wait_active(&c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(&c, "own-interactions", ROOTS_SCHEMA).await;
    let ds = create_dataset(&c, &dsg, "own", "own-interactions", "Interactions", &schema).await;
    let csv = tmp.path().join("in.csv");
    let rows: String = (0..1000).map(|r| format!("u{},i{},{r}\n", r % 50, r % 70)).collect();
    std::fs::write(&csv, format!("USER_ID,ITEM_ID,TIMESTAMP\n{rows}")).unwrap();

    // Imports of the server's own files are refused, by the field, without showing its folders.
    #[cfg(unix)]
    std::os::unix::fs::symlink(&key_file, tmp.path().join("key-link.json")).unwrap();
    let own = [
        ("the database", file_url(&data.join("reko.db"))),
        ("the root key", file_url(&key_file)),
        ("the config file", file_url(&config)),
        ("the data directory", format!("{}/", file_url(&data))),
        ("a path through models/..", raw_url(&data.join("models/../root-access-key.json"))),
        #[cfg(unix)]
        ("a link to the root key", raw_url(&tmp.path().join("key-link.json"))),
    ];
    for (what, location) in &own {
        let m = create_import(&c, "own-import", &ds, location).await.expect_err(what);
        assert!(m.contains("dataSource.dataLocation") && m.contains("server's own"), "{what}: {m}");
        assert!(m.contains(location.as_str()), "the message names the location: {m}");
    }
    let job = create_import(&c, "own-ok", &ds, &file_url(&csv)).await.expect("an import beside the data directory");
    let (status, reason) = wait_settled(&c, &Res::ImportJob(job), WAIT).await;
    assert_eq!(status, "ACTIVE", "{reason:?}");

    // A trained version; a batch inference job reading the root key (or the config) is refused
    // at CreateBatchInferenceJob: the secret never reaches an output file.
    let solution = create_solution(&c, &dsg, "own-pop", "aws-popularity-count").await;
    let version = train(&c, &solution).await;
    let out = tmp.path().join("out");
    for (n, (what, location)) in own.iter().enumerate() {
        let m = create_batch(&c, &format!("own-batch-{n}"), &version, location, &file_url(tmp.path()))
            .await
            .expect_err(what);
        assert!(m.contains("jobInput.s3DataSource.path") && m.contains("server's own"), "{what}: {m}");
        assert!(!m.contains(&secret), "{m}");
    }
    // Outputs into the data directory are refused too: batch output and export.
    let input = tmp.path().join("users.jsonl");
    write_input(&input, &[r#"{"userId":"u1"}"#, r#"{"userId":"u2"}"#]);
    let models = format!("{}/models/", file_url(&data));
    let m = create_batch(&c, "own-batch-out", &version, &file_url(&input), &models).await.expect_err("output");
    assert!(m.contains("jobOutput.s3DataDestination.path") && m.contains("server's own"), "{m}");
    let export = c
        .create_dataset_export_job()
        .job_name("own-export")
        .dataset_arn(&ds)
        .role_arn("arn:aws:iam::123456789012:role/r")
        .job_output(
            aws_sdk_personalize::types::DatasetExportJobOutput::builder()
                .s3_data_destination(s3_config(&models))
                .build(),
        )
        .send()
        .await;
    let m = expect_code(export, "InvalidInputException", "export into <data dir>/models/");
    assert!(m.contains("jobOutput.s3DataDestination.path") && m.contains("server's own"), "{m}");
    assert!(!data.join("models/own-export.csv").exists());

    // Beside the data directory, a batch job runs (inputs and outputs opened the checked way).
    let job = create_batch(&c, "own-batch-ok", &version, &file_url(&input), &raw_url(&out)).await.expect("batch");
    let started = std::time::Instant::now();
    loop {
        let j = ok(c.describe_batch_inference_job().batch_inference_job_arn(&job).send().await, "Describe");
        let j = j.batch_inference_job().unwrap();
        match j.status() {
            Some("ACTIVE") => break,
            Some("CREATE FAILED") => panic!("batch job failed: {:?}", j.failure_reason()),
            _ => {}
        }
        assert!(started.elapsed() < WAIT, "batch job not done");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let lines = std::fs::read_to_string(out.join("users.jsonl.out")).unwrap();
    assert_eq!(lines.lines().count(), 2, "{lines}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_allowed_root_local_locations_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    // No --allowed-data-root: not even the working directory or the data directory's folder.
    let (_server, c, _) = serve_generating_a_key(&tmp.path().join("data"), &[]);
    let dsg = create_dataset_group(&c, "noroots").await;
    wait_active(&c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(&c, "noroots-interactions", ROOTS_SCHEMA).await;
    let ds = create_dataset(&c, &dsg, "noroots", "noroots-interactions", "Interactions", &schema).await;
    let csv = tmp.path().join("in.csv");
    std::fs::write(&csv, "USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,1\n").unwrap();
    let cwd_file = std::env::current_dir().unwrap().join("Cargo.toml");
    for location in [file_url(&csv), csv.display().to_string(), file_url(&cwd_file), "Cargo.toml".to_string()] {
        let m = create_import(&c, "noroots-import", &ds, &location).await.expect_err(&location);
        assert!(m.contains("dataSource.dataLocation") && m.contains("allows no local data folder"), "{location}: {m}");
        assert!(m.contains("--allowed-data-root"), "the message tells the operator what to set: {m}");
    }
    // s3:// locations need no root.
    create_import(&c, "noroots-s3", &ds, "s3://bucket/interactions.csv").await.expect("s3:// is accepted");
}

/// Waits for a batch inference job to settle; its status and failure reason.
async fn settle_batch(c: &aws_sdk_personalize::Client, job: &str) -> (String, Option<String>) {
    let started = std::time::Instant::now();
    loop {
        let j = ok(c.describe_batch_inference_job().batch_inference_job_arn(job).send().await, "Describe");
        let j = j.batch_inference_job().unwrap();
        let status = j.status().unwrap_or_default().to_string();
        if !is_transient(&status) {
            return (status, j.failure_reason().map(str::to_string));
        }
        assert!(started.elapsed() < WAIT, "batch job stuck in {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// CreateDatasetExportJob of `dataset` into `path`.
async fn create_export(
    c: &aws_sdk_personalize::Client,
    name: &str,
    dataset: &str,
    path: &str,
) -> Result<String, ExportError> {
    c.create_dataset_export_job()
        .job_name(name)
        .dataset_arn(dataset)
        .ingestion_mode(aws_sdk_personalize::types::IngestionMode::Bulk)
        .role_arn("arn:aws:iam::123456789012:role/r")
        .job_output(
            aws_sdk_personalize::types::DatasetExportJobOutput::builder().s3_data_destination(s3_config(path)).build(),
        )
        .send()
        .await
        .map(|out| out.dataset_export_job_arn().unwrap_or_default().to_string())
}

/// Tenants (keys scoped to dataset groups) have local folders of their own (`data_roots`): a
/// tenant cannot import from another tenant's folder, nor write a batch output or an export
/// into it, nor use the server-wide roots; it can use its own. A tenant without roots may use no
/// local location. The run of a job checks against the roots it was created with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_use_only_their_own_data_roots() {
    let tmp = tempfile::tempdir().unwrap();
    let (root_a, root_b) = (tmp.path().join("tenant-a"), tmp.path().join("tenant-b"));
    std::fs::create_dir_all(&root_a).unwrap();
    std::fs::create_dir_all(&root_b).unwrap();
    let rows: String = (0..1200).map(|r| format!("u{},i{},{r}\n", r % 30, r % 40)).collect();
    for f in [root_a.join("a.csv"), root_b.join("b.csv"), tmp.path().join("shared.csv")] {
        std::fs::write(f, format!("USER_ID,ITEM_ID,TIMESTAMP\n{rows}")).unwrap();
    }
    let config = tmp.path().join("reko.toml");
    std::fs::write(
        &config,
        format!(
            "[[access_keys]]\naccess_key_id = \"AKIDTENANTA\"\nsecret_access_key = \"tenant-a-secret-0001\"\n\
             dataset_groups = [\"{}\"]\ndata_roots = [\"{}\"]\n\n\
             [[access_keys]]\naccess_key_id = \"AKIDTENANTB\"\nsecret_access_key = \"tenant-b-secret-0001\"\n\
             dataset_groups = [\"{}\"]\ndata_roots = [\"{}\"]\n\n\
             [[access_keys]]\naccess_key_id = \"AKIDTENANTC\"\nsecret_access_key = \"tenant-c-secret-0001\"\n\
             dataset_groups = [\"{}\"]\n",
            arn("dataset-group", "tenant-a"),
            root_a.display(),
            arn("dataset-group", "tenant-b"),
            root_b.display(),
            arn("dataset-group", "tenant-c"),
        ),
    )
    .unwrap();
    // The server-wide root (--allowed-data-root) is the whole temporary folder, both tenants'
    // folders included: root keys may use it, tenants only their own part.
    let data = tmp.path().join("data");
    let server = Server::start_with(&data, &["--config", config.to_str().unwrap()]);
    let root = &server.control;
    let schema = create_schema(root, "tenant-interactions", ROOTS_SCHEMA).await;
    let mut datasets = Vec::new();
    for name in ["tenant-a", "tenant-b", "tenant-c"] {
        let dsg = create_dataset_group(root, name).await;
        wait_active(root, &Res::DatasetGroup(dsg.clone())).await;
        datasets.push(create_dataset(root, &dsg, name, &format!("{name}-i"), "Interactions", &schema).await);
    }
    let a = client_with(&server.url, "AKIDTENANTA", "tenant-a-secret-0001", REGION);
    let c = client_with(&server.url, "AKIDTENANTC", "tenant-c-secret-0001", REGION);
    let ds_a = &datasets[0];

    // Imports: not from B's folder, nor from the server-wide root outside A's; from A's own.
    for other in [root_b.join("b.csv"), tmp.path().join("shared.csv")] {
        let m = create_import(&a, "a-steals", ds_a, &file_url(&other)).await.expect_err("another tenant's file");
        assert!(m.contains("dataSource.dataLocation") && m.contains("outside the data folders this access key"), "{m}");
        assert!(m.contains("data_roots"), "the message says where roots are granted: {m}");
    }
    let job = create_import(&a, "a-import", ds_a, &file_url(&root_a.join("a.csv"))).await.expect("A's own file");
    let (status, reason) = wait_settled(&a, &Res::ImportJob(job), WAIT).await;
    assert_eq!(status, "ACTIVE", "{reason:?}");

    // Exports: not into B's folder; into A's own.
    let refused = create_export(&a, "a-export-b", ds_a, &format!("{}/", file_url(&root_b))).await;
    let m = expect_code(refused, "InvalidInputException", "export into B's folder");
    assert!(m.contains("jobOutput.s3DataDestination.path") && m.contains("this access key"), "{m}");
    let export = create_export(&a, "a-export", ds_a, &format!("{}/out/", file_url(&root_a))).await.expect("own export");
    wait_export_active(&a, &export).await;
    assert_eq!(std::fs::read_to_string(root_a.join("out/a-export.csv")).unwrap().lines().count(), 1201);
    assert!(!root_b.join("a-export-b.csv").exists());

    // Batch inference: neither input nor output in B's folder; both in A's own.
    let solution = create_solution(&a, &arn("dataset-group", "tenant-a"), "a-pop", "aws-popularity-count").await;
    let version = train(&a, &solution).await;
    let input = root_a.join("users.jsonl");
    write_input(&input, &[r#"{"userId":"u1"}"#, r#"{"userId":"u2"}"#]);
    write_input(&root_b.join("users.jsonl"), &[r#"{"userId":"u3"}"#]);
    let own_out = format!("{}/batch/", file_url(&root_a));
    let m = create_batch(&a, "a-batch-out", &version, &file_url(&input), &format!("{}/", file_url(&root_b)))
        .await
        .expect_err("output into B's folder");
    assert!(m.contains("jobOutput.s3DataDestination.path") && m.contains("this access key"), "{m}");
    let m = create_batch(&a, "a-batch-in", &version, &file_url(&root_b.join("users.jsonl")), &own_out)
        .await
        .expect_err("input from B's folder");
    assert!(m.contains("jobInput.s3DataSource.path") && m.contains("this access key"), "{m}");
    let job = create_batch(&a, "a-batch", &version, &file_url(&input), &own_out).await.expect("A's own folders");
    let (status, reason) = settle_batch(&a, &job).await;
    assert_eq!(status, "ACTIVE", "{reason:?}");
    assert_eq!(std::fs::read_to_string(root_a.join("batch/users.jsonl.out")).unwrap().lines().count(), 2);
    assert_eq!(std::fs::read_dir(&root_b).unwrap().count(), 2, "nothing was written into B's folder");

    // A tenant without data_roots: no local location at all, and the operator is told what to set.
    let m = create_import(&c, "c-import", &datasets[2], &file_url(&tmp.path().join("shared.csv")))
        .await
        .expect_err("a tenant without roots");
    assert!(m.contains("dataSource.dataLocation") && m.contains("data_roots") && m.contains("per key"), "{m}");
    // The root key keeps the server-wide roots, B's folder included.
    let job = create_import(root, "root-import", &datasets[1], &file_url(&root_b.join("b.csv"))).await.expect("root");
    let (status, reason) = wait_settled(root, &Res::ImportJob(job), WAIT).await;
    assert_eq!(status, "ACTIVE", "{reason:?}");

    // The run checks against the roots the job was created with: a link inside A's folder,
    // accepted at creation, pointing into B's folder by the time the job runs, fails the job.
    drop(server);
    #[cfg(unix)]
    {
        let link = root_a.join("link.csv");
        std::os::unix::fs::symlink(root_a.join("a.csv"), &link).unwrap();
        let server = Server::start_with(&data, &["--config", config.to_str().unwrap(), "--workers", "0"]);
        let a = client_with(&server.url, "AKIDTENANTA", "tenant-a-secret-0001", REGION);
        let job = create_import(&a, "a-swapped", ds_a, &raw_url(&link)).await.expect("a link inside A's folder");
        drop(server);
        std::fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink(root_b.join("b.csv"), &link).unwrap();
        let server = Server::start_with(&data, &["--config", config.to_str().unwrap()]);
        let (status, reason) = wait_settled(&server.control, &Res::ImportJob(job), WAIT).await;
        assert_eq!(status, "CREATE FAILED", "B's file was imported by A's job");
        let reason = reason.unwrap_or_default();
        assert!(reason.contains("link.csv") && reason.contains("this access key"), "{reason}");
    }
}

/// Keys of different tenants whose data roots overlap, or a key's root that overlaps the data
/// directory, are refused at start, naming both.
#[test]
fn overlapping_tenant_roots_are_refused_at_start() {
    let tmp = tempfile::tempdir().unwrap();
    let (root_a, nested) = (tmp.path().join("tenant-a"), tmp.path().join("tenant-a/b"));
    let data = tmp.path().join("data");
    let key = |id: &str, group: &str, root: &Path| {
        format!(
            "[[access_keys]]\naccess_key_id = \"{id}\"\nsecret_access_key = \"{id}-secret-0001\"\n\
             dataset_groups = [\"{}\"]\ndata_roots = [\"{}\"]\n\n",
            arn("dataset-group", group),
            root.display()
        )
    };
    let cases = [
        (key("AKIDTENANTA", "a", &root_a) + &key("AKIDTENANTB", "b", &nested), vec!["AKIDTENANTA", "AKIDTENANTB"]),
        (key("AKIDTENANTA", "a", &data.join("exports")), vec!["AKIDTENANTA", "data directory"]),
    ];
    for (n, (text, named)) in cases.iter().enumerate() {
        let config = tmp.path().join(format!("reko-{n}.toml"));
        std::fs::write(&config, text).unwrap();
        let (stdout, stderr) = (tmp.path().join(format!("out-{n}")), tmp.path().join(format!("err-{n}")));
        let mut child = Command::new(env!("CARGO_BIN_EXE_reko"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data)
            .arg("--config")
            .arg(&config)
            .env("REKO_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("REKO_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stderr = std::fs::read_to_string(&stderr).unwrap();
        assert!(status.is_some_and(|s| !s.success()), "the server started: {stderr}");
        assert!(!std::fs::read_to_string(&stdout).unwrap().contains("Listening on"));
        for name in named {
            assert!(stderr.contains(name), "the error names {name}: {stderr}");
        }
    }
}
