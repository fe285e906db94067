//! Applying a scoped key's dataset groups to a request ([`reko_service::AccessScope`]): the
//! resources a request names (its `…Arn` fields at any depth and `trackingId`) must be in the
//! key's groups, or the request answers as if they did not exist; List responses leave other
//! groups' resources out.

use reko_api::{ApiError, ApiResult};
use reko_service::{AccessScope, Reko};
use serde_json::Value;

/// ARN fields that name account-level things (no dataset group) or no resource at all.
const UNSCOPED_ARN_FIELDS: [&str; 5] = ["schemaArn", "recipeArn", "roleArn", "kmsKeyArn", "algorithmArn"];

fn scoped_arns(object: &serde_json::Map<String, Value>) -> impl Iterator<Item = &str> {
    object
        .iter()
        .filter(|(k, _)| k.ends_with("Arn") && !UNSCOPED_ARN_FIELDS.contains(&k.as_str()))
        .filter_map(|(_, v)| v.as_str())
}

/// Every ARN a request names, at any depth (e.g. `promotions[].filterArn`).
fn nested_arns<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(object) => {
            out.extend(scoped_arns(object));
            object.values().for_each(|v| nested_arns(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| nested_arns(v, out)),
        _ => {}
    }
}

/// Checks the resources a request names against the scope (before the handler runs). A body
/// that is not a JSON object is left to the handler's own decoding error.
pub(crate) fn authorize_request(
    reko: &Reko,
    scope: &AccessScope,
    operation: Option<&str>,
    body: &[u8],
) -> ApiResult<()> {
    if scope.is_unrestricted() {
        return Ok(());
    }
    let Ok(document) = serde_json::from_slice::<Value>(body) else { return Ok(()) };
    let Value::Object(request) = &document else { return Ok(()) };
    if operation == Some("CreateDatasetGroup") {
        let name = request.get("name").and_then(Value::as_str).unwrap_or_default();
        if !reko.may_create_dataset_group(scope, name) {
            return Err(ApiError::AccessDenied(format!(
                "This access key is limited to other dataset groups and cannot create dataset group '{name}'."
            )));
        }
    }
    let mut arns = Vec::new();
    nested_arns(&document, &mut arns);
    for arn in arns {
        reko.authorize_arn(scope, arn)?;
    }
    if let Some(tracking_id) = request.get("trackingId").and_then(Value::as_str) {
        reko.authorize_tracking_id(scope, tracking_id)?;
    }
    Ok(())
}

/// Leaves out of a List response the resources of groups outside the scope.
pub(crate) fn filter_listing(reko: &Reko, scope: &AccessScope, response: &mut Value) {
    if scope.is_unrestricted() {
        return;
    }
    let Some(fields) = response.as_object_mut() else { return };
    for value in fields.values_mut() {
        if let Some(items) = value.as_array_mut() {
            items.retain(|item| match item.as_object() {
                Some(item) => scoped_arns(item).all(|arn| reko.visible_in(scope, arn)),
                None => true,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_are_found_at_any_depth_except_account_level_ones() {
        let doc = serde_json::json!({
            "campaignArn": "arn:c",
            "promotions": [{"name": "p", "filterArn": "arn:f"}],
            "jobInput": {"s3DataSource": {"path": "s3://b/k", "kmsKeyArn": "arn:kms"}},
            "roleArn": "arn:role",
            "solutionConfig": {"nested": {"datasetGroupArn": "arn:g"}},
        });
        let mut arns = Vec::new();
        nested_arns(&doc, &mut arns);
        arns.sort_unstable();
        assert_eq!(arns, ["arn:c", "arn:f", "arn:g"]);
    }
}
