//! What the Prometheus recorder costs a request (issue 13: < 3% of throughput). The serving
//! benchmark over TCP (`cargo bench -p reko --bench serving`) varies by up to 10% between two
//! runs of one configuration, more than the cost to measure, so this measures it in process:
//! GetRecommendations on a popularity campaign through the real router (authentication off, no
//! network), sequentially on one thread, in child processes alternately with the recorder
//! installed (`reko serve`'s default) and without it (`--no-metrics`), five of each. A
//! popularity request is among the cheapest a campaign serves, so the recorder's share here is
//! an upper bound of its share for User-Personalization requests.
//!
//! `cargo bench -p reko-http --bench observe`

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use reko_http::{handle_control_plane, router, Authentication, HttpConfig};
use reko_service::{AccessScope, Reko, ServiceConfig};
use serde_json::{json, Value};
use tower::ServiceExt;

const INTERACTIONS: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const REQUESTS: usize = 20_000;
const ROUNDS: usize = 5;
/// Child processes per mode, alternating.
const PAIRS: usize = 5;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(mode) = args.iter().position(|a| a == "--child").and_then(|p| args.get(p + 1)) {
        let ns = child(mode == "metrics");
        println!("{ns:.0}");
        return;
    }
    if args.iter().any(|a| a == "--recording") {
        return recording();
    }
    let exe = std::env::current_exe().unwrap();
    let mut per_mode: Vec<(&str, Vec<f64>)> = vec![("recorder installed", Vec::new()), ("no recorder", Vec::new())];
    for _ in 0..PAIRS {
        for (mode, results) in per_mode.iter_mut() {
            let arg = if mode.starts_with("recorder") { "metrics" } else { "none" };
            let out = std::process::Command::new(&exe).args(["--child", arg]).output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            results.push(String::from_utf8_lossy(&out.stdout).trim().parse().unwrap());
        }
    }
    println!("| GetRecommendations in process | runs (ns per request, best of {ROUNDS} × {REQUESTS}) | median |");
    println!("|---|---|---:|");
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    for (mode, results) in &per_mode {
        let runs: Vec<String> = results.iter().map(|r| format!("{r:.0}")).collect();
        println!("| {mode} | {} | {:.0} |", runs.join(", "), median(results));
    }
    let (with, without) = (median(&per_mode[0].1), median(&per_mode[1].1));
    println!(
        "recorder cost: {:.0} ns per request, {:.2}% of this request",
        with - without,
        100.0 * (with - without) / without
    );
    let out = std::process::Command::new(&exe).arg("--recording").output().unwrap();
    print!("{}", String::from_utf8_lossy(&out.stdout));
}

/// The recording alone, as the middleware does it for a served GetRecommendations (series
/// handles resolved once; the per-campaign histogram found under a read lock by operation and
/// campaign name; the in-flight gauge up and down), with the recorder installed, on one thread
/// and on two at once.
fn recording() {
    use reko_service::metrics as m;
    use std::collections::HashMap;
    use std::sync::RwLock;
    reko_http::install_recorder().unwrap();
    let ok = metrics::counter!(m::REQUESTS, "operation" => "GetRecommendations", "status" => "200", "code" => "none");
    let latency = metrics::histogram!(m::REQUEST_DURATION, "operation" => "GetRecommendations");
    let gauge = metrics::gauge!(m::REQUESTS_IN_FLIGHT);
    let mut by_campaign: HashMap<&'static str, HashMap<String, metrics::Histogram>> = HashMap::new();
    by_campaign.entry("GetRecommendations").or_default().insert(
        "bench".into(),
        metrics::histogram!(m::CAMPAIGN_REQUEST_DURATION, "operation" => "GetRecommendations", "campaign" => "bench"),
    );
    let by_campaign = RwLock::new(by_campaign);
    let one = |n: usize| {
        let t = Instant::now();
        for k in 0..n {
            gauge.increment(1.0);
            let seconds = 1e-4 + (k % 100) as f64 * 1e-6;
            ok.increment(1);
            latency.record(seconds);
            if let Some(h) = by_campaign.read().unwrap().get("GetRecommendations").and_then(|c| c.get("bench")) {
                h.record(seconds);
            }
            gauge.decrement(1.0);
        }
        t.elapsed().as_nanos() as f64 / n as f64
    };
    const N: usize = 2_000_000;
    one(N / 10);
    let single = (0..3).map(|_| one(N)).fold(f64::INFINITY, f64::min);
    let pair = std::thread::scope(|s| {
        let a = s.spawn(|| one(N));
        let b = s.spawn(|| one(N));
        a.join().unwrap().max(b.join().unwrap())
    });
    println!(
        "recording alone: {single:.0} ns per request on one thread, {pair:.0} ns with two threads recording at once"
    );
}

/// Sets up a popularity campaign, then times GetRecommendations through the router; returns the
/// best round's nanoseconds per request.
fn child(metrics: bool) -> f64 {
    if metrics {
        reko_http::install_recorder().unwrap();
    }
    let tmp = tempfile::tempdir().unwrap();
    let reko = Reko::open(ServiceConfig { data_dir: tmp.path().join("data"), ..Default::default() }).unwrap();
    let campaign = popularity_campaign(&reko, tmp.path());
    let app = router(reko.clone(), HttpConfig::new(Authentication::Disabled));
    let body = json!({ "campaignArn": campaign, "userId": "u1", "numResults": 10 }).to_string();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let call = || {
            let request = Request::post("/recommendations")
                .header("content-type", "application/json")
                .body(Body::from(body.clone()))
                .unwrap();
            app.clone().oneshot(request)
        };
        let first = call().await.unwrap();
        assert_eq!(first.status(), 200);
        for _ in 0..REQUESTS / 10 {
            call().await.unwrap();
        }
        let mut best = Duration::MAX;
        for _ in 0..ROUNDS {
            let t = Instant::now();
            for _ in 0..REQUESTS {
                let r = call().await.unwrap();
                debug_assert_eq!(r.status(), 200);
            }
            best = best.min(t.elapsed());
        }
        best.as_nanos() as f64 / REQUESTS as f64
    })
}

fn control(reko: &Reko, operation: &str, body: Value) -> Value {
    handle_control_plane(reko, &AccessScope::default(), operation, body.to_string().as_bytes())
        .unwrap_or_else(|e| panic!("{operation}: {} {}", e.code(), e.message()))
}

/// Waits (the service's workers run the tasks) until `describe` says ACTIVE.
fn until_active(reko: &Reko, operation: &str, key: &str, arn: &str) {
    let field = operation.trim_start_matches("Describe");
    let field = format!("{}{}", field[..1].to_ascii_lowercase(), &field[1..]);
    for _ in 0..10_000 {
        if control(reko, operation, json!({ key: arn }))[&field]["status"] == "ACTIVE" {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{arn} did not become ACTIVE");
}

/// 200 users × 20 interactions over 100 items, a popularity-count campaign on them.
fn popularity_campaign(reko: &Reko, dir: &std::path::Path) -> String {
    let s = |v: &Value, k: &str| v[k].as_str().unwrap().to_string();
    let dsg = s(&control(reko, "CreateDatasetGroup", json!({ "name": "bench" })), "datasetGroupArn");
    until_active(reko, "DescribeDatasetGroup", "datasetGroupArn", &dsg);
    let schema = s(&control(reko, "CreateSchema", json!({ "name": "bench", "schema": INTERACTIONS })), "schemaArn");
    let dataset = s(
        &control(
            reko,
            "CreateDataset",
            json!({ "name": "bench", "datasetGroupArn": dsg, "datasetType": "Interactions", "schemaArn": schema }),
        ),
        "datasetArn",
    );
    until_active(reko, "DescribeDataset", "datasetArn", &dataset);
    let mut csv = String::from("USER_ID,ITEM_ID,TIMESTAMP\n");
    for u in 0..200 {
        for k in 0..20 {
            csv.push_str(&format!("u{u},i{},{}\n", (u * 7 + k * k) % 100, 1_700_000_000 + u * 100 + k));
        }
    }
    let file = dir.join("interactions.csv");
    std::fs::write(&file, csv).unwrap();
    let job = s(
        &control(
            reko,
            "CreateDatasetImportJob",
            json!({ "jobName": "bench", "datasetArn": dataset, "dataSource": { "dataLocation": file.display().to_string() },
                    "roleArn": "arn:aws:iam::123456789012:role/R" }),
        ),
        "datasetImportJobArn",
    );
    until_active(reko, "DescribeDatasetImportJob", "datasetImportJobArn", &job);
    let solution = s(
        &control(
            reko,
            "CreateSolution",
            json!({ "name": "bench", "datasetGroupArn": dsg, "recipeArn": "arn:aws:personalize:::recipe/aws-popularity-count" }),
        ),
        "solutionArn",
    );
    until_active(reko, "DescribeSolution", "solutionArn", &solution);
    let version = s(&control(reko, "CreateSolutionVersion", json!({ "solutionArn": solution })), "solutionVersionArn");
    until_active(reko, "DescribeSolutionVersion", "solutionVersionArn", &version);
    let campaign =
        s(&control(reko, "CreateCampaign", json!({ "name": "bench", "solutionVersionArn": version })), "campaignArn");
    until_active(reko, "DescribeCampaign", "campaignArn", &campaign);
    campaign
}
