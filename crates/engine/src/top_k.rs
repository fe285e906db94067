//! Top-k selection, in one place: the best `n` of a logit vector ([`top_filtered`], a bounded
//! heap), the best `k` of a list growing in roughly descending order ([`SortedTop`], the cluster
//! search of User-Personalization), the best `k` of a candidate list ([`top_k`], neighbour
//! tables) and the first `n` of a precomputed ranking ([`top_of_list`]). Ties go to the lower
//! index everywhere.

use crate::model::{RecommendQuery, ScoredItem};

/// The best `n` items by logit (descending, ties by index) among those passing `ok`.
pub(crate) fn top_filtered(logits: &[f32], n: usize, ok: impl Fn(u32) -> bool) -> Vec<u32> {
    top_of(logits, 0..logits.len() as u32, n, ok)
}

/// [`top_filtered`] over the item indices `candidates` only; `ok` is asked only for
/// items good enough to enter the list.
fn top_of(logits: &[f32], candidates: impl Iterator<Item = u32>, n: usize, ok: impl Fn(u32) -> bool) -> Vec<u32> {
    use std::cmp::Ordering;
    use std::collections::BinaryHeap;
    /// Heap entry ordered so that the heap's top is the worst kept item.
    #[derive(PartialEq)]
    struct E(f32, u32);
    impl Eq for E {}
    impl PartialOrd for E {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for E {
        // Better = higher logit, then lower index; the max-heap keeps the worst on top.
        fn cmp(&self, o: &Self) -> Ordering {
            o.0.total_cmp(&self.0).then(self.1.cmp(&o.1))
        }
    }
    if n == 0 {
        return Vec::new();
    }
    let mut heap: BinaryHeap<E> = BinaryHeap::with_capacity(n + 1);
    for i in candidates {
        let l = logits[i as usize];
        if heap.len() == n {
            let worst = heap.peek().expect("non-empty");
            if l < worst.0 || (l == worst.0 && i > worst.1) || l.is_nan() {
                continue;
            }
        }
        if !ok(i) {
            continue;
        }
        heap.push(E(l, i));
        if heap.len() > n {
            heap.pop();
        }
    }
    heap.into_sorted_vec().into_iter().map(|e| e.1).collect()
}

/// The best `k` `(logit, index)` pairs offered so far, best first in [`top_filtered`]'s order
/// (higher logit, then lower index), kept sorted by insertion: cheap when few of the offered
/// pairs enter (candidates visited best first).
pub(crate) struct SortedTop {
    k: usize,
    best: Vec<(f32, u32)>,
}

impl SortedTop {
    pub(crate) fn new(k: usize) -> Self {
        SortedTop { k, best: Vec::with_capacity(k + 1) }
    }

    /// The `k`-th best logit once `k` pairs are kept (`None` before).
    pub(crate) fn kth(&self) -> Option<f32> {
        (self.k > 0 && self.best.len() == self.k).then(|| self.best[self.k - 1].0)
    }

    /// Whether `(l, i)` would enter: not NaN, and better than the `k`-th best when full.
    pub(crate) fn admits(&self, l: f32, i: u32) -> bool {
        if l.is_nan() || self.k == 0 {
            return false;
        }
        if self.best.len() == self.k {
            let (wl, wi) = self.best[self.k - 1];
            if l < wl || (l == wl && i > wi) {
                return false;
            }
        }
        true
    }

    /// Inserts `(l, i)` in order (call after [`Self::admits`]), dropping the pair it displaces.
    pub(crate) fn insert(&mut self, l: f32, i: u32) {
        let pos = self.best.partition_point(|&(bl, bi)| bl > l || (bl == l && bi < i));
        self.best.insert(pos, (l, i));
        self.best.truncate(self.k);
    }

    /// The kept pairs, best first.
    pub(crate) fn into_vec(self) -> Vec<(f32, u32)> {
        self.best
    }
}

/// Keep the `k` best candidates (similarity descending, ties by item index), sorted.
pub(crate) fn top_k(cand: &mut Vec<(u32, f32)>, k: usize) {
    let cmp = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if cand.len() > k {
        cand.select_nth_unstable_by(k, cmp);
        cand.truncate(k);
    }
    cand.sort_unstable_by(cmp);
}

/// The serving path of recipes whose answer is one precomputed list (popularity, trending): the
/// first `num_results` ids the query does not exclude, without scores.
pub(crate) fn top_of_list<'a>(ranked: impl IntoIterator<Item = &'a str>, query: &RecommendQuery) -> Vec<ScoredItem> {
    ranked
        .into_iter()
        .filter(|id| !(query.exclude)(id))
        .take(query.num_results)
        .map(|id| ScoredItem::ranked(id, None))
        .collect()
}
