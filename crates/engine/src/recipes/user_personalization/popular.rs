//! The answer for requests without a user vector and without context (anonymous visitors, users
//! the model never saw and who sent no events): the popularity ranking, computed once per model.
//! Such a request reads the head of one sorted list instead of taking a logarithm, an
//! exponential and a heap step for every item of the catalogue (a million of each at a million
//! items).

use super::*;
use crate::Reason;

/// The popularity logits (with the objective's term), the items best first, and the softmax's
/// maximum and normaliser over the catalogue.
pub(super) struct PopularRanking {
    logits: Vec<f32>,
    /// Items with a logit, by logit descending then index ([`top_filtered`]'s order).
    order: Vec<u32>,
    max: f32,
    z: f64,
}

impl UpModel {
    pub(super) fn popular_ranking(&self) -> &PopularRanking {
        self.popular.get_or_init(|| {
            let logits = self.logits(None, &[], false);
            let mut order: Vec<u32> = (0..logits.len() as u32).filter(|&i| !logits[i as usize].is_nan()).collect();
            order.par_sort_unstable_by(|&a, &b| logits[b as usize].total_cmp(&logits[a as usize]).then(a.cmp(&b)));
            let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let z = als::sum_exp(&logits, max);
            PopularRanking { logits, order, max, z }
        })
    }

    /// [`Self::select`] of the popularity logits without context, from the precomputed ranking:
    /// the same items, scores and exploration.
    pub(super) fn select_popular(&self, query: &RecommendQuery, skip: &[u32]) -> Vec<ScoredItem> {
        let p = self.popular_ranking();
        let ok = |i: u32| self.admitted(query, skip, i);
        let want = query.num_results;
        let main: Vec<(f32, u32)> =
            p.order.iter().copied().filter(|&i| ok(i)).take(want).map(|i| (p.logits[i as usize], i)).collect();
        let picks = self.explore(None, query, &main, |i| p.logits[i as usize], None, ok);
        self.scored_list(&main, &picks, want, p.max, p.z, Some(Reason::Popular))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Exploration, RecommendQuery, TrainingConfig, TrainingDataBuilder};
    use std::cell::Cell;

    /// A model over `items` items, the first half with interactions (Zipf-like counts, the most
    /// popular last, so a scan in index order keeps finding better items), the rest new.
    fn model(items: usize) -> UpModel {
        let mut b = TrainingDataBuilder::new();
        for i in 0..items / 2 {
            for u in 0..(1 + 200 / (items / 2 - i)) {
                b.push_interaction(&format!("u{u}"), &format!("i{i}"), 1_700_000_000 + i as i64, None, None);
            }
        }
        for i in items / 2..items {
            b.push_item(&format!("i{i}"), None);
        }
        let mut config = TrainingConfig::default();
        config.hyperparameters.insert("num_iterations".into(), "2".into());
        fit("aws-user-personalization", &b.build(), &config)
    }

    fn query<'a>(exclude: &'a dyn Fn(&str) -> bool, exploration: Option<Exploration>) -> RecommendQuery<'a> {
        RecommendQuery {
            user_id: None,
            item_id: None,
            num_results: 25,
            exclude,
            exclude_index: None,
            candidates: None,
            context: &[],
            exploration,
        }
    }

    #[test]
    fn the_precomputed_ranking_answers_as_the_full_scan_does() {
        let m = model(2_000);
        for (exclude, exploration) in [
            (&(|_: &str| false) as &dyn Fn(&str) -> bool, None),
            (&|id: &str| id.ends_with('3'), None),
            (
                &|id: &str| id.len() % 2 == 0,
                Some(Exploration { weight: 0.3, item_age_cut_off_days: 30.0, seed: Some(7) }),
            ),
        ] {
            let q = query(exclude, exploration);
            let full = m.select(&m.logits(None, &[], false), None, &q, &[3, 5]);
            assert_eq!(m.select_popular(&q, &[3, 5]), full);
        }
    }

    #[test]
    fn an_anonymous_request_looks_at_as_many_items_at_any_catalogue_size() {
        // Work counter: the exclusion is asked only of the items the list takes, whether the
        // catalogue has 1,000 or 20,000 items (it was asked of every item that could enter the
        // heap of a full scan, and every item was scored).
        for items in [1_000, 20_000] {
            let m = model(items);
            m.popular_ranking();
            let asked = Cell::new(0usize);
            let exclude = |_: &str| {
                asked.set(asked.get() + 1);
                false
            };
            let list = m.recommend_for_vector(None, &query(&exclude, None), &[]);
            assert_eq!(list.len(), 25);
            assert_eq!(asked.get(), 25, "{items} items");
        }
    }
}
