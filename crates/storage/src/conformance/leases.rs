//! Task leases: a claim names its owner and lease, a heartbeat renews it, another worker takes
//! over an expired one, and the worker that lost it can no longer write.

use serde_json::json;

use super::{resource, Fixture, LEASE};
use crate::*;

/// Long enough that `now` has moved past a zero lease (the stores keep milliseconds).
fn let_expire() {
    std::thread::sleep(std::time::Duration::from_millis(20));
}

pub(crate) fn a_claimed_task_carries_its_owner_and_lease(f: &impl Fixture) {
    let store = f.open();
    let id = store.enqueue_task(TaskKind::Train, "sv:1").unwrap();
    let queued = &store.list_tasks().unwrap()[0];
    assert_eq!((queued.owner.as_deref(), queued.lease_expires), (None, None));
    let before = now_epoch();
    let claimed = store.claim_task("host-a:1:x", LEASE).unwrap().unwrap();
    assert_eq!((claimed.task.id, claimed.taken_over_from), (id, None));
    let listed = &store.list_tasks().unwrap()[0];
    assert_eq!(listed, &claimed.task);
    assert_eq!(listed.owner.as_deref(), Some("host-a:1:x"));
    let expires = listed.lease_expires.unwrap();
    assert!(expires >= before + 59.0 && expires <= now_epoch() + 61.0, "{expires} is not about now + 60 s");
    // Another worker finds nothing to claim while the lease runs.
    assert!(store.claim_task("host-b:2:y", LEASE).unwrap().is_none());
}

pub(crate) fn an_expired_lease_is_taken_over_counting_an_attempt(f: &impl Fixture) {
    let store = f.open();
    let id = store.enqueue_task(TaskKind::Train, "sv:1").unwrap();
    store.claim_task("a", std::time::Duration::ZERO).unwrap().unwrap();
    let_expire();
    // A process never takes over its own task: it is running in it.
    assert!(store.claim_task("a", LEASE).unwrap().is_none());
    let taken = store.claim_task("b", LEASE).unwrap().unwrap();
    assert_eq!((taken.task.id, taken.task.attempts), (id, 2));
    assert_eq!(taken.taken_over_from.as_deref(), Some("a"));
    assert_eq!((taken.task.state, taken.task.owner.as_deref()), (TaskState::Running, Some("b")));
    // A task running since before leases existed (no owner, no lease) counts as expired too.
    f.execute(
        "INSERT INTO tasks (kind, resource_arn, state, attempts, created, updated)
         VALUES ('activate', 'r:old', 'running', 1, 0, 0)",
    );
    let old = store.claim_task("b", LEASE).unwrap().unwrap();
    assert_eq!((old.task.resource_arn.as_str(), old.task.attempts), ("r:old", 2));
    assert!(old.taken_over_from.is_some());
}

pub(crate) fn a_worker_that_lost_its_task_writes_nothing(f: &impl Fixture) {
    let store = f.open();
    store.insert_resource(&resource("sv:1", "solution-version", "v")).unwrap();
    let id = store.enqueue_task(TaskKind::Train, "sv:1").unwrap();
    store.claim_task("a", std::time::Duration::ZERO).unwrap().unwrap();
    let_expire();
    store.claim_task("b", LEASE).unwrap().unwrap();
    store.report_progress(id, "b", 0.25, "b's epoch").unwrap();
    let lost = |e: StorageError| matches!(&e, StorageError::LeaseLost { id: i, owner } if *i == id && owner == "a");
    assert!(lost(store.report_progress(id, "a", 0.9, "a's epoch").unwrap_err()));
    let a_result = ResourceUpdate {
        arn: "sv:1".into(),
        status: "ACTIVE".into(),
        doc: json!({"by": "a"}),
        expected_status: Some("CREATE PENDING".into()),
    };
    assert!(lost(store.finish_task(id, "a", TaskState::Succeeded, "a done", Some(&a_result)).unwrap_err()));
    assert!(lost(store.requeue_task(id, "a").unwrap_err()));
    let task = &store.list_tasks().unwrap()[0];
    assert_eq!((task.state, task.owner.as_deref()), (TaskState::Running, Some("b")));
    assert_eq!((task.progress, task.detail.as_str()), (0.25, "b's epoch"));
    let record = store.get_resource("sv:1").unwrap().unwrap();
    assert_eq!((record.status.as_str(), &record.doc), ("CREATE PENDING", &json!({"name": "v"})), "a wrote nothing");
    let b_result = ResourceUpdate { doc: json!({"by": "b"}), ..a_result };
    store.finish_task(id, "b", TaskState::Succeeded, "b done", Some(&b_result)).unwrap();
    assert_eq!(store.get_resource("sv:1").unwrap().unwrap().doc, json!({"by": "b"}));
    // An ended task is held by no one: nothing more is written to it.
    assert!(matches!(
        store.finish_task(id, "b", TaskState::Failed, "again", None),
        Err(StorageError::LeaseLost { .. })
    ));
    assert_eq!(store.list_tasks().unwrap()[0].state, TaskState::Succeeded);
}

pub(crate) fn renewed_leases_are_not_taken_over(f: &impl Fixture) {
    let store = f.open();
    for arn in ["r:1", "r:2", "r:3"] {
        store.enqueue_task(TaskKind::Activate, arn).unwrap();
    }
    for owner in ["a", "a", "c"] {
        store.claim_task(owner, LEASE).unwrap().unwrap();
    }
    // Every lease runs out (the owners' heartbeats were late)...
    f.execute("UPDATE tasks SET lease_expires = 1");
    // ...and a's heartbeat comes first.
    assert_eq!(store.renew_leases("a", LEASE).unwrap(), 2, "a's two tasks, not c's");
    let taken = store.claim_task("b", LEASE).unwrap().unwrap();
    assert_eq!((taken.task.resource_arn.as_str(), taken.taken_over_from.as_deref()), ("r:3", Some("c")));
    assert!(store.claim_task("b", LEASE).unwrap().is_none(), "a's renewed tasks stay a's");
    let tasks = store.list_tasks().unwrap();
    assert!(tasks[..2]
        .iter()
        .all(|t| t.owner.as_deref() == Some("a") && t.lease_expires.unwrap() > now_epoch() + 50.0));
    assert_eq!(store.renew_leases("nobody", LEASE).unwrap(), 0);
}
