//! Metric attributions through the official AWS SDK for Rust, against a real `reko serve`:
//!
//! * CreateMetricAttribution with SAMPLECOUNT and SUM metrics (an Items column and EVENT_VALUE)
//!   and a report folder; expressions naming a missing or non-numeric column, a report folder
//!   outside the data roots and a second attribution of the same group are refused, naming what
//!   is wrong (the reports themselves are checked by the service's unit test: windows last 15
//!   minutes);
//! * PutEvents with a campaign's recommendationId, with an eventAttributionSource (which wins
//!   over a recommendationId), with neither, and with an id Reko did not issue: the values read
//!   back from `GET /reko/metric-attribution` (and `GET /metrics`) are the exact sums per source,
//!   and survive a restart;
//! * CreateDatasetImportJob with `publishAttributionMetricsToS3` is refused without an attribution, and
//!   with one its interactions are measured into a report of their own (the output location);
//! * a key scoped to another group cannot describe, update, delete or read the attribution, and
//!   group A's recommendationId sent to group B's tracker is not attributed to A's campaign;
//! * UpdateMetricAttribution adds and removes metrics (ListMetricAttributionMetrics follows, new
//!   metrics count), DeleteMetricAttribution removes it and its values.

use std::time::{Duration, Instant};

use crate::common::*;
use aws_sdk_personalize::types::{MetricAttribute, MetricAttributionOutput, S3DataConfig};
use aws_sdk_personalizeevents::primitives::DateTime;
use aws_sdk_personalizeevents::types::{Event, MetricAttribution as EventSource};

const ROLE: &str = "arn:aws:iam::123456789012:role/PersonalizeRole";
const INTERACTIONS: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const ITEMS: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"PRICE","type":"double"},{"name":"GENRE","type":"string","categorical":true}],"version":"1.0"}"#;
const SCOPED_ID: &str = "AKIDMASCOPED01";
const SCOPED_SECRET: &str = "metric-attribution-scoped-0001";
const ROOT: (&str, &str) = (ACCESS_KEY_ID, SECRET_ACCESS_KEY);
const SCOPED: (&str, &str) = (SCOPED_ID, SCOPED_SECRET);
/// Events are sent at this time (a window start, 2023-11-14 22:15 UTC) and a little after.
const SENT: i64 = 1_700_000_100;

fn values_path(arn: &str) -> String {
    format!("/reko/metric-attribution?metricAttributionArn={}", arn.replace(':', "%3A").replace('/', "%2F"))
}

/// The totals of an attribution as `(metric, source, value, events)`, sorted.
fn totals(url: &str, arn: &str) -> Vec<(String, String, f64, u64)> {
    let (status, body) = signed_get(url, &values_path(arn), ROOT);
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["windowSeconds"], 900, "{v}");
    for w in v["windows"].as_array().unwrap() {
        assert_eq!(w["windowStart"].as_i64().unwrap() % 900, 0, "{w}");
    }
    let mut out: Vec<(String, String, f64, u64)> = v["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["metricName"].as_str().unwrap().to_string(),
                t["source"].as_str().unwrap().to_string(),
                t["value"].as_f64().unwrap(),
                t["events"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    out
}

fn row(metric: &str, source: &str, value: f64, events: u64) -> (String, String, f64, u64) {
    (metric.to_string(), source.to_string(), value, events)
}

fn metric(event_type: &str, name: &str, expression: &str) -> MetricAttribute {
    MetricAttribute::builder().event_type(event_type).metric_name(name).expression(expression).build().unwrap()
}

fn output() -> MetricAttributionOutput {
    MetricAttributionOutput::builder().role_arn(ROLE).build().unwrap()
}

fn event(event_type: &str, item: &str, at: i64, value: Option<f64>, rid: Option<&str>, source: Option<&str>) -> Event {
    Event::builder()
        .event_type(event_type)
        .item_id(item)
        .sent_at(DateTime::from_secs(at))
        .set_event_value(value.map(|v| v as f32))
        .set_recommendation_id(rid.map(str::to_string))
        .set_metric_attribution(source.map(|s| EventSource::builder().event_attribution_source(s).build().unwrap()))
        .build()
        .unwrap()
}

async fn put(server: &Server, tracking_id: &str, events: Vec<Event>) {
    ok(
        server
            .events
            .put_events()
            .tracking_id(tracking_id)
            .user_id("u1")
            .session_id("s1")
            .set_event_list(Some(events))
            .send()
            .await,
        "PutEvents",
    );
}

/// Polls DescribeMetricAttribution until it is ACTIVE.
async fn wait_attribution_active(c: &aws_sdk_personalize::Client, arn: &str) {
    let started = Instant::now();
    loop {
        let out = ok(c.describe_metric_attribution().metric_attribution_arn(arn).send().await, "Describe");
        let status = out.metric_attribution().and_then(|m| m.status()).unwrap_or_default().to_string();
        if status == "ACTIVE" {
            return;
        }
        assert!(["CREATE PENDING", "CREATE IN_PROGRESS"].contains(&status.as_str()), "status {status}");
        assert!(started.elapsed() < WAIT, "metric attribution {arn} stuck in {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn scoped_client(url: &str) -> aws_sdk_personalize::Client {
    use aws_sdk_personalize::config::{BehaviorVersion, Credentials, Region};
    let conf = aws_sdk_personalize::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(url)
        .credentials_provider(Credentials::new(SCOPED_ID, SCOPED_SECRET, None, None, "test"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(aws_sdk_personalize::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_personalize::Client::from_conf(conf)
}

/// Group A: interactions (1,200 rows), items with a PRICE, a trained popularity campaign and a
/// tracker. Returns (group, campaign, tracking id).
async fn stage_a(c: &aws_sdk_personalize::Client, dir: &std::path::Path) -> (String, String, String) {
    let g = create_dataset_group(c, "ma-a").await;
    wait_active(c, &Res::DatasetGroup(g.clone())).await;
    let di = create_dataset(c, &g, "ma-a", "ma-a-i", "Interactions", &arn("schema", "ma-interactions")).await;
    let dt = create_dataset(c, &g, "ma-a", "ma-a-t", "Items", &arn("schema", "ma-items")).await;
    let mut rows = String::from("USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP\n");
    for k in 0..1200 {
        rows.push_str(&format!("u{},i{},click,1.0,{}\n", k % 60, (k * 7) % 20, 1_690_000_000 + k));
    }
    std::fs::write(dir.join("ma-i.csv"), rows).unwrap();
    let mut items = String::from("ITEM_ID,PRICE,GENRE\n");
    for i in 0..20 {
        items.push_str(&format!("i{i},{}.25,g{}\n", i, i % 3));
    }
    std::fs::write(dir.join("ma-t.csv"), items).unwrap();
    for (job, ds, file) in [("ma-a-ii", &di, "ma-i.csv"), ("ma-a-it", &dt, "ma-t.csv")] {
        let j = import(c, job, ds, &file_url(&dir.join(file)), None).await;
        wait_active(c, &Res::ImportJob(j)).await;
    }
    let sol = create_solution(c, &g, "ma-a-sol", "aws-popularity-count").await;
    let sv = train(c, &sol).await;
    let camp = deploy(c, "ma-a-camp", &sv).await;
    let t = create_tracker(c, "ma-a-tracker", &g).await;
    (g, camp, t)
}

/// A bulk import with `publishAttributionMetricsToS3` into group A, whose attribution reports to
/// `ma-reports/`: its interactions are measured and written as one report there.
async fn publish_import(c: &aws_sdk_personalize::Client, dir: &std::path::Path) {
    let mut rows = String::from("USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP\n");
    for k in 0..1000 {
        let (event_type, value) = if k % 4 == 0 { ("buy", 2.0) } else { ("click", 0.5) };
        rows.push_str(&format!("u{},i{},{event_type},{value},{}\n", k % 60, k % 20, 1_690_000_000 + k));
    }
    std::fs::write(dir.join("ma-publish.csv"), rows).unwrap();
    let job = ok(
        c.create_dataset_import_job()
            .job_name("ma-a-published")
            .dataset_arn(arn("dataset", "ma-a/INTERACTIONS"))
            .data_source(
                aws_sdk_personalize::types::DataSource::builder()
                    .data_location(file_url(&dir.join("ma-publish.csv")))
                    .build(),
            )
            .role_arn(ROLE)
            .import_mode(aws_sdk_personalize::types::ImportMode::Incremental)
            .publish_attribution_metrics_to_s3(true)
            .send()
            .await,
        "CreateDatasetImportJob(publishAttributionMetricsToS3)",
    )
    .dataset_import_job_arn()
    .unwrap()
    .to_string();
    wait_active(c, &Res::ImportJob(job)).await;
    let report = dir.join("ma-reports").join("ma-a-attribution-import-ma-a-published.csv");
    let text = std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("{}: {e}", report.display()));
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("METRIC_NAME,EVENT_ATTRIBUTION_SOURCE,WINDOW_START,VALUE,EVENTS"));
    let mut totals: std::collections::BTreeMap<String, (f64, u64)> = Default::default();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f[1], "SOURCE_NAME_UNDEFINED", "{line}");
        assert_eq!(f[2].parse::<i64>().unwrap() % 900, 0, "15-minute windows: {line}");
        let t = totals.entry(f[0].to_string()).or_default();
        t.0 += f[3].parse::<f64>().unwrap();
        t.1 += f[4].parse::<u64>().unwrap();
    }
    // 750 clicks of value 0.5; 250 purchases of i0, i4, i8, i12 and i16 (50 each, priced i.25).
    let want = [("CLICKS", 750.0, 750), ("CLICK_VALUE", 375.0, 750), ("REVENUE", 2062.5, 250)];
    let got: Vec<(&str, f64, u64)> = totals.iter().map(|(k, v)| (k.as_str(), v.0, v.1)).collect();
    assert_eq!(got, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metric_attribution_measures_events_per_source() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let data = dir.join("data");
    let config = scoped_key_config(&dir, SCOPED_ID, SCOPED_SECRET, &arn("dataset-group", "ma-b"));
    let config_arg = config.to_str().unwrap().to_string();
    let mut server = Server::start_with(&data, &["--config", &config_arg]);
    let c = server.control.clone();
    create_schema(&c, "ma-interactions", INTERACTIONS).await;
    create_schema(&c, "ma-items", ITEMS).await;
    let (ga, camp, tracker_a) = stage_a(&c, &dir).await;
    // Group B: interactions only, a tracker and an attribution of its own.
    let gb = create_dataset_group(&c, "ma-b").await;
    wait_active(&c, &Res::DatasetGroup(gb.clone())).await;
    create_dataset(&c, &gb, "ma-b", "ma-b-i", "Interactions", &arn("schema", "ma-interactions")).await;
    let tracker_b = create_tracker(&c, "ma-b-tracker", &gb).await;

    // Without an attribution in the group, asking for an import's report is refused, not ignored.
    let e = expect_code(
        c.create_dataset_import_job()
            .job_name("ma-a-publish")
            .dataset_arn(arn("dataset", "ma-a/INTERACTIONS"))
            .data_source(
                aws_sdk_personalize::types::DataSource::builder()
                    .data_location(file_url(&dir.join("ma-i.csv")))
                    .build(),
            )
            .role_arn(ROLE)
            .publish_attribution_metrics_to_s3(true)
            .send()
            .await,
        "InvalidInputException",
        "publishAttributionMetricsToS3",
    );
    assert!(e.contains("publishAttributionMetricsToS3"), "{e}");

    // Refusals name the member and what is wrong.
    let create = |name: &str, g: &str, metrics: Vec<MetricAttribute>, out: MetricAttributionOutput| {
        c.create_metric_attribution()
            .name(name)
            .dataset_group_arn(g)
            .set_metrics(Some(metrics))
            .metrics_output_config(out)
            .send()
    };
    let e = expect_code(
        create("ma-x", &ga, vec![metric("buy", "R", "SUM(Items.NOPE)")], output()).await,
        "InvalidInputException",
        "a missing column",
    );
    assert!(e.contains("metrics.1.expression") && e.contains("NOPE") && e.contains("PRICE"), "{e}");
    let e = expect_code(
        create("ma-x", &ga, vec![metric("buy", "R", "SUM(Items.GENRE)")], output()).await,
        "InvalidInputException",
        "a string column",
    );
    assert!(e.contains("GENRE") && e.contains("not numeric"), "{e}");
    let e = expect_code(
        create("ma-x", &ga, vec![metric("buy", "R", "AVG(Items.PRICE)")], output()).await,
        "InvalidInputException",
        "an unknown function",
    );
    assert!(e.contains("'AVG(Items.PRICE)' at 'metrics.1.expression'"), "{e}");
    let to = |path: &str| {
        MetricAttributionOutput::builder()
            .role_arn(ROLE)
            .s3_data_destination(S3DataConfig::builder().path(path).build().unwrap())
            .build()
            .unwrap()
    };
    let e = expect_code(
        create("ma-x", &ga, vec![metric("click", "C", "SAMPLECOUNT()")], to("file:///etc/reko-reports/")).await,
        "InvalidInputException",
        "a report folder outside the data roots",
    );
    assert!(e.contains("'file:///etc/reko-reports/' at 'metricsOutputConfig.s3DataDestination.path'"), "{e}");

    let metrics = vec![
        metric("click", "CLICKS", "SAMPLECOUNT()"),
        metric("click", "CLICK_VALUE", "SUM(Interactions.EVENT_VALUE)"),
        metric("buy", "REVENUE", "SUM(Items.PRICE)"),
    ];
    let reports = format!("file://{}/ma-reports/", dir.display());
    let ma = ok(create("ma-a-attribution", &ga, metrics, to(&reports)).await, "CreateMetricAttribution")
        .metric_attribution_arn()
        .expect("metricAttributionArn")
        .to_string();
    assert_eq!(ma, arn("metric-attribution", "ma-a-attribution"));
    expect_code(
        create("ma-a-second", &ga, vec![metric("click", "C", "SAMPLECOUNT()")], output()).await,
        "ResourceAlreadyExistsException",
        "a second attribution of the group",
    );
    wait_attribution_active(&c, &ma).await;
    publish_import(&c, &dir).await;
    let mb = ok(
        create("ma-b-attribution", &gb, vec![metric("click", "CLICKS", "SAMPLECOUNT()")], output()).await,
        "CreateMetricAttribution(B)",
    )
    .metric_attribution_arn()
    .unwrap()
    .to_string();
    wait_attribution_active(&c, &mb).await;
    let described = ok(c.describe_metric_attribution().metric_attribution_arn(&ma).send().await, "Describe");
    let d = described.metric_attribution().unwrap();
    let output = d.metrics_output_config().unwrap();
    assert_eq!(
        (d.name(), d.dataset_group_arn(), output.role_arn(), output.s3_data_destination().map(|s| s.path())),
        (Some("ma-a-attribution"), Some(ga.as_str()), ROLE, Some(reports.as_str()))
    );
    let listed = ok(c.list_metric_attributions().dataset_group_arn(&ga).send().await, "ListMetricAttributions");
    let names: Vec<_> = listed.metric_attributions().iter().filter_map(|m| m.name()).collect();
    assert_eq!(names, ["ma-a-attribution"]);

    // Recommendations name the campaign that issued them.
    let rec = ok(
        server.runtime.get_recommendations().campaign_arn(&camp).user_id("u1").num_results(5).send().await,
        "GetRecommendations",
    );
    let rid = rec.recommendation_id().expect("recommendationId").to_string();
    assert_eq!(rid.len(), 40, "{rid}");
    let t = SENT;
    put(
        &server,
        &tracker_a,
        vec![
            event("click", "i1", t, Some(1.5), Some(&rid), None),
            event("click", "i2", t + 1, Some(2.0), Some(&rid), None),
            event("buy", "i10", t + 2, None, Some(&rid), None),
            event("click", "i3", t + 3, Some(3.0), None, Some("email")),
            event("buy", "i2", t + 4, None, None, Some("email")),
            // Both: the event's own source wins.
            event("click", "i4", t + 5, Some(0.5), Some(&rid), Some("web")),
        ],
    )
    .await;
    put(
        &server,
        &tracker_a,
        vec![
            event("click", "i5", t + 6, None, None, None),
            event("view", "i5", t + 7, Some(9.0), Some(&rid), None),
            // An id Reko did not issue, and one the campaign's ARN does not match.
            event("click", "i6", t + 900, Some(4.0), Some("RID-not-issued-by-reko"), None),
            event("click", "i6", t + 901, Some(1.0), Some("RID-c0000000000000000-000000000000000000"), None),
        ],
    )
    .await;
    let mut expected_a = vec![
        row("CLICKS", &camp, 2.0, 2),
        row("CLICKS", "SOURCE_NAME_UNDEFINED", 3.0, 3),
        row("CLICKS", "email", 1.0, 1),
        row("CLICKS", "web", 1.0, 1),
        row("CLICK_VALUE", &camp, 3.5, 2),
        row("CLICK_VALUE", "SOURCE_NAME_UNDEFINED", 5.0, 2),
        row("CLICK_VALUE", "email", 3.0, 1),
        row("CLICK_VALUE", "web", 0.5, 1),
        row("REVENUE", &camp, 10.25, 1),
        row("REVENUE", "email", 2.25, 1),
    ];
    expected_a.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    assert_eq!(totals(&server.url, &ma), expected_a);
    // Two windows: the events at t.. and those 15 minutes later.
    let (_, body) = signed_get(&server.url, &values_path(&ma), ROOT);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let starts: std::collections::BTreeSet<i64> =
        v["windows"].as_array().unwrap().iter().map(|w| w["windowStart"].as_i64().unwrap()).collect();
    assert_eq!(starts.into_iter().collect::<Vec<_>>(), [t - t % 900, t - t % 900 + 900], "{v}");

    // Group A's recommendation id sent to group B's tracker is not A's campaign there.
    put(&server, &tracker_b, vec![event("click", "i1", t, None, Some(&rid), None)]).await;
    assert_eq!(totals(&server.url, &mb), [row("CLICKS", "SOURCE_NAME_UNDEFINED", 1.0, 1)]);
    assert_eq!(totals(&server.url, &ma), expected_a, "B's events changed A's values");

    // A key scoped to group B reaches none of A's attribution.
    let scoped = scoped_client(&server.url);
    expect_code(
        scoped.describe_metric_attribution().metric_attribution_arn(&ma).send().await,
        "ResourceNotFoundException",
        "scoped Describe",
    );
    expect_code(
        scoped.update_metric_attribution().metric_attribution_arn(&ma).remove_metrics("CLICKS").send().await,
        "ResourceNotFoundException",
        "scoped Update",
    );
    expect_code(
        scoped.delete_metric_attribution().metric_attribution_arn(&ma).send().await,
        "ResourceNotFoundException",
        "scoped Delete",
    );
    expect_code(
        scoped.list_metric_attribution_metrics().metric_attribution_arn(&ma).send().await,
        "ResourceNotFoundException",
        "scoped ListMetricAttributionMetrics",
    );
    let scoped_list = ok(scoped.list_metric_attributions().send().await, "scoped ListMetricAttributions");
    let names: Vec<_> = scoped_list.metric_attributions().iter().filter_map(|m| m.name()).collect();
    assert_eq!(names, ["ma-b-attribution"]);
    let (status, body) = signed_get(&server.url, &values_path(&ma), SCOPED);
    assert!(status >= 400 && body.contains("ResourceNotFoundException") && !body.contains("CLICKS"), "{body}");
    let (status, body) = signed_get(&server.url, &values_path(&mb), SCOPED);
    assert_eq!(status, 200, "{body}");
    let (status, body) = signed_get(&server.url, "/reko/metric-attribution?metricAttributionArn=nope", ROOT);
    assert!(status == 400 && body.contains("'nope'"), "{body}");
    let (status, body) = signed_get(&server.url, "/reko/metric-attribution?arn=x", ROOT);
    assert!(status == 400 && body.contains("arn"), "{body}");

    // Prometheus: a series per attribution, metric and source (campaigns by name), since the start.
    let (status, scrape) = signed_get(&server.url, "/metrics", ROOT);
    assert_eq!(status, 200);
    let series = |name: &str, metric: &str, source: &str| -> Option<f64> {
        scrape
            .lines()
            .find(|l| {
                l.starts_with(&format!("{name}{{"))
                    && l.contains(r#"metric_attribution="ma-a-attribution""#)
                    && l.contains(&format!(r#"metric="{metric}""#))
                    && l.contains(&format!(r#"source="{source}""#))
            })
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
    };
    assert_eq!(series("reko_metric_attribution_value_total", "REVENUE", "ma-a-camp"), Some(10.25), "{scrape}");
    assert_eq!(series("reko_metric_attribution_events_total", "CLICKS", "SOURCE_NAME_UNDEFINED"), Some(3.0));
    assert_eq!(series("reko_metric_attribution_value_total", "CLICK_VALUE", "email"), Some(3.0));

    // The values survive a restart.
    server.stop();
    let server = Server::start_with(&data, &["--config", &config_arg]);
    let c = server.control.clone();
    assert_eq!(totals(&server.url, &ma), expected_a, "after the restart");

    // Update: remove one metric, add another; the list of definitions follows.
    let e = expect_code(
        c.update_metric_attribution().metric_attribution_arn(&ma).remove_metrics("NOPE").send().await,
        "InvalidInputException",
        "removing a metric it does not have",
    );
    assert!(e.contains("removeMetrics.1") && e.contains("'NOPE'"), "{e}");
    expect_code(
        c.update_metric_attribution()
            .metric_attribution_arn(&ma)
            .add_metrics(metric("click", "CLICKS", "SAMPLECOUNT()"))
            .send()
            .await,
        "ResourceAlreadyExistsException",
        "adding a metric name it has",
    );
    ok(
        c.update_metric_attribution()
            .metric_attribution_arn(&ma)
            .remove_metrics("CLICK_VALUE")
            .add_metrics(metric("buy", "BUYS", "SAMPLECOUNT()"))
            .send()
            .await,
        "UpdateMetricAttribution",
    );
    let listed = ok(c.list_metric_attribution_metrics().metric_attribution_arn(&ma).send().await, "ListMetrics");
    let defined: Vec<(&str, &str, &str)> =
        listed.metrics().iter().map(|m| (m.metric_name(), m.event_type(), m.expression())).collect();
    assert_eq!(
        defined,
        [
            ("BUYS", "buy", "SAMPLECOUNT()"),
            ("CLICKS", "click", "SAMPLECOUNT()"),
            ("REVENUE", "buy", "SUM(Items.PRICE)")
        ]
    );
    let paged = ok(
        c.list_metric_attribution_metrics().metric_attribution_arn(&ma).max_results(2).send().await,
        "ListMetrics page",
    );
    assert_eq!(paged.metrics().len(), 2);
    let rest = ok(
        c.list_metric_attribution_metrics()
            .metric_attribution_arn(&ma)
            .next_token(paged.next_token().expect("nextToken"))
            .send()
            .await,
        "ListMetrics page 2",
    );
    assert_eq!(rest.metrics().iter().map(|m| m.metric_name()).collect::<Vec<_>>(), ["REVENUE"]);
    put(&server, &tracker_a, vec![event("buy", "i3", t + 10, None, None, Some("email"))]).await;
    let after = totals(&server.url, &ma);
    assert!(after.contains(&row("BUYS", "email", 1.0, 1)), "{after:?}");
    assert!(after.contains(&row("REVENUE", "email", 5.5, 2)), "{after:?}");

    // Delete: gone, with its values.
    ok(c.delete_metric_attribution().metric_attribution_arn(&ma).send().await, "DeleteMetricAttribution");
    let started = Instant::now();
    loop {
        match c.describe_metric_attribution().metric_attribution_arn(&ma).send().await {
            Err(e) => {
                expect_code::<(), _>(Err(e), "ResourceNotFoundException", "Describe after Delete");
                break;
            }
            Ok(_) => {
                assert!(started.elapsed() < WAIT, "metric attribution not deleted");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    let listed = ok(c.list_metric_attributions().dataset_group_arn(&ga).send().await, "List after Delete");
    assert!(listed.metric_attributions().is_empty());
    let (status, body) = signed_get(&server.url, &values_path(&ma), ROOT);
    assert!(status >= 400 && body.contains("ResourceNotFoundException"), "{body}");
}
