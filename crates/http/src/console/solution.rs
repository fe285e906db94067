//! The solution page: its settings, and its versions side by side: offline metrics (table and
//! chart), training time, the hyperparameters chosen and the HPO trials behind them.

use super::*;

struct VersionColumn {
    /// 1 for the oldest: the chart's x.
    ordinal: usize,
    arn: String,
    id: String,
    status: String,
    training_mode: String,
    created: String,
    training_time: String,
    tuned: Vec<(String, String)>,
    failure: String,
}

struct TrialRow {
    ordinal: usize,
    params: String,
    value: String,
    chosen: bool,
}

struct TrialsView {
    version: String,
    objective: String,
    rows: Vec<TrialRow>,
    plot: Plot,
}

#[derive(Template)]
#[template(path = "console/solution.html")]
struct SolutionPage {
    nav: Option<Nav>,
    name: String,
    arn: String,
    status: String,
    recipe: String,
    group_name: String,
    group_arn: String,
    perform_hpo: String,
    config: String,
    versions: Vec<VersionColumn>,
    /// (metric, one cell per version).
    metrics: Vec<(String, Vec<String>)>,
    metrics_plot: Plot,
    trials: Vec<TrialsView>,
    assets: PlotAssets,
}

fn params_text(params: &std::collections::BTreeMap<String, String>) -> String {
    params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
}

pub(super) async fn solution(
    State(console): State<Console>,
    headers: HeaderMap,
    Query(q): Query<ArnQuery>,
) -> Response {
    let read = move |ctl: &Ctl| {
        let s = ctl.call("DescribeSolution", json!({ "solutionArn": q.arn }))?;
        let s = &s["solution"];
        let group_arn = text(s, "datasetGroupArn");
        let group = ctl.call("DescribeDatasetGroup", json!({ "datasetGroupArn": group_arn }))?;
        let mut listed = ctl.list("ListSolutionVersions", json!({ "solutionArn": q.arn }), "solutionVersions")?;
        listed.sort_by(|a, b| {
            let t = |v: &Value| v["creationDateTime"].as_f64().unwrap_or_default();
            t(a).total_cmp(&t(b))
        });
        let mut versions = Vec::new();
        let mut metrics_of = Vec::new();
        let mut trials = Vec::new();
        for (i, v) in listed.iter().enumerate() {
            let arn = text(v, "solutionVersionArn");
            let d = ctl.call("DescribeSolutionVersion", json!({ "solutionVersionArn": arn }))?;
            let d = &d["solutionVersion"];
            let status = text(d, "status");
            metrics_of.push(ctl.version_metrics(&arn, &status)?);
            let tuned: Vec<(String, String)> = d["tunedHPOParams"]["algorithmHyperParameters"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
                .unwrap_or_default();
            let id = tail(&arn).to_string();
            if let Some(t) = ctl.reko.hpo_trials(ctl.scope, &arn).map_err(ApiError::from)? {
                let best = t.trials.iter().filter_map(|(_, v)| *v).fold(f64::NEG_INFINITY, f64::max);
                let ordinals: Vec<usize> = (1..=t.trials.len()).collect();
                let values: Vec<Option<f64>> = t.trials.iter().map(|(_, v)| *v).collect();
                trials.push(TrialsView {
                    version: id.clone(),
                    plot: Plot::new(&[json!(ordinals), json!(values)], &["trial", &t.objective]),
                    objective: t.objective,
                    rows: t
                        .trials
                        .iter()
                        .enumerate()
                        .map(|(k, (params, value))| TrialRow {
                            ordinal: k + 1,
                            params: params_text(params),
                            value: value.map(|v| format!("{v:.4}")).unwrap_or_else(|| "not a number".into()),
                            chosen: *value == Some(best),
                        })
                        .collect(),
                });
            }
            versions.push(VersionColumn {
                ordinal: i + 1,
                id,
                status,
                training_mode: text(d, "trainingMode"),
                created: time(d, "creationDateTime"),
                training_time: d["trainingHours"].as_f64().map(|h| format_duration(h * 3600.0)).unwrap_or_default(),
                tuned,
                failure: text(d, "failureReason"),
                arn,
            });
        }
        let names: Vec<String> =
            metrics_of.iter().flat_map(|m| m.keys().cloned()).collect::<BTreeSet<_>>().into_iter().collect();
        let value = |m: &serde_json::Map<String, Value>, n: &str| m.get(n).and_then(Value::as_f64);
        let metrics = names
            .iter()
            .map(|n| {
                let cells = metrics_of.iter().map(|m| value(m, n).map(|x| format!("{x:.4}")).unwrap_or_default());
                (n.clone(), cells.collect())
            })
            .collect();
        // One line per metric across the versions, oldest first (gaps where a version has none).
        let mut columns = vec![json!((1..=versions.len()).collect::<Vec<_>>())];
        columns.extend(names.iter().map(|n| json!(metrics_of.iter().map(|m| value(m, n)).collect::<Vec<_>>())));
        let mut labels = vec!["version"];
        labels.extend(names.iter().map(String::as_str));
        let config = match &s["solutionConfig"] {
            Value::Null => String::new(),
            c => serde_json::to_string_pretty(c).unwrap_or_default(),
        };
        Ok(SolutionPage {
            nav: None,
            name: text(s, "name"),
            status: text(s, "status"),
            recipe: tail(&text(s, "recipeArn")).to_string(),
            group_name: text(&group["datasetGroup"], "name"),
            group_arn,
            perform_hpo: if s["performHPO"] == Value::Bool(true) { "yes" } else { "no" }.into(),
            config,
            metrics_plot: Plot::new(&columns, &labels),
            metrics,
            versions,
            trials,
            arn: q.arn,
            assets: plot_assets(),
        })
    };
    match with_session(&console, &headers, read).await {
        Ok((nav, page)) => html(StatusCode::OK, &SolutionPage { nav: Some(nav), ..page }),
        Err(response) => response,
    }
}
