//! A selective filter's items scored directly: when a filter lets few items through, scoring
//! them costs less than searching the cluster index for them, which walks many clusters of
//! items the filter refuses.

use super::*;

impl UpModel {
    /// The best `want` of `candidates` passing `ok` for vector `v` (the order of the pruned
    /// search: logit, then item), counting the candidates in `scored`.
    pub(super) fn top_of_candidates(
        &self,
        candidates: &[u32],
        v: &[f32],
        ctx: &[usize],
        want: usize,
        ok: &dyn Fn(u32) -> bool,
        scored: &std::cell::Cell<usize>,
    ) -> Vec<(f32, u32)> {
        let mut best = SortedTop::new(want);
        for (j, &i) in candidates.iter().enumerate() {
            // Candidates lie anywhere in the factor matrix: their rows are fetched ahead.
            if let Some(&next) = candidates.get(j + als::PREFETCH_AHEAD) {
                als::prefetch_row(&self.y, next as usize, self.s);
            }
            if (i as usize) < self.item_ids.len() && ok(i) {
                let l = self.logit(i as usize, v, ctx);
                if best.admits(l, i) {
                    best.insert(l, i);
                }
            }
        }
        scored.set(scored.get() + candidates.len());
        best.into_vec()
    }
}
