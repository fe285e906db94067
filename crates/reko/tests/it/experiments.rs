//! A/B experiments (Reko's extension, docs/experiments.md) against a real `reko serve`, managed
//! through signed `Reko.*` calls and served to the official AWS SDK for Rust:
//!
//! * CreateExperiment plans the sample size; arms of another dataset group, targets that are not
//!   campaigns or recommenders, a single arm and a duplicate name are refused, naming the member;
//! * GetRecommendations with the experiment's ARN as `campaignArn` serves each user one arm,
//!   always the same, with a recommendation id naming the arm; a request without userId is
//!   refused;
//! * PutEvents carrying those ids are counted for their arm: the results' users, requests,
//!   converters, value per user and click-through are the exact counts sent; an id sent to
//!   another group's tracker counts nothing; metric attribution credits them to the arm's campaign;
//! * `reko experiment results` / `list` print them, and a refused call's reason;
//! * the console lists the experiment and shows its arms and the conversion rate over time;
//! * a key scoped to another group can neither see, read, serve nor build on the experiment (nor
//!   in the console);
//! * the counts survive a restart; PromoteExperiment makes the ARN serve the winner alone (its own
//!   ids, no more exposures); an arm's campaign cannot be deleted; DeleteExperiment removes it.

use std::collections::BTreeMap;

use crate::common::*;
use aws_sdk_personalizeevents::primitives::DateTime;
use aws_sdk_personalizeevents::types::Event;
use reko::experiments::ExperimentsClient;
use serde_json::{json, Value};

const INTERACTIONS: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]},{"name":"IMPRESSION","type":["null","string"]},{"name":"RECOMMENDATION_ID","type":["null","string"]},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const SCOPED_ID: &str = "AKIDEXPSCOPED1";
const SCOPED_SECRET: &str = "experiments-scoped-secret-0001";

/// A group with interactions, one trained popularity model deployed twice (`{name}-a`,
/// `{name}-b`) and a tracker: (group, campaign a, campaign b, tracking id).
async fn stage(c: &aws_sdk_personalize::Client, dir: &std::path::Path, name: &str) -> (String, String, String, String) {
    let g = create_dataset_group(c, name).await;
    wait_active(c, &Res::DatasetGroup(g.clone())).await;
    let di =
        create_dataset(c, &g, name, &format!("{name}-i"), "Interactions", &arn("schema", "exp-interactions")).await;
    let mut rows = String::from("USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,IMPRESSION,RECOMMENDATION_ID,TIMESTAMP\n");
    for k in 0..1200 {
        rows.push_str(&format!("u{},i{},click,1.0,,,{}\n", k % 60, (k * 7) % 30, 1_690_000_000 + k));
    }
    let csv = dir.join(format!("{name}.csv"));
    std::fs::write(&csv, rows).unwrap();
    let job = import(c, &format!("{name}-import"), &di, &file_url(&csv), None).await;
    wait_active(c, &Res::ImportJob(job)).await;
    let sol = create_solution(c, &g, &format!("{name}-sol"), "aws-popularity-count").await;
    let sv = train(c, &sol).await;
    let a = deploy(c, &format!("{name}-a"), &sv).await;
    let b = deploy(c, &format!("{name}-b"), &sv).await;
    let t = create_tracker(c, &format!("{name}-tracker"), &g).await;
    (g, a, b, t)
}

/// A metric attribution counting the group's clicks; its ARN once ACTIVE.
async fn attribute_clicks(c: &aws_sdk_personalize::Client, g: &str) -> String {
    use aws_sdk_personalize::types::{MetricAttribute, MetricAttributionOutput};
    let metric = MetricAttribute::builder().event_type("click").metric_name("CLICKS").expression("SAMPLECOUNT()");
    let output = MetricAttributionOutput::builder().role_arn("arn:aws:iam::123456789012:role/R");
    let created = c
        .create_metric_attribution()
        .name("exp-clicks")
        .dataset_group_arn(g)
        .metrics(metric.build().unwrap())
        .metrics_output_config(output.build().unwrap())
        .send()
        .await;
    let arn = ok(created, "CreateMetricAttribution").metric_attribution_arn().unwrap().to_string();
    let started = std::time::Instant::now();
    loop {
        let out = ok(c.describe_metric_attribution().metric_attribution_arn(&arn).send().await, "Describe");
        if out.metric_attribution().and_then(|m| m.status()) == Some("ACTIVE") {
            return arn;
        }
        assert!(started.elapsed() < WAIT, "metric attribution not ACTIVE");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn attribution_path(arn: &str) -> String {
    format!("/reko/metric-attribution?metricAttributionArn={}", arn.replace(':', "%3A").replace('/', "%2F"))
}

fn scoped_runtime(url: &str) -> aws_sdk_personalizeruntime::Client {
    use aws_sdk_personalizeruntime::config::{BehaviorVersion, Credentials, Region};
    let conf = aws_sdk_personalizeruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(url)
        .credentials_provider(Credentials::new(SCOPED_ID, SCOPED_SECRET, None, None, "test"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(aws_sdk_personalizeruntime::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_personalizeruntime::Client::from_conf(conf)
}

fn client(url: &str, key: (&str, &str)) -> ExperimentsClient {
    ExperimentsClient::new(url, (key.0.to_string(), key.1.to_string()), REGION).unwrap()
}

/// The arm an experiment's recommendation id names (its fingerprint's last hex digit).
fn arm_of(id: &str) -> usize {
    assert!(id.starts_with("RID-e") && id.len() == 40, "{id}");
    usize::from_str_radix(&id[20..21], 16).unwrap()
}

async fn recommend(rt: &aws_sdk_personalizeruntime::Client, arn: &str, user: &str) -> (Vec<String>, String) {
    let out = ok(rt.get_recommendations().campaign_arn(arn).user_id(user).num_results(5).send().await, "GetRecs");
    (ids(out.item_list()), out.recommendation_id().unwrap_or_default().to_string())
}

async fn click(server: &Server, tracking_id: &str, user: &str, rid: &str, value: f32) {
    let event = Event::builder()
        .event_type("click")
        .item_id("i1")
        .sent_at(DateTime::from_secs(1_700_000_000))
        .event_value(value)
        .recommendation_id(rid)
        .impression("i1")
        .impression("i2")
        .impression("i3")
        .build()
        .unwrap();
    let put = server.events.put_events().tracking_id(tracking_id).user_id(user).session_id(format!("s-{user}"));
    ok(put.event_list(event).send().await, "PutEvents");
}

/// `(exposedUsers, requests, convertedUsers, valuePerUser, clickThroughRate)` per arm.
fn arm_counts(results: &Value) -> Vec<(u64, u64, u64, f64, Option<f64>)> {
    results["arms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["exposedUsers"].as_u64().unwrap(),
                a["requests"].as_u64().unwrap(),
                a["convertedUsers"].as_u64().unwrap(),
                a["valuePerUser"].as_f64().unwrap(),
                a["clickThroughRate"].as_f64(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn experiments_split_traffic_attribute_events_and_promote() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let data = dir.join("data");
    let config = scoped_key_config(&dir, SCOPED_ID, SCOPED_SECRET, &arn("dataset-group", "exp-other"));
    let config_arg = config.to_str().unwrap().to_string();
    let mut server = Server::start_with(&data, &["--config", &config_arg]);
    let c = server.control.clone();
    create_schema(&c, "exp-interactions", INTERACTIONS).await;
    let (g, camp_a, camp_b, tracker) = stage(&c, &dir, "exp-main").await;
    let (other_g, other_camp, _, other_tracker) = stage(&c, &dir, "exp-other").await;
    let ma = attribute_clicks(&c, &g).await;
    let root = client(&server.url, (ACCESS_KEY_ID, SECRET_ACCESS_KEY));
    let arm = |name: &str, target: &str| json!({"name": name, "targetArn": target, "weight": 1});
    let create = |name: &str, arms: Vec<Value>| {
        json!({"name": name, "datasetGroupArn": g, "arms": arms, "conversionEventType": "click",
               "baselineConversionRate": 0.2})
    };

    // Refusals name the member and what is wrong.
    let refused = |r: Result<Value, reko::experiments::CallError>| r.expect_err("refused");
    let e = refused(
        root.call("CreateExperiment", &create("x", vec![arm("a", &camp_a), arm("b", &other_camp)])).await.unwrap(),
    );
    assert_eq!(e.code, "InvalidInputException", "{e}");
    assert!(e.message.contains("arms.2.targetArn") && e.message.contains("another dataset group"), "{e}");
    let e = refused(root.call("CreateExperiment", &create("x", vec![arm("a", &camp_a), arm("b", &g)])).await.unwrap());
    assert!(e.message.contains("arms.2.targetArn") && e.message.contains("not a campaign or recommender"), "{e}");
    let e = refused(root.call("CreateExperiment", &create("x", vec![arm("a", &camp_a)])).await.unwrap());
    assert!(e.code == "InvalidInputException" && e.message.contains("arms"), "{e}");
    let e = refused(root.call("Whatever", &json!({})).await.unwrap());
    assert_eq!(e.code, "UnknownOperationException", "{e}");

    let body = create("exp", vec![arm("control", &camp_a), arm("treatment", &camp_b)]);
    let exp = root.ok("CreateExperiment", &body).await.unwrap()["experimentArn"].as_str().unwrap().to_string();
    assert_eq!(exp, arn("experiment", "exp"));
    let e = refused(
        root.call("CreateExperiment", &create("exp", vec![arm("a", &camp_a), arm("b", &camp_b)])).await.unwrap(),
    );
    assert_eq!(e.code, "ResourceAlreadyExistsException", "{e}");
    let described = root.ok("DescribeExperiment", &json!({"experimentArn": exp})).await.unwrap();
    let x = &described["experiment"];
    assert_eq!((x["status"].as_str(), x["analysis"].as_str()), (Some("RUNNING"), Some("FIXED_HORIZON")));
    // (z_.975 + z_.8)² (0.2·0.8 + 0.22·0.78) / 0.02², rounded up.
    assert_eq!(x["plannedUsersPerArm"], 6507);
    let listed = root.ok("ListExperiments", &json!({"datasetGroupArn": g})).await.unwrap();
    assert_eq!(listed["experiments"][0]["experimentArn"], exp.as_str());

    // Serving: each user one arm, always the same; ids name the arm.
    let rt = server.runtime.clone();
    let direct = recommend(&rt, &camp_a, "u1").await.0;
    let mut arm_of_user: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for u in 0..120 {
        let user = format!("user-{u}");
        let (items, rid) = recommend(&rt, &exp, &user).await;
        assert_eq!(items, direct, "both arms serve the same popularity model");
        let (again_items, again) = recommend(&rt, &exp, &user).await;
        assert_eq!((arm_of(&again), again_items.len()), (arm_of(&rid), 5), "sticky");
        assert_ne!(rid, again, "each id is new");
        arm_of_user.insert(user, (arm_of(&rid), rid));
    }
    let users_in = |arm: usize| arm_of_user.values().filter(|(a, _)| *a == arm).count() as u64;
    assert!(users_in(0) > 30 && users_in(1) > 30, "a 50/50 split: {} / {}", users_in(0), users_in(1));
    let no_user = rt.get_recommendations().campaign_arn(&exp).num_results(5).send().await;
    let e = expect_code(no_user, "InvalidInputException", "no userId");
    assert!(e.contains("userId"), "{e}");

    // Conversions: every treatment user clicks (value 3), every third control user (value 1).
    let mut want_converted = [0u64; 2];
    for (i, (user, (arm, rid))) in arm_of_user.iter().enumerate() {
        if *arm == 1 || i % 3 == 0 {
            click(&server, &tracker, user, rid, if *arm == 1 { 3.0 } else { 1.0 }).await;
            want_converted[*arm] += 1;
        }
    }
    // Another group's tracker: the id resolves to nothing there.
    let (stray_user, (_, stray_rid)) = arm_of_user.iter().next().unwrap();
    click(&server, &other_tracker, stray_user, stray_rid, 100.0).await;
    let results = root.results(&exp).await.unwrap();
    let want: Vec<(u64, u64, u64, f64, Option<f64>)> = (0..2)
        .map(|a| {
            let value = if a == 1 { 3.0 } else { 1.0 };
            let n = users_in(a);
            let k = want_converted[a];
            (n, 2 * n, k, value * k as f64 / n as f64, Some(k as f64 / (3 * k) as f64))
        })
        .collect();
    assert_eq!(arm_counts(&results), want, "{results}");
    assert_eq!(results["decision"]["state"], "COLLECTING", "{}", results["decision"]);
    assert_eq!(results["sampleRatio"]["mismatch"], false);
    let comparison = &results["comparisons"][0];
    assert_eq!((comparison["arm"].as_str(), comparison["control"].as_str()), (Some("treatment"), Some("control")));
    assert!(comparison["conversion"]["pValue"].as_f64().unwrap() < 0.001, "{comparison}");
    assert!(comparison["conversion"]["relativeLift"].as_f64().unwrap() > 1.0, "{comparison}");
    assert!(comparison["value"]["pValue"].as_f64().is_some(), "{comparison}");
    assert!(!results["timeline"].as_array().unwrap().is_empty());
    // Metric attribution credits each click to its arm's campaign.
    let (status, body) = signed_get(&server.url, &attribution_path(&ma), (ACCESS_KEY_ID, SECRET_ACCESS_KEY));
    assert_eq!(status, 200, "{body}");
    let report: Value = serde_json::from_str(&body).unwrap();
    let mut by_source: Vec<(String, u64)> = report["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["source"].as_str().unwrap().to_string(), t["events"].as_u64().unwrap()))
        .collect();
    by_source.sort();
    let mut want_sources = vec![(camp_a.clone(), want_converted[0]), (camp_b.clone(), want_converted[1])];
    want_sources.sort();
    assert_eq!(by_source, want_sources);

    // The CLI reads the same results, and says why a call was refused.
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_reko"))
            .arg("experiment")
            .args(args)
            .args(["--endpoint", &server.url])
            .env("REKO_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("REKO_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
            .env("REKO_REGION", REGION)
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    };
    let (success, stdout, stderr) = cli(&["results", &exp]);
    assert!(success, "{stderr}");
    let control_line =
        format!("users {:>7}  requests {:>8}  converted {:>6}", users_in(0), 2 * users_in(0), want_converted[0]);
    assert!(stdout.contains(&control_line) && stdout.contains("decision: COLLECTING"), "{stdout}");
    let (success, stdout, _) = cli(&["list", "--dataset-group-arn", &g]);
    assert!(success && stdout.contains(&exp) && stdout.contains("RUNNING"), "{stdout}");
    let (success, _, stderr) = cli(&["promote", &exp, "--arm", "nope"]);
    assert!(!success && stderr.contains("armName"), "{stderr}");

    // The console lists it and shows its arms, decision and the metric over time per arm.
    let cookie = crate::console::login(&server.url, (ACCESS_KEY_ID, SECRET_ACCESS_KEY));
    let list = crate::console::get(&server.url, "/console/experiments", &cookie);
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains(&crate::console::q(&exp)) && list.body.contains("RUNNING"), "{}", list.body);
    let page_path = format!("/console/experiment?arn={}", crate::console::q(&exp));
    let page = crate::console::get(&server.url, &page_path, &cookie);
    assert_eq!(page.status, 200, "{}", page.body);
    for needle in [
        "treatment".to_string(),
        format!(">{}<", users_in(0)),
        format!(">{}<", want_converted[1]),
        "COLLECTING".to_string(),
        "Conversion rate per arm".to_string(),
        "[&#34;time&#34;,&#34;control&#34;,&#34;treatment&#34;]".to_string(),
    ] {
        assert!(page.body.contains(&needle), "no {needle} in the experiment page:\n{}", page.body);
    }

    // A key scoped to the other group sees nothing of the experiment.
    let scoped = client(&server.url, (SCOPED_ID, SCOPED_SECRET));
    for op in ["DescribeExperiment", "GetExperimentResults", "StopExperiment", "DeleteExperiment"] {
        let e = refused(scoped.call(op, &json!({"experimentArn": exp})).await.unwrap());
        assert_eq!(e.code, "ResourceNotFoundException", "{op}: {e}");
    }
    let listed = scoped.ok("ListExperiments", &json!({})).await.unwrap();
    assert_eq!(listed["experiments"], json!([]));
    let served = scoped_runtime(&server.url).get_recommendations().campaign_arn(&exp).user_id("u1").send().await;
    expect_code(served, "ResourceNotFoundException", "a scoped key serving another group's experiment");
    let body = json!({"name": "mine", "datasetGroupArn": other_g, "arms": [arm("a", &other_camp), arm("b", &camp_a)],
                      "conversionEventType": "click", "baselineConversionRate": 0.1});
    let e = refused(scoped.call("CreateExperiment", &body).await.unwrap());
    assert_eq!(e.code, "ResourceNotFoundException", "{e}");
    let scoped_cookie = crate::console::login(&server.url, (SCOPED_ID, SCOPED_SECRET));
    let page = crate::console::get(&server.url, &page_path, &scoped_cookie);
    assert_eq!(page.status, 404, "{}", page.body);
    assert!(!crate::console::get(&server.url, "/console/experiments", &scoped_cookie).body.contains("exp-main"));

    // The counts survive a restart, with the exposures still buffered when it stopped.
    let (_, late) = recommend(&server.runtime, &exp, "late-user").await;
    let mut want = want;
    let a = arm_of(&late);
    want[a].0 += 1;
    want[a].1 += 1;
    want[a].3 = want[a].3 * (want[a].0 - 1) as f64 / want[a].0 as f64;
    server.stop();
    let server = Server::start_with(&data, &["--config", &config_arg]);
    let root = client(&server.url, (ACCESS_KEY_ID, SECRET_ACCESS_KEY));
    let restarted = arm_counts(&root.results(&exp).await.unwrap());
    for (got, want) in restarted.iter().zip(&want) {
        assert_eq!((got.0, got.1, got.2, got.4), (want.0, want.1, want.2, want.4));
        assert!((got.3 - want.3).abs() < 1e-12, "{got:?} {want:?}");
    }

    // Promoted: the ARN serves the treatment alone, with its campaign's own ids.
    let e = refused(root.call("PromoteExperiment", &json!({"experimentArn": exp, "armName": "nope"})).await.unwrap());
    assert!(e.message.contains("armName") && e.message.contains("treatment"), "{e}");
    root.ok("PromoteExperiment", &json!({"experimentArn": exp, "armName": "treatment"})).await.unwrap();
    let (items, rid) = recommend(&server.runtime, &exp, "user-0").await;
    assert_eq!(items, direct);
    assert!(rid.starts_with("RID-c"), "{rid}");
    let after = root.results(&exp).await.unwrap();
    assert_eq!(arm_counts(&after), restarted, "no exposure counted once promoted");
    assert_eq!(after["experiment"]["promotedArm"], "treatment");
    let e = refused(root.call("StopExperiment", &json!({"experimentArn": exp})).await.unwrap());
    assert_eq!(e.code, "ResourceInUseException", "{e}");

    // An arm's campaign is not deleted from under the experiment.
    let e = expect_code(
        server.control.delete_campaign().campaign_arn(&camp_b).send().await,
        "ResourceInUseException",
        "deleting an arm",
    );
    assert!(e.contains(&exp), "{e}");
    root.ok("DeleteExperiment", &json!({"experimentArn": exp})).await.unwrap();
    let e = refused(root.call("DescribeExperiment", &json!({"experimentArn": exp})).await.unwrap());
    assert_eq!(e.code, "ResourceNotFoundException", "{e}");
}
