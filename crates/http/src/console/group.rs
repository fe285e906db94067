//! The dataset group page: datasets with their schemas and row counts, imports and exports,
//! solution versions with their offline metrics, and the data insights plots and data rules.

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
    /// Rows stored (imported and streamed).
    rows: String,
}

struct ExportRow {
    name: String,
    dataset: String,
    status: String,
    created: String,
    ingestion_mode: String,
    location: String,
    failure: String,
}

/// One of Personalize's data rules: what it needs, what the data has, and whether it passes
/// (`None`: informational).
pub(super) struct RuleRow {
    pub(super) rule: &'static str,
    pub(super) value: String,
    pub(super) needed: String,
    pub(super) passes: Option<bool>,
}

/// Personalize's data rules over the insights: at least 1,000 interactions and 25 users with two
/// or more, and the shares of items and users without any interaction (cold).
pub(super) fn data_rules(i: &reko_service::InteractionInsights, rows: u64) -> Vec<RuleRow> {
    use reko_service::{MIN_INTERACTIONS, MIN_USERS_WITH_TWO};
    let share = |cold: Option<(u64, u64)>, what: &str| match cold {
        Some((_, 0)) | None => format!("no {what} dataset"),
        Some((c, n)) => format!("{:.1}% ({c} of {n})", c as f64 * 100.0 / n as f64),
    };
    vec![
        RuleRow {
            rule: "Interactions",
            value: rows.to_string(),
            needed: format!("at least {MIN_INTERACTIONS}"),
            passes: Some(rows >= MIN_INTERACTIONS),
        },
        RuleRow {
            rule: "Users with at least 2 interactions",
            value: i.users_with_two.to_string(),
            needed: format!("at least {MIN_USERS_WITH_TWO}"),
            passes: Some(i.users_with_two >= MIN_USERS_WITH_TWO),
        },
        RuleRow {
            rule: "Cold items (in the Items dataset, never interacted with)",
            value: share(i.cold_items, "Items"),
            needed: "fewer is better: cold items are recommended by exploration only".into(),
            passes: None,
        },
        RuleRow {
            rule: "Cold users (in the Users dataset, no interaction)",
            value: share(i.cold_users, "Users"),
            needed: "fewer is better: cold users get recommendations from metadata only".into(),
            passes: None,
        },
    ]
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
    /// Users per history length (power-of-two buckets).
    pub(super) history: String,
    pub(super) rules: Vec<RuleRow>,
}

struct VersionRow {
    solution: String,
    solution_arn: String,
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
    exports: Vec<ExportRow>,
    metric_names: Vec<String>,
    versions: Vec<VersionRow>,
    campaigns: Vec<CampaignRow>,
    insights: Vec<InsightsView>,
    insight_rows: usize,
    assets: PlotAssets,
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
        let mut exports = Vec::new();
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
            for j in ctl.list("ListDatasetExportJobs", json!({ "datasetArn": arn }), "datasetExportJobs")? {
                let described = ctl.call(
                    "DescribeDatasetExportJob",
                    json!({ "datasetExportJobArn": text(&j, "datasetExportJobArn") }),
                )?;
                let job = &described["datasetExportJob"];
                exports.push(ExportRow {
                    name: text(job, "jobName"),
                    dataset: text(&d, "name"),
                    status: text(job, "status"),
                    created: time(job, "creationDateTime"),
                    ingestion_mode: text(job, "ingestionMode"),
                    location: text(&job["jobOutput"]["s3DataDestination"], "path"),
                    failure: text(job, "failureReason"),
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
                rows: ctl.reko.dataset_rows(ctl.scope, &arn).map(|n| n.to_string()).unwrap_or_default(),
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
                metrics_of.push(ctl.version_metrics(&arn, &status)?);
                versions.push(VersionRow {
                    solution: text(&s, "name"),
                    solution_arn: solution_arn.clone(),
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
            exports,
            metric_names,
            versions,
            campaigns,
            insights,
            insight_rows: INSIGHT_ROWS,
            assets: plot_assets(),
        })
    };
    match with_session(&console, &headers, read).await {
        Ok((nav, page)) => html(StatusCode::OK, &GroupPage { nav: Some(nav), ..page }),
        Err(response) => response,
    }
}
