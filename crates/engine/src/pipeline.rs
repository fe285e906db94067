//! The training pipeline: validate the configuration, filter events, check the minimum data,
//! self-tune, evaluate offline ([`crate::evaluation`]), fit the final model and encode its
//! artifact ([`train`]); `trainingMode=UPDATE` ([`update`]); and a recipe's offline evaluation
//! on any split ([`evaluate_recipe`]).

use std::collections::BTreeMap;

use crate::artifact::ModelArtifact;
use crate::error::EngineError;
use crate::evaluation::{Evaluation, Split};
use crate::registry::{lookup, registry_entry};
use crate::solution_config::{filter_events, validate_for, Accepts, TrainingConfig};
use crate::training_data::TrainingData;

/// Progress report during [`train`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainingProgress {
    /// `filtering`, `evaluating`, `training` or `writing`.
    pub stage: &'static str,
    /// Overall fraction done, 0–1.
    pub fraction: f64,
}

/// Result of [`train`]: the final model (trained on all filtered data) and offline metrics.
#[derive(Debug, Clone)]
pub struct TrainedSolution {
    /// The model artifact, to be written with [`ModelArtifact::write_to`].
    pub artifact: ModelArtifact,
    /// Metric name → value (GetSolutionMetrics' keys).
    pub metrics: BTreeMap<String, f64>,
    /// Hyperparameters the training chose itself ([`crate::recipe::Recipe::self_tune`]): name → value.
    pub tuned: BTreeMap<String, String>,
}

/// Validate a solution configuration for a recipe: the recipe exists
/// ([`EngineError::UnknownRecipe`] otherwise), the configuration is one it accepts
/// ([`validate_for`]: [`EngineError::InvalidConfig`] naming the key and value otherwise), and
/// the recipe's own checks pass.
pub fn validate_config(recipe: &str, config: &TrainingConfig) -> Result<(), EngineError> {
    let r = lookup(recipe)?;
    let accepts = Accepts {
        recipe,
        hyperparameters: r.hyperparameters(),
        feature_transformation_parameters: r.feature_transformation_parameters(),
        objective: r.supports_objective(),
    };
    validate_for(accepts, config)?;
    r.validate(config)
}

/// Whether a recipe supports `trainingMode=UPDATE`.
pub fn supports_update(recipe: &str) -> bool {
    registry_entry(recipe).is_some_and(|r| r.supports_update())
}

/// Whether a recipe's recommendations explore cold items (`itemExplorationConfig`).
pub fn supports_exploration(recipe: &str) -> bool {
    registry_entry(recipe).is_some_and(|r| r.supports_exploration())
}

/// `trainingMode=UPDATE`: refresh `previous` with the current data; no offline metrics are
/// computed (as in Personalize).
pub fn update(
    recipe: &str,
    previous: &ModelArtifact,
    data: &TrainingData,
    config: &TrainingConfig,
    progress: &mut dyn FnMut(TrainingProgress),
) -> Result<ModelArtifact, EngineError> {
    let r = lookup(recipe)?;
    validate_config(recipe, config)?;
    if previous.recipe != recipe {
        return Err(EngineError::InvalidConfig(format!(
            "cannot update a {} model with recipe {recipe}",
            previous.recipe
        )));
    }
    progress(TrainingProgress { stage: "filtering", fraction: 0.0 });
    config.progress.stage("filtering", 0.0, 0.1);
    let filtered = filter_events(data, config);
    progress(TrainingProgress { stage: "updating", fraction: 0.3 });
    let updating = TrainingConfig { progress: config.progress.stage("updating", 0.1, 0.95), ..config.clone() };
    let model = r.update(previous, &filtered, &updating)?;
    progress(TrainingProgress { stage: "writing", fraction: 0.9 });
    config.progress.stage("writing", 0.95, 1.0);
    let artifact = model.to_artifact();
    config.progress.stage("writing", 1.0, 1.0);
    Ok(artifact)
}

/// Minimum interactions after filtering (docs/compatibility.md, row "Minimum data to train").
pub const MIN_INTERACTIONS: usize = 1000;
/// Minimum users with at least two interactions (docs/compatibility.md, row "Minimum data to train").
pub const MIN_USERS_WITH_TWO: usize = 25;

/// Personalize's minimum-data rule, on filtered data.
pub fn check_minimum_data(data: &TrainingData) -> Result<(), EngineError> {
    if data.num_interactions() < MIN_INTERACTIONS {
        return Err(EngineError::InsufficientData(format!(
            "Create failed. Dataset has fewer than {MIN_INTERACTIONS} interactions ({} after event filtering).",
            data.num_interactions()
        )));
    }
    if data.users_with_at_least(2) < MIN_USERS_WITH_TWO {
        return Err(EngineError::InsufficientData(format!(
            "Create failed. Dataset has fewer than {MIN_USERS_WITH_TWO} users with at least 2 interactions each."
        )));
    }
    Ok(())
}

/// Train a solution version: validate, filter events, check the minimum data, evaluate
/// offline ([`crate::evaluation`]), fit the final model on all filtered data and encode the artifact.
pub fn train(
    recipe: &str,
    data: &TrainingData,
    config: &TrainingConfig,
    progress: &mut dyn FnMut(TrainingProgress),
) -> Result<TrainedSolution, EngineError> {
    let r = lookup(recipe)?;
    validate_config(recipe, config)?;
    let live = config.progress.clone();
    // Each stage's share of the run (measured at 5M interactions: tuning a quarter, the
    // evaluation's fit and scoring three fifths, the final fit a tenth).
    let stage = |name: &'static str, from: f64, to: f64, progress: &mut dyn FnMut(TrainingProgress)| {
        progress(TrainingProgress { stage: name, fraction: from });
        live.stage(name, from, to)
    };
    stage("filtering", 0.0, 0.02, progress);
    let filtered = filter_events(data, config);
    check_minimum_data(&filtered)?;
    let part = stage("tuning", 0.02, 0.27, progress);
    let tuned = r.self_tune(&filtered, &TrainingConfig { progress: part, ..config.clone() })?;
    let mut config = config.clone();
    config.hyperparameters.extend(tuned.iter().map(|(k, v)| (k.clone(), v.clone())));
    config.progress = stage("evaluating", 0.27, 0.88, progress);
    let (evaluation, evaluated) = r.evaluate(&filtered, &config, Split::Personalize)?;
    let metrics = evaluation.metrics;
    config.progress = stage("training", 0.88, 0.99, progress);
    let model = r.fit_after_evaluation(evaluated, &filtered, &config)?;
    stage("writing", 0.99, 1.0, progress);
    let artifact = model.to_artifact();
    live.stage("writing", 1.0, 1.0);
    progress(TrainingProgress { stage: "writing", fraction: 1.0 });
    Ok(TrainedSolution { artifact, metrics, tuned })
}

/// Evaluate a registered recipe the way [`crate::train`] does, on any split: validate the
/// configuration, apply its event filtering ([`crate::filter_events`]), check the
/// minimum data ([`crate::check_minimum_data`]), cut `split`, fit the recipe on the
/// training part and score it. `data` is the unfiltered snapshot.
pub fn evaluate_recipe(
    recipe: &str,
    data: &TrainingData,
    config: &TrainingConfig,
    split: Split,
) -> Result<Evaluation, EngineError> {
    let r = lookup(recipe)?;
    validate_config(recipe, config)?;
    let filtered = filter_events(data, config);
    check_minimum_data(&filtered)?;
    Ok(r.evaluate(&filtered, config, split)?.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solution_config::EventParameters;
    use crate::test_support::synthetic;

    #[test]
    fn only_user_personalization_explores() {
        for recipe in ["aws-user-personalization", "aws-user-personalization-v2"] {
            assert!(supports_exploration(recipe), "{recipe}");
        }
        for recipe in ["aws-personalized-ranking", "aws-sims", "aws-popularity-count", "aws-trending-now", "aws-nope"] {
            assert!(!supports_exploration(recipe), "{recipe}");
        }
    }

    #[test]
    fn validation() {
        let ok = TrainingConfig::default();
        validate_config("aws-popularity-count", &ok).unwrap();
        assert!(matches!(validate_config("aws-nope", &ok), Err(EngineError::UnknownRecipe(_))));
        let mut c = ok.clone();
        c.hyperparameters.insert("hidden_dimension".into(), "64".into());
        match validate_config("aws-popularity-count", &c) {
            Err(EngineError::InvalidConfig(m)) => {
                assert!(m.contains("hidden_dimension") && m.contains("64"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        let mut c = ok.clone();
        c.event_parameters =
            vec![EventParameters { event_type: Some("click".into()), event_value_threshold: None, weight: Some(1.5) }];
        assert!(matches!(
            validate_config("aws-popularity-count", &c),
            Err(EngineError::InvalidConfig(m)) if m.contains("1.5") && m.contains("click")
        ));
    }

    #[test]
    fn minimum_data() {
        // 1000 interactions from 20 users: too few users with 2+ interactions.
        let d = synthetic(20, 50, 100);
        match train("aws-popularity-count", &d, &TrainingConfig::default(), &mut |_| {}) {
            Err(EngineError::InsufficientData(m)) => {
                assert_eq!(m, "Create failed. Dataset has fewer than 25 users with at least 2 interactions each.")
            }
            other => panic!("{other:?}"),
        }
        let d = synthetic(30, 30, 100); // 900 interactions
        assert!(matches!(
            train("aws-popularity-count", &d, &TrainingConfig::default(), &mut |_| {}),
            Err(EngineError::InsufficientData(m)) if m.contains("1000 interactions")
        ));
        // Filtering happens first.
        let d = synthetic(40, 40, 100); // 1600, 800 clicks
        let c = TrainingConfig { event_type: Some("click".into()), ..Default::default() };
        assert!(matches!(train("aws-popularity-count", &d, &c, &mut |_| {}), Err(EngineError::InsufficientData(_))));
        let mut stages = vec![];
        train("aws-popularity-count", &d, &TrainingConfig::default(), &mut |p| stages.push(p.stage)).unwrap();
        assert_eq!(stages.first(), Some(&"filtering"));
        assert_eq!(stages.last(), Some(&"writing"));
    }
}
