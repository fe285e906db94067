//! Overload: a request is admitted in three steps. Its headers are checked first (signature
//! well-formed, key known, date in the window); one failing that is answered at once, holding
//! nothing. Then it waits for its body in a smaller "unverified" budget (a quarter of
//! `--max-in-flight`), and only once its signature is verified does it take one of the
//! `--max-in-flight` slots. Beyond either limit a request is refused at once with
//! `ThrottlingException` (HTTP 400), which the SDKs retry with backoff. A connection that never
//! finishes its headers is closed after the header deadline.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::common::*;
use aws_sdk_personalize::config::{BehaviorVersion, Credentials, Region};

/// Headers signing `POST /` (ListDatasetGroups) over `body` with the server's key (AWS's signer).
fn signed_headers(authority: &str, body: &[u8]) -> Vec<(String, String)> {
    let headers =
        [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", "AmazonPersonalize.ListDatasetGroups")];
    Signer::personalize((ACCESS_KEY_ID, SECRET_ACCESS_KEY), REGION)
        .headers("POST", authority, "/", &headers, body)
        .unwrap()
}

/// A connection that sent `extra` headers with a control-plane request head announcing a
/// 10-byte body, then `body_start` (possibly nothing).
fn stalled(authority: &str, extra: &[(String, String)], body_start: &str) -> TcpStream {
    let mut s = TcpStream::connect(authority).unwrap();
    let mut head = format!(
        "POST / HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: AmazonPersonalize.ListDatasetGroups\r\nContent-Length: 10\r\n"
    );
    for (n, v) in extra {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body_start.as_bytes()).unwrap();
    s.flush().unwrap();
    s
}

/// A correctly signed request that sent half its body: it waits in the unverified budget.
fn stalled_signed_request(authority: &str) -> TcpStream {
    stalled(authority, &signed_headers(authority, br#"{"a":1}   "#), r#"{"a""#)
}

/// What the server wrote on `s` within `wait`: its answer, or "" when it closed the connection.
fn answer(s: &mut TcpStream, wait: Duration) -> std::io::Result<String> {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if out.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset && out.is_empty() => break,
            Err(e) => return Err(e),
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_limit_are_throttled() {
    let tmp = tempfile::tempdir().unwrap();
    // 8 slots: 2 requests may wait for their body at once.
    let server = Server::start_with(&tmp.path().join("data"), &["--max-in-flight", "8"]);
    let authority = server.url.strip_prefix("http://").unwrap().to_string();
    ok(server.control.list_dataset_groups().send().await, "ListDatasetGroups with free slots");

    let mut stalled = vec![stalled_signed_request(&authority), stalled_signed_request(&authority)];
    tokio::time::sleep(Duration::from_millis(300)).await;
    // No retries: the refusal itself.
    let m = expect_http(server.control.list_dataset_groups().send().await, "ThrottlingException", 400, "third request");
    assert!(m.contains("2 requests") && m.contains("waiting for their body"), "{m}");
    let events = server.events.put_events().tracking_id("t").session_id("s").send().await;
    use aws_sdk_personalizeevents::error::ProvideErrorMetadata;
    assert_eq!(events.expect_err("throttled").code(), Some("ThrottlingException"));

    // The SDK's standard retry policy rides it out once the bodies arrive.
    let retrying = aws_sdk_personalize::Client::from_conf(
        aws_sdk_personalize::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&server.url)
            .credentials_provider(Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "test"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .retry_config(aws_sdk_personalize::config::retry::RetryConfig::standard().with_max_attempts(8))
            .build(),
    );
    let call = tokio::spawn(async move { retrying.list_dataset_groups().send().await });
    tokio::time::sleep(Duration::from_millis(400)).await;
    for s in &mut stalled {
        s.write_all(b":1}   ").unwrap();
    }
    drop(stalled);
    let out = call.await.unwrap();
    assert!(out.is_ok(), "retried until admitted: {out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_unauthenticated_connections_do_not_starve_signed_callers() {
    let tmp = tempfile::tempdir().unwrap();
    // The default limits: 256 slots, 64 for requests waiting for their body.
    let server = Server::start(&tmp.path().join("data"));
    let authority = server.url.strip_prefix("http://").unwrap().to_string();
    // Signed by AWS's signer, then claimed by a key the server does not know.
    let unknown_key: Vec<(String, String)> = signed_headers(&authority, b"{}")
        .into_iter()
        .map(|(n, v)| (n.clone(), if n == "authorization" { v.replace(ACCESS_KEY_ID, "AKIDNOBODY00") } else { v }))
        .collect();
    assert!(unknown_key.iter().any(|(_, v)| v.contains("Credential=AKIDNOBODY00/")), "{unknown_key:?}");

    // 300 connections of each kind, more than all the slots together: headers cut short,
    // unsigned headers announcing a body that never comes, and the same signed by an unknown key.
    let mut partial = Vec::new();
    let mut unsigned = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..300 {
        let mut s = TcpStream::connect(&authority).unwrap();
        write!(s, "POST / HTTP/1.1\r\nHost: {authority}\r\nX-Amz-Tar").unwrap();
        partial.push(s);
        unsigned.push(stalled(&authority, &[], ""));
        unknown.push(stalled(&authority, &unknown_key, ""));
    }

    // Signed callers get through, one after the other and at once.
    for i in 0..5 {
        ok(server.control.list_recipes().send().await, &format!("ListRecipes #{i} beside the stalled connections"));
    }
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let c = server.control.clone();
            tokio::spawn(async move { c.list_recipes().send().await })
        })
        .collect();
    for call in calls {
        ok(call.await.unwrap(), "concurrent ListRecipes beside the stalled connections");
    }

    // The stalled ones were answered from their headers alone, without waiting for a body.
    for (conns, code) in [(&mut unsigned, "MissingAuthenticationTokenException"), (&mut unknown, "UnrecognizedClient")]
    {
        for s in conns.iter_mut().step_by(50) {
            let text = answer(s, Duration::from_secs(5)).unwrap();
            assert!(text.starts_with("HTTP/1.1 403") && text.contains(code), "{text}");
        }
    }
    // Connections that never finished their headers are closed at the header deadline (5 s).
    let started = std::time::Instant::now();
    for s in partial.iter_mut().step_by(50) {
        let text = answer(s, Duration::from_secs(20)).expect("closed, not left open");
        assert!(!text.contains(" 200 "), "{text}");
    }
    assert!(started.elapsed() < Duration::from_secs(20));
    ok(server.control.list_recipes().send().await, "ListRecipes after the stalled connections");
}
