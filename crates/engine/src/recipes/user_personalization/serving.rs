//! Serving: scoring, selection (with the cluster index and exploration), fold-in, ranking.

use super::*;
use crate::Reason;

impl UpModel {
    /// Number of factors.
    pub fn factors(&self) -> usize {
        self.k
    }
    /// The resolved hyperparameters.
    pub fn params(&self) -> &Params {
        &self.params
    }
    pub(super) fn item_index(&self) -> &FxHashMap<Arc<str>, u32> {
        self.item_index.get_or_init(|| self.item_ids.iter().enumerate().map(|(i, id)| (id.clone(), i as u32)).collect())
    }
    pub(super) fn user_index(&self) -> &FxHashMap<Arc<str>, u32> {
        let users = &self.users;
        users.index.get_or_init(|| users.ids.iter().enumerate().map(|(i, id)| (id.clone(), i as u32)).collect())
    }
    pub(super) fn context_index(&self) -> &HashMap<String, u32> {
        self.context_index
            .get_or_init(|| self.context_tokens.iter().enumerate().map(|(i, t)| (t.clone(), i as u32)).collect())
    }
    pub(super) fn user_row(&self, u: usize) -> Option<&[f32]> {
        let row = self.users.x.get(u * self.s..(u + 1) * self.s)?;
        row.iter().any(|&v| v != 0.0).then_some(row)
    }
    /// The stored vector of a known user (padded to the internal stride), `None` if unknown.
    pub fn user_vector(&self, user_id: &str) -> Option<&[f32]> {
        let &u = self.user_index().get(user_id)?;
        self.user_row(u as usize)
    }

    pub(super) fn history_pairs(&self, events: &[(u32, f32, i64)], reference: i64) -> Vec<(u32, f32)> {
        let mut pairs: Vec<(u32, f32)> = events
            .iter()
            .filter(|e| e.1 > 0.0 && (e.0 as usize) < self.item_ids.len())
            .map(|&(i, w, t)| (i, w * decay(&self.params, reference - t)))
            .collect();
        pairs.sort_unstable_by_key(|e| e.0);
        let mut out: Vec<(u32, f32)> = Vec::with_capacity(pairs.len());
        for (i, w) in pairs {
            match out.last_mut() {
                Some(last) if last.0 == i => last.1 += w,
                _ => out.push((i, w)),
            }
        }
        for e in &mut out {
            e.1 = 1.0 + self.params.alpha * e.1;
        }
        out
    }

    /// Closed-form fold-in: the user vector (stride-padded) that training would give a new user
    /// with this history (`(item index, weight, timestamp)`, any order), sequence component
    /// included. Unknown item indices are ignored.
    pub fn fold_in_indices(&self, events: &[(u32, f32, i64)]) -> Vec<f32> {
        let reference = events.iter().map(|e| e.2).max().unwrap_or(self.newest);
        let pairs = self.history_pairs(events, reference);
        let mut x = als::fold_in(&self.y, &self.gram, self.s, self.k, &pairs);
        self.add_sequence(&mut x, events);
        x
    }

    pub(super) fn add_sequence(&self, x: &mut [f32], events: &[(u32, f32, i64)]) {
        if self.params.sequence_weight <= 0.0 {
            return;
        }
        let mut order: Vec<(i64, u32)> =
            events.iter().filter(|e| e.1 > 0.0 && (e.0 as usize) < self.item_ids.len()).map(|e| (e.2, e.0)).collect();
        order.sort_unstable();
        let mut seen = Vec::new();
        let recent = order.iter().rev().map(|e| e.1).filter(|i| {
            let new = !seen.contains(i);
            if new {
                seen.push(*i);
            }
            new
        });
        let mut q = vec![0f32; self.s];
        sequence_vector(&self.params, &self.y, self.s, recent, &mut q);
        x.iter_mut().zip(&q).for_each(|(a, b)| *a += self.params.sequence_weight * b);
    }

    /// Closed-form fold-in of a history of `(item id, weight, timestamp)` events: the vector
    /// training would give a user with exactly this history (`hidden_dimension` floats).
    /// Items unknown to the model are ignored.
    pub fn fold_in(&self, history: &[FoldInEvent<'_>]) -> Vec<f32> {
        let idx = self.item_index();
        let events: Vec<(u32, f32, i64)> =
            history.iter().filter_map(|&(id, w, t)| idx.get(id).map(|&i| (i, w, t))).collect();
        let mut v = self.fold_in_indices(&events);
        v.truncate(self.k);
        v
    }

    /// The vector for a known user updated with new events: `x + d` where `d` solves
    /// `(YᵀY + reg·I + H_new) d = b_new − H_new·x` (the exact update when the user's older
    /// history is ignored in the system matrix, which also lets new events weigh more).
    pub(super) fn updated_vector(&self, base: &[f32], events: &[(u32, f32, i64)]) -> Vec<f32> {
        let reference = events.iter().map(|e| e.2).max().unwrap_or(self.newest);
        let pairs = self.history_pairs(events, reference);
        let (s, k) = (self.s, self.k);
        // b' = Σ c y − Σ (c − 1)(y·x) y: the fold-in right-hand side with the correction.
        let adjusted: Vec<(u32, f32, f32)> = pairs
            .iter()
            .map(|&(i, c)| {
                let yi = &self.y[i as usize * s..(i as usize + 1) * s];
                (i, c, c - (c - 1.0) * als::dot(yi, base))
            })
            .collect();
        let d = als::fold_in_rhs(&self.y, &self.gram, s, k, &adjusted);
        let mut x: Vec<f32> = base.iter().zip(&d).map(|(a, b)| a + b).collect();
        self.add_sequence(&mut x, events);
        x
    }

    pub(super) fn context_slots(&self, context: &[String]) -> Vec<usize> {
        if self.context_tokens.is_empty() || self.params.context_weight == 0.0 {
            return Vec::new();
        }
        let idx = self.context_index();
        context.iter().filter_map(|t| idx.get(t).map(|&i| i as usize)).collect()
    }

    /// Logits of all items for a user vector (or popularity when `None`), context included.
    /// `batched`: score together with concurrent requests (serving; see [`ScoreBatcher`]).
    pub(super) fn logits(&self, v: Option<&[f32]>, ctx: &[usize], batched: bool) -> Vec<f32> {
        let n = self.item_ids.len();
        let s = self.s;
        let scale = self.params.score_scale;
        let mut out: Vec<f32> = match v {
            Some(v) if v.len() == s && batched => {
                let out = self.batcher.scores(v, |batch| self.score_batch(batch));
                if out.len() == n {
                    out
                } else {
                    self.score_batch(&[v.to_vec()]).swap_remove(0)
                }
            }
            Some(v) if v.len() == s => {
                let mut out = vec![0f32; n];
                out.par_chunks_mut(8192).enumerate().for_each(|(c, o)| {
                    als::scores(&self.y[c * 8192 * s..(c * 8192 + o.len()) * s], v, s, scale, o);
                    self.add_objective(c * 8192, o);
                });
                out
            }
            Some(v) => {
                let mut out: Vec<f32> =
                    self.y.par_chunks(s).with_min_len(4096).map(|y| scale * als::dot(y, v)).collect();
                self.add_objective(0, &mut out);
                out
            }
            None => {
                let mut out: Vec<f32> = self.popularity.iter().map(|&p| (p + 1e-9).ln()).collect();
                self.add_objective(0, &mut out);
                out
            }
        };
        self.add_context(&mut out, ctx);
        out
    }

    /// Adds the optimization objective's term to the logits of items `start..start + len`.
    #[inline]
    pub(super) fn add_objective(&self, start: usize, logits: &mut [f32]) {
        if let Some(terms) = self.objective.get(start..start + logits.len()) {
            logits.iter_mut().zip(terms).for_each(|(l, b)| *l += b);
        }
    }

    /// The optimization objective's term of item `i` (0 without an objective).
    #[inline]
    pub(super) fn objective_term(&self, i: usize) -> f32 {
        self.objective.get(i).copied().unwrap_or(0.0)
    }

    /// Adds the context lifts of the token slots `ctx` to a full logits vector.
    pub(super) fn add_context(&self, logits: &mut [f32], ctx: &[usize]) {
        let n = self.item_ids.len();
        for &t in ctx {
            let row = &self.context_lift[t * n..(t + 1) * n];
            logits.iter_mut().zip(row).for_each(|(o, l)| *o += self.params.context_weight * l);
        }
    }

    /// Recommendations for a user vector (`None`: popularity), with context, exclusions and
    /// exploration of `query`; `skip` are item indices never returned (e.g. the history).
    pub fn recommend_for_vector(&self, v: Option<&[f32]>, query: &RecommendQuery, skip: &[u32]) -> Vec<ScoredItem> {
        let n = self.item_ids.len();
        if n == 0 || query.num_results == 0 {
            return Vec::new();
        }
        let ctx = self.context_slots(query.context);
        if let Some(v) = v.filter(|v| v.len() == self.s && n >= PRUNE_MIN_ITEMS) {
            return self.select_pruned(self.item_clusters(), v, &ctx, query, skip);
        }
        if v.is_none() && ctx.is_empty() {
            return self.select_popular(query, skip);
        }
        let logits = self.logits(v, &ctx, true);
        self.select(&logits, v, query, skip)
    }

    /// `query`'s answer for vector `v` both ways: the pruned search of the serving path and a
    /// full scan of the catalogue, with how many items the pruned search scored. What the serving
    /// benchmark reports and the tests pin: the same items, close scores, a small share scored.
    pub fn pruned_against_full_scan(&self, v: &[f32], query: &RecommendQuery) -> PrunedComparison {
        let ctx = self.context_slots(query.context);
        let scored = std::cell::Cell::new(0);
        let pruned = self.select_pruned_counted(self.item_clusters(), v, &ctx, query, &[], &scored);
        let full = self.select(&self.logits(Some(v), &ctx, true), Some(v), query, &[]);
        PrunedComparison { pruned, full, scored: scored.get(), catalogue: self.item_ids.len() }
    }

    /// The cluster index, built on first use (a second or two at 100k items).
    pub(super) fn item_clusters(&self) -> &ItemClusters {
        self.clusters.get_or_init(|| ItemClusters::build(self))
    }

    /// The logit of item `i` for vector `v` with the context slots `ctx`.
    pub(super) fn logit(&self, i: usize, v: &[f32], ctx: &[usize]) -> f32 {
        self.logit_from_dot(i, als::dot(&self.y[i * self.s..(i + 1) * self.s], v), ctx)
    }

    /// The logit of item `i` whose factor row has dot product `dot` with the user's vector.
    pub(super) fn logit_from_dot(&self, i: usize, dot: f32, ctx: &[usize]) -> f32 {
        let n = self.item_ids.len();
        let mut l = self.params.score_scale * dot + self.objective_term(i);
        for &t in ctx {
            l += self.params.context_weight * self.context_lift[t * n + i];
        }
        l
    }

    /// [`Self::select`] without scoring the whole catalogue: clusters are visited in order of an
    /// upper bound of their items' logits (centroid score + ‖v‖·radius + the largest context
    /// lift and objective term) and the search stops when no unvisited cluster can beat the current `n`-th item, so
    /// the items returned are exactly those of the full scan. The softmax normaliser counts the
    /// visited items exactly and estimates each unvisited cluster from its mean and per-coordinate
    /// variance (second-order), so scores are close to, not bit-equal with, a full scan.
    pub(super) fn select_pruned(
        &self,
        cl: &ItemClusters,
        v: &[f32],
        ctx: &[usize],
        query: &RecommendQuery,
        skip: &[u32],
    ) -> Vec<ScoredItem> {
        self.select_pruned_counted(cl, v, ctx, query, skip, &std::cell::Cell::new(0))
    }

    /// [`Self::select_pruned`], adding the number of items it scored to `scored` (the whole
    /// catalogue when it falls back to a full scan).
    fn select_pruned_counted(
        &self,
        cl: &ItemClusters,
        v: &[f32],
        ctx: &[usize],
        query: &RecommendQuery,
        skip: &[u32],
        scored: &std::cell::Cell<usize>,
    ) -> Vec<ScoredItem> {
        let (s, scale, w) = (self.s, self.params.score_scale, self.params.context_weight);
        let c_count = cl.starts.len() - 1;
        let tokens = self.context_tokens.len();
        let v2: Vec<f32> = v.iter().map(|x| x * x).collect();
        let vnorm = v2.iter().sum::<f32>().sqrt();
        let mut bounds: Vec<(f32, usize)> = Vec::with_capacity(c_count);
        let mut estimate = vec![0f32; c_count];
        // Per cluster: the bound of its members but for their distance from the centroid, and
        // the margin that covers float rounding. The margin is relative to the magnitudes summed
        // (‖centroid‖‖v‖ and the radius term, the lifts), not to 1: a user whose vector is tiny
        // has tiny logits, which an absolute margin would make impossible to prune.
        let mut bases = vec![0f32; c_count];
        let mut margins = vec![0f32; c_count];
        for (c, estimate) in estimate.iter_mut().enumerate() {
            let centre = scale * als::dot(&cl.centroids[c * s..(c + 1) * s], v);
            let spread = als::dot(&v2, &cl.variance[c * s..(c + 1) * s]);
            let (mut lift_max, mut lift_mean) = (cl.objective_max[c], cl.objective_mean[c]);
            let mut magnitude = scale.abs() * vnorm * (cl.centroid_norm[c] + cl.radius[c]) + lift_max.abs();
            for &t in ctx {
                lift_max += w * cl.lift_max[c * tokens + t];
                lift_mean += w * cl.lift_mean[c * tokens + t];
                magnitude += (w * cl.lift_max[c * tokens + t]).abs();
            }
            let bound = centre + scale * vnorm * cl.radius[c] + lift_max;
            margins[c] = 1e-4 * (bound.abs() + magnitude) + f32::MIN_POSITIVE;
            bounds.push((bound + margins[c], c));
            bases[c] = centre + lift_max;
            *estimate = centre + 0.5 * scale * scale * spread + lift_mean;
        }
        let bounds = BestFirst::new(bounds);
        // Logits of the visited clusters' members (those the unfiltered search scored: a prefix,
        // farthest first), computed once.
        let cache: Vec<OnceLock<Vec<f32>>> = (0..c_count).map(|_| OnceLock::new()).collect();
        // Members are farthest from their centroid first: once one's bound falls short of the
        // k-th best, so do the rest of its cluster's.
        let short = |c: usize, j: usize, kth: Option<f32>| {
            let b = bases[c] + scale * vnorm * cl.distance[cl.starts[c] + j];
            kth.is_some_and(|kth| b + margins[c] < kth)
        };
        let ok = |i: u32| {
            !skip.contains(&i)
                && match query.exclude_index {
                    Some(excluded) => !excluded(i),
                    None => !(query.exclude)(&self.item_ids[i as usize]),
                }
        };
        // Best `k` items passing `pass`, by the same order as `top_filtered`. Clusters the
        // unfiltered pass scored are read from the cache; in others only the items passing
        // `pass` are scored (a selective filter then costs in proportion to what it lets
        // through). `None` when that would score more than a quarter of the catalogue: a full
        // scan, batched with other requests, is cheaper then.
        let budget = cl.members.len() / 4;
        let start = scored.get();
        let search = |k: usize, pass: &dyn Fn(u32) -> bool, fill_cache: bool| -> Option<Vec<(f32, u32)>> {
            let mut best = SortedTop::new(k);
            if k == 0 {
                return Some(best.into_vec());
            }
            let consider = |i: u32, l: f32, best: &mut SortedTop| {
                if best.admits(l, i) && pass(i) {
                    best.insert(l, i);
                }
            };
            for (bound, c) in bounds.iter() {
                if best.kth().is_some_and(|kth| bound < kth) {
                    break;
                }
                let members = &cl.members[cl.starts[c]..cl.starts[c + 1]];
                // Scores the members from `from` on that `pass`, until the bound falls short.
                // Members sit anywhere in the factor matrix: their rows are fetched ahead.
                let ahead = |j: usize| {
                    if let Some(&next) = members.get(j + als::PREFETCH_AHEAD) {
                        als::prefetch_row(&self.y, next as usize, s);
                    }
                };
                let rest = |from: usize, best: &mut SortedTop| {
                    for (j, &i) in members.iter().enumerate().skip(from) {
                        if short(c, j, best.kth()) {
                            break;
                        }
                        ahead(j);
                        if pass(i) {
                            scored.set(scored.get() + 1);
                            consider(i, self.logit(i as usize, v, ctx), best);
                        }
                    }
                };
                match (cache[c].get(), fill_cache) {
                    (Some(logits), _) => {
                        members.iter().zip(logits).for_each(|(&i, &l)| consider(i, l, &mut best));
                        rest(logits.len(), &mut best);
                    }
                    (None, true) => {
                        let mut logits = Vec::new();
                        for (j, &i) in members.iter().enumerate() {
                            if short(c, j, best.kth()) {
                                break;
                            }
                            ahead(j);
                            let l = self.logit(i as usize, v, ctx);
                            logits.push(l);
                            consider(i, l, &mut best);
                        }
                        scored.set(scored.get() + logits.len());
                        let _ = cache[c].set(logits);
                    }
                    (None, false) => rest(0, &mut best),
                }
                if scored.get() - start > budget {
                    return None;
                }
            }
            Some(best.into_vec())
        };
        // The unfiltered top `want` fixes which clusters the normaliser counts exactly.
        let full_scan = || {
            scored.set(start + cl.members.len());
            self.select(&self.logits(Some(v), ctx, true), Some(v), query, skip)
        };
        if search(query.num_results, &|_| true, true).is_none() {
            return full_scan();
        }
        let want = query.num_results;
        // A selective filter's few items are scored directly rather than searched for.
        let main = match query.candidates {
            Some(candidates) => self.top_of_candidates(candidates, v, ctx, want, &ok, scored),
            None => match search(want, &ok, false) {
                Some(main) => main,
                None => return full_scan(),
            },
        };
        // New items grouped by their metadata are scored once per group.
        let picks = match self.profile_logits(v, ctx) {
            Some(g) => self.explore(Some(v), query, &main, |i| self.logit(i as usize, v, ctx), Some(&g), ok),
            None => self.explore(Some(v), query, &main, self.candidate_logit(v, ctx), None, ok),
        };
        // Normaliser: exact over the visited clusters, estimated over the others.
        let visited_max = (0..c_count)
            .filter_map(|c| cache[c].get())
            .flat_map(|l| l.iter().copied())
            .chain(picks.iter().map(|p| p.logit))
            .filter(|l| !l.is_nan())
            .fold(f32::NEG_INFINITY, f32::max);
        let m = if visited_max.is_finite() { visited_max } else { 0.0 };
        let mut z = 0f64;
        for c in 0..c_count {
            match cache[c].get() {
                Some(l) => {
                    z += als::sum_exp(l, m);
                    let (lo, hi) = (cl.starts[c], cl.starts[c + 1]);
                    if lo + l.len() < hi {
                        // Members left unscored (their bound fell short): the cluster's average,
                        // at most that bound.
                        let bound = bases[c] + scale * vnorm * cl.distance[lo + l.len()];
                        z += (hi - lo - l.len()) as f64 * ((estimate[c].min(bound) - m) as f64).exp();
                    }
                }
                None => {
                    let size = (cl.starts[c + 1] - cl.starts[c]) as f64;
                    z += size * ((estimate[c] - m) as f64).exp();
                }
            }
        }
        exploration::merge(&main, &picks, want)
            .into_iter()
            .map(|(i, logit, explored)| ScoredItem {
                item_id: self.item_ids[i as usize].to_string(),
                score: Some(((logit - m) as f64).exp() / z.max(f64::MIN_POSITIVE)),
                reason: explored.then_some(Reason::Exploration),
            })
            .collect()
    }

    /// The answer to `query` from the full logits of vector `v` (context included): exploration,
    /// exclusions, softmax scores over the whole catalogue.
    pub(super) fn select(
        &self,
        logits: &[f32],
        v: Option<&[f32]>,
        query: &RecommendQuery,
        skip: &[u32],
    ) -> Vec<ScoredItem> {
        // Softmax over the whole catalogue.
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let z = als::sum_exp(logits, max);
        let ok = |i: u32| self.admitted(query, skip, i);
        let want = query.num_results;
        let main: Vec<(f32, u32)> =
            top_filtered(logits, want, ok).into_iter().map(|i| (logits[i as usize], i)).collect();
        let picks = self.explore(v, query, &main, |i| logits[i as usize], None, ok);
        // Without a vector the main list is the popular items.
        self.scored_list(&main, &picks, want, max, z, if v.is_none() { Some(Reason::Popular) } else { None })
    }

    /// Whether `query` may return item `i` (`skip`: item indices never returned).
    pub(super) fn admitted(&self, query: &RecommendQuery, skip: &[u32], i: u32) -> bool {
        !skip.contains(&i)
            && match query.exclude_index {
                Some(excluded) => !excluded(i),
                None => !(query.exclude)(&self.item_ids[i as usize]),
            }
    }

    /// The list shown (`main` with exploration's `picks`), scored by the softmax of maximum
    /// `max` and normaliser `z`; `unexplored` is the reason of the items exploration did not place.
    pub(super) fn scored_list(
        &self,
        main: &[(f32, u32)],
        picks: &[Pick],
        want: usize,
        max: f32,
        z: f64,
        unexplored: Option<Reason>,
    ) -> Vec<ScoredItem> {
        exploration::merge(main, picks, want)
            .into_iter()
            .map(|(i, logit, explored)| ScoredItem {
                item_id: self.item_ids[i as usize].to_string(),
                score: Some(((logit - max) as f64).exp() / z),
                reason: if explored { Some(Reason::Exploration) } else { unexplored },
            })
            .collect()
    }

    /// Top-`n` item indices for a user vector (`None`: popularity), never returning `skip`
    /// (sorted item indices, e.g. the user's history). No context, no exploration.
    pub fn top_indices_for_vector(&self, v: Option<&[f32]>, n: usize, skip_sorted: &[u32]) -> Vec<u32> {
        let logits = self.logits(v, &[], false);
        top_filtered(&logits, n, |i| skip_sorted.binary_search(&i).is_err())
    }

    /// The stored vector of user index `u` of the training snapshot (`None`: unknown).
    pub fn user_vector_by_index(&self, u: u32) -> Option<&[f32]> {
        self.user_row(u as usize)
    }

    /// The user vectors (`users × stride`, all zero for an unknown user) and their ids.
    pub(crate) fn user_matrix(&self) -> (&[f32], &[Arc<str>]) {
        (&self.users.x, &self.users.ids)
    }

    /// Row stride of the factor matrices (the factors padded for SIMD).
    pub(crate) fn stride(&self) -> usize {
        self.s
    }

    /// The factor row of item index `i` (`stride` long).
    pub(crate) fn item_row(&self, i: u32) -> Option<&[f32]> {
        self.y.get(i as usize * self.s..(i as usize + 1) * self.s)
    }

    /// The index of an item id in the model's catalogue.
    pub(crate) fn item_position(&self, item_id: &str) -> Option<u32> {
        self.item_index().get(item_id).copied()
    }

    pub(super) fn vector_for(&self, user_id: Option<&str>) -> Option<&[f32]> {
        user_id.and_then(|u| self.user_vector(u))
    }

    pub(super) fn rank_with_vector(&self, v: Option<&[f32]>, query: &RankQuery) -> Vec<ScoredItem> {
        let idx = self.item_index();
        let ctx = self.context_slots(query.context);
        let n = self.item_ids.len();
        let mut known: Vec<(f32, usize, u32)> = Vec::new();
        let mut unknown = Vec::new();
        for (pos, id) in query.input.iter().enumerate() {
            match idx.get(id.as_str()) {
                Some(&i) => {
                    let mut l = match v {
                        Some(v) => {
                            self.params.score_scale
                                * als::dot(&self.y[i as usize * self.s..(i as usize + 1) * self.s], v)
                        }
                        None => (self.popularity[i as usize] + 1e-9).ln(),
                    } + self.objective_term(i as usize);
                    for &t in &ctx {
                        l += self.params.context_weight * self.context_lift[t * n + i as usize];
                    }
                    known.push((l, pos, i));
                }
                None => unknown.push(id),
            }
        }
        known.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let max = known.first().map_or(0.0, |k| k.0);
        let z: f64 = known.iter().map(|k| ((k.0 - max) as f64).exp()).sum();
        known
            .iter()
            .map(|k| ScoredItem::ranked(query.input[k.1].clone(), Some(((k.0 - max) as f64).exp() / z)))
            .chain(unknown.into_iter().map(|id| ScoredItem::ranked(id.clone(), None)))
            .collect()
    }

    pub(super) fn resolve_history(&self, history: &[HistoryEvent]) -> Vec<(u32, f32, i64)> {
        let idx = self.item_index();
        history
            .iter()
            .filter_map(|e| {
                let i = *idx.get(e.item_id.as_str())?;
                let w = self.events.weight(e.event_type.as_deref());
                (w > 0.0).then_some((i, w, e.timestamp))
            })
            .collect()
    }

    /// The vector for a user given recent events: the stored vector updated with them for a
    /// known user, the fold-in of the events for an unknown one (`None`: no signal at all).
    pub fn vector_with_history(&self, user_id: Option<&str>, history: &[HistoryEvent]) -> Option<Vec<f32>> {
        let events = self.resolve_history(history);
        match (self.vector_for(user_id), events.is_empty()) {
            (Some(v), true) => Some(v.to_vec()),
            (Some(v), false) => Some(self.updated_vector(v, &events)),
            (None, false) => Some(self.fold_in_indices(&events)),
            (None, true) => None,
        }
    }

    /// Item factors predicted from metadata tokens (for items added after training), using the
    /// ridge regression learnt on the warm items; `None` when the model has no item metadata.
    pub fn item_vector_from_features(&self, tokens: &[&str]) -> Option<Vec<f32>> {
        if self.item_feature_tokens.is_empty() {
            return None;
        }
        let s = self.s;
        let found: Vec<usize> =
            tokens.iter().filter_map(|t| self.item_feature_tokens.iter().position(|x| x == t)).collect();
        let mut v = self.item_feature_w[..s].to_vec(); // intercept
        if !found.is_empty() {
            let scale = 1.0 / (found.len() as f32).sqrt();
            for f in found {
                v.iter_mut().zip(&self.item_feature_w[f * s..(f + 1) * s]).for_each(|(a, b)| *a += scale * b);
            }
        }
        v.truncate(self.k);
        Some(v)
    }
}
