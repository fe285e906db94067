//! The experiments pages (Reko's A/B extension, docs/experiments.md): the list, and each
//! experiment's arms, comparisons, decision and the conversion rate over time per arm. Read
//! through the extension's own dispatch, as the logged-in key.

use super::*;

impl Ctl<'_> {
    /// One call of Reko's extension (`Reko.<Operation>`).
    fn extension(&self, operation: &str, body: Value) -> ApiResult<Value> {
        crate::control::handle_extension(self.reko, self.scope, operation, body.to_string().as_bytes())
    }
}

struct ExperimentRow {
    name: String,
    arn: String,
    group: String,
    status: String,
    created: String,
}

#[derive(Template)]
#[template(path = "console/experiments.html")]
struct ExperimentsPage {
    nav: Option<Nav>,
    experiments: Vec<ExperimentRow>,
}

pub(super) async fn experiments(State(console): State<Console>, headers: HeaderMap) -> Response {
    let read = |ctl: &Ctl| {
        let mut rows = Vec::new();
        let mut body = json!({ "maxResults": 100 });
        loop {
            let page = ctl.extension("ListExperiments", body.clone())?;
            for e in page["experiments"].as_array().into_iter().flatten() {
                rows.push(ExperimentRow {
                    name: text(e, "name"),
                    arn: text(e, "experimentArn"),
                    group: tail(&text(e, "datasetGroupArn")).to_string(),
                    status: text(e, "status"),
                    created: time(e, "creationDateTime"),
                });
            }
            match page["nextToken"].as_str() {
                Some(t) => body["nextToken"] = json!(t),
                None => return Ok(ExperimentsPage { nav: None, experiments: rows }),
            }
        }
    };
    match with_session(&console, &headers, read).await {
        Ok((nav, page)) => html(StatusCode::OK, &ExperimentsPage { nav: Some(nav), ..page }),
        Err(response) => response,
    }
}

struct ArmRow {
    name: String,
    target: String,
    weight: String,
    users: String,
    requests: String,
    converted: String,
    rate: String,
    value: String,
    ctr: String,
}

struct ComparisonRow {
    arm: String,
    control: String,
    lift: String,
    lift_interval: String,
    p_value: String,
    sequential_p: String,
    value_lift: String,
    value_p: String,
}

#[derive(Template)]
#[template(path = "console/experiment.html")]
struct ExperimentPage {
    nav: Option<Nav>,
    name: String,
    arn: String,
    status: String,
    group_arn: String,
    analysis: String,
    conversion_event_type: String,
    planned: String,
    promoted: String,
    arms: Vec<ArmRow>,
    comparisons: Vec<ComparisonRow>,
    sample_ratio: String,
    mismatch: bool,
    decision: String,
    reason: String,
    rate_plot: Plot,
    users_plot: Plot,
    assets: PlotAssets,
}

fn percent(v: &Value) -> String {
    v.as_f64().map(|x| format!("{:.2}%", x * 100.0)).unwrap_or_else(|| "–".into())
}

fn signed_percent(v: &Value) -> String {
    v.as_f64().map(|x| format!("{:+.1}%", x * 100.0)).unwrap_or_else(|| "–".into())
}

fn p_value(v: &Value) -> String {
    v.as_f64().map(|x| format!("{x:.4}")).unwrap_or_else(|| "–".into())
}

/// Per-arm series of the timeline (`key` of each point), x the point's time.
fn timeline_plot(results: &Value, arms: &[String], key: &str, scale: f64) -> Plot {
    let points = results["timeline"].as_array().cloned().unwrap_or_default();
    let times: Vec<f64> = points.iter().step_by(arms.len().max(1)).filter_map(|p| p["time"].as_f64()).collect();
    let mut columns = vec![json!(times)];
    for arm in arms {
        let ys: Vec<Option<f64>> = points
            .iter()
            .filter(|p| p["arm"].as_str() == Some(arm))
            .map(|p| p[key].as_f64().map(|v| v * scale))
            .collect();
        columns.push(json!(ys));
    }
    let mut labels = vec!["time"];
    labels.extend(arms.iter().map(String::as_str));
    Plot::new(&columns, &labels)
}

pub(super) async fn experiment(
    State(console): State<Console>,
    headers: HeaderMap,
    Query(q): Query<ArnQuery>,
) -> Response {
    let read = move |ctl: &Ctl| {
        let r = ctl.extension("GetExperimentResults", json!({ "experimentArn": q.arn }))?;
        let e = &r["experiment"];
        let names: Vec<String> = r["arms"].as_array().into_iter().flatten().map(|a| text(a, "name")).collect();
        let arms = r["arms"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| ArmRow {
                name: text(a, "name"),
                target: text(a, "targetArn"),
                weight: a["weight"].to_string(),
                users: a["exposedUsers"].to_string(),
                requests: a["requests"].to_string(),
                converted: a["convertedUsers"].to_string(),
                rate: percent(&a["conversionRate"]),
                value: a["valuePerUser"].as_f64().map(|v| format!("{v:.3}")).unwrap_or_default(),
                ctr: percent(&a["clickThroughRate"]),
            })
            .collect();
        let comparisons = r["comparisons"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                let conv = &c["conversion"];
                let interval = &conv["relativeLiftInterval"];
                ComparisonRow {
                    arm: text(c, "arm"),
                    control: text(c, "control"),
                    lift: signed_percent(&conv["relativeLift"]),
                    lift_interval: if interval.is_null() {
                        "–".into()
                    } else {
                        format!("{} .. {}", signed_percent(&interval["low"]), signed_percent(&interval["high"]))
                    },
                    p_value: p_value(&conv["pValue"]),
                    sequential_p: p_value(&c["sequentialPValue"]),
                    value_lift: signed_percent(&c["value"]["relativeLift"]),
                    value_p: p_value(&c["value"]["pValue"]),
                }
            })
            .collect();
        let srm = &r["sampleRatio"];
        let decision = &r["decision"];
        Ok(ExperimentPage {
            nav: None,
            name: text(e, "name"),
            status: text(e, "status"),
            group_arn: text(e, "datasetGroupArn"),
            analysis: text(e, "analysis"),
            conversion_event_type: text(e, "conversionEventType"),
            planned: e["plannedUsersPerArm"].to_string(),
            promoted: text(e, "promotedArm"),
            arms,
            comparisons,
            sample_ratio: format!(
                "chi-square {:.2}, p {}",
                srm["chiSquare"].as_f64().unwrap_or(0.0),
                p_value(&srm["pValue"])
            ),
            mismatch: srm["mismatch"].as_bool() == Some(true),
            decision: format!(
                "{}{}",
                text(decision, "state"),
                decision["winner"].as_str().map(|w| format!(": {w}")).unwrap_or_default()
            ),
            reason: text(decision, "reason"),
            rate_plot: timeline_plot(&r, &names, "conversionRate", 100.0),
            users_plot: timeline_plot(&r, &names, "exposedUsers", 1.0),
            arn: q.arn,
            assets: plot_assets(),
        })
    };
    match with_session(&console, &headers, read).await {
        Ok((nav, page)) => html(StatusCode::OK, &ExperimentPage { nav: Some(nav), ..page }),
        Err(response) => response,
    }
}
