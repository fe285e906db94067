//! Usage as Personalize bills it, against a real `reko serve`: runtime calls through the AWS SDK
//! are counted per campaign, flushed to storage at a clean shutdown (SIGTERM), and survive the
//! restart; `reko usage --format json` on the stopped data directory and `GET /reko/usage` on
//! the restarted server report them with TPS-hours following Personalize's rule; a key scoped to
//! one dataset group sees only its campaigns. The report lists the campaign never called as idle
//! and the ACTIVE solution version no campaign deploys.

use crate::common::*;

const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const SCOPED_ID: &str = "AKIDUSAGESCOPED";
const SCOPED_SECRET: &str = "usage-scoped-secret-0001";
/// GetRecommendations calls that succeed.
const K: u64 = 25;

fn get_json(url: &str, path: &str, key: (&str, &str)) -> serde_json::Value {
    let (status, body) = signed_get(url, path, key);
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap()
}

const ROOT: (&str, &str) = (ACCESS_KEY_ID, SECRET_ACCESS_KEY);
const SCOPED: (&str, &str) = (SCOPED_ID, SCOPED_SECRET);

/// The rows of a usage answer for one campaign name.
fn rows<'a>(usage: &'a serde_json::Value, campaign: &str) -> Vec<&'a serde_json::Value> {
    usage["usage"].as_array().unwrap().iter().filter(|r| r["campaignName"] == campaign).collect()
}

/// Checks one campaign's rows: the requests and errors, and billed TPS-hours by the rule (every
/// window here is below 1 TPS, so each is billed the minimum of 1 TPS for 5/60 hour).
fn check_billing(usage: &serde_json::Value, campaign: &str, requests: u64, errors: u64) {
    let rows = rows(usage, campaign);
    assert!(!rows.is_empty(), "no usage of {campaign}: {usage}");
    let sum = |field: &str| rows.iter().map(|r| r[field].as_u64().unwrap()).sum::<u64>();
    assert_eq!(sum("requests"), requests, "{usage}");
    assert_eq!(sum("errors"), errors, "{usage}");
    let windows = sum("windows");
    // From the campaign's deployment to the shutdown (and maybe a window after the restart).
    assert!((1..=4).contains(&windows), "{windows} windows: {usage}");
    let billed: f64 = rows.iter().map(|r| r["billedTpsHours"].as_f64().unwrap()).sum();
    assert!((billed - windows as f64 * 5.0 / 60.0).abs() < 1e-9, "billed {billed} for {windows} windows: {usage}");
    let actual: f64 = rows.iter().map(|r| r["actualTpsHours"].as_f64().unwrap()).sum();
    assert!((actual - requests as f64 / 3600.0).abs() < 1e-9, "{usage}");
    for r in rows {
        assert_eq!(r["provisionedTps"], 1);
        let u = r["actualTpsHours"].as_f64().unwrap() / r["billedTpsHours"].as_f64().unwrap();
        assert!((r["utilization"].as_f64().unwrap() - u).abs() < 1e-12);
    }
}

async fn group_with_data(c: &aws_sdk_personalize::Client, dir: &std::path::Path, name: &str, schema: &str) -> String {
    let mut csv = String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
    for u in 0..50 {
        for k in 0..25 {
            csv.push_str(&format!("u{u},i{},click,{}\n", (u * 7 + k * k) % 30, 1_700_000_000 + (u * 25 + k) * 60));
        }
    }
    let file = dir.join(format!("{name}.csv"));
    std::fs::write(&file, &csv).unwrap();
    let dsg = create_dataset_group(c, name).await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let dataset = create_dataset(c, &dsg, name, &format!("{name}-int"), "Interactions", schema).await;
    let job = import(c, &format!("{name}-import"), &dataset, &file_url(&file), None).await;
    wait_active(c, &Res::ImportJob(job)).await;
    create_solution(c, &dsg, &format!("{name}-pop"), "aws-popularity-count").await
}

#[test]
fn usage_is_billed_per_window_survives_a_restart_and_is_scoped() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let data = dir.join("data");
    let config = scoped_key_config(&dir, SCOPED_ID, SCOPED_SECRET, &arn("dataset-group", "usage-a"));
    let config_arg = config.to_str().unwrap().to_string();
    let mut server = Server::start_with(&data, &["--config", &config_arg]);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (unused_version, used_versions) = runtime.block_on(async {
        let (c, rt) = (&server.control, &server.runtime);
        let schema = create_schema(c, "usage-int", SCHEMA).await;
        let solution_a = group_with_data(c, &dir, "usage-a", &schema).await;
        let solution_b = group_with_data(c, &dir, "usage-b", &schema).await;
        let deployed = train(c, &solution_a).await;
        let unused = train(c, &solution_a).await;
        let version_b = train(c, &solution_b).await;
        let called = deploy(c, "usage-called", &deployed).await;
        deploy(c, "usage-idle", &version_b).await;

        for u in 0..K {
            ok(
                rt.get_recommendations().campaign_arn(&called).user_id(format!("u{u}")).num_results(5).send().await,
                "GetRecommendations",
            );
        }
        for u in 0..2 {
            let input: Vec<String> = (0..5).map(|i| format!("i{i}")).collect();
            let ranked = rt
                .get_personalized_ranking()
                .campaign_arn(&called)
                .user_id(format!("u{u}"))
                .set_input_list(Some(input))
                .send()
                .await;
            ok(ranked, "GetPersonalizedRanking");
        }
        // A request the campaign fails (metadata it does not serve) is a request too...
        let failed = rt
            .get_recommendations()
            .campaign_arn(&called)
            .user_id("u1")
            .metadata_columns("ITEMS", vec!["GENRES".to_string()])
            .send()
            .await;
        assert!(failed.is_err());
        // ... one naming no campaign is nobody's.
        let missing = rt.get_recommendations().campaign_arn(arn("campaign", "usage-none")).user_id("u1").send().await;
        assert!(missing.is_err());
        (unused, [deployed, version_b])
    });
    let requests = K + 3;

    // A clean stop flushes the open window; the counts are on disk.
    server.stop();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reko"))
        .args(["usage", "--format", "json", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success(), "reko usage: {}", String::from_utf8_lossy(&out.stderr));
    let offline: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    check_billing(&offline, "usage-called", requests, 1);
    check_billing(&offline, "usage-idle", 0, 0);
    assert!(!offline.to_string().contains("usage-none"), "{offline}");
    assert_eq!(offline["days"], 30);
    assert_eq!(offline["totalRequests"], requests);

    // The report from the command line: the idle campaign, the unused version.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reko"))
        .args(["usage", "--report", "--format", "json", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success(), "reko usage --report: {}", String::from_utf8_lossy(&out.stderr));
    let offline_report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The tables say the same.
    for (args, words) in [
        (&["usage"][..], ["BILLED TPS-H", "usage-called", "usage-idle"]),
        (&["usage", "--report"][..], ["Idle campaigns", "usage-idle", unused_version.as_str()]),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_reko"))
            .args(args)
            .arg("--data-dir")
            .arg(&data)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        println!("{text}");
        assert!(out.status.success() && words.iter().all(|w| text.contains(w)), "{args:?}: {text}");
    }
    // Options are validated, naming the option and the value.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reko"))
        .args(["usage", "--days", "0", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("--days must be from 1 to 400, got 0"), "{err}");

    // Restarted on the same data directory: the counts survived.
    let server = Server::start_with(&data, &["--config", &config_arg]);
    let usage = get_json(&server.url, "/reko/usage", ROOT);
    check_billing(&usage, "usage-called", requests, 1);
    check_billing(&usage, "usage-idle", 0, 0);
    let one = get_json(&server.url, "/reko/usage?days=1&campaign=usage-called", ROOT);
    assert!(one["usage"].as_array().unwrap().iter().all(|r| r["campaignName"] == "usage-called"), "{one}");
    check_billing(&one, "usage-called", requests, 1);

    // `reko usage` reads the data directory beside the running server (a WAL reader).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reko"))
        .args(["usage", "--format", "json", "--campaign", "usage-called", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success(), "reko usage beside the server: {}", String::from_utf8_lossy(&out.stderr));
    let beside: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    check_billing(&beside, "usage-called", requests, 1);
    assert!(rows(&beside, "usage-idle").is_empty(), "{beside}");

    // A key scoped to group A sees its campaign only, and cannot name B's.
    let scoped = get_json(&server.url, "/reko/usage", SCOPED);
    check_billing(&scoped, "usage-called", requests, 1);
    assert!(rows(&scoped, "usage-idle").is_empty() && !scoped.to_string().contains("usage-b"), "{scoped}");
    let (status, body) = signed_get(&server.url, "/reko/usage?campaign=usage-idle", SCOPED);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("campaign 'usage-idle'"), "{body}");

    // Parameters are validated, naming the field and the value.
    for (path, words) in [
        ("/reko/usage?days=0", ["days", "got 0"]),
        ("/reko/usage?days=401", ["days", "got 401"]),
        ("/reko/usage?days=x", ["days", "'x'"]),
        ("/reko/usage?limit=3", ["limit", "unknown"]),
        ("/reko/usage/report?underPercent=0", ["underPercent", "got 0"]),
        ("/reko/usage/report?idleDays=500", ["idleDays", "got 500"]),
    ] {
        let (status, body) = signed_get(&server.url, path, ROOT);
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body.contains("InvalidInputException"), "{path}: {body}");
        for w in words {
            assert!(body.contains(w), "{path}: {body}");
        }
    }

    // The report: the campaign never called is idle since its creation, the called one is not;
    // the version no campaign deploys is listed with its size, the deployed ones are not.
    let report = get_json(&server.url, "/reko/usage/report", ROOT);
    for r in [&report, &offline_report] {
        let idle: Vec<&serde_json::Value> = r["idleCampaigns"].as_array().unwrap().iter().collect();
        assert_eq!(idle.len(), 1, "{r}");
        assert_eq!(idle[0]["campaignName"], "usage-idle");
        assert_eq!(idle[0]["idleSinceCreation"], true);
        assert!(idle[0]["reason"].as_str().unwrap().contains("since its creation"), "{r}");
        assert!(idle[0]["idleWindows"].as_u64().unwrap() >= 1, "{r}");
        assert!(r["overProvisionedCampaigns"].as_array().unwrap().is_empty(), "fewer than 9 windows: {r}");
        let unused: Vec<&serde_json::Value> = r["unusedSolutionVersions"].as_array().unwrap().iter().collect();
        assert_eq!(unused.len(), 1, "{r}");
        assert_eq!(unused[0]["solutionVersionArn"], unused_version.as_str());
        assert!(unused[0]["sizeBytes"].as_u64().unwrap() > 0, "{r}");
        for v in &used_versions {
            assert!(!unused.iter().any(|u| u["solutionVersionArn"] == v.as_str()), "{v} is deployed: {r}");
        }
    }
    let scoped_report = get_json(&server.url, "/reko/usage/report", SCOPED);
    assert!(scoped_report["idleCampaigns"].as_array().unwrap().is_empty(), "{scoped_report}");
    assert_eq!(scoped_report["unusedSolutionVersions"].as_array().unwrap().len(), 1, "{scoped_report}");
}
