//! Where a training run is, readable while it runs: the task view polls it from another thread
//! while the long loops (self-tuning candidates, ALS iterations, evaluation batches) move it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A training run's stage and overall fraction done (0–1). A part of it ([`LiveProgress::part`],
/// [`LiveProgress::stage`]) maps its own 0–1 onto a sub-range, so a fit reports its iterations
/// without knowing which stage it serves. The default is detached: reports go nowhere.
#[derive(Clone, Default)]
pub struct LiveProgress {
    shared: Option<Arc<Shared>>,
    lo: f64,
    hi: f64,
}

struct Shared {
    stage: Mutex<&'static str>,
    /// `f64` bits of the fraction; non-negative floats order as their bits, so `fetch_max`
    /// keeps the fraction from moving backwards.
    fraction: AtomicU64,
}

impl LiveProgress {
    /// A progress to follow (stage "starting", 0%).
    pub fn new() -> LiveProgress {
        let shared = Shared { stage: Mutex::new("starting"), fraction: AtomicU64::new(0f64.to_bits()) };
        LiveProgress { shared: Some(Arc::new(shared)), lo: 0.0, hi: 1.0 }
    }

    /// The sub-range `from..to` (fractions of this one's range) as a progress of its own.
    pub fn part(&self, from: f64, to: f64) -> LiveProgress {
        let span = self.hi - self.lo;
        LiveProgress { shared: self.shared.clone(), lo: self.lo + span * from, hi: self.lo + span * to }
    }

    /// Enters `stage`, which covers `from..to` of this one's range; returns that part.
    pub fn stage(&self, stage: &'static str, from: f64, to: f64) -> LiveProgress {
        let part = self.part(from, to);
        if let Some(s) = &self.shared {
            *s.stage.lock().unwrap_or_else(|p| p.into_inner()) = stage;
            s.fraction.fetch_max(part.lo.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
        }
        part
    }

    /// `done` of `total` steps of this part are done.
    pub fn steps(&self, done: usize, total: usize) {
        if total > 0 {
            self.set(done as f64 / total as f64);
        }
    }

    /// This part is `f` (0–1) done; the overall fraction never moves backwards.
    pub fn set(&self, f: f64) {
        if let Some(s) = &self.shared {
            let overall = (self.lo + (self.hi - self.lo) * f.clamp(0.0, 1.0)).clamp(0.0, 1.0);
            s.fraction.fetch_max(overall.to_bits(), Ordering::Relaxed);
        }
    }

    /// The stage and the overall fraction now.
    pub fn read(&self) -> (&'static str, f64) {
        match &self.shared {
            Some(s) => {
                (*s.stage.lock().unwrap_or_else(|p| p.into_inner()), f64::from_bits(s.fraction.load(Ordering::Relaxed)))
            }
            None => ("starting", 0.0),
        }
    }
}

impl std::fmt::Debug for LiveProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (stage, fraction) = self.read();
        write!(f, "LiveProgress({stage}, {:.0}%)", fraction * 100.0)
    }
}

/// Progress is not configuration: two configurations differing only in it are equal.
impl PartialEq for LiveProgress {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_map_onto_their_range_and_never_move_back() {
        let p = LiveProgress::new();
        let eval = p.stage("evaluating", 0.2, 0.8);
        assert_eq!(p.read(), ("evaluating", 0.2));
        let fit = eval.part(0.0, 0.5);
        fit.steps(1, 2);
        assert!((p.read().1 - 0.35).abs() < 1e-12);
        fit.steps(0, 2);
        assert!((p.read().1 - 0.35).abs() < 1e-12, "never backwards");
        eval.part(0.5, 1.0).set(1.0);
        assert!((p.read().1 - 0.8).abs() < 1e-12);
        let detached = LiveProgress::default();
        detached.stage("x", 0.0, 1.0).set(1.0);
        assert_eq!(detached.read(), ("starting", 0.0));
    }
}
