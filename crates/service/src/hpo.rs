//! `performHPO`: translating `solutionConfig.hpoConfig` into the engine's search request.

use reko_api::ApiError;
use reko_api::SolutionConfig;
use reko_engine::hpo::{default_ranges, HpoRequest, SearchRange, DEFAULT_OBJECTIVE};

use crate::error::ServiceResult;

/// Candidates evaluated when `hpoResourceConfig.maxNumberOfTrainingJobs` is absent (Reko's
/// choice: each candidate is a full offline evaluation).
pub(crate) const DEFAULT_TRAINING_JOBS: usize = 8;
/// Seed of the random search, so the same solution tunes the same way.
const SEARCH_SEED: u64 = 0x5245_4b4f_4850_4f00;

/// Trials trained at once: `maxParallelTrainingJobs` (1 when absent; validated 1-10 with the
/// request), at most the cores, since a trial on a core of its own is what makes it faster.
fn parallel_jobs(hpo: Option<&reko_api::HpoConfig>) -> usize {
    let asked = hpo
        .and_then(|h| h.hpo_resource_config.as_ref())
        .and_then(|r| r.max_parallel_training_jobs.as_ref())
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(1);
    asked.clamp(1, std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The engine's search request for a solution with `performHPO=true`.
pub(crate) fn request(recipe: &str, config: Option<&SolutionConfig>) -> ServiceResult<HpoRequest> {
    let hpo = config.and_then(|c| c.hpo_config.as_ref());
    let objective = match hpo.and_then(|h| h.hpo_objective.as_ref()) {
        Some(o) => {
            if let Some(regex) = &o.metric_regex {
                return Err(ApiError::InvalidInput(format!(
                    "Value '{regex}' at 'solutionConfig.hpoConfig.hpoObjective.metricRegex': Reko names the \
                     objective by metricName (a metric of GetSolutionMetrics); metricRegex, which finds a metric in \
                     a custom algorithm's training logs, is not supported."
                ))
                .into());
            }
            if let Some(kind) = &o.objective_type {
                if !kind.eq_ignore_ascii_case("maximize") {
                    return Err(ApiError::InvalidInput(format!(
                        "Value '{kind}' at 'solutionConfig.hpoConfig.hpoObjective.type': Reko maximizes an offline \
                         metric; use Maximize."
                    ))
                    .into());
                }
            }
            o.metric_name.clone().unwrap_or_else(|| DEFAULT_OBJECTIVE.to_string())
        }
        None => DEFAULT_OBJECTIVE.to_string(),
    };
    let max_jobs =
        match hpo.and_then(|h| h.hpo_resource_config.as_ref()).and_then(|r| r.max_number_of_training_jobs.as_ref()) {
            Some(n) => n.trim().parse::<usize>().ok().filter(|n| (1..=40).contains(n)).ok_or_else(|| {
                ApiError::InvalidInput(format!(
                    "Value '{n}' at 'solutionConfig.hpoConfig.hpoResourceConfig.maxNumberOfTrainingJobs' must be an \
                 integer from 1 to 40."
                ))
            })?,
            None => DEFAULT_TRAINING_JOBS,
        };
    let mut ranges = Vec::new();
    if let Some(given) = hpo.and_then(|h| h.algorithm_hyper_parameter_ranges.as_ref()) {
        let missing = |what: &str| {
            ApiError::InvalidInput(format!(
                "solutionConfig.hpoConfig.algorithmHyperParameterRanges.{what}: every range needs a name and its bounds \
                 or values."
            )).into()
        };
        for r in given.integer_hyper_parameter_ranges.iter().flatten() {
            let (Some(name), Some(min), Some(max)) = (&r.name, r.min_value, r.max_value) else {
                return Err(missing("integerHyperParameterRanges"));
            };
            ranges.push(SearchRange::Integer { name: name.clone(), min: min.into(), max: max.into() });
        }
        for r in given.continuous_hyper_parameter_ranges.iter().flatten() {
            let (Some(name), Some(min), Some(max)) = (&r.name, r.min_value, r.max_value) else {
                return Err(missing("continuousHyperParameterRanges"));
            };
            ranges.push(SearchRange::Continuous { name: name.clone(), min, max });
        }
        for r in given.categorical_hyper_parameter_ranges.iter().flatten() {
            let (Some(name), Some(values)) = (&r.name, &r.values) else {
                return Err(missing("categoricalHyperParameterRanges"));
            };
            ranges.push(SearchRange::Categorical { name: name.clone(), values: values.clone() });
        }
    }
    if ranges.is_empty() {
        ranges = default_ranges(recipe)?;
    }
    let request = HpoRequest { ranges, objective, max_jobs, parallel: parallel_jobs(hpo), seed: SEARCH_SEED };
    reko_engine::hpo::validate_request(recipe, &request)?;
    Ok(request)
}
