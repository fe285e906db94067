//! Security against a real `reko serve`: SigV4 authentication of all three services, scoped keys
//! (runtime use, dataset groups), data locations confined to the allowed roots, hostile requests.
//!
//! * the official SDK clients with the server's key work; a wrong secret, an unknown key id, a
//!   wrong region scope each get 403 with the code the SDKs know;
//! * raw requests signed by AWS's own signer (`aws-sigv4`) are accepted, and refused when unsigned,
//!   expired (outside the 15-minute window) or tampered with (body changed after signing) — on the
//!   control plane, the runtime and the events service — and a refused request never reaches a
//!   handler (an unsigned CreateDatasetGroup creates nothing);
//! * a control-plane request whose signature leaves out `X-Amz-Target` (the operation) is refused;
//! * a key scoped to runtime use cannot call the control plane;
//! * the first start without keys generates a root key (owner-only file, printed once);
//!   `--insecure-no-auth` is refused off loopback;
//! * no secret and no signature appears in the server log;
//! * the server's own files (data directory, root key, database, config file) are never data
//!   locations, even through a link or `..`, even inside an allowed root; without an allowed root
//!   every local location is refused; the data directory is 0700 and the database 0600.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use aws_sdk_personalize::config::{BehaviorVersion, Credentials, Region};
use common::*;

/// A control-plane client signing with the given key and region.
fn client_with(url: &str, id: &str, secret: &str, region: &str) -> aws_sdk_personalize::Client {
    aws_sdk_personalize::Client::from_conf(
        aws_sdk_personalize::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .endpoint_url(url)
            .credentials_provider(Credentials::new(id, secret, None, None, "test"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .retry_config(aws_sdk_personalize::config::retry::RetryConfig::disabled())
            .build(),
    )
}

/// Headers signing `POST path` with `body` at `time` (AWS's signer, as the SDKs use it).
fn sign(authority: &str, path: &str, extra: &[(&str, &str)], body: &[u8], time: SystemTime) -> Vec<(String, String)> {
    sigv4_headers("POST", authority, path, extra, body, (ACCESS_KEY_ID, SECRET_ACCESS_KEY), time)
}

/// A raw HTTP/1.1 POST; returns the status, the `x-amzn-ErrorType` header and the body.
fn post(authority: &str, path: &str, headers: &[(String, String)], body: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(authority).unwrap();
    let mut head =
        format!("POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head[9..12].parse().unwrap();
    let error_type = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("x-amzn-errortype").then(|| value.trim().to_string())
        })
        .unwrap_or_default();
    (status, error_type, body.to_string())
}

const CONTROL_HEADERS: [(&str, &str); 2] =
    [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", "AmazonPersonalize.CreateDatasetGroup")];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_is_authenticated() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"));
    let authority = server.url.strip_prefix("http://").unwrap().to_string();

    // The SDK with the server's key.
    ok(server.control.list_dataset_groups().send().await, "ListDatasetGroups");
    // Wrong secret, unknown key, wrong region: refused with the SDKs' codes.
    let wrong = client_with(&server.url, ACCESS_KEY_ID, "not-the-secret-of-this-key", REGION);
    let m = expect_http(wrong.list_dataset_groups().send().await, "InvalidSignatureException", 403, "wrong secret");
    assert!(m.contains("does not match"), "{m}");
    let unknown = client_with(&server.url, "AKIDNOBODY00", SECRET_ACCESS_KEY, REGION);
    expect_http(unknown.list_dataset_groups().send().await, "UnrecognizedClientException", 403, "unknown key");
    let elsewhere = client_with(&server.url, ACCESS_KEY_ID, SECRET_ACCESS_KEY, "eu-west-1");
    let m = expect_http(elsewhere.list_dataset_groups().send().await, "InvalidSignatureException", 403, "region");
    assert!(m.contains("eu-west-1"), "{m}");

    // Raw requests signed by AWS's signer.
    let body = br#"{"name":"signed-group"}"#;
    let now = SystemTime::now();
    let mut headers = sign(&authority, "/", &CONTROL_HEADERS, body, now);
    headers.extend(CONTROL_HEADERS.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    let (status, _, text) = post(&authority, "/", &headers, body);
    assert_eq!(status, 200, "{text}");
    // The same signature over another body (tampered in transit).
    let (status, code, _) = post(&authority, "/", &headers, br#"{"name":"evil-group!"}"#);
    assert_eq!((status, code.as_str()), (403, "InvalidSignatureException"));
    // Unsigned: refused, and nothing created.
    let unsigned: Vec<(String, String)> = CONTROL_HEADERS.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    let (status, code, _) = post(&authority, "/", &unsigned, br#"{"name":"unsigned-group"}"#);
    assert_eq!((status, code.as_str()), (403, "MissingAuthenticationTokenException"));
    // Expired: signed 20 minutes ago.
    let old = now - Duration::from_secs(20 * 60);
    let mut stale = sign(&authority, "/", &CONTROL_HEADERS, br#"{"name":"stale-group"}"#, old);
    stale.extend(CONTROL_HEADERS.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    let (status, code, text) = post(&authority, "/", &stale, br#"{"name":"stale-group"}"#);
    assert_eq!((status, code.as_str()), (403, "InvalidSignatureException"));
    assert!(text.contains("Signature expired"), "{text}");
    // Within the window (10 minutes ago): accepted.
    let recent = now - Duration::from_secs(10 * 60);
    let mut fine = sign(&authority, "/", &CONTROL_HEADERS, br#"{"name":"recent-group"}"#, recent);
    fine.extend(CONTROL_HEADERS.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    assert_eq!(post(&authority, "/", &fine, br#"{"name":"recent-group"}"#).0, 200);
    let groups = ok(server.control.list_dataset_groups().send().await, "ListDatasetGroups");
    let mut names: Vec<&str> = groups.dataset_groups().iter().filter_map(|g| g.name()).collect();
    names.sort_unstable();
    assert_eq!(names, ["recent-group", "signed-group"]);

    // Runtime and events: the same rules.
    for (path, body) in [
        (
            "/recommendations",
            br#"{"campaignArn":"arn:aws:personalize:us-east-1:123456789012:campaign/none","userId":"u"}"#.as_slice(),
        ),
        (
            "/events",
            br#"{"trackingId":"none","sessionId":"s","eventList":[{"eventType":"click","sentAt":1700000000}]}"#
                .as_slice(),
        ),
    ] {
        let json = [("content-type", "application/json")];
        let mut headers = sign(&authority, path, &json, body, SystemTime::now());
        headers.push(("content-type".into(), "application/json".into()));
        let (status, code, _) = post(&authority, path, &headers, body);
        // Signed: reaches the handler (the campaign / tracker does not exist).
        assert_eq!((status, code.as_str()), (404, "ResourceNotFoundException"), "{path}");
        let mut tampered = body.to_vec();
        tampered.extend_from_slice(b" ");
        assert_eq!(post(&authority, path, &headers, &tampered).1, "InvalidSignatureException", "{path}");
        let plain = vec![("content-type".to_string(), "application/json".to_string())];
        assert_eq!(post(&authority, path, &plain, body).0, 403, "{path} unsigned");
    }

    // Probes need no signature.
    let mut s = TcpStream::connect(&authority).unwrap();
    write!(s, "GET /health HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n").unwrap();
    let mut health = String::new();
    s.read_to_string(&mut health).unwrap();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");

    // No secret or signature in the log.
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(!log.contains(SECRET_ACCESS_KEY), "the secret key appears in the server log");
    for (n, v) in headers.iter().chain(&fine) {
        if n == "authorization" {
            let signature = v.rsplit("Signature=").next().unwrap();
            assert!(!log.contains(signature), "a signature appears in the server log");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_plane_operation_must_be_signed() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"));
    let authority = server.url.strip_prefix("http://").unwrap().to_string();
    let body = br#"{"name":"retargeted-group"}"#;
    // Signed over everything but X-Amz-Target, which is sent all the same: a man in the middle
    // could have turned any operation into this one.
    let content_type = [("content-type", "application/x-amz-json-1.1")];
    let mut headers = sign(&authority, "/", &content_type, body, SystemTime::now());
    let signed = headers.iter().find(|(n, _)| n == "authorization").map(|(_, v)| v.clone()).unwrap();
    assert!(!signed.contains("x-amz-target"), "{signed}");
    headers.extend(CONTROL_HEADERS.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    let (status, code, text) = post(&authority, "/", &headers, body);
    assert_eq!((status, code.as_str()), (403, "IncompleteSignatureException"), "{text}");
    assert!(text.contains("x-amz-target"), "{text}");
    // Nothing was created; the SDK, which signs the target, works.
    let groups = ok(server.control.list_dataset_groups().send().await, "ListDatasetGroups");
    assert!(groups.dataset_groups().is_empty(), "{groups:?}");
    create_dataset_group(&server.control, "sdk-group").await;
    // Signed with the target, the same raw request is accepted.
    let mut headers = sign(&authority, "/", &CONTROL_HEADERS, body, SystemTime::now());
    headers.extend(CONTROL_HEADERS.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    let (status, _, text) = post(&authority, "/", &headers, body);
    assert_eq!(status, 200, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtime_only_keys_cannot_use_the_control_plane() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("reko.toml");
    std::fs::write(
        &config,
        "[[access_keys]]\naccess_key_id = \"AKIDFRONTEND\"\nsecret_access_key = \"front-end-secret-0001\"\n\
         runtime_only = true\n",
    )
    .unwrap();
    let server = Server::start_with(&tmp.path().join("data"), &["--config", config.to_str().unwrap()]);
    let front = client_with(&server.url, "AKIDFRONTEND", "front-end-secret-0001", REGION);
    let m = expect_http(front.list_dataset_groups().send().await, "AccessDeniedException", 403, "front-end key");
    assert!(m.contains("AKIDFRONTEND"), "{m}");
    // The root key still works beside it.
    ok(server.control.list_dataset_groups().send().await, "ListDatasetGroups");
    // The front-end key reaches the runtime (the campaign does not exist, but it is not refused).
    use aws_sdk_personalizeruntime::config as rc;
    let runtime = aws_sdk_personalizeruntime::Client::from_conf(
        rc::Config::builder()
            .behavior_version(rc::BehaviorVersion::latest())
            .region(rc::Region::new(REGION))
            .endpoint_url(&server.url)
            .credentials_provider(rc::Credentials::new("AKIDFRONTEND", "front-end-secret-0001", None, None, "t"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build(),
    );
    let r = runtime.get_recommendations().campaign_arn(arn("campaign", "none")).user_id("u").send().await;
    expect_http(r, "ResourceNotFoundException", 404, "GetRecommendations with the front-end key");
}

/// Runs `reko serve` with no key configured; returns its stdout up to the "Listening on" line
/// and the child (killed by the caller).
fn serve_without_keys(data_dir: &Path, extra: &[&str]) -> (String, std::process::Child) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reko"))
        .args(["serve", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .env_remove("REKO_ACCESS_KEY_ID")
        .env_remove("REKO_SECRET_ACCESS_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut out = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        out.push_str(&line);
        if line.starts_with("Listening on") {
            break;
        }
    }
    (out, child)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_generates_a_root_key() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (out, mut child) = serve_without_keys(&data, &["--listen", "127.0.0.1:0"]);
    let value = |name: &str| {
        out.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{name}=")).map(str::to_string))
            .unwrap_or_else(|| panic!("{name} printed: {out}"))
    };
    let (id, secret) = (value("AWS_ACCESS_KEY_ID"), value("AWS_SECRET_ACCESS_KEY"));
    let url = out.lines().find_map(|l| l.strip_prefix("Listening on ")).unwrap().trim().to_string();
    ok(client_with(&url, &id, &secret, "us-east-1").list_dataset_groups().send().await, "with the printed key");
    let _ = child.kill();
    let _ = child.wait();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("root-access-key.json")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The second start reuses it and prints no secret.
    let (again, mut child) = serve_without_keys(&data, &["--listen", "127.0.0.1:0"]);
    let _ = child.kill();
    let _ = child.wait();
    assert!(!again.contains(&secret) && again.contains("Listening on"), "{again}");

    // --insecure-no-auth: refused on a non-loopback address.
    let refused = Command::new(env!("CARGO_BIN_EXE_reko"))
        .args(["serve", "--insecure-no-auth", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(tmp.path().join("insecure"))
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("loopback"));
    // ... and accepted on loopback, where unsigned requests pass.
    let (out, mut child) =
        serve_without_keys(&tmp.path().join("open"), &["--insecure-no-auth", "--listen", "127.0.0.1:0"]);
    assert!(!out.contains("AWS_SECRET_ACCESS_KEY"), "no key is generated in insecure mode: {out}");
    let authority = out.lines().find_map(|l| l.strip_prefix("Listening on http://")).unwrap().trim().to_string();
    let unsigned: Vec<(String, String)> = CONTROL_HEADERS.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    let (status, _, text) = post(&authority, "/", &unsigned, br#"{"name":"open-group"}"#);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_scoped_to_a_dataset_group_see_nothing_else() {
    const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("reko.toml");
    std::fs::write(
        &config,
        format!(
            "[[access_keys]]\naccess_key_id = \"AKIDTENANT1\"\nsecret_access_key = \"tenant-one-secret-0001\"\n\
             dataset_groups = [\"{}\"]\n",
            arn("dataset-group", "tenant-1")
        ),
    )
    .unwrap();
    let server = Server::start_with(&tmp.path().join("data"), &["--config", config.to_str().unwrap()]);
    let root = &server.control;
    let schema = create_schema(root, "scoped-interactions", SCHEMA).await;
    let mut trackers = Vec::new();
    for name in ["tenant-1", "tenant-2"] {
        let dsg = create_dataset_group(root, name).await;
        wait_active(root, &Res::DatasetGroup(dsg.clone())).await;
        create_dataset(root, &dsg, name, &format!("{name}-interactions"), "Interactions", &schema).await;
        trackers.push(create_tracker(root, &format!("{name}-tracker"), &dsg).await);
    }
    let (g1, g2) = (arn("dataset-group", "tenant-1"), arn("dataset-group", "tenant-2"));
    let tenant = client_with(&server.url, "AKIDTENANT1", "tenant-one-secret-0001", REGION);

    // Lists show only the key's group; account-level schemas stay visible.
    let groups = ok(tenant.list_dataset_groups().send().await, "ListDatasetGroups");
    let arns: Vec<&str> = groups.dataset_groups().iter().filter_map(|g| g.dataset_group_arn()).collect();
    assert_eq!(arns, [g1.as_str()]);
    let trackers_listed = ok(tenant.list_event_trackers().send().await, "ListEventTrackers");
    assert_eq!(trackers_listed.event_trackers().len(), 1);
    let datasets = ok(tenant.list_datasets().send().await, "ListDatasets");
    assert!(datasets.datasets().iter().all(|d| d.dataset_arn().unwrap().contains("tenant-1")));
    assert_eq!(ok(tenant.list_schemas().send().await, "ListSchemas").schemas().len(), 1);

    // The other group's resources answer as if missing.
    let missing = tenant.describe_dataset_group().dataset_group_arn(&g2).send().await;
    let m = expect_code(missing, "ResourceNotFoundException", "DescribeDatasetGroup(other group)");
    assert!(m.contains("tenant-2"), "{m}");
    let d2 = arn("dataset", "tenant-2/INTERACTIONS");
    expect_code(tenant.describe_dataset().dataset_arn(&d2).send().await, "ResourceNotFoundException", "dataset");
    expect_code(
        tenant.list_datasets().dataset_group_arn(&g2).send().await,
        "ResourceNotFoundException",
        "ListDatasets(other group)",
    );
    expect_code(
        tenant.create_event_tracker().name("sneaky").dataset_group_arn(&g2).send().await,
        "ResourceNotFoundException",
        "CreateEventTracker(other group)",
    );
    expect_code(
        tenant.delete_dataset_group().dataset_group_arn(&g2).send().await,
        "ResourceNotFoundException",
        "DeleteDatasetGroup(other group)",
    );
    expect_code(
        tenant.create_dataset_group().name("tenant-3").send().await,
        "AccessDeniedException",
        "CreateDatasetGroup outside the scope",
    );
    // The key's own group works.
    ok(tenant.describe_dataset_group().dataset_group_arn(&g1).send().await, "DescribeDatasetGroup(own)");

    // Events: the other group's tracking id is unknown to this key.
    use aws_sdk_personalizeevents::config as ec;
    use aws_sdk_personalizeevents::primitives::DateTime;
    use aws_sdk_personalizeevents::types::Event;
    let events = aws_sdk_personalizeevents::Client::from_conf(
        ec::Config::builder()
            .behavior_version(ec::BehaviorVersion::latest())
            .region(ec::Region::new(REGION))
            .endpoint_url(&server.url)
            .credentials_provider(ec::Credentials::new("AKIDTENANT1", "tenant-one-secret-0001", None, None, "t"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build(),
    );
    let event = || {
        Event::builder().event_type("click").item_id("i1").sent_at(DateTime::from_secs(1_700_000_000)).build().unwrap()
    };
    let put =
        |tracking: &str| events.put_events().tracking_id(tracking).user_id("u1").session_id("s1").event_list(event());
    ok(put(&trackers[0]).send().await, "PutEvents(own group)");
    let refused = put(&trackers[1]).send().await;
    let e = refused.expect_err("PutEvents to the other group's tracker");
    use aws_sdk_personalizeevents::error::ProvideErrorMetadata;
    assert_eq!(e.code(), Some("ResourceNotFoundException"));
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(404));
}

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

/// A `reko serve` child, killed when dropped (also when an assertion fails).
struct Serving(std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
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

const ROOTS_SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_get_clear_client_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"));
    let authority = server.url.strip_prefix("http://").unwrap().to_string();
    let control = |target: &str, body: &[u8]| {
        let extra = [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target)];
        let mut headers = sign(&authority, "/", &extra, body, SystemTime::now());
        headers.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        post(&authority, "/", &headers, body)
    };
    let expect_invalid = |(status, code, text): (u16, String, String), needle: &str, what: &str| {
        assert_eq!((status, code.as_str()), (400, "InvalidInputException"), "{what}: {text}");
        assert!(text.contains(needle), "{what}: {text} mentions {needle}");
    };
    // Too large: refused before it is read whole.
    let huge = vec![b' '; (1 << 20) + 1];
    expect_invalid(control("AmazonPersonalize.ListDatasetGroups", &huge), "larger than", "2 MiB body");
    // Deep nesting, huge numbers, invalid UTF-8.
    let deep = format!("{{\"name\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let (status, code, text) = control("AmazonPersonalize.CreateDatasetGroup", deep.as_bytes());
    assert_eq!(
        (status, code.as_str()),
        (400, "InvalidInputException"),
        "deep nesting: {}",
        &text[..text.len().min(300)]
    );
    let (status, code, text) = control("AmazonPersonalize.ListDatasetGroups", br#"{"maxResults":1e400}"#);
    assert_eq!((status, code.as_str()), (400, "InvalidInputException"), "huge float: {text}");
    let (status, code, text) =
        control("AmazonPersonalize.ListDatasetGroups", br#"{"maxResults":99999999999999999999999}"#);
    assert_eq!((status, code.as_str()), (400, "InvalidInputException"), "huge integer: {text}");
    let (status, code, text) = control("AmazonPersonalize.CreateDatasetGroup", b"{\"name\":\"\xff\xfe\"}");
    assert_eq!((status, code.as_str()), (400, "InvalidInputException"), "invalid UTF-8: {text}");
    // List lengths: 11 events in one PutEvents.
    let events: Vec<String> =
        (0..11).map(|i| format!(r#"{{"eventType":"click","itemId":"i{i}","sentAt":1700000000}}"#)).collect();
    let body = format!(r#"{{"trackingId":"t","sessionId":"s","eventList":[{}]}}"#, events.join(","));
    let json = [("content-type", "application/json")];
    let mut headers = sign(&authority, "/events", &json, body.as_bytes(), SystemTime::now());
    headers.push(("content-type".into(), "application/json".into()));
    expect_invalid(post(&authority, "/events", &headers, body.as_bytes()), "eventList", "11 events");
    // The server is still up and well.
    ok(server.control.list_dataset_groups().send().await, "after the hostile requests");
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

type ExportError = aws_sdk_personalize::error::SdkError<
    aws_sdk_personalize::operation::create_dataset_export_job::CreateDatasetExportJobError,
>;

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
