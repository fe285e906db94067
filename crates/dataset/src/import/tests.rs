use super::*;
use crate::schema::{parse_schema, Field};
use proptest::prelude::*;
use std::io::Write;

fn interactions_schema() -> Schema {
    parse_schema(
        r#"{"type":"record","name":"Interactions","fields":[
        {"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},
        {"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]},
        {"name":"DEVICE","type":["null","string"],"categorical":true},
        {"name":"TIMESTAMP","type":"long"}]}"#,
    )
    .unwrap()
}

fn items_schema() -> Schema {
    Schema {
        name: "Items".into(),
        namespace: None,
        fields: vec![
            Field::new("ITEM_ID", FieldType::String),
            Field::new("GENRES", FieldType::String).categorical().nullable(),
            Field::new("DESCRIPTION", FieldType::String).textual().nullable(),
            Field::new("PRICE", FieldType::Double).nullable(),
            Field::new("STOCK", FieldType::Int).nullable(),
            Field::new("ADULT", FieldType::Boolean).nullable(),
            Field::new("CREATION_TIMESTAMP", FieldType::Long).nullable(),
        ],
    }
}

fn write(dir: &tempfile::TempDir, name: &str, content: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::File::create(&p).unwrap().write_all(content.as_bytes()).unwrap();
    p
}

fn no_progress() -> impl Fn(u64) + Sync {
    |_| {}
}

/// Strict: the first value that is not valid fails the import.
fn strict() -> ImportOptions {
    ImportOptions { strict_numbers: true, ..Default::default() }
}

fn import_items(content: &str) -> Result<RecordBatch, ImportError> {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "items.csv", content);
    import_csv_with_options(&[p], &items_schema(), DatasetType::Items, &no_progress(), &strict())
}

fn interactions_csv(rows: usize) -> String {
    let mut s = String::from("USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,DEVICE,TIMESTAMP\n");
    for i in 0..rows {
        s.push_str(&format!(
            "u{},i{},{},{},{},{}\n",
            i % 97,
            i % 13,
            if i % 3 == 0 { "click" } else { "watch" },
            if i % 5 == 0 { String::new() } else { format!("{}.5", i % 7) },
            if i % 4 == 0 { "" } else { "mobile|tv" },
            1_600_000_000 + i as i64
        ));
    }
    s
}

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

fn value_err(content: &str) -> String {
    import_items(content).unwrap_err().to_string()
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

fn import_items_bytes(content: &[u8]) -> Result<RecordBatch, ImportError> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("items.csv");
    std::fs::write(&p, content).unwrap();
    import_csv(&[p], &items_schema(), DatasetType::Items, &no_progress())
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

fn big_interactions(rows: usize) -> String {
    let mut s = String::from("USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP\n");
    for i in 0..rows {
        if i % 1000 == 500 {
            s.push('\n'); // blank line
        }
        s.push_str(&format!(
            "user{},item{},{},{},{}\n",
            (i * 7919) % 1013,
            (i * 104_729) % 517,
            ["click", "view", "buy"][i % 3],
            if i % 11 == 0 { String::new() } else { format!("{}", (i % 100) as f32 / 8.0) },
            1_500_000_000 + i
        ));
    }
    s
}

fn five_col_schema() -> Schema {
    parse_schema(
        r#"{"type":"record","name":"Interactions","fields":[
        {"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},
        {"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]},
        {"name":"TIMESTAMP","type":"long"}]}"#,
    )
    .unwrap()
}

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

#[derive(Debug, Clone)]
struct Row {
    id: String,
    genres: Option<String>,
    desc: Option<String>,
    price: Option<f64>,
    stock: Option<i32>,
    adult: Option<bool>,
    ts: Option<i64>,
}

fn arb_row() -> impl Strategy<Value = Row> {
    (
        "[A-Za-z0-9_\\-]{1,20}",
        prop::option::of("[a-zA-Zé ]{1,8}(\\|[a-zA-Z]{1,8}){0,3}"),
        prop::option::of("[ -~éü\\n]{1,40}"),
        prop::option::of(-1e12f64..1e12f64),
        prop::option::of(any::<i32>()),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<i64>()),
    )
        .prop_map(|(id, genres, desc, price, stock, adult, ts)| Row { id, genres, desc, price, stock, adult, ts })
}

fn csv_quote_textual(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn prop_import_round_trips(
        rows in prop::collection::vec(arb_row(), 1..60),
        parallel in any::<bool>(),
        block_bytes in prop::option::of(1usize..400),
    ) {
        // field order in the file differs from the schema
        let mut csv = String::from("CREATION_TIMESTAMP,ADULT,ITEM_ID,STOCK,PRICE,DESCRIPTION,GENRES\n");
        for r in &rows {
            csv.push_str(&format!(
                "{},{},{},{},{},{},{}\n",
                r.ts.map(|v| v.to_string()).unwrap_or_default(),
                r.adult.map(|v| v.to_string()).unwrap_or_default(),
                r.id,
                r.stock.map(|v| v.to_string()).unwrap_or_default(),
                r.price.map(|v| format!("{v:?}")).unwrap_or_default(),
                r.desc.as_deref().map(csv_quote_textual).unwrap_or_default(),
                r.genres.clone().unwrap_or_default(),
            ));
        }
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "items.csv", &csv);
        // Small blocks: records (quoted line breaks included) cross block boundaries.
        let opts = ImportOptions {
            parallel,
            min_chunk_bytes: 64,
            block_bytes: block_bytes.unwrap_or(DEFAULT_BLOCK_BYTES),
            ..Default::default()
        };
        let b = import_csv_with_options(&[p], &items_schema(), DatasetType::Items, &no_progress(), &opts).unwrap();
        prop_assert_eq!(b.len(), rows.len());
        for (i, r) in rows.iter().enumerate() {
            prop_assert_eq!(b.str_value("ITEM_ID", i), Some(r.id.as_str()));
            prop_assert_eq!(b.str_value("GENRES", i), r.genres.as_deref());
            prop_assert_eq!(b.str_value("DESCRIPTION", i), r.desc.as_deref());
            prop_assert_eq!(b.f64_value("PRICE", i), r.price);
            prop_assert_eq!(b.i64_value("STOCK", i), r.stock.map(|v| v as i64));
            prop_assert_eq!(b.bool_value("ADULT", i), r.adult);
            prop_assert_eq!(b.i64_value("CREATION_TIMESTAMP", i), r.ts);
        }
        prop_assert_eq!(RecordBatch::decode(&b.encode()).unwrap(), b);
    }
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

/// A CSV of `rows` interaction rows produced on the fly (never whole in memory), counting the
/// bytes handed out.
struct Generated {
    header: Vec<u8>,
    row: usize,
    rows: usize,
    pending: Vec<u8>,
    delivered: std::sync::Arc<AtomicU64>,
}

impl Generated {
    fn new(rows: usize, delivered: std::sync::Arc<AtomicU64>) -> Generated {
        Generated {
            header: b"USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP\n".to_vec(),
            row: 0,
            rows,
            pending: Vec::new(),
            delivered,
        }
    }
}

impl std::io::Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if !self.header.is_empty() {
            self.pending = std::mem::take(&mut self.header);
        }
        while self.pending.len() < out.len() && self.row < self.rows {
            let i = self.row;
            self.pending.extend_from_slice(
                format!("user{},item{},click,1.5,{}\n", i % 1013, i % 517, 1_500_000_000 + i).as_bytes(),
            );
            self.row += 1;
        }
        let n = self.pending.len().min(out.len());
        out[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        self.delivered.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
}

/// Records, for every batch written, its rows and how many bytes the reader had handed out by then.
struct Watch {
    delivered: std::sync::Arc<AtomicU64>,
    writes: Vec<(usize, u64)>,
}

impl BatchSink for Watch {
    type Encoded = usize;
    fn encode(&self, batch: RecordBatch) -> Result<usize, String> {
        Ok(batch.len())
    }
    fn write(&mut self, rows: usize) -> Result<(), String> {
        self.writes.push((rows, self.delivered.load(Ordering::SeqCst)));
        Ok(())
    }
}

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

/// An endless input: a header, then `fill` forever.
struct Endless(Vec<u8>, u8);

impl std::io::Read for Endless {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if !self.0.is_empty() {
            let n = self.0.len().min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0.drain(..n);
            return Ok(n);
        }
        out.fill(self.1);
        Ok(out.len())
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

/// A streaming import's report (the batches are dropped).
fn streamed_report(path: &Path, schema: &Schema, options: &ImportOptions) -> ImportReport {
    let open = |p: &Path| -> Result<Box<dyn Read>, String> {
        std::fs::File::open(p).map(|f| Box::new(f) as Box<dyn Read>).map_err(|e| e.to_string())
    };
    let dataset_type = schema.dataset_type().unwrap();
    let mut sink = Collect(Vec::new());
    import_csv_streaming(&[path.to_path_buf()], schema, dataset_type, &no_progress(), options, &open, &mut sink)
        .unwrap()
}

fn expected_line(e: &ImportError) -> u64 {
    match e {
        ImportError::Value { line, .. } => *line,
        other => panic!("not a value error: {other}"),
    }
}

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
