//! `GET /metrics` and the access log of a real `reko serve`: real traffic through the AWS SDKs
//! (import, PutEvents, training, a campaign, GetRecommendations, one of them failing), scrapes
//! before and after parsed as Prometheus text, and the JSON access log lines checked against the
//! SDK's responses. And the optional bearer token of scrapes.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use crate::common::*;
use aws_sdk_personalizeevents::primitives::DateTime;
use aws_sdk_personalizeevents::types::Event;
use aws_sdk_personalizeruntime::operation::RequestId;

const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const USERS: usize = 50;
const ITEMS: usize = 30;
const PER_USER: usize = 25;

/// `GET /metrics` over a plain connection (no SigV4), with an optional bearer token: the status
/// and the body.
pub(crate) fn scrape(url: &str, token: Option<&str>) -> (u16, String) {
    let authority = url.strip_prefix("http://").unwrap().trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(authority).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(s, "GET /metrics HTTP/1.1\r\nHost: {authority}\r\n{auth}Connection: close\r\n\r\n").unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status line");
    (status, body.to_string())
}

/// One sample of a text exposition: name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// Parses the samples of a Prometheus text exposition (comments skipped).
fn parse(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("malformed sample line {line:?}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("malformed value in {line:?}")),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series.to_string(), BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("malformed labels in {line:?}"));
                let mut labels = BTreeMap::new();
                let mut chars = body.chars().peekable();
                while chars.peek().is_some() {
                    let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
                    assert_eq!(chars.next(), Some('"'), "{line}");
                    let mut value = String::new();
                    while let Some(c) = chars.next() {
                        match c {
                            '\\' => value.push(chars.next().unwrap()),
                            '"' => break,
                            c => value.push(c),
                        }
                    }
                    if chars.peek() == Some(&',') {
                        chars.next();
                    }
                    labels.insert(key.trim().to_string(), value);
                }
                (name.to_string(), labels)
            }
        };
        samples.push((name, labels, value));
    }
    samples
}

/// The sum of the samples named `name` whose labels include `labels` (0 when there is none).
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    matching(samples, name, labels).map(|(_, _, v)| v).sum()
}

fn matching<'a>(
    samples: &'a [Sample],
    name: &'a str,
    labels: &'a [(&'a str, &'a str)],
) -> impl Iterator<Item = &'a Sample> + 'a {
    samples
        .iter()
        .filter(move |(n, l, _)| n == name && labels.iter().all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v)))
}

fn scrape_samples(url: &str) -> Vec<Sample> {
    let (status, body) = scrape(url, None);
    assert_eq!(status, 200, "{body}");
    parse(&body)
}

fn click(event_type: &str, item: &str, at: i64) -> Event {
    Event::builder().event_type(event_type).item_id(item).sent_at(DateTime::from_secs(at)).build().unwrap()
}

/// The JSON access log lines of the server's log.
fn access_lines(server: &Server) -> Vec<serde_json::Value> {
    std::fs::read_to_string(&server.log)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["target"] == "reko::access")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traffic_moves_the_series_and_each_request_is_logged() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start_with(&tmp.path().join("data"), &["--log-format", "json"]);
    let (c, rt, ev) = (&server.control, &server.runtime, &server.events);
    let before = scrape_samples(&server.url);
    assert!(value(&before, "reko_process_resident_memory_bytes", &[]) > 0.0, "RSS is reported from the start");

    // A dataset group with a small imported Interactions dataset.
    let mut csv = String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
    for u in 0..USERS {
        for k in 0..PER_USER {
            csv.push_str(&format!(
                "u{u},i{},click,{}\n",
                (u * 7 + k * k) % ITEMS,
                1_700_000_000 + (u * PER_USER + k) * 60
            ));
        }
    }
    let file = tmp.path().join("interactions.csv");
    std::fs::write(&file, &csv).unwrap();
    let dsg = create_dataset_group(c, "metered").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(c, "metered-int", SCHEMA).await;
    let dataset = create_dataset(c, &dsg, "metered", "metered-int", "Interactions", &schema).await;
    let job = import(c, "metered-import", &dataset, &file_url(&file), None).await;
    wait_active(c, &Res::ImportJob(job)).await;

    // Events: four accepted (two types), one call rejected (unknown tracking id).
    let tracking_id = create_tracker(c, "metered-tracker", &dsg).await;
    let events = vec![
        click("click", "i1", 1_800_000_000),
        click("click", "i2", 1_800_000_001),
        click("click", "i3", 1_800_000_002),
        click("purchase", "i3", 1_800_000_003),
    ];
    ok(
        ev.put_events()
            .tracking_id(&tracking_id)
            .user_id("u1")
            .session_id("s1")
            .set_event_list(Some(events))
            .send()
            .await,
        "PutEvents",
    );
    let rejected = ev
        .put_events()
        .tracking_id("no-such-tracker")
        .session_id("s2")
        .event_list(click("view", "i1", 1_800_000_004))
        .send()
        .await;
    assert_eq!(rejected.unwrap_err().into_service_error().meta().code(), Some("ResourceNotFoundException"));

    // A tiny solution and its campaign.
    let solution = create_solution(c, &dsg, "metered-pop", "aws-popularity-count").await;
    let version = train(c, &solution).await;
    let campaign = deploy(c, "metered-camp", &version).await;

    let mid = scrape_samples(&server.url);
    let mut answered = Vec::new();
    const CALLS: usize = 3;
    for u in 0..CALLS {
        let out = ok(
            rt.get_recommendations().campaign_arn(&campaign).user_id(format!("u{u}")).num_results(5).send().await,
            "GetRecommendations",
        );
        answered.push((
            out.recommendation_id().expect("recommendationId").to_string(),
            out.request_id().expect("request id").to_string(),
        ));
    }
    let input: Vec<String> = (0..5).map(|i| format!("i{i}")).collect();
    let ranked =
        rt.get_personalized_ranking().campaign_arn(&campaign).user_id("u1").set_input_list(Some(input)).send().await;
    let ranked = ok(ranked, "GetPersonalizedRanking").recommendation_id().expect("recommendationId").to_string();
    let missing = rt.get_recommendations().campaign_arn(arn("campaign", "no-such-campaign")).user_id("u1").send().await;
    let missing = missing.unwrap_err().into_service_error();
    assert_eq!(missing.meta().code(), Some("ResourceNotFoundException"));
    let after = scrape_samples(&server.url);

    // Requests: the exact number of calls, by outcome.
    let recs_ok = [("operation", "GetRecommendations"), ("status", "200"), ("code", "none")];
    assert_eq!(
        value(&after, "reko_requests_total", &recs_ok) - value(&mid, "reko_requests_total", &recs_ok),
        CALLS as f64
    );
    let recs_missing = [("operation", "GetRecommendations"), ("code", "ResourceNotFoundException")];
    assert_eq!(
        value(&after, "reko_requests_total", &recs_missing) - value(&mid, "reko_requests_total", &recs_missing),
        1.0
    );
    let (_, labels, _) = matching(&after, "reko_requests_total", &recs_missing).next().unwrap();
    assert_eq!(labels["status"], "404", "{labels:?}");
    let latency = [("operation", "GetRecommendations")];
    let count = |s: &[Sample]| value(s, "reko_request_duration_seconds_count", &latency);
    assert_eq!(count(&after) - count(&mid), CALLS as f64 + 1.0);
    let bucket = [("operation", "GetRecommendations"), ("le", "+Inf")];
    assert_eq!(value(&after, "reko_request_duration_seconds_bucket", &bucket), count(&after), "a real histogram");
    // Per campaign: the deployed campaign by name, never the unknown one.
    let per_campaign = [("operation", "GetRecommendations"), ("campaign", "metered-camp")];
    assert_eq!(value(&after, "reko_campaign_request_duration_seconds_count", &per_campaign), CALLS as f64);
    assert!(!after
        .iter()
        .any(|(_, l, _)| l.get("campaign").is_some_and(|c| c.contains("no-such") || c.contains("arn:"))));
    for op in ["CreateDatasetGroup", "CreateCampaign", "PutEvents", "DescribeCampaign"] {
        assert!(value(&after, "reko_requests_total", &[("operation", op)]) >= 1.0, "{op}");
    }
    assert!(matching(&after, "reko_requests_in_flight", &[]).next().is_some());

    // Events by type and outcome.
    let events = |s: &[Sample], t: &str, outcome: &str| {
        value(s, "reko_events_total", &[("event_type", t), ("outcome", outcome)])
    };
    assert_eq!(events(&mid, "click", "accepted") - events(&before, "click", "accepted"), 3.0);
    assert_eq!(events(&mid, "purchase", "accepted"), 1.0);
    assert_eq!(events(&mid, "view", "rejected"), 1.0);
    assert_eq!(events(&mid, "view", "accepted"), 0.0);

    // Imports, tasks, models, memory.
    let group = [("dataset_group", "metered")];
    assert_eq!(value(&after, "reko_import_rows_total", &group), (USERS * PER_USER) as f64);
    assert_eq!(value(&after, "reko_import_bytes_total", &group), csv.len() as f64);
    let training = "solution-version-training";
    for phase in ["total", "snapshot", "fit", "evaluation", "artifact"] {
        let labels = [("kind", training), ("phase", phase)];
        assert!(value(&after, "reko_task_duration_seconds_count", &labels) >= 1.0, "training phase {phase}");
    }
    assert!(
        value(&after, "reko_task_duration_seconds_count", &[("kind", "dataset-import"), ("phase", "total")]) >= 1.0
    );
    assert!(value(&after, "reko_tasks_total", &[("kind", training), ("outcome", "succeeded")]) >= 1.0);
    assert!(matching(&after, "reko_task_queue_depth", &[]).next().is_some());
    assert!(value(&after, "reko_model_memory_bytes", &[("campaign", "metered-camp")]) > 0.0);
    assert!(value(&after, "reko_model_load_seconds_count", &[("campaign", "metered-camp")]) >= 1.0);
    assert!(value(&after, "reko_process_resident_memory_bytes", &[]) > 0.0);
    // Scrapes are neither counted nor logged as requests.
    assert_eq!(value(&after, "reko_requests_total", &[("operation", "Unknown")]), 0.0);

    // The access log: one JSON line per request, with its request id and recommendation id.
    let lines = access_lines(&server);
    for (recommendation_id, request_id) in &answered {
        let line = lines
            .iter()
            .find(|l| l["recommendation_id"] == recommendation_id.as_str())
            .unwrap_or_else(|| panic!("no access line with recommendation id {recommendation_id}"));
        assert_eq!(line["operation"], "GetRecommendations");
        assert_eq!(line["status"], 200);
        assert_eq!(line["request_id"], request_id.as_str());
        assert_eq!(line["campaign"], "metered-camp");
        assert_eq!(line["dataset_group"], "metered");
        assert!(line["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{line}");
        assert!(line.get("error_code").is_none(), "{line}");
    }
    let rank_line = lines.iter().find(|l| l["recommendation_id"] == ranked.as_str()).expect("the ranking is logged");
    assert_eq!(
        (rank_line["operation"].as_str(), rank_line["campaign"].as_str()),
        (Some("GetPersonalizedRanking"), Some("metered-camp"))
    );
    let failed = lines.iter().find(|l| l["campaign"] == "no-such-campaign").expect("the failed call is logged");
    assert_eq!(
        (failed["status"].as_u64(), failed["error_code"].as_str()),
        (Some(404), Some("ResourceNotFoundException"))
    );
    let gets = lines.iter().filter(|l| l["operation"] == "GetRecommendations").count();
    assert_eq!(gets, CALLS + 1);
    let create = lines.iter().find(|l| l["operation"] == "CreateSolution").expect("control-plane calls are logged");
    assert_eq!(create["dataset_group"], "metered");
    let put = lines.iter().find(|l| l["operation"] == "PutEvents" && l["status"] == 200).expect("PutEvents is logged");
    assert_eq!(put["dataset_group"], "metered");
}

#[test]
fn with_a_bearer_token_scrapes_must_present_it() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start_with(&tmp.path().join("data"), &["--metrics-token", "scrape-secret-1"]);
    let (status, body) = scrape(&server.url, None);
    assert_eq!(status, 401, "{body}");
    assert!(!body.contains("reko_"), "{body}");
    assert_eq!(scrape(&server.url, Some("scrape-secret-2")).0, 401);
    assert_eq!(scrape(&server.url, Some("scrape-secret")).0, 401);
    let (status, body) = scrape(&server.url, Some("scrape-secret-1"));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("reko_process_resident_memory_bytes"), "{body}");
    // The token never shows in the log.
    assert!(!std::fs::read_to_string(&server.log).unwrap().contains("scrape-secret-1"));
}

#[test]
fn with_no_metrics_there_is_no_endpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start_with(&tmp.path().join("data"), &["--no-metrics"]);
    let (status, body) = scrape(&server.url, None);
    assert_eq!(status, 404, "{body}");
    assert!(!body.contains("reko_"), "{body}");
}

#[test]
fn an_invalid_log_format_is_refused_with_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reko"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(tmp.path().join("data"))
        .env("REKO_LOG_FORMAT", "xml")
        .env("REKO_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("REKO_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("log_format") && stderr.contains("text or json") && stderr.contains("'xml'"), "{stderr}");
}

/// A correctly signed ListDatasetGroups that sent half its 10-byte body: it waits for the rest
/// in the unverified budget (as in overload.rs).
fn stalled_signed_request(authority: &str) -> std::net::TcpStream {
    let body = br#"{"a":1}   "#;
    let signed =
        [("content-type", "application/x-amz-json-1.1"), ("x-amz-target", "AmazonPersonalize.ListDatasetGroups")];
    let headers = Signer::personalize((ACCESS_KEY_ID, SECRET_ACCESS_KEY), REGION)
        .headers("POST", authority, "/", &signed, body)
        .unwrap();
    let mut s = std::net::TcpStream::connect(authority).unwrap();
    let mut head = format!(
        "POST / HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: AmazonPersonalize.ListDatasetGroups\r\nContent-Length: 10\r\n"
    );
    for (n, v) in headers.iter().filter(|(n, _)| n != "host") {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n{\"a\"");
    s.write_all(head.as_bytes()).unwrap();
    s.flush().unwrap();
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_and_in_flight_requests_are_counted() {
    let tmp = tempfile::tempdir().unwrap();
    // 4 slots: 1 request may wait for its body at once.
    let server = Server::start_with(&tmp.path().join("data"), &["--max-in-flight", "4"]);
    let authority = server.url.strip_prefix("http://").unwrap().to_string();
    ok(server.control.list_dataset_groups().send().await, "ListDatasetGroups with free slots");
    let stalled = stalled_signed_request(&authority);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let refused = server.control.list_dataset_groups().send().await.unwrap_err().into_service_error();
    assert_eq!(refused.meta().code(), Some("ThrottlingException"));

    let during = scrape_samples(&server.url);
    assert_eq!(value(&during, "reko_requests_throttled_total", &[("reason", "unverified")]), 1.0);
    assert_eq!(value(&during, "reko_requests_throttled_total", &[("reason", "in_flight")]), 0.0);
    let throttled = [("operation", "ListDatasetGroups"), ("status", "400"), ("code", "ThrottlingException")];
    assert_eq!(value(&during, "reko_requests_total", &throttled), 1.0);
    assert_eq!(value(&during, "reko_requests_in_flight", &[]), 1.0, "the stalled request is in flight");

    // A client that goes away mid-request is no longer in flight.
    drop(stalled);
    let started = std::time::Instant::now();
    while value(&scrape_samples(&server.url), "reko_requests_in_flight", &[]) != 0.0 {
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "still in flight");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
