//! The cluster index: exact top-k without scoring the whole catalogue.

use super::*;

/// Clusters of the index.
pub(super) const CLUSTERS: usize = 256;
/// k-means iterations when the index is built.
pub(super) const KMEANS_ITERATIONS: usize = 6;

/// Items grouped by k-means cluster of their factors, with what an upper bound of a cluster's
/// logits needs: centroid, radius (largest distance of a member from it), per-coordinate
/// variance (for the normaliser estimate), per context token the largest and mean lift, and
/// the largest and mean optimization objective term (0 without an objective).
pub(super) struct ItemClusters {
    pub(super) members: Vec<u32>,
    pub(super) starts: Vec<usize>,
    pub(super) centroids: Vec<f32>,
    pub(super) radius: Vec<f32>,
    pub(super) variance: Vec<f32>,
    pub(super) lift_max: Vec<f32>,
    pub(super) lift_mean: Vec<f32>,
    pub(super) objective_max: Vec<f32>,
    pub(super) objective_mean: Vec<f32>,
}

/// Item indices grouped by their cluster in `assign` (counting sort): (members, the start of
/// each cluster's run, `c_count + 1` entries).
pub(super) fn group_by_cluster(assign: &[u32], c_count: usize) -> (Vec<u32>, Vec<usize>) {
    let mut starts = vec![0usize; c_count + 1];
    for &c in assign {
        starts[c as usize + 1] += 1;
    }
    for c in 0..c_count {
        starts[c + 1] += starts[c];
    }
    let mut fill = starts.clone();
    let mut members = vec![0u32; assign.len()];
    for (i, &c) in assign.iter().enumerate() {
        members[fill[c as usize]] = i as u32;
        fill[c as usize] += 1;
    }
    (members, starts)
}

impl ItemClusters {
    pub(super) fn build(m: &UpModel) -> ItemClusters {
        let (n, s) = (m.item_ids.len(), m.s);
        let c_count = CLUSTERS.min(n.max(1));
        let row = |i: usize| &m.y[i * s..(i + 1) * s];
        // Deterministic start: evenly spaced items.
        let mut centroids: Vec<f32> = (0..c_count).flat_map(|c| row(c * n / c_count).to_vec()).collect();
        let mut assign = vec![0u32; n];
        for _ in 0..KMEANS_ITERATIONS {
            let norms: Vec<f32> = centroids.chunks_exact(s).map(|c| c.iter().map(|x| x * x).sum()).collect();
            assign.par_iter_mut().enumerate().with_min_len(1024).for_each_init(
                || vec![0f32; c_count],
                |dots, (i, a)| {
                    // Every centroid's dot product with the item in one SIMD pass.
                    als::scores(&centroids, row(i), s, 1.0, dots);
                    let mut best = (f32::INFINITY, 0u32);
                    for (c, &dot) in dots.iter().enumerate() {
                        // |y − c|² up to the constant |y|².
                        let d = norms[c] - 2.0 * dot;
                        if d < best.0 {
                            best = (d, c as u32);
                        }
                    }
                    *a = best.1;
                },
            );
            let mut sums = vec![0f64; c_count * s];
            let mut counts = vec![0usize; c_count];
            for (i, &c) in assign.iter().enumerate() {
                counts[c as usize] += 1;
                for (acc, &x) in sums[c as usize * s..(c as usize + 1) * s].iter_mut().zip(row(i)) {
                    *acc += x as f64;
                }
            }
            for c in 0..c_count {
                if counts[c] > 0 {
                    for d in 0..s {
                        centroids[c * s + d] = (sums[c * s + d] / counts[c] as f64) as f32;
                    }
                }
            }
        }
        let (members, starts) = group_by_cluster(&assign, c_count);
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
        ItemClusters {
            members,
            starts,
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
        let mut lift_max = self.lift_max.clone();
        lift_max.iter_mut().for_each(|l| *l = l.max(0.0));
        let mut objective_max = self.objective_max.clone();
        objective_max.iter_mut().for_each(|l| *l = l.max(0.0));
        for (i, slot) in assign.iter_mut().enumerate().skip(first_new) {
            let y = &m.y[i * s..(i + 1) * s];
            let (mut best, mut best_d) = (0usize, f32::INFINITY);
            for (c, cen) in self.centroids.chunks_exact(s).enumerate() {
                let d: f32 = y.iter().zip(cen).map(|(a, b)| (a - b) * (a - b)).sum();
                if d < best_d {
                    (best, best_d) = (c, d);
                }
            }
            *slot = best as u32;
            radius[best] = radius[best].max(best_d.sqrt() * (1.0 + 1e-5));
        }
        let (members, starts) = group_by_cluster(&assign, c_count);
        ItemClusters {
            members,
            starts,
            centroids: self.centroids.clone(),
            radius,
            variance: self.variance.clone(),
            lift_max,
            lift_mean: self.lift_mean.clone(),
            objective_max,
            objective_mean: self.objective_mean.clone(),
        }
    }
}
