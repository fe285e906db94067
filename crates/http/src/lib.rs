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
use reko_api::{parse_request, ApiError, ApiResult, Service, Validate};
use reko_service::Reko;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub mod auth;
mod control;
mod isolation;

pub use auth::{AccessKey, Authentication, KeyScope, KeyStore, Principal};
pub use control::IMPLEMENTED as IMPLEMENTED_CONTROL_PLANE_OPERATIONS;

/// Largest request body accepted (Personalize's largest requests, CreateSchema and PutItems, are
/// far smaller); a larger one is refused before it is read whole.
pub const MAX_REQUEST_BYTES: usize = 1 << 20;

const JSON_11: &str = "application/x-amz-json-1.1";
const JSON: &str = "application/json";

/// How the HTTP layer protects itself.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub authentication: Authentication,
    /// Requests handled at once; more are refused at once with `ThrottlingException` (HTTP 400,
    /// which the SDKs retry with backoff) instead of queueing without bound.
    pub max_in_flight: usize,
    /// Time allowed to receive a request body (a client that stalls mid-body does not hold a slot
    /// for longer).
    pub body_timeout: std::time::Duration,
}

/// Default [`HttpConfig::max_in_flight`]: enough to keep both the async workers and the blocking
/// pool busy on a small machine, small enough that a burst cannot exhaust memory (each request
/// holds at most [`MAX_REQUEST_BYTES`] of body).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 256;
/// Default [`HttpConfig::body_timeout`].
pub const DEFAULT_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl HttpConfig {
    /// The defaults with this authentication.
    pub fn new(authentication: Authentication) -> Self {
        HttpConfig { authentication, max_in_flight: DEFAULT_MAX_IN_FLIGHT, body_timeout: DEFAULT_BODY_TIMEOUT }
    }
}

/// The state of the admission middleware.
#[derive(Clone)]
struct Admission {
    authentication: Authentication,
    slots: std::sync::Arc<tokio::sync::Semaphore>,
    max_in_flight: usize,
    body_timeout: std::time::Duration,
}

/// The router for all three services plus `/health` and the task view; every request but
/// `GET /health` is admitted (in-flight limit) and authenticated first ([`authenticate`]).
pub fn router(reko: Reko, config: HttpConfig) -> Router {
    let admission = Admission {
        authentication: config.authentication,
        slots: std::sync::Arc::new(tokio::sync::Semaphore::new(config.max_in_flight.max(1))),
        max_in_flight: config.max_in_flight.max(1),
        body_timeout: config.body_timeout,
    };
    Router::new()
        .route("/", post(control_plane))
        .route("/health", get(health))
        .route("/reko/tasks", get(tasks))
        .route("/recommendations", post(get_recommendations))
        .route("/personalize-ranking", post(get_personalized_ranking))
        .route("/events", post(put_events))
        .route("/items", post(put_items))
        .route("/users", post(put_users))
        .fallback(rest_fallback)
        .layer(axum::middleware::from_fn_with_state(admission, authenticate))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(reko)
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    reko: Reko,
    config: HttpConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(reko, config)).with_graceful_shutdown(shutdown).await
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

/// Verifies the request's signature (or lets it through in `--insecure-no-auth` mode) and hands
/// the caller to the handlers as a [`Principal`] extension. Nothing of an unauthenticated request
/// reaches a handler; the body is read (at most [`MAX_REQUEST_BYTES`]) because the signature
/// covers its hash.
async fn authenticate(State(admission): State<Admission>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if request.method() == Method::GET && path == "/health" {
        return next.run(request).await;
    }
    let service = service_of(&path);
    // Admission first: a refused request costs no body read and no signature check.
    let Ok(_slot) = admission.slots.clone().try_acquire_owned() else {
        let e = ApiError::Throttling(format!(
            "Rate exceeded: {} requests are already in progress; retry with backoff.",
            admission.max_in_flight
        ));
        return error_response(&e, service);
    };
    let (parts, body) = request.into_parts();
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
    let principal = match &admission.authentication {
        Authentication::Disabled => Principal { access_key_id: String::new(), scope: KeyScope::default() },
        Authentication::SigV4(keys) => {
            let headers = parts.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
            let signed = auth::SignedRequest {
                method: parts.method.as_str(),
                path: parts.uri.path(),
                query: parts.uri.query(),
                headers,
                body: &bytes,
            };
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            match keys.verify(&signed, now) {
                Ok(p) => p,
                Err(e) => {
                    tracing::info!(path = %path, code = e.code(), "request refused: {e}");
                    return error_response(&e, service);
                }
            }
        }
    };
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

/// Background tasks with their progress (a Reko extension, used by `reko tasks` and the demo).
async fn tasks(State(reko): State<Reko>, Extension(principal): Extension<Principal>) -> Response {
    let scope = scope_of(&principal);
    let result = blocking(move || {
        let mut tasks = reko.list_tasks().map_err(ApiError::from)?;
        tasks.retain(|t| reko.visible_in(&scope, &t.resource_arn));
        Ok(tasks)
    })
    .await;
    match result {
        Ok(tasks) => json_response(StatusCode::OK, JSON, &serde_json::json!({ "tasks": tasks })),
        Err(e) => error_response(&e, Service::Control),
    }
}

/// The dataset groups the caller's key may see.
fn scope_of(principal: &Principal) -> reko_service::AccessScope {
    reko_service::AccessScope { dataset_groups: principal.scope.dataset_groups.clone() }
}

async fn control_plane(
    State(reko): State<Reko>,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("");
    let operation = target.strip_prefix("AmazonPersonalize.").unwrap_or("").to_string();
    if operation.is_empty() {
        let e = ApiError::UnknownOperation(format!(
            "Missing or invalid X-Amz-Target header '{target}': expected AmazonPersonalize.<Operation>"
        ));
        return error_response(&e, Service::Control);
    }
    let op = operation.clone();
    let scope = scope_of(&principal);
    let result = blocking(move || {
        isolation::authorize_request(&reko, &scope, Some(&op), &body)?;
        let mut response = control::dispatch(&reko, &op, &body)?;
        if op.starts_with("List") {
            isolation::filter_listing(&reko, &scope, &mut response);
        }
        Ok(response)
    })
    .await;
    match result {
        Ok(value) => json_response(StatusCode::OK, JSON_11, &value),
        Err(e) => {
            tracing::debug!(operation = %operation, code = e.code(), "{e}");
            error_response(&e, Service::Control)
        }
    }
}

async fn get_recommendations(State(reko): State<Reko>, Extension(p): Extension<Principal>, body: Bytes) -> Response {
    runtime_call(reko, p, body, |reko, req| reko.get_recommendations(req)).await
}

async fn get_personalized_ranking(
    State(reko): State<Reko>,
    Extension(p): Extension<Principal>,
    body: Bytes,
) -> Response {
    runtime_call(reko, p, body, |reko, req| reko.get_personalized_ranking(req)).await
}

/// Decodes a runtime request and runs it on the blocking pool: concurrent requests meet there
/// and the engine scores them together (one pass over the item factors per batch).
async fn runtime_call<Req, Resp>(
    reko: Reko,
    principal: Principal,
    body: Bytes,
    call: impl FnOnce(&Reko, Req) -> reko_service::ServiceResult<Resp> + Send + 'static,
) -> Response
where
    Req: DeserializeOwned + Validate + Send + 'static,
    Resp: Serialize + Send + 'static,
{
    let result = blocking(move || {
        isolation::authorize_request(&reko, &scope_of(&principal), None, &body)?;
        parse_request::<Req>(&body).and_then(|req| call(&reko, req).map_err(ApiError::from))
    })
    .await;
    match result {
        Ok(resp) => json_response(StatusCode::OK, JSON, &resp),
        Err(e) => error_response(&e, Service::Runtime),
    }
}

async fn put_events(State(reko): State<Reko>, Extension(p): Extension<Principal>, body: Bytes) -> Response {
    events_call(reko, p, body, |reko, req| reko.put_events(req)).await
}

async fn put_items(State(reko): State<Reko>, Extension(p): Extension<Principal>, body: Bytes) -> Response {
    events_call(reko, p, body, |reko, req| reko.put_items(req)).await
}

async fn put_users(State(reko): State<Reko>, Extension(p): Extension<Principal>, body: Bytes) -> Response {
    events_call(reko, p, body, |reko, req| reko.put_users(req)).await
}

/// Decodes an events request and runs it off the executor (it waits for the durable commit);
/// success is a 200 with an empty body, as the events service answers.
async fn events_call<Req>(
    reko: Reko,
    principal: Principal,
    body: Bytes,
    call: impl FnOnce(&Reko, Req) -> reko_service::ServiceResult<()> + Send + 'static,
) -> Response
where
    Req: DeserializeOwned + Validate + Send + 'static,
{
    let result = blocking(move || {
        isolation::authorize_request(&reko, &scope_of(&principal), None, &body)?;
        parse_request::<Req>(&body).and_then(|req| call(&reko, req).map_err(ApiError::from))
    })
    .await;
    match result {
        Ok(()) => with_request_id((StatusCode::OK, [("content-type", JSON)], "").into_response()),
        Err(e) => error_response(&e, Service::Events),
    }
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
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> ApiResult<T> + Send + 'static) -> ApiResult<T> {
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
/// the headers, the status per service (reference §1.3).
pub fn error_response(error: &ApiError, service: Service) -> Response {
    let status = StatusCode::from_u16(error.http_status(service)).unwrap_or(StatusCode::BAD_REQUEST);
    let content_type = if service == Service::Control { JSON_11 } else { JSON };
    let body = serde_json::json!({ "__type": error.code(), "message": error.message() });
    let mut response = (status, [("content-type", content_type)], body.to_string()).into_response();
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
