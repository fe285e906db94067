//! Hostile requests get clear client errors.

use super::*;

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
