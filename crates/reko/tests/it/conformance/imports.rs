//! Import jobs: atomic failures, lenient numbers, header case.

use super::*;

/// A CSV with a bad value on one line fails the whole import with a reason naming the file,
/// line and column; none of its rows become visible and later imports still work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_import_is_atomic_and_reports_location() {
    let tmp = tempfile::tempdir().unwrap();
    let synth_dir = tmp.path().join("synth");
    std::fs::create_dir_all(&synth_dir).unwrap();
    let cfg = reko_synth::SynthConfig { users: 300, items: 200, interactions: 6_000, seed: 11, ..Default::default() };
    let files = reko_synth::write_dataset(&synth_dir, &cfg).unwrap();
    // Split the good interactions into two files: the base import and a later increment.
    let text = std::fs::read_to_string(&files.interactions).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    let rows: Vec<&str> = lines.collect();
    let (first, second) = rows.split_at(rows.len() - 1_500);
    let base = synth_dir.join("base.csv");
    std::fs::write(&base, format!("{header}\n{}\n", first.join("\n"))).unwrap();
    let more = synth_dir.join("more.csv");
    std::fs::write(&more, format!("{header}\n{}\n", second.join("\n"))).unwrap();

    // 2000 valid rows for a "ghost" item that would dominate popularity if any leaked,
    // then a bad TIMESTAMP on the last line (line 1 is the header).
    let bad = synth_dir.join("bad-interactions.csv");
    let mut body = format!("{header}\n");
    for u in 1..=2000 {
        body.push_str(&format!("u{u},ghost-item,view,1.0,mobile,1730000000\n"));
    }
    body.push_str("u1,ghost-item,view,1.0,mobile,not-a-timestamp\n");
    std::fs::write(&bad, body).unwrap();
    let bad_line = 2002;

    let server = Server::start(&tmp.path().join("data"));
    let c = &server.control;
    let dsg = create_dataset_group(c, "imp-dsg").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(c, "imp-int", reko_synth::interactions_schema()).await;
    let ds = create_dataset(c, &dsg, "imp-dsg", "imp-int", "Interactions", &schema).await;

    let j1 = import(c, "imp-base", &ds, &file_url(&base), None).await;
    wait_active(c, &Res::ImportJob(j1)).await;

    // Strict (a bad TIMESTAMP would otherwise skip its row): the job tag makes it fail.
    let j2 = c
        .create_dataset_import_job()
        .job_name("imp-bad")
        .dataset_arn(&ds)
        .data_source(aws_sdk_personalize::types::DataSource::builder().data_location(file_url(&bad)).build())
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/PersonalizeRole"))
        .import_mode(ImportMode::Incremental)
        .tags(
            aws_sdk_personalize::types::Tag::builder().tag_key("reko:strict-import").tag_value("true").build().unwrap(),
        )
        .send()
        .await;
    let j2 = ok(j2, "CreateDatasetImportJob").dataset_import_job_arn().unwrap().to_string();
    let (status, reason) = wait_settled(c, &Res::ImportJob(j2.clone()), WAIT).await;
    assert_eq!(status, "CREATE FAILED", "bad CSV must fail the import");
    let reason = reason.expect("failureReason on a failed import");
    assert!(reason.contains("bad-interactions.csv"), "failureReason must name the file: {reason:?}");
    assert!(
        reason.to_lowercase().contains("line") && reason.contains(&bad_line.to_string()),
        "failureReason must name line {bad_line}: {reason:?}"
    );
    assert!(reason.contains("TIMESTAMP"), "failureReason must name the column: {reason:?}");

    let j3 = import(c, "imp-more", &ds, &file_url(&more), Some(ImportMode::Incremental)).await;
    wait_active(c, &Res::ImportJob(j3)).await;

    let (_, sv) = train_popularity(c, &dsg, "imp-pop").await;
    let camp = deploy(c, "imp-campaign", &sv).await;
    let r = ok(
        server.runtime.get_recommendations().campaign_arn(&camp).user_id("u1").num_results(100).send().await,
        "GetRecommendations",
    );
    let got = ids(r.item_list());
    assert!(!got.is_empty());
    assert!(!got.contains(&"ghost-item".to_string()), "rows of the failed import leaked into training: {got:?}");
    // Items only present in the later increment are visible: every recommended id is a
    // synthetic item.
    assert!(got.iter().all(|i| i.starts_with('i')), "{got:?}");
}

/// What AWS's sample notebooks import and Personalize accepts: a CSV header whose case differs
/// from the schema (`ITEM_ID,genres,Year,creation_timestamp`), and MovieLens-style numeric
/// columns with a few empty or non-numeric values. A nullable field's bad value becomes null, a
/// row with a bad value in a non-nullable field is skipped; the job goes ACTIVE and the task view
/// and `reko import` say what was coerced. The `reko:strict-import` tag restores failing; the
/// 1000-interaction minimum counts the rows kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lenient_numeric_import_and_case_insensitive_headers() {
    const ITEMS: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRES","type":"string","categorical":true},{"name":"YEAR","type":["null","int"]},{"name":"CREATION_TIMESTAMP","type":"long"}],"version":"1.0"}"#;
    const INTERACTIONS: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
    let tmp = tempfile::tempdir().unwrap();
    let csv_dir = tmp.path().join("csv");
    std::fs::create_dir_all(&csv_dir).unwrap();
    // 20 items (lines 2..=21): line 4 has an empty YEAR (an ordinary null), line 7 'unknown'
    // and line 11 '19xx' years (set to null), line 9 no CREATION_TIMESTAMP (row skipped).
    let mut items = String::from("ITEM_ID,genres,Year,creation_timestamp\n");
    for i in 0..20 {
        let line = i + 2;
        let year = match line {
            4 => String::new(),
            7 => "unknown".to_string(),
            11 => "19xx".to_string(),
            _ => (1990 + i).to_string(),
        };
        let created = if line == 9 { String::new() } else { (1_600_000_000 + i).to_string() };
        items.push_str(&format!("i{i},Comedy|Drama,{year},{created}\n"));
    }
    let items_csv = csv_dir.join("items.csv");
    std::fs::write(&items_csv, &items).unwrap();

    let server = Server::start(&tmp.path().join("data"));
    let c = &server.control;
    let dsg = create_dataset_group(c, "lenient").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let s_items = create_schema(c, "lenient-items", ITEMS).await;
    let s_int = create_schema(c, "lenient-int", INTERACTIONS).await;
    let ds_items = create_dataset(c, &dsg, "lenient", "lenient-items", "Items", &s_items).await;
    let ds_int = create_dataset(c, &dsg, "lenient", "lenient-int", "Interactions", &s_int).await;

    // ---- Lenient by default: ACTIVE, with the coercions in the task view -------------------------
    let job = import(c, "lenient-items", &ds_items, &file_url(&items_csv), None).await;
    wait_active(c, &Res::ImportJob(job.clone())).await;
    let d = ok(c.describe_dataset_import_job().dataset_import_job_arn(&job).send().await, "Describe");
    assert_eq!(d.dataset_import_job().and_then(|j| j.failure_reason()), None);
    let expected = "19 rows imported; 2 non-numeric values set to null, 1 row skipped for an empty or non-numeric \
        value in a non-nullable numeric field (items.csv line 7, column YEAR: 'unknown' set to null; items.csv \
        line 9, column CREATION_TIMESTAMP: '' row skipped; items.csv line 11, column YEAR: '19xx' set to null)";
    let started = Instant::now();
    loop {
        let tasks = get_tasks(&server.url).await;
        if tasks.iter().any(|t| t.detail.contains(expected)) {
            break;
        }
        assert!(started.elapsed() < WAIT, "the task view never showed {expected:?}: {tasks:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // ... and in the server log.
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(log.contains("import coerced values") && log.contains("items.csv line 7, column YEAR"), "{log}");

    // ---- `reko import` prints them on its summary line ------------------------------------------
    // (blocking is fine: the server is another process)
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reko"))
        .args(["import", "--endpoint", &server.url, "--dataset-arn", &ds_items, "--data-location"])
        .arg(&items_csv)
        .args(["--job-name", "lenient-cli"])
        .env("REKO_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("REKO_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(summary.starts_with("ACTIVE: 19 rows imported, "), "{stdout}");
    assert!(summary.contains("; 2 non-numeric values set to null, 1 row skipped"), "{stdout}");
    assert!(summary.contains("items.csv line 11, column YEAR: '19xx' set to null"), "{stdout}");

    // ---- Strict, per job: the first bad value fails it, naming line and column ------------------
    let strict =
        import_tagged(c, "strict-items", &ds_items, &file_url(&items_csv), &[("reko:strict-import", "true")]).await;
    let (status, reason) = wait_settled(c, &Res::ImportJob(strict), WAIT).await;
    assert_eq!(status, "CREATE FAILED");
    assert_eq!(reason.as_deref(), Some("items.csv line 7, column YEAR: 'unknown' is not a valid int"));

    // ---- An ambiguous header is an error naming it ----------------------------------------------
    let ambiguous = csv_dir.join("ambiguous.csv");
    std::fs::write(&ambiguous, "ITEM_ID,GENRES,genres,CREATION_TIMESTAMP\ni1,a,b,1\n").unwrap();
    let j = import(c, "ambiguous-items", &ds_items, &file_url(&ambiguous), None).await;
    let (status, reason) = wait_settled(c, &Res::ImportJob(j), WAIT).await;
    assert_eq!(status, "CREATE FAILED");
    let reason = reason.unwrap_or_default();
    assert!(reason.contains("'GENRES' and 'genres' both name the schema field GENRES"), "{reason}");

    // ---- The 1000-interaction minimum counts the rows kept ---------------------------------------
    let mut interactions = String::from("user_id,item_id,timestamp\n");
    for n in 0..1001 {
        let ts = if n == 10 || n == 500 { "later".to_string() } else { (1_700_000_000 + n).to_string() };
        interactions.push_str(&format!("u{},i{},{ts}\n", n % 40, n % 20));
    }
    let int_csv = csv_dir.join("interactions.csv");
    std::fs::write(&int_csv, &interactions).unwrap();
    let j = import(c, "lenient-int", &ds_int, &file_url(&int_csv), None).await;
    let (status, reason) = wait_settled(c, &Res::ImportJob(j), WAIT).await;
    assert_eq!(status, "CREATE FAILED");
    assert_eq!(
        reason.as_deref(),
        Some("Interactions import jobs require at least 1000 records, but the input contains 999.")
    );
    interactions.push_str("u1,i1,1700009999\nu2,i2,1700009998\n");
    std::fs::write(&int_csv, &interactions).unwrap();
    let j = import(c, "lenient-int2", &ds_int, &file_url(&int_csv), None).await;
    wait_active(c, &Res::ImportJob(j)).await;
}

/// What AWS's sample notebooks upload and Personalize imports (the trending-now and promotions notebooks, and the
/// recorded run of the recommender-agent notebook, whose items CSV also carries a PROMOTED column its schema
/// lacks): a CSV written by pandas' `to_csv(path)`, with its unnamed index column first. Columns that name no
/// schema field are ignored, and said so in the task view and the server log; the other columns land in their
/// fields. The `reko:strict-import` tag refuses them, naming them. The schema declares CATEGORY_L1 as those
/// notebooks do, `"type": ["string"]` (a one-member union: a non-nullable string), which Personalize accepts too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_not_in_the_schema_are_ignored_and_reported() {
    const ITEMS: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"PRICE","type":"float"},{"name":"CATEGORY_L1","type":["string"],"categorical":true}],"version":"1.0"}"#;
    let tmp = tempfile::tempdir().unwrap();
    let csv_dir = tmp.path().join("csv");
    std::fs::create_dir_all(&csv_dir).unwrap();
    let mut items = String::from(",ITEM_ID,PRICE,CATEGORY_L1,PROMOTED\n");
    for i in 0..10 {
        let promoted = if i % 3 == 0 { "Y" } else { "" };
        items.push_str(&format!("{i},p{i},{}.5,{},{promoted}\n", i + 1, if i % 2 == 0 { "shoes" } else { "hats" }));
    }
    let items_csv = csv_dir.join("items.csv");
    std::fs::write(&items_csv, &items).unwrap();

    let server = Server::start(&tmp.path().join("data"));
    let c = &server.control;
    let dsg = create_dataset_group(c, "extra-cols").await;
    wait_active(c, &Res::DatasetGroup(dsg.clone())).await;
    let schema = create_schema(c, "extra-cols-items", ITEMS).await;
    let ds = create_dataset(c, &dsg, "extra-cols", "extra-cols-items", "Items", &schema).await;

    let job = import(c, "extra-cols-items", &ds, &file_url(&items_csv), None).await;
    wait_active(c, &Res::ImportJob(job.clone())).await;
    let expected = "10 rows imported; 2 columns not in the schema ignored (items.csv column 1 ''; items.csv column 5 \
        'PROMOTED')";
    let started = Instant::now();
    loop {
        let tasks = get_tasks(&server.url).await;
        if tasks.iter().any(|t| t.detail.contains(expected)) {
            break;
        }
        assert!(started.elapsed() < WAIT, "the task view never showed {expected:?}: {tasks:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(log.contains("ignored columns") && log.contains("items.csv column 5 'PROMOTED'"), "{log}");
    // The values are in their fields: the export shows the schema's columns only.
    let mut lines = export_dataset(c, "extra-cols-export", &ds, "BULK", &tmp.path().join("export")).await;
    assert_eq!(lines.remove(0), "ITEM_ID,PRICE,CATEGORY_L1");
    lines.sort();
    assert_eq!(lines.len(), 10, "{lines:?}");
    assert_eq!(lines[0], "p0,1.5,shoes");
    assert_eq!(lines[1], "p1,2.5,hats");

    // Strict, per job: refused, naming the columns as written.
    let strict = import_tagged(c, "strict-extra", &ds, &file_url(&items_csv), &[("reko:strict-import", "true")]).await;
    let (status, reason) = wait_settled(c, &Res::ImportJob(strict), WAIT).await;
    assert_eq!(status, "CREATE FAILED");
    assert_eq!(
        reason.as_deref(),
        Some("items.csv line 1: Input CSV has columns that are not in the schema: ['', PROMOTED]")
    );
}
