//! What a training run chooses itself where the configuration leaves it open.

use super::*;

/// Iterations of each candidate fit when a training run tunes itself (the ranking of candidates
/// settles long before the factors do).
pub(super) const TUNING_ITERATIONS: usize = 5;
/// Largest sample (interactions) whose candidates run the full iterations.
pub(super) const TUNING_FULL_MAX: usize = 300_000;
/// How much better (relative NDCG@10) a candidate must score to replace the default setting.
pub(super) const TUNING_MARGIN: f64 = 0.02;

/// What a training run chooses itself where the configuration leaves it open, on
/// [`evaluation::validation_split`] by NDCG@10, one group of settings after the other (each
/// group's candidates fitted with the choices so far): `event_value_scaling` (when the
/// interactions carry usable event values), `alpha` with `regularization` (0.5 and 1, 2 and 10,
/// 8 and 100), `recency_half_life_days` (7, 30 or 365), `sequence_weight` (0 or 2), then
/// `hidden_dimension` (32 or 64). A setting the configuration fixes is left alone. The setting
/// the choices so far already use is scored once and kept unless another beats it by
/// [`TUNING_MARGIN`].
pub fn self_tune(
    recipe: &'static str,
    data: &TrainingData,
    config: &TrainingConfig,
) -> Result<BTreeMap<String, String>, EngineError> {
    let mut chosen: BTreeMap<String, String> = BTreeMap::new();
    let mut groups: Vec<Vec<Vec<(&str, &str)>>> = Vec::new();
    if ValueScaling::usable(data) {
        groups.push(["none", "log", "linear"].iter().map(|v| vec![("event_value_scaling", *v)]).collect());
    }
    // alpha and regularization together: the confidence of repeated events against how
    // strongly factors shrink (their ratio matters more than either alone).
    groups.push(
        [("0.5", "1"), ("2", "10"), ("8", "100")]
            .iter()
            .map(|(a, r)| vec![("alpha", *a), ("regularization", *r)])
            .collect(),
    );
    // How fast tastes move differs most between data sets (a week on shopping sessions, a year
    // on film ratings), and whether recent items say more than the whole history.
    groups.push(["7", "30", "365"].iter().map(|v| vec![("recency_half_life_days", *v)]).collect());
    groups.push(["0", "2"].iter().map(|v| vec![("sequence_weight", *v)]).collect());
    groups.push(["32", "64"].iter().map(|v| vec![("hidden_dimension", *v)]).collect());
    groups.retain(|g| g[0].iter().all(|(name, _)| !config.hyperparameters.contains_key(*name)));
    if groups.is_empty() {
        return Ok(chosen);
    }
    let split = evaluation::validation_split(data, evaluation::TUNING_USERS, evaluation::TUNING_TEST_USERS);
    if split.test.is_empty() {
        return Ok(chosen);
    }
    // Few iterations favour little regularization (stopping early regularizes too): candidates
    // run the full iterations unless the sample is large.
    let full = Params::from_config(config).iterations;
    let iterations =
        if split.train.num_interactions() > TUNING_FULL_MAX { full.min(TUNING_ITERATIONS) } else { full }.to_string();
    let with = |extra: &[(&str, &str)], chosen: &BTreeMap<String, String>| {
        let mut c = config.clone();
        c.hyperparameters.extend(chosen.iter().map(|(k, v)| (k.clone(), v.clone())));
        c.hyperparameters.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        c
    };
    // Candidates to score at most (a group's candidate equal to the choices so far is not refitted).
    let total = 1 + groups.iter().map(Vec::len).sum::<usize>();
    let scored = std::cell::Cell::new(0usize);
    let score = |c: &TrainingConfig| {
        let mut c = c.clone();
        // Each candidate moves the tuning's progress once, not its fit's iterations.
        c.progress = crate::LiveProgress::default();
        c.hyperparameters.insert("num_iterations".into(), iterations.clone());
        // The validation requests carry no context: fitting its weight would be wasted.
        c.hyperparameters.insert("context_weight".into(), "0".into());
        // Tuning is for relevance; the objective's trade-off is applied on top of it.
        c.objective = None;
        let model = fit(recipe, &split.train, &c);
        let ndcg = evaluation::evaluate_model(&model, &split)["normalized_discounted_cumulative_gain_at_10"];
        scored.set(scored.get() + 1);
        config.progress.steps(scored.get(), total);
        ndcg
    };
    // The score of the choices so far (the defaults at first).
    let mut incumbent = score(config);
    for group in groups {
        let current = Params::from_config(&with(&[], &chosen));
        let mut best: Option<(f64, &Vec<(&str, &str)>)> = None;
        let mut same: Option<&Vec<(&str, &str)>> = None;
        for candidate in &group {
            let c = with(candidate, &chosen);
            if Params::from_config(&c) == current {
                same = Some(candidate);
                continue;
            }
            let ndcg = score(&c);
            if best.is_none_or(|(b, _)| ndcg > b) {
                best = Some((ndcg, candidate));
            }
        }
        match best {
            // With no candidate equal to the choices so far (`auto` scaling), one is chosen.
            Some((b, c)) if same.is_none() || b >= incumbent * (1.0 + TUNING_MARGIN) => {
                chosen.extend(c.iter().map(|(k, v)| (k.to_string(), v.to_string())));
                incumbent = b;
            }
            _ => {
                if let Some(c) = same {
                    chosen.extend(c.iter().map(|(k, v)| (k.to_string(), v.to_string())));
                }
            }
        }
    }
    Ok(chosen)
}
