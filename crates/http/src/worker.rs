//! The listener of a worker process (`reko serve --role worker`, docs/cluster.md): it runs tasks,
//! not the API, so it serves only what operators and orchestrators probe.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use reko_service::Reko;

use crate::{health, observe, ready, HttpConfig, JSON};

/// What a worker answers on any other path: 404, saying where the API is.
pub(crate) const NOT_SERVED: &str = "This Reko process runs with --role worker: it runs background tasks and serves \
     only /health, /ready and /metrics. Send API requests to a process with --role api or all.";

/// `/health`, `/ready`, `/metrics` (when recorded) and a 404 naming the role for everything else.
pub(crate) fn router(reko: Reko, config: HttpConfig) -> Router {
    let draining = config.draining.clone();
    let mut router = Router::new().route("/health", get(health)).route("/ready", get(ready));
    if let Some(endpoint) = config.metrics {
        let (reko, endpoint) = (reko.clone(), std::sync::Arc::new(endpoint));
        router = router.route(
            "/metrics",
            get(move |headers: HeaderMap| observe::metrics_endpoint(reko.clone(), endpoint.clone(), headers)),
        );
    }
    router.fallback(not_served).layer(axum::Extension(draining)).with_state(reko)
}

async fn not_served() -> Response {
    let body = serde_json::json!({ "__type": "NotFoundException", "message": NOT_SERVED });
    (StatusCode::NOT_FOUND, [("content-type", JSON)], body.to_string()).into_response()
}
