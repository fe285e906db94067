//! The runtime: GetRecommendations and GetPersonalizedRanking against deployed campaigns.

use std::sync::Arc;

use reko_api::{
    ApiError, GetPersonalizedRankingRequest, GetPersonalizedRankingResponse, GetRecommendationsRequest,
    GetRecommendationsResponse, PredictedItem,
};
use reko_engine::{RankQuery, Reason, RecipeType, RecommendQuery, ScoredItem};

use crate::deployment::Deployment;
use crate::error::ServiceResult;
use crate::filter::{FilterRequest, ItemMetadata};
use crate::Reko;

/// Default `numResults` of GetRecommendations.
const DEFAULT_NUM_RESULTS: usize = 25;

impl Reko {
    pub fn get_recommendations(&self, req: GetRecommendationsRequest) -> ServiceResult<GetRecommendationsResponse> {
        if let (Some(arn), None) = (req.campaign_arn.as_deref(), req.recommender_arn.as_deref()) {
            if crate::experiment::is_experiment_arn(arn) {
                let arn = arn.to_string();
                return self.experiment_recommendations(&arn, req);
            }
        }
        let started = std::time::Instant::now();
        let deployment = match (req.campaign_arn.as_deref(), req.recommender_arn.as_deref()) {
            (Some(_), Some(_)) => {
                return Err(ApiError::InvalidInput(
                    "campaignArn and recommenderArn cannot both be given; name one of them.".into(),
                )
                .into())
            }
            (None, None) => {
                return Err(ApiError::InvalidInput("Either campaignArn or recommenderArn is required.".into()).into())
            }
            (Some(campaign_arn), None) => self.deployment(campaign_arn)?,
            (None, Some(recommender_arn)) => self.recommender_for(recommender_arn, &req)?,
        };
        // Counted once the campaign serves it, failed or not (docs/usage.md).
        let result = self.recommend(&deployment, req);
        deployment.usage.record_timed(result.is_ok(), started.elapsed());
        result
    }

    /// GetRecommendations against the campaign's deployment.
    fn recommend(
        &self,
        deployment: &Deployment,
        req: GetRecommendationsRequest,
    ) -> ServiceResult<GetRecommendationsResponse> {
        let campaign_arn = deployment.campaign_arn.as_str();
        let metadata = self.metadata_columns(deployment, campaign_arn, req.metadata_columns.as_ref())?;
        // What each recipe type needs (Personalize's GetRecommendations API reference).
        match deployment.recipe_type {
            RecipeType::UserPersonalization if req.user_id.is_none() => {
                return Err(ApiError::InvalidInput(format!(
                    "userId is required: campaign {campaign_arn} serves a USER_PERSONALIZATION recipe."
                ))
                .into())
            }
            RecipeType::RelatedItems if req.item_id.is_none() => {
                return Err(ApiError::InvalidInput(format!(
                    "itemId is required: campaign {campaign_arn} serves a RELATED_ITEMS recipe."
                ))
                .into())
            }
            RecipeType::PersonalizedRanking => {
                return Err(ApiError::InvalidInput(format!(
                    "Campaign {campaign_arn} serves a PERSONALIZED_RANKING recipe; call GetPersonalizedRanking."
                ))
                .into())
            }
            RecipeType::PersonalizedActions => return Err(actions_only(campaign_arn)),
            _ => {}
        }
        let num_results = req.num_results.map(|n| n.max(0) as usize).unwrap_or(DEFAULT_NUM_RESULTS);
        let view = match (&req.user_id, deployment.recipe_type) {
            (Some(user), RecipeType::UserPersonalization) => Some(deployment.user_view(self, user)?),
            _ => None,
        };
        let user_id = view.as_ref().map(|v| v.user_id.as_str()).or(req.user_id.as_deref());
        // Items the user bought (or watched) that the domain use case never recommends.
        let dropped: std::collections::HashSet<Arc<str>> =
            match (deployment.use_case.and_then(|u| u.excluded_event_type), user_id) {
                (Some(event_type), Some(user)) => self
                    .inner
                    .live
                    .filter_history(self, &deployment.dataset_group_arn, user)?
                    .into_iter()
                    .filter(|e| e.event_type.eq_ignore_ascii_case(event_type))
                    .map(|e| e.item_id)
                    .collect(),
                _ => Default::default(),
            };
        let context = context_tokens(req.context.as_ref());
        let filter = |arn, values| FilterRequest {
            filter_arn: arn,
            values,
            dataset_group_arn: &deployment.dataset_group_arn,
            user_id,
            item_id: req.item_id.as_deref(),
        };
        let gate = match &req.filter_arn {
            Some(arn) => self.item_gate(&filter(arn, req.filter_values.as_ref()))?,
            None => None,
        };
        // The model's ranking of the items passing `allowed` (also given by item index), best first.
        let recommend_indexed = |n: usize,
                                 allowed: &dyn Fn(&str) -> bool,
                                 by_index: Option<&dyn Fn(u32) -> bool>,
                                 candidates: Option<&[u32]>| {
            // Dropped items are known by id only: the index shortcut is left out then.
            let by_index = by_index.filter(|_| dropped.is_empty());
            let candidates = candidates.filter(|_| by_index.is_some());
            let excluded_index = by_index.map(|f| move |i: u32| !f(i));
            let query = RecommendQuery {
                user_id,
                item_id: req.item_id.as_deref(),
                num_results: n,
                exclude: &|id| !allowed(id) || dropped.contains(id),
                exclude_index: excluded_index.as_ref().map(|f| f as &dyn Fn(u32) -> bool),
                candidates,
                context: &context,
                exploration: Some(deployment.exploration),
            };
            match &view {
                Some(v) if !v.events.is_empty() => deployment.model.recommend_with_history(&query, &v.events),
                _ => deployment.model.recommend(&query),
            }
        };
        let recommend = |n: usize, allowed: &dyn Fn(&str) -> bool| recommend_indexed(n, allowed, None, None);
        let Some(promotion) = req.promotions.as_ref().and_then(|p| p.first()) else {
            let items = match &gate {
                Some(g) => {
                    g.with_index(&deployment.rows, deployment.model.catalogue(), |allowed, by_index, candidates| {
                        recommend_indexed(num_results, allowed, by_index, candidates)
                    })
                }
                None => recommend(num_results, &|_| true),
            };
            return Ok(GetRecommendationsResponse {
                item_list: with_metadata(predicted(items), metadata.as_ref()),
                recommendation_id: recommendation_id(deployment),
            });
        };
        // Promotions (docs/compatibility.md, "Promotions"): a share of the slots goes to items
        // passing the promotion's filter; the request's filter applies to the other slots only.
        if deployment.recipe_type == RecipeType::PersonalizedRanking {
            return Err(ApiError::InvalidInput(
                "promotions are not supported by PERSONALIZED_RANKING campaigns.".into(),
            )
            .into());
        }
        let name = promotion.name.clone().unwrap_or_default();
        let promo_arn = promotion
            .filter_arn
            .as_deref()
            .ok_or_else(|| ApiError::InvalidInput(format!("promotions.1.filterArn is required (promotion {name}).")))?;
        let percent = promotion.percent_promoted_items.unwrap_or(0).clamp(0, 100) as usize;
        let slots = promoted_slots(num_results, percent);
        let promo_gate = self.item_gate(&filter(promo_arn, promotion.filter_values.as_ref()))?;
        let promoted = match &promo_gate {
            Some(g) => g.with(|allowed| recommend(slots, allowed)),
            None => recommend(slots, &|_| true),
        };
        let taken: std::collections::HashSet<&str> = promoted.iter().map(|i| i.item_id.as_str()).collect();
        let rest_n = num_results - promoted.len();
        let rest = match &gate {
            Some(g) => g.with(|allowed| recommend(rest_n, &|id| allowed(id) && !taken.contains(id))),
            None => recommend(rest_n, &|id| !taken.contains(id)),
        };
        let item_list = place_promoted(predicted(rest), predicted(promoted), &name, &mut rand::thread_rng());
        let item_list = with_metadata(item_list, metadata.as_ref());
        Ok(GetRecommendationsResponse { item_list, recommendation_id: recommendation_id(deployment) })
    }

    pub fn get_personalized_ranking(
        &self,
        req: GetPersonalizedRankingRequest,
    ) -> ServiceResult<GetPersonalizedRankingResponse> {
        if crate::experiment::is_experiment_arn(&req.campaign_arn) {
            let arn = req.campaign_arn.clone();
            return self.experiment_ranking(&arn, req);
        }
        let started = std::time::Instant::now();
        let deployment = self.deployment(&req.campaign_arn)?;
        let result = self.rank(&deployment, req);
        deployment.usage.record_timed(result.is_ok(), started.elapsed());
        result
    }

    /// GetPersonalizedRanking against the campaign's deployment.
    fn rank(
        &self,
        deployment: &Deployment,
        req: GetPersonalizedRankingRequest,
    ) -> ServiceResult<GetPersonalizedRankingResponse> {
        if deployment.recipe_type == RecipeType::PersonalizedActions {
            return Err(actions_only(&req.campaign_arn));
        }
        let metadata = self.metadata_columns(deployment, &req.campaign_arn, req.metadata_columns.as_ref())?;
        let context = context_tokens(req.context.as_ref());
        let view = deployment.user_view(self, &req.user_id)?;
        // A filter removes items from the input list before ranking.
        let input: Vec<String> = match &req.filter_arn {
            Some(arn) => {
                let gate = self.item_gate(&FilterRequest {
                    filter_arn: arn,
                    values: req.filter_values.as_ref(),
                    dataset_group_arn: &deployment.dataset_group_arn,
                    user_id: Some(&view.user_id),
                    item_id: None,
                })?;
                match gate {
                    Some(g) => g.with(|allowed| req.input_list.iter().filter(|i| allowed(i)).cloned().collect()),
                    None => req.input_list.clone(),
                }
            }
            None => req.input_list.clone(),
        };
        let query = RankQuery { user_id: &view.user_id, input: &input, context: &context };
        let ranked = if view.events.is_empty() {
            deployment.model.rank(&query)
        } else {
            deployment.model.rank_with_history(&query, &view.events)
        };
        Ok(GetPersonalizedRankingResponse {
            personalized_ranking: with_metadata(predicted(ranked), metadata.as_ref()),
            recommendation_id: recommendation_id(deployment),
        })
    }

    /// The `metadataColumns` of a request, checked against the campaign and the Items schema.
    fn metadata_columns(
        &self,
        deployment: &Deployment,
        campaign_arn: &str,
        requested: Option<&std::collections::BTreeMap<String, Vec<String>>>,
    ) -> ServiceResult<Option<MetadataRequest>> {
        let Some(requested) = requested.filter(|m| m.values().any(|c| !c.is_empty())) else { return Ok(None) };
        if !deployment.metadata_enabled {
            let what = if campaign_arn.contains(":recommender/") { "recommender" } else { "campaign" };
            return Err(ApiError::InvalidInput(format!(
                "metadataColumns needs a {what} with enableMetadataWithRecommendations; {what} {campaign_arn} \
                 does not return metadata."
            ))
            .into());
        }
        let mut columns: Vec<String> = Vec::new();
        for (dataset_type, cols) in requested {
            if !dataset_type.eq_ignore_ascii_case("ITEMS") {
                return Err(ApiError::InvalidInput(format!(
                    "metadataColumns key '{dataset_type}' is not supported; use ITEMS."
                ))
                .into());
            }
            columns.extend(cols.iter().cloned());
        }
        let table = self.item_metadata(&deployment.dataset_group_arn)?.ok_or_else(|| {
            ApiError::InvalidInput(format!(
                "metadataColumns: dataset group {} has no Items dataset.",
                deployment.dataset_group_arn
            ))
        })?;
        let positions = {
            let t = table.read().unwrap_or_else(|p| p.into_inner());
            columns
                .iter()
                .map(|c| {
                    t.columns.iter().position(|k| k == c).ok_or_else(|| {
                        ApiError::InvalidInput(format!(
                            "metadataColumns.ITEMS: '{c}' is not a column of the Items dataset (columns: {}).",
                            t.columns.join(", ")
                        ))
                        .into()
                    })
                })
                .collect::<ServiceResult<Vec<usize>>>()?
        };
        Ok(Some(MetadataRequest { table, columns: positions.into_iter().zip(columns).collect() }))
    }
}

/// `reason` of a promoted item, as Personalize words it.
const REASON_PROMOTED: &str = "Promoted item";

fn predicted(items: Vec<ScoredItem>) -> Vec<PredictedItem> {
    items
        .into_iter()
        .map(|i| PredictedItem {
            item_id: Some(i.item_id),
            score: i.score,
            promotion_name: None,
            metadata: None,
            reason: i.reason.map(|r| {
                vec![match r {
                    Reason::Exploration => "Exploration",
                    Reason::Popular => "Popular item",
                }
                .to_string()]
            }),
        })
        .collect()
}

/// The item columns a request wants in each `PredictedItem.metadata`.
struct MetadataRequest {
    table: Arc<std::sync::RwLock<ItemMetadata>>,
    columns: Vec<(usize, String)>,
}

fn with_metadata(mut items: Vec<PredictedItem>, request: Option<&MetadataRequest>) -> Vec<PredictedItem> {
    let Some(request) = request else { return items };
    let table = request.table.read().unwrap_or_else(|p| p.into_inner());
    let columns: Vec<(usize, &str)> = request.columns.iter().map(|(i, c)| (*i, c.as_str())).collect();
    for item in &mut items {
        if let Some(id) = &item.item_id {
            item.metadata = Some(table.values(id, &columns));
        }
    }
    items
}

/// Slots of `num_results` that go to promoted items: `percent` of them, rounded to the nearest
/// slot, at least one when the percentage is positive (Personalize does not say how it rounds).
fn promoted_slots(num_results: usize, percent: usize) -> usize {
    if num_results == 0 || percent == 0 {
        return 0;
    }
    ((num_results * percent + 50) / 100).clamp(1, num_results)
}

/// Promoted items keep their order among themselves but take random positions in the list
/// (docs/compatibility.md, "Promotions"), each tagged with the promotion's name.
fn place_promoted(
    rest: Vec<PredictedItem>,
    promoted: Vec<PredictedItem>,
    name: &str,
    rng: &mut impl rand::Rng,
) -> Vec<PredictedItem> {
    let total = rest.len() + promoted.len();
    let mut positions = rand::seq::index::sample(rng, total, promoted.len()).into_vec();
    positions.sort_unstable();
    let mut out = Vec::with_capacity(total);
    let (mut rest, mut promoted) = (rest.into_iter(), promoted.into_iter());
    let mut next = positions.into_iter().peekable();
    for slot in 0..total {
        if next.peek() == Some(&slot) {
            next.next();
            if let Some(mut p) = promoted.next() {
                p.promotion_name = Some(name.to_string());
                p.reason.get_or_insert_with(Vec::new).insert(0, REASON_PROMOTED.to_string());
                out.push(p);
            }
        } else if let Some(r) = rest.next() {
            out.push(r);
        }
    }
    out
}

/// The request's `context` map as the engine's feature tokens (`FIELD=value`), in key order.
pub(crate) fn context_tokens(context: Option<&std::collections::BTreeMap<String, String>>) -> Vec<String> {
    context.into_iter().flatten().map(|(k, v)| format!("{k}={v}")).collect()
}

/// GetRecommendations / GetPersonalizedRanking on a Next-Best-Action campaign.
fn actions_only(campaign_arn: &str) -> crate::ServiceError {
    ApiError::InvalidInput(format!(
        "Campaign {campaign_arn} serves a PERSONALIZED_ACTIONS recipe; call GetActionRecommendations."
    ))
    .into()
}

/// A new id naming the campaign or recommender that issued the recommendations
/// (crate::recommendation_id).
pub(crate) fn recommendation_id(deployment: &Deployment) -> String {
    use crate::recommendation_id::{issue, Issuer};
    let arn = deployment.campaign_arn.as_str();
    issue(if deployment.use_case.is_some() { Issuer::Recommender(arn) } else { Issuer::Campaign(arn) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn items(prefix: &str, n: usize) -> Vec<PredictedItem> {
        (0..n).map(|i| PredictedItem { item_id: Some(format!("{prefix}{i}")), ..Default::default() }).collect()
    }

    #[test]
    fn promoted_slots_round_to_the_nearest_and_keep_at_least_one() {
        assert_eq!(promoted_slots(25, 10), 3);
        assert_eq!(promoted_slots(25, 1), 1);
        assert_eq!(promoted_slots(10, 100), 10);
        assert_eq!(promoted_slots(10, 0), 0);
        assert_eq!(promoted_slots(0, 50), 0);
    }

    #[test]
    fn promoted_items_keep_their_order_at_random_positions() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let mut positions_seen = std::collections::HashSet::new();
        for _ in 0..50 {
            let out = place_promoted(items("r", 7), items("p", 3), "promo", &mut rng);
            assert_eq!(out.len(), 10);
            let promoted: Vec<&str> =
                out.iter().filter(|i| i.promotion_name.is_some()).map(|i| i.item_id.as_deref().unwrap()).collect();
            assert_eq!(promoted, ["p0", "p1", "p2"]);
            let rest: Vec<&str> =
                out.iter().filter(|i| i.promotion_name.is_none()).map(|i| i.item_id.as_deref().unwrap()).collect();
            assert_eq!(rest, ["r0", "r1", "r2", "r3", "r4", "r5", "r6"]);
            assert!(out
                .iter()
                .filter(|i| i.promotion_name.is_some())
                .all(|i| i.promotion_name.as_deref() == Some("promo")));
            positions_seen.insert(out.iter().position(|i| i.promotion_name.is_some()).unwrap());
        }
        assert!(positions_seen.len() > 2, "{positions_seen:?}");
    }
}
