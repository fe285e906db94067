//! Recipes: the plug-in interface, the registry, solution configuration, event filtering and
//! the training pipeline (filter → minimum-data check → offline evaluation → final fit →
//! artifact).
//!
//! Adding a recipe: implement [`Recipe`] (and [`FittedModel`] for what `fit` returns, and
//! [`crate::Model`] for what `load` returns) in a module under `recipes/`, then add it to
//! `REGISTRY` and `RECIPE_INFOS` below.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::artifact::ModelArtifact;
use crate::error::EngineError;
use crate::evaluation::{self, Evaluation, Split};
use crate::model::Model;
use crate::progress::LiveProgress;
use crate::recipes::popularity_count::{self, PopularityCount};
use crate::recipes::user_personalization as up;
use crate::recipes::{item_affinity, similar_items, sims, trending_now};
use crate::training_data::{TrainingData, UserInteractions};

/// What ListRecipes / DescribeRecipe need to know about a recipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecipeInfo {
    /// Recipe name, e.g. `aws-popularity-count` (ARN `arn:aws:personalize:::recipe/<name>`).
    pub name: &'static str,
    /// Recipe type, e.g. `POPULAR_ITEMS`.
    pub recipe_type: &'static str,
    /// Human description.
    pub description: &'static str,
    /// Algorithm name (ARN `arn:aws:personalize:::algorithm/<name>`).
    pub algorithm_name: &'static str,
    /// Feature transformation name (ARN `arn:aws:personalize:::feature-transformation/<name>`).
    pub feature_transformation_name: Option<&'static str>,
    /// Whether recommendations carry scores.
    pub has_scores: bool,
}

/// Kind and range of a hyperparameter (ranges inclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamKind {
    /// Integer in `[min, max]`.
    Int { min: i64, max: i64 },
    /// Float in `[min, max]`.
    Float { min: f64, max: f64 },
    /// `true` / `false` (lower case).
    Bool,
    /// One of the listed strings.
    Categorical(&'static [&'static str]),
}

/// A hyperparameter a recipe accepts (`solutionConfig.algorithmHyperParameters`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamSpec {
    /// Key in the string map.
    pub name: &'static str,
    /// Kind and range.
    pub kind: ParamKind,
    /// Default value, as a string.
    pub default: &'static str,
}

/// Per-event-type settings of `solutionConfig.eventsConfig.eventParametersList`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventParameters {
    /// Event type this entry applies to. `None` (a Reko reading of an optional field): the
    /// entry applies to every event type not named by another entry, including events
    /// without a type.
    pub event_type: Option<String>,
    /// Keep only events of this type with EVENT_VALUE >= threshold.
    pub event_value_threshold: Option<f64>,
    /// Relative importance, 0–1 (default 1).
    pub weight: Option<f64>,
}

/// The parts of a solution configuration the engine uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainingConfig {
    /// `CreateSolution.eventType`: train only on this event type.
    pub event_type: Option<String>,
    /// `solutionConfig.eventValueThreshold`: keep EVENT_VALUE >= threshold.
    pub event_value_threshold: Option<f64>,
    /// `solutionConfig.eventsConfig.eventParametersList`.
    pub event_parameters: Vec<EventParameters>,
    /// `solutionConfig.algorithmHyperParameters`.
    pub hyperparameters: BTreeMap<String, String>,
    /// `solutionConfig.featureTransformationParameters`.
    pub feature_transformation_parameters: BTreeMap<String, String>,
    /// `solutionConfig.optimizationObjective.objectiveSensitivity`: how much the item values the
    /// snapshot carries ([`TrainingData::item_objective_values`]) weigh against relevance.
    pub objective: Option<ObjectiveSensitivity>,
    /// Where the run is, for whoever follows it ([`train`] moves it through its stages; fits and
    /// evaluations move it within them). Not configuration: ignored by comparisons.
    pub progress: LiveProgress,
}

/// `ObjectiveSensitivity`: the weight of an optimization objective against relevance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectiveSensitivity {
    /// Relevance only; the objective is still measured (`average_rewards_at_k`).
    Off,
    Low,
    Medium,
    High,
}

impl ObjectiveSensitivity {
    /// The wire names, in order of weight.
    pub const NAMES: [(&'static str, ObjectiveSensitivity); 4] = [
        ("OFF", ObjectiveSensitivity::Off),
        ("LOW", ObjectiveSensitivity::Low),
        ("MEDIUM", ObjectiveSensitivity::Medium),
        ("HIGH", ObjectiveSensitivity::High),
    ];

    /// The sensitivity a wire name means (`None` for an unknown one).
    pub fn from_name(name: &str) -> Option<ObjectiveSensitivity> {
        Self::NAMES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }

    /// How many spreads of a user's relevance logits one standard deviation of the item value
    /// is worth: HIGH moves an item one spread per standard deviation, enough to reorder a top 25.
    pub fn weight(self) -> f32 {
        match self {
            ObjectiveSensitivity::Off => 0.0,
            ObjectiveSensitivity::Low => 0.25,
            ObjectiveSensitivity::Medium => 0.5,
            ObjectiveSensitivity::High => 1.0,
        }
    }
}

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
    /// Hyperparameters the training chose itself ([`Recipe::self_tune`]): name → value.
    pub tuned: BTreeMap<String, String>,
}

/// A model fresh from [`Recipe::fit`], working in the snapshot's index space; used by offline
/// evaluation and serialised into an artifact.
pub trait FittedModel: Send + Sync {
    /// Top-`n` item indices for `user`, whose (training) history is `history`.
    fn recommend_indices(&self, user: u32, history: UserInteractions<'_>, n: usize, out: &mut Vec<u32>);
    /// [`Self::recommend_indices`] for several users at once (offline evaluation scores every
    /// test user): `requests[j] = (user, history, n)`, answers in `out[j]`. Models that score the
    /// whole catalogue per user override it to stream the item matrix once per batch.
    fn recommend_indices_batch(&self, requests: &[(u32, UserInteractions<'_>, usize)], out: &mut [Vec<u32>]) {
        for (&(user, history, n), o) in requests.iter().zip(out.iter_mut()) {
            o.clear();
            self.recommend_indices(user, history, n, o);
        }
    }
    /// Called before `users` users are scored: a model may build an index that pays off over
    /// that many users.
    fn prepare_for(&self, _users: usize) {}
    /// Serialise into an artifact.
    fn to_artifact(&self) -> ModelArtifact;
    /// The concrete model, so its recipe can warm-start from it ([`Recipe::fit_after_evaluation`]).
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any>;
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
    /// open (name → value; applied by [`train`]), scored on
    /// [`evaluation::validation_split`], so the metrics [`train`] reports come from data that
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

/// Whether a recipe supports `trainingMode=UPDATE`.
pub fn supports_update(recipe: &str) -> bool {
    registry_entry(recipe).is_some_and(|r| r.supports_update())
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

static REGISTRY: &[&dyn Recipe] = &[
    &PopularityCount,
    &up::USER_PERSONALIZATION,
    &up::USER_PERSONALIZATION_V2,
    &up::PERSONALIZED_RANKING,
    &up::PERSONALIZED_RANKING_V2,
    &sims::Sims,
    &similar_items::SimilarItems,
    &trending_now::TrendingNow,
    &item_affinity::ITEM_AFFINITY,
    &item_affinity::ITEM_ATTRIBUTE_AFFINITY,
];
static RECIPE_INFOS: [RecipeInfo; 10] = [
    popularity_count::INFO,
    up::INFO_UP,
    up::INFO_UP_V2,
    up::INFO_PR,
    up::INFO_PR_V2,
    sims::INFO,
    similar_items::INFO,
    trending_now::INFO,
    item_affinity::INFO_ITEM_AFFINITY,
    item_affinity::INFO_ITEM_ATTRIBUTE_AFFINITY,
];

/// Recipes this engine really implements.
pub fn recipes() -> &'static [RecipeInfo] {
    &RECIPE_INFOS
}

/// A recipe's catalogue entry by name.
pub fn recipe(name: &str) -> Option<&'static RecipeInfo> {
    RECIPE_INFOS.iter().find(|r| r.name == name)
}

/// A recipe's accepted `algorithmHyperParameters` and `featureTransformationParameters`, with
/// their defaults and ranges (DescribeAlgorithm, DescribeFeatureTransformation).
pub fn parameters(name: &str) -> Option<(&'static [ParamSpec], &'static [ParamSpec])> {
    registry_entry(name).map(|r| (r.hyperparameters(), r.feature_transformation_parameters()))
}

pub(crate) fn registry_entry(name: &str) -> Option<&'static dyn Recipe> {
    REGISTRY.iter().copied().find(|r| r.info().name == name)
}

fn lookup(name: &str) -> Result<&'static dyn Recipe, EngineError> {
    registry_entry(name).ok_or_else(|| EngineError::UnknownRecipe(name.to_string()))
}

fn check_params(
    map: &BTreeMap<String, String>,
    specs: &[ParamSpec],
    what: &str,
    recipe: &str,
) -> Result<(), EngineError> {
    for (key, value) in map {
        let Some(spec) = specs.iter().find(|s| s.name == key) else {
            return Err(EngineError::InvalidConfig(format!(
                "Unknown {what} '{key}' (value '{value}') for recipe {recipe}."
            )));
        };
        let bad = |range: String| {
            EngineError::InvalidConfig(format!(
                "Invalid value '{value}' for {what} '{key}' of recipe {recipe}: expected {range}."
            ))
        };
        let v = value.trim();
        match spec.kind {
            ParamKind::Int { min, max } => match v.parse::<i64>() {
                Ok(x) if (min..=max).contains(&x) => {}
                _ => return Err(bad(format!("an integer in [{min}, {max}]"))),
            },
            ParamKind::Float { min, max } => match v.parse::<f64>() {
                Ok(x) if x.is_finite() && x >= min && x <= max => {}
                _ => return Err(bad(format!("a number in [{min}, {max}]"))),
            },
            ParamKind::Bool => {
                if v != "true" && v != "false" {
                    return Err(bad("true or false".into()));
                }
            }
            ParamKind::Categorical(values) => {
                if !values.contains(&v) {
                    return Err(bad(format!("one of {}", values.join(", "))));
                }
            }
        }
    }
    Ok(())
}

/// Validate a solution configuration for a recipe: the recipe exists
/// ([`EngineError::UnknownRecipe`] otherwise), hyperparameter and feature transformation
/// names are known and in range, and the events configuration is well-formed
/// ([`EngineError::InvalidConfig`] naming the key and value otherwise).
pub fn validate_config(recipe: &str, config: &TrainingConfig) -> Result<(), EngineError> {
    let r = lookup(recipe)?;
    check_params(&config.hyperparameters, r.hyperparameters(), "hyperparameter", recipe)?;
    if config.objective.is_some() && !r.supports_objective() {
        return Err(EngineError::InvalidConfig(format!(
            "solutionConfig.optimizationObjective is not supported by recipe {recipe}: only \
             aws-user-personalization(-v2) and aws-personalized-ranking(-v2) optimize for an objective."
        )));
    }
    check_params(
        &config.feature_transformation_parameters,
        r.feature_transformation_parameters(),
        "feature transformation parameter",
        recipe,
    )?;
    if let Some(t) = config.event_value_threshold {
        if !t.is_finite() {
            return Err(EngineError::InvalidConfig(format!(
                "Invalid value '{t}' for eventValueThreshold: expected a finite number."
            )));
        }
    }
    if config.event_parameters.len() > 10 {
        return Err(EngineError::InvalidConfig(format!(
            "eventsConfig.eventParametersList has {} entries; at most 10 are allowed.",
            config.event_parameters.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for p in &config.event_parameters {
        let name = p.event_type.as_deref().unwrap_or("<any other>");
        if !seen.insert(p.event_type.as_deref()) {
            return Err(EngineError::InvalidConfig(format!(
                "eventsConfig.eventParametersList lists eventType '{name}' more than once."
            )));
        }
        if let Some(w) = p.weight {
            if !(0.0..=1.0).contains(&w) {
                return Err(EngineError::InvalidConfig(format!(
                    "Invalid value '{w}' for weight of eventType '{name}': expected a number in [0, 1]."
                )));
            }
        }
        if let Some(t) = p.event_value_threshold {
            if !t.is_finite() {
                return Err(EngineError::InvalidConfig(format!(
                    "Invalid value '{t}' for eventValueThreshold of eventType '{name}': expected a finite number."
                )));
            }
        }
    }
    r.validate(config)
}

/// Apply the event filtering of a solution configuration (CreateSolution's
/// `eventType` and `solutionConfig`):
///
/// * `event_type`: keep only events of that type. The comparison is **case-sensitive**
///   (`Click` ≠ `click`): EVENT_TYPE is a free string in the Interactions dataset and the
///   docs do not say it is normalised, so Reko compares exactly.
/// * `event_value_threshold`: keep EVENT_VALUE >= threshold; events without a value are dropped.
/// * `event_parameters` (eventsConfig): only the listed event types are kept (case-sensitive),
///   each with its own threshold; the entry's weight (default 1) is recorded per event and
///   multiplies the event's contribution in the recipe.
///
/// All given conditions apply together. Without any condition the snapshot itself is borrowed
/// (no copy of a possibly very large snapshot).
pub fn filter_events<'a>(data: &'a TrainingData, config: &TrainingConfig) -> Cow<'a, TrainingData> {
    if !filters_events(config) {
        return Cow::Borrowed(data);
    }
    let types = data.event_types();
    // Some(None) = the event type is absent from the data: nothing can match.
    let only_type: Option<Option<u32>> = config.event_type.as_deref().map(|t| types.get(t));
    let mut per_type: HashMap<u32, (Option<f64>, f32)> = HashMap::new();
    let mut fallback: Option<(Option<f64>, f32)> = None;
    for p in &config.event_parameters {
        let settings = (p.event_value_threshold, p.weight.unwrap_or(1.0) as f32);
        match p.event_type.as_deref() {
            Some(t) => {
                if let Some(i) = types.get(t) {
                    per_type.insert(i, settings);
                }
            }
            None => fallback = Some(settings),
        }
    }
    let use_params = !config.event_parameters.is_empty();
    let passes = |threshold: Option<f64>, value: Option<f32>| match threshold {
        None => true,
        Some(t) => value.is_some_and(|v| v as f64 >= t),
    };
    Cow::Owned(data.retain_events(use_params, |etype, value| {
        if let Some(only) = only_type {
            if only != Some(etype) {
                return None;
            }
        }
        if !passes(config.event_value_threshold, value) {
            return None;
        }
        if !use_params {
            return Some(1.0);
        }
        let (threshold, weight) = per_type.get(&etype).copied().or(fallback)?;
        passes(threshold, value).then_some(weight)
    }))
}

/// Whether one event passes the configuration's event type and value thresholds (the rules of
/// [`filter_events`], for events that arrive after training). Event type names compare exactly.
pub fn event_passes(config: &TrainingConfig, event_type: Option<&str>, value: Option<f32>) -> bool {
    event_weight(config, event_type, value).is_some()
}

/// The weight a single event gets from a solution configuration (its eventsConfig entry's
/// weight, 1 without one), `None` when the configuration drops it ([`event_passes`]).
pub fn event_weight(config: &TrainingConfig, event_type: Option<&str>, value: Option<f32>) -> Option<f32> {
    let passes = |threshold: Option<f64>, value: Option<f32>| match threshold {
        None => true,
        Some(t) => value.is_some_and(|v| v as f64 >= t),
    };
    if config.event_type.as_deref().is_some_and(|only| event_type != Some(only)) {
        return None;
    }
    if !passes(config.event_value_threshold, value) {
        return None;
    }
    if config.event_parameters.is_empty() {
        return Some(1.0);
    }
    let entry = config
        .event_parameters
        .iter()
        .find(|p| p.event_type.is_some() && p.event_type.as_deref() == event_type)
        .or_else(|| config.event_parameters.iter().find(|p| p.event_type.is_none()));
    entry.filter(|p| passes(p.event_value_threshold, value)).map(|p| p.weight.unwrap_or(1.0) as f32)
}

/// Whether the configuration filters or weights events at all.
fn filters_events(config: &TrainingConfig) -> bool {
    config.event_type.is_some() || config.event_value_threshold.is_some() || !config.event_parameters.is_empty()
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::training_data::TrainingDataBuilder;

    /// `users` users each with `per_user` interactions over `items` items (item = (u + k) % items).
    pub(crate) fn synthetic(users: usize, per_user: usize, items: usize) -> TrainingData {
        let mut b = TrainingDataBuilder::new();
        for u in 0..users {
            for k in 0..per_user {
                let etype = if k % 2 == 0 { "click" } else { "buy" };
                b.push_interaction(
                    &format!("u{u}"),
                    &format!("i{}", (u + k) % items),
                    (k * 10) as i64,
                    Some(etype),
                    Some(k as f32),
                );
            }
        }
        b.build()
    }

    #[test]
    fn registry_lists_only_popularity() {
        assert_eq!(recipes().len(), REGISTRY.len());
        let r = recipe("aws-popularity-count").unwrap();
        assert_eq!(r.recipe_type, "POPULAR_ITEMS");
        assert!(!r.has_scores);
        assert_eq!(recipe("aws-sims").unwrap().recipe_type, "RELATED_ITEMS");
        assert_eq!(recipe("aws-similar-items").unwrap().recipe_type, "RELATED_ITEMS");
        assert_eq!(recipe("aws-trending-now").unwrap().recipe_type, "POPULAR_ITEMS");
        assert!(registry_entry("aws-sims").is_some() && registry_entry("aws-trending-now").is_some());
    }

    #[test]
    fn single_events_pass_like_snapshots_are_filtered() {
        let c = TrainingConfig { event_value_threshold: Some(2.0), ..Default::default() };
        assert!(event_passes(&c, Some("click"), Some(2.0)));
        assert!(!event_passes(&c, Some("click"), Some(1.5)));
        assert!(!event_passes(&c, Some("click"), None));
        let c = TrainingConfig {
            event_parameters: vec![EventParameters {
                event_type: Some("buy".into()),
                event_value_threshold: Some(1.0),
                weight: None,
            }],
            ..Default::default()
        };
        assert!(event_passes(&c, Some("buy"), Some(1.0)));
        assert!(!event_passes(&c, Some("click"), Some(5.0)));
        let c = TrainingConfig { event_type: Some("buy".into()), ..Default::default() };
        assert!(!event_passes(&c, Some("Buy"), None) && event_passes(&c, Some("buy"), None));
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
    fn param_spec_checks() {
        const SPECS: &[ParamSpec] = &[
            ParamSpec { name: "n", kind: ParamKind::Int { min: 2, max: 32 }, default: "32" },
            ParamSpec { name: "f", kind: ParamKind::Float { min: 0.0, max: 1.0 }, default: "0.5" },
            ParamSpec { name: "b", kind: ParamKind::Bool, default: "true" },
            ParamSpec { name: "c", kind: ParamKind::Categorical(&["1 hour", "1 day"]), default: "1 day" },
        ];
        let check = |k: &str, v: &str| {
            let m = BTreeMap::from([(k.to_string(), v.to_string())]);
            check_params(&m, SPECS, "hyperparameter", "r")
        };
        assert!(check("n", "2").is_ok() && check("n", "32").is_ok());
        assert!(check("n", "33").is_err() && check("n", "1.5").is_err());
        assert!(check("f", "0.25").is_ok() && check("f", "NaN").is_err() && check("f", "-0.1").is_err());
        assert!(check("b", "false").is_ok() && check("b", "True").is_err());
        assert!(check("c", "1 hour").is_ok() && check("c", "2 hours").is_err());
    }

    #[test]
    fn filter_by_event_type_is_case_sensitive() {
        let d = synthetic(10, 10, 20);
        let mut c = TrainingConfig { event_type: Some("click".into()), ..Default::default() };
        assert_eq!(filter_events(&d, &c).num_interactions(), 50);
        c.event_type = Some("Click".into());
        assert_eq!(filter_events(&d, &c).num_interactions(), 0);
    }

    #[test]
    fn filter_by_threshold_drops_missing_values() {
        let mut b = TrainingDataBuilder::new();
        b.push_interaction("u", "a", 1, None, Some(1.0));
        b.push_interaction("u", "b", 2, None, Some(2.0));
        b.push_interaction("u", "c", 3, None, None);
        let d = b.build();
        let c = TrainingConfig { event_value_threshold: Some(2.0), ..Default::default() };
        let f = filter_events(&d, &c);
        assert_eq!(f.user_interactions(0).items, &[1]);
        assert!(f.interaction_weights().is_none());
    }

    #[test]
    fn filter_by_events_config() {
        let d = synthetic(10, 10, 20); // values 0..9, click on even k, buy on odd k
        let c = TrainingConfig {
            event_parameters: vec![
                EventParameters { event_type: Some("buy".into()), event_value_threshold: Some(5.0), weight: Some(0.5) },
                EventParameters { event_type: Some("view".into()), event_value_threshold: None, weight: None },
            ],
            ..Default::default()
        };
        let f = filter_events(&d, &c);
        // buy with value >= 5: k = 5, 7, 9.
        assert_eq!(f.num_interactions(), 30);
        let h = f.user_interactions(0);
        assert!((0..h.len()).all(|i| h.weight(i) == 0.5));
        // A fallback entry (no event type) keeps the other types with its own weight.
        let mut c2 = c.clone();
        c2.event_parameters.push(EventParameters { event_type: None, event_value_threshold: None, weight: Some(0.25) });
        let f2 = filter_events(&d, &c2);
        assert_eq!(f2.num_interactions(), 80);
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
