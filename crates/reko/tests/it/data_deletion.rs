//! Data deletion jobs through the official AWS SDK for Rust, against a real `reko serve`:
//!
//! * two groups (one encrypted with a customer key) hold a user in bulk-imported interactions and
//!   users, in PutEvents (with an anonymous event of the same session) and in PutUsers; a third
//!   group holds other users;
//! * a CreateDataDeletionJob per group with a CSV naming the user (and an id no group has), created
//!   while no worker runs and resumed by a restarted server, ends COMPLETED with `numDeleted` 1, and
//!   is listed under its group;
//! * a dataset export lacks the user; a solution version trained afterwards does not know them
//!   (their recommendations are those of a user never seen); the third group is untouched;
//! * no file under the data directory holds the user's id or session any more.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::*;
use aws_sdk_personalize::types::DataSource;
use aws_sdk_personalizeevents::primitives::DateTime;
use aws_sdk_personalizeevents::types::{Event, User};

const KMS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/reko-test";
const ROLE: &str = "arn:aws:iam::123456789012:role/PersonalizeRole";
const INTERACTIONS: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const USERS: &str = r#"{"type":"record","name":"Users","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"TIER","type":"string","categorical":true}],"version":"1.0"}"#;
/// The user erased from the first two groups.
const GONE: &str = "erase-9c41";
const SESSION: &str = "erase-session-77b0";

/// 1,600 interactions of 80 users `{prefix}user000…` over 60 items, plus 40 of `GONE` on items
/// only they watch (in the groups that hold them).
fn write_interactions(path: &Path, prefix: &str, with_gone: bool) {
    use std::fmt::Write as _;
    let mut csv = String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
    for r in 0..1600 {
        let u = r % 80;
        let item = (u * 3 + r / 80 * 7) % 60;
        writeln!(csv, "{prefix}user{u:03},item{item:03},watch,{}", 1_700_000_000 + r).unwrap();
    }
    if with_gone {
        for r in 0..40 {
            writeln!(csv, "{GONE},item{:03},watch,{}", 60 + r % 5, 1_700_010_000 + r).unwrap();
        }
    }
    std::fs::write(path, csv).unwrap();
}

fn write_users(path: &Path, prefix: &str, with_gone: bool) {
    let mut csv = String::from("USER_ID,TIER\n");
    for u in 0..80 {
        csv.push_str(&format!("{prefix}user{u:03},gold\n"));
    }
    if with_gone {
        csv.push_str(&format!("{GONE},platinum\n"));
    }
    std::fs::write(path, csv).unwrap();
}

const SCOPED_ID: &str = "AKIDDDSCOPED";
const SCOPED_SECRET: &str = "reko-test-scoped-secret-0001";

/// A control-plane client signing with the key scoped to the third group.
fn scoped_client(url: &str) -> aws_sdk_personalize::Client {
    use aws_sdk_personalize::config::{BehaviorVersion, Credentials, Region};
    let conf = aws_sdk_personalize::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(url)
        .credentials_provider(Credentials::new(SCOPED_ID, SCOPED_SECRET, None, None, "test"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(aws_sdk_personalize::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_personalize::Client::from_conf(conf)
}

struct Group {
    arn: String,
    interactions: String,
    users: String,
}

async fn recommend(server: &Server, campaign: &str, user: &str) -> Vec<String> {
    let out = server.runtime.get_recommendations().campaign_arn(campaign).user_id(user).num_results(10).send().await;
    ids(ok(out, "GetRecommendations").item_list())
}

/// Polls DescribeDataDeletionJob until the job leaves PENDING / IN_PROGRESS.
async fn wait_deletion(c: &aws_sdk_personalize::Client, arn: &str) -> aws_sdk_personalize::types::DataDeletionJob {
    let started = Instant::now();
    loop {
        let out = ok(c.describe_data_deletion_job().data_deletion_job_arn(arn).send().await, "DescribeDataDeletionJob");
        let job = out.data_deletion_job().expect("dataDeletionJob").clone();
        let status = job.status().unwrap_or_default();
        assert!(["PENDING", "IN_PROGRESS", "COMPLETED", "FAILED"].contains(&status), "status {status}");
        if status == "COMPLETED" || status == "FAILED" {
            return job;
        }
        assert!(started.elapsed() < WAIT, "data deletion job {arn} stuck in {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_deletion_job_erases_the_users_everywhere_in_its_group() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let key = tmp.path().join("a.key");
    std::fs::write(&key, "22".repeat(32)).unwrap();
    // A customer key, and a key scoped to the third group with a folder of its own.
    let scoped_files = tmp.path().join("scoped-files");
    std::fs::create_dir_all(&scoped_files).unwrap();
    let config = tmp.path().join("reko.toml");
    std::fs::write(
        &config,
        format!(
            "[[kms_keys]]\narn = \"{KMS_KEY}\"\nmaterial = \"file:{}\"\n\n[[access_keys]]\naccess_key_id = \"{SCOPED_ID}\"\n\
             secret_access_key = \"{SCOPED_SECRET}\"\ndataset_groups = [\"{}\"]\ndata_roots = [\"{}\"]\n",
            key.display(),
            arn("dataset-group", "dd-other"),
            scoped_files.display()
        ),
    )
    .unwrap();
    let mut server = Server::start_with(&data, &["--config", config.to_str().unwrap()]);
    let c = server.control.clone();
    let ev = server.events.clone();

    let interactions_schema = create_schema(&c, "dd-interactions", INTERACTIONS).await;
    let users_schema = create_schema(&c, "dd-users", USERS).await;
    let mut groups = Vec::new();
    for (name, prefix, encrypted) in
        [("dd-plain", "keep", false), ("dd-sealed", "seal", true), ("dd-other", "othr", false)]
    {
        let create = c.create_dataset_group().name(name);
        let create = if encrypted { create.kms_key_arn(KMS_KEY).role_arn(ROLE) } else { create };
        let arn = ok(create.send().await, "CreateDatasetGroup").dataset_group_arn().unwrap().to_string();
        wait_active(&c, &Res::DatasetGroup(arn.clone())).await;
        let with_gone = name != "dd-other";
        let interactions =
            create_dataset(&c, &arn, name, &format!("{name}-i"), "Interactions", &interactions_schema).await;
        let users = create_dataset(&c, &arn, name, &format!("{name}-u"), "Users", &users_schema).await;
        let (icsv, ucsv) = (tmp.path().join(format!("{name}-i.csv")), tmp.path().join(format!("{name}-u.csv")));
        write_interactions(&icsv, prefix, with_gone);
        write_users(&ucsv, prefix, with_gone);
        for (job, dataset, csv) in [("i", &interactions, &icsv), ("u", &users, &ucsv)] {
            let import_arn = import(&c, &format!("{name}-{job}"), dataset, &file_url(csv), None).await;
            wait_active(&c, &Res::ImportJob(import_arn)).await;
        }
        if with_gone {
            let tracking = create_tracker(&c, &format!("{name}-t"), &arn).await;
            let event = |item: &str| {
                Event::builder()
                    .event_type("watch")
                    .item_id(item)
                    .sent_at(DateTime::from_secs(1_700_020_000))
                    .build()
                    .unwrap()
            };
            let put = |user: Option<&str>, item: &str| {
                ev.put_events()
                    .tracking_id(&tracking)
                    .set_user_id(user.map(str::to_string))
                    .session_id(SESSION)
                    .event_list(event(item))
                    .send()
            };
            ok(put(Some(GONE), "item061").await, "PutEvents");
            ok(put(None, "item062").await, "PutEvents(anonymous, same session)");
            let user = User::builder().user_id(GONE).properties(r#"{"tier":"silver"}"#).build().unwrap();
            ok(ev.put_users().dataset_arn(&users).users(user).send().await, "PutUsers");
        }
        groups.push(Group { arn, interactions, users });
    }
    let (plain, sealed) = (&groups[0], &groups[1]);

    // Validation names the field and the value; a missing group is not found.
    let users_csv = tmp.path().join("erase").join("users.csv");
    write_input(&users_csv, &["USER_ID", GONE, "never-seen-0000"]);
    let source = DataSource::builder().data_location(file_url(&users_csv)).build();
    let bad = c
        .create_data_deletion_job()
        .job_name("bad name")
        .dataset_group_arn(&plain.arn)
        .data_source(source.clone())
        .role_arn(ROLE)
        .send()
        .await;
    let m = expect_code(bad, "InvalidInputException", "CreateDataDeletionJob(bad name)");
    assert!(m.contains("'bad name'") && m.contains("jobName"), "{m}");
    let missing = c
        .create_data_deletion_job()
        .job_name("missing")
        .dataset_group_arn(arn("dataset-group", "no-such-group"))
        .data_source(source.clone())
        .role_arn(ROLE)
        .send()
        .await;
    expect_code(missing, "ResourceNotFoundException", "CreateDataDeletionJob(no group)");

    // One job per group holding the user, created while no worker runs (they stay PENDING), then
    // the server is killed: the restarted server runs them.
    let config_arg = ["--config", config.to_str().unwrap()];
    server.kill();
    let mut server = Server::start_with(&data, &[config_arg[0], config_arg[1], "--workers", "0"]);
    let c = server.control.clone();
    let mut jobs = Vec::new();
    for (name, group) in [("erase-plain", plain), ("erase-sealed", sealed)] {
        let out = c
            .create_data_deletion_job()
            .job_name(name)
            .dataset_group_arn(&group.arn)
            .data_source(source.clone())
            .role_arn(ROLE)
            .tags(aws_sdk_personalize::types::Tag::builder().tag_key("reason").tag_value("gdpr").build().unwrap())
            .send()
            .await;
        let job = ok(out, "CreateDataDeletionJob").data_deletion_job_arn().unwrap().to_string();
        assert_eq!(job, arn("data-deletion-job", name));
        jobs.push(job);
    }
    for job in &jobs {
        let pending = ok(c.describe_data_deletion_job().data_deletion_job_arn(job).send().await, "Describe");
        let pending = pending.data_deletion_job().unwrap();
        assert_eq!((pending.status(), pending.num_deleted()), (Some("PENDING"), None));
    }
    server.kill();
    let mut server = Server::start_with(&data, &config_arg);
    let c = server.control.clone();
    for (job, group) in jobs.iter().zip([plain, sealed]) {
        let done = wait_deletion(&c, job).await;
        assert_eq!(done.status(), Some("COMPLETED"), "{done:?}");
        assert_eq!(done.num_deleted(), Some(1), "the unknown id is not counted");
        assert_eq!(done.dataset_group_arn(), Some(group.arn.as_str()));
        assert_eq!(done.role_arn(), Some(ROLE));
        assert_eq!(done.data_source().and_then(|s| s.data_location()), Some(file_url(&users_csv).as_str()));
        assert!(done.creation_date_time().is_some() && done.last_updated_date_time().is_some());
        assert!(done.failure_reason().is_none());
        let listed = ok(c.list_data_deletion_jobs().dataset_group_arn(&group.arn).send().await, "ListDataDeletionJobs");
        let summaries = listed.data_deletion_jobs();
        assert_eq!(summaries.len(), 1);
        assert_eq!(summaries[0].data_deletion_job_arn(), Some(job.as_str()));
        assert_eq!(summaries[0].status(), Some("COMPLETED"));
        assert_eq!(summaries[0].dataset_group_arn(), Some(group.arn.as_str()));
    }
    // A key scoped to the third group sees none of these jobs, cannot start one in another group,
    // and reads its CSV only from its own folder.
    let scoped = scoped_client(&server.url);
    let hidden = scoped.describe_data_deletion_job().data_deletion_job_arn(&jobs[0]).send().await;
    expect_code(hidden, "ResourceNotFoundException", "DescribeDataDeletionJob(another group's)");
    let listed = ok(scoped.list_data_deletion_jobs().send().await, "ListDataDeletionJobs(scoped)");
    assert!(listed.data_deletion_jobs().is_empty());
    let other_group = arn("dataset-group", "dd-other");
    let create = |group: &str, location: String| {
        scoped
            .create_data_deletion_job()
            .job_name("scoped-erase")
            .dataset_group_arn(group)
            .data_source(DataSource::builder().data_location(location).build())
            .role_arn(ROLE)
            .send()
    };
    expect_code(create(&plain.arn, file_url(&users_csv)).await, "ResourceNotFoundException", "another group");
    let m = expect_code(create(&other_group, file_url(&users_csv)).await, "InvalidInputException", "outside roots");
    assert!(m.contains("dataSource.dataLocation"), "{m}");
    let own_csv = scoped_files.join("users.csv");
    write_input(&own_csv, &["USER_ID", GONE]);
    let own = ok(create(&other_group, file_url(&own_csv)).await, "CreateDataDeletionJob(scoped)");
    let own = wait_deletion(&scoped, own.data_deletion_job_arn().unwrap()).await;
    assert_eq!((own.status(), own.num_deleted()), (Some("COMPLETED"), Some(0)), "the third group has no such user");

    let all = ok(c.list_data_deletion_jobs().max_results(1).send().await, "ListDataDeletionJobs(page)");
    assert_eq!(all.data_deletion_jobs().len(), 1);
    assert!(all.next_token().is_some());
    let tags = ok(c.list_tags_for_resource().resource_arn(&jobs[0]).send().await, "ListTagsForResource");
    assert_eq!(tags.tags().len(), 1);

    // What an export reads: the user and their session are gone, the others stay; the other group
    // is untouched.
    let exports = tmp.path().join("exports");
    for (n, group) in groups.iter().enumerate() {
        let interactions = export_dataset(&c, &format!("x{n}-i"), &group.interactions, "ALL", &exports).await;
        let users = export_dataset(&c, &format!("x{n}-u"), &group.users, "ALL", &exports).await;
        assert!(interactions.iter().chain(&users).all(|l| !l.contains(GONE)), "group {n} still exports the user");
        // Header + 1,600 bulk rows (the user's 40 and their two events gone).
        assert_eq!(interactions.len(), 1601, "group {n}");
        assert_eq!(users.len(), 81, "group {n}");
    }

    // A version trained now does not know the user: they get what a user never seen gets.
    let sol = create_solution(&c, &plain.arn, "dd-up", "aws-user-personalization").await;
    let version = train(&c, &sol).await;
    let campaign = deploy(&c, "dd-campaign", &version).await;
    let cold = recommend(&server, &campaign, "never-seen-user").await;
    assert!(!cold.is_empty());
    assert_eq!(recommend(&server, &campaign, GONE).await, cold, "the erased user is unknown to the new model");
    let known = recommend(&server, &campaign, "keepuser001").await;
    assert!(!known.is_empty());

    // No file under the data directory holds the user's id or session (SQLite's files included).
    server.kill();
    for needle in [GONE, SESSION] {
        let leaks = files_containing(&data, needle);
        assert!(leaks.is_empty(), "'{needle}' still in {leaks:?}");
    }
    assert!(!files_containing(&data, "keepuser001").is_empty(), "the scan finds what was kept");
}
