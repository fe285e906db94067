//! The events page of a dataset group: a live tail of its newest stored interactions (htmx polls
//! the tail fragment) and its events per minute by event type.

use super::*;

/// Rows of the live tail.
const TAIL: usize = 20;
/// The newest rows read for the tail and the per-minute plot (every chunk's bytes are read, the
/// newest decoded up to this).
const EVENT_ROWS: usize = 100_000;

struct EventRow {
    time: String,
    user_id: String,
    item_id: String,
    event_type: String,
}

#[derive(Template)]
#[template(path = "console/events_tail.html")]
struct EventsTail {
    events: Vec<EventRow>,
    now: String,
}

#[derive(Template)]
#[template(path = "console/events.html")]
struct EventsPage {
    nav: Option<Nav>,
    name: String,
    arn: String,
    tail: EventsTail,
    per_minute: Plot,
    types: usize,
    rows: u64,
    event_rows: usize,
    assets: PlotAssets,
}

fn tail_of(activity: &reko_service::EventActivity) -> EventsTail {
    EventsTail {
        events: activity
            .newest
            .iter()
            .map(|e| EventRow {
                time: format_time(e.timestamp as f64),
                user_id: e.user_id.clone(),
                item_id: e.item_id.clone(),
                event_type: e.event_type.clone(),
            })
            .collect(),
        now: format_time(reko_service::resource::now()),
    }
}

pub(super) async fn events(State(console): State<Console>, headers: HeaderMap, Query(q): Query<ArnQuery>) -> Response {
    let read = move |ctl: &Ctl| {
        let g = ctl.call("DescribeDatasetGroup", json!({ "datasetGroupArn": q.arn }))?;
        let a = ctl.reko.recent_events(ctl.scope, &q.arn, None, TAIL, EVENT_ROWS).map_err(ApiError::from)?;
        let mut columns = vec![json!(a.minutes)];
        let mut labels = vec!["minute (UTC)"];
        for (event_type, counts) in &a.per_type {
            columns.push(json!(counts));
            labels.push(if event_type.is_empty() { "(no event type)" } else { event_type });
        }
        Ok(EventsPage {
            nav: None,
            name: text(&g["datasetGroup"], "name"),
            tail: tail_of(&a),
            per_minute: Plot::new(&columns, &labels),
            types: a.per_type.len(),
            rows: a.rows,
            event_rows: EVENT_ROWS,
            arn: q.arn,
            assets: plot_assets(),
        })
    };
    match with_session(&console, &headers, read).await {
        Ok((nav, page)) => html(StatusCode::OK, &EventsPage { nav: Some(nav), ..page }),
        Err(response) => response,
    }
}

/// The tail alone, which the page polls.
pub(super) async fn events_tail(
    State(console): State<Console>,
    headers: HeaderMap,
    Query(q): Query<ArnQuery>,
) -> Response {
    let read =
        move |ctl: &Ctl| ctl.reko.recent_events(ctl.scope, &q.arn, None, TAIL, EVENT_ROWS).map_err(ApiError::from);
    match with_session(&console, &headers, read).await {
        Ok((_, activity)) => html(StatusCode::OK, &tail_of(&activity)),
        Err(response) => response,
    }
}
