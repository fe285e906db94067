//! Keys scoped to dataset groups see and touch nothing else.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_scoped_to_a_dataset_group_see_nothing_else() {
    const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("reko.toml");
    std::fs::write(
        &config,
        format!(
            "[[access_keys]]\naccess_key_id = \"AKIDTENANT1\"\nsecret_access_key = \"tenant-one-secret-0001\"\n\
             dataset_groups = [\"{}\"]\n",
            arn("dataset-group", "tenant-1")
        ),
    )
    .unwrap();
    let server = Server::start_with(&tmp.path().join("data"), &["--config", config.to_str().unwrap()]);
    let root = &server.control;
    let schema = create_schema(root, "scoped-interactions", SCHEMA).await;
    let mut trackers = Vec::new();
    for name in ["tenant-1", "tenant-2"] {
        let dsg = create_dataset_group(root, name).await;
        wait_active(root, &Res::DatasetGroup(dsg.clone())).await;
        create_dataset(root, &dsg, name, &format!("{name}-interactions"), "Interactions", &schema).await;
        trackers.push(create_tracker(root, &format!("{name}-tracker"), &dsg).await);
    }
    let (g1, g2) = (arn("dataset-group", "tenant-1"), arn("dataset-group", "tenant-2"));
    let tenant = client_with(&server.url, "AKIDTENANT1", "tenant-one-secret-0001", REGION);

    // Lists show only the key's group; account-level schemas stay visible.
    let groups = ok(tenant.list_dataset_groups().send().await, "ListDatasetGroups");
    let arns: Vec<&str> = groups.dataset_groups().iter().filter_map(|g| g.dataset_group_arn()).collect();
    assert_eq!(arns, [g1.as_str()]);
    let trackers_listed = ok(tenant.list_event_trackers().send().await, "ListEventTrackers");
    assert_eq!(trackers_listed.event_trackers().len(), 1);
    let datasets = ok(tenant.list_datasets().send().await, "ListDatasets");
    assert!(datasets.datasets().iter().all(|d| d.dataset_arn().unwrap().contains("tenant-1")));
    assert_eq!(ok(tenant.list_schemas().send().await, "ListSchemas").schemas().len(), 1);

    // The other group's resources answer as if missing.
    let missing = tenant.describe_dataset_group().dataset_group_arn(&g2).send().await;
    let m = expect_code(missing, "ResourceNotFoundException", "DescribeDatasetGroup(other group)");
    assert!(m.contains("tenant-2"), "{m}");
    let d2 = arn("dataset", "tenant-2/INTERACTIONS");
    expect_code(tenant.describe_dataset().dataset_arn(&d2).send().await, "ResourceNotFoundException", "dataset");
    expect_code(
        tenant.list_datasets().dataset_group_arn(&g2).send().await,
        "ResourceNotFoundException",
        "ListDatasets(other group)",
    );
    expect_code(
        tenant.create_event_tracker().name("sneaky").dataset_group_arn(&g2).send().await,
        "ResourceNotFoundException",
        "CreateEventTracker(other group)",
    );
    expect_code(
        tenant.delete_dataset_group().dataset_group_arn(&g2).send().await,
        "ResourceNotFoundException",
        "DeleteDatasetGroup(other group)",
    );
    expect_code(
        tenant.create_dataset_group().name("tenant-3").send().await,
        "AccessDeniedException",
        "CreateDatasetGroup outside the scope",
    );
    // The key's own group works.
    ok(tenant.describe_dataset_group().dataset_group_arn(&g1).send().await, "DescribeDatasetGroup(own)");

    // Events: the other group's tracking id is unknown to this key.
    use aws_sdk_personalizeevents::config as ec;
    use aws_sdk_personalizeevents::primitives::DateTime;
    use aws_sdk_personalizeevents::types::Event;
    let events = aws_sdk_personalizeevents::Client::from_conf(
        ec::Config::builder()
            .behavior_version(ec::BehaviorVersion::latest())
            .region(ec::Region::new(REGION))
            .endpoint_url(&server.url)
            .credentials_provider(ec::Credentials::new("AKIDTENANT1", "tenant-one-secret-0001", None, None, "t"))
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .build(),
    );
    let event = || {
        Event::builder().event_type("click").item_id("i1").sent_at(DateTime::from_secs(1_700_000_000)).build().unwrap()
    };
    let put =
        |tracking: &str| events.put_events().tracking_id(tracking).user_id("u1").session_id("s1").event_list(event());
    ok(put(&trackers[0]).send().await, "PutEvents(own group)");
    let refused = put(&trackers[1]).send().await;
    let e = refused.expect_err("PutEvents to the other group's tracker");
    use aws_sdk_personalizeevents::error::ProvideErrorMetadata;
    assert_eq!(e.code(), Some("ResourceNotFoundException"));
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(404));
}
