//! Hyperparameter optimization (`performHPO`): a seeded random search over the ranges of
//! `solutionConfig.hpoConfig.algorithmHyperParameterRanges`, each candidate scored on a
//! validation split cut from the training part of the offline evaluation's split
//! ([`evaluation::validation_split`]); the best one is then evaluated as every training run is
//! ([`evaluation`]), on held-out interactions that took no part in the choice, and trained on all data.

use std::collections::BTreeMap;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::error::EngineError;
use crate::evaluation;
use crate::pipeline::{check_minimum_data, validate_config, TrainedSolution, TrainingProgress};
use crate::progress::LiveProgress;
use crate::registry::registry_entry;
use crate::solution_config::{filter_events, ParamKind, TrainingConfig};
use crate::training_data::TrainingData;

/// One searched hyperparameter.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchRange {
    Integer { name: String, min: i64, max: i64 },
    Continuous { name: String, min: f64, max: f64 },
    Categorical { name: String, values: Vec<String> },
}

impl SearchRange {
    pub fn name(&self) -> &str {
        match self {
            SearchRange::Integer { name, .. }
            | SearchRange::Continuous { name, .. }
            | SearchRange::Categorical { name, .. } => name,
        }
    }

    fn sample(&self, rng: &mut SmallRng) -> String {
        match self {
            SearchRange::Integer { min, max, .. } => rng.gen_range(*min..=*max).to_string(),
            SearchRange::Continuous { min, max, .. } => {
                // Wide positive ranges (regularization, learning rates) are searched on a log scale.
                let x = if *min > 0.0 && *max / *min >= 100.0 {
                    (rng.gen_range(min.ln()..=max.ln())).exp()
                } else {
                    rng.gen_range(*min..=*max)
                };
                format!("{x:.6}")
            }
            SearchRange::Categorical { values, .. } => values[rng.gen_range(0..values.len())].clone(),
        }
    }
}

/// What to search and how to choose.
#[derive(Debug, Clone, PartialEq)]
pub struct HpoRequest {
    pub ranges: Vec<SearchRange>,
    /// The metric to maximize (a GetSolutionMetrics key).
    pub objective: String,
    /// Candidates evaluated, the given configuration included.
    pub max_jobs: usize,
    /// Candidates trained at once (at least 1). Each holds its own model in memory.
    pub parallel: usize,
    pub seed: u64,
}

/// Default objective when the solution names none.
pub const DEFAULT_OBJECTIVE: &str = "normalized_discounted_cumulative_gain_at_10";

/// The outcome: the best candidate's trained solution, its hyperparameters and every trial.
pub struct Tuned {
    pub solution: TrainedSolution,
    pub params: BTreeMap<String, String>,
    pub trials: Vec<(BTreeMap<String, String>, f64)>,
}

/// The search space used when a solution asks for HPO without ranges: every numeric
/// hyperparameter of the recipe over its whole valid range.
pub fn default_ranges(recipe: &str) -> Result<Vec<SearchRange>, EngineError> {
    let r = registry_entry(recipe).ok_or_else(|| EngineError::UnknownRecipe(recipe.to_string()))?;
    Ok(r.hyperparameters()
        .iter()
        .filter_map(|spec| match spec.kind {
            ParamKind::Int { min, max } => Some(SearchRange::Integer { name: spec.name.into(), min, max }),
            ParamKind::Float { min, max } => Some(SearchRange::Continuous { name: spec.name.into(), min, max }),
            _ => None,
        })
        .collect())
}

/// Checks the ranges against the recipe's tunable hyperparameters and the objective name.
pub fn validate_request(recipe: &str, request: &HpoRequest) -> Result<(), EngineError> {
    let r = registry_entry(recipe).ok_or_else(|| EngineError::UnknownRecipe(recipe.to_string()))?;
    let specs = r.hyperparameters();
    if specs.is_empty() {
        return Err(EngineError::InvalidConfig(format!("Recipe {recipe} has no hyperparameters to tune.")));
    }
    if !evaluation::METRIC_KEYS.contains(&request.objective.as_str()) {
        return Err(EngineError::InvalidConfig(format!(
            "Unknown HPO objective metric '{}'; valid metrics: {}.",
            request.objective,
            evaluation::METRIC_KEYS.join(", ")
        )));
    }
    if request.max_jobs == 0 {
        return Err(EngineError::InvalidConfig("maxNumberOfTrainingJobs must be at least 1.".into()));
    }
    for range in &request.ranges {
        let Some(spec) = specs.iter().find(|s| s.name == range.name()) else {
            return Err(EngineError::InvalidConfig(format!(
                "Hyperparameter '{}' in algorithmHyperParameterRanges is not a hyperparameter of recipe {recipe}.",
                range.name()
            )));
        };
        let fits = match (range, spec.kind) {
            (SearchRange::Integer { min, max, .. }, ParamKind::Int { min: lo, max: hi }) => {
                min <= max && *min >= lo && *max <= hi
            }
            (SearchRange::Continuous { min, max, .. }, ParamKind::Float { min: lo, max: hi }) => {
                min <= max && *min >= lo && *max <= hi
            }
            (SearchRange::Categorical { values, .. }, ParamKind::Categorical(allowed)) => {
                !values.is_empty() && values.iter().all(|v| allowed.contains(&v.as_str()))
            }
            (SearchRange::Categorical { values, .. }, ParamKind::Bool) => {
                !values.is_empty() && values.iter().all(|v| v == "true" || v == "false")
            }
            _ => false,
        };
        if !fits {
            return Err(EngineError::InvalidConfig(format!(
                "The search range of '{}' does not fit the hyperparameter's kind and bounds ({:?}).",
                range.name(),
                spec.kind
            )));
        }
    }
    Ok(())
}

/// Runs the search and trains the winner on all (filtered) data.
pub fn tune(
    recipe: &str,
    data: &TrainingData,
    base: &TrainingConfig,
    request: &HpoRequest,
    progress: &mut dyn FnMut(TrainingProgress),
) -> Result<Tuned, EngineError> {
    validate_request(recipe, request)?;
    validate_config(recipe, base)?;
    let r = registry_entry(recipe).ok_or_else(|| EngineError::UnknownRecipe(recipe.to_string()))?;
    let filtered = filter_events(data, base);
    check_minimum_data(&filtered)?;
    let mut rng = SmallRng::seed_from_u64(request.seed);
    // Trials are scored on a validation split cut from the evaluation split's training part; the
    // winner alone is then evaluated on the evaluation split, so the metrics reported come from
    // held-out interactions that did not pick it.
    let validation = evaluation::validation_split(&filtered, evaluation::TUNING_USERS, evaluation::TUNING_TEST_USERS);
    // The candidates are drawn first, so a parallel search evaluates the same ones in the same
    // order as a sequential one and picks the same winner.
    let mut candidates = Vec::with_capacity(request.max_jobs);
    for job in 0..request.max_jobs {
        // The first candidate is the configuration as given; the rest sample the ranges.
        let mut params = base.hyperparameters.clone();
        for range in &request.ranges {
            if job > 0 {
                params.insert(range.name().to_string(), range.sample(&mut rng));
            } else if !params.contains_key(range.name()) {
                // The configuration as given uses the default: named, so that a winning first
                // trial reports every tuned value (tunedHPOParams), as the others do.
                if let Some(spec) = r.hyperparameters().iter().find(|s| s.name == range.name()) {
                    params.insert(range.name().to_string(), spec.default.to_string());
                }
            }
        }
        validate_config(recipe, &TrainingConfig { hyperparameters: params.clone(), ..base.clone() })?;
        candidates.push(params);
    }
    let trial = |params: &BTreeMap<String, String>| -> Result<f64, EngineError> {
        let config =
            TrainingConfig { hyperparameters: params.clone(), progress: LiveProgress::default(), ..base.clone() };
        let model = r.fit(&validation.train, &config)?;
        let metrics = evaluation::evaluate_model(model.as_ref(), &validation);
        Ok(metrics.get(&request.objective).copied().unwrap_or(f64::NEG_INFINITY))
    };
    let mut trials: Vec<(BTreeMap<String, String>, f64)> = Vec::new();
    let mut best: Option<usize> = None;
    for wave in candidates.chunks(request.parallel.max(1)) {
        let done = trials.len();
        progress(TrainingProgress { stage: "tuning", fraction: 0.8 * done as f64 / request.max_jobs as f64 });
        base.progress.stage("tuning", 0.0, 0.7).steps(done, request.max_jobs);
        let scores: Vec<Result<f64, EngineError>> = if wave.len() == 1 {
            vec![trial(&wave[0])]
        } else {
            std::thread::scope(|s| {
                let running: Vec<_> = wave.iter().map(|params| s.spawn(|| trial(params))).collect();
                running.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
            })
        };
        for (params, score) in wave.iter().zip(scores) {
            let score = score?;
            if best.is_none_or(|i| score > trials[i].1) {
                best = Some(trials.len());
            }
            trials.push((params.clone(), score));
        }
    }
    let index = best.ok_or_else(|| EngineError::InvalidConfig("no HPO candidate was evaluated".into()))?;
    let params = trials[index].0.clone();
    let config = TrainingConfig { hyperparameters: params.clone(), ..base.clone() };
    progress(TrainingProgress { stage: "evaluating", fraction: 0.8 });
    let evaluating = TrainingConfig { progress: base.progress.stage("evaluating", 0.7, 0.95), ..config.clone() };
    let (evaluation, evaluated) = r.evaluate(&filtered, &evaluating, evaluation::Split::Personalize)?;
    let metrics = evaluation.metrics;
    progress(TrainingProgress { stage: "training", fraction: 0.9 });
    let training = TrainingConfig { progress: base.progress.stage("training", 0.95, 1.0), ..config.clone() };
    let artifact = r.fit_after_evaluation(evaluated, &filtered, &training)?.to_artifact();
    base.progress.stage("writing", 1.0, 1.0);
    progress(TrainingProgress { stage: "writing", fraction: 1.0 });
    Ok(Tuned { solution: TrainedSolution { artifact, metrics, tuned: BTreeMap::new() }, params, trials })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recipe_without_hyperparameters_cannot_be_tuned() {
        let request =
            HpoRequest { ranges: vec![], objective: DEFAULT_OBJECTIVE.into(), max_jobs: 4, parallel: 1, seed: 1 };
        let err = validate_request("aws-popularity-count", &request).unwrap_err();
        assert!(err.to_string().contains("no hyperparameters"), "{err}");
        let err = validate_request("aws-nope", &request).unwrap_err();
        assert!(matches!(err, EngineError::UnknownRecipe(_)), "{err}");
    }

    /// The metrics reported are the winner's on the evaluation split, not the validation score
    /// that made it the winner.
    #[test]
    fn reported_metrics_come_from_data_that_did_not_pick_the_winner() {
        let data = crate::test_support::synthetic(300, 12, 200);
        let recipe = "aws-user-personalization";
        let request = HpoRequest {
            ranges: vec![SearchRange::Continuous { name: "regularization".into(), min: 0.1, max: 100.0 }],
            objective: DEFAULT_OBJECTIVE.into(),
            max_jobs: 3,
            parallel: 1,
            seed: 5,
        };
        let tuned = tune(recipe, &data, &TrainingConfig::default(), &request, &mut |_| {}).unwrap();
        // maxParallelTrainingJobs: the same candidates and scores, so the same winner.
        let parallel = HpoRequest { parallel: 3, ..request.clone() };
        let at_once = tune(recipe, &data, &TrainingConfig::default(), &parallel, &mut |_| {}).unwrap();
        assert_eq!(at_once.trials, tuned.trials);
        assert_eq!(at_once.params, tuned.params);
        // Every trial names the tuned value, the first (the configuration as given) its default.
        assert!(tuned.trials.iter().all(|t| t.0.contains_key("regularization")), "{:?}", tuned.trials);
        assert_eq!(tuned.trials[0].0["regularization"], "10");
        let winner = TrainingConfig { hyperparameters: tuned.params.clone(), ..TrainingConfig::default() };
        let evaluated = crate::evaluate_recipe(recipe, &data, &winner, evaluation::Split::Personalize).unwrap();
        assert_eq!(tuned.solution.metrics, evaluated.metrics);
        let best_trial = tuned.trials.iter().map(|t| t.1).fold(f64::NEG_INFINITY, f64::max);
        assert_ne!(tuned.solution.metrics[DEFAULT_OBJECTIVE], best_trial, "a validation score is not reported");
    }

    #[test]
    fn samples_stay_in_their_ranges_and_are_reproducible() {
        let ranges = [
            SearchRange::Integer { name: "a".into(), min: 3, max: 7 },
            SearchRange::Continuous { name: "b".into(), min: 0.001, max: 10.0 },
            SearchRange::Continuous { name: "c".into(), min: 0.2, max: 0.4 },
            SearchRange::Categorical { name: "d".into(), values: vec!["x".into(), "y".into()] },
        ];
        let draw = |seed| {
            let mut rng = SmallRng::seed_from_u64(seed);
            (0..50).flat_map(|_| ranges.iter().map(|r| r.sample(&mut rng)).collect::<Vec<_>>()).collect::<Vec<_>>()
        };
        let values = draw(7);
        assert_eq!(values, draw(7));
        for chunk in values.chunks(4) {
            assert!((3..=7).contains(&chunk[0].parse::<i64>().unwrap()));
            let b: f64 = chunk[1].parse().unwrap();
            assert!((0.001..=10.0).contains(&b));
            let c: f64 = chunk[2].parse().unwrap();
            assert!((0.2..=0.4).contains(&c));
            assert!(chunk[3] == "x" || chunk[3] == "y");
        }
    }
}
