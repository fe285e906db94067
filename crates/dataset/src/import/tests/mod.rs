//! Import tests, one concern per file; the schemas and files they share are here.

mod lenient;
mod parallel;
mod streaming;
mod values;

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

/// Strict: the first value that is not valid, or a column naming no schema field, fails the import.
fn strict() -> ImportOptions {
    ImportOptions { strict_numbers: true, ignore_unknown_columns: false, ..Default::default() }
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

fn value_err(content: &str) -> String {
    import_items(content).unwrap_err().to_string()
}

fn import_items_bytes(content: &[u8]) -> Result<RecordBatch, ImportError> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("items.csv");
    std::fs::write(&p, content).unwrap();
    import_csv(&[p], &items_schema(), DatasetType::Items, &no_progress())
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
