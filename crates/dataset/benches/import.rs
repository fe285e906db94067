//! CSV import benchmark: `cargo bench -p reko-dataset --bench import [-- ROWS]`
//! (or `REKO_BENCH_ROWS=N`). Generates a synthetic Interactions CSV in a
//! temporary folder and measures the streaming import (`import_csv_streaming`,
//! 16 MiB blocks, each batch encoded on the parser's threads, as the server
//! imports) end to end; then does the same for MovieLens 100K if
//! `REKO_ML100K_DIR` names a MovieLens 100K folder.
//! `REKO_BENCH_WHOLE=1` measures the in-memory `import_csv` + `encode` instead.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use reko_dataset::{
    import_csv, import_csv_streaming, parse_schema, BatchSink, DatasetType, ImportOptions, RecordBatch, Schema,
};

/// Encodes every batch (on the parser's threads) and counts what would be stored.
struct Encode {
    bytes: usize,
}

impl BatchSink for Encode {
    type Encoded = Vec<u8>;
    fn encode(&self, batch: RecordBatch) -> Result<Vec<u8>, String> {
        Ok(batch.encode())
    }
    fn write(&mut self, encoded: Vec<u8>) -> Result<(), String> {
        self.bytes += encoded.len();
        Ok(())
    }
}

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn schema() -> Schema {
    parse_schema(
        r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema",
        "fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},
        {"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]},
        {"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#,
    )
    .expect("schema")
}

fn generate(path: &Path, rows: u64) -> std::io::Result<()> {
    const USERS: u64 = 100_000;
    const ITEMS: f64 = 50_000.0;
    let events = ["click", "view", "purchase"];
    let mut rng = SplitMix(42);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(w, "USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP")?;
    let mut ts: u64 = 1_600_000_000;
    for _ in 0..rows {
        let user = rng.next() % USERS;
        // power-law popularity: a few items get most of the interactions
        let item = (ITEMS * rng.unit().powf(3.0)) as u64;
        let event = events[(rng.next() % 3) as usize];
        let value = (rng.next() % 500) as f32 / 100.0;
        ts += rng.next() % 3;
        writeln!(w, "{user},{item},{event},{value},{ts}")?;
    }
    w.flush()
}

fn run(label: &str, files: &[PathBuf], schema: &Schema, runs: usize) {
    let bytes: u64 = files.iter().map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0)).sum();
    let mut times = Vec::new();
    let mut rows = 0;
    let mut encoded = 0;
    let whole = std::env::var("REKO_BENCH_WHOLE").is_ok_and(|v| v == "1");
    for i in 0..runs {
        let t = Instant::now();
        if !whole {
            let open = |p: &Path| -> Result<Box<dyn std::io::Read>, String> {
                Ok(Box::new(std::fs::File::open(p).map_err(|e| e.to_string())?))
            };
            let mut sink = Encode { bytes: 0 };
            let n = import_csv_streaming(
                files,
                schema,
                DatasetType::Interactions,
                &|_| {},
                &ImportOptions::default(),
                &open,
                &mut sink,
            )
            .expect("import")
            .rows;
            let secs = t.elapsed().as_secs_f64();
            rows = n as usize;
            encoded = sink.bytes;
            println!("  {label} run {}: {:.3} s streamed and encoded, {:.0} rows/s", i + 1, secs, rows as f64 / secs);
            times.push(secs);
            continue;
        }
        let batch = import_csv(files, schema, DatasetType::Interactions, &|_| {}).expect("import");
        let t_import = t.elapsed().as_secs_f64();
        let enc = batch.encode();
        let secs = t.elapsed().as_secs_f64();
        rows = batch.len();
        encoded = enc.len();
        drop(enc);
        drop(batch);
        println!(
            "  {label} run {}: {:.3} s ({:.3} s import, {:.3} s encode), {:.0} rows/s",
            i + 1,
            secs,
            t_import,
            secs - t_import,
            rows as f64 / secs
        );
        times.push(secs);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let best = times[0];
    let median = times[times.len() / 2];
    println!("{label}: {rows} rows, {bytes} CSV bytes ({:.1} MB), encoded {encoded} bytes", bytes as f64 / 1e6);
    println!(
        "{label}: best {:.3} s = {:.0} rows/s, {:.1} MB/s; median {:.3} s = {:.0} rows/s, {:.1} MB/s",
        best,
        rows as f64 / best,
        bytes as f64 / 1e6 / best,
        median,
        rows as f64 / median,
        bytes as f64 / 1e6 / median
    );
}

fn main() {
    let rows: u64 = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .or_else(|| std::env::var("REKO_BENCH_ROWS").ok()?.parse().ok())
        .unwrap_or(5_000_000);
    println!(
        "threads: {} (rayon), available_parallelism: {:?}",
        rayon::current_num_threads(),
        std::thread::available_parallelism().map(|n| n.get()).ok()
    );
    let dir = tempdir();
    let path = dir.join("interactions.csv");
    let t = Instant::now();
    generate(&path, rows).expect("generate");
    println!("generated {rows} rows in {:.1} s", t.elapsed().as_secs_f64());
    let schema = schema();
    run("synthetic", std::slice::from_ref(&path), &schema, 3);
    let _ = std::fs::remove_file(&path);

    if let Some(ml) = reko_dataset::movielens::dir_from_env("import bench, ml-100k") {
        let csv = dir.join("ml100k.csv");
        let mut w = BufWriter::new(std::fs::File::create(&csv).expect("create"));
        writeln!(w, "USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP").unwrap();
        for r in reko_dataset::movielens::read_ratings(&ml).expect("u.data") {
            writeln!(w, "{},{},rating,{},{}", r.user_id, r.item_id, r.rating, r.timestamp).unwrap();
        }
        w.flush().unwrap();
        drop(w);
        run("ml-100k", std::slice::from_ref(&csv), &schema, 5);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("reko-import-bench-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("tempdir");
    d
}
