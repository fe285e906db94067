//! End-to-end benchmark of the embedded service: a dataset import job (CSV → validated, encoded
//! chunks committed to SQLite) and popularity training, timed from the Create call until the
//! resource is ACTIVE, exactly as a client sees it.
//!
//! `cargo bench -p reko-service --bench import_train` (rows: `REKO_BENCH_ROWS`, default 5,000,000).

use std::io::Write;
use std::time::{Duration, Instant};

use reko_api::{
    status, CreateDatasetGroupRequest, CreateDatasetImportJobRequest, CreateDatasetRequest, CreateSchemaRequest,
    CreateSolutionRequest, CreateSolutionVersionRequest, DataSource, DescribeDatasetGroupRequest,
    DescribeDatasetImportJobRequest, DescribeDatasetRequest, DescribeSolutionRequest, DescribeSolutionVersionRequest,
};
use reko_service::{Reko, ServiceConfig};

const SCHEMA: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema",
"fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},
{"name":"EVENT_VALUE","type":["null","float"]},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;

fn wait(what: &str, mut status_of: impl FnMut() -> String) -> Duration {
    let start = Instant::now();
    loop {
        let s = status_of();
        if s == status::ResourceStatus::Active.as_str() {
            return start.elapsed();
        }
        assert!(s != status::ResourceStatus::CreateFailed.as_str(), "{what} failed");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn main() {
    tracing_subscriber::fmt().with_env_filter("reko_service=info").with_writer(std::io::stderr).init();
    let rows: usize = std::env::var("REKO_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(5_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("interactions.csv");
    {
        // Power-law items, 100k users, three event types; a deterministic LCG keeps it reproducible.
        let mut out = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
        writeln!(out, "USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP").unwrap();
        let mut x: u64 = 42;
        let events = ["click", "view", "purchase"];
        for i in 0..rows {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let u = (x >> 33) % 100_000;
            let r = ((x >> 11) & 0xFFFFF) as f64 / 1_048_576.0;
            let item = (50_000.0 * r.powi(3)) as u64;
            writeln!(out, "user{u},item{item},{},{:.1},{}", events[i % 3], (x >> 40) % 5, 1_700_000_000 + i as u64)
                .unwrap();
        }
    }
    let bytes = std::fs::metadata(&csv).unwrap().len();
    let reko = Reko::open(ServiceConfig { data_dir: dir.path().join("data"), ..Default::default() }).unwrap();
    let group = reko
        .create_dataset_group(
            CreateDatasetGroupRequest { name: "bench".into(), ..Default::default() },
            &reko_service::AccessScope::default(),
        )
        .unwrap();
    wait("dataset group", || {
        let req = DescribeDatasetGroupRequest { dataset_group_arn: group.dataset_group_arn.clone() };
        reko.describe_dataset_group(req).unwrap().dataset_group.status
    });
    let schema = reko
        .create_schema(
            CreateSchemaRequest { name: "bench".into(), schema: SCHEMA.into(), ..Default::default() },
            &reko_service::AccessScope::default(),
        )
        .unwrap();
    let dataset = reko
        .create_dataset(CreateDatasetRequest {
            name: "bench".into(),
            schema_arn: schema.schema_arn,
            dataset_group_arn: group.dataset_group_arn.clone(),
            dataset_type: "Interactions".into(),
            tags: None,
        })
        .unwrap();
    wait("dataset", || {
        let req = DescribeDatasetRequest { dataset_arn: dataset.dataset_arn.clone() };
        reko.describe_dataset(req).unwrap().dataset.status
    });

    let job = reko
        .create_dataset_import_job(
            CreateDatasetImportJobRequest {
                job_name: "bench".into(),
                dataset_arn: dataset.dataset_arn.clone(),
                data_source: DataSource { data_location: Some(format!("file://{}", csv.display())) },
                ..Default::default()
            },
            &reko_service::AccessScope::default(),
        )
        .unwrap();
    let import = wait("import job", || {
        let req = DescribeDatasetImportJobRequest { dataset_import_job_arn: job.dataset_import_job_arn.clone() };
        reko.describe_dataset_import_job(req).unwrap().dataset_import_job.status
    });
    println!(
        "import job: {rows} rows, {:.1} MB CSV in {:.2} s = {:.2} M rows/s ({:.0} MB/s), create → ACTIVE",
        bytes as f64 / 1e6,
        import.as_secs_f64(),
        rows as f64 / import.as_secs_f64() / 1e6,
        bytes as f64 / 1e6 / import.as_secs_f64()
    );

    let solution = reko
        .create_solution(CreateSolutionRequest {
            name: "bench".into(),
            dataset_group_arn: group.dataset_group_arn.clone(),
            recipe_arn: Some("arn:aws:personalize:::recipe/aws-popularity-count".into()),
            ..Default::default()
        })
        .unwrap();
    wait("solution", || {
        let req = DescribeSolutionRequest { solution_arn: solution.solution_arn.clone() };
        reko.describe_solution(req).unwrap().solution.status
    });
    let version = reko
        .create_solution_version(CreateSolutionVersionRequest {
            solution_arn: solution.solution_arn.clone(),
            ..Default::default()
        })
        .unwrap();
    let training = wait("solution version", || {
        let req = DescribeSolutionVersionRequest { solution_version_arn: version.solution_version_arn.clone() };
        reko.describe_solution_version(req).unwrap().solution_version.status
    });
    println!(
        "popularity training (snapshot, evaluation split + metrics, final model, artifact): {rows} interactions in {:.2} s",
        training.as_secs_f64()
    );
    reko.shutdown();
}
