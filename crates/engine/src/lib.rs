//! reko-engine: the recommendation engine of Reko.
//!
//! * [`training_data`]: an interned, compact snapshot of Interactions / Items / Users.
//! * [`recipe`]: the recipe plug-in interface, registry, solution configuration, event
//!   filtering and the [`train`] pipeline.
//! * [`evaluation`]: the offline evaluation split and metrics of Personalize's training runs,
//!   shared by all recipes.
//! * [`artifact`]: immutable, versioned, checksummed model files.
//! * [`model`]: serving ([`load_model`] → [`Model`]).
//!
//! The engine knows nothing of HTTP or storage.

pub mod artifact;
pub mod error;
pub mod evaluation;
pub mod hpo;
pub mod model;
pub mod progress;
pub mod recipe;
pub mod recipes;
pub mod training_data;

pub use artifact::ModelArtifact;
pub use error::EngineError;
pub use model::{
    load_model, Exploration, HistoryEvent, Model, NewItem, ObservedEvent, RankQuery, RecommendQuery, ScoredItem,
    SegmentQuery,
};
pub use progress::LiveProgress;
pub use recipe::{
    event_passes, event_weight, recipe, recipes, supports_update, train, update, validate_config, EventParameters,
    ObjectiveSensitivity, RecipeInfo, TrainedSolution, TrainingConfig, TrainingProgress,
};
pub use training_data::{TrainingData, TrainingDataBuilder, UserInteractions};
