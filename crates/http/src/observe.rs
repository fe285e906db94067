//! Per-request observation: the request series of [`reko_service::metrics`] and the access log
//! (one `tracing` event per request, target `reko::access`), recorded by one middleware around
//! admission so that refused requests are counted and logged too; and `GET /metrics`.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use reko_service::metrics as m;
use reko_service::Reko;

/// The access log's `tracing` target.
pub const ACCESS_LOG_TARGET: &str = "reko::access";

/// Latency buckets (seconds) of the request histograms: a cached recommendation to a slow
/// control-plane write.
const REQUEST_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Buckets (seconds) of task and model load durations: a second to hours of training.
const TASK_BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 14400.0];

/// `GET /metrics`: the recorder's handle and the optional bearer token scrapes must present.
#[derive(Clone)]
pub struct MetricsEndpoint {
    pub handle: PrometheusHandle,
    pub bearer_token: Option<String>,
}

impl std::fmt::Debug for MetricsEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let token = self.bearer_token.as_ref().map(|_| "<redacted>");
        f.debug_struct("MetricsEndpoint").field("bearer_token", &token).finish_non_exhaustive()
    }
}

/// Builds the Prometheus recorder (histograms with buckets, no listener of its own) and
/// installs it as the process's `metrics` recorder. Call once, before [`crate::serve`]; the
/// caller runs [`PrometheusHandle::run_upkeep`] now and then (histogram samples are otherwise
/// only drained by scrapes).
pub fn install_recorder() -> Result<PrometheusHandle, String> {
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(m::REQUEST_DURATION.into()), REQUEST_BUCKETS)
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full(m::CAMPAIGN_REQUEST_DURATION.into()), REQUEST_BUCKETS))
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full(m::TASK_DURATION.into()), TASK_BUCKETS))
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full(m::MODEL_LOAD_DURATION.into()), TASK_BUCKETS))
        .map_err(|e| e.to_string())?;
    let handle = builder.install_recorder().map_err(|e| e.to_string())?;
    m::describe();
    Ok(handle)
}

/// What a handler learnt about its call, for the access log and the per-campaign series; put in
/// the response's extensions.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallInfo {
    /// `campaignArn` of a runtime request, as sent.
    pub campaign_arn: Option<String>,
    /// Whether that campaign's model is loaded for serving (only then is it a metrics label).
    pub campaign_deployed: bool,
    /// The dataset group name, where known.
    pub dataset_group: Option<String>,
    pub recommendation_id: Option<String>,
}

/// The error code of an error response (set by [`crate::error_response`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErrorCode(pub &'static str);

/// The handles of one operation's hot series, resolved on its first request.
struct OperationSeries {
    succeeded: Counter,
    latency: Histogram,
}

/// The state of [`observe`].
pub(crate) struct Observer {
    operations: HashMap<&'static str, OnceLock<OperationSeries>>,
    /// Resolved once: looking a series up by name costs a hash and a lock per request.
    in_flight: OnceLock<metrics::Gauge>,
    /// Per operation, then deployed campaign name (looked up without allocating).
    campaigns: RwLock<HashMap<&'static str, HashMap<String, Histogram>>>,
}

/// The operation label of requests that name no known operation.
const UNKNOWN: &str = "Unknown";
/// The operation label of `GET /reko/tasks`.
const LIST_TASKS: &str = "RekoListTasks";
/// The operation label of `GET /reko/usage`.
const GET_USAGE: &str = "RekoGetUsage";
/// The operation label of `GET /reko/usage/report`.
const GET_USAGE_REPORT: &str = "RekoGetUsageReport";
/// The operation label of `GET /reko/metric-attribution`.
const GET_METRIC_ATTRIBUTION: &str = "RekoGetMetricAttribution";
/// The operation label of `GET /reko/dead-letters`.
const LIST_DEAD_LETTERS: &str = "RekoListDeadLetters";
/// The operation label of the Segment webhook.
const COLLECT_SEGMENT: &str = "RekoCollectSegment";
/// The operation label of every `/console` request (docs/console.md).
const CONSOLE: &str = "RekoConsole";

impl Observer {
    pub(crate) fn new() -> Arc<Observer> {
        let names = reko_api::CONTROL_PLANE_OPERATIONS
            .iter()
            .copied()
            .chain(reko_api::RUNTIME_OPERATIONS.iter().map(|(op, _)| *op))
            .chain(reko_api::EVENTS_OPERATIONS.iter().map(|(op, _)| *op))
            .chain([LIST_TASKS, LIST_DEAD_LETTERS, COLLECT_SEGMENT, UNKNOWN]);
        Arc::new(Observer {
            operations: names.map(|n| (n, OnceLock::new())).collect(),
            in_flight: OnceLock::new(),
            campaigns: RwLock::new(HashMap::new()),
        })
    }

    fn series(&self, operation: &'static str) -> Option<&OperationSeries> {
        let cell = self.operations.get(operation)?;
        Some(cell.get_or_init(|| OperationSeries {
            succeeded: metrics::counter!(m::REQUESTS, "operation" => operation, "status" => "200", "code" => "none"),
            latency: metrics::histogram!(m::REQUEST_DURATION, "operation" => operation),
        }))
    }

    fn campaign_latency(&self, operation: &'static str, campaign: &str, seconds: f64) {
        let known = self.campaigns.read().unwrap_or_else(|p| p.into_inner());
        if let Some(h) = known.get(operation).and_then(|by_name| by_name.get(campaign)) {
            h.record(seconds);
            return;
        }
        drop(known);
        let mut map = self.campaigns.write().unwrap_or_else(|p| p.into_inner());
        let h = map.entry(operation).or_default().entry(campaign.to_string()).or_insert_with(|| {
            metrics::histogram!(m::CAMPAIGN_REQUEST_DURATION, "operation" => operation, "campaign" => campaign.to_string())
        });
        h.record(seconds);
    }

    /// Records one answered request and writes its access log line.
    fn finish(&self, operation: &'static str, elapsed: Duration, response: &Response) {
        let status = response.status().as_u16();
        let code = response.extensions().get::<ErrorCode>().map(|c| c.0);
        let info = response.extensions().get::<CallInfo>();
        let seconds = elapsed.as_secs_f64();
        match (code, self.series(operation)) {
            (None, Some(series)) if status == 200 => series.succeeded.increment(1),
            _ => metrics::counter!(m::REQUESTS, "operation" => operation, "status" => status_label(status),
                "code" => code.unwrap_or("none"))
            .increment(1),
        }
        if let Some(series) = self.series(operation) {
            series.latency.record(seconds);
        }
        let campaign = info.and_then(|i| i.campaign_arn.as_deref()).map(m::name_of);
        if let (Some(campaign), Some(true)) = (campaign, info.map(|i| i.campaign_deployed)) {
            self.campaign_latency(operation, campaign, seconds);
        }
        let request_id = response.headers().get("x-amzn-requestid").and_then(|v| v.to_str().ok());
        tracing::info!(
            target: ACCESS_LOG_TARGET,
            operation,
            campaign,
            dataset_group = info.and_then(|i| i.dataset_group.as_deref()),
            status,
            error_code = code,
            latency_ms = (seconds * 1e6).round() / 1e3,
            request_id,
            recommendation_id = info.and_then(|i| i.recommendation_id.as_deref()),
            "request"
        );
    }
}

/// The operation a request calls, as a static label: the control plane's `X-Amz-Target` (only
/// Personalize's operation names, or the experiment extension's under `Reko.`), the runtime's and
/// events' paths, or [`UNKNOWN`].
fn operation_of(method: &Method, path: &str, headers: &HeaderMap) -> &'static str {
    if path == "/" {
        let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("");
        if let Some(name) = target.strip_prefix(reko_api::experiment::EXTENSION_TARGET_PREFIX) {
            let ops = reko_api::experiment::EXTENSION_OPERATIONS;
            return ops.binary_search(&name).map_or(UNKNOWN, |i| ops[i]);
        }
        let name = target.strip_prefix("AmazonPersonalize.").unwrap_or("");
        return reko_api::CONTROL_PLANE_OPERATIONS
            .binary_search(&name)
            .map_or(UNKNOWN, |i| reko_api::CONTROL_PLANE_OPERATIONS[i]);
    }
    if crate::console::is_console_path(path) {
        return CONSOLE;
    }
    if method == Method::GET {
        match path {
            "/reko/tasks" => return LIST_TASKS,
            "/reko/usage" => return GET_USAGE,
            "/reko/usage/report" => return GET_USAGE_REPORT,
            "/reko/metric-attribution" => return GET_METRIC_ATTRIBUTION,
            "/reko/dead-letters" => return LIST_DEAD_LETTERS,
            _ => {}
        }
    }
    if method == Method::POST && path.starts_with(crate::collect::WEBHOOK_PREFIX) {
        return COLLECT_SEGMENT;
    }
    reko_api::runtime_operation_for_path(path).or_else(|| reko_api::events_operation_for_path(path)).unwrap_or(UNKNOWN)
}

/// An HTTP status as a static label.
fn status_label(status: u16) -> &'static str {
    match status {
        200 => "200",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        408 => "408",
        409 => "409",
        413 => "413",
        415 => "415",
        429 => "429",
        500 => "500",
        501 => "501",
        503 => "503",
        s if s < 300 => "2xx",
        s if s < 500 => "4xx",
        _ => "5xx",
    }
}

/// Counts a request in flight until dropped (also when the connection goes away mid-request).
struct InFlight(metrics::Gauge);

impl InFlight {
    fn enter(observer: &Observer) -> InFlight {
        let gauge = observer.in_flight.get_or_init(|| metrics::gauge!(m::REQUESTS_IN_FLIGHT)).clone();
        gauge.increment(1.0);
        InFlight(gauge)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

/// The middleware: times every request but the probes (`GET /health`, `GET /metrics`), counts
/// it, and logs it.
pub(crate) async fn observe(State(observer): State<Arc<Observer>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if request.method() == Method::GET && (path == "/health" || path == "/ready" || path == "/metrics") {
        return next.run(request).await;
    }
    let operation = operation_of(request.method(), path, request.headers());
    let started = Instant::now();
    let in_flight = InFlight::enter(&observer);
    let response = next.run(request).await;
    drop(in_flight);
    observer.finish(operation, started.elapsed(), &response);
    response
}

/// Whether `headers` carry `Authorization: Bearer <token>` (compared in constant time).
fn has_bearer(headers: &HeaderMap, token: &str) -> bool {
    let Some(given) = headers.get(axum::http::header::AUTHORIZATION).map(HeaderValue::as_bytes) else {
        return false;
    };
    let Some(given) = given.strip_prefix(b"Bearer ") else { return false };
    let expected = token.as_bytes();
    given.len() == expected.len() && given.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// `GET /metrics`: the text exposition, after the scrape-time gauges are refreshed. Not SigV4
/// signed (Prometheus cannot sign); with a bearer token configured, a scrape without it gets 401.
pub(crate) async fn metrics_endpoint(reko: Reko, endpoint: Arc<MetricsEndpoint>, headers: HeaderMap) -> Response {
    if let Some(token) = &endpoint.bearer_token {
        if !has_bearer(&headers, token) {
            return (StatusCode::UNAUTHORIZED, [("www-authenticate", "Bearer")], "a bearer token is required\n")
                .into_response();
        }
    }
    let rendered = tokio::task::spawn_blocking(move || {
        reko.record_gauges();
        endpoint.handle.render()
    })
    .await;
    match rendered {
        Ok(text) => {
            (StatusCode::OK, [("content-type", "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_static_and_bounded() {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-target", HeaderValue::from_static("AmazonPersonalize.CreateCampaign"));
        assert_eq!(operation_of(&Method::POST, "/", &headers), "CreateCampaign");
        headers.insert("x-amz-target", HeaderValue::from_static("AmazonPersonalize.Whatever123"));
        assert_eq!(operation_of(&Method::POST, "/", &headers), UNKNOWN);
        // Reko's experiment extension: its own names, under its own prefix only.
        headers.insert("x-amz-target", HeaderValue::from_static("Reko.GetExperimentResults"));
        assert_eq!(operation_of(&Method::POST, "/", &headers), "GetExperimentResults");
        headers.insert("x-amz-target", HeaderValue::from_static("Reko.CreateCampaign"));
        assert_eq!(operation_of(&Method::POST, "/", &headers), UNKNOWN);
        headers.insert("x-amz-target", HeaderValue::from_static("AmazonPersonalize.CreateExperiment"));
        assert_eq!(operation_of(&Method::POST, "/", &headers), UNKNOWN);
        assert_eq!(operation_of(&Method::POST, "/recommendations", &HeaderMap::new()), "GetRecommendations");
        assert_eq!(operation_of(&Method::POST, "/events", &HeaderMap::new()), "PutEvents");
        assert_eq!(operation_of(&Method::POST, "/no/such/path", &HeaderMap::new()), UNKNOWN);
        assert_eq!(operation_of(&Method::GET, "/console/group", &HeaderMap::new()), CONSOLE);
        assert_eq!(operation_of(&Method::GET, "/reko/tasks", &HeaderMap::new()), LIST_TASKS);
        assert_eq!(operation_of(&Method::GET, "/reko/usage", &HeaderMap::new()), GET_USAGE);
        assert_eq!(operation_of(&Method::GET, "/reko/usage/report", &HeaderMap::new()), GET_USAGE_REPORT);
        assert_eq!(operation_of(&Method::GET, "/reko/metric-attribution", &HeaderMap::new()), GET_METRIC_ATTRIBUTION);
        assert_eq!(operation_of(&Method::GET, "/reko/dead-letters", &HeaderMap::new()), LIST_DEAD_LETTERS);
        assert_eq!(operation_of(&Method::POST, "/reko/collect/segment/web", &HeaderMap::new()), COLLECT_SEGMENT);
        let observer = Observer::new();
        assert!(observer.series("GetPersonalizedRanking").is_some() && observer.series(UNKNOWN).is_some());
    }

    #[test]
    fn bearer_tokens_must_match_exactly() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert("authorization", HeaderValue::from_static(v));
            h
        };
        assert!(has_bearer(&with("Bearer s3cret"), "s3cret"));
        assert!(!has_bearer(&with("Bearer s3cre"), "s3cret"));
        assert!(!has_bearer(&with("Bearer s3cretx"), "s3cret"));
        assert!(!has_bearer(&with("Basic s3cret"), "s3cret"));
        assert!(!has_bearer(&HeaderMap::new(), "s3cret"));
    }

    #[test]
    fn statuses_are_bounded_labels() {
        assert_eq!(status_label(404), "404");
        assert_eq!(status_label(418), "4xx");
        assert_eq!(status_label(599), "5xx");
    }
}
