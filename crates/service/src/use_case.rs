//! The domain use cases (recipes `aws-ecomm-*`, `aws-vod-*`) and how each maps to one of Reko's
//! engine recipes: the events it trains on, what GetRecommendations must name, the items it
//! drops for the user, how often it retrains. The table is also docs/compatibility.md's
//! "Recommenders" mapping.

use reko_dataset::Domain;
use reko_engine::RecipeType;

/// Retraining cadence of most use cases (Personalize: weekly).
pub(crate) const WEEKLY_SECS: f64 = 7.0 * 86_400.0;
/// Refresh cadence of the personalised ones (Personalize: every 2 hours).
pub(crate) const TWO_HOURS_SECS: f64 = 2.0 * 3_600.0;

/// A domain use case.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct UseCase {
    /// Recipe name (`arn:aws:personalize:::recipe/<name>`).
    pub name: &'static str,
    pub domain: Domain,
    /// What it answers (DescribeRecipe's `recipeType`).
    pub recipe_type: RecipeType,
    pub description: &'static str,
    /// The engine recipe that trains it.
    pub engine_recipe: &'static str,
    /// Only events of this type train it (`None`: every event).
    pub event_type: Option<&'static str>,
    /// GetRecommendations needs a `userId` / an `itemId`.
    pub user_required: bool,
    pub item_required: bool,
    /// Items the user had events of this type on are dropped from their recommendations.
    pub excluded_event_type: Option<&'static str>,
    /// Seconds between automatic retrainings.
    pub retrain_every_secs: f64,
}

const fn use_case(
    name: &'static str,
    domain: Domain,
    recipe_type: RecipeType,
    description: &'static str,
    engine_recipe: &'static str,
) -> UseCase {
    UseCase {
        name,
        domain,
        recipe_type,
        description,
        engine_recipe,
        event_type: None,
        user_required: true,
        item_required: false,
        excluded_event_type: None,
        retrain_every_secs: WEEKLY_SECS,
    }
}

use Domain::{Ecommerce, VideoOnDemand};
use RecipeType::{PopularItems, RelatedItems, UserPersonalization};

/// Every use case, in ListRecipes order.
pub(crate) const USE_CASES: &[UseCase] = &[
    UseCase {
        event_type: Some("View"),
        item_required: true,
        excluded_event_type: Some("Purchase"),
        ..use_case(
            "aws-ecomm-customers-who-viewed-x-also-viewed",
            Ecommerce,
            RelatedItems,
            "Items viewed by the customers who viewed the given item.",
            "aws-sims",
        )
    },
    UseCase {
        event_type: Some("Purchase"),
        user_required: false,
        item_required: true,
        ..use_case(
            "aws-ecomm-frequently-bought-together",
            Ecommerce,
            RelatedItems,
            "Items frequently bought together with the given item.",
            "aws-ecomm-frequently-bought-together",
        )
    },
    UseCase {
        event_type: Some("Purchase"),
        ..use_case(
            "aws-ecomm-popular-items-by-purchases",
            Ecommerce,
            PopularItems,
            "Best sellers: the most purchased items.",
            "aws-popularity-count",
        )
    },
    UseCase {
        event_type: Some("View"),
        ..use_case(
            "aws-ecomm-popular-items-by-views",
            Ecommerce,
            PopularItems,
            "Most viewed: the most viewed items.",
            "aws-popularity-count",
        )
    },
    UseCase {
        excluded_event_type: Some("Purchase"),
        retrain_every_secs: TWO_HOURS_SECS,
        ..use_case(
            "aws-ecomm-recommended-for-you",
            Ecommerce,
            UserPersonalization,
            "Recommended for you: items for the user, from their views and purchases.",
            "aws-user-personalization",
        )
    },
    UseCase {
        event_type: Some("Watch"),
        item_required: true,
        excluded_event_type: Some("Watch"),
        ..use_case(
            "aws-vod-because-you-watched-x",
            VideoOnDemand,
            RelatedItems,
            "Videos watched by the viewers who watched the given video.",
            "aws-sims",
        )
    },
    UseCase {
        item_required: true,
        excluded_event_type: Some("Watch"),
        ..use_case(
            "aws-vod-more-like-x",
            VideoOnDemand,
            RelatedItems,
            "Videos like the given one, from co-interactions and video metadata.",
            "aws-similar-items",
        )
    },
    UseCase {
        event_type: Some("Watch"),
        ..use_case(
            "aws-vod-most-popular",
            VideoOnDemand,
            PopularItems,
            "Most popular: the most watched videos.",
            "aws-popularity-count",
        )
    },
    UseCase {
        excluded_event_type: Some("Watch"),
        retrain_every_secs: TWO_HOURS_SECS,
        ..use_case(
            "aws-vod-top-picks",
            VideoOnDemand,
            UserPersonalization,
            "Top picks for you: videos for the user, from their interactions.",
            "aws-user-personalization",
        )
    },
    UseCase {
        user_required: false,
        ..use_case(
            "aws-vod-trending-now",
            VideoOnDemand,
            PopularItems,
            "Trending now: the videos whose popularity grows fastest.",
            "aws-trending-now",
        )
    },
];

/// The use case named `name`.
pub(crate) fn by_name(name: &str) -> Option<&'static UseCase> {
    USE_CASES.iter().find(|u| u.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_use_case_trains_with_a_recipe_of_the_engine() {
        assert_eq!(USE_CASES.len(), 10);
        for u in USE_CASES {
            let engine = reko_engine::recipe(u.engine_recipe).or_else(|| reko_engine::domain_recipe(u.engine_recipe));
            let engine = engine.unwrap_or_else(|| panic!("{} trains with unknown {}", u.name, u.engine_recipe));
            assert_eq!(engine.recipe_type, u.recipe_type, "{}", u.name);
            let prefix = match u.domain {
                Domain::Ecommerce => "aws-ecomm-",
                Domain::VideoOnDemand => "aws-vod-",
            };
            assert!(u.name.starts_with(prefix), "{}", u.name);
            // Related items always need the item; the `-x` names say so too.
            assert_eq!(u.item_required, u.recipe_type == RelatedItems, "{}", u.name);
        }
        assert!(by_name("aws-ecomm-frequently-bought-together").is_some_and(|u| !u.user_required));
        assert!(by_name("aws-sims").is_none());
    }
}
