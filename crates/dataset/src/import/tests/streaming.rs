//! Streaming: a block at a time, the same result for any block size, bounded records, failing sinks.

use super::*;

fn open_generated(
    rows: usize,
    delivered: &std::sync::Arc<AtomicU64>,
) -> impl Fn(&Path) -> Result<Box<dyn Read>, String> {
    let delivered = delivered.clone();
    move |_: &Path| Ok(Box::new(Generated::new(rows, delivered.clone())) as Box<dyn Read>)
}

#[test]
fn streaming_reads_a_block_at_a_time_and_emits_batches_as_it_goes() {
    // ~37 bytes a row: 400k rows ≈ 15 MB streamed in 256 KiB blocks.
    let delivered = std::sync::Arc::new(AtomicU64::new(0));
    let open = open_generated(400_000, &delivered);
    let block = 256 << 10;
    let options = ImportOptions { block_bytes: block, min_chunk_bytes: 32 << 10, ..Default::default() };
    let mut watch = Watch { delivered: delivered.clone(), writes: Vec::new() };
    let rows = import_csv_streaming(
        &[PathBuf::from("gen.csv")],
        &five_col_schema(),
        DatasetType::Interactions,
        &no_progress(),
        &options,
        &open,
        &mut watch,
    )
    .unwrap()
    .rows;
    assert_eq!(rows, 400_000);
    assert_eq!(watch.writes.iter().map(|w| w.0 as u64).sum::<u64>(), 400_000);
    let total = delivered.load(Ordering::SeqCst);
    assert!(total > 14_000_000, "{total}");
    // Every batch was handed on when at most two blocks beyond its data had been read: the
    // parser never holds more than a block (plus a carried-over partial record).
    let mut rows_before = 0u64;
    for &(n, delivered_then) in &watch.writes {
        rows_before += n as u64;
        let bytes_of_rows = rows_before * 38; // the longest row is 38 bytes
        assert!(
            delivered_then <= bytes_of_rows + 2 * block as u64 + 100,
            "{delivered_then} bytes read when {rows_before} rows were out"
        );
    }
    assert!(watch.writes.len() > 60, "{} batches", watch.writes.len());
}

#[test]
fn streaming_small_blocks_equal_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let schema = five_col_schema();
    for (name, content) in [
        ("lf.csv", big_interactions(3000)),
        ("crlf.csv", big_interactions(3000).replace('\n', "\r\n")),
        // quotes anywhere: the sequential path, records carried across blocks
        ("quoted.csv", big_interactions(3000).replace("click", "\"cl\"\"ick\"").replace("view", "\"vi\new\"")),
    ] {
        let p = write(&dir, name, &content);
        let whole = import_csv_with_options(
            std::slice::from_ref(&p),
            &schema,
            DatasetType::Interactions,
            &no_progress(),
            &ImportOptions { parallel: false, block_bytes: 1 << 30, ..Default::default() },
        )
        .unwrap();
        assert_eq!(whole.len(), 3000, "{name}");
        for block_bytes in [1, 7, 64, 1000, 4096] {
            for parallel in [false, true] {
                let opts = ImportOptions { parallel, min_chunk_bytes: 100, block_bytes, ..Default::default() };
                let streamed = import_csv_with_options(
                    std::slice::from_ref(&p),
                    &schema,
                    DatasetType::Interactions,
                    &no_progress(),
                    &opts,
                )
                .unwrap();
                assert_eq!(streamed, whole, "{name} in blocks of {block_bytes}");
            }
        }
        // The same error (same line) whatever the block size.
        let bad = content.replacen(",1500002500", ",15x", 1);
        let p = write(&dir, &format!("bad-{name}"), &bad);
        let expected = import_csv_with_options(
            std::slice::from_ref(&p),
            &schema,
            DatasetType::Interactions,
            &no_progress(),
            &strict(),
        )
        .unwrap_err();
        assert!(matches!(expected, ImportError::Value { .. }), "{expected}");
        // Leniently, the row is skipped and reported at the same line whatever the block size.
        let lenient_whole = streamed_report(&p, &schema, &ImportOptions::default());
        assert_eq!(lenient_whole.skipped_rows, 1);
        assert_eq!(
            (lenient_whole.issues[0].line, lenient_whole.issues[0].value.as_str()),
            (expected_line(&expected), "'15x'")
        );
        for block_bytes in [5, 333, 4096] {
            let lenient = ImportOptions { min_chunk_bytes: 100, block_bytes, ..Default::default() };
            assert_eq!(streamed_report(&p, &schema, &lenient), lenient_whole, "{name} in blocks of {block_bytes}");
            let opts = ImportOptions { min_chunk_bytes: 100, block_bytes, ..strict() };
            let e = import_csv_with_options(
                std::slice::from_ref(&p),
                &schema,
                DatasetType::Interactions,
                &no_progress(),
                &opts,
            )
            .unwrap_err();
            assert_eq!(e, expected, "{name} in blocks of {block_bytes}");
        }
    }
}

#[test]
fn a_record_longer_than_the_limit_fails_without_reading_on() {
    let schema = five_col_schema();
    let options = ImportOptions { block_bytes: 1 << 16, max_record_bytes: 1 << 20, ..Default::default() };
    for (start, fill) in [(&b"u,i,click,1,1\nu,i,cl"[..], b'x'), (&b"u,i,click,1,1\nu,\"i"[..], b'\n')] {
        let mut body = b"USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP\n".to_vec();
        body.extend_from_slice(start);
        let open = move |_: &Path| Ok(Box::new(Endless(body.clone(), fill)) as Box<dyn Read>);
        let e = import_csv_streaming(
            &[PathBuf::from("endless.csv")],
            &schema,
            DatasetType::Interactions,
            &no_progress(),
            &options,
            &open,
            &mut Collect(Vec::new()),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "endless.csv line 3: malformed CSV: the record does not end within 1048576 bytes",
            "{e}"
        );
    }
    // An endless header too.
    let open = |_: &Path| Ok(Box::new(Endless(Vec::new(), b'A')) as Box<dyn Read>);
    let e = import_csv_streaming(
        &[PathBuf::from("h.csv")],
        &schema,
        DatasetType::Interactions,
        &no_progress(),
        &options,
        &open,
        &mut Collect(Vec::new()),
    )
    .unwrap_err();
    assert!(e.to_string().contains("h.csv line 1: the header row does not end within"), "{e}");
}

#[test]
fn a_failing_sink_fails_the_import() {
    struct Full;
    impl BatchSink for Full {
        type Encoded = ();
        fn encode(&self, _: RecordBatch) -> Result<(), String> {
            Ok(())
        }
        fn write(&mut self, _: ()) -> Result<(), String> {
            Err("No space left on device".into())
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "r.csv", &interactions_csv(1500));
    let open = |path: &Path| std::fs::File::open(path).map(|f| Box::new(f) as Box<dyn Read>).map_err(|e| e.to_string());
    let e = import_csv_streaming(
        &[p],
        &interactions_schema(),
        DatasetType::Interactions,
        &no_progress(),
        &ImportOptions::default(),
        &open,
        &mut Full,
    )
    .unwrap_err();
    assert_eq!(e, ImportError::Output("r.csv: No space left on device".into()));
}
