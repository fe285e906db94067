//! SigV4 on every service, the signed operation name, runtime-only keys and the generated root key.

use super::*;

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
