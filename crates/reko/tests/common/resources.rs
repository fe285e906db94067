//! Creating the resources the SDK suites share (groups, datasets, imports, solutions, campaigns,
//! trackers, filters, exports).

use super::*;

// ---- resource helpers shared by the SDK test files -------------------------------------------

pub const METRIC_KEYS: [&str; 8] = [
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
];

pub fn ids(items: &[aws_sdk_personalizeruntime::types::PredictedItem]) -> Vec<String> {
    items.iter().map(|i| i.item_id().expect("itemId").to_string()).collect()
}

pub async fn create_schema(c: &aws_sdk_personalize::Client, name: &str, schema: &str) -> String {
    let out = ok(c.create_schema().name(name).schema(schema).send().await, "CreateSchema");
    let a = out.schema_arn().expect("schemaArn").to_string();
    assert_eq!(a, arn("schema", name));
    a
}

pub async fn create_dataset(
    c: &aws_sdk_personalize::Client,
    dsg_arn: &str,
    dsg_name: &str,
    name: &str,
    kind: &str,
    schema_arn: &str,
) -> String {
    let out = ok(
        c.create_dataset().name(name).dataset_group_arn(dsg_arn).dataset_type(kind).schema_arn(schema_arn).send().await,
        "CreateDataset",
    );
    let a = out.dataset_arn().expect("datasetArn").to_string();
    assert_eq!(a, arn("dataset", &format!("{dsg_name}/{}", kind.to_uppercase())));
    wait_active(c, &Res::Dataset(a.clone())).await;
    a
}

pub async fn import(
    c: &aws_sdk_personalize::Client,
    job: &str,
    dataset_arn: &str,
    location: &str,
    mode: Option<aws_sdk_personalize::types::ImportMode>,
) -> String {
    import_with(c, job, dataset_arn, location, mode, &[]).await
}

/// [`import`] (FULL) with tags on the job, e.g. `reko:strict-import=true`.
pub async fn import_tagged(
    c: &aws_sdk_personalize::Client,
    job: &str,
    dataset_arn: &str,
    location: &str,
    tags: &[(&str, &str)],
) -> String {
    import_with(c, job, dataset_arn, location, None, tags).await
}

async fn import_with(
    c: &aws_sdk_personalize::Client,
    job: &str,
    dataset_arn: &str,
    location: &str,
    mode: Option<aws_sdk_personalize::types::ImportMode>,
    tags: &[(&str, &str)],
) -> String {
    let tags: Vec<_> = tags
        .iter()
        .map(|(k, v)| aws_sdk_personalize::types::Tag::builder().tag_key(*k).tag_value(*v).build().unwrap())
        .collect();
    let out = ok(
        c.create_dataset_import_job()
            .job_name(job)
            .dataset_arn(dataset_arn)
            .data_source(aws_sdk_personalize::types::DataSource::builder().data_location(location).build())
            .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/PersonalizeRole"))
            .set_import_mode(mode)
            .set_tags((!tags.is_empty()).then_some(tags))
            .send()
            .await,
        "CreateDatasetImportJob",
    );
    let a = out.dataset_import_job_arn().expect("datasetImportJobArn").to_string();
    assert!(a.ends_with(&format!(":dataset-import-job/{job}")), "{a}");
    a
}

/// The task view (`GET /reko/tasks`) through the CLI's client, signed with the root key.
pub async fn get_tasks(url: &str) -> Vec<reko::tasks::TaskInfo> {
    let authority = url.strip_prefix("http://").expect("http url").trim_end_matches('/');
    let credentials = (ACCESS_KEY_ID.to_string(), SECRET_ACCESS_KEY.to_string());
    reko::tasks::TasksClient::new(authority, credentials, REGION).list().await.expect("GET /reko/tasks")
}

pub async fn create_dataset_group(c: &aws_sdk_personalize::Client, name: &str) -> String {
    let out = ok(c.create_dataset_group().name(name).send().await, "CreateDatasetGroup");
    let a = out.dataset_group_arn().expect("datasetGroupArn").to_string();
    assert_eq!(a, arn("dataset-group", name));
    a
}

pub async fn deploy(c: &aws_sdk_personalize::Client, name: &str, sv: &str) -> String {
    let camp = ok(
        c.create_campaign().name(name).solution_version_arn(sv).min_provisioned_tps(1).send().await,
        "CreateCampaign",
    )
    .campaign_arn()
    .expect("campaignArn")
    .to_string();
    assert_eq!(camp, arn("campaign", name));
    wait_active(c, &Res::Campaign(camp.clone())).await;
    camp
}

// ---- solutions, campaigns, trackers (events, filters and batch suites) ----------------------

/// `arn:aws:personalize:::recipe/{name}`.
pub fn recipe(name: &str) -> String {
    format!("arn:aws:personalize:::recipe/{name}")
}

pub async fn create_campaign(
    c: &aws_sdk_personalize::Client,
    name: &str,
    sv: &str,
    config: aws_sdk_personalize::types::CampaignConfig,
) -> String {
    let camp = ok(
        c.create_campaign().name(name).solution_version_arn(sv).campaign_config(config).send().await,
        "CreateCampaign",
    )
    .campaign_arn()
    .expect("campaignArn")
    .to_string();
    wait_active(c, &Res::Campaign(camp.clone())).await;
    camp
}

pub async fn train(c: &aws_sdk_personalize::Client, sol: &str) -> String {
    let sv = ok(
        c.create_solution_version()
            .solution_arn(sol)
            .training_mode(aws_sdk_personalize::types::TrainingMode::Full)
            .send()
            .await,
        "CreateSolutionVersion",
    )
    .solution_version_arn()
    .expect("solutionVersionArn")
    .to_string();
    wait_active(c, &Res::SolutionVersion(sv.clone())).await;
    sv
}

pub async fn create_solution(c: &aws_sdk_personalize::Client, dsg: &str, name: &str, recipe_name: &str) -> String {
    let sol = ok(
        c.create_solution().name(name).dataset_group_arn(dsg).recipe_arn(recipe(recipe_name)).send().await,
        "CreateSolution",
    )
    .solution_arn()
    .expect("solutionArn")
    .to_string();
    wait_active(c, &Res::Solution(sol.clone())).await;
    sol
}

pub async fn create_tracker(c: &aws_sdk_personalize::Client, name: &str, dsg: &str) -> String {
    let et = ok(c.create_event_tracker().name(name).dataset_group_arn(dsg).send().await, "CreateEventTracker");
    let tracking_id = et.tracking_id().expect("trackingId").to_string();
    wait_active(c, &Res::EventTracker(et.event_tracker_arn().expect("eventTrackerArn").to_string())).await;
    tracking_id
}

/// Polls DescribeFilter until the filter leaves CREATE PENDING / CREATE IN_PROGRESS; it must end ACTIVE.
pub async fn wait_filter_active(
    c: &aws_sdk_personalize::Client,
    filter_arn: &str,
) -> aws_sdk_personalize::types::Filter {
    let start = Instant::now();
    loop {
        let out = ok(c.describe_filter().filter_arn(filter_arn).send().await, "DescribeFilter");
        let f = out.filter().expect("filter").clone();
        match f.status() {
            Some("ACTIVE") => return f,
            Some("CREATE PENDING" | "CREATE IN_PROGRESS") => {}
            other => panic!("filter {filter_arn} is {other:?} (failure reason {:?})", f.failure_reason()),
        }
        assert!(start.elapsed() < WAIT, "filter {filter_arn} not ACTIVE after {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// CreateFilter, checking the ARN, then waits until ACTIVE.
pub async fn create_filter(c: &aws_sdk_personalize::Client, dsg: &str, name: &str, expression: &str) -> String {
    let out = ok(
        c.create_filter().name(name).dataset_group_arn(dsg).filter_expression(expression).send().await,
        &format!("CreateFilter({expression})"),
    );
    let a = out.filter_arn().expect("filterArn").to_string();
    assert_eq!(a, arn("filter", name));
    wait_filter_active(c, &a).await;
    a
}

/// Writes a JSON Lines input file (one line each), creating its folder.
pub fn write_input(path: &Path, lines: &[&str]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
}

/// Polls DescribeDatasetExportJob until the job is ACTIVE (panics when it fails or is stuck).
pub async fn wait_export_active(c: &aws_sdk_personalize::Client, export_arn: &str) {
    let started = Instant::now();
    loop {
        let d = ok(c.describe_dataset_export_job().dataset_export_job_arn(export_arn).send().await, "Describe");
        let status = d.dataset_export_job().and_then(|j| j.status()).unwrap_or_default().to_string();
        if status == "ACTIVE" {
            return;
        }
        assert!(!status.contains("FAILED"), "{d:?}");
        assert!(started.elapsed() < WAIT, "export {export_arn} stuck in {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Exports a dataset's records (`mode`: BULK, PUT or ALL) into `folder` as `<name>.csv` and waits
/// for the job; returns the CSV's lines, header first.
pub async fn export_dataset(
    c: &aws_sdk_personalize::Client,
    name: &str,
    dataset_arn: &str,
    mode: &str,
    folder: &Path,
) -> Vec<String> {
    use aws_sdk_personalize::types::{DatasetExportJobOutput, IngestionMode, S3DataConfig};
    std::fs::create_dir_all(folder).unwrap();
    let destination = S3DataConfig::builder().path(format!("{}/", file_url(folder))).build().unwrap();
    let out = ok(
        c.create_dataset_export_job()
            .job_name(name)
            .dataset_arn(dataset_arn)
            .ingestion_mode(IngestionMode::from(mode))
            .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/PersonalizeRole"))
            .job_output(DatasetExportJobOutput::builder().s3_data_destination(destination).build())
            .send()
            .await,
        "CreateDatasetExportJob",
    );
    wait_export_active(c, out.dataset_export_job_arn().unwrap()).await;
    let csv = std::fs::read_to_string(folder.join(format!("{name}.csv"))).unwrap();
    csv.lines().map(str::to_string).collect()
}
