use std::io::Write;
use std::path::PathBuf;

use reko_api::*;

use super::*;
use crate::encryption::CustomerKey;
use crate::{AccessScope, ServiceConfig};

const KMS: &str = "arn:aws:kms:us-east-1:123456789012:key/reko-test";
const ROLE: &str = "arn:aws:iam::123456789012:role/reko";
const INTERACTIONS: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
const USERS: &str = r#"{"type":"record","name":"Users","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"TIER","type":"string","categorical":true}],"version":"1.0"}"#;

fn open(dir: &Path, workers: usize) -> Reko {
    Reko::open(ServiceConfig {
        data_dir: dir.join("d"),
        workers,
        customer_keys: vec![CustomerKey { arn: KMS.into(), material: [3; 32], previous: vec![] }],
        ..Default::default()
    })
    .unwrap()
}

use crate::test_support::{dataset_in, drain};

struct Group {
    arn: String,
    interactions: String,
    users: String,
}

fn write(path: &Path, lines: &[String]) -> String {
    let mut f = std::fs::File::create(path).unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    path.display().to_string()
}

/// An ACTIVE group with Interactions and Users datasets holding `users` (bulk imports), and
/// for `put_user` put events (one anonymous in the same session) and a put user record.
fn group(reko: &Reko, dir: &Path, name: &str, encrypted: bool, users: &[&str], put_user: &str) -> Group {
    let scope = AccessScope::default();
    let arn = reko
        .create_dataset_group(
            CreateDatasetGroupRequest {
                name: name.into(),
                kms_key_arn: encrypted.then(|| KMS.into()),
                role_arn: encrypted.then(|| ROLE.into()),
                ..Default::default()
            },
            &scope,
        )
        .unwrap()
        .dataset_group_arn;
    drain(reko);
    let datasets: Vec<String> = [("Interactions", INTERACTIONS), ("Users", USERS)]
        .into_iter()
        .map(|(kind, schema)| dataset_in(reko, &arn, &format!("{name}-{kind}"), schema, kind))
        .collect();
    let tracker = reko
        .create_event_tracker(CreateEventTrackerRequest {
            name: format!("{name}-t"),
            dataset_group_arn: arn.clone(),
            tags: None,
        })
        .unwrap();
    drain(reko);
    let mut interactions = vec!["USER_ID,ITEM_ID,TIMESTAMP".to_string()];
    let mut user_rows = vec!["USER_ID,TIER".to_string()];
    for (u, user) in users.iter().enumerate() {
        for k in 0..3 {
            interactions.push(format!("{user},item-{k},{}", 1_700_000_000 + u * 10 + k));
        }
        user_rows.push(format!("{user},gold"));
    }
    // Imports of interactions need 1,000 rows.
    for n in 0..1000 {
        interactions.push(format!("filler-{},item-{},{}", n / 25, n % 25, 1_600_000_000 + n));
    }
    for (dataset, rows, file) in [(&datasets[0], &interactions, "interactions"), (&datasets[1], &user_rows, "users")] {
        let csv = write(&dir.join(format!("{name}-{file}.csv")), rows);
        reko.create_dataset_import_job(
            CreateDatasetImportJobRequest {
                job_name: format!("{name}-{file}"),
                dataset_arn: dataset.clone(),
                data_source: DataSource { data_location: Some(csv) },
                ..Default::default()
            },
            &scope,
        )
        .unwrap();
    }
    drain(reko);
    let event = |item: &str| Event {
        event_type: "click".into(),
        item_id: Some(item.into()),
        sent_at: 1_700_001_000.0,
        ..Default::default()
    };
    let put = |user: Option<&str>, item: &str| {
        reko.put_events(PutEventsRequest {
            tracking_id: tracker.tracking_id.clone(),
            user_id: user.map(str::to_string),
            session_id: format!("session-of-{put_user}"),
            event_list: vec![event(item)],
        })
        .unwrap()
    };
    put(Some(put_user), "put-item");
    put(None, "anonymous-item");
    reko.put_users(PutUsersRequest {
        dataset_arn: datasets[1].clone(),
        users: vec![User { user_id: put_user.into(), properties: Some(r#"{"tier":"silver"}"#.into()) }],
    })
    .unwrap();
    Group { arn, interactions: datasets[0].clone(), users: datasets[1].clone() }
}

fn create_job(reko: &Reko, name: &str, group: &str, csv: String) -> String {
    reko.create_data_deletion_job(
        CreateDataDeletionJobRequest {
            job_name: name.into(),
            dataset_group_arn: group.into(),
            data_source: DataSource { data_location: Some(csv) },
            role_arn: ROLE.into(),
            tags: Some(vec![Tag { tag_key: "purpose".into(), tag_value: "gdpr".into() }]),
        },
        &AccessScope::default(),
    )
    .unwrap()
    .data_deletion_job_arn
}

fn describe(reko: &Reko, arn: &str) -> DataDeletionJob {
    reko.describe_data_deletion_job(DescribeDataDeletionJobRequest { data_deletion_job_arn: arn.into() })
        .unwrap()
        .data_deletion_job
}

/// (user id or `-`, session id or `-`) of every stored row of a dataset.
fn rows(reko: &Reko, dataset: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for batch in reko.dataset_batches(dataset).unwrap() {
        for row in 0..batch.len() {
            let get = |c: &str| batch.str_value(c, row).unwrap_or("-").to_string();
            out.push((get(USER_ID), get(SESSION_ID_COLUMN)));
        }
    }
    out
}

fn users_in(reko: &Reko, dataset: &str) -> Vec<String> {
    rows(reko, dataset).into_iter().map(|(u, _)| u).collect()
}

/// Every file under `dir` that holds `needle`.
fn files_holding(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_holding(&path, needle));
        } else if std::fs::read(&path).unwrap().windows(needle.len()).any(|w| w == needle) {
            found.push(path);
        }
    }
    found
}

#[test]
fn users_are_erased_from_bulk_put_and_real_time_data_of_their_group_only() {
    let tmp = tempfile::tempdir().unwrap();
    let reko = open(tmp.path(), 0);
    let a = group(&reko, tmp.path(), "a", false, &["gone-7f3a", "keep-1", "keep-2"], "gone-7f3a");
    let b = group(&reko, tmp.path(), "b", false, &["gone-7f3a", "keep-1"], "gone-7f3a");
    assert_eq!(reko.inner.live.filter_history(&reko, &a.arn, "gone-7f3a").unwrap().len(), 5);
    let before_b = (rows(&reko, &b.interactions), rows(&reko, &b.users));
    let csv = write(
        &tmp.path().join("erase.csv"),
        &["USER_ID".into(), "gone-7f3a".into(), "never-seen".into(), "gone-7f3a".into(), String::new()],
    );
    let job = create_job(&reko, "erase-a", &a.arn, csv);
    let pending = describe(&reko, &job);
    assert_eq!((pending.status.as_str(), pending.num_deleted), ("PENDING", None));
    drain(&reko);
    let done = describe(&reko, &job);
    assert_eq!((done.status.as_str(), done.num_deleted, done.failure_reason), ("COMPLETED", Some(1), None));
    // The user's bulk and put interactions, the anonymous event of their session, their bulk
    // and put user records: gone. The other users' rows stay.
    let interactions = rows(&reko, &a.interactions);
    assert!(interactions.iter().all(|(u, s)| u != "gone-7f3a" && s != "session-of-gone-7f3a"), "{interactions:?}");
    assert_eq!(interactions.len(), 1006);
    assert_eq!(users_in(&reko, &a.users), ["keep-1", "keep-2"]);
    // Real-time state and filters' histories no longer know them.
    assert!(reko.inner.live.filter_history(&reko, &a.arn, "gone-7f3a").unwrap().is_empty());
    assert_eq!(reko.inner.live.filter_history(&reko, &a.arn, "keep-1").unwrap().len(), 3);
    // The other group is untouched.
    assert_eq!((rows(&reko, &b.interactions), rows(&reko, &b.users)), before_b);
    // Listed under its group, tagged.
    let list = |group: Option<&str>| {
        reko.list_data_deletion_jobs(
            ListDataDeletionJobsRequest { dataset_group_arn: group.map(str::to_string), ..Default::default() },
            &AccessScope::default(),
        )
        .unwrap()
        .data_deletion_jobs
    };
    let listed = list(Some(&a.arn));
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].status.as_str(), listed[0].dataset_group_arn.as_str()), ("COMPLETED", a.arn.as_str()));
    assert!(list(Some(&b.arn)).is_empty());
    assert_eq!(reko.store().tags(&job).unwrap(), [("purpose".to_string(), "gdpr".to_string())]);
    // A key scoped to the other group sees none of it.
    let scoped = AccessScope { dataset_groups: Some(vec![b.arn.clone()]), ..Default::default() };
    assert!(reko
        .list_data_deletion_jobs(ListDataDeletionJobsRequest::default(), &scoped)
        .unwrap()
        .data_deletion_jobs
        .is_empty());
    assert!(reko.authorize_arn(&scoped, &job).is_err());
    reko.shutdown();
}

#[test]
fn no_file_of_the_data_directory_keeps_the_erased_ids_encrypted_groups_included() {
    let tmp = tempfile::tempdir().unwrap();
    let reko = open(tmp.path(), 0);
    let plain = group(&reko, tmp.path(), "plain", false, &["erase-plain-91c", "keep-1"], "erase-plain-91c");
    let sealed = group(&reko, tmp.path(), "sealed", true, &["erase-sealed-4d2", "keep-1"], "erase-sealed-4d2");
    let csv =
        write(&tmp.path().join("erase.csv"), &["USER_ID".into(), "erase-plain-91c".into(), "erase-sealed-4d2".into()]);
    let jobs = [create_job(&reko, "plain", &plain.arn, csv.clone()), create_job(&reko, "sealed", &sealed.arn, csv)];
    drain(&reko);
    for job in &jobs {
        assert_eq!(describe(&reko, job).num_deleted, Some(1));
    }
    assert_eq!(users_in(&reko, &sealed.users), ["keep-1"]);
    let kept = users_in(&reko, &sealed.interactions);
    assert_eq!(kept.len(), 1003);
    assert!(kept.iter().all(|u| u.starts_with("keep-") || u.starts_with("filler-")), "{kept:?}");
    let data = tmp.path().join("d");
    for id in ["erase-plain-91c", "erase-sealed-4d2", "session-of-erase-plain", "anonymous-item"] {
        assert_eq!(files_holding(&data, id.as_bytes()), Vec::<PathBuf>::new(), "{id}");
    }
    // What was kept is still there (the scan would find it).
    assert!(!files_holding(&data, b"keep-1").is_empty());
    reko.shutdown();
}

#[test]
fn an_interrupted_job_resumes_after_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let reko = open(tmp.path(), 0);
    let a = group(&reko, tmp.path(), "a", true, &["gone-1", "keep-1"], "gone-1");
    let csv = write(&tmp.path().join("erase.csv"), &["user_id".into(), "gone-1".into()]);
    let job = create_job(&reko, "erase", &a.arn, csv.clone());
    // Claimed by a worker, then the server stops before it finishes.
    let claimed = reko.store().claim_task("a-stopped-worker", crate::DEFAULT_TASK_LEASE).unwrap().unwrap().task;
    assert_eq!((claimed.kind, claimed.resource_arn.as_str()), (Ok(TaskKind::DataDeletion), job.as_str()));
    reko.shutdown();
    drop(reko);
    let reko = open(tmp.path(), 0);
    drain(&reko);
    assert_eq!(describe(&reko, &job).status, "COMPLETED");
    assert_eq!(describe(&reko, &job).num_deleted, Some(1));
    assert_eq!(users_in(&reko, &a.users), ["keep-1"]);

    // Interrupted after the rewrite committed (the count recorded, the job in progress): the
    // run only compacts and reports the recorded count.
    let second = create_job(&reko, "again", &a.arn, csv);
    let mut stored = reko.load::<DataDeletionJob>(ResourceKind::DataDeletionJob, &second).unwrap();
    stored.internal = serde_json::json!({ USERS_ERASED: 1 });
    let mut update = update_of(&stored, ResourceStatus::CreateInProgress.as_str()).unwrap();
    set_status(&mut update.doc, ResourceStatus::CreateInProgress.as_str());
    reko.store().update_resource(&update).unwrap();
    assert_eq!(describe(&reko, &second).status, "IN_PROGRESS");
    drain(&reko);
    assert_eq!(
        (describe(&reko, &second).status.as_str(), describe(&reko, &second).num_deleted),
        ("COMPLETED", Some(1))
    );
    reko.shutdown();
}

#[test]
fn requests_are_checked_and_finished_jobs_go_with_their_group() {
    let tmp = tempfile::tempdir().unwrap();
    let reko = open(tmp.path(), 0);
    let scope = AccessScope::default();
    let dsg = reko
        .create_dataset_group(CreateDatasetGroupRequest { name: "bare".into(), ..Default::default() }, &scope)
        .unwrap()
        .dataset_group_arn;
    let csv = write(&tmp.path().join("erase.csv"), &["USER_ID".into(), "u".into()]);
    let req = CreateDataDeletionJobRequest {
        job_name: "j".into(),
        dataset_group_arn: dsg.clone(),
        data_source: DataSource { data_location: Some(csv.clone()) },
        role_arn: ROLE.into(),
        tags: None,
    };
    // The group is not ACTIVE yet.
    assert!(matches!(
        reko.create_data_deletion_job(req.clone(), &scope),
        Err(ServiceError::Api(ApiError::ResourceInUse(_)))
    ));
    drain(&reko);
    // A key scoped to groups names no local folder.
    let scoped = AccessScope { dataset_groups: Some(vec![dsg.clone()]), ..Default::default() };
    assert!(reko.create_data_deletion_job(req.clone(), &scoped).is_err());
    let missing = CreateDataDeletionJobRequest { dataset_group_arn: format!("{dsg}-none"), ..req.clone() };
    assert!(matches!(
        reko.create_data_deletion_job(missing, &scope),
        Err(ServiceError::Api(ApiError::ResourceNotFound(_)))
    ));
    let job = reko.create_data_deletion_job(req.clone(), &scope).unwrap().data_deletion_job_arn;
    assert!(matches!(
        reko.create_data_deletion_job(req, &scope),
        Err(ServiceError::Api(ApiError::ResourceAlreadyExists(_)))
    ));
    // A pending job holds the group.
    let delete = || reko.delete_dataset_group(DeleteDatasetGroupRequest { dataset_group_arn: dsg.clone() });
    assert!(matches!(delete(), Err(ServiceError::Api(ApiError::ResourceInUse(_)))));
    drain(&reko);
    assert_eq!(describe(&reko, &job).num_deleted, Some(0), "a group without datasets has no such user");
    delete().unwrap();
    drain(&reko);
    assert!(reko.store().get_resource(&job).unwrap().is_none());
    // A CSV without the USER_ID header fails the job with a reason naming the file.
    let dsg2 = reko
        .create_dataset_group(CreateDatasetGroupRequest { name: "bare2".into(), ..Default::default() }, &scope)
        .unwrap()
        .dataset_group_arn;
    drain(&reko);
    let bad = write(&tmp.path().join("bad.csv"), &["USER_ID,ITEM_ID".into(), "u,i".into()]);
    let failed = create_job(&reko, "bad", &dsg2, bad);
    drain(&reko);
    let failed = describe(&reko, &failed);
    assert_eq!(failed.status, "FAILED");
    assert!(failed.failure_reason.unwrap().contains("bad.csv must have a single column, USER_ID"));
    reko.shutdown();
}

#[test]
fn a_batch_loses_the_users_rows_and_the_anonymous_rows_of_their_sessions_only() {
    use reko_dataset::{Column, StrColumn};
    let batch = RecordBatch::new(
        vec![USER_ID.into(), "ITEM_ID".into(), SESSION_ID_COLUMN.into()],
        vec![
            Column::Str(StrColumn::from_options([Some("gone"), None, Some("other"), None, Some("other")])),
            Column::Str(StrColumn::from_options([Some("i1"), Some("i2"), Some("i3"), Some("i4"), Some("i5")])),
            Column::Str(StrColumn::from_options([Some("s1"), Some("s1"), Some("s1"), Some("s2"), None])),
        ],
    )
    .unwrap();
    let users: HashSet<String> = ["gone".to_string(), "absent".to_string()].into();
    let mut sessions = HashSet::new();
    sessions_of(&batch, &users, &mut sessions);
    assert_eq!(sessions, HashSet::from(["s1".to_string()]));
    let mut found = HashSet::new();
    let kept = erase_from_batch(&batch, &users, &sessions, &mut found).expect("rows go");
    let items: Vec<&str> = (0..kept.len()).filter_map(|r| kept.str_value("ITEM_ID", r)).collect();
    // Another user's event in the same session stays; so does another session's anonymous one.
    assert_eq!(items, ["i3", "i4", "i5"]);
    assert_eq!(found, HashSet::from(["gone".to_string()]));
    // Nothing to erase: no rewrite.
    let none: HashSet<String> = ["absent".to_string()].into();
    assert!(erase_from_batch(&batch, &none, &HashSet::new(), &mut found).is_none());
}

#[test]
fn user_lists_need_a_user_id_header() {
    let read = |text: &str| {
        let mut users = HashSet::new();
        read_user_ids(Path::new("u.csv"), text.as_bytes(), &mut users).map(|()| {
            let mut v: Vec<String> = users.into_iter().collect();
            v.sort();
            v
        })
    };
    assert_eq!(read("USER_ID\nb\na\n\nb\n").unwrap(), ["a", "b"]);
    assert_eq!(read("\u{feff}user_id\r\nx\r\n").unwrap(), ["x"]);
    assert!(read("").unwrap_err().to_string().contains("no header row"));
    assert!(read("ITEM_ID\ni\n").unwrap_err().to_string().contains("[ITEM_ID]"));
    assert!(read("USER_ID\na,b\n").unwrap_err().to_string().starts_with("cannot read u.csv"));
}
