use super::campaign::{runtime_request, TryForm};
use super::*;

#[test]
fn the_vendored_htmx_is_the_recorded_one() {
    use sha2::{Digest, Sha256};
    let recorded = include_str!("../../assets/VENDORED.md");
    let sha = hex::encode(Sha256::digest(HTMX_JS));
    assert!(recorded.contains(&sha), "assets/htmx.min.js has sha256 {sha}, not the one in VENDORED.md");
    assert!(recorded.contains(HTMX_VERSION) && HTMX_PATH.contains(HTMX_VERSION));
    assert!(std::str::from_utf8(HTMX_JS).unwrap().contains(&format!("version:\"{HTMX_VERSION}\"")));
}

#[test]
fn the_vendored_uplot_is_the_recorded_one() {
    use sha2::{Digest, Sha256};
    let recorded = include_str!("../../assets/VENDORED.md");
    for (file, bytes) in [("uPlot.iife.min.js", UPLOT_JS), ("uPlot.min.css", UPLOT_CSS)] {
        let sha = hex::encode(Sha256::digest(bytes));
        assert!(recorded.contains(&sha), "assets/{file} has sha256 {sha}, not the one in VENDORED.md");
    }
    assert!(recorded.contains(UPLOT_VERSION));
    assert!(UPLOT_JS_PATH.contains(UPLOT_VERSION) && UPLOT_CSS_PATH.contains(UPLOT_VERSION));
    assert!(std::str::from_utf8(UPLOT_JS)
        .unwrap()
        .starts_with(&format!("/*! https://github.com/leeoniya/uPlot (v{UPLOT_VERSION}) */")));
    assert!(PLOTS_PATH.starts_with("/console/assets/plots-") && PLOTS_PATH.ends_with(".js"));
}

#[test]
fn the_session_cookie_is_found_among_others() {
    let mut headers = HeaderMap::new();
    headers.insert(header::COOKIE, HeaderValue::from_static("a=1; reko_console=abc; b=2"));
    assert_eq!(session_cookie(&headers).as_deref(), Some("abc"));
    headers.insert(header::COOKIE, HeaderValue::from_static("reko_consolex=abc"));
    assert_eq!(session_cookie(&headers), None);
}

#[test]
fn the_try_it_form_becomes_the_runtime_request() {
    let form = TryForm {
        arn: "arn:c".into(),
        user_id: " u1 ".into(),
        num_results: "5".into(),
        filter_values: "GENRE=\"comedy\"\n\nbad line\n".into(),
        context: "DEVICE = phone".into(),
        item_list: "i1, i2\ni3".into(),
        ..TryForm::default()
    };
    let (path, body) = runtime_request(&form, false);
    assert_eq!(path, "/recommendations");
    assert_eq!(
        body,
        json!({"campaignArn": "arn:c", "userId": "u1", "numResults": 5,
               "filterValues": {"GENRE": "\"comedy\""}, "context": {"DEVICE": "phone"}})
    );
    let (path, body) = runtime_request(&form, true);
    assert_eq!(path, "/personalize-ranking");
    assert_eq!(body["inputList"], json!(["i1", "i2", "i3"]));
    assert!(body.get("numResults").is_none());
    // Metadata columns and a promotion, as the API takes them.
    let promoted = TryForm {
        metadata_columns: "GENRE, TITLE".into(),
        promotion_name: "new".into(),
        promotion_filter_arn: "arn:f".into(),
        promotion_percent: "40".into(),
        promotion_filter_values: "G=\"x\"".into(),
        ..form.clone()
    };
    let (_, body) = runtime_request(&promoted, false);
    assert_eq!(body["metadataColumns"], json!({"ITEMS": ["GENRE", "TITLE"]}));
    assert_eq!(
        body["promotions"],
        json!([{"name": "new", "filterArn": "arn:f", "percentPromotedItems": 40, "filterValues": {"G": "\"x\""}}])
    );
    assert!(runtime_request(&form, false).1.get("promotions").is_none(), "no promotion unless asked");
    let bad = TryForm { num_results: "many".into(), ..TryForm::default() };
    assert_eq!(runtime_request(&bad, false).1["numResults"], "many", "left to the service to refuse");
}

#[test]
fn times_and_durations_read_well() {
    assert_eq!(format_time(0.0), "1970-01-01 00:00:00");
    assert_eq!(format_time(1_700_000_000.5), "2023-11-14 22:13:20");
    assert_eq!(format_duration(59.4), "59 s");
    assert_eq!(format_duration(3725.0), "1 h 2 min");
}

// ---------------------------------------------------------------------------------------------
// The pages, rendered over a real service

mod pages {
    use std::time::{Duration, Instant};

    use axum::body::Body;
    use axum::http::Request;
    use reko_service::ServiceConfig;
    use tower::ServiceExt;

    use super::*;
    use crate::{AccessKey, HttpConfig, KeyStore};

    const ROOT_ID: &str = "AKIDPAGESROOT";
    const SCOPED_ID: &str = "AKIDPAGESSCOPED";
    const SECRET: &str = "pages-secret-0001";
    const INTERACTIONS: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
    const ITEMS: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":"string","categorical":true}],"version":"1.0"}"#;

    fn arn(kind: &str, name: &str) -> String {
        format!("arn:aws:personalize:us-east-1:123456789012:{kind}/{name}")
    }

    fn q(arn: &str) -> String {
        arn.replace(':', "%3A").replace('/', "%2F")
    }

    fn call(reko: &Reko, operation: &str, body: Value) -> Value {
        crate::handle_control_plane(reko, &AccessScope::default(), operation, body.to_string().as_bytes())
            .unwrap_or_else(|e| panic!("{operation}: {} {}", e.code(), e.message()))
    }

    fn wait_active(reko: &Reko, operation: &str, key: &str, arn: &str) {
        let started = Instant::now();
        let field = operation.trim_start_matches("Describe");
        let field = format!("{}{}", field[..1].to_ascii_lowercase(), &field[1..]);
        loop {
            let d = call(reko, operation, json!({ key: arn }));
            match d[&field]["status"].as_str() {
                Some("ACTIVE") => return,
                Some(s) if s.contains("FAILED") => panic!("{arn}: {d}"),
                _ => {}
            }
            assert!(started.elapsed() < Duration::from_secs(300), "{arn} is not ACTIVE: {d}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A dataset group `name` with 50 users × 25 interactions (clicks, every fifth a purchase)
    /// over 30 items, an Items dataset of 35 items (5 never interacted with), a GENRE filter, a
    /// popularity-count campaign with metadata, and (`hpo`) a SIMS solution tuned by HPO.
    fn group(reko: &Reko, dir: &std::path::Path, name: &str, hpo: bool) {
        let dsg =
            call(reko, "CreateDatasetGroup", json!({ "name": name }))["datasetGroupArn"].as_str().unwrap().to_string();
        wait_active(reko, "DescribeDatasetGroup", "datasetGroupArn", &dsg);
        let mut csv = String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
        for u in 0..50 {
            for k in 0..25 {
                let kind = if k % 5 == 0 { "purchase" } else { "click" };
                csv.push_str(&format!(
                    "u{u},{name}-i{},{kind},{}\n",
                    (u * 7 + k * k) % 30,
                    1_700_000_000 + (u * 25 + k) * 60
                ));
            }
        }
        let mut items = String::from("ITEM_ID,GENRE\n");
        for i in 0..35 {
            items.push_str(&format!("{name}-i{i},{}\n", if i % 2 == 0 { "drama" } else { "comedy" }));
        }
        for (kind, schema, data) in [("Interactions", INTERACTIONS, csv), ("Items", ITEMS, items)] {
            let schema_name = format!("{name}-{}", kind.to_lowercase());
            let schema =
                call(reko, "CreateSchema", json!({ "name": schema_name, "schema": schema }))["schemaArn"].clone();
            let dataset = call(
                reko,
                "CreateDataset",
                json!({ "name": schema_name, "datasetGroupArn": dsg, "datasetType": kind, "schemaArn": schema }),
            )["datasetArn"]
                .as_str()
                .unwrap()
                .to_string();
            wait_active(reko, "DescribeDataset", "datasetArn", &dataset);
            let file = dir.join(format!("{schema_name}.csv"));
            std::fs::write(&file, data).unwrap();
            let job = call(
                reko,
                "CreateDatasetImportJob",
                json!({ "jobName": format!("{schema_name}-import"), "datasetArn": dataset,
                        "dataSource": { "dataLocation": file.display().to_string() },
                        "roleArn": "arn:aws:iam::123456789012:role/PersonalizeRole" }),
            )["datasetImportJobArn"]
                .as_str()
                .unwrap()
                .to_string();
            wait_active(reko, "DescribeDatasetImportJob", "datasetImportJobArn", &job);
        }
        let filter = call(
            reko,
            "CreateFilter",
            json!({ "name": format!("{name}-drama"), "datasetGroupArn": dsg,
                    "filterExpression": "INCLUDE ItemID WHERE Items.GENRE IN (\"drama\")" }),
        )["filterArn"]
            .as_str()
            .unwrap()
            .to_string();
        wait_active(reko, "DescribeFilter", "filterArn", &filter);
        let train = |solution: &str, body: Value| {
            let s = call(reko, "CreateSolution", body)["solutionArn"].as_str().unwrap().to_string();
            assert_eq!(s, arn("solution", solution));
            wait_active(reko, "DescribeSolution", "solutionArn", &s);
            let v = call(reko, "CreateSolutionVersion", json!({ "solutionArn": s }))["solutionVersionArn"]
                .as_str()
                .unwrap()
                .to_string();
            wait_active(reko, "DescribeSolutionVersion", "solutionVersionArn", &v);
            v
        };
        let recipe = |r: &str| format!("arn:aws:personalize:::recipe/{r}");
        let version = train(
            &format!("{name}-pop"),
            json!({ "name": format!("{name}-pop"), "datasetGroupArn": dsg, "recipeArn": recipe("aws-popularity-count") }),
        );
        let campaign = call(
            reko,
            "CreateCampaign",
            json!({ "name": format!("{name}-campaign"), "solutionVersionArn": version, "minProvisionedTPS": 2,
                    "campaignConfig": { "enableMetadataWithRecommendations": true } }),
        )["campaignArn"]
            .as_str()
            .unwrap()
            .to_string();
        wait_active(reko, "DescribeCampaign", "campaignArn", &campaign);
        if hpo {
            train(
                &format!("{name}-sims"),
                json!({ "name": format!("{name}-sims"), "datasetGroupArn": dsg, "recipeArn": recipe("aws-sims"),
                        "performHPO": true, "solutionConfig": { "hpoConfig": {
                            "hpoResourceConfig": { "maxNumberOfTrainingJobs": "3" },
                            "algorithmHyperParameterRanges": { "integerHyperParameterRanges": [
                                { "name": "min_cointeraction_count", "minValue": 1, "maxValue": 5 }] } } } }),
            );
        }
    }

    struct Fixture {
        app: Router,
        _reko: Reko,
        _tmp: tempfile::TempDir,
    }

    fn fixture() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let reko =
            Reko::open(ServiceConfig { data_dir: tmp.path().join("data"), workers: 2, ..Default::default() }).unwrap();
        group(&reko, tmp.path(), "pages-a", true);
        group(&reko, tmp.path(), "pages-b", false);
        let key = |id: &str, groups: Option<Vec<String>>| AccessKey {
            access_key_id: id.into(),
            secret_access_key: SECRET.into(),
            scope: KeyScope { dataset_groups: groups, ..KeyScope::default() },
        };
        let keys = KeyStore::new(
            "us-east-1",
            [key(ROOT_ID, None), key(SCOPED_ID, Some(vec![arn("dataset-group", "pages-a")]))],
        );
        let settings = vec![
            ("usage_retention_days".to_string(), "400".to_string()),
            ("metrics_token".to_string(), "(redacted)".to_string()),
        ];
        let config = HttpConfig {
            console: Some(ConsoleConfig { secure_cookie: false, settings }),
            ..HttpConfig::new(Authentication::SigV4(Arc::new(keys)))
        };
        Fixture { app: crate::router(reko.clone(), config), _reko: reko, _tmp: tmp }
    }

    struct Answer {
        status: u16,
        body: String,
    }

    impl Fixture {
        async fn send(&self, request: Request<Body>) -> (u16, HeaderMap, String) {
            let response = self.app.clone().oneshot(request).await.unwrap();
            let (status, headers) = (response.status().as_u16(), response.headers().clone());
            let body = axum::body::to_bytes(response.into_body(), 16 << 20).await.unwrap();
            (status, headers, String::from_utf8_lossy(&body).to_string())
        }

        async fn login(&self, id: &str) -> String {
            let form = format!("access_key_id={id}&secret_access_key={SECRET}");
            let request = Request::post("/console/login")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(form))
                .unwrap();
            let (status, headers, body) = self.send(request).await;
            assert_eq!(status, 303, "{body}");
            headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string()
        }

        async fn get(&self, cookie: &str, path: &str) -> Answer {
            let request = Request::get(path).header("cookie", cookie).body(Body::empty()).unwrap();
            let (status, _, body) = self.send(request).await;
            Answer { status, body }
        }

        async fn post(&self, cookie: &str, path: &str, fields: &[(&str, &str)]) -> Answer {
            let form: String = fields
                .iter()
                .map(|(k, v)| format!("{k}={}", v.bytes().map(|b| format!("%{b:02X}")).collect::<String>()))
                .collect::<Vec<_>>()
                .join("&");
            let request = Request::post(path)
                .header("cookie", cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(form))
                .unwrap();
            let (status, _, body) = self.send(request).await;
            Answer { status, body }
        }
    }

    /// The CSRF token of a page's forms.
    fn csrf(page: &str) -> String {
        let marker = r#"name="csrf" value=""#;
        let start = page.find(marker).expect("a CSRF field") + marker.len();
        page[start..start + 64].to_string()
    }

    fn has(page: &Answer, texts: &[&str]) {
        assert_eq!(page.status, 200, "{}", page.body);
        for text in texts {
            assert!(page.body.contains(text), "{text} missing:\n{}", page.body);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_pages_show_real_data_to_the_root_key_and_nothing_of_other_groups_to_a_scoped_key() {
        let f = tokio::task::spawn_blocking(fixture).await.unwrap();
        let (group_a, group_b) = (arn("dataset-group", "pages-a"), arn("dataset-group", "pages-b"));
        let (camp_a, camp_b) = (arn("campaign", "pages-a-campaign"), arn("campaign", "pages-b-campaign"));
        let (drama_a, drama_b) = (arn("filter", "pages-a-drama"), arn("filter", "pages-b-drama"));
        let root = f.login(ROOT_ID).await;
        let overview = f.get(&root, "/console").await;
        has(
            &overview,
            &[&format!("/console/events?arn={}", q(&group_a)), &format!("/console/filters?arn={}", q(&group_a))],
        );
        let token = csrf(&overview.body);

        // The group page: row counts, the history-length histogram and the data rules.
        let group = f.get(&root, &format!("/console/group?arn={}", q(&group_a))).await;
        has(
            &group,
            &[
                "1250 rows)",
                "35 rows)",
                r#"data-plot="history" data-series="[[1,2,4,8,16],[0,0,0,0,50]]""#,
                "Data rules",
                "Users with at least 2 interactions",
                "14.3% (5 of 35)",
                "no Users dataset",
                "Export jobs",
                &format!("/console/solution?arn={}", q(&arn("solution", "pages-a-sims"))),
            ],
        );
        assert_eq!(group.body.matches("status-ACTIVE\">passes").count(), 2, "both rules pass:\n{}", group.body);

        // The solution page: versions side by side with their metrics, training time, the chosen
        // hyperparameter and every HPO trial.
        let solution = f.get(&root, &format!("/console/solution?arn={}", q(&arn("solution", "pages-a-sims")))).await;
        has(
            &solution,
            &[
                "Solution pages-a-sims",
                "aws-sims",
                "Training time",
                "<code>min_cointeraction_count=",
                r#"data-plot="metrics""#,
                "normalized_discounted_cumulative_gain_at_10",
                r#"data-plot="trials""#,
                "(chosen)",
            ],
        );
        assert_eq!(solution.body.matches("<td class=\"num\">3</td>").count(), 1, "three trials:\n{}", solution.body);
        let pop = f.get(&root, &format!("/console/solution?arn={}", q(&arn("solution", "pages-a-pop")))).await;
        has(&pop, &["No version of this solution was trained with <code>performHPO</code>"]);

        // The try-it form with a promotion and metadata columns: promoted drama items, GENRE
        // beside each item, the user's recent events.
        let campaign = f.get(&root, &format!("/console/campaign?arn={}", q(&camp_a))).await;
        has(&campaign, &["promotion_filter_arn", "metadata_columns", r#"data-plot="rate""#, r#"data-plot="latency""#]);
        let answer = f
            .post(
                &root,
                "/console/campaign/try",
                &[
                    ("csrf", &token),
                    ("arn", &camp_a),
                    ("user_id", "u1"),
                    ("num_results", "6"),
                    ("metadata_columns", "GENRE"),
                    ("promotion_name", "dramas"),
                    ("promotion_filter_arn", &drama_a),
                    ("promotion_percent", "50"),
                ],
            )
            .await;
        has(&answer, &["<td>dramas</td>", "GENRE=drama", "GENRE=comedy", "Recent events of u1", "<td>purchase</td>"]);
        assert_eq!(answer.body.matches("<td>dramas</td>").count(), 3, "half of 6 promoted:\n{}", answer.body);
        let refused = f.post(&root, "/console/campaign/try", &[("arn", &camp_a), ("user_id", "u1")]).await;
        assert_eq!(refused.status, 403, "no CSRF token");

        // The campaign page plots the traffic: the call above is in the open window and the last
        // minute, with its latency.
        let campaign = f.get(&root, &format!("/console/campaign?arn={}", q(&camp_a))).await;
        has(&campaign, &["1 requests, 0 errors", "minProvisionedTPS", "since the server started"]);
        let latency = campaign.body.split(r#"data-plot="latency" data-series=""#).nth(1).unwrap();
        let latency: Value =
            serde_json::from_str(&latency[..latency.find('"').unwrap()].replace("&quot;", "\"")).unwrap();
        assert_eq!(latency.as_array().unwrap().len(), 4);
        assert_eq!(latency[0].as_array().unwrap().len(), 60);
        assert!(latency[1].as_array().unwrap().last().unwrap().as_f64().unwrap() > 0.0, "{latency}");

        // The events page: the per-minute plot by type, the tail, which htmx polls.
        let events = f.get(&root, &format!("/console/events?arn={}", q(&group_a))).await;
        has(
            &events,
            &[r#"data-plot="events-per-minute""#, "click", "purchase", "hx-trigger=\"every 3s\"", "<td>u49</td>"],
        );
        let tail = f.get(&root, &format!("/console/events/tail?arn={}", q(&group_a))).await;
        has(&tail, &["<td>u49</td>", "pages-a-i"]);
        assert!(!tail.body.contains("<html"), "a fragment");

        // The filters page: the expression and the test box comparing both lists.
        let filters = f.get(&root, &format!("/console/filters?arn={}", q(&group_a))).await;
        has(&filters, &["INCLUDE ItemID WHERE Items.GENRE IN (&#34;drama&#34;)", "pages-a-campaign", r#"name="csrf""#]);
        let test = f
            .post(
                &root,
                "/console/filters/test",
                &[
                    ("csrf", &token),
                    ("campaign_arn", &camp_a),
                    ("user_id", "u1"),
                    ("num_results", "5"),
                    ("filter_arn", &drama_a),
                ],
            )
            .await;
        has(&test, &["Without a filter", "With filter pages-a-drama"]);
        let (without, with) = test.body.split_once("With filter").unwrap();
        assert_eq!(without.matches("<tr><td class=\"num\">").count(), 5, "{}", test.body);
        assert_eq!(with.matches("<tr><td class=\"num\">").count(), 5, "{}", test.body);
        let listed = |html: &str| -> Vec<String> {
            html.split("<td>pages-a-i").skip(1).map(|s| s[..s.find('<').unwrap()].to_string()).collect()
        };
        assert!(listed(with).iter().all(|i| i.parse::<u32>().unwrap() % 2 == 0), "only dramas: {:?}", listed(with));
        assert_ne!(listed(without), listed(with));
        let no_token = f.post(&root, "/console/filters/test", &[("campaign_arn", &camp_a), ("user_id", "u1")]).await;
        assert_eq!(no_token.status, 403);

        // The configuration page: the settings, read-only.
        let config = f.get(&root, "/console/config").await;
        has(&config, &["usage_retention_days", "metrics_token", "(redacted)"]);
        assert!(!config.body.contains(SECRET));

        // A key scoped to pages-a: pages of pages-b answer 404 with nothing of it, its campaign
        // and filter are refused in the forms, the configuration is a root key's.
        let scoped = f.login(SCOPED_ID).await;
        let scoped_token = csrf(&f.get(&scoped, "/console").await.body);
        for page in [
            format!("/console/solution?arn={}", q(&arn("solution", "pages-b-pop"))),
            format!("/console/events?arn={}", q(&group_b)),
            format!("/console/events/tail?arn={}", q(&group_b)),
            format!("/console/filters?arn={}", q(&group_b)),
            format!("/console/campaign?arn={}", q(&camp_b)),
        ] {
            let answer = f.get(&scoped, &page).await;
            assert_eq!(answer.status, 404, "{page}: {}", answer.body);
            assert!(!answer.body.contains("pages-b-i") && !answer.body.contains("INCLUDE"), "{}", answer.body);
        }
        has(&f.get(&scoped, &format!("/console/events?arn={}", q(&group_a))).await, &["<td>u49</td>"]);
        let other = f
            .post(
                &scoped,
                "/console/filters/test",
                &[("csrf", &scoped_token), ("campaign_arn", &camp_b), ("user_id", "u1"), ("filter_arn", &drama_b)],
            )
            .await;
        assert!(
            other.body.contains("ResourceNotFoundException") && !other.body.contains("pages-b-i"),
            "{}",
            other.body
        );
        let promoted = f
            .post(
                &scoped,
                "/console/campaign/try",
                &[("csrf", &scoped_token), ("arn", &camp_a), ("user_id", "u1"), ("promotion_filter_arn", &drama_b)],
            )
            .await;
        assert!(promoted.body.contains("ResourceNotFoundException"), "{}", promoted.body);
        let config = f.get(&scoped, "/console/config").await;
        assert_eq!(config.status, 403);
        assert!(!config.body.contains("usage_retention_days"));
    }
}
