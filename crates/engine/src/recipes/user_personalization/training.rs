//! Training: confidences, ALS, metadata regressions, popularity, the final fit and updates.

use super::*;

/// Percentile (nearest rank) of a sorted list.
/// The extra confidence of one impression passed over, as a share of one choice's `alpha`:
/// being shown an item and not taking it is weaker evidence than taking one.
const IMPRESSION_SHARE: f32 = 0.5;

/// Appends to a user's `(item, confidence)` pairs (sorted by item) the items shown to them and
/// never chosen, as weak negatives (confidence `-(1 + alpha·IMPRESSION_SHARE·times shown)`, see
/// [`als::Csr`]), keeping the order by item. An item the user chose at any time is no negative.
pub(super) fn add_impressions(p: &Params, shown: &[(u32, u32)], pairs: &mut Vec<(u32, f32)>) {
    if shown.is_empty() {
        return;
    }
    let chosen = pairs.len();
    for &(i, times) in shown {
        if pairs[..chosen].binary_search_by_key(&i, |e| e.0).is_err() {
            pairs.push((i, -(1.0 + p.alpha * IMPRESSION_SHARE * times as f32)));
        }
    }
    if pairs.len() > chosen {
        pairs.sort_unstable_by_key(|e| e.0);
    }
}

pub(super) fn percentile(sorted: &[usize], q: f64) -> usize {
    if sorted.is_empty() {
        return 0;
    }
    let idx = ((sorted.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize;
    sorted[idx]
}

/// Where a fit spent its time (for benchmarks).
#[derive(Debug, Clone, Default)]
pub struct FitTimings {
    /// Confidences and CSR matrices.
    pub prepare: std::time::Duration,
    /// Each ALS iteration (user half + item half).
    pub iterations: Vec<std::time::Duration>,
    /// Final user solve, metadata regressions, sequence component, popularity, context.
    pub finish: std::time::Duration,
}

/// Fit the model on (filtered) data.
pub fn fit(recipe: &'static str, data: &TrainingData, config: &TrainingConfig) -> UpModel {
    fit_timed(recipe, data, config).0
}

/// ALS iterations of a `trainingMode=UPDATE` refresh: it starts from the previous model's item
/// factors, so a couple of sweeps fold in new users, items and interactions.
pub const UPDATE_ITERATIONS: usize = 2;

/// [`fit`], also reporting where the time went.
pub fn fit_timed(recipe: &'static str, data: &TrainingData, config: &TrainingConfig) -> (UpModel, FitTimings) {
    fit_from(recipe, data, config, None)
}

/// The final fit of a training run, warm-started from the model the offline evaluation fitted
/// (the same data but the held-out newest tenth of a tenth of the users): its item factors have
/// converged on almost the same data, so [`UPDATE_ITERATIONS`] sweeps reach the quality of a
/// fit from scratch (within 0.2% NDCG@10 on MovieLens 100K, play counts and e-commerce events;
/// one sweep loses 2% on MovieLens: `cargo bench -p reko-engine --bench final_fit`).
pub fn fit_after_evaluation(
    recipe: &'static str,
    evaluated: &UpModel,
    data: &TrainingData,
    config: &TrainingConfig,
) -> (UpModel, FitTimings) {
    let iterations = Params::from_config(config).iterations.min(UPDATE_ITERATIONS);
    fit_from(recipe, data, config, Some((evaluated, iterations)))
}

/// A fit of `data` starting from `previous`'s item factors with `iterations` sweeps (what
/// [`fit_after_evaluation`] and [`update`] do with their own counts).
pub fn fit_warm(
    recipe: &'static str,
    previous: &UpModel,
    data: &TrainingData,
    config: &TrainingConfig,
    iterations: usize,
) -> UpModel {
    fit_from(recipe, data, config, Some((previous, iterations))).0
}

/// `trainingMode=UPDATE`: refit starting from `previous`'s item factors (matched by item id) with
/// [`UPDATE_ITERATIONS`] sweeps instead of a full training. Items new since `previous` start from
/// their metadata vector when they have interactions, else as in a full fit.
pub fn update(recipe: &'static str, previous: &UpModel, data: &TrainingData, config: &TrainingConfig) -> UpModel {
    fit_from(recipe, data, config, Some((previous, UPDATE_ITERATIONS))).0
}

/// Fit; with `warm_start = Some((previous, iterations))`, items `previous` knows start from its
/// factors and only `iterations` sweeps run (when the factor counts agree).
pub(super) fn fit_from(
    recipe: &'static str,
    data: &TrainingData,
    config: &TrainingConfig,
    warm_start: Option<(&UpModel, usize)>,
) -> (UpModel, FitTimings) {
    let mut timings = FitTimings::default();
    let t0 = std::time::Instant::now();
    let mut p = Params::from_config(config);
    let warm_start = warm_start.filter(|(prev, _)| prev.k == p.factors);
    if let Some((_, iterations)) = warm_start {
        p.iterations = iterations;
    }
    let previous = warm_start.map(|(prev, _)| prev);
    // An update keeps the value scaling its model's training chose.
    if let (ValueScaling::Auto, Some(prev)) = (p.value_scaling, previous) {
        p.value_scaling = prev.params.value_scaling;
    }
    (p.value_scaling, p.value_median) = p.value_scaling.resolve(data);
    let (k, s) = (p.factors, als::stride(p.factors));
    let n_users = data.num_users();
    let n_items = data.num_items();

    // 1. Confidences, user-major CSR.
    // Two passes (pair counts, then fill) so no intermediate copy of the matrix is needed.
    const CHUNK: usize = 4096;
    let mut indptr = vec![0usize; n_users + 1];
    indptr[1..].par_chunks_mut(CHUNK).enumerate().for_each(|(c, lens)| {
        let (mut pairs, mut factors) = (Vec::new(), Vec::new());
        for (j, l) in lens.iter_mut().enumerate() {
            let u = (c * CHUNK + j) as u32;
            let h = data.user_interactions(u);
            p.value_scaling.user_factors(h.event_values, p.value_median, &mut factors);
            user_confidences(&p, h.items, h.timestamps, |i| h.weight(i) * factors[i], &mut pairs);
            add_impressions(&p, data.impressions(u), &mut pairs);
            *l = pairs.len();
        }
    });
    for u in 0..n_users {
        indptr[u + 1] += indptr[u];
    }
    let nnz = indptr[n_users];
    let mut indices = vec![0u32; nnz];
    let mut conf = vec![0f32; nnz];
    {
        let mut slices = Vec::with_capacity(n_users.div_ceil(CHUNK));
        let (mut rest_i, mut rest_c) = (&mut indices[..], &mut conf[..]);
        for c in 0..n_users.div_ceil(CHUNK) {
            let len = indptr[((c + 1) * CHUNK).min(n_users)] - indptr[c * CHUNK];
            let (a, b) = std::mem::take(&mut rest_i).split_at_mut(len);
            let (ca, cb) = std::mem::take(&mut rest_c).split_at_mut(len);
            slices.push((c, a, ca));
            rest_i = b;
            rest_c = cb;
        }
        slices.into_par_iter().for_each(|(c, out_i, out_c)| {
            let (mut pairs, mut factors) = (Vec::new(), Vec::new());
            let mut pos = 0;
            for u in c * CHUNK..((c + 1) * CHUNK).min(n_users) {
                let h = data.user_interactions(u as u32);
                p.value_scaling.user_factors(h.event_values, p.value_median, &mut factors);
                user_confidences(&p, h.items, h.timestamps, |i| h.weight(i) * factors[i], &mut pairs);
                add_impressions(&p, data.impressions(u as u32), &mut pairs);
                for (j, &(i, cf)) in pairs.iter().enumerate() {
                    out_i[pos + j] = i;
                    out_c[pos + j] = cf;
                }
                pos += pairs.len();
            }
        });
    }
    let users = Csr { indptr, indices, conf };

    // 2. Users outside the history-length percentiles do not shape the item factors.
    let mut lens: Vec<usize> = (0..n_users).map(|u| data.user_len(u as u32)).filter(|&l| l > 0).collect();
    lens.sort_unstable();
    let (lo, hi) = (percentile(&lens, p.min_history_percentile), percentile(&lens, p.max_history_percentile));
    let items = users.transpose(n_items, |u| {
        let l = data.user_len(u as u32);
        l >= lo && l <= hi
    });
    drop(lens);
    // An item is fitted when someone chose it; impressions alone say only what was passed over.
    let fitted: Vec<bool> = (0..n_items).map(|i| items.row(i).1.iter().any(|&c| c > 0.0)).collect();

    // 3. ALS.
    let mut x = als::init_factors(n_users, s, k, 0x5245_4b4f_5553_4552);
    let mut y = als::init_factors(n_items, s, k, 0x5245_4b4f_4954_454d);
    for (i, w) in fitted.iter().enumerate() {
        if !w {
            y[i * s..(i + 1) * s].fill(0.0);
        }
    }
    if let Some(prev) = previous {
        // Warm start: items the previous model knows keep their factors.
        let index = prev.item_index();
        for (i, id) in data.items().iter().enumerate() {
            // Items that were cold before start from their metadata vector, better than noise.
            if let (true, Some(&j)) = (fitted[i], index.get(id)) {
                let j = j as usize;
                y[i * s..(i + 1) * s].copy_from_slice(&prev.y[j * s..(j + 1) * s]);
            }
        }
    }
    timings.prepare = t0.elapsed();
    // The iterations are nearly the whole fit: they move its progress.
    for it in 0..p.iterations {
        let t = std::time::Instant::now();
        als::update_side(&mut x, &y, &users, s, k, p.regularization, p.cg_steps);
        als::update_side(&mut y, &x, &items, s, k, p.regularization, p.cg_steps);
        timings.iterations.push(t.elapsed());
        config.progress.steps(it + 1, p.iterations);
    }
    let t1 = std::time::Instant::now();
    drop(items);
    // Final user solve against the final item factors.
    als::update_side(&mut x, &y, &users, s, k, p.regularization, p.cg_steps);
    let gram = als::gram(&y, s, k, p.regularization);
    drop(users);

    // 4. Cold items from metadata (ridge regression fitted on the fitted items), and what
    // metadata predicts for a sample of established items (exploration's calibration).
    let mut counts = vec![0u32; n_items];
    for &i in data.interaction_items() {
        counts[i as usize] = counts[i as usize].saturating_add(1);
    }
    let mut calibration = Calibration::sample(&counts, s);
    let num_features = data.features().len();
    let mut item_feature_w = Vec::new();
    let mut item_feature_tokens = Vec::new();
    let has_item_features = (0..n_items).any(|i| !data.item_features(i as u32).is_empty());
    if has_item_features {
        let fitted_rows: Vec<u32> = (0..n_items as u32).filter(|&i| fitted[i as usize]).collect();
        let (w, mean) = metadata_regression(
            &fitted_rows,
            |i| data.item_features(i),
            &y,
            s,
            num_features,
            p.metadata_regularization,
        );
        let mut v = vec![0f32; s];
        for (c, &i) in calibration.items.iter().enumerate() {
            predict_from_metadata(&w, &mean, s, data.item_features(i), &mut calibration.predicted[c * s..(c + 1) * s]);
        }
        for i in 0..n_items {
            if !fitted[i] {
                predict_from_metadata(&w, &mean, s, data.item_features(i as u32), &mut v);
                y[i * s..(i + 1) * s].copy_from_slice(&v);
            }
        }
        // Keep only the features items use (plus the intercept as token "").
        let mut used = vec![false; num_features];
        for i in 0..n_items {
            for &f in data.item_features(i as u32) {
                used[f as usize] = true;
            }
        }
        item_feature_tokens.push(String::new());
        item_feature_w.extend_from_slice(&mean);
        for f in 0..num_features {
            if used[f] {
                item_feature_tokens.push(data.features().name(f as u32).to_string());
                item_feature_w.extend_from_slice(&w[f * s..(f + 1) * s]);
            }
        }
    }
    if !has_item_features {
        let fitted_rows: Vec<u32> = (0..n_items as u32).filter(|&i| fitted[i as usize]).collect();
        calibration.predict_all(&rows_mean(&fitted_rows, &y, s));
    }

    // 5. Sequence component and cold users with metadata.
    if p.sequence_weight > 0.0 {
        x.par_chunks_mut(s).enumerate().for_each(|(u, xu)| {
            let h = data.user_interactions(u as u32);
            if h.is_empty() {
                return;
            }
            let mut q = vec![0f32; s];
            sequence_vector(&p, &y, s, recent_distinct(h), &mut q);
            xu.iter_mut().zip(&q).for_each(|(a, b)| *a += p.sequence_weight * b);
        });
    }
    let has_user_features = (0..n_users).any(|u| !data.user_features(u as u32).is_empty());
    if has_user_features {
        let warm_users: Vec<u32> =
            (0..n_users as u32).filter(|&u| data.user_len(u) > 0 && !data.user_features(u).is_empty()).collect();
        if !warm_users.is_empty() {
            let (w, mean) = metadata_regression(
                &warm_users,
                |u| data.user_features(u),
                &x,
                s,
                num_features,
                p.metadata_regularization,
            );
            let mut v = vec![0f32; s];
            for u in 0..n_users {
                let f = data.user_features(u as u32);
                if data.user_len(u as u32) == 0 && !f.is_empty() {
                    predict_from_metadata(&w, &mean, s, f, &mut v);
                    x[u * s..(u + 1) * s].copy_from_slice(&v);
                }
            }
        }
    }

    // 6. Popularity (recency-weighted, relative to the newest interaction) and context lifts.
    let newest = data.max_timestamp().unwrap_or(0);
    let popularity = popularity(&p, data, newest);
    let mut lifts = context_lifts(data);
    let (context_tokens, context_lift) = (std::mem::take(&mut lifts.names), std::mem::take(&mut lifts.lift));
    timings.finish = t1.elapsed();

    let mut model = UpModel {
        recipe,
        k,
        s,
        newest,
        item_ids: data.items().iter().map(Arc::from).collect(),
        y,
        counts,
        calibration,
        created: (0..n_items as u32).map(|i| data.item_creation_timestamp(i).unwrap_or(i64::MIN)).collect(),
        popularity,
        users: Arc::new(UserFactors { ids: data.users().iter().map(Arc::from).collect(), x, index: OnceLock::new() }),
        gram,
        events: EventWeights::from_config(config),
        context_tokens,
        context_lift,
        item_feature_tokens,
        item_feature_w,
        objective: Vec::new(),
        params: p,
        item_index: OnceLock::new(),
        context_index: OnceLock::new(),
        batcher: ScoreBatcher::default(),
        exploration_index: OnceLock::new(),
        clusters: OnceLock::new(),
        popular: OnceLock::new(),
    };
    if !model.context_tokens.is_empty() && model.params.context_weight > 0.0 {
        let fit = context_fit(&model, data, &lifts);
        model.params.context_weight *= fit.scale;
        if fit.popularity > 0.0 {
            // Bake the popularity into each token's row: serving and the cluster bounds read the table.
            let (lp, _) = lifts.log_popularity();
            let n = lp.len();
            for row in model.context_lift.chunks_exact_mut(n.max(1)) {
                row.iter_mut().zip(&lp).for_each(|(l, p)| *l += fit.popularity * p);
            }
        }
    }
    if let (Some(sensitivity), Some(values)) = (config.objective, data.item_objective_values()) {
        model.objective = objective_terms(&model, values, sensitivity.weight());
    }
    (model, timings)
}

/// Users whose logits set the scale of the optimization objective's terms.
const OBJECTIVE_SAMPLE_USERS: usize = 256;

/// The optimization objective's logit term per item: `weight · spread · z`, where `z` is the
/// item's value in standard deviations from the mean of the valued items (0 for an item without
/// a value) and `spread` the mean standard deviation of a user's relevance logits over the
/// catalogue, so a sensitivity means the same trade-off whatever the data's scale.
pub(super) fn objective_terms(model: &UpModel, values: &[f32], weight: f32) -> Vec<f32> {
    let n = model.item_ids.len();
    let valued: Vec<f64> = values.iter().filter(|v| v.is_finite()).map(|&v| f64::from(v)).collect();
    if weight == 0.0 || valued.is_empty() || n == 0 {
        return Vec::new();
    }
    let mean = valued.iter().sum::<f64>() / valued.len() as f64;
    let sd = (valued.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / valued.len() as f64).sqrt();
    if sd.is_nan() || sd <= 0.0 {
        return Vec::new();
    }
    let users: Vec<&[f32]> = {
        let all = model.users.ids.len();
        let step = all.div_ceil(OBJECTIVE_SAMPLE_USERS).max(1);
        (0..all).step_by(step).filter_map(|u| model.user_row(u)).collect()
    };
    let spreads: Vec<f64> = users
        .par_iter()
        .map(|v| {
            let mut l = vec![0f32; n];
            als::scores(&model.y, v, model.s, model.params.score_scale, &mut l);
            let m = l.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
            (l.iter().map(|&x| (f64::from(x) - m).powi(2)).sum::<f64>() / n as f64).sqrt()
        })
        .collect();
    let spread = if spreads.is_empty() { 1.0 } else { spreads.iter().sum::<f64>() / spreads.len() as f64 };
    values
        .iter()
        .take(n)
        .map(|&v| if v.is_finite() { (f64::from(weight) * spread * (f64::from(v) - mean) / sd) as f32 } else { 0.0 })
        .chain(std::iter::repeat(0.0))
        .take(n)
        .collect()
}

/// Ridge regression from metadata tokens to factors, fitted on the `fitted` rows (items or
/// users) with their factors as targets; the mean factor vector is the intercept and the
/// regression fits the residual. Returns (weights `features × s`, mean).
pub(super) fn metadata_regression<'a>(
    fitted: &[u32],
    tokens: impl Fn(u32) -> &'a [u32],
    factors: &[f32],
    s: usize,
    num_features: usize,
    regularization: f32,
) -> (Vec<f32>, Vec<f32>) {
    let rows: Vec<&[u32]> = fitted.iter().map(|&r| tokens(r)).collect();
    let mut targets = vec![0f32; fitted.len() * s];
    for (t, &r) in targets.chunks_exact_mut(s).zip(fitted) {
        t.copy_from_slice(&factors[r as usize * s..(r as usize + 1) * s]);
    }
    let mean = rows_mean(fitted, factors, s);
    for row in targets.chunks_exact_mut(s) {
        row.iter_mut().zip(&mean).for_each(|(t, m)| *t -= m);
    }
    (als::ridge(&rows, &targets, s, num_features, regularization, 30), mean)
}

/// The factors [`metadata_regression`] predicts for `tokens`.
pub(super) fn predict_from_metadata(w: &[f32], mean: &[f32], s: usize, tokens: &[u32], out: &mut [f32]) {
    als::ridge_predict(w, s, tokens, out);
    out.iter_mut().zip(mean).for_each(|(o, m)| *o += m);
}

/// The mean of the rows `rows` of `m` (`s` wide).
pub(super) fn rows_mean(rows: &[u32], m: &[f32], s: usize) -> Vec<f32> {
    let mut sum = vec![0f64; s];
    for &r in rows {
        sum.iter_mut().zip(&m[r as usize * s..(r as usize + 1) * s]).for_each(|(a, &b)| *a += f64::from(b));
    }
    sum.into_iter().map(|a| (a / rows.len().max(1) as f64) as f32).collect()
}

/// Established items in a fixed sample and the factors their metadata alone predicts.
#[derive(Clone, Default)]
pub(super) struct Calibration {
    pub(super) items: Vec<u32>,
    /// `items.len() × s`.
    pub(super) predicted: Vec<f32>,
    /// The items' trained factor rows side by side (`items.len() × s`), copied on first use: a
    /// request reads them all, and 128 KB in one place stay in cache where 512 rows scattered
    /// over a large catalogue's factors are 512 cache misses.
    pub(super) trained: std::sync::OnceLock<Vec<f32>>,
    /// The distinct rows of `predicted` side by side, and how many items have each: items
    /// with the same metadata have the same prediction, so a request scores each row once.
    pub(super) distinct: std::sync::OnceLock<(Vec<f32>, Vec<u32>)>,
}

/// Established items exploration calibrates with (enough for stable quantiles, cheap per request).
pub(super) const CALIBRATION_ITEMS: usize = 512;

impl Calibration {
    /// Up to [`CALIBRATION_ITEMS`] established items, evenly spread over the catalogue, with
    /// zero predictions.
    pub(super) fn sample(counts: &[u32], s: usize) -> Calibration {
        let established: Vec<u32> =
            (0..counts.len() as u32).filter(|&i| counts[i as usize] > exploration::RARE_MAX).collect();
        let step = established.len().div_ceil(CALIBRATION_ITEMS).max(1);
        let items: Vec<u32> = established.into_iter().step_by(step).collect();
        Calibration { predicted: vec![0.0; items.len() * s], items, ..Default::default() }
    }

    /// The items' trained rows of `y` (stride `s`), side by side.
    pub(super) fn trained_rows(&self, y: &[f32], s: usize) -> &[f32] {
        self.trained.get_or_init(|| {
            self.items.iter().flat_map(|&i| &y[i as usize * s..(i as usize + 1) * s]).copied().collect()
        })
    }

    /// [`Self::distinct`], grouped on first use.
    pub(super) fn distinct_predictions(&self, s: usize) -> (&[f32], &[u32]) {
        let (rows, counts) = self.distinct.get_or_init(|| {
            let mut distinct = crate::recipes::kmeans::DistinctRows::default();
            let (mut rows, mut counts) = (Vec::new(), Vec::new());
            for row in self.predicted.chunks_exact(s.max(1)) {
                let (k, first) = distinct.id(row);
                if first {
                    rows.extend_from_slice(row);
                    counts.push(0);
                }
                counts[k as usize] += 1;
            }
            (rows, counts)
        });
        (rows, counts)
    }

    /// The same prediction for every item (no item metadata: the mean item).
    pub(super) fn predict_all(&mut self, v: &[f32]) {
        let s = v.len();
        self.predicted.chunks_exact_mut(s.max(1)).for_each(|p| p.copy_from_slice(v));
    }
}

/// Distinct items of a history, newest first.
pub(super) fn recent_distinct(h: UserInteractions<'_>) -> impl Iterator<Item = u32> + '_ {
    let mut seen: Vec<u32> = Vec::new();
    h.items.iter().rev().copied().filter(move |i| {
        if seen.contains(i) {
            false
        } else {
            seen.push(*i);
            true
        }
    })
}

pub(super) fn popularity(p: &Params, data: &TrainingData, newest: i64) -> Vec<f32> {
    let n = data.num_items();
    let items = data.interaction_items();
    let ts = data.interaction_timestamps();
    let weights = data.interaction_weights();
    // Popularity uses a longer horizon than the per-user decay (4 half-lives' worth of data
    // keeps its shape): items trending now, but not only today's.
    let mut pop = (0..items.len())
        .into_par_iter()
        .with_min_len(1 << 16)
        .fold(
            || vec![0f64; n],
            |mut acc, j| {
                let w = weights.map_or(1.0, |w| w[j]) as f64;
                let d = if p.recency {
                    0.5f64.powf((newest - ts[j]).max(0) as f64 / (4.0 * half_life_secs(p)))
                } else {
                    1.0
                };
                acc[items[j] as usize] += w * d;
                acc
            },
        )
        .reduce(
            || vec![0f64; n],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let total: f64 = pop.iter().sum();
    if total > 0.0 {
        pop.iter_mut().for_each(|v| *v /= total);
    }
    pop.into_iter().map(|v| v as f32).collect()
}
