//! In-process tests of the service: the full resource lifecycle and recovery after restarts.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use reko_api::{
    ApiError, CreateCampaignRequest, CreateDatasetGroupRequest, CreateDatasetImportJobRequest, CreateDatasetRequest,
    CreateSchemaRequest, CreateSolutionRequest, CreateSolutionVersionRequest, DataSource, DescribeCampaignRequest,
    DescribeDatasetImportJobRequest, GetRecommendationsRequest, ResourceStatus, UpdateCampaignRequest,
};
use reko_service::{Reko, ServiceConfig, ServiceError, ServingLoads};
use reko_storage::{SqliteStore, TaskQueue};

/// Leases of the workers these tests stand in for.
const LEASE: Duration = reko_service::DEFAULT_TASK_LEASE;

const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema",
"fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],
"version":"1.0"}"#;

fn open(dir: &Path, workers: usize) -> Reko {
    Reko::open(ServiceConfig { data_dir: dir.to_path_buf(), workers, ..Default::default() }).unwrap()
}

/// 60 users × 40 interactions: user u sees items i0..i{u % 30 + 10}, so i0..i9 are seen by every
/// user and popularity decreases from there; ties break by item id.
fn write_interactions(path: &Path) {
    let mut f = std::fs::File::create(path).unwrap();
    writeln!(f, "USER_ID,ITEM_ID,TIMESTAMP").unwrap();
    for u in 0..60 {
        let span = u % 30 + 10;
        for k in 0..40 {
            writeln!(f, "u{u},i{},{}", k % span, 1_700_000_000 + u * 100 + k).unwrap();
        }
    }
}

fn wait_for(what: &str, mut current: impl FnMut() -> String, want: &str) {
    let start = Instant::now();
    loop {
        let s = current();
        if s == want {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{what} stuck in {s}, wanted {want}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Creates an ACTIVE dataset group `g` with an ACTIVE Interactions dataset; returns both ARNs.
fn active_group_with_dataset(reko: &Reko) -> (String, String) {
    let group = reko
        .create_dataset_group(
            CreateDatasetGroupRequest { name: "g".into(), ..Default::default() },
            &reko_service::AccessScope::default(),
        )
        .unwrap();
    let schema = reko
        .create_schema(
            CreateSchemaRequest { name: "s".into(), schema: SCHEMA.into(), ..Default::default() },
            &reko_service::AccessScope::default(),
        )
        .unwrap();
    let dsg = group.dataset_group_arn;
    wait_for("group", || status_of(reko, &dsg), ResourceStatus::Active.as_str());
    let dataset = reko
        .create_dataset(CreateDatasetRequest {
            name: "d".into(),
            schema_arn: schema.schema_arn,
            dataset_group_arn: dsg.clone(),
            dataset_type: "interactions".into(),
            tags: None,
        })
        .unwrap();
    wait_for("dataset", || status_of(reko, &dataset.dataset_arn), ResourceStatus::Active.as_str());
    (dsg, dataset.dataset_arn)
}

fn create_import(reko: &Reko, dataset_arn: String, location: String) -> String {
    reko.create_dataset_import_job(
        CreateDatasetImportJobRequest {
            job_name: "j".into(),
            dataset_arn,
            data_source: DataSource { data_location: Some(location) },
            ..Default::default()
        },
        &reko_service::AccessScope::default(),
    )
    .unwrap()
    .dataset_import_job_arn
}

/// Creates group, schema, dataset and (without waiting) an import job; returns (group, job).
fn stage_import(reko: &Reko, csv: &Path) -> (String, String) {
    let (dsg, dataset) = active_group_with_dataset(reko);
    (dsg, create_import(reko, dataset, csv.display().to_string()))
}

fn status_of(reko: &Reko, arn: &str) -> String {
    use reko_api::*;
    if arn.contains(":dataset-group/") {
        reko.describe_dataset_group(DescribeDatasetGroupRequest { dataset_group_arn: arn.into() })
            .unwrap()
            .dataset_group
            .status
    } else if arn.contains(":dataset/") {
        reko.describe_dataset(DescribeDatasetRequest { dataset_arn: arn.into() }).unwrap().dataset.status
    } else if arn.contains(":dataset-import-job/") {
        reko.describe_dataset_import_job(DescribeDatasetImportJobRequest { dataset_import_job_arn: arn.into() })
            .unwrap()
            .dataset_import_job
            .status
    } else if arn.contains(":campaign/") {
        reko.describe_campaign(DescribeCampaignRequest { campaign_arn: arn.into() }).unwrap().campaign.status
    } else if arn.matches('/').count() == 2 && arn.contains(":solution/") {
        reko.describe_solution_version(DescribeSolutionVersionRequest { solution_version_arn: arn.into() })
            .unwrap()
            .solution_version
            .status
    } else {
        reko.describe_solution(DescribeSolutionRequest { solution_arn: arn.into() }).unwrap().solution.status
    }
}

fn train(reko: &Reko, solution_arn: &str) -> String {
    let v = reko
        .create_solution_version(CreateSolutionVersionRequest {
            solution_arn: solution_arn.into(),
            ..Default::default()
        })
        .unwrap()
        .solution_version_arn;
    wait_for("solution version", || status_of(reko, &v), ResourceStatus::Active.as_str());
    v
}

#[test]
fn lifecycle_and_campaign_update_without_gap() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("interactions.csv");
    write_interactions(&csv);
    let reko = open(&dir.path().join("data"), 2);
    let (dsg, job) = stage_import(&reko, &csv);
    wait_for("import", || status_of(&reko, &job), ResourceStatus::Active.as_str());
    let solution = reko
        .create_solution(CreateSolutionRequest {
            name: "pop".into(),
            dataset_group_arn: dsg.clone(),
            recipe_arn: Some("arn:aws:personalize:::recipe/aws-popularity-count".into()),
            ..Default::default()
        })
        .unwrap()
        .solution_arn;
    wait_for("solution", || status_of(&reko, &solution), ResourceStatus::Active.as_str());
    let v1 = train(&reko, &solution);
    let campaign = reko
        .create_campaign(CreateCampaignRequest {
            name: "c".into(),
            solution_version_arn: v1.clone(),
            ..Default::default()
        })
        .unwrap()
        .campaign_arn;
    wait_for("campaign", || status_of(&reko, &campaign), ResourceStatus::Active.as_str());
    let recommend = || {
        reko.get_recommendations(GetRecommendationsRequest {
            campaign_arn: Some(campaign.clone()),
            user_id: Some("u1".into()),
            num_results: Some(5),
            ..Default::default()
        })
        .unwrap()
        .item_list
    };
    let first = recommend();
    assert_eq!(first.len(), 5);
    let ids: Vec<_> = first.iter().map(|i| i.item_id.clone().unwrap()).collect();
    assert_eq!(ids, ["i0", "i1", "i2", "i3", "i4"], "most popular first, ties by item id");
    assert!(first.iter().all(|i| i.score.is_none()), "popularity-count returns no scores");

    // Redeploy a new version while serving: every request in between succeeds.
    let v2 = train(&reko, &solution);
    reko.update_campaign(UpdateCampaignRequest {
        campaign_arn: campaign.clone(),
        solution_version_arn: Some(v2.clone()),
        ..Default::default()
    })
    .unwrap();
    let start = Instant::now();
    loop {
        assert_eq!(recommend().len(), 5);
        let c = reko.describe_campaign(DescribeCampaignRequest { campaign_arn: campaign.clone() }).unwrap().campaign;
        if c.solution_version_arn == v2 {
            assert_eq!(c.latest_campaign_update.unwrap().status, ResourceStatus::Active.as_str());
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "campaign update did not finish");
    }
    // A campaign pins its solution: the solution cannot be deleted under it.
    let err = reko.delete_solution(reko_api::DeleteSolutionRequest { solution_arn: solution.clone() }).unwrap_err();
    assert!(matches!(err, ServiceError::Api(ApiError::ResourceInUse(_))), "{err}");
    reko.shutdown();
    drop(reko);

    // A deleted campaign serves nothing from the moment DeleteCampaign answers, even when its
    // model was still loading (the warm-up after a start) and no worker has run the deletion.
    let reko = open(&dir.path().join("data"), 0);
    reko.delete_campaign(reko_api::DeleteCampaignRequest { campaign_arn: campaign.clone() }).unwrap();
    for _ in 0..20 {
        let served = reko.get_recommendations(GetRecommendationsRequest {
            campaign_arn: Some(campaign.clone()),
            user_id: Some("u1".into()),
            ..Default::default()
        });
        assert!(served.is_err(), "a campaign being deleted served {served:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    reko.shutdown();
}

/// ACTIVE means ready: a campaign, created or updated, reports ACTIVE only once it serves its
/// model with its group's real-time state loaded, so no request after that waits on a load.
#[test]
fn a_campaign_serves_without_loading_once_active() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("interactions.csv");
    write_interactions(&csv);
    let reko = open(&dir.path().join("data"), 2);
    let (dsg, job) = stage_import(&reko, &csv);
    wait_for("import", || status_of(&reko, &job), ResourceStatus::Active.as_str());
    let solution = reko
        .create_solution(CreateSolutionRequest {
            name: "up".into(),
            dataset_group_arn: dsg,
            recipe_arn: Some("arn:aws:personalize:::recipe/aws-user-personalization".into()),
            ..Default::default()
        })
        .unwrap()
        .solution_arn;
    wait_for("solution", || status_of(&reko, &solution), ResourceStatus::Active.as_str());
    let v1 = train(&reko, &solution);
    let campaign = reko
        .create_campaign(CreateCampaignRequest {
            name: "c".into(),
            solution_version_arn: v1.clone(),
            ..Default::default()
        })
        .unwrap()
        .campaign_arn;
    wait_for("campaign", || status_of(&reko, &campaign), ResourceStatus::Active.as_str());
    assert_eq!(reko.served_solution_version(&campaign), Some(v1), "ACTIVE before the model serves");
    let ready = reko.serving_loads();
    assert_eq!(ready, ServingLoads { models_on_demand: 0, live_states: 1 }, "the deployment loads the group's state");
    let recommend = || {
        let got = reko.get_recommendations(GetRecommendationsRequest {
            campaign_arn: Some(campaign.clone()),
            user_id: Some("u1".into()),
            num_results: Some(5),
            ..Default::default()
        });
        assert_eq!(got.unwrap().item_list.len(), 5);
    };
    recommend();
    assert_eq!(reko.serving_loads(), ready, "a request after ACTIVE loaded something");

    let v2 = train(&reko, &solution);
    reko.update_campaign(UpdateCampaignRequest {
        campaign_arn: campaign.clone(),
        solution_version_arn: Some(v2.clone()),
        ..Default::default()
    })
    .unwrap();
    let update_status = || {
        let c = reko.describe_campaign(DescribeCampaignRequest { campaign_arn: campaign.clone() }).unwrap().campaign;
        c.latest_campaign_update.map(|u| u.status).unwrap_or_default()
    };
    wait_for("campaign update", update_status, ResourceStatus::Active.as_str());
    assert_eq!(reko.served_solution_version(&campaign), Some(v2), "update ACTIVE before the new model serves");
    recommend();
    assert_eq!(reko.serving_loads(), ready, "a request after the update loaded something");
    reko.shutdown();
    drop(reko);

    // After a restart the campaign is ACTIVE from the start; the server is ready (GET /ready) once
    // the warm-up has loaded it, and from then on no request waits on a load.
    let reko = open(&dir.path().join("data"), 2);
    let started = std::time::Instant::now();
    while !reko.is_ready() {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "not ready after 60 s");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let warm = reko.serving_loads();
    assert_eq!(warm.live_states, 1, "the warm-up loads the group's state");
    let got = reko.get_recommendations(GetRecommendationsRequest {
        campaign_arn: Some(campaign.clone()),
        user_id: Some("u1".into()),
        num_results: Some(5),
        ..Default::default()
    });
    assert_eq!(got.unwrap().item_list.len(), 5);
    assert_eq!(reko.serving_loads(), warm, "a request after ready loaded something");
    reko.shutdown();
}

#[test]
fn interrupted_tasks_resume_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("interactions.csv");
    write_interactions(&csv);
    let data = dir.path().join("data");
    let job = stage_import_without_running(&data, &csv);
    // Simulate a crash in the middle of the import: the task is `running` when the server stops.
    let store = SqliteStore::open(&data.join("reko.db")).unwrap();
    let claimed = store.claim_task("a-crashed-worker", LEASE).unwrap().expect("the import task is queued").task;
    assert_eq!(claimed.resource_arn, job);
    drop(store);
    let reko = open(&data, 1);
    wait_for("import after restart", || status_of(&reko, &job), ResourceStatus::Active.as_str());
    reko.shutdown();
}

#[test]
fn a_task_interrupted_too_often_fails_its_resource_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("interactions.csv");
    write_interactions(&csv);
    let data = dir.path().join("data");
    let job = stage_import_without_running(&data, &csv);
    for _ in 0..4 {
        let store = SqliteStore::open(&data.join("reko.db")).unwrap();
        store.requeue_interrupted().unwrap();
        store.claim_task("a-crashed-worker", LEASE).unwrap().expect("queued");
    }
    let reko = open(&data, 1);
    wait_for("abandoned import", || status_of(&reko, &job), ResourceStatus::CreateFailed.as_str());
    let described = reko
        .describe_dataset_import_job(DescribeDatasetImportJobRequest { dataset_import_job_arn: job.clone() })
        .unwrap()
        .dataset_import_job;
    assert!(described.failure_reason.unwrap().contains("interrupted"), "failure reason names the cause");
    reko.shutdown();
}

/// Stages an import whose task is still queued: group and dataset are activated by a server with
/// a worker, then the import job is created on one without, and both are stopped.
fn stage_import_without_running(data: &Path, csv: &Path) -> String {
    let reko = open(data, 1);
    let (_, dataset) = active_group_with_dataset(&reko);
    reko.shutdown();
    let idle = open(data, 0);
    let job = create_import(&idle, dataset, format!("file://{}", csv.display()));
    assert_eq!(status_of(&idle, &job), ResourceStatus::CreatePending.as_str());
    idle.shutdown();
    job
}

#[test]
fn tags_follow_their_resource() {
    use reko_api::{ListTagsForResourceRequest, Tag, TagResourceRequest, UntagResourceRequest};
    let dir = tempfile::tempdir().unwrap();
    let reko = open(dir.path(), 1);
    let tag = |k: &str, v: &str| Tag { tag_key: k.into(), tag_value: v.into() };
    let group = reko
        .create_dataset_group(
            CreateDatasetGroupRequest {
                name: "tagged".into(),
                tags: Some(vec![tag("team", "search")]),
                ..Default::default()
            },
            &reko_service::AccessScope::default(),
        )
        .unwrap()
        .dataset_group_arn;
    let list = |arn: &str| {
        let mut tags =
            reko.list_tags_for_resource(ListTagsForResourceRequest { resource_arn: arn.into() }).unwrap().tags;
        tags.sort_by(|a, b| a.tag_key.cmp(&b.tag_key));
        tags.into_iter().map(|t| (t.tag_key, t.tag_value)).collect::<Vec<_>>()
    };
    assert_eq!(list(&group), [("team".to_string(), "search".to_string())]);
    reko.tag_resource(TagResourceRequest {
        resource_arn: group.clone(),
        tags: vec![tag("team", "recs"), tag("env", "dev")],
    })
    .unwrap();
    assert_eq!(list(&group), [("env".into(), "dev".into()), ("team".into(), "recs".into())]);
    reko.untag_resource(UntagResourceRequest { resource_arn: group.clone(), tag_keys: vec!["env".into()] }).unwrap();
    assert_eq!(list(&group), [("team".to_string(), "recs".to_string())]);
    // Activation rewrites the document; the tags survive it.
    wait_for("group", || status_of(&reko, &group), ResourceStatus::Active.as_str());
    assert_eq!(list(&group).len(), 1);
    let too_many = (0..51).map(|i| tag(&format!("k{i}"), "v")).collect();
    let err = reko.tag_resource(TagResourceRequest { resource_arn: group.clone(), tags: too_many }).unwrap_err();
    assert!(matches!(err, ServiceError::Api(ApiError::TooManyTags(_))), "{err}");
    let missing = "arn:aws:personalize:us-east-1:123456789012:dataset-group/none";
    let err = reko.list_tags_for_resource(ListTagsForResourceRequest { resource_arn: missing.into() }).unwrap_err();
    assert!(matches!(err, ServiceError::Api(ApiError::ResourceNotFound(_))), "{err}");
    reko.shutdown();
}

#[test]
fn a_stopped_version_stays_stopped_when_its_queued_training_runs() {
    use reko_api::StopSolutionVersionCreationRequest;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("interactions.csv");
    write_interactions(&csv);
    let data = dir.path().join("data");
    let job = stage_import_without_running(&data, &csv);
    let reko = open(&data, 1);
    wait_for("import", || status_of(&reko, &job), ResourceStatus::Active.as_str());
    let dsg = "arn:aws:personalize:us-east-1:123456789012:dataset-group/g".to_string();
    let solution = reko
        .create_solution(CreateSolutionRequest {
            name: "pop".into(),
            dataset_group_arn: dsg,
            recipe_arn: Some("arn:aws:personalize:::recipe/aws-popularity-count".into()),
            ..Default::default()
        })
        .unwrap()
        .solution_arn;
    wait_for("solution", || status_of(&reko, &solution), ResourceStatus::Active.as_str());
    reko.shutdown();
    let idle = open(&data, 0);
    let version = idle
        .create_solution_version(CreateSolutionVersionRequest { solution_arn: solution.clone(), ..Default::default() })
        .unwrap()
        .solution_version_arn;
    idle.stop_solution_version_creation(StopSolutionVersionCreationRequest { solution_version_arn: version.clone() })
        .unwrap();
    assert_eq!(status_of(&idle, &version), ResourceStatus::CreateStopped.as_str());
    idle.shutdown();
    let reko = open(&data, 1);
    // The training task runs now and must leave the stopped version alone.
    let start = Instant::now();
    while reko.list_tasks().unwrap().iter().any(|t| t.state != "succeeded" && t.state != "failed") {
        assert!(start.elapsed() < Duration::from_secs(30), "tasks did not drain");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(status_of(&reko, &version), ResourceStatus::CreateStopped.as_str());
    let err = reko
        .stop_solution_version_creation(StopSolutionVersionCreationRequest { solution_version_arn: version })
        .unwrap_err();
    assert!(matches!(err, ServiceError::Api(ApiError::ResourceInUse(_))), "{err}");
    reko.shutdown();
}

/// Quotas of pending jobs count per dataset group: one tenant's queued exports do not refuse
/// another tenant's.
#[test]
fn pending_job_quotas_count_per_dataset_group() {
    use reko_api::*;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let reko = open(&dir, 2);
    let schema = reko
        .create_schema(
            CreateSchemaRequest { name: "s".into(), schema: SCHEMA.into(), ..Default::default() },
            &reko_service::AccessScope::default(),
        )
        .unwrap()
        .schema_arn;
    let mut datasets = Vec::new();
    for name in ["tenant-a", "tenant-b"] {
        let group = reko
            .create_dataset_group(
                CreateDatasetGroupRequest { name: name.into(), ..Default::default() },
                &reko_service::AccessScope::default(),
            )
            .unwrap()
            .dataset_group_arn;
        wait_for("group", || status_of(&reko, &group), ResourceStatus::Active.as_str());
        let dataset = reko
            .create_dataset(CreateDatasetRequest {
                name: format!("{name}-d"),
                schema_arn: schema.clone(),
                dataset_group_arn: group,
                dataset_type: "interactions".into(),
                tags: None,
            })
            .unwrap()
            .dataset_arn;
        wait_for("dataset", || status_of(&reko, &dataset), ResourceStatus::Active.as_str());
        datasets.push(dataset);
    }
    reko.shutdown();
    drop(reko);
    // No workers: every job stays CREATE PENDING.
    let reko = open(&dir, 0);
    let export = |dataset: &str, name: &str| {
        reko.create_dataset_export_job(
            CreateDatasetExportJobRequest {
                job_name: name.into(),
                dataset_arn: dataset.into(),
                role_arn: "arn:aws:iam::123456789012:role/R".into(),
                job_output: DatasetExportJobOutput {
                    s3_data_destination: S3DataConfig {
                        path: format!("{}/", tmp.path().join(name).display()),
                        kms_key_arn: None,
                    },
                },
                ..Default::default()
            },
            &reko_service::AccessScope::default(),
        )
    };
    for k in 0..5 {
        export(&datasets[0], &format!("a-{k}")).unwrap();
    }
    assert!(matches!(export(&datasets[0], "a-5"), Err(ServiceError::Api(ApiError::LimitExceeded(_)))));
    export(&datasets[1], "b-0").expect("tenant B's first export is not refused for tenant A's queue");
}

/// Events sent right after CreateEventTracker (as AWS's samples do) are taken while the tracker
/// is still CREATE PENDING.
#[test]
fn a_tracker_being_created_takes_events() {
    use reko_api::*;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let reko = open(&dir, 2);
    let (dsg, _) = active_group_with_dataset(&reko);
    reko.shutdown();
    drop(reko);
    // No workers: the tracker stays CREATE PENDING.
    let reko = open(&dir, 0);
    let tracker = reko
        .create_event_tracker(CreateEventTrackerRequest { name: "t".into(), dataset_group_arn: dsg, tags: None })
        .unwrap();
    let described = reko
        .describe_event_tracker(DescribeEventTrackerRequest { event_tracker_arn: tracker.event_tracker_arn.clone() })
        .unwrap();
    assert_eq!(described.event_tracker.status, ResourceStatus::CreatePending.as_str());
    reko.put_events(PutEventsRequest {
        tracking_id: tracker.tracking_id,
        user_id: Some("u1".into()),
        session_id: "s1".into(),
        event_list: vec![Event {
            event_type: "click".into(),
            item_id: Some("i1".into()),
            sent_at: 1_700_000_000.0,
            ..Default::default()
        }],
    })
    .expect("events are taken while the tracker is being created");
    reko.shutdown();
}
