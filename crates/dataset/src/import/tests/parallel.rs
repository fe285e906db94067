//! Parallel parsing equals sequential parsing, line numbers included.

use super::*;

#[test]
fn parallel_equals_sequential() {
    let dir = tempfile::tempdir().unwrap();
    let content = big_interactions(20_000);
    let p = write(&dir, "big.csv", &content);
    let schema = five_col_schema();
    let seq_opts = ImportOptions { parallel: false, ..strict() };
    let par_opts = ImportOptions { parallel: true, min_chunk_bytes: 1000, ..strict() };
    let seq = import_csv_with_options(
        std::slice::from_ref(&p),
        &schema,
        DatasetType::Interactions,
        &no_progress(),
        &seq_opts,
    )
    .unwrap();
    let max_seen = AtomicU64::new(0);
    let par = import_csv_with_options(
        &[p.clone(), p.clone()],
        &schema,
        DatasetType::Interactions,
        &|n| {
            let prev = max_seen.fetch_max(n, Ordering::SeqCst);
            assert!(n > prev, "progress must increase");
        },
        &par_opts,
    )
    .unwrap();
    assert_eq!(seq.len(), 20_000);
    assert_eq!(par.len(), 40_000);
    assert_eq!(max_seen.load(Ordering::SeqCst), 40_000);
    assert_eq!(par.slice(0, 20_000), seq);
    assert_eq!(par.slice(20_000, 40_000), seq);
    // check a few values exactly
    assert_eq!(seq.str_value("USER_ID", 12_345), Some(format!("user{}", (12_345 * 7919) % 1013).as_str()));
    assert_eq!(seq.i64_value("TIMESTAMP", 19_999), Some(1_500_019_999));

    // errors: same message (same line number) on both paths
    let mut lines: Vec<&str> = content.lines().collect();
    let bad_line_idx = lines.len() - 3000;
    let replaced = lines[bad_line_idx].replace(",15", ",1x5");
    lines[bad_line_idx] = &replaced;
    let bad = lines.join("\n") + "\n";
    let p = write(&dir, "bad.csv", &bad);
    let e1 = import_csv_with_options(
        std::slice::from_ref(&p),
        &schema,
        DatasetType::Interactions,
        &no_progress(),
        &seq_opts,
    )
    .unwrap_err();
    let e2 = import_csv_with_options(&[p], &schema, DatasetType::Interactions, &no_progress(), &par_opts).unwrap_err();
    assert_eq!(e1, e2);
    assert_eq!(
        e1.to_string(),
        format!(
            "bad.csv line {}, column TIMESTAMP: '{}' is not a valid long",
            bad_line_idx + 1,
            replaced.rsplit(',').next().unwrap()
        )
    );
    // a field-count error late in the file
    let mut lines: Vec<&str> = content.lines().collect();
    let idx = lines.len() - 2;
    lines[idx] = "a,b";
    let p = write(&dir, "short.csv", &(lines.join("\n") + "\n"));
    let e2 = import_csv_with_options(&[p], &schema, DatasetType::Interactions, &no_progress(), &par_opts).unwrap_err();
    assert_eq!(e2.to_string(), format!("short.csv line {}: the row has 2 fields but the header has 5", idx + 1));
}

#[test]
fn crlf_parallel_equals_sequential() {
    let dir = tempfile::tempdir().unwrap();
    let content = big_interactions(5000).replace('\n', "\r\n");
    let p = write(&dir, "crlf.csv", &content);
    let schema = five_col_schema();
    let seq = import_csv_with_options(
        std::slice::from_ref(&p),
        &schema,
        DatasetType::Interactions,
        &no_progress(),
        &ImportOptions { parallel: false, ..Default::default() },
    )
    .unwrap();
    let par = import_csv_with_options(
        &[p],
        &schema,
        DatasetType::Interactions,
        &no_progress(),
        &ImportOptions { parallel: true, min_chunk_bytes: 500, ..Default::default() },
    )
    .unwrap();
    assert_eq!(seq, par);
    assert_eq!(seq.len(), 5000);
}

#[test]
fn crlf_and_leading_blank_lines_keep_line_numbers() {
    assert_eq!(
        value_err("ITEM_ID,PRICE\r\na,1\r\nb,x\r\n"),
        "items.csv line 3, column PRICE: 'x' is not a valid double"
    );
    assert_eq!(value_err("\nITEM_ID,PRICE\n\na,1\nb,x\n"), "items.csv line 5, column PRICE: 'x' is not a valid double");
    assert_eq!(
        value_err("\r\nPRICE\r\n1\r\n"),
        "items.csv line 2: Input CSV is missing the following columns: [ITEM_ID]"
    );
}
