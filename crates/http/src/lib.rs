//! The HTTP face of Reko: one listener speaking the three Personalize protocols.
//!
//! * control plane: awsJson1_1, `POST /` with `X-Amz-Target: AmazonPersonalize.<Operation>`;
//! * runtime and events: restJson1, `POST /recommendations`, `/personalize-ranking`, `/events`, ...
//!
//! This crate only decodes, dispatches to [`reko_service::Reko`] and encodes; errors are mapped to
//! the wire once, in [`error_response`].

use std::future::Future;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use reko_api::{parse_request, ApiError, ApiResult, Service, Validate};
use reko_service::Reko;
use serde::de::DeserializeOwned;
use serde::Serialize;

mod control;

pub use control::IMPLEMENTED as IMPLEMENTED_CONTROL_PLANE_OPERATIONS;

const JSON_11: &str = "application/x-amz-json-1.1";
const JSON: &str = "application/json";

/// The router for all three services plus `/health` and the task view.
pub fn router(reko: Reko) -> Router {
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
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(reko)
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    reko: Reko,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(reko)).with_graceful_shutdown(shutdown).await
}

async fn health() -> impl IntoResponse {
    (StatusCode::OK, [("content-type", JSON)], r#"{"status":"ok"}"#)
}

/// Background tasks with their progress (a Reko extension, used by `reko tasks` and the demo).
async fn tasks(State(reko): State<Reko>) -> Response {
    let result = blocking(move || reko.list_tasks().map_err(ApiError::from)).await;
    match result {
        Ok(tasks) => json_response(StatusCode::OK, JSON, &serde_json::json!({ "tasks": tasks })),
        Err(e) => error_response(&e, Service::Control),
    }
}

async fn control_plane(State(reko): State<Reko>, headers: HeaderMap, body: Bytes) -> Response {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("");
    let operation = target.strip_prefix("AmazonPersonalize.").unwrap_or("").to_string();
    if operation.is_empty() {
        let e = ApiError::UnknownOperation(format!(
            "Missing or invalid X-Amz-Target header '{target}': expected AmazonPersonalize.<Operation>"
        ));
        return error_response(&e, Service::Control);
    }
    let op = operation.clone();
    let result = blocking(move || control::dispatch(&reko, &op, &body)).await;
    match result {
        Ok(value) => json_response(StatusCode::OK, JSON_11, &value),
        Err(e) => {
            tracing::debug!(operation = %operation, code = e.code(), "{e}");
            error_response(&e, Service::Control)
        }
    }
}

async fn get_recommendations(State(reko): State<Reko>, body: Bytes) -> Response {
    runtime_call(body, move |req| reko.get_recommendations(req)).await
}

async fn get_personalized_ranking(State(reko): State<Reko>, body: Bytes) -> Response {
    runtime_call(body, move |req| reko.get_personalized_ranking(req)).await
}

/// Decodes a runtime request and runs it on the blocking pool: concurrent requests meet there
/// and the engine scores them together (one pass over the item factors per batch).
async fn runtime_call<Req, Resp>(
    body: Bytes,
    call: impl FnOnce(Req) -> reko_service::ServiceResult<Resp> + Send + 'static,
) -> Response
where
    Req: DeserializeOwned + Validate + Send + 'static,
    Resp: Serialize + Send + 'static,
{
    let result = blocking(move || parse_request::<Req>(&body).and_then(|req| call(req).map_err(ApiError::from))).await;
    match result {
        Ok(resp) => json_response(StatusCode::OK, JSON, &resp),
        Err(e) => error_response(&e, Service::Runtime),
    }
}

async fn put_events(State(reko): State<Reko>, body: Bytes) -> Response {
    events_call(body, move |req| reko.put_events(req)).await
}

async fn put_items(State(reko): State<Reko>, body: Bytes) -> Response {
    events_call(body, move |req| reko.put_items(req)).await
}

async fn put_users(State(reko): State<Reko>, body: Bytes) -> Response {
    events_call(body, move |req| reko.put_users(req)).await
}

/// Decodes an events request and runs it off the executor (it waits for the durable commit);
/// success is a 200 with an empty body, as the events service answers.
async fn events_call<Req>(
    body: Bytes,
    call: impl FnOnce(Req) -> reko_service::ServiceResult<()> + Send + 'static,
) -> Response
where
    Req: DeserializeOwned + Validate + Send + 'static,
{
    let result = blocking(move || parse_request::<Req>(&body).and_then(|req| call(req).map_err(ApiError::from))).await;
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
