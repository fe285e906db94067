//! Solution configuration as the engine reads it: the training configuration, hyperparameter
//! specs and their validation, and event filtering. [`event_weight`] holds the one rule for
//! whether (and with what weight) an event counts; [`filter_events`] applies it to a snapshot.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use crate::error::EngineError;
use crate::progress::LiveProgress;
use crate::training_data::TrainingData;

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
    /// Where the run is, for whoever follows it ([`crate::train`] moves it through its stages; fits and
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

/// What a recipe accepts of a solution configuration ([`validate_for`]).
#[derive(Debug, Clone, Copy)]
pub struct Accepts<'a> {
    /// Recipe name, for messages.
    pub recipe: &'a str,
    /// Accepted `algorithmHyperParameters`.
    pub hyperparameters: &'a [ParamSpec],
    /// Accepted `featureTransformationParameters`.
    pub feature_transformation_parameters: &'a [ParamSpec],
    /// Whether an optimization objective is honoured.
    pub objective: bool,
}

/// Validate a solution configuration against what a recipe accepts: hyperparameter and feature
/// transformation names are known and in range, an objective only where honoured, and the
/// events configuration is well-formed ([`EngineError::InvalidConfig`] naming the key and value
/// otherwise). The recipe's own checks come after ([`crate::validate_config`]).
pub fn validate_for(accepts: Accepts<'_>, config: &TrainingConfig) -> Result<(), EngineError> {
    let recipe = accepts.recipe;
    check_params(&config.hyperparameters, accepts.hyperparameters, "hyperparameter", recipe)?;
    if config.objective.is_some() && !accepts.objective {
        return Err(EngineError::InvalidConfig(format!(
            "solutionConfig.optimizationObjective is not supported by recipe {recipe}: only \
             aws-user-personalization(-v2) and aws-personalized-ranking(-v2) optimize for an objective."
        )));
    }
    check_params(
        &config.feature_transformation_parameters,
        accepts.feature_transformation_parameters,
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
    Ok(())
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
    Cow::Owned(data.retain_events(use_params, |etype, value| {
        let type_matches = only_type.is_none_or(|only| only == Some(etype));
        weigh(config, type_matches, value, || per_type.get(&etype).copied().or(fallback))
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
    let type_matches = config.event_type.as_deref().is_none_or(|only| event_type == Some(only));
    weigh(config, type_matches, value, || {
        config
            .event_parameters
            .iter()
            .find(|p| p.event_type.is_some() && p.event_type.as_deref() == event_type)
            .or_else(|| config.event_parameters.iter().find(|p| p.event_type.is_none()))
            .map(|p| (p.event_value_threshold, p.weight.unwrap_or(1.0) as f32))
    })
}

/// The one rule of event filtering, shared by [`filter_events`] (snapshots, event types
/// interned) and [`event_weight`] (single events, by name): the event must be of the
/// configuration's event type (`type_matches`) and meet its value threshold; with an events
/// configuration it also needs an entry (`entry`: its threshold and weight) whose threshold it
/// meets, and gets that entry's weight (1 without an events configuration).
fn weigh(
    config: &TrainingConfig,
    type_matches: bool,
    value: Option<f32>,
    entry: impl FnOnce() -> Option<(Option<f64>, f32)>,
) -> Option<f32> {
    if !type_matches || !meets(config.event_value_threshold, value) {
        return None;
    }
    if config.event_parameters.is_empty() {
        return Some(1.0);
    }
    let (threshold, weight) = entry()?;
    meets(threshold, value).then_some(weight)
}

/// Whether an event value meets a threshold (events without a value meet none).
fn meets(threshold: Option<f64>, value: Option<f32>) -> bool {
    match threshold {
        None => true,
        Some(t) => value.is_some_and(|v| v as f64 >= t),
    }
}

/// Whether the configuration filters or weights events at all.
fn filters_events(config: &TrainingConfig) -> bool {
    config.event_type.is_some() || config.event_value_threshold.is_some() || !config.event_parameters.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::synthetic;
    use crate::training_data::TrainingDataBuilder;

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
}
