//! The store conformance suite: every test here runs against each backend (SQLite in
//! `sqlite/tests.rs`, PostgreSQL in `postgres/tests.rs`) through [`conformance_suite!`], so the
//! two keep the same semantics. A backend provides a [`Fixture`]: a database a test may open
//! stores on (again and again: a restart) and plant rows in.

use serde_json::json;

use crate::*;

mod collected;
mod leases;
mod records;

/// A backend's database for one test.
pub(crate) trait Fixture: Sync {
    /// A store on the fixture's database; each call opens it anew (as a restarted server does).
    fn open(&self) -> Box<dyn Store>;
    /// Runs SQL directly on the database (a row this version would never write).
    fn execute(&self, sql: &str);
    /// The first column of a query's rows, as text.
    fn query_strings(&self, sql: &str) -> Vec<String>;
}

/// Instantiates every conformance test for a backend: `$fixture` is an expression giving an
/// `Option<impl Fixture>` (`None`: the backend is not reachable here, the test is skipped).
macro_rules! conformance_suite {
    ($fixture:expr) => {
        $crate::conformance::conformance_suite!(@tests $fixture;
            names_are_unique_through_their_arn,
            resources_list_newest_first_and_by_parent,
            optimistic_updates_detect_concurrent_changes,
            tasks_survive_a_restart_and_are_requeued,
            a_claimed_task_is_claimed_once,
            a_claimed_task_carries_its_owner_and_lease,
            an_expired_lease_is_taken_over_counting_an_attempt,
            a_worker_that_lost_its_task_writes_nothing,
            renewed_leases_are_not_taken_over,
            task_kinds_are_stored_as_strings,
            usage_windows_add_up_and_are_pruned,
            due_work_is_kept_moved_only_from_the_time_expected_and_dropped_with_its_resource,
            attribution_values_add_up_per_metric_source_and_window,
            records_after_a_sequence_number_by_source,
            the_newest_chunks_until_enough_rows,
            import_commit_is_atomic_and_full_replaces_bulk_only,
            rewritten_chunks_keep_their_seqs_and_compaction_keeps_the_store_working,
            counts_add_up_per_arm_user_and_event_type,
            a_chunk_with_a_seen_key_is_skipped_whole_in_the_same_transaction,
            pruned_and_deleted_keys_are_forgotten,
            dead_letters_keep_the_newest
        );
    };
    (@tests $fixture:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                if let Some(fixture) = $fixture {
                    $crate::conformance::$name(&fixture);
                }
            }
        )*
    };
}
pub(crate) use conformance_suite;

pub(crate) use collected::*;
pub(crate) use leases::*;
pub(crate) use records::*;

/// A lease no test outlives.
pub(crate) const LEASE: Lease = std::time::Duration::from_secs(60);

pub(crate) fn resource(arn: &str, kind: &str, name: &str) -> ResourceRecord {
    ResourceRecord {
        arn: arn.into(),
        kind: kind.into(),
        name: name.into(),
        unique_name: true,
        parent_arn: None,
        dataset_group_arn: None,
        status: "CREATE PENDING".into(),
        created: now_epoch(),
        doc: json!({"name": name}),
    }
}

pub(crate) fn names_are_unique_through_their_arn(f: &impl Fixture) {
    let store = f.open();
    let acct = |account: &str, name: &str| format!("arn:aws:personalize:us-east-1:{account}:schema/{name}");
    store.insert_resource(&resource(&acct("111111111111", "x"), "schema", "x")).unwrap();
    let err = store.insert_resource(&resource(&acct("111111111111", "x"), "schema", "x")).unwrap_err();
    assert!(matches!(err, StorageError::AlreadyExists { .. }), "{err}");
    // The same name in another account is another resource.
    store.insert_resource(&resource(&acct("222222222222", "x"), "schema", "x")).unwrap();
    assert_eq!(store.list_resources("schema", None).unwrap().len(), 2);
    // A duplicate inserted with its task inserts neither.
    let err = store.insert_resource_with_task(&resource(&acct("111111111111", "x"), "schema", "x"), TaskKind::Activate);
    assert!(matches!(err, Err(StorageError::AlreadyExists { .. })), "{err:?}");
    assert!(store.list_tasks().unwrap().is_empty());
}

pub(crate) fn resources_list_newest_first_and_by_parent(f: &impl Fixture) {
    let store = f.open();
    let at = |arn: &str, parent: Option<&str>, created: f64| ResourceRecord {
        parent_arn: parent.map(Into::into),
        created,
        doc: json!({"arn": arn, "nested": {"b": 1, "a": [true, null]}}),
        ..resource(arn, "dataset", "d")
    };
    store.insert_resource(&at("arn:b", Some("g1"), 10.0)).unwrap();
    store.insert_resource(&at("arn:a", Some("g1"), 10.0)).unwrap();
    store.insert_resource(&at("arn:c", Some("g2"), 20.0)).unwrap();
    store.insert_resource(&resource("arn:s", "schema", "s")).unwrap();
    let arns = |list: Vec<ResourceRecord>| list.into_iter().map(|r| r.arn).collect::<Vec<_>>();
    assert_eq!(arns(store.list_resources("dataset", None).unwrap()), ["arn:c", "arn:a", "arn:b"]);
    assert_eq!(arns(store.list_resources("dataset", Some("g1")).unwrap()), ["arn:a", "arn:b"]);
    assert_eq!(arns(store.children("g2").unwrap()), ["arn:c"]);
    let got = store.get_resource("arn:a").unwrap().unwrap();
    assert_eq!(got, at("arn:a", Some("g1"), 10.0));
    assert_eq!(got.doc.to_string(), r#"{"arn":"arn:a","nested":{"a":[true,null],"b":1}}"#);
    assert!(store.get_resource("arn:none").unwrap().is_none());
    let update = ResourceUpdate { arn: "arn:c".into(), status: "ACTIVE".into(), doc: json!({}), expected_status: None };
    store.update_resource(&update).unwrap();
    let found = store.resources_in_status("dataset", &["ACTIVE", "CREATE PENDING"]).unwrap();
    assert_eq!(
        found.iter().map(|r| r.status.as_str()).collect::<Vec<_>>(),
        ["ACTIVE", "CREATE PENDING", "CREATE PENDING"]
    );
    assert_eq!(arns(store.resources_in_status("dataset", &["ACTIVE"]).unwrap()), ["arn:c"]);
    let missing = ResourceUpdate { arn: "arn:none".into(), ..update };
    assert!(matches!(store.update_resource(&missing), Err(StorageError::NotFound(_))));
}

pub(crate) fn optimistic_updates_detect_concurrent_changes(f: &impl Fixture) {
    let store = f.open();
    store.insert_resource(&resource("r:1", "campaign", "c")).unwrap();
    let update = |status: &str, expected: &str| ResourceUpdate {
        arn: "r:1".into(),
        status: status.into(),
        doc: json!({"status": status}),
        expected_status: Some(expected.into()),
    };
    store.update_resource(&update("CREATE IN_PROGRESS", "CREATE PENDING")).unwrap();
    let err = store.update_resource(&update("ACTIVE", "CREATE PENDING")).unwrap_err();
    assert!(matches!(err, StorageError::Conflict { .. }), "{err}");
    assert_eq!(store.get_resource("r:1").unwrap().unwrap().status, "CREATE IN_PROGRESS");
    // A conflicting update enqueues no task either.
    assert!(store.update_resource_with_task(&update("ACTIVE", "CREATE PENDING"), TaskKind::Deploy).is_err());
    assert!(store.list_tasks().unwrap().is_empty());
    store.update_resource_with_task(&update("ACTIVE", "CREATE IN_PROGRESS"), TaskKind::Deploy).unwrap();
    assert_eq!(store.list_tasks().unwrap()[0].kind, Ok(TaskKind::Deploy));
    store.set_tags("r:1", &[("b".into(), "2".into()), ("a".into(), "1".into())]).unwrap();
    assert_eq!(store.tags("r:1").unwrap(), [("a".to_string(), "1".to_string()), ("b".into(), "2".into())]);
    store.set_tags("r:1", &[("c".into(), "3".into())]).unwrap();
    assert_eq!(store.tags("r:1").unwrap(), [("c".to_string(), "3".to_string())]);
    store.delete_resource("r:1").unwrap();
    assert!(store.tags("r:1").unwrap().is_empty(), "tags go with their resource");
    assert!(store.get_resource("r:1").unwrap().is_none());
}

pub(crate) fn tasks_survive_a_restart_and_are_requeued(f: &impl Fixture) {
    {
        let store = f.open();
        store.enqueue_task(TaskKind::Train, "sv:1").unwrap();
        store.enqueue_task(TaskKind::Import, "job:1").unwrap();
        let t = store.claim_task("w1", LEASE).unwrap().unwrap().task;
        assert_eq!((t.kind, t.state, t.attempts), (Ok(TaskKind::Train), TaskState::Running, 1));
        store.report_progress(t.id, "w1", 0.5, "epoch 1").unwrap();
    }
    let store = f.open();
    let interrupted = store.requeue_interrupted().unwrap();
    assert_eq!(interrupted.len(), 1);
    assert_eq!((interrupted[0].resource_arn.as_str(), interrupted[0].state), ("sv:1", TaskState::Running));
    assert_eq!((interrupted[0].progress, interrupted[0].detail.as_str()), (0.5, "epoch 1"));
    let again = store.claim_task("w2", LEASE).unwrap().unwrap();
    assert_eq!((again.task.resource_arn.as_str(), again.task.attempts), ("sv:1", 2));
    assert_eq!(again.taken_over_from, None, "requeued, not taken over");
    // Requeued because its resource changed: not an interrupted attempt.
    store.requeue_task(again.task.id, "w2").unwrap();
    let again = store.claim_task("w2", LEASE).unwrap().unwrap().task;
    assert_eq!((again.resource_arn.as_str(), again.attempts), ("sv:1", 2));
    store.finish_task(again.id, "w2", TaskState::Succeeded, "done", None).unwrap();
    let next = store.claim_task("w2", LEASE).unwrap().unwrap().task;
    assert_eq!(next.kind, Ok(TaskKind::Import));
    store.finish_task(next.id, "w2", TaskState::Failed, "broken", None).unwrap();
    assert!(store.claim_task("w2", LEASE).unwrap().is_none());
    let all = store.list_tasks().unwrap();
    assert_eq!((all[0].state, all[0].progress, all[0].detail.as_str()), (TaskState::Succeeded, 1.0, "done"));
    assert_eq!((all[1].state, all[1].progress, all[1].detail.as_str()), (TaskState::Failed, 0.0, "broken"));
    // A finished task keeps who ran it, and holds no lease.
    assert_eq!((all[0].owner.as_deref(), all[0].lease_expires), (Some("w2"), None));
}

/// Workers claiming from one store at once (several connections, for a backend with a pool)
/// never claim the same task.
pub(crate) fn a_claimed_task_is_claimed_once(f: &impl Fixture) {
    let store = f.open();
    let store = store.as_ref();
    for i in 0..40 {
        store.enqueue_task(TaskKind::Activate, &format!("r:{i}")).unwrap();
    }
    let claimed: Vec<i64> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|w| {
                s.spawn(move || {
                    let owner = format!("w{w}");
                    std::iter::from_fn(|| store.claim_task(&owner, LEASE).unwrap())
                        .map(|c| c.task.id)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    let mut sorted = claimed.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!((claimed.len(), sorted.len()), (40, 40));
    assert!(store.list_tasks().unwrap().iter().all(|t| t.state == TaskState::Running && t.attempts == 1));
}

/// Task kinds are stored as their fixed strings; a kind this version does not know (a queue
/// written by another version) is still listed and claimed, with its stored string.
pub(crate) fn task_kinds_are_stored_as_strings(f: &impl Fixture) {
    let store = f.open();
    for kind in TaskKind::ALL {
        store.enqueue_task(kind, "r:1").unwrap();
    }
    f.execute(
        "INSERT INTO tasks (kind, resource_arn, state, created, updated) VALUES ('retrain', 'r:2', 'queued', 0, 0)",
    );
    assert_eq!(
        f.query_strings("SELECT kind FROM tasks ORDER BY id"),
        [
            "activate",
            "dataset-import",
            "solution-version-training",
            "campaign-deployment",
            "delete",
            "batch-inference",
            "batch-segment",
            "dataset-export",
            "dataset-update",
            "data-deletion",
            "solution-update",
            "recommender",
            "retrain"
        ]
    );
    let tasks = store.list_tasks().unwrap();
    assert_eq!(tasks[0].kind, Ok(TaskKind::Activate));
    let unknown = tasks.last().unwrap();
    assert_eq!(unknown.kind, Err(crate::UnknownTaskKind("retrain".into())));
    assert_eq!((unknown.kind_str(), unknown.known_kind()), ("retrain", None));
}

pub(crate) fn window(campaign: &str, start: i64, requests: u64, errors: u64, tps: i64) -> UsageWindow {
    UsageWindow {
        campaign_arn: campaign.into(),
        dataset_group_arn: Some("g".into()),
        window_start: start,
        requests,
        errors,
        min_provisioned_tps: tps,
    }
}

pub(crate) fn usage_windows_add_up_and_are_pruned(f: &impl Fixture) {
    {
        let store = f.open();
        store.add_usage(&[window("c1", 600, 10, 1, 1), window("c2", 600, 0, 0, 2)], 0).unwrap();
        // The same window flushed again (a shutdown, then the restart): counts add up, the
        // larger minProvisionedTPS stays.
        store.add_usage(&[window("c1", 600, 5, 2, 3), window("c1", 900, 7, 0, 1)], 0).unwrap();
    }
    let store = f.open();
    assert_eq!(
        store.usage_windows(0).unwrap(),
        [window("c1", 600, 15, 3, 3), window("c1", 900, 7, 0, 1), window("c2", 600, 0, 0, 2)]
    );
    assert_eq!(store.usage_windows(900).unwrap(), [window("c1", 900, 7, 0, 1)]);
    // Retention: windows that started before the limit go, at the next flush.
    store.add_usage(&[], 900).unwrap();
    assert_eq!(store.usage_windows(0).unwrap(), [window("c1", 900, 7, 0, 1)]);
}

pub(crate) fn due_work_is_kept_moved_only_from_the_time_expected_and_dropped_with_its_resource(f: &impl Fixture) {
    {
        let store = f.open();
        store.insert_resource(&resource("arn:s1", "solution", "s1")).unwrap();
        store.set_due("arn:s1", "auto-training", 100.0).unwrap();
        store.set_due("arn:s2", "auto-training", 50.0).unwrap();
        store.set_due("arn:s3", "auto-training", 500.0).unwrap();
    }
    // A restart keeps the schedule.
    let store = f.open();
    let due: Vec<_> = store.due_work(200.0).unwrap().into_iter().map(|w| (w.resource_arn, w.due_at)).collect();
    assert_eq!(due, [("arn:s2".to_string(), 50.0), ("arn:s1".to_string(), 100.0)]);
    // Rescheduled meanwhile: the stale advance writes nothing.
    store.set_due("arn:s1", "auto-training", 150.0).unwrap();
    assert!(!store.advance_due("arn:s1", "auto-training", 100.0, Some(300.0)).unwrap());
    assert_eq!(store.due_at("arn:s1", "auto-training").unwrap(), Some(150.0));
    assert!(store.advance_due("arn:s1", "auto-training", 150.0, Some(300.0)).unwrap());
    assert_eq!(store.due_at("arn:s1", "auto-training").unwrap(), Some(300.0));
    assert!(store.advance_due("arn:s2", "auto-training", 50.0, None).unwrap());
    assert_eq!(store.due_at("arn:s2", "auto-training").unwrap(), None);
    store.clear_due("arn:s3", "auto-training").unwrap();
    assert_eq!(store.due_at("arn:s3", "auto-training").unwrap(), None);
    store.delete_resource("arn:s1").unwrap();
    assert_eq!(store.due_at("arn:s1", "auto-training").unwrap(), None);
    assert!(store.due_work(f64::MAX).unwrap().is_empty());
}

pub(crate) fn attribution_values_add_up_per_metric_source_and_window(f: &impl Fixture) {
    let value = |metric: &str, source: &str, window_start: i64, value: f64| AttributionValue {
        metric_attribution_arn: "ma".into(),
        metric_name: metric.into(),
        source: source.into(),
        window_start,
        value,
        events: 1,
    };
    let store = f.open();
    store.add_attribution_values(&[value("A", "s1", 0, 1.5), value("A", "s2", 0, 2.0)]).unwrap();
    store.add_attribution_values(&[value("A", "s1", 0, 0.5), value("A", "s1", 900, 4.0)]).unwrap();
    let got: Vec<(String, String, i64, f64, u64)> = store
        .attribution_values("ma")
        .unwrap()
        .into_iter()
        .map(|v| (v.metric_name, v.source, v.window_start, v.value, v.events))
        .collect();
    assert_eq!(
        got,
        [
            ("A".into(), "s1".into(), 0, 2.0, 2),
            ("A".into(), "s2".into(), 0, 2.0, 1),
            ("A".into(), "s1".into(), 900, 4.0, 1)
        ]
    );
    assert_eq!(store.attribution_sources("ma").unwrap(), ["s1", "s2"]);
    store.delete_attribution_values("ma").unwrap();
    assert!(store.attribution_values("ma").unwrap().is_empty());
}
