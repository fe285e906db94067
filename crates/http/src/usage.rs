//! `GET /reko/usage` and `GET /reko/usage/report` (Reko extensions, docs/usage.md): usage as
//! Personalize bills it, and the idle / over-provisioned report, for the campaigns the caller's
//! key may see; and `GET /reko/metric-attribution` (docs/compatibility.md, "Metric
//! attributions"): a metric attribution's measured values. Authenticated and scoped like
//! `GET /reko/tasks`.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::Extension;
use reko_api::{ApiError, Service};
use reko_service::usage::report::{ReportQuery, UsageQuery};
use reko_service::{AccessScope, Reko};

use crate::{blocking, error_response, json_response, scope_of, Principal, JSON};

pub(crate) async fn usage(State(reko): State<Reko>, Extension(principal): Extension<Principal>, uri: Uri) -> Response {
    answer(reko, &principal, &uri, |reko, scope, params| {
        let q = UsageQuery::from_params(&params).map_err(ApiError::InvalidInput)?;
        reko.usage(scope, &q).map_err(ApiError::from)
    })
    .await
}

pub(crate) async fn usage_report(
    State(reko): State<Reko>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Response {
    answer(reko, &principal, &uri, |reko, scope, params| {
        let q = ReportQuery::from_params(&params).map_err(ApiError::InvalidInput)?;
        reko.usage_report(scope, &q).map_err(ApiError::from)
    })
    .await
}

/// `GET /reko/metric-attribution?metricAttributionArn=ARN`.
pub(crate) async fn metric_attribution(
    State(reko): State<Reko>,
    Extension(principal): Extension<Principal>,
    uri: Uri,
) -> Response {
    answer(reko, &principal, &uri, |reko, scope, params| {
        let mut arn = None;
        for (name, value) in params {
            match name.as_str() {
                "metricAttributionArn" => arn = Some(value),
                other => return Err(ApiError::InvalidInput(format!("unknown query parameter {other}"))),
            }
        }
        let arn =
            arn.ok_or_else(|| ApiError::InvalidInput("query parameter metricAttributionArn is required".into()))?;
        reko.metric_attribution_values(scope, &arn).map_err(ApiError::from)
    })
    .await
}

/// One of these GET endpoints: the query's parameters decoded, `read` run off the async threads
/// with the caller's scope, its value as JSON or its error.
async fn answer<T: serde::Serialize + Send + 'static>(
    reko: Reko,
    principal: &Principal,
    uri: &Uri,
    read: impl FnOnce(&Reko, &AccessScope, Vec<(String, String)>) -> Result<T, ApiError> + Send + 'static,
) -> Response {
    let params = match query_params(uri.query()) {
        Ok(p) => p,
        Err(e) => return error_response(&e, Service::Control),
    };
    let scope = scope_of(principal);
    match blocking(move || read(&reko, &scope, params)).await {
        Ok(value) => json_response(StatusCode::OK, JSON, &value),
        Err(e) => error_response(&e, Service::Control),
    }
}

/// The decoded `name=value` pairs of a query string (`%XX` and `+` decoded); a parameter given
/// twice, or not valid UTF-8 once decoded, is an error naming it.
pub(crate) fn query_params(query: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name =
            decode(name).ok_or_else(|| ApiError::InvalidInput(format!("query parameter '{name}' is malformed")))?;
        let value = decode(value)
            .ok_or_else(|| ApiError::InvalidInput(format!("query parameter {name} has a malformed value '{value}'")))?;
        if out.iter().any(|(n, _)| *n == name) {
            return Err(ApiError::InvalidInput(format!("query parameter {name} is given more than once")));
        }
        out.push((name, value));
    }
    Ok(out)
}

fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_decoded_and_checked() {
        let arn = "arn%3Aaws%3Apersonalize%3Aus-east-1%3A123456789012%3Acampaign%2Fa+b";
        let params = query_params(Some(&format!("days=7&campaign={arn}"))).unwrap();
        assert_eq!(
            params,
            [
                ("days".to_string(), "7".to_string()),
                ("campaign".to_string(), "arn:aws:personalize:us-east-1:123456789012:campaign/a b".to_string())
            ]
        );
        assert!(query_params(None).unwrap().is_empty());
        assert!(query_params(Some("days=%ZZ")).unwrap_err().message().contains("days"));
        assert!(query_params(Some("days=1&days=2")).unwrap_err().message().contains("more than once"));
    }
}
