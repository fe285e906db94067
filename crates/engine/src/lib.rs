//! reko-engine: the recommendation engine of Reko.
//!
//! * [`training_data`]: an interned, compact snapshot of Interactions / Items / Users.
//! * [`solution_config`]: the training configuration, parameter specs and event filtering.
//! * [`mod@recipe`]: the recipe plug-in interface; [`mod@recipes`]: the recipes themselves.
//! * [`registry`]: the only place naming every recipe (catalogue, loading by recipe name).
//! * [`pipeline`]: [`train`], [`update`] and [`evaluate_recipe`].
//! * [`evaluation`]: the offline evaluation split and metrics of Personalize's training runs,
//!   shared by all recipes.
//! * [`artifact`]: immutable, versioned, checksummed model files.
//! * [`model`]: fitted and serving models ([`load_model`] → [`Model`]).
//!
//! The engine knows nothing of HTTP or storage.

pub mod artifact;
pub mod error;
pub mod evaluation;
pub mod hpo;
mod memory;
pub mod model;
pub mod pipeline;
pub mod progress;
pub mod recipe;
pub mod recipes;
pub mod registry;
pub mod solution_config;
#[cfg(test)]
mod test_support;
mod top_k;
pub mod training_data;

pub use artifact::ModelArtifact;
pub use error::EngineError;
pub use model::{
    Exploration, FittedModel, HistoryEvent, Model, NewItem, ObservedEvent, RankQuery, Reason, RecommendQuery,
    ScoredItem, SegmentQuery,
};
pub use pipeline::{
    check_minimum_data, evaluate_recipe, supports_exploration, supports_update, train, update, validate_config,
    TrainedSolution, TrainingProgress,
};
pub use progress::LiveProgress;
pub use recipe::{RecipeInfo, RecipeType};
pub use registry::{
    check_artifact, decode_artifact_verified, domain_recipe, load_model, parameters, read_artifact,
    read_artifact_verified, recipe, recipes,
};
pub use solution_config::{
    event_passes, event_weight, filter_events, EventParameters, ObjectiveSensitivity, TrainingConfig,
};
pub use training_data::{TrainingData, TrainingDataBuilder, UserInteractions};
