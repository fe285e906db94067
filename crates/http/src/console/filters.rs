//! The filters page of a dataset group: each filter's expression, and a test box running a
//! campaign's recommendations for a user with and without a filter, side by side.

use super::campaign::{item_rows, runtime_request, ItemRow, TryForm};
use super::*;

struct FilterRow {
    name: String,
    arn: String,
    status: String,
    expression: String,
    failure: String,
}

struct CampaignOption {
    name: String,
    arn: String,
}

#[derive(Template)]
#[template(path = "console/filters.html")]
struct FiltersPage {
    nav: Option<Nav>,
    name: String,
    arn: String,
    filters: Vec<FilterRow>,
    campaigns: Vec<CampaignOption>,
}

pub(super) async fn filters(State(console): State<Console>, headers: HeaderMap, Query(q): Query<ArnQuery>) -> Response {
    let read = move |ctl: &Ctl| {
        let g = ctl.call("DescribeDatasetGroup", json!({ "datasetGroupArn": q.arn }))?;
        let mut filters = Vec::new();
        for f in ctl.list("ListFilters", json!({ "datasetGroupArn": q.arn }), "Filters")? {
            let described = ctl.call("DescribeFilter", json!({ "filterArn": text(&f, "filterArn") }))?;
            let d = &described["filter"];
            filters.push(FilterRow {
                name: text(d, "name"),
                arn: text(d, "filterArn"),
                status: text(d, "status"),
                expression: text(d, "filterExpression"),
                failure: text(d, "failureReason"),
            });
        }
        let mut campaigns = Vec::new();
        for s in ctl.list("ListSolutions", json!({ "datasetGroupArn": q.arn }), "solutions")? {
            campaigns
                .extend(campaigns_of(ctl, &s, "")?.into_iter().map(|c| CampaignOption { name: c.name, arn: c.arn }));
        }
        Ok(FiltersPage { nav: None, name: text(&g["datasetGroup"], "name"), arn: q.arn, filters, campaigns })
    };
    match with_session(&console, &headers, read).await {
        Ok((nav, page)) => html(StatusCode::OK, &FiltersPage { nav: Some(nav), ..page }),
        Err(response) => response,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct FilterTestForm {
    csrf: String,
    campaign_arn: String,
    user_id: String,
    item_id: String,
    num_results: String,
    filter_arn: String,
    filter_values: String,
}

#[derive(Template)]
#[template(path = "console/filter_test.html")]
struct FilterTestResult {
    /// (heading, items or the service's error).
    lists: Vec<(String, Result<Vec<ItemRow>, String>)>,
}

/// Runs the same GetRecommendations without and with the filter.
pub(super) async fn filter_test(
    State(console): State<Console>,
    headers: HeaderMap,
    Form(form): Form<FilterTestForm>,
) -> Response {
    let Some((_, session)) = console.session(&headers) else { return redirect("/console/login") };
    if !session.csrf_ok(&form.csrf) {
        return csrf_refused(&session);
    }
    let (reko, scope) = (console.reko.clone(), scope_of(&session.principal));
    let _engine = crate::engine_slots().acquire().await;
    let lists = crate::blocking(move || {
        let unfiltered = TryForm {
            arn: form.campaign_arn.clone(),
            user_id: form.user_id.clone(),
            item_id: form.item_id.clone(),
            num_results: form.num_results.clone(),
            ..TryForm::default()
        };
        let filtered = TryForm {
            filter_arn: form.filter_arn.clone(),
            filter_values: form.filter_values.clone(),
            ..unfiltered.clone()
        };
        let run = |f: &TryForm| {
            let (path, body) = runtime_request(f, false);
            crate::handle_runtime_or_events(&reko, &scope, path, body.to_string().as_bytes())
                .map(|answer| item_rows(&answer))
                .map_err(|e| format!("{}: {}", e.code(), e.message()))
        };
        let name = tail(&form.filter_arn).to_string();
        Ok(vec![
            ("Without a filter".to_string(), run(&unfiltered)),
            (
                if name.is_empty() { "With no filter chosen".into() } else { format!("With filter {name}") },
                run(&filtered),
            ),
        ])
    })
    .await
    .unwrap_or_else(|e| vec![("Error".into(), Err(format!("{}: {}", e.code(), e.message())))]);
    html(StatusCode::OK, &FilterTestResult { lists })
}
