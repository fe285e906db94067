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

mod accounts;
mod table;
mod tenants;

use table::{OPERATIONS, SLOTS};
use tenants::*;

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
    // Reko's extension names its own target prefix; Personalize's operations get theirs.
    let target =
        if operation.starts_with("Reko.") { operation.to_string() } else { format!("AmazonPersonalize.{operation}") };
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
        ("Reko.DescribeExperiment", format!(r#"{{"experimentArn":"{}"}}"#, b.get("X"))),
        ("Reko.ListExperiments", format!(r#"{{"datasetGroupArn":"{}"}}"#, b.get("G"))),
    ];
    let mut seen: Vec<String> = calls
        .iter()
        .map(|(op, body)| {
            let (status, text) = send(authority, op, body.as_bytes(), root).expect("root call answered");
            assert_eq!(status, 200, "{op} {body}: {text}");
            format!("{op} {body} -> {text}")
        })
        .collect();
    // B's experiment counted no exposure of A's requests (its timeline moves with the clock).
    let body = format!(r#"{{"experimentArn":"{}"}}"#, b.get("X"));
    let (status, text) = send(authority, "Reko.GetExperimentResults", body.as_bytes(), root).expect("answered");
    assert_eq!(status, 200, "{text}");
    let results: serde_json::Value = serde_json::from_str(&text).unwrap();
    seen.push(format!("B's experiment arms: {}", results["arms"]));
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
        (populate(c, &server.url, "tenant-a", &dir).await, populate(c, &server.url, "tenant-b", &dir).await)
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
