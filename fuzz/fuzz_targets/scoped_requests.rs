//! Hostile requests from a key scoped to tenant A: every input goes through the same strict
//! decoding, authorization and service call as a request over HTTP after authentication
//! (`reko_http::handle_control_plane` / `handle_runtime_or_events`), on a real embedded server
//! with tenants A and B, with A's scope. A successful answer must never mention B, no call may
//! panic, and B's dataset group, dataset, tracker and filter must all still be there afterwards.
//!
//! Input: an operation name (`DescribeDatasetGroup`) or a REST path (`/events`), a newline, then
//! the body. The seeds in fuzz/corpus/scoped_requests name B's resources.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use reko_service::{AccessScope, Reko, ServiceConfig};
use serde_json::{json, Value};

const ACCOUNT: &str = "123456789012";

fn arn(kind: &str, name: &str) -> String {
    format!("arn:aws:personalize:us-east-1:{ACCOUNT}:{kind}/{name}")
}

const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;

/// The server, tenant A's scope, and what proves B intact (root calls that must keep succeeding).
struct World {
    reko: Reko,
    scope_a: AccessScope,
    checks: Vec<(&'static str, Value)>,
}

fn root(reko: &Reko, op: &str, body: Value) -> Value {
    reko_http::handle_control_plane(reko, &AccessScope::default(), op, body.to_string().as_bytes())
        .unwrap_or_else(|e| panic!("setup {op}: {e}"))
}

fn wait_active(reko: &Reko, op: &str, body: Value, field: &str) {
    for _ in 0..2000 {
        if root(reko, op, body.clone())[field]["status"] == "ACTIVE" {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("setup: {body} not ACTIVE");
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("reko-fuzz-scoped-{}", std::process::id()));
        let reko = Reko::open(ServiceConfig {
            data_dir: dir.join("data"),
            account_id: ACCOUNT.into(),
            workers: 1,
            allowed_data_roots: Some(vec![dir.clone()]),
            ..Default::default()
        })
        .expect("open the server");
        root(&reko, "CreateSchema", json!({"name": "fuzz-interactions", "schema": SCHEMA}));
        for tenant in ["tenant-a", "tenant-b"] {
            let g = root(&reko, "CreateDatasetGroup", json!({"name": tenant}))["datasetGroupArn"].clone();
            wait_active(&reko, "DescribeDatasetGroup", json!({"datasetGroupArn": g}), "datasetGroup");
            let d = root(
                &reko,
                "CreateDataset",
                json!({"name": format!("{tenant}-i"), "datasetGroupArn": g, "datasetType": "Interactions",
                       "schemaArn": arn("schema", "fuzz-interactions")}),
            )["datasetArn"]
                .clone();
            wait_active(&reko, "DescribeDataset", json!({"datasetArn": d}), "dataset");
            let t = root(&reko, "CreateEventTracker", json!({"name": format!("{tenant}-tracker"), "datasetGroupArn": g}))
                ["eventTrackerArn"]
                .clone();
            wait_active(&reko, "DescribeEventTracker", json!({"eventTrackerArn": t}), "eventTracker");
            let f = root(
                &reko,
                "CreateFilter",
                json!({"name": format!("{tenant}-filter"), "datasetGroupArn": g,
                       "filterExpression": "EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"buy\")"}),
            )["filterArn"]
                .clone();
            wait_active(&reko, "DescribeFilter", json!({"filterArn": f}), "filter");
        }
        let checks = vec![
            ("DescribeDatasetGroup", json!({"datasetGroupArn": arn("dataset-group", "tenant-b")})),
            ("DescribeDataset", json!({"datasetArn": arn("dataset", "tenant-b/INTERACTIONS")})),
            ("DescribeEventTracker", json!({"eventTrackerArn": arn("event-tracker", "tenant-b-tracker")})),
            ("DescribeFilter", json!({"filterArn": arn("filter", "tenant-b-filter")})),
        ];
        let scope_a = AccessScope { dataset_groups: Some(vec![arn("dataset-group", "tenant-a")]), ..Default::default() };
        World { reko, scope_a, checks }
    })
}

fuzz_target!(|data: &[u8]| {
    let w = world();
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let Ok(op) = std::str::from_utf8(&data[..split]) else { return };
    let body = data.get(split + 1..).unwrap_or(&[]);
    let answer = if op.starts_with('/') {
        reko_http::handle_runtime_or_events(&w.reko, &w.scope_a, op, body)
    } else {
        reko_http::handle_control_plane(&w.reko, &w.scope_a, op, body)
    };
    if let Ok(value) = answer {
        assert!(!value.to_string().contains("tenant-b"), "{op} answered tenant B's data: {value}");
    }
    for (op, body) in &w.checks {
        let found = reko_http::handle_control_plane(&w.reko, &AccessScope::default(), op, body.to_string().as_bytes());
        let found = found.unwrap_or_else(|e| panic!("tenant B's resource is gone or changed after {op}: {e}"));
        assert_ne!(found.to_string().find("DELETE"), Some(0), "{op}");
        assert!(!found.to_string().contains("DELETE PENDING"), "tenant B's resource is being deleted: {found}");
    }
});
