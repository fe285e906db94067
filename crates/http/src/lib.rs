//! The HTTP face of Reko: one listener speaking the three Personalize protocols.
//!
//! * control plane: awsJson1_1, `POST /` with `X-Amz-Target: AmazonPersonalize.<Operation>`;
//! * runtime and events: restJson1, `POST /recommendations`, `/personalize-ranking`, `/events`, ...
//!
//! This crate only decodes, dispatches to [`reko_service::Reko`] and encodes; errors are mapped to
//! the wire once, in [`error_response`].

use std::future::Future;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use reko_api::{parse_request, AccessedResources, ApiError, ApiResult, Service, Validate};
use reko_service::Reko;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub mod auth;
mod collect;
pub mod console;
mod control;
mod data_plane;
mod observe;
mod usage;
mod worker;

pub use auth::{AccessKey, Authentication, KeyScope, KeyStore, Principal};
pub use collect::SegmentWebhook;
pub use console::ConsoleConfig;
pub use control::{handle_control_plane, handle_extension, IMPLEMENTED as IMPLEMENTED_CONTROL_PLANE_OPERATIONS};
pub use data_plane::handle_runtime_or_events;
pub use observe::{install_recorder, MetricsEndpoint, ACCESS_LOG_TARGET};

use data_plane::{
    get_action_recommendations, get_personalized_ranking, get_recommendations, put_action_interactions, put_actions,
    put_events, put_items, put_users,
};
use observe::{CallInfo, ErrorCode};

/// Largest request body accepted (Personalize's largest requests, CreateSchema and PutItems, are
/// far smaller); a larger one is refused before it is read whole.
pub const MAX_REQUEST_BYTES: usize = 1 << 20;

const JSON_11: &str = "application/x-amz-json-1.1";
const JSON: &str = "application/json";

/// How the HTTP layer protects itself.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub authentication: Authentication,
    /// Requests handled at once once their signature is verified; more are refused at once with
    /// `ThrottlingException` (HTTP 400, which the SDKs retry with backoff) instead of queueing
    /// without bound. A quarter of it (at least 1) bounds the requests whose headers passed but
    /// whose body, hence signature, is still to come ([`unverified_budget`]).
    pub max_in_flight: usize,
    /// Time allowed to receive a request body (a client that stalls mid-body does not hold the
    /// unverified budget for longer).
    pub body_timeout: std::time::Duration,
    /// Time allowed to send a request's headers (also the idle time of a kept-alive connection):
    /// a connection that stalls before its headers end is closed.
    pub header_timeout: std::time::Duration,
    /// `GET /metrics` (not SigV4-authenticated); `None`: not served.
    pub metrics: Option<MetricsEndpoint>,
    /// The web console at `/console` (its own login, not SigV4); `None`: not served (404).
    pub console: Option<ConsoleConfig>,
    /// Segment sources of the webhook (`POST /reko/collect/segment/{source}`, authenticated by
    /// each source's shared secret instead of SigV4; docs/event-collection.md).
    pub segment_webhooks: Vec<SegmentWebhook>,
    /// Whether the API (Personalize's services, Reko's extensions, the console) is served. A
    /// worker process (`--role worker`) serves only `/health`, `/ready` and `/metrics`, and 404
    /// with a message naming its role on every other path.
    pub api: bool,
    /// Raised when shutdown begins ([`serve`] raises it); from then on `/ready` answers 503.
    pub draining: Draining,
    /// Time [`serve`] still accepts and serves after shutdown begins, `/ready` answering 503, so
    /// that a load balancer polling `/ready` stops routing here before the listener closes.
    pub shutdown_delay: std::time::Duration,
}

/// Whether the server is shutting down: a load balancer polling `/ready` then stops routing to it
/// while its in-flight requests finish.
#[derive(Debug, Clone, Default)]
pub struct Draining(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Draining {
    pub fn start(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Default [`HttpConfig::max_in_flight`]: enough to keep both the async workers and the blocking
/// pool busy on a small machine, small enough that a burst cannot exhaust memory (each request
/// holds at most [`MAX_REQUEST_BYTES`] of body).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 256;
/// Default [`HttpConfig::body_timeout`].
pub const DEFAULT_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Default [`HttpConfig::header_timeout`].
pub const DEFAULT_HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl HttpConfig {
    /// The defaults with this authentication.
    pub fn new(authentication: Authentication) -> Self {
        HttpConfig {
            authentication,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            metrics: None,
            console: None,
            segment_webhooks: Vec::new(),
            api: true,
            draining: Draining::default(),
            shutdown_delay: std::time::Duration::ZERO,
        }
    }
}

/// Requests that may wait for their body at once, for `max_in_flight` verified slots: smaller,
/// so that callers who cannot sign cannot crowd out those who can.
pub fn unverified_budget(max_in_flight: usize) -> usize {
    (max_in_flight / 4).max(1)
}

/// The state of the admission middleware.
#[derive(Clone)]
struct Admission {
    authentication: Authentication,
    /// Requests with a verified signature, being handled.
    slots: std::sync::Arc<tokio::sync::Semaphore>,
    max_in_flight: usize,
    /// Requests whose headers passed, waiting for their body (signature not yet verified).
    unverified: std::sync::Arc<tokio::sync::Semaphore>,
    max_unverified: usize,
    body_timeout: std::time::Duration,
    /// Whether `/console` is served (its paths skip SigV4; without it they are 404).
    console: bool,
}

impl Admission {
    fn new(config: &HttpConfig) -> Self {
        let max_in_flight = config.max_in_flight.max(1);
        let max_unverified = unverified_budget(max_in_flight);
        Admission {
            authentication: config.authentication.clone(),
            slots: std::sync::Arc::new(tokio::sync::Semaphore::new(max_in_flight)),
            max_in_flight,
            unverified: std::sync::Arc::new(tokio::sync::Semaphore::new(max_unverified)),
            max_unverified,
            body_timeout: config.body_timeout,
            console: config.console.is_some(),
        }
    }
}

/// The router for all three services plus `/health`, `/ready`, `/metrics`, the task view and the
/// console; every request but `GET /health`, `GET /ready`, `GET /metrics` and `/console` paths (the
/// console has its own login, [`console`]) is authenticated and admitted first ([`authenticate`]),
/// and every one but the first three is counted and logged ([`observe::observe`]).
pub fn router(reko: Reko, config: HttpConfig) -> Router {
    if !config.api {
        return worker::router(reko, config);
    }
    let mut router = Router::new();
    if let Some(endpoint) = config.metrics.clone() {
        let (reko, endpoint) = (reko.clone(), std::sync::Arc::new(endpoint));
        router = router.route(
            "/metrics",
            get(move |headers: HeaderMap| observe::metrics_endpoint(reko.clone(), endpoint.clone(), headers)),
        );
    }
    if let Some(console) = config.console.clone() {
        router = router.merge(console::routes(reko.clone(), config.authentication.clone(), console));
    }
    router
        .route("/", post(control_plane))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/reko/tasks", get(tasks))
        .route("/reko/usage", get(usage::usage))
        .route("/reko/usage/report", get(usage::usage_report))
        .route("/reko/metric-attribution", get(usage::metric_attribution))
        .route("/reko/dead-letters", get(collect::dead_letters))
        .route("/reko/collect/segment/{source}", post(collect::segment_webhook))
        .route("/recommendations", post(get_recommendations))
        .route("/personalize-ranking", post(get_personalized_ranking))
        .route("/events", post(put_events))
        .route("/items", post(put_items))
        .route("/users", post(put_users))
        .route("/action-recommendations", post(get_action_recommendations))
        .route("/actions", post(put_actions))
        .route("/action-interactions", post(put_action_interactions))
        .fallback(rest_fallback)
        .layer(axum::middleware::from_fn_with_state(Admission::new(&config), authenticate))
        .layer(axum::middleware::from_fn_with_state(observe::Observer::new(), observe::observe))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(Extension(collect::Webhooks::new(&config.segment_webhooks)))
        .layer(Extension(config.draining.clone()))
        .with_state(reko)
}

/// Serves until `shutdown` resolves, then drains: `/ready` answers 503 from then on, requests are
/// still accepted and served for [`HttpConfig::shutdown_delay`], then the listener closes (new
/// connections are refused), idle kept-alive connections close, and each in-flight request
/// finishes, its response saying `Connection: close`; returns once every connection has closed.
/// Connections are served here rather than by `axum::serve` because it sets no header read
/// deadline.
pub async fn serve(
    listener: tokio::net::TcpListener,
    reko: Reko,
    config: HttpConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (draining, delay) = (config.draining.clone(), config.shutdown_delay);
    let mut connections = Connections {
        app: router(reko, config.clone()),
        header_timeout: config.header_timeout,
        stop: tokio::sync::watch::channel(()),
        open: tokio::task::JoinSet::new(),
    };
    connections.accept_until(&listener, shutdown).await;
    draining.start();
    if !delay.is_zero() {
        tracing::info!(
            delay_secs = delay.as_secs_f64(),
            "draining: /ready answers 503, still serving until the delay ends"
        );
        connections.accept_until(&listener, tokio::time::sleep(delay)).await;
    }
    drop(listener);
    // Tell every connection to finish its request and close; stalled ones end at their deadlines.
    let Connections { stop: (stop_tx, stop_rx), mut open, .. } = connections;
    drop(stop_rx);
    let _ = stop_tx.send(());
    while open.join_next().await.is_some() {}
    Ok(())
}

/// The connections [`serve`] has accepted, and what it serves them with.
struct Connections {
    app: Router,
    header_timeout: std::time::Duration,
    /// Sent to once, when the connections are to finish their request and close.
    stop: (tokio::sync::watch::Sender<()>, tokio::sync::watch::Receiver<()>),
    open: tokio::task::JoinSet<()>,
}

impl Connections {
    /// Accepts and serves connections until `until` resolves.
    async fn accept_until(&mut self, listener: &tokio::net::TcpListener, until: impl Future<Output = ()>) {
        let mut until = std::pin::pin!(until);
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!("accepting a connection failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    }
                },
                () = &mut until => return,
            };
            self.spawn(stream);
            // Reap finished connections so the set stays as large as the open ones.
            while self.open.try_join_next().is_some() {}
        }
    }

    fn spawn(&mut self, stream: tokio::net::TcpStream) {
        let service = hyper_util::service::TowerToHyperService::new(self.app.clone());
        let (mut stop, header_timeout) = (self.stop.1.clone(), self.header_timeout);
        self.open.spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(header_timeout);
            let mut conn = std::pin::pin!(builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service));
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!("connection closed: {e}");
                    }
                    return;
                }
                _ = stop.changed() => conn.as_mut().graceful_shutdown(),
            }
            let _ = conn.await;
        });
    }
}

/// The service a path belongs to, for the status of errors raised before dispatch.
fn service_of(path: &str) -> Service {
    if path == "/" {
        Service::Control
    } else if reko_api::events_operation_for_path(path).is_some() {
        Service::Events
    } else {
        Service::Runtime
    }
}

/// Whether a key limited to runtime use may call this path: the runtime and events services.
fn is_runtime_path(path: &str) -> bool {
    reko_api::runtime_operation_for_path(path).is_some() || reko_api::events_operation_for_path(path).is_some()
}

/// How long the body of a request refused before its body is read is still taken in and dropped.
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(1);

/// Reads and drops, in the background, what a refused request still sends of its body (at most
/// [`MAX_REQUEST_BYTES`], for at most [`DRAIN_TIME`]): a connection closed with unread data is
/// reset, and a client still sending would see the reset instead of the answer. Holds no slot
/// and no memory beyond one chunk. Not for a client waiting for `100 Continue`: it sends nothing
/// unless asked, and reading would ask.
fn drain(mut body: Body, headers: &HeaderMap) {
    use axum::body::HttpBody;
    let expects_continue =
        headers.get(axum::http::header::EXPECT).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if expects_continue {
        return;
    }
    tokio::spawn(tokio::time::timeout(DRAIN_TIME, async move {
        let mut seen = 0;
        while let Some(Ok(frame)) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
            seen += frame.data_ref().map_or(0, |d| d.len());
            if seen > MAX_REQUEST_BYTES {
                break;
            }
        }
    }));
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Authenticates and admits a request, cheapest check first, and hands the caller to the
/// handlers as a [`Principal`] extension; nothing of an unauthenticated request reaches a handler.
///
/// 1. The headers: everything verifiable without the body (a well-formed `Authorization`, a known
///    key, the scope, the date). A request failing it is answered at once: no slot, no body read.
/// 2. The unverified budget ([`unverified_budget`]): the body is read (at most
///    [`MAX_REQUEST_BYTES`], within the body deadline), since the signature covers its hash.
/// 3. The signature; only then a request slot (`max_in_flight`).
///
/// In `--insecure-no-auth` mode every request passes steps 1 and 3 as a root caller.
///
/// `/console` paths skip all of it when the console is served (its pages check their session
/// cookie and CSRF tokens themselves, [`console`]) and are 404 when it is not.
async fn authenticate(State(admission): State<Admission>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if request.method() == Method::GET && (path == "/health" || path == "/ready" || path == "/metrics") {
        return next.run(request).await;
    }
    // The console authenticates its own pages (session cookie, CSRF tokens); nothing else skips
    // SigV4. Without the console its paths are not found, signed or not.
    // The webhook authenticates by its source's shared secret (and reads its body itself,
    // bounded in size and time).
    if request.method() == Method::POST && path.starts_with(collect::WEBHOOK_PREFIX) {
        // Unsigned bodies: bounded by the unverified budget, as SigV4 requests are before their check.
        let Ok(_unverified) = admission.unverified.clone().try_acquire_owned() else {
            metrics::counter!(reko_service::metrics::REQUESTS_THROTTLED, "reason" => "unverified").increment(1);
            let e = ApiError::Throttling(format!(
                "Rate exceeded: {} requests are already waiting for their body to arrive; retry with backoff.",
                admission.max_unverified
            ));
            return error_response(&e, Service::Events);
        };
        return next.run(request).await;
    }
    if console::is_console_path(&path) {
        if admission.console {
            return next.run(request).await;
        }
        return (StatusCode::NOT_FOUND, "Not found").into_response();
    }
    let service = service_of(&path);
    let refused = |e: &ApiError| {
        tracing::info!(path = %path, code = e.code(), "request refused: {e}");
        error_response(e, service)
    };
    let (parts, body) = request.into_parts();
    let head = auth::RequestHead {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: parts.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect(),
    };
    let checked = match &admission.authentication {
        Authentication::Disabled => None,
        Authentication::SigV4(keys) => match keys.check_headers(&head, unix_now()) {
            Ok(checked) => Some(checked),
            Err(e) => {
                drain(body, &parts.headers);
                return refused(&e);
            }
        },
    };
    let Ok(unverified) = admission.unverified.clone().try_acquire_owned() else {
        metrics::counter!(reko_service::metrics::REQUESTS_THROTTLED, "reason" => "unverified").increment(1);
        drain(body, &parts.headers);
        let e = ApiError::Throttling(format!(
            "Rate exceeded: {} requests are already waiting for their body to arrive; retry with backoff.",
            admission.max_unverified
        ));
        return error_response(&e, service);
    };
    let bytes = match tokio::time::timeout(admission.body_timeout, axum::body::to_bytes(body, MAX_REQUEST_BYTES)).await
    {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => {
            let e = ApiError::invalid(format!("The request body is larger than {MAX_REQUEST_BYTES} bytes."));
            return error_response(&e, service);
        }
        Err(_) => {
            let e = ApiError::invalid(format!(
                "The request body was not received within {} s.",
                admission.body_timeout.as_secs()
            ));
            return error_response(&e, service);
        }
    };
    let principal = match checked {
        None => Principal { access_key_id: String::new(), scope: KeyScope::default() },
        Some(checked) => match checked.verify_body(&head, &bytes) {
            Ok(p) => p,
            Err(e) => return refused(&e),
        },
    };
    drop(head);
    let Ok(_slot) = admission.slots.clone().try_acquire_owned() else {
        metrics::counter!(reko_service::metrics::REQUESTS_THROTTLED, "reason" => "in_flight").increment(1);
        let e = ApiError::Throttling(format!(
            "Rate exceeded: {} requests are already in progress; retry with backoff.",
            admission.max_in_flight
        ));
        return error_response(&e, service);
    };
    drop(unverified);
    if principal.scope.runtime_only && !is_runtime_path(&path) {
        let e = ApiError::AccessDenied(format!(
            "Access key {} may only call GetRecommendations, GetPersonalizedRanking and the events service.",
            principal.access_key_id
        ));
        return error_response(&e, service);
    }
    let mut request = Request::from_parts(parts, Body::from(bytes));
    request.extensions_mut().insert(principal);
    next.run(request).await
}

async fn health() -> impl IntoResponse {
    (StatusCode::OK, [("content-type", JSON)], r#"{"status":"ok"}"#)
}

/// Readiness (for a load balancer or a Kubernetes readiness probe): 503 while the campaigns that
/// were ACTIVE at start-up are still loading, 200 once none is, 503 again once shutdown begins.
/// `/health` says the process is up.
async fn ready(State(reko): State<Reko>, Extension(draining): Extension<Draining>) -> Response {
    if draining.is_draining() {
        (StatusCode::SERVICE_UNAVAILABLE, [("content-type", JSON)], r#"{"status":"shutting down"}"#).into_response()
    } else if reko.is_ready() {
        (StatusCode::OK, [("content-type", JSON)], r#"{"status":"ready"}"#).into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, [("content-type", JSON)], r#"{"status":"warming up"}"#).into_response()
    }
}

/// Background tasks with their progress (a Reko extension, used by `reko tasks` and the demo).
async fn tasks(State(reko): State<Reko>, Extension(principal): Extension<Principal>) -> Response {
    let scope = scope_of(&principal);
    let result = blocking(move || reko.list_tasks_in(&scope).map_err(ApiError::from)).await;
    match result {
        Ok(tasks) => json_response(StatusCode::OK, JSON, &serde_json::json!({ "tasks": tasks })),
        Err(e) => error_response(&e, Service::Control),
    }
}

/// The dataset groups the caller's key may see, and where its jobs may read and write.
pub(crate) fn scope_of(principal: &Principal) -> reko_service::AccessScope {
    reko_service::AccessScope {
        dataset_groups: principal.scope.dataset_groups.clone(),
        data_roots: principal.scope.data_roots.clone(),
        s3_roles: principal.scope.s3_roles.clone(),
    }
}

async fn control_plane(
    State(reko): State<Reko>,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("");
    // Personalize's operations, or Reko's extension (docs/experiments.md).
    let (operation, extension) = match target.strip_prefix("AmazonPersonalize.") {
        Some(op) => (op.to_string(), false),
        None => (target.strip_prefix(reko_api::experiment::EXTENSION_TARGET_PREFIX).unwrap_or("").to_string(), true),
    };
    if operation.is_empty() {
        let e = ApiError::UnknownOperation(format!(
            "Missing or invalid X-Amz-Target header '{target}': expected AmazonPersonalize.<Operation> (or \
             Reko.<Operation> for Reko's extension)"
        ));
        return error_response(&e, Service::Control);
    }
    // For the access log: the dataset group the request names, if any.
    #[derive(serde::Deserialize)]
    struct Named {
        #[serde(rename = "datasetGroupArn")]
        dataset_group_arn: Option<String>,
    }
    let named = serde_json::from_slice::<Named>(&body).ok().and_then(|n| n.dataset_group_arn);
    let info = CallInfo {
        dataset_group: named.as_deref().map(|arn| reko_service::metrics::name_of(arn).to_string()),
        ..CallInfo::default()
    };
    let op = operation.clone();
    let scope = scope_of(&principal);
    let result = blocking(move || {
        if extension {
            control::handle_extension(&reko, &scope, &op, &body)
        } else {
            control::handle_control_plane(&reko, &scope, &op, &body)
        }
    })
    .await;
    let mut response = match result {
        Ok(value) => json_response(StatusCode::OK, JSON_11, &value),
        Err(e) => {
            tracing::debug!(operation = %operation, code = e.code(), "{e}");
            error_response(&e, Service::Control)
        }
    };
    response.extensions_mut().insert(info);
    response
}

/// Paths of the runtime and events services that Reko does not serve yet, and unknown paths.
async fn rest_fallback(uri: Uri) -> Response {
    let path = uri.path();
    if let Some(op) = reko_api::runtime_operation_for_path(path) {
        return error_response(&ApiError::NotImplemented(op.to_string()), Service::Runtime);
    }
    if let Some(op) = reko_api::events_operation_for_path(path) {
        return error_response(&ApiError::NotImplemented(op.to_string()), Service::Events);
    }
    error_response(&ApiError::UnknownOperation(format!("No operation at {path}")), Service::Runtime)
}

/// Runs blocking service work (SQLite, file I/O) off the async executor.
/// Runtime calls (GetRecommendations, GetPersonalizedRanking) computing at once: two per core.
/// Unbounded, 64 concurrent requests on 2 cores had a p99 of 20–24 ms; 4 per core 9–12 ms, 2 per
/// core 8.1–8.8 ms at 5% less throughput, 1 per core 10–12 ms with idle cores (BENCHMARKS.md,
/// "Serving right after ACTIVE").
pub(crate) fn engine_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| tokio::sync::Semaphore::new(2 * std::thread::available_parallelism().map_or(2, |n| n.get())))
}

pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> ApiResult<T> + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(ApiError::Internal(format!("request handler failed: {e}"))))
}

fn json_response<T: Serialize>(status: StatusCode, content_type: &'static str, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => with_request_id((status, [("content-type", content_type)], body).into_response()),
        Err(e) => error_response(&ApiError::Internal(format!("cannot encode the response: {e}")), Service::Control),
    }
}

/// The one place errors become HTTP: `__type` and `message` in the body, `x-amzn-ErrorType` in
/// the headers, the status per service (`ApiError::http_status`).
pub fn error_response(error: &ApiError, service: Service) -> Response {
    let status = StatusCode::from_u16(error.http_status(service)).unwrap_or(StatusCode::BAD_REQUEST);
    let content_type = if service == Service::Control { JSON_11 } else { JSON };
    let body = serde_json::json!({ "__type": error.code(), "message": error.message() });
    let mut response = (status, [("content-type", content_type)], body.to_string()).into_response();
    response.extensions_mut().insert(ErrorCode(error.code()));
    if let Ok(v) = HeaderValue::from_str(error.code()) {
        response.headers_mut().insert("x-amzn-errortype", v);
    }
    with_request_id(response)
}

fn with_request_id(mut response: Response) -> Response {
    if let Ok(v) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        response.headers_mut().insert("x-amzn-requestid", v);
    }
    response
}

#[cfg(test)]
mod tests;
