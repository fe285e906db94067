//! What a training run chooses itself where the configuration leaves it open.

use super::*;

/// Iterations of each candidate fit when a training run tunes itself (the ranking of candidates
/// settles long before the factors do).
pub(super) const TUNING_ITERATIONS: usize = 5;
/// Largest sample (interactions) whose candidates run the full iterations.
pub(super) const TUNING_FULL_MAX: usize = 300_000;
/// How much better (relative NDCG@10) a candidate must score to replace the default setting.
pub(super) const TUNING_MARGIN: f64 = 0.02;

/// A group of settings tuned together: the candidates (each a set of hyperparameter values),
/// and whether they form a ladder (ordered weakest to strongest, walked from the current rung
/// one rung at a time in the direction that improves, so that a range can be wide at the cost of
/// two fits) or are all scored.
struct Group {
    candidates: Vec<Vec<(&'static str, &'static str)>>,
    ladder: bool,
}

/// `alpha` with `regularization`, weakest to strongest: the confidence of repeated events
/// against how strongly factors shrink (their ratio matters more than either alone).
const ALPHA_REGULARIZATION: [(&str, &str); 4] = [("0.5", "1"), ("2", "10"), ("8", "100"), ("32", "300")];
const VALUE_SCALINGS: [&str; 4] = ["none", "log", "linear", "quantile"];

/// What a training run chooses itself where the configuration leaves it open, on
/// [`evaluation::validation_split`] by NDCG@10, one group of settings after the other (each
/// group's candidates fitted with the choices so far): `event_value_scaling` (none, log, linear or
/// quantile, when the interactions carry usable event values), `alpha` with `regularization` (a
/// ladder: 0.5 and 1, 2 and 10, 8 and 100, 32 and 300), `recency_half_life_days` (7, 30 or 365),
/// `sequence_weight` (0 or 2), `hidden_dimension` (32 or 64), then `event_value_scaling` once
/// more (how much values should count depends on alpha: the first choice was made at the default
/// one). A setting the
/// configuration fixes is left alone. The setting the choices so far already use is scored once
/// and kept unless another beats it by [`TUNING_MARGIN`] and by one validation user's worth.
pub fn self_tune(
    recipe: &'static str,
    data: &TrainingData,
    config: &TrainingConfig,
) -> Result<BTreeMap<String, String>, EngineError> {
    let mut chosen: BTreeMap<String, String> = BTreeMap::new();
    let choice = |candidates: Vec<Vec<(&'static str, &'static str)>>| Group { candidates, ladder: false };
    let scalings = || choice(VALUE_SCALINGS.iter().map(|v| vec![("event_value_scaling", *v)]).collect());
    let values = ValueScaling::usable(data);
    let mut groups: Vec<Group> = Vec::new();
    if values {
        groups.push(scalings());
    }
    groups.push(Group {
        candidates: ALPHA_REGULARIZATION.iter().map(|(a, r)| vec![("alpha", *a), ("regularization", *r)]).collect(),
        ladder: true,
    });
    // How fast tastes move differs most between data sets (a week on shopping sessions, a year
    // on film ratings), and whether recent items say more than the whole history.
    groups.push(choice(["7", "30", "365"].iter().map(|v| vec![("recency_half_life_days", *v)]).collect()));
    groups.push(choice(["0", "2"].iter().map(|v| vec![("sequence_weight", *v)]).collect()));
    groups.push(choice(["32", "64"].iter().map(|v| vec![("hidden_dimension", *v)]).collect()));
    if values {
        groups.push(scalings());
    }
    groups.retain(|g| g.candidates[0].iter().all(|(name, _)| !config.hyperparameters.contains_key(*name)));
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
    // (A ladder scores at most two rungs: up twice, or up once and down once.)
    let total = 1 + groups.iter().map(|g| if g.ladder { 2 } else { g.candidates.len() }).sum::<usize>();
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
    // A change must also gain at least one validation user's worth of NDCG: on data where every
    // candidate scores near zero, a relative margin alone lets noise choose.
    let min_gain = 1.0 / split.test.len() as f64;
    let beats = |ndcg: f64, bar: f64| ndcg >= bar * (1.0 + TUNING_MARGIN) && ndcg - bar >= min_gain;
    // The score of the choices so far (the defaults at first).
    let mut incumbent = score(config);
    for group in groups {
        let current = Params::from_config(&with(&[], &chosen));
        let same = group.candidates.iter().position(|c| Params::from_config(&with(c, &chosen)) == current);
        let best = match (group.ladder, same) {
            (true, Some(at)) => {
                // Up first; down only when the first step up does not pay.
                let mut best: Option<(f64, usize)> = None;
                for direction in [1isize, -1] {
                    let (mut at, mut bar) = (at, incumbent);
                    while let Some(next) = at.checked_add_signed(direction).filter(|n| *n < group.candidates.len()) {
                        let ndcg = score(&with(&group.candidates[next], &chosen));
                        if !beats(ndcg, bar) {
                            break;
                        }
                        (at, bar) = (next, ndcg);
                        best = Some((ndcg, next));
                    }
                    if best.is_some() {
                        break;
                    }
                }
                best
            }
            _ => {
                let mut best: Option<(f64, usize)> = None;
                for (k, candidate) in group.candidates.iter().enumerate() {
                    if Some(k) == same {
                        continue;
                    }
                    let ndcg = score(&with(candidate, &chosen));
                    if best.is_none_or(|(b, _)| ndcg > b) {
                        best = Some((ndcg, k));
                    }
                }
                // With no candidate equal to the choices so far (`auto` scaling), one is chosen.
                best.filter(|(b, _)| same.is_none() || beats(*b, incumbent))
            }
        };
        if let Some(k) = best.map(|(_, k)| k).or(same) {
            chosen.extend(group.candidates[k].iter().map(|(k, v)| (k.to_string(), v.to_string())));
        }
        if let Some((b, _)) = best {
            incumbent = b;
        }
    }
    Ok(chosen)
}
