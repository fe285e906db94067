//! The dataset group page: datasets with their schemas, imports, solution versions with their
//! offline metrics, and the data insights plots.

use super::*;

// ---------------------------------------------------------------------------------------------
// Dataset group

struct FieldRow {
    name: String,
    kind: String,
}

struct DatasetRow {
    name: String,
    dataset_type: String,
    status: String,
    schema: String,
    fields: Vec<FieldRow>,
}

struct ImportRow {
    name: String,
    dataset: String,
    status: String,
    created: String,
    failure: String,
    /// The import task's last word: rows read or imported, where known.
    rows: String,
}

/// The data insights of an Interactions dataset: uPlot's data (`[[x...], [y...]]`) as JSON, put
/// in a `data-series` attribute (HTML-escaped like any value) and drawn by `assets/plots.js`.
pub(super) struct InsightsView {
    pub(super) dataset: String,
    pub(super) rows: u64,
    pub(super) truncated: bool,
    pub(super) items: u64,
    pub(super) days: usize,
    pub(super) per_day: String,
    pub(super) long_tail: String,
}

struct VersionRow {
    solution: String,
    recipe: String,
    version: String,
    status: String,
    training_mode: String,
    failure: String,
    /// One cell per metric column, empty where the version has no value.
    metrics: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/group.html")]
struct GroupPage {
    nav: Option<Nav>,
    name: String,
    arn: String,
    status: String,
    created: String,
    datasets: Vec<DatasetRow>,
    imports: Vec<ImportRow>,
    metric_names: Vec<String>,
    versions: Vec<VersionRow>,
    campaigns: Vec<CampaignRow>,
    insights: Vec<InsightsView>,
    insight_rows: usize,
    uplot_js: &'static str,
    uplot_css: &'static str,
    plots_js: &'static str,
}

/// The fields of an Avro schema: name and type (`categorical` noted).
fn schema_fields(schema: &str) -> Vec<FieldRow> {
    let parsed: Value = serde_json::from_str(schema).unwrap_or(Value::Null);
    let fields = parsed["fields"].as_array().cloned().unwrap_or_default();
    fields
        .iter()
        .map(|f| {
            let mut kind = match &f["type"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if f["categorical"] == Value::Bool(true) {
                kind.push_str(" (categorical)");
            }
            FieldRow { name: text(f, "name"), kind }
        })
        .collect()
}

pub(super) async fn group(State(console): State<Console>, headers: HeaderMap, Query(q): Query<ArnQuery>) -> Response {
    let read = move |ctl: &Ctl| {
        let g = ctl.call("DescribeDatasetGroup", json!({ "datasetGroupArn": q.arn }))?;
        let g = &g["datasetGroup"];
        let name = text(g, "name");
        let mut datasets = Vec::new();
        let mut imports = Vec::new();
        let mut insights = Vec::new();
        // The latest task of each resource (tasks are listed oldest first).
        let task_detail: std::collections::HashMap<String, String> =
            ctl.tasks()?.into_iter().map(|t| (t.resource, t.detail)).collect();
        for d in ctl.list("ListDatasets", json!({ "datasetGroupArn": q.arn }), "datasets")? {
            let arn = text(&d, "datasetArn");
            let described = ctl.call("DescribeDataset", json!({ "datasetArn": arn }))?;
            let schema_arn = text(&described["dataset"], "schemaArn");
            let schema = ctl.call("DescribeSchema", json!({ "schemaArn": schema_arn }))?;
            for j in ctl.list("ListDatasetImportJobs", json!({ "datasetArn": arn }), "datasetImportJobs")? {
                let job_arn = text(&j, "datasetImportJobArn");
                imports.push(ImportRow {
                    rows: task_detail.get(&job_arn).cloned().unwrap_or_default(),
                    name: text(&j, "jobName"),
                    dataset: text(&d, "name"),
                    status: text(&j, "status"),
                    created: time(&j, "creationDateTime"),
                    failure: text(&j, "failureReason"),
                });
            }
            if text(&d, "datasetType").eq_ignore_ascii_case("interactions") {
                insights.extend(ctl.insights(&arn, &text(&d, "name")));
            }
            datasets.push(DatasetRow {
                name: text(&d, "name"),
                dataset_type: text(&d, "datasetType"),
                status: text(&d, "status"),
                schema: text(&schema["schema"], "name"),
                fields: schema_fields(&text(&schema["schema"], "schema")),
            });
        }
        let mut versions = Vec::new();
        let mut metrics_of = Vec::new();
        let mut campaigns = Vec::new();
        for s in ctl.list("ListSolutions", json!({ "datasetGroupArn": q.arn }), "solutions")? {
            let solution_arn = text(&s, "solutionArn");
            let recipe =
                text(&ctl.call("DescribeSolution", json!({ "solutionArn": solution_arn }))?["solution"], "recipeArn");
            for v in ctl.list("ListSolutionVersions", json!({ "solutionArn": solution_arn }), "solutionVersions")? {
                let arn = text(&v, "solutionVersionArn");
                let status = text(&v, "status");
                let metrics = if status == "ACTIVE" {
                    let m = ctl.call("GetSolutionMetrics", json!({ "solutionVersionArn": arn }))?;
                    m["metrics"].as_object().cloned().unwrap_or_default()
                } else {
                    Default::default()
                };
                metrics_of.push(metrics);
                versions.push(VersionRow {
                    solution: text(&s, "name"),
                    recipe: tail(&recipe).to_string(),
                    version: tail(&arn).to_string(),
                    status,
                    training_mode: text(&v, "trainingMode"),
                    failure: text(&v, "failureReason"),
                    metrics: Vec::new(),
                });
            }
            campaigns.extend(campaigns_of(ctl, &s, &name)?);
        }
        let metric_names: Vec<String> =
            metrics_of.iter().flat_map(|m| m.keys().cloned()).collect::<BTreeSet<_>>().into_iter().collect();
        for (row, metrics) in versions.iter_mut().zip(&metrics_of) {
            row.metrics = metric_names
                .iter()
                .map(|n| metrics.get(n).and_then(Value::as_f64).map(|x| format!("{x:.4}")).unwrap_or_default())
                .collect();
        }
        Ok(GroupPage {
            nav: None,
            status: text(g, "status"),
            created: time(g, "creationDateTime"),
            arn: q.arn,
            name,
            datasets,
            imports,
            metric_names,
            versions,
            campaigns,
            insights,
            insight_rows: INSIGHT_ROWS,
            uplot_js: UPLOT_JS_PATH,
            uplot_css: UPLOT_CSS_PATH,
            plots_js: PLOTS_PATH.as_str(),
        })
    };
    match with_session(&console, &headers, read).await {
        Ok((nav, page)) => html(StatusCode::OK, &GroupPage { nav: Some(nav), ..page }),
        Err(response) => response,
    }
}
