//! The tenants of the isolation tests: their keys, schemas and a full set of resources.

use crate::common::*;

pub(super) const SCOPED_ID: &str = "AKIDTENANTA01";
pub(super) const SCOPED_SECRET: &str = "tenant-a-secret-000000001";
pub(super) const FRONT_ID: &str = "AKIDFRONTA001";
pub(super) const FRONT_SECRET: &str = "tenant-a-front-secret-0001";

pub(super) const INTERACTIONS: &str = r#"{"type":"record","name":"Interactions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ITEM_ID","type":"string"},{"name":"EVENT_TYPE","type":"string"},{"name":"TIMESTAMP","type":"long"}],"version":"1.0"}"#;
pub(super) const ITEMS: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":["null","string"],"categorical":true}],"version":"1.0"}"#;
/// [`ITEMS`] with one more nullable column: what UpdateDataset may replace it with.
pub(super) const ITEMS_V2: &str = r#"{"type":"record","name":"Items","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ITEM_ID","type":"string"},{"name":"GENRE","type":["null","string"],"categorical":true},{"name":"BRAND","type":["null","string"]}],"version":"1.1"}"#;
pub(super) const USERS: &str = r#"{"type":"record","name":"Users","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"AGE","type":["null","int"]}],"version":"1.0"}"#;

pub(super) const ACTIONS: &str = r#"{"type":"record","name":"Actions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"ACTION_ID","type":"string"},{"name":"VALUE","type":["null","long"]}],"version":"1.0"}"#;
pub(super) const ACTION_INTERACTIONS: &str = r#"{"type":"record","name":"ActionInteractions","namespace":"com.amazonaws.personalize.schema","fields":[{"name":"USER_ID","type":"string"},{"name":"ACTION_ID","type":"string"},{"name":"TIMESTAMP","type":"long"},{"name":"EVENT_TYPE","type":"string"}],"version":"1.0"}"#;

/// One tenant's resources, by slot name.
pub(super) struct Tenant {
    pub(super) slots: Vec<(&'static str, String)>,
}

impl Tenant {
    pub(super) fn get(&self, slot: &str) -> &str {
        &self.slots.iter().find(|(s, _)| *s == slot).unwrap_or_else(|| panic!("slot {slot}")).1
    }
}

/// `url`: the server's, for the experiment extension's client.
pub(super) async fn populate(c: &aws_sdk_personalize::Client, url: &str, name: &str, dir: &std::path::Path) -> Tenant {
    let g = create_dataset_group(c, name).await;
    wait_active(c, &Res::DatasetGroup(g.clone())).await;
    let di =
        create_dataset(c, &g, name, &format!("{name}-i"), "Interactions", &arn("schema", "iso-interactions")).await;
    let dt = create_dataset(c, &g, name, &format!("{name}-t"), "Items", &arn("schema", "iso-items")).await;
    let da = create_dataset(c, &g, name, &format!("{name}-a"), "Actions", &arn("schema", "iso-actions")).await;
    let dx = create_dataset(
        c,
        &g,
        name,
        &format!("{name}-x"),
        "Action_Interactions",
        &arn("schema", "iso-action-interactions"),
    )
    .await;
    let described = ok(c.describe_dataset().dataset_arn(&dx).send().await, "DescribeDataset");
    let at = described.dataset().and_then(|d| d.tracking_id()).expect("trackingId").to_string();
    let csv = dir.join(format!("{name}.csv"));
    let mut rows = String::from("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\n");
    for k in 0..1200 {
        rows.push_str(&format!("u{},i{},click,{}\n", k % 60, (k * 7) % 40, 1_700_000_000 + k));
    }
    std::fs::write(&csv, &rows).unwrap();
    let ij = import(c, &format!("{name}-import"), &di, &file_url(&csv), None).await;
    wait_active(c, &Res::ImportJob(ij.clone())).await;
    let s = create_solution(c, &g, &format!("{name}-sol"), "aws-popularity-count").await;
    let sv = train(c, &s).await;
    let camp = deploy(c, &format!("{name}-camp"), &sv).await;
    // A second campaign and an A/B experiment between the two (Reko's extension).
    let camp2 = deploy(c, &format!("{name}-camp2"), &sv).await;
    let experiments = reko::experiments::ExperimentsClient::new(
        url,
        (ACCESS_KEY_ID.to_string(), SECRET_ACCESS_KEY.to_string()),
        REGION,
    )
    .unwrap();
    let arms = serde_json::json!([
        {"name": "a", "targetArn": camp, "weight": 1},
        {"name": "b", "targetArn": camp2, "weight": 1}
    ]);
    let body = serde_json::json!({"name": format!("{name}-exp"), "datasetGroupArn": g, "arms": arms,
        "conversionEventType": "click", "baselineConversionRate": 0.1});
    let created = experiments.ok("CreateExperiment", &body).await.expect("CreateExperiment");
    let x = created["experimentArn"].as_str().unwrap().to_string();
    let t = create_tracker(c, &format!("{name}-tracker"), &g).await;
    let et = arn("event-tracker", &format!("{name}-tracker"));
    let f =
        create_filter(c, &g, &format!("{name}-filter"), r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("buy")"#)
            .await;
    let ma = ok(
        c.create_metric_attribution()
            .name(format!("{name}-ma"))
            .dataset_group_arn(&g)
            .metrics(
                aws_sdk_personalize::types::MetricAttribute::builder()
                    .event_type("click")
                    .metric_name("CLICKS")
                    .expression("SAMPLECOUNT()")
                    .build()
                    .unwrap(),
            )
            .metrics_output_config(
                aws_sdk_personalize::types::MetricAttributionOutput::builder()
                    .role_arn("arn:aws:iam::123456789012:role/R")
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
        "CreateMetricAttribution",
    )
    .metric_attribution_arn()
    .unwrap()
    .to_string();
    // A domain group with a recommender (the scoped key's third group for A).
    let gs = ok(
        c.create_dataset_group()
            .name(format!("{name}-shop"))
            .domain(aws_sdk_personalize::types::Domain::Ecommerce)
            .send()
            .await,
        "CreateDatasetGroup(domain)",
    )
    .dataset_group_arn()
    .expect("datasetGroupArn")
    .to_string();
    wait_active(c, &Res::DatasetGroup(gs.clone())).await;
    let ds = create_dataset(
        c,
        &gs,
        &format!("{name}-shop"),
        &format!("{name}-shop-i"),
        "Interactions",
        &arn("schema", "iso-shop-interactions"),
    )
    .await;
    let shop_csv = dir.join(format!("{name}-shop.csv"));
    std::fs::write(&shop_csv, rows.replace(",click,", ",View,")).unwrap();
    let sj = import(c, &format!("{name}-shop-import"), &ds, &file_url(&shop_csv), None).await;
    wait_active(c, &Res::ImportJob(sj)).await;
    let r = ok(
        c.create_recommender()
            .name(format!("{name}-rec"))
            .dataset_group_arn(&gs)
            .recipe_arn(recipe("aws-ecomm-popular-items-by-views"))
            .send()
            .await,
        "CreateRecommender",
    )
    .recommender_arn()
    .expect("recommenderArn")
    .to_string();
    wait_active(c, &Res::Recommender(r.clone())).await;
    ok(
        c.tag_resource()
            .resource_arn(&camp)
            .tags(aws_sdk_personalize::types::Tag::builder().tag_key("owner").tag_value(name).build().unwrap())
            .send()
            .await,
        "TagResource",
    );
    Tenant {
        slots: vec![
            ("G", g),
            ("DI", di),
            ("DT", dt),
            ("IJ", ij),
            ("S", s),
            ("SV", sv),
            ("C", camp),
            ("ET", et),
            ("T", t),
            ("F", f),
            ("MA", ma),
            ("GS", gs),
            ("R", r),
            ("DA", da),
            ("DX", dx),
            ("AT", at),
            ("C2", camp2),
            ("X", x),
        ],
    }
}
