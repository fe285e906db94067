use reko_api::*;

use super::window_start;
use crate::{AccessScope, Reko, ServiceConfig};

use crate::test_support::drain;

/// The report files of `dir`, by name, with their rows (header first).
fn reports(dir: &std::path::Path) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| {
                    let path = e.unwrap().path();
                    let text = std::fs::read_to_string(&path).unwrap();
                    let name = path.file_name().unwrap().to_string_lossy().into_owned();
                    (name, text.lines().map(str::to_string).collect())
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// A group with an attribution reporting to a local folder: each window is written once it has
/// closed and only then, one file per window with values, none for a window without.
#[test]
fn closed_windows_are_reported_once_each() {
    let dir = tempfile::tempdir().unwrap();
    let reko = Reko::open(ServiceConfig { data_dir: dir.path().join("d"), workers: 0, ..Default::default() }).unwrap();
    let scope = AccessScope::default();
    let schema = reko
        .create_schema(
            CreateSchemaRequest {
                name: "interactions".into(),
                schema: r#"{"type":"record","name":"Interactions","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"EVENT_VALUE","type":["null","float"]},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#.into(),
                ..Default::default()
            },
            &scope,
        )
        .unwrap()
        .schema_arn;
    let group = reko
        .create_dataset_group(CreateDatasetGroupRequest { name: "g".into(), ..Default::default() }, &scope)
        .unwrap()
        .dataset_group_arn;
    drain(&reko);
    reko.create_dataset(CreateDatasetRequest {
        name: "i".into(),
        dataset_group_arn: group.clone(),
        dataset_type: "Interactions".into(),
        schema_arn: schema,
        ..Default::default()
    })
    .unwrap();
    let tracking_id = reko
        .create_event_tracker(CreateEventTrackerRequest {
            name: "t".into(),
            dataset_group_arn: group.clone(),
            ..Default::default()
        })
        .unwrap()
        .tracking_id;
    let out = dir.path().join("reports");
    let metric = |name: &str, expression: &str| MetricAttribute {
        event_type: "click".into(),
        metric_name: name.into(),
        expression: expression.into(),
    };
    reko.create_metric_attribution(
        CreateMetricAttributionRequest {
            name: "ma".into(),
            dataset_group_arn: group,
            metrics: vec![metric("CLICKS", "SAMPLECOUNT()"), metric("VALUE", "SUM(Interactions.EVENT_VALUE)")],
            metrics_output_config: MetricAttributionOutput {
                s3_data_destination: Some(S3DataConfig {
                    path: format!("file://{}/", out.display()),
                    kms_key_arn: None,
                }),
                role_arn: "arn:aws:iam::123456789012:role/r".into(),
            },
        },
        &scope,
    )
    .unwrap();
    drain(&reko);
    let t0 = window_start(crate::usage::now_secs());
    let click = |at: i64, value: f64, source: &str| Event {
        event_type: "click".into(),
        event_value: Some(value),
        item_id: Some("i1".into()),
        sent_at: at as f64,
        metric_attribution: Some(EventMetricAttribution { event_attribution_source: source.into() }),
        ..Default::default()
    };
    let put = |events: Vec<Event>| {
        reko.put_events(PutEventsRequest {
            tracking_id: tracking_id.clone(),
            user_id: Some("u1".into()),
            session_id: "s1".into(),
            event_list: events,
        })
        .unwrap()
    };
    put(vec![click(t0 + 1, 1.5, "email"), click(t0 + 2, 2.0, "email"), click(t0 + 3, 4.0, "web")]);
    put(vec![click(t0 + 900, 0.5, "web")]);

    // The window is open: nothing yet.
    assert_eq!(reko.write_attribution_reports(t0 + 899).unwrap(), 0);
    assert!(reports(&out).is_empty());
    // It closed: its file, once.
    assert_eq!(reko.write_attribution_reports(t0 + 900).unwrap(), 1);
    assert_eq!(reko.write_attribution_reports(t0 + 901).unwrap(), 0);
    let header = "METRIC_NAME,EVENT_ATTRIBUTION_SOURCE,WINDOW_START,VALUE,EVENTS".to_string();
    let first = (
        format!("ma-{t0}.csv"),
        vec![
            header.clone(),
            format!("CLICKS,email,{t0},2,2"),
            format!("CLICKS,web,{t0},1,1"),
            format!("VALUE,email,{t0},3.5,2"),
            format!("VALUE,web,{t0},4,1"),
        ],
    );
    assert_eq!(reports(&out), std::slice::from_ref(&first));
    // The next two close together: one file, for the window with values.
    assert_eq!(reko.write_attribution_reports(t0 + 2700).unwrap(), 1);
    let t1 = t0 + 900;
    let second =
        (format!("ma-{t1}.csv"), vec![header, format!("CLICKS,web,{t1},1,1"), format!("VALUE,web,{t1},0.5,1")]);
    assert_eq!(reports(&out), [first, second]);
    assert_eq!(reko.write_attribution_reports(t0 + 3600).unwrap(), 0);
}
