//! The campaign page and its try-it form.

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
    recipe: String,
    group_name: String,
    group_arn: String,
    ranking: bool,
    filters: Vec<FilterOption>,
}

/// The campaign's solution's recipe and dataset group.
fn campaign_context(ctl: &Ctl, campaign: &Value) -> ApiResult<(String, String)> {
    let version =
        ctl.call("DescribeSolutionVersion", json!({ "solutionVersionArn": text(campaign, "solutionVersionArn") }))?;
    let solution_arn = text(&version["solutionVersion"], "solutionArn");
    let solution = ctl.call("DescribeSolution", json!({ "solutionArn": solution_arn }))?;
    Ok((text(&solution["solution"], "recipeArn"), text(&solution["solution"], "datasetGroupArn")))
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
        let (recipe, group_arn) = campaign_context(ctl, c)?;
        let group = ctl.call("DescribeDatasetGroup", json!({ "datasetGroupArn": group_arn }))?;
        let filters = ctl
            .list("ListFilters", json!({ "datasetGroupArn": group_arn }), "Filters")?
            .iter()
            .map(|f| FilterOption { name: text(f, "name"), arn: text(f, "filterArn") })
            .collect();
        Ok(CampaignPage {
            nav: None,
            name: text(c, "name"),
            status: text(c, "status"),
            min_tps: text(c, "minProvisionedTPS"),
            solution_version: text(c, "solutionVersionArn"),
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

#[derive(Deserialize, Default)]
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
}

struct ItemRow {
    item_id: String,
    score: String,
}

#[derive(Template)]
#[template(path = "console/try_result.html")]
struct TryResult {
    items: Vec<ItemRow>,
    recommendation_id: String,
    error: Option<String>,
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
    let result = crate::blocking(move || {
        let ctl = Ctl { reko: &reko, scope: &scope };
        let campaign = ctl.call("DescribeCampaign", json!({ "campaignArn": form.arn }))?;
        let (recipe, _) = campaign_context(&ctl, &campaign["campaign"])?;
        let (path, body) = runtime_request(&form, is_ranking(&recipe));
        crate::handle_runtime_or_events(&reko, &scope, path, body.to_string().as_bytes())
    })
    .await;
    let page = match result {
        Ok(answer) => TryResult {
            items: answer["itemList"]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .map(|i| ItemRow {
                            item_id: text(i, "itemId"),
                            score: i["score"].as_f64().map(|s| format!("{s:.6}")).unwrap_or_default(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            recommendation_id: text(&answer, "recommendationId"),
            error: None,
        },
        Err(e) => TryResult {
            items: Vec::new(),
            recommendation_id: String::new(),
            error: Some(format!("{}: {}", e.code(), e.message())),
        },
    };
    html(StatusCode::OK, &page)
}
