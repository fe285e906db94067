use rand::Rng;

/// Samples indices `0..n` proportionally to non-negative weights (cumulative table + binary
/// search: O(n) to build, O(log n) per draw).
#[derive(Clone, Debug)]
pub struct CdfSampler {
    cdf: Vec<f64>,
}

impl CdfSampler {
    /// Builds a sampler. Returns `None` when there is no weight or every weight is zero.
    pub fn new(weights: impl IntoIterator<Item = f64>) -> Option<Self> {
        let mut total = 0.0;
        let cdf: Vec<f64> = weights
            .into_iter()
            .map(|w| {
                total += w.max(0.0);
                total
            })
            .collect();
        if cdf.is_empty() || total <= 0.0 || !total.is_finite() {
            return None;
        }
        Some(CdfSampler { cdf })
    }

    /// Number of outcomes.
    pub fn len(&self) -> usize {
        self.cdf.len()
    }

    /// Always false (a sampler has at least one outcome).
    pub fn is_empty(&self) -> bool {
        self.cdf.is_empty()
    }

    /// Draws one index.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        let total = *self.cdf.last().expect("non-empty");
        let x = rng.gen::<f64>() * total;
        // First index whose cumulative weight exceeds x; skips zero-weight outcomes.
        self.cdf.partition_point(|&c| c <= x).min(self.cdf.len() - 1)
    }
}
