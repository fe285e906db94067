//! The campaign page: its traffic plotted (request rate against minProvisionedTPS, TPS-hours,
//! errors, latency percentiles) and its try-it form.

use super::*;

// ---------------------------------------------------------------------------------------------
// Campaign and its try-it form

struct FilterOption {
    name: String,
    arn: String,
}

#[derive(Template)]
#[template(path = "console/campaign.html")]
struct CampaignPage {
    nav: Option<Nav>,
    name: String,
    arn: String,
    status: String,
    min_tps: String,
    solution_version: String,
    solution_arn: String,
    recipe: String,
    group_name: String,
    group_arn: String,
    ranking: bool,
    filters: Vec<FilterOption>,
    /// Requests, errors and TPS-hours of the last day's windows.
    requests: u64,
    errors: u64,
    billed_tps_hours: String,
    actual_tps_hours: String,
    rate: Plot,
    tps_hours: Plot,
    per_minute: Plot,
    latency: Plot,
    assets: PlotAssets,
}

/// The usage windows plotted: the last day's.
const ACTIVITY_SECS: i64 = 86_400;

struct ActivityPlots {
    rate: Plot,
    tps_hours: Plot,
    per_minute: Plot,
    latency: Plot,
    billed: f64,
    actual: f64,
}

/// The campaign's traffic as plots: per 5-minute window (stored, and the open one so far) the
/// average TPS against minProvisionedTPS and the TPS-hours billed and used; per minute of the
/// last hour (in memory since the server started) requests, errors and latency percentiles.
fn activity_plots(a: &reko_service::usage::CampaignActivity) -> ActivityPlots {
    use reko_service::usage::{actual_tps_hours, average_tps, billed_tps_hours};
    let w = &a.windows;
    let starts: Vec<i64> = w.iter().map(|w| w.window_start).collect();
    let tps: Vec<f64> = w.iter().map(|w| average_tps(w.requests)).collect();
    let min: Vec<i64> = w.iter().map(|w| w.min_provisioned_tps).collect();
    let billed: Vec<f64> = w.iter().map(|w| billed_tps_hours(w.requests, w.min_provisioned_tps)).collect();
    let actual: Vec<f64> = w.iter().map(|w| actual_tps_hours(w.requests)).collect();
    let m = &a.minutes;
    let minutes: Vec<i64> = m.iter().map(|m| m.start).collect();
    ActivityPlots {
        rate: Plot::new(
            &[json!(starts), json!(tps), json!(min)],
            &["window (UTC)", "average TPS", "minProvisionedTPS"],
        ),
        tps_hours: Plot::new(
            &[json!(starts), json!(billed), json!(actual)],
            &["window (UTC)", "TPS-hours billed", "TPS-hours used"],
        ),
        per_minute: Plot::new(
            &[
                json!(minutes),
                json!(m.iter().map(|m| m.requests).collect::<Vec<_>>()),
                json!(m.iter().map(|m| m.errors).collect::<Vec<_>>()),
            ],
            &["minute (UTC)", "requests", "errors"],
        ),
        latency: Plot::new(
            &[
                json!(minutes),
                json!(m.iter().map(|m| m.p50_ms).collect::<Vec<_>>()),
                json!(m.iter().map(|m| m.p95_ms).collect::<Vec<_>>()),
                json!(m.iter().map(|m| m.p99_ms).collect::<Vec<_>>()),
            ],
            &["minute (UTC)", "p50 (ms)", "p95 (ms)", "p99 (ms)"],
        ),
        billed: billed.iter().sum(),
        actual: actual.iter().sum(),
    }
}

/// The campaign's solution's recipe and dataset group.
fn campaign_context(ctl: &Ctl, campaign: &Value) -> ApiResult<(String, String)> {
    campaign_solution(ctl, campaign).map(|(recipe, group, _)| (recipe, group))
}

/// The campaign's solution's recipe, dataset group and ARN.
fn campaign_solution(ctl: &Ctl, campaign: &Value) -> ApiResult<(String, String, String)> {
    let version =
        ctl.call("DescribeSolutionVersion", json!({ "solutionVersionArn": text(campaign, "solutionVersionArn") }))?;
    let solution_arn = text(&version["solutionVersion"], "solutionArn");
    let solution = ctl.call("DescribeSolution", json!({ "solutionArn": solution_arn }))?;
    Ok((text(&solution["solution"], "recipeArn"), text(&solution["solution"], "datasetGroupArn"), solution_arn))
}

fn is_ranking(recipe_arn: &str) -> bool {
    recipe_arn.contains("personalized-ranking")
}

pub(super) async fn campaign(
    State(console): State<Console>,
    headers: HeaderMap,
    Query(q): Query<ArnQuery>,
) -> Response {
    let read = move |ctl: &Ctl| {
        let c = ctl.call("DescribeCampaign", json!({ "campaignArn": q.arn }))?;
        let c = &c["campaign"];
        let (recipe, group_arn, solution_arn) = campaign_solution(ctl, c)?;
        let group = ctl.call("DescribeDatasetGroup", json!({ "datasetGroupArn": group_arn }))?;
        let filters = ctl
            .list("ListFilters", json!({ "datasetGroupArn": group_arn }), "Filters")?
            .iter()
            .map(|f| FilterOption { name: text(f, "name"), arn: text(f, "filterArn") })
            .collect();
        let now = reko_service::resource::now() as i64;
        let a = ctl.reko.campaign_activity(ctl.scope, &q.arn, now - ACTIVITY_SECS).map_err(ApiError::from)?;
        let plots = activity_plots(&a);
        Ok(CampaignPage {
            requests: a.windows.iter().map(|w| w.requests).sum(),
            errors: a.windows.iter().map(|w| w.errors).sum(),
            billed_tps_hours: format!("{:.3}", plots.billed),
            actual_tps_hours: format!("{:.3}", plots.actual),
            rate: plots.rate,
            tps_hours: plots.tps_hours,
            per_minute: plots.per_minute,
            latency: plots.latency,
            assets: plot_assets(),
            nav: None,
            name: text(c, "name"),
            status: text(c, "status"),
            min_tps: text(c, "minProvisionedTPS"),
            solution_version: text(c, "solutionVersionArn"),
            solution_arn,
            ranking: is_ranking(&recipe),
            recipe: tail(&recipe).to_string(),
            group_name: text(&group["datasetGroup"], "name"),
            group_arn,
            arn: q.arn,
            filters,
        })
    };
    match with_session(&console, &headers, read).await {
        Ok((nav, page)) => html(StatusCode::OK, &CampaignPage { nav: Some(nav), ..page }),
        Err(response) => response,
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct TryForm {
    pub(super) csrf: String,
    pub(super) arn: String,
    pub(super) user_id: String,
    pub(super) item_id: String,
    pub(super) num_results: String,
    pub(super) item_list: String,
    pub(super) filter_arn: String,
    pub(super) filter_values: String,
    pub(super) context: String,
    pub(super) promotion_name: String,
    pub(super) promotion_filter_arn: String,
    pub(super) promotion_percent: String,
    pub(super) promotion_filter_values: String,
    /// Columns of the Items dataset to return with each item, separated by commas.
    pub(super) metadata_columns: String,
}

pub(super) struct ItemRow {
    pub(super) item_id: String,
    pub(super) score: String,
    pub(super) promotion: String,
    pub(super) metadata: String,
}

struct EventRow {
    time: String,
    item_id: String,
    event_type: String,
}

#[derive(Template)]
#[template(path = "console/try_result.html")]
struct TryResult {
    items: Vec<ItemRow>,
    recommendation_id: String,
    error: Option<String>,
    user_id: String,
    /// The user's newest stored interactions, beside the answer.
    events: Vec<EventRow>,
}

/// The user's recent events listed beside the answer, found among the newest stored rows.
const USER_EVENTS: usize = 10;
const USER_EVENT_ROWS: usize = 100_000;

/// The items of a runtime answer (GetRecommendations' `itemList` or GetPersonalizedRanking's
/// `personalizedRanking`).
pub(super) fn item_rows(answer: &Value) -> Vec<ItemRow> {
    let items = answer["itemList"].as_array().or_else(|| answer["personalizedRanking"].as_array());
    items
        .map(|items| {
            items
                .iter()
                .map(|i| ItemRow {
                    item_id: text(i, "itemId"),
                    score: i["score"].as_f64().map(|s| format!("{s:.6}")).unwrap_or_default(),
                    promotion: text(i, "promotionName"),
                    metadata: i["metadata"]
                        .as_object()
                        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())))
                        .map(|kv| kv.collect::<Vec<_>>().join(", "))
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `key=value` lines as a JSON object of strings (blank lines skipped).
fn key_values(lines: &str) -> serde_json::Map<String, Value> {
    lines
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), Value::String(v.trim().to_string())))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// The runtime request the form describes: only the fields filled in, so the service's own
/// validation judges the rest.
pub(super) fn runtime_request(form: &TryForm, ranking: bool) -> (&'static str, Value) {
    let mut body = serde_json::Map::new();
    body.insert("campaignArn".into(), json!(form.arn));
    let mut put = |key: &str, value: &str| {
        if !value.trim().is_empty() {
            body.insert(key.into(), json!(value.trim()));
        }
    };
    put("userId", &form.user_id);
    put("filterArn", &form.filter_arn);
    if !ranking {
        put("itemId", &form.item_id);
    }
    let num_results = form.num_results.trim();
    if !ranking && !num_results.is_empty() {
        body.insert(
            "numResults".into(),
            num_results.parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(num_results)),
        );
    }
    for (key, lines) in [("filterValues", &form.filter_values), ("context", &form.context)] {
        let map = key_values(lines);
        if !map.is_empty() {
            body.insert(key.into(), Value::Object(map));
        }
    }
    let columns: Vec<&str> = form.metadata_columns.split(',').map(str::trim).filter(|c| !c.is_empty()).collect();
    if !columns.is_empty() {
        body.insert("metadataColumns".into(), json!({ "ITEMS": columns }));
    }
    // A promotion as soon as any of its fields is filled in (the service names what is missing).
    let promotion_fields = [&form.promotion_name, &form.promotion_filter_arn, &form.promotion_percent];
    if promotion_fields.iter().any(|f| !f.trim().is_empty()) {
        let mut p = serde_json::Map::new();
        for (key, value) in [("name", &form.promotion_name), ("filterArn", &form.promotion_filter_arn)] {
            if !value.trim().is_empty() {
                p.insert(key.into(), json!(value.trim()));
            }
        }
        let percent = form.promotion_percent.trim();
        if !percent.is_empty() {
            p.insert(
                "percentPromotedItems".into(),
                percent.parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(percent)),
            );
        }
        let values = key_values(&form.promotion_filter_values);
        if !values.is_empty() {
            p.insert("filterValues".into(), Value::Object(values));
        }
        body.insert("promotions".into(), json!([p]));
    }
    if ranking {
        let items: Vec<&str> =
            form.item_list.split([',', '\n', '\r', ' ']).map(str::trim).filter(|s| !s.is_empty()).collect();
        body.insert("inputList".into(), json!(items));
        ("/personalize-ranking", Value::Object(body))
    } else {
        ("/recommendations", Value::Object(body))
    }
}

pub(super) async fn try_it(State(console): State<Console>, headers: HeaderMap, Form(form): Form<TryForm>) -> Response {
    let Some((_, session)) = console.session(&headers) else { return redirect("/console/login") };
    if !session.csrf_ok(&form.csrf) {
        return csrf_refused(&session);
    }
    let (reko, scope) = (console.reko.clone(), scope_of(&session.principal));
    let _engine = crate::engine_slots().acquire().await;
    let user_id = form.user_id.trim().to_string();
    let result = crate::blocking(move || {
        let ctl = Ctl { reko: &reko, scope: &scope };
        let campaign = ctl.call("DescribeCampaign", json!({ "campaignArn": form.arn }))?;
        let (recipe, group) = campaign_context(&ctl, &campaign["campaign"])?;
        let (path, body) = runtime_request(&form, is_ranking(&recipe));
        let answer = crate::handle_runtime_or_events(&reko, &scope, path, body.to_string().as_bytes())?;
        let user = form.user_id.trim();
        let events = if user.is_empty() {
            Vec::new()
        } else {
            reko.recent_events(&scope, &group, Some(user), USER_EVENTS, USER_EVENT_ROWS).map_err(ApiError::from)?.newest
        };
        Ok((answer, events))
    })
    .await;
    let page = match result {
        Ok((answer, events)) => TryResult {
            items: item_rows(&answer),
            recommendation_id: text(&answer, "recommendationId"),
            error: None,
            user_id,
            events: events
                .into_iter()
                .map(|e| EventRow {
                    time: format_time(e.timestamp as f64),
                    item_id: e.item_id,
                    event_type: e.event_type,
                })
                .collect(),
        },
        Err(e) => TryResult {
            items: Vec::new(),
            recommendation_id: String::new(),
            error: Some(format!("{}: {}", e.code(), e.message())),
            user_id,
            events: Vec::new(),
        },
    };
    html(StatusCode::OK, &page)
}
