//! The data insights the console plots: interactions per day and per item, users' history
//! lengths, the newest events and events per minute of an Interactions dataset, the newest rows
//! up to a bound, within the caller's scope.

use std::time::{Duration, Instant};

use reko_api::{
    ApiError, CreateDatasetGroupRequest, CreateDatasetImportJobRequest, CreateDatasetRequest, CreateSchemaRequest,
    DataSource, DescribeDatasetImportJobRequest, ResourceStatus,
};
use reko_service::{AccessScope, InteractionInsights, Reko, ServiceConfig, ServiceError};

const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema",
"fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],
"version":"1.0"}"#;
const DAY: i64 = 86_400;
const D0: i64 = 1_700_006_400; // a midnight UTC

#[test]
fn interactions_per_day_and_per_item_of_the_newest_rows_in_scope() {
    let tmp = tempfile::tempdir().unwrap();
    let reko =
        Reko::open(ServiceConfig { data_dir: tmp.path().join("data"), workers: 1, ..Default::default() }).unwrap();
    let root = AccessScope::default();
    let group = reko
        .create_dataset_group(CreateDatasetGroupRequest { name: "g".into(), ..Default::default() }, &root)
        .unwrap()
        .dataset_group_arn;
    let schema = reko
        .create_schema(CreateSchemaRequest { name: "s".into(), schema: SCHEMA.into(), ..Default::default() }, &root)
        .unwrap()
        .schema_arn;
    let dataset = wait(|| {
        reko.create_dataset(CreateDatasetRequest {
            name: "d".into(),
            schema_arn: schema.clone(),
            dataset_group_arn: group.clone(),
            dataset_type: "interactions".into(),
            tags: None,
        })
        .ok()
    })
    .dataset_arn;
    // Two days with interactions and one without between them (an import takes 1,000 rows at
    // least): item a 601 times, b 300 times, c 99 times; the newest two rows are c then a.
    let csv = tmp.path().join("interactions.csv");
    let mut text = String::from("USER_ID,ITEM_ID,TIMESTAMP\n");
    for k in 0..900 {
        text.push_str(&format!("u{k},{},{}\n", if k < 600 { "a" } else { "b" }, D0 + k));
    }
    for k in 0..99 {
        text.push_str(&format!("u{k},c,{}\n", D0 + 2 * DAY + k));
    }
    text.push_str(&format!("u1,a,{}\n", D0 + 2 * DAY + 500));
    std::fs::write(&csv, text).unwrap();
    let job = wait(|| {
        reko.create_dataset_import_job(
            CreateDatasetImportJobRequest {
                job_name: "j".into(),
                dataset_arn: dataset.clone(),
                data_source: DataSource { data_location: Some(csv.display().to_string()) },
                ..Default::default()
            },
            &root,
        )
        .ok()
    })
    .dataset_import_job_arn;
    wait(|| {
        let job = reko
            .describe_dataset_import_job(DescribeDatasetImportJobRequest { dataset_import_job_arn: job.clone() })
            .unwrap()
            .dataset_import_job;
        assert_ne!(job.status, ResourceStatus::CreateFailed.as_str(), "{:?}", job.failure_reason);
        (job.status == ResourceStatus::Active.as_str()).then_some(())
    });

    let all = reko.interaction_insights(&root, &dataset, 5_000).unwrap();
    assert_eq!(
        all,
        InteractionInsights {
            rows: 1_000,
            truncated: false,
            per_day: vec![(D0, 900), (D0 + DAY, 0), (D0 + 2 * DAY, 100)],
            items: 3,
            item_popularity: vec![(1, 601), (2, 300), (3, 99)],
            // u0 to u98 have 2 interactions (u1 has 3), the 801 others 1.
            users: 900,
            users_with_two: 99,
            history_lengths: vec![(1, 801), (2, 99)],
            cold_items: None,
            cold_users: None,
        }
    );
    assert_eq!(reko.interaction_insights(&root, &dataset, 1_000).unwrap(), all, "exactly the bound");
    // The newest two rows only.
    let newest = reko.interaction_insights(&root, &dataset, 2).unwrap();
    assert_eq!(
        newest,
        InteractionInsights {
            rows: 2,
            truncated: true,
            per_day: vec![(D0 + 2 * DAY, 2)],
            items: 2,
            item_popularity: vec![(1, 1), (2, 1)],
            users: 2,
            users_with_two: 0,
            history_lengths: vec![(1, 2)],
            cold_items: None,
            cold_users: None,
        }
    );
    // A key scoped to another group finds no such dataset.
    let other = AccessScope {
        dataset_groups: Some(vec![group.replace("dataset-group/g", "dataset-group/other")]),
        ..Default::default()
    };
    let refused = reko.interaction_insights(&other, &dataset, 1_000).unwrap_err();
    assert!(matches!(refused, ServiceError::Api(ApiError::ResourceNotFound(_))), "{refused:?}");
    assert!(matches!(
        reko.recent_events(&other, &group, None, 3, 5_000),
        Err(ServiceError::Api(ApiError::ResourceNotFound(_)))
    ));
    assert!(matches!(reko.dataset_rows(&other, &dataset), Err(ServiceError::Api(ApiError::ResourceNotFound(_)))));
    assert_eq!(reko.dataset_rows(&root, &dataset).unwrap(), 1_000);

    // The newest events, newest stored first, and the hour ending with the newest event's minute
    // (the 100 rows of the last day; the dataset has no EVENT_TYPE).
    let recent = reko.recent_events(&root, &group, None, 3, 5_000).unwrap();
    let newest: Vec<(&str, &str, i64)> =
        recent.newest.iter().map(|e| (e.user_id.as_str(), e.item_id.as_str(), e.timestamp)).collect();
    let last_day = D0 + 2 * DAY;
    assert_eq!(newest, [("u1", "a", last_day + 500), ("u98", "c", last_day + 98), ("u97", "c", last_day + 97)]);
    assert_eq!(recent.rows, 1_000);
    assert_eq!(recent.minutes.len(), 60);
    assert_eq!(*recent.minutes.last().unwrap(), last_day + 480);
    let per_minute = &recent.per_type[""];
    assert_eq!(per_minute.iter().sum::<u64>(), 100);
    assert_eq!(per_minute[59], 1, "the newest row's minute");
    // One user's events only.
    let u1 = reko.recent_events(&root, &group, Some("u1"), 5, 5_000).unwrap();
    let times: Vec<i64> = u1.newest.iter().map(|e| e.timestamp).collect();
    assert_eq!(times, [last_day + 500, last_day + 1, D0 + 1]);
    let scoped = AccessScope { dataset_groups: Some(vec![group.clone()]), ..Default::default() };
    assert_eq!(reko.interaction_insights(&scoped, &dataset, 1_000).unwrap(), all);
}

/// Polls until `f` answers (the group and dataset become ACTIVE in the background).
fn wait<T>(mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "timed out");
        std::thread::sleep(Duration::from_millis(20));
    }
}
