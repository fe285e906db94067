use std::io::Write;

use reko_api::*;

use crate::{AccessScope, Reko, ServiceConfig};

use crate::test_support::drain;

/// An ECOMMERCE group with 1,200 views of 40 items by 60 users (item `i0` the most viewed), its
/// tasks run by `drain` (no workers).
fn shop(dir: &std::path::Path) -> (Reko, String) {
    let csv = dir.join("interactions.csv");
    let mut f = std::fs::File::create(&csv).unwrap();
    writeln!(f, "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP").unwrap();
    for k in 0..1200 {
        let item = if k % 4 == 0 { 0 } else { (k * 7) % 40 };
        writeln!(f, "u{},i{item},View,{}", k % 60, 1_700_000_000 + k).unwrap();
    }
    drop(f);
    let reko = Reko::open(ServiceConfig { data_dir: dir.join("d"), workers: 0, ..Default::default() }).unwrap();
    let scope = AccessScope::default();
    let group =
        CreateDatasetGroupRequest { name: "shop".into(), domain: Some("ECOMMERCE".into()), ..Default::default() };
    let dsg = reko.create_dataset_group(group, &scope).unwrap().dataset_group_arn;
    let schema = CreateSchemaRequest {
        name: "shop-interactions".into(),
        schema: r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#.into(),
        domain: Some("ECOMMERCE".into()),
    };
    let schema_arn = reko.create_schema(schema, &scope).unwrap().schema_arn;
    drain(&reko);
    let dataset = CreateDatasetRequest {
        name: "d".into(),
        schema_arn,
        dataset_group_arn: dsg.clone(),
        dataset_type: "Interactions".into(),
        tags: None,
    };
    let dataset_arn = reko.create_dataset(dataset).unwrap().dataset_arn;
    drain(&reko);
    let job = CreateDatasetImportJobRequest {
        job_name: "j".into(),
        dataset_arn,
        data_source: DataSource { data_location: Some(csv.display().to_string()) },
        ..Default::default()
    };
    reko.create_dataset_import_job(job, &scope).unwrap();
    drain(&reko);
    (reko, dsg)
}

fn create(reko: &Reko, dsg: &str, name: &str) -> String {
    let req = CreateRecommenderRequest {
        name: name.into(),
        dataset_group_arn: dsg.into(),
        recipe_arn: "arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-views".into(),
        ..Default::default()
    };
    reko.create_recommender(req).unwrap().recommender_arn
}

fn most_viewed(reko: &Reko, arn: &str) -> Vec<String> {
    let req = GetRecommendationsRequest {
        recommender_arn: Some(arn.into()),
        user_id: Some("u1".into()),
        num_results: Some(3),
        ..Default::default()
    };
    reko.get_recommendations(req).unwrap().item_list.into_iter().filter_map(|i| i.item_id).collect()
}

/// A due retraining trains a new model from the current data; the old one serves until the new
/// one is installed, and its file is removed after.
#[test]
fn a_due_retraining_replaces_the_model_without_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let (reko, dsg) = shop(dir.path());
    let arn = create(&reko, &dsg, "viewed");
    drain(&reko);
    let model_of = |reko: &Reko| {
        let stored = reko.load::<Recommender>(crate::resource::ResourceKind::Recommender, &arn).unwrap();
        assert_eq!(stored.wire.status, "ACTIVE", "{:?}", stored.wire.failure_reason);
        stored.internal.get(super::task::MODEL_ID).and_then(|v| v.as_str()).unwrap().to_string()
    };
    let first = model_of(&reko);
    assert_eq!(most_viewed(&reko, &arn)[0], "i0");
    let served = reko.served(&arn).unwrap();

    // Not due now; due a week on (most-viewed retrains weekly).
    let now = crate::resource::now();
    assert!(reko.due_retrains(now).unwrap().is_empty());
    assert_eq!(reko.due_retrains(now + crate::use_case::WEEKLY_SECS + 1.0).unwrap(), std::slice::from_ref(&arn));
    reko.request_retrain(&arn).unwrap();
    // Until the task runs, the first model serves.
    assert!(std::sync::Arc::ptr_eq(&reko.served(&arn).unwrap(), &served));
    assert_eq!(most_viewed(&reko, &arn)[0], "i0");
    drain(&reko);
    let second = model_of(&reko);
    assert_ne!(first, second);
    assert!(!std::sync::Arc::ptr_eq(&reko.served(&arn).unwrap(), &served));
    assert!(reko.served(&arn).unwrap().solution_version_arn.ends_with(&second));
    assert_eq!(most_viewed(&reko, &arn)[0], "i0");
    assert!(!reko.recommender_models_dir(&arn).join(&first).exists());
    assert!(reko.recommender_models_dir(&arn).join(&second).exists());
    let described = reko.describe_recommender(DescribeRecommenderRequest { recommender_arn: arn.clone() }).unwrap();
    assert!(described.recommender.model_metrics.is_some_and(|m| m.contains_key("coverage")));
    reko.shutdown();
}

/// Five recommenders per dataset group; the sixth is refused (Personalize's quota).
#[test]
fn a_group_takes_five_recommenders() {
    let dir = tempfile::tempdir().unwrap();
    let (reko, dsg) = shop(dir.path());
    for k in 0..5 {
        create(&reko, &dsg, &format!("r{k}"));
    }
    let req = CreateRecommenderRequest {
        name: "r5".into(),
        dataset_group_arn: dsg,
        recipe_arn: "arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-views".into(),
        ..Default::default()
    };
    let err = reko.create_recommender(req).unwrap_err();
    assert!(
        matches!(&err, crate::ServiceError::Api(ApiError::LimitExceeded(m)) if m.contains("5 recommenders")),
        "{err}"
    );
    reko.shutdown();
}

/// UpdateRecommender: a new configuration alone reloads the same model; changed training columns
/// retrain it first. Either way the recommender stays ACTIVE and the update ends ACTIVE.
#[test]
fn an_update_retrains_only_when_the_training_columns_change() {
    let dir = tempfile::tempdir().unwrap();
    let (reko, dsg) = shop(dir.path());
    let arn = create(&reko, &dsg, "viewed");
    drain(&reko);
    let model_of = |reko: &Reko| {
        let stored = reko.load::<Recommender>(crate::resource::ResourceKind::Recommender, &arn).unwrap();
        assert_eq!(stored.wire.status, "ACTIVE");
        let update =
            stored.wire.latest_recommender_update.as_ref().map(|u| (u.status.clone(), u.failure_reason.clone()));
        assert!(update.as_ref().is_none_or(|(s, _)| s == "ACTIVE"), "{update:?}");
        (stored.internal.get(super::task::MODEL_ID).and_then(|v| v.as_str()).unwrap().to_string(), stored.wire)
    };
    let (first, _) = model_of(&reko);
    let update = |config: RecommenderConfig| {
        reko.update_recommender(UpdateRecommenderRequest { recommender_arn: arn.clone(), recommender_config: config })
            .unwrap();
        // A second update while this one is pending is refused.
        let again = UpdateRecommenderRequest { recommender_arn: arn.clone(), recommender_config: Default::default() };
        assert!(matches!(reko.update_recommender(again), Err(crate::ServiceError::Api(ApiError::ResourceInUse(_)))));
        drain(&reko);
    };
    update(RecommenderConfig { enable_metadata_with_recommendations: Some(true), ..Default::default() });
    let (same, wire) = model_of(&reko);
    assert_eq!(same, first);
    assert_eq!(wire.recommender_config.and_then(|c| c.enable_metadata_with_recommendations), Some(true));
    let columns = TrainingDataConfig {
        excluded_dataset_columns: Some([("INTERACTIONS".to_string(), vec!["EVENT_VALUE".to_string()])].into()),
        ..Default::default()
    };
    update(RecommenderConfig { training_data_config: Some(columns.clone()), ..Default::default() });
    let (retrained, wire) = model_of(&reko);
    assert_ne!(retrained, first);
    assert_eq!(wire.recommender_config.and_then(|c| c.training_data_config), Some(columns));
    assert_eq!(most_viewed(&reko, &arn)[0], "i0");
    reko.shutdown();
}

/// A model written before the artifact store (`models/<name>.recommender/<id>/model.rkm`, no
/// `artifactKey` in the catalog) still loads after a restart.
#[test]
fn a_model_written_before_the_artifact_store_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    let (reko, dsg) = shop(dir.path());
    let arn = create(&reko, &dsg, "viewed");
    drain(&reko);
    let mut stored = reko.load::<Recommender>(crate::resource::ResourceKind::Recommender, &arn).unwrap();
    let model_id = stored.internal.get(super::task::MODEL_ID).and_then(|v| v.as_str()).unwrap().to_string();
    let internal = stored.internal.as_object_mut().unwrap();
    let key = internal.remove(crate::artifact_store::models::ARTIFACT_KEY).unwrap();
    internal.remove(crate::artifact_store::models::OBJECT_SHA256).unwrap();
    let legacy = reko.recommender_model_path(&arn, &model_id);
    std::fs::rename(reko.models_dir().join(key.as_str().unwrap()), &legacy).unwrap();
    reko.save(&stored, "ACTIVE").unwrap();
    reko.shutdown();
    drop(reko);
    let reko = Reko::open(ServiceConfig { data_dir: dir.path().join("d"), workers: 0, ..Default::default() }).unwrap();
    assert_eq!(most_viewed(&reko, &arn)[0], "i0");
    assert!(legacy.exists());
    reko.shutdown();
}
