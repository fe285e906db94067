//! Recommenders retrain themselves: weekly, the personalised use cases every two hours
//! ([`super::use_case`]'s cadence). [`Reko::due_retrains`] is the one due check; each pass of
//! the scheduler (crate::scheduler) asks for the due retrainings.

use reko_api::{Recommender, ResourceStatus};

use super::task::{RETRAIN_REQUESTED, TRAINED_AT};
use super::use_case_of;
use crate::error::ServiceResult;
use crate::resource::ResourceKind;
use crate::Reko;

/// Whether a model trained at `trained_at` is due for retraining at `now` with the use case's
/// cadence. A retraining already asked for (`requested_at`) is not asked again before another
/// cadence has passed (it may still be queued behind other tasks).
pub(crate) fn is_due(trained_at: f64, requested_at: Option<f64>, every_secs: f64, now: f64) -> bool {
    now - trained_at >= every_secs && requested_at.is_none_or(|r| now - r >= every_secs)
}

impl Reko {
    /// The ACTIVE recommenders due for retraining at `now` (epoch seconds).
    pub fn due_retrains(&self, now: f64) -> ServiceResult<Vec<String>> {
        let mut due = Vec::new();
        for stored in self.load_all::<Recommender>(ResourceKind::Recommender, None)? {
            if stored.wire.status != ResourceStatus::Active.as_str() {
                continue;
            }
            let Some(trained_at) = stored.internal.get(TRAINED_AT).and_then(|v| v.as_f64()) else { continue };
            let requested_at = stored.internal.get(RETRAIN_REQUESTED).and_then(|v| v.as_f64());
            if is_due(trained_at, requested_at, use_case_of(&stored.wire)?.retrain_every_secs, now) {
                due.push(stored.wire.recommender_arn);
            }
        }
        Ok(due)
    }

    /// Asks for every retraining due at `now` (a task each; the current models serve meanwhile).
    /// The scheduler's pass calls it with its clock.
    pub(crate) fn request_due_retrains(&self, now: f64) -> ServiceResult<usize> {
        let due = self.due_retrains(now)?;
        for arn in &due {
            self.request_retrain(arn)?;
        }
        Ok(due.len())
    }
}

#[cfg(test)]
mod tests {
    use super::is_due;
    use crate::use_case::{TWO_HOURS_SECS, WEEKLY_SECS};

    #[test]
    fn a_model_is_due_once_its_cadence_has_passed_and_asked_for_once() {
        let trained = 1_000_000.0;
        assert!(!is_due(trained, None, WEEKLY_SECS, trained + WEEKLY_SECS - 1.0));
        assert!(is_due(trained, None, WEEKLY_SECS, trained + WEEKLY_SECS));
        assert!(is_due(trained, None, TWO_HOURS_SECS, trained + TWO_HOURS_SECS + 5.0));
        // Asked for a minute ago: not again until another cadence has passed.
        let now = trained + TWO_HOURS_SECS + 60.0;
        assert!(!is_due(trained, Some(now - 60.0), TWO_HOURS_SECS, now));
        assert!(is_due(trained, Some(now - TWO_HOURS_SECS), TWO_HOURS_SECS, now));
    }
}
