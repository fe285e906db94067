//! Isolation between tenants as a property: for every operation of the three services, random and
//! hostile bodies sent with keys scoped to tenant A never read, change or create anything of
//! tenant B, and never bring the server down.
//!
//! Tenant B has a full set of resources (datasets, an import job, a solution and version, a
//! campaign, an event tracker, a filter, a metric attribution). Each case takes a valid request
//! template of one operation, fills each resource slot with A's or B's resource, and may make the
//! body hostile (an extra member with an out-of-range number, a lone surrogate or deep nesting, a
//! member given twice, the members as an array, the body as a bare string, raw bytes). Checked:
//! * every answer is a client error or a success, never a 5xx or a dropped connection;
//! * no successful answer mentions anything of B;
//! * afterwards, through the root key: B's resources, lists, tags and records are unchanged,
//!   and no dataset group outside A's scope was created.

use std::io::{Read, Write};
use std::net::TcpStream;

use crate::common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const SCOPED_ID: &str = "AKIDTENANTA01";
const SCOPED_SECRET: &str = "tenant-a-secret-000000001";
const FRONT_ID: &str = "AKIDFRONTA001";
const FRONT_SECRET: &str = "tenant-a-front-secret-0001";

const INTERACTIONS: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const ITEMS: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":["null","string"],"categorical":true}],"version":"1.0"}"#;
/// [`ITEMS`] with one more nullable column: what UpdateDataset may replace it with.
const ITEMS_V2: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":["null","string"],"categorical":true},{"name":"BRAND","type":["null","string"]}],"version":"1.1"}"#;
const USERS: &str = r#"{"type":"record","name":"Users","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"AGE","type":["null","int"]}],"version":"1.0"}"#;

const ACTIONS: &str = r#"{"type":"record","name":"Actions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ACTION_ID","type":"string"},{"name":"VALUE","type":["null","long"]}],"version":"1.0"}"#;
const ACTION_INTERACTIONS: &str = r#"{"type":"record","name":"ActionInteractions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ACTION_ID","type":"string"},{"name":"TIMESTAMP","type":"long"},{"name":"EVENT_TYPE","type":"string"}],"version":"1.0"}"#;

/// One tenant's resources, by slot name.
struct Tenant {
    slots: Vec<(&'static str, String)>,
}

impl Tenant {
    fn get(&self, slot: &str) -> &str {
        &self.slots.iter().find(|(s, _)| *s == slot).unwrap_or_else(|| panic!("slot {slot}")).1
    }
}

async fn populate(c: &aws_sdk_personalize::Client, name: &str, dir: &std::path::Path) -> Tenant {
    let g = create_dataset_group(c, name).await;
    wait_active(c, &Res::DatasetGroup(g.clone())).await;
    let di =
        create_dataset(c, &g, name, &format!("{name}-i"), "Interactions", &arn("schema", "iso-interactions")).await;
    let dt = create_dataset(c, &g, name, &format!("{name}-t"), "Items", &arn("schema", "iso-items")).await;
    let da = create_dataset(c, &g, name, &format!("{name}-a"), "Actions", &arn("schema", "iso-actions")).await;
    let dx = create_dataset(
        c,
        &g,
        name,
        &format!("{name}-x"),
        "Action_Interactions",
        &arn("schema", "iso-action-interactions"),
    )
    .await;
    let described = ok(c.describe_dataset().dataset_arn(&dx).send().await, "DescribeDataset");
    let at = described.dataset().and_then(|d| d.tracking_id()).expect("trackingId").to_string();
    let csv = dir.join(format!("{name}.csv"));
    let mut rows = String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
    for k in 0..1200 {
        rows.push_str(&format!("u{},i{},click,{}\n", k % 60, (k * 7) % 40, 1_700_000_000 + k));
    }
    std::fs::write(&csv, &rows).unwrap();
    let ij = import(c, &format!("{name}-import"), &di, &file_url(&csv), None).await;
    wait_active(c, &Res::ImportJob(ij.clone())).await;
    let s = create_solution(c, &g, &format!("{name}-sol"), "aws-popularity-count").await;
    let sv = train(c, &s).await;
    let camp = deploy(c, &format!("{name}-camp"), &sv).await;
    let t = create_tracker(c, &format!("{name}-tracker"), &g).await;
    let et = arn("event-tracker", &format!("{name}-tracker"));
    let f =
        create_filter(c, &g, &format!("{name}-filter"), r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("buy")"#)
            .await;
    let ma = ok(
        c.create_metric_attribution()
            .name(format!("{name}-ma"))
            .dataset_group_arn(&g)
            .metrics(
                aws_sdk_personalize::types::MetricAttribute::builder()
                    .event_type("click")
                    .metric_name("CLICKS")
                    .expression("SAMPLECOUNT()")
                    .build()
                    .unwrap(),
            )
            .metrics_output_config(
                aws_sdk_personalize::types::MetricAttributionOutput::builder()
                    .role_arn("arn:aws:iam::123456789012:role/R")
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
        "CreateMetricAttribution",
    )
    .metric_attribution_arn()
    .unwrap()
    .to_string();
    // A domain group with a recommender (the scoped key's third group for A).
    let gs = ok(
        c.create_dataset_group()
            .name(format!("{name}-shop"))
            .domain(aws_sdk_personalize::types::Domain::Ecommerce)
            .send()
            .await,
        "CreateDatasetGroup(domain)",
    )
    .dataset_group_arn()
    .expect("datasetGroupArn")
    .to_string();
    wait_active(c, &Res::DatasetGroup(gs.clone())).await;
    let ds = create_dataset(
        c,
        &gs,
        &format!("{name}-shop"),
        &format!("{name}-shop-i"),
        "Interactions",
        &arn("schema", "iso-shop-interactions"),
    )
    .await;
    let shop_csv = dir.join(format!("{name}-shop.csv"));
    std::fs::write(&shop_csv, rows.replace(",click,", ",View,")).unwrap();
    let sj = import(c, &format!("{name}-shop-import"), &ds, &file_url(&shop_csv), None).await;
    wait_active(c, &Res::ImportJob(sj)).await;
    let r = ok(
        c.create_recommender()
            .name(format!("{name}-rec"))
            .dataset_group_arn(&gs)
            .recipe_arn(recipe("aws-ecomm-popular-items-by-views"))
            .send()
            .await,
        "CreateRecommender",
    )
    .recommender_arn()
    .expect("recommenderArn")
    .to_string();
    wait_active(c, &Res::Recommender(r.clone())).await;
    ok(
        c.tag_resource()
            .resource_arn(&camp)
            .tags(aws_sdk_personalize::types::Tag::builder().tag_key("owner").tag_value(name).build().unwrap())
            .send()
            .await,
        "TagResource",
    );
    Tenant {
        slots: vec![
            ("G", g),
            ("DI", di),
            ("DT", dt),
            ("IJ", ij),
            ("S", s),
            ("SV", sv),
            ("C", camp),
            ("ET", et),
            ("T", t),
            ("F", f),
            ("MA", ma),
            ("GS", gs),
            ("R", r),
            ("DA", da),
            ("DX", dx),
            ("AT", at),
        ],
    }
}

/// Where an operation is sent, and a valid body with `{SLOT}` placeholders. A `!` after a slot
/// (`{G!}`) marks the target of a destructive operation: A's value there is a resource that does
/// not exist, so the cases never delete A's own resources.
const OPERATIONS: &[(&str, &str)] = &[
    ("CreateDatasetGroup", r#"{"name":"{NAME}"}"#),
    ("DescribeDatasetGroup", r#"{"datasetGroupArn":"{G}"}"#),
    ("ListDatasetGroups", r#"{"maxResults":5}"#),
    ("DeleteDatasetGroup", r#"{"datasetGroupArn":"{G!}"}"#),
    ("CreateDataset", r#"{"name":"ds-{N}","datasetGroupArn":"{G}","datasetType":"Users","schemaArn":"{USERS}"}"#),
    ("DescribeDataset", r#"{"datasetArn":"{DI}"}"#),
    ("ListDatasets", r#"{"datasetGroupArn":"{G}"}"#),
    ("DeleteDataset", r#"{"datasetArn":"{DT!}"}"#),
    ("UpdateDataset", r#"{"datasetArn":"{DT}","schemaArn":"{ITEMS2}"}"#),
    (
        "CreateDatasetImportJob",
        r#"{"jobName":"ij-{N}","datasetArn":"{DI}","dataSource":{"dataLocation":"{CSV}"},"roleArn":"arn:aws:iam::123456789012:role/R","importMode":"INCREMENTAL"}"#,
    ),
    ("DescribeDatasetImportJob", r#"{"datasetImportJobArn":"{IJ}"}"#),
    ("ListDatasetImportJobs", r#"{"datasetArn":"{DI}"}"#),
    (
        "CreateDatasetExportJob",
        r#"{"jobName":"ex-{N}","datasetArn":"{DI}","roleArn":"arn:aws:iam::123456789012:role/R","ingestionMode":"ALL","jobOutput":{"s3DataDestination":{"path":"{OUT}"}}}"#,
    ),
    ("ListDatasetExportJobs", r#"{"datasetArn":"{DI}"}"#),
    (
        "CreateDataDeletionJob",
        r#"{"jobName":"dd-{N}","datasetGroupArn":"{G}","dataSource":{"dataLocation":"{CSV}"},"roleArn":"arn:aws:iam::123456789012:role/R"}"#,
    ),
    ("ListDataDeletionJobs", r#"{"datasetGroupArn":"{G}"}"#),
    (
        "CreateMetricAttribution",
        r#"{"name":"ma-{N}","datasetGroupArn":"{G}","metrics":[{"eventType":"click","metricName":"C","expression":"SAMPLECOUNT()"}],"metricsOutputConfig":{"roleArn":"arn:aws:iam::123456789012:role/R"}}"#,
    ),
    ("DescribeMetricAttribution", r#"{"metricAttributionArn":"{MA}"}"#),
    ("ListMetricAttributions", r#"{"datasetGroupArn":"{G}"}"#),
    (
        "UpdateMetricAttribution",
        r#"{"metricAttributionArn":"{MA}","addMetrics":[{"eventType":"buy","metricName":"B{N}","expression":"SAMPLECOUNT()"}]}"#,
    ),
    ("DeleteMetricAttribution", r#"{"metricAttributionArn":"{MA!}"}"#),
    ("ListMetricAttributionMetrics", r#"{"metricAttributionArn":"{MA}"}"#),
    (
        "CreateSolution",
        r#"{"name":"sol-{N}","datasetGroupArn":"{G}","recipeArn":"arn:aws:personalize:::recipe/aws-popularity-count"}"#,
    ),
    ("DescribeSolution", r#"{"solutionArn":"{S}"}"#),
    ("ListSolutions", r#"{"datasetGroupArn":"{G}"}"#),
    ("DeleteSolution", r#"{"solutionArn":"{S!}"}"#),
    (
        "UpdateSolution",
        r#"{"solutionArn":"{S}","performAutoTraining":true,"solutionUpdateConfig":{"autoTrainingConfig":{"schedulingExpression":"rate(2 days)"}}}"#,
    ),
    ("CreateSolutionVersion", r#"{"solutionArn":"{S}","trainingMode":"FULL"}"#),
    ("DescribeSolutionVersion", r#"{"solutionVersionArn":"{SV}"}"#),
    ("ListSolutionVersions", r#"{"solutionArn":"{S}"}"#),
    ("StopSolutionVersionCreation", r#"{"solutionVersionArn":"{SV}"}"#),
    ("GetSolutionMetrics", r#"{"solutionVersionArn":"{SV}"}"#),
    ("CreateCampaign", r#"{"name":"camp-{N}","solutionVersionArn":"{SV}","minProvisionedTPS":1}"#),
    (
        "CreateCampaign",
        r#"{"name":"camp-{N}","solutionVersionArn":"{S}/$LATEST","campaignConfig":{"syncWithLatestSolutionVersion":true}}"#,
    ),
    ("DescribeCampaign", r#"{"campaignArn":"{C}"}"#),
    ("ListCampaigns", r#"{"solutionArn":"{S}"}"#),
    ("UpdateCampaign", r#"{"campaignArn":"{C}","solutionVersionArn":"{SV}","minProvisionedTPS":2}"#),
    (
        "UpdateCampaign",
        r#"{"campaignArn":"{C}","solutionVersionArn":"{S}/$LATEST","campaignConfig":{"syncWithLatestSolutionVersion":true}}"#,
    ),
    ("DeleteCampaign", r#"{"campaignArn":"{C!}"}"#),
    ("CreateEventTracker", r#"{"name":"et-{N}","datasetGroupArn":"{G}"}"#),
    ("DescribeEventTracker", r#"{"eventTrackerArn":"{ET}"}"#),
    ("ListEventTrackers", r#"{"datasetGroupArn":"{G}"}"#),
    ("DeleteEventTracker", r#"{"eventTrackerArn":"{ET!}"}"#),
    (
        "CreateFilter",
        r#"{"name":"f-{N}","datasetGroupArn":"{G}","filterExpression":"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"x\")"}"#,
    ),
    ("DescribeFilter", r#"{"filterArn":"{F}"}"#),
    ("ListFilters", r#"{"datasetGroupArn":"{G}"}"#),
    ("DeleteFilter", r#"{"filterArn":"{F!}"}"#),
    (
        "CreateBatchInferenceJob",
        r#"{"jobName":"bi-{N}","solutionVersionArn":"{SV}","filterArn":"{F}","roleArn":"arn:aws:iam::123456789012:role/R","jobInput":{"s3DataSource":{"path":"{CSV}"}},"jobOutput":{"s3DataDestination":{"path":"{OUT}"}}}"#,
    ),
    ("ListBatchInferenceJobs", r#"{"solutionVersionArn":"{SV}"}"#),
    (
        "CreateRecommender",
        r#"{"name":"rec-{N}","datasetGroupArn":"{GS}","recipeArn":"arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-views"}"#,
    ),
    ("DescribeRecommender", r#"{"recommenderArn":"{R}"}"#),
    ("ListRecommenders", r#"{"datasetGroupArn":"{GS}"}"#),
    ("UpdateRecommender", r#"{"recommenderArn":"{R}","recommenderConfig":{"enableMetadataWithRecommendations":true}}"#),
    ("StopRecommender", r#"{"recommenderArn":"{R}"}"#),
    ("StartRecommender", r#"{"recommenderArn":"{R}"}"#),
    ("DeleteRecommender", r#"{"recommenderArn":"{R!}"}"#),
    ("ListBatchSegmentJobs", r#"{"solutionVersionArn":"{SV}"}"#),
    ("TagResource", r#"{"resourceArn":"{ANY}","tags":[{"tagKey":"owner","tagValue":"intruder"}]}"#),
    ("UntagResource", r#"{"resourceArn":"{ANY}","tagKeys":["owner"]}"#),
    ("ListTagsForResource", r#"{"resourceArn":"{ANY}"}"#),
    ("ListSchemas", r#"{}"#),
    ("ListRecipes", r#"{}"#),
    ("DescribeAlgorithm", r#"{"algorithmArn":"arn:aws:personalize:::algorithm/aws-user-personalization"}"#),
    (
        "DescribeFeatureTransformation",
        r#"{"featureTransformationArn":"arn:aws:personalize:::feature-transformation/trending-now"}"#,
    ),
    (
        "/recommendations",
        r#"{"campaignArn":"{C}","userId":"u1","numResults":5,"filterArn":"{F}","promotions":[{"name":"p","percentPromotedItems":20,"filterArn":"{F}"}]}"#,
    ),
    ("/recommendations", r#"{"recommenderArn":"{R}","userId":"u1","numResults":5}"#),
    ("/personalize-ranking", r#"{"campaignArn":"{C}","userId":"u1","inputList":["i1","i2","i3"],"filterArn":"{F}"}"#),
    (
        "/events",
        r#"{"trackingId":"{T}","userId":"intruder","sessionId":"s1","eventList":[{"eventType":"click","itemId":"i1","sentAt":1700000000}]}"#,
    ),
    ("/items", r#"{"datasetArn":"{DT}","items":[{"itemId":"intruder-item","properties":"{\"genre\":\"x\"}"}]}"#),
    ("/users", r#"{"datasetArn":"{DI}","users":[{"userId":"intruder-user"}]}"#),
    (
        "/actions",
        r#"{"datasetArn":"{DA}","actions":[{"actionId":"intruder-action","properties":"{\"value\":\"1\"}"}]}"#,
    ),
    (
        "/action-interactions",
        r#"{"trackingId":"{AT}","actionInteractions":[{"actionId":"a1","userId":"intruder","sessionId":"s1","timestamp":1700000000,"eventType":"TAKEN"}]}"#,
    ),
    ("/action-recommendations", r#"{"campaignArn":"{C}","userId":"u1","numResults":5}"#),
];

const SLOTS: &[&str] = &["G", "DI", "DT", "IJ", "S", "SV", "C", "ET", "T", "F", "MA", "GS", "R", "DA", "DX", "AT"];

/// How a case makes its body hostile.
#[derive(Debug, Clone)]
enum Hostile {
    None,
    /// An extra member with this raw JSON value.
    Extra(&'static str),
    /// The first member given again (before it) with B's value of the slot.
    Duplicate(usize),
    /// The member values, in order, as a JSON array.
    Array,
    /// A bare JSON string holding B's group ARN.
    BareString,
    Bytes(Vec<u8>),
}

fn hostile() -> impl Strategy<Value = Hostile> {
    prop_oneof![
        3 => Just(Hostile::None),
        1 => Just(Hostile::Extra("1e400")),
        1 => Just(Hostile::Extra(r#""\udc00""#)),
        1 => Just(Hostile::Extra("DEEP")),
        1 => Just(Hostile::Extra("-0.0e-99999")),
        1 => Just(Hostile::Extra("{\"datasetGroupArn\":\"{B:G}\",\"campaignArn\":\"{B:C}\"}")),
        1 => (0..SLOTS.len()).prop_map(Hostile::Duplicate),
        1 => Just(Hostile::Array),
        1 => Just(Hostile::BareString),
        1 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(Hostile::Bytes),
    ]
}

/// The request body of a case: the template with each slot from A or B, made hostile.
fn body(template: &str, a: &Tenant, b: &Tenant, from_b: &[bool], n: u32, how: &Hostile, dir: &str) -> Vec<u8> {
    let mut text = template.to_string();
    for (k, slot) in SLOTS.iter().enumerate() {
        let b_value = b.get(slot);
        let a_value = a.get(slot);
        let missing_a = format!("{a_value}-missing");
        text = text.replace(&format!("{{{slot}!}}"), if from_b[k] { b_value } else { &missing_a });
        text = text.replace(&format!("{{{slot}}}"), if from_b[k] { b_value } else { a_value });
    }
    let any = SLOTS[n as usize % SLOTS.len()];
    let any_value = if from_b[0] { b.get(any) } else { a.get(any) };
    let name = ["tenant-b", "tenant-a2", "tenant-x", "tenant-a"][n as usize % 4];
    text = text
        .replace("{ANY}", any_value)
        .replace("{NAME}", name)
        .replace("{N}", &n.to_string())
        .replace("{USERS}", &arn("schema", "iso-users"))
        .replace("{ITEMS2}", &arn("schema", "iso-items-v2"))
        .replace("{CSV}", &format!("file://{dir}/{}.csv", if from_b[1] { "tenant-b" } else { "tenant-a" }))
        .replace("{OUT}", &format!("file://{dir}/out-{n}/"));
    let fill_b = |s: &str| {
        let mut s = s.to_string();
        for slot in SLOTS {
            s = s.replace(&format!("{{B:{slot}}}"), b.get(slot));
        }
        s
    };
    let inner = text.trim().strip_prefix('{').and_then(|t| t.strip_suffix('}')).unwrap_or("").to_string();
    match how {
        Hostile::None => text.into_bytes(),
        Hostile::Extra("DEEP") => format!("{{{inner},\"x\":{}1{}}}", "[".repeat(300), "]".repeat(300)).into_bytes(),
        Hostile::Extra(value) => format!("{{{inner},\"x\":{}}}", fill_b(value)).into_bytes(),
        Hostile::Duplicate(slot) => {
            // The template's first member, first with B's value, then as the template has it.
            let key = inner.split('"').nth(1).unwrap_or("x");
            format!("{{\"{key}\":\"{}\",{inner}}}", b.get(SLOTS[*slot])).into_bytes()
        }
        Hostile::Array => {
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            let values: Vec<serde_json::Value> = value.as_object().unwrap().values().cloned().collect();
            serde_json::to_vec(&values).unwrap()
        }
        Hostile::BareString => format!("\"{}\"", b.get("G")).into_bytes(),
        Hostile::Bytes(bytes) => bytes.clone(),
    }
}

/// Sends one signed request for `operation` (a control-plane name or a REST path); the status
/// and the body, or `None` when the connection was dropped without an answer.
fn send(authority: &str, operation: &str, body: &[u8], key: (&str, &str)) -> Option<(u16, String)> {
    let target = format!("AmazonPersonalize.{operation}");
    let (path, extra): (&str, Vec<(&str, &str)>) = if operation.starts_with('/') {
        (operation, vec![("content-type", "application/json")])
    } else {
        ("/", vec![("content-type", "application/x-amz-json-1.1"), ("x-amz-target", &target)])
    };
    exchange("POST", authority, path, &extra, body, key)
}

/// One signed HTTP/1.1 exchange on a fresh connection.
fn exchange(
    method: &str,
    authority: &str,
    path: &str,
    extra: &[(&str, &str)],
    body: &[u8],
    key: (&str, &str),
) -> Option<(u16, String)> {
    let mut headers: Vec<(String, String)> = extra.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    headers.extend(Signer::personalize(key, REGION).headers(method, authority, path, extra, body).unwrap());
    let mut s = TcpStream::connect(authority).ok()?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (n, v) in headers.iter().filter(|(n, _)| n != "host") {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).ok()?;
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n")?;
    Some((head.get(9..12)?.parse().ok()?, body.to_string()))
}

/// What the root key sees of tenant B: each resource described, each list, each resource's tags.
fn observe(authority: &str, b: &Tenant) -> Vec<String> {
    let root = (ACCESS_KEY_ID, SECRET_ACCESS_KEY);
    let calls = [
        ("DescribeDatasetGroup", format!(r#"{{"datasetGroupArn":"{}"}}"#, b.get("G"))),
        ("DescribeDataset", format!(r#"{{"datasetArn":"{}"}}"#, b.get("DI"))),
        ("DescribeDataset", format!(r#"{{"datasetArn":"{}"}}"#, b.get("DT"))),
        ("DescribeDataset", format!(r#"{{"datasetArn":"{}"}}"#, b.get("DA"))),
        ("DescribeDataset", format!(r#"{{"datasetArn":"{}"}}"#, b.get("DX"))),
        ("DescribeDatasetImportJob", format!(r#"{{"datasetImportJobArn":"{}"}}"#, b.get("IJ"))),
        ("DescribeSolution", format!(r#"{{"solutionArn":"{}"}}"#, b.get("S"))),
        ("DescribeSolutionVersion", format!(r#"{{"solutionVersionArn":"{}"}}"#, b.get("SV"))),
        ("DescribeCampaign", format!(r#"{{"campaignArn":"{}"}}"#, b.get("C"))),
        ("DescribeEventTracker", format!(r#"{{"eventTrackerArn":"{}"}}"#, b.get("ET"))),
        ("DescribeFilter", format!(r#"{{"filterArn":"{}"}}"#, b.get("F"))),
        ("ListDatasets", format!(r#"{{"datasetGroupArn":"{}"}}"#, b.get("G"))),
        ("ListDatasetImportJobs", format!(r#"{{"datasetArn":"{}"}}"#, b.get("DI"))),
        ("ListDatasetExportJobs", format!(r#"{{"datasetArn":"{}"}}"#, b.get("DI"))),
        ("ListDataDeletionJobs", format!(r#"{{"datasetGroupArn":"{}"}}"#, b.get("G"))),
        ("DescribeMetricAttribution", format!(r#"{{"metricAttributionArn":"{}"}}"#, b.get("MA"))),
        ("ListMetricAttributions", format!(r#"{{"datasetGroupArn":"{}"}}"#, b.get("G"))),
        ("ListMetricAttributionMetrics", format!(r#"{{"metricAttributionArn":"{}"}}"#, b.get("MA"))),
        ("ListSolutions", format!(r#"{{"datasetGroupArn":"{}"}}"#, b.get("G"))),
        ("ListSolutionVersions", format!(r#"{{"solutionArn":"{}"}}"#, b.get("S"))),
        ("ListCampaigns", format!(r#"{{"solutionArn":"{}"}}"#, b.get("S"))),
        ("ListEventTrackers", format!(r#"{{"datasetGroupArn":"{}"}}"#, b.get("G"))),
        ("ListFilters", format!(r#"{{"datasetGroupArn":"{}"}}"#, b.get("G"))),
        ("ListBatchInferenceJobs", format!(r#"{{"solutionVersionArn":"{}"}}"#, b.get("SV"))),
        ("DescribeDatasetGroup", format!(r#"{{"datasetGroupArn":"{}"}}"#, b.get("GS"))),
        ("DescribeRecommender", format!(r#"{{"recommenderArn":"{}"}}"#, b.get("R"))),
        ("ListRecommenders", format!(r#"{{"datasetGroupArn":"{}"}}"#, b.get("GS"))),
    ];
    let mut seen: Vec<String> = calls
        .iter()
        .map(|(op, body)| {
            let (status, text) = send(authority, op, body.as_bytes(), root).expect("root call answered");
            assert_eq!(status, 200, "{op} {body}: {text}");
            format!("{op} {body} -> {text}")
        })
        .collect();
    for (slot, value) in &b.slots {
        if *slot == "T" || *slot == "AT" {
            continue;
        }
        let body = format!(r#"{{"resourceArn":"{value}"}}"#);
        let (_, text) = send(authority, "ListTagsForResource", body.as_bytes(), root).expect("answered");
        seen.push(format!("tags of {value}: {text}"));
    }
    seen
}

#[test]
fn scoped_keys_never_reach_another_tenant() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let (ga, ga2) = (arn("dataset-group", "tenant-a"), arn("dataset-group", "tenant-a2"));
    let ga_shop = arn("dataset-group", "tenant-a-shop");
    let config = dir.join("reko.toml");
    std::fs::write(
        &config,
        format!(
            "[[access_keys]]\naccess_key_id = \"{SCOPED_ID}\"\nsecret_access_key = \"{SCOPED_SECRET}\"\n\
             dataset_groups = [\"{ga}\", \"{ga2}\", \"{ga_shop}\"]\n\n\
             [[access_keys]]\naccess_key_id = \"{FRONT_ID}\"\nsecret_access_key = \"{FRONT_SECRET}\"\n\
             runtime_only = true\ndataset_groups = [\"{ga}\"]\n"
        ),
    )
    .unwrap();
    let server = Server::start_with(&dir.join("data"), &["--config", config.to_str().unwrap()]);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (a, b) = runtime.block_on(async {
        let c = &server.control;
        create_schema(c, "iso-interactions", INTERACTIONS).await;
        create_schema(c, "iso-items", ITEMS).await;
        create_schema(c, "iso-users", USERS).await;
        create_schema(c, "iso-items-v2", ITEMS_V2).await;
        let shop = c.create_schema().name("iso-shop-interactions").schema(INTERACTIONS);
        ok(shop.domain(aws_sdk_personalize::types::Domain::Ecommerce).send().await, "CreateSchema(domain)");
        create_schema(c, "iso-actions", ACTIONS).await;
        create_schema(c, "iso-action-interactions", ACTION_INTERACTIONS).await;
        (populate(c, "tenant-a", &dir).await, populate(c, "tenant-b", &dir).await)
    });
    let authority = server.url.trim_start_matches("http://").to_string();
    let before = observe(&authority, &b);

    let dir_text = dir.display().to_string();
    let cases = std::env::var("REKO_ISOLATION_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1500);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let strategy = (
        0..OPERATIONS.len(),
        proptest::collection::vec(any::<bool>(), SLOTS.len()),
        any::<u32>(),
        hostile(),
        any::<bool>(),
    );
    runner
        .run(&strategy, |(op, from_b, n, how, front)| {
            let (operation, template) = OPERATIONS[op];
            let body = body(template, &a, &b, &from_b, n % 1000, &how, &dir_text);
            let key = if front { (FRONT_ID, FRONT_SECRET) } else { (SCOPED_ID, SCOPED_SECRET) };
            let answer = send(&authority, operation, &body, key);
            let shown = String::from_utf8_lossy(&body).chars().take(400).collect::<String>();
            let Some((status, text)) = answer else {
                return Err(TestCaseError::fail(format!("{operation} {shown}: connection dropped")));
            };
            prop_assert!(status < 500, "{operation} {shown}: {status} {text}");
            if status == 200 {
                prop_assert!(!text.contains("tenant-b"), "{operation} {shown} answered B's data: {text}");
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}\nserver log:\n{}", server.log_tail()));

    // B is as it was, and no group outside A's scope exists.
    let after = observe(&authority, &b);
    for (x, y) in before.iter().zip(&after) {
        assert_eq!(x, y, "tenant B changed");
    }
    let root = (ACCESS_KEY_ID, SECRET_ACCESS_KEY);
    let (_, groups) = send(&authority, "ListDatasetGroups", br#"{"maxResults":100}"#, root).unwrap();
    let groups: serde_json::Value = serde_json::from_str(&groups).unwrap();
    for g in groups["datasetGroups"].as_array().unwrap() {
        let name = g["name"].as_str().unwrap();
        let known = ["tenant-a", "tenant-a2", "tenant-b", "tenant-a-shop", "tenant-b-shop"];
        assert!(known.contains(&name), "group {name} created outside the scope");
    }
    // Lists are filtered before paging: page by page, the scoped key sees exactly its groups.
    let scoped = (SCOPED_ID, SCOPED_SECRET);
    let (mut pages, mut token, mut seen) = (0, None::<String>, Vec::new());
    loop {
        let body = match &token {
            Some(t) => format!(r#"{{"maxResults":1,"nextToken":"{t}"}}"#),
            None => r#"{"maxResults":1}"#.to_string(),
        };
        let (status, text) = send(&authority, "ListDatasetGroups", body.as_bytes(), scoped).unwrap();
        assert_eq!(status, 200, "{text}");
        let page: serde_json::Value = serde_json::from_str(&text).unwrap();
        let groups = page["datasetGroups"].as_array().unwrap();
        assert_eq!(groups.len(), 1, "page {pages} of the scoped list: {text}");
        seen.push(groups[0]["datasetGroupArn"].as_str().unwrap().to_string());
        pages += 1;
        match page["nextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert!(seen.iter().all(|g| *g == ga || *g == ga2 || *g == ga_shop), "{seen:?}");
    // The task view shows neither B's live resources nor the ones deleted since.
    let (status, _) =
        send(&authority, "DeleteFilter", format!(r#"{{"filterArn":"{}"}}"#, b.get("F")).as_bytes(), root).unwrap();
    assert_eq!(status, 200);
    let (status, tasks) = exchange("GET", &authority, "/reko/tasks", &[], b"", scoped).unwrap();
    assert_eq!(status, 200, "{tasks}");
    assert!(tasks.contains("tenant-a") && !tasks.contains("tenant-b"), "{tasks}");

    // No record reached B's datasets: a PUT export of each finds nothing.
    runtime.block_on(async {
        for (slot, kind) in [("DI", "interactions"), ("DT", "items"), ("DA", "actions"), ("DX", "action-interactions")]
        {
            let out = dir.join(format!("export-b-{kind}"));
            let lines = export_dataset(&server.control, &format!("check-b-{kind}"), b.get(slot), "PUT", &out).await;
            let rows = lines.len() - 1;
            assert_eq!(rows, 0, "records were put into B's {kind} dataset");
        }
    });
}

/// A tenant whose dataset groups are in an account of its own has names of its own: creating a
/// group, schema, solution or campaign named like another tenant's succeeds in its account (no
/// ResourceAlreadyExistsException to probe with), both train and serve side by side, and the
/// other account's schemas are invisible to it.
#[test]
fn tenants_in_their_own_accounts_have_names_of_their_own() {
    const TENANT_ACCOUNT: &str = "111111111111";
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let tenant_group = format!("arn:aws:personalize:{REGION}:{TENANT_ACCOUNT}:dataset-group/shop");
    // The tenant's local files are in a folder of its own (its key's data_roots).
    let tenant_files = dir.join("tenant-files");
    std::fs::create_dir_all(&tenant_files).unwrap();
    let config = dir.join("reko.toml");
    std::fs::write(
        &config,
        format!(
            "[[access_keys]]\naccess_key_id = \"{SCOPED_ID}\"\nsecret_access_key = \"{SCOPED_SECRET}\"\n\
             dataset_groups = [\"{tenant_group}\"]\ndata_roots = [\"{}\"]\n",
            tenant_files.display()
        ),
    )
    .unwrap();
    let server = Server::start_with(&dir.join("data"), &["--config", config.to_str().unwrap()]);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let tenant = tenant_client(&server.url);
    runtime.block_on(async {
        // The root account and the tenant's each get the same names.
        let root = &server.control;
        create_schema(root, "iso-interactions", INTERACTIONS).await;
        let root_camp = {
            let g = create_dataset_group(root, "shop").await;
            wait_active(root, &Res::DatasetGroup(g.clone())).await;
            let di =
                create_dataset(root, &g, "shop", "shop-i", "Interactions", &arn("schema", "iso-interactions")).await;
            import_rows(root, &dir, "root", &di).await;
            let s = create_solution(root, &g, "sol", "aws-popularity-count").await;
            let sv = train(root, &s).await;
            deploy(root, "camp", &sv).await
        };
        let tenant_arn =
            |kind: &str, name: &str| format!("arn:aws:personalize:{REGION}:{TENANT_ACCOUNT}:{kind}/{name}");
        let out = ok(tenant.create_schema().name("iso-interactions").schema(INTERACTIONS).send().await, "CreateSchema");
        assert_eq!(out.schema_arn(), Some(tenant_arn("schema", "iso-interactions").as_str()));
        let schemas = ok(tenant.list_schemas().send().await, "ListSchemas");
        let listed: Vec<&str> = schemas.schemas().iter().filter_map(|s| s.schema_arn()).collect();
        assert_eq!(listed, [tenant_arn("schema", "iso-interactions")], "the root account's schema is not the tenant's");
        expect_code(
            tenant.describe_schema().schema_arn(arn("schema", "iso-interactions")).send().await,
            "ResourceNotFoundException",
            "another account's schema",
        );
        let g = ok(tenant.create_dataset_group().name("shop").send().await, "CreateDatasetGroup")
            .dataset_group_arn()
            .unwrap()
            .to_string();
        assert_eq!(g, tenant_group);
        wait_active(&tenant, &Res::DatasetGroup(g.clone())).await;
        let di = ok(
            tenant
                .create_dataset()
                .name("shop-i")
                .dataset_group_arn(&g)
                .dataset_type("Interactions")
                .schema_arn(tenant_arn("schema", "iso-interactions"))
                .send()
                .await,
            "CreateDataset",
        )
        .dataset_arn()
        .unwrap()
        .to_string();
        assert_eq!(di, tenant_arn("dataset", "shop/INTERACTIONS"));
        wait_active(&tenant, &Res::Dataset(di.clone())).await;
        import_rows(&tenant, &tenant_files, "tenant", &di).await;
        let s = create_solution(&tenant, &g, "sol", "aws-popularity-count").await;
        assert_eq!(s, tenant_arn("solution", "sol"));
        let sv = train(&tenant, &s).await;
        let camp = ok(tenant.create_campaign().name("camp").solution_version_arn(&sv).send().await, "CreateCampaign")
            .campaign_arn()
            .unwrap()
            .to_string();
        assert_eq!(camp, tenant_arn("campaign", "camp"));
        wait_active(&tenant, &Res::Campaign(camp.clone())).await;
        // Both campaigns serve their own account's model (the tenant's items are t-items).
        for (campaign, prefix) in [(&root_camp, "i"), (&camp, "t")] {
            let recs = ok(
                server.runtime.get_recommendations().campaign_arn(campaign).user_id("u1").num_results(3).send().await,
                "GetRecommendations",
            );
            assert!(ids(recs.item_list()).iter().all(|i| i.starts_with(prefix)), "{campaign}: {recs:?}");
        }
        // Schemas are shared by a whole account: only a root key deletes one.
        expect_code(
            tenant.delete_schema().schema_arn(tenant_arn("schema", "iso-interactions")).send().await,
            "AccessDeniedException",
            "DeleteSchema with a scoped key",
        );
        // The root account's resources stay out of the tenant's reach.
        expect_code(
            tenant.describe_campaign().campaign_arn(&root_camp).send().await,
            "ResourceNotFoundException",
            "the root account's campaign",
        );
    });
}

/// A control-plane client signing with the scoped key.
fn tenant_client(url: &str) -> aws_sdk_personalize::Client {
    use aws_sdk_personalize::config::{BehaviorVersion, Credentials, Region};
    aws_sdk_personalize::Client::from_conf(
        aws_sdk_personalize::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(url)
            .credentials_provider(Credentials::new(SCOPED_ID, SCOPED_SECRET, None, None, "test"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build(),
    )
}

/// Imports 1,200 interactions into `dataset`; the tenant's items are `t…`, the root's `i…`.
async fn import_rows(c: &aws_sdk_personalize::Client, dir: &std::path::Path, who: &str, dataset: &str) {
    let item = if who == "tenant" { "t" } else { "i" };
    let csv = dir.join(format!("{who}.csv"));
    let mut rows = String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
    for k in 0..1200 {
        rows.push_str(&format!("u{},{item}{},click,{}\n", k % 60, (k * 7) % 40, 1_700_000_000 + k));
    }
    std::fs::write(&csv, rows).unwrap();
    let job = import(c, &format!("{who}-import"), dataset, &file_url(&csv), None).await;
    wait_active(c, &Res::ImportJob(job)).await;
}
