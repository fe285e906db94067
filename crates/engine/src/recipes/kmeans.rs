//! k-means over the rows of a factor matrix, next to the ALS solver whose factors it clusters
//! (User-Personalization's cluster index groups the item factors with it).

use rayon::prelude::*;

use crate::recipes::als;

/// Lloyd's k-means of the `n` rows of `rows` (row stride `s`) into `c_count` clusters, started
/// from evenly spaced rows (deterministic) and run for `iterations` rounds. Returns the
/// centroids (`c_count × s`) and each row's cluster.
pub(crate) fn kmeans(rows: &[f32], n: usize, s: usize, c_count: usize, iterations: usize) -> (Vec<f32>, Vec<u32>) {
    let row = |i: usize| &rows[i * s..(i + 1) * s];
    if n == 0 {
        return (vec![0.0; c_count * s], Vec::new());
    }
    // Deterministic start: evenly spaced distinct rows (items sharing one row, such as new
    // items whose factors their metadata predicts, would otherwise start several centroids on
    // one point and leave all but one of those clusters empty).
    let mut seen = DistinctRows::default();
    let mut distinct = |i: usize| seen.id(row(i)).1;
    let mut starts: Vec<usize> = (0..c_count).map(|c| c * n / c_count).filter(|&i| distinct(i)).collect();
    // Too few distinct rows at those places: the next distinct rows in order, then (fewer
    // distinct rows than clusters) repeats, whose clusters stay empty.
    starts.extend((0..n).filter(|&i| distinct(i)).take(c_count - starts.len()));
    while starts.len() < c_count {
        starts.push(starts[starts.len() % starts.len().max(1)]);
    }
    let mut centroids: Vec<f32> = starts.iter().flat_map(|&i| row(i).to_vec()).collect();
    let mut assign = vec![0u32; n];
    for _ in 0..iterations {
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
    (centroids, assign)
}

/// The centroid (of `centroids`, stride `s`) nearest to `y` and its squared distance; the first
/// one on ties.
pub(crate) fn nearest(centroids: &[f32], y: &[f32], s: usize) -> (usize, f32) {
    let (mut best, mut best_d) = (0usize, f32::INFINITY);
    for (c, cen) in centroids.chunks_exact(s).enumerate() {
        let d: f32 = y.iter().zip(cen).map(|(a, b)| (a - b) * (a - b)).sum();
        if d < best_d {
            (best, best_d) = (c, d);
        }
    }
    (best, best_d)
}

/// Row indices grouped by their cluster in `assign` (counting sort): (members, the start of
/// each cluster's run, `c_count + 1` entries).
pub(crate) fn group_by_cluster(assign: &[u32], c_count: usize) -> (Vec<u32>, Vec<usize>) {
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

/// Numbers rows by their exact contents (bit for bit), in order of first appearance: items whose
/// factors their metadata alone predicts share rows, and work done once per distinct row is saved
/// for the others.
#[derive(Default)]
pub(crate) struct DistinctRows {
    ids: rustc_hash::FxHashMap<Vec<u32>, u32>,
    /// The row being looked up, as bits (reused: a lookup allocates only for a new row).
    key: Vec<u32>,
}

impl DistinctRows {
    /// The number of `row`, and whether this is its first appearance.
    pub(crate) fn id(&mut self, row: &[f32]) -> (u32, bool) {
        self.key.clear();
        self.key.extend(row.iter().map(|x| x.to_bits()));
        if let Some(&id) = self.ids.get(self.key.as_slice()) {
            return (id, false);
        }
        let id = self.ids.len() as u32;
        self.ids.insert(self.key.clone(), id);
        (id, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows many items share (new items' metadata-predicted factors) start one centroid each,
    /// not one per evenly spaced position: every cluster gets members when there are enough
    /// distinct rows. Here the first 900 of 1,000 rows are one point.
    #[test]
    fn shared_rows_do_not_leave_clusters_empty() {
        let (n, s, c_count) = (1_000, 2, 16);
        let rows: Vec<f32> =
            (0..n).flat_map(|i| if i < 900 { [0.0, 0.0] } else { [i as f32, (i * 7 % 13) as f32] }).collect();
        let (_, assign) = kmeans(&rows, n, s, c_count, 4);
        let (_, starts) = group_by_cluster(&assign, c_count);
        let empty = (0..c_count).filter(|&c| starts[c + 1] == starts[c]).count();
        assert_eq!(empty, 0, "clusters without members: {empty} of {c_count}");
        assert!(kmeans(&[], 0, s, 1, 2).1.is_empty());
    }

    #[test]
    fn distinct_rows_are_numbered_by_first_appearance() {
        let mut d = DistinctRows::default();
        let ids: Vec<(u32, bool)> =
            [[1.0, 2.0], [0.5, 0.0], [1.0, 2.0], [-0.0, 0.0], [0.5, 0.0]].iter().map(|r| d.id(r)).collect();
        // -0.0 and 0.0 differ bit for bit.
        assert_eq!(ids, [(0, true), (1, true), (0, false), (2, true), (1, false)]);
    }
}
