//! Event collection over HTTP (docs/event-collection.md): the Segment webhook
//! (`POST /reko/collect/segment/{source}`, authenticated by the source's shared secret, not
//! SigV4) and the dead letters (`GET /reko/dead-letters`, SigV4, scoped).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Extension;
use hmac::{Hmac, Mac};
use reko_api::{ApiError, Service};
use reko_service::collect::{CollectSource, DeadLetter, DEAD_LETTERS_KEPT};
use reko_service::Reko;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{blocking, error_response, json_response, scope_of, Principal, JSON, MAX_REQUEST_BYTES};

/// The path prefix of the webhook: SigV4 does not apply under it (the source's secret does).
pub(crate) const WEBHOOK_PREFIX: &str = "/reko/collect/segment/";

/// A Segment source the webhook accepts: its mapping and its shared secret.
#[derive(Clone)]
pub struct SegmentWebhook {
    pub source: CollectSource,
    /// Signs bodies (`X-Signature`: HMAC-SHA1, hex) or is sent as `Authorization: Bearer`.
    pub shared_secret: String,
}

impl std::fmt::Debug for SegmentWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentWebhook").field("source", &self.source).field("shared_secret", &"<redacted>").finish()
    }
}

/// The webhook's sources by name.
#[derive(Clone, Default)]
pub(crate) struct Webhooks(Arc<HashMap<String, SegmentWebhook>>);

impl Webhooks {
    pub(crate) fn new(sources: &[SegmentWebhook]) -> Self {
        Webhooks(Arc::new(sources.iter().map(|s| (s.source.name.clone(), s.clone())).collect()))
    }
}

/// Whether the request carries the source's secret: a valid `X-Signature` (HMAC-SHA1 of the
/// body, hex, as Segment's webhook destination signs) or `Authorization: Bearer <secret>`
/// (Segment's Actions webhook with a custom header). Both compared in constant time.
fn authentic(headers: &HeaderMap, body: &[u8], secret: &str) -> bool {
    if let Some(signature) = headers.get("x-signature").and_then(|v| v.to_str().ok()) {
        let Ok(given) = hex::decode(signature.trim()) else { return false };
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
        mac.update(body);
        return mac.verify_slice(&given).is_ok();
    }
    let Some(token) =
        headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
    else {
        return false;
    };
    // Digests of both: equal lengths, so neither the length nor a prefix leaks.
    let (given, expected) = (Sha256::digest(token), Sha256::digest(secret.as_bytes()));
    given.iter().zip(expected.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

fn refused(status: StatusCode, code: &'static str, message: String) -> Response {
    let body = serde_json::json!({ "__type": code, "message": message });
    json_response(status, JSON, &body)
}

/// `POST /reko/collect/segment/{source}`: one Segment call or a batch; answers what became of
/// its messages (`stored`, `duplicates`, `deadLettered`). 401 without the source's secret; a
/// missing tracker or a storage failure is an error the sender retries (nothing is doubled).
pub(crate) async fn segment_webhook(
    State(reko): State<Reko>,
    Extension(webhooks): Extension<Webhooks>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let Some(webhook) = webhooks.0.get(&name).cloned() else {
        return refused(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!("No Segment source is named {name}."),
        );
    };
    let (parts, body): (_, Body) = request.into_parts();
    let bytes =
        match tokio::time::timeout(crate::DEFAULT_BODY_TIMEOUT, axum::body::to_bytes(body, MAX_REQUEST_BYTES)).await {
            Ok(Ok(b)) => b,
            Ok(Err(_)) => {
                return refused(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "InvalidInputException",
                    format!("The body is larger than {MAX_REQUEST_BYTES} bytes; send smaller batches."),
                )
            }
            Err(_) => {
                return refused(
                    StatusCode::REQUEST_TIMEOUT,
                    "InvalidInputException",
                    "The body did not arrive in time.".into(),
                )
            }
        };
    if !authentic(&parts.headers, &bytes, &webhook.shared_secret) {
        tracing::info!(source = %name, "webhook call refused: no valid X-Signature or bearer token");
        return refused(
            StatusCode::UNAUTHORIZED,
            "AccessDeniedException",
            format!("X-Signature (HMAC-SHA1 of the body) or Authorization: Bearer does not match source {name}'s shared secret."),
        );
    }
    let result = blocking(move || reko.collect(&webhook.source, &bytes, None).map_err(ApiError::from)).await;
    match result {
        Ok(outcome) => json_response(StatusCode::OK, JSON, &outcome),
        Err(e) => error_response(&e, Service::Events),
    }
}

#[derive(Deserialize)]
pub(crate) struct DeadLetterQuery {
    limit: Option<u64>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct DeadLetterView {
    id: i64,
    at: f64,
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    dataset_group_arn: Option<String>,
    reason: String,
    detail: String,
    payload: String,
}

impl From<DeadLetter> for DeadLetterView {
    fn from(l: DeadLetter) -> Self {
        DeadLetterView {
            id: l.id,
            at: l.at,
            source: l.source,
            dataset_group_arn: l.dataset_group_arn,
            reason: l.reason,
            detail: l.detail,
            payload: l.payload,
        }
    }
}

/// `GET /reko/dead-letters[?limit=N]`: the newest refused messages the caller may see.
pub(crate) async fn dead_letters(
    State(reko): State<Reko>,
    Extension(principal): Extension<Principal>,
    Query(query): Query<DeadLetterQuery>,
) -> Response {
    let limit = query.limit.unwrap_or(100);
    if !(1..=DEAD_LETTERS_KEPT).contains(&limit) {
        let e = ApiError::invalid(format!("limit must be from 1 to {DEAD_LETTERS_KEPT}, got {limit}"));
        return error_response(&e, Service::Control);
    }
    let scope = scope_of(&principal);
    match blocking(move || reko.dead_letters(&scope, limit).map_err(ApiError::from)).await {
        Ok(letters) => {
            let letters: Vec<DeadLetterView> = letters.into_iter().map(Into::into).collect();
            json_response(StatusCode::OK, JSON, &serde_json::json!({ "deadLetters": letters }))
        }
        Err(e) => error_response(&e, Service::Control),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn signed(body: &[u8], secret: &str) -> String {
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn a_signature_or_a_bearer_token_of_the_secret_is_required() {
        let body = br#"{"type":"track"}"#;
        let with = |name: &'static str, value: String| {
            let mut h = HeaderMap::new();
            h.insert(name, HeaderValue::from_str(&value).unwrap());
            h
        };
        assert!(authentic(&with("x-signature", signed(body, "s3cret")), body, "s3cret"));
        assert!(!authentic(&with("x-signature", signed(body, "other")), body, "s3cret"));
        assert!(!authentic(&with("x-signature", signed(b"{}", "s3cret")), body, "s3cret"));
        assert!(!authentic(&with("x-signature", "zz".into()), body, "s3cret"));
        assert!(authentic(&with("authorization", "Bearer s3cret".into()), body, "s3cret"));
        assert!(!authentic(&with("authorization", "Bearer s3cre".into()), body, "s3cret"));
        assert!(!authentic(&with("authorization", "Basic s3cret".into()), body, "s3cret"));
        assert!(!authentic(&HeaderMap::new(), body, "s3cret"));
    }
}
