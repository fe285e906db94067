//! Context lifts: how a request's context tokens shift items' logits, learnt in training.

use super::*;

/// Maximum number of context tokens with a lift table.
pub(super) const MAX_CONTEXT_TOKENS: usize = 64;
/// Maximum number of cells of the lift tables.
pub(super) const MAX_CONTEXT_CELLS: usize = 16 << 20;
/// Pseudo-count smoothing `P(item | token)` toward `P(item)`.
pub(super) const CONTEXT_SMOOTHING: f64 = 20.0;

/// The context lift tables and the counts they were estimated from.
#[derive(Default)]
pub(super) struct ContextLifts {
    pub(super) names: Vec<String>,
    /// Log-lift per token and item (`tokens × items`).
    pub(super) lift: Vec<f32>,
    /// Token slots of each context combination.
    pub(super) combo_slots: Vec<Vec<usize>>,
    /// Interactions per token and item, per item, per token, and in all.
    pub(super) counts: Vec<f64>,
    pub(super) base: Vec<f64>,
    pub(super) token_n: Vec<f64>,
    pub(super) total: f64,
}

impl ContextLifts {
    /// `P(item)` and the lift of token `t` for `item`, estimated without `drop` interactions of
    /// the item under that token (leave-one-out, so a training interaction can judge the lift).
    pub(super) fn lift_without(&self, t: usize, item: usize, drop: f64) -> f32 {
        let n = self.base.len() as f64;
        let pi = (self.base[item] - drop + 0.5) / (self.total - drop + 0.5 * n);
        let c = (self.counts[t * self.base.len() + item] - drop).max(0.0);
        let pif = (c + CONTEXT_SMOOTHING * pi) / (self.token_n[t] - drop + CONTEXT_SMOOTHING);
        (pif / pi).ln() as f32
    }
}

pub(super) fn context_lifts(data: &TrainingData) -> ContextLifts {
    let Some(ctx) = data.interaction_contexts() else { return ContextLifts::default() };
    let n_items = data.num_items();
    let items = data.interaction_items();
    // Token frequencies.
    let mut per_combo = vec![0usize; data.num_contexts()];
    for &c in ctx {
        if c != NO_CONTEXT {
            per_combo[c as usize] += 1;
        }
    }
    let mut token_count: HashMap<u32, usize> = HashMap::new();
    for (c, &n) in per_combo.iter().enumerate() {
        for &f in data.context_features(c as u32) {
            *token_count.entry(f).or_default() += n;
        }
    }
    let mut tokens: Vec<(u32, usize)> = token_count.into_iter().filter(|t| t.1 > 0).collect();
    tokens.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let cap = MAX_CONTEXT_TOKENS.min(MAX_CONTEXT_CELLS / n_items.max(1));
    tokens.truncate(cap);
    if tokens.is_empty() {
        return ContextLifts::default();
    }
    let slot: HashMap<u32, usize> = tokens.iter().enumerate().map(|(i, t)| (t.0, i)).collect();
    let combo_slots: Vec<Vec<usize>> = (0..data.num_contexts())
        .map(|c| data.context_features(c as u32).iter().filter_map(|f| slot.get(f).copied()).collect())
        .collect();
    let nt = tokens.len();
    let mut counts = vec![0f64; nt * n_items];
    let mut base = vec![0f64; n_items];
    for (j, &c) in ctx.iter().enumerate() {
        let i = items[j] as usize;
        base[i] += 1.0;
        if c != NO_CONTEXT {
            for &t in &combo_slots[c as usize] {
                counts[t * n_items + i] += 1.0;
            }
        }
    }
    let mut out = ContextLifts {
        names: tokens.iter().map(|t| data.features().name(t.0).to_string()).collect(),
        lift: vec![0f32; nt * n_items],
        combo_slots,
        counts,
        base,
        token_n: tokens.iter().map(|t| t.1 as f64).collect(),
        total: items.len() as f64,
    };
    for t in 0..nt {
        for i in 0..n_items {
            out.lift[t * n_items + i] = out.lift_without(t, i, 0.0);
        }
    }
    out
}

/// Candidate scales of the context lift, tried in training.
pub(super) const CONTEXT_SCALES: [f32; 9] = [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];
/// Candidate weights of the item's popularity inside a context (relative to the lift).
pub(super) const CONTEXT_POPULARITY: [f32; 5] = [0.0, 0.25, 0.5, 1.0, 2.0];
/// Users sampled to choose the scale.
pub(super) const CONTEXT_SCALE_SAMPLES: usize = 1000;
/// How much better (relative mean reciprocal rank) a context setting must score than none.
pub(super) const CONTEXT_MARGIN: f64 = 0.01;
/// Items a sample's rank is counted over (a stride through larger catalogues).
pub(super) const CONTEXT_RANK_ITEMS: usize = 16_384;

/// How a context shifts logits, chosen in training: the scale of the lift and the weight of
/// the item's log-popularity (relative to the median item) that joins it when a request has
/// a context.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct ContextFit {
    pub(super) scale: f32,
    pub(super) popularity: f32,
}

impl ContextLifts {
    /// Log-popularity of every item relative to the median item (`drop` interactions of `item`
    /// left out), so that an item added later (0) counts as a typical item.
    pub(super) fn log_popularity(&self) -> (Vec<f32>, f32) {
        let n = self.base.len() as f64;
        let lp: Vec<f32> = self.base.iter().map(|&b| ((b + 0.5) / (self.total + 0.5 * n)).ln() as f32).collect();
        let mut sorted = lp.clone();
        sorted.sort_unstable_by(f32::total_cmp);
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
        (lp.into_iter().map(|l| l - median).collect(), median)
    }

    fn log_popularity_without(&self, item: usize, drop: f64, median: f32) -> f32 {
        let n = self.base.len() as f64;
        (((self.base[item] - drop + 0.5) / (self.total - drop + 0.5 * n)).ln() as f32) - median
    }
}

/// How much the context lift should count against the user's vector: how strongly the context
/// drives behaviour varies by dataset (on data where it drives nothing the best scale is 0).
/// Chosen from [`CONTEXT_SCALES`] × [`CONTEXT_POPULARITY`] by the mean reciprocal rank (over the
/// whole catalogue, or a stride through it past [`CONTEXT_RANK_ITEMS`], seen items left out) of a
/// sample of users' newest interactions that carry a context, each judged as held out: the user's
/// vector is folded in from the rest of their history and the target's lift and popularity are
/// estimated without it (in-sample, a lift table always looks useful).
pub(super) fn context_fit(model: &UpModel, data: &TrainingData, ctx: &ContextLifts) -> ContextFit {
    let n = data.num_items();
    let (s, lift, combo_slots) = (model.s, &model.context_lift, &ctx.combo_slots);
    let (lp, median) = ctx.log_popularity();
    let users: Vec<u32> = (0..data.num_users() as u32).filter(|&u| data.user_len(u) > 1).collect();
    let step = (users.len() / CONTEXT_SCALE_SAMPLES).max(1);
    let samples: Vec<(u32, usize)> = users
        .iter()
        .step_by(step)
        .filter_map(|&u| {
            let h = data.user_interactions(u);
            let ctx = h.contexts?;
            let j = (0..h.len()).filter(|&j| ctx[j] != NO_CONTEXT).max_by_key(|&j| (h.timestamps[j], j))?;
            Some((u, j))
        })
        .collect();
    let grid: Vec<ContextFit> = CONTEXT_SCALES
        .iter()
        .flat_map(|&scale| CONTEXT_POPULARITY.iter().map(move |&popularity| ContextFit { scale, popularity }))
        .filter(|f| f.scale > 0.0 || f.popularity == 0.0)
        .collect();
    if samples.is_empty() {
        return ContextFit { scale: 1.0, popularity: 0.0 };
    }
    let stride = n.div_ceil(CONTEXT_RANK_ITEMS).max(1);
    let totals: Vec<f64> = samples
        .par_iter()
        .map(|&(u, j)| {
            let h = data.user_interactions(u);
            let (item, combo) = (h.items[j] as usize, h.contexts.map_or(NO_CONTEXT, |c| c[j]) as usize);
            let rest: Vec<(u32, f32, i64)> = (0..h.len())
                .filter(|&k| k != j)
                .map(|k| {
                    let w = model.events.weight(data.event_type_name(h.event_types[k]));
                    (h.items[k], w, h.timestamps[k])
                })
                .filter(|e| e.1 > 0.0)
                .collect();
            let v = model.fold_in_indices(&rest);
            let mut base = vec![0f32; n];
            als::scores(&model.y, &v, s, model.params.score_scale, &mut base);
            let mut l = vec![0f32; n];
            for &t in &combo_slots[combo] {
                l.iter_mut().zip(&lift[t * n..(t + 1) * n]).for_each(|(a, b)| *a += b);
            }
            l[item] = combo_slots[combo].iter().map(|&t| ctx.lift_without(t, item, 1.0)).sum();
            // Served lists leave out what the user has seen: so does the rank.
            for e in &rest {
                if e.0 as usize != item {
                    base[e.0 as usize] = f32::NEG_INFINITY;
                }
            }
            let tokens = combo_slots[combo].len() as f32;
            let mut p: Vec<f32> = lp.iter().map(|x| tokens * x).collect();
            p[item] = tokens * ctx.log_popularity_without(item, 1.0, median);
            grid.iter()
                .map(|f| {
                    let score = |i: usize| base[i] + f.scale * (l[i] + f.popularity * p[i]);
                    let target = score(item);
                    let above = (0..n).step_by(stride).filter(|&i| score(i) > target).count() * stride;
                    1.0 / (1 + above) as f64
                })
                .collect::<Vec<f64>>()
        })
        .reduce(
            || vec![0.0; grid.len()],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    // grid[0] is no context: it stays unless another setting is clearly better (on data where the
    // context drives nothing, the sample's noise alone picks some scale).
    let best = (0..grid.len()).max_by(|&a, &b| totals[a].total_cmp(&totals[b])).unwrap_or(0);
    if totals[best] < totals[0] * (1.0 + CONTEXT_MARGIN) {
        return grid[0];
    }
    grid[best]
}
