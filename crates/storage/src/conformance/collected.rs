//! Conformance tests of A/B experiments' counts and event collection's keys and dead letters.

use super::Fixture;
use crate::*;

fn exposure(arm: u32, user: &str, requests: u64, first_seen: f64) -> ExperimentExposure {
    ExperimentExposure { experiment_arn: "e".into(), arm, user_key: user.into(), requests, first_seen }
}

fn conversion(user: &str, event_type: &str, value: f64, at: f64) -> ExperimentConversion {
    ExperimentConversion {
        experiment_arn: "e".into(),
        arm: 1,
        user_key: user.into(),
        event_type: event_type.into(),
        events: 1,
        value_sum: value,
        impressions: 3,
        first_at: at,
    }
}

pub(crate) fn counts_add_up_per_arm_user_and_event_type(f: &impl Fixture) {
    let store = f.open();
    store.add_experiment_exposures(&[exposure(0, "u1", 2, 10.0), exposure(1, "u2", 1, 20.0)]).unwrap();
    store.add_experiment_exposures(&[exposure(0, "u1", 3, 5.0), exposure(1, "u2", 1, 30.0)]).unwrap();
    assert_eq!(store.experiment_exposures("e").unwrap(), [exposure(0, "u1", 5, 5.0), exposure(1, "u2", 2, 20.0)]);
    store.add_experiment_conversions(&[conversion("u2", "click", 1.5, 40.0)]).unwrap();
    store
        .add_experiment_conversions(&[conversion("u2", "click", 2.0, 35.0), conversion("u2", "buy", 9.0, 50.0)])
        .unwrap();
    let got = store.experiment_conversions("e").unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!((got[0].event_type.as_str(), got[0].events, got[0].value_sum), ("buy", 1, 9.0));
    let click = &got[1];
    assert_eq!((click.events, click.value_sum, click.impressions, click.first_at), (2, 3.5, 6, 35.0));
    assert!(store.experiment_exposures("other").unwrap().is_empty());
    store.delete_experiment_data("e").unwrap();
    assert!(store.experiment_exposures("e").unwrap().is_empty());
    assert!(store.experiment_conversions("e").unwrap().is_empty());
}

fn chunk<'a>(ds: &'a str, data: &'a [u8], keys: &'a [String]) -> KeyedChunk<'a> {
    KeyedChunk { chunk: NewChunk { dataset_arn: ds, source: RecordSource::Put, rows: 1, data }, dedupe_keys: keys }
}

pub(crate) fn a_chunk_with_a_seen_key_is_skipped_whole_in_the_same_transaction(f: &impl Fixture) {
    let store = f.open();
    let (a, ab, c) = (vec!["a".to_string()], vec!["a".to_string(), "b".to_string()], vec!["c".to_string()]);
    let out =
        store.append_keyed_records(&[chunk("ds", b"1", &a), chunk("ds", b"2", &ab), chunk("other", b"3", &a)]).unwrap();
    assert!(matches!(out[0], Appended::Stored(_)));
    // Seen by the first chunk of the same call: nothing of the second is stored, not even "b".
    assert_eq!(out[1], Appended::Duplicate(vec!["a".to_string()]));
    // Keys are per dataset.
    assert!(matches!(out[2], Appended::Stored(_)));
    let out = store.append_keyed_records(&[chunk("ds", b"4", &ab), chunk("ds", b"5", &c)]).unwrap();
    assert_eq!(out[0], Appended::Duplicate(vec!["a".to_string()]));
    assert!(matches!(out[1], Appended::Stored(_)));
    let data: Vec<Vec<u8>> = store.read_records("ds").unwrap().into_iter().map(|c| c.data).collect();
    assert_eq!(data, vec![b"1".to_vec(), b"5".to_vec()]);
}

pub(crate) fn pruned_and_deleted_keys_are_forgotten(f: &impl Fixture) {
    let store = f.open();
    let a = vec!["a".to_string()];
    store.append_keyed_records(&[chunk("ds", b"1", &a), chunk("other", b"1", &a)]).unwrap();
    assert_eq!(store.prune_dedupe_keys(0).unwrap(), 0);
    store.delete_records("ds").unwrap();
    assert!(matches!(store.append_keyed_records(&[chunk("ds", b"2", &a)]).unwrap()[0], Appended::Stored(_)));
    assert_eq!(store.prune_dedupe_keys(now_epoch() as i64 + 1).unwrap(), 2);
    assert!(matches!(store.append_keyed_records(&[chunk("other", b"2", &a)]).unwrap()[0], Appended::Stored(_)));
}

pub(crate) fn dead_letters_keep_the_newest(f: &impl Fixture) {
    let store = f.open();
    for i in 0..5 {
        let letter = DeadLetter {
            id: 0,
            at: i as f64,
            source: "web".into(),
            dataset_group_arn: None,
            reason: "invalid_event".into(),
            detail: format!("event {i}"),
            payload: "{}".into(),
        };
        store.add_dead_letter(&letter, 3).unwrap();
    }
    let details: Vec<String> = store.dead_letters(10).unwrap().into_iter().map(|l| l.detail).collect();
    assert_eq!(details, ["event 4", "event 3", "event 2"]);
    assert_eq!(store.dead_letters(1).unwrap().len(), 1);
}
