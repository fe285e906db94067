//! Header case and lenient numbers: nulls, skipped rows and their report.

use super::*;

#[test]
fn header_names_match_schema_fields_case_insensitively() {
    // as in AWS's sample notebooks: `ITEM_ID,genres,creation_timestamp` for upper-case fields
    let b = import_items("ITEM_ID,genres,Price,creation_timestamp\na,x|y,1.5,100\nb,z,,200\n").unwrap();
    assert_eq!(b.len(), 2);
    assert_eq!(b.str_value("GENRES", 0), Some("x|y"));
    assert_eq!(b.f64_value("PRICE", 0), Some(1.5));
    assert_eq!(b.i64_value("CREATION_TIMESTAMP", 1), Some(200));
    // a required field written in another case is not missing
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("user_id,Item_Id,event_type,timestamp\n");
    for i in 0..1000 {
        csv.push_str(&format!("u{i},i{},click,{}\n", i % 7, 1_600_000_000 + i));
    }
    let p = write(&dir, "lower.csv", &csv);
    let b = import_csv(&[p], &interactions_schema(), DatasetType::Interactions, &no_progress()).unwrap();
    assert_eq!(b.len(), 1000);
    assert_eq!(b.str_value("USER_ID", 999), Some("u999"));
}

#[test]
fn lenient_numbers_null_or_skip_and_report() {
    let dir = tempfile::tempdir().unwrap();
    // MovieLens-like: a nullable int YEAR with gaps and junk, a non-nullable long.
    let schema = parse_schema(
        r#"{"type":"record","name":"Items","fields":[
        {"name":"ITEM_ID","type":"string"},{"name":"YEAR","type":["null","int"]},
        {"name":"SCORE","type":["null","double"]},{"name":"CREATION_TIMESTAMP","type":"long"}]}"#,
    )
    .unwrap();
    let content = "ITEM_ID,YEAR,SCORE,CREATION_TIMESTAMP\n\
        a,1995,1.5,10\n\
        b,,2.5,20\n\
        c,(no year),x,30\n\
        d,1999,,\n\
        e,2001,3.5,n/a\n\
        f,99999999999,4.5,60\n";
    let p = write(&dir, "movies.csv", content);
    let report = streamed_report(&p, &schema, &ImportOptions::default());
    assert_eq!(report.rows, 4, "d and e skipped: {report:?}");
    // b's empty YEAR is an ordinary null; c's YEAR and SCORE and f's out-of-range YEAR are coerced
    assert_eq!((report.nulled_values, report.skipped_rows), (3, 2));
    let shown: Vec<String> = report.issues.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "movies.csv line 4, column YEAR: '(no year)' set to null",
            "movies.csv line 4, column SCORE: 'x' set to null",
            "movies.csv line 5, column CREATION_TIMESTAMP: '' row skipped",
            "movies.csv line 6, column CREATION_TIMESTAMP: 'n/a' row skipped",
            "movies.csv line 7, column YEAR: '99999999999' set to null",
        ]
    );
    let summary = report.coercions().unwrap();
    assert!(summary.starts_with("3 non-numeric values set to null, 2 rows skipped for an empty or non-numeric value in a non-nullable numeric field (movies.csv line 4, column YEAR: '(no year)' set to null; "), "{summary}");
    assert!(!summary.ends_with("; ...)"), "all five are shown: {summary}");
    // the batch: skipped rows leave nothing behind, coerced values are null
    let b = import_csv(std::slice::from_ref(&p), &schema, DatasetType::Items, &no_progress()).unwrap();
    let ids: Vec<_> = (0..b.len()).map(|i| b.str_value("ITEM_ID", i).unwrap()).collect();
    assert_eq!(ids, ["a", "b", "c", "f"]);
    let years: Vec<_> = (0..b.len()).map(|i| b.i64_value("YEAR", i)).collect();
    assert_eq!(years, [Some(1995), None, None, None]);
    let ts: Vec<_> = (0..b.len()).map(|i| b.i64_value("CREATION_TIMESTAMP", i)).collect();
    assert_eq!(ts, [Some(10), Some(20), Some(30), Some(60)]);
    assert_eq!(b.f64_value("SCORE", 2), None);
    // strict: the first bad value fails the import, naming it
    let e = import_csv_with_options(std::slice::from_ref(&p), &schema, DatasetType::Items, &no_progress(), &strict())
        .unwrap_err();
    assert_eq!(e.to_string(), "movies.csv line 4, column YEAR: '(no year)' is not a valid int");
    // a clean file reports nothing
    let clean = write(&dir, "clean.csv", "ITEM_ID,YEAR,SCORE,CREATION_TIMESTAMP\na,1,,2\n");
    assert_eq!(streamed_report(&clean, &schema, &ImportOptions::default()).coercions(), None);
    // other values are still errors when lenient
    let bad = write(&dir, "bad.csv", "ITEM_ID,YEAR,SCORE,CREATION_TIMESTAMP\n,1,,2\n");
    let e = import_csv(&[bad], &schema, DatasetType::Items, &no_progress()).unwrap_err();
    assert!(e.to_string().contains("column ITEM_ID: empty value"), "{e}");
}

#[test]
fn lenient_report_keeps_the_first_issues_in_file_order_and_the_minimum_counts_kept_rows() {
    let dir = tempfile::tempdir().unwrap();
    let schema = five_col_schema();
    // 1003 interactions, 4 with a bad TIMESTAMP spread over the file: 999 kept < 1000
    let mut csv = String::from("USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP\n");
    let bad_rows = [10usize, 400, 700, 1000];
    for i in 0..1003 {
        let ts = if bad_rows.contains(&i) { "soon".to_string() } else { (1_600_000_000 + i).to_string() };
        let value = if i % 100 == 1 { "lots" } else { "1.0" };
        csv.push_str(&format!("u{},i{},click,{value},{ts}\n", i % 50, i % 30));
    }
    let p = write(&dir, "few.csv", &csv);
    for opts in [
        ImportOptions { parallel: false, ..Default::default() },
        ImportOptions { parallel: true, min_chunk_bytes: 200, block_bytes: 1000, ..Default::default() },
    ] {
        let e = import_csv_with_options(
            std::slice::from_ref(&p),
            &schema,
            DatasetType::Interactions,
            &no_progress(),
            &opts,
        )
        .unwrap_err();
        assert_eq!(e, ImportError::TooFewRecords { found: 999, min: MIN_INTERACTIONS_RECORDS });
    }
    // one more good row: 1000 kept, accepted; the report lists the first five issues by line
    csv.push_str("u1,i1,click,1.0,1600009999\n");
    let p = write(&dir, "enough.csv", &csv);
    let whole = streamed_report(&p, &schema, &ImportOptions { parallel: false, ..Default::default() });
    assert_eq!(whole.rows, 1000);
    assert_eq!((whole.nulled_values, whole.skipped_rows), (11, 4));
    let lines: Vec<u64> = whole.issues.iter().map(|i| i.line).collect();
    assert_eq!(lines, [3, 12, 103, 203, 303]);
    assert!(whole.coercions().unwrap().ends_with("; ...)"));
    let par = ImportOptions { parallel: true, min_chunk_bytes: 200, block_bytes: 1000, ..Default::default() };
    assert_eq!(streamed_report(&p, &schema, &par), whole);
}

#[test]
fn columns_naming_no_field_are_ignored_and_reported() {
    // As AWS's samples write them (`df.to_csv(path)`: a pandas index column with an empty name first),
    // and with a column the schema leaves out (PROMOTED): Personalize imports such files.
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "items.csv", ",ITEM_ID,PROMOTED,GENRES,PRICE\n0,a,Y,x|y,1.5\n1,b,,z,\n2,\"c\",N,,2\n");
    let report = streamed_report(&p, &items_schema(), &ImportOptions::default());
    assert_eq!(report.rows, 3);
    let shown: Vec<String> = report.ignored_columns.iter().map(ToString::to_string).collect();
    assert_eq!(shown, ["items.csv column 1 ''", "items.csv column 3 'PROMOTED'"]);
    assert_eq!(
        report.coercions().as_deref(),
        Some("2 columns not in the schema ignored (items.csv column 1 ''; items.csv column 3 'PROMOTED')")
    );
    let b = import_csv(std::slice::from_ref(&p), &items_schema(), DatasetType::Items, &no_progress()).unwrap();
    let ids: Vec<_> = (0..b.len()).map(|i| b.str_value("ITEM_ID", i).unwrap()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(b.str_value("GENRES", 0), Some("x|y"));
    assert_eq!(b.f64_value("PRICE", 0), Some(1.5));
    assert_eq!(b.f64_value("PRICE", 2), Some(2.0));
    assert!(b.is_null("PRICE", 1) && b.is_null("GENRES", 2));
    // the rows must still have as many values as the header has columns
    let short = write(&dir, "short.csv", ",ITEM_ID,GENRES\n0,a\n");
    let e = import_csv(&[short], &items_schema(), DatasetType::Items, &no_progress()).unwrap_err();
    assert!(e.to_string().starts_with("short.csv line 2"), "{e}");
    // with the value coercions, both are reported
    let mixed = write(&dir, "mixed.csv", "ITEM_ID,EXTRA,STOCK\na,1,n/a\n");
    let summary = streamed_report(&mixed, &items_schema(), &ImportOptions::default()).coercions().unwrap();
    assert!(summary.starts_with("1 non-numeric value set to null (mixed.csv line 2, column STOCK: 'n/a' set to null), 1 column not in the schema ignored (mixed.csv column 2 'EXTRA')"), "{summary}");
    // strict: refused, naming the columns as written
    let e = import_csv_with_options(&[p], &items_schema(), DatasetType::Items, &no_progress(), &strict()).unwrap_err();
    assert_eq!(e.to_string(), "items.csv line 1: Input CSV has columns that are not in the schema: ['', PROMOTED]");
}
