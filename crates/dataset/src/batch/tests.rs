use super::*;
use proptest::prelude::*;

fn sample() -> RecordBatch {
    RecordBatch::new(
        vec!["S".into(), "I".into(), "L".into(), "F".into(), "D".into(), "B".into()],
        vec![
            Column::Str(StrColumn::from_options([Some("a"), None, Some("héllo|x"), Some("")])),
            Column::Int(vec![1, 0, -3, i32::MAX], Validity::from_flags(vec![true, false, true, true])),
            Column::Long(vec![i64::MIN, 2, 3, 4], Validity::all_valid()),
            Column::Float(vec![1.5, 0.0, -2.25, 3.0], Validity::from_flags(vec![true, false, true, true])),
            Column::Double(vec![0.1, 0.2, 0.3, 1e300], Validity::all_valid()),
            Column::Bool(vec![true, false, false, true], Validity::from_flags(vec![true, true, false, true])),
        ],
    )
    .unwrap()
}

#[test]
fn accessors() {
    let b = sample();
    assert_eq!(b.len(), 4);
    assert_eq!(b.field_names(), vec!["S", "I", "L", "F", "D", "B"]);
    assert_eq!(b.str_value("S", 0), Some("a"));
    assert_eq!(b.str_value("S", 1), None);
    assert_eq!(b.str_value("S", 2), Some("héllo|x"));
    assert_eq!(b.str_value("S", 3), Some(""));
    assert_eq!(b.str_value("S", 4), None);
    assert_eq!(b.i64_value("I", 0), Some(1));
    assert_eq!(b.i64_value("I", 1), None);
    assert_eq!(b.i64_value("L", 0), Some(i64::MIN));
    assert_eq!(b.f64_value("F", 2), Some(-2.25));
    assert_eq!(b.f64_value("F", 1), None);
    assert_eq!(b.f64_value("I", 2), Some(-3.0));
    assert_eq!(b.f64_value("L", 1), Some(2.0));
    assert_eq!(b.f64_value("D", 3), Some(1e300));
    assert_eq!(b.bool_value("B", 0), Some(true));
    assert_eq!(b.bool_value("B", 2), None);
    assert!(b.is_null("B", 2));
    assert!(b.is_null("nope", 0));
    assert_eq!(b.column("S").unwrap().null_count(), 1);
    assert_eq!(b.column("L").unwrap().field_type(), FieldType::Long);
    assert!(b.column("X").is_none());
}

#[test]
fn new_validates() {
    assert!(RecordBatch::new(
        vec!["a".into(), "b".into()],
        vec![Column::Long(vec![1], Validity::all_valid()), Column::Long(vec![], Validity::all_valid())]
    )
    .is_err());
    assert!(RecordBatch::new(
        vec!["a".into(), "a".into()],
        vec![Column::Long(vec![1], Validity::all_valid()), Column::Long(vec![1], Validity::all_valid())]
    )
    .is_err());
    assert!(RecordBatch::new(vec!["a".into()], vec![Column::Long(vec![1], Validity::from_flags(vec![false, true]))])
        .is_err());
}

#[test]
fn round_trip() {
    let b = sample();
    let enc = b.encode();
    assert_eq!(&enc[..4], b"RKOB");
    assert_eq!(RecordBatch::decode(&enc).unwrap(), b);
    let e = RecordBatch::empty(&crate::schema::Schema {
        name: "Items".into(),
        namespace: None,
        fields: vec![crate::schema::Field::new("ITEM_ID", FieldType::String)],
    });
    assert_eq!(RecordBatch::decode(&e.encode()).unwrap(), e);
}

#[test]
fn corrupt_inputs_fail_cleanly() {
    let enc = sample().encode();
    for n in 0..enc.len() {
        assert!(RecordBatch::decode(&enc[..n]).is_err(), "prefix {n}");
    }
    let mut extra = enc.clone();
    extra.push(0);
    assert!(RecordBatch::decode(&extra).is_err());
    let mut bad = enc.clone();
    bad[0] = b'X';
    assert!(RecordBatch::decode(&bad).is_err());
    let mut bad = enc.clone();
    bad[4] = 9;
    assert!(RecordBatch::decode(&bad).is_err());
    // huge row count must not allocate
    let mut bad = enc.clone();
    bad[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(RecordBatch::decode(&bad).is_err());
    let mut bad = enc.clone();
    bad[8..16].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert!(RecordBatch::decode(&bad).is_err());
    let mut bad = enc.clone();
    bad[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(RecordBatch::decode(&bad).is_err());
    // flip every byte: never panics
    for i in 0..enc.len() {
        for x in [0x01u8, 0x80, 0xff] {
            let mut b = enc.clone();
            b[i] ^= x;
            let _ = RecordBatch::decode(&b);
        }
    }
}

#[test]
fn concat_split_slice() {
    let b = sample();
    let parts = b.split(3);
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].len(), 3);
    assert_eq!(parts[1].len(), 1);
    assert_eq!(parts[1].str_value("S", 0), Some(""));
    assert_eq!(RecordBatch::concat(&parts).unwrap(), b);
    let singles = b.split(0);
    assert_eq!(singles.len(), 4);
    assert_eq!(RecordBatch::concat(&singles).unwrap(), b);
    assert_eq!(b.split(100), vec![b.clone()]);
    assert_eq!(RecordBatch::concat(std::slice::from_ref(&b)).unwrap(), b);
    assert!(RecordBatch::concat(&[]).is_err());
    let other = RecordBatch::new(vec!["S".into()], vec![Column::Long(vec![], Validity::all_valid())]).unwrap();
    assert!(RecordBatch::concat(&[b.clone(), other]).is_err());
    let s = b.slice(1, 3);
    assert_eq!(s.len(), 2);
    assert_eq!(s.str_value("S", 0), None);
    assert_eq!(s.str_value("S", 1), Some("héllo|x"));
    assert_eq!(b.slice(3, 100).len(), 1);
}

fn arb_validity(n: usize) -> impl Strategy<Value = Validity> {
    prop_oneof![Just(Validity::all_valid()), prop::collection::vec(any::<bool>(), n).prop_map(Validity::from_flags),]
}

fn arb_column(n: usize) -> BoxedStrategy<Column> {
    prop_oneof![
        prop::collection::vec(prop::option::of(".{0,8}"), n).prop_map(|v| Column::Str(StrColumn::from_options(v))),
        (prop::collection::vec(any::<i32>(), n), arb_validity(n)).prop_map(|(v, m)| Column::Int(v, m)),
        (prop::collection::vec(any::<i64>(), n), arb_validity(n)).prop_map(|(v, m)| Column::Long(v, m)),
        (prop::collection::vec(-1e30f32..1e30f32, n), arb_validity(n)).prop_map(|(v, m)| Column::Float(v, m)),
        (prop::collection::vec(-1e300f64..1e300f64, n), arb_validity(n)).prop_map(|(v, m)| Column::Double(v, m)),
        (prop::collection::vec(any::<bool>(), n), arb_validity(n)).prop_map(|(v, m)| Column::Bool(v, m)),
    ]
    .boxed()
}

fn arb_batch() -> impl Strategy<Value = RecordBatch> {
    (0usize..40, 0usize..6).prop_flat_map(|(rows, ncols)| {
        prop::collection::vec(arb_column(rows), ncols).prop_map(|cols| {
            let names = (0..cols.len()).map(|i| format!("C{i}")).collect();
            RecordBatch::new(names, cols).unwrap()
        })
    })
}

proptest! {
    #[test]
    fn prop_round_trip(b in arb_batch()) {
        let enc = b.encode();
        prop_assert_eq!(RecordBatch::decode(&enc).unwrap(), b.clone());
        let parts = b.split(7);
        prop_assert_eq!(RecordBatch::concat(&parts).unwrap(), b);
    }

    #[test]
    fn prop_decode_garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = RecordBatch::decode(&bytes);
        let mut with_magic = b"RKOB\x01\x00\x00\x00".to_vec();
        with_magic.extend_from_slice(&bytes);
        let _ = RecordBatch::decode(&with_magic);
    }
}

#[test]
fn filter_rows_keeps_the_flagged_rows_and_nothing_of_the_others() {
    let b = sample();
    let kept = b.filter_rows(&[true, false, false, true]);
    assert_eq!(kept.len(), 2);
    assert_eq!(kept.str_value("S", 0), Some("a"));
    assert_eq!(kept.str_value("S", 1), Some(""));
    assert_eq!(kept.i64_value("I", 1), Some(i32::MAX as i64));
    assert_eq!(kept.i64_value("L", 0), Some(i64::MIN));
    assert_eq!(kept.bool_value("B", 1), Some(true));
    // The dropped row's text is not in the encoded batch.
    let encoded = kept.encode();
    assert!(!encoded.windows(4).any(|w| w == b"llo|"));
    assert_eq!(RecordBatch::decode(&encoded).unwrap(), kept);
    // All, none, and a short mask (rows beyond it dropped).
    assert_eq!(b.filter_rows(&[true; 4]), b);
    assert_eq!(b.filter_rows(&[false; 4]).len(), 0);
    assert_eq!(b.filter_rows(&[]).num_columns(), 6);
    assert_eq!(b.filter_rows(&[true]).len(), 1);
}
