//! The runtime and events services' handlers: decode strictly, authorize on the typed request,
//! call the service off the executor.

use super::*;

pub(crate) async fn get_recommendations(
    State(reko): State<Reko>,
    Extension(p): Extension<Principal>,
    body: Bytes,
) -> Response {
    let campaign = |r: &reko_api::GetRecommendationsRequest| r.campaign_arn.clone();
    let id = |r: &reko_api::GetRecommendationsResponse| r.recommendation_id.clone();
    runtime_call(reko, p, body, campaign, id, |reko, req| reko.get_recommendations(req)).await
}

pub(crate) async fn get_personalized_ranking(
    State(reko): State<Reko>,
    Extension(p): Extension<Principal>,
    body: Bytes,
) -> Response {
    let campaign = |r: &reko_api::GetPersonalizedRankingRequest| Some(r.campaign_arn.clone());
    let id = |r: &reko_api::GetPersonalizedRankingResponse| r.recommendation_id.clone();
    runtime_call(reko, p, body, campaign, id, |reko, req| reko.get_personalized_ranking(req)).await
}

pub(crate) async fn get_action_recommendations(
    State(reko): State<Reko>,
    Extension(p): Extension<Principal>,
    body: Bytes,
) -> Response {
    let campaign = |r: &reko_api::GetActionRecommendationsRequest| r.campaign_arn.clone();
    let id = |r: &reko_api::GetActionRecommendationsResponse| r.recommendation_id.clone();
    runtime_call(reko, p, body, campaign, id, |reko, req| reko.get_action_recommendations(req)).await
}

/// Decodes a runtime request and runs it on the blocking pool: concurrent requests meet there
/// and the engine scores them together (one pass over the item factors per batch).
/// `campaign` and `recommendation_id` tell the access log and the metrics which campaign was
/// called and which recommendation was answered.
async fn runtime_call<Req, Resp>(
    reko: Reko,
    principal: Principal,
    body: Bytes,
    campaign: fn(&Req) -> Option<String>,
    recommendation_id: fn(&Resp) -> String,
    call: impl FnOnce(&Reko, Req) -> reko_service::ServiceResult<Resp> + Send + 'static,
) -> Response
where
    Req: DeserializeOwned + Validate + AccessedResources + Send + 'static,
    Resp: Serialize + Send + 'static,
{
    // Recommendations are pure CPU work: running many more of them at once than there are cores
    // only time-slices them (every request slower, context switches, caches thrashed); queued in
    // arrival order instead, each one finishes about as fast as the cores allow.
    let _engine = engine_slots().acquire().await;
    let result = blocking(move || {
        let mut info = CallInfo::default();
        let result =
            authorized_call(&reko, &scope_of(&principal), &body, |req| info.campaign_arn = campaign(req), call);
        if let Some(group) = info.campaign_arn.as_deref().and_then(|arn| reko.serving_dataset_group(arn)) {
            info.campaign_deployed = true;
            info.dataset_group = Some(reko_service::metrics::name_of(&group).to_string());
        }
        info.recommendation_id = result.as_ref().ok().map(recommendation_id);
        Ok((info, result))
    })
    .await;
    let (info, result) = result.unwrap_or_else(|e| (CallInfo::default(), Err(e)));
    let mut response = match result {
        Ok(resp) => json_response(StatusCode::OK, JSON, &resp),
        Err(e) => error_response(&e, Service::Runtime),
    };
    response.extensions_mut().insert(info);
    response
}

pub(crate) async fn put_events(State(reko): State<Reko>, Extension(p): Extension<Principal>, body: Bytes) -> Response {
    let target = |r: &reko_api::PutEventsRequest| r.tracking_id.clone();
    let group = |reko: &Reko, tracking_id: &str| {
        reko.tracker_dataset_group(tracking_id).map(|arn| reko_service::metrics::name_of(&arn).to_string())
    };
    events_call(reko, p, body, target, group, |reko, req| reko.put_events(req)).await
}

/// The dataset group name in a PutItems / PutUsers dataset ARN.
fn group_of_dataset(_: &Reko, dataset_arn: &str) -> Option<String> {
    reko_service::metrics::group_of_dataset_arn(dataset_arn).map(str::to_string)
}

pub(crate) async fn put_items(State(reko): State<Reko>, Extension(p): Extension<Principal>, body: Bytes) -> Response {
    let target = |r: &reko_api::PutItemsRequest| r.dataset_arn.clone();
    events_call(reko, p, body, target, group_of_dataset, |reko, req| reko.put_items(req)).await
}

pub(crate) async fn put_users(State(reko): State<Reko>, Extension(p): Extension<Principal>, body: Bytes) -> Response {
    let target = |r: &reko_api::PutUsersRequest| r.dataset_arn.clone();
    events_call(reko, p, body, target, group_of_dataset, |reko, req| reko.put_users(req)).await
}

pub(crate) async fn put_actions(State(reko): State<Reko>, Extension(p): Extension<Principal>, body: Bytes) -> Response {
    let target = |r: &reko_api::PutActionsRequest| r.dataset_arn.clone();
    events_call(reko, p, body, target, group_of_dataset, |reko, req| reko.put_actions(req)).await
}

pub(crate) async fn put_action_interactions(
    State(reko): State<Reko>,
    Extension(p): Extension<Principal>,
    body: Bytes,
) -> Response {
    let target = |r: &reko_api::PutActionInteractionsRequest| r.tracking_id.clone();
    let group = |reko: &Reko, tracking_id: &str| {
        reko.action_tracker_dataset_group(tracking_id).map(|arn| reko_service::metrics::name_of(&arn).to_string())
    };
    events_call(reko, p, body, target, group, |reko, req| reko.put_action_interactions(req)).await
}

/// Decodes an events request and runs it off the executor (it waits for the durable commit);
/// success is a 200 with an empty body, as the events service answers.
/// `target` (the tracking id or dataset ARN) and `group` name the dataset group for the access log.
async fn events_call<Req>(
    reko: Reko,
    principal: Principal,
    body: Bytes,
    target: fn(&Req) -> String,
    group: fn(&Reko, &str) -> Option<String>,
    call: impl FnOnce(&Reko, Req) -> reko_service::ServiceResult<()> + Send + 'static,
) -> Response
where
    Req: DeserializeOwned + Validate + AccessedResources + Send + 'static,
{
    let result = blocking(move || {
        let mut sent_to = None;
        let result = authorized_call(&reko, &scope_of(&principal), &body, |req| sent_to = Some(target(req)), call);
        let info = CallInfo { dataset_group: sent_to.and_then(|t| group(&reko, &t)), ..CallInfo::default() };
        Ok((info, result))
    })
    .await;
    let (info, result) = result.unwrap_or_else(|e| (CallInfo::default(), Err(e)));
    let mut response = match result {
        Ok(()) => with_request_id((StatusCode::OK, [("content-type", JSON)], "").into_response()),
        Err(e) => error_response(&e, Service::Events),
    };
    response.extensions_mut().insert(info);
    response
}

/// Decodes a runtime or events request strictly, shows it to `inspect`, has the service
/// authorize it for the caller, and calls the service.
fn authorized_call<Req, Resp>(
    reko: &Reko,
    scope: &reko_service::AccessScope,
    body: &[u8],
    inspect: impl FnOnce(&Req),
    call: impl FnOnce(&Reko, Req) -> reko_service::ServiceResult<Resp>,
) -> ApiResult<Resp>
where
    Req: DeserializeOwned + Validate + AccessedResources,
{
    let request = parse_request::<Req>(body)?;
    inspect(&request);
    reko.authorize(scope, &request)?;
    call(reko, request).map_err(ApiError::from)
}

/// One runtime or events call without HTTP (what the handlers of those paths do after
/// authentication): the response as JSON, `null` for the events service's empty answers. For
/// the fuzz targets and tests that drive the service as a caller with a given scope.
pub fn handle_runtime_or_events(
    reko: &Reko,
    scope: &reko_service::AccessScope,
    path: &str,
    body: &[u8],
) -> ApiResult<serde_json::Value> {
    fn json<T: Serialize>(value: T) -> ApiResult<serde_json::Value> {
        serde_json::to_value(value).map_err(|e| ApiError::Internal(format!("cannot encode the response: {e}")))
    }
    match path {
        "/recommendations" => json(authorized_call(reko, scope, body, |_| {}, |r, q| r.get_recommendations(q))?),
        "/personalize-ranking" => {
            json(authorized_call(reko, scope, body, |_| {}, |r, q| r.get_personalized_ranking(q))?)
        }
        "/events" => {
            authorized_call(reko, scope, body, |_| {}, |r, q| r.put_events(q)).map(|()| serde_json::Value::Null)
        }
        "/items" => authorized_call(reko, scope, body, |_| {}, |r, q| r.put_items(q)).map(|()| serde_json::Value::Null),
        "/users" => authorized_call(reko, scope, body, |_| {}, |r, q| r.put_users(q)).map(|()| serde_json::Value::Null),
        "/action-recommendations" => {
            json(authorized_call(reko, scope, body, |_| {}, |r, q| r.get_action_recommendations(q))?)
        }
        "/actions" => {
            authorized_call(reko, scope, body, |_| {}, |r, q| r.put_actions(q)).map(|()| serde_json::Value::Null)
        }
        "/action-interactions" => authorized_call(reko, scope, body, |_| {}, |r, q| r.put_action_interactions(q))
            .map(|()| serde_json::Value::Null),
        other => Err(ApiError::UnknownOperation(format!("No operation at {other}"))),
    }
}
