//! Wire-conformance tests: the official AWS SDK for Rust drives a real `reko serve` process.
//!
//! Each test starts its own server on a free loopback port with its own data directory.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use aws_sdk_personalize::types::{ImportMode, SolutionConfig};
use common::*;

/// Creates a popularity solution + version and waits for both; returns (solution, version).
async fn train_popularity(c: &aws_sdk_personalize::Client, dsg_arn: &str, name: &str) -> (String, String) {
    let sol = ok(
        c.create_solution().name(name).dataset_group_arn(dsg_arn).recipe_arn(POPULARITY_RECIPE).send().await,
        "CreateSolution",
    )
    .solution_arn()
    .expect("solutionArn")
    .to_string();
    wait_active(c, &Res::Solution(sol.clone())).await;
    let sv = ok(c.create_solution_version().solution_arn(&sol).send().await, "CreateSolutionVersion")
        .solution_version_arn()
        .expect("solutionVersionArn")
        .to_string();
    wait_active(c, &Res::SolutionVersion(sv.clone())).await;
    (sol, sv)
}

/// Checks that `got` (a popularity top list) is sorted consistently with `counts`: every
/// returned item is among the top `slack` items by count, and the first one is the top item.
fn assert_popularity_order(got: &[String], counts: &HashMap<String, usize>, slack: usize, what: &str) {
    let ranked = common::MovieLens::ranked(counts);
    let head: HashSet<&String> = ranked[..slack].iter().collect();
    assert_eq!(got.first(), ranked.first(), "{what}: top item; got {got:?}");
    for item in got {
        assert!(
            head.contains(item),
            "{what}: {item} (count {:?}) is not among the {slack} most popular; got {got:?}, expected roughly {:?}",
            counts.get(item),
            &ranked[..got.len()]
        );
    }
}

/// The whole lifecycle on MovieLens 100K: every resource type, Describe/List/Delete,
/// pagination, training, metrics, deployment, recommendations and rankings, and the
/// "in use" error paths.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn movielens_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(ml) = convert_movielens("movielens_end_to_end", &tmp.path().join("ml")) else { return };
    assert_eq!((ml.n_interactions, ml.n_items, ml.n_users), (100_000, 1682, 943));
    let server = Server::start(&tmp.path().join("data"));
    let c = &server.control;
    let rt = &server.runtime;

    // ---- Dataset group -------------------------------------------------------------------
    let dsg = create_dataset_group(c, "ml-dsg").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let d = ok(c.describe_dataset_group().dataset_group_arn(&dsg).send().await, "DescribeDatasetGroup");
    let d = d.dataset_group().unwrap();
    assert_eq!(d.name(), Some("ml-dsg"));
    assert_eq!(d.status(), Some("ACTIVE"));
    assert!(d.creation_date_time().is_some() && d.last_updated_date_time().is_some());
    expect_code(
        c.create_dataset_group().name("ml-dsg").send().await,
        "ResourceAlreadyExistsException",
        "CreateDatasetGroup(duplicate)",
    );

    // ---- Schemas and datasets ------------------------------------------------------------
    let s_int = create_schema(c, "ml-interactions", ML_INTERACTIONS_SCHEMA).await;
    let s_items = create_schema(c, "ml-items", ML_ITEMS_SCHEMA).await;
    let s_users = create_schema(c, "ml-users", ML_USERS_SCHEMA).await;
    let described = ok(c.describe_schema().schema_arn(&s_int).send().await, "DescribeSchema");
    let described = described.schema().unwrap();
    assert_eq!(described.name(), Some("ml-interactions"));
    let a: serde_json::Value = serde_json::from_str(described.schema().unwrap()).unwrap();
    let b: serde_json::Value = serde_json::from_str(ML_INTERACTIONS_SCHEMA).unwrap();
    assert_eq!(a, b, "DescribeSchema must return the schema document");

    let ds_int = create_dataset(c, &dsg, "ml-dsg", "ml-int", "Interactions", &s_int).await;
    let ds_items = create_dataset(c, &dsg, "ml-dsg", "ml-items", "Items", &s_items).await;
    let ds_users = create_dataset(c, &dsg, "ml-dsg", "ml-users", "Users", &s_users).await;
    let dd = ok(c.describe_dataset().dataset_arn(&ds_int).send().await, "DescribeDataset");
    let dd = dd.dataset().unwrap();
    assert_eq!(dd.dataset_type(), Some("INTERACTIONS"));
    assert_eq!(dd.dataset_group_arn(), Some(dsg.as_str()));
    assert_eq!(dd.schema_arn(), Some(s_int.as_str()));
    assert_eq!(dd.name(), Some("ml-int"));
    expect_code(
        c.create_dataset()
            .name("ml-int-2")
            .dataset_group_arn(&dsg)
            .dataset_type("INTERACTIONS")
            .schema_arn(&s_int)
            .send()
            .await,
        "ResourceAlreadyExistsException",
        "CreateDataset(second interactions dataset)",
    );

    let (datasets, pages) = collect_pages(2, |token| {
        let dsg = dsg.clone();
        async move {
            let out = ok(
                c.list_datasets().dataset_group_arn(dsg).max_results(2).set_next_token(token).send().await,
                "ListDatasets",
            );
            (
                out.datasets().iter().map(|d| d.dataset_arn().unwrap().to_string()).collect::<Vec<_>>(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await;
    assert_eq!(pages, 2, "3 datasets with maxResults=2 → 2 pages");
    let got: HashSet<String> = datasets.into_iter().collect();
    let want: HashSet<String> = [&ds_int, &ds_items, &ds_users].into_iter().cloned().collect();
    assert_eq!(got, want);

    // In use: dataset group with datasets, schema used by a dataset.
    expect_code(
        c.delete_dataset_group().dataset_group_arn(&dsg).send().await,
        "ResourceInUseException",
        "DeleteDatasetGroup(with datasets)",
    );
    expect_code(
        c.delete_schema().schema_arn(&s_int).send().await,
        "ResourceInUseException",
        "DeleteSchema(used by a dataset)",
    );

    // ---- Imports -------------------------------------------------------------------------
    let j_int = import(c, "ml-import-int", &ds_int, &file_url(&ml.interactions), None).await;
    let j_items = import(c, "ml-import-items", &ds_items, &file_url(&ml.items), None).await;
    let j_users = import(c, "ml-import-users", &ds_users, &file_url(&ml.users), None).await;
    for j in [&j_int, &j_items, &j_users] {
        wait_active(c, &Res::ImportJob(j.clone())).await;
    }
    let jd =
        ok(c.describe_dataset_import_job().dataset_import_job_arn(&j_int).send().await, "DescribeDatasetImportJob");
    let jd = jd.dataset_import_job().unwrap();
    assert_eq!(jd.job_name(), Some("ml-import-int"));
    assert_eq!(jd.dataset_arn(), Some(ds_int.as_str()));
    assert_eq!(jd.data_source().and_then(|d| d.data_location()), Some(file_url(&ml.interactions).as_str()));
    assert!(jd.failure_reason().is_none());
    let listed = ok(c.list_dataset_import_jobs().dataset_arn(&ds_int).send().await, "ListDatasetImportJobs");
    assert_eq!(listed.dataset_import_jobs().len(), 1);
    assert_eq!(listed.dataset_import_jobs()[0].dataset_import_job_arn(), Some(j_int.as_str()));
    assert_eq!(listed.dataset_import_jobs()[0].status(), Some("ACTIVE"));

    // ---- Solutions -----------------------------------------------------------------------
    let (sol, sv) = train_popularity(c, &dsg, "ml-pop").await;
    assert_eq!(sol, arn("solution", "ml-pop"));
    let suffix = sv.strip_prefix(&format!("{sol}/")).unwrap_or_else(|| panic!("version ARN {sv} not under {sol}"));
    assert!(
        suffix.len() == 8 && suffix.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
        "version id {suffix:?} is not 8 lowercase hex chars"
    );
    let sd = ok(c.describe_solution().solution_arn(&sol).send().await, "DescribeSolution");
    let sd = sd.solution().unwrap();
    assert_eq!(sd.recipe_arn(), Some(POPULARITY_RECIPE));
    assert_eq!(sd.dataset_group_arn(), Some(dsg.as_str()));
    assert_eq!(sd.latest_solution_version().and_then(|v| v.solution_version_arn()), Some(sv.as_str()));

    // Second solution: only ratings >= 4 count.
    let sol4 = ok(
        c.create_solution()
            .name("ml-pop-4plus")
            .dataset_group_arn(&dsg)
            .recipe_arn(POPULARITY_RECIPE)
            .event_type("rating")
            .solution_config(SolutionConfig::builder().event_value_threshold("4").build())
            .send()
            .await,
        "CreateSolution(threshold)",
    )
    .solution_arn()
    .unwrap()
    .to_string();
    wait_active(c, &Res::Solution(sol4.clone())).await;
    let sd4 = ok(c.describe_solution().solution_arn(&sol4).send().await, "DescribeSolution");
    let sd4 = sd4.solution().unwrap();
    assert_eq!(sd4.event_type(), Some("rating"));
    assert_eq!(sd4.solution_config().and_then(|s| s.event_value_threshold()), Some("4"));
    let sv4 = ok(c.create_solution_version().solution_arn(&sol4).send().await, "CreateSolutionVersion(threshold)")
        .solution_version_arn()
        .unwrap()
        .to_string();
    wait_active(c, &Res::SolutionVersion(sv4.clone())).await;

    let (solutions, _) = collect_pages(1, |token| {
        let dsg = dsg.clone();
        async move {
            let out = ok(
                c.list_solutions().dataset_group_arn(dsg).max_results(1).set_next_token(token).send().await,
                "ListSolutions",
            );
            (
                out.solutions().iter().map(|s| s.solution_arn().unwrap().to_string()).collect::<Vec<_>>(),
                out.next_token().map(str::to_string),
            )
        }
    })
    .await;
    assert_eq!(solutions.iter().collect::<HashSet<_>>(), [&sol, &sol4].into_iter().collect::<HashSet<_>>());
    let versions = ok(c.list_solution_versions().solution_arn(&sol).send().await, "ListSolutionVersions");
    assert_eq!(versions.solution_versions().len(), 1);
    assert_eq!(versions.solution_versions()[0].solution_version_arn(), Some(sv.as_str()));

    // ---- Metrics -------------------------------------------------------------------------
    for v in [&sv, &sv4] {
        let m = ok(c.get_solution_metrics().solution_version_arn(v).send().await, "GetSolutionMetrics");
        assert_eq!(m.solution_version_arn(), Some(v.as_str()));
        let metrics = m.metrics().expect("metrics");
        for key in METRIC_KEYS {
            let value = metrics.get(key).unwrap_or_else(|| panic!("metric {key} missing: {metrics:?}"));
            assert!((0.0..=1.0).contains(value), "metric {key} = {value} out of [0, 1]");
        }
        assert!(metrics["coverage"] > 0.0, "{metrics:?}");
        assert!(metrics["precision_at_25"] > 0.0, "{metrics:?}");
    }

    // ---- Campaign and runtime ------------------------------------------------------------
    let camp = deploy(c, "ml-campaign", &sv).await;
    let cd = ok(c.describe_campaign().campaign_arn(&camp).send().await, "DescribeCampaign");
    let cd = cd.campaign().unwrap();
    assert_eq!(cd.solution_version_arn(), Some(sv.as_str()));
    assert_eq!(cd.min_provisioned_tps(), Some(1));
    let listed = ok(c.list_campaigns().solution_arn(&sol).send().await, "ListCampaigns");
    assert_eq!(listed.campaigns().len(), 1);
    assert_eq!(listed.campaigns()[0].campaign_arn(), Some(camp.as_str()));

    expect_code(
        c.delete_solution().solution_arn(&sol).send().await,
        "ResourceInUseException",
        "DeleteSolution(with a campaign)",
    );

    let r = ok(
        rt.get_recommendations().campaign_arn(&camp).user_id("196").send().await,
        "GetRecommendations(default numResults)",
    );
    let top25 = ids(r.item_list());
    assert_eq!(top25.len(), 25, "default numResults is 25");
    assert_eq!(top25.iter().collect::<HashSet<_>>().len(), 25, "duplicate items: {top25:?}");
    let rid = r.recommendation_id().expect("recommendationId");
    assert!(rid.starts_with("RID-") && rid.len() <= 40, "{rid}");
    for item in r.item_list() {
        assert!(item.score().is_none(), "aws-popularity-count returns no scores (reference §8.1): {item:?}");
    }
    assert_popularity_order(&top25, &ml.popularity, 40, "popularity top 25");

    let r10 = ok(
        rt.get_recommendations().campaign_arn(&camp).user_id("196").num_results(10).send().await,
        "GetRecommendations(numResults=10)",
    );
    let top10 = ids(r10.item_list());
    assert_eq!(top10, top25[..10].to_vec());
    assert_ne!(r10.recommendation_id(), r.recommendation_id());

    let other = ok(
        rt.get_recommendations().campaign_arn(&camp).user_id("1").num_results(10).send().await,
        "GetRecommendations(other user)",
    );
    assert_eq!(ids(other.item_list()), top10, "popularity is the same for everyone");
    let unknown = ok(
        rt.get_recommendations().campaign_arn(&camp).user_id("no-such-user-424242").num_results(10).send().await,
        "GetRecommendations(unknown user)",
    );
    assert_eq!(ids(unknown.item_list()), top10, "unknown users get popular items");

    expect_code(
        rt.get_recommendations().campaign_arn(&camp).user_id("196").num_results(501).send().await,
        "InvalidInputException",
        "GetRecommendations(numResults=501)",
    );
    expect_code(
        rt.get_recommendations().campaign_arn("notanarn").user_id("196").send().await,
        "InvalidInputException",
        "GetRecommendations(bad ARN)",
    );
    expect_code(
        rt.get_recommendations().campaign_arn(arn("campaign", "no-such-campaign")).user_id("196").send().await,
        "ResourceNotFoundException",
        "GetRecommendations(unknown campaign)",
    );

    expect_code(
        rt.get_recommendations().user_id("196").send().await,
        "InvalidInputException",
        "GetRecommendations(neither campaignArn nor recommenderArn)",
    );
    expect_code(
        c.get_solution_metrics().solution_version_arn(format!("{sol}/0000beef")).send().await,
        "ResourceNotFoundException",
        "GetSolutionMetrics(unknown version)",
    );

    // Ranking (a Reko extension on popularity campaigns): by popularity, unknown items last.
    let ranked_all = common::MovieLens::ranked(&ml.popularity);
    let (very, mid, low) = (ranked_all[0].clone(), ranked_all[100].clone(), ranked_all[1000].clone());
    let input = vec![low.clone(), "no-such-item-1".to_string(), mid.clone(), very.clone()];
    let ranking = ok(
        rt.get_personalized_ranking().campaign_arn(&camp).user_id("196").set_input_list(Some(input)).send().await,
        "GetPersonalizedRanking",
    );
    assert_eq!(
        ids(ranking.personalized_ranking()),
        vec![very.clone(), mid.clone(), low.clone(), "no-such-item-1".into()]
    );
    assert!(ranking.recommendation_id().is_some_and(|r| r.starts_with("RID-")));

    expect_code(
        rt.get_personalized_ranking()
            .campaign_arn(&camp)
            .user_id("196")
            .set_input_list(Some((1..=501).map(|i| i.to_string()).collect()))
            .send()
            .await,
        "InvalidInputException",
        "GetPersonalizedRanking(501 items)",
    );

    // ---- The thresholded solution behind its own campaign ------------------------------------
    let camp4 = deploy(c, "ml-campaign-4plus", &sv4).await;
    let r4 = ok(
        rt.get_recommendations().campaign_arn(&camp4).user_id("196").send().await,
        "GetRecommendations(threshold campaign)",
    );
    let top25_4 = ids(r4.item_list());
    assert_eq!(top25_4.len(), 25);
    assert_ne!(top25_4, top25, "eventValueThreshold=4 must change the popularity list");
    assert_popularity_order(&top25_4, &ml.popularity_4plus, 40, "ratings>=4 top 25");

    // ---- UpdateCampaign to a new version of the same solution -------------------------------
    let sv_b = ok(c.create_solution_version().solution_arn(&sol).send().await, "CreateSolutionVersion(second)")
        .solution_version_arn()
        .unwrap()
        .to_string();
    assert_ne!(sv_b, sv);
    wait_active(c, &Res::SolutionVersion(sv_b.clone())).await;
    let versions = ok(
        c.list_solution_versions().solution_arn(&sol).max_results(1).send().await,
        "ListSolutionVersions(maxResults=1)",
    );
    assert_eq!(versions.solution_versions().len(), 1);
    assert!(versions.next_token().is_some(), "2 versions, 1 per page");
    ok(
        c.update_campaign().campaign_arn(&camp).solution_version_arn(&sv_b).min_provisioned_tps(2).send().await,
        "UpdateCampaign",
    );
    wait_active(c, &Res::CampaignUpdate(camp.clone())).await;
    let cd = ok(c.describe_campaign().campaign_arn(&camp).send().await, "DescribeCampaign");
    let cd = cd.campaign().unwrap();
    assert_eq!(cd.status(), Some("ACTIVE"));
    assert_eq!(cd.solution_version_arn(), Some(sv_b.as_str()));
    assert_eq!(cd.min_provisioned_tps(), Some(2));
    let update = cd.latest_campaign_update().expect("latestCampaignUpdate");
    assert_eq!(update.solution_version_arn(), Some(sv_b.as_str()));
    let after = ok(
        rt.get_recommendations().campaign_arn(&camp).user_id("196").send().await,
        "GetRecommendations(after update)",
    );
    assert_eq!(ids(after.item_list()), top25, "same data, same popularity list");
    expect_code(
        c.update_campaign().campaign_arn(arn("campaign", "no-such-campaign")).min_provisioned_tps(1).send().await,
        "ResourceNotFoundException",
        "UpdateCampaign(unknown)",
    );

    // ---- Event tracker -------------------------------------------------------------------
    let et = ok(c.create_event_tracker().name("ml-tracker").dataset_group_arn(&dsg).send().await, "CreateEventTracker");
    let et_arn = et.event_tracker_arn().unwrap().to_string();
    assert_eq!(et_arn, arn("event-tracker", "ml-tracker"));
    let tracking_id = et.tracking_id().expect("trackingId").to_string();
    assert_eq!(tracking_id.len(), 36, "trackingId is a UUID: {tracking_id}");
    wait_active(c, &Res::EventTracker(et_arn.clone())).await;
    let etd = ok(c.describe_event_tracker().event_tracker_arn(&et_arn).send().await, "DescribeEventTracker");
    let etd = etd.event_tracker().unwrap();
    assert_eq!(etd.tracking_id(), Some(tracking_id.as_str()));
    assert_eq!(etd.account_id(), Some(ACCOUNT));
    assert_eq!(etd.dataset_group_arn(), Some(dsg.as_str()));
    expect_code(
        c.create_event_tracker().name("ml-tracker-2").dataset_group_arn(&dsg).send().await,
        "ResourceAlreadyExistsException",
        "CreateEventTracker(second on the dataset group)",
    );
    let ets = ok(c.list_event_trackers().dataset_group_arn(&dsg).send().await, "ListEventTrackers");
    assert_eq!(ets.event_trackers().len(), 1);

    // ---- Teardown, in dependency order -----------------------------------------------------
    for cp in [&camp, &camp4] {
        ok(c.delete_campaign().campaign_arn(cp).send().await, "DeleteCampaign");
    }
    wait_gone(c, &Res::Campaign(camp.clone())).await;
    wait_gone(c, &Res::Campaign(camp4.clone())).await;
    expect_code(
        c.describe_campaign().campaign_arn(&camp).send().await,
        "ResourceNotFoundException",
        "DescribeCampaign(deleted)",
    );
    for s in [&sol, &sol4] {
        ok(c.delete_solution().solution_arn(s).send().await, "DeleteSolution");
    }
    wait_gone(c, &Res::Solution(sol.clone())).await;
    wait_gone(c, &Res::Solution(sol4.clone())).await;
    expect_code(
        c.describe_solution_version().solution_version_arn(&sv).send().await,
        "ResourceNotFoundException",
        "DescribeSolutionVersion(solution deleted)",
    );
    ok(c.delete_event_tracker().event_tracker_arn(&et_arn).send().await, "DeleteEventTracker");
    wait_gone(c, &Res::EventTracker(et_arn.clone())).await;
    for d in [&ds_int, &ds_items, &ds_users] {
        ok(c.delete_dataset().dataset_arn(d).send().await, "DeleteDataset");
    }
    for d in [&ds_int, &ds_items, &ds_users] {
        wait_gone(c, &Res::Dataset(d.clone())).await;
    }
    for s in [&s_int, &s_items, &s_users] {
        ok(c.delete_schema().schema_arn(s).send().await, "DeleteSchema");
        expect_code(
            c.describe_schema().schema_arn(s).send().await,
            "ResourceNotFoundException",
            "DescribeSchema(deleted)",
        );
    }
    ok(c.delete_dataset_group().dataset_group_arn(&dsg).send().await, "DeleteDatasetGroup");
    wait_gone(c, &Res::DatasetGroup(dsg.clone())).await;
}

/// Validation, not-found, duplicate and pagination behaviour that needs no data, plus an
/// unimplemented operation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_plane_errors_and_pagination() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"));
    let c = &server.control;

    // Five dataset groups, paginated two at a time.
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(create_dataset_group(c, &format!("page-dsg-{i}")).await);
    }
    for a in &created {
        wait_active(c, &Res::DatasetGroup(a.clone())).await;
    }
    let (listed, pages) = collect_pages(2, |token| async move {
        let out = ok(c.list_dataset_groups().max_results(2).set_next_token(token).send().await, "ListDatasetGroups");
        for s in out.dataset_groups() {
            assert!(s.status().is_some() && s.name().is_some(), "{s:?}");
        }
        (
            out.dataset_groups().iter().map(|d| d.dataset_group_arn().unwrap().to_string()).collect::<Vec<_>>(),
            out.next_token().map(str::to_string),
        )
    })
    .await;
    assert_eq!(pages, 3, "5 dataset groups at 2 per page");
    assert_eq!(listed.len(), 5, "{listed:?}");
    assert_eq!(listed.iter().collect::<HashSet<_>>(), created.iter().collect::<HashSet<_>>());
    let all = ok(c.list_dataset_groups().send().await, "ListDatasetGroups");
    assert_eq!(all.dataset_groups().len(), 5);
    assert!(all.next_token().is_none());
    {
        use aws_sdk_personalize::operation::RequestId;
        assert!(all.request_id().is_some_and(|r| !r.is_empty()), "x-amzn-RequestId header missing");
    }

    // Schemas paginate too.
    for i in 0..3 {
        create_schema(c, &format!("page-schema-{i}"), reko_synth::users_schema()).await;
    }
    let (schemas, pages) = collect_pages(2, |token| async move {
        let out = ok(c.list_schemas().max_results(2).set_next_token(token).send().await, "ListSchemas");
        (
            out.schemas().iter().map(|s| s.name().unwrap().to_string()).collect::<Vec<_>>(),
            out.next_token().map(str::to_string),
        )
    })
    .await;
    assert_eq!((schemas.len(), pages), (3, 2));

    // Duplicates.
    expect_code(
        c.create_dataset_group().name("page-dsg-0").send().await,
        "ResourceAlreadyExistsException",
        "CreateDatasetGroup(duplicate)",
    );
    expect_code(
        c.create_schema().name("page-schema-0").schema(reko_synth::users_schema()).send().await,
        "ResourceAlreadyExistsException",
        "CreateSchema(duplicate)",
    );

    // Not found.
    expect_code(
        c.describe_dataset_group().dataset_group_arn(arn("dataset-group", "nope")).send().await,
        "ResourceNotFoundException",
        "DescribeDatasetGroup(unknown)",
    );
    expect_code(
        c.describe_schema().schema_arn(arn("schema", "nope")).send().await,
        "ResourceNotFoundException",
        "DescribeSchema(unknown)",
    );
    expect_code(
        c.describe_solution().solution_arn(arn("solution", "nope")).send().await,
        "ResourceNotFoundException",
        "DescribeSolution(unknown)",
    );
    expect_code(
        c.describe_campaign().campaign_arn(arn("campaign", "nope")).send().await,
        "ResourceNotFoundException",
        "DescribeCampaign(unknown)",
    );
    expect_code(
        c.delete_dataset_group().dataset_group_arn(arn("dataset-group", "nope")).send().await,
        "ResourceNotFoundException",
        "DeleteDatasetGroup(unknown)",
    );
    expect_code(
        c.create_dataset()
            .name("ds")
            .dataset_group_arn(arn("dataset-group", "nope"))
            .dataset_type("Interactions")
            .schema_arn(arn("schema", "page-schema-0"))
            .send()
            .await,
        "ResourceNotFoundException",
        "CreateDataset(unknown dataset group)",
    );
    expect_code(
        c.create_solution_version().solution_arn(arn("solution", "nope")).send().await,
        "ResourceNotFoundException",
        "CreateSolutionVersion(unknown solution)",
    );

    // Invalid input.
    for bad in ["bad name!", "-leading-dash", &"x".repeat(64)] {
        expect_code(
            c.create_dataset_group().name(bad).send().await,
            "InvalidInputException",
            &format!("CreateDatasetGroup(name {bad:?})"),
        );
    }
    expect_code(
        c.list_dataset_groups().max_results(1000).send().await,
        "InvalidInputException",
        "ListDatasetGroups(maxResults=1000)",
    );
    expect_code(c.list_recipes().max_results(101).send().await, "InvalidInputException", "ListRecipes(maxResults=101)");
    expect_code(
        c.describe_dataset_group().dataset_group_arn("notanarn").send().await,
        "InvalidInputException",
        "DescribeDatasetGroup(bad ARN)",
    );
    expect_code(
        c.create_schema().name("bad-schema").schema("{not json").send().await,
        "InvalidInputException",
        "CreateSchema(unparseable)",
    );
    expect_code(
        c.create_dataset()
            .name("ds")
            .dataset_group_arn(&created[0])
            .dataset_type("Nonsense")
            .schema_arn(arn("schema", "page-schema-0"))
            .send()
            .await,
        "InvalidInputException",
        "CreateDataset(bad datasetType)",
    );
    let msg = expect_code(
        c.list_dataset_groups().next_token("definitely-not-a-token").send().await,
        "InvalidNextTokenException",
        "ListDatasetGroups(bad nextToken)",
    );
    assert!(!msg.is_empty());

    // A dataset needs a schema of its type.
    let items_schema = create_schema(c, "items-schema", reko_synth::items_schema()).await;
    expect_code(
        c.create_dataset()
            .name("ds")
            .dataset_group_arn(&created[0])
            .dataset_type("Interactions")
            .schema_arn(&items_schema)
            .send()
            .await,
        "InvalidInputException",
        "CreateDataset(Items schema for an Interactions dataset)",
    );

    // Training without any imported data fails the version (with a reason), and a failed
    // version cannot be deployed.
    let int_schema = create_schema(c, "int-schema", reko_synth::interactions_schema()).await;
    let ds = ok(
        c.create_dataset()
            .name("empty-int")
            .dataset_group_arn(&created[0])
            .dataset_type("Interactions")
            .schema_arn(&int_schema)
            .send()
            .await,
        "CreateDataset",
    )
    .dataset_arn()
    .unwrap()
    .to_string();
    wait_active(c, &Res::Dataset(ds.clone())).await;
    let sol = ok(
        c.create_solution().name("no-data").dataset_group_arn(&created[0]).recipe_arn(POPULARITY_RECIPE).send().await,
        "CreateSolution",
    )
    .solution_arn()
    .unwrap()
    .to_string();
    wait_active(c, &Res::Solution(sol.clone())).await;
    let sv = ok(c.create_solution_version().solution_arn(&sol).send().await, "CreateSolutionVersion")
        .solution_version_arn()
        .unwrap()
        .to_string();
    let (status, reason) = wait_settled(c, &Res::SolutionVersion(sv.clone()), WAIT).await;
    assert_eq!(status, "CREATE FAILED", "training without data");
    assert!(reason.is_some_and(|r| !r.is_empty()), "failureReason missing");
    expect_code(
        c.create_campaign().name("on-failed-version").solution_version_arn(&sv).send().await,
        "ResourceInUseException",
        "CreateCampaign(failed solution version)",
    );
    expect_code(
        c.delete_dataset_group().dataset_group_arn(&created[0]).send().await,
        "ResourceInUseException",
        "DeleteDatasetGroup(with a solution and a dataset)",
    );
    ok(c.delete_solution().solution_arn(&sol).send().await, "DeleteSolution");
    wait_gone(c, &Res::Solution(sol)).await;
    ok(c.delete_dataset().dataset_arn(&ds).send().await, "DeleteDataset");
    wait_gone(c, &Res::Dataset(ds)).await;

    // Unimplemented operations fail loudly with their name.
    let msg = expect_code(
        c.create_recommender()
            .name("rec")
            .dataset_group_arn(&created[0])
            .recipe_arn("arn:aws:personalize:::recipe/aws-vod-top-picks")
            .send()
            .await,
        "NotImplementedException",
        "CreateRecommender",
    );
    assert!(msg.contains("CreateRecommender"), "message {msg:?}");

    // Deletion.
    for a in &created {
        ok(c.delete_dataset_group().dataset_group_arn(a).send().await, "DeleteDatasetGroup");
    }
    for a in &created {
        wait_gone(c, &Res::DatasetGroup(a.clone())).await;
    }
    let all = ok(c.list_dataset_groups().send().await, "ListDatasetGroups");
    assert!(all.dataset_groups().is_empty());

    // ---- Recipes -------------------------------------------------------------------------
    // Only recipes Reko really trains are listed (issue: "ListRecipes lists only recipes that
    // really work"); paginate one at a time so the token path is exercised.
    let (recipes, pages) = collect_pages(1, |token| async move {
        let out = ok(c.list_recipes().max_results(1).set_next_token(token).send().await, "ListRecipes");
        (
            out.recipes().iter().map(|r| r.recipe_arn().expect("recipeArn").to_string()).collect::<Vec<_>>(),
            out.next_token().map(str::to_string),
        )
    })
    .await;
    assert_eq!(pages, recipes.len(), "one recipe per page with maxResults=1");
    let unique: HashSet<&String> = recipes.iter().collect();
    assert_eq!(unique.len(), recipes.len(), "duplicate recipes across pages");
    assert!(recipes.contains(&POPULARITY_RECIPE.to_string()), "{recipes:?}");
    assert!(
        !recipes.iter().any(|r| r.ends_with("/aws-next-best-action")),
        "recipes that are not trainable yet must not be listed: {recipes:?}"
    );
    let domain =
        ok(c.list_recipes().domain(aws_sdk_personalize::types::Domain::Ecommerce).send().await, "ListRecipes(domain)");
    assert!(domain.recipes().is_empty(), "no domain use-case recipe works yet");
    expect_code(
        c.create_solution()
            .name("sims-not-yet")
            .dataset_group_arn("arn:aws:personalize:us-east-1:123456789012:dataset-group/none")
            .recipe_arn("arn:aws:personalize:::recipe/aws-sims")
            .send()
            .await,
        "ResourceNotFoundException",
        "CreateSolution(unknown dataset group)",
    );
    let recipe = ok(c.describe_recipe().recipe_arn(POPULARITY_RECIPE).send().await, "DescribeRecipe");
    let recipe = recipe.recipe().expect("recipe");
    assert_eq!(recipe.name(), Some("aws-popularity-count"));
    assert_eq!(recipe.recipe_arn(), Some(POPULARITY_RECIPE));
    assert_eq!(recipe.status(), Some("ACTIVE"));
    assert!(recipe.recipe_type().is_some_and(|t| !t.is_empty()));
    expect_code(
        c.describe_recipe().recipe_arn("arn:aws:personalize:::recipe/aws-no-such-recipe").send().await,
        "ResourceNotFoundException",
        "DescribeRecipe(unknown)",
    );
}

/// A CSV with a bad value on one line fails the whole import with a reason naming the file,
/// line and column; none of its rows become visible and later imports still work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_import_is_atomic_and_reports_location() {
    let tmp = tempfile::tempdir().unwrap();
    let synth_dir = tmp.path().join("synth");
    std::fs::create_dir_all(&synth_dir).unwrap();
    let cfg = reko_synth::SynthConfig { users: 300, items: 200, interactions: 6_000, seed: 11, ..Default::default() };
    let files = reko_synth::write_dataset(&synth_dir, &cfg).unwrap();
    // Split the good interactions into two files: the base import and a later increment.
    let text = std::fs::read_to_string(&files.interactions).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    let rows: Vec<&str> = lines.collect();
    let (first, second) = rows.split_at(rows.len() - 1_500);
    let base = synth_dir.join("base.csv");
    std::fs::write(&base, format!("{header}\n{}\n", first.join("\n"))).unwrap();
    let more = synth_dir.join("more.csv");
    std::fs::write(&more, format!("{header}\n{}\n", second.join("\n"))).unwrap();

    // 2000 valid rows for a "ghost" item that would dominate popularity if any leaked,
    // then a bad TIMESTAMP on the last line (line 1 is the header).
    let bad = synth_dir.join("bad-interactions.csv");
    let mut body = format!("{header}\n");
    for u in 1..=2000 {
        body.push_str(&format!("u{u},ghost-item,view,1.0,mobile,1730000000\n"));
    }
    body.push_str("u1,ghost-item,view,1.0,mobile,not-a-timestamp\n");
    std::fs::write(&bad, body).unwrap();
    let bad_line = 2002;

    let server = Server::start(&tmp.path().join("data"));
    let c = &server.control;
    let dsg = create_dataset_group(c, "imp-dsg").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(c, "imp-int", reko_synth::interactions_schema()).await;
    let ds = create_dataset(c, &dsg, "imp-dsg", "imp-int", "Interactions", &schema).await;

    let j1 = import(c, "imp-base", &ds, &file_url(&base), None).await;
    wait_active(c, &Res::ImportJob(j1)).await;

    // Strict (a bad TIMESTAMP would otherwise skip its row): the job tag makes it fail.
    let j2 = c
        .create_dataset_import_job()
        .job_name("imp-bad")
        .dataset_arn(&ds)
        .data_source(aws_sdk_personalize::types::DataSource::builder().data_location(file_url(&bad)).build())
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/PersonalizeRole"))
        .import_mode(ImportMode::Incremental)
        .tags(
            aws_sdk_personalize::types::Tag::builder().tag_key("reko:strict-import").tag_value("true").build().unwrap(),
        )
        .send()
        .await;
    let j2 = ok(j2, "CreateDatasetImportJob").dataset_import_job_arn().unwrap().to_string();
    let (status, reason) = wait_settled(c, &Res::ImportJob(j2.clone()), WAIT).await;
    assert_eq!(status, "CREATE FAILED", "bad CSV must fail the import");
    let reason = reason.expect("failureReason on a failed import");
    assert!(reason.contains("bad-interactions.csv"), "failureReason must name the file: {reason:?}");
    assert!(
        reason.to_lowercase().contains("line") && reason.contains(&bad_line.to_string()),
        "failureReason must name line {bad_line}: {reason:?}"
    );
    assert!(reason.contains("TIMESTAMP"), "failureReason must name the column: {reason:?}");

    let j3 = import(c, "imp-more", &ds, &file_url(&more), Some(ImportMode::Incremental)).await;
    wait_active(c, &Res::ImportJob(j3)).await;

    let (_, sv) = train_popularity(c, &dsg, "imp-pop").await;
    let camp = deploy(c, "imp-campaign", &sv).await;
    let r = ok(
        server.runtime.get_recommendations().campaign_arn(&camp).user_id("u1").num_results(100).send().await,
        "GetRecommendations",
    );
    let got = ids(r.item_list());
    assert!(!got.is_empty());
    assert!(!got.contains(&"ghost-item".to_string()), "rows of the failed import leaked into training: {got:?}");
    // Items only present in the later increment are visible: every recommended id is a
    // synthetic item.
    assert!(got.iter().all(|i| i.starts_with('i')), "{got:?}");
}

/// Kills the server while an import (and then a training) is in progress, restarts it on the
/// same data directory, and checks that the work ends ACTIVE or CREATE FAILED, never stuck.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_recovers_in_progress_work() {
    let tmp = tempfile::tempdir().unwrap();
    let synth_dir = tmp.path().join("synth");
    std::fs::create_dir_all(&synth_dir).unwrap();
    let cfg =
        reko_synth::SynthConfig { users: 20_000, items: 5_000, interactions: 600_000, seed: 5, ..Default::default() };
    let files = reko_synth::write_dataset(&synth_dir, &cfg).unwrap();
    let data_dir = tmp.path().join("data");

    let mut server = Server::start(&data_dir);
    let c = server.control.clone();
    let dsg = create_dataset_group(&c, "rs-dsg").await;
    wait_active(&c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(&c, "rs-int", reko_synth::interactions_schema()).await;
    let ds = create_dataset(&c, &dsg, "rs-dsg", "rs-int", "Interactions", &schema).await;

    // Import, killed mid-flight when we manage to observe it in progress.
    let job = import(&c, "rs-import", &ds, &file_url(&files.interactions), None).await;
    let caught_import = kill_when_in_progress(&mut server, &Res::ImportJob(job.clone())).await;
    eprintln!("restart test: import killed while in progress: {caught_import}");
    server.kill();

    let mut server = Server::start(&data_dir);
    let c = server.control.clone();
    // Finished resources survive the restart.
    wait_active(&c, &Res::DatasetGroup(dsg.clone())).await;
    wait_active(&c, &Res::Dataset(ds.clone())).await;
    let (status, reason) = wait_settled(&c, &Res::ImportJob(job.clone()), WAIT).await;
    eprintln!("restart test: import after restart: {status} {reason:?}");
    assert!(status == "ACTIVE" || status == "CREATE FAILED", "import after restart ended {status} ({reason:?})");
    if status == "CREATE FAILED" {
        assert!(reason.is_some(), "CREATE FAILED without failureReason");
        // Re-import so that training has data.
        let again = import(&c, "rs-import-2", &ds, &file_url(&files.interactions), None).await;
        wait_active(&c, &Res::ImportJob(again)).await;
    }

    // Training, killed mid-flight.
    let sol = ok(
        c.create_solution().name("rs-pop").dataset_group_arn(&dsg).recipe_arn(POPULARITY_RECIPE).send().await,
        "CreateSolution",
    )
    .solution_arn()
    .unwrap()
    .to_string();
    wait_active(&c, &Res::Solution(sol.clone())).await;
    let sv = ok(c.create_solution_version().solution_arn(&sol).send().await, "CreateSolutionVersion")
        .solution_version_arn()
        .unwrap()
        .to_string();
    let caught_training = kill_when_in_progress(&mut server, &Res::SolutionVersion(sv.clone())).await;
    eprintln!("restart test: training killed while in progress: {caught_training}");
    server.kill();

    let server = Server::start(&data_dir);
    let c = &server.control;
    let (status, reason) = wait_settled(c, &Res::SolutionVersion(sv.clone()), WAIT).await;
    assert!(status == "ACTIVE" || status == "CREATE FAILED", "training after restart ended {status} ({reason:?})");
    if status == "CREATE FAILED" {
        assert!(reason.is_some(), "CREATE FAILED without failureReason");
    }
    wait_active(c, &Res::Solution(sol)).await;
}

/// Polls quickly until the resource is `CREATE IN_PROGRESS`, then SIGKILLs the server.
/// Returns whether the in-progress state was observed (a fast machine may finish first).
async fn kill_when_in_progress(server: &mut Server, res: &Res) -> bool {
    let start = Instant::now();
    loop {
        match describe_status(&server.control, res).await {
            Ok((status, _)) if status == "CREATE IN_PROGRESS" => {
                // Let it get properly under way before pulling the plug.
                tokio::time::sleep(Duration::from_millis(50)).await;
                server.kill();
                return true;
            }
            Ok((status, _)) if status == "CREATE PENDING" => {}
            Ok(_) => {
                server.kill();
                return false;
            }
            Err(code) => panic!("describing {res:?} failed with {code}"),
        }
        assert!(start.elapsed() < WAIT, "{res:?} never started");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A small synthetic Interactions dataset (40 clicks per user on 50 items) imported into a
/// new dataset group `name`; returns the group's ARN.
async fn small_trainable_group(
    c: &aws_sdk_personalize::Client,
    dir: &std::path::Path,
    name: &str,
    users: usize,
) -> String {
    use std::fmt::Write as _;
    let dsg = create_dataset_group(c, name).await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(c, &format!("{name}-int"), ML_INTERACTIONS_SCHEMA).await;
    let ds = create_dataset(c, &dsg, name, &format!("{name}-int"), "Interactions", &schema).await;
    let mut csv = String::from("USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP\n");
    for u in 0..users {
        for j in 0..40 {
            writeln!(csv, "u{u},i{},click,1,{}", (u * 7 + j * 3) % 50, 1_700_000_000 + u * 1000 + j).unwrap();
        }
    }
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join(format!("{name}.csv"));
    std::fs::write(&file, csv).unwrap();
    let job = import(c, &format!("{name}-import"), &ds, &file_url(&file), None).await;
    wait_active(c, &Res::ImportJob(job)).await;
    dsg
}

/// AWS's sample notebooks call CreateSolutionVersion right after CreateSolution, while the
/// solution is still CREATE PENDING; Personalize accepts it. Ten times in a row, with another
/// dataset group's training queued or running meanwhile: every CreateSolutionVersion succeeds and
/// every solution and version reaches ACTIVE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn solution_version_right_after_create_solution() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"));
    let c = &server.control;
    let busy_dsg = small_trainable_group(c, &tmp.path().join("csv"), "busy", 400).await;
    let dsg = small_trainable_group(c, &tmp.path().join("csv"), "quick", 30).await;

    // Another training, queued and then running while the ten solutions are created.
    let busy_sol = ok(
        c.create_solution()
            .name("busy-up")
            .dataset_group_arn(&busy_dsg)
            .recipe_arn(recipe("aws-user-personalization"))
            .send()
            .await,
        "CreateSolution(busy)",
    )
    .solution_arn()
    .unwrap()
    .to_string();
    let busy_sv = ok(c.create_solution_version().solution_arn(&busy_sol).send().await, "CreateSolutionVersion(busy)")
        .solution_version_arn()
        .unwrap()
        .to_string();

    let mut created = Vec::new();
    // How many solutions were still being activated after their CreateSolutionVersion (timing).
    let mut still_pending = 0;
    for i in 0..10 {
        let name = format!("quick-{i}");
        let sol = ok(
            c.create_solution().name(&name).dataset_group_arn(&dsg).recipe_arn(POPULARITY_RECIPE).send().await,
            "CreateSolution",
        )
        .solution_arn()
        .unwrap()
        .to_string();
        let sv = ok(
            c.create_solution_version().solution_arn(&sol).send().await,
            &format!("CreateSolutionVersion right after CreateSolution {name}"),
        )
        .solution_version_arn()
        .unwrap()
        .to_string();
        assert!(sv.starts_with(&format!("{sol}/")), "{sv}");
        let (sol_status, _) = describe_status(c, &Res::Solution(sol.clone())).await.unwrap();
        if sol_status != "ACTIVE" {
            still_pending += 1;
        }
        if i == 0 {
            let (busy, _) = describe_status(c, &Res::SolutionVersion(busy_sv.clone())).await.unwrap();
            assert_ne!(busy, "ACTIVE", "the other training is still queued or running");
        }
        created.push((sol, sv));
    }
    let (busy, _) = describe_status(c, &Res::SolutionVersion(busy_sv.clone())).await.unwrap();
    eprintln!("{still_pending} of 10 solutions were not ACTIVE yet after their CreateSolutionVersion; the other version is {busy}");
    wait_active(c, &Res::SolutionVersion(busy_sv.clone())).await;
    for (sol, sv) in &created {
        wait_active(c, &Res::SolutionVersion(sv.clone())).await;
        let d = ok(c.describe_solution().solution_arn(sol).send().await, "DescribeSolution");
        let solution = d.solution().unwrap();
        assert_eq!(solution.status(), Some("ACTIVE"), "{sol}");
        let latest = solution.latest_solution_version().unwrap();
        assert_eq!(latest.solution_version_arn(), Some(sv.as_str()));
        assert_eq!(latest.status(), Some("ACTIVE"));
    }
}

/// What AWS's sample notebooks import and Personalize accepts: a CSV header whose case differs
/// from the schema (`ITEM_ID,genres,Year,creation_timestamp`), and MovieLens-style numeric
/// columns with a few empty or non-numeric values. A nullable field's bad value becomes null, a
/// row with a bad value in a non-nullable field is skipped; the job goes ACTIVE and the task view
/// and `reko import` say what was coerced. The `reko:strict-import` tag restores failing; the
/// 1000-interaction minimum counts the rows kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lenient_numeric_import_and_case_insensitive_headers() {
    const ITEMS: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRES","type":"string","categorical":true},{"name":"YEAR","type":["null","int"]},{"name":"CREATION_TIMESTAMP","type":"long"}],"version":"1.0"}"#;
    const INTERACTIONS: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
    let tmp = tempfile::tempdir().unwrap();
    let csv_dir = tmp.path().join("csv");
    std::fs::create_dir_all(&csv_dir).unwrap();
    // 20 items (lines 2..=21): line 4 has an empty YEAR (an ordinary null), line 7 'unknown'
    // and line 11 '19xx' years (set to null), line 9 no CREATION_TIMESTAMP (row skipped).
    let mut items = String::from("ITEM_ID,genres,Year,creation_timestamp\n");
    for i in 0..20 {
        let line = i + 2;
        let year = match line {
            4 => String::new(),
            7 => "unknown".to_string(),
            11 => "19xx".to_string(),
            _ => (1990 + i).to_string(),
        };
        let created = if line == 9 { String::new() } else { (1_600_000_000 + i).to_string() };
        items.push_str(&format!("i{i},Comedy|Drama,{year},{created}\n"));
    }
    let items_csv = csv_dir.join("items.csv");
    std::fs::write(&items_csv, &items).unwrap();

    let server = Server::start(&tmp.path().join("data"));
    let c = &server.control;
    let dsg = create_dataset_group(c, "lenient").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let s_items = create_schema(c, "lenient-items", ITEMS).await;
    let s_int = create_schema(c, "lenient-int", INTERACTIONS).await;
    let ds_items = create_dataset(c, &dsg, "lenient", "lenient-items", "Items", &s_items).await;
    let ds_int = create_dataset(c, &dsg, "lenient", "lenient-int", "Interactions", &s_int).await;

    // ---- Lenient by default: ACTIVE, with the coercions in the task view -------------------------
    let job = import(c, "lenient-items", &ds_items, &file_url(&items_csv), None).await;
    wait_active(c, &Res::ImportJob(job.clone())).await;
    let d = ok(c.describe_dataset_import_job().dataset_import_job_arn(&job).send().await, "Describe");
    assert_eq!(d.dataset_import_job().and_then(|j| j.failure_reason()), None);
    let expected = "19 rows imported; 2 non-numeric values set to null, 1 row skipped for an empty or non-numeric \
        value in a non-nullable numeric field (items.csv line 7, column YEAR: 'unknown' set to null; items.csv \
        line 9, column CREATION_TIMESTAMP: '' row skipped; items.csv line 11, column YEAR: '19xx' set to null)";
    let started = Instant::now();
    loop {
        let tasks = get_tasks(&server.url);
        if tasks.contains(expected) {
            break;
        }
        assert!(started.elapsed() < WAIT, "the task view never showed {expected:?}: {tasks}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // ... and in the server log.
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(log.contains("import coerced values") && log.contains("items.csv line 7, column YEAR"), "{log}");

    // ---- `reko import` prints them on its summary line ------------------------------------------
    // (blocking is fine: the server is another process)
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reko"))
        .args(["import", "--endpoint", &server.url, "--dataset-arn", &ds_items, "--data-location"])
        .arg(&items_csv)
        .args(["--job-name", "lenient-cli"])
        .env("REKO_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("REKO_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(summary.starts_with("ACTIVE: 19 rows imported, "), "{stdout}");
    assert!(summary.contains("; 2 non-numeric values set to null, 1 row skipped"), "{stdout}");
    assert!(summary.contains("items.csv line 11, column YEAR: '19xx' set to null"), "{stdout}");

    // ---- Strict, per job: the first bad value fails it, naming line and column ------------------
    let strict =
        import_tagged(c, "strict-items", &ds_items, &file_url(&items_csv), &[("reko:strict-import", "true")]).await;
    let (status, reason) = wait_settled(c, &Res::ImportJob(strict), WAIT).await;
    assert_eq!(status, "CREATE FAILED");
    assert_eq!(reason.as_deref(), Some("items.csv line 7, column YEAR: 'unknown' is not a valid int"));

    // ---- An ambiguous header is an error naming it ----------------------------------------------
    let ambiguous = csv_dir.join("ambiguous.csv");
    std::fs::write(&ambiguous, "ITEM_ID,GENRES,genres,CREATION_TIMESTAMP\ni1,a,b,1\n").unwrap();
    let j = import(c, "ambiguous-items", &ds_items, &file_url(&ambiguous), None).await;
    let (status, reason) = wait_settled(c, &Res::ImportJob(j), WAIT).await;
    assert_eq!(status, "CREATE FAILED");
    let reason = reason.unwrap_or_default();
    assert!(reason.contains("'GENRES' and 'genres' both name the schema field GENRES"), "{reason}");

    // ---- The 1000-interaction minimum counts the rows kept ---------------------------------------
    let mut interactions = String::from("user_id,item_id,timestamp\n");
    for n in 0..1001 {
        let ts = if n == 10 || n == 500 { "later".to_string() } else { (1_700_000_000 + n).to_string() };
        interactions.push_str(&format!("u{},i{},{ts}\n", n % 40, n % 20));
    }
    let int_csv = csv_dir.join("interactions.csv");
    std::fs::write(&int_csv, &interactions).unwrap();
    let j = import(c, "lenient-int", &ds_int, &file_url(&int_csv), None).await;
    let (status, reason) = wait_settled(c, &Res::ImportJob(j), WAIT).await;
    assert_eq!(status, "CREATE FAILED");
    assert_eq!(
        reason.as_deref(),
        Some("Interactions import jobs require at least 1000 records, but the input contains 999.")
    );
    interactions.push_str("u1,i1,1700009999\nu2,i2,1700009998\n");
    std::fs::write(&int_csv, &interactions).unwrap();
    let j = import(c, "lenient-int2", &ds_int, &file_url(&int_csv), None).await;
    wait_active(c, &Res::ImportJob(j)).await;
}
