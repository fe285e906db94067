//! Overload: `reko serve --max-in-flight N` handles at most N requests at once; one more is
//! refused at once with `ThrottlingException` (HTTP 400), which the SDKs retry with backoff, so a
//! client with the standard retry policy gets through once a slot frees up.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use aws_sdk_personalize::config::{BehaviorVersion, Credentials, Region};
use common::*;

/// A connection that sent its headers and half its body, holding a request slot.
fn stalled_request(authority: &str) -> TcpStream {
    let mut s = TcpStream::connect(authority).unwrap();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: AmazonPersonalize.ListDatasetGroups\r\nContent-Length: 10\r\n\r\n{{\"a\""
    )
    .unwrap();
    s.flush().unwrap();
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_in_flight_limit_are_throttled() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start_with(&tmp.path().join("data"), &["--max-in-flight", "2"]);
    let authority = server.url.strip_prefix("http://").unwrap().to_string();
    ok(server.control.list_dataset_groups().send().await, "ListDatasetGroups with free slots");

    let mut stalled = vec![stalled_request(&authority), stalled_request(&authority)];
    tokio::time::sleep(Duration::from_millis(300)).await;
    // No retries: the refusal itself.
    let m = expect_http(server.control.list_dataset_groups().send().await, "ThrottlingException", 400, "third request");
    assert!(m.contains("2 requests"), "{m}");
    let events = server.events.put_events().tracking_id("t").session_id("s").send().await;
    use aws_sdk_personalizeevents::error::ProvideErrorMetadata;
    assert_eq!(events.expect_err("throttled").code(), Some("ThrottlingException"));

    // The SDK's standard retry policy rides it out once the slots free up.
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
        s.write_all(b":1}      ").unwrap();
    }
    drop(stalled);
    let out = call.await.unwrap();
    assert!(out.is_ok(), "retried until admitted: {out:?}");
}
