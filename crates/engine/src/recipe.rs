//! The recipe plug-in interface: [`Recipe`], its catalogue entry [`RecipeInfo`] and its
//! [`RecipeType`].
//!
//! Adding a recipe: implement [`Recipe`] (and [`FittedModel`] for what `fit` returns, and
//! [`crate::Model`] for what `load` returns) in a module under `recipes/`, then add it to the
//! table in [`crate::registry`], the only place that names every recipe.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::artifact::ModelArtifact;
use crate::error::EngineError;
use crate::evaluation::{self, Evaluation, Split};
use crate::model::{FittedModel, Model};
use crate::solution_config::TrainingConfig;
use crate::training_data::TrainingData;

// The parameter specs live in `solution_config`; re-exported where the service has always
// found them, next to the trait that declares them.
pub use crate::solution_config::{ParamKind, ParamSpec};

/// A recipe's type: what its models answer (Personalize's `recipeType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecipeType {
    /// Recommendations for a user (GetRecommendations with `userId`).
    UserPersonalization,
    /// A user's ranking of given items (GetPersonalizedRanking).
    PersonalizedRanking,
    /// Items related to an item (GetRecommendations with `itemId`).
    RelatedItems,
    /// Popular or trending items, the same for every user.
    PopularItems,
    /// Users for items (batch segment jobs).
    UserSegmentation,
    /// A user's next best actions (GetActionRecommendations).
    PersonalizedActions,
}

impl RecipeType {
    /// The wire name (`recipeType` of DescribeRecipe), e.g. `USER_PERSONALIZATION`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RecipeType::UserPersonalization => "USER_PERSONALIZATION",
            RecipeType::PersonalizedRanking => "PERSONALIZED_RANKING",
            RecipeType::RelatedItems => "RELATED_ITEMS",
            RecipeType::PopularItems => "POPULAR_ITEMS",
            RecipeType::UserSegmentation => "USER_SEGMENTATION",
            RecipeType::PersonalizedActions => "PERSONALIZED_ACTIONS",
        }
    }
}

impl std::fmt::Display for RecipeType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What ListRecipes / DescribeRecipe need to know about a recipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecipeInfo {
    /// Recipe name, e.g. `aws-popularity-count` (ARN `arn:aws:personalize:::recipe/<name>`).
    pub name: &'static str,
    /// Recipe type, e.g. [`RecipeType::PopularItems`].
    pub recipe_type: RecipeType,
    /// Human description.
    pub description: &'static str,
    /// Algorithm name (ARN `arn:aws:personalize:::algorithm/<name>`).
    pub algorithm_name: &'static str,
    /// Feature transformation name (ARN `arn:aws:personalize:::feature-transformation/<name>`).
    pub feature_transformation_name: Option<&'static str>,
    /// Whether recommendations carry scores.
    pub has_scores: bool,
}

/// A recipe plug-in.
pub trait Recipe: Send + Sync {
    /// Catalogue entry.
    fn info(&self) -> &'static RecipeInfo;
    /// Accepted `algorithmHyperParameters`.
    fn hyperparameters(&self) -> &'static [ParamSpec] {
        &[]
    }
    /// Accepted `featureTransformationParameters`.
    fn feature_transformation_parameters(&self) -> &'static [ParamSpec] {
        &[]
    }
    /// Recipe-specific validation beyond the parameter specs (default: none).
    fn validate(&self, _config: &TrainingConfig) -> Result<(), EngineError> {
        Ok(())
    }
    /// The offline evaluation of (filtered) data on `split`: its metrics and the model fitted
    /// on the split's training part. The default reports the offline ranking metrics; recipes of
    /// another type (user segmentation) use their own split and metrics.
    fn evaluate(
        &self,
        data: &TrainingData,
        config: &TrainingConfig,
        split: Split,
    ) -> Result<(Evaluation, Box<dyn FittedModel>), EngineError> {
        // The fit takes most of an evaluation, the scoring the rest.
        let fit_config = TrainingConfig { progress: config.progress.part(0.0, 0.85), ..config.clone() };
        evaluation::evaluate_split_keeping_model(
            data,
            split,
            |d| self.fit(d, &fit_config),
            &config.progress.part(0.85, 1.0),
        )
    }
    /// Hyperparameters the recipe chooses for the (filtered) `data` where `config` leaves them
    /// open (name → value; applied by [`crate::train`]), scored on
    /// [`evaluation::validation_split`], so the metrics [`crate::train`] reports come from data that
    /// took no part in the choice. The default chooses nothing.
    fn self_tune(
        &self,
        _data: &TrainingData,
        _config: &TrainingConfig,
    ) -> Result<BTreeMap<String, String>, EngineError> {
        Ok(BTreeMap::new())
    }
    /// Train on (already filtered) data.
    fn fit(&self, data: &TrainingData, config: &TrainingConfig) -> Result<Box<dyn FittedModel>, EngineError>;
    /// Whether this build can load payloads of `format_version`.
    fn supports_format_version(&self, format_version: u32) -> bool;
    /// Build a serving model from an artifact of this recipe.
    fn load(&self, artifact: &ModelArtifact) -> Result<Arc<dyn Model>, EngineError>;
    /// `trainingMode=UPDATE`: refresh a previously trained model with the current data (new
    /// users, items and interactions) without a full retrain. Recipes that cannot do that keep
    /// this default, which refuses.
    fn update(
        &self,
        _previous: &ModelArtifact,
        _data: &TrainingData,
        _config: &TrainingConfig,
    ) -> Result<Box<dyn FittedModel>, EngineError> {
        Err(EngineError::InvalidConfig(format!(
            "trainingMode UPDATE is not supported by recipe {}; use FULL.",
            self.info().name
        )))
    }
    /// Whether [`Recipe::update`] is implemented.
    fn supports_update(&self) -> bool {
        false
    }
    /// Whether the recipe honours an optimization objective ([`TrainingConfig::objective`]).
    fn supports_objective(&self) -> bool {
        false
    }
    /// Whether the recipe's recommendations explore cold items (`RecommendQuery::exploration`).
    fn supports_exploration(&self) -> bool {
        false
    }
    /// The final fit of a training run, on all (filtered) data, after the offline evaluation
    /// fitted `evaluated` on its 90% training split. Recipes whose fit is iterative may start
    /// from it instead of from scratch; the default fits afresh.
    fn fit_after_evaluation(
        &self,
        evaluated: Box<dyn FittedModel>,
        data: &TrainingData,
        config: &TrainingConfig,
    ) -> Result<Box<dyn FittedModel>, EngineError> {
        drop(evaluated);
        self.fit(data, config)
    }
}

#[cfg(test)]
mod tests {
    use super::RecipeType::*;

    #[test]
    fn recipe_types_have_their_wire_names() {
        let all = [UserPersonalization, PersonalizedRanking, RelatedItems, PopularItems, UserSegmentation];
        let names: Vec<&str> = all.iter().map(|t| t.as_str()).collect();
        assert_eq!(
            names,
            ["USER_PERSONALIZATION", "PERSONALIZED_RANKING", "RELATED_ITEMS", "POPULAR_ITEMS", "USER_SEGMENTATION"]
        );
        assert!(all.iter().all(|t| t.to_string() == t.as_str()));
    }
}
