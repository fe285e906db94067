//! The cluster index: exact top-k without scoring the whole catalogue. The clustering itself
//! is [`crate::recipes::kmeans`].

use super::*;
use crate::recipes::kmeans;

/// Clusters of the index.
pub(super) const CLUSTERS: usize = 256;
/// k-means iterations when the index is built.
pub(super) const KMEANS_ITERATIONS: usize = 6;

/// Items grouped by k-means cluster of their factors, each cluster's members farthest from its
/// centroid first, with what an upper bound of a cluster's logits needs: centroid, each member's
/// distance from it (`distance`, aligned with `members`; its first is the cluster's radius,
/// and a search stops inside a cluster once the remaining members' bound falls short), per-coordinate
/// variance (for the normaliser estimate), per context token the largest and mean lift, and
/// the largest and mean optimization objective term (0 without an objective).
pub(super) struct ItemClusters {
    pub(super) members: Vec<u32>,
    pub(super) distance: Vec<f32>,
    pub(super) starts: Vec<usize>,
    pub(super) centroids: Vec<f32>,
    /// ‖centroid‖ of each cluster (the scale of its bound's rounding error).
    pub(super) centroid_norm: Vec<f32>,
    pub(super) radius: Vec<f32>,
    pub(super) variance: Vec<f32>,
    pub(super) lift_max: Vec<f32>,
    pub(super) lift_mean: Vec<f32>,
    pub(super) objective_max: Vec<f32>,
    pub(super) objective_mean: Vec<f32>,
}

impl ItemClusters {
    pub(super) fn build(m: &UpModel) -> ItemClusters {
        let (n, s) = (m.item_ids.len(), m.s);
        let c_count = CLUSTERS.min(n.max(1));
        let row = |i: usize| &m.y[i * s..(i + 1) * s];
        let (centroids, assign) = kmeans::kmeans(&m.y, n, s, c_count, KMEANS_ITERATIONS);
        let (mut members, starts) = kmeans::group_by_cluster(&assign, c_count);
        let mut item_distance = vec![0f32; n];
        let mut radius = vec![0f32; c_count];
        let mut variance = vec![0f32; c_count * s];
        let tokens = m.context_tokens.len();
        let mut lift_max = vec![f32::NEG_INFINITY; c_count * tokens];
        let mut lift_mean = vec![0f32; c_count * tokens];
        let mut objective_max = vec![f32::NEG_INFINITY; c_count];
        let mut objective_mean = vec![0f32; c_count];
        for c in 0..c_count {
            let items = &members[starts[c]..starts[c + 1]];
            let cen = &centroids[c * s..(c + 1) * s];
            for &i in items {
                let y = row(i as usize);
                let mut d2 = 0f32;
                for d in 0..s {
                    let diff = y[d] - cen[d];
                    d2 += diff * diff;
                    variance[c * s + d] += diff * diff;
                }
                radius[c] = radius[c].max(d2.sqrt());
                item_distance[i as usize] = d2.sqrt();
                for t in 0..tokens {
                    let l = m.context_lift[t * n + i as usize];
                    lift_max[c * tokens + t] = lift_max[c * tokens + t].max(l);
                    lift_mean[c * tokens + t] += l;
                }
                let b = m.objective_term(i as usize);
                objective_max[c] = objective_max[c].max(b);
                objective_mean[c] += b;
            }
            if !items.is_empty() {
                let k = items.len() as f32;
                variance[c * s..(c + 1) * s].iter_mut().for_each(|v| *v /= k);
                lift_mean[c * tokens..(c + 1) * tokens].iter_mut().for_each(|v| *v /= k);
                objective_mean[c] /= k;
            }
            // The float rounding of the distances must not make the bound too tight.
            radius[c] *= 1.0 + 1e-5;
        }
        lift_max.iter_mut().chain(&mut objective_max).filter(|l| !l.is_finite()).for_each(|l| *l = 0.0);
        let distance = farthest_first(&mut members, &starts, &item_distance);
        ItemClusters {
            members,
            distance,
            starts,
            centroid_norm: norms(&centroids, s),
            centroids,
            radius,
            variance,
            lift_max,
            lift_mean,
            objective_max,
            objective_mean,
        }
    }

    /// The index of `m`, whose items from `first_new` on are new: each joins its nearest
    /// cluster, whose radius grows to cover it (new items have no context lift or objective
    /// term, so 0 enters those maxima). Variances and lift means are kept: they only feed the normaliser estimate.
    pub(super) fn with_new_items(&self, m: &UpModel, first_new: usize) -> ItemClusters {
        let (n, s) = (m.item_ids.len(), m.s);
        let c_count = self.starts.len() - 1;
        let mut assign = vec![0u32; n];
        for c in 0..c_count {
            for &i in &self.members[self.starts[c]..self.starts[c + 1]] {
                assign[i as usize] = c as u32;
            }
        }
        let mut radius = self.radius.clone();
        let mut item_distance = vec![0f32; n];
        for (&i, &d) in self.members.iter().zip(&self.distance) {
            item_distance[i as usize] = d;
        }
        let mut lift_max = self.lift_max.clone();
        lift_max.iter_mut().for_each(|l| *l = l.max(0.0));
        let mut objective_max = self.objective_max.clone();
        objective_max.iter_mut().for_each(|l| *l = l.max(0.0));
        for (i, slot) in assign.iter_mut().enumerate().skip(first_new) {
            let y = &m.y[i * s..(i + 1) * s];
            let (best, best_d) = kmeans::nearest(&self.centroids, y, s);
            *slot = best as u32;
            radius[best] = radius[best].max(best_d.sqrt() * (1.0 + 1e-5));
            item_distance[i] = best_d.sqrt();
        }
        let (mut members, starts) = kmeans::group_by_cluster(&assign, c_count);
        let distance = farthest_first(&mut members, &starts, &item_distance);
        ItemClusters {
            members,
            distance,
            starts,
            centroids: self.centroids.clone(),
            centroid_norm: self.centroid_norm.clone(),
            radius,
            variance: self.variance.clone(),
            lift_max,
            lift_mean: self.lift_mean.clone(),
            objective_max,
            objective_mean: self.objective_mean.clone(),
        }
    }
}

fn norms(rows: &[f32], s: usize) -> Vec<f32> {
    rows.chunks_exact(s.max(1)).map(|r| als::dot(r, r).sqrt()).collect()
}

/// Orders each cluster's members by distance from its centroid, farthest first, and returns the
/// distances aligned with them (widened by the same rounding margin as the radius).
fn farthest_first(members: &mut [u32], starts: &[usize], item_distance: &[f32]) -> Vec<f32> {
    for c in 0..starts.len() - 1 {
        members[starts[c]..starts[c + 1]]
            .sort_unstable_by(|&a, &b| item_distance[b as usize].total_cmp(&item_distance[a as usize]).then(a.cmp(&b)));
    }
    members.iter().map(|&i| item_distance[i as usize] * (1.0 + 1e-5)).collect()
}

/// Clusters by their bound, best first, sorted only as far as a search reads them: most
/// searches stop within a few of the clusters, and sorting them all was a tenth of a request.
pub(super) struct BestFirst {
    bounds: std::cell::RefCell<Vec<(f32, usize)>>,
    sorted: std::cell::Cell<usize>,
}

impl BestFirst {
    /// Sorted in chunks of at least this many.
    const CHUNK: usize = 8;

    pub(super) fn new(bounds: Vec<(f32, usize)>) -> Self {
        BestFirst { bounds: std::cell::RefCell::new(bounds), sorted: std::cell::Cell::new(0) }
    }

    /// `(bound, cluster)`, highest bound first.
    pub(super) fn iter(&self) -> impl Iterator<Item = (f32, usize)> + '_ {
        (0..).map_while(|at| self.get(at))
    }

    fn get(&self, at: usize) -> Option<(f32, usize)> {
        let mut bounds = self.bounds.borrow_mut();
        let from = self.sorted.get();
        if at >= from && at < bounds.len() {
            // The next chunk (doubling) of the best unsorted bounds, then sorted.
            let upto = (from.max(Self::CHUNK) * 2).max(at + 1).min(bounds.len());
            let by_bound = |a: &(f32, usize), b: &(f32, usize)| b.0.total_cmp(&a.0);
            let rest = &mut bounds[from..];
            if upto - from < rest.len() {
                rest.select_nth_unstable_by(upto - from - 1, by_bound);
            }
            rest[..upto - from].sort_unstable_by(by_bound);
            self.sorted.set(upto);
        }
        bounds.get(at).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::BestFirst;

    #[test]
    fn best_first_reads_as_a_full_sort_at_any_length() {
        for len in [0usize, 1, 7, 8, 9, 17, 100, 256] {
            // Distinct bounds in a scrambled order.
            let bounds: Vec<(f32, usize)> = (0..len).map(|c| (((c * 37) % 101) as f32 + c as f32 / 1e3, c)).collect();
            let mut sorted = bounds.clone();
            sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
            let lazy = BestFirst::new(bounds);
            assert_eq!(lazy.iter().take(3).collect::<Vec<_>>(), sorted[..len.min(3)], "{len}");
            assert_eq!(lazy.iter().collect::<Vec<_>>(), sorted, "{len}");
        }
    }
}
