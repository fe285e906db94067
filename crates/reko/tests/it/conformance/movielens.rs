//! The whole lifecycle on MovieLens 100K.

use super::*;

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
        assert!(item.score().is_none(), "aws-popularity-count returns no scores (as in Personalize): {item:?}");
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
    let ranked_all = crate::common::MovieLens::ranked(&ml.popularity);
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
