//! Headers, rows and values: what is accepted, and errors naming file, line, column and value.

use super::*;

#[test]
fn imports_interactions_with_full_value_check() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "ratings.csv", &interactions_csv(1500));
    let calls = std::sync::Mutex::new(Vec::new());
    let b = import_csv(&[p], &interactions_schema(), DatasetType::Interactions, &|n| calls.lock().unwrap().push(n))
        .unwrap();
    assert_eq!(b.len(), 1500);
    assert_eq!(b.field_names(), vec!["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "DEVICE", "TIMESTAMP"]);
    for i in 0..1500 {
        assert_eq!(b.str_value("USER_ID", i), Some(format!("u{}", i % 97).as_str()));
        assert_eq!(b.str_value("ITEM_ID", i), Some(format!("i{}", i % 13).as_str()));
        assert_eq!(b.str_value("EVENT_TYPE", i), Some(if i % 3 == 0 { "click" } else { "watch" }));
        let ev = b.f64_value("EVENT_VALUE", i);
        if i % 5 == 0 {
            assert_eq!(ev, None);
        } else {
            assert_eq!(ev, Some((i % 7) as f64 + 0.5));
        }
        assert_eq!(b.str_value("DEVICE", i), if i % 4 == 0 { None } else { Some("mobile|tv") });
        assert_eq!(b.i64_value("TIMESTAMP", i), Some(1_600_000_000 + i as i64));
    }
    assert_eq!(calls.lock().unwrap().last(), Some(&1500));
    // round trip through the binary encoding
    assert_eq!(RecordBatch::decode(&b.encode()).unwrap(), b);
}

#[test]
fn too_few_interactions() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "ratings.csv", &interactions_csv(999));
    let e = import_csv(&[p], &interactions_schema(), DatasetType::Interactions, &no_progress()).unwrap_err();
    assert_eq!(e, ImportError::TooFewRecords { found: 999, min: 1000 });
    assert!(e.to_string().contains("at least 1000"), "{e}");
}

#[test]
fn multiple_files_column_order_and_missing_nullable() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(&dir, "a.csv", "ITEM_ID,PRICE\nx,1.25\ny,\n");
    let b = write(&dir, "b.csv", "\u{feff}STOCK,\"ITEM_ID\",ADULT\n3,z,true\n,w,false\n");
    let batch = import_csv(&[a, b], &items_schema(), DatasetType::Items, &no_progress()).unwrap();
    assert_eq!(batch.len(), 4);
    let ids: Vec<_> = (0..4).map(|i| batch.str_value("ITEM_ID", i).unwrap()).collect();
    assert_eq!(ids, vec!["x", "y", "z", "w"]);
    assert_eq!(batch.f64_value("PRICE", 0), Some(1.25));
    assert_eq!(batch.f64_value("PRICE", 1), None);
    assert_eq!(batch.f64_value("PRICE", 2), None);
    assert_eq!(batch.i64_value("STOCK", 0), None);
    assert_eq!(batch.i64_value("STOCK", 2), Some(3));
    assert_eq!(batch.i64_value("STOCK", 3), None);
    assert_eq!(batch.bool_value("ADULT", 2), Some(true));
    assert_eq!(batch.bool_value("ADULT", 3), Some(false));
    assert_eq!(batch.bool_value("ADULT", 0), None);
    assert!(batch.is_null("GENRES", 0) && batch.is_null("DESCRIPTION", 3));
    assert_eq!(batch.column("CREATION_TIMESTAMP").unwrap().null_count(), 4);
}

#[test]
fn header_errors() {
    let e = import_items("PRICE,STOCK\n1,2\n").unwrap_err().to_string();
    assert_eq!(e, "items.csv line 1: Input CSV is missing the following columns: [ITEM_ID]");
    let schema = interactions_schema();
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "r.csv", "ITEM_ID,EVENT_TYPE\n");
    let e = import_csv(&[p], &schema, DatasetType::Interactions, &no_progress()).unwrap_err().to_string();
    assert_eq!(e, "r.csv line 1: Input CSV is missing the following columns: [USER_ID, TIMESTAMP]");
    let e = import_items("ITEM_ID,COLOR,SIZE\na,b,c\n").unwrap_err().to_string();
    assert!(e.contains("items.csv line 1") && e.contains("[COLOR, SIZE]"), "{e}");
    // Header names match case-insensitively; ambiguity is an error naming the column.
    let e = import_items("ITEM_ID,item_id\na,b\n").unwrap_err().to_string();
    assert_eq!(
        e,
        "items.csv line 1: the columns 'ITEM_ID' and 'item_id' both name the schema field ITEM_ID (header names match field names case-insensitively)"
    );
    let e = import_items("item_id,Genres,GENRES\na,b,c\n").unwrap_err().to_string();
    assert!(e.contains("'Genres' and 'GENRES' both name the schema field GENRES"), "{e}");
    let e = import_items("Item_Id,PRICE,prices\na,1,2\n").unwrap_err().to_string();
    assert!(e.contains("not in the schema: [prices]"), "{e}");
    let e = import_items("ITEM_ID,ITEM_ID\na,b\n").unwrap_err().to_string();
    assert!(e.contains("more than once"), "{e}");
    let e = import_items("").unwrap_err().to_string();
    assert!(e.contains("items.csv") && e.contains("empty"), "{e}");
}

#[test]
fn row_errors_name_file_line_column_value() {
    assert_eq!(
        value_err("ITEM_ID,CREATION_TIMESTAMP\na,1\nb,17x9\n"),
        "items.csv line 3, column CREATION_TIMESTAMP: '17x9' is not a valid long"
    );
    assert_eq!(
        value_err("ITEM_ID,STOCK\na,1\nb,2\nc,99999999999\n"),
        "items.csv line 4, column STOCK: '99999999999' is not a valid int (out of range)"
    );
    assert_eq!(value_err("ITEM_ID,STOCK\na,1.5\n"), "items.csv line 2, column STOCK: '1.5' is not a valid int");
    assert_eq!(value_err("ITEM_ID,PRICE\na,cheap\n"), "items.csv line 2, column PRICE: 'cheap' is not a valid double");
    assert!(value_err("ITEM_ID,PRICE\na,NaN\n").contains("'NaN' is not a valid double"));
    assert!(value_err("ITEM_ID,PRICE\na,inf\n").contains("column PRICE"));
    assert_eq!(
        value_err("ITEM_ID,ADULT\na,True\n"),
        "items.csv line 2, column ADULT: 'True' is not a valid boolean (use lower-case true or false)"
    );
    assert_eq!(
        value_err("ITEM_ID,PRICE\n,1\n"),
        "items.csv line 2, column ITEM_ID: empty value, but the field is not nullable (type string)"
    );
    assert_eq!(value_err("ITEM_ID,PRICE\na,1\nb,2,3\n"), "items.csv line 3: the row has 3 fields but the header has 2");
    assert_eq!(value_err("ITEM_ID,PRICE\na\n"), "items.csv line 2: the row has 1 fields but the header has 2");
    let long = "x".repeat(1001);
    let e = value_err(&format!("ITEM_ID,GENRES\na,{long}\n"));
    assert!(
        e.starts_with("items.csv line 2, column GENRES: 'xxxx")
            && e.contains("(truncated, 1001 characters in all)")
            && e.contains("1001 characters long; the maximum is 1000"),
        "{e}"
    );
    let ok = "é".repeat(1000); // 1000 chars, 2000 bytes: accepted
    let b = import_items(&format!("ITEM_ID,GENRES\na,{ok}\n")).unwrap();
    assert_eq!(b.str_value("GENRES", 0), Some(ok.as_str()));
    let e = value_err(&format!("ITEM_ID,GENRES\n{},x\n", "i".repeat(257)));
    assert!(e.contains("column ITEM_ID") && e.contains("maximum is 256"), "{e}");
    let e = import_items_bytes(b"ITEM_ID,GENRES\na,\xff\xfe\n").unwrap_err().to_string();
    assert!(e.contains("line 2, column GENRES") && e.contains("not valid UTF-8"), "{e}");
    // line numbers count lines of multi-line quoted fields
    let e = value_err("ITEM_ID,DESCRIPTION,STOCK\na,\"two\nlines\",1\nb,x,zz\n");
    assert!(e.starts_with("items.csv line 4, column STOCK: 'zz'"), "{e}");
}

#[test]
fn categorical_textual_escapes_and_truncation() {
    let b = import_items(
        "ITEM_ID,GENRES,DESCRIPTION\r\n\
         a,Action|Comedy,\"He said \\\"hi\\\" to C:\\\\dir, then left\"\r\n\
         b,,\"plain, \"\"doubled\"\" quotes\"\r\n\
         \r\n\
         c,Drama,\"multi\nline\"\r\n",
    )
    .unwrap();
    assert_eq!(b.len(), 3);
    assert_eq!(b.str_value("GENRES", 0), Some("Action|Comedy"));
    assert_eq!(b.str_value("DESCRIPTION", 0), Some("He said \"hi\" to C:\\dir, then left"));
    assert_eq!(b.str_value("GENRES", 1), None);
    assert_eq!(b.str_value("DESCRIPTION", 1), Some("plain, \"doubled\" quotes"));
    assert_eq!(b.str_value("DESCRIPTION", 2), Some("multi\nline"));
    let long = "ü".repeat(MAX_TEXTUAL_CHARS + 10);
    let b = import_items(&format!("ITEM_ID,DESCRIPTION\na,\"{long}\"\n")).unwrap();
    let d = b.str_value("DESCRIPTION", 0).unwrap();
    assert_eq!(d.chars().count(), MAX_TEXTUAL_CHARS);
}

#[test]
fn action_interactions_event_types() {
    let schema = parse_schema(
        r#"{"type":"record","name":"ActionInteractions","fields":[
        {"name":"USER_ID","type":"string"},{"name":"ACTION_ID","type":"string"},
        {"name":"TIMESTAMP","type":"long"},{"name":"EVENT_TYPE","type":"string"}]}"#,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "ai.csv", "USER_ID,ACTION_ID,TIMESTAMP,EVENT_TYPE\nu,a,1,TAKEN\nu,b,2,VIEWED\n");
    let b = import_csv(&[p], &schema, DatasetType::ActionInteractions, &no_progress()).unwrap();
    assert_eq!(b.len(), 2);
    let p = write(&dir, "bad.csv", "USER_ID,ACTION_ID,TIMESTAMP,EVENT_TYPE\nu,a,1,CLICK\n");
    let e = import_csv(&[p], &schema, DatasetType::ActionInteractions, &no_progress()).unwrap_err().to_string();
    assert!(e.starts_with("bad.csv line 2, column EVENT_TYPE: 'CLICK'"), "{e}");
    // wrong dataset type for the schema
    let p = write(&dir, "x.csv", "USER_ID,ACTION_ID,TIMESTAMP,EVENT_TYPE\n");
    assert!(matches!(
        import_csv(&[p], &schema, DatasetType::Interactions, &no_progress()),
        Err(ImportError::Schema(_))
    ));
}

#[test]
fn parse_i64_edges() {
    assert_eq!(parse_i64(b"0"), Some(0));
    assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
    assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
    assert_eq!(parse_i64(b"9223372036854775808"), None);
    assert_eq!(parse_i64(b"+12"), Some(12));
    assert_eq!(parse_i64(b"-"), None);
    assert_eq!(parse_i64(b"1e3"), None);
    assert_eq!(parse_i64(b""), None);
}
