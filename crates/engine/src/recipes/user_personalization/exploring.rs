//! Exploration on the serving path: the candidates' index, the calibration of new items'
//! relevance for one user, and their logits (grouped new items scored once per group).

use super::*;

impl UpModel {
    pub(super) fn exploration_index(&self) -> &ExplorationIndex {
        self.exploration_index
            .get_or_init(|| ExplorationIndex::build(&self.counts, &self.created, &self.popularity, &self.y, self.s))
    }

    /// The exploration picks of `query` for vector `v` (`None`: popularity), given the list
    /// without exploration (`main`, best first) and the logits of items; `grouped`: the logit
    /// of each profile's new items ([`Self::profile_logits`]), when it is theirs alone.
    pub(super) fn explore(
        &self,
        v: Option<&[f32]>,
        query: &RecommendQuery,
        main: &[(f32, u32)],
        logit: impl Fn(u32) -> f32,
        grouped: Option<&[f32]>,
        ok: impl Fn(u32) -> bool,
    ) -> Vec<Pick> {
        let Some(e) = query.exploration.as_ref().filter(|e| e.weight > 0.0) else { return Vec::new() };
        let want = query.num_results;
        let index = self.exploration_index();
        // An item without interactions has only a metadata-predicted vector, whose logits are
        // shrunk towards the mean item: its relevance is read on the trained scale instead, as
        // the logit an established item gets at the same quantile of metadata-predicted
        // relevance for this user. Its uncertainty is the spread of established items' logits.
        // Without a user vector the logit is log popularity: such an item is assumed average.
        // `predicted`: each distinct predicted logit and how many items have it, ascending;
        // `below[k]`: how many have one of the first `k`.
        let (mut trained, mut predicted, mut below) = (Vec::new(), Vec::new(), vec![0u32]);
        let sd = match v {
            Some(v) => {
                let (c, s) = (&self.calibration, self.s);
                let (rows, ctx) = (c.trained_rows(&self.y, s), self.context_slots(query.context));
                for (j, &i) in c.items.iter().enumerate() {
                    trained.push(self.logit_from_dot(i as usize, als::dot(&rows[j * s..(j + 1) * s], v), &ctx));
                }
                let (distinct, counts) = c.distinct_predictions(s);
                for (row, &n) in distinct.chunks_exact(s).zip(counts) {
                    predicted.push((self.params.score_scale * als::dot(row, v), n));
                }
                trained.retain(|l| !l.is_nan());
                predicted.retain(|(l, _)| !l.is_nan());
                trained.sort_unstable_by(f32::total_cmp);
                predicted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
                below.extend(predicted.iter().scan(0, |sum, &(_, n)| {
                    *sum += n;
                    Some(*sum)
                }));
                let n = trained.len().max(1) as f32;
                let mean = trained.iter().sum::<f32>() / n;
                (trained.iter().map(|l| (l - mean).powi(2)).sum::<f32>() / n).sqrt()
            }
            None => index.popularity_prior.1,
        };
        // The relevance of a new item whose logit is `l`.
        let calibrated = |l: f32| {
            if v.is_none() {
                return index.popularity_prior.0;
            }
            if trained.is_empty() || predicted.is_empty() {
                return l;
            }
            let rank = below[predicted.partition_point(|&(p, _)| p < l)];
            let q = f64::from(rank) / f64::from(below[below.len() - 1]);
            trained[((q * trained.len() as f64) as usize).min(trained.len() - 1)]
        };
        let estimate = |i: u32, n: u32| match (n, v) {
            (0, None) => index.popularity_prior.0,
            (0, Some(_)) => calibrated(logit(i)),
            _ => logit(i),
        };
        let profile_logits: Option<Vec<f32>> = grouped.map(|g| g.iter().map(|&l| calibrated(l)).collect());
        let request = exploration::Request {
            exploration: e,
            slots: ((e.weight * want as f64).round() as usize).min(want),
            floor: if main.len() >= want { main[want - 1].0 } else { f32::NEG_INFINITY },
            sd,
            newest: self.newest,
            profile_logits: profile_logits.as_deref(),
        };
        // (A grouped new item's row is not read, but telling it apart costs the lookup a
        // prefetch saves: its row is fetched all the same.) Without a user vector no row is read.
        let prefetch = |i: u32| {
            if v.is_some() {
                als::prefetch_row(&self.y, i as usize, self.s)
            }
        };
        // Without context lifts or an objective's terms a logit is `scale · y·v`, at most
        // `|scale| · ‖y‖ · ‖v‖` (widened for rounding).
        let vnorm = v.filter(|_| query.context.is_empty() && self.objective.is_empty()).map(|v| als::dot(v, v).sqrt());
        let reach = |norm: f32| match vnorm {
            Some(vn) => self.params.score_scale.abs() * norm * vn * (1.0 + 1e-4) + f32::MIN_POSITIVE,
            None => f32::INFINITY,
        };
        index.pick(&request, estimate, reach, |i| ok(i) && !main.iter().any(|m| m.1 == i), prefetch)
    }

    /// The logit of each profile's new items for vector `v` (grouped new items share their
    /// factors), when it is theirs alone: without context and without an objective's term.
    pub(super) fn profile_logits(&self, v: &[f32], ctx: &[usize]) -> Option<Vec<f32>> {
        let profiles = self.exploration_index().profiles.as_ref()?;
        if !ctx.is_empty() || !self.objective.is_empty() {
            return None;
        }
        let row = |r: u32| &self.y[r as usize * self.s..(r as usize + 1) * self.s];
        Some(p_logits(profiles, |r| self.logit_from_dot(r as usize, als::dot(row(r), v), ctx)))
    }

    /// [`Self::logit`] for exploration's candidates: new items grouped by identical factors
    /// (their metadata's) read their group's dot product, computed once for this request.
    pub(super) fn candidate_logit<'a>(&'a self, v: &'a [f32], ctx: &'a [usize]) -> impl Fn(u32) -> f32 + 'a {
        let profiles = self.exploration_index().profiles.as_ref();
        let dots: Vec<f32> = profiles
            .map(|p| {
                let row = |r: u32| &self.y[r as usize * self.s..(r as usize + 1) * self.s];
                p.representatives.iter().map(|&r| als::dot(row(r), v)).collect()
            })
            .unwrap_or_default();
        move |i| match profiles.and_then(|p| p.of(i)) {
            Some(p) => self.logit_from_dot(i as usize, dots[p], ctx),
            None => self.logit(i as usize, v, ctx),
        }
    }
}

/// `logit(r)` of each profile's representative `r`.
fn p_logits(profiles: &exploration::Profiles, logit: impl Fn(u32) -> f32) -> Vec<f32> {
    profiles.representatives.iter().map(|&r| logit(r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Exploration, RecommendQuery, TrainingConfig, TrainingDataBuilder};

    /// 40 items with 12 to 18 interactions; 400 new items in 3 categories (a quarter without metadata).
    fn model() -> UpModel {
        let mut b = TrainingDataBuilder::new();
        for i in 0..40 {
            for u in 0..(12 + i % 7) {
                b.push_interaction(&format!("u{u}"), &format!("i{i}"), 1_700_000_000 + i, None, None);
            }
            b.push_item_features(&format!("i{i}"), &[&format!("CATEGORY=c{}", i % 3)]);
        }
        for i in 40..440 {
            let id = format!("i{i}");
            b.push_item(&id, None);
            if i % 4 != 0 {
                b.push_item_features(&id, &[&format!("CATEGORY=c{}", i % 3)]);
            }
        }
        let mut config = TrainingConfig::default();
        config.hyperparameters.insert("num_iterations".into(), "2".into());
        fit("aws-user-personalization", &b.build(), &config)
    }

    #[test]
    fn grouped_new_items_get_the_logits_their_own_rows_give() {
        let m = model();
        let profiles = m.exploration_index().profiles.as_ref().expect("400 new items share 4 rows");
        assert_eq!(profiles.representatives.len(), 4);
        let v = m.user_vector("u3").expect("a known user").to_vec();
        let logit = m.candidate_logit(&v, &[]);
        for i in 0..m.item_ids.len() as u32 {
            assert_eq!(logit(i).to_bits(), m.logit(i as usize, &v, &[]).to_bits(), "item {i}");
        }
    }

    #[test]
    fn grouped_draws_explore_as_the_items_own_do() {
        let m = model();
        let v = m.user_vector("u3").expect("a known user").to_vec();
        // The user's best 10 established items: a floor few new items reach.
        let mut main: Vec<(f32, u32)> = (0..40).map(|i| (m.logit(i, &v, &[]), i as u32)).collect();
        main.sort_by(|a, b| b.0.total_cmp(&a.0));
        main.truncate(10);
        let grouped = m.profile_logits(&v, &[]).expect("no context, no objective");
        let profiles = m.exploration_index().profiles.as_ref().expect("grouped");
        // Picks of new items per profile, item by item and by group.
        let (mut by_item, mut by_group) = ([0usize; 4], [0usize; 4]);
        for seed in 0..400 {
            let e = Exploration { weight: 0.3, item_age_cut_off_days: 30.0, seed: Some(seed) };
            let query = RecommendQuery {
                user_id: None,
                item_id: None,
                num_results: 10,
                exclude: &|_| false,
                exclude_index: None,
                candidates: None,
                context: &[],
                exploration: Some(e),
            };
            let count = |picks: Vec<Pick>, into: &mut [usize; 4]| {
                picks.iter().filter_map(|p| profiles.of(p.item)).for_each(|p| into[p] += 1)
            };
            count(m.explore(Some(&v), &query, &main, m.candidate_logit(&v, &[]), None, |_| true), &mut by_item);
            let logit = |i: u32| m.logit(i as usize, &v, &[]);
            count(m.explore(Some(&v), &query, &main, logit, Some(&grouped), |_| true), &mut by_group);
        }
        let total: usize = by_item.iter().sum();
        assert!(total > 400, "new items are explored: {by_item:?}");
        assert!(by_item.iter().any(|&n| n * 10 < total), "profiles differ in relevance: {by_item:?}");
        // Every new item is a candidate here (fewer than `DIRECT_MAX`), drawn in the same order.
        assert_eq!(by_group, by_item);
    }
}
